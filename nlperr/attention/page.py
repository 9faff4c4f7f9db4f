"""A small self-contained HTML page for attention and attribution results.

:func:`write_page` writes every figure of a result as a PNG and an
``index.html`` that inlines them (base64 ``data:`` URIs), the summary, the
findings and the tables, with inline CSS and a few lines of inline JavaScript
(a selector for the heat maps) -- no external request of any kind.

Meant to be replaced by the generic renderer of :mod:`nlperr.report` once it
exists: it only uses the result protocol (``summary``, ``tables``,
``findings``, ``figures``).
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path
from typing import Any

from ..results import atomic_write_text, jsonable

__all__ = ["write_page", "render_page"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.15em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0}
td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
th{background:#f3f3f3}.kv td{text-align:left;font-family:monospace}td:first-child,th:first-child{text-align:left}
.fig{display:none}.fig.on{display:block}img{max-width:100%}
.finding{margin:.2em 0}.warning{color:#a15c00}.critical{color:#b00}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
"""

_JS = """
function showFig(sel){var f=document.querySelectorAll('.fig');
for(var i=0;i<f.length;i++){f[i].className=(f[i].id===sel.value)?'fig on':'fig';}}
"""


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def render_figures(result: Any) -> dict[str, bytes]:
    """name -> PNG bytes of every available figure of *result*."""
    out = {}
    for name, fn in result.figures.items():
        out[name] = _png(fn())
    return out


def render_page(result: Any, pngs: dict[str, bytes] | None = None, *,
                max_rows: int = 200) -> str:
    """The HTML text of the page (see the module docs)."""
    pngs = render_figures(result) if pngs is None else pngs
    esc = html.escape
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(result.title)}"
             f"</title><style>{_CSS}</style><script>{_JS}</script></head><body>",
             f"<h1>{esc(result.title)}</h1>"]
    summary = jsonable(result.summary)
    rows = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc(json.dumps(v, ensure_ascii=False))}"
                   f"</td></tr>" for k, v in summary.items())
    parts.append(f"<h2>Summary</h2><table class='kv'>{rows}</table>")
    if result.findings:
        parts.append("<h2>Findings</h2>")
        for f in result.findings:
            parts.append(f"<p class='finding {esc(f.severity)}'>{esc(f.message)}</p>")
    if pngs:
        parts.append("<h2>Figures</h2><select id='figsel' onchange='showFig(this)'>")
        for name in pngs:
            parts.append(f"<option value='fig-{esc(name)}'>{esc(name)}</option>")
        parts.append("</select>")
        for k, (name, data) in enumerate(pngs.items()):
            b64 = base64.b64encode(data).decode("ascii")
            parts.append(f"<div class='fig{' on' if k == 0 else ''}' id='fig-{esc(name)}'>"
                         f"<img alt='{esc(name)}' src='data:image/png;base64,{b64}'></div>")
    parts.append("<h2>Tables</h2>")
    for name, df in result.tables.items():
        shown = df.head(max_rows)
        note = f" (first {max_rows} of {len(df)} rows)" if len(df) > max_rows else \
            f" ({len(df)} rows)"
        table = shown.to_html(index=False, escape=True, border=0, na_rep="",
                              float_format=lambda v: f"{v:.4g}")
        parts.append(f"<details{' open' if name in ('heads', 'words', 'contrast') else ''}>"
                     f"<summary>{esc(name)}{esc(note)}</summary>{table}</details>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_page(result: Any, directory: str | Path, *, max_rows: int = 200) -> list[Path]:
    """Write ``<figure>.png`` for each figure and ``index.html`` into *directory*."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    pngs = render_figures(result)
    written = []
    for name, data in pngs.items():
        p = d / f"{name}.png"
        p.write_bytes(data)
        written.append(p)
    written.append(atomic_write_text(d / "index.html", render_page(result, pngs,
                                                                   max_rows=max_rows)))
    return written
