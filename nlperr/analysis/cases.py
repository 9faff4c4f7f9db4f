"""Hand-picked cases worth reading: ranked tables with text and context.

* ``low_confidence_correct``: correct predictions with the lowest scores.
* ``high_confidence_wrong``: wrong predictions with the highest scores.
* ``disagreements``: examples where model and baseline disagree most (NER: the
  number of entities predicted by exactly one of them; classification: the
  absolute difference of the probabilities given to the gold class, or 1 when
  only the labels are known and they differ).
* ``easy_wrong`` (classification): misclassified "easy" examples.

NER scores are ``Span.score``; predictions without scores are left out of the
confidence tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data import Example
from ._arrays import check_aligned
from .classification import class_arrays, outcomes_from_arrays
from .matching import entity_errors

__all__ = ["ner_cases", "classification_cases"]


def _render(ex: Example) -> str:
    return "; ".join(f"{ex.text[s.start:s.end]}/{s.label}" for s in ex.spans or ())


def _disagreements_ner(gold, pred, baseline, k):
    rows = []
    for i, (g, p, b) in enumerate(zip(gold, pred, baseline)):
        pk = {s.key for s in p.spans or ()}
        bk = {s.key for s in b.spans or ()}
        gk = {s.key for s in g.spans or ()}
        d = len(pk ^ bk)
        if d:
            rows.append((i, g.id if g.id is not None else str(i), d, len(pk & gk) - len(bk & gk),
                         g.text, _render(g), _render(p), _render(b)))
    df = pd.DataFrame(rows, columns=["example", "id", "disagreements", "model_minus_baseline_correct",
                                     "text", "gold", "model", "baseline"])
    return df.sort_values(["disagreements", "example"], ascending=[False, True],
                          kind="mergesort").head(k).reset_index(drop=True)


def ner_cases(gold: Sequence[Example], pred: Sequence[Example], *,
              baseline: Sequence[Example] | None = None, k: int = 20, context: int = 5,
              errors: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Ranked NER cases (see module docs).

    Returns
    -------
    dict of DataFrame
        ``low_confidence_correct`` and ``high_confidence_wrong`` have the columns
        of :func:`~nlperr.analysis.entity_errors`; ``disagreements`` (only with a
        baseline) has ``example``, ``id``, ``disagreements``,
        ``model_minus_baseline_correct``, ``text``, ``gold``, ``model``,
        ``baseline`` (entities rendered ``text/LABEL``).

    Examples
    --------
    >>> from nlperr.data import Example, Span
    >>> g = [Example("Ann and Bob", spans=(Span(0, 3, "PER"), Span(8, 11, "PER")))]
    >>> p = [Example("Ann and Bob", spans=(Span(0, 3, "PER", 0.55), Span(8, 11, "LOC", 0.99)))]
    >>> c = ner_cases(g, p)
    >>> c["high_confidence_wrong"]["pred_text"].tolist(), c["low_confidence_correct"]["pred_score"].tolist()
    (['Bob'], [0.55])
    """
    gold, pred = list(gold), list(pred)
    df = errors if errors is not None else entity_errors(gold, pred, context=context)
    # rank on arrays, then take only the k rows (filtering the whole table is slow)
    score = df["pred_score"].to_numpy(dtype=np.float64, na_value=np.nan)
    scored = (df["pred_label"].to_numpy(dtype=object) != "") & ~np.isnan(score)
    correct = (df["category"] == "correct").to_numpy(dtype=bool)

    def top(mask: np.ndarray, sign: float) -> pd.DataFrame:
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(sign * score[idx], kind="stable")[:k]]  # ties: table order
        return df.iloc[idx].reset_index(drop=True)
    out = {
        "low_confidence_correct": top(scored & correct, 1.0),
        "high_confidence_wrong": top(scored & ~correct, -1.0),
    }
    if baseline is not None:
        baseline = list(baseline)
        check_aligned(gold, baseline, code="E509")
        out["disagreements"] = _disagreements_ner(gold, pred, baseline, k)
    return out


def classification_cases(gold: Sequence[Example], pred: Sequence[Example], *,
                         baseline: Sequence[Example] | None = None,
                         train: Sequence[Example] | None = None, k: int = 20,
                         outcomes: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Ranked classification cases (see module docs).

    Returns
    -------
    dict of DataFrame
        ``low_confidence_correct``, ``high_confidence_wrong``, ``easy_wrong`` with
        the columns of :func:`~nlperr.analysis.example_outcomes`; with a baseline
        also ``disagreements`` (``example``, ``id``, ``text``, ``gold``, ``pred``,
        ``baseline_pred``, ``p_gold``, ``baseline_p_gold``, ``disagreement``).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example("good", label="pos"), Example("bad", label="neg")]
    >>> p = [Example("good", label="pos", probs={"pos": 0.6, "neg": 0.4}),
    ...      Example("bad", label="pos", probs={"pos": 0.9, "neg": 0.1})]
    >>> classification_cases(g, p)["high_confidence_wrong"]["text"].tolist()
    ['bad']
    """
    gold, pred = list(gold), list(pred)
    if outcomes is None:
        outcomes = outcomes_from_arrays(class_arrays(gold, pred), gold, train=train)
    df = outcomes
    sc = df[df["confidence"].notna()]
    out = {
        "low_confidence_correct": sc[sc["correct"]].sort_values("confidence", kind="mergesort")
        .head(k).reset_index(drop=True),
        "high_confidence_wrong": sc[~sc["correct"]].sort_values(
            "confidence", ascending=False, kind="mergesort").head(k).reset_index(drop=True),
        "easy_wrong": df[df["easy"] & ~df["correct"]].sort_values(
            ["n_words", "example"], kind="mergesort").head(k).reset_index(drop=True),
    }
    if baseline is not None:
        baseline = list(baseline)
        check_aligned(gold, baseline, code="E509")
        cb = class_arrays(gold, baseline, check=False)
        ob = outcomes_from_arrays(cb, gold, train=train)
        d = pd.DataFrame({"example": df["example"], "id": df["id"], "text": df["text"],
                          "gold": df["gold"], "pred": df["pred"], "baseline_pred": ob["pred"],
                          "p_gold": df["p_gold"], "baseline_p_gold": ob["p_gold"]})
        diff = (d["p_gold"] - d["baseline_p_gold"]).abs()
        d["disagreement"] = np.where(diff.notna(), diff,
                                     (d["pred"] != d["baseline_pred"]).astype(float))
        d = d[(d["disagreement"] > 0) | (d["pred"] != d["baseline_pred"])]
        out["disagreements"] = d.sort_values(["disagreement", "example"], ascending=[False, True],
                                             kind="mergesort").head(k).reset_index(drop=True)
    return out
