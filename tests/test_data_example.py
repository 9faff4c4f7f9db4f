"""Example / Span / Token: offsets, validation, missing vs outside."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlperr.data import Example, Span, Token, spans_to_tags, tokens_from_words, validate_spans
from nlperr.errors import InputError, RepairWarning, SpanError

words_st = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Zs", "Cc", "Zl", "Zp")),
                            min_size=1, max_size=6), min_size=0, max_size=25)


@given(words=words_st, spaces=st.lists(st.booleans(), min_size=25, max_size=25),
       data=st.data())
@settings(max_examples=200, deadline=None)
def test_spans_slice_the_text_they_claim(words, spaces, data):
    spaces = spaces[: len(words)]
    n = len(words)
    # random non-overlapping token spans
    spans, i = [], 0
    while i < n:
        if data.draw(st.booleans()):
            end = min(n, i + data.draw(st.integers(1, 3)))
            spans.append((i, end, data.draw(st.sampled_from(["PER", "LOC"]))))
            i = end
        else:
            i += 1
    tags = spans_to_tags(spans, n, "IOB2")
    ex = Example.from_tokens(words, tags, spaces=spaces)
    for tok, w in zip(ex.tokens, words):
        assert ex.text[tok.start:tok.end] == w
    assert len(ex.spans) == len(spans)
    for sp, (s, e, lab) in zip(ex.spans, spans):
        expected = "".join(w + (" " if sp_ and k < e - 1 else "")
                           for k, (w, sp_) in enumerate(zip(words, spaces)) if s <= k < e)
        assert ex.span_text(sp) == expected
        assert sp.label == lab
    assert ex.tags("IOB2") == tags
    assert ex.spaces == list(spaces)
    assert Example.from_dict(ex.to_dict()) == ex


def test_tokens_from_words_offsets():
    text, toks = tokens_from_words(["Hello", ",", "world", "!"], [False, True, False, False])
    assert text == "Hello, world!"
    assert [text[t.start:t.end] for t in toks] == ["Hello", ",", "world", "!"]


def test_validate_spans_errors():
    text = "Jim lives in Paris"
    with pytest.raises(SpanError, match="E101"):
        validate_spans(text, [Span(13, 40, "LOC")], where="doc-1")
    with pytest.raises(SpanError, match="E102.*doc-1"):
        validate_spans(text, [Span(0, 9, "PER"), Span(4, 9, "LOC")], where="doc-1")
    with pytest.raises(SpanError, match="E107"):
        validate_spans(text, [Span(3, 3, "PER")])
    with pytest.raises(SpanError, match="E110"):
        validate_spans(text, [Span(0, 3, "B PER")])


def test_validate_alignment_strict_and_lenient():
    ex = Example.from_tokens(["Jim", "lives", "in", "Paris"], id="e1")
    bad = ex.copy(spans=(Span(1, 3, "PER"), Span(13, 18, "LOC")))
    with pytest.raises(SpanError, match="E103.*'e1'"):
        bad.validate()
    with pytest.warns(RepairWarning, match="W002"):
        fixed = bad.validate(strict=False)
    assert [fixed.span_text(s) for s in fixed.spans] == ["Jim", "Paris"]


def test_lenient_overlap_drops_later_with_warning():
    with pytest.warns(RepairWarning, match="W003"):
        out = validate_spans("abcdef", [Span(0, 4, "A"), Span(2, 6, "B")], strict=False)
    assert out == (Span(0, 4, "A"),)


def test_missing_vs_outside():
    unannotated = Example("Jim lives here")
    assert unannotated.spans is None
    ex = Example.from_tokens(["Jim", "lives", "here"], ["B-PER", "-", "O"])
    assert ex.spans == (Span(0, 3, "PER"),)
    assert ex.missing == ((4, 9),)
    assert ex.tags() == ["B-PER", "-", "O"]
    none = Example.from_tokens(["a", "b"], ["O", "O"])
    assert none.spans == () and none.missing == ()


def test_tags_need_tokens():
    with pytest.raises(InputError, match="E109"):
        Example("no tokens", spans=()).tags()


def test_tag_count_mismatch():
    with pytest.raises(SpanError, match="E106"):
        Example.from_tokens(["a", "b"], ["O"])


def test_token_validation():
    ex = Example("ab cd", tokens=(Token("ab", 0, 2), Token("cx", 3, 5)))
    with pytest.raises(SpanError, match="E013"):
        ex.validate()


def test_span_helpers():
    a, b = Span(0, 3, "PER", 0.9), Span(2, 5, "LOC")
    assert a.overlaps(b) and len(a) == 3 and a.key == (0, 3, "PER")
    assert a.to_dict() == {"start": 0, "end": 3, "label": "PER", "score": 0.9}
    assert hash(Span(0, 1, "X", meta={"LED": 0.1})) == hash(Span(0, 1, "X", meta={"LED": 0.2}))
