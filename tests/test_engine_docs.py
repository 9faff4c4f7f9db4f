"""The Python examples in docs/adapters.md and docs/engine.md run and print what they say."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCKS = [(name, i, code)
          for name in ("adapters.md", "engine.md")
          for i, code in enumerate(re.findall(r"```python\n(.*?)```",
                                              (DOCS / name).read_text(encoding="utf-8"), re.S))]


@pytest.mark.slow
@pytest.mark.parametrize("name,index,code", BLOCKS, ids=[f"{n}-{i}" for n, i, _ in BLOCKS])
def test_doc_example(name, index, code, tmp_path):
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ")]
    env = {"NLPERR_CACHE_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True,
                         text=True, env=env, cwd=tmp_path, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip().splitlines() == expected
