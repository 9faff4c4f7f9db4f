"""Statistics shared by several rooms of nlperr (numpy and the standard library only).

scipy is optional for nlperr (``pip install 'nlperr[drift]'`` brings it), so most of
what the library needs is computed here with numpy and pinned against scipy in
``tests/test_stats.py``; the functions that call scipy say so:

* :func:`wilson_interval` -- Wilson score interval of a binomial proportion (pass rates);
* :func:`chi2_sf` -- survival function of the chi-square distribution (regularized
  upper incomplete gamma ``Q(df/2, x/2)``, series / continued fraction);
* :func:`chi2_contingency` -- Pearson's chi-square test of homogeneity of a
  contingency table (= ``scipy.stats.chi2_contingency(..., correction=False)``);
* :func:`ks_2samp` -- two-sample Kolmogorov-Smirnov test, two-sided: scipy's exact
  p-value for small samples, else the limiting (Kolmogorov) distribution's
  ``kstwobign.sf(D sqrt(nm/(n+m)))`` (numpy only with ``method="asymp"``);
* :func:`permutation_pvalue` -- the add-one permutation p-value
  ``(1 + #{null >= observed}) / (B + 1)`` (Phipson & Smyth 2010), never 0;
* :func:`permutation_group_sums` -- the vectorised engine of two-sample
  permutation tests whose statistic is a function of per-group column sums;
* :func:`holm` and :func:`adjust_pvalues` (``"holm"`` / ``"bh"`` / ``"none"``);
* :func:`rankdata`, :func:`mann_whitney_u` (normal approximation, tie and continuity
  corrections), :func:`rank_biserial` (its effect size) and :func:`mann_whitney_auc`
  (AUC of positives' scores vs negatives' with the one-sided p-value);
* :func:`jensen_shannon` and :func:`pearson_chi2` -- row-wise divergences of count
  vectors (used as permutation statistics);
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
from collections.abc import Iterator, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from .errors import Errors, InputError, MissingDependencyError

__all__ = ["wilson_interval", "chi2_sf", "chi2_contingency", "ks_2samp", "normal_sf",
           "proportion_z", "permutation_pvalue", "permutation_group_sums", "holm",
           "adjust_pvalues", "ADJUSTMENTS", "rankdata", "mann_whitney_u", "rank_biserial",
           "mann_whitney_auc", "jensen_shannon", "pearson_chi2", "poisson_draws"]

#: Multiple-testing adjustments known to :func:`adjust_pvalues`.
ADJUSTMENTS = ("holm", "bh", "none")


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


def ks_2samp(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *,
             method: str = "auto", exact_limit: int = 1_000_000) -> tuple[float, float]:
    """Two-sided two-sample Kolmogorov-Smirnov test: ``(D, p_value)``.

    ``D`` is the largest distance between the two empirical CDFs (NaN values are
    dropped; ``(nan, nan)`` when a sample is empty).  The p-value:

    * ``method="asymp"``: the Kolmogorov (limiting) distribution at
      ``D * sqrt(n m / (n + m))`` (= ``scipy.stats.kstwobign.sf``; numpy only, a
      little larger than scipy's finite-n ``method="asymp"`` for small samples);
    * ``method="exact"``: scipy's exact distribution (``pip install 'nlperr[drift]'``);
    * ``method="auto"`` (default): exact when ``n * m <= exact_limit``, else asymp —
      a rule of the sizes alone, so the same call gives the same p-value anywhere.

    With ties (discrete data such as lengths) the p-value is conservative.
    """
    if method not in ("auto", "exact", "asymp"):
        raise InputError(Errors.E207.format(value=method, option="method",
                                            allowed=["auto", "exact", "asymp"]))
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    x = np.sort(x[~np.isnan(x)])
    y = np.sort(y[~np.isnan(y)])
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        return float("nan"), float("nan")
    if method == "exact" or (method == "auto" and n * m <= exact_limit):
        res = _scipy().ks_2samp(x, y, method="exact")
        return float(res.statistic), float(res.pvalue)
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


def _scipy(module: str = "scipy.stats") -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:  # pragma: no cover - scipy comes with scikit-learn
        raise MissingDependencyError(Errors.E203.format(what="this statistical test",
                                                        package="scipy", extra="drift")) from e


def permutation_pvalue(observed: float, null: np.ndarray, *, alternative: str = "greater"
                       ) -> float:
    """Add-one permutation p-value of *observed* against the permutation *null*.

    ``alternative="greater"``: ``(1 + #{null >= observed}) / (B + 1)``;
    ``"less"``: with ``<=``; ``"two-sided"``: ``min(1, 2 * min(greater, less))``.
    Values within ``1e-12`` (relative) of *observed* count as ties (floating-point
    sums of permuted data differ in the last bits).  NaN null values are dropped.
    The add-one form is exact for random permutations: under the null,
    ``P(p <= a) <= a`` for every ``a`` (Phipson & Smyth 2010).

    >>> permutation_pvalue(3.0, np.array([1.0, 2.0, 3.0, 4.0]))
    0.6
    >>> permutation_pvalue(9.0, np.zeros(999))
    0.001
    """
    if alternative not in ("greater", "less", "two-sided"):
        raise InputError(Errors.E207.format(value=alternative, option="alternative",
                                            allowed=["greater", "less", "two-sided"]))
    null = np.asarray(null, dtype=np.float64)
    null = null[~np.isnan(null)]
    if math.isnan(observed):
        return float("nan")
    tol = 1e-12 * max(1.0, abs(observed))
    b = len(null)
    ge = (1 + int(np.count_nonzero(null >= observed - tol))) / (b + 1)
    le = (1 + int(np.count_nonzero(null <= observed + tol))) / (b + 1)
    if alternative == "greater":
        return ge
    if alternative == "less":
        return le
    return min(1.0, 2 * min(ge, le))


def permutation_group_sums(X: Any, n_first: int, *, n_permutations: int, seed: int | None,
                           chunk: int = 200) -> Iterator[np.ndarray]:
    """Column sums of the first group under random relabellings, chunk by chunk.

    *X* holds one row per unit (rows ``[:n_first]`` are group 1 as observed, the
    rest group 2): a dense ``(n, F)`` array or a scipy sparse matrix.  Each
    permutation draws a random subset of ``n_first`` rows (all subsets equally
    likely) as group 1; the generator yields ``(b, F)`` float64 arrays of group-1
    column sums, ``b <= chunk``, ``n_permutations`` rows in all.  Group-2 sums are
    the column totals minus these.  A statistic that is a function of the two
    groups' sums (rates, distributions, divergences) is then evaluated for all
    permutations at once, without a Python loop over permutations.

    Deterministic for a given *seed*.

    >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> sums = np.concatenate(list(permutation_group_sums(X, 2, n_permutations=500, seed=0)))
    >>> sums.shape, float(sums.min()), float(sums.max())
    ((500, 1), 3.0, 7.0)
    """
    n = X.shape[0]
    if not 0 <= n_first <= n:
        raise InputError(Errors.E012.format(where="permutation_group_sums",
                                            expected=f"0 <= n_first <= {n}",
                                            field="n_first", got=n_first))
    rng = np.random.default_rng(seed)
    sparse = hasattr(X, "tocsr") and not isinstance(X, np.ndarray)
    if sparse:
        XT = X.T.tocsr().astype(np.float64)
    else:
        X = np.asarray(X, dtype=np.float64)
    base = np.zeros(n, dtype=np.float64)
    base[:n_first] = 1.0
    done = 0
    while done < n_permutations:
        b = min(chunk, n_permutations - done)
        Z = rng.permuted(np.broadcast_to(base, (b, n)), axis=1)
        if sparse:
            out = np.asarray(XT @ Z.T).T
        else:
            out = Z @ X
        done += b
        yield np.ascontiguousarray(out)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values, same order as the input; NaN stays NaN.

    Controls the family-wise error rate under any dependence.

    >>> holm(np.array([0.01, 0.04, 0.03])).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(pvalues, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    pv = p[ok]
    m = len(pv)
    if m == 0:
        return out
    order = np.argsort(pv, kind="stable")
    stepped = np.maximum.accumulate(pv[order] * (m - np.arange(m)))
    adj = np.empty(m)
    adj[order] = np.minimum(stepped, 1.0)
    out[ok] = adj
    return out


def adjust_pvalues(pvalues: np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjusted p-values: ``"holm"`` (family-wise error rate), ``"bh"``
    (Benjamini-Hochberg false discovery rate) or ``"none"``.

    >>> adjust_pvalues(np.array([0.01, 0.04, 0.03]), "bh").tolist()
    [0.03, 0.04, 0.04]
    """
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        from .analysis._stats import benjamini_hochberg

        return benjamini_hochberg(pvalues)
    if method == "none":
        return np.asarray(pvalues, dtype=np.float64).copy()
    raise InputError(Errors.E207.format(value=method, option="correction",
                                        allowed=list(ADJUSTMENTS)))


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


def mann_whitney_auc(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """AUC of *pos* scores against *neg* scores and its one-sided p-value.

    AUC = ``P(pos > neg) + P(pos == neg) / 2`` (the Mann-Whitney U divided by
    ``n_pos * n_neg``).  The p-value tests AUC > 0.5 against the null that all
    scores are exchangeable: :func:`mann_whitney_u` with ``alternative="greater"``
    (normal approximation, tie and continuity corrections; scipy's
    ``mannwhitneyu(..., alternative="greater", method="asymptotic")``); 1.0 when
    every score is tied.  ``(nan, nan)`` when a side is empty.
    """
    pos = np.asarray(pos, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    n1, n0 = len(pos), len(neg)
    if n1 == 0 or n0 == 0:
        return float("nan"), float("nan")
    u, p = mann_whitney_u(pos, neg, alternative="greater")
    return u / (n1 * n0), (1.0 if math.isnan(p) else p)


def _normalise(counts: np.ndarray) -> np.ndarray:
    tot = counts.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, counts / np.where(tot > 0, tot, 1.0), np.nan)


def jensen_shannon(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence (base 2, in [0, 1]) between the distributions of
    count vectors *a* and *b*, row-wise (last axis = categories).

    >>> float(jensen_shannon(np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    1.0
    """
    p = _normalise(np.asarray(a, dtype=np.float64))
    q = _normalise(np.asarray(b, dtype=np.float64))
    m = (p + q) / 2

    def kl(x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(x > 0, x * np.log2(np.where(x > 0, x, 1.0) / np.where(m > 0, m, 1.0)),
                         0.0)
        return t.sum(axis=-1)

    return np.clip((kl(p) + kl(q)) / 2, 0.0, 1.0)


def pearson_chi2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pearson's chi-square statistic of the 2 x K table with rows *a* and *b*
    (count vectors; last axis = categories), row-wise.  Columns with no count in
    either row are left out (they add nothing).  Equals
    ``scipy.stats.chi2_contingency(..., correction=False)[0]``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    col = a + b
    na = a.sum(axis=-1, keepdims=True)
    nb = b.sum(axis=-1, keepdims=True)
    n = na + nb
    with np.errstate(invalid="ignore", divide="ignore"):
        ea = col * na / n
        eb = col * nb / n
        ta = np.where(ea > 0, (a - ea) ** 2 / np.where(ea > 0, ea, 1.0), 0.0)
        tb = np.where(eb > 0, (b - eb) ** 2 / np.where(eb > 0, eb, 1.0), 0.0)
    return (ta + tb).sum(axis=-1)


#: Largest Poisson mean drawn by inverse transform in :func:`poisson_draws`.
_TABLE_MAX_LAM = 32.0


_LUT_BITS = 16
_CDF_CACHE: dict[float, tuple[np.ndarray, np.ndarray]] = {}


def _poisson_cdf(mu: float) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative distribution of Poisson(*mu*) (its tail beyond ``4 * mu + 40`` has
    probability below 1e-16) and a lookup table over ``2**16`` equal slices of [0, 1):
    the draw of every uniform number in slice *i* when they all agree, else -1."""
    got = _CDF_CACHE.get(mu)
    if got is None:
        from math import lgamma
        k = np.arange(int(4 * mu) + 41, dtype=np.float64)
        logpmf = k * np.log(mu) - mu - np.array([lgamma(x + 1.0) for x in k.tolist()])
        cdf = np.cumsum(np.exp(logpmf))
        cdf[-1] = 1.0
        m = 1 << _LUT_BITS
        lo = np.searchsorted(cdf, np.arange(m) / m, side="right")
        hi = np.searchsorted(cdf, np.nextafter((np.arange(m) + 1) / m, 0.0), side="right")
        lut = np.where(lo == hi, lo, -1).astype(np.int16)
        if len(_CDF_CACHE) > 256:
            _CDF_CACHE.clear()
        got = _CDF_CACHE[mu] = (cdf, lut)
    return got


def _inverse_transform(cdf: np.ndarray, lut: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``searchsorted(cdf, u, side="right")``, the same numbers, through the lookup table
    (exact: a slice of [0, 1) that a step of the distribution cuts is searched)."""
    if u.size < (1 << _LUT_BITS):
        return np.searchsorted(cdf, u, side="right")
    draw = lut[(u * (1 << _LUT_BITS)).astype(np.intp)]
    cut = draw < 0
    if cut.any():
        draw[cut] = np.searchsorted(cdf, u[cut], side="right")
    return draw


def poisson_draws(rng: np.random.Generator, lam: np.ndarray, n: int) -> np.ndarray:
    """``n`` Poisson draws for each mean in *lam*: a float64 array of shape
    ``(n, len(lam))`` (the weights of a grouped Poisson bootstrap).

    Means up to 32 are drawn by inverse transform: uniform numbers looked up in the
    exact cumulative distribution (its tail beyond ``4 * lam + 40`` has probability
    below 1e-16; a table over 65,536 slices of [0, 1) answers all but the numbers near
    a step), which is several times faster than ``rng.poisson`` with an array of
    means; larger means use ``rng.poisson``.  Deterministic for a seeded *rng*.

    >>> import numpy as np
    >>> w = poisson_draws(np.random.default_rng(0), np.array([1.0, 3.0]), 20000)
    >>> w.shape, bool(abs(w[:, 0].mean() - 1) < 0.05), bool(abs(w[:, 1].var() - 3) < 0.2)
    ((20000, 2), True, True)
    """
    lam = np.asarray(lam, dtype=np.float64)
    out = np.empty((n, len(lam)), dtype=np.float64)
    small = lam <= _TABLE_MAX_LAM
    if small.any():
        cols_small = np.flatnonzero(small)
        values, inv = np.unique(lam[cols_small], return_inverse=True)
        for j, mu in enumerate(values.tolist()):  # the columns of one mean at a time
            cols = cols_small[inv == j]
            if mu <= 0:
                out[:, cols] = 0.0
                continue
            cdf, lut = _poisson_cdf(mu)
            draw = _inverse_transform(cdf, lut, rng.random((n, len(cols))))
            if len(cols) == len(lam):
                out[:] = draw
            else:
                out[:, cols] = draw
    big = np.flatnonzero(~small)
    if len(big):
        out[:, big] = rng.poisson(lam[big], size=(n, len(big)))
    return out
