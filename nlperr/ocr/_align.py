"""Levenshtein distance and alignment (edit operations) on strings or sequences.

Two backends:

* ``"rapidfuzz"`` -- rapidfuzz's C++ ``Levenshtein.distance`` / ``opcodes`` (used by
  ``"auto"`` when rapidfuzz is importable; it is a dependency of jiwer);
* ``"python"`` -- our own implementation: Hyyro's bit-parallel algorithm (Myers 1999,
  Hyyro 2001) on Python integers for the distance, O(n * ceil(m / 64)) word
  operations; and a numpy dynamic programme (each row is one vectorised step: the
  insertion recurrence ``D[i, j] = min_k (T[k] + j - k)`` is a running minimum) with a
  backtrace for the alignment, O(n * m) time; tables above ``MAX_CELLS`` cells are
  split Hirschberg-style, so memory stays O(MAX_CELLS + n + m).

Both give the same distance (the Levenshtein distance is unique); alignments may
differ where several optimal alignments exist.

Opcodes follow difflib / rapidfuzz: tuples ``(tag, i1, i2, j1, j2)`` with *tag* in
``equal``, ``replace``, ``delete``, ``insert``; ``a[i1:i2]`` becomes ``b[j1:j2]``.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

from ..errors import Errors, InputError

__all__ = ["levenshtein", "opcodes", "distance_function", "BACKENDS"]

BACKENDS = ("auto", "rapidfuzz", "python")

_RF: Any = None


def _rapidfuzz() -> Any:
    global _RF
    if _RF is None:
        try:
            from rapidfuzz.distance import Levenshtein
        except ImportError:  # pragma: no cover - depends on the environment
            _RF = False
        else:
            _RF = Levenshtein
    return _RF or None


def _backend(backend: str) -> Any:
    if backend not in BACKENDS:
        raise InputError(Errors.E207.format(value=backend, option="backend",
                                            allowed=", ".join(BACKENDS)))
    if backend == "python":
        return None
    rf = _rapidfuzz()
    if rf is None and backend == "rapidfuzz":
        from ..errors import MissingDependencyError
        raise MissingDependencyError(Errors.E203.format(
            what="backend='rapidfuzz'", package="rapidfuzz", extra="ocr"))
    return rf


def _bitparallel(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """Levenshtein distance, Myers/Hyyro bit-vector algorithm, pattern = longer."""
    # a common prefix/suffix never changes the distance
    n = min(len(a), len(b))
    k = 0
    while k < n and a[k] == b[k]:
        k += 1
    e = 0
    while e < n - k and a[len(a) - 1 - e] == b[len(b) - 1 - e]:
        e += 1
    if k or e:
        a, b = a[k:len(a) - e], b[k:len(b) - e]
    if len(a) < len(b):
        a, b = b, a
    m = len(a)
    if m == 0:
        return len(b)
    if not b:
        return m
    peq: dict[Hashable, int] = {}
    bit = 1
    for c in a:
        peq[c] = peq.get(c, 0) | bit
        bit <<= 1
    mask = (1 << m) - 1
    last = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    get = peq.get
    for c in b:
        eq = get(c, 0)
        xv = eq | mv
        xh = (((eq & pv) + pv) ^ pv) | eq
        ph = mv | (~(xh | pv) & mask)
        mh = pv & xh
        if ph & last:
            score += 1
        elif mh & last:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = mh | (~(xv | ph) & mask)
        mv = ph & xv
    return score


def levenshtein(a: Sequence[Hashable], b: Sequence[Hashable], *, backend: str = "auto") -> int:
    """Levenshtein distance between two strings or sequences of hashables.

    Examples
    --------
    >>> levenshtein("kitten", "sitting")
    3
    >>> levenshtein(["a", "b"], ["a", "c", "b"], backend="python")
    1
    """
    rf = _backend(backend)
    if rf is not None:
        return int(rf.distance(a, b))
    return _bitparallel(a, b)


def distance_function(backend: str = "auto"):
    """The bare ``f(a, b) -> int`` Levenshtein function of *backend* (no per-call checks)."""
    rf = _backend(backend)
    return rf.distance if rf is not None else _bitparallel


def _as_codes(a: Sequence[Hashable], b: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(a, str) and isinstance(b, str):
        return (np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32).astype(np.int64),
                np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32).astype(np.int64))
    ids: dict[Hashable, int] = {}
    ca = np.fromiter((ids.setdefault(x, len(ids)) for x in a), dtype=np.int64, count=len(a))
    cb = np.fromiter((ids.setdefault(x, len(ids)) for x in b), dtype=np.int64, count=len(b))
    return ca, cb


#: Largest DP table (cells) built at once by the python backend; bigger problems are
#: split in two Hirschberg-style (linear memory, about twice the time).
MAX_CELLS = 4_000_000


def _last_row(ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """``D[len(ca), j]`` for every ``j`` (Levenshtein DP, one numpy step per row)."""
    m = len(cb)
    jj = np.arange(m + 1, dtype=np.int64)
    prev = jj.copy()
    t = np.empty(m + 1, dtype=np.int64)
    for i in range(1, len(ca) + 1):
        t[0] = i
        np.minimum(prev[:-1] + (cb != ca[i - 1]), prev[1:] + 1, out=t[1:])
        prev = np.minimum.accumulate(t - jj) + jj
    return prev


def _dp_ops(ca: np.ndarray, cb: np.ndarray) -> list[str]:
    """Per-column edit operations of an optimal alignment of code arrays."""
    n, m = len(ca), len(cb)
    if n == 0 or m == 0:
        return ["insert"] * m if n == 0 else ["delete"] * n
    if n * m > MAX_CELLS and n > 1:
        mid = n // 2
        f = _last_row(ca[:mid], cb)
        r = _last_row(ca[mid:][::-1], cb[::-1])[::-1]
        j = int(np.argmin(f + r))
        return _dp_ops(ca[:mid], cb[:j]) + _dp_ops(ca[mid:], cb[j:])
    return _dp_table_ops(ca, cb)


def _dp_opcodes(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[str, int, int, int, int]]:
    n, m = len(a), len(b)
    if n == 0 or m == 0:
        if n == 0 and m == 0:
            return []
        return [("insert", 0, 0, 0, m)] if n == 0 else [("delete", 0, n, 0, 0)]
    ca, cb = _as_codes(a, b)
    return _merge(_dp_ops(ca, cb))


def _dp_table_ops(ca: np.ndarray, cb: np.ndarray) -> list[str]:
    n, m = len(ca), len(cb)
    dtype = np.uint16 if max(n, m) < 65000 else np.uint32
    table = np.empty((n + 1, m + 1), dtype=dtype)
    jj = np.arange(m + 1, dtype=np.int64)
    prev = jj.copy()
    table[0] = prev
    t = np.empty(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        t[0] = i
        np.minimum(prev[:-1] + (cb != ca[i - 1]), prev[1:] + 1, out=t[1:])
        cur = np.minimum.accumulate(t - jj) + jj
        table[i] = cur
        prev = cur
    # backtrace from (n, m): prefer diagonal, then deletion, then insertion
    ops: list[str] = []
    i, j = n, m
    while i > 0 or j > 0:
        d = int(table[i, j])
        if i > 0 and j > 0:
            same = ca[i - 1] == cb[j - 1]
            if int(table[i - 1, j - 1]) + (0 if same else 1) == d:
                ops.append("equal" if same else "replace")
                i -= 1
                j -= 1
                continue
        if i > 0 and int(table[i - 1, j]) + 1 == d:
            ops.append("delete")
            i -= 1
        else:
            ops.append("insert")
            j -= 1
    ops.reverse()
    return ops


def _merge(ops: list[str]) -> list[tuple[str, int, int, int, int]]:
    out: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for op in ops:
        di = 0 if op == "insert" else 1
        dj = 0 if op == "delete" else 1
        if out and out[-1][0] == op:
            tag, i1, i2, j1, j2 = out[-1]
            out[-1] = (tag, i1, i2 + di, j1, j2 + dj)
        else:
            out.append((op, i, i + di, j, j + dj))
        i += di
        j += dj
    return out


def opcodes(a: Sequence[Hashable], b: Sequence[Hashable], *,
            backend: str = "auto") -> list[tuple[str, int, int, int, int]]:
    """An optimal Levenshtein alignment of *a* to *b* as opcodes.

    Examples
    --------
    >>> opcodes("tbe", "the")
    [('equal', 0, 1, 0, 1), ('replace', 1, 2, 1, 2), ('equal', 2, 3, 2, 3)]
    """
    rf = _backend(backend)
    if rf is not None:
        return [tuple(op) for op in rf.opcodes(a, b)]  # type: ignore[misc]
    return _dp_opcodes(a, b)
