"""One-call analyses that compute everything once and render it many ways.

:func:`analyze_ner` / :func:`analyze_classification` return a :class:`Report`,
a :class:`nlperr.results.Result`: ``summary`` (a JSON-ready dict with stable
keys), ``tables`` (named DataFrames), ``findings`` and figures.  Render with
:meth:`Report.to_json` (strict JSON text), :meth:`Report.to_markdown`,
:meth:`Report.to_html`, or write everything with :meth:`Report.save`
(``summary.json``, ``result.json``, ``summary.md``, ``<table>.csv`` and
``<table>.parquet`` when pyarrow is importable); :func:`nlperr.results.load`
reads it back.

``summary`` keys (NER): ``task``, ``n_examples``, ``n_gold``, ``n_pred``,
``n_ignored``, ``overall`` {precision, recall, f1}, ``per_type`` {LABEL:
{precision, recall, f1, support}}, ``errors`` {category: rows},
``errors_gold`` / ``errors_pred`` (per-side counts), ``semeval``
{strict|exact|partial|type: {correct, incorrect, partial, missed, spurious,
precision, recall, f1}}, ``confused_pairs`` [{gold, pred, count}],
``worst_slices`` [...], ``groups`` {name: finding...}, ``baseline`` (when
given).

``summary`` keys (classification): ``task``, ``n_examples``, ``accuracy``,
``overall`` {precision, recall, f1} (macro), ``per_class`` {LABEL: {...}},
``calibration`` {ece, n_bins}, ``confused_pairs``, ``worst_slices``,
``baseline``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._flow import Background, lockstep
from ..data import Example
from ..errors import Errors, InputError, Warnings, warn
from ..results import Finding, Result
from ._arrays import entity_texts, flatten_pair, token_arrays
from ._stats import check_zero_division, collect_undefined, describe_undefined
from .cases import classification_cases, ner_cases
from .classification import (calibration_counts, class_arrays, confusion_from_arrays,
                             outcomes_from_arrays, scores_from_arrays)
from .compare import compare_classification, compare_ner
from .confusion import label_group_analysis, pairs_from_taxonomy
from .matching import CATEGORIES, taxonomy, taxonomy_frame
from .metrics import SEMEVAL_COUNTS, SEMEVAL_SCHEMAS
from .labelsets import label_set_mismatch
from .partial import ClassCounts, NerCounts, ray_range_counts
from .slices import _rank_slices, _worst_tables, default_slices, worst_slices

__all__ = ["Report", "analyze_ner", "analyze_classification"]


def _main_errors(row: pd.Series, k: int = 2) -> str:
    errs = [(c, int(row[c])) for c in CATEGORIES[1:] if c in row and int(row[c]) > 0]
    errs.sort(key=lambda t: -t[1])
    return ", ".join(f"{c} {n}" for c, n in errs[:k])


_LEGEND = {
    "scores": "Strict matching (exact boundaries and type), as seqeval / conlleval. Per type, "
              "recall is charged to the gold type and precision to the predicted type; "
              "`support` = gold entities, `predicted` = predicted entities, `correct` = exact "
              "matches.",
    "scores_cls": "Per class, as scikit-learn's classification_report; the `accuracy` row "
                  "holds accuracy in the `f1` column.",
    "errors": "Every gold and every predicted entity is in exactly one row of "
              "`entity_errors.csv`. `rows` counts those rows; `gold` / `pred` count the "
              "entities of each side in the category (they sum to the gold / predicted "
              "totals). `merged`: one prediction covers several gold entities; `split`: "
              "several predictions cover one gold entity.",
    "errors_by_type": "Rows of `entity_errors.csv` per entity type (the gold type, or the "
                      "predicted type for spurious predictions) and error category.",
    "error_cases": "Errors of each category in their context (the first rows of "
                   "`entity_errors.csv` per category, categories interleaved).",
    "semeval": "SemEval-2013 schemas, counts as nervaluate: `strict` exact boundaries and "
               "type, `exact` exact boundaries, `partial` any overlap (counts half), `type` "
               "any overlap with the right type. Overall rows here; per type in "
               "`semeval.csv`.",
    "confused_pairs": "Gold type predicted as another type (maximum-overlap matching, so "
                      "boundary errors with a wrong type count too); `share_of_gold` = count "
                      "/ gold entities of that type; `examples` = gold texts.",
    "worst_slices": "Slices whose score is significantly below overall (bootstrap over "
                    "examples and an exact binomial check, Benjamini-Hochberg q <= 0.05), "
                    "then the other tested slices (support >= 10), worst first. `delta` = "
                    "slice - overall, 95% CI `ci_low`..`ci_high`. Every slice is in "
                    "`worst_slices.csv`.",
    "worst_slices_ner": " `main_errors`: the slice's most frequent error categories (all "
                        "counts in the CSV).",
    "confusion": "Rows gold types, columns predicted types (maximum-overlap matching); row "
                 "`∅` = spurious predictions, column `∅` = missed gold entities. "
                 "`confusion_exact.csv` pairs exact boundaries only, "
                 "`confusion_normalized.csv` is row-normalised.",
    "confusion_cls": "Rows gold classes, columns predicted classes.",
    "calibration": "Equal-width confidence bins with at least one example; `gap` = accuracy "
                   "- confidence (negative: over-confident).",
    "high_confidence_wrong": "Wrong predictions with the highest scores.",
    "low_confidence_correct": "Correct predictions with the lowest scores.",
    "easy_wrong": "Misclassified short examples made of frequent words.",
    "disagreements": "Examples where the model and the baseline disagree most.",
    "baseline_per_type": "Model minus baseline with paired bootstrap 95% CIs.",
    "baseline_wins": "Rows where the baseline is significantly better.",
}

_NER_CASE_COLS = ("id", "category", "gold_text", "gold_label", "pred_text", "pred_label",
                  "pred_score", "left_context", "right_context")
_CLS_CASE_COLS = ("id", "text", "gold", "pred", "confidence", "margin")


@dataclass
class Report(Result):
    """Computed analysis (:func:`analyze_ner` / :func:`analyze_classification`): the
    result protocol (:class:`nlperr.results.Result`) with ``task`` (``"ner"`` or
    ``"classification"``).  Never prints.

    Figures: ``confusion`` (heat map), ``slices`` (worst slices with their
    intervals), ``calibration`` (reliability diagram; with probabilities) and
    ``error_categories`` (NER: categories per type).
    """

    kind: ClassVar[str] = "analysis"
    figure_specs: ClassVar[dict[str, str]] = {
        "confusion": "nlperr.report.figures:confusion_heatmap",
        "slices": "nlperr.report.figures:slice_deltas",
        "calibration": "nlperr.report.figures:reliability_diagram",
        "error_categories": "nlperr.report.figures:error_categories",
    }

    task: str = "ner"

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"nlperr analysis ({self.task})"

    # -- what the renderers show ---------------------------------------------------
    def headline(self) -> dict[str, Any]:
        s = self.summary
        o = s.get("overall") or {}
        if self.task == "ner":
            out = {"examples": s.get("n_examples"), "gold entities": s.get("n_gold"),
                   "predicted entities": s.get("n_pred"), "precision": o.get("precision"),
                   "recall": o.get("recall"), "F1 (strict, micro)": o.get("f1")}
        else:
            out = {"examples": s.get("n_examples"), "accuracy": s.get("accuracy"),
                   "macro F1": o.get("f1")}
            if "calibration" in s:
                out["ECE"] = s["calibration"].get("ece")
        if "baseline" in s:
            out["delta vs baseline"] = s["baseline"].get("delta")
        return out

    def table_notes(self) -> dict[str, str]:
        ner = self.task == "ner"
        notes = dict(_LEGEND)
        notes["scores"] = _LEGEND["scores" if ner else "scores_cls"]
        notes["confusion"] = _LEGEND["confusion" if ner else "confusion_cls"]
        if ner:
            notes["worst_slices"] = _LEGEND["worst_slices"] + _LEGEND["worst_slices_ner"]
        if "calibration" in self.summary:
            notes["calibration"] += f" ECE = {self.summary['calibration']['ece']:.3f}."
        for k in ("scores_cls", "confusion_cls", "worst_slices_ner"):
            notes.pop(k, None)
        return notes

    def report_tables(self) -> list[str]:
        t = self.tables
        names = ["scores"]
        if self.task == "ner":
            names += ["errors", "errors_by_type", "semeval", "confused_pairs"]
            names += [k for k in t if k.startswith("group_")]
        if "worst_slices" in t and len(t["worst_slices"]):
            names.append("worst_slices")
        names.append("confusion")
        if "calibration" in t:
            names.append("calibration")
        names += [k for k in ("error_cases", "high_confidence_wrong", "low_confidence_correct",
                              "easy_wrong", "disagreements", "baseline_per_type",
                              "baseline_wins") if k in t and len(t[k])]
        return [n for n in names if n in t]

    def table_view(self, name: str) -> pd.DataFrame:
        df = self.tables[name]
        ner = self.task == "ner"
        if name == "semeval" and "label" in df:
            return df[df["label"] == "overall"].drop(columns="label")
        if name == "worst_slices" and "q_value" in df:
            shown = df[df["q_value"].notna()].copy()
            score = "f1" if ner else "accuracy"
            cols = ["attribute", "value", "support"] + (["predicted"] if ner else []) + \
                [score, "delta", "ci_low", "ci_high", "q_value", "significant"]
            if ner:
                shown["main_errors"] = [_main_errors(r) for _, r in shown.iterrows()]
                cols.append("main_errors")
            return shown[[c for c in cols if c in shown]]
        if name == "calibration" and "count" in df:
            return df[df["count"] > 0]
        if name in ("error_cases", "high_confidence_wrong", "low_confidence_correct",
                    "easy_wrong"):
            cols = _NER_CASE_COLS if ner else _CLS_CASE_COLS
            return df[[c for c in cols if c in df]]
        return df

    # -- files -----------------------------------------------------------------------
    def save(self, directory: str | Path, *, formats: Sequence[str] | None = None,
             parquet: bool | None = None, html: bool = False) -> list[Path]:
        """Write the report (see :meth:`nlperr.results.Result.save`).  Default
        formats: ``json``, ``csv``, ``md``, plus ``parquet`` when pyarrow is
        importable (``parquet=False`` leaves it out, ``True`` requires it) and
        ``html`` with ``html=True``."""
        if formats is None:
            formats = ["json", "csv", "md"] + (["html"] if html else [])
            if parquet is None:
                try:
                    import pyarrow  # noqa: F401
                    parquet = True
                except ImportError:
                    parquet = False
            if parquet:
                formats.append("parquet")
        return super().save(directory, formats=formats)

    def _extra_state(self) -> dict[str, Any]:
        return {"task": self.task}

    @classmethod
    def _from_parts(cls, summary: dict[str, Any], tables: dict[str, Any],
                    findings: list[Finding], extra: dict[str, Any]) -> "Report":
        return cls(task=str(extra.get("task") or summary.get("task") or "ner"),
                   summary=summary, tables=tables, findings=findings)


def _one_undefined_warning(fn):
    """Collect the undefined-score warnings of a whole report into one W504 (and into
    ``summary["undefined"]``) instead of one W501 per table, label and schema."""
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> "Report":
        with collect_undefined() as items:
            report = fn(*args, **kwargs)
        if items:
            text = describe_undefined(items)
            report.summary["undefined"] = text
            report.summary["zero_division"] = 0.0
            warn(Warnings.W504.format(value=0.0, details=text), stacklevel=2)
        return report
    return run


def _label_mismatch_finding(labels: dict, f1: float) -> str:
    """The W511 text (warned once, and first among the findings)."""
    shown = labels["pred_only"][:6] + (["..."] if len(labels["pred_only"]) > 6 else [])
    if labels["preset"]:
        hint = (f"the shipped preset: --label-map {labels['preset']} (Python: "
                f"label_map={labels['preset']!r})")
    else:
        mapping = json.dumps(labels["suggested_map"] or {shown[0]: "GOLD_LABEL"},
                             ensure_ascii=False)
        hint = (f"e.g. --label-map '{mapping}' --unmapped drop (Python: "
                f"label_map={mapping}, unmapped='drop')")
    return Warnings.W511.format(
        share=labels["share_pred_unknown"], npred=labels["n_pred"],
        pred_only=", ".join(shown), gold_only=", ".join(labels["gold_only"]) or "none",
        f1=f1, hint=hint)


def _ner_overview(counts: pd.DataFrame, scores: pd.DataFrame, n_gold: int,
                  n_pred: int) -> list[str]:
    """Findings: where the errors are (largest categories) and the weakest type."""
    out = []
    c = counts.set_index("category")
    errs = []
    for cat in CATEGORIES[1:]:
        g, p = int(c.loc[cat, "gold"]), int(c.loc[cat, "pred"])
        if cat == "spurious":
            n, base, what = p, n_pred, "predictions"
        else:
            n, base, what = g, n_gold, "gold entities"
        if n:
            errs.append((n / base if base else 0.0, cat, n, base, what))
    errs.sort(reverse=True)
    if errs:
        parts = [f"{cat} ({n} of {base} {what}, {share:.0%})"
                 for share, cat, n, base, what in errs[:3]]
        out.append("Largest error categories: " + ", ".join(parts) + ".")
    per = scores[~scores["label"].str.endswith(" avg") & (scores["support"] >= 10)]
    if len(per) >= 2:
        w = per.sort_values(["f1", "support"], ascending=[True, False], kind="mergesort").iloc[0]
        out.append(f"Weakest type with at least 10 gold entities: {w['label']} (F1 "
                   f"{w['f1']:.2f}, precision {w['precision']:.2f}, recall {w['recall']:.2f}, "
                   f"{int(w['support'])} gold / {int(w['predicted'])} predicted).")
    return out


def _errors_by_type(errors: pd.DataFrame) -> pd.DataFrame:
    """Rows of the entity-error table per type (gold type, else predicted type) and
    category: columns ``label``, one per category (in :data:`CATEGORIES` order, those
    that occur), ``total``; types by total, largest first."""
    if not len(errors):
        return pd.DataFrame(columns=["label", "total"])
    label = errors["gold_label"].where(errors["gold_label"] != "", errors["pred_label"])
    cat = errors["category"].astype(str)
    tab = pd.crosstab(label.to_numpy(), cat.to_numpy())
    cols = [c for c in CATEGORIES if c in tab.columns]
    tab = tab[cols].astype("int64")
    tab["total"] = tab.sum(axis=1)
    tab = tab.sort_values("total", ascending=False, kind="stable")
    tab.index.name = "label"
    tab.columns.name = None
    return tab.reset_index()


def _error_cases(errors: pd.DataFrame, k: int) -> pd.DataFrame:
    """The first *k* rows of each error category (table order), interleaved: the first
    of every category, then the second... (so a short view shows every category)."""
    if not len(errors):
        return errors.iloc[:0].reset_index(drop=True)
    cat = errors["category"].astype(str)
    wrong = errors[cat != "correct"]
    rank = wrong.groupby(cat[cat != "correct"], sort=False).cumcount()
    keep = wrong[rank < k]
    order = pd.DataFrame({"rank": rank[rank < k].to_numpy(),
                          "cat": [CATEGORIES.index(c) for c in keep["category"].astype(str)],
                          "pos": range(len(keep))})
    idx = order.sort_values(["rank", "cat", "pos"], kind="stable").index
    return keep.iloc[idx].reset_index(drop=True)


def _ner_count_summary(t: dict[str, pd.DataFrame], n_examples: int, n_gold: int,
                       n_pred: int, n_ignored: int) -> dict[str, Any]:
    """The summary entries that come from the corpus-level count tables (*t*: those of
    :meth:`NerCounts.tables`), shared by :func:`analyze_ner` and
    :func:`analyze_ner_stream`."""
    scores, counts, sem = t["scores"], t["errors"], t["semeval"]
    sidx = scores.set_index("label")
    per_type = {lab: {**_prf_dict(sidx.loc[lab]), "support": int(sidx.loc[lab, "support"])}
                for lab in scores["label"] if not lab.endswith(" avg")}
    semd = {}
    ov = sem[sem["label"] == "overall"].set_index("schema")
    for schema in SEMEVAL_SCHEMAS:
        r = ov.loc[schema]
        semd[schema] = {**{k: int(r[k]) for k in SEMEVAL_COUNTS}, **_prf_dict(r)}
    return {
        "task": "ner", "n_examples": n_examples, "n_gold": n_gold, "n_pred": n_pred,
        "n_ignored": n_ignored,
        "overall": _prf_dict(sidx.loc["micro avg"]),
        "macro": _prf_dict(sidx.loc["macro avg"]),
        "per_type": per_type,
        "errors": {c: int(v) for c, v in zip(counts["category"], counts["rows"])},
        "errors_gold": {c: int(v) for c, v in zip(counts["category"], counts["gold"])},
        "errors_pred": {c: int(v) for c, v in zip(counts["category"], counts["pred"])},
        "semeval": semd,
    }


def _prf_dict(row) -> dict:
    return {"precision": float(row["precision"]), "recall": float(row["recall"]),
            "f1": float(row["f1"])}


def _add_baseline(cmp: Any, metric: str, summary: dict[str, Any],
                  tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Put a baseline comparison's tables and overall numbers into the report; return
    the overall row (model, baseline, delta, ci_low, ci_high)."""
    tables["baseline_outcomes"] = cmp.outcomes
    tables["baseline_per_type"] = cmp.per_type
    tables["baseline_per_slice"] = cmp.per_slice
    tables["baseline_wins"] = cmp.baseline_wins
    overall = cmp.per_type.set_index("label").loc["overall"]
    summary["baseline"] = {"outcomes": cmp.counts(), "mcnemar": cmp.mcnemar,
                           f"{metric}_model": float(overall["model"]),
                           f"{metric}_baseline": float(overall["baseline"]),
                           "delta": float(overall["delta"]),
                           "ci_low": float(overall["ci_low"]),
                           "ci_high": float(overall["ci_high"])}
    return overall


@_one_undefined_warning
def analyze_ner(gold: Sequence[Example], pred: Sequence[Example], *,
                train: Sequence[Example] | None = None,
                baseline: Sequence[Example] | None = None,
                groups: Sequence[str | Sequence[str]] = (),
                slices: Sequence[str] | None = None, n_boot: int = 1000, seed: int = 0,
                context: int = 5, top: int = 10, zero_division: object = "warn") -> Report:
    """Run the whole NER analysis once and return a :class:`Report`.

    Parameters
    ----------
    gold, pred : sequence of Example
    train : optional
        Training examples (train-based slice attributes).
    baseline : optional
        Baseline predictions on the same examples.
    groups : sequence
        Label groups (lists or globs such as ``"DATE_*"``) for
        :func:`~nlperr.analysis.label_group_analysis`.
    slices : sequence of str, optional
        Slice attributes (default: :func:`~nlperr.analysis.slices.default_slices` —
        the documented default set, plus the train-based ones when *train* is given;
        never attributes registered elsewhere, so the same call gives the same tables
        in any process).  ``summary["slice_attributes"]`` lists those used.  Pass
        ``()`` to skip the slice search.
    n_boot, seed : bootstrap settings; ``context``: context window in tokens;
    top : rows in ranked tables; ``zero_division``: as in :func:`ner_scores`.

    Returns
    -------
    Report
        Tables: ``scores``, ``errors`` (counts), ``entity_errors``, ``errors_by_type``
        (rows per type and category), ``error_cases`` (errors of each category in
        context), ``semeval``,
        ``confusion``, ``confusion_exact``, ``confusion_normalized``,
        ``confused_pairs``, ``worst_slices``, ``low_confidence_correct``,
        ``high_confidence_wrong``; with a baseline ``baseline_outcomes``,
        ``baseline_per_type``, ``baseline_per_slice``, ``baseline_wins``,
        ``disagreements``; per group ``group_<i>_merge`` / ``_cues`` / ``_by_cue``.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    >>> p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-PER"])]
    >>> r = analyze_ner(g, p, n_boot=0, slices=(), zero_division=0)
    >>> r.summary["errors"]["type"], round(r.summary["overall"]["f1"], 2)
    (1, 0.5)
    """
    zero_division = check_zero_division(zero_division)
    gold, pred = list(gold), list(pred)
    flat = flatten_pair(gold, pred)
    tax = taxonomy(flat)
    slices = default_slices("ner", train=train is not None) if slices is None else list(slices)
    # the slice tables (their bootstrap is most of the work, and numpy runs it without
    # the GIL) are computed on a second thread while this one makes the other tables
    worst = None
    if len(slices):
        token_arrays(flat, gold)  # caches both threads read: made once, before the thread
        entity_texts(flat, gold)
        worst = Background(_worst_tables, gold, pred, "ner", slices, train, n_boot, seed,
                            tax=tax)
    # the corpus-level counts go through the mergeable partials (map -> finalize), so a
    # sharded run (nlperr.analysis.partial) gives these very tables
    t = NerCounts.from_taxonomy(tax, gold).tables(zero_division=zero_division)
    scores, counts, sem = t["scores"], t["errors"], t["semeval"]
    conf, conf_exact, conf_norm = t["confusion"], t["confusion_exact"], t["confusion_normalized"]
    pairs = pairs_from_taxonomy(tax, gold, top=None)
    errors = taxonomy_frame(tax, gold, context=context)
    tables: dict[str, pd.DataFrame] = {
        "scores": scores, "errors": counts, "entity_errors": errors, "semeval": sem,
        "confusion": conf, "confusion_exact": conf_exact, "confusion_normalized": conf_norm,
        "confused_pairs": pairs,
    }
    summary = _ner_count_summary(t, flat.n_examples, len(flat.gold), len(flat.pred),
                                 flat.n_ignored)
    summary["confused_pairs"] = [{"gold": r.gold, "pred": r.pred, "count": int(r.count)}
                                 for r in pairs.head(top).itertuples(index=False)]
    findings: list[Any] = _ner_overview(counts, scores, len(flat.gold), len(flat.pred))
    labels = label_set_mismatch(gold, pred, confusion=conf)
    summary["label_sets"] = labels
    if labels is not None and labels["mismatch"]:
        findings.insert(0, Finding(_label_mismatch_finding(labels, summary["overall"]["f1"]),
                                   metric="share_pred_unknown",
                                   value=labels["share_pred_unknown"], threshold=0.5,
                                   severity="critical"))
    n_slice_findings = 0
    summary["slice_attributes"] = slices
    # the tables that do not need the slices, made while the slice thread still runs
    by_type, error_cases = _errors_by_type(errors), _error_cases(errors, top)
    cases = ner_cases(gold, pred, baseline=baseline, k=top, errors=errors)
    if worst is not None:
        ws = _rank_slices(worst.result(), 0.05, 10)
        tables["worst_slices"] = ws
        if len(ws):
            sig = ws[ws["significant"]]
            summary["worst_slices"] = [
                {"attribute": r.attribute, "value": r.value, "support": int(r.support),
                 "f1": float(r.f1), "delta": float(r.delta), "q_value": float(r.q_value)}
                for r in sig.head(top).itertuples(index=False)]
            for r in sig.head(3).itertuples(index=False):
                n_slice_findings += 1
                ci = (f" (95% CI of the difference {r.ci_low:.2f} to {r.ci_high:.2f})"
                      if np.isfinite(r.ci_low) and np.isfinite(r.ci_high) else "")
                findings.append(Finding(
                    f"F1 is {r.f1:.2f} for {r.attribute} = {r.value} ({r.support} entities), "
                    f"{-r.delta:.2f} below overall{ci}.", metric="q_value", value=float(r.q_value),
                    threshold=0.05, severity="warning"))
    tables["errors_by_type"] = by_type
    tables["error_cases"] = error_cases
    tables.update(cases)
    if len(pairs):
        r = pairs.iloc[0]
        ex = r["examples"].split(" | ")[:2] if r["examples"] else []
        findings.insert(len(findings) - n_slice_findings,
                        f"Most frequent type confusion: gold {r['gold']} predicted as "
                        f"{r['pred']} ({int(r['count'])} times, {r['share_of_gold']:.0%} of the "
                        f"gold {r['gold']} entities" +
                        (f"; e.g. {', '.join(repr(x) for x in ex)}" if ex else "") + ").")
    summary["groups"] = {}
    for i, grp in enumerate(groups):
        res = label_group_analysis(gold, pred, grp)
        key = grp if isinstance(grp, str) else "|".join(grp)
        summary["groups"][key] = {"labels": res.labels, "finding": res.finding,
                                  "merge": res.merge.to_dict("records")}
        tables[f"group_{i}_merge"] = res.merge
        tables[f"group_{i}_cues"] = res.cues
        tables[f"group_{i}_by_cue"] = res.by_cue
        findings.append(res.finding)
    if baseline is not None:
        cmp = compare_ner(gold, pred, baseline, train=train, n_boot=n_boot, seed=seed)
        overall = _add_baseline(cmp, "f1", summary, tables)
        findings.append(f"Against the baseline, F1 changes by {overall['delta']:+.3f} "
                        f"(95% CI {overall['ci_low']:+.3f} to {overall['ci_high']:+.3f}); "
                        f"{cmp.mcnemar['fixed']} entities fixed, {cmp.mcnemar['broken']} broken "
                        f"(McNemar p = {cmp.mcnemar['p_value']:.3g}).")
    summary["findings"] = [str(f) for f in findings]
    if labels is not None and labels["mismatch"]:
        warn(str(findings[0]), stacklevel=2)
    return Report(task="ner", summary=summary, tables=tables, findings=findings)


def _uneven(n_gold: int, n_pred: int) -> InputError:
    """E501: the gold and predicted streams ended at different lengths (for lockstep)."""
    return InputError(Errors.E501.format(ngold=n_gold, npred=n_pred))


def _stream_counts(cls: Any, gold: Iterable[Example], pred: Iterable[Example],
                   streams: tuple[type, ...], where: str, *, chunk_size: int, engine: str,
                   address: str | None, workers: int | None, progress: bool | None,
                   **options: Any) -> Any:
    """The counts (*cls*, with its *options*) of two aligned streams.  With
    ``engine="ray"`` and two file streams of one of the *streams* types, the workers read
    their own byte ranges of the files; otherwise (or when the files cannot be cut so)
    chunks of examples are counted here or shipped to Ray.  E511 when there is none."""
    counts = None
    if engine == "ray" and isinstance(gold, streams) and type(gold) is type(pred):
        from ..engine.distributed import check_engine

        check_engine(engine, address, workers)  # the workers read their own byte ranges
        counts = ray_range_counts(gold, pred, chunk_size=chunk_size, address=address,
                                  workers=workers, progress=progress, cls=cls,
                                  options=options)
    if counts is None:
        counts = cls.from_stream(lockstep(gold, pred, _uneven), chunk_size=chunk_size,
                                 engine=engine, address=address, workers=workers,
                                 progress=progress, **options)
    if not counts.n_examples:
        raise InputError(Errors.E511.format(where=where))
    return counts


@_one_undefined_warning
def analyze_ner_stream(gold: Iterable[Example], pred: Iterable[Example], *,
                       chunk_size: int = 10_000, zero_division: object = "warn",
                       engine: str = "local", address: str | None = None,
                       workers: int | None = None, progress: bool | None = None) -> Report:
    """The corpus-level NER tables of two aligned streams, in flat memory.

    *gold* and *pred* are iterables of examples in the same order (``iter_conll``,
    ``iter_jsonl``): they are read *chunk_size* pairs at a time, each chunk counted
    with :meth:`NerCounts.from_examples` and merged, so memory stays that of one
    chunk whatever the corpus size.  The tables are those of :func:`analyze_ner`
    that reduce to counts -- ``scores``, ``errors``, ``semeval``, ``confusion``,
    ``confusion_exact``, ``confusion_normalized`` -- equal to its tables on the
    same data (tested); the per-entity table, slices, bootstrap intervals and cases
    need the whole corpus and are not computed (``summary["streamed"]`` is True).
    ``engine="ray"`` counts each chunk in a Ray task (*address*, *workers*: see
    ``docs/scale.md``) and merges the counts in input order: the same report.  Given
    two :class:`~nlperr.io.ConllStream` s with the same line structure, or two
    :class:`~nlperr.io.JsonlStream` s, the workers read and parse their own byte
    ranges of the files.
    *progress*: a bar of the examples counted (None: when stderr is a terminal).
    CLI: ``nlperr analyze ner --stream [--engine ray]``.

    >>> from nlperr.data import Example
    >>> g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"])] * 3
    >>> p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "O"])] * 3
    >>> r = analyze_ner_stream(iter(g), iter(p), chunk_size=2, zero_division=0)
    >>> r.summary["overall"]["f1"], r.summary["n_examples"], sorted(r.tables)[:2]
    (0.6666666666666666, 3, ['confusion', 'confusion_exact'])
    """
    from ..io._conll import ConllStream
    from ..io._jsonl import JsonlStream

    counts = _stream_counts(NerCounts, gold, pred, (ConllStream, JsonlStream),
                            "analyze_ner_stream", chunk_size=chunk_size, engine=engine,
                            address=address, workers=workers, progress=progress)
    t = counts.tables(zero_division=zero_division)
    summary = _ner_count_summary(t, counts.n_examples, counts.n_gold, counts.n_pred,
                                 counts.n_ignored)
    summary["streamed"] = True
    findings: list[Any] = _ner_overview(t["errors"], t["scores"], counts.n_gold,
                                        counts.n_pred)
    summary["findings"] = [str(f) for f in findings]
    return Report(task="ner", summary=summary, tables=t, findings=findings)


def _cls_count_summary(tables: dict[str, pd.DataFrame], n_examples: int, calib: Any,
                       top: int) -> tuple[dict[str, Any], list[Any]]:
    """The summary and findings of a classification analysis that follow from its
    count tables (``scores``, ``confusion``, ``calibration``) and calibration counts:
    shared by :func:`analyze_classification` and :func:`analyze_classification_stream`."""
    scores, conf = tables["scores"], tables["confusion"]
    sidx = scores.set_index("label")
    per_class = {lab: {**_prf_dict(sidx.loc[lab]), "support": int(sidx.loc[lab, "support"])}
                 for lab in scores["label"] if lab not in ("accuracy", "macro avg",
                                                           "weighted avg")}
    off = conf.stack()
    off = off[[g != p for g, p in off.index]]
    off = off[off > 0].sort_values(ascending=False, kind="mergesort")
    summary: dict[str, Any] = {
        "task": "classification", "n_examples": n_examples,
        "accuracy": float(sidx.loc["accuracy", "f1"]),
        "overall": _prf_dict(sidx.loc["macro avg"]),
        "weighted": _prf_dict(sidx.loc["weighted avg"]),
        "per_class": per_class,
        "confused_pairs": [{"gold": g, "pred": p, "count": int(c)}
                           for (g, p), c in off.head(top).items()],
    }
    findings: list[Any] = []
    per = scores[~scores["label"].isin(["accuracy", "macro avg", "weighted avg"])]
    if len(per) >= 2:
        w = per.sort_values(["f1", "support"], ascending=[True, False], kind="mergesort").iloc[0]
        findings.append(f"Weakest class: {w['label']} (F1 {w['f1']:.2f}, precision "
                        f"{w['precision']:.2f}, recall {w['recall']:.2f}, {int(w['support'])} "
                        f"examples).")
    if len(off):
        (g0, p0), c0 = next(iter(off.items()))
        ng0 = int(conf.loc[g0].sum())
        findings.append(f"Most frequent confusion: gold {g0} predicted as {p0} ({int(c0)} "
                        f"times, {c0 / ng0:.0%} of the gold {g0} examples).")
    cal = tables.get("calibration")
    if cal is not None:
        ece, n_bins = cal.attrs["ece"], len(cal)
        summary["calibration"] = {"ece": ece, "n_bins": n_bins}
        ok = cal["count"] > 0
        gap = float((cal.loc[ok, "gap"] * cal.loc[ok, "count"]).sum() / cal.loc[ok, "count"].sum()) \
            if ok.any() else float("nan")
        direction = ("over-confident (confidence above accuracy)" if gap < 0 else
                     "under-confident (accuracy above confidence)")
        findings.append(f"Expected calibration error {ece:.3f} over {n_bins} bins; on average the "
                        f"model is {direction} by {abs(gap):.2f}.")
        if calib.confident_wrong:
            findings.append(f"{calib.confident_wrong} wrong prediction(s) with confidence >= 0.9 "
                            f"(see high_confidence_wrong).")
    return summary, findings


@_one_undefined_warning
def analyze_classification(gold: Sequence[Example], pred: Sequence[Example], *,
                           train: Sequence[Example] | None = None,
                           baseline: Sequence[Example] | None = None,
                           slices: Sequence[str] | None = None, n_bins: int = 10,
                           n_boot: int = 1000, seed: int = 0, top: int = 10,
                           zero_division: object = "warn") -> Report:
    """Run the whole classification analysis once and return a :class:`Report`.

    Tables: ``scores``, ``confusion``, ``confusion_normalized``, ``calibration``,
    ``examples`` (per-example outcomes), ``worst_slices``, ``low_confidence_correct``,
    ``high_confidence_wrong``, ``easy_wrong``; with a baseline ``baseline_outcomes``,
    ``baseline_per_type``, ``baseline_per_slice``, ``baseline_wins``, ``disagreements``.

    Examples
    --------
    >>> from nlperr.data import Example
    >>> g = [Example("good", label="pos"), Example("bad", label="neg")]
    >>> p = [Example("good", label="pos"), Example("bad", label="pos")]
    >>> analyze_classification(g, p, n_boot=0, slices=(), zero_division=0).summary["accuracy"]
    0.5
    """
    zero_division = check_zero_division(zero_division)
    gold, pred = list(gold), list(pred)
    if not gold and not pred:
        raise InputError(Errors.E511.format(where="analyze_classification"))
    ca = class_arrays(gold, pred)
    scores = scores_from_arrays(ca, zero_division=zero_division)
    conf = confusion_from_arrays(ca)
    conf_n = confusion_from_arrays(ca, normalize="true")
    outcomes = outcomes_from_arrays(ca, gold, train=train)
    tables: dict[str, pd.DataFrame] = {"scores": scores, "confusion": conf,
                                       "confusion_normalized": conf_n, "examples": outcomes}
    calib = None
    if ca.probs is not None:
        calib = calibration_counts(ca, n_bins)  # validates n_bins (E508)
        calib.warn_missing()
        tables["calibration"] = calib.table()[0]
    summary, findings = _cls_count_summary(tables, len(gold), calib, top)
    slices = (default_slices("classification", train=train is not None) if slices is None
              else list(slices))
    summary["slice_attributes"] = slices
    if len(slices):
        ws = worst_slices(gold, pred, attributes=slices, train=train, task="classification",
                          n_boot=n_boot, seed=seed)
        tables["worst_slices"] = ws
        if len(ws):
            sig = ws[ws["significant"]]
            summary["worst_slices"] = [
                {"attribute": r.attribute, "value": r.value, "support": int(r.support),
                 "accuracy": float(r.accuracy), "delta": float(r.delta),
                 "q_value": float(r.q_value)} for r in sig.head(top).itertuples(index=False)]
            for r in sig.head(3).itertuples(index=False):
                findings.append(Finding(
                    f"Accuracy is {r.accuracy:.2f} for {r.attribute} = {r.value} "
                    f"({r.support} examples), {-r.delta:.2f} below overall.",
                    metric="q_value", value=float(r.q_value), threshold=0.05,
                    severity="warning"))
    tables.update(classification_cases(gold, pred, baseline=baseline, train=train, k=top,
                                       outcomes=outcomes))
    n_easy = int((outcomes["easy"] & ~outcomes["correct"]).sum())
    if n_easy:
        findings.append(f"{n_easy} easy example(s) (short, frequent words) are misclassified.")
    if baseline is not None:
        cmp = compare_classification(gold, pred, baseline, train=train, n_boot=n_boot, seed=seed)
        _add_baseline(cmp, "accuracy", summary, tables)
    summary["findings"] = [str(f) for f in findings]
    return Report(task="classification", summary=summary, tables=tables,
                  findings=findings)


@_one_undefined_warning
def analyze_classification_stream(gold: Iterable[Example], pred: Iterable[Example], *,
                                  n_bins: int = 10, chunk_size: int = 10_000,
                                  zero_division: object = "warn", engine: str = "local",
                                  address: str | None = None,
                                  workers: int | None = None,
                                  progress: bool | None = None) -> Report:
    """The corpus-level classification tables of two aligned streams, in flat memory.

    *gold* and *pred* are iterables of examples in the same order (``iter_jsonl``,
    ``iter_csv``): they are read *chunk_size* pairs at a time, each chunk counted with
    :meth:`ClassCounts.from_examples` and merged, so memory stays that of one chunk
    whatever the corpus size.  The tables are those of
    :func:`analyze_classification` that reduce to counts -- ``scores``,
    ``confusion``, ``confusion_normalized`` and, when the predictions carry
    probabilities, ``calibration`` (its bins' mean confidences are exact sums, so
    every number equals the whole run's) -- with the same summary and count
    findings; the per-example table, slices, bootstrap intervals and cases need the
    whole corpus and are not computed (``summary["streamed"]`` is True).
    ``engine="ray"`` counts each chunk in a Ray task and merges the counts in input
    order: the same report; given two :class:`~nlperr.io.JsonlStream` s or two
    :class:`~nlperr.io.CsvStream` s, the workers read and parse their own byte ranges
    of the files.  CLI: ``nlperr analyze classification --stream [--engine ray]``.

    >>> from nlperr.data import Example
    >>> g = [Example("good", label="pos"), Example("bad", label="neg")] * 3
    >>> p = [Example("good", label="pos", probs={"pos": 0.9, "neg": 0.1}),
    ...      Example("bad", label="pos", probs={"pos": 0.6, "neg": 0.4})] * 3
    >>> r = analyze_classification_stream(iter(g), iter(p), chunk_size=4, zero_division=0)
    >>> r.summary["accuracy"], r.summary["n_examples"], round(r.summary["calibration"]["ece"], 2)
    (0.5, 6, 0.35)
    """
    from ..io._jsonl import JsonlStream
    from ..io._tabular import CsvStream

    zero_division = check_zero_division(zero_division)
    counts = _stream_counts(ClassCounts, gold, pred, (JsonlStream, CsvStream),
                            "analyze_classification_stream", chunk_size=chunk_size,
                            engine=engine, address=address, workers=workers,
                            progress=progress, n_bins=n_bins)
    t = counts.tables(zero_division=zero_division)
    summary, findings = _cls_count_summary(t, counts.n_examples, counts.calibration, 10)
    summary["streamed"] = True
    summary["findings"] = [str(f) for f in findings]
    return Report(task="classification", summary=summary, tables=t, findings=findings)
