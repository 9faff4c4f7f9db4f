"""Hugging Face ``datasets``: Dataset / IterableDataset <-> examples (lazy import)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..data import Example, Span, detect_scheme, normalize_scheme, split_tag, tags_to_spans
from ..data import tokens_from_words
from ..data.schemes import MISSING, SCHEMES
from ..errors import Errors, FormatError, InputError, NlperrError, RepairWarning, SchemeError, Warnings
from ..errors import warn
from ._common import PathLike, check_file, require

__all__ = ["from_hf_dataset", "iter_hf_dataset", "to_hf_dataset", "read_hf", "write_hf"]


def _datasets() -> Any:
    return require("datasets", what="Hugging Face dataset support", extra="hf")


def _names(features: Any, column: str) -> list[str] | None:
    """ClassLabel names of *column* (or of its list items), when it has them."""
    if features is None or column not in features:
        return None
    feat = features[column]
    inner = getattr(feat, "feature", None)
    if inner is not None:
        feat = inner
    return list(feat.names) if hasattr(feat, "names") else None


def _columns(ds: Any) -> list[str] | None:
    names = getattr(ds, "column_names", None)
    if names is None and getattr(ds, "features", None) is not None:
        names = list(ds.features)
    return list(names) if names is not None else None


def _decode(value: Any, names: list[str] | None, where: str, column: str) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if names is None:
            raise InputError(Errors.E019.format(where=where, column=column))
        if value < 0:
            return None
        return names[value]
    if isinstance(value, list):
        return [_decode(v, names, where, column) for v in value]
    return value


def from_hf_dataset(
    ds: Any,
    *,
    tokens_column: str = "tokens",
    tags_column: str = "ner_tags",
    text_column: str | None = None,
    label_column: str | None = None,
    scheme: str | None = None,
    strict: bool = True,
    id_column: str = "id",
) -> list[Example]:
    """Convert a Hugging Face ``Dataset`` or ``IterableDataset`` into examples.

    Two layouts:

    * **token classification** (default): *tokens_column* holds word lists and
      *tags_column* tag lists, either ``ClassLabel`` ids (names from
      ``ds.features[col].feature.names``) or strings.  The text is the words joined
      by single spaces; the *scheme* is detected from all tags when not given.
    * **classification**: when *label_column* (or *text_column*) is given, each row's
      *text_column* (default ``"text"``) is the text and *label_column* (default
      ``"label"``) the label: a ``ClassLabel`` id (``-1`` = unlabelled -> None), a
      string, or a list of either (multi-label -> tuple).

    The *id_column* value is the example id when present (else the row index).
    Other columns go to ``meta`` (ClassLabel ids decoded to names).  An
    ``IterableDataset`` (streaming) is consumed once.

    Examples
    --------
    >>> from datasets import Dataset, Features, Sequence, ClassLabel, Value
    >>> feats = Features({"tokens": Sequence(Value("string")),
    ...                   "ner_tags": Sequence(ClassLabel(names=["O", "B-PER", "I-PER"]))})
    >>> ds = Dataset.from_dict({"tokens": [["Ada", "Lovelace", "wrote"]],
    ...                         "ner_tags": [[1, 2, 0]]}, features=feats)
    >>> ex = from_hf_dataset(ds)[0]
    >>> ex.text, [(ex.span_text(s), s.label) for s in ex.spans]
    ('Ada Lovelace wrote', [('Ada Lovelace', 'PER')])
    """
    if type(ds).__name__ in ("DatasetDict", "IterableDatasetDict"):
        raise InputError(Errors.E018.format(path=type(ds).__name__, splits=sorted(ds.keys())))
    features = getattr(ds, "features", None)
    columns = _columns(ds)
    classification = text_column is not None or label_column is not None
    if classification:
        text_column = text_column or "text"
        label_column = label_column or "label"
        need = [text_column]
    else:
        need = [tokens_column]
    if columns is not None:
        for c in need:
            if c not in columns:
                raise InputError(Errors.E010.format(where="dataset", column=c,
                                                    available=columns))
        if classification and label_column not in columns:
            label_column = None
    if classification:
        return _classification(ds, features, text_column or "text", label_column, id_column)
    return _ner(ds, features, columns, tokens_column, tags_column, scheme, strict, id_column)


def _meta(row: Mapping[str, Any], skip: set[str], features: Any, where: str) -> dict[str, Any]:
    meta = {}
    for k, v in row.items():
        if k in skip:
            continue
        names = _names(features, k)
        meta[k] = _decode(v, names, where, k) if names is not None else v
    return meta


def _classification(ds: Any, features: Any, text_column: str, label_column: str | None,
                    id_column: str) -> list[Example]:
    return list(_classification_rows(ds, features, text_column, label_column, id_column))


def _classification_rows(ds: Any, features: Any, text_column: str, label_column: str | None,
                         id_column: str) -> Iterator[Example]:
    names = _names(features, label_column) if label_column else None
    for i, row in enumerate(ds):
        where = f"dataset row {i}"
        if text_column not in row:
            raise InputError(Errors.E010.format(where=where, column=text_column,
                                                available=sorted(row)))
        label = None
        if label_column is not None and label_column in row:
            label = _decode(row[label_column], names, where, label_column)
            if isinstance(label, list):
                label = tuple(str(x) for x in label if x is not None)
            elif label is not None:
                label = str(label)
        rid = row.get(id_column)
        yield Example(text=str(row[text_column]), label=label,
                      meta=_meta(row, {text_column, label_column or "", id_column},
                                 features, where),
                      id=str(rid) if rid is not None else str(i))


def _ner_rows(ds: Any, names: list[str] | None, tokens_column: str, tags_column: str,
              id_column: str, features: Any) -> Iterator[tuple[str, list[str], list[str] | None,
                                                             dict[str, Any]]]:
    for i, row in enumerate(ds):
        where = f"dataset row {i}"
        if tokens_column not in row:
            raise InputError(Errors.E010.format(where=where, column=tokens_column,
                                                available=sorted(row)))
        words = [str(w) for w in row[tokens_column]]
        tags = None
        if tags_column in row and row[tags_column] is not None:
            tags = [str(t) for t in _decode(list(row[tags_column]), names, where, tags_column)]
            for t in tags:
                split_tag(t, where=where)
        rid = row.get(id_column)
        yield (str(rid) if rid is not None else str(i), words, tags,
               _meta(row, {tokens_column, tags_column, id_column}, features, where))


class _NerBuilder:
    def __init__(self, scheme: str, strict: bool) -> None:
        self.scheme = scheme
        self.strict = strict
        self.repaired = 0

    def __call__(self, i: int, rid: str, words: list[str], tags: list[str] | None,
                 meta: dict[str, Any]) -> Example:
        where = f"dataset row {i} (id {rid!r})"
        text, tokens = tokens_from_words(words)
        spans = None
        missing: tuple[tuple[int, int], ...] = ()
        if tags is not None:
            if len(tags) != len(words):
                raise InputError(Errors.E106.format(where=where, ntags=len(tags),
                                                    ntokens=len(words)))
            try:
                tsp = tags_to_spans(tags, self.scheme, strict=True, where=where)
            except SchemeError:
                if self.strict:
                    raise
                self.repaired += 1
                tsp = tags_to_spans(tags, self.scheme, strict=False, where=where,
                                    warn_repairs=False)
            spans = tuple(Span(tokens[s].start, tokens[e - 1].end, lab) for s, e, lab in tsp)
            missing = tuple((tokens[k].start, tokens[k].end)
                            for k, t in enumerate(tags) if t == MISSING)
            meta["scheme"] = self.scheme
        return Example(text=text, tokens=tokens, spans=spans, missing=missing, meta=meta,
                       id=rid)

    def finish(self) -> None:
        if self.repaired:
            warn(Warnings.W009.format(where="dataset", count=self.repaired, scheme=self.scheme,
                                      first="see strict=True"), RepairWarning, stacklevel=3)


def _ner(ds: Any, features: Any, columns: list[str] | None, tokens_column: str,
         tags_column: str, scheme: str | None, strict: bool, id_column: str) -> list[Example]:
    names = _names(features, tags_column)
    rows = list(_ner_rows(ds, names, tokens_column, tags_column, id_column, features))
    if scheme is None:
        sch = detect_scheme((t for _, _, t, _ in rows if t), where="dataset")
    else:
        sch = normalize_scheme(scheme)
    build = _NerBuilder(sch, strict)
    out = [build(i, *row) for i, row in enumerate(rows)]
    build.finish()
    return out


_DETECT_ROWS = 1000


def _canonical_sequences(names: list[str]) -> list[list[str]]:
    """Tag sequences that use the ClassLabel tag names the way their scheme does (for
    scheme detection without reading the data).  ``B-`` + ``I-`` names are read as
    IOB2, the Hugging Face convention (IOB1 and IOB2 share their tag names)."""
    prefixes: dict[str, set[str]] = {}
    for n in names:
        if n in ("O", MISSING) or "-" not in n:
            continue
        p, t = n.split("-", 1)
        prefixes.setdefault(t, set()).add(p)
    seqs = []
    for t, ps in prefixes.items():
        if ps & {"L", "U"}:
            seqs += [[f"B-{t}", f"I-{t}", f"L-{t}"], [f"U-{t}"]]
        elif ps & {"E", "S"}:
            seqs += [[f"B-{t}", f"I-{t}", f"E-{t}"], [f"S-{t}"]]
        elif "B" in ps:
            seqs += [["O", f"B-{t}", f"I-{t}"]]
        else:
            seqs += [["O", f"I-{t}"]]
    return seqs


def iter_hf_dataset(
    ds: Any,
    *,
    tokens_column: str = "tokens",
    tags_column: str = "ner_tags",
    text_column: str | None = None,
    label_column: str | None = None,
    scheme: str | None = None,
    strict: bool = True,
    id_column: str = "id",
) -> Iterator[Example]:
    """Stream the examples of a Hugging Face ``Dataset`` / ``IterableDataset`` one by one.

    Same layouts and options as :func:`from_hf_dataset`, in constant memory: use it
    with ``datasets.load_dataset(..., streaming=True)`` and
    :meth:`nlperr.engine.Predictor.predict_iter` for corpora larger than memory.
    Without *scheme*, the tagging scheme is read from the ``ClassLabel`` tag
    names when there are any, else detected from the first 1000 rows.

    Examples
    --------
    >>> from datasets import Dataset, Features, Sequence, ClassLabel, Value
    >>> feats = Features({"tokens": Sequence(Value("string")),
    ...                   "ner_tags": Sequence(ClassLabel(names=["O", "B-PER", "I-PER"]))})
    >>> ds = Dataset.from_dict({"tokens": [["Ada", "Lovelace"], ["hi"]],
    ...                         "ner_tags": [[1, 2], [0]]}, features=feats).to_iterable_dataset()
    >>> [(ex.text, len(ex.spans)) for ex in iter_hf_dataset(ds)]
    [('Ada Lovelace', 1), ('hi', 0)]
    """
    if type(ds).__name__ in ("DatasetDict", "IterableDatasetDict"):
        raise InputError(Errors.E018.format(path=type(ds).__name__, splits=sorted(ds.keys())))
    if text_column is not None or label_column is not None:
        # classification rows are independent: read a slice at a time
        def rows() -> Iterator[Example]:
            features = getattr(ds, "features", None)
            columns = _columns(ds)
            tc, lc = text_column or "text", label_column or "label"
            if columns is not None and tc not in columns:
                raise InputError(Errors.E010.format(where="dataset", column=tc,
                                                    available=columns))
            if columns is not None and lc not in columns:
                lc = None  # type: ignore[assignment]
            yield from _classification_rows(ds, features, tc, lc, id_column)
        return rows()
    return _iter_ner(ds, tokens_column, tags_column, scheme, strict, id_column)


def _iter_ner(ds: Any, tokens_column: str, tags_column: str, scheme: str | None, strict: bool,
              id_column: str) -> Iterator[Example]:
    features = getattr(ds, "features", None)
    columns = _columns(ds)
    if columns is not None and tokens_column not in columns:
        raise InputError(Errors.E010.format(where="dataset", column=tokens_column,
                                            available=columns))
    names = _names(features, tags_column)
    rows = _ner_rows(ds, names, tokens_column, tags_column, id_column, features)
    if scheme is not None:
        sch = normalize_scheme(scheme)
    elif names and _canonical_sequences(names):
        sch = detect_scheme(_canonical_sequences(names), where="dataset")
    else:
        head = list(itertools.islice(rows, _DETECT_ROWS))
        sch = detect_scheme((t for _, _, t, _ in head if t), where="dataset")
        rows = itertools.chain(head, rows)
    build = _NerBuilder(sch, strict)
    for i, row in enumerate(rows):
        yield build(i, *row)
    build.finish()


def _tag_names(types: Iterable[str], scheme: str, with_missing: bool) -> list[str]:
    prefixes = {"IOB1": "BI", "IOB2": "BI", "IOE1": "IE", "IOE2": "IE", "BIOES": "BIES",
                "BILOU": "BILU"}[scheme]
    names = ["O"] + [f"{p}-{t}" for t in sorted(types) for p in prefixes]
    return names + ([MISSING] if with_missing else [])


def to_hf_dataset(examples: Iterable[Example], *, scheme: str = "IOB2") -> Any:
    """Build a Hugging Face ``Dataset`` from examples.

    Tokenized examples with spans give ``id``, ``tokens`` and ``ner_tags`` (a
    ``Sequence(ClassLabel)`` in *scheme*, names ``O`` then ``B-TYPE``, ``I-TYPE``...
    per type, plus ``-`` when some tokens are missing).  Examples with a label give
    ``id``, ``text`` and ``label`` (``ClassLabel``; multi-label -> a sequence of
    ``ClassLabel``).  Both columns are written when both are present.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> ds = to_hf_dataset([Example.from_tokens(["Ada", "codes"], ["B-PER", "O"], id="1")])
    >>> ds.features["ner_tags"].feature.names
    ['O', 'B-PER', 'I-PER']
    >>> ds[0]["ner_tags"]
    [1, 0]
    """
    datasets = _datasets()
    if scheme not in SCHEMES:
        scheme = normalize_scheme(scheme)
    examples = list(examples)
    ner = any(ex.spans is not None for ex in examples)
    cls = any(ex.label is not None for ex in examples)
    data: dict[str, list[Any]] = {"id": [ex.id if ex.id is not None else str(i)
                                        for i, ex in enumerate(examples)]}
    feats: dict[str, Any] = {"id": datasets.Value("string")}
    if ner:
        types = {s.label for ex in examples for s in ex.spans or ()}
        with_missing = any(ex.missing for ex in examples)
        names = _tag_names(types, scheme, with_missing)
        index = {n: k for k, n in enumerate(names)}
        tokens_l, tags_l = [], []
        for ex in examples:
            if ex.tokens is None:
                raise InputError(Errors.E109.format(where=f"example {ex.id!r}"))
            tokens_l.append([t.text for t in ex.tokens])
            tags_l.append([index[t] for t in ex.tags(scheme)] if ex.spans is not None
                          else [index["O"]] * len(ex.tokens))
        data["tokens"], data["ner_tags"] = tokens_l, tags_l
        feats["tokens"] = datasets.Sequence(datasets.Value("string"))
        feats["ner_tags"] = datasets.Sequence(datasets.ClassLabel(names=names))
    if cls or not ner:
        data["text"] = [ex.text for ex in examples]
        feats["text"] = datasets.Value("string")
    if cls:
        multi = any(isinstance(ex.label, tuple) for ex in examples)
        labels = sorted({lab for ex in examples if ex.label is not None
                         for lab in ((ex.label,) if isinstance(ex.label, str) else ex.label)})
        index = {n: k for k, n in enumerate(labels)}
        if multi:
            data["label"] = [[index[x] for x in ((ex.label,) if isinstance(ex.label, str)
                                                  else ex.label or ())] for ex in examples]
            feats["label"] = datasets.Sequence(datasets.ClassLabel(names=labels))
        else:
            data["label"] = [index[ex.label] if ex.label is not None else -1 for ex in examples]
            feats["label"] = datasets.ClassLabel(names=labels)
    return datasets.Dataset.from_dict(data, features=datasets.Features(feats))


def read_hf(path: PathLike, *, split: str | None = None, **options: Any) -> list[Example]:
    """Read a dataset saved with ``save_to_disk`` (the ``hf`` format of :func:`nlperr.io.load`).

    A ``DatasetDict`` folder needs ``split=...``.  *options* go to
    :func:`from_hf_dataset`.
    """
    datasets = _datasets()
    p = check_file(path, what="read_hf", directory=True)
    try:
        ds = datasets.load_from_disk(str(p))
    except (NlperrError, MemoryError):
        raise
    except Exception as e:  # noqa: BLE001 - datasets/pyarrow/json on a damaged folder
        raise FormatError(Errors.E047.format(where=str(p), error=f"{type(e).__name__}: "
                                                                f"{str(e)[:120]}")) from None
    if isinstance(ds, datasets.DatasetDict):
        if split is None or split not in ds:
            raise InputError(Errors.E018.format(path=str(p), splits=sorted(ds)))
        ds = ds[split]
    return from_hf_dataset(ds, **options)


def write_hf(examples: Iterable[Example], path: PathLike, *, scheme: str = "IOB2") -> None:
    """Save examples with :func:`to_hf_dataset` and ``Dataset.save_to_disk``."""
    to_hf_dataset(examples, scheme=scheme).save_to_disk(str(path))


def looks_like_hf(path: Any) -> bool:
    return any((path / name).exists() for name in ("dataset_info.json", "state.json",
                                                   "dataset_dict.json"))
