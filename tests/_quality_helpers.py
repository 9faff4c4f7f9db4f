"""Shared data for the nlperr.quality tests (real corpora from ../shared/data)."""

from __future__ import annotations

import random
from pathlib import Path

from nlperr import load
from nlperr.data import Example


def wnut(shared: Path, name: str) -> list[Example]:
    return load(shared / "wnut17" / name, format="conll")


def sentiment(shared: Path, files=("amazon_cells_labelled.txt", "imdb_labelled.txt",
                                   "yelp_labelled.txt")) -> list[Example]:
    """The sentence<TAB>label files as labelled examples (the loaders need a header; the
    conversion is the one docs/quality.md shows)."""
    out = []
    for f in files:
        path = shared / "sentiment_labelled" / f
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            text, label = line.rsplit("\t", 1)
            out.append(Example(text.strip(), label=label.strip(), id=f"{f}:{i}"))
    return out


def near_copy(ex: Example, rng: random.Random, tag: str, k: int | None = None) -> Example:
    """*ex* with one or two tokens replaced by new words (labels kept as O)."""
    toks = [t.text for t in ex.tokens] if ex.tokens is not None else ex.text.split()
    for j in range(k if k is not None else rng.choice((1, 2))):
        toks[rng.randrange(len(toks))] = f"zq{tag}x{j}"
    return Example.from_tokens(toks, ["O"] * len(toks))
