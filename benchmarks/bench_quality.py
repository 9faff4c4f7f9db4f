"""Speed of the data-quality checks (nlperr.quality), with in-process references.

    python benchmarks/bench_quality.py [--markdown]

1. Near-duplicates: MinHash / LSH (``near_duplicates``) against a brute-force
   pairwise Jaccard pass over the same shingle sets, on a sample (all WNUT-17 test
   + planted near-copies against all of train): time ratio and whether both find
   the same pairs (LSH recall against the exact pass).
2. The whole ``nlperr data check`` as one process (start-up, reading, every check,
   writing the CSVs) on a CoNLL-2003-sized corpus built from WNUT-17: train = train
   three times + dev (one copy exact, two with 1-2 words changed per sentence,
   ~204k tokens), test = test twice + dev perturbed (~62k tokens).  Pinned to one
   core (``taskset -c 0``, one BLAS / OpenMP thread).  Goal: <= 10 s.
3. ``nlperr data check --stream`` against the same command without ``--stream`` on
   a larger corpus (that corpus with train x5, test x3: ~1M + ~190k tokens), one run
   each: wall time, the process's peak resident memory, and whether every CSV and
   ``summary.json`` are byte-identical.

Conditions are printed (CPU count, load average).  Needs ../shared/data/wnut17.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _bench_common import Markdown, add_markdown_option, faster  # noqa: E402

from nlperr import load  # noqa: E402
from nlperr.quality import jaccard, near_duplicates, shingles  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "wnut17"


def _perturb(lines: list[str], rng: random.Random, tag: str) -> list[str]:
    """Replace one or two token(s) of every sentence of a CoNLL block by new words."""
    out, sent = [], []

    def flush():
        if not sent:
            return
        for _ in range(rng.choice((1, 2))):
            k = rng.randrange(len(sent))
            tok, lab = sent[k].split("\t", 1)
            sent[k] = f"w{tag}{rng.randrange(10 ** 9)}\t{lab}"
        out.extend(sent)
        out.append("")
        sent.clear()

    for line in lines:
        if not line.strip():
            flush()
        else:
            sent.append(line)
    flush()
    return out


def _read(path: Path) -> list[str]:
    return [line if line.strip() else "" for line in path.read_text(encoding="utf-8").splitlines()]


def build_corpus(folder: Path) -> tuple[Path, Path, int, int]:
    rng = random.Random(0)
    train = _read(SHARED / "wnut17train.conll")
    dev = _read(SHARED / "emerging.dev.conll")
    test = _read(SHARED / "emerging.test.annotated")
    tr = train + [""] + _perturb(train, rng, "a") + [""] + _perturb(train, rng, "b") + [""] + dev
    te = test + [""] + _perturb(test, rng, "c") + [""] + _perturb(dev, rng, "d")
    ptr, pte = folder / "train.conll", folder / "test.conll"
    ptr.write_text("\n".join(tr) + "\n", encoding="utf-8")
    pte.write_text("\n".join(te) + "\n", encoding="utf-8")
    return ptr, pte, sum(1 for x in tr if x), sum(1 for x in te if x)


def bench_lsh(md) -> None:
    rng = random.Random(1)
    train = load(SHARED / "wnut17train.conll", format="conll")
    test = list(load(SHARED / "emerging.test.annotated", format="conll"))
    for i in rng.sample(range(len(train)), 200):
        toks = [t.text for t in train[i].tokens]
        for _ in range(rng.choice((1, 2))):
            toks[rng.randrange(len(toks))] = f"zz{rng.randrange(10 ** 9)}"
        test.append(type(train[i]).from_tokens(toks, ["O"] * len(toks)))
    t = time.perf_counter()
    lsh = near_duplicates(train, test, threshold=0.6)
    t_lsh = time.perf_counter() - t
    t = time.perf_counter()
    sa = [shingles(e.text) for e in train]
    sb = [shingles(e.text) for e in test]
    brute = {(i, j) for i, b in enumerate(sb) if b for j, a in enumerate(sa)
             if a and jaccard(b, a) >= 0.6}
    t_bf = time.perf_counter() - t
    found = set(zip(lsh["index"].tolist(), lsh["train_index"].tolist()))
    print(f"near-duplicates, {len(test)} x {len(train)} = {len(test) * len(train):,} pairs:")
    print(f"  brute force {t_bf:.2f} s, MinHash/LSH {t_lsh:.2f} s -> {t_bf / t_lsh:.1f}x faster")
    print(f"  pairs >= 0.6: brute force {len(brute)}, LSH {len(found)}, LSH recall "
          f"{len(found & brute) / max(len(brute), 1):.3f}, LSH pairs not in brute force "
          f"{len(found - brute)}")
    md.row(f"near-duplicates, MinHash/LSH vs brute-force pairwise Jaccard, {len(test)} x "
           f"{len(train)} sentences", f"{faster(t_bf, t_lsh)} ({t_lsh:.2f} s vs {t_bf:.2f} s); "
           f"pairs: LSH {len(found)}, brute force {len(brute)}, recall "
           f"{len(found & brute) / max(len(brute), 1):.3f}", "sub-quadratic, same pairs")


def bench_cli(md) -> None:
    folder = Path(tempfile.mkdtemp(prefix="nlperr-bench-quality-"))
    try:
        ptr, pte, ntr, nte = build_corpus(folder)
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
        cmd = [sys.executable, "-m", "nlperr", "data", "check", "--train", str(ptr), "--test",
               str(pte), "--format", "conll", "--out", str(folder / "out")]
        # reference: the same process start-up and reading of both files, nothing else
        ref = [sys.executable, "-c", "import sys, nlperr; nlperr.load(sys.argv[1], format='conll');"
               " nlperr.load(sys.argv[2], format='conll')", str(ptr), str(pte)]
        if shutil.which("taskset"):
            cmd = ["taskset", "-c", "0"] + cmd
            ref = ["taskset", "-c", "0"] + ref
        times, rtimes = [], []
        for _ in range(3):
            for c, acc in ((cmd, times), (ref, rtimes)):
                t = time.perf_counter()
                subprocess.run(c, check=True, env=env, capture_output=True)
                acc.append(time.perf_counter() - t)
        runs = ", ".join(f"{x:.2f}" for x in times)
        print(f"nlperr data check, train {ntr:,} tokens + test {nte:,} tokens, one core: best "
              f"{min(times):.2f} s of 3 (all: {runs}); goal <= 10 s")
        print(f"  reference (start-up + reading both files): best {min(rtimes):.2f} s -> the whole "
              f"check is {min(times) / min(rtimes):.2f}x the time of just reading the data")
        import json
        s = json.loads((folder / "out" / "summary.json").read_text())
        print(f"  found: {s['duplicates']}, entity_overlap {s['entity_overlap']}, "
              f"{s['inconsistent_strings']} inconsistent strings")
        md.row(f"whole `nlperr data check` process, train {ntr / 1e3:.0f}k + test {nte / 1e3:.0f}k "
               f"tokens, pinned to one core",
               f"{min(times):.2f} s ({min(times) / min(rtimes):.1f}x the time of start-up + reading "
               f"both files, {min(rtimes):.2f} s)", "<= 10 s")
        compare_exact(ptr, pte, md)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_PEAK = ("import sys\nfrom nlperr.cli import main\ncode = main(sys.argv[1:])\n"
         "hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
         "print('PEAK', int(hwm.split()[1]) // 1024, file=sys.stderr)\nsys.exit(code)")


def bench_stream(md) -> None:
    """data check with and without --stream on a ~1M-token train: time, peak memory."""
    folder = Path(tempfile.mkdtemp(prefix="nlperr-bench-quality-stream-"))
    try:
        ptr, pte, ntr, nte = build_corpus(folder)
        big_tr, big_te = folder / "big_train.conll", folder / "big_test.conll"
        big_tr.write_text((ptr.read_text(encoding="utf-8") + "\n") * 5, encoding="utf-8")
        big_te.write_text((pte.read_text(encoding="utf-8") + "\n") * 3, encoding="utf-8")
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", PYTHONPATH=str(ROOT))
        out = {}
        for name, extra in (("whole", []), ("stream", ["--stream"])):
            cmd = [sys.executable, "-c", _PEAK, "data", "check", "--train", str(big_tr),
                   "--test", str(big_te), "--format", "conll", "--out",
                   str(folder / name), *extra]
            t = time.perf_counter()
            run = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            peak = int(run.stderr.split("PEAK")[-1].split()[0])
            out[name] = (time.perf_counter() - t, peak)
        files = sorted(p.name for p in (folder / "whole").iterdir()
                       if p.suffix in (".csv", ".json") and p.name != "result.json")
        same = all((folder / "whole" / f).read_bytes() == (folder / "stream" / f).read_bytes()
                   for f in files)
        (tw, mw), (ts, ms) = out["whole"], out["stream"]
        print(f"data check on train {5 * ntr:,} + test {3 * nte:,} tokens: whole {tw:.1f} s, "
              f"{mw} MB peak; --stream {ts:.1f} s, {ms} MB peak; {len(files)} files identical: "
              f"{same}")
        md.row(f"`nlperr data check --stream` vs without, train {5 * ntr / 1e6:.2f}M + test "
               f"{3 * nte / 1e3:.0f}k tokens (one run each)",
               f"peak memory {ms} MB vs {mw} MB, {ts:.1f} s vs {tw:.1f} s; {len(files)} output "
               f"files byte-identical: {same}", "same result, less memory")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def compare_exact(ptr: Path, pte: Path, md, threshold: float = 0.6) -> None:
    """LSH pairs against an exact computation (prefix filtering: J(A, B) >= t needs a
    shared shingle among the |A| - ceil(t |A|) + 1 rarest of A) on the big corpus."""
    import math
    from collections import defaultdict

    train = load(ptr, format="conll")
    test = load(pte, format="conll")
    t = time.perf_counter()
    sa = [shingles(e.text) for e in train]
    sb = [shingles(e.text) for e in test]
    index = defaultdict(set)
    for j, y in enumerate(sa):
        for x in y:
            index[x].add(j)
    exact = set()
    for i, x in enumerate(sb):
        if not x:
            continue
        keep = len(x) - math.ceil(threshold * len(x) - 1e-9) + 1
        prefix = sorted(x, key=lambda w: (len(index.get(w, ())), w))[:keep]
        for j in set().union(*[index.get(w, set()) for w in prefix]):
            if jaccard(x, sa[j]) >= threshold:
                exact.add((i, j))
    t_exact = time.perf_counter() - t
    t = time.perf_counter()
    got = near_duplicates(train, test, threshold=threshold)
    t_lsh = time.perf_counter() - t
    pairs = set(zip(got["index"].tolist(), got["train_index"].tolist()))
    print(f"  near-duplicate pairs on this corpus: exact computation {len(exact)} "
          f"({t_exact:.2f} s), LSH {len(pairs)} ({t_lsh:.2f} s); missed "
          f"{len(exact - pairs)}, extra {len(pairs - exact)}")
    md.row("near-duplicate pairs on that corpus, LSH vs an exact prefix-filter join",
           f"{len(pairs)} vs {len(exact)} pairs, missed {len(exact - pairs)}, extra "
           f"{len(pairs - exact)}; {t_lsh:.2f} s vs {t_exact:.2f} s", "same pairs")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_markdown_option(ap)
    args = ap.parse_args()
    if not SHARED.is_dir():
        print("../shared/data/wnut17 is absent: nothing to measure")
        return
    md = Markdown(__file__, args.markdown)
    print(f"conditions: {os.cpu_count()} CPUs, load average {os.getloadavg()}")
    bench_lsh(md)
    bench_cli(md)
    bench_stream(md)
    md.emit(data="WNUT-17 train/dev/test (see the rows)",
            runs="LSH/brute force: one run; `data check`: best of 3, alternating with the "
                 "reading-only process; `--stream` vs without: one run each",
            threads="check: `taskset -c 0`, one BLAS/OpenMP thread")


if __name__ == "__main__":
    main()
