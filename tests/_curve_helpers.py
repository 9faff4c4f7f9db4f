"""Synthetic loss curves with planted pathologies (for tests/test_training_curves.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def effective_time(n: int, freeze: tuple[int, int] | None) -> np.ndarray:
    """Time that stands still during *freeze* (a plateau in any decaying curve)."""
    t = np.arange(n, dtype=float)
    if freeze is not None:
        a, b = freeze
        t = np.where(t < a, t, np.where(t <= b, a, t - (b - a)))
    return t


def clean_loss(rng: np.random.Generator, n: int, *, t: np.ndarray | None = None,
               noise: float | None = None) -> tuple[np.ndarray, dict]:
    """Exponential decay to a floor with multiplicative per-step noise."""
    tau = rng.uniform(0.08, 0.35) * n
    start = rng.uniform(1.0, 3.0)
    floor = rng.uniform(0.05, 0.5) * start
    noise = rng.uniform(0.03, 0.25) if noise is None else noise
    tt = np.arange(n, dtype=float) if t is None else t
    base = floor + (start - floor) * np.exp(-tt / tau)
    y = base * (1 + noise * rng.standard_normal(n))
    return np.maximum(y, 1e-4), {"tau": tau, "start": start, "floor": floor, "noise": noise}


def frame(y: np.ndarray, every: int = 1, eval_y: np.ndarray | None = None,
          eval_every: int = 10) -> pd.DataFrame:
    steps = np.arange(1, len(y) + 1) * every
    parts = [pd.DataFrame({"step": steps, "split": "train", "loss": y})]
    if eval_y is not None:
        parts.append(pd.DataFrame({"step": np.arange(1, len(eval_y) + 1) * eval_every,
                                   "split": "eval", "loss": eval_y}))
    return pd.concat(parts, ignore_index=True)


def planted(kind: str, seed: int, n: int = 400) -> tuple[pd.DataFrame, tuple[int, int]]:
    """A curve with one planted *kind* and the planted step range (steps = index + 1)."""
    rng = np.random.default_rng(seed)
    if kind == "divergence":
        y, _ = clean_loss(rng, n)
        t0 = int(rng.integers(int(0.4 * n), int(0.8 * n)))
        y[t0:] *= np.exp(np.arange(n - t0) / rng.uniform(10, 40))
        return frame(y), (t0 + 1, n)
    if kind == "nan":
        y, _ = clean_loss(rng, n)
        t0 = int(rng.integers(int(0.4 * n), int(0.9 * n)))
        y[t0:] = np.nan
        return frame(y), (t0 + 1, n)
    if kind in ("plateau", "slow_start"):
        a = 0 if kind == "slow_start" else int(rng.integers(int(0.1 * n), int(0.25 * n)))
        b = a + int(rng.integers(int(0.2 * n), int(0.35 * n)))
        t = effective_time(n, (a, b))
        rng2 = np.random.default_rng(seed + 10_000)
        # the loss still has at least a third of its drop ahead after the plateau
        tau = max(rng2.uniform(0.1, 0.2) * n, a * rng2.uniform(1.0, 1.5))
        y = 0.2 + 2.0 * np.exp(-t / tau)
        y = y * (1 + rng2.uniform(0.03, 0.15) * rng2.standard_normal(n))
        return frame(y), (a + 1, b + 1)
    if kind == "oscillation":
        y, info = clean_loss(rng, n, noise=rng.uniform(0.02, 0.08))
        a = int(rng.integers(int(0.3 * n), int(0.5 * n)))
        b = a + int(rng.integers(int(0.2 * n), int(0.4 * n)))
        period = rng.uniform(8, 24)
        amp = rng.uniform(0.3, 0.6) * info["floor"] + 0.1
        y[a:b] += amp * np.sin(2 * np.pi * np.arange(b - a) / period)
        y = np.maximum(y, 1e-3)
        return frame(y), (a + 1, b)
    if kind == "overfitting":
        y, info = clean_loss(rng, n, noise=rng.uniform(0.03, 0.15))
        n_eval = n // 10
        best = int(rng.integers(int(0.3 * n_eval), int(0.6 * n_eval)))
        te = np.arange(n_eval, dtype=float) * 10
        ev = info["floor"] * 1.3 + (info["start"] - info["floor"]) * np.exp(-te / info["tau"])
        ev[best:] = ev[best] + rng.uniform(0.05, 0.2) * info["start"] * \
            (np.arange(n_eval - best) / (n_eval - best))
        ev = ev * (1 + 0.01 * rng.standard_normal(n_eval))
        return frame(y, eval_y=ev), ((best + 1) * 10, n)
    raise ValueError(kind)


def clean(seed: int, n: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(n or rng.integers(60, 800))
    y, info = clean_loss(rng, n)
    n_eval = max(4, n // 10)
    te = np.arange(n_eval, dtype=float) * 10
    ev = info["floor"] * 1.3 + (info["start"] - info["floor"]) * np.exp(-te / info["tau"])
    ev = ev * (1 + 0.01 * rng.standard_normal(n_eval))
    return frame(y, eval_y=ev)
