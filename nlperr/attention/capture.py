"""Eager-attention capture for Hugging Face adapters, one batch at a time.

:func:`iter_attention` runs an :class:`~nlperr.adapters.hf_adapter.HFTokenAdapter`
or :class:`~nlperr.adapters.hf_adapter.HFSequenceAdapter` over examples with the
adapter's own tokenisation and windowing (the same pieces, the same windows
with the same offsets as its predictions) and yields one
:class:`AttentionBatch` per forward pass.  Consumers reduce each batch to what
they need (per-head sums, per-entity features, one example's map) and drop it,
so memory does not grow with the corpus.

The model runs with *eager* attention while the iterator is open (SDPA and
flash attention return no weights): :func:`eager_attention` switches it and
switches it back.  A model that returns fewer attention tensors than it has
layers raises :class:`~nlperr.errors.ModelError` (E852) -- never an empty result.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import Example, Token
from ..errors import Errors, InputError, ModelError, Warnings, warn

__all__ = ["AttentionBatch", "Window", "iter_attention", "eager_attention", "as_hf_adapter",
           "example_words", "encode_examples"]


@dataclass
class Window:
    """One row of an :class:`AttentionBatch`: a window of one example's pieces.

    Attributes
    ----------
    example : int
        Index of the example in the input sequence.
    index, count : int
        This window's number and the example's number of windows.
    start, end : int
        Half-open range of the example's content pieces the window holds.
    piece_words : ndarray of int, shape (end - start,)
        Word index (into :attr:`words`) of each content piece; -1 for none.
    piece_offsets : ndarray of int, shape (end - start, 2)
        Half-open character offsets of each content piece in the example text.
    words : list of Token
        The example's words (its tokens, else the tokenizer's pre-tokenizer words).
    """

    example: int
    index: int
    count: int
    start: int
    end: int
    piece_words: np.ndarray
    piece_offsets: np.ndarray
    words: list[Token]


@dataclass
class AttentionBatch:
    """Attention of one forward pass.

    Row ``b`` holds ``prefix`` special tokens, then the content pieces of
    ``windows[b]``, then the suffix special tokens, then padding.

    Attributes
    ----------
    attentions : torch.Tensor, shape (layers, batch, heads, T, T)
        Attention weights (rows: queries, columns: keys), float32.
    mask : torch.Tensor of bool, shape (batch, T)
        True for non-padding positions.
    special : torch.Tensor of bool, shape (batch, T)
        True for the special tokens the tokenizer adds ([CLS], [SEP], <s>, </s>).
    punct : torch.Tensor of bool, shape (batch, T)
        True for content pieces made only of punctuation characters.
    lengths : ndarray of int, shape (batch,)
        Non-padding positions per row.
    prefix : int
        Number of special tokens before the content pieces.
    input_ids : ndarray of int, shape (batch, T)
    logits : ndarray
        The model's logits for the same rows.
    windows : list of Window
    """

    attentions: Any
    mask: Any
    special: Any
    punct: Any
    lengths: np.ndarray
    prefix: int
    input_ids: np.ndarray
    logits: np.ndarray
    windows: list[Window]


def as_hf_adapter(model: Any, *, what: str, batch_size: int | None = None) -> Any:
    """*model* as a loaded Hugging Face adapter (a spec such as ``"hf:PATH"``, a
    ``(model, tokenizer)`` pair or an adapter); E850 for anything else."""
    from ..adapters import Adapter, load_model
    from ..adapters.hf_adapter import _HFBase

    adapter = model
    if not isinstance(adapter, Adapter):
        adapter = load_model(model, **({"batch_size": batch_size} if batch_size else {}))
    inner = getattr(adapter, "adapter", None)
    if not isinstance(adapter, _HFBase) and isinstance(inner, _HFBase):
        adapter = inner
    if not isinstance(adapter, _HFBase):
        raise ModelError(Errors.E850.format(what=what, got=f"{type(adapter).__name__} "
                                            f"({getattr(adapter, 'kind', '?')})"))
    return adapter


def example_words(adapter: Any, example: Example) -> list[Token]:
    """The words of *example* as the adapter sees them: its tokens, else the
    tokenizer's pre-tokenizer words (with character offsets)."""
    from ..adapters.hf_adapter import HFTokenAdapter

    return HFTokenAdapter.words_of(adapter, example)


@contextmanager
def eager_attention(model: Any, *, path: str = "") -> Iterator[Any]:
    """Run *model* with eager attention inside the block, then restore its setting."""
    config = model.config
    before = getattr(config, "_attn_implementation", None)
    if before == "eager":
        yield model
        return
    try:
        model.set_attn_implementation("eager")
    except Exception as e:  # noqa: BLE001 - any failure means no weights
        raise ModelError(Errors.E851.format(path=path, error=f"{type(e).__name__}: {e}")) from e
    try:
        yield model
    finally:
        if before is not None:
            try:
                model.set_attn_implementation(before)
            except Exception:  # noqa: BLE001 - eager stays on; predictions are the same
                pass


_PUNCT_CACHE: dict[int, dict[int, bool]] = {}


def _is_punct_piece(text: str) -> bool:
    for marker in ("##", "\u0120", "\u2581", "</w>"):
        text = text.replace(marker, "")
    return bool(text) and all(unicodedata.category(c).startswith("P") for c in text)


def _punct_of(tokenizer: Any, ids: np.ndarray) -> np.ndarray:
    table = _PUNCT_CACHE.setdefault(id(tokenizer), {})
    uniq = np.unique(ids)
    missing = [int(i) for i in uniq if int(i) not in table]
    if missing:
        for i, piece in zip(missing, tokenizer.convert_ids_to_tokens(missing)):
            table[i] = _is_punct_piece(piece or "")
    lookup = np.array([table[int(i)] for i in uniq], dtype=bool)
    return lookup[np.searchsorted(uniq, ids)]


def encode_examples(adapter: Any, examples: Sequence[Example]
                    ) -> list[tuple[list[int], np.ndarray, np.ndarray, list[Token],
                                    list[tuple[int, int]]]]:
    """The adapter's tokenisation of each example, without special tokens:
    ``(piece_ids, piece_words, piece_offsets, words, windows)`` where
    ``piece_words[j]`` is the word index of piece j (-1: none), ``piece_offsets``
    its ``(start, end)`` characters in the text and ``windows`` the half-open
    piece ranges the adapter runs (its ``_windows`` / truncation rules)."""
    from ..adapters.hf_adapter import HFTokenAdapter

    tok = adapter.tokenizer
    out = []
    words = [example_words(adapter, ex) for ex in examples]
    if isinstance(adapter, HFTokenAdapter):
        nonempty = [i for i, w in enumerate(words) if w]
        encs: dict[int, tuple[list[int], np.ndarray, np.ndarray]] = {}
        if nonempty:
            enc = tok([[t.text for t in words[i]] for i in nonempty], is_split_into_words=True,
                      add_special_tokens=False, truncation=False, verbose=False,
                      return_offsets_mapping=True)
            for j, i in enumerate(nonempty):
                wid = np.array([-1 if w is None else w for w in enc.word_ids(j)], dtype=np.int64)
                rel = np.array(enc["offset_mapping"][j], dtype=np.int64).reshape(-1, 2)
                starts = np.array([t.start for t in words[i]], dtype=np.int64)
                offs = rel + np.where(wid >= 0, starts[np.maximum(wid, 0)], 0)[:, None]
                encs[i] = (list(enc["input_ids"][j]), wid, offs)
        for i, ex in enumerate(examples):
            ids, wid, offs = encs.get(i, ([], np.zeros(0, np.int64), np.zeros((0, 2), np.int64)))
            starts = np.zeros(len(ids), dtype=np.int64)
            if len(ids):
                new_word = np.ones(len(ids), dtype=bool)
                new_word[1:] = wid[1:] != wid[:-1]
                starts = np.maximum.accumulate(np.where(new_word, np.arange(len(ids)), 0))
            spans = adapter._windows(len(ids), starts) if ids else []
            out.append((ids, wid, offs, words[i], spans))
        return out
    enc = tok([ex.text for ex in examples], add_special_tokens=False, truncation=False,
              verbose=False, return_offsets_mapping=True)
    for i, ex in enumerate(examples):
        ids = list(enc["input_ids"][i])
        offs = np.array(enc["offset_mapping"][i], dtype=np.int64).reshape(-1, 2)
        w = words[i]
        wstarts = np.array([t.start for t in w], dtype=np.int64)
        wends = np.array([t.end for t in w], dtype=np.int64)
        k = np.searchsorted(wstarts, offs[:, 0], side="right") - 1 if len(w) else \
            np.full(len(ids), -1)
        ok = (k >= 0) & (offs[:, 0] < np.where(k >= 0, wends[np.maximum(k, 0)], 0)) \
            if len(w) else np.zeros(len(ids), dtype=bool)
        wid = np.where(ok, k, -1).astype(np.int64)
        if not ids:
            spans: list[tuple[int, int]] = []
        elif len(ids) > adapter._content:
            spans = ([(0, adapter._content)] if adapter.long_texts == "truncate"
                     else adapter._windows(len(ids), None))
        else:
            spans = [(0, len(ids))]
        out.append((ids, wid, offs, w, spans))
    return out


def iter_attention(adapter: Any, examples: Iterable[Example], *, batch_size: int | None = None,
                   chunk_size: int = 512, what: str = "attention") -> Iterator[AttentionBatch]:
    """Yield the attention of *examples*, one :class:`AttentionBatch` per forward pass.

    Parameters
    ----------
    adapter : HF adapter or spec
        See :func:`as_hf_adapter`.
    examples : iterable of Example
        Read lazily, *chunk_size* at a time; within a chunk windows are sorted by
        length (less padding) and cut into batches of *batch_size* windows
        (default: the adapter's).
    """
    import torch

    adapter = as_hf_adapter(adapter, what=what)
    bs = int(batch_size or adapter.batch_size)
    if isinstance(batch_size, bool) or bs <= 0:
        raise InputError(Errors.E856.format(option="batch_size", expected="a positive integer",
                                            got=batch_size))
    model = adapter.model
    n_layers = int(getattr(model.config, "num_hidden_layers", 0) or 0)
    prefix, suffix = list(adapter._prefix), list(adapter._suffix)
    p = len(prefix)
    tok = adapter.tokenizer
    skipped = total = 0
    it = iter(examples)
    offset = 0
    with eager_attention(model, path=adapter.path):
        while True:
            chunk = []
            for ex in it:
                chunk.append(ex)
                if len(chunk) >= chunk_size:
                    break
            if not chunk:
                break
            rows: list[tuple[list[int], Window]] = []
            for i, (ids, wid, offs, words, spans) in enumerate(encode_examples(adapter, chunk)):
                total += max(len(spans), 1)
                if not spans:
                    skipped += 1
                for k, (a, b) in enumerate(spans):
                    rows.append((ids[a:b], Window(offset + i, k, len(spans), a, b, wid[a:b],
                                                  offs[a:b], words)))
            offset += len(chunk)
            rows.sort(key=lambda r: len(r[0]))
            for s in range(0, len(rows), bs):
                part = rows[s:s + bs]
                longest = max(len(r[0]) for r in part) + p + len(suffix)
                ids_arr = np.full((len(part), longest), adapter._pad_id, dtype=np.int64)
                mask = np.zeros((len(part), longest), dtype=bool)
                special = np.zeros((len(part), longest), dtype=bool)
                lengths = np.zeros(len(part), dtype=np.int64)
                for r, (pieces, _) in enumerate(part):
                    seq = prefix + pieces + suffix
                    ids_arr[r, :len(seq)] = seq
                    mask[r, :len(seq)] = True
                    special[r, :p] = True
                    special[r, p + len(pieces):len(seq)] = True
                    lengths[r] = len(seq)
                punct = _punct_of(tok, ids_arr) & mask & ~special
                dev = adapter.device
                inputs = {"input_ids": torch.from_numpy(ids_arr).to(dev),
                          "attention_mask": torch.from_numpy(mask.astype(np.int64)).to(dev)}
                if adapter._with_types:
                    inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
                with torch.inference_mode():
                    out = model(**inputs, output_attentions=True)
                atts = getattr(out, "attentions", None)
                got = 0 if atts is None else sum(a is not None for a in atts)
                if atts is None or got == 0 or (n_layers and got != n_layers):
                    raise ModelError(Errors.E852.format(path=adapter.path, got=got,
                                                        expected=n_layers or "?"))
                yield AttentionBatch(
                    attentions=torch.stack([a.float() for a in atts]),
                    mask=torch.from_numpy(mask).to(dev),
                    special=torch.from_numpy(special).to(dev),
                    punct=torch.from_numpy(punct).to(dev),
                    lengths=lengths, prefix=p, input_ids=ids_arr,
                    logits=out.logits.float().cpu().numpy(),
                    windows=[w for _, w in part])
    if skipped:
        warn(Warnings.W851.format(count=skipped, total=total, what=what), stacklevel=3)
