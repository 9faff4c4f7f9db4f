"""Benchmark: the whole ``nlperr analyze ner`` process vs seqeval on in-memory lists.

What a user runs: ``nlperr analyze ner --gold GOLD --pred PRED --out DIR`` as a
process (start-up, reading both files, the default report, writing every
output), against seqeval's ``classification_report`` on the same IOB2 tags
already loaded in memory (the reference the issue names; its loading is not
timed).

Data: a CoNLL-2003 file if you have one (``--conll eng.testb``), else a
CoNLL-2003-shaped corpus made from WNUT-17 test (four columns ``token POS chunk
NER``, ``-DOCSTART-`` documents, types PER/LOC/ORG/MISC).  The corpus is
replicated ``--times`` times (CoNLL-2003 test x 20 = 929k tokens; the stand-in, half
its size, x 40 = 936k: the defaults).  Predictions:
each gold entity kept, retyped, cut or dropped at random, plus spurious ones.

WNUT-17 has one entity per 21 tokens, CoNLL-2003 one per 8: ``--density conll`` makes
three in four capitalised ``O`` tokens outside entities a one-token gold entity of a
random type, which gives CoNLL-2003's density (one per 8.1 tokens), so that the
per-entity work (both tools have some) is that of the real corpus.

CoNLL-2003 is plain ASCII; WNUT-17 tweets hold emoji and accented letters (whose
strings Python stores at 2 or 4 bytes per character): ``--ascii`` replaces every
non-ASCII character of the stand-in by ``x``.

    python benchmarks/bench_cli_analyze.py [--conll FILE] [--times N] [--repeat 3]
                                           [--density {wnut,conll}] [--ascii] [--markdown]

Prints the timings and the ratio seqeval / nlperr (goal: >= 2).
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option, faster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WNUT = ROOT.parent / "shared" / "data" / "wnut17" / "emerging.test.annotated"
_TYPES = {"person": "PER", "location": "LOC", "group": "ORG", "corporation": "ORG",
          "product": "MISC", "creative-work": "MISC"}


def _read_sentences(path: Path) -> list[list[list[str]]]:
    """Sentences as lists of column lists (plain Python; not timed)."""
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if cur:
                sents.append(cur)
            cur = []
            continue
        cols = line.split("\t") if "\t" in line else line.split()
        if cols[0] == "-DOCSTART-":
            continue
        cur.append(cols)
    if cur:
        sents.append(cur)
    return sents


def conll2003_like(conll: Path | None) -> list[list[tuple[str, str, str, str]]]:
    """(token, POS, chunk, NER) sentences: from a CoNLL-2003 file, or WNUT-17 reshaped."""
    if conll is not None:
        return [[(c[0], c[1], c[2], c[-1]) for c in s] for s in _read_sentences(conll)]
    if not WNUT.exists():
        sys.exit("needs --conll FILE or ../shared/data/wnut17")
    out = []
    for s in _read_sentences(WNUT):
        rows = []
        for tok, tag in ((c[0], c[-1]) for c in s):
            if tag != "O":
                tag = f"{tag[:2]}{_TYPES[tag[2:]]}"
            pos = "NNP" if tok[:1].isupper() else "NN"
            rows.append((tok, pos, "I-NP", tag))
        out.append(rows)
    return out


def densify(sents, seed: int = 1):
    """CoNLL-2003's entity density: three in four capitalised ``O`` tokens not right
    after an entity token become a one-token entity of a random type."""
    rng = random.Random(seed)
    out = []
    for s in sents:
        rows = [list(r) for r in s]
        for i, r in enumerate(rows):
            if r[3] == "O" and r[0][:1].isupper() and (i == 0 or rows[i - 1][3] == "O") \
                    and rng.random() < 0.75:
                r[3] = "B-" + rng.choice(["PER", "LOC", "ORG", "MISC"])
        out.append([tuple(r) for r in rows])
    return out


def perturb(tags: list[str], rng: random.Random) -> list[str]:
    out = list(tags)
    i = 0
    while i < len(tags):
        if tags[i].startswith("B-"):
            j = i + 1
            while j < len(tags) and tags[j] == "I-" + tags[i][2:]:
                j += 1
            r = rng.random()
            if r < 0.08:
                out[i:j] = ["O"] * (j - i)
            elif r < 0.16:
                lab = rng.choice(["PER", "LOC", "ORG", "MISC"])
                out[i:j] = [f"B-{lab}"] + [f"I-{lab}"] * (j - i - 1)
            elif r < 0.2 and j - i > 1:
                out[j - 1] = "O"
            i = j
        else:
            if tags[i] == "O" and rng.random() < 0.01:
                out[i] = "B-" + rng.choice(["PER", "LOC", "ORG", "MISC"])
            i += 1
    return out


def write_files(sents, times: int, folder: Path) -> tuple[Path, Path, list, list, int]:
    rng = random.Random(0)
    gold_lines, pred_lines, y_true, y_pred = [], [], [], []
    n_tok = 0
    for _ in range(times):
        gold_lines.append("-DOCSTART- -X- -X- O\n")
        pred_lines.append("-DOCSTART- -X- -X- O\n")
        for s in sents:
            tags = [r[3] for r in s]
            ptags = perturb(tags, rng)
            y_true.append(tags)
            y_pred.append(ptags)
            n_tok += len(s)
            gold_lines.append("".join(f"{t} {p} {c} {g}\n" for t, p, c, g in s) + "\n")
            pred_lines.append("".join(f"{r[0]} {r[1]} {r[2]} {pt}\n" for r, pt in zip(s, ptags))
                              + "\n")
    gold, pred = folder / "test.gold.txt", folder / "test.pred.txt"
    gold.write_text("".join(gold_lines), encoding="utf-8")
    pred.write_text("".join(pred_lines), encoding="utf-8")
    return gold, pred, y_true, y_pred, n_tok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--conll", type=Path, default=None, help="a CoNLL-2003 file (eng.testb)")
    ap.add_argument("--times", type=int, default=None,
                    help="replications (default: 20 with --conll, as the issue's CoNLL-2003 "
                         "test x20; else 40, which gives the stand-in the same size)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--density", choices=("wnut", "conll"), default="wnut",
                    help="entity density of the generated corpus (see the docstring)")
    ap.add_argument("--ascii", action="store_true",
                    help="replace non-ASCII characters of the stand-in corpus by 'x'")
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)

    from seqeval.metrics import classification_report

    if args.times is None:  # about 929k tokens per file either way
        args.times = 20 if args.conll else 40
    folder = Path(tempfile.mkdtemp(prefix="nlperr-bench-analyze-"))
    sents = conll2003_like(args.conll)
    if args.density == "conll" and args.conll is None:
        sents = densify(sents)
    if args.ascii and args.conll is None:
        sents = [[tuple(re.sub(r"[^\x00-\x7f]", "x", c) for c in row) for row in s]
                 for s in sents]
    n_ent = sum(t.startswith("B-") for s in sents for *_, t in s)
    n_toks = sum(len(s) for s in sents)
    gold, pred, y_true, y_pred, n_tok = write_files(sents, args.times, folder)
    cmd = [sys.executable, "-m", "nlperr", "analyze", "ner", "--gold", str(gold), "--pred",
           str(pred), "--out", str(folder / "out")]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t_seq, t_cli = [], []
    for _ in range(args.repeat):  # interleaved: load from other processes hits both alike
        t = time.perf_counter()
        classification_report(y_true, y_pred, digits=4)
        t_seq.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, capture_output=True)
        t_cli.append(time.perf_counter() - t)
    seq, cli = statistics.median(t_seq), statistics.median(t_cli)
    source = args.conll.name if args.conll else "WNUT-17 test as CoNLL-2003 columns" + (
        ", CoNLL-2003 entity density" if args.density == "conll" else "") + (
        ", ASCII" if args.ascii else "")
    source += f" (one gold entity per {n_toks / max(n_ent, 1):.1f} tokens)"
    print(f"corpus: {source} x {args.times} = {n_tok} tokens per file, {len(y_true)} sentences")
    print(f"seqeval classification_report (in memory): {seq:.2f} s (median of {args.repeat})")
    print(f"nlperr analyze ner (whole process):        {cli:.2f} s (median of {args.repeat})")
    print(f"ratio seqeval / nlperr: {seq / cli:.2f}x (goal >= 2x); cpus={os.cpu_count()}")
    md.row("whole `nlperr analyze ner` process (start-up, reading both files, default report, "
           "writing every output) vs seqeval `classification_report` on the tags in memory",
           f"{faster(seq, cli)} ({cli:.2f} s vs {seq:.2f} s)", ">= 2x")
    md.emit(data=f"{source} x{args.times} = {n_tok:,} tokens per file",
            runs=f"median of {args.repeat} interleaved runs",
            threads="framework default threads")


if __name__ == "__main__":
    main()
