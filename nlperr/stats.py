"""Statistics shared by several rooms of nlperr.

Generic, documented functions with no dependency beyond numpy and the standard
library; each is tested against a reference implementation (scipy) in
``tests/test_stats.py``.  Tests already used by the analysis room (bootstrap,
McNemar, Benjamini-Hochberg) live in :mod:`nlperr.analysis._stats`.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from .errors import Errors, InputError

__all__ = ["wilson_interval"]


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

