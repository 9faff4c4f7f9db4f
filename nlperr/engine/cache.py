"""A persistent, crash-safe prediction cache on SQLite (standard library).

One table ``predictions(key, model, value, created)``: *key* is the SHA-256 of
the model's fingerprint, its output-relevant settings, its task and the input;
*value* is the :class:`~nlperr.adapters.Prediction` as JSON.  The database runs
in WAL mode and every batch is written in one transaction, so a run killed at
any point loses at most the batch in flight and never leaves a half-written
entry behind (SQLite's atomic commit).

Several processes may share a cache (a CI matrix, a notebook beside a script):
readers never wait for writers (WAL); writers queue on SQLite's lock with a busy
timeout, and an operation that still finds the database locked or busy is retried
with growing pauses for up to :data:`LOCK_PATIENCE` seconds in all before E302 is
raised.  Keys are the table's primary key, so two processes that compute the same
input store one entry (the later, identical value wins); no entry is ever
duplicated or half-written.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..adapters.base import Prediction
from ..errors import Errors, ModelError

__all__ = ["PredictionCache", "default_cache_dir", "CACHE_FILENAME"]

CACHE_FILENAME = "predictions.sqlite3"
_CHUNK = 500  # keys per SELECT ... IN (...)
#: Seconds a cache operation keeps retrying while another process holds the lock.
LOCK_PATIENCE = 300.0
_BUSY_TIMEOUT = 10.0  # seconds SQLite itself waits for the lock, per attempt


def _is_busy(err: sqlite3.Error) -> bool:
    msg = str(err).lower()
    return isinstance(err, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg)


def _retrying(op, *, patience: float | None = None):  # noqa: ANN001, ANN202
    """Run ``op()``; while SQLite says the database is locked or busy, retry with
    growing pauses (jittered, at most 1 s) for up to *patience* seconds."""
    deadline = time.monotonic() + (LOCK_PATIENCE if patience is None else patience)
    pause = 0.01
    while True:
        try:
            return op()
        except sqlite3.Error as e:
            if not _is_busy(e) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))
        pause = min(pause * 2, 1.0)


def default_cache_dir() -> Path:
    """``$NLPERR_CACHE_DIR`` if set, else ``~/.cache/nlperr``."""
    env = os.environ.get("NLPERR_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nlperr"


class PredictionCache:
    """Key -> :class:`~nlperr.adapters.Prediction` store in a SQLite file.

    Parameters
    ----------
    path : str or Path, optional
        A folder (the database is ``<folder>/predictions.sqlite3``), a file path
        ending in ``.sqlite3`` / ``.sqlite`` / ``.db``, or ``":memory:"`` for a
        cache that lives as long as the object.  Default: :func:`default_cache_dir`.

    Examples
    --------
    >>> import tempfile
    >>> from nlperr.adapters import Prediction
    >>> from nlperr.engine import PredictionCache
    >>> with PredictionCache(tempfile.mkdtemp()) as cache:
    ...     n = cache.put_many([("k1", "model", Prediction(label="pos"))])
    ...     cache.get_many(["k1", "k2"])
    {'k1': Prediction(spans=None, label='pos', probs=None)}
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            path = default_cache_dir()
        if str(path) == ":memory:":
            self.path = ":memory:"
        else:
            p = Path(path).expanduser()
            if p.suffix not in (".sqlite3", ".sqlite", ".db"):
                p = p / CACHE_FILENAME
            self.path = str(p)
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT,
                                         isolation_level=None)
            _retrying(self._setup)
        except (sqlite3.Error, OSError) as e:
            raise ModelError(Errors.E302.format(path=self.path, error=e)) from e

    def _setup(self) -> None:
        conn = self._conn
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("CREATE TABLE IF NOT EXISTS predictions (key TEXT PRIMARY KEY, "
                     "model TEXT NOT NULL, value TEXT NOT NULL, created REAL NOT NULL)")
        conn.execute("CREATE INDEX IF NOT EXISTS predictions_model ON predictions(model)")

    # -- reading -----------------------------------------------------------------
    def get_many(self, keys: Sequence[str]) -> dict[str, Prediction]:
        """The cached predictions of those *keys* that are present."""
        out: dict[str, Prediction] = {}
        keys = list(keys)
        try:
            for s in range(0, len(keys), _CHUNK):
                chunk = keys[s:s + _CHUNK]
                q = "SELECT key, value FROM predictions WHERE key IN (%s)" % ",".join(
                    "?" * len(chunk))
                for key, value in _retrying(lambda: self._conn.execute(q, chunk).fetchall()):
                    try:
                        out[key] = Prediction.from_json(json.loads(value))
                    except (ValueError, TypeError, KeyError) as e:
                        raise ModelError(Errors.E303.format(path=self.path, key=key,
                                                            error=e)) from e
        except sqlite3.Error as e:
            raise ModelError(Errors.E302.format(path=self.path, error=e)) from e
        return out

    def get(self, key: str) -> Prediction | None:
        return self.get_many([key]).get(key)

    # -- writing -----------------------------------------------------------------
    def put_many(self, items: Iterable[tuple[str, str, Prediction]]) -> int:
        """Store ``(key, model, prediction)`` items in **one** transaction; return the count."""
        now = time.time()
        rows = [(k, m, json.dumps(p.to_json(), ensure_ascii=False), now) for k, m, p in items]
        if not rows:
            return 0
        def write() -> None:
            self._conn.execute("BEGIN IMMEDIATE")  # takes the write lock (or is retried)
            try:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO predictions (key, model, value, created) "
                    "VALUES (?, ?, ?, ?)", rows)
                self._conn.execute("COMMIT")
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

        try:
            _retrying(write)
        except sqlite3.Error as e:
            raise ModelError(Errors.E302.format(path=self.path, error=e)) from e
        return len(rows)

    def clear(self, model: str | None = None) -> int:
        """Delete every entry (or those of one *model* key); return how many."""
        def delete() -> int:
            if model is None:
                return self._conn.execute("DELETE FROM predictions").rowcount
            return self._conn.execute("DELETE FROM predictions WHERE model = ?",
                                      (model,)).rowcount

        try:
            return int(_retrying(delete))
        except sqlite3.Error as e:
            raise ModelError(Errors.E302.format(path=self.path, error=e)) from e

    # -- misc --------------------------------------------------------------------
    def __len__(self) -> int:
        return int(_retrying(
            lambda: self._conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]))

    def info(self) -> dict[str, Any]:
        """``{"path", "entries", "models"}``."""
        models = self._conn.execute("SELECT COUNT(DISTINCT model) FROM predictions").fetchone()
        return {"path": self.path, "entries": len(self), "models": int(models[0])}

    def close(self) -> None:
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
            self._conn = None  # type: ignore[assignment]

    def __enter__(self) -> "PredictionCache":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PredictionCache({self.path!r})"
