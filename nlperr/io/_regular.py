"""The byte-level parser of *regular* CoNLL files: the fast path of :func:`read_conll`.

A regular file has one kind of column separator and the same number of columns on
every token line:

* single spaces between fields (no tab, no other whitespace anywhere, no leading,
  trailing or doubled space), or
* tabs (every token line holds ``k - 1`` of them; fields are cut at tabs exactly,
  as the reader does).

For such a file every field boundary is a separator byte, so the whole file is
parsed with a few numpy operations over its UTF-8 bytes: the separator and line
positions give every field's byte range, the sentence texts (words joined by one
space) are gathered from those ranges into one buffer that is decoded and split
once, and the token offsets come from cumulative sums.  No Python object is made
per token except the strings of the columns asked for.

Anything else returns None, and the reader takes its general path, which also
raises every error (so messages and line numbers are the same).  The results are
equal to the general path's on every file this parser accepts (tested with random
files, every scheme and layout, and on whole corpora).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..limits import get_limits
from ._text import _strip_bom, read_bytes_limited

__all__ = ["RegularFile", "line_layout", "parse_regular", "utf8_bytes", "utf8_file"]

DOCSTART = "-DOCSTART-"
#: Whitespace other than the space and the line feed, as ``str.split()`` knows it (the
#: readers' general path splits on it; the byte parser leaves files holding it to that path).
OTHER_WHITESPACE = ("\t\x0b\x0c\r\x1c\x1d\x1e\x1f\x85\xa0\u1680"
                    + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000")
_ASCII_WS = tuple(ord(c) for c in OTHER_WHITESPACE if c < "\x80")
_WIDE_WS = [c.encode("utf-8") for c in OTHER_WHITESPACE if c >= "\x80"]
_WS2 = np.array([int.from_bytes(e, "big") for e in _WIDE_WS if len(e) == 2], dtype=np.int64)
_WS3 = np.array([int.from_bytes(e, "big") for e in _WIDE_WS if len(e) == 3], dtype=np.int64)
_LENGTH_MASK = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
# first bytes of a line that may be whitespace only (ASCII whitespace, or the lead
# byte of a non-ASCII whitespace character)
_MAY_BE_BLANK = np.zeros(256, dtype=bool)
_MAY_BE_BLANK[[*_ASCII_WS, 32, *{e[0] for e in _WIDE_WS}]] = True


def _has_unicode_space(b: np.ndarray) -> bool:
    """Whether the UTF-8 bytes *b* hold a non-ASCII character of :data:`OTHER_WHITESPACE`."""
    p = np.flatnonzero(b >= 0xC2)  # lead bytes of 2- to 4-byte characters
    p = p[p + 2 < len(b)]  # valid UTF-8 ends with "\n": no lead byte in the last two
    if not len(p):
        return False
    k2 = (b[p].astype(np.int64) << 8) | b[p + 1]
    k3 = (k2 << 8) | b[p + 2]
    return bool(np.isin(k2, _WS2).any() or np.isin(k3, _WS3).any())


def utf8_bytes(data: bytes) -> bytes | None:
    """*data* (a file's bytes, byte-order mark stripped) with ``\\n`` line ends, when it
    is valid UTF-8; None otherwise (the general path then reads it and says where).
    Checked in pieces, so no string of the whole file is made."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if data.isascii():
        return data
    dec = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = 1 << 20
    try:
        for i in range(0, len(data), step):
            dec.decode(view[i:i + step], final=i + step >= len(data))
    except UnicodeDecodeError:
        return None
    return data


def utf8_file(p: Path, encoding: str, errors: str) -> bytes | None:
    """The bytes of file *p* for a byte parser (:func:`utf8_bytes`): only when it is read
    as UTF-8, strictly; None otherwise (the caller then reads it as text)."""
    codec = codecs.lookup(encoding).name
    if errors != "strict" or codec not in ("utf-8", "utf-8-sig"):
        return None
    return utf8_bytes(_strip_bom(read_bytes_limited(p), codec))


class RegularFile:
    """A regular file parsed into arrays (all indices 0-based).

    ``tok_line``: the line of every token; ``offsets``: the first token of every
    sentence, then the token count; ``docstart``: the lines that are ``-DOCSTART-``
    lines; ``ncols``: the number of columns; ``sep``: the separator character.
    """

    __slots__ = ("data", "b", "ls", "nl", "sp", "first_sep", "tok_line", "offsets",
                 "docstart", "ncols", "sep", "ascii")

    def line(self, i: int) -> str:
        """The text of line *i*."""
        return self.data[int(self.ls[i]):int(self.nl[i])].decode("utf-8")

    def text(self) -> str:
        return self.data.decode("utf-8")

    def _field(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Byte ranges ``[start, end)`` of column *j* of every token line (end is the
        separator or line feed that follows the field)."""
        tl = self.tok_line
        s = self.ls[tl] if j == 0 else self.sp[self.first_sep + (j - 1)] + 1
        e = self.sp[self.first_sep + j] if j < self.ncols - 1 else self.nl[tl]
        return s, e

    def _gather(self, s: np.ndarray, e: np.ndarray, end: int = 10,
                lens: np.ndarray | None = None) -> np.ndarray:
        """The bytes ``[s, e)`` of every range, each followed by byte *end*, concatenated.
        With *lens*, range *i* takes ``lens[i]`` bytes from ``s[i]`` instead (``e - s + 1``:
        with the byte that ends it; ``e - s``: without), and *end* is written only after
        the ranges that have that byte."""
        with_end = lens is None
        if lens is None:
            lens = e - s + 1
        stop = np.cumsum(lens)
        total = int(stop[-1]) if len(stop) else 0
        dt = np.int32 if len(self.data) < 2**31 - 1 else np.int64
        idx = np.repeat((s - (stop - lens)).astype(dt), lens)
        idx += np.arange(total, dtype=dt)
        out = self.b[idx]
        out[stop - 1 if with_end else (stop - 1)[lens > e - s]] = end
        return out

    def column(self, j: int) -> list[str]:
        """The strings of column *j* of every token line."""
        s, e = self._field(j)
        out = self._gather(s, e).tobytes().decode("utf-8").split("\n")
        out.pop()
        return out

    def codes(self, j: int) -> tuple[np.ndarray, list[str]] | None:
        """Column *j* as ``(ids, uniques)``: each token's index into the list of the
        column's distinct strings, computed on the bytes (no string per token).
        None when a field is longer than 8 bytes or holds a NUL byte (then
        :meth:`column` gives the strings)."""
        s, e = self._field(j)
        lens = e - s
        n = len(self.data)
        if not len(lens) or int(lens.max()) > 8 or b"\0" in self.data or n < 8:
            return None
        # each field's first 8 bytes as one little-endian integer, cut to its length
        win = np.lib.stride_tricks.as_strided(self.b, shape=(n - 7, 8), strides=(1, 1))
        tail = np.flatnonzero(s > n - 8)  # fields in the last 8 bytes of the file
        key = win[np.minimum(s, n - 8)].view("<u8").ravel()
        for i in tail.tolist():
            key[i] = int.from_bytes(self.data[int(s[i]):int(e[i])], "little")
        key &= _LENGTH_MASK[lens]
        uniq = np.unique(key[:4096])
        while True:
            idx = np.searchsorted(uniq, key)
            np.minimum(idx, len(uniq) - 1, out=idx)
            miss = uniq[idx] != key
            if not miss.any():
                break
            uniq = np.union1d(uniq, np.unique(key[miss]))
        strings = [int(u).to_bytes(8, "little").rstrip(b"\0").decode("utf-8") for u in uniq]
        return idx.astype(np.int32), strings

    def shared_column(self, j: int) -> list[str]:
        """:meth:`column`, with one string object per distinct value when the values
        are short (POS and chunk tags: a few dozen strings instead of a million)."""
        coded = self.codes(j)
        if coded is None:
            return self.column(j)
        ids, uniq = coded
        return list(map(uniq.__getitem__, ids.tolist()))

    def columns(self, cols: list[int]) -> list[list[str]]:
        """Per token, the list of the fields of columns *cols* (in that order)."""
        return list(map(list, zip(*(self.shared_column(j) for j in cols))))

    def texts_and_offsets(self, tc: int, spaces: np.ndarray | None = None
                          ) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Each sentence's text (its words joined by one space, or by nothing after a
        word whose *spaces* entry is False) and every token's character offsets in its
        sentence's text."""
        s, e = self._field(tc)
        wl = e - s
        last = self.offsets[1:] - 1  # each sentence's last word
        if spaces is None:
            step = wl + 1
            joined = self._gather(s, e, 32)  # a space after each word...
        else:
            step = wl + spaces.astype(wl.dtype)
            step[last] = wl[last] + 1
            joined = self._gather(s, e, 32, lens=step)
        pos = np.cumsum(step, dtype=wl.dtype)
        joined[pos[last] - 1] = 10  # ...a line feed after a sentence's last
        texts = joined.tobytes().decode("utf-8").split("\n")
        texts.pop()
        if not self.ascii:  # characters, not bytes: less the UTF-8 continuation bytes
            cont = np.flatnonzero((joined & 0xC0) == 0x80)
            if len(cont):
                less = np.bincount(np.searchsorted(pos, cont, side="right"),
                                   minlength=len(wl)).astype(wl.dtype)
                wl = wl - less
                step = step - less
                pos = np.cumsum(step, dtype=wl.dtype)
        pos -= step  # each word's start in the joined texts
        lengths = np.diff(self.offsets)
        start = pos - np.repeat(pos[self.offsets[:-1]], lengths)
        return texts, start, start + wl


def line_layout(b: np.ndarray, sepb: int) -> tuple[np.ndarray, ...] | None:
    """The lines of the bytes *b* (ending with a line feed): ``(line feeds, line starts,
    separators, separators before each line end, separators per line, empty lines)``,
    byte positions as int32 below 2 GiB (half the memory and fresh pages of int64);
    None when a line is longer than ``max_line_bytes``."""
    pos_t = np.int32 if len(b) < 2**31 - 1 else np.int64
    nl = np.flatnonzero(b == 10).astype(pos_t)
    ls = np.empty(len(nl), dtype=pos_t)
    ls[0] = 0
    ls[1:] = nl[:-1] + 1
    length = nl - ls
    if int(length.max()) > get_limits().max_line_bytes:
        return None
    sp = np.flatnonzero(b == sepb).astype(pos_t)
    csep = np.searchsorted(sp, nl).astype(pos_t)  # separators before each line end
    cnt = np.diff(csep, prepend=0)
    return nl, ls, sp, csep, cnt, length == 0


def parse_regular(data: bytes, sep: str | None,
                  split: Callable[[str], tuple[list[str], str]]) -> RegularFile | None:
    """*data* (a whole file: UTF-8, ``\\n`` line ends, see :func:`utf8_bytes`) parsed
    as a regular file, or None when it is not one (the caller then takes the general
    path).  *split* is the general path's line splitter, used on the few lines whose
    meaning needs it (possible ``-DOCSTART-`` lines, possibly blank lines)."""
    if not data:
        return None
    if sep is None:
        sepb = 9 if b"\t" in data else 32
    elif sep == " ":
        if b"\t" in data:
            return None
        sepb = 32
    elif sep == "\t":
        sepb = 9
    else:
        return None
    ascii_ = data.isascii()
    if not data.endswith(b"\n"):
        data += b"\n"
    if sepb == 32:
        if any(c in data for c in _ASCII_WS) or b"  " in data or b"\n " in data \
                or b" \n" in data or data[:1] == b" ":
            return None
    b = np.frombuffer(data, dtype=np.uint8)
    if sepb == 32 and not ascii_ and _has_unicode_space(b):
        return None  # str.split() splits on it
    layout = line_layout(b, sepb)
    if layout is None:
        return None  # the general path measures the long line in characters and says so
    nl, ls, sp, csep, cnt, blank = layout
    nlines = len(nl)
    if sepb == 9:  # whitespace-only lines ("\t" in WNUT-17) separate sentences too
        cand = np.flatnonzero(~blank & _MAY_BE_BLANK[b[ls]])
        for i in cand.tolist():
            if data[ls[i]:nl[i]].decode("utf-8").isspace():
                blank[i] = True
    docstart = np.zeros(nlines, dtype=bool)
    hits = []
    pos = data.find(b"-DOCSTART-")
    while pos >= 0:
        hits.append(pos)
        pos = data.find(b"-DOCSTART-", pos + 1)
    for i in sorted(set(np.searchsorted(nl, hits).tolist())):
        if not blank[i]:
            fields, _ = split(data[ls[i]:nl[i]].decode("utf-8"))
            docstart[i] = bool(fields) and fields[0] == DOCSTART
    token = ~blank & ~docstart
    tok_line = np.flatnonzero(token)
    if not len(tok_line):
        return None
    c = cnt[tok_line]
    k = int(c[0]) + 1
    if (c != k - 1).any() or (sep is None and sepb == 9 and k < 2):
        return None  # ragged, or lines without a tab split on whitespace
    prev = np.zeros(nlines, dtype=bool)
    prev[1:] = token[:-1]
    first_tok = np.flatnonzero((token & ~prev)[tok_line])
    r = RegularFile()
    r.data = data
    r.b = b
    r.ls, r.nl, r.sp = ls, nl, sp
    r.first_sep = (csep - cnt)[tok_line]
    del csep, cnt
    r.tok_line = tok_line
    r.offsets = np.append(first_tok, len(tok_line)).astype(np.int64)
    r.docstart = np.flatnonzero(docstart)
    r.ncols = k
    r.sep = chr(sepb)
    r.ascii = ascii_
    return r
