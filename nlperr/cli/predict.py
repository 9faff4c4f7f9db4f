"""``nlperr predict``: run a model over a file and write its predictions.

The output keeps the input's format: CoNLL in -> CoNLL out (tokens, gold tags
when present, predicted tags last, IOB2); JSONL in -> JSONL out with the
predictions in ``spans`` / ``label`` + ``probs`` (gold kept as ``gold_spans`` /
``gold_label``); CSV in -> CSV out with ``pred_label`` and ``prob_<label>``
columns last; HIPE in -> HIPE system output (predicted tags in --tag-column, the
other NE/NEL columns ``_``, MISC kept); ``.spacy`` in -> ``.spacy`` out with the
predictions in ``doc.ents`` / ``doc.cats`` and the gold in ``doc.spans["gold"]``.

CoNLL, HIPE and JSONL inputs are streamed (--chunk-size examples in memory at a
time).  The output file is replaced only when the run succeeds.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import Errors, InputError, NlperrError
from ..io._atomic import atomic_output
from ._output import (add_encoding_arguments, add_overwrite_argument, check_output_file,
                      encoding_options, record_written)
from ._engine import add_engine_options, engine_options

FORMATS = ("conll", "hipe", "jsonl", "spacy", "csv")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="run a model over a file and write its predictions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--model", required=True, metavar="SPEC",
                   help="spacy:NAME_OR_PATH, hf:PATH or callable:module:function")
    p.add_argument("--input", required=True, type=Path, metavar="FILE", help="input data file")
    p.add_argument("--output", required=True, type=Path, metavar="FILE",
                   help="where to write the predictions (same format as the input)")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="input/output format (default: from the file extension)")
    p.add_argument("--label-map", metavar="JSON_OR_FILE", default=None,
                   help='map model labels to yours, e.g. \'{"PERSON": "PER"}\' or a JSON file')
    p.add_argument("--unmapped", choices=("keep", "drop", "error"), default="keep",
                   help="what to do with labels missing from --label-map (default: keep)")
    p.add_argument("--task", choices=("ner", "classification"), default=None,
                   help="override the task detected from the model")
    p.add_argument("--batch-size", type=int, default=None, metavar="N",
                   help="examples per batch (default: the adapter's)")
    p.add_argument("--no-cache", action="store_true",
                   help="neither read nor write the on-disk prediction cache")
    p.add_argument("--cache-dir", type=Path, default=None,
                   help="prediction cache folder (default: $NLPERR_CACHE_DIR or ~/.cache/nlperr)")
    p.add_argument("--device", default=None,
                   help="cpu, gpu, cuda, cuda:1, mps (default: best available)")
    p.add_argument("--scheme", default=None,
                   help="tagging scheme of the input's tags (CoNLL; default: detected)")
    p.add_argument("--tag-column", default=None, metavar="COLUMN",
                   help="column of the gold tags: CoNLL an index (default -1, the last); "
                        "HIPE a column name, also the one predictions are written to "
                        "(default NE-COARSE-LIT)")
    p.add_argument("--lenient", action="store_true",
                   help="read invalid tag sequences the conlleval way and drop overlapping "
                        "spans, with a warning (CoNLL, HIPE, JSONL; default: error)")
    p.add_argument("--chunk-size", type=int, default=10_000, metavar="N",
                   help="CoNLL/JSONL are streamed: examples held in memory at a time "
                        "(default 10000)")
    p.add_argument("--text-column", default="text", help="CSV column holding the text")
    p.add_argument("--label-column", default="label", help="CSV column holding the gold label")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_encoding_arguments(p)
    add_overwrite_argument(p)
    add_engine_options(p)
    p.set_defaults(func=run)


def _detect_format(path: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    from ..io import guess_format

    return guess_format(path)


def _tag_column(fmt: str, value: str | None) -> int | str | None:
    if fmt == "conll":
        if value is None:
            return -1
        try:
            return int(value)
        except ValueError:
            raise InputError(Errors.E207.format(value=value, option="--tag-column",
                                                allowed="a column index for CoNLL, e.g. 1 or "
                                                        "-1")) from None
    if fmt == "hipe":
        from ..io import NE_COLUMNS

        if value is None:
            return "NE-COARSE-LIT"
        if value not in NE_COLUMNS:
            raise InputError(Errors.E207.format(value=value, option="--tag-column",
                                                allowed=list(NE_COLUMNS)))
        return value
    if value is not None:
        raise InputError(Errors.E207.format(value=value, option="--tag-column",
                                            allowed="nothing: only CoNLL and HIPE input have "
                                                    "tag columns"))
    return None


def _reader_options(fmt: str, args: argparse.Namespace, column: int | str | None) -> dict:
    enc = encoding_options(args)
    if fmt == "conll":
        return {"tag_column": column, "scheme": args.scheme, "strict": not args.lenient, **enc}
    if fmt == "hipe":
        return {"column": column, "strict": not args.lenient, **enc}
    if fmt == "jsonl":
        return {"strict": not args.lenient, **enc}
    if fmt == "csv":
        return {"text_column": args.text_column, "label_column": args.label_column,
                "encoding": args.encoding}
    return {}


@contextlib.contextmanager
def _atomic_output(path: Path) -> Iterator[Path]:
    """A temporary file next to *path*, moved onto it only when writing succeeded
    (a failed or interrupted run leaves no half-written output)."""
    with atomic_output(path) as tmp:
        try:
            yield tmp
        except NlperrError as e:  # a message names the output the user gave, not the .part file
            e.args = tuple(a.replace(str(tmp), str(path)) if isinstance(a, str) else a
                           for a in e.args)
            raise


def _streamed_pairs(predictor, source: Iterable, chunk_size: int) -> Iterator[tuple]:
    """``(gold, predicted)`` pairs in input order, reading *source* lazily."""
    pending: collections.deque = collections.deque()

    def feed():
        for ex in source:
            pending.append(ex)
            yield ex

    for pred in predictor.predict_iter(feed(), chunk_size=chunk_size):
        yield pending.popleft(), pred


def run(args: argparse.Namespace) -> int:
    from .. import io
    from ..adapters import load_model
    from ..engine import check_task, make_predictor

    if args.chunk_size < 1:
        raise InputError(Errors.E207.format(value=args.chunk_size, option="--chunk-size",
                                            allowed="positive integers"))
    if not args.input.exists():
        raise InputError(Errors.E011.format(where="--input", path=str(args.input)))
    check_output_file(args.output, option="--output", inputs=[args.input],
                      overwrite=args.overwrite)
    fmt = _detect_format(args.input, args.format)
    column = _tag_column(fmt, args.tag_column)
    options = _reader_options(fmt, args, column)
    started = time.perf_counter()
    streamed = fmt in ("conll", "jsonl", "hipe")
    if streamed:  # checks the file now; reads it as the predictions are written
        source = io.get_format(fmt).streamer(args.input, **options)
    else:
        source = io.load(args.input, format=fmt, **options)
    model = load_model(args.model, task=args.task, label_map=args.label_map,
                       unmapped=args.unmapped, device=args.device, lazy=True)
    check_task(model.task, format=fmt, model=model, source=args.input)  # E221, up front
    with make_predictor(model, cache=not args.no_cache, cache_dir=args.cache_dir,
                        batch_size=args.batch_size, progress=False if args.no_progress else None,
                        **engine_options(args)) as predictor:
        with _atomic_output(args.output) as tmp:
            extra = {"column": column, "keep_columns": False} if fmt == "hipe" else {}
            if streamed:
                pairs = _streamed_pairs(predictor, source, args.chunk_size)
                a, b = itertools.tee(pairs)
                io.save((g for g, _ in a), tmp, format=fmt, predictions=(p for _, p in b),
                        **extra)
            else:
                preds = predictor.predict(source)
                io.save(source, tmp, format=fmt, predictions=preds, **extra)
        record_written(args.output)
        s = predictor.stats
    print(f"nlperr predict: {s['requested']} examples ({s['unique']} unique, "
          f"{s['cache_hits']} from cache, {s['computed']} computed) in "
          f"{time.perf_counter() - started:.2f}s -> {args.output}", file=sys.stderr)
    return 0
