"""``nlperr drift``: is the current data still the data the model was tested on?

    nlperr drift --reference FILE --current FILE [--format FMT] [--model SPEC]
                 [--window SPEC] [--alpha 0.05] [--seed N] [--tests T1,T2]
                 [--correction holm|bh|none] [--permutations N] [--max-texts N]
                 --out DIR

Writes ``DIR/summary.json`` (``drift``, ``alpha``, ``tests``: a list of ``{name,
window, statistic, p_value, adjusted_p_value, drift, ...}``), ``result.json``,
``summary.md`` and one CSV per table (``tests``, ``windows``, ``explanations``),
plus ``--figures`` PNGs.  Exit status: 0 no test drifts after the correction, 1
drift found, 2 bad input.  See docs/drift.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "drift", help="calibrated drift tests: current data against a reference",
        description="Compare a current set (production log) with a reference set: text "
                    "length, vocabulary, character classes, OCR garbage, a domain classifier, "
                    "embeddings (--model) and model outputs, per window, with one "
                    "multiple-testing correction.  Exit 0: no drift, 1: drift, 2: bad input.")
    p.add_argument("--reference", required=True, metavar="FILE",
                   help="reference data (any corpus format nlperr reads, or a JSONL/CSV log)")
    p.add_argument("--current", required=True, metavar="FILE",
                   help="current data (same kinds of files)")
    p.add_argument("--format", metavar="FMT", help="corpus format of both files "
                   "(default: from the extension; .jsonl/.csv are read as logs)")
    p.add_argument("--model", metavar="SPEC",
                   help="sentence-embedding model for the MMD test: 'minilm', 'hf:FOLDER' (or a "
                        "folder) or 'callable:module:function'")
    p.add_argument("--window", metavar="SPEC",
                   help="N examples, 'daily', 'weekly' or a pandas frequency ('1D', '12h')")
    p.add_argument("--alpha", type=float, default=0.05, help="level of the corrected decision")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--tests", metavar="T1,T2", help="comma-separated test names (default: all "
                   "the data allows)")
    p.add_argument("--correction", default="holm", help="holm (default), bh or none")
    p.add_argument("--permutations", type=int, metavar="N",
                   help="permutations per permutation test (default: automatic)")
    p.add_argument("--max-texts", type=int, metavar="N",
                   help="test a seeded uniform sample of at most N texts per side and window, "
                        "drawn while the files stream (flat memory on logs of any size; every "
                        "row is still read and checked); default: every text, read into memory")
    p.add_argument("--figures", action="store_true", help="also write PNG figures")
    p.add_argument("--out", required=True, metavar="DIR")
    from ._output import add_overwrite_argument
    add_overwrite_argument(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..drift import detect_drift
    from ._output import check_output_dir

    check_output_dir(args.out, inputs=[args.reference, args.current], overwrite=args.overwrite)

    tests = [t.strip() for t in args.tests.split(",") if t.strip()] if args.tests else None
    result = detect_drift(args.reference, args.current, model=args.model, window=args.window,
                          alpha=args.alpha, seed=args.seed, tests=tests,
                          correction=args.correction, n_permutations=args.permutations,
                          format=args.format, max_texts=args.max_texts)
    out = Path(args.out)
    result.save(out, formats=("json", "csv"))
    if args.figures:
        for name, fig in result.figures.items():
            fig().savefig(out / f"{name}.png", dpi=120)
    print(_summary_line(result.summary, out))
    return 1 if result.drift else 0


def _summary_line(s: dict[str, Any], out: Path) -> str:
    """``nlperr drift: DRIFT in 2 of 3 window(s) (oov_rate, ...); 500 of 1,287 current
    texts tested -> DIR``."""
    windows = {t["window"] for t in s["tests"] if t["drift"]}
    verdict = (f"DRIFT in {len(windows)} of {s['n_windows']} window(s) "
               f"({', '.join(s['drifting_tests'])})" if s["drift"] else
               f"no drift in {s['n_windows']} window(s)")
    tested = (f"{s['n_current']:,} of {s['n_current_seen']:,} current and "
              f"{s['n_reference']:,} of {s['n_reference_seen']:,} reference texts tested"
              if s.get("max_texts") else
              f"{s['n_current']:,} current vs {s['n_reference']:,} reference texts")
    return f"nlperr drift: {verdict}; {tested} -> {out}"
