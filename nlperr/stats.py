"""Statistics shared by several rooms of nlperr (numpy and the standard library only).

scipy is optional for nlperr, so the few distributions and intervals the library needs
are computed here and pinned against scipy in ``tests/test_stats.py``:

* :func:`wilson_interval` -- Wilson score interval of a binomial proportion (pass rates);
* :func:`chi2_sf` -- survival function of the chi-square distribution (regularized
  upper incomplete gamma ``Q(df/2, x/2)``, series / continued fraction);
* :func:`chi2_contingency` -- Pearson's chi-square test of homogeneity of a
  contingency table (= ``scipy.stats.chi2_contingency(..., correction=False)``);
* :func:`ks_2samp` -- two-sample Kolmogorov-Smirnov test, two-sided, with the
  limiting (Kolmogorov) distribution's p-value ``scipy.stats.kstwobign.sf(D sqrt(nm/(n+m)))``
  (scipy's ``method="asymp"`` uses a finite-n refinement; the two agree as n grows);
* :func:`normal_sf` -- upper tail of the standard normal;
* :func:`proportion_z` -- one-sample z-statistic of a proportion against a null
  proportion (Gardner et al. 2021's test for spurious cue words).

Benjamini-Hochberg, McNemar and the bootstrap live in :mod:`nlperr.analysis._stats`.

>>> round(chi2_sf(3.841458820694124, 1), 6)
0.05
>>> stat, p, dof = chi2_contingency([[10, 20], [20, 10]])
>>> round(stat, 4), dof
(6.6667, 1)
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from .errors import Errors, InputError

__all__ = ["wilson_interval", "chi2_sf", "chi2_contingency", "ks_2samp", "normal_sf",
           "proportion_z"]


def _check_confidence(confidence: Any) -> float:
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise InputError(Errors.E619.format(where="wilson_interval", field="confidence",
                                            expected="a number in (0, 1), e.g. 0.95", got=repr(confidence)))
    return float(confidence)


def wilson_interval(successes: Any, n: Any, *, confidence: float = 0.95) -> tuple[Any, Any]:
    """Wilson score confidence interval of a binomial proportion ``successes / n``.

    The interval holds every proportion *p* that the two-sided score test does
    not reject at level ``1 - confidence``:
    ``|successes/n - p| <= z * sqrt(p (1 - p) / n)`` with ``z`` the
    ``(1 + confidence) / 2`` normal quantile.  Unlike the normal (Wald)
    interval it stays inside [0, 1] and is not degenerate at 0 or *n*
    successes (``wilson_interval(3, 3)`` is about ``(0.44, 1.0)``), which makes it
    the usual choice for pass rates over few cases.  Same values as
    ``scipy.stats.binomtest(k, n).proportion_ci(confidence, method="wilson")``.

    Parameters
    ----------
    successes, n : int or array of int
        Number of successes and of trials (broadcast together); ``0 <= successes <= n``.
    confidence : float
        Confidence level in (0, 1), default 0.95.

    Returns
    -------
    (low, high) : floats, or float arrays of the broadcast shape
        NaN where ``n == 0`` (no trial, no interval).

    Examples
    --------
    >>> low, high = wilson_interval(18, 20)
    >>> round(low, 4), round(high, 4)
    (0.699, 0.9721)
    """
    conf = _check_confidence(confidence)
    k = np.asarray(successes)
    m = np.asarray(n)
    for name, arr in (("successes", k), ("n", m)):
        if arr.dtype.kind not in "iu" and not (arr.dtype.kind == "f" and np.all(np.mod(arr, 1) == 0)):
            raise InputError(Errors.E619.format(where="wilson_interval", field=name,
                                                expected="whole numbers", got=repr(arr.tolist())[:60]))
    if np.any(m < 0) or np.any(k < 0) or np.any(k > m):
        raise InputError(Errors.E619.format(where="wilson_interval", field="successes",
                                            expected="0 <= successes <= n",
                                            got=f"successes={k.tolist()!r:.40}, n={m.tolist()!r:.40}"))
    k = k.astype(float)
    m = m.astype(float)
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        denom = 1.0 + z2 / m
        center = (p + z2 / (2 * m)) / denom
        half = (z / denom) * np.sqrt(p * (1 - p) / m + z2 / (4 * m * m))
        low = np.where(k == 0, 0.0, np.clip(center - half, 0.0, 1.0))
        high = np.where(k == m, 1.0, np.clip(center + half, 0.0, 1.0))
    low = np.where(m == 0, np.nan, low)
    high = np.where(m == 0, np.nan, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def _gammaincc(a: float, x: float) -> float:
    """Regularized upper incomplete gamma ``Q(a, x)`` for ``a > 0, x >= 0``."""
    if x <= 0:
        return 1.0
    if math.isinf(x):
        return 0.0
    lg = math.lgamma(a)
    if x < a + 1.0:
        # series for P(a, x)
        term = total = 1.0 / a
        ap = a
        for _ in range(10000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-16:
                break
        p = total * math.exp(-x + a * math.log(x) - lg)
        return max(0.0, 1.0 - p)
    # continued fraction for Q(a, x) (modified Lentz)
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - lg) * h)


def chi2_sf(x: float, df: float) -> float:
    """``P(X >= x)`` for ``X ~ chi2(df)``.

    >>> chi2_sf(0.0, 3)
    1.0
    """
    if df <= 0:
        raise ValueError(f"df must be positive, got {df!r}")
    if math.isnan(x):
        return float("nan")
    return _gammaincc(df / 2.0, max(float(x), 0.0) / 2.0)


def chi2_contingency(table: Sequence[Sequence[float]] | np.ndarray) -> tuple[float, float, int]:
    """Pearson's chi-square test of independence of the rows and columns of *table*.

    Rows or columns that are all zero are dropped first (they carry no
    information and would make an expected count zero).

    Returns
    -------
    (statistic, p_value, dof)
        ``p_value`` is NaN and ``dof`` 0 when fewer than two rows or columns remain.
    """
    obs = np.asarray(table, dtype=np.float64)
    if obs.ndim != 2:
        raise ValueError(f"table must be 2-dimensional, got shape {obs.shape}")
    obs = obs[obs.sum(axis=1) > 0][:, obs.sum(axis=0) > 0]
    r, c = obs.shape
    if r < 2 or c < 2:
        return 0.0, float("nan"), 0
    expected = np.outer(obs.sum(axis=1), obs.sum(axis=0)) / obs.sum()
    stat = float(((obs - expected) ** 2 / expected).sum())
    dof = (r - 1) * (c - 1)
    return stat, chi2_sf(stat, dof), dof


def _kolmogorov_sf(x: float) -> float:
    """``P(K > x)`` of the Kolmogorov distribution (``sqrt(n) D`` as ``n -> inf``)."""
    if x <= 0:
        return 1.0
    if x < 1.0:
        # the alternating series converges slowly here; use the theta-function form
        w = math.sqrt(2.0 * math.pi) / x
        s = sum(math.exp(-((2 * k - 1) ** 2) * math.pi ** 2 / (8.0 * x * x))
                for k in range(1, 40))
        return max(0.0, min(1.0, 1.0 - w * s))
    s = 0.0
    for k in range(1, 200):
        t = 2.0 * (-1) ** (k - 1) * math.exp(-2.0 * k * k * x * x)
        s += t
        if abs(t) < 1e-18:
            break
    return max(0.0, min(1.0, s))


def ks_2samp(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray
             ) -> tuple[float, float]:
    """Two-sided two-sample Kolmogorov-Smirnov test with the asymptotic p-value.

    Returns ``(D, p_value)``: ``D`` the largest distance between the two
    empirical CDFs, ``p_value`` from the Kolmogorov distribution at
    ``D * sqrt(n m / (n + m))`` (= ``scipy.stats.kstwobign.sf``; a little larger than
    scipy's finite-n ``method="asymp"`` for small samples).
    NaN for an empty sample.
    """
    x = np.sort(np.asarray(a, dtype=np.float64))
    y = np.sort(np.asarray(b, dtype=np.float64))
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    grid = np.concatenate([x, y])
    cdf_x = np.searchsorted(x, grid, side="right") / n
    cdf_y = np.searchsorted(y, grid, side="right") / m
    d = float(np.max(np.abs(cdf_x - cdf_y)))
    en = n * m / (n + m)
    return d, _kolmogorov_sf(d * math.sqrt(en))


def normal_sf(z: float | np.ndarray) -> np.ndarray:
    """Upper tail ``P(Z >= z)`` of the standard normal, element-wise (NaN stays NaN)."""
    arr = np.asarray(z, dtype=np.float64)
    flat = arr.ravel()
    out = np.fromiter((0.5 * math.erfc(v / math.sqrt(2.0)) if v == v else math.nan
                       for v in flat.tolist()), dtype=np.float64, count=flat.size)
    return out.reshape(arr.shape)


def proportion_z(k: np.ndarray, n: np.ndarray, p0: np.ndarray | float) -> np.ndarray:
    """z-statistic of ``k`` successes out of ``n`` against the null proportion ``p0``:
    ``(k / n - p0) / sqrt(p0 (1 - p0) / n)`` (NaN where ``n == 0`` or ``p0`` is 0 or 1).

    >>> round(float(proportion_z(np.array([30]), np.array([40]), 0.5)[0]), 6)
    3.162278
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    p0 = np.asarray(p0, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(p0 * (1.0 - p0) / n)
        z = (k / n - p0) / se
    return np.where((n > 0) & (se > 0), z, np.nan)
