"""Entity confusion matrices, top confused pairs and label-group diagnostics.

Confusion matrix layout: **rows are gold types** plus ``∅`` (predictions with
no gold counterpart: spurious), **columns are predicted types** plus ``∅``
(gold entities with no predicted counterpart: missed).

* ``match="exact"``: a gold and a predicted entity are paired when their
  boundaries are equal (any type).
* ``match="overlap"``: pairs come from the one-to-one maximum-overlap matching
  of :mod:`nlperr.analysis.matching`.

Label groups (:func:`label_group_analysis`) answer "does the model find these
entities but mix up their types, and what in the text tells the types apart?":

(a) *merge test*: strict scores on the group's labels as annotated, and after
    mapping every label of the group to one label.  A large jump means
    detection works and typing fails.
(b) *context cues*: words within ``window`` tokens of the gold entities of each
    label, ranked by the log-odds ratio with an informative Dirichlet prior
    (Monroe, Colaresi & Quinn 2008): for word *w*, label *i* against the other
    labels of the group *j*, with prior pseudo-counts ``a_w = prior_strength *
    f_w`` (``f_w`` the word's relative frequency in all context windows of all
    gold entities) and ``a0 = sum(a_w)``::

        delta_w = log((y_iw + a_w) / (n_i + a0 - y_iw - a_w))
                - log((y_jw + a_w) / (n_j + a0 - y_jw - a_w))
        z_w = delta_w / sqrt(1 / (y_iw + a_w) + 1 / (y_jw + a_w))

    Cues are words with the largest ``z`` for a label.
(c) *errors by cue*: the model's results on the group's gold entities, split
    by whether one of the label's top cues occurs in the entity's window.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import Example
from ..errors import Errors, InputError
from ._arrays import flatten_pair
from .matching import Taxonomy, taxonomy
from .metrics import scores_from_flat

__all__ = ["EMPTY", "entity_confusion", "confused_pairs", "resolve_labels",
           "label_group_analysis", "LabelGroupResult"]

EMPTY = "∅"


def _check(option: str, value: object, allowed: Sequence) -> None:
    if value not in allowed:
        raise InputError(Errors.E207.format(value=value, option=option,
                                            allowed=", ".join(repr(a) for a in allowed)))


def _confusion_cells(tax: Taxonomy, match: str = "overlap") -> np.ndarray:
    """``(L + 1) x (L + 1)`` counts by label code; the last row / column is ∅."""
    flat = tax.flat
    L = len(flat.labels)
    gl, pl = flat.gold.label, flat.pred.label
    if match == "exact":
        pr = tax.pairs
        sel = pr.same_bounds
        gi, pi = pr.g[sel], pr.p[sel]
    else:
        pi = np.flatnonzero(tax.pred_match >= 0)
        gi = tax.pred_match[pi]
    mat = np.zeros((L + 1, L + 1), dtype=np.int64)
    np.add.at(mat, (gl[gi], pl[pi]), 1)
    gm = np.ones(len(gl), dtype=bool)
    gm[gi] = False
    pm = np.ones(len(pl), dtype=bool)
    pm[pi] = False
    np.add.at(mat, (gl[gm], np.full(int(gm.sum()), L)), 1)
    np.add.at(mat, (np.full(int(pm.sum()), L), pl[pm]), 1)
    return mat


def confusion_from_taxonomy(tax: Taxonomy, match: str = "overlap") -> pd.DataFrame:
    flat = tax.flat
    L = len(flat.labels)
    gl, pl = flat.gold.label, flat.pred.label
    mat = _confusion_cells(tax, match)
    rows = sorted(flat.labels[i] for i in np.unique(gl))
    cols = sorted(flat.labels[i] for i in np.unique(pl))
    ri = [flat.code[r] for r in rows] + [L]
    ci = [flat.code[c] for c in cols] + [L]
    df = pd.DataFrame(mat[np.ix_(ri, ci)], index=rows + [EMPTY], columns=cols + [EMPTY])
    df.index.name = "gold"
    df.columns.name = "pred"
    return df


def entity_confusion(gold: Sequence[Example], pred: Sequence[Example], *, match: str = "overlap",
                     normalize: str | None = None) -> pd.DataFrame:
    """Entity confusion matrix (gold types x predicted types, with ``∅``).

    Parameters
    ----------
    gold, pred : sequence of Example
    match : {"overlap", "exact"}, default "overlap"
        How gold and predicted entities are paired (see module docs).
    normalize : {None, "true"}, default None
        ``"true"`` divides each row by its sum (row-normalized; the ``∅`` row too).

    Returns
    -------
    DataFrame
        Index ``gold`` (gold types, then ``∅``), columns ``pred`` (predicted types,
        then ``∅``); counts, or row fractions.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    >>> p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "B-LOC", "B-PER"])]
    >>> entity_confusion(g, p).to_dict("index")
    {'LOC': {'LOC': 0, 'PER': 1, '∅': 0}, 'PER': {'LOC': 0, 'PER': 1, '∅': 0}, '∅': {'LOC': 1, 'PER': 0, '∅': 0}}
    """
    _check("match", match, ("overlap", "exact"))
    _check("normalize", normalize, (None, "true"))
    df = confusion_from_taxonomy(taxonomy(flatten_pair(gold, pred)), match)
    if normalize == "true":
        s = df.sum(axis=1).replace(0, np.nan)
        df = df.div(s, axis=0).fillna(0.0)
    return df


def pairs_from_taxonomy(tax: Taxonomy, gold: Sequence[Example], *, top: int | None = 10,
                        n_examples: int = 3, include_empty: bool = False) -> pd.DataFrame:
    flat = tax.flat
    pi = np.flatnonzero(tax.pred_match >= 0)
    gi = tax.pred_match[pi]
    gl, pl = flat.gold.label[gi], flat.pred.label[pi]
    off = gl != pl
    gi, pi, gl, pl = gi[off], pi[off], gl[off], pl[off]
    L = len(flat.labels)
    key = gl * (L + 1) + pl
    rows = []
    uniq, counts = np.unique(key, return_counts=True)
    ng = np.bincount(flat.gold.label, minlength=L)
    for k, c in zip(uniq.tolist(), counts.tolist()):
        g, p = divmod(k, L + 1)
        sel = np.flatnonzero(key == k)[:n_examples]
        ex = []
        for j in sel.tolist():
            e = int(flat.gold.ex[gi[j]])
            t = gold[e].text
            ex.append(t[int(flat.gold.start[gi[j]]):int(flat.gold.end[gi[j]])])
        rows.append((flat.labels[g], flat.labels[p], c, c / ng[g] if ng[g] else np.nan,
                     " | ".join(ex)))
    if include_empty:
        for arr, side in ((np.flatnonzero(tax.gold_match < 0), "gold"),
                          (np.flatnonzero(tax.pred_match < 0), "pred")):
            labs = (flat.gold if side == "gold" else flat.pred).label[arr]
            for lab, c in zip(*np.unique(labs, return_counts=True)):
                lab = flat.labels[int(lab)]
                rows.append((lab, EMPTY, int(c), int(c) / ng[flat.code[lab]], "") if side == "gold"
                            else (EMPTY, lab, int(c), np.nan, ""))
    df = pd.DataFrame(rows, columns=["gold", "pred", "count", "share_of_gold", "examples"])
    df = df.sort_values(["count", "gold", "pred"], ascending=[False, True, True],
                        kind="mergesort").reset_index(drop=True)
    return df.head(top) if top is not None else df


def confused_pairs(gold: Sequence[Example], pred: Sequence[Example], *, top: int | None = 10,
                   n_examples: int = 3, include_empty: bool = False) -> pd.DataFrame:
    """Most frequent (gold type, predicted type) confusions, with example texts.

    Pairs come from the maximum-overlap matching (so boundary errors with a
    wrong type count too).  With ``include_empty=True`` missed (``pred="∅"``)
    and spurious (``gold="∅"``) counts are listed as well.

    Returns
    -------
    DataFrame
        Columns ``gold``, ``pred``, ``count``, ``share_of_gold`` (count / gold
        entities of that type), ``examples`` (up to *n_examples* gold texts joined
        by ``" | "``); sorted by count, descending.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    >>> p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-PER"])]
    >>> confused_pairs(g, p)[["gold", "pred", "count"]].values.tolist()
    [['LOC', 'PER', 1]]
    """
    gold = list(gold)
    return pairs_from_taxonomy(taxonomy(flatten_pair(gold, pred)), gold, top=top,
                               n_examples=n_examples, include_empty=include_empty)


def resolve_labels(labels: str | Sequence[str], available: Sequence[str]) -> list[str]:
    """Expand glob patterns (``"DATE_*"``) against *available* labels."""
    pats = [labels] if isinstance(labels, str) else list(labels)
    out: list[str] = []
    for pat in pats:
        hits = sorted(a for a in available if fnmatch.fnmatchcase(a, pat))
        if not hits:
            raise InputError(Errors.E507.format(pattern=pat, available=sorted(available)))
        out.extend(h for h in hits if h not in out)
    return out


_WORD = re.compile(r"\w+", re.UNICODE)


def _window_words(ex: Example, start: int, end: int, window: int) -> list[str]:
    """Lower-cased word tokens within *window* tokens left and right of [start, end)."""
    if ex.tokens is not None:
        toks = ex.tokens
        left = [t.text for t in toks if t.end <= start][-window:]
        right = [t.text for t in toks if t.start >= end][:window]
    else:
        left = ex.text[:start].split()[-window:]
        right = ex.text[end:].split()[:window]
    words = []
    for t in left + right:
        words.extend(w.lower() for w in _WORD.findall(t))
    return words


def log_odds_dirichlet(counts: dict[str, Counter], background: Counter, *,
                       prior_strength: float = 100.0) -> pd.DataFrame:
    """Log-odds ratio with informative Dirichlet prior of each word, label vs the rest.

    Returns a DataFrame with ``label``, ``cue``, ``count``, ``count_other``,
    ``log_odds``, ``z`` for every (label, word) with ``count > 0``.
    """
    vocab = sorted(set().union(*[set(c) for c in counts.values()]) if counts else set())
    if not vocab:
        return pd.DataFrame(columns=["label", "cue", "count", "count_other", "log_odds", "z"])
    bg_total = sum(background.values()) or 1
    bg = np.array([background.get(w, 0) for w in vocab], dtype=np.float64)
    # words never seen in the background still get a small pseudo-count
    alpha = prior_strength * (bg + 0.5) / (bg_total + 0.5 * len(vocab))
    a0 = alpha.sum()
    Y = np.array([[counts[lab].get(w, 0) for w in vocab] for lab in counts], dtype=np.float64)
    rows = []
    for i, lab in enumerate(counts):
        yi = Y[i]
        yj = Y.sum(axis=0) - yi
        ni, nj = yi.sum(), yj.sum()
        d = (np.log((yi + alpha) / (ni + a0 - yi - alpha))
             - np.log((yj + alpha) / (nj + a0 - yj - alpha)))
        z = d / np.sqrt(1.0 / (yi + alpha) + 1.0 / (yj + alpha))
        for k in np.flatnonzero(yi > 0):
            rows.append((lab, vocab[k], int(yi[k]), int(yj[k]), float(d[k]), float(z[k])))
    df = pd.DataFrame(rows, columns=["label", "cue", "count", "count_other", "log_odds", "z"])
    return df.sort_values(["label", "z", "cue"], ascending=[True, False, True],
                          kind="mergesort").reset_index(drop=True)


@dataclass
class LabelGroupResult:
    """Result of :func:`label_group_analysis`.

    Attributes
    ----------
    labels : list of str
        The group's labels (globs expanded).
    merge : DataFrame
        One row per ``setting`` (``separate``: micro average over the group's
        labels as annotated; ``merged``: the labels mapped to one; then each
        label).  Columns ``precision``, ``recall``, ``f1`` (strict: exact
        boundaries), ``support``, ``predicted``, ``correct``, and the same
        scores with overlap matching (one-to-one maximum overlap, same label):
        ``precision_overlap``, ``recall_overlap``, ``f1_overlap``,
        ``correct_overlap``.
    cues : DataFrame
        Top cues per label: ``label``, ``cue``, ``count``, ``count_other``,
        ``log_odds``, ``z``.
    by_cue : DataFrame
        The group's gold entities split by ``cue_present`` (one of the label's
        top cues in the window): ``label``, ``cue_present``, ``support``,
        ``correct`` (exact boundaries and label), ``right_type`` (matched by
        overlap to a prediction with the same label), ``wrong_type_in_group``
        (matched by overlap to another label of the group), ``other_error``
        (missed, or matched to a label outside the group), ``accuracy``
        (correct / support) and ``type_accuracy`` (right_type / (right_type +
        wrong_type_in_group): how often a found entity gets the right label).
    confusion : DataFrame
        Overlap confusion matrix restricted to the group (plus ``∅``).
    finding : str
        A plain-language paragraph summarising the three parts.
    extra : dict
        ``cue_rule_accuracy``: share of the group's gold entities whose window
        holds a top cue of their own label and of no other label -- how well a
        rule "cue -> label" would type them (in-sample, hence optimistic).
    """

    labels: list[str]
    merge: pd.DataFrame
    cues: pd.DataFrame
    by_cue: pd.DataFrame
    confusion: pd.DataFrame
    finding: str
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"labels": self.labels, "finding": self.finding,
                "merge": self.merge.to_dict("records"), "cues": self.cues.to_dict("records"),
                "by_cue": self.by_cue.to_dict("records"), **self.extra}


def _relabel(examples: Sequence[Example], mapping: dict[str, str]) -> list[Example]:
    out = []
    for e in examples:
        if e.spans is None or not any(s.label in mapping for s in e.spans):
            out.append(e)
            continue
        from dataclasses import replace
        out.append(e.copy(spans=tuple(replace(s, label=mapping.get(s.label, s.label))
                                      for s in e.spans)))
    return out


def _overlap_scores(tax: Taxonomy, codes: Sequence[int], zero_division: object) -> tuple:
    """Micro P/R/F1 over *codes* with one-to-one overlap matching (same label = hit)."""
    flat = tax.flat
    codes = np.asarray(list(codes), dtype=np.int64)
    gin = np.isin(flat.gold.label, codes)
    pin = np.isin(flat.pred.label, codes)
    gm = tax.gold_match
    hit = gin & (gm >= 0)
    idx = np.flatnonzero(hit)
    tp = int((flat.pred.label[gm[idx]] == flat.gold.label[idx]).sum())
    from ._stats import prf
    p, r, f = prf(np.array([tp]), np.array([int(pin.sum())]), np.array([int(gin.sum())]),
                  zero_division, warn_undefined=False)
    return float(p[0]), float(r[0]), float(f[0]), tp


def label_group_analysis(gold: Sequence[Example], pred: Sequence[Example],
                         labels: str | Sequence[str], *, window: int = 3, top_cues: int = 5,
                         prior_strength: float = 100.0, merged_label: str | None = None,
                         letters_only: bool = True,
                         zero_division: object = 0.0) -> LabelGroupResult:
    """Diagnose confusion inside a group of labels (e.g. ``"DATE_*"``).

    Parameters
    ----------
    gold, pred : sequence of Example
    labels : str or sequence of str
        Labels or glob patterns; at least two labels after expansion.
    window : int, default 3
        Context window (tokens left and right of the entity) for cues.
    top_cues : int, default 5
        Cues kept per label (and used for the by-cue split).
    prior_strength : float, default 100
        Total pseudo-count mass of the Dirichlet prior.
    merged_label : str, optional
        Name of the merged label (default: the labels joined by ``"|"``).
    letters_only : bool, default True
        Only words with at least one letter can be cues (numbers such as times
        of day or years are left out).
    zero_division : default 0.0
        As in :func:`~nlperr.analysis.ner_scores`.

    Returns
    -------
    LabelGroupResult

    Examples
    --------
    >>> from nlperr.data import Example
    >>> w = ["sent", "on", "May", "1"]
    >>> g = [Example.from_tokens(w, ["O", "O", "B-DATE_SENT", "I-DATE_SENT"]),
    ...      Example.from_tokens(["replied", "on", "May", "2"], ["O", "O", "B-DATE_REPLIED", "I-DATE_REPLIED"])]
    >>> p = [Example.from_tokens(w, ["O", "O", "B-DATE_REPLIED", "I-DATE_REPLIED"]),
    ...      Example.from_tokens(["replied", "on", "May", "2"], ["O", "O", "B-DATE_REPLIED", "I-DATE_REPLIED"])]
    >>> res = label_group_analysis(g, p, "DATE_*")
    >>> res.merge.set_index("setting").loc[["separate", "merged"], "f1"].round(2).tolist()
    [0.5, 1.0]
    """
    gold = list(gold)
    pred = list(pred)
    flat = flatten_pair(gold, pred)
    group = resolve_labels(labels, flat.labels)
    if len(group) < 2:
        raise InputError(Errors.E508.format(what="A label group", n=2, unit="labels",
                                            got=f"{len(group)} ({group})"))
    name = merged_label or "|".join(group)
    tax = taxonomy(flat)
    # (a) merge test, exact boundaries and overlap matching
    sep = scores_from_flat(flat, tax.pairs, labels=group,
                           zero_division=zero_division).set_index("label")
    mapping = {lab: name for lab in group}
    flat_m = flatten_pair(_relabel(gold, mapping), _relabel(pred, mapping), check=False)
    tax_m = taxonomy(flat_m)
    mer = scores_from_flat(flat_m, tax_m.pairs, labels=[name],
                           zero_division=zero_division).set_index("label")
    cols = ["precision", "recall", "f1", "support", "predicted", "correct"]
    ov = {"separate": _overlap_scores(tax, [flat.code[lab] for lab in group], zero_division),
          "merged": _overlap_scores(tax_m, [flat_m.code[name]], zero_division)}
    for lab in group:
        ov[lab] = _overlap_scores(tax, [flat.code[lab]], zero_division)
    merge_rows = [("separate", *sep.loc["micro avg", cols].tolist(), *ov["separate"]),
                  ("merged", *mer.loc[name, cols].tolist(), *ov["merged"])]
    merge_rows += [(lab, *sep.loc[lab, cols].tolist(), *ov[lab]) for lab in group]
    merge = pd.DataFrame(merge_rows, columns=["setting", *cols, "precision_overlap",
                                              "recall_overlap", "f1_overlap",
                                              "correct_overlap"])
    for c in ("support", "predicted", "correct", "correct_overlap"):
        merge[c] = merge[c].astype(np.int64)
    # (b) cues
    g = flat.gold
    counts: dict[str, Counter] = {lab: Counter() for lab in group}
    background: Counter = Counter()
    gcode = {flat.code[lab]: lab for lab in group}
    win_words: dict[int, set[str]] = {}
    for j in range(len(g)):
        e = gold[int(g.ex[j])]
        words = _window_words(e, int(g.start[j]), int(g.end[j]), window)
        if letters_only:
            words = [w for w in words if any(c.isalpha() for c in w)]
        background.update(words)
        lab = gcode.get(int(g.label[j]))
        if lab is not None:
            counts[lab].update(words)
            win_words[j] = set(words)
    allcues = log_odds_dirichlet(counts, background, prior_strength=prior_strength)
    if len(allcues):
        allcues = allcues[allcues["z"] > 0]  # a cue is more frequent near this label
    cues = (allcues.groupby("label", sort=False).head(top_cues).reset_index(drop=True)
            if len(allcues) else allcues)
    top: dict[str, set[str]] = {lab: set(cues.loc[cues["label"] == lab, "cue"]) for lab in group}
    # (c) errors by cue presence
    rows = []
    gcodes = np.array(sorted(gcode))
    rule_ok = 0
    n_group = 0
    for lab in group:
        c = flat.code[lab]
        idx = np.flatnonzero(g.label == c)
        for j in idx.tolist():
            hits = [other for other in group if win_words.get(j, set()) & top[other]]
            rule_ok += hits == [lab]
        n_group += len(idx)
        for present in (True, False):
            sel = [j for j in idx.tolist() if bool(win_words.get(j, set()) & top[lab]) == present]
            n = len(sel)
            if n == 0:
                rows.append((lab, present, 0, 0, 0, 0, 0, np.nan, np.nan))
                continue
            sel_a = np.asarray(sel)
            correct = int(tax.exact_gold[sel_a].sum())
            pm = tax.gold_match[sel_a]
            plab = np.where(pm >= 0, flat.pred.label[np.maximum(pm, 0)], -1)
            right = int(((pm >= 0) & (plab == c)).sum())
            wrong = int(((pm >= 0) & np.isin(plab, gcodes) & (plab != c)).sum())
            rows.append((lab, present, n, correct, right, wrong, n - right - wrong, correct / n,
                         right / (right + wrong) if right + wrong else np.nan))
    by_cue = pd.DataFrame(rows, columns=["label", "cue_present", "support", "correct",
                                         "right_type", "wrong_type_in_group", "other_error",
                                         "accuracy", "type_accuracy"])
    conf = confusion_from_taxonomy(tax, "overlap")
    keep_r = [r for r in conf.index if r in group] + [EMPTY]
    keep_c = [c for c in conf.columns if c in group] + [EMPTY]
    conf = conf.loc[keep_r, keep_c]
    extra = {"cue_rule_accuracy": rule_ok / n_group if n_group else float("nan")}
    finding = _finding(group, merge, cues, by_cue, labels, extra["cue_rule_accuracy"])
    return LabelGroupResult(group, merge, cues, by_cue, conf, finding, extra)


def _fmt(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def _finding(group, merge, cues, by_cue, pattern, rule_acc: float) -> str:
    m = merge.set_index("setting")
    f_sep, f_mer = float(m.loc["separate", "f1"]), float(m.loc["merged", "f1"])
    o_sep, o_mer = float(m.loc["separate", "f1_overlap"]), float(m.loc["merged", "f1_overlap"])
    title = pattern if isinstance(pattern, str) else " / ".join(group)
    typing_gap = max(f_mer - f_sep, o_mer - o_sep)
    if typing_gap >= 0.1:
        if f_mer >= 0.9:
            s1 = (f"Detection of {title} is fine (F1 {_fmt(f_mer)} when the labels are merged) "
                  f"but typing fails (F1 {_fmt(f_sep)} with the labels kept apart).")
        elif o_mer >= 0.9:
            s1 = (f"Detection of {title} is fine up to boundaries (F1 {_fmt(o_mer)} when the "
                  f"labels are merged and any overlap counts; {_fmt(f_mer)} with exact "
                  f"boundaries) but typing fails (F1 {_fmt(o_sep)} with the labels kept apart, "
                  f"overlap; {_fmt(f_sep)} exact).")
        else:
            s1 = (f"Both detection and typing of {title} are weak: merging the labels raises F1 "
                  f"from {_fmt(f_sep)} to {_fmt(f_mer)} (exact boundaries; {_fmt(o_sep)} to "
                  f"{_fmt(o_mer)} when any overlap counts), so typing errors cost "
                  f"{_fmt(typing_gap)} F1 and the rest is detection.")
    else:
        s1 = (f"Typing within {title} is not the main problem: F1 is {_fmt(f_sep)} with the "
              f"labels kept apart and {_fmt(f_mer)} when merged; the errors are detection "
              f"errors (missed, spurious or boundaries).")
    parts = []
    for lab in group:
        cl = cues[cues["label"] == lab].head(3)
        if len(cl):
            words = ", ".join(f"'{w}'" for w in cl["cue"])
            parts.append(f"{words} mark{'s' if len(cl) == 1 else ''} {lab}")
    s2 = ("In the gold data, the context words " + "; ".join(parts) + ".") if parts else \
        "No context word separates the labels in the gold data."
    notes = []
    for lab in group:
        d = by_cue[by_cue["label"] == lab].set_index("cue_present")
        n_t = int(d.loc[True, "support"]) if True in d.index else 0
        n_f = int(d.loc[False, "support"]) if False in d.index else 0
        if n_t + n_f == 0:
            continue
        a_t = float(d.loc[True, "type_accuracy"]) if n_t else float("nan")
        a_f = float(d.loc[False, "type_accuracy"]) if n_f else float("nan")
        share = n_t / (n_t + n_f)
        if n_t and not math.isnan(a_t) and a_t < 0.8:
            notes.append(f"found {lab} entities get the right label only {_fmt(a_t)} of the "
                         f"time even with a cue in the window ({share:.0%} of them have one): "
                         f"the model does not use the cues")
        elif n_t and n_f and not math.isnan(a_t) and not math.isnan(a_f) and a_t - a_f >= 0.1:
            notes.append(f"found {lab} entities get the right label {_fmt(a_t)} of the time with "
                         f"a cue and {_fmt(a_f)} without: the model relies on the cues and fails "
                         f"without them")
        elif n_f and not math.isnan(a_f) and a_f < 0.8:
            notes.append(f"found {lab} entities without a cue ({1 - share:.0%}) get the right "
                         f"label only {_fmt(a_f)} of the time")
    s3 = (" " + "; ".join(notes)[0].upper() + "; ".join(notes)[1:] + ".") if notes else ""
    s4 = ""
    if typing_gap >= 0.1 and not math.isnan(rule_acc) and rule_acc >= 0.8:
        s4 = (f" A rule that types each entity by these cues would be right for "
              f"{rule_acc:.0%} of the gold {title} entities (in-sample): the typing needs a "
              f"context heuristic (or features that see the cues), not more detection training.")
    return f"{s1} {s2}{s3}{s4}"
