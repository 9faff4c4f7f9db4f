"""``detect_drift``: every applicable test, per window, with one multiple-testing
correction over all of them, explanations and findings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import Errors, InputError, Warnings, warn
from ..results import Finding, Result
from ..stats import ADJUSTMENTS, adjust_pvalues
from .data import DriftData, as_drift_data
from .explain import EXPLANATION_COLUMNS, explain
from .features import text_features
from .tests import (ALL_TESTS, MODEL_TESTS, OUTPUT_TESTS, TEXT_TESTS, Comparison, TestOutcome,
                    applicability, run_tests)
from .sample import sample_drift_data
from .windows import parse_window, split_windows

__all__ = ["DriftResult", "detect_drift", "TEST_COLUMNS", "WINDOW_COLUMNS"]

#: Columns of the ``tests`` table (one row per test and window).
TEST_COLUMNS = ["window", "test", "status", "statistic", "p_value", "adjusted_p_value", "drift",
                "effect_size", "current_value", "reference_value", "critical_value",
                "alternative", "n_current", "n_reference", "method", "reason"]
#: Columns of the ``windows`` table.
WINDOW_COLUMNS = ["window", "start", "end", "n_current", "n_seen", "drift", "drifting_tests"]
_MIN_TEXTS = 5
_CORRECTION_NAMES = {"holm": "Holm (family-wise error rate)",
                     "bh": "Benjamini-Hochberg (false discovery rate)",
                     "none": "no correction"}


class DriftResult(Result):
    """Result of :func:`detect_drift`.

    ``summary``: ``drift`` (bool: any test drifts after correction), ``alpha``,
    ``correction``, ``correction_note``, ``n_permutations``, ``seed``,
    ``n_reference``, ``n_current`` (the texts tested), ``n_reference_seen``,
    ``n_current_seen`` (the texts read: more with ``max_texts``), ``max_texts``,
    ``window``, ``n_windows``, ``drifting_tests``
    (names), and ``tests``: one dict per test and window with ``name``,
    ``window``, ``status``, ``statistic``, ``p_value``, ``adjusted_p_value``,
    ``drift``, ``effect_size``.

    ``tables``: ``tests`` (:data:`TEST_COLUMNS`), ``windows``
    (:data:`WINDOW_COLUMNS`), ``explanations``
    (:data:`nlperr.drift.explain.EXPLANATION_COLUMNS`).
    """

    kind = "drift"
    title = "Drift: current data against the reference"
    figure_specs = {"statistics": "nlperr.drift.figures:plot_statistics",
                    "p_values": "nlperr.drift.figures:plot_p_values"}

    @property
    def drift(self) -> bool:
        return bool(self.summary.get("drift"))


# --------------------------------------------------------------------------- helpers

def _concat(a: DriftData, b: DriftData) -> DriftData:
    import pandas as pd

    def cat(x: Any, y: Any, n_x: int, n_y: int, fill: Any) -> Any:
        if x is None and y is None:
            return None
        return list(x if x is not None else [fill] * n_x) + list(
            y if y is not None else [fill] * n_y)

    na, nb = len(a), len(b)
    ts = None
    if a.timestamps is not None or b.timestamps is not None:
        ta = a.timestamps if a.timestamps is not None else pd.DatetimeIndex([pd.NaT] * na,
                                                                           tz="UTC")
        tb = b.timestamps if b.timestamps is not None else pd.DatetimeIndex([pd.NaT] * nb,
                                                                           tz="UTC")
        ts = ta.append(tb)
    conf_a = a.confidence if a.confidence is not None else np.full(na, np.nan)
    conf_b = b.confidence if b.confidence is not None else np.full(nb, np.nan)
    return DriftData(texts=a.texts + b.texts, ids=a.ids + b.ids, timestamps=ts,
                     labels=cat(a.labels, b.labels, na, nb, None),
                     confidence=np.concatenate([conf_a, conf_b]),
                     entities=cat(a.entities, b.entities, na, nb, None))


class _MemoEmbedder:
    """Embeds each distinct text once across windows."""

    def __init__(self, model: Any):
        from .embed import embedding_function

        self.model = model
        self.fn = embedding_function(model)
        self.cache: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        from .embed import _embed

        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for t, v in zip(todo, _embed(self.fn, todo, self.model)):
                self.cache[t] = v
        return np.stack([self.cache[t] for t in texts]) if texts else np.zeros((0, 1))


def _check_number(name: str, value: Any, expected: str, ok: bool) -> None:
    if not ok:
        raise InputError(Errors.E1006.format(name=name, expected=expected, value=value))


def _critical(res: TestOutcome, level: float, n_cur: int, n_ref: int) -> float:
    """The statistic value beyond which the test alone rejects at *level* (the
    Bonferroni level alpha / m, i.e. Holm's strictest step).  NaN when not attainable."""
    if res.status != "ok" or not (0 < level < 1):
        return math.nan
    if res.null is not None:
        k = int(math.floor(level * (len(res.null) + 1)))  # allowed null values >= obs, +1
        if k < 1:
            return math.nan
        return float(np.sort(res.null)[::-1][k - 1])
    if res.name in ("length_chars", "length_tokens", "confidence"):
        n, m = res.details.get("n_current", n_cur), res.details.get("n_reference", n_ref)
        if not n or not m:
            return math.nan
        return float(math.sqrt(-math.log(level / 2) / 2) * math.sqrt((n + m) / (n * m)))
    if res.name == "domain_classifier":
        from scipy import stats as st

        best = math.inf
        for nh, nch in zip(res.details["n_half"], res.details["n_current_half"]):
            n1, n0 = nch, nh - nch
            if n1 and n0:
                z = float(st.norm.isf(level / 2))
                u = n1 * n0 / 2 + 0.5 + z * math.sqrt(n1 * n0 * (nh + 1) / 12)
                best = min(best, u / (n1 * n0))
        return best if math.isfinite(best) else math.nan
    return math.nan


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.3g}"


_DESCRIBE = {
    "length_chars": "text length (characters)", "length_tokens": "text length (tokens)",
    "oov_rate": "out-of-vocabulary rate", "token_distribution": "word distribution",
    "char_classes": "character classes", "ocr_garbage": "OCR garbage-token rate",
    "domain_classifier": "domain classifier", "embedding_mmd": "sentence embeddings",
    "label_distribution": "label distribution", "confidence": "model confidence",
    "entity_types": "entity types", "new_entity_rate": "new-entity rate",
}


def _finding(row: dict[str, Any], expl: list[dict[str, Any]], alpha: float) -> Finding:
    name, window = row["test"], row["window"]
    where = "" if window == "all" else f" in window {window}"
    msg = (f"{_DESCRIBE[name]} drifted{where}: {name} statistic {_fmt(row['statistic'])}, "
           f"adjusted p {_fmt(row['adjusted_p_value'])} <= alpha {alpha}")
    cur, ref = row["current_value"], row["reference_value"]
    if name in ("length_chars", "length_tokens", "confidence"):
        msg += f"; median {_fmt(ref)} in reference, {_fmt(cur)} in current"
    elif name in ("oov_rate", "new_entity_rate"):
        msg += f"; {_fmt(cur)} in current vs {_fmt(ref)} expected"
    elif name == "ocr_garbage":
        msg += f"; garbage-token rate {_fmt(ref)} in reference, {_fmt(cur)} in current"
    elif name == "domain_classifier":
        msg += f"; held-out AUC {_fmt(row['statistic'])}"
    kinds = {"word": "over-represented words", "new_word": "new words",
             "char_class": "character classes that grew", "character": "characters that grew",
             "garbage_rule": "garbage rules that grew", "garbage_token": "garbage tokens",
             "new_entity": "new entity strings", "entity_type": "entity types that grew",
             "label": "labels that grew"}
    parts, examples = [], []
    for kind, label in kinds.items():
        items = [e["item"] for e in expl if e["kind"] == kind and (
            kind not in ("char_class", "garbage_rule", "entity_type", "label")
            or e["score"] > 0)][:5]
        if items:
            parts.append(f"{label}: " + ", ".join(repr(i) if kind != "character" else i
                                                  for i in items))
    examples = [e["example_id"] for e in expl if e["kind"] == "text" and e["example_id"]][:5]
    if examples:
        parts.append(f"most current-looking texts: {', '.join(examples[:3])}")
    if parts:
        msg += ". " + "; ".join(parts)
    return Finding(msg + ".", metric=name, value=row["statistic"],
                   threshold=None if math.isnan(row["critical_value"]) else row["critical_value"],
                   severity="warning", examples=tuple(examples))


# --------------------------------------------------------------------------- main

def detect_drift(reference: Any, current: Any, *, model: Any = None, window: Any = None,
                 alpha: float = 0.05, seed: int = 0, tests: Any = None,
                 correction: str = "holm", n_permutations: int | None = None,
                 top_k: int = 500, min_window_size: int = 20,
                 max_embedding_texts: int = 1000, format: str | None = None,
                 explain_limit: int = 10, max_texts: int | None = None) -> DriftResult:
    """Is *current* still drawn from the same population as *reference*?

    Parameters
    ----------
    reference, current
        A file path (any corpus format nlperr reads, or a JSONL / CSV log: see
        :mod:`nlperr.drift.data`), a list of :class:`~nlperr.data.Example` or of
        strings, or a DataFrame with a ``text`` column.
    model : optional
        Sentence-embedding model for ``embedding_mmd``: a callable ``texts ->
        array (n, dim)``, ``"minilm"`` or a Hugging Face encoder folder.
    window : optional
        ``None`` (all current texts at once), a number of examples, ``"daily"``,
        ``"weekly"`` or a pandas frequency (needs timestamps); see
        :mod:`nlperr.drift.windows`.  Each window is compared with the whole
        reference.
    alpha : float, default 0.05
        Level of the corrected decision.
    seed : int, default 0
        Seeds the permutations, the classifier's split and embedding samples: the
        same inputs and seed give the same result.
    tests : list of str, optional
        Default: every test the data allows (:data:`~nlperr.drift.tests.TEXT_TESTS`;
        ``embedding_mmd`` when *model* is given; the output tests when labels,
        confidence or spans exist on both sides).
    correction : {"holm", "bh", "none"}
        Adjustment over all tests x windows: Holm controls the family-wise error
        rate (the chance of any false alarm), BH the false discovery rate.
    n_permutations : int, optional
        Permutations per permutation test.  Default: ``max(999, 2 m / alpha)``
        (capped at 19 999), where *m* is the number of tests x windows, so that
        the smallest attainable p-value survives the correction.
    top_k : int, default 500
        Word types kept by ``token_distribution`` (the rest form one "other" bin).
    min_window_size : int, default 20
        Windows with fewer current texts are skipped (warning W1003).
    max_embedding_texts : int, default 1000
        Per side and window, for ``embedding_mmd`` (a seeded random sample beyond).
    format : str, optional
        Corpus format of file inputs (default: from the extension).
    max_texts : int, optional
        Test at most this many texts per side and window: a seeded uniform sample
        (reservoir sampling, :mod:`nlperr.drift.sample`) drawn while the inputs
        stream, so memory holds only the samples however large the logs.  Every
        text is still read and checked, and windows are cut on all of them;
        ``summary["n_current_seen"]`` / ``["n_reference_seen"]`` and the windows
        table's ``n_seen`` count what was read.  A side or window that fits is kept
        whole (the result is then that of ``max_texts=None``).  At least
        *min_window_size*.  Default: every text, read into memory.

    Returns
    -------
    DriftResult
    """
    if correction not in ADJUSTMENTS:
        raise InputError(Errors.E207.format(value=correction, option="correction",
                                            allowed=list(ADJUSTMENTS)))
    _check_number("alpha", alpha, "a number in (0, 1)",
                  isinstance(alpha, (int, float)) and not isinstance(alpha, bool)
                  and 0 < alpha < 1)
    _check_number("seed", seed, "a non-negative integer",
                  isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0)
    for name, value in (("top_k", top_k), ("min_window_size", min_window_size),
                        ("max_embedding_texts", max_embedding_texts),
                        ("explain_limit", explain_limit)):
        _check_number(name, value, "a positive integer",
                      isinstance(value, (int, np.integer)) and not isinstance(value, bool)
                      and value > 0)
    if n_permutations is not None:
        _check_number("n_permutations", n_permutations, "an integer >= 19",
                      isinstance(n_permutations, (int, np.integer))
                      and not isinstance(n_permutations, bool) and n_permutations >= 19)
    explicit = tests is not None
    if tests is None:
        names = list(TEXT_TESTS) + (list(MODEL_TESTS) if model is not None else []) + list(
            OUTPUT_TESTS)
    else:
        names = [tests] if isinstance(tests, str) else list(tests)
        unknown = [n for n in names if n not in ALL_TESTS]
        if unknown:
            raise InputError(Errors.E1005.format(names=unknown, available=list(ALL_TESTS)))
        names = list(dict.fromkeys(names))

    if max_texts is not None:
        _check_number("max_texts (CLI: --max-texts)", max_texts, f"an integer >= min_window_size "
                      f"({max(min_window_size, _MIN_TEXTS)})",
                      isinstance(max_texts, (int, np.integer)) and not isinstance(max_texts, bool)
                      and max_texts >= max(min_window_size, _MIN_TEXTS))
        parse_window(window)  # a bad window is refused before the inputs are read
        ref_side = sample_drift_data(reference, max_texts=int(max_texts), seed=int(seed),
                                     side="reference", format=format)
        cur_side = sample_drift_data(current, max_texts=int(max_texts), seed=int(seed),
                                     window=window, side="current", format=format)
        ref, cur = ref_side.data, cur_side.data
    else:
        ref = as_drift_data(reference, format=format, side="reference")
        cur = as_drift_data(current, format=format, side="current")
    for side, data in (("reference", ref), ("current", cur)):
        if len(data) < _MIN_TEXTS:
            raise InputError(Errors.E1001.format(side=side, count=len(data), minimum=_MIN_TEXTS))
    windows = split_windows(cur, window) if max_texts is None else cur_side.windows
    small = [w for w in windows if len(w.index) < max(min_window_size, _MIN_TEXTS)]
    if small and len(windows) > 1:
        warn(Warnings.W1003.format(count=len(small), minimum=max(min_window_size, _MIN_TEXTS),
                                   windows=", ".join(w.key for w in small[:10])))
        windows = [w for w in windows if len(w.index) >= max(min_window_size, _MIN_TEXTS)]
    if not windows:
        raise InputError(Errors.E1001.format(side="current (per window)", count=0,
                                             minimum=max(min_window_size, _MIN_TEXTS)))

    pooled = _concat(cur, ref)
    # each side featurised on its own and merged (TextFeatures.merge): the features of
    # the pooled texts, the way shards of a large corpus are combined
    features = text_features(cur.texts).merge(text_features(ref.texts))
    if "ocr_garbage" in names:
        features.type_garbage  # once for all windows (rows() shares it)
    n_cur_all, n_ref = len(cur), len(ref)
    embedder = _MemoEmbedder(model) if model is not None and "embedding_mmd" in names else None

    comparisons = []
    for w in windows:
        rows = np.concatenate([w.index, n_cur_all + np.arange(n_ref)])
        cmp = Comparison(data=pooled.take(rows), features=features.rows(rows),
                         n_current=len(w.index), n_permutations=0, seed=int(seed),
                         top_k=int(top_k), model=embedder,
                         max_embedding_texts=int(max_embedding_texts))
        comparisons.append((w, cmp))
    reasons = {(w.key, n): applicability(n, cmp) for w, cmp in comparisons for n in names}
    m = sum(1 for r in reasons.values() if not r)
    if explicit:
        for n in names:
            r = [reasons[(w.key, n)] for w, _ in comparisons if reasons[(w.key, n)]]
            if r:
                warn(Warnings.W1000.format(test=n, reason=r[0]))
    if n_permutations is None:
        n_permutations = int(min(19_999, max(999, math.ceil(2 * max(m, 1) / alpha) - 1)))
    elif correction != "none" and max(m, 1) / (n_permutations + 1) > alpha:
        warn(Warnings.W1001.format(n_permutations=n_permutations, min_p=1 / (n_permutations + 1),
                                   correction=correction, m=m, alpha=alpha,
                                   needed=int(math.ceil(m / alpha))))

    outcomes: list[tuple[Any, Comparison, TestOutcome]] = []
    for k, (w, cmp) in enumerate(comparisons):
        cmp.n_permutations = n_permutations
        cmp.seed = int(seed) * 1_000_003 + k
        for res in run_tests(cmp, names):
            if res.status == "ok" and math.isnan(res.p_value):
                res.status = "undefined"
                res.reason = ("the statistic is undefined on this data (e.g. the current "
                              "set has no word tokens)")
            outcomes.append((w, cmp, res))

    import pandas as pd

    pvals = np.array([r.p_value if r.status == "ok" else np.nan for _, _, r in outcomes])
    adj = adjust_pvalues(pvals, correction)
    m = int(np.count_nonzero(~np.isnan(pvals)))  # the p-values the correction covers
    level = alpha / max(m, 1) if correction != "none" else alpha
    rows_out, expl_rows, findings = [], [], []
    for (w, cmp, res), q in zip(outcomes, adj):
        drift = bool(res.status == "ok" and not math.isnan(q) and q <= alpha)
        row = {"window": w.key, "test": res.name, "status": res.status,
               "statistic": res.statistic, "p_value": res.p_value,
               "adjusted_p_value": float(q), "drift": drift, "effect_size": res.effect_size,
               "current_value": res.current_value, "reference_value": res.reference_value,
               "critical_value": _critical(res, level, cmp.n_current, cmp.n_reference),
               "alternative": res.alternative, "n_current": cmp.n_current,
               "n_reference": cmp.n_reference, "method": res.method, "reason": res.reason}
        rows_out.append(row)
        if drift:
            ex = explain(res, cmp, limit=explain_limit)
            for e in ex:
                expl_rows.append({"window": w.key, "test": res.name, **e})
            findings.append(_finding(row, ex, alpha))
    table = pd.DataFrame(rows_out, columns=TEST_COLUMNS)
    expl = pd.DataFrame(expl_rows, columns=EXPLANATION_COLUMNS)
    win_rows = []
    for w, cmp in comparisons:
        sub = table[(table["window"] == w.key) & table["drift"]]
        win_rows.append({"window": w.key, "start": w.start, "end": w.end,
                         "n_current": int(len(w.index)),
                         "n_seen": int(len(w.index)) if max_texts is None else
                         int(cur_side.seen[w.key]),
                         "drift": bool(len(sub)),
                         "drifting_tests": ",".join(sub["test"])})
    wtable = pd.DataFrame(win_rows, columns=WINDOW_COLUMNS)
    any_drift = bool(table["drift"].any())
    n_w = len(comparisons)
    note = (f"{_CORRECTION_NAMES[correction]} over {m} p-values "
            f"({len(names)} tests x {n_w} window(s), skipped and undefined tests excluded); "
            f"a test drifts when its adjusted p-value <= {alpha}")
    if not any_drift:
        findings.append(Finding(f"No drift: none of the {m} tests is significant after "
                                f"{correction} correction at alpha {alpha}.",
                                metric="adjusted_p_value", value=float(np.nanmin(adj))
                                if m else None, threshold=alpha, severity="info"))
    tests_list = [{"name": r["test"], "window": r["window"], "status": r["status"],
                   "statistic": r["statistic"], "p_value": r["p_value"],
                   "adjusted_p_value": r["adjusted_p_value"], "drift": r["drift"],
                   "effect_size": r["effect_size"]} for r in rows_out]
    summary = {"drift": any_drift, "alpha": alpha, "correction": correction,
               "correction_note": note, "n_permutations": n_permutations, "seed": int(seed),
               "n_reference": n_ref, "n_current": n_cur_all,
               "n_reference_seen": n_ref if max_texts is None else ref_side.total,
               "n_current_seen": n_cur_all if max_texts is None else cur_side.total,
               "max_texts": None if max_texts is None else int(max_texts),
               "window": None if window is None else str(window), "n_windows": n_w,
               "drifting_tests": sorted({r["test"] for r in rows_out if r["drift"]}),
               "tests": tests_list}
    return DriftResult(summary=summary, tables={"tests": table, "windows": wtable,
                                                "explanations": expl}, findings=findings)
