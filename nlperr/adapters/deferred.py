"""Deferred loading: a spec-named model whose weights load on the first forward pass.

``load_model(spec, lazy=True)`` returns a :class:`DeferredAdapter` when the
model's files can be found and its task read without importing the framework
(spaCy's ``config.cfg``, a Hugging Face ``config.json``).  Its cache key is made
of the content hash of those files, the task and the options, so a rerun whose
predictions are all cached never imports spaCy / torch / transformers nor loads
the weights — this is what makes a second identical ``nlperr predict`` cheap.

Anything else about the adapter (attributes such as ``nlp`` or ``model``)
loads the model on first access and is read from the loaded adapter.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..about import __version__
from ..data import Example
from ..errors import Errors, MissingDependencyError, ModelNotFoundError
from ._util import check_device_name, hash_path
from .base import TASKS, Adapter, Prediction

__all__ = ["DeferredAdapter", "defer_spec"]

_SPACY_NER = {"ner", "beam_ner", "entity_ruler", "future_entity_ruler", "span_ruler"}
_SPACY_CAT = {"textcat", "textcat_multilabel"}
_FACTORY = re.compile(r'^\s*factory\s*=\s*"([^"]+)"', re.M)


class DeferredAdapter(Adapter):
    """Stands in for the adapter of *spec* until a prediction is needed.

    Parameters
    ----------
    spec : str
        The model spec, e.g. ``"spacy:en_core_web_sm"``.
    kind : str
        The spec kind (``"spacy"``, ``"hf"``).
    files_hash : str
        Content hash of the model's files.
    task : {"ner", "classification"}
    uses_tokens : bool
        Whether the real adapter reads ``Example.tokens`` (same input keys).
    batch_size : int
    options : dict
        Options passed to the loader; part of the cache key.
    load : callable
        ``load() -> Adapter`` builds the real adapter.
    """

    def __init__(self, spec: str, *, kind: str, files_hash: str, task: str, uses_tokens: bool,
                 batch_size: int, options: dict[str, Any], load: Callable[[], Adapter]) -> None:
        self.spec = spec
        self.kind = kind  # type: ignore[misc]
        self.files_hash = files_hash
        self.task = task
        self.uses_tokens = uses_tokens
        self.batch_size = batch_size
        self.options = dict(options)
        self._load = load
        self._loaded: Adapter | None = None

    @property
    def loaded(self) -> bool:
        """Whether the real model has been loaded."""
        return self._loaded is not None

    def adapter(self) -> Adapter:
        """The real adapter (loads the model on first call)."""
        if self._loaded is None:
            self._loaded = self._load()
            self._loaded.batch_size = self.batch_size
        return self._loaded

    # -- protocol: answered without loading ------------------------------------------
    def fingerprint(self) -> str:
        # The options hold only what the user passed; the adapters' defaults are
        # implied by the nlperr version, so a release that changes a default never
        # reads entries written under the old one.
        return f"deferred:{__version__}:{self.kind}:{self.files_hash}"

    def settings(self) -> dict[str, Any]:
        return {"options": {k: v for k, v in sorted(self.options.items())
                            if k not in ("device",)}, "task": self.task}

    # -- protocol: needs the model ------------------------------------------------------
    def predict_batch(self, examples: Sequence[Example]) -> list[Prediction]:
        return self.adapter().predict_batch(examples)

    def length(self, example: Example) -> int:
        return self.adapter().length(example)

    def lengths(self, examples: Sequence[Example]) -> list[int]:
        return self.adapter().lengths(examples)

    def start_run(self) -> None:
        self.adapter().start_run()

    def finish_run(self) -> None:
        if self._loaded is not None:
            self._loaded.finish_run()

    @property
    def device(self) -> str:
        return self.adapter().device if self._loaded is not None else \
            str(self.options.get("device") or "auto")

    def __getattr__(self, name: str) -> Any:
        # only called for attributes not found on the proxy: read them from the real adapter
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.adapter(), name)

    def __repr__(self) -> str:
        state = "loaded" if self.loaded else "not loaded yet"
        return f"DeferredAdapter({self.spec!r}, task={self.task!r}, {state})"


def _require_installed(module: str, extra: str, what: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(Errors.E203.format(what=what, package=module, extra=extra))


def _spacy_folder(name: str) -> Path | None:
    path = Path(name).expanduser()
    if path.exists():
        return path
    try:
        found = importlib.util.find_spec(name) if name.isidentifier() else None
    except (ImportError, ValueError):
        found = None
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations)))


def spacy_factories(folder: Path) -> set[str]:
    """The component factories named in the pipeline's config.cfg (empty when none)."""
    configs = [folder / "config.cfg", *sorted(folder.glob("*/config.cfg"))]
    for cfg in configs:
        if cfg.is_file():
            try:
                return set(_FACTORY.findall(cfg.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                return set()
    return set()


def _spacy_task(folder: Path) -> str | None:
    factories = spacy_factories(folder)
    if factories & _SPACY_NER:
        return "ner"
    if factories & _SPACY_CAT:
        return "classification"
    return None


def defer_spec(spec: str, *, task: str | None, device: str | None, batch_size: int | None,
               options: dict[str, Any], load: Callable[[], Adapter]) -> Adapter | None:
    """A :class:`DeferredAdapter` for *spec*, or ``None`` when it cannot be deferred
    (unknown kind, remote model, task not readable): the caller then loads eagerly."""
    kind, _, rest = spec.partition(":")
    if kind in ("spacy", "hf"):
        check_device_name(device)  # a bad name fails now, even when every prediction is cached
    opts = dict(options, device=device)
    if kind == "spacy":
        _require_installed("spacy", "spacy", "The spaCy adapter")
        folder = _spacy_folder(rest)
        if folder is None:
            hint = ("If it is a package, install it (pip install the package, or python -m "
                    "spacy download NAME); if it is a folder, check the path.")
            raise ModelNotFoundError(Errors.E202.format(spec=spec, hint=hint))
        found = _spacy_task(folder)
        if found is None or (task is not None and task != found and task in TASKS):
            return None
        return DeferredAdapter(spec, kind=kind, files_hash=hash_path(folder), task=found,
                               uses_tokens=True, batch_size=batch_size or 256, options=opts,
                               load=load)
    if kind == "hf":
        _require_installed("transformers", "hf", "The Hugging Face adapter")
        _require_installed("torch", "hf", "The Hugging Face adapter")
        folder = Path(rest).expanduser()
        if not (folder / "config.json").is_file():
            return None  # a Hub id or a broken folder: the eager loader reports it
        from .hf_adapter import _task_from, has_tokenizer_files

        if not has_tokenizer_files(folder):
            return None  # the eager loader reports E220

        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        found = _task_from(config.get("architectures") or [], config.get("id2label"))
        if found is None or (task is not None and task != found):
            return None
        return DeferredAdapter(spec, kind=kind, files_hash=hash_path(folder), task=found,
                               uses_tokens=found == "ner", batch_size=batch_size or 32,
                               options=opts, load=load)
    return None
