"""HIPE-2022 TSV: one token per line, NE columns in IOB2, MISC flags, document metadata."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import Example, Span, split_tag, tags_to_spans, tokens_from_words
from ..data.schemes import MISSING
from ..errors import Errors, FormatError, InputError, SchemeError, shorten
from ._common import PathLike, check_file, check_predictions, empty_error, locate_scheme_error
from ._common import paired
from ._columnar import no_gc
from ._regular import utf8_file
from ._text import byte_lines, check_encoding, read_lines

__all__ = ["read_hipe", "iter_hipe", "write_hipe", "HIPE_COLUMNS", "NE_COLUMNS"]

HIPE_COLUMNS = ("TOKEN", "NE-COARSE-LIT", "NE-COARSE-METO", "NE-FINE-LIT", "NE-FINE-METO",
                "NE-FINE-COMP", "NE-NESTED", "NEL-LIT", "NEL-METO", "MISC")
NE_COLUMNS = ("NE-COARSE-LIT", "NE-COARSE-METO", "NE-FINE-LIT", "NE-FINE-METO",
              "NE-FINE-COMP", "NE-NESTED")
_META = re.compile(r"^#\s*([^=\s]+)\s*=\s?(.*)$")
_LED = re.compile(r"^LED(\d+(?:\.\d+)?)$")
_PREFIX = "hipe2022:"
_SEGMENTS = ("document", "sentence")


@dataclass
class _Block:
    """The lines of one document (between empty lines)."""

    document: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)  # comment lines that are not key = value
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def _is_comment(line: str) -> bool:
    # Tokens may start with '#' ("###\tO\t..."): a comment line holds no tab.
    return line.startswith("#") and "\t" not in line


def _iter_blocks(path: Path, lines: Iterable[tuple[int, str]]
                 ) -> Iterator[tuple[list[str], _Block]]:
    header: list[str] | None = None
    block = _Block()
    for number, line in lines:
        if header is None:
            if not line.strip():
                continue
            header = line.split("\t")
            if header[0] != "TOKEN":
                raise FormatError(Errors.E009.format(where=f"{path.name}:{number}",
                                                     column="TOKEN", header=shorten(line)))
            continue
        if not line.strip():
            if block.rows:
                yield header, block
                block = _Block()
            continue
        if _is_comment(line):
            if block.rows:  # metadata after tokens starts a new document
                yield header, block
                block = _Block()
            _read_comment(line, block.document, block.comments)
            continue
        row = line.split("\t")
        if len(row) != len(header):
            raise FormatError(Errors.E001.format(where=f"{path.name}:{number}",
                                                 expected=len(header), got=len(row),
                                                 line=shorten(line)))
        block.rows.append(row)
        block.lines.append(number)
    if header is not None and block.rows:
        yield header, block


def _read_comment(line: str, document: dict[str, str], comments: list[str]) -> None:
    """A comment line into the document's metadata (``# hipe2022:key = value``: the
    ``hipe2022:`` prefix dropped) or, when it is not ``key = value``, its comments."""
    m = _META.match(line)
    if m:
        key = m.group(1)
        document[key[len(_PREFIX):] if key.startswith(_PREFIX) else key] = m.group(2)
    else:
        comments.append(line)


def _unit_meta(name: str, document: dict[str, str], comments: list[str], misc: list,
               columns: list, header: list[str], col: int, doc_index: int,
               sentence: int | None, first: bool) -> dict[str, Any]:
    """The ``meta`` of an example read from HIPE (a document, or one of its sentences)."""
    meta: dict[str, Any] = {
        "document": dict(document),
        "misc": misc,
        "columns": columns,
        "hipe_header": list(header),
        "column": header[col],
        "scheme": "IOB2",
        "doc_index": doc_index,
        "doc_id": document.get("document_id", f"{name}#{doc_index}"),
    }
    if comments:
        meta["comments"] = list(comments)
    if sentence is not None:
        meta["sentence_index"] = sentence
    if not first:
        meta["continues_document"] = True
    return meta


def _flags(misc: str) -> list[str]:
    return [] if misc in ("_", "") else misc.split("|")


def read_hipe(
    path: PathLike,
    *,
    column: str = "NE-COARSE-LIT",
    strict: bool = True,
    segment: str = "document",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> list[Example]:
    """Read a HIPE-2022 TSV file.

    The header names the columns (``TOKEN NE-COARSE-LIT NE-COARSE-METO NE-FINE-LIT
    NE-FINE-METO NE-FINE-COMP NE-NESTED NEL-LIT NEL-METO MISC``); tags are IOB2.
    Empty lines separate documents, each preceded by ``# hipe2022:key = value``
    metadata lines; sentence ends are marked by the ``EndOfSentence`` MISC flag.

    Parameters
    ----------
    column : str, default "NE-COARSE-LIT"
        The NE column to read spans from (any of ``NE-COARSE-LIT``,
        ``NE-COARSE-METO``, ``NE-FINE-LIT``, ``NE-FINE-METO``, ``NE-FINE-COMP``,
        ``NE-NESTED``).
    strict : bool, default True
        Raise on tags that are invalid IOB2 (naming file:line); ``strict=False``
        decodes them the conlleval way with a warning.
    segment : {"document", "sentence"}, default "document"
        One example per document, or one per sentence (split after tokens flagged
        ``EndOfSentence``, never inside an entity).
    encoding : str, default "utf-8"
        A byte-order mark is skipped; ``\\r\\n`` / ``\\r`` line ends are accepted.
    encoding_errors : {"strict", "replace"}, default "strict"
        Bytes not valid in *encoding*: E030 naming the line, or U+FFFD with a W030
        warning.

    Returns
    -------
    list of Example
        Text rebuilt from the tokens, honouring ``NoSpaceAfter`` (no space after that
        token).  Spans carry ``meta={"LED": float}`` when a token of the entity has
        an ``LEDx.xx`` flag (the first such token).  Example ``meta``:

        * ``document``: the metadata lines as a dict (``hipe2022:`` prefix dropped:
          ``document_id``, ``language``, ``date``, ...; other prefixes kept:
          ``ajmc:page``);
        * ``misc``: per token, the list of MISC flags (``NoSpaceAfter``,
          ``EndOfLine``, ``EndOfSentence``, ``Partial-START:END``, ``LEDx.xx``, ...);
        * ``columns``: per token, the values of all columns but TOKEN and MISC, in
          header order (so :func:`write_hipe` can write them back);
        * ``hipe_header``, ``column`` (the NE column read), ``scheme`` ("IOB2"),
          ``doc_index``, ``doc_id``, and ``sentence_index`` when ``segment="sentence"``.

        ``id`` is ``"<file name>:<first token line>"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mini.tsv"
    >>> rows = ["TOKEN\\tNE-COARSE-LIT\\tMISC", "# hipe2022:document_id = d1",
    ...         "Paris\\tB-loc\\tNoSpaceAfter|LED0.20", ".\\tO\\tEndOfSentence"]
    >>> _ = p.write_text("\\n".join(rows) + "\\n", encoding="utf-8")
    >>> ex = read_hipe(p)[0]
    >>> ex.text, ex.spans[0].meta, ex.meta["document"]
    ('Paris.', {'LED': 0.2}, {'document_id': 'd1'})
    """
    p = _check_args(path, segment, encoding, encoding_errors, what="read_hipe")
    data = utf8_file(p, encoding, encoding_errors)
    lines = None if data is not None else read_lines(p, encoding=encoding,
                                                     errors=encoding_errors)
    with no_gc(keep=True):  # the examples are kept: see nlperr._gc.no_gc
        if data is not None:
            fast = _read_bytes(p.name, data, column, segment, strict)
        else:
            fast = _read_columnar(p.name, lines, column, segment, strict)  # type: ignore[arg-type]
    if fast is not None:
        return fast
    if lines is None:
        lines = read_lines(p, encoding=encoding, errors=encoding_errors)
    # irregular or invalid input: the per-document path, which raises the exact error
    # (or, with strict=False, repairs and warns per example)
    return _read_per_document(p, column=column, strict=strict, segment=segment,
                              lines=enumerate(lines, 1))


def iter_hipe(
    path: PathLike,
    *,
    column: str = "NE-COARSE-LIT",
    strict: bool = True,
    segment: str = "document",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> Iterator[Example]:
    """Stream the examples of a HIPE-2022 TSV file (the options and examples of
    :func:`read_hipe`, in flat memory).

    The file is read in blocks of about 4 MB of lines, cut after the last complete
    document of each block (a document ends where a blank or comment line follows its
    tokens), and every block goes through the same parsers as :func:`read_hipe`: the
    same examples, ids, document indices, warnings and errors (naming the file's
    lines).  Memory is that of one block and its examples, plus one document when a
    document is larger than a block.  The file is checked when this is called.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "mini.tsv"
    >>> rows = ["TOKEN\\tNE-COARSE-LIT\\tMISC", "# hipe2022:document_id = d1",
    ...         "Paris\\tB-loc\\tNoSpaceAfter", ".\\tO\\t_", "", "# hipe2022:document_id = d2",
    ...         "Rome\\tB-loc\\t_"]
    >>> _ = p.write_text("\\n".join(rows) + "\\n", encoding="utf-8")
    >>> [(ex.text, ex.meta["doc_id"]) for ex in iter_hipe(p)]
    [('Paris.', 'd1'), ('Rome', 'd2')]
    """
    p = _check_args(path, segment, encoding, encoding_errors, what="iter_hipe")
    return _iter_hipe(p, column, strict, segment, encoding, encoding_errors)


def _check_args(path: PathLike, segment: str, encoding: str, errors: str, *,
                what: str) -> Path:
    """The checks of :func:`read_hipe` and :func:`iter_hipe` before reading: the file."""
    if segment not in _SEGMENTS:
        raise InputError(Errors.E207.format(value=segment, option="segment",
                                            allowed=list(_SEGMENTS)))
    p = check_file(path, what=what)
    check_encoding(encoding, errors)
    return p


def _iter_hipe(p: Path, column: str, strict: bool, segment: str, encoding: str,
               errors: str) -> Iterator[Example]:
    from ._text import iter_line_blocks

    header: tuple[int, str] | None = None  # (line number, text) of the header
    carry: Any = b""  # the bytes (or lines) of an unfinished document
    carry_no = 1  # the number of its first line
    docs = 0  # documents read so far
    seen = False

    def parse(part: Any, first_no: int) -> list[Example]:
        nonlocal docs
        later = header is not None and first_no > header[0]  # then the header goes first
        offset = first_no - 2 if later else first_no - 1
        with no_gc():
            if isinstance(part, bytes):
                data = header[1].encode("utf-8") + b"\n" + part if later else part  # type: ignore[index]
                out = _read_bytes(p.name, data, column, segment, strict, offset, docs)
                lines = byte_lines(part) if out is None else []
            else:
                lines = part
                out = _read_columnar(p.name, [header[1]] + lines if later else lines,  # type: ignore[index]
                                     column, segment, strict, offset, docs)
            if out is None:  # irregular or invalid: the exact errors, or the repairs
                numbered = itertools.chain([header] if later else [],
                                           enumerate(lines, first_no))
                out = _read_per_document(p, column=column, strict=strict, segment=segment,
                                         lines=numbered, doc_offset=docs, allow_empty=True)
        if out:
            docs = out[-1].meta["doc_index"] + 1
        return out

    for first_no, part in iter_line_blocks(p, encoding=encoding, errors=errors, raw=True):
        if carry:
            first_no = carry_no
            if isinstance(part, bytes) and isinstance(carry, bytes):
                part = carry + part
            else:  # lines (a lone CR, another encoding): lines from here on
                part = (byte_lines(carry) if isinstance(carry, bytes) else carry) + \
                    (byte_lines(part) if isinstance(part, bytes) else part)
        if header is None:
            lines = byte_lines(part) if isinstance(part, bytes) else part
            h = next((i for i, ln in enumerate(lines) if ln.strip()), None)
            if h is None:
                carry, carry_no = b"", first_no + len(lines)
                continue
            header = (first_no + h, lines[h])
        if isinstance(part, bytes):
            cut = _last_document_end_bytes(part)
            n_cut = None if cut is None else part.count(b"\n", 0, cut)
        else:
            cut = n_cut = _last_document_end(part)
        if cut is None:  # no complete document yet
            carry, carry_no = part, first_no
            continue
        out = parse(part[:cut], first_no)
        seen = seen or bool(out)
        yield from out
        carry, carry_no = part[cut:], first_no + n_cut  # type: ignore[operator]
    if carry:
        out = parse(carry, carry_no)
        seen = seen or bool(out)
        yield from out
    if not seen:
        raise empty_error(p)


def _is_token_line(line: str) -> bool:
    return bool(line.strip()) and not _is_comment(line)


def _last_document_end(lines: list[str]) -> int | None:
    """The index of the first line after the last complete document of *lines* (a
    blank or comment line right after a token line), None when there is none.
    Searched from the end, so only the last document's lines are looked at."""
    for i in range(len(lines) - 1, 0, -1):
        if not _is_token_line(lines[i]) and _is_token_line(lines[i - 1]):
            return i
    return None


def _last_document_end_bytes(data: bytes) -> int | None:
    """:func:`_last_document_end` on the bytes of whole lines: the offset of that line."""
    end = len(data) - 1 if data.endswith(b"\n") else len(data)  # the last line's end
    after: int | None = None  # the start of the line after the current one, if not a token
    while end >= 0:
        start = data.rfind(b"\n", 0, end) + 1
        token = _is_token_line(data[start:end].decode("utf-8"))
        if token and after is not None:
            return after
        after = None if token else start
        end = start - 1
    return None


def _read_per_document(p: Path, *, column: str, strict: bool, segment: str,
                       lines: Iterable[tuple[int, str]], doc_offset: int = 0,
                       allow_empty: bool = False) -> list[Example]:
    out: list[Example] = []
    for doc_index, (header, block) in enumerate(_iter_blocks(p, lines), doc_offset):
        if column not in header:
            raise FormatError(Errors.E009.format(where=f"{p.name}:1", column=column,
                                                 header=header))
        col = header.index(column)
        misc_col = header.index("MISC") if "MISC" in header else -1
        kept = [i for i in range(1, len(header)) if i != misc_col]
        flags = [_flags(r[misc_col]) if misc_col >= 0 else [] for r in block.rows]
        ranges = [(0, len(block.rows))]
        if segment == "sentence":
            ranges = _sentence_ranges(block, flags, col)
        for k, (a, b) in enumerate(ranges):
            rows = block.rows[a:b]
            out.append(_example(p.name, header, block, rows, block.lines[a:b], flags[a:b], col,
                                kept, strict, doc_index,
                                k if segment == "sentence" else None, first=(k == 0)))
    if not out and not allow_empty:
        raise empty_error(p)
    return out


def _sentence_ranges(block: _Block, flags: list[list[str]], col: int) -> list[tuple[int, int]]:
    ranges = []
    start = 0
    n = len(block.rows)
    for i in range(n):
        if "EndOfSentence" in flags[i] and i + 1 < n:
            nxt = block.rows[i + 1][col]
            if nxt.startswith("I-"):  # never split an entity
                continue
            ranges.append((start, i + 1))
            start = i + 1
    ranges.append((start, n))
    return ranges


def _example(name: str, header: list[str], block: _Block, rows: list[list[str]],
             lines: list[int], flags: list[list[str]], col: int, kept: list[int], strict: bool,
             doc_index: int, sentence: int | None, first: bool) -> Example:
    where = f"{name}:{lines[0]}"
    words = [r[0] for r in rows]
    spaces = ["NoSpaceAfter" not in f for f in flags]
    if spaces:
        spaces[-1] = False
    text, tokens = tokens_from_words(words, spaces)
    tags = ["O" if r[col] == "_" else r[col] for r in rows]
    for tag, line in zip(tags, lines):
        split_tag(tag, where=f"{name}:{line}")  # malformed tag -> E002 naming file:line
    try:
        tspans = tags_to_spans(tags, "IOB2", strict=strict, where=where)
    except SchemeError as err:
        # re-raise naming the line of the offending tag
        line = locate_scheme_error(err, where, lines)
        try:
            tags_to_spans(tags, "IOB2", strict=True, where=f"{name}:{line}")
        except SchemeError as located:
            raise located from None
        raise  # pragma: no cover - the second call always raises
    spans = []
    for s, e, label in tspans:
        led = None
        for f in flags[s:e]:
            for flag in f:
                m = _LED.match(flag)
                if m:
                    led = float(m.group(1))
                    break
            if led is not None:
                break
        spans.append(Span(tokens[s].start, tokens[e - 1].end, label,
                          meta={"LED": led} if led is not None else None))
    missing = tuple((tokens[i].start, tokens[i].end) for i, t in enumerate(tags) if t == MISSING)
    # a column holding only '_' is not annotated for this document (e.g. NE-COARSE-METO in
    # ajmc, see the 'applicable_columns' metadata): spans=None, not "no entity"
    annotated = any(r[col] != "_" for r in rows)
    meta = _unit_meta(name, block.document, block.comments, flags,
                      [[r[i] for i in kept] for r in rows], header, col, doc_index, sentence,
                      first)
    return Example(text=text, tokens=tokens, spans=tuple(spans) if annotated else None,
                   missing=missing, meta=meta, id=where)


def _read_columnar(name: str, lines: list[str], column: str, segment: str,
                   strict: bool = True, line_offset: int = 0,
                   doc_offset: int = 0) -> list[Example] | None:
    """:func:`_read_bytes` on decoded *lines* (a file read in another encoding, or with
    ``encoding_errors="replace"``, or a block of a streamed file): re-encoded as UTF-8,
    which they hold validly."""
    if not lines:
        return None
    data = ("\n".join(lines) + "\n").encode("utf-8")
    return _read_bytes(name, data, column, segment, strict, line_offset, doc_offset)


def _read_bytes(name: str, data: bytes, column: str, segment: str,
                strict: bool = True, line_offset: int = 0,
                doc_offset: int = 0) -> list[Example] | None:
    """The whole file (*data*: valid UTF-8 with ``\\n`` line ends, see
    :func:`~nlperr.io._regular.utf8_bytes`) parsed from its bytes with array operations;
    None when anything is irregular (a ragged line, a missing column, a malformed or
    invalid tag, no header, no token, an over-long line): the per-document path then
    gives the exact error or repair.

    Every line is classified at once (blank, comment: ``#`` and no tab, token: every
    other line, which must hold one tab less than the header has columns).  The NE
    column is coded from its bytes (no string per token), each token line's middle
    columns are decoded as one string and split once per distinct value, and the MISC
    flags are computed once per distinct MISC value; the texts and token offsets come
    from the bytes of the TOKEN column and the ``NoSpaceAfter`` flags.
    """
    import numpy as np

    from ..data._tagarrays import encode_tag_ids, invalid_sentences
    from ._columnar import ColumnBlock, build_examples
    from ._regular import _MAY_BE_BLANK, RegularFile, line_layout

    if not data:
        return None
    if not data.endswith(b"\n"):
        data += b"\n"
    b = np.frombuffer(data, dtype=np.uint8)
    layout = line_layout(b, 9)
    if layout is None:
        return None  # the reader measures the long line in characters and says so (E032)
    nl, ls, sp, csep, cnt, blank = layout
    lead = b[ls]
    for i in np.flatnonzero(~blank & _MAY_BE_BLANK[lead]).tolist():  # whitespace only?
        if data[ls[i]:nl[i]].decode("utf-8").isspace():
            blank[i] = True
    nonblank = np.flatnonzero(~blank)
    if not len(nonblank):
        return None
    hdr = int(nonblank[0])
    header = data[ls[hdr]:nl[hdr]].decode("utf-8").split("\t")
    if header[0] != "TOKEN" or column not in header:
        return None
    k = len(header)
    col = header.index(column)
    misc_col = header.index("MISC") if "MISC" in header else -1
    kept = [i for i in range(1, k) if i != misc_col]
    # a comment line starts with '#' and holds no tab (a token may be "#")
    comment = (lead == 35) & (cnt == 0) & ~blank
    comment[:hdr + 1] = False
    token = ~blank & ~comment
    token[:hdr + 1] = False
    tok_line = np.flatnonzero(token)
    n = len(tok_line)
    if not n or (cnt[tok_line] != k - 1).any():
        return None
    r = RegularFile()
    r.data, r.b, r.ls, r.nl, r.sp = data, b, ls, nl, sp
    r.first_sep = (csep - cnt)[tok_line]
    r.tok_line = tok_line
    r.docstart = np.empty(0, dtype=np.int64)
    r.ncols, r.sep, r.ascii = k, "\t", data.isascii()
    del csep, cnt
    # documents: a blank or comment line between two token lines starts a new one
    gap = np.empty(n, dtype=bool)
    gap[0] = True
    gap[1:] = np.diff(tok_line) > 1
    doc_start = np.flatnonzero(gap)
    ndoc = len(doc_start)
    doc_of_tok = np.cumsum(gap) - 1
    # the NE column: ids into its distinct values ("_" read as O)
    coded = r.codes(col)
    if coded is None:
        raw = r.column(col)
        raw_index = {t: i for i, t in enumerate(dict.fromkeys(raw))}
        raw_ids = np.fromiter(map(raw_index.__getitem__, raw), dtype=np.int32, count=n)
        uniq_raw = list(raw_index)
        del raw
    else:
        raw_ids, uniq_raw = coded
    uniq_tags = list(dict.fromkeys("O" if t == "_" else t for t in uniq_raw))
    try:
        for t in uniq_tags:
            split_tag(t)
    except SchemeError:
        return None
    tag_ids = np.array([uniq_tags.index("O" if t == "_" else t) for t in uniq_raw],
                       dtype=np.int32)[raw_ids]
    annotated_tok = np.array([t != "_" for t in uniq_raw], dtype=bool)[raw_ids]
    inside_tok = np.array([t.startswith("I-") for t in uniq_raw], dtype=bool)[raw_ids]
    # MISC: flags, NoSpaceAfter, EndOfSentence and LED, once per distinct value
    if misc_col >= 0:
        misc = r.column(misc_col)
        flag_of = {m: () if m in ("_", "") else tuple(m.split("|")) for m in dict.fromkeys(misc)}
        flags = list(map(list, map(flag_of.__getitem__, misc)))
        misc_index = {m: i for i, m in enumerate(flag_of)}
        misc_ids = np.fromiter(map(misc_index.__getitem__, misc), dtype=np.int32, count=n)
        del misc
        distinct = list(flag_of.values())
        nospace = np.array(["NoSpaceAfter" in f for f in distinct], dtype=bool)[misc_ids]
        eos = np.array(["EndOfSentence" in f for f in distinct], dtype=bool)[misc_ids]
        led = np.array([_led(f) for f in distinct], dtype=np.float64)[misc_ids]
    else:
        flags = [[] for _ in range(n)]
        nospace = eos = np.zeros(n, dtype=bool)
        led = np.full(n, np.nan)
    # the other columns, per token, in header order
    if kept and kept == list(range(kept[0], kept[-1] + 1)):  # contiguous: one string each
        s0, _ = r._field(kept[0])
        _, e1 = r._field(kept[-1])
        middles = r._gather(s0, e1).tobytes().decode("utf-8").split("\n")
        middles.pop()
        split_of = {m: tuple(m.split("\t")) for m in dict.fromkeys(middles)}
        columns = list(map(list, map(split_of.__getitem__, middles)))
        del middles, split_of
    elif kept:
        columns = r.columns(kept)
    else:
        columns = [[] for _ in range(n)]
    # units: documents, or sentences (split after EndOfSentence, never inside an entity)
    unit_start = gap.copy()
    if segment == "sentence":
        nxt_inside = np.zeros(n, dtype=bool)
        nxt_inside[:-1] = inside_tok[1:]
        last_of_doc = np.zeros(n, dtype=bool)
        last_of_doc[doc_start[1:] - 1] = True
        last_of_doc[-1] = True
        split_after = eos & ~nxt_inside & ~last_of_doc
        unit_start[1:] |= split_after[:-1]
    starts = np.flatnonzero(unit_start)
    offsets = np.append(starts, n).astype(np.int64)
    r.offsets = offsets
    ta = encode_tag_ids(tag_ids, uniq_tags, offsets)
    invalid = invalid_sentences(ta, "IOB2")
    if len(invalid) and strict:
        return None  # the per-document path names the offending line
    spaces = ~nospace
    texts, t_start, t_end = r.texts_and_offsets(0, spaces)
    led_pos = np.flatnonzero(~np.isnan(led))

    def span_meta(s_tok: np.ndarray, e_tok: np.ndarray) -> list[dict | None]:
        """``{"LED": x}`` from the first token of the span that has an LED flag."""
        out_meta: list[dict | None] = [None] * len(s_tok)
        if not len(led_pos) or not len(s_tok):
            return out_meta
        j = np.minimum(np.searchsorted(led_pos, s_tok), len(led_pos) - 1)
        hit = led_pos[j]
        ok = (hit >= s_tok) & (hit < e_tok)
        for i, t in zip(np.flatnonzero(ok).tolist(), hit[ok].tolist()):
            out_meta[i] = {"LED": float(led[t])}
        return out_meta

    # document metadata: the comment lines before each document's first token
    documents: list[dict[str, str]] = []
    comments_of: list[list[str]] = []
    prev_end = hdr
    first_lines = tok_line[doc_start].tolist()
    last_lines = tok_line[np.append(doc_start[1:] - 1, n - 1)].tolist()
    comment_lines = np.flatnonzero(comment)
    for d in range(ndoc):
        document: dict[str, str] = {}
        comments: list[str] = []
        a = int(np.searchsorted(comment_lines, prev_end, side="right"))
        z = int(np.searchsorted(comment_lines, first_lines[d]))
        for i in comment_lines[a:z].tolist():
            _read_comment(r.line(i), document, comments)
        documents.append(document)
        comments_of.append(comments)
        prev_end = last_lines[d]
    off = offsets.tolist()
    nunit = len(off) - 1
    unit_doc = doc_of_tok[offsets[:-1]].tolist()
    unit_line = (tok_line[offsets[:-1]] + 1 + line_offset).tolist()
    metas: list[dict[str, Any]] = []
    ids: list[str] = []
    sentence_index = 0
    for u in range(nunit):
        a, z = off[u], off[u + 1]
        d = unit_doc[u]
        first = u == 0 or unit_doc[u - 1] != d
        sentence_index = 0 if first else sentence_index + 1
        metas.append(_unit_meta(name, documents[d], comments_of[d], flags[a:z], columns[a:z],
                                header, col, d + doc_offset,
                                sentence_index if segment == "sentence" else None, first))
        ids.append(f"{name}:{unit_line[u]}")
    block = ColumnBlock(None, None, offsets, tok_line + 1 + line_offset, texts=texts, starts=t_start,
                        ends=t_end)
    block.arrays = ta  # already encoded and validated above

    def never(u: int) -> None:  # pragma: no cover - invalid files took the other path
        raise AssertionError(u)

    out, _, _ = build_examples(block, name=name, scheme="IOB2", strict=not len(invalid),
                               on_invalid=never, locate=str, metas=metas, ids=ids,
                               span_meta=span_meta)
    for u in invalid.tolist():  # lenient: decoded the conlleval way, with the per-unit
        # warning (W001) the per-document path gives, naming the unit
        unit_tags = [uniq_tags[t] for t in tag_ids[off[u]:off[u + 1]].tolist()]
        tags_to_spans(unit_tags, "IOB2", strict=False, where=ids[u])
    # a column holding only '_' is not annotated for this unit: spans=None, not "no entity"
    annotated = np.bincount(np.repeat(np.arange(nunit), np.diff(offsets)),
                            weights=annotated_tok, minlength=nunit) > 0
    for u in np.flatnonzero(~annotated).tolist():
        out[u] = out[u].copy(spans=None)
    return out


def _led(flags: tuple[str, ...]) -> float:
    """The value of the first ``LEDx.xx`` flag, NaN when there is none."""
    for flag in flags:
        m = _LED.match(flag) if flag.startswith("LED") else None
        if m:
            return float(m.group(1))
    return float("nan")


def write_hipe(
    examples: Iterable[Example],
    path: PathLike,
    *,
    column: str = "NE-COARSE-LIT",
    predictions: Iterable[Example] | None = None,
    keep_columns: bool = True,
    encoding: str = "utf-8",
) -> None:
    """Write examples as a HIPE-2022 TSV file.

    The spans (of *predictions* when given: system output) are written as IOB2 tags
    in *column*.  The other columns are written from ``meta["columns"]`` when
    *keep_columns* and the example was read from HIPE, else as ``_``.  Document
    metadata (``meta["document"]``) is written as ``# hipe2022:key = value`` lines
    before each document, documents are separated by an empty line, and MISC flags
    come from ``meta["misc"]`` (else ``NoSpaceAfter`` is derived from the token
    offsets); in system output (*predictions* given) the ``LEDx.xx`` flags, which
    mark gold mentions, are left out.  A file read with :func:`read_hipe` is
    written back byte for byte.  Lists are checked whole before anything is written;
    iterators (from :func:`iter_hipe`) are written as they come, in flat memory, each
    prediction checked against its example.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nlperr.data import Example
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.tsv"
    >>> ex = Example.from_tokens(["Paris", "."], ["B-loc", "O"], spaces=[False, False])
    >>> write_hipe([ex], p)
    >>> p.read_text(encoding="utf-8").splitlines()[1].split(chr(9))
    ['Paris', 'B-loc', '_', '_', '_', '_', '_', '_', '_', 'NoSpaceAfter']
    """
    if isinstance(examples, Sequence) and (predictions is None
                                           or isinstance(predictions, Sequence)):
        # lists: every pair checked before anything is written
        check_predictions(examples, predictions, where=str(path), tokens=True)
        pairs: Iterable[tuple[int, Example, Example | None]] = (
            (i, ex, None if predictions is None else predictions[i])
            for i, ex in enumerate(examples))
        first_header = next((ex.meta.get("hipe_header") for ex in examples
                             if ex.meta and ex.meta.get("hipe_header")), None)
    else:  # iterators (nlperr predict): written as they come, each pair checked
        pairs = paired(examples, predictions, where=str(path), tokens=True)
        ahead: list[tuple[int, Example, Example | None]] = []
        first_header = None
        for item in pairs:  # up to the first example read from HIPE (the first, if any)
            ahead.append(item)
            if item[1].meta and item[1].meta.get("hipe_header"):
                first_header = item[1].meta["hipe_header"]
                break
        pairs = itertools.chain(ahead, pairs)
    header = list(first_header or HIPE_COLUMNS)
    if column not in header:
        raise InputError(Errors.E207.format(value=column, option="column",
                                            allowed=[h for h in header if h.startswith("NE-")]))
    col = header.index(column)
    misc_col = header.index("MISC") if "MISC" in header else -1
    kept = [i for i in range(1, len(header)) if i != misc_col]
    with open(path, "w", encoding=encoding, newline="\n") as fh:
        fh.write("\t".join(header) + "\n")
        prev_doc: Any = object()
        for i, ex, pred in pairs:
            where = f"{path}, example {ex.id if ex.id is not None else i!r}"
            if ex.tokens is None:
                raise InputError(Errors.E109.format(where=where))
            meta = ex.meta or {}
            doc = meta.get("doc_index", i)
            new_doc = doc != prev_doc or not meta.get("continues_document")
            if new_doc:
                if i:
                    fh.write("\n")
                for key, value in (meta.get("document") or {}).items():
                    k = key if ":" in key else _PREFIX + key
                    fh.write(f"# {k} = {value}\n")
                for line in meta.get("comments") or ():
                    fh.write(line + "\n")
            prev_doc = doc
            source = ex if pred is None else pred
            if source.spans is None:
                tags = None
            else:
                if source.tokens is None:
                    source = source.copy(tokens=ex.tokens)
                tags = source.tags("IOB2")
            n = len(ex.tokens)
            stored = meta.get("columns") if keep_columns and meta.get("hipe_header") else None
            if stored is not None and len(stored) != n:
                raise InputError(Errors.E106.format(where=f"{where} meta['columns']",
                                                    ntags=len(stored), ntokens=n))
            flags = meta.get("misc")
            spaces = ex.spaces
            for t in range(n):
                tok = ex.tokens[t].text
                if not tok or "\t" in tok or "\n" in tok:
                    raise InputError(Errors.E021.format(where=where, token=tok,
                                                        what="a tab, a line break or nothing"))
                row = ["_"] * len(header)
                row[0] = tok
                if stored is not None:
                    for j, idx in enumerate(kept):
                        row[idx] = stored[t][j]
                # a gold "_" (column not applicable) stays; otherwise O is written as O
                if tags is not None and not (tags[t] == "O" and stored is not None
                                             and row[col] == "_"):
                    row[col] = tags[t]
                elif stored is None:
                    row[col] = "_"
                if misc_col >= 0:
                    if flags is not None and len(flags) == n:
                        f = list(flags[t])
                        if predictions is not None:
                            # LEDx.xx describes a *gold* mention: not part of a system response
                            f = [x for x in f if not x.startswith("LED")]
                    else:
                        f = [] if spaces[t] or t == n - 1 else ["NoSpaceAfter"]
                    row[misc_col] = "|".join(f) if f else "_"
                fh.write("\t".join(row) + "\n")
