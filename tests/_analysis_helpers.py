"""Helpers for the analysis tests: random tag sequences and a synthetic email corpus."""

from __future__ import annotations

import random
import warnings

from nlperr.data import Example, Span
from nlperr.errors import RepairWarning

TYPES = ("PER", "LOC", "ORG")


def random_tags(rng: random.Random, n: int, types=TYPES, p_entity: float = 0.45) -> list[str]:
    """Random (possibly invalid) IOB tags; decoded leniently like conlleval."""
    out = []
    for _ in range(n):
        if rng.random() < 1 - p_entity:
            out.append("O")
        else:
            out.append(rng.choice("BI") + "-" + rng.choice(types))
    return out


def random_pair(rng: random.Random, n_sent: int, max_len: int = 15, types=TYPES):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RepairWarning)
        return _random_pair(rng, n_sent, max_len, types)


def _random_pair(rng, n_sent, max_len, types):
    gold, pred = [], []
    for k in range(n_sent):
        n = rng.randint(0, max_len)
        words = [f"w{rng.randint(0, 30)}" for _ in range(n)]
        gold.append(Example.from_tokens(words, random_tags(rng, n, types), strict=False,
                                        id=f"s{k}"))
        pred.append(Example.from_tokens(words, random_tags(rng, n, types), strict=False,
                                        id=f"s{k}"))
    return gold, pred


# --- synthetic email corpus -------------------------------------------------------
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
SENT_TEMPLATES = [
    "Sent : {d}",
    "This message was sent on {d} by {n} .",
    "{n} sent the invoice on {d} .",
    "Date sent : {d}",
    "The letter was sent {d} to the office .",
    "Original message sent {d} from my phone .",
]
REPLIED_TEMPLATES = [
    "{n} replied on {d} .",
    "Replied : {d}",
    "We replied to your request on {d} .",
    "Reply received {d} , thanks .",
    "She answered and replied {d} with the file .",
    "Last replied {d} by support .",
]
NAMES = ["Anna", "Bob", "Carla", "Dieter", "Emma", "Farid", "Grace", "Hiro"]


def _date(rng: random.Random) -> list[str]:
    style = rng.randrange(3)
    day, month, year = rng.randint(1, 28), rng.choice(MONTHS), rng.randint(1998, 2024)
    if style == 0:
        return [str(day), month, str(year)]
    if style == 1:
        return [month, f"{day},", str(year)]
    return [f"{day:02d}/{rng.randint(1, 12):02d}/{year}"]


def email_corpus(n: int = 300, seed: int = 0, confuse: float = 0.6):
    """Gold emails with DATE_SENT / DATE_REPLIED / PER, and a model that detects every date
    but types a DATE_SENT as DATE_REPLIED with probability *confuse* (and misses a few
    PER entities)."""
    rng = random.Random(seed)
    gold, pred = [], []
    for k in range(n):
        label = "DATE_SENT" if rng.random() < 0.5 else "DATE_REPLIED"
        tpl = rng.choice(SENT_TEMPLATES if label == "DATE_SENT" else REPLIED_TEMPLATES)
        words, tags = [], []
        for piece in tpl.split():
            if piece == "{d}":
                d = _date(rng)
                words += d
                tags += [f"B-{label}"] + [f"I-{label}"] * (len(d) - 1)
            elif piece == "{n}":
                words.append(rng.choice(NAMES))
                tags.append("B-PER")
            else:
                words.append(piece)
                tags.append("O")
        g = Example.from_tokens(words, tags, id=f"mail{k}")
        spans = []
        for s in g.spans:
            lab = s.label
            if lab == "DATE_SENT" and rng.random() < confuse:
                lab = "DATE_REPLIED"
            if lab == "PER" and rng.random() < 0.1:
                continue
            spans.append(Span(s.start, s.end, lab, round(rng.uniform(0.5, 1.0), 3)))
        gold.append(g)
        pred.append(g.copy(spans=tuple(spans)))
    return gold, pred
