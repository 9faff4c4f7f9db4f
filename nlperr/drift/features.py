"""Per-text features of the pooled texts, computed once and vectorised.

* **word tokens**: ``\\w+`` runs of the lowercased text (the vocabulary unit of
  ``oov_rate``, ``token_distribution`` and the word explanations);
* **whitespace tokens**: ``\\S+`` runs (the unit of ``length_tokens`` and of the
  OCR garbage rules of :mod:`nlperr.ocr`, which work on whitespace tokens);
* **character classes** (:data:`CHAR_CLASSES`), from the Unicode general
  category: ``lower`` (Ll), ``upper`` (Lu, Lt), ``other_letter`` (Lm, Lo),
  ``digit`` (N*), ``space`` (``str.isspace``), ``punctuation`` (P*),
  ``symbol`` (S*), ``other`` (marks, controls, unassigned).
"""

from __future__ import annotations

import re
import unicodedata
from itertools import chain
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import numpy as np

__all__ = ["CHAR_CLASSES", "TextFeatures", "text_features", "char_class_counts"]

CHAR_CLASSES = ("lower", "upper", "other_letter", "digit", "space", "punctuation", "symbol",
                "other")
_WORD = re.compile(r"\w+")
_WS = re.compile(r"\S+")


def _class_of(ch: str) -> int:
    if ch.isspace():
        return 4
    cat = unicodedata.category(ch)
    if cat == "Ll":
        return 0
    if cat in ("Lu", "Lt"):
        return 1
    if cat[0] == "L":
        return 2
    if cat[0] == "N":
        return 3
    if cat[0] == "P":
        return 5
    if cat[0] == "S":
        return 6
    return 7


@lru_cache(maxsize=1)
def _bmp() -> np.ndarray:
    return np.fromiter((_class_of(chr(c)) for c in range(0x10000)), dtype=np.int64,
                       count=0x10000)


def char_class_counts(texts: list[str]) -> np.ndarray:
    """``(n_texts, 8)`` counts of the :data:`CHAR_CLASSES` per text.

    >>> char_class_counts(["Ab 1!"]).tolist()
    [[1, 1, 0, 1, 1, 1, 0, 0]]
    """
    n = len(texts)
    k = len(CHAR_CLASSES)
    if n == 0:
        return np.zeros((0, k), dtype=np.int64)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    table = _bmp()
    big = codes >= 0x10000
    cls = table[np.where(big, 0, codes)]
    if big.any():
        idx = np.flatnonzero(big)
        cls[idx] = [_class_of(chr(int(c))) for c in codes[idx]]
    owner = np.repeat(np.arange(n), lengths)
    return np.bincount(owner * k + cls, minlength=n * k).reshape(n, k)


def _doc_term(docs: list[list[str]]) -> tuple[Any, list[str]]:
    """CSR doc x type count matrix and the type list (first-seen order)."""
    import pandas as pd
    from scipy import sparse

    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    flat = np.fromiter(chain.from_iterable(docs), dtype=object, count=int(indptr[-1]))
    codes, uniques = pd.factorize(flat, sort=False) if len(flat) else (
        np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object))
    data = np.ones(len(codes), dtype=np.float64)
    m = sparse.csr_matrix((data, codes.astype(np.int64), indptr),
                          shape=(len(docs), len(uniques)))
    m.sum_duplicates()
    return m, [str(u) for u in uniques]


@dataclass
class TextFeatures:
    """Features of a list of texts (rows in input order).

    Attributes
    ----------
    n_chars, n_tokens, n_words : ndarray, shape (n,)
        Characters, whitespace tokens, word tokens per text.
    words : scipy.sparse.csr_matrix, shape (n, n_word_types)
        Word-token counts; ``word_types[j]`` names column *j*.
    ws : scipy.sparse.csr_matrix, shape (n, n_ws_types)
        Whitespace-token counts; ``ws_types[j]`` names column *j*.
    chars : ndarray, shape (n, 8)
        :data:`CHAR_CLASSES` counts.
    """

    texts: list[str]
    n_chars: np.ndarray
    n_tokens: np.ndarray
    n_words: np.ndarray
    words: Any
    word_types: list[str]
    ws: Any
    ws_types: list[str]
    chars: np.ndarray

    @cached_property
    def garbage_rules(self) -> list[str]:
        from ..ocr import get_garbage_rules

        return [r.name for r in get_garbage_rules()]

    @cached_property
    def type_garbage(self) -> np.ndarray:
        """``(n_ws_types, n_rules + 1)`` booleans: each garbage rule of
        :mod:`nlperr.ocr` and, last, any rule."""
        from ..ocr import garbage_flags

        flags = garbage_flags(self.ws_types)
        cols = self.garbage_rules + ["garbage"]
        return flags[cols].to_numpy(dtype=bool) if len(self.ws_types) else np.zeros(
            (0, len(cols)), dtype=bool)

    @cached_property
    def garbage(self) -> np.ndarray:
        """``(n, n_rules + 1)`` garbage-token counts per text (per rule, then any)."""
        return np.asarray(self.ws @ self.type_garbage.astype(np.float64))

    def merge(self, other: "TextFeatures") -> "TextFeatures":
        """The features of this shard's texts followed by *other*'s: equal to
        :func:`text_features` of the concatenated texts (the vocabularies are united
        in first-seen order and *other*'s columns renumbered), so shards of a corpus
        can be featurised apart (processes, Ray tasks) and merged in order.

        >>> a, b = text_features(["the cat", "a dog"]), text_features(["the dog!"])
        >>> m = a.merge(b)
        >>> m.word_types, m.words.toarray().tolist()
        (['the', 'cat', 'a', 'dog'], [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0], [1.0, 0.0, 0.0, 1.0]])
        """
        from scipy import sparse

        def unite(ma: Any, ta: list[str], mb: Any, tb: list[str]) -> tuple[Any, list[str]]:
            pos = {t: i for i, t in enumerate(ta)}
            types = list(ta)
            remap = np.empty(len(tb), dtype=np.int64)
            for j, t in enumerate(tb):
                k = pos.get(t)
                if k is None:
                    k = pos[t] = len(types)
                    types.append(t)
                remap[j] = k
            mb = mb.tocsr()
            mb2 = sparse.csr_matrix((mb.data, remap[mb.indices], mb.indptr),
                                    shape=(mb.shape[0], len(types)))
            ma2 = sparse.csr_matrix((ma.data, ma.indices, ma.indptr),
                                    shape=(ma.shape[0], len(types)))
            m = sparse.vstack([ma2, mb2], format="csr")
            m.sort_indices()
            return m, types

        words, word_types = unite(self.words, self.word_types, other.words, other.word_types)
        ws, ws_types = unite(self.ws, self.ws_types, other.ws, other.ws_types)
        cat = np.concatenate
        return TextFeatures(self.texts + other.texts, cat([self.n_chars, other.n_chars]),
                            cat([self.n_tokens, other.n_tokens]),
                            cat([self.n_words, other.n_words]), words, word_types, ws,
                            ws_types, np.vstack([self.chars, other.chars]))

    def rows(self, index: np.ndarray) -> "TextFeatures":
        idx = np.asarray(index, dtype=np.int64)
        out = TextFeatures([self.texts[i] for i in idx], self.n_chars[idx], self.n_tokens[idx],
                           self.n_words[idx], self.words[idx], self.word_types, self.ws[idx],
                           self.ws_types, self.chars[idx])
        if "type_garbage" in self.__dict__:
            out.__dict__["type_garbage"] = self.type_garbage
            out.__dict__["garbage_rules"] = self.garbage_rules
        if "garbage" in self.__dict__:
            out.__dict__["garbage"] = self.garbage[idx]
        return out


def text_features(texts: list[str]) -> TextFeatures:
    """Compute :class:`TextFeatures` for *texts* (one regex pass per text and unit)."""
    words = [_WORD.findall(t.lower()) for t in texts]
    ws = [_WS.findall(t) for t in texts]
    wmat, wtypes = _doc_term(words)
    smat, stypes = _doc_term(ws)
    return TextFeatures(
        texts=list(texts),
        n_chars=np.fromiter(map(len, texts), dtype=np.float64, count=len(texts)),
        n_tokens=np.fromiter(map(len, ws), dtype=np.float64, count=len(texts)),
        n_words=np.fromiter(map(len, words), dtype=np.float64, count=len(texts)),
        words=wmat, word_types=wtypes, ws=smat, ws_types=stypes,
        chars=char_class_counts(list(texts)).astype(np.float64))
