"""Entity-level scores: strict (conlleval / seqeval) and SemEval-2013 (nervaluate).

Strict scores
-------------
An entity counts as correct when a prediction has exactly its boundaries and
label.  This is conlleval's and seqeval's default mode: on the IOB2 tags
``Example.tags()`` of the same examples, :func:`ner_scores` equals
``seqeval.metrics.classification_report``.  Per type, **recall is charged to
the gold type and precision to the predicted type**: a PER entity predicted as
ORG lowers PER's recall and ORG's precision.

SemEval-2013 schemas
--------------------
``strict`` (exact boundaries and type), ``exact`` (exact boundaries, any type),
``partial`` (overlap, any type; partial matches count one half) and ``type``
(overlap and same type) with the counts correct / incorrect / partial /
missed / spurious, computed exactly like nervaluate 1.x (its greedy matching:
predictions in order take the first still unmatched overlapping gold entity;
``type`` prefers a same-type gold entity with the closest boundaries).  An
overlap counts when the shared tokens are at least ``min_overlap_percentage``
(default 1, as nervaluate) percent of the gold entity's tokens (characters for
untokenized examples); with the default this only excludes a small overlap
with a gold entity longer than 100 tokens.  Per-type SemEval rows evaluate
gold and predictions restricted to that type, as nervaluate does.

Undefined values
----------------
``zero_division`` ("warn" default, 0, 1 or ``numpy.nan``) is the value used
when a denominator is 0 (no predictions / no gold entities).  ``"warn"``
uses 0 **and** emits warning W501 naming the labels, as scikit-learn and
seqeval do; nothing is set to 0 silently.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data import Example
from ._arrays import Flat, Pairs, SpanArrays, flatten_pair, overlap_pairs
from ._stats import check_zero_division, f1_from, nanmean, prf, safe_divide

__all__ = ["ner_scores", "semeval_scores", "SEMEVAL_SCHEMAS", "SEMEVAL_COUNTS"]

SEMEVAL_SCHEMAS = ("strict", "exact", "partial", "type")
SEMEVAL_COUNTS = ("correct", "incorrect", "partial", "missed", "spurious")


def _average_rows(names, tp, npred, ntrue, p, r, f, zero_division):
    rows = []
    tps, nps, nts = tp.sum(), npred.sum(), ntrue.sum()
    mp, mr, mf = prf(np.array([tps]), np.array([nps]), np.array([nts]), zero_division,
                     names=["micro avg"])
    rows.append(("micro avg", mp[0], mr[0], mf[0], int(nts), int(nps), int(tps)))
    mean = nanmean if isinstance(zero_division, float) and np.isnan(zero_division) else np.mean
    if len(names):
        rows.append(("macro avg", float(mean(p)), float(mean(r)), float(mean(f)), int(nts),
                     int(nps), int(tps)))
        if nts > 0:
            w = ntrue / nts
            rows.append(("weighted avg", float(np.nansum(p * w)) if mean is nanmean
                         else float(np.sum(p * w)),
                         float(np.sum(r * w)), float(np.sum(f * w)), int(nts), int(nps), int(tps)))
        else:
            zd = 0.0 if zero_division == "warn" else float(zero_division)
            rows.append(("weighted avg", zd if nps == 0 else 0.0, zd, zd if nps == 0 else 0.0,
                         0, int(nps), int(tps)))
    else:
        zd = 0.0 if zero_division == "warn" else float(zero_division)
        rows.append(("macro avg", zd, zd, zd, 0, 0, 0))
        rows.append(("weighted avg", zd, zd, zd, 0, 0, 0))
    return rows


def scores_from_flat(flat: Flat, pairs: Pairs, *, labels: Sequence[str] | None = None,
                     zero_division: object = "warn") -> pd.DataFrame:
    L = len(flat.labels)
    ex = pairs.same_bounds & pairs.same_label
    tp = np.bincount(flat.pred.label[pairs.p[ex]], minlength=L)
    npred = np.bincount(flat.pred.label, minlength=L)
    ntrue = np.bincount(flat.gold.label, minlength=L)
    if labels is None:
        keep = np.flatnonzero((npred > 0) | (ntrue > 0))
        names = [flat.labels[i] for i in keep]
        order = np.argsort(np.asarray(names, dtype=object)) if names else np.zeros(0, int)
        keep = keep[order]
    else:
        keep = np.asarray([flat.code[lab] for lab in labels], dtype=np.int64)
    names = [flat.labels[i] for i in keep]
    return scores_table(names, tp[keep], npred[keep], ntrue[keep], zero_division)


def scores_table(names: Sequence[str], tp: np.ndarray, npred: np.ndarray, ntrue: np.ndarray,
                 zero_division: object) -> pd.DataFrame:
    """The ``scores`` table from per-type counts (the finalize step; see
    :mod:`nlperr.analysis.partial`): exact matches, predictions, gold entities."""
    names = list(names)
    p, r, f = prf(tp, npred, ntrue, zero_division, names=names)
    rows = [(n, p[i], r[i], f[i], int(ntrue[i]), int(npred[i]), int(tp[i]))
            for i, n in enumerate(names)]
    rows += _average_rows(names, tp, npred, ntrue, p, r, f, zero_division)
    return pd.DataFrame(rows, columns=["label", "precision", "recall", "f1", "support",
                                       "predicted", "correct"])


def ner_scores(gold: Sequence[Example], pred: Sequence[Example], *,
               labels: Sequence[str] | None = None, zero_division: object = "warn"
               ) -> pd.DataFrame:
    """Strict entity-level precision, recall and F1 per type and averaged.

    Parameters
    ----------
    gold, pred : sequence of Example
        Same examples, same order.
    labels : sequence of str, optional
        Types to report (default: every type in gold or predictions, sorted).
        Averages are over these types.
    zero_division : "warn", 0, 1 or numpy.nan, default "warn"
        Value for undefined precision / recall; "warn" gives 0 with warning W501.

    Returns
    -------
    DataFrame
        One row per type, then ``micro avg``, ``macro avg``, ``weighted avg``.
        Columns: ``label``, ``precision``, ``recall``, ``f1``, ``support`` (gold
        entities), ``predicted`` (predicted entities), ``correct`` (exact matches).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    >>> p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-PER"])]
    >>> ner_scores(g, p, zero_division=0).set_index("label")["f1"].round(3).to_dict()
    {'LOC': 0.0, 'PER': 0.667, 'micro avg': 0.5, 'macro avg': 0.333, 'weighted avg': 0.333}
    """
    zero_division = check_zero_division(zero_division)
    flat = flatten_pair(gold, pred, labels=labels)
    return scores_from_flat(flat, overlap_pairs(flat.gold, flat.pred), labels=labels,
                            zero_division=zero_division)


# --------------------------------------------------------------------------
# SemEval-2013 (nervaluate-compatible) counting
# --------------------------------------------------------------------------

def _token_distance(flat_examples, gold: SpanArrays, pred: SpanArrays, gi: int, pi: int) -> int:
    """Boundary distance in token units (nervaluate's tie-break), char units without tokens."""
    ex = flat_examples[int(gold.ex[gi])] if flat_examples is not None else None
    toks = ex.tokens if ex is not None else None
    gs, ge, ps, pe = (int(gold.start[gi]), int(gold.end[gi]), int(pred.start[pi]),
                      int(pred.end[pi]))
    if not toks:
        return abs(ps - gs) + abs(pe - ge)
    import bisect
    starts = [t.start for t in toks]
    ends = [t.end for t in toks]
    ti = lambda s: bisect.bisect_left(starts, s)  # noqa: E731
    tj = lambda e: bisect.bisect_left(ends, e)    # noqa: E731
    return abs(ti(ps) - ti(gs)) + abs(tj(pe) - tj(ge))


def _resolve(choice_free: np.ndarray, choice_taken: np.ndarray, lo: np.ndarray, has: np.ndarray,
             n_gold: int) -> np.ndarray:
    """Sequential greedy claims, solved as a fixpoint over vectorized passes.

    With flat spans only a prediction's first overlapping gold span (``lo``) can
    have been claimed by an earlier prediction, so each prediction has two
    possible choices; iterate until the "first candidate already taken" flags
    are stable (at most the length of the longest chain of partial overlaps).
    """
    n = len(choice_free)
    idx = np.arange(n)
    taken = np.zeros(n, dtype=bool)
    lo_c = np.minimum(lo, max(n_gold - 1, 0))
    for _ in range(n + 1):
        choice = np.where(taken, choice_taken, choice_free)
        first = np.full(max(n_gold, 1), n, dtype=np.int64)
        sel = choice >= 0
        np.minimum.at(first, choice[sel], idx[sel])
        new = has & (first[lo_c] < idx)
        if np.array_equal(new, taken):
            return choice
        taken = new
    return choice  # pragma: no cover


def _token_count(ex, a: int, b: int) -> int:
    """Tokens of *ex* inside [a, b) (characters when the example has no tokens)."""
    toks = ex.tokens if ex is not None else None
    if not toks:
        return b - a
    import bisect
    starts = [t.start for t in toks]
    return bisect.bisect_left(starts, b) - bisect.bisect_left(starts, a)


def _sufficient_overlap(pairs: Pairs, gold: SpanArrays, pred: SpanArrays, examples,
                        min_overlap_percentage: float) -> np.ndarray:
    """nervaluate's overlap threshold: shared tokens >= ``min_overlap_percentage`` % of the
    gold entity's tokens (characters for untokenized examples).

    Any overlap is at least one token, so only gold entities longer than
    ``100 / min_overlap_percentage`` tokens (hence characters) can fail; only those
    pairs are counted token by token.
    """
    ok = np.ones(len(pairs.g), dtype=bool)
    if not len(pairs.g):
        return ok
    glen = gold.end[pairs.g] - gold.start[pairs.g]
    limit = 100.0 / min_overlap_percentage
    for k in np.flatnonzero(glen * min_overlap_percentage > 100.0).tolist():
        gi, pi = int(pairs.g[k]), int(pairs.p[k])
        ex = examples[int(gold.ex[gi])] if examples is not None else None
        gs, ge = int(gold.start[gi]), int(gold.end[gi])
        n_gold = _token_count(ex, gs, ge)
        if n_gold <= limit:
            continue
        shared = _token_count(ex, max(gs, int(pred.start[pi])), min(ge, int(pred.end[pi])))
        ok[k] = shared * 100.0 >= min_overlap_percentage * n_gold
    return ok


def _filter_pairs(pairs: Pairs, keep: np.ndarray, n_pred: int) -> Pairs:
    """Pairs restricted to *keep*; ``lo`` / ``hi`` become the first / past-last kept gold."""
    g, p = pairs.g[keep], pairs.p[keep]
    cnt = np.bincount(p, minlength=n_pred)
    first = np.cumsum(cnt) - cnt
    lo = np.where(cnt > 0, g[np.minimum(first, max(len(g) - 1, 0))] if len(g) else 0, 0)
    # candidates of one prediction are consecutive gold indices except where a long gold
    # in the middle was dropped; only lo and the next candidate are used below
    hi = lo + cnt
    return Pairs(g, p, pairs.overlap[keep], pairs.same_bounds[keep], pairs.same_label[keep],
                 lo.astype(np.int64), hi.astype(np.int64))


def semeval_counts_arrays(gold: SpanArrays, pred: SpanArrays, examples=None, *,
                          min_overlap_percentage: float = 1.0) -> dict[str, dict]:
    """Counts of the four SemEval schemas for flat span arrays."""
    ng, npr = len(gold), len(pred)
    out: dict[str, dict] = {}
    pairs = overlap_pairs(gold, pred)
    second = None
    keep = _sufficient_overlap(pairs, gold, pred, examples, min_overlap_percentage)
    if not keep.all():
        pairs = _filter_pairs(pairs, keep, npr)
        cnt = pairs.hi - pairs.lo
        first = np.cumsum(cnt) - cnt
        second = np.where(cnt >= 2, pairs.g[np.minimum(first + 1, max(len(pairs.g) - 1, 0))]
                          if len(pairs.g) else -1, -1)
    lo, hi = pairs.lo, pairs.hi
    has = hi > lo
    # first-candidate strategies (strict, exact, partial)
    free = np.where(has, lo, -1)
    taken = np.where(hi - lo >= 2, lo + 1, -1) if second is None else second
    choice = _resolve(free, taken, lo, has, ng)
    ch = np.maximum(choice, 0)
    hit = choice >= 0
    same_b = hit & (gold.gstart[ch] == pred.gstart) & (gold.gend[ch] == pred.gend) if ng else hit
    same_l = hit & (gold.label[ch] == pred.label) if ng else hit
    claimed = np.zeros(ng, dtype=bool)
    claimed[choice[hit]] = True
    missed = int(ng - claimed.sum())
    spurious = int((~hit).sum())
    n_hit = int(hit.sum())
    strict_c = int((same_b & same_l).sum())
    exact_c = int(same_b.sum())
    out["strict"] = dict(correct=strict_c, incorrect=n_hit - strict_c, partial=0, missed=missed,
                         spurious=spurious)
    out["exact"] = dict(correct=exact_c, incorrect=n_hit - exact_c, partial=0, missed=missed,
                        spurious=spurious)
    out["partial"] = dict(correct=exact_c, incorrect=0, partial=n_hit - exact_c, missed=missed,
                          spurious=spurious)
    # type strategy: prefer same-type overlapping gold with the closest boundaries
    g, p = pairs.g, pairs.p
    sl = pairs.same_label
    dist = np.where(sl, np.abs(gold.gstart[g] - pred.gstart[p]) + np.abs(gold.gend[g] - pred.gend[p]),
                    0)
    if examples is not None and len(g):
        # several same-type candidates for one prediction: nervaluate compares
        # token distances; recompute them for those (rare) pairs.
        nsame = np.bincount(p[sl], minlength=npr)
        amb = np.flatnonzero(sl & (nsame[p] >= 2))
        for k in amb.tolist():
            dist[k] = _token_distance(examples, gold, pred, int(g[k]), int(p[k]))

    def pick(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sel = np.flatnonzero(mask)
        o = sel[np.lexsort((g[sel], dist[sel], ~sl[sel], p[sel]))]
        c = np.full(npr, -1, dtype=np.int64)
        ok = np.zeros(npr, dtype=bool)
        if len(o):
            firsts = o[np.r_[True, p[o][1:] != p[o][:-1]]]
            c[p[firsts]] = g[firsts]
            ok[p[firsts]] = sl[firsts]
        return c, ok

    cf, okf = pick(np.ones(len(g), dtype=bool))
    ct, okt = pick(g != lo[p]) if len(g) else (cf, okf)
    choice = _resolve(cf, ct, lo, has, ng)
    hit = choice >= 0
    is_ok = np.where(choice == cf, okf, okt) & hit
    # when cf == ct the two agree; when the choice came from the taken set use okt
    claimed = np.zeros(ng, dtype=bool)
    claimed[choice[hit]] = True
    out["type"] = dict(correct=int(is_ok.sum()), incorrect=int(hit.sum() - is_ok.sum()), partial=0,
                       missed=int(ng - claimed.sum()), spurious=int((~hit).sum()))
    return out


def _semeval_prf(c: dict, schema: str, zero_division: object, name: str) -> tuple:
    actual = c["correct"] + c["incorrect"] + c["partial"] + c["spurious"]
    possible = c["correct"] + c["incorrect"] + c["partial"] + c["missed"]
    num = c["correct"] + (0.5 * c["partial"] if schema in ("partial", "type") else 0)
    p = safe_divide(np.array([num]), np.array([actual]), zero_division, metric="Precision",
                    what="predicted entities", names=[name])
    r = safe_divide(np.array([num]), np.array([possible]), zero_division, metric="Recall",
                    what="gold entities", names=[name])
    f = f1_from(p, r)
    return float(p[0]), float(r[0]), float(f[0]), actual, possible


def semeval_from_flat(flat: Flat, examples=None, *, per_type: bool = True,
                      zero_division: object = "warn",
                      min_overlap_percentage: float = 1.0) -> pd.DataFrame:
    return semeval_table(semeval_count_map(flat, examples, per_type=per_type,
                                           min_overlap_percentage=min_overlap_percentage),
                         zero_division)


def semeval_table(counts: dict[str, dict[str, dict[str, int]]],
                  zero_division: object) -> pd.DataFrame:
    """The ``semeval`` table from ``{"overall" or type: {schema: {count: n}}}`` (the
    finalize step; rows: ``overall`` first, then the types in sorted order)."""
    rows = []
    for label in ["overall", *sorted(k for k in counts if k != "overall")]:
        for schema in SEMEVAL_SCHEMAS:
            c = counts[label][schema]
            p, r, f, actual, possible = _semeval_prf(c, schema, zero_division,
                                                     f"{label}/{schema}")
            rows.append((label, schema, *(c[k] for k in SEMEVAL_COUNTS), actual, possible,
                         p, r, f))
    return pd.DataFrame(rows, columns=["label", "schema", *SEMEVAL_COUNTS, "actual", "possible",
                                       "precision", "recall", "f1"])


def semeval_count_map(flat: Flat, examples=None, *, per_type: bool = True,
                      min_overlap_percentage: float = 1.0
                      ) -> dict[str, dict[str, dict[str, int]]]:
    """SemEval counts ``{"overall" or type: {schema: {count: n}}}`` (the map step)."""
    out: dict[str, dict[str, dict[str, int]]] = {}

    def add(label: str, counts: dict) -> None:
        out[label] = {s: {k: int(counts[s][k]) for k in SEMEVAL_COUNTS}
                      for s in SEMEVAL_SCHEMAS}

    mo = min_overlap_percentage
    add("overall", semeval_counts_arrays(flat.gold, flat.pred, examples,
                                         min_overlap_percentage=mo))
    if per_type:
        present = sorted({flat.labels[i] for i in
                          np.unique(np.concatenate([flat.gold.label, flat.pred.label]))})
        for lab in present:
            c = flat.code[lab]
            gsub = flat.gold.take(np.flatnonzero(flat.gold.label == c))
            psub = flat.pred.take(np.flatnonzero(flat.pred.label == c))
            add(lab, semeval_counts_arrays(gsub, psub, examples, min_overlap_percentage=mo))
    return out


def semeval_scores(gold: Sequence[Example], pred: Sequence[Example], *, per_type: bool = True,
                   zero_division: object = "warn", min_overlap_percentage: float = 1.0
                   ) -> pd.DataFrame:
    """SemEval-2013 counts and scores for the four schemas (as nervaluate 1.x).

    Parameters
    ----------
    gold, pred : sequence of Example
        Same examples, same order.
    per_type : bool, default True
        Add rows per entity type (gold and predictions restricted to that type).
    zero_division : "warn", 0, 1 or numpy.nan, default "warn"
        Value of precision / recall with a zero denominator.
    min_overlap_percentage : float, default 1.0
        Smallest overlap, in percent of the gold entity's tokens, that counts as
        an overlap (nervaluate's option of the same name; 1 to 100).

    Returns
    -------
    DataFrame
        Columns ``label`` (``"overall"`` or a type), ``schema`` (``strict``,
        ``exact``, ``partial``, ``type``), ``correct``, ``incorrect``,
        ``partial``, ``missed``, ``spurious``, ``actual``, ``possible``,
        ``precision``, ``recall``, ``f1``.  For ``partial`` and ``type``,
        precision = (correct + partial / 2) / actual.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["New", "York", "is"], ["B-LOC", "I-LOC", "O"])]
    >>> p = [Example.from_tokens(["New", "York", "is"], ["B-LOC", "O", "O"])]
    >>> df = semeval_scores(g, p, per_type=False).set_index("schema")
    >>> int(df.loc["partial", "partial"]), float(df.loc["partial", "precision"])
    (1, 0.5)
    """
    zero_division = check_zero_division(zero_division)
    if isinstance(min_overlap_percentage, bool) or not isinstance(
            min_overlap_percentage, (int, float)) or not 1 <= min_overlap_percentage <= 100:
        from ..errors import Errors, InputError
        raise InputError(Errors.E207.format(value=min_overlap_percentage,
                                            option="min_overlap_percentage",
                                            allowed="a number from 1 to 100"))
    gold = list(gold)
    flat = flatten_pair(gold, pred)
    return semeval_from_flat(flat, gold, per_type=per_type, zero_division=zero_division,
                             min_overlap_percentage=float(min_overlap_percentage))
