"""Small local models for the suite tests (no real model needed)."""

from __future__ import annotations

import math
import re

from nlperr.adapters.base import Adapter, Prediction
from nlperr.data import Span

POS = {"good", "great", "excellent", "amazing", "wonderful", "fantastic", "nice", "perfect", "brilliant",
       "lovely", "love", "thanks", "thank", "happy", "delicious", "beautiful", "clean", "recommended"}
NEG = {"bad", "terrible", "awful", "horrible", "poor", "disappointing", "rude", "dirty", "boring", "annoying",
       "worst", "lost", "cancelled", "crashes", "late", "weak", "disappointed", "confusing"}
NEGATORS = {"not", "don't", "didn't", "isn't", "wasn't", "no", "never", "can't", "doesn't"}


def sentiment_probs(text: str, bias: float = 0.0) -> dict[str, float]:
    s, neg = bias, False
    for w in text.split():
        w = w.strip(".,!?").lower()
        if w in NEGATORS:
            neg = True
            continue
        v = (w in POS) - (w in NEG)
        s += -v if neg else v
    e = [math.exp(-s), 1.0, math.exp(s)]
    z = sum(e)
    return {"negative": e[0] / z, "neutral": e[1] / z, "positive": e[2] / z}


def lexicon_sentiment(texts):
    """Callable sentiment model: list of texts -> list of {label: prob}."""
    return [sentiment_probs(t) for t in texts]


class FakeSentiment(Adapter):
    """Local classification adapter; `version` changes the fingerprint and the outputs."""

    task = "classification"
    kind = "fake"

    def __init__(self, version: int = 1, bias: float = 0.0):
        self.version, self.bias, self.calls = version, bias, 0
        self.name = f"fake-sentiment-v{version}"

    def predict_batch(self, examples):
        self.calls += 1
        out = []
        for ex in examples:
            probs = sentiment_probs(ex.text, self.bias)
            out.append(Prediction(label=max(probs, key=probs.get), probs=probs))
        return out

    def fingerprint(self):
        return f"fake-sentiment-{self.version}-{self.bias}"


_CAP = re.compile(r"\b[A-Z][a-z]+(?: [A-Z][a-z]+)*\b")


class FakeNER(Adapter):
    """Capitalised word runs not at sentence start are entities; known cities are LOC."""

    task = "ner"
    kind = "fake"
    CITIES = {"Paris", "London", "Berlin", "Madrid", "Chicago", "Tokyo", "Cairo", "Boston", "Lima"}

    def __init__(self):
        self.calls = 0
        self.name = "fake-ner"

    def predict_batch(self, examples):
        self.calls += 1
        out = []
        for ex in examples:
            spans = []
            for m in _CAP.finditer(ex.text):
                if m.start() == 0:
                    continue
                spans.append(Span(m.start(), m.end(), "LOC" if m.group() in self.CITIES else "PER"))
            out.append(Prediction(spans=tuple(spans)))
        return out

    def fingerprint(self):
        return "fake-ner-1"
