"""End-to-end: nlperr analyze ner / classification write summary.json with the contract keys."""

from __future__ import annotations

import json

import pytest

from nlperr.cli import main

CONLL = """EU\tB-ORG\tB-ORG
rejects\tO\tO
German\tB-MISC\tB-PER
call\tO\tO
.\tO\tO

Peter\tB-PER\tB-PER
Blackburn\tI-PER\tO

BRUSSELS\tB-LOC\tB-LOC
1996-08-22\tO\tB-MISC
"""


def test_analyze_ner_single_file(tmp_path):
    f = tmp_path / "pred.conll"
    f.write_text(CONLL, encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["analyze", "ner", "--gold", str(f), "--out", str(out), "--n-boot", "50",
               "--format", "conll"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(s["overall"]) == {"precision", "recall", "f1"}
    assert s["overall"]["precision"] == pytest.approx(2 / 5)
    assert s["overall"]["recall"] == pytest.approx(2 / 4)
    assert set(s["per_type"]["PER"]) == {"precision", "recall", "f1", "support"}
    assert set(s["errors"]) == {"correct", "type", "boundary", "type_boundary", "missed",
                                "spurious", "merged", "split"}
    assert s["errors"]["type"] == 1 and s["errors"]["boundary"] == 1
    assert s["errors"]["spurious"] == 1
    for schema in ("strict", "exact", "partial", "type"):
        assert set(s["semeval"][schema]) == {"correct", "incorrect", "partial", "missed",
                                             "spurious", "precision", "recall", "f1"}
    assert s["confused_pairs"] == [{"gold": "MISC", "pred": "PER", "count": 1}]
    assert (out / "summary.md").read_text(encoding="utf-8").startswith("# nlperr analysis")
    assert (out / "entity_errors.csv").exists()


def test_analyze_ner_two_files_baseline_and_train(tmp_path):
    f = tmp_path / "pred.conll"
    f.write_text(CONLL, encoding="utf-8")
    gold = tmp_path / "gold.conll"
    gold.write_text("\n".join("\t".join(l.split("\t")[:2]) if l else l
                              for l in CONLL.splitlines()) + "\n", encoding="utf-8")
    out = tmp_path / "out2"
    rc = main(["analyze", "ner", "--gold", str(gold), "--pred", str(f), "--baseline", str(gold),
               "--train", str(gold), "--format", "conll", "--out", str(out), "--n-boot", "50",
               "--group", "PER,MISC", "--no-parquet"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["baseline"]["outcomes"]["broken"] >= 1
    assert "PER|MISC" in s["groups"]
    assert not list(out.glob("*.parquet"))


def test_analyze_ner_errors(tmp_path, capsys):
    f = tmp_path / "a.conll"
    f.write_text(CONLL, encoding="utf-8")
    g = tmp_path / "b.conll"
    g.write_text("Other\tO\n", encoding="utf-8")
    rc = main(["analyze", "ner", "--gold", str(f), "--pred", str(g), "--format", "conll",
               "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "E501" in capsys.readouterr().err
    rc = main(["analyze", "ner", "--gold", str(tmp_path / "missing.conll"), "--out",
               str(tmp_path / "o")])
    assert rc == 2


def test_analyze_classification_csv(tmp_path):
    f = tmp_path / "pred.csv"
    f.write_text("text,label,pred_label,prob_neg,prob_pos\n"
                 "great film,pos,pos,0.1,0.9\nawful,neg,pos,0.3,0.7\n"
                 "not bad,pos,neg,0.6,0.4\nfine,pos,pos,0.2,0.8\n", encoding="utf-8")
    out = tmp_path / "c"
    rc = main(["analyze", "classification", "--gold", str(f), "--out", str(out),
               "--n-boot", "20"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["accuracy"] == pytest.approx(0.5)
    assert "ece" in s["calibration"] and set(s["per_class"]) == {"neg", "pos"}
