"""Gold and predicted label sets that do not match (spaCy's OntoNotes types against
CoNLL's) are detected by analyze_ner (W511, a finding, summary["label_sets"]) and
point to a label map; the OntoNotes->CoNLL map ships as the preset 'ontonotes-conll'."""

from __future__ import annotations

import json
import warnings

import pytest

from nlperr import Example
from nlperr.adapters import CallableAdapter, LabelMap, label_map_presets, load_model
from nlperr.analysis import analyze_ner
from nlperr.analysis import label_set_mismatch
from nlperr.cli import main
from nlperr.engine import predict
from nlperr.errors import InputError, NlperrWarning

import _firsthour_helpers as helpers

WORDS = [["Anna", "met", "Bob", "in", "Rome"], ["Acme", "hired", "Eve"],
         ["It", "rained", "in", "Oslo", "on", "Monday"]]
GOLD_TAGS = [["B-PER", "O", "B-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"],
             ["O", "O", "O", "B-LOC", "O", "O"]]
ONTO_TAGS = [["B-PERSON", "O", "B-PERSON", "O", "B-GPE"], ["B-ORG", "O", "B-PERSON"],
             ["O", "O", "O", "B-GPE", "O", "B-DATE"]]


def _ex(tags):
    return [Example.from_tokens(w, t, id=str(i)) for i, (w, t) in enumerate(zip(WORDS, tags))]


def _w511(record):
    return [w for w in record if issubclass(w.category, NlperrWarning)
            and str(w.message).startswith("[W511]")]


def test_mismatch_is_described_against_a_brute_force_count():
    m = label_set_mismatch(_ex(GOLD_TAGS), _ex(ONTO_TAGS))
    pred_labels = [t[2:] for tags in ONTO_TAGS for t in tags if t.startswith("B-")]
    gold_labels = {t[2:] for tags in GOLD_TAGS for t in tags if t.startswith("B-")}
    unknown = [lab for lab in pred_labels if lab not in gold_labels]
    assert m["n_pred"] == len(pred_labels) == 7
    assert m["share_pred_unknown"] == pytest.approx(len(unknown) / len(pred_labels))
    assert m["mismatch"] is True
    assert m["pred_only"] == ["PERSON", "GPE", "DATE"]  # most frequent first
    assert m["gold_only"] == ["LOC", "PER"] and m["shared"] == ["ORG"]
    # each predicted-only label goes to the gold label it overlaps most; DATE overlaps none
    assert m["suggested_map"] == {"GPE": "LOC", "PERSON": "PER"}
    assert m["preset"] == "ontonotes-conll"


def test_analyze_ner_warns_and_puts_the_finding_first():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        r = analyze_ner(_ex(GOLD_TAGS), _ex(ONTO_TAGS), n_boot=0, slices=(), zero_division=0)
    (w,) = _w511(record)
    text = str(w.message)
    assert "--label-map ontonotes-conll" in text and "label_map='ontonotes-conll'" in text
    assert "PERSON, GPE, DATE" in text and f"micro F1 {r.summary['overall']['f1']:.2f}" in text
    assert str(r.findings[0]) == text and r.summary["findings"][0] == text
    assert r.findings[0].severity == "critical"
    assert r.summary["label_sets"]["mismatch"] is True
    json.dumps(r.summary["label_sets"])  # plain JSON types


def test_no_warning_when_the_labels_match():
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        r = analyze_ner(_ex(GOLD_TAGS), _ex(GOLD_TAGS), n_boot=0, slices=(), zero_division=0)
    assert not _w511(record)
    assert r.summary["label_sets"]["mismatch"] is False
    assert r.summary["label_sets"]["pred_only"] == []
    assert not any("W511" in f for f in r.findings)


def test_no_preset_gives_a_data_driven_json_hint():
    lower = [[t.lower() if t != "O" else t for t in tags] for tags in GOLD_TAGS]
    lower = [[t[:2].upper() + t[2:] if t != "O" else t for t in tags] for tags in lower]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        analyze_ner(_ex(GOLD_TAGS), _ex(lower), n_boot=0, slices=(), zero_division=0)
    (w,) = _w511(record)
    assert "--label-map '{\"loc\": \"LOC\", \"org\": \"ORG\", \"per\": \"PER\"}'" in str(w.message)
    assert "--unmapped drop" in str(w.message)


def test_no_entities_no_verdict():
    empty = _ex([["O"] * len(w) for w in WORDS])
    assert label_set_mismatch(_ex(GOLD_TAGS), empty) is None
    r = analyze_ner(_ex(GOLD_TAGS), empty, n_boot=0, slices=(), zero_division=0)
    assert r.summary["label_sets"] is None


# -- the preset ------------------------------------------------------------------------------
def test_preset_is_shipped_and_covers_every_ontonotes_type():
    presets = label_map_presets()
    assert "ontonotes-conll" in presets and presets["ontonotes-conll"].is_file()
    m = LabelMap.from_spec("ontonotes-conll").mapping
    onto = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART",
            "LAW", "LANGUAGE", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL",
            "CARDINAL"}
    assert set(m) == onto
    assert set(m.values()) == {"PER", "LOC", "ORG", "MISC", None}


def test_preset_by_name_everywhere_a_label_map_is_accepted():
    gold = _ex(GOLD_TAGS)
    model = load_model(helpers.find_capitals, task="ner", label_map="ontonotes-conll")
    assert [s.label for ex in predict(model, gold, cache=False) for s in ex.spans][:2] == \
        ["PER", "PER"]
    out = predict(CallableAdapter(helpers.find_capitals, task="ner"), gold, cache=False,
                  label_map="ontonotes-conll")
    assert {s.label for ex in out for s in ex.spans} == {"PER"}


def test_unknown_name_lists_the_presets():
    with pytest.raises(InputError, match=r"\[E210\].*presets: ontonotes-conll"):
        LabelMap.from_spec("ontonotes-conl")


def test_cli_predict_with_preset_then_analyze_has_no_w511(tmp_path, capsys):
    src = tmp_path / "gold.conll"
    src.write_text("".join("".join(f"{w}\t{t}\n" for w, t in zip(ws, ts)) + "\n"
                           for ws, ts in zip(WORDS, GOLD_TAGS)), encoding="utf-8")
    raw, mapped = tmp_path / "raw.conll", tmp_path / "mapped.conll"
    spec = "callable:_firsthour_helpers:find_capitals"
    assert main(["predict", "--model", spec, "--task", "ner", "--input", str(src),
                 "--output", str(raw), "--no-cache"]) == 0
    assert main(["analyze", "ner", "--gold", str(raw), "--out", str(tmp_path / "a1"),
                 "--zero-division", "0"]) == 0
    err = capsys.readouterr().err
    assert "warning: [W511]" in err and "--label-map ontonotes-conll" in err
    assert main(["predict", "--model", spec, "--task", "ner", "--input", str(src),
                 "--output", str(mapped), "--no-cache", "--label-map", "ontonotes-conll"]) == 0
    assert main(["analyze", "ner", "--gold", str(mapped), "--out", str(tmp_path / "a2"),
                 "--zero-division", "0"]) == 0
    assert "W511" not in capsys.readouterr().err
    summary = json.loads((tmp_path / "a2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["label_sets"]["mismatch"] is False


def test_weak_overlaps_are_not_suggested():
    # ORG overlaps a gold PER once in five predictions: below the 25% support bar;
    # GPE overlaps LOC in 2 of 2 predictions
    words = [["Acme", "Corp", "and", "Bob"], ["Rome", "and", "Oslo"], ["Zed", "Co"],
             ["Ix", "Ltd"], ["Yo", "Inc"], ["Qu", "Plc"]]
    gold = [["O", "O", "O", "B-PER"], ["B-LOC", "O", "B-LOC"], ["O", "O"], ["O", "O"],
            ["B-PER", "O"], ["O", "O"]]
    pred = [["B-ORG", "I-ORG", "O", "O"], ["B-GPE", "O", "B-GPE"], ["B-ORG", "I-ORG"],
            ["B-ORG", "I-ORG"], ["B-ORG", "I-ORG"], ["B-ORG", "I-ORG"]]
    mk = lambda tags: [Example.from_tokens(w, t) for w, t in zip(words, tags)]  # noqa: E731
    m = label_set_mismatch(mk(gold), mk(pred))
    assert m["suggested_map"] == {"GPE": "LOC"}
    assert m["pred_only"] == ["ORG", "GPE"]


def _tagged(draw, st, n, labels):
    tags, i = [], 0
    while i < n:
        if draw(st.booleans()):
            tags.append("B-" + draw(st.sampled_from(labels)))
        else:
            tags.append("O")
        i += 1
    return tags


def test_property_against_brute_force():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    @st.composite
    def pairs(draw):
        n_sent = draw(st.integers(1, 4))
        words = [[f"w{k}" for k in range(draw(st.integers(1, 6)))] for _ in range(n_sent)]
        gold = [_tagged(draw, st, len(w), ["PER", "LOC", "ORG"]) for w in words]
        pred = [_tagged(draw, st, len(w), ["PER", "LOC", "PERSON", "GPE", "DATE"])
                for w in words]
        return words, gold, pred

    @settings(max_examples=15, deadline=None)
    @given(pairs())
    def check(data):
        words, gold, pred = data
        g = [Example.from_tokens(w, t) for w, t in zip(words, gold)]
        p = [Example.from_tokens(w, t) for w, t in zip(words, pred)]
        m = label_set_mismatch(g, p)
        gl = [t[2:] for ts in gold for t in ts if t != "O"]
        pl = [t[2:] for ts in pred for t in ts if t != "O"]
        if not gl or not pl:
            assert m is None
            return
        unknown = [lab for lab in pl if lab not in set(gl)]
        assert m["n_pred"] == len(pl)
        assert m["share_pred_unknown"] == pytest.approx(len(unknown) / len(pl))
        assert m["mismatch"] == (len(unknown) / len(pl) >= 0.5)
        assert set(m["pred_only"]) == set(unknown)
        assert set(m["gold_only"]) == set(gl) - set(pl)
        # single-token entities on the same words: overlaps are same-position pairs
        expected = set()
        for p_lab in set(unknown):
            hits = {}
            for gt, pt in zip((t for ts in gold for t in ts), (t for ts in pred for t in ts)):
                if pt == "B-" + p_lab and gt != "O":
                    hits[gt[2:]] = hits.get(gt[2:], 0) + 1
            best = max(hits.values(), default=0)
            if best and best >= 0.5 * sum(hits.values()) and best >= 0.25 * pl.count(p_lab):
                expected.add(p_lab)
                assert hits[m["suggested_map"][p_lab]] == best
        assert set(m["suggested_map"]) == expected

    check()
