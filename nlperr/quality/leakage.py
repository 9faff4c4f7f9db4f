"""Leakage between splits: exact duplicates, near-duplicates (MinHash / LSH) and entity overlap.

Definitions
-----------
*Exact duplicate*: a test example whose normalised text
(:func:`~nlperr.quality._text.normalize_text`: NFKC, casefold, whitespace runs to
one space, stripped) equals the normalised text of a training example.  Empty
texts are never duplicates.

*Near-duplicate*: a pair whose word-shingle sets have a Jaccard similarity
``|A & B| / |A | B| >= threshold``.  Shingles are the word ``ngram``-grams of the
lower-cased text (``ngram=1``: the set of words).  With ``ngram=1`` a copy of an
``n``-word sentence (``n`` distinct words) with ``m`` words replaced has Jaccard
``(n - m) / (n + m)``: at the default threshold 0.6 one changed word is found
from 4 words on, two changed words from 8 words on.

Candidates come from MinHash signatures (``num_perm`` random hash functions: each
shingle gets one random 32-bit value per function, a text's signature is the
minimum over its shingles) cut into ``b`` bands of ``r`` rows; two texts are
candidates when one band is identical.  ``r`` is the largest value for which a
pair *at* the threshold becomes a candidate with probability ``1 - (1 - t^r)^b
>= 0.995`` (pairs above the threshold: more; 0.6 and 128 functions: 42 bands of
3 rows, and a pair at Jaccard 0.65 is missed with probability about 1e-6).  Candidates whose signatures agree in a share
of the functions (the MinHash estimate of their Jaccard) more than five standard
deviations below the threshold are dropped -- a pair at the threshold is dropped
with probability below 1e-6 -- and every remaining candidate's Jaccard is computed
exactly, so reported pairs have no false positives; the cost grows with the
number of texts and candidates, not with the number of pairs.  Identical shingle
sets are hashed once and their pairs expanded at the end.

*Entity overlap*: every test mention falls in one group of
:func:`nlperr.analysis.slices.entity_overlap_group` (exact mention text and
type): ``seen``, ``seen_other_type`` or ``unseen``.  The same function is the
``train_overlap`` slice attribute of :func:`nlperr.analyze_ner`, so F1 on seen
vs unseen entities uses exactly these groups.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.slices import OVERLAP_GROUPS, TrainStats, entity_overlap_group, train_stats
from ..data import Example
from ..errors import Errors, InputError
from ._text import example_id, normalize_text, words

__all__ = ["exact_duplicates", "near_duplicates", "entity_overlap", "lsh_bands",
           "jaccard", "shingles", "TextIndex"]

#: Columns of :func:`exact_duplicates`.
EXACT_COLUMNS = ["index", "id", "text", "train_index", "train_id", "n_copies"]
#: Columns of :func:`near_duplicates`.
NEAR_COLUMNS = ["index", "id", "train_index", "train_id", "jaccard", "exact", "text",
                "train_text"]
#: Columns of the per-mention table of :func:`entity_overlap`.
MENTION_COLUMNS = ["id", "start", "end", "text", "label", "group", "train_same_type",
                   "train_any_type"]
#: Columns of the per-type table of :func:`entity_overlap`.
OVERLAP_COLUMNS = ["label", "mentions", "seen", "seen_other_type", "unseen", "seen_share",
                   "seen_other_type_share", "unseen_share"]


def _check_threshold(threshold: float) -> float:
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) \
            or not 0.0 < float(threshold) <= 1.0:
        raise InputError(Errors.E950.format(name="threshold", expected="a number in (0, 1]",
                                            value=threshold))
    return float(threshold)


def _check_positive(name: str, value: object) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise InputError(Errors.E950.format(name=name, expected="a positive integer",
                                            value=value))
    return int(value)


def shingles(text: str, ngram: int = 1) -> frozenset[str]:
    """The word shingles of *text* (a text shorter than *ngram* words is one shingle).

    >>> sorted(shingles("The cat, the hat", 2))
    ['cat the', 'the cat', 'the hat']
    """
    w = words(text)
    if len(w) <= ngram:
        return frozenset([" ".join(w)]) if w else frozenset()
    return frozenset(" ".join(w[i:i + ngram]) for i in range(len(w) - ngram + 1))


def jaccard(a: frozenset | set, b: frozenset | set) -> float:
    """``|a & b| / |a | b|`` (0 for two empty sets)."""
    if not a and not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


#: Probability with which a pair at the Jaccard threshold becomes an LSH candidate (at
#: least; pairs above the threshold: more).
RECALL_TARGET = 0.995


def lsh_bands(threshold: float, num_perm: int, *, target: float = RECALL_TARGET
              ) -> tuple[int, int]:
    """``(bands, rows)`` for *num_perm* hash functions: the most rows per band for which a
    pair with Jaccard *threshold* is a candidate with probability ``>= target``.

    >>> lsh_bands(0.6, 128)
    (42, 3)
    """
    best = (num_perm, 1)
    for r in range(1, num_perm + 1):
        b = num_perm // r
        if b < 1:
            break
        if 1.0 - (1.0 - threshold ** r) ** b >= target:
            best = (b, r)
    return best


class ShingleStore:
    """The shingle sets of many texts as integer ids: one flat array of each set's
    sorted ids and its offsets, with one vocabulary (id -> shingle) for every store
    made with it.  About 4 bytes per shingle instead of a ``frozenset`` of strings
    (~2 kB per sentence), so the near-duplicate search over a large corpus holds
    numbers, not strings.

    >>> vocab = {}
    >>> st = ShingleStore(vocab)
    >>> st.add_texts(["the cat sat", "The cat!", ""], ngram=1)
    >>> st.set(0) == frozenset(vocab[w] for w in ("the", "cat", "sat")), len(st), st.size(2)
    (True, 3, 0)
    """

    __slots__ = ("vocab", "ids", "offsets")

    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        self.ids = array("i")
        self.offsets = array("q", [0])

    def add_texts(self, texts: Iterable[str], *, ngram: int = 1) -> None:
        vocab, ids, offsets = self.vocab, self.ids, self.offsets
        for text in texts:
            ids.extend(sorted({vocab.setdefault(x, len(vocab)) for x in shingles(text, ngram)}))
            offsets.append(len(ids))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def size(self, i: int) -> int:
        return self.offsets[i + 1] - self.offsets[i]

    def set(self, i: int) -> frozenset[int]:
        return frozenset(self.ids[self.offsets[i]:self.offsets[i + 1]])

    def merge(self, other: "ShingleStore") -> "ShingleStore":
        """Append *other*'s sets (the next shard; made with its own vocabulary or this
        one's), their ids mapped into this store's vocabulary; returns ``self``.
        ``near_duplicates`` only compares sets, so stores of shards merged in order
        give the pairs of one store of the whole corpus (tested)."""
        ids, offsets = other.arrays()
        if other.vocab is not self.vocab and len(ids):
            lut = np.fromiter((self.vocab.setdefault(x, len(self.vocab)) for x in other.vocab),
                              dtype=np.int32, count=len(other.vocab))
            ids = _sorted_sets(lut[ids], offsets)
        base = len(self.ids)
        self.ids.frombytes(np.ascontiguousarray(ids, dtype=np.int32).tobytes())
        self.offsets.extend((offsets[1:] + base).tolist())
        return self

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, offsets)`` as numpy arrays (views, no copy)."""
        return (np.frombuffer(self.ids, dtype=np.int32) if len(self.ids)
                else np.zeros(0, dtype=np.int32), np.frombuffer(self.offsets, dtype=np.int64))


def _sorted_sets(ids: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """*ids* sorted within each set ``ids[offsets[k]:offsets[k + 1]]``."""
    owner, _ = _expand(offsets[:-1], offsets[1:])
    return ids[np.lexsort((ids, owner))]


def _store(examples: Sequence[Example], ngram: int, vocab: dict[str, int] | None = None
           ) -> ShingleStore:
    st = ShingleStore({} if vocab is None else vocab)
    st.add_texts((e.text for e in examples), ngram=ngram)
    return st


def _signatures(flat_ids: np.ndarray, offsets: np.ndarray, names: list[str], num_perm: int,
                seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures ``(num_perm, n)`` (uint32) of the sets ``flat_ids[offsets[k]:
    offsets[k + 1]]`` and which sets are non-empty; *names*: the shingle of each id."""
    lens = np.diff(offsets)
    nonempty = lens > 0
    sig = np.full((num_perm, len(lens)), np.iinfo(np.uint32).max, dtype=np.uint32)
    if not len(flat_ids):
        return sig, nonempty
    # a shingle's hash values depend on its rank among the sorted shingles of these sets,
    # not on ids or on the order of set iteration: same texts and seed, same result
    used = np.unique(flat_ids)
    _, rank = np.unique(np.array([names[i] for i in used.tolist()], dtype=object),
                        return_inverse=True)
    lut = np.zeros(int(used[-1]) + 1, dtype=np.int64)
    lut[used] = rank.ravel()
    flat = lut[flat_ids]
    starts = offsets[:-1][nonempty]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(num_perm, (1 << 24) // max(len(flat), 1)))
    for lo in range(0, num_perm, chunk):
        hi = min(num_perm, lo + chunk)
        table = rng.integers(0, 1 << 32, size=(hi - lo, len(used)), dtype=np.uint32)
        sig[lo:hi, nonempty] = np.minimum.reduceat(table[:, flat], starts, axis=1)
    return sig, nonempty


def _band_keys(sig: np.ndarray, bands: int, rows: int, seed: int) -> np.ndarray:
    """One 64-bit key per (band, text): a random linear hash of the band's rows."""
    rng = np.random.default_rng([seed, 7])
    mult = rng.integers(1, 1 << 63, size=rows, dtype=np.uint64) | np.uint64(1)
    keys = np.zeros((bands, sig.shape[1]), dtype=np.uint64)
    for r in range(rows):
        keys += sig[r::rows][:bands].astype(np.uint64) * mult[r]
    return keys


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges ``[lo[k], hi[k])``: the owner ``k`` and the position of every element."""
    n = hi - lo
    owner = np.repeat(np.arange(len(lo)), n)
    start = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    return owner, start + np.arange(int(n.sum()))


def _candidates(keys_a: np.ndarray, keys_b: np.ndarray | None, ok_a: np.ndarray,
                ok_b: np.ndarray | None) -> np.ndarray:
    """Unique candidate pairs ``(i, j)`` sharing a band key (i in a, j in b; i < j when
    b is None): a sort-and-search join per band."""
    out = []
    ia = np.flatnonzero(ok_a)
    ib = ia if keys_b is None else np.flatnonzero(ok_b)
    for band in range(keys_a.shape[0]):
        if keys_b is None:
            k = keys_a[band, ia]
            order = np.argsort(k, kind="stable")
            ks = k[order]
            # for each sorted position p, the later positions with the same key
            hi = np.searchsorted(ks, ks, side="right")
            owner, pos = _expand(np.arange(len(ks)) + 1, hi)
            if len(owner):
                i, j = ia[order[owner]], ia[order[pos]]
                out.append(np.stack([np.minimum(i, j), np.maximum(i, j)], 1))
        else:
            kb = keys_b[band, ib]
            order = np.argsort(kb, kind="stable")
            ks = kb[order]
            ka = keys_a[band, ia]
            lo = np.searchsorted(ks, ka, side="left")
            hi = np.searchsorted(ks, ka, side="right")
            owner, pos = _expand(lo, hi)
            if len(owner):
                out.append(np.stack([ia[owner], ib[order[pos]]], 1))
    if not out:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(out), axis=0)


def _prefilter(cand: np.ndarray, sig: np.ndarray, offset_b: int, threshold: float
               ) -> np.ndarray:
    """Drop candidates whose signature agreement (the MinHash estimate of their Jaccard,
    standard deviation ``sqrt(t (1 - t) / num_perm)`` at Jaccard ``t``) is more than five
    standard deviations below the threshold: a pair at the threshold is dropped with
    probability below 1e-6 (0.6 and 128 functions: agreement < 0.383)."""
    if len(cand) == 0:
        return cand
    margin = 5.0 * np.sqrt(threshold * (1.0 - threshold) / sig.shape[0])
    keep = np.zeros(len(cand), dtype=bool)
    step = max(1, (1 << 21) // sig.shape[0])
    for lo in range(0, len(cand), step):
        c = cand[lo:lo + step]
        agree = (sig[:, c[:, 0]] == sig[:, c[:, 1] + offset_b]).mean(axis=0)
        keep[lo:lo + step] = agree >= threshold - margin - 1e-9
    return cand[keep]


def _unique(store: ShingleStore) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """The distinct sets of *store* as ``(flat ids, offsets)`` and the positions holding
    each (first occurrences in order)."""
    ids, offsets = store.arrays()
    pos: dict[bytes, int] = {}
    members: list[list[int]] = []
    keep: list[int] = []
    raw = ids.tobytes()
    for i, (a, b) in enumerate(zip(offsets[:-1].tolist(), offsets[1:].tolist())):
        k = pos.setdefault(raw[4 * a:4 * b], len(members))
        if k == len(members):
            members.append([])
            keep.append(i)
        members[k].append(i)
    sel = np.asarray(keep, dtype=np.int64)
    uoff = np.zeros(len(sel) + 1, dtype=np.int64)
    np.cumsum(offsets[sel + 1] - offsets[sel], out=uoff[1:])
    _, idx = _expand(offsets[sel], offsets[sel + 1])
    return ids[idx], uoff, members


def _near_pairs(sets_a: ShingleStore, sets_b: ShingleStore | None, *, threshold: float,
                num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` with Jaccard >= threshold and their Jaccard values.

    Identical shingle sets are hashed once (many copies of one text never make a
    band bucket quadratic); the pairs are expanded to every copy at the end.  Both
    stores share one vocabulary.
    """
    ida, offa, ma = _unique(sets_a)
    if sets_b is None:
        idb, offb, mb = ida, offa, ma
        flat, offsets = ida, offa
    else:
        idb, offb, mb = _unique(sets_b)
        flat = np.concatenate([ida, idb])
        offsets = np.concatenate([offa, offb[1:] + offa[-1]])
    names = _names(sets_a.vocab)
    sig, ok = _signatures(flat, offsets, names, num_perm, seed)
    b, r = lsh_bands(threshold, num_perm)
    keys = _band_keys(sig, b, r, seed)
    na = len(ma)
    if sets_b is None:
        cand = _candidates(keys, None, ok, None)
    else:
        cand = _candidates(keys[:, :na], keys[:, na:], ok[:na], ok[na:])
    cand = _prefilter(cand, sig, na if sets_b is not None else 0, threshold)

    def as_set(ids: np.ndarray, off: np.ndarray, k: int) -> frozenset:
        return frozenset(ids[off[k]:off[k + 1]].tolist())
    jac = np.fromiter((jaccard(as_set(ida, offa, i), as_set(idb, offb, j))
                       for i, j in cand.tolist()), dtype=np.float64, count=len(cand))
    keep = jac >= threshold - 1e-12
    pairs: list[tuple[int, int]] = []
    values: list[float] = []
    for (i, j), v in zip(cand[keep].tolist(), jac[keep].tolist()):
        for x in ma[i]:
            for y in mb[j]:
                pairs.append((min(x, y), max(x, y)) if sets_b is None else (x, y))
                values.append(v)
    if sets_b is None:          # copies of one set are pairs with Jaccard 1
        for i, group in enumerate(ma):
            if len(group) > 1 and offa[i + 1] > offa[i]:
                for k, x in enumerate(group):
                    for y in group[k + 1:]:
                        pairs.append((x, y))
                        values.append(1.0)
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.float64)
    return np.asarray(pairs, dtype=np.int64), np.asarray(values, dtype=np.float64)


def near_pairs(train: ShingleStore, test: ShingleStore | None = None, *,
               threshold: float = 0.6, num_perm: int = 128, seed: int = 0) -> pd.DataFrame:
    """The pairs of :func:`near_duplicates` from shingle stores (shards made with
    :meth:`ShingleStore.add_texts` and merged in order): ``index``, ``train_index``,
    ``jaccard``, by decreasing ``jaccard`` -- the same pairs as ``near_duplicates`` of
    the texts.  The texts and ids of the pairs come from the data itself (a second
    pass over it, as :func:`~nlperr.quality.check_data_stream` does).

    >>> a, b = ShingleStore({}), ShingleStore({})
    >>> a.add_texts(["the new phone works great and the battery lasts all day"])
    >>> b.add_texts(["the new phone works great and the screen lasts all day", "other"])
    >>> near_pairs(a, b)[["index", "train_index"]].values.tolist()
    [[0, 0]]
    """
    threshold = _check_threshold(threshold)
    num_perm = _check_positive("num_perm", num_perm)
    if test is not None and test.vocab is not train.vocab:  # one vocabulary for both
        test = ShingleStore(train.vocab).merge(test)
    pairs, jac = _near_pairs(train if test is None else test, None if test is None else train,
                             threshold=threshold, num_perm=num_perm, seed=seed)
    df = pd.DataFrame({"index": pairs[:, 0], "train_index": pairs[:, 1], "jaccard": jac})
    return df.sort_values(["jaccard", "index", "train_index"], ascending=[False, True, True],
                          kind="mergesort").reset_index(drop=True)


def _names(vocab: dict[str, int]) -> list[str]:
    """The shingle of each id of *vocab* (ids are assigned in insertion order)."""
    return list(vocab)


class TextIndex:
    """The normalised texts of training examples, for :func:`exact_duplicates`: each
    text's first example (index, id) and its number of copies.

    ``TextIndex.from_examples(shard)`` maps one shard; ``a.merge(b)`` adds *b*, the
    next shard (its indices continue *a*'s).  ``exact_duplicates(index, test)`` equals
    ``exact_duplicates(train, test)`` (tested over random shardings).

    >>> from nlperr.data import Example
    >>> a = TextIndex.from_examples([Example("Hi there", id="t0")])
    >>> a = a.merge(TextIndex.from_examples([Example("hi   THERE", id="t1")]))
    >>> a.n, list(a.first.values()), dict(a.count)
    (2, [(0, 't0')], {'hi there': 2})
    """

    __slots__ = ("n", "first", "count")

    def __init__(self) -> None:
        self.n = 0
        self.first: dict[str, tuple[int, str | None]] = {}
        self.count: Counter = Counter()

    @classmethod
    def from_examples(cls, train: Sequence[Example], *, start: int = 0) -> "TextIndex":
        idx = cls()
        for j, e in enumerate(train, start):
            k = normalize_text(e.text)
            if k:
                if k not in idx.first:  # the id, or None: "train:<index>" when asked
                    idx.first[k] = (j, None if e.id is None else str(e.id))
                idx.count[k] += 1
        idx.n = start + len(train)
        return idx

    def merge(self, other: "TextIndex") -> "TextIndex":
        """Add *other*, the next shard (its indices shifted by this one's size)."""
        for k, (j, ident) in other.first.items():
            if k not in self.first:
                self.first[k] = (j + self.n, ident)
        self.count.update(other.count)
        self.n += other.n
        return self


def exact_duplicates(train: Sequence[Example] | TextIndex,
                     test: Sequence[Example]) -> pd.DataFrame:
    """Test examples whose normalised text equals a training example's.

    *train* may be the training examples or their :class:`TextIndex` (shards indexed
    apart and merged).

    Returns
    -------
    DataFrame
        One row per duplicated test example: ``index`` / ``id`` / ``text`` of the test
        example, ``train_index`` / ``train_id`` of the first training copy and
        ``n_copies`` (training examples with that text).
    """
    idx = train if isinstance(train, TextIndex) else TextIndex.from_examples(train)
    return _exact_frame(_exact_rows(idx, test))


def _exact_rows(idx: TextIndex, test: Sequence[Example], start: int = 0) -> list[tuple]:
    """The rows of :func:`exact_duplicates` for *test*, the examples from index *start*."""
    rows = []
    for i, e in enumerate(test, start):
        k = normalize_text(e.text)
        hit = idx.first.get(k) if k else None
        if hit is not None:
            j, ident = hit
            rows.append((i, example_id(e, i, "test"), e.text, j,
                         ident if ident is not None else f"train:{j}", int(idx.count[k])))
    return rows


def _exact_frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=EXACT_COLUMNS).astype(
        {"index": "int64", "train_index": "int64", "n_copies": "int64"})


def near_duplicates(train: Sequence[Example], test: Sequence[Example] | None = None, *,
                    threshold: float = 0.6, ngram: int = 1, num_perm: int = 128,
                    seed: int = 0) -> pd.DataFrame:
    """Pairs of near-duplicate texts by MinHash / LSH over word shingles (module docs).

    Parameters
    ----------
    train, test : sequence of Example
        Pairs ``(test, train)``; without *test*, pairs within *train* (``index <
        train_index`` never holds: ``index`` is the smaller position).
    threshold : float
        Minimum Jaccard similarity of the shingle sets, in (0, 1].
    ngram : int
        Words per shingle.
    num_perm : int
        MinHash functions (more: fewer missed pairs near the threshold, more time).
    seed : int

    Returns
    -------
    DataFrame
        One row per pair, by decreasing ``jaccard``: ``index`` / ``id`` of the test
        example, ``train_index`` / ``train_id``, ``jaccard`` (exact, not estimated),
        ``exact`` (the normalised texts are equal), ``text``, ``train_text``.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> tr = [Example("the new phone works great and the battery lasts all day")]
    >>> te = [Example("the new phone works great and the screen lasts all day"),
    ...       Example("completely different words here")]
    >>> near_duplicates(tr, te)[["index", "train_index", "jaccard"]].round(3).values.tolist()
    [[0.0, 0.0, 0.818]]
    """
    threshold = _check_threshold(threshold)
    ngram = _check_positive("ngram", ngram)
    num_perm = _check_positive("num_perm", num_perm)
    vocab: dict[str, int] = {}
    sa = _store(train, ngram, vocab)
    if test is None:
        pairs, jac = _near_pairs(sa, None, threshold=threshold, num_perm=num_perm, seed=seed)
        left, right, li, ri = train, train, pairs[:, 0], pairs[:, 1]
        lsplit = rsplit = "train"
    else:
        sb = _store(test, ngram, vocab)
        pairs, jac = _near_pairs(sb, sa, threshold=threshold, num_perm=num_perm, seed=seed)
        left, right, li, ri = test, train, pairs[:, 0], pairs[:, 1]
        lsplit, rsplit = "test", "train"
    def info(examples: Sequence[Example], split: str) -> Any:
        return lambda i: (examples[i].text, example_id(examples[i], i, split))
    return _near_frame(li, ri, jac, info(left, lsplit), info(right, rsplit))


def _near_frame(li: np.ndarray, ri: np.ndarray, jac: np.ndarray, left: Any, right: Any
                ) -> pd.DataFrame:
    """The table of :func:`near_duplicates` for pairs ``(li, ri)``; *left* / *right*
    give an index's ``(text, id)``."""
    rows = []
    for i, j, v in zip(li.tolist(), ri.tolist(), jac.tolist()):
        (ta, ia), (tb, ib) = left(i), right(j)
        rows.append((i, ia, j, ib, v, normalize_text(ta) == normalize_text(tb), ta, tb))
    df = pd.DataFrame(rows, columns=NEAR_COLUMNS).astype(
        {"index": "int64", "train_index": "int64", "jaccard": "float64", "exact": "bool"})
    return df.sort_values(["jaccard", "index", "train_index"], ascending=[False, True, True],
                          kind="mergesort").reset_index(drop=True)


def entity_overlap(train: Sequence[Example] | TrainStats, test: Sequence[Example]
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seen / seen_other_type / unseen test mentions (module docs), per type and overall.

    *train* may be the training examples or their :class:`~nlperr.analysis.TrainStats`
    (shards counted apart with ``train_stats`` and merged with ``TrainStats.merge``).

    Returns
    -------
    (per_type, mentions)
        ``per_type``: one row per gold type of the test data and a last row
        ``label="all"``: ``mentions``, counts of ``seen``, ``seen_other_type``,
        ``unseen`` and their shares (``*_share``, NaN for no mentions).
        ``mentions``: one row per test mention: ``id``, ``start``, ``end``, ``text``,
        ``label``, ``group``, ``train_same_type`` (training mentions with this text and
        type), ``train_any_type`` (with this text, any type).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> tr = [Example.from_tokens(["Paris", "and", "Ford"], ["B-LOC", "O", "B-PER"])]
    >>> te = [Example.from_tokens(["Ford", "in", "Paris", "and", "Rome"],
    ...                           ["B-ORG", "O", "B-LOC", "O", "B-LOC"])]
    >>> per_type, mentions = entity_overlap(tr, te)
    >>> mentions["group"].tolist()
    ['seen_other_type', 'seen', 'unseen']
    """
    st = train if isinstance(train, TrainStats) else train_stats([e for e in train if e.spans])
    return _overlap_frames(_mention_rows(st, test))


def _mention_rows(st: TrainStats, test: Sequence[Example], start: int = 0) -> list[tuple]:
    """The ``mentions`` rows of :func:`entity_overlap` for *test* (examples from index
    *start*)."""
    rows = []
    for i, e in enumerate(test, start):
        for s in e.spans or ():
            t = e.text[s.start:s.end]
            c = st.mentions.get(t)
            rows.append((example_id(e, i, "test"), s.start, s.end, t, s.label,
                         entity_overlap_group(t, s.label, st.mentions),
                         int(c.get(s.label, 0)) if c else 0, int(sum(c.values())) if c else 0))
    return rows


def _overlap_frames(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    mentions = pd.DataFrame(rows, columns=MENTION_COLUMNS).astype(
        {"start": "int64", "end": "int64", "train_same_type": "int64",
         "train_any_type": "int64"})
    out = []
    labels = sorted(mentions["label"].unique().tolist())
    for lab in labels + ["all"]:
        g = mentions["group"] if lab == "all" else mentions.loc[mentions["label"] == lab, "group"]
        n = int(len(g))
        cnt = [int((g == name).sum()) for name in OVERLAP_GROUPS]
        out.append([lab, n, *cnt, *[c / n if n else math.nan for c in cnt]])
    per_type = pd.DataFrame(out, columns=OVERLAP_COLUMNS)
    return per_type, mentions
