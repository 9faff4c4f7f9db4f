"""``--engine local|ray [--address ADDR] [--workers N] [--gpus-per-worker G]`` for corpus commands.

Shared by ``predict``, ``suite run``, ``ocr stats`` and ``analyze`` (the ``--model``
predictions; with ``--stream``, the counting of each chunk); the options are passed
unchanged to the library (:func:`nlperr.engine.make_predictor`,
:func:`nlperr.ocr.corpus_stats`, :func:`nlperr.analysis.analyze_ner_stream`), which
checks them.
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_engine_options", "engine_options"]


def add_engine_options(p: argparse.ArgumentParser, *, gpus: bool = True) -> None:
    g = p.add_argument_group("scale-out (docs/scale.md)")
    g.add_argument("--engine", choices=("local", "ray"), default="local",
                   help="where the work runs: this process (default) or a Ray cluster "
                        "(pip install 'nlperr[ray]')")
    g.add_argument("--address", default=None, metavar="ADDR",
                   help="with --engine ray: the cluster to join ('auto', 'ray://HOST:10001'; "
                        "default: a local Ray instance)")
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="with --engine ray: Ray workers (default: one per CPU of the cluster)")
    if gpus:
        g.add_argument("--gpus-per-worker", type=float, default=0, metavar="G",
                       help="with --engine ray: GPUs per model worker (default 0)")


def engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments for the library call (empty for the local engine's defaults)."""
    opts: dict[str, Any] = {"engine": args.engine}
    if args.address is not None:
        opts["address"] = args.address
    if args.workers is not None:
        opts["workers"] = args.workers
    gpus = getattr(args, "gpus_per_worker", 0)
    if gpus:
        opts["gpus_per_worker"] = gpus
    return opts
