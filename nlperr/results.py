"""One result protocol for every analysis that ends in tables.

Every nlperr analysis (NER / classification reports, suite results, OCR
statistics, attention, training, data-quality and drift checks) returns a
:class:`Result`:

``summary``
    a dict of plain JSON types (``str``, ``int``, ``float``, ``bool``, ``None``,
    lists and dicts of those), with keys documented by each analysis;
``tables``
    name -> :class:`pandas.DataFrame` with documented columns;
``findings``
    a list of :class:`Finding`: plain-language statements, each with the metric,
    its value, the threshold it was judged against and example ids;
``figures``
    name -> a function ``fig(ax=None)`` that draws from the result's numbers
    (matplotlib; ``pip install 'nlperr[report]'``) and returns the figure.

and the same methods everywhere: :meth:`Result.to_dict`, :meth:`Result.to_json`
(strict JSON through :func:`to_json_text`, the one encoder of the library),
:meth:`Result.to_markdown`, :meth:`Result.to_html`, :meth:`Result.save` and
:func:`load` (``Result.load``) to read a saved result back.  Computing never
renders; renderers (:mod:`nlperr.report`) know only this protocol.

A subclass sets ``kind`` (the name written to ``result.json`` and used by
:func:`load` to pick the class back), ``title`` and optionally
``figure_specs``: figure name -> ``"module:function"``, each function taking
``(result, ax=None)``.  The protocol fields are keyword-only, so a dataclass
subclass may add positional fields of its own.  Renderers ask four optional
hooks what to show (never new numbers): :meth:`Result.headline`,
:meth:`Result.table_notes`, :meth:`Result.report_tables` and
:meth:`Result.table_view`.

:func:`load` gives back exactly what :meth:`Result.save` wrote, for every
table: ``result.json`` holds, per table, its columns, dtypes and a type tag
per column -- ``text`` (strings, with the positions of missing values, so
``""`` and missing stay apart), ``json`` (mixed Python values, e.g. a slice
``value`` column holding ints and strings: each cell is written as its JSON
text), ``category`` (with its categories) or the dtype -- plus index and
column-axis names.  Parquet (``formats=("parquet",)``, needs pyarrow) goes
through the same encoding.

>>> import pandas as pd
>>> r = Result(summary={"f1": float("nan"), "n": 3},
...            tables={"scores": pd.DataFrame({"label": ["PER"], "f1": [0.5]})},
...            findings=[Finding("PER is weak", metric="f1", value=0.5, threshold=0.8)])
>>> r.to_json(indent=None)
'{"f1": null, "n": 3}'
>>> r.findings[0].to_dict()["threshold"]
0.8
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import functools
import importlib
import json
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .errors import Errors, FormatError, InputError

__all__ = ["Finding", "Result", "jsonable", "to_json_text", "load", "register_result",
           "result_class", "SEVERITIES", "SAVE_FORMATS"]

#: Allowed :attr:`Finding.severity` values, mildest first.
SEVERITIES = ("info", "warning", "critical")
#: Formats :meth:`Result.save` can write.
SAVE_FORMATS = ("json", "csv", "md", "html", "parquet")
_MANIFEST = "result.json"
_PROTOCOL_VERSION = 1


# --- one strict JSON encoder ------------------------------------------------------------

def jsonable(value: Any) -> Any:
    """*value* as plain JSON types, recursively.

    numpy scalars and arrays become Python numbers and lists, NaN and +/-inf
    become ``None``, tuples and sets lists (sets sorted), paths and
    dates strings, dataclasses and pandas objects dicts / lists of records.
    Mapping keys become strings.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [jsonable(v) for v in sorted(value, key=repr)]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return jsonable(value.to_dict())
        return jsonable(dataclasses.asdict(value))
    mod = type(value).__module__
    if mod.startswith("numpy"):
        if hasattr(value, "tolist"):
            return jsonable(value.tolist())
        return jsonable(value.item())
    if mod.startswith("pandas"):
        if hasattr(value, "to_dict") and hasattr(value, "columns"):
            return jsonable(value.to_dict("records"))
        if hasattr(value, "tolist"):
            return jsonable(value.tolist())
        if hasattr(value, "isoformat"):
            return None if str(value) == "NaT" else value.isoformat()
        if str(value) in ("NaN", "<NA>", "NaT"):
            return None
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable: {value!r:.80}")


def to_json_text(value: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text of *value* (through :func:`jsonable`; never ``NaN``).

    >>> to_json_text({"a": float("inf"), "b": (1, 2)}, indent=None)
    '{"a": null, "b": [1, 2]}'
    """
    return json.dumps(jsonable(value), indent=indent, ensure_ascii=False, allow_nan=False)


# --- findings -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """A plain-language statement about a result.

    Attributes
    ----------
    message : str
        The statement, readable on its own ("34 test sentences are exact copies
        of train sentences").
    metric : str or None
        The metric it is about (a summary key or a table column).
    value, threshold : float or None
        The measured value and the threshold it was judged against.
    severity : str
        One of :data:`SEVERITIES`.
    examples : tuple of str
        Ids of examples that show it.
    """

    message: str
    metric: str | None = None
    value: float | None = None
    threshold: float | None = None
    severity: str = "info"
    examples: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise InputError(Errors.E207.format(value=self.severity, option="severity",
                                                allowed=list(SEVERITIES)))
        if not isinstance(self.examples, tuple):
            object.__setattr__(self, "examples", tuple(str(e) for e in self.examples))

    def to_dict(self) -> dict[str, Any]:
        return {"message": self.message, "metric": self.metric, "value": jsonable(self.value),
                "threshold": jsonable(self.threshold), "severity": self.severity,
                "examples": list(self.examples)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | str) -> "Finding":
        if isinstance(d, str):
            return cls(d)
        return cls(message=str(d["message"]), metric=d.get("metric"), value=d.get("value"),
                   threshold=d.get("threshold"), severity=d.get("severity", "info"),
                   examples=tuple(str(e) for e in d.get("examples") or ()))

    def __str__(self) -> str:
        return self.message


def as_findings(items: Iterable[Finding | str | Mapping[str, Any]] | None) -> list[Finding]:
    """Findings from :class:`Finding` objects, plain strings or dicts."""
    out = []
    for it in items or ():
        out.append(it if isinstance(it, Finding) else Finding.from_dict(it))
    return out


# --- the registry of result kinds (filled where each kind is defined) ---------------------

_KINDS: dict[str, str] = {
    # kind -> "module:Class"; the built-ins are listed here, in one place, so that
    # load() knows every kind without importing anything first.
    "result": "nlperr.results:Result",
    # analysis / suites / ocr (report):
    "analysis": "nlperr.analysis.report:Report",
    "suite": "nlperr.suites.runner:SuiteResult",
    "suite_comparison": "nlperr.suites.compare:SuiteComparison",
    "ocr_stats": "nlperr.ocr.stats:StatsResult",
    "ocr_compare": "nlperr.ocr.compare:Comparison",

    # attention / explain:
    "attention_heads": "nlperr.attention.heads:HeadSummary",
    "word_attention": "nlperr.attention.words:WordAttention",
    "attention_contrast": "nlperr.attention.contrast:AttentionContrast",
    "attention_report": "nlperr.attention.report:AttentionReport",
    "attributions": "nlperr.explain.occlusion:Attributions",

    # training:
    "training_checks": "nlperr.training.checks:TrainingCheckResult",
    "training_curves": "nlperr.training.curves:CurveResult",
    "training_log": "nlperr.training.callback:TrainingLogResult",

    # quality:
    "data_quality": "nlperr.quality.check:DataQualityResult",
    "label_issues": "nlperr.quality.check:LabelIssuesResult",

    # drift:
    "drift": "nlperr.drift.detect:DriftResult",

}


def register_result(kind: str, target: str | type) -> None:
    """Let :func:`load` read results of *kind* back as *target* (a class or
    ``"module:Class"``).  Built-in kinds need no registration."""
    if not isinstance(target, str):
        target = f"{target.__module__}:{target.__qualname__}"
    _KINDS[kind] = target


def result_class(kind: str) -> type["Result"]:
    """The class registered for *kind* (imported on first use)."""
    target = _KINDS.get(kind)
    if target is None:
        raise InputError(Errors.E207.format(value=kind, option="result kind",
                                            allowed=sorted(_KINDS)))
    module, _, name = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _resolve(target: str) -> Callable[..., Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


# --- the result ---------------------------------------------------------------------------

@dataclass
class Result:
    """A computed analysis: ``summary``, ``tables``, ``findings`` and ``figures``.

    Never prints and never renders while computing; every rendering goes through
    the methods below.
    """

    kind: ClassVar[str] = "result"
    title: ClassVar[str] = "nlperr result"
    #: figure name -> "module:function"; the function takes (result, ax=None).
    figure_specs: ClassVar[dict[str, str]] = {}

    # keyword-only, so that a subclass may add positional fields of its own
    summary: dict[str, Any] = field(default_factory=dict, kw_only=True, repr=False)
    tables: dict[str, Any] = field(default_factory=dict, kw_only=True, repr=False)
    findings: list[Finding] = field(default_factory=list, kw_only=True, repr=False)

    def __post_init__(self) -> None:
        self.findings = as_findings(self.findings)

    # -- what renderers show (overridable; renderers never compute) --------------------
    def headline(self) -> dict[str, Any]:
        """The few numbers a reader wants first: label -> value (plain JSON types).

        Default: the summary's top-level numbers and short strings (at most 12)."""
        out: dict[str, Any] = {}
        for k, v in self.summary.items():
            if isinstance(v, bool) or v is None:
                continue
            if isinstance(v, float) and not math.isfinite(v):
                continue
            if isinstance(v, (int, float)) or (isinstance(v, str) and len(v) <= 40):
                out[str(k)] = jsonable(v)
            if len(out) >= 12:
                break
        return out

    def table_notes(self) -> dict[str, str]:
        """Table name -> a one-paragraph legend (columns, definitions); default none."""
        return {}

    def report_tables(self) -> list[str]:
        """Tables shown in reports, in this order (the others are only in the CSV
        files); default: every table."""
        return list(self.tables)

    def table_view(self, name: str) -> Any:
        """The rows and columns of table *name* a report shows (a projection of the
        table, never new numbers); default: the whole table."""
        return self.tables[name]

    # -- figures ---------------------------------------------------------------------
    @property
    def figures(self) -> dict[str, Callable[..., Any]]:
        """name -> ``fig(ax=None)``: draws from this result's numbers and returns the
        matplotlib figure.  Only figures whose data is present are listed."""
        out = {}
        for name, target in self.figure_specs.items():
            fn = _resolve(target) if isinstance(target, str) else target
            available = getattr(fn, "available", None)
            if available is not None and not available(self):
                continue
            out[name] = functools.partial(fn, self)
        return out

    # -- data --------------------------------------------------------------------------
    def to_dict(self, *, tables: bool = False) -> dict[str, Any]:
        """``{"kind", "title", "summary", "findings"}`` as plain JSON types; with
        ``tables=True`` also ``"tables"``: name -> list of row dicts."""
        d: dict[str, Any] = {"kind": self.kind, "title": self.title,
                             "summary": jsonable(self.summary),
                             "findings": [f.to_dict() for f in self.findings]}
        if tables:
            d["tables"] = {name: jsonable(_frame_records(df)) for name, df in self.tables.items()}
        return d

    def to_json(self, *, indent: int | None = 2) -> str:
        """The summary as strict JSON text (what ``summary.json`` holds)."""
        return to_json_text(self.summary, indent=indent)

    # -- renderings ----------------------------------------------------------------------
    def to_markdown(self, **options: Any) -> str:
        """Markdown for a pull-request comment (see :mod:`nlperr.report.markdown`)."""
        from .report.markdown import render_markdown

        return render_markdown([self], **options)

    def to_html(self, **options: Any) -> str:
        """One self-contained HTML page (see :mod:`nlperr.report.html`)."""
        from .report.html import render_html

        return render_html([self], **options)

    # -- files ---------------------------------------------------------------------------
    def save(self, directory: str | os.PathLike, *,
             formats: Sequence[str] = ("json", "csv", "md")) -> list[Path]:
        """Write the result into *directory* and return the written paths.

        Always writes ``summary.json`` (the summary, strict JSON) and
        ``result.json`` (kind, findings, table schemas: what :func:`load` needs);
        then per format: ``csv`` one ``<table>.csv`` per table, ``parquet`` one
        ``<table>.parquet`` (needs pyarrow), ``md`` ``summary.md``, ``html``
        ``report.html``.  Files are written atomically.
        """
        bad = [f for f in formats if f not in SAVE_FORMATS]
        if bad:
            raise InputError(Errors.E207.format(value=bad[0], option="formats",
                                                allowed=list(SAVE_FORMATS)))
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        written = [atomic_write_text(d / "summary.json", self.to_json() + "\n")]
        encoded = {name: _encode_frame(df) for name, df in self.tables.items()}
        manifest = {"protocol": _PROTOCOL_VERSION, "kind": self.kind, "title": self.title,
                    "findings": [f.to_dict() for f in self.findings],
                    "tables": {name: schema for name, (_, schema) in encoded.items()},
                    "extra": jsonable(self._extra_state())}
        written.append(atomic_write_text(d / _MANIFEST, to_json_text(manifest) + "\n"))
        if "parquet" in formats:
            _require_pyarrow()
        for name, (disk, _) in encoded.items():
            if "csv" in formats:
                written.append(atomic_write_text(d / f"{name}.csv", _csv_text(disk)))
            if "parquet" in formats:
                written.append(_write_disk_parquet(disk, d / f"{name}.parquet"))
        if "md" in formats:
            written.append(atomic_write_text(d / "summary.md", self.to_markdown()))
        if "html" in formats:
            written.append(atomic_write_text(d / "report.html", self.to_html()))
        return written

    def _extra_state(self) -> dict[str, Any]:
        """Subclass hook: plain data beyond summary/tables/findings that ``load``
        must restore (passed back to :meth:`_from_parts`)."""
        return {}

    @classmethod
    def _from_parts(cls, summary: dict[str, Any], tables: dict[str, Any],
                    findings: list[Finding], extra: dict[str, Any]) -> "Result":
        """Subclass hook: build the result back from what :meth:`save` wrote."""
        return cls(summary=summary, tables=tables, findings=findings)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> "Result":
        """Read a result saved by :meth:`save` (any kind; see :func:`load`)."""
        return load(directory)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(kind={self.kind!r}, summary keys={list(self.summary)[:8]}, "
                f"tables={list(self.tables)}, findings={len(self.findings)})")


def load(directory: str | os.PathLike) -> Result:
    """Read back a result folder written by :meth:`Result.save`.

    The class is chosen from the ``kind`` in ``result.json``; tables are read
    from Parquet when present, else from CSV with the saved column types.
    """
    d = Path(directory)
    man_path = d / _MANIFEST
    if not man_path.is_file():
        raise InputError(Errors.E801.format(path=str(d)))
    try:
        manifest = json.loads(man_path.read_text(encoding="utf-8"))
        summary = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(Errors.E802.format(path=str(d), reason=str(e))) from e
    if not isinstance(manifest, dict) or "kind" not in manifest:
        raise FormatError(Errors.E802.format(path=str(d), reason="result.json has no 'kind'"))
    klass = result_class(str(manifest["kind"]))
    tables = {}
    for name, schema in (manifest.get("tables") or {}).items():
        tables[name] = _read_frame(d, name, schema)
    findings = as_findings(manifest.get("findings"))
    return klass._from_parts(summary, tables, findings, manifest.get("extra") or {})


# --- tables on disk ---------------------------------------------------------------------

def atomic_write_text(path: Path, text: str) -> Path:
    """Write *text* to *path* through a temporary file in the same folder, then rename
    (readers never see a half-written file).  Respects the umask."""
    path = Path(path)
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to *path*; move it onto *path* (with the mode
    ``0666 & ~umask``) when the block succeeds, delete it when the block raises.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done\\n")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done\\n', ['out.txt'])
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _apply_umask(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _apply_umask(path: str | os.PathLike) -> None:
    """Give *path* the mode ``0666 & ~umask`` (what ``open(path, "w")`` would give;
    :func:`tempfile.mkstemp` creates ``0600``)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


# Column tags written to result.json (per table: ``"tags": {column: tag}``) so that
# :func:`load` gives back exactly the values :meth:`Result.save` wrote:
#   "text"  every value is a string, or missing at the positions in ``"nulls"``
#           (an empty cell is an empty string);
#   "json"  mixed Python values (ints and strings, lists, ...): each cell holds the
#           value's JSON text (``null`` for a missing value);
#   anything else: the column's dtype (numbers, booleans, nullable dtypes).
_TEXT_DTYPES = ("object", "str", "string")


def _frame_schema(df: Any) -> dict[str, Any]:
    return _encode_frame(df)[1]


def _encode_frame(df: Any) -> tuple[Any, dict[str, Any]]:
    """The frame as written to disk (index levels as leading columns, mixed columns as
    JSON text) and the schema that :func:`_decode_frame` needs to undo it."""
    import pandas as pd

    index_names = list(df.index.names) if _has_index(df) else []
    cols = df.reset_index() if index_names else df
    out = {}
    tags: dict[str, str] = {}
    nulls: dict[str, list[int]] = {}
    cats: dict[str, dict[str, Any]] = {}
    names = [str(c) for c in cols.columns]
    for name, (_, col) in zip(names, cols.items()):
        dtype = str(col.dtype)
        if dtype in _TEXT_DTYPES:
            missing = col.isna().to_numpy()
            values = col[~missing]
            if not len(values) or pd.api.types.infer_dtype(values, skipna=True) == "string":
                tags[name] = "text"
                if missing.any():
                    nulls[name] = [int(i) for i in missing.nonzero()[0]]
                out[name] = col.where(~missing, "").astype(object)
            else:
                tags[name] = "json"
                out[name] = pd.Series([to_json_text(None if _isna(v) else v, indent=None)
                                       for v in col], index=col.index, dtype=object)
        elif dtype == "category":
            tags[name] = "category"
            cats[name] = {"values": jsonable(list(col.cat.categories)),
                          "ordered": bool(col.cat.ordered)}
            out[name] = col.astype(object).where(col.notna(), None)
        else:
            tags[name] = dtype
            out[name] = col
    disk = pd.DataFrame(out, index=cols.index)
    disk.columns = names
    schema = {"index": [None if n is None else str(n) for n in index_names],
              "columns_name": None if df.columns.name is None else str(df.columns.name),
              "columns": names, "dtypes": [str(t) for t in cols.dtypes], "tags": tags,
              "nulls": nulls, "categories": cats, "rows": int(len(df))}
    return disk, schema


def _isna(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    mod = type(v).__module__
    if mod.startswith(("pandas", "numpy")):
        try:
            return bool(v != v) or str(v) in ("<NA>", "NaT")
        except (TypeError, ValueError):
            return False
    return False


def _decode_frame(disk: Any, schema: Mapping[str, Any], *, from_csv: bool) -> Any:
    import pandas as pd

    columns = list(schema.get("columns") or [])
    tags = dict(schema.get("tags") or {})
    dtypes = dict(zip(columns, schema.get("dtypes") or []))
    nulls = schema.get("nulls") or {}
    out = {}
    for c in columns:
        tag = tags.get(c) or dtypes.get(c) or "text"
        raw = disk[c] if c in disk else pd.Series([], dtype=object)
        if tag == "text":
            ser = pd.Series(raw.to_numpy(dtype=object, na_value=""), dtype=object)
            if nulls.get(c):
                ser.iloc[list(nulls[c])] = None
            dtype = dtypes.get(c, "object")
            out[c] = ser.astype(dtype) if dtype != "object" else ser
        elif tag == "category":
            spec = (schema.get("categories") or {}).get(c) or {}
            cats = list(spec.get("values") or [])
            vals = [None if _isna(v) or (from_csv and v == "" and "" not in cats) else v
                    for v in raw]
            if from_csv and cats and not all(isinstance(x, str) for x in cats):
                lookup = {str(x): x for x in cats}
                vals = [None if v is None else lookup.get(v, v) for v in vals]
            out[c] = pd.Series(pd.Categorical(vals, categories=cats,
                                              ordered=bool(spec.get("ordered"))))
        elif tag == "json":
            out[c] = pd.Series([json.loads(v) if isinstance(v, str) and v else None
                                for v in raw], dtype=object)
        else:
            out[c] = _as_dtype(raw, tag, from_csv=from_csv)
    df = pd.DataFrame(out, columns=columns)
    index = list(schema.get("index") or [])
    if index:
        df = df.set_index(list(df.columns[:len(index)]))
        df.index.names = index
    if schema.get("columns_name") is not None:
        df.columns.name = schema["columns_name"]
    return df


def _as_dtype(raw: Any, dtype: str, *, from_csv: bool) -> Any:
    import pandas as pd

    if not from_csv:
        try:
            return raw.astype(dtype)
        except (TypeError, ValueError):
            return raw
    s = raw.astype(object)
    if dtype in ("bool", "boolean"):
        vals = s.map(lambda v: {"True": True, "False": False}.get(v, None) if isinstance(v, str)
                     else v)
        return vals.astype(dtype)
    if dtype.startswith(("int", "uint", "float", "Int", "UInt", "Float")):
        num = pd.to_numeric(s.where(s != "", None), errors="coerce")
        return num.astype(dtype)
    if dtype.startswith("datetime"):
        return pd.to_datetime(s.where(s != "", None))
    try:
        return s.astype(dtype)
    except (TypeError, ValueError):
        return s


def _has_index(df: Any) -> bool:
    import pandas as pd

    idx = df.index
    return not (isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1
                and idx.names == [None])


def _frame_records(df: Any) -> list[dict[str, Any]]:
    cols = df.reset_index() if _has_index(df) else df
    return cols.to_dict("records")


def _csv_text(disk: Any) -> str:
    """CSV text of an encoded frame.  Line ends are ``\n``, or ``\r\n`` when a cell
    holds a carriage return: the csv writer quotes only cells holding a character of
    the line terminator, and an unquoted ``\r`` would read back as a line break."""
    has_cr = any(_holds_cr(disk[c]) for c in disk.columns
                 if str(disk[c].dtype) in _TEXT_DTYPES)
    return disk.to_csv(index=False, lineterminator="\r\n" if has_cr else "\n")


def _holds_cr(col: Any) -> bool:
    """Whether a text column holds a carriage return (one search over its joined
    strings; a column of other objects is converted to strings first)."""
    values = col.tolist()
    try:
        return "\r" in "\n".join(values)
    except TypeError:  # not all strings (missing values, numbers in an object column)
        return bool(col.astype(str).str.contains("\r", regex=False).any())


def _require_pyarrow() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as e:
        from .errors import MissingDependencyError
        raise MissingDependencyError(Errors.E203.format(what="Parquet tables (formats="
                                                        "('parquet',))", package="pyarrow",
                                                        extra="all")) from e


def _write_disk_parquet(disk: Any, path: Path) -> Path:
    with atomic_output(path) as tmp:
        disk.to_parquet(tmp, index=False)
    return path


def _read_frame(d: Path, name: str, schema: Mapping[str, Any]) -> Any:
    import pandas as pd

    pq = d / f"{name}.parquet"
    csv = d / f"{name}.csv"
    if pq.is_file():
        try:
            disk = pd.read_parquet(pq)
        except ImportError as e:
            raise FormatError(Errors.E802.format(path=str(d), reason=f"{pq.name} needs pyarrow "
                                                 f"({e}); pip install 'nlperr[all]'")) from e
        return _decode_frame(disk, schema, from_csv=False)
    if csv.is_file():
        if schema.get("rows", 1) == 0:
            disk = pd.DataFrame({c: [] for c in schema.get("columns") or []})
        else:
            disk = pd.read_csv(csv, dtype=str, keep_default_na=False, na_filter=False)
        return _decode_frame(disk, schema, from_csv=True)
    raise FormatError(Errors.E802.format(path=str(d), reason=f"table {name!r} has no "
                                         f"{name}.csv or {name}.parquet file"))
