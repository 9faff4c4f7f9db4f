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
from ._text import (normalize_text, token_bounds as _token_bounds, token_range,
                    token_texts)

__all__ = ["inconsistent_mentions", "inconsistent_tags", "inconsistent_labels", "MentionIndex",
           "MentionScan", "TagIndex", "TagScan", "LabelGroups"]

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


def _ref_id(ref: tuple, split: str) -> str:
    """The location of a reference ``(example index, id or None[, token])``."""
    i, ident = ref[0], ref[1]
    base = ident if ident is not None else f"{split}:{i}"
    return base if len(ref) < 3 else f"{base}#{ref[2]}"


def _shifted(refs: list, off: int) -> list:
    return [(r[0] + off, *r[1:]) for r in refs]


def _add_refs(mine: list, theirs: list, off: int, cap: int = _MAX_EXAMPLES) -> None:
    if len(mine) < cap:
        mine.extend(_shifted(theirs[:cap - len(mine)], off))


def _ident(e: Example) -> str | None:
    return None if e.id is None else str(e.id)


def _spans_on_tokens(e: Example) -> tuple[list[str], list[int], list[int], list, int]:
    """Token texts and offsets, each span with its tokens ``(a, b, span)`` (``b > a``)
    and the number of spans off the token boundaries."""
    words, starts, ends = _token_bounds(e)
    out, unaligned = [], 0
    for s in e.spans or ():
        a, b, ok = token_range(starts, ends, s.start, s.end)
        unaligned += not ok
        if b > a:
            out.append((a, b, s))
    return words, starts, ends, out, unaligned


class MentionIndex:
    """The annotated mentions of a corpus, first pass of :func:`inconsistent_mentions`:
    per surface (its token texts) the count of each label, the first five locations of
    each label, the neighbour tokens of its annotations and its first text.

    ``MentionIndex.from_examples(shard)`` maps one shard; ``a.merge(b)`` adds *b*, the
    next shard.  The second pass, :meth:`scan`, looks up the merged index's surfaces in
    a shard; its :class:`MentionScan` s merge in shard order, and
    ``inconsistent_mentions((index, scan))`` equals ``inconsistent_mentions(examples)``
    exactly (tested over random shardings).

    >>> from nlperr.data import Example
    >>> shards = [[Example.from_tokens(["Paris", "is", "big"], ["B-LOC", "O", "O"])],
    ...           [Example.from_tokens(["in", "Paris"], ["O", "O"])]]
    >>> index = MentionIndex()
    >>> for shard in shards:
    ...     index = index.merge(MentionIndex.from_examples(shard))
    >>> scan = MentionScan()
    >>> for shard in shards:
    ...     scan = scan.merge(index.scan(shard))
    >>> inconsistent_mentions((index, scan))[["surface", "labels"]].values.tolist()
    [['Paris', 'LOC:1; O:1']]
    """

    __slots__ = ("n", "labels", "where", "contexts", "surface", "unaligned")

    def __init__(self) -> None:
        self.n = 0                                          # examples (index offset)
        self.labels: dict[tuple, Counter] = {}              # surface -> label counts
        self.where: dict[tuple, dict[str, list]] = {}       # surface -> label -> refs
        self.contexts: dict[tuple, set[tuple[str, str]]] = {}
        self.surface: dict[tuple, str] = {}                 # surface -> first text
        self.unaligned = 0

    @classmethod
    def from_examples(cls, examples: Sequence[Example]) -> "MentionIndex":
        idx = cls()
        for i, e in enumerate(examples):
            if not e.spans:
                continue
            words, _, _, spans, bad = _spans_on_tokens(e)
            idx.unaligned += bad
            ident = _ident(e)
            for a, b, s in spans:
                key, label = tuple(words[a:b]), s.label
                c = idx.labels.get(key)
                if c is None:
                    c = idx.labels[key] = Counter()
                    idx.where[key] = {}
                    idx.contexts[key] = set()
                    idx.surface[key] = e.text[s.start:s.end]
                c[label] += 1
                refs = idx.where[key].setdefault(label, [])
                if len(refs) < _MAX_EXAMPLES:
                    refs.append((i, ident, a))
                idx.contexts[key].add((words[a - 1] if a else "<s>",
                                       words[b] if b < len(words) else "</s>"))
        idx.n = len(examples)
        return idx

    def merge(self, other: "MentionIndex") -> "MentionIndex":
        """Add *other*, the next shard (its example indices shifted by this one's size);
        returns ``self``."""
        for key, c in other.labels.items():
            mine = self.labels.get(key)
            if mine is None:
                self.labels[key] = Counter(c)
                self.where[key] = {lab: _shifted(r, self.n) for lab, r in other.where[key].items()}
                self.contexts[key] = set(other.contexts[key])
                self.surface[key] = other.surface[key]
                continue
            mine.update(c)
            for lab, r in other.where[key].items():
                _add_refs(self.where[key].setdefault(lab, []), r, self.n)
            self.contexts[key] |= other.contexts[key]
        self.unaligned += other.unaligned
        self.n += other.n
        return self

    def scan(self, examples: Sequence[Example]) -> "MentionScan":
        """Second pass over one shard: every place a known surface occurs without its
        annotation (unannotated, or overlapping an annotation with other bounds)."""
        out = MentionScan()
        out.n = len(examples)
        by_first: dict[str, set[int]] = defaultdict(set)
        for key in self.labels:
            by_first[key[0]].add(len(key))
        if not by_first:
            return out
        for i, e in enumerate(examples):
            if not e.spans and not e.missing:
                words, cov, exact = token_texts(e), None, set()
            else:
                words, starts, ends, spans, _ = _spans_on_tokens(e)
                cov = bytearray(len(words))
                for ms, me in e.missing:        # unannotated ('-') tokens are never "O"
                    a, b, _ = token_range(starts, ends, ms, me)
                    cov[a:b] = b"\x01" * (b - a)
                exact = set()
                for a, b, _ in spans:
                    exact.add((a, b))
                    cov[a:b] = b"\x01" * (b - a)
            n = len(words)
            for p, w in enumerate(words):
                lens = by_first.get(w)
                if not lens:
                    continue
                for L in lens:
                    if p + L > n or (p, p + L) in exact:
                        continue
                    key = tuple(words[p:p + L])
                    if key not in self.labels:
                        continue
                    if cov is not None and any(cov[p:p + L]):
                        out.partial[key] += 1
                        continue
                    out.unannotated[key] += 1
                    ctx = (words[p - 1] if p else "<s>", words[p + L] if p + L < n else "</s>")
                    if ctx in self.contexts[key]:
                        out.same_context[key] += 1
                    refs = out.where.setdefault(key, [])
                    if len(refs) < _MAX_EXAMPLES:
                        refs.append((i, _ident(e), p))
        return out


class MentionScan:
    """Second-pass counts of :func:`inconsistent_mentions` for one shard (see
    :class:`MentionIndex`): per surface its unannotated occurrences, those in the
    context of an annotation, the partial overlaps, and the first five unannotated
    locations.  ``a.merge(b)`` adds *b*, the next shard."""

    __slots__ = ("n", "unannotated", "same_context", "partial", "where")

    def __init__(self) -> None:
        self.n = 0
        self.unannotated: Counter = Counter()
        self.same_context: Counter = Counter()
        self.partial: Counter = Counter()
        self.where: dict[tuple, list] = {}

    def merge(self, other: "MentionScan") -> "MentionScan":
        """Add *other*, the next shard; returns ``self``."""
        self.unannotated.update(other.unannotated)
        self.same_context.update(other.same_context)
        self.partial.update(other.partial)
        for key, r in other.where.items():
            _add_refs(self.where.setdefault(key, []), r, self.n)
        self.n += other.n
        return self


def inconsistent_mentions(examples: Sequence[Example] | tuple[MentionIndex, MentionScan], *,
                          split: str | None = None) -> pd.DataFrame:
    """Surface strings annotated inconsistently (module docs), most ``changes`` first.

    *examples*: the corpus, or its ``(MentionIndex, MentionScan)`` (shards counted
    apart and merged, see :class:`MentionIndex`): the same table.

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
    if isinstance(examples, tuple) and len(examples) == 2 and isinstance(examples[0], MentionIndex):
        index, scan = examples
    else:
        index = MentionIndex.from_examples(examples)
        scan = index.scan(examples)
    if index.unaligned:
        warn(Warnings.W951.format(count=index.unaligned, what="inconsistent_mentions"))
    if not index.labels:
        return pd.DataFrame(columns=MENTION_COLUMNS)
    rows = []
    for key, c in index.labels.items():
        full = Counter(c)
        unann = scan.unannotated[key]
        if unann:
            full["O"] = unann
        if len(full) < 2:
            continue
        maj, mv = _majority(full)
        total = sum(full.values())
        where = dict(index.where[key])
        where["O"] = where.get("O", []) + scan.where.get(key, [])
        minority = [_ref_id(ref, split) for lab in sorted(full, key=lambda k: (full[k], k))
                    if lab != maj for ref in where.get(lab, [])[:_MAX_EXAMPLES]][:_MAX_EXAMPLES]
        partial = scan.partial[key]
        rows.append((index.surface[key], len(key), total + partial, sum(c.values()), unann,
                     scan.same_context[key], partial, len(full), _fmt_counts(full), maj,
                     mv / total, total - mv, " | ".join(minority)))
    df = pd.DataFrame(rows, columns=MENTION_COLUMNS)
    return df.sort_values(["changes", "occurrences", "surface"], ascending=[False, False, True],
                          kind="mergesort").reset_index(drop=True)


def _check_window(window: object) -> None:
    if not isinstance(window, int) or isinstance(window, bool) or window < 0:
        raise InputError(Errors.E950.format(name="window", expected="an integer >= 0",
                                            value=window))


def _iob_tags(e: Example) -> tuple[list[str], list[str] | None, int]:
    """Token texts, their IOB2 tags from the gold spans (None without spans) and the
    number of spans off the token boundaries."""
    if not e.spans:
        return token_texts(e), None, 0
    words, _, _, spans, unaligned = _spans_on_tokens(e)
    t = ["O"] * len(words)
    for a, b, s in spans:
        t[a] = "B-" + s.label
        for k in range(a + 1, b):
            t[k] = "I-" + s.label
    return words, t, unaligned


class TagIndex:
    """The token texts that carry an entity tag somewhere: the first pass of
    :func:`inconsistent_tags` (a context tagged ``O`` everywhere cannot disagree).

    ``TagIndex.from_examples(shard)`` maps one shard; ``a.merge(b)`` adds *b*.  The
    second pass, :meth:`scan`, counts the tags of every context of those words in a
    shard; its :class:`TagScan` s merge in shard order, and
    ``inconsistent_tags((index, scan))`` equals ``inconsistent_tags(examples)`` exactly
    (tested over random shardings).
    """

    __slots__ = ("window", "words", "unaligned")

    def __init__(self, window: int = 1) -> None:
        _check_window(window)
        self.window = window
        self.words: set[str] = set()
        self.unaligned = 0

    @classmethod
    def from_examples(cls, examples: Sequence[Example], *, window: int = 1) -> "TagIndex":
        idx = cls(window)
        for e in examples:
            if e.spans:
                words, t, bad = _iob_tags(e)
                idx.unaligned += bad
                idx.words.update(w for w, x in zip(words, t) if x != "O")  # type: ignore[arg-type]
        return idx

    def merge(self, other: "TagIndex") -> "TagIndex":
        """Add *other*'s words; returns ``self``."""
        if other.window != self.window:
            raise InputError(Errors.E1057.format(what="tag indexes", a=f"window={self.window}",
                                                 b=f"window={other.window}"))
        self.words |= other.words
        self.unaligned += other.unaligned
        return self

    def scan(self, examples: Sequence[Example]) -> "TagScan":
        """Second pass over one shard: the tags of every context of an indexed word."""
        out = TagScan(self.window)
        out.n = len(examples)
        w = self.window
        counts, refs, token = out.counts, out.refs, out.token
        for i, e in enumerate(examples):
            words, t, _ = _iob_tags(e)
            hits = [p for p, x in enumerate(words) if x in self.words]
            if not hits:
                continue
            ident = _ident(e)
            padded = ["<s>"] * w + words + ["</s>"] * w
            for p in hits:
                left = " ".join(padded[p:p + w])
                right = " ".join(padded[p + w + 1:p + 2 * w + 1])
                ctx = f"{left} [{words[p]}] {right}".strip()
                key = (ctx, "O" if t is None else t[p])
                k = counts.get(key, 0)
                counts[key] = k + 1
                if not k:
                    refs[key] = [(i, ident, p)]
                    if ctx not in token:
                        token[ctx] = words[p]
                elif k < _MAX_EXAMPLES:
                    refs[key].append((i, ident, p))
        return out


class TagScan:
    """Second-pass counts of :func:`inconsistent_tags` for one shard (see
    :class:`TagIndex`): the count of each (context, tag), its first five locations,
    and each context's token.  ``a.merge(b)`` adds *b*, the next shard."""

    __slots__ = ("window", "n", "counts", "refs", "token")

    def __init__(self, window: int = 1) -> None:
        self.window = window
        self.n = 0
        self.counts: dict[tuple[str, str], int] = {}
        self.refs: dict[tuple[str, str], list] = {}
        self.token: dict[str, str] = {}

    def merge(self, other: "TagScan") -> "TagScan":
        """Add *other*, the next shard; returns ``self``."""
        if other.window != self.window:
            raise InputError(Errors.E1057.format(what="tag counts", a=f"window={self.window}",
                                                 b=f"window={other.window}"))
        counts, refs = self.counts, self.refs
        for key, k in other.counts.items():
            mine = counts.get(key)
            if mine is None:
                counts[key] = k
                refs[key] = _shifted(other.refs[key], self.n)
            else:
                counts[key] = mine + k
                _add_refs(refs[key], other.refs[key], self.n)
        for ctx, tok in other.token.items():
            self.token.setdefault(ctx, tok)
        self.n += other.n
        return self

    def by_context(self) -> dict[str, Counter]:
        """The tag counts of every context tagged two or more ways."""
        n_tags = Counter(ctx for ctx, _ in self.counts)
        out: dict[str, Counter] = {}
        for (ctx, tag), k in self.counts.items():
            if n_tags[ctx] >= 2:
                out.setdefault(ctx, Counter())[tag] = k
        return out


def inconsistent_tags(examples: Sequence[Example] | tuple[TagIndex, TagScan], *,
                      split: str | None = None, window: int = 1, min_occurrences: int = 2
                      ) -> pd.DataFrame:
    """Token contexts (``window`` tokens left, the token, ``window`` right) tagged
    inconsistently (module docs).

    *examples*: the corpus, or its ``(TagIndex, TagScan)`` (shards counted apart and
    merged; *window* is then theirs): the same table.

    Returns
    -------
    DataFrame
        ``context`` (``"left [token] right"``), ``token``, ``occurrences``, ``n_tags``,
        ``tags`` (``"B-person:3; O:1"``), ``majority``, ``majority_share``,
        ``changes``, ``examples`` (up to five minority locations); most ``changes``
        first.
    """
    split = split or "data"
    if isinstance(examples, tuple) and len(examples) == 2 and isinstance(examples[0], TagIndex):
        index, scan = examples
    else:
        index = TagIndex.from_examples(examples, window=window)
        scan = index.scan(examples)
    if index.unaligned:
        warn(Warnings.W951.format(count=index.unaligned, what="inconsistent_tags"))
    rows = []
    for ctx, cnt in scan.by_context().items():
        total = sum(cnt.values())
        if total < min_occurrences:
            continue
        maj, mv = _majority(cnt)
        refs = sorted(r for tag in cnt if tag != maj for r in scan.refs[(ctx, tag)])
        minority = [_ref_id(r, split) for r in refs[:_MAX_EXAMPLES]]
        rows.append((ctx, scan.token[ctx], total, len(cnt), _fmt_counts(cnt), maj, mv / total,
                     total - mv, " | ".join(minority)))
    if not rows:
        return pd.DataFrame(columns=TAG_COLUMNS)
    out = pd.DataFrame(rows, columns=TAG_COLUMNS)
    return out.sort_values(["changes", "occurrences", "context"], ascending=[False, False, True],
                           kind="mergesort").reset_index(drop=True)


class LabelGroups:
    """Labelled texts grouped by their normalised text, for
    :func:`inconsistent_labels`: per group the count of each label, its first five
    examples and its first text.

    ``LabelGroups.from_examples(shard)`` maps one shard; ``a.merge(b)`` adds *b*, the
    next shard (its example indices continue *a*'s); ``inconsistent_labels(groups)``
    equals ``inconsistent_labels(examples)`` exactly (tested over random shardings).
    The near-identical pairs compare the groups' first texts, so a group keeps one text.
    """

    __slots__ = ("n", "labels", "refs", "text")

    def __init__(self) -> None:
        self.n = 0
        self.labels: dict[str, Counter] = {}    # normalised text -> label counts
        self.refs: dict[str, list] = {}         # normalised text -> first five refs
        self.text: dict[str, str] = {}          # normalised text -> first text

    @classmethod
    def from_examples(cls, examples: Sequence[Example]) -> "LabelGroups":
        g = cls()
        for i, e in enumerate(examples):
            if e.label is None:
                continue
            k = normalize_text(e.text)
            if not k:
                continue
            c = g.labels.get(k)
            if c is None:
                c = g.labels[k] = Counter()
                g.refs[k] = []
                g.text[k] = e.text
            c[str(e.label)] += 1
            if len(g.refs[k]) < _MAX_EXAMPLES:
                g.refs[k].append((i, _ident(e)))
        g.n = len(examples)
        return g

    def merge(self, other: "LabelGroups") -> "LabelGroups":
        """Add *other*, the next shard; returns ``self``."""
        for k, c in other.labels.items():
            mine = self.labels.get(k)
            if mine is None:
                self.labels[k] = Counter(c)
                self.refs[k] = _shifted(other.refs[k], self.n)
                self.text[k] = other.text[k]
                continue
            mine.update(c)
            _add_refs(self.refs[k], other.refs[k], self.n)
        self.n += other.n
        return self


def inconsistent_labels(examples: Sequence[Example] | LabelGroups, *, split: str | None = None,
                        threshold: float = 0.9, near: bool = True, seed: int = 0
                        ) -> pd.DataFrame:
    """Identical (normalised) or near-identical texts with different labels.

    *examples*: the corpus, or its :class:`LabelGroups` (shards counted apart and
    merged): the same table.

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
    g = examples if isinstance(examples, LabelGroups) else LabelGroups.from_examples(examples)
    rows = []
    for k, cnt in g.labels.items():
        if len(cnt) < 2:
            continue
        maj, mv = _majority(cnt)
        n = sum(cnt.values())
        ids = [_ref_id(r, split) for r in g.refs[k]]
        rows.append(("exact", g.text[k], n, len(cnt), _fmt_counts(cnt), maj, mv / n, n - mv,
                     np.nan, " | ".join(ids[:_MAX_EXAMPLES])))
    if near:
        # one representative per normalised text: copies are compared once
        keys = list(g.labels)
        pairs = near_duplicates([Example(g.text[k]) for k in keys], threshold=threshold,
                                seed=seed)
        for r in pairs.itertuples(index=False):
            ka, kb = keys[int(r.index)], keys[int(r.train_index)]
            cnt = g.labels[ka] + g.labels[kb]
            if len(cnt) < 2:
                continue
            maj, mv = _majority(cnt)
            n = sum(cnt.values())
            ids = [_ref_id(x, split) for x in g.refs[ka][:3] + g.refs[kb][:3]]
            rows.append(("near", g.text[ka], n, len(cnt), _fmt_counts(cnt), maj, mv / n, n - mv,
                         float(r.jaccard), " | ".join(ids[:_MAX_EXAMPLES])))
    df = pd.DataFrame(rows, columns=LABEL_COLUMNS).astype({"jaccard": "float64"})
    return df.sort_values(["changes", "occurrences", "kind"], ascending=[False, False, True],
                          kind="mergesort").reset_index(drop=True)
