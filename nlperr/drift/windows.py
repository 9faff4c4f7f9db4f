"""Time windows over the current set.

A window spec is

* ``None``: one window, ``"all"``, holding every current example;
* a positive integer ``N`` (or its digits as text, ``"500"``): consecutive blocks
  of ``N`` examples, in time order when every example has a timestamp, else in
  input order; the last block may be shorter;
* ``"daily"`` / ``"weekly"`` or a pandas frequency (``"1D"``, ``"7D"``,
  ``"12h"``, ``"W-SUN"``, ``"MS"``; pandas period semantics: ``"W-SUN"`` are weeks
  ending on Sunday): calendar windows of the timestamps (UTC),
  labelled by their start (``"2024-05-01"``; with a time when the frequency is
  shorter than a day).  Every current example needs a timestamp (E1003).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import Errors, InputError
from .data import DriftData

__all__ = ["Window", "parse_window", "split_windows"]

_ALIASES = {"daily": "1D", "day": "1D", "weekly": "W-SUN", "week": "W-SUN",
            "monthly": "MS", "month": "MS", "hourly": "1h", "hour": "1h"}


@dataclass(frozen=True)
class Window:
    """One window: its label, first/last timestamp (ISO text or None) and row indices
    into the current set."""

    key: str
    start: str | None
    end: str | None
    index: np.ndarray


def parse_window(spec: Any) -> tuple[str, Any]:
    """``("all", None)``, ``("count", N)`` or ``("time", pandas offset)`` for *spec*."""
    if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("", "all", "none")):
        return "all", None
    if isinstance(spec, bool):
        raise InputError(Errors.E1002.format(value=spec))
    if isinstance(spec, (int, np.integer)):
        if spec <= 0:
            raise InputError(Errors.E1002.format(value=spec))
        return "count", int(spec)
    if isinstance(spec, str):
        s = spec.strip()
        if s.isdigit():
            return parse_window(int(s))
        import pandas as pd

        try:
            off = pd.tseries.frequencies.to_offset(_ALIASES.get(s.lower(), s))
        except (ValueError, TypeError):
            raise InputError(Errors.E1002.format(value=spec)) from None
        return "time", off
    raise InputError(Errors.E1002.format(value=spec))


def split_windows(current: DriftData, spec: Any) -> list[Window]:
    """The windows of *current* for the window *spec* (see the module docstring)."""
    kind, value = parse_window(spec)
    n = len(current)
    ts = current.timestamps
    if kind == "all":
        return [Window("all", _iso(ts.min()) if _all_stamped(ts) else None,
                       _iso(ts.max()) if _all_stamped(ts) else None, np.arange(n))]
    if kind == "count":
        order = np.argsort(ts.asi8, kind="stable") if _all_stamped(ts) else np.arange(n)
        out = []
        for a in range(0, n, value):
            idx = order[a:a + value]
            key = f"{a + 1}-{a + len(idx)}"
            out.append(Window(key, _iso(ts[idx].min()) if _all_stamped(ts) else None,
                              _iso(ts[idx].max()) if _all_stamped(ts) else None, idx))
        return out
    import pandas as pd

    if ts is None or ts.isna().any():
        missing = n if ts is None else int(ts.isna().sum())
        first = current.ids[0] if ts is None else current.ids[int(np.flatnonzero(ts.isna())[0])]
        raise InputError(Errors.E1003.format(window=spec, missing=missing, total=n, first=first))
    starts = pd.Series(np.arange(n)).groupby(period_starts(ts, value)).indices
    out = []
    for start in sorted(starts):
        idx = np.asarray(starts[start], dtype=np.int64)
        idx = idx[np.argsort(ts.asi8[idx], kind="stable")]
        out.append(Window(time_key(start, value), _iso(ts[idx].min()), _iso(ts[idx].max()),
                          idx))
    return out


def period_starts(ts: Any, offset: Any) -> np.ndarray:
    """The start of the calendar window (pandas period of *offset*, UTC) of each of
    the timestamps *ts* (a UTC DatetimeIndex without NaT)."""
    import pandas as pd

    naive = ts.tz_convert("UTC").tz_localize(None)
    return pd.Series(naive).dt.to_period(offset).dt.start_time.to_numpy()


def time_key(start: Any, offset: Any) -> str:
    """The label of the calendar window starting at *start*: its date, with the time
    when *offset* is shorter than a day."""
    import pandas as pd

    try:
        sub_daily = pd.Timedelta(offset.nanos) < pd.Timedelta("1D")
    except ValueError:  # calendar frequencies (weeks, months) are not fixed
        sub_daily = False
    return pd.Timestamp(start).strftime("%Y-%m-%dT%H:%M" if sub_daily else "%Y-%m-%d")


def _all_stamped(ts: Any) -> bool:
    return ts is not None and len(ts) > 0 and not ts.isna().any()


def _iso(t: Any) -> str | None:
    return None if t is None or str(t) == "NaT" else t.isoformat()
