"""Plots drawn from a result's numbers (matplotlib, headless, one consistent style).

Every function takes ``(result, ax=None)``: it draws onto *ax* when given (and
returns ``ax.figure``), else onto a new :class:`matplotlib.figure.Figure` (never
pyplot's global state).  Each has an ``available(result)`` attribute that tells
whether the result holds the numbers it needs, so that
:attr:`nlperr.results.Result.figures` lists only the figures that can be drawn.
A figure shows only numbers the result holds (tables or summary); it computes
nothing beyond laying them out (a histogram bins a column the result holds).

==========================  ==================================================
function                    draws
==========================  ==================================================
:func:`confusion_heatmap`   ``tables["confusion"]`` (gold rows x predicted
                            columns, ``∅`` row / column for spurious / missed)
:func:`slice_deltas`        ``tables["worst_slices"]``: slice minus overall
                            with its 95% bootstrap interval
:func:`reliability_diagram` ``tables["calibration"]``: accuracy vs confidence
:func:`error_categories`    ``tables["errors_by_type"]``: error categories per
                            entity type (stacked bars)
:func:`suite_pass_rates`    ``tables["tests"]`` (suite run) or
                            ``tables["comparison"]`` (two checkpoints): pass
                            rates against each test's minimum
:func:`suite_flips`         ``tables["comparison"]``: cases newly failing /
                            newly passing per test
:func:`ocr_noise_histogram` ``tables["documents"]["ocr_noise"]`` (OCR stats)
:func:`cer_histogram`       ``tables["documents"]["cer"]`` (OCR compare)
==========================  ==================================================
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

__all__ = ["confusion_heatmap", "slice_deltas", "reliability_diagram", "error_categories",
           "suite_pass_rates", "suite_flips", "ocr_noise_histogram", "cer_histogram",
           "figure_to_svg", "figure_to_png", "STYLE"]

#: The rcParams every nlperr figure is drawn and saved under (deterministic SVG:
#: fixed hash salt, no dates; text kept as text).
STYLE: dict[str, Any] = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "legend.fontsize": 8, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": False, "figure.dpi": 100,
    "svg.hashsalt": "nlperr", "svg.fonttype": "none", "path.simplify": True,
    "font.family": "DejaVu Sans",
}
BLUE, RED, GREEN, GREY, ORANGE = "#2b6cb0", "#c53030", "#2f855a", "#718096", "#dd6b20"


def _matplotlib() -> Any:
    from ..adapters._util import require

    mpl = require("matplotlib", extra="report", what="nlperr figures")
    return mpl


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    if ax is not None:
        return ax
    _matplotlib()
    from matplotlib.figure import Figure

    with _style():
        fig = Figure(figsize=size, layout="constrained")
        return fig.add_subplot()


def _style() -> Any:
    mpl = _matplotlib()
    return mpl.rc_context(STYLE)


def _table(result: Any, name: str) -> Any:
    t = getattr(result, "tables", {}).get(name)
    return t if t is not None and len(t) else None


def _available(fn: Callable[..., Any], check: Callable[[Any], bool]) -> Callable[..., Any]:
    fn.available = check  # type: ignore[attr-defined]
    return fn


def _fmt(v: float) -> str:
    if v == int(v):
        return str(int(v))
    return f"{v:.2f}"


# --- analysis -----------------------------------------------------------------------------

def confusion_heatmap(result: Any, ax: Any = None, *, max_labels: int = 25) -> Any:
    """Heat map of ``tables["confusion"]``: rows gold, columns predicted; the counts
    are written in the cells.  Colours are row-normalised (share of the gold row)
    so that rare types stay readable.  At most *max_labels* rows / columns (the
    largest rows; ``∅`` is always kept)."""
    conf = result.tables["confusion"]
    rows = list(conf.index)
    if len(rows) > max_labels:
        keep = conf.sum(axis=1).sort_values(ascending=False, kind="stable").index[:max_labels]
        rows = [r for r in rows if r in set(keep) or str(r) == "∅"]
    cols = [c for c in conf.columns if c in set(rows) or str(c) == "∅"] or list(conf.columns)
    m = conf.loc[rows, cols].to_numpy(dtype=float)
    n = max(len(rows), len(cols))
    ax = _axes(ax, (min(max(4.6, 2.2 + 0.45 * n), 9.5), min(max(3.4, 1.8 + 0.4 * n), 9)))
    with _style():
        tot = m.sum(axis=1, keepdims=True)
        share = m / (tot + (tot == 0))
        ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(len(cols)), [str(c) for c in cols], rotation=40, ha="right")
        ax.set_yticks(range(len(rows)), [str(r) for r in rows])
        ax.set_xlabel(f"predicted ({conf.columns.name or 'pred'})")
        ax.set_ylabel(f"gold ({conf.index.name or 'gold'})")
        for i in range(len(rows)):
            for j in range(len(cols)):
                if m[i, j]:
                    ax.text(j, i, _fmt(m[i, j]), ha="center", va="center", fontsize=7,
                            color="white" if share[i, j] > 0.55 else "#1a202c")
        ax.set_title("Confusion: counts (colour: share of the gold row)")
        for s in ax.spines.values():
            s.set_visible(False)
    return ax.figure


_available(confusion_heatmap, lambda r: _table(r, "confusion") is not None)


def slice_deltas(result: Any, ax: Any = None, *, top: int = 15) -> Any:
    """``tables["worst_slices"]``: for the *top* tested slices (worst first), the
    slice's score minus the overall score (``delta``) with its 95% bootstrap
    interval (``ci_low`` .. ``ci_high``); significant slices in red."""
    ws = result.tables["worst_slices"]
    ws = ws[ws["q_value"].notna()].head(top) if "q_value" in ws else ws.head(top)
    score = "f1" if "f1" in ws else "accuracy" if "accuracy" in ws else None
    labels = [f"{a} = {v} (n={s})" for a, v, s in zip(ws["attribute"], ws["value"],
                                                      ws["support"])]
    ax = _axes(ax, (7.5, 1.2 + 0.28 * max(len(ws), 1)))
    with _style():
        y = list(range(len(ws)))[::-1]
        sig = ws["significant"].to_numpy(dtype=bool) if "significant" in ws else \
            [False] * len(ws)
        colors = [RED if s else BLUE for s in sig]
        d = ws["delta"].to_numpy(dtype=float)
        lo = ws["ci_low"].to_numpy(dtype=float)
        hi = ws["ci_high"].to_numpy(dtype=float)
        for yi, di, l, h, c in zip(y, d, lo, hi, colors):
            if math.isfinite(l) and math.isfinite(h):
                ax.plot([l, h], [yi, yi], color=c, lw=1.6, solid_capstyle="butt")
            ax.plot([di], [yi], "o", color=c, ms=4.5)
        ax.axvline(0, color=GREY, lw=0.8, ls="--")
        ax.set_yticks(y, labels)
        ax.set_xlabel(f"{score or 'score'} of the slice minus overall (95% bootstrap CI; "
                      f"red: significant, BH q ≤ 0.05)")
        ax.set_title(f"{score or 'Score'} by slice, worst first")
    return ax.figure


_available(slice_deltas, lambda r: (_table(r, "worst_slices") is not None
                                    and {"delta", "ci_low", "ci_high"}
                                    <= set(r.tables["worst_slices"].columns)))


def reliability_diagram(result: Any, ax: Any = None) -> Any:
    """``tables["calibration"]``: accuracy against mean confidence per bin (bins with
    at least one example; marker area ~ count), the diagonal is perfect calibration."""
    cal = result.tables["calibration"]
    cal = cal[cal["count"] > 0]
    ax = _axes(ax, (4.2, 4.0))
    with _style():
        ax.plot([0, 1], [0, 1], color=GREY, lw=0.8, ls="--", label="perfect calibration")
        ax.plot(cal["confidence"], cal["accuracy"], color=BLUE, lw=1.2)
        n = cal["count"].to_numpy(dtype=float)
        ax.scatter(cal["confidence"], cal["accuracy"], s=12 + 120 * n / max(n.max(), 1),
                   color=BLUE, zorder=3, label="bins (area ~ examples)")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("mean confidence")
        ax.set_ylabel("accuracy")
        ece = (getattr(result, "summary", {}).get("calibration") or {}).get("ece")
        ax.set_title("Reliability" + (f" (ECE {ece:.3f})" if isinstance(ece, float) else ""))
        ax.legend(loc="upper left", frameon=False)
    return ax.figure


_available(reliability_diagram, lambda r: _table(r, "calibration") is not None)


_CATEGORY_COLORS = {"correct": GREEN, "type": ORANGE, "boundary": "#d69e2e",
                    "type_boundary": "#9c4221", "missed": RED, "spurious": "#805ad5",
                    "merged": "#3182ce", "split": "#319795"}


def error_categories(result: Any, ax: Any = None) -> Any:
    """``tables["errors_by_type"]``: per entity type, the entities in each error
    category (stacked horizontal bars; ``correct`` first)."""
    t = result.tables["errors_by_type"]
    t = t.set_index("label") if "label" in t.columns else t
    cats = [c for c in t.columns if c != "total"]
    ax = _axes(ax, (7.5, 1.3 + 0.32 * len(t)))
    with _style():
        left = None
        y = list(range(len(t)))[::-1]
        import numpy as np

        left = np.zeros(len(t))
        for c in cats:
            v = t[c].to_numpy(dtype=float)
            ax.barh(y, v, left=left, color=_CATEGORY_COLORS.get(str(c), GREY), label=str(c),
                    height=0.7)
            left = left + v
        ax.set_yticks(y, [str(i) for i in t.index])
        ax.set_xlabel("entities (gold and predicted rows of entity_errors)")
        ax.set_title("Error categories per type")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax.figure


_available(error_categories, lambda r: _table(r, "errors_by_type") is not None)


# --- suites --------------------------------------------------------------------------------

def suite_pass_rates(result: Any, ax: Any = None) -> Any:
    """Pass rate per test (``tables["tests"]``, or ``tables["comparison"]`` with the
    baseline's beside it) and each test's ``min_pass_rate`` (black tick); failed
    tests in red, skipped tests (no case evaluated) are listed without a bar."""
    import numpy as np

    comp = _table(result, "comparison")
    tests = _table(result, "tests")
    t = comp if comp is not None else tests
    names = [str(n) for n in t["name"]]
    ax = _axes(ax, (7.5, 1.3 + 0.3 * len(t) * (1.6 if comp is not None else 1)))
    with _style():
        y = np.arange(len(t))[::-1].astype(float)
        pr = t["pass_rate"].to_numpy(dtype=float)
        status = None
        if tests is not None and "status" in tests:
            st = dict(zip(tests["name"], tests["status"]))
            status = [st.get(n) for n in t["name"]]
        if comp is not None:
            base = t["baseline_pass_rate"].to_numpy(dtype=float)
            ax.barh(y + 0.2, np.nan_to_num(base), height=0.38, color="#a0aec0",
                    label="baseline")
            reg = t["significant_regression"].to_numpy(dtype=bool)
            ax.barh(y - 0.2, np.nan_to_num(pr), height=0.38,
                    color=[RED if r else BLUE for r in reg], label="new (red: significant "
                                                                  "regression)")
            for yi, p, r in zip(y, pr, reg):
                if r and math.isfinite(p):
                    ax.text(p + 0.01, yi - 0.2, f"{p:.2f}", va="center", fontsize=7, color=RED)
        else:
            failed = [s == "failed" for s in (status or [None] * len(t))]
            ax.barh(y, np.nan_to_num(pr), height=0.6, color=[RED if f else BLUE for f in failed])
            for yi, p, f in zip(y, pr, failed):
                if f and math.isfinite(p):
                    ax.text(p + 0.01, yi, f"{p:.2f}", va="center", fontsize=7, color=RED)
        if tests is not None and "min_pass_rate" in tests:
            mins = dict(zip(tests["name"], tests["min_pass_rate"]))
            for yi, n in zip(y, t["name"]):
                m = mins.get(n)
                if m is not None and math.isfinite(float(m)):
                    ax.plot([m, m], [yi - 0.42, yi + 0.42], color="black", lw=1.4)
        for yi, p in zip(y, pr):
            if not math.isfinite(p):
                ax.text(0.01, yi, "skipped: no case evaluated", va="center", fontsize=7,
                        color=GREY)
        ax.set_yticks(y, names)
        ax.set_xlim(0, 1.0)
        ax.set_xlabel("pass rate (black tick: the test's min_pass_rate)")
        ax.set_title("Suite tests: pass rates" + (" (baseline vs new)" if comp is not None
                                                    else " (red: failed)"))
        if comp is not None:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax.figure


_available(suite_pass_rates, lambda r: (_table(r, "comparison") is not None
                                        or _table(r, "tests") is not None))


def suite_flips(result: Any, ax: Any = None) -> Any:
    """``tables["comparison"]``: per test, cases newly failing (``regressions``, to
    the left) and newly passing (``fixes``, to the right); tests with a
    significant regression (McNemar) in red."""
    import numpy as np

    t = result.tables["comparison"]
    ax = _axes(ax, (7.5, 1.3 + 0.3 * len(t)))
    with _style():
        y = np.arange(len(t))[::-1]
        reg = t["regressions"].to_numpy(dtype=float)
        fix = t["fixes"].to_numpy(dtype=float)
        sig = t["significant_regression"].to_numpy(dtype=bool)
        ax.barh(y, -reg, color=[RED if s else "#fc8181" for s in sig], height=0.6,
                label="newly failing")
        ax.barh(y, fix, color=GREEN, height=0.6, label="newly passing")
        for yi, r, f in zip(y, reg, fix):
            if r:
                ax.text(-r, yi, f"{int(r)} ", ha="right", va="center", fontsize=7)
            if f:
                ax.text(f, yi, f" {int(f)}", ha="left", va="center", fontsize=7)
        lim = max(float(reg.max(initial=0)), float(fix.max(initial=0)), 1.0) * 1.25
        ax.set_xlim(-lim, lim)
        ax.axvline(0, color=GREY, lw=0.8)
        ax.set_yticks(y, [str(n) for n in t["name"]])
        ax.set_xlabel("cases: newly failing (left) / newly passing (right)")
        ax.set_title("Flips between checkpoints (dark red: significant regression)")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return ax.figure


_available(suite_flips, lambda r: (_table(r, "comparison") is not None
                                   and "regressions" in r.tables["comparison"]))


# --- OCR -----------------------------------------------------------------------------------

def _histogram(result: Any, ax: Any, column: str, xlabel: str, title: str) -> Any:
    import numpy as np

    v = result.tables["documents"][column].to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    ax = _axes(ax, (5.5, 3.2))
    with _style():
        ax.hist(v, bins=min(30, max(5, int(len(v) ** 0.5) + 1)), color=BLUE, edgecolor="white")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("documents")
        ax.set_title(title + f" ({len(v)} documents)")
    return ax.figure


def ocr_noise_histogram(result: Any, ax: Any = None) -> Any:
    """Histogram of the per-document OCR-noise score (``tables["documents"]``)."""
    return _histogram(result, ax, "ocr_noise", "OCR-noise score (0 clean .. 1 noisy)",
                      "OCR noise per document")


_available(ocr_noise_histogram, lambda r: (_table(r, "documents") is not None
                                           and "ocr_noise" in r.tables["documents"]))


def cer_histogram(result: Any, ax: Any = None) -> Any:
    """Histogram of the per-document character error rate (``tables["documents"]``)."""
    return _histogram(result, ax, "cer", "character error rate", "CER per document")


_available(cer_histogram, lambda r: (_table(r, "documents") is not None
                                     and "cer" in r.tables["documents"]))


# --- output --------------------------------------------------------------------------------

def figure_to_svg(fig: Any) -> bytes:
    """The figure as SVG bytes, byte-identical for identical figures (fixed hash
    salt, no date in the metadata)."""
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "nlperr"})
    return buf.getvalue()


def figure_to_png(fig: Any, *, dpi: int = 110) -> bytes:
    """The figure as PNG bytes (no timestamp in the metadata)."""
    buf = io.BytesIO()
    with _style():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "nlperr"})
    return buf.getvalue()
