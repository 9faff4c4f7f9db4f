"""Prediction engine: deduplication, batching, progress and a persistent cache.

``engine="ray"`` (:class:`RayPredictor`) runs the same work on a Ray actor pool.
See ``docs/engine.md`` and ``docs/scale.md``.
"""

from __future__ import annotations

from ._task import FORMAT_TASKS, check_task
from .cache import CACHE_FILENAME, PredictionCache, default_cache_dir
from .distributed import ENGINES, RayPredictor, make_predictor
from .predictor import STAT_KEYS, Predictor, predict

__all__ = ["CACHE_FILENAME", "ENGINES", "FORMAT_TASKS", "PredictionCache", "Predictor",
           "RayPredictor", "STAT_KEYS", "check_task", "default_cache_dir", "make_predictor",
           "predict"]
