"""Checks before training: run them on the user's model and a few real batches.

:func:`check_training` works on deep copies of the model (the caller's model,
gradients, modes and hooks are never changed) and returns a
:class:`TrainingCheckResult` whose ``summary["checks"]`` lists one
``{name, status, value, expected, detail, fix}`` per check (status ``pass``,
``warn``, ``fail``, or ``skip`` when the check cannot run on the given input).

The checks and their rules (thresholds in :data:`THRESHOLDS`):

``initial_loss``
    mean loss of the untouched model over the batches against ``ln K`` (K classes;
    token classification counts only positions whose label is not -100).
    value = loss / ln K; pass <= 1.5, warn <= 3, else fail (a head initialised
    with too large weights, or logits scaled wrongly).  Below 0.5 passes with a
    note: the model already fits the data (a fine-tuned checkpoint).
``overfit_one_batch``
    a copy trained on the first batch only (AdamW, ``overfit_lr`` 1e-3, dropout off,
    at most ``overfit_steps`` steps); when that does not pass, once more at the
    range test's suggested rate (clipped to [1e-4, 0.1]) and the better run counts.  value = the final loss; pass when every
    label of the batch is fitted and the loss is below 0.1; warn when >= 90 % of
    the labels are fitted or the loss fell below half its start; else fail.
    The curve is the table ``overfit_curve``.
``gradient_flow``
    one backward pass over the batches.  fail when parameters holding >= 50 % of
    the elements are frozen (``requires_grad=False``) or a trainable parameter
    gets an exactly zero gradient, or a layer's gradient/parameter ratio is
    above 1e3 x the median layer (exploding); warn when some parameters are
    frozen, get no gradient at all (unused), or a layer's ratio is below 1e-3 x
    the median layer (vanishing).  value = share of parameter elements without
    a usable gradient.
``dead_units``
    the largest share of dead units (see :mod:`nlperr.training.layers`) over the
    activation modules; warn > 0.1, fail > 0.5.
``update_ratio``
    median over trainable weight tensors of ``||update|| / ||weight||`` for one
    AdamW step at ``lr``; cs231n's rule of thumb is about 1e-3.  warn outside
    [1e-4, 1e-2]; never fails (the ``learning_rate`` check decides).
``nan_inf``
    any NaN or infinite loss, parameter, gradient or activation: fail.
``input_independence``
    two copies trained for ``independence_steps`` steps (AdamW at the range test's
    suggested learning rate, clipped to [1e-4, 1e-2]) on all batches but the
    last quarter, one with real inputs, one with every non-special token
    replaced by ``mask_token_id``; value = relative gain of the real inputs on
    the held-out batches, ``(L_masked - L_real) / L_masked``.  pass >= 0.1,
    warn >= 0.02, else fail: the model learns as well without its inputs (labels
    shuffled or unrelated to the text, or a leak).  Needs >= 2 batches (skip).
``learning_rate``
    an LR range test (Smith 2017): a copy trained with the learning rate growing
    geometrically from ``range_lrs[0]`` to ``range_lrs[1]``; the loss is
    smoothed (EMA, beta 0.7) and the test stops once it exceeds 4 x its minimum.
    Suggested range: a tenth to a hundredth of the learning rate of the smoothed
    minimum.  fail when ``lr`` is at or above the learning rate where the loss
    diverged; warn above the minimum's learning rate or 1000 x below it; value =
    ``lr``.  The curve is the table ``lr_range``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import Errors, InputError
from ..results import Finding, Result
from .layers import (
    LAYER_COLUMNS, backward_probe, build_table, check_batches, copy_model, model_loss,
    parameter_stats, require_torch,
)

__all__ = ["check_training", "Check", "TrainingCheckResult", "CHECKS", "STATUSES",
           "THRESHOLDS", "DEFAULT_LR"]

CHECKS = ("initial_loss", "overfit_one_batch", "gradient_flow", "dead_units", "update_ratio",
          "nan_inf", "input_independence", "learning_rate")
STATUSES = ("pass", "warn", "fail", "skip")
#: the Hugging Face Trainer's default learning rate
DEFAULT_LR = 5e-5
THRESHOLDS: dict[str, Any] = {
    "initial_loss_ratio": (1.5, 3.0),
    "initial_loss_trained": 0.5,
    "overfit_loss": 0.1,
    "overfit_accuracy_warn": 0.9,
    "frozen_share_fail": 0.5,
    "vanishing_factor": 1e-3,
    "exploding_factor": 1e3,
    "dead_units": (0.1, 0.5),
    "update_ratio": (1e-4, 1e-2),
    "input_gain": (0.1, 0.02),
    "range_divergence": 4.0,
    "range_beta": 0.7,
}
_SEVERITY = {"pass": "info", "skip": "info", "warn": "warning", "fail": "critical"}


@dataclass(frozen=True)
class Check:
    """One check: ``name``, ``status`` (pass/warn/fail/skip), the measured ``value``,
    the ``expected`` range (text), ``detail`` (what was seen) and ``fix``."""

    name: str
    status: str
    value: float | None
    expected: str
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        v = self.value
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        return {"name": self.name, "status": self.status, "value": v,
                "expected": self.expected, "detail": self.detail, "fix": self.fix}


class TrainingCheckResult(Result):
    """Result of :func:`check_training`.

    ``summary``: ``checks`` (list of check dicts, in :data:`CHECKS` order),
    ``status`` (the worst status), ``failed`` and ``warned`` (check names),
    ``num_labels``, ``lr``, ``batches``, ``examples``, ``model`` (class name) and,
    when the range test ran, ``lr_min_loss``, ``lr_diverge`` (None: no divergence)
    and ``suggested_lr`` (``[low, high]``).
    ``tables``: ``layers`` (the layer table, :data:`~nlperr.training.layers.LAYER_COLUMNS`),
    ``overfit_curve`` (``step, lr, loss, accuracy``), ``lr_range`` (``step, lr, loss,
    smoothed``), ``input_independence`` (``inputs, step, train_loss, heldout_loss``).
    ``findings``: one per failed or warned check.
    """

    kind: ClassVar[str] = "training_checks"
    title: ClassVar[str] = "Training checks"
    figure_specs: ClassVar[dict[str, str]] = {
        "overfit_curve": "nlperr.training.figures:overfit_curve",
        "lr_range": "nlperr.training.figures:lr_range",
        "layer_gradients": "nlperr.training.figures:layer_gradients",
    }

    @property
    def checks(self) -> list[Check]:
        return [Check(**c) for c in self.summary.get("checks", [])]

    @property
    def failed(self) -> list[str]:
        return list(self.summary.get("failed", []))

    def check(self, name: str) -> Check:
        for c in self.checks:
            if c.name == name:
                return c
        raise InputError(Errors.E207.format(value=name, option="check",
                                            allowed=[c.name for c in self.checks]))


# --- helpers ------------------------------------------------------------------------------

def _split(batch: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    inputs = {k: v for k, v in batch.items() if k != "special_tokens_mask"}
    return inputs, batch.get("special_tokens_mask")


def _to(batch: Mapping[str, Any], device: Any) -> dict[str, Any]:
    return {k: (v.to(device) if hasattr(v, "to") else v) for k, v in batch.items()}


def _accuracy(out: Any, labels: Any) -> float:
    logits = getattr(out, "logits", None)
    if logits is None or labels is None:
        return math.nan
    pred = logits.argmax(dim=-1)
    keep = labels != -100
    n = int(keep.sum())
    return float((pred[keep] == labels[keep]).sum()) / n if n else math.nan


def _masked(batch: Mapping[str, Any], mask_token_id: int) -> dict[str, Any]:
    import torch

    out = dict(batch)
    ids = batch["input_ids"]
    special = batch.get("special_tokens_mask")
    att = batch.get("attention_mask")
    content = torch.ones_like(ids, dtype=torch.bool)
    if special is not None:
        content &= special == 0
    else:  # no mask given: keep the first and the last attended position
        content[:, 0] = False
        if att is not None:
            last = att.long().sum(dim=1) - 1
            content[torch.arange(ids.shape[0]), last.clamp(min=0)] = False
    if att is not None:
        content &= att.bool()
    out["input_ids"] = torch.where(content, torch.full_like(ids, mask_token_id), ids)
    return out


def _train(clone: Any, batches: Sequence[Mapping[str, Any]], steps: int, lr: float | Callable,
           loss_fn: Any, *, stop: Callable[[float, float], bool] | None = None,
           evaluate: bool = True, train_embeddings: bool = False) -> list[dict[str, float]]:
    """Train *clone* (AdamW) over *batches* cyclically; per step the loss before the
    update, the accuracy and the learning rate."""
    import torch

    params = _trainable(clone, train_embeddings)
    if not params:
        return []
    opt = torch.optim.AdamW(params, lr=lr if not callable(lr) else lr(0), weight_decay=0.0,
                            foreach=True)
    rows = []
    for step in range(steps):
        cur = lr(step) if callable(lr) else lr
        for g in opt.param_groups:
            g["lr"] = cur
        inputs, _ = _split(batches[step % len(batches)])
        opt.zero_grad(set_to_none=True)
        loss, out = model_loss(clone, inputs, loss_fn)
        value = float(loss.detach())
        acc = _accuracy(out, inputs.get("labels")) if evaluate else math.nan
        rows.append({"step": step, "lr": cur, "loss": value, "accuracy": acc})
        if not math.isfinite(value) or (stop is not None and stop(value, acc)):
            break
        loss.backward()
        opt.step()
    return rows


def _trainable(model: Any, train_embeddings: bool) -> list[Any]:
    """Trainable parameters; without *train_embeddings* the input embedding matrix
    (``get_input_embeddings()``) is left out when it is large (> 1M elements)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if train_embeddings or not hasattr(model, "get_input_embeddings"):
        return params
    try:
        emb = model.get_input_embeddings()
    except (NotImplementedError, AttributeError):
        return params
    skip = {id(p) for p in emb.parameters()} if emb is not None else set()
    if sum(p.numel() for p in params if id(p) in skip) <= 1_000_000:
        return params
    kept = [p for p in params if id(p) not in skip]
    return kept or params


def _mean_loss(model: Any, batches: Sequence[Mapping[str, Any]], loss_fn: Any) -> float:
    import torch

    total, n = 0.0, 0
    with torch.no_grad():
        for b in batches:
            inputs, _ = _split(b)
            loss, _ = model_loss(model, inputs, loss_fn)
            total += float(loss)
            n += 1
    return total / n


def _fmt(x: float) -> str:
    if x is None or not math.isfinite(x):
        return str(x)
    return f"{x:.3g}"


# --- the checks ---------------------------------------------------------------------------

def _initial_loss(loss: float, k: int) -> Check:
    lo, hi = THRESHOLDS["initial_loss_ratio"]
    ln_k = math.log(k) if k > 1 else math.nan
    expected = f"about ln K = {_fmt(ln_k)} for K = {k} classes (ratio to ln K <= {lo})"
    if not math.isfinite(loss):
        return Check("initial_loss", "fail", loss, expected, f"the initial loss is {loss}",
                     "look for NaN/Inf in the weights or inputs (see nan_inf)")
    if not math.isfinite(ln_k):
        return Check("initial_loss", "skip", loss, expected, "needs at least 2 classes")
    ratio = loss / ln_k
    detail = f"initial loss {_fmt(loss)} = {_fmt(ratio)} x ln K"
    if ratio <= lo:
        if ratio < THRESHOLDS["initial_loss_trained"]:
            detail += " (below chance: the model already fits this data, e.g. a fine-tuned checkpoint)"
        return Check("initial_loss", "pass", ratio, expected, detail)
    return Check("initial_loss", "warn" if ratio <= hi else "fail", ratio, expected,
                 detail + ": the untrained model is confidently wrong",
                 "re-initialise the classification head with small weights (std 0.02, "
                 "zero bias), and check that logits are not scaled or that the "
                 "labels match the model's label ids")


def _overfit(rows: list[dict[str, float]], lr: float) -> Check:
    expected = (f"every label of the batch fitted and loss < {THRESHOLDS['overfit_loss']} "
                f"within the step budget")
    if not rows:
        return Check("overfit_one_batch", "fail", math.nan, expected,
                     "the model has no trainable parameters",
                     "set requires_grad=True on the parameters to train")
    first, last = rows[0], rows[-1]
    loss, acc = last["loss"], last["accuracy"]
    detail = (f"after {last['step']} step(s) at lr {_fmt(lr)}: loss {_fmt(first['loss'])} -> "
              f"{_fmt(loss)}, labels fitted {_fmt(acc)}")
    fix = ("a model that cannot overfit 8 examples has a bug: check that labels reach "
           "the loss, that the parameters are given to the optimizer and not frozen, "
           "and the learning rate")
    if not math.isfinite(loss):
        return Check("overfit_one_batch", "fail", loss, expected, detail + " (diverged)", fix)
    fitted = math.isnan(acc) or acc >= 1.0
    if fitted and loss < THRESHOLDS["overfit_loss"]:
        return Check("overfit_one_batch", "pass", loss, expected, detail)
    if (not math.isnan(acc) and acc >= THRESHOLDS["overfit_accuracy_warn"]) or \
            loss < 0.5 * first["loss"]:
        return Check("overfit_one_batch", "warn", loss, expected, detail,
                     "give it more steps (overfit_steps) or a larger overfit_lr; " + fix)
    return Check("overfit_one_batch", "fail", loss, expected, detail, fix)


def _gradient_flow(params: list[dict[str, Any]], layers: list[dict[str, Any]]) -> Check:
    total = sum(r["numel"] for r in params) or 1
    frozen = [r for r in params if not r["requires_grad"]]
    unused = [r for r in params if r["requires_grad"] and not r["has_grad"]]
    zero = [r for r in params if r["requires_grad"] and r["has_grad"]
            and r["grad_norm"] == 0.0]
    frozen_share = sum(r["numel"] for r in frozen) / total
    no_grad_share = sum(r["numel"] for r in frozen + unused + zero) / total
    ratios = [r["grad_ratio"] for r in layers if math.isfinite(r["grad_ratio"])
              and r["grad_ratio"] > 0]
    med = sorted(ratios)[len(ratios) // 2] if ratios else math.nan
    vanish = [r["name"] for r in layers if math.isfinite(r["grad_ratio"]) and r["grad_ratio"] > 0
              and r["grad_ratio"] < THRESHOLDS["vanishing_factor"] * med]
    explode = [r["name"] for r in layers if math.isfinite(r["grad_ratio"])
               and r["grad_ratio"] > THRESHOLDS["exploding_factor"] * med]
    expected = ("every parameter trainable and receiving a non-zero gradient; layer "
                "gradient/weight ratios within 1e-3..1e3 x the median layer")
    problems, status = [], "pass"

    def names(rows: list[Any], k: int = 3) -> str:
        items = [r["name"] if isinstance(r, dict) else r for r in rows]
        return ", ".join(items[:k]) + (f" and {len(items) - k} more" if len(items) > k else "")

    if frozen:
        problems.append(f"{len(frozen)} parameter tensor(s) frozen ({_fmt(100 * frozen_share)} % "
                        f"of the elements): {names(frozen)}")
        status = "fail" if frozen_share >= THRESHOLDS["frozen_share_fail"] else "warn"
    if zero:
        problems.append(f"{len(zero)} trainable tensor(s) get an exactly zero gradient: "
                        f"{names(zero)}")
        status = "fail"
    if explode:
        problems.append(f"exploding gradients in {names(explode)}")
        status = "fail"
    if unused:
        problems.append(f"{len(unused)} trainable tensor(s) get no gradient (unused in the "
                        f"forward pass): {names(unused)}")
        status = status if status == "fail" else "warn"
    if vanish:
        problems.append(f"vanishing gradients in {names(vanish)}")
        status = status if status == "fail" else "warn"
    detail = "; ".join(problems) if problems else (
        f"all {len(params)} tensors receive gradients; median layer gradient/weight ratio "
        f"{_fmt(med)}")
    fix = ("" if status == "pass" else
           "unfreeze what should train (requires_grad=True), re-initialise zeroed layers, "
           "and remove unused modules or pass them to no optimizer on purpose")
    return Check("gradient_flow", status, no_grad_share, expected, detail, fix)


def _dead_units(acts: Mapping[str, Mapping[str, float]]) -> Check:
    warn_at, fail_at = THRESHOLDS["dead_units"]
    expected = f"dead-unit share <= {warn_at} in every activation module"
    dead = {k: v["act_dead"] for k, v in acts.items() if "act_dead" in v}
    if not dead:
        return Check("dead_units", "skip", None, expected, "no activation modules were found")
    worst = max(dead, key=lambda k: dead[k])
    value = dead[worst]
    detail = f"largest dead-unit share {_fmt(value)} in {worst} ({len(dead)} activation modules)"
    status = "fail" if value > fail_at else "warn" if value > warn_at else "pass"
    fix = "" if status == "pass" else ("lower the learning rate, check the initialisation "
                                       "and input scaling, or use GELU/LeakyReLU")
    return Check("dead_units", status, value, expected, detail, fix)


def _update_ratio(params: list[dict[str, Any]], lr: float) -> Check:
    lo, hi = THRESHOLDS["update_ratio"]
    expected = f"about 1e-3 (between {lo:g} and {hi:g}) for one step at lr {lr:g}"
    vals = sorted(r["update_ratio"] for r in params if r["requires_grad"]
                  and "x" in r["shape"] and math.isfinite(r["update_ratio"]))
    if not vals:
        return Check("update_ratio", "skip", None, expected, "no trainable weight matrix")
    med = vals[len(vals) // 2]
    detail = f"median update/weight ratio {_fmt(med)} over {len(vals)} weight matrices"
    if lo <= med <= hi:
        return Check("update_ratio", "pass", med, expected, detail)
    return Check("update_ratio", "warn", med, expected,
                 detail + (": updates are large, training may be unstable" if med > hi
                           else ": updates are tiny, training will be slow"),
                 "scale the learning rate so the ratio is near 1e-3 (see learning_rate)")


def _nan_inf(losses: list[float], params: list[dict[str, Any]],
             acts: Mapping[str, Mapping[str, float]]) -> Check:
    bad_loss = sum(1 for v in losses if not math.isfinite(v))
    bad_params = [r["name"] for r in params if r["nan_count"] or r["inf_count"]]
    bad_acts = [k for k, v in acts.items()
                if any(not math.isfinite(x) for x in v.values())]
    n = bad_loss + len(bad_params) + len(bad_acts)
    expected = "no NaN or Inf in losses, parameters, gradients or activations"
    if not n:
        return Check("nan_inf", "pass", 0.0, expected, "all values finite")
    parts = []
    if bad_loss:
        parts.append(f"{bad_loss} non-finite loss(es)")
    if bad_params:
        parts.append(f"non-finite values in {', '.join(bad_params[:3])}")
    if bad_acts:
        parts.append(f"non-finite activations in {', '.join(bad_acts[:3])}")
    return Check("nan_inf", "fail", float(n), expected, "; ".join(parts),
                 "find the first module producing NaN/Inf (the layer table), check "
                 "inputs, the loss (log of 0) and mixed-precision settings")


def _learning_rate(rows: list[dict[str, float]],
                   lr: float | None) -> tuple[Check, list[dict], dict[str, Any]]:
    beta, factor = THRESHOLDS["range_beta"], THRESHOLDS["range_divergence"]
    avg, best, best_lr, diverge_lr = 0.0, math.inf, math.nan, math.inf
    out = []
    for i, r in enumerate(rows):
        if math.isfinite(r["loss"]):
            avg = beta * avg + (1 - beta) * r["loss"]
            sm = avg / (1 - beta ** (i + 1))
        else:
            sm = math.inf
        out.append({"step": r["step"], "lr": r["lr"], "loss": r["loss"], "smoothed": sm})
        if sm < best:
            best, best_lr = sm, r["lr"]
        elif sm > factor * best and not math.isfinite(diverge_lr):
            diverge_lr = r["lr"]
    expected = "a learning rate below the one at the loss minimum of the range test"
    if not out or not math.isfinite(best_lr):
        return (Check("learning_rate", "skip", lr, expected, "the range test did not run"), out,
                {"lr_min_loss": None, "lr_diverge": None, "suggested_lr": None})
    low, high = best_lr / 100, best_lr / 10
    info = {"lr_min_loss": best_lr,
            "lr_diverge": diverge_lr if math.isfinite(diverge_lr) else None,
            "suggested_lr": [low, high]}
    detail = (f"range test: loss minimum at lr {_fmt(best_lr)}, "
              + (f"diverged from lr {_fmt(diverge_lr)}" if math.isfinite(diverge_lr)
                 else "no divergence up to the largest lr tried")
              + f"; suggested range {_fmt(low)}..{_fmt(high)}")
    expected = f"lr in about {_fmt(low)}..{_fmt(high)} (suggested by the range test)"
    fix = f"use a learning rate in {_fmt(low)}..{_fmt(high)}"
    if lr is None:
        return Check("learning_rate", "pass", None, expected, detail), out, info
    detail = f"lr {_fmt(lr)}; " + detail
    if lr >= diverge_lr:
        return Check("learning_rate", "fail", lr, expected,
                     detail + ": training at this learning rate diverges", fix), out, info
    if lr >= best_lr or lr < best_lr / 1000:
        return Check("learning_rate", "warn", lr, expected, detail + (
            ": above the loss minimum, training may be unstable" if lr >= best_lr
            else ": far below the useful range, training will be slow"), fix), out, info
    return Check("learning_rate", "pass", lr, expected, detail), out, info


# --- the entry point ---------------------------------------------------------------------

def check_training(model: Any, batches: Sequence[Mapping[str, Any]] | Mapping[str, Any], *,
                   lr: float | None = DEFAULT_LR, checks: Sequence[str] | None = None,
                   num_labels: int | None = None,
                   loss_fn: Callable[[Any, Mapping[str, Any]], Any] | None = None,
                   mask_token_id: int | None = None, seed: int = 0,
                   overfit_steps: int = 30, overfit_lr: float | None = None,
                   independence_steps: int = 12, independence_lr: float | None = None,
                   range_steps: int = 20, range_lrs: tuple[float, float] = (1e-5, 1.0),
                   train_embeddings: bool = False) -> TrainingCheckResult:
    """Run the checks before training on *model* and a few real *batches*.

    Parameters
    ----------
    model : torch.nn.Module
        A Hugging Face model (returns ``.loss`` and ``.logits`` given ``labels``)
        or any module with *loss_fn*.  Never modified.
    batches : sequence of mappings of str -> tensor
        Forward-pass keyword arguments with ``labels`` (see :func:`make_batches`;
        ``special_tokens_mask`` is removed before the forward pass).  Two to eight
        small batches (8 examples, <= 64 pieces) keep the checks to seconds.
    lr : float or None, default 5e-5
        The learning rate you plan to train with (``update_ratio``,
        ``learning_rate``); None: only suggest a range.
    checks : sequence of str, optional
        Subset of :data:`CHECKS` to run (default all).
    num_labels : int, optional
        K for ``initial_loss`` (default ``model.config.num_labels``).
    loss_fn : callable, optional
        ``loss_fn(model, batch) -> loss`` for models that do not return ``.loss``.
    mask_token_id : int, optional
        Token that replaces the inputs in ``input_independence`` (default the
        config's ``mask_token_id``, else ``pad_token_id``, else 0).
    seed : int, default 0
        Seeds torch inside the checks (the global RNG state is restored).
    overfit_steps, overfit_lr, independence_steps, independence_lr, range_steps, range_lrs
        Budgets of the training checks (see the module docstring).  They do not
        use your ``lr``: they test the model and the data.  ``overfit_lr``
        defaults to 1e-3; ``independence_lr`` to the upper end of the range
        test's suggestion (a tenth of the learning rate at the loss minimum)
        clipped to [1e-4, 1e-2], so that a model that trains only its head still
        learns within the few steps (1e-4 when the range test cannot run).
    train_embeddings : bool, default False
        Whether the training checks (``overfit_one_batch``, ``input_independence``,
        ``learning_rate``) update a large input embedding matrix (> 1M elements).
        Left out by default: it holds half of a small transformer's parameters,
        its optimizer step costs more than the forward pass, and a few dozen
        steps barely move it.
    """
    torch = require_torch()
    wanted = list(CHECKS) if checks is None else list(checks)
    for c in wanted:
        if c not in CHECKS:
            raise InputError(Errors.E207.format(value=c, option="checks", allowed=list(CHECKS)))
    for name, v in (("overfit_steps", overfit_steps), ("independence_steps", independence_steps),
                    ("range_steps", range_steps)):
        if not isinstance(v, int) or v < 1:
            raise InputError(Errors.E908.format(name=name, expected="an integer >= 1", value=v))
    if lr is not None and not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
        raise InputError(Errors.E908.format(name="lr", expected="a positive number or None",
                                            value=lr))
    batches = check_batches(batches)
    if loss_fn is None:
        for i, b in enumerate(batches):
            if "labels" not in b:
                raise InputError(Errors.E900.format(got=f"batch {i} without 'labels' "
                                                        f"(keys {sorted(b)})"))
    config = getattr(model, "config", None)
    k = int(num_labels or getattr(config, "num_labels", 0) or 0)
    if mask_token_id is None:
        for attr in ("mask_token_id", "pad_token_id"):
            v = getattr(config, attr, None)
            if isinstance(v, int):
                mask_token_id = v
                break
        else:
            mask_token_id = 0
    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else "cpu"
    batches = [_to(b, device) for b in batches]
    results: dict[str, Check] = {}
    tables: dict[str, Any] = {}
    import pandas as pd

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        base = copy_model(model)
        base.eval()
        need_probe = {"gradient_flow", "dead_units", "update_ratio", "nan_inf"} & set(wanted)
        losses: list[float] = []
        if "initial_loss" in wanted or "nan_inf" in wanted:
            with torch.no_grad():
                for b in batches:
                    inputs, _ = _split(b)
                    loss, _ = model_loss(base, inputs, loss_fn)
                    losses.append(float(loss))
            if "initial_loss" in wanted:
                mean = sum(losses) / len(losses)
                results["initial_loss"] = _initial_loss(mean, k)
        params: list[dict[str, Any]] = []
        acts: dict[str, dict[str, float]] = {}
        if need_probe:
            probe = copy_model(base)
            _, before, acts = backward_probe(probe, batches[:4], loss_fn=loss_fn,
                                             lr=lr if lr is not None else DEFAULT_LR)
            params = parameter_stats(probe, before=before)
            table = build_table(params, probe, acts)
            tables["layers"] = table
            layer_rows = table[table["kind"] == "layer"].to_dict("records")
            del probe
            if "gradient_flow" in wanted:
                results["gradient_flow"] = _gradient_flow(params, layer_rows)
            if "dead_units" in wanted:
                results["dead_units"] = _dead_units(acts)
            if "update_ratio" in wanted:
                results["update_ratio"] = _update_ratio(params, lr if lr is not None
                                                        else DEFAULT_LR)
            if "nan_inf" in wanted:
                results["nan_inf"] = _nan_inf(losses, params, acts)
        suggested = math.nan
        lr_info: dict[str, Any] = {}
        if "learning_rate" in wanted or overfit_lr is None or independence_lr is None:
            clone = copy_model(base)
            clone.eval()
            lo, hi = range_lrs
            n = range_steps

            def sched(step: int) -> float:
                return lo * (hi / lo) ** (step / max(1, n - 1))

            best = [math.inf]

            def stop(loss: float, acc: float) -> bool:
                best[0] = min(best[0], loss)
                return loss > 2 * THRESHOLDS["range_divergence"] * best[0]

            rows = _train(clone, batches, n, sched, loss_fn, stop=stop, evaluate=False,
                          train_embeddings=train_embeddings)
            del clone
            check, out, lr_info = _learning_rate(rows, lr)
            if lr_info["suggested_lr"]:
                suggested = lr_info["suggested_lr"][1]
            if "learning_rate" in wanted:
                results["learning_rate"] = check
                tables["lr_range"] = pd.DataFrame(out, columns=["step", "lr", "loss", "smoothed"])
        fit_lr = overfit_lr or 1e-3
        ind_lr = independence_lr or (min(max(suggested, 1e-4), 1e-2) if math.isfinite(suggested)
                                     else 1e-4)

        if "overfit_one_batch" in wanted:
            # at 1e-3, then (unless the caller fixed the rate) at the range test's
            # suggestion: a model that fits the batch at either rate passes
            rates = [fit_lr]
            if overfit_lr is None and math.isfinite(suggested):
                alt = min(max(suggested, 1e-4), 1e-1)
                if abs(math.log10(alt / fit_lr)) > 0.3:
                    rates.append(alt)
            best_run: Any = None
            rank = {"pass": 0, "warn": 1, "fail": 2}
            for rate in rates:
                clone = copy_model(base)
                clone.eval()
                rows = _train(clone, batches[:1], overfit_steps + 1, rate, loss_fn,
                              stop=lambda loss, acc: loss < THRESHOLDS["overfit_loss"] and
                              (math.isnan(acc) or acc >= 1.0), train_embeddings=train_embeddings)
                del clone
                check = _overfit(rows, rate)
                if best_run is None or rank[check.status] < rank[best_run[0].status]:
                    best_run = (check, rows)
                if check.status == "pass":
                    break
            tables["overfit_curve"] = pd.DataFrame(best_run[1],
                                                   columns=["step", "lr", "loss", "accuracy"])
            results["overfit_one_batch"] = best_run[0]
        if "input_independence" in wanted:
            results["input_independence"], tab = _independence(
                base, batches, loss_fn, mask_token_id, independence_steps, ind_lr,
                train_embeddings)
            tables["input_independence"] = tab
    ordered = [results[c] for c in CHECKS if c in results]
    statuses = [c.status for c in ordered]
    worst = ("fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass")
    n_examples = sum(int(b["labels"].shape[0]) for b in batches if "labels" in b)
    summary = {"status": worst, "checks": [c.to_dict() for c in ordered],
               "failed": [c.name for c in ordered if c.status == "fail"],
               "warned": [c.name for c in ordered if c.status == "warn"],
               "num_labels": k, "lr": lr, "batches": len(batches), "examples": n_examples,
               "model": type(model).__name__, **lr_info}
    findings = [Finding(f"{c.name}: {c.detail}" + (f". Fix: {c.fix}" if c.fix else ""),
                        metric=c.name, value=c.value if isinstance(c.value, (int, float))
                        else None, severity=_SEVERITY[c.status])
                for c in ordered if c.status in ("warn", "fail")]
    if "layers" not in tables:
        tables["layers"] = pd.DataFrame({c: [] for c in LAYER_COLUMNS})
    return TrainingCheckResult(summary=summary, tables=tables, findings=findings)


def _independence(base: Any, batches: list[dict[str, Any]], loss_fn: Any, mask_token_id: int,
                  steps: int, lr: float, train_embeddings: bool = False) -> tuple[Check, Any]:
    import pandas as pd

    thr_pass, thr_warn = THRESHOLDS["input_gain"]
    expected = f"real inputs lower the held-out loss by >= {thr_pass:.0%} against masked inputs"
    cols = ["inputs", "step", "train_loss", "heldout_loss"]
    if len(batches) < 2:
        return (Check("input_independence", "skip", None, expected,
                      "needs at least 2 batches (training and held-out)"),
                pd.DataFrame({c: [] for c in cols}))
    if "input_ids" not in batches[0]:
        return (Check("input_independence", "skip", None, expected,
                      "the batches have no input_ids to mask"), pd.DataFrame({c: [] for c in cols}))
    n_held = max(1, len(batches) // 4)
    train, held = batches[:-n_held], batches[-n_held:]
    rows, final = [], {}
    for kind in ("real", "masked"):
        tb = train if kind == "real" else [_masked(b, mask_token_id) for b in train]
        hb = held if kind == "real" else [_masked(b, mask_token_id) for b in held]
        clone = copy_model(base)
        clone.eval()
        curve = _train(clone, tb, steps, lr, loss_fn, evaluate=False,
                       train_embeddings=train_embeddings)
        clone.eval()
        final[kind] = _mean_loss(clone, hb, loss_fn)
        for r in curve:
            rows.append({"inputs": kind, "step": r["step"], "train_loss": r["loss"],
                         "heldout_loss": math.nan})
        rows.append({"inputs": kind, "step": steps, "train_loss": math.nan,
                     "heldout_loss": final[kind]})
        del clone
    real, masked = final["real"], final["masked"]
    gain = (masked - real) / masked if masked > 0 else math.nan
    detail = (f"held-out loss after {steps} steps: {_fmt(real)} with real inputs, "
              f"{_fmt(masked)} with masked inputs (gain {_fmt(gain)})")
    tab = pd.DataFrame(rows, columns=cols)
    if math.isfinite(gain) and gain >= thr_pass:
        return Check("input_independence", "pass", gain, expected, detail), tab
    fix = ("check that the labels belong to their texts (not shuffled or misaligned); "
           "if the masked model does as well, look for a leak: labels readable from the "
           "length, ids or order of the data")
    status = "warn" if math.isfinite(gain) and gain >= thr_warn else "fail"
    return Check("input_independence", status, gain, expected,
                 detail + ": the model learns about as well without its inputs", fix), tab


_TASK_NAMES = {"sequence": "classification", "token": "ner", "classification": "classification",
               "ner": "ner"}


def check_model(model: Any, data: Any, *, format: str | None = None, task: str | None = None,
                batch_size: int = 8, max_batches: int = 4, max_length: int = 64,
                lr: float | None = DEFAULT_LR, seed: int = 0, device: str | None = None,
                **options: Any) -> TrainingCheckResult:
    """:func:`check_training` for a model spec and a data file (what ``nlperr train
    check`` runs).

    Parameters
    ----------
    model : str or object
        ``"hf:PATH"`` (loaded with :func:`nlperr.load_model`, so spec handling is
        the same as everywhere in nlperr), a ``(model, tokenizer)`` pair or an HF
        adapter.
    data : path or sequence of Example
        Read with :func:`nlperr.load` (``format`` as there): CoNLL for token
        classification, CSV / JSONL with a label for sequence classification.
    task : {"sequence", "token"}, optional
        Default: the model's task.
    batch_size, max_batches, max_length
        Size of the checks' data: ``max_batches`` batches of ``batch_size``
        examples cut to ``max_length`` subword pieces.
    lr, seed, **options
        Passed to :func:`check_training`.
    """
    from ..adapters import load_model

    if task is not None and task not in _TASK_NAMES:
        raise InputError(Errors.E207.format(value=task, option="task",
                                            allowed=["sequence", "token"]))
    for name, v in (("batch_size", batch_size), ("max_batches", max_batches)):
        if not isinstance(v, int) or v < 1:
            raise InputError(Errors.E908.format(name=name, expected="an integer >= 1", value=v))
    spec = model if isinstance(model, str) else type(model).__name__
    adapter = load_model(model, task=_TASK_NAMES.get(task) if task else None, device=device)
    inner = getattr(adapter, "inner", None) or getattr(adapter, "adapter", None)
    for cand in (adapter, inner):
        if cand is not None and hasattr(cand, "model") and hasattr(cand, "tokenizer"):
            adapter = cand
            break
    else:
        raise InputError(Errors.E906.format(spec=spec, kind=getattr(adapter, "kind", "?")))
    torch_model = adapter.model
    if not hasattr(torch_model, "parameters"):
        raise InputError(Errors.E906.format(spec=spec, kind=getattr(adapter, "kind", "?")))
    found = adapter.task
    if task is not None and _TASK_NAMES[task] != found:
        raise InputError(Errors.E907.format(spec=spec, found=found, task=task,
                                            expected="token" if found == "ner" else "sequence"))
    if isinstance(data, (str, bytes)) or hasattr(data, "__fspath__"):
        from ..io import load

        examples = load(data, format=format)
    else:
        examples = list(data)
    from .batches import make_batches

    batches = make_batches(examples, adapter.tokenizer, task=found, config=torch_model.config,
                           scheme=getattr(adapter, "scheme", "IOB2"), batch_size=batch_size,
                           max_length=max_length, max_batches=max_batches)
    mask_id = getattr(adapter.tokenizer, "mask_token_id", None)
    if mask_id is None:
        mask_id = getattr(adapter.tokenizer, "unk_token_id", None)
    result = check_training(torch_model, batches, lr=lr, seed=seed, mask_token_id=mask_id,
                            **options)
    result.summary["spec"] = spec
    result.summary["task"] = "token" if found == "ner" else "sequence"
    return result
