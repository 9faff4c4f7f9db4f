"""Small results of every kind for the report tests (no real model needed)."""

from __future__ import annotations

import functools
import random
import warnings

from nlperr.data import Example

TYPES = ("PER", "LOC", "ORG")
WORDS = ("the", "a", "met", "in", "visited", "said", "from", "at", "today", "new")
NAMES = {"PER": ("Ann", "Bob", "Carla", "Dmitri"), "LOC": ("Rome", "Oslo", "Lima", "Paris"),
         "ORG": ("Acme", "Globex", "Initech", "Umbrella")}


def ner_pair(n: int = 60, seed: int = 0):
    """Gold and noisy predicted NER examples (type swaps, misses, spurious, boundaries)."""
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        toks, gtags = [], []
        for _ in range(rng.randint(4, 9)):
            if rng.random() < 0.3:
                t = rng.choice(TYPES)
                toks.append(rng.choice(NAMES[t]))
                gtags.append(f"B-{t}")
            else:
                toks.append(rng.choice(WORDS))
                gtags.append("O")
        ptags = []
        for tag in gtags:
            r = rng.random()
            if tag != "O" and r < 0.15:
                ptags.append("O")
            elif tag != "O" and r < 0.3:
                ptags.append("B-" + rng.choice([t for t in TYPES if t != tag[2:]]))
            elif tag == "O" and r < 0.05:
                ptags.append("B-" + rng.choice(TYPES))
            else:
                ptags.append(tag)
        gold.append(Example.from_tokens(toks, gtags, id=f"s{i}"))
        pred.append(Example.from_tokens(toks, ptags, id=f"s{i}"))
    return gold, pred


def cls_pair(n: int = 80, seed: int = 1):
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        g = rng.choice(["pos", "neg", "neu"])
        p = g if rng.random() < 0.7 else rng.choice(["pos", "neg", "neu"])
        conf = rng.uniform(0.34, 0.99)
        rest = (1 - conf) / 2
        probs = {k: (conf if k == p else rest) for k in ("pos", "neg", "neu")}
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 8)))
        gold.append(Example(text, label=g, id=f"c{i}"))
        pred.append(Example(text, label=p, probs=probs, id=f"c{i}"))
    return gold, pred


@functools.lru_cache(maxsize=1)
def all_results():
    """name -> one result of every built-in kind (computed once per test session;
    the tests only read them)."""
    from _suites_helpers import FakeSentiment

    from nlperr.analysis import analyze_classification, analyze_ner
    from nlperr.ocr.compare import compare
    from nlperr.ocr.stats import corpus_stats
    from nlperr.suites import compare_runs, generate_cases, load_suite, run_suite

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g, p = ner_pair()
        out["ner"] = analyze_ner(g, p, n_boot=50, seed=0, zero_division=0)
        g, p = cls_pair()
        out["classification"] = analyze_classification(g, p, n_boot=50, seed=0,
                                                        zero_division=0)
        suite = load_suite("sentiment-en")
        cases = generate_cases(suite)
        base = run_suite(suite, FakeSentiment(1), cases=cases, cache=False)
        new = run_suite(suite, FakeSentiment(2, bias=-1.0), cases=cases, cache=False)
        out["suite"] = new
        out["suite_comparison"] = compare_runs(base, new)
        out["ocr_compare"] = compare(["the modern harbour", "good day to you", "the ship"],
                                     ["tbe rnodern harbour", "goal day t0 you", "the sh1p"])
        texts = ["The rnodern harbour was bnsy to-day .", "Good day ,, the ship ~~ arrived",
                 "the ship is in the harbour", "harbour harbour harbonr ship"] * 3
        out["ocr_stats"] = corpus_stats(texts, progress=False)
    return out
