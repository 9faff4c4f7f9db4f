"""Figures of the training results: each function takes ``(result, ax=None)``, draws
only numbers the result holds, and returns the matplotlib ``Figure`` (headless: no
pyplot).  ``pip install 'nlperr[report]'`` for matplotlib."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["overfit_curve", "lr_range", "layer_gradients", "loss_curves", "gradient_norms",
           "logged_losses"]

_SEVERITY_COLOURS = {"critical": "tab:red", "warning": "tab:orange", "info": "tab:blue"}


def _axes(ax: Any, size: tuple[float, float] = (6.4, 4.0)) -> Any:
    if ax is not None:
        return ax
    from ..adapters._util import require

    require("matplotlib", extra="report", what="nlperr's figures")
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    return fig.add_subplot()


def _has(table: str) -> Any:
    def available(result: Any) -> bool:
        df = result.tables.get(table)
        return df is not None and len(df) > 0
    return available


def overfit_curve(result: Any, ax: Any = None) -> Any:
    """Loss (and share of labels fitted) of the overfit-one-batch run per step."""
    ax = _axes(ax)
    df = result.tables["overfit_curve"]
    ax.plot(df["step"], df["loss"], marker="o", label="loss")
    if df["accuracy"].notna().any():
        ax.plot(df["step"], df["accuracy"], marker="s", linestyle="--",
                label="labels fitted")
    ax.set_xlabel("step")
    ax.set_title("Overfit one batch")
    ax.legend()
    return ax.figure


overfit_curve.available = _has("overfit_curve")  # type: ignore[attr-defined]


def lr_range(result: Any, ax: Any = None) -> Any:
    """LR range test: loss against learning rate (log scale), the suggested range
    shaded and the planned learning rate as a vertical line."""
    ax = _axes(ax)
    df = result.tables["lr_range"]
    ax.plot(df["lr"], df["loss"], alpha=0.4, label="loss")
    sm = df["smoothed"].where(df["smoothed"].map(lambda v: math.isfinite(v)))
    ax.plot(df["lr"], sm, label="smoothed")
    ax.set_xscale("log")
    s = result.summary
    if s.get("suggested_lr"):
        lo, hi = s["suggested_lr"]
        ax.axvspan(lo, hi, color="tab:green", alpha=0.15, label="suggested")
    if s.get("lr"):
        ax.axvline(s["lr"], color="tab:red", linestyle=":", label=f"lr {s['lr']:g}")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.set_title("Learning-rate range test")
    ax.legend()
    return ax.figure


lr_range.available = _has("lr_range")  # type: ignore[attr-defined]


def layer_gradients(result: Any, ax: Any = None) -> Any:
    """Gradient/weight ratio per layer (log scale); layers without gradient at 0."""
    ax = _axes(ax, (6.4, 4.8))
    df = result.tables["layers"]
    df = df[df["kind"] == "layer"]
    vals = df["grad_ratio"].fillna(0.0)
    ax.barh(range(len(df)), vals.where(vals > 0, float("nan")))
    ax.set_yticks(range(len(df)))
    ax.set_yticklabels(df["name"], fontsize=7)
    ax.invert_yaxis()
    if (vals > 0).any():
        ax.set_xscale("log")
    ax.set_xlabel("gradient norm / parameter norm")
    ax.set_title("Gradient flow per layer")
    return ax.figure


layer_gradients.available = _has("layers")  # type: ignore[attr-defined]


def loss_curves(result: Any, ax: Any = None) -> Any:
    """Training and validation loss with their trends; findings shaded by severity."""
    ax = _axes(ax, (7.2, 4.2))
    df = result.tables["curves"]
    for split, colour in (("train", "tab:blue"), ("eval", "tab:purple")):
        part = df[df["split"] == split]
        if not len(part):
            continue
        ax.plot(part["step"], part["loss"], color=colour, alpha=0.3, linewidth=0.8)
        ax.plot(part["step"], part["trend"], color=colour, label=f"{split} (trend)")
    for f in result.tables["findings"].to_dict("records"):
        colour = _SEVERITY_COLOURS.get(f["severity"], "tab:gray")
        if f["end_step"] > f["start_step"]:
            ax.axvspan(f["start_step"], f["end_step"], color=colour, alpha=0.12)
        else:
            ax.axvline(f["start_step"], color=colour, linestyle="--")
        ax.annotate(f["kind"], (f["start_step"], 1.0), xycoords=("data", "axes fraction"),
                    fontsize=7, va="top", color=colour)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("Loss curves")
    ax.legend()
    return ax.figure


loss_curves.available = _has("curves")  # type: ignore[attr-defined]


def gradient_norms(result: Any, ax: Any = None) -> Any:
    """Per-layer gradient norms over the recorded steps (log scale)."""
    ax = _axes(ax, (7.2, 4.2))
    df = result.tables["layers_log"]
    for layer, part in df.groupby("layer", sort=False):
        ax.plot(part["step"], part["grad_norm"], marker=".", label=layer)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("gradient norm")
    ax.set_title("Gradient norm per layer")
    ax.legend(fontsize=6, ncol=2)
    return ax.figure


gradient_norms.available = _has("layers_log")  # type: ignore[attr-defined]


def logged_losses(result: Any, ax: Any = None) -> Any:
    """The training loss the monitor logged."""
    ax = _axes(ax)
    df = result.tables["losses"]
    ax.plot(df["step"], df["loss"])
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title("Training loss")
    return ax.figure


logged_losses.available = _has("losses")  # type: ignore[attr-defined]
