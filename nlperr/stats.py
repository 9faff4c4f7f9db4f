"""Generic statistical tests shared by several rooms of nlperr.

Functions here are generic (plain arrays in, numbers out), documented with
their exact method and tested against scipy.  Tests that already exist in
:mod:`nlperr.analysis._stats` (bootstrap weights, Benjamini-Hochberg,
McNemar, binomial tail) are re-exported here so that new code imports one
module.

>>> u, p = mann_whitney_u([1, 2, 3, 4], [5, 6, 7, 8])
>>> float(u), round(float(p), 4)
(0.0, 0.0304)
>>> rank_biserial([1, 2, 3, 4], [5, 6, 7, 8])
-1.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .analysis._stats import benjamini_hochberg, mcnemar_test

__all__ = ["rankdata", "mann_whitney_u", "rank_biserial", "wilson_interval",
           "benjamini_hochberg", "mcnemar_test"]


def rankdata(values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Ranks 1..n of *values*, ties given their average rank (scipy's ``"average"``)."""
    a = np.asarray(values, dtype=np.float64).ravel()
    n = len(a)
    order = np.argsort(a, kind="mergesort")
    sorted_a = a[order]
    ranks = np.empty(n, dtype=np.float64)
    if n == 0:
        return ranks
    new = np.ones(n, dtype=bool)
    new[1:] = sorted_a[1:] != sorted_a[:-1]
    starts = np.nonzero(new)[0]
    ends = np.append(starts[1:], n)
    avg = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks


def _erfc_half(z: float) -> float:
    """Upper tail of the standard normal, P(Z >= z)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def mann_whitney_u(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray, *,
                   alternative: str = "two-sided",
                   use_continuity: bool = True) -> tuple[float, float]:
    """Mann-Whitney U test of *x* against *y* (normal approximation, tie-corrected).

    Returns ``(U1, p)`` where ``U1`` is the statistic of *x* (the number of
    pairs with ``x > y`` plus half the ties).  The p-value uses the normal
    approximation with the tie correction of the variance and, by default, a
    continuity correction of 0.5 -- the same numbers as
    ``scipy.stats.mannwhitneyu(x, y, method="asymptotic")``.  NaN values are
    dropped; with an empty sample (or all values tied) ``p`` is NaN.

    Parameters
    ----------
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: *x* tends to be larger than *y*.
    """
    if alternative not in ("two-sided", "greater", "less"):
        from .errors import Errors, InputError

        raise InputError(Errors.E207.format(value=alternative, option="alternative",
                                            allowed=["two-sided", "greater", "less"]))
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    xa, ya = xa[~np.isnan(xa)], ya[~np.isnan(ya)]
    n1, n2 = len(xa), len(ya)
    if n1 == 0 or n2 == 0:
        return float("nan"), float("nan")
    ranks = rankdata(np.concatenate([xa, ya]))
    r1 = ranks[:n1].sum()
    u1 = r1 - n1 * (n1 + 1) / 2.0
    n = n1 + n2
    _, counts = np.unique(ranks, return_counts=True)
    tie = float((counts ** 3 - counts).sum())
    var = n1 * n2 / 12.0 * ((n + 1) - tie / (n * (n - 1)))
    if var <= 0:
        return float(u1), float("nan")
    mu = n1 * n2 / 2.0
    if alternative == "two-sided":
        u = max(u1, n1 * n2 - u1)
    elif alternative == "greater":
        u = u1
    else:
        u = n1 * n2 - u1
    z = (u - mu - (0.5 if use_continuity else 0.0)) / math.sqrt(var)
    p = _erfc_half(z)
    if alternative == "two-sided":
        p = min(1.0, 2.0 * p)
    return float(u1), float(p)


def rank_biserial(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Rank-biserial correlation ``2 * U1 / (n1 * n2) - 1`` in [-1, 1]: the
    probability that a value of *x* exceeds one of *y* minus the reverse
    (+1: every x above every y).  NaN for an empty sample."""
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    xa, ya = xa[~np.isnan(xa)], ya[~np.isnan(ya)]
    if len(xa) == 0 or len(ya) == 0:
        return float("nan")
    ranks = rankdata(np.concatenate([xa, ya]))
    u1 = ranks[:len(xa)].sum() - len(xa) * (len(xa) + 1) / 2.0
    return float(2.0 * u1 / (len(xa) * len(ya)) - 1.0)


def wilson_interval(successes: Any, n: Any, *, confidence: float = 0.95
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion, elementwise.

    Returns ``(low, high)`` arrays (scalars broadcast); NaN where ``n == 0``.
    The same numbers as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``.

    >>> low, high = wilson_interval(4, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.1682, 0.6873)
    """
    from statistics import NormalDist

    k = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / m
        denom = 1.0 + z * z / m
        center = (p + z * z / (2.0 * m)) / denom
        half = z * np.sqrt(p * (1.0 - p) / m + z * z / (4.0 * m * m)) / denom
        low = np.where(m > 0, np.clip(center - half, 0.0, 1.0), np.nan)
        high = np.where(m > 0, np.clip(center + half, 0.0, 1.0), np.nan)
    return low, high
