"""Run nlperr suites inside a project's own pytest tests.

>>> # in tests/test_model.py
>>> # from nlperr.testing import assert_suite_passes
>>> # def test_sentiment_behaviour():
>>> #     assert_suite_passes("sentiment-en", "callable:mypkg.model:predict")
"""

from __future__ import annotations

from typing import Any

__all__ = ["SuiteFailed", "assert_suite_passes"]


class SuiteFailed(AssertionError):
    """A suite run did not meet its minimum pass rates; ``result`` holds the run."""

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


def assert_suite_passes(suite: Any, model: Any, *, tests: list[str] | None = None, max_examples: int = 3,
                        allow_empty: bool = False, **options: Any) -> Any:
    """Run *suite* on *model*; raise :class:`SuiteFailed` (an ``AssertionError``) listing
    every failed test (below its ``min_pass_rate`` or ``min_cases``, or without any
    evaluated case) with a few failing cases.

    *options* go to :func:`nlperr.suites.run_suite` (``data``, ``seed``, ``cache``,
    ``min_cases``, ``min_pass_rate``, ``neutral_band`` ...).  A test that evaluates no
    case fails, with the reason; with ``allow_empty=True`` it is skipped (warning W605)
    and does not raise.  *tests* restricts the run to some tests.  Returns the
    :class:`SuiteResult`.
    """
    from .suites import load_suite, run_suite

    suite = load_suite(suite)
    result = run_suite(suite, model, tests=tests, allow_empty=allow_empty, **options)
    bad = [t for t in result.tests if not t.passed]
    if bad:
        lines = [f"suite {suite.name!r}: {len(bad)} of {len(result.tests)} test(s) failed"]
        for t in bad:
            lines.append(f"- {t.name} ({t.type}): {t.message}")
            for r in result.failures(t.name).head(max_examples).itertuples():
                lines.append(f"    {r.original!r} -> {r.text!r}: {r.original_pred} -> {r.pred} "
                             f"(expected {r.expected})")
        raise SuiteFailed("\n".join(lines), result)
    return result
