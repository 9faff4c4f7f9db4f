"""Small deterministic models for the first-hour tests, importable by spec
(``callable:_firsthour_helpers:NAME``)."""

from __future__ import annotations

CALLS: list[int] = []


def classify(texts):
    """A sentiment 'classifier': every text is positive."""
    CALLS.append(len(texts))
    return ["positive"] * len(texts)


def find_capitals(texts):
    """An 'NER model': every capitalised word is a PERSON (OntoNotes-style label)."""
    CALLS.append(len(texts))
    out = []
    for t in texts:
        spans, pos = [], 0
        for word in t.split(" "):
            if word[:1].isupper():
                spans.append((pos, pos + len(word), "PERSON"))
            pos += len(word) + 1
        out.append(spans)
    return out


def inside_first_word(texts):
    """An 'NER model' whose span ends inside the first word (not token-aligned)."""
    return [[(0, 2, "X")] if len(t.split(" ")[0]) > 2 else [] for t in texts]
