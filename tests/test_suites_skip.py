"""Tests that evaluate no case are *skipped* (never silently passed); min_cases; strict JSON."""

from __future__ import annotations

import json
import math
import warnings
import xml.etree.ElementTree as ET

import pytest

from nlperr.cli import main
from nlperr.errors import InputError, NlperrWarning
from nlperr.suites import (DIR, INV, MFT, Suite, compare_results, generate_cases, load_cases, load_suite,
                           run_suite, save_cases, save_suite, to_junit)
from nlperr.suites.report import report_dict, to_json
from nlperr.testing import SuiteFailed, assert_suite_passes

from _suites_helpers import FakeSentiment, lexicon_sentiment

pytestmark = pytest.mark.filterwarnings("ignore:.*W601:nlperr.errors.NlperrWarning")

DATA = ["The food was great.", "The flight was terrible!", "I don't like the seat.", "The crew was nice."]


def _suite(**kw):
    return Suite("skippy", [
        MFT("pos", templates=["The {thing} was good."], lexicons={"thing": ["food", "seat"]},
            expect={"label": "positive"}),
        INV("reformat dates", perturbation="date"),            # no date in DATA -> no case
        INV("upper", perturbation="case", params={"mode": "upper"}),
        DIR("negation on neutral only", perturbation="negation",
            expect={"label": "positive", "direction": "decrease",
                    "only_if_pred_not": ["negative", "positive", "neutral"]}),  # excludes everything
        MFT("empty lexicon", templates=["The {thing} was good."], lexicons={"thing": []},
            expect={"label": "positive"}),
    ], data=DATA, labels=["negative", "neutral", "positive"], **kw)


def _strict_loads(text: str):
    def no_constant(name):
        raise AssertionError(f"invalid JSON constant {name} in the report")
    return json.loads(text, parse_constant=no_constant)


def _run(suite, model=lexicon_sentiment, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = run_suite(suite, model, cache=False, **kw)
    return res, [str(w.message) for w in rec if issubclass(w.category, NlperrWarning)]


def test_empty_tests_are_skipped_with_a_reason():
    res, msgs = _run(_suite())
    s = res.summary().set_index("name")
    assert s.loc["pos", "status"] == "passed" and s.loc["upper", "status"] == "passed"
    for name in ("reformat dates", "negation on neutral only", "empty lexicon"):
        assert s.loc[name, "status"] == "skipped", name
        assert s.loc[name, "n"] == 0 and math.isnan(s.loc[name, "pass_rate"])
        assert bool(s.loc[name, "passed"])  # a skip does not fail the suite...
        # ...but it is never silent: one W605 warning naming the test
        assert sum("W605" in m and repr(name) in m for m in msgs) == 1, msgs
    assert "perturbation 'date' changed none of the 4 example(s)" in s.loc["reformat dates", "message"]
    assert "a date" in s.loc["reformat dates", "message"]
    assert "only_if_pred_not" in s.loc["negation on neutral only", "message"]
    negated = generate_cases(_suite(), tests=["negation on neutral only"])
    assert s.loc["negation on neutral only", "skipped_cases"] == len(negated) > 0
    assert "templates expanded to no text" in s.loc["empty lexicon", "message"]
    assert res.passed and res.skipped == ["reformat dates", "negation on neutral only", "empty lexicon"]
    # no W602 ("some cases skipped") on top of W605 when all were excluded
    assert not any("W602" in m for m in msgs)


def test_json_report_is_strict_json_with_skip_fields():
    res, _ = _run(_suite())
    text = to_json(res)
    rep = _strict_loads(text)
    assert "NaN" not in text
    assert rep["passed"] is True and rep["counts"] == {"passed": 2, "failed": 0, "skipped": 3}
    by = {t["name"]: t for t in rep["tests"]}
    for t in rep["tests"]:
        assert {"name", "type", "n", "pass_rate", "min_pass_rate", "passed"} <= set(t)
    d = by["reformat dates"]
    assert d["passed"] is True and d["skipped"] is True and d["status"] == "skipped"
    assert d["pass_rate"] is None and d["n"] == 0 and "date" in d["message"]
    assert by["pos"]["skipped"] is False and by["pos"]["status"] == "passed" and by["pos"]["pass_rate"] == 1.0
    # with a baseline comparison, undefined baseline pass rates are null too
    comp = compare_results(res, res)
    rep = _strict_loads(to_json(res, comp))
    assert rep["tests"][1]["baseline_pass_rate"] is None and rep["tests"][1]["p_value"] == 1.0


def test_junit_marks_skipped_tests():
    res, _ = _run(_suite())
    root = ET.fromstring(to_junit(res))
    ts = root.find("testsuite")
    assert ts.get("skipped") == "3" and ts.get("failures") == "0" and ts.get("tests") == "5"
    cases = {tc.get("name"): tc for tc in ts.findall("testcase")}
    sk = cases["reformat dates"].find("skipped")
    assert sk is not None and "changed none" in sk.get("message")
    assert cases["pos"].find("skipped") is None and cases["pos"].find("failure") is None


def test_min_cases_fails_tests_with_too_few_cases():
    suite = _suite()
    suite.test("upper").min_cases = 10   # 4 evaluated cases, all passing
    res, _ = _run(suite)
    t = {t.name: t for t in res.tests}["upper"]
    assert t.n == 4 and t.pass_rate == 1.0
    assert t.status == "failed" and not t.passed and not res.passed
    assert t.message == "only 4 evaluated case(s), fewer than min_cases=10"
    f = ET.fromstring(to_junit(res)).find("testsuite/testcase[@name='upper']/failure")
    assert f is not None and "min_cases=10" in f.get("message")
    # fewer cases never makes a test pass: 0 cases with min_cases >= 1 fails too (not skipped)
    suite.test("reformat dates").min_cases = 1
    res, msgs = _run(suite)
    t = {t.name: t for t in res.tests}["reformat dates"]
    assert t.status == "failed" and "fewer than min_cases=1" in t.message and "changed none" in t.message
    assert not any("W605" in m and "'reformat dates'" in m for m in msgs)
    rep = _strict_loads(to_json(res))
    d = {x["name"]: x for x in rep["tests"]}["reformat dates"]
    assert d["passed"] is False and d["skipped"] is False and d["status"] == "failed"


def test_run_level_min_cases_and_test_override():
    suite = _suite()
    suite.test("empty lexicon").min_cases = 0        # explicitly allowed to be empty
    res, _ = _run(suite, min_cases=1)
    st = {t.name: t.status for t in res.tests}
    assert st == {"pos": "passed", "reformat dates": "failed", "upper": "passed",
                  "negation on neutral only": "failed", "empty lexicon": "skipped"}
    with pytest.raises(InputError, match="E606"):
        run_suite(suite, lexicon_sentiment, cache=False, min_cases=-1)
    with pytest.raises(InputError, match="E606"):
        INV("x", perturbation="typo", min_cases=-2)
    with pytest.raises(InputError, match="E606"):
        load_suite({"name": "s", "tests": [{"name": "x", "type": "INV", "perturbation": "typo",
                                            "min_cases": "many"}]})


def test_min_cases_roundtrips_through_yaml(tmp_path):
    suite = _suite()
    suite.test("upper").min_cases = 3
    save_suite(suite, tmp_path / "s.yaml")
    back = load_suite(tmp_path / "s.yaml")
    assert back.test("upper").min_cases == 3 and back.test("pos").min_cases is None


def test_a_pass_rate_failure_and_a_min_cases_failure_are_both_reported():
    suite = Suite("x", [MFT("pos", templates=["The {t} was bad."], lexicons={"t": ["food", "seat"]},
                            expect={"label": "positive"}, min_cases=5)])
    res, _ = _run(suite)
    msg = res.tests[0].message
    assert "fewer than min_cases=5" in msg and "pass rate 0.000 < min_pass_rate 0.900" in msg


def test_case_file_must_match_the_suite(tmp_path):
    suite = _suite()
    cs = generate_cases(suite, tests=["pos", "upper"])
    save_cases(cs, tmp_path / "c.jsonl")
    loaded = load_cases(tmp_path / "c.jsonl")
    with pytest.raises(InputError, match="E618.*reformat dates"):
        run_suite(suite, lexicon_sentiment, cases=loaded, cache=False)
    # selecting the tests the file holds is fine
    res = run_suite(suite, lexicon_sentiment, cases=loaded, tests=["pos", "upper"], cache=False)
    assert [t.name for t in res.tests] == ["pos", "upper"]
    other = Suite("other", [MFT("neg", templates=["bad"], expect={"label": "negative"})])
    with pytest.raises(InputError, match="E618.*not in the suite"):
        run_suite(other, lexicon_sentiment, cases=loaded, cache=False)
    with pytest.raises(InputError, match="E207"):
        run_suite(suite, lexicon_sentiment, tests=["nope"], cache=False)
    # a test of the file without a case: the reason names the file
    full = generate_cases(suite)
    save_cases(full, tmp_path / "full.jsonl")
    res, _ = _run(suite, cases=load_cases(tmp_path / "full.jsonl"))
    t = {t.name: t for t in res.tests}["empty lexicon"]
    assert t.skipped and "full.jsonl holds no case" in t.message


def test_pytest_helper_skip_and_min_cases():
    with pytest.warns(NlperrWarning, match="W605"):
        res = assert_suite_passes(_suite(), lexicon_sentiment, cache=False, tests=["pos", "reformat dates"])
    assert res.skipped == ["reformat dates"]
    with pytest.raises(SuiteFailed, match="reformat dates.*fewer than min_cases=1"):
        assert_suite_passes(_suite(), lexicon_sentiment, cache=False, tests=["pos", "reformat dates"],
                            min_cases=1)


def test_cli_text_json_junit_and_exit_codes(tmp_path, monkeypatch, capsys):
    import sys
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "skipmodel.py").write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom _suites_helpers import lexicon_sentiment as predict\n"
        % str(__import__("pathlib").Path(__file__).parent))
    monkeypatch.setenv("NLPERR_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "s.yaml"
    save_suite(_suite(), path)
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    assert main(["suite", "run", str(path), "--model", "callable:skipmodel:predict", "--json", str(js),
                 "--junit", str(xml)]) == 0
    out = capsys.readouterr()
    assert "SKIPPED reformat dates: no case evaluated: perturbation 'date' changed none" in out.out
    assert "suite skippy: PASSED (2 passed, 3 skipped)" in out.out
    assert "W605" in out.err
    rep = _strict_loads(js.read_text())
    assert rep["passed"] is True and [t["status"] for t in rep["tests"]].count("skipped") == 3
    assert ET.parse(xml).getroot().find("testsuite").get("skipped") == "3"
    # --min-cases 1: the empty tests fail -> exit 1
    assert main(["suite", "run", str(path), "--model", "callable:skipmodel:predict", "--json", str(js),
                 "--min-cases", "1", "--overwrite"]) == 1
    out = capsys.readouterr().out
    assert "FAILED reformat dates: only 0 evaluated case(s), fewer than min_cases=1" in out
    assert "suite skippy: FAILED (2 passed, 3 failed)" in out
    rep = _strict_loads(js.read_text())
    assert rep["passed"] is False and rep["counts"]["failed"] == 3
    assert main(["suite", "run", str(path), "--model", "callable:skipmodel:predict", "--min-cases", "-1"]) == 2
