"""The examples in docs/attention.md run and print what they say (doctest)."""

from __future__ import annotations

import doctest
import warnings
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "attention.md"


def test_attention_doc_examples():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = doctest.testfile(str(DOC), module_relative=False,
                               optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert res.attempted >= 30
    assert res.failed == 0
