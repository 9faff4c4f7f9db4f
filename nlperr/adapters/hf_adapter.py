"""Hugging Face transformers adapters: token classification and sequence classification.

Both adapters tokenize with a *fast* tokenizer, split long inputs into
overlapping windows themselves (never silently truncating NER input), pad per
batch after sorting windows by length, and run the model in eval mode under
``torch.inference_mode()``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Example, Span, Token, split_tag, tags_to_spans, validate_tags
from ..errors import (
    Errors, InputError, ModelError, ModelNotFoundError, SchemeError, Warnings, warn,
)
from ._util import check_choice, hash_path, require, resolve_torch_device
from .base import TASKS, Adapter, Prediction, stable_hash

__all__ = ["HFTokenAdapter", "HFSequenceAdapter", "load_hf", "hf_from_objects",
           "is_hf_pair", "AGGREGATIONS"]

AGGREGATIONS = ("first", "max", "average")
LONG_TEXTS = ("truncate", "average")
_BYTE_LEVEL = {"roberta", "gpt2", "bart", "longformer", "deberta", "mvp", "led"}
_ROBERTA_POSITIONS = {"roberta", "xlm-roberta", "camembert", "longformer", "xlm-roberta-xl",
                      "data2vec-text", "mpnet", "bart", "mvp", "led", "ernie_m"}


def is_hf_pair(obj: Any) -> bool:
    """Whether *obj* is a ``(model, tokenizer)`` pair of transformers objects."""
    if not isinstance(obj, (tuple, list)) or len(obj) != 2:
        return False
    model, tok = obj
    return (type(model).__module__.startswith("transformers.")
            and hasattr(model, "config") and callable(tok))


def _state_hash(model: Any) -> str:
    import torch

    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(str(t.dtype).encode())
        h.update(repr(tuple(t.shape)).encode())
        data = t.detach().to("cpu").contiguous().reshape(-1)
        h.update(data.view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


class _HFBase(Adapter):
    kind = "hf"

    def __init__(self, model: Any, tokenizer: Any, *, path: str, device: str | None = None,
                 batch_size: int | None = None, max_length: int | None = None,
                 stride: int | None = None, files_hash: str | None = None) -> None:
        require("torch", extra="hf", what="The Hugging Face adapter")
        if not getattr(tokenizer, "is_fast", False):
            raise ModelError(Errors.E205.format(path=path))
        self.path = path
        self.tokenizer = tokenizer
        self._device = resolve_torch_device(device, path=path)
        self.model = model.to(self._device).eval()
        self.config = model.config
        self.batch_size = int(batch_size) if batch_size else 32
        self._files_hash = files_hash
        self._fp: str | None = None
        # window geometry --------------------------------------------------------
        probe = tokenizer([["x"]], is_split_into_words=True, return_special_tokens_mask=True)
        ids, mask = probe["input_ids"][0], probe["special_tokens_mask"][0]
        content = [i for i, m in enumerate(mask) if not m]
        first, last = (content[0], content[-1]) if content else (len(ids), len(ids) - 1)
        self._prefix = list(ids[:first])
        self._suffix = list(ids[last + 1:])
        self._with_types = "token_type_ids" in tokenizer.model_input_names
        self.max_length = int(max_length) if max_length else self._model_max_length()
        n_special = len(self._prefix) + len(self._suffix)
        self._content = self.max_length - n_special
        if self._content < 2:
            raise InputError(Errors.E207.format(value=max_length, option="max_length",
                                                allowed=f"integers > {n_special + 1}"))
        if stride is None:
            stride = min(128, self._content // 4)
        if not isinstance(stride, int) or not 0 <= stride < self._content:
            raise InputError(Errors.E207.format(value=stride, option="stride",
                                                allowed=f"integers in 0..{self._content - 1}"))
        self.stride = stride
        pad = tokenizer.pad_token_id
        self._pad_id = int(pad) if pad is not None else 0

    def _model_max_length(self) -> int:
        limits = []
        tml = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(tml, int) and 0 < tml < 1_000_000:
            limits.append(tml)
        mpe = getattr(self.config, "max_position_embeddings", None)
        if isinstance(mpe, int) and mpe > 0:
            if getattr(self.config, "model_type", "") in _ROBERTA_POSITIONS:
                mpe -= int(getattr(self.config, "pad_token_id", 1) or 1) + 1
            limits.append(mpe)
        return min(limits) if limits else 512

    @property
    def device(self) -> str:
        return self._device

    def fingerprint(self) -> str:
        if self._fp is None:
            weights = self._files_hash or _state_hash(self.model)
            tok = self.tokenizer.backend_tokenizer.to_str()
            self._fp = stable_hash("hf", type(self.model).__name__,
                                   self.config.to_json_string(use_diff=False), weights,
                                   hashlib.sha256(tok.encode("utf-8")).hexdigest())
        return self._fp

    # -- windows and forward passes --------------------------------------------------
    def _windows(self, n: int, word_starts: np.ndarray | None) -> list[tuple[int, int]]:
        """Half-open piece ranges covering ``[0, n)``, overlapping by ``stride`` pieces.

        When *word_starts* (piece index -> start piece of its word) is given,
        every window but the first starts at a word's first piece, so only the
        right edge can cut a word (and the next window then holds it whole).
        """
        size = self._content
        if n <= size:
            return [(0, n)]
        out = []
        a = 0
        while True:
            b = min(a + size, n)
            out.append((a, b))
            if b >= n:
                return out
            nxt = b - self.stride
            if word_starts is not None:
                snapped = int(word_starts[nxt])
                if snapped > a:
                    nxt = snapped
            a = max(nxt, a + 1)

    def _forward(self, windows: list[list[int]]) -> list[np.ndarray]:
        """Logits for each window of piece ids (special tokens are added here).

        Token models: arrays ``(len(window), num_labels)`` for the content
        pieces; sequence models: arrays ``(num_labels,)``.
        """
        import torch

        results: list[np.ndarray | None] = [None] * len(windows)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
        p = len(self._prefix)
        for s in range(0, len(order), self.batch_size):
            idx = order[s:s + self.batch_size]
            longest = max(len(windows[i]) for i in idx) + p + len(self._suffix)
            ids = np.full((len(idx), longest), self._pad_id, dtype=np.int64)
            att = np.zeros((len(idx), longest), dtype=np.int64)
            for r, i in enumerate(idx):
                seq = self._prefix + windows[i] + self._suffix
                ids[r, :len(seq)] = seq
                att[r, :len(seq)] = 1
            inputs = {"input_ids": torch.from_numpy(ids).to(self._device),
                      "attention_mask": torch.from_numpy(att).to(self._device)}
            if self._with_types:
                inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
            with torch.inference_mode():
                logits = self.model(**inputs).logits.float().cpu().numpy()
            for r, i in enumerate(idx):
                results[i] = (logits[r, p:p + len(windows[i])] if logits.ndim == 3
                              else logits[r])
        return results  # type: ignore[return-value]


class HFTokenAdapter(_HFBase):
    """Word-level NER with a Hugging Face token-classification model.

    Words are the example's tokens when it has them, else the words of the
    tokenizer's pre-tokenizer (with their character offsets).  Each word gets
    one label, aggregated from its subword pieces:

    * ``"first"``: the probabilities (softmax of the logits) of the word's first piece;
    * ``"max"``: for each label, the maximum probability over the pieces,
      renormalised to sum to 1;
    * ``"average"``: the mean of the pieces' probability vectors.

    The word's tag is the argmax.  Inputs longer than the model's maximum length
    are split into windows overlapping by ``stride`` pieces (windows start on a
    word boundary); each word takes the prediction of the window where it lies
    furthest from a cut edge (a window edge that is not the start or end of the
    text).  Every word gets a label; a word with no pieces (e.g. only
    characters the tokenizer drops) is labelled ``O`` (warning W102).

    Word tags are decoded with :func:`nlperr.data.tags_to_spans` in lenient mode
    with the scheme of the model's labels (one W005 warning per run counting
    invalid sequences).  A span's score is the mean over its words of the
    probability of the word's predicted tag.
    """

    task = "ner"
    uses_tokens = True

    def __init__(self, model: Any, tokenizer: Any, *, aggregation: str = "first",
                 scheme: str | None = None, **kwargs: Any) -> None:
        super().__init__(model, tokenizer, **kwargs)
        self.aggregation = check_choice("aggregation", aggregation, AGGREGATIONS)
        id2label = getattr(self.config, "id2label", None) or {}
        labels = [id2label.get(i, id2label.get(str(i))) for i in range(len(id2label))]
        n_out = getattr(self.config, "num_labels", len(labels))
        if not labels or any(lab is None for lab in labels) or len(labels) != n_out:
            raise ModelError(Errors.E216.format(path=self.path, got=id2label))
        tags: list[str] = []
        prefixes: set[str] = set()
        for lab in labels:
            try:
                p, _ = split_tag(lab)
                tags.append(lab)
                if p not in ("O", "-"):
                    prefixes.add(p)
            except SchemeError:
                tags.append(f"I-{lab}")  # a plain type: IO tagging
                prefixes.add("IO")
        if "O" not in tags:
            raise ModelError(Errors.E216.format(
                path=self.path, got=f"{labels} (no 'O' label for words outside entities)"))
        self.labels = labels
        self._tags = np.array(tags, dtype=object)
        if scheme is None:
            if prefixes & {"L", "U"}:
                scheme = "BILOU"
            elif "S" in prefixes or ("E" in prefixes and "B" in prefixes):
                scheme = "BIOES"
            elif "E" in prefixes:
                scheme = "IOE2"
            elif "B" in prefixes:
                scheme = "IOB2"
            else:
                scheme = "IOB1"
        from ..data import normalize_scheme

        self.scheme = normalize_scheme(scheme)
        self.start_run()

    def settings(self) -> dict[str, Any]:
        return {"task": "ner", "aggregation": self.aggregation, "max_length": self.max_length,
                "stride": self.stride, "scheme": self.scheme}

    def length(self, example: Example) -> int:
        return len(example.text)

    def lengths(self, examples: Sequence[Example]) -> list[int]:
        """Subword pieces per example (one batched tokenizer call), so that batches
        group examples of similar piece counts (the forward pass's cost)."""
        words = [[t.text for t in self.words_of(ex)] for ex in examples]
        nonempty = [i for i, w in enumerate(words) if w]
        out = [0] * len(examples)
        if nonempty:
            enc = self.tokenizer([words[i] for i in nonempty], is_split_into_words=True,
                                 add_special_tokens=False, truncation=False, verbose=False,
                                 return_attention_mask=False)
            for i, ids in zip(nonempty, enc["input_ids"]):
                out[i] = len(ids)
        return out

    def start_run(self) -> None:
        self._invalid = 0
        self._decoded = 0
        self._pieceless: list[str] = []

    def finish_run(self) -> None:
        if self._invalid:
            warn(Warnings.W005.format(count=self._invalid, total=self._decoded,
                                      scheme=self.scheme), stacklevel=4)
        if self._pieceless:
            warn(Warnings.W102.format(count=len(self._pieceless), path=self.path,
                                      examples=self._pieceless[:3]), stacklevel=4)
        self.start_run()

    # -- words ---------------------------------------------------------------------------
    def words_of(self, example: Example) -> list[Token]:
        """The words the model labels: the example's tokens, else pre-tokenizer words."""
        if example.tokens is not None:
            return list(example.tokens)
        text = example.text
        pre = self.tokenizer.backend_tokenizer.pre_tokenizer
        if pre is None:
            from ..data import whitespace_tokenize

            return list(whitespace_tokenize(text))
        out = []
        for _, (s, e) in pre.pre_tokenize_str(text):
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                out.append(Token(text[s:e], s, e))
        return out

    # -- prediction ------------------------------------------------------------------------
    def predict_words(self, examples: Sequence[Example]) -> list[tuple[list[Token], np.ndarray]]:
        """Word-level output: for each example, its words and their label probabilities.

        Returns ``(words, probs)`` pairs; ``probs`` has shape ``(len(words),
        len(self.labels))`` (columns follow ``self.labels``, i.e. ``config.id2label``)
        after subword aggregation and window selection.  Rows of words without
        subword pieces are NaN.
        """
        words = [self.words_of(ex) for ex in examples]
        nonempty = [i for i, w in enumerate(words) if w]
        out: list[tuple[list[Token], np.ndarray]] = [
            (w, np.zeros((0, len(self.labels)))) for w in words]
        if not nonempty:
            return out
        enc = self.tokenizer([[t.text for t in words[i]] for i in nonempty],
                             is_split_into_words=True, add_special_tokens=False,
                             truncation=False, verbose=False)
        windows: list[list[int]] = []
        plan: list[tuple[int, np.ndarray, list[tuple[int, int]], int]] = []
        for j, i in enumerate(nonempty):
            ids = enc["input_ids"][j]
            wid = np.array([-1 if w is None else w for w in enc.word_ids(j)], dtype=np.int64)
            starts = np.zeros(len(ids), dtype=np.int64)
            if len(ids):
                new_word = np.ones(len(ids), dtype=bool)
                new_word[1:] = wid[1:] != wid[:-1]
                starts = np.maximum.accumulate(np.where(new_word, np.arange(len(ids)), 0))
            spans = self._windows(len(ids), starts)
            plan.append((i, wid, spans, len(windows)))
            windows.extend(ids[a:b] for a, b in spans)
        logits = self._forward(windows) if windows else []
        for i, wid, spans, first in plan:
            out[i] = (words[i], self._word_probs(len(words[i]), wid, spans,
                                                 logits[first:first + len(spans)]))
        return out

    def predict_batch(self, examples: Sequence[Example]) -> list[Prediction]:
        return [self._decode(words, probs)
                for words, probs in self.predict_words(examples)]

    def _word_probs(self, n_words: int, wid: np.ndarray, spans: list[tuple[int, int]],
                    logits: list[np.ndarray]) -> np.ndarray:
        """(n_words, num_labels) probabilities; rows of words without pieces are NaN."""
        n_labels = len(self.labels)
        out = np.full((n_words, n_labels), np.nan, dtype=np.float64)
        best = np.full((n_words, 3), -np.inf)  # (complete, has_first, distance) ranking
        valid = wid >= 0
        if not valid.any():
            return out
        total = np.bincount(wid[valid], minlength=n_words)
        first_piece = np.full(n_words, np.iinfo(np.int64).max, dtype=np.int64)
        positions = np.nonzero(valid)[0]
        np.minimum.at(first_piece, wid[positions], positions)
        last = len(spans) - 1
        for k, ((a, b), lg) in enumerate(zip(spans, logits)):
            w = wid[a:b]
            keep = w >= 0
            if not keep.any():
                continue
            probs = _softmax(lg.astype(np.float64))[keep]
            w = w[keep]
            pos = np.arange(a, b)[keep]
            # words are contiguous runs of pieces
            run_start = np.ones(len(w), dtype=bool)
            run_start[1:] = w[1:] != w[:-1]
            starts = np.nonzero(run_start)[0]
            ends = np.append(starts[1:], len(w))
            ww = w[starts]
            counts = ends - starts
            left = (pos[starts] - a) if k > 0 else np.full(len(ww), 1 << 30)
            right = (b - 1 - pos[ends - 1]) if k < last else np.full(len(ww), 1 << 30)
            rank = np.stack([(counts == total[ww]).astype(float),
                             (pos[starts] == first_piece[ww]).astype(float),
                             np.minimum(left, right).astype(float)], axis=1)
            old = best[ww]
            better = (rank[:, 0] > old[:, 0]) | ((rank[:, 0] == old[:, 0]) & (
                (rank[:, 1] > old[:, 1]) | ((rank[:, 1] == old[:, 1]) & (rank[:, 2] > old[:, 2]))))
            if not better.any():
                continue
            if self.aggregation == "first":
                agg = probs[starts]
            elif self.aggregation == "max":
                agg = np.maximum.reduceat(probs, starts, axis=0)
                agg = agg / agg.sum(axis=1, keepdims=True)
            else:
                agg = np.add.reduceat(probs, starts, axis=0) / counts[:, None]
            out[ww[better]] = agg[better]
            best[ww[better]] = rank[better]
        return out

    def _decode(self, words: list[Token], probs: np.ndarray) -> Prediction:
        if not words:
            return Prediction(spans=())
        missing = np.isnan(probs[:, 0])
        if missing.any():
            self._pieceless.extend(words[i].text for i in np.nonzero(missing)[0])
            o = self.labels.index("O")
            probs[missing] = 0.0
            probs[missing, o] = 1.0
        best = probs.argmax(axis=1)
        tag_p = probs[np.arange(len(best)), best]
        tags = list(self._tags[best])
        self._decoded += 1
        try:
            validate_tags(tags, self.scheme)
        except SchemeError:
            self._invalid += 1
        spans = []
        for s, e, label in tags_to_spans(tags, self.scheme, strict=False, warn_repairs=False):
            spans.append(Span(words[s].start, words[e - 1].end, label,
                              float(tag_p[s:e].mean())))
        return Prediction(spans=tuple(spans))


class HFSequenceAdapter(_HFBase):
    """Text classification with a Hugging Face sequence-classification model.

    Probabilities are the softmax of the logits (sigmoid for
    ``problem_type="multi_label_classification"``, where the label is the tuple
    of labels with probability >= *threshold*).  Texts longer than the model's
    maximum length are, with ``long_texts="truncate"`` (default), cut to it (one
    W101 warning per run says how many); with ``long_texts="average"`` the text
    is split into windows overlapping by ``stride`` pieces and the windows'
    probabilities are averaged.
    """

    task = "classification"

    def __init__(self, model: Any, tokenizer: Any, *, threshold: float = 0.5,
                 long_texts: str = "truncate", **kwargs: Any) -> None:
        super().__init__(model, tokenizer, **kwargs)
        self.long_texts = check_choice("long_texts", long_texts, LONG_TEXTS)
        self.threshold = float(threshold)
        id2label = getattr(self.config, "id2label", None) or {}
        self.labels = [id2label.get(i, id2label.get(str(i), f"LABEL_{i}"))
                       for i in range(self.config.num_labels)]
        self.multi_label = getattr(self.config, "problem_type", None) == \
            "multi_label_classification"
        self.start_run()

    def settings(self) -> dict[str, Any]:
        return {"task": "classification", "max_length": self.max_length, "stride": self.stride,
                "long_texts": self.long_texts, "threshold": self.threshold,
                "multi_label": self.multi_label}

    def lengths(self, examples: Sequence[Example]) -> list[int]:
        """Subword pieces per text (one batched tokenizer call), capped at the window."""
        enc = self.tokenizer([ex.text for ex in examples], add_special_tokens=False,
                             truncation=False, verbose=False, return_attention_mask=False)
        return [min(len(ids), self._content) if self.long_texts == "truncate" else len(ids)
                for ids in enc["input_ids"]]

    def start_run(self) -> None:
        self._truncated = 0
        self._seen = 0

    def finish_run(self) -> None:
        if self._truncated:
            warn(Warnings.W101.format(count=self._truncated, total=self._seen,
                                      max_length=self.max_length), stacklevel=4)
        self.start_run()

    def predict_batch(self, examples: Sequence[Example]) -> list[Prediction]:
        enc = self.tokenizer([ex.text for ex in examples], add_special_tokens=False,
                             truncation=False, verbose=False)
        windows: list[list[int]] = []
        owners: list[int] = []
        for i, ids in enumerate(enc["input_ids"]):
            self._seen += 1
            if len(ids) > self._content:
                if self.long_texts == "truncate":
                    self._truncated += 1
                    spans = [(0, self._content)]
                else:
                    spans = self._windows(len(ids), None)
            else:
                spans = [(0, len(ids))]
            for a, b in spans:
                windows.append(ids[a:b])
                owners.append(i)
        logits = np.stack(self._forward(windows)).astype(np.float64)
        if self.multi_label:
            probs = 1.0 / (1.0 + np.exp(-logits))
        else:
            probs = _softmax(logits)
        sums = np.zeros((len(examples), probs.shape[1]))
        np.add.at(sums, np.array(owners), probs)
        sums /= np.bincount(owners, minlength=len(examples))[:, None]
        out = []
        for row in sums:
            pd = {lab: float(p) for lab, p in zip(self.labels, row)}
            if self.multi_label:
                label: str | tuple[str, ...] = tuple(lab for lab, p in pd.items()
                                                     if p >= self.threshold)
            else:
                label = self.labels[int(row.argmax())]
            out.append(Prediction(label=label, probs=pd))
        return out


# -- loading ------------------------------------------------------------------------------
def _task_from(archs: Sequence[str], id2label: dict[Any, str] | None) -> str | None:
    for a in archs or ():
        if a.endswith("ForTokenClassification"):
            return "ner"
        if a.endswith("ForSequenceClassification"):
            return "classification"
    labels = list((id2label or {}).values())
    if labels and "O" in labels and all(lab == "O" or (len(lab) > 2 and lab[1] in "-_"
                                                      and lab[0] in "BIELUS") for lab in labels):
        return "ner"
    return None


def _make(task: str, model: Any, tokenizer: Any, **options: Any) -> Adapter:
    cls = HFTokenAdapter if task == "ner" else HFSequenceAdapter
    return cls(model, tokenizer, **options)


def load_hf(path: str, *, task: str | None = None, device: str | None = None,
            batch_size: int | None = None, trust_remote_code: bool = False,
            attn_implementation: str | None = None, **options: Any) -> Adapter:
    """Load ``hf:PATH`` (a local folder saved with ``save_pretrained``, or a Hub id)."""
    transformers = require("transformers", extra="hf", what="The Hugging Face adapter")
    require("torch", extra="hf", what="The Hugging Face adapter")
    if not path:
        raise InputError(Errors.E218.format(spec="hf:", expected="'hf:PATH'"))
    if task is not None:
        check_choice("task", task, TASKS)
    local = Path(path).expanduser()
    hint = ("Check the path: it must be a folder holding config.json, the weights and "
            "the tokenizer files (save_pretrained), or a Hub model id available offline.")
    if local.exists() and not (local / "config.json").is_file():
        raise ModelNotFoundError(Errors.E202.format(spec=f"hf:{path}", hint=hint))
    src = str(local) if local.exists() else path
    logging.getLogger("transformers").setLevel(logging.ERROR)
    try:
        config = transformers.AutoConfig.from_pretrained(src,
                                                         trust_remote_code=trust_remote_code)
    except (OSError, ValueError) as e:
        raise ModelNotFoundError(Errors.E202.format(spec=f"hf:{path}", hint=hint)) from e
    found = _task_from(getattr(config, "architectures", None) or [],
                       getattr(config, "id2label", None))
    if task is None:
        if found is None:
            raise ModelError(Errors.E206.format(path=path, arch=config.architectures))
        task = found
    elif found is not None and found != task:
        raise ModelError(Errors.E212.format(path=path, found=found, task=task))
    auto = (transformers.AutoModelForTokenClassification if task == "ner"
            else transformers.AutoModelForSequenceClassification)
    kw: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if attn_implementation is not None:
        kw["attn_implementation"] = attn_implementation
    tok_kw: dict[str, Any] = {"trust_remote_code": trust_remote_code}
    if getattr(config, "model_type", "") in _BYTE_LEVEL:
        tok_kw["add_prefix_space"] = True
    tlog = transformers.utils.logging
    bars = tlog.is_progress_bar_enabled()
    tlog.disable_progress_bar()
    try:
        model = auto.from_pretrained(src, **kw)
        tokenizer = transformers.AutoTokenizer.from_pretrained(src, **tok_kw)
    except OSError as e:
        raise ModelNotFoundError(Errors.E202.format(spec=f"hf:{path}", hint=hint)) from e
    finally:
        if bars:
            tlog.enable_progress_bar()
    _check_tokenizer(tokenizer, config, local if local.is_dir() else None, path)
    files_hash = hash_path(local) if local.is_dir() else None
    return _make(task, model, tokenizer, path=path, device=device, batch_size=batch_size,
                 files_hash=files_hash, **options)


_TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model",
                    "sentencepiece.bpe.model", "tokenizer.model", "sentencepiece.model")


def has_tokenizer_files(folder: Path) -> bool:
    """Whether *folder* holds a tokenizer's vocabulary (tokenizer.json, vocab.txt...)."""
    return any((folder / f).is_file() for f in _TOKENIZER_FILES) or \
        any(folder.glob("*.model"))


def _check_tokenizer(tokenizer: Any, config: Any, folder: Path | None, path: str) -> None:
    """E220 for a tokenizer that cannot tokenize words: transformers builds an (empty)
    tokenizer from tokenizer_config.json alone when the vocabulary files are missing,
    which would silently map every word to [UNK]."""
    if folder is not None and not has_tokenizer_files(folder):
        raise ModelError(Errors.E220.format(
            path=path, reason=f"the folder holds none of {list(_TOKENIZER_FILES)}"))
    try:
        n_special = len(set(tokenizer.all_special_ids))
        size = len(tokenizer)
    except (TypeError, AttributeError):  # pragma: no cover - exotic tokenizers
        return
    if size <= n_special + 1:
        raise ModelError(Errors.E220.format(
            path=path, reason=f"its vocabulary holds {size} entries (only special tokens); "
                              f"the model expects {getattr(config, 'vocab_size', '?')}"))


def hf_from_objects(model: Any, tokenizer: Any, *, task: str | None = None,
                    device: str | None = None, batch_size: int | None = None,
                    **options: Any) -> Adapter:
    """Wrap an already-loaded ``(model, tokenizer)`` pair."""
    config = model.config
    archs = [type(model).__name__, *(getattr(config, "architectures", None) or [])]
    found = _task_from(archs, getattr(config, "id2label", None))
    if task is None:
        if found is None:
            raise ModelError(Errors.E206.format(path=getattr(config, "_name_or_path", "?"),
                                                arch=archs))
        task = found
    check_choice("task", task, TASKS)
    path = getattr(config, "_name_or_path", "") or type(model).__name__
    if device is None:
        # a model the caller already placed on an accelerator stays where it is
        param = next(iter(model.parameters()), None)
        if param is not None and param.device.type != "cpu":
            device = "mps" if param.device.type == "mps" else str(param.device)
    return _make(task, model, tokenizer, path=path, device=device, batch_size=batch_size,
                 **options)
