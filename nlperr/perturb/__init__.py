"""Perturbations with character-offset edit logs.

Every perturbation returns the new text and an edit log on the original text
(half-open ``[start, end)`` offsets); gold and predicted spans are carried
through the log with :func:`map_spans`.  See ``docs/suites.md``.

>>> from nlperr.perturb import perturb
>>> perturb("I don't like it.", "contraction", mode="expand").text
'I do not like it.'
"""

from .edits import Edit, apply_edits, map_position, map_span, map_spans, normalize_edits, touches
from .lexicons import Entry, available_lexicons, lexicon, lexicon_texts
from .registry import (
    Perturbation,
    PerturbResult,
    PerturbStats,
    available_perturbations,
    case_seed,
    get_perturbation,
    perturb,
    register_perturbation,
)

__all__ = [
    "Edit",
    "Entry",
    "Perturbation",
    "PerturbResult",
    "PerturbStats",
    "apply_edits",
    "available_lexicons",
    "available_perturbations",
    "case_seed",
    "get_perturbation",
    "lexicon",
    "lexicon_texts",
    "map_position",
    "map_span",
    "map_spans",
    "normalize_edits",
    "perturb",
    "register_perturbation",
    "touches",
]
