"""Errors versus correct: attention features per case and per head, compared.

Units (cases):

* classification -- one unit per example (``kind="example"``); an error when
  the predicted label differs from the gold label;
* NER -- one unit per gold entity (``kind="gold"``; an error when no predicted
  entity has the same start, end and label) and one per predicted entity that
  matches no gold entity exactly (``kind="pred"``; always an error), plus one
  unit per example (``kind="example"``; an error when any entity of the example
  is).  Heads are compared on the entity units.

Features of a unit, per (layer, head), averaged over the unit's *query* pieces
Q (the content pieces overlapping the unit's characters; for an example unit
all its content pieces), every window holding them counted:

``entropy``
    the entropy (nats) of the query's attention row (see :mod:`.heads`);
``context_mass``
    attention from the query to content pieces outside Q (for an example unit:
    to content pieces other than the query itself);
``special_mass``
    attention to the special tokens ([CLS], [SEP]).

Per head and feature the error units are compared with the correct ones by the
Mann-Whitney U test (two-sided, normal approximation with tie correction,
:func:`nlperr.stats.mann_whitney_u`), with the rank-biserial correlation as
effect size (``effect_size`` > 0: larger on errors) and Benjamini-Hochberg
q-values over every (feature, layer, head) row.  Rows are ranked by
``|effect_size|``, then ``p_value``.

The features are slice attributes without any registration:
:func:`attention_features` writes them into ``Example.meta`` and
``Span.meta`` (keys ``attn_entropy``, ``attn_context_mass``,
``attn_special_mass``), which ``analyze_ner(..., slices=["span_meta:attn_entropy"])``
and ``analyze_classification(..., slices=["meta:attn_entropy"])`` read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data import Example
from ..errors import Errors, InputError, Warnings, warn
from ..results import Finding, Result

__all__ = ["AttentionContrast", "attention_contrast", "attention_features", "FEATURES"]

#: Unit features, in table order.
FEATURES = ("entropy", "context_mass", "special_mass")


class AttentionContrast(Result):
    """Attention of error cases versus correct ones, per head.

    Tables
    ------
    ``contrast``
        ``feature``, ``layer``, ``head``, ``n_error``, ``n_correct``,
        ``mean_error``, ``mean_correct``, ``difference`` (error - correct),
        ``effect_size`` (rank-biserial), ``u_statistic`` (of the error units),
        ``p_value``, ``q_value`` (BH over all rows), ``significant`` (q <
        alpha), ``rank`` (1 = most different).
    ``units``
        ``unit``, ``example``, ``example_id``, ``kind`` (example / gold / pred),
        ``start``, ``end``, ``gold_label``, ``pred_label``, ``error``, ``queries``.
    ``features``
        ``unit``, ``layer``, ``head`` and one column per feature of :data:`FEATURES`.

    ``summary``: ``model``, ``task``, ``examples``, ``units``, ``error_units``,
    ``correct_units``, ``alpha``, ``significant``, ``top`` (the first row of
    ``contrast`` as a dict).
    """

    kind = "attention_contrast"
    title = "Attention: errors versus correct"
    figure_specs = {"contrast_effect": "nlperr.attention.figures:contrast_heatmap"}


def _units(gold: Sequence[Example], pred: Sequence[Example], task: str) -> list[dict[str, Any]]:
    units: list[dict[str, Any]] = []
    for i, (g, p) in enumerate(zip(gold, pred)):
        if task == "classification":
            units.append({"example": i, "kind": "example", "start": 0, "end": len(g.text),
                          "gold_label": _lab(g.label), "pred_label": _lab(p.label),
                          "error": _lab(g.label) != _lab(p.label)})
            continue
        gk = {s.key for s in (g.spans or ())}
        pk = {s.key for s in (p.spans or ())}
        ents = []
        for s in g.spans or ():
            hit = s.key in pk
            pl = next((q.label for q in p.spans or () if q.overlaps(s)), "O")
            ents.append({"example": i, "kind": "gold", "start": s.start, "end": s.end,
                         "gold_label": s.label, "pred_label": s.label if hit else pl,
                         "error": not hit})
        for s in p.spans or ():
            if s.key not in gk:
                gl = next((q.label for q in g.spans or () if q.overlaps(s)), "O")
                ents.append({"example": i, "kind": "pred", "start": s.start, "end": s.end,
                             "gold_label": gl, "pred_label": s.label, "error": True})
        units.append({"example": i, "kind": "example", "start": 0, "end": len(g.text),
                      "gold_label": None, "pred_label": None,
                      "error": any(e["error"] for e in ents)})
        units.extend(ents)
    return units


def _lab(label: Any) -> Any:
    return "|".join(label) if isinstance(label, tuple) else label


def _check_pairs(gold: Sequence[Example], pred: Sequence[Example], what: str) -> None:
    if len(gold) != len(pred):
        raise InputError(Errors.E854.format(what=what, n_gold=len(gold), n_pred=len(pred)))
    for i, (g, p) in enumerate(zip(gold, pred)):
        if g.text != p.text:
            raise InputError(Errors.E855.format(what=what, index=i, got=p.text[:60],
                                                expected=g.text[:60]))


def predictions_for(model: Any, gold: Sequence[Example], pred: Sequence[Example] | None, *,
                    what: str, cache: Any = True) -> list[Example]:
    """*pred* checked against *gold*, or the model's predictions of *gold* (engine)."""
    if pred is None:
        from ..engine import Predictor

        pred = Predictor(model, cache=cache).predict(gold)
    pred = list(pred)
    _check_pairs(gold, pred, what)
    return pred


def attention_contrast(model: Any, gold: Sequence[Example],
                       pred: Sequence[Example] | None = None, *, task: str | None = None,
                       batch_size: int | None = None, alpha: float = 0.05,
                       cache: Any = True, heads: Any = None) -> AttentionContrast:
    """Compare the attention of error cases with correct ones, per head.

    Parameters
    ----------
    model : str, adapter or (model, tokenizer) pair
        A Hugging Face model (``"hf:PATH"``).
    gold : sequence of Example
        Gold examples (spans for NER, labels for classification).
    pred : sequence of Example, optional
        Predictions on the same examples; default: the model's (through the
        prediction engine, cached).
    task : {"ner", "classification"}, optional
        Default: the model's task.
    alpha : float, default 0.05
        Level of ``significant`` (BH q-values).
    heads : HeadAccumulator, optional
        Also add every batch to it (per-head summaries in the same pass).

    Returns
    -------
    AttentionContrast
    """
    import pandas as pd

    from ..adapters._util import check_choice
    from ..analysis._stats import benjamini_hochberg
    from ..stats import mann_whitney_u, rank_biserial
    import torch

    from .capture import as_hf_adapter, iter_attention

    adapter = as_hf_adapter(model, what="attention_contrast", batch_size=batch_size)
    gold = list(gold)
    if not gold:
        raise InputError(Errors.E853.format(what="attention_contrast", received="0 examples"))
    task = check_choice("task", task or adapter.task, ("ner", "classification"))
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 1):
        raise InputError(Errors.E856.format(option="alpha", expected="a number in (0, 1)",
                                            got=alpha))
    for i, g in enumerate(gold):
        if task == "ner" and g.spans is None:
            raise InputError(Errors.E857.format(what="attention_contrast", index=i, id=g.id,
                                                field="spans", needed="entity spans"))
        if task == "classification" and g.label is None:
            raise InputError(Errors.E857.format(what="attention_contrast", index=i, id=g.id,
                                                field="label", needed="a label"))
    pred = predictions_for(adapter, gold, pred, what="attention_contrast", cache=cache)
    units = _units(gold, pred, task)
    by_example: dict[int, list[int]] = {}
    for k, u in enumerate(units):
        by_example.setdefault(u["example"], []).append(k)
    sums: dict[int, np.ndarray] = {}
    counts = np.zeros(len(units), dtype=np.int64)
    L = H = windows = 0
    for batch in iter_attention(adapter, gold, batch_size=batch_size, what="attention_contrast"):
        if heads is not None:
            heads.add(batch)
        windows += len(batch.windows)
        A = batch.attentions
        L, B, H, T, _ = A.shape
        content = (batch.mask & ~batch.special).to(A.dtype)
        ent = -torch.special.xlogy(A, A).sum(-1).cpu().numpy()                   # (L,B,H,T)
        spec = torch.matmul(A, batch.special.to(A.dtype)[None, :, None, :, None])[..., 0]
        cont = torch.matmul(A, content[None, :, None, :, None])[..., 0]
        spec, cont = spec.cpu().numpy(), cont.cpu().numpy()
        An = A.cpu().numpy()
        for r, w in enumerate(batch.windows):
            p = batch.prefix
            offs = w.piece_offsets
            for k in by_example.get(w.example, ()):
                u = units[k]
                sel = np.nonzero((offs[:, 0] < u["end"]) & (offs[:, 1] > u["start"])
                                 & (offs[:, 1] > offs[:, 0]))[0] + p
                if not len(sel):
                    continue
                rows = An[:, r, :, sel, :]  # (Q, L, H, T) -- advanced index first
                if u["kind"] == "example":
                    inside = np.moveaxis(np.diagonal(An[:, r][:, :, sel][:, :, :, sel],
                                                     axis1=-2, axis2=-1), -1, 0)
                else:
                    inside = rows[..., sel].sum(-1)
                f = np.stack([np.moveaxis(ent[:, r][:, :, sel], -1, 0),
                              np.moveaxis(cont[:, r][:, :, sel], -1, 0) - inside,
                              np.moveaxis(spec[:, r][:, :, sel], -1, 0)], axis=1)  # (Q,3,L,H)
                s = f.sum(axis=0, dtype=np.float64)
                sums[k] = s if k not in sums else sums[k] + s
                counts[k] += len(sel)
    units_df = pd.DataFrame(units)
    units_df.insert(0, "unit", np.arange(len(units)))
    units_df.insert(2, "example_id", [gold[i].id for i in units_df["example"]])
    units_df["queries"] = counts
    feat_rows = []
    for k in range(len(units)):
        if counts[k] == 0:
            continue
        m = sums[k] / counts[k]  # (3, L, H)
        rec = {"unit": np.full(L * H, k), "layer": np.repeat(np.arange(L), H),
               "head": np.tile(np.arange(H), L)}
        for j, name in enumerate(FEATURES):
            rec[name] = m[j].reshape(-1)
        feat_rows.append(pd.DataFrame(rec))
    features = (pd.concat(feat_rows, ignore_index=True) if feat_rows else
                pd.DataFrame(columns=["unit", "layer", "head", *FEATURES]))
    compare_kinds = ("example",) if task == "classification" else ("gold", "pred")
    use = units_df[units_df["kind"].isin(compare_kinds) & (units_df["queries"] > 0)]
    err_ids = set(use.loc[use["error"], "unit"])
    ok_ids = set(use.loc[~use["error"], "unit"])
    if not err_ids or not ok_ids:
        warn(Warnings.W850.format(what="attention_contrast",
                                  detail=f"{len(err_ids)} error and {len(ok_ids)} correct "
                                         f"case(s)"), stacklevel=2)
    rows = []
    f_use = features[features["unit"].isin(err_ids | ok_ids)]
    for (layer, head), grp in f_use.groupby(["layer", "head"], sort=True):
        e_mask = grp["unit"].isin(err_ids).to_numpy()
        for name in FEATURES:
            v = grp[name].to_numpy(dtype=np.float64)
            x, y = v[e_mask], v[~e_mask]
            u1, pv = mann_whitney_u(x, y)
            rows.append({"feature": name, "layer": int(layer), "head": int(head),
                         "n_error": len(x), "n_correct": len(y),
                         "mean_error": float(x.mean()) if len(x) else float("nan"),
                         "mean_correct": float(y.mean()) if len(y) else float("nan"),
                         "effect_size": rank_biserial(x, y), "u_statistic": u1, "p_value": pv})
    cols = ["feature", "layer", "head", "n_error", "n_correct", "mean_error", "mean_correct",
            "difference", "effect_size", "u_statistic", "p_value", "q_value", "significant",
            "rank"]
    table = pd.DataFrame(rows)
    if len(table):
        table["difference"] = table["mean_error"] - table["mean_correct"]
        table["q_value"] = benjamini_hochberg(table["p_value"].to_numpy())
        table["significant"] = table["q_value"] < alpha
        table["_abs"] = table["effect_size"].abs().fillna(-1)
        table = table.sort_values(["_abs", "p_value", "feature", "layer", "head"],
                                  ascending=[False, True, True, True, True],
                                  na_position="last").drop(columns="_abs")
        table["rank"] = np.arange(1, len(table) + 1)
        table = table[cols].reset_index(drop=True)
    else:
        table = pd.DataFrame(columns=cols)
    summary: dict[str, Any] = {
        "model": adapter.path, "windows": windows, "task": task, "examples": len(gold),
        "units": len(use),
        "error_units": len(err_ids), "correct_units": len(ok_ids), "alpha": float(alpha),
        "significant": int(table["significant"].sum()) if len(table) else 0,
        "top": table.iloc[0].to_dict() if len(table) else None}
    findings = []
    for r in table.head(3).itertuples():
        if r.significant:
            ex = use[use["error"]].sort_values("unit")["example_id"].dropna().astype(str)
            findings.append(Finding(
                f"Head L{r.layer}H{r.head}: {r.feature} is {r.mean_error:.3g} on errors vs "
                f"{r.mean_correct:.3g} on correct cases (rank-biserial {r.effect_size:+.2f}, "
                f"q = {r.q_value:.2g}).", metric=r.feature, value=float(r.effect_size),
                threshold=float(alpha), severity="warning", examples=tuple(ex.head(5))))
    return AttentionContrast(summary=summary, tables={"contrast": table, "units": units_df,
                                                      "features": features},
                             findings=findings)


def attention_features(gold: Sequence[Example], contrast: AttentionContrast, *,
                       layer: int | None = None, head: int | None = None,
                       prefix: str = "attn_") -> list[Example]:
    """Copies of *gold* with the contrast's features as slice attributes.

    Writes ``Example.meta[prefix + feature]`` (the example unit's value) and,
    for NER, ``Span.meta[prefix + feature]`` on every gold span.  Values are
    those of one head: *layer* and *head*, default the head ranked first in
    ``contrast.tables["contrast"]``; ``head=-1`` takes the mean over all heads
    of *layer* (``layer=-1``: of all layers).

    Use them as slices without registering anything::

        analyze_ner(with_features, pred, slices=["span_meta:attn_entropy"])
        analyze_classification(with_features, pred, slices=["meta:attn_entropy"])

    (numeric values are bucketed into quantiles by the slice tables).
    """
    units = contrast.tables["units"]
    feats = contrast.tables["features"]
    gold = list(gold)
    if len(gold) != int(contrast.summary.get("examples", len(gold))):
        raise InputError(Errors.E854.format(what="attention_features", n_gold=len(gold),
                                            n_pred=contrast.summary.get("examples")))
    if layer is None and head is None:
        top = contrast.tables["contrast"]
        if not len(top):
            raise InputError(Errors.E858.format(name="contrast rows", available=list(
                contrast.tables), hint="Pass layer= and head= explicitly."))
        layer, head = int(top.iloc[0]["layer"]), int(top.iloc[0]["head"])
    layers = sorted(feats["layer"].unique()) if len(feats) else []
    heads = sorted(feats["head"].unique()) if len(feats) else []
    if layer is None or head is None:
        raise InputError(Errors.E856.format(option="layer and head", expected="both given",
                                            got=(layer, head)))
    if head == -1:
        sel = feats if layer == -1 else feats[feats["layer"] == layer]
    else:
        if layer not in layers or head not in heads:
            raise InputError(Errors.E856.format(
                option="layer/head", expected=f"layer in {layers} and head in {heads}",
                got=(layer, head)))
        sel = feats[(feats["layer"] == layer) & (feats["head"] == head)]
    vals = sel.groupby("unit")[list(FEATURES)].mean()
    out = []
    by_ex: dict[int, list[Any]] = {}
    for r in units.itertuples():
        by_ex.setdefault(int(r.example), []).append(r)
    for i, g in enumerate(gold):
        meta = dict(g.meta)
        span_vals: dict[tuple[int, int], dict[str, float]] = {}
        for r in by_ex.get(i, ()):
            if int(r.unit) not in vals.index:
                continue
            v = {prefix + f: float(vals.at[int(r.unit), f]) for f in FEATURES}
            if r.kind == "example":
                meta.update(v)
            elif r.kind == "gold":
                span_vals[(int(r.start), int(r.end))] = v
        spans = g.spans
        if spans is not None and span_vals:
            spans = tuple(dataclasses.replace(s, meta={**(s.meta or {}),
                                                       **span_vals.get((s.start, s.end), {})})
                          if (s.start, s.end) in span_vals else s for s in spans)
        out.append(g.copy(meta=meta, spans=spans))
    return out

