"""Merge equivalence of the OCR corpus statistics: shards merged = one pass.

``CorpusStats.merge`` must leave the accumulator exactly as if it had seen every
document itself, for any split of the stream into consecutive shards.  The
result's summary and every table are compared exactly (no tolerance).
"""

import random

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.errors import InputError
from nlperr.ocr import CorpusStats, Lexicon, Reference, corpus_stats
from nlperr.ocr.stats import _first_positions

WORDS = ("the cat sat on mat and dog tbe thc c@t s;a,t strngth aaaa iPhone 1000 "
         "x;k,m Paris paris cats dogs mat. (1) -- internationalisation").split()


def _corpus(seed: int, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        k = rng.choice([0, 1, 3, 8, 20])
        docs.append((f"d{i}", " ".join(rng.choice(WORDS) for _ in range(k))))
    return docs


LEX = Lexicon.from_words("the cat sat on mat and dog cats dogs paris".split())
REF = Reference.from_texts(["the cat sat on the mat", "the dog and the cats"] * 5, growth_step=4)


def _stats(docs, *, ids=True, **kw) -> CorpusStats:
    acc = CorpusStats(**kw)
    for d, text in docs:
        acc.add(text, id=d if ids else None)
    return acc


def _same(a, b) -> None:
    assert a.summary == b.summary
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)


def _cuts(n: int, data) -> list[int]:
    cuts = data.draw(st.lists(st.integers(0, n), max_size=5), label="cuts")
    return [0, *sorted(cuts), n]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(0, 30), step=st.sampled_from([1, 3, 7, 50]),
       setup=st.sampled_from(["plain", "lexicon", "reference"]), ids=st.booleans(),
       batch=st.sampled_from([1, 15, 200_000]), data=st.data())
def test_merged_shards_equal_one_pass(seed, n, step, setup, ids, batch, data):
    docs = _corpus(seed, n)
    kw = {"plain": {}, "lexicon": {"lexicon": LEX}, "reference": {"reference": REF,
                                                                   "lexicon": LEX}}[setup]
    kw = {**kw, "growth_step": step}
    whole = _stats(docs, ids=ids, batch_tokens=batch, **kw).result(min_word_count=1)
    cuts = _cuts(n, data)
    shards = [_stats(docs[a:b], ids=ids, batch_tokens=batch, **kw)
              for a, b in zip(cuts, cuts[1:])]
    acc = shards[0]
    for other in shards[1:]:
        acc.merge(other)
    _same(acc.result(min_word_count=1), whole)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), data=st.data())
def test_tree_merge_equals_one_pass(seed, data):
    """Merging is associative: ((a b) (c d)) gives the same as one pass."""
    docs = _corpus(seed, 24)
    whole = _stats(docs, lexicon=LEX, growth_step=5).result(min_word_count=1)
    cuts = _cuts(24, data)
    parts = [_stats(docs[a:b], lexicon=LEX, growth_step=5) for a, b in zip(cuts, cuts[1:])]
    while len(parts) > 1:
        nxt = [parts[i].merge(parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        if len(parts) % 2:
            nxt.append(parts[-1])
        parts = nxt
    _same(parts[0].result(min_word_count=1), whole)


def test_growth_from_first_positions_matches_known_curve():
    # 10 tokens, step 3: same numbers as the round-1 test of the incremental curve
    res = corpus_stats(["a b c a d", "e a f g h"], growth_step=3)
    assert res.growth["tokens"].tolist() == [3, 6, 9, 10]
    assert res.growth["types"].tolist() == [3, 5, 7, 8]


def test_growth_brute_force():
    docs = _corpus(3, 40)
    toks = [t for _, text in docs for t in text.split()]
    res = _stats(docs, growth_step=7).result()
    from nlperr.ocr._text import TOKEN
    flat = [t for _, text in docs for t in TOKEN.findall(text)]
    assert toks  # the corpus is not empty
    for t, types in zip(res.growth["tokens"], res.growth["types"]):
        assert types == len(set(flat[:t]))


def test_first_positions_helper():
    assert _first_positions(["a", "b", "a", "c"], ["a", "c"]) == [0, 3]


def test_merge_rejects_other_kinds_and_settings():
    a = CorpusStats(lexicon=LEX)
    with pytest.raises(InputError, match="E1050"):
        a.merge("not a partial")
    with pytest.raises(InputError, match="E1051"):
        a.merge(CorpusStats())
    with pytest.raises(InputError, match="E1051"):
        a.merge(CorpusStats(lexicon=LEX, growth_step=5))
    with pytest.raises(InputError, match="E1051"):
        a.merge(CorpusStats(lexicon=LEX, rules=["kulp_length"]))


def test_merge_icdar(shared_data):
    from nlperr.ocr import iter_texts
    docs = list(iter_texts(shared_data / "icdar2019_postocr" / "FR3"))[:80]
    if len(docs) < 40:
        pytest.skip("too few ICDAR FR3 files")
    whole = _stats(docs, growth_step=500).result()
    a = _stats(docs[:17], growth_step=500)
    a.merge(_stats(docs[17:40], growth_step=500)).merge(_stats(docs[40:], growth_step=500))
    _same(a.result(), whole)


def test_detached_partials_merge_the_same():
    docs = _corpus(5, 30)
    kw = {"reference": REF, "lexicon": LEX, "growth_step": 6}
    whole = _stats(docs, **kw).result(min_word_count=1)
    a = _stats(docs[:9], **kw)
    b = _stats(docs[9:20], **kw).detach()
    c = _stats(docs[20:], **kw).detach()
    assert b.reference is None and b.lexicon is None and b.types.model is None
    _same(a.merge(b).merge(c).result(min_word_count=1), whole)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 25), step=st.sampled_from([1, 4, 9]),
       data=st.data())
def test_reference_merge_equals_one_pass(seed, n, step, data):
    texts = [t for _, t in _corpus(seed, n)]
    whole = Reference.from_texts(texts, growth_step=step)
    cuts = _cuts(n, data)
    parts = [Reference.from_texts(texts[a:b], growth_step=step) for a, b in zip(cuts, cuts[1:])]
    acc = parts[0]
    for p in parts[1:]:
        acc.merge(p)
    assert list(acc.counts.items()) == list(whole.counts.items())  # counts and order
    assert acc.growth == whole.growth and acc.tokens == whole.tokens
    assert acc.words == whole.words
    if whole.words:
        assert acc.threshold() == whole.threshold()


def test_reference_growth_brute_force():
    texts = [t for _, t in _corpus(9, 30)]
    from nlperr.ocr._text import TOKEN
    flat = [t for text in texts for t in TOKEN.findall(text)]
    ref = Reference.from_texts(texts, growth_step=5)
    assert ref.growth == [(t, len(set(flat[:t]))) for t in range(5, len(flat) + 1, 5)]
    with pytest.raises(InputError, match="E1051"):
        ref.merge(Reference(growth_step=6))
    with pytest.raises(InputError, match="E1050"):
        ref.merge(CorpusStats())
