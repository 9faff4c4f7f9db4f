"""Loss-curve diagnosis: planted pathologies are found with the right kind and step
range; clean curves give no finding; the readers; real trainer_state.json files."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from nlperr.errors import FormatError, InputError
from nlperr.results import load
from nlperr.training import CurveResult, diagnose_curves, read_curves
from nlperr.training.curves import smooth

from _curve_helpers import clean, planted

STATES = ["healthy", "high_lr", "overfit"]


def _hits(res, kind, a, b):
    return [f for f in res.summary["findings"] if f["kind"] == kind
            and f["start_step"] <= b and f["end_step"] >= a]


def _others(res, kind):
    return [f["kind"] for f in res.summary["findings"]
            if f["kind"] not in (kind, "early_stop_suggested")]


@pytest.mark.parametrize("kind", ["divergence", "nan", "oscillation", "overfitting",
                                  "slow_start"])
def test_planted_pathologies_are_found(kind, seeds=range(12)):
    want = "divergence" if kind == "nan" else kind
    for seed in seeds:
        df, (a, b) = planted(kind, seed)
        res = diagnose_curves(df)
        hits = _hits(res, want, a, b)
        assert hits, (kind, seed, res.summary["findings"])
        assert not _others(res, want), (kind, seed, res.summary["findings"])
        f = hits[0]
        if kind in ("divergence", "nan", "overfitting"):
            # the finding starts where the planted trouble starts (within the smoothing
            # window; for overfitting within 5 evaluations: the validation loss is flat
            # around its minimum, so the best step is only known to the noise) and runs
            # to the end
            h = max(2, round(400 / 16))
            tol = 50 if kind == "overfitting" else h
            assert a - 3 * h <= f["start_step"] <= a + tol, (kind, seed, f, a)
            assert f["end_step"] >= b - 1
        if kind == "oscillation":
            mid = (a + b) / 2
            assert f["start_step"] <= mid <= f["end_step"]


def test_planted_plateaus_are_found(seeds=range(20), min_found=20):
    found = 0
    for seed in seeds:
        df, (a, b) = planted("plateau", seed)
        res = diagnose_curves(df)
        assert not _others(res, "plateau"), (seed, res.summary["findings"])
        hits = _hits(res, "plateau", a, b)
        if hits:
            found += 1
            f = hits[0]
            assert a - 30 <= f["start_step"] and f["end_step"] <= b + 60, (seed, f, a, b)
    assert found >= min_found


def test_clean_curves_give_no_finding(seeds=range(25)):
    for seed in seeds:
        res = diagnose_curves(clean(seed))
        assert res.summary["findings"] == [], (seed, res.summary["findings"])
        assert res.summary["status"] == "ok"


def test_overfitting_reports_best_step_and_early_stop():
    df, (a, b) = planted("overfitting", 3)
    res = diagnose_curves(df)
    kinds = [f["kind"] for f in res.summary["findings"]]
    assert kinds.count("overfitting") == 1 and kinds.count("early_stop_suggested") == 1
    stop = [f for f in res.summary["findings"] if f["kind"] == "early_stop_suggested"][0]
    assert stop["start_step"] == res.summary["best_eval_step"]
    ev = df[df.split == "eval"]
    best = ev["loss"].to_numpy()
    # the best step is the minimum of the 3-point running median of the validation loss
    sm = smooth(best, 1)
    assert res.summary["best_eval_step"] == int(ev["step"].to_numpy()[int(np.argmin(sm))])


def test_smooth_matches_a_direct_running_median():
    rng = np.random.default_rng(0)
    y = rng.normal(size=57)
    for h in (1, 3, 7):
        want = [np.median(y[i - min(h, i, 56 - i):i + min(h, i, 56 - i) + 1]) for i in range(57)]
        np.testing.assert_allclose(smooth(y, h), want)
    mono = np.sort(rng.normal(size=40))[::-1]
    np.testing.assert_allclose(smooth(mono, 5), mono)   # monotone curves are preserved


def test_no_learning_is_one_plateau():
    rng = np.random.default_rng(1)
    y = 0.69 + 0.02 * rng.standard_normal(200)
    res = diagnose_curves(pd.DataFrame({"step": np.arange(200), "loss": y}))
    assert [f["kind"] for f in res.summary["findings"]] == ["plateau"]
    f = res.summary["findings"][0]
    assert (f["start_step"], f["end_step"]) == (0, 199)


def test_readers_agree(tmp_path):
    df, _ = planted("overfitting", 5)
    df.to_csv(tmp_path / "log.csv", index=False)
    recs = df.to_dict("records")
    (tmp_path / "log.json").write_text(json.dumps(recs))
    (tmp_path / "log.jsonl").write_text("\n".join(json.dumps(r) for r in recs))
    history = []
    for r in recs:
        key = "loss" if r["split"] == "train" else "eval_loss"
        history.append({"step": r["step"], key: r["loss"], "epoch": 0.1})
    (tmp_path / "trainer_state.json").write_text(json.dumps({"log_history": history}))
    ref = diagnose_curves(df).summary["findings"]
    for src in ("log.csv", "log.json", "log.jsonl", "trainer_state.json", "."):
        got = read_curves(tmp_path / src)
        assert list(got.columns[:3]) == ["step", "split", "loss"]
        assert len(got) == len(df)
        assert diagnose_curves(tmp_path / src).summary["findings"] == ref, src


def test_reader_errors(tmp_path):
    with pytest.raises(InputError, match="E904"):
        read_curves(tmp_path / "missing.json")
    (tmp_path / "a.json").write_text('{"x": 1}')
    with pytest.raises(FormatError, match="E904"):
        read_curves(tmp_path / "a.json")
    (tmp_path / "b.csv").write_text("epoch,value\n1,2\n")
    with pytest.raises(FormatError, match="E904.*missing column"):
        read_curves(tmp_path / "b.csv")
    (tmp_path / "c.json").write_text("[1, 2]")
    with pytest.raises(FormatError, match="E904"):
        read_curves(tmp_path / "c.json")
    with pytest.raises(InputError, match="E905"):
        diagnose_curves(pd.DataFrame({"step": [1, 2], "loss": [math.nan, math.nan]}))
    with pytest.raises(InputError, match="E908"):
        diagnose_curves(clean(0), divergence_factor=0.5)


def test_save_and_load_round_trip(tmp_path):
    df, _ = planted("divergence", 2)
    res = diagnose_curves(df)
    res.save(tmp_path / "out", formats=("json", "csv"))
    back = load(tmp_path / "out")
    assert isinstance(back, CurveResult)
    assert back.summary == json.loads((tmp_path / "out" / "summary.json").read_text())
    assert back.summary["findings"] == res.to_dict()["summary"]["findings"]
    for name in res.tables:
        pd.testing.assert_frame_equal(back.tables[name], res.tables[name], check_dtype=False)
    assert [f.kind for f in back.curve_findings] == [f["kind"] for f in res.summary["findings"]]


@pytest.mark.parametrize("name", STATES)
def test_real_trainer_states(test_data, name):
    path = test_data / "training" / name / "trainer_state.json"
    if not path.is_file():
        pytest.skip("run tests/data/training/make_trainer_states.py")
    curves = read_curves(path)
    assert set(curves["split"]) == {"train", "eval"}
    res = diagnose_curves(path)
    kinds = {f["kind"] for f in res.summary["findings"]}
    if name == "healthy":
        # the fresh head's loss stays at ln 2 for the first ~12 steps: an info finding
        assert kinds <= {"slow_start"} and res.summary["status"] == "ok"
    elif name == "high_lr":
        assert kinds & {"plateau", "divergence", "oscillation"}
    else:
        assert "overfitting" in kinds


def test_loss_curve_figure(tmp_path):
    pytest.importorskip("matplotlib")
    df, _ = planted("overfitting", 1)
    res = diagnose_curves(df)
    fig = res.figures["loss_curves"]()
    ax = fig.axes[0]
    train = res.tables["curves"].query("split == 'train'")
    np.testing.assert_allclose(ax.lines[1].get_ydata(), train["trend"])
    fig.savefig(tmp_path / "x.png")


@pytest.mark.slow
def test_sweep_over_many_seeds():
    """The wider sweep behind the numbers in docs/training.md: 100 planted curves per
    kind, 300 clean curves."""
    for kind in ("divergence", "nan", "oscillation", "overfitting", "slow_start"):
        test_planted_pathologies_are_found(kind, seeds=range(100))
    # measured: 98 of 100; the two misses are among the noisiest (15 %) curves
    test_planted_plateaus_are_found(seeds=range(100), min_found=97)
    test_clean_curves_give_no_finding(seeds=range(300))
