"""Hugging Face adapters on tiny BERT models with the real MiniLM WordPiece tokenizer."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

pytest.importorskip("torch")
pytest.importorskip("transformers")

import _adapters_helpers as H  # noqa: E402
from nlperr import Example  # noqa: E402
from nlperr.adapters import load_model  # noqa: E402
from nlperr.data import whitespace_tokenize  # noqa: E402
from nlperr.engine import Predictor, predict  # noqa: E402
from nlperr.errors import InputError, ModelError, ModelNotFoundError  # noqa: E402

LONG = " ".join(f"Word{i} antidisestablishmentarianism in Paris ," for i in range(40))


@pytest.fixture(scope="module")
def tok():
    return H.tokenizer()


@pytest.fixture(scope="module")
def token_path(tmp_path_factory, tok):
    return H.save_tiny_token_model(tmp_path_factory.mktemp("tok"), tok=tok)


@pytest.fixture(scope="module")
def ner(token_path):
    return load_model("hf:" + token_path)


def _piece_probs(adapter, words):
    """Reference: per-piece probabilities of one short text computed by hand."""
    import torch

    enc = adapter.tokenizer([words], is_split_into_words=True, return_tensors="pt")
    with torch.inference_mode():
        logits = adapter.model(**{k: v for k, v in enc.items()}).logits[0].numpy()
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True), enc.word_ids(0)


def test_task_detection_and_geometry(ner):
    assert ner.task == "ner" and ner.kind == "hf"
    assert ner.labels == H.NER_LABELS and ner.scheme == "IOB2"
    assert ner.max_length == 64 and ner.device == "cpu"


def test_long_text_every_word_labelled_no_truncation(ner, tok):
    n_pieces = len(tok(LONG, add_special_tokens=False)["input_ids"])
    assert n_pieces > 5 * ner.max_length
    ex = Example(LONG)
    [(words, probs)] = ner.predict_words([ex])
    assert [w.text for w in words] == LONG.split()
    assert probs.shape == (len(words), len(ner.labels))
    assert not np.isnan(probs).any()
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-6)
    # words at the very end are labelled too
    assert words[-1].end == len(LONG)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = predict(ner, [ex], cache=False)
    assert not [w for w in rec if "W102" in str(w.message)]
    ends = {w.end for w in words}
    starts = {w.start for w in words}
    assert all(s.start in starts and s.end in ends for s in out[0].spans)
    assert any(s.start > len(LONG) * 0.8 for s in out[0].spans)


def test_windows_cover_everything_and_start_on_words(ner):
    starts = np.repeat(np.arange(0, 300, 3), 3)  # every word has 3 pieces
    wins = ner._windows(300, starts)
    assert wins[0][0] == 0 and wins[-1][1] == 300
    for (a1, b1), (a2, b2) in zip(wins, wins[1:]):
        assert a2 < b1 and a2 > a1 and a2 % 3 == 0  # overlap, progress, word start
        assert b1 - a1 <= ner.max_length - 2


def test_word_takes_window_with_most_context(ner):
    # two windows over 10 one-piece words; word 5 lies at the right edge of window 0
    # and in the middle of window 1: window 1's prediction must win.
    wid = np.arange(10)
    spans = [(0, 6), (3, 10)]
    n = len(ner.labels)
    lg0 = np.zeros((6, n))
    lg0[:, 1] = 10  # window 0 says B-PER everywhere
    lg1 = np.zeros((7, n))
    lg1[:, 3] = 10  # window 1 says B-LOC everywhere
    probs = ner._word_probs(10, wid, spans, [lg0, lg1])
    best = probs.argmax(1)
    # words 0-2 only in window 0; 3 (edge of w1, 3 from w0's cut) ties -> first found;
    # 4: 1 piece from w0's cut edge vs 1 from w1's start -> tie; 5: w0 edge vs w1 depth 2
    assert list(best[:3]) == [1, 1, 1]
    assert best[5] == 3 and list(best[6:]) == [3, 3, 3, 3]


def test_multi_piece_word_gets_one_label_and_aggregations(token_path, tok):
    words = ["Antidisestablishmentarianism", "in", "Paris"]
    ex = Example.from_tokens(words)
    results = {}
    for agg in ("first", "max", "average"):
        a = load_model("hf:" + token_path, aggregation=agg)
        [(ws, probs)] = a.predict_words([ex])
        assert len(ws) == 3 and probs.shape == (3, 5)
        results[agg] = probs
        ref, word_ids = _piece_probs(a, words)
        pieces = [i for i, w in enumerate(word_ids) if w == 0]
        assert len(pieces) > 3
        if agg == "first":
            expected = ref[pieces[0]]
        elif agg == "max":
            expected = ref[pieces].max(0) / ref[pieces].max(0).sum()
        else:
            expected = ref[pieces].mean(0)
        np.testing.assert_allclose(probs[0], expected, rtol=1e-4, atol=1e-6)
        # single-piece words are identical under every aggregation
        np.testing.assert_allclose(probs[1], ref[word_ids.index(1)], rtol=1e-4, atol=1e-6)
    assert not np.allclose(results["first"][0], results["average"][0])
    assert not np.allclose(results["max"][0], results["average"][0])


def test_pretokenized_vs_raw_and_odd_whitespace(ner):
    text = "Hello   Paris\tand  London"
    raw = predict(ner, [Example(text)], cache=False)[0]
    tok = predict(ner, [Example(text, tokens=whitespace_tokenize(text))], cache=False)[0]
    assert [s.key for s in raw.spans] == [s.key for s in tok.spans]
    for s in tok.spans:
        assert text[s.start:s.end].strip() == text[s.start:s.end]
        assert 0 <= s.score <= 1


def test_span_score_is_mean_tag_probability(ner):
    ex = Example(LONG[:200])
    [(words, probs)] = ner.predict_words([ex])
    pred = ner.predict_batch([ex])[0]
    starts = {w.start: i for i, w in enumerate(words)}
    ends = {w.end: i for i, w in enumerate(words)}
    for s in pred.spans:
        i, j = starts[s.start], ends[s.end]
        assert s.score == pytest.approx(probs[i:j + 1].max(1).mean())


def test_invalid_sequences_one_W005_per_run(ner):
    exs = [Example(LONG[: 40 + 13 * i]) for i in range(12)]
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        predict(ner, exs, cache=False, batch_size=3)
    w005 = [w for w in rec if "W005" in str(w.message)]
    assert len(w005) == 1 and "of 12 predicted tag sequences" in str(w005[0].message)


def test_empty_text(ner):
    out = predict(ner, [Example(""), Example("   ")], cache=False)
    assert out[0].spans == () and out[1].spans == ()


def test_options_validated(token_path):
    with pytest.raises(InputError, match=r"\[E207\].*aggregation"):
        load_model("hf:" + token_path, aggregation="mean")
    with pytest.raises(InputError, match=r"\[E207\].*stride"):
        load_model("hf:" + token_path, stride=1000)
    with pytest.raises(InputError, match=r"\[E207\].*device"):
        load_model("hf:" + token_path, device="tpu")
    with pytest.raises(ModelError, match=r"\[E212\]"):
        load_model("hf:" + token_path, task="classification")


def test_missing_model_and_headless_model(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"\[E202\].*Check the path"):
        load_model("hf:" + str(tmp_path / "nope"))
    with pytest.raises(ModelNotFoundError, match=r"\[E202\]"):
        load_model("hf:" + str(tmp_path))  # exists, no config.json
    with pytest.raises(ModelError, match=r"\[E206\]"):
        load_model("hf:" + H.minilm_folder())  # BertModel: no task head


def test_not_fast_tokenizer_is_E205(ner):
    class Slow:
        is_fast = False

        def __call__(self, *a, **k):  # pragma: no cover
            raise AssertionError

    with pytest.raises(ModelError, match=r"\[E205\]"):
        load_model((ner.model, Slow()))


def test_model_tokenizer_pair_and_fingerprint(ner):
    pair = load_model((ner.model, ner.tokenizer))
    assert pair.task == "ner"
    a = predict(pair, [Example(LONG[:120])], cache=False)[0]
    b = predict(ner, [Example(LONG[:120])], cache=False)[0]
    assert a.spans == b.spans
    assert len(pair.fingerprint()) == 64


def test_changed_checkpoint_recomputes_and_never_reads_stale(tmp_path, tok):
    import torch
    from transformers import AutoModelForTokenClassification

    path = H.save_tiny_token_model(tmp_path / "m", tok=tok)
    cache = tmp_path / "cache"
    exs = [Example(LONG[:150]), Example("Paris and Berlin")]
    p1 = Predictor("hf:" + path, cache_dir=cache)
    first = p1.predict(exs)
    assert p1.stats["computed"] == 2
    p1b = Predictor("hf:" + path, cache_dir=cache)
    p1b.predict(exs)
    assert p1b.stats["forward_passes"] == 0
    # change the weights: everything is B-LOC now; save to the same path
    m = AutoModelForTokenClassification.from_pretrained(path)
    with torch.no_grad():
        m.classifier.bias[:] = 0
        m.classifier.bias[3] = 100.0
    m.save_pretrained(path)
    p2 = Predictor("hf:" + path, cache_dir=cache)
    second = p2.predict(exs)
    assert p2.stats["cache_hits"] == 0 and p2.stats["computed"] == 2
    assert second[1].spans != first[1].spans
    assert [s.label for s in second[1].spans] == ["LOC", "LOC", "LOC"]


# -- sequence classification ------------------------------------------------------------------
@pytest.fixture(scope="module")
def seq_path(tmp_path_factory, tok):
    return H.save_tiny_seq_model(tmp_path_factory.mktemp("seq"), tok=tok)


def test_sequence_classification_probs(seq_path):
    clf = load_model("hf:" + seq_path)
    assert clf.task == "classification"
    out = predict(clf, [Example("good movie"), Example("bad movie")], cache=False)
    for ex in out:
        assert set(ex.probs) == {"neg", "pos"}
        assert sum(ex.probs.values()) == pytest.approx(1.0)
        assert ex.label == max(ex.probs, key=ex.probs.get)


def test_sequence_long_texts_truncate_warns_or_average(seq_path):
    clf = load_model("hf:" + seq_path)
    exs = [Example(LONG), Example("short"), Example(LONG[:1000])]
    with pytest.warns(UserWarning, match=r"\[W101\] 2 of 3 texts"):
        trunc = predict(clf, exs, cache=False)
    avg_model = load_model("hf:" + seq_path, long_texts="average")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        avg = predict(avg_model, exs, cache=False)
    assert avg[1].probs == pytest.approx(trunc[1].probs)  # short: same
    assert avg[0].probs != pytest.approx(trunc[0].probs)  # long: windows averaged
    assert avg_model.fingerprint() == clf.fingerprint()
    assert avg_model.settings() != clf.settings()


def test_sequence_multilabel_sigmoid(tmp_path, tok):
    path = H.save_tiny_seq_model(tmp_path, labels=("a", "b", "c"), multi_label=True, tok=tok)
    clf = load_model("hf:" + path, threshold=0.5)
    out = predict(clf, [Example("some text here")], cache=False)[0]
    assert isinstance(out.label, tuple)
    assert out.label == tuple(k for k, p in out.probs.items() if p >= 0.5)
    assert sum(out.probs.values()) != pytest.approx(1.0)


@pytest.mark.slow
def test_real_minilm_token_classifier_windowed(tmp_path, tok):
    """Real MiniLM-L6 weights with a new (seeded) head; tokenizer max length lowered."""
    import torch
    from transformers import AutoModelForTokenClassification

    torch.manual_seed(0)
    labels = ["O", "B-person", "I-person", "B-location", "I-location"]
    m = AutoModelForTokenClassification.from_pretrained(
        H.minilm_folder(), num_labels=5, id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)})
    m.save_pretrained(tmp_path)
    tok.save_pretrained(tmp_path)
    a = load_model("hf:" + str(tmp_path), max_length=48, stride=8)
    assert a.max_length == 48
    [(words, probs)] = a.predict_words([Example(LONG)])
    assert len(words) == len(LONG.split()) and not np.isnan(probs).any()
    full = load_model("hf:" + str(tmp_path))
    short = Example("Word1 antidisestablishmentarianism in Paris")
    np.testing.assert_allclose(a.predict_words([short])[0][1], full.predict_words([short])[0][1],
                               rtol=1e-4, atol=1e-5)


def test_device_choices(token_path):
    import torch

    if torch.cuda.is_available():
        assert load_model("hf:" + token_path).device == "cuda"
        return
    assert load_model("hf:" + token_path, device="cpu").device == "cpu"
    with pytest.raises(ModelError, match=r"\[E215\]"):
        load_model("hf:" + token_path, device="cuda")
    if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        with pytest.warns(UserWarning, match=r"\[W008\]"):
            assert load_model("hf:" + token_path, device="gpu").device == "cpu"
