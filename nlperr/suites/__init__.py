"""Behavioral test suites (CheckList-style MFT / INV / DIR tests).

A test's verdict needs evidence: a test that evaluates no case fails (unless
``allow_empty``), so does one with fewer than ``min_cases`` cases (default 20),
and every pass rate comes with a Wilson interval (:mod:`nlperr.stats`).
:mod:`nlperr.suites.binary` reads binary models as three-class (CheckList's
neutral band).

>>> from nlperr.suites import Suite, MFT, INV, DIR, run_suite, load_suite
"""

from .cases import Case, CaseSet, Variant, diff_edits, expand_templates, generate_cases, load_cases, save_cases
from .compare import SuiteComparison, compare_models, compare_results, compare_runs
from .report import to_json, to_junit, write_json, write_junit
from .runner import SuiteResult, TestResult, length_bucket, run_suite
from .spec import DIR, INV, MFT, Suite, TestSpec, list_suites, load_suite, save_suite

__all__ = [
    "Case", "CaseSet", "DIR", "INV", "MFT", "Suite", "SuiteComparison", "SuiteResult", "TestResult", "TestSpec", "Variant",
    "compare_models", "compare_results", "compare_runs", "diff_edits", "expand_templates", "generate_cases", "import_checklist",
    "length_bucket", "list_suites", "load_cases", "load_suite", "run_suite", "save_cases",
    "save_suite", "to_json", "to_junit", "write_json", "write_junit",
]


def __getattr__(name: str):
    if name == "import_checklist":
        from .checklist import import_checklist
        return import_checklist
    raise AttributeError(f"module 'nlperr.suites' has no attribute {name!r}")
