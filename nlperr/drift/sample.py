"""Drift inputs larger than memory: a seeded uniform sample per side and window.

:func:`sample_drift_data` streams one side (file, examples or DataFrame) record by
record and keeps at most ``max_texts`` texts per window (the reference side is one
window) by reservoir sampling: every text of a window has the same chance of being
kept, whatever the window's size, and memory holds only the samples.  Every record
is still read and checked (a bad row raises as it would without sampling); the
windows are cut on the whole stream (count windows on the stream's positions, time
windows on every timestamp), so a window that fits in ``max_texts`` is kept whole
and the result is then exactly that of the unsampled run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from .._flow import counter_bar
from ..errors import Errors, InputError
from .data import DriftData, _from_records, iter_records
from .windows import Window, _iso, parse_window, period_starts, time_key

__all__ = ["SampledSide", "sample_drift_data"]

_CHUNK = 4096  # records converted (and checked) at a time


@dataclass
class SampledSide:
    """One side of a comparison, sampled.

    Attributes
    ----------
    data : DriftData
        The kept texts, in the order they were read.
    windows : list of Window
        The windows, their ``index`` into *data*.
    seen : dict
        Texts read per window key (before sampling).
    total : int
        Texts read.
    """

    data: DriftData
    windows: list[Window]
    seen: dict[str, int] = field(default_factory=dict)
    total: int = 0


class _Reservoir:
    """Algorithm R: the first *size* items, then item *i* (0-based) replaces a random
    slot with probability ``size / (i + 1)``."""

    __slots__ = ("size", "items", "seen", "lo", "hi")

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: list[tuple[int, tuple]] = []
        self.seen = 0
        self.lo: tuple[int, Any] | None = None  # earliest timestamp seen: (ns, value)
        self.hi: tuple[int, Any] | None = None  # latest

    def offer(self, position: int, row: tuple, rng: random.Random) -> None:
        if self.seen < self.size:
            self.items.append((position, row))
        else:
            j = rng.randrange(self.seen + 1)
            if j < self.size:
                self.items[j] = (position, row)
        self.seen += 1


def _where(chunk: list[dict[str, Any]], d: DriftData, i: int) -> str:
    return str(chunk[i].get("_where", d.ids[i]))


def sample_drift_data(source: Any, *, max_texts: int, seed: int = 0, window: Any = None,
                      side: str = "current", format: str | None = None,
                      progress: bool | None = None, **options: Any) -> SampledSide:
    """Read *source* as a stream and keep a seeded uniform sample of at most
    *max_texts* texts per window of *window* (see :mod:`nlperr.drift.windows`).

    Count windows are cut on the positions of the stream, which must be in time order
    when every text has a timestamp (E1009); time windows need a timestamp on every
    text (E1003).  The same input, *max_texts* and *seed* give the same sample.
    *progress*: a bar of the texts read (None: when stderr is a terminal).

    >>> side = sample_drift_data([f"text {i}" for i in range(100)], max_texts=10,
    ...                          window=50, seed=1)
    >>> [(w.key, len(w.index)) for w in side.windows], side.total
    ([('1-50', 10), ('51-100', 10)], 100)
    """
    import pandas as pd

    kind, value = parse_window(window)
    rng = random.Random(f"nlperr-drift-sample:{int(seed)}:{side}")
    pools: dict[Any, _Reservoir] = {}
    records = iter_records(source, format=format, side=side, **options)
    bar = counter_bar(progress, f"drift: reading the {side} set", unit="text")
    position = 0
    all_stamped = True
    missing, first_missing = 0, None
    last: tuple[int, Any, str] | None = None  # the last timestamp read: ns, value, where
    disorder: dict[str, Any] | None = None  # the first timestamp earlier than its predecessor
    try:
        while True:
            chunk = list(islice(records, _CHUNK))
            if not chunk:
                break
            d = _from_records(chunk, side=side)  # every record checked, kept or not
            if bar is not None:
                bar.update(len(chunk))
            n = len(d)
            ts = d.timestamps
            nat = np.ones(n, dtype=bool) if ts is None else np.asarray(ts.isna())
            if nat.any():
                all_stamped = False
                missing += int(nat.sum())
                if first_missing is None:
                    first_missing = d.ids[int(np.flatnonzero(nat)[0])]
            ns = None if ts is None else ts.as_unit("ns").asi8
            if kind == "count" and all_stamped and disorder is None:
                prev = np.concatenate([[ns[0] if last is None else last[0]], ns[:-1]])
                back = np.flatnonzero(ns < prev)
                if len(back):
                    i = int(back[0])
                    before = (last[1], last[2]) if i == 0 else \
                        (ts[i - 1], _where(chunk, d, i - 1))
                    disorder = {"where": _where(chunk, d, i), "value": _iso(ts[i]),
                                "previous": f"{_iso(before[0])} at {before[1]}"}
            if ns is not None and n and not nat[-1]:
                last = (int(ns[-1]), ts[-1], _where(chunk, d, n - 1))
            if kind == "all":
                keys: list[Any] = [None] * n
            elif kind == "count":
                keys = ((np.arange(position, position + n)) // value).tolist()
            elif ts is None or nat.any():
                keys = []  # E1003 below, once every record is counted
            else:
                keys = period_starts(ts, value).tolist()
            labels, conf, ents = d.labels, d.confidence, d.entities
            for i, key in enumerate(keys):
                pool = pools.get(key)
                if pool is None:
                    pool = pools[key] = _Reservoir(max_texts)
                row = (d.texts[i], d.ids[i], pd.NaT if ns is None or nat[i] else ts[i],
                       None if labels is None else labels[i], float(conf[i]),
                       None if ents is None else ents[i])
                pool.offer(position + i, row, rng)
                if ns is not None and not nat[i]:
                    t = int(ns[i])
                    if pool.lo is None or t < pool.lo[0]:
                        pool.lo = (t, ts[i])
                    if pool.hi is None or t > pool.hi[0]:
                        pool.hi = (t, ts[i])
            position += n
    finally:
        if bar is not None:
            bar.close()
    if disorder is not None and all_stamped:  # else input order is the order (no error)
        raise InputError(Errors.E1009.format(window=window, **disorder))
    if kind == "time" and missing:
        raise InputError(Errors.E1003.format(window=window, missing=missing, total=position,
                                             first=first_missing))
    kept = sorted((item for pool in pools.values() for item in pool.items),
                  key=lambda item: item[0])
    where = {pos: k for k, (pos, _) in enumerate(kept)}
    rows = [r for _, r in kept]
    data = DriftData(
        texts=[r[0] for r in rows], ids=[r[1] for r in rows],
        timestamps=pd.DatetimeIndex([r[2] for r in rows], tz="UTC")
        if any(r[2] is not pd.NaT for r in rows) else None,
        labels=[r[3] for r in rows] if any(r[3] is not None for r in rows) else None,
        confidence=np.asarray([r[4] for r in rows], dtype=np.float64),
        entities=[r[5] for r in rows] if any(r[5] is not None for r in rows) else None)
    windows, seen = [], {}
    for key in sorted(pools, key=lambda k: (k is None, k)):
        pool = pools[key]
        idx = np.asarray(sorted(where[pos] for pos, _ in pool.items), dtype=np.int64)
        # (time windows: every text is stamped, else E1003 above)
        lo = _iso(pool.lo[1]) if all_stamped and pool.lo is not None else None
        hi = _iso(pool.hi[1]) if all_stamped and pool.hi is not None else None
        if kind == "all":
            name = "all"
        elif kind == "count":
            a = int(key) * value
            name = f"{a + 1}-{a + pool.seen}"
        else:
            name = time_key(key, value)
            order = np.argsort(data.timestamps.asi8[idx], kind="stable")
            idx = idx[order]
        windows.append(Window(name, lo, hi, idx))
        seen[name] = pool.seen
    return SampledSide(data=data, windows=windows, seen=seen, total=position)
