"""The runnable Python examples of docs/scale.md print what the page says.

Blocks that need Ray or a named spaCy pipeline (``engine="ray"``, ``RayPredictor``,
``import ray``) are illustrations, not run here; tests/test_scale_ray.py covers them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGE = (REPO / "docs" / "scale.md").read_text(encoding="utf-8")
BLOCKS = [code for code in re.findall(r"```python\n(.*?)```", PAGE, re.S)
          if not re.search(r'engine="ray"|RayPredictor|import ray', code)]


def test_page_has_runnable_examples():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_doc_example(code, tmp_path):
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    env = {**os.environ, "NLPERR_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(REPO)}
    run = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines() == expected
