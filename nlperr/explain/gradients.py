"""Integrated gradients over the embedding layer of Hugging Face models.

For an input with word embeddings ``x`` and a baseline ``x'``, the
attribution of embedding coordinate ``i`` is (Sundararajan et al. 2017)::

    IG_i = (x_i - x'_i) * integral_0^1 dF(x' + a (x - x')) / dx_i  da

computed with **Gauss-Legendre quadrature** on ``steps`` nodes of [0, 1] (the
default of captum), ``internal_batch_size`` interpolation points per forward
and backward pass (memory stays bounded at any step count).  A piece's
attribution is the sum over its embedding coordinates, a word's the sum over
its pieces.  Completeness says the attributions add up to ``F(x) - F(x')``;
the *convergence delta* ``sum(IG) - (F(x) - F(x'))`` is reported per case
(``cases.delta``) and warned about (W852) when larger than 0.05 in absolute value.

Baselines (position and token-type embeddings are added by the model, as usual):

* ``"pad"`` (default): every content piece's embedding replaced by the
  ``[PAD]`` embedding; the special tokens ([CLS], [SEP]) keep theirs.
* ``"zero"``: content pieces' embeddings set to 0.

Target ``F`` (the model's *own* output at the case, probabilities not logits):

* classification: the softmax probability of the predicted (wrong) label; a
  text split into windows (``long_texts="average"``) averages the windows'
  probabilities as the adapter does, and each window's gradients count with
  weight 1/n;
* NER: the mean over the case span's words of the softmax probability, at the
  word's first piece, of the tag the model predicted for the word (with the
  adapter's default ``aggregation="first"`` that is the predicted entity's
  score), in the window where the span lies furthest from a cut edge.

Cases are those of :func:`~nlperr.explain.occlusion` (errors by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data import Example
from ..errors import Errors, InputError, Warnings, warn
from .occlusion import ATTRIBUTION_COLUMNS, CASE_COLUMNS, Attributions, make_cases, \
    word_findings

__all__ = ["integrated_gradients", "BASELINES", "DELTA_WARNING"]

BASELINES = ("pad", "zero")
#: |convergence delta| above which W852 is emitted.
DELTA_WARNING = 0.05


def _nodes(steps: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(steps)
    return (x + 1) / 2, w / 2


def _ig_sequence(model: Any, ids: list[int], content: slice, target: Any, *, steps: int,
                 baseline: str, pad_id: int, with_types: bool, device: str,
                 internal_batch_size: int) -> tuple[np.ndarray, float, float]:
    """IG of one window: per-piece attributions (len(ids),), F(x), F(baseline).

    *target* maps logits of shape ``(n, T, labels)`` / ``(n, labels)`` to ``(n,)``.
    """
    import torch

    emb = model.get_input_embeddings()
    ids_t = torch.tensor([ids], device=device)
    with torch.no_grad():
        x = emb(ids_t)[0].detach()
        if baseline == "pad":
            xb = x.clone()
            xb[content] = emb(torch.tensor([[pad_id]], device=device))[0, 0]
        else:
            xb = x.clone()
            xb[content] = 0.0
    diff = x - xb
    alphas, weights = _nodes(steps)
    total = torch.zeros_like(x)
    T = len(ids)
    mask = torch.ones((1, T), dtype=torch.long, device=device)

    def run(batch: Any) -> Any:
        n = batch.shape[0]
        kw = {"inputs_embeds": batch, "attention_mask": mask.expand(n, T)}
        if with_types:
            kw["token_type_ids"] = torch.zeros((n, T), dtype=torch.long, device=device)
        return target(model(**kw).logits.float())

    for s in range(0, steps, internal_batch_size):
        a = torch.tensor(alphas[s:s + internal_batch_size], dtype=x.dtype, device=device)
        w = torch.tensor(weights[s:s + internal_batch_size], dtype=torch.float64, device=device)
        pts = (xb[None] + a[:, None, None] * diff[None]).detach().requires_grad_(True)
        out = run(pts)
        (grad,) = torch.autograd.grad(out.sum(), pts)
        total += (grad.double() * w[:, None, None]).sum(0).to(total.dtype)
    with torch.no_grad():
        f_x = float(run(x[None]).item())
        f_b = float(run(xb[None]).item())
    attr = (diff.double() * total.double()).sum(-1).cpu().numpy()
    return attr, f_x, f_b


def integrated_gradients(model: Any, gold: Sequence[Example],
                         pred: Sequence[Example] | None = None, *, steps: int = 50,
                         baseline: str = "pad", cases: str = "errors",
                         internal_batch_size: int = 16, batch_size: int | None = None,
                         cache: Any = True) -> Attributions:
    """Integrated-gradients word attributions for a Hugging Face model's cases.

    Parameters
    ----------
    model : str, adapter or (model, tokenizer) pair
        A Hugging Face token or sequence classifier (``"hf:PATH"``).
    gold : sequence of Example
    pred : sequence of Example, optional
        The model's predictions on *gold* (default: predicted now, cached).
    steps : int, default 50
        Gauss-Legendre nodes.
    baseline : {"pad", "zero"}
    cases : {"errors", "all"}
    internal_batch_size : int, default 16
        Interpolation points per forward/backward pass.

    Returns
    -------
    Attributions
        ``method="integrated-gradients"``; ``cases.delta`` holds the convergence
        deltas, ``summary`` their maximum and mean absolute value.
    """
    import pandas as pd
    import torch

    from ..adapters._util import check_choice
    from ..attention.capture import encode_examples, as_hf_adapter
    from ..attention.contrast import predictions_for
    from .aggregate import aggregate_words
    from .occlusion import _check_cases_input

    adapter = as_hf_adapter(model, what="integrated_gradients", batch_size=batch_size)
    check_choice("baseline", baseline, BASELINES)
    check_choice("cases", cases, ("errors", "all"))
    for name, v in (("steps", steps), ("internal_batch_size", internal_batch_size)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(Errors.E856.format(option=name, expected="a positive integer",
                                                got=v))
    task = adapter.task
    if task == "classification" and adapter.multi_label:
        raise InputError(Errors.E856.format(option="model", got=adapter.path,
                                            expected="a single-label classifier (multi-label "
                                                     "models are not supported)"))
    gold = list(gold)
    if not gold:
        raise InputError(Errors.E853.format(what="integrated_gradients", received="0 examples"))
    _check_cases_input(gold, task, "integrated_gradients")
    pred = predictions_for(adapter, gold, pred, what="integrated_gradients", cache=cache)
    case_list = make_cases(gold, pred, task, cases)
    model_ = adapter.model
    p = len(adapter._prefix)
    labels = list(adapter.labels)
    needed = sorted({c["example"] for c in case_list})
    enc = dict(zip(needed, encode_examples(adapter, [gold[i] for i in needed]))) if needed else {}
    word_tags: dict[int, np.ndarray] = {}
    if task == "ner" and needed:
        for i, (_, probs) in zip(needed, adapter.predict_words([gold[i] for i in needed])):
            word_tags[i] = np.nan_to_num(probs, nan=0.0).argmax(axis=1) if len(probs) else \
                np.zeros(0, dtype=np.int64)
        adapter.start_run()
    rows, case_rows, deltas, gaps = [], [], [], []
    with torch.enable_grad():
        for c_id, c in enumerate(case_list):
            i = c["example"]
            ids, wid, offs, words, spans = enc[i]
            s, e = c["start"], c["end"]
            contrib = np.zeros(len(words))
            present = np.zeros(len(words), dtype=bool)
            f_x = f_b = rest = 0.0
            if not spans:
                windows: list[tuple[tuple[int, int], float]] = []
            elif task == "classification":
                windows = [(sp, 1.0 / len(spans)) for sp in spans]
            else:
                inside = np.nonzero((offs[:, 0] < e) & (offs[:, 1] > s))[0]
                best, best_d = None, -1
                for k, (a, b) in enumerate(spans):
                    if len(inside) and (inside.min() < a or inside.max() >= b):
                        continue
                    left = inside.min() - a if k > 0 and len(inside) else 1 << 30
                    right = b - 1 - inside.max() if k < len(spans) - 1 and len(inside) else 1 << 30
                    if min(left, right) > best_d:
                        best, best_d = (a, b), min(left, right)
                windows = [(best, 1.0)] if best is not None else []
            for (a, b), weight in windows:
                seq = list(adapter._prefix) + list(ids[a:b]) + list(adapter._suffix)
                if task == "classification":
                    li = labels.index(c["wrong_label"])

                    def target(logits: Any, li: int = li) -> Any:
                        return torch.softmax(logits, -1)[:, li]
                else:
                    w_local = wid[a:b]
                    pos, tags = [], []
                    for wi, t in enumerate(words):
                        if t.start < e and t.end > s:
                            hits = np.nonzero(w_local == wi)[0]
                            if len(hits):
                                pos.append(p + int(hits[0]))
                                tags.append(int(word_tags[i][wi]))
                    if not pos:
                        continue
                    pos_t = torch.tensor(pos, device=adapter.device)
                    tag_t = torch.tensor(tags, device=adapter.device)

                    def target(logits: Any, pos_t: Any = pos_t, tag_t: Any = tag_t) -> Any:
                        pr = torch.softmax(logits[:, pos_t], -1)  # (n, P, labels)
                        return pr.gather(-1, tag_t[None, :, None].expand(
                            pr.shape[0], -1, 1))[..., 0].mean(-1)
                attr, fx, fb = _ig_sequence(model_, seq, slice(p, p + b - a), target,
                                            steps=steps, baseline=baseline,
                                            pad_id=adapter._pad_id,
                                            with_types=adapter._with_types,
                                            device=adapter.device,
                                            internal_batch_size=internal_batch_size)
                f_x += weight * fx
                f_b += weight * fb
                piece_attr = attr[p:p + b - a]
                w_local = wid[a:b]
                ok = w_local >= 0
                np.add.at(contrib, w_local[ok], weight * piece_attr[ok])
                present[w_local[ok]] = True
                # pieces of no word and special tokens still count in the completeness sum
                rest += weight * float(attr.sum() - piece_attr[ok].sum())
            delta = float(contrib[present].sum() + rest - (f_x - f_b)) if windows \
                else float("nan")
            gaps.append(abs(f_x - f_b))
            deltas.append(delta)
            top = (None, -np.inf)
            n_words = 0
            for wi, t in enumerate(words):
                if not present[wi]:
                    continue
                in_span = t.start < e and t.end > s
                n_words += 1
                if not in_span and contrib[wi] > top[1]:
                    top = (t.text, float(contrib[wi]))
                rows.append({"case": c_id, "example": i, "example_id": c["example_id"],
                             "kind": c["kind"], "start": s, "end": e,
                             "wrong_label": c["wrong_label"], "right_label": c["right_label"],
                             "error": c["error"], "word_index": wi, "word": t.text,
                             "word_start": t.start, "word_end": t.end,
                             "attribution": float(contrib[wi]), "label_after": None,
                             "changed": None, "fixed": None, "in_span": bool(in_span)})
            case_rows.append({"case": c_id, "example": i, "example_id": c["example_id"],
                              "kind": c["kind"], "start": s, "end": e,
                              "span_text": gold[i].text[s:e], "wrong_label": c["wrong_label"],
                              "right_label": c["right_label"], "error": c["error"],
                              "score": f_x, "words": n_words, "fixes": None,
                              "top_word": top[0],
                              "top_attribution": top[1] if top[0] is not None else float("nan"),
                              "delta": delta})
    att_df = pd.DataFrame(rows, columns=[*ATTRIBUTION_COLUMNS, "in_span"])
    for col in ("changed", "fixed"):
        att_df[col] = att_df[col].astype("boolean")  # NA: occlusion-only columns
    cases_df = pd.DataFrame(case_rows, columns=CASE_COLUMNS)
    cases_df["fixes"] = cases_df["fixes"].astype("Int64")  # NA: occlusion only
    finite = [abs(d) for d in deltas if d == d]
    max_delta = max(finite) if finite else None
    if max_delta is not None and max_delta > DELTA_WARNING:
        k = int(np.nanargmax(np.abs(np.array(deltas, dtype=float))))
        gap = gaps[k]
        warn(Warnings.W852.format(delta=max_delta, case=case_rows[k]["example_id"] or k,
                                  gap=gap, threshold=DELTA_WARNING, steps=steps), stacklevel=2)
    words_df = aggregate_words(att_df[~att_df["in_span"].astype(bool)] if len(att_df)
                               else att_df)
    summary = {"method": "integrated-gradients", "steps": steps, "baseline": baseline,
               "model": adapter.path, "task": task, "examples": len(gold),
               "cases": len(case_list), "error_cases": int(sum(c["error"] for c in case_list)),
               "max_delta": max_delta,
               "mean_abs_delta": float(np.mean(finite)) if finite else None,
               "quadrature": "gauss-legendre"}
    return Attributions(summary=summary, findings=word_findings(words_df),
                        tables={"attributions": att_df, "cases": cases_df, "words": words_df})
