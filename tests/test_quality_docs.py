"""The examples in docs/quality.md run and print what they say (doctest)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "quality.md"


def test_quality_doc_examples():
    pytest.importorskip("sklearn")
    res = doctest.testfile(str(DOC), module_relative=False,
                           optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 25
    assert res.failed == 0
