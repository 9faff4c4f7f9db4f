"""Data quality: checks of the data itself, before (or beside) any model's errors.

Annotation consistency (:mod:`~nlperr.quality.consistency`), likely label errors
from out-of-sample predictions (:mod:`~nlperr.quality.label_issues`: confident
learning, own implementation), leakage between splits (:mod:`~nlperr.quality.leakage`:
exact and MinHash/LSH near-duplicates, seen / unseen entities), split mismatch
(:mod:`~nlperr.quality.splits`) and spurious cue words (:mod:`~nlperr.quality.cues`);
:func:`check_data` runs them all (:mod:`~nlperr.quality.check`).  ``nlperr.data``
stays the data model; this room only reads examples.  See ``docs/quality.md``.
"""

from .check import (DataQualityResult, LabelIssuesResult, check_data, check_data_stream,
                    find_label_issues)
from .consistency import (LabelGroups, MentionIndex, MentionScan, TagIndex, TagScan,
                          inconsistent_labels, inconsistent_mentions, inconsistent_tags)
from .cues import CueCounts, cue_words
from .label_issues import label_issues
from .leakage import (ShingleStore, TextIndex, entity_overlap, exact_duplicates, jaccard,
                      lsh_bands, near_duplicates, near_pairs, shingles)
from .splits import SplitCounts, split_mismatch

__all__ = [
    "DataQualityResult", "LabelIssuesResult", "check_data", "cue_words", "entity_overlap",
    "exact_duplicates", "find_label_issues", "inconsistent_labels", "inconsistent_mentions",
    "inconsistent_tags", "jaccard", "label_issues", "lsh_bands", "near_duplicates", "shingles",
    "split_mismatch", "SplitCounts", "TextIndex", "CueCounts", "MentionIndex", "MentionScan",
    "TagIndex", "TagScan", "LabelGroups", "check_data_stream", "ShingleStore", "near_pairs",
]
