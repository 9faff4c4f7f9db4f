"""Merge equivalence of the data check's split comparison: SplitCounts of shards, merged
in order, give exactly the split_mismatch tables of the whole splits."""

import math
import random

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.data import Example
from nlperr.quality.splits import SplitCounts, split_mismatch

_WORDS = ["Paris", "the", "cat", "Bob", "x1", "é", "naïve", "New", "York", "!"]


def _split(seed: int, n: int, docs: int) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        k = rng.randint(1, 8)
        toks = [rng.choice(_WORDS) for _ in range(k)]
        tags = [rng.choice(["O", "O", "B-PER", "B-LOC"]) for _ in range(k)]
        meta = {"doc_id": f"d{i * docs // max(n, 1)}"} if docs else {}
        out.append(Example.from_tokens(toks, tags, id=f"{seed}:{i}", meta=meta))
    return out


def _merged(exs, cuts, task):
    acc = SplitCounts()
    for a, b in zip(cuts, cuts[1:]):
        acc.merge(SplitCounts.from_examples(exs[a:b], task))
    return acc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), docs=st.sampled_from([0, 3]), data=st.data())
def test_split_counts_merged_equal_the_whole(seed, docs, data):
    splits = {"train": _split(seed, 30, docs), "dev": _split(seed + 1, 12, docs),
              "test": _split(seed + 2, 17, docs)}
    whole_t, whole_s = split_mismatch(splits)
    counts = {}
    for name, exs in splits.items():
        n = len(exs)
        cuts = [0, *sorted(data.draw(st.lists(st.integers(0, n), max_size=4), label=name)), n]
        counts[name] = _merged(exs, cuts, "ner")
    got_t, got_s = split_mismatch(counts)
    for t in whole_t:
        pd.testing.assert_frame_equal(got_t[t], whole_t[t], check_exact=True, obj=t)
    for split, vals in whole_s.items():
        for k, v in vals.items():
            w = got_s[split][k]
            assert w == v or (math.isnan(w) and math.isnan(v)), (split, k)


def test_split_counts_of_real_corpora(shared_data):
    from nlperr.io import read_conll
    w = shared_data / "wnut17"
    splits = {"train": read_conll(w / "wnut17train.conll"),
              "test": read_conll(w / "emerging.test.annotated")}
    whole_t, _ = split_mismatch(splits)
    counts = {k: _merged(v, [0, len(v) // 3, len(v) // 2, len(v)], "ner")
              for k, v in splits.items()}
    got_t, _ = split_mismatch(counts)
    for t in whole_t:
        pd.testing.assert_frame_equal(got_t[t], whole_t[t], check_exact=True, obj=t)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_train_indexes_merged_equal_the_whole(seed, data):
    from nlperr.analysis import train_stats
    from nlperr.quality import entity_overlap, exact_duplicates
    from nlperr.quality.leakage import TextIndex
    rng = random.Random(seed)
    train = _split(seed, 40, 0)
    for i in range(0, 40, 3):  # some without ids, some copies
        train[i] = Example.from_tokens([rng.choice(_WORDS)], ["B-PER"], id=None)
    test = _split(seed + 5, 25, 0) + train[::4]
    cuts = [0, *sorted(data.draw(st.lists(st.integers(0, 40), max_size=4), label="cuts")), 40]
    idx, stats = TextIndex(), None
    for a, b in zip(cuts, cuts[1:]):
        idx.merge(TextIndex.from_examples(train[a:b]))
        part = train_stats([e for e in train[a:b] if e.spans])
        stats = part if stats is None else stats.merge(part)
    pd.testing.assert_frame_equal(exact_duplicates(idx, test), exact_duplicates(train, test),
                                  check_exact=True)
    for got, want in zip(entity_overlap(stats, test), entity_overlap(train, test)):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    whole = train_stats(train)
    merged = train_stats(train[:cuts[1]])
    for a, b in zip(cuts[1:], cuts[2:]):
        merged.merge(train_stats(train[a:b]))
    assert merged == whole
