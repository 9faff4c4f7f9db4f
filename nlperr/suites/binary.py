"""Binary (two-class) sentiment models on three-class suites: CheckList's neutral band.

A binary model (SST-2 style: negative / positive) never predicts *neutral*, so
every three-class test that expects neutral scores 0 on it.  CheckList's
sentiment tutorial reads such a model as three-class by treating a positive
probability near 0.5 as neutral.  :func:`three_way_probs` does the same for a
band ``[low, high]`` (default ``[1/3, 2/3]``):

* ``p < low``: negative, probabilities ``(1 - p, 0, p)``;
* ``p > high``: positive, probabilities ``(1 - p, 0, p)``;
* ``low <= p <= high``: neutral, with neutral probability
  ``1 - |p - c| / (high - low)`` (``c`` the middle of the band: 1 at the middle,
  0.5 at the edges) and the rest on the side of ``c`` that *p* lies on.

With the default band these are the probabilities of CheckList's tutorial
(``margin_neutral = 1/3``), so DIR tests, which compare probabilities, see the
same numbers as there.  ``p`` is the model's positive probability renormalised
over its two classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..data import Example
from ..errors import Errors, InputError

__all__ = ["DEFAULT_NEUTRAL_BAND", "check_neutral_band", "three_way_probs", "apply_neutral_band"]

DEFAULT_NEUTRAL_BAND = (1 / 3, 2 / 3)


def check_neutral_band(band: Any, *, where: str = "neutral_band") -> tuple[float, float] | None:
    """Validate a band: ``None`` / ``False`` (off), ``True`` (the default ``[1/3, 2/3]``) or
    ``[low, high]`` with ``0 <= low <= high <= 1``; returns ``(low, high)`` or ``None``."""
    if band is None or band is False:
        return None
    if band is True:
        return DEFAULT_NEUTRAL_BAND
    ok = isinstance(band, (list, tuple)) and len(band) == 2 and all(
        isinstance(x, (int, float)) and not isinstance(x, bool) for x in band)
    if not ok or not 0 <= band[0] <= band[1] <= 1:
        raise InputError(Errors.E621.format(where=where, got=band))
    return float(band[0]), float(band[1])


def three_way_probs(p_positive: float,
                    band: Sequence[float] = DEFAULT_NEUTRAL_BAND) -> tuple[int, tuple[float, float, float]]:
    """``(label index, (negative, neutral, positive) probabilities)`` for a positive probability.

    >>> three_way_probs(0.9)
    (2, (0.09999999999999998, 0.0, 0.9))
    >>> three_way_probs(0.5)
    (1, (0.0, 1.0, 0.0))
    """
    low, high = float(band[0]), float(band[1])
    p = float(p_positive)
    if p < low:
        return 0, (1.0 - p, 0.0, p)
    if p > high:
        return 2, (1.0 - p, 0.0, p)
    center = (low + high) / 2
    width = high - low
    neutral = 1.0 - abs(p - center) / width if width > 0 else 1.0
    rest = 1.0 - neutral
    return 1, ((0.0, neutral, rest) if p >= center else (rest, neutral, 0.0))


def apply_neutral_band(ex: Example, band: Sequence[float], labels: Sequence[str], *,
                       where: str = "neutral_band") -> Example:
    """*ex* (a binary prediction over ``labels[0]`` and ``labels[2]``) as a three-class prediction.

    Error E620 when the prediction holds no probabilities or other classes than those two.
    """
    negative, neutral, positive = labels
    probs = ex.probs or {}
    if set(probs) != {negative, positive}:
        got = f"probabilities for {sorted(probs)}" if probs else f"only the label {ex.label!r} (no probabilities)"
        raise InputError(Errors.E620.format(where=where, negative=negative, positive=positive, neutral=neutral,
                                            got=got, example=ex.text[:60]))
    total = float(probs[negative]) + float(probs[positive])
    p = float(probs[positive]) / total if total > 0 else 0.5
    idx, pp = three_way_probs(p, band)
    return ex.copy(label=labels[idx], probs=dict(zip(labels, pp)))
