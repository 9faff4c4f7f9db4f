"""nlperr.stats against scipy / scikit-learn and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse, stats as sst
from scipy.spatial.distance import jensenshannon

from nlperr.errors import InputError
from nlperr.stats import (adjust_pvalues, holm, jensen_shannon, ks_2samp, mann_whitney_auc,
                          pearson_chi2, permutation_group_sums, permutation_pvalue)

pvals = st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30)


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
    x, y = rng.normal(size=2000), rng.normal(size=1500)
    d, p = ks_2samp(x, y)
    assert p == pytest.approx(sst.ks_2samp(x, y, method="asymp").pvalue)
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
