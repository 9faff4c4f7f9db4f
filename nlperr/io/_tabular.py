"""CSV files and pandas DataFrames for text classification."""

from __future__ import annotations

import contextlib
import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..data import Example
from ..errors import Errors, FormatError, InputError
from ..limits import get_limits
from ._common import FileStream, PathLike, check_file, check_predictions, empty_error
from ._text import check_encoding, iter_lines

__all__ = ["read_csv", "iter_csv", "CsvStream", "write_csv", "from_dataframe", "to_dataframe"]


def _missing_column(where: str, column: str, available: Sequence[str]) -> FormatError:
    return FormatError(Errors.E010.format(where=where, column=column, available=list(available)))


def read_csv(
    path: PathLike,
    *,
    text_column: str = "text",
    label_column: str | None = "label",
    id_column: str | None = None,
    sep: str = ",",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> list[Example]:
    """Read a classification CSV file (one example per row, with a header row).

    Parameters
    ----------
    text_column : str, default "text"
    label_column : str or None, default "label"
        Column of the gold label.  An empty cell means *unlabelled* (``label=None``).
        None: read texts only.
    id_column : str, optional
        Column of example ids; default ``"<file name>:<line>"``.
    sep : str, default ","
        Field delimiter (``"\\t"`` for TSV).
    encoding : str, default "utf-8"
        Text encoding; a BOM is stripped, CRLF / CR line ends are read as ``\\n``
        (also inside quoted fields).
    encoding_errors : {"strict", "replace"}, default "strict"
        ``"strict"``: bytes that do not decode raise E030 naming line, column and
        bytes; ``"replace"``: they become U+FFFD, with one W030 warning.

    Resource limits (:mod:`nlperr.limits`): a line longer than ``max_line_bytes``
    (E032) or a field longer than ``max_csv_field_chars`` (E037, e.g. an unclosed
    quote) is refused; malformed quoting raises E039 naming the line.

    ``prob_<label>`` columns (written by :func:`write_csv` for predictions) become
    ``Example.probs`` (floats) when the label read is the prediction's: the file has
    no ``pred_label`` column, or ``label_column="pred_label"``; so
    ``read_csv(write_csv(predictions))`` gives the same labels and probabilities.
    The other columns are kept in ``meta`` as strings (so :func:`write_csv` writes
    them back).  A missing column raises E010 listing the available ones; a file
    without data rows raises E003.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text('text,label\\n"Great, really",pos\\nmeh,neg\\n', encoding="utf-8")
    >>> [(ex.text, ex.label, ex.id) for ex in read_csv(p)]
    [('Great, really', 'pos', 'a.csv:2'), ('meh', 'neg', 'a.csv:3')]
    """
    p = _check_csv_args(path, sep, encoding, encoding_errors, what="read_csv")
    limit = get_limits().max_csv_field_chars
    previous = csv.field_size_limit(limit)
    try:
        with _csv_errors(p, limit):
            return list(_csv_examples(p, text_column, label_column, id_column, sep, encoding,
                                      encoding_errors))
    finally:
        csv.field_size_limit(previous)


def iter_csv(
    path: PathLike,
    *,
    text_column: str = "text",
    label_column: str | None = "label",
    id_column: str | None = None,
    sep: str = ",",
    encoding: str = "utf-8",
    encoding_errors: str = "strict",
) -> Iterator[Example]:
    """Stream the examples of a classification CSV file, one row at a time (same options,
    examples and errors as :func:`read_csv`; the arguments are checked now, the file
    as it is read).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> _ = p.write_text('text,label,prob_pos,prob_neg\\ngood,pos,0.9,0.1\\n', encoding="utf-8")
    >>> [(ex.text, ex.label, ex.probs) for ex in iter_csv(p)]
    [('good', 'pos', {'pos': 0.9, 'neg': 0.1})]
    """
    p = _check_csv_args(path, sep, encoding, encoding_errors, what="iter_csv")
    return _iter_csv(p, text_column, label_column, id_column, sep, encoding, encoding_errors)


def _iter_csv(p: Path, text_column: str, label_column: str | None, id_column: str | None,
              sep: str, encoding: str, encoding_errors: str) -> Iterator[Example]:
    limit = get_limits().max_csv_field_chars
    rows = _csv_examples(p, text_column, label_column, id_column, sep, encoding,
                         encoding_errors)
    try:
        while True:
            # the csv module's field limit is process-wide: set it only while a row is
            # parsed, never while the caller holds the iterator
            previous = csv.field_size_limit(limit)
            try:
                with _csv_errors(p, limit):
                    ex = next(rows, None)
            finally:
                csv.field_size_limit(previous)
            if ex is None:
                return
            yield ex
    finally:
        rows.close()


class CsvStream(FileStream):
    """A classification CSV file to read as a stream, as often as needed: iterating it
    yields the examples of :func:`iter_csv` with these options.  Two such files can also
    be read in byte ranges by Ray workers (``analyze_classification_stream(...,
    engine="ray")``): the same examples, parsed where they are counted.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.csv"
    >>> _ = p.write_text('text,label\\ngood,pos\\n"bad, really",neg\\n', encoding="utf-8")
    >>> [(ex.text, ex.label, ex.id) for ex in CsvStream(p)]
    [('good', 'pos', 'tiny.csv:2'), ('bad, really', 'neg', 'tiny.csv:3')]
    """

    def __init__(self, path: PathLike, *, text_column: str = "text",
                 label_column: str | None = "label", id_column: str | None = None,
                 sep: str = ",", encoding: str = "utf-8",
                 encoding_errors: str = "strict") -> None:
        _check_csv_args(path, sep, encoding, encoding_errors, what="CsvStream")
        super().__init__(path, strict=True, encoding=encoding, encoding_errors=encoding_errors)
        self.text_column = text_column
        self.label_column = label_column
        self.id_column = id_column
        self.sep = sep

    def __iter__(self) -> Iterator[Example]:
        return iter_csv(self.path, text_column=self.text_column,
                        label_column=self.label_column, id_column=self.id_column,
                        sep=self.sep, encoding=self.encoding,
                        encoding_errors=self.encoding_errors)

    def __repr__(self) -> str:
        return f"CsvStream({str(self.path)!r})"

    def header(self) -> tuple[list[str], int] | None:
        """The header row and the number of lines it takes; None when the file has none
        or lacks a column this stream reads (the reader then says why)."""
        limit = get_limits().max_csv_field_chars
        previous = csv.field_size_limit(limit)
        lines = iter_lines(self.path, encoding=self.encoding, errors=self.encoding_errors)
        try:
            reader = csv.reader((line + "\n" for _, line in lines), delimiter=self.sep)
            head = next(reader, None)
            if not head:
                return None
            _CsvLayout(self.path, head, self.text_column, self.label_column, self.id_column)
            return head, reader.line_num
        except (csv.Error, InputError):  # E010 for a missing column among them
            return None
        finally:
            lines.close()
            csv.field_size_limit(previous)

    def ranges(self, other: "CsvStream", every: int
               ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]] | None:
        """Byte ranges ``(start, stop, first line)`` of this file and *other* after their
        headers, each cut after every *every*-th line that is not blank, or None when
        the lines cannot be located (a lone CR, a line over ``max_line_bytes``, UTF-16/32,
        ``encoding_errors="replace"``), a file has no usable header, or the files hold
        different numbers of such lines.  A quoted field may hold a line break: the
        worker whose range ends inside one says so, and the caller then reads the files
        itself."""
        if not (self._ranges_readable() and other._ranges_readable()):
            return None
        mine, theirs = self.header(), other.header()
        if mine is None or theirs is None:
            return None
        return self._paired_cuts(other, every, mine[1], theirs[1])

    def range_reader(self) -> tuple[list[str], str | None, str | None, str | None, str, str]:
        """What a worker needs besides the byte range: header, columns, separator and
        encoding (see :func:`csv_range_examples`)."""
        head = self.header()
        return ([] if head is None else head[0], self.text_column, self.label_column,
                self.id_column, self.sep, self.encoding)


def _check_csv_args(path: PathLike, sep: str, encoding: str, encoding_errors: str, *,
                    what: str) -> Path:
    p = check_file(path, what=what)
    if not isinstance(sep, str) or len(sep) != 1 or sep in ('"', "\n", "\r"):
        raise InputError(Errors.E207.format(value=sep, option="sep",
                                            allowed="one character other than a quote or a "
                                                    "line break, e.g. ',' ';' '\\t' '|'"))
    check_encoding(encoding, encoding_errors)
    return p


@contextlib.contextmanager
def _csv_errors(p: Path, limit: int) -> Iterator[None]:
    """The csv module's errors as E037 (a field over the limit) or E039, with the line."""
    try:
        yield
    except csv.Error as e:
        line_num = _line_of(e)
        if "field larger than field limit" in str(e):
            raise FormatError(Errors.E037.format(
                where=f"{p}:{line_num}" if line_num else str(p), limit=limit,
                how=get_limits().how_to_raise("max_csv_field_chars"))) from None
        raise FormatError(Errors.E039.format(where=f"{p}:{line_num}" if line_num else str(p),
                                             error=e)) from None


def _line_of(err: csv.Error) -> int | None:
    return getattr(err, "nlperr_line", None)


class _CsvLayout:
    """What a CSV header says: the columns of text, label and id, the other columns
    (kept in ``meta``), the probability columns and the layout :func:`write_csv` uses
    to write the file back."""

    __slots__ = ("width", "ti", "li", "ii", "others", "layout", "probs")

    def __init__(self, p: Path, header: list[str], text_column: str,
                 label_column: str | None, id_column: str | None) -> None:
        where0 = f"{p.name}:1"
        for col in (text_column, label_column, id_column):
            if col is not None and col not in header:
                raise _missing_column(where0, col, header)
        self.width = len(header)
        self.ti = header.index(text_column)
        self.li = header.index(label_column) if label_column is not None else -1
        self.ii = header.index(id_column) if id_column is not None else -1
        self.others = [(k, h) for k, h in enumerate(header)
                       if k not in (self.ti, self.li, self.ii)]
        # how to write the file back under its own column names (see write_csv)
        layout = {"header": list(header), "text": text_column, "label": label_column,
                  "id": id_column}
        self.probs = _prob_columns(header, label_column)
        if self.probs:  # written back as probabilities, not as other columns
            layout = {**layout, "header": [h for h in layout["header"] if h not in self.probs]}
        self.layout = layout

    def example(self, p: Path, row: list[str], line: int, sep: str) -> Example:
        """The example of a non-empty *row* that starts on *line* (E001 when its number
        of fields is not the header's)."""
        where = f"{p.name}:{line}"
        if len(row) != self.width:
            raise FormatError(Errors.E001.format(where=where, expected=self.width,
                                                 got=len(row), line=sep.join(row)[:80]))
        li, ii = self.li, self.ii
        label = row[li] if li >= 0 and row[li] != "" else None
        meta = {h: row[k] for k, h in self.others}
        ident = row[ii] if ii >= 0 else where
        prob = _probs(meta, self.probs, p.name, ident) if self.probs else None
        meta[CSV_LAYOUT] = self.layout
        return Example(text=row[self.ti], label=label, probs=prob, meta=meta, id=ident)


def _csv_examples(p: Path, text_column: str, label_column: str | None, id_column: str | None,
                  sep: str, encoding: str, encoding_errors: str) -> Iterator[Example]:
    lines = iter_lines(p, encoding=encoding, errors=encoding_errors)
    reader = csv.reader((line + "\n" for _, line in lines), delimiter=sep)
    try:
        header = next(reader, None)
        if not header:
            raise empty_error(p)
        lay = _CsvLayout(p, header, text_column, label_column, id_column)
        seen = False
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not row:
                continue
            seen = True
            yield lay.example(p, row, start, sep)
    except csv.Error as e:
        e.nlperr_line = reader.line_num  # type: ignore[attr-defined]
        raise
    finally:
        lines.close()
    if not seen:
        raise empty_error(p)


#: The line a range reader appends to its lines: read back as a row of its own only
#: when the range ends between records (not inside a quoted field).
_RANGE_END = "\ue000nlperr: end of range\ue000"


def csv_range_examples(path: Path, start: int, stop: int, first_line: int, header: list[str],
                       text_column: str, label_column: str | None, id_column: str | None,
                       sep: str, encoding: str) -> list[Example] | None:
    """The examples of the byte range ``[start, stop)`` of a CSV file (whole lines after
    the header, starting at line *first_line*), as :func:`iter_csv` reads them (errors
    name the file's lines); None when the range ends inside a quoted field -- a record
    that runs on into the next range -- or cannot be checked for it."""
    from ._text import iter_line_blocks

    p = Path(path)
    if sep in _RANGE_END:
        return None
    lay = _CsvLayout(p, header, text_column, label_column, id_column)

    def lines() -> Iterator[str]:
        for _, part in iter_line_blocks(p, encoding=encoding, errors="strict", start=start,
                                        stop=stop, first_line=first_line):
            for line in part:
                yield line + "\n"
        yield _RANGE_END + "\n"

    reader = csv.reader(lines(), delimiter=sep)
    rows: list[tuple[int, list[str]]] = []
    limit = get_limits().max_csv_field_chars
    previous = csv.field_size_limit(limit)
    try:
        with _csv_errors(p, limit):
            line = 0
            try:
                for row in reader:
                    rows.append((first_line + line, row))
                    line = reader.line_num
            except csv.Error as e:
                e.nlperr_line = first_line - 1 + reader.line_num  # type: ignore[attr-defined]
                raise
    finally:
        csv.field_size_limit(previous)
    if not rows or rows[-1][1] != [_RANGE_END]:
        return None
    rows.pop()
    return [lay.example(p, row, at, sep) for at, row in rows if row]


#: Prefix of the probability columns written by :func:`write_csv`.
PROB_PREFIX = "prob_"


def _prob_columns(header: Sequence[str], label_column: str | None) -> list[str]:
    """The ``prob_<label>`` columns that become ``Example.probs``: they belong to the
    predicted label, so they are read when the label read is ``pred_label`` or the file
    has no ``pred_label`` column (a file of predictions); otherwise (reading the gold
    label of a gold + prediction file) they stay in ``meta``."""
    cols = [h for h in header if h.startswith(PROB_PREFIX) and len(h) > len(PROB_PREFIX)]
    if not cols or ("pred_label" in header and label_column != "pred_label"):
        return []
    return cols


def _probs(meta: dict, cols: list[str], name: str, ident: str) -> dict[str, float] | None:
    """Pop the probability columns from *meta* (floats; empty cells: no probability
    for that class)."""
    probs = {}
    for c in cols:
        value = meta.pop(c)
        if value == "":
            continue
        try:
            probs[c[len(PROB_PREFIX):]] = float(value)
        except ValueError:
            raise FormatError(Errors.E012.format(
                where=f"{name}, example {ident!r}, column {c!r}", expected="a probability "
                "(a number)", field=c, got=repr(value)[:40])) from None
    return probs or None


#: ``Example.meta`` key under which :func:`read_csv` records the file's column layout.
CSV_LAYOUT = "csv_layout"


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def from_dataframe(
    df: Any,
    *,
    text_column: str = "text",
    label_column: str | None = "label",
    id_column: str | None = None,
) -> list[Example]:
    """Convert a pandas DataFrame (one row per example) into classification examples.

    Missing labels (NaN / None) give ``label=None``; a label that is a list or tuple
    gives a multi-label tuple.  Ids come from *id_column*, else the index.  Other
    columns go to ``meta``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"text": ["good", "bad"], "label": ["pos", None]})
    >>> [(ex.text, ex.label, ex.id) for ex in from_dataframe(df)]
    [('good', 'pos', '0'), ('bad', None, '1')]
    """
    columns = [str(c) for c in df.columns]
    for col in (text_column, label_column, id_column):
        if col is not None and col not in columns:
            raise _missing_column("DataFrame", col, columns)
    skip = {text_column, label_column, id_column}
    others = [c for c in df.columns if c not in skip]
    out = []
    for idx, row in zip(df.index, df.itertuples(index=False, name=None)):
        rec = dict(zip(df.columns, row))
        label = rec.get(label_column) if label_column is not None else None
        if isinstance(label, (list, tuple)):
            label = tuple(str(x) for x in label)
        elif _is_missing(label):
            label = None
        else:
            label = str(label)
        text = rec[text_column]
        if not isinstance(text, str):
            raise InputError(Errors.E012.format(where=f"DataFrame row {idx!r}", expected="str",
                                                field=text_column, got=type(text).__name__))
        rid = rec[id_column] if id_column is not None else idx
        out.append(Example(text=text, label=label, meta={c: rec[c] for c in others},
                           id=str(rid)))
    return out


def to_dataframe(examples: Iterable[Example], *,
                 predictions: Sequence[Example] | None = None) -> Any:
    """One row per example: ``id``, ``text``, ``label`` and scalar ``meta`` entries.

    Columns: ``id``, ``text``, ``label`` (when any example has one; multi-label as a
    tuple), ``spans`` (list of ``(start, end, label)`` when any example has spans),
    then one column per scalar ``meta`` key (e.g. the other columns of a CSV file).
    With *predictions*, the last columns are ``pred_label`` and ``prob_<label>``
    (one per class seen in the predictions' ``probs``); a ``meta`` key of the same
    name (an older prediction) is replaced.  Without *predictions*, examples that
    carry ``probs`` (predictions written on their own) get ``prob_<label>`` columns.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> gold = [Example("good", label="pos", id="a")]
    >>> pred = [Example("good", label="neg", probs={"neg": 0.6, "pos": 0.4}, id="a")]
    >>> to_dataframe(gold, predictions=pred).columns.tolist()
    ['id', 'text', 'label', 'pred_label', 'prob_neg', 'prob_pos']
    """
    import pandas as pd

    examples = list(examples)
    check_predictions(examples, predictions, where="to_dataframe")
    data: dict[str, list[Any]] = {
        "id": [ex.id for ex in examples],
        "text": [ex.text for ex in examples],
    }
    if any(ex.label is not None for ex in examples):
        data["label"] = [ex.label for ex in examples]
    if any(ex.spans is not None for ex in examples):
        data["spans"] = [None if ex.spans is None else [s.key for s in ex.spans]
                         for ex in examples]
    pred_data: dict[str, list[Any]] = {}
    if predictions is None and any(ex.probs for ex in examples):  # predictions written alone
        classes = sorted({k for ex in examples for k in ex.probs or {}})
        for c in classes:
            pred_data[f"prob_{c}"] = [(ex.probs or {}).get(c, float("nan")) for ex in examples]
    if predictions is not None:
        pred_data["pred_label"] = [p.label for p in predictions]
        classes: list[str] = []
        for p in predictions:
            for k in p.probs or {}:
                if k not in classes:
                    classes.append(k)
        for c in sorted(classes):
            pred_data[f"prob_{c}"] = [(p.probs or {}).get(c, float("nan"))
                                      for p in predictions]
    keys: list[str] = []
    for ex in examples:
        for k, v in (ex.meta or {}).items():
            if k not in keys and k not in data and k not in pred_data and \
                    (v is None or isinstance(v, (str, int, float, bool))):
                keys.append(k)
    for k in keys:
        data[k] = [(ex.meta or {}).get(k) for ex in examples]
    data.update(pred_data)  # predictions last (a stale pred_label/prob_ column is replaced)
    return pd.DataFrame(data)


def _restore_layout(df: Any, examples: Sequence[Example]) -> Any:
    """Give a frame of examples read by :func:`read_csv` the input's column names and
    order back (the text, label and id columns under their own names, no synthetic
    ``id`` column when the input had none); new columns (predictions) come last."""
    layouts = [ex.meta.get(CSV_LAYOUT) for ex in examples]
    if not layouts or any(lay is None or lay != layouts[0] for lay in layouts):
        return df
    lay = layouts[0]
    if lay["id"] is None and "id" in df.columns:
        df = df.drop(columns=["id"])
    rename = {"text": lay["text"], "label": lay["label"], "id": lay["id"]}
    df = df.rename(columns={k: v for k, v in rename.items() if v is not None and k in df.columns})
    first = [c for c in lay["header"] if c in df.columns]
    return df[first + [c for c in df.columns if c not in first]]


def write_csv(examples: Iterable[Example], path: PathLike, *,
              predictions: Sequence[Example] | None = None, sep: str = ",",
              encoding: str = "utf-8") -> None:
    """Write classification examples as CSV (see :func:`to_dataframe` for the columns).

    Multi-label labels are written joined by ``|``; spans are not written (use
    JSONL or CoNLL for NER).  With *predictions*, ``pred_label`` and
    ``prob_<label>`` columns are added last.  Examples read by :func:`read_csv`
    are written back under the input's own column names and order (e.g.
    ``review,sentiment,source`` stays so; no ``id`` column is added).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nlperr.data import Example
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"
    >>> write_csv([Example("good", label="pos", id="a")], p)
    >>> p.read_text(encoding="utf-8").splitlines()
    ['id,text,label', 'a,good,pos']
    """
    examples = list(examples)
    if predictions is not None:
        predictions = list(predictions)
        if predictions and all(p.label is None for p in predictions) and any(
                p.spans is not None for p in predictions):
            raise InputError(Errors.E024.format(where=str(path)))
    df = to_dataframe(examples, predictions=predictions)
    if "spans" in df.columns:
        df = df.drop(columns=["spans"])
    df = _restore_layout(df, examples)
    for col in ("label", "pred_label"):
        if col in df.columns:
            df[col] = [("|".join(v) if isinstance(v, tuple) else v) for v in df[col]]
    df.to_csv(path, index=False, sep=sep, encoding=encoding, lineterminator="\n")
