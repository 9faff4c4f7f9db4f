"""The examples in docs/robustness.md run and print what they say (doctest)."""

from __future__ import annotations

import doctest
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "robustness.md"


def test_robustness_doc_examples():
    res = doctest.testfile(str(DOC), module_relative=False,
                           optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 10
    assert res.failed == 0
