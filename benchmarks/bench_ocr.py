"""Throughput of the OCR diagnostics, with jiwer as the in-process reference.

    python benchmarks/bench_ocr.py [ICDAR_DIR ...] [--markdown]

1. Ground-truth-free statistics (``corpus_stats`` with a clean reference and a
   lexicon built from the ICDAR gold side), tokens per second on one core:

   * **realistic** -- the ICDAR 2019 FR1/FR3/NL1/PL1 OCR text streamed 5 and 10
     times (real corpora have Zipfian vocabularies: after the first pass almost
     every token is a type seen before), and HIPE-2022 OCR tokens (ajmc + newseye,
     all files) streamed 5 times;
   * **one pass** -- the ICDAR OCR text once (every type new to the cache);
   * **worst case** -- synthetic text in which every token is a new type.

   Each line splits the time into streaming (``add``: tokenise, count, per-type
   analysis of new types, per-document numbers) and the final ``result`` (tables,
   near-miss search over the vocabulary).  The clean reference (its trigram model
   and threshold) is built once, before timing: it is an input, like a lexicon.
2. CER + WER against ``jiwer.cer`` + ``jiwer.wer`` on the same pairs (speed-up > 1
   means faster than jiwer), for the rapidfuzz and the pure-Python backends, and
   the full comparison (alignment, confusions, splits/merges, noise model).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import jiwer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option, faster  # noqa: E402

from nlperr.ocr import Lexicon, Reference, compare_pairs, error_rates, iter_pairs  # noqa: E402
from nlperr.ocr._text import _bmp_table  # noqa: E402
from nlperr.ocr.stats import CorpusStats  # noqa: E402

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATA = SHARED / "icdar2019_postocr"
HIPE = SHARED / "hipe2022"


def best(fn, repeat=3):
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def hipe_documents() -> list[str]:
    """HIPE-2022 ajmc + newseye documents as text (tokens joined by spaces)."""
    docs, cur = [], []
    for f in sorted(HIPE.glob("*/*/*.tsv")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.startswith("# hipe2022:document_id") and cur:
                docs.append(" ".join(cur))
                cur = []
            if not line or line.startswith("#") or line.startswith("TOKEN\t"):
                continue
            cur.append(line.split("\t", 1)[0])
    if cur:
        docs.append(" ".join(cur))
    return docs


def stats_rate(label: str, texts: list[str], reps: int, ref, lex, md) -> None:
    acc = CorpusStats(reference=ref, lexicon=lex)
    t0 = time.perf_counter()
    for _ in range(reps):
        for t in texts:
            acc.add(t)
    acc.flush()
    t1 = time.perf_counter()
    res = acc.result()
    t2 = time.perf_counter()
    n = res.summary["tokens"]
    print(f"  {label:<42} {n:>10,} tokens {res.summary['types']:>8,} types  "
          f"{n / (t2 - t0):>11,.0f} tokens/s  (add {n / (t1 - t0):,.0f} tokens/s, "
          f"result {t2 - t1:.2f}s)")
    md.row(f"ground-truth-free statistics, {label}: {n / 1e3:,.0f}k tokens, "
           f"{res.summary['types'] / 1e3:,.0f}k types",
           f"{n / (t2 - t0) / 1e6:.2f} M tokens/s (streaming only {n / (t1 - t0) / 1e6:.2f} M/s)",
           ">= 1 M/s" if "realistic" in label else "")


def main(dirs, md):
    pairs = [p for d in dirs for p in iter_pairs(d)]
    pairs = [p for p in pairs if p.gold[0].strip()]
    gold = [p.gold[0] for p in pairs]
    ocr = [p.ocr[0] for p in pairs]
    raw = [p.raw_ocr if p.raw_ocr is not None else p.ocr[0] for p in pairs]
    _bmp_table()
    ntok = sum(len(t.split()) for t in raw)
    print(f"{len(pairs)} documents, {sum(map(len, gold))} gold characters, {ntok} OCR tokens")

    ref = Reference.from_texts(gold)
    lex = Lexicon.from_texts(gold)
    ref.model, ref.threshold(0.05)  # built once, outside the timings
    print("ground-truth-free statistics (one core):")
    stats_rate("ICDAR OCR x5 (realistic)", raw, 5, ref, lex, md)
    stats_rate("ICDAR OCR x10 (realistic)", raw, 10, ref, lex, md)
    if HIPE.exists():
        hipe = hipe_documents()
        stats_rate("HIPE-2022 OCR tokens x5 (realistic)", hipe, 5, ref, lex, md)
    stats_rate("ICDAR OCR x1 (one pass, every type new)", raw, 1, ref, lex, md)
    rng = random.Random(0)
    letters = "abcdefghijklmnopqrstuvwxyz"
    worst = [" ".join("".join(rng.choice(letters) for _ in range(8)) for _ in range(300))
             for _ in range(700)]
    stats_rate("worst case: every token a new type", worst, 1, ref, lex, md)

    t_j, _ = best(lambda: (jiwer.cer(gold, ocr), jiwer.wer(gold, ocr)))
    t_o, _ = best(lambda: error_rates(gold, ocr))
    t_p, _ = best(lambda: error_rates(gold, ocr, backend="python"), repeat=1)
    t_c, _ = best(lambda: compare_pairs(pairs), repeat=1)
    print(f"jiwer cer+wer: {t_j:.3f}s")
    print(f"nlperr error_rates (rapidfuzz backend): {t_o:.3f}s  speed-up vs jiwer x{t_j / t_o:.2f}")
    print(f"nlperr error_rates (python backend):    {t_p:.3f}s  speed-up vs jiwer x{t_j / t_p:.2f}")
    print(f"nlperr compare (alignment + confusions + noise model): {t_c:.3f}s  "
          f"speed-up vs jiwer x{t_j / t_c:.2f}")
    what = f"on {len(pairs)} ICDAR pairs vs `jiwer.cer` + `jiwer.wer` ({t_j:.3f} s, best of 3)"
    md.row(f"CER + WER, rapidfuzz backend, {what}", f"{faster(t_j, t_o)} than jiwer ({t_o:.3f} s)",
           "faster than jiwer")
    md.row(f"CER + WER, pure-Python backend (one run), {what}",
           f"{faster(t_j, t_p)} than jiwer ({t_p:.3f} s)")
    md.row(f"full comparison (alignment, confusions, splits/merges, noise model; one run), {what}",
           f"{faster(t_j, t_c)} than jiwer ({t_c:.3f} s)")
    md.emit(data=f"ICDAR 2019 {'/'.join(Path(d).name for d in dirs)}: {len(pairs)} documents, "
                 f"{ntok:,} OCR tokens; HIPE-2022 ajmc + newseye",
            runs="statistics: one streamed run each; CER/WER: best of 3 unless noted",
            threads="one core (single-threaded code)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dirs", nargs="*", help="ICDAR 2019 folders (default: FR1 FR3 NL1 PL1 of "
                                            "../shared/data/icdar2019_postocr)")
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    main(args.dirs or [str(DATA / s) for s in ("FR1", "FR3", "NL1", "PL1")], md)
