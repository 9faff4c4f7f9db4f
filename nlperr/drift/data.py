"""Reading the reference and current sets into one columnar form.

A drift input is any of:

* a path: ``.jsonl`` / ``.ndjson`` and ``.csv`` files, and ``.tsv`` files whose
  header names a ``text`` column, are read as **logs** (below); any other corpus
  format nlperr reads (HIPE-2022 and CoNLL ``.tsv`` files included) goes through its
  reader (``format=...`` picks the format);
* a list of :class:`~nlperr.data.Example` (gold data, predictions or both) or
  of strings;
* a pandas DataFrame with a ``text`` column and the optional log columns.

**Log fields** (JSONL keys, CSV columns or DataFrame columns; all optional but
``text``):

========================  ==================================================
field                     meaning
========================  ==================================================
``text``                  the input text
``timestamp``             ISO 8601 text or Unix seconds (also ``time``, ``ts``,
                          ``date``, ``datetime``, ``created_at``)
``prediction``            the model's label (also ``pred``, ``pred_label``,
                          ``predicted_label``); default: ``label``
``label``                 a label (gold, or the prediction in ``nlperr
                          predict`` output); a list for multi-label
``confidence``            the model's confidence in [0, 1] (also ``score``);
                          default: the largest of ``probs``, else the mean
                          score of the spans
``probs``                 ``{label: probability}`` (CSV: ``prob_<label>``
                          columns)
``spans`` / ``entities``  entities, as :func:`nlperr.read_jsonl` reads them
``id``                    an identifier (default ``file:line``)
========================  ==================================================

Entities are whatever the input holds: predicted spans in a production log or
in ``nlperr predict`` output, gold spans in an annotated corpus -- compare like
with like.
"""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Example
from ..errors import Errors, FormatError, InputError

__all__ = ["DriftData", "as_drift_data", "iter_records", "TIMESTAMP_FIELDS", "PREDICTION_FIELDS",
           "CONFIDENCE_FIELDS"]

TIMESTAMP_FIELDS = ("timestamp", "time", "ts", "date", "datetime", "created_at")
PREDICTION_FIELDS = ("prediction", "pred", "pred_label", "predicted_label")
CONFIDENCE_FIELDS = ("confidence", "score")
_LOG_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv"}


@dataclass
class DriftData:
    """One side of a drift comparison, column by column (one entry per text).

    Attributes
    ----------
    texts : list of str
    ids : list of str
    timestamps : pandas.DatetimeIndex (UTC) or None
        None when no text has a timestamp; NaT where one text lacks it.
    labels : list of str or None
        The model's label per text (multi-label: labels joined with ``"|"``),
        None where absent.
    confidence : ndarray of float, shape (n,)
        NaN where absent.
    entities : list of list of (str, str) or None
        ``(surface string, label)`` per entity; None for a text without span
        annotation.
    """

    texts: list[str]
    ids: list[str]
    timestamps: Any = None
    labels: list[str | None] | None = None
    confidence: np.ndarray | None = None
    entities: list[list[tuple[str, str]] | None] | None = None

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def has_labels(self) -> bool:
        return self.labels is not None and any(x is not None for x in self.labels)

    @property
    def has_confidence(self) -> bool:
        return self.confidence is not None and bool(np.isfinite(self.confidence).any())

    @property
    def has_entities(self) -> bool:
        return self.entities is not None and any(e is not None for e in self.entities)

    def take(self, index: Sequence[int] | np.ndarray) -> "DriftData":
        """The texts at *index*, in that order."""
        idx = np.asarray(index, dtype=np.int64)
        pick = lambda xs: None if xs is None else [xs[i] for i in idx]  # noqa: E731
        return DriftData(texts=pick(self.texts), ids=pick(self.ids),
                         timestamps=None if self.timestamps is None else self.timestamps[idx],
                         labels=pick(self.labels),
                         confidence=None if self.confidence is None else self.confidence[idx],
                         entities=pick(self.entities))


# --------------------------------------------------------------------------- reading

def as_drift_data(source: Any, *, format: str | None = None, side: str = "input",
                  **options: Any) -> DriftData:
    """*source* (path, examples, strings, DataFrame or :class:`DriftData`) as
    :class:`DriftData`.  *options* go to :func:`nlperr.load` for corpus formats."""
    if isinstance(source, DriftData):
        return source
    return _from_records(list(iter_records(source, format=format, side=side, **options)),
                         side=side)


def iter_records(source: Any, *, format: str | None = None, side: str = "input",
                 **options: Any) -> Iterator[dict[str, Any]]:
    """The log records of *source* (path, examples, strings, DataFrame or DriftData), one dict
    per text, as they are read: files are streamed (logs row by row, CoNLL / HIPE /
    JSONL corpora with their ``iter_*`` readers), so a caller that keeps a sample
    holds only the sample.  Each record carries ``"_where"`` (file:line or the row)."""
    if isinstance(source, DriftData):
        return _drift_data_records(source)
    if isinstance(source, (str, os.PathLike)):
        return _path_records(Path(source), format=format, side=side, **options)
    if type(source).__module__.startswith("pandas") and hasattr(source, "columns"):
        return _frame_records(source, side=side)
    if isinstance(source, (list, tuple)):
        if all(isinstance(x, str) for x in source):
            return iter([{"text": t, "id": f"{side}:{k}", "_where": f"{side} record {k}"}
                         for k, t in enumerate(source)])
        if all(isinstance(x, Example) for x in source):
            return _example_records(source, side=side)
        bad = next(x for x in source if not isinstance(x, (str, Example)))
        raise InputError(Errors.E1000.format(what=side, expected="a list of Example or str",
                                             got=f"a list holding {type(bad).__name__}"))
    raise InputError(Errors.E1000.format(what=side, expected="a path, list or DataFrame",
                                         got=type(source).__name__))


def _path_records(path: Path, *, format: str | None, side: str,
                  **options: Any) -> Iterator[dict[str, Any]]:
    from .. import io

    fmt = format or _log_format(path)
    if fmt == "csv" and not options:
        return _csv_log_records(path, side=side,
                                sep="\t" if path.suffix.lower() == ".tsv" else ",")
    from ..io._registry import _get_for

    spec = _get_for(fmt if fmt is not None else io.guess_format(path), path)
    if spec.streamer is not None:  # the reader's streaming twin
        return _example_records(spec.streamer(path, **options), side=side)
    return _example_records(io.load(path, format=spec.name, **options), side=side)


def _drift_data_records(d: DriftData) -> Iterator[dict[str, Any]]:
    """The records that give *d* back (a DriftData sampled or split like any input)."""
    for k in range(len(d)):
        rec: dict[str, Any] = {"text": d.texts[k], "id": d.ids[k], "_where": d.ids[k]}
        if d.timestamps is not None and not _missing_time(d.timestamps[k]):
            rec["timestamp"] = d.timestamps[k]
        if d.labels is not None and d.labels[k] is not None:
            rec["prediction"] = d.labels[k]
        if d.confidence is not None and not math.isnan(d.confidence[k]):
            rec["confidence"] = float(d.confidence[k])
        if d.entities is not None and d.entities[k] is not None:
            rec["_entities"] = d.entities[k]
        yield rec


def _missing_time(t: Any) -> bool:
    import pandas as pd

    return t is pd.NaT or bool(pd.isna(t))


def _log_format(path: Path) -> str | None:
    """``"jsonl"`` / ``"csv"`` for a log, by extension; None for a corpus file (format
    guessed by :func:`nlperr.io.guess_format`).  A ``.tsv`` file is a log only when its
    header names a ``text`` column: HIPE-2022 and CoNLL files are ``.tsv`` too."""
    fmt = _LOG_EXTENSIONS.get(path.suffix.lower())
    if fmt != "csv" or path.suffix.lower() != ".tsv":
        return fmt
    from ..io._sniff import sniff_format
    try:
        if sniff_format(path) == ["hipe"]:
            return None
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            header = next(csv.reader(fh, delimiter="\t"), [])
    except OSError:
        return fmt  # the log reader says what is wrong with the file
    return fmt if "text" in header else None


def _csv_log_records(path: Path, *, side: str, sep: str) -> Iterator[dict[str, Any]]:
    from ..io._common import check_file

    p = check_file(path, what=f"drift {side}")
    fh = open(p, encoding="utf-8", newline="")
    reader = csv.DictReader(fh, delimiter=sep)
    try:
        fields = reader.fieldnames
    except BaseException:
        fh.close()
        raise
    if fields is None or "text" not in fields:
        fh.close()
        raise FormatError(Errors.E010.format(where=f"{p.name}:1", column="text",
                                             available=list(fields or [])))

    def rows() -> Iterator[dict[str, Any]]:
        with fh:
            seen = False
            for row in reader:
                where = f"{p.name}:{reader.line_num}"
                rec = {k: v for k, v in row.items() if v not in (None, "")}
                rec.setdefault("text", "")
                rec.setdefault("id", where)
                rec["_where"] = where
                seen = True
                yield rec
            if not seen:
                raise InputError(Errors.E003.format(where=p.name))

    return rows()


def _frame_records(df: Any, *, side: str) -> Iterator[dict[str, Any]]:
    if "text" not in df.columns:
        raise FormatError(Errors.E010.format(where=f"{side} DataFrame", column="text",
                                             available=[str(c) for c in df.columns]))

    def rows() -> Iterator[dict[str, Any]]:
        for idx, row in zip(df.index, df.to_dict("records")):
            rec = {k: v for k, v in row.items() if not _missing(v)}
            rec.setdefault("id", str(idx))
            rec["_where"] = f"{side} DataFrame row {idx!r}"
            yield rec

    return rows()


def _example_records(examples: Iterable[Example], *, side: str) -> Iterator[dict[str, Any]]:
    for k, ex in enumerate(examples):
        rec: dict[str, Any] = {}
        fields = ex.meta.get("jsonl_fields") if isinstance(ex.meta, Mapping) else None
        for src in (ex.meta if isinstance(ex.meta, Mapping) else {}, fields or {}):
            for key in TIMESTAMP_FIELDS + PREDICTION_FIELDS + CONFIDENCE_FIELDS:
                if key in src and not _missing(src[key]):
                    rec.setdefault(key, src[key])
        rec.update({"text": ex.text, "id": ex.id if ex.id is not None else f"{side}:{k}",
                    "_where": ex.id or f"{side} example {k}"})
        if ex.label is not None:
            rec["label"] = list(ex.label) if isinstance(ex.label, tuple) else ex.label
        if ex.probs is not None:
            rec["probs"] = ex.probs
        if ex.spans is not None:
            rec["_entities"] = [(_surface(ex.text[s.start:s.end]), s.label) for s in ex.spans]
            scores = [s.score for s in ex.spans if s.score is not None]
            if scores:
                rec["_span_confidence"] = float(np.mean(scores))
        yield rec


def _surface(s: str) -> str:
    return " ".join(s.split()).lower()


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _first(rec: Mapping[str, Any], keys: Sequence[str]) -> tuple[str | None, Any]:
    for k in keys:
        if k in rec and not _missing(rec[k]):
            return k, rec[k]
    return None, None


def _label_text(value: Any, where: str, field: str) -> str:
    if isinstance(value, (list, tuple)):
        return "|".join(sorted(str(v) for v in value))
    if isinstance(value, (str, int, bool)) or (isinstance(value, float) and value.is_integer()):
        return str(int(value)) if isinstance(value, float) else str(value)
    raise InputError(Errors.E1008.format(where=where, field=field, value=value,
                                         expected="a label (string) or a list of labels"))


def _from_records(records: list[dict[str, Any]], *, side: str) -> DriftData:
    import pandas as pd

    texts, ids, stamps, labels, conf, entities = [], [], [], [], [], []
    any_stamp = any_label = any_ent = False
    for k, rec in enumerate(records):
        where = rec.get("_where", f"{side} record {k}")
        text = rec.get("text")
        if not isinstance(text, str):
            raise InputError(Errors.E1008.format(where=where, field="text", value=text,
                                                 expected="a string"))
        texts.append(text)
        ids.append(str(rec.get("id", f"{side}:{k}")))
        key, ts = _first(rec, TIMESTAMP_FIELDS)
        stamps.append(_timestamp(ts, where, key) if key else pd.NaT)
        any_stamp |= key is not None
        key, lab = _first(rec, PREDICTION_FIELDS)
        if key is None and not _missing(rec.get("label")):
            key, lab = "label", rec["label"]
        labels.append(_label_text(lab, where, key) if key else None)
        any_label |= key is not None
        key, c = _first(rec, CONFIDENCE_FIELDS)
        if key is not None:
            try:
                c = float(c)
            except (TypeError, ValueError, OverflowError):
                raise InputError(Errors.E1008.format(where=where, field=key, value=c,
                                                     expected="a number in [0, 1]")) from None
        elif isinstance(rec.get("probs"), Mapping) and rec["probs"]:
            try:
                c = float(max(float(v) for v in rec["probs"].values()))
            except (TypeError, ValueError, OverflowError):
                raise InputError(Errors.E1008.format(
                    where=where, field="probs", value=rec["probs"],
                    expected="an object {label: probability}")) from None
        elif any(k.startswith("prob_") for k in rec):
            try:
                c = max(float(v) for k, v in rec.items() if k.startswith("prob_"))
            except (TypeError, ValueError, OverflowError):
                raise InputError(Errors.E1008.format(
                    where=where, field="prob_*", value=[rec[k] for k in rec
                                                        if k.startswith("prob_")],
                    expected="numbers in [0, 1]")) from None
        else:
            c = rec.get("_span_confidence", float("nan"))
        conf.append(c)
        ents = rec.get("_entities")
        if ents is None and isinstance(rec.get("spans"), list):
            ents = _entities_from_raw(rec["spans"], text, where)
        entities.append(ents)
        any_ent |= ents is not None
    timestamps = None
    if any_stamp:
        timestamps = pd.DatetimeIndex(stamps)
    return DriftData(texts=texts, ids=ids, timestamps=timestamps,
                     labels=labels if any_label else None,
                     confidence=np.asarray(conf, dtype=np.float64),
                     entities=entities if any_ent else None)


def _entities_from_raw(spans: list[Any], text: str, where: str) -> list[tuple[str, str]]:
    out = []
    for s in spans:
        try:
            if isinstance(s, Mapping) and {"start", "end", "label"} <= set(s):
                a, b = int(s["start"]), int(s["end"])
                label = s["label"]
            elif isinstance(s, (list, tuple)) and len(s) == 3:
                a, b, label = int(s[0]), int(s[1]), s[2]
            else:
                raise TypeError
        except (TypeError, ValueError, OverflowError):
            raise InputError(Errors.E1008.format(where=where, field="spans", value=s,
                                                 expected="{'start', 'end', 'label'} objects "
                                                          "or [start, end, label] triples "
                                                          "with integer offsets")) from None
        out.append((_surface(text[a:b]), str(label)))
    return out


def _timestamp(value: Any, where: str, field: str | None) -> Any:
    import pandas as pd

    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return pd.Timestamp(float(value), unit="s", tz="UTC")
        if isinstance(value, str) and value.strip().lstrip("-").replace(".", "", 1).isdigit():
            return pd.Timestamp(float(value), unit="s", tz="UTC")
        ts = pd.Timestamp(value)
    except (TypeError, ValueError, OverflowError) as e:
        raise InputError(Errors.E1004.format(where=f"{where} ({field})", value=value,
                                             error=str(e))) from None
    if ts is pd.NaT:
        raise InputError(Errors.E1004.format(where=f"{where} ({field})", value=value,
                                             error="not a time"))
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
