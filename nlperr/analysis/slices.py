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
bootstrap CI from resampling examples (``n_boot`` replicates, ``seed``), all
replicates at once as a matrix product.  The bootstrap alone is degenerate
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
"""

from __future__ import annotations

import bisect
import math

import inspect
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data import Example, Span
from ..errors import Errors, InputError
from ._arrays import flatten_pair
from ._stats import benjamini_hochberg, binom_cdf, bootstrap_weights, f1_from, safe_divide
from .classification import class_arrays
from .matching import CATEGORIES, Taxonomy, taxonomy

__all__ = ["register_slice", "unregister_slice", "slice_attributes", "slice_table",
           "worst_slices", "SliceContext", "TrainStats", "train_stats", "span_meta", "NA"]

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


_REGISTRY: dict[str, SliceAttribute] = {}


def _nargs(fn: Callable) -> int:
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
    """Remove a registered slice attribute."""
    _REGISTRY.pop(name, None)


def slice_attributes(task: str | None = None) -> dict[str, str]:
    """Registered attributes ``{name: description}`` (optionally for one task)."""
    return {k: a.description for k, a in _REGISTRY.items()
            if task is None or a.task in (task, "any")}


def span_meta(key: str) -> Callable:
    """An entity-level attribute reading ``span.meta[key]`` (None when absent).

    >>> register_slice("led", span_meta("LED"), bins=[0, 0.0001, 0.1, 0.3, 1.0])  # doctest: +ELLIPSIS
    <function ...>
    >>> unregister_slice("led")
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


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def train_stats(train: Sequence[Example]) -> TrainStats:
    """Word and entity-surface statistics of training examples."""
    st = TrainStats()
    ents: dict[str, Counter] = defaultdict(Counter)
    for e in train:
        st.vocab.update(_words(e.text))
        for s in e.spans or ():
            ents[e.text[s.start:s.end].lower()][s.label] += 1
    st.entity_labels = dict(ents)
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


def _register_builtins() -> None:
    r = register_slice
    r("entity_length_tokens", _ent_len_tokens, description="entity length in tokens")
    r("entity_length_chars", _ent_len_chars, description="entity length in characters")
    r("capitalization", _caps, description="all_upper / title / lower / mixed / no_letters")
    r("position", _position, description="entity position in the sentence")
    r("seen_in_train", _seen, needs_train=True, description="entity surface seen in train")
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


_register_builtins()


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


def _binned(values: list, bins: Any) -> np.ndarray:
    """Values to slice names (strings); numeric values bucketed when *bins* is given or
    when there are many distinct values."""
    arr = pd.Series(values, dtype=object)
    isnum = arr.map(lambda v: isinstance(v, (int, float, np.integer, np.floating))
                    and not isinstance(v, bool))
    out = arr.map(lambda v: NA if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    num = arr[isnum & arr.notna()].astype(float)
    num = num[~np.isnan(num)]
    if len(num) and (bins is not None or num.nunique() > 8):
        b = bins if bins is not None else 4
        if isinstance(b, int):
            cut = pd.qcut(num, q=b, duplicates="drop")
            out.loc[num.index] = cut.astype(str).replace("nan", NA)
        else:
            out.loc[num.index] = [bucket_label(v, b) for v in num.to_numpy()]
    return out.to_numpy(dtype=object)


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


def _ner_table(gold, pred, tax: Taxonomy, att: SliceAttribute, ctx: SliceContext, *,
               bins=None, zero_division=0.0) -> tuple[pd.DataFrame, np.ndarray]:
    """Slice table without CIs, and the per-example statistics S (n, K + 1, 4)."""
    flat = tax.flat
    g, p = flat.gold, flat.pred
    if att.level == "entity":
        gv, pv = _entity_values(att, gold, pred, tax, ctx, bins if bins is not None else att.bins)
    else:
        ev = _example_values(att, gold, pred, ctx, bins if bins is not None else att.bins)
        gv, pv = ev[g.ex], ev[p.ex]
    names = _order_values(set(gv.tolist()) | set(pv.tolist()))
    code = {v: i for i, v in enumerate(names)}
    K = len(names)
    gc = np.fromiter((code[v] for v in gv), dtype=np.int64, count=len(gv))
    pc = np.fromiter((code[v] for v in pv), dtype=np.int64, count=len(pv))
    n = flat.n_examples
    # per-example sufficient stats: [tp_gold, n_gold, tp_pred, n_pred]
    size = n * (K + 1) * 4
    acc = np.zeros(size, dtype=np.float64)
    for slot_g, slot_p in ((gc, pc), (np.full(len(gc), K), np.full(len(pc), K))):
        base_g = (g.ex * (K + 1) + slot_g) * 4
        base_p = (p.ex * (K + 1) + slot_p) * 4
        acc += np.bincount(base_g, weights=tax.exact_gold.astype(float), minlength=size)
        acc += np.bincount(base_g + 1, minlength=size)
        acc += np.bincount(base_p + 2, weights=tax.exact_pred.astype(float), minlength=size)
        acc += np.bincount(base_p + 3, minlength=size)
    S = acc.reshape(n, K + 1, 4)
    tot = S.sum(axis=0)
    prec = safe_divide(tot[:, 2], tot[:, 3], zero_division, warn_undefined=False)
    rec = safe_divide(tot[:, 0], tot[:, 1], zero_division, warn_undefined=False)
    f1 = f1_from(prec, rec)
    # error counts per category: rows attributed to the gold value, else the pred value
    rv = np.where(tax.row_g >= 0, gc[np.maximum(tax.row_g, 0)] if len(gc) else 0,
                  pc[np.maximum(tax.row_p, 0)] if len(pc) else 0)
    cnt = np.zeros((K, len(CATEGORIES)), dtype=np.int64)
    np.add.at(cnt, (rv, tax.row_cat), 1)
    # exact check: with strict matching F1 = (tp_gold + tp_pred) / (n_gold + n_pred)
    p_exact = binom_cdf((tot[:K, 0] + tot[:K, 2]).round().astype(np.int64),
                        (tot[:K, 1] + tot[:K, 3]).round().astype(np.int64), f1[K])
    df = pd.DataFrame({
        "attribute": att.name, "value": names,
        "support": tot[:K, 1].astype(np.int64), "predicted": tot[:K, 3].astype(np.int64),
        "precision": prec[:K], "recall": rec[:K], "f1": f1[:K],
        "delta": f1[:K] - f1[K], "ci_low": np.nan, "ci_high": np.nan, "p_exact": p_exact,
        "p_worse": np.nan,
    })
    for c, name in enumerate(CATEGORIES):
        df[name] = cnt[:, c]
    df["worse"] = False
    df.attrs["overall"] = {"precision": float(prec[K]), "recall": float(rec[K]),
                           "f1": float(f1[K])}
    return df, S


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


def _joint_bootstrap(blocks: list[tuple[np.ndarray, Callable]], n: int, n_boot: int,
                     seed: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Bootstrap deltas (slice - overall) of several slice tables with one set of replicates.

    Each block is ``(S, score)`` with ``S`` of shape (n, K + 1, c) -- per-example
    statistics of K slices and, last, of everything -- and ``score`` mapping
    summed statistics (..., K + 1, c) to scores (..., K + 1).  One matrix product
    per chunk of replicates serves every block (the weights are the costly part).
    """
    empty = [(np.full(S.shape[1] - 1, np.nan),) * 3 for S, _ in blocks]
    if not blocks or not n_boot or n <= 1:
        return empty
    live = [i for i, (S, _) in enumerate(blocks) if S.shape[1] > 1]
    if not live:
        return empty
    # (width, n) row-major times W.T: measured far faster and steadier than W @ (n, width)
    big_t = np.ascontiguousarray(np.concatenate([blocks[i][0].reshape(n, -1) for i in live],
                                                axis=1).T, dtype=np.float32)
    ds: dict[int, list[np.ndarray]] = {i: [] for i in live}
    for W in bootstrap_weights(n, n_boot, seed):
        T_all = (big_t @ W.T).T.astype(np.float64)
        off = 0
        for i in live:
            S, score = blocks[i]
            k1, c = S.shape[1], S.shape[2]
            F = score(T_all[:, off:off + k1 * c].reshape(-1, k1, c))
            off += k1 * c
            ds[i].append(F[:, :k1 - 1] - F[:, k1 - 1:k1])
    out = list(empty)
    for i in live:
        out[i] = _summarize(np.concatenate(ds[i], axis=0))
    return out


def _fill_ci(df: pd.DataFrame, ci: tuple[np.ndarray, np.ndarray, np.ndarray]) -> pd.DataFrame:
    lo, hi, pw = ci
    df["ci_low"] = lo
    df["ci_high"] = hi
    df["p_worse"] = _combine(pw, df["p_exact"].to_numpy())
    df["worse"] = (df["ci_high"] < 0) & (df["p_exact"] < 0.025)
    return df


def ner_slice_table(gold, pred, tax: Taxonomy, att: SliceAttribute, ctx: SliceContext, *,
                    bins=None, n_boot=1000, seed=0, zero_division=0.0) -> pd.DataFrame:
    df, S = _ner_table(gold, pred, tax, att, ctx, bins=bins, zero_division=zero_division)
    return _fill_ci(df, _joint_bootstrap([(S, _ner_f1)], S.shape[0], n_boot, seed)[0])


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
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanpercentile(D, 2.5, axis=0)
        hi = np.nanpercentile(D, 97.5, axis=0)
    valid = (~np.isnan(D)).sum(axis=0)
    pw = ((np.nan_to_num(D, nan=-np.inf) >= 0).sum(axis=0) + 1) / (valid + 1)
    return lo, hi, np.where(valid > 0, pw, np.nan)


def _cls_table(gold, pred, ca, att: SliceAttribute, ctx: SliceContext, *, bins=None
               ) -> tuple[pd.DataFrame, np.ndarray]:
    ev = _example_values(att, gold, pred, ctx, bins if bins is not None else att.bins)
    names = _order_values(set(ev.tolist()))
    code = {v: i for i, v in enumerate(names)}
    K = len(names)
    c = np.fromiter((code[v] for v in ev), dtype=np.int64, count=len(ev))
    n = len(ev)
    S = np.zeros((n, K + 1, 2))
    corr = ca.correct.astype(float)
    S[np.arange(n), c, 0] = corr
    S[np.arange(n), c, 1] = 1
    S[:, K, 0] = corr
    S[:, K, 1] = 1
    tot = S.sum(axis=0)
    acc = _accuracy(tot)
    p_exact = binom_cdf(tot[:K, 0].round().astype(np.int64), tot[:K, 1].round().astype(np.int64),
                        acc[K])
    df = pd.DataFrame({"attribute": att.name, "value": names,
                       "support": tot[:K, 1].astype(np.int64),
                       "accuracy": acc[:K], "errors": (tot[:K, 1] - tot[:K, 0]).astype(np.int64),
                       "delta": acc[:K] - acc[K], "ci_low": np.nan, "ci_high": np.nan,
                       "p_exact": p_exact, "p_worse": np.nan})
    df["worse"] = False
    df.attrs["overall"] = {"accuracy": float(acc[K])}
    return df, S


def cls_slice_table(gold, pred, ca, att: SliceAttribute, ctx: SliceContext, *, bins=None,
                    n_boot=1000, seed=0) -> pd.DataFrame:
    df, S = _cls_table(gold, pred, ca, att, ctx, bins=bins)
    return _fill_ci(df, _joint_bootstrap([(S, _accuracy)], S.shape[0], n_boot, seed)[0])


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
    ctx = SliceContext(train=st)
    if task == "classification":
        ca = class_arrays(gold, pred)
        return cls_slice_table(gold, pred, ca, att, ctx, bins=bins, n_boot=n_boot, seed=seed)
    tax = taxonomy(flatten_pair(gold, pred))
    return ner_slice_table(gold, pred, tax, att, ctx, bins=bins, n_boot=n_boot, seed=seed)


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
        if attributes is None:
            attributes = [k for k, a in _REGISTRY.items() if a.task in (task, "any")
                          and (train is not None or not a.needs_train)]
        st = train_stats(train) if train is not None and not isinstance(train, TrainStats) \
            else train
        tables = {}
        blocks = []
        if task == "ner":
            tax = taxonomy(flatten_pair(gold, pred))
            for a in attributes:
                tables[a], S = _ner_table(gold, pred, tax, _get_attribute(a),
                                          SliceContext(train=st))
                blocks.append((S, _ner_f1))
        else:
            ca = class_arrays(gold, pred)
            for a in attributes:
                tables[a], S = _cls_table(gold, pred, ca, _get_attribute(a),
                                          SliceContext(train=st))
                blocks.append((S, _accuracy))
        # one set of bootstrap replicates for every attribute (same seed as slice_table)
        for a, ci in zip(attributes, _joint_bootstrap(blocks, len(gold), n_boot, seed)):
            _fill_ci(tables[a], ci)
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
