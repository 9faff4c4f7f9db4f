"""Tensor batches from nlperr examples, aligned the way the Hugging Face adapter aligns.

Sequence classification: one label per text (``Example.label``), the text
tokenized as is and truncated to ``max_length`` pieces.  Token classification:
the example's tokens are the words (``is_split_into_words=True``); the first
subword piece of each word carries the word's tag in the model's scheme, the
other pieces, special tokens, padding and missing (``-``) words get ``-100``
(ignored by the loss) -- the counterpart of the adapter's default
``aggregation="first"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import Errors, InputError, Warnings, warn

__all__ = ["make_batches", "IGNORE_INDEX", "TASKS"]

IGNORE_INDEX = -100
#: ``task`` values: the CLI's names and nlperr's adapter task names.
TASKS = ("sequence", "token", "classification", "ner")


def _label2id(config: Any) -> dict[str, int]:
    l2i = getattr(config, "label2id", None) or {}
    if l2i:
        return {str(k): int(v) for k, v in l2i.items()}
    i2l = getattr(config, "id2label", None) or {}
    return {str(v): int(k) for k, v in i2l.items()}


def make_batches(examples: Sequence[Any], tokenizer: Any, *, task: str,
                 label2id: Mapping[str, int] | None = None, config: Any = None,
                 scheme: str = "IOB2", batch_size: int = 8, max_length: int = 64,
                 max_batches: int | None = None) -> list[dict[str, Any]]:
    """Padded tensor batches (``input_ids``, ``attention_mask``, ``token_type_ids``
    when the tokenizer uses them, ``labels``, ``special_tokens_mask``).

    Parameters
    ----------
    examples : sequence of Example
        Classification examples with ``label``; NER examples with ``tokens``
        and ``spans`` (unannotated examples are skipped).
    tokenizer : a fast Hugging Face tokenizer
    task : {"sequence", "token"} (also "classification", "ner")
    label2id : mapping, optional
        Label -> class index; default ``config.label2id``.
    scheme : str, default "IOB2"
        Tag scheme of the model's labels (token classification).
    batch_size, max_length : int
        Examples per batch and subword pieces per example (special tokens included).
    max_batches : int, optional
        Stop after this many batches.

    ``special_tokens_mask`` is not a model input; the checks remove it before the
    forward pass (it tells which positions ``input_independence`` may mask).
    """
    import torch

    if task not in TASKS:
        raise InputError(Errors.E207.format(value=task, option="task", allowed=list(TASKS)))
    token = task in ("token", "ner")
    l2i = dict(label2id) if label2id is not None else _label2id(config)
    if not l2i:
        raise InputError(Errors.E902.format(label="(any)", known=[], where="the model config"))
    if batch_size < 1 or max_length < 4:
        raise InputError(Errors.E908.format(name="batch_size / max_length",
                                            expected="batch_size >= 1 and max_length >= 4",
                                            value=(batch_size, max_length)))
    rows: list[tuple[Any, list[int] | int]] = []
    truncated = 0
    for ex in examples:
        if token:
            if ex.tokens is None or ex.spans is None or not ex.tokens:
                continue
            tags = ex.tags(scheme)
            ids = []
            for t in tags:
                if t == "-":
                    ids.append(IGNORE_INDEX)
                elif t in l2i:
                    ids.append(l2i[t])
                else:
                    raise InputError(Errors.E902.format(label=t, known=sorted(l2i),
                                                        where=ex.id or "an example"))
            rows.append(([t.text for t in ex.tokens], ids))
        else:
            if ex.label is None:
                continue
            if not isinstance(ex.label, str):
                raise InputError(Errors.E903.format(
                    what="single-label classification examples",
                    got=f"multi-label {ex.label!r}"))
            if ex.label not in l2i:
                raise InputError(Errors.E902.format(label=ex.label, known=sorted(l2i),
                                                    where=ex.id or "an example"))
            rows.append((ex.text, l2i[ex.label]))
    if not rows:
        raise InputError(Errors.E903.format(
            what="token-annotated examples (tokens and spans)" if token
            else "examples with a class label", got=f"{len(examples)} example(s) without them"))
    batches = []
    for s in range(0, len(rows), batch_size):
        chunk = rows[s:s + batch_size]
        texts = [r[0] for r in chunk]
        enc = tokenizer(texts, is_split_into_words=token, truncation=True,
                        max_length=max_length, padding=True, return_tensors="pt",
                        return_special_tokens_mask=True)
        batch = {k: v for k, v in enc.items()}
        if token:
            labels = torch.full(enc["input_ids"].shape, IGNORE_INDEX, dtype=torch.long)
            for i, (words, ids) in enumerate(chunk):
                seen = set()
                for pos, w in enumerate(enc.word_ids(i)):
                    if w is None or w in seen:
                        continue
                    seen.add(w)
                    labels[i, pos] = ids[w]
                if len(seen) < len(words):
                    truncated += 1
        else:
            labels = torch.tensor([r[1] for r in chunk], dtype=torch.long)
            full = tokenizer(texts, truncation=False, verbose=False)["input_ids"]
            truncated += sum(len(f) > max_length for f in full)
        batch["labels"] = labels
        batches.append(batch)
        if max_batches is not None and len(batches) >= max_batches:
            break
    if truncated:
        warn(Warnings.W901.format(count=truncated, max_length=max_length), stacklevel=2)
    return batches
