"""The ``nlperr`` command line.

Each sub-command lives in its own module ``nlperr.cli.<name>`` exposing
``add_parser(subparsers)``; the parser's ``func(args) -> int`` runs it.  Sub-commands
are thin wrappers around library functions.

Exit codes (see docs/robustness.md):

* 0 -- success;
* 1 -- a check the user asked for failed (e.g. a suite below its pass rate);
* 2 -- bad usage or input: an :class:`~nlperr.errors.NlperrError`, an argparse error,
  an operating-system error on a user's path (missing, permission denied, is a
  directory, disk full...), input that does not decode, or memory exhausted by an
  input too large for this machine;
* 3 -- an internal error (a bug in nlperr): a short message on stderr, the traceback
  in a log file under ``$NLPERR_LOG_DIR`` (default: the temporary folder);
* 130 -- interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Sequence

from ..about import __version__
from ..errors import NlperrError, NlperrWarning

__all__ = ["main", "build_parser"]

# Sub-command modules, in --help order.  A module that is missing is skipped.
COMMANDS = ("predict", "analyze", "suite", "ocr", "report", "data", "drift", "attention",
            "explain", "train")

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130


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


def crash_log_dir() -> str:
    """Where :func:`main` writes the traceback of an internal error:
    ``$NLPERR_LOG_DIR`` when set, else the temporary folder."""
    return os.environ.get("NLPERR_LOG_DIR") or tempfile.gettempdir()


def _write_crash_log(command: str, argv: Sequence[str] | None) -> str | None:
    """Write the current exception's traceback to a new log file; return its path
    (None when even that fails)."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    text = (f"nlperr {__version__} -- internal error in `nlperr {command}`\n"
            f"time: {stamp}\npython: {sys.version.split()[0]} on {sys.platform}\n"
            f"argv: {list(sys.argv[1:] if argv is None else argv)!r}\n\n"
            + traceback.format_exc())
    try:
        folder = crash_log_dir()
        os.makedirs(folder, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix=f"nlperr-crash-{stamp}-", suffix=".log", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        return path
    except OSError:
        return None


def _outside_origin(e: BaseException) -> str | None:
    """``file:line`` of the innermost frame when it is outside the nlperr package and
    outside the standard library (user code or a third-party package), else None."""
    tb = traceback.extract_tb(e.__traceback__)
    if not tb:
        return None
    last = os.path.abspath(tb[-1].filename)
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    stdlib = os.path.dirname(os.path.abspath(os.__file__))
    if last.startswith(package + os.sep) or (last.startswith(stdlib + os.sep)
                                             and "site-packages" not in last):
        return None
    return f"{tb[-1].filename}:{tb[-1].lineno}"


def _user_os_error(e: OSError) -> str:
    """A one-line message for an operating-system error on a user's path."""
    what = e.strerror or type(e).__name__
    names = [n for n in (e.filename, e.filename2) if n is not None]
    return f"{what}: {' -> '.join(repr(os.fsdecode(n)) for n in names)}" if names else \
        f"{what} ({e})"


def _keep_freed_memory() -> None:
    """Ask glibc's allocator to keep the memory a command frees for its next arrays
    instead of returning it to the system (and to serve large arrays from that pool).

    A command builds and frees large arrays phase after phase (reading, analysis,
    writing); on many (virtual) machines the first touch of a fresh page costs more
    than the work done on it.  Only this process's allocator settings change -- no
    result does -- and only when the command line runs (``nlperr`` / ``python -m
    nlperr``), never on ``import nlperr``.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD: arrays up to 1 GiB from the reusable heap
    mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD: keep up to 1 GiB of freed memory
    mallopt(-8, 1)  # M_ARENA_MAX: threads share that one pool


def entry() -> int:
    """The ``nlperr`` command (console script and ``python -m nlperr``)."""
    _keep_freed_memory()
    return main()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (argparse errors raise SystemExit(2))."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    previous = warnings.showwarning
    _show_warnings(args.command)
    prefix = f"nlperr {args.command}"
    try:
        return int(args.func(args) or 0)
    except NlperrError as e:
        print(f"{prefix}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except UnicodeDecodeError as e:
        # a reader that let a decoding error through: still the input's bytes
        print(f"{prefix}: error: the input is not valid {e.encoding} ({e.reason} at byte "
              f"{e.start}). Pass its encoding with --encoding (e.g. latin-1, cp1252) "
              f"where the command has it, or convert the file to UTF-8.", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:
        # missing file, permission denied, is a directory, disk full, read-only disk...
        print(f"{prefix}: error: {_user_os_error(e)}. Check the path, its permissions and "
              f"the free disk space.", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print(f"{prefix}: error: out of memory. The input is too large for this machine: "
              f"split it, or lower the resource limits (see docs/robustness.md).",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - the last line of defence: a bug in nlperr
        log = _write_crash_log(args.command, argv)
        where = f"the traceback is in {log}" if log else "no log file could be written"
        origin = _outside_origin(e)
        advice = (f"It was raised outside nlperr, in {origin}: if that is your code (e.g. a "
                  f"callable: model), fix it there; otherwise this is a bug in nlperr, please "
                  f"report it" if origin else "This is a bug in nlperr, please report it")
        print(f"{prefix}: internal error: {type(e).__name__}: {str(e)[:200]}\n"
              f"{advice} with the command line and the log file; {where}.", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        warnings.showwarning = previous


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
