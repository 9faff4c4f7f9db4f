"""Benchmark: reading speed of the corpus readers (tokens per second on one core).

What a user's first step costs: ``read_conll`` (and the streaming ``iter_conll``) on a
CoNLL-2003-sized file (WNUT-17 test
reshaped into CoNLL-2003's four columns ``token POS chunk NER`` with ``-DOCSTART-``
documents, replicated ``--times`` times: x40 = 936k tokens), ``read_jsonl`` on the same
examples written by ``write_jsonl``, and ``read_hipe`` on every HIPE-2022 file in
``../shared/data`` (the corpus is small: its files are read ``--hipe-times`` times).

Timed as CPU time of this process (one core: the readers are single-threaded), best of
``--repeat`` runs after one warm-up.  The reference run is the per-sentence reader that
nlperr keeps for irregular files and exact errors (``_read_per_sentence``), on the same
file in the same process: the ratio shows what the columnar byte parser buys.  Memory:
the peak resident memory of a fresh process that only reads the CoNLL file.

    python benchmarks/bench_readers.py [--times 40] [--repeat 3] [--markdown]

Goal: >= 1M tokens/s on one core, memory < 1 GB for a 1M-token corpus.
"""

from __future__ import annotations

import argparse
import gc
import glob
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import SHARED, Markdown, add_markdown_option  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def cpu_best(fn, repeat: int) -> tuple[float, object]:
    fn()  # warm-up (imports, first-touch of memory)
    best, out = float("inf"), None
    for _ in range(repeat):
        gc.collect()
        t = time.process_time()
        out = fn()
        best = min(best, time.process_time() - t)
        del out
    return best, fn()


def peak_rss_mb(path: Path) -> float:
    # VmHWM: this process's own peak (ru_maxrss would count the forked parent's pages)
    code = ("from nlperr.io import read_conll\n"
            f"exs = read_conll({str(path)!r})\n"
            "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0]\n"
            "print(int(hwm.split()[1]) / 1024)")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True, env={"PYTHONPATH": str(ROOT)})
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--times", type=int, default=40)
    ap.add_argument("--hipe-times", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)

    import bench_cli_analyze as cli  # the same CoNLL-2003-shaped corpus

    from nlperr.io import iter_conll, read_conll, read_hipe, read_jsonl, write_jsonl
    from nlperr.io._conll import _read_per_sentence

    folder = Path(tempfile.mkdtemp(prefix="nlperr-bench-readers-"))
    gold, _, _, _, n_tok = cli.write_files(cli.conll2003_like(None), args.times, folder)
    t_cols, exs = cpu_best(lambda: read_conll(gold), args.repeat)
    t_nocols, _ = cpu_best(lambda: read_conll(gold, keep_columns=False), args.repeat)
    t_iter, _ = cpu_best(lambda: sum(1 for _ in iter_conll(gold)), args.repeat)
    t_iter_s, _ = cpu_best(lambda: sum(1 for _ in iter_conll(gold, scheme="IOB2")), args.repeat)
    t_ref, ref = cpu_best(lambda: _read_per_sentence(gold), 1)
    same = ref == exs
    del ref
    jsonl = folder / "test.jsonl"
    write_jsonl(exs, jsonl)
    del exs
    t_jsonl, _ = cpu_best(lambda: read_jsonl(jsonl), args.repeat)
    rss = peak_rss_mb(gold)
    mtok = n_tok / 1e6
    print(f"CoNLL {n_tok} tokens: {mtok / t_cols:.2f} M tok/s (keep_columns=False "
          f"{mtok / t_nocols:.2f}); per-sentence reader {mtok / t_ref:.2f} M tok/s; "
          f"equal: {same}; peak RSS {rss:.0f} MB")
    print(f"JSONL: {mtok / t_jsonl:.2f} M tok/s")
    data = f"WNUT-17 test as CoNLL-2003 columns x{args.times} = {n_tok:,} tokens"
    md.row("`read_conll` on a CoNLL-2003-shaped file, CPU time on one core, vs the "
           "per-sentence reader on the same file",
           f"{mtok / t_cols:.2f}M tokens/s ({mtok / t_nocols:.2f}M with keep_columns=False); "
           f"{t_ref / t_cols:.1f}x the per-sentence reader ({mtok / t_ref:.2f}M/s), same "
           f"examples: {same}; peak memory {rss:.0f} MB", ">= 1M tokens/s, < 1 GB")
    print(f"iter_conll (streamed): {mtok / t_iter:.2f} M tok/s (scheme given: "
          f"{mtok / t_iter_s:.2f})")
    md.row("`iter_conll` (streamed in blocks, flat memory) on the same file, CPU time on one "
           "core, examples dropped as they come",
           f"{mtok / t_iter:.2f}M tokens/s with the scheme detected (a first pass), "
           f"{mtok / t_iter_s:.2f}M with `scheme` given", ">= 1M tokens/s")
    md.row("`read_jsonl` on the same examples written by `write_jsonl` (token objects), "
           "CPU time on one core", f"{mtok / t_jsonl:.2f}M tokens/s", ">= 1M tokens/s")
    hipe = sorted(glob.glob(str(SHARED / "hipe2022" / "*" / "*" / "*.tsv")))
    if hipe:
        def read_all():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return [read_hipe(f, strict=False) for f in hipe * args.hipe_times]
        t_hipe, out = cpu_best(read_all, args.repeat)
        n_hipe = sum(e.n_tokens for exs in out for e in exs)
        print(f"HIPE: {n_hipe} tokens in {len(hipe) * args.hipe_times} files: "
              f"{n_hipe / t_hipe / 1e6:.2f} M tok/s")
        md.row(f"`read_hipe` on every HIPE-2022 file ({len(hipe)} files, read "
               f"{args.hipe_times} times), CPU time on one core",
               f"{n_hipe / t_hipe / 1e6:.2f}M tokens/s", ">= 1M tokens/s")
    md.emit(data=f"{data}; HIPE-2022 v2.1 ajmc + newseye", runs=f"CPU time, best of "
            f"{args.repeat} after a warm-up (the per-sentence reader: one run)",
            threads="one core (single-threaded readers)")


if __name__ == "__main__":
    main()
