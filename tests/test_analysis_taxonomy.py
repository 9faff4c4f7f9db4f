"""Error taxonomy: categories, counting invariants, order invariance, bad input."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings, strategies as st

from nlperr.analysis import CATEGORIES, entity_errors, error_counts, match_spans
from nlperr.data import Example, Span
from nlperr.errors import InputError, NlperrWarning

from _analysis_helpers import random_pair

W = "a b c d e f g h i j".split()


def ex(tags, words=W):
    return Example.from_tokens(words[:len(tags)], tags, id="x")


def cats(g, p):
    return entity_errors([ex(g)], [ex(p)])["category"].astype(str).tolist()


@pytest.mark.parametrize("gold,pred,expected,kind", [
    (["B-X", "I-X"], ["B-X", "I-X"], ["correct"], ""),
    (["B-X", "I-X"], ["B-Y", "I-Y"], ["type"], ""),
    (["B-X", "O"], ["B-X", "I-X"], ["boundary"], "too_long"),
    (["B-X", "I-X", "I-X"], ["O", "B-X", "O"], ["boundary"], "too_short"),
    (["B-X", "I-X", "O"], ["O", "B-X", "I-X"], ["boundary"], "shifted"),
    (["B-X", "I-X", "O"], ["O", "B-Y", "I-Y"], ["type_boundary"], "shifted"),
    (["B-X", "O"], ["O", "O"], ["missed"], ""),
    (["O", "O"], ["O", "B-X"], ["spurious"], ""),
])
def test_basic_categories(gold, pred, expected, kind):
    df = entity_errors([ex(gold)], [ex(pred)])
    assert df["category"].astype(str).tolist() == expected
    assert df["boundary_kind"].tolist()[0] == kind


def test_merged_and_split():
    # one prediction over two gold entities -> both gold rows merged, prediction counted once
    df = entity_errors([ex(["B-X", "B-X", "O"])], [ex(["B-X", "I-X", "O"])])
    assert df["category"].astype(str).tolist() == ["merged", "merged"]
    assert (df["pred_label"] != "").sum() == 1
    # two predictions inside one gold entity -> split
    df = entity_errors([ex(["B-X", "I-X", "I-X"])], [ex(["B-X", "O", "B-X"])])
    assert df["category"].astype(str).tolist() == ["split", "split"]
    assert (df["gold_label"] != "").sum() == 1


def test_matching_takes_maximum_overlap():
    # gold [0,3) tokens; predictions [0,1) and [1,3): the longer one is matched
    m = match_spans([ex(["B-X", "I-X", "I-X"])], [ex(["B-X", "B-X", "I-X"])])
    matched = m[(m.gold_index >= 0) & (m.pred_index >= 0)]
    assert matched["pred_index"].tolist() == [1]


def test_context_and_text_columns():
    g = Example.from_tokens(["I", "met", "John", "Smith", "in", "Paris", "."],
                            ["O", "O", "B-PER", "I-PER", "O", "B-LOC", "O"])
    p = g.copy(spans=(Span(6, 10, "PER", 0.9), Span(20, 25, "ORG", 0.8)))
    df = entity_errors([g], [p], context=2)
    row = df.iloc[0]
    assert (row.gold_text, row.pred_text, row.category, row.boundary_kind) == (
        "John Smith", "John", "boundary", "too_short")
    assert row.left_context == "I met" and row.right_context == "in Paris"
    assert df.iloc[1].pred_score == 0.8 and df.iloc[1].category == "type"
    dfc = entity_errors([g], [p], context=4, context_unit="chars")
    assert dfc.iloc[1].left_context == " in "
    with pytest.raises(InputError, match="context_unit"):
        entity_errors([g], [p], context_unit="words")


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 8))
def test_counts_add_up_to_gold_and_predicted_totals(seed, n):
    gold, pred = random_pair(random.Random(seed), n)
    c = error_counts(gold, pred).set_index("category")
    assert c["gold"].sum() == sum(len(e.spans) for e in gold)
    assert c["pred"].sum() == sum(len(e.spans) for e in pred)
    assert c.loc["spurious", "gold"] == 0 and c.loc["missed", "pred"] == 0
    df = entity_errors(gold, pred)
    assert (df["gold_label"] != "").sum() == c["gold"].sum()
    assert (df["pred_label"] != "").sum() == c["pred"].sum()
    assert list(c.index) == list(CATEGORIES)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 8))
def test_invariant_to_example_order(seed, n):
    rng = random.Random(seed)
    gold, pred = random_pair(rng, n)
    order = list(range(n))
    rng.shuffle(order)
    a = error_counts(gold, pred)
    b = error_counts([gold[i] for i in order], [pred[i] for i in order])
    assert a.equals(b)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 8))
def test_perfect_predictions_are_all_correct(seed, n):
    gold, _ = random_pair(random.Random(seed), n)
    df = entity_errors(gold, gold)
    assert (df["category"] == "correct").all()
    assert len(df) == sum(len(e.spans) for e in gold)


def test_missing_ranges_ignore_predictions():
    g = Example.from_tokens(["a", "b", "c"], ["B-X", "-", "O"])
    p = g.copy(spans=(Span(0, 1, "X"), Span(2, 3, "Y")), missing=())
    with pytest.warns(NlperrWarning, match="W502"):
        df = entity_errors([g], [p])
    assert df["category"].astype(str).tolist() == ["correct"]


def test_mismatched_inputs_name_the_first_difference():
    a = [Example.from_tokens(["a", "b"], ["O", "O"], id="s1"),
         Example.from_tokens(["c", "d"], ["O", "O"], id="s2")]
    with pytest.raises(InputError, match=r"E501.*2 gold, 1 predicted"):
        entity_errors(a, a[:1])
    other = [a[0], Example.from_tokens(["c", "x"], ["O", "O"], id="s2")]
    with pytest.raises(InputError, match=r"example 1 \(id 's2'\).*texts"):
        entity_errors(a, other)
    t1 = Example("ab cd", tokens=None, spans=())
    from nlperr.data import whitespace_tokenize, Token
    g = Example("ab cd", tokens=whitespace_tokenize("ab cd"), spans=())
    p = Example("ab cd", tokens=(Token("ab cd", 0, 5),), spans=())
    with pytest.raises(InputError, match="numbers of tokens"):
        entity_errors([g], [p])
    assert entity_errors([t1], [t1]).empty


def test_unannotated_and_overlapping_spans_are_rejected():
    g = Example("abc", spans=None)
    with pytest.raises(InputError, match="E503"):
        entity_errors([g], [g])
    bad = Example("abcdef", spans=(Span(0, 3, "X"), Span(2, 5, "Y")))
    ok = Example("abcdef", spans=())
    with pytest.raises(InputError, match="E504"):
        entity_errors([ok], [bad])
