"""Markdown for pull requests and terminals, from the result protocol only.

:func:`render_markdown` writes, per result: its title, the headline numbers,
the findings (most severe first) and the tables the result chooses to show
(:meth:`~nlperr.results.Result.report_tables`, each with its legend), each cut
to *max_rows* rows with a note naming the CSV file that holds all of them.
The whole text fits in *max_chars* characters (default 60,000, under the
65,536 a GitHub comment takes): rows are cut further, then tables left out,
each time with a note.  Deterministic: the same results give the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ..errors import Errors, InputError
from ._format import fmt_value, head_rows, label_of, show_blank

__all__ = ["render_markdown", "MAX_CHARS"]

#: Default size limit of :func:`render_markdown` (characters).
MAX_CHARS = 60_000
_CELL = 60
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
_SEVERITY_MARK = {"critical": "**critical** ", "warning": "**warning** ", "info": ""}


_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def _text(s: str) -> str:
    """Text that renders as itself on GitHub: a ``<`` that could open an HTML tag
    is written ``&lt;``."""
    return _TAG.sub("&lt;", s)


def _cell(v: Any) -> str:
    s = _text(show_blank(fmt_value(v)))
    s = s.replace("|", "\\|").replace("\n", " ").replace("\r", " ")
    return s if len(s) <= _CELL else s[:_CELL - 1] + "…"


def md_table(df: Any, max_rows: int, csv_name: str | None = None) -> str:
    """A Markdown table of the first *max_rows* rows of *df* (index levels become
    leading columns), with a note when rows are left out."""
    if df is None or len(df) == 0:
        return "_(no rows)_\n"
    d = head_rows(df, max_rows)
    cols = [str(c).replace("|", "\\|") for c in d.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in d.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if len(df) > max_rows:
        where = f" in `{csv_name}`" if csv_name else ""
        lines.append(f"\n_{len(df) - max_rows} more rows{where}._")
    return "\n".join(lines) + "\n"


def _headline(result: Any) -> str:
    items = result.headline()
    if not items:
        return ""
    return " · ".join(f"**{label_of(k)}** {fmt_value(v)}" for k, v in items.items()) + "\n"


def _findings(result: Any) -> str:
    fs = sorted(result.findings, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))
    if not fs:
        return ""
    out = []
    for f in fs:
        ex = f" (e.g. {', '.join(f.examples[:3])})" if f.examples else ""
        out.append(f"- {_SEVERITY_MARK.get(f.severity, '')}{_text(f.message)}{_text(ex)}")
    return "\n".join(out) + "\n"


def _render_one(result: Any, level: int, max_rows: int, tables: Sequence[str] | None
                ) -> list[str]:
    h = "#" * level
    parts = [f"{h} {result.title}\n"]
    head = _headline(result)
    if head:
        parts.append(head)
    fnd = _findings(result)
    if fnd:
        parts.append(f"{h}# Findings\n\n{fnd}")
    notes = result.table_notes()
    names = result.report_tables() if tables is None else list(tables)
    for name in names:
        if name not in result.tables:
            continue
        view = result.table_view(name)
        block = f"{h}# {label_of(name).capitalize()}\n\n"
        if notes.get(name):
            block += notes[name] + "\n\n"
        block += md_table(view, max_rows, f"{name}.csv")
        parts.append(block)
    hidden = [n for n in result.tables if n not in names]
    if hidden:
        parts.append("_Further tables, in their CSV files only: "
                     + ", ".join(f"`{n}.csv`" for n in hidden) + "._\n")
    return parts


def render_markdown(results: Sequence[Any] | Any, *, title: str | None = None,
                    max_rows: int = 20, max_chars: int = MAX_CHARS) -> str:
    """Markdown text of one or more results (see the module docs).

    Parameters
    ----------
    results : Result or sequence of Result
    title : str, optional
        A top heading (default: none for one result, "nlperr report" for several).
    max_rows : int
        Rows per table before the size limit cuts further.
    max_chars : int
        Upper bound on the length of the text.

    Examples
    --------
    >>> import pandas as pd
    >>> from nlperr.results import Result, Finding
    >>> r = Result(summary={"f1": 0.5}, findings=[Finding("PER is weak", severity="warning")],
    ...            tables={"scores": pd.DataFrame({"label": ["PER"], "f1": [0.5]})})
    >>> print(render_markdown(r))
    # nlperr result
    <BLANKLINE>
    **f1** 0.500
    <BLANKLINE>
    ## Findings
    <BLANKLINE>
    - **warning** PER is weak
    <BLANKLINE>
    ## Scores
    <BLANKLINE>
    | label | f1 |
    |---|---|
    | PER | 0.500 |
    <BLANKLINE>
    """
    items = list(results) if isinstance(results, (list, tuple)) else [results]
    if not items:
        raise InputError(Errors.E803.format(what="render_markdown"))
    if not isinstance(max_chars, int) or max_chars < 1000:
        raise InputError(Errors.E804.format(option="max_chars", value=max_chars,
                                            expected="an integer >= 1000"))
    if not isinstance(max_rows, int) or max_rows < 1:
        raise InputError(Errors.E804.format(option="max_rows", value=max_rows,
                                            expected="a positive integer"))
    top = title if title is not None else ("nlperr report" if len(items) > 1 else None)
    level = 2 if top else 1
    rows = max_rows
    while True:
        text = _join(top, [_render_one(r, level, rows, None) for r in items])
        if len(text) <= max_chars or rows <= 3:
            break
        rows = max(3, rows // 2)
    if len(text) <= max_chars:
        return text
    # still too long: leave tables out, last ones first, and say so
    shown = [list(r.report_tables()) for r in items]
    dropped: list[str] = []
    while len(text) > max_chars and any(shown):
        i = max(k for k, s in enumerate(shown) if s)
        dropped.append(f"`{shown[i].pop()}`")
        note = (f"\n_Left out to stay within {max_chars:,} characters: tables "
                f"{', '.join(reversed(dropped))} (see their CSV files)._\n")
        text = _join(top, [_render_one(r, level, rows, s) for r, s in zip(items, shown)]) + note
    if len(text) > max_chars:  # findings alone are too long: hard cut with a note
        cut = f"\n\n_Cut at {max_chars:,} characters._\n"
        text = text[:max_chars - len(cut)] + cut
    return text


def _join(top: str | None, blocks: list[list[str]]) -> str:
    parts = [f"# {top}\n"] if top else []
    for b in blocks:
        parts.extend(b)
    return "\n".join(parts)
