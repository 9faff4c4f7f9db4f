"""HIPE-2022 TSV: one token per line, NE columns in IOB2, MISC flags, document metadata."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from operator import itemgetter, methodcaller
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import Example, Span, split_tag, tags_to_spans, tokens_from_words
from ..data.schemes import MISSING
from ..errors import Errors, FormatError, InputError, SchemeError, shorten
from ._common import PathLike, check_file, check_predictions, empty_error, locate_scheme_error
from ._columnar import no_gc
from ._text import check_encoding, read_lines

__all__ = ["read_hipe", "write_hipe", "HIPE_COLUMNS", "NE_COLUMNS"]

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
            m = _META.match(line)
            if m:
                key = m.group(1)
                block.document[key[len(_PREFIX):] if key.startswith(_PREFIX) else key] = m.group(2)
            else:
                block.comments.append(line)
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
    if segment not in _SEGMENTS:
        raise InputError(Errors.E207.format(value=segment, option="segment",
                                            allowed=list(_SEGMENTS)))
    p = check_file(path, what="read_hipe")
    check_encoding(encoding, encoding_errors)
    lines = read_lines(p, encoding=encoding, errors=encoding_errors)
    with no_gc():
        fast = _read_columnar(p.name, lines, column, segment, strict)
    if fast is not None:
        return fast
    # irregular or invalid input: the per-document path, which raises the exact error
    # (or, with strict=False, repairs and warns per example)
    return _read_per_document(p, column=column, strict=strict, segment=segment,
                              lines=enumerate(lines, 1))


def _read_per_document(p: Path, *, column: str, strict: bool, segment: str,
                       lines: Iterable[tuple[int, str]]) -> list[Example]:
    out: list[Example] = []
    for doc_index, (header, block) in enumerate(_iter_blocks(p, lines)):
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
        doc_id = block.document.get("document_id", f"{p.name}#{doc_index}")
        for k, (a, b) in enumerate(ranges):
            rows = block.rows[a:b]
            out.append(_example(p.name, header, block, rows, block.lines[a:b], flags[a:b], col,
                                kept, strict, doc_index, doc_id,
                                k if segment == "sentence" else None, first=(k == 0)))
    if not out:
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
             doc_index: int, doc_id: str, sentence: int | None, first: bool) -> Example:
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
    meta: dict[str, Any] = {
        "document": dict(block.document),
        "misc": flags,
        "columns": [[r[i] for i in kept] for r in rows],
        "hipe_header": list(header),
        "column": header[col],
        "scheme": "IOB2",
        "doc_index": doc_index,
        "doc_id": doc_id,
    }
    if block.comments:
        meta["comments"] = list(block.comments)
    if sentence is not None:
        meta["sentence_index"] = sentence
    if not first:
        meta["continues_document"] = True
    return Example(text=text, tokens=tokens, spans=tuple(spans) if annotated else None,
                   missing=missing, meta=meta, id=where)


def _read_columnar(name: str, lines: list[str], column: str, segment: str,
                   strict: bool = True) -> list[Example] | None:
    """The whole file at once; None when anything is irregular (a ragged line, a
    missing column, a malformed or invalid tag, no header, no token): the
    per-document path then gives the exact error or repair."""
    import numpy as np

    from ..data._tagarrays import encode_tags, invalid_sentences
    from ._columnar import ColumnBlock, build_examples

    hdr = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if hdr is None:
        return None
    header = lines[hdr].split("\t")
    if header[0] != "TOKEN" or column not in header:
        return None
    col = header.index(column)
    misc_col = header.index("MISC") if "MISC" in header else -1
    kept = [i for i in range(1, len(header)) if i != misc_col]
    body = lines[hdr + 1:]
    blank = np.fromiter(map(str.isspace, body), dtype=bool, count=len(body))
    blank |= np.fromiter(map(len, body), dtype=np.int64, count=len(body)) == 0
    has_tab = np.fromiter(map(_HAS_TAB, body), dtype=bool, count=len(body))
    comment = np.fromiter(map(_IS_HASH, body), dtype=bool, count=len(body)) & ~has_tab & ~blank
    token = ~blank & ~comment
    tok = np.flatnonzero(token)
    if not len(tok):
        return None
    rows = list(map(_SPLIT_TAB, (body[i] for i in tok.tolist())))
    width = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    if (width != len(header)).any():
        return None
    # documents: a blank or comment line between two token lines starts a new one
    gap = np.zeros(len(tok), dtype=bool)
    gap[0] = True
    gap[1:] = np.diff(tok) > 1
    doc_start = np.flatnonzero(gap)
    ndoc = len(doc_start)
    doc_of_tok = np.cumsum(gap) - 1
    words = list(map(itemgetter(0), rows))
    raw_tags = list(map(itemgetter(col), rows))
    tags = ["O" if t == "_" else t for t in raw_tags]
    if misc_col >= 0:
        flags = [[] if m in ("_", "") else m.split("|") for m in map(itemgetter(misc_col), rows)]
    else:
        flags = [[] for _ in rows]
    if len(kept) == 1:
        k0 = kept[0]
        columns = [[r[k0]] for r in rows]
    elif kept:
        columns = list(map(list, map(itemgetter(*kept), rows)))
    else:
        columns = [[] for _ in rows]
    # units: documents, or sentences (split after EndOfSentence, never inside an entity)
    unit_start = gap.copy()
    if segment == "sentence":
        eos = np.fromiter(("EndOfSentence" in f for f in flags), dtype=bool, count=len(rows))
        nxt_inside = np.zeros(len(rows), dtype=bool)
        nxt_inside[:-1] = np.fromiter((t.startswith("I-") for t in raw_tags[1:]), dtype=bool,
                                      count=len(rows) - 1)
        last_of_doc = np.zeros(len(rows), dtype=bool)
        last_of_doc[doc_start[1:] - 1] = True
        last_of_doc[-1] = True
        split_after = eos & ~nxt_inside & ~last_of_doc
        unit_start[1:] |= split_after[:-1]
    starts = np.flatnonzero(unit_start)
    offsets = np.append(starts, len(rows)).astype(np.int64)
    # tags: any malformed or invalid sequence -> per-document path
    for t in set(tags):
        try:
            split_tag(t)
        except SchemeError:
            return None
    ta = encode_tags(tags, offsets)
    invalid = invalid_sentences(ta, "IOB2")
    if len(invalid) and strict:
        return None  # the per-document path names the offending line
    spaces = np.fromiter(("NoSpaceAfter" not in f for f in flags), dtype=bool,
                         count=len(rows))
    spaces[offsets[1:] - 1] = False
    led_val = {}
    for i, f in enumerate(flags):
        for flag in f:
            m = _LED.match(flag) if flag.startswith("LED") else None
            if m:
                led_val[i] = float(m.group(1))
                break
    led_pos = np.array(sorted(led_val), dtype=np.int64)

    def span_meta(s_tok: np.ndarray, e_tok: np.ndarray) -> list[dict | None]:
        """``{"LED": x}`` from the first token of the span that has an LED flag."""
        out_meta: list[dict | None] = []
        for a, b in zip(s_tok.tolist(), e_tok.tolist()):
            j = int(np.searchsorted(led_pos, a)) if len(led_pos) else 0
            hit = len(led_pos) and j < len(led_pos) and led_pos[j] < b
            out_meta.append({"LED": led_val[int(led_pos[j])]} if hit else None)
        return out_meta

    # document metadata: the comment lines before each document's first token
    documents: list[dict[str, str]] = []
    comments_of: list[list[str]] = []
    prev_end = -1
    for d in range(ndoc):
        first = int(tok[doc_start[d]])
        document: dict[str, str] = {}
        comments: list[str] = []
        for i in np.flatnonzero(comment[prev_end + 1:first]).tolist():
            line = body[prev_end + 1 + i]
            m = _META.match(line)
            if m:
                key = m.group(1)
                document[key[len(_PREFIX):] if key.startswith(_PREFIX) else key] = m.group(2)
            else:
                comments.append(line)
        documents.append(document)
        comments_of.append(comments)
        last = int(doc_start[d + 1]) - 1 if d + 1 < ndoc else len(rows) - 1
        prev_end = int(tok[last])
    off = offsets.tolist()
    nunit = len(off) - 1
    unit_doc = doc_of_tok[offsets[:-1]].tolist()
    metas: list[dict[str, Any]] = []
    ids: list[str] = []
    sentence_index = 0
    for k in range(nunit):
        a, b = off[k], off[k + 1]
        d = unit_doc[k]
        first = k == 0 or unit_doc[k - 1] != d
        sentence_index = 0 if first else sentence_index + 1
        meta: dict[str, Any] = {
            "document": dict(documents[d]),
            "misc": flags[a:b],
            "columns": columns[a:b],
            "hipe_header": list(header),
            "column": header[col],
            "scheme": "IOB2",
            "doc_index": d,
            "doc_id": documents[d].get("document_id", f"{name}#{d}"),
        }
        if comments_of[d]:
            meta["comments"] = list(comments_of[d])
        if segment == "sentence":
            meta["sentence_index"] = sentence_index
        if not first:
            meta["continues_document"] = True
        metas.append(meta)
        ids.append(f"{name}:{hdr + 2 + int(tok[a])}")
    block = ColumnBlock(words, tags, offsets, tok)
    block.arrays = ta  # already encoded and validated above

    def never(k: int) -> None:  # pragma: no cover - invalid files took the other path
        raise AssertionError(k)

    out, _, _ = build_examples(block, name=name, scheme="IOB2", strict=not len(invalid),
                               on_invalid=never, locate=str, metas=metas, ids=ids,
                               spaces=spaces, span_meta=span_meta)
    off = offsets.tolist()
    for k in invalid.tolist():  # lenient: decoded the conlleval way, with the per-unit
        # warning (W001) the per-document path gives, naming the unit
        tags_to_spans(tags[off[k]:off[k + 1]], "IOB2", strict=False, where=ids[k])
    # a column holding only '_' is not annotated for this unit: spans=None, not "no entity"
    lengths = np.diff(offsets)
    annotated = np.bincount(np.repeat(np.arange(nunit), lengths),
                            weights=np.fromiter((t != "_" for t in raw_tags), dtype=float,
                                                count=len(rows)), minlength=nunit) > 0
    for k in np.flatnonzero(~annotated).tolist():
        out[k] = out[k].copy(spans=None)
    return out


_HAS_TAB = methodcaller("__contains__", "\t")
_IS_HASH = methodcaller("startswith", "#")
_SPLIT_TAB = methodcaller("split", "\t")


def write_hipe(
    examples: Iterable[Example],
    path: PathLike,
    *,
    column: str = "NE-COARSE-LIT",
    predictions: Sequence[Example] | None = None,
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
    written back byte for byte.

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
    examples = list(examples)
    check_predictions(examples, predictions, where=str(path), tokens=True)
    first_header = next((ex.meta.get("hipe_header") for ex in examples
                         if ex.meta and ex.meta.get("hipe_header")), None)
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
        for i, ex in enumerate(examples):
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
            source = ex if predictions is None else predictions[i]
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
