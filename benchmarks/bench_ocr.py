"""Throughput of the OCR diagnostics, with jiwer as the in-process reference.

    python benchmarks/bench_ocr.py [ICDAR_DIR ...]

Prints tokens/s of the ground-truth-free statistics (cold: every type new; warm:
types cached, the steady state of a large corpus) and the time ratio of our
CER+WER (and of the full comparison with confusions) against jiwer.cer + jiwer.wer
on the same pairs.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jiwer

from nlperr.ocr import Lexicon, Reference, corpus_stats, error_rates, compare_pairs, iter_pairs
from nlperr.ocr._text import _bmp_table

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "icdar2019_postocr"


def best(fn, repeat=3):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main(dirs):
    pairs = [p for d in dirs for p in iter_pairs(d)]
    pairs = [p for p in pairs if p.gold[0].strip()]
    gold = [p.gold[0] for p in pairs]
    ocr = [p.ocr[0] for p in pairs]
    _bmp_table()
    ntok = sum(len(t.split()) for t in ocr)
    print(f"{len(pairs)} documents, {sum(map(len, gold))} gold characters, {ntok} OCR tokens")

    ref = Reference.from_texts(gold)
    lex = Lexicon.from_texts(gold)
    reps = max(1, 1_000_000 // ntok)
    t_cold, res = best(lambda: corpus_stats(ocr, reference=ref, lexicon=lex), repeat=1)
    t_big, res_big = best(lambda: corpus_stats((t for _ in range(reps) for t in ocr),
                                               reference=ref, lexicon=lex), repeat=1)
    print(f"stats, one pass (all types new):   {ntok / t_cold:,.0f} tokens/s")
    print(f"stats, {res_big.summary['tokens']:,} tokens (corpus x{reps}): "
          f"{res_big.summary['tokens'] / t_big:,.0f} tokens/s")

    t_j, _ = best(lambda: (jiwer.cer(gold, ocr), jiwer.wer(gold, ocr)))
    t_o, _ = best(lambda: error_rates(gold, ocr))
    t_p, _ = best(lambda: error_rates(gold, ocr, backend="python"), repeat=1)
    t_c, _ = best(lambda: compare_pairs(pairs), repeat=1)
    print(f"jiwer cer+wer: {t_j:.3f}s")
    print(f"nlperr error_rates (rapidfuzz backend): {t_o:.3f}s  speed-up vs jiwer x{t_j / t_o:.2f}")
    print(f"nlperr error_rates (python backend):    {t_p:.3f}s  speed-up vs jiwer x{t_j / t_p:.2f}")
    print(f"nlperr compare (alignment + confusions + noise model): {t_c:.3f}s  "
          f"speed-up vs jiwer x{t_j / t_c:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:] or [str(DATA / s) for s in ("FR1", "FR3", "NL1", "PL1")]
    main(args)
