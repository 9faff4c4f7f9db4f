"""Benchmark: streamed analysis (``--stream``) against the full run, and its Ray counting.

1. ``nlperr analyze ner --stream`` and ``nlperr analyze ner`` (``--n-boot 0``) as
   processes on the same two files (the CoNLL-2003-shaped corpus of
   ``bench_cli_analyze.py``: WNUT-17 test as four columns, replicated ``--times``
   times; predictions perturbed): wall time, the process's peak resident memory, and
   whether the streamed tables are byte-identical to the full run's.
2. With ``--ray`` (``pip install 'nlperr[ray]'``): ``analyze_ner_stream`` in this
   process with the local engine and with ``engine="ray"`` on a local Ray instance
   of 2 CPUs (1 and 2 workers), best of ``--repeat`` after a warm-up call that starts
   Ray's workers, for the two ways Ray can count: the workers reading their own byte
   ranges of the two files (``ConllStream`` s with the same line structure, what the
   CLI passes) and the driver reading the files and shipping packed chunks
   (iterators, or files whose lines differ); the same examples as two JSONL files
   (``JsonlStream`` s: the workers read ranges of the same example lines); and
   ``analyze_classification_stream`` on two classification CSV files made of the
   corpus's sentences (``CsvStream`` s: ranges after the header rows).

    python benchmarks/bench_stream.py [--times 40] [--repeat 2] [--ray] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("scores", "errors", "semeval", "confusion", "confusion_exact", "confusion_normalized")
_PEAK = ("import sys\nfrom nlperr.cli import main\ncode = main(sys.argv[1:])\n"
         "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
         "print('PEAK', int(hwm.split()[1]) // 1024, file=sys.stderr)\nsys.exit(code)")


def run_cli(args: list[str]) -> tuple[float, int]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    run = subprocess.run([sys.executable, "-c", _PEAK, *args], env=env, capture_output=True,
                         text=True, check=True)
    return time.perf_counter() - t, int(run.stderr.split("PEAK")[-1].split()[0])


def bench_cli(md, gold: Path, pred: Path, folder: Path, n_tok: int, repeat: int) -> None:
    common = ["analyze", "ner", "--gold", str(gold), "--pred", str(pred), "--zero-division", "0"]
    full, streamed = [], []
    for k in range(repeat):  # alternating, best of
        full.append(run_cli([*common, "--n-boot", "0", "--out", str(folder / f"full{k}")]))
        streamed.append(run_cli([*common, "--stream", "--out", str(folder / f"stream{k}")]))
    same = all((folder / "stream0" / f"{t}.csv").read_bytes()
               == (folder / "full0" / f"{t}.csv").read_bytes() for t in TABLES)
    (tf, mf), (ts, ms) = min(full), min(streamed)
    print(f"analyze ner on two {n_tok:,}-token files: full {tf:.2f} s, {mf} MB peak; "
          f"--stream {ts:.2f} s, {ms} MB peak; tables identical: {same}")
    md.row(f"`nlperr analyze ner --stream` vs the full run (`--n-boot 0`), two {n_tok / 1e3:.0f}k-"
           f"token CoNLL files, whole process",
           f"{ts:.2f} s vs {tf:.2f} s; peak memory {ms} MB vs {mf} MB; the {len(TABLES)} "
           f"streamed tables byte-identical: {same}", "same tables, flat memory")


def bench_ray(md, gold: Path, pred: Path, n_tok: int, repeat: int) -> None:
    import ray

    from nlperr.analysis import analyze_ner_stream
    from nlperr.io import ConllStream, iter_conll

    def files():  # what the CLI passes: the workers read byte ranges
        return (ConllStream(gold, keep_columns=False),
                ConllStream(pred, strict=False, keep_columns=False))

    def iterators():  # the driver reads and ships the examples
        return (iter_conll(gold, keep_columns=False),
                iter_conll(pred, strict=False, keep_columns=False))

    from nlperr.io import JsonlStream, read_conll, write_jsonl

    gold_j, pred_j = gold.with_suffix(".jsonl"), pred.with_suffix(".jsonl")
    write_jsonl(read_conll(gold, keep_columns=False), gold_j)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the perturbed predictions: read leniently
        write_jsonl(read_conll(pred, strict=False, keep_columns=False), pred_j)

    def jsonl():  # JSONL: the workers read ranges of the same example lines
        return JsonlStream(gold_j), JsonlStream(pred_j)

    import csv
    import random

    from nlperr.analysis import analyze_classification_stream
    from nlperr.io import CsvStream

    # a classification pair: each sentence of the corpus a row (text with commas and
    # quotes, so the writer quotes fields), a gold label, a predicted label and its
    # probabilities
    gold_c, pred_c = gold.with_suffix(".csv"), pred.with_suffix(".csv")
    rng = random.Random(0)
    n_rows = 0
    with open(gold_c, "w", newline="", encoding="utf-8") as fg, \
            open(pred_c, "w", newline="", encoding="utf-8") as fp:
        wg, wp = csv.writer(fg), csv.writer(fp)
        wg.writerow(["text", "label"])
        wp.writerow(["text", "label", "prob_pos", "prob_neg", "prob_neu"])
        for ex in iter_conll(gold, keep_columns=False):
            y = rng.choice(("pos", "neg", "neu"))
            yhat = y if rng.random() < 0.7 else rng.choice(("pos", "neg", "neu"))
            q = [rng.random() for _ in range(3)]
            q[("pos", "neg", "neu").index(yhat)] += 1.5
            total = sum(q)
            wg.writerow([ex.text, y])
            wp.writerow([ex.text, yhat] + [round(v / total, 4) for v in q])
            n_rows += 1

    def csvs():  # CSV: the workers read ranges after the header rows
        return CsvStream(gold_c), CsvStream(pred_c)

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        def once(source, **engine) -> float:
            t = time.perf_counter()
            analyze_ner_stream(*source(), chunk_size=10_000, zero_division=0, progress=False,
                               **engine)
            return time.perf_counter() - t
        setups = {"local": (files, {}),
                  "ray, 1 worker, ranges": (files, {"engine": "ray", "workers": 1}),
                  "ray, 2 workers, ranges": (files, {"engine": "ray", "workers": 2}),
                  "ray, 2 workers, driver reads": (iterators, {"engine": "ray", "workers": 2})}
        for source, opts in setups.values():
            once(source, **opts)  # warm-up: imports, Ray's worker processes
        times = {name: min(once(source, **opts) for _ in range(repeat))
                 for name, (source, opts) in setups.items()}
        jsetups = {"local": {}, "ray, 2 workers, ranges": {"engine": "ray", "workers": 2}}
        once(jsonl, engine="ray", workers=2)
        jtimes = {name: min(once(jsonl, **opts) for _ in range(repeat))
                  for name, opts in jsetups.items()}

        def once_cls(**engine) -> float:
            t = time.perf_counter()
            analyze_classification_stream(*csvs(), chunk_size=10_000, zero_division=0,
                                          progress=False, **engine)
            return time.perf_counter() - t
        once_cls(engine="ray", workers=2)
        ctimes = {name: min(once_cls(**opts) for _ in range(repeat))
                  for name, opts in jsetups.items()}
    finally:
        ray.shutdown()
    print("analyze_ner_stream: " + ", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    md.row(f"`analyze_ner_stream` counted locally vs on Ray (local instance, 2 CPUs), two "
           f"{n_tok / 1e3:.0f}k-token CoNLL files",
           "; ".join(f"{k}: {v:.2f} s" for k, v in times.items()) +
           f"; ranges, 2 workers: {times['local'] / times['ray, 2 workers, ranges']:.2f}x "
           "the local speed", "faster with workers (ranges)")
    print("analyze_ner_stream on JSONL: " + ", ".join(f"{k} {v:.2f} s"
                                                       for k, v in jtimes.items()))
    md.row("`analyze_ner_stream` on the same examples as two JSONL files (`JsonlStream`), "
           "counted locally vs on Ray (local instance, 2 CPUs)",
           "; ".join(f"{k}: {v:.2f} s" for k, v in jtimes.items()) +
           f"; {jtimes['local'] / jtimes['ray, 2 workers, ranges']:.2f}x the local speed",
           "faster with workers")
    print("analyze_classification_stream on CSV: " + ", ".join(f"{k} {v:.2f} s"
                                                                for k, v in ctimes.items()))
    md.row(f"`analyze_classification_stream` on two {n_rows:,}-row classification CSV files "
           f"(`CsvStream`: the corpus's sentences, quoted fields, predicted probabilities), "
           f"counted locally vs on Ray (local instance, 2 CPUs)",
           "; ".join(f"{k}: {v:.2f} s" for k, v in ctimes.items()) +
           f"; {ctimes['local'] / ctimes['ray, 2 workers, ranges']:.2f}x the local speed",
           "faster with workers")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--times", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--ray", action="store_true", help="also time the Ray counting")
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)

    import bench_cli_analyze as cli

    folder = Path(tempfile.mkdtemp(prefix="nlperr-bench-stream-"))
    try:
        gold, pred, _, _, n_tok = cli.write_files(cli.conll2003_like(None), args.times, folder)
        bench_cli(md, gold, pred, folder, n_tok, args.repeat)
        if args.ray:
            bench_ray(md, gold, pred, n_tok, args.repeat)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    md.emit(data=f"WNUT-17 test as CoNLL-2003 columns x{args.times} (bench_cli_analyze.py's "
                 f"corpus)", runs=f"best of {args.repeat}, alternating (Ray: after a warm-up "
                                  f"call)", threads="default")


if __name__ == "__main__":
    main()
