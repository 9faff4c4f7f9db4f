"""Long mutation-fuzzing run over every reader and CLI command (issue 15).

Prints, per target, how many mutated inputs were tried and how many broke the
contract (a reader raising anything but NlperrError; a CLI exit status other than
0/1/2, a traceback or an "internal error"), with the smallest failing input of each
kind of failure as a reproducer.

    python benchmarks/fuzz_readers.py [--n 300] [--seed 1] [--only NAME,...] [--no-cli]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's nlperr, then the helpers

import _fuzz_helpers as F  # noqa: E402


def _signature(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    last = tb[-1] if tb else None
    where = f"{Path(last.filename).name}:{last.lineno}" if last else "?"
    return f"{type(exc).__name__} at {where}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300, help="inputs per target")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", default=None)
    ap.add_argument("--no-cli", action="store_true")
    ap.add_argument("--slow", action="store_true", help="also the spaCy DocBin readers")
    ap.add_argument("--max-memory-gb", type=float, default=4.0,
                    help="address-space limit of this process, so that an input that makes a "
                         "reader allocate without bound fails (MemoryError) instead of "
                         "being killed by the system (0: no limit)")
    a = ap.parse_args()
    if a.max_memory_gb > 0:
        import resource

        cap = int(a.max_memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    seeds = F.seeds()
    rng = random.Random(a.seed)
    only = set(a.only.split(",")) if a.only else None
    total_tried = total_failed = 0
    failures: dict[str, dict[str, bytes]] = {}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        readers = dict(F._readers())
        if a.slow:
            readers.update(F.slow_readers())
            seeds["docbin"] = F.docbin_seeds()
        targets = [(name, kind, suffix, ("reader", fn)) for name, (kind, suffix, fn)
                   in readers.items()]
        if not a.no_cli:
            targets += [(name, kind, suffix, ("cli", fn)) for name, (kind, suffix, fn)
                        in F.cli_commands(d / "out").items()]
        for name, kind, suffix, (what, fn) in targets:
            if only and name not in only:
                continue
            tried = failed = 0
            t0 = time.perf_counter()
            for _ in range(a.n):
                seed_name, seed = rng.choice(seeds[kind])
                data, ops = F.mutate(seed, rng)
                path = d / f"input{suffix}"
                path.write_bytes(data)
                tried += 1
                try:
                    if what == "reader":
                        F.check_reader(fn, path)
                        continue
                    rc, err = F.run_cli(fn(path))
                    if F.cli_ok(rc, err):
                        continue
                    sig = f"exit {rc}: {err.strip().splitlines()[0][:100] if err.strip() else ''}"
                except (Exception, MemoryError, RecursionError) as e:  # noqa: BLE001
                    sig = _signature(e) + f": {str(e)[:80]}"
                failed += 1
                bucket = failures.setdefault(name, {})
                key = sig.split(":")[0] + sig.split(":")[1] if ":" in sig else sig
                if key not in bucket or len(data) < len(bucket[key][1]):
                    bucket[key] = (sig, data, seed_name, ops)
            total_tried += tried
            total_failed += failed
            print(f"{what:6s} {name:18s} tried {tried:5d}  failed {failed:4d}  "
                  f"({time.perf_counter() - t0:.1f}s)", flush=True)
    print(f"\nTOTAL tried {total_tried}, failed {total_failed}")
    for name, bucket in failures.items():
        print(f"\n== {name}")
        for sig, data, seed_name, ops in bucket.values():
            print(f"  {sig}\n    seed {seed_name}, ops {ops}, {len(data)} bytes: {data[:160]!r}")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
