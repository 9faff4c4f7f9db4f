"""Benchmark: nlperr's NER analysis vs seqeval's classification_report on ~1M tokens.

Data: the WNUT-17 test set (../shared/data) replicated to about 1M tokens, with
synthetic predictions (each gold entity kept, retyped, cut or dropped at random,
plus spurious entities), or purely synthetic sentences when the data is absent.
By default every replicate gets the same predictions; ``--distinct`` perturbs
each replicate with its own seed, so that fewer examples repeat exactly (the
slice bootstrap groups examples with identical statistics; distinct predictions
make that grouping less effective, the honest worst case for this data).

Timed in the same process, interleaved, ``--repeat`` times (median reported):
* reference: ``seqeval.metrics.classification_report(y_true, y_pred)`` on IOB2 tags;
* nlperr "core": strict scores + SemEval (4 schemas) + taxonomy counts + confusion
  matrices + confused pairs, from the Example lists;
* nlperr "full table": the above plus the per-entity error table with texts and context;
* the whole default ``analyze_ner`` report: all of it plus the 9 built-in slice
  attributes with 1000 bootstrap replicates each, the worst-slice search and the cases.

Prints the ratios (goal: the whole report >= 10x faster than seqeval).

    python benchmarks/bench_analysis.py [--tokens 1000000] [--repeat 5] [--distinct] [--markdown]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option, faster  # noqa: E402

from nlperr.data import Example, Span  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WNUT = ROOT.parent / "shared" / "data" / "wnut17" / "emerging.test.annotated"


def load_gold() -> list[Example]:
    if WNUT.exists():
        from nlperr.io import read_conll
        return read_conll(WNUT, scheme="IOB2")
    rng = random.Random(0)
    out = []
    for i in range(1300):
        n = rng.randint(5, 30)
        words = [f"w{rng.randint(0, 5000)}" for _ in range(n)]
        tags, k = [], 0
        while k < n:
            if rng.random() < 0.1:
                lab = rng.choice(["PER", "LOC", "ORG", "MISC"])
                ln = min(rng.randint(1, 3), n - k)
                tags += [f"B-{lab}"] + [f"I-{lab}"] * (ln - 1)
                k += ln
            else:
                tags.append("O")
                k += 1
        out.append(Example.from_tokens(words, tags, id=str(i)))
    return out


def perturb(gold: list[Example], seed: int = 0) -> list[Example]:
    rng = random.Random(seed)
    labels = sorted({s.label for e in gold for s in e.spans})
    pred = []
    for e in gold:
        spans = []
        for s in e.spans:
            r = rng.random()
            if r < 0.65:
                spans.append(Span(s.start, s.end, s.label, rng.random()))
            elif r < 0.8:
                spans.append(Span(s.start, s.end, rng.choice(labels), rng.random()))
            elif r < 0.9:
                toks = [t for t in e.tokens if t.start >= s.start and t.end <= s.end]
                spans.append(Span(toks[0].start, toks[0].end, s.label, rng.random()))
        used = {(t.start, t.end) for s in spans for t in e.tokens
                if t.start < s.end and s.start < t.end}
        used |= {(t.start, t.end) for s in e.spans for t in e.tokens
                 if t.start < s.end and s.start < t.end}
        free = [t for t in e.tokens if (t.start, t.end) not in used]
        if free and rng.random() < 0.1:
            t = rng.choice(free)
            spans.append(Span(t.start, t.end, rng.choice(labels), rng.random()))
        pred.append(e.copy(spans=tuple(sorted(spans, key=lambda s: s.start)), missing=()))
    return pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--distinct", action="store_true",
                    help="different synthetic predictions for every replicate")
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    base_gold = load_gold()
    n_tok = sum(len(e.tokens) for e in base_gold)
    reps = max(1, round(args.tokens / n_tok))
    gold = [e.copy(id=f"{r}:{e.id}") for r in range(reps) for e in base_gold]
    if args.distinct:
        pred = [e.copy(id=f"{r}:{e.id}") for r in range(reps)
                for e in perturb(base_gold, seed=r)]
    else:
        base_pred = perturb(base_gold)
        pred = [e.copy(id=f"{r}:{e.id}") for r in range(reps) for e in base_pred]
    y_true = [e.tags() for e in gold]
    y_pred = [e.tags() for e in pred]
    print(f"{len(gold)} sentences, {reps * n_tok} tokens, "
          f"{sum(len(e.spans) for e in gold)} gold / {sum(len(e.spans) for e in pred)} "
          f"predicted entities ({'distinct' if args.distinct else 'replicated'} predictions)")

    from seqeval.metrics import classification_report
    from nlperr.analysis import analyze_ner, ner_scores
    from nlperr.analysis._arrays import flatten_pair
    from nlperr.analysis.confusion import confusion_from_taxonomy, pairs_from_taxonomy
    from nlperr.analysis.matching import counts_from_taxonomy, taxonomy, taxonomy_frame
    from nlperr.analysis.metrics import scores_from_flat, semeval_from_flat

    warnings.simplefilter("ignore")

    def core():
        flat = flatten_pair(gold, pred)
        tax = taxonomy(flat)
        scores = scores_from_flat(flat, tax.pairs)
        semeval_from_flat(flat, gold)
        counts_from_taxonomy(tax)
        confusion_from_taxonomy(tax, "overlap")
        confusion_from_taxonomy(tax, "exact")
        pairs_from_taxonomy(tax, gold)
        return tax, scores

    def core_table():
        tax, _ = core()
        taxonomy_frame(tax, gold)

    runs = {
        "seqeval": lambda: classification_report(y_true, y_pred, digits=4, output_dict=True),
        "core": core,
        "table": core_table,
        "scores": lambda: ner_scores(gold, pred),
        "report": lambda: analyze_ner(gold, pred, n_boot=1000),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.repeat):           # interleaved: load changes hit every entry alike
        for name, fn in runs.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}

    ref = classification_report(y_true, y_pred, digits=4, output_dict=True)
    ours = core()[1].set_index("label")
    assert abs(ours.loc["micro avg", "f1"] - ref["micro avg"]["f1-score"]) < 1e-12
    t_seq = med["seqeval"]
    print(f"median of {args.repeat} interleaved runs")
    print(f"seqeval classification_report:                    {t_seq:8.3f} s  "
          f"(runs {min(times['seqeval']):.3f}-{max(times['seqeval']):.3f} s)")
    rows = [("core", "nlperr core (scores+SemEval+taxonomy+confusion):"),
            ("table", "nlperr core + per-entity error table:"),
            ("scores", "nlperr ner_scores alone:"),
            ("report", "nlperr analyze_ner, the whole default report:")]
    for key, label in rows:
        print(f"{label:50s}{med[key]:8.3f} s  ratio {t_seq / med[key]:6.1f}x "
              f"(runs {min(times[key]):.3f}-{max(times[key]):.3f} s)")
    print("  (the report: 9 slice attributes with 1000 bootstrap replicates each, worst-slice "
          "search, cases)")
    what = (f"{'with `--distinct` predictions ' if args.distinct else ''}"
            f"vs seqeval `classification_report` ({t_seq:.2f} s)")
    md.row(f"core analysis (strict scores, SemEval 4 schemas, taxonomy, confusion, pairs) {what}",
           f"{faster(t_seq, med['core'])} ({med['core']:.3f} s)")
    md.row(f"core + per-entity error table {what}",
           f"{faster(t_seq, med['table'])} ({med['table']:.3f} s)")
    md.row(f"whole default `analyze_ner` report (9 slice attributes x 1000 bootstrap replicates, "
           f"worst slices, cases) {what}",
           f"{faster(t_seq, med['report'])} ({med['report']:.3f} s)", ">= 10x")
    src = "WNUT-17 test" if WNUT.exists() else "synthetic sentences"
    md.emit(data=f"{src} x{reps} = {reps * n_tok:,} tokens, "
                 f"{'distinct' if args.distinct else 'replicated'} synthetic predictions",
            runs=f"median of {args.repeat} interleaved runs")


if __name__ == "__main__":
    main()
