"""Reading text files: encodings, byte-order marks, line endings, clear decode errors.

Every reader of nlperr goes through :func:`read_text` (whole file) or
:func:`iter_lines` (streaming).  Both

* decode with the given *encoding* (default UTF-8) and strip a byte-order mark;
* accept ``\\n``, ``\\r\\n`` and a lone ``\\r`` as line ends;
* on bytes that are not valid in the encoding raise
  :class:`~nlperr.errors.FormatError` E030 naming the file, the line, the column
  and the offending bytes, and suggesting an encoding that decodes the file
  (``cp1252``, ``latin-1``...);
* refuse a line longer than ``max_line_bytes`` (E032, read in bounded memory) and
  a file read whole that is larger than ``max_file_bytes`` (E033): see
  :mod:`nlperr.limits`;
* with ``errors="replace"`` (CLI ``--encoding-errors replace``) replace such bytes
  by U+FFFD and emit one W030 warning with the count.
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import Errors, FormatError, InputError, Warnings, warn
from ..limits import get_limits

__all__ = ["read_text", "read_lines", "iter_lines", "check_encoding", "read_bytes_limited", "ENCODING_ERRORS"]

#: Allowed values of ``errors=`` / ``--encoding-errors``.
ENCODING_ERRORS = ("strict", "replace")
# Encodings tried, in order, to suggest one when a file does not decode.
_CANDIDATES = ("utf-8", "cp1252", "latin-1")
_BOMS = (codecs.BOM_UTF8,)


def check_encoding(encoding: str, errors: str = "strict") -> str:
    """Validate *encoding* and *errors*; return the codec's canonical name."""
    if errors not in ENCODING_ERRORS:
        raise InputError(Errors.E207.format(value=errors, option="encoding errors",
                                            allowed=list(ENCODING_ERRORS)))
    try:
        return codecs.lookup(encoding).name
    except (LookupError, TypeError):
        raise InputError(Errors.E031.format(encoding=encoding)) from None


def _suggest(data: bytes, tried: str) -> str:
    for cand in _CANDIDATES:
        if codecs.lookup(cand).name == tried:
            continue
        try:
            data.decode(cand)
        except UnicodeDecodeError:
            continue
        return cand
    return "latin-1"


def _decode_error(path: Path, data: bytes, err: UnicodeDecodeError, encoding: str,
                  line_offset: int = 0, byte_offset: int = 0) -> FormatError:
    start = err.start
    line = line_offset + data.count(b"\n", 0, start) + 1
    col = start - (data.rfind(b"\n", 0, start) + 1) + 1
    bad = data[start:max(err.end, start + 1)][:8]
    return FormatError(Errors.E030.format(
        where=f"{path}:{line}", column=col, byte=byte_offset + start, bad=bad.hex(" "),
        encoding=encoding, suggest=_suggest(data, codecs.lookup(encoding).name)))


def _strip_bom(data: bytes, encoding: str) -> bytes:
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8", "utf-8-sig") and \
            data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):]
    return data


def _normalise_newlines(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_text(path: str | os.PathLike, *, encoding: str = "utf-8",
              errors: str = "strict") -> str:
    """The whole file as text with ``\\n`` line ends (see the module docstring).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "latin1.conll"
    >>> _ = p.write_bytes(b"Caf\\xe9 B-LOC\\r\\n")
    >>> try:
    ...     read_text(p)
    ... except Exception as e:
    ...     print(str(e).split("latin1.conll")[1][:60])
    :1: byte 3 (column 4) is not valid utf-8: bytes e9. The file
    >>> read_text(p, encoding="latin-1")
    'Café B-LOC\\n'
    """
    codec = check_encoding(encoding, errors)
    p = Path(path)
    data = _strip_bom(read_bytes_limited(p), codec)
    try:
        text = data.decode(codec, "strict")
    except UnicodeDecodeError as err:
        if errors == "strict":
            raise _decode_error(p, data, err, encoding) from None
        text = data.decode(codec, "replace")
        _warn_replaced(p, text.count("\ufffd") - _count_fffd(data, codec))
    return _normalise_newlines(text)


def read_lines(path: str | os.PathLike, *, encoding: str = "utf-8",
               errors: str = "strict") -> list[str]:
    """The whole file as a list of lines (line ends removed; a final line end does not
    add an empty line), decoded as :func:`read_text`.  The file is held whole (so at
    most ``max_file_bytes``, E033), and a line longer than ``max_line_bytes``
    characters is refused (E032) as in :func:`iter_lines`."""
    p = Path(path)
    lines = read_text(p, encoding=encoding, errors=errors).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    limit = get_limits().max_line_bytes
    if lines and max(map(len, lines)) > limit:
        first = next(i for i, ln in enumerate(lines) if len(ln) > limit)
        raise InputError(Errors.E032.format(where=str(p), line=first + 1, limit=limit,
                                            how=get_limits().how_to_raise("max_line_bytes")))
    return lines


def read_bytes_limited(path: Path) -> bytes:
    """The bytes of *path*, refusing (E033) a file larger than ``max_file_bytes``
    (see :mod:`nlperr.limits`) before reading it."""
    limit = get_limits().max_file_bytes
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise InputError(Errors.E033.format(where=str(path), size=size, limit=limit,
                                                how=get_limits().how_to_raise("max_file_bytes")))
        # the size known: read just that (a read of limit + 1 bytes reserves that much)
        data = fh.read(size + 1 if 0 < size <= limit else limit + 1)
        if 0 < size < len(data):  # a file that grew since
            data += fh.read(limit + 1 - len(data))
    if len(data) > limit:  # a file that grew, or a device reporting no size
        raise InputError(Errors.E033.format(where=str(path), size=f"more than {limit}",
                                            limit=limit,
                                            how=get_limits().how_to_raise("max_file_bytes")))
    return data


def _count_fffd(data: bytes, codec: str) -> int:
    """U+FFFD characters already in the file (not introduced by replacement)."""
    return data.decode(codec, "ignore").count("\ufffd")


def _warn_replaced(path: Path, count: int) -> None:
    if count:
        warn(Warnings.W030.format(where=str(path), count=count), stacklevel=4)


def iter_lines(path: str | os.PathLike, *, encoding: str = "utf-8",
               errors: str = "strict") -> Iterator[tuple[int, str]]:
    """Stream ``(line_number, line)`` pairs (1-based, line end removed).

    Lines are decoded one at a time, so a decoding error names its exact line.
    ASCII-compatible encodings only (UTF-8, Latin-1, cp1252...); for UTF-16/32
    use :func:`read_text`.
    """
    codec = check_encoding(encoding, errors)
    p = Path(path)
    if codec.startswith(("utf-16", "utf-32")):
        yield from enumerate(read_text(p, encoding=encoding, errors=errors).split("\n"), 1)
        return
    replaced = 0
    number = 0
    offset = 0
    limit = get_limits().max_line_bytes
    with open(p, "rb") as fh:
        while True:
            raw = fh.readline(limit + 2)  # the limit counts the text, not its CRLF
            if not raw:
                break
            size = len(raw)
            if size > limit and size - raw.endswith(b"\n") - raw.endswith(b"\r\n") > limit:
                raise InputError(Errors.E032.format(
                    where=str(p), line=number + 1, limit=limit,
                    how=get_limits().how_to_raise("max_line_bytes")))
            if number == 0:
                raw = _strip_bom(raw, codec)
            try:
                line = raw.decode(codec, "strict")
            except UnicodeDecodeError as err:
                if errors == "strict":
                    raise _decode_error(p, raw, err, encoding, line_offset=number,
                                        byte_offset=offset) from None
                line = raw.decode(codec, "replace")
                replaced += line.count("\ufffd") - _count_fffd(raw, codec)
            offset += size
            if line.endswith("\n"):
                line = line[:-1]
            if line.endswith("\r"):
                line = line[:-1]
            if "\r" in line:  # lone CR line ends (old Mac files)
                parts = line.split("\r")
                for part in parts:
                    number += 1
                    yield number, part
                continue
            number += 1
            yield number, line
    _warn_replaced(p, replaced)
