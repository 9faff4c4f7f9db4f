"""Lexicons (sets of valid lowercase word forms) and the character-trigram model."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from ..errors import Errors, InputError, MissingDependencyError
from ._text import tokenize, word_form

__all__ = ["Lexicon", "CharTrigramModel"]


class Lexicon(frozenset):
    """A set of valid word forms (lowercase, see :func:`nlperr.ocr._text.word_form`).

    Build one with :meth:`from_file`, :meth:`from_spacy` or :meth:`from_texts`.
    ``lexicon.source`` says where it came from.

    >>> lex = Lexicon.from_words(["The", "cat"])
    >>> "the" in lex, "tbe" in lex
    (True, False)
    """

    source: str = "words"

    @classmethod
    def from_words(cls, words: Iterable[str], *, source: str = "words") -> "Lexicon":
        forms = (word_form(w) for w in words)
        lex = cls(f for f in forms if f)
        lex.source = source
        return lex

    @classmethod
    def from_file(cls, path: str | os.PathLike, *, encoding: str = "utf-8",
                  encoding_errors: str = "strict") -> "Lexicon":
        """One word per line (decoded with *encoding*, see :mod:`nlperr.io._text`); blank
        lines and lines starting with ``#`` skipped."""
        from ..io._text import iter_lines

        try:
            words = [ln.strip() for _, ln in iter_lines(path, encoding=encoding,
                                                         errors=encoding_errors)
                     if ln.strip() and not ln.startswith("#")]
        except OSError as e:
            raise InputError(Errors.E711.format(source=str(path), error=e)) from None
        if not words:
            raise InputError(Errors.E711.format(source=str(path), error="the file holds no words"))
        return cls.from_words(words, source=str(path))

    @classmethod
    def from_spacy(cls, name: str) -> "Lexicon":
        """The alphabetic strings of a spaCy pipeline's vocabulary (lazy spaCy import)."""
        try:
            import spacy
        except ImportError:
            raise MissingDependencyError(Errors.E203.format(
                what="Lexicon.from_spacy", package="spacy", extra="spacy")) from None
        try:
            nlp = spacy.load(name) if isinstance(name, str) else name
        except OSError as e:
            raise InputError(Errors.E711.format(source=f"spacy:{name}", error=e)) from None
        words = (s for s in nlp.vocab.strings if s.isalpha())
        return cls.from_words(words, source=f"spacy:{name if isinstance(name, str) else 'nlp'}")

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, min_count: int = 1) -> "Lexicon":
        """Word forms seen at least *min_count* times in clean *texts*."""
        counts: Counter = Counter()
        for t in texts:
            counts.update(tokenize(t))
        forms: Counter = Counter()
        for tok, n in counts.items():
            f = word_form(tok)
            if f:
                forms[f] += n
        lex = cls(f for f, n in forms.items() if n >= min_count)
        lex.source = "clean corpus"
        return lex


_PAD, _END = 0x110001, 0x110002


def _padded_codes(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code points of ``^^w$`` for every word, concatenated, and per-word lengths."""
    lens = np.fromiter(map(len, words), dtype=np.int64, count=len(words)) + 3
    codes = np.full(int(lens.sum()), _PAD, dtype=np.int64)
    body = np.frombuffer("".join(words).encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    starts = np.zeros(len(words), dtype=np.int64)
    if len(words) > 1:
        np.cumsum(lens[:-1], out=starts[1:])
    ends = starts + lens
    codes[ends - 1] = _END
    mask = np.ones(len(codes), dtype=bool)
    mask[starts] = mask[starts + 1] = mask[ends - 1] = False
    codes[mask] = body
    return codes, lens


def _ngrams(codes: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trigram keys, bigram (context) keys and owner word of each trigram."""
    owner = np.repeat(np.arange(len(lens)), lens - 2)
    starts = np.zeros(len(lens), dtype=np.int64)
    if len(lens) > 1:
        np.cumsum(lens[:-1], out=starts[1:])
    pos = np.arange(len(owner)) - np.repeat(np.cumsum(lens - 2) - (lens - 2), lens - 2)
    i = starts[owner] + pos
    bi = (codes[i] << 21) | codes[i + 1]
    return (bi << 21) | codes[i + 2], bi, owner


class CharTrigramModel:
    """Add-k smoothed character trigram model of word forms.

    Words are padded as ``"^^" + word + "$"``; ``logprob(word)`` is the mean
    log2-probability per predicted character (``len(word) + 1`` predictions), so
    words of different lengths are comparable.  Train on clean text
    (:meth:`from_word_counts` / :meth:`from_texts`).  Lookups are vectorised
    (sorted numpy keys), :meth:`logprobs` scores many words at once.

    >>> m = CharTrigramModel.from_word_counts({"the": 50, "then": 5, "this": 20})
    >>> m.logprob("the") > m.logprob("tbe")
    True
    """

    def __init__(self, k: float = 0.1):
        self.k = k
        self._tri = self._tri_n = self._bi = self._bi_n = np.zeros(0, dtype=np.int64)
        self._v = 1

    @classmethod
    def from_word_counts(cls, counts: Mapping[str, int], *, k: float = 0.1) -> "CharTrigramModel":
        m = cls(k)
        words = [w for w in counts if w]
        if not words:
            return m
        codes, lens = _padded_codes(words)
        tri, bi, owner = _ngrams(codes, lens)
        w = np.fromiter((counts[x] for x in words), dtype=np.int64, count=len(words))[owner]
        m._tri, inv = np.unique(tri, return_inverse=True)
        m._tri_n = np.bincount(inv, weights=w).astype(np.int64)
        m._bi, inv = np.unique(bi, return_inverse=True)
        m._bi_n = np.bincount(inv, weights=w).astype(np.int64)
        m._v = len(set("".join(words))) + 2  # alphabet + end marker + unseen
        return m

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, k: float = 0.1) -> "CharTrigramModel":
        forms: Counter = Counter()
        for t in texts:
            for tok in tokenize(t):
                f = word_form(tok)
                if f:
                    forms[f] += 1
        return cls.from_word_counts(forms, k=k)

    @staticmethod
    def _lookup(keys: np.ndarray, vals: np.ndarray, q: np.ndarray) -> np.ndarray:
        if not len(keys):
            return np.zeros(len(q))
        idx = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
        return np.where(keys[idx] == q, vals[idx], 0)

    def logprobs(self, words: list[str]) -> np.ndarray:
        """Mean log2 P(char | two previous chars) of each word."""
        if not words:
            return np.zeros(0)
        codes, lens = _padded_codes(list(words))
        tri, bi, owner = _ngrams(codes, lens)
        lp = np.log2((self._lookup(self._tri, self._tri_n, tri) + self.k)
                     / (self._lookup(self._bi, self._bi_n, bi) + self.k * self._v))
        return np.bincount(owner, weights=lp, minlength=len(lens)) / (lens - 2)

    def logprob(self, word: str) -> float:
        """Mean log2 P(char | two previous chars) over the padded word."""
        return float(self.logprobs([word])[0])
