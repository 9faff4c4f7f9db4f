"""OCR-noise diagnostics.

Without ground truth (streaming, per document and per corpus): token/type counts
and vocabulary growth, OOV rate against a lexicon, garbage-token rules (Taghva et
al. 2001; Kulp & Kontostathis 2007), character-trigram plausibility, subword
fragmentation and near-miss clusters ("tbe", "thc" -> "the").

With ground truth: CER/WER exactly as jiwer defines them, character alignment,
confusion tables with multi-character confusions, word splits/merges, real-word
errors, and a learned :class:`NoiseModel` that corrupts clean text at a target CER.

As slices: per-example / per-entity OCR-noise scores and HIPE LED, and
:func:`f1_by_noise_bucket`.  See ``docs/ocr.md``.

Importing this package does not import torch, transformers or spaCy.
"""

from __future__ import annotations

from ._align import levenshtein, opcodes
from .compare import Comparison, cer, compare, compare_pairs, error_rates, wer
from .garbage import (GarbageRule, TypeBlock, garbage_flags, garbage_rules, get_garbage_rules,
                      is_garbage, register_garbage_rule, unregister_garbage_rule)
from .noise import NoiseModel, apply_edits, get_noise_model, noise_models, register_noise_model
from .lexicon import CharTrigramModel, Lexicon
from .nearmiss import near_miss, near_miss_clusters
from .readers import (OcrPair, detect_pair_format, iter_folder_pairs, iter_pairs, iter_texts,
                      read_icdar2019, read_line_pairs)
from .slices import f1_by_noise_bucket, led, register_ocr_slices
from .stats import (CorpusStats, OcrNoiseScorer, Reference, StatsResult, corpus_stats,
                    subword_fragmentation)

__all__ = [
    "CharTrigramModel", "CorpusStats", "Lexicon", "OcrNoiseScorer", "Reference", "StatsResult",
    "corpus_stats", "f1_by_noise_bucket", "led", "near_miss", "near_miss_clusters",
    "register_ocr_slices", "subword_fragmentation",
    "Comparison", "GarbageRule", "NoiseModel", "OcrPair", "TypeBlock",
    "apply_edits", "cer", "compare", "compare_pairs", "detect_pair_format", "error_rates",
    "garbage_flags", "garbage_rules", "get_garbage_rules", "get_noise_model", "is_garbage",
    "iter_folder_pairs", "iter_pairs", "iter_texts", "levenshtein", "noise_models", "opcodes",
    "read_icdar2019", "read_line_pairs", "register_garbage_rule", "register_noise_model", "unregister_garbage_rule", "wer",
]
