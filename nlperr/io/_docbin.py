"""spaCy DocBin (``.spacy``) files.  spaCy is imported lazily."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ..data import Example, Span, Token
from ..errors import Errors, FormatError, InputError, NlperrError
from ._common import PathLike, check_file, check_predictions, empty_error, label_from_cats
from ._common import label_to_json, require

__all__ = ["read_docbin", "write_docbin"]

_USER_KEY = "nlperr"
#: span group holding the gold entities in the output of ``nlperr predict``
GOLD_KEY = "gold"


def _spacy() -> Any:
    return require("spacy", what="Reading and writing spaCy DocBin files", extra="spacy")


def read_docbin(path: PathLike, *, nlp: Any = None, lang: str = "en",
                gold: bool = False) -> list[Example]:
    """Read a spaCy DocBin (``.spacy``) file.

    Parameters
    ----------
    nlp : spacy.Language, optional
        Pipeline whose vocab is used; default a blank pipeline for *lang*.
    lang : str, default "en"
    gold : bool, default False
        In a file written with ``write_docbin(..., predictions=...)`` (the output
        of ``nlperr predict``), read the gold annotation kept there (span group
        ``doc.spans["gold"]`` and the stored gold label) instead of the
        predictions in ``doc.ents`` / ``doc.cats``.

    Returns
    -------
    list of Example
        ``tokens`` are the Doc's tokens without whitespace-only tokens (nlperr's
        tokens never hold whitespace).  ``doc.ents`` become spans; tokens whose
        ``ent_iob_`` is ``""`` inside an annotated Doc become ``missing`` ranges, and
        a Doc without any entity annotation gets ``spans=None``.  ``doc.cats``
        gives ``label`` (one-hot) or ``label`` + ``probs`` (scores).  Ids and meta
        written by :func:`write_docbin` are restored; other Docs get the id
        ``"<file name>:<doc index>"``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nlperr.data import Example, Span
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.spacy"
    >>> write_docbin([Example("Ada codes", spans=(Span(0, 3, "PER"),))], p)
    >>> [(s.start, s.end, s.label) for s in read_docbin(p)[0].spans]
    [(0, 3, 'PER')]
    """
    spacy = _spacy()
    from spacy.tokens import DocBin

    p = check_file(path, what="read_docbin")
    if p.stat().st_size == 0:
        raise empty_error(p)
    vocab = nlp.vocab if nlp is not None else spacy.blank(lang).vocab
    data = _checked_bytes(p)
    try:
        db = DocBin().from_bytes(data)
        out = [_example(doc, f"{p.name}:{i}", gold) for i, doc in enumerate(db.get_docs(vocab))]
    except (NlperrError, MemoryError, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - spaCy/msgpack/zlib on a hostile file
        raise FormatError(Errors.E046.format(where=str(p), error=f"{type(e).__name__}: "
                                                                f"{str(e)[:120]}")) from None
    if not out:
        raise empty_error(p)
    return out


def _checked_bytes(p: Any) -> bytes:
    """The file's bytes, refusing (E033) a file or a zlib payload that unpacks beyond
    ``max_file_bytes`` (a DocBin is one zlib-compressed msgpack blob)."""
    import zlib

    from ..limits import get_limits
    from ._text import read_bytes_limited

    data = read_bytes_limited(p)
    limit = get_limits().max_file_bytes
    try:
        d = zlib.decompressobj()
        d.decompress(data, limit + 1)
        too_big = bool(d.unconsumed_tail)
    except zlib.error as e:
        raise FormatError(Errors.E046.format(where=str(p), error=f"zlib: {e}")) from None
    if too_big:
        raise InputError(Errors.E033.format(where=str(p), size=f"more than {limit} (unpacked)",
                                            limit=limit,
                                            how=get_limits().how_to_raise("max_file_bytes")))
    return data


def _example(doc: Any, default_id: str, gold: bool = False) -> Example:
    stored: dict[str, Any] = {}
    raw = doc.user_data.get(_USER_KEY) if doc.user_data else None
    if isinstance(raw, str):
        try:
            stored = json.loads(raw)
        except json.JSONDecodeError:
            stored = {}
    tokens = tuple(Token(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space)
    if gold:
        group = doc.spans[GOLD_KEY] if GOLD_KEY in doc.spans else None
        spans_g = None if group is None else tuple(
            Span(sp.start_char, sp.end_char, sp.label_) for sp in group)
        glabel = stored.get("gold_label")
        return Example(text=doc.text, tokens=tokens, spans=spans_g,
                       label=tuple(glabel) if isinstance(glabel, list) else glabel,
                       missing=tuple(tuple(m) for m in stored.get("gold_missing") or ()),
                       meta=dict(stored.get("meta") or {}), id=stored.get("id", default_id))
    spans = None
    missing: tuple[tuple[int, int], ...] = ()
    if doc.has_annotation("ENT_IOB"):
        extra = {(d["start"], d["end"], d["label"]): d for d in stored.get("spans") or ()}
        spans_l = []
        for ent in doc.ents:
            key = (ent.start_char, ent.end_char, ent.label_)
            d = extra.get(key, {})
            spans_l.append(Span(*key, score=d.get("score"), meta=d.get("meta")))
        spans = tuple(spans_l)
        missing = tuple((t.idx, t.idx + len(t.text)) for t in doc
                        if t.ent_iob_ == "" and not t.is_space)
    label, probs = label_from_cats(doc.cats) if doc.cats else (None, None)
    if "label" in stored:
        label = tuple(stored["label"]) if isinstance(stored["label"], list) else stored["label"]
    return Example(text=doc.text, tokens=tokens, spans=spans, label=label, probs=probs,
                   missing=missing, meta=dict(stored.get("meta") or {}),
                   id=stored.get("id", default_id))


def _doc(nlp: Any, ex: Example, where: str) -> Any:
    from spacy.tokens import Doc

    if ex.tokens is None:
        return nlp.make_doc(ex.text)
    words: list[str] = []
    spaces: list[bool] = []

    def add_gap(gap: str) -> None:
        # one space after a word is its trailing space; other whitespace is a token
        if words and gap.startswith(" "):
            spaces[-1] = True
            gap = gap[1:]
        if gap:
            words.append(gap)
            spaces.append(False)

    pos = 0
    for t in ex.tokens:
        add_gap(ex.text[pos:t.start])
        words.append(t.text)
        spaces.append(False)
        pos = t.end
    add_gap(ex.text[pos:])
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    if doc.text != ex.text:  # pragma: no cover - guarded by construction
        raise InputError(Errors.E013.format(where=where, token=ex.text[:20], offset=0))
    return doc


def write_docbin(examples: Iterable[Example], path: PathLike, *, lang: str = "en",
                 nlp: Any = None, predictions: Iterable[Example] | None = None) -> None:
    """Write examples to a spaCy DocBin (``.spacy``) file.

    Docs are built from the example tokens (whitespace between tokens becomes
    spaCy's ``spaces`` / whitespace tokens, so ``doc.text == example.text``), or
    tokenized with a blank *lang* pipeline when the example has none.  Spans become
    ``doc.ents`` (``missing`` ranges get no entity annotation; ``spans=None`` leaves
    the Doc without NER annotation), ``label`` / ``probs`` become ``doc.cats``.  The
    id, meta, span scores and span meta are stored in ``doc.user_data`` (as JSON
    text) so :func:`read_docbin` restores them.

    With *predictions* (one per example, same text: the output of ``nlperr
    predict``), ``doc.ents`` / ``doc.cats`` hold the **predictions** and the gold
    annotation is kept: gold entities in the span group ``doc.spans["gold"]``,
    the gold label in ``doc.user_data`` (read them back with
    ``read_docbin(path, gold=True)``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nlperr.data import Example
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.spacy"
    >>> write_docbin([Example("nice film", label="pos")], p)
    >>> read_docbin(p)[0].label
    'pos'
    """
    spacy = _spacy()
    from spacy.tokens import DocBin

    examples = list(examples)
    preds: list[Example] | None = None
    if predictions is not None:
        preds = list(predictions)
        check_predictions(examples, preds, where=str(path))
    nlp = nlp if nlp is not None else spacy.blank(lang)
    labels = sorted({lab for ex in (preds if preds is not None else examples)
                     if ex.label is not None
                     for lab in ((ex.label,) if isinstance(ex.label, str) else ex.label)})
    db = DocBin(store_user_data=True)
    for i, gold_ex in enumerate(examples):
        where = f"{path}, example {gold_ex.id if gold_ex.id is not None else i!r}"
        doc = _doc(nlp, gold_ex, where)
        ex = gold_ex
        if preds is not None:  # annotations from the prediction, gold kept aside
            p = preds[i]
            ex = Example(text=gold_ex.text, tokens=gold_ex.tokens, spans=p.spans,
                         label=p.label, probs=p.probs, id=gold_ex.id, meta=gold_ex.meta)
            if gold_ex.spans is not None:
                group = []
                for s in gold_ex.spans:
                    span = doc.char_span(s.start, s.end, label=s.label)
                    if span is None:
                        raise InputError(Errors.E020.format(
                            where=where, span=s.key, tokens=[t.text for t in doc][:20]))
                    group.append(span)
                doc.spans[GOLD_KEY] = group
        if ex.spans is not None:
            ents = []
            for s in ex.spans:
                span = doc.char_span(s.start, s.end, label=s.label)
                if span is None:
                    raise InputError(Errors.E020.format(where=where, span=s.key,
                                                        tokens=[t.text for t in doc][:20]))
                ents.append(span)
            miss = []
            for a, b in ex.missing:
                m = doc.char_span(a, b)
                if m is None:
                    raise InputError(Errors.E020.format(where=where, span=(a, b, "-"),
                                                        tokens=[t.text for t in doc][:20]))
                miss.append(m)
            doc.set_ents(ents, missing=miss, default="outside")
        if ex.probs is not None:
            doc.cats = {k: float(v) for k, v in ex.probs.items()}
        elif ex.label is not None:
            on = {ex.label} if isinstance(ex.label, str) else set(ex.label)
            doc.cats = {lab: 1.0 if lab in on else 0.0 for lab in labels}
        stored: dict[str, Any] = {}
        if ex.id is not None:
            stored["id"] = ex.id
        if ex.meta:
            stored["meta"] = ex.meta
        if ex.label is not None and (ex.probs is not None or isinstance(ex.label, tuple)):
            stored["label"] = list(ex.label) if isinstance(ex.label, tuple) else ex.label
        if any(s.score is not None or s.meta for s in ex.spans or ()):
            stored["spans"] = [s.to_dict() for s in ex.spans or ()]
        if preds is not None:
            if gold_ex.label is not None:
                stored["gold_label"] = label_to_json(gold_ex.label)
            if gold_ex.missing:
                stored["gold_missing"] = [list(m) for m in gold_ex.missing]
        if stored:
            doc.user_data[_USER_KEY] = json.dumps(stored, ensure_ascii=False, default=str)
        db.add(doc)
    db.to_disk(path)
