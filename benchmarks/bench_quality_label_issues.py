"""How well label_issues ranks injected label errors (precision at k), on real data.

    python benchmarks/bench_quality_label_issues.py [--markdown]

Not a speed benchmark: a detection-quality measurement with the conditions it
depends on (the model's accuracy).  Needs ../shared/data and scikit-learn.

1. Classification: the 3000 UCI Sentiment Labelled Sentences, 150 labels (5%)
   flipped; out-of-sample probabilities from a 5-fold cross-validated TF-IDF
   logistic regression.  Precision at k of the ranking, and the base rate.
2. NER: WNUT-17 train, 80 mention types flipped and 80 mentions deleted (of
   ~3000); out-of-sample token probabilities from a 5-fold cross-validated
   token-level logistic regression (hashed word / shape / context features, SGD),
   decoded to spans whose ``score`` is the mean of the tokens' top probability.
   An injected error is found when an issue row points at its span (deleted
   mentions: the ``missing`` row of the model's span; flips: the gold span).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _bench_common import Markdown, add_markdown_option  # noqa: E402

from _quality_helpers import sentiment, wnut  # noqa: E402
from nlperr.data import Example, Span  # noqa: E402
from nlperr.quality import label_issues  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def classification(md) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_predict

    ex = sentiment(SHARED)
    rng = random.Random(0)
    flip = set(rng.sample(range(len(ex)), 150))
    noisy = [e.copy(label={"0": "1", "1": "0"}[e.label]) if i in flip else e
             for i, e in enumerate(ex)]
    X = TfidfVectorizer(sublinear_tf=True).fit_transform([e.text for e in noisy])
    P = cross_val_predict(LogisticRegression(C=4, solver="liblinear"), X,
                          [e.label for e in noisy], cv=5, method="predict_proba")
    pred = [e.copy(label=str(int(p.argmax())), probs={"0": float(p[0]), "1": float(p[1])})
            for e, p in zip(noisy, P)]
    acc = np.mean([p.label == e.label for p, e in zip(pred, ex)])
    issues, info = label_issues(noisy, pred)
    ranked = issues["example"].tolist()
    print(f"classification: {len(ex)} sentences, {len(flip)} flipped (base rate "
          f"{len(flip) / len(ex):.3f}); model accuracy on the clean labels {acc:.3f}; "
          f"{info['n_flagged']} flagged")
    print("  precision at k: " + ", ".join(
        f"k={k}: {len(set(ranked[:k]) & flip) / k:.2f}" for k in (50, 100, 150, 300)))
    md.row(f"`label_issues`, classification: {len(ex)} UCI sentiment sentences, {len(flip)} labels "
           f"flipped, 5-fold TF-IDF logistic regression ({acc:.0%} accurate on clean labels)",
           "precision at k = 50 / 100 / 150 / 300: " + " / ".join(
               f"{len(set(ranked[:k]) & flip) / k:.2f}" for k in (50, 100, 150, 300))
           + f" (base rate {len(flip) / len(ex):.2f})", "well above the base rate")


def _features(words: list[str], p: int) -> dict[str, float]:
    w = words[p]
    f = {"w=" + w.lower(): 1.0, "suf=" + w[-3:].lower(): 1.0, "pre=" + w[:3].lower(): 1.0,
         "cap": float(w[:1].isupper()), "allcap": float(w.isupper()),
         "at": float(w.startswith("@")), "hash": float(w.startswith("#"))}
    for d in (-2, -1, 1, 2):
        q = p + d
        f[f"w{d}=" + (words[q].lower() if 0 <= q < len(words) else "<pad>")] = 1.0
    return f


def ner(md) -> None:
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import KFold

    gold = wnut(SHARED, "wnut17train.conll")
    rng = random.Random(0)
    types = sorted({s.label for e in gold for s in e.spans})
    where = [(i, k) for i, e in enumerate(gold) for k in range(len(e.spans))]
    pick = rng.sample(where, 160)
    flips, dels = set(pick[:80]), set(pick[80:])
    injected = set()
    noisy = []
    for i, e in enumerate(gold):
        spans = []
        for k, s in enumerate(e.spans):
            if (i, k) in flips:
                spans.append(Span(s.start, s.end, rng.choice([t for t in types if t != s.label])))
                injected.add((i, s.start, s.end))
            elif (i, k) in dels:
                injected.add((i, s.start, s.end))
            else:
                spans.append(s)
        noisy.append(e.copy(spans=tuple(spans)))
    t0 = time.perf_counter()
    feats, y, owner = [], [], []
    for i, e in enumerate(noisy):
        words = [t.text for t in e.tokens]
        tags = e.tags("IOB2")
        for p in range(len(words)):
            feats.append(_features(words, p))
            y.append(tags[p])
            owner.append(i)
    X = FeatureHasher(2 ** 18).transform(feats)
    y, owner = np.asarray(y), np.asarray(owner)
    classes = sorted(set(y.tolist()))
    P = np.zeros((len(y), len(classes)))
    for tr, te in KFold(5, shuffle=True, random_state=0).split(np.arange(len(noisy))):
        tm, sm = np.isin(owner, tr), np.isin(owner, te)
        clf = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=15, tol=None,
                            random_state=0).fit(X[tm], y[tm])
        P[np.ix_(sm, [classes.index(c) for c in clf.classes_])] = clf.predict_proba(X[sm])
    pred, off = [], 0
    for e in noisy:
        n = len(e.tokens)
        Pi = P[off:off + n]
        off += n
        tags = [classes[j] for j in Pi.argmax(1)]
        words = [t.text for t in e.tokens]
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            decoded = Example.from_tokens(words, tags, strict=False)
        spans = []
        for s in decoded.spans:
            toks = [k for k, t in enumerate(e.tokens) if t.start >= s.start and t.end <= s.end]
            spans.append(Span(s.start, s.end, s.label, score=float(Pi[toks].max(1).mean())))
        pred.append(e.copy(spans=tuple(spans)))
    fit_s = time.perf_counter() - t0
    issues, info = label_issues(noisy, pred)
    hit = np.asarray([((r.example, r.pred_start, r.pred_end) if r.kind == "missing" else
                       (r.example, r.gold_start, r.gold_end)) in injected
                      for r in issues.itertuples(index=False)])
    print(f"NER: WNUT-17 train, {sum(len(e.spans) for e in gold)} mentions, 80 flipped + 80 "
          f"deleted; token model cross-validated in {fit_s:.1f} s; {info['n_candidates']} "
          f"candidates ({hit.mean():.3f} of them injected), {info['n_flagged']} flagged; by kind "
          f"{info['by_kind']}")
    print("  precision at k: " + ", ".join(f"k={k}: {hit[:k].mean():.2f}"
                                           for k in (20, 50, 100, 160)))
    md.row(f"`label_issues`, NER: WNUT-17 train ({sum(len(e.spans) for e in gold)} mentions), "
           f"80 type flips + 80 deletions, 5-fold token-level logistic regression",
           "precision at k = 20 / 50 / 100 / 160: " + " / ".join(
               f"{hit[:k].mean():.2f}" for k in (20, 50, 100, 160))
           + f" (base rate {hit.mean():.2f} of {info['n_candidates']} candidates)",
           "well above the base rate")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_markdown_option(ap)
    args = ap.parse_args()
    if not SHARED.is_dir():
        print("../shared/data is absent: nothing to measure")
    else:
        md = Markdown(__file__, args.markdown)
        classification(md)
        ner(md)
        md.emit(data="UCI Sentiment Labelled Sentences; WNUT-17 train",
                runs="one run (seeded; a quality measurement, not a timing)")
