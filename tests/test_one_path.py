"""One path: model specs resolved by load_model everywhere; CSV predictions round-trip;
the CLI and the Python API give the same numbers."""

from __future__ import annotations

import json
import random

import pytest

from nlperr.adapters import load_model
from nlperr.analysis import analyze_classification
from nlperr.cli import main
from nlperr.data import Example
from nlperr.engine import Predictor
from nlperr.errors import InputError
from nlperr.io import read_csv, write_csv


def _clf(texts):
    return [{"pos": 0.8, "neg": 0.2} if "good" in t else {"pos": 0.3, "neg": 0.7}
            for t in texts]


def test_load_model_never_changes_the_callers_adapter():
    ad = load_model(_clf, task="classification", batch_size=8)
    other = load_model(ad, batch_size=2, label_map={"pos": "POSITIVE"})
    assert other is not ad and other.batch_size == 2 and other.label_map is not None
    assert ad.batch_size == 8 and ad.label_map is None  # untouched
    assert load_model(ad) is ad  # nothing to configure: the same object
    with pytest.raises(InputError, match="E250"):
        load_model(ad, threshold=0.3)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "8"])
def test_batch_size_is_checked_once_with_one_message(bad):
    for call in (lambda: load_model(_clf, task="classification", batch_size=bad),
                 lambda: Predictor(load_model(_clf, task="classification"), batch_size=bad,
                                   cache=False)):
        with pytest.raises(InputError, match=r"\[E301\]"):
            call()


def _data(n=60, seed=0):
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        g = rng.choice(["pos", "neg"])
        p = rng.random()
        gold.append(Example(f"text number {i}", label=g, id=str(i)))
        pred.append(Example(f"text number {i}", label="pos" if p >= 0.5 else "neg",
                            probs={"pos": p, "neg": 1 - p}, id=str(i)))
    return gold, pred


def test_csv_predictions_round_trip_with_probabilities(tmp_path):
    gold, pred = _data()
    write_csv(pred, tmp_path / "pred.csv")
    back = read_csv(tmp_path / "pred.csv", id_column="id")
    assert [(b.label, b.probs) for b in back] == [(p.label, p.probs) for p in pred]
    write_csv(gold, tmp_path / "both.csv", predictions=pred)
    back = read_csv(tmp_path / "both.csv", label_column="pred_label", id_column="id")
    assert [(b.label, b.probs) for b in back] == [(p.label, p.probs) for p in pred]
    gold_back = read_csv(tmp_path / "both.csv", id_column="id")  # the gold side: no probs
    assert [g.label for g in gold_back] == [g.label for g in gold]
    assert all(g.probs is None for g in gold_back)


def test_cli_and_api_give_the_same_calibration(tmp_path):
    gold, pred = _data(200, seed=1)
    write_csv(gold, tmp_path / "gold.csv")
    write_csv(pred, tmp_path / "pred.csv")
    api = analyze_classification(read_csv(tmp_path / "gold.csv"), read_csv(tmp_path / "pred.csv"),
                                 n_boot=0, seed=0)
    assert main(["analyze", "classification", "--gold", str(tmp_path / "gold.csv"), "--pred",
                 str(tmp_path / "pred.csv"), "--out", str(tmp_path / "out"), "--n-boot", "0",
                 "--no-parquet"]) == 0
    cli = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert api.summary["calibration"]["ece"] is not None
    assert cli["calibration"] == pytest.approx(api.summary["calibration"])
    assert cli["accuracy"] == api.summary["accuracy"]
