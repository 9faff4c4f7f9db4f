"""The block path of the JSONL reader: lines parsed by orjson, their token objects and
spans checked as arrays.

:func:`block_lines` vets a chunk of about 4 MB of lines (no integer past 64 bits, no
line with more brackets than ``max_json_depth``); the reader then parses
:data:`SUB_BATCH` lines at a time, and :func:`block_tokens_spans` returns their texts,
tokens and spans exactly as the line-by-line path of :mod:`nlperr.io._jsonl` reads them
(the same values, compared with ``==``), or None when anything in them is unusual: then
the reader takes those records one by one, which raises the precise error (file:line) or
takes the rare forms (string tokens, ``[start, end, label]`` entities, numbers given as
strings...).  A line orjson refuses sends the rest of the chunk line by line.  So the
block path never decides what is valid; it only recognises what is certainly valid.

Why it is exact:

* orjson and :func:`json.loads` give the same values for what orjson accepts, except
  integers outside the 64-bit range (orjson makes them floats): a chunk holding a run
  of 19 or more digits goes line by line.  What orjson refuses (NaN, Infinity, lone
  surrogates, bad UTF-8, a syntax error) goes line by line too, where :mod:`json`
  decides (and the decoding error names its line).
* The nesting limit (``max_json_depth``) is checked before parsing: a line with more
  brackets than the limit goes line by line, which counts them exactly.
* Tokens must be ``{"text": str, "start": int, "end": int, ...}`` objects, in order,
  each ``text`` equal to ``text[start:end]``: checked for the whole chunk at once on
  the code points.  The examples keep their offsets as a
  :class:`~nlperr.data.example.TokenRange` (as the CoNLL readers do), so no
  :class:`~nlperr.data.Token` is built until asked for.
* Spans must be ``{"start": int, "end": int, "label": str, ...}`` objects with a
  valid label, inside the text, on token boundaries, not overlapping, and their
  ``token_start`` / ``token_end`` (when given) must name the tokens at their ends:
  what :func:`~nlperr.data.validate_spans` accepts with ``strict=True``.  They are
  sorted as it sorts them.
"""

from __future__ import annotations

from itertools import chain, compress, count
from operator import itemgetter, methodcaller
from typing import Any, Callable

import numpy as np

from ..data import Span
from ..data.example import TokenRange

__all__ = ["block_tokens_spans", "block_lines", "orjson_loads", "SUB_BATCH"]

_TEXT = itemgetter("text")
_START = itemgetter("start")
_END = itemgetter("end")
_LABEL = itemgetter("label")
_GET_SCORE = methodcaller("get", "score")
_GET_META = methodcaller("get", "meta")
_GET_TS = methodcaller("get", "token_start")
_GET_TE = methodcaller("get", "token_end")
# digits -> "1", anything else -> "0": a run of 19 "1"s is an integer orjson may not hold
_DIGITS = bytes(49 if 48 <= i < 58 else 48 for i in range(256))
_LONG_RUN = b"1" * 19
_NOT_OPENING = bytes(i for i in range(256) if i not in b"[{\n")


def orjson_loads() -> Callable[[bytes], Any] | None:
    """``orjson.loads``, or None when orjson is not installed (the line-by-line path
    then reads every line with :mod:`json`)."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - a dependency on CPython
        return None
    return orjson.loads


def block_lines(data: bytes, first: int, depth: int) -> tuple[list[bytes], list[int]] | None:
    """The non-empty lines of *data* (lines *first* on) and their line numbers, or None
    when a line must be read by :mod:`json` (see the module)."""
    if _LONG_RUN in data.translate(_DIGITS):
        return None
    # the brackets of each line (all but "[", "{" and line ends deleted): a line with
    # more than the limit (perhaps in strings) is counted exactly by the line path
    if max(map(len, data.translate(None, _NOT_OPENING).split(b"\n"))) > depth:
        return None
    lines = data.split(b"\n")
    return list(filter(None, lines)), list(compress(count(first), lines))


#: Lines parsed and turned into examples at a time.  Small on purpose: the token
#: objects orjson builds are read while they are still in the CPU's cache (a chunk
#: of 3,000 lines parsed before any is read takes about twice as long in all).
SUB_BATCH = 128


def _all_of(kind: type, values: list) -> bool:
    """Whether every value is exactly of type *kind* (true of an empty list)."""
    return set(map(type, values)) <= {kind}


def _label_ok(label: Any) -> bool:
    return isinstance(label, str) and bool(label) and not any(c.isspace() for c in label)


def _int_array(values: list | tuple) -> np.ndarray | None:
    """*values* as int64, or None unless every value is an int (a bool counts as the
    line-by-line path's ``int()`` would take it)."""
    try:
        arr = np.array(values)
    except (OverflowError, ValueError):  # pragma: no cover - orjson gives 64-bit ints
        return None
    if arr.dtype.kind not in "iu" or arr.ndim != 1:
        return None
    return arr.astype(np.int64, copy=False)


def block_tokens_spans(records: list[Any], *, spans_key: str
                       ) -> tuple[list[str], list[Any], list[Any]] | None:
    """The texts, tokens (:class:`~nlperr.data.example.TokenRange` or None) and spans
    (sorted tuples of :class:`~nlperr.data.Span` or None) of *records* (parsed JSONL
    lines), each as the line-by-line path reads it; None when a record is unusual (the
    caller then takes the records one by one)."""
    n = len(records)
    if not n or not _all_of(dict, records):
        return None
    try:
        texts = list(map(itemgetter("text"), records))
    except KeyError:
        return None
    if not _all_of(str, texts):
        return None
    text_len = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    text_base = np.cumsum(text_len) - text_len  # each text's offset in the joined texts
    raw_tokens = list(map(methodcaller("get", "tokens"), records))
    has_tokens = np.array([t is not None for t in raw_tokens], dtype=bool)
    tok_lists = [t for t in raw_tokens if t is not None]
    if not _all_of(list, tok_lists):
        return None
    counts = np.zeros(n, dtype=np.int64)
    counts[has_tokens] = np.fromiter(map(len, tok_lists), dtype=np.int64,
                                     count=len(tok_lists))
    first_tok = np.cumsum(counts) - counts
    n_tok = int(counts.sum())
    if n_tok:
        try:  # three passes (a transposing zip of (text, start, end) is slower)
            words = list(map(_TEXT, chain.from_iterable(tok_lists)))
            starts = list(map(_START, chain.from_iterable(tok_lists)))
            ends = list(map(_END, chain.from_iterable(tok_lists)))
            joined_words = "".join(words)  # a TypeError unless every word is a str
        except (KeyError, TypeError):
            return None
        st, en = _int_array(starts), _int_array(ends)
        if st is None or en is None:
            return None
        lengths = np.fromiter(map(len, words), dtype=np.int64, count=n_tok)
        ex_of = np.repeat(np.arange(n), counts)
        later = np.ones(n_tok, dtype=bool)  # not the first token of its example
        later[first_tok[counts > 0]] = False
        if not ((st < en).all() and (st >= 0).all() and (en <= text_len[ex_of]).all()
                and (en - st == lengths).all() and (en[:-1][later[1:]] <= st[1:][later[1:]]).all()):
            return None
        try:  # every word equals its slice of the text: compared as code points
            text_cp = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
            word_cp = np.frombuffer(joined_words.encode("utf-32-le"), dtype=np.uint32)
        except UnicodeEncodeError:  # pragma: no cover - orjson refuses lone surrogates
            return None
        word_base = np.cumsum(lengths) - lengths
        at = np.repeat(st + text_base[ex_of] - word_base, lengths) + np.arange(len(word_cp))
        if not (text_cp[at] == word_cp).all():
            return None
        g_start = st + text_base[ex_of]  # offsets in the joined texts: strictly increasing
        g_end = en + text_base[ex_of]
    else:
        st = en = g_start = g_end = np.zeros(0, dtype=np.int64)

    # -- spans ----------------------------------------------------------------------
    raw_spans = list(map(methodcaller("get", spans_key), records))
    if spans_key == "spans" and None in raw_spans:
        raw_spans = [r.get("entities") if s is None else s for r, s in zip(records, raw_spans)]
    has_spans = [s is not None for s in raw_spans]
    span_lists = [s for s in raw_spans if s is not None]
    if not _all_of(list, span_lists):
        return None
    n_spans = np.zeros(n, dtype=np.int64)
    n_spans[np.array(has_spans, dtype=bool)] = np.fromiter(
        map(len, span_lists), dtype=np.int64, count=len(span_lists))
    m = int(n_spans.sum())
    span_objs: list[Span] = []
    if m:
        flat = list(chain.from_iterable(span_lists))
        if not _all_of(dict, flat):
            return None
        try:
            s_start = list(map(_START, flat))
            s_end = list(map(_END, flat))
            labels = list(map(_LABEL, flat))
        except KeyError:
            return None
        try:
            if not all(map(_label_ok, set(labels))):
                return None
        except TypeError:  # an unhashable label
            return None
        ss, se = _int_array(s_start), _int_array(s_end)
        if ss is None or se is None:
            return None
        ex_of_span = np.repeat(np.arange(n), n_spans)
        if not ((ss < se).all() and (ss >= 0).all() and (se <= text_len[ex_of_span]).all()):
            return None
        order = np.lexsort((se, ss, ex_of_span))  # validate_spans sorts by (start, end)
        sorted_ = bool((order == np.arange(m)).all())
        if not sorted_:
            ss, se, ex_of_span = ss[order], se[order], ex_of_span[order]
        same = ex_of_span[1:] == ex_of_span[:-1]
        if (ss[1:][same] < se[:-1][same]).any():  # overlapping spans
            return None
        given = _token_indices(flat, order if not sorted_ else None)
        if given is None:
            return None
        tokenized = has_tokens[ex_of_span]
        if tokenized.any():  # on token boundaries, at the tokens token_start/_end name
            if not n_tok:
                return None
            ex_t = ex_of_span[tokenized]
            gs = ss[tokenized] + text_base[ex_t]
            ge = se[tokenized] + text_base[ex_t]
            i = np.minimum(np.searchsorted(g_start, gs), n_tok - 1)
            j = np.minimum(np.searchsorted(g_end, ge), n_tok - 1)
            if not ((g_start[i] == gs).all() and (g_end[j] == ge).all()):
                return None
            for want, at in zip(given, (i, j)):
                if want is not None:
                    want = want[tokenized]
                    if not ((want == -1) | (want == at - first_tok[ex_t])).all():
                        return None
        scores = list(map(_GET_SCORE, flat))
        metas = list(map(_GET_META, flat))
        if not (_all_of(float, [x for x in scores if x is not None and type(x) is not int])
                and _all_of(dict, [x for x in metas if x])):
            return None  # a score that is not a number, a meta that is not an object
        scores = [None if x is None else float(x) for x in scores]
        metas = [dict(x) if x else None for x in metas]
        if sorted_:  # (ints from the arrays: a bool offset is the 0/1 int() makes it)
            span_objs = list(map(Span, ss.tolist(), se.tolist(), labels, scores, metas))
        else:
            o = order.tolist()
            span_objs = list(map(Span, ss.tolist(), se.tolist(), [labels[k] for k in o],
                                 [scores[k] for k in o], [metas[k] for k in o]))

    # -- examples -------------------------------------------------------------------
    first_l = first_tok.tolist()
    count_l = counts.tolist()
    span_end = np.cumsum(n_spans).tolist()
    tokens_l = [TokenRange(st, en, a, a + c) if t is not None else None
                for t, a, c in zip(raw_tokens, first_l, count_l)]
    spans_l = [tuple(span_objs[b - k:b]) if h else None
               for h, k, b in zip(has_spans, n_spans.tolist(), span_end)]
    return texts, tokens_l, spans_l


def _token_indices(flat: list[dict], order: np.ndarray | None
                   ) -> tuple[np.ndarray | None, np.ndarray | None] | None:
    """The ``token_start`` and ``token_end`` of the spans *flat* (in *order* when given;
    -1 where absent or null; None for a key no span has), or None when one is not a
    non-negative int (the line-by-line path decides)."""
    out: list[np.ndarray | None] = []
    for get in (_GET_TS, _GET_TE):
        raw = list(map(get, flat))
        if raw.count(None) == len(raw):
            out.append(None)
            continue
        values = [x for x in raw if x is not None]
        if not _all_of(int, values) or min(values) < 0:
            return None
        arr = np.array([-1 if x is None else x for x in raw], dtype=np.int64)
        out.append(arr if order is None else arr[order])
    return out[0], out[1]
