"""Data quality: checks of the data itself, before (or beside) any model's errors.

Annotation consistency, likely label errors from out-of-sample predictions
(confident learning, own implementation), leakage between splits (exact and
MinHash/LSH near-duplicates, seen / unseen entities), split mismatch and
spurious cue words.  ``nlperr.data`` stays the data model; this room only reads
examples.  See ``docs/quality.md``.
"""

from .leakage import entity_overlap, exact_duplicates, jaccard, lsh_bands, near_duplicates, shingles

__all__ = ["entity_overlap", "exact_duplicates", "jaccard", "lsh_bands", "near_duplicates",
           "shingles"]
