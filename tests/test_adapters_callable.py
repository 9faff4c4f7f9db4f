"""Callable adapter, spec registry, load_model errors and LabelMap (no heavy deps)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nlperr import Example, Span  # noqa: E402
from nlperr.adapters import (  # noqa: E402
    Adapter, LabelMap, Prediction, available_adapters, load_model, register_adapter,
)
from nlperr.adapters.callable_adapter import CallableAdapter  # noqa: E402
from nlperr.engine import predict  # noqa: E402
from nlperr.errors import InputError, ModelError, ModelNotFoundError, SpanError  # noqa: E402


def test_import_is_light():
    import subprocess

    code = ("import sys, nlperr.adapters, nlperr.engine; "
            "print([m for m in ('torch','transformers','spacy','datasets') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- callable adapter ---------------------------------------------------------------------
def test_callable_spec_classification():
    model = load_model("callable:_adapters_helpers:length_label")
    out = predict(model, [Example("abc"), Example("hello")], cache=False)
    assert [ex.label for ex in out] == ["len3", "len5"]
    assert model.task == "classification"


def test_callable_ner_tuples_dicts_and_spans():
    def f(texts):
        return [[(0, 3, "A"), {"start": 4, "end": 7, "label": "B", "score": 0.9},
                 Span(8, 11, "C")] for _ in texts]

    out = predict(f, [Example("abc def ghi")], cache=False)
    assert [(s.start, s.end, s.label, s.score) for s in out[0].spans] == [
        (0, 3, "A", None), (4, 7, "B", 0.9), (8, 11, "C", None)]


def test_callable_probs_and_multilabel():
    def f(texts):
        return [{"a": 0.7, "b": 0.6, "c": 0.1} for _ in texts]

    single = predict(load_model(f, task="classification"), [Example("x")], cache=False)[0]
    assert single.label == "a" and single.probs == {"a": 0.7, "b": 0.6, "c": 0.1}
    multi = predict(load_model(f, task="classification", multi_label=True), [Example("x")],
                    cache=False)[0]
    assert multi.label == ("a", "b")


def test_callable_wrong_count_is_E208():
    with pytest.raises(ModelError, match=r"\[E208\].*returned 1 results for a batch of 2"):
        predict(lambda texts: ["x"], [Example("a"), Example("b")], cache=False)


@pytest.mark.parametrize("bad", [42, [("a", 1, "X")], [(0, 1)], {"a": "high"}, None])
def test_callable_wrong_type_is_E209(bad):
    with pytest.raises(ModelError, match=r"\[E209\]"):
        predict(lambda texts: [bad for _ in texts], [Example("abc")], cache=False,
                )


def test_callable_span_out_of_range_and_overlap():
    with pytest.raises(SpanError, match=r"\[E101\]"):
        predict(lambda texts: [[(0, 99, "X")]], [Example("abc")], cache=False)
    with pytest.raises(SpanError, match=r"\[E102\]"):
        predict(lambda texts: [[(0, 2, "X"), (1, 3, "Y")]], [Example("abc")], cache=False)
    lenient = load_model(lambda texts: [[(0, 2, "X"), (1, 3, "Y")]], strict=False)
    with pytest.warns(UserWarning, match=r"W003"):
        out = predict(lenient, [Example("abc")], cache=False)
    assert [s.key for s in out[0].spans] == [(0, 2, "X")]


def test_callable_fingerprint_tracks_code_and_override():
    def f1(texts):
        return ["a" for _ in texts]

    def f2(texts):
        return ["b" for _ in texts]

    a1, a2 = CallableAdapter(f1), CallableAdapter(f2)
    assert a1.fingerprint() != a2.fingerprint()
    assert CallableAdapter(f1).fingerprint() == a1.fingerprint()
    assert CallableAdapter(f1, fingerprint="v2").fingerprint() != a1.fingerprint()


def test_callable_spec_errors():
    with pytest.raises(ModelNotFoundError, match=r"\[E213\]"):
        load_model("callable:no_such_module_xyz:f")
    with pytest.raises(ModelNotFoundError, match=r"\[E213\]"):
        load_model("callable:_adapters_helpers:no_such_function")
    with pytest.raises(InputError, match=r"\[E218\]"):
        load_model("callable:just_a_module")


# -- specs and registry -----------------------------------------------------------------------
@pytest.mark.parametrize("spec", ["nonsense", "foo:bar", "", 12345])
def test_unknown_spec_is_E201(spec):
    with pytest.raises(InputError, match=r"\[E201\]"):
        load_model(spec)


def test_register_adapter_adds_a_kind():
    class Const(Adapter):
        task = "classification"
        kind = "const"

        def __init__(self, label):
            self.label = label

        def predict_batch(self, examples):
            return [Prediction(label=self.label) for _ in examples]

        def fingerprint(self):
            return "const:" + self.label

    register_adapter("const", lambda rest, **kw: Const(rest), overwrite=True)
    assert "const" in available_adapters()
    out = predict("const:yes", [Example("a"), Example("b")], cache=False)
    assert [ex.label for ex in out] == ["yes", "yes"]
    with pytest.raises(InputError, match=r"\[E207\]"):
        register_adapter("const", lambda rest, **kw: Const(rest))


def test_bad_batch_size_and_unmapped():
    with pytest.raises(InputError, match=r"\[E301\]"):
        load_model(lambda t: t, batch_size=0)
    with pytest.raises(InputError, match=r"\[E207\].*unmapped"):
        load_model(lambda t: t, unmapped="ignore")


# -- label maps --------------------------------------------------------------------------------
def _ner(texts):
    return [[(0, 3, "PERSON"), (4, 7, "GPE"), (8, 11, "DATE")] for _ in texts]


def test_label_map_keep():
    model = load_model(_ner, label_map={"PERSON": "PER", "GPE": "LOC"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = predict(model, [Example("Bob NYC Mon")], cache=False)
    assert [s.label for s in out[0].spans] == ["PER", "LOC", "DATE"]


def test_label_map_drop_warns_once_listing_labels():
    model = load_model(_ner, label_map={"PERSON": "PER", "GPE": "LOC"}, unmapped="drop")
    with pytest.warns(UserWarning, match=r"\[W006\] 1 label.*dropped: DATE \(3\)") as rec:
        out = predict(model, [Example("Bob NYC Mon"), Example("Ann PAR Tue"),
                              Example("Joe ROM Wed")], cache=False)
    assert len([w for w in rec if "W006" in str(w.message)]) == 1
    assert [s.label for s in out[0].spans] == ["PER", "LOC"]


def test_label_map_explicit_none_drops_silently():
    model = load_model(_ner, label_map={"PERSON": "PER", "GPE": "LOC", "DATE": None},
                       unmapped="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = predict(model, [Example("Bob NYC Mon")], cache=False)
    assert [s.label for s in out[0].spans] == ["PER", "LOC"]


def test_label_map_error():
    model = load_model(_ner, label_map={"PERSON": "PER"}, unmapped="error")
    with pytest.raises(InputError, match=r"\[E211\].*'GPE'"):
        predict(model, [Example("Bob NYC Mon")], cache=False)


def test_label_map_classification_probs_merge_and_drop():
    lm = LabelMap({"POSITIVE": "pos", "VERY_POSITIVE": "pos", "NEGATIVE": "neg"},
                  unmapped="drop")
    pred = Prediction(label="NEUTRAL", probs={"POSITIVE": 0.2, "VERY_POSITIVE": 0.15,
                                              "NEGATIVE": 0.25, "NEUTRAL": 0.4})
    out, dropped = lm.apply(pred)
    assert dropped == {"NEUTRAL"}
    assert out.probs == pytest.approx({"pos": 0.35, "neg": 0.25})
    assert out.label == "pos"
    multi, _ = lm.apply(Prediction(label=("POSITIVE", "NEUTRAL", "VERY_POSITIVE")))
    assert multi.label == ("pos",)


def test_label_map_from_json_string_and_file(tmp_path):
    assert LabelMap.from_spec('{"PERSON": "PER"}').mapping == {"PERSON": "PER"}
    f = tmp_path / "map.json"
    f.write_text(json.dumps({"ORG": "ORG", "GPE": "LOC"}))
    lm = LabelMap.from_spec(str(f), unmapped="drop")
    assert lm.mapping == {"ORG": "ORG", "GPE": "LOC"} and lm.unmapped == "drop"
    with pytest.raises(InputError, match=r"\[E210\]"):
        LabelMap.from_spec(str(tmp_path / "missing.json"))
    with pytest.raises(InputError, match=r"\[E210\]"):
        LabelMap.from_spec("{not json")
    with pytest.raises(InputError, match=r"\[E210\]"):
        LabelMap.from_spec('["PER"]')
    with pytest.raises(InputError, match=r"\[E210\]"):
        LabelMap({"PER": 3})
