"""Comparing two checkpoints on the same cases: regressions and McNemar's exact test
(:func:`nlperr.analysis.mcnemar_test`, shared with the baseline comparison).

:func:`compare_results` gives the per-test table; :func:`compare_runs` wraps it
in a :class:`SuiteComparison` (a :class:`nlperr.results.Result`: summary,
findings such as "2 suite tests newly failing", figures, HTML / Markdown).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from ..analysis._stats import mcnemar_test
from ..errors import Errors, InputError
from ..results import Finding, Result
from .runner import SuiteResult, run_suite

__all__ = ["compare_results", "compare_models", "compare_runs", "SuiteComparison"]


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


_REGRESSED_COLS = ["test", "case_id", "original", "text", "expected", "baseline_pred", "pred"]


@dataclass
class SuiteComparison(Result):
    """Two runs of one suite on the same cases (:func:`compare_runs`).

    ``summary`` keys: ``suite``, ``model``, ``baseline_model``, ``alpha``,
    ``passed`` (the new run passes and no regression is significant), ``tests``,
    ``newly_failing`` (tests failed now but not on the baseline),
    ``newly_passing`` (the reverse), ``significant_regressions`` (tests with
    ``p_value < alpha`` and more regressions than fixes), ``regressions`` /
    ``fixes`` (case totals), ``counts`` / ``baseline_counts`` (tests passed /
    failed / skipped).

    ``tables``: ``comparison`` (:func:`compare_results`), ``tests`` and
    ``baseline_tests`` (:meth:`SuiteResult.test_table` of each run),
    ``regressed_cases`` (cases passing on the baseline and failing now:
    ``test``, ``case_id``, ``original``, ``text``, ``expected``,
    ``baseline_pred``, ``pred``).  Figures ``pass_rates`` and ``flips``.
    """

    kind: ClassVar[str] = "suite_comparison"
    figure_specs: ClassVar[dict[str, str]] = {
        "pass_rates": "nlperr.report.figures:suite_pass_rates",
        "flips": "nlperr.report.figures:suite_flips"}

    @property
    def title(self) -> str:  # type: ignore[override]
        s = self.summary
        return (f"suite {s.get('suite', '')}: {s.get('model') or 'new'} vs baseline "
                f"{s.get('baseline_model') or ''}").strip()

    def headline(self) -> dict[str, Any]:
        s = self.summary
        return {"verdict": "passed" if s.get("passed") else "failed", "tests": s.get("tests"),
                "newly failing": len(s.get("newly_failing") or ()),
                "significant regressions": len(s.get("significant_regressions") or ()),
                "cases newly failing": s.get("regressions"),
                "cases newly passing": s.get("fixes")}

    def report_tables(self) -> list[str]:
        return [n for n in ("comparison", "regressed_cases", "tests", "baseline_tests")
                if n in self.tables]

    def table_notes(self) -> dict[str, str]:
        a = self.summary.get("alpha", 0.05)
        return {"comparison": "Per test: `regressions` = cases passing on the baseline and "
                              "failing now, `fixes` the reverse (cases skipped in either run "
                              "left out); `p_value` = exact McNemar test; "
                              f"`significant_regression` = p < {a} and more regressions "
                              "than fixes.",
                "regressed_cases": "Cases passing on the baseline and failing now.",
                "tests": "The new run, one row per test.",
                "baseline_tests": "The baseline run, one row per test."}


def compare_runs(baseline: SuiteResult, new: SuiteResult, *, alpha: float = 0.05
                 ) -> SuiteComparison:
    """Compare two runs of one suite on identical cases (see :func:`compare_results`)
    and return a :class:`SuiteComparison` with its findings."""
    if not 0 < alpha < 1:
        raise InputError(Errors.E606.format(where="compare_runs", field="alpha",
                                            expected="a number in (0, 1)", got=alpha))
    comp = compare_results(baseline, new, alpha=alpha)
    base_status = {t.name: t.status for t in baseline.tests}
    new_status = {t.name: t.status for t in new.tests}
    newly_failing = [n for n, st in new_status.items()
                     if st == "failed" and base_status.get(n) != "failed"]
    newly_passing = [n for n, st in new_status.items()
                     if st != "failed" and base_status.get(n) == "failed"]
    sig = comp[comp["significant_regression"]]
    rows = []
    base_pred = {}
    if len(baseline.cases):
        base_pred = {(t, c): p for t, c, p in zip(baseline.cases["test"], baseline.cases["case_id"],
                                                  baseline.cases["pred"])}
    for t in new.tests:
        a, b = baseline.outcomes.get(t.name, {}), new.outcomes.get(t.name, {})
        bad = {k for k in a if a[k] is True and b.get(k) is False}
        if not bad or not len(new.cases):
            continue
        sel = new.cases[(new.cases["test"] == t.name) & new.cases["case_id"].isin(bad)]
        for r in sel.itertuples(index=False):
            rows.append({"test": r.test, "case_id": r.case_id, "original": r.original,
                         "text": r.text, "expected": r.expected,
                         "baseline_pred": base_pred.get((r.test, r.case_id), ""), "pred": r.pred})
    regressed = pd.DataFrame(rows, columns=_REGRESSED_COLS)

    def counts(run: SuiteResult) -> dict[str, int]:
        return {k: sum(t.status == k for t in run.tests) for k in ("passed", "failed", "skipped")}
    summary = {"suite": new.suite_name, "model": new.model, "baseline_model": baseline.model,
               "alpha": alpha,
               "passed": bool(new.passed and not len(sig)), "tests": len(new.tests),
               "newly_failing": newly_failing, "newly_passing": newly_passing,
               "significant_regressions": sig["name"].tolist(),
               "regressions": int(comp["regressions"].sum()), "fixes": int(comp["fixes"].sum()),
               "counts": counts(new), "baseline_counts": counts(baseline)}
    findings = []
    if len(sig):
        detail = ", ".join(f"{r.name} ({int(r.regressions)} newly failing vs {int(r.fixes)} "
                           f"newly passing cases, p = {r.p_value:.2g})"
                           for r in sig.itertuples(index=False))
        pmax = float(sig["p_value"].max())
        bound = next((b for b in (0.001, 0.01, 0.05) if pmax < b and b <= alpha), alpha)
        reg_sig = regressed[regressed["test"].isin(sig["name"])].head(5)
        ex = [f"{t}/{c}" for t, c in zip(reg_sig["test"], reg_sig["case_id"])]
        findings.append(Finding(f"new checkpoint: {len(sig)} suite test(s) with a significant "
                                f"regression (McNemar p < {bound:g}): {detail}.",
                                metric="p_value", value=pmax, threshold=alpha,
                                severity="critical", examples=tuple(ex)))
    if newly_failing:
        rates = {r.name: r for r in comp.itertuples(index=False)}
        detail = ", ".join(f"{n} (pass rate {_rate(rates[n].baseline_pass_rate)} -> "
                           f"{_rate(rates[n].pass_rate)})" for n in newly_failing)
        findings.append(Finding(f"new checkpoint: {len(newly_failing)} suite test(s) newly "
                                f"failing (below their min_pass_rate now, not on the "
                                f"baseline): {detail}.", metric="tests",
                                value=len(newly_failing), threshold=0, severity="critical"))
    if newly_passing:
        findings.append(Finding(f"{len(newly_passing)} suite test(s) newly passing: "
                                f"{', '.join(newly_passing)}.", metric="tests",
                                value=len(newly_passing), severity="info"))
    if not findings:
        findings.append(Finding(f"No suite test newly failing and no significant regression "
                                f"(alpha {alpha:g}); {summary['regressions']} case(s) newly "
                                f"failing, {summary['fixes']} newly passing.", severity="info"))
    tables = {"comparison": comp, "tests": new.tables["tests"],
              "baseline_tests": baseline.tables["tests"], "regressed_cases": regressed}
    return SuiteComparison(summary=summary, tables=tables, findings=findings)


def _rate(v: float) -> str:
    return "n/a" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2f}"
