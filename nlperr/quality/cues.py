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
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis import benjamini_hochberg, log_odds_dirichlet
from ..data import Example
from ..errors import Errors, InputError, Warnings, warn
from ..stats import normal_sf, proportion_z
from ._text import task_of, token_bounds, token_range, words

__all__ = ["cue_words", "CueCounts", "PRIORS", "CORRECTIONS"]

PRIORS = ("empirical", "uniform")
CORRECTIONS = ("bh", "bonferroni")
#: Columns of :func:`cue_words`.
CUE_COLUMNS = ["label", "word", "count", "n", "share", "prior", "z", "p_value", "q_value",
               "significant", "pmi", "log_odds", "examples"]


def _units(examples: Sequence[Example], task: str, window: int
           ) -> tuple[list[set[str]], list[str], list[tuple[int, str | None, int | None]], int]:
    """Each unit's word set and label, its reference ``(example index, example id or
    None, first token of the mention or None)`` and the number of spans off the
    token boundaries."""
    sets, labels, refs = [], [], []
    memo: dict[str, list[str]] = {}
    unaligned = 0
    for i, e in enumerate(examples):
        ident = None if e.id is None else str(e.id)
        if task == "classification":
            if e.label is None:
                continue
            sets.append(set(words(e.text)))
            labels.append(str(e.label))
            refs.append((i, ident, None))
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
            refs.append((i, ident, a))
    return sets, labels, refs, unaligned


_N_IDS = 3  # unit ids kept per (word, label) for the examples column


class CueCounts:
    """The mergeable counts :func:`cue_words` tests, for one shard of a corpus: the
    units of each label, the units holding each word, the units holding each word
    with each label, and the first three units of every (word, label) pair.

    ``CueCounts.from_examples(shard, task=...)`` maps one shard; ``a.merge(b)`` adds
    *b*, the next shard (its example indices continue *a*'s); ``cue_words(counts)``
    finalizes.  ``cue_words`` of merged shards equals ``cue_words`` of the whole
    corpus exactly (tested over random shardings).

    >>> from nlperr.data import Example
    >>> a = CueCounts.from_examples([Example("good film", label="pos")],
    ...                             task="classification")
    >>> b = CueCounts.from_examples([Example("bad film", label="neg")],
    ...                             task="classification")
    >>> m = a.merge(b)
    >>> m.n, dict(m.labels), m.words["film"], m.pairs[("film", "neg")]
    (2, {'pos': 1, 'neg': 1}, 2, 1)
    """

    __slots__ = ("task", "window", "n", "labels", "words", "pairs", "refs", "unaligned")

    def __init__(self, task: str, window: int = 3) -> None:
        if task not in ("ner", "classification"):
            raise InputError(Errors.E207.format(value=task, option="task",
                                                allowed=["ner", "classification"]))
        _check_window(window)
        self.task = task
        self.window = window
        self.n = 0                    # examples counted (the next shard's index offset)
        self.labels: Counter = Counter()   # label -> units
        self.words: Counter = Counter()    # word -> units holding it
        self.pairs: Counter = Counter()    # (word, label) -> units
        self.refs: dict[tuple[str, str], list[tuple[int, str | None, int | None]]] = {}
        self.unaligned = 0            # spans off the token boundaries (warning W951)

    @classmethod
    def from_examples(cls, examples: Sequence[Example], *, task: str, window: int = 3
                      ) -> "CueCounts":
        c = cls(task, window)
        sets, labels, refs, c.unaligned = _units(examples, task, window)
        c.n = len(examples)
        c.labels = Counter(labels)
        vocab: dict[str, int] = {}
        unit_idx, word_idx = [], []
        for u, ws in enumerate(sets):
            for w in ws:
                unit_idx.append(u)
                word_idx.append(vocab.setdefault(w, len(vocab)))
        if not vocab:
            return c
        names = sorted(c.labels)
        code = {lab: k for k, lab in enumerate(names)}
        y = np.fromiter(map(code.__getitem__, labels), dtype=np.int64, count=len(labels))
        ui = np.asarray(unit_idx, dtype=np.int64)
        wi = np.asarray(word_idx, dtype=np.int64)
        vocab_list = list(vocab)
        c.words = Counter(dict(zip(vocab_list, np.bincount(wi, minlength=len(vocab)).tolist())))
        # the first units of each (word, label), in corpus order
        pair = wi * len(names) + y[ui]
        order = np.lexsort((ui, pair))
        ps, us = pair[order], ui[order]
        first = np.flatnonzero(np.r_[True, ps[1:] != ps[:-1]])
        sizes = np.diff(np.r_[first, len(ps)])
        rank = np.arange(len(ps)) - np.repeat(first, sizes)
        for p, u, r in zip(ps.tolist(), us.tolist(), rank.tolist()):
            key = (vocab_list[p // len(names)], names[p % len(names)])
            if r == 0:
                c.refs[key] = [refs[u]]
            elif r < _N_IDS:
                c.refs[key].append(refs[u])
        c.pairs = Counter(dict(zip(c.refs, sizes.tolist())))
        return c

    def merge(self, other: "CueCounts") -> "CueCounts":
        """Add *other*, the next shard (its example indices shifted by this one's size);
        returns ``self``."""
        if (other.task, other.window) != (self.task, self.window):
            raise InputError(Errors.E1057.format(
                what="cue-word counts", a=f"task={self.task!r}, window={self.window}",
                b=f"task={other.task!r}, window={other.window}"))
        off = self.n
        for key, rs in other.refs.items():
            mine = self.refs.setdefault(key, [])
            if len(mine) < _N_IDS:
                mine.extend((i + off, ident, a) for i, ident, a in rs[:_N_IDS - len(mine)])
        self.labels.update(other.labels)
        self.words.update(other.words)
        self.pairs.update(other.pairs)
        self.unaligned += other.unaligned
        self.n += other.n
        return self


def check_cue_options(prior: str, min_count: int, alpha: float, window: int = 3, *,
                      correction: str = "bh") -> None:
    """Refuse cue-word settings :func:`cue_words` cannot use (E207, E950)."""
    if prior not in PRIORS:
        raise InputError(Errors.E207.format(value=prior, option="prior", allowed=list(PRIORS)))
    if correction not in CORRECTIONS:
        raise InputError(Errors.E207.format(value=correction, option="correction",
                                            allowed=list(CORRECTIONS)))
    if not isinstance(min_count, int) or isinstance(min_count, bool) or min_count < 1:
        raise InputError(Errors.E950.format(name="min_count", expected="a positive integer",
                                            value=min_count))
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise InputError(Errors.E950.format(name="alpha", expected="a number in (0, 1)",
                                            value=alpha))
    _check_window(window)


def _check_window(window: object) -> None:
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        raise InputError(Errors.E950.format(name="window", expected="an integer >= 0",
                                            value=window))


def cue_words(examples: Sequence[Example] | CueCounts, *, task: str | None = None,
              prior: str = "empirical", min_count: int = 5, alpha: float = 0.05,
              correction: str = "bh", window: int = 3, split: str | None = None
              ) -> pd.DataFrame:
    """Cue words per label (module docs), highest ``z`` first.

    Parameters
    ----------
    examples : sequence of Example, or CueCounts
        Labelled examples (classification) or examples with gold spans (NER), or
        their :class:`CueCounts` (shards counted apart and merged: the same table;
        *task* and *window* are then the counts').
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
    split : str, optional
        Examples without an id are named ``"<split>:<index>"`` (default ``"data"``).

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
    check_cue_options(prior, min_count, alpha, correction=correction)
    if isinstance(examples, CueCounts):
        counts = examples
    else:
        if task is None:
            task = task_of(examples)
        counts = CueCounts.from_examples(examples, task=task, window=window)
    if counts.unaligned:
        warn(Warnings.W951.format(count=counts.unaligned, what="cue_words"))
    return _table(counts, prior, min_count, alpha, correction, split or "data")


def _table(c: CueCounts, prior: str, min_count: int, alpha: float, correction: str,
           split: str) -> pd.DataFrame:
    empty = pd.DataFrame(columns=CUE_COLUMNS)
    if not c.words:
        return empty
    lab_names = sorted(c.labels)
    L = len(lab_names)
    n_units = sum(c.labels.values())
    vocab_list = sorted(c.words)
    vocab = {w: k for k, w in enumerate(vocab_list)}
    V = len(vocab_list)
    n_w = np.fromiter(map(c.words.__getitem__, vocab_list), dtype=np.int64, count=V)
    lab_code = {lab: i for i, lab in enumerate(lab_names)}
    k_wy = np.zeros((V, L), dtype=np.int64)
    if c.pairs:
        keys = list(c.pairs)
        k_wy[[vocab[w] for w, _ in keys], [lab_code[y] for _, y in keys]] = list(c.pairs.values())
    p_emp = np.array([c.labels[lab] for lab in lab_names], dtype=np.int64) / n_units
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
        for k in range(L):
            if K[r, k]:
                counts[lab_names[k]][vocab_list[w]] = int(K[r, k])
    background = Counter({vocab_list[w]: int(n_w[w]) for w in tw.tolist()})
    lo = log_odds_dirichlet(counts, background)
    lo_map = {(a, b): v for a, b, v in zip(lo["label"], lo["cue"], lo["log_odds"])}
    r_idx, c_idx = np.nonzero(K > 0)
    rows = pd.DataFrame({
        "label": [lab_names[k] for k in c_idx.tolist()],
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
    ex_col = [""] * len(rows)
    for k in np.flatnonzero(show).tolist():
        refs = c.refs.get((rows.at[k, "word"], rows.at[k, "label"]), ())
        ex_col[k] = " | ".join(
            (ident if ident is not None else f"{split}:{i}") + ("" if a is None else f"#{a}")
            for i, ident, a in refs)
    rows["examples"] = ex_col
    return rows[CUE_COLUMNS]
