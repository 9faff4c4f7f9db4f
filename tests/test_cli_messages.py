"""Messages a command-line user can see say what to *type*, not which Python
argument to pass."""

from __future__ import annotations

import re

import pytest

from nlperr.cli import main
from nlperr.errors import Errors, Warnings

# Messages whose advice is Python-only because no command reaches them.
PYTHON_ONLY = {
    "E018": "Hugging Face datasets are read through the Python API only",
    "E020": "spaCy DocBin writing of spans built in Python",
    "E022": "register_format is a Python API",
    "E618": "suites room: `suite run --cases` has no test selection option yet (reported)",
    "W604": "advice about the suite file (max_cases), which the CLI user edits too",
}


def _catalogue():
    for cat in (Errors, Warnings):
        for code in sorted(vars(cat)):
            if re.fullmatch(r"[EW]\d+", code):
                yield code, getattr(cat, code)


@pytest.mark.parametrize("code, message", list(_catalogue()))
def test_python_advice_comes_with_the_cli_spelling(code, message):
    python_advice = re.search(r"\b[a-z_]+=(?!=)", message)
    if not python_advice or code in PYTHON_ONLY:
        return
    assert "--" in message or "CLI" in message or "Python:" in message, (
        f"{code} advises {python_advice.group(0)}... but says nothing a command-line user "
        f"can type: {message}")


def test_e503_from_the_cli_names_the_file_fix(tmp_path, capsys):
    gold, pred = tmp_path / "g.jsonl", tmp_path / "p.jsonl"
    gold.write_text('{"text": "Anna smiled", "spans": [[0, 4, "PER"]]}\n', encoding="utf-8")
    pred.write_text('{"text": "Anna smiled"}\n', encoding="utf-8")
    assert main(["analyze", "ner", "--gold", str(gold), "--pred", str(pred),
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "[E503]" in err and "p.jsonl:1" in err and '"spans": []' in err


@pytest.mark.parametrize("argv, got", [
    (["--ocr", "o"], "got --ocr;"),
    (["--gold", "g"], "got --gold;"),
    ([], "got no input;"),
    (["--pairs", "p", "--gold", "g"], "got --pairs and --gold;"),
])
def test_ocr_compare_input_errors_say_what_to_type(tmp_path, capsys, argv, got):
    assert main(["ocr", "compare", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Unknown value" not in err
    assert got in err and "--ocr FILE_OR_DIR and --gold FILE_OR_DIR" in err
    assert "--pairs FILE_OR_DIR" in err


def test_ocr_stats_lexicon_and_spacy_vocab(tmp_path, capsys):
    f = tmp_path / "a.txt"
    f.write_text("text", encoding="utf-8")
    assert main(["ocr", "stats", str(f), "--lexicon", str(f), "--spacy-vocab", "x",
                 "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Unknown value" not in err and "--lexicon FILE or --spacy-vocab NAME" in err


def test_predict_output_errors_name_the_output_not_the_part_file(tmp_path):
    from nlperr.cli.predict import _atomic_output
    from nlperr.errors import FormatError

    out = tmp_path / "pred.conll"
    with pytest.raises(FormatError) as info:
        with _atomic_output(out) as part:
            assert part != out and part.name.endswith(".part")
            raise FormatError(f"{part}, example 3: cannot write")
    assert str(info.value) == f"{out}, example 3: cannot write"
    assert list(tmp_path.iterdir()) == []  # nothing left behind
