"""``nlperr analyze``: error analysis of predictions against gold data.

    nlperr analyze ner --gold FILE [--pred FILE | --model SPEC] [--train FILE]
                       [--baseline FILE] [--format conll|hipe|jsonl|spacy]
                       [--scheme IOB1|IOB2|BIOES] --out DIR
    nlperr analyze classification --gold FILE [--pred FILE | --model SPEC] ... --out DIR

Where the predictions come from (NER):

* ``--pred FILE``: a second file with the same examples (CoNLL: tags read from
  ``--pred-column``, default the last column; lenient decoding, as conlleval);
* ``--model SPEC``: predict the gold examples now (``spacy:NAME``, ``hf:PATH``...);
* neither: the gold file holds both, as written by ``nlperr predict`` (gold tags
  in ``--gold-column``, default the second-to-last column, predictions in
  ``--pred-column``, default the last).

With ``--pred FILE`` the gold tags are read from ``--gold-column`` (default:
the last column).  Classification reads CSV (``--text-column``,
``--label-column``; predictions from ``--pred-label-column``, default
``pred_label`` when present, else ``label``; ``prob_<label>`` columns become
probabilities), JSONL (``label`` / ``probs``) or DocBin.

``--stream`` reads the files line by line (NER: CoNLL, HIPE, JSONL; classification: CSV,
JSONL) and writes only the corpus-level tables, in flat memory.

Writes ``DIR/summary.json``, ``DIR/result.json``, ``DIR/summary.md`` and one CSV
(and Parquet when pyarrow is installed) per table; ``--html`` adds
``DIR/report.html``.  See docs/analysis.md and docs/reports.md.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from ..errors import Errors, InputError
from .._gc import no_gc
from ._output import (add_encoding_arguments, add_overwrite_argument, check_output_dir,
                      encoding_options)
from ._engine import add_engine_options, engine_options

NER_FORMATS = ("conll", "hipe", "jsonl", "spacy")
CLS_FORMATS = ("csv", "jsonl", "spacy")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", help="error analysis of predictions against gold data",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    tasks = p.add_subparsers(dest="task", metavar="TASK")
    for task in ("ner", "classification"):
        t = tasks.add_parser(task, help=f"{task} error analysis", description=__doc__,
                             formatter_class=argparse.RawDescriptionHelpFormatter)
        t.add_argument("--gold", required=True, type=Path, metavar="FILE", help="gold data")
        t.add_argument("--pred", type=Path, metavar="FILE", default=None,
                       help="predictions on the same examples")
        t.add_argument("--model", metavar="SPEC", default=None,
                       help="predict the gold examples with this model instead of --pred")
        t.add_argument("--train", type=Path, metavar="FILE", default=None,
                       help="training data (seen/unseen, frequency and OOV slices)")
        t.add_argument("--baseline", type=Path, metavar="FILE", default=None,
                       help="a baseline's predictions on the same examples")
        t.add_argument("--format", default=None,
                       choices=NER_FORMATS if task == "ner" else CLS_FORMATS,
                       help="file format (default: from the extension)")
        t.add_argument("--out", required=True, type=Path, metavar="DIR", help="output folder")
        add_encoding_arguments(t)
        t.add_argument("--n-boot", type=int, default=1000, metavar="N",
                       help="bootstrap replicates for CIs (default 1000; 0 disables)")
        t.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
        t.add_argument("--top", type=int, default=10, metavar="K",
                       help="rows in ranked tables (default 10)")
        t.add_argument("--slices", default=None, metavar="NAMES",
                       help="comma-separated slice attributes (default: all that apply; "
                            "'none' to skip)")
        t.add_argument("--label-map", metavar="JSON_OR_FILE", default=None,
                       help="with --model: rename the model's labels to the gold labels, e.g. "
                            "'{\"PERSON\": \"person\"}' or a JSON file")
        t.add_argument("--unmapped", choices=("keep", "drop", "error"), default="keep",
                       help="with --model and --label-map: what to do with model labels the "
                            "map does not list (default: keep)")
        t.add_argument("--zero-division", default="warn", choices=("warn", "0", "1", "nan"),
                       help="value of undefined precision / recall (no predictions or no gold "
                            "entities of a type); 'warn' (default) uses 0 and says so once")
        t.add_argument("--batch-size", type=int, default=None, metavar="N",
                       help="batch size with --model")
        t.add_argument("--no-cache", action="store_true", help="no prediction cache (--model)")
        add_engine_options(t)
        t.add_argument("--parquet", action="store_true",
                       help="also write every table as Parquet (needs pyarrow)")
        t.add_argument("--no-parquet", action="store_true",
                       help=argparse.SUPPRESS)  # the default since 0.2; kept for old scripts
        t.add_argument("--html", action="store_true",
                       help="also write DIR/report.html (one self-contained page with plots)")
        add_overwrite_argument(t)
        if task == "ner":
            t.add_argument("--scheme", default=None, help="tagging scheme (default: detected)")
            t.add_argument("--gold-column", type=int, default=None, metavar="N",
                           help="CoNLL column of the gold tags (default: -1 with --pred or "
                                "--model, -2 when the gold file also holds the predictions)")
            t.add_argument("--pred-column", type=int, default=-1, metavar="N",
                           help="CoNLL column of the predicted tags (default: -1, the last)")
            t.add_argument("--group", action="append", default=[], metavar="LABELS",
                           help="label group to diagnose: a glob ('DATE_*') or comma-separated "
                                "labels; repeatable")
            t.add_argument("--context", type=int, default=5, metavar="N",
                           help="context window in tokens (default 5)")
            t.add_argument("--stream", action="store_true",
                           help="read CoNLL / HIPE / JSONL files line by line and write only the "
                                "corpus-level tables (scores, errors, semeval, confusion), in "
                                "flat memory, for corpora larger than memory")
            t.set_defaults(func=run_ner)
        else:
            t.add_argument("--text-column", default="text", help="CSV text column")
            t.add_argument("--label-column", default="label", help="CSV gold label column")
            t.add_argument("--pred-label-column", default=None,
                           help="CSV predicted label column (default: pred_label when present, "
                                "else label)")
            t.add_argument("--n-bins", type=int, default=10, help="calibration bins (default 10)")
            t.add_argument("--stream", action="store_true",
                           help="read CSV / JSONL files row by row and write only the "
                                "corpus-level tables (scores, confusion, calibration), in flat "
                                "memory, for corpora larger than memory")
            t.set_defaults(func=run_classification)
        t.add_argument("--chunk-size", type=int, default=10_000, metavar="N",
                       help="with --stream: examples counted at a time (default 10000)")
        t.add_argument("--no-progress", action="store_true",
                       help="with --stream: hide the progress bar")
    p.set_defaults(func=_usage(p))


def _usage(parser: argparse.ArgumentParser):
    def run(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2
    return run


def _exists(path: Path | None, option: str) -> None:
    if path is not None and not path.exists():
        raise InputError(Errors.E011.format(where=option, path=str(path)))


def _fmt(path: Path, explicit: str | None, allowed: tuple[str, ...] = NER_FORMATS) -> str:
    if explicit:
        return explicit
    from ..io import guess_format
    fmt = guess_format(path)  # by extension, else by content (E008 says what to pass)
    if fmt not in allowed:
        raise InputError(Errors.E401.format(
            where="nlperr analyze",
            message=f"{str(path)!r} looks like {fmt}, which this analysis does not read; "
                    f"pass --format {'|'.join(allowed)} if it is one of those"))
    return fmt


def _slices(value: str | None):
    if value is None:
        return None
    if value.strip().lower() == "none":
        return ()
    return tuple(s.strip() for s in value.split(",") if s.strip())


def _predict(args, gold, task: str):
    from ..adapters import load_model
    from ..engine import predict
    model = load_model(args.model, task=task, label_map=args.label_map, unmapped=args.unmapped,
                       lazy=True)
    return predict(model, gold, batch_size=args.batch_size, cache=not args.no_cache,
                   progress=None, **engine_options(args))


def _zero_division(value: str) -> object:
    return {"warn": "warn", "0": 0, "1": 1, "nan": float("nan")}[value]


def _check_model_options(args, where: str) -> None:
    if args.model is None and args.label_map is not None:
        raise InputError(Errors.E401.format(where=where, message="--label-map applies to "
                                            "--model predictions; rename labels in the "
                                            "prediction file instead, or pass --model SPEC"))
    if args.model is None and not args.stream and engine_options(args) != {"engine": "local"}:
        raise InputError(Errors.E401.format(where=where, message="--engine, --address, "
                                            "--workers and --gpus-per-worker run the --model "
                                            "predictions (or, with --stream, the counting); "
                                            "without --model nothing is predicted"))


def _load_ner(path: Path, fmt: str, args, *, column: int | None, lenient: bool):
    from ..io import load
    enc = encoding_options(args)
    if fmt == "conll":  # the analysis needs tokens and tags only, not the other columns
        return load(path, format=fmt, tag_column=column, scheme=args.scheme, strict=not lenient,
                    keep_columns=False, **enc)
    if fmt in ("hipe", "jsonl"):
        return load(path, format=fmt, **enc)
    return load(path, format=fmt)


def _load_two(first, second):
    """``(first(), second())``, the second read on a thread meanwhile: the readers'
    array work runs without the GIL, so two files read in less than twice the time.
    The same readers and results as one after the other; an error of the first
    file is raised first."""
    from .._flow import Background
    other = Background(second)
    try:
        a = first()
    except BaseException:
        other.wait()
        raise
    return a, other.result()


def run_ner(args: argparse.Namespace) -> int:
    # one short process that builds millions of small acyclic objects (tokens, spans):
    # the cyclic garbage collector would walk them again and again for nothing
    with no_gc():
        return _run_ner(args)


def run_classification(args: argparse.Namespace) -> int:
    with no_gc():
        return _run_classification(args)


def _run_ner(args: argparse.Namespace) -> int:
    from ..analysis import analyze_ner
    for path, opt in ((args.gold, "--gold"), (args.pred, "--pred"), (args.train, "--train"),
                      (args.baseline, "--baseline")):
        _exists(path, opt)
    check_output_dir(args.out, inputs=[args.gold, args.pred, args.train, args.baseline],
                     overwrite=args.overwrite)
    if args.pred is not None and args.model is not None:
        raise InputError(Errors.E401.format(where="nlperr analyze ner",
                                            message="pass --pred or --model, not both"))
    _check_model_options(args, "nlperr analyze ner")
    fmt = _fmt(args.gold, args.format)
    single = args.pred is None and args.model is None
    if args.stream:
        return _run_ner_stream(args, fmt, single)
    if single and fmt != "conll":
        raise InputError(Errors.E401.format(
            where="nlperr analyze ner",
            message=f"a {fmt} gold file holds no second (predicted) annotation; pass --pred "
                    f"FILE or --model SPEC"))
    gold_col = args.gold_column if args.gold_column is not None else (-2 if single else -1)
    if single:
        gold, pred = _load_two(lambda: _load_ner(args.gold, fmt, args, column=gold_col,
                                                 lenient=False),
                               lambda: _load_ner(args.gold, fmt, args, column=args.pred_column,
                                                 lenient=True))
    elif args.pred is not None:
        pred_fmt = _fmt(args.pred, args.format)
        gold, pred = _load_two(lambda: _load_ner(args.gold, fmt, args, column=gold_col,
                                                 lenient=False),
                               lambda: _load_ner(args.pred, pred_fmt, args,
                                                 column=args.pred_column, lenient=True))
    else:
        gold = _load_ner(args.gold, fmt, args, column=gold_col, lenient=False)
        pred = _predict(args, gold, "ner")
    train = None
    if args.train is not None:
        train = _load_ner(args.train, _fmt(args.train, args.format), args, column=-1,
                          lenient=False)
    baseline = None
    if args.baseline is not None:
        baseline = _load_ner(args.baseline, _fmt(args.baseline, args.format), args,
                             column=args.pred_column, lenient=True)
    groups = []
    for g in args.group:
        parts = [x.strip() for x in g.split(",") if x.strip()]
        groups.append(parts[0] if len(parts) == 1 else parts)
    report = analyze_ner(gold, pred, train=train, baseline=baseline, groups=groups,
                         slices=_slices(args.slices), n_boot=args.n_boot, seed=args.seed,
                         context=args.context, top=args.top,
                         zero_division=_zero_division(args.zero_division))
    return _save_ner(report, args, "nlperr analyze ner")


def _save_ner(report, args: argparse.Namespace, what: str) -> int:
    report.save(args.out, parquet=args.parquet and not args.no_parquet, html=args.html)
    o = report.summary["overall"]
    print(f"{what}: {report.summary['n_examples']} examples, strict F1 "
          f"{o['f1']:.4f} (P {o['precision']:.4f}, R {o['recall']:.4f}) -> {args.out}",
          file=sys.stderr)
    return 0


_STREAMED = ("conll", "jsonl", "hipe")  # formats read line by line (iter_conll, ...)


def _stream_ner(path: Path, fmt: str, args, *, column: int | None, lenient: bool):
    from .. import io
    if fmt not in _STREAMED:
        raise InputError(Errors.E401.format(
            where="nlperr analyze ner --stream",
            message=f"{path.name} is a {fmt} file, which is read whole; --stream reads CoNLL, "
                    f"HIPE and JSONL files line by line. Drop --stream, or convert the file "
                    f"(nlperr convert)"))
    enc = encoding_options(args)
    if fmt == "conll":  # iter_conll's examples; Ray workers can read its byte ranges
        return io.ConllStream(path, tag_column=column, scheme=args.scheme, strict=not lenient,
                              keep_columns=False, **enc)  # the counts need no other column
    if fmt == "hipe":
        return io.iter_hipe(path, **enc)
    return io.JsonlStream(path, **enc)  # iter_jsonl's examples; or read in byte ranges


def _count_engine(args: argparse.Namespace, where: str) -> dict:
    """The engine options of a streamed analysis: its chunks are counted on Ray workers
    with ``--engine ray``; no model runs, so there is nothing to put on a GPU."""
    opts = engine_options(args)
    if opts.pop("gpus_per_worker", 0):
        raise InputError(Errors.E401.format(
            where=where, message="--gpus-per-worker places a model on GPUs; --stream runs no "
                                 "model (its counting runs on CPUs). Drop --gpus-per-worker"))
    return opts


def _check_stream_options(args: argparse.Namespace, where: str) -> None:
    """``--stream`` computes the corpus-level tables only: refuse what needs the corpus."""
    given = [opt for opt, v in (("--model", args.model), ("--train", args.train),
                                ("--baseline", args.baseline),
                                ("--group", getattr(args, "group", None)),
                                ("--slices", args.slices)) if v]
    if given:
        raise InputError(Errors.E401.format(
            where=where,
            message=f"{', '.join(given)} need(s) the whole corpus in memory; --stream computes "
                    f"the corpus-level tables only. Drop --stream, or drop "
                    f"{', '.join(given)}"))
    if isinstance(args.chunk_size, bool) or args.chunk_size < 1:
        raise InputError(Errors.E401.format(where=where,
                                            message="--chunk-size must be a positive integer"))


def _run_ner_stream(args: argparse.Namespace, fmt: str, single: bool) -> int:
    """``--stream``: :func:`~nlperr.analysis.analyze_ner_stream` over the two files."""
    from ..analysis import analyze_ner_stream
    _check_stream_options(args, "nlperr analyze ner --stream")
    gold_col = args.gold_column if args.gold_column is not None else (-2 if single else -1)
    gold = _stream_ner(args.gold, fmt, args, column=gold_col, lenient=False)
    if single:
        pred = _stream_ner(args.gold, fmt, args, column=args.pred_column, lenient=True)
    else:
        pred = _stream_ner(args.pred, _fmt(args.pred, args.format), args,
                           column=args.pred_column, lenient=True)
    report = analyze_ner_stream(gold, pred, chunk_size=args.chunk_size,
                                zero_division=_zero_division(args.zero_division),
                                progress=False if args.no_progress else None,
                                **_count_engine(args, "nlperr analyze ner --stream"))
    return _save_ner(report, args, "nlperr analyze ner --stream")


def _csv_columns(path: Path, encoding: str = "utf-8") -> list[str]:
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        return next(csv.reader(fh), [])


def _cls_label_column(path: Path, args, *, pred: bool) -> str:
    if not pred:
        return args.label_column
    if args.pred_label_column is not None:
        return args.pred_label_column
    return ("pred_label" if "pred_label" in _csv_columns(path, args.encoding)
            else args.label_column)


def _load_cls(path: Path, fmt: str, args, *, pred: bool):
    from ..io import load
    if fmt == "csv":
        # prob_<label> columns become Example.probs in the library reader
        return load(path, format="csv", text_column=args.text_column,
                    label_column=_cls_label_column(path, args, pred=pred),
                    **encoding_options(args))
    if fmt == "jsonl":
        return load(path, format=fmt, **encoding_options(args))
    return load(path, format=fmt)


def _stream_cls(path: Path, fmt: str, args, *, pred: bool):
    from .. import io
    if fmt == "csv":  # iter_csv's examples; or read in byte ranges by Ray workers
        return io.CsvStream(path, text_column=args.text_column,
                            label_column=_cls_label_column(path, args, pred=pred),
                            **encoding_options(args))
    if fmt == "jsonl":  # iter_jsonl's examples; or read in byte ranges by Ray workers
        return io.JsonlStream(path, **encoding_options(args))
    raise InputError(Errors.E401.format(
        where="nlperr analyze classification --stream",
        message=f"{path.name} is a {fmt} file, which is read whole; --stream reads CSV and "
                f"JSONL files row by row. Drop --stream, or convert the file (nlperr convert)"))


def _run_classification_stream(args: argparse.Namespace, fmt: str) -> int:
    """``--stream``: :func:`~nlperr.analysis.analyze_classification_stream` over the files."""
    from ..analysis import analyze_classification_stream
    where = "nlperr analyze classification --stream"
    _check_stream_options(args, where)
    gold = _stream_cls(args.gold, fmt, args, pred=False)
    if args.pred is not None:
        pred = _stream_cls(args.pred, _fmt(args.pred, args.format, CLS_FORMATS), args,
                           pred=True)
    elif fmt == "csv":
        pred = _stream_cls(args.gold, fmt, args, pred=True)
    else:
        raise InputError(Errors.E401.format(
            where=where, message="pass --pred FILE (only a CSV gold file can also hold the "
                                 "predictions)"))
    report = analyze_classification_stream(gold, pred, n_bins=args.n_bins,
                                           chunk_size=args.chunk_size,
                                           zero_division=_zero_division(args.zero_division),
                                           progress=False if args.no_progress else None,
                                           **_count_engine(args, where))
    return _save_cls(report, args, where)


def _save_cls(report, args: argparse.Namespace, what: str) -> int:
    report.save(args.out, parquet=args.parquet and not args.no_parquet, html=args.html)
    print(f"{what}: {report.summary['n_examples']} examples, accuracy "
          f"{report.summary['accuracy']:.4f} -> {args.out}", file=sys.stderr)
    return 0


def _run_classification(args: argparse.Namespace) -> int:
    from ..analysis import analyze_classification
    for path, opt in ((args.gold, "--gold"), (args.pred, "--pred"), (args.train, "--train"),
                      (args.baseline, "--baseline")):
        _exists(path, opt)
    check_output_dir(args.out, inputs=[args.gold, args.pred, args.train, args.baseline],
                     overwrite=args.overwrite)
    if args.pred is not None and args.model is not None:
        raise InputError(Errors.E401.format(where="nlperr analyze classification",
                                            message="pass --pred or --model, not both"))
    _check_model_options(args, "nlperr analyze classification")
    fmt = _fmt(args.gold, args.format, CLS_FORMATS)
    if args.stream:
        return _run_classification_stream(args, fmt)
    gold = _load_cls(args.gold, fmt, args, pred=False)
    if args.pred is not None:
        pred = _load_cls(args.pred, _fmt(args.pred, args.format, CLS_FORMATS), args, pred=True)
    elif args.model is not None:
        pred = _predict(args, gold, "classification")
    else:
        if fmt != "csv":
            raise InputError(Errors.E401.format(
                where="nlperr analyze classification",
                message="pass --pred FILE or --model SPEC (only a CSV gold file can also "
                        "hold the predictions)"))
        pred = _load_cls(args.gold, fmt, args, pred=True)
    train = _load_cls(args.train, _fmt(args.train, args.format, CLS_FORMATS), args, pred=False) \
        if args.train is not None else None
    baseline = _load_cls(args.baseline, _fmt(args.baseline, args.format, CLS_FORMATS), args,
                          pred=True) \
        if args.baseline is not None else None
    report = analyze_classification(gold, pred, train=train, baseline=baseline,
                                    slices=_slices(args.slices), n_bins=args.n_bins,
                                    n_boot=args.n_boot, seed=args.seed, top=args.top,
                                    zero_division=_zero_division(args.zero_division))
    return _save_cls(report, args, "nlperr analyze classification")
