"""CoNLL column files: reading, writing, round trips, real WNUT-17 data."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from nlperr.data import Example
from nlperr.errors import InputError, RepairWarning, SchemeError
from nlperr.io import iter_conll, load, read_conll, save, write_conll

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WNUT = SHARED / "wnut17"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _key(ex: Example):
    return (ex.id, ex.text, ex.tokens, tuple(s.key for s in ex.spans or ()), ex.missing,
            ex.meta)


# -- the IOB1 sample with -DOCSTART- lines -------------------------------------------

def test_iob1_docstart_sample_reads():
    exs = read_conll(DATA / "mini_iob1.conll")
    assert len(exs) == 6
    assert [ex.meta["doc_index"] for ex in exs] == [0, 0, 1, 1, 1, 2]
    assert exs[0].meta["scheme"] == "IOB1"  # detected: entities start with I-
    assert exs[0].meta["docstart"] == "-DOCSTART- -X- -X- O"
    assert "docstart" not in exs[1].meta
    assert exs[0].id == "mini_iob1.conll:3"
    assert exs[0].text == "Maria Lindqvist opened a bakery in Uppsala ."
    assert [(exs[0].span_text(s), s.label) for s in exs[0].spans] == [
        ("Maria Lindqvist", "PER"), ("Uppsala", "LOC")]
    # B- separates two adjacent entities of one type (IOB1)
    four = exs[3]
    assert [(four.span_text(s), s.label) for s in four.spans] == [
        ("Kenji Tanaka", "PER"), ("Sofia Rossi", "PER"), ("Lakeside Jazz Festival", "MISC"),
        ("Porto", "LOC"), ("Lisbon", "LOC")]
    assert exs[0].meta["columns"][0] == ["NNP", "I-NP"]
    assert exs[2].spans == ()


def test_iob1_docstart_round_trip_is_byte_identical(tmp_path):
    src = DATA / "mini_iob1.conll"
    first = read_conll(src)
    out = tmp_path / "mini_iob1.conll"
    write_conll(first, out)
    assert out.read_bytes() == src.read_bytes()
    second = read_conll(out)
    assert [_key(e) for e in second] == [_key(e) for e in first]
    assert second == first


def test_round_trip_through_load_and_save(tmp_path):
    src = DATA / "mini_iob1.conll"
    out = tmp_path / "mini_iob1.conll"
    save(load(src), out)
    assert out.read_bytes() == src.read_bytes()


def test_write_in_another_scheme(tmp_path):
    exs = read_conll(DATA / "mini_iob1.conll")
    out = tmp_path / "x.conll"
    write_conll(exs, out, scheme="BIOES")
    back = read_conll(out)
    assert back[0].meta["scheme"] == "BIOES"
    assert [e.spans for e in back] == [e.spans for e in exs]


def test_iter_conll_streams_the_same_examples():
    src = DATA / "mini_iob1.conll"
    it = iter_conll(src)
    assert next(it) == read_conll(src)[0]
    assert list(iter_conll(src, scheme="IOB1")) == read_conll(src)


def test_whitespace_only_separators_and_space_columns(tmp_path):
    p = _write(tmp_path, "ws.conll", "Anna\tB-PER\nruns\tO\n\t\nBob\tB-PER\n   \nHi\tO\n")
    exs = read_conll(p)
    assert [e.text for e in exs] == ["Anna runs", "Bob", "Hi"]
    assert [e.id for e in exs] == ["ws.conll:1", "ws.conll:4", "ws.conll:6"]
    q = _write(tmp_path, "sp.conll", "Anna   B-PER\nruns O\n")
    assert read_conll(q)[0].meta["sep"] == " "


def test_tag_column_selects_gold_and_prediction(tmp_path):
    p = _write(tmp_path, "pred.conll", "Anna B-PER B-LOC\nruns O O\n\nBob B-PER O\n")
    gold = read_conll(p, tag_column=1)
    pred = read_conll(p, tag_column=2)
    assert [s.label for s in gold[0].spans] == ["PER"]
    assert [s.label for s in pred[0].spans] == ["LOC"]
    assert pred[1].spans == ()
    assert gold[0].meta["columns"] == [["B-LOC"], ["O"]]


def test_unannotated_file(tmp_path):
    p = _write(tmp_path, "raw.conll", "Anna\nruns\n\nBob\n")
    exs = read_conll(p, tag_column=None)
    assert [e.spans for e in exs] == [None, None]
    assert exs[0].text == "Anna runs"


def test_write_predictions_column_last(tmp_path):
    gold = [Example.from_tokens(["Anna", "met", "Bob"], ["B-PER", "O", "B-PER"], id="g")]
    pred = [Example.from_tokens(["Anna", "met", "Bob"], ["B-ORG", "O", "O"], id="g")]
    out = tmp_path / "o.conll"
    write_conll(gold, out, predictions=pred)
    assert out.read_text(encoding="utf-8") == "Anna\tB-PER\tB-ORG\nmet\tO\tO\nBob\tB-PER\tO\n\n"
    assert [s.label for s in read_conll(out, tag_column=-1)[0].spans] == ["ORG"]
    assert [s.label for s in read_conll(out, tag_column=1)[0].spans] == ["PER", "PER"]


def test_missing_tags_round_trip(tmp_path):
    p = _write(tmp_path, "m.conll", "Anna\tB-PER\nruns\t-\nhome\tO\n\n")
    ex = read_conll(p)[0]
    assert ex.missing == ((5, 9),)
    out = tmp_path / "m2.conll"
    write_conll([ex], out)
    assert out.read_text(encoding="utf-8") == p.read_text(encoding="utf-8")


def test_strict_iob2_violation_names_file_and_line(tmp_path):
    p = _write(tmp_path, "bad.conll", "A\tO\nB\tO\n\nC\tB-PER\nD\tO\nE\tI-PER\n")
    with pytest.raises(SchemeError, match=r"bad\.conll:6.*'I-PER'"):
        read_conll(p, scheme="IOB2")


def test_lenient_repairs_with_one_warning(tmp_path):
    p = _write(tmp_path, "bad.conll", "C\tB-PER\nD\tO\nE\tI-PER\n\nF\tO\nG\tI-LOC\n")
    with pytest.warns(RepairWarning, match=r"bad\.conll: 2 sentence\(s\).*First: line 3"):
        exs = read_conll(p, scheme="IOB2", strict=False)
    assert [s.label for s in exs[0].spans] == ["PER", "PER"]
    assert [s.label for s in exs[1].spans] == ["LOC"]


def test_token_containing_separator_cannot_be_written(tmp_path):
    ex = Example(text="a b", tokens=None)
    with pytest.raises(Exception, match="no tokens"):
        write_conll([ex], tmp_path / "x.conll")
    from nlperr.data import Token
    ex = Example(text="a\tb", tokens=(Token("a\tb", 0, 3),), spans=())
    with pytest.raises(InputError, match=r"E021"):
        write_conll([ex], tmp_path / "x.conll")


# -- real data -----------------------------------------------------------------------

def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.mark.shared_data
def test_wnut17_test_counts():
    exs = read_conll(_need(WNUT / "emerging.test.annotated"))
    assert len(exs) == 1287
    assert sum(len(e.tokens) for e in exs) == 23394
    assert exs[0].meta["scheme"] == "IOB2"
    n_ents = sum(len(e.spans) for e in exs)
    with open(WNUT / "emerging.test.annotated", encoding="utf-8") as fh:
        n_b = sum(1 for line in fh if "\tB-" in line)
    assert n_ents == n_b  # valid IOB2: one entity per B- tag


@pytest.mark.shared_data
def test_wnut17_train_tab_only_separators():
    path = _need(WNUT / "wnut17train.conll")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exs = read_conll(path)
    assert len(exs) == 3394
    assert sum(len(e.tokens) for e in exs) == 62730


@pytest.mark.shared_data
def test_wnut17_round_trip(tmp_path):
    src = _need(WNUT / "emerging.dev.conll")
    exs = read_conll(src)
    out = tmp_path / src.name
    write_conll(exs, out)
    assert read_conll(out) == exs
