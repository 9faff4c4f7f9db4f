"""Loss-curve diagnosis from the logs users already have.

:func:`read_curves` reads a Hugging Face ``trainer_state.json`` (its
``log_history``), a CSV / JSON / JSONL list of ``(step, split, loss[, metric...])``
records, or a DataFrame, into one long table with the columns ``step``,
``split`` (``"train"`` / ``"eval"``) and ``loss`` (plus any other numeric
columns).  :func:`diagnose_curves` smooths the curves and reports findings,
each with a ``kind``, a step range ``[start_step, end_step]`` (inclusive),
a severity and the evidence.

Smoothing: a centred running median over ``2h + 1`` logged points with
``h = max(2, round(n / 16))`` (the window shrinks symmetrically at both ends,
so a monotone curve is preserved exactly and single spikes are ignored).  The
noise level ``sigma`` is ``1.4826 x`` the median absolute deviation of the
residuals (loss - trend); the trend's own noise is ``sigma_trend = 1.25 sigma /
sqrt(2h + 1)``.  ``drop`` is the trend's first value minus its minimum.

Rules (thresholds are the keyword arguments of :func:`diagnose_curves`):

``divergence`` (critical)
    a non-finite training loss (from the first NaN/Inf step to the end), or the
    trend rising above ``divergence_factor`` (1.5) x its running minimum by more
    than ``max(3 sigma_trend, 0.1 drop)`` for at least ``max(2, h // 2)``
    consecutive points.  Range: from the step of the running minimum to the
    last risen point.
``plateau`` (warning) / ``slow_start`` (info)
    a window of ``w = max(5, plateau_fraction x n)`` points (15 %) over which the
    trend moves by ``flat < 0.1 drop``, followed by a window of the same length
    in which it falls by at least ``max(2.5 flat + 5 sigma_local, 0.05 drop)``
    (``sigma_local``: the trend noise from the residuals around the two windows).
    A decaying curve falls more slowly later than earlier, so its flat end is
    never a plateau.  ``slow_start`` when the flat level is within ``0.1 drop``
    of the starting level (the median of the first ``h + 1`` points), else
    ``plateau``.  A run whose trend never falls by ``max(3 sigma_trend,
    0.05 |first level|)`` is one plateau over the whole run ("no learning").
    Windows overlapping an oscillation, and the last ``h`` points, are left out.
``oscillation`` (warning)
    in windows of ``max(40, 4h)`` points (half-overlapping), the residuals are
    large (their standard deviation above ``oscillation_amplitude`` (5 %) of the
    trend's level) *and* autocorrelated (lag-1 autocorrelation >=
    ``oscillation_autocorr``, 0.5).  Noisy per-step logging gives uncorrelated
    residuals and is not an oscillation; swings with a period longer than the
    smoothing window show up in the trend instead (divergence / plateau).
``overfitting`` (warning)
    on the validation loss (at least 4 points, smoothed with a 3-point running
    median): after its best step the validation loss ends above ``best + tol``
    (``tol = max(overfit_tolerance (5 %) x best, 2 sigma_eval)``) and stays
    there over the last ``patience`` (3) evaluations, while the training trend
    does not rise (its level over the last ``h + 1`` points is at most
    ``2 sigma_trend`` above its trend at the best step).  Range: best step to the
    last evaluation.
``early_stop_suggested`` (info)
    with ``overfitting`` or ``divergence``: the step of the best validation
    loss (or of the lowest training trend before a divergence).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from ..errors import Errors, FormatError, InputError
from ..results import Finding, Result

__all__ = ["read_curves", "diagnose_curves", "CurveResult", "CurveFinding", "smooth",
           "FINDING_KINDS"]

FINDING_KINDS = ("divergence", "plateau", "overfitting", "oscillation", "slow_start",
                 "early_stop_suggested")
_CURVE_COLUMNS = ["step", "split", "loss"]


@dataclass(frozen=True)
class CurveFinding:
    """One finding on a loss curve (``start_step`` and ``end_step`` inclusive)."""

    kind: str
    start_step: float
    end_step: float
    severity: str
    detail: str
    value: float | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "start_step": _num(self.start_step),
                "end_step": _num(self.end_step), "severity": self.severity,
                "detail": self.detail}


def _num(x: Any) -> Any:
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return int(x) if x.is_integer() else x


class CurveResult(Result):
    """Result of :func:`diagnose_curves`.

    ``summary``: ``findings`` (list of ``{kind, start_step, end_step, severity,
    detail}``), ``status`` (``"ok"`` or the worst severity), ``train_points``,
    ``eval_points``, ``last_step``, ``final_train_loss`` (trend), ``best_eval_loss``,
    ``best_eval_step``.
    ``tables``: ``curves`` (``step, split, loss, trend``) and ``findings``
    (``kind, start_step, end_step, severity, detail, value, threshold``).
    """

    kind: ClassVar[str] = "training_curves"
    title: ClassVar[str] = "Loss-curve diagnosis"
    figure_specs: ClassVar[dict[str, str]] = {
        "loss_curves": "nlperr.training.figures:loss_curves"}

    @property
    def curve_findings(self) -> list[CurveFinding]:
        tab = self.tables.get("findings")
        if tab is None:
            return []
        out = []
        for r in tab.to_dict("records"):
            out.append(CurveFinding(
                kind=r["kind"], start_step=r["start_step"], end_step=r["end_step"],
                severity=r["severity"], detail=r["detail"],
                value=None if r.get("value") is None or _isnan(r.get("value")) else r["value"],
                threshold=None if r.get("threshold") is None or _isnan(r.get("threshold"))
                else r["threshold"]))
        return out


def _isnan(x: Any) -> bool:
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


# --- reading -----------------------------------------------------------------------------

def _from_log_history(history: Sequence[Mapping[str, Any]], where: str) -> list[dict]:
    rows = []
    for i, entry in enumerate(history):
        if not isinstance(entry, Mapping):
            raise FormatError(Errors.E904.format(path=where, reason=f"log_history[{i}] is "
                                                 f"not an object"))
        step = entry.get("step")
        if "loss" in entry:
            row = {"step": step, "split": "train", "loss": entry["loss"]}
            for k, v in entry.items():
                if k not in ("loss", "step") and isinstance(v, (int, float)) and \
                        not isinstance(v, bool):
                    row[k] = v
            rows.append(row)
        if "eval_loss" in entry:
            row = {"step": step, "split": "eval", "loss": entry["eval_loss"]}
            for k, v in entry.items():
                if k.startswith("eval_") and k != "eval_loss" and isinstance(v, (int, float)) \
                        and not isinstance(v, bool):
                    row[k[5:]] = v
            rows.append(row)
    return rows


def read_curves(source: Any) -> Any:
    """Training curves as a DataFrame with ``step``, ``split``, ``loss`` (+ metrics).

    *source*: a path to ``trainer_state.json`` (or any JSON object with
    ``log_history``), a JSON list / JSONL file / CSV file of records with
    ``step``, ``loss`` and optional ``split`` (default ``"train"``), a folder
    holding ``trainer_state.json``, a ``log_history`` list, or a DataFrame.
    Rows are sorted by split and step; ``loss`` may hold NaN (a diverged run).
    """
    import pandas as pd

    where = "curves"
    records: Any = source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        where = str(path)
        if path.is_dir() and (path / "trainer_state.json").is_file():
            path = path / "trainer_state.json"
        if not path.is_file():
            raise InputError(Errors.E904.format(path=where, reason="no such file"))
        suffix = path.suffix.lower()
        try:
            if suffix == ".csv":
                records = pd.read_csv(path)
            elif suffix == ".jsonl":
                records = [json.loads(line) for line in path.read_text(encoding="utf-8")
                           .splitlines() if line.strip()]
            else:
                records = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise FormatError(Errors.E904.format(path=where, reason=str(e))) from e
    if isinstance(records, Mapping):
        if "log_history" not in records:
            raise FormatError(Errors.E904.format(path=where, reason="a JSON object without "
                                                 "'log_history'"))
        records = _from_log_history(records["log_history"], where)
    elif isinstance(records, list) and records and isinstance(records[0], Mapping) and \
            "split" not in records[0] and any("eval_loss" in r for r in records):
        records = _from_log_history(records, where)
    if isinstance(records, pd.DataFrame):
        df = records.copy()
    elif isinstance(records, list):
        if not all(isinstance(r, Mapping) for r in records):
            raise FormatError(Errors.E904.format(path=where, reason="a list that holds "
                                                 "non-objects"))
        df = pd.DataFrame(list(records))
    else:
        raise InputError(Errors.E904.format(path=where, reason=f"a {type(records).__name__}"))
    if df.empty:
        raise FormatError(Errors.E904.format(path=where, reason="no records"))
    missing = [c for c in ("step", "loss") if c not in df.columns]
    if missing:
        raise FormatError(Errors.E904.format(path=where, reason=f"missing column(s) {missing}; "
                                             f"found {list(df.columns)[:8]}"))
    if "split" not in df.columns:
        df["split"] = "train"
    df["split"] = df["split"].fillna("train").astype(str).replace(
        {"validation": "eval", "valid": "eval", "val": "eval", "dev": "eval",
         "training": "train"})
    try:
        df["step"] = pd.to_numeric(df["step"])
        df["loss"] = pd.to_numeric(df["loss"])
    except (TypeError, ValueError) as e:
        raise FormatError(Errors.E904.format(path=where, reason=f"non-numeric step or loss "
                                             f"({e})")) from e
    df = df.dropna(subset=["step"])
    cols = _CURVE_COLUMNS + [c for c in df.columns if c not in _CURVE_COLUMNS]
    df = df[cols].sort_values(["split", "step"], kind="stable").reset_index(drop=True)
    return df


# --- smoothing ---------------------------------------------------------------------------

def smooth(y: Any, half_window: int) -> np.ndarray:
    """Centred running median of *y* over ``2 * half_window + 1`` points; at the ends
    the window shrinks symmetrically (point ``i`` uses ``min(h, i, n - 1 - i)``).

    >>> smooth([1, 9, 3, 4, 5], 1).tolist()
    [1.0, 3.0, 4.0, 4.0, 5.0]
    """
    y = np.asarray(y, dtype=np.float64)
    n, h = len(y), int(half_window)
    out = y.copy()
    if n < 3 or h < 1:
        return out
    h = min(h, (n - 1) // 2)
    if n >= 2 * h + 1:
        win = np.lib.stride_tricks.sliding_window_view(y, 2 * h + 1)
        out[h:n - h] = np.median(win, axis=1)
    for i in list(range(h)) + list(range(n - h, n)):
        k = min(h, i, n - 1 - i)
        out[i] = np.median(y[i - k:i + k + 1])
    return out


def _mad_sigma(r: np.ndarray) -> float:
    r = r[np.isfinite(r)]
    if len(r) == 0:
        return 0.0
    return float(1.4826 * np.median(np.abs(r - np.median(r))))


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive index runs where *flags* is True."""
    out, start = [], None
    for i, f in enumerate(flags):
        if f and start is None:
            start = i
        elif not f and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(flags) - 1))
    return out


# --- the diagnosis -----------------------------------------------------------------------

def diagnose_curves(curves: Any, *, divergence_factor: float = 1.5,
                    plateau_fraction: float = 0.15, oscillation_amplitude: float = 0.05,
                    oscillation_autocorr: float = 0.5, overfit_tolerance: float = 0.05,
                    patience: int = 3, half_window: int | None = None) -> CurveResult:
    """Findings on training (and validation) loss curves.

    Parameters
    ----------
    curves : DataFrame, path, list or dict
        Anything :func:`read_curves` reads.
    divergence_factor, plateau_fraction, oscillation_amplitude, oscillation_autocorr,
    overfit_tolerance, patience
        Thresholds of the rules (see the module docstring).
    half_window : int, optional
        ``h`` of the running median (default ``max(2, round(n / 16))``).

    Returns
    -------
    CurveResult
    """
    import pandas as pd

    for name, v, lo in (("divergence_factor", divergence_factor, 1.0),
                        ("plateau_fraction", plateau_fraction, 0.0),
                        ("oscillation_amplitude", oscillation_amplitude, 0.0),
                        ("overfit_tolerance", overfit_tolerance, 0.0)):
        if not isinstance(v, (int, float)) or not v > lo:
            raise InputError(Errors.E908.format(name=name, expected=f"a number > {lo}",
                                                value=v))
    if not isinstance(patience, int) or patience < 1:
        raise InputError(Errors.E908.format(name="patience", expected="an integer >= 1",
                                            value=patience))
    df = curves if isinstance(curves, pd.DataFrame) and "split" in curves.columns \
        else read_curves(curves)
    train = df[df["split"] == "train"].groupby("step", as_index=False)["loss"].mean()
    evald = df[df["split"] == "eval"].groupby("step", as_index=False)["loss"].mean()
    if not len(train) and not len(evald):
        raise InputError(Errors.E905.format(what="training or validation loss"))
    findings: list[CurveFinding] = []
    tx = train["step"].to_numpy(dtype=np.float64)
    ty = train["loss"].to_numpy(dtype=np.float64)
    trend_full = np.full(len(ty), np.nan)
    s_trend_train = 0.0
    h_train = 0
    div_best_step = None
    if len(ty):
        if not np.isfinite(ty).any():
            raise InputError(Errors.E905.format(what="training loss"))
        bad = np.nonzero(~np.isfinite(ty))[0]
        n_ok = int(bad[0]) if len(bad) else len(ty)
        x, y = tx[:n_ok], ty[:n_ok]
        n = len(y)
        h = half_window if half_window is not None else max(2, round(n / 16))
        trend = smooth(y, h) if n >= 3 else y.copy()
        trend_full[:n] = trend
        sigma = _mad_sigma(y - trend)
        s_trend = 1.25 * sigma / math.sqrt(2 * h + 1)
        s_trend_train = s_trend
        h_train = h
        osc_flags = np.zeros(n, dtype=bool)
        end = n  # analysis horizon for plateau / oscillation (before a divergence)
        # -- divergence --------------------------------------------------------
        # the first h points of the trend use shrunken windows (noisy): the running
        # minimum starts after them
        e0 = min(h, max(0, n - 1))
        drop = float(np.max(trend[:e0 + 1]) - trend.min()) if n else 0.0
        if n >= 5:
            run_min = np.minimum.accumulate(trend[e0:])
            rise = trend[e0:] - run_min
            flags = (trend[e0:] > divergence_factor * run_min) & \
                (rise > max(3 * s_trend, 0.1 * drop))
            for a, b in _runs(flags):
                a, b = a + e0, b + e0
                if b - a + 1 < max(2, h // 2):
                    continue
                m = e0 + int(np.argmin(trend[e0:a + 1]))
                findings.append(CurveFinding(
                    "divergence", x[m], x[b], "critical",
                    f"the training loss rose from {trend[m]:.4g} (step {_num(x[m])}) to "
                    f"{trend[b]:.4g} (step {_num(x[b])}), {trend[b] / max(trend[m], 1e-12):.3g}x "
                    f"its minimum: lower the learning rate or clip gradients",
                    value=float(trend[b] / max(trend[m], 1e-12)), threshold=divergence_factor))
                div_best_step = x[m]
                end = min(end, m + 1)
                break
        if len(bad):
            s0 = tx[bad[0] - 1] if bad[0] > 0 else tx[bad[0]]
            findings.append(CurveFinding(
                "divergence", s0, tx[-1], "critical",
                f"the training loss is NaN/Inf from step {_num(tx[bad[0]])} on "
                f"({len(bad)} logged value(s)): lower the learning rate, clip gradients, check "
                f"for log(0) or fp16 overflow", value=float(len(bad))))
            if div_best_step is None and n:
                div_best_step = x[int(np.argmin(trend))]
        # -- oscillation -------------------------------------------------------------
        if end >= 40:
            r = (y - trend)[:end]
            L = max(40, 4 * h)
            L = min(L, end)
            step = max(1, L // 2)
            flags = np.zeros(end, dtype=bool)
            evid = []
            for a in range(0, end - L + 1, step):
                seg = r[a:a + L]
                level = float(np.median(np.abs(trend[a:a + L])))
                sd = float(seg.std())
                if sd == 0 or level == 0:
                    continue
                c = seg - seg.mean()
                rho = float((c[1:] * c[:-1]).sum() / (c * c).sum())
                if sd / level > oscillation_amplitude and rho >= oscillation_autocorr:
                    flags[a:a + L] = True
                    evid.append((sd / level, rho))
            osc_flags = flags
            for a, b in _runs(flags):
                amp = max(e[0] for e in evid)
                findings.append(CurveFinding(
                    "oscillation", x[a], x[b], "warning",
                    f"the training loss swings around its trend (amplitude up to {amp:.2g} of "
                    f"the level, autocorrelated) from step {_num(x[a])} to {_num(x[b])}: "
                    f"the learning rate is probably too high", value=amp,
                    threshold=oscillation_amplitude))
        # -- plateau / slow start ----------------------------------------------------
        if end >= 8:
            tr, xs = trend[:end], x[:end]
            first = float(np.max(tr[:min(h, end - 1) + 1]))
            d = first - float(tr.min())
            no_learning = max(3 * s_trend, 0.05 * abs(first))
            if d < no_learning:
                findings.append(CurveFinding(
                    "plateau", xs[0], xs[-1], "warning",
                    f"the training loss does not improve over the run ({tr[0]:.4g} -> "
                    f"{tr[-1]:.4g}): check the learning rate, frozen parameters and the labels",
                    value=d, threshold=no_learning))
            else:
                w = max(5, int(round(plateau_fraction * end)))
                if end >= 2 * w:
                    win = np.lib.stride_tricks.sliding_window_view(tr, w)
                    # windows followed by a full window that ends before the last h
                    # points (whose trend uses shrunken, noisy windows)
                    k = max(0, min(len(win) - w + 1, end - h - 2 * w + 1))
                    flat_in = win.max(axis=1)[:k] - win.min(axis=1)[:k]
                    after = tr[w - 1:w - 1 + k] - win.min(axis=1)[w - 1:w - 1 + k]
                    # local noise of the trend (the noise of a loss often scales with it)
                    r_abs = np.abs((y - trend)[:end])
                    loc = 1.4826 * np.median(np.lib.stride_tricks.sliding_window_view(
                        np.pad(r_abs, (w, w), mode="edge"), 2 * w + 1), axis=1)[:end]
                    s_loc = 1.25 * loc / math.sqrt(2 * h + 1)
                    s_pair = np.array([s_loc[i:i + 2 * w].max() for i in range(k)])
                    need = np.maximum(2.5 * flat_in + 5 * s_pair, 0.05 * d)
                    busy = np.array([osc_flags[i:i + 2 * w].any() for i in range(k)])
                    flat = (after >= need) & (flat_in < 0.1 * d) & ~busy
                    start_level = float(np.median(y[:h + 1]))
                    for a, b in _runs(flat):
                        s_, e_ = a, b + w - 1
                        kind = "slow_start" if start_level - tr[s_] < 0.1 * d else "plateau"
                        findings.append(CurveFinding(
                            kind, xs[s_], xs[e_], "info" if kind == "slow_start" else "warning",
                            f"the training loss stays at {np.median(tr[s_:e_ + 1]):.4g} from step "
                            f"{_num(xs[s_])} to {_num(xs[e_])}, then falls faster"
                            + (": warm-up too long or learning rate too low at the start"
                               if kind == "slow_start" else
                               ": a saddle, or a learning rate too low for this phase"),
                            value=float(flat_in[a:b + 1].min()),
                            threshold=float(need[a:b + 1].max())))
    # -- overfitting ----------------------------------------------------------------------
    ex = evald["step"].to_numpy(dtype=np.float64)
    ey = evald["loss"].to_numpy(dtype=np.float64)
    best_eval_step = best_eval = None
    ok = np.isfinite(ey)
    ex, ey = ex[ok], ey[ok]
    if len(ey):
        es = smooth(ey, 1)
        b = int(np.argmin(es))
        best_eval_step, best_eval = float(ex[b]), float(ey[b])
        if len(ey) >= 4:
            s_e = _mad_sigma(ey - es)
            tol = max(overfit_tolerance * es[b], 2 * s_e)
            post = es[b + 1:]
            train_falls = True
            if len(ty) and np.isfinite(trend_full).any():
                ok_t = np.isfinite(trend_full)
                t_at_best = float(np.interp(ex[b], tx[ok_t], trend_full[ok_t]))
                # the trend's last points use shrunken windows: the median of the
                # last h + 1 logged values is the end level
                t_end = float(np.median(ty[np.isfinite(ty)][-(h_train + 1):]))
                train_falls = t_end <= t_at_best + 2 * s_trend_train
            if len(post) >= patience and es[-1] > es[b] + tol and \
                    np.all(post[-patience:] > es[b] + tol / 2) and train_falls:
                findings.append(CurveFinding(
                    "overfitting", ex[b], ex[-1], "warning",
                    f"the validation loss rose from {es[b]:.4g} at step {_num(ex[b])} (best) to "
                    f"{es[-1]:.4g} at step {_num(ex[-1])} while the training loss kept falling",
                    value=float(es[-1] - es[b]), threshold=float(tol)))
                findings.append(CurveFinding(
                    "early_stop_suggested", ex[b], ex[b], "info",
                    f"stop at step {_num(ex[b])} (best validation loss {es[b]:.4g}); the "
                    f"{_num(ex[-1] - ex[b])} steps after it made validation worse"))
    if div_best_step is not None and not any(f.kind == "early_stop_suggested" for f in findings):
        findings.append(CurveFinding(
            "early_stop_suggested", div_best_step, div_best_step, "info",
            f"keep the checkpoint of step {_num(div_best_step)} (lowest training loss before "
            f"the divergence)"))
    findings.sort(key=lambda f: (f.start_step, FINDING_KINDS.index(f.kind)))
    # -- result ---------------------------------------------------------------------------
    parts = []
    if len(tx):
        parts.append(pd.DataFrame({"step": tx, "split": "train", "loss": ty,
                                   "trend": trend_full}))
    if len(evald):
        e_all = evald["loss"].to_numpy(dtype=np.float64)
        e_tr = np.full(len(e_all), np.nan)
        fin = np.isfinite(e_all)
        if fin.any():
            e_tr[fin] = smooth(e_all[fin], 1)
        parts.append(pd.DataFrame({"step": evald["step"].to_numpy(dtype=np.float64),
                                   "split": "eval", "loss": e_all, "trend": e_tr}))
    table = pd.concat(parts, ignore_index=True)
    ftab = pd.DataFrame([{**f.to_dict(), "start_step": float(f.start_step),
                          "end_step": float(f.end_step),
                          "value": math.nan if f.value is None else float(f.value),
                          "threshold": math.nan if f.threshold is None else float(f.threshold)}
                         for f in findings],
                        columns=["kind", "start_step", "end_step", "severity", "detail", "value",
                                 "threshold"])
    sev = [f.severity for f in findings if f.severity != "info"]
    status = "critical" if "critical" in sev else "warning" if sev else "ok"
    fin_t = trend_full[np.isfinite(trend_full)]
    summary = {"findings": [f.to_dict() for f in findings], "status": status,
               "train_points": int(len(tx)), "eval_points": int(len(evald)),
               "last_step": _num(max([*tx, *evald["step"].tolist()])),
               "final_train_loss": float(fin_t[-1]) if len(fin_t) else None,
               "best_eval_loss": best_eval, "best_eval_step": _num(best_eval_step)}
    res_findings = [Finding(f"{f.kind} (steps {_num(f.start_step)}-{_num(f.end_step)}): "
                            f"{f.detail}", metric=f.kind, value=f.value, threshold=f.threshold,
                            severity=f.severity) for f in findings]
    return CurveResult(summary=summary, tables={"curves": table, "findings": ftab},
                       findings=res_findings)
