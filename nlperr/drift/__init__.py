"""Production drift for text: is today's traffic still the data the model was tested on?

Calibrated two-sample tests between a *reference* set (what the model was tested
on) and a *current* set (production traffic), optionally per time window: text
length (KS), vocabulary (OOV rate, word distribution), character classes and OCR
garbage (:mod:`nlperr.ocr`'s rules), a TF-IDF domain classifier with an exact
held-out Mann-Whitney p-value, sentence-embedding MMD when a model is given, and
model outputs (labels, confidence, entity types, new entities) when the data has
them.  One Holm (or BH) correction over all tests and windows; explanations of
what changed (over-represented words with a Dirichlet-prior log-odds, new
entities, character classes, the most "current" texts).  See ``docs/drift.md``.

Importing this package imports neither scikit-learn, torch, transformers,
spaCy nor matplotlib; the tests need ``pip install 'nlperr[drift]'``.
"""

from __future__ import annotations

from .data import DriftData, as_drift_data
from .detect import TEST_COLUMNS, WINDOW_COLUMNS, DriftResult, detect_drift
from .explain import EXPLANATION_COLUMNS, log_odds_dirichlet
from .features import CHAR_CLASSES, char_class_counts
from .tests import ALL_TESTS, MODEL_TESTS, OUTPUT_TESTS, TEXT_TESTS, domain_classifier
from .sample import SampledSide, sample_drift_data
from .windows import parse_window, split_windows

__all__ = [
    "detect_drift", "DriftResult", "DriftData", "as_drift_data", "domain_classifier",
    "log_odds_dirichlet", "char_class_counts", "parse_window", "split_windows",
    "sample_drift_data", "SampledSide",
    "ALL_TESTS", "TEXT_TESTS", "MODEL_TESTS", "OUTPUT_TESTS", "CHAR_CLASSES",
    "TEST_COLUMNS", "WINDOW_COLUMNS", "EXPLANATION_COLUMNS",
]
