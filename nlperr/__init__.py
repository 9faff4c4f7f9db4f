"""nlperr: error analysis for NLP models.

The core (data model, loaders, analyses) imports only numpy, pandas and the
standard library; adapters import spaCy / transformers / torch lazily, when a
model is loaded.

Quick start::

    import nlperr
    gold = nlperr.load("data/test.conll")
    model = nlperr.load_model("spacy:en_core_web_sm")
    pred = nlperr.predict(model, gold)
    report = nlperr.analyze_ner(gold, pred)

The full APIs live in the subpackages: ``nlperr.data``, ``nlperr.io``,
``nlperr.adapters``, ``nlperr.engine``, ``nlperr.analysis``, ``nlperr.suites``,
``nlperr.perturb`` and ``nlperr.ocr``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .about import __version__
from .data import Example, Span, Token, convert_tags, detect_scheme, spans_to_tags, tags_to_spans
from .errors import NlperrError

# Public names that live in modules importing heavier code (pandas etc.) are
# resolved lazily, so `import nlperr` stays fast.
_LAZY = {
    "load": "nlperr.io",
    "save": "nlperr.io",
    "read_conll": "nlperr.io",
    "write_conll": "nlperr.io",
    "read_hipe": "nlperr.io",
    "write_hipe": "nlperr.io",
    "read_jsonl": "nlperr.io",
    "write_jsonl": "nlperr.io",
    "read_docbin": "nlperr.io",
    "write_docbin": "nlperr.io",
    "from_hf_dataset": "nlperr.io",
    "to_hf_dataset": "nlperr.io",
    "read_csv": "nlperr.io",
    "write_csv": "nlperr.io",
    "from_dataframe": "nlperr.io",
    "to_dataframe": "nlperr.io",
    "load_model": "nlperr.adapters",
    "Adapter": "nlperr.adapters",
    "LabelMap": "nlperr.adapters",
    "predict": "nlperr.engine",
    "PredictionCache": "nlperr.engine",
    "analyze_ner": "nlperr.analysis",
    "analyze_classification": "nlperr.analysis",
    "load_suite": "nlperr.suites",
    "run_suite": "nlperr.suites",
    "compare_models": "nlperr.suites",
}

__all__ = [
    "__version__",
    "Example",
    "Span",
    "Token",
    "NlperrError",
    "convert_tags",
    "detect_scheme",
    "spans_to_tags",
    "tags_to_spans",
    *sorted(_LAZY),
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'nlperr' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # pragma: no cover
    from .adapters import Adapter, LabelMap, load_model
    from .analysis import analyze_classification, analyze_ner
    from .engine import PredictionCache, predict
    from .suites import compare_models, load_suite, run_suite
    from .io import (
        from_dataframe, from_hf_dataset, load, read_conll, read_csv, read_docbin, read_hipe,
        read_jsonl, save, to_dataframe, to_hf_dataset, write_conll, write_csv, write_docbin,
        write_hipe, write_jsonl,
    )
