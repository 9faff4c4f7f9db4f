"""Edit logs: how a perturbed text relates to its original, character by character.

An :class:`Edit` ``(start, end, replacement)`` replaces the half-open range
``[start, end)`` of the *original* text by ``replacement`` (``start == end``
is an insertion, an empty replacement a deletion).  An edit log is a tuple of
non-overlapping edits sorted by position; :func:`apply_edits` builds the new
text from it and :func:`map_span` / :func:`map_spans` carry spans (gold or
predicted entities) through it.

Mapping rules for a span ``[s, e)``:

* an edit that ends at or before ``s`` (or an insertion *at* ``s``) shifts the
  span; one that starts at or after ``e`` (or an insertion *at* ``e``) leaves
  it alone;
* an edit that overlaps the span (or an insertion strictly inside it)
  *touches* it: the new span runs from the mapped start to the mapped end, and
  a replacement that straddles a boundary is included whole - so swapping an
  entity's text keeps its label with the replacement's boundaries;
* a span whose text is deleted entirely maps to ``None``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import NamedTuple

from ..data import Span
from ..errors import Errors, InputError

__all__ = ["Edit", "apply_edits", "normalize_edits", "map_span", "map_spans", "map_position",
           "touches"]


class Edit(NamedTuple):
    """Replace ``original[start:end]`` by ``replacement``."""

    start: int
    end: int
    replacement: str

    @property
    def delta(self) -> int:
        """Change of length caused by the edit."""
        return len(self.replacement) - (self.end - self.start)

    def to_list(self) -> list:
        return [self.start, self.end, self.replacement]


def normalize_edits(text: str, edits: Iterable[Sequence], *, where: str = "edits") -> tuple[Edit, ...]:
    """Validate *edits* against *text*; return them sorted, no-ops removed.

    Raises :class:`~nlperr.errors.InputError` when an edit lies outside the text
    or two edits overlap (two insertions at the same offset are merged in order).
    """
    out: list[Edit] = []
    n = len(text)
    for raw in edits:
        ed = raw if isinstance(raw, Edit) else Edit(int(raw[0]), int(raw[1]), str(raw[2]))
        if not 0 <= ed.start <= ed.end <= n:
            raise InputError(Errors.E601.format(where=where, edit=tuple(ed), length=n))
        if ed.start == ed.end and not ed.replacement:
            continue
        if ed.end > ed.start and text[ed.start:ed.end] == ed.replacement:
            continue
        out.append(ed)
    out.sort(key=lambda e: (e.start, e.end))
    merged: list[Edit] = []
    for ed in out:
        if merged:
            prev = merged[-1]
            if ed.start < prev.end or (ed.start == prev.start and prev.start < prev.end and ed.start == ed.end):
                raise InputError(Errors.E602.format(where=where, a=tuple(prev), b=tuple(ed)))
            if prev.start == prev.end == ed.start == ed.end:
                merged[-1] = Edit(prev.start, prev.end, prev.replacement + ed.replacement)
                continue
        merged.append(ed)
    return tuple(merged)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """The text after applying a normalized edit log (see :func:`normalize_edits`).

    >>> apply_edits("Jim lives in Paris", [Edit(0, 3, "Maria"), Edit(13, 18, "Lima")])
    'Maria lives in Lima'
    """
    parts: list[str] = []
    pos = 0
    for ed in edits:
        parts.append(text[pos:ed.start])
        parts.append(ed.replacement)
        pos = ed.end
    parts.append(text[pos:])
    return "".join(parts)


def map_position(pos: int, edits: Sequence[Edit], *, side: str = "left") -> int:
    """Map an offset of the original text to the perturbed text.

    ``side="left"`` maps a span *start* (insertions at *pos* go before it);
    ``side="right"`` maps a span *end* (insertions at *pos* go after it).  An
    offset strictly inside a replaced range goes to the replacement's start
    (left) or end (right).
    """
    shift = 0
    for ed in edits:
        if ed.start > pos:
            break
        if ed.start == ed.end == pos:
            if side == "left":
                shift += ed.delta
            continue
        if ed.end <= pos:
            shift += ed.delta
            continue
        # ed.start <= pos < ed.end: pos falls inside the replaced range
        if side == "left" or ed.start == pos:
            return ed.start + shift
        return ed.start + shift + len(ed.replacement)
    return pos + shift


def touches(edit: Edit, start: int, end: int) -> bool:
    """Whether *edit* changes text inside ``[start, end)``."""
    if edit.start == edit.end:
        return start < edit.start < end
    return edit.start < end and start < edit.end


def map_span(span: Span, edits: Sequence[Edit]) -> tuple[Span | None, bool]:
    """Carry *span* through *edits*: ``(new_span_or_None, touched)``.

    >>> log = [Edit(0, 3, "Maria")]
    >>> map_span(Span(0, 3, "PER"), log)
    (Span(start=0, end=5, label='PER', score=None, meta=None), True)
    >>> map_span(Span(13, 18, "LOC"), log)
    (Span(start=15, end=20, label='LOC', score=None, meta=None), False)
    """
    hit = False
    for ed in edits:
        if ed.start > span.end:
            break
        if touches(ed, span.start, span.end):
            hit = True
            break
    start = map_position(span.start, edits, side="left")
    end = map_position(span.end, edits, side="right")
    if not hit:
        return replace(span, start=start, end=end), False
    if end <= start:
        return None, True
    return replace(span, start=start, end=end), True


def map_spans(spans: Iterable[Span] | None, edits: Sequence[Edit]
              ) -> tuple[tuple[Span, ...] | None, tuple[int, ...], tuple[int, ...]]:
    """Map every span: ``(new_spans, touched_indices, deleted_indices)``.

    Indices refer to positions in *spans*.  ``new_spans`` is ``None`` when
    *spans* is ``None`` (not annotated).
    """
    if spans is None:
        return None, (), ()
    out: list[Span] = []
    touched: list[int] = []
    deleted: list[int] = []
    for i, sp in enumerate(spans):
        new, hit = map_span(sp, edits)
        if hit:
            touched.append(i)
        if new is None:
            deleted.append(i)
        else:
            out.append(new)
    return tuple(out), tuple(touched), tuple(deleted)
