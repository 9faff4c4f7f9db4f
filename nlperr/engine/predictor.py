"""Batched, deduplicated, cached prediction over any adapter."""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ..adapters.base import Adapter, Prediction, stable_hash
from ..adapters.labelmap import LabelMap, warn_dropped
from ..data import Example
from ..errors import Errors, InputError, ModelError
from .cache import PredictionCache

__all__ = ["Predictor", "predict", "STAT_KEYS"]

STAT_KEYS = ("requested", "unique", "cache_hits", "computed", "batches", "forward_passes")


def _input_hash(key: Any) -> str:
    data = json.dumps(key, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class Predictor:
    """Run an adapter over examples with deduplication, batching and a persistent cache.

    Parameters
    ----------
    adapter : Adapter or str
        A loaded adapter, or a spec for :func:`nlperr.adapters.load_model`.
    cache : bool or PredictionCache, default True
        ``True``: the on-disk cache in *cache_dir*; ``False``: no cache (identical
        inputs are still predicted once per call); or a :class:`PredictionCache`
        (e.g. ``PredictionCache(":memory:")``).
    cache_dir : str or Path, optional
        Folder of the cache (default ``$NLPERR_CACHE_DIR`` or ``~/.cache/nlperr``).
    batch_size : int, optional
        Examples per :meth:`Adapter.predict_batch` call (default: the adapter's).
    progress : bool or None, default None
        Show a tqdm bar.  ``None``: only when stderr is a terminal and more than
        two batches must be computed.
    label_map : LabelMap, dict or str, optional
        Overrides the adapter's label map; applied after the cache.

    Attributes
    ----------
    stats : dict
        Counts of the last :meth:`predict` call: ``requested`` (examples),
        ``unique`` (distinct inputs), ``cache_hits``, ``computed`` (inputs
        predicted by the model), ``batches`` and ``forward_passes`` (calls of
        ``predict_batch`` — the same number; both kept so callers can state
        which they mean), plus ``dropped_labels``.
    total_stats : dict
        The same counts summed over every call of this predictor.

    Examples
    --------
    >>> from nlperr import Example
    >>> from nlperr.engine import Predictor
    >>> p = Predictor(lambda texts: ["long" if len(t) > 5 else "short" for t in texts],
    ...               cache=False)
    >>> [ex.label for ex in p.predict([Example("hello world"), Example("hi"),
    ...                                Example("hi")])]
    ['long', 'short', 'short']
    >>> p.stats["unique"], p.stats["forward_passes"]
    (2, 1)
    """

    def __init__(self, adapter: Adapter | str | Any, *, cache: bool | PredictionCache = True,
                 cache_dir: Any = None, batch_size: int | None = None,
                 progress: bool | None = None,
                 label_map: LabelMap | Mapping[str, str | None] | str | None = None) -> None:
        if not isinstance(adapter, Adapter):
            from ..adapters import load_model

            adapter = load_model(adapter)
        self.adapter = adapter
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, int) or batch_size <= 0):
            raise InputError(Errors.E301.format(value=batch_size))
        self.batch_size = batch_size or int(adapter.batch_size)
        if progress not in (None, True, False):
            raise InputError(Errors.E304.format(value=progress))
        self.progress = progress
        if label_map is not None:
            unmapped = label_map.unmapped if isinstance(label_map, LabelMap) else "keep"
            self.label_map: LabelMap | None = LabelMap.from_spec(label_map, unmapped=unmapped)
        else:
            self.label_map = adapter.label_map
        if isinstance(cache, PredictionCache):
            self.cache: PredictionCache | None = cache
            self._owns_cache = False
        elif cache is True:
            self.cache = PredictionCache(cache_dir)
            self._owns_cache = True
        elif cache is False:
            self.cache = None
            self._owns_cache = False
        else:
            raise InputError(Errors.E207.format(value=cache, option="cache",
                                                allowed=[True, False, "a PredictionCache"]))
        self.stats: dict[str, Any] = self._zero()
        self.total_stats: dict[str, Any] = self._zero()

    @staticmethod
    def _zero() -> dict[str, Any]:
        d: dict[str, Any] = {k: 0 for k in STAT_KEYS}
        d["dropped_labels"] = {}
        return d

    def model_key(self) -> str:
        """Hash of what determines the adapter's raw outputs (fingerprint, settings, task)."""
        a = self.adapter
        return stable_hash(a.kind, a.fingerprint(), a.settings(), a.task)

    # -- prediction ----------------------------------------------------------------------
    def predict(self, examples: Iterable[Example]) -> list[Example]:
        """Copies of *examples* carrying the model's predictions, in the same order."""
        examples = list(examples)
        adapter = self.adapter
        adapter.check_examples(examples)
        stats = self._zero()
        stats["requested"] = len(examples)
        model_key = self.model_key() if self.cache is not None else ""
        # deduplicate ------------------------------------------------------------------
        slot_of: list[int] = []
        unique_keys: list[str] = []
        first_example: list[Example] = []
        index: dict[str, int] = {}
        for ex in examples:
            h = _input_hash(adapter.input_key(ex))
            slot = index.get(h)
            if slot is None:
                slot = index[h] = len(unique_keys)
                unique_keys.append(hashlib.sha256((model_key + h).encode()).hexdigest())
                first_example.append(ex)
            slot_of.append(slot)
        stats["unique"] = len(unique_keys)
        raw: list[Prediction | None] = [None] * len(unique_keys)
        # cache lookup -------------------------------------------------------------------
        if self.cache is not None and unique_keys:
            found = self.cache.get_many(unique_keys)
            for i, k in enumerate(unique_keys):
                if k in found:
                    raw[i] = found[k]
            stats["cache_hits"] = len(found)
        todo = [i for i, p in enumerate(raw) if p is None]
        todo.sort(key=lambda i: adapter.length(first_example[i]), reverse=True)
        # compute ------------------------------------------------------------------------
        if todo:
            bar = self._bar(len(todo))
            adapter.start_run()
            try:
                for s in range(0, len(todo), self.batch_size):
                    chunk = todo[s:s + self.batch_size]
                    preds = adapter.predict_batch([first_example[i] for i in chunk])
                    stats["forward_passes"] += 1
                    stats["batches"] += 1
                    if not isinstance(preds, list) or len(preds) != len(chunk) or not all(
                            isinstance(p, Prediction) for p in preds):
                        raise ModelError(Errors.E208.format(
                            name=repr(adapter),
                            got=len(preds) if isinstance(preds, list) else type(preds).__name__,
                            expected=len(chunk)))
                    for i, p in zip(chunk, preds):
                        raw[i] = p
                    stats["computed"] += len(chunk)
                    if self.cache is not None:
                        self.cache.put_many((unique_keys[i], model_key, p)
                                            for i, p in zip(chunk, preds))
                    if bar is not None:
                        bar.update(len(chunk))
            finally:
                if bar is not None:
                    bar.close()
                adapter.finish_run()
        # label map (after the cache) ------------------------------------------------------
        final: list[Prediction] = raw  # type: ignore[assignment]
        if self.label_map is not None:
            dropped: Counter[str] = Counter()
            final = []
            for p in raw:
                mapped, gone = self.label_map.apply(p)  # type: ignore[arg-type]
                dropped.update(gone)
                final.append(mapped)
            stats["dropped_labels"] = dict(dropped)
            warn_dropped(dropped)
        self.stats = stats
        for k in STAT_KEYS:
            self.total_stats[k] += stats[k]
        for lab, n in stats["dropped_labels"].items():
            self.total_stats["dropped_labels"][lab] = \
                self.total_stats["dropped_labels"].get(lab, 0) + n
        return [final[slot].apply(ex) for ex, slot in zip(examples, slot_of)]

    def _bar(self, total: int) -> Any:
        show = self.progress
        if show is None:
            show = bool(getattr(sys.stderr, "isatty", lambda: False)()) and \
                total > 2 * self.batch_size
        if not show:
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, unit="ex", desc=f"predict ({self.adapter.kind})",
                    leave=False, file=sys.stderr)

    def close(self) -> None:
        """Close the cache connection (if this predictor opened it)."""
        if self.cache is not None and self._owns_cache:
            self.cache.close()
            self.cache = None

    def __enter__(self) -> "Predictor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Predictor({self.adapter!r}, cache={self.cache!r})"


def predict(model: Adapter | str | Any, examples: Iterable[Example], *,
            batch_size: int | None = None, cache: bool | PredictionCache = True,
            cache_dir: Any = None, progress: bool | None = None,
            label_map: LabelMap | Mapping[str, str | None] | str | None = None) -> list[Example]:
    """Predict *examples* with *model*; return copies carrying the predictions, same order.

    Identical inputs are predicted once; results are cached on disk (keyed by
    the model's fingerprint and settings, so a changed checkpoint never reads
    old entries); the label map is applied after the cache.  See
    :class:`Predictor` for the parameters and ``docs/engine.md``.

    Examples
    --------
    >>> from nlperr import Example
    >>> from nlperr.engine import predict
    >>> def find_paris(texts):
    ...     return [[(t.find("Paris"), t.find("Paris") + 5, "LOC")] if "Paris" in t else []
    ...             for t in texts]
    >>> out = predict(find_paris, [Example("I love Paris"), Example("Hi")], cache=False)
    >>> [(ex.span_text(s), s.label) for ex in out for s in ex.spans]
    [('Paris', 'LOC')]
    """
    with Predictor(model, cache=cache, cache_dir=cache_dir, batch_size=batch_size,
                   progress=progress, label_map=label_map) as p:
        return p.predict(examples)
