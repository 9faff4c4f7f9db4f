"""Text classification analysis: scores, confusion, calibration, per-example outcomes.

Inputs are aligned gold / predicted :class:`~nlperr.data.Example` lists with a
single-label ``label``; predicted examples may carry ``probs`` ({label: p}).

*Confidence* is the probability the model gives its predicted label (when
``probs`` are present), *margin* the difference between the two largest
probabilities.  Calibration uses equal-width confidence bins; the expected
calibration error is ``sum_b (n_b / n) * |accuracy_b - confidence_b|``.

"Easy" examples are short (at most ``easy_max_words`` words, default: the
25th percentile of lengths) and made of frequent words (every word occurs at
least ``easy_min_freq`` times in the reference vocabulary: the training data
when given, else the gold data).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data import Example
from ..errors import Errors, InputError
from ._arrays import check_aligned
from ._stats import check_zero_division, nanmean, prf

if TYPE_CHECKING:
    from .partial import CalibrationCounts

__all__ = ["classification_scores", "classification_confusion", "calibration_table",
           "expected_calibration_error", "example_outcomes", "ClassArrays", "class_arrays"]

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class ClassArrays:
    """Gold / predicted labels as codes, probabilities as a matrix."""

    labels: list[str]
    y_true: np.ndarray
    y_pred: np.ndarray
    probs: np.ndarray | None   # (n, n_labels), NaN rows where absent
    has_probs: np.ndarray      # (n,) bool

    @property
    def correct(self) -> np.ndarray:
        return self.y_true == self.y_pred


def _labels_of(examples: Sequence[Example], side: str) -> list[str]:
    out = []
    for i, e in enumerate(examples):
        lab = e.label
        if lab is None or isinstance(lab, tuple):
            raise InputError(Errors.E503.format(
                index=i, id=e.id if e.id is not None else f"#{i}", side=side,
                field="single class label" if isinstance(lab, tuple) else "label",
                task="Classification",
                hint="Every example needs one string label: in CSV a filled label "
                     "column (CLI: --label-column NAME, --pred-label-column NAME; "
                     "nlperr predict writes pred_label), in JSONL \"label\". "
                     "Multi-label data is not supported by these tables."))
        out.append(lab)
    return out


def class_arrays(gold: Sequence[Example], pred: Sequence[Example], *,
                 labels: Sequence[str] | None = None, check: bool = True) -> ClassArrays:
    gold = list(gold)
    pred = list(pred)
    if check:
        check_aligned(gold, pred)
    yt = _labels_of(gold, "gold")
    yp = _labels_of(pred, "predicted")
    names = sorted(set(yt) | set(yp) | {k for e in pred if e.probs for k in e.probs})
    if labels is not None:
        names = list(labels) + [n for n in names if n not in labels]
    code = {n: i for i, n in enumerate(names)}
    y_true = np.fromiter((code[x] for x in yt), dtype=np.int64, count=len(yt))
    y_pred = np.fromiter((code[x] for x in yp), dtype=np.int64, count=len(yp))
    has = np.array([e.probs is not None and len(e.probs) > 0 for e in pred], dtype=bool)
    probs = None
    if has.any():
        probs = np.full((len(pred), len(names)), np.nan)
        for i in np.flatnonzero(has).tolist():
            row = probs[i]
            row[:] = 0.0
            for k, v in pred[i].probs.items():
                row[code[k]] = float(v)
    return ClassArrays(names, y_true, y_pred, probs, has)


def classification_scores(gold: Sequence[Example], pred: Sequence[Example], *,
                          labels: Sequence[str] | None = None,
                          zero_division: object = "warn") -> pd.DataFrame:
    """Per-class precision, recall, F1 and support, as scikit-learn computes them.

    Parameters
    ----------
    gold, pred : sequence of Example
        Single-label examples (``Example.label``), same order.
    labels : sequence of str, optional
        Classes to report (default: every class in gold or predictions, sorted).
    zero_division : "warn", 0, 1 or numpy.nan, default "warn"

    Returns
    -------
    DataFrame
        One row per class, then ``accuracy`` (in the ``f1`` column, like
        scikit-learn's report), ``macro avg`` and ``weighted avg``.  Columns
        ``label``, ``precision``, ``recall``, ``f1``, ``support``, ``predicted``,
        ``correct``.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example("good", label="pos"), Example("bad", label="neg"), Example("ok", label="pos")]
    >>> p = [Example("good", label="pos"), Example("bad", label="pos"), Example("ok", label="pos")]
    >>> classification_scores(g, p, zero_division=0).set_index("label")["f1"].round(2).to_dict()
    {'neg': 0.0, 'pos': 0.8, 'accuracy': 0.67, 'macro avg': 0.4, 'weighted avg': 0.53}
    """
    zero_division = check_zero_division(zero_division)
    ca = class_arrays(gold, pred, labels=labels)
    return scores_from_arrays(ca, labels=labels, zero_division=zero_division)


def scores_from_arrays(ca: ClassArrays, *, labels: Sequence[str] | None = None,
                       zero_division: object = "warn") -> pd.DataFrame:
    L = len(ca.labels)
    ntrue = np.bincount(ca.y_true, minlength=L)
    npred = np.bincount(ca.y_pred, minlength=L)
    tp = np.bincount(ca.y_true[ca.correct], minlength=L)
    if labels is None:
        keep = np.flatnonzero((ntrue > 0) | (npred > 0))
    else:
        keep = np.arange(len(labels))
    names = [ca.labels[i] for i in keep]
    p, r, f = prf(tp[keep], npred[keep], ntrue[keep], zero_division, names=names)
    rows = [(n, p[i], r[i], f[i], int(ntrue[keep][i]), int(npred[keep][i]), int(tp[keep][i]))
            for i, n in enumerate(names)]
    n = len(ca.y_true)
    acc = float(ca.correct.mean()) if n else np.nan
    rows.append(("accuracy", np.nan, np.nan, acc, n, n, int(ca.correct.sum())))
    mean = nanmean if isinstance(zero_division, float) and np.isnan(zero_division) else np.mean
    s = ntrue[keep]
    tot = s.sum()
    rows.append(("macro avg", float(mean(p)), float(mean(r)), float(mean(f)), int(tot),
                 int(npred[keep].sum()), int(tp[keep].sum())))
    w = s / tot if tot else np.zeros(len(s))
    agg = (lambda a: float(np.nansum(a * w))) if mean is nanmean else (
        lambda a: float(np.sum(a * w)))
    rows.append(("weighted avg", agg(p), agg(r), agg(f), int(tot), int(npred[keep].sum()),
                 int(tp[keep].sum())))
    return pd.DataFrame(rows, columns=["label", "precision", "recall", "f1", "support",
                                       "predicted", "correct"])


def classification_confusion(gold: Sequence[Example], pred: Sequence[Example], *,
                             labels: Sequence[str] | None = None,
                             normalize: str | None = None) -> pd.DataFrame:
    """Confusion matrix: rows are gold classes, columns predicted classes.

    ``normalize``: ``None`` (counts), ``"true"`` (rows sum to 1), ``"pred"``
    (columns sum to 1) or ``"all"``; as :func:`sklearn.metrics.confusion_matrix`.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example("a", label="x"), Example("b", label="y")]
    >>> p = [Example("a", label="x"), Example("b", label="x")]
    >>> classification_confusion(g, p).values.tolist()
    [[1, 0], [1, 0]]
    """
    if normalize not in (None, "true", "pred", "all"):
        raise InputError(Errors.E207.format(value=normalize, option="normalize",
                                            allowed="None, 'true', 'pred', 'all'"))
    ca = class_arrays(gold, pred, labels=labels)
    return confusion_from_arrays(ca, labels=labels, normalize=normalize)


def confusion_from_arrays(ca: ClassArrays, *, labels=None, normalize=None) -> pd.DataFrame:
    L = len(ca.labels)
    mat = np.bincount(ca.y_true * L + ca.y_pred, minlength=L * L).reshape(L, L)
    if labels is None:
        keep = np.flatnonzero((mat.sum(0) > 0) | (mat.sum(1) > 0))
    else:
        keep = np.arange(len(labels))
    mat = mat[np.ix_(keep, keep)]
    names = [ca.labels[i] for i in keep]
    out: np.ndarray = mat
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            out = np.nan_to_num(mat / mat.sum(axis=1, keepdims=True))
        elif normalize == "pred":
            out = np.nan_to_num(mat / mat.sum(axis=0, keepdims=True))
        elif normalize == "all":
            out = np.nan_to_num(mat / max(mat.sum(), 1))
    df = pd.DataFrame(out, index=names, columns=names)
    df.index.name = "gold"
    df.columns.name = "pred"
    return df


def _confidence(ca: ClassArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = len(ca.y_true)
    if ca.probs is None:
        nan = np.full(n, np.nan)
        return nan, nan, nan
    P = ca.probs
    conf = np.take_along_axis(P, ca.y_pred[:, None], axis=1)[:, 0]
    p_gold = np.take_along_axis(P, ca.y_true[:, None], axis=1)[:, 0]
    if P.shape[1] >= 2:
        part = -np.sort(-np.where(np.isnan(P), -np.inf, P), axis=1)
        with np.errstate(invalid="ignore"):  # rows without probabilities: -inf - -inf
            margin = part[:, 0] - part[:, 1]
        margin = np.where(ca.has_probs, margin, np.nan)
    else:
        margin = np.where(ca.has_probs, P[:, 0], np.nan)
    return conf, p_gold, margin


def calibration_from_arrays(ca: ClassArrays, n_bins: int = 10) -> tuple[pd.DataFrame, float]:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
        raise InputError(Errors.E508.format(what="Calibration", n=1, unit="bin", got=n_bins))
    counts = calibration_counts(ca, n_bins)
    counts.warn_missing()
    return counts.table()


def calibration_counts(ca: ClassArrays, n_bins: int = 10) -> CalibrationCounts:
    """The :class:`~nlperr.analysis.partial.CalibrationCounts` of *ca*."""
    from .partial import CalibrationCounts

    conf, _, _ = _confidence(ca)
    return CalibrationCounts.from_arrays(conf, ca.correct, n_bins,
                                         with_probs=ca.probs is not None)


def calibration_table(gold: Sequence[Example], pred: Sequence[Example], *, n_bins: int = 10
                      ) -> pd.DataFrame:
    """Reliability table over equal-width confidence bins (bins ``(lower, upper]``).

    Returns
    -------
    DataFrame
        Columns ``bin``, ``lower``, ``upper``, ``count``, ``confidence`` (mean),
        ``accuracy``, ``gap`` (accuracy - confidence; NaN for empty bins).  The
        expected calibration error is in ``df.attrs["ece"]``.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example("a", label="x"), Example("b", label="y")]
    >>> p = [Example("a", label="x", probs={"x": 0.9, "y": 0.1}),
    ...      Example("b", label="x", probs={"x": 0.7, "y": 0.3})]
    >>> round(calibration_table(g, p, n_bins=5).attrs["ece"], 2)
    0.4
    """
    ca = class_arrays(gold, pred)
    return calibration_from_arrays(ca, n_bins)[0]


def expected_calibration_error(gold: Sequence[Example], pred: Sequence[Example], *,
                               n_bins: int = 10) -> float:
    """Expected calibration error over *n_bins* equal-width confidence bins (lower is better)."""
    return calibration_from_arrays(class_arrays(gold, pred), n_bins)[1]


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def outcomes_from_arrays(ca: ClassArrays, gold: Sequence[Example], *,
                         train: Sequence[Example] | None = None,
                         easy_max_words: int | None = None, easy_min_freq: int = 5
                         ) -> pd.DataFrame:
    conf, p_gold, margin = _confidence(ca)
    toks = [_words(e.text) for e in gold]
    ref = train if train is not None else gold
    freq = Counter(w for e in ref for w in _words(e.text))
    n_words = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
    min_f = np.fromiter((min((freq.get(w, 0) for w in t), default=0) for t in toks),
                        dtype=np.int64, count=len(toks))
    oov = np.fromiter((sum(freq.get(w, 0) == 0 for w in t) / len(t) if t else 0.0
                       for t in toks), dtype=np.float64, count=len(toks))
    if easy_max_words is None:
        easy_max_words = int(np.percentile(n_words, 25)) if len(n_words) else 0
    easy = (n_words <= easy_max_words) & (min_f >= easy_min_freq) & (n_words > 0)
    lab = np.asarray(ca.labels, dtype=object)
    return pd.DataFrame({
        "example": np.arange(len(gold)),
        "id": [e.id if e.id is not None else str(i) for i, e in enumerate(gold)],
        "text": [e.text for e in gold],
        "gold": lab[ca.y_true], "pred": lab[ca.y_pred],
        "correct": ca.correct,
        "confidence": conf, "p_gold": p_gold, "margin": margin,
        "n_words": n_words, "oov_ratio": oov, "easy": easy,
    })


def example_outcomes(gold: Sequence[Example], pred: Sequence[Example], *,
                     train: Sequence[Example] | None = None, easy_max_words: int | None = None,
                     easy_min_freq: int = 5) -> pd.DataFrame:
    """One row per example: gold and predicted class, confidence, margin, "easy" flag.

    Returns
    -------
    DataFrame
        Columns ``example``, ``id``, ``text``, ``gold``, ``pred``, ``correct``,
        ``confidence`` (probability of the predicted class; NaN without probs),
        ``p_gold`` (probability of the gold class), ``margin`` (top-1 minus top-2
        probability), ``n_words``, ``oov_ratio`` (share of words unseen in the
        reference vocabulary), ``easy`` (see module docs).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example("fine", label="pos")]
    >>> p = [Example("fine", label="neg", probs={"neg": 0.8, "pos": 0.2})]
    >>> example_outcomes(g, p)[["correct", "confidence", "margin"]].round(2).values.tolist()
    [[False, 0.8, 0.6]]
    """
    gold = list(gold)
    ca = class_arrays(gold, pred)
    return outcomes_from_arrays(ca, gold, train=train, easy_max_words=easy_max_words,
                                easy_min_freq=easy_min_freq)
