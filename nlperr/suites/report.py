"""Rendering suite results: the CI JSON report and JUnit XML (``xml.etree``)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd

from .runner import SuiteResult

__all__ = ["to_junit", "write_junit", "write_json"]


def to_junit(result: SuiteResult, comparison: pd.DataFrame | None = None) -> str:
    """JUnit XML: one ``<testcase>`` per test; a ``<failure>`` when it is below its
    minimum pass rate or (with *comparison*) has a significant regression."""
    comp = {} if comparison is None else {r["name"]: r for r in comparison.to_dict("records")}
    failures = 0
    suite_el = ET.Element("testsuite", name=result.suite.name, tests=str(len(result.tests)))
    for t in result.tests:
        tc = ET.SubElement(suite_el, "testcase", classname=f"{result.suite.name}.{t.type}", name=t.name)
        pr = t.pass_rate
        msgs = []
        if not t.passed:
            msgs.append(f"pass rate {pr:.3f} < min_pass_rate {t.min_pass_rate:.3f} "
                        f"({t.failed} of {t.n} cases failed)")
        c = comp.get(t.name)
        if c is not None and c["significant_regression"]:
            msgs.append(f"significant regression: {c['regressions']} newly failing vs {c['fixes']} newly "
                        f"passing (McNemar p={c['p_value']:.4g})")
        if msgs:
            failures += 1
            f = ET.SubElement(tc, "failure", message="; ".join(msgs), type=t.type)
            fails = result.failures(t.name).head(5)
            f.text = "\n".join(f"{r.original!r} -> {r.text!r}: {r.original_pred} -> {r.pred} "
                               f"(expected {r.expected})" for r in fails.itertuples())
        out = ET.SubElement(tc, "system-out")
        out.text = (f"n={t.n} failed={t.failed} skipped={t.skipped} "
                    f"pass_rate={'nan' if math.isnan(pr) else f'{pr:.4f}'} min_pass_rate={t.min_pass_rate}")
    suite_el.set("failures", str(failures))
    suite_el.set("errors", "0")
    root = ET.Element("testsuites")
    root.append(suite_el)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def write_junit(result: SuiteResult, path: str | Path, comparison: pd.DataFrame | None = None) -> None:
    Path(path).write_text(to_junit(result, comparison), encoding="utf-8")


def report_dict(result: SuiteResult, comparison: pd.DataFrame | None = None) -> dict[str, Any]:
    """The JSON report; with *comparison*, tests gain baseline fields and ``passed``
    also requires no significant regression."""
    d = result.to_json()
    if comparison is not None:
        comp = {r["name"]: r for r in comparison.to_dict("records")}
        for t in d["tests"]:
            c = comp.get(t["name"])
            if c is None:
                continue
            bpr = c["baseline_pass_rate"]
            t.update(baseline_pass_rate=None if bpr != bpr else bpr, regressions=int(c["regressions"]),
                     fixes=int(c["fixes"]), p_value=float(c["p_value"]),
                     significant_regression=bool(c["significant_regression"]))
        d["passed"] = bool(d["passed"] and not comparison["significant_regression"].any())
    return d


def write_json(result: SuiteResult, path: str | Path, comparison: pd.DataFrame | None = None) -> None:
    Path(path).write_text(json.dumps(report_dict(result, comparison), indent=1), encoding="utf-8")
