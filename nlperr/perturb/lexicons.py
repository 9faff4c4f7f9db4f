"""Shipped word lists (names with gender/origin, cities, countries) and lexicon lookup.

Lists live in ``nlperr/resources/lexicons/*.yaml`` (CC0, compiled by the nlperr
developers).  :func:`lexicon` returns a list of entries (``text`` plus tags)
that perturbations and MFT templates draw from.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from ..errors import Errors, InputError

__all__ = ["Entry", "lexicon", "available_lexicons", "lexicon_texts"]


@dataclass(frozen=True)
class Entry:
    """One lexicon item: its text and tags (``{"gender": "female", "origin": "french"}``)."""

    text: str
    tags: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def matches(self, **filters: Any) -> bool:
        for key, want in filters.items():
            if want is None:
                continue
            allowed = {want} if isinstance(want, str) else set(want)
            if self.tags.get(key) not in allowed:
                return False
        return True


@functools.lru_cache(maxsize=None)
def _load(name: str) -> dict:
    text = resources.files("nlperr").joinpath("resources", "lexicons", f"{name}.yaml").read_text("utf-8")
    return yaml.safe_load(text)


@functools.lru_cache(maxsize=None)
def _all() -> dict[str, tuple[Entry, ...]]:
    names = _load("names")
    places = _load("places")
    first = tuple(Entry(n, {"gender": g, "origin": o})
                  for o, by_g in names["first_names"].items() for g, lst in by_g.items() for n in lst)
    last = tuple(Entry(n, {"origin": o}) for o, lst in names["last_names"].items() for n in lst)
    cities = tuple(Entry(c, {"country": k, "region": r}) for c, k, r in places["cities"])
    countries = tuple(Entry(c, {"region": r}) for c, r in places["countries"])
    return {
        "first_name": first,
        "first_name_female": tuple(e for e in first if e.tags["gender"] == "female"),
        "first_name_male": tuple(e for e in first if e.tags["gender"] == "male"),
        "last_name": last,
        "city": cities,
        "country": countries,
    }


def available_lexicons() -> list[str]:
    """Names of the shipped lexicons."""
    return sorted(_all())


def lexicon(name: str, **filters: Any) -> list[Entry]:
    """Entries of shipped lexicon *name*, keeping those whose tags match *filters*.

    >>> [e.text for e in lexicon("first_name", gender="female", origin="french")][:3]
    ['Camille', 'Manon', 'Chloe']
    """
    table = _all()
    if name not in table:
        raise InputError(Errors.E207.format(value=name, option="lexicon",
                                            allowed=", ".join(sorted(table))))
    if all(v is None for v in filters.values()):
        return list(table[name])
    return [e for e in table[name] if e.matches(**filters)]


def lexicon_texts(name: str, **filters: Any) -> list[str]:
    """Just the texts of :func:`lexicon`."""
    return [e.text for e in lexicon(name, **filters)]
