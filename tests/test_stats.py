"""nlperr.stats against references: scipy's Wilson interval and a brute-force inversion of the score test."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlperr.errors import InputError
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
    assert nlperr.stats.__all__ == ["wilson_interval"]
