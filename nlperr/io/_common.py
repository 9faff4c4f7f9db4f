"""Helpers shared by the readers and writers: paths, locations, labels."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..data import Example
from ..errors import Errors, FormatError, InputError, MissingDependencyError
from .._flow import lockstep

__all__ = ["DataFileNotFoundError", "as_path", "check_file", "open_lines", "label_from_cats",
           "check_predictions", "paired", "require"]

PathLike = str | os.PathLike


class DataFileNotFoundError(InputError, FileNotFoundError):
    """A data file (or folder) given to a reader does not exist (code E011)."""


def as_path(path: PathLike) -> Path:
    return Path(os.fspath(path))


def check_file(path: PathLike, *, what: str = "read", directory: bool = False) -> Path:
    """Return *path* as a Path; raise E011 when it does not exist."""
    p = as_path(path)
    if not p.exists():
        raise DataFileNotFoundError(Errors.E011.format(where=what, path=str(p)))
    if not directory and p.is_dir():
        raise InputError(Errors.E012.format(where=str(p), expected="a file", field="path",
                                            got="a directory"))
    return p


def open_lines(path: Path, encoding: str = "utf-8",
               errors: str = "strict") -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` (1-based, line ending stripped), streaming;
    decoding as :func:`nlperr.io._text.iter_lines` (BOM, CRLF, E030 on bad bytes)."""
    from ._text import iter_lines

    return iter_lines(path, encoding=encoding, errors=errors)


class FileStream:
    """A file to read as a stream, as often as needed, with its reader's options (the
    base of :class:`~nlperr.io.ConllStream` and :class:`~nlperr.io.JsonlStream`): the
    file and the encoding are checked when the stream is made."""

    def __init__(self, path: PathLike, *, strict: bool, encoding: str,
                 encoding_errors: str) -> None:
        from ._text import check_encoding

        self.path = check_file(path, what=type(self).__name__)
        check_encoding(encoding, encoding_errors)
        self.strict = strict
        self.encoding = encoding
        self.encoding_errors = encoding_errors

    def _ranges_readable(self) -> bool:
        """Whether byte ranges of the file can be read apart (an ASCII-compatible
        encoding read strictly: a W030 replacement warning would stay on a worker)."""
        import codecs

        return self.encoding_errors == "strict" and \
            not codecs.lookup(self.encoding).name.startswith(("utf-16", "utf-32"))

    def _paired_cuts(self, other: "FileStream", every: int, skip: int = 0,
                     other_skip: int = 0
                     ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]] | None:
        """:func:`example_line_cuts` of this file (after *skip* header lines) and of
        *other* (after *other_skip*; the same file is scanned once), or None when either
        cannot be cut or they hold different numbers of example lines."""
        a = example_line_cuts(self.path, every, skip=skip)
        b = a if other.path.resolve() == self.path.resolve() and other_skip == skip else \
            example_line_cuts(other.path, every, skip=other_skip)
        if a is None or b is None or len(a) != len(b):
            return None
        return a, b


def empty_error(path: Path) -> FormatError:
    return FormatError(Errors.E003.format(where=str(path)))


def label_from_cats(cats: Mapping[str, float]) -> tuple[str | tuple[str, ...] | None,
                                                           dict[str, float] | None]:
    """Turn spaCy-style ``cats`` into ``(label, probs)``.

    * one-hot (every score is 0 or 1, exactly one 1): ``label`` is that class,
      ``probs`` is None (gold data);
    * several 1s / no 1 with only 0/1 values: multi-label gold, ``label`` is the
      tuple of classes scored 1 (``()`` when none);
    * other scores (model output): scores summing to 1 are read as exclusive
      classes, ``label`` is the argmax; otherwise ``label`` is the tuple of
      classes scoring >= 0.5.  ``probs`` holds the scores.
    """
    if not cats:
        return None, None
    scores = {str(k): float(v) for k, v in cats.items()}
    if all(v in (0.0, 1.0) for v in scores.values()):
        ones = tuple(k for k, v in scores.items() if v == 1.0)
        return (ones[0] if len(ones) == 1 else ones), None
    if abs(sum(scores.values()) - 1.0) < 1e-3:
        return max(scores, key=scores.__getitem__), scores
    return tuple(k for k, v in scores.items() if v >= 0.5), scores


def check_predictions(examples: Sequence[Example], predictions: Sequence[Example] | None,
                      *, where: str, tokens: bool = False) -> None:
    """Check that *predictions* pair up with *examples* (same count and text)."""
    if predictions is None:
        return
    if len(predictions) != len(examples):
        raise InputError(Errors.E016.format(where=where, got=len(predictions),
                                            expected=len(examples)))
    for gold, pred in zip(examples, predictions):
        w = f"{where}, example {gold.id!r}"
        if gold.text != pred.text:
            raise InputError(Errors.E017.format(where=w, what="text", gold=_short(gold.text),
                                                pred=_short(pred.text)))
        if tokens and pred.tokens is not None and gold.tokens is not None \
                and tuple(pred.tokens) != tuple(gold.tokens):
            raise InputError(Errors.E017.format(where=w, what="tokens",
                                                gold=len(gold.tokens), pred=len(pred.tokens)))


def paired(examples: Iterable[Example], predictions: Iterable[Example] | None, *, where: str,
           tokens: bool = False) -> Iterator[tuple[int, Example, Example | None]]:
    """Yield ``(index, example, prediction)`` lazily, with the checks of
    :func:`check_predictions` made pair by pair (so writers can stream)."""
    if predictions is None:
        for i, ex in enumerate(examples):
            yield i, ex, None
        return
    def uneven(n_gold: int, n_pred: int) -> InputError:
        return InputError(Errors.E016.format(where=where, got=n_pred, expected=n_gold))
    for n, (gold, pred) in enumerate(lockstep(examples, predictions, uneven)):
        check_predictions([gold], [pred], where=where, tokens=tokens)
        yield n, gold, pred


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


def require(module: str, *, what: str, extra: str) -> Any:
    """Import an optional dependency or raise MissingDependencyError naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependencyError(Errors.E203.format(what=what, package=module.split(".")[0],
                                                        extra=extra)) from e


def label_to_json(label: str | tuple[str, ...] | None) -> Any:
    return list(label) if isinstance(label, tuple) else label


_TOKEN_INDEX = re.compile(r"token (\d+)")


def locate_scheme_error(err: Exception, where: str, lines: Sequence[int]) -> int:
    """Line number of the tag that a SchemeError (raised with *where*) points at.

    The data layer reports a token index (``"... at token 3 ..."``); *lines* maps
    token indices to file lines.  An error at the end of the sequence points at the
    last token.
    """
    msg = str(err)
    pos = msg.find(where)
    m = _TOKEN_INDEX.search(msg[pos + len(where):] if pos >= 0 else msg)
    idx = int(m.group(1)) if m else 0
    return lines[min(idx, len(lines) - 1)]


def example_line_cuts(p: Path, every: int, chunk_bytes: int = 1 << 24, skip: int = 0
                      ) -> list[tuple[int, int, int]] | None:
    """Byte ranges ``(start, stop, first line)`` of whole lines of *p* after its first
    *skip* lines (a header), each holding *every* lines that are not blank (ASCII
    whitespace only; the last range the rest), read in chunks; None when the file has a
    lone CR line end (line numbers would not follow the ``\\n`` s) or a line over
    ``max_line_bytes`` (the reader says E032)."""
    import numpy as np

    from ._conll import _Unscannable, scan_lines

    cuts: list[tuple[int, int]] = []  # (byte after the line, its line number)
    seen = size = 0
    start, first = (0, 1) if not skip else (None, skip + 1)
    try:
        for stops, is_blank, pos, line0, n in scan_lines(p, chunk_bytes):
            number = line0 + 1 + np.arange(len(stops))  # each line's number
            if start is None and len(stops) and number[-1] >= skip:
                start = pos + min(int(stops[skip - 1 - line0]) + 1, n)
            full = np.flatnonzero(~is_blank & (number > skip))  # the lines of examples
            k = np.arange(len(full)) + seen + 1
            at = full[k % every == 0]
            cuts.extend(zip((pos + np.minimum(stops[at] + 1, n)).tolist(),
                            (line0 + 1 + at).tolist()))
            seen += len(full)
            size = pos + n
    except _Unscannable:
        return None
    if start is None:  # fewer lines than the header
        return []
    out = []
    for stop, line in cuts:
        out.append((start, stop, first))
        start, first = stop, line + 1
    if start < size:
        out.append((start, size, first))
    return out
