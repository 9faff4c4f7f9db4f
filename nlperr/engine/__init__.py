"""Prediction engine: deduplication, batching, progress and a persistent cache.

See ``docs/engine.md``.
"""

from __future__ import annotations

from .cache import CACHE_FILENAME, PredictionCache, default_cache_dir
from .predictor import STAT_KEYS, Predictor, predict

__all__ = ["CACHE_FILENAME", "PredictionCache", "Predictor", "STAT_KEYS", "default_cache_dir",
           "predict"]
