"""Binary models on three-class suites (CheckList's neutral band), min_pass_rate overrides, Wilson
intervals and CheckList fail rates in the reports, exit codes."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlperr.cli import main
from nlperr.errors import InputError
from nlperr.stats import wilson_interval
from nlperr.suites import INV, MFT, DIR, Suite, load_suite, run_suite, save_suite
from nlperr.suites.binary import DEFAULT_NEUTRAL_BAND, apply_neutral_band, three_way_probs
from nlperr.data import Example

from _suites_helpers import sentiment_probs

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CHECKLIST = SHARED / "checklist_sentiment" / "sentiment_suite.tar.gz"
LABELS = ["negative", "neutral", "positive"]

pytestmark = pytest.mark.filterwarnings("ignore::nlperr.errors.NlperrWarning")


def _checklist_tutorial(pr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference: CheckList's sentiment tutorial turns a binary model's positive probability into three
    classes with a neutral margin of 1/3 around 0.5 (re-written here from its description)."""
    pp = np.zeros((len(pr), 3))
    margin = 1 / 3
    half = margin / 2
    neg, pos = pr < 0.5 - half, pr > 0.5 + half
    pp[neg, 0], pp[neg, 2] = 1 - pr[neg], pr[neg]
    pp[pos, 0], pp[pos, 2] = 1 - pr[pos], pr[pos]
    up = (pr >= 0.5) & ~pos
    pp[up, 1] = 1 - np.abs(pr[up] - 0.5) / margin
    pp[up, 2] = 1 - pp[up, 1]
    down = (pr < 0.5) & ~neg
    pp[down, 1] = 1 - np.abs(pr[down] - 0.5) / margin
    pp[down, 0] = 1 - pp[down, 1]
    return pp.argmax(axis=1), pp


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 1))
def test_three_way_equals_checklist_tutorial(p):
    idx, probs = three_way_probs(p)
    ref_idx, ref = _checklist_tutorial(np.array([p]))
    if abs(p - 1 / 3) > 1e-9 and abs(p - 2 / 3) > 1e-9:  # the edges: our band is closed, the tutorial's open
        assert probs == pytest.approx(tuple(ref[0]), abs=1e-12)
        assert idx == ref_idx[0]
    assert sum(probs) == pytest.approx(1.0)
    assert (idx == 1) == (DEFAULT_NEUTRAL_BAND[0] <= p <= DEFAULT_NEUTRAL_BAND[1])


def test_custom_band_edges():
    assert three_way_probs(0.39, (0.4, 0.6))[0] == 0 and three_way_probs(0.4, (0.4, 0.6))[0] == 1
    assert three_way_probs(0.6, (0.4, 0.6))[0] == 1 and three_way_probs(0.61, (0.4, 0.6))[0] == 2
    assert three_way_probs(0.5, (0.5, 0.5)) == (1, (0.0, 1.0, 0.0))
    ex = apply_neutral_band(Example("x", probs={"negative": 1.0, "positive": 3.0}), (0.4, 0.6), LABELS)
    assert ex.label == "positive" and ex.probs == {"negative": 0.25, "neutral": 0.0, "positive": 0.75}


def binary_model(texts):
    """An SST-2-style model: negative / positive only (the lexicon model renormalised)."""
    out = []
    for t in texts:
        p = sentiment_probs(t)
        z = p["negative"] + p["positive"]
        out.append({"negative": p["negative"] / z, "positive": p["positive"] / z})
    return out


def hf_style_binary(texts):
    return [{"LABEL_0": d["negative"], "LABEL_1": d["positive"]} for d in binary_model(texts)]


def _suite(**kw):
    words = ["food", "seat", "crew", "flight", "plane", "meal"]
    return Suite("three-way", [
        MFT("neutral words", templates=["The {thing} is {adj}."], lexicons={"thing": words,
                                                                             "adj": ["American", "blue", "there"]},
            expect={"label": "neutral"}),
        MFT("positive", templates=["The {thing} was {adj}."], lexicons={"thing": words,
                                                                         "adj": ["good", "great", "nice", "lovely"]},
            expect={"label": "positive"}),
        DIR("praise", cases=[[f"The {w} was fine.", f"The {w} was fine. I love it."] for w in words * 4],
            expect={"label": {"plus": ["positive"], "minus": ["negative"]}, "direction": "increase"}),
    ], labels=LABELS, **kw)


def test_binary_model_scores_zero_on_neutral_without_the_band():
    res = run_suite(_suite(), binary_model, cache=False, min_cases=0)
    s = res.test_table().set_index("name")
    assert s.loc["neutral words", "pass_rate"] == 0.0 and s.loc["neutral words", "fail_rate"] == 1.0
    with_band = run_suite(_suite(), binary_model, cache=False, min_cases=0, neutral_band=True)
    s2 = with_band.test_table().set_index("name")
    assert s2.loc["neutral words", "pass_rate"] == 1.0 and s2.loc["positive", "pass_rate"] == 1.0
    assert s2.loc["praise", "pass_rate"] == 1.0 and s2.loc["praise", "n"] == 24
    assert with_band.prediction_stats["neutral_band"] == list(DEFAULT_NEUTRAL_BAND)
    # the probabilities the DIR test compared are the three-way ones
    assert with_band.cases[with_band.cases["type"] == "DIR"]["original_pred"].str.contains("neutral=").all()
    # the same from the suite file, and a narrower band from run_suite wins over it
    res3 = run_suite(_suite(neutral_band=[0.3, 0.7]), binary_model, cache=False, min_cases=0)
    assert res3.test_table().set_index("name").loc["neutral words", "pass_rate"] == 1.0
    res4 = run_suite(_suite(neutral_band=[0.3, 0.7]), binary_model, cache=False, min_cases=0,
                     neutral_band=[0.9, 0.95])
    assert res4.test_table().set_index("name").loc["neutral words", "pass_rate"] == 0.0  # p = 0.5 is outside
    res5 = run_suite(_suite(neutral_band=[0.3, 0.7]), binary_model, cache=False, min_cases=0, neutral_band=False)
    assert res5.test_table().set_index("name").loc["neutral words", "pass_rate"] == 0.0


def test_label_map_and_band_errors():
    res = run_suite(_suite(), hf_style_binary, cache=False, min_cases=0, neutral_band=True,
                    label_map={"LABEL_0": "negative", "LABEL_1": "positive"})
    assert res.test_table().set_index("name").loc["neutral words", "pass_rate"] == 1.0
    with pytest.raises(InputError, match=r"E620.*LABEL_0.*--label-map"):
        run_suite(_suite(), hf_style_binary, cache=False, neutral_band=True)
    three = lambda texts: [sentiment_probs(t) for t in texts]  # noqa: E731
    with pytest.raises(InputError, match=r"E620.*'neutral'"):
        run_suite(_suite(), three, cache=False, neutral_band=True)
    for bad in ([0.7, 0.3], [0.2], "wide", [0, 1.5]):
        with pytest.raises(InputError, match="E621"):
            run_suite(_suite(), binary_model, cache=False, neutral_band=bad)
        with pytest.raises(InputError, match="E621"):
            _suite(neutral_band=bad)
    with pytest.raises(InputError, match="E622"):
        Suite("two", [MFT("p", templates=["good"], expect={"label": "positive"})], labels=["negative", "positive"],
              neutral_band=True)
    with pytest.raises(InputError, match="E622"):
        run_suite(Suite("two", [MFT("p", templates=["good"], expect={"label": "positive"})]), binary_model,
                  cache=False, neutral_band=True)


def test_band_roundtrips_through_the_suite_file(tmp_path):
    save_suite(_suite(neutral_band=True, min_cases=0), tmp_path / "s.yaml")
    back = load_suite(tmp_path / "s.yaml")
    assert back.neutral_band == pytest.approx([1 / 3, 2 / 3]) and back.min_cases == 0


def test_min_pass_rate_overrides_and_intervals():
    res = run_suite(_suite(), binary_model, cache=False, min_cases=0)
    assert {t.min_pass_rate for t in res.tests} == {0.9}
    relaxed = run_suite(_suite(), binary_model, cache=False, min_cases=0, min_pass_rate=0.0)
    assert {t.min_pass_rate for t in relaxed.tests} == {0.0} and relaxed.passed
    one = run_suite(_suite(), binary_model, cache=False, min_cases=0, min_pass_rate={"neutral words": 0.0})
    assert {t.name: t.min_pass_rate for t in one.tests} == {"neutral words": 0.0, "positive": 0.9, "praise": 0.9}
    with pytest.raises(InputError, match="E207.*'neutral words'"):
        run_suite(_suite(), binary_model, cache=False, min_pass_rate={"no such test": 0.5})
    with pytest.raises(InputError, match="E614"):
        run_suite(_suite(), binary_model, cache=False, min_pass_rate=1.5)
    # Wilson interval and fail rate per test, also at another confidence
    s = run_suite(_suite(), binary_model, cache=False, min_cases=0, confidence=0.9).test_table()
    for r in s.itertuples():
        lo, hi = wilson_interval(r.n - r.failed, r.n, confidence=0.9)
        assert (r.ci_low, r.ci_high) == (lo, hi) and r.fail_rate == r.failed / r.n
        assert r.ci_low <= r.pass_rate <= r.ci_high
    with pytest.raises(InputError, match="E606"):
        run_suite(_suite(), binary_model, cache=False, confidence=95)
    with pytest.raises(InputError, match="E606"):
        run_suite(_suite(), binary_model, cache=False, allow_empty="yes")


@pytest.fixture()
def cli_models(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "binmodel.py").write_text(
        "import sys\nsys.path.insert(0, %r)\nfrom test_suites_binary import binary_model as predict\n"
        "from test_suites_binary import hf_style_binary as hf\n" % str(Path(__file__).parent))
    monkeypatch.setenv("NLPERR_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_cli_neutral_band_min_pass_rate_and_exit_codes(cli_models, capsys):
    path = cli_models / "s.yaml"
    save_suite(_suite(min_cases=0), path)
    js = cli_models / "r.json"
    run = ["suite", "run", str(path), "--model", "callable:binmodel:predict", "--json", str(js),
           "--overwrite"]
    assert main(run) == 1                                   # neutral expected, never predicted
    rep = json.loads(js.read_text())
    t = {x["name"]: x for x in rep["tests"]}["neutral words"]
    assert t["pass_rate"] == 0.0 and t["fail_rate"] == 1.0 and t["ci_low"] == 0.0 and 0 < t["ci_high"] < 0.25
    out = capsys.readouterr().out
    assert "ci_low" in out and "fail_rate" in out
    assert main(run + ["--neutral-band"]) == 0
    out = capsys.readouterr().out
    assert "positive probability in [0.3333, 0.6667] -> neutral" in out
    assert main(run + ["--neutral-band", "0.9,0.95"]) == 1
    assert main(run + ["--min-pass-rate", "0"]) == 0        # every test
    assert main(run + ["--min-pass-rate", "neutral words=0.0"]) == 0
    assert main(run + ["--min-pass-rate", "0", "--min-pass-rate", "neutral words=1"]) == 1  # TEST=RATE wins
    rep = json.loads(js.read_text())
    assert {x["name"]: x["min_pass_rate"] for x in rep["tests"]} == {"neutral words": 1.0, "positive": 0.0,
                                                                     "praise": 0.0}
    hf = ["suite", "run", str(path), "--model", "callable:binmodel:hf", "--neutral-band"]
    assert main(hf) == 2                                    # LABEL_0/LABEL_1: E620 says --label-map
    assert "E620" in capsys.readouterr().err
    assert main(hf + ["--label-map", '{"LABEL_0": "negative", "LABEL_1": "positive"}']) == 0
    for bad in (["--neutral-band", "0.7,0.3"], ["--neutral-band", "x"], ["--min-pass-rate", "high"],
                ["--min-pass-rate", "2"], ["--min-pass-rate", "nope=0.5"], ["--min-cases", "-1"]):
        assert main(run + bad) == 2, bad


def test_cli_a_test_that_matches_nothing_exits_1(cli_models, capsys):
    suite = Suite("dates", [INV("reformat dates", perturbation="date")], data=["No date here.", "Nor here!"],
                  labels=LABELS)
    path = cli_models / "d.yaml"
    save_suite(suite, path)
    run = ["suite", "run", str(path), "--model", "callable:binmodel:predict", "--neutral-band"]
    assert main(run) == 1
    out = capsys.readouterr().out
    assert "FAILED reformat dates: no case evaluated: perturbation 'date' changed none of the 2 example(s)" in out
    assert main(run + ["--allow-empty"]) == 0
    assert "SKIPPED reformat dates" in capsys.readouterr().out
    # too few cases: 2 < the default minimum of 20
    few = Suite("few", [INV("upper", perturbation="case", params={"mode": "upper"})], data=["a b", "c d"],
                labels=LABELS)
    save_suite(few, path)
    assert main(["suite", "run", str(path), "--model", "callable:binmodel:predict", "--neutral-band"]) == 1
    assert "only 2 evaluated case(s), fewer than min_cases=20" in capsys.readouterr().out
    assert main(["suite", "run", str(path), "--model", "callable:binmodel:predict", "--neutral-band",
                 "--min-cases", "2"]) == 0


@pytest.mark.slow  # reads the 38-test CheckList pickle twice (about 4 s each)
@pytest.mark.skipif(not CHECKLIST.exists(), reason="../shared/data/checklist_sentiment is absent")
def test_checklist_suite_on_a_binary_model(tmp_path):
    """The released CheckList sentiment suite, a binary model: without the band every neutral test
    scores 0 and every test fails at min_pass_rate 1.0; with it, neutral is reachable."""
    from nlperr.suites import import_checklist
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        suite = import_checklist(CHECKLIST)
    keep = ["single neutral words", "single positive words", "neutral words in context", "change names"]
    for t in suite.tests:
        if t.name in keep and t.cases and len(t.cases) > 200:
            t.cases = t.cases[:200]
    plain = run_suite(suite, binary_model, tests=keep, cache=False)
    s = plain.test_table().set_index("name")
    assert s.loc["single neutral words", "pass_rate"] == 0.0 and s.loc["neutral words in context", "pass_rate"] == 0
    assert not plain.passed and (s["min_pass_rate"] == 1.0).all()
    assert "fewer than min_cases=20" in s.loc["single neutral words", "message"]  # 13 words only
    band = run_suite(suite, binary_model, tests=keep, cache=False, neutral_band=True,
                     min_pass_rate=0.8, min_cases=10)
    b = band.test_table().set_index("name")
    assert b.loc["single neutral words", "pass_rate"] > 0.5 and b.loc["neutral words in context", "pass_rate"] > 0.5
    assert (b["min_pass_rate"] == 0.8).all()
    # import-time threshold and band, stored in the suite file
    out = tmp_path / "ck.json"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["suite", "import-checklist", str(CHECKLIST), "--out", str(out), "--min-pass-rate", "0.8",
                     "--neutral-band"]) == 0
    d = json.loads(out.read_text())
    assert d["neutral_band"] == pytest.approx([1 / 3, 2 / 3]) and {t["min_pass_rate"] for t in d["tests"]} == {0.8}
    assert not math.isnan(b.loc["single neutral words", "ci_low"])
