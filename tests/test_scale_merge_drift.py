"""Merge equivalence of the drift features: shards featurised apart and merged in order
equal the features of the whole list of texts, exactly."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.drift.features import text_features

_PIECES = ["the", "The", "cat", "gooo0d", "g00d", "ﬁne", "naïve", "日本", "🙂", "--", "a.b",
           "x", "", "  ", "\t", "Ünïcode", "ab123", "!!!", "l'été", "don't"]


def _texts(data, n):
    return [" ".join(data.draw(st.lists(st.sampled_from(_PIECES), max_size=8), label=f"t{i}"))
            for i in range(n)]


def _same(a, b):
    assert a.texts == b.texts
    for f in ("n_chars", "n_tokens", "n_words", "chars"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    for m, t in (("words", "word_types"), ("ws", "ws_types")):
        assert getattr(a, t) == getattr(b, t), t
        x, y = getattr(a, m), getattr(b, m)
        assert x.shape == y.shape and (x != y).nnz == 0, m
    assert np.array_equal(a.garbage, b.garbage)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), n=st.integers(1, 30))
def test_features_merged_over_shards_equal_one_pass(data, n):
    texts = _texts(data, n)
    cuts = [0, *sorted(data.draw(st.lists(st.integers(0, n), max_size=5), label="cuts")), n]
    parts = [text_features(texts[a:b]) for a, b in zip(cuts, cuts[1:])]
    acc = parts[0]
    for p in parts[1:]:
        acc = acc.merge(p)
    _same(acc, text_features(texts))


def test_features_of_real_sentences_merge(shared_data):
    from nlperr.io import read_conll
    texts = [e.text for e in read_conll(shared_data / "wnut17" / "emerging.test.annotated")]
    whole = text_features(texts)
    merged = text_features(texts[:400]).merge(text_features(texts[400:901])).merge(
        text_features(texts[901:]))
    _same(merged, whole)
