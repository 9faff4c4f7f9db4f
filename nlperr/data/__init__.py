"""Data model: spans, tokens, examples, tagging schemes.

See ``docs/data-model.md`` for the conventions (half-open offsets, missing vs
outside, strict vs lenient).
"""

from .example import Example, Span, Token, tokens_from_words, validate_spans, whitespace_tokenize
from .schemes import (
    MISSING,
    OUTSIDE,
    SCHEMES,
    TokenSpan,
    convert_tags,
    detect_scheme,
    normalize_scheme,
    spans_to_tags,
    split_tag,
    tags_to_spans,
    validate_tags,
)

__all__ = [
    "Example",
    "Span",
    "Token",
    "TokenSpan",
    "MISSING",
    "OUTSIDE",
    "SCHEMES",
    "convert_tags",
    "detect_scheme",
    "normalize_scheme",
    "spans_to_tags",
    "split_tag",
    "tags_to_spans",
    "tokens_from_words",
    "validate_spans",
    "validate_tags",
    "whitespace_tokenize",
]
