"""``nlperr explain``: word attributions of a model's errors, aggregated.

    nlperr explain --model SPEC --input FILE [--format F] [--gold FILE]
                   [--method occlusion|integrated-gradients] [--mode remove|mask]
                   [--cases errors|all] [--steps N] [--max-examples N] [--batch-size N]
                   --out DIR

``--input`` holds the examples with their gold annotations, unless ``--gold``
gives them (same texts, same order).  Occlusion works with any model spec
(``spacy:``, ``hf:``, ``callable:``); integrated gradients with ``hf:`` models.
Writes ``DIR/attributions.csv`` (one row per case and word), ``DIR/cases.csv``,
``DIR/words.csv`` (the corpus-level word table), ``DIR/summary.json``, a PNG of
the strongest case and ``DIR/index.html``.  See docs/attention.md.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser("explain", help="word attributions of a model's errors (occlusion, "
                                       "integrated gradients)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, metavar="SPEC")
    p.add_argument("--input", required=True, type=Path, metavar="FILE")
    p.add_argument("--format", default=None, help="format of --input / --gold")
    p.add_argument("--gold", type=Path, default=None, metavar="FILE",
                   help="gold annotations of the --input examples")
    p.add_argument("--method", default="occlusion",
                   choices=("occlusion", "integrated-gradients"))
    p.add_argument("--mode", default="remove", choices=("remove", "mask"),
                   help="occlusion: delete the word or replace it by --mask-token")
    p.add_argument("--mask-token", default=None, help="occlusion --mode mask: replacement "
                                                      "(default: the tokenizer's mask token)")
    p.add_argument("--cases", default="errors", choices=("errors", "all"))
    p.add_argument("--steps", type=int, default=50, metavar="N",
                   help="integrated gradients: quadrature nodes (default 50)")
    p.add_argument("--baseline", default="pad", choices=("pad", "zero"),
                   help="integrated gradients: baseline embeddings (default pad)")
    p.add_argument("--max-examples", type=int, default=None, metavar="N")
    p.add_argument("--batch-size", type=int, default=None, metavar="N")
    p.add_argument("--no-cache", action="store_true", help="no prediction cache")
    p.add_argument("--out", required=True, type=Path, metavar="DIR")
    from ._output import add_overwrite_argument
    add_overwrite_argument(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..attention import write_page
    from ..errors import Errors, InputError
    from ..explain import explain
    from ._output import check_output_dir
    from .attention import read_examples

    check_output_dir(args.out, inputs=[args.input, getattr(args, "gold", None)],
                     overwrite=args.overwrite)

    if args.max_examples is not None and args.max_examples < 1:
        raise InputError(Errors.E856.format(option="--max-examples",
                                            expected="a positive integer", got=args.max_examples))
    examples = read_examples(args.input, args.format, "--input")
    if args.gold:
        gold = read_examples(args.gold, args.format, "--gold")
        from ..attention.contrast import _check_pairs

        _check_pairs(gold, examples, "nlperr explain (--gold vs --input)")
    else:
        gold = examples
    gold = list(itertools.islice(gold, args.max_examples))
    if args.method == "occlusion":
        options = {"mode": args.mode, "mask_token": args.mask_token}
    else:
        options = {"steps": args.steps, "baseline": args.baseline}
    res = explain(args.model, gold, method=args.method, cases=args.cases,
                  batch_size=args.batch_size, cache=not args.no_cache, **options)
    res.save(args.out, formats=("json", "csv"))
    write_page(res, args.out)
    s = res.summary
    top = res.tables["words"].head(3)["word"].tolist()
    print(f"nlperr explain: {s['cases']} case(s) in {s['examples']} examples ({s['method']}); "
          f"top words {top} -> {args.out}/words.csv, index.html")
    return 0
