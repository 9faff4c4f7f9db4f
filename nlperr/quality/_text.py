"""Text normalisation and word extraction shared by the data-quality checks.

Normalisation (exact duplicates, classification label conflicts): Unicode NFKC,
``str.casefold``, every run of whitespace to one space, stripped.  Words (shingles,
cue words, vocabulary): maximal runs of ``\\w`` characters of the normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from ..data import Example

_SPACE = re.compile(r"\s+", re.UNICODE)
_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_text(text: str) -> str:
    """The normalised form compared for exact duplicates.

    >>> normalize_text("  Hello\\tWORLD ")
    'hello world'
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()


def words(text: str) -> list[str]:
    """Lower-cased (casefolded, NFKC) word tokens of *text*.

    >>> words("It's NEW-York!")
    ['it', 's', 'new', 'york']
    """
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def example_id(ex: Example, index: int, split: str | None = None) -> str:
    """``ex.id`` or ``"<split>:<index>"`` when the example has no id."""
    if ex.id is not None:
        return str(ex.id)
    return f"{split}:{index}" if split else str(index)


def token_texts(ex: Example) -> list[str]:
    """The example's token texts (whitespace split when it has no tokens)."""
    if ex.tokens is not None:
        return [t.text for t in ex.tokens]
    return ex.text.split()


def task_of(examples: Sequence[Example]) -> str:
    """``"ner"`` when any example has spans, ``"classification"`` when any has a label."""
    for e in examples:
        if e.spans:
            return "ner"
        if e.label is not None:
            return "classification"
    return "ner"


def token_bounds(ex: Example) -> tuple[list[str], dict[int, int], dict[int, int]]:
    """Token texts, char start -> token index and char end -> token index + 1
    (whitespace tokens when the example has none)."""
    toks = ex.tokens
    if toks is None:
        from ..data.example import whitespace_tokenize
        toks = whitespace_tokenize(ex.text)
    starts, ends = {}, {}
    for i, t in enumerate(toks):
        starts[t.start] = i
        ends[t.end] = i + 1
    return [t.text for t in toks], starts, ends
