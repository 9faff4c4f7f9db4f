"""Mergeable partial counts of the NER and classification analyses.

Corpus-level numbers are computed in four steps, so that shards of a corpus
(files, Ray blocks, chunks of a stream) can be counted apart and combined:

* **map** -- :meth:`NerCounts.from_examples` / :meth:`ClassCounts.from_examples`
  count one shard of aligned gold and predicted examples;
* **partial aggregate** -- the counts are plain count maps keyed by label
  (strict matches, SemEval counts per schema, taxonomy categories, confusion
  cells), so they do not depend on the shard's label codes;
* **merge** -- :meth:`~NerCounts.merge` adds two partials (associative and
  commutative: any sharding, any merge order);
* **finalize** -- :meth:`~NerCounts.tables` computes the tables from the
  merged counts with the same functions :func:`~nlperr.analysis.analyze_ner`
  uses, so "merged over shards" equals "computed at once" exactly.

Every span-level decision (matching, taxonomy, SemEval) is made inside one
example, so counting per shard loses nothing.  What does not reduce to counts
stays with the per-example data: the bootstrap intervals and slice tables of
:func:`~nlperr.analysis.analyze_ner` resample examples, so they need the merged
per-example arrays (the examples themselves), not these partials.

>>> from nlperr.data import Example
>>> g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"]),
...      Example.from_tokens(["Bob", "left"], ["B-PER", "O"])]
>>> p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-PER"]),
...      Example.from_tokens(["Bob", "left"], ["B-PER", "O"])]
>>> parts = NerCounts.from_examples(g[:1], p[:1]).merge(NerCounts.from_examples(g[1:], p[1:]))
>>> parts.tables(zero_division=0)["scores"].set_index("label")["f1"].round(3).to_dict()
{'LOC': 0.0, 'PER': 0.8, 'micro avg': 0.667, 'macro avg': 0.4, 'weighted avg': 0.533}
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data import Example
from ..errors import Errors, InputError, RepairWarning, Warnings, warn

__all__ = ["NerCounts", "ClassCounts", "CalibrationCounts", "SliceCounts"]


def _add_nested(a: dict, b: dict) -> None:
    for k, v in b.items():
        if isinstance(v, dict):
            _add_nested(a.setdefault(k, {}), v)
        else:
            a[k] = a.get(k, 0) + v


def _from_stream(cls: Any, pairs: Iterable[tuple[Example, Example]], chunk_size: int, *,
                 engine: str = "local", address: str | None = None,
                 workers: int | None = None, progress: bool | None = False,
                 **options: Any) -> Any:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(Errors.E207.format(value=chunk_size, option="chunk_size",
                                            allowed="positive integers"))
    from ..engine.distributed import check_engine  # ray is imported only for engine="ray"

    check_engine(engine, address, workers)
    from .._flow import counter_bar

    acc = cls()
    it = iter(pairs)
    bar = counter_bar(progress, f"counting ({engine})")

    def chunks() -> Iterator[tuple]:
        while True:
            chunk = list(itertools.islice(it, chunk_size))
            if not chunk:
                return
            if bar is not None:
                bar.update(len(chunk))
            yield cls, [g for g, _ in chunk], [p for _, p in chunk], options

    try:
        if engine == "ray":  # each chunk counted by a Ray task, merged here in input order
            from ..engine.distributed import ray_ordered

            packed = ((c, _pack(g), _pack(p), o) for c, g, p, o in chunks())
            for part in ray_ordered(_count_packed, packed, address=address, workers=workers,
                                    desc=f"{cls.__name__} (ray)"):
                acc.merge(part)
            return acc
        for c, g, p, o in chunks():
            acc.merge(c.from_examples(g, p, **o))
        return acc
    finally:
        if bar is not None:
            bar.close()


def _read_range(kind: str, args: tuple) -> tuple[list[Example], str | None, int, str | None]:
    """The examples of one byte range of a CoNLL, JSONL or CSV file, read on a worker:
    ``(examples, scheme, repaired, first repair)``; examples None when the range cannot
    be read apart (a CSV record running on into the next range)."""
    if kind == "conll":
        from ..io._conll import range_examples
        return range_examples(*args)
    if kind == "csv":  # None: the range ends inside a quoted field
        from ..io._tabular import csv_range_examples
        return csv_range_examples(*args), None, 0, None  # type: ignore[return-value]
    from ..io._jsonl import range_examples as jsonl_range
    return jsonl_range(*args), None, 0, None


def _count_ranges(gold: tuple, pred: tuple, cls: Any = None, options: dict | None = None
                  ) -> tuple:
    """A Ray task: the counts (*cls*: :class:`NerCounts` by default) of one byte range of
    a gold and a prediction file (the same examples), read and parsed on the worker;
    with the examples on each side and the prediction side's repairs and scheme."""
    cls = NerCounts if cls is None else cls
    g, _, _, _ = _read_range(*gold)
    if g is None:  # -1: not readable apart; the driver reads the files itself
        return None, -1, -1, 0, None, None
    p, sch, repaired, first = _read_range(*pred)
    if p is None:
        return None, -1, -1, 0, None, None
    counts = cls.from_examples(g, p, **(options or {})) if g and len(g) == len(p) else None
    return counts, len(g), len(p), repaired, first, sch


def ray_range_counts(gold: Any, pred: Any, *, chunk_size: int, address: str | None = None,
                     workers: int | None = None, progress: bool | None = False,
                     cls: Any = None, options: dict | None = None) -> Any:
    """The counts (*cls*: :class:`NerCounts` by default, or :class:`ClassCounts` with
    its *options*) of two :class:`~nlperr.io.ConllStream` s (or two
    :class:`~nlperr.io.JsonlStream` s, or two :class:`~nlperr.io.CsvStream` s) whose Ray
    workers read their own byte ranges
    (about *chunk_size* sentences or lines each, cut at the same sentences in both
    files), merged in input order: the counts, errors and warnings of reading them on
    the driver.  None when the two files cannot be cut so (CoNLL: their blank lines
    differ or cannot be located; see the streams' ``ranges``) or a range holds a
    different number of examples in each: the caller then reads them on the driver."""
    cls = NerCounts if cls is None else cls
    from ..engine.distributed import ray_ordered
    from ..io._common import empty_error
    from ..io._conll import ConllStream, detect_file_scheme
    from ..io._tabular import CsvStream

    cuts = gold.ranges(pred, chunk_size)
    if cuts is None:
        return None

    def reader(f: Any) -> Any:
        if isinstance(f, ConllStream):
            scheme = f.scheme or detect_file_scheme(f.path, tag_column=f.tag_column,
                                                    encoding=f.encoding,
                                                    encoding_errors=f.encoding_errors)
            return lambda a, b, first: ("conll", (f.path, a, b, first, f.tag_column, scheme,
                                                  f.strict, f.encoding))
        if isinstance(f, CsvStream):
            rest = f.range_reader()
            return lambda a, b, first: ("csv", (f.path, a, b, first, *rest))
        return lambda a, b, first: ("jsonl", (f.path, a, b, first, f.strict, f.spans_key,
                                              f.label_key, f.encoding))
    rg, rp = reader(gold), reader(pred)
    calls = ((rg(a, b, f), rp(c, d, h), cls, options)
             for (a, b, f), (c, d, h) in zip(*cuts))
    acc = cls()
    n_gold = n_pred = repaired = 0
    first = sch = None
    for counts, ng, np_, rep, fr, s in ray_ordered(_count_ranges, calls, address=address,
                                                   workers=workers, progress=progress,
                                                   desc="counting (ray)"):
        if ng < 0 or ng != np_:  # the same lines, not the same examples (or a CSV record
            return None  # across ranges): read on the driver, which pairs them in order
        n_gold += ng
        n_pred += np_
        repaired += rep
        first = first or fr
        sch = s or sch
        if counts is not None:
            acc.merge(counts)
    if not n_gold:
        raise empty_error(gold.path)
    if repaired:
        warn(Warnings.W009.format(where=pred.path.name, count=repaired, scheme=sch,
                                  first=first), RepairWarning, stacklevel=3)
    return acc


def _pack(examples: list[Example]) -> tuple:
    """What the counts read of *examples* -- text, token offsets, spans, unannotated
    ranges, label, probabilities, id (not ``meta``) -- as a few lists and two arrays:
    one cheap pickle per chunk instead of one object graph per example."""
    from ._arrays import token_bounds

    count, starts, ends = token_bounds(examples)
    return ([e.text for e in examples], count, starts, ends,
            [None if e.spans is None else [(s.start, s.end, s.label, s.score, s.meta)
                                           for s in e.spans] for e in examples],
            [e.missing for e in examples], [e.label for e in examples],
            [e.probs for e in examples], [e.id for e in examples])


def _unpack(packed: tuple) -> list[Example]:
    from ..data import Span
    from ..data.example import TokenRange

    texts, count, starts, ends, spans, missing, labels, probs, ids = packed
    bounds = np.concatenate([[0], np.cumsum(np.maximum(count, 0))]).tolist()
    out = []
    for k, text in enumerate(texts):
        tokens = None if count[k] < 0 else TokenRange(starts, ends, bounds[k], bounds[k + 1])
        sp = None if spans[k] is None else tuple(Span(*x) for x in spans[k])
        out.append(Example(text=text, tokens=tokens, spans=sp,  # type: ignore[arg-type]
                           missing=missing[k], label=labels[k], probs=probs[k], id=ids[k]))
    return out


def _count_packed(cls: Any, gold: tuple, pred: tuple, options: dict) -> Any:
    """The counts of one packed chunk (a Ray task)."""
    return cls.from_examples(_unpack(gold), _unpack(pred), **options)


def _check_other(self: Any, other: Any) -> None:
    if type(other) is not type(self):
        raise InputError(Errors.E1050.format(what=type(self).__name__,
                                             got=type(other).__name__))


@dataclass
class NerCounts:
    """Partial counts of the NER analysis of one shard (see the module docstring).

    Attributes
    ----------
    n_examples, n_gold, n_pred, n_ignored : int
        Examples, gold spans, predicted spans, spans ignored (unannotated ranges).
    strict : dict
        ``label -> [correct, predicted, support]`` (exact span and type matches,
        predicted spans, gold spans).
    semeval : dict
        ``"overall" or label -> schema -> {correct, incorrect, partial, missed,
        spurious}``.
    errors : dict
        Taxonomy category -> ``[rows, gold, pred]``.
    confusion, confusion_exact : Counter
        ``(gold label or ∅, predicted label or ∅) -> entities``, overlap and exact
        matching.
    """

    n_examples: int = 0
    n_gold: int = 0
    n_pred: int = 0
    n_ignored: int = 0
    strict: dict[str, list[int]] = field(default_factory=dict)
    semeval: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    errors: dict[str, list[int]] = field(default_factory=dict)
    confusion: Counter = field(default_factory=Counter)
    confusion_exact: Counter = field(default_factory=Counter)

    # -- map ------------------------------------------------------------------------------
    @classmethod
    def from_examples(cls, gold: Sequence[Example], pred: Sequence[Example]) -> "NerCounts":
        """Count one shard of aligned *gold* / *pred* examples."""
        from ._arrays import flatten_pair
        from .matching import taxonomy

        gold, pred = list(gold), list(pred)
        flat = flatten_pair(gold, pred)
        return cls.from_taxonomy(taxonomy(flat), gold)

    @classmethod
    def from_taxonomy(cls, tax: Any, gold: Sequence[Example]) -> "NerCounts":
        """Count from a computed taxonomy (what :func:`analyze_ner` holds already)."""
        from .confusion import EMPTY, _confusion_cells
        from .matching import counts_from_taxonomy
        from .metrics import semeval_count_map

        flat = tax.flat
        L = len(flat.labels)
        pairs = tax.pairs
        ex = pairs.same_bounds & pairs.same_label
        tp = np.bincount(flat.pred.label[pairs.p[ex]], minlength=L)
        npred = np.bincount(flat.pred.label, minlength=L)
        ntrue = np.bincount(flat.gold.label, minlength=L)
        strict = {flat.labels[i]: [int(tp[i]), int(npred[i]), int(ntrue[i])]
                  for i in np.flatnonzero((npred > 0) | (ntrue > 0)).tolist()}
        cats = counts_from_taxonomy(tax)
        errors = {c: [int(r), int(g), int(p)] for c, r, g, p in
                  zip(cats["category"], cats["rows"], cats["gold"], cats["pred"])}
        names = [*flat.labels, EMPTY]

        def cells(match: str) -> Counter:
            mat = _confusion_cells(tax, match)
            gi, pi = np.nonzero(mat)
            return Counter({(names[a], names[b]): int(mat[a, b])
                            for a, b in zip(gi.tolist(), pi.tolist())})

        return cls(n_examples=flat.n_examples, n_gold=len(flat.gold), n_pred=len(flat.pred),
                   n_ignored=flat.n_ignored, strict=strict,
                   semeval=semeval_count_map(flat, gold), errors=errors,
                   confusion=cells("overlap"), confusion_exact=cells("exact"))

    @classmethod
    def from_stream(cls, pairs: Iterable[tuple[Example, Example]], *,
                    chunk_size: int = 10_000, engine: str = "local",
                    address: str | None = None, workers: int | None = None,
                    progress: bool | None = False) -> "NerCounts":
        """Count an iterator of ``(gold, pred)`` pairs in flat memory: *chunk_size*
        pairs at a time, each chunk counted and merged (e.g. ``zip(iter_conll(a),
        iter_conll(b))``); with ``engine="ray"`` each chunk is counted by a Ray task
        (*address*, *workers* as for :func:`~nlperr.engine.make_predictor`) and the
        counts merged in input order: the same counts.  *progress*: a bar of the
        examples counted (None: when stderr is a terminal)."""
        return _from_stream(cls, pairs, chunk_size, engine=engine, address=address,
                            workers=workers, progress=progress)

    # -- merge ----------------------------------------------------------------------------
    def merge(self, other: "NerCounts") -> "NerCounts":
        """Add *other*'s counts to these; returns ``self``."""
        _check_other(self, other)
        self.n_examples += other.n_examples
        self.n_gold += other.n_gold
        self.n_pred += other.n_pred
        self.n_ignored += other.n_ignored
        for d, o in ((self.strict, other.strict), (self.errors, other.errors)):
            for k, v in o.items():
                cur = d.setdefault(k, [0] * len(v))
                for j, x in enumerate(v):
                    cur[j] += x
        _add_nested(self.semeval, other.semeval)
        self.confusion.update(other.confusion)
        self.confusion_exact.update(other.confusion_exact)
        return self

    # -- finalize -------------------------------------------------------------------------
    def tables(self, *, zero_division: object = "warn") -> dict[str, pd.DataFrame]:
        """``scores``, ``errors``, ``semeval``, ``confusion``, ``confusion_exact`` and
        ``confusion_normalized``, as in :func:`~nlperr.analysis.analyze_ner`."""
        from ._stats import check_zero_division
        from .matching import CATEGORIES
        from .metrics import scores_table, semeval_table

        zero_division = check_zero_division(zero_division)
        names = sorted(self.strict)
        c = np.asarray([self.strict[n] for n in names], dtype=np.int64).reshape(-1, 3)
        scores = scores_table(names, c[:, 0], c[:, 1], c[:, 2], zero_division)
        errors = pd.DataFrame({
            "category": list(CATEGORIES),
            "rows": np.asarray([self.errors.get(k, [0, 0, 0])[0] for k in CATEGORIES],
                               dtype=np.int64),
            "gold": np.asarray([self.errors.get(k, [0, 0, 0])[1] for k in CATEGORIES],
                               dtype=np.int64),
            "pred": np.asarray([self.errors.get(k, [0, 0, 0])[2] for k in CATEGORIES],
                               dtype=np.int64)})
        semeval = semeval_table(self.semeval, zero_division)
        conf = _confusion_frame(self.confusion)
        conf_norm = conf.div(conf.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
        return {"scores": scores, "errors": errors, "semeval": semeval, "confusion": conf,
                "confusion_exact": _confusion_frame(self.confusion_exact),
                "confusion_normalized": conf_norm}


@dataclass
class SliceCounts:
    """Partial counts of the slice tables of one shard (see the module docstring).

    For each slice attribute and each of its values, the counts
    :func:`~nlperr.analysis.slice_table` makes its table of -- NER: exact gold
    entities, gold entities, exact predictions, predictions and the taxonomy rows per
    category; classification: correct examples and examples.  Merged shards give, in
    :meth:`tables`, exactly the tables of :func:`~nlperr.analysis.slice_table` /
    ``worst_slices`` on the whole corpus with ``n_boot=0``: the bootstrap intervals
    resample examples, so they stay with the per-example data.

    Attributes whose slice names do not depend on the rest of the corpus can be
    counted apart: the built-ins (fixed bucket edges or categories) and registered
    ones with explicit bin edges (``register_slice(..., bins=[...])``).  Quantile
    buckets (``bins=4``, or many distinct numbers without ``bins``) depend on every
    value of the corpus and are refused (E1056).

    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["Ann", "met", "Bob"], ["B-PER", "O", "B-PER"])] * 2
    >>> p = [Example.from_tokens(["Ann", "met", "Bob"], ["B-PER", "O", "O"])] * 2
    >>> c = SliceCounts.from_examples(g[:1], p[:1], attributes=["position"])
    >>> c = c.merge(SliceCounts.from_examples(g[1:], p[1:], attributes=["position"]))
    >>> c.tables()["position"][["value", "support", "f1"]].values.tolist()
    [['first', 2, 1.0], ['last', 2, 0.0]]
    """

    task: str = "ner"
    attributes: tuple[str, ...] = ()
    counts: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    total: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @classmethod
    def from_examples(cls, gold: Sequence[Example], pred: Sequence[Example], *,
                      task: str | None = None, attributes: Sequence[str] | None = None,
                      train: Any = None) -> "SliceCounts":
        """Count one shard (*task*: ``"ner"`` or ``"classification"``, default: from the
        examples, as ``slice_table``); *attributes*
        default to the report's default set, *train* (examples or
        :class:`~nlperr.analysis.TrainStats`) as for ``worst_slices``."""
        from ._arrays import flatten_pair
        from .classification import class_arrays
        from .matching import taxonomy
        from .slices import (_NO_QUANTILES, SliceContext, TrainStats, _cls_codes,
                             _cls_slice_counts, _get_attribute, _ner_codes, _ner_slice_counts,
                             _QuantileBuckets, _SliceData, _task_of, default_slices,
                             train_stats)

        gold, pred = list(gold), list(pred)
        task = _task_of(gold, task)
        if attributes is None:
            attributes = default_slices(task, train=train is not None)
        st = train_stats(train) if train is not None and not isinstance(train, TrainStats) \
            else train
        ctx = SliceContext(train=st)
        out = cls(task=task, attributes=tuple(attributes))
        atts = [_get_attribute(a) for a in attributes]

        def bins(att: Any) -> Any:  # bin edges, or: no numbers (their quantiles are global)
            return att.bins if isinstance(att.bins, (list, tuple)) else _NO_QUANTILES
        if task == "ner":
            tax = taxonomy(flatten_pair(gold, pred))
            d = _SliceData(gold, pred, tax, ctx)
            out.total = np.array([int(tax.exact_gold.sum()), len(tax.flat.gold),
                                  int(tax.exact_pred.sum()), len(tax.flat.pred)],
                                 dtype=np.int64)
            for att in atts:
                try:
                    names, gc, pc = _ner_codes(att, d, bins(att))
                except _QuantileBuckets:
                    raise InputError(Errors.E1056.format(name=att.name)) from None
                tot, cnt = _ner_slice_counts(d, len(names), gc, pc)
                out.counts[att.name] = {n: np.concatenate([tot[k], cnt[k]]).round()
                                        .astype(np.int64) for k, n in enumerate(names)}
        else:
            ca = class_arrays(gold, pred)
            d = _SliceData(gold, pred, None, ctx)
            out.total = np.array([int(ca.correct.sum()), len(ca.correct)], dtype=np.int64)
            for att in atts:
                try:
                    names, c = _cls_codes(att, d, bins(att))
                except _QuantileBuckets:
                    raise InputError(Errors.E1056.format(name=att.name)) from None
                tot = _cls_slice_counts(ca, len(names), c)
                out.counts[att.name] = {n: tot[k].round().astype(np.int64)
                                        for k, n in enumerate(names)}
        return out

    def merge(self, other: "SliceCounts") -> "SliceCounts":
        """Add *other*'s counts to these (same task and attributes); returns ``self``."""
        _check_other(self, other)
        if (other.task, other.attributes) != (self.task, self.attributes):
            if not self.counts and not self.attributes and not len(self.total):
                self.task, self.attributes = other.task, other.attributes
            else:
                raise InputError(Errors.E1050.format(
                    what=f"SliceCounts of {self.task} {list(self.attributes)}",
                    got=f"SliceCounts of {other.task} {list(other.attributes)}"))
        for a, vals in other.counts.items():
            mine = self.counts.setdefault(a, {})
            for name, v in vals.items():
                mine[name] = mine[name] + v if name in mine else v.copy()
        self.total = other.total.copy() if not len(self.total) else self.total + other.total
        return self

    def tables(self, *, zero_division: object = 0.0) -> dict[str, pd.DataFrame]:
        """The slice table of every attribute (as ``slice_table(..., n_boot=0)``)."""
        from .slices import (_cls_table_from_counts, _fill_ci, _ner_table_from_counts,
                             _order_values)

        out = {}
        width = 4 if self.task == "ner" else 2
        for a in self.attributes:
            vals = self.counts.get(a, {})
            names = _order_values(list(vals))
            K = len(names)
            rows = np.asarray([vals[n] for n in names], dtype=np.int64).reshape(K, -1)
            tot = np.zeros((K + 1, width))
            tot[:K] = rows[:, :width]
            tot[K] = self.total
            nan = np.full(K, np.nan)
            if self.task == "ner":
                df = _ner_table_from_counts(a, names, tot, rows[:, width:],
                                            zero_division=zero_division)
            else:
                df = _cls_table_from_counts(a, names, tot)
            out[a] = _fill_ci(df, (nan, nan, nan))
        return out


def _confusion_frame(cells: Counter) -> pd.DataFrame:
    from .confusion import EMPTY

    rows = sorted({g for (g, _), n in cells.items() if g != EMPTY and n})
    cols = sorted({p for (_, p), n in cells.items() if p != EMPTY and n})
    r_all, c_all = rows + [EMPTY], cols + [EMPTY]
    ri = {k: i for i, k in enumerate(r_all)}
    ci = {k: i for i, k in enumerate(c_all)}
    mat = np.zeros((len(r_all), len(c_all)), dtype=np.int64)
    for (g, p), n in cells.items():
        if g in ri and p in ci:
            mat[ri[g], ci[p]] += n
    df = pd.DataFrame(mat, index=r_all, columns=c_all)
    df.index.name = "gold"
    df.columns.name = "pred"
    return df


_MANTISSA = 53        # bits of a float64 significand (with the implicit one)
_EXP_OFFSET = 1100    # frexp exponents of float64 lie in [-1073, 1]


def _exact_mean(parts: dict[int, int], count: int) -> float:
    """The correctly rounded mean of *count* floats whose sum is held exactly as
    ``{exponent: sum of integer significands}`` (a float ``x = M * 2**(e - 53)``)."""
    emin = min(parts)
    num = sum(v << (e - emin) for e, v in parts.items())
    return num / (count << (_MANTISSA - emin))  # int / int: correctly rounded


@dataclass
class CalibrationCounts:
    """Mergeable counts of the reliability table (``calibration``) over *n_bins*
    equal-width confidence bins: per bin the examples, the correct ones and the
    **exact** sum of their confidences (integer significands per binary exponent, so
    shards sum to exactly the whole corpus's value in any order); the examples
    without probabilities (the first by index, for warning W503); the wrong
    predictions with confidence >= 0.9.

    ``from_arrays`` maps one shard's confidences, ``a.merge(b)`` adds *b*, the next
    shard, ``table()`` finalizes; :func:`~nlperr.analysis.calibration_table` is the
    same counts of the whole corpus.
    """

    n_bins: int = 10
    n: int = 0
    with_probs: bool = False
    count: list[int] = field(default_factory=list)
    correct: list[int] = field(default_factory=list)
    sums: dict[int, dict[int, int]] = field(default_factory=dict)  # bin -> exponent -> sum
    missing: int = 0
    first_missing: int | None = None
    confident_wrong: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.n_bins, bool) or not isinstance(self.n_bins, int) or self.n_bins < 1:
            raise InputError(Errors.E508.format(what="Calibration", n=1, unit="bin",
                                                got=self.n_bins))
        if not self.count:
            self.count = [0] * self.n_bins
            self.correct = [0] * self.n_bins

    @classmethod
    def from_arrays(cls, conf: np.ndarray, correct: np.ndarray, n_bins: int = 10, *,
                    with_probs: bool = True) -> "CalibrationCounts":
        """*conf*: each example's confidence in its prediction (NaN: no probabilities);
        *correct*: whether the prediction is right."""
        c = cls(n_bins=n_bins, n=len(conf), with_probs=with_probs)
        ok = ~np.isnan(conf)
        if not ok.all():
            c.missing = int((~ok).sum())
            c.first_missing = int(np.flatnonzero(~ok)[0])
        x, right = conf[ok], correct[ok]
        c.confident_wrong = int(((x >= 0.9) & ~right).sum())
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        b = np.clip(np.searchsorted(edges, x, side="left") - 1, 0, n_bins - 1)
        c.count = np.bincount(b, minlength=n_bins).tolist()
        c.correct = np.bincount(b, weights=right, minlength=n_bins).astype(np.int64).tolist()
        if len(x):
            m, e = np.frexp(x)
            sig = np.ldexp(m, _MANTISSA).astype(np.int64)       # exact: < 2**53
            key = b.astype(np.int64) * 4096 + (e.astype(np.int64) + _EXP_OFFSET)
            order = np.argsort(key, kind="stable")
            k, sig = key[order], sig[order]
            first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
            hi = np.add.reduceat(sig >> 26, first)                # exact int64 sums
            lo = np.add.reduceat(sig & ((1 << 26) - 1), first)
            for kk, h, lw in zip(k[first].tolist(), hi.tolist(), lo.tolist()):
                bb, ee = divmod(kk, 4096)
                c.sums.setdefault(bb, {})[ee - _EXP_OFFSET] = (h << 26) + lw
        return c

    def merge(self, other: "CalibrationCounts") -> "CalibrationCounts":
        """Add *other*, the next shard; returns ``self``."""
        _check_other(self, other)
        if other.n_bins != self.n_bins:
            raise InputError(Errors.E1057.format(what="calibration counts",
                                                 a=f"n_bins={self.n_bins}",
                                                 b=f"n_bins={other.n_bins}"))
        if other.first_missing is not None and self.first_missing is None:
            self.first_missing = other.first_missing + self.n
        self.missing += other.missing
        self.n += other.n
        self.with_probs |= other.with_probs
        self.confident_wrong += other.confident_wrong
        self.count = [a + b for a, b in zip(self.count, other.count)]
        self.correct = [a + b for a, b in zip(self.correct, other.correct)]
        for b, parts in other.sums.items():
            mine = self.sums.setdefault(b, {})
            for e, v in parts.items():
                mine[e] = mine.get(e, 0) + v
        return self

    def table(self) -> tuple[pd.DataFrame, float]:
        """``(calibration table, expected calibration error)`` (see
        :func:`~nlperr.analysis.calibration_table`)."""
        n_bins = self.n_bins
        edges = np.linspace(0.0, 1.0, n_bins + 1)
        cnt = np.asarray(self.count, dtype=np.int64)
        mc = np.array([_exact_mean(self.sums[b], int(cnt[b])) if cnt[b] else np.nan
                       for b in range(n_bins)], dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            ma = np.where(cnt > 0, np.asarray(self.correct, dtype=np.float64)
                          / np.maximum(cnt, 1), np.nan)
        n = int(cnt.sum())
        ece = float(np.nansum(cnt / n * np.abs(ma - mc))) if n else float("nan")
        df = pd.DataFrame({"bin": np.arange(n_bins), "lower": edges[:-1], "upper": edges[1:],
                           "count": cnt, "confidence": mc, "accuracy": ma, "gap": ma - mc})
        df.attrs["ece"] = ece
        return df, ece

    def warn_missing(self) -> None:
        """Warning W503 when some (not all) examples had no probabilities."""
        if self.with_probs and self.missing:
            i = self.first_missing
            warn(Warnings.W503.format(index=i, id=str(i), count=self.missing))


@dataclass
class ClassCounts:
    """Partial counts of a classification analysis of one shard.

    ``cells`` maps ``(gold label, predicted label)`` to the number of examples;
    the per-label scores and the confusion matrices are functions of it.
    ``calibration`` holds the reliability-table counts of the predictions'
    confidences (:class:`CalibrationCounts`, *n_bins* bins), so the calibration
    table and its ECE merge too (:meth:`tables`).
    """

    n_examples: int = 0
    cells: Counter = field(default_factory=Counter)
    calibration: CalibrationCounts | None = None

    @classmethod
    def from_examples(cls, gold: Sequence[Example], pred: Sequence[Example], *,
                      n_bins: int = 10) -> "ClassCounts":
        from .classification import calibration_counts, class_arrays

        ca = class_arrays(list(gold), list(pred))
        g = ca.y_true.tolist()
        p = ca.y_pred.tolist()
        labels = list(ca.labels)
        return cls(n_examples=len(g),
                   cells=Counter((labels[a], labels[b]) for a, b in zip(g, p)),
                   calibration=calibration_counts(ca, n_bins))

    @classmethod
    def from_stream(cls, pairs: Iterable[tuple[Example, Example]], *,
                    chunk_size: int = 10_000, n_bins: int = 10, engine: str = "local",
                    address: str | None = None, workers: int | None = None,
                    progress: bool | None = False) -> "ClassCounts":
        """Count an iterator of ``(gold, pred)`` pairs, *chunk_size* at a time (each
        chunk in a Ray task with ``engine="ray"``: the same counts)."""
        return _from_stream(cls, pairs, chunk_size, engine=engine, address=address,
                            workers=workers, progress=progress, n_bins=n_bins)

    def merge(self, other: "ClassCounts") -> "ClassCounts":
        _check_other(self, other)
        if other.calibration is not None:
            if self.calibration is None:  # an empty accumulator, or counts without them
                self.calibration = CalibrationCounts(n_bins=other.calibration.n_bins,
                                                     n=self.n_examples)
            self.calibration.merge(other.calibration)
        elif self.calibration is not None:
            self.calibration.n += other.n_examples
        self.n_examples += other.n_examples
        self.cells.update(other.cells)
        return self

    def tables(self, *, zero_division: object = "warn") -> dict[str, pd.DataFrame]:
        """``scores``, ``confusion``, ``confusion_normalized`` and, when any prediction
        had probabilities, ``calibration``, as
        :func:`~nlperr.analysis.analyze_classification` computes them."""
        from .classification import confusion_from_arrays, scores_from_arrays

        ca = self.arrays()
        out = {"scores": scores_from_arrays(ca, zero_division=zero_division),
               "confusion": confusion_from_arrays(ca),
               "confusion_normalized": confusion_from_arrays(ca, normalize="true")}
        if self.calibration is not None and self.calibration.with_probs:
            self.calibration.warn_missing()
            out["calibration"] = self.calibration.table()[0]
        return out

    def arrays(self) -> Any:
        """A :class:`ClassArrays` with one row per counted example (cells expanded in
        sorted order; the counts-only tables do not depend on the order)."""
        from .classification import ClassArrays

        labels = sorted({x for cell in self.cells for x in cell})
        code = {lab: i for i, lab in enumerate(labels)}
        keys = sorted(self.cells)
        reps = np.asarray([self.cells[k] for k in keys], dtype=np.int64)
        g = np.repeat(np.asarray([code[a] for a, _ in keys], dtype=np.int64), reps)
        p = np.repeat(np.asarray([code[b] for _, b in keys], dtype=np.int64), reps)
        return ClassArrays(labels, g, p, None, np.zeros(len(g), dtype=bool))
