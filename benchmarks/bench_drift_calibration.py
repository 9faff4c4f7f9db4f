"""Calibration and power of nlperr.drift on real corpora (not a test).

False alarms: the reference and the current set are random disjoint halves of the
same corpus (a fresh split per repetition); at alpha = 0.05 each test and the
Holm-corrected overall decision should raise an alarm in at most ~5 % of the
repetitions (the issue's bar: 8 %).  Power: imdb vs yelp / amazon sentences, and
clean vs OCR-noised text (nlperr.ocr's default noise model at CER 0.05).

Also compares the domain classifier's p-value with the naive alternative (5-fold
out-of-fold AUC against the Mann-Whitney null), which is miscalibrated.

    python benchmarks/bench_drift_calibration.py [--reps 200] [--size 400] [--markdown]

Conditions: single process; numpy/scipy BLAS threads as set by the environment
(OMP_NUM_THREADS); results are counts, not timings, so machine load does not
change them.
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
from _bench_common import SHARED, Markdown, add_markdown_option  # noqa: E402

from nlperr.drift import detect_drift  # noqa: E402
from nlperr.drift.tests import TEXT_TESTS  # noqa: E402

DATA = SHARED / "sentiment_labelled"


def read(name: str) -> list[str]:
    return [line.rsplit("\t", 1)[0].strip()
            for line in (DATA / f"{name}_labelled.txt").read_text(encoding="utf-8").splitlines()
            if line.strip()]


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, c - h), min(1.0, c + h)


def false_alarms(texts: list[str], reps: int, size: int, seed: int) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    counts = {t: 0 for t in TEXT_TESTS}
    counts["overall (holm)"] = 0
    counts["overall (bh)"] = 0
    for r in range(reps):
        idx = rng.permutation(len(texts))
        ref = [texts[i] for i in idx[:size]]
        cur = [texts[i] for i in idx[size:2 * size]]
        res = detect_drift(ref, cur, seed=r, n_permutations=999)
        t = res.tables["tests"].set_index("test")
        for name in TEXT_TESTS:
            counts[name] += int(t.loc[name, "p_value"] <= 0.05)
        counts["overall (holm)"] += int(res.drift)
        from nlperr.stats import adjust_pvalues
        counts["overall (bh)"] += int(np.nanmin(adjust_pvalues(t["p_value"].to_numpy(), "bh"))
                                      <= 0.05)
    return counts


def naive_kfold_auc(texts: list[str], reps: int, size: int, seed: int) -> int:
    from scipy.stats import mannwhitneyu
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(seed)
    hits = 0
    for r in range(reps):
        idx = rng.permutation(len(texts))[:2 * size]
        sub = [texts[i] for i in idx]
        y = np.r_[np.ones(size), np.zeros(size)]
        X = TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)).fit_transform(sub)
        s = np.zeros(len(sub))
        for tr, te in StratifiedKFold(5, shuffle=True, random_state=r).split(X, y):
            m = LogisticRegression(class_weight="balanced", max_iter=1000).fit(X[tr], y[tr])
            s[te] = m.predict_proba(X[te])[:, 1]
        p = mannwhitneyu(s[y == 1], s[y == 0], alternative="greater").pvalue
        hits += int(p <= 0.05)
    return hits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--size", type=int, default=400)
    ap.add_argument("--naive", action="store_true", help="also run the naive 5-fold AUC")
    ap.add_argument("--corpora", default="imdb,yelp,amazon_cells,all three",
                    help="comma-separated: imdb, yelp, amazon_cells, all three")
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--no-power", action="store_true")
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    if not DATA.is_dir():
        print("../shared/data/sentiment_labelled is not available")
        return
    warnings.simplefilter("ignore")
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"load average {os.getloadavg()[0]:.1f}")
    corpora = {name: read(name) for name in ("imdb", "yelp", "amazon_cells")}
    corpora["all three"] = corpora["imdb"] + corpora["yelp"] + corpora["amazon_cells"]
    print(f"\n## False alarms at alpha = 0.05: {args.reps} random disjoint halves of "
          f"{args.size} vs {args.size} sentences")
    chosen = [c.strip() for c in args.corpora.split(",")]
    for k, (name, texts) in enumerate(corpora.items()):
        if name not in chosen:
            continue
        t0 = time.perf_counter()
        c = false_alarms(texts, args.reps, args.size, seed=args.seed + k)
        print(f"\n{name} ({time.perf_counter() - t0:.0f} s)")
        for test, n in c.items():
            lo, hi = wilson(n, args.reps)
            print(f"  {test:20s} {n / args.reps:.3f}  (95% CI {lo:.3f}-{hi:.3f})")
        per_test = ", ".join(f"{test} {c[test] / args.reps:.3f}" for test in TEXT_TESTS)
        lo, hi = wilson(c["overall (holm)"], args.reps)
        md.row(f"false alarms at alpha 0.05, {name}: {args.reps} random disjoint halves, "
               f"{args.size} vs {args.size} sentences",
               f"overall (Holm) {c['overall (holm)'] / args.reps:.3f} (95% CI {lo:.3f}-{hi:.3f}), "
               f"BH {c['overall (bh)'] / args.reps:.3f}; {per_test}",
               "<= 0.08 (nominal 0.05)")
    if args.naive:
        n = naive_kfold_auc(corpora["all three"], args.reps, args.size, seed=7)
        print(f"\nnaive 5-fold pooled out-of-fold AUC vs Mann-Whitney null, all three: "
              f"{n / args.reps:.3f} false alarms")
        md.row(f"naive domain-classifier p-value (5-fold out-of-fold AUC vs the Mann-Whitney "
               f"null), all three: {args.reps} halves, {args.size} vs {args.size}",
               f"{n / args.reps:.3f} false alarms", "- (shows why nlperr does not use it)")
    data = (f"Sentiment Labelled Sentences (imdb, yelp, amazon_cells); seed {args.seed}")
    runs = "counts over the repetitions (not timings), 999 permutations per test"
    if args.no_power:
        md.emit(data=data, runs=runs)
        return
    print("\n## Power")
    from nlperr.ocr import NoiseModel

    noise = NoiseModel.default()
    for a, b in (("imdb", "yelp"), ("imdb", "amazon_cells"), ("yelp", "amazon_cells")):
        for size in (100, 400):
            res = detect_drift(corpora[a][:size * 2:2], corpora[b][1:size * 2:2], seed=0)
            print(f"  {a} vs {b}, {size} vs {size}: drift={res.drift}, drifting: "
                  f"{', '.join(res.summary['drifting_tests'])}")
            md.row(f"power: {a} vs {b}, {size} vs {size} sentences",
                   f"drift={res.drift}; drifting: {', '.join(res.summary['drifting_tests'])}",
                   "drift")
    clean = corpora["all three"]
    rng = np.random.default_rng(3)
    idx = rng.permutation(len(clean))
    for size in (100, 400, 1000):
        ref = [clean[i] for i in idx[:size]]
        cur = [noise.apply(clean[i], cer=0.05, seed=int(i))[0] for i in idx[size:2 * size]]
        res = detect_drift(ref, cur, seed=0)
        ex = res.tables["explanations"]
        top = ex[ex["kind"].isin(["char_class", "garbage_rule"]) & (ex["score"] > 0)]
        print(f"  clean vs OCR CER 0.05, {size} vs {size}: drift={res.drift}, drifting: "
              f"{', '.join(res.summary['drifting_tests'])}; grew: "
              f"{', '.join(top['item'].head(6))}")
        md.row(f"power: clean vs OCR-noised (NoiseModel.default(), CER 0.05), {size} vs {size}",
               f"drift={res.drift}; drifting: {', '.join(res.summary['drifting_tests'])}; grew: "
               f"{', '.join(top['item'].head(6))}", "drift")
    md.emit(data=data, runs=runs)


if __name__ == "__main__":
    main()
