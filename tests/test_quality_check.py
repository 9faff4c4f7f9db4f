"""check_data, its result (save / load, figure) and the ``nlperr data`` CLI."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from _quality_helpers import near_copy, sentiment, wnut
from nlperr import write_conll
from nlperr.data import Example
from nlperr.errors import InputError
from nlperr.quality import DataQualityResult, check_data
from nlperr.results import load


@pytest.fixture(scope="module")
def ner_splits(shared_data):
    rng = random.Random(0)
    train = wnut(shared_data, "wnut17train.conll")[:1500]
    test = list(wnut(shared_data, "emerging.test.annotated")[:300])
    long_ = [e for e in train if len(e.tokens) >= 12]
    test += [near_copy(e, rng, str(k), k=1) for k, e in enumerate(rng.sample(long_, 12))]
    test += rng.sample(train, 5)                 # exact copies, with their entities
    dev = wnut(shared_data, "emerging.dev.conll")[:200]
    return train, dev, test


def test_check_data_ner(ner_splits):
    train, dev, test = ner_splits
    r = check_data(train, test, dev=dev)
    s = r.summary
    assert s["task"] == "ner" and s["splits"] == {"train": 1500, "dev": 200, "test": len(test)}
    assert s["duplicates"]["exact"] >= 5 and s["duplicates"]["near"] >= 11
    eo = s["entity_overlap"]
    assert eo["seen"] + eo["seen_other_type"] + eo["unseen"] == eo["mentions"]
    assert eo["seen"] == sum(len(e.spans) for e in test[-5:])     # only the exact copies
    assert s["inconsistent_strings"] == len(r.tables["inconsistencies"])
    assert {"inconsistencies", "near_duplicates", "entity_overlap", "cue_words",
            "exact_duplicates", "split_stats", "split_tests"} <= set(r.tables)
    assert set(r.tables["near_duplicates"]["split"]) <= {"dev", "test"}
    msgs = " ".join(f.message for f in r.findings)
    assert "exact copies of train examples" in msgs and "near-duplicates" in msgs
    st = r.tables["split_stats"].set_index("split")
    assert np.isnan(st.loc["train", "oov_tokens"]) and 0 < st.loc["test", "oov_tokens"] < 1


def test_check_data_classification(shared_data):
    ex = sentiment(shared_data, ("amazon_cells_labelled.txt", "yelp_labelled.txt"))
    rng = random.Random(3)
    rng.shuffle(ex)
    train, test = ex[:1500], ex[1500:]
    train = [e.copy(text=e.text + " qzx") if e.label == "1" and rng.random() < 0.3 else e
             for e in train]
    r = check_data(train, test + train[:4], task="classification")
    assert r.summary["duplicates"]["exact"] >= 4
    assert r.summary["entity_overlap"] == {"mentions": 0, "seen": 0, "seen_other_type": 0,
                                           "unseen": 0}
    top = r.tables["cue_words"].iloc[0]
    assert (top["word"], top["label"]) == ("qzx", "1")
    assert "qzx" in r.findings[[f.metric for f in r.findings].index("cue_words.z")].message


def test_save_load_roundtrip(ner_splits, tmp_path):
    train, dev, test = ner_splits
    r = check_data(train, test, dev=dev)
    r.save(tmp_path, formats=("json", "csv"))
    back = load(tmp_path)
    assert isinstance(back, DataQualityResult)
    assert back.summary == json.loads(r.to_json())
    for name, df in r.tables.items():
        pd.testing.assert_frame_equal(back.tables[name].reset_index(drop=True),
                                      df.reset_index(drop=True), check_dtype=False)
    assert [f.message for f in back.findings] == [f.message for f in r.findings]


def test_entity_overlap_figure(ner_splits):
    pytest.importorskip("matplotlib")
    train, _, test = ner_splits
    r = check_data(train, test)
    fig = r.figures["entity_overlap"]()
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    t = r.tables["entity_overlap"]
    expected = np.concatenate([t[c].fillna(0).to_numpy() for c in
                               ("seen_share", "seen_other_type_share", "unseen_share")])
    np.testing.assert_allclose(widths, expected)
    from matplotlib.figure import Figure
    f2 = Figure()
    assert r.figures["entity_overlap"](ax=f2.add_subplot()) is f2


def test_check_data_errors():
    ex = [Example.from_tokens(["a"], ["O"])]
    with pytest.raises(InputError, match="E954"):
        check_data(ex, [])
    with pytest.raises(InputError, match="E951"):
        check_data(ex, ex, task="ner")
    with pytest.raises(InputError, match="E207"):
        check_data(ex, ex, task="ocr")
    with pytest.raises(InputError, match="E951"):
        check_data([Example("a")], [Example("b")], task="classification")


def _run(*args):
    return subprocess.run([sys.executable, "-m", "nlperr", "data", *args], capture_output=True,
                          text=True)


def test_cli_data_check_contract(ner_splits, tmp_path):
    train, dev, test = ner_splits
    write_conll(train, tmp_path / "train.conll")
    write_conll(test, tmp_path / "test.conll")
    out = tmp_path / "out"
    p = _run("check", "--train", str(tmp_path / "train.conll"), "--test",
             str(tmp_path / "test.conll"), "--out", str(out))
    assert p.returncode == 0, p.stderr
    s = json.loads((out / "summary.json").read_text())
    assert set(s["duplicates"]) >= {"exact", "near"}
    assert set(s["entity_overlap"]) >= {"mentions", "seen", "seen_other_type", "unseen"}
    assert isinstance(s["inconsistent_strings"], int)
    for name in ("inconsistencies", "near_duplicates", "entity_overlap", "cue_words"):
        assert (out / f"{name}.csv").is_file()
    ref = check_data(train, test)
    assert s["duplicates"] == ref.summary["duplicates"]
    assert s["entity_overlap"] == ref.summary["entity_overlap"]


def test_cli_exit_codes(ner_splits, tmp_path, capsys):
    from nlperr.cli import main
    train, _, test = ner_splits
    write_conll(train[:300], tmp_path / "train.conll")
    write_conll(test, tmp_path / "test.conll")
    args = ["data", "check", "--train", str(tmp_path / "train.conll"), "--test",
            str(tmp_path / "test.conll"), "--out", str(tmp_path / "out")]
    assert main(args) == 0
    write_conll(train[:300] + test[-5:], tmp_path / "train.conll")
    assert main(args + ["--fail-on-duplicates"]) == 1
    args[3] = str(tmp_path / "nope.conll")
    assert main(args) == 2
    assert "E011" in capsys.readouterr().err
    assert main(["data", "check", "--train", str(tmp_path / "test.conll"), "--test",
                 str(tmp_path / "test.conll"), "--out", str(tmp_path / "o"),
                 "--near-threshold", "2"]) == 2
    assert "E950" in capsys.readouterr().err


def test_cli_label_issues_csv(tmp_path):
    from nlperr.cli import main
    gold = tmp_path / "gold.csv"
    pred = tmp_path / "pred.csv"
    gold.write_text("text,label\ngood phone,pos\nbad phone,neg\nawful,pos\nnice,pos\n",
                    encoding="utf-8")
    pred.write_text("text,pred_label,prob_pos,prob_neg\ngood phone,pos,0.9,0.1\n"
                    "bad phone,neg,0.2,0.8\nawful,neg,0.05,0.95\nnice,pos,0.8,0.2\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    assert main(["data", "label-issues", "--gold", str(gold), "--pred", str(pred), "--out",
                 str(out)]) == 0
    df = pd.read_csv(out / "label_issues.csv")
    assert df.loc[0, "text"] == "awful" and bool(df.loc[0, "flagged"])
    s = json.loads((out / "summary.json").read_text())
    assert s["method"] == "confident_learning" and s["n_flagged"] == 1


def test_cli_label_issues_conll_without_scores(shared_data, tmp_path, capsys):
    from nlperr.cli import main
    gold = wnut(shared_data, "emerging.dev.conll")[:100]
    pred = [g.copy(spans=tuple(g.spans[1:])) for g in gold]
    write_conll(gold, tmp_path / "gold.conll")
    write_conll(pred, tmp_path / "pred.conll")
    out = tmp_path / "out"
    assert main(["data", "label-issues", "--gold", str(tmp_path / "gold.conll"), "--pred",
                 str(tmp_path / "pred.conll"), "--out", str(out)]) == 0
    assert "W950" in capsys.readouterr().err
    df = pd.read_csv(out / "label_issues.csv")
    assert set(df["kind"]) == {"spurious"}
    assert len(df) == sum(1 for g in gold if g.spans)


def test_cli_data_check_classification_csv(shared_data, tmp_path):
    import csv
    from nlperr.cli import main
    ex = sentiment(shared_data, ("yelp_labelled.txt",))
    for name, part in (("train", ex[:700]), ("test", ex[700:] + ex[:5])):
        with open(tmp_path / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "label"])
            w.writerows([e.text, e.label] for e in part)
    out = tmp_path / "out"
    assert main(["data", "check", "--train", str(tmp_path / "train.csv"), "--test",
                 str(tmp_path / "test.csv"), "--out", str(out)]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["task"] == "classification" and s["duplicates"]["exact"] >= 5
    cues = pd.read_csv(out / "cue_words.csv")
    assert {"label", "word", "z", "q_value", "significant"} <= set(cues.columns)
