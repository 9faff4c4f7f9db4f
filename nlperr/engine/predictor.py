"""Batched, deduplicated, cached prediction over any adapter."""

from __future__ import annotations

import hashlib
import itertools
import json
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..adapters._util import check_batch_size
from ..adapters.base import Adapter, Prediction, stable_hash
from ..adapters.labelmap import LabelMap, warn_dropped
from ..data import Example
from ..errors import Errors, InputError, ModelError
from ._task import check_task
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
    adapter : Adapter, str or callable
        A loaded adapter, a spec for :func:`nlperr.adapters.load_model` (loaded
        with ``lazy=True``: the weights load at the first prediction that is not
        cached), or a callable.
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

            # lazy: a spec whose predictions are all cached loads no weights, and shares
            # its cache entries with `nlperr predict`
            adapter = load_model(adapter, lazy=True)
        self.adapter = adapter
        self.batch_size = check_batch_size(batch_size) or int(adapter.batch_size)
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
        """Copies of *examples* carrying the model's predictions, in the same order.

        Raises :class:`~nlperr.errors.InputError` (E221) before any inference when
        the examples hold gold of the other task (class labels for an NER model,
        entity spans for a classifier): see :func:`check_task`."""
        examples = list(examples)
        self.adapter.check_examples(examples)
        checked = self._check_task(examples)
        run = _Run(self)
        try:
            out = run.chunk(examples)
            if not checked:
                self._check_task(examples)
        finally:
            run.finish()
        return out

    def _check_task(self, examples: list[Example]) -> bool:
        """E221 when the examples' gold is of the other task; False when the
        adapter's task is not known yet (a callable before its first result)."""
        if getattr(self.adapter, "task_inferred", False):
            return False
        check_task(self.adapter.task, examples, model=self.adapter)
        return True

    def predict_iter(self, examples: Iterable[Example], *,
                     chunk_size: int = 10_000) -> Iterator[Example]:
        """Stream predictions: read *examples* lazily, *chunk_size* at a time.

        Yields the predicted copies in input order, so a corpus that does not fit
        in memory can be predicted from an iterator (``nlperr.io.iter_conll``, a
        streaming Hugging Face dataset through ``from_hf_dataset``) and written
        as it goes.  Within a chunk, inputs are deduplicated and length-sorted as
        in :meth:`predict`; across chunks, repeated inputs are read from the cache
        (with ``cache=False`` they are predicted again).  :attr:`stats` covers the
        whole stream once it is exhausted (or closed); summary warnings (dropped
        labels, invalid tag sequences) are emitted once, at the end.

        Parameters
        ----------
        examples : iterable of Example
        chunk_size : int, default 10000
            Examples held in memory at a time (a multiple of the batch size keeps
            every batch full).

        Examples
        --------
        >>> from nlperr import Example
        >>> from nlperr.engine import Predictor
        >>> p = Predictor(lambda texts: [t.upper() for t in texts], cache=False)
        >>> stream = (Example(f"text {i}") for i in range(5))
        >>> [ex.label for ex in p.predict_iter(stream, chunk_size=2)]
        ['TEXT 0', 'TEXT 1', 'TEXT 2', 'TEXT 3', 'TEXT 4']
        >>> p.stats["requested"], p.stats["forward_passes"]
        (5, 3)
        """
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise InputError(Errors.E207.format(value=chunk_size, option="chunk_size",
                                                allowed="positive integers"))
        return self._stream(iter(examples), chunk_size)

    def _stream(self, examples: Iterator[Example], chunk_size: int) -> Iterator[Example]:
        run = _Run(self)
        try:
            checked = False
            while True:
                chunk = list(itertools.islice(examples, chunk_size))
                if not chunk:
                    break
                self.adapter.check_examples(chunk)
                # the task is checked on the first chunk, before any inference (after
                # its first batch when the adapter learns its task from its results)
                checked = checked or self._check_task(chunk)
                out = run.chunk(chunk)
                checked = checked or self._check_task(chunk)
                yield from out
        finally:
            run.finish()

    def _compute(self, run: "_Run", examples: list[Example],
                 ids: list[int]) -> Iterator[tuple[list[int], list[Prediction]]]:
        """Predict *examples* (length-sorted, longest first) batch by batch.

        Yields ``(ids of the batch, predictions)`` pairs, in the order of
        *examples*, and counts the adapter calls in ``run.stats``.  The one place
        where the model runs: :class:`~nlperr.engine.distributed.RayPredictor`
        overrides it to run the same batches on Ray workers.
        """
        adapter = self.adapter
        if not run.started:
            adapter.start_run()
            run.started = True
        bar = self._bar(len(examples))
        try:
            for s in range(0, len(examples), self.batch_size):
                preds = adapter.predict_batch(examples[s:s + self.batch_size])
                run.stats["forward_passes"] += 1
                run.stats["batches"] += 1
                chunk = ids[s:s + self.batch_size]
                check_predictions(adapter, preds, len(chunk))
                yield chunk, preds
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()

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


def check_predictions(adapter: Any, preds: Any, expected: int) -> None:
    """Raise E208 unless *preds* is a list of *expected* :class:`Prediction` objects."""
    if not isinstance(preds, list) or len(preds) != expected or not all(
            isinstance(x, Prediction) for x in preds):
        raise ModelError(Errors.E208.format(
            name=repr(adapter),
            got=len(preds) if isinstance(preds, list) else type(preds).__name__,
            expected=expected))


class _Run:
    """One prediction run of a :class:`Predictor` (one :meth:`~Predictor.predict`
    call, or a whole :meth:`~Predictor.predict_iter` stream): counts, the adapter's
    start/finish hooks and the dropped-label summary."""

    def __init__(self, predictor: Predictor) -> None:
        self.p = predictor
        self.stats = predictor._zero()
        self.dropped: Counter[str] = Counter()
        self.started = False
        self.model_key: str | None = None

    def chunk(self, examples: list[Example]) -> list[Example]:
        p = self.p
        adapter = p.adapter
        stats = self.stats
        stats["requested"] += len(examples)
        if self.model_key is None:
            self.model_key = p.model_key() if p.cache is not None else ""
        model_key = self.model_key
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
        stats["unique"] += len(unique_keys)
        raw: list[Prediction | None] = [None] * len(unique_keys)
        # cache lookup -------------------------------------------------------------------
        if p.cache is not None and unique_keys:
            found = p.cache.get_many(unique_keys)
            for i, k in enumerate(unique_keys):
                if k in found:
                    raw[i] = found[k]
            stats["cache_hits"] += len(found)
        todo = [i for i, r in enumerate(raw) if r is None]
        # compute ------------------------------------------------------------------------
        if todo:
            lens = adapter.lengths([first_example[i] for i in todo])
            order = sorted(range(len(todo)), key=lens.__getitem__, reverse=True)
            todo = [todo[k] for k in order]
            for chunk, preds in p._compute(self, [first_example[i] for i in todo], todo):
                for i, pred in zip(chunk, preds):
                    raw[i] = pred
                stats["computed"] += len(chunk)
                if p.cache is not None:
                    p.cache.put_many((unique_keys[i], model_key, pred)
                                     for i, pred in zip(chunk, preds))
        # label map (after the cache) ------------------------------------------------------
        final: list[Prediction] = raw  # type: ignore[assignment]
        if p.label_map is not None:
            final = []
            for r in raw:
                mapped, gone = p.label_map.apply(r)  # type: ignore[arg-type]
                self.dropped.update(gone)
                final.append(mapped)
        return [final[slot].apply(ex) for ex, slot in zip(examples, slot_of)]

    def finish(self) -> None:
        p = self.p
        try:
            if self.started:
                p.adapter.finish_run()
        finally:
            self.stats["dropped_labels"] = dict(self.dropped)
            warn_dropped(self.dropped)
            p.stats = self.stats
            for k in STAT_KEYS:
                p.total_stats[k] += self.stats[k]
            for lab, n in self.dropped.items():
                p.total_stats["dropped_labels"][lab] = \
                    p.total_stats["dropped_labels"].get(lab, 0) + n

def predict(model: Adapter | str | Any, examples: Iterable[Example], *,
            batch_size: int | None = None, cache: bool | PredictionCache = True,
            cache_dir: Any = None, progress: bool | None = None,
            label_map: LabelMap | Mapping[str, str | None] | str | None = None,
            engine: str = "local", **engine_options: Any) -> list[Example]:
    """Predict *examples* with *model*; return copies carrying the predictions, same order.

    ``engine="ray"`` runs the model on a Ray actor pool (``address=``, ``workers=``,
    ``gpus_per_worker=``; see :class:`nlperr.engine.distributed.RayPredictor` and
    ``docs/scale.md``) with the same results.  *examples* may also be a
    ``ray.data.Dataset`` with a ``text`` column (either engine).

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
    from .distributed import examples_from_ray_dataset, make_predictor

    with make_predictor(model, engine=engine, cache=cache, cache_dir=cache_dir,
                        batch_size=batch_size, progress=progress, label_map=label_map,
                        **engine_options) as p:
        if type(examples).__module__.startswith("ray.data"):  # a ray.data.Dataset
            return list(p.predict_iter(examples_from_ray_dataset(examples)))
        return p.predict(examples)
