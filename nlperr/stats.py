"""Generic statistical tests shared by several rooms (drift, quality, ...).

Everything here is generic: no NLP, no nlperr data model.  The smaller helpers
that round 1 uses (safe division, bootstrap weights, Benjamini-Hochberg, McNemar)
live in :mod:`nlperr.analysis._stats`; :func:`adjust_pvalues` reuses its
Benjamini-Hochberg.  numpy is always needed; scipy (``pip install
'nlperr[drift]'``) only for :func:`ks_2samp`, :func:`mann_whitney_auc` and sparse
inputs of :func:`permutation_group_sums`.

* :func:`permutation_pvalue` -- the add-one permutation p-value
  ``(1 + #{null >= observed}) / (B + 1)`` (Phipson & Smyth 2010), never 0.
* :func:`permutation_group_sums` -- the vectorised engine of two-sample
  permutation tests whose statistic is a function of per-group column sums:
  one matrix product per chunk of permutations.
* :func:`holm` and :func:`adjust_pvalues` (``"holm"`` / ``"bh"`` / ``"none"``).
* :func:`ks_2samp` -- the two-sample Kolmogorov-Smirnov test (scipy).
* :func:`mann_whitney_auc` -- AUC of scores of positives vs negatives with the
  one-sided Mann-Whitney p-value (normal approximation with tie correction).
* :func:`jensen_shannon` and :func:`pearson_chi2` -- row-wise divergences of
  count vectors (used as permutation statistics).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .errors import Errors, InputError, MissingDependencyError

__all__ = ["permutation_pvalue", "permutation_group_sums", "holm", "adjust_pvalues",
           "ADJUSTMENTS", "ks_2samp", "mann_whitney_auc", "jensen_shannon", "pearson_chi2"]

#: Multiple-testing adjustments known to :func:`adjust_pvalues`.
ADJUSTMENTS = ("holm", "bh", "none")


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


def ks_2samp(x: np.ndarray, y: np.ndarray, *, exact_limit: int = 1_000_000) -> tuple[float, float]:
    """Two-sided two-sample Kolmogorov-Smirnov test: ``(D, p_value)``.

    scipy's exact distribution when ``len(x) * len(y) <= exact_limit``, else its
    asymptotic one (scipy's own "auto" rule goes exact up to 10 000 per side,
    which takes seconds).  With ties (discrete data such as lengths) the p-value
    is conservative.  NaN values are dropped; ``(nan, nan)`` when a side is empty.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if len(x) == 0 or len(y) == 0:
        return float("nan"), float("nan")
    method = "exact" if len(x) * len(y) <= exact_limit else "asymp"
    res = _scipy().ks_2samp(x, y, method=method)
    return float(res.statistic), float(res.pvalue)


def mann_whitney_auc(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """AUC of *pos* scores against *neg* scores and its one-sided p-value.

    AUC = ``P(pos > neg) + P(pos == neg) / 2`` (the Mann-Whitney U divided by
    ``n_pos * n_neg``).  The p-value tests AUC > 0.5 against the null that all
    scores are exchangeable: the normal approximation of U with tie correction and
    continuity correction (scipy's ``mannwhitneyu(..., alternative="greater",
    method="asymptotic")``).  ``(nan, nan)`` when a side is empty.
    """
    pos = np.asarray(pos, dtype=np.float64)
    neg = np.asarray(neg, dtype=np.float64)
    n1, n0 = len(pos), len(neg)
    if n1 == 0 or n0 == 0:
        return float("nan"), float("nan")
    st = _scipy()
    ranks = st.rankdata(np.concatenate([pos, neg]))
    u = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2)
    n = n1 + n0
    _, counts = np.unique(ranks, return_counts=True)
    tie = float((counts ** 3 - counts).sum())
    var = n1 * n0 / 12.0 * ((n + 1) - tie / (n * (n - 1))) if n > 1 else 0.0
    if var <= 0:
        return u / (n1 * n0), 1.0
    z = (u - n1 * n0 / 2.0 - 0.5) / math.sqrt(var)
    return u / (n1 * n0), float(st.norm.sf(z))


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
