"""Training diagnostics: is the model's training, not its data, the problem?

* :mod:`~nlperr.training.layers` -- the layer table of any ``torch.nn.Module``:
  parameter, gradient, update and activation statistics per tensor, module and layer;
* :mod:`~nlperr.training.checks` -- checks before training on the user's model and
  a few real batches (initial loss, overfit one batch, gradient flow, dead units,
  update ratio, NaN/Inf, input independence, LR range test);
* :mod:`~nlperr.training.curves` -- loss-curve diagnosis from ``trainer_state.json``
  or CSV/JSON logs (divergence, plateau, overfitting, oscillation, slow start,
  early stopping);
* :mod:`~nlperr.training.callback` -- a plain-loop monitor and a ``transformers``
  callback that record the layer table every N steps and flag pathologies;
* :mod:`~nlperr.training.figures` -- the plots of these results.

torch and transformers are imported inside the functions that need them
(``pip install 'nlperr[hf]'``).  See docs/training.md.
"""

from __future__ import annotations

from typing import Any

from .batches import make_batches
from .callback import LOG_COLUMNS, TrainingLogResult, TrainingMonitor
from .checks import (
    CHECKS, STATUSES, THRESHOLDS, Check, TrainingCheckResult, check_model, check_training,
)
from .curves import FINDING_KINDS, CurveFinding, CurveResult, diagnose_curves, read_curves
from .layers import LAYER_COLUMNS, layer_of, layer_table

__all__ = ["layer_table", "layer_of", "LAYER_COLUMNS", "check_training", "Check",
           "TrainingCheckResult", "CHECKS", "STATUSES", "THRESHOLDS", "make_batches",
           "read_curves", "diagnose_curves", "CurveResult", "CurveFinding", "FINDING_KINDS",
           "TrainingMonitor", "TrainingLogResult", "DiagnosticsCallback", "LOG_COLUMNS",
           "check_model"]


def __getattr__(name: str) -> Any:
    if name == "DiagnosticsCallback":
        from . import callback

        return callback.DiagnosticsCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
