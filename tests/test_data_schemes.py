"""Tagging schemes: conversions, strict/lenient decoding, detection, property tests."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlperr.data import (
    SCHEMES,
    TokenSpan,
    convert_tags,
    detect_scheme,
    normalize_scheme,
    spans_to_tags,
    tags_to_spans,
)
from nlperr.errors import RepairWarning, SchemeError

LABELS = ["PER", "LOC", "ORG"]


@st.composite
def token_spans(draw, max_tokens=30):
    n = draw(st.integers(0, max_tokens))
    spans = []
    i = 0
    while i < n:
        if draw(st.booleans()):
            length = draw(st.integers(1, 4))
            end = min(n, i + length)
            spans.append(TokenSpan(i, end, draw(st.sampled_from(LABELS))))
            i = end
        else:
            i += 1
    return n, spans


@pytest.mark.parametrize("scheme", SCHEMES)
@given(data=token_spans())
@settings(max_examples=150, deadline=None)
def test_spans_tags_spans_roundtrip(scheme, data):
    n, spans = data
    tags = spans_to_tags(spans, n, scheme)
    assert len(tags) == n
    assert tags_to_spans(tags, scheme) == spans  # strict: encoded tags are valid


@pytest.mark.parametrize("scheme", SCHEMES)
@given(data=token_spans())
@settings(max_examples=80, deadline=None)
def test_tags_roundtrip_across_schemes(scheme, data):
    n, spans = data
    tags = spans_to_tags(spans, n, "IOB2")
    other = convert_tags(tags, "IOB2", scheme)
    assert convert_tags(other, scheme, "IOB2") == tags


@given(data=token_spans())
@settings(max_examples=80, deadline=None)
def test_detect_scheme_on_encoded(data):
    n, spans = data
    # BIOES with at least one single-token entity is unambiguous.
    tags = spans_to_tags(spans + [], n, "BIOES")
    if any(e - s == 1 for s, e, _ in spans):
        assert detect_scheme([tags]) == "BIOES"


def test_lenient_matches_conlleval_examples():
    # I- after O starts an entity; a type change inside splits it.
    tags = ["O", "I-PER", "I-PER", "I-LOC", "B-LOC", "O", "I-ORG"]
    with pytest.warns(RepairWarning, match="W001"):
        spans = tags_to_spans(tags, "IOB2", strict=False)
    assert spans == [(1, 3, "PER"), (3, 4, "LOC"), (4, 5, "LOC"), (6, 7, "ORG")]


def test_lenient_agrees_with_seqeval_default():
    seqeval = pytest.importorskip("seqeval.metrics.sequence_labeling")
    import random

    rng = random.Random(0)
    alphabet = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "E-LOC", "S-PER"]
    for _ in range(300):
        tags = [rng.choice(alphabet) for _ in range(rng.randint(0, 12))]
        ours = [(lab, s, e - 1) for s, e, lab in
                tags_to_spans(tags, "BIOES", strict=False, warn_repairs=False)]
        theirs = seqeval.get_entities(tags)
        assert ours == theirs, tags


@pytest.mark.parametrize(
    "tags, scheme",
    [
        (["O", "I-PER"], "IOB2"),
        (["O", "B-PER"], "IOB1"),
        (["I-PER", "O"], "IOE2"),
        (["B-PER", "O"], "BIOES"),
        (["I-PER"], "BIOES"),
        (["B-PER", "I-LOC", "E-LOC"], "BIOES"),
        (["B-PER"], "BILOU"),
        (["E-PER", "O"], "IOE1"),
    ],
)
def test_strict_rejects_invalid(tags, scheme):
    with pytest.raises(SchemeError, match="E104"):
        tags_to_spans(tags, scheme)


def test_strict_error_names_token_and_fix():
    with pytest.raises(SchemeError) as exc:
        tags_to_spans(["O", "O", "I-PER"], "IOB2", where="x.conll:12")
    msg = str(exc.value)
    assert "x.conll:12" in msg and "token 2" in msg and "strict=False" in msg


@pytest.mark.parametrize("bad", ["PER", "B-", "X-PER", "b-PER", ""])
def test_malformed_tags(bad):
    with pytest.raises(SchemeError, match="E002"):
        tags_to_spans(["O", bad], "IOB2")


def test_prefix_not_in_scheme():
    with pytest.raises(SchemeError, match="E002"):
        tags_to_spans(["S-PER"], "IOB2")


def test_missing_is_not_outside():
    tags = ["B-PER", "-", "B-LOC", "I-LOC"]
    assert tags_to_spans(tags, "IOB2") == [(0, 1, "PER"), (2, 4, "LOC")]
    assert spans_to_tags([(0, 1, "PER"), (2, 4, "LOC")], 4, "IOB2", missing=[1]) == tags


def test_iob1_adjacent_same_type():
    assert spans_to_tags([(0, 2, "PER"), (2, 3, "PER")], 3, "IOB1") == ["I-PER", "I-PER", "B-PER"]
    assert spans_to_tags([(0, 1, "PER"), (1, 2, "PER")], 2, "IOE1") == ["E-PER", "I-PER"]


@pytest.mark.parametrize(
    "seqs, expected",
    [
        ([["B-PER", "I-PER", "O"]], "IOB2"),
        ([["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]], "IOB1"),
        ([["I-PER", "E-PER", "O", "E-LOC"]], "IOE2"),
        ([["I-PER", "I-PER", "O"]], "IOB1"),
        ([["B-PER", "E-PER", "S-LOC"]], "BIOES"),
        ([["U-PER", "B-LOC", "L-LOC"]], "BILOU"),
        ([["O", "O"]], "IOB2"),
    ],
)
def test_detect_scheme(seqs, expected):
    assert detect_scheme(seqs) == expected


def test_detect_mixed_warns():
    with pytest.warns(UserWarning, match="W004"):
        assert detect_scheme([["I-PER", "O", "I-LOC", "O", "B-ORG"]]) == "IOB1"


def test_scheme_aliases_and_unknown():
    assert normalize_scheme("bio") == "IOB2"
    assert normalize_scheme("IOBES") == "BIOES"
    assert normalize_scheme("bilou") == "BILOU"
    with pytest.raises(SchemeError, match="E105"):
        normalize_scheme("BIOX")


def test_spans_to_tags_rejects_overlap_and_range():
    from nlperr.errors import SpanError

    with pytest.raises(SpanError, match="E102"):
        spans_to_tags([(0, 2, "PER"), (1, 3, "LOC")], 3)
    with pytest.raises(SpanError, match="E101"):
        spans_to_tags([(2, 5, "PER")], 3)


def test_no_warning_when_valid():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tags_to_spans(["B-PER", "I-PER"], "IOB2", strict=False)
