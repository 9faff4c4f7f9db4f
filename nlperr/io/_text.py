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
from typing import Any
from pathlib import Path

from ..errors import Errors, FormatError, InputError, NlperrError, Warnings, warn
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
    lines = split_lines(read_text(p, encoding=encoding, errors=errors))
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

    A decoding error names its exact line.  ASCII-compatible encodings only (UTF-8,
    Latin-1, cp1252...); for UTF-16/32 use :func:`read_text`.  The lines are those
    of :func:`iter_line_blocks`, one at a time.
    """
    for first, lines in iter_line_blocks(path, encoding=encoding, errors=errors):
        yield from enumerate(lines, first)


#: Bytes read at a time by :func:`iter_line_blocks` (then up to the end of a line).
CHUNK_BYTES = 1 << 22


def iter_line_blocks(path: str | os.PathLike, *, encoding: str = "utf-8",
                     errors: str = "strict", chunk_bytes: int | None = None,
                     start: int = 0, stop: int | None = None, first_line: int = 1,
                     raw: bool = False) -> Iterator[tuple[int, Any]]:
    """Stream the file's lines in lists of about *chunk_bytes* bytes: ``(number of the
    first line, lines)``, line ends removed (CRLF and lone CR line ends too), a
    byte-order mark skipped.  A chunk that is valid in the encoding, holds no lone CR
    and no line over ``max_line_bytes`` is decoded in one call; any other is taken line by
    line, so a decoding error (E030) or an over-long line (E032) names its line, and
    ``errors="replace"`` warns once (W030) with the count for the whole file.

    *start* / *stop* / *first_line*: read only the bytes ``[start, stop)``, which
    begin line *first_line* and end on a line end (a range of a larger file; the
    byte-order mark is skipped only at byte 0).  ASCII-compatible encodings only.

    *raw*: a UTF-8 chunk that would be decoded in one call is yielded as its bytes
    instead (checked, CRLF line ends made ``\\n``), for a caller that parses bytes;
    the other chunks are still lists of lines.  ``raw="unchecked"``: such chunks come
    as :class:`RawBlock` s, not checked as UTF-8, for a caller whose parser checks
    the bytes itself (and asks the block for its lines when it finds a fault).
    """
    unchecked = raw == "unchecked"
    raw = raw and errors == "strict" and codecs.lookup(encoding).name in ("utf-8",
                                                                          "utf-8-sig")
    codec = check_encoding(encoding, errors)
    p = Path(path)
    if start or stop is not None:
        if codec.startswith(("utf-16", "utf-32")):
            raise ValueError("byte ranges need an ASCII-compatible encoding")
    elif codec.startswith(("utf-16", "utf-32")):
        lines = read_text(p, encoding=encoding, errors=errors).split("\n")
        yield 1, lines
        return
    limit = get_limits().max_line_bytes
    number = first_line - 1  # lines yielded so far
    offset = start           # bytes read so far (for the byte offset of a decoding error)
    replaced = 0
    if chunk_bytes is None:
        chunk_bytes = CHUNK_BYTES
    size = max(1, min(chunk_bytes, limit + 2))  # a refused line is never read whole
    with open(p, "rb") as fh:
        first = start == 0
        if start:
            fh.seek(start)
        for chunk, too_long in read_line_chunks(fh, size, limit,
                                                None if stop is None else stop - start):
            bom = 0  # the byte-order mark counts towards the first line's length
            if first:
                stripped = _strip_bom(chunk, codec)
                bom = len(chunk) - len(stripped)
                offset += bom
                chunk, first = stripped, False
            if chunk and raw:
                data = _one_call_chunk(chunk, limit, bom) if unchecked else \
                    _checked_utf8(chunk, limit, bom)
                if data is not None:
                    count = data.count(b"\n") + (not data.endswith(b"\n"))
                    yield number + 1, (RawBlock(data, chunk, p, codec, encoding, limit, number,
                                                offset, bom) if unchecked else data)
                    offset += len(chunk)
                    number += count
                    if too_long:
                        raise InputError(Errors.E032.format(
                            where=str(p), line=number + 1, limit=limit,
                            how=get_limits().how_to_raise("max_line_bytes")))
                    continue
            if chunk:
                lines = _decoded_chunk(chunk, codec, limit, bom)
            else:  # a file holding only a byte-order mark: one empty line
                lines = [] if too_long else [""]
            if lines is None:  # line by line: the exact error, CRs, replacement
                lines = []
                try:
                    replaced, offset = _lines_one_by_one(chunk, lines, p, codec, encoding,
                                                         errors, limit, number, offset,
                                                         replaced, bom)
                except NlperrError:
                    if lines:  # the lines before the error first, as line by line
                        yield number + 1, lines
                    raise
            else:
                offset += len(chunk)
            if lines:
                yield number + 1, lines
                number += len(lines)
            if too_long:
                raise InputError(Errors.E032.format(
                    where=str(p), line=number + 1, limit=limit,
                    how=get_limits().how_to_raise("max_line_bytes")))
    _warn_replaced(p, replaced)


class RawBlock:
    """A chunk of whole lines of a UTF-8 file as bytes (``data``: CRLF line ends made
    ``\\n``, no lone CR, no line over ``max_line_bytes``), not yet checked as UTF-8
    (``iter_line_blocks(raw="unchecked")``).  :meth:`lines` decodes it as the text
    path does."""

    __slots__ = ("data", "_where")

    def __init__(self, data: bytes, chunk: bytes, path: Path, codec: str, encoding: str,
                 limit: int, number: int, offset: int, bom: int) -> None:
        self.data = data
        # what the line-by-line decoder needs: the chunk as read (CRLF kept, so that
        # byte offsets of errors count them), where it is, and how to decode it
        self._where = (chunk, path, codec, encoding, limit, number, offset, bom)

    def lines(self) -> tuple[list[str], NlperrError | None]:
        """The decoded lines, and the error (E030 naming its line, column and byte) to
        raise after the lines before it, or None."""
        chunk, path, codec, encoding, limit, number, offset, bom = self._where
        try:
            return split_lines(self.data.decode(codec, "strict")), None
        except UnicodeDecodeError:
            pass
        lines: list[str] = []
        try:
            _lines_one_by_one(chunk, lines, path, codec, encoding, "strict", limit, number,
                              offset, 0, bom)
        except NlperrError as e:
            return lines, e
        return lines, None  # pragma: no cover - the chunk did not decode in one call


def read_line_chunks(fh: Any, size: int, limit: int, left: int | None = None
                     ) -> Iterator[tuple[bytes, bool]]:
    """Chunks of about *size* bytes of the open binary file *fh* (at most *left* bytes in
    all), each read on to the end of its last line, and whether the line after the
    chunk is over *limit* bytes: then the chunk stops before that line, which is never
    read whole, and the reading ends (the caller refuses it, E032)."""
    while True:
        chunk = fh.read(size if left is None else min(size, left))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        if not chunk.endswith(b"\n") and left != 0:  # up to the end of its last line
            tail = fh.readline(limit + 2 if left is None else min(limit + 2, left))
            if left is not None:
                left -= len(tail)
            if len(tail) == limit + 2 and not tail.endswith(b"\n"):
                yield chunk[:chunk.rfind(b"\n") + 1], True
                return
            chunk += tail
        yield chunk, False


def _lines_one_by_one(chunk: bytes, lines: list[str], p: Path, codec: str, encoding: str,
                      errors: str, limit: int, number: int, offset: int, replaced: int,
                      bom: int = 0) -> tuple[int, int]:
    """Decode *chunk* into *lines* one line at a time (lines *number* + 1 on, at byte
    *offset*; *bom*: bytes of a byte-order mark stripped before the first line, which
    count towards its length): E032 / E030 name the line; returns the new
    ``(replaced, offset)``."""
    for k, raw in enumerate(_raw_lines(chunk)):
        size = len(raw) + (bom if k == 0 else 0)
        if size > limit and size - raw.endswith(b"\n") - raw.endswith(b"\r\n") > limit:
            raise InputError(Errors.E032.format(
                where=str(p), line=number + len(lines) + 1, limit=limit,
                how=get_limits().how_to_raise("max_line_bytes")))
        try:
            line = raw.decode(codec, "strict")
        except UnicodeDecodeError as err:
            if errors == "strict":
                raise _decode_error(p, raw, err, encoding, line_offset=number + len(lines),
                                    byte_offset=offset) from None
            line = raw.decode(codec, "replace")
            replaced += line.count("\ufffd") - _count_fffd(raw, codec)
        offset += len(raw)
        if line.endswith("\n"):
            line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
        if "\r" in line:  # lone CR line ends (old Mac files)
            lines.extend(line.split("\r"))
        else:
            lines.append(line)
    return replaced, offset


def _raw_lines(chunk: bytes) -> list[bytes]:
    """The lines of *chunk* with their ``\n`` (as ``readline`` gives them)."""
    parts = chunk.split(b"\n")
    last = parts.pop()
    out = [x + b"\n" for x in parts]
    if last:
        out.append(last)
    return out


def _one_call_chunk(chunk: bytes, limit: int, bom: int = 0) -> bytes | None:
    """*chunk* with CRLF line ends made ``\\n`` when it can be taken in one call, or None
    when it needs the line-by-line path (a lone CR, or a line over *limit* bytes)."""
    if b"\r" in chunk:
        chunk = chunk.replace(b"\r\n", b"\n")  # CRLF line ends; a lone CR: line by line
        if b"\r" in chunk:
            return None
    if len(chunk) + bom > limit and (max(map(len, chunk.split(b"\n"))) > limit
                                     or len(chunk.split(b"\n", 1)[0]) + bom > limit):
        return None
    return chunk


def split_lines(text: str) -> list[str]:
    """The lines of *text* (line ends removed; a final line end adds no empty line)."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def byte_lines(data: bytes) -> list[str]:
    """The lines of a chunk checked as UTF-8 (see ``iter_line_blocks(raw=True)``)."""
    return split_lines(data.decode("utf-8"))


def _checked_utf8(chunk: bytes, limit: int, bom: int = 0) -> bytes | None:
    """*chunk* with CRLF line ends made ``\\n`` when :func:`_decoded_chunk` would decode
    it in one call as UTF-8 (checked without keeping the text), else None."""
    chunk = _one_call_chunk(chunk, limit, bom)  # type: ignore[assignment]
    if chunk is None or chunk.isascii():
        return chunk
    try:
        chunk.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return None
    return chunk


def _decoded_chunk(chunk: bytes, codec: str, limit: int, bom: int = 0) -> list[str] | None:
    """The lines of a chunk decoded in one call, or None when it needs the line-by-line
    path (a lone CR, a line over *limit* bytes, or bytes that do not decode)."""
    chunk = _one_call_chunk(chunk, limit, bom)  # type: ignore[assignment]
    if chunk is None:
        return None
    try:
        return split_lines(chunk.decode(codec, "strict"))
    except UnicodeDecodeError:
        return None
