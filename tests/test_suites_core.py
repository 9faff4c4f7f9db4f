"""Suites: specs, generation, runner, cache, comparison, CLI contract, pytest helper."""

from __future__ import annotations

import json
import warnings
import xml.etree.ElementTree as ET

import pytest

from nlperr import Example, Span
from nlperr.cli import main
from nlperr.engine import Predictor
from nlperr.errors import InputError
from nlperr.analysis import mcnemar_test as mcnemar_exact
from nlperr.errors import NlperrWarning as NlperrWarningT
from nlperr.suites import (DIR, INV, MFT, Suite, compare_results, generate_cases, load_cases, load_suite,
                           run_suite, save_cases, save_suite)
from nlperr.testing import SuiteFailed, assert_suite_passes

from _suites_helpers import FakeNER, FakeSentiment, lexicon_sentiment

pytestmark = pytest.mark.filterwarnings("ignore::nlperr.errors.NlperrWarning")

DATA = ["The food was great.", "The flight was terrible!", "I don't like the seat.",
        "Maria said it is good.", "We flew from Paris, it was nice."]


def small_suite(**kw):
    return Suite("small", [
        MFT("pos", templates=["The {thing} was {adj}."], lexicons={"thing": ["food", "seat"],
                                                                    "adj": ["good", "great"]},
            expect={"label": "positive"}),
        MFT("neg not", templates=["The {thing} was not bad."], lexicons={"thing": ["food"]},
            expect={"not_label": "negative"}),
        INV("typos", perturbation="typo", params={"rate": 0.3}, min_pass_rate=0.5),
        INV("upper", perturbation="case", params={"mode": "upper"}),
        DIR("negation", perturbation="negation",
            expect={"label": "positive", "direction": "decrease", "tolerance": 0.05,
                    "only_if_pred_not": ["negative"]}),
    ], data=DATA, labels=["negative", "neutral", "positive"], **{"min_cases": 0, **kw})  # tiny on purpose


def test_run_mft_inv_dir_with_callable():
    res = run_suite(small_suite(), lexicon_sentiment, cache=False)
    s = res.test_table().set_index("name")
    assert s.loc["pos", "n"] == 4 and s.loc["pos", "pass_rate"] == 1.0
    assert s.loc["upper", "pass_rate"] == 1.0
    assert s.loc["negation", "passed"]
    assert set(res.cases.columns) >= {"test", "original", "text", "original_pred", "pred", "passed"}
    sl = res.by_slice("length")
    assert set(sl.columns) == {"test", "slice", "n", "failed", "fail_rate"}


def test_one_deduplicated_pass_and_warm_cache(tmp_path):
    suite = small_suite()
    cases = generate_cases(suite)
    model = FakeSentiment(1)
    with Predictor(model, cache_dir=tmp_path) as p:
        r1 = run_suite(suite, p, cases=cases)
    texts = cases.texts()
    assert r1.prediction_stats["requested"] == len(texts)
    assert r1.prediction_stats["unique"] == len(set(texts)) < len(texts)
    assert r1.prediction_stats["forward_passes"] >= 1
    calls = model.calls
    with Predictor(model, cache_dir=tmp_path) as p:
        r2 = run_suite(suite, p, cases=cases)
    assert r2.prediction_stats["forward_passes"] == 0 and model.calls == calls
    assert r2.test_table().equals(r1.test_table())
    # a new checkpoint recomputes only its own predictions
    m2 = FakeSentiment(2, bias=0.5)
    with Predictor(m2, cache_dir=tmp_path) as p:
        r3 = run_suite(suite, p, cases=cases)
    assert r3.prediction_stats["computed"] == len(set(texts))
    with Predictor(model, cache_dir=tmp_path) as p:
        assert run_suite(suite, p, cases=cases).prediction_stats["forward_passes"] == 0


def test_seeds_are_per_case():
    s1 = small_suite()
    c1 = {(c.test, c.id): c.variants[0].text for c in generate_cases(s1).cases if c.variants}
    s2 = small_suite()
    s2.tests.insert(0, INV("extra", perturbation="typo"))
    c2 = {(c.test, c.id): c.variants[0].text for c in generate_cases(s2).cases if c.variants}
    assert all(c2[k] == v for k, v in c1.items())
    c3 = {(c.test, c.id): c.variants[0].text for c in generate_cases(s1, seed=7).cases if c.variants}
    assert any(c3[k] != v for k, v in c1.items() if k[0] == "typos")


def test_yaml_json_roundtrip_and_cases_jsonl(tmp_path):
    suite = small_suite()
    for ext in ("yaml", "json"):
        save_suite(suite, tmp_path / f"s.{ext}")
        back = load_suite(tmp_path / f"s.{ext}")
        assert back.to_dict() == suite.to_dict()
    cs = generate_cases(suite)
    save_cases(cs, tmp_path / "c.jsonl")
    cs2 = load_cases(tmp_path / "c.jsonl")
    assert [c.to_dict() for c in cs2.cases] == [c.to_dict() for c in cs.cases]
    r1 = run_suite(suite, lexicon_sentiment, cases=cs, cache=False)
    r2 = run_suite(suite, lexicon_sentiment, cases=cs2, cache=False)
    assert r1.cases.equals(r2.cases)


def test_bad_suites(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("name: x\ntests:\n  - {name: a, type: FOO}\n")
    with pytest.raises(InputError, match="E607"):
        load_suite(p)
    p.write_text("name: x\ntests:\n  - {name: a, type: INV, perturbation: nope}\n")
    with pytest.raises(InputError, match="E603"):
        load_suite(p)
    p.write_text("name: x\ntests:\n  - {name: a, type: INV, perturbation: typo, min_pass_rate: 3}\n")
    with pytest.raises(InputError, match="E614"):
        load_suite(p)
    p.write_text("name: x\ntests: [\n")
    with pytest.raises(InputError, match="E605"):
        load_suite(p)
    with pytest.raises(InputError, match="E608"):
        load_suite("no-such-suite")
    with pytest.raises(InputError, match="E613"):
        generate_cases(Suite("x", [INV("a", perturbation="typo")]))
    with pytest.raises(InputError, match="E609"):
        generate_cases(Suite("x", [MFT("a", templates=["{nope}"], expect={"label": "x"})]))


def test_ner_inv_flip_table_and_mft_entities():
    data = [Example("We met Maria in Paris.", spans=(Span(7, 12, "PER"), Span(16, 21, "LOC"))),
            Example("and John went to London.", spans=(Span(4, 8, "PER"), Span(17, 23, "LOC")))]
    suite = Suite("ner", [
        MFT("cities", templates=["I live in {city}."], lexicons={"city": ["Paris", "Berlin", "Lima"]},
            expect={"entities": {"city": "LOC"}}, min_pass_rate=0.5),
        INV("cities swap", perturbation="city", params={"names": ["Paris", "London", "Springfield"]}),
        INV("lower", perturbation="case", params={"mode": "lower"}),
        INV("to springfield", cases=[["We met Maria in Paris.", "We met Maria in Springfield."],
                                     ["and John went to London.", "and John went to Springfield."]]),
    ], task="ner", data=data, min_cases=0)
    res = run_suite(suite, FakeNER(), cache=False)
    s = res.test_table().set_index("name")
    assert s.loc["cities", "pass_rate"] == 1.0
    assert s.loc["lower", "pass_rate"] == 0.0  # lowercase kills the capitalisation heuristic
    ft = res.flip_table("lower")
    assert ft.loc["PER", "O"] >= 2 and ft.loc["LOC", "O"] >= 2
    ft = res.flip_table("cities swap")
    assert "flipped" in set(res.entities["outcome"]) or "kept" in set(res.entities["outcome"])
    swapped = res.entities[(res.entities["test"] == "cities swap") & (res.entities["entity_type"] == "LOC")]
    assert set(swapped["new_text"]) <= {"Paris", "London", "Springfield"} and len(swapped) == 2
    assert set(res.by_slice("entity_type")["slice"]) <= {"PER", "LOC", "O"}
    fs = res.flip_summary("lower").set_index("entity_type")
    assert fs.loc["PER", "n"] == (res.entities.query("test == 'lower' and entity_type == 'PER'")).shape[0]
    assert fs.loc["PER", "missed"] == fs.loc["PER", "n"] and fs.loc["PER", "kept_rate"] == 0.0
    all_fs = res.flip_summary()
    assert all_fs["n"].sum() == len(res.entities)
    assert (all_fs[["kept", "flipped", "boundary", "missed", "deleted", "spurious"]].sum(axis=1) == all_fs["n"]).all()
    spring = res.flip_summary("to springfield").set_index("entity_type")
    assert spring.loc["LOC", "flipped"] == 2 and spring.loc["LOC", "top_flips"] == "PER 2"
    assert spring.loc["PER", "kept"] == 2 and spring.loc["PER", "top_flips"] == ""
    assert res.flip_table("to springfield").loc["LOC", "PER"] == 2
    ents = res.entities
    for row in all_fs.itertuples():
        flipped = ents[(ents["entity_type"] == row.entity_type) & ents["outcome"].isin(["flipped", "spurious"])]
        assert row.flipped + row.spurious == len(flipped)
        named = [x.rsplit(" ", 1) for x in row.top_flips.split(", ")] if row.top_flips else []
        assert all((flipped["flipped_to"] == lab).sum() == int(c) for lab, c in named)
        assert bool(named) == (len(flipped) > 0)


def test_mcnemar_against_binomial():
    from math import comb

    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(3, 3) == 1.0
    p = mcnemar_exact(8, 1)
    assert abs(p - 2 * sum(comb(9, k) for k in range(2)) / 2 ** 9) < 1e-12
    try:
        from scipy.stats import binomtest
    except ImportError:
        return
    for b, c in [(8, 1), (20, 9), (5, 0), (13, 13)]:
        assert abs(mcnemar_exact(b, c) - binomtest(min(b, c), b + c, 0.5).pvalue) < 1e-9


def test_compare_regressions():
    suite = small_suite()
    cases = generate_cases(suite)
    base = run_suite(suite, FakeSentiment(1), cases=cases, cache=False)
    worse = run_suite(suite, FakeSentiment(3, bias=-2.0), cases=cases, cache=False)
    comp = compare_results(base, worse)
    row = comp.set_index("name").loc["pos"]
    assert row["regressions"] == 4 and row["fixes"] == 0 and row["p_value"] == mcnemar_exact(4, 0)
    same = compare_results(base, base)
    assert (same["regressions"] == 0).all() and not same["significant_regression"].any()


def _write_suite(tmp_path, min_rate):
    suite = small_suite()
    for t in suite.tests:
        t.min_pass_rate = min_rate
    path = tmp_path / f"suite{min_rate}.yaml"
    save_suite(suite, path)
    return path


def test_cli_contract(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "sentmodel.py").write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom _suites_helpers import lexicon_sentiment as predict\n"
        "from _suites_helpers import sentiment_probs\n"
        "def bad(texts):\n    return [sentiment_probs(t, bias=-3.0) for t in texts]\n"
        % str(__import__("pathlib").Path(__file__).parent))
    monkeypatch.setenv("NLPERR_CACHE_DIR", str(tmp_path / "cache"))
    ok = _write_suite(tmp_path, 0.0)
    js, xml = tmp_path / "r.json", tmp_path / "r.xml"
    assert main(["suite", "run", str(ok), "--model", "callable:sentmodel:predict", "--json", str(js),
                 "--junit", str(xml), "--seed", "3", "--quiet"]) == 0
    rep = json.loads(js.read_text())
    assert rep["passed"] is True
    assert set(rep["tests"][0]) >= {"name", "type", "n", "pass_rate", "min_pass_rate", "passed"}
    root = ET.parse(xml).getroot()
    assert root.tag == "testsuites" and len(root.find("testsuite").findall("testcase")) == 5
    strict = _write_suite(tmp_path, 1.0)
    assert main(["suite", "run", str(strict), "--model", "callable:sentmodel:bad", "--json", str(js),
                 "--junit", str(xml), "--quiet", "--overwrite"]) == 1
    rep = json.loads(js.read_text())
    assert rep["passed"] is False and any(not t["passed"] for t in rep["tests"])
    assert ET.parse(xml).getroot().find("testsuite").get("failures") != "0"
    # significant regression against a baseline -> 1 even with min_pass_rate 0 (--allow-empty: the
    # bad model predicts negative everywhere, so the DIR test's only_if_pred_not leaves no case)
    assert main(["suite", "run", str(ok), "--model", "callable:sentmodel:bad", "--allow-empty",
                 "--baseline", "callable:sentmodel:predict", "--json", str(js), "--quiet",
                 "--overwrite"]) in (0, 1)
    rep = json.loads(js.read_text())
    assert rep["passed"] == (not any(t.get("significant_regression") for t in rep["tests"]))
    # usage / input errors -> 2
    assert main(["suite", "run", "no-such-suite", "--model", "callable:sentmodel:predict"]) == 2
    with pytest.raises(SystemExit) as e:
        main(["suite", "run", str(ok)])
    assert e.value.code == 2
    assert main(["suite", "list"]) == 0
    out = tmp_path / "cases.jsonl"
    assert main(["suite", "generate", str(ok), "--out", str(out)]) == 0
    assert main(["suite", "run", str(ok), "--model", "callable:sentmodel:predict", "--cases", str(out),
                 "--quiet"]) == 0


def test_pytest_helper():
    res = assert_suite_passes(small_suite(), lexicon_sentiment, cache=False, tests=["pos", "upper"])
    assert [t.name for t in res.tests] == ["pos", "upper"]
    with pytest.raises(SuiteFailed, match="pos"):
        assert_suite_passes(small_suite(), FakeSentiment(9, bias=-3.0), cache=False)


def test_core_import_stays_light():
    import subprocess
    import sys
    code = ("import nlperr.suites, nlperr.perturb, sys; "
            "print([m for m in ('torch','spacy','transformers','datasets') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_silent_drops_or_ignored_options(tmp_path):
    suite = small_suite()
    # a default template cap that samples says so (W604); an explicit max_cases does not
    big = Suite("big", [MFT("names", templates=["{first_name} and {first_name2} liked it."],
                            expect={"label": "positive"})])
    with pytest.warns(NlperrWarningT, match="W604"):
        cs = generate_cases(big)
    assert len(cs) == 1000
    big.tests[0].max_cases = 50
    with warnings.catch_warnings():
        warnings.simplefilter("error", NlperrWarningT)
        assert len(generate_cases(big)) == 50
    # unknown test names are errors, not ignored
    with pytest.raises(InputError, match="E207"):
        generate_cases(suite, tests=["pos", "no such test"])
    # data / seed next to ready cases would be ignored: refused
    cases = generate_cases(suite)
    with pytest.raises(InputError, match="E606"):
        run_suite(suite, lexicon_sentiment, cases=cases, seed=3, cache=False)
    with pytest.raises(InputError, match="E606"):
        run_suite(suite, lexicon_sentiment, cases=cases, data=["x"], cache=False)
    path = tmp_path / "c.jsonl"
    save_cases(cases, path)
    assert main(["suite", "run", str(_write_suite(tmp_path, 0.0)), "--model", "callable:nope:f",
                 "--cases", str(path), "--seed", "2"]) == 2


def test_ner_entity_deleted_by_an_edit_is_counted():
    suite = Suite("ner", [INV("drop a name", cases=[["We met Maria in Paris.", "We met in Paris."]])],
                  task="ner", min_cases=0)
    res = run_suite(suite, FakeNER(), cache=False)
    ents = res.entities.set_index("text")
    assert ents.loc["Maria", "outcome"] == "deleted" and bool(ents.loc["Maria", "passed"])
    assert ents.loc["Paris", "outcome"] == "kept"
    assert res.test_table().loc[0, "pass_rate"] == 1.0
    assert res.flip_table().loc["PER", "deleted"] == 1


@pytest.mark.parametrize("expect, field", [
    ({"label": {"plus": None}, "direction": "increase"}, "expect.label"),
    ({"label": {"plus": "positive"}, "direction": "increase"}, "expect.label"),
    ({"label": {"more": ["positive"]}, "direction": "increase"}, "expect.label"),
    ({"label": {}, "direction": "increase"}, "expect.label"),
    ({"label": ["positive"], "direction": "increase"}, "expect.label"),
    ({"label": -1, "direction": "increase"}, "expect.label"),
    ({"label": "positive", "direction": "increase", "only_if_pred_not": {"a": 1}},
     "expect.only_if_pred_not"),
    ({"label": "positive", "direction": "increase", "only_if_pred_not": [None]},
     "expect.only_if_pred_not"),
])
def test_dir_expectations_of_the_wrong_shape_are_refused_when_the_suite_is_read(expect, field):
    """Each ran until the first case and ended in a bare TypeError (found by giving the
    shipped suite's fields random values)."""
    with pytest.raises(InputError, match=rf"E606.*{field}"):
        DIR("d", perturbation="negation", expect=expect)
    DIR("d", perturbation="negation",
        expect={"label": {"plus": ["positive", 2], "minus": ["negative"]},
                "direction": "increase", "only_if_pred_not": ["neutral", 0]})


def test_a_class_index_outside_the_labels_is_named():
    suite = Suite("s", [MFT("m", cases=[{"text": "a", "label": 1}])],
                  labels=["negative", "positive"])
    assert suite.label_name(1) == "positive" and suite.label_name("x") == "x"
    with pytest.raises(InputError, match=r"E606.*0 to 1"):
        suite.label_name(5)


@pytest.mark.parametrize("expect, field", [
    ({"entities": {"city": 2}}, "expect.entities"),
    ({"entities": ["PER"]}, "expect.entities"),
    ({"label": ["positive"]}, "expect.label"),
    ({"labels": "positive"}, "expect.labels"),
    ({"not_label": None}, "expect.not_label"),
    ({"exact": "yes"}, "expect.exact"),
])
def test_mft_expectations_of_the_wrong_shape_are_refused_when_the_suite_is_read(expect, field):
    with pytest.raises(InputError, match=rf"E606.*{field}"):
        MFT("m", templates=["{city} is big"], expect=expect)


@pytest.mark.parametrize("aliases", ["{", {"PER": 1.5}, {"PER": [["PERSON"]]}])
def test_label_aliases_of_the_wrong_shape_are_refused(aliases):
    doc = {"name": "s", "task": "ner", "meta": {"label_aliases": aliases},
           "tests": [{"name": "m", "type": "MFT", "templates": ["{city} is big"],
                      "expect": {"entities": {"city": "LOC"}}}]}
    with pytest.raises(InputError, match=r"E606.*meta\.label_aliases"):
        load_suite(doc)
