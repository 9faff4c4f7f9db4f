"""nlperr.stats against references: scipy (Wilson interval, chi-square, KS, normal tail) and a
brute-force inversion of the score test."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlperr.errors import InputError
from nlperr import stats
from nlperr.stats import mann_whitney_u, rank_biserial, rankdata, wilson_interval

from scipy import sparse, stats as sst
from scipy.spatial.distance import jensenshannon

from nlperr.stats import (adjust_pvalues, holm, jensen_shannon, ks_2samp, mann_whitney_auc,
                          pearson_chi2, permutation_group_sums, permutation_pvalue)

pvals = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30)


scipy_stats = pytest.importorskip("scipy.stats")


@st.composite
def _k_n(draw):
    n = draw(st.integers(1, 2000))
    return draw(st.integers(0, n)), n


@settings(max_examples=200, deadline=None)
@given(_k_n(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_equals_scipy_binomtest_wilson(kn, conf):
    k, n = kn
    ref = scipy_stats.binomtest(k, n).proportion_ci(confidence_level=conf, method="wilson")
    low, high = wilson_interval(k, n, confidence=conf)
    assert low == pytest.approx(ref.low, abs=1e-12) and high == pytest.approx(ref.high, abs=1e-12)


def _score_test_bounds(k: int, n: int, conf: float) -> tuple[float, float]:
    """Independent computation: the ends of {p : |k/n - p| <= z sqrt(p(1-p)/n)} found by bisection."""
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    phat = k / n

    def inside(p: float) -> bool:
        return abs(phat - p) <= z * math.sqrt(p * (1 - p) / n)

    def bisect(a: float, b: float) -> float:  # inside(a) != inside(b)
        ia = inside(a)
        for _ in range(200):
            m = (a + b) / 2
            if inside(m) == ia:
                a = m
            else:
                b = m
        return (a + b) / 2

    low = 0.0 if k == 0 else bisect(phat, 0.0)
    high = 1.0 if k == n else bisect(phat, 1.0)
    return low, high


@settings(max_examples=100, deadline=None)
@given(_k_n())
def test_equals_brute_force_score_test_inversion(kn):
    k, n = kn
    low, high = wilson_interval(k, n)
    ref_low, ref_high = _score_test_bounds(k, n, 0.95)
    assert low == pytest.approx(ref_low, abs=1e-9) and high == pytest.approx(ref_high, abs=1e-9)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_vectorised_and_empty():
    low, high = wilson_interval(np.array([0, 3, 10, 0]), np.array([10, 10, 10, 0]))
    assert low.shape == (4,) and math.isnan(low[3]) and math.isnan(high[3])
    for i, (k, n) in enumerate([(0, 10), (3, 10), (10, 10)]):
        assert (low[i], high[i]) == pytest.approx(wilson_interval(k, n))
    assert all(map(math.isnan, wilson_interval(0, 0)))
    # few cases, all passed: the interval is wide (a 3-case pass means little)
    lo3, hi3 = wilson_interval(3, 3)
    assert hi3 == 1.0 and lo3 == pytest.approx(0.4385, abs=1e-4)


@pytest.mark.parametrize("k, n, conf", [(5, 3, 0.95), (-1, 3, 0.95), (1.5, 3, 0.95), (1, 3, 1.0),
                                        (1, 3, 0), (1, 3, True)])
def test_invalid_input_is_an_error(k, n, conf):
    with pytest.raises(InputError, match="E619"):
        wilson_interval(k, n, confidence=conf)


def test_public_names():
    import nlperr.stats
    assert nlperr.stats.__all__ == ["wilson_interval", "chi2_sf", "chi2_contingency", "ks_2samp",
                                    "normal_sf", "proportion_z", "permutation_pvalue",
                                    "permutation_group_sums", "holm", "adjust_pvalues",
                                    "ADJUSTMENTS", "rankdata", "mann_whitney_u",
                                    "rank_biserial", "mann_whitney_auc", "jensen_shannon",
                                    "pearson_chi2", "poisson_draws"]


@pytest.mark.parametrize("lam", [0.0, 1.0, 2.0, 7.0, 32.0, 40.0, 500.0])
def test_poisson_draws_follow_the_poisson_distribution(lam):
    from scipy import stats
    from nlperr.stats import poisson_draws
    n = 40_000
    w = poisson_draws(np.random.default_rng(3), np.array([lam, 1.0, lam]), n)
    assert w.shape == (n, 3) and w.dtype == np.float64
    assert np.array_equal(w, np.round(w)) and (w >= 0).all()
    x = w[:, [0, 2]].ravel()
    if lam == 0:
        assert (x == 0).all()
        return
    # chi-square goodness of fit on the bins holding 99.9% of the mass
    lo, hi = stats.poisson.ppf([0.0005, 0.9995], lam)
    edges = np.arange(lo, hi + 1)
    obs = np.array([(x == k).sum() for k in edges] + [((x < lo) | (x > hi)).sum()])
    exp = np.append(stats.poisson.pmf(edges, lam), 1 - stats.poisson.pmf(edges, lam).sum())
    exp = exp * len(x)
    keep = exp > 5
    chi2 = (((obs - exp) ** 2) / exp)[keep].sum()
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-4


def test_poisson_draws_are_seeded():
    from nlperr.stats import poisson_draws
    lam = np.array([1.0, 1.0, 3.0, 100.0])
    a = poisson_draws(np.random.default_rng(9), lam, 50)
    assert np.array_equal(a, poisson_draws(np.random.default_rng(9), lam, 50))


@settings(max_examples=100, deadline=None)
@given(x=st.floats(0, 500, allow_nan=False), df=st.integers(1, 300))
def test_chi2_sf_equals_scipy(x, df):
    assert stats.chi2_sf(x, df) == pytest.approx(scipy_stats.chi2.sf(x, df), rel=1e-9, abs=1e-14)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 50), min_size=3, max_size=3), min_size=2, max_size=5))
def test_chi2_contingency_equals_scipy(table):
    t = np.asarray(table)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    stat, p, dof = stats.chi2_contingency(table)
    if t.shape[0] < 2 or t.shape[1] < 2:
        assert dof == 0 and np.isnan(p)
        return
    ref = scipy_stats.chi2_contingency(t, correction=False)
    assert stat == pytest.approx(ref[0], rel=1e-9, abs=1e-12)
    assert p == pytest.approx(ref[1], rel=1e-8, abs=1e-14)
    assert dof == ref[2]


@settings(max_examples=30, deadline=None)
@given(n=st.integers(5, 300), m=st.integers(5, 300), shift=st.floats(0, 1), seed=st.integers(0, 99))
def test_ks_2samp_statistic_equals_scipy_and_p_the_kolmogorov_limit(n, m, shift, seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rng.normal(shift, size=m).round(1)   # ties too
    d, p = stats.ks_2samp(a, b, method="asymp")
    ref = scipy_stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic, abs=1e-12)
    assert p == pytest.approx(scipy_stats.kstwobign.sf(d * np.sqrt(n * m / (n + m))),
                              rel=1e-9, abs=1e-14)


def test_ks_p_value_approaches_scipy_for_large_samples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=4000), rng.normal(0.05, size=5000)
    assert stats.ks_2samp(a, b, method="asymp")[1] == pytest.approx(
        scipy_stats.ks_2samp(a, b, method="asymp").pvalue, rel=0.05)


def test_normal_sf_and_proportion_z():
    z = np.array([-3.0, 0.0, 1.5, 8.0, np.nan])
    np.testing.assert_allclose(stats.normal_sf(z)[:4], scipy_stats.norm.sf(z[:4]), rtol=1e-12)
    assert np.isnan(stats.normal_sf(z)[4])
    k, n = np.array([7, 0, 5]), np.array([10, 0, 5])
    got = stats.proportion_z(k, n, 0.5)
    assert got[0] == pytest.approx((0.7 - 0.5) / np.sqrt(0.25 / 10))
    assert np.isnan(got[1])
    assert np.isnan(stats.proportion_z(np.array([1]), np.array([2]), 1.0)[0])


# --- permutation tests, adjustments, KS, Mann-Whitney, divergences (drift) ---

def _holm_brute(p):
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


@given(pvals)
@settings(max_examples=60, deadline=None)
def test_holm_matches_definition(p):
    assert np.allclose(holm(np.array(p)), _holm_brute(p))


@given(pvals)
@settings(max_examples=60, deadline=None)
def test_bh_matches_scipy(p):
    assert np.allclose(adjust_pvalues(np.array(p), "bh"), sst.false_discovery_control(p))


def test_adjust_keeps_nan_and_rejects_unknown():
    out = adjust_pvalues(np.array([0.01, np.nan, 0.02]), "holm")
    assert np.isnan(out[1]) and np.allclose(out[[0, 2]], [0.02, 0.02])
    with pytest.raises(InputError, match="E207"):
        adjust_pvalues(np.array([0.1]), "bonferroni-ish")


def test_permutation_pvalue_alternatives():
    null = np.arange(1, 100, dtype=float)  # 1..99
    assert permutation_pvalue(99.0, null) == 2 / 100
    assert permutation_pvalue(0.0, null, alternative="less") == 1 / 100
    assert permutation_pvalue(50.0, null, alternative="two-sided") == 1.0
    assert permutation_pvalue(1000.0, null) == 1 / 100  # never 0
    with pytest.raises(InputError, match="E207"):
        permutation_pvalue(1.0, null, alternative="bigger")


def test_group_sums_are_subset_sums_dense_and_sparse_alike():
    n, k = 12, 5
    X = np.random.default_rng(0).poisson(2.0, size=(n, 4)).astype(float)
    dense = np.concatenate(list(permutation_group_sums(X, k, n_permutations=300, seed=3,
                                                       chunk=64)))
    sp = np.concatenate(list(permutation_group_sums(sparse.csr_matrix(X), k,
                                                    n_permutations=300, seed=3, chunk=64)))
    assert dense.shape == (300, 4)
    assert np.allclose(dense, sp)
    eye = np.concatenate(list(permutation_group_sums(np.eye(n), k, n_permutations=200, seed=1)))
    assert set(np.unique(eye)) <= {0.0, 1.0} and np.all(eye.sum(1) == k)
    # every unit is in group 1 about k/n of the time
    assert np.allclose(eye.mean(0), k / n, atol=0.12)
    again = np.concatenate(list(permutation_group_sums(X, k, n_permutations=300, seed=3,
                                                       chunk=64)))
    assert np.array_equal(dense, again)


def test_ks_matches_scipy():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=300), rng.normal(0.3, size=200)
    d, p = ks_2samp(x, y)
    ref = sst.ks_2samp(x, y)
    assert d == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    x, y = rng.normal(size=2000), rng.normal(size=1500)  # beyond exact_limit: the limit law
    d, p = ks_2samp(x, y)
    assert p == pytest.approx(sst.kstwobign.sf(d * np.sqrt(2000 * 1500 / 3500)))
    assert ks_2samp(x, y, method="exact")[1] == pytest.approx(sst.ks_2samp(x, y, method="exact").pvalue)
    assert np.isnan(ks_2samp(np.array([]), y)[1])


@given(st.lists(st.integers(0, 6), min_size=1, max_size=40),
       st.lists(st.integers(0, 6), min_size=1, max_size=40))
@settings(max_examples=60, deadline=None)
def test_mann_whitney_auc_matches_scipy_and_sklearn(pos, neg):
    from sklearn.metrics import roc_auc_score

    auc, p = mann_whitney_auc(np.array(pos, float), np.array(neg, float))
    y = [1] * len(pos) + [0] * len(neg)
    assert auc == pytest.approx(roc_auc_score(y, pos + neg))
    ref = sst.mannwhitneyu(pos, neg, alternative="greater", method="asymptotic")
    if np.isnan(ref.pvalue):
        assert p == 1.0
    else:
        assert p == pytest.approx(ref.pvalue, abs=1e-12)


@given(st.lists(st.integers(0, 20), min_size=2, max_size=8), st.data())
@settings(max_examples=60, deadline=None)
def test_jsd_and_chi2_match_scipy(a, data):
    b = data.draw(st.lists(st.integers(0, 20), min_size=len(a), max_size=len(a)))
    a, b = np.array(a, float), np.array(b, float)
    if a.sum() == 0 or b.sum() == 0:
        return
    assert float(jensen_shannon(a, b)) == pytest.approx(
        jensenshannon(a / a.sum(), b / b.sum(), base=2) ** 2, abs=1e-9)
    keep = (a + b) > 0
    if keep.sum() >= 2:
        ref = sst.chi2_contingency(np.vstack([a[keep], b[keep]]), correction=False)[0]
        assert float(pearson_chi2(a, b)) == pytest.approx(ref, rel=1e-9, abs=1e-9)
    # row-wise on stacked inputs
    two = pearson_chi2(np.vstack([a, b]), np.vstack([b, a]))
    assert two.shape == (2,) and two[0] == pytest.approx(two[1])


# --- rank tests (attention contrasts) ---

samples = st.lists(st.integers(-5, 5) | st.floats(-3, 3, allow_nan=False, width=32),
                   min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(samples, samples, st.sampled_from(["two-sided", "greater", "less"]), st.booleans())
def test_mann_whitney_matches_scipy_asymptotic(x, y, alternative, cc):
    u, p = mann_whitney_u(x, y, alternative=alternative, use_continuity=cc)
    all_tied = len(set(x) | set(y)) == 1
    ref = scipy_stats.mannwhitneyu(x, y, alternative=alternative, use_continuity=cc, method="asymptotic")
    assert u == pytest.approx(ref.statistic)
    if all_tied:
        assert np.isnan(p)
    else:
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(samples)
def test_rankdata_matches_scipy(x):
    np.testing.assert_allclose(rankdata(x), scipy_stats.rankdata(x))


def test_rank_biserial_and_edge_cases():
    assert rank_biserial([3, 4], [1, 2]) == 1.0
    assert rank_biserial([1, 2], [1, 2]) == 0.0
    assert np.isnan(rank_biserial([], [1.0]))
    u, p = mann_whitney_u([], [1.0])
    assert np.isnan(u) and np.isnan(p)
    with pytest.raises(Exception, match="E207"):
        mann_whitney_u([1], [2], alternative="bigger")
    # NaNs are dropped
    assert mann_whitney_u([1, np.nan, 2], [3, 4]) == mann_whitney_u([1, 2], [3, 4])


