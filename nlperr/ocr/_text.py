"""Tokenization and character classes shared by the OCR diagnostics.

* A **token** is a maximal run of non-whitespace characters (``\\S+``), the unit of
  the garbage rules (Taghva et al. work on whitespace-delimited strings).
* A token is **word-like** when it contains a letter (``str.isalpha``); its
  **word form** is the token
  with leading/trailing non-alphanumeric characters stripped, lowercased
  (``'"Tbe,'`` -> ``'tbe'``).  Word forms are what lexicons, the character-trigram
  model and near-miss clusters look at.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

__all__ = ["TOKEN", "tokenize", "word_form", "word_forms", "VOWELS", "CONSONANTS", "char_classes"]

TOKEN = re.compile(r"\S+")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
# the same edges on newline-joined tokens (a newline is never stripped)
_EDGE_LINES = re.compile(r"^(?:_|[^\w\n])+|(?:_|[^\w\n])+$", re.MULTILINE)

_BASE_VOWELS = frozenset("aeiouyæœøı" "αεηιουω" "аеёиоуыэюяіїє")
_SCRIPTS = ((0x41, 0x250), (0x370, 0x530), (0x1E00, 0x2000))  # Latin, Greek, Cyrillic


def _letters() -> tuple[frozenset, frozenset]:
    vowels, consonants = set(), set()
    for lo, hi in _SCRIPTS:
        for cp in range(lo, hi):
            ch = chr(cp)
            if ch.isalpha():
                base = unicodedata.normalize("NFD", ch.lower())[:1]
                (vowels if base in _BASE_VOWELS else consonants).add(ch)
    return frozenset(vowels), frozenset(consonants)


#: Vowels and consonants for the vowel/consonant rules: letters of the Latin,
#: Greek and Cyrillic scripts (both cases, any diacritics) whose base letter is a
#: vowel (``y`` counts as a vowel) / is not.  Letters of other scripts are neither,
#: so the vowel/consonant rules never fire on them.
VOWELS, CONSONANTS = _letters()

# bit flags of the per-code-point class table
ALNUM, ALPHA, UPPER, LOWER, VOWEL, SPACE, PUNCT, CONSONANT = (1 << k for k in range(8))


def tokenize(text: str) -> list[str]:
    """Whitespace tokens of *text* (``re.findall(r"\\S+", text)``)."""
    return TOKEN.findall(text)


def word_form(token: str) -> str | None:
    """Lowercased token without edge punctuation, or ``None`` if it has no letter.

    >>> word_form('"Tbe,')
    'tbe'
    >>> word_form("1815.") is None
    True
    """
    if not any(map(str.isalpha, token)):
        return None
    w = _EDGE.sub("", token).lower()
    return w or None


def word_forms(tokens: list[str], has_letter: "np.ndarray | None" = None) -> list[str | None]:
    """:func:`word_form` of many whitespace-free tokens at once (two regex passes).

    *has_letter* (bool per token) may be passed when already known.

    >>> word_forms(['"Tbe,', "1815.", "--"])
    ['tbe', None, None]
    """
    if not tokens:
        return []
    if has_letter is None:
        has_letter = [any(map(str.isalpha, t)) for t in tokens]
    forms = _EDGE_LINES.sub("", "\n".join(tokens)).lower().split("\n")
    return [f if ok and f else None for f, ok in zip(forms, has_letter)]


@lru_cache(maxsize=1)
def _bmp_table() -> np.ndarray:
    """Character classes of the Basic Multilingual Plane, from :func:`_class_of`."""
    return np.fromiter((_class_of(chr(cp)) for cp in range(0x10000)), dtype=np.uint8,
                       count=0x10000)


def _class_of(ch: str) -> int:
    f = 0
    if ch.isalnum():
        f |= ALNUM
    if ch.isalpha():
        f |= ALPHA | (VOWEL if ch in VOWELS else CONSONANT if ch in CONSONANTS else 0)
    if ch.isupper():
        f |= UPPER
    if ch.islower():
        f |= LOWER
    if ch.isspace():
        f |= SPACE
    if not ch.isalnum() and not ch.isspace():
        f |= PUNCT
    return f


def char_classes(codes: np.ndarray) -> np.ndarray:
    """Class bit flags (uint8) for an array of code points."""
    table = _bmp_table()
    big = codes >= 0x10000
    out = table[np.where(big, 0, codes)]
    if big.any():
        idx = np.nonzero(big)[0]
        out[idx] = [_class_of(chr(int(c))) for c in codes[idx]]
    return out
