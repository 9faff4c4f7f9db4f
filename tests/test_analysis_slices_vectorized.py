"""The vectorized built-in slice attributes equal the per-entity reference functions, and the
grouped Poisson bootstrap agrees with a plain multinomial bootstrap over examples."""

from __future__ import annotations

import random
import warnings

import numpy as np
import pandas as pd
import pytest

from nlperr.analysis import analyze_ner, register_slice, slice_table, unregister_slice, worst_slices
from nlperr.analysis import slices as S
from nlperr.analysis._arrays import flatten_pair
from nlperr.analysis.matching import taxonomy
from nlperr.data import Example, Span, Token
from nlperr.errors import RepairWarning

# words chosen to hit every branch: cases, digits, dates, negation / contrast words and the
# characters whose lower case is special (U+0130 lengthens, Kelvin sign, long s)
WORDS = ["Paris", "PARIS", "paris", "McDonald", "eBay", "A", "a", "x1", "2019", "12/05/2020",
         "3rd", "May", "jan.", "Jan", "NOT", "not", "No", "never", "don't", "can’t", "But",
         "however", "Still", "yet", "İstanbul", "İbut", "\u212aelvin", "ſtill", "Σίσυφος",
         "ΟΔΟΣ", "東京", "_", "--", "¡", "١٢", "²", "ǅemal", "ⅰⅱ", "Ⓐb", "new\nline", "O'Neil",
         "nothing", "nobody", "whereas", "nonetheless", "butter", "snot", "n't"]


def _text(rng, n):
    seps = [" ", " ", " ", "  ", "\t", "\n"]
    parts, toks, pos = [], [], 0
    lead = rng.choice(["", "", " ", "\n "])
    parts.append(lead)
    pos += len(lead)
    for k in range(n):
        w = rng.choice(WORDS)
        toks.append(Token(w, pos, pos + len(w)))
        parts.append(w)
        pos += len(w)
        if k < n - 1:
            s = rng.choice(seps)
            parts.append(s)
            pos += len(s)
    trail = rng.choice(["", "", " "])
    parts.append(trail)
    return "".join(parts), tuple(toks)


def _spans(rng, text, toks, aligned):
    out, pos = [], 0
    labels = ["PER", "LOC", "ORG"]
    if aligned and toks:
        i = 0
        while i < len(toks):
            if rng.random() < 0.4:
                j = min(len(toks), i + rng.randint(1, 3))
                out.append(Span(toks[i].start, toks[j - 1].end, rng.choice(labels),
                                round(rng.random(), 3)))
                i = j + rng.randint(0, 1)
            else:
                i += 1
        return tuple(out)
    while pos < len(text):
        s = rng.randint(pos, len(text))
        e = min(len(text), s + rng.randint(1, 12))
        if s < e and rng.random() < 0.6:
            out.append(Span(s, e, rng.choice(labels), round(rng.random(), 3)))
        pos = e + rng.randint(0, 4)
    return tuple(out)


def random_corpus(seed: int, n: int = 300):
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        text, toks = _text(rng, rng.randint(0, 14))
        kind = rng.random()
        aligned = rng.random() < 0.7
        if kind < 0.15:
            toks_used = None           # untokenized: whitespace words
        elif kind < 0.2:
            toks_used = ()             # empty token tuple
        elif kind < 0.25 and len(toks) > 2:
            toks_used = (toks[1], toks[0]) + toks[2:]   # unsorted tokens: the slow path
        else:
            toks_used = toks
        g = Example(text, tokens=toks_used, spans=_spans(rng, text, toks, aligned), id=f"e{i}")
        if rng.random() < 0.5:        # predictions: perturbed gold
            sp = [s for s in g.spans if rng.random() < 0.7]
            sp = [Span(s.start, s.end, rng.choice(["PER", "LOC", "ORG"]), s.score)
                  if rng.random() < 0.2 else s for s in sp]
        else:
            sp = list(_spans(rng, text, toks, rng.random() < 0.5))
        gold.append(g)
        pred.append(g.copy(spans=tuple(sp)))
    return gold, pred


BUILTIN_NER = ["entity_length_tokens", "entity_length_chars", "capitalization", "position",
               "shape", "sentence_length", "entity_density", "negation", "contrast",
               "seen_in_train", "train_overlap", "train_frequency", "label_consistency",
               "oov_share"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vectorized_tables_equal_reference(seed):
    gold, pred = random_corpus(seed)
    train, _ = random_corpus(seed + 100, 150)
    st = S.train_stats(train)
    assert all(S._REGISTRY[a].vectorized is not None for a in BUILTIN_NER)
    fast = S._tables(gold, pred, "ner", BUILTIN_NER, st, n_boot=200, seed=seed)
    ref = S._tables(gold, pred, "ner", BUILTIN_NER, st, n_boot=200, seed=seed, reference=True)
    for a in BUILTIN_NER:
        pd.testing.assert_frame_equal(fast[a], ref[a], check_exact=True, obj=a)
        assert fast[a]["support"].sum() == sum(len(e.spans) for e in gold)
        assert fast[a]["predicted"].sum() == sum(len(e.spans) for e in pred)


def test_vectorized_values_equal_reference_per_entity():
    """Value by value, not only the aggregated tables."""
    gold, pred = random_corpus(7, 400)
    st = S.train_stats(random_corpus(8, 100)[0])
    tax = taxonomy(flatten_pair(gold, pred))
    d = S._SliceData(gold, pred, tax, S.SliceContext(train=st))
    for a in BUILTIN_NER:
        att = S._get_attribute(a)
        fn, fr, fp = S._ner_codes(att, d, None)
        rn, rr, rp = S._ner_codes(att, d, None, reference=True)
        assert fn == rn, a
        assert np.array_equal(fr, rr) and np.array_equal(fp, rp), a


def test_classification_text_attributes_equal_reference():
    rng = random.Random(5)
    gold, pred = [], []
    for i in range(300):
        text = _text(rng, rng.randint(0, 10))[0]
        gold.append(Example(text, label=rng.choice("ab")))
        pred.append(Example(text, label=rng.choice("ab")))
    names = ["negation", "contrast", "length"]
    fast = S._tables(gold, pred, "classification", names, None, n_boot=100)
    ref = S._tables(gold, pred, "classification", names, None, n_boot=100, reference=True)
    for a in names:
        pd.testing.assert_frame_equal(fast[a], ref[a], check_exact=True, obj=a)
    assert set(fast["negation"]["value"]) == {"yes", "no"}


def test_user_function_keeps_the_per_entity_path():
    gold, pred = random_corpus(3, 120)
    calls = []

    def caps_again(ex, sp):
        calls.append(1)
        return S._caps(ex, sp)
    register_slice("caps_again", caps_again)
    try:
        mine = slice_table(gold, pred, "caps_again", n_boot=0)
    finally:
        unregister_slice("caps_again")
    assert len(calls) == sum(len(e.spans) for e in gold) + sum(len(e.spans) for e in pred)
    builtin = slice_table(gold, pred, "capitalization", n_boot=0)
    pd.testing.assert_frame_equal(mine.drop(columns="attribute"),
                                  builtin.drop(columns="attribute"))
    # re-registering a built-in name with a user function drops the vectorized twin
    register_slice("capitalization", lambda ex, sp: "same")
    try:
        assert slice_table(gold, pred, "capitalization", n_boot=0)["value"].tolist() == ["same"]
    finally:
        S._register_builtins()
        for name, fn in S._VECTORIZED.items():
            S._REGISTRY[name].vectorized = fn


def test_slice_table_and_worst_slices_share_the_bootstrap():
    gold, pred = random_corpus(4, 200)
    one = slice_table(gold, pred, "capitalization", n_boot=150, seed=3)
    ws = worst_slices(gold, pred, attributes=["shape", "capitalization"], n_boot=150, seed=3)
    ws = ws[ws["attribute"] == "capitalization"].set_index("value").loc[one["value"]]
    assert np.allclose(ws["ci_low"], one["ci_low"], equal_nan=True)
    assert np.allclose(ws["ci_high"], one["ci_high"], equal_nan=True)


def test_group_rows_is_exact():
    rng = np.random.default_rng(0)
    M = rng.integers(0, 3, size=(2000, 6))
    first, inv, cnt = S._group_rows(M)
    assert np.array_equal(M[first][inv], M)
    assert len(first) == len(np.unique(M, axis=0)) and cnt.sum() == len(M)


def _multinomial_ci(gold, pred, attribute, n_boot, seed):
    """Plain reference: multinomial resampling of examples, dense per-example statistics."""
    tax = taxonomy(flatten_pair(gold, pred))
    d = S._SliceData(gold, pred, tax, S.SliceContext())
    names, gc, pc = S._ner_codes(S._get_attribute(attribute), d, None)
    K, n = len(names), len(gold)
    g, p = tax.flat.gold, tax.flat.pred
    X = np.zeros((n, K, 4))
    np.add.at(X, (g.ex, gc, 0), tax.exact_gold)
    np.add.at(X, (g.ex, gc, 1), 1)
    np.add.at(X, (p.ex, pc, 2), tax.exact_pred)
    np.add.at(X, (p.ex, pc, 3), 1)
    r = np.random.default_rng(seed)
    W = np.stack([np.bincount(r.integers(0, n, n), minlength=n) for _ in range(n_boot)])
    T = np.einsum("bi,ikc->bkc", W, X)
    T = np.concatenate([T, T.sum(axis=1, keepdims=True)], axis=1)
    F = S._ner_f1(T)
    return names, S._summarize(F[:, :K] - F[:, K:])


def test_grouped_poisson_bootstrap_agrees_with_multinomial():
    from nlperr.analysis._stats import binom_cdf  # noqa: F401  (same module family)
    rng = random.Random(11)
    gold, pred = [], []
    for i in range(1500):
        words = ["Visit", "Paris", "with", "Anna", "Maria", "today"][:rng.randint(2, 6)]
        tags = ["O", "B-LOC", "O", "B-PER", "I-PER", "O"][:len(words)]
        if tags[-1] == "I-PER":
            tags[-1] = "O"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RepairWarning)
            ge = Example.from_tokens(words, tags)
        keep = [s for s in ge.spans if rng.random() < (0.9 if len(words) > 4 else 0.5)]
        gold.append(ge)
        pred.append(ge.copy(spans=tuple(keep)))
    ours = slice_table(gold, pred, "sentence_length", n_boot=3000, seed=1)
    names, (lo, hi, _) = _multinomial_ci(gold, pred, "sentence_length", 3000, 2)
    assert ours["value"].tolist() == names
    assert np.allclose(ours["ci_low"], lo, atol=0.01)
    assert np.allclose(ours["ci_high"], hi, atol=0.01)
    # the many-slices path (per-example weights) gives the same answer
    old = S._MAX_CELLS
    S._MAX_CELLS = 0
    try:
        sparse = slice_table(gold, pred, "sentence_length", n_boot=3000, seed=5)
    finally:
        S._MAX_CELLS = old
    assert np.allclose(sparse["ci_low"], lo, atol=0.01)
    assert np.allclose(sparse["ci_high"], hi, atol=0.01)


def test_report_slices_unchanged_by_the_shared_taxonomy():
    gold, pred = random_corpus(9, 150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = analyze_ner(gold, pred, n_boot=50, seed=2, zero_division=0)
    ws = worst_slices(gold, pred, n_boot=50, seed=2)
    pd.testing.assert_frame_equal(r.tables["worst_slices"], ws)


@pytest.mark.parametrize("seed", range(5))
def test_token_bounds_over_mixed_token_stores(seed):
    """Offsets read from several readers' stores (JSONL batches, CoNLL files), in any
    order and with gaps, from built tokens and from untokenized examples, equal the
    offsets of the built Tokens."""
    from nlperr.analysis._arrays import token_bounds
    from nlperr.data.example import TokenRange

    rng = random.Random(seed)
    stores = []
    for _ in range(3):
        n = rng.randint(1, 30)
        starts = np.arange(n, dtype=np.int64) * 3
        stores.append((starts, starts + 2, n))
    exs = []
    for _ in range(rng.randint(1, 25)):
        kind = rng.random()
        if kind < 0.15:
            exs.append(Example("x", id="none"))
            continue
        s, e, n = rng.choice(stores)
        a = rng.randint(0, n)
        b = rng.randint(a, n)
        text = "ab " * n
        if kind < 0.3:
            exs.append(Example(text, tokens=TokenRange(s, e, a, b).build(text)))
        else:
            ex = Example(text)
            ex._tokens = TokenRange(s, e, a, b)
            exs.append(ex)
        if rng.random() < 0.4 and exs[-1]._tokens.__class__ is TokenRange:
            nxt = Example(text)  # the next range of the same store
            nxt._tokens = TokenRange(s, e, b, min(n, b + 2))
            exs.append(nxt)
    count, starts, ends = token_bounds(exs)
    want = [ex.tokens for ex in exs]
    assert count.tolist() == [-1 if t is None else len(t) for t in want]
    assert starts.tolist() == [tok.start for t in want if t for tok in t]
    assert ends.tolist() == [tok.end for t in want if t for tok in t]
