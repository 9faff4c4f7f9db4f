"""Text normalisation and word extraction shared by the data-quality checks.

Normalisation (exact duplicates, classification label conflicts): Unicode NFKC,
``str.casefold``, every run of whitespace to one space, stripped.  Words (shingles,
cue words, vocabulary): maximal runs of ``\\w`` characters of the normalised text.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Sequence

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
    return first_task(examples) or "ner"


def first_task(examples: Iterable[Example]) -> str | None:
    """The task the first example with spans or a label says (None: no such example)."""
    for e in examples:
        if e.spans:
            return "ner"
        if e.label is not None:
            return "classification"
    return None


def token_bounds(ex: Example) -> tuple[list[str], list[int], list[int]]:
    """Token texts, start offsets and end offsets (whitespace tokens when the example
    has none)."""
    toks = ex.tokens
    if toks is None:
        from ..data.example import whitespace_tokenize
        toks = whitespace_tokenize(ex.text)
    if not toks:
        return [], [], []
    words, starts, ends = zip(*toks)            # Token is (text, start, end)
    return list(words), list(starts), list(ends)


def token_range(starts: list[int], ends: list[int], start: int, end: int
                ) -> tuple[int, int, bool]:
    """Tokens ``[a, b)`` that the character range ``[start, end)`` overlaps, and whether
    the range starts and ends on those tokens' boundaries (``a == b``: none overlaps).

    >>> token_range([0, 4, 8], [3, 7, 11], 4, 7)
    (1, 2, True)
    >>> token_range([0, 4, 8], [3, 7, 11], 5, 9)
    (1, 3, False)
    """
    a = bisect.bisect_right(ends, start)
    b = bisect.bisect_left(starts, end)
    if a >= b:
        return a, a, False
    return a, b, starts[a] == start and ends[b - 1] == end
