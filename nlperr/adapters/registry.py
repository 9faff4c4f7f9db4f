"""Loading models from specs (``spacy:...``, ``hf:...``, ``callable:...``) or objects."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..errors import Errors, InputError
from ._util import check_batch_size, check_choice
from .base import Adapter, AdapterFactory
from .labelmap import UNMAPPED, LabelMap

__all__ = ["load_model", "register_adapter", "available_adapters"]

_REGISTRY: dict[str, AdapterFactory] = {}


def register_adapter(kind: str, factory: AdapterFactory, *, overwrite: bool = False) -> None:
    """Register *factory* for specs ``"KIND:REST"``.

    *factory* is called as ``factory(rest, task=..., device=..., batch_size=...,
    **options)`` and must return an :class:`~nlperr.adapters.Adapter`.

    Examples
    --------
    >>> from nlperr.adapters import register_adapter, load_model
    >>> from nlperr.adapters.callable_adapter import CallableAdapter
    >>> def upper_factory(rest, **kw):
    ...     return CallableAdapter(lambda texts: [rest for _ in texts],
    ...                            task="classification", fingerprint=rest)
    >>> register_adapter("const", upper_factory, overwrite=True)
    >>> load_model("const:POS").predict_batch  # doctest: +ELLIPSIS
    <bound method CallableAdapter.predict_batch of ...>
    """
    if not isinstance(kind, str) or not kind.isidentifier():
        raise InputError(Errors.E207.format(value=kind, option="kind",
                                            allowed="identifiers such as 'mykind'"))
    if not callable(factory):
        raise InputError(Errors.E012.format(where="register_adapter", expected="a callable",
                                            field="factory", got=type(factory).__name__))
    if kind in _REGISTRY and not overwrite and _REGISTRY[kind] is not factory:
        raise InputError(Errors.E207.format(
            value=kind, option="kind",
            allowed=f"a kind not registered yet (registered: {sorted(_REGISTRY)}); pass "
                    "overwrite=True to replace it"))
    _REGISTRY[kind] = factory


def available_adapters() -> list[str]:
    """Registered spec kinds."""
    return sorted(_REGISTRY)


def _spacy_factory(rest: str, **kw: Any) -> Adapter:
    from .spacy_adapter import load_spacy

    return load_spacy(rest, **kw)


def _hf_factory(rest: str, **kw: Any) -> Adapter:
    from .hf_adapter import load_hf

    return load_hf(rest, **kw)


def _callable_factory(rest: str, *, device: str | None = None, **kw: Any) -> Adapter:
    from .callable_adapter import load_callable

    return load_callable(rest, **kw)


register_adapter("spacy", _spacy_factory)
register_adapter("hf", _hf_factory)
register_adapter("callable", _callable_factory)


def load_model(spec_or_object: Any, *, task: str | None = None,
               label_map: "LabelMap | Mapping[str, str | None] | str | None" = None,
               unmapped: str = "keep", device: str | None = None,
               batch_size: int | None = None, lazy: bool = False, **options: Any) -> Adapter:
    """Load a model as an :class:`~nlperr.adapters.Adapter`.

    Parameters
    ----------
    spec_or_object : str or object
        ``"spacy:NAME_OR_PATH"``, ``"hf:PATH"``, ``"callable:module:function"`` or
        ``"KIND:..."`` for a kind added with :func:`register_adapter`; or an object:
        a spaCy ``Language``, a ``(model, tokenizer)`` transformers pair, a Python
        callable ``list[str] -> list[result]``, or an Adapter (returned as is, or
        — with *label_map* / *batch_size* — as a configured shallow copy: the
        adapter you pass is never changed).  This is the one function that turns
        a model argument into an adapter: the CLI, :class:`~nlperr.engine.Predictor`
        and the suites all call it.
    task : {"ner", "classification"}, optional
        Overrides the detected task.
    label_map : LabelMap, dict, JSON string or JSON file path, optional
        Renames the model's labels (applied by the engine after the cache).
    unmapped : {"keep", "drop", "error"}, default "keep"
        What the label map does with labels it does not list.
    device : str, optional
        ``None`` (auto: CUDA, then MPS, else CPU), ``"cpu"``, ``"gpu"``,
        ``"cuda"``, ``"cuda:N"``, ``"mps"``.
    batch_size : int, optional
        Examples per forward pass (adapter default when omitted).
    lazy : bool, default False
        For ``spacy:`` and local ``hf:`` specs: return a
        :class:`~nlperr.adapters.deferred.DeferredAdapter` that hashes the model
        files now and loads the weights only when a prediction is not in the
        cache (so a fully cached run imports no framework).  Errors that need
        the loaded model (e.g. a slow tokenizer) then surface at the first
        prediction.  Other specs load eagerly.
    **options
        Adapter options, e.g. ``aggregation="max"``, ``stride=64``,
        ``max_length=256``, ``trust_remote_code=True``, ``attn_implementation="eager"``
        (HF); ``threshold=0.5``, ``all_components=True`` (spaCy);
        ``fingerprint="v2"``, ``multi_label=True`` (callable).

    Raises
    ------
    InputError
        E201 for an unknown spec.
    ModelNotFoundError
        E202 when the named model does not exist.
    MissingDependencyError
        E203 when spaCy / transformers / torch is not installed.

    Examples
    --------
    >>> from nlperr.adapters import load_model
    >>> model = load_model(lambda texts: ["pos" for _ in texts], task="classification")
    >>> model.task
    'classification'
    """
    check_choice("unmapped", unmapped, UNMAPPED)
    check_batch_size(batch_size)
    lmap = LabelMap.from_spec(label_map, unmapped=unmapped) if label_map is not None else None
    obj = spec_or_object
    if isinstance(obj, Adapter):
        if options or task not in (None, obj.task):
            raise InputError(Errors.E250.format(
                what=f"an adapter ({type(obj).__name__})",
                given=sorted([*options, *(["task"] if task not in (None, obj.task) else [])]),
                hint="pass them when the adapter is created (load_model('spec', ...))"))
        if batch_size is None and lmap is None:
            return obj
        adapter = copy.copy(obj)  # a configured copy: the caller's adapter is never changed
        if batch_size is not None:
            adapter.batch_size = batch_size
    elif isinstance(obj, str):
        kind, sep, rest = obj.partition(":")
        factory = _REGISTRY.get(kind) if sep else None
        if factory is None:
            raise InputError(Errors.E201.format(spec=obj, available=available_adapters()))
        def load(factory=factory, rest=rest) -> Adapter:
            return factory(rest, task=task, device=device, batch_size=batch_size, **options)

        deferred = None
        if lazy:
            from .deferred import defer_spec

            deferred = defer_spec(obj, task=task, device=device, batch_size=batch_size,
                                  options=options, load=load)
        adapter = deferred if deferred is not None else load()
    else:
        from .hf_adapter import is_hf_pair
        from .spacy_adapter import is_spacy_language

        if is_spacy_language(obj):
            from .spacy_adapter import SpacyAdapter

            adapter = SpacyAdapter(obj, task=task, batch_size=batch_size, **options)
        elif is_hf_pair(obj):
            from .hf_adapter import hf_from_objects

            adapter = hf_from_objects(obj[0], obj[1], task=task, device=device,
                                      batch_size=batch_size, **options)
        elif callable(obj):
            from .callable_adapter import CallableAdapter

            adapter = CallableAdapter(obj, task=task, batch_size=batch_size, **options)
        else:
            raise InputError(Errors.E201.format(spec=obj, available=available_adapters()))
    if lmap is not None:
        adapter.label_map = lmap
    return adapter
