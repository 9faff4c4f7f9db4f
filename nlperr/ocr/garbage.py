"""Garbage-string rules for OCR output (no ground truth needed).

Each rule decides, for a whitespace token, whether it looks like OCR garbage.
Rules are reported **separately** (a token can fire several rules) and live in a
registry, so you can add your own with :func:`register_garbage_rule`.

Sources and how each threshold was established
----------------------------------------------
* **Taghva et al. 2001** -- K. Taghva, T. Nartker, A. Condit, J. Borsack,
  "Automatic removal of 'garbage strings' in OCR text: an implementation",
  5th World Multi-Conference on Systemics, Cybernetics and Informatics (SCI 2001).
  Six rules, named by the paper's letters L, A, R, V, P, C.  Each ``taghva_*``
  rule's ``description`` is the paper's sentence, as quoted verbatim in the
  comments of the rmgarbage implementation (``zw/rmgarbage``, ``rmgarbage.pl``);
  the thresholds are the paper's: 40 characters, 50 % alphanumerics, 4 identical
  characters, 10 %, two distinct inner punctuation characters.
* **Kulp & Kontostathis 2007** -- S. Kulp, A. Kontostathis, "On retrieving legal
  files: shortening documents and weeding out garbage", TREC 2007 Legal track
  (NIST SP 500-274).  They tightened Taghva's rules for the IIT CDIP collection:
  20 characters instead of 40, 3 identical characters in a row instead of 4, more
  punctuation than alphanumerics, a consonant/vowel factor of 8 instead of 10,
  and two new rules (more upper- than lowercase letters without being all
  uppercase; 4+ consecutive vowels or 5+ consecutive consonants).  The paper's
  Taghva-derived inner-punctuation and case rules are the same as Taghva's and
  are reported once, under the ``taghva_*`` names.  We could read only the
  opening of the stored copy of the TREC paper; the thresholds above are the
  ones of the first version of docsplit's ``TextCleaner``
  (``documentcloud/docsplit``, ``lib/docsplit/text_cleaner.rb``, commit
  ``41e257a``), which implements Kulp's rule list and cites it (it also drops
  single letters other than A/I, which we do not take over).

Our additions, each stated in the rule's ``note`` and in ``docs/ocr.md``:

* tokens made only of punctuation and at most 3 characters long (``","``,
  ``"--"``, ``"..."``) are **exempt** from every rule: with whitespace
  tokenization they are ordinary punctuation, not garbage;
* "punctuation" is every character that is neither alphanumeric nor whitespace
  (symbols such as ``§`` or ``©`` included); letters, upper/lowercase and
  alphanumerics follow Unicode (``str.isalpha`` etc.), so accented letters count;
  vowels are the Latin, Greek and Cyrillic vowel letters with any diacritics
  (``y`` is a vowel), consonants the other letters of these scripts; letters of
  other scripts are neither (the vowel/consonant rules never fire on them);
* the vowel/consonant ratio rules apply only to strings of 3 or more letters
  with a lowercase letter (the literal rule flags ``a``, ``I``, ``Mr`` and every
  acronym: a string without vowels has fewer than 10 % of them);
* the case rule does not count an uppercase letter right after an apostrophe
  (French/Italian elision: ``d'Anjou``, ``l'Europe``);
* the upper-majority rule compares the uppercase count with the length of the
  token without leading/trailing punctuation, so ``USA.`` or ``(NATO)`` are
  all-uppercase words and do not fire.

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
from ._text import (ALNUM, ALPHA, CONSONANT, CONSONANTS, LOWER, PUNCT, UPPER, VOWEL, VOWELS,
                    char_classes)

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
_V = re.escape("".join(sorted(VOWELS)))
_C = re.escape("".join(sorted(CONSONANTS)))
_REPEAT4 = re.compile(r"(.)\1{3,}")
_REPEAT3 = re.compile(r"(.)\1{2,}")
# 4+ vowels in a row, or 5+ consonants in a row
_KULP_RUN = re.compile(rf"[{_V}]{{4,}}|[{_C}]{{5,}}")
_APOSTROPHES = np.array([ord("'"), ord("\u2019"), ord("\u02bc")], dtype=np.int64)


def _length(limit: int) -> Callable[[TypeBlock], np.ndarray]:
    return lambda b: b.lengths > limit


def _alnum_ratio(b: TypeBlock) -> np.ndarray:
    return b.count(ALNUM) < 0.5 * b.lengths


def _punct_gt_alnum(b: TypeBlock) -> np.ndarray:
    return b.count(PUNCT) > b.count(ALNUM)


def _regex(pattern: re.Pattern[str]) -> Callable[[TypeBlock], np.ndarray]:
    return lambda b: b.regex_hits(pattern)


def _inner_punct(b: TypeBlock) -> np.ndarray:
    cls, pos, owner = b.classes, b.position, b.owner
    inner = ((cls & PUNCT) != 0) & (pos > 0) & (pos < b.lengths[owner] - 1)
    if not inner.any():
        return np.zeros(len(b), dtype=bool)
    key = np.unique(owner[inner] * 0x110000 + b.codes[inner])
    return np.bincount(key // 0x110000, minlength=len(b)) >= 2


def _vowel_consonant(factor: float) -> Callable[[TypeBlock], np.ndarray]:
    def rule(b: TypeBlock) -> np.ndarray:
        alpha = b.count(ALPHA)
        v, c = b.count(VOWEL), b.count(CONSONANT)
        return ((alpha == b.lengths) & (b.lengths >= 3) & (b.count(LOWER) > 0)
                & ((v * factor < c) | (c * factor < v)))
    return rule


def _case_inside(b: TypeBlock) -> np.ndarray:
    cls, pos, owner = b.classes, b.position, b.owner
    first = cls[b.starts]
    last = cls[b.starts + b.lengths - 1]
    after_apostrophe = np.zeros(len(cls), dtype=bool)
    after_apostrophe[1:] = np.isin(b.codes[:-1], _APOSTROPHES)
    inner_upper = (((cls & UPPER) != 0) & (pos > 0) & (pos < b.lengths[owner] - 1)
                   & ~after_apostrophe)
    has_inner_upper = np.bincount(owner[inner_upper], minlength=len(b)) > 0
    return ((first & LOWER) != 0) & ((last & LOWER) != 0) & has_inner_upper


def _upper_majority(b: TypeBlock) -> np.ndarray:
    up, low = b.count(UPPER), b.count(LOWER)
    # length without leading/trailing non-alphanumerics: last - first alnum + 1
    alnum = (b.classes & ALNUM) != 0
    core = np.zeros(len(b), dtype=np.int64)
    if alnum.any():
        own, pos = b.owner[alnum], b.position[alnum]
        first = np.full(len(b), np.iinfo(np.int64).max)
        lastp = np.full(len(b), -1)
        np.minimum.at(first, own, pos)
        np.maximum.at(lastp, own, pos)
        has = lastp >= 0
        core[has] = lastp[has] - first[has] + 1
    return (up > low) & (up < core)


_EXEMPT_NOTE = ("tokens of at most 3 punctuation characters are exempt from every rule")


def _register_builtin() -> None:
    reg = register_garbage_rule
    reg("taghva_length", _length(40), source=f"{TAGHVA}, rule L",
        description="If a string is longer than 40 characters, it is garbage.")
    reg("taghva_alnum", _alnum_ratio, source=f"{TAGHVA}, rule A",
        description="If a string's ratio of alphanumeric characters to total characters "
                    "is less than 50%, the string is garbage.",
        note=_EXEMPT_NOTE + " (',' or '--' would otherwise fire)")
    reg("taghva_repeat", _regex(_REPEAT4), source=f"{TAGHVA}, rule R",
        description="If a string has 4 identical characters in a row, it is garbage.")
    reg("taghva_vowel_consonant", _vowel_consonant(10), source=f"{TAGHVA}, rule V",
        description="If a string has nothing but alphabetic characters, look at the number "
                    "of consonants and vowels. If the number of one is less than 10% of the "
                    "number of the other, then the string is garbage.",
        note="applied only to strings of >= 3 letters with a lowercase letter, so 'a', 'I', "
             "'Mr' and acronyms ('TTC') do not fire; vowels are the Latin/Greek/Cyrillic "
             "vowel letters (y included) with any diacritics; other scripts never fire")
    reg("taghva_inner_punct", _inner_punct, source=f"{TAGHVA}, rule P (kept by {KULP})",
        description="Strip off the first and last characters of a string. If there are two "
                    "distinct punctuation characters in the result, then the string is "
                    "garbage.",
        note="punctuation = any character that is neither alphanumeric nor whitespace")
    reg("taghva_case", _case_inside, source=f"{TAGHVA}, rule C (kept by {KULP})",
        description="If a string begins and ends with a lowercase letter, then if the string "
                    "contains an uppercase letter anywhere in between, then it is removed as "
                    "garbage.",
        note="an uppercase letter right after an apostrophe is not counted (elision: "
             "d'Anjou, l'Europe)")
    reg("kulp_length", _length(20), source=KULP,
        description="longer than 20 characters (Taghva's rule L with 40 lowered to 20)")
    reg("kulp_punct", _punct_gt_alnum, source=KULP,
        description="more punctuation characters than alphanumeric characters (replaces "
                    "Taghva's 50% ratio)",
        note="punctuation = any character that is neither alphanumeric nor whitespace")
    reg("kulp_repeat", _regex(_REPEAT3), source=KULP,
        description="3 or more identical characters in a row (Taghva's rule R with 4 lowered "
                    "to 3)",
        note="digits count too, as published: '1000' and 'III' fire")
    reg("kulp_vowel_consonant", _vowel_consonant(8), source=KULP,
        description="all characters alphabetic and more than 8 times as many consonants as "
                    "vowels, or more than 8 times as many vowels as consonants (Taghva's rule "
                    "V with factor 8)",
        note="as taghva_vowel_consonant: >= 3 letters with a lowercase letter; vowels are "
             "Latin/Greek/Cyrillic vowels (y included) with any diacritics")
    reg("kulp_upper", _upper_majority, source=KULP,
        description="more uppercase than lowercase letters, but fewer uppercase letters than "
                    "characters (the string is not all uppercase), e.g. 'HeLLO', '1ER'",
        note="characters are counted without leading/trailing punctuation, so 'USA.' and "
             "'(NATO)' count as all uppercase and do not fire")
    reg("kulp_run", _regex(_KULP_RUN), source=KULP,
        description="4 or more consecutive vowels, or 5 or more consecutive consonants",
        note="'y' counts as a vowel; Latin, Greek and Cyrillic letters with any diacritics")


_register_builtin()
