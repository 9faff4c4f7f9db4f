"""Classification tables equal scikit-learn; calibration, outcomes, cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nlperr.analysis import (analyze_classification, calibration_table, classification_cases,
                             classification_confusion, classification_scores, example_outcomes,
                             expected_calibration_error)
from nlperr.data import Example
from nlperr.errors import InputError

sk = pytest.importorskip("sklearn.metrics")

LABELS = ["neg", "neu", "pos"]


def make(seed: int, n: int, with_probs: bool = True):
    rng = np.random.default_rng(seed)
    gold, pred = [], []
    words = ["good", "bad", "not", "but", "movie", "plot", "great", "awful", "the", "a"]
    for i in range(n):
        text = " ".join(rng.choice(words, size=int(rng.integers(1, 12))))
        g = LABELS[int(rng.integers(0, 3))]
        p = rng.dirichlet(np.ones(3)) if with_probs else None
        lab = LABELS[int(np.argmax(p))] if p is not None else LABELS[int(rng.integers(0, 3))]
        gold.append(Example(text, label=g, id=f"t{i}"))
        pred.append(Example(text, label=lab, id=f"t{i}",
                            probs=dict(zip(LABELS, p.tolist())) if p is not None else None))
    return gold, pred


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 60))
def test_scores_equal_sklearn(seed, n):
    gold, pred = make(seed, n, with_probs=False)
    yt = [e.label for e in gold]
    yp = [e.label for e in pred]
    ours = classification_scores(gold, pred, zero_division=0).set_index("label")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sk.classification_report(yt, yp, output_dict=True, zero_division=0)
        p, r, f, s = sk.precision_recall_fscore_support(yt, yp, zero_division=0)
    labels = sorted(set(yt) | set(yp))
    assert np.allclose(ours.loc[labels, "precision"], p)
    assert np.allclose(ours.loc[labels, "recall"], r)
    assert np.allclose(ours.loc[labels, "f1"], f)
    assert (ours.loc[labels, "support"].to_numpy() == s).all()
    assert ours.loc["accuracy", "f1"] == pytest.approx(ref["accuracy"])
    for avg in ("macro avg", "weighted avg"):
        for k, ok in (("precision", "precision"), ("recall", "recall"), ("f1-score", "f1")):
            assert ours.loc[avg, ok] == pytest.approx(ref[avg][k])
    cm = classification_confusion(gold, pred)
    assert (cm.to_numpy() == sk.confusion_matrix(yt, yp, labels=labels)).all()
    cmn = classification_confusion(gold, pred, normalize="true")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_n = np.nan_to_num(sk.confusion_matrix(yt, yp, labels=labels, normalize="true"))
    assert np.allclose(cmn.to_numpy(), ref_n)


def test_calibration_and_ece():
    gold, pred = make(3, 400)
    tab = calibration_table(gold, pred, n_bins=10)
    assert tab["count"].sum() == 400
    conf = np.array([p.probs[p.label] for p in pred])
    correct = np.array([g.label == p.label for g, p in zip(gold, pred)])
    # reference ECE computed directly
    edges = np.linspace(0, 1, 11)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(correct[m].mean() - conf[m].mean())
    assert expected_calibration_error(gold, pred, n_bins=10) == pytest.approx(ece)
    assert tab.attrs["ece"] == pytest.approx(ece)


def test_outcomes_margin_and_cases():
    gold = [Example("good movie", label="pos"), Example("bad", label="neg"),
            Example("good", label="pos"), Example("a long and winding text about the plot", label="neg")]
    pred = [Example("good movie", label="pos", probs={"pos": 0.55, "neg": 0.45}),
            Example("bad", label="pos", probs={"pos": 0.95, "neg": 0.05}),
            Example("good", label="pos", probs={"pos": 0.99, "neg": 0.01}),
            Example("a long and winding text about the plot", label="pos",
                    probs={"pos": 0.6, "neg": 0.4})]
    train = [Example(t, label="x") for t in ["good bad movie"] * 5]
    df = example_outcomes(gold, pred, train=train, easy_max_words=2, easy_min_freq=5)
    assert df["margin"].round(2).tolist() == [0.1, 0.9, 0.98, 0.2]
    assert df["easy"].tolist() == [True, True, True, False]
    c = classification_cases(gold, pred, train=train)
    assert c["low_confidence_correct"]["text"].tolist()[0] == "good movie"
    assert c["high_confidence_wrong"]["text"].tolist()[0] == "bad"
    assert "bad" in c["easy_wrong"]["text"].tolist()
    base = [g.copy(probs={g.label: 0.9, ("pos" if g.label == "neg" else "neg"): 0.1})
            for g in gold]
    c = classification_cases(gold, pred, baseline=base)
    assert c["disagreements"].iloc[0]["text"] == "bad"


def test_analyze_classification_report(tmp_path):
    gold, pred = make(5, 200)
    base, _ = make(6, 200)
    base = [b.copy(text=g.text, id=g.id) for b, g in zip(pred, gold)]
    rep = analyze_classification(gold, pred, baseline=base, n_boot=100)
    s = rep.summary
    assert 0 <= s["accuracy"] <= 1 and "calibration" in s and "per_class" in s
    assert s["baseline"]["outcomes"]["fixed"] == 0  # identical predictions
    rep.save(tmp_path)
    assert (tmp_path / "summary.json").exists() and (tmp_path / "scores.csv").exists()
    assert "# nlperr analysis (classification)" in rep.to_markdown()


def test_bad_classification_input():
    g = [Example("a", label="x")]
    with pytest.raises(InputError, match="E503"):
        classification_scores(g, [Example("a")])
    with pytest.raises(InputError, match="E502"):
        classification_scores(g, [Example("b", label="x")])
    with pytest.raises(InputError, match="normalize"):
        classification_confusion(g, g, normalize="rows")
