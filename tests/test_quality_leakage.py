"""Leakage: exact / near duplicates and entity overlap, against brute force and planted copies."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _quality_helpers import near_copy, wnut
from nlperr.analysis import analyze_ner
from nlperr.data import Example
from nlperr.errors import InputError
from nlperr.quality import (entity_overlap, exact_duplicates, jaccard, lsh_bands, near_duplicates,
                            shingles)
from nlperr.quality._text import normalize_text
from nlperr.quality.leakage import RECALL_TARGET


def _brute_pairs(a, b, threshold, ngram=1):
    """Every (b index, a index) pair with Jaccard >= threshold, exactly (no hashing, no
    sampling).  Prefix filter: J(A, B) >= t implies |A & B| >= ceil(t |A|), so any
    |A| - ceil(t |A|) + 1 shingles of A hold a shared one; only train sets holding one
    of those (an inverted index) are compared."""
    sa = [shingles(e.text, ngram) for e in a]
    sb = [shingles(e.text, ngram) for e in b]
    index = defaultdict(set)
    for j, y in enumerate(sa):
        for x in y:
            index[x].add(j)
    out = {}
    for i, x in enumerate(sb):
        keep = len(x) - math.ceil(threshold * len(x) - 1e-9) + 1
        prefix = sorted(x, key=lambda w: (len(index.get(w, ())), w))[:keep]
        for j in set().union(*[index.get(w, set()) for w in prefix]) if x else ():
            v = jaccard(x, sa[j])
            if v >= threshold:
                out[(i, j)] = v
    return out


def test_brute_force_helper_equals_all_pairs():
    rng = random.Random(3)
    a = [Example(" ".join(rng.choices("abcdefg", k=rng.randint(0, 6)))) for _ in range(40)]
    b = [Example(" ".join(rng.choices("abcdefg", k=rng.randint(0, 6)))) for _ in range(40)]
    sa = [shingles(e.text) for e in a]
    sb = [shingles(e.text) for e in b]
    allpairs = {(i, j) for i, x in enumerate(sb) for j, y in enumerate(sa)
                if x and y and jaccard(x, y) >= 0.5}
    assert set(_brute_pairs(a, b, 0.5)) == allpairs


def test_shingles_and_jaccard():
    assert shingles("A b, a!") == frozenset({"a", "b"})
    assert shingles("one", 3) == frozenset({"one"})
    assert shingles("  ", 1) == frozenset()
    assert jaccard(frozenset("ab"), frozenset("bc")) == pytest.approx(1 / 3)
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_lsh_bands_reach_the_target_at_the_threshold():
    for t in (0.5, 0.6, 0.8, 0.9):
        b, r = lsh_bands(t, 128)
        assert b * r <= 128
        assert 1 - (1 - t ** r) ** b >= RECALL_TARGET
        if r < 128 and 128 // (r + 1) >= 1:   # one more row per band would miss the target
            b2 = 128 // (r + 1)
            assert 1 - (1 - t ** (r + 1)) ** b2 < RECALL_TARGET


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, "0.5", True])
def test_threshold_is_checked(bad):
    with pytest.raises(InputError, match="E950"):
        near_duplicates([Example("a b")], [Example("a b")], threshold=bad)


def test_num_perm_and_ngram_are_checked():
    with pytest.raises(InputError, match="E950"):
        near_duplicates([Example("a b")], num_perm=0)
    with pytest.raises(InputError, match="E950"):
        near_duplicates([Example("a b")], ngram=0)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.sampled_from("abcdefghij"), min_size=0, max_size=8), min_size=1,
                max_size=25),
       st.lists(st.lists(st.sampled_from("abcdefghij"), min_size=0, max_size=8), min_size=1,
                max_size=25),
       st.sampled_from([0.3, 0.5, 0.8, 1.0]), st.integers(1, 2))
def test_near_duplicates_never_report_false_pairs(train, test, threshold, ngram):
    tr = [Example(" ".join(w)) for w in train]
    te = [Example(" ".join(w)) for w in test]
    got = near_duplicates(tr, te, threshold=threshold, ngram=ngram)
    brute = _brute_pairs(tr, te, threshold, ngram)
    for r in got.itertuples(index=False):
        assert (r.index, r.train_index) in brute
        assert r.jaccard == pytest.approx(brute[(r.index, r.train_index)])
        same = normalize_text(te[r.index].text) == normalize_text(tr[r.train_index].text)
        assert r.exact == same
    assert len(set(zip(got["index"], got["train_index"]))) == len(got)


def test_within_one_set():
    ex = [Example("the cat sat on the mat today"), Example("the cat sat on the mat now"),
          Example("something else entirely here"), Example("the cat sat on the mat today")]
    got = near_duplicates(ex, threshold=0.6)
    pairs = set(zip(got["index"], got["train_index"]))
    assert pairs == {(0, 1), (0, 3), (1, 3)}
    assert got.loc[got["jaccard"] == 1.0, "exact"].all()


def test_exact_duplicates_normalise_case_and_space():
    tr = [Example("Hello   World"), Example("hello world"), Example("other")]
    te = [Example("HELLO world "), Example("nothing"), Example("")]
    df = exact_duplicates(tr, te)
    assert df[["index", "train_index", "n_copies"]].values.tolist() == [[0, 0, 2]]


@pytest.fixture(scope="module")
def planted(shared_data):
    rng = random.Random(0)
    train = wnut(shared_data, "wnut17train.conll")
    test = wnut(shared_data, "emerging.test.annotated")
    long_ = [i for i, e in enumerate(train) if len(shingles(e.text)) >= 8]
    picks = rng.sample(long_, 150)
    copies = [near_copy(train[i], rng, str(k)) for k, i in enumerate(picks)]
    exact = rng.sample(range(len(train)), 20)
    test_all = list(test) + copies + [train[i] for i in exact]
    return train, test, test_all, picks, exact


def test_planted_near_copies_are_found(planted):
    train, test, test_all, picks, exact = planted
    got = near_duplicates(train, test_all)
    n0 = len(test)
    found = set(zip(got["index"], got["train_index"]))
    truth = {(n0 + k, i) for k, i in enumerate(picks)}
    recall = len(found & truth) / len(truth)
    assert recall >= 0.95
    # "false" pairs: a planted copy paired with another train sentence must itself be
    # a near-duplicate of that sentence (train holds near-duplicates of its own)
    brute = _brute_pairs(train, test_all[n0:], 0.6)
    extra = found - truth - {(n0 + k + len(picks), i) for k, i in enumerate(exact)}
    for (i, j) in extra:
        assert (i - n0, j) in brute
    assert len(extra) <= 0.3 * len(truth)
    # no pair from the untouched WNUT test set (it shares no sentence with train)
    assert not any(i < n0 for i, _ in found)


def test_near_duplicates_equal_brute_force_on_real_data(planted):
    train, _, test_all, _, _ = planted
    sub_test = test_all[-400:]
    got = near_duplicates(train, sub_test, threshold=0.6)
    brute = _brute_pairs(train, sub_test, 0.6)
    assert set(zip(got["index"], got["train_index"])) == set(brute)


def test_exact_duplicate_count_equals_independent_count(planted):
    train, _, test_all, _, exact = planted
    keys = {" ".join(e.text.lower().split()) for e in train if e.text.strip()}
    expected = sum(" ".join(e.text.lower().split()) in keys for e in test_all)
    df = exact_duplicates(train, test_all)
    assert len(df) == expected >= len(exact)


def _independent_overlap(train, test):
    seen = defaultdict(set)
    for e in train:
        for s in e.spans:
            seen[e.text[s.start:s.end]].add(s.label)
    out = Counter()
    for e in test:
        for s in e.spans:
            t = e.text[s.start:s.end]
            out["mentions"] += 1
            out["seen" if s.label in seen.get(t, ()) else
                "seen_other_type" if t in seen else "unseen"] += 1
    return out


def test_entity_overlap_equals_independent_count(shared_data):
    train = wnut(shared_data, "wnut17train.conll")
    half = len(train) // 2
    tr, te = train[:half], train[half:]        # halves of one split share entities
    per_type, mentions = entity_overlap(tr, te)
    exp = _independent_overlap(tr, te)
    row = per_type.set_index("label").loc["all"]
    assert {k: int(row[k]) for k in ("mentions", "seen", "seen_other_type", "unseen")} == {
        k: exp[k] for k in ("mentions", "seen", "seen_other_type", "unseen")}
    assert exp["seen"] > 50 and exp["seen_other_type"] > 0
    by_type = per_type[per_type["label"] != "all"]
    assert by_type["mentions"].sum() == exp["mentions"]
    assert (by_type[["seen", "seen_other_type", "unseen"]].sum(axis=1) == by_type["mentions"]).all()
    # WNUT-17 test is built from emerging entities: none seen in train
    per, _ = entity_overlap(train, wnut(shared_data, "emerging.test.annotated"))
    assert int(per.set_index("label").loc["all", "unseen"]) == int(
        per.set_index("label").loc["all", "mentions"])


def test_train_overlap_slice_uses_the_same_groups(shared_data):
    train = wnut(shared_data, "wnut17train.conll")
    tr, gold = train[:2000], train[2000:]
    pred = [g.copy(spans=tuple(g.spans[:1])) for g in gold]     # a model missing entities
    rep = analyze_ner(gold, pred, train=tr, slices=["train_overlap"], n_boot=0,
                      zero_division=0)
    ws = rep.tables["worst_slices"].set_index("value")
    _, mentions = entity_overlap(tr, gold)
    counts = mentions["group"].value_counts()
    for group in ("seen", "seen_other_type", "unseen"):
        assert int(ws.loc[group, "support"]) == int(counts.get(group, 0))


def test_entity_overlap_is_case_sensitive_and_typed():
    tr = [Example.from_tokens(["Apple", "and", "apple"], ["B-ORG", "O", "B-PRODUCT"])]
    te = [Example.from_tokens(["apple", "Apple", "APPLE"], ["B-ORG", "B-ORG", "B-ORG"])]
    per, men = entity_overlap(tr, te)
    assert men["group"].tolist() == ["seen_other_type", "seen", "unseen"]
    assert men["train_same_type"].tolist() == [0, 1, 0]
    assert men["train_any_type"].tolist() == [1, 1, 0]


def test_copies_are_hashed_once_and_every_pair_is_reported():
    tr = [Example("a b c d e")] * 30 + [Example("a b c d f"), Example("x y z")]
    te = [Example("A b c d e")] * 3 + [Example("q r s")]
    got = near_duplicates(tr, te, threshold=0.6)
    assert set(zip(got["index"], got["train_index"])) == set(_brute_pairs(tr, te, 0.6))
    assert len(got) == 3 * 31
    within = near_duplicates(tr, threshold=0.6)
    assert len(within) == 31 * 30 // 2
    assert (within["index"] < within["train_index"]).all()
