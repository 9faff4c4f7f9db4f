"""Model adapters: one batched protocol over spaCy, Hugging Face and plain callables.

Load a model with :func:`load_model` and predict with :func:`nlperr.engine.predict`
(which deduplicates, batches and caches).  Importing this package does not
import spaCy, transformers or torch; they are imported when a model is loaded.

See ``docs/adapters.md``.
"""

from __future__ import annotations

from typing import Any

from .base import TASKS, Adapter, AdapterFactory, Prediction, stable_hash
from .labelmap import LabelMap, label_map_presets
from .registry import available_adapters, load_model, register_adapter

__all__ = [
    "Adapter",
    "AdapterFactory",
    "CallableAdapter",
    "HFSequenceAdapter",
    "HFTokenAdapter",
    "LabelMap",
    "Prediction",
    "SpacyAdapter",
    "TASKS",
    "available_adapters",
    "label_map_presets",
    "load_model",
    "register_adapter",
    "stable_hash",
]

_LAZY = {
    "CallableAdapter": "callable_adapter",
    "SpacyAdapter": "spacy_adapter",
    "HFTokenAdapter": "hf_adapter",
    "HFSequenceAdapter": "hf_adapter",
}


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module 'nlperr.adapters' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
