"""Prediction-level error analysis for NER and text classification.

Every function takes ``(gold, pred, *, options)`` -- aligned lists of
:class:`~nlperr.data.Example` (same examples, same order; predictions carry
``spans`` with optional ``score``, or ``label`` / ``probs``) -- and returns
DataFrames with documented columns or dicts with stable keys.  Nothing here
prints.  See ``docs/analysis.md``.

NER: :func:`entity_errors`, :func:`error_counts`, :func:`match_spans`,
:func:`ner_scores` (= seqeval), :func:`semeval_scores` (= nervaluate),
:func:`entity_confusion`, :func:`confused_pairs`, :func:`label_group_analysis`,
:func:`compare_ner`, :func:`ner_cases`, :func:`analyze_ner`.

Classification: :func:`classification_scores` (= scikit-learn),
:func:`classification_confusion`, :func:`calibration_table`,
:func:`expected_calibration_error`, :func:`example_outcomes`,
:func:`compare_classification`, :func:`classification_cases`,
:func:`analyze_classification`.

Mergeable partial counts (sharded corpora): :class:`NerCounts`, :class:`ClassCounts`,
:class:`CalibrationCounts`, :class:`SliceCounts`; flat-memory runs over streams:
:func:`analyze_ner_stream`, :func:`analyze_classification_stream`.

Slices: :func:`register_slice`, :func:`slice_attributes`, :func:`slice_table`,
:func:`worst_slices`, :func:`span_meta`.
"""

from ._stats import benjamini_hochberg, mcnemar_test
from .cases import classification_cases, ner_cases
from .classification import (calibration_table, classification_confusion,
                             classification_scores, example_outcomes,
                             expected_calibration_error)
from .compare import ComparisonResult, compare_classification, compare_ner
from .confusion import (EMPTY, LabelGroupResult, confused_pairs, entity_confusion,
                        label_group_analysis, log_odds_dirichlet)
from .labelsets import label_set_mismatch
from .matching import BOUNDARY_KINDS, CATEGORIES, entity_errors, error_counts, match_spans
from .metrics import SEMEVAL_SCHEMAS, ner_scores, semeval_scores
from .partial import CalibrationCounts, ClassCounts, NerCounts, SliceCounts
from .report import (Report, analyze_classification, analyze_classification_stream,
                     analyze_ner, analyze_ner_stream)
from .slices import (NA, SliceContext, TrainStats, register_slice, slice_attributes,
                     slice_table, span_meta, train_stats, unregister_slice, worst_slices)

__all__ = [
    "BOUNDARY_KINDS", "CATEGORIES", "EMPTY", "NA", "SEMEVAL_SCHEMAS",
    "CalibrationCounts", "ClassCounts", "ComparisonResult", "LabelGroupResult", "NerCounts",
    "SliceCounts", "Report", "SliceContext", "TrainStats",
    "analyze_classification", "analyze_classification_stream", "analyze_ner",
    "analyze_ner_stream", "benjamini_hochberg",
    "calibration_table",
    "classification_cases", "classification_confusion", "classification_scores",
    "compare_classification", "compare_ner", "confused_pairs", "entity_confusion",
    "entity_errors", "error_counts", "example_outcomes", "expected_calibration_error",
    "label_group_analysis", "label_set_mismatch", "log_odds_dirichlet", "match_spans", "mcnemar_test", "ner_cases",
    "ner_scores", "register_slice", "semeval_scores", "slice_attributes", "slice_table",
    "span_meta", "train_stats", "unregister_slice", "worst_slices",
]
