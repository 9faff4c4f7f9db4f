"""Value formatting shared by the Markdown and HTML renderers (no computing)."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["fmt_value", "case_kind", "label_of", "show_blank", "head_rows"]

_BLANKS = str.maketrans({" ": "␣", "\t": "⇥", "\n": "↵", "\r": "␍"})


def show_blank(text: str) -> str:
    """A non-empty cell made only of whitespace, with visible symbols (␣ space, ⇥ tab,
    ↵ newline, ␍ carriage return); other text unchanged."""
    if text and not text.strip():
        return text.translate(_BLANKS)
    return text


def fmt_value(v: Any, *, digits: int = 3) -> str:
    """A cell or headline value as short text: floats with *digits* decimals (or
    4 significant digits when large or tiny), missing values as ``""``."""
    if v is None:
        return ""
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "yes" if v else "no"
    if isinstance(v, float) or type(v).__name__.startswith("float"):
        f = float(v)
        if math.isnan(f):
            return ""
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        if f.is_integer() and abs(f) >= 100:
            return str(int(f))
        if abs(f) >= 10_000 or (0 < abs(f) < 0.001):
            return f"{f:.4g}"
        return f"{f:.{digits}f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt_value(x, digits=digits) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}: {fmt_value(x, digits=digits)}" for k, x in v.items())
    s = str(v)
    if s in ("<NA>", "NaT", "nan"):
        return ""
    return s


def label_of(key: str) -> str:
    """``"n_examples"`` -> ``"n examples"`` (headline labels)."""
    return str(key).replace("_", " ")


def case_kind(columns: Any) -> str | None:
    """``"ner"`` when a table holds entity cases in context (``left_context``,
    ``right_context`` and ``gold_text`` / ``pred_text``), ``"text"`` for text
    classification cases (``text``, ``gold``, ``pred``), else None."""
    cols = {str(c) for c in columns}
    if {"left_context", "right_context", "gold_text", "pred_text"} <= cols:
        return "ner"
    if {"text", "gold", "pred"} <= cols:
        return "text"
    return None


def head_rows(df: Any, max_rows: int) -> Any:
    """The first *max_rows* rows of *df* as shown in a report: a named or non-range
    index becomes the leading column(s), headed by the index and column-axis names."""
    import pandas as pd

    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None:
        first = " \\ ".join(str(n) for n in (df.index.name, df.columns.name) if n) or ""
        d = df.head(max_rows).reset_index()
        d.columns = [first, *[str(c) for c in d.columns[1:]]]
        return d
    return df.head(max_rows)
