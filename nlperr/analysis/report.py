"""One-call analyses that compute everything once and render it many ways.

:func:`analyze_ner` / :func:`analyze_classification` return a report object
holding ``summary`` (a JSON-ready dict with stable keys) and ``tables`` (named
DataFrames).  Render with :meth:`Report.to_json`, :meth:`Report.to_markdown`,
or write everything with :meth:`Report.save` (``summary.json``,
``summary.md``, ``<table>.csv`` and ``<table>.parquet`` when pyarrow is
importable).

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
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data import Example
from ..errors import Warnings, warn
from ._arrays import flatten_pair
from ._stats import check_zero_division, collect_undefined, describe_undefined
from .cases import classification_cases, ner_cases
from .classification import (calibration_from_arrays, class_arrays, confusion_from_arrays,
                             outcomes_from_arrays, scores_from_arrays)
from .compare import compare_classification, compare_ner
from .confusion import confusion_from_taxonomy, label_group_analysis, pairs_from_taxonomy
from .matching import CATEGORIES, counts_from_taxonomy, taxonomy, taxonomy_frame
from .metrics import SEMEVAL_COUNTS, SEMEVAL_SCHEMAS, scores_from_flat, semeval_from_flat
from .slices import _rank_slices, _worst_tables, worst_slices

__all__ = ["Report", "analyze_ner", "analyze_classification"]


def _clean(x: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        x = float(x)
        return None if math.isnan(x) or math.isinf(x) else x
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _md_table(df: pd.DataFrame, max_rows: int = 20, floatfmt: str = ".3f",
              more: str = "in the CSV file") -> str:
    if df is None or len(df) == 0:
        return "_(empty)_\n"
    if df.index.name is not None or df.columns.name is not None:
        name = df.index.name or ""
        if df.columns.name:
            name = f"{name} \\ {df.columns.name}" if name else df.columns.name
        df = df.reset_index()
        df.columns = [name or "", *[str(c) for c in df.columns[1:]]]
    else:
        df = df.reset_index(drop=True)
    d = df.head(max_rows)
    cols = [str(c) for c in d.columns]

    def cell(v):
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else ""
        if isinstance(v, (float, np.floating)):
            return "" if math.isnan(v) else format(v, floatfmt)
        s = str(v).replace("|", "\\|").replace("\n", " ")
        return s if len(s) <= 60 else s[:57] + "..."
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in d.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    if len(df) > max_rows:
        lines.append(f"\n_{len(df) - max_rows} more rows {more}._")
    return "\n".join(lines) + "\n"


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
    "semeval": "SemEval-2013 schemas, counts as nervaluate: `strict` exact boundaries and "
               "type, `exact` exact boundaries, `partial` any overlap (counts half), `type` "
               "any overlap with the right type.",
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
    "calibration": "Equal-width confidence bins; `gap` = accuracy - confidence (negative: "
                   "over-confident).",
    "high_confidence_wrong": "Wrong predictions with the highest scores.",
    "low_confidence_correct": "Correct predictions with the lowest scores.",
    "easy_wrong": "Misclassified short examples made of frequent words.",
    "disagreements": "Examples where the model and the baseline disagree most.",
    "baseline_per_type": "Model minus baseline with paired bootstrap 95% CIs.",
    "baseline_wins": "Rows where the baseline is significantly better.",
}


def _section(out: list[str], title: str, body: str, legend: str | None = None) -> None:
    out.append(f"## {title}\n")
    if legend:
        out.append(f"{legend}\n")
    out.append(body)


@dataclass
class Report:
    """Computed analysis: a summary dict and named tables.  Never prints."""

    task: str
    summary: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)

    def to_json(self, **kwargs: Any) -> str:
        """The summary as JSON text."""
        kwargs.setdefault("indent", 2)
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(_clean(self.summary), **kwargs)

    def to_dict(self) -> dict:
        return _clean(self.summary)

    def to_markdown(self, *, max_rows: int = 20) -> str:
        """A readable Markdown report: overview and findings first, then the main tables
        (each with a one-line legend); every table is complete in its CSV file."""
        s = self.summary
        t = self.tables
        out = [f"# nlperr analysis ({self.task})\n"]
        ner = self.task == "ner"
        if ner:
            o = s["overall"]
            out.append(f"{s['n_examples']} examples, {s['n_gold']} gold and {s['n_pred']} "
                       f"predicted entities. Strict micro precision / recall / F1: "
                       f"**{o['precision']:.3f} / {o['recall']:.3f} / {o['f1']:.3f}**.\n")
        else:
            out.append(f"{s['n_examples']} examples. Accuracy **{s['accuracy']:.3f}**, macro "
                       f"F1 **{s['overall']['f1']:.3f}**.\n")
        if s.get("undefined"):
            out.append(f"_Undefined scores ({s['undefined']}) are shown as "
                       f"{s.get('zero_division', 0.0)}._\n")
        if self.findings:
            _section(out, "Findings", "\n".join(f"- {f}" for f in self.findings) + "\n")
        if "scores" in t:
            _section(out, "Scores", _md_table(t["scores"], 40),
                     _LEGEND["scores" if ner else "scores_cls"])
        if ner and "errors" in t:
            _section(out, "Error categories", _md_table(t["errors"]), _LEGEND["errors"])
        if ner and "semeval" in t:
            sem = t["semeval"]
            ov = sem[sem["label"] == "overall"].drop(columns="label")
            body = _md_table(ov)
            per = sem[sem["label"] != "overall"]
            if len(per):
                piv = per.pivot(index="label", columns="schema", values="f1")
                piv = piv[[c for c in ("strict", "exact", "partial", "type") if c in piv]]
                piv.columns = [f"f1 {c}" for c in piv.columns]
                piv.columns.name = None
                body += "\nF1 per type (counts per type in `semeval.csv`):\n\n" + \
                    _md_table(piv, 40)
            _section(out, "SemEval-2013 schemas", body, _LEGEND["semeval"])
        if "confused_pairs" in t and ner:
            _section(out, "Most confused types", _md_table(t["confused_pairs"], 10),
                     _LEGEND["confused_pairs"])
        for key in [k for k in t if k.startswith("group_") and k.endswith("_merge")]:
            i = key.split("_")[1]
            name = list(s.get("groups", {}))[int(i)] if s.get("groups") else i
            finding = s["groups"][name]["finding"] if s.get("groups") else ""
            body = f"{finding}\n\n" + _md_table(t[key]) + "\nTop context cues:\n\n" + \
                _md_table(t[f"group_{i}_cues"]) + "\nErrors by cue presence:\n\n" + \
                _md_table(t[f"group_{i}_by_cue"])
            _section(out, f"Label group {name}", body)
        if "worst_slices" in t and len(t["worst_slices"]):
            ws = t["worst_slices"]
            shown = ws[ws["q_value"].notna()].copy()
            score = "f1" if ner else "accuracy"
            cols = ["attribute", "value", "support"] + (["predicted"] if ner else []) + \
                [score, "delta", "ci_low", "ci_high", "q_value", "significant"]
            if ner:
                shown["main_errors"] = [_main_errors(r) for _, r in shown.iterrows()]
                cols.append("main_errors")
            _section(out, "Worst slices", _md_table(shown[cols], 15),
                     _LEGEND["worst_slices"] + (_LEGEND["worst_slices_ner"] if ner else ""))
        if "confusion" in t:
            _section(out, "Confusion matrix", _md_table(t["confusion"], 30),
                     _LEGEND["confusion" if ner else "confusion_cls"])
        if "calibration" in t:
            cal = t["calibration"]
            _section(out, "Calibration", _md_table(cal[cal["count"] > 0]),
                     _LEGEND["calibration"] + f" ECE = {s['calibration']['ece']:.3f}.")
        cases = [k for k in ("high_confidence_wrong", "low_confidence_correct", "easy_wrong",
                             "disagreements") if k in t]
        no_scores = []
        for name in cases:
            df = t[name]
            if not len(df):
                if name in ("high_confidence_wrong", "low_confidence_correct"):
                    no_scores.append(name)
                continue
            if ner and name != "disagreements":
                df = df[[c for c in ("id", "category", "gold_text", "gold_label", "pred_text",
                                     "pred_label", "pred_score", "left_context",
                                     "right_context") if c in df]]
            elif not ner and name != "disagreements":
                df = df[[c for c in ("id", "text", "gold", "pred", "confidence", "margin")
                         if c in df]]
            _section(out, name.replace("_", " ").capitalize(), _md_table(df, 10),
                     _LEGEND.get(name))
        if no_scores:
            out.append(f"_No {' / '.join(n.replace('_', ' ') for n in no_scores)} table: the "
                       f"predictions carry no scores._\n")
        if "baseline" in s:
            for name in ("baseline_per_type", "baseline_wins"):
                if name in t:
                    _section(out, name.replace("_", " ").capitalize(), _md_table(t[name]),
                             _LEGEND.get(name))
        out.append("## Files\n")
        out.append("`summary.json` (this summary as data) and one CSV per table: " +
                   ", ".join(f"`{n}`" for n in t) + ".\n")
        return "\n".join(out)

    def save(self, directory: str | Path, *, parquet: bool | None = None) -> list[Path]:
        """Write ``summary.json``, ``summary.md`` and every table as CSV (and Parquet).

        ``parquet=None`` writes Parquet when pyarrow is importable.  Returns the
        written paths.
        """
        from ..io._atomic import atomic_output, atomic_write_text

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        written = []
        written.append(atomic_write_text(d / "summary.json", self.to_json() + "\n"))
        written.append(atomic_write_text(d / "summary.md", self.to_markdown()))
        if parquet is None:
            try:
                import pyarrow  # noqa: F401
                parquet = True
            except ImportError:
                parquet = False
        for name, df in self.tables.items():
            written.append(atomic_write_text(d / f"{name}.csv", df.to_csv(
                index=isinstance(df.index, pd.Index) and df.index.name is not None,
                lineterminator="\n")))
            if parquet:
                q = d / f"{name}.parquet"
                frame = df.reset_index() if df.index.name is not None else df
                frame = frame.copy()
                for c in frame.columns:
                    if frame[c].dtype == object:
                        frame[c] = frame[c].astype(str)
                frame.columns = [str(c) for c in frame.columns]
                with atomic_output(q) as tmp:
                    frame.to_parquet(tmp, index=False)
                written.append(q)
        return written


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
        Slice attributes (default: all registered NER attributes that apply).
        Pass ``()`` to skip the slice search.
    n_boot, seed : bootstrap settings; ``context``: context window in tokens;
    top : rows in ranked tables; ``zero_division``: as in :func:`ner_scores`.

    Returns
    -------
    Report
        Tables: ``scores``, ``errors`` (counts), ``entity_errors``, ``semeval``,
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
    scores = scores_from_flat(flat, tax.pairs, zero_division=zero_division)
    counts = counts_from_taxonomy(tax)
    sem = semeval_from_flat(flat, gold, zero_division=zero_division)
    conf = confusion_from_taxonomy(tax, "overlap")
    conf_exact = confusion_from_taxonomy(tax, "exact")
    conf_norm = conf.div(conf.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    pairs = pairs_from_taxonomy(tax, gold, top=None)
    errors = taxonomy_frame(tax, gold, context=context)
    tables: dict[str, pd.DataFrame] = {
        "scores": scores, "errors": counts, "entity_errors": errors, "semeval": sem,
        "confusion": conf, "confusion_exact": conf_exact, "confusion_normalized": conf_norm,
        "confused_pairs": pairs,
    }
    sidx = scores.set_index("label")
    per_type = {lab: {**_prf_dict(sidx.loc[lab]), "support": int(sidx.loc[lab, "support"])}
                for lab in scores["label"] if not lab.endswith(" avg")}
    semd = {}
    ov = sem[sem["label"] == "overall"].set_index("schema")
    for schema in SEMEVAL_SCHEMAS:
        r = ov.loc[schema]
        semd[schema] = {**{k: int(r[k]) for k in SEMEVAL_COUNTS}, **_prf_dict(r)}
    summary: dict[str, Any] = {
        "task": "ner", "n_examples": flat.n_examples, "n_gold": len(flat.gold),
        "n_pred": len(flat.pred), "n_ignored": flat.n_ignored,
        "overall": _prf_dict(sidx.loc["micro avg"]),
        "macro": _prf_dict(sidx.loc["macro avg"]),
        "per_type": per_type,
        "errors": {c: int(v) for c, v in zip(counts["category"], counts["rows"])},
        "errors_gold": {c: int(v) for c, v in zip(counts["category"], counts["gold"])},
        "errors_pred": {c: int(v) for c, v in zip(counts["category"], counts["pred"])},
        "semeval": semd,
        "confused_pairs": [{"gold": r.gold, "pred": r.pred, "count": int(r.count)}
                           for r in pairs.head(top).itertuples(index=False)],
    }
    findings: list[str] = _ner_overview(counts, scores, len(flat.gold), len(flat.pred))
    n_slice_findings = 0
    if slices is None or len(slices):
        ws = _rank_slices(_worst_tables(gold, pred, "ner", slices, train, n_boot, seed,
                                        tax=tax), 0.05, 10)
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
                findings.append(f"F1 is {r.f1:.2f} for {r.attribute} = {r.value} "
                                f"({r.support} entities), {-r.delta:.2f} below overall{ci}.")
    cases = ner_cases(gold, pred, baseline=baseline, k=top, errors=errors)
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
    summary["findings"] = findings
    return Report("ner", summary, tables, findings)


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
    ca = class_arrays(gold, pred)
    scores = scores_from_arrays(ca, zero_division=zero_division)
    conf = confusion_from_arrays(ca)
    conf_n = confusion_from_arrays(ca, normalize="true")
    outcomes = outcomes_from_arrays(ca, gold, train=train)
    tables: dict[str, pd.DataFrame] = {"scores": scores, "confusion": conf,
                                       "confusion_normalized": conf_n, "examples": outcomes}
    sidx = scores.set_index("label")
    per_class = {lab: {**_prf_dict(sidx.loc[lab]), "support": int(sidx.loc[lab, "support"])}
                 for lab in scores["label"] if lab not in ("accuracy", "macro avg",
                                                           "weighted avg")}
    off = conf.stack()
    off = off[[g != p for g, p in off.index]]
    off = off[off > 0].sort_values(ascending=False, kind="mergesort")
    summary: dict[str, Any] = {
        "task": "classification", "n_examples": len(gold),
        "accuracy": float(sidx.loc["accuracy", "f1"]),
        "overall": _prf_dict(sidx.loc["macro avg"]),
        "weighted": _prf_dict(sidx.loc["weighted avg"]),
        "per_class": per_class,
        "confused_pairs": [{"gold": g, "pred": p, "count": int(c)}
                           for (g, p), c in off.head(top).items()],
    }
    findings: list[str] = []
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
    if ca.probs is not None:
        cal, ece = calibration_from_arrays(ca, n_bins)
        tables["calibration"] = cal
        summary["calibration"] = {"ece": ece, "n_bins": n_bins}
        ok = cal["count"] > 0
        gap = float((cal.loc[ok, "gap"] * cal.loc[ok, "count"]).sum() / cal.loc[ok, "count"].sum()) \
            if ok.any() else float("nan")
        direction = ("over-confident (confidence above accuracy)" if gap < 0 else
                     "under-confident (accuracy above confidence)")
        findings.append(f"Expected calibration error {ece:.3f} over {n_bins} bins; on average the "
                        f"model is {direction} by {abs(gap):.2f}.")
        n_hcw = int(((outcomes["confidence"] >= 0.9) & ~outcomes["correct"]).sum())
        if n_hcw:
            findings.append(f"{n_hcw} wrong prediction(s) with confidence >= 0.9 (see "
                            f"high_confidence_wrong).")
    if slices is None or len(slices):
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
                findings.append(f"Accuracy is {r.accuracy:.2f} for {r.attribute} = {r.value} "
                                f"({r.support} examples), {-r.delta:.2f} below overall.")
    tables.update(classification_cases(gold, pred, baseline=baseline, train=train, k=top,
                                       outcomes=outcomes))
    n_easy = int((outcomes["easy"] & ~outcomes["correct"]).sum())
    if n_easy:
        findings.append(f"{n_easy} easy example(s) (short, frequent words) are misclassified.")
    if baseline is not None:
        cmp = compare_classification(gold, pred, baseline, train=train, n_boot=n_boot, seed=seed)
        _add_baseline(cmp, "accuracy", summary, tables)
    summary["findings"] = findings
    return Report("classification", summary, tables, findings)
