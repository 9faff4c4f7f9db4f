"""The adapter protocol shared by every model wrapper.

An adapter turns a batch of :class:`~nlperr.data.Example` s into one
:class:`Prediction` each.  It does no caching, deduplication or progress
reporting: :func:`nlperr.engine.predict` does that for every adapter.

To support another framework, subclass :class:`Adapter`, implement
:meth:`Adapter.predict_batch` and :meth:`Adapter.fingerprint`, and register a
factory for a spec prefix with :func:`register_adapter`.
"""

from __future__ import annotations

import abc
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..data import Example, Span
from ..errors import Errors, InputError

__all__ = ["Adapter", "AdapterFactory", "Prediction", "TASKS", "stable_hash"]

TASKS = ("ner", "classification")


def stable_hash(*parts: Any) -> str:
    """SHA-256 hex digest of JSON-serialised *parts* (sorted keys)."""
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Prediction:
    """What a model says about one example.

    NER adapters fill ``spans`` (character offsets into the example's text);
    classification adapters fill ``label`` and, when they can, ``probs``.
    """

    spans: tuple[Span, ...] | None = None
    label: str | tuple[str, ...] | None = None
    probs: Mapping[str, float] | None = None

    def apply(self, example: Example) -> Example:
        """A copy of *example* carrying this prediction instead of its gold annotation."""
        return example.copy(spans=self.spans, label=self.label,
                            probs=dict(self.probs) if self.probs is not None else None,
                            missing=() if self.spans is not None else example.missing)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.spans is not None:
            d["spans"] = [[s.start, s.end, s.label, s.score] for s in self.spans]
        if self.label is not None:
            d["label"] = list(self.label) if isinstance(self.label, tuple) else self.label
        if self.probs is not None:
            d["probs"] = dict(self.probs)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Prediction":
        spans = d.get("spans")
        label = d.get("label")
        return cls(
            spans=None if spans is None else tuple(Span(s, e, lab, sc) for s, e, lab, sc in spans),
            label=tuple(label) if isinstance(label, list) else label,
            probs=d.get("probs"),
        )


class Adapter(abc.ABC):
    """Base class of model adapters.

    Attributes
    ----------
    task : {"ner", "classification"}
        What the model predicts.
    kind : str
        The spec prefix the adapter is registered under (``"spacy"``, ``"hf"``...).
    batch_size : int
        Default number of examples per :meth:`predict_batch` call.
    label_map : LabelMap or None
        Applied by the engine to (cached) raw predictions, so changing it never
        invalidates the cache.
    """

    task: str = "ner"
    #: True while :attr:`task` is a placeholder, learnt from the first results (a
    #: callable without ``task=``): the engine checks the task against the data then.
    task_inferred: ClassVar[bool] = False
    kind: ClassVar[str] = "base"
    batch_size: int = 32

    label_map: Any = None

    @abc.abstractmethod
    def predict_batch(self, examples: Sequence[Example]) -> list[Prediction]:
        """Predict one :class:`Prediction` per example, in order."""

    @abc.abstractmethod
    def fingerprint(self) -> str:
        """A string that changes whenever the model's outputs could change
        (weights, config, tokenizer).  Part of every cache key."""

    def settings(self) -> dict[str, Any]:
        """Adapter options that change raw outputs (part of the cache key)."""
        return {}

    def input_key(self, example: Example) -> Any:
        """What of *example* the model sees: equal keys are predicted once.

        The default is the text, plus the token boundaries when the adapter
        uses them (:attr:`uses_tokens`).
        """
        if self.uses_tokens and example.tokens is not None:
            return (example.text, tuple((t.start, t.end) for t in example.tokens))
        return example.text

    #: Whether the adapter reads ``Example.tokens`` (pre-tokenized input).
    uses_tokens: bool = False

    def length(self, example: Example) -> int:
        """Cost estimate of *example*; the engine sorts by it to reduce padding."""
        return len(example.text)

    def lengths(self, examples: Sequence[Example]) -> list[int]:
        """Cost estimates of several examples at once (default: :meth:`length` of each).

        Adapters whose cost is not proportional to the characters (subword models)
        override this with one batched call, so the engine's length-sorted batches
        carry as little padding as possible."""
        return [self.length(ex) for ex in examples]

    def start_run(self) -> None:
        """Called by the engine before a prediction run (resets per-run counters)."""

    def finish_run(self) -> None:
        """Called by the engine after a run: emit the run's summary warnings here."""

    @property
    def device(self) -> str:
        return "cpu"

    def check_examples(self, examples: Sequence[Example]) -> None:
        """Raise :class:`InputError` for examples this adapter cannot take."""
        for i, ex in enumerate(examples):
            if not isinstance(ex, Example):
                raise InputError(Errors.E012.format(where=f"example {i}", expected="Example",
                                                    field="examples", got=type(ex).__name__))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task={self.task!r}, device={self.device!r})"


AdapterFactory = Callable[..., Adapter]
