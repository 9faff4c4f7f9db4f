"""Saved result folders to one report (what ``nlperr report`` runs)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError

__all__ = ["load_results", "report_from_dirs", "REPORT_FORMATS"]

#: Output formats of :func:`report_from_dirs`.
REPORT_FORMATS = ("html", "md")


def load_results(dirs: Sequence[str | os.PathLike]) -> list[Any]:
    """Read each saved result folder (any kind) with :func:`nlperr.results.load`."""
    from ..results import load

    paths = [Path(d) for d in dirs]
    if not paths:
        raise InputError(Errors.E803.format(what="nlperr report"))
    out = []
    for p in paths:
        if not p.exists():
            raise InputError(Errors.E805.format(path=str(p), problem="no such folder"))
        if not p.is_dir():
            raise InputError(Errors.E805.format(path=str(p), problem="not a folder"))
        out.append(load(p))
    return out


def report_from_dirs(dirs: Sequence[str | os.PathLike], *, format: str = "html",
                     title: str | None = None, timestamp: bool = True,
                     **options: Any) -> str:
    """One report (HTML page or Markdown text) of the results saved in *dirs*.

    *options* go to :func:`~nlperr.report.render_html` or
    :func:`~nlperr.report.render_markdown`.
    """
    if format not in REPORT_FORMATS:
        raise InputError(Errors.E207.format(value=format, option="format",
                                            allowed=list(REPORT_FORMATS)))
    results = load_results(dirs)
    if format == "md":
        from .markdown import render_markdown
        options.pop("figure_format", None)
        return render_markdown(results, title=title, **options)
    from .html import render_html
    return render_html(results, title=title, timestamp=timestamp, **options)
