"""Garbage-string rules for OCR output (no ground truth needed).

Each rule decides, for a whitespace token, whether it looks like OCR garbage.
Rules are reported **separately** (a token can fire several rules) and live in a
registry, so you can add your own with :func:`register_garbage_rule`.

Sources
-------
* **Taghva et al. 2001** -- K. Taghva, T. Nartker, A. Condit, J. Borsack,
  "Automatic removal of 'garbage strings' in OCR text: an implementation",
  5th World Multi-Conference on Systemics, Cybernetics and Informatics (SCI 2001).
* **Kulp & Kontostathis 2007** -- S. Kulp, A. Kontostathis, "On retrieving legal
  files: shortening documents and weeding out garbage", TREC 2007 (Legal track);
  they tightened Taghva's rules for the noisy IIT CDIP collection.

Thresholds are the published ones as far as we could establish them from the
papers' descriptions; where the literature is ambiguous or the literal rule flags
ordinary text, our choice is stated in the rule's ``note`` (see ``docs/ocr.md``).
Tokens made only of punctuation and at most 3 characters long (``","``, ``"--"``,
``"..."``) are **exempt** from every rule: with whitespace tokenization they are
ordinary punctuation, not garbage (our choice; French typography alone would
otherwise flag every ``";"``).

Rules are vectorised: they run over a :class:`TypeBlock` (many distinct token
types at once, as numpy arrays and one joined string for the regex rules).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Errors, InputError
from ._text import ALNUM, ALPHA, CONSONANT, LOWER, PUNCT, UPPER, VOWEL, VOWELS, char_classes

__all__ = [
    "GarbageRule",
    "TypeBlock",
    "register_garbage_rule",
    "unregister_garbage_rule",
    "garbage_rules",
    "get_garbage_rules",
    "garbage_flags",
    "is_garbage",
]


class TypeBlock:
    """Many token types prepared for vectorised rules.

    Attributes
    ----------
    types : list of str
        The token types (no whitespace inside).
    lengths : ndarray, shape (n,)
        Characters per type.
    joined : str
        ``"\\n".join(types)``; ``starts[i]`` is where type *i* begins in it.
    """

    def __init__(self, types: Sequence[str]):
        self.types = list(types)
        self.lengths = np.fromiter(map(len, self.types), dtype=np.int64, count=len(self.types))
        self.joined = "\n".join(self.types)
        self.starts = np.zeros(len(self.types), dtype=np.int64)
        if len(self.types) > 1:
            np.cumsum(self.lengths[:-1] + 1, out=self.starts[1:])

    def __len__(self) -> int:
        return len(self.types)

    @cached_property
    def codes(self) -> np.ndarray:
        return np.frombuffer(self.joined.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)

    @cached_property
    def classes(self) -> np.ndarray:
        return char_classes(self.codes)

    @cached_property
    def owner(self) -> np.ndarray:
        """Index of the type each character of ``joined`` belongs to (separators: next)."""
        return np.repeat(np.arange(len(self.types)), self.lengths + 1)[: len(self.joined)]

    @cached_property
    def position(self) -> np.ndarray:
        """Position of each character inside its type."""
        return np.arange(len(self.joined)) - self.starts[self.owner]

    def count(self, flag: int) -> np.ndarray:
        """Per type, the number of characters having class *flag*."""
        mask = (self.classes & flag) != 0
        return np.bincount(self.owner[mask], minlength=len(self.types))

    def regex_hits(self, pattern: re.Pattern[str]) -> np.ndarray:
        """Boolean per type: does *pattern* match inside the type."""
        hit = np.zeros(len(self.types), dtype=bool)
        pos = [m.start() for m in pattern.finditer(self.joined)]
        if pos:
            hit[np.searchsorted(self.starts, np.asarray(pos), side="right") - 1] = True
        return hit

    @cached_property
    def exempt(self) -> np.ndarray:
        """Short all-punctuation tokens, exempt from the rules."""
        return (self.lengths <= 3) & (self.count(PUNCT) == self.lengths)


@dataclass(frozen=True)
class GarbageRule:
    """A named garbage rule.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"taghva_repeat"``.
    fn : callable
        ``fn(block: TypeBlock) -> bool array`` of shape ``(len(block),)``.
    description : str
        The rule in words (with its threshold).
    source : str
        Citation.
    note : str
        Our reading of the source, where it needs one.
    """

    name: str
    fn: Callable[[TypeBlock], Any]
    description: str
    source: str
    note: str = ""
    params: dict[str, Any] = field(default_factory=dict)


_RULES: dict[str, GarbageRule] = {}
TAGHVA = "Taghva, Nartker, Condit & Borsack (2001)"
KULP = "Kulp & Kontostathis (2007)"


def register_garbage_rule(name: str, fn: Callable[[TypeBlock], Any], *, description: str,
                          source: str, note: str = "", overwrite: bool = False) -> GarbageRule:
    """Register a garbage rule under *name* (``fn(block) -> bool array``).

    Examples
    --------
    >>> import numpy as np
    >>> rule = register_garbage_rule(
    ...     "has_digit_and_letter",
    ...     lambda b: np.array([any(c.isdigit() for c in t) and any(c.isalpha() for c in t)
    ...                         for t in b.types]),
    ...     description="mixes digits and letters", source="example", overwrite=True)
    >>> garbage_flags(["th3", "the"], rules=["has_digit_and_letter"])["has_digit_and_letter"].tolist()
    [True, False]
    >>> unregister_garbage_rule("has_digit_and_letter")
    """
    if name in _RULES and not overwrite:
        raise InputError(Errors.E207.format(value=name, option="garbage rule name",
                                            allowed="a name not yet registered (or overwrite=True)"))
    rule = GarbageRule(name, fn, description, source, note)
    _RULES[name] = rule
    return rule


def unregister_garbage_rule(name: str) -> None:
    """Remove a registered garbage rule (no error if absent)."""
    _RULES.pop(name, None)


def garbage_rules() -> pd.DataFrame:
    """The registered rules: columns ``rule``, ``description``, ``source``, ``note``."""
    return pd.DataFrame([{"rule": r.name, "description": r.description, "source": r.source,
                          "note": r.note} for r in _RULES.values()],
                        columns=["rule", "description", "source", "note"])


def get_garbage_rules(names: Iterable[str] | None = None) -> list[GarbageRule]:
    """Rules by name (all registered rules when *names* is None)."""
    if names is None:
        return list(_RULES.values())
    names = list(names)
    unknown = [n for n in names if n not in _RULES]
    if unknown:
        raise InputError(Errors.E712.format(names=unknown, available=", ".join(_RULES)))
    return [_RULES[n] for n in names]


def _apply(block: TypeBlock, rules: Sequence[GarbageRule]) -> np.ndarray:
    """Boolean matrix (n_types, n_rules)."""
    out = np.zeros((len(block), len(rules)), dtype=bool)
    if len(block) == 0:
        return out
    keep = ~block.exempt
    for k, rule in enumerate(rules):
        out[:, k] = np.asarray(rule.fn(block), dtype=bool) & keep
    return out


def garbage_flags(tokens: Sequence[str], *, rules: Iterable[str] | None = None) -> pd.DataFrame:
    """Which rule fires on which token.

    Returns a DataFrame with one row per token (column ``token``), one boolean
    column per rule and ``garbage`` (any rule fired).

    Examples
    --------
    >>> df = garbage_flags(["the", "aaaab", "x;k,m"])
    >>> df.set_index("token")["garbage"].to_dict()
    {'the': False, 'aaaab': True, 'x;k,m': True}
    """
    chosen = get_garbage_rules(rules)
    tokens = list(tokens)
    flags = _apply(TypeBlock(tokens), chosen)
    df = pd.DataFrame(flags, columns=[r.name for r in chosen])
    df.insert(0, "token", tokens)
    df["garbage"] = flags.any(axis=1)
    return df


def is_garbage(token: str, *, rules: Iterable[str] | None = None) -> bool:
    """Does any rule fire on *token*?  (Convenience; use :func:`garbage_flags` in bulk.)"""
    return bool(_apply(TypeBlock([token]), get_garbage_rules(rules)).any())


# --------------------------------------------------------------------- rules
_REPEAT4 = re.compile(r"(.)\1{3,}")
_V = "".join(sorted(VOWELS))
_VOWEL_RUN5 = re.compile(rf"[{_V}]{{5,}}", re.IGNORECASE)
# consonants: letters that are not vowels.  [^\W\d_] = letters.
_CONS_RUN6 = re.compile(rf"(?:(?![{_V}])[^\W\d_]){{6,}}", re.IGNORECASE)


def _length(limit: int) -> Callable[[TypeBlock], np.ndarray]:
    return lambda b: b.lengths > limit


def _alnum_lt_punct(b: TypeBlock) -> np.ndarray:
    return b.count(ALNUM) < b.count(PUNCT)


def _alnum_ratio(b: TypeBlock) -> np.ndarray:
    return b.count(ALNUM) < 0.5 * b.lengths


def _repeat(b: TypeBlock) -> np.ndarray:
    return b.regex_hits(_REPEAT4)


def _inner_punct(b: TypeBlock) -> np.ndarray:
    cls, pos, owner = b.classes, b.position, b.owner
    inner = ((cls & PUNCT) != 0) & (pos > 0) & (pos < b.lengths[owner] - 1)
    if not inner.any():
        return np.zeros(len(b), dtype=bool)
    key = np.unique(owner[inner] * 0x110000 + b.codes[inner])
    return np.bincount(key // 0x110000, minlength=len(b)) >= 2


def _vowel_consonant(b: TypeBlock) -> np.ndarray:
    alpha = b.count(ALPHA)
    v, c = b.count(VOWEL), b.count(CONSONANT)
    return ((alpha == b.lengths) & (b.lengths >= 3) & (b.count(LOWER) > 0)
            & ((c > 10 * v) | (v > 10 * c)))


def _case_inside(b: TypeBlock) -> np.ndarray:
    cls, pos, owner = b.classes, b.position, b.owner
    first = cls[b.starts]
    last = cls[b.starts + b.lengths - 1]
    prev_lower = np.zeros(len(cls), dtype=bool)
    prev_lower[1:] = (cls[:-1] & LOWER) != 0
    inner_upper = (((cls & UPPER) != 0) & (pos > 0) & (pos < b.lengths[owner] - 1)
                   & prev_lower)
    has_inner_upper = np.bincount(owner[inner_upper], minlength=len(b)) > 0
    return ((first & LOWER) != 0) & ((last & LOWER) != 0) & has_inner_upper


def _upper_majority(b: TypeBlock) -> np.ndarray:
    up, low = b.count(UPPER), b.count(LOWER)
    return (up > low) & (low > 0)


def _register_builtin() -> None:
    reg = register_garbage_rule
    reg("taghva_length", _length(40), source=TAGHVA,
        description="longer than 40 characters")
    reg("taghva_alnum", _alnum_lt_punct, source=TAGHVA,
        description="fewer alphanumeric characters than punctuation (non-alphanumeric, "
                    "non-space) characters")
    reg("taghva_repeat", _repeat, source=TAGHVA,
        description="4 or more identical characters in a row")
    reg("taghva_inner_punct", _inner_punct, source=TAGHVA,
        description="ignoring the first and last character, 2 or more distinct "
                    "punctuation characters")
    reg("taghva_vowel_consonant", _vowel_consonant, source=TAGHVA,
        description="all letters, and consonants > 10 x vowels or vowels > 10 x "
                    "consonants",
        note="applied to strings of >= 3 letters with a lowercase letter only, so "
             "'a', 'I', 'Mr' and acronyms ('TTC', 'RCS') are not flagged; 'y' and "
             "accented vowels count as vowels")
    reg("taghva_case", _case_inside, source=TAGHVA,
        description="first and last characters lowercase with an uppercase "
                    "character in between (e.g. 'tHe')",
        note="the inner uppercase letter must follow a lowercase letter, so elisions "
             "such as \"d'Anjou\" are not flagged")
    reg("kulp_length", _length(20), source=KULP,
        description="longer than 20 characters (Taghva's 40 tightened)")
    reg("kulp_alnum_ratio", _alnum_ratio, source=KULP,
        description="alphanumeric characters are less than 50% of all characters")
    reg("kulp_upper_majority", _upper_majority, source=KULP,
        description="more uppercase than lowercase letters, but not all-uppercase "
                    "(e.g. 'HeLLO')",
        note="the published wording ('uppercase count greater than lowercase count "
             "and less than the string length') also flags 'USA.' and '1ER'; we "
             "require at least one lowercase letter so that capitalised words with "
             "digits or punctuation are not flagged")
    reg("kulp_consonant_run", lambda b: b.regex_hits(_CONS_RUN6), source=KULP,
        description="6 or more consonants in a row ('y' counts as a vowel)")
    reg("kulp_vowel_run", lambda b: b.regex_hits(_VOWEL_RUN5), source=KULP,
        description="5 or more vowels in a row")


_register_builtin()
