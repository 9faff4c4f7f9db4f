"""OCR readers: one rule for empty inputs (E003 naming the file, as the corpus
loaders do) and document ids relative to the common root of several inputs."""

from __future__ import annotations

import pytest

from nlperr.cli import main
from nlperr.errors import FormatError
from nlperr.ocr import iter_pairs, iter_texts

ICDAR = ("[OCR_toInput] Tbe cat\n"
         "[OCR_aligned] Tbe cat\n"
         "[ GS_aligned] The cat\n")


@pytest.mark.parametrize("content", ["", "\n", "  \n\t\n"])
def test_empty_text_file_is_E003_naming_it(tmp_path, content):
    f = tmp_path / "empty.txt"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(FormatError, match=r"\[E003\].*empty\.txt"):
        list(iter_texts(f))


def test_empty_file_in_a_folder_is_named(tmp_path):
    (tmp_path / "a.txt").write_text("some text", encoding="utf-8")
    (tmp_path / "b.txt").write_text("", encoding="utf-8")
    with pytest.raises(FormatError, match=r"\[E003\].*b\.txt"):
        list(iter_texts(tmp_path))


def test_empty_icdar_pair_file_is_E003(tmp_path):
    f = tmp_path / "0.txt"
    f.write_text("", encoding="utf-8")
    with pytest.raises(FormatError, match=r"\[E003\].*0\.txt"):
        list(iter_pairs(f, format="icdar2019"))


def test_cli_ocr_stats_on_empty_file_exits_2(tmp_path, capsys):
    f = tmp_path / "empty.txt"
    f.write_text("", encoding="utf-8")
    assert main(["ocr", "stats", str(f), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "E003" in err and "empty.txt" in err


def _icdar_tree(root):
    for sub in ("FR1", "NL1"):
        (root / sub).mkdir()
        for k in range(2):
            (root / sub / f"{k}.txt").write_text(ICDAR, encoding="utf-8")


def test_several_folders_give_ids_relative_to_their_common_root(tmp_path):
    _icdar_tree(tmp_path)
    ids = [i for i, _ in iter_texts([tmp_path / "FR1", tmp_path / "NL1"])]
    assert ids == ["FR1/0.txt", "FR1/1.txt", "NL1/0.txt", "NL1/1.txt"]
    pair_ids = [p.id for p in iter_pairs([tmp_path / "FR1", tmp_path / "NL1"])]
    assert pair_ids == ids


def test_one_folder_keeps_ids_relative_to_it(tmp_path):
    _icdar_tree(tmp_path)
    assert [i for i, _ in iter_texts(tmp_path / "FR1")] == ["0.txt", "1.txt"]


def test_folder_and_file_mixed(tmp_path):
    _icdar_tree(tmp_path)
    ids = [i for i, _ in iter_texts([tmp_path / "FR1", tmp_path / "NL1" / "1.txt"])]
    assert ids == ["FR1/0.txt", "FR1/1.txt", "NL1/1.txt"]


def test_cli_ocr_stats_documents_are_unique(tmp_path):
    import pandas as pd

    _icdar_tree(tmp_path)
    out = tmp_path / "out"
    assert main(["ocr", "stats", str(tmp_path / "FR1"), str(tmp_path / "NL1"),
                 "--out", str(out), "--no-progress"]) == 0
    docs = pd.read_csv(out / "documents.csv")["document"].tolist()
    assert docs == ["FR1/0.txt", "FR1/1.txt", "NL1/0.txt", "NL1/1.txt"]
