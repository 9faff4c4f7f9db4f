"""The examples in docs/training.md run and print what they say (doctest)."""

from __future__ import annotations

import doctest
import os
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "training.md"


def test_training_doc_examples():
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    cwd = os.getcwd()
    os.chdir(DOC.parents[1])
    try:
        res = doctest.testfile(str(DOC), module_relative=False,
                               optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    finally:
        os.chdir(cwd)
        torch.set_num_threads(n)
    assert res.attempted >= 15
    assert res.failed == 0
