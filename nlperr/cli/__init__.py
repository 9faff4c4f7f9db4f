"""The ``nlperr`` command line.

Each sub-command lives in its own module ``nlperr.cli.<name>`` exposing
``add_parser(subparsers)``; the parser's ``func(args) -> int`` runs it.  Sub-commands
are thin wrappers around library functions.

Exit codes: 0 success, 1 a check failed (e.g. a suite below its pass rate),
2 usage or input error.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from ..about import __version__
from ..errors import NlperrError, NlperrWarning

__all__ = ["main", "build_parser"]

# Sub-command modules, in --help order.  A module that is missing is skipped.
COMMANDS = ("predict", "analyze", "suite", "ocr", "train")

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nlperr",
        description="Error analysis for NLP models: predictions, error taxonomies, "
                    "behavioral suites and OCR-noise diagnostics.",
    )
    parser.add_argument("--version", action="version", version=f"nlperr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def _show_warnings(command: str) -> None:
    """Print nlperr's warnings as ``nlperr CMD: warning: ...`` (no source line);
    other warnings keep Python's format."""
    default = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        if issubclass(category, NlperrWarning):
            print(f"nlperr {command}: warning: {message}", file=file or sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    warnings.showwarning = show


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    previous = warnings.showwarning
    _show_warnings(args.command)
    try:
        return int(args.func(args) or 0)
    except NlperrError as e:
        print(f"nlperr {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError as e:
        print(f"nlperr {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:  # pragma: no cover
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = previous


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
