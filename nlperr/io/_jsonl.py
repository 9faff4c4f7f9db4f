"""JSONL (spaCy / Prodigy style): one JSON object per line."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping
from itertools import repeat
from operator import eq, itemgetter, le, lt
from pathlib import Path
from typing import Any

from ..data import Example, Span, Token, validate_spans
from ..errors import Errors, FormatError, SpanError
from ._common import FileStream, PathLike, check_file, empty_error
from ._common import label_from_cats, paired
from ._common import label_to_json
from ._columnar import no_gc
from ._structured import loads_json
from ..limits import get_limits
from ._jsonl_fast import SUB_BATCH, block_lines, block_tokens_spans, orjson_loads
from ._text import RawBlock, check_encoding, iter_line_blocks

__all__ = ["read_jsonl", "iter_jsonl", "write_jsonl", "example_from_record", "JsonlStream"]

_KNOWN = {"text", "tokens", "spans", "entities", "label", "cats", "probs", "meta", "id",
          "missing"}


def _type_error(where: str, field: str, expected: str, got: Any) -> FormatError:
    return FormatError(Errors.E012.format(where=where, expected=expected, field=field,
                                          got=type(got).__name__))


_TOKEN_FIELDS = itemgetter("text", "start", "end")


def _tokens_fast(raw: list, text: str) -> tuple[Token, ...] | None:
    """Tokens of the usual ``{"text", "start", "end"}`` objects, checked with C-level
    maps; None when anything is unusual (the caller then takes the checking loop,
    which raises the precise error)."""
    try:
        triples = list(map(_TOKEN_FIELDS, raw))
    except (KeyError, TypeError):
        return None
    if not triples:
        return ()
    words, starts, ends = zip(*triples)
    if (set(map(type, words)) != {str} or set(map(type, starts)) != {int}
            or set(map(type, ends)) != {int}):
        return None
    if (starts[0] < 0 or ends[-1] > len(text) or not all(map(lt, starts, ends))
            or not all(map(le, ends, starts[1:])) or not all(map(eq, map(text.__getitem__, map(slice, starts, ends)), words))):
        return None
    return tuple(map(tuple.__new__, repeat(Token), triples))


def _tokens(raw: Any, text: str, where: str) -> tuple[Token, ...]:
    if not isinstance(raw, list):
        raise _type_error(where, "tokens", "list", raw)
    if raw and isinstance(raw[0], Mapping):
        fast = _tokens_fast(raw, text)
        if fast is not None:
            return fast
    out: list[Token] = []
    pos = 0
    for t in raw:
        if isinstance(t, str):
            start = text.find(t, pos)
            if start < 0 or not t:
                raise SpanError(Errors.E013.format(where=where, token=t, offset=pos))
            out.append(Token(t, start, start + len(t)))
        elif isinstance(t, Mapping):
            try:
                tok = Token(str(t["text"]), int(t["start"]), int(t["end"]))
            except KeyError as e:
                raise FormatError(Errors.E006.format(where=f"{where} tokens", field=e.args[0],
                                                     required="text, start, end",
                                                     got=sorted(t))) from None
            except (TypeError, ValueError, OverflowError):
                bad = t["start"] if not isinstance(t["start"], int) else t["end"]
                raise _type_error(where, "tokens[] start/end", "int", bad) from None
            if (tok.start < pos or tok.end <= tok.start or tok.end > len(text)
                    or text[tok.start:tok.end] != tok.text):
                raise SpanError(Errors.E013.format(where=where, token=tok.text, offset=pos))
            out.append(tok)
        else:
            raise _type_error(where, "tokens[]", "str or object", t)
        pos = out[-1].end
    return tuple(out)


def _span(raw: Any, where: str, tokens: tuple[Token, ...] | None) -> Span:
    if isinstance(raw, Mapping):
        missing = [k for k in ("start", "end", "label") if k not in raw]
        if missing:
            raise FormatError(Errors.E006.format(where=f"{where} spans", field=missing[0],
                                                 required="start, end, label", got=sorted(raw)))
        try:
            start, end = int(raw["start"]), int(raw["end"])
        except (TypeError, ValueError, OverflowError):
            raise _type_error(where, "span start/end", "int", raw["start"]) from None
        score = raw.get("score")
        if score is not None:
            try:
                score = float(score)
            except (TypeError, ValueError, OverflowError):
                raise _type_error(where, "span score", "number", score) from None
        meta = raw.get("meta")
        if meta and not isinstance(meta, Mapping):
            raise _type_error(where, "span meta", "object", meta)
        span = Span(start, end, raw["label"], score, dict(meta) if meta else None)
        if tokens is not None and ("token_start" in raw or "token_end" in raw):
            _check_token_indices(span, raw, tokens, where)
        return span
    if isinstance(raw, (list, tuple)) and len(raw) == 3:
        try:
            return Span(int(raw[0]), int(raw[1]), raw[2])
        except (TypeError, ValueError, OverflowError):
            raise _type_error(where, "entities[] start/end", "int", raw[0]) from None
    raise _type_error(where, "spans[]", "{start, end, label} object or [start, end, label]", raw)


def _check_token_indices(span: Span, raw: Mapping, tokens: tuple[Token, ...], where: str) -> None:
    ts, te = raw.get("token_start"), raw.get("token_end")
    starts = [i for i, t in enumerate(tokens) if t.start == span.start]
    ends = [i for i, t in enumerate(tokens) if t.end == span.end]
    actual = (starts[0] if starts else None, ends[0] if ends else None)
    given = (ts, te)
    if (ts is not None and ts != actual[0]) or (te is not None and te != actual[1]):
        raise SpanError(Errors.E015.format(where=where, span=span.key, given=given,
                                           actual=actual))


def example_from_record(record: Any, *, where: str, default_id: str | None = None,
                        strict: bool = True, spans_key: str = "spans",
                        label_key: str = "label") -> Example:
    """Build and validate an :class:`Example` from one JSONL object (see :func:`read_jsonl`)."""
    if not isinstance(record, Mapping):
        raise _type_error(where, "line", "JSON object", record)
    if "text" not in record:
        raise FormatError(Errors.E006.format(where=where, field="text", required="'text'",
                                             got=sorted(record)))
    text = record["text"]
    if not isinstance(text, str):
        raise _type_error(where, "text", "str", text)
    tokens = _tokens(record["tokens"], text, where) if record.get("tokens") is not None else None
    spans = None
    raw_spans = record.get(spans_key)
    if raw_spans is None and spans_key == "spans":
        raw_spans = record.get("entities")
    if raw_spans is not None:
        if not isinstance(raw_spans, list):
            raise _type_error(where, spans_key, "list", raw_spans)
        spans = validate_spans(text, [_span(s, where, tokens) for s in raw_spans], tokens,
                               strict=strict, where=where)
    return finish_record(record, text, tokens, spans, where=where, default_id=default_id,
                         spans_key=spans_key, label_key=label_key)


def _not_a_number(values: Iterable[Any]) -> Any:
    """The first value that is not a finite number's (for an error message)."""
    for v in values:
        try:
            float(v)
        except (TypeError, ValueError, OverflowError):
            return v
    return next(iter(values), None)  # pragma: no cover - the caller saw one fail


# Keys finish_records can leave to its quick form (no label, cats, probs, missing, extras).
_PLAIN_KEYS = frozenset({"text", "tokens", "spans", "entities", "id", "meta"})


def finish_records(records: list[Mapping], texts: list[str], tokens: list[Any],
                   spans: list[Any], numbers: list[int], name: str, *, spans_key: str,
                   label_key: str) -> list[Example]:
    """:func:`finish_record` of each record (at line *numbers* of file *name*), in one
    pass over them when they hold nothing but text, tokens, spans, id and meta (the
    usual NER file): the same examples."""
    keys = set().union(*map(dict.keys, records))
    if keys <= _PLAIN_KEYS | {spans_key} and label_key not in keys:
        metas = [r.get("meta") for r in records]
        ids = [r.get("id") for r in records]
        # finish_record's checks: meta an object (or empty), id kept as given when a str
        if all(isinstance(m, dict) for m in metas if m) and \
                all(type(i) is str for i in ids if i is not None):
            return list(map(Example, texts, tokens, spans, repeat(None), repeat(None),
                            repeat(()), [dict(m) if m else {} for m in metas],
                            [f"{name}:{k}" if i is None else i for i, k in zip(ids, numbers)]))
    out = []
    for record, text, toks, sp, k in zip(records, texts, tokens, spans, numbers):
        where = f"{name}:{k}"
        out.append(finish_record(record, text, toks, sp, where=where, default_id=where,
                                 spans_key=spans_key, label_key=label_key))
    return out


def finish_record(record: Mapping, text: str, tokens: Any, spans: tuple[Span, ...] | None, *,
                  where: str, default_id: str | None, spans_key: str,
                  label_key: str) -> Example:
    """The :class:`Example` of a JSONL object whose text, tokens and spans are read and
    checked: its label, probabilities, missing ranges, meta, other fields and id."""
    label = record.get(label_key)
    probs = record.get("probs")
    if label is not None and not isinstance(label, (str, list)):
        raise _type_error(where, label_key, "str or list of str", label)
    if isinstance(label, list):
        label = tuple(str(x) for x in label)
    if label is None and isinstance(record.get("cats"), Mapping):
        try:
            label, cat_probs = label_from_cats(record["cats"])
        except (TypeError, ValueError, OverflowError):
            raise _type_error(where, "cats", "object {label: score}",
                              _not_a_number(record["cats"].values())) from None
        probs = probs if probs is not None else cat_probs
    if probs is not None:
        if not isinstance(probs, Mapping):
            raise _type_error(where, "probs", "object {label: probability}", probs)
        try:
            probs = {str(k): float(v) for k, v in probs.items()}
        except (TypeError, ValueError, OverflowError):
            raise _type_error(where, "probs", "object {label: number}",
                              _not_a_number(probs.values())) from None
    raw_missing = record.get("missing") or ()
    try:
        missing = tuple((int(a), int(b)) for a, b in raw_missing)
    except (TypeError, ValueError, OverflowError):
        raise _type_error(where, "missing", "a list of [start, end] pairs", raw_missing) from None
    meta = record.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise _type_error(where, "meta", "object", meta)
    meta = dict(meta)
    extra = {k: v for k, v in record.items()
             if k not in _KNOWN and k != spans_key and k != label_key}
    if extra:
        meta["jsonl_fields"] = extra
    rid = record.get("id")
    return Example(text=text, tokens=tokens, spans=spans, label=label, probs=probs,
                   missing=missing, meta=meta,
                   id=str(rid) if rid is not None else default_id)


def iter_jsonl(path: PathLike, *, strict: bool = True, spans_key: str = "spans",
               label_key: str = "label", encoding: str = "utf-8",
               encoding_errors: str = "strict") -> Iterator[Example]:
    """Stream the examples of a JSONL file (same options as :func:`read_jsonl`).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_text('{"text": "a"}\\n{"text": "b"}\\n')
    >>> [ex.id for ex in iter_jsonl(p)]
    ['a.jsonl:1', 'a.jsonl:2']
    """
    p = check_file(path, what="iter_jsonl")  # checked now, not at the first next()
    check_encoding(encoding, encoding_errors)
    return _iter_jsonl(p, strict=strict, spans_key=spans_key, label_key=label_key,
                       encoding=encoding, encoding_errors=encoding_errors)


_BATCH = 2000  # lines parsed at a time (the garbage collector pauses during a batch)

# Codecs that never decode to a lone surrogate (with errors "strict" or "replace"):
# their lines need no surrogate scan, only their \u escapes (see loads_json).
_CLEAN_CODECS = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                 "utf-32-le", "utf-32-be", "ascii", "iso8859-1")


def _iter_jsonl(p: Path, *, strict: bool, spans_key: str, label_key: str,
                encoding: str, encoding_errors: str = "strict",
                pause_gc: bool = True, start: int = 0, stop: int | None = None,
                first_line: int = 1, allow_empty: bool = False) -> Iterator[Example]:
    """The examples of *p* (or of its byte range ``[start, stop)``, which begins line
    *first_line*: *allow_empty*).

    Chunks of the file are read by the block path (:mod:`nlperr.io._jsonl_fast`:
    orjson, tokens and spans checked as arrays) when they are certainly valid and
    *strict* is on; any other chunk, and every chunk without orjson, line by line
    here, which gives the exact errors.
    """
    seen = False
    decoded = check_encoding(encoding, encoding_errors) in _CLEAN_CODECS
    loads = orjson_loads() if strict else None  # repairs warn per example: line by line
    depth = get_limits().max_json_depth
    pausing = no_gc if pause_gc else contextlib.nullcontext

    def parse(batch: Iterable[tuple[int, str]]) -> list[Example]:
        out = []
        with pausing():
            for number, line in batch:
                if not line or line.isspace():
                    continue
                where = f"{p.name}:{number}"
                try:
                    record = loads_json(line, where=where, what="JSONL line", depth_limit=depth,
                                        decoded=decoded)
                except json.JSONDecodeError as e:
                    raise FormatError(Errors.E005.format(
                        where=where, error=e.msg + f" (column {e.colno})")) from None
                out.append(example_from_record(record, where=where, default_id=where,
                                               strict=strict, spans_key=spans_key,
                                               label_key=label_key))
        return out

    def parsed(records: list[Any], numbers: list[int]) -> list[Example]:
        got = block_tokens_spans(records, spans_key=spans_key)
        if got is not None:
            return finish_records(records, *got, numbers, p.name, spans_key=spans_key,
                                  label_key=label_key)
        out = []  # something unusual: each record on its own (exact errors)
        for record, k in zip(records, numbers):
            where = f"{p.name}:{k}"
            out.append(example_from_record(record, where=where, default_id=where,
                                           strict=strict, spans_key=spans_key,
                                           label_key=label_key))
        return out

    for first, part in iter_line_blocks(p, encoding=encoding, errors=encoding_errors,
                                        start=start, stop=stop, first_line=first_line,
                                        raw="unchecked" if loads is not None else False):
        error = None
        if isinstance(part, RawBlock):
            got = block_lines(part.data, first, depth)
            i = 0
            if got is not None:
                raws, numbers = got
                for i in range(0, len(raws), SUB_BATCH):
                    with pausing():  # (the parsed objects are not cyclic)
                        try:
                            records = list(map(loads, raws[i:i + SUB_BATCH]))  # type: ignore[arg-type]
                        except ValueError:  # orjson.JSONDecodeError: from here line by line
                            break
                        exs = parsed(records, numbers[i:i + SUB_BATCH])
                        del records
                    if exs:
                        seen = True
                        yield from exs
                else:
                    continue
            lines, error = part.lines()  # line by line: the exact error
            skip = numbers[i] - first if got is not None else 0
            part, first = lines[skip:], first + skip
        for i in range(0, len(part), _BATCH):
            exs = parse(zip(range(first + i, first + i + _BATCH), part[i:i + _BATCH]))
            if exs:
                seen = True
                yield from exs
        if error is not None:
            raise error
    if not seen and not allow_empty:
        raise empty_error(p)


class JsonlStream(FileStream):
    """A JSONL file to read as a stream, as often as needed: iterating it yields the
    examples of :func:`iter_jsonl` with these options.  Two such files can also be
    read in byte ranges by Ray workers (``analyze_ner_stream(..., engine="ray")``): the
    same examples, parsed where they are counted.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "tiny.jsonl"
    >>> _ = p.write_text('{"text": "Anna"}\\n\\n{"text": "Bye"}\\n', encoding="utf-8")
    >>> [ex.text for ex in JsonlStream(p)], [ex.id for ex in JsonlStream(p)]
    (['Anna', 'Bye'], ['tiny.jsonl:1', 'tiny.jsonl:3'])
    """

    def __init__(self, path: PathLike, *, strict: bool = True, spans_key: str = "spans",
                 label_key: str = "label", encoding: str = "utf-8",
                 encoding_errors: str = "strict") -> None:
        super().__init__(path, strict=strict, encoding=encoding,
                         encoding_errors=encoding_errors)
        self.spans_key = spans_key
        self.label_key = label_key

    def __iter__(self) -> Iterator[Example]:
        return iter_jsonl(self.path, strict=self.strict, spans_key=self.spans_key,
                          label_key=self.label_key, encoding=self.encoding,
                          encoding_errors=self.encoding_errors)

    def __repr__(self) -> str:
        return f"JsonlStream({str(self.path)!r})"

    def ranges(self, other: "JsonlStream", every: int
               ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]] | None:
        """Byte ranges ``(start, stop, first line)`` of this file and *other*, each cut
        after every *every*-th line that holds an example (so range *k* of both holds
        examples ``k * every`` on), or None when the lines cannot be located (a lone CR,
        a line over ``max_line_bytes``, UTF-16/32, ``encoding_errors="replace"``, whose
        warning would stay on the workers), when the files hold different numbers of
        example lines, or when *strict* is off (repairs warn per example).  A line
        holding only non-ASCII whitespace counts as an example line here but not for
        the reader: the ranges then hold different numbers of examples, which the
        caller checks."""
        if not (self._ranges_readable() and other._ranges_readable()
                and self.strict and other.strict):
            return None
        return self._paired_cuts(other, every)


def range_examples(path: Path, start: int, stop: int, first_line: int, strict: bool,
                   spans_key: str, label_key: str, encoding: str) -> list[Example]:
    """The examples of the byte range ``[start, stop)`` of a JSONL file (whole lines
    starting at line *first_line*), as :func:`iter_jsonl` reads them (an empty list when
    the range holds no example line; errors name the file's lines)."""
    return list(_iter_jsonl(path, strict=strict, spans_key=spans_key, label_key=label_key,
                            encoding=encoding, start=start, stop=stop, first_line=first_line,
                            allow_empty=True))


def read_jsonl(path: PathLike, *, strict: bool = True, spans_key: str = "spans",
               label_key: str = "label", encoding: str = "utf-8",
               encoding_errors: str = "strict") -> list[Example]:
    """Read a JSONL file (spaCy / Prodigy style) into examples.

    Each non-empty line is one JSON object:

    * ``"text"`` (required);
    * ``"tokens"``: a list of ``{"text", "start", "end"}`` objects (Prodigy's ``"id"``
      and other keys are allowed and ignored) or a list of strings, located in the
      text in order;
    * ``"spans"``: a list of ``{"start", "end", "label"}`` objects with optional
      ``"score"``, ``"meta"``, ``"token_start"`` / ``"token_end"`` (Prodigy:
      ``token_end`` is the *inclusive* index of the last token; checked against the
      offsets), or ``"entities"``: ``[[start, end, label], ...]`` (spaCy v2);
    * ``"label"`` (a string, or a list for multi-label), ``"cats"`` (``{label:
      score}``: one-hot -> the label; real scores -> label and ``probs``), ``"probs"``;
    * ``"missing"``, ``"meta"``, ``"id"`` (default ``"<file name>:<line>"``).

    Other keys are kept in ``meta["jsonl_fields"]`` and written back by
    :func:`write_jsonl`.  Spans are validated (:func:`nlperr.data.validate_spans`):
    out of range -> E101, overlap -> E102, not on token boundaries -> E103, each
    naming file:line; ``strict=False`` repairs what can be repaired, with a warning.

    Parameters
    ----------
    spans_key, label_key : str
        Read spans / label from these keys instead (e.g. ``"gold_spans"`` of a file
        written by ``write_jsonl(..., predictions=...)``).
    encoding, encoding_errors : str
        Text encoding (default UTF-8; a byte-order mark is skipped) and what to do
        with bytes that are not valid in it: ``"strict"`` (E030 naming the line)
        or ``"replace"`` (U+FFFD, with a W030 warning).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_text('{"text": "Ada met Bob", "entities": [[0, 3, "PER"], [8, 11, "PER"]]}\\n')
    >>> [(s.start, s.end, s.label) for s in read_jsonl(p)[0].spans]
    [(0, 3, 'PER'), (8, 11, 'PER')]
    """
    p = check_file(path, what="read_jsonl")
    check_encoding(encoding, encoding_errors)
    with no_gc(keep=True):  # one pause for the whole file, kept (see nlperr._gc.no_gc)
        return list(_iter_jsonl(p, strict=strict, spans_key=spans_key, label_key=label_key,
                                encoding=encoding, encoding_errors=encoding_errors,
                                pause_gc=False))


def _spans_json(ex: Example) -> list[dict[str, Any]]:
    starts = ends = None
    if ex.tokens is not None:
        starts = {t.start: i for i, t in enumerate(ex.tokens)}
        ends = {t.end: i for i, t in enumerate(ex.tokens)}
    out = []
    for s in ex.spans or ():
        d = s.to_dict()
        if starts is not None and s.start in starts and s.end in ends:  # type: ignore[operator]
            d["token_start"] = starts[s.start]
            d["token_end"] = ends[s.end]  # type: ignore[index]
        out.append(d)
    return out


def record_from_example(ex: Example, pred: Example | None = None) -> dict[str, Any]:
    """The JSON object :func:`write_jsonl` writes for *ex* (and its prediction)."""
    d: dict[str, Any] = {"text": ex.text}
    if ex.id is not None:
        d["id"] = ex.id
    if ex.tokens is not None:
        d["tokens"] = [{"text": t.text, "start": t.start, "end": t.end, "id": i}
                       for i, t in enumerate(ex.tokens)]
    if pred is None:
        if ex.spans is not None:
            d["spans"] = _spans_json(ex)
        if ex.label is not None:
            d["label"] = label_to_json(ex.label)
        if ex.probs is not None:
            d["probs"] = dict(ex.probs)
    else:
        if pred.spans is not None:
            d["spans"] = _spans_json(pred if pred.tokens is not None
                                     else pred.copy(tokens=ex.tokens))
            if ex.spans is not None:
                d["gold_spans"] = _spans_json(ex)
        elif ex.spans is not None:
            d["spans"] = _spans_json(ex)
        if pred.label is not None or pred.probs is not None:
            if pred.label is not None:
                d["label"] = label_to_json(pred.label)
            if pred.probs is not None:
                d["probs"] = dict(pred.probs)
            if ex.label is not None:
                d["gold_label"] = label_to_json(ex.label)
        elif ex.label is not None:
            d["label"] = label_to_json(ex.label)
    if ex.missing:
        d["missing"] = [list(m) for m in ex.missing]
    meta = dict(ex.meta or {})
    extra = meta.pop("jsonl_fields", None)
    if meta:
        d["meta"] = meta
    if extra:
        for k, v in extra.items():
            d.setdefault(k, v)
    return d


def write_jsonl(examples: Iterable[Example], path: PathLike, *,
                predictions: Iterable[Example] | None = None, encoding: str = "utf-8") -> None:
    """Write examples as JSONL, one object per line (the format :func:`read_jsonl` reads).

    Spans are written with ``token_start`` / ``token_end`` (inclusive, Prodigy style)
    when the example is tokenized; tokens carry Prodigy's ``"id"``.

    With *predictions* (one predicted example per example, same text), ``"spans"``
    holds the **predicted** spans (with scores) and the gold spans move to
    ``"gold_spans"``; for classification ``"label"`` / ``"probs"`` hold the
    prediction and ``"gold_label"`` the gold label.  This is the output of
    ``nlperr predict``.  *examples* and *predictions* are read in step, so both
    may be iterators (streaming).

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> from nlperr.data import Example, Span
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.jsonl"
    >>> gold = Example("Hi Bob", spans=(Span(3, 6, "PER"),), id="x")
    >>> pred = Example("Hi Bob", spans=(Span(0, 2, "ORG", score=0.4),), id="x")
    >>> write_jsonl([gold], p, predictions=[pred])
    >>> rec = json.loads(p.read_text())
    >>> rec["spans"][0]["label"], rec["gold_spans"][0]["label"]
    ('ORG', 'PER')
    """
    with open(path, "w", encoding=encoding, newline="\n") as fh:
        for _, ex, pred in paired(examples, predictions, where=str(path)):
            rec = record_from_example(ex, pred)
            fh.write(json.dumps(rec, ensure_ascii=False, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if hasattr(value, "tolist"):  # numpy scalars / arrays
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
