"""Figures drawn from the numbers of attention and attribution results.

Each function takes ``(result, ax=None, ...)``, draws onto *ax* (or a new
headless :class:`matplotlib.figure.Figure`) and returns the figure; it shows
only numbers the result holds.  ``pip install 'nlperr[report]'`` for matplotlib.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Errors, InputError

__all__ = ["heads_heatmap", "contrast_heatmap", "word_map", "attribution_words"]


def _axes(ax: Any, size: tuple[float, float]) -> Any:
    from ..adapters._util import require

    require("matplotlib", extra="report", what="nlperr figures")
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100)
    return fig.add_subplot()


def _table(result: Any, *names: str) -> Any:
    for n in names:
        if n in result.tables:
            return result.tables[n]
    raise InputError(Errors.E858.format(name=names[0], available=list(result.tables),
                                        hint="Pass a result that holds it."))


def _grid(df: Any, column: str) -> np.ndarray:
    L = int(df["layer"].max()) + 1
    H = int(df["head"].max()) + 1
    grid = np.full((L, H), np.nan)
    grid[df["layer"].to_numpy(dtype=int), df["head"].to_numpy(dtype=int)] = \
        df[column].to_numpy(dtype=float)
    return grid


def _annotate(ax: Any, grid: np.ndarray, fmt: str = "{:.2f}") -> None:
    if grid.size > 400:
        return
    lo, hi = np.nanmin(grid), np.nanmax(grid)
    mid = (lo + hi) / 2
    for (i, j), v in np.ndenumerate(grid):
        if v == v:
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=7,
                    color="white" if v < mid else "black")


def heads_heatmap(result: Any, ax: Any = None, *, column: str = "entropy") -> Any:
    """Layer x head heat map of one column of ``tables["heads"]`` (any summary column)."""
    from .heads import HEAD_COLUMNS

    df = _table(result, "heads")
    if column not in df.columns or column in ("layer", "head"):
        raise InputError(Errors.E207.format(value=column, option="column",
                                            allowed=list(HEAD_COLUMNS)))
    grid = _grid(df, column)
    ax = _axes(ax, (1.2 + 0.55 * grid.shape[1], 1.0 + 0.45 * grid.shape[0]))
    im = ax.imshow(grid, cmap="viridis", aspect="auto")
    _annotate(ax, grid)
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_xticks(range(grid.shape[1]))
    ax.set_yticks(range(grid.shape[0]))
    ax.set_title(f"{column} per head")
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax.figure


heads_heatmap.available = lambda r: "heads" in r.tables and len(r.tables["heads"]) > 0


def contrast_heatmap(result: Any, ax: Any = None, *, feature: str = "entropy") -> Any:
    """Layer x head heat map of the rank-biserial effect size (errors vs correct) of
    one feature of ``tables["contrast"]``; significant heads (q < alpha) marked *."""
    df = _table(result, "contrast")
    sel = df[df["feature"] == feature]
    if not len(sel):
        raise InputError(Errors.E207.format(value=feature, option="feature",
                                            allowed=sorted(set(df["feature"]))))
    grid = _grid(sel, "effect_size")
    sig = _grid(sel.assign(sig=sel["significant"].astype(float)), "sig")
    ax = _axes(ax, (1.2 + 0.55 * grid.shape[1], 1.0 + 0.45 * grid.shape[0]))
    im = ax.imshow(grid, cmap="coolwarm", vmin=-1, vmax=1, aspect="auto")
    if grid.size <= 400:
        for (i, j), v in np.ndenumerate(grid):
            if v == v:
                ax.text(j, i, f"{v:+.2f}{'*' if sig[i, j] == 1 else ''}", ha="center",
                        va="center", fontsize=7)
    ax.set_xlabel("head")
    ax.set_ylabel("layer")
    ax.set_xticks(range(grid.shape[1]))
    ax.set_yticks(range(grid.shape[0]))
    ax.set_title(f"{feature}: errors vs correct (rank-biserial; * q < alpha)")
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax.figure


contrast_heatmap.available = lambda r: "contrast" in r.tables and len(r.tables["contrast"]) > 0


def word_map(result: Any, ax: Any = None, *, layer: int = -1, head: int | None = None) -> Any:
    """The word-level attention map of one example (rows: from, columns: to);
    *head* None: the heads' mean of *layer* (rollout results: the rollout)."""
    words = _table(result, "words", "map_words")
    weights = _table(result, "weights", "map_weights")
    n = len(words)
    layers = int(weights["layer"].max()) + 1
    lay = layer % layers
    sel = weights[weights["layer"] == lay]
    rollout = bool((sel["head"] == -1).all())
    if head is not None and not rollout:
        sel = sel[sel["head"] == head]
    m = np.zeros((n, n))
    np.add.at(m, (sel["from_pos"].to_numpy(int), sel["to_pos"].to_numpy(int)),
              sel["weight"].to_numpy(float))
    m /= max(sel["head"].nunique(), 1)
    ax = _axes(ax, (1.5 + 0.35 * n, 1.2 + 0.35 * n))
    im = ax.imshow(m, cmap="Blues", vmin=0, vmax=max(float(m.max()), 1e-9))
    labels = words["word"].astype(str).tolist()
    ax.set_xticks(range(n))
    ax.set_xticklabels(labels, rotation=90, fontsize=8)
    ax.set_yticks(range(n))
    ax.set_yticklabels(labels, fontsize=8)
    what = "rollout" if rollout else ("mean of heads" if head is None else f"head {head}")
    ax.set_title(f"layer {lay}, {what}")
    ax.set_xlabel("to")
    ax.set_ylabel("from")
    ax.figure.colorbar(im, ax=ax, shrink=0.8)
    return ax.figure


word_map.available = lambda r: any(t in r.tables for t in ("weights", "map_weights"))


def attribution_words(result: Any, ax: Any = None, *, case: int | None = None) -> Any:
    """The words of one case coloured by attribution (red: raises the wrong label,
    blue: lowers it; the explained span framed in black); *case* None: the case
    with the largest top attribution."""
    att = _table(result, "attributions")
    cases = _table(result, "cases")
    if case is None:
        if not len(cases):
            raise InputError(Errors.E858.format(name="cases", available=list(result.tables),
                                                hint="The result explains no case."))
        order = cases["top_attribution"].astype(float).fillna(-np.inf)
        case = int(cases.loc[order.idxmax(), "case"])
    rows = att[att["case"] == case].sort_values("word_start")
    crow = cases[cases["case"] == case]
    if not len(crow):
        raise InputError(Errors.E856.format(option="case", expected=f"one of "
                                            f"{cases['case'].tolist()[:10]}", got=case))
    c = crow.iloc[0]
    ax = _axes(ax, (10, 2.2))  # imports matplotlib (or says which extra to install)
    import matplotlib.colors as mcolors
    from matplotlib import colormaps

    ax.set_axis_off()
    vals = rows["attribution"].to_numpy(float)
    vmax = float(np.nanmax(np.abs(vals))) if len(vals) else 1.0
    norm = mcolors.TwoSlopeNorm(vmin=-max(vmax, 1e-9), vcenter=0.0, vmax=max(vmax, 1e-9))
    cmap = colormaps["coolwarm"]
    items = [(int(r.word_start), str(r.word), cmap(norm(r.attribution)), False)
             for r in rows.itertuples() if not getattr(r, "in_span", False)]
    if c["kind"] != "example":  # the explained span itself, framed and uncoloured
        items.append((int(c["start"]), str(c["span_text"]), "white", True))
    x, y = 0.01, 0.6
    for _, word, colour, is_span in sorted(items, key=lambda it: it[0]):
        ax.text(x, y, word, transform=ax.transAxes, fontsize=11, va="center",
                fontweight="bold" if is_span else "normal",
                bbox={"facecolor": colour, "edgecolor": "black" if is_span else "none",
                      "pad": 2})
        x += 0.012 * (len(word) + 2)
        if x > 0.95:
            x, y = 0.01, y - 0.3
    ax.set_title(f"case {case} ({c['example_id']}): {c['span_text']!s:.40} predicted "
                 f"{c['wrong_label']}, gold {c['right_label']}", fontsize=9)
    return ax.figure


attribution_words.available = lambda r: "attributions" in r.tables and \
    len(r.tables["attributions"]) > 0


def _column_map(column: str) -> Any:
    def fig(result: Any, ax: Any = None) -> Any:
        return heads_heatmap(result, ax, column=column)

    fig.__name__ = f"heads_{column}"
    fig.__doc__ = f"Layer x head heat map of ``{column}``."
    fig.available = heads_heatmap.available  # type: ignore[attr-defined]
    return fig


heads_entropy = _column_map("entropy")
heads_cls_mass = _column_map("cls_mass")
heads_sep_mass = _column_map("sep_mass")
heads_self_mass = _column_map("self_mass")
heads_prev_mass = _column_map("prev_mass")
heads_next_mass = _column_map("next_mass")
heads_punct_mass = _column_map("punct_mass")
heads_special_mass = _column_map("special_mass")
heads_mean_distance = _column_map("mean_distance")


def _contrast_map(feature: str) -> Any:
    def fig(result: Any, ax: Any = None) -> Any:
        return contrast_heatmap(result, ax, feature=feature)

    fig.__name__ = f"contrast_{feature}"
    fig.__doc__ = f"Effect size (errors vs correct) of ``{feature}`` per head."
    fig.available = contrast_heatmap.available  # type: ignore[attr-defined]
    return fig


contrast_entropy = _contrast_map("entropy")
contrast_context_mass = _contrast_map("context_mass")
contrast_special_mass = _contrast_map("special_mass")
