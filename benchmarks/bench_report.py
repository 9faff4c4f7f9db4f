"""Benchmark: rendering and saving a CoNLL-2003-sized NER analysis.

Data: 3,453 synthetic sentences (the size of the CoNLL-2003 test set) with noisy
predictions (tests/_report_helpers.ner_pair), analysed once with ``analyze_ner``.

Timed in the same process, interleaved, ``--repeat`` times (best reported):
* reference: ``analyze_ner`` itself (the computation the report shows);
* ``to_markdown()``;
* ``to_html(figures=False)`` (tables, cases, findings);
* ``to_html()`` (with the SVG figures);
* ``save(formats=("json", "csv"))`` and ``load`` back.

Prints times, ratios to the analysis, and the page sizes (limit: 2 MB HTML,
60,000 characters Markdown).  Conditions (threads, load) are printed first.

    python benchmarks/bench_report.py [--sentences 3453] [--repeat 3] [--markdown]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=3453)
    ap.add_argument("--repeat", type=int, default=3)
    from _bench_common import Markdown, add_markdown_option, interleaved
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    from _report_helpers import ner_pair

    from nlperr.analysis import analyze_ner
    from nlperr.results import load

    print(f"conditions: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    gold, pred = ner_pair(args.sentences, seed=3)
    warnings.simplefilter("ignore")
    report = analyze_ner(gold, pred, n_boot=200, seed=0, zero_division=0)
    report.to_html()  # warm up matplotlib (imports, font cache)
    tmp = tempfile.mkdtemp(prefix="nlperr-bench-report-")

    def save_load():
        report.save(tmp, formats=("json", "csv"))
        load(tmp)
    times = interleaved({
        "analyze_ner (reference)": lambda: analyze_ner(gold, pred, n_boot=200, seed=0,
                                                       zero_division=0),
        "to_markdown": report.to_markdown,
        "to_html(figures=False)": lambda: report.to_html(figures=False),
        "to_html": report.to_html,
        "save csv + load": save_load,
    }, repeat=args.repeat)
    ref = times["analyze_ner (reference)"]
    n_ent = sum(len(e.spans) for e in gold)
    print(f"{args.sentences} sentences, {n_ent} gold entities, "
          f"{len(report.tables['entity_errors'])} entity-error rows")
    for name, t in times.items():
        print(f"  {name:26s} {t * 1000:8.1f} ms   {t / ref:5.2f} x the analysis")
    html = report.to_html(timestamp=False).encode("utf-8")
    md_text = report.to_markdown()
    print(f"HTML {len(html):,} bytes (limit 2,000,000); Markdown {len(md_text):,} characters "
          f"(limit 60,000)")
    for name, t in times.items():
        if name != "analyze_ner (reference)":
            md.row(f"`{name}` of a {args.sentences}-sentence NER analysis vs `analyze_ner` itself "
                   f"({ref * 1000:.0f} ms)", f"{t * 1000:.0f} ms = {t / ref:.2f}x the analysis")
    md.row("page sizes", f"HTML {len(html) / 1e6:.2f} MB, Markdown {len(md_text):,} characters",
           "<= 2 MB, <= 60,000")
    md.emit(data=f"{args.sentences} synthetic sentences, {n_ent} gold entities, n_boot=200",
            runs=f"best of {args.repeat} interleaved runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
