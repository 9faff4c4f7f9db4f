"""TrainingMonitor (plain loop) and DiagnosticsCallback (HF Trainer): the recorded
numbers against direct computations, the flags, and a real Trainer run."""

from __future__ import annotations

import math
import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from nlperr.errors import NlperrWarning  # noqa: E402
from nlperr.results import load  # noqa: E402
from nlperr.training import TrainingLogResult, TrainingMonitor, make_batches  # noqa: E402
from nlperr.training.layers import layer_of  # noqa: E402

from _training_helpers import sentiment_examples, tiny_bert  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def tiny():
    model, tok = tiny_bert("sequence", num_labels=2)
    model.config.label2id = {"negative": 0, "positive": 1}
    batches = make_batches(sentiment_examples(32), tok, task="sequence", config=model.config,
                           max_length=16)
    return model, tok, [{k: v for k, v in b.items() if k != "special_tokens_mask"}
                        for b in batches]


def _loop(model, batches, steps, lr, monitor, expected=None):
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    model.train()
    for step in range(1, steps + 1):
        loss = model(**batches[step % len(batches)]).loss
        loss.backward()
        if expected is not None and monitor.due(step):
            groups = {}
            for n, p in model.named_parameters():
                groups.setdefault(layer_of(n), []).append(p)
            before = {n: p.detach().clone() for n, p in model.named_parameters()}
            expected[step] = {"grad": {k: math.sqrt(sum(float(p.grad.norm()) ** 2 for p in ps))
                                       for k, ps in groups.items()}, "before": before}
        monitor.before_step(step, loss)
        opt.step()
        monitor.after_step()
        if expected is not None and step in expected:
            diffs = {}
            for n, p in model.named_parameters():
                diffs.setdefault(layer_of(n), []).append(
                    (float((p.detach() - expected[step]["before"][n]).norm()) ** 2,
                     float(expected[step]["before"][n].norm()) ** 2))
            expected[step]["update"] = {k: math.sqrt(sum(a for a, _ in v)) /
                                        math.sqrt(sum(b for _, b in v)) for k, v in diffs.items()}
        opt.zero_grad()
    model.eval()


def test_monitor_records_what_a_direct_computation_gives(tiny, tmp_path):
    import copy

    model, _, batches = tiny
    model = copy.deepcopy(model)
    mon = TrainingMonitor(model, every=4)
    expected = {}
    _loop(model, batches, 9, 1e-4, mon, expected)
    res = mon.result()
    assert isinstance(res, TrainingLogResult)
    log = res.tables["layers_log"]
    assert sorted(log["step"].unique()) == [1, 4, 8] == sorted(expected)
    for step, exp in expected.items():
        part = log[log["step"] == step].set_index("layer")
        for layer, g in exp["grad"].items():
            assert part.loc[layer, "grad_norm"] == pytest.approx(g, rel=1e-4)
            assert part.loc[layer, "update_ratio"] == pytest.approx(exp["update"][layer],
                                                                    rel=1e-3)
    assert list(res.tables["losses"]["step"]) == list(range(1, 10))
    assert res.summary["flags"] == [] and res.summary["status"] == "ok"
    res.save(tmp_path / "log", formats=("json", "csv"))
    back = load(tmp_path / "log")
    assert back.summary == res.to_dict()["summary"]
    assert len(back.tables["layers_log"]) == len(log)


def test_monitor_flags_a_diverging_run(tiny):
    import copy

    model, _, batches = tiny
    model = copy.deepcopy(model)
    mon = TrainingMonitor(model, every=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _loop(model, batches, 8, 5.0, mon)
    kinds = [f["kind"] for f in mon.result().summary["flags"]]
    assert "large_updates" in kinds
    assert any(issubclass(w.category, NlperrWarning) and "W900" in str(w.message)
               for w in caught)


def test_monitor_flags_nan_and_dead_layers(tiny):
    import copy

    model, _, batches = tiny
    model = copy.deepcopy(model)
    with torch.no_grad():
        for n, p in model.bert.encoder.layer[0].named_parameters():
            if "LayerNorm" not in n:
                p.zero_()
    mon = TrainingMonitor(model, every=1, warn=False)
    model.train()
    loss = model(**batches[0]).loss
    loss.backward()
    mon.before_step(1, loss)
    mon.after_step()
    mon.before_step(2, torch.tensor(float("nan")))
    mon.after_step()
    kinds = [f["kind"] for f in mon.result().summary["flags"]]
    assert "nan_inf" in kinds and "no_gradient" in kinds


def test_monitor_rejects_bad_interval(tiny):
    from nlperr.errors import InputError

    with pytest.raises(InputError, match="E908"):
        TrainingMonitor(tiny[0], every=0)


def test_trainer_callback_records_during_a_real_trainer_run(tiny, tmp_path):
    pytest.importorskip("accelerate")
    import copy

    from transformers import DataCollatorWithPadding, Trainer, TrainerCallback, TrainingArguments

    from nlperr.training import DiagnosticsCallback

    assert issubclass(DiagnosticsCallback, TrainerCallback)
    model, tok, batches = tiny
    model = copy.deepcopy(model)
    label2id = model.config.label2id
    rows = [{**tok(ex.text, truncation=True, max_length=16), "labels": label2id[ex.label]}
            for ex in sentiment_examples(32)]
    cb = DiagnosticsCallback(every=2)
    args = TrainingArguments(output_dir=str(tmp_path), max_steps=5, learning_rate=1e-4,
                             per_device_train_batch_size=8, logging_steps=1, save_strategy="no",
                             report_to=[], use_cpu=True, disable_tqdm=True)
    Trainer(model=model, args=args, train_dataset=rows, callbacks=[cb],
            data_collator=DataCollatorWithPadding(tok)).train()
    res = cb.result()
    assert sorted(res.tables["layers_log"]["step"].unique()) == [1, 2, 4]
    assert list(res.tables["losses"]["step"]) == [1, 2, 3, 4, 5]
    assert res.tables["layers_log"]["grad_norm"].notna().all()
    assert (res.tables["layers_log"]["update_ratio"] > 0).all()


def test_log_figures(tiny):
    pytest.importorskip("matplotlib")
    import copy

    model, _, batches = tiny
    model = copy.deepcopy(model)
    mon = TrainingMonitor(model, every=2)
    _loop(model, batches, 4, 1e-4, mon)
    res = mon.result()
    fig = res.figures["gradient_norms"]()
    log = res.tables["layers_log"]
    first = log[log["layer"] == log["layer"].iloc[0]]
    assert list(fig.axes[0].lines[0].get_ydata()) == list(first["grad_norm"])
    assert list(res.figures["loss_curve"]().axes[0].lines[0].get_ydata()) == \
        list(res.tables["losses"]["loss"])
    assert list(res.curves().columns) == ["step", "split", "loss"]
