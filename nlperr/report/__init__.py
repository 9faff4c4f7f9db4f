"""Reports people read: renderers and plots that know only the result protocol.

* :func:`render_html` -- one self-contained HTML page (inline CSS, a small
  inline script, figures as ``data:`` URIs; no other host or file), readable
  without JavaScript;
* :func:`render_markdown` -- Markdown for pull-request comments (at most
  60,000 characters, longer tables cut with a note);
* :mod:`nlperr.report.figures` -- matplotlib plots drawn from a result's
  numbers (``pip install 'nlperr[report]'``);
* :func:`load_results` / :func:`report_from_dirs` -- saved result folders to
  one page (what ``nlperr report DIR... --out FILE`` runs).

Renderers never compute: every number shown comes from a result's
``summary``, ``tables`` or ``findings`` (see :mod:`nlperr.results`).
"""

from __future__ import annotations

from .html import FIGURE_FORMATS, render_html
from .markdown import MAX_CHARS, render_markdown
from .build import REPORT_FORMATS, load_results, report_from_dirs

__all__ = ["render_html", "render_markdown", "load_results", "report_from_dirs",
           "REPORT_FORMATS", "FIGURE_FORMATS", "MAX_CHARS"]
