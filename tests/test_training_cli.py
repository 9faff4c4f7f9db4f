"""``nlperr train check`` and ``nlperr train curves``: the contract of summary.json,
the tables, the plots and the exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from nlperr.cli import main

from _curve_helpers import planted


def test_train_curves_cli(tmp_path, capsys):
    df, (a, b) = planted("divergence", 4)
    df.to_csv(tmp_path / "log.csv", index=False)
    out = tmp_path / "out"
    assert main(["train", "curves", str(tmp_path / "log.csv"), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["findings"]
    for f in summary["findings"]:
        assert set(f) == {"kind", "start_step", "end_step", "severity", "detail"}
    assert summary["findings"][0]["kind"] == "divergence"
    assert (out / "curves.csv").is_file() and (out / "findings.csv").is_file()
    if pytest.importorskip("matplotlib"):
        assert (out / "loss_curves.png").stat().st_size > 1000
    assert "divergence" in capsys.readouterr().out


def test_train_curves_cli_real_trainer_state(test_data, tmp_path):
    path = test_data / "training" / "overfit" / "trainer_state.json"
    out = tmp_path / "o"
    proc = subprocess.run([sys.executable, "-m", "nlperr", "train", "curves", str(path.parent),
                           "--out", str(out), "--no-figures"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    kinds = [f["kind"] for f in json.loads((out / "summary.json").read_text())["findings"]]
    assert "overfitting" in kinds


def test_train_curves_cli_bad_input(tmp_path, capsys):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    assert main(["train", "curves", str(tmp_path / "x.csv"), "--out", str(tmp_path / "o")]) == 2
    assert "E904" in capsys.readouterr().err


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    torch = pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from _training_helpers import tiny_bert

    root = tmp_path_factory.mktemp("models")
    model, tok = tiny_bert("sequence", num_labels=2)
    model.config.id2label = {0: "negative", 1: "positive"}
    model.config.label2id = {"negative": 0, "positive": 1}
    model.save_pretrained(root / "ok")
    tok.save_pretrained(root / "ok")
    with torch.no_grad():
        model.classifier.weight.mul_(3000)
    model.save_pretrained(root / "hot")
    tok.save_pretrained(root / "hot")
    return root


def test_train_check_cli(saved_models, tmp_path, capsys):
    import torch

    from _training_helpers import SENTIMENT

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        codes = {}
        for name in ("ok", "hot"):
            out = tmp_path / name
            codes[name] = main(["train", "check", "--model", f"hf:{saved_models / name}",
                                "--data", str(SENTIMENT), "--task", "sequence",
                                "--batch-size", "8", "--max-batches", "2", "--max-length", "16",
                                "--out", str(out), "--no-figures"])
            summary = json.loads((out / "summary.json").read_text())
            names = [c["name"] for c in summary["checks"]]
            assert names == ["initial_loss", "overfit_one_batch", "gradient_flow", "dead_units",
                             "update_ratio", "nan_inf", "input_independence", "learning_rate"]
            for c in summary["checks"]:
                assert {"name", "status", "value", "expected", "detail"} <= set(c)
            assert codes[name] == (1 if summary["failed"] else 0)
            layers = (out / "layers.csv").read_text().splitlines()
            assert layers[0].startswith("name,kind,type,layer")
            if name == "hot":
                assert "initial_loss" in summary["failed"]
        assert codes["hot"] == 1
        # a task that does not match the model is a usage error (exit 2)
        assert main(["train", "check", "--model", f"hf:{saved_models / 'ok'}", "--data",
                     str(SENTIMENT), "--task", "token", "--out", str(tmp_path / "x")]) == 2
        assert "E212" in capsys.readouterr().err  # the HF loader checks the task
    finally:
        torch.set_num_threads(n)
