"""Word-level attention maps: subword pieces merged to the example's words.

Merging follows Clark et al. (2019, "What does BERT look at?"): the attention
*to* a word is the **sum** over its pieces, the attention *from* a word the
**mean** over its pieces.  Special tokens ([CLS], [SEP]) stay as words of their
own (``"[CLS]"``...), so every word row of the map sums to 1 (a row distributes
one query's attention over all keys).  Pieces that belong to no word (none
with the adapter's tokenisation) would be dropped from the columns.

Attention rollout (Abnar & Zuidema 2020): per layer ``l`` the heads' mean plus
the residual, ``R_l = 0.5 * mean_h(A_l) + 0.5 * I`` with rows renormalised to 1,
and ``rollout_l = R_l @ R_{l-1} @ ... @ R_0``, computed on pieces and merged to
words as above.  Its rows sum to 1 too.

A text longer than the model's window has one map per window (the adapter's
windows: ``window`` selects it); words cut by a window's right edge keep the
pieces the window holds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import Example
from ..errors import Errors, InputError
from ..results import Result

__all__ = ["WordAttention", "word_attention", "merge_to_words", "attention_rollout"]


def merge_to_words(att: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Merge piece attention ``(..., T, T)`` to word attention ``(..., W, W)``.

    *groups* (length T) gives each piece's word (0..n_groups-1; -1 drops the
    piece).  Columns are summed over a word's pieces, rows averaged.
    """
    T = att.shape[-1]
    P = np.zeros((T, n_groups), dtype=np.float64)
    keep = groups >= 0
    P[np.nonzero(keep)[0], groups[keep]] = 1.0
    counts = P.sum(axis=0)
    to_words = att.astype(np.float64) @ P                      # (..., T, W): sum over pieces
    avg = P / np.where(counts > 0, counts, 1.0)                # (T, W)
    return np.swapaxes(avg, 0, 1) @ to_words                   # (..., W, W): mean over pieces


def attention_rollout(att: np.ndarray) -> np.ndarray:
    """Attention rollout ``(layers, T, T)`` from attention ``(layers, heads, T, T)``:
    entry ``l`` is the rollout up to and including layer ``l``."""
    L, _, T, _ = att.shape
    eye = np.eye(T)
    out = np.empty((L, T, T))
    acc = eye
    for layer in range(L):
        r = 0.5 * att[layer].astype(np.float64).mean(axis=0) + 0.5 * eye
        r = r / r.sum(axis=-1, keepdims=True)
        acc = r @ acc
        out[layer] = acc
    return out


class WordAttention(Result):
    """Word-level attention of one example (one window).

    ``tables["words"]``: ``position`` (0-based row/column of the map), ``word``,
    ``word_index`` (index into the example's words; -1 for special tokens),
    ``start``, ``end`` (character offsets; -1 for special tokens), ``special``.
    ``tables["weights"]``: ``layer``, ``head`` (-1 for rollout), ``from_pos``,
    ``to_pos``, ``weight`` -- one row per cell of every map.
    ``summary``: ``model``, ``example_id``, ``window``, ``windows``, ``layers``,
    ``heads``, ``rollout`` (bool), ``words``.
    """

    kind = "word_attention"
    title = "Word-level attention"
    figure_specs = {"word_map": "nlperr.attention.figures:word_map"}

    def matrix(self, layer: int = -1, head: int | None = None) -> np.ndarray:
        """The ``(W, W)`` map of one layer and head (``head=None``: the heads' mean;
        for rollout results the rollout up to *layer*)."""
        w = self.tables["weights"]
        n = len(self.tables["words"])
        layers = int(self.summary["layers"])
        layer = layer % layers if layers else layer
        sel = w[w["layer"] == layer]
        if self.summary.get("rollout"):
            head = -1
        if head is None:
            sel = sel[sel["head"] >= 0]
            m = np.zeros((n, n))
            np.add.at(m, (sel["from_pos"].to_numpy(), sel["to_pos"].to_numpy()),
                      sel["weight"].to_numpy())
            return m / max(sel["head"].nunique(), 1)
        sel = sel[sel["head"] == head]
        if not len(sel):
            raise InputError(Errors.E856.format(option="head", expected=(
                f"a head in 0..{int(self.summary['heads']) - 1}"), got=head))
        m = np.zeros((n, n))
        m[sel["from_pos"].to_numpy(), sel["to_pos"].to_numpy()] = sel["weight"].to_numpy()
        return m


def word_attention(model: Any, example: Example, *, rollout: bool = False,
                   window: int = 0) -> WordAttention:
    """Word-level attention maps of one example, every layer and head.

    Parameters
    ----------
    model : str, adapter or (model, tokenizer) pair
        A Hugging Face model (see :func:`~nlperr.attention.head_summary`).
    example : Example
    rollout : bool, default False
        Attention rollout (one map per layer, ``head == -1``) instead of the raw
        per-head maps.
    window : int, default 0
        Which window of a long text.

    Returns
    -------
    WordAttention
    """
    import pandas as pd

    from .capture import as_hf_adapter, iter_attention

    adapter = as_hf_adapter(model, what="word_attention")
    if not isinstance(example, Example):
        raise InputError(Errors.E856.format(option="example", expected="an nlperr Example",
                                            got=type(example).__name__))
    found = None
    n_windows = 0
    for batch in iter_attention(adapter, [example], batch_size=64, what="word_attention"):
        for r, w in enumerate(batch.windows):
            n_windows = w.count
            if w.index == window:
                n = int(batch.lengths[r])
                found = (batch.attentions[:, r, :, :n, :n].cpu().numpy(), w, batch.prefix, n)
    if found is None:
        if n_windows == 0:
            raise InputError(Errors.E853.format(what="word_attention",
                                                received=f"text {example.text[:40]!r}"))
        raise InputError(Errors.E856.format(option="window",
                                            expected=f"an integer in 0..{n_windows - 1}",
                                            got=window))
    att, w, p, n = found
    tok = adapter.tokenizer
    n_content = w.end - w.start
    # positions: prefix specials, the window's words in order, suffix specials
    groups = np.full(n, -1, dtype=np.int64)
    rows: list[tuple[str, int, int, int, bool]] = []
    ids = list(adapter._prefix) + [0] * n_content + list(adapter._suffix)
    names = tok.convert_ids_to_tokens(ids)
    for i in range(p):
        groups[i] = len(rows)
        rows.append((names[i], -1, -1, -1, True))
    word_pos: dict[int, int] = {}
    for j, wid in enumerate(w.piece_words):
        if wid < 0:
            continue
        if int(wid) not in word_pos:
            word_pos[int(wid)] = len(rows)
            t = w.words[int(wid)]
            rows.append((t.text, int(wid), t.start, t.end, False))
        groups[p + j] = word_pos[int(wid)]
    for i in range(p + n_content, n):
        groups[i] = len(rows)
        rows.append((names[i], -1, -1, -1, True))
    W = len(rows)
    if rollout:
        maps = merge_to_words(attention_rollout(att), groups, W)[:, None]  # (L, 1, W, W)
        head_ids = [-1]
    else:
        maps = merge_to_words(att, groups, W)  # (L, H, W, W)
        head_ids = list(range(att.shape[1]))
    L = maps.shape[0]
    li, hi, fi, ti = np.meshgrid(np.arange(L), np.arange(len(head_ids)), np.arange(W),
                                 np.arange(W), indexing="ij")
    weights = pd.DataFrame({"layer": li.ravel(), "head": np.array(head_ids)[hi.ravel()],
                            "from_pos": fi.ravel(), "to_pos": ti.ravel(),
                            "weight": maps.ravel()})
    words = pd.DataFrame(rows, columns=["word", "word_index", "start", "end", "special"])
    words.insert(0, "position", np.arange(W))
    summary = {"model": adapter.path, "example_id": example.id, "window": window,
               "windows": n_windows, "layers": int(L), "heads": int(att.shape[1]),
               "rollout": bool(rollout), "words": int(W)}
    return WordAttention(summary=summary, tables={"words": words, "weights": weights})
