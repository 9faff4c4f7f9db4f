"""Benchmark: reading speed of the corpus readers (tokens per second on one core).

What a user's first step costs: ``read_conll`` (and the streaming ``iter_conll``) on a
CoNLL-2003-sized file (WNUT-17 test
reshaped into CoNLL-2003's four columns ``token POS chunk NER`` with ``-DOCSTART-``
documents, replicated ``--times`` times: x40 = 936k tokens), ``read_jsonl`` and
``iter_jsonl`` on the same examples written by ``write_jsonl`` (with and without the CoNLL
columns; the file without them also read line by line, the reader without its block
path, as a reference), and ``read_hipe`` on a CoNLL-2003-sized HIPE file:
every HIPE-2022 v2.1 file in ``../shared/data`` as one file (one header, every document
with its metadata), repeated ``--hipe-times`` times (x3 = 1.24M tokens).

Timed as CPU time of this process (one core: the readers are single-threaded), best of
``--repeat`` runs after one warm-up.  The reference run is the per-sentence reader that
nlperr keeps for irregular files and exact errors (``_read_per_sentence``; HIPE:
``_read_per_document``), on the same file in the same process: the ratio shows what the
byte parsers buy.  Memory:
the peak resident memory of a fresh process that only reads the CoNLL file.

    python benchmarks/bench_readers.py [--times 40] [--repeat 3] [--markdown]

Goal: >= 1M tokens/s on one core, memory < 1 GB for a 1M-token corpus.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import glob
import shutil
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

    from nlperr.io import (iter_conll, iter_hipe, iter_jsonl, read_conll, read_hipe,
                           read_jsonl, write_jsonl)
    from nlperr.io._conll import _read_per_sentence

    folder = Path(tempfile.mkdtemp(prefix="nlperr-bench-readers-"))
    atexit.register(shutil.rmtree, folder, True)  # ~200 MB of files: removed on any exit
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
    # timed as read_conll is: the read, not the release of the examples afterwards
    t_jsonl, kept = cpu_best(lambda: read_jsonl(jsonl), args.repeat)
    del kept
    t_jsonl_iter, _ = cpu_best(lambda: sum(1 for _ in iter_jsonl(jsonl)), args.repeat)
    plain = folder / "plain.jsonl"  # text, id, token objects, spans: no CoNLL columns
    write_jsonl(read_conll(gold, keep_columns=False), plain)
    t_plain, kept = cpu_best(lambda: read_jsonl(plain), args.repeat)
    del kept
    t_plain_iter, _ = cpu_best(lambda: sum(1 for _ in iter_jsonl(plain)), args.repeat)
    import nlperr.io._jsonl as jsonl_module

    block_path = jsonl_module.orjson_loads
    jsonl_module.orjson_loads = lambda: None  # every line through json and the record checks
    try:
        t_lines, slow = cpu_best(lambda: read_jsonl(plain), 1)
    finally:
        jsonl_module.orjson_loads = block_path
    fast = read_jsonl(plain)
    same_jsonl = slow == fast
    del slow, fast
    rss = peak_rss_mb(gold)
    mtok = n_tok / 1e6
    print(f"CoNLL {n_tok} tokens: {mtok / t_cols:.2f} M tok/s (keep_columns=False "
          f"{mtok / t_nocols:.2f}); per-sentence reader {mtok / t_ref:.2f} M tok/s; "
          f"equal: {same}; peak RSS {rss:.0f} MB")
    print(f"JSONL: {mtok / t_jsonl:.2f} M tok/s ({mtok / t_plain:.2f} without the CoNLL "
          f"columns; line by line {mtok / t_lines:.2f}, equal: {same_jsonl}); iter_jsonl "
          f"{mtok / t_jsonl_iter:.2f} ({mtok / t_plain_iter:.2f})")
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
    md.row("`read_jsonl` on the same examples written by `write_jsonl` (Prodigy-style token "
           "objects), CPU time on one core: the file without the CoNLL columns (text, id, "
           "tokens, spans) vs every line read by `json` and checked record by record (the "
           "reader without its block path); and the file with the POS/chunk columns in "
           "each example's `meta` (one JSON list per token)",
           f"{mtok / t_plain:.2f}M tokens/s; {t_lines / t_plain:.1f}x the line-by-line "
           f"path ({mtok / t_lines:.2f}M/s), same examples: {same_jsonl}; with the columns "
           f"{mtok / t_jsonl:.2f}M/s", ">= 1M tokens/s")
    md.row("`iter_jsonl` (streamed, examples dropped as they come) on the same two JSONL "
           "files, CPU time on one core",
           f"{mtok / t_plain_iter:.2f}M tokens/s without the columns, "
           f"{mtok / t_jsonl_iter:.2f}M with them", ">= 1M tokens/s")
    hipe = sorted(glob.glob(str(SHARED / "hipe2022" / "*" / "*" / "*.tsv")))
    hipe_data = ""
    if hipe:
        from nlperr.io._hipe import _read_per_document
        from nlperr.io._text import read_lines

        big = folder / "hipe-all.tsv"
        bodies = []
        for f in hipe:
            lines = Path(f).read_text(encoding="utf-8").split("\n")
            header = lines[0]
            bodies.append("\n".join(lines[1:]).strip("\n"))
        big.write_text(header + "\n" + "\n\n".join(bodies * args.hipe_times) + "\n",
                       encoding="utf-8")

        def read_big():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a few invalid IOB2 sequences: repaired
                return read_hipe(big, strict=False)

        def read_big_ref():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _read_per_document(big, column="NE-COARSE-LIT", strict=False,
                                          segment="document",
                                          lines=enumerate(read_lines(big), 1))

        def iter_big():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return sum(e.n_tokens for e in iter_hipe(big, strict=False))

        t_hipe, out = cpu_best(read_big, args.repeat)
        t_hipe_iter, _ = cpu_best(iter_big, args.repeat)
        t_hipe_ref, ref = cpu_best(read_big_ref, 1)
        same_hipe = ref == out
        del ref
        n_hipe = sum(e.n_tokens for e in out)
        del out
        print(f"HIPE: {n_hipe} tokens: {n_hipe / t_hipe / 1e6:.2f} M tok/s; per-document "
              f"{n_hipe / t_hipe_ref / 1e6:.2f}; equal: {same_hipe}")
        md.row("`read_hipe` on a CoNLL-2003-sized HIPE-2022 file (every HIPE-2022 file as "
               f"one, x{args.hipe_times}), CPU time on one core, vs the per-document reader",
               f"{n_hipe / t_hipe / 1e6:.2f}M tokens/s; {t_hipe_ref / t_hipe:.1f}x the "
               f"per-document reader ({n_hipe / t_hipe_ref / 1e6:.2f}M/s), same examples: "
               f"{same_hipe}", ">= 1M tokens/s")
        md.row("`iter_hipe` (streamed in blocks of whole documents, flat memory) on the same "
               "HIPE file, CPU time on one core, examples dropped as they come",
               f"{n_hipe / t_hipe_iter / 1e6:.2f}M tokens/s", ">= 1M tokens/s")
        print(f"iter_hipe: {n_hipe / t_hipe_iter / 1e6:.2f} M tok/s")
        hipe_data = (f"; HIPE-2022 v2.1 ajmc + newseye ({len(hipe)} files) as one file "
                     f"x{args.hipe_times} = {n_hipe:,} tokens")
    md.emit(data=f"{data}{hipe_data}", runs=f"CPU time, best of "
            f"{args.repeat} after a warm-up (the per-sentence / per-document readers: one run)",
            threads="one core (single-threaded readers)")


if __name__ == "__main__":
    main()
