"""Tiny Hugging Face models with sharp (non-uniform) attention for the attention tests."""

from __future__ import annotations

from pathlib import Path

from _adapters_helpers import NER_LABELS, tokenizer

__all__ = ["save_sharp_seq_model", "save_sharp_token_model", "NER_LABELS", "tokenizer",
           "config"]


def config(tok, *, labels, max_positions=64, heads=4, layers=2):
    from transformers import BertConfig

    return BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=layers,
                      num_attention_heads=heads, intermediate_size=64,
                      max_position_embeddings=max_positions, num_labels=len(labels),
                      id2label=dict(enumerate(labels)),
                      label2id={lab: i for i, lab in enumerate(labels)})


def _sharpen(model, scale: float = 25.0, seed: int = 0) -> None:
    import torch

    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.bert.encoder.layer:
            att = layer.attention.self
            att.query.weight.copy_(torch.randn(att.query.weight.shape, generator=g) * scale / 32)
            att.key.weight.copy_(torch.randn(att.key.weight.shape, generator=g) * scale / 32)


def save_sharp_seq_model(folder: Path, *, labels=("neg", "pos"), max_positions=64, heads=4,
                         layers=2, seed=0) -> str:
    import torch
    from transformers import BertForSequenceClassification

    tok = tokenizer()
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config(tok, labels=list(labels),
                                                 max_positions=max_positions, heads=heads,
                                                 layers=layers))
    _sharpen(model, seed=seed)
    with torch.no_grad():
        model.classifier.weight.mul_(50)
    model.save_pretrained(folder)
    tok.model_max_length = max_positions
    tok.save_pretrained(folder)
    return str(folder)


def save_sharp_token_model(folder: Path, *, labels=NER_LABELS, max_positions=64, seed=0) -> str:
    import torch
    from transformers import BertForTokenClassification

    tok = tokenizer()
    torch.manual_seed(seed)
    model = BertForTokenClassification(config(tok, labels=list(labels),
                                              max_positions=max_positions))
    _sharpen(model, seed=seed)
    with torch.no_grad():
        model.classifier.weight.mul_(20)
    model.save_pretrained(folder)
    tok.model_max_length = max_positions
    tok.save_pretrained(folder)
    return str(folder)


# -- callables used through "callable:_attention_helpers:..." specs ----------------------------
_DAYS = {"monday", "tuesday", "friday", "june", "2001"}


def date_tagger(texts):
    """NER: day / month words are dates; 'DATE_SENT' when 'sent' occurs up to three words
    before them, else 'DATE' (score 0.9).  Whitespace words."""
    out = []
    for t in texts:
        spans, pos, words = [], 0, []
        for w in t.split(" "):
            words.append((w, pos))
            pos += len(w) + 1
        for k, (w, start) in enumerate(words):
            if w.lower().strip(",.:") in _DAYS:
                before = [x.lower().strip(",.:") for x, _ in words[max(0, k - 3):k]]
                label = "DATE_SENT" if "sent" in before else "DATE"
                spans.append((start, start + len(w.rstrip(",.:")), label, 0.9))
        out.append(spans)
    return out


def negation_sentiment(texts):
    """Classification: 'neg' when the text holds 'not' or 'never', else 'pos'."""
    out = []
    for t in texts:
        words = {w.strip(",.!").lower() for w in t.split()}
        p = 0.8 if words & {"not", "never"} else 0.2
        out.append({"neg": p, "pos": 1 - p})
    return out
