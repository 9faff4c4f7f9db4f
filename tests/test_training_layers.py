"""The layer table against direct torch computations; the model is never changed."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from nlperr.training import layer_table, make_batches  # noqa: E402
from nlperr.training.layers import snapshot_model  # noqa: E402

from _training_helpers import ner_examples, sentiment_examples, tiny_bert  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: on a busy shared machine, multi-threaded tiny ops spin-wait."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def tiny():
    model, tok = tiny_bert("sequence", num_labels=2)
    model.config.id2label = {0: "negative", 1: "positive"}
    model.config.label2id = {"negative": 0, "positive": 1}
    batches = make_batches(sentiment_examples(16), tok, task="sequence", config=model.config,
                           max_length=16)
    return model, tok, batches


def _inputs(batch):
    return {k: v for k, v in batch.items() if k != "special_tokens_mask"}


def test_parameter_rows_match_direct_computation(tiny):
    model, _, batches = tiny
    table = layer_table(model, batches[0], lr=1e-3)
    ref = copy.deepcopy(model).eval()
    loss = ref(**_inputs(batches[0])).loss
    loss.backward()
    params = table[table["kind"] == "parameter"].set_index("name")
    before = {n: p.detach().clone() for n, p in ref.named_parameters()}
    grads = {n: p.grad.detach().clone() for n, p in ref.named_parameters()}
    torch.optim.AdamW(ref.parameters(), lr=1e-3, weight_decay=0.0).step()
    assert len(params) == len(before)
    for name, p in ref.named_parameters():
        row = params.loc[name]
        w = before[name]
        assert row["param_norm"] == pytest.approx(float(torch.linalg.norm(w)), rel=1e-5)
        assert row["grad_norm"] == pytest.approx(float(torch.linalg.norm(grads[name])),
                                                 rel=1e-4, abs=1e-9)
        assert row["zero_share"] == pytest.approx(float((w == 0).float().mean()))
        norm = float(torch.linalg.norm(w))
        if norm > 0:
            upd = float(torch.linalg.norm(p.detach() - w)) / norm
            assert row["update_ratio"] == pytest.approx(upd, rel=1e-4)
        else:
            assert math.isnan(row["update_ratio"])
        assert row["layer"] in set(table.loc[table["kind"] == "layer", "name"])
    # layer rows aggregate their parameters
    layers = table[table["kind"] == "layer"].set_index("name")
    for layer, part in params.groupby("layer"):
        assert layers.loc[layer, "numel"] == part["numel"].sum()
        assert layers.loc[layer, "grad_norm"] == pytest.approx(
            math.sqrt((part["grad_norm"] ** 2).sum()), rel=1e-6)


def test_activation_statistics_match_hooks(tiny):
    model, _, batches = tiny
    table = layer_table(model, batches[0], lr=None)
    ref = copy.deepcopy(model).eval()
    seen = {}
    mask = batches[0]["attention_mask"].bool()
    for name, mod in ref.named_modules():
        if type(mod).__name__ == "GELUActivation":
            mod.register_forward_hook(lambda m, i, o, name=name: seen.__setitem__(
                name, (i[0].detach(), o.detach())))
    ref(**_inputs(batches[0]))
    mods = table[table["kind"] == "module"].set_index("name")
    assert seen
    for name, (x, out) in seen.items():
        xs, os_ = x[mask], out[mask]
        assert mods.loc[name, "act_mean"] == pytest.approx(float(os_.mean()), rel=1e-5)
        assert mods.loc[name, "act_std"] == pytest.approx(float(os_.std()), rel=1e-5)
        flat = xs < -4.0
        assert mods.loc[name, "act_saturated"] == pytest.approx(float(flat.float().mean()))
        assert mods.loc[name, "act_dead"] == pytest.approx(float(flat.all(dim=0).float().mean()))


def test_relu_dead_units_counted():
    net = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2))
    with torch.no_grad():
        net[0].bias[:3] = -100.0     # three units can never fire
    x = torch.randn(32, 4)
    y = torch.randint(0, 2, (32,))

    def loss_fn(model, batch):
        return torch.nn.functional.cross_entropy(model(batch["x"]), batch["y"])

    table = layer_table(net, {"x": x, "y": y}, loss_fn=loss_fn)
    relu = table[(table["kind"] == "module") & (table["type"] == "ReLU")].iloc[0]
    pre = net[0](x)
    assert relu["act_dead"] == pytest.approx(float((pre <= 0).all(dim=0).float().mean()))
    assert relu["act_dead"] >= 0.5
    w0 = table[table["name"] == "0.weight"].iloc[0]
    # the dead units' incoming weights get no gradient; the others do
    assert w0["grad_norm"] > 0


def test_model_hooks_and_state_are_untouched(tiny):
    model, _, batches = tiny
    calls = []
    handle = model.bert.encoder.layer[0].register_forward_hook(lambda *a: calls.append(1))
    model.train()
    before = snapshot_model(model)
    layer_table(model, batches[0], lr=1e-2)
    assert snapshot_model(model) == before
    assert calls == []          # the copy does not carry the caller's hooks
    handle.remove()
    model.eval()


def test_token_model_table_and_non_finite(tmp_path):
    model, tok = tiny_bert("token", num_labels=7)
    batches = make_batches(ner_examples(8), tok, task="token", config=model.config,
                           max_length=24)
    with torch.no_grad():
        model.classifier.weight[0, 0] = float("nan")
    table = layer_table(model, batches[0])
    row = table[table["name"] == "classifier.weight"].iloc[0]
    assert row["nan_count"] >= 1
    assert np.isnan(row["param_norm"])
