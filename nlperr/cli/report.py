"""``nlperr report``: one report from one or more saved result folders.

    nlperr report DIR [DIR...] --out FILE.html [--format html|md] [--no-timestamp]

Each DIR is a folder written by an nlperr command's ``--out`` (or by
``Result.save``): any mix of kinds (analyze, suite run, ocr stats / compare,
and later results).  ``--format html`` (default) writes one self-contained
page (several results become tabs); ``--format md`` writes Markdown for a
pull-request comment (at most 60,000 characters).  See docs/reports.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("report", help="one HTML or Markdown report from saved result folders",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dirs", nargs="+", metavar="DIR", help="saved result folders (hold result.json)")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="the report file to write")
    p.add_argument("--format", choices=("html", "md"), default="html",
                   help="html (default): one self-contained page; md: Markdown")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--max-rows", type=int, default=None, metavar="N",
                   help="table rows shown inline (default: 50 in HTML, 20 in Markdown)")
    p.add_argument("--no-timestamp", action="store_true",
                   help="leave the generation time out (the page depends only on the results)")
    p.add_argument("--figure-format", choices=("svg", "png"), default="svg",
                   help="how HTML figures are embedded (default svg)")
    from ._output import add_overwrite_argument
    add_overwrite_argument(p)
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from ..report import report_from_dirs
    from ..results import atomic_write_text
    from ._output import check_output_file, record_written

    options: dict[str, Any] = {}
    if args.max_rows is not None:
        options["max_rows"] = args.max_rows
    if args.format == "html":
        options["figure_format"] = args.figure_format
    text = report_from_dirs(args.dirs, format=args.format, title=args.title,
                            timestamp=not args.no_timestamp, **options)
    # the inputs are checked first (E801/E805), then the output
    check_output_file(args.out, inputs=args.dirs, overwrite=args.overwrite)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, text)
    record_written(args.out)
    print(f"nlperr report: {len(args.dirs)} result(s) -> {args.out} ({len(text.encode('utf-8')):,} bytes)",
          file=sys.stderr)
    return 0
