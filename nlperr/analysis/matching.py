"""Span matching and the NER error taxonomy (vectorized).

Matching rule (one-to-one, by maximum overlap)
----------------------------------------------
Every overlapping (gold, predicted) pair is an *edge* weighted by the number
of characters the two spans share.  Edges are ranked by overlap (larger
first), then same label before different label, then gold position, then
predicted position; the matching takes edges greedily in that order, skipping
an edge when either end is already matched.  Each gold and each predicted span
is therefore in at most one matched pair, and a pair is never counted twice.
(Implemented as rounds of "mutually best edge" selection over flat arrays,
which gives exactly the greedy result.)

Taxonomy (one row per matched pair, unmatched gold or unmatched prediction)
--------------------------------------------------------------------------
``correct``        same boundaries, same label
``type``           same boundaries, other label
``boundary``       overlapping, same label, other boundaries (``boundary_kind``:
                   ``too_long`` prediction contains the gold span, ``too_short``
                   prediction inside it, ``shifted`` otherwise)
``type_boundary``  overlapping, other label and other boundaries
``missed``         gold span that no prediction overlaps
``spurious``       prediction that overlaps no gold span
``merged``         one prediction overlaps >= 2 gold spans: the pair it is matched
                   in and every other gold span it covers (those are unmatched)
``split``          >= 2 predictions overlap one gold span: the matched pair and
                   every other prediction inside the gold span (unmatched)

``merged`` takes precedence over ``split`` when a prediction both merges and
is part of a split (chains of partial overlaps).  Hence every gold span
appears in exactly one row and so does every prediction: per category, rows
with a gold span add up to the number of gold spans and rows with a
prediction to the number of predictions (see :func:`error_counts`).

Predictions that overlap a gold ``Example.missing`` range (tag ``-``) are
ignored before matching (warning W502).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import Example
from ._arrays import (Flat, Pairs, entity_texts, flatten_pair, joined_text,
                      overlap_pairs, token_arrays)

__all__ = ["CATEGORIES", "BOUNDARY_KINDS", "entity_errors", "error_counts", "match_spans"]

CATEGORIES = ("correct", "type", "boundary", "type_boundary", "missed", "spurious", "merged",
              "split")
BOUNDARY_KINDS = ("", "too_long", "too_short", "shifted")
_C = {name: i for i, name in enumerate(CATEGORIES)}


@dataclass
class Taxonomy:
    """Rows of the error taxonomy as arrays (indices into the flat gold / pred spans)."""

    flat: Flat
    pairs: Pairs
    gold_match: np.ndarray  # per gold: matched pred index or -1
    pred_match: np.ndarray  # per pred: matched gold index or -1
    row_g: np.ndarray       # per row: gold index or -1
    row_p: np.ndarray       # per row: pred index or -1
    row_cat: np.ndarray     # per row: index into CATEGORIES
    row_kind: np.ndarray    # per row: index into BOUNDARY_KINDS
    gold_cat: np.ndarray    # per gold: its row's category
    pred_cat: np.ndarray    # per pred: its row's category
    exact_gold: np.ndarray  # per gold: an exactly equal prediction exists (strict TP)
    exact_pred: np.ndarray  # per pred: an exactly equal gold span exists


def greedy_match(pairs: Pairs, n_gold: int, n_pred: int) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching by maximum overlap (see module docs); vectorized rounds."""
    gm = np.full(n_gold, -1, dtype=np.int64)
    pm = np.full(n_pred, -1, dtype=np.int64)
    m = len(pairs.g)
    if m == 0:
        return gm, pm
    order = np.lexsort((pairs.p, pairs.g, ~pairs.same_label, -pairs.overlap))
    rank = np.empty(m, dtype=np.int64)
    rank[order] = np.arange(m)
    big = np.iinfo(np.int64).max
    active = np.arange(m)
    while len(active):
        g, p, r = pairs.g[active], pairs.p[active], rank[active]
        bg = np.full(n_gold, big, dtype=np.int64)
        np.minimum.at(bg, g, r)
        bp = np.full(n_pred, big, dtype=np.int64)
        np.minimum.at(bp, p, r)
        win = (bg[g] == r) & (bp[p] == r)
        gm[g[win]] = p[win]
        pm[p[win]] = g[win]
        keep = (gm[g] < 0) & (pm[p] < 0)
        active = active[keep]
    return gm, pm


def taxonomy(flat: Flat) -> Taxonomy:
    """Match spans and assign every gold / predicted span to one taxonomy row."""
    gold, pred = flat.gold, flat.pred
    ng, np_ = len(gold), len(pred)
    pairs = overlap_pairs(gold, pred)
    gm, pm = greedy_match(pairs, ng, np_)
    n_ov_pred = pairs.hi - pairs.lo                       # golds overlapping each pred
    n_ov_gold = np.bincount(pairs.g, minlength=ng)        # preds overlapping each gold
    # matched pairs
    mp = np.flatnonzero(pm >= 0)
    mg = pm[mp]
    same_b = (gold.gstart[mg] == pred.gstart[mp]) & (gold.gend[mg] == pred.gend[mp])
    same_l = gold.label[mg] == pred.label[mp]
    cat = np.where(same_b, np.where(same_l, _C["correct"], _C["type"]),
                   np.where(same_l, _C["boundary"], _C["type_boundary"]))
    cat = np.where(n_ov_gold[mg] >= 2, _C["split"], cat)
    cat = np.where(n_ov_pred[mp] >= 2, _C["merged"], cat)
    gs, ge, ps, pe = gold.gstart[mg], gold.gend[mg], pred.gstart[mp], pred.gend[mp]
    kind = np.where(same_b, 0, np.where((ps <= gs) & (pe >= ge), 1,
                                        np.where((ps >= gs) & (pe <= ge), 2, 3)))
    # unmatched gold: merged if some prediction covers it, else missed
    ug = np.flatnonzero(gm < 0)
    ug_cat = np.where(n_ov_gold[ug] > 0, _C["merged"], _C["missed"])
    # unmatched pred: split if it overlaps a gold span, else spurious
    up = np.flatnonzero(pm < 0)
    up_cat = np.where(n_ov_pred[up] > 0, _C["split"], _C["spurious"])
    row_g = np.concatenate([mg, ug, np.full(len(up), -1, dtype=np.int64)])
    row_p = np.concatenate([mp, np.full(len(ug), -1, dtype=np.int64), up])
    row_cat = np.concatenate([cat, ug_cat, up_cat]).astype(np.int64)
    row_kind = np.concatenate([kind, np.zeros(len(ug) + len(up), dtype=np.int64)])
    pos = np.where(row_g >= 0, gold.gstart[np.maximum(row_g, 0)] if ng else 0,
                   pred.gstart[np.maximum(row_p, 0)] if np_ else 0)
    pos2 = np.where(row_p >= 0, pred.gstart[np.maximum(row_p, 0)] if np_ else 0, pos)
    order = np.lexsort((pos2, pos))
    row_g, row_p, row_cat, row_kind = row_g[order], row_p[order], row_cat[order], row_kind[order]
    gold_cat = np.empty(ng, dtype=np.int64)
    pred_cat = np.empty(np_, dtype=np.int64)
    hg = row_g >= 0
    gold_cat[row_g[hg]] = row_cat[hg]
    hp = row_p >= 0
    pred_cat[row_p[hp]] = row_cat[hp]
    ex = pairs.same_bounds & pairs.same_label
    exact_gold = np.zeros(ng, dtype=bool)
    exact_gold[pairs.g[ex]] = True
    exact_pred = np.zeros(np_, dtype=bool)
    exact_pred[pairs.p[ex]] = True
    return Taxonomy(flat, pairs, gm, pm, row_g, row_p, row_cat, row_kind, gold_cat, pred_cat,
                    exact_gold, exact_pred)


def _context(examples: Sequence[Example], ex: np.ndarray, a: np.ndarray, b: np.ndarray,
             window: int, unit: str) -> tuple[list[str], list[str]]:
    left: list[str] = []
    right: list[str] = []
    if unit == "chars":
        for i, s, e in zip(ex.tolist(), a.tolist(), b.tolist()):
            t = examples[i].text
            left.append(t[max(0, s - window):s].replace("\n", " "))
            right.append(t[e:e + window].replace("\n", " "))
        return left, right
    import bisect
    cache: dict[int, tuple[list[int], list[int]]] = {}
    for i, s, e in zip(ex.tolist(), a.tolist(), b.tolist()):
        exa = examples[i]
        toks = exa.tokens
        if toks is None:
            t = exa.text
            lw = t[:s].split()[-window:] if window else []
            rw = t[e:].split()[:window] if window else []
            left.append(" ".join(lw))
            right.append(" ".join(rw))
            continue
        c = cache.get(i)
        if c is None:
            c = cache[i] = ([t.start for t in toks], [t.end for t in toks])
        starts, ends = c
        t = exa.text
        n = len(starts)
        k0 = bisect.bisect_right(ends, s)       # tokens [0, k0) end at or before s
        k1 = bisect.bisect_left(starts, e)      # tokens [k1, n) start at or after e
        # the text between the window's first and last token (keeps the original spacing)
        left.append(t[starts[max(0, k0 - window)]:ends[k0 - 1]].replace("\n", " ")
                    if k0 > 0 and window else "")
        right.append(t[starts[k1]:ends[min(n, k1 + window) - 1]].replace("\n", " ")
                     if k1 < n and window else "")
    return left, right


def _check_unit(unit: str) -> None:
    if unit not in ("chars", "tokens"):
        from ..errors import Errors, InputError
        raise InputError(Errors.E207.format(value=unit, option="context_unit",
                                            allowed="'chars', 'tokens'"))


def _context_arrays(flat: Flat, examples: Sequence[Example], ex: np.ndarray, a: np.ndarray,
                    b: np.ndarray, window: int) -> tuple[list[str], list[str]]:
    """Token-window context of rows ``[a, b)`` (as :func:`_context`), by ``searchsorted`` on
    the global token arrays; rows of examples without usable tokens go through
    :func:`_context`."""
    n = len(ex)
    if n == 0:
        return [], []
    ta = token_arrays(flat, examples)
    text = joined_text(flat, examples)
    if "\n" in text:  # same length: global offsets stay valid
        text = text.replace("\n", " ")
    ok = ta.usable[ex]
    ga = a + flat.base[ex]
    gb = b + flat.base[ex]
    first = ta.first[ex]
    last = first + np.where(ok, np.maximum(ta.count[ex], 0), 0)   # one past the last token
    k0 = np.searchsorted(ta.end, ga, side="right")                 # tokens before the row
    k1 = np.searchsorted(ta.start, gb, side="left")                # tokens after the row
    k0 = np.minimum(np.maximum(k0, first), last)
    k1 = np.minimum(np.maximum(k1, first), last)
    zero = np.zeros(n, dtype=np.int64)
    if window and len(ta.start):
        has_l = ok & (k0 > first)
        has_r = ok & (k1 < last)
        top = max(len(ta.start) - 1, 0)
        ls = np.where(has_l, ta.start[np.clip(np.maximum(first, k0 - window), 0, top)], 0)
        le = np.where(has_l, ta.end[np.clip(k0 - 1, 0, top)], 0)
        rs = np.where(has_r, ta.start[np.clip(k1, 0, top)], 0)
        re_ = np.where(has_r, ta.end[np.clip(np.minimum(last, k1 + window) - 1, 0, top)], 0)
    else:
        ls = le = rs = re_ = zero
    left = [text[x:y] for x, y in zip(ls.tolist(), le.tolist())]
    right = [text[x:y] for x, y in zip(rs.tolist(), re_.tolist())]
    if not ok.all():
        idx = np.flatnonzero(~ok)
        lo, ro = _context(examples, ex[idx], a[idx], b[idx], window, "tokens")
        for j, i in enumerate(idx.tolist()):
            left[i] = lo[j]
            right[i] = ro[j]
    return left, right


def taxonomy_frame(tax: Taxonomy, gold: Sequence[Example], *, context: int = 5,
                   context_unit: str = "tokens") -> pd.DataFrame:
    """Build the per-entity error table from a :class:`Taxonomy` (see :func:`entity_errors`)."""
    _check_unit(context_unit)
    flat = tax.flat
    g, p = flat.gold, flat.pred
    rg, rp = tax.row_g, tax.row_p
    hg, hp = rg >= 0, rp >= 0
    sg, sp = np.maximum(rg, 0), np.maximum(rp, 0)
    n = len(rg)

    def col(arr: np.ndarray, idx: np.ndarray, has: np.ndarray, fill):
        if len(arr) == 0:
            return np.full(n, fill, dtype=object if fill is None else type(fill))
        return np.where(has, arr[idx], fill)

    ex = np.where(hg, g.ex[sg] if len(g) else 0, p.ex[sp] if len(p) else 0).astype(np.int64)
    labels = np.asarray(flat.labels + [""], dtype=object)
    gl = labels[np.where(hg, g.label[sg] if len(g) else -1, -1)]
    pl = labels[np.where(hp, p.label[sp] if len(p) else -1, -1)]
    gs = col(g.start, sg, hg, -1)
    ge = col(g.end, sg, hg, -1)
    ps = col(p.start, sp, hp, -1)
    pe = col(p.end, sp, hp, -1)
    gt, pt = entity_texts(flat, gold)
    gtext = np.append(gt, "")[np.where(hg, rg, len(gt))]   # absent side: ""
    ptext = np.append(pt, "")[np.where(hp, rp, len(pt))]
    a = np.where(hg & hp, np.minimum(gs, ps), np.where(hg, gs, ps))
    b = np.where(hg & hp, np.maximum(ge, pe), np.where(hg, ge, pe))
    if context_unit == "tokens":
        left, right = _context_arrays(flat, gold, ex, a, b, context)
    else:
        left, right = _context(gold, ex, a, b, context, context_unit)
    id_of = np.asarray([e.id if e.id is not None else str(i) for i, e in enumerate(gold)] + [""],
                       dtype=object)
    ids = id_of[ex] if n else np.zeros(0, dtype=object)
    ov = np.zeros(n, dtype=np.int64)
    both = hg & hp
    if both.any():
        ov[both] = (np.minimum(ge[both], pe[both]) - np.maximum(gs[both], ps[both])).clip(0)
    df = pd.DataFrame({
        "example": ex,
        "id": ids,
        "category": pd.Categorical.from_codes(tax.row_cat, categories=list(CATEGORIES)),
        "boundary_kind": np.asarray(BOUNDARY_KINDS, dtype=object)[tax.row_kind],
        "gold_label": gl, "gold_start": gs, "gold_end": ge, "gold_text": gtext,
        "pred_label": pl, "pred_start": ps, "pred_end": pe, "pred_text": ptext,
        "pred_score": col(p.score, sp, hp, np.nan),
        "overlap": ov,
        "left_context": left, "right_context": right,
    })
    return df


def match_spans(gold: Sequence[Example], pred: Sequence[Example]) -> pd.DataFrame:
    """One-to-one matching of gold and predicted spans by maximum overlap.

    Returns
    -------
    DataFrame
        One row per gold and per predicted span that takes part in a match, or
        stays unmatched, with columns ``example``, ``gold_index`` / ``pred_index``
        (position in the example's ``spans``, -1 when absent), ``overlap``
        (characters shared).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["New", "York", "City"], ["B-LOC", "I-LOC", "O"])]
    >>> p = [Example.from_tokens(["New", "York", "City"], ["B-LOC", "I-LOC", "I-LOC"])]
    >>> match_spans(g, p)[["gold_index", "pred_index", "overlap"]].values.tolist()
    [[0, 0, 8]]
    """
    tax = taxonomy(flatten_pair(gold, pred))
    g, p = tax.flat.gold, tax.flat.pred
    rg, rp = tax.row_g, tax.row_p
    hg, hp = rg >= 0, rp >= 0
    sg, sp = np.maximum(rg, 0), np.maximum(rp, 0)
    ex = np.where(hg, g.ex[sg] if len(g) else 0, p.ex[sp] if len(p) else 0)
    gs = np.where(hg, g.start[sg] if len(g) else 0, 0)
    ge = np.where(hg, g.end[sg] if len(g) else 0, 0)
    ps = np.where(hp, p.start[sp] if len(p) else 0, 0)
    pe = np.where(hp, p.end[sp] if len(p) else 0, 0)
    ov = np.where(hg & hp, np.minimum(ge, pe) - np.maximum(gs, ps), 0).clip(0)
    return pd.DataFrame({
        "example": ex.astype(np.int64),
        "gold_index": np.where(hg, g.pos[sg] if len(g) else -1, -1),
        "pred_index": np.where(hp, p.pos[sp] if len(p) else -1, -1),
        "overlap": ov,
    })


def entity_errors(gold: Sequence[Example], pred: Sequence[Example], *, context: int = 5,
                  context_unit: str = "tokens") -> pd.DataFrame:
    """Per-entity error table: every gold and predicted span in one taxonomy row.

    Parameters
    ----------
    gold, pred : sequence of Example
        The same examples in the same order; *pred* carries predicted spans.
    context : int, default 5
        Size of the left / right context window.
    context_unit : {"tokens", "chars"}, default "tokens"
        Unit of *context* (``"tokens"`` falls back to whitespace words for
        untokenized examples).

    Returns
    -------
    DataFrame
        Columns: ``example`` (index), ``id``, ``category`` (one of
        :data:`CATEGORIES`), ``boundary_kind`` (``too_long`` / ``too_short`` /
        ``shifted`` / ``""``), ``gold_label``, ``gold_start``, ``gold_end``,
        ``gold_text``, ``pred_label``, ``pred_start``, ``pred_end``, ``pred_text``,
        ``pred_score`` (NaN when absent), ``overlap`` (shared characters),
        ``left_context``, ``right_context``.  Absent sides have label ``""``
        and offsets -1.  Rows are in document order.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> words = ["Ann", "met", "Bob", "Smith"]
    >>> g = [Example.from_tokens(words, ["B-PER", "O", "B-PER", "I-PER"])]
    >>> p = [Example.from_tokens(words, ["B-ORG", "O", "B-PER", "O"])]
    >>> entity_errors(g, p)[["gold_text", "pred_text", "category", "boundary_kind"]].values.tolist()
    [['Ann', 'Ann', 'type', ''], ['Bob Smith', 'Bob', 'boundary', 'too_short']]
    """
    _check_unit(context_unit)
    gold = list(gold)
    tax = taxonomy(flatten_pair(gold, pred))
    return taxonomy_frame(tax, gold, context=context, context_unit=context_unit)


def counts_from_taxonomy(tax: Taxonomy) -> pd.DataFrame:
    rows = np.bincount(tax.row_cat, minlength=len(CATEGORIES))
    ng = np.bincount(tax.gold_cat, minlength=len(CATEGORIES))
    np_ = np.bincount(tax.pred_cat, minlength=len(CATEGORIES))
    return pd.DataFrame({"category": list(CATEGORIES), "rows": rows, "gold": ng, "pred": np_})


def error_counts(gold: Sequence[Example], pred: Sequence[Example]) -> pd.DataFrame:
    """Counts per taxonomy category.

    Returns
    -------
    DataFrame
        Columns ``category``, ``rows`` (rows of :func:`entity_errors`), ``gold``
        (gold spans in that category; sums to the number of gold spans) and
        ``pred`` (predicted spans; sums to the number of predictions).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["a", "b"], ["B-X", "I-X"])]
    >>> p = [Example.from_tokens(["a", "b"], ["B-X", "B-X"])]
    >>> error_counts(g, p).set_index("category").loc["split"].tolist()
    [2, 1, 2]
    """
    return counts_from_taxonomy(taxonomy(flatten_pair(gold, pred)))
