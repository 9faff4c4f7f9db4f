"""The examples in docs/reports.md run and print what they say (doctest)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "reports.md"


def test_reports_doc_examples():
    pytest.importorskip("matplotlib")
    res = doctest.testfile(str(DOC), module_relative=False,
                           optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 10
    assert res.failed == 0
