"""Registry of perturbations and the :func:`perturb` entry point.

A perturbation is a function ``fn(example, rng, **params) -> edits`` that
returns an edit log (:class:`~nlperr.perturb.edits.Edit` s on the *original*
text); nlperr applies the edits and carries gold spans through them, so a
perturbation never has to fix offsets itself.  Register your own with
:func:`register_perturbation`.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..data import Example
from ..errors import Errors, InputError
from .edits import Edit, apply_edits, map_spans, normalize_edits

__all__ = [
    "PerturbFn",
    "Perturbation",
    "PerturbResult",
    "PerturbStats",
    "register_perturbation",
    "get_perturbation",
    "available_perturbations",
    "perturb",
    "case_seed",
]

PerturbFn = Callable[..., Iterable[Sequence]]


def case_seed(*parts: Any) -> int:
    """A 64-bit seed from *parts* via SHA-256 (stable across runs and Python versions).

    Used as ``case_seed(suite_seed, test_name, example_id)``, so adding a test or
    an example never changes the randomness of any other case.

    >>> case_seed(0, "typos", "ex-1") == case_seed(0, "typos", "ex-1")
    True
    """
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big")


@dataclass(frozen=True)
class Perturbation:
    """A registered perturbation.

    Attributes
    ----------
    name : str
        Registry name (``"typo"``).
    fn : callable
        ``fn(example, rng, **params) -> iterable of (start, end, replacement)``.
    defaults : dict
        Default parameter values (documented in ``description``).
    description : str
        One line shown by ``nlperr suite list``.
    prepare : callable or None
        ``prepare(examples, params) -> params``: derive data-dependent parameters
        once per test (e.g. the entity pool of ``entity_swap``).
    requires : str
        What a text must contain for the perturbation to change it (``"a date"``);
        named in the warning when a test is skipped because nothing changed.
    """

    name: str
    fn: PerturbFn
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    prepare: Callable[[Sequence[Example], dict], dict] | None = None
    requires: str = ""
    kinds: Mapping[str, str] = field(default_factory=dict)

    def params(self, params: Mapping[str, Any] | None = None, *, where: str = "perturbation") -> dict:
        """Defaults merged with *params*; unknown names, and values not of their
        parameter's kind (see :data:`PARAM_KINDS`), are an error (E604)."""
        merged = dict(self.defaults)
        for key, value in (params or {}).items():
            if key not in self.defaults:
                raise InputError(Errors.E604.format(
                    where=where, got=value, param=key, name=self.name,
                    expected="one of the parameters " + (", ".join(sorted(self.defaults)) or "(none)")))
            expected = param_problem(self.kinds.get(key), value)
            if expected is not None:
                raise InputError(Errors.E604.format(where=where, got=value, param=key,
                                                    name=self.name, expected=expected))
            merged[key] = value
        return merged


def _real(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _texts(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and bool(v) and all(isinstance(x, str) and x for x in v)


#: The kinds a perturbation parameter can be declared with
#: (``register_perturbation(..., kinds={"rate": "probability"})``): a check and what
#: the error says the parameter takes.  A kind ending in ``?`` also takes null (None).
PARAM_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "count": (_count, "a whole number >= 0"),
    "probability": (lambda v: _real(v) and 0 <= v <= 1, "a number in [0, 1]"),
    "positive": (lambda v: _real(v) and v > 0, "a number > 0"),
    "text": (lambda v: isinstance(v, str) and bool(v), "a non-empty string"),
    "texts": (_texts, "a non-empty list of non-empty strings"),
    "text or texts": (lambda v: (isinstance(v, str) and bool(v)) or _texts(v),
                      "a non-empty string or a non-empty list of them"),
    "pool": (lambda v: isinstance(v, Mapping) and all(
        isinstance(k, str) and isinstance(x, (list, tuple))
        and all(isinstance(t, str) and t for t in x) for k, x in v.items()),
             "an object {label: [strings]}"),
}


def param_problem(kind: str | None, value: Any) -> str | None:
    """What a parameter of *kind* takes, when *value* is not that; else None (also for
    an undeclared kind: the perturbation checks the value itself)."""
    if kind is None:
        return None
    optional = kind.endswith("?")
    base = kind.rstrip("?")
    if optional and value is None:
        return None
    check, expected = PARAM_KINDS[base]
    if check(value):
        return None
    return expected + (" (or null)" if optional else "")


_REGISTRY: dict[str, Perturbation] = {}


def register_perturbation(name: str, fn: PerturbFn | None = None, *, defaults: Mapping[str, Any] | None = None,
                          description: str = "", prepare: Callable | None = None, requires: str = "",
                          overwrite: bool = False, kinds: Mapping[str, str] | None = None):
    """Register *fn* under *name* (usable as a decorator).

    *requires* says what a text must contain for *fn* to change it (``"a date"``);
    it is quoted when a test evaluates no case because nothing changed.  *kinds*
    declares what each parameter takes (a key of :data:`PARAM_KINDS`, ``"?"`` for
    "or null"): a suite or call that gives another value gets E604 naming it.

    >>> @register_perturbation("shout", description="append '!!!'", overwrite=True)
    ... def shout(example, rng):
    ...     return [(len(example.text), len(example.text), "!!!")]
    >>> perturb(Example("hi"), "shout").text
    'hi!!!'
    """
    def deco(f: PerturbFn) -> PerturbFn:
        if name in _REGISTRY and not overwrite:
            raise InputError(Errors.E606.format(where="register_perturbation", field="name",
                                                expected="a name not registered yet (or overwrite=True)",
                                                got=repr(name)))
        for key, kind in (kinds or {}).items():
            if key not in (defaults or {}) or kind.rstrip("?") not in PARAM_KINDS:
                raise InputError(Errors.E606.format(
                    where="register_perturbation", field=f"kinds[{key!r}]",
                    expected="a parameter named in defaults, of a kind in PARAM_KINDS: "
                             + ", ".join(PARAM_KINDS), got=repr(kind)))
        _REGISTRY[name] = Perturbation(name, f, dict(defaults or {}),
                                       description or (f.__doc__ or "").strip().split("\n")[0], prepare,
                                       requires, dict(kinds or {}))
        return f
    return deco(fn) if fn is not None else deco


def get_perturbation(name: str) -> Perturbation:
    """The registered :class:`Perturbation` called *name*."""
    from . import catalog  # noqa: F401  (registers the built-in perturbations)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise InputError(Errors.E603.format(name=name, available=", ".join(sorted(_REGISTRY)))) from None


def available_perturbations() -> dict[str, str]:
    """``{name: description}`` of every registered perturbation."""
    from . import catalog  # noqa: F401
    return {k: _REGISTRY[k].description for k in sorted(_REGISTRY)}


@dataclass(frozen=True)
class PerturbResult:
    """Outcome of one perturbation of one example.

    Attributes
    ----------
    original : Example
    example : Example
        The perturbed example; its gold ``spans`` were mapped through ``edits``
        (``tokens`` are dropped: the text changed).
    edits : tuple of Edit
        Edit log on the original text (half-open offsets).
    touched : tuple of int
        Indices of original gold spans an edit touched.
    deleted : tuple of int
        Indices of original gold spans that were deleted entirely.
    """

    original: Example
    example: Example
    edits: tuple[Edit, ...]
    touched: tuple[int, ...] = ()
    deleted: tuple[int, ...] = ()

    @property
    def text(self) -> str:
        return self.example.text

    @property
    def changed(self) -> bool:
        return bool(self.edits)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.example.text, "edits": [e.to_list() for e in self.edits],
                "spans": None if self.example.spans is None else [s.to_dict() for s in self.example.spans],
                "touched": list(self.touched), "deleted": list(self.deleted)}


@dataclass
class PerturbStats:
    """How often a perturbation changed nothing and how often it touched an entity."""

    name: str
    n: int = 0
    unchanged: int = 0
    touched_entity: int = 0

    def add(self, result: PerturbResult) -> None:
        self.n += 1
        self.unchanged += not result.changed
        self.touched_entity += bool(result.touched)

    def to_dict(self) -> dict[str, Any]:
        return {"perturbation": self.name, "n": self.n, "unchanged": self.unchanged,
                "unchanged_rate": self.unchanged / self.n if self.n else float("nan"),
                "touched_entity": self.touched_entity,
                "touched_entity_rate": self.touched_entity / self.n if self.n else float("nan")}


def perturb(example: Example | str, perturbation: str | PerturbFn, *, seed: int | random.Random = 0,
            params: Mapping[str, Any] | None = None, **kwargs: Any) -> PerturbResult:
    """Apply a perturbation to one example; return text, edit log and mapped spans.

    Parameters
    ----------
    example : Example or str
    perturbation : str or callable
        A registered name (see :func:`available_perturbations`) or a function
        ``fn(example, rng, **params)``.
    seed : int or random.Random
    params, **kwargs : perturbation parameters.

    Examples
    --------
    >>> from nlperr import Example, Span
    >>> ex = Example("Maria flew to Paris.", spans=(Span(0, 5, "PER"), Span(14, 19, "LOC")))
    >>> r = perturb(ex, "case", mode="upper")
    >>> r.text, [r.text[s.start:s.end] for s in r.example.spans]
    ('MARIA FLEW TO PARIS.', ['MARIA', 'PARIS'])
    """
    if isinstance(example, str):
        example = Example(example)
    merged = dict(params or {})
    merged.update(kwargs)
    if isinstance(perturbation, str):
        p = get_perturbation(perturbation)
        fn, merged, name = p.fn, p.params(merged), p.name
    else:
        fn, name = perturbation, getattr(perturbation, "__name__", "custom")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    raw = fn(example, rng, **merged) or ()
    edits = normalize_edits(example.text, raw, where=f"perturbation {name!r} on {example._where()}")
    text = apply_edits(example.text, edits)
    spans, touched, deleted = map_spans(example.spans, edits)
    new = replace(example, text=text, tokens=None, spans=spans, missing=())
    return PerturbResult(example, new, edits, touched, deleted)
