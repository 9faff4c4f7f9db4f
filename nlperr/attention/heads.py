"""Per-head attention summaries over a corpus (one row per layer and head).

Definitions (token level; T = the non-padding positions of a window, special
tokens included; ``a[q, k]`` = the attention of query ``q`` to key ``k``):

``entropy``
    ``-sum_k a[q, k] * ln a[q, k]`` over the non-padding keys, in nats, for
    every non-padding query ``q``; the column is the mean over all such queries
    of the corpus (every query token weighs the same).
``cls_mass`` / ``sep_mass``
    ``a[q, 0]`` (the first token) / ``a[q, n - 1]`` (the last non-padding token),
    mean over the same queries.
``self_mass``, ``prev_mass``, ``next_mass``
    ``a[q, q]``, ``a[q, q - 1]`` (0 for the first token), ``a[q, q + 1]`` (0 for
    the last non-padding token); means over the queries.
``punct_mass``
    attention to content pieces made only of punctuation (Unicode category P*).
``special_mass``
    attention to the special tokens the tokenizer adds ([CLS], [SEP], <s>, </s>).
``mean_distance``
    ``sum_k a[q, k] * |q - k|``: expected distance to the key, in tokens.
``queries``
    the number of query tokens averaged over.

Padding keys receive exactly 0 attention in eager attention (their scores are
the dtype's minimum), so they contribute nothing.  A text longer than the
model's window is split the adapter's way; each window is a sequence of its
own and its queries count once per window.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..data import Example
from ..errors import Errors, InputError
from ..results import Finding, Result

__all__ = ["HeadSummary", "HeadAccumulator", "head_summary", "HEAD_COLUMNS"]

#: Summary columns of :func:`head_summary`, in table order.
HEAD_COLUMNS = ("entropy", "cls_mass", "sep_mass", "self_mass", "prev_mass", "next_mass",
                "punct_mass", "special_mass", "mean_distance")


class HeadAccumulator:
    """Mergeable per-head sums: :meth:`add` a batch, :meth:`merge` another
    accumulator, :meth:`frame` the means.  Keeps ``(layers, heads)`` arrays only."""

    def __init__(self) -> None:
        self.sums: np.ndarray | None = None  # (columns, layers, heads)
        self.queries = 0

    def add(self, batch: Any) -> None:
        """Add the query tokens of one :class:`~nlperr.attention.capture.AttentionBatch`."""
        import torch

        A = batch.attentions  # (L, B, H, T, T)
        L, B, H, T, _ = A.shape
        m = batch.mask.to(A.dtype)  # (B, T)
        qw = m[None, :, None, :]  # query weights
        dev = A.device
        sums = torch.empty((len(HEAD_COLUMNS), L, H), dtype=torch.float64, device=dev)

        def total(x: Any) -> Any:  # x (L, B, H, T) -> (L, H)
            return (x * qw).sum(dim=(1, 3), dtype=torch.float64)

        sums[0] = -total(torch.special.xlogy(A, A).sum(-1))
        sums[1] = total(A[..., 0])
        last = torch.as_tensor(batch.lengths - 1, device=dev)
        sep = A[:, torch.arange(B, device=dev), :, :, last]  # (B, L, H, T)
        sums[2] = (sep * m[:, None, None, :]).sum(dim=(0, 3), dtype=torch.float64)
        sums[3] = total(torch.diagonal(A, dim1=-2, dim2=-1))
        zero = torch.zeros((L, B, H, 1), dtype=A.dtype, device=dev)
        prev = torch.cat([zero, torch.diagonal(A, offset=-1, dim1=-2, dim2=-1)], dim=-1)
        sums[4] = total(prev)
        nxt = torch.diagonal(A, offset=1, dim1=-2, dim2=-1) * m[None, :, None, 1:]
        sums[5] = total(torch.cat([nxt, zero], dim=-1))
        keys = torch.stack([batch.punct, batch.special], dim=-1).to(A.dtype)  # (B, T, 2)
        km = torch.matmul(A, keys[None, :, None])  # (L, B, H, T, 2)
        sums[6] = total(km[..., 0])
        sums[7] = total(km[..., 1])
        pos = torch.arange(T, device=dev, dtype=A.dtype)
        dist = (pos[:, None] - pos[None, :]).abs()
        sums[8] = total((A * dist).sum(-1))
        s = sums.cpu().numpy()
        self.sums = s if self.sums is None else self.sums + s
        self.queries += int(batch.mask.sum())

    def merge(self, other: "HeadAccumulator") -> "HeadAccumulator":
        if other.sums is not None:
            self.sums = other.sums.copy() if self.sums is None else self.sums + other.sums
        self.queries += other.queries
        return self

    def frame(self) -> Any:
        """``layer``, ``head``, :data:`HEAD_COLUMNS`, ``queries`` (one row per head)."""
        import pandas as pd

        if self.sums is None:
            return pd.DataFrame(columns=["layer", "head", *HEAD_COLUMNS, "queries"])
        _, L, H = self.sums.shape
        means = self.sums / max(self.queries, 1)
        df = pd.DataFrame({"layer": np.repeat(np.arange(L), H), "head": np.tile(np.arange(H), L)})
        for c, name in enumerate(HEAD_COLUMNS):
            df[name] = means[c].reshape(-1)
        df["queries"] = self.queries
        return df


class HeadSummary(Result):
    """Per-head attention summaries.

    ``tables["heads"]``: ``layer``, ``head`` (0-based), the columns of
    :data:`HEAD_COLUMNS` (see the module docs) and ``queries``.
    ``summary``: ``model``, ``examples``, ``windows``, ``queries``, ``layers``,
    ``heads``, ``batch_size``, and per column the head with the lowest and the
    highest value.
    """

    kind = "attention_heads"
    title = "Attention heads"
    figure_specs = {"heads_entropy": "nlperr.attention.figures:heads_heatmap"}

    @property
    def heads(self) -> Any:
        return self.tables["heads"]


def _summarize(acc: HeadAccumulator, *, model: str, examples: int, windows: int,
               batch_size: int) -> tuple[dict[str, Any], Any, list[Finding]]:
    df = acc.frame()
    layers = int(df["layer"].max()) + 1 if len(df) else 0
    heads = int(df["head"].max()) + 1 if len(df) else 0
    summary: dict[str, Any] = {"model": model, "examples": examples, "windows": windows,
                               "queries": acc.queries, "layers": layers, "heads": heads,
                               "batch_size": batch_size}
    findings = []
    if len(df):
        extremes = {}
        for c in HEAD_COLUMNS:
            lo, hi = df[c].idxmin(), df[c].idxmax()
            extremes[c] = {"min": [int(df.at[lo, "layer"]), int(df.at[lo, "head"]),
                                   float(df.at[lo, c])],
                           "max": [int(df.at[hi, "layer"]), int(df.at[hi, "head"]),
                                   float(df.at[hi, c])]}
        summary["extremes"] = extremes
        for c, thr in (("cls_mass", 0.5), ("sep_mass", 0.5), ("prev_mass", 0.5),
                       ("next_mass", 0.5), ("self_mass", 0.5)):
            sel = df[df[c] >= thr]
            if len(sel):
                names = ", ".join(f"L{int(r.layer)}H{int(r.head)}" for r in sel.itertuples())
                findings.append(Finding(f"{len(sel)} head(s) put at least {thr:.0%} of their "
                                        f"attention on average into {c} ({names}).",
                                        metric=c, value=float(sel[c].max()), threshold=thr))
    return summary, df, findings


def head_summary(model: Any, examples: Iterable[Example], *, batch_size: int | None = None,
                 max_examples: int | None = None) -> HeadSummary:
    """Per-head attention summaries of *model* over *examples* (streaming).

    Parameters
    ----------
    model : str, adapter or (model, tokenizer) pair
        A Hugging Face token- or sequence-classification model (``"hf:PATH"``).
    examples : iterable of Example
        Read lazily; only ``(layers, heads)`` sums are kept.
    batch_size : int, optional
        Windows per forward pass (default: the adapter's).
    max_examples : int, optional
        Stop after this many examples.

    Returns
    -------
    HeadSummary
        ``tables["heads"]`` with one row per (layer, head); see the module docs
        for the definitions.
    """
    import itertools

    from .capture import as_hf_adapter, iter_attention

    adapter = as_hf_adapter(model, what="head_summary", batch_size=batch_size)
    if max_examples is not None:
        if isinstance(max_examples, bool) or not isinstance(max_examples, int) or max_examples < 1:
            raise InputError(Errors.E856.format(option="max_examples",
                                                expected="a positive integer", got=max_examples))
        examples = itertools.islice(examples, max_examples)
    acc = HeadAccumulator()
    seen = set()
    windows = 0
    for batch in iter_attention(adapter, examples, batch_size=batch_size, what="head_summary"):
        acc.add(batch)
        windows += len(batch.windows)
        seen.update(w.example for w in batch.windows)
    if acc.sums is None:
        raise InputError(Errors.E853.format(what="head_summary", received="no windows"))
    summary, df, findings = _summarize(acc, model=adapter.path, examples=len(seen),
                                       windows=windows,
                                       batch_size=int(batch_size or adapter.batch_size))
    return HeadSummary(summary=summary, tables={"heads": df}, findings=findings)
