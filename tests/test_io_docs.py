"""The examples in docs/loaders.md run as they are."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "loaders.md"


def test_loaders_doc_examples_run(capsys):
    pytest.importorskip("spacy")
    pytest.importorskip("datasets")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 8
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for block in blocks:
            exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - our own docs
    out = capsys.readouterr().out
    assert "sample.conll:3 Maria Lindqvist visited Uppsala" in out
    assert "Prof. Jebb pers {'LED': 0.25}" in out
