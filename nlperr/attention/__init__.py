"""Attention inspection for Hugging Face models.

Eager-attention capture per batch with the adapter's own tokenisation and
windows (:mod:`.capture`), per-head summaries over a corpus (:mod:`.heads`),
word-level attention maps and rollout (:mod:`.words`), error-versus-correct
contrasts per head and attention slice features (:mod:`.contrast`), figures and
a self-contained HTML page (:mod:`.figures`, :mod:`.page`).  See docs/attention.md.
"""

from __future__ import annotations

from .capture import AttentionBatch, Window, eager_attention, iter_attention
from .contrast import FEATURES, AttentionContrast, attention_contrast, attention_features
from .heads import HEAD_COLUMNS, HeadAccumulator, HeadSummary, head_summary
from .page import render_page, write_page
from .report import AttentionReport, inspect_attention
from .words import WordAttention, attention_rollout, merge_to_words, word_attention

__all__ = ["AttentionBatch", "Window", "eager_attention", "iter_attention", "HEAD_COLUMNS",
           "HeadAccumulator", "HeadSummary", "head_summary", "WordAttention", "word_attention",
           "merge_to_words", "attention_rollout", "FEATURES", "AttentionContrast",
           "attention_contrast", "attention_features", "AttentionReport", "inspect_attention",
           "write_page", "render_page"]
