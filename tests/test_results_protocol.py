"""The result protocol: exact load(save(r)) for every kind, strict JSON, determinism."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from _report_helpers import all_results
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.errors import FormatError, InputError
from nlperr.results import Finding, Result, jsonable, load, result_class, to_json_text

FORMATS = [("csv",), ("parquet",)]


@pytest.fixture(scope="module")
def results():
    return all_results()


def _strict(text: str):
    def bad(name):
        raise AssertionError(f"non-strict JSON constant {name}")
    return json.loads(text, parse_constant=bad)


def _same_tables(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for name in a:
        pd.testing.assert_frame_equal(b[name], a[name], check_exact=True, obj=name)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", ["ner", "classification", "suite", "suite_comparison",
                                  "ocr_compare", "ocr_stats"])
def test_load_save_gives_the_same_summary_tables_and_findings(results, kind, fmt, tmp_path):
    r = results[kind]
    r.save(tmp_path, formats=("json",) + fmt)
    back = load(tmp_path)
    assert type(back) is type(r) and back.kind == r.kind
    assert back.summary == _strict(r.to_json())
    _same_tables(r.tables, back.tables)
    assert [f.to_dict() for f in back.findings] == [f.to_dict() for f in r.findings]
    assert back.title == r.title
    # and the loaded result renders the same page
    assert back.to_markdown() == r.to_markdown()


def test_every_kind_is_registered_and_to_json_is_a_strict_string(results):
    for kind, r in results.items():
        assert result_class(r.kind) is type(r)
        text = r.to_json()
        assert isinstance(text, str)
        _strict(text)
        d = r.to_dict(tables=True)
        _strict(json.dumps(d, allow_nan=False))


def test_loaded_suite_and_comparison_keep_their_behaviour(results, tmp_path):
    from nlperr.suites import compare_runs
    from nlperr.suites.report import to_junit

    suite = results["suite"]
    suite.save(tmp_path / "s")
    back = load(tmp_path / "s")
    assert back.passed == suite.passed and back.suite_name == suite.suite_name
    pd.testing.assert_frame_equal(back.failures(), suite.failures())
    assert back.outcomes == suite.outcomes
    assert [vars(t) for t in back.tests] == [vars(t) for t in suite.tests]
    assert "<testsuite" in to_junit(back)
    # a loaded run compares like the original
    again = compare_runs(back, back)
    assert again.summary["regressions"] == 0 and again.summary["passed"] == suite.passed


def test_loaded_ocr_comparison_rebuilds_its_noise_model(results, tmp_path):
    r = results["ocr_compare"]
    r.save(tmp_path)
    back = load(tmp_path)
    assert back.noise_model.to_dict() == r.noise_model.to_dict()


def test_save_is_deterministic(results, tmp_path):
    for kind, formats in (("ner", ("json", "csv", "md")),
                          ("suite_comparison", ("json", "csv", "md"))):
        r = results[kind]
        a, b = tmp_path / f"{kind}a", tmp_path / f"{kind}b"
        pa = r.save(a, formats=formats)
        r.save(b, formats=formats)
        for p in pa:
            other = b / p.name
            assert p.read_bytes() == other.read_bytes(), p.name
    r = results["suite_comparison"]  # HTML: identical once the timestamp is off
    assert r.to_html(timestamp=False) == r.to_html(timestamp=False)


# --- exact tables --------------------------------------------------------------------

def test_text_with_empty_and_missing_mixed_values_categoricals_and_index(tmp_path):
    df = pd.DataFrame({
        "text": ["x", "", None, "y"], "value": [1, "b", None, 2.5],
        "float": [1.0, np.nan, np.inf, 1 / 3], "int": [1, 2, 3, 4],
        "flag": [True, False, True, True], "nullable": pd.array([1, None, 3, 4], dtype="Int64"),
        "lists": [[1, 2], None, ["a"], []], "bools_and_text": [True, "yes", False, ""],
        "cat": pd.Categorical(["b", None, "a", "b"], categories=["b", "a", "z"]),
    })
    conf = pd.DataFrame([[1, 2], [3, 4]], index=pd.Index(["A", "∅"], name="gold"),
                        columns=pd.Index(["A", "∅"], name="pred"))
    r = Result(summary={"x": float("nan")}, tables={"t": df, "conf": conf, "empty": df.iloc[:0]})
    for fmt in FORMATS:
        d = tmp_path / fmt[0]
        r.save(d, formats=fmt)
        back = load(d)
        _same_tables(r.tables, back.tables)
        assert back.summary == {"x": None}
        assert back.tables["t"]["text"].tolist()[:2] == ["x", ""]
        assert back.tables["t"]["text"].isna().tolist() == [False, False, True, False]
        assert back.tables["t"]["value"].tolist()[:2] == [1, "b"]


def test_line_breaks_and_quotes_in_text_survive_csv(tmp_path):
    texts = ["\r", "a\rb", "x\ny", "\r\n", '"q", ;', " lead", "trail ", "NA", "null", "nan"]
    r = Result(tables={"t": pd.DataFrame({"text": texts, "mixed": texts[:-1] + [1]})})
    r.save(tmp_path)
    back = load(tmp_path).tables["t"]
    assert back["text"].tolist() == texts and back["mixed"].tolist() == texts[:-1] + [1]


_cell = st.one_of(st.none(), st.text(max_size=6), st.integers(-5, 5),
                  st.floats(allow_nan=False, allow_infinity=False, width=32), st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(st.none(), st.text(max_size=8)), min_size=1, max_size=8),
       mixed=st.lists(_cell, min_size=1, max_size=8),
       floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=8))
def test_round_trip_is_exact_for_random_columns(tmp_path_factory, texts, mixed, floats):
    n = min(len(texts), len(mixed), len(floats))
    df = pd.DataFrame({"t": pd.Series(texts[:n], dtype=object), "m": pd.Series(mixed[:n], dtype=object),
                       "f": pd.Series(floats[:n], dtype="float64")})
    r = Result(tables={"x": df})
    for fmt in FORMATS:
        d = tmp_path_factory.mktemp("rt")
        r.save(d, formats=fmt)
        back = load(d).tables["x"]
        assert [None if v is None or v != v else v for v in back["t"]] == \
            [None if v is None else v for v in texts[:n]]
        got = back["m"].tolist()
        for a, b in zip(got, mixed[:n]):
            assert a == b and type(a) is type(b), (a, b)
        np.testing.assert_array_equal(back["f"].to_numpy(), df["f"].to_numpy())


# --- encoder and errors ---------------------------------------------------------------

def test_one_strict_encoder():
    v = {"a": np.float32(0.5), "b": [np.int64(3), float("-inf")], "c": (1, np.nan),
         "d": pd.NA, "e": {1: np.bool_(True)}}
    assert jsonable(v) == {"a": 0.5, "b": [3, None], "c": [1, None], "d": None,
                           "e": {"1": True}}
    assert to_json_text({"x": float("nan")}, indent=None) == '{"x": null}'


def test_the_old_cleaners_are_gone():
    import nlperr.analysis.report as ar
    import nlperr.cli.ocr as co
    import nlperr.suites.report as sr
    assert not hasattr(ar, "_clean") and not hasattr(sr, "_no_nan") and not hasattr(co, "_clean")


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="E801"):
        load(tmp_path)
    (tmp_path / "result.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    with pytest.raises(FormatError, match="E802"):
        load(tmp_path)
    with pytest.raises(InputError, match="E207"):
        Result().save(tmp_path, formats=("xlsx",))
    with pytest.raises(InputError, match="E207"):
        Finding("x", severity="fatal")


def test_subclass_fields_come_first_protocol_fields_are_keywords():
    from dataclasses import dataclass

    @dataclass
    class Mine(Result):
        name: str = ""

    m = Mine("n", summary={"a": 1})
    assert m.name == "n" and m.summary == {"a": 1} and math.isfinite(m.summary["a"])
