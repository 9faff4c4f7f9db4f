"""Pin nlperr.training's public names and its light import."""

from __future__ import annotations

import subprocess
import sys

import nlperr.training as training

EXPECTED = {
    "layer_table", "layer_of", "LAYER_COLUMNS", "check_training", "check_model", "Check",
    "TrainingCheckResult", "CHECKS", "STATUSES", "THRESHOLDS", "make_batches", "read_curves",
    "diagnose_curves", "CurveResult", "CurveFinding", "FINDING_KINDS", "TrainingMonitor",
    "TrainingLogResult", "DiagnosticsCallback", "LOG_COLUMNS",
}


def test_public_names_are_pinned():
    assert set(training.__all__) == EXPECTED


def test_import_loads_no_framework():
    code = ("import sys, nlperr.training, nlperr.cli.train, nlperr.training.figures; "
            "print(','.join(m for m in ('torch', 'transformers', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_result_kinds_are_registered():
    from nlperr.results import result_class

    assert result_class("training_checks") is training.TrainingCheckResult
    assert result_class("training_curves") is training.CurveResult
    assert result_class("training_log") is training.TrainingLogResult
