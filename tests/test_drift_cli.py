"""``nlperr drift``: exit codes, summary.json contract, determinism."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from nlperr.cli import main

WORDS = "the a of and to in is it that was for on with this movie film good bad great".split()
FOOD = "food service place restaurant menu waiter delicious pizza".split()


def _log(path, n, seed, vocab, start=0):
    rng = np.random.default_rng(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = " ".join(rng.choice(vocab, size=rng.integers(5, 12)))
            fh.write(json.dumps({"text": text, "timestamp": 1714521600 + (start + i) * 3600,
                                 "prediction": ["pos", "neg"][i % 2],
                                 "confidence": float(rng.uniform(0.6, 1))}) + "\n")
    return path


def test_exit_codes_and_summary(tmp_path):
    ref = _log(tmp_path / "ref.jsonl", 80, 1, WORDS)
    same = _log(tmp_path / "same.jsonl", 80, 2, WORDS)
    shifted = _log(tmp_path / "shifted.jsonl", 80, 3, WORDS + FOOD)
    out = tmp_path / "out"
    assert main(["drift", "--reference", str(ref), "--current", str(shifted), "--out", str(out),
                 "--seed", "1"]) == 1
    s = json.loads((out / "summary.json").read_text())
    assert s["drift"] is True and s["alpha"] == 0.05
    names = {t["name"] for t in s["tests"]}
    assert {"oov_rate", "label_distribution", "confidence", "domain_classifier"} <= names
    for t in s["tests"]:
        assert {"name", "statistic", "p_value", "adjusted_p_value", "drift"} <= set(t)
    assert (out / "tests.csv").is_file() and (out / "explanations.csv").is_file()
    out2 = tmp_path / "out2"
    assert main(["drift", "--reference", str(ref), "--current", str(same), "--out", str(out2),
                 "--tests", "length_chars,oov_rate,token_distribution"]) == 0
    assert json.loads((out2 / "summary.json").read_text())["drift"] is False


def test_deterministic_and_windows(tmp_path):
    ref = _log(tmp_path / "ref.jsonl", 60, 1, WORDS)
    cur = _log(tmp_path / "cur.jsonl", 72, 3, WORDS + FOOD)
    texts = []
    for k in range(2):
        out = tmp_path / f"o{k}"
        main(["drift", "--reference", str(ref), "--current", str(cur), "--out", str(out),
              "--window", "daily", "--seed", "4", "--tests", "oov_rate,length_tokens"])
        texts.append((out / "summary.json").read_text())
    assert texts[0] == texts[1]
    s = json.loads(texts[0])
    assert s["n_windows"] == 3 and {t["window"] for t in s["tests"]} == {
        "2024-05-01", "2024-05-02", "2024-05-03"}


def test_bad_input_exits_2(tmp_path, capsys):
    ref = _log(tmp_path / "ref.jsonl", 20, 1, WORDS)
    assert main(["drift", "--reference", str(ref), "--current", str(tmp_path / "nope.jsonl"),
                 "--out", str(tmp_path / "o")]) == 2
    assert main(["drift", "--reference", str(ref), "--current", str(ref), "--out",
                 str(tmp_path / "o"), "--window", "fortnight?"]) == 2
    assert "E1002" in capsys.readouterr().err
    assert main(["drift", "--reference", str(ref), "--current", str(ref), "--out",
                 str(tmp_path / "o"), "--tests", "nope"]) == 2


def test_figures_and_subprocess(tmp_path):
    pytest.importorskip("matplotlib")
    ref = _log(tmp_path / "ref.jsonl", 40, 1, WORDS)
    cur = _log(tmp_path / "cur.jsonl", 40, 3, WORDS + FOOD)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "nlperr", "drift", "--reference", str(ref),
                        "--current", str(cur), "--out", str(out), "--figures",
                        "--tests", "oov_rate,length_chars"], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert (out / "statistics.png").stat().st_size > 0 and (out / "p_values.png").is_file()
