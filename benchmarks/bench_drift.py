"""Speed of nlperr.drift: 10k reference vs 10k current texts, all text tests, no model.

The issue's bar: <= 10 s on one core.  Texts: pairs of real sentences (sentiment
sentences + WNUT-17 tweets, joined at random so that all 20k texts differ);
generated sentences when ../shared/data is absent.  Prints the time of
``detect_drift`` per stage and a ratio against a reference run in the same process
(scikit-learn's TfidfVectorizer on the same 20k texts) so that load from other
processes shows up in both.

    OMP_NUM_THREADS=1 python benchmarks/bench_drift.py [--n 10000] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _bench_common import (SHARED, Markdown, add_markdown_option, thread_info,  # noqa: E402
                           wnut_sentences)


def corpus() -> list[str]:
    out: list[str] = []
    d = SHARED / "sentiment_labelled"
    if d.is_dir():
        for f in sorted(d.glob("*_labelled.txt")):
            out += [ln.rsplit("\t", 1)[0].strip()
                    for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    sents, _ = wnut_sentences()
    out += [" ".join(s) for s in sents]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10_000)
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    warnings.simplefilter("ignore")
    from nlperr.drift import detect_drift
    from nlperr.drift.features import text_features
    from nlperr.drift.tests import TEXT_TESTS

    base = corpus()
    rng = np.random.default_rng(0)
    a = rng.integers(0, len(base), size=2 * args.n)
    b = rng.integers(0, len(base), size=2 * args.n)
    texts = [f"{base[i]} {base[j]}" for i, j in zip(a, b)]
    ref, cur = texts[:args.n], texts[args.n:]
    print(f"{args.n} vs {args.n} texts, mean {np.mean([len(t) for t in texts]):.0f} chars; "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"load average {os.getloadavg()[0]:.1f}")
    from sklearn.feature_extraction.text import TfidfVectorizer

    t = time.perf_counter()
    TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)).fit_transform(texts)
    t_ref = time.perf_counter() - t
    detect_drift(ref[:200], cur[:200], seed=0)  # warm-up (imports, tables)
    t = time.perf_counter()
    text_features(texts).garbage
    t_feat = time.perf_counter() - t
    times = {}
    for name in TEXT_TESTS:
        t = time.perf_counter()
        detect_drift(ref, cur, seed=0, tests=[name])
        times[name] = time.perf_counter() - t
    t = time.perf_counter()
    res = detect_drift(ref, cur, seed=0)
    total = time.perf_counter() - t
    print(f"features alone (tokens, character classes, garbage rules): {t_feat:.2f} s")
    for name, v in times.items():
        print(f"  features + {name:20s} {v:6.2f} s")
    print(f"all text tests (n_permutations={res.summary['n_permutations']}): {total:.2f} s "
          f"(bar: 10 s); reference run (TfidfVectorizer 1-2-grams on the same texts): "
          f"{t_ref:.2f} s; ratio {total / t_ref:.1f}x")
    md.row(f"`detect_drift`, all {len(TEXT_TESTS)} text tests "
           f"(n_permutations={res.summary['n_permutations']}), {args.n:,} vs {args.n:,} texts",
           f"{total:.2f} s (features alone {t_feat:.2f} s); {total / t_ref:.1f}x the time of "
           f"the reference run (TfidfVectorizer 1-2-grams on the same texts, {t_ref:.2f} s)",
           "<= 10 s on one core")
    md.emit(data=f"{2 * args.n:,} texts, pairs of real sentences (sentiment + WNUT-17), mean "
                 f"{np.mean([len(t) for t in texts]):.0f} chars",
            runs="one run each after a warm-up",
            threads=f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
                    f"{thread_info()}")


if __name__ == "__main__":
    main()
