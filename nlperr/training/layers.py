"""The layer table: parameter, gradient, update and activation statistics of a torch model.

One row per parameter tensor (``kind == "parameter"``), per module that owns
parameters or is an activation function (``kind == "module"``) and per *layer*
(``kind == "layer"``: a group of parameters such as ``bert.encoder.layer.3``,
see :func:`layer_of`).  :func:`layer_table` runs one forward/backward pass (and
optionally one optimizer step) on a deep copy of the model, so the caller's
model, its gradients and its hooks are never touched.

Columns of the table (NaN where a statistic does not apply):

``name``            parameter, module or layer name (``""`` is the root module)
``kind``            ``"parameter"``, ``"module"`` or ``"layer"``
``type``            module class name (``"Parameter"`` for parameter rows, ``"layer"``)
``layer``           the layer group the row belongs to
``shape``           tensor shape as text, e.g. ``"384x1536"`` (parameter rows)
``numel``           number of parameter elements (summed for modules and layers)
``requires_grad``   whether the parameter is trainable (modules/layers: any is)
``trainable_share`` share of the elements that are trainable
``has_grad``        whether every trainable parameter received a gradient
``param_norm``      L2 norm of the parameters
``param_mean``, ``param_std``  mean and standard deviation (parameter rows)
``grad_norm``       L2 norm of the gradient (NaN when no gradient)
``grad_ratio``      ``grad_norm / param_norm``
``update_ratio``    ``||p_after - p_before|| / ||p_before||`` for one optimizer step
``zero_share``      share of parameter elements that are exactly 0
``nan_count``, ``inf_count``  non-finite parameter or gradient elements
``act_mean``, ``act_std``   mean and standard deviation of the module's output
``act_dead``        activation modules: share of units (last dimension) whose input
                    lies in the flat zone of the function at *every* position
``act_saturated``   activation modules: share of input elements in the flat zone

The flat zones (:data:`FLAT_ZONES`): ReLU ``x <= 0``; GELU / SiLU / Mish
``x < -4`` (derivative below 1e-3 in magnitude); tanh ``|x| > 3``; sigmoid
``|x| > 4.6`` (derivative below 0.01).  Padding positions (``attention_mask == 0``)
are left out when the activation's first two dimensions match the mask.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..errors import Errors, InputError, ModelError

__all__ = ["layer_table", "layer_of", "parameter_stats", "ActivationRecorder", "model_loss",
           "FLAT_ZONES", "LAYER_COLUMNS", "copy_model", "snapshot_model"]

LAYER_COLUMNS = ["name", "kind", "type", "layer", "shape", "numel", "requires_grad",
                 "trainable_share", "has_grad", "param_norm", "param_mean", "param_std",
                 "grad_norm", "grad_ratio", "update_ratio", "zero_share", "nan_count",
                 "inf_count", "act_mean", "act_std", "act_dead", "act_saturated"]

#: activation family -> (description of the flat zone); see :func:`_flat_zone`.
FLAT_ZONES = {"relu": "x <= 0", "gelu": "x < -4", "silu": "x < -4", "mish": "x < -4",
              "tanh": "|x| > 3", "sigmoid": "|x| > 4.6"}
_NUMERIC = re.compile(r"^\d+$")


def layer_of(name: str) -> str:
    """The layer group of parameter *name*.

    The prefix up to the first numeric component (``bert.encoder.layer.3``),
    else the name without its last two components (``bert.embeddings``), else
    the first component (``classifier``).

    >>> layer_of("bert.encoder.layer.3.attention.self.query.weight")
    'bert.encoder.layer.3'
    >>> layer_of("bert.embeddings.word_embeddings.weight"), layer_of("classifier.bias")
    ('bert.embeddings', 'classifier')
    """
    parts = name.split(".")
    for i, p in enumerate(parts):
        if _NUMERIC.match(p):
            return ".".join(parts[:i + 1])
    if len(parts) > 2:
        return ".".join(parts[:-2])
    return parts[0]


def activation_family(module: Any) -> str | None:
    """``"relu"``, ``"gelu"``, ``"silu"``, ``"mish"``, ``"tanh"``, ``"sigmoid"`` or None,
    from the module's class name (torch's and transformers' activation modules)."""
    name = type(module).__name__.lower()
    if "leaky" in name or "prelu" in name:
        return None
    for fam in ("gelu", "silu", "swish", "mish", "relu", "tanh", "sigmoid"):
        if fam in name:
            return "silu" if fam == "swish" else fam
    return None


def _flat_zone(family: str, x: Any) -> Any:
    if family == "relu":
        return x <= 0
    if family in ("gelu", "silu", "mish"):
        return x < -4.0
    if family == "tanh":
        return x.abs() > 3.0
    return x.abs() > 4.6  # sigmoid


def copy_model(model: Any) -> Any:
    """A deep copy of *model* without the caller's hooks (so nothing the copy runs
    reaches the caller's callbacks)."""
    clone = copy.deepcopy(model)
    for m in clone.modules():
        for attr in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                     "_backward_pre_hooks", "_state_dict_hooks", "_load_state_dict_pre_hooks",
                     "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                     "_forward_pre_hooks_with_kwargs"):
            d = getattr(m, attr, None)
            if hasattr(d, "clear"):
                d.clear()
    for p in clone.parameters():
        p.grad = None
        if getattr(p, "_backward_hooks", None):
            p._backward_hooks.clear()
    return clone


def snapshot_model(model: Any) -> dict[str, Any]:
    """Plain-data fingerprint of a model's state: parameters (bytes hash), gradients,
    ``requires_grad`` flags, training mode and hook counts.  Two snapshots compare
    equal when nothing observable changed (used by the tests)."""
    import hashlib

    import torch

    out: dict[str, Any] = {"training": [m.training for m in model.modules()]}
    for name, p in model.named_parameters():
        h = hashlib.sha256(p.detach().cpu().contiguous().reshape(-1).view(torch.uint8)
                           .numpy().tobytes()).hexdigest()
        g = None if p.grad is None else hashlib.sha256(
            p.grad.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        ).hexdigest()
        out[name] = (h, g, bool(p.requires_grad))
    hooks = []
    for m in model.modules():
        hooks.append(tuple(len(getattr(m, a, {}) or {}) for a in
                           ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                            "_backward_pre_hooks")))
    out["hooks"] = hooks
    return out


def model_loss(model: Any, batch: Mapping[str, Any],
               loss_fn: Callable[[Any, Mapping[str, Any]], Any] | None = None) -> tuple[Any, Any]:
    """``(loss, output)`` of *model* on *batch*.

    With *loss_fn*: ``loss_fn(model, batch)`` returns the loss (output None).
    Otherwise the model is called as ``model(**batch)`` and must return an
    object with a ``loss`` (Hugging Face models do when the batch has ``labels``).
    """
    if loss_fn is not None:
        return loss_fn(model, batch), None
    out = model(**batch)
    loss = getattr(out, "loss", None)
    if loss is None and isinstance(out, Mapping):
        loss = out.get("loss")
    if loss is None:
        raise ModelError(Errors.E901.format(model=type(model).__name__, keys=sorted(batch)))
    return loss, out


class ActivationRecorder:
    """Forward hooks that record output statistics of modules (activation modules and
    modules owning parameters).  Use as a context manager: hooks are removed on exit,
    also after an exception.

    ``stats``: module name -> dict with ``act_mean``, ``act_std`` and, for activation
    modules, ``act_dead`` and ``act_saturated`` (see the module docstring), averaged
    over the forward passes seen.
    """

    def __init__(self, model: Any, *, modules: str = "all") -> None:
        self.model = model
        self.modules = modules
        self.mask: Any = None
        self._handles: list[Any] = []
        self._acc: dict[str, dict[str, list[float]]] = {}
        self._dead_any: dict[str, Any] = {}

    def __enter__(self) -> "ActivationRecorder":
        for name, mod in self.model.named_modules():
            fam = activation_family(mod)
            owns = any(True for _ in mod.parameters(recurse=False))
            if fam is None and not (owns and self.modules == "all"):
                continue
            self._handles.append(mod.register_forward_hook(self._hook(name, fam)))
        return self

    def __exit__(self, *exc: Any) -> None:
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def _select(self, t: Any) -> Any:
        m = self.mask
        if m is not None and t.dim() >= 3 and tuple(t.shape[:2]) == tuple(m.shape):
            return t[m.bool()]
        return t.reshape(-1, t.shape[-1]) if t.dim() >= 2 else t.reshape(-1, 1)

    def _hook(self, name: str, family: str | None) -> Callable[..., None]:
        import torch

        def hook(module: Any, inputs: Any, output: Any) -> None:
            out = output[0] if isinstance(output, (tuple, list)) else output
            if not isinstance(out, torch.Tensor) or not out.is_floating_point():
                return
            with torch.no_grad():
                o = self._select(out.detach()).float()
                acc = self._acc.setdefault(name, {})
                acc.setdefault("act_mean", []).append(float(o.mean()))
                acc.setdefault("act_std", []).append(float(o.std()) if o.numel() > 1 else 0.0)
                if family is not None and inputs and isinstance(inputs[0], torch.Tensor):
                    x = self._select(inputs[0].detach()).float()
                    flat = _flat_zone(family, x)
                    acc.setdefault("act_saturated", []).append(float(flat.float().mean()))
                    live = (~flat).any(dim=0)
                    prev = self._dead_any.get(name)
                    self._dead_any[name] = live if prev is None or prev.shape != live.shape \
                        else (prev | live)
        return hook

    @property
    def stats(self) -> dict[str, dict[str, float]]:
        out = {}
        for name, acc in self._acc.items():
            row = {k: sum(v) / len(v) for k, v in acc.items()}
            live = self._dead_any.get(name)
            if live is not None:
                row["act_dead"] = float((~live).float().mean())
            out[name] = row
        return out


def parameter_stats(model: Any, *, before: Mapping[str, Any] | None = None,
                    names: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """One dict per parameter tensor of *model* (columns of :data:`LAYER_COLUMNS` that
    apply to parameters).  *before*: name -> tensor before an optimizer step; the
    parameter statistics then describe those tensors and ``update_ratio`` compares
    them with the model's current ones.  All reductions of a tensor are stacked and
    read back once."""
    import torch

    wanted = set(names) if names is not None else None
    rows = []
    with torch.no_grad():
        for name, p in model.named_parameters():
            if wanted is not None and name not in wanted:
                continue
            stepped = before is not None and name in before
            # the statistics describe the parameters before the optimizer step
            d = before[name] if stepped else p.detach()
            df = d.float()
            vals = [torch.linalg.vector_norm(df), df.mean(), df.std() if d.numel() > 1
                    else torch.zeros((), device=d.device), (d == 0).float().mean(),
                    torch.isnan(d).sum().float(), torch.isinf(d).sum().float()]
            g = p.grad
            if g is not None:
                gf = g.detach().float()
                vals += [torch.linalg.vector_norm(gf), torch.isnan(gf).sum().float(),
                         torch.isinf(gf).sum().float()]
            if stepped:
                vals.append(torch.linalg.vector_norm(p.detach().float() - df))
                vals.append(torch.linalg.vector_norm(df))
            v = torch.stack([x.reshape(()) for x in vals]).cpu().tolist()
            norm, mean, std, zeros, pnan, pinf = v[:6]
            row = {"name": name, "kind": "parameter", "type": "Parameter",
                   "layer": layer_of(name), "shape": "x".join(str(s) for s in d.shape) or "scalar",
                   "numel": int(d.numel()), "requires_grad": bool(p.requires_grad),
                   "trainable_share": 1.0 if p.requires_grad else 0.0,
                   "has_grad": g is not None if p.requires_grad else True,
                   "param_norm": norm, "param_mean": mean, "param_std": std,
                   "zero_share": zeros, "nan_count": int(pnan), "inf_count": int(pinf),
                   "grad_norm": math.nan, "grad_ratio": math.nan, "update_ratio": math.nan}
            k = 6
            if g is not None:
                row["grad_norm"] = v[k]
                row["grad_ratio"] = v[k] / norm if norm > 0 else math.nan
                row["nan_count"] += int(v[k + 1])
                row["inf_count"] += int(v[k + 2])
                k += 3
            if stepped:
                row["update_ratio"] = v[k] / v[k + 1] if v[k + 1] > 0 else math.nan
            rows.append(row)
    return rows


def _aggregate(rows: list[dict[str, Any]], name: str, kind: str, type_: str,
               layer: str) -> dict[str, Any]:
    numel = sum(r["numel"] for r in rows)
    trainable = sum(r["numel"] for r in rows if r["requires_grad"])
    pn = math.sqrt(sum(r["param_norm"] ** 2 for r in rows if math.isfinite(r["param_norm"])))
    with_g = [r for r in rows if math.isfinite(r["grad_norm"])]
    gn = math.sqrt(sum(r["grad_norm"] ** 2 for r in with_g)) if with_g else math.nan
    with_u = [r for r in rows if math.isfinite(r["update_ratio"])]
    if with_u:
        un = math.sqrt(sum((r["update_ratio"] * r["param_norm"]) ** 2 for r in with_u))
        base = math.sqrt(sum(r["param_norm"] ** 2 for r in with_u))
        ur = un / base if base > 0 else math.nan
    else:
        ur = math.nan
    return {"name": name, "kind": kind, "type": type_, "layer": layer, "shape": "",
            "numel": numel, "requires_grad": trainable > 0,
            "trainable_share": trainable / numel if numel else math.nan,
            "has_grad": all(r["has_grad"] for r in rows),
            "param_norm": pn, "param_mean": math.nan, "param_std": math.nan,
            "grad_norm": gn, "grad_ratio": gn / pn if pn > 0 and with_g else math.nan,
            "update_ratio": ur,
            "zero_share": (sum(r["zero_share"] * r["numel"] for r in rows) / numel
                           if numel else math.nan),
            "nan_count": sum(r["nan_count"] for r in rows),
            "inf_count": sum(r["inf_count"] for r in rows)}


def build_table(param_rows: list[dict[str, Any]], model: Any | None = None,
                activations: Mapping[str, Mapping[str, float]] | None = None) -> Any:
    """The layer table (a DataFrame with :data:`LAYER_COLUMNS`) from parameter rows,
    the model's module tree (for module rows) and recorded activation statistics."""
    import pandas as pd

    rows = [dict(r) for r in param_rows]
    by_name = {r["name"]: r for r in param_rows}
    activations = activations or {}
    if model is not None:
        for mname, mod in model.named_modules():
            own = [by_name[f"{mname}.{pn}" if mname else pn]
                   for pn, _ in mod.named_parameters(recurse=False)
                   if (f"{mname}.{pn}" if mname else pn) in by_name]
            fam = activation_family(mod)
            if not own and fam is None:
                continue
            layer = layer_of(own[0]["name"]) if own else layer_of(mname + ".x")
            if own:
                row = _aggregate(own, mname, "module", type(mod).__name__, layer)
            else:
                row = {"name": mname, "kind": "module", "type": type(mod).__name__,
                       "layer": layer, "numel": 0}
            row.update(activations.get(mname, {}))
            rows.append(row)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in param_rows:
        groups.setdefault(r["layer"], []).append(r)
    for layer, members in groups.items():
        row = _aggregate(members, layer, "layer", "layer", layer)
        dead = [activations[m]["act_dead"] for m in activations
                if "act_dead" in activations[m] and (m == layer or m.startswith(layer + "."))]
        if dead:
            row["act_dead"] = max(dead)
        rows.append(row)
    df = pd.DataFrame(rows)
    for c in LAYER_COLUMNS:
        if c not in df.columns:
            df[c] = math.nan
    df = df[LAYER_COLUMNS]
    for c in ("name", "kind", "type", "layer", "shape"):
        df[c] = df[c].fillna("").astype(str)
    for c in ("requires_grad", "has_grad"):
        df[c] = df[c].fillna(False).astype(bool)
    for c in ("numel", "nan_count", "inf_count"):
        df[c] = df[c].fillna(0).astype("int64")
    return df


def _model_inputs(batch: Mapping[str, Any]) -> tuple[dict[str, Any], Any]:
    inputs = {k: v for k, v in batch.items() if k != "special_tokens_mask"}
    return inputs, inputs.get("attention_mask")


def layer_table(model: Any, batch: Mapping[str, Any], *, lr: float | None = 1e-3,
                loss_fn: Callable[[Any, Mapping[str, Any]], Any] | None = None,
                activations: bool = True, train_mode: bool = False) -> Any:
    """The layer table of *model* on one *batch* (a deep copy does the work).

    Parameters
    ----------
    model : torch.nn.Module
        Never modified: parameters, gradients, modes and hooks stay as they are.
    batch : mapping of str -> tensor
        Keyword arguments of the forward pass, with ``labels`` (or see *loss_fn*).
    lr : float or None, default 1e-3
        Learning rate of one AdamW step whose relative size gives
        ``update_ratio``; None skips the step.
    loss_fn : callable, optional
        ``loss_fn(model, batch) -> loss`` for models that do not return ``.loss``.
    activations : bool, default True
        Record activation statistics with forward hooks.
    train_mode : bool, default False
        Run the copy in training mode (dropout on); the default is eval mode so
        that the numbers are deterministic.

    Returns
    -------
    pandas.DataFrame with :data:`LAYER_COLUMNS` (see the module docstring).
    """
    require_torch()
    clone = copy_model(model)
    clone.train(train_mode)
    _, before, acts = backward_probe(clone, [batch], loss_fn=loss_fn,
                                     activations=activations, lr=lr)
    return build_table(parameter_stats(clone, before=before), clone, acts)


def backward_probe(clone: Any, batches: Iterable[Mapping[str, Any]], *,
                   loss_fn: Callable[..., Any] | None = None, activations: bool = True,
                   lr: float | None = None) -> tuple[float, dict[str, Any] | None,
                                                     dict[str, dict[str, float]]]:
    """Forward/backward passes over *batches* on *clone* (which it modifies): the
    gradients are summed with each loss divided by the number of batches, activation
    statistics are recorded, then one AdamW step is taken when *lr* is given.

    Returns ``(mean loss, parameters before the step or None, activation stats)``;
    afterwards ``clone``'s parameters hold the stepped values and ``.grad`` the
    gradients of the passes.  ``special_tokens_mask`` entries are not passed to the
    model; ``attention_mask`` restricts the activation statistics to real tokens.
    """
    import torch

    batches = list(batches)
    clone.zero_grad(set_to_none=True)
    total = 0.0
    rec = ActivationRecorder(clone) if activations else None
    if rec is not None:
        rec.__enter__()
    try:
        for b in batches:
            inputs, mask = _model_inputs(b)
            if rec is not None:
                rec.mask = mask
            loss, _ = model_loss(clone, inputs, loss_fn)
            total += float(loss.detach())
            if loss.requires_grad:
                (loss / len(batches)).backward()
    finally:
        if rec is not None:
            rec.__exit__(None, None, None)
    acts = rec.stats if rec is not None else {}
    before = None
    if lr is not None:
        trainable = [(n, p) for n, p in clone.named_parameters() if p.requires_grad]
        before = {n: p.detach().clone() for n, p in trainable}
        if trainable:
            grads = {n: None if p.grad is None else p.grad.detach().clone() for n, p in trainable}
            torch.optim.AdamW([p for _, p in trainable], lr=lr, weight_decay=0.0).step()
            for n, p in trainable:  # the table reports the gradients of the passes
                p.grad = grads[n]
    return total / max(1, len(batches)), before, acts


def require_torch() -> Any:
    from ..adapters._util import require

    return require("torch", extra="hf", what="nlperr.training")


def check_batches(batches: Any) -> list[dict[str, Any]]:
    """*batches* as a list of dicts (E900 unless a non-empty sequence of mappings)."""
    if isinstance(batches, Mapping):
        batches = [batches]
    try:
        out = [dict(b) for b in batches]
    except (TypeError, ValueError) as e:
        raise InputError(Errors.E900.format(got=type(batches).__name__)) from e
    if not out:
        raise InputError(Errors.E900.format(got="an empty sequence"))
    return out

