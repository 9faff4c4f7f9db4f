"""Running a suite: one batched, deduplicated prediction pass, then evaluation.

:func:`run_suite` collects the texts of every case of every test, predicts the
unique ones in a single :meth:`nlperr.engine.Predictor.predict` call (cached
on disk by model fingerprint: a rerun on the same checkpoint makes no forward
pass) and evaluates each test's expectation.  :class:`SuiteResult` holds plain
DataFrames (see the column lists in its docstring).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from ..data import Example, Span
from ..errors import Errors, InputError, ModelError, Warnings, warn
from ..perturb import map_spans
from ..results import Finding, Result, jsonable
from ..stats import wilson_interval
from .binary import apply_neutral_band, check_neutral_band
from .cases import Case, CaseSet, generate_cases
from .spec import DIR, INV, MFT, Suite, TestSpec, _check_rate, load_suite

__all__ = ["run_suite", "SuiteResult", "TestResult", "length_bucket", "predict_texts", "DEFAULT_MIN_CASES"]

DEFAULT_MIN_CASES = 20
"""Evaluated cases a test needs when neither the test, the run nor the suite sets ``min_cases``."""

_BUCKETS = ((5, "1-5"), (10, "6-10"), (20, "11-20"), (40, "21-40"))


def length_bucket(text: str) -> str:
    """Length slice of a text by whitespace tokens: ``1-5``, ``6-10``, ``11-20``, ``21-40``, ``41+``."""
    n = len(text.split())
    for hi, name in _BUCKETS:
        if n <= hi:
            return name
    return "41+"


TEST_STATUSES = ("passed", "failed", "skipped")


@dataclass
class TestResult:
    """Outcome of one test.

    Attributes
    ----------
    name, type, capability : str
    n : int
        Evaluated cases (skipped cases excluded).
    failed : int
        Evaluated cases that failed.
    skipped_cases : int
        Cases left out of the evaluation (DIR ``only_if_pred_not``).
    min_pass_rate : float
    min_cases : int
        Fewer evaluated cases than this fail the test (0: no minimum).
    reason : str
        Why no case was evaluated (empty when ``n > 0``).
    allow_empty : bool
        A test that evaluated no case is *skipped* instead of failed.
    confidence : float
        Level of the Wilson interval :attr:`ci_low` - :attr:`ci_high` of the pass rate.

    The verdict (:attr:`status`) is, in this order: when ``n == 0`` (nothing was
    evaluated, so there is no pass rate) ``"skipped"`` with *allow_empty*
    (:attr:`passed` is true, so that it does not fail the suite), else
    ``"failed"``; ``"failed"`` when ``n < min_cases``; ``"passed"`` when
    ``pass_rate >= min_pass_rate``; else ``"failed"``.
    """

    __test__ = False

    name: str
    type: str
    capability: str
    n: int
    failed: int
    skipped_cases: int
    min_pass_rate: float
    min_cases: int = 0
    reason: str = ""
    allow_empty: bool = False
    confidence: float = 0.95

    @property
    def pass_rate(self) -> float:
        """``(n - failed) / n``; NaN when ``n == 0`` (written as ``null`` in JSON)."""
        return (self.n - self.failed) / self.n if self.n else float("nan")

    @property
    def fail_rate(self) -> float:
        """``failed / n``, the number CheckList reports per test; NaN when ``n == 0``."""
        return self.failed / self.n if self.n else float("nan")

    @property
    def ci_low(self) -> float:
        """Lower end of the Wilson interval of :attr:`pass_rate` (:func:`nlperr.stats.wilson_interval`
        at :attr:`confidence`); NaN when ``n == 0``."""
        return wilson_interval(self.n - self.failed, self.n, confidence=self.confidence)[0]

    @property
    def ci_high(self) -> float:
        """Upper end of the Wilson interval of :attr:`pass_rate`; NaN when ``n == 0``."""
        return wilson_interval(self.n - self.failed, self.n, confidence=self.confidence)[1]

    @property
    def status(self) -> str:
        """``"passed"``, ``"failed"`` or ``"skipped"`` (see the class docstring)."""
        if self.n == 0:
            return "skipped" if self.allow_empty else "failed"
        if self.n < self.min_cases:
            return "failed"
        return "passed" if self.pass_rate >= self.min_pass_rate - 1e-12 else "failed"

    @property
    def passed(self) -> bool:
        """The test does not fail the suite (status ``passed`` or ``skipped``)."""
        return self.status != "failed"

    @property
    def skipped(self) -> bool:
        return self.status == "skipped"

    @property
    def message(self) -> str:
        """Why the test failed or was skipped; empty when it passed."""
        if self.n == 0:
            msg = f"no case evaluated: {self.reason}" if self.reason else "no case evaluated"
            return msg if self.allow_empty else (msg + "; a test that evaluates nothing fails (allow_empty=True "
                                                 "or --allow-empty reports it as skipped)")
        msgs = []
        if self.n < self.min_cases:
            msgs.append(f"only {self.n} evaluated case(s), fewer than min_cases={self.min_cases} (give more data, "
                        "or lower min_cases)")
        if self.pass_rate < self.min_pass_rate - 1e-12:
            msgs.append(f"pass rate {self.pass_rate:.3f} ({self.confidence:.0%} CI {self.ci_low:.3f}-"
                        f"{self.ci_high:.3f}) < min_pass_rate {self.min_pass_rate:.3f} "
                        f"({self.failed} of {self.n} cases failed)")
        return "; ".join(msgs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``name, type, n, pass_rate, ci_low, ci_high, fail_rate`` (``None`` when
        ``n == 0``), ``confidence, min_pass_rate, passed, skipped, status, failed, skipped_cases,
        min_cases, message``."""
        def num(x: float) -> float | None:
            return None if math.isnan(x) else x
        return {"name": self.name, "type": self.type, "n": self.n,
                "pass_rate": num(self.pass_rate), "ci_low": num(self.ci_low), "ci_high": num(self.ci_high),
                "fail_rate": num(self.fail_rate), "confidence": self.confidence,
                "min_pass_rate": self.min_pass_rate,
                "passed": self.passed, "skipped": self.skipped, "status": self.status, "failed": self.failed,
                "skipped_cases": self.skipped_cases, "min_cases": self.min_cases, "message": self.message}


@dataclass
class SuiteResult(Result):
    """Result of :func:`run_suite`: a :class:`nlperr.results.Result`.

    ``summary`` is the CI report (see :meth:`report`), ``tables`` hold ``tests``
    (:meth:`test_table`), ``cases``, ``entities``, ``perturbation_stats`` and
    ``flips`` (:meth:`flip_summary`), ``findings`` name every failed (critical)
    and skipped (warning) test; figure ``pass_rates``.  :func:`nlperr.results.load`
    reads a saved run back with these tables (``suite`` and ``caseset`` are then
    ``None``).

    Attributes
    ----------
    suite : Suite
    tests : list of TestResult
    cases : DataFrame
        One row per evaluated case. Columns: ``test``, ``type``, ``case_id``,
        ``passed`` (bool), ``skipped`` (bool), ``original``, ``text`` (the variant that
        failed first, or the original), ``original_pred``, ``pred``, ``expected``,
        ``label`` (expected label for MFT, original predicted label otherwise),
        ``length_bucket``, ``entity_types`` (NER: comma-joined types involved).
    entities : DataFrame
        NER INV only: one row per (case, variant, entity). Columns: ``test``,
        ``case_id``, ``variant``, ``entity_type`` (original predicted label, or
        ``"O"`` for a spurious new entity), ``text``, ``new_text``, ``outcome``
        (``kept``/``flipped``/``boundary``/``missed``/``spurious``, or ``deleted`` when
        the perturbation removed the entity's whole text: not a failure), ``flipped_to``
        (new label, ``"O"`` when missed), ``passed``.
    perturbation_stats : DataFrame
        Columns ``test``, ``perturbation``, ``n``, ``unchanged``, ``unchanged_rate``,
        ``touched_entity``, ``touched_entity_rate``.
    prediction_stats : dict
        The :attr:`Predictor.stats` of the prediction pass.
    caseset : CaseSet
    outcomes : dict
        ``{test: {case_id: passed}}`` (``None`` for skipped cases), used by comparisons.
    """

    suite: Suite | None
    tests: list[TestResult]
    cases: pd.DataFrame
    entities: pd.DataFrame
    perturbation_stats: pd.DataFrame
    prediction_stats: dict[str, Any]
    caseset: CaseSet | None
    outcomes: dict[str, dict[str, bool | None]] = field(default_factory=dict, repr=False)
    model: str = ""

    kind: ClassVar[str] = "suite"
    figure_specs: ClassVar[dict[str, str]] = {
        "pass_rates": "nlperr.report.figures:suite_pass_rates"}

    def __post_init__(self) -> None:
        if not self.summary:
            self.summary = self.report()
        if not self.tables:
            self.tables = {"tests": self.test_table(), "cases": self.cases,
                           "entities": self.entities,
                           "perturbation_stats": self.perturbation_stats,
                           "flips": self.flip_summary()}
        if not self.findings:
            self.findings = self._findings()
        super().__post_init__()

    @property
    def suite_name(self) -> str:
        return self.suite.name if self.suite is not None else str(self.summary.get("suite", ""))

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"suite {self.suite_name}" + (f" on {self.model}" if self.model else "")

    def headline(self) -> dict[str, Any]:
        c = self.summary.get("counts") or {}
        return {"verdict": "passed" if self.summary.get("passed") else "failed",
                "tests": len(self.tests), **{k: c.get(k, 0) for k in TEST_STATUSES},
                "cases": int((~self.cases["skipped"]).sum()) if len(self.cases) else 0}

    def report_tables(self) -> list[str]:
        return [n for n in ("tests", "cases", "flips", "perturbation_stats")
                if len(self.tables.get(n, ()))]

    def table_view(self, name: str) -> pd.DataFrame:
        df = self.tables[name]
        if name == "cases" and {"passed", "skipped"} <= set(df.columns):
            failing = df[~df["passed"].astype(bool) & ~df["skipped"].astype(bool)]
            return failing[[c for c in ("test", "case_id", "original", "text", "original_pred",
                                        "pred", "expected") if c in df.columns]]
        return df

    def table_notes(self) -> dict[str, str]:
        return {"cases": "Failing cases (every case, passing or not, is in `cases.csv`): the "
                         "original text, the text the test ran, both predictions and what "
                         "was expected.",
                "tests": "One row per test: `n` evaluated cases, `failed` of them, `pass_rate` "
                         "against the test's `min_pass_rate`; `status` passed / failed / "
                         "skipped (no case evaluated).",
                "flips": "NER INV tests: per entity type predicted on the original, how the "
                         "entities fared under the perturbations (`kept_rate`; `top_flips`: "
                         "labels flipped to).",
                "perturbation_stats": "Per perturbation test: examples seen, the share left "
                                      "unchanged and the share with an entity touched."}

    def _findings(self) -> list[Finding]:
        out = []
        for t in self.tests:
            if t.status == "failed":
                fails = self.failures(t.name)["case_id"].astype(str).head(5).tolist() \
                    if len(self.cases) else []
                out.append(Finding(f"{t.name} ({t.type}) failed: {t.message}.", metric="pass_rate",
                                   value=None if math.isnan(t.pass_rate) else t.pass_rate,
                                   threshold=t.min_pass_rate, severity="critical",
                                   examples=tuple(fails)))
            elif t.status == "skipped":
                out.append(Finding(f"{t.name} ({t.type}) was skipped: {t.message}.",
                                   metric="n", value=0, severity="warning"))
        return out

    def _extra_state(self) -> dict[str, Any]:
        return {"model": self.model}

    @classmethod
    def _from_parts(cls, summary: dict[str, Any], tables: dict[str, Any],
                    findings: list[Finding], extra: dict[str, Any]) -> "SuiteResult":
        tests = []
        rows = tables["tests"].to_dict("records") if "tests" in tables else summary.get("tests") or []
        for r in rows:
            msg = str(r.get("message") or "")
            reason = msg[len("no case evaluated: "):] if msg.startswith("no case evaluated: ") else ""
            tests.append(TestResult(name=r["name"], type=r["type"], capability=str(r.get("capability") or ""),
                                    n=int(r["n"]), failed=int(r["failed"]),
                                    skipped_cases=int(r.get("skipped_cases") or 0),
                                    min_pass_rate=float(r["min_pass_rate"]),
                                    min_cases=int(r.get("min_cases") or 0), reason=reason))
        cases = tables.get("cases", pd.DataFrame(columns=_CASE_COLS))
        outcomes: dict[str, dict[str, bool | None]] = {}
        for t, cid, ok, sk in zip(cases.get("test", ()), cases.get("case_id", ()),
                                  cases.get("passed", ()), cases.get("skipped", ())):
            outcomes.setdefault(str(t), {})[str(cid)] = None if bool(sk) else bool(ok)
        return cls(None, tests, cases, tables.get("entities", pd.DataFrame(columns=_ENT_COLS)),
                   tables.get("perturbation_stats", pd.DataFrame()), {}, None, outcomes,
                   str(extra.get("model", summary.get("model", ""))), summary=summary,
                   tables=tables, findings=findings)

    @property
    def passed(self) -> bool:
        """No test failed (every test passed or was skipped)."""
        return all(t.passed for t in self.tests)

    @property
    def skipped(self) -> list[str]:
        """Names of the tests that evaluated no case."""
        return [t.name for t in self.tests if t.skipped]

    def test_table(self) -> pd.DataFrame:
        """One row per test (``tables["tests"]``).  Columns: ``name``, ``type``, ``capability``,
        ``n``, ``failed``, ``skipped_cases``, ``pass_rate``, ``ci_low``, ``ci_high`` (Wilson
        interval of the pass rate at ``confidence``), ``fail_rate`` (CheckList's number,
        ``failed / n``) — these four NaN when ``n == 0`` — ``min_pass_rate``, ``min_cases``,
        ``status`` (passed / failed / skipped), ``passed``, ``message``."""
        cols = ["name", "type", "capability", "n", "failed", "skipped_cases", "pass_rate", "ci_low", "ci_high",
                "fail_rate", "min_pass_rate", "min_cases", "status", "passed", "message"]
        rows = [{c: getattr(t, c) for c in cols} for t in self.tests]
        return pd.DataFrame(rows, columns=cols)

    def failures(self, test: str | None = None) -> pd.DataFrame:
        """Failing cases (columns of :attr:`cases`), optionally of one test."""
        df = self.cases[(~self.cases["passed"]) & (~self.cases["skipped"])]
        return df[df["test"] == test] if test is not None else df

    def by_slice(self, by: str = "label") -> pd.DataFrame:
        """Failures per test x slice.

        *by* is ``"label"``, ``"length"`` (length bucket) or ``"entity_type"``
        (NER INV: per entity, from :attr:`entities`).  Columns: ``test``, ``slice``,
        ``n``, ``failed``, ``fail_rate``.
        """
        if by not in ("label", "length", "entity_type"):
            raise InputError(Errors.E207.format(value=by, option="by",
                                                allowed="'label', 'length', 'entity_type'"))
        if by == "entity_type":
            df = self.entities.rename(columns={"entity_type": "slice"})
        else:
            df = self.cases[~self.cases["skipped"]].rename(
                columns={"label": "slice"} if by == "label" else {"length_bucket": "slice"})
        if df.empty:
            return pd.DataFrame(columns=["test", "slice", "n", "failed", "fail_rate"])
        g = df.groupby(["test", "slice"], sort=True)["passed"]
        out = pd.DataFrame({"n": g.size(), "failed": g.apply(lambda s: int((~s).sum()))}).reset_index()
        out["fail_rate"] = out["failed"] / out["n"]
        return out

    def flip_table(self, test: str | None = None) -> pd.DataFrame:
        """NER INV: counts of entity outcomes, rows = original entity type, columns =
        ``kept`` or the label the entity flipped to (``"O"`` = missed, ``"O"`` row =
        spurious new entities, ``boundary:LABEL`` = overlapping span with other
        boundaries, ``deleted`` = the perturbation removed the entity's text)."""
        df = self.entities if test is None else self.entities[self.entities["test"] == test]
        if df.empty:
            return pd.DataFrame()
        col = df["flipped_to"].where(df["outcome"] != "kept", "kept")
        col = col.where(df["outcome"] != "boundary", "boundary:" + df["flipped_to"].astype(str))
        col = col.where(df["outcome"] != "deleted", "deleted")
        return pd.crosstab(df["entity_type"], col).rename_axis(index="entity_type", columns="outcome")

    def flip_summary(self, test: str | None = None, *, top: int = 3) -> pd.DataFrame:
        """NER INV, one row per entity type predicted on the original (plus ``"O"`` for
        spurious new entities): ``entity_type``, ``n``, ``kept``, ``flipped``,
        ``boundary``, ``missed``, ``deleted``, ``spurious``, ``kept_rate`` and
        ``top_flips`` (the *top* labels it flipped to, ``"LABEL count"``, comma-joined);
        sorted by ``n``.  A compact view of :meth:`flip_table`."""
        cols = ["entity_type", "n", "kept", "flipped", "boundary", "missed", "deleted", "spurious",
                "kept_rate", "top_flips"]
        df = self.entities if test is None else self.entities[self.entities["test"] == test]
        if df.empty:
            return pd.DataFrame(columns=cols)
        rows = []
        for etype, g in df.groupby("entity_type", sort=False):
            counts = g["outcome"].value_counts()
            flips = g[g["outcome"].isin(["flipped", "spurious"])]["flipped_to"].value_counts().head(top)
            row = {"entity_type": etype, "n": len(g), "top_flips": ", ".join(f"{k} {v}" for k, v in flips.items())}
            for o in ("kept", "flipped", "boundary", "missed", "deleted", "spurious"):
                row[o] = int(counts.get(o, 0))
            row["kept_rate"] = row["kept"] / row["n"]
            rows.append(row)
        return pd.DataFrame(rows, columns=cols).sort_values("n", ascending=False, kind="stable").reset_index(
            drop=True)

    def report(self) -> dict[str, Any]:
        """The CI report (``summary``; :meth:`to_json` gives it as JSON text):
        ``{"passed": bool, "suite", "model", "counts": {"passed", "failed", "skipped"},
        "tests": [TestResult.to_dict(), ...]}``; tests generated by a perturbation also get
        ``"perturbation": {"name", "examples", "unchanged", "touched_entity"}``; no NaN
        (``None`` instead)."""
        counts = {k: sum(t.status == k for t in self.tests) for k in TEST_STATUSES}
        tests = [t.to_dict() for t in self.tests]
        pstats = {r["test"]: r for r in self.perturbation_stats.to_dict("records")}
        for t in tests:
            r = pstats.get(t["name"])
            if r is not None:
                t["perturbation"] = {"name": r["perturbation"], "examples": int(r["n"]),
                                     "unchanged": int(r["unchanged"]), "touched_entity": int(r["touched_entity"])}
        return jsonable({"passed": self.passed, "suite": self.suite_name, "model": self.model,
                         "counts": counts, "tests": tests})


# --- prediction -----------------------------------------------------------------------

def predict_texts(predictor: Any, texts: Sequence[str]) -> tuple[dict[str, Example], dict[str, Any]]:
    """Predict the unique *texts* in one :meth:`Predictor.predict` call."""
    unique = list(dict.fromkeys(texts))
    preds = predictor.predict([Example(t) for t in unique]) if unique else []
    stats = dict(getattr(predictor, "stats", {}))
    stats["requested"] = len(texts)  # before deduplication (the engine saw only unique texts)
    stats["unique"] = len(unique)
    return dict(zip(unique, preds)), stats


def _make_predictor(model: Any, *, cache: Any, cache_dir: Any, batch_size: Any, progress: Any,
                    label_map: Any, task: str) -> tuple[Any, bool]:
    from ..engine import Predictor
    if isinstance(model, Predictor):
        return model, False
    if isinstance(model, str) or callable(model) and not hasattr(model, "predict_batch"):
        from ..adapters import load_model
        model = load_model(model, task=task, lazy=True)  # the one path for model specs
    return Predictor(model, cache=cache, cache_dir=cache_dir, batch_size=batch_size, progress=progress,
                     label_map=label_map), True


# --- evaluation ----------------------------------------------------------------------------

def _label(ex: Example) -> str | None:
    lab = ex.label
    if lab is None and ex.probs:
        lab = max(ex.probs, key=ex.probs.get)
    return None if lab is None else str(lab) if not isinstance(lab, tuple) else ",".join(lab)


def _spans_str(text: str, spans: Sequence[Span] | None) -> str:
    return "; ".join(f"{text[s.start:s.end]}/{s.label}" for s in spans or ())


def _pred_str(task: str, ex: Example) -> str:
    if task == "ner":
        return _spans_str(ex.text, ex.spans)
    lab = _label(ex)
    if ex.probs:
        return f"{lab} ({', '.join(f'{k}={v:.2f}' for k, v in sorted(ex.probs.items()))})"
    return str(lab)


def _check_task(task: str, ex: Example, test: str) -> None:
    if task == "ner" and ex.spans is None:
        raise ModelError(Errors.E617.format(where=f"test {test!r}", got="no spans", task=task))
    if task == "classification" and ex.label is None and not ex.probs:
        raise ModelError(Errors.E617.format(where=f"test {test!r}", got="no label", task=task))


def _alias_map(suite: Suite) -> dict[str, str]:
    out: dict[str, str] = {}
    for canon, names in (suite.meta.get("label_aliases") or {}).items():
        for n in names:
            out[str(n)] = str(canon)
    return out


def _eval_mft(task: str, case: Case, pred: Example, aliases: Mapping[str, str] | None = None
              ) -> tuple[bool, str]:
    e = case.expect
    if "entities" in e:
        aliases = aliases or {}
        got = {(s.start, s.end, aliases.get(s.label, s.label)) for s in pred.spans or ()}
        want = {(int(s), int(t), str(lab)) for s, t, lab in e["entities"]}
        ok = want <= got and (not e.get("exact") or got == want)
        return ok, _spans_str(case.original.text, [Span(s, t, lab) for s, t, lab in sorted(want)])
    lab = _label(pred)
    if "label" in e:
        return lab == e["label"], e["label"]
    if "labels" in e:
        return lab in e["labels"], " or ".join(e["labels"])
    if "not_label" in e:
        return lab not in e["not_label"], "not " + " or ".join(e["not_label"])
    raise InputError(Errors.E606.format(where=f"case {case.test}:{case.id}", field="expect",
                                        expected="label / labels / not_label / entities", got=sorted(e)))


def _ner_entities(case: Case, vi: int, orig_pred: Example, var_pred: Example, test: str) -> list[dict]:
    variant = case.variants[vi]
    rows = []
    mapped, _, deleted = map_spans(orig_pred.spans or (), variant.edits)
    new_spans = list(var_pred.spans or ())
    used: set[int] = set()
    orig_list = list(orig_pred.spans or ())
    gone = set(deleted)
    kept_orig = [s for i, s in enumerate(orig_list) if i not in gone]
    for i in sorted(gone):  # the edit removed the entity's text: nothing to keep, but counted
        o = orig_list[i]
        rows.append({"test": test, "case_id": case.id, "variant": vi, "entity_type": o.label,
                     "text": case.original.text[o.start:o.end], "new_text": "", "outcome": "deleted",
                     "flipped_to": "", "passed": True})
    for o, m in zip(kept_orig, mapped):
        row = {"test": test, "case_id": case.id, "variant": vi, "entity_type": o.label,
               "text": case.original.text[o.start:o.end], "new_text": variant.text[m.start:m.end]}
        exact = [j for j, s in enumerate(new_spans) if s.start == m.start and s.end == m.end]
        if exact:
            j = exact[0]
            used.add(j)
            lab = new_spans[j].label
            row.update(outcome="kept" if lab == o.label else "flipped", flipped_to=lab, passed=lab == o.label)
        else:
            over = [j for j, s in enumerate(new_spans) if s.start < m.end and m.start < s.end]
            if over:
                j = max(over, key=lambda j: min(new_spans[j].end, m.end) - max(new_spans[j].start, m.start))
                used.update(over)
                row.update(outcome="boundary", flipped_to=new_spans[j].label, passed=False)
            else:
                row.update(outcome="missed", flipped_to="O", passed=False)
        rows.append(row)
    for j, s in enumerate(new_spans):
        if j not in used:
            rows.append({"test": test, "case_id": case.id, "variant": vi, "entity_type": "O", "text": "",
                         "new_text": variant.text[s.start:s.end], "outcome": "spurious",
                         "flipped_to": s.label, "passed": False})
    return rows


def _dir_score(target: Any, ex: Example, orig_label: str | None) -> float:
    probs = ex.probs or {}
    if isinstance(target, Mapping):
        return sum(probs.get(str(l), 0.0) for l in target.get("plus", ())) - \
            sum(probs.get(str(l), 0.0) for l in target.get("minus", ()))
    key = orig_label if target == "predicted" else str(target)
    return float(probs.get(key, 0.0))


def _check_caseset(suite: Suite, caseset: CaseSet, names: Sequence[str]) -> None:
    """Every selected test must be in the case set, and every test of the case set in the suite."""
    missing = [n for n in names if n not in caseset.tests]
    unknown = [n for n in caseset.tests if n not in {t.name for t in suite.tests}]
    if unknown:
        raise InputError(Errors.E618.format(suite=suite.name, reason=f"its test(s) {unknown} are not in the suite"))
    if missing:
        raise InputError(Errors.E618.format(suite=suite.name, reason=f"it was generated without the test(s) "
                                            f"{missing}" + (f" (case file {caseset.source})" if caseset.source else "")))


def _no_case_reason(spec: TestSpec, caseset: CaseSet) -> str:
    """Why *spec* has no case in *caseset*."""
    st = caseset.stats.get(spec.name) or {}
    if st.get("n") and st.get("unchanged") == st.get("n"):
        name = st.get("perturbation", getattr(spec, "perturbation", ""))
        try:
            from ..perturb import get_perturbation
            needs = get_perturbation(name).requires
        except InputError:
            needs = ""
        return (f"perturbation {name!r} changed none of the {st['n']} example(s)"
                + (f" (it needs {needs})" if needs else ""))
    if caseset.source:
        return f"the case file {caseset.source} holds no case for it"
    if isinstance(spec, MFT):
        return "its templates expanded to no text (check the lexicons and tag filters)"
    return "no input example produced a case"


def _evaluate(suite: Suite, spec: TestSpec, cases: list[Case], preds: Mapping[str, Example], *,
              min_cases: int, reason: str, min_pass_rate: float, allow_empty: bool = False,
              confidence: float = 0.95) -> tuple[TestResult, list[dict], list[dict], dict[str, bool]]:
    task = suite.task
    aliases = _alias_map(suite)
    rows: list[dict] = []
    ent_rows: list[dict] = []
    outcome: dict[str, bool] = {}
    failed = skipped = 0
    for case in cases:
        orig = preds[case.original.text]
        _check_task(task, orig, spec.name)
        orig_lab = _label(orig) if task == "classification" else None
        row = {"test": spec.name, "type": spec.type, "case_id": case.id, "original": case.original.text,
               "text": case.original.text, "original_pred": _pred_str(task, orig), "pred": _pred_str(task, orig),
               "expected": "", "label": orig_lab, "length_bucket": length_bucket(case.original.text),
               "entity_types": "", "skipped": False}
        if isinstance(spec, MFT):
            ok, expected = _eval_mft(task, case, orig, aliases)
            row["expected"] = expected
            if task == "classification":
                row["label"] = case.expect.get("label") or expected
            else:
                row["entity_types"] = ",".join(sorted({lab for *_, lab in case.expect.get("entities", [])}))
        else:
            ok = True
            first_bad: Example | None = None
            evaluated = 0
            types: set[str] = set()
            for vi, v in enumerate(case.variants):
                vp = preds[v.text]
                _check_task(task, vp, spec.name)
                if task == "ner":
                    if isinstance(spec, DIR):
                        raise InputError(Errors.E612.format(test=spec.name, kind="DIR", need="class probabilities",
                                                            example=case.original.text))
                    er = _ner_entities(case, vi, orig, vp, spec.name)
                    ent_rows += er
                    vok = all(r["passed"] for r in er)
                    types |= {r["entity_type"] for r in er if not r["passed"]}
                    row["expected"] = "same entities"
                elif isinstance(spec, INV):
                    if spec.tolerance is None:
                        vok = _label(vp) == orig_lab
                        row["expected"] = f"{orig_lab} (unchanged)"
                    else:
                        if not orig.probs or not vp.probs:
                            raise InputError(Errors.E612.format(test=spec.name, kind="INV with tolerance",
                                                                need="class probabilities", example=v.text))
                        keys = set(orig.probs) | set(vp.probs)
                        delta = max(abs(orig.probs.get(k, 0.0) - vp.probs.get(k, 0.0)) for k in keys)
                        vok = delta <= spec.tolerance
                        row["expected"] = f"max prob change <= {spec.tolerance}"
                else:  # DIR
                    e = spec.expect
                    cond = e.get("only_if_pred_not")
                    if cond is not None and orig_lab in {suite.label_name(c) for c in
                                                         (cond if isinstance(cond, list) else [cond])}:
                        continue
                    if not orig.probs or not vp.probs:
                        raise InputError(Errors.E612.format(test=spec.name, kind="DIR",
                                                            need="class probabilities", example=v.text))
                    target = e["label"]
                    if not isinstance(target, Mapping) and target != "predicted":
                        target = suite.label_name(target)
                    elif isinstance(target, Mapping):
                        target = {k: [suite.label_name(x) for x in vals] for k, vals in target.items()}
                    d = _dir_score(target, vp, orig_lab) - _dir_score(target, orig, orig_lab)
                    tol = float(e.get("tolerance", 0.0))
                    vok = d >= -tol if e["direction"] == "increase" else d <= tol
                    row["expected"] = f"{target} {e['direction']}s (tolerance {tol})"
                evaluated += 1
                if not vok and first_bad is None:
                    first_bad = vp
                ok = ok and vok
            if task == "ner":
                row["entity_types"] = ",".join(sorted(types))
            if evaluated == 0:
                row["skipped"] = True
                skipped += 1
                outcome[case.id] = None
                rows.append({**row, "passed": True})
                continue
            if first_bad is not None:
                row["text"] = first_bad.text
                row["pred"] = _pred_str(task, first_bad)
            elif case.variants:
                row["text"] = case.variants[0].text
                row["pred"] = _pred_str(task, preds[case.variants[0].text])
        failed += not ok
        outcome[case.id] = ok
        rows.append({**row, "passed": ok})
    if skipped and skipped == len(cases):
        cond = getattr(spec, "expect", {}).get("only_if_pred_not")
        reason = (f"only_if_pred_not {cond} excluded all {skipped} case(s): the model predicted one of these "
                  "labels on every original")
    elif skipped:
        warn(Warnings.W602.format(test=spec.name, count=skipped, total=len(cases),
                                  reason="the condition only_if_pred_not excluded them"))
    res = TestResult(spec.name, spec.type, spec.capability, len(cases) - skipped, failed, skipped,
                     min_pass_rate, min_cases, reason if len(cases) == skipped else "", allow_empty, confidence)
    if res.skipped:
        warn(Warnings.W605.format(test=spec.name, reason=res.reason or "no case"))
    return res, rows, ent_rows, outcome


def _pass_rate_overrides(suite: Suite, min_pass_rate: Any) -> dict[str, float]:
    """``{test name: rate}`` from ``run_suite(min_pass_rate=...)`` (a number or a mapping)."""
    if min_pass_rate is None:
        return {}
    if isinstance(min_pass_rate, Mapping):
        out = {}
        for name, rate in min_pass_rate.items():
            out[suite.test(str(name)).name] = _check_rate(rate, f"min_pass_rate[{name!r}]")  # unknown: E207
        return out
    rate = _check_rate(min_pass_rate, "run_suite(min_pass_rate=...)")
    return {t.name: rate for t in suite.tests}


_CASE_COLS = ["test", "type", "case_id", "passed", "skipped", "original", "text", "original_pred", "pred",
              "expected", "label", "length_bucket", "entity_types"]
_ENT_COLS = ["test", "case_id", "variant", "entity_type", "text", "new_text", "outcome", "flipped_to",
             "passed"]


def run_suite(suite: Any, model: Any, *, data: Any = None, cases: CaseSet | None = None,
              tests: Iterable[str] | None = None, seed: int | None = None, data_format: str | None = None,
              min_cases: int | None = None, allow_empty: bool = False,
              min_pass_rate: float | Mapping[str, float] | None = None, neutral_band: Any = None,
              confidence: float = 0.95, cache: Any = True, cache_dir: Any = None, batch_size: int | None = None,
              progress: bool | None = None, label_map: Any = None) -> SuiteResult:
    """Run *suite* on *model* with one batched, deduplicated, cached prediction pass.

    Parameters
    ----------
    suite : Suite, str or Path
        A suite, a YAML/JSON file or a shipped suite name (``"ner-en"``).
    model : Adapter, Predictor, str or callable
        Anything :class:`nlperr.engine.Predictor` accepts (a spec such as
        ``"spacy:en_core_web_sm"`` or ``"hf:path"``), or a ready Predictor.
    data : list, str or Path, optional
        Inputs for INV/DIR tests, overriding the suite's ``data``.
    cases : CaseSet, optional
        Pre-generated cases (:func:`generate_cases` / :func:`load_cases`) to re-run exactly.
        They must hold every selected test (error E618 otherwise).
    tests : iterable of str, optional
        Run only these tests (default: all).
    seed : int, optional
        Overrides the suite seed.
    min_cases : int, optional
        Minimum number of evaluated cases for tests that set no ``min_cases`` of
        their own; a test below it fails, with the reason.  Default: the suite's
        ``min_cases``, else :data:`DEFAULT_MIN_CASES` (20).  ``0`` turns the minimum off.
    allow_empty : bool
        A test that evaluates no case at all fails by default (its message says
        why no case was evaluated); with ``allow_empty=True`` it is reported as
        *skipped* (warning W605) and does not fail the suite.
    min_pass_rate : float or dict, optional
        Overrides the tests' ``min_pass_rate``: one number for every test, or
        ``{test name: rate}`` for some (e.g. to relax an imported CheckList suite,
        whose tests require 1.0).
    neutral_band : True or [low, high], optional
        Read a binary (negative / positive) model as three-class: a positive
        probability within the band is *neutral* (``True``: CheckList's
        ``[1/3, 2/3]``; see :mod:`nlperr.suites.binary`).  Overrides the suite's
        ``neutral_band``; ``False`` turns the suite's off.  Needs three suite labels
        (negative, neutral, positive) and model probabilities for the first and
        last (map other names with *label_map*).
    confidence : float
        Level of the Wilson intervals of the pass rates (default 0.95).
    cache, cache_dir, batch_size, progress, label_map :
        Passed to :class:`~nlperr.engine.Predictor`.

    Returns
    -------
    SuiteResult

    Examples
    --------
    >>> from nlperr.suites import Suite, MFT, INV
    >>> def model(texts):
    ...     return [{"positive": 0.9, "negative": 0.1} if "good" in t.lower()
    ...             else {"positive": 0.2, "negative": 0.8} for t in texts]
    >>> s = Suite("demo", [MFT("good", templates=["The {x} is good."],
    ...                        lexicons={"x": ["food", "plane"]}, expect={"label": "positive"}),
    ...                    INV("upper", perturbation="case", params={"mode": "upper"})],
    ...           data=["The food is good."])
    >>> res = run_suite(s, model, cache=False, min_cases=0)  # a 1-2 case demo: no minimum
    >>> res.tables["tests"][["name", "n", "pass_rate", "passed"]].values.tolist()
    [['good', 2, 1.0, True], ['upper', 1, 1.0, True]]
    >>> run_suite(s, model, cache=False).tests[0].message  # the default minimum is 20 cases
    'only 2 evaluated case(s), fewer than min_cases=20 (give more data, or lower min_cases)'

    """
    suite = load_suite(suite)
    if cases is not None and (data is not None or seed is not None or data_format is not None):
        raise InputError(Errors.E606.format(where="run_suite", field="data / seed / data_format",
                                            expected="unset when cases= is given (the cases were generated "
                                                     "already; pass them to generate_cases instead)",
                                            got="both"))
    if min_cases is not None and (isinstance(min_cases, bool) or not isinstance(min_cases, int) or min_cases < 0):
        raise InputError(Errors.E606.format(where="run_suite", field="min_cases",
                                            expected="a non-negative integer", got=repr(min_cases)))
    if not isinstance(allow_empty, bool):
        raise InputError(Errors.E606.format(where="run_suite", field="allow_empty", expected="True or False",
                                            got=repr(allow_empty)))
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise InputError(Errors.E606.format(where="run_suite", field="confidence",
                                            expected="a number in (0, 1)", got=repr(confidence)))
    rates = _pass_rate_overrides(suite, min_pass_rate)
    band = check_neutral_band(suite.neutral_band if neutral_band is None else neutral_band,
                              where="run_suite" if neutral_band is not None else f"suite {suite.name!r}")
    if band is not None and (suite.task != "classification" or not suite.labels or len(suite.labels) != 3):
        raise InputError(Errors.E622.format(where=f"suite {suite.name!r}", got=suite.labels))
    default_min = min_cases if min_cases is not None else (
        suite.min_cases if suite.min_cases is not None else DEFAULT_MIN_CASES)
    names = [t.name for t in suite.tests] if tests is None else [suite.test(n).name for n in tests]
    caseset = cases if cases is not None else generate_cases(suite, data=data, seed=seed,
                                                             data_format=data_format, tests=names)
    _check_caseset(suite, caseset, names)
    predictor, owned = _make_predictor(model, cache=cache, cache_dir=cache_dir, batch_size=batch_size,
                                       progress=progress, label_map=label_map, task=suite.task)
    try:
        preds, stats = predict_texts(predictor, caseset.texts())
        if band is not None:
            labels = [str(x) for x in suite.labels]
            where = f"suite {suite.name!r}"
            preds = {t: apply_neutral_band(ex, band, labels, where=where) for t, ex in preds.items()}
            stats["neutral_band"] = list(band)
        model_name = f"{predictor.adapter.kind}:{getattr(predictor.adapter, 'name', '')}"
    finally:
        if owned:
            predictor.close()
    by_test = caseset.by_test()
    results, rows, ent_rows, outcomes = [], [], [], {}
    for spec in suite.tests:
        if spec.name not in names:
            continue
        tcases = by_test.get(spec.name, [])
        tr, r, er, oc = _evaluate(suite, spec, tcases, preds,
                                  min_cases=spec.min_cases if spec.min_cases is not None else default_min,
                                  reason="" if tcases else _no_case_reason(spec, caseset),
                                  min_pass_rate=rates.get(spec.name, spec.min_pass_rate),
                                  allow_empty=allow_empty, confidence=float(confidence))
        results.append(tr)
        rows += r
        ent_rows += er
        outcomes[spec.name] = oc
    pstats = pd.DataFrame([v for k, v in caseset.stats.items() if k in names],
                          columns=["test", "perturbation", "n", "unchanged", "unchanged_rate",
                                   "touched_entity", "touched_entity_rate"])
    return SuiteResult(suite, results, pd.DataFrame(rows, columns=_CASE_COLS),
                       pd.DataFrame(ent_rows, columns=_ENT_COLS), pstats, stats, caseset, outcomes,
                       model_name)
