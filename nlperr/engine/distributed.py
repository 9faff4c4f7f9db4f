"""The Ray backend of the prediction engine (``engine="ray"``) and Ray-sharded corpus statistics.

:class:`RayPredictor` is a :class:`~nlperr.engine.Predictor` whose model runs on
Ray workers; everything else stays on the driver, unchanged:

* **driver** -- reads the input (a list, a stream, or the rows of a user's
  ``ray.data.Dataset``), deduplicates it, looks the inputs up in the prediction
  cache, sorts what must be computed by length (longest first, as the local
  engine does) and writes the new predictions to the cache (one writer, one
  transaction per batch: no torn or duplicated entries);
* **workers** -- a pool of Ray actors that lives as long as the predictor: each
  actor unpickles the adapter once (a spec or a lazy adapter loads its weights
  there, once per actor, not once per call) and runs ``predict_batch`` on batches
  of exactly ``batch_size`` inputs -- the same batches the local engine forms, so
  even padding-sensitive models give the same outputs.  Batches go to whichever
  actor is free, a bounded number at a time, and come back in input order.
  Actors that die are restarted and their batches retried by Ray
  (``max_restarts=-1``, ``max_task_retries=-1``).

:func:`ray_corpus_stats` runs :class:`~nlperr.ocr.stats.CorpusStats` over
consecutive blocks of documents as Ray tasks and merges the partial results in
input order (:meth:`CorpusStats.merge`), which gives exactly the single-process
result.

``ray`` is imported only inside these functions (``pip install 'nlperr[ray]'``).
See ``docs/scale.md``.
"""

from __future__ import annotations

import collections
import copy
import pickle
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import Errors, InputError, MissingDependencyError, ModelError, NlperrError
from .predictor import Predictor, _Run, check_predictions

if TYPE_CHECKING:
    from ..data import Example

__all__ = ["ENGINES", "RayPredictor", "check_engine", "init_ray", "make_predictor",
           "ray_corpus_stats", "ray_ordered", "examples_from_ray_dataset"]

ENGINES = ("local", "ray")


def _require_ray() -> Any:
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise MissingDependencyError(Errors.E203.format(
            what="the Ray engine (engine='ray', --engine ray)", package="ray[data]",
            extra="ray")) from None
    return ray


def init_ray(address: str | None = None, *, num_cpus: int | None = None) -> Any:
    """Connect to Ray: the running instance if there is one, else *address*
    (``"auto"``, ``"ray://host:10001"``...), else a new local instance with
    *num_cpus* CPUs.  Returns the ``ray`` module."""
    ray = _require_ray()
    if not ray.is_initialized():
        opts: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                "ignore_reinit_error": True}
        if address:
            opts["address"] = address
        elif num_cpus is not None:
            opts["num_cpus"] = num_cpus
        ray.init(**opts)
    return ray


def _check_workers(workers: Any, gpus_per_worker: Any) -> None:
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 1):
        raise InputError(Errors.E207.format(value=workers, option="workers",
                                            allowed="a positive integer (or None: all CPUs)"))
    if isinstance(gpus_per_worker, bool) or not isinstance(gpus_per_worker, (int, float)) \
            or not gpus_per_worker >= 0:
        raise InputError(Errors.E207.format(value=gpus_per_worker, option="gpus_per_worker",
                                            allowed="a number >= 0"))


def _default_workers(ray: Any, gpus_per_worker: float) -> int:
    """One worker per CPU of the cluster; with GPUs, as many as the GPUs hold at
    *gpus_per_worker* each, but no more than the CPUs (each worker takes one: more
    actors than CPUs would wait forever to start)."""
    res = ray.cluster_resources()
    cpus = max(1, int(res.get("CPU", 1)))
    if gpus_per_worker > 0:
        return max(1, min(cpus, int(res.get("GPU", 0) // gpus_per_worker)))
    return cpus


def _shippable(adapter: Any) -> Any:
    """The adapter as it is sent to the workers: a deferred (spec-named) adapter goes
    without the weights the driver may have loaded (to measure input lengths), so
    each worker loads them itself."""
    from ..adapters.deferred import DeferredAdapter

    if isinstance(adapter, DeferredAdapter) and adapter.loaded:
        clone = copy.copy(adapter)
        clone._loaded = None
        return clone
    return adapter


class _Worker:
    """A Ray actor holding one copy of the adapter for the predictor's lifetime."""

    def __init__(self, payload: bytes) -> None:
        self.adapter = pickle.loads(payload)
        self.started = False

    def ready(self) -> bool:
        return True

    def run(self, start: int, blob: bytes) -> tuple[int, bytes, bytes]:
        """Predict one batch: ``(start, pickled predictions, b"")``, or ``(start, b"",
        pickled error)`` when the model raised (Ray would keep only its text)."""
        if not self.started:  # per-actor run hooks (summary warnings go to the worker log)
            self.adapter.start_run()
            self.started = True
        examples = pickle.loads(blob)
        try:
            preds = self.adapter.predict_batch(examples)
            check_predictions(self.adapter, preds, len(examples))
        except Exception as e:
            return start, b"", _pickle_error(e)
        return start, pickle.dumps(preds), b""


def _pickle_error(e: Exception) -> bytes:
    try:
        blob = pickle.dumps(e)
        pickle.loads(blob)
        return blob
    except Exception:  # an exception that does not pickle: keep its type and message
        return pickle.dumps(ModelError(Errors.E1055.format(
            error=f"{type(e).__name__}: {e}")))


class RayPredictor(Predictor):
    """A :class:`~nlperr.engine.Predictor` that runs the model on a Ray actor pool.

    Takes every parameter of :class:`Predictor` plus the ones below; the
    results, their order, the cache entries and :attr:`stats` are those of the
    local engine (``batches`` / ``forward_passes`` count the workers' calls).

    Parameters
    ----------
    address : str, optional
        Ray cluster to join (``"auto"``, ``"ray://head:10001"``); default: the
        running Ray instance, else a new local one.
    workers : int, optional
        Actors in the pool (default: one per CPU of the cluster, or per
        *gpus_per_worker* GPUs).
    gpus_per_worker : float, default 0
        GPUs reserved by each actor (fractions share a GPU).
    block_batches : int, default 4
        Batches sent ahead to each actor (the driver holds at most
        ``workers * block_batches`` pickled batches at a time).

    Notes
    -----
    The actors start on the first call that computes something and serve every
    later call and every chunk of :meth:`predict_iter`: the model loads once per
    actor for the predictor's lifetime.  :meth:`close` (or the ``with`` block)
    stops them; so does the end of the Ray session.

    Examples
    --------
    ``RayPredictor("spacy:en_core_web_sm", workers=2).predict(examples)`` -- see
    ``docs/scale.md``.
    """

    def __init__(self, adapter: Any, *, address: str | None = None, workers: int | None = None,
                 gpus_per_worker: float = 0, block_batches: int = 4, **options: Any) -> None:
        _check_workers(workers, gpus_per_worker)
        if isinstance(block_batches, bool) or not isinstance(block_batches, int) \
                or block_batches < 1:
            raise InputError(Errors.E207.format(value=block_batches, option="block_batches",
                                                allowed="a positive integer"))
        _require_ray()
        super().__init__(adapter, **options)
        self.address = address
        self.workers = workers
        self.gpus_per_worker = gpus_per_worker
        self.block_batches = block_batches
        self._payload: bytes | None = None
        self._actors: list[Any] | None = None
        self._actors_job: Any = None

    def _pool(self, ray: Any) -> list[Any]:
        """The actors, started on first use (again after a new Ray session)."""
        job = ray.get_runtime_context().get_job_id()
        if self._actors is not None and self._actors_job == job:
            return self._actors
        if self._payload is None:
            from ray import cloudpickle

            self._payload = cloudpickle.dumps(_shippable(self.adapter))
        workers = self.workers or _default_workers(ray, self.gpus_per_worker)
        cls = ray.remote(_Worker).options(
            num_cpus=1, num_gpus=self.gpus_per_worker or 0,
            max_restarts=-1, max_task_retries=-1)  # a dead actor restarts, its batch retried
        payload = ray.put(self._payload)
        actors = [cls.remote(payload) for _ in range(workers)]
        ray.get([a.ready.remote() for a in actors])  # constructor errors surface here
        self._actors, self._actors_job = actors, job
        return actors

    def _compute(self, run: _Run, examples: list[Example],
                 ids: list[int]) -> Iterator[tuple[list[int], list[Any]]]:
        ray = init_ray(self.address)
        from ray.util import ActorPool

        actors = self._pool(ray)
        bs = self.batch_size
        n = len(examples)
        # the batches of the local engine (the same batches, so the same outputs even
        # for models whose output depends on the batch, e.g. through padding), sent to
        # whichever actor is free, at most block_batches per actor ahead
        starts = iter(range(0, n, bs))
        pool = ActorPool(actors)

        def submit() -> bool:
            s = next(starts, None)
            if s is None:
                return False
            pool.submit(lambda a, v: a.run.remote(*v), (s, pickle.dumps(examples[s:s + bs])))
            return True

        for _ in range(len(actors) * self.block_batches):
            if not submit():
                break
        bar = self._bar(n)
        done = 0
        try:
            while pool.has_next():
                s, blob, err = pool.get_next()  # in submission (= input) order
                submit()
                run.stats["forward_passes"] += 1
                run.stats["batches"] += 1
                if err:  # the model raised on a worker: the same error as locally
                    raise pickle.loads(err)
                if s != done:
                    raise ModelError(Errors.E1052.format(missing=abs(s - done), total=n))
                got = pickle.loads(blob)
                yield ids[s:s + len(got)], got
                done = s + len(got)
                if bar is not None:
                    bar.update(len(got))
        finally:
            if bar is not None:
                bar.close()
        if done != n:
            raise ModelError(Errors.E1052.format(missing=n - done, total=n))
        # the adapter's start_run / finish_run hooks ran on the workers, not here

    def close(self) -> None:
        """Stop the actors and close the cache (if this predictor opened it)."""
        actors, self._actors = self._actors, None
        if actors:
            try:
                import ray

                if ray.is_initialized():
                    for a in actors:
                        ray.kill(a)
            except Exception:  # noqa: BLE001 - the session may be gone already
                pass
        super().close()

    def predict_dataset(self, dataset: Any, *, text_column: str = "text",
                        chunk_size: int = 10_000) -> Iterator[Example]:
        """Stream predictions over the rows of a ``ray.data.Dataset`` (in its order).

        Each row becomes an :class:`~nlperr.data.Example` (see
        :func:`examples_from_ray_dataset`); rows are read through the driver,
        *chunk_size* at a time, so deduplication and the cache work as for any
        other input.
        """
        return self.predict_iter(examples_from_ray_dataset(dataset, text_column=text_column),
                                 chunk_size=chunk_size)

    def __repr__(self) -> str:
        return (f"RayPredictor({self.adapter!r}, workers={self.workers}, "
                f"gpus_per_worker={self.gpus_per_worker}, cache={self.cache!r})")


def examples_from_ray_dataset(dataset: Any, *, text_column: str = "text") -> Iterator[Example]:
    """Examples from the rows of a ``ray.data.Dataset`` (order kept).

    A row gives ``Example(row[text_column], id=row.get("id"))`` (raw text: the
    adapter tokenizes it, as for ``nlperr predict`` on a JSONL file of texts).
    """
    from ..data import Example

    from ray.data import DataContext

    DataContext.get_current().execution_options.preserve_order = True
    cols = dataset.columns() if hasattr(dataset, "columns") else None
    if cols is not None and text_column not in cols:
        raise InputError(Errors.E1053.format(column=text_column, columns=cols))
    for row in dataset.iter_rows():
        yield Example(str(row[text_column]),
                      id=str(row["id"]) if row.get("id") is not None else None)


def make_predictor(model: Any, *, engine: str = "local", address: str | None = None,
                   workers: int | None = None, gpus_per_worker: float = 0,
                   **options: Any) -> Predictor:
    """A :class:`Predictor` for ``engine="local"`` or a :class:`RayPredictor` for ``"ray"``.

    *options* are :class:`Predictor`'s (``cache``, ``cache_dir``, ``batch_size``,
    ``progress``, ``label_map``).  The Ray options must stay unset with the
    local engine.
    """
    if engine not in ENGINES:
        raise InputError(Errors.E207.format(value=engine, option="engine", allowed=list(ENGINES)))
    if engine == "local":
        if address is not None or workers is not None or gpus_per_worker:
            raise InputError(Errors.E1054.format(
                got={k: v for k, v in (("address", address), ("workers", workers),
                                       ("gpus_per_worker", gpus_per_worker)) if v}))
        return Predictor(model, **options)
    return RayPredictor(model, address=address, workers=workers,
                        gpus_per_worker=gpus_per_worker, **options)


# --- corpus statistics on Ray -------------------------------------------------------------

def _stats_block(template: bytes, docs: list[tuple[str | None, str]]) -> bytes:
    from ray import cloudpickle  # garbage rules may be closures

    acc = pickle.loads(template)  # a fresh, writable copy per block
    for doc_id, text in docs:
        if doc_id is None:
            acc.add(text)
        else:
            acc.add(text, id=doc_id)
    detach = getattr(acc, "detach", None)  # CorpusStats: the counts only, not the lexicon
    return cloudpickle.dumps(detach() if detach is not None else acc)


def ray_corpus_stats(acc: Any, items: Iterable[Any], *, address: str | None = None,
                     workers: int | None = None, block_tokens: int = 200_000,
                     progress: bool | None = None) -> Any:
    """Feed *items* (``str`` or ``(id, str)``) into the empty accumulator *acc*
    (:class:`~nlperr.ocr.stats.CorpusStats` or :class:`~nlperr.ocr.stats.Reference`:
    anything with ``add`` and an in-order ``merge``) through Ray tasks; returns *acc*.

    The driver reads the stream in blocks of about *block_tokens* characters / 6
    (a cheap token estimate), keeps at most ``2 * workers`` blocks in flight
    (flat memory), and merges the partial accumulators in input order, so the
    result equals ``acc.add`` over every item.
    """
    _check_workers(workers, 0)
    ray = init_ray(address)
    from ray import cloudpickle

    template = ray.put(cloudpickle.dumps(acc))

    def blocks() -> Iterator[tuple]:
        block: list[tuple[str | None, str]] = []
        size = 0
        for item in items:
            doc = item if isinstance(item, tuple) else (None, item)
            block.append(doc)
            size += len(doc[1]) // 6 + 1
            if size >= block_tokens:
                yield template, block
                block, size = [], 0
        if block:
            yield template, block

    for part in ray_ordered(_stats_block, blocks(), address=address, workers=workers,
                            progress=progress, desc="ocr stats (ray)"):
        acc.merge(pickle.loads(part))
    return acc


def _under_limits(bounds: dict[str, int], fn: Any, *args: Any) -> Any:
    """A Ray task: ``fn(*args)`` under the resource limits *bounds*."""
    from ..limits import limits

    with limits(**bounds):
        return fn(*args)


def ray_ordered(fn: Any, calls: Iterable[tuple], *, address: str | None = None,
                workers: int | None = None, progress: bool | None = None,
                desc: str = "ray") -> Iterator[Any]:
    """``fn(*args)`` for every *args* of *calls* as Ray tasks (one CPU each, retried
    when a worker dies), yielded in input order.  At most ``2 * workers`` tasks are
    in flight, so the driver holds a bounded number of blocks however long *calls*
    is.  An nlperr error raised in a task is raised here as it is.  The tasks run under
    the driver's resource limits (:mod:`nlperr.limits`: a worker is another process,
    which would otherwise read files under its own)."""
    import dataclasses

    from ray.exceptions import RayTaskError

    from ..limits import get_limits

    _check_workers(workers, 0)
    ray = init_ray(address)
    remote = ray.remote(num_cpus=1, max_retries=3)(_under_limits)
    bounds = dataclasses.asdict(get_limits())
    limit = 2 * (workers or _default_workers(ray, 0))
    pending: collections.deque = collections.deque()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(unit="block", desc=desc, leave=False)

    def take() -> Any:
        try:
            out = ray.get(pending.popleft())
        except RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, NlperrError):
                raise cause from None
            raise
        if bar is not None:
            bar.update(1)
        return out

    try:
        for args in calls:
            pending.append(remote.remote(bounds, fn, *args))
            while len(pending) > limit:
                yield take()
        while pending:
            yield take()
    finally:
        # An error or an abandoned generator: the tasks still in flight (at most
        # 2 * workers) run to their end and their results are dropped with the refs.
        # They are not cancelled: on Ray 2.60 a task cancelled as it completes can
        # crash the driver ("Check failed: it != submissible_tasks_.end()" in
        # TaskManager::CompletePendingTask), which ended a test run here.
        pending.clear()
        if bar is not None:
            bar.close()


def check_engine(engine: str, address: str | None = None, workers: int | None = None) -> None:
    """E207 for an unknown engine; E1054 for Ray options with the local engine."""
    if engine not in ENGINES:
        raise InputError(Errors.E207.format(value=engine, option="engine", allowed=list(ENGINES)))
    if engine == "local" and (address is not None or workers is not None):
        raise InputError(Errors.E1054.format(
            got={k: v for k, v in (("address", address), ("workers", workers)) if v}))
