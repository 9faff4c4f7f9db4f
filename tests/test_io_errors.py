"""Bad input: every error names the file and the line (and the message code)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlperr.errors import FormatError, InputError, NlperrError, SchemeError, SpanError
from nlperr.io import DataFileNotFoundError, load, read_conll, read_csv, read_hipe, read_jsonl

HIPE_HEADER = "TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tMISC\n"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# -- ragged column lines --------------------------------------------------------------------

def test_ragged_conll_line(tmp_path):
    p = _file(tmp_path, "ragged.conll", "a NN O\nb NN O\n\nc NN O\nd O\ne NN O\n")
    with pytest.raises(FormatError, match=r"\[E001\] ragged\.conll:5: expected 3 .*got 2: 'd O'"):
        read_conll(p)


def test_ragged_hipe_line(tmp_path):
    p = _file(tmp_path, "ragged.tsv", HIPE_HEADER + "a\tO\t_\tO\t_\nb\tO\t_\n")
    with pytest.raises(FormatError, match=r"\[E001\] ragged\.tsv:3"):
        read_hipe(p)


def test_ragged_csv_line(tmp_path):
    p = _file(tmp_path, "ragged.csv", "text,label\na,pos\nb,neg,extra\n")
    with pytest.raises(FormatError, match=r"\[E001\] ragged\.csv:3"):
        read_csv(p)


def test_missing_column(tmp_path):
    p = _file(tmp_path, "cols.conll", "a\tO\n\nb\tO\n")
    with pytest.raises(FormatError, match=r"\[E004\] cols\.conll:1.*tag_column=5"):
        read_conll(p, tag_column=5)


# -- malformed tags ---------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["PER", "X-PER", "B-", "b-PER"])
def test_malformed_conll_tag(tmp_path, tag):
    p = _file(tmp_path, "tags.conll", f"a\tO\n\nb\tB-PER\nc\t{tag}\n")
    with pytest.raises(SchemeError, match=rf"\[E002\] tags\.conll:4: malformed tag '{tag}'"):
        read_conll(p)


def test_tag_invalid_for_the_scheme_names_line(tmp_path):
    p = _file(tmp_path, "tags.conll", "a\tO\nb\tS-PER\n")
    with pytest.raises(SchemeError, match=r"\[E002\] tags\.conll:2"):
        read_conll(p, scheme="IOB2")


def test_malformed_hipe_tag(tmp_path):
    p = _file(tmp_path, "tags.tsv", HIPE_HEADER + "a\tO\t_\tO\t_\nb\tPERS\t_\tO\t_\n")
    with pytest.raises(SchemeError, match=r"E002.*tags\.tsv:3"):
        read_hipe(p)


def test_i_after_o_strict(tmp_path):
    p = _file(tmp_path, "iob2.conll", "a\tB-LOC\n\nb\tO\nc\tI-PER\n")
    with pytest.raises(SchemeError, match=r"\[E104\] iob2\.conll:4: tag 'I-PER'"):
        read_conll(p, scheme="IOB2")


# -- spans ------------------------------------------------------------------------------------

def test_overlapping_spans(tmp_path):
    recs = [{"text": "ok"},
            {"text": "New York City", "spans": [{"start": 0, "end": 8, "label": "LOC"},
                                                {"start": 4, "end": 13, "label": "LOC"}]}]
    p = _file(tmp_path, "ov.jsonl", "".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(SpanError, match=r"\[E102\] ov\.jsonl:2: spans"):
        read_jsonl(p)


def test_out_of_range_offsets(tmp_path):
    recs = [{"text": "ok"}, {"text": "ok"},
            {"text": "Bob", "spans": [{"start": 0, "end": 30, "label": "PER"}]}]
    p = _file(tmp_path, "range.jsonl", "".join(json.dumps(r) + "\n" for r in recs))
    with pytest.raises(SpanError, match=r"\[E101\] range\.jsonl:3: span \(0, 30, 'PER'\)"):
        read_jsonl(p)
    recs = [{"text": "Bob", "spans": [{"start": 2, "end": 2, "label": "PER"}]}]
    p = _file(tmp_path, "empty_span.jsonl", json.dumps(recs[0]) + "\n")
    with pytest.raises(SpanError, match=r"\[E107\] empty_span\.jsonl:1"):
        read_jsonl(p)


def test_invalid_json(tmp_path):
    p = _file(tmp_path, "bad.jsonl", '{"text": "a"}\n{"text": b}\n')
    with pytest.raises(FormatError, match=r"\[E005\] bad\.jsonl:2: invalid JSON"):
        read_jsonl(p)


# -- empty / missing files, unknown formats --------------------------------------------------

@pytest.mark.parametrize("name,content", [
    ("empty.conll", ""), ("blank.conll", "\n\t\n  \n"), ("docstart.conll", "-DOCSTART- O\n\n"),
    ("empty.jsonl", "\n"), ("empty.tsv", ""), ("header.tsv", HIPE_HEADER),
    ("empty.csv", ""), ("header.csv", "text,label\n"), ("empty.spacy", ""),
])
def test_empty_file(tmp_path, name, content):
    if name.endswith(".spacy"):
        pytest.importorskip("spacy")
    p = _file(tmp_path, name, content)
    fmt = "hipe" if name.endswith(".tsv") else None
    pattern = rf"\[E003\] .*{name.replace('.', '[.]')}: the file is empty"
    with pytest.raises(FormatError, match=pattern):
        load(p, format=fmt)


@pytest.mark.parametrize("name", ["nope.conll", "nope.jsonl", "nope.tsv", "nope.csv",
                                  "nope.spacy"])
def test_missing_file(tmp_path, name):
    if name.endswith(".spacy"):
        pytest.importorskip("spacy")
    with pytest.raises(DataFileNotFoundError, match=rf"\[E011\].*{name.replace('.', '[.]')}"):
        load(tmp_path / name, format="hipe" if name.endswith(".tsv") else None)
    with pytest.raises(FileNotFoundError):
        load(tmp_path / name, format="hipe" if name.endswith(".tsv") else None)


def test_unknown_format_names_the_file(tmp_path):
    p = _file(tmp_path, "data.conll", "a\tO\n")
    with pytest.raises(InputError, match=r"\[E007\] Unknown format 'conl'.*conll.*data\.conll"):
        load(p, format="conl")


def test_unguessable_format_names_the_file(tmp_path):
    p = _file(tmp_path, "data.xyz", "Some prose that is no corpus format at all.\n")
    with pytest.raises(InputError, match=r"\[E008\].*data\.xyz.*--format"):
        load(p)


def test_all_errors_are_nlperr_errors(tmp_path):
    p = _file(tmp_path, "x.conll", "a\tQ-X-\n")
    with pytest.raises(NlperrError):
        read_conll(p)


def test_iterators_check_the_file_when_called(tmp_path):
    from nlperr.io import iter_conll, iter_jsonl

    with pytest.raises(DataFileNotFoundError, match=r"E011.*gone\.conll"):
        iter_conll(tmp_path / "gone.conll")
    with pytest.raises(DataFileNotFoundError, match=r"E011.*gone\.jsonl"):
        iter_jsonl(tmp_path / "gone.jsonl")
    p = _file(tmp_path, "empty.conll", "\n")
    it = iter_conll(p)
    with pytest.raises(FormatError, match=r"E003.*empty\.conll"):
        next(it)
