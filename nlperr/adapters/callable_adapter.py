"""Adapter over a plain Python function ``list[str] -> list[result]``."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..data import Example, Span, validate_spans
from ..errors import Errors, InputError, ModelError, ModelNotFoundError
from ._util import check_choice, hash_code, qualified_name
from .base import TASKS, Adapter, Prediction, stable_hash

__all__ = ["CallableAdapter", "load_callable"]

_EXPECTED = {
    "ner": "a list of spans: Span, (start, end, label[, score]) or "
           "{'start', 'end', 'label'[, 'score']}",
    "classification": "a label (str), a list of labels (multi-label) or a dict {label: prob}",
    None: "a label (str), a dict {label: prob} or a list of spans",
}


class CallableAdapter(Adapter):
    """Wrap ``func(texts: list[str]) -> list[result]`` as an adapter.

    Each result is, for NER, a list of spans given as :class:`~nlperr.data.Span`,
    ``(start, end, label)`` / ``(start, end, label, score)`` tuples or dicts with
    ``start``, ``end``, ``label`` (and ``score``); for classification, a label,
    a list/tuple of labels (multi-label) or a dict of class probabilities (the
    label is the argmax; with ``multi_label=True`` the labels at or above
    ``threshold``).

    With ``task=None`` the task is inferred from the first result (a ``str`` or
    ``dict`` of numbers means classification, a list means NER).

    The fingerprint (cache key) is the function's qualified name and a hash of
    its code (bytecode, constants, nested functions) plus *fingerprint* when
    given.  State the function reads from outside (globals, files, a model it
    loads) is **not** tracked: pass ``fingerprint="v2"`` (any string) when it
    changes, or ``cache=False`` to the engine.
    """

    kind = "callable"

    def __init__(self, func: Callable[[list[str]], Sequence[Any]], *, task: str | None = None,
                 batch_size: int | None = None, fingerprint: str | None = None,
                 multi_label: bool = False, threshold: float = 0.5, strict: bool = True,
                 name: str | None = None) -> None:
        if not callable(func):
            raise InputError(Errors.E012.format(where="callable adapter", expected="a callable",
                                                field="func", got=type(func).__name__))
        if task is not None:
            check_choice("task", task, TASKS)
        self.func = func
        self._task = task
        self.batch_size = int(batch_size) if batch_size else 32
        self.user_fingerprint = fingerprint
        self.multi_label = bool(multi_label)
        self.threshold = float(threshold)
        self.strict = bool(strict)
        self.name = name or qualified_name(func)

    @property
    def task(self) -> str:  # type: ignore[override]
        return self._task or "ner"

    @property
    def task_inferred(self) -> bool:
        """True while the task is not known yet (``task=None`` and no result seen):
        :attr:`task` is then a placeholder, and the engine checks the task against
        the data only after the first batch."""
        return self._task is None

    def settings(self) -> dict[str, Any]:
        return {"task": self._task, "multi_label": self.multi_label, "threshold": self.threshold,
                "strict": self.strict}

    def fingerprint(self) -> str:
        return stable_hash("callable", self.name, hash_code(self.func), self.user_fingerprint)

    def predict_batch(self, examples: Sequence[Example]) -> list[Prediction]:
        texts = [ex.text for ex in examples]
        results = self.func(texts)
        try:
            n = len(results)
        except TypeError:
            raise ModelError(Errors.E208.format(name=self.name, got=f"a {type(results).__name__}",
                                                expected=len(texts))) from None
        if n != len(texts):
            raise ModelError(Errors.E208.format(name=self.name, got=n, expected=len(texts)))
        return [self._convert(r, ex, i) for i, (r, ex) in enumerate(zip(results, examples))]

    # -- conversion --------------------------------------------------------------
    def _bad(self, result: Any, index: int) -> ModelError:
        return ModelError(Errors.E209.format(name=self.name, got=result, index=index,
                                             expected=_EXPECTED[self._task]))

    def _convert(self, result: Any, example: Example, index: int) -> Prediction:
        task = self._task
        if task is None:
            if isinstance(result, (str, Mapping)):
                task = "classification"
            elif isinstance(result, (list, tuple)):
                task = "ner"
            else:
                raise self._bad(result, index)
            self._task = task
        if task == "classification":
            return self._classification(result, index)
        return self._ner(result, example, index)

    def _classification(self, result: Any, index: int) -> Prediction:
        if isinstance(result, str):
            if not result:
                raise self._bad(result, index)
            return Prediction(label=result)
        if isinstance(result, (list, tuple)):
            if not all(isinstance(x, str) and x for x in result):
                raise self._bad(result, index)
            return Prediction(label=tuple(result))
        if isinstance(result, Mapping):
            probs: dict[str, float] = {}
            for k, v in result.items():
                if not isinstance(k, str) or isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise self._bad(result, index)
                probs[k] = float(v)
            if not probs:
                raise self._bad(result, index)
            if self.multi_label:
                label: str | tuple[str, ...] = tuple(k for k, p in probs.items()
                                                     if p >= self.threshold)
            else:
                label = max(probs, key=probs.__getitem__)
            return Prediction(label=label, probs=probs)
        raise self._bad(result, index)

    def _ner(self, result: Any, example: Example, index: int) -> Prediction:
        if not isinstance(result, (list, tuple)):
            raise self._bad(result, index)
        spans = []
        for item in result:
            try:
                if isinstance(item, Span):
                    sp = item
                elif isinstance(item, Mapping):
                    sp = Span(int(item["start"]), int(item["end"]), item["label"],
                              None if item.get("score") is None else float(item["score"]))
                elif isinstance(item, (list, tuple)) and len(item) in (3, 4):
                    score = item[3] if len(item) == 4 else None
                    sp = Span(int(item[0]), int(item[1]), item[2],
                              None if score is None else float(score))
                else:
                    raise TypeError("not a span")
            except (KeyError, TypeError, ValueError):
                raise self._bad(item, index) from None
            spans.append(sp)
        where = f"callable {self.name!r}, text {index} ({example._where()})"
        return Prediction(spans=validate_spans(example.text, spans, strict=self.strict,
                                               where=where))

    def __repr__(self) -> str:
        return f"CallableAdapter({self.name}, task={self._task!r})"


def load_callable(target: str, **options: Any) -> CallableAdapter:
    """``"package.module:function"`` -> :class:`CallableAdapter` (the function may be dotted)."""
    if ":" not in target:
        raise InputError(Errors.E218.format(spec="callable:" + target,
                                            expected="'callable:package.module:function'"))
    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise InputError(Errors.E218.format(spec="callable:" + target,
                                            expected="'callable:package.module:function'"))
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as e:
        raise ModelNotFoundError(Errors.E213.format(target=target, error=e)) from e
    try:
        for part in attr.split("."):
            obj = getattr(obj, part)
    except AttributeError as e:
        raise ModelNotFoundError(Errors.E213.format(target=target, error=e)) from e
    options.setdefault("name", target)
    return CallableAdapter(obj, **options)
