"""nlperr.drift: statistics against brute force, inputs, windows, outputs, errors."""

from __future__ import annotations

import json
import math
import unicodedata

import numpy as np
import pandas as pd
import pytest

from nlperr.data import Example, Span
from nlperr.drift import (CHAR_CLASSES, DriftResult, as_drift_data, char_class_counts,
                          detect_drift, log_odds_dirichlet, parse_window, split_windows)
from nlperr.drift.detect import TEST_COLUMNS
from nlperr.drift.explain import EXPLANATION_COLUMNS
from nlperr.drift.features import text_features
from nlperr.drift.tests import Comparison, _perm_specs
from nlperr.errors import InputError, NlperrWarning
from nlperr.results import load

WORDS = ("the a of and to in is it that was for on with as this but movie film good bad "
         "great story plot acting scene time very really just so not like").split()
FOOD = "food service place restaurant menu waiter delicious pizza burger staff".split()


def texts(n, seed, vocab=WORDS, length=(4, 14)):
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, len(vocab) + 1)
    p /= p.sum()
    return [" ".join(rng.choice(vocab, size=rng.integers(*length), p=p)) for _ in range(n)]


def test_char_class_counts_match_unicodedata():
    samples = ["Ab 1!", "Ärger – 3€\tok", "日本語 テスト", "x\u0301y", "𝔘nicode 😀"]
    got = char_class_counts(samples)
    for row, s in zip(got, samples):
        want = [0] * len(CHAR_CLASSES)
        for ch in s:
            cat = unicodedata.category(ch)
            k = (4 if ch.isspace() else 0 if cat == "Ll" else 1 if cat in ("Lu", "Lt")
                 else 2 if cat[0] == "L" else 3 if cat[0] == "N" else 5 if cat[0] == "P"
                 else 6 if cat[0] == "S" else 7)
            want[k] += 1
        assert row.tolist() == want, s


def test_log_odds_matches_brute_force():
    cur = np.array([30.0, 5, 0, 12])
    ref = np.array([10.0, 5, 8, 40])
    delta, z = log_odds_dirichlet(cur, ref, prior_strength=0.5)
    pooled = cur + ref
    a0 = 0.5 * pooled.sum()
    for w in range(4):
        a = a0 * pooled[w] / pooled.sum()
        d = (math.log((cur[w] + a) / (cur.sum() + a0 - cur[w] - a))
             - math.log((ref[w] + a) / (ref.sum() + a0 - ref[w] - a)))
        assert delta[w] == pytest.approx(d)
        assert z[w] == pytest.approx(d / math.sqrt(1 / (cur[w] + a) + 1 / (ref[w] + a)))
    assert z[0] > 0 > z[2]


def _brute_oov(cur_texts, ref_texts):
    vocab = {w for t in ref_texts for w in t.lower().split()}
    toks = [w for t in cur_texts for w in t.lower().split()]
    return sum(w not in vocab for w in toks) / len(toks)


def test_permutation_statistics_match_recomputation_from_texts():
    """The vectorised statistics (functions of group sums) equal a direct
    recomputation on the permuted texts."""
    from nlperr.stats import jensen_shannon

    cur, ref = texts(15, 1), texts(20, 2, vocab=WORDS + FOOD)
    pooled = as_drift_data(cur + ref)
    feats = text_features(pooled.texts)
    cmp = Comparison(data=pooled, features=feats, n_current=15, n_permutations=0, seed=0,
                     top_k=10)
    specs = {s.name: s for s in _perm_specs(cmp, {"oov_rate", "token_distribution"})}
    rng = np.random.default_rng(5)
    for _ in range(20):
        pick = rng.permutation(35)
        c_idx, r_idx = pick[:15], pick[15:]
        ct = [pooled.texts[i] for i in c_idx]
        rt = [pooled.texts[i] for i in r_idx]
        for name, s in specs.items():
            block = s.block.toarray()
            c = block[c_idx].sum(0)[None]
            r = block[r_idx].sum(0)[None]
            got = float(s.stat(c, r)[0])
            if name == "oov_rate":
                assert got == pytest.approx(_brute_oov(ct, rt))
            else:
                counts = pd.Series([w for t in pooled.texts for w in t.split()]).value_counts()
                # ties at the cut go to the alphabetically first word
                top = set(sorted(counts.index, key=lambda w: (-counts[w], w))[:10])

                def dist(ts):
                    ws = [w for t in ts for w in t.split()]
                    v = [sum(w == x for w in ws) for x in feats.word_types
                         if x in top]
                    return np.array(v + [sum(w not in top for w in ws)], float)
                assert got == pytest.approx(float(jensen_shannon(dist(ct), dist(rt))))


def test_observed_statistics_and_direction():
    ref, cur = texts(80, 1), texts(80, 2, vocab=WORDS + FOOD)
    res = detect_drift(ref, cur, seed=0, n_permutations=199)
    t = res.tables["tests"].set_index("test")
    assert t.loc["oov_rate", "statistic"] == pytest.approx(_brute_oov(cur, ref))
    assert res.drift and t.loc["oov_rate", "drift"] and t.loc["token_distribution", "drift"]
    ex = res.tables["explanations"]
    new = ex[(ex["test"] == "oov_rate") & (ex["kind"] == "new_word")]["item"].tolist()
    assert new and set(new) <= set(FOOD)
    words = ex[(ex["test"] == "token_distribution") & (ex["kind"] == "word")]["item"].head(5)
    assert set(words) <= set(FOOD)
    assert list(res.tables["tests"].columns) == TEST_COLUMNS
    assert list(ex.columns) == EXPLANATION_COLUMNS
    assert any("food" in f.message or "service" in f.message for f in res.findings)


def test_no_drift_on_same_distribution_and_p_values_are_spread():
    ps = []
    for r in range(6):
        res = detect_drift(texts(40, 10 + r), texts(40, 100 + r), seed=r, n_permutations=99,
                           tests=["length_chars", "oov_rate", "token_distribution",
                                  "char_classes", "ocr_garbage"])
        ps += res.tables["tests"]["p_value"].tolist()
    ps = np.array(ps)
    assert (ps <= 0.01).mean() < 0.1
    assert 0.25 < ps.mean() < 0.75


def test_deterministic_for_a_seed():
    ref, cur = texts(50, 1), texts(50, 2)
    a = detect_drift(ref, cur, seed=3, n_permutations=199)
    b = detect_drift(ref, cur, seed=3, n_permutations=199)
    pd.testing.assert_frame_equal(a.tables["tests"], b.tables["tests"])
    assert a.to_json() == b.to_json()


def test_save_and_load_round_trip(tmp_path):
    res = detect_drift(texts(60, 1), texts(60, 2, vocab=WORDS + FOOD), seed=0,
                       n_permutations=299)
    res.save(tmp_path, formats=("json", "csv"))
    back = load(tmp_path)
    assert isinstance(back, DriftResult)
    assert back.summary == json.loads((tmp_path / "summary.json").read_text())
    assert back.summary["drift"] is True
    def norm(df):  # missing text cells come back as NaN, not None
        return df.astype(object).where(df.notna(), None)
    for name, df in res.tables.items():
        pd.testing.assert_frame_equal(norm(back.tables[name]), norm(df), check_dtype=False)
    assert [f.message for f in back.findings] == [f.message for f in res.findings]


def test_summary_contract():
    res = detect_drift(texts(30, 1), texts(30, 2), seed=0, n_permutations=199)
    s = json.loads(res.to_json())
    assert {"drift", "alpha", "tests", "correction", "n_permutations"} <= set(s)
    for t in s["tests"]:
        assert {"name", "statistic", "p_value", "adjusted_p_value", "drift"} <= set(t)
    assert "Holm" in s["correction_note"]


def test_windows_by_time_and_by_count():
    base = pd.Timestamp("2024-05-01", tz="UTC")
    cur = pd.DataFrame({"text": texts(90, 3),
                        "timestamp": [(base + pd.Timedelta(hours=h)).isoformat()
                                      for h in range(0, 90 * 8, 8)]})
    data = as_drift_data(cur)
    days = split_windows(data, "daily")
    assert [len(w.index) for w in days] == [3] * 30
    weeks = split_windows(data, "weekly")
    assert sum(len(w.index) for w in weeks) == 90 and weeks[0].key == "2024-04-29"  # a Monday
    blocks = split_windows(data, 40)
    assert [len(w.index) for w in blocks] == [40, 40, 10] and blocks[0].key == "1-40"
    assert parse_window("7D")[0] == "time" and parse_window("500") == ("count", 500)
    with pytest.raises(InputError, match="E1002"):
        parse_window("fortnightly-ish")
    with pytest.raises(InputError, match="E1002"):
        parse_window(0)
    with pytest.raises(InputError, match="E1003"):
        split_windows(as_drift_data(texts(10, 1)), "daily")


def test_windows_in_detect_drift_shift_in_the_last_window():
    base = pd.Timestamp("2024-05-01", tz="UTC")
    cur_texts = texts(60, 3) + texts(30, 4, vocab=FOOD + WORDS[:5])
    cur = pd.DataFrame({"text": cur_texts,
                        "timestamp": [base + pd.Timedelta(days=i // 30) for i in range(90)]})
    res = detect_drift(texts(120, 1), cur, window="daily", seed=0,
                       tests=["oov_rate", "token_distribution", "length_tokens"])
    w = res.tables["windows"]
    assert w["window"].tolist() == ["2024-05-01", "2024-05-02", "2024-05-03"]
    assert w["drift"].tolist() == [False, False, True]
    assert res.summary["n_windows"] == 3 and "9 p-values" in res.summary["correction_note"]
    # the default permutation count leaves room for the correction over 9 p-values
    assert 9 / (res.summary["n_permutations"] + 1) <= 0.05
    with pytest.warns(NlperrWarning, match="W1003"):
        detect_drift(texts(60, 1), cur.iloc[:65], window="daily", seed=0,
                     tests=["length_chars"], min_window_size=10)


def test_log_inputs_jsonl_and_csv(tmp_path):
    ref = tmp_path / "ref.jsonl"
    cur = tmp_path / "cur.csv"
    rng = np.random.default_rng(0)
    with open(ref, "w") as fh:
        for i, t in enumerate(texts(60, 1)):
            fh.write(json.dumps({"text": t, "timestamp": 1714521600 + i * 60,
                                 "prediction": "pos" if i % 2 else "neg",
                                 "confidence": float(rng.uniform(0.7, 1.0))}) + "\n")
    rows = [{"text": t, "timestamp": f"2024-05-02T{i % 24:02d}:00:00Z",
             "prediction": "pos" if i % 5 else "neg", "confidence": rng.uniform(0.4, 0.8)}
            for i, t in enumerate(texts(60, 2))]
    pd.DataFrame(rows).to_csv(cur, index=False)
    d = as_drift_data(str(ref))
    assert d.labels[:2] == ["neg", "pos"] and d.timestamps[0] == pd.Timestamp(
        "2024-05-01", tz="UTC")
    c = as_drift_data(cur)
    assert c.has_labels and c.has_confidence and c.timestamps is not None
    res = detect_drift(ref, cur, seed=0, n_permutations=199)
    t = res.tables["tests"].set_index("test")
    assert t.loc["confidence", "drift"] and t.loc["label_distribution", "status"] == "ok"
    assert t.loc["entity_types", "status"] == "skipped"
    assert t.loc["label_distribution", "drift"]  # 50 % neg in reference, 20 % in current
    ex = res.tables["explanations"]
    assert ex[(ex["test"] == "label_distribution")]["item"].iloc[0] == "pos"


def test_examples_with_spans_new_entities():
    def ex(i, name, label):
        text = f"Yesterday {name} said hello to the team number {i}"
        return Example(text, spans=(Span(10, 10 + len(name), label),), id=f"e{i}")
    ref = [ex(i, ["Alice", "Bob", "Carol"][i % 3], "PER") for i in range(60)]
    cur = [ex(i, ["Alice", "Zyphra", "Quantix"][i % 3], ["PER", "PRODUCT", "ORG"][i % 3])
           for i in range(60)]
    res = detect_drift(ref, cur, seed=0, n_permutations=199,
                       tests=["entity_types", "new_entity_rate", "length_chars"])
    t = res.tables["tests"].set_index("test")
    assert t.loc["new_entity_rate", "drift"] and t.loc["entity_types", "drift"]
    assert t.loc["new_entity_rate", "statistic"] == pytest.approx(40 / 60)
    ex_ = res.tables["explanations"]
    assert set(ex_[ex_["kind"] == "new_entity"]["item"]) == {"zyphra", "quantix"}
    assert set(ex_[(ex_["kind"] == "entity_type") & (ex_["score"] > 0)]["item"]) == {
        "PRODUCT", "ORG"}


def test_ocr_noise_is_explained_by_character_classes():
    from nlperr.ocr import NoiseModel

    clean = texts(150, 1, vocab=[w.capitalize() for w in WORDS[:10]] + WORDS, length=(10, 20))
    noise = NoiseModel.default()
    noisy = [noise.apply(t, cer=0.08, seed=i)[0] for i, t in enumerate(texts(150, 2,
             vocab=[w.capitalize() for w in WORDS[:10]] + WORDS, length=(10, 20)))]
    res = detect_drift(clean, noisy, seed=0, tests=["char_classes", "ocr_garbage", "oov_rate"])
    assert res.drift
    ex = res.tables["explanations"]
    grew = ex[(ex["test"] == "char_classes") & (ex["kind"] == "char_class")]
    assert grew.iloc[0]["item"] in ("digit", "punctuation", "symbol")


def test_embedding_mmd_with_a_callable_and_brute_force_mmd():
    from nlperr.drift.embed import gaussian_mmd2

    rng = np.random.default_rng(0)
    E = rng.normal(size=(9, 3))
    K = np.exp(-((E[:, None] - E[None]) ** 2).sum(-1))
    w = np.r_[np.full(4, 1 / 4), np.full(5, -1 / 5)]
    brute = K[:4, :4].mean() + K[4:, 4:].mean() - 2 * K[:4, 4:].mean()
    assert gaussian_mmd2(K, w[:, None])[0] == pytest.approx(brute)

    def embed(ts):  # a deterministic toy encoder: food-word share and length
        return np.array([[sum(w in FOOD for w in t.split()) / max(1, len(t.split())),
                          len(t) / 100] for t in ts])
    res = detect_drift(texts(60, 1), texts(60, 2, vocab=WORDS + FOOD), model=embed, seed=0,
                       n_permutations=199, tests=["embedding_mmd"])
    assert res.tables["tests"].iloc[0]["drift"]
    same = detect_drift(texts(60, 1), texts(60, 2), model=embed, seed=0, n_permutations=199,
                        tests=["embedding_mmd"])
    assert same.tables["tests"].iloc[0]["p_value"] > 0.01
    with pytest.raises(InputError, match="E1007"):
        detect_drift(texts(10, 1), texts(10, 2), model=lambda ts: np.zeros(3),
                     tests=["embedding_mmd"])


def test_errors_and_warnings():
    ref, cur = texts(20, 1), texts(20, 2)
    with pytest.raises(InputError, match="E1006"):
        detect_drift(ref, cur, alpha=1.5)
    with pytest.raises(InputError, match="E1005"):
        detect_drift(ref, cur, tests=["lenght"])
    with pytest.raises(InputError, match="E1001"):
        detect_drift(ref[:2], cur)
    with pytest.raises(InputError, match="E207"):
        detect_drift(ref, cur, correction="bonferroni")
    with pytest.raises(InputError, match="E1000"):
        detect_drift(ref, 42)
    with pytest.raises(InputError, match="E1006"):
        detect_drift(ref, cur, n_permutations=5)
    with pytest.warns(NlperrWarning, match="W1000"):
        detect_drift(ref, cur, tests=["confidence", "length_chars"], n_permutations=99)
    with pytest.warns(NlperrWarning, match="W1001"):
        detect_drift(ref, cur, tests=["oov_rate", "token_distribution"], n_permutations=19)
    with pytest.raises(InputError, match="E1004"):
        as_drift_data(pd.DataFrame({"text": ["a"], "timestamp": ["not a date"]}))


def test_figures_draw_from_the_table():
    pytest.importorskip("matplotlib")
    res = detect_drift(texts(40, 1), texts(40, 2, vocab=WORDS + FOOD), seed=0,
                       n_permutations=199)
    figs = res.figures
    assert set(figs) == {"statistics", "p_values"}
    for make in figs.values():
        fig = make()
        assert fig.axes
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    assert res.figures["p_values"](ax=ax) is ax.figure
    bars = [p.get_width() for p in ax.patches]
    t = res.tables["tests"]
    q = t[t["status"] == "ok"]["adjusted_p_value"].to_numpy()
    assert np.allclose(sorted(bars), sorted(-np.log10(q)))


def test_import_is_light():
    import subprocess
    import sys

    code = ("import sys, nlperr.drift, nlperr.stats; print(','.join(m for m in ('torch', "
            "'transformers', 'spacy', 'matplotlib', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def test_statistics_do_not_depend_on_the_order_of_texts_within_a_set():
    """A statistic that depends on row order (e.g. top-k ties broken by first
    appearance, which favours current words) would make the permutation test
    anti-conservative: this was a real bug, caught by the calibration study."""
    ref, cur = texts(70, 1), texts(70, 2, vocab=WORDS + FOOD[:3])
    tests = ["length_chars", "oov_rate", "token_distribution", "char_classes", "ocr_garbage"]
    a = detect_drift(ref, cur, seed=0, n_permutations=199, tests=tests, top_k=12)
    rng = np.random.default_rng(1)
    b = detect_drift([ref[i] for i in rng.permutation(70)], [cur[i] for i in rng.permutation(70)],
                     seed=0, n_permutations=199, tests=tests, top_k=12)
    assert np.allclose(a.tables["tests"]["statistic"], b.tables["tests"]["statistic"])


def test_degenerate_inputs():
    res = detect_drift(["", "", "a", "b b", "", "x"] * 3, [""] * 18, seed=0,
                       tests=["oov_rate", "length_chars", "token_distribution"])
    t = res.tables["tests"].set_index("test")
    assert t.loc["oov_rate", "status"] == "undefined" and not t.loc["oov_rate", "drift"]
    assert "over 2 p-values" in res.summary["correction_note"]
    same = detect_drift(["same text"] * 10, ["same text"] * 10, seed=0)
    ok = same.tables["tests"][same.tables["tests"]["status"] == "ok"]
    assert (ok["p_value"] == 1.0).all() and not same.drift


def test_model_specs():
    from nlperr.drift.embed import embedding_function

    fn = embedding_function("callable:nlperr.drift.features:char_class_counts")
    assert fn(["Ab 1!"]).tolist() == [[1, 1, 0, 1, 1, 1, 0, 0]]
    with pytest.raises(InputError, match="E207"):
        embedding_function("callable:nlperr.nope:f")
    with pytest.raises(InputError, match="E207"):
        embedding_function("no-such-model-folder")


def test_csv_probability_columns(tmp_path):
    p = tmp_path / "log.csv"
    pd.DataFrame({"text": ["a b", "c d"], "prob_pos": [0.9, 0.2], "prob_neg": [0.1, 0.8]}
                 ).to_csv(p, index=False)
    assert as_drift_data(p).confidence.tolist() == [0.9, 0.8]


@pytest.mark.parametrize("record, field", [
    ({"text": "a", "confidence": 10 ** 400}, "confidence"),
    ({"text": "a", "probs": {"POS": "high"}}, "probs"),
    ({"text": "a", "probs": {"POS": [1]}}, "probs"),
    ({"text": "Ada", "spans": [{"start": 0, "end": "x", "label": "PER"}]}, "spans"),
    ({"text": "Ada", "spans": [[0, [3], "PER"]]}, "spans"),
    ({"text": "Ada", "spans": [[0, float("inf"), "PER"]]}, "spans"),
])
def test_log_values_of_the_wrong_kind_name_their_record(tmp_path, record, field):
    """Found by replacing values of log records at random: each gave a bare
    ValueError / TypeError / OverflowError."""
    with pytest.raises(InputError, match=rf"E1008.*{field}"):
        as_drift_data(pd.DataFrame([record]))
    if field == "confidence":
        p = tmp_path / "log.jsonl"
        p.write_text(json.dumps(record) + "\n", encoding="utf-8")
        with pytest.raises(InputError, match=r"E1008.*log\.jsonl:1"):
            as_drift_data(p)
