"""Tests that evaluate no case fail by default, or are *skipped* with allow_empty (never silently
passed); min_cases; strict JSON."""

from __future__ import annotations

import json
import math
import warnings
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlperr.cli import main
from nlperr.errors import InputError, NlperrWarning
from nlperr.suites import (DIR, INV, MFT, Suite, compare_results, generate_cases, load_cases, load_suite,
                           run_suite, save_cases, save_suite, to_junit)
from nlperr.suites.report import to_json
from nlperr.suites.runner import DEFAULT_MIN_CASES
from nlperr.testing import SuiteFailed, assert_suite_passes

from _suites_helpers import lexicon_sentiment

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
    ], data=DATA, labels=["negative", "neutral", "positive"], **{"min_cases": 0, **kw})  # tiny on purpose


def _strict_loads(text: str):
    def no_constant(name):
        raise AssertionError(f"invalid JSON constant {name} in the report")
    return json.loads(text, parse_constant=no_constant)


def _run(suite, model=lexicon_sentiment, **kw):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = run_suite(suite, model, cache=False, **kw)
    return res, [str(w.message) for w in rec if issubclass(w.category, NlperrWarning)]


def test_empty_tests_fail_by_default_with_the_reason():
    res, msgs = _run(_suite())
    s = res.test_table().set_index("name")
    assert s.loc["pos", "status"] == "passed" and s.loc["upper", "status"] == "passed"
    for name in ("reformat dates", "negation on neutral only", "empty lexicon"):
        assert s.loc[name, "status"] == "failed" and not s.loc[name, "passed"], name
        assert s.loc[name, "n"] == 0 and math.isnan(s.loc[name, "pass_rate"])
        assert "no case evaluated" in s.loc[name, "message"] and "--allow-empty" in s.loc[name, "message"]
        assert math.isnan(s.loc[name, "ci_low"]) and math.isnan(s.loc[name, "fail_rate"])
    assert "perturbation 'date' changed none of the 4 example(s)" in s.loc["reformat dates", "message"]
    assert not res.passed and res.skipped == []
    assert not any("W605" in m for m in msgs)  # not skipped: the reason is in the failure message


def test_empty_tests_are_skipped_with_allow_empty():
    res, msgs = _run(_suite(), allow_empty=True)
    s = res.test_table().set_index("name")
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
    res, _ = _run(_suite(), allow_empty=True)
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
    assert d["ci_low"] is None and d["ci_high"] is None and d["fail_rate"] is None
    assert by["pos"]["ci_high"] == 1.0 and 0 < by["pos"]["ci_low"] < 1 and by["pos"]["fail_rate"] == 0.0
    assert by["pos"]["skipped"] is False and by["pos"]["status"] == "passed" and by["pos"]["pass_rate"] == 1.0
    # with a baseline comparison, undefined baseline pass rates are null too
    comp = compare_results(res, res)
    rep = _strict_loads(to_json(res, comp))
    assert rep["tests"][1]["baseline_pass_rate"] is None and rep["tests"][1]["p_value"] == 1.0
    assert rep["tests"][1]["baseline_ci_low"] is None and rep["tests"][0]["baseline_ci_high"] == 1.0


def test_junit_marks_skipped_tests():
    res, _ = _run(_suite(), allow_empty=True)
    root = ET.fromstring(to_junit(res))
    ts = root.find("testsuite")
    assert ts.get("skipped") == "3" and ts.get("failures") == "0" and ts.get("tests") == "5"
    cases = {tc.get("name"): tc for tc in ts.findall("testcase")}
    sk = cases["reformat dates"].find("skipped")
    assert sk is not None and "changed none" in sk.get("message")
    assert cases["pos"].find("skipped") is None and cases["pos"].find("failure") is None
    assert "ci95%=0.3424-1.0000 fail_rate=0.0000" in cases["pos"].find("system-out").text


def test_min_cases_fails_tests_with_too_few_cases():
    suite = _suite()
    suite.test("upper").min_cases = 10   # 4 evaluated cases, all passing
    res, _ = _run(suite)
    t = {t.name: t for t in res.tests}["upper"]
    assert t.n == 4 and t.pass_rate == 1.0
    assert t.status == "failed" and not t.passed and not res.passed
    assert t.message == "only 4 evaluated case(s), fewer than min_cases=10 (give more data, or lower min_cases)"
    f = ET.fromstring(to_junit(res)).find("testsuite/testcase[@name='upper']/failure")
    assert f is not None and "min_cases=10" in f.get("message")
    # fewer cases never makes a test pass: 0 cases fails too (not skipped)
    suite.test("reformat dates").min_cases = 1
    res, msgs = _run(suite)
    t = {t.name: t for t in res.tests}["reformat dates"]
    assert t.status == "failed" and "no case evaluated" in t.message and "changed none" in t.message
    assert not any("W605" in m and "'reformat dates'" in m for m in msgs)
    rep = _strict_loads(to_json(res))
    d = {x["name"]: x for x in rep["tests"]}["reformat dates"]
    assert d["passed"] is False and d["skipped"] is False and d["status"] == "failed"


def test_min_cases_precedence_test_run_suite_default():
    suite = _suite(min_cases=None)          # no suite minimum: the library default (20) applies
    res, _ = _run(suite, allow_empty=True)
    t = {t.name: t for t in res.tests}
    assert t["pos"].min_cases == DEFAULT_MIN_CASES == 20 and t["pos"].status == "failed"
    assert "only 2 evaluated case(s), fewer than min_cases=20" in t["pos"].message
    suite = _suite(min_cases=3)              # the suite's minimum
    res, _ = _run(suite, allow_empty=True)
    st = {t.name: (t.min_cases, t.status) for t in res.tests}
    assert st["pos"] == (3, "failed") and st["upper"] == (3, "passed")
    suite.test("upper").min_cases = 5        # a test's own minimum beats the run's and the suite's
    res, _ = _run(suite, allow_empty=True, min_cases=0)
    st = {t.name: (t.min_cases, t.status) for t in res.tests}
    assert st["pos"] == (0, "passed") and st["upper"] == (5, "failed")
    assert st["reformat dates"] == (0, "skipped")  # allow_empty: no case is a skip, whatever the minimum
    rt = load_suite(Suite.from_dict(_suite(min_cases=7).to_dict()))
    assert rt.min_cases == 7
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
    assert "fewer than min_cases=5" in msg and "pass rate 0.000 (95% CI 0.000-0.658) < min_pass_rate 0.900" in msg


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
    res, _ = _run(suite, cases=load_cases(tmp_path / "full.jsonl"), allow_empty=True)
    t = {t.name: t for t in res.tests}["empty lexicon"]
    assert t.skipped and "full.jsonl holds no case" in t.message


def test_pytest_helper_skip_and_min_cases():
    with pytest.warns(NlperrWarning, match="W605"):
        res = assert_suite_passes(_suite(), lexicon_sentiment, cache=False, tests=["pos", "reformat dates"],
                                  allow_empty=True)
    assert res.skipped == ["reformat dates"]
    with pytest.raises(SuiteFailed, match="reformat dates.*no case evaluated"):
        assert_suite_passes(_suite(), lexicon_sentiment, cache=False, tests=["pos", "reformat dates"])
    with pytest.raises(SuiteFailed, match="pos.*fewer than min_cases=3"):
        assert_suite_passes(_suite(), lexicon_sentiment, cache=False, tests=["pos"], min_cases=3)


def test_cli_text_json_junit_and_exit_codes(tmp_path, monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "skipmodel.py").write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom _suites_helpers import lexicon_sentiment as predict\n"
        % str(__import__("pathlib").Path(__file__).parent))
    monkeypatch.setenv("NLPERR_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "s.yaml"
    save_suite(_suite(), path)
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    assert main(["suite", "run", str(path), "--model", "callable:skipmodel:predict", "--json", str(js),
                 "--junit", str(xml), "--allow-empty"]) == 0
    out = capsys.readouterr()
    assert "SKIPPED reformat dates: no case evaluated: perturbation 'date' changed none" in out.out
    assert "suite skippy: PASSED (2 passed, 3 skipped)" in out.out
    assert "W605" in out.err
    rep = _strict_loads(js.read_text())
    assert rep["passed"] is True and [t["status"] for t in rep["tests"]].count("skipped") == 3
    assert ET.parse(xml).getroot().find("testsuite").get("skipped") == "3"
    # by default the empty tests fail -> exit 1, with the reason
    assert main(["suite", "run", str(path), "--model", "callable:skipmodel:predict", "--json", str(js),
                 "--overwrite"]) == 1
    out = capsys.readouterr().out
    assert "FAILED reformat dates: no case evaluated: perturbation 'date' changed none" in out
    assert "suite skippy: FAILED (2 passed, 3 failed)" in out
    rep = _strict_loads(js.read_text())
    assert rep["passed"] is False and rep["counts"]["failed"] == 3
    assert main(["suite", "run", str(path), "--model", "callable:skipmodel:predict", "--min-cases", "-1"]) == 2


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 60), st.data(), st.integers(0, 40), st.booleans(),
       st.sampled_from([0.0, 0.5, 0.9, 1.0]))
def test_verdict_rule_property(n, data, min_cases, allow_empty, rate):
    from nlperr.suites import TestResult
    failed = data.draw(st.integers(0, n))
    t = TestResult("t", "INV", "", n, failed, 0, rate, min_cases, "why", allow_empty)
    if n == 0:
        want = "skipped" if allow_empty else "failed"
    elif n < min_cases or (n - failed) / n < rate:
        want = "failed"
    else:
        want = "passed"
    assert t.status == want and t.passed == (want != "failed")
    assert (t.message == "") == (want == "passed")
    if n:
        assert t.ci_low <= t.pass_rate <= t.ci_high and t.fail_rate == pytest.approx(1 - t.pass_rate)
