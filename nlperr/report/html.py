"""One self-contained HTML page from one or more results (the protocol only).

:func:`render_html` writes a single file: inline CSS, a small inline script
(tabs between results, sortable and filterable tables) and figures as
``data:`` URIs (SVG by default, or PNG).  It references no other host and no
other file, and reads well without JavaScript (every section is then shown,
one after the other).  Per result: the headline numbers, the findings (most
severe first), the figures (:attr:`~nlperr.results.Result.figures`), cases
with the entity highlighted in its context (gold and predicted side by
side), and the tables the result chooses to show
(:meth:`~nlperr.results.Result.report_tables`), each cut to *max_rows* rows
with a note naming the CSV file that holds all of them.

Deterministic: the same results give the same bytes, apart from the
generation time, which ``timestamp=False`` leaves out.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html as _html
from collections.abc import Sequence
from typing import Any

from ..errors import Errors, InputError, Warnings, warn
from ._format import case_kind, fmt_value, head_rows, label_of, show_blank

__all__ = ["render_html", "FIGURE_FORMATS"]

#: Image formats :func:`render_html` can embed figures as.
FIGURE_FORMATS = ("svg", "png")
_SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def _e(x: Any) -> str:
    return _html.escape(str(x), quote=True)


_CSS = """
:root{--fg:#1a202c;--muted:#5a6778;--line:#e2e8f0;--bg:#fff;--soft:#f7fafc;--blue:#2b6cb0;
--red:#c53030;--amber:#b7791f;--green:#2f855a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:var(--fg);background:var(--bg)}
header.top{padding:18px 28px 8px;border-bottom:1px solid var(--line);background:var(--soft)}
header.top h1{margin:0;font-size:22px}
.meta{color:var(--muted);font-size:12px;margin:4px 0 0}
nav.tabs{display:flex;flex-wrap:wrap;gap:4px;padding:8px 28px 0;border-bottom:1px solid var(--line);
background:var(--soft)}
nav.tabs a{padding:6px 12px;border:1px solid var(--line);border-bottom:none;border-radius:6px 6px 0 0;
color:var(--blue);text-decoration:none;background:#fff;font-size:13px}
nav.tabs a.active{background:var(--blue);color:#fff;border-color:var(--blue)}
main{padding:8px 28px 40px;max-width:1280px}
section.result{padding-top:6px}
.js section.result{display:none}.js section.result.active{display:block}
h2{font-size:19px;margin:14px 0 8px}h3{font-size:15px;margin:22px 0 8px;
border-bottom:1px solid var(--line);padding-bottom:3px}
.kind{font-size:11px;color:var(--muted);border:1px solid var(--line);border-radius:10px;
padding:1px 8px;margin-left:8px;vertical-align:middle;font-weight:normal}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid var(--line);border-radius:8px;padding:6px 12px;min-width:110px;background:#fff}
.card .v{font-size:18px;font-weight:600}.card .k{font-size:11px;color:var(--muted)}
ul.findings{padding-left:0;list-style:none;margin:0}
ul.findings li{border-left:4px solid var(--blue);background:var(--soft);padding:6px 10px;
margin:4px 0;border-radius:0 6px 6px 0}
ul.findings li.warning{border-color:var(--amber)}ul.findings li.critical{border-color:var(--red)}
.sev{font-size:11px;text-transform:uppercase;font-weight:600;margin-right:6px;color:var(--muted)}
li.critical .sev{color:var(--red)}li.warning .sev{color:var(--amber)}
.figs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px;background:#fff;
max-width:100%}
figure img{display:block;max-width:100%;height:auto}
figcaption{font-size:12px;color:var(--muted);max-width:640px;margin-top:4px}
.cases{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:8px}
.case{border:1px solid var(--line);border-radius:8px;padding:6px 10px;font-size:13px;background:#fff;
overflow-wrap:anywhere}
.case .head{font-size:11px;color:var(--muted);margin-bottom:2px}
.case .line{margin:2px 0}.case .side{display:inline-block;width:34px;font-size:11px;color:var(--muted)}
mark{padding:0 3px;border-radius:3px}mark.g{background:#c6f6d5}mark.p{background:#fed7d7}
mark.same{background:#bee3f8}mark sub{font-size:10px;color:#2d3748;margin-left:2px}
.cat{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#edf2f7;
color:#2d3748;margin-right:6px}
.none{color:var(--muted);font-style:italic}
details{margin:6px 0 14px}summary{cursor:pointer;font-weight:600}
.note{color:var(--muted);font-size:12px;margin:4px 0}
.tablewrap{overflow-x:auto;max-width:100%}
table.data{border-collapse:collapse;font-size:12.5px;margin-top:4px}
table.data th,table.data td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;
vertical-align:top;max-width:420px}
table.data th{background:var(--soft);position:sticky;top:0;white-space:nowrap}
table.data td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data td.ws{color:var(--muted)}
.js table.data th{cursor:pointer}.js table.data th:hover{background:#e2e8f0}
th[aria-sort=ascending]::after{content:" \\25B2"}th[aria-sort=descending]::after{content:" \\25BC"}
input.filter{display:none;margin:4px 0;padding:3px 6px;border:1px solid var(--line);border-radius:4px;
font-size:12px;width:240px}.js input.filter{display:block}
footer{color:var(--muted);font-size:12px;padding:10px 28px;border-top:1px solid var(--line)}
"""

_JS = """
(function(){
var d=document,b=d.body;
window.addEventListener('error',function(e){b.setAttribute('data-nlperr-error',String(e.message));});
d.documentElement.className+=' js';
var secs=[].slice.call(d.querySelectorAll('section.result')),
    tabs=[].slice.call(d.querySelectorAll('nav.tabs a'));
function show(id){secs.forEach(function(s){s.classList.toggle('active',s.id===id);});
  tabs.forEach(function(a){a.classList.toggle('active',a.getAttribute('href')==='#'+id);});}
tabs.forEach(function(a){a.addEventListener('click',function(e){e.preventDefault();
  show(a.getAttribute('href').slice(1));});});
var h=location.hash.slice(1);
show(secs.some(function(s){return s.id===h;})?h:(secs.length?secs[0].id:''));
function key(td){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;
  var f=parseFloat(v);return (v!==''&&isFinite(v))?[0,f]:[1,v.toLowerCase()];}
[].slice.call(d.querySelectorAll('table.data')).forEach(function(t){
  var ths=[].slice.call(t.querySelectorAll('thead th')),tb=t.tBodies[0];
  ths.forEach(function(th,i){th.addEventListener('click',function(){
    var asc=th.getAttribute('aria-sort')!=='ascending';
    ths.forEach(function(o){o.removeAttribute('aria-sort');});
    th.setAttribute('aria-sort',asc?'ascending':'descending');
    var rows=[].slice.call(tb.rows);
    rows.sort(function(r1,r2){var a=key(r1.cells[i]),c=key(r2.cells[i]);
      var x=a[0]-c[0]||(a[1]<c[1]?-1:a[1]>c[1]?1:0);return asc?x:-x;});
    rows.forEach(function(r){tb.appendChild(r);});});});});
[].slice.call(d.querySelectorAll('input.filter')).forEach(function(inp){
  var t=d.getElementById(inp.getAttribute('data-table'));
  inp.addEventListener('input',function(){var q=inp.value.toLowerCase();
    [].slice.call(t.tBodies[0].rows).forEach(function(r){
      r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':'';});});});
b.setAttribute('data-nlperr-ready','1');
})();
"""


def _is_num(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) or \
        type(v).__name__.startswith(("int", "float", "uint"))


def _table_html(df: Any, table_id: str, max_rows: int, csv_name: str) -> str:
    if df is None or len(df) == 0:
        return '<p class="none">(no rows)</p>'
    d = head_rows(df, max_rows)
    out = [f'<input class="filter" type="search" placeholder="filter rows…" '
           f'data-table="{_e(table_id)}" aria-label="filter rows">',
           f'<div class="tablewrap"><table class="data" id="{_e(table_id)}"><thead><tr>']
    out += [f"<th>{_e(c)}</th>" for c in d.columns]
    out.append("</tr></thead><tbody>")
    for row in d.itertuples(index=False):
        cells = []
        for v in row:
            text = fmt_value(v)
            if _is_num(v):
                raw = "" if text == "" else repr(float(v)) if "float" in type(v).__name__ \
                    else str(v)
                cells.append(f'<td class="n" data-v="{_e(raw)}">{_e(text)}</td>')
            else:
                if len(text) > 300:
                    text = text[:299] + "…"
                shown = show_blank(text)
                cells.append(f"<td>{_e(shown)}</td>" if shown == text else
                             f'<td class="ws" title="whitespace">{_e(shown)}</td>')
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    if len(df) > max_rows:
        out.append(f'<p class="note">First {max_rows} of {len(df)} rows; every row is in '
                   f'<code>{_e(csv_name)}</code>.</p>')
    return "".join(out)


def _mark(text: Any, label: Any, cls: str) -> str:
    if not text:
        return '<span class="none">(none)</span>'
    return f'<mark class="{cls}">{_e(text)}<sub>{_e(label)}</sub></mark>'


def _cases_html(df: Any, kind: str, max_cases: int) -> str:
    rows = df.head(max_cases).to_dict("records")
    out = ['<div class="cases">']
    for r in rows:
        head = []
        if r.get("category") is not None:
            head.append(f'<span class="cat">{_e(r["category"])}</span>')
        if r.get("id") not in (None, ""):
            head.append(f"id <code>{_e(r['id'])}</code>")
        for k in ("pred_score", "confidence"):
            if r.get(k) is not None and fmt_value(r[k]):
                head.append(f"{label_of(k)} {fmt_value(r[k])}")
        out.append('<div class="case"><div class="head">' + " · ".join(head) + "</div>")
        if kind == "ner":
            left, right = _e(r.get("left_context") or ""), _e(r.get("right_context") or "")
            g, p = r.get("gold_text") or "", r.get("pred_text") or ""
            same = g and g == p and r.get("gold_label") == r.get("pred_label")
            if same:
                out.append(f'<div class="line"><span class="side">both</span>{left} '
                           f'{_mark(g, r.get("gold_label"), "same")} {right}</div>')
            else:
                out.append(f'<div class="line"><span class="side">gold</span>{left} '
                           f'{_mark(g, r.get("gold_label"), "g")} {right}</div>')
                out.append(f'<div class="line"><span class="side">pred</span>{left} '
                           f'{_mark(p, r.get("pred_label"), "p")} {right}</div>')
        else:
            out.append(f'<div class="line">{_e(r.get("text") or "")}</div>'
                       f'<div class="line"><span class="side">gold</span><mark class="g">'
                       f'{_e(r.get("gold"))}</mark> <span class="side">pred</span>'
                       f'<mark class="{"same" if r.get("gold") == r.get("pred") else "p"}">'
                       f'{_e(r.get("pred"))}</mark></div>')
        out.append("</div>")
    out.append("</div>")
    if len(df) > max_cases:
        out.append(f'<p class="note">First {max_cases} of {len(df)} cases.</p>')
    return "".join(out)


def _figures_html(result: Any, fmt: str, rid: str) -> str:
    from .figures import figure_to_png, figure_to_svg

    parts = []
    for name, draw in result.figures.items():
        try:
            fig = draw()
            data = figure_to_svg(fig) if fmt == "svg" else figure_to_png(fig)
        except Exception as e:  # noqa: BLE001 - a broken figure must not lose the report
            warn(Warnings.W803.format(name=name, kind=result.kind,
                                      error=f"{type(e).__name__}: {e}"))
            parts.append(f'<figure><p class="none">Figure {_e(name)} could not be drawn '
                         f'({_e(type(e).__name__)}).</p></figure>')
            continue
        mime = "image/svg+xml" if fmt == "svg" else "image/png"
        uri = f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
        doc = ""
        fn = getattr(draw, "func", None)
        if fn is not None and fn.__doc__:
            doc = " ".join(fn.__doc__.strip().split("\n\n")[0].split())
            doc = doc.replace("``", "").replace("*", "")
        parts.append(f'<figure id="{_e(rid)}-fig-{_e(name)}"><img alt="{_e(label_of(name))}" '
                     f'src="{uri}"><figcaption><b>{_e(label_of(name))}</b>'
                     f'{" — " + _e(doc) if doc else ""}</figcaption></figure>')
    return '<div class="figs">' + "".join(parts) + "</div>" if parts else ""


def _section(result: Any, rid: str, max_rows: int, max_cases: int, fmt: str,
             figures: bool) -> str:
    out = [f'<section class="result" id="{_e(rid)}"><h2>{_e(result.title)}'
           f'<span class="kind">{_e(result.kind)}</span></h2>']
    head = result.headline()
    if head:
        out.append('<div class="cards">' + "".join(
            f'<div class="card"><div class="v">{_e(fmt_value(v))}</div>'
            f'<div class="k">{_e(label_of(k))}</div></div>' for k, v in head.items()) + "</div>")
    fs = sorted(result.findings, key=lambda f: _SEVERITY_ORDER.get(f.severity, 3))
    if fs:
        out.append("<h3>Findings</h3><ul class=\"findings\">")
        for f in fs:
            ex = (f' <span class="note">e.g. {", ".join(_e(x) for x in f.examples[:5])}</span>'
                  if f.examples else "")
            out.append(f'<li class="{_e(f.severity)}"><span class="sev">{_e(f.severity)}</span>'
                       f"{_e(f.message)}{ex}</li>")
        out.append("</ul>")
    if figures:
        figs = _figures_html(result, fmt, rid)
        if figs:
            out.append("<h3>Figures</h3>" + figs)
    notes = result.table_notes()
    names = [n for n in result.report_tables() if n in result.tables]
    case_names = [n for n in names if case_kind(result.tables[n].columns)
                  and len(result.tables[n])]
    if case_names:
        out.append("<h3>Cases</h3>")
        for n in case_names:
            view = result.table_view(n)
            out.append(f"<details open><summary>{_e(label_of(n).capitalize())} "
                       f"({len(result.tables[n])})</summary>")
            if notes.get(n):
                out.append(f'<p class="note">{_e(notes[n])}</p>')
            out.append(_cases_html(view, case_kind(result.tables[n].columns) or "text",
                                   max_cases) + "</details>")
    shown = [n for n in names if n not in case_names]
    if shown:
        out.append("<h3>Tables</h3>")
        for i, n in enumerate(shown):
            view = result.table_view(n)
            full = len(result.tables[n])
            out.append(f"<details{' open' if i < 6 else ''}><summary>"
                       f"{_e(label_of(n).capitalize())} ({full} rows)</summary>")
            if notes.get(n):
                out.append(f'<p class="note">{_e(notes[n])}</p>')
            out.append(_table_html(view, f"{rid}-t-{n}", max_rows, f"{n}.csv") + "</details>")
    other = [n for n in result.tables if n not in names]
    if other:
        out.append('<p class="note">Further tables, in their CSV files only: ' + ", ".join(
            f"<code>{_e(n)}.csv</code> ({len(result.tables[n])} rows)" for n in other) + ".</p>")
    out.append("</section>")
    return "\n".join(out)


def render_html(results: Sequence[Any] | Any, *, title: str | None = None,
                max_rows: int = 50, max_cases: int = 20, timestamp: bool = True,
                figures: bool = True, figure_format: str = "svg") -> str:
    """One self-contained HTML page of one or more results (see the module docs).

    Parameters
    ----------
    results : Result or sequence of Result
        Any mix of kinds; several results become tabs.
    title : str, optional
        Page title (default: the result's title, or "nlperr report").
    max_rows : int
        Rows per table shown inline (every row stays in the table's CSV file).
    max_cases : int
        Cases shown per case table.
    timestamp : bool
        Write the generation time (UTC) in the header; ``False`` makes the page
        depend only on the results.
    figures : bool
        Draw the results' figures (needs matplotlib: ``pip install 'nlperr[report]'``).
    figure_format : {"svg", "png"}
        How figures are embedded (both as ``data:`` URIs).

    Returns
    -------
    str
        The page.
    """
    from ..about import __version__

    items = list(results) if isinstance(results, (list, tuple)) else [results]
    if not items:
        raise InputError(Errors.E803.format(what="render_html"))
    if figure_format not in FIGURE_FORMATS:
        raise InputError(Errors.E207.format(value=figure_format, option="figure_format",
                                            allowed=list(FIGURE_FORMATS)))
    for name, v in (("max_rows", max_rows), ("max_cases", max_cases)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise InputError(Errors.E804.format(option=name, value=v,
                                                expected="a positive integer"))
    if figures and any(r.figures for r in items):
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            warn(Warnings.W804)
            figures = False
    page_title = title or (items[0].title if len(items) == 1 else "nlperr report")
    ids = [f"r{i + 1}" for i in range(len(items))]
    meta = f"nlperr {__version__}"
    if timestamp:
        now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        meta += f" · generated {now}"
    meta += f" · {len(items)} result{'s' if len(items) != 1 else ''}"
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(page_title)}</title><style>{_CSS}</style></head><body>",
             f'<header class="top"><h1>{_e(page_title)}</h1><p class="meta">{_e(meta)}</p>'
             "</header>"]
    if len(items) > 1:
        parts.append('<nav class="tabs">' + "".join(
            f'<a href="#{i}">{_e(r.title)}</a>' for i, r in zip(ids, items)) + "</nav>")
    parts.append("<main>")
    for rid, r in zip(ids, items):
        parts.append(_section(r, rid, max_rows, max_cases, figure_format, figures))
    parts.append("</main>")
    parts.append('<footer>Every table is complete in its CSV file beside the result\'s '
                 '<code>summary.json</code>; this page shows the first rows.</footer>')
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts) + "\n"
