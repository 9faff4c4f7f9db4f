"""nlperr.stats against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

scipy_stats = pytest.importorskip("scipy.stats")

from nlperr import stats  # noqa: E402


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
