"""Vectorised tag decoding for whole corpora (numpy).

The readers decode the tags of every sentence of a file at once: tags become
integer codes (prefix and type per token), and scheme validation, scheme
detection and span decoding are array operations over the whole corpus.  The
results are exactly those of :func:`nlperr.data.schemes.tags_to_spans`,
:func:`~nlperr.data.schemes.validate_tags` and
:func:`~nlperr.data.schemes.detect_scheme` applied sentence by sentence (tested
on random tags for every scheme); errors are raised by running those
functions on the first offending sentence, so messages are identical.

Only the io layer imports this module (numpy is not needed by ``import nlperr``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .schemes import _PREFIXES, split_tag

__all__ = ["TagArrays", "encode_tags", "encode_tag_ids", "invalid_sentences", "decode_spans", "scheme_stats",
           "merge_scheme_stats", "scheme_from_stats", "missing_mask"]

# prefix codes; BILOU letters keep their own codes for validation and are mapped
# to their BIOES twins for decoding
_O, _MISS, _B, _I, _E, _S, _L, _U, _M = range(9)
_CODE = {"O": _O, "-": _MISS, "B": _B, "I": _I, "E": _E, "S": _S, "L": _L, "U": _U, "M": _M}
_DECODE = np.array([_O, _MISS, _B, _I, _E, _S, _E, _S, _I], dtype=np.int8)


@dataclass
class TagArrays:
    """The tags of a corpus as arrays.

    ``prefix`` / ``type`` are per token; ``first`` marks each sentence's first
    token and ``sent`` holds each token's sentence index; ``labels`` maps type
    ids back to strings (id 0 is the empty type of ``O`` and ``-``).
    """

    prefix: np.ndarray          # int8, raw prefix codes
    type: np.ndarray            # int32 type ids
    first: np.ndarray           # bool
    sent: np.ndarray            # int64 sentence index per token
    offsets: np.ndarray         # int64, sentence start token indices, + [n]
    labels: list[str]
    uniq_tags: list[str]
    tag_ids: np.ndarray         # int32 index into uniq_tags per token


def encode_tags(tags: Sequence[str], offsets: np.ndarray, *, where_of=None) -> TagArrays:
    """Encode *tags* (all sentences concatenated; sentence *k* is
    ``tags[offsets[k]:offsets[k+1]]``).

    Malformed tags raise E002 through :func:`split_tag`; *where_of(token_index)*
    gives the location for the message.
    """
    n = len(tags)
    uniq: dict[str, int] = {}
    for t in set(tags):
        uniq[t] = len(uniq)
    uniq_tags = list(uniq)
    ids = np.fromiter(map(uniq.__getitem__, tags), dtype=np.int32, count=n)
    return encode_tag_ids(ids, uniq_tags, offsets,
                          where_of=lambda k: where_of(tags.index(uniq_tags[k]))
                          if where_of else "tags")


def encode_tag_ids(ids: np.ndarray, uniq_tags: list[str], offsets: np.ndarray, *,
                   where_of=None) -> TagArrays:
    """:func:`encode_tags` for tags given as ids into *uniq_tags* (a reader that coded
    them itself); *where_of(k)* locates the first use of ``uniq_tags[k]``."""
    n = len(ids)
    labels = [""]
    label_id: dict[str, int] = {"": 0}
    u_prefix = np.empty(len(uniq_tags), dtype=np.int8)
    u_type = np.empty(len(uniq_tags), dtype=np.int32)
    for k, tag in enumerate(uniq_tags):
        try:
            p, t = split_tag(tag)
        except Exception:
            split_tag(tag, where=where_of(k) if where_of else "tags")
            raise
        u_prefix[k] = _CODE[p]
        if t not in label_id:
            label_id[t] = len(labels)
            labels.append(t)
        u_type[k] = label_id[t]
    prefix = u_prefix[ids] if n else np.empty(0, dtype=np.int8)
    typ = u_type[ids] if n else np.empty(0, dtype=np.int32)
    offsets = np.asarray(offsets, dtype=np.int64)
    first = np.zeros(n, dtype=bool)
    lengths = np.diff(offsets)
    first[offsets[:-1][lengths > 0]] = True
    sent = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
    return TagArrays(prefix, typ, first, sent, offsets, labels, uniq_tags, ids)


def _prev(a: np.ndarray, first: np.ndarray, fill: int) -> np.ndarray:
    out = np.empty_like(a)
    if len(a):
        out[0] = fill
        out[1:] = a[:-1]
        out[first] = fill
    return out


def _isin(a: np.ndarray, codes: Sequence[int]) -> np.ndarray:
    m = np.zeros(len(a), dtype=bool)
    for c in codes:
        m |= a == c
    return m


def invalid_sentences(ta: TagArrays, scheme: str) -> np.ndarray:
    """Sorted indices of the sentences holding a tag that is invalid under strict
    *scheme* (wrong prefix for the scheme, invalid transition, or invalid end) —
    exactly the sentences on which :func:`validate_tags` raises."""
    cp, ct = ta.prefix, ta.type
    if not len(cp):
        return np.empty(0, dtype=np.int64)
    pp = _prev(cp, ta.first, _O)
    pt = _prev(ct, ta.first, 0)
    allowed = [_CODE[c] for c in _PREFIXES[scheme]] + [_O, _MISS]
    bad = ~_isin(cp, allowed)
    same = pt == ct
    if scheme == "IOB2":
        bad |= (cp == _I) & ~(_isin(pp, (_B, _I)) & same)
    elif scheme == "IOB1":
        bad |= (cp == _B) & ~(_isin(pp, (_B, _I)) & same)
    elif scheme == "IOE2":
        bad |= (pp == _I) & ~(_isin(cp, (_I, _E)) & same)
    elif scheme == "IOE1":
        bad |= (pp == _E) & ~(_isin(cp, (_I, _E)) & same)
    else:  # BIOES / BILOU
        inside = (_I, _E) if scheme == "BIOES" else (_I, _L)
        open_ = _isin(pp, (_B, _I))
        bad |= open_ & ~(_isin(cp, inside) & same)
        bad |= ~open_ & _isin(cp, inside)
    # end of each sentence
    last = ta.offsets[1:][np.diff(ta.offsets) > 0] - 1
    lp = cp[last]
    if scheme == "IOE2":
        end_bad = lp == _I
    elif scheme == "IOE1":
        end_bad = lp == _E
    elif scheme in ("BIOES", "BILOU"):
        end_bad = _isin(lp, (_B, _I))
    else:
        end_bad = np.zeros(len(last), dtype=bool)
    sents = np.union1d(ta.sent[bad], ta.sent[last[end_bad]])
    return sents.astype(np.int64)


def decode_spans(ta: TagArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entities of every sentence, decoded the conlleval way (lenient; equal to the
    strict decoding on valid sequences).  Returns ``(start, end, type_id)`` arrays
    of global token indices, half-open, in corpus order."""
    n = len(ta.prefix)
    if not n:
        e = np.empty(0, dtype=np.int64)
        return e, e, e.astype(np.int32)
    cp = _DECODE[ta.prefix]
    ct = ta.type
    pp = _prev(cp, ta.first, _O)
    pt = _prev(ct, ta.first, 0)
    outside_c = _isin(cp, (_O, _MISS))
    outside_p = _isin(pp, (_O, _MISS))
    diff_type = pt != ct
    ends = (_isin(pp, (_E, _S)) | (_isin(pp, (_B, _I)) & _isin(cp, (_B, _S, _O, _MISS)))
            | (~outside_p & diff_type))
    starts = (_isin(cp, (_B, _S)) | (_isin(cp, (_E, _I)) & _isin(pp, (_E, _S, _O, _MISS)))
              | (~outside_c & diff_type))
    start_pos = np.flatnonzero(starts)
    stop = np.flatnonzero(ends | ta.first)
    stop = np.append(stop, n)
    end_pos = stop[np.searchsorted(stop, start_pos, side="right")]
    return start_pos, end_pos, ct[start_pos]


def scheme_stats(ta: TagArrays) -> dict:
    """What :func:`nlperr.data.schemes.detect_scheme` looks at, as mergeable counts:
    the prefixes present, I- and B- entity starts (and the first I- start tag), and
    whether an I- entity is left without E- (for IOE1 vs IOE2)."""
    cp, ct = ta.prefix, ta.type
    present = frozenset(np.unique(cp).tolist())
    pp = _prev(cp, ta.first, _O)
    pt = _prev(ct, ta.first, 0)
    same = pt == ct
    cont = _isin(pp, (_B, _I)) & same
    i_start = (cp == _I) & ~cont
    b_start = (cp == _B) & ~cont
    first_i = None
    if i_start.any():
        first_i = ta.uniq_tags[ta.tag_ids[np.flatnonzero(i_start)[0]]]
    unclosed = False
    if len(cp):
        last = ta.offsets[1:][np.diff(ta.offsets) > 0] - 1
        unclosed = bool(((pp == _I) & ~(_isin(cp, (_I, _E)) & same)).any()
                        or (cp[last] == _I).any())
    return {"prefixes": present, "i_starts": int(i_start.sum()), "b_starts": int(b_start.sum()),
            "first_i_start": first_i, "unclosed": unclosed}


def merge_scheme_stats(a: dict, b: dict) -> dict:
    """Statistics of two consecutive parts of a corpus (*a* first)."""
    return {"prefixes": a["prefixes"] | b["prefixes"], "i_starts": a["i_starts"] + b["i_starts"],
            "b_starts": a["b_starts"] + b["b_starts"],
            "first_i_start": a["first_i_start"] or b["first_i_start"],
            "unclosed": a["unclosed"] or b["unclosed"]}


def scheme_from_stats(stats: dict | None) -> tuple[str, tuple[int, int, str | None] | None]:
    """The detected scheme and, when both I- and B- entity starts occur,
    ``(i_starts, b_starts, first_i_start)`` for the caller's W004 warning
    (the rules of :func:`nlperr.data.schemes.detect_scheme`)."""
    if stats is None:
        return "IOB2", None
    present = stats["prefixes"]
    if present & {_L, _U}:
        return "BILOU", None
    if _S in present or (_E in present and _B in present):
        return "BIOES", None
    if _E in present:
        return ("IOE1" if stats["unclosed"] else "IOE2"), None
    ni, nb = stats["i_starts"], stats["b_starts"]
    if ni and nb:
        return ("IOB1" if ni >= nb else "IOB2"), (ni, nb, stats["first_i_start"])
    if ni:
        return "IOB1", None
    return "IOB2", None


def missing_mask(ta: TagArrays) -> np.ndarray:
    return ta.prefix == _MISS

