"""The whole data check in one call, and the two result types of the room.

:func:`check_data` runs every check of :mod:`nlperr.quality` on train / dev /
test and returns a :class:`DataQualityResult`; :func:`find_label_issues` wraps
:func:`~nlperr.quality.label_issues.label_issues` in a :class:`LabelIssuesResult`.
What each table holds is documented in ``docs/quality.md`` and in the module
that computes it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import pandas as pd

from ..data import Example
from ..errors import Errors, InputError
from ..results import Finding, Result
from ._text import task_of
from .consistency import inconsistent_labels, inconsistent_mentions, inconsistent_tags
from .cues import cue_words
from .label_issues import label_issues
from .leakage import entity_overlap, exact_duplicates, near_duplicates
from .splits import split_mismatch

__all__ = ["DataQualityResult", "LabelIssuesResult", "check_data", "find_label_issues",
           "plot_entity_overlap"]

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
    train = _check_split(train, "train")
    test = _check_split(test, "test")
    dev = _check_split(dev, "dev")
    if task is None:
        task = task_of(train)
    if task not in TASKS:
        raise InputError(Errors.E207.format(value=task, option="task", allowed=list(TASKS)))
    if task == "ner" and not any(e.spans for e in train):
        raise InputError(Errors.E951.format(where="check_data", split="train",
                                            what="entity spans", task="ner",
                                            needed="gold spans"))
    if task == "classification" and not any(e.label is not None for e in train):
        raise InputError(Errors.E951.format(where="check_data", split="train", what="labels",
                                            task="classification", needed="Example.label"))
    others = {"test": test} if dev is None else {"dev": dev, "test": test}
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] = {"task": task,
                               "splits": {"train": len(train), **{k: len(v)
                                                                  for k, v in others.items()}}}
    findings: list[Finding] = []

    # leakage: duplicates
    exact_frames, near_frames = [], []
    for name, exs in others.items():
        ex = exact_duplicates(train, exs)
        nd = near_duplicates(train, exs, threshold=near_threshold, ngram=ngram,
                             num_perm=num_perm, seed=seed)
        ex.insert(0, "split", name)
        nd.insert(0, "split", name)
        exact_frames.append(ex)
        near_frames.append(nd)
        exact_idx = set(ex["index"].tolist())
        near_idx = set(nd["index"].tolist()) - exact_idx
        key = "duplicates" if name == "test" else f"{name}_duplicates"
        summary[key] = {"exact": len(exact_idx), "near": len(near_idx),
                        "near_threshold": near_threshold}
        n = len(exs)
        if exact_idx:
            findings.append(Finding(
                f"{len(exact_idx)} {name} examples ({_pct(len(exact_idx) / n)}) are exact copies "
                f"of train examples (after normalisation).", metric=f"{key}.exact",
                value=len(exact_idx), threshold=0, severity="warning",
                examples=tuple(ex["id"].head(5))))
        if near_idx:
            ids = nd.loc[nd["index"].isin(near_idx), "id"].drop_duplicates().head(5)
            findings.append(Finding(
                f"{len(near_idx)} more {name} examples ({_pct(len(near_idx) / n)}) are "
                f"near-duplicates of train examples (word Jaccard >= {near_threshold:g}).",
                metric=f"{key}.near", value=len(near_idx), threshold=0, severity="warning",
                examples=tuple(ids)))
    tables["exact_duplicates"] = pd.concat(exact_frames, ignore_index=True)
    tables["near_duplicates"] = pd.concat(near_frames, ignore_index=True)

    # leakage: entity overlap
    if task == "ner":
        per, men = [], []
        for name, exs in others.items():
            pt, mt = entity_overlap(train, exs)
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
    everything = train + [e for exs in others.values() for e in exs]
    if task == "ner":
        inc = inconsistent_mentions(everything)
        tags = inconsistent_tags(everything)
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
        inc = inconsistent_labels(everything, seed=seed)
        if len(inc):
            findings.append(Finding(
                f"{len(inc)} identical or near-identical texts carry different labels "
                f"({int(inc['changes'].sum())} labels would change under the majority).",
                metric="inconsistent_strings", value=len(inc), threshold=0, severity="warning"))
    tables["inconsistencies"] = inc
    summary["inconsistent_strings"] = int(len(inc))

    # cue words (train)
    cues = cue_words(train, task=task, prior=cue_prior, min_count=cue_min_count, alpha=alpha,
                     window=window, split="train")
    tables["cue_words"] = cues
    sig = cues[cues["significant"]]
    summary["cue_words"] = {
        "tested": int(len(cues)), "significant": int(len(sig)),
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
    mt, ms = split_mismatch({"train": train, **others}, task=task)
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
