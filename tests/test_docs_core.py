"""The Python examples in README.md and docs/data-model.md run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "docs/data-model.md")


def _blocks(page: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (REPO / page).read_text(encoding="utf-8"), re.S)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_python_blocks_run(page, tmp_path):
    """A page's blocks run in order in one interpreter, as a reader would paste them."""
    code = "\n".join(_blocks(page))
    assert code.strip()
    env = dict(os.environ, NLPERR_CACHE_DIR=str(tmp_path / "cache"))
    (tmp_path / "examples").symlink_to(REPO / "examples")  # paths as seen from the repo root
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]


def test_readme_names_the_test_command_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    command = "python -m pytest"
    assert f"```bash\n{command}\n```" in readme
    assert ci.strip().splitlines()[-1] == command
    assert ci.index("torch==2.13.0") < ci.index('.[all,test'), "CPU torch must come first"
