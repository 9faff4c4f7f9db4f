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
from nlperr.stats import wilson_interval

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
                                    "normal_sf", "proportion_z"]


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
    d, p = stats.ks_2samp(a, b)
    ref = scipy_stats.ks_2samp(a, b, method="asymp")
    assert d == pytest.approx(ref.statistic, abs=1e-12)
    assert p == pytest.approx(scipy_stats.kstwobign.sf(d * np.sqrt(n * m / (n + m))),
                              rel=1e-9, abs=1e-14)


def test_ks_p_value_approaches_scipy_for_large_samples():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=4000), rng.normal(0.05, size=5000)
    assert stats.ks_2samp(a, b)[1] == pytest.approx(
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
