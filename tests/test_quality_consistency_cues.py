"""Annotation consistency and cue words: planted problems on real data, independent counts."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict

import numpy as np
import pytest

from _quality_helpers import sentiment, wnut
from nlperr.analysis import benjamini_hochberg
from nlperr.data import Example, Span
from nlperr.errors import InputError
from nlperr.quality import cue_words, inconsistent_labels, inconsistent_mentions, inconsistent_tags
from nlperr.quality._text import words


# --- consistency --------------------------------------------------------------------------

def test_mentions_count_types_o_and_partial():
    ex = [Example.from_tokens(["New", "York", "is", "big"], ["B-LOC", "I-LOC", "O", "O"]),
          Example.from_tokens(["New", "York", "Times"], ["B-ORG", "I-ORG", "I-ORG"]),
          Example.from_tokens(["in", "New", "York"], ["O", "B-LOC", "I-LOC"]),
          Example.from_tokens(["New", "York", "!"], ["O", "O", "O"]),
          Example.from_tokens(["New", "York", "!"], ["B-ORG", "I-ORG", "O"])]
    df = inconsistent_mentions(ex).set_index("surface")
    row = df.loc["New York"]
    assert row["labels"] == "LOC:2; O:1; ORG:1"
    assert (row["annotated"], row["unannotated"], row["partial"]) == (3, 1, 1)
    assert row["changes"] == 2 and row["majority"] == "LOC"
    assert row["unannotated_same_context"] == 1      # "New York !" as in the ORG sentence
    assert row["examples"].split(" | ")[0].endswith("#0")


def test_consistent_strings_are_not_listed():
    ex = [Example.from_tokens(["Ann"], ["B-PER"]),
          Example.from_tokens(["Ann", "x"], ["B-PER", "O"])]
    assert len(inconsistent_mentions(ex)) == 0
    assert len(inconsistent_tags(ex)) == 0


def test_tag_contexts():
    ex = [Example.from_tokens(["at", "Apple", "today"], ["O", "B-ORG", "O"]),
          Example.from_tokens(["at", "Apple", "today"], ["O", "B-ORG", "O"]),
          Example.from_tokens(["at", "Apple", "today"], ["O", "O", "O"])]
    df = inconsistent_tags(ex)
    assert df[["context", "tags", "changes"]].values.tolist() == [
        ["at [Apple] today", "B-ORG:2; O:1", 1]]
    wide = inconsistent_tags(ex, window=2)
    assert wide["context"].tolist() == ["<s> at [Apple] today </s>"]
    assert inconsistent_tags(ex, window=0)["context"].tolist() == ["[Apple]"]
    with pytest.raises(InputError, match="E950"):
        inconsistent_tags(ex, window=-1)


def _independent_string_labels(examples):
    """surface -> Counter of labels incl. 'O' (token sequences not overlapping any span)."""
    ann = defaultdict(Counter)
    for e in examples:
        toks = [t.text for t in e.tokens]
        for s in e.spans:
            a = next(k for k, t in enumerate(e.tokens) if t.start == s.start)
            b = next(k for k, t in enumerate(e.tokens) if t.end == s.end) + 1
            ann[tuple(toks[a:b])][s.label] += 1
    for e in examples:
        toks = [t.text for t in e.tokens]
        cov = [any(s.start <= t.start < s.end for s in e.spans) for t in e.tokens]
        for key in ann:
            L = len(key)
            for p in range(len(toks) - L + 1):
                if tuple(toks[p:p + L]) == key and not any(cov[p:p + L]):
                    ann[key]["O"] += 1
    return {k: c for k, c in ann.items() if len(c) >= 2}


def test_mentions_equal_independent_count(shared_data):
    ex = wnut(shared_data, "emerging.dev.conll")[:400]
    df = inconsistent_mentions(ex)
    exp = _independent_string_labels(ex)
    assert len(df) == len(exp)
    for r in df.itertuples(index=False):
        key = tuple(r.surface.split(" "))
        c = exp[key]
        assert r.changes == sum(c.values()) - max(c.values())


def test_planted_type_flip_tops_the_table(shared_data):
    train = wnut(shared_data, "wnut17train.conll")
    rng = random.Random(0)
    where = [(i, k) for i, e in enumerate(train) for k, s in enumerate(e.spans)
             if e.text[s.start:s.end] == "Twitter"]
    assert len(where) >= 15
    flip = set(rng.sample(where, 9))
    noisy = []
    for i, e in enumerate(train):
        if any(i == a for a, _ in flip):
            e = e.copy(spans=tuple(Span(s.start, s.end, "product") if (i, k) in flip else s
                                   for k, s in enumerate(e.spans)))
        noisy.append(e)
    before = inconsistent_mentions(train)
    after = inconsistent_mentions(noisy)
    assert "Twitter" not in set(before["surface"]) or \
        before.set_index("surface").loc["Twitter", "changes"] < 9
    top = after.iloc[0]
    assert top["surface"] == "Twitter"
    assert "product:9" in top["labels"] and top["changes"] >= 9
    flipped_ids = {train[i].id for i, _ in flip}
    assert {x.split("#")[0] for x in top["examples"].split(" | ")} <= flipped_ids | {
        train[i].id for i, _ in where}


def test_classification_label_conflicts(shared_data):
    ex = sentiment(shared_data, ("yelp_labelled.txt",))
    rng = random.Random(1)
    base = [e for e in ex if len(set(words(e.text))) >= 12]
    picks = rng.sample(base, 10)
    flip = {"0": "1", "1": "0"}
    planted = list(ex)
    for k, e in enumerate(picks[:5]):          # exact copies with the other label
        planted.append(Example(e.text.upper(), label=flip[e.label], id=f"copy{k}"))
    for k, e in enumerate(picks[5:]):          # one word changed, other label
        w = e.text.split()
        w[len(w) // 2] = "zqx"
        planted.append(Example(" ".join(w), label=flip[e.label], id=f"near{k}"))
    df = inconsistent_labels(planted, threshold=0.8)
    ids = " | ".join(df["examples"])
    for k in range(5):
        assert f"copy{k}" in ids and f"near{k}" in ids
    assert set(df["kind"]) <= {"exact", "near"}
    assert (df["n_labels"] >= 2).all()


# --- cue words ----------------------------------------------------------------------------

def _independent_z(examples, prior="empirical", min_count=5):
    docs = [(set(words(e.text)), e.label) for e in examples]
    labels = sorted({y for _, y in docs})
    p_emp = {y: sum(1 for _, l in docs if l == y) / len(docs) for y in labels}
    n_w, k_wy = Counter(), Counter()
    for ws, y in docs:
        for w in ws:
            n_w[w] += 1
            k_wy[(w, y)] += 1
    out = {}
    for w, n in n_w.items():
        if n < min_count:
            continue
        for y in labels:
            p0 = p_emp[y] if prior == "empirical" else 1 / len(labels)
            out[(y, w)] = ((k_wy[(w, y)] / n - p0) / math.sqrt(p0 * (1 - p0) / n),
                           k_wy[(w, y)], n)
    return out


@pytest.mark.parametrize("prior", ["empirical", "uniform"])
def test_cue_statistic_equals_independent_computation(shared_data, prior):
    ex = sentiment(shared_data, ("amazon_cells_labelled.txt",))[:600]
    df = cue_words(ex, prior=prior)
    ref = _independent_z(ex, prior)
    assert len(df) == sum(1 for v in ref.values() if v[1] > 0)
    for r in df.itertuples(index=False):
        z, k, n = ref[(r.label, r.word)]
        assert (r.count, r.n) == (k, n)
        assert r.z == pytest.approx(z, rel=1e-12)
    # BH over every tested (word, label), including count 0
    from scipy.stats import norm
    keys = sorted(ref)
    p = norm.sf(np.array([ref[k][0] for k in keys]))
    q = dict(zip(keys, benjamini_hochberg(p)))
    for r in df.head(30).itertuples(index=False):
        assert r.q_value == pytest.approx(q[(r.label, r.word)], rel=1e-9)


def test_planted_token_tops_the_cue_table(shared_data):
    ex = sentiment(shared_data)
    rng = random.Random(2)
    planted = [e.copy(text=e.text + " qzx") if e.label == "1" and rng.random() < 0.25 else e
               for e in ex]
    df = cue_words(planted)
    top = df.iloc[0]
    assert (top["word"], top["label"], bool(top["significant"])) == ("qzx", "1", True)
    assert top["share"] == 1.0 and top["n"] > 300
    assert top["examples"]
    # without the plant the token is not there at all
    assert "qzx" not in set(cue_words(ex)["word"])


def test_bonferroni_is_stricter_than_bh(shared_data):
    ex = sentiment(shared_data, ("imdb_labelled.txt",))
    bh = cue_words(ex, correction="bh")
    bf = cue_words(ex, correction="bonferroni")
    assert bf["significant"].sum() <= bh["significant"].sum()
    assert (bf["q_value"].to_numpy() >= bh["q_value"].to_numpy() - 1e-15).all()


def test_ner_window_cues():
    ex = [Example.from_tokens(["flew", "to", "Paris", "today"], ["O", "O", "B-LOC", "O"])
          for _ in range(6)] + [
          Example.from_tokens(["said", "Ann", "today"], ["O", "B-PER", "O"]) for _ in range(6)]
    df = cue_words(ex, window=2, min_count=3)
    top = df[df["label"] == "LOC"].iloc[0]
    assert top["word"] in {"to", "flew"} and top["count"] == 6 and top["n"] == 6
    assert "paris" not in set(df["word"])        # the mention's own words are left out
    assert df.loc[df["word"] == "today", "n"].iloc[0] == 12
    assert top["examples"].split(" | ")[0].endswith("#2")


def test_cue_options_are_checked():
    ex = [Example("a", label="x"), Example("b", label="y")]
    with pytest.raises(InputError, match="E207"):
        cue_words(ex, prior="flat")
    with pytest.raises(InputError, match="E207"):
        cue_words(ex, correction="holm")
    with pytest.raises(InputError, match="E950"):
        cue_words(ex, min_count=0)


def test_unaligned_spans_warn_and_missing_tokens_are_not_o():
    from nlperr.errors import NlperrWarning
    ex = [Example("I saw Paris, then", spans=(Span(6, 11, "LOC"),)),   # token "Paris,"
          Example("Paris, then", spans=()),
          Example("Paris, then", missing=((0, 6),))]
    with pytest.warns(NlperrWarning, match="W951"):
        df = inconsistent_mentions(ex)
    row = df.set_index("surface").loc["Paris"]
    assert (row["annotated"], row["unannotated"], row["partial"]) == (1, 1, 1)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@st.composite
def _corpus(draw):
    out = []
    for _ in range(draw(st.integers(1, 8))):
        words = draw(st.lists(st.sampled_from(["A", "B", "C", "d"]), min_size=1, max_size=7))
        tags, k = [], 0
        while k < len(words):
            if draw(st.booleans()):
                n = draw(st.integers(1, min(2, len(words) - k)))
                lab = draw(st.sampled_from(["X", "Y"]))
                tags += ["B-" + lab] + ["I-" + lab] * (n - 1)
                k += n
            else:
                tags.append("O")
                k += 1
        out.append(Example.from_tokens(words, tags))
    return out


@settings(max_examples=40, deadline=None)
@given(_corpus())
def test_mentions_equal_independent_count_on_random_corpora(ex):
    df = inconsistent_mentions(ex)
    exp = _independent_string_labels(ex)
    assert {tuple(s.split(" ")) for s in df["surface"]} == set(exp)
    for r in df.itertuples(index=False):
        c = exp[tuple(r.surface.split(" "))]
        assert r.changes == sum(c.values()) - max(c.values())
        assert r.unannotated == c.get("O", 0)
