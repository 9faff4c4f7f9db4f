"""Spurious cue words: words whose presence shifts the label distribution beyond chance.

Units
-----
Classification: every labelled example is one unit, its label the unit's label,
its words the set of :func:`~nlperr.quality._text.words` of the text.  NER: every
gold mention is one unit labelled with its type; its words are those of the
``window`` tokens left and right of the mention (the mention's own words are
left out: a cue is context that gives the type away).

Statistic (Gardner et al. 2021, "Competency problems")
-------------------------------------------------------
For a word ``w`` present in ``n`` units, ``k`` of them with label ``y``, and the
null proportion ``p0 = prior(y)`` (``prior="empirical"``: the share of label ``y``
among all units; ``"uniform"``: ``1 / #labels``)::

    z = (k / n - p0) / sqrt(p0 (1 - p0) / n)

one-sided p-value ``P(Z >= z)`` (normal approximation; words in fewer than
``min_count`` units are not tested), corrected over every tested (word, label)
pair by Benjamini-Hochberg (``correction="bh"``, ``q_value``) or Bonferroni
(``"bonferroni"``); ``significant`` when the corrected value is ``<= alpha``.
``pmi = log2(p(y | w) / p(y))`` with the empirical ``p(y)``.  ``log_odds`` is the
log-odds ratio with an informative Dirichlet prior of the word in the label's
units against the other labels' units (Monroe et al. 2008;
:func:`nlperr.analysis.log_odds_dirichlet`, the label-group cue machinery).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis import benjamini_hochberg, log_odds_dirichlet
from ..data import Example
from ..errors import Errors, InputError, Warnings, warn
from ..stats import normal_sf, proportion_z
from ._text import example_id, task_of, token_bounds, token_range, words

__all__ = ["cue_words", "PRIORS", "CORRECTIONS"]

PRIORS = ("empirical", "uniform")
CORRECTIONS = ("bh", "bonferroni")
#: Columns of :func:`cue_words`.
CUE_COLUMNS = ["label", "word", "count", "n", "share", "prior", "z", "p_value", "q_value",
               "significant", "pmi", "log_odds", "examples"]


def _units(examples: Sequence[Example], task: str, window: int, split: str
           ) -> tuple[list[set[str]], list[str], list[str]]:
    sets, labels, ids = [], [], []
    memo: dict[str, list[str]] = {}
    unaligned = 0
    for i, e in enumerate(examples):
        eid = example_id(e, i, split)
        if task == "classification":
            if e.label is None:
                continue
            sets.append(set(words(e.text)))
            labels.append(str(e.label))
            ids.append(eid)
            continue
        if not e.spans:
            continue
        toks, starts, ends = token_bounds(e)
        low = []
        for t in toks:
            w = memo.get(t)
            if w is None:
                w = memo[t] = words(t)
            low.append(w)
        for s in e.spans:
            a, b, ok = token_range(starts, ends, s.start, s.end)
            unaligned += not ok
            if b <= a:
                continue
            ws = set()
            for t in low[max(0, a - window):a] + low[b:b + window]:
                ws.update(t)
            sets.append(ws)
            labels.append(s.label)
            ids.append(f"{eid}#{a}")
    if unaligned:
        warn(Warnings.W951.format(count=unaligned, what="cue_words"))
    return sets, labels, ids


def cue_words(examples: Sequence[Example], *, task: str | None = None,
              prior: str = "empirical", min_count: int = 5, alpha: float = 0.05,
              correction: str = "bh", window: int = 3, split: str | None = None
              ) -> pd.DataFrame:
    """Cue words per label (module docs), highest ``z`` first.

    Parameters
    ----------
    examples : sequence of Example
        Labelled examples (classification) or examples with gold spans (NER).
    task : {"ner", "classification"}, optional
        Default: NER when any example has spans.
    prior : {"empirical", "uniform"}
    min_count : int
        Words present in fewer units are not tested.
    alpha : float
        Level of the corrected test.
    correction : {"bh", "bonferroni"}
    window : int
        NER: context tokens on each side of a mention.

    Returns
    -------
    DataFrame
        One row per tested (label, word) with ``count > 0``: ``label``, ``word``,
        ``count`` (units with the word and the label), ``n`` (units with the word),
        ``share`` (``count / n``), ``prior``, ``z``, ``p_value``, ``q_value``
        (corrected), ``significant``, ``pmi`` (bits), ``log_odds``, ``examples`` (up
        to three unit ids, ``" | "``-joined; NER ids end in ``#token``).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> ex = ([Example(f"zq good film {i}", label="pos") for i in range(30)]
    ...       + [Example(f"bad film {i}", label="neg") for i in range(30)])
    >>> cue_words(ex).head(2)[["label", "word", "count", "n", "significant"]].values.tolist()
    [['neg', 'bad', 30, 30, True], ['pos', 'good', 30, 30, True]]
    """
    if prior not in PRIORS:
        raise InputError(Errors.E207.format(value=prior, option="prior", allowed=list(PRIORS)))
    if correction not in CORRECTIONS:
        raise InputError(Errors.E207.format(value=correction, option="correction",
                                            allowed=list(CORRECTIONS)))
    if task is None:
        task = task_of(examples)
    if task not in ("ner", "classification"):
        raise InputError(Errors.E207.format(value=task, option="task",
                                            allowed=["ner", "classification"]))
    if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
        raise InputError(Errors.E950.format(name="min_count", expected="a positive integer",
                                            value=min_count))
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InputError(Errors.E950.format(name="alpha", expected="a number in (0, 1)",
                                            value=alpha))
    sets, labels, ids = _units(examples, task, window, split or "data")
    empty = pd.DataFrame(columns=CUE_COLUMNS)
    if not sets:
        return empty
    lab_names = sorted(set(labels))
    L = len(lab_names)
    lab_code = {lab: i for i, lab in enumerate(lab_names)}
    y = np.fromiter((lab_code[x] for x in labels), dtype=np.int64, count=len(labels))
    vocab: dict[str, int] = {}
    unit_idx, word_idx = [], []
    for u, ws in enumerate(sets):
        for w in ws:
            unit_idx.append(u)
            word_idx.append(vocab.setdefault(w, len(vocab)))
    if not vocab:
        return empty
    vocab_list = list(vocab)
    ui = np.asarray(unit_idx, dtype=np.int64)
    wi = np.asarray(word_idx, dtype=np.int64)
    V = len(vocab_list)
    n_w = np.bincount(wi, minlength=V)
    k_wy = np.bincount(wi * L + y[ui], minlength=V * L).reshape(V, L)
    p_emp = np.bincount(y, minlength=L) / len(y)
    p0 = p_emp if prior == "empirical" else np.full(L, 1.0 / L)
    tested = n_w >= min_count
    tw = np.flatnonzero(tested)
    if not len(tw) or L < 2:
        return empty
    K = k_wy[tw]                                    # (T, L)
    N = np.repeat(n_w[tw][:, None], L, axis=1)
    Z = proportion_z(K, N, p0[None, :])
    P = normal_sf(Z)
    flatp = P.ravel()
    m = int(np.isfinite(flatp).sum())
    if correction == "bh":
        Q = np.full_like(flatp, np.nan)
        ok = np.isfinite(flatp)
        Q[ok] = benjamini_hochberg(flatp[ok])
    else:
        Q = np.minimum(1.0, flatp * m)
    Q = Q.reshape(P.shape)
    # log-odds with an informative Dirichlet prior (the label-group cue machinery)
    counts = {lab: Counter() for lab in lab_names}
    for r, w in enumerate(tw.tolist()):
        for c in range(L):
            if K[r, c]:
                counts[lab_names[c]][vocab_list[w]] = int(K[r, c])
    background = Counter({vocab_list[w]: int(n_w[w]) for w in tw.tolist()})
    lo = log_odds_dirichlet(counts, background)
    lo_map = {(a, b): v for a, b, v in zip(lo["label"], lo["cue"], lo["log_odds"])}
    r_idx, c_idx = np.nonzero(K > 0)
    rows = pd.DataFrame({
        "label": [lab_names[c] for c in c_idx.tolist()],
        "word": [vocab_list[tw[r]] for r in r_idx.tolist()],
        "count": K[r_idx, c_idx].astype(np.int64),
        "n": N[r_idx, c_idx].astype(np.int64),
    })
    rows["share"] = rows["count"] / rows["n"]
    rows["prior"] = p0[c_idx]
    rows["z"] = Z[r_idx, c_idx]
    rows["p_value"] = P[r_idx, c_idx]
    rows["q_value"] = Q[r_idx, c_idx]
    rows["significant"] = (rows["q_value"] <= alpha) & (rows["z"] > 0)
    with np.errstate(divide="ignore"):
        rows["pmi"] = np.log2(rows["share"].to_numpy() / p_emp[c_idx])
    rows["log_odds"] = [lo_map.get((a, b), math.nan) for a, b in zip(rows["label"], rows["word"])]
    rows = rows.sort_values(["z", "count", "label", "word"], ascending=[False, False, True, True],
                            kind="mergesort").reset_index(drop=True)
    # example ids for the significant rows and the top rows of each label
    show = rows["significant"].to_numpy() | (rows.groupby("label").cumcount() < 20).to_numpy()
    need = defaultdict(list)
    for k in np.flatnonzero(show).tolist():
        need[(vocab[rows.at[k, "word"]], lab_code[rows.at[k, "label"]])].append(k)
    found: dict[tuple[int, int], list[str]] = defaultdict(list)
    want = np.isin(wi, np.fromiter((w for w, _ in need), dtype=np.int64, count=len(need)))
    yl = y.tolist()
    for u, w in zip(ui[want].tolist(), wi[want].tolist()):
        key = (w, yl[u])
        if key in need and len(found[key]) < 3:
            found[key].append(ids[u])
    ex_col = [""] * len(rows)
    for key, ks in need.items():
        for k in ks:
            ex_col[k] = " | ".join(found.get(key, []))
    rows["examples"] = ex_col
    return rows[CUE_COLUMNS]
