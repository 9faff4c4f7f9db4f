"""Diagnostics during training: a plain-loop helper and a ``transformers`` callback.

:class:`TrainingMonitor` records, every ``every`` optimizer steps, one row per
layer (see :func:`nlperr.training.layers.layer_of`) with the parameter norm,
the gradient norm, their ratio and the relative size of the update of that
step, and the training loss of every step.  It flags pathologies as they
appear (each kind once, as a :class:`~nlperr.results.Finding` and a W900
warning):

``nan_inf``             a non-finite loss or gradient (critical);
``exploding_gradients`` the total gradient norm above ``explode_factor`` (10) x the
                        median of the previous records (critical);
``no_gradient``         a layer with a parameter tensor whose gradient is exactly zero
                        (warning);
``large_updates``       the median layer update/weight ratio above 1e-2 (warning);
``divergence``          the mean loss since the previous record above
                        ``divergence_factor`` (1.5) x the lowest such mean (critical).

Plain loop::

    monitor = TrainingMonitor(model, every=50)
    for step, batch in enumerate(loader, 1):
        loss = model(**batch).loss
        loss.backward()
        monitor.before_step(step, loss)   # gradients are there: record them
        optimizer.step()
        monitor.after_step()              # parameters moved: record the update
        optimizer.zero_grad()
    result = monitor.result()             # a TrainingLogResult

With the Hugging Face ``Trainer``: ``trainer.add_callback(DiagnosticsCallback(every=50))``
(``DiagnosticsCallback`` subclasses ``transformers.TrainerCallback``; transformers is
imported when the name is first used), then ``callback.result()``.  The Trainer
hands the gradients over after clipping (``max_grad_norm``).

Cost: a record reads one norm per parameter tensor and copies the trainable
parameters once (for the update); between records only the loss tensor is kept.
``benchmarks/bench_training_callback.py`` measures the overhead against the
same loop without the monitor.
"""

from __future__ import annotations

import math
import statistics
from typing import Any, ClassVar

from ..errors import Errors, InputError, Warnings, warn
from ..results import Finding, Result
from .layers import layer_of

__all__ = ["TrainingMonitor", "TrainingLogResult", "DiagnosticsCallback", "LOG_COLUMNS",
           "MONITOR_FLAGS"]

LOG_COLUMNS = ["step", "layer", "param_norm", "grad_norm", "grad_ratio", "update_ratio",
               "nonfinite", "zero_grad"]
MONITOR_FLAGS = ("nan_inf", "exploding_gradients", "no_gradient", "large_updates",
                 "divergence")


class TrainingLogResult(Result):
    """What :class:`TrainingMonitor` recorded.

    ``summary``: ``every``, ``steps`` (last step seen), ``records`` (recorded steps),
    ``flags`` (list of ``{kind, step, severity, detail}``), ``status``.
    ``tables``: ``layers_log`` (:data:`LOG_COLUMNS`: one row per recorded step and
    layer; ``nonfinite`` and ``zero_grad`` count the layer's parameter tensors with a
    non-finite or an exactly zero gradient) and
    ``losses`` (``step, loss``).
    """

    kind: ClassVar[str] = "training_log"
    title: ClassVar[str] = "Training log"
    figure_specs: ClassVar[dict[str, str]] = {
        "gradient_norms": "nlperr.training.figures:gradient_norms",
        "loss_curve": "nlperr.training.figures:logged_losses"}

    def curves(self) -> Any:
        """The logged losses as curves for :func:`~nlperr.training.diagnose_curves`."""
        df = self.tables["losses"].copy()
        df["split"] = "train"
        return df[["step", "split", "loss"]]


class TrainingMonitor:
    """Record layer statistics every *every* steps of a training loop (see the module
    docstring).  Never changes the model; the recorded tensors are detached copies.

    Parameters
    ----------
    model : torch.nn.Module
    every : int, default 50
        Record the layer table every this many optimizer steps (and at step 1).
    explode_factor, divergence_factor : float
        Thresholds of the ``exploding_gradients`` and ``divergence`` flags.
    warn : bool, default True
        Emit a W900 warning when a flag is raised (each kind once).
    """

    def __init__(self, model: Any, *, every: int = 50, explode_factor: float = 10.0,
                 divergence_factor: float = 1.5, warn: bool = True) -> None:
        if not isinstance(every, int) or every < 1:
            raise InputError(Errors.E908.format(name="every", expected="an integer >= 1",
                                                value=every))
        self.model = model
        self.every = every
        self.explode_factor = float(explode_factor)
        self.divergence_factor = float(divergence_factor)
        self.warn = warn
        self.rows: list[dict[str, Any]] = []
        self.losses: list[tuple[int, Any]] = []
        self.flags: list[dict[str, Any]] = []
        self._pending: tuple[int, dict[str, Any], dict[str, list[tuple[str, Any]]]] | None = None
        self._total_norms: list[float] = []
        self._interval_means: list[float] = []
        self._last_loss_index = 0
        self._step = 0
        self._groups: dict[str, list[tuple[str, Any]]] | None = None

    # -- the loop API ---------------------------------------------------------------------
    def due(self, step: int) -> bool:
        """Whether *step* is a recording step (step 1 and every *every*-th step)."""
        return step == 1 or step % self.every == 0

    def log_loss(self, step: int, loss: Any) -> None:
        """Keep the loss of *step* (a float or a tensor; tensors are read at the next
        record, so logging costs no device synchronisation)."""
        if loss is None:
            return
        if hasattr(loss, "detach"):
            loss = loss.detach()
        self.losses.append((int(step), loss))

    def before_step(self, step: int, loss: Any = None) -> None:
        """Call after ``loss.backward()`` and before ``optimizer.step()``."""
        self._step = int(step)
        self.log_loss(step, loss)
        if not self.due(step):
            return
        import torch

        groups = self._layer_groups()
        stats: dict[str, Any] = {}
        before: dict[str, list[tuple[str, Any]]] = {}
        with torch.no_grad():
            for layer, params in groups.items():
                pn = torch.linalg.vector_norm(torch.stack(
                    [torch.linalg.vector_norm(p.detach().float()) for _, p in params]))
                grads = [p.grad for _, p in params if p.grad is not None]
                if grads:
                    norms = torch.stack([torch.linalg.vector_norm(g.detach().float())
                                         for g in grads])
                    gn = torch.linalg.vector_norm(norms)
                    bad = (~torch.isfinite(norms)).sum()
                    zero = (norms == 0).sum()
                else:
                    gn = bad = zero = None
                stats[layer] = (pn, gn, bad, zero, any(p.requires_grad for _, p in params))
                before[layer] = [(n, p.detach().clone()) for n, p in params if p.requires_grad]
        self._pending = (int(step), stats, before)

    def after_step(self) -> None:
        """Call after ``optimizer.step()`` (and before ``zero_grad``)."""
        if self._pending is None:
            return
        import torch

        step, stats, before = self._pending
        self._pending = None
        params = dict(self.model.named_parameters())
        new_rows = []
        with torch.no_grad():
            for layer, (pn, gn, bad, zero, trainable) in stats.items():
                olds = before.get(layer, [])
                if olds:
                    un = torch.linalg.vector_norm(torch.stack(
                        [torch.linalg.vector_norm(params[n].detach().float() - old.float())
                         for n, old in olds]))
                    on = torch.linalg.vector_norm(torch.stack(
                        [torch.linalg.vector_norm(old.float()) for _, old in olds]))
                else:
                    un = on = None
                vals = [pn, gn, bad, zero, un, on]
                new_rows.append((layer, vals, trainable))
        # one read-back per record
        flat = [v for _, vals, _t in new_rows for v in vals if v is not None]
        host = torch.stack([v.float().reshape(()) for v in flat]).cpu().tolist() if flat else []
        it = iter(host)
        records = []
        for layer, vals, trainable in new_rows:
            pn, gn, bad, zero, un, on = (None if v is None else next(it) for v in vals)
            records.append({
                "step": step, "layer": layer, "param_norm": pn,
                "grad_norm": math.nan if gn is None else gn,
                "grad_ratio": (gn / pn) if gn is not None and pn else math.nan,
                "update_ratio": (un / on) if un is not None and on else math.nan,
                "nonfinite": int(bad or 0), "zero_grad": int(zero or 0),
                "_trainable": trainable})
        self._inspect(step, records)
        for r in records:
            r.pop("_trainable")
        self.rows.extend(records)

    def record(self, step: int, loss: Any = None) -> None:
        """Record the gradients (without the update) at *step*: for loops that cannot
        call :meth:`after_step`."""
        self.before_step(step, loss)
        if self._pending is not None:
            pending = self._pending
            self._pending = (pending[0], pending[1], {})
            self.after_step()

    # -- flags ----------------------------------------------------------------------------
    def _flag(self, kind: str, step: int, severity: str, detail: str) -> None:
        if any(f["kind"] == kind for f in self.flags):
            return
        self.flags.append({"kind": kind, "step": step, "severity": severity, "detail": detail})
        if self.warn:
            warn(Warnings.W900.format(step=step, message=f"{kind}: {detail}"), stacklevel=4)

    def _inspect(self, step: int, records: list[dict[str, Any]]) -> None:
        losses = self._read_losses()
        new = [v for _, v in losses[self._last_loss_index:]]
        self._last_loss_index = len(losses)
        if any(not math.isfinite(v) for v in new) or any(r["nonfinite"] for r in records):
            self._flag("nan_inf", step, "critical", "a non-finite loss or gradient; lower the "
                       "learning rate, clip gradients, check for log(0) or fp16 overflow")
        total = math.sqrt(sum(r["grad_norm"] ** 2 for r in records
                              if math.isfinite(r["grad_norm"])))
        if self._total_norms and total > self.explode_factor * statistics.median(
                self._total_norms):
            self._flag("exploding_gradients", step, "critical",
                       f"gradient norm {total:.3g} is {total / statistics.median(self._total_norms):.3g}x "
                       f"the median of the previous records; clip gradients or lower the "
                       f"learning rate")
        if math.isfinite(total):
            self._total_norms.append(total)
        dead = [r["layer"] for r in records if r["_trainable"] and r["zero_grad"]]
        if dead:
            self._flag("no_gradient", step, "warning",
                       f"no gradient reaches {', '.join(dead[:3])}: a zeroed or disconnected layer")
        ratios = [r["update_ratio"] for r in records if math.isfinite(r["update_ratio"])]
        if ratios and statistics.median(ratios) > 1e-2:
            self._flag("large_updates", step, "warning",
                       f"median update/weight ratio {statistics.median(ratios):.3g} (about 1e-3 is "
                       f"healthy); lower the learning rate")
        fin = [v for v in new if math.isfinite(v)]
        if fin:
            mean = sum(fin) / len(fin)
            if self._interval_means and mean > self.divergence_factor * min(self._interval_means):
                self._flag("divergence", step, "critical",
                           f"mean loss {mean:.4g} since the previous record is "
                           f"{mean / min(self._interval_means):.3g}x the lowest so far")
            self._interval_means.append(mean)

    def _read_losses(self) -> list[tuple[int, float]]:
        tensors = [(i, v) for i, (_, v) in enumerate(self.losses) if not isinstance(v, float)]
        if tensors:
            import torch

            vals = torch.stack([v.float().reshape(()) for _, v in tensors]).cpu().tolist()
            for (i, _), v in zip(tensors, vals):
                self.losses[i] = (self.losses[i][0], float(v))
        return [(s, float(v)) for s, v in self.losses]

    def _layer_groups(self) -> dict[str, list[tuple[str, Any]]]:
        if self._groups is None:
            groups: dict[str, list[tuple[str, Any]]] = {}
            for name, p in self.model.named_parameters():
                groups.setdefault(layer_of(name), []).append((name, p))
            self._groups = groups
        return self._groups

    # -- output ---------------------------------------------------------------------------
    def result(self) -> TrainingLogResult:
        import pandas as pd

        losses = self._read_losses()
        log = pd.DataFrame(self.rows, columns=LOG_COLUMNS)
        loss_df = pd.DataFrame(losses, columns=["step", "loss"])
        sev = [f["severity"] for f in self.flags]
        summary = {"every": self.every, "steps": self._step,
                   "records": int(log["step"].nunique()) if len(log) else 0,
                   "flags": list(self.flags),
                   "status": "critical" if "critical" in sev else "warning" if sev else "ok"}
        findings = [Finding(f"step {f['step']}: {f['kind']}: {f['detail']}", metric=f["kind"],
                            value=float(f["step"]), severity=f["severity"]) for f in self.flags]
        return TrainingLogResult(summary=summary, tables={"layers_log": log, "losses": loss_df},
                                 findings=findings)


# --- the transformers callback (built when first used) -------------------------------------

def _make_callback_class() -> type:
    from ..adapters._util import require

    transformers = require("transformers", extra="hf", what="DiagnosticsCallback")

    class DiagnosticsCallback(transformers.TrainerCallback):
        """A ``transformers.TrainerCallback`` running a :class:`TrainingMonitor`.

        ``DiagnosticsCallback(every=50, **monitor_options)``; after training,
        ``callback.result()`` gives the :class:`TrainingLogResult`.  The loss comes
        from the Trainer's logs (every ``logging_steps``).
        """

        def __init__(self, every: int = 50, **options: Any) -> None:
            self.every = every
            self.options = options
            self.monitor: TrainingMonitor | None = None

        def _monitor(self, model: Any) -> TrainingMonitor:
            if self.monitor is None:
                self.monitor = TrainingMonitor(model, every=self.every, **self.options)
            return self.monitor

        def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                           **kwargs: Any) -> None:
            if model is not None:
                self._monitor(model)

        def on_pre_optimizer_step(self, args: Any, state: Any, control: Any,
                                  model: Any = None, **kwargs: Any) -> None:
            if model is not None:
                self._monitor(model).before_step(state.global_step + 1)

        def on_optimizer_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            if self.monitor is not None:
                self.monitor.after_step()

        def on_log(self, args: Any, state: Any, control: Any, logs: Any = None,
                   **kwargs: Any) -> None:
            if self.monitor is not None and logs and "loss" in logs:
                self.monitor.log_loss(state.global_step, float(logs["loss"]))

        def result(self) -> TrainingLogResult:
            if self.monitor is None:
                raise InputError(Errors.E909.format())
            return self.monitor.result()

    DiagnosticsCallback.__module__ = __name__
    return DiagnosticsCallback


_CALLBACK: type | None = None


def __getattr__(name: str) -> Any:
    global _CALLBACK
    if name == "DiagnosticsCallback":
        if _CALLBACK is None:
            _CALLBACK = _make_callback_class()
        return _CALLBACK
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
