"""Figures of a :class:`~nlperr.drift.DriftResult` (matplotlib, ``pip install
'nlperr[report]'``).  Each draws only numbers of the result's ``tests`` table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["plot_statistics", "plot_p_values"]


def _axes(ax: Any, figsize: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    from ..adapters._util import require

    require("matplotlib", extra="report", what="drift figures")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize).add_subplot()


def _ok(result: Any) -> Any:
    t = result.tables["tests"]
    return t[t["status"] == "ok"]


def plot_statistics(result: Any, ax: Any = None) -> Any:
    """Each test's statistic per window (one line per test, scaled by its critical
    value: 1.0 is the alarm threshold at the Bonferroni level alpha / m), drifting
    points marked."""
    t = _ok(result)
    windows = list(dict.fromkeys(result.tables["windows"]["window"]))
    ax = _axes(ax, (max(5.0, 0.6 * len(windows) + 3), 4.0))
    x = np.arange(len(windows))
    for name, sub in t.groupby("test", sort=False):
        pos = [windows.index(w) for w in sub["window"]]
        crit = sub["critical_value"].to_numpy(dtype=float)
        stat = sub["statistic"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = np.where(np.isfinite(crit) & (crit > 0), stat / crit, np.nan)
        if np.all(np.isnan(y)):
            continue
        line = ax.plot(pos, y, marker="o", label=str(name))[0]
        drift = sub["drift"].to_numpy(dtype=bool)
        if drift.any():
            ax.scatter(np.asarray(pos)[drift], y[drift], s=80, facecolors="none",
                       edgecolors=line.get_color(), linewidths=2)
    ax.axhline(1.0, color="red", linestyle="--", linewidth=1, label="alarm threshold")
    ax.set_xticks(x)
    ax.set_xticklabels(windows, rotation=45 if len(windows) > 4 else 0, ha="right")
    ax.set_ylabel("statistic / critical value")
    ax.set_title("Drift statistics per window")
    ax.legend(fontsize="small", ncol=2)
    ax.figure.tight_layout()
    return ax.figure


def plot_p_values(result: Any, ax: Any = None) -> Any:
    """-log10 of each test's adjusted p-value (last window when there are several),
    with the alpha line."""
    t = _ok(result)
    windows = list(dict.fromkeys(t["window"]))
    sub = t[t["window"] == windows[-1]] if windows else t
    ax = _axes(ax, (6.0, 0.35 * max(len(sub), 3) + 1.5))
    q = sub["adjusted_p_value"].to_numpy(dtype=float)
    y = -np.log10(np.clip(q, 1e-300, 1.0))
    colors = ["tab:red" if d else "tab:gray" for d in sub["drift"]]
    ax.barh(np.arange(len(sub)), y, color=colors)
    ax.set_yticks(np.arange(len(sub)))
    ax.set_yticklabels(list(sub["test"]))
    alpha = float(result.summary.get("alpha", 0.05))
    ax.axvline(-math.log10(alpha), color="red", linestyle="--", label=f"alpha = {alpha}")
    ax.set_xlabel("-log10 adjusted p-value")
    ax.set_title("Drift tests" + (f" (window {windows[-1]})" if windows and windows[-1] != "all"
                                  else ""))
    ax.legend(fontsize="small")
    ax.figure.tight_layout()
    return ax.figure
