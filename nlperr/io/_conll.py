"""CoNLL-style column files: one token per line, blank lines between sentences."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import compress
from operator import itemgetter, methodcaller
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Example, Span, detect_scheme, normalize_scheme, split_tag
from ..data import tags_to_spans, tokens_from_words
from ..data.schemes import MISSING
from ..errors import Errors, FormatError, InputError, RepairWarning, SchemeError, Warnings
from ..errors import shorten, warn
from ..limits import get_limits
from ._common import PathLike, check_file, empty_error, locate_scheme_error
from ._common import FileStream, paired
from ._text import byte_lines, check_encoding, iter_line_blocks, iter_lines
from ._text import read_line_chunks, read_lines
from ._regular import OTHER_WHITESPACE, RegularFile, parse_regular, utf8_file
from ._columnar import ColumnBlock, build_examples, no_gc, resolve_from_stats, resolve_scheme
from ..data._tagarrays import encode_tag_ids, encode_tags, merge_scheme_stats, scheme_stats

__all__ = ["read_conll", "iter_conll", "write_conll"]

DOCSTART = "-DOCSTART-"


@dataclass
class _Sentence:
    words: list[str] = field(default_factory=list)
    tags: list[str] | None = field(default_factory=list)
    extras: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    sep: str = "\t"
    ncols: int = 0
    doc_index: int = -1
    docstart: str | None = None


def _splitter(sep: str | None):
    if sep is None:
        def split(line: str) -> tuple[list[str], str]:
            if "\t" in line:
                return line.split("\t"), "\t"
            return line.split(), " "
    elif sep == " ":
        def split(line: str) -> tuple[list[str], str]:
            return line.split(), " "
    else:
        def split(line: str) -> tuple[list[str], str]:
            return line.split(sep), sep
    return split


def _column(index: int, ncols: int, where: str, name: str) -> int:
    if not -ncols <= index < ncols:
        raise FormatError(Errors.E004.format(where=where, column=f"{name}={index}", ncols=ncols,
                                             maxcol=ncols - 1))
    return index % ncols


class _DocState:
    """Document numbering carried from one block of lines to the next."""

    __slots__ = ("doc_index", "pending")

    def __init__(self) -> None:
        self.doc_index = -1
        self.pending: str | None = None


def _iter_sentences(numbered: Iterable[tuple[int, str]], name: str, *, token_column: int,
                    tag_column: int | None, sep: str | None,
                    state: _DocState | None = None) -> Iterator[_Sentence]:
    """Parse numbered lines into raw sentences (words, tags, extra columns, line numbers).

    The per-sentence path: used for files whose sentences differ in their number of
    columns, and to raise the exact error of an offending sentence.
    """
    split = _splitter(sep)
    state = state or _DocState()
    cur: _Sentence | None = None
    tc = gc = 0
    for number, line in numbered:
        if not line.strip():  # empty or whitespace-only line (WNUT-17 uses a lone TAB)
            if cur is not None:
                yield cur
                cur = None
            continue
        fields, used = split(line)
        if fields[0] == DOCSTART:
            if cur is not None:
                yield cur
                cur = None
            state.doc_index += 1
            state.pending = line
            continue
        where = f"{name}:{number}"
        if cur is None:
            ncols = len(fields)
            tc = _column(token_column, ncols, where, "token_column")
            gc = -1 if tag_column is None else _column(tag_column, ncols, where, "tag_column")
            if gc == tc:
                gc = -1
            cur = _Sentence(sep=used, ncols=ncols, doc_index=state.doc_index,
                            docstart=state.pending, tags=None if gc < 0 else [])
            state.pending = None
        elif len(fields) != cur.ncols:
            raise FormatError(Errors.E001.format(where=where, expected=cur.ncols, got=len(fields),
                                                 line=shorten(line)))
        cur.words.append(fields[tc])
        if gc >= 0:
            tag = fields[gc]
            split_tag(tag, where=where)  # malformed tag -> E002 naming file:line
            cur.tags.append(tag)  # type: ignore[union-attr]
        if cur.ncols > (2 if gc >= 0 else 1):
            cur.extras.append([f for i, f in enumerate(fields) if i != tc and i != gc])
        cur.lines.append(number)
    if cur is not None:
        yield cur


# --- the columnar path: a whole block of lines at once ------------------------------------

class _Block:
    """The sentences of a block of lines as columns, with their metadata."""

    __slots__ = ("columns", "metas", "ids", "lines", "first_no", "has_tags")

    def __init__(self, columns: ColumnBlock, metas: list[dict], ids: list[str],
                 lines: list[str], first_no: int, has_tags: bool) -> None:
        self.columns = columns
        self.metas = metas
        self.ids = ids
        self.lines = lines
        self.first_no = first_no
        self.has_tags = has_tags


def _split_rows(lines: list[str], sep: str | None) -> list[list[str]]:
    """Fields of every line: with ``sep=None`` a line holding a tab is split on tabs,
    any other line on runs of whitespace (C-level maps; lines without a tab in a
    tab-separated file are re-split afterwards)."""
    if sep == " " or (sep is None and not any(map(_has_tab, lines))):
        return list(map(str.split, lines))
    if sep is not None:
        return list(map(methodcaller("split", sep), lines))
    rows = list(map(_split_tab, lines))
    for i in np.flatnonzero(np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)) == 1):
        rows[i] = lines[i].split()  # no tab on this line: whitespace-separated
    return rows


_split_tab = methodcaller("split", "\t")
_has_tab = methodcaller("__contains__", "\t")
_has_docstart = methodcaller("__contains__", DOCSTART)


class _Fields:
    """Every line's fields, either as one list per line, or — for regular files — as
    one flat array of all fields with each line's first-field position (no list per
    line: the cheap layout for a million-token file)."""

    __slots__ = ("rows", "flat", "start", "width", "seps")

    def __init__(self, lines: list[str], text: str, sep: str | None) -> None:
        self.rows: list[list[str]] | None = None
        self.flat = self.start = None
        self.seps: list[str] | None = None
        flat = _flat_fields(lines, text, sep)
        if flat is None:
            self.rows = _split_rows(lines, sep)
            self.width = np.fromiter(map(len, self.rows), dtype=np.int64, count=len(lines))
        else:
            self.flat, self.start, self.width, used = flat
            self.seps = [used]

    def first(self, i: int) -> str | None:
        if self.rows is not None:
            r = self.rows[i]
            return r[0] if r else None
        return self.flat[self.start[i]] if self.width[i] else None

    def column(self, lines_idx: np.ndarray, c: int) -> list[str]:
        if self.rows is not None:
            return list(map(itemgetter(c), compress(self.rows, _mask(lines_idx, len(self.rows)))))
        return self.flat[self.start[lines_idx] + c].tolist()


def _mask(idx: np.ndarray, n: int) -> list[bool]:
    m = np.zeros(n, dtype=bool)
    m[idx] = True
    return m.tolist()


def _flat_fields(lines: list[str], text: str, sep: str | None):
    """All fields of a regular file at once: single spaces between fields (no tab) or
    single tabs (every non-blank line holding one), no leading / trailing separators.
    Returns ``(flat, start, width, sep)`` or None when the file is not that regular."""
    if sep in (None, " ") and "\t" not in text:
        if ("  " in text or "\n " in text or " \n" in text or text[:1] == " "
                or text[-1:] == " " or _OTHER_SPACE.search(text)):
            return None  # str.split() would cut elsewhere than at single spaces
        flat = text.split()
        width = np.fromiter(map(_count_space, lines), dtype=np.int64, count=len(lines)) + 1
        width[np.fromiter(map(len, lines), dtype=np.int64, count=len(lines)) == 0] = 0
        used = " "
    elif sep in (None, "\t") and "\t" in text:
        flat = text.replace("\n", "\t").split("\t")
        width = np.fromiter(map(_count_tab, lines), dtype=np.int64, count=len(lines)) + 1
        if sep is None and not _all_tabbed(lines, width):
            return None  # a non-blank line without a tab is split on whitespace
        used = "\t"
    else:
        return None
    if int(width.sum()) != len(flat):
        return None  # other whitespace inside fields (str.split() splits on it)
    start = np.cumsum(width) - width
    arr = np.empty(len(flat), dtype=object)
    arr[:] = flat
    return arr, start, width, used


def _all_tabbed(lines: list[str], width: np.ndarray) -> bool:
    lone = np.flatnonzero(width == 1)  # lines without a tab: blank ones only
    return all(not lines[i] or lines[i].isspace() for i in lone.tolist())


_count_space = methodcaller("count", " ")
_OTHER_SPACE = re.compile("[" + re.escape(OTHER_WHITESPACE) + "]")
_count_tab = methodcaller("count", "\t")


def _lines_holding(text: str, length: np.ndarray, needle: str) -> list[int]:
    """Indices of the lines (*text* is them joined by ``\\n``; *length* their lengths)
    that contain *needle*: found in the text, not line by line, since a document
    marker occurs a few hundred times in a million lines."""
    pos, hits = text.find(needle), []
    while pos >= 0:
        hits.append(pos)
        pos = text.find(needle, pos + 1)
    if not hits:
        return []
    line_start = np.cumsum(length + 1) - (length + 1)
    return sorted(set((np.searchsorted(line_start, hits, side="right") - 1).tolist()))


def _parse_block(lines: list[str], first_no: int, name: str, *, token_column: int,
                 tag_column: int | None, sep: str | None, state: _DocState,
                 text: str | None = None, keep_columns: bool = True) -> _Block | None:
    """Split *lines* (line *first_no* first; *text* the same lines joined, when the
    caller has it) into columns; None when the sentences do not all have the same
    number of columns (the caller then takes the per-sentence path).  Raises the first
    format error of the block in file order."""
    if text is None:
        text = "\n".join(lines)  # joined once: the flat fields and the marker search use it
    fields = _Fields(lines, text, sep)
    nlines = len(lines)
    length = np.fromiter(map(len, lines), dtype=np.int64, count=nlines)
    blank = (length == 0) | (fields.width == 0)
    if fields.seps != [" "]:  # single-space files have no whitespace-only line
        blank |= np.fromiter(map(str.isspace, lines), dtype=bool, count=nlines)
    docstart = np.zeros(nlines, dtype=bool)
    for i in _lines_holding(text, length, DOCSTART):
        if not blank[i] and fields.first(i) == DOCSTART:
            docstart[i] = True
    token = ~blank & ~docstart
    tok_line = np.flatnonzero(token)
    if not len(tok_line):
        for i in np.flatnonzero(docstart).tolist():
            state.doc_index += 1
            state.pending = lines[i]
        return _Block(ColumnBlock([], None, np.zeros(1, dtype=np.int64), tok_line), [], [],
                      lines, first_no, False)
    prev_token = np.zeros(nlines, dtype=bool)
    prev_token[1:] = token[:-1]
    is_first = (token & ~prev_token)[tok_line]
    ncol = fields.width[tok_line]
    starts = np.flatnonzero(is_first)
    offsets = np.append(starts, len(tok_line))
    if not (ncol == ncol[0]).all():
        return None  # ragged lines or sentences of different widths: per-sentence path
    k = int(ncol[0])
    where0 = f"{name}:{first_no + int(tok_line[0])}"
    tc = _column(token_column, k, where0, "token_column")
    gc = -1 if tag_column is None else _column(tag_column, k, where0, "tag_column")
    if gc == tc:
        gc = -1
    words = fields.column(tok_line, tc)
    tags_col = fields.column(tok_line, gc) if gc >= 0 else None
    if tags_col is not None:  # a malformed tag -> E002 naming the first line that has one
        bad = []
        for tag in set(tags_col):
            try:
                split_tag(tag)
            except SchemeError:
                bad.append(tags_col.index(tag))
        if bad:
            i = min(bad)
            split_tag(tags_col[i], where=f"{name}:{first_no + int(tok_line[i])}")
    others = [i for i in range(k) if i != tc and i != gc]
    extras = None
    if keep_columns and k > (2 if gc >= 0 else 1):
        cols = [fields.column(tok_line, i) for i in others]
        extras = list(map(list, zip(*cols)))
    # sentence metadata: separator, documents, ids
    first_lines = tok_line[starts].tolist()
    if fields.seps is not None:
        seps = fields.seps * len(first_lines)
    elif sep is None:
        seps = ["\t" if "\t" in lines[i] else " " for i in first_lines]
    else:
        seps = [sep] * len(first_lines)
    ds_pos = np.flatnonzero(docstart)
    metas, ids = _metas_and_ids(name, first_no, first_lines, ds_pos, lines.__getitem__, seps,
                                gc >= 0, extras, offsets.tolist(), state, int(tok_line[-1]))
    line_no = tok_line + first_no
    return _Block(ColumnBlock(words, tags_col, offsets, line_no), metas, ids, lines, first_no,
                  gc >= 0)


def _metas_and_ids(name: str, first_no: int, first_lines: list[int], ds_pos: np.ndarray,
                   line_text, seps: list[str], has_tags: bool, extras: list | None,
                   off: list[int], state: _DocState, last_token_line: int
                   ) -> tuple[list[dict], list[str]]:
    """Each sentence's ``meta`` and id (*first_lines*: the block's line index of each
    sentence's first token; *ds_pos*: those of the ``-DOCSTART-`` lines, whose text
    *line_text(i)* gives), and the document state for the next block."""
    doc_of = (np.searchsorted(ds_pos, first_lines) - 1).tolist()
    base = state.doc_index
    metas: list[dict] = []
    ids = [f"{name}:{first_no + li}" for li in first_lines]
    prev_doc = -1
    for j in range(len(first_lines)):
        meta: dict = {"scheme": None} if has_tags else {}  # scheme: filled in once known
        if extras is not None:
            meta["columns"] = extras[off[j]:off[j + 1]]
        meta["sep"] = seps[j]
        d = doc_of[j]
        doc_index = base + d + 1 if d >= 0 else base
        if doc_index >= 0:
            meta["doc_index"] = doc_index
            meta["doc_id"] = f"{name}#{doc_index}"
            if d >= 0 and d != prev_doc:
                meta["docstart"] = line_text(int(ds_pos[d]))
            elif d < 0 and j == 0 and state.pending is not None:
                meta["docstart"] = state.pending
        prev_doc = d
        metas.append(meta)
    # state for the next block
    if len(ds_pos):
        state.doc_index = base + len(ds_pos)
        last_ds = int(ds_pos[-1])
        state.pending = line_text(last_ds) if last_ds > last_token_line else None
    elif len(first_lines):
        state.pending = None
    return metas, ids


def _examples_of_block(block: _Block, name: str, scheme: str, strict: bool,
                       opts: dict) -> tuple[list[Example], int, str | None]:
    cols = block.columns
    if block.has_tags:
        for m in block.metas:
            m["scheme"] = scheme

    def sentence(k: int) -> _Sentence:
        a, b = int(cols.offsets[k]), int(cols.offsets[k + 1])
        lines = cols.lines[a:b].tolist()
        return next(_iter_sentences(((n, block.lines[n - block.first_no]) for n in lines),
                                    name, **opts))

    def on_invalid(k: int) -> None:
        _Builder(name, scheme, True)(sentence(k))

    def locate(k: int) -> str:
        sent = sentence(k)
        where = f"{name}:{sent.lines[0]}"
        try:
            tags_to_spans(sent.tags or [], scheme, strict=True, where=where)
        except SchemeError as err:
            return f"line {locate_scheme_error(err, where, sent.lines)}"
        return f"line {sent.lines[0]}"  # pragma: no cover - k is an invalid sentence

    return build_examples(cols, name=name, scheme=scheme, strict=strict, on_invalid=on_invalid,
                          locate=locate, metas=block.metas, ids=block.ids)


def _read_blocks(p: Path, opts: dict, encoding: str, errors: str,
                 block_lines: int | None) -> Iterator[tuple[Any, int]]:
    """The file as blocks that end on a sentence boundary (one block when *block_lines*
    is None): lists of lines, or -- a UTF-8 file read strictly -- the bytes of the
    chunks :func:`iter_line_blocks` checks (each cut after its last blank line), which
    the byte parser reads without a string per line."""
    if block_lines is None:
        yield read_lines(p, encoding=encoding, errors=errors), 1
        return
    buf: list[str] = []
    first = 1
    carry = b""  # the bytes after the last blank line of the chunks so far
    carry_first = 1
    for start, part in iter_line_blocks(p, encoding=encoding, errors=errors, raw=True):
        if isinstance(part, bytes) and not buf:
            data = carry + part if carry else part
            data_first = carry_first if carry else start
            at = 0
            for cut, lines_before in _blank_line_cuts(data, block_lines):
                yield data[at:cut], data_first
                at, data_first = cut, data_first + lines_before
            carry, carry_first = data[at:], data_first
            continue
        lines = part if not isinstance(part, bytes) else byte_lines(part)
        if carry:  # lines after bytes (a chunk with a lone CR): the carry as lines too
            lines = byte_lines(carry) + lines
            start = carry_first
            carry = b""
        if not buf:
            first = start
        buf.extend(lines)
        while len(buf) >= block_lines:
            # cut after the first blank line from the block_lines-th line on
            k = next((i for i in range(block_lines - 1, len(buf))
                      if not buf[i] or buf[i].isspace()), None)
            if k is None:
                break
            yield buf[:k + 1], first
            first += k + 1
            buf = buf[k + 1:]
    if carry:
        yield carry, carry_first
    if buf:
        yield buf, first


def _blank_line_cuts(data: bytes, block_lines: int) -> list[tuple[int, int]]:
    """Where to cut the bytes of whole lines *data* into blocks, as the line reader
    does: after the first blank line (empty or ASCII whitespace only) from the
    *block_lines*-th line of each block on.  ``(offset after that line, lines in the
    block)`` per cut; the rest (no blank line far enough) is not cut."""
    nl, is_blank = _line_ends(np.frombuffer(data, dtype=np.uint8), last=False)
    blank = np.flatnonzero(is_blank)  # line indices (of lines that end in a line feed)
    cuts = []
    first = 0  # the first line of the current block
    while True:
        k = int(np.searchsorted(blank, first + block_lines - 1))
        if k >= len(blank):
            return cuts
        line = int(blank[k])
        cuts.append((int(nl[line]) + 1, line + 1 - first))
        first = line + 1


def _line_ends(arr: np.ndarray, *, last: bool) -> tuple[np.ndarray, np.ndarray]:
    """The end of every line of the bytes *arr* (its line feed; with *last*, also the end
    of a final line without one) and whether each line is blank (empty or ASCII
    whitespace only)."""
    nl = np.flatnonzero(arr == 10)
    stops = np.append(nl, len(arr)) if last else nl
    starts = np.concatenate([[0], nl + 1])[:len(stops)]
    cs = np.concatenate([[0], np.cumsum(~_WS[arr], dtype=np.int64)])
    return stops, cs[stops] == cs[starts]


class _LazyLines:
    """The lines of a file, made only when one is asked for (error messages)."""

    __slots__ = ("file", "lines")

    def __init__(self, file: RegularFile) -> None:
        self.file = file
        self.lines: list[str] | None = None

    def __getitem__(self, i: int) -> str:
        if self.lines is None:
            self.lines = self.file.text().split("\n")
        return self.lines[i]


def _parse_fast(data: bytes, name: str, *, token_column: int, tag_column: int | None,
                sep: str | None, state: _DocState, keep_columns: bool,
                first_no: int = 1) -> _Block | None:
    """A whole regular file (or a block of it starting at line *first_no*) as one
    block, parsed from its bytes (:mod:`._regular`); None when it is not regular or
    anything in it needs the general path (which raises the errors)."""
    r = parse_regular(data, sep, _splitter(sep))
    cols = None if r is None else _regular_tags(r, name, token_column, tag_column)
    if cols is None:
        return None
    tc, gc, tags, arrays = cols
    k = r.ncols
    others = [i for i in range(k) if i != tc and i != gc]
    extras = r.columns(others) if keep_columns and others else None
    texts, starts, ends = r.texts_and_offsets(tc)
    offsets = r.offsets
    first_lines = r.tok_line[offsets[:-1]].tolist()
    metas, ids = _metas_and_ids(name, first_no, first_lines, r.docstart, r.line,
                                [r.sep] * len(first_lines), gc >= 0, extras, offsets.tolist(),
                                state, int(r.tok_line[-1]))
    columns = ColumnBlock(None, tags, offsets, r.tok_line + first_no, texts=texts,
                          starts=starts, ends=ends)
    columns.arrays = arrays
    return _Block(columns, metas, ids, _LazyLines(r), first_no,  # type: ignore[arg-type]
                  gc >= 0)


def _regular_tags(r: RegularFile, name: str, token_column: int, tag_column: int | None
                  ) -> tuple[int, int, list[str] | None, Any] | None:
    """``(token column, tag column (-1: none), tags, tag arrays)`` of a regular file: the
    tags coded from their bytes (arrays), else as strings; None when a column is out of
    range or a tag is malformed (the general path then names the line)."""
    try:
        tc = _column(token_column, r.ncols, name, "token_column")
        gc = -1 if tag_column is None else _column(tag_column, r.ncols, name, "tag_column")
    except FormatError:
        return None
    if gc == tc:
        gc = -1
    if gc < 0:
        return tc, gc, None, None
    coded = r.codes(gc)
    tags = r.column(gc) if coded is None else None
    try:
        for tag in (set(tags) if coded is None else coded[1]):  # type: ignore[arg-type]
            split_tag(tag)
    except SchemeError:
        return None
    arrays = None if coded is None else encode_tag_ids(coded[0], coded[1], r.offsets)
    return tc, gc, tags, arrays


def _parse_lines_fast(text: str, first_no: int, name: str, *, state: _DocState,
                      keep_columns: bool, **opts: Any) -> _Block | None:
    """A streamed block of decoded lines (*text*: joined by line feeds) through the byte
    parser (re-encoded as UTF-8: the lines were already decoded and checked); None when
    the block is not regular (the caller then takes :func:`_parse_block`, which raises
    the errors)."""
    before = (state.doc_index, state.pending)
    block = _parse_fast(text.encode("utf-8"), name, state=state,
                        keep_columns=keep_columns, first_no=first_no, **opts)
    if block is None:
        state.doc_index, state.pending = before
    return block


def _examples(p: Path, opts: dict, scheme: str | None, strict: bool, encoding: str,
              errors: str, block_lines: int | None, keep_columns: bool = True
              ) -> Iterator[Example]:
    """Examples of *p*, block by block (columnar path, per-sentence path for blocks
    whose sentences differ in their number of columns)."""
    name = p.name
    state = _DocState()
    repaired, first_repair = 0, None
    seen = False
    if scheme is None and block_lines is not None:  # streaming: detect on the whole file first
        scheme = _detect_streaming(p, opts, encoding, errors, block_lines)
    sch = scheme
    fast = None
    data = utf8_file(p, encoding, errors) if block_lines is None else None
    if data is not None:  # the whole file: a regular one is parsed from its bytes
        with no_gc():
            fast = _parse_fast(data, name, state=state, keep_columns=keep_columns, **opts)
        del data
    if fast is not None:
        sch, exs, repaired, first_repair = _block_examples(fast, name, scheme, strict, opts)
        seen = True
        yield from exs
    blocks = _read_blocks(p, opts, encoding, errors, block_lines) if fast is None else ()
    for lines, first_no in blocks:
        exs, block_sch, rep, first = _lines_examples(lines, first_no, name, state, scheme,
                                                     strict, keep_columns, opts)
        if block_sch is None:  # no sentence in the block
            continue
        sch = block_sch
        repaired += rep
        first_repair = first_repair or first
        seen = seen or bool(exs)
        yield from exs
    if not seen:
        raise empty_error(p)
    if repaired:
        warn(Warnings.W009.format(where=name, count=repaired, scheme=sch,
                                  first=first_repair), RepairWarning, stacklevel=3)


def _lines_examples(lines: list[str], first_no: int, name: str, state: _DocState,
                    scheme: str | None, strict: bool, keep_columns: bool, opts: dict
                    ) -> tuple[list[Example], str | None, int, str | None]:
    """``(examples, scheme, repaired, first repair)`` of one block of lines starting at
    line *first_no* (the byte parser, else the columnar one, else the per-sentence
    path); the scheme is None when the block holds no sentence."""
    before = (state.doc_index, state.pending)
    with no_gc():
        if isinstance(lines, bytes):  # a checked UTF-8 chunk: the byte parser first
            block = _parse_fast(lines, name, state=state, keep_columns=keep_columns,
                                first_no=first_no, **opts)
            if block is None:
                state.doc_index, state.pending = before
                lines = byte_lines(lines)
                text = "\n".join(lines)
        else:
            text = "\n".join(lines)  # joined once, for both parsers
            block = _parse_lines_fast(text, first_no, name, state=state,
                                      keep_columns=keep_columns, **opts)
        if block is None:
            block = _parse_block(lines, first_no, name, state=state, text=text,
                                 keep_columns=keep_columns, **opts)
    if block is None:
        state.doc_index, state.pending = before
        sentences = list(_iter_sentences(enumerate(lines, first_no), name, state=state, **opts))
        sch = scheme if scheme is not None else _resolve_scheme(None, sentences, name)
        build = _Builder(name, sch, strict)
        out = []
        for sent in sentences:
            if not keep_columns:
                sent.extras = []
            out.append(build(sent))
        return out, sch, build.repaired, build.first_repair
    if not block.ids:
        return [], None, 0, None
    sch, exs, rep, first = _block_examples(block, name, scheme, strict, opts)
    return exs, sch, rep, first


def _block_examples(block: _Block, name: str, scheme: str | None, strict: bool, opts: dict
                    ) -> tuple[str, list[Example], int, str | None]:
    """``(scheme, examples, repaired, first repair)`` of a columnar block; the scheme is
    *scheme*, or detected from the block's tags."""
    if scheme is not None or not block.has_tags:
        sch = scheme or "IOB2"
    else:
        sch = resolve_scheme(None, block.columns, name)
    with no_gc():
        exs, rep, first = _examples_of_block(block, name, sch, strict, opts)
    return sch, exs, rep, first


def _read_per_sentence(path: PathLike, *, scheme: str | None = None, strict: bool = True,
                       encoding: str = "utf-8", **opts) -> list[Example]:
    """The per-sentence reader (the reference the columnar path is tested against)."""
    p = check_file(path)
    opts = {"token_column": 0, "tag_column": -1, "sep": None, **opts}
    sentences = list(_iter_sentences(iter_lines(p, encoding=encoding), p.name, **opts))
    if not sentences:
        raise empty_error(p)
    build = _Builder(p.name, _resolve_scheme(scheme, sentences, p.name), strict)
    out = [build(s) for s in sentences]
    build.finish()
    return out


def detect_file_scheme(path: PathLike, *, tag_column: int | None = -1,
                       encoding: str = "utf-8", encoding_errors: str = "strict") -> str:
    """The tagging scheme of a CoNLL file, read block by block in flat memory (what
    :func:`iter_conll` detects when no *scheme* is given), for callers that stream
    the same file more than once."""
    p = check_file(path, what="detect_file_scheme")
    check_encoding(encoding, encoding_errors)
    opts = dict(token_column=0, tag_column=tag_column, sep=None)
    return _detect_streaming(p, opts, encoding, encoding_errors, _STREAM_BLOCK_LINES)


_NO_TAGS: dict = {}  # _tag_stats_fast: a regular block without a tag column


def _tag_stats_fast(text: str | bytes, name: str, *, token_column: int,
                    tag_column: int | None, sep: str | None) -> dict | None:
    """The scheme statistics of a regular block's tags from its bytes (``_NO_TAGS``:
    the block has no tags), or None when the block needs the general path.  The
    block's ``-DOCSTART-`` lines and texts do not matter here, so they are not built."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    r = parse_regular(data, sep, _splitter(sep))
    cols = None if r is None else _regular_tags(r, name, token_column, tag_column)
    if cols is None:
        return None
    _, gc, tags, arrays = cols
    if gc < 0:
        return _NO_TAGS
    return scheme_stats(encode_tags(tags, r.offsets) if arrays is None else arrays)


def _detect_streaming(p: Path, opts: dict, encoding: str, errors: str,
                      block_lines: int) -> str:
    """The scheme of a whole file read block by block (statistics merged over blocks)."""
    name = p.name
    state = _DocState()
    stats = None
    for lines, first_no in _read_blocks(p, opts, encoding, errors, block_lines):
        if isinstance(lines, bytes):
            fast = _tag_stats_fast(lines, name, **opts)
            if fast is None:
                lines = byte_lines(lines)
                text = "\n".join(lines)
        else:
            text = "\n".join(lines)  # joined once, for both parsers
            fast = _tag_stats_fast(text, name, **opts)
        if fast is not None:  # the tag statistics straight from the bytes
            if fast is not _NO_TAGS:
                stats = fast if stats is None else merge_scheme_stats(stats, fast)
            continue
        before = (state.doc_index, state.pending)
        block = _parse_block(lines, first_no, name, state=state, text=text, **opts)
        if block is None:
            state.doc_index, state.pending = before
            sentences = _iter_sentences(enumerate(lines, first_no), name, state=state, **opts)
            tags = [t for s in sentences if s.tags for t in s.tags + ["O"]]
            offsets = np.array([0, len(tags)], dtype=np.int64)
            block_stats = scheme_stats(encode_tags(tags, offsets))
        elif block.has_tags:
            block_stats = scheme_stats(block.columns.tag_arrays(name))
        else:
            continue
        stats = block_stats if stats is None else merge_scheme_stats(stats, block_stats)
    return resolve_from_stats(stats, name)


class _Builder:
    """Turn raw sentences into Examples (decoding tags, collecting repairs)."""

    def __init__(self, name: str, scheme: str | None, strict: bool) -> None:
        self.name = name
        self.scheme = scheme
        self.strict = strict
        self.repaired = 0
        self.first_repair: str | None = None

    def __call__(self, sent: _Sentence) -> Example:
        where = f"{self.name}:{sent.lines[0]}"
        text, tokens = tokens_from_words(sent.words)
        meta: dict = {}
        spans = None
        missing: tuple[tuple[int, int], ...] = ()
        if sent.tags is not None:
            scheme = self.scheme or "IOB2"
            meta["scheme"] = scheme
            try:
                tspans = tags_to_spans(sent.tags, scheme, strict=True, where=where)
            except SchemeError as err:
                line = locate_scheme_error(err, where, sent.lines)
                if self.strict:
                    # re-raise naming the line of the offending tag
                    try:
                        tags_to_spans(sent.tags, scheme, strict=True, where=f"{self.name}:{line}")
                    except SchemeError as located:
                        raise located from None
                    raise  # pragma: no cover - the second call always raises
                self.repaired += 1
                self.first_repair = self.first_repair or f"line {line}"
                tspans = tags_to_spans(sent.tags, scheme, strict=False, where=where,
                                       warn_repairs=False)
            spans = tuple(Span(tokens[s].start, tokens[e - 1].end, lab) for s, e, lab in tspans)
            if MISSING in sent.tags:
                missing = tuple((tokens[i].start, tokens[i].end)
                                for i, t in enumerate(sent.tags) if t == MISSING)
        if sent.extras:
            meta["columns"] = sent.extras
        meta["sep"] = sent.sep
        if sent.doc_index >= 0:
            meta["doc_index"] = sent.doc_index
            meta["doc_id"] = f"{self.name}#{sent.doc_index}"
            if sent.docstart is not None:
                meta["docstart"] = sent.docstart
        return Example(text=text, tokens=tokens, spans=spans, missing=missing, meta=meta, id=where)

    def finish(self) -> None:
        if self.repaired:
            warn(Warnings.W009.format(where=self.name, count=self.repaired, scheme=self.scheme,
                                      first=self.first_repair), RepairWarning, stacklevel=3)


def _resolve_scheme(scheme: str | None, sentences: Iterable[_Sentence], name: str) -> str:
    if scheme is not None:
        return normalize_scheme(scheme)
    return detect_scheme((s.tags for s in sentences if s.tags), where=name)


def read_conll(
    path: PathLike,
    *,
    token_column: int = 0,
    tag_column: int | None = -1,
    scheme: str | None = None,
    strict: bool = True,
    sep: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    keep_columns: bool = True,
) -> list[Example]:
    """Read a CoNLL-style column file into a list of examples.

    One token per line, columns separated by a tab (or runs of spaces), and an
    empty or whitespace-only line between sentences.  ``-DOCSTART-`` lines start a
    new document.

    Parameters
    ----------
    path : str or path
        The file.
    token_column, tag_column : int
        Column indices of the token and of the tag (negative indices count from the
        end).  ``tag_column=None`` (or the token column) reads unannotated tokens:
        ``spans`` is then None.  Read the gold and the predicted column of one file
        with two calls (``tag_column=1`` / ``tag_column=2``).
    scheme : str, optional
        Tagging scheme of the tags (IOB1, IOB2, IOE1, IOE2, BIOES, BILOU).  Detected
        from the whole file with :func:`nlperr.data.detect_scheme` when not given.
    strict : bool, default True
        Raise on tags that are invalid under *scheme* (e.g. ``I-`` after ``O`` in
        IOB2), naming file and line.  ``strict=False`` decodes them the conlleval
        way and emits one :class:`~nlperr.errors.RepairWarning` for the file.
    sep : str, optional
        Column separator.  None: tab when the line holds one, else runs of
        whitespace; ``" "``: runs of whitespace; anything else: that exact string.
    encoding : str, default "utf-8"
        Text encoding of the file (a byte-order mark is skipped; ``\\r\\n`` and ``\\r``
        line ends are accepted).  Bytes that are not valid in it raise E030 naming the
        line and suggesting an encoding that decodes the file.
    encoding_errors : {"strict", "replace"}, default "strict"
        ``"replace"`` reads undecodable bytes as U+FFFD and warns (W030) with a count.
    keep_columns : bool, default True
        Keep the other columns of each token in ``meta["columns"]`` (what
        :func:`write_conll` writes back).  ``False`` skips them: less memory and time
        when only tokens and tags matter (``nlperr analyze`` reads files so).

    Returns
    -------
    list of Example
        One example per sentence.  ``text`` is the tokens joined by single spaces;
        ``id`` is ``"<file name>:<first line>"``.  ``meta`` holds ``scheme``,
        ``sep``, ``columns`` (the other columns of each token, in file order, when
        there are any), and in files with ``-DOCSTART-`` lines ``doc_index``,
        ``doc_id`` and, on the first sentence of a document, ``docstart`` (the line,
        so :func:`write_conll` reproduces it).

    Raises
    ------
    FormatError
        E001 ragged line, E003 empty file, E004 no such column.
    SchemeError
        E002 malformed tag, E104 invalid tag sequence (strict), both naming file:line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.conll"
    >>> _ = p.write_text("Anna\\tB-PER\\nsmiled\\tO\\n\\nBye\\tO\\n", encoding="utf-8")
    >>> exs = read_conll(p)
    >>> exs[0].text, [(exs[0].span_text(s), s.label) for s in exs[0].spans], exs[0].id
    ('Anna smiled', [('Anna', 'PER')], 'tiny.conll:1')
    """
    p = check_file(path, what="read_conll")
    check_encoding(encoding, encoding_errors)
    opts = dict(token_column=token_column, tag_column=tag_column, sep=sep)
    with no_gc(keep=True):  # the examples are kept: see nlperr._gc.no_gc
        return list(_examples(p, opts, scheme, strict, encoding, encoding_errors, None,
                              keep_columns=keep_columns))


def iter_conll(
    path: PathLike,
    *,
    token_column: int = 0,
    tag_column: int | None = -1,
    scheme: str | None = None,
    strict: bool = True,
    sep: str | None = None,
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
    keep_columns: bool = True,
) -> Iterator[Example]:
    """Stream the examples of a CoNLL file one at a time (same options as :func:`read_conll`).

    Memory stays constant in the corpus size.  When *scheme* is not given the file
    is read twice: once to detect the scheme, once to build the examples.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.conll"
    >>> _ = p.write_text("Anna B-PER\\n\\nBye O\\n", encoding="utf-8")
    >>> [ex.text for ex in iter_conll(p)]
    ['Anna', 'Bye']
    """
    p = check_file(path, what="iter_conll")  # checked now, not at the first next()
    check_encoding(encoding, encoding_errors)
    opts = dict(token_column=token_column, tag_column=tag_column, sep=sep)
    return _examples(p, opts, scheme, strict, encoding, encoding_errors, _STREAM_BLOCK_LINES,
                     keep_columns=keep_columns)


#: Lines per block when streaming (memory stays bounded by one block).
_STREAM_BLOCK_LINES = 20_000


def _check_field(value: str, sep: str, where: str) -> None:
    """A field must be non-empty and hold neither the separator nor a line break.

    With the space separator (read back as runs of whitespace) no whitespace at all
    is allowed.
    """
    if sep == " ":
        bad = not value or any(c.isspace() for c in value)
        what = "whitespace (or is empty)"
    else:
        bad = not value or sep in value or "\n" in value or "\r" in value
        what = f"the separator {sep!r}, a line break or nothing"
    if bad:
        raise InputError(Errors.E021.format(where=where, token=value, what=what))


def _docstart_line(line: str, ncols: int, *, ntags: int, sep: str) -> str:
    """The ``-DOCSTART-`` line with *ncols* columns, the CoNLL-2003 way
    (``-DOCSTART- -X- -X- O``): the input line's own fields plus ``O`` for the
    added tag column when it had one column fewer, else ``-X-`` for every extra
    column and ``O`` for the *ntags* tag columns."""
    fields = line.split()
    if len(fields) == ncols - 1:
        return sep.join(fields + ["O"])
    return sep.join([DOCSTART] + ["-X-"] * (ncols - 1 - ntags) + ["O"] * ntags)


def write_conll(
    examples: Iterable[Example],
    path: PathLike,
    *,
    scheme: str | None = None,
    predictions: Iterable[Example] | None = None,
    pred_scheme: str = "IOB2",
    columns: bool = True,
    sep: str | None = None,
    encoding: str = "utf-8",
) -> None:
    """Write examples as a CoNLL column file.

    Each token line holds: the token, the extra columns kept in
    ``meta["columns"]`` (when *columns*), the gold tag (when the example has
    spans) and, when *predictions* is given, the predicted tag last.  Sentences are
    separated by an empty line; a ``meta["docstart"]`` line is written before the
    sentence that carries it, followed by an empty line: as read when no column is
    added, and with the prediction column (``O``) when *predictions* adds one, so
    that it has as many columns as the token lines (``-DOCSTART- -X- -X- O O``).  Files read with
    :func:`read_conll` are written back byte for byte (for the usual layout: token
    first, tag last, one empty line between sentences, trailing empty line).

    Parameters
    ----------
    examples : iterable of Example
        Tokenized examples.
    path : str or path
        Output file (overwritten).
    scheme : str, optional
        Scheme of the gold tags.  Default: each example's ``meta["scheme"]``, else IOB2.
    predictions : iterable of Example, optional
        Predicted examples, one per example and with the same tokens; their spans
        are written as the last column in *pred_scheme*.  *examples* and
        *predictions* are read in step, so both may be iterators (streaming).
    pred_scheme : str, default "IOB2"
    columns : bool, default True
        Write the extra columns kept in ``meta["columns"]``.
    sep : str, optional
        Column separator.  Default: each example's ``meta["sep"]``, else a tab.
    encoding : str, default "utf-8"

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nlperr.data import Example
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.conll"
    >>> ex = Example.from_tokens(["Anna", "smiled"], ["B-PER", "O"], id="a")
    >>> write_conll([ex], p)
    >>> p.read_text(encoding="utf-8")
    'Anna\\tB-PER\\nsmiled\\tO\\n\\n'
    """
    name = str(path)
    if scheme is not None:
        scheme = normalize_scheme(scheme)
    pred_scheme = normalize_scheme(pred_scheme)
    with open(path, "w", encoding=encoding, newline="\n") as fh:
        for i, ex, pred in paired(examples, predictions, where=name, tokens=True):
            where = f"{name}, example {ex.id if ex.id is not None else i!r}"
            if ex.tokens is None:
                raise InputError(Errors.E109.format(where=where))
            meta = ex.meta or {}
            s = sep or meta.get("sep") or "\t"
            n = len(ex.tokens)
            cols: list[list[str]] = [[t.text for t in ex.tokens]]
            extras = meta.get("columns") if columns else None
            if extras:
                if len(extras) != n:
                    raise InputError(Errors.E106.format(where=f"{where} meta['columns']",
                                                        ntags=len(extras), ntokens=n))
                width = len(extras[0])
                cols.extend([str(row[k]) for row in extras] for k in range(width))
            if ex.spans is not None:
                cols.append(ex.tags(scheme or meta.get("scheme") or "IOB2"))
            if pred is not None:
                if pred.spans is None:
                    raise InputError(Errors.E023.format(where=f"{where} (prediction)",
                                                        what="spans"))
                pred = pred if pred.tokens is not None else pred.copy(tokens=ex.tokens)
                cols.append(pred.tags(pred_scheme))
            docstart = meta.get("docstart")
            if docstart:
                if pred is not None:  # a column is added: the line gets it too
                    docstart = _docstart_line(docstart, len(cols), ntags=1 + (
                        ex.spans is not None), sep=s)
                fh.write(docstart + "\n\n")
            lines = []
            for row in zip(*cols):
                for value in row:
                    _check_field(value, s, where)
                lines.append(s.join(row))
            fh.write("\n".join(lines) + "\n\n")


# --- byte ranges of a CoNLL file (Ray workers read their own range) ------------------------

_WS = np.zeros(256, dtype=bool)
_WS[[9, 10, 11, 12, 13, 32]] = True


class _Unscannable(Exception):
    """A file whose lines :func:`scan_lines` cannot locate (a lone CR, an over-long line)."""


def scan_lines(p: Path, chunk_bytes: int = 1 << 24
               ) -> Iterator[tuple[np.ndarray, np.ndarray, int, int, int]]:
    """The lines of a file read in chunks of whole lines: per chunk ``(the end of each
    line in the chunk, whether it is blank (ASCII whitespace only), the chunk's byte
    offset, the lines before it, the chunk's size)``.  Raises :class:`_Unscannable` at a
    lone CR line end (line numbers would then not follow the ``\\n`` s) or a line over
    ``max_line_bytes`` (the reader says E032)."""
    pos = line0 = 0
    with open(p, "rb") as fh:
        for chunk, too_long in read_line_chunks(fh, chunk_bytes, get_limits().max_line_bytes):
            if too_long:
                raise _Unscannable
            arr = np.frombuffer(chunk, dtype=np.uint8)
            if b"\r" in chunk:
                cr = np.flatnonzero(arr == 13)
                if ((cr + 1 >= len(arr)) | (arr[np.minimum(cr + 1, len(arr) - 1)] != 10)).any():
                    raise _Unscannable
            stops, is_blank = _line_ends(arr, last=not chunk.endswith(b"\n"))
            yield stops, is_blank, pos, line0, len(arr)
            pos += len(chunk)
            line0 += len(stops)


def _blank_lines(p: Path, chunk_bytes: int = 1 << 24) -> tuple[np.ndarray, np.ndarray, int] | None:
    """``(line numbers of the blank lines, the byte after each, size)`` of a file read in
    chunks (a blank line: ASCII whitespace only), or None when :func:`scan_lines`
    cannot locate its lines."""
    numbers, ends = [], []
    size = 0
    try:
        for stops, is_blank, pos, line0, n in scan_lines(p, chunk_bytes):
            blank = np.flatnonzero(is_blank)
            numbers.append(line0 + 1 + blank)
            ends.append(pos + np.minimum(stops[blank] + 1, n))
            size = pos + n
    except _Unscannable:
        return None
    cat = (lambda xs: np.concatenate(xs) if xs else np.zeros(0, dtype=np.int64))
    return cat(numbers), cat(ends), size


class ConllStream(FileStream):
    """A CoNLL file to read as a stream, as often as needed: iterating it yields the
    examples of :func:`iter_conll` with these options.  Two such files with the same
    line structure can also be read in byte ranges by Ray workers
    (``analyze_ner_stream(..., engine="ray")``): the same examples, parsed where they
    are counted.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.conll"
    >>> _ = p.write_text("Anna B-PER\\n\\nBye O\\n", encoding="utf-8")
    >>> [ex.text for ex in ConllStream(p)], [ex.text for ex in ConllStream(p)]
    (['Anna', 'Bye'], ['Anna', 'Bye'])
    """

    def __init__(self, path: PathLike, *, tag_column: int | None = -1,
                 scheme: str | None = None, strict: bool = True, encoding: str = "utf-8",
                 encoding_errors: str = "strict", keep_columns: bool = True) -> None:
        super().__init__(path, strict=strict, encoding=encoding,
                         encoding_errors=encoding_errors)
        self.keep_columns = keep_columns
        self.tag_column = tag_column
        self.scheme = scheme

    def __iter__(self) -> Iterator[Example]:
        return iter_conll(self.path, tag_column=self.tag_column, scheme=self.scheme,
                          strict=self.strict, encoding=self.encoding,
                          encoding_errors=self.encoding_errors,
                          keep_columns=self.keep_columns)

    def __repr__(self) -> str:
        return f"ConllStream({str(self.path)!r}, tag_column={self.tag_column!r})"

    def ranges(self, other: "ConllStream", every: int
               ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]] | None:
        """Byte ranges ``(start, stop, first line)`` of this file and *other*, cut after
        every *every*-th blank line at the same lines in both, or None when the two
        files' blank lines differ (or cannot be located: a lone CR, UTF-16/32, or
        ``encoding_errors="replace"``, whose warning would stay on the workers)."""
        if not (self._ranges_readable() and other._ranges_readable()):
            return None
        a = _blank_lines(self.path)  # one scan when both read one file (two columns)
        b = a if other.path.resolve() == self.path.resolve() else _blank_lines(other.path)
        if a is None or b is None or not np.array_equal(a[0], b[0]):
            return None

        def cut(numbers: np.ndarray, ends: np.ndarray, size: int) -> list[tuple[int, int, int]]:
            idx = np.arange(every - 1, len(numbers), every)
            stops = ends[idx].tolist() + [size]
            firsts = [1] + (numbers[idx] + 1).tolist()
            starts = [0] + ends[idx].tolist()
            return [(s, e, f) for s, e, f in zip(starts, stops, firsts) if e > s]
        ra, rb = cut(*a), cut(*b)
        return (ra, rb) if len(ra) == len(rb) else None


def range_examples(path: Path, start: int, stop: int, first_line: int, tag_column: int | None,
                   scheme: str, strict: bool, encoding: str
                   ) -> tuple[list[Example], str | None, int, str | None]:
    """The examples of the byte range ``[start, stop)`` of a CoNLL file (a block of whole
    sentences starting at line *first_line*) with a known *scheme*: ``(examples,
    scheme, repaired, first repair)``, as :func:`iter_conll` reads them."""
    lines: list[str] = []
    for _, part in iter_line_blocks(path, encoding=encoding, errors="strict", start=start,
                                    stop=stop, first_line=first_line):
        lines.extend(part)
    opts = dict(token_column=0, tag_column=tag_column, sep=None)
    return _lines_examples(lines, first_line, path.name, _DocState(), scheme, strict, False,
                           opts)
