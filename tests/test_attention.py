"""nlperr.attention: capture, per-head summaries, word maps, rollout, contrasts."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _attention_helpers import save_sharp_seq_model, save_sharp_token_model

from nlperr import Example, load_model
from nlperr.errors import ModelError

TEXTS = ["Hello, world!", "Ann met Bob in Paris yesterday.", "ok",
         "A much longer text here; with commas, dots... and unbelievable words!",
         "Zebra crossings: rare?"]


@pytest.fixture(scope="module")
def seq_folder(tmp_path_factory):
    return save_sharp_seq_model(tmp_path_factory.mktemp("seq"))


@pytest.fixture(scope="module")
def tok_folder(tmp_path_factory):
    return save_sharp_token_model(tmp_path_factory.mktemp("tok"), max_positions=16)


@pytest.fixture(scope="module")
def seq_adapter(seq_folder):
    return load_model("hf:" + seq_folder)


def _direct(model, tok, enc_list):
    """Reference: per-head sums from output_attentions of single, unpadded sequences."""
    import torch

    cols = {}
    n_q = 0
    for ids in enc_list:
        with torch.no_grad():
            out = model(input_ids=torch.tensor([ids]), output_attentions=True)
        pieces = tok.convert_ids_to_tokens(ids)
        special = [i in tok.all_special_ids for i in ids]
        punct = [(not s) and bool(p.replace("##", "")) and all(
            unicodedata.category(c).startswith("P") for c in p.replace("##", ""))
            for p, s in zip(pieces, special)]
        n = len(ids)
        for layer, a in enumerate(out.attentions):
            a = a[0].double().numpy()
            for h in range(a.shape[0]):
                acc = cols.setdefault((layer, h), np.zeros(9))
                for q in range(n):
                    row = a[h, q]
                    nz = row[row > 0]
                    acc += [-(nz * np.log(nz)).sum(), row[0], row[n - 1], row[q],
                            row[q - 1] if q > 0 else 0.0, row[q + 1] if q + 1 < n else 0.0,
                            row[np.array(punct)].sum(), row[np.array(special)].sum(),
                            (row * np.abs(np.arange(n) - q)).sum()]
        n_q += n
    return {k: v / n_q for k, v in cols.items()}, n_q


def test_heads_equal_direct_transformers_computation(seq_folder, seq_adapter):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from nlperr.attention import HEAD_COLUMNS, head_summary

    res = head_summary(seq_adapter, [Example(t) for t in TEXTS], batch_size=2)
    df = res.heads
    assert list(df.columns) == ["layer", "head", *HEAD_COLUMNS, "queries"]
    model = AutoModelForSequenceClassification.from_pretrained(seq_folder,
                                                               attn_implementation="eager")
    tok = AutoTokenizer.from_pretrained(seq_folder)
    ref, n_q = _direct(model.eval(), tok, tok(TEXTS)["input_ids"])
    assert len(df) == 2 * 4 and int(df["queries"].iloc[0]) == n_q
    for r in df.itertuples():
        np.testing.assert_allclose([getattr(r, c) for c in HEAD_COLUMNS], ref[(r.layer, r.head)],
                                   atol=1e-5)
    # sharp heads: the numbers are not all the uniform-attention values
    assert df["entropy"].std() > 0.05
    assert res.summary["layers"] == 2 and res.summary["heads"] == 4
    assert res.summary["examples"] == len(TEXTS)


def test_token_model_uses_adapter_words_and_windows(tok_folder):
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from nlperr.attention import head_summary, iter_attention

    adapter = load_model("hf:" + tok_folder)
    short = [Example.from_tokens(["Ann", "met", "Bob", "."], ["B-PER", "O", "B-PER", "O"])]
    model = AutoModelForTokenClassification.from_pretrained(tok_folder,
                                                            attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(tok_folder)
    ref, _ = _direct(model, tok, tok([["Ann", "met", "Bob", "."]],
                                     is_split_into_words=True)["input_ids"])
    df = head_summary(adapter, short).heads
    for r in df.itertuples():
        assert abs(r.entropy - ref[(r.layer, r.head)][0]) < 1e-5
        assert abs(r.sep_mass - ref[(r.layer, r.head)][2]) < 1e-5
    # a long text: the adapter's windows, each row of every window sums to 1
    words = [f"w{i}" for i in range(40)]
    long = Example.from_tokens(words, ["O"] * 40)
    seen = []
    for batch in iter_attention(adapter, [long]):
        a = batch.attentions.numpy()
        for r, w in enumerate(batch.windows):
            n = batch.lengths[r]
            np.testing.assert_allclose(a[:, r, :, :n, :n].sum(-1), 1.0, atol=1e-5)
            assert np.all(a[:, r, :, :n, n:] == 0)  # padding keys get exactly 0
            seen.append((w.start, w.end))
            assert w.count > 1
    enc = tok([words], is_split_into_words=True, add_special_tokens=False)
    wid = np.array(enc.word_ids(0))
    new = np.ones(len(wid), bool)
    new[1:] = wid[1:] != wid[:-1]
    starts = np.maximum.accumulate(np.where(new, np.arange(len(wid)), 0))
    assert sorted(seen) == adapter._windows(len(wid), starts)


def test_sdpa_model_is_switched_and_restored(seq_folder):
    from nlperr.attention import head_summary

    adapter = load_model("hf:" + seq_folder, attn_implementation="sdpa")
    assert adapter.model.config._attn_implementation == "sdpa"
    df = head_summary(adapter, [Example("Hello there.")]).heads
    assert len(df) == 8 and df["entropy"].notna().all()
    assert adapter.model.config._attn_implementation == "sdpa"


def test_missing_attention_is_an_error_not_an_empty_result(seq_folder, monkeypatch):
    from nlperr.attention import head_summary

    adapter = load_model("hf:" + seq_folder)
    real = adapter.model.forward

    def no_attention(*a, **k):
        out = real(*a, **k)
        out.attentions = out.attentions[:1]
        return out

    monkeypatch.setattr(adapter.model, "forward", no_attention)
    with pytest.raises(ModelError, match="E852"):
        head_summary(adapter, [Example("Hello there.")])

    def cannot(*a, **k):
        raise ValueError("no eager kernel")

    adapter2 = load_model("hf:" + seq_folder, attn_implementation="sdpa")
    monkeypatch.setattr(adapter2.model, "set_attn_implementation", cannot)
    with pytest.raises(ModelError, match="E851"):
        head_summary(adapter2, [Example("Hello there.")])


def test_non_hf_model_is_refused():
    from nlperr.attention import head_summary

    with pytest.raises(ModelError, match="E850"):
        head_summary(lambda texts: ["x"] * len(texts), [Example("a")])


# --- word maps ------------------------------------------------------------------------

def _brute_merge(att, groups, W):
    T = len(groups)
    out = np.zeros(att.shape[:-2] + (W, W))
    for a in range(W):
        rows = [i for i in range(T) if groups[i] == a]
        for b in range(W):
            cols = [j for j in range(T) if groups[j] == b]
            out[..., a, b] = np.mean([att[..., i, cols].sum(-1) for i in rows], axis=0)
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=1, max_size=6), st.integers(0, 2**31 - 1))
def test_merge_to_words_rows_sum_to_one_and_match_brute_force(sizes, seed):
    from nlperr.attention.words import merge_to_words

    groups = np.repeat(np.arange(len(sizes)), sizes)
    T = len(groups)
    rng = np.random.default_rng(seed)
    att = rng.random((2, 3, T, T))
    att /= att.sum(-1, keepdims=True)
    m = merge_to_words(att, groups, len(sizes))
    np.testing.assert_allclose(m.sum(-1), 1.0, atol=1e-12)
    np.testing.assert_allclose(m, _brute_merge(att, groups, len(sizes)), atol=1e-12)


def test_rollout_matches_definition():
    from nlperr.attention.words import attention_rollout

    rng = np.random.default_rng(0)
    att = rng.random((3, 2, 5, 5))
    att /= att.sum(-1, keepdims=True)
    ro = attention_rollout(att)
    acc = np.eye(5)
    for layer in range(3):
        r = 0.5 * att[layer].mean(0) + 0.5 * np.eye(5)
        r /= r.sum(-1, keepdims=True)
        acc = r @ acc
        np.testing.assert_allclose(ro[layer], acc)
    np.testing.assert_allclose(ro.sum(-1), 1.0)


def test_word_attention_of_an_example(tok_folder, tmp_path):
    from nlperr.attention import word_attention
    from nlperr.results import load

    adapter = load_model("hf:" + tok_folder)
    ex = Example.from_tokens(["Unbelievably", "Zurich", "hosted", "Ann", "."], ["O"] * 5)
    res = word_attention(adapter, ex)
    words = res.tables["words"]
    assert words["word"].tolist() == ["[CLS]", "Unbelievably", "Zurich", "hosted", "Ann", ".",
                                      "[SEP]"]
    assert words.loc[2, "start"] == ex.tokens[1].start
    for layer in range(2):
        for head in range(4):
            m = res.matrix(layer, head)
            np.testing.assert_allclose(m.sum(-1), 1.0, atol=1e-5)
    ro = word_attention(adapter, ex, rollout=True)
    np.testing.assert_allclose(ro.matrix(-1).sum(-1), 1.0, atol=1e-5)
    assert set(ro.tables["weights"]["head"]) == {-1}
    res.save(tmp_path / "w", formats=("json", "csv"))
    back = load(tmp_path / "w")
    assert back.summary == res.summary
    np.testing.assert_allclose(back.matrix(1, 2), res.matrix(1, 2))
    with pytest.raises(Exception, match="E856"):
        word_attention(adapter, ex, window=3)


# --- contrast ---------------------------------------------------------------------------

def _planted_model(folder, *, layer=1, head=2):
    """A tiny classifier whose head (layer, head) attends to 'zebra' when the text holds it."""
    import torch
    from transformers import BertForSequenceClassification

    from _attention_helpers import config, tokenizer

    tok = tokenizer()
    torch.manual_seed(3)
    model = BertForSequenceClassification(config(tok, labels=["neg", "pos"], heads=4))
    zebra = tok.convert_tokens_to_ids("zebra")
    d0 = 31
    with torch.no_grad():
        emb = model.bert.embeddings
        emb.word_embeddings.weight[:, d0] = 0.0
        emb.word_embeddings.weight[zebra, d0] = 4.0
        emb.position_embeddings.weight[:, d0] = 0.0
        emb.token_type_embeddings.weight[:, d0] = 0.0
        if layer == 0:
            att = model.bert.encoder.layer[0].attention.self
            hd = 8
            rows = slice(head * hd, (head + 1) * hd)
            att.query.weight[rows] = 0.0
            att.query.bias[rows] = 1.0
            att.key.weight[rows] = 0.0
            att.key.weight[rows, d0] = 6.0
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return str(folder)


def test_planted_head_ranks_first(tmp_path):
    from nlperr.attention import attention_contrast

    folder = _planted_model(tmp_path / "m", layer=0, head=2)
    rng = np.random.default_rng(0)
    vocab = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "home", "big", "red"]
    gold, pred = [], []
    for i in range(40):
        words = list(rng.choice(vocab, size=int(rng.integers(5, 10))))
        err = i % 2 == 0
        if err:
            words.insert(int(rng.integers(0, len(words))), "zebra")
        text = " ".join(words)
        gold.append(Example(text, label="pos", id=f"ex{i}"))
        pred.append(Example(text, label="neg" if err else "pos", id=f"ex{i}"))
    res = attention_contrast("hf:" + folder, gold, pred)
    top = res.tables["contrast"].iloc[0]
    assert (top["layer"], top["head"]) == (0, 2)
    assert bool(top["significant"])
    assert res.summary["error_units"] == 20 and res.summary["correct_units"] == 20
    # the planted head concentrates on 'zebra': low entropy on errors
    ent = res.tables["contrast"]
    row = ent[(ent.feature == "entropy") & (ent.layer == 0) & (ent["head"] == 2)].iloc[0]
    assert row["effect_size"] == -1.0 and row["mean_error"] < row["mean_correct"] - 0.5


def test_features_are_slice_attributes(seq_folder, tmp_path):
    from nlperr import analyze_classification
    from nlperr.attention import attention_contrast, attention_features
    from nlperr.results import load

    gold = [Example(t + f" {i}", label="pos" if i % 3 else "neg", id=str(i))
            for i, t in enumerate(TEXTS * 4)]
    res = attention_contrast("hf:" + seq_folder, gold, cache=False)
    assert res.summary["examples"] == len(gold)
    assert len(res.tables["contrast"]) == 3 * 2 * 4
    assert res.tables["contrast"]["q_value"].between(0, 1).all()
    with_f = attention_features(gold, res, layer=1, head=0)
    vals = [g.meta["attn_entropy"] for g in with_f]
    f = res.tables["features"]
    want = f[(f.layer == 1) & (f["head"] == 0)].set_index("unit")["entropy"]
    assert vals == pytest.approx(want.sort_index().tolist())
    from nlperr.engine import Predictor

    pred = Predictor("hf:" + seq_folder, cache=False).predict(gold)
    rep = analyze_classification(with_f, pred, slices=["meta:attn_entropy"], n_boot=0,
                                 zero_division=0)
    ws = rep.tables["worst_slices"] if hasattr(rep, "tables") else None
    assert ws is not None
    res.save(tmp_path / "c", formats=("json", "csv"))
    back = load(tmp_path / "c")
    assert back.summary == res.summary or back.summary["top"].keys() == res.summary["top"].keys()
    assert back.tables["contrast"].shape == res.tables["contrast"].shape


def test_ner_contrast_units(tok_folder):
    from nlperr.attention import attention_contrast, attention_features

    gold = [Example.from_tokens(["Ann", "met", "Bob", "in", "Paris"],
                                ["B-PER", "O", "B-PER", "O", "B-LOC"], id="a"),
            Example.from_tokens(["Zurich", "is", "big"], ["B-LOC", "O", "O"], id="b")]
    pred = [Example.from_tokens(["Ann", "met", "Bob", "in", "Paris"],
                                ["B-PER", "O", "B-LOC", "O", "B-LOC"], id="a"),
            Example.from_tokens(["Zurich", "is", "big"], ["B-LOC", "O", "B-PER"], id="b")]
    res = attention_contrast("hf:" + tok_folder, gold, pred)
    u = res.tables["units"]
    assert u["kind"].tolist() == ["example", "gold", "gold", "gold", "pred",
                                  "example", "gold", "pred"]
    assert u["error"].tolist() == [True, False, True, False, True, True, False, True]
    assert (u["queries"] > 0).all()
    with_f = attention_features(gold, res, layer=0, head=1)
    assert all("attn_context_mass" in s.meta for g in with_f for s in g.spans)
    from nlperr import analyze_ner

    rep = analyze_ner(with_f, pred, slices=["span_meta:attn_entropy"], n_boot=0,
                      zero_division=0)
    assert "worst_slices" in rep.tables
    # context mass + inside mass + special mass = 1 for a one-piece entity
    f = res.tables["features"]
    assert ((f["context_mass"] + f["special_mass"]) <= 1 + 1e-6).all()


def test_public_names_are_pinned():
    import nlperr.attention as att
    import nlperr.explain as ex

    assert set(att.__all__) == {
        "AttentionBatch", "Window", "eager_attention", "iter_attention", "HEAD_COLUMNS",
        "HeadAccumulator", "HeadSummary", "head_summary", "WordAttention", "word_attention",
        "merge_to_words", "attention_rollout", "FEATURES", "AttentionContrast",
        "attention_contrast", "attention_features", "AttentionReport", "inspect_attention",
        "write_page", "render_page"}
    assert set(ex.__all__) == {"Attributions", "occlusion", "integrated_gradients",
                               "aggregate_words", "MODES", "CASES", "BASELINES",
                               "WORD_COLUMNS", "explain"}
    for mod in (att, ex):
        for name in mod.__all__:
            assert getattr(mod, name) is not None


def test_contrast_input_checks(seq_folder):
    from nlperr.attention import attention_contrast
    from nlperr.errors import InputError, NlperrWarning

    gold = [Example("good food", label="pos"), Example("bad food", label="neg")]
    with pytest.raises(InputError, match="E854"):
        attention_contrast("hf:" + seq_folder, gold, gold[:1])
    with pytest.raises(InputError, match="E855"):
        attention_contrast("hf:" + seq_folder, gold, [gold[0], Example("other", label="pos")])
    with pytest.raises(InputError, match="E857"):
        attention_contrast("hf:" + seq_folder, [Example("no label")], task="classification")
    with pytest.raises(InputError, match="E856"):
        attention_contrast("hf:" + seq_folder, gold, gold, alpha=2)
    with pytest.warns(NlperrWarning, match="W850"):
        res = attention_contrast("hf:" + seq_folder, gold, gold)  # no error case
    assert res.tables["contrast"]["p_value"].isna().all()
