"""Slice registry, slice tables with bootstrap CIs, worst-slice search, baseline comparison."""

from __future__ import annotations

import random

import numpy as np
import pytest

from nlperr.analysis import (benjamini_hochberg, compare_classification, compare_ner,
                             mcnemar_test, ner_cases, register_slice, slice_attributes,
                             slice_table, span_meta, unregister_slice, worst_slices)
from nlperr.data import Example, Span
from nlperr.errors import InputError


def corpus(n=300, seed=0):
    """Gold PER/LOC sentences; the model misses most entities in sentences from source 'ocr'
    and is right elsewhere."""
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        src = "ocr" if i % 4 == 0 else "clean"
        words = ["Visit", "Paris", "with", "Anna", "Maria", "today"]
        g = Example.from_tokens(words, ["O", "B-LOC", "O", "B-PER", "I-PER", "O"], id=f"e{i}",
                                meta={"source": src})
        led = 0.4 if src == "ocr" else 0.0
        g = g.copy(spans=tuple(Span(s.start, s.end, s.label, meta={"LED": led})
                               for s in g.spans))
        keep = [s for s in g.spans if not (src == "ocr" and rng.random() < 0.8)]
        pred.append(g.copy(spans=tuple(Span(s.start, s.end, s.label, 0.9) for s in keep)))
        gold.append(g)
    return gold, pred


def test_registry_and_builtins():
    names = slice_attributes("ner")
    for n in ("entity_length_tokens", "capitalization", "seen_in_train", "sentence_length",
              "shape", "entity_density"):
        assert n in names
    assert {"length", "negation", "contrast", "confidence"} <= set(slice_attributes("classification"))
    with pytest.raises(InputError, match="E505"):
        slice_table([], [], "no_such_attribute")


def test_meta_slice_finds_bad_source_and_ci():
    gold, pred = corpus()
    df = slice_table(gold, pred, "meta:source", n_boot=300, seed=1).set_index("value")
    assert df.loc["ocr", "recall"] < 0.4 and df.loc["clean", "recall"] == 1.0
    assert df.loc["ocr", "worse"] and df.loc["ocr", "ci_high"] < 0
    assert df.loc["clean", "ci_low"] > 0
    assert df.loc["ocr", "missed"] > 0 and df.loc["clean", "correct"] == 225 * 2
    again = slice_table(gold, pred, "meta:source", n_boot=300, seed=1)
    assert np.allclose(again["ci_low"], df["ci_low"].to_numpy())  # seeded


def test_led_bucket_in_one_call():
    gold, pred = corpus()
    register_slice("led_test", span_meta("LED"), bins=[0, 0.05, 0.2, 1.0])
    try:
        df = slice_table(gold, pred, "led_test", n_boot=0).set_index("value")
    finally:
        unregister_slice("led_test")
    assert len(df) == 2
    low, high = df.index[0], df.index[1]
    assert df.loc[low, "f1"] == 1.0 and df.loc[high, "f1"] < 0.5
    # predictions carry no meta: they take the LED of the matched gold entity
    assert df["predicted"].sum() == sum(len(p.spans) for p in pred)
    assert slice_table(gold, pred, "span_meta:LED", n_boot=0).shape[0] == 2


def test_user_function_with_context_and_train():
    gold, pred = corpus(40)
    train = gold[:10]
    df = slice_table(gold, pred, "seen_in_train", train=train, n_boot=0)
    assert df["value"].tolist() == ["seen"]
    with pytest.raises(InputError, match="E506"):
        slice_table(gold, pred, "seen_in_train", n_boot=0)
    register_slice("first_letter", lambda ex, sp, ctx: ex.text[sp.start], level="entity")
    try:
        df = slice_table(gold, pred, "first_letter", n_boot=0)
        assert set(df["value"]) == {"P", "A"}
    finally:
        unregister_slice("first_letter")


def test_worst_slices_bh():
    gold, pred = corpus()
    ws = worst_slices(gold, pred, attributes=["meta:source", "entity_length_tokens", "shape"],
                      n_boot=300)
    top = ws.iloc[0]
    assert (top["attribute"], top["value"]) == ("meta:source", "ocr") and top["significant"]
    assert ws["q_value"].dropna().between(0, 1).all()


def test_benjamini_hochberg_reference():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    q = benjamini_hochberg(p)
    # hand computation: sorted p .005 .01 .03 .04 .5 -> .025 .025 .05 .05 .5
    assert np.allclose(q, [0.025, 0.05, 0.05, 0.025, 0.5])


def test_mcnemar_exact_matches_binomial():
    # b=1, c=9: two-sided exact p = 2 * P(X <= 1 | n=10, 0.5) = 2 * 11 / 1024
    assert mcnemar_test(1, 9) == pytest.approx(22 / 1024)
    assert mcnemar_test(0, 0) == 1.0
    assert mcnemar_test(5, 5) == 1.0
    scipy_stats = pytest.importorskip("scipy.stats")
    for b, c in [(3, 17), (40, 61), (0, 6)]:
        ref = scipy_stats.binomtest(min(b, c), b + c, 0.5).pvalue
        assert mcnemar_test(b, c) == pytest.approx(ref)
    chi = mcnemar_test(40, 61, method="chi2")
    assert chi == pytest.approx(scipy_stats.chi2.sf((abs(40 - 61) - 1) ** 2 / 101, 1))


def test_compare_ner_fixed_broken_and_baseline_wins():
    gold, pred = corpus()
    res = compare_ner(gold, gold, pred, n_boot=200, slices=("entity_length_tokens",))
    c = res.counts()
    assert c["broken"] == 0 and c["fixed"] > 0 and c["both_wrong"] == 0
    assert res.mcnemar["p_value"] < 1e-6 and res.mcnemar["fixed"] > 0
    ov = res.per_type.set_index("label").loc["overall"]
    assert ov["delta"] > 0 and ov["ci_low"] > 0 and ov["significant"]
    rev = compare_ner(gold, pred, gold, n_boot=200)
    assert len(rev.baseline_wins) and (rev.baseline_wins["delta"] < 0).all()
    assert rev.counts()["broken"] == c["fixed"]
    cases = ner_cases(gold, pred, baseline=gold)
    assert len(cases["disagreements"]) and cases["disagreements"]["disagreements"].min() >= 1


def test_compare_classification_and_mismatch():
    gold = [Example(f"text {i}", label="a" if i % 2 else "b") for i in range(30)]
    model = [g.copy() for g in gold]
    base = [g.copy(label="a") for g in gold]
    res = compare_classification(gold, model, base, n_boot=100)
    assert res.counts() == {"fixed": 15, "broken": 0, "both_right": 15, "both_wrong": 0}
    assert res.mcnemar["p_value"] == pytest.approx(2 * 0.5 ** 15)
    with pytest.raises(InputError, match="E509"):
        compare_classification(gold, model, base[:-1])


def test_tiny_slice_with_no_hit_is_not_called_significant():
    """A 4-entity slice with F1 0 is degenerate for the bootstrap (every replicate scores 0);
    the exact binomial check keeps it from being flagged, a large bad slice still is."""
    rng = random.Random(3)
    gold, pred = [], []
    for i in range(200):
        words = ["Visit", "Paris", "with", "Anna", "today"]
        tags = ["O", "B-LOC", "O", "B-PER", "O"]
        kind = "rare" if i < 2 else ("bad" if i < 60 else "ok")
        g = Example.from_tokens(words, tags, id=f"e{i}", meta={"kind": kind})
        if kind == "rare" or kind == "bad":
            keep = [] if kind == "rare" else [s for s in g.spans if rng.random() < 0.05]
        else:
            keep = [s for s in g.spans if rng.random() < 0.4]
        gold.append(g)
        pred.append(g.copy(spans=tuple(keep)))
    ws = worst_slices(gold, pred, attributes=["meta:kind"], n_boot=300, seed=0,
                      min_support=1).set_index("value")
    assert ws.loc["rare", "f1"] == 0.0 and ws.loc["rare", "ci_high"] < 0  # degenerate CI
    assert ws.loc["rare", "p_exact"] > 0.05
    assert not ws.loc["rare", "worse"] and not ws.loc["rare", "significant"]
    assert ws.loc["bad", "worse"] and ws.loc["bad", "significant"]
    assert ws.loc["bad", "p_worse"] >= ws.loc["bad", "p_exact"]
    # default min_support (10) leaves the 4-entity slice untested
    ws = worst_slices(gold, pred, attributes=["meta:kind"], n_boot=100, seed=0).set_index("value")
    assert np.isnan(ws.loc["rare", "q_value"])


def test_exact_p_value_equals_binomial_tail():
    from nlperr.analysis._stats import binom_cdf
    scipy_stats = pytest.importorskip("scipy.stats")
    k = np.array([0, 3, 10, 50, 4000, 7])
    n = np.array([9, 20, 30, 200, 20000, 7])
    assert np.allclose(binom_cdf(k, n, 0.2), scipy_stats.binom.cdf(k, n, 0.2), atol=1e-9)
