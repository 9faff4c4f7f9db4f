"""``nlperr data``: checks of the data itself (see docs/quality.md).

    nlperr data check --train FILE [--dev FILE] --test FILE [--format FMT]
                      [--task ner|classification] --out DIR
    nlperr data label-issues --gold FILE --pred FILE [--format FMT]
                             [--task ner|classification] --out DIR

``check`` writes ``DIR/summary.json`` (``duplicates``, ``entity_overlap``,
``inconsistent_strings``, ``cue_words``, ``split_mismatch``, ...), ``DIR/result.json``
and one CSV per table: ``inconsistencies.csv``, ``near_duplicates.csv``,
``exact_duplicates.csv``, ``entity_overlap.csv``, ``cue_words.csv``, ...  Exit code 1
with ``--fail-on-duplicates`` when a test example is an exact or near copy of a
train example.

``label-issues`` ranks likely gold label errors from out-of-sample predictions
(confident learning when the predictions carry probabilities: span scores in
JSONL / DocBin, ``prob_<label>`` CSV columns or JSONL ``probs``; model-gold
disagreements otherwise) and writes ``DIR/label_issues.csv``.

Formats: NER ``conll``, ``hipe``, ``jsonl``, ``spacy``; classification ``csv``,
``jsonl``, ``spacy``.  The task defaults to ``classification`` for CSV, else to NER
when the training (gold) data has spans.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import Errors, InputError
from ._output import add_encoding_arguments, add_overwrite_argument, check_output_dir

FORMATS = ("conll", "hipe", "jsonl", "spacy", "csv")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="data quality: leakage, consistency, cues, label issues",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    cmds = p.add_subparsers(dest="data_command", metavar="CHECK")

    c = cmds.add_parser("check", help="leakage, consistency, split mismatch and cue words",
                        description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--train", required=True, type=Path, metavar="FILE", help="training data")
    c.add_argument("--dev", type=Path, metavar="FILE", default=None, help="development data")
    c.add_argument("--test", required=True, type=Path, metavar="FILE", help="test data")
    _common(c)
    c.add_argument("--near-threshold", type=float, default=0.6, metavar="J",
                   help="Jaccard threshold of near-duplicates (default 0.6)")
    c.add_argument("--ngram", type=int, default=1, metavar="N",
                   help="words per shingle for near-duplicates (default 1)")
    c.add_argument("--cue-prior", choices=("empirical", "uniform"), default="empirical",
                   help="null label distribution of the cue-word test (default empirical)")
    c.add_argument("--min-count", type=int, default=5, metavar="N",
                   help="cue words must occur in at least N units (default 5)")
    c.add_argument("--alpha", type=float, default=0.05,
                   help="level of the BH-corrected cue-word test (default 0.05)")
    c.add_argument("--window", type=int, default=3, metavar="N",
                   help="NER: context tokens on each side for cue words (default 3)")
    c.add_argument("--seed", type=int, default=0, help="MinHash seed (default 0)")
    c.add_argument("--fail-on-duplicates", action="store_true",
                   help="exit 1 when a test example is an exact or near copy of a train example")
    c.add_argument("--stream", action="store_true",
                   help="read CoNLL / HIPE / JSONL / CSV files chunk by chunk (twice), keeping "
                        "counts instead of the examples: the same result for corpora larger "
                        "than memory")
    c.add_argument("--chunk-size", type=int, default=10_000, metavar="N",
                   help="with --stream: examples read at a time (default 10000)")
    c.add_argument("--no-progress", action="store_true",
                   help="with --stream: hide the progress bars")
    c.set_defaults(func=run_check)

    li = cmds.add_parser("label-issues", help="likely label errors from out-of-sample "
                                              "predictions", description=__doc__,
                         formatter_class=argparse.RawDescriptionHelpFormatter)
    li.add_argument("--gold", required=True, type=Path, metavar="FILE", help="gold data")
    li.add_argument("--pred", required=True, type=Path, metavar="FILE",
                    help="out-of-sample predictions on the same examples")
    _common(li)
    li.add_argument("--gold-column", type=int, default=-1, metavar="N",
                    help="CoNLL column of the gold tags (default -1)")
    li.add_argument("--pred-column", type=int, default=-1, metavar="N",
                    help="CoNLL column of the predicted tags (default -1)")
    li.add_argument("--pred-label-column", default=None,
                    help="CSV predicted label column (default: pred_label when present, else "
                         "label)")
    li.add_argument("--context", type=int, default=5, metavar="N",
                    help="NER: context tokens in the table (default 5)")
    li.set_defaults(func=run_label_issues)
    p.set_defaults(func=_usage(p))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", default=None, choices=FORMATS,
                   help="file format (default: from the extension, else the content)")
    p.add_argument("--task", default=None, choices=("ner", "classification"),
                   help="default: classification for CSV, else NER when the data has spans")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
    p.add_argument("--scheme", default=None, help="CoNLL tagging scheme (default: detected)")
    p.add_argument("--text-column", default="text", help="CSV text column (default text)")
    p.add_argument("--label-column", default="label", help="CSV label column (default label)")
    p.add_argument("--formats", default="json,csv", metavar="LIST",
                   help="what to write besides summary.json: json, csv, md, html, parquet "
                        "(comma-separated; default json,csv)")
    add_encoding_arguments(p)
    add_overwrite_argument(p)


def _usage(parser: argparse.ArgumentParser):
    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2
    return run


def _load(path: Path, args, *, column: int = -1, pred: bool = False):
    from .analyze import _exists, _fmt, _load_cls, _load_ner
    _exists(path, str(path))
    fmt = _fmt(path, args.format, FORMATS)
    if fmt == "csv" or args.task == "classification":
        if not hasattr(args, "pred_label_column"):
            args.pred_label_column = None
        return _load_cls(path, fmt, args, pred=pred)
    return _load_ner(path, fmt, args, column=column, lenient=pred)


def _formats(value: str) -> tuple[str, ...]:
    return tuple(f.strip() for f in value.split(",") if f.strip())


def _stream(path: Path, args):
    """A function returning a fresh iterator over the file's examples (``--stream``)."""
    from .. import io
    from .analyze import _exists, _fmt
    from ._output import encoding_options
    _exists(path, str(path))
    fmt = _fmt(path, args.format, FORMATS)
    enc = encoding_options(args)
    if fmt == "csv":
        return lambda: io.iter_csv(path, text_column=args.text_column,
                                   label_column=args.label_column, **enc)
    if fmt == "jsonl":
        return lambda: io.iter_jsonl(path, **enc)
    if fmt == "hipe":
        return lambda: io.iter_hipe(path, **enc)
    if fmt == "conll" and args.task != "classification":
        scheme = args.scheme
        if scheme is None:  # detected once, not at each pass
            from ..io._conll import detect_file_scheme
            scheme = detect_file_scheme(path, **enc)
        return lambda: io.iter_conll(path, scheme=scheme, **enc)
    raise InputError(Errors.E401.format(
        where="nlperr data check --stream",
        message=f"{path.name} is a {fmt} file, which is read whole; --stream reads CoNLL, HIPE, "
                f"JSONL and CSV files chunk by chunk. Drop --stream, or convert the file "
                f"(nlperr convert)"))


def run_check(args: argparse.Namespace) -> int:
    from ..quality import check_data, check_data_stream
    check_output_dir(args.out, inputs=[args.train, args.dev, args.test], overwrite=args.overwrite)
    options = dict(task=args.task, near_threshold=args.near_threshold, ngram=args.ngram,
                   cue_prior=args.cue_prior, cue_min_count=args.min_count, alpha=args.alpha,
                   window=args.window, seed=args.seed)
    if args.stream:
        if isinstance(args.chunk_size, bool) or args.chunk_size < 1:
            raise InputError(Errors.E401.format(where="nlperr data check --stream",
                                                message="--chunk-size must be a positive "
                                                        "integer"))
        result = check_data_stream(
            _stream(args.train, args), _stream(args.test, args),
            dev=_stream(args.dev, args) if args.dev is not None else None,
            chunk_size=args.chunk_size, progress=False if args.no_progress else None,
            **options)
    else:
        train = _load(args.train, args)
        dev = _load(args.dev, args) if args.dev is not None else None
        test = _load(args.test, args)
        result = check_data(train, test, dev=dev, **options)
    result.save(args.out, formats=_formats(args.formats))
    s = result.summary
    d, o = s["duplicates"], s["entity_overlap"]
    print(f"nlperr data check: {s['splits']['test']} test examples: {d['exact']} exact and "
          f"{d['near']} near copies of train; {o['seen']}/{o['mentions']} test mentions seen in "
          f"train; {s['inconsistent_strings']} inconsistent strings -> {args.out}",
          file=sys.stderr)
    if args.fail_on_duplicates and (d["exact"] or d["near"]):
        return 1
    return 0


def run_label_issues(args: argparse.Namespace) -> int:
    from ..quality import find_label_issues
    check_output_dir(args.out, inputs=[args.gold, args.pred], overwrite=args.overwrite)
    gold = _load(args.gold, args, column=args.gold_column)
    pred = _load(args.pred, args, column=args.pred_column, pred=True)
    if len(gold) != len(pred):
        raise InputError(Errors.E016.format(where=f"nlperr data label-issues {args.pred}",
                                            got=len(pred), expected=len(gold)))
    result = find_label_issues(gold, pred, task=args.task, context=args.context)
    result.save(args.out, formats=_formats(args.formats))
    s = result.summary
    print(f"nlperr data label-issues: {s['n_candidates']} candidates, {s['n_flagged']} flagged "
          f"({s['method']}) -> {args.out}", file=sys.stderr)
    return 0
