"""Small statistics shared by the analyses: safe division, bootstrap, BH, McNemar.

Only numpy and the standard library: scipy is optional for nlperr.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from ..errors import Errors, InputError, Warnings, warn

__all__ = ["check_zero_division", "prf", "benjamini_hochberg", "mcnemar_test",
           "bootstrap_weights", "f1_from"]

_ZD_ALLOWED = ('"warn"', "0", "1", "numpy.nan")


def check_zero_division(zero_division: object) -> object:
    """Validate a ``zero_division`` value ("warn", 0, 1 or NaN)."""
    if isinstance(zero_division, str):
        if zero_division == "warn":
            return zero_division
    elif isinstance(zero_division, (int, float)) and not isinstance(zero_division, bool):
        if zero_division in (0, 1) or math.isnan(zero_division):
            return zero_division
    raise InputError(Errors.E207.format(value=zero_division, option="zero_division",
                                        allowed=", ".join(_ZD_ALLOWED)))


def _fill(zero_division: object) -> float:
    if zero_division == "warn":
        return 0.0
    return float(zero_division)  # 0, 1 or nan


_COLLECTORS: list[list[tuple[str, str, list[str]]]] = []


@contextmanager
def collect_undefined() -> Iterator[list[tuple[str, str, list[str]]]]:
    """Inside this block, undefined-value warnings (W501) are collected, not emitted.

    Yields the list receiving ``(metric, what, names)`` tuples; the caller
    reports them once (e.g. as W504).
    """
    bucket: list[tuple[str, str, list[str]]] = []
    _COLLECTORS.append(bucket)
    try:
        yield bucket
    finally:
        _COLLECTORS.remove(bucket)


def describe_undefined(items: Sequence[tuple[str, str, list[str]]], limit: int = 8) -> str:
    """One line such as ``precision of work (no predicted entities); recall of ...``."""
    merged: dict[tuple[str, str], list[str]] = {}
    for metric, what, names in items:
        lst = merged.setdefault((metric.lower(), what), [])
        for n in names:  # SemEval rows are named "LABEL/schema": one mention per label
            base, _, schema = n.rpartition("/")
            n = base if base and schema in ("strict", "exact", "partial", "type") else n
            if n not in lst:
                lst.append(n)
    parts = []
    for (metric, what), names in merged.items():
        shown = ", ".join(names[:limit]) + (f" and {len(names) - limit} more"
                                            if len(names) > limit else "")
        parts.append(f"{metric} of {shown or 'overall'} (no {what})")
    return "; ".join(parts)


def safe_divide(num: np.ndarray, den: np.ndarray, zero_division: object, *, metric: str = "",
                what: str = "", names: Sequence[str] | None = None,
                warn_undefined: bool = True) -> np.ndarray:
    """``num / den`` with ``zero_division`` where ``den == 0`` (warning for "warn")."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    mask = den == 0
    out = np.divide(num, np.where(mask, 1.0, den))
    if np.any(mask):
        out = np.where(mask, _fill(zero_division), out)
        if zero_division == "warn" and warn_undefined:
            bad = [names[i] for i in np.flatnonzero(np.atleast_1d(mask))] if names else []
            if _COLLECTORS:
                _COLLECTORS[-1].append((metric, what, [str(b) for b in bad]))
                return out
            warn(Warnings.W501.format(metric=metric, count=int(np.sum(mask)), what=what,
                                      labels=", ".join(map(str, bad[:5])) or "overall",
                                      value=0.0), stacklevel=3)
    return out


def f1_from(p: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Harmonic mean of precision and recall; 0 where both are 0, NaN propagates."""
    p = np.asarray(p, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    den = p + r
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(den == 0, 0.0, 2 * p * r / np.where(den == 0, 1.0, den))
    return f


def nanmean(a: np.ndarray) -> float:
    """Mean ignoring NaN; NaN (without a RuntimeWarning) when everything is NaN."""
    a = np.asarray(a, dtype=np.float64)
    ok = ~np.isnan(a)
    return float(a[ok].mean()) if ok.any() else float("nan")


def prf(tp: np.ndarray, n_pred: np.ndarray, n_true: np.ndarray, zero_division: object = "warn",
        *, names: Sequence[str] | None = None, warn_undefined: bool = True
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision, recall and F1 from counts (seqeval / scikit-learn semantics)."""
    p = safe_divide(tp, n_pred, zero_division, metric="Precision", what="predicted entities",
                    names=names, warn_undefined=warn_undefined)
    r = safe_divide(tp, n_true, zero_division, metric="Recall", what="gold entities",
                    names=names, warn_undefined=warn_undefined)
    return p, r, f1_from(p, r)


def boot_prf(tp: np.ndarray, n_pred: np.ndarray, n_true: np.ndarray) -> np.ndarray:
    """F1 over bootstrap replicates, NaN where undefined (arrays of any shape)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = tp / n_pred
        r = tp / n_true
        f = 2 * p * r / (p + r)
    return np.where((p + r) == 0, 0.0, f)


def bootstrap_weights(n: int, n_boot: int, seed: int | None, chunk: int = 64):
    """Yield (chunk, n) float32 matrices of multinomial resampling counts.

    Row *b* says how often each of the *n* units is drawn in replicate *b* (a
    standard non-parametric bootstrap over units; seeded).
    """
    rng = np.random.default_rng(seed)
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        idx = rng.integers(0, n, size=(b, n))
        idx += (np.arange(b) * n)[:, None]
        w = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float32)
        done += b
        yield w


def binom_cdf(k: np.ndarray, n: np.ndarray, p: float) -> np.ndarray:
    """``P(X <= k)`` for ``X ~ Binomial(n, p)``, elementwise (exact sum of pmf terms).

    NaN where ``n <= 0``.
    """
    k = np.atleast_1d(np.asarray(k, dtype=np.int64))
    n = np.atleast_1d(np.asarray(n, dtype=np.int64))
    out = np.full(k.shape, np.nan)
    p = float(p)
    if not len(n) or math.isnan(p):
        return out
    logfact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, max(int(n.max()), 1) + 1)))])
    for i, (ki, ni) in enumerate(zip(k.tolist(), n.tolist())):
        if ni <= 0:
            continue
        if ki >= ni or p <= 0.0:
            out[i] = 1.0
        elif p >= 1.0 or ki < 0:
            out[i] = 0.0
        else:
            ks = np.arange(0, ki + 1)
            logpmf = (logfact[ni] - logfact[ks] - logfact[ni - ks] + ks * math.log(p)
                      + (ni - ks) * math.log1p(-p))
            mx = logpmf.max()
            out[i] = min(1.0, math.exp(mx) * float(np.exp(logpmf - mx).sum()))
    return out


def benjamini_hochberg(pvalues: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as the input."""
    p = np.asarray(pvalues, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    pv = p[ok]
    m = len(pv)
    if m == 0:
        return q
    order = np.argsort(pv)
    ranked = pv[order] * m / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adj = np.empty(m)
    adj[order] = np.minimum(ranked, 1.0)
    q[ok] = adj
    return q


def mcnemar_test(b: int, c: int, *, method: str = "exact") -> float:
    """Two-sided McNemar p-value for *b* and *c* discordant pairs.

    ``method="exact"``: binomial test of ``min(b, c)`` in ``b + c`` trials with
    p = 0.5 (valid for any count).  ``method="chi2"``: chi-square with continuity
    correction (1 degree of freedom).

    >>> mcnemar_test(0, 0)
    1.0
    >>> round(mcnemar_test(10, 1), 4)
    0.0117
    """
    if method not in ("exact", "chi2"):
        raise InputError(Errors.E207.format(value=method, option="method",
                                            allowed="'exact', 'chi2'"))
    b, c = int(b), int(c)
    if b < 0 or c < 0:
        raise InputError(Errors.E012.format(where="mcnemar_test", expected="non-negative counts",
                                            field="b, c", got=(b, c)))
    n = b + c
    if n == 0:
        return 1.0
    if method == "chi2":
        stat = (abs(b - c) - 1) ** 2 / n
        return float(math.erfc(math.sqrt(stat / 2)))
    k = min(b, c)
    logfact = np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1)))])
    ks = np.arange(0, k + 1)
    logpmf = logfact[n] - logfact[ks] - logfact[n - ks] - n * math.log(2.0)
    mx = logpmf.max()
    tail = math.exp(mx) * float(np.exp(logpmf - mx).sum())
    return float(min(1.0, 2 * tail))
