"""Slice tables: scores by attribute value, with bootstrap CIs and a worst-slice search.

A *slice attribute* is a function registered by name with
:func:`register_slice`:

* ``level="entity"``: ``fn(example, span)`` or ``fn(example, span, ctx)``;
  called for every gold span and every predicted span.
* ``level="example"``: ``fn(example)`` or ``fn(example, ctx)``; called for
  every gold example (all entities of the example fall in its slice).

``ctx`` is a :class:`SliceContext` with ``ctx.train`` (statistics of the
training data, or None), ``ctx.pred`` (the predicted example) and
``ctx.side`` (``"gold"`` or ``"pred"``).  A function returns a hashable value;
``None`` means "no value" (the item falls in the ``"n/a"`` slice).  Numeric
values are bucketed with ``bins`` (registration default or call option).

Scores per slice (NER): recall over the gold entities in the slice, precision
over the predicted entities in the slice, strict matching.  An entity-level
function that returns None for a *prediction* (e.g. a value stored in gold
``Span.meta`` such as HIPE's ``LED``) gives the prediction the value of the
gold entity it is matched to (maximum-overlap matching).  Classification
slices report accuracy.

Uncertainty: ``delta`` = slice score - overall score, with a 95% percentile
bootstrap CI from resampling examples (``n_boot`` replicates, ``seed``).  It is
the Poisson bootstrap (every example gets an independent Poisson(1) weight,
which for large data is equivalent to multinomial resampling), drawn per group
of examples whose statistics in the attribute are identical -- the weights of a
group of ``c`` examples add up to a Poisson(``c``) variable -- so the cost is
``n_boot`` x groups, not ``n_boot`` x examples.  Each attribute has its own
stream (seeded by ``seed`` and its name): a slice table's CIs are the same from
:func:`slice_table` and from :func:`worst_slices`.  The bootstrap alone is degenerate
for small slices (a slice with no correct entity scores 0 in every replicate,
so its CI looks certain), hence an exact check too: ``p_exact`` is the
one-sided binomial p-value of the slice's hits -- NER: correct gold plus
correct predicted entities out of gold plus predicted entities (for strict
matching F1 equals that ratio); classification: correct out of examples --
against the overall F1 / accuracy.  ``p_worse`` is the larger of ``p_exact``
and the one-sided bootstrap p-value ``(#{delta* >= 0} + 1) / (B + 1)``; a
slice is ``worse`` when its CI lies below 0 and ``p_exact < 0.025``.
:func:`worst_slices` applies Benjamini-Hochberg to ``p_worse`` over every
tested slice of every attribute (``q_value``, ``significant`` at ``alpha``).

Names starting with ``meta:`` (``"meta:source"``) read ``Example.meta``;
``span_meta:`` (``"span_meta:LED"``) read ``Span.meta``.

Speed: the built-in attributes have vectorized twins (same values, pinned by
``tests/test_analysis_slices_vectorized.py``) that work on the flat span and
token arrays, on each *distinct* entity string once, and on the joined text;
user functions are called per entity / example.
"""

from __future__ import annotations

import bisect
import inspect
import math
import re
import zlib
from contextlib import nullcontext
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data import Example, Span
from ..errors import Errors, InputError
from ._arrays import (SpanArrays, entity_texts, flatten_pair, joined_text, token_arrays,
                      token_bounds, token_counts)
from ._stats import benjamini_hochberg, binom_cdf, f1_from, safe_divide
from ..stats import poisson_draws
from .classification import class_arrays
from .matching import CATEGORIES, Taxonomy, taxonomy

__all__ = ["register_slice", "unregister_slice", "slice_attributes", "slice_table",
           "worst_slices", "SliceContext", "TrainStats", "train_stats", "span_meta", "NA",
           "DEFAULT_SLICES", "DEFAULT_TRAIN_SLICES", "default_slices", "LED_BINS", "NOISE_BINS",
           "entity_overlap_group", "OVERLAP_GROUPS"]

NA = "n/a"
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class SliceAttribute:
    name: str
    fn: Callable
    level: str
    task: str
    bins: Any = None
    needs_train: bool = False
    description: str = ""
    nargs: int = 0
    vectorized: Callable | None = None  # built-ins: all values at once (see _SliceData)


_REGISTRY: dict[str, SliceAttribute] = {}


def _nargs(fn: Callable) -> int:
    if isinstance(fn, _Lazy):
        return fn.nargs
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        return len(params)
    except (TypeError, ValueError):  # builtins
        return 1


def register_slice(name: str, fn: Callable, *, level: str = "entity", task: str = "ner",
                   bins: Any = None, needs_train: bool = False, description: str = "",
                   overwrite: bool = True) -> Callable:
    """Register a slice attribute under *name* (see module docs for the signature).

    Parameters
    ----------
    name : str
    fn : callable
    level : {"entity", "example"}
    task : {"ner", "classification", "any"}
    bins : int or sequence of float, optional
        Default bucketing of numeric values (int: quantile bins; sequence: edges).
    needs_train : bool
        The attribute needs training data (``ctx.train``); skipped without it.
    description : str
        One line shown in reports.

    Examples
    --------
    >>> register_slice("has_hyphen", lambda ex, sp: "-" in ex.text[sp.start:sp.end])
    <function <lambda> at ...>
    >>> "has_hyphen" in slice_attributes()
    True
    >>> unregister_slice("has_hyphen")
    """
    if level not in ("entity", "example"):
        raise InputError(Errors.E207.format(value=level, option="level",
                                            allowed="'entity', 'example'"))
    if task not in ("ner", "classification", "any"):
        raise InputError(Errors.E207.format(value=task, option="task",
                                            allowed="'ner', 'classification', 'any'"))
    if level == "entity" and task == "classification":
        raise InputError(Errors.E207.format(value=level, option="level (classification)",
                                            allowed="'example'"))
    if name in _REGISTRY and not overwrite:
        raise InputError(Errors.E510.format(where="register_slice",
                                            message=f"{name!r} is already registered; pass "
                                                    f"overwrite=True to replace it."))
    _REGISTRY[name] = SliceAttribute(name, fn, level, task, bins, needs_train, description,
                                     _nargs(fn))
    return fn


def unregister_slice(name: str) -> None:
    """Remove a slice attribute you registered (built-in ones cannot be removed)."""
    if name in _BUILTINS:
        raise InputError(Errors.E510.format(where="unregister_slice",
                                            message=f"{name!r} is a built-in attribute; it "
                                                    f"stays available (reports use it only "
                                                    f"when named or in the default set)."))
    _REGISTRY.pop(name, None)


def slice_attributes(task: str | None = None) -> dict[str, str]:
    """Registered attributes ``{name: description}`` (optionally for one task)."""
    return {k: a.description for k, a in _REGISTRY.items()
            if task is None or a.task in (task, "any")}


def span_meta(key: str) -> Callable:
    """An entity-level attribute reading ``span.meta[key]`` (None when absent).

    >>> register_slice("my_led", span_meta("LED"), bins=[0, 0.0001, 0.1, 0.3, 1.0])  # doctest: +ELLIPSIS
    <function ...>
    >>> unregister_slice("my_led")
    """
    def get(example: Example, span: Span):
        return span.meta.get(key) if span.meta else None
    get.__name__ = f"span_meta_{key}"
    return get


def _get_attribute(name: str) -> SliceAttribute:
    if name in _REGISTRY:
        return _REGISTRY[name]
    if name.startswith("meta:"):
        key = name[5:]
        return SliceAttribute(name, lambda ex: ex.meta.get(key), "example", "any", nargs=1,
                              description=f"Example.meta[{key!r}]")
    if name.startswith("span_meta:"):
        return SliceAttribute(name, span_meta(name[10:]), "entity", "ner", nargs=2,
                              description=f"Span.meta[{name[10:]!r}]")
    raise InputError(Errors.E505.format(name=name, available=sorted(_REGISTRY)))


# --------------------------------------------------------------------------
# training statistics
# --------------------------------------------------------------------------

@dataclass
class TrainStats:
    """What built-in attributes need from the training data."""

    vocab: Counter = field(default_factory=Counter)              # lower-cased words
    entity_labels: dict[str, Counter] = field(default_factory=dict)  # surface -> label counts
    #: exact (case-sensitive) mention text -> label counts; see :func:`entity_overlap_group`
    mentions: dict[str, Counter] = field(default_factory=dict)

    def merge(self, other: "TrainStats") -> "TrainStats":
        """Add the counts of *other* (another shard of the training data); returns
        ``self``.  ``train_stats(a + b)`` equals ``train_stats(a).merge(train_stats(b))``."""
        self.vocab.update(other.vocab)
        for mine, theirs in ((self.entity_labels, other.entity_labels),
                             (self.mentions, other.mentions)):
            for k, c in theirs.items():
                if k in mine:
                    mine[k].update(c)
                else:
                    mine[k] = Counter(c)
        return self


#: The groups of :func:`entity_overlap_group`, in reporting order.
OVERLAP_GROUPS = ("seen", "seen_other_type", "unseen")


def entity_overlap_group(text: str, label: str, mentions: dict[str, Counter]) -> str:
    """Whether a mention was seen in training: the one definition behind the
    ``train_overlap`` slice attribute and :func:`nlperr.quality.entity_overlap`.

    ``"seen"`` when the exact mention text (``example.text[start:end]``,
    case-sensitive, no normalisation) is a training mention with the same label;
    ``"seen_other_type"`` when it is a training mention only with other labels;
    ``"unseen"`` otherwise.  *mentions* is :attr:`TrainStats.mentions`.

    >>> m = {"Paris": Counter({"LOC": 2}), "Ford": Counter({"PER": 1})}
    >>> [entity_overlap_group(t, l, m) for t, l in [("Paris", "LOC"), ("Ford", "ORG"),
    ...                                               ("paris", "LOC")]]
    ['seen', 'seen_other_type', 'unseen']
    """
    c = mentions.get(text)
    if not c:
        return "unseen"
    return "seen" if c.get(label, 0) > 0 else "seen_other_type"


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def train_stats(train: Sequence[Example]) -> TrainStats:
    """Word and entity-surface statistics of training examples."""
    st = TrainStats()
    ents: dict[str, Counter] = defaultdict(Counter)
    exact: dict[str, Counter] = defaultdict(Counter)
    for e in train:
        st.vocab.update(_words(e.text))
        for s in e.spans or ():
            t = e.text[s.start:s.end]
            ents[t.lower()][s.label] += 1
            exact[t][s.label] += 1
    st.entity_labels = dict(ents)
    st.mentions = dict(exact)
    return st


@dataclass
class SliceContext:
    """Passed to slice functions that take a third (entity) / second (example) argument."""

    train: TrainStats | None = None
    pred: Example | None = None
    side: str = "gold"
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------
# built-in attributes
# --------------------------------------------------------------------------

def _bucket(x: float, edges: Sequence[tuple[float, str]]) -> str:
    for hi, name in edges:
        if x <= hi:
            return name
    return edges[-1][1]


def _span_tokens(ex: Example, sp: Span) -> list[str]:
    if ex.tokens is not None:
        return [t.text for t in ex.tokens if t.start >= sp.start and t.end <= sp.end]
    return ex.text[sp.start:sp.end].split()


def _ent_len_tokens(ex, sp):
    n = len(_span_tokens(ex, sp))
    return str(n) if n < 4 else "4+"


def _ent_len_chars(ex, sp):
    return _bucket(sp.end - sp.start, [(3, "1-3"), (6, "4-6"), (10, "7-10"), (20, "11-20"),
                                       (float("inf"), "21+")])


def _caps(ex, sp):
    t = ex.text[sp.start:sp.end]
    letters = [c for c in t if c.isalpha()]
    if not letters:
        return "no_letters"
    if all(c.isupper() for c in letters):
        return "all_upper"
    if all(c.islower() for c in letters):
        return "lower"
    words = [w for w in t.split() if any(c.isalpha() for c in w)]
    if all(w[0].isupper() and (len(w) == 1 or not any(c.isupper() for c in w[1:]))
           for w in words if w[0].isalpha()):
        return "title"
    return "mixed"


def _position(ex, sp):
    if ex.tokens:
        first = sp.start <= ex.tokens[0].start
        last = sp.end >= ex.tokens[-1].end
    else:
        first = not ex.text[:sp.start].strip()
        last = not ex.text[sp.end:].strip()
    return "whole" if first and last else "first" if first else "last" if last else "middle"


def _seen(ex, sp, ctx):
    return "seen" if ex.text[sp.start:sp.end].lower() in ctx.train.entity_labels else "unseen"


def _train_overlap(ex, sp, ctx):
    return entity_overlap_group(ex.text[sp.start:sp.end], sp.label, ctx.train.mentions)


def _train_freq(ex, sp, ctx):
    c = ctx.train.entity_labels.get(ex.text[sp.start:sp.end].lower())
    n = sum(c.values()) if c else 0
    return _bucket(n, [(0, "0"), (1, "1"), (5, "2-5"), (float("inf"), "6+")])


def _consistency(ex, sp, ctx):
    c = ctx.train.entity_labels.get(ex.text[sp.start:sp.end].lower())
    if not c:
        return "unseen"
    share = c.get(sp.label, 0) / sum(c.values())
    return "consistent" if share == 1 else "never_this_label" if share == 0 else "ambiguous"


def _oov_share(ex, sp, ctx):
    w = _words(ex.text[sp.start:sp.end])
    if not w:
        return None
    s = sum(ctx.train.vocab.get(x, 0) == 0 for x in w) / len(w)
    return "0%" if s == 0 else "100%" if s == 1 else "1-99%"


_DATE = re.compile(r"\b(\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}|\d{1,2}(st|nd|rd|th)?\s+"
                   r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*|"
                   r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.?\s+\d{1,2}|"
                   r"(1[5-9]|20)\d{2})\b", re.IGNORECASE)


def _shape(ex, sp):
    t = ex.text[sp.start:sp.end]
    if _DATE.search(t):
        return "date_like"
    return "has_digit" if any(c.isdigit() for c in t) else "no_digit"


def _n_tokens(ex):
    return len(ex.tokens) if ex.tokens is not None else len(ex.text.split())


def _sent_len(ex):
    return _bucket(_n_tokens(ex), [(10, "1-10"), (20, "11-20"), (40, "21-40"),
                                   (float("inf"), "41+")])


def _density(ex):
    n = _n_tokens(ex)
    d = len(ex.spans or ()) / n if n else 0.0
    return _bucket(d, [(0, "0"), (0.1, "(0, 0.1]"), (0.2, "(0.1, 0.2]"), (float("inf"), ">0.2")])


_NEG = {"not", "no", "never", "nothing", "nobody", "none", "neither", "nor", "without",
        "cannot", "nowhere", "hardly", "barely"}
_CONTRAST = {"but", "however", "although", "though", "yet", "whereas", "nevertheless",
             "nonetheless", "despite", "while", "still"}


def _negation(ex):
    low = ex.text.lower()
    return "yes" if ("n't" in low or "n’t" in low or _NEG & set(_words(low))) else "no"


def _contrast(ex):
    return "yes" if _CONTRAST & set(_words(ex.text)) else "no"


def _cls_len(ex):
    return _bucket(len(_words(ex.text)), [(5, "1-5"), (10, "6-10"), (20, "11-20"),
                                         (40, "21-40"), (float("inf"), "41+")])


def _cls_oov(ex, ctx):
    w = _words(ex.text)
    if not w:
        return None
    r = sum(ctx.train.vocab.get(x, 0) == 0 for x in w) / len(w)
    return _bucket(r, [(0, "0"), (0.1, "(0, 0.1]"), (0.3, "(0.1, 0.3]"), (1, ">0.3")])


def _cls_conf(ex, ctx):
    p = ctx.pred
    if p is None or not p.probs or p.label not in p.probs:
        return None
    c = float(p.probs[p.label])
    return _bucket(c, [(0.5, "<=0.5"), (0.7, "(0.5, 0.7]"), (0.9, "(0.7, 0.9]"),
                       (1.0, ">0.9")])


class _Lazy:
    """A built-in attribute function that lives in a room above :mod:`nlperr.analysis`
    (``"module:function"`` or ``"module:factory()"``), imported on first call so that
    every built-in is known from the start and importing that room changes nothing."""

    def __init__(self, target: str, nargs: int) -> None:
        self.target = target
        self.nargs = nargs
        self._fn: Callable | None = None

    def __call__(self, *args: Any) -> Any:
        if self._fn is None:
            import importlib

            module, _, name = self.target.partition(":")
            obj = getattr(importlib.import_module(module), name.rstrip("()"))
            self._fn = obj() if name.endswith("()") else obj
        return self._fn(*args)


#: Bucket edges of the OCR-noise attributes (LED and noise scores lie in [0, 1]; the
#: first bucket holds the exact zeros: mentions read correctly / no noise).
LED_BINS = (0.0, 1e-9, 0.1, 0.3, 1.0)
NOISE_BINS = (0.0, 1e-9, 0.25, 0.5, 1.0)

#: The attributes a report uses when none are named, per task; train-based ones are
#: added when training data is given.  Other built-ins (``led``, ``ocr_noise``,
#: ``ocr_noise_example``) and user-registered attributes are used only when named.
DEFAULT_SLICES = {
    "ner": ("entity_length_tokens", "entity_length_chars", "capitalization", "position",
            "shape", "sentence_length", "entity_density", "negation", "contrast"),
    "classification": ("length", "negation", "contrast", "confidence"),
}
DEFAULT_TRAIN_SLICES = {
    "ner": ("seen_in_train", "train_frequency", "label_consistency", "oov_share",
            "train_overlap"),
    "classification": ("oov_ratio",),
}


def default_slices(task: str, *, train: bool = False) -> list[str]:
    """The slice attributes a report uses for *task* when none are named.

    >>> default_slices("classification", train=True)
    ['length', 'negation', 'contrast', 'confidence', 'oov_ratio']
    """
    if task not in DEFAULT_SLICES:
        raise InputError(Errors.E207.format(value=task, option="task",
                                            allowed=sorted(DEFAULT_SLICES)))
    return list(DEFAULT_SLICES[task]) + (list(DEFAULT_TRAIN_SLICES[task]) if train else [])


def _register_builtins() -> None:
    """Every built-in attribute, in one place (OCR ones resolved lazily)."""
    r = register_slice
    r("entity_length_tokens", _ent_len_tokens, description="entity length in tokens")
    r("entity_length_chars", _ent_len_chars, description="entity length in characters")
    r("capitalization", _caps, description="all_upper / title / lower / mixed / no_letters")
    r("position", _position, description="entity position in the sentence")
    r("seen_in_train", _seen, needs_train=True, description="entity surface seen in train")
    r("train_overlap", _train_overlap, needs_train=True,
      description="exact mention text and type in train: seen / seen_other_type / unseen")
    r("train_frequency", _train_freq, needs_train=True,
      description="times the surface is an entity in train")
    r("label_consistency", _consistency, needs_train=True,
      description="the surface's labels in train: consistent / ambiguous / ...")
    r("oov_share", _oov_share, needs_train=True, description="share of entity words unseen in train")
    r("shape", _shape, description="date_like / has_digit / no_digit")
    r("sentence_length", _sent_len, level="example", description="sentence length in tokens")
    r("entity_density", _density, level="example", description="gold entities per token")
    r("length", _cls_len, level="example", task="classification",
      description="text length in words")
    r("oov_ratio", _cls_oov, level="example", task="classification", needs_train=True,
      description="share of words unseen in train")
    r("negation", _negation, level="example", task="any", description="a negation word is present")
    r("contrast", _contrast, level="example", task="any",
      description="a contrast marker (but, however, ...) is present")
    r("confidence", _cls_conf, level="example", task="classification",
      description="model confidence bucket")
    r("led", _Lazy("nlperr.ocr.slices:led", 2), bins=list(LED_BINS),
      description="HIPE LED of the gold mention (OCR vs manual transcription)")
    r("ocr_noise", _Lazy("nlperr.ocr.slices:default_entity_noise()", 2), bins=list(NOISE_BINS),
      description="OCR-noise score of the entity text (no ground truth)")
    r("ocr_noise_example", _Lazy("nlperr.ocr.slices:default_example_noise()", 1),
      level="example", task="any", bins=list(NOISE_BINS),
      description="OCR-noise score of the example text (no ground truth)")


_register_builtins()
_BUILTINS = frozenset(_REGISTRY)


# --------------------------------------------------------------------------
# evaluation of attribute values
# --------------------------------------------------------------------------

def _call(att: SliceAttribute, args: tuple, ctx: SliceContext):
    if att.needs_train and ctx.train is None:
        raise InputError(Errors.E506.format(name=att.name, what="training data",
                                            hint="pass train=... (CLI: --train)."))
    n = att.nargs
    if n >= len(args) + 1:
        return att.fn(*args, ctx)
    return att.fn(*args)


def bucket_label(value: float, edges: Sequence[float]) -> str:
    """Name of the bucket of *value* between consecutive *edges*.

    Buckets are left-closed ``[a, b)``, the last one closed ``[a, b]``; values
    outside ``[edges[0], edges[-1]]`` (and NaN) get ``"n/a"``.

    >>> [bucket_label(v, [0, 1e-9, 0.1, 1]) for v in (0.0, 0.05, 0.1, 1.0, 2.0)]
    ['[0, 1e-09)', '[1e-09, 0.1)', '[0.1, 1]', '[0.1, 1]', 'n/a']
    """
    e = [float(x) for x in edges]
    v = float(value)
    if math.isnan(v) or v < e[0] or v > e[-1]:
        return NA
    k = min(bisect.bisect_right(e, v) - 1, len(e) - 2)
    return f"[{e[k]:g}, {e[k + 1]:g}{']' if k == len(e) - 2 else ')'}"


class _QuantileBuckets(Exception):
    """Numbers met under :data:`_NO_QUANTILES` (see :class:`~nlperr.analysis.SliceCounts`)."""


#: ``bins`` value for counting shards apart: numbers without bin edges would be bucketed
#: by quantiles of the whole corpus, so :func:`_binned` raises :class:`_QuantileBuckets`.
_NO_QUANTILES = object()


def _binned(values: list, bins: Any) -> np.ndarray:
    """Values to slice names (strings); numeric values bucketed when *bins* is given or
    when there are many distinct values."""
    arr = pd.Series(values, dtype=object)
    isnum = arr.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                    and not isinstance(v, bool))
    out = arr.map(lambda v: NA if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    num = arr[isnum & arr.notna()].astype(float)
    num = num[~np.isnan(num)]
    if bins is _NO_QUANTILES:
        if len(num):
            raise _QuantileBuckets()
        bins = None
    if len(num) and (bins is not None or num.nunique() > 8):
        b = bins if bins is not None else 4
        if isinstance(b, int):
            out.loc[num.index] = _quantile_labels(num, b, tie_bucket=bins is None)
        else:
            out.loc[num.index] = [bucket_label(v, b) for v in num.to_numpy()]
    return out.to_numpy(dtype=object)


def _quantile_labels(num: pd.Series, q: int, *, tie_bucket: bool) -> list[str]:
    """Quantile buckets of *num*.  With *tie_bucket* (the automatic bucketing), a value
    that holds a quarter of the items or more (HIPE's ``LED`` is 0 for most mentions)
    gets a bucket of its own and the other values are split into quantiles: a tie
    must not swallow every bucket."""
    labels = pd.Series(NA, index=num.index, dtype=object)
    rest = num
    if tie_bucket:
        counts = num.value_counts()
        if counts.iloc[0] >= 0.25 * len(num):
            tie = counts.index[0]
            labels[num == tie] = f"{tie:g}"
            rest = num[num != tie]
            q = max(1, q - 1)
    if len(rest):
        cut = pd.qcut(rest, q=min(q, rest.nunique()), duplicates="drop")
        labels[rest.index] = cut.astype(str).replace("nan", NA)
    return labels.tolist()


def _entity_values(att: SliceAttribute, gold: Sequence[Example], pred: Sequence[Example],
                   tax: Taxonomy, ctx: SliceContext, bins: Any):
    flat = tax.flat
    g, p = flat.gold, flat.pred
    gv, pv = [], []
    ctx.side = "gold"
    for j in range(len(g)):
        ex = gold[int(g.ex[j])]
        sp = ex.spans[int(g.pos[j])]
        gv.append(_call(att, (ex, sp), ctx))
    ctx.side = "pred"
    for k in range(len(p)):
        i = int(p.ex[k])
        sp = pred[i].spans[int(p.pos[k])]
        ctx.pred = pred[i]
        v = _call(att, (gold[i], sp), ctx)
        if v is None and tax.pred_match[k] >= 0:
            v = gv[int(tax.pred_match[k])]
        pv.append(v)
    ctx.pred = None
    both = _binned(gv + pv, bins)
    return both[:len(gv)], both[len(gv):]


def _example_values(att: SliceAttribute, gold, pred, ctx: SliceContext, bins: Any) -> np.ndarray:
    vals = []
    for e, pe in zip(gold, pred):
        ctx.pred = pe
        vals.append(_call(att, (e,), ctx))
    ctx.pred = None
    return _binned(vals, bins)


def _order_values(names: Sequence[str]) -> list[str]:
    def key(s: str):
        m = re.match(r"[\(\[<>=]*\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)", s)
        return (s == NA, 0 if m else 1, float(m.group(1)) if m else 0.0, s)
    return sorted(names, key=key)


# --------------------------------------------------------------------------
# vectorized built-ins: every value at once from flat arrays
# --------------------------------------------------------------------------
#
# A built-in attribute keeps its per-entity function above (the reference,
# also what a user sees and can re-register) and gets a vectorized twin that
# computes the same values for all entities / examples at once.  String
# properties are computed once per *distinct* entity string.  The twins
# return ``(names, gold_codes, pred_codes)`` (entity level) or ``(names,
# codes)`` (example level), codes indexing ``names``, -1 for None.

class _SliceData:
    """What the vectorized built-ins read, computed once per analysis (lazily)."""

    def __init__(self, gold: Sequence[Example], pred: Sequence[Example], tax: Taxonomy | None,
                 ctx: SliceContext):
        self.gold, self.pred, self.tax, self.ctx = gold, pred, tax, ctx
        self.flat = tax.flat if tax is not None else None
        self._cache: dict[str, Any] = {}

    def get(self, key: str, make: Callable):
        v = self._cache.get(key)
        if v is None:
            v = self._cache[key] = make()
        return v

    @property
    def base(self) -> np.ndarray:
        if self.flat is not None:
            return self.flat.base

        def make():
            lens = np.fromiter((len(e.text) + 1 for e in self.gold), dtype=np.int64,
                               count=len(self.gold))
            b = np.zeros(len(self.gold), dtype=np.int64)
            if len(b) > 1:
                np.cumsum(lens[:-1], out=b[1:])
            return b
        return self.get("base", make)

    @property
    def text(self) -> str:
        if self.flat is not None:
            return joined_text(self.flat, self.gold)
        return self.get("text", lambda: "\n".join([e.text for e in self.gold]))

    @property
    def strings(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Distinct entity strings and the code of every gold / predicted entity."""
        def make():
            gt, pt = entity_texts(self.flat, self.gold)
            codes, uniq = pd.factorize(np.concatenate([gt, pt]))
            codes = codes.astype(np.int64)
            return [str(u) for u in uniq], codes[:len(gt)], codes[len(gt):]
        return self.get("strings", make)

    @property
    def chars(self) -> dict[str, np.ndarray]:
        """Per character of the distinct entity strings: string id, position, classes."""
        def make():
            uniq = self.strings[0]
            lens = np.fromiter(map(len, uniq), dtype=np.int64, count=len(uniq))
            joined = "".join(uniq)
            cps = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            ucp, inv = np.unique(cps, return_inverse=True)
            chars = [chr(c) for c in ucp.tolist()]
            flags = {name: np.fromiter((getattr(c, name)() for c in chars), dtype=bool,
                                       count=len(chars))[inv]
                     for name in ("isalpha", "isupper", "islower", "isspace", "isdigit")}
            sid = np.repeat(np.arange(len(uniq)), lens)
            start = np.zeros(len(uniq), dtype=np.int64)
            if len(uniq) > 1:
                np.cumsum(lens[:-1], out=start[1:])
            flags["sid"] = sid
            flags["pos"] = np.arange(len(cps)) - start[sid]
            flags["n"] = np.int64(len(uniq))
            return flags
        return self.get("chars", make)

    @property
    def n_tokens(self) -> np.ndarray:
        """Per example: ``len(tokens)``, or the number of whitespace words without tokens."""
        def make():
            if self.flat is not None:
                c = token_counts(self.flat, self.gold).copy()
            else:
                c = token_bounds(self.gold)[0].copy()
            for i in np.flatnonzero(c < 0).tolist():
                c[i] = len(self.gold[i].text.split())
            return c
        return self.get("n_tokens", make)

    @property
    def used(self) -> np.ndarray:
        """Indices of the examples whose values matter: NER, examples with a gold or
        predicted entity; classification, every example."""
        def make():
            if self.flat is None:
                return np.arange(len(self.gold))
            return np.unique(np.concatenate([self.flat.gold.ex, self.flat.pred.ex]))
        return self.get("used", make)

    @property
    def lowered(self) -> tuple[str, np.ndarray, np.ndarray, np.ndarray]:
        """The used examples' texts, lower-cased and joined by newlines; each one's start in
        it; their example indices; and which of them hold U+0130 (the one character whose
        lower case is longer, and splits a word)."""
        def make():
            idx = self.used
            texts = [self.gold[i].text for i in idx.tolist()]
            joined = "\n".join(texts)
            low = joined.lower()
            lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
            special = np.zeros(len(texts), dtype=bool)
            if len(low) != len(joined):
                special = np.fromiter(("\u0130" in t for t in texts), dtype=bool,
                                      count=len(texts))
                texts = [t.lower() for t in texts]
                lens = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
            b = np.zeros(len(texts), dtype=np.int64)
            if len(b) > 1:
                np.cumsum(lens[:-1] + 1, out=b[1:])
            return low, b, idx, special
        return self.get("lowered", make)


def _bucket_codes(x: np.ndarray, edges: Sequence[tuple[float, str]]) -> tuple[list[str], np.ndarray]:
    """:func:`_bucket` for an array: first edge with ``x <= hi``, else the last."""
    his = np.asarray([hi for hi, _ in edges], dtype=np.float64)
    c = np.minimum(np.searchsorted(his, np.asarray(x, dtype=np.float64), side="left"),
                   len(edges) - 1)
    return [name for _, name in edges], c.astype(np.int64)


def _per_string(d: _SliceData, fn: Callable[[str], Any]):
    """Apply *fn* to each distinct entity string; codes for gold and predicted entities."""
    uniq, gs, ps = d.strings
    vals = [fn(s) for s in uniq]
    return _codes_of(vals, gs, ps)


def _codes_of(vals: list, gs: np.ndarray, ps: np.ndarray):
    names: dict[Any, int] = {}
    m = np.asarray([-1 if v is None else names.setdefault(v, len(names)) for v in vals] + [-1],
                   dtype=np.int64)
    return list(names), m[gs], m[ps]


def _v_len_tokens(d: _SliceData):
    flat = d.flat
    ta = token_arrays(flat, d.gold)

    def side(sa: SpanArrays, examples: Sequence[Example]) -> np.ndarray:
        n = (np.searchsorted(ta.end, sa.gend, side="right")
             - np.searchsorted(ta.start, sa.gstart, side="left"))
        n = np.maximum(n, 0)
        slow = np.flatnonzero(~ta.usable[sa.ex])
        for j in slow.tolist():
            ex = d.gold[int(sa.ex[j])]
            n[j] = len(_span_tokens(ex, Span(int(sa.start[j]), int(sa.end[j]), "_")))
        return np.minimum(n, 4)
    return ["0", "1", "2", "3", "4+"], side(flat.gold, d.gold), side(flat.pred, d.gold)


_CHAR_EDGES = [(3, "1-3"), (6, "4-6"), (10, "7-10"), (20, "11-20"), (float("inf"), "21+")]


def _v_len_chars(d: _SliceData):
    g, p = d.flat.gold, d.flat.pred
    names, gc = _bucket_codes(g.end - g.start, _CHAR_EDGES)
    _, pc = _bucket_codes(p.end - p.start, _CHAR_EDGES)
    return names, gc, pc


_CAPS = ["no_letters", "all_upper", "lower", "title", "mixed"]


def _v_caps(d: _SliceData):
    uniq, gs, ps = d.strings
    c = d.chars
    U = len(uniq)
    sid, alpha, upper, lower, space = c["sid"], c["isalpha"], c["isupper"], c["islower"], \
        c["isspace"]
    n_alpha = np.bincount(sid, weights=alpha, minlength=U)
    n_up = np.bincount(sid, weights=alpha & upper, minlength=U)
    n_low = np.bincount(sid, weights=alpha & lower, minlength=U)
    # words = whitespace-separated runs; a word starting with a letter must be Title-like
    prev_space = np.ones(len(sid), dtype=bool)
    prev_space[1:] = space[:-1]
    wstart = ~space & ((c["pos"] == 0) | prev_space)
    idx = np.arange(len(sid))
    wfirst = np.maximum.accumulate(np.where(wstart, idx, 0)) if len(sid) else idx
    viol = ~space & alpha[wfirst] & np.where(wstart, ~upper, upper) if len(sid) else space
    n_viol = np.bincount(sid, weights=viol, minlength=U)
    code = np.where(n_alpha == 0, 0, np.where(n_up == n_alpha, 1, np.where(
        n_low == n_alpha, 2, np.where(n_viol == 0, 3, 4)))).astype(np.int64)
    m = np.append(code, -1)
    return list(_CAPS), m[gs], m[ps]


def _v_shape(d: _SliceData):
    uniq, gs, ps = d.strings
    c = d.chars
    has_digit = np.bincount(c["sid"], weights=c["isdigit"], minlength=len(uniq)) > 0
    code = has_digit.astype(np.int64)          # 0 no_digit, 1 has_digit, 2 date_like
    # every alternative of _DATE needs a decimal digit, so only strings with digits are searched
    for i in np.flatnonzero(has_digit).tolist():
        if _DATE.search(uniq[i]):
            code[i] = 2
    m = np.append(code, -1)
    return ["no_digit", "has_digit", "date_like"], m[gs], m[ps]


def _v_position(d: _SliceData):
    flat = d.flat
    ta = token_arrays(flat, d.gold)
    n = len(d.gold)
    fs = np.zeros(n, dtype=np.int64)
    le = np.zeros(n, dtype=np.int64)
    fast = ta.usable & (ta.count > 0)
    if len(ta.start):
        f = ta.first[fast]
        fs[fast] = ta.start[f] - flat.base[fast]
        le[fast] = ta.end[f + ta.count[fast] - 1] - flat.base[fast]
    used = d.used
    for i in used[~fast[used]].tolist():
        e = d.gold[i]
        if e.tokens:
            fs[i] = e.tokens[0].start
            le[i] = e.tokens[-1].end
        else:
            t = e.text
            fs[i] = len(t) - len(t.lstrip())
            le[i] = len(t.rstrip())

    def side(sa: SpanArrays) -> np.ndarray:
        first = sa.start <= fs[sa.ex]
        last = sa.end >= le[sa.ex]
        return np.where(first & last, 0, np.where(first, 1, np.where(last, 2, 3)))
    return ["whole", "first", "last", "middle"], side(flat.gold), side(flat.pred)


def _v_seen(d: _SliceData):
    el = d.ctx.train.entity_labels
    return _per_string(d, lambda s: "seen" if s.lower() in el else "unseen")


def _v_train_overlap(d: _SliceData):
    mentions = d.ctx.train.mentions
    uniq, gs, ps = d.strings
    labels = d.flat.labels
    L = len(labels)
    keys = np.concatenate([gs * L + d.flat.gold.label, ps * L + d.flat.pred.label])
    ukeys, inv = np.unique(keys, return_inverse=True)
    vals = [entity_overlap_group(uniq[k // L], labels[k % L], mentions) for k in ukeys.tolist()]
    names, m, _ = _codes_of(vals, np.arange(len(vals)), np.zeros(0, dtype=np.int64))
    codes = m[inv]
    return names, codes[:len(gs)], codes[len(gs):]


_FREQ_EDGES = [(0, "0"), (1, "1"), (5, "2-5"), (float("inf"), "6+")]


def _v_train_freq(d: _SliceData):
    el = d.ctx.train.entity_labels

    def f(s):
        c = el.get(s.lower())
        return _bucket(sum(c.values()) if c else 0, _FREQ_EDGES)
    return _per_string(d, f)


def _v_consistency(d: _SliceData):
    el = d.ctx.train.entity_labels
    uniq, gs, ps = d.strings
    labels = d.flat.labels
    L = len(labels)
    keys = np.concatenate([gs * L + d.flat.gold.label, ps * L + d.flat.pred.label])
    ukeys, inv = np.unique(keys, return_inverse=True)
    vals = []
    for k in ukeys.tolist():
        c = el.get(uniq[k // L].lower())
        if not c:
            vals.append("unseen")
            continue
        share = c.get(labels[k % L], 0) / sum(c.values())
        vals.append("consistent" if share == 1 else "never_this_label" if share == 0
                    else "ambiguous")
    names, m, _ = _codes_of(vals, np.arange(len(vals)), np.zeros(0, dtype=np.int64))
    codes = m[inv]
    ng = len(gs)
    return names, codes[:ng], codes[ng:]


def _v_oov_share(d: _SliceData):
    vocab = d.ctx.train.vocab

    def f(s):
        w = _words(s)
        if not w:
            return None
        sh = sum(vocab.get(x, 0) == 0 for x in w) / len(w)
        return "0%" if sh == 0 else "100%" if sh == 1 else "1-99%"
    return _per_string(d, f)


_SENT_EDGES = [(10, "1-10"), (20, "11-20"), (40, "21-40"), (float("inf"), "41+")]
_DENS_EDGES = [(0, "0"), (0.1, "(0, 0.1]"), (0.2, "(0.1, 0.2]"), (float("inf"), ">0.2")]


def _v_sent_len(d: _SliceData):
    return _bucket_codes(d.n_tokens, _SENT_EDGES)


def _v_density(d: _SliceData):
    n = d.n_tokens
    if d.flat is not None:
        k = np.bincount(d.flat.gold.ex, minlength=len(d.gold))
    else:
        k = np.fromiter((len(e.spans or ()) for e in d.gold), dtype=np.int64, count=len(d.gold))
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = np.where(n > 0, k / np.where(n > 0, n, 1), 0.0)
    return _bucket_codes(dens, _DENS_EDGES)


def _word_regexes(words: Sequence[str]) -> list[re.Pattern]:
    """One regex per group of words sharing their first two letters (a literal prefix lets
    ``re`` scan fast); each match still needs a non-word character before it."""
    groups: dict[str, list[str]] = defaultdict(list)
    for w in sorted(words, key=len, reverse=True):
        groups[w[:2]].append(w)
    return [re.compile(re.escape(k) + "(?:" + "|".join(re.escape(w[2:]) for w in ws) + r")(?!\w)")
            for k, ws in groups.items()]


_NEG_RX = _word_regexes(sorted(_NEG))
_CON_RX = _word_regexes(sorted(_CONTRAST))
_NT_RX = [re.compile("n't"), re.compile("n’t")]
_WORDCHAR = re.compile(r"\w")


def _examples_with(d: _SliceData, regexes: Sequence[re.Pattern], boundary: bool) -> np.ndarray:
    low, base, idx, _ = d.lowered
    hit = []
    for rx in regexes:
        for m in rx.finditer(low):
            s = m.start()
            if boundary and s and _WORDCHAR.match(low, s - 1):
                continue
            hit.append(s)
    out = np.zeros(len(d.gold), dtype=bool)
    if hit:
        out[idx[np.searchsorted(base, np.asarray(hit, dtype=np.int64), side="right") - 1]] = True
    return out


def _v_negation(d: _SliceData):
    yes = _examples_with(d, _NEG_RX, True) | _examples_with(d, _NT_RX, False)
    return ["no", "yes"], yes.astype(np.int64)


def _v_contrast(d: _SliceData):
    yes = _examples_with(d, _CON_RX, True)
    _, _, idx, special = d.lowered
    for i in idx[special].tolist():   # words of the original text differ there
        yes[i] = _contrast(d.gold[i]) == "yes"
    return ["no", "yes"], yes.astype(np.int64)


_VECTORIZED = {
    "entity_length_tokens": _v_len_tokens, "entity_length_chars": _v_len_chars,
    "capitalization": _v_caps, "position": _v_position, "seen_in_train": _v_seen,
    "train_overlap": _v_train_overlap,
    "train_frequency": _v_train_freq, "label_consistency": _v_consistency,
    "oov_share": _v_oov_share, "shape": _v_shape, "sentence_length": _v_sent_len,
    "entity_density": _v_density, "negation": _v_negation, "contrast": _v_contrast,
}
for _name, _fn in _VECTORIZED.items():
    _REGISTRY[_name].vectorized = _fn
del _name, _fn


# --------------------------------------------------------------------------
# slice codes, tables and the bootstrap
# --------------------------------------------------------------------------

def _unify(raw: list, gc: np.ndarray, pc: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Codes into *raw* values (-1: None, shown as ``"n/a"``) to codes into the ordered
    slice names actually used (names as :func:`_binned` writes them)."""
    raw = [NA if v is None else v for v in raw] + [NA]
    na = len(raw) - 1
    gc = np.where(gc < 0, na, gc)
    pc = np.where(pc < 0, na, pc)
    used = np.flatnonzero(np.bincount(np.concatenate([gc, pc]), minlength=len(raw)))
    names = _order_values({str(raw[u]) for u in used.tolist()})
    pos = {v: i for i, v in enumerate(names)}
    remap = np.full(len(raw), -1, dtype=np.int64)
    for u in used.tolist():
        remap[u] = pos[str(raw[u])]
    return names, remap[gc], remap[pc]


def _factorize(values: np.ndarray) -> tuple[list, np.ndarray]:
    code: dict[Any, int] = {}
    sd = code.setdefault
    c = np.fromiter((sd(v, len(code)) for v in values.tolist()), dtype=np.int64,
                    count=len(values))
    return list(code), c


def _check_train(att: SliceAttribute, ctx: SliceContext) -> None:
    if att.needs_train and ctx.train is None:
        raise InputError(Errors.E506.format(name=att.name, what="training data",
                                            hint="pass train=... (CLI: --train)."))


def _ner_codes(att: SliceAttribute, d: _SliceData, bins: Any, *, reference: bool = False
               ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Ordered slice names and the slice code of every gold / predicted entity.

    Built-ins use their vectorized twins; user functions (and ``reference=True``)
    are called per entity / example.
    """
    _check_train(att, d.ctx)
    g, p = d.flat.gold, d.flat.pred
    if att.vectorized is not None and not reference:
        if att.level == "entity":
            raw, gc, pc = att.vectorized(d)
            pm = d.tax.pred_match
            fix = (pc < 0) & (pm >= 0)
            if fix.any():   # None for a prediction: the matched gold entity's value
                pc = pc.copy()
                pc[fix] = gc[pm[fix]]
        else:
            raw, ev = att.vectorized(d)
            gc, pc = ev[g.ex], ev[p.ex]
        return _unify(raw, gc, pc)
    b = bins if bins is not None else att.bins
    if att.level == "entity":
        gv, pv = _entity_values(att, d.gold, d.pred, d.tax, d.ctx, b)
    else:
        ev = _example_values(att, d.gold, d.pred, d.ctx, b)
        gv, pv = ev[g.ex], ev[p.ex]
    raw, c = _factorize(np.concatenate([gv, pv]))
    return _unify(raw, c[:len(gv)], c[len(gv):])


def _ner_slice_counts(d: _SliceData, K: int, gc: np.ndarray, pc: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The counts a slice table is made of: ``tot`` (K + 1 rows: each slice, then all;
    columns exact gold, gold, exact predicted, predicted) and the taxonomy rows per
    slice and category (rows attributed to the gold value, else the predicted one).
    Plain counts: those of shards add up (:class:`~nlperr.analysis.partial.SliceCounts`)."""
    tax = d.tax
    eg = tax.exact_gold.astype(np.float64)
    ep = tax.exact_pred.astype(np.float64)
    tot = np.zeros((K + 1, 4))
    tot[:K, 0] = np.bincount(gc, weights=eg, minlength=K)
    tot[:K, 1] = np.bincount(gc, minlength=K)
    tot[:K, 2] = np.bincount(pc, weights=ep, minlength=K)
    tot[:K, 3] = np.bincount(pc, minlength=K)
    tot[K] = [eg.sum(), len(gc), ep.sum(), len(pc)]
    rv = np.where(tax.row_g >= 0, gc[np.maximum(tax.row_g, 0)] if len(gc) else 0,
                  pc[np.maximum(tax.row_p, 0)] if len(pc) else 0)
    cnt = np.bincount(rv * len(CATEGORIES) + tax.row_cat,
                      minlength=K * len(CATEGORIES)).reshape(K, len(CATEGORIES))
    return tot, cnt


def _ner_table_from_counts(attribute: str, names: list[str], tot: np.ndarray, cnt: np.ndarray,
                           *, zero_division=0.0) -> pd.DataFrame:
    """Slice table without CIs from the counts of :func:`_ner_slice_counts`."""
    K = len(names)
    prec = safe_divide(tot[:, 2], tot[:, 3], zero_division, warn_undefined=False)
    rec = safe_divide(tot[:, 0], tot[:, 1], zero_division, warn_undefined=False)
    f1 = f1_from(prec, rec)
    # exact check: with strict matching F1 = (tp_gold + tp_pred) / (n_gold + n_pred)
    p_exact = binom_cdf((tot[:K, 0] + tot[:K, 2]).round().astype(np.int64),
                        (tot[:K, 1] + tot[:K, 3]).round().astype(np.int64), f1[K])
    cols = {
        "attribute": attribute, "value": names,
        "support": tot[:K, 1].astype(np.int64), "predicted": tot[:K, 3].astype(np.int64),
        "precision": prec[:K], "recall": rec[:K], "f1": f1[:K],
        "delta": f1[:K] - f1[K], "ci_low": np.nan, "ci_high": np.nan, "p_exact": p_exact,
        "p_worse": np.nan,
    }
    for c, name in enumerate(CATEGORIES):
        cols[name] = cnt[:, c]
    cols["worse"] = False
    df = pd.DataFrame(cols)   # all columns at once: adding columns one by one is slow
    df.attrs["overall"] = {"precision": float(prec[K]), "recall": float(rec[K]),
                           "f1": float(f1[K])}
    return df


def _ner_table(d: _SliceData, att: SliceAttribute, names: list[str], gc: np.ndarray,
               pc: np.ndarray, *, zero_division=0.0) -> pd.DataFrame:
    """Slice table without CIs from the slice codes of the gold / predicted entities."""
    tot, cnt = _ner_slice_counts(d, len(names), gc, pc)
    return _ner_table_from_counts(att.name, names, tot, cnt, zero_division=zero_division)


def _ner_f1(T: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        # as the point estimate (zero_division 0): an undefined precision or recall
        # counts 0; F1 is undefined only for a slice empty in the replicate
        P = np.where(T[..., 3] > 0, T[..., 2] / T[..., 3], 0.0)
        R = np.where(T[..., 1] > 0, T[..., 0] / T[..., 1], 0.0)
        F = np.where((P + R) == 0, 0.0, 2 * P * R / (P + R))
    return np.where(T[..., 1] + T[..., 3] > 0, F, np.nan)


def _accuracy(T: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return T[..., 0] / T[..., 1]


def _rng(seed: int | None, name: str) -> np.random.Generator:
    """The bootstrap stream of one attribute: the same in :func:`slice_table` and
    :func:`worst_slices`, whatever the other attributes."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


_MAX_CELLS = 1 << 22   # dense per-example statistics up to this size, else the sparse path


def _group_rows(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct rows of the integer matrix *M*: (first index, inverse, counts).

    Rows are hashed (random multipliers, arithmetic mod 2**64) and the grouping is
    checked row by row; on a collision ``np.unique(axis=0)`` decides.
    """
    r = np.random.default_rng(0x5EED).integers(1, 2 ** 63, size=M.shape[1],
                                               dtype=np.uint64) | np.uint64(1)
    keys = np.zeros(len(M), dtype=np.uint64)
    for j in range(M.shape[1]):
        keys += M[:, j].astype(np.uint64) * r[j]
    _, first, inv, cnt = np.unique(keys, return_index=True, return_inverse=True,
                                   return_counts=True)
    if not np.array_equal(M[first][inv], M):
        _, first, inv, cnt = np.unique(M, axis=0, return_index=True, return_inverse=True,
                                       return_counts=True)
    return first, inv.reshape(-1), cnt


def _boot_grouped(ex: list[np.ndarray], code: list[np.ndarray], w: list[np.ndarray], K: int,
                  m: int, score: Callable, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap deltas (slice - overall), shape (n_boot, K), with Poisson(1) weights per
    example, drawn per group of examples with identical statistics.

    Statistic *s* of slice *k* in example *i* is the sum of ``w[s]`` over the items
    with ``ex[s] == i`` and ``code[s] == k`` (*m* examples, compact indices).  The
    weights of a group of ``c`` examples with equal statistics add up to a
    Poisson(``c``) variable, so drawing one per group is exactly the Poisson
    bootstrap over examples -- and costs ``n_boot x groups``, not ``n_boot x examples``.
    """
    c = len(ex)
    if m * K * c <= _MAX_CELLS:
        M = np.zeros((m, K, c), dtype=np.int64)
        for s in range(c):
            M[:, :, s] = np.bincount(ex[s] * K + code[s], weights=w[s],
                                     minlength=m * K).reshape(m, K).round()
        M = M.reshape(m, K * c)
        first, _, cnt = _group_rows(M)
        P = M[first].astype(np.float64)
        G = len(first)
        step = max(1, min(n_boot, (1 << 20) // max(G, 1)))  # draws of ~8 MB at a time
        out = []
        done = 0
        while done < n_boot:
            b = min(step, n_boot - done)
            Wg = poisson_draws(rng, cnt, b)
            T = (Wg @ P).reshape(b, K, c)
            out.append(T)
            done += b
        T = np.concatenate(out, axis=0)
    else:
        # many slices: per-example weights, sums per slice by sorting items by slice
        T = np.zeros((n_boot, K, c))
        step = max(1, min(n_boot, (1 << 22) // max(m, 1)))
        orders = [np.argsort(code[s], kind="stable") for s in range(c)]
        done = 0
        while done < n_boot:
            b = min(step, n_boot - done)
            W = poisson_draws(rng, np.ones(m), b)
            for s in range(c):
                o = orders[s]
                cs = code[s][o]
                if not len(cs):
                    continue
                starts = np.flatnonzero(np.r_[True, cs[1:] != cs[:-1]])
                vals = W[:, ex[s][o]] * w[s][o]
                T[done:done + b, cs[starts], s] = np.add.reduceat(vals, starts, axis=1)
            done += b
    full = np.concatenate([T, T.sum(axis=1, keepdims=True)], axis=1)
    F = score(full)
    return F[:, :K] - F[:, K:K + 1]


def _ner_ci(d: _SliceData, gc: np.ndarray, pc: np.ndarray, K: int, n_boot: int,
            rng: np.random.Generator):
    n = len(d.gold)
    nan = (np.full(K, np.nan),) * 3
    if not n_boot or n <= 1 or K == 0:
        return nan
    g, p = d.flat.gold, d.flat.pred
    used = d.used
    m = len(used)
    cg = d.get("cg", lambda: np.searchsorted(used, g.ex))
    cp = d.get("cp", lambda: np.searchsorted(used, p.ex))
    eg, ep = d.tax.exact_gold.astype(np.float64), d.tax.exact_pred.astype(np.float64)
    D = _boot_grouped([cg, cg, cp, cp], [gc, gc, pc, pc],
                      [eg, np.ones(len(gc)), ep, np.ones(len(pc))], K, m, _ner_f1, n_boot, rng)
    return _summarize(D)


def _fill_ci(df: pd.DataFrame, ci: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pd.DataFrame:
    lo, hi, pw = ci
    df["ci_low"] = lo
    df["ci_high"] = hi
    df["p_worse"] = _combine(pw, df["p_exact"].to_numpy())
    df["worse"] = (df["ci_high"] < 0) & (df["p_exact"] < 0.025)
    return df


def _combine(p_boot: np.ndarray, p_exact: np.ndarray) -> np.ndarray:
    """The larger (more conservative) of the bootstrap and the exact one-sided p-values.

    The bootstrap accounts for items clustered in examples; the exact binomial
    test protects small slices, where every replicate of a slice with no hit
    scores 0 and the bootstrap alone would call the slice certainly worse.
    Without bootstrap replicates the exact p-value is used alone.
    """
    p_boot = np.asarray(p_boot, dtype=np.float64)
    p_exact = np.asarray(p_exact, dtype=np.float64)
    return np.where(np.isnan(p_boot), p_exact, np.fmax(p_boot, p_exact))


def _summarize(D: np.ndarray):
    """Percentile CI and one-sided p-value per column of the deltas *D* (NaN ignored)."""
    valid = ~np.isnan(D)
    nv = valid.sum(axis=0)
    # NaN sorts last: the valid values of each column come first, in order
    S = np.sort(D, axis=0)
    lo = np.full(D.shape[1], np.nan)
    hi = np.full(D.shape[1], np.nan)
    for j in np.flatnonzero(nv).tolist():
        col = S[:nv[j], j]
        lo[j], hi[j] = np.percentile(col, [2.5, 97.5])
    pw = ((np.nan_to_num(D, nan=-np.inf) >= 0).sum(axis=0) + 1) / (nv + 1)
    return lo, hi, np.where(nv > 0, pw, np.nan)


def _cls_codes(att: SliceAttribute, d: _SliceData, bins: Any, *, reference: bool = False
               ) -> tuple[list[str], np.ndarray]:
    _check_train(att, d.ctx)
    if att.vectorized is not None and att.level == "example" and not reference:
        raw, ev = att.vectorized(d)
    else:
        vals = _example_values(att, d.gold, d.pred, d.ctx, bins if bins is not None else att.bins)
        raw, ev = _factorize(vals)
    names, c, _ = _unify(raw, ev, np.zeros(0, dtype=np.int64))
    return names, c


def _cls_slice_counts(ca, K: int, c: np.ndarray) -> np.ndarray:
    """``tot`` (K + 1 rows: each slice, then all; columns correct, examples): the
    counts a classification slice table is made of (shards' counts add up)."""
    corr = ca.correct.astype(np.float64)
    tot = np.zeros((K + 1, 2))
    tot[:K, 0] = np.bincount(c, weights=corr, minlength=K)
    tot[:K, 1] = np.bincount(c, minlength=K)
    tot[K] = [corr.sum(), len(c)]
    return tot


def _cls_table_from_counts(attribute: str, names: list[str], tot: np.ndarray) -> pd.DataFrame:
    K = len(names)
    acc = _accuracy(tot)
    p_exact = binom_cdf(tot[:K, 0].round().astype(np.int64), tot[:K, 1].round().astype(np.int64),
                        acc[K])
    df = pd.DataFrame({"attribute": attribute, "value": names,
                       "support": tot[:K, 1].astype(np.int64),
                       "accuracy": acc[:K], "errors": (tot[:K, 1] - tot[:K, 0]).astype(np.int64),
                       "delta": acc[:K] - acc[K], "ci_low": np.nan, "ci_high": np.nan,
                       "p_exact": p_exact, "p_worse": np.nan, "worse": False})
    df.attrs["overall"] = {"accuracy": float(acc[K])}
    return df


def _cls_table(att: SliceAttribute, ca, names: list[str], c: np.ndarray) -> pd.DataFrame:
    return _cls_table_from_counts(att.name, names, _cls_slice_counts(ca, len(names), c))


def _cls_ci(ca, c: np.ndarray, K: int, n_boot: int, rng: np.random.Generator):
    n = len(c)
    if not n_boot or n <= 1 or K == 0:
        return (np.full(K, np.nan),) * 3
    ex = np.arange(n)
    D = _boot_grouped([ex, ex], [c, c], [ca.correct.astype(np.float64), np.ones(n)], K, n,
                      _accuracy, n_boot, rng)
    return _summarize(D)


def _one_blas_thread():
    """The bootstrap's matrix products are small (replicates x groups x statistics): one
    BLAS thread is faster than several, and far faster on a busy machine where threads
    wait for each other.  Applied with threadpoolctl when it is installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _tables(gold: list, pred: list, task: str, attributes: Sequence[str], st: TrainStats | None,
            *, bins: Any = None, n_boot: int = 1000, seed: int | None = 0,
            tax: Taxonomy | None = None, reference: bool = False) -> dict[str, pd.DataFrame]:
    """Slice tables with CIs of several attributes (computed data shared between them)."""
    with _one_blas_thread():
        return _tables_impl(gold, pred, task, attributes, st, bins=bins, n_boot=n_boot,
                            seed=seed, tax=tax, reference=reference)


def _tables_impl(gold, pred, task, attributes, st, *, bins, n_boot, seed, tax, reference):
    ctx = SliceContext(train=st)
    out: dict[str, pd.DataFrame] = {}
    if task == "ner":
        if tax is None:
            tax = taxonomy(flatten_pair(gold, pred))
        d = _SliceData(gold, pred, tax, ctx)
        for a in attributes:
            att = _get_attribute(a)
            names, gc, pc = _ner_codes(att, d, bins, reference=reference)
            df = _ner_table(d, att, names, gc, pc)
            out[a] = _fill_ci(df, _ner_ci(d, gc, pc, len(names), n_boot, _rng(seed, a)))
    else:
        ca = class_arrays(gold, pred)
        d = _SliceData(gold, pred, None, ctx)
        for a in attributes:
            att = _get_attribute(a)
            names, c = _cls_codes(att, d, bins, reference=reference)
            df = _cls_table(att, ca, names, c)
            out[a] = _fill_ci(df, _cls_ci(ca, c, len(names), n_boot, _rng(seed, a)))
    return out


def _task_of(gold: Sequence[Example], task: str | None) -> str:
    if task is not None:
        if task not in ("ner", "classification"):
            raise InputError(Errors.E207.format(value=task, option="task",
                                                allowed="'ner', 'classification'"))
        return task
    return "classification" if gold and gold[0].spans is None and gold[0].label is not None \
        else "ner"


def slice_table(gold: Sequence[Example], pred: Sequence[Example], attribute: str, *,
                train: Sequence[Example] | TrainStats | None = None, task: str | None = None,
                bins: Any = None, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Scores per value of one slice attribute, with bootstrap deltas vs overall.

    Parameters
    ----------
    gold, pred : sequence of Example
    attribute : str
        A registered name (:func:`slice_attributes`), ``"meta:KEY"`` or
        ``"span_meta:KEY"``.
    train : sequence of Example or TrainStats, optional
        Training data for train-based attributes.
    task : {"ner", "classification"}, optional
        Default: classification when the gold examples have labels and no spans.
    bins : int or sequence of float, optional
        Bucketing of numeric values (overrides the registered default).
    n_boot : int, default 1000
        Bootstrap replicates (0 disables CIs).
    seed : int, default 0

    Returns
    -------
    DataFrame
        NER: ``attribute``, ``value``, ``support`` (gold entities), ``predicted``,
        ``precision``, ``recall``, ``f1``, ``delta`` (f1 - overall f1), ``ci_low``,
        ``ci_high``, ``p_exact``, ``p_worse``, one count column per taxonomy
        category, ``worse`` (see the module docs).
        Classification: ``attribute``, ``value``, ``support``, ``accuracy``,
        ``errors``, ``delta``, ``ci_low``, ``ci_high``, ``p_exact``, ``p_worse``,
        ``worse``.
        Overall scores are in ``df.attrs["overall"]``.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["Ann", "met", "Bob", "Smith"], ["B-PER", "O", "B-PER", "I-PER"])]
    >>> p = [Example.from_tokens(["Ann", "met", "Bob", "Smith"], ["B-PER", "O", "B-PER", "O"])]
    >>> slice_table(g, p, "entity_length_tokens", n_boot=0)[["value", "support", "predicted", "recall"]].values.tolist()
    [['1', 1, 2, 1.0], ['2', 1, 0, 0.0]]
    """
    gold = list(gold)
    pred = list(pred)
    att = _get_attribute(attribute)
    task = _task_of(gold, task)
    if att.task not in (task, "any"):
        raise InputError(Errors.E506.format(name=attribute, what=f"task {att.task!r}",
                                            hint=f"it does not apply to {task} data."))
    st = train_stats(train) if train is not None and not isinstance(train, TrainStats) else train
    return _tables(gold, pred, task, [attribute], st, bins=bins, n_boot=n_boot,
                   seed=seed)[attribute]


def worst_slices(gold: Sequence[Example], pred: Sequence[Example], *,
                 attributes: Sequence[str] | None = None,
                 train: Sequence[Example] | TrainStats | None = None, task: str | None = None,
                 n_boot: int = 1000, seed: int = 0, alpha: float = 0.05, min_support: int = 10,
                 tables: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    """Search all attributes for slices worse than overall, with BH control.

    Parameters
    ----------
    attributes : sequence of str, optional
        Default: every registered attribute for the task (train-based ones only
        when *train* is given).
    min_support : int, default 10
        Slices with fewer gold items are not tested (``q_value`` NaN).
    alpha : float, default 0.05
        False discovery rate for ``significant``.
    tables : dict, optional
        Precomputed :func:`slice_table` outputs to reuse.

    Returns
    -------
    DataFrame
        Every slice row of every attribute (as :func:`slice_table`) plus
        ``q_value`` (Benjamini-Hochberg over the tested slices) and
        ``significant`` (``q_value <= alpha`` and delta < 0).  Sorted so that what
        deserves a look comes first: significant slices, then the other tested
        slices, then the untested ones (support below *min_support*, e.g. slices
        holding only predictions), each group by ``delta`` (worst first).
    """
    gold = list(gold)
    pred = list(pred)
    task = _task_of(gold, task)
    if tables is None:
        tables = _worst_tables(gold, pred, task, attributes, train, n_boot, seed)
    return _rank_slices(tables, alpha, min_support)


def _worst_tables(gold: list, pred: list, task: str, attributes: Sequence[str] | None,
                  train: Sequence[Example] | TrainStats | None, n_boot: int, seed: int | None,
                  tax: Taxonomy | None = None) -> dict[str, pd.DataFrame]:
    if attributes is None:
        attributes = default_slices(task, train=train is not None)
    st = train_stats(train) if train is not None and not isinstance(train, TrainStats) else train
    return _tables(gold, pred, task, attributes, st, n_boot=n_boot, seed=seed, tax=tax)


def _rank_slices(tables: dict[str, pd.DataFrame], alpha: float, min_support: int
                 ) -> pd.DataFrame:
    frames = [t for t in tables.values() if len(t)]
    if not frames:
        return pd.DataFrame()
    df = pd.concat(frames, ignore_index=True)
    tested = (df["support"] >= min_support) & df["p_worse"].notna()
    q = np.full(len(df), np.nan)
    q[tested.to_numpy()] = benjamini_hochberg(df.loc[tested, "p_worse"].to_numpy())
    df["q_value"] = q
    df["significant"] = (df["q_value"] <= alpha) & (df["delta"] < 0)
    rank = np.where(df["significant"], 0, np.where(tested, 1, 2))
    return (df.assign(_rank=rank)
              .sort_values(["_rank", "delta", "attribute", "value"], kind="mergesort")
              .drop(columns="_rank").reset_index(drop=True))
