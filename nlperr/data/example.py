"""The data model: :class:`Span`, :class:`Token` and :class:`Example`.

Offsets are **half-open character offsets** ``[start, end)`` into
``Example.text`` everywhere in nlperr: ``text[span.start:span.end]`` is the
span's text.  Token offsets follow the same convention.

Gold data and predictions share these types: a prediction is an
:class:`Example` whose ``spans`` / ``label`` / ``probs`` were filled by a model.

"Missing annotation" is kept apart from "outside":

* ``Example.spans is None``: the example has no span annotation at all;
* ``Example.spans == ()``: annotated, and there is no entity;
* ``Example.missing``: character ranges inside an annotated example that were
  not annotated (tag ``-`` in token data); analyses ignore predictions there.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import repeat
from typing import Any, NamedTuple

from ..errors import Errors, RepairWarning, SpanError, Warnings, warn
from .schemes import MISSING, TokenSpan, spans_to_tags, tags_to_spans

__all__ = [
    "Span",
    "Token",
    "Example",
    "tokens_from_words",
    "whitespace_tokenize",
    "validate_spans",
]


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled character span ``[start, end)``.

    Attributes
    ----------
    start, end : int
        Half-open character offsets into the example's text.
    label : str
        Entity type, e.g. ``"PER"``.
    score : float or None
        Model confidence in ``[0, 1]`` when the adapter provides one.
    meta : mapping or None
        Extra per-entity data (e.g. HIPE ``{"LED": 0.12}``).  Not hashed.
    """

    start: int
    end: int
    label: str
    score: float | None = None
    meta: Mapping[str, Any] | None = field(default=None, hash=False)

    @property
    def key(self) -> tuple[int, int, str]:
        """``(start, end, label)``: identity of the entity for exact matching."""
        return (self.start, self.end, self.label)

    def __len__(self) -> int:
        return self.end - self.start

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"start": self.start, "end": self.end, "label": self.label}
        if self.score is not None:
            d["score"] = self.score
        if self.meta:
            d["meta"] = dict(self.meta)
        return d


class Token(NamedTuple):
    """A token: its text and half-open character offsets in the example text."""

    text: str
    start: int
    end: int


_WS = re.compile(r"\S+")


def whitespace_tokenize(text: str) -> tuple[Token, ...]:
    """Split *text* on whitespace into :class:`Token` s with offsets.

    >>> whitespace_tokenize("Hi  there")
    (Token(text='Hi', start=0, end=2), Token(text='there', start=4, end=9))
    """
    return tuple(Token(m.group(), m.start(), m.end()) for m in _WS.finditer(text))


def tokens_from_words(
    words: Sequence[str], spaces: Sequence[bool] | None = None
) -> tuple[str, tuple[Token, ...]]:
    """Rebuild text from *words* and return it with the tokens' offsets.

    *spaces[i]* says whether a space follows word *i* (spaCy's convention); by
    default every word but the last is followed by one space.

    >>> text, toks = tokens_from_words(["Hello", ",", "world"], [False, True, False])
    >>> text
    'Hello, world'
    >>> toks[2]
    Token(text='world', start=7, end=12)
    """
    n = len(words)
    if spaces is None:
        spaces = [True] * (n - 1) + [False] if n else []
    parts: list[str] = []
    tokens: list[Token] = []
    pos = 0
    for w, sp in zip(words, spaces):
        tokens.append(Token(w, pos, pos + len(w)))
        parts.append(w)
        pos += len(w)
        if sp:
            parts.append(" ")
            pos += 1
    return "".join(parts), tuple(tokens)


def validate_spans(
    text: str,
    spans: Iterable[Span],
    tokens: Sequence[Token] | None = None,
    *,
    strict: bool = True,
    where: str = "example",
) -> tuple[Span, ...]:
    """Check *spans* against *text* (and *tokens*) and return them sorted.

    Checks: ``0 <= start < end <= len(text)``, no two spans overlap, and, when
    *tokens* are given, every span starts and ends on token boundaries.

    With ``strict=False``, misaligned spans are snapped to the enclosing tokens
    and overlapping spans are dropped (the later one), each with a
    :class:`~nlperr.errors.RepairWarning`.  Out-of-range and empty spans always
    raise: there is nothing sensible to repair them to.
    """
    n = len(text)
    out: list[Span] = []
    for sp in sorted(spans, key=lambda s: (s.start, s.end)):
        if not isinstance(sp.label, str) or not sp.label or any(c.isspace() for c in sp.label):
            raise SpanError(Errors.E110.format(where=where, label=sp.label))
        if sp.start >= sp.end:
            raise SpanError(Errors.E107.format(where=where, span=sp.key))
        if sp.start < 0 or sp.end > n:
            raise SpanError(Errors.E101.format(where=where, span=sp.key, length=n))
        out.append(sp)
    if tokens is not None and out:
        starts = {t.start for t in tokens}
        ends = {t.end for t in tokens}
        aligned: list[Span] = []
        for sp in out:
            if sp.start in starts and sp.end in ends:
                aligned.append(sp)
                continue
            if strict:
                raise SpanError(Errors.E103.format(where=where, span=sp.key))
            covered = [t for t in tokens if t.start < sp.end and sp.start < t.end]
            if not covered:
                raise SpanError(Errors.E103.format(where=where, span=sp.key))
            snapped = replace(sp, start=covered[0].start, end=covered[-1].end)
            warn(Warnings.W002.format(where=where, span=sp.key, snapped=snapped.key), RepairWarning)
            aligned.append(snapped)
        out = sorted(aligned, key=lambda s: (s.start, s.end))
    kept: list[Span] = []
    for sp in out:
        if kept and sp.start < kept[-1].end:
            if strict:
                raise SpanError(Errors.E102.format(where=where, a=kept[-1].key, b=sp.key))
            warn(Warnings.W003.format(where=where, dropped=sp.key, kept=kept[-1].key), RepairWarning)
            continue
        kept.append(sp)
    return tuple(kept)


class TokenRange:
    """Tokens *a* to *b* of a reader's token store, not yet built as :class:`Token` s.

    The readers of column files keep the character offsets of every token of a
    file in two integer arrays (``starts``, ``ends``: offsets within each
    example's text) instead of one Python object per token.  An example read so
    holds a ``TokenRange``; :attr:`Example.tokens` builds the tuple of
    :class:`Token` s from it on first access (and keeps it), so the public data
    model is unchanged while analyses that only need offsets read the arrays.
    """

    __slots__ = ("starts", "ends", "a", "b")

    def __init__(self, starts: Any, ends: Any, a: int, b: int) -> None:
        self.starts = starts
        self.ends = ends
        self.a = a
        self.b = b

    def __len__(self) -> int:
        return self.b - self.a

    def build(self, text: str) -> tuple[Token, ...]:
        st = self.starts[self.a:self.b].tolist()
        en = self.ends[self.a:self.b].tolist()
        words = [text[s:e] for s, e in zip(st, en)]
        return tuple(map(tuple.__new__, repeat(Token), zip(words, st, en)))

    def compact(self) -> "TokenRange":
        """A range over copies of just its own offsets (what is pickled)."""
        return TokenRange(self.starts[self.a:self.b].copy(), self.ends[self.a:self.b].copy(),
                          0, self.b - self.a)


class _TokensField:
    """``Example.tokens``: a tuple of :class:`Token`, built on first access when a
    reader stored a :class:`TokenRange`."""

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return None  # the field's default
        t = obj._tokens
        if t.__class__ is TokenRange:
            t = obj._tokens = t.build(obj.text)
        return t

    def __set__(self, obj: Any, value: Any) -> None:
        obj._tokens = value


@dataclass
class Example:
    """One text with its tokens, annotations and metadata.

    Attributes
    ----------
    text : str
        The text.  All offsets index into it.
    tokens : tuple of Token or None
        Tokens with offsets, when the data is tokenized.
    spans : tuple of Span or None
        Entities, sorted and non-overlapping.  ``None`` means *not annotated*;
        ``()`` means annotated with no entity.
    label : str, tuple of str, or None
        Class label (single-label) or labels (multi-label) for classification.
    probs : dict or None
        Class probabilities ``{label: p}`` (predictions).
    missing : tuple of (int, int)
        Character ranges that were not annotated (``-`` tags).
    meta : dict
        Anything else: document id, HIPE metadata, extra CoNLL columns.
    id : str or None
        Stable identifier used in reports (``"file.conll:12"`` by default in loaders).
    """

    text: str
    tokens: tuple[Token, ...] | None = _TokensField()  # type: ignore[assignment]
    spans: tuple[Span, ...] | None = None
    label: str | tuple[str, ...] | None = None
    probs: dict[str, float] | None = None
    missing: tuple[tuple[int, int], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    id: str | None = None

    # -- construction -------------------------------------------------------
    @classmethod
    def from_tokens(
        cls,
        words: Sequence[str],
        tags: Sequence[str] | None = None,
        *,
        spaces: Sequence[bool] | None = None,
        scheme: str = "IOB2",
        strict: bool = True,
        id: str | None = None,
        meta: dict[str, Any] | None = None,
        where: str | None = None,
    ) -> "Example":
        """Build an example from words (and optional tags in *scheme*).

        The text is rebuilt from *words* and *spaces* (see
        :func:`tokens_from_words`), so offsets are exact.

        >>> ex = Example.from_tokens(["Jim", "lives", "in", "New", "York"],
        ...                          ["B-PER", "O", "O", "B-LOC", "I-LOC"])
        >>> [(ex.text[s.start:s.end], s.label) for s in ex.spans]
        [('Jim', 'PER'), ('New York', 'LOC')]
        """
        text, tokens = tokens_from_words(words, spaces)
        ex = cls(text=text, tokens=tokens, id=id, meta=dict(meta or {}))
        if tags is not None:
            ex = ex.with_tags(tags, scheme=scheme, strict=strict, where=where)
        return ex

    def with_tags(self, tags: Sequence[str], *, scheme: str = "IOB2", strict: bool = True,
                  where: str | None = None) -> "Example":
        """Return a copy whose spans (and missing ranges) come from token *tags*."""
        where = where or self._where()
        toks = self._require_tokens(where)
        if len(tags) != len(toks):
            raise SpanError(Errors.E106.format(where=where, ntags=len(tags), ntokens=len(toks)))
        tspans = tags_to_spans(tags, scheme, strict=strict, where=where)
        spans = tuple(Span(toks[s].start, toks[e - 1].end, lab) for s, e, lab in tspans)
        missing = tuple((toks[i].start, toks[i].end) for i, t in enumerate(tags) if t == MISSING)
        return self.copy(spans=spans, missing=missing)

    # -- views ----------------------------------------------------------------
    def span_text(self, span: Span) -> str:
        """The text a span covers."""
        return self.text[span.start:span.end]

    def tags(self, scheme: str = "IOB2") -> list[str]:
        """Token tags for the spans in *scheme* (``-`` for missing tokens).

        Raises :class:`~nlperr.errors.SpanError` if a span is not aligned to tokens.
        """
        where = self._where()
        toks = self._require_tokens(where)
        return spans_to_tags(self.token_spans(), len(toks), scheme,
                             missing=self.missing_token_indices(), where=where)

    def token_spans(self) -> list[TokenSpan]:
        """Spans as token-index ranges; raises if a span is not token-aligned."""
        where = self._where()
        toks = self._require_tokens(where)
        start_idx = {t.start: i for i, t in enumerate(toks)}
        end_idx = {t.end: i + 1 for i, t in enumerate(toks)}
        out = []
        for sp in self.spans or ():
            s, e = start_idx.get(sp.start), end_idx.get(sp.end)
            if s is None or e is None:
                raise SpanError(Errors.E103.format(where=where, span=sp.key))
            out.append(TokenSpan(s, e, sp.label))
        return out

    @property
    def n_tokens(self) -> int | None:
        """``len(tokens)`` (None when the example is not tokenized), without building
        the tokens of an example a reader stored as offsets."""
        raw = self._tokens
        return None if raw is None else len(raw)

    def missing_token_indices(self) -> list[int]:
        if not self.missing or self.tokens is None:
            return []
        miss = set(self.missing)
        return [i for i, t in enumerate(self.tokens) if (t.start, t.end) in miss]

    @property
    def words(self) -> list[str]:
        """Token texts (empty list when the example is not tokenized)."""
        return [t.text for t in self.tokens or ()]

    @property
    def spaces(self) -> list[bool]:
        """Whether whitespace follows each token (spaCy's ``spaces``)."""
        toks = self.tokens or ()
        return [(toks[i + 1].start > t.end) if i + 1 < len(toks) else (t.end < len(self.text))
                for i, t in enumerate(toks)]

    def validate(self, *, strict: bool = True) -> "Example":
        """Validate spans and tokens; return the example (repaired if ``strict=False``)."""
        where = self._where()
        if self.tokens is not None:
            prev = 0
            for t in self.tokens:
                if t.start < prev or t.end <= t.start or self.text[t.start:t.end] != t.text:
                    raise SpanError(Errors.E013.format(where=where, token=t.text, offset=prev))
                prev = t.end
        if self.spans is None:
            return self
        spans = validate_spans(self.text, self.spans, self.tokens, strict=strict, where=where)
        return self if spans == self.spans else self.copy(spans=spans)

    def copy(self, **changes: Any) -> "Example":
        """A shallow copy with *changes* applied (``ex.copy(spans=())``)."""
        raw = self._tokens
        if "tokens" in changes or raw.__class__ is not TokenRange:
            return replace(self, **changes)
        if "text" in changes:  # the tokens of *this* text, as a built tuple would carry them
            return replace(self, tokens=raw.build(self.text), **changes)
        new = replace(self, tokens=None, **changes)
        new._tokens = raw  # still not built: shared, as the built tuple would be
        return new

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        raw = state.get("_tokens")
        if raw.__class__ is TokenRange:  # not the reader's whole store
            state["_tokens"] = raw.compact()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the JSONL format's fields)."""
        d: dict[str, Any] = {"text": self.text}
        if self.id is not None:
            d["id"] = self.id
        if self.tokens is not None:
            d["tokens"] = [{"text": t.text, "start": t.start, "end": t.end} for t in self.tokens]
        if self.spans is not None:
            d["spans"] = [s.to_dict() for s in self.spans]
        if self.label is not None:
            d["label"] = list(self.label) if isinstance(self.label, tuple) else self.label
        if self.probs is not None:
            d["probs"] = dict(self.probs)
        if self.missing:
            d["missing"] = [list(m) for m in self.missing]
        if self.meta:
            d["meta"] = self.meta
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "example") -> "Example":
        """Inverse of :meth:`to_dict` (no validation; call :meth:`validate`)."""
        toks = d.get("tokens")
        tokens = None
        if toks is not None:
            tokens = tuple(Token(t["text"], int(t["start"]), int(t["end"])) for t in toks)
        spans = d.get("spans")
        if spans is not None:
            spans = tuple(Span(int(s["start"]), int(s["end"]), s["label"], s.get("score"),
                               s.get("meta")) for s in spans)
        label = d.get("label")
        if isinstance(label, list):
            label = tuple(label)
        return cls(text=d["text"], tokens=tokens, spans=spans, label=label,
                   probs=d.get("probs"), missing=tuple(tuple(m) for m in d.get("missing", ())),
                   meta=dict(d.get("meta") or {}), id=d.get("id"))

    # -- helpers --------------------------------------------------------------
    def _where(self) -> str:
        return f"example {self.id!r}" if self.id is not None else "example"

    def _require_tokens(self, where: str) -> tuple[Token, ...]:
        if self.tokens is None:
            from ..errors import InputError
            raise InputError(Errors.E109.format(where=where))
        return self.tokens

    def __repr__(self) -> str:
        text = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        parts = [f"text={text!r}"]
        if self.id is not None:
            parts.insert(0, f"id={self.id!r}")
        if self.spans is not None:
            parts.append("spans=[" + ", ".join(f"{self.text[s.start:s.end]!r}/{s.label}"
                                                for s in self.spans) + "]")
        if self.label is not None:
            parts.append(f"label={self.label!r}")
        return "Example(" + ", ".join(parts) + ")"
