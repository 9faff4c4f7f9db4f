"""Prediction engine: deduplication, batching, progress and a persistent cache.

See ``docs/engine.md``.
"""

from __future__ import annotations

from ._task import FORMAT_TASKS, check_task
from .cache import CACHE_FILENAME, PredictionCache, default_cache_dir
from .predictor import STAT_KEYS, Predictor, predict

__all__ = ["CACHE_FILENAME", "FORMAT_TASKS", "PredictionCache", "Predictor", "STAT_KEYS",
           "check_task", "default_cache_dir", "predict"]
