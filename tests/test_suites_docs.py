"""docs/suites.md runs as written: Python blocks, the CI demo (output compared), JSON and YAML blocks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PAGE = REPO / "docs" / "suites.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)


def _env(tmp_path: Path) -> dict:
    env = dict(os.environ, NLPERR_CACHE_DIR=str(tmp_path / "cache"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    # PYTHONPATH (set by conftest) points at this checkout: keep it
    return env


def _demo(block: str) -> str:
    """The page's shell demo, with this checkout's code importable next to the demo model."""
    return block.replace("PYTHONPATH=. ", f"PYTHONPATH=.{os.pathsep}{REPO} ")


def test_python_blocks_run(tmp_path):
    code = "\n".join(_blocks("python"))
    assert "run_suite" in code and "register_perturbation" in code
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env=_env(tmp_path), timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "good things" in run.stdout and "message" in run.stdout  # the summary as documented


def test_perturbation_example_shows_real_output():
    from nlperr import Example, Span
    from nlperr.perturb import perturb
    block = next(b for b in _blocks("python") if "entity_swap" in b)
    lines = block.splitlines()
    i = lines.index("r.text, r.edits, r.touched")
    claimed = lines[i + 1].lstrip("# ").strip()
    ex = Example("Maria flew to Paris.", spans=(Span(0, 5, "PER"), Span(14, 19, "LOC")))
    r = perturb(ex, "entity_swap", seed=1, pool={"PER": ["Ana Lopez"], "LOC": ["Lima"]})
    assert ", ".join(repr(x) for x in (r.text, r.edits, r.touched)) == claimed


def test_ci_demo_output_is_what_the_page_shows(tmp_path):
    demo = next(b for b in _blocks("bash") if "demo_model.py" in b)
    shown = next(b for b in _blocks("text") if "suite demo:" in b)
    run = subprocess.run(["bash", "-c", _demo(demo)], capture_output=True, text=True, cwd=tmp_path,
                         env=_env(tmp_path), timeout=120)
    assert run.stdout == shown, run.stderr[-2000:]
    assert "W605" not in run.stderr  # the empty test failed; it was not skipped
    rep = json.loads((tmp_path / "report.json").read_text(),
                     parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(c)))
    documented = json.loads(_blocks("json")[0])
    got = {t["name"]: t for t in rep["tests"]}["reformat dates"]
    want = documented["tests"][0]
    assert set(got) == set(want)
    assert {k: v for k, v in got.items() if k != "message"} == {k: v for k, v in want.items() if k != "message"}
    assert got["message"].startswith(want["message"].rstrip(". "))
    assert rep["counts"] == documented["counts"] and rep["passed"] is documented["passed"]
    assert "<failure message=" in (tmp_path / "report.xml").read_text()
    # the --allow-empty variant described under the output
    lenient = demo.replace("--junit report.xml", "--junit report.xml --allow-empty --overwrite")
    run = subprocess.run(["bash", "-c", _demo(lenient)], capture_output=True, text=True, cwd=tmp_path,
                         env=_env(tmp_path), timeout=120)
    assert "SKIPPED reformat dates: no case evaluated: " in run.stdout
    assert "suite demo: PASSED (1 passed, 1 skipped)" in run.stdout and "exit code 0" in run.stdout
    assert "W605" in run.stderr and "'reformat dates'" in run.stderr
    assert "<skipped message=" in (tmp_path / "report.xml").read_text()


def test_yaml_block_is_a_valid_suite():
    from nlperr.suites import load_suite
    block = next(b for b in _blocks("yaml") if "name: my-suite" in b)
    suite = load_suite(yaml.safe_load(block))
    assert [t.type for t in suite.tests] == ["MFT", "INV", "DIR", "INV"]
    assert suite.tests[0].min_cases == 100 and suite.min_cases == 50
    assert suite.neutral_band == [0.3333, 0.6667]
