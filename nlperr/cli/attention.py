"""``nlperr attention``: attention inspection of a Hugging Face model.

    nlperr attention --model hf:PATH --input FILE [--format F] [--gold FILE]
                     [--max-examples N] [--batch-size N] [--map-example I] [--rollout]
                     --out DIR

Writes ``DIR/heads.csv`` (one row per layer and head: ``layer``, ``head``,
``entropy``, ``cls_mass``, ``sep_mass``, ``self_mass``, ``prev_mass``,
``next_mass``, ``punct_mass``, ``special_mass``, ``mean_distance``,
``queries``), ``DIR/summary.json`` (``model``, ``examples``, ``layers``,
``heads``...), the word map of one example (``map_words.csv``,
``map_weights.csv``), PNG figures and a self-contained ``DIR/index.html``.
With ``--gold`` (gold annotations of the same examples) also
``DIR/contrast.csv``, ``units.csv`` and ``features.csv``: errors versus correct
per head.  See docs/attention.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("attention", help="attention inspection of a Hugging Face model",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, metavar="SPEC", help="hf:PATH")
    p.add_argument("--input", required=True, type=Path, metavar="FILE",
                   help="examples (conll, jsonl, csv, spacy, hipe)")
    p.add_argument("--format", default=None, help="format of --input and --gold "
                                                  "(default: from the extension)")
    p.add_argument("--gold", type=Path, default=None, metavar="FILE",
                   help="gold annotations of the same examples: adds the error-vs-correct "
                        "contrast (predictions by the model, cached)")
    p.add_argument("--max-examples", type=int, default=None, metavar="N")
    p.add_argument("--batch-size", type=int, default=None, metavar="N")
    p.add_argument("--map-example", type=int, default=0, metavar="I",
                   help="index of the example whose word-level map is drawn (default 0)")
    p.add_argument("--rollout", action="store_true", help="draw the attention rollout")
    p.add_argument("--no-cache", action="store_true", help="no prediction cache")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    from ._output import add_overwrite_argument
    add_overwrite_argument(p)
    p.set_defaults(func=run)


def read_examples(path: Path, fmt: str | None, option: str) -> list:
    """Examples of *path* through :func:`nlperr.load` (E011 when it does not exist)."""
    from ..errors import Errors, InputError
    from ..io import load

    if not path.exists():
        raise InputError(Errors.E011.format(where=option, path=str(path)))
    return load(path, format=fmt)


def run(args: argparse.Namespace) -> int:
    from ..attention import inspect_attention, write_page
    from ._output import check_output_dir

    check_output_dir(args.out, inputs=[args.input, args.gold], overwrite=args.overwrite)
    examples = read_examples(args.input, args.format, "--input")
    gold = read_examples(args.gold, args.format, "--gold") if args.gold else None
    res = inspect_attention(args.model, examples, gold=gold, max_examples=args.max_examples,
                            batch_size=args.batch_size, map_example=args.map_example,
                            rollout=args.rollout, cache=not args.no_cache)
    res.save(args.out, formats=("json", "csv"))
    write_page(res, args.out)
    s = res.summary
    extra = ""
    if "contrast" in s:
        c = s["contrast"]
        extra = (f"; {c['error_units']} error / {c['correct_units']} correct cases, "
                 f"{c['significant']} significant (feature, head) rows")
    print(f"nlperr attention: {s['examples']} examples, {s['layers']} layers x {s['heads']} "
          f"heads{extra} -> {args.out}/heads.csv, index.html")
    return 0
