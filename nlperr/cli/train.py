"""``nlperr train`` -- training diagnostics.

* ``nlperr train check --model hf:PATH --data FILE [--format F] [--task sequence|token]
  [--batch-size N] [--max-batches N] [--max-length N] [--lr LR] --out DIR``: the checks
  before training; writes ``DIR/summary.json`` (``checks``: a list of ``{name, status,
  value, expected, detail, fix}``), ``DIR/layers.csv`` and the other tables; exit 1
  when a check fails.
* ``nlperr train curves FILE --out DIR``: loss-curve findings from
  ``trainer_state.json`` or a CSV/JSON log; writes ``DIR/summary.json`` (``findings``:
  a list of ``{kind, start_step, end_step, severity, detail}``), ``DIR/curves.csv``,
  ``DIR/findings.csv`` and ``DIR/loss_curves.png`` (with matplotlib).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._output import add_overwrite_argument, check_output_dir

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("train", help="training diagnostics (checks before training, "
                                            "loss-curve findings)")
    sub = p.add_subparsers(dest="train_command", metavar="TRAIN_COMMAND")
    ck = sub.add_parser("check", help="sanity checks of a model on a few real batches")
    ck.add_argument("--model", required=True, metavar="SPEC", help="hf:PATH")
    ck.add_argument("--data", required=True, metavar="FILE",
                    help="labelled data (CoNLL for token, CSV/JSONL with a label for sequence)")
    ck.add_argument("--format", help="data format (default: from the extension)")
    ck.add_argument("--task", choices=["sequence", "token"],
                    help="default: the model's task")
    ck.add_argument("--batch-size", type=int, default=8)
    ck.add_argument("--max-batches", type=int, default=4)
    ck.add_argument("--max-length", type=int, default=64, help="subword pieces per example")
    ck.add_argument("--lr", type=float, default=5e-5,
                    help="the learning rate you plan to train with (default 5e-5)")
    ck.add_argument("--seed", type=int, default=0)
    ck.add_argument("--device", default=None, help="cpu, cuda, mps (default: auto)")
    ck.add_argument("--out", required=True, metavar="DIR")
    add_overwrite_argument(ck)
    ck.add_argument("--no-figures", action="store_true", help="do not write PNG plots")
    ck.set_defaults(func=_check)
    cv = sub.add_parser("curves", help="diagnose loss curves (trainer_state.json, CSV, JSON)")
    cv.add_argument("file", metavar="FILE",
                    help="trainer_state.json (or its checkpoint folder), CSV or JSON log")
    cv.add_argument("--out", required=True, metavar="DIR")
    add_overwrite_argument(cv)
    cv.add_argument("--no-figures", action="store_true", help="do not write PNG plots")
    cv.set_defaults(func=_curves)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _save(result: Any, out: Path, figures: bool) -> list[str]:
    result.save(out, formats=("json", "csv"))
    written = []
    if figures:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            return written
        for name, fig in result.figures.items():
            path = out / f"{name}.png"
            fig().savefig(path, dpi=100, bbox_inches="tight")
            written.append(path.name)
    return written


def _check(args: argparse.Namespace) -> int:
    from ..training import check_model

    check_output_dir(args.out, inputs=[args.data], overwrite=args.overwrite)
    res = check_model(args.model, args.data, format=args.format, task=args.task,
                      batch_size=args.batch_size, max_batches=args.max_batches,
                      max_length=args.max_length, lr=args.lr, seed=args.seed,
                      device=args.device)
    out = Path(args.out)
    _save(res, out, not args.no_figures)
    for c in res.summary["checks"]:
        print(f"{c['status'].upper():5} {c['name']}: {c['detail']}")
    failed = res.summary["failed"]
    print(f"nlperr train check: {len(res.summary['checks'])} checks, "
          f"{len(failed)} failed{': ' + ', '.join(failed) if failed else ''} -> {out}/summary.json")
    return 1 if failed else 0


def _curves(args: argparse.Namespace) -> int:
    from ..training import diagnose_curves

    check_output_dir(args.out, inputs=[args.file], overwrite=args.overwrite)
    res = diagnose_curves(args.file)
    out = Path(args.out)
    _save(res, out, not args.no_figures)
    for f in res.summary["findings"]:
        print(f"{f['severity']:8} {f['kind']} (steps {f['start_step']}-{f['end_step']}): "
              f"{f['detail']}")
    print(f"nlperr train curves: {len(res.summary['findings'])} finding(s) -> {out}/summary.json")
    return 0
