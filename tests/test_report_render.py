"""Renderers (Markdown, HTML), figures and the `nlperr report` / `--html` commands."""

from __future__ import annotations

import base64
import json
import re
import sys
import warnings

import pandas as pd
import pytest
from _report_helpers import all_results, ner_pair

from nlperr.cli import main
from nlperr.errors import InputError, NlperrWarning
from nlperr.report import render_html, render_markdown, report_from_dirs
from nlperr.report import figures as F
from nlperr.report._format import label_of
from nlperr.results import Finding, Result

pytest.importorskip("matplotlib")

_REF = re.compile(r"""\b(?:src|href|action|poster|srcset)\s*=\s*["']?([^"'\s>]*)""", re.I)


@pytest.fixture(scope="module")
def results():
    return all_results()


def external_refs(html: str) -> list[str]:
    """Every src/href/... value that is not an in-page anchor or a data: URI, plus any
    CSS url(...) / @import that is not data:."""
    bad = [v for v in _REF.findall(html) if not (v.startswith("#") or v.startswith("data:"))]
    bad += [u for u in re.findall(r"url\(\s*['\"]?([^'\")]*)", html) if not u.startswith("data:")]
    bad += re.findall(r"@import", html)
    return bad


# --- HTML ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["ner", "classification", "suite", "suite_comparison",
                                  "ocr_compare", "ocr_stats"])
def test_html_is_self_contained_and_holds_every_section(results, kind):
    r = results[kind]
    page = r.to_html(timestamp=False)
    assert external_refs(page) == []
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    # every figure embedded as a data URI that decodes to SVG without a date
    uris = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    assert len(uris) == len(r.figures) >= 1
    for u in uris:
        svg = base64.b64decode(u).decode("utf-8")
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert "<dc:date>" not in svg  # no date: byte-identical pages
    for f in r.findings:
        assert f'<li class="{f.severity}">' in page
    for name in r.report_tables():
        assert label_of(name).capitalize() in page
    if kind == "ner":  # cases with the entity highlighted: gold vs predicted
        assert '<mark class="g">' in page and '<mark class="p">' in page
    assert len(page.encode()) < 500_000


def test_html_timestamp_is_the_only_difference(results):
    r = results["ocr_compare"]
    a, b = r.to_html(timestamp=True), r.to_html(timestamp=False)
    assert "generated" in a and "generated" not in b
    strip = re.sub(r" · generated [^·<]*?UTC", "", a)
    assert strip == b


def test_html_tables_are_paged_and_escaped():
    df = pd.DataFrame({"text": [f"<b>row {i}</b>" for i in range(120)], "n": range(120)})
    page = render_html(Result(tables={"rows": df}), timestamp=False, max_rows=10)
    assert "First 10 of 120 rows" in page and "<code>rows.csv</code>" in page
    assert "&lt;b&gt;row 0&lt;/b&gt;" in page and "<b>row 0</b>" not in page
    assert page.count("<tr>") == 11  # header + 10 rows


def test_png_figures_and_bad_options(results):
    r = results["ocr_compare"]
    page = r.to_html(timestamp=False, figure_format="png")
    assert 'src="data:image/png;base64,' in page
    assert page == r.to_html(timestamp=False, figure_format="png")  # PNGs carry no time
    with pytest.raises(InputError, match="E207"):
        r.to_html(figure_format="gif")
    with pytest.raises(InputError, match="E804"):
        r.to_html(max_rows=0)
    with pytest.raises(InputError, match="E803"):
        render_html([])


def test_a_broken_figure_warns_and_the_page_survives():
    class Broken(Result):
        figure_specs = {"boom": "nlperr.report.figures:confusion_heatmap"}

    r = Broken(tables={"confusion": pd.DataFrame({"x": ["not", "numbers"]}, index=["a", "b"])})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = r.to_html(timestamp=False)
    assert any(issubclass(w.category, NlperrWarning) and "W803" in str(w.message) for w in caught)
    assert "could not be drawn" in page and "</html>" in page


@pytest.mark.slow
def test_a_conll2003_sized_ner_page_stays_small():
    """3,453 sentences (the size of the CoNLL-2003 test set), ~6,700 entities."""
    from nlperr.analysis import analyze_ner

    g, p = ner_pair(3453, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = analyze_ner(g, p, n_boot=100, seed=0, zero_division=0)
    assert len(r.tables["entity_errors"]) > 6000
    page = r.to_html(timestamp=False)
    assert len(page.encode()) < 2_000_000 and external_refs(page) == []
    assert len(r.to_markdown()) <= 60_000


def test_without_matplotlib_the_page_has_no_figures_and_says_why(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import raises ImportError
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        page = results["ocr_compare"].to_html(timestamp=False)
    assert any("W804" in str(w.message) for w in caught)
    assert "data:image" not in page and "Confusions" in page


# --- Markdown ------------------------------------------------------------------------------

def test_markdown_of_a_suite_comparison_names_the_newly_failing_tests(results):
    r = results["suite_comparison"]
    md = r.to_markdown()
    assert len(md) <= 60_000
    assert r.summary["newly_failing"] and r.summary["significant_regressions"]
    for name in r.summary["newly_failing"] + r.summary["significant_regressions"]:
        assert name in md
    assert "McNemar p <" in md and "**critical**" in md


def test_markdown_stays_within_the_limit_with_a_note():
    big = pd.DataFrame({"a": [f"value {i} " * 3 for i in range(5000)], "b": range(5000)})
    r = Result(summary={"n": 5000}, tables={f"t{i}": big for i in range(6)},
               findings=[Finding("something", severity="warning")])
    md = render_markdown(r, max_rows=200, max_chars=20_000)
    assert len(md) <= 20_000
    assert "more rows in `t0.csv`" in md
    md2 = render_markdown(r, max_rows=200, max_chars=1000)
    assert len(md2) <= 1000 and "Left out to stay within" in md2 and "`t5`" in md2
    assert render_markdown(r) == render_markdown(r)


def test_markdown_cells_cannot_open_html_tags():
    r = Result(tables={"t": pd.DataFrame({"text": ["<b>x</b> | y", "p < 0.01", " "]})},
               findings=[Finding("gold <PER> predicted")])
    md = r.to_markdown()
    assert "&lt;b>x&lt;/b> \\| y" in md and "| p < 0.01 |" in md and "| ␣ |" in md
    assert "gold &lt;PER> predicted" in md


# --- figures -------------------------------------------------------------------------------

def test_figures_draw_on_a_given_axis_and_show_the_results_numbers(results):
    from matplotlib.figure import Figure

    r = results["ner"]
    fig = Figure()
    ax = fig.add_subplot()
    assert F.confusion_heatmap(r, ax=ax) is fig
    conf = r.tables["confusion"]
    shown = sorted(float(t.get_text()) for t in ax.texts)
    assert shown == sorted(float(v) for v in conf.to_numpy().ravel() if v)
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(i) for i in conf.index]
    assert "∅" in [t.get_text() for t in ax.get_xticklabels()]
    # the slice plot draws one point per tested slice at its delta
    ws = r.tables["worst_slices"]
    ws = ws[ws["q_value"].notna()].head(15)
    f2 = F.slice_deltas(r)
    pts = [ln.get_xdata()[0] for ln in f2.axes[0].lines if ln.get_marker() == "o"]
    assert pts == pytest.approx(ws["delta"].tolist())


def test_figure_availability_follows_the_tables(results):
    assert set(results["ner"].figures) == {"confusion", "slices", "error_categories"}
    assert "calibration" in results["classification"].figures
    assert set(results["suite_comparison"].figures) == {"pass_rates", "flips"}
    assert list(results["ocr_stats"].figures) == ["ocr_noise"]
    assert list(Result().figures) == []


# --- CLI -----------------------------------------------------------------------------------

def test_nlperr_report_any_mix_of_saved_folders(results, tmp_path, capsys):
    dirs = []
    for kind in ("suite", "ocr_compare", "ocr_stats"):
        results[kind].save(tmp_path / kind)
        dirs.append(str(tmp_path / kind))
    out = tmp_path / "all.html"
    assert main(["report", *dirs, "--out", str(out), "--no-timestamp"]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('<section class="result"') == 3 and 'nav class="tabs"' in page
    assert page == report_from_dirs(dirs, timestamp=False)
    md = tmp_path / "all.md"
    assert main(["report", *dirs, "--out", str(md), "--format", "md"]) == 0
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# nlperr report") and len(text) <= 60_000
    # not a result folder: exit 2 with the coded message
    assert main(["report", str(tmp_path), "--out", str(tmp_path / "x.html")]) == 2
    assert "E801" in capsys.readouterr().err


def test_analyze_and_ocr_write_report_html(tmp_path):
    from nlperr.io import write_conll

    gold, pred = ner_pair(40)
    f = tmp_path / "p.conll"
    write_conll(gold, f, predictions=pred)
    out = tmp_path / "a"
    assert main(["analyze", "ner", "--gold", str(f), "--format", "conll", "--out", str(out),
                 "--n-boot", "20", "--html", "--no-parquet", "--zero-division", "0"]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert external_refs(page) == [] and "Confusion" in page
    json.loads((out / "result.json").read_text(encoding="utf-8"))
    (tmp_path / "g").mkdir()
    (tmp_path / "o").mkdir()
    (tmp_path / "g" / "d1.txt").write_text("the modern harbour", encoding="utf-8")
    (tmp_path / "o" / "d1.txt").write_text("tbe rnodern harbour", encoding="utf-8")
    assert main(["ocr", "compare", "--gold", str(tmp_path / "g"), "--ocr", str(tmp_path / "o"),
                 "--out", str(tmp_path / "oc"), "--html", "--no-progress"]) == 0
    assert (tmp_path / "oc" / "report.html").is_file()
    assert (tmp_path / "oc" / "confusions.csv").is_file()


def test_suite_run_out_and_html(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "twomodels.py").write_text(
        "import sys\nsys.path.insert(0, %r)\n"
        "from _suites_helpers import sentiment_probs\n"
        "def good(texts):\n    return [sentiment_probs(t) for t in texts]\n"
        "def bad(texts):\n    return [sentiment_probs(t, -1.0) for t in texts]\n"
        % str(__import__("pathlib").Path(__file__).parent), encoding="utf-8")
    out = tmp_path / "run"
    rc = main(["suite", "run", "sentiment-en", "--model", "callable:twomodels:bad", "--baseline",
               "callable:twomodels:good", "--out", str(out), "--html", "--quiet", "--no-cache"])
    assert rc == 1
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["newly_failing"] and summary["passed"] is False
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Flips between checkpoints" in page or "flips" in page
    assert main(["suite", "run", "sentiment-en", "--model", "callable:twomodels:good",
                 "--html", "--quiet"]) == 2


if sys.platform == "win32":  # pragma: no cover
    pytestmark = pytest.mark.skip("paths")
