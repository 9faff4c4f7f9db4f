"""Comparing two checkpoints on the same cases: regressions and McNemar's exact test
(:func:`nlperr.analysis.mcnemar_test`, shared with the baseline comparison)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from ..analysis._stats import mcnemar_test
from ..errors import Errors, InputError
from .runner import SuiteResult, run_suite

__all__ = ["compare_results", "compare_models"]


def compare_results(baseline: SuiteResult, new: SuiteResult, *, alpha: float = 0.05) -> pd.DataFrame:
    """Per-test comparison of two runs on identical cases.

    Columns: ``name``, ``type``, ``n``, ``baseline_pass_rate``, ``baseline_ci_low``,
    ``baseline_ci_high`` (its Wilson interval, as in :meth:`SuiteResult.summary`), ``pass_rate``,
    ``regressions`` (cases passing in *baseline*, failing in *new*; cases a DIR
    condition skipped in either run are left out),
    ``fixes`` (the reverse), ``p_value`` (exact McNemar), ``significant_regression``
    (``p_value < alpha`` and more regressions than fixes).
    """
    rows = []
    base_tests = {t.name: t for t in baseline.tests}
    for t in new.tests:
        if t.name not in base_tests:
            raise InputError(Errors.E615.format(reason=f"test {t.name!r} is missing from the baseline run"))
        a, b = baseline.outcomes.get(t.name, {}), new.outcomes.get(t.name, {})
        if set(a) != set(b):
            raise InputError(Errors.E615.format(reason=f"test {t.name!r} has different cases in the two runs"))
        both = [k for k in a if a[k] is not None and b[k] is not None]  # skipped in neither run
        reg = sum(1 for k in both if a[k] and not b[k])
        fix = sum(1 for k in both if not a[k] and b[k])
        p = mcnemar_test(reg, fix)
        b = base_tests[t.name]
        rows.append({"name": t.name, "type": t.type, "n": t.n, "baseline_pass_rate": b.pass_rate,
                     "baseline_ci_low": b.ci_low, "baseline_ci_high": b.ci_high,
                     "pass_rate": t.pass_rate, "regressions": reg, "fixes": fix, "p_value": p,
                     "significant_regression": bool(p < alpha and reg > fix)})
    return pd.DataFrame(rows, columns=["name", "type", "n", "baseline_pass_rate", "baseline_ci_low",
                                       "baseline_ci_high", "pass_rate", "regressions",
                                       "fixes", "p_value", "significant_regression"])


def compare_models(suite: Any, model: Any, baseline: Any, *, alpha: float = 0.05, data: Any = None,
                   seed: int | None = None, **options: Any) -> tuple[SuiteResult, SuiteResult, pd.DataFrame]:
    """Run *suite* on *baseline* and *model* over the same generated cases.

    Returns ``(result, baseline_result, comparison)``; see :func:`compare_results`.
    Each model's predictions are cached separately (by fingerprint), so a new
    checkpoint recomputes only its own predictions.
    """
    from .cases import generate_cases
    from .spec import load_suite
    suite = load_suite(suite)
    cases = generate_cases(suite, data=data, seed=seed, data_format=options.pop("data_format", None))
    base = run_suite(suite, baseline, cases=cases, **options)
    new = run_suite(suite, model, cases=cases, **options)
    return new, base, compare_results(base, new, alpha=alpha)
