"""Annotation consistency: the same string, context or text annotated in different ways.

NER, per surface string (:func:`inconsistent_mentions`)
    Every token sequence annotated as an entity somewhere is looked up at every
    place it occurs (same token texts, case-sensitive).  Each occurrence is an
    *annotation* with its type, *unannotated* (``O``: no gold span overlaps it) or
    *partial* (it overlaps a gold span with other boundaries: counted, not
    judged).  ``unannotated_same_context`` counts the unannotated occurrences whose
    left and right neighbour tokens equal those of an annotated occurrence (the
    same context: the strongest sign of a missed annotation).  A string is
    inconsistent when its annotations and unannotated occurrences carry two or
    more distinct labels (``O`` counts as a label).
    ``changes`` = annotations + unannotated occurrences - the count of the most
    frequent label: how many places would change if all followed the majority.

NER, per token context (:func:`inconsistent_tags`)
    Every token with its ``window`` (default 1) left and right neighbours
    (sentence edges are ``<s>`` / ``</s>``) is a context; a context whose
    occurrences carry two or more distinct IOB2 tags (from the token-aligned gold
    spans) is inconsistent; ``changes`` as above.  Only tokens whose text carries an entity tag somewhere are looked at
    (a context tagged ``O`` everywhere cannot disagree).

Classification (:func:`inconsistent_labels`)
    Texts equal after normalisation (``kind="exact"``) or near-duplicates by
    :func:`~nlperr.quality.near_duplicates` (``kind="near"``, Jaccard >= threshold
    between two groups of equal normalised texts) with different labels.

Locations are example ids (CoNLL: ``file:line`` of the sentence's first line) with
``#token`` appended for NER occurrences (0-based token index).

A gold span is mapped to the tokens it overlaps (whitespace tokens for examples
without tokens); spans that do not start and end on token boundaries are
counted over those tokens, with warning W951.  Tokens in an unannotated
(``Example.missing``, tag ``-``) range are never counted as ``O``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data import Example
from ..errors import Errors, InputError, Warnings, warn
from ._text import (example_id, normalize_text, token_bounds as _token_bounds, token_range,
                    token_texts)

__all__ = ["inconsistent_mentions", "inconsistent_tags", "inconsistent_labels"]

#: Columns of :func:`inconsistent_mentions`.
MENTION_COLUMNS = ["surface", "n_tokens", "occurrences", "annotated", "unannotated",
                   "unannotated_same_context", "partial", "n_labels", "labels", "majority",
                   "majority_share", "changes", "examples"]
#: Columns of :func:`inconsistent_tags`.
TAG_COLUMNS = ["context", "token", "occurrences", "n_tags", "tags", "majority",
               "majority_share", "changes", "examples"]
#: Columns of :func:`inconsistent_labels`.
LABEL_COLUMNS = ["kind", "text", "occurrences", "n_labels", "labels", "majority",
                 "majority_share", "changes", "jaccard", "examples"]

_MAX_EXAMPLES = 5


def _fmt_counts(c: Counter) -> str:
    return "; ".join(f"{k}:{v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def _majority(c: Counter) -> tuple[str, int]:
    k, v = sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return k, v


def inconsistent_mentions(examples: Sequence[Example], *, split: str | None = None
                          ) -> pd.DataFrame:
    """Surface strings annotated inconsistently (module docs), most ``changes`` first.

    Returns
    -------
    DataFrame
        ``surface``, ``n_tokens``, ``occurrences`` (annotated + unannotated + partial),
        ``annotated``, ``unannotated``, ``unannotated_same_context``, ``partial``,
        ``n_labels`` (distinct labels, ``O`` included), ``labels`` (``"person:5; O:2"``), ``majority``,
        ``majority_share`` (of annotated + unannotated), ``changes``, ``examples``
        (locations of up to five minority occurrences, ``" | "``-joined).

    Examples
    --------
    >>> from nlperr.data import Example
    >>> ex = [Example.from_tokens(["Paris", "is", "big"], ["B-LOC", "O", "O"]),
    ...       Example.from_tokens(["Paris", "Hilton"], ["B-PER", "I-PER"]),
    ...       Example.from_tokens(["in", "Paris"], ["O", "B-LOC"]),
    ...       Example.from_tokens(["Paris", "!"], ["O", "O"])]
    >>> df = inconsistent_mentions(ex)
    >>> df[["surface", "labels", "partial", "changes"]].values.tolist()
    [['Paris', 'LOC:2; O:1', 1, 1]]
    """
    split = split or "data"
    info = []
    labels: dict[tuple, Counter] = defaultdict(Counter)
    where: dict[tuple, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    surface_text: dict[tuple, str] = {}
    exact: set[tuple[int, int, int]] = set()
    contexts: dict[tuple, set[tuple[str, str]]] = defaultdict(set)
    unaligned = 0
    for i, e in enumerate(examples):
        if not e.spans and not e.missing:
            info.append((token_texts(e), None))
            continue
        words, starts, ends = _token_bounds(e)
        covered = bytearray(len(words))
        for ms, me in e.missing:        # unannotated ('-') tokens are never "O"
            a, b, _ = token_range(starts, ends, ms, me)
            covered[a:b] = b"\x01" * (b - a)
        for s in e.spans or ():
            a, b, ok = token_range(starts, ends, s.start, s.end)
            unaligned += not ok
            if b <= a:
                continue
            key = tuple(words[a:b])
            labels[key][s.label] += 1
            where[key][s.label].append(f"{example_id(e, i, split)}#{a}")
            contexts[key].add((words[a - 1] if a else "<s>",
                               words[b] if b < len(words) else "</s>"))
            surface_text.setdefault(key, e.text[s.start:s.end])
            exact.add((i, a, b))
            covered[a:b] = b"\x01" * (b - a)
        info.append((words, covered))
    if unaligned:
        warn(Warnings.W951.format(count=unaligned, what="inconsistent_mentions"))
    if not labels:
        return pd.DataFrame(columns=MENTION_COLUMNS)
    by_first: dict[str, set[int]] = defaultdict(set)
    for key in labels:
        by_first[key[0]].add(len(key))
    unann: Counter = Counter()
    same_ctx: Counter = Counter()
    partial: Counter = Counter()
    for i, (words, cov) in enumerate(info):
        n = len(words)
        for p, w in enumerate(words):
            lens = by_first.get(w)
            if not lens:
                continue
            for L in lens:
                if p + L > n or (i, p, p + L) in exact:
                    continue
                key = tuple(words[p:p + L])
                if key not in labels:
                    continue
                if cov is not None and any(cov[p:p + L]):
                    partial[key] += 1
                else:
                    unann[key] += 1
                    ctx = (words[p - 1] if p else "<s>", words[p + L] if p + L < n else "</s>")
                    if ctx in contexts[key]:
                        same_ctx[key] += 1
                    if len(where[key]["O"]) < _MAX_EXAMPLES:
                        where[key]["O"].append(f"{example_id(examples[i], i, split)}#{p}")
    rows = []
    for key, c in labels.items():
        full = Counter(c)
        if unann[key]:
            full["O"] = unann[key]
        if len(full) < 2:
            continue
        maj, mv = _majority(full)
        total = sum(full.values())
        minority = [loc for lab in sorted(full, key=lambda k: (full[k], k)) if lab != maj
                    for loc in where[key][lab]][:_MAX_EXAMPLES]
        rows.append((surface_text[key], len(key), total + partial[key], sum(c.values()),
                     unann[key], same_ctx[key], partial[key], len(full), _fmt_counts(full),
                     maj, mv / total, total - mv, " | ".join(minority)))
    df = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    return df.sort_values(["changes", "occurrences", "surface"], ascending=[False, False, True],
                          kind="mergesort").reset_index(drop=True)


def inconsistent_tags(examples: Sequence[Example], *, split: str | None = None,
                      window: int = 1, min_occurrences: int = 2) -> pd.DataFrame:
    """Token contexts (``window`` tokens left, the token, ``window`` right) tagged
    inconsistently (module docs).

    Returns
    -------
    DataFrame
        ``context`` (``"left [token] right"``), ``token``, ``occurrences``, ``n_tags``,
        ``tags`` (``"B-person:3; O:1"``), ``majority``, ``majority_share``,
        ``changes``, ``examples`` (up to five minority locations); most ``changes``
        first.
    """
    split = split or "data"
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        raise InputError(Errors.E950.format(name="window", expected="an integer >= 0",
                                            value=window))
    # only a token text that carries an entity tag somewhere can be tagged inconsistently
    per_ex = []
    unaligned = 0
    entity_words: set[str] = set()
    for e in examples:
        t = None
        if e.spans:
            words, starts, ends = _token_bounds(e)
            t = ["O"] * len(words)
            for s in e.spans:
                a, b, ok = token_range(starts, ends, s.start, s.end)
                unaligned += not ok
                if b <= a:
                    continue
                t[a] = "B-" + s.label
                for k in range(a + 1, b):
                    t[k] = "I-" + s.label
        else:
            words = token_texts(e)
        per_ex.append((words, t))
        if t is not None:
            entity_words.update(w for w, x in zip(words, t) if x != "O")
    if unaligned:
        warn(Warnings.W951.format(count=unaligned, what="inconsistent_tags"))
    ctx, tok, tags, locs = [], [], [], []
    for i, (e, (words, t)) in enumerate(zip(examples, per_ex)):
        hits = [p for p, w in enumerate(words) if w in entity_words]
        if not hits:
            continue
        eid = example_id(e, i, split)
        padded = ["<s>"] * window + words + ["</s>"] * window
        for p in hits:
            left = " ".join(padded[p:p + window])
            right = " ".join(padded[p + window + 1:p + 2 * window + 1])
            ctx.append(f"{left} [{words[p]}] {right}".strip())
            tok.append(words[p])
            tags.append("O" if t is None else t[p])
            locs.append(f"{eid}#{p}")
    if not ctx:
        return pd.DataFrame(columns=TAG_COLUMNS)
    df = pd.DataFrame({"context": ctx, "tag": tags})
    nt = df.groupby("context", sort=False)["tag"].nunique()
    bad = nt[nt >= 2].index
    if not len(bad):
        return pd.DataFrame(columns=TAG_COLUMNS)
    sel = np.flatnonzero(df["context"].isin(bad).to_numpy())
    groups: dict[str, list[int]] = defaultdict(list)
    for k in sel.tolist():
        groups[ctx[k]].append(k)
    rows = []
    for c, idx in groups.items():
        if len(idx) < min_occurrences:
            continue
        cnt = Counter(tags[k] for k in idx)
        maj, mv = _majority(cnt)
        minority = [locs[k] for k in idx if tags[k] != maj][:_MAX_EXAMPLES]
        rows.append((c, tok[idx[0]], len(idx), len(cnt), _fmt_counts(cnt), maj, mv / len(idx),
                     len(idx) - mv, " | ".join(minority)))
    out = pd.DataFrame(rows, columns=TAG_COLUMNS)
    return out.sort_values(["changes", "occurrences", "context"], ascending=[False, False, True],
                           kind="mergesort").reset_index(drop=True)


def inconsistent_labels(examples: Sequence[Example], *, split: str | None = None,
                        threshold: float = 0.9, near: bool = True, seed: int = 0
                        ) -> pd.DataFrame:
    """Identical (normalised) or near-identical texts with different labels.

    Returns
    -------
    DataFrame
        ``kind`` (``"exact"``: a group of equal normalised texts; ``"near"``: two such
        groups with Jaccard >= *threshold* whose labels differ), ``text`` (the
        first), ``occurrences`` (both groups for ``near``), ``n_labels``, ``labels``, ``majority``,
        ``majority_share``, ``changes``, ``jaccard`` (NaN for exact groups),
        ``examples`` (ids, ``" | "``-joined, up to five); most ``changes`` first.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> ex = [Example("Great phone!", label="1"), Example("great  phone!", label="0"),
    ...       Example("great phone", label="1"), Example("awful phone", label="0")]
    >>> inconsistent_labels(ex)[["kind", "labels", "changes", "jaccard"]].values.tolist()
    [['near', '1:2; 0:1', 1, 1.0], ['exact', '0:1; 1:1', 1, nan]]
    """
    from .leakage import near_duplicates

    split = split or "data"
    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        k = normalize_text(e.text)
        if k and e.label is not None:
            groups[k].append(i)
    rows = []
    for k, idx in groups.items():
        cnt = Counter(str(examples[i].label) for i in idx)
        if len(cnt) < 2:
            continue
        maj, mv = _majority(cnt)
        ids = [example_id(examples[i], i, split) for i in idx]
        rows.append(("exact", examples[idx[0]].text, len(idx), len(cnt), _fmt_counts(cnt), maj,
                     mv / len(idx), len(idx) - mv, np.nan, " | ".join(ids[:_MAX_EXAMPLES])))
    if near:
        # one representative per normalised text: copies are compared once
        keys = list(groups)
        reps = [examples[groups[k][0]] for k in keys]
        pairs = near_duplicates(reps, threshold=threshold, seed=seed)
        for r in pairs.itertuples(index=False):
            ia, ib = groups[keys[int(r.index)]], groups[keys[int(r.train_index)]]
            cnt = Counter(str(examples[i].label) for i in ia + ib)
            if len(cnt) < 2:
                continue
            maj, mv = _majority(cnt)
            n = len(ia) + len(ib)
            ids = [example_id(examples[i], i, split) for i in ia[:3] + ib[:3]]
            rows.append(("near", examples[ia[0]].text, n, len(cnt), _fmt_counts(cnt), maj,
                         mv / n, n - mv, float(r.jaccard), " | ".join(ids[:_MAX_EXAMPLES])))
    df = pd.DataFrame(rows, columns=LABEL_COLUMNS).astype({"jaccard": "float64"})
    return df.sort_values(["changes", "occurrences", "kind"], ascending=[False, False, True],
                          kind="mergesort").reset_index(drop=True)
