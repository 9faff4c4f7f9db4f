"""Building many examples at once from token columns (used by the CoNLL and HIPE readers).

A reader that has split a file into token rows hands this module the words, the
tags and the sentence boundaries of the whole file; tag validation, scheme
detection and span decoding run as array operations (:mod:`nlperr.data._tagarrays`)
and token offsets are computed with cumulative sums.  The examples are equal to
those the per-sentence path builds (tested on every fixture and on random tags),
and errors are raised by that per-sentence path on the first offending sentence,
so messages and line numbers are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..data import Example, Span
from ..data.example import TokenRange
from ..data._tagarrays import (TagArrays, decode_spans, encode_tags, invalid_sentences,
                               missing_mask, scheme_from_stats, scheme_stats)
from ..data.schemes import normalize_scheme
from .._gc import no_gc
from ..errors import Warnings, warn

__all__ = ["no_gc", "ColumnBlock", "resolve_scheme", "resolve_from_stats", "build_examples", "token_offsets"]


class ColumnBlock:
    """The token columns of consecutive sentences.

    ``words`` / ``tags`` hold every token of every sentence; sentence *k* is
    ``offsets[k]:offsets[k+1]``; ``lines`` holds each token's 1-based file line.
    A reader that has the sentence texts and the token offsets already (the byte
    parser of regular CoNLL files) gives ``texts`` / ``starts`` / ``ends`` instead of
    ``words``.
    """

    __slots__ = ("words", "tags", "offsets", "lines", "arrays", "texts", "starts", "ends")

    def __init__(self, words: list[str] | None, tags: list[str] | None, offsets: np.ndarray,
                 lines: np.ndarray, *, texts: list[str] | None = None,
                 starts: np.ndarray | None = None, ends: np.ndarray | None = None) -> None:
        self.words = words
        self.tags = tags
        self.offsets = offsets
        self.lines = lines
        self.arrays: TagArrays | None = None
        self.texts = texts
        self.starts = starts
        self.ends = ends

    def tag_arrays(self, name: str) -> TagArrays:
        if self.arrays is None:
            lines = self.lines
            self.arrays = encode_tags(self.tags or [], self.offsets,
                                      where_of=lambda i: f"{name}:{int(lines[i])}")
        return self.arrays

    @property
    def has_tags(self) -> bool:
        return self.tags is not None or self.arrays is not None


def resolve_scheme(scheme: str | None, block: ColumnBlock, name: str) -> str:
    """*scheme* normalised, or detected from the whole block (W004 on a mixed file)."""
    if scheme is not None:
        return normalize_scheme(scheme)
    return resolve_from_stats(scheme_stats(block.tag_arrays(name)), name)


def resolve_from_stats(stats: dict | None, name: str) -> str:
    """The scheme detected from (merged) statistics; warns W004 as
    :func:`nlperr.data.detect_scheme` does on a mixed file."""
    detected, mixed = scheme_from_stats(stats)
    if mixed:
        ni, nb, first = mixed
        warn(Warnings.W004.format(where=name, scheme=detected,
                                  reason=f"{ni} entities start with I- (first {first!r}) and "
                                         f"{nb} with B-"), stacklevel=4)
    return detected


def token_offsets(words: Sequence[str], offsets: np.ndarray,
                  spaces: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-token ``(start, end)`` character offsets within each sentence's text and
    the per-token sentence index.  Words are joined by one space, or by nothing where
    ``spaces`` (one bool per token) is False."""
    n = len(words)
    lens = np.fromiter(map(len, words), dtype=np.int64, count=n)
    gap = np.ones(n, dtype=np.int64) if spaces is None else spaces.astype(np.int64)
    step = lens + gap
    cum = np.cumsum(step) - step
    lengths = np.diff(offsets)
    sent = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    start = cum - cum[offsets[:-1]][sent] if n else cum
    return start, start + lens, sent


def build_examples(
    block: ColumnBlock,
    *,
    name: str,
    scheme: str | None,
    strict: bool,
    on_invalid: Callable[[int], None],
    locate: Callable[[int], str],
    metas: Sequence[dict[str, Any]],
    ids: Sequence[str],
    spaces: np.ndarray | None = None,
    span_meta: Callable[[np.ndarray, np.ndarray], Sequence[Any]] | None = None,
) -> tuple[list[Example], int, str | None]:
    """Examples of every sentence of *block*.

    *on_invalid(k)* is called with the first sentence whose tags are invalid under
    strict *scheme* when *strict*: it must raise (the per-sentence path's error).
    Otherwise invalid sentences are decoded leniently and counted; *locate(k)*
    names the first one (``"line N"``).  Returns ``(examples, repaired, first)``.
    *span_meta(start_tok, end_tok)* may return one meta mapping (or None) per span.
    """
    offsets = block.offsets
    nsent = len(offsets) - 1
    off = offsets.tolist()
    if block.texts is not None:
        texts, start, end = block.texts, block.starts, block.ends
        _sent = np.repeat(np.arange(nsent, dtype=np.int64), np.diff(offsets))
    else:
        words = block.words or []
        start, end, _sent = token_offsets(words, offsets, spaces)
        if spaces is None:
            texts = [" ".join(words[off[k]:off[k + 1]]) for k in range(nsent)]
        else:  # a space after the words where spaces[i] is True
            sp = spaces.tolist()
            texts = ["".join(w + (" " if s else "") for w, s in
                             zip(words[off[k]:off[k + 1]], sp[off[k]:off[k + 1]]))
                     for k in range(nsent)]
    repaired, first_repair = 0, None
    spans_of: list[tuple[Span, ...] | None] = [None] * nsent
    missing_of: list[tuple[tuple[int, int], ...]] = [()] * nsent
    if block.has_tags:
        ta = block.tag_arrays(name)
        bad = invalid_sentences(ta, scheme)  # type: ignore[arg-type]
        if len(bad):
            if strict:
                on_invalid(int(bad[0]))
            repaired = len(bad)
            first_repair = locate(int(bad[0]))
        s_tok, e_tok, s_typ = decode_spans(ta)
        c_start = start[s_tok].tolist()
        c_end = end[e_tok - 1].tolist()
        labels = ta.labels
        lab = [labels[t] for t in s_typ.tolist()]
        metas_sp = span_meta(s_tok, e_tok) if span_meta is not None else None
        if metas_sp is None:
            spans = [Span(a, b, c) for a, b, c in zip(c_start, c_end, lab)]
        else:
            spans = [Span(a, b, c, None, m) for a, b, c, m in zip(c_start, c_end, lab, metas_sp)]
        bounds = np.searchsorted(s_tok, offsets).tolist()
        spans_of = [tuple(spans[bounds[k]:bounds[k + 1]]) for k in range(nsent)]
        miss = missing_mask(ta)
        if miss.any():
            for i in np.flatnonzero(miss).tolist():
                k = int(_sent[i])
                missing_of[k] = missing_of[k] + ((int(start[i]), int(end[i])),)
    # tokens stay offsets in two arrays until someone asks for them (Example.tokens)
    out = [Example(text=texts[k], tokens=TokenRange(start, end, off[k], off[k + 1]),  # type: ignore[arg-type]
                   spans=spans_of[k], missing=missing_of[k], meta=metas[k], id=ids[k])
           for k in range(nsent)]
    return out, repaired, first_repair
