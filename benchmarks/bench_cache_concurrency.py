"""Several processes writing one prediction cache: errors, duplicates, throughput.

Each of P processes writes R small transactions of overlapping keys into one cache
folder and reads them back.  Two writers are compared in the same run:

* ``PredictionCache`` (busy timeout + retries with jittered backoff);
* a plain SQLite writer with the same schema and a short busy timeout but no retry
  (what "database is locked" looks like without the retry loop).

    python benchmarks/bench_cache_concurrency.py [--procs 8] [--rounds 200] [--markdown]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option  # noqa: E402

from nlperr.adapters import Prediction  # noqa: E402
from nlperr.engine import PredictionCache  # noqa: E402
from nlperr.engine.cache import CACHE_FILENAME  # noqa: E402


def _keys(worker: int, r: int) -> list[str]:
    return [f"k{(worker * 7 + r * 3 + j) % 500}" for j in range(8)]


def with_cache(folder: str, worker: int, rounds: int, q) -> None:  # noqa: ANN001
    errors = 0
    with PredictionCache(folder) as cache:
        for r in range(rounds):
            keys = _keys(worker, r)
            try:
                cache.put_many([(k, "m", Prediction(label=k)) for k in keys])
                cache.get_many(keys)
            except Exception:  # noqa: BLE001 - counted
                errors += 1
    q.put(errors)


def without_retry(folder: str, worker: int, rounds: int, q) -> None:  # noqa: ANN001
    errors = 0
    con = sqlite3.connect(str(Path(folder) / CACHE_FILENAME), timeout=0.05, isolation_level=None)
    for r in range(rounds):
        keys = _keys(worker, r)
        try:
            con.execute("BEGIN IMMEDIATE")
            con.executemany("INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?)",
                            [(k, "m", '{"label": "%s"}' % k, time.time()) for k in keys])
            con.execute("COMMIT")
        except sqlite3.OperationalError:
            errors += 1
            if con.in_transaction:
                con.execute("ROLLBACK")
    con.close()
    q.put(errors)


def run(target, procs: int, rounds: int) -> tuple[int, float, int, int]:  # noqa: ANN001
    folder = tempfile.mkdtemp(prefix="nlperr-cache-bench-")
    PredictionCache(folder).close()  # schema + WAL
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    t0 = time.perf_counter()
    ps = [ctx.Process(target=target, args=(folder, w, rounds, q)) for w in range(procs)]
    for p in ps:
        p.start()
    errors = sum(q.get(timeout=600) for _ in ps)
    for p in ps:
        p.join()
    secs = time.perf_counter() - t0
    con = sqlite3.connect(str(Path(folder) / CACHE_FILENAME))
    n, distinct = con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM predictions").fetchone()
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    return errors, secs, n, distinct


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=200)
    add_markdown_option(ap)
    a = ap.parse_args()
    md = Markdown(__file__, a.markdown)
    print(f"conditions: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"{a.procs} processes x {a.rounds} transactions of 8 overlapping keys")
    for name, target in (("PredictionCache (retries)", with_cache),
                         ("plain SQLite, 50 ms timeout", without_retry)):
        errors, secs, n, distinct = run(target, a.procs, a.rounds)
        total = a.procs * a.rounds
        print(f"{name:30s} failed transactions {errors:5d} / {total}  entries {n} "
              f"(distinct {distinct})  {total / secs:7.0f} tx/s")
        md.row(f"{name}: {a.procs} processes writing one cache folder",
               f"{errors} / {total} transactions failed; {n} entries ({distinct} distinct "
               f"keys); {total / secs:.0f} tx/s",
               "0 failed, one entry per key" if target is with_cache else "- (reference)")
    md.emit(data=f"{a.procs} processes x {a.rounds} transactions of 8 overlapping keys "
                 f"(500 keys); PredictionCache: put + get, plain SQLite: put only",
            runs="one run of each writer, one after the other", threads="one thread per process")
    return 0


if __name__ == "__main__":
    sys.exit(main())
