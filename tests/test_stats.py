"""nlperr.stats: the shared rank tests, against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlperr.stats import mann_whitney_u, rank_biserial, rankdata

sp = pytest.importorskip("scipy.stats")

samples = st.lists(st.integers(-5, 5) | st.floats(-3, 3, allow_nan=False, width=32),
                   min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(samples, samples, st.sampled_from(["two-sided", "greater", "less"]), st.booleans())
def test_mann_whitney_matches_scipy_asymptotic(x, y, alternative, cc):
    u, p = mann_whitney_u(x, y, alternative=alternative, use_continuity=cc)
    all_tied = len(set(x) | set(y)) == 1
    ref = sp.mannwhitneyu(x, y, alternative=alternative, use_continuity=cc, method="asymptotic")
    assert u == pytest.approx(ref.statistic)
    if all_tied:
        assert np.isnan(p)
    else:
        assert p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(samples)
def test_rankdata_matches_scipy(x):
    np.testing.assert_allclose(rankdata(x), sp.rankdata(x))


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


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 200), st.data())
def test_wilson_interval_matches_scipy(n, data):
    from nlperr.stats import wilson_interval

    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    ref = sp.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert float(low) == pytest.approx(ref.low, abs=1e-12)
    assert float(high) == pytest.approx(ref.high, abs=1e-12)
    assert np.isnan(wilson_interval(0, 0)[0])
