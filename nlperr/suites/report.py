"""Rendering suite results: the CI JSON report and JUnit XML (``xml.etree``)."""

from __future__ import annotations

import copy
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd

from ..results import jsonable, to_json_text
from ..io._atomic import atomic_write_text
from .runner import SuiteResult

__all__ = ["to_junit", "write_junit", "to_json", "write_json", "report_dict"]


def to_junit(result: SuiteResult, comparison: pd.DataFrame | None = None) -> str:
    """JUnit XML: one ``<testcase>`` per test; a ``<failure>`` when it is below its
    minimum pass rate or its ``min_cases``, or (with *comparison*) has a significant
    regression; ``<skipped message=...>`` when it evaluated no case."""
    comp = {} if comparison is None else {r["name"]: r for r in comparison.to_dict("records")}
    failures = skipped = 0
    suite_el = ET.Element("testsuite", name=result.suite_name, tests=str(len(result.tests)))
    for t in result.tests:
        tc = ET.SubElement(suite_el, "testcase", classname=f"{result.suite_name}.{t.type}", name=t.name)
        pr = t.pass_rate
        msgs = [t.message] if t.status == "failed" else []
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
        elif t.skipped:
            skipped += 1
            ET.SubElement(tc, "skipped", message=t.message)
        out = ET.SubElement(tc, "system-out")
        out.text = (f"status={t.status} n={t.n} failed={t.failed} skipped_cases={t.skipped_cases} "
                    f"pass_rate={'n/a' if math.isnan(pr) else f'{pr:.4f}'} "
                    + ("" if math.isnan(pr) else f"ci{t.confidence:.0%}={t.ci_low:.4f}-{t.ci_high:.4f} "
                                                 f"fail_rate={t.fail_rate:.4f} ")
                    + f"min_pass_rate={t.min_pass_rate} min_cases={t.min_cases}")
    suite_el.set("failures", str(failures))
    suite_el.set("errors", "0")
    suite_el.set("skipped", str(skipped))
    root = ET.Element("testsuites")
    root.append(suite_el)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


def write_junit(result: SuiteResult, path: str | Path, comparison: pd.DataFrame | None = None) -> None:
    atomic_write_text(Path(path), to_junit(result, comparison))


def report_dict(result: SuiteResult, comparison: pd.DataFrame | None = None) -> dict[str, Any]:
    """The JSON report (:meth:`SuiteResult.report`); with *comparison*, tests gain
    ``baseline_pass_rate``, ``baseline_ci_low``, ``baseline_ci_high``, ``regressions``, ``fixes``, ``p_value`` and
    ``significant_regression``, and ``passed`` also requires no significant
    regression.  Undefined numbers are ``None``, never NaN."""
    d = copy.deepcopy(result.report())
    if comparison is not None:
        comp = {r["name"]: r for r in comparison.to_dict("records")}
        for t in d["tests"]:
            c = comp.get(t["name"])
            if c is None:
                continue
            t.update(baseline_pass_rate=c["baseline_pass_rate"], baseline_ci_low=c["baseline_ci_low"],
                     baseline_ci_high=c["baseline_ci_high"], regressions=int(c["regressions"]),
                     fixes=int(c["fixes"]), p_value=float(c["p_value"]),
                     significant_regression=bool(c["significant_regression"]))
            if t["significant_regression"]:
                t["passed"] = False
                t["status"] = "failed"
        d["passed"] = bool(d["passed"] and not comparison["significant_regression"].any())
        d["counts"] = {k: sum(t["status"] == k for t in d["tests"]) for k in d["counts"]}
    return jsonable(d)


def to_json(result: SuiteResult, comparison: pd.DataFrame | None = None) -> str:
    """The JSON report as strict JSON text (no NaN)."""
    return to_json_text(report_dict(result, comparison), indent=1)


def write_json(result: SuiteResult, path: str | Path, comparison: pd.DataFrame | None = None) -> None:
    atomic_write_text(Path(path), to_json(result, comparison))
