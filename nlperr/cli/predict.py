"""``nlperr predict``: run a model over a file and write its predictions.

The output keeps the input's format: CoNLL in -> CoNLL out (tokens, gold tags
when present, predicted tags last, IOB2); JSONL in -> JSONL out with the
predictions in ``spans`` (gold kept as ``gold_spans``); CSV in -> CSV out with
``pred_label`` and ``prob_<label>`` columns; HIPE in -> HIPE system output;
``.spacy`` in -> ``.spacy`` out holding the predicted docs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import Errors, InputError

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
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    p.add_argument("--scheme", default=None,
                   help="tagging scheme of the input's tags (CoNLL; default: detected)")
    p.add_argument("--tag-column", type=int, default=-1,
                   help="CoNLL column holding the gold tags (default: last)")
    p.add_argument("--text-column", default="text", help="CSV column holding the text")
    p.add_argument("--label-column", default="label", help="CSV column holding the gold label")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=run)


def _detect_format(path: Path, explicit: str | None) -> str:
    if explicit:
        return explicit
    from ..io import guess_format

    return guess_format(path)


def _reader_options(fmt: str, args: argparse.Namespace) -> dict:
    if fmt == "conll":
        return {"tag_column": args.tag_column, "scheme": args.scheme}
    if fmt == "csv":
        return {"text_column": args.text_column, "label_column": args.label_column}
    return {}


def run(args: argparse.Namespace) -> int:
    from .. import io
    from ..adapters import load_model
    from ..engine import Predictor

    if args.batch_size is not None and args.batch_size < 1:
        raise InputError(Errors.E301.format(value=args.batch_size))
    if not args.input.exists():
        raise InputError(Errors.E011.format(where="--input", path=str(args.input)))
    fmt = _detect_format(args.input, args.format)
    started = time.perf_counter()
    examples = io.load(args.input, format=fmt, **_reader_options(fmt, args))
    model = load_model(args.model, task=args.task, label_map=args.label_map,
                       unmapped=args.unmapped, device=args.device, lazy=True)
    predictor = Predictor(model, cache=not args.no_cache, cache_dir=args.cache_dir,
                          batch_size=args.batch_size, progress=False if args.no_progress else None)
    preds = predictor.predict(examples)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("conll", "jsonl", "csv"):
        io.save(examples, args.output, format=fmt, predictions=preds)
    else:  # hipe system output, spaCy DocBin of predicted docs
        io.save(preds, args.output, format=fmt)
    s = predictor.stats
    print(f"nlperr predict: {len(examples)} examples ({s['unique']} unique, "
          f"{s['cache_hits']} from cache, {s['computed']} computed) in "
          f"{time.perf_counter() - started:.2f}s -> {args.output}", file=sys.stderr)
    return 0
