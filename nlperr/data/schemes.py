"""Token tagging schemes and conversions between tags and token spans.

Supported schemes (names are case-insensitive; aliases in parentheses):

========  ==========================================================
IOB1      ``I-`` inside; ``B-`` only to split two adjacent same-type entities
IOB2      (``BIO``) every entity starts with ``B-``
IOE1      ``E-`` only to split two adjacent same-type entities
IOE2      (``IOE``) every entity ends with ``E-``
BIOES     (``IOBES``) ``B-`` begin, ``I-`` inside, ``E-`` end, ``S-`` single
BILOU     ``B-`` begin, ``I-`` inside, ``L-`` last, ``U-`` unit
========  ==========================================================

``O`` is *outside* (annotated, no entity). ``-`` is *missing* (not annotated),
as in spaCy: it never starts or continues an entity, and it is reported
separately so it is not scored as ``O``.

Token spans are half-open ``(start, end, label)`` token-index triples.

Decoding in *lenient* mode follows conlleval (and seqeval's default mode): a tag
that cannot continue the current entity starts a new one.  *Strict* mode raises
:class:`~nlperr.errors.SchemeError` naming the first invalid tag instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from ..errors import Errors, SchemeError, Warnings, warn, RepairWarning

__all__ = [
    "SCHEMES",
    "MISSING",
    "OUTSIDE",
    "TokenSpan",
    "normalize_scheme",
    "split_tag",
    "tags_to_spans",
    "spans_to_tags",
    "convert_tags",
    "detect_scheme",
    "validate_tags",
]

OUTSIDE = "O"
MISSING = "-"

SCHEMES = ("IOB1", "IOB2", "IOE1", "IOE2", "BIOES", "BILOU")
_ALIASES = {"BIO": "IOB2", "IOB": "IOB2", "IOE": "IOE2", "IOBES": "BIOES", "BILOU": "BILOU",
            "BIOUL": "BILOU", "BMES": "BIOES"}
_PREFIXES = {
    "IOB1": frozenset("BI"),
    "IOB2": frozenset("BI"),
    "IOE1": frozenset("IE"),
    "IOE2": frozenset("IE"),
    "BIOES": frozenset("BIES"),
    "BILOU": frozenset("BILU"),
}
# BILOU is BIOES with other letters: decode on the BIOES letters.
_TO_BIOES = {"L": "E", "U": "S", "M": "I"}


class TokenSpan(NamedTuple):
    """An entity over tokens ``[start, end)`` with a label."""

    start: int
    end: int
    label: str


def normalize_scheme(scheme: str) -> str:
    """Return the canonical name of *scheme* (``"bio"`` -> ``"IOB2"``)."""
    if not isinstance(scheme, str):
        raise SchemeError(Errors.E105.format(scheme=scheme, available=SCHEMES, aliases=_ALIASES))
    name = scheme.upper().replace("-", "")
    name = _ALIASES.get(name, name)
    if name not in SCHEMES:
        raise SchemeError(Errors.E105.format(scheme=scheme, available=list(SCHEMES),
                                             aliases=sorted(_ALIASES)))
    return name


def split_tag(tag: str, *, where: str = "tags", scheme: str | None = None) -> tuple[str, str]:
    """Split ``"B-PER"`` into ``("B", "PER")``; ``"O"`` -> ``("O", "")``; ``"-"`` -> ``("-", "")``.

    ``B_PER`` and ``PER-B``-less forms are not accepted: the prefix is one letter
    followed by ``-`` (or ``_``) and a non-empty type.
    """
    if tag == OUTSIDE or tag == MISSING:
        return tag, ""
    if len(tag) > 2 and tag[1] in "-_" and tag[0] in "BIELUSM":
        return tag[0], tag[2:]
    prefixes = sorted(_PREFIXES[scheme]) if scheme else list("BIELUS")
    raise SchemeError(Errors.E002.format(where=where, tag=tag, prefixes=list(prefixes),
                                         scheme=scheme or "not yet known"))


def _ends(prev_prefix: str, prefix: str, prev_type: str, typ: str) -> bool:
    # conlleval's endOfChunk
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O", "-"):
        return True
    if prev_prefix not in ("O", "-") and prev_type != typ:
        return True
    return False


def _starts(prev_prefix: str, prefix: str, prev_type: str, typ: str) -> bool:
    # conlleval's startOfChunk
    if prefix in ("B", "S"):
        return True
    if prefix in ("E", "I") and prev_prefix in ("E", "S", "O", "-"):
        return True
    if prefix not in ("O", "-") and prev_type != typ:
        return True
    return False


def _invalid_reason(scheme: str, prev: tuple[str, str], cur: tuple[str, str]) -> str | None:
    """Why *cur* may not follow *prev* under strict *scheme* (None when valid)."""
    pp, pt = prev
    cp, ct = cur
    if cp not in ("O", "-") and cp not in _PREFIXES[scheme]:
        return "prefix"
    if scheme == "IOB2":
        if cp == "I" and not (pp in ("B", "I") and pt == ct):
            return "B-"
    elif scheme == "IOB1":
        if cp == "B" and not (pp in ("B", "I") and pt == ct):
            return "I- (B- only separates two adjacent entities of the same type)"
    elif scheme == "IOE2":
        if pp == "I" and not (cp in ("I", "E") and pt == ct):
            return "an E- tag closing the previous entity"
    elif scheme == "IOE1":
        if pp == "E" and not (cp in ("I", "E") and pt == ct):
            return "I- (E- only separates two adjacent entities of the same type)"
    else:  # BIOES / BILOU
        inside = "I", ("E" if scheme == "BIOES" else "L")
        if pp in ("B", "I"):
            if not (cp in inside and pt == ct):
                return f"{'/'.join(p + '-' + pt for p in inside)} to continue the open entity"
        elif cp in inside:
            return "B- or " + ("S-" if scheme == "BIOES" else "U-")
    return None


def _end_reason(scheme: str, last: tuple[str, str]) -> str | None:
    lp = last[0]
    if scheme == "IOE2" and lp == "I":
        return "an E- tag (IOE2 entities end with E-)"
    if scheme == "IOE1" and lp == "E":
        return "an entity of the same type after E-"
    if scheme in ("BIOES", "BILOU") and lp in ("B", "I"):
        return "an end tag before the sequence ends"
    return None


def validate_tags(tags: Sequence[str], scheme: str, *, where: str = "tags") -> None:
    """Raise :class:`SchemeError` at the first tag that is invalid under strict *scheme*."""
    scheme = normalize_scheme(scheme)
    prev = ("O", "")
    prev_tag = "O"
    for i, tag in enumerate(tags):
        cur = split_tag(tag, where=where, scheme=scheme)
        reason = _invalid_reason(scheme, prev, cur)
        if reason == "prefix":
            raise SchemeError(Errors.E002.format(where=f"{where}, token {i}", tag=tag,
                                                 prefixes=sorted(_PREFIXES[scheme]),
                                                 scheme=scheme))
        if reason:
            raise SchemeError(Errors.E104.format(where=where, tag=tag, index=i, prev=prev_tag,
                                                 scheme=scheme, starts=reason))
        prev, prev_tag = cur, tag
    if tags:
        reason = _end_reason(scheme, prev)
        if reason:
            raise SchemeError(Errors.E104.format(where=where, tag="<end>", index=len(tags),
                                                 prev=prev_tag, scheme=scheme, starts=reason))


def tags_to_spans(
    tags: Sequence[str],
    scheme: str = "IOB2",
    *,
    strict: bool = True,
    where: str = "tags",
    warn_repairs: bool = True,
) -> list[TokenSpan]:
    """Decode token *tags* into token spans.

    Parameters
    ----------
    tags : sequence of str
        One tag per token, e.g. ``["B-PER", "I-PER", "O"]``.
    scheme : str, default "IOB2"
        The tagging scheme the tags are written in (see module docs).
    strict : bool, default True
        Raise :class:`~nlperr.errors.SchemeError` on the first tag that is invalid
        under *scheme*.  With ``strict=False`` invalid tags are decoded the
        conlleval way (an ``I-`` that cannot continue an entity starts a new one)
        and one :class:`~nlperr.errors.RepairWarning` reports how many there were.
    where : str
        Location used in messages (file and line, example id).
    warn_repairs : bool, default True
        In lenient mode, warn when tags were repaired.

    Returns
    -------
    list of TokenSpan
        Entities as half-open token ranges, in order.  ``-`` (missing) tokens are
        never part of an entity.

    Examples
    --------
    >>> tags_to_spans(["B-PER", "I-PER", "O", "B-LOC"])
    [TokenSpan(start=0, end=2, label='PER'), TokenSpan(start=3, end=4, label='LOC')]
    >>> tags_to_spans(["I-PER", "I-PER", "B-PER"], "IOB1")
    [TokenSpan(start=0, end=2, label='PER'), TokenSpan(start=2, end=3, label='PER')]
    """
    scheme = normalize_scheme(scheme)
    if strict:
        validate_tags(tags, scheme, where=where)
    spans: list[TokenSpan] = []
    prev_prefix, prev_type = "O", ""
    raw_prev = ("O", "")
    start = -1
    repairs = 0
    first_repair = None
    check = not strict and warn_repairs
    for i, tag in enumerate(tags):
        raw = split_tag(tag, where=where, scheme=scheme)
        if check and _invalid_reason(scheme, raw_prev, raw):
            repairs += 1
            first_repair = first_repair or f"{tag!r} at token {i}"
        raw_prev = raw
        prefix, typ = raw
        prefix = _TO_BIOES.get(prefix, prefix)
        if start >= 0 and _ends(prev_prefix, prefix, prev_type, typ):
            spans.append(TokenSpan(start, i, prev_type))
            start = -1
        if _starts(prev_prefix, prefix, prev_type, typ):
            start = i
        prev_prefix, prev_type = prefix, typ
    if start >= 0:
        spans.append(TokenSpan(start, len(tags), prev_type))
    if repairs and warn_repairs:
        warn(Warnings.W001.format(where=where, count=repairs, scheme=scheme, first=first_repair),
             RepairWarning)
    return spans


def spans_to_tags(
    spans: Iterable[tuple[int, int, str]],
    n_tokens: int,
    scheme: str = "IOB2",
    *,
    missing: Iterable[int] = (),
    where: str = "spans",
) -> list[str]:
    """Encode token spans as *n_tokens* tags in *scheme*.

    Spans must not overlap (raises :class:`~nlperr.errors.SpanError`).  Token
    indices in *missing* get the ``-`` tag.

    Examples
    --------
    >>> spans_to_tags([(0, 2, "PER"), (3, 4, "LOC")], 4, "BIOES")
    ['B-PER', 'E-PER', 'O', 'S-LOC']
    >>> spans_to_tags([(0, 1, "PER"), (1, 2, "PER")], 2, "IOB1")
    ['I-PER', 'B-PER']
    """
    from ..errors import SpanError

    scheme = normalize_scheme(scheme)
    tags = [OUTSIDE] * n_tokens
    for i in missing:
        tags[i] = MISSING
    ordered = sorted((int(s), int(e), lab) for s, e, lab in spans)
    prev_end, prev_label = -1, None
    for s, e, label in ordered:
        if not (0 <= s < e <= n_tokens):
            raise SpanError(Errors.E101.format(where=where, span=(s, e, label), length=n_tokens))
        if s < prev_end:
            raise SpanError(Errors.E102.format(where=where, a=(s, e, label), b="the previous span"))
        adjacent_same = s == prev_end and label == prev_label
        n = e - s
        if scheme == "IOB2":
            seq = ["B"] + ["I"] * (n - 1)
        elif scheme == "IOB1":
            seq = ["B" if adjacent_same else "I"] + ["I"] * (n - 1)
        elif scheme == "IOE2":
            seq = ["I"] * (n - 1) + ["E"]
        elif scheme == "IOE1":
            seq = ["I"] * n
        elif scheme == "BIOES":
            seq = ["S"] if n == 1 else ["B"] + ["I"] * (n - 2) + ["E"]
        else:  # BILOU
            seq = ["U"] if n == 1 else ["B"] + ["I"] * (n - 2) + ["L"]
        for k, p in enumerate(seq):
            tags[s + k] = f"{p}-{label}"
        if scheme == "IOE1" and adjacent_same:
            # the previous entity's last token marks the split
            tags[s - 1] = f"E-{label}"
        prev_end, prev_label = e, label
    return tags


def convert_tags(tags: Sequence[str], source: str, target: str, *, strict: bool = True,
                 where: str = "tags") -> list[str]:
    """Re-encode *tags* from scheme *source* into scheme *target*.

    >>> convert_tags(["B-PER", "I-PER", "O"], "IOB2", "BILOU")
    ['B-PER', 'L-PER', 'O']
    """
    spans = tags_to_spans(tags, source, strict=strict, where=where)
    missing = [i for i, t in enumerate(tags) if t == MISSING]
    return spans_to_tags(spans, len(tags), target, missing=missing, where=where)


def detect_scheme(sequences: Iterable[Sequence[str]], *, where: str = "tags") -> str:
    """Guess the tagging scheme of tag *sequences*.

    Rules: ``L-``/``U-`` -> BILOU; ``S-``, or ``E-`` together with ``B-`` -> BIOES;
    ``E-`` without ``B-`` -> IOE2, or IOE1 if an entity ends without ``E-``; ``B-``/``I-``
    only -> IOB1 when entities start with ``I-`` and IOB2 otherwise.  Data with no
    entity is reported as IOB2.  A mix of ``I-`` and ``B-`` entity starts gives a
    :class:`~nlperr.errors.NlperrWarning` and the majority reading.
    """
    prefixes: set[str] = set()
    i_starts = b_starts = i_unclosed = 0
    first_i_start = None
    for seq in sequences:
        prev_p, prev_t = "O", ""
        for tag in seq:
            p, t = split_tag(tag, where=where)
            prefixes.add(p)
            if p == "I" and not (prev_p in ("B", "I") and prev_t == t):
                i_starts += 1
                first_i_start = first_i_start or tag
            elif p == "B" and not (prev_p in ("B", "I") and prev_t == t):
                b_starts += 1
            if prev_p == "I" and not (p in ("I", "E") and prev_t == t):
                i_unclosed += 1
            prev_p, prev_t = p, t
        if prev_p == "I":
            i_unclosed += 1
    if prefixes & {"L", "U"}:
        return "BILOU"
    if "S" in prefixes or ("E" in prefixes and "B" in prefixes):
        return "BIOES"
    if "E" in prefixes:
        return "IOE1" if i_unclosed else "IOE2"
    if i_starts and b_starts:
        scheme = "IOB1" if i_starts >= b_starts else "IOB2"
        warn(Warnings.W004.format(
            where=where, scheme=scheme,
            reason=f"{i_starts} entities start with I- (first {first_i_start!r}) and "
                   f"{b_starts} with B-"))
        return scheme
    if i_starts:
        return "IOB1"
    return "IOB2"
