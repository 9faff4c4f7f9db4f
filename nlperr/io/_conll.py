"""CoNLL-style column files: one token per line, blank lines between sentences."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..data import Example, Span, detect_scheme, normalize_scheme, split_tag, tags_to_spans
from ..data import tokens_from_words
from ..data.schemes import MISSING
from ..errors import Errors, FormatError, InputError, RepairWarning, SchemeError, Warnings
from ..errors import shorten, warn
from ._common import PathLike, check_file, empty_error, locate_scheme_error, open_lines
from ._common import paired

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


def _iter_sentences(path: Path, *, token_column: int, tag_column: int | None, sep: str | None,
                    encoding: str) -> Iterator[_Sentence]:
    """Parse *path* into raw sentences (words, tags, extra columns, line numbers)."""
    name = path.name
    split = _splitter(sep)
    doc_index = -1
    pending_docstart: str | None = None
    cur: _Sentence | None = None
    tc = gc = 0
    for number, line in open_lines(path, encoding):
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
            doc_index += 1
            pending_docstart = line
            continue
        where = f"{name}:{number}"
        if cur is None:
            ncols = len(fields)
            tc = _column(token_column, ncols, where, "token_column")
            gc = -1 if tag_column is None else _column(tag_column, ncols, where, "tag_column")
            if gc == tc:
                gc = -1
            cur = _Sentence(sep=used, ncols=ncols, doc_index=doc_index, docstart=pending_docstart,
                            tags=None if gc < 0 else [])
            pending_docstart = None
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
    sentences = list(_iter_sentences(p, token_column=token_column, tag_column=tag_column,
                                     sep=sep, encoding=encoding))
    if not sentences:
        raise empty_error(p)
    build = _Builder(p.name, _resolve_scheme(scheme, sentences, p.name), strict)
    out = [build(s) for s in sentences]
    build.finish()
    return out


def iter_conll(
    path: PathLike,
    *,
    token_column: int = 0,
    tag_column: int | None = -1,
    scheme: str | None = None,
    strict: bool = True,
    sep: str | None = None,
    encoding: str = "utf-8",
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
    opts = dict(token_column=token_column, tag_column=tag_column, sep=sep, encoding=encoding)
    return _iter_examples(p, opts, scheme, strict)


def _iter_examples(p: Path, opts: dict, scheme: str | None, strict: bool) -> Iterator[Example]:
    if scheme is None:
        sch = _resolve_scheme(None, _iter_sentences(p, **opts), p.name)
    else:
        sch = normalize_scheme(scheme)
    build = _Builder(p.name, sch, strict)
    seen = False
    for sent in _iter_sentences(p, **opts):
        seen = True
        yield build(sent)
    if not seen:
        raise empty_error(p)
    build.finish()


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
    sentence that carries it, followed by an empty line.  Files read with
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
                fh.write(docstart + "\n\n")
            lines = []
            for row in zip(*cols):
                for value in row:
                    _check_field(value, s, where)
                lines.append(s.join(row))
            fh.write("\n".join(lines) + "\n\n")
