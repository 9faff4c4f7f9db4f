"""Output safety shared by every CLI command.

Before a command runs (and spends minutes on a model), its output paths are
checked, so that nlperr never deletes or overwrites anything it did not create
unless told to (``--overwrite``):

* an output **file** that already exists is an error (E040) unless ``--overwrite``, or
  unless nlperr wrote it itself and it is unchanged since (a ledger of written files,
  :func:`record_written`: rerunning a command replaces its own output);
  a folder where a file is wanted is an error (E041);
* an output **folder** may be new, empty, or a folder nlperr wrote before (it holds
  ``result.json`` or ``summary.json``); a folder holding other files is an error
  (E044) unless ``--overwrite`` -- and even then only nlperr's own files in it are
  replaced, nothing is deleted; a file where a folder is wanted is an error (E041);
* an output that is an input file, or lies inside an input folder, is an error
  (E043), with or without ``--overwrite``;
* an output whose folder cannot be written (read-only disk, no permission, a file
  in the way) is an error (E042).

Files themselves are written atomically (:mod:`nlperr.io._atomic`).

Usage in a command module::

    from ._output import add_overwrite_argument, check_output_dir
    add_overwrite_argument(parser)
    ...
    check_output_dir(args.out, inputs=[args.gold], overwrite=args.overwrite)
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError

__all__ = ["add_overwrite_argument", "check_output_file", "check_output_dir",
           "add_encoding_arguments", "encoding_options", "NLPERR_MARKERS"]

#: A folder holding one of these was written by nlperr (Result.save, the CLI).
NLPERR_MARKERS = ("result.json", "summary.json")

PathArg = str | os.PathLike | None


def add_overwrite_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--overwrite`` to a sub-command's parser."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing output files (never the inputs; nothing "
                             "else is deleted)")


def add_encoding_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--encoding`` and ``--encoding-errors`` (how the command's text inputs are
    decoded; see :mod:`nlperr.io._text`)."""
    parser.add_argument("--encoding", default="utf-8", metavar="CODEC",
                        help="text encoding of the input files (default utf-8; e.g. latin-1, "
                             "cp1252); a BOM is accepted")
    parser.add_argument("--encoding-errors", default="strict", choices=("strict", "replace"),
                        help="bytes that do not decode: 'strict' (default) stops with an error "
                             "naming the line; 'replace' reads them as U+FFFD with a warning "
                             "that counts them")


def encoding_options(args: argparse.Namespace) -> dict[str, str]:
    """``{"encoding", "encoding_errors"}`` for the library readers, validated (E031)."""
    from ..io._text import check_encoding

    check_encoding(args.encoding, args.encoding_errors)
    return {"encoding": args.encoding, "encoding_errors": args.encoding_errors}


def _resolve(path: Path) -> Path:
    try:
        return path.expanduser().resolve(strict=False)
    except (OSError, RuntimeError):  # a symlink loop: compare the literal path
        return Path(os.path.abspath(path))


def _inputs(inputs: Iterable[PathArg]) -> list[Path]:
    out = []
    for item in inputs:
        if item is None:
            continue
        items = item if isinstance(item, (list, tuple)) else [item]
        out.extend(Path(os.fspath(i)) for i in items if i is not None)
    return out


def _check_not_input(option: str, path: Path, inputs: Iterable[PathArg]) -> None:
    target = _resolve(path)
    for inp in _inputs(inputs):
        src = _resolve(inp)
        same = target == src
        if not same and path.exists() and inp.exists():
            try:
                same = os.path.samefile(path, inp)
            except OSError:
                same = False
        if same:
            raise InputError(Errors.E043.format(option=option, path=str(path),
                                                relation="the same path as", input=str(inp)))
        if inp.is_dir() and src in target.parents:
            raise InputError(Errors.E043.format(option=option, path=str(path),
                                                relation="inside", input=str(inp)))


def _check_writable_parent(option: str, path: Path) -> None:
    """The nearest existing ancestor of *path* must be a folder we may write into."""
    parent = _resolve(path).parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(Errors.E042.format(option=option, path=str(path),
                                            reason=f"{str(parent)!r} is a file, not a folder"))
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(Errors.E042.format(option=option, path=str(path),
                                            reason=f"the folder {str(parent)!r} is read-only "
                                                   f"or not writable by this user"))


# --- the files nlperr wrote ------------------------------------------------------------
#
# A single output file (predictions, a JSON / JUnit report, a noise model) carries no
# marker, so nlperr keeps a small ledger of what it wrote: path, size and modification
# time, in the cache folder ($NLPERR_CACHE_DIR or ~/.cache/nlperr).  Rerunning the same
# command may then replace its own earlier output; a file that was changed since, or
# that nlperr never wrote, still needs --overwrite.

_LEDGER = "written.sqlite"


def _ledger() -> Any:
    import sqlite3

    from ..engine.cache import default_cache_dir

    folder = default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(str(folder / _LEDGER), timeout=30)
    con.execute("CREATE TABLE IF NOT EXISTS written (path TEXT PRIMARY KEY, size INTEGER, "
                "mtime_ns INTEGER)")
    return con


def _stat_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def record_written(path: PathArg) -> None:
    """Note that nlperr has just written *path* (so a rerun may replace it).  A ledger
    that cannot be written (read-only cache folder) only means the rerun needs
    ``--overwrite``."""
    if path is None:
        return
    try:
        key = _stat_key(Path(os.fspath(path)))
        con = _ledger()
        with con:
            con.execute("INSERT OR REPLACE INTO written VALUES (?, ?, ?)", key)
        con.close()
    except (OSError, Exception):  # noqa: BLE001 - the ledger is a convenience
        return


def written_by_nlperr(path: Path) -> bool:
    """Whether *path* is, unchanged, a file nlperr wrote (see :func:`record_written`)."""
    try:
        key = _stat_key(path)
        con = _ledger()
        row = con.execute("SELECT size, mtime_ns FROM written WHERE path = ?",
                          (key[0],)).fetchone()
        con.close()
    except (OSError, Exception):  # noqa: BLE001
        return False
    return row is not None and tuple(row) == key[1:]


def check_output_file(path: PathArg, *, option: str = "--out", inputs: Iterable[PathArg] = (),
                      overwrite: bool = False) -> Path | None:
    """Check an output file path (see the module docstring); return it as a Path.

    ``None`` (an optional output that was not asked for) is returned unchanged.
    """
    if path is None:
        return None
    p = Path(os.fspath(path))
    _check_not_input(option, p, inputs)
    if p.is_dir():
        raise InputError(Errors.E041.format(option=option, path=str(p), got="a folder",
                                            expected="a file"))
    if p.exists() or p.is_symlink():
        if not overwrite and not written_by_nlperr(p):
            raise InputError(Errors.E040.format(option=option, path=str(p)))
        if not os.access(p.parent if str(p.parent) else ".", os.W_OK | os.X_OK):
            raise InputError(Errors.E042.format(option=option, path=str(p),
                                                reason="its folder is read-only"))
    _check_writable_parent(option, p)
    return p


def check_output_dir(path: PathArg, *, option: str = "--out", inputs: Iterable[PathArg] = (),
                     overwrite: bool = False) -> Path | None:
    """Check an output folder path (see the module docstring); return it as a Path."""
    if path is None:
        return None
    p = Path(os.fspath(path))
    _check_not_input(option, p, inputs)
    if p.exists() and not p.is_dir():
        raise InputError(Errors.E041.format(option=option, path=str(p), got="a file",
                                            expected="a folder"))
    if p.is_dir():
        try:
            entries = sorted(e.name for e in os.scandir(p))
        except OSError as e:
            raise InputError(Errors.E042.format(option=option, path=str(p),
                                                reason=e.strerror or str(e))) from None
        ours = any(m in entries for m in NLPERR_MARKERS)
        if entries and not ours and not overwrite:
            shown = ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
            raise InputError(Errors.E044.format(option=option, path=str(p), examples=shown))
        if not os.access(p, os.W_OK | os.X_OK):
            raise InputError(Errors.E042.format(option=option, path=str(p),
                                                reason="the folder is read-only or not "
                                                       "writable by this user"))
        return p
    _check_writable_parent(option, p)
    return p
