"""Flat array views of gold and predicted examples (the analyses' hot path).

Every NER analysis works on :class:`SpanArrays`: all spans of all examples in
a handful of numpy arrays.  Character offsets are shifted by a per-example
offset (``base[i]`` = sum of the previous texts' lengths plus one gap per
example), so spans of different examples can never overlap and interval
operations become 1-D ``searchsorted`` merges over sorted arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..data import Example
from ..data.example import TokenRange
from ..errors import Errors, InputError, Warnings, shorten, warn

__all__ = ["SpanArrays", "Pairs", "flatten_pair", "overlap_pairs", "check_aligned",
           "TokenArrays", "token_arrays", "token_counts", "token_bounds", "joined_text",
           "entity_texts"]


def _ex_id(ex: Example, index: int) -> str:
    return ex.id if ex.id is not None else f"#{index}"


def check_aligned(gold: Sequence[Example], pred: Sequence[Example], *, side: str = "predicted",
                  code: str = "E502") -> None:
    """Raise :class:`InputError` naming the first example where *gold* and *pred* differ.

    Compared: the number of examples, each example's text and (when both have
    them) its token boundaries.
    """
    if len(gold) != len(pred):
        if code == "E509":
            raise InputError(Errors.E509.format(
                what=f"{len(gold)} gold examples but {len(pred)} baseline examples"))
        raise InputError(Errors.E501.format(ngold=len(gold), npred=len(pred)))
    stop = None  # first example whose tokens differ, found at once when all are Examples
    vector = all(isinstance(x, Example) for x in gold) and all(isinstance(x, Example)
                                                              for x in pred)
    if vector:
        stop = _first_token_mismatch(gold, pred)
    for i, (g, p) in enumerate(zip(gold, pred)):
        if g is p:
            continue
        if vector and g.text == p.text and i != stop:
            continue
        if not isinstance(g, Example) or not isinstance(p, Example):
            bad = g if not isinstance(g, Example) else p
            raise InputError(Errors.E012.format(where=f"example {i}", expected="Example",
                                                field="examples", got=type(bad).__name__))
        what = None
        if g.text != p.text:
            k = next((j for j, (a, b) in enumerate(zip(g.text, p.text)) if a != b),
                     min(len(g.text), len(p.text)))
            what, gv, pv = (f"the texts (first difference at character {k})",
                            shorten(g.text[max(0, k - 10):k + 20], 40),
                            shorten(p.text[max(0, k - 10):k + 20], 40))
        elif (g.tokens is not None and p.tokens is not None and g.tokens is not p.tokens
              and g.tokens != p.tokens):  # same text: equal tokens (C-level) is the usual case
            gt = [(t.start, t.end) for t in g.tokens]
            pt = [(t.start, t.end) for t in p.tokens]
            if gt != pt:
                if len(gt) != len(pt):
                    what, gv, pv = "the numbers of tokens", len(gt), len(pt)
                else:
                    k = next(j for j, (a, b) in enumerate(zip(gt, pt)) if a != b)
                    what, gv, pv = (f"the tokens (first difference at token {k})",
                                    shorten(g.tokens[k].text, 30), shorten(p.tokens[k].text, 30))
        if what is not None:
            if code == "E509":
                raise InputError(Errors.E509.format(
                    what=f"example {i} (id {_ex_id(g, i)!r}): {what} differ "
                         f"(gold {gv}, baseline {pv})"))
            raise InputError(Errors.E502.format(index=i, id=_ex_id(g, i), what=what,
                                                gold=gv, pred=pv))


def token_bounds(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(count, start, end)``: each example's number of tokens (-1 when ``tokens`` is
    None) and every token's offsets (within its example's text, examples in order).

    Examples a reader stored as offsets (:class:`~nlperr.data.example.TokenRange`)
    are read from those arrays: no :class:`~nlperr.data.Token` is built.
    """
    from operator import attrgetter, itemgetter
    raws = list(map(attrgetter("_tokens"), examples))
    n = len(raws)
    count = np.empty(n, dtype=np.int64)
    st: list[np.ndarray] = []
    en: list[np.ndarray] = []
    run: list[TokenRange] = []  # consecutive examples over one store: one gather

    def flush() -> None:
        a = np.fromiter(map(attrgetter("a"), run), dtype=np.int64, count=len(run))
        b = np.fromiter(map(attrgetter("b"), run), dtype=np.int64, count=len(run))
        s0, e0 = run[0].starts, run[0].ends
        if len(run) == 1 or (a[1:] == b[:-1]).all():  # consecutive: one slice
            lo, hi = int(a[0]), int(b[-1])
            st.append(np.asarray(s0[lo:hi], dtype=np.int64))
            en.append(np.asarray(e0[lo:hi], dtype=np.int64))
        else:
            k = b - a
            ends = np.cumsum(k)
            idx = np.repeat(a - (ends - k), k) + np.arange(int(ends[-1]), dtype=np.int64)
            st.append(np.asarray(s0[idx], dtype=np.int64))
            en.append(np.asarray(e0[idx], dtype=np.int64))
        run.clear()

    for i, r in enumerate(raws):
        if r.__class__ is TokenRange:
            if run and r.starts is not run[0].starts:
                flush()
            run.append(r)
            count[i] = r.b - r.a
            continue
        if run:
            flush()
        if r is None:
            count[i] = -1
        else:
            k = count[i] = len(r)
            st.append(np.fromiter(map(itemgetter(1), r), dtype=np.int64, count=k))
            en.append(np.fromiter(map(itemgetter(2), r), dtype=np.int64, count=k))
    if run:
        flush()
    empty = np.zeros(0, dtype=np.int64)
    if len(st) == 1:
        return count, st[0], en[0]
    return count, (np.concatenate(st) if st else empty), (np.concatenate(en) if en else empty)


def _first_token_mismatch(gold: Sequence[Example], pred: Sequence[Example]) -> int | None:
    """The first example index where both sides have tokens and their offsets differ."""
    cg, sg, eg = token_bounds(gold)
    cp, sp, ep = token_bounds(pred)
    both = (cg >= 0) & (cp >= 0)
    bad = both & (cg != cp)
    same = both & (cg == cp)
    n = len(cg)
    exg = np.repeat(np.arange(n, dtype=np.int64), np.maximum(cg, 0))
    exp_ = np.repeat(np.arange(n, dtype=np.int64), np.maximum(cp, 0))
    mg, mp = same[exg], same[exp_]
    diff = (sg[mg] != sp[mp]) | (eg[mg] != ep[mp])
    if diff.any():
        bad[exg[mg][diff]] = True
    hit = np.flatnonzero(bad)
    return int(hit[0]) if len(hit) else None


@dataclass
class SpanArrays:
    """All spans of a list of examples as parallel arrays, sorted by position.

    Attributes
    ----------
    ex : int64 array
        Example index of each span.
    start, end : int64 arrays
        Half-open character offsets within the example.
    gstart, gend : int64 arrays
        The same offsets shifted into one global coordinate space.
    label : int64 array
        Codes into the shared label vocabulary ``labels``.
    score : float64 array
        ``Span.score`` (NaN when absent).
    pos : int64 array
        Index of the span within its example's ``spans`` tuple.
    """

    ex: np.ndarray
    start: np.ndarray
    end: np.ndarray
    gstart: np.ndarray
    gend: np.ndarray
    label: np.ndarray
    score: np.ndarray
    pos: np.ndarray

    def __len__(self) -> int:
        return len(self.ex)

    def take(self, idx: np.ndarray) -> "SpanArrays":
        return SpanArrays(*(getattr(self, f)[idx] for f in
                            ("ex", "start", "end", "gstart", "gend", "label", "score", "pos")))


@dataclass
class Flat:
    """Gold and predicted spans of aligned examples, with a shared label vocabulary."""

    gold: SpanArrays
    pred: SpanArrays
    labels: list[str]
    base: np.ndarray  # global offset of each example
    n_examples: int
    n_ignored: int = 0
    code: dict[str, int] = field(default_factory=dict)
    cache: dict = field(default_factory=dict, repr=False)  # derived arrays (token_arrays, ...)


def _collect(examples: Sequence[Example], base: np.ndarray, code: dict[str, int], side: str,
             where_side: str, lens: np.ndarray) -> SpanArrays:
    from itertools import chain
    from operator import attrgetter
    n = len(examples)
    lists = [e.spans for e in examples]
    missing = [i for i, x in enumerate(lists) if x is None]
    if missing:
        i = missing[0]
        raise InputError(Errors.E503.format(
            index=i, id=_ex_id(examples[i], i), side=where_side,
            field="entity annotation", task="NER",
            hint="Give every example its entities, also when there are none: in JSONL "
                 "\"spans\": [] (Python: spans=()); CoNLL and HIPE files need a tag "
                 "column (CLI: --gold-column / --pred-column name it). Is this file the "
                 "output of a classifier?"))
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=n)
    spans = list(chain.from_iterable(lists))
    k = len(spans)
    sa = np.fromiter(map(attrgetter("start"), spans), dtype=np.int64, count=k)
    ea = np.fromiter(map(attrgetter("end"), spans), dtype=np.int64, count=k)
    labs = list(map(attrgetter("label"), spans))
    for x in dict.fromkeys(labs):           # new labels in order of appearance
        code.setdefault(x, len(code))
    lab = np.fromiter(map(code.__getitem__, labs), dtype=np.int64, count=k)
    sc = np.array(list(map(attrgetter("score"), spans)), dtype=np.float64).reshape(-1)
    exa = np.repeat(np.arange(n, dtype=np.int64), counts)
    first = np.zeros(n, dtype=np.int64)
    if n > 1:
        np.cumsum(counts[:-1], out=first[1:])
    pos = np.arange(k, dtype=np.int64) - first[exa]
    gs = sa + base[exa] if len(exa) else sa
    ge = ea + base[exa] if len(exa) else ea
    arr = SpanArrays(exa, sa, ea, gs, ge, lab, sc, pos)
    if len(arr) > 1:
        order = np.lexsort((ge, gs))
        if np.any(order[1:] < order[:-1]):
            arr = arr.take(order)
        bad = np.flatnonzero(arr.gstart[1:] < arr.gend[:-1])
        if len(bad):
            j = int(bad[0])
            i = int(arr.ex[j])
            e = examples[i]
            inv = {v: k for k, v in code.items()}
            a = (int(arr.start[j]), int(arr.end[j]), inv[int(arr.label[j])])
            b = (int(arr.start[j + 1]), int(arr.end[j + 1]), inv[int(arr.label[j + 1])])
            raise InputError(Errors.E504.format(where=f"{where_side} example {i} (id "
                                                      f"{_ex_id(e, i)!r})", a=a, b=b))
    if len(arr):
        out = (arr.start < 0) | (arr.end > lens[arr.ex]) | (arr.start >= arr.end)
        if out.any():
            j = int(np.flatnonzero(out)[0])
            i = int(arr.ex[j])
            from ..errors import SpanError
            raise SpanError(Errors.E101.format(
                where=f"{where_side} example {i} (id {_ex_id(examples[i], i)!r})",
                span=(int(arr.start[j]), int(arr.end[j])), length=int(lens[i])))
    return arr


def flatten_pair(gold: Sequence[Example], pred: Sequence[Example], *,
                 labels: Sequence[str] | None = None, check: bool = True,
                 side: str = "predicted") -> Flat:
    """Check alignment and flatten gold and predicted spans into :class:`Flat`.

    Predicted spans that overlap a gold ``missing`` range are dropped (counted in
    ``Flat.n_ignored``, with a warning).
    """
    gold = list(gold)
    pred = list(pred)
    if check:
        check_aligned(gold, pred, code="E509" if side == "baseline" else "E502")
    lens = np.fromiter((len(e.text) + 1 for e in gold), dtype=np.int64, count=len(gold))
    base = np.zeros(len(gold), dtype=np.int64)
    if len(gold) > 1:
        np.cumsum(lens[:-1], out=base[1:])
    code: dict[str, int] = {}
    if labels is not None:
        for lab in labels:
            code.setdefault(lab, len(code))
    g = _collect(gold, base, code, "gold", "gold", lens - 1)
    p = _collect(pred, base, code, "pred", side, lens - 1)
    n_ignored = 0
    miss = [(i, s, e) for i, ex in enumerate(gold) if ex.missing for s, e in ex.missing]
    if miss and len(p):
        m = np.asarray(miss, dtype=np.int64)
        ms = np.sort(m[:, 1] + base[m[:, 0]])
        me = np.sort(m[:, 2] + base[m[:, 0]])
        # a predicted span overlaps a missing range iff some range has start < p.end and
        # end > p.start; missing ranges are disjoint, so starts and ends sort alike.
        lo = np.searchsorted(me, p.gstart, side="right")
        hi = np.searchsorted(ms, p.gend, side="left")
        hit = hi > lo
        n_ignored = int(hit.sum())
        if n_ignored:
            warn(Warnings.W502.format(count=n_ignored))
            p = p.take(np.flatnonzero(~hit))
    inv = [None] * len(code)
    for k, v in code.items():
        inv[v] = k
    return Flat(g, p, inv, base, len(gold), n_ignored, code)


@dataclass
class Pairs:
    """All overlapping (gold, pred) span pairs, sorted by pred then gold.

    ``g`` / ``p`` index into the gold / pred :class:`SpanArrays`; ``overlap`` is the
    number of shared characters; ``same_bounds`` / ``same_label`` compare the two.
    """

    g: np.ndarray
    p: np.ndarray
    overlap: np.ndarray
    same_bounds: np.ndarray
    same_label: np.ndarray
    lo: np.ndarray  # per pred: first overlapping gold (== hi when none)
    hi: np.ndarray


def overlap_pairs(gold: SpanArrays, pred: SpanArrays) -> Pairs:
    """Find every overlapping (gold, pred) pair with two ``searchsorted`` calls.

    Both span sets are flat (non-overlapping) and sorted, so their ends are sorted
    too and the golds overlapping a prediction form one contiguous run.
    """
    lo = np.searchsorted(gold.gend, pred.gstart, side="right")
    hi = np.searchsorted(gold.gstart, pred.gend, side="left")
    hi = np.maximum(hi, lo)
    cnt = hi - lo
    total = int(cnt.sum())
    p = np.repeat(np.arange(len(pred), dtype=np.int64), cnt)
    if total:
        first = np.repeat(np.cumsum(cnt) - cnt, cnt)
        g = np.repeat(lo, cnt) + (np.arange(total, dtype=np.int64) - first)
    else:
        g = np.zeros(0, dtype=np.int64)
    ov = np.minimum(gold.gend[g], pred.gend[p]) - np.maximum(gold.gstart[g], pred.gstart[p])
    sb = (gold.gstart[g] == pred.gstart[p]) & (gold.gend[g] == pred.gend[p])
    sl = gold.label[g] == pred.label[p]
    return Pairs(g, p, ov, sb, sl, lo, hi)


def joined_text(flat: Flat, examples: Sequence[Example]) -> str:
    """The texts of *examples* joined by ``"\\n"``: ``flat.base[i]`` is where example *i*
    starts, so ``joined[span.gstart:span.gend]`` is a span's text (cached on *flat*)."""
    s = flat.cache.get("joined")
    if s is None:
        s = flat.cache["joined"] = "\n".join([e.text for e in examples])
    return s


def entity_texts(flat: Flat, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """The text of every gold and every predicted span (object arrays in the order of
    ``flat.gold`` / ``flat.pred``; cached on *flat*)."""
    out = flat.cache.get("entity_texts")
    if out is None:
        t = joined_text(flat, examples)
        out = tuple(np.array([t[a:b] for a, b in zip(sa.gstart.tolist(), sa.gend.tolist())]
                             + [""], dtype=object)[:-1]
                    for sa in (flat.gold, flat.pred))
        flat.cache["entity_texts"] = out
    return out


def token_counts(flat: Flat, examples: Sequence[Example]) -> np.ndarray:
    """``len(tokens)`` of each example, -1 when ``tokens`` is None (cached on *flat*)."""
    return _bounds(flat, examples)[0]


def _bounds(flat: Flat, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    b = flat.cache.get("token_bounds")
    if b is None:
        b = flat.cache["token_bounds"] = token_bounds(examples)
    return b


@dataclass
class TokenArrays:
    """Token offsets in the global coordinates of a :class:`Flat`.

    Holds the tokens of the examples that have a gold or predicted span and
    *usable* tokens: tokens given, start and end offsets non-decreasing,
    ``0 <= start <= end <= len(text)``.  Then ``start`` and ``end`` are sorted
    over all examples, and a token-count or a token-window question about a
    span is a ``searchsorted``.

    Attributes
    ----------
    start, end : int64 arrays
        Global offsets of the included tokens, in order.
    first : int64 array (n_examples,)
        Index of each example's first token in ``start`` / ``end``.
    count : int64 array (n_examples,)
        Number of tokens of each example (``-1`` when ``tokens`` is None).
    usable : bool array (n_examples,)
        Whether the example's tokens are in ``start`` / ``end``.
    """

    start: np.ndarray
    end: np.ndarray
    first: np.ndarray
    count: np.ndarray
    usable: np.ndarray


def token_arrays(flat: Flat, examples: Sequence[Example]) -> TokenArrays:
    """:class:`TokenArrays` of *examples* (the gold side of *flat*; cached on *flat*)."""
    ta = flat.cache.get("tokens")
    if ta is not None:
        return ta
    n = len(examples)
    count, st_all, en_all = _bounds(flat, examples)
    used = np.zeros(n, dtype=bool)
    used[flat.gold.ex] = True
    used[flat.pred.ex] = True
    usable = used & (count >= 0)
    ex_all = np.repeat(np.arange(n, dtype=np.int64), np.maximum(count, 0))
    sel = (usable & (count > 0))[ex_all]
    st, en, ex = st_all[sel], en_all[sel], ex_all[sel]
    k = len(st)
    full_len = np.diff(np.append(flat.base, flat.base[-1] + len(examples[-1].text) + 1)) - 1 \
        if n else np.zeros(0, dtype=np.int64)
    bad = (st < 0) | (st > en) | (en > full_len[ex])
    if k > 1:
        same = ex[1:] == ex[:-1]
        bad[1:] |= same & ((st[1:] < st[:-1]) | (en[1:] < en[:-1]))
    if bad.any():
        usable[np.unique(ex[bad])] = False
        keep = usable[ex]
        st, en, ex = st[keep], en[keep], ex[keep]
    st += flat.base[ex]
    en += flat.base[ex]
    c = np.where(usable, np.maximum(count, 0), 0)
    first = np.zeros(n, dtype=np.int64)
    if n > 1:
        np.cumsum(c[:-1], out=first[1:])
    ta = flat.cache["tokens"] = TokenArrays(st, en, first, count, usable)
    return ta
