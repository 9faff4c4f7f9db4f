"""Prediction engine: dedup, order, stats, persistent cache, crash safety, stale reads."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from nlperr import Example  # noqa: E402
from nlperr.adapters import Prediction, load_model  # noqa: E402
from nlperr.engine import PredictionCache, Predictor, default_cache_dir, predict  # noqa: E402
from nlperr.errors import InputError, ModelError  # noqa: E402


def _counting(calls):
    def f(texts):
        calls.append(list(texts))
        return [f"len{len(t)}" for t in texts]
    return f


def test_dedup_order_and_copies():
    calls = []
    exs = [Example("aa", id="1"), Example("b", id="2"), Example("aa", id="3")]
    p = Predictor(load_model(_counting(calls), task="classification"), cache=False)
    out = p.predict(exs)
    assert [(e.id, e.label) for e in out] == [("1", "len2"), ("2", "len1"), ("3", "len2")]
    assert all(e.label is None for e in exs)  # inputs untouched
    assert sum(len(c) for c in calls) == 2
    assert p.stats == {"requested": 3, "unique": 2, "cache_hits": 0, "computed": 2,
                       "batches": 1, "forward_passes": 1, "dropped_labels": {}}


def test_batches_sorted_by_length_and_batch_size():
    calls = []
    exs = [Example("x" * n) for n in (3, 10, 1, 7, 5)]
    p = Predictor(load_model(_counting(calls), task="classification"), cache=False,
                  batch_size=2)
    out = p.predict(exs)
    assert [e.label for e in out] == ["len3", "len10", "len1", "len7", "len5"]
    assert [[len(t) for t in c] for c in calls] == [[10, 7], [5, 3], [1]]
    assert p.stats["batches"] == p.stats["forward_passes"] == 3


def test_warm_cache_makes_zero_forward_passes(tmp_path):
    calls = []
    model = load_model(_counting(calls), task="classification")
    exs = [Example(f"text number {i}") for i in range(50)]
    p1 = Predictor(model, cache_dir=tmp_path, batch_size=8)
    first = p1.predict(exs)
    assert p1.stats["computed"] == 50 and p1.stats["forward_passes"] == 7
    p2 = Predictor(model, cache_dir=tmp_path, batch_size=8)
    second = p2.predict(exs)
    assert p2.stats["forward_passes"] == 0 and p2.stats["cache_hits"] == 50
    assert [e.label for e in first] == [e.label for e in second]
    assert sum(len(c) for c in calls) == 50
    # same predictor, second call: per-call stats; totals accumulate
    p1.predict(exs)
    assert p1.stats["forward_passes"] == 0 and p1.total_stats["forward_passes"] == 7


def test_partial_cache_hits_compute_only_new(tmp_path):
    calls = []
    model = load_model(_counting(calls), task="classification")
    predict(model, [Example("a"), Example("bb")], cache_dir=tmp_path)
    p = Predictor(model, cache_dir=tmp_path)
    p.predict([Example("a"), Example("bb"), Example("ccc")])
    assert p.stats["cache_hits"] == 2 and p.stats["computed"] == 1
    assert calls[-1] == ["ccc"]


def test_cache_false_and_memory_cache():
    calls = []
    model = load_model(_counting(calls), task="classification")
    predict(model, [Example("a")], cache=False)
    predict(model, [Example("a")], cache=False)
    assert len(calls) == 2
    mem = PredictionCache(":memory:")
    p = Predictor(model, cache=mem)
    p.predict([Example("a")])
    p.predict([Example("a")])
    assert p.stats["forward_passes"] == 0 and len(mem) == 1


def test_settings_are_part_of_the_key(tmp_path):
    def probs(texts):
        return [{"a": 0.6, "b": 0.55} for _ in texts]

    single = predict(load_model(probs, task="classification"), [Example("x")],
                     cache_dir=tmp_path)
    multi = predict(load_model(probs, task="classification", multi_label=True), [Example("x")],
                    cache_dir=tmp_path)
    assert single[0].label == "a" and multi[0].label == ("a", "b")


def test_label_map_is_applied_after_cache(tmp_path):
    calls = []
    model = load_model(_counting(calls), task="classification")
    predict(model, [Example("ab")], cache_dir=tmp_path)
    p = Predictor(model, cache_dir=tmp_path, label_map={"len2": "two"})
    assert p.predict([Example("ab")])[0].label == "two"
    assert p.stats["cache_hits"] == 1 and len(calls) == 1


def test_default_cache_dir_env(monkeypatch, tmp_path):
    monkeypatch.setenv("NLPERR_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    predict(lambda t: ["x" for _ in t], [Example("a")])
    assert (tmp_path / "c" / "predictions.sqlite3").is_file()
    monkeypatch.delenv("NLPERR_CACHE_DIR")
    assert default_cache_dir() == Path.home() / ".cache" / "nlperr"


def test_bad_options():
    model = load_model(lambda t: ["x" for _ in t])
    with pytest.raises(InputError, match=r"\[E301\]"):
        Predictor(model, batch_size=-1, cache=False)
    with pytest.raises(InputError, match=r"\[E304\]"):
        Predictor(model, progress="yes", cache=False)
    with pytest.raises(InputError, match=r"\[E207\]"):
        Predictor(model, cache="disk")
    with pytest.raises(InputError, match=r"\[E012\]"):
        predict(model, ["not an example"], cache=False)


def test_corrupt_cache_file_is_E302(tmp_path):
    db = tmp_path / "predictions.sqlite3"
    db.write_bytes(b"this is not a sqlite database" * 100)
    with pytest.raises(ModelError, match=r"\[E302\]"):
        PredictionCache(tmp_path)


def test_corrupt_entry_is_E303(tmp_path):
    cache = PredictionCache(tmp_path)
    cache.put_many([("k", "m", Prediction(label="x"))])
    cache._conn.execute("UPDATE predictions SET value = '{broken' WHERE key = 'k'")
    with pytest.raises(ModelError, match=r"\[E303\]"):
        cache.get_many(["k"])


def test_progress_bar_when_forced(capsys):
    predict(lambda t: ["x" for _ in t], [Example(str(i)) for i in range(10)], cache=False,
            progress=True, batch_size=2)
    assert "predict" in capsys.readouterr().err
    predict(lambda t: ["x" for _ in t], [Example(str(i)) for i in range(10)], cache=False,
            batch_size=2)
    assert capsys.readouterr().err == ""  # auto: not a TTY under pytest


_CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {helpers!r})
    from nlperr import Example
    from nlperr.engine import Predictor
    p = Predictor("callable:_adapters_helpers:slow_length_label", cache_dir={cache!r},
                  batch_size=2)
    p.predict([Example("x" * i) for i in range(1, 2001)])
""")


def test_killed_run_keeps_whole_batches_and_no_torn_entries(tmp_path):
    cache_dir = tmp_path / "cache"
    child = subprocess.Popen([sys.executable, "-c",
                              _CHILD.format(helpers=str(HERE), cache=str(cache_dir))])
    db = cache_dir / "predictions.sqlite3"
    try:
        deadline = time.time() + 60
        count = 0
        while time.time() < deadline and count < 20:
            time.sleep(0.05)
            if db.exists():
                try:
                    with sqlite3.connect(db, timeout=5) as conn:
                        count = conn.execute("SELECT COUNT(*) FROM predictions").fetchone()[0]
                except sqlite3.Error:
                    count = 0
        assert count >= 20, "the child wrote nothing"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    cache = PredictionCache(cache_dir)
    stored = len(cache)
    assert 20 <= stored < 2000
    assert stored % 2 == 0  # whole batches of 2 only
    # rerun: every stored entry is read back intact, only the rest is computed
    p = Predictor("callable:_adapters_helpers:length_label", cache=False)
    assert p.adapter.fingerprint() != Predictor(
        "callable:_adapters_helpers:slow_length_label", cache=False).adapter.fingerprint()
    p = Predictor("callable:_adapters_helpers:slow_length_label", cache=cache, batch_size=500)
    exs = [Example("x" * i) for i in range(1, 2001)]
    out = p.predict(exs)
    assert p.stats["cache_hits"] == stored and p.stats["computed"] == 2000 - stored
    assert [e.label for e in out] == [f"len{i}" for i in range(1, 2001)]


def test_changed_callable_code_never_reads_stale(tmp_path):
    def v1(texts):
        return ["old" for _ in texts]

    def v2(texts):
        return ["new" for _ in texts]

    predict(load_model(v1, name="same"), [Example("a")], cache_dir=tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = predict(load_model(v2, name="same"), [Example("a")], cache_dir=tmp_path)
    assert out[0].label == "new"
