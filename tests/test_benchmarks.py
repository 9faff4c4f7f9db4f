"""The benchmark figures in README.md and docs/*.md come from the benchmark scripts.

Pins the contract of issue #8 ("one source for figures") without running a benchmark:
every script README.md names exists and has ``--markdown``; every benchmark row in
README.md and in the docs' benchmark tables names its script and carries its
measuring conditions; the shared row formatter in benchmarks/_bench_common.py.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "benchmarks"
README = REPO / "README.md"
HEADER = "| benchmark | result | goal | conditions |"
SCRIPT = re.compile(r"\bbench_[a-z0-9_]+\.py\b")
ROW_SCRIPT = re.compile(r"^\| `(bench_[a-z0-9_]+\.py)`: ")


def _common():
    spec = importlib.util.spec_from_file_location("_bench_common", BENCH / "_bench_common.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _scripts() -> list[Path]:
    return sorted(BENCH.glob("bench_*.py"))


def _calls(path: Path) -> set[str]:
    """Names of the functions and methods a script calls anywhere."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            names.add(f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", ""))
    return names


def _section(text: str, heading: str) -> str:
    start = text.index(heading)
    nxt = text.find("\n## ", start + len(heading))
    return text[start:nxt if nxt >= 0 else len(text)]


def _benchmark_rows(text: str) -> list[str]:
    """Body rows of every table whose header is the benchmark header."""
    rows, inside = [], False
    for line in text.splitlines():
        if line.strip() == HEADER:
            inside = True
            continue
        if inside and line.startswith("|"):
            if not line.startswith("| ---"):
                rows.append(line)
        else:
            inside = False
    return rows


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split(" | ")]


def test_every_script_readme_names_exists_and_has_markdown_option():
    names = sorted(set(SCRIPT.findall(README.read_text(encoding="utf-8"))))
    assert names, "README.md names no benchmark script"
    for name in names:
        path = BENCH / name
        assert path.is_file(), f"README.md names {name}, which is not in benchmarks/"
        calls = _calls(path)
        # the option comes from the shared helper; the rows from Markdown(...).row / .emit
        assert {"add_markdown_option", "Markdown", "row", "emit"} <= calls, name


def test_every_benchmark_script_has_markdown_option():
    for path in _scripts():
        calls = _calls(path)
        assert {"add_markdown_option", "Markdown", "emit"} <= calls, path.name


def test_help_lists_markdown_option():
    # one real parser, in a subprocess (bench_cache imports nothing heavy before parsing)
    out = subprocess.run([sys.executable, str(BENCH / "bench_cache.py"), "--help"],
                         capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert out.returncode == 0, out.stderr
    assert "--markdown" in out.stdout


def test_readme_benchmark_rows_name_their_script_and_conditions():
    section = _section(README.read_text(encoding="utf-8"), "## Benchmarks")
    rows = [ln for ln in section.splitlines()
            if ln.startswith("|") and not ln.startswith("| ---") and ln.strip() != HEADER]
    assert rows, "no benchmark rows in README.md"
    assert len(_benchmark_rows(section)) == len(rows), "README.md rows outside the benchmark table"
    for row in rows:
        m = ROW_SCRIPT.match(row)
        assert m, f"README.md benchmark row does not name its script: {row[:80]}"
        assert (BENCH / m.group(1)).is_file(), m.group(1)
        cells = _cells(row)
        assert len(cells) == 4, row[:80]
        assert "CPUs" in cells[3] and "load" in cells[3], f"no conditions in: {row[:80]}"
    # a script the section names has its figure in a row, not in the prose
    with_rows = {ROW_SCRIPT.match(r).group(1) for r in rows}
    assert set(SCRIPT.findall(section)) <= with_rows


def test_docs_benchmark_rows_name_their_script_and_conditions():
    found = 0
    for doc in sorted((REPO / "docs").glob("*.md")):
        for row in _benchmark_rows(doc.read_text(encoding="utf-8")):
            found += 1
            m = ROW_SCRIPT.match(row)
            assert m, f"{doc.name}: benchmark row does not name its script: {row[:80]}"
            assert (BENCH / m.group(1)).is_file(), (doc.name, m.group(1))
            cells = _cells(row)
            assert len(cells) == 4, (doc.name, row[:80])
            assert "CPUs" in cells[3] and "load" in cells[3], (doc.name, row[:80])
    assert found, "no benchmark table in docs/*.md"


def test_markdown_helper_rows_and_conditions(capsys):
    common = _common()
    md = common.Markdown("/x/benchmarks/bench_demo.py", enabled=True)
    md.row("a | b vs reference", common.faster(2.0, 0.5), ">= 2x")
    md.row("second", common.faster(1.0, 4.0))
    text = md.emit(data="demo data, 10 tokens", runs="median of 3", threads="torch 1 thread(s)")
    printed = capsys.readouterr().out
    assert text in printed
    lines = text.splitlines()
    assert lines[0] == HEADER
    rows = _benchmark_rows(text)
    assert len(rows) == 2
    assert ROW_SCRIPT.match(rows[0]).group(1) == "bench_demo.py"
    cells = _cells(rows[0])
    assert cells[1] == "4.00x faster" and cells[2] == ">= 2x"
    assert _cells(rows[1])[1] == "4.00x slower" and _cells(rows[1])[2] == "-"
    cond = cells[3]
    assert f"{os.cpu_count()} CPUs" in cond
    assert re.search(r"load \d+\.\d -> \d+\.\d", cond)
    assert "torch 1 thread(s)" in cond and "demo data, 10 tokens" in cond and "median of 3" in cond
    assert re.search(r"\d{4}-\d\d-\d\d", cond)
    # a "|" inside a cell would split the row: the formatter keeps four cells
    assert len(cells) == 4


def test_markdown_helper_disabled_prints_nothing(capsys):
    common = _common()
    md = common.Markdown("bench_demo.py", enabled=False)
    md.row("x", "1x")
    text = md.emit(data="d", runs="r")
    assert capsys.readouterr().out == ""
    assert len(_benchmark_rows(text)) == 1


def test_add_markdown_option_parses():
    import argparse
    common = _common()
    ap = argparse.ArgumentParser()
    common.add_markdown_option(ap)
    assert ap.parse_args(["--markdown"]).markdown is True
    assert ap.parse_args([]).markdown is False


@pytest.mark.parametrize("ref,ours,expected", [(6.8, 0.54, "12.59x faster"), (1.0, 1.0, "1.00x faster"),
                                               (0.26, 2.26, "8.69x slower")])
def test_faster(ref, ours, expected):
    assert _common().faster(ref, ours) == expected
