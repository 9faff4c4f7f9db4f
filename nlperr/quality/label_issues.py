"""Likely label errors in gold data, from a model's out-of-sample predictions.

Confident learning (Northcutt et al. 2021), implemented here from the paper
-------------------------------------------------------------------------
Classification.  ``P[i, j]`` is the model's probability of label ``j`` for
example ``i`` (``Example.probs`` of the prediction) and ``y_i`` the gold label.
The per-label threshold ``t_j`` is the mean of ``P[i, j]`` over the examples
whose gold label is ``j`` (the model's average self-confidence on label ``j``;
``+inf`` for a label no gold example has).  Example ``i`` is *confidently*
counted as label ``j* = argmax {P[i, j] : P[i, j] >= t_j}`` (no ``j*`` when no
label reaches its threshold); the counts ``C[y, j*]`` are the *confident joint*
(table ``confident_joint``).  An example is ``flagged`` when ``j* != y_i`` (it
lies off the diagonal).  ``score = 1 - P[i, y_i]`` (one minus the
self-confidence); issues are ranked flagged first, then by ``score``.  The
table lists the flagged examples and every example whose predicted label (the
prediction's ``label``, else its most probable label) differs from the gold.

NER, span level.  Gold and predicted spans are matched by the error taxonomy
of :func:`nlperr.analysis.entity_errors`; every disagreement is a candidate:

==================  =========================================================
kind                the model's taxonomy row (gold is likely ...)
==================  =========================================================
``missing``         ``spurious``: the model found an entity the gold lacks
``wrong_type``      ``type`` / ``type_boundary``: same (or overlapping) span,
                    other type
``wrong_boundary``  ``boundary`` / ``merged`` / ``split``
``spurious``        ``missed``: a gold entity where the model predicts nothing
==================  =========================================================

The per-type threshold ``t_j`` is the mean ``Span.score`` of the predicted
spans of type ``j`` that equal a gold span (all predicted spans of type ``j`` when
none does).  A candidate backed by a predicted span of type ``j`` and score
``s`` has ``score = s`` and is ``flagged`` when ``s >= t_j``.  ``spurious``
candidates have no predicted span, hence no probability: they are listed
unscored (``score`` NaN, not flagged) after the scored ones.

Fallback.  When the predictions carry no probabilities (classification: no
``Example.probs``; NER: predicted spans without ``Span.score``), every
disagreement is a candidate, ``method="disagreement"``, ranked by model
confidence where some exists (NaN last, then document order), none flagged, and
warning W950 says so.

Out-of-sample probabilities
---------------------------
Scores mean something only when the model did not train on the examples it
scores.  Get them with k-fold cross-validation (train on k-1 folds, predict the
held-out fold, concatenate the k held-out predictions) or from a model trained
on another split.  See ``docs/quality.md`` for a worked example.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis import entity_errors
from ..data import Example
from ..errors import Errors, InputError, Warnings, warn
from ._text import example_id, task_of

__all__ = ["label_issues", "NER_ISSUE_KINDS"]

NER_ISSUE_KINDS = ("missing", "wrong_type", "wrong_boundary", "spurious")
_KIND_OF = {"spurious": "missing", "type": "wrong_type", "type_boundary": "wrong_type",
            "boundary": "wrong_boundary", "merged": "wrong_boundary",
            "split": "wrong_boundary", "missed": "spurious"}

#: Columns of the NER issue table.
NER_COLUMNS = ["rank", "example", "id", "kind", "model_category", "gold_label", "gold_text",
               "gold_start", "gold_end", "pred_label", "pred_text", "pred_start", "pred_end",
               "score", "threshold", "flagged", "left_context", "right_context"]
#: Columns of the classification issue table.
CLS_COLUMNS = ["rank", "example", "id", "kind", "given_label", "suggested_label", "text",
               "self_confidence", "suggested_confidence", "margin", "score", "threshold",
               "flagged"]


def _check_pairs(gold: Sequence[Example], pred: Sequence[Example]) -> None:
    if len(gold) != len(pred):
        raise InputError(Errors.E016.format(where="label_issues", got=len(pred),
                                            expected=len(gold)))
    for i, (g, p) in enumerate(zip(gold, pred)):
        if g.text != p.text:
            raise InputError(Errors.E017.format(where=f"label_issues, example {i}",
                                                what="text", gold=repr(g.text[:40]),
                                                pred=repr(p.text[:40])))


def label_issues(gold: Sequence[Example], pred: Sequence[Example], *, task: str | None = None,
                 context: int = 5) -> tuple[pd.DataFrame, dict]:
    """Rank likely label errors of *gold* from out-of-sample predictions *pred*.

    Parameters
    ----------
    gold, pred : sequence of Example
        The same examples in the same order; *pred* holds the model's spans (with
        ``Span.score``) or labels (with ``Example.probs``).
    task : {"ner", "classification"}, optional
        Default: NER when any gold example has spans.
    context : int
        NER: context tokens in ``left_context`` / ``right_context``.

    Returns
    -------
    (issues, info)
        ``issues``: the ranked table (columns :data:`NER_COLUMNS` or
        :data:`CLS_COLUMNS`; ``rank`` starts at 1).  ``info``: ``method``
        (``"confident_learning"`` or ``"disagreement"``), ``task``, ``n_examples``,
        ``n_candidates``, ``n_flagged``, ``thresholds`` (label -> ``t_j``), and for
        classification ``confident_joint`` (a DataFrame, rows gold, columns
        ``j*``).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example("a", label="pos"), Example("b", label="pos"), Example("c", label="neg"),
    ...      Example("d", label="neg")]
    >>> p = [Example("a", label="pos", probs={"pos": 0.9, "neg": 0.1}),
    ...      Example("b", label="neg", probs={"pos": 0.05, "neg": 0.95}),
    ...      Example("c", label="neg", probs={"pos": 0.2, "neg": 0.8}),
    ...      Example("d", label="neg", probs={"pos": 0.3, "neg": 0.7})]
    >>> issues, info = label_issues(g, p)
    >>> issues[["id", "given_label", "suggested_label", "flagged"]].head(1).values.tolist()
    [['1', 'pos', 'neg', True]]
    """
    gold, pred = list(gold), list(pred)
    if task is None:
        task = task_of(gold)
    if task not in ("ner", "classification"):
        raise InputError(Errors.E207.format(value=task, option="task",
                                            allowed=["ner", "classification"]))
    _check_pairs(gold, pred)
    if task == "ner":
        return _ner_issues(gold, pred, context)
    return _cls_issues(gold, pred)


# --- classification ------------------------------------------------------------------------

def _cls_issues(gold: list[Example], pred: list[Example]) -> tuple[pd.DataFrame, dict]:
    idx = [i for i, g in enumerate(gold) if g.label is not None]
    if not idx:
        raise InputError(Errors.E951.format(where="label_issues", split="gold",
                                            what="labels", task="classification",
                                            needed="Example.label"))
    has = [pred[i].probs is not None and len(pred[i].probs) > 0 for i in idx]
    if any(has) and not all(has):
        first = next(i for i, h in zip(idx, has) if not h)
        raise InputError(Errors.E952.format(where="label_issues", count=sum(has),
                                            total=len(idx),
                                            first=example_id(gold[first], first)))
    y_names = [str(gold[i].label) for i in idx]
    if not all(has):
        return _cls_disagreement(gold, pred, idx)
    labels = sorted(set(y_names) | {str(k) for i in idx for k in pred[i].probs})
    code = {lab: j for j, lab in enumerate(labels)}
    K = len(labels)
    P = np.zeros((len(idx), K))
    for r, i in enumerate(idx):
        probs = {str(k): float(v) for k, v in pred[i].probs.items()}
        if y_names[r] not in probs:
            raise InputError(Errors.E953.format(where="label_issues", id=example_id(gold[i], i),
                                                label=y_names[r], keys=sorted(probs)[:10]))
        for k, v in probs.items():
            P[r, code[k]] = v
    y = np.asarray([code[v] for v in y_names], dtype=np.int64)
    t = np.full(K, np.inf)
    for j in range(K):
        m = y == j
        if m.any():
            t[j] = P[m, j].mean()
    above = P >= t[None, :]
    masked = np.where(above, P, -np.inf)
    jstar = np.where(above.any(axis=1), masked.argmax(axis=1), -1)
    joint = np.zeros((K, K), dtype=np.int64)
    ok = jstar >= 0
    np.add.at(joint, (y[ok], jstar[ok]), 1)
    self_conf = P[np.arange(len(y)), y]
    other = P.copy()
    other[np.arange(len(y)), y] = -np.inf
    best_other = other.argmax(axis=1) if K > 1 else np.zeros(len(y), dtype=np.int64)
    best_other_p = other[np.arange(len(y)), best_other] if K > 1 else np.zeros(len(y))
    flagged = ok & (jstar != y)
    suggested = np.where(flagged, jstar, best_other)
    score = 1.0 - self_conf
    df = pd.DataFrame({
        "example": np.asarray(idx, dtype=np.int64),
        "id": [example_id(gold[i], i) for i in idx],
        "kind": "wrong_label",
        "given_label": y_names,
        "suggested_label": [labels[j] for j in suggested.tolist()],
        "text": [gold[i].text for i in idx],
        "self_confidence": self_conf,
        "suggested_confidence": P[np.arange(len(y)), suggested],
        "margin": self_conf - best_other_p,
        "score": score,
        "threshold": t[suggested],
        "flagged": flagged,
    })
    # the model's label: the prediction's label, else the most probable one
    argmax = P.argmax(axis=1).tolist()
    model = np.asarray([str(pred[i].label) if pred[i].label is not None else labels[argmax[r]]
                        for r, i in enumerate(idx)], dtype=object)
    df = df[df["flagged"].to_numpy() | (model != np.asarray(y_names, dtype=object))]
    df = df.sort_values(["flagged", "score", "example"], ascending=[False, False, True],
                        kind="mergesort").reset_index(drop=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1, dtype=np.int64))
    cj = pd.DataFrame(joint, index=pd.Index(labels, name="given_label"), columns=labels)
    info = {"method": "confident_learning", "task": "classification", "n_examples": len(idx),
            "n_candidates": int(len(df)), "n_flagged": int(flagged.sum()),
            "thresholds": {lab: (None if math.isinf(v) else float(v))
                           for lab, v in zip(labels, t.tolist())},
            "confident_joint": cj}
    return df[CLS_COLUMNS], info


def _cls_disagreement(gold: list[Example], pred: list[Example], idx: list[int]
                      ) -> tuple[pd.DataFrame, dict]:
    rows = []
    for i in idx:
        g, p = str(gold[i].label), pred[i].label
        if p is None or str(p) == g:
            continue
        rows.append((i, example_id(gold[i], i), "wrong_label", g, str(p), gold[i].text,
                     math.nan, math.nan, math.nan, math.nan, math.nan, False))
    df = pd.DataFrame(rows, columns=CLS_COLUMNS[1:]).astype(
        {"example": "int64", "flagged": "bool", "self_confidence": "float64",
         "suggested_confidence": "float64", "margin": "float64", "score": "float64",
         "threshold": "float64"})
    df.insert(0, "rank", np.arange(1, len(df) + 1, dtype=np.int64))
    warn(Warnings.W950.format(what="label_issues (classification)",
                              ranked=" in document order"))
    info = {"method": "disagreement", "task": "classification", "n_examples": len(idx),
            "n_candidates": int(len(df)), "n_flagged": 0, "thresholds": {}}
    return df, info


# --- NER ---------------------------------------------------------------------------------------

def _ner_issues(gold: list[Example], pred: list[Example], context: int
                ) -> tuple[pd.DataFrame, dict]:
    if not any(g.spans for g in gold) and not any(p.spans for p in pred):
        raise InputError(Errors.E951.format(where="label_issues", split="gold", what="spans",
                                            task="ner", needed="gold or predicted spans"))
    err = entity_errors(gold, pred, context=context)
    cat = err["category"].astype(str)
    scores = err["pred_score"].to_numpy(dtype=np.float64)
    has_pred = (err["pred_start"] >= 0).to_numpy()
    all_scored = bool(has_pred.any()) and not np.isnan(scores[has_pred]).any()
    method = "confident_learning" if all_scored else "disagreement"
    thresholds: dict[str, float] = {}
    if all_scored:
        pl = err["pred_label"].to_numpy(dtype=object)
        exact = (cat == "correct").to_numpy()
        for lab in sorted(set(pl[has_pred].tolist())):
            m = has_pred & (pl == lab)
            good = m & exact
            thresholds[str(lab)] = float(scores[good].mean() if good.any() else scores[m].mean())
    cand = err[cat != "correct"].copy()
    cand.insert(3, "kind", cand["category"].astype(str).map(_KIND_OF))
    cand = cand.rename(columns={"category": "model_category", "pred_score": "score"})
    cand["model_category"] = cand["model_category"].astype(str)
    thr = cand["pred_label"].map(thresholds).astype("float64")
    cand["threshold"] = thr
    if all_scored:
        cand["flagged"] = (cand["pred_start"] >= 0) & (cand["score"] >= thr)
    else:
        cand["flagged"] = False
    cand["_scored"] = cand["score"].notna()
    cand = cand.sort_values(["flagged", "_scored", "score", "example", "gold_start"],
                            ascending=[False, False, False, True, True],
                            kind="mergesort").reset_index(drop=True)
    cand.insert(0, "rank", np.arange(1, len(cand) + 1, dtype=np.int64))
    out = cand[NER_COLUMNS].copy()
    out["flagged"] = out["flagged"].astype(bool)
    if not all_scored:
        warn(Warnings.W950.format(what="label_issues (NER)",
                                  ranked=" ranked by span score where present"))
    info = {"method": method, "task": "ner", "n_examples": len(gold),
            "n_candidates": int(len(out)), "n_flagged": int(out["flagged"].sum()),
            "thresholds": thresholds,
            "by_kind": {k: int((out["kind"] == k).sum()) for k in NER_ISSUE_KINDS}}
    return out, info
