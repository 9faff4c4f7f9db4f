"""Hostile inputs at the default resource limits: outcome, time and peak memory.

Each case runs in a fresh Python process (so its peak RSS is its own) and is
compared with a baseline process that imports nlperr and reads a tiny file.

    python benchmarks/hostile_limits.py [--keep DIR]

Cases (issue 15): a single 100 MB line (JSONL and CSV), JSON nested 10,000 deep (a
suite file), a YAML "billion laughs" (2**30 nodes if expanded), a .tar.gz that
unpacks to 2 GiB (one member; and 1.5 GiB of padding before the .pkl), a CSV field
with a million characters (accepted).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

RUNNER = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
outcome = "ok"
try:
{body}
except Exception as e:
    outcome = (str(e)[:6] if str(e).startswith("[E") else type(e).__name__)
secs = time.perf_counter() - t0
print(json.dumps({{"outcome": outcome, "seconds": secs,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def _zeros_tar(path: Path, members: list[tuple[str, int]]) -> None:
    chunk = b"\0" * (1 << 20)

    class Zeros(io.RawIOBase):
        def __init__(self, n):
            self.left = n

        def readable(self):
            return True

        def readinto(self, b):
            k = min(len(b), self.left, len(chunk))
            b[:k] = chunk[:k]
            self.left -= k
            return k

    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        for name, size in members:
            info = tarfile.TarInfo(name)
            info.size = size
            tf.addfile(info, io.BufferedReader(Zeros(size)))


def make_inputs(d: Path) -> dict[str, tuple[str, str]]:
    """``{case: (description, python body reading it)}``; files are written into *d*."""
    line = d / "line.jsonl"
    if not line.exists():
        with open(line, "wb") as fh:
            fh.write(b'{"text": "')
            for _ in range(100):
                fh.write(b"a" * 1_000_000)
            fh.write(b'"}\n')
    csv_line = d / "line.csv"
    if not csv_line.exists():
        with open(csv_line, "wb") as fh:
            fh.write(b'text,label\n"')
            for _ in range(100):
                fh.write(b"b" * 1_000_000)
            fh.write(b'",pos\n')
    field = d / "field.csv"
    field.write_text('text,label\n"' + "c" * 1_000_000 + '",pos\n', encoding="utf-8")
    deep = d / "deep.json"
    deep.write_text('{"name": "x", "tests": ' + "[" * 10_000 + "]" * 10_000 + "}", encoding="utf-8")
    bomb = d / "bomb.yaml"
    lines = ["a0: &a0 [lol, lol]"] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    bomb.write_text("\n".join(lines) + "\nname: bomb\ntests: []\n", encoding="utf-8")
    tar1 = d / "one_member.tar.gz"
    if not tar1.exists():
        _zeros_tar(tar1, [("sentiment_suite.pkl", 2 << 30)])
    tar2 = d / "padded.tar.gz"
    if not tar2.exists():
        _zeros_tar(tar2, [(f"pad{i}.bin", 512 << 20) for i in range(3)] + [("x.pkl", 10)])
    tiny = d / "tiny.jsonl"
    tiny.write_text('{"text": "hi"}\n', encoding="utf-8")
    return {
        "baseline: tiny JSONL": (f"{tiny.stat().st_size} B", f"from nlperr.io import read_jsonl; read_jsonl({str(tiny)!r})"),
        "baseline: shipped suite": ("-", "from nlperr.suites import load_suite; load_suite('sentiment-en')"),
        "100 MB line, JSONL": (f"{line.stat().st_size >> 20} MiB", f"from nlperr.io import read_jsonl; read_jsonl({str(line)!r})"),
        "100 MB line, CSV": (f"{csv_line.stat().st_size >> 20} MiB", f"from nlperr.io import read_csv; read_csv({str(csv_line)!r})"),
        "1M-char CSV field": (f"{field.stat().st_size >> 10} KiB", f"from nlperr.io import read_csv; read_csv({str(field)!r})"),
        "JSON 10,000 deep (suite)": (f"{deep.stat().st_size >> 10} KiB", f"from nlperr.suites import load_suite; load_suite({str(deep)!r})"),
        "YAML billion laughs (2**30)": (f"{bomb.stat().st_size} B", f"from nlperr.suites import load_suite; load_suite({str(bomb)!r})"),
        "tar.gz -> 2 GiB member": (f"{tar1.stat().st_size >> 10} KiB", f"from nlperr.suites.checklist import read_checklist_pickle; read_checklist_pickle({str(tar1)!r})"),
        "tar.gz 1.5 GiB padding": (f"{tar2.stat().st_size >> 10} KiB", f"from nlperr.suites.checklist import read_checklist_pickle; read_checklist_pickle({str(tar2)!r})"),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--keep", default=None, help="folder for the generated inputs (reused)")
    a = ap.parse_args()
    d = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="nlperr-hostile-"))
    d.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    cases = make_inputs(d)
    print(f"inputs written in {time.perf_counter() - t0:.1f}s to {d}")
    print(f"conditions: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"python {sys.version.split()[0]}")
    print(f"{'case':30s} {'file':>10s} {'outcome':>8s} {'seconds':>8s} {'peak MB':>8s} {'vs base':>8s}")
    base = None
    for name, (size, body) in cases.items():
        code = RUNNER.format(root=str(ROOT), body="    " + body)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=600)
        res = json.loads(r.stdout.strip().splitlines()[-1])
        base = base or res["peak_mb"]
        print(f"{name:30s} {size:>10s} {res['outcome']:>8s} {res['seconds']:8.2f} "
              f"{res['peak_mb']:8.0f} {res['peak_mb'] / base:7.1f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
