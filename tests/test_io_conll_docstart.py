"""-DOCSTART- lines written by write_conll have as many columns as the token lines
when a prediction column is added (CoNLL-2003: ``-DOCSTART- -X- -X- O``), and are
copied as read otherwise."""

from __future__ import annotations

import pytest

from nlperr.io import read_conll, write_conll

CONLL2003 = ("-DOCSTART- -X- -X- O\n\n"
             "EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
             "-DOCSTART- -X- -X- O\n\n"
             "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n\n")


def _widths(text: str) -> set[int]:
    return {len(line.split()) for line in text.splitlines() if line.strip()}


def test_round_trip_keeps_docstart_as_read(tmp_path):
    src = tmp_path / "in.conll"
    src.write_text(CONLL2003, encoding="utf-8")
    out = tmp_path / "out.conll"
    write_conll(read_conll(src), out)
    assert out.read_text(encoding="utf-8") == CONLL2003


def test_added_prediction_column_reaches_docstart_lines(tmp_path):
    src = tmp_path / "in.conll"
    src.write_text(CONLL2003, encoding="utf-8")
    gold = read_conll(src)
    out = tmp_path / "out.conll"
    write_conll(gold, out, predictions=gold)
    text = out.read_text(encoding="utf-8")
    assert _widths(text) == {5}
    docstarts = [line for line in text.splitlines() if line.startswith("-DOCSTART-")]
    assert docstarts == ["-DOCSTART- -X- -X- O O"] * 2
    # and it reads back, prediction column included
    back = read_conll(out)
    assert [ex.tags() for ex in back] == [ex.tags() for ex in gold]


@pytest.mark.parametrize("line, expected", [
    ("-DOCSTART-", "-DOCSTART-\tO\tO"),           # bare line in a token/tag file
    ("-DOCSTART-\tO", "-DOCSTART-\tO\tO"),        # the usual two-column form
])
def test_short_docstart_is_completed(tmp_path, line, expected):
    src = tmp_path / "in.conll"
    src.write_text(f"{line}\n\nAnna\tB-PER\nsmiled\tO\n\n", encoding="utf-8")
    gold = read_conll(src)
    out = tmp_path / "out.conll"
    write_conll(gold, out, predictions=gold)
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == expected
    assert _widths(text) == {3}
