"""The whole data check in one call, and the two result types of the room.

:func:`check_data` runs every check of :mod:`nlperr.quality` on train / dev /
test and returns a :class:`DataQualityResult`; :func:`find_label_issues` wraps
:func:`~nlperr.quality.label_issues.label_issues` in a :class:`LabelIssuesResult`.
What each table holds is documented in ``docs/quality.md`` and in the module
that computes it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, ClassVar

import pandas as pd

from ..analysis.slices import train_stats
from ..data import Example
from ..errors import Errors, InputError
from ..results import Finding, Result
from ._text import first_task
from .consistency import (LabelGroups, MentionIndex, MentionScan, TagIndex, TagScan,
                          inconsistent_labels, inconsistent_mentions, inconsistent_tags)
from .cues import CueCounts, check_cue_options, cue_words
from .label_issues import label_issues
from .leakage import (ShingleStore, TextIndex, _check_positive, _check_threshold, _exact_frame,
                      _exact_rows, _mention_rows, _near_frame, _near_pairs, _overlap_frames)
from .splits import SplitCounts, split_mismatch

__all__ = ["DataQualityResult", "LabelIssuesResult", "check_data", "check_data_stream",
           "find_label_issues", "plot_entity_overlap"]

TASKS = ("ner", "classification")


class DataQualityResult(Result):
    """Result of :func:`check_data`.

    ``summary`` keys: ``task``, ``splits`` (name -> examples), ``duplicates``
    (``{"exact", "near"}``: test examples with an exact copy in train / with a
    near-duplicate in train and no exact copy; ``near_threshold``), ``entity_overlap``
    (``{"mentions", "seen", "seen_other_type", "unseen"}`` over test mentions; zeros
    for classification), ``inconsistent_strings`` (NER: inconsistent surface strings;
    classification: conflicting texts), ``tag_disagreements`` (NER),
    ``cue_words`` (``{"tested", "significant", "top"}``), ``split_mismatch`` (per
    split, see :func:`~nlperr.quality.splits.split_mismatch`) and, with a dev split,
    ``dev_duplicates`` / ``dev_entity_overlap``.

    Tables: ``inconsistencies``, ``near_duplicates``, ``exact_duplicates``,
    ``entity_overlap``, ``entity_mentions``, ``cue_words``, ``tag_disagreements``
    (NER), ``split_stats``, ``label_distribution``, ``split_tests``.
    """

    kind: ClassVar[str] = "data_quality"
    title: ClassVar[str] = "Data quality check"
    figure_specs: ClassVar[dict[str, str]] = {
        "entity_overlap": "nlperr.quality.check:plot_entity_overlap"}


class LabelIssuesResult(Result):
    """Result of :func:`find_label_issues`.

    ``summary`` keys: ``method`` (``"confident_learning"`` / ``"disagreement"``),
    ``task``, ``n_examples``, ``n_candidates``, ``n_flagged``, ``thresholds``
    (label -> threshold; NER adds ``by_kind``).  Tables: ``label_issues`` (ranked)
    and, for classification with probabilities, ``confident_joint``.
    """

    kind: ClassVar[str] = "label_issues"
    title: ClassVar[str] = "Likely label issues"


def _with_ids(examples: Sequence[Example], split: str) -> list[Example]:
    return [e if e.id is not None else e.copy(id=f"{split}:{i}") for i, e in enumerate(examples)]


def _check_split(examples: Sequence[Example] | None, split: str) -> list[Example] | None:
    if examples is None:
        return None
    out = list(examples)
    if not out:
        raise InputError(Errors.E954.format(where="check_data", split=split))
    return _with_ids(out, split)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def check_data(train: Sequence[Example], test: Sequence[Example], *,
               dev: Sequence[Example] | None = None, task: str | None = None,
               near_threshold: float = 0.6, ngram: int = 1, num_perm: int = 128,
               cue_prior: str = "empirical", cue_min_count: int = 5, alpha: float = 0.05,
               window: int = 3, seed: int = 0) -> DataQualityResult:
    """Run every data-quality check on train / (dev) / test.

    Parameters
    ----------
    train, test : sequence of Example
    dev : sequence of Example, optional
        Checked against train like test (duplicates, entity overlap, mismatch).
    task : {"ner", "classification"}, optional
        Default: NER when any training example has spans.
    near_threshold, ngram, num_perm : near-duplicate settings
        (:func:`~nlperr.quality.near_duplicates`).
    cue_prior, cue_min_count, alpha, window : cue-word settings
        (:func:`~nlperr.quality.cue_words`, run on train).
    seed : int
        MinHash seed.

    Returns
    -------
    DataQualityResult

    Examples
    --------
    >>> from nlperr.data import Example
    >>> tr = [Example.from_tokens(["Ann", "lives", "in", "Paris", "now"],
    ...                           ["B-PER", "O", "O", "B-LOC", "O"])]
    >>> te = [Example.from_tokens(["Ann", "lives", "in", "Paris", "now"],
    ...                           ["B-PER", "O", "O", "B-LOC", "O"]),
    ...       Example.from_tokens(["Bob", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    >>> r = check_data(tr, te)
    >>> r.summary["duplicates"]["exact"], r.summary["entity_overlap"]["seen"]
    (1, 2)
    """
    splits = {"train": _check_split(train, "train"), "dev": _check_split(dev, "dev"),
              "test": _check_split(test, "test")}
    sources = {k: (lambda v=v: iter(v)) for k, v in splits.items() if v is not None}
    chunk = max(len(v) for v in splits.values() if v is not None)
    return _check(sources, chunk, task=task, near_threshold=near_threshold, ngram=ngram,
                  num_perm=num_perm, cue_prior=cue_prior, cue_min_count=cue_min_count,
                  alpha=alpha, window=window, seed=seed, where="check_data")


def check_data_stream(train: Any, test: Any, *, dev: Any = None, task: str | None = None,
                      near_threshold: float = 0.6, ngram: int = 1, num_perm: int = 128,
                      cue_prior: str = "empirical", cue_min_count: int = 5,
                      alpha: float = 0.05, window: int = 3, seed: int = 0,
                      chunk_size: int = 10_000, progress: bool | None = None
                      ) -> DataQualityResult:
    """:func:`check_data` over streams, *chunk_size* examples at a time: the same result.

    Each split is a function returning a fresh iterator of its examples (e.g.
    ``lambda: iter_conll("train.conll")``) or a re-iterable sequence: it is read twice,
    the second pass using what the first counted over every split (the train index
    for duplicates and seen entities, the annotated surfaces for consistency).  Every
    table is finalized from mergeable counts (see ``docs/scale.md``), so memory holds
    those counts, not the examples, with one exception: the near-duplicate search
    keeps each example's shingles as integer ids (about 4 bytes a word: it verifies
    candidate pairs with their exact Jaccard), and for classification the consistency check keeps one text per
    distinct normalised text.  Examples without an id are named ``"<split>:<index>"``,
    as :func:`check_data` names them.  *progress*: a bar of the examples read in each
    pass (None: when stderr is a terminal).  CLI: ``nlperr data check --stream``.

    >>> from nlperr.data import Example
    >>> tr = [Example.from_tokens(["Ann", "lives", "in", "Paris"], ["B-PER", "O", "O", "B-LOC"])]
    >>> te = tr + [Example.from_tokens(["Bob", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    >>> r = check_data_stream(lambda: iter(tr), lambda: iter(te), chunk_size=1)
    >>> r.summary["duplicates"]["exact"], r.summary["entity_overlap"]["seen"]
    (1, 2)
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InputError(Errors.E207.format(value=chunk_size, option="chunk_size",
                                            allowed="positive integers"))
    sources = {k: _source(v, k) for k, v in (("train", train), ("dev", dev), ("test", test))
               if v is not None}
    return _check(sources, chunk_size, task=task, near_threshold=near_threshold, ngram=ngram,
                  num_perm=num_perm, cue_prior=cue_prior, cue_min_count=cue_min_count,
                  alpha=alpha, window=window, seed=seed, where="check_data_stream",
                  progress=progress)


def _source(src: Any, split: str) -> Callable[[], Iterator[Example]]:
    if callable(src):
        return src
    if iter(src) is src:  # a one-shot iterator cannot be read twice
        raise InputError(Errors.E1058.format(split=split, got=type(src).__name__))
    return lambda: iter(src)


def _chunks(source: Callable[[], Iterable[Example]], split: str, size: int,
            progress: bool | None = False, desc: str = "") -> Iterator[tuple[int, list[Example]]]:
    """``(index of the first, examples)`` *size* at a time, ids assigned as check_data
    assigns them."""
    from .._flow import counter_bar

    it = iter(source())
    n = 0
    bar = counter_bar(progress, desc or split)
    try:
        while True:
            chunk = list(itertools.islice(it, size))
            if not chunk:
                return
            yield n, [e if e.id is not None else e.copy(id=f"{split}:{n + i}")
                      for i, e in enumerate(chunk)]
            n += len(chunk)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if bar is not None:
            bar.close()


def _check(sources: dict[str, Callable[[], Iterable[Example]]], chunk_size: int, *,
           task: str | None, near_threshold: float, ngram: int, num_perm: int, cue_prior: str,
           cue_min_count: int, alpha: float, window: int, seed: int,
           where: str, progress: bool | None = False) -> DataQualityResult:
    if task is not None and task not in TASKS:
        raise InputError(Errors.E207.format(value=task, option="task", allowed=list(TASKS)))
    near_threshold = _check_threshold(near_threshold)
    ngram = _check_positive("ngram", ngram)
    num_perm = _check_positive("num_perm", num_perm)
    check_cue_options(cue_prior, cue_min_count, alpha, window)
    names = list(sources)
    others = [k for k in names if k != "train"]

    # pass 1: what the second pass looks up, over every split
    n: dict[str, int] = {}
    vocab: dict[str, int] = {}  # shingle ids, one vocabulary for every split
    sets: dict[str, ShingleStore] = {}
    index, stats = TextIndex(), None
    mentions, tag_index, groups = MentionIndex(), TagIndex(1), LabelGroups()
    found_task = None
    has_spans = has_labels = False
    for name in names:
        n[name] = 0
        sets[name] = ShingleStore(vocab)
        for _, chunk in _chunks(sources[name], name, chunk_size, progress,
                                f"data check, pass 1/2 ({name})"):
            n[name] += len(chunk)
            sets[name].add_texts((e.text for e in chunk), ngram=ngram)
            if name == "train":
                index.merge(TextIndex.from_examples(chunk))
                part = train_stats([e for e in chunk if e.spans])
                stats = part if stats is None else stats.merge(part)
                if found_task is None:
                    found_task = first_task(chunk)
                has_spans = has_spans or any(e.spans for e in chunk)
                has_labels = has_labels or any(e.label is not None for e in chunk)
            mentions.merge(MentionIndex.from_examples(chunk))
            tag_index.merge(TagIndex.from_examples(chunk, window=1))
            groups.merge(LabelGroups.from_examples(chunk))
        if not n[name]:
            raise InputError(Errors.E954.format(where=where, split=name))
    if task is None:
        task = found_task or "ner"
    if task == "ner" and not has_spans:
        raise InputError(Errors.E951.format(where=where, split="train", what="entity spans",
                                            task="ner", needed="gold spans"))
    if task == "classification" and not has_labels:
        raise InputError(Errors.E951.format(where=where, split="train", what="labels",
                                            task="classification", needed="Example.label"))
    near = {k: _near_pairs(sets[k], sets["train"], threshold=near_threshold,
                           num_perm=num_perm, seed=seed) for k in others}
    del sets
    want: dict[str, set[int]] = {k: set(near[k][0][:, 0].tolist()) for k in others}
    want["train"] = set().union(*(near[k][0][:, 1].tolist() for k in others))

    # pass 2: counts that need the whole first pass
    texts: dict[str, dict[int, tuple[str, str]]] = {k: {} for k in names}
    exact: dict[str, list[tuple]] = {k: [] for k in others}
    seen: dict[str, list[tuple]] = {k: [] for k in others}
    split_counts = {k: SplitCounts() for k in names}
    cues = CueCounts(task, window)
    mention_scan, tag_scan = MentionScan(), TagScan(1)
    for name in names:
        count = 0
        for off, chunk in _chunks(sources[name], name, chunk_size, progress,
                                  f"data check, pass 2/2 ({name})"):
            count += len(chunk)
            split_counts[name].merge(SplitCounts.from_examples(chunk, task))
            if name == "train":
                cues.merge(CueCounts.from_examples(chunk, task=task, window=window))
            else:
                exact[name].extend(_exact_rows(index, chunk, off))
                if task == "ner":
                    seen[name].extend(_mention_rows(stats, chunk, off))
            if task == "ner":
                mention_scan.merge(mentions.scan(chunk))
                tag_scan.merge(tag_index.scan(chunk))
            for i, e in enumerate(chunk, off):
                if i in want[name]:
                    texts[name][i] = (e.text, str(e.id))
        if count != n[name]:
            raise InputError(Errors.E1059.format(where=where, split=name, first=n[name],
                                                 second=count))

    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {"task": task, "splits": dict(n)}
    findings: list[Finding] = []

    # leakage: duplicates
    exact_frames, near_frames = [], []
    for name in others:
        ex = _exact_frame(exact[name])
        pairs, jac = near[name]
        nd = _near_frame(pairs[:, 0], pairs[:, 1], jac, texts[name].__getitem__,
                         texts["train"].__getitem__)
        ex.insert(0, "split", name)
        nd.insert(0, "split", name)
        exact_frames.append(ex)
        near_frames.append(nd)
        exact_idx = set(ex["index"].tolist())
        near_idx = set(nd["index"].tolist()) - exact_idx
        key = "duplicates" if name == "test" else f"{name}_duplicates"
        summary[key] = {"exact": len(exact_idx), "near": len(near_idx),
                        "near_threshold": near_threshold}
        size = n[name]
        if exact_idx:
            findings.append(Finding(
                f"{len(exact_idx)} {name} examples ({_pct(len(exact_idx) / size)}) are exact copies "
                f"of train examples (after normalisation).", metric=f"{key}.exact",
                value=len(exact_idx), threshold=0, severity="warning",
                examples=tuple(ex["id"].head(5))))
        if near_idx:
            ids = nd.loc[nd["index"].isin(near_idx), "id"].drop_duplicates().head(5)
            findings.append(Finding(
                f"{len(near_idx)} more {name} examples ({_pct(len(near_idx) / size)}) are "
                f"near-duplicates of train examples (word Jaccard >= {near_threshold:g}).",
                metric=f"{key}.near", value=len(near_idx), threshold=0, severity="warning",
                examples=tuple(ids)))
    tables["exact_duplicates"] = pd.concat(exact_frames, ignore_index=True)
    tables["near_duplicates"] = pd.concat(near_frames, ignore_index=True)

    # leakage: entity overlap
    if task == "ner":
        per, men = [], []
        for name in others:
            pt, mt = _overlap_frames(seen[name])
            pt.insert(0, "split", name)
            mt.insert(0, "split", name)
            per.append(pt)
            men.append(mt)
            allrow = pt[pt["label"] == "all"].iloc[0]
            key = "entity_overlap" if name == "test" else f"{name}_entity_overlap"
            summary[key] = {"mentions": int(allrow["mentions"]), "seen": int(allrow["seen"]),
                            "seen_other_type": int(allrow["seen_other_type"]),
                            "unseen": int(allrow["unseen"])}
            if allrow["mentions"]:
                findings.append(Finding(
                    f"{_pct(allrow['seen_share'])} of {name} mentions occur in train with the "
                    f"same type, {_pct(allrow['seen_other_type_share'])} only with another type "
                    f"and {_pct(allrow['unseen_share'])} never; compare F1 on the groups with "
                    f"analyze_ner(..., train=...) (slice 'train_overlap').",
                    metric=f"{key}.seen", value=float(allrow["seen_share"]),
                    severity="warning" if allrow["seen_share"] >= 0.5 else "info"))
        tables["entity_overlap"] = pd.concat(per, ignore_index=True)
        tables["entity_mentions"] = pd.concat(men, ignore_index=True)
    else:
        summary["entity_overlap"] = {"mentions": 0, "seen": 0, "seen_other_type": 0,
                                     "unseen": 0}
        tables["entity_overlap"] = pd.DataFrame(columns=["split", "label", "mentions", "seen",
                                                         "seen_other_type", "unseen",
                                                         "seen_share", "seen_other_type_share",
                                                         "unseen_share"])

    # annotation consistency over every split together
    if task == "ner":
        inc = inconsistent_mentions((mentions, mention_scan))
        tags = inconsistent_tags((tag_index, tag_scan))
        tables["tag_disagreements"] = tags
        summary["tag_disagreements"] = int(len(tags))
        if len(inc):
            top = inc.iloc[0]
            findings.append(Finding(
                f"{len(inc)} surface strings are annotated inconsistently; the worst, "
                f"{top['surface']!r}, is {top['labels']} ({int(top['changes'])} annotations "
                f"would change under its majority label {top['majority']!r}).",
                metric="inconsistent_strings", value=len(inc), threshold=0, severity="warning",
                examples=tuple(x.split("#")[0] for x in str(top["examples"]).split(" | ")
                               if x)))
    else:
        inc = inconsistent_labels(groups, seed=seed)
        if len(inc):
            findings.append(Finding(
                f"{len(inc)} identical or near-identical texts carry different labels "
                f"({int(inc['changes'].sum())} labels would change under the majority).",
                metric="inconsistent_strings", value=len(inc), threshold=0, severity="warning"))
    tables["inconsistencies"] = inc
    summary["inconsistent_strings"] = int(len(inc))

    # cue words (train)
    cue_table = cue_words(cues, prior=cue_prior, min_count=cue_min_count, alpha=alpha,
                          split="train")
    tables["cue_words"] = cue_table
    sig = cue_table[cue_table["significant"]]
    summary["cue_words"] = {
        "tested": int(len(cue_table)), "significant": int(len(sig)),
        "top": [{"label": r.label, "word": r.word, "count": int(r.count), "n": int(r.n),
                 "z": float(r.z), "q_value": float(r.q_value)}
                for r in sig.head(10).itertuples(index=False)]}
    if len(sig):
        r = sig.iloc[0]
        unit = "mention windows" if task == "ner" else "examples"
        findings.append(Finding(
            f"{len(sig)} (word, label) pairs are significant cues in train; the strongest, "
            f"{r['word']!r}, goes with {r['label']!r} in {int(r['count'])} of {int(r['n'])} "
            f"{unit} (z = {r['z']:.1f}, prior {r['prior']:.2f}).", metric="cue_words.z",
            value=float(r["z"]), severity="info"))

    # split mismatch
    mt, ms = split_mismatch(split_counts, task=task)
    tables.update(mt)
    summary["split_mismatch"] = ms
    for name, s in ms.items():
        if s["labels_p"] == s["labels_p"] and s["labels_p"] < 0.01:
            what = "entity-type" if task == "ner" else "label"
            findings.append(Finding(
                f"The {what} distribution of {name} differs from train (chi-square "
                f"{s['labels_chi2']:.1f}, p = {s['labels_p']:.2g}).",
                metric=f"split_mismatch.{name}.labels_p", value=s["labels_p"], threshold=0.01,
                severity="info"))
        if s["length_p"] == s["length_p"] and s["length_p"] < 0.01:
            findings.append(Finding(
                f"The length distribution of {name} differs from train (KS D = "
                f"{s['length_ks']:.3f}, p = {s['length_p']:.2g}).",
                metric=f"split_mismatch.{name}.length_p", value=s["length_p"], threshold=0.01,
                severity="info"))
        if s["oov_tokens"] == s["oov_tokens"]:
            findings.append(Finding(
                f"{_pct(s['oov_tokens'])} of {name} word tokens ({_pct(s['oov_types'])} of its "
                f"distinct words) never occur in train.",
                metric=f"split_mismatch.{name}.oov_tokens", value=s["oov_tokens"],
                severity="info"))
    return DataQualityResult(summary=summary, tables=tables, findings=findings)


def find_label_issues(gold: Sequence[Example], pred: Sequence[Example], *,
                      task: str | None = None, context: int = 5) -> LabelIssuesResult:
    """:func:`~nlperr.quality.label_issues.label_issues` as a :class:`LabelIssuesResult`."""
    issues, info = label_issues(gold, pred, task=task, context=context)
    tables: dict[str, pd.DataFrame] = {"label_issues": issues}
    cj = info.pop("confident_joint", None)
    if cj is not None:
        tables["confident_joint"] = cj
    findings = []
    n = info["n_examples"]
    if info["method"] == "confident_learning":
        unit = "examples" if info["task"] == "classification" else "spans"
        findings.append(Finding(
            f"{info['n_flagged']} gold {unit} are likely label errors by confident learning "
            f"({info['n_candidates']} model-gold disagreements in {n} examples).",
            metric="n_flagged", value=info["n_flagged"], severity="warning"
            if info["n_flagged"] else "info",
            examples=tuple(issues.loc[issues["flagged"], "id"].head(5))))
    else:
        findings.append(Finding(
            f"The predictions carry no probabilities: {info['n_candidates']} model-gold "
            f"disagreements are listed as candidates, not scored (confident learning needs "
            f"out-of-sample probabilities).", metric="n_candidates",
            value=info["n_candidates"], severity="info"))
    return LabelIssuesResult(summary=info, tables=tables, findings=findings)


def _overlap_available(result: Result) -> bool:
    t = result.tables.get("entity_overlap")
    return t is not None and len(t) > 0


def plot_entity_overlap(result: Result, ax: Any = None) -> Any:
    """Stacked bars: share of seen / seen_other_type / unseen test mentions per type
    (from the ``entity_overlap`` table; needs matplotlib)."""
    from ..adapters._util import require

    require("matplotlib.figure", extra="report", what="plot_entity_overlap")
    from matplotlib.figure import Figure

    t = result.tables["entity_overlap"]
    if "split" in t:
        t = t[t["split"] == "test"]
    if ax is None:
        fig = Figure(figsize=(6, 0.45 * len(t) + 1.2))
        ax = fig.add_subplot()
    labels = t["label"].astype(str).tolist()
    left = [0.0] * len(t)
    for col, name in (("seen_share", "seen"), ("seen_other_type_share", "seen_other_type"),
                      ("unseen_share", "unseen")):
        vals = [0.0 if (v is None or (isinstance(v, float) and math.isnan(v))) else float(v)
                for v in t[col].tolist()]
        ax.barh(labels, vals, left=left, label=name)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of test mentions")
    ax.legend(loc="lower right", fontsize="small")
    return ax.figure


plot_entity_overlap.available = _overlap_available  # type: ignore[attr-defined]
