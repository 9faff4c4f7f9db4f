"""OCR noise as slice attributes, and NER F1 by noise bucket.

Attributes (built into :mod:`nlperr.analysis.slices`, which calls the functions
here lazily: importing :mod:`nlperr.ocr` changes nothing; use them by name,
``analyze_ner(..., slices=["led"])`` / ``nlperr analyze ner --slices led``):

* ``led`` (entity level) -- HIPE's ``LED`` (normalized Levenshtein distance between
  the OCR'd mention and its manual transcription) from gold ``Span.meta["LED"]``;
  predictions get the value of the gold entity they overlap most (``n/a`` if none).
* ``ocr_noise`` (entity level) -- the ground-truth-free noise score of the span's
  text (:class:`~nlperr.ocr.stats.OcrNoiseScorer`: mean over tokens of
  garbage / OOV / trigram-implausibility indicators, in [0, 1]).
* ``ocr_noise_example`` (example level) -- the same score over the whole text.

The default scorer uses the garbage rules only; pass a scorer built with a lexicon
and/or a clean reference to :func:`register_ocr_slices` (which then replaces the
built-in ``ocr_noise`` / ``ocr_noise_example``, explicitly) or to
:func:`f1_by_noise_bucket` for the full score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.slices import LED_BINS, NOISE_BINS  # one definition of the buckets
from ..errors import Errors, InputError, Warnings, warn
from .stats import OcrNoiseScorer

__all__ = ["led", "register_ocr_slices", "f1_by_noise_bucket", "LED_BINS", "NOISE_BINS",
           "BUCKET_COLUMNS"]

BUCKET_COLUMNS = ["bucket", "support", "predicted", "tp", "precision", "recall", "f1"]
_SCORER: list[OcrNoiseScorer] = []


def led(example: Any, span: Any) -> float | None:
    """HIPE LED of a span (``span.meta["LED"]``), None when absent."""
    meta = getattr(span, "meta", None)
    v = meta.get("LED") if meta else None
    return None if v is None else float(v)


def _scorer(scorer: OcrNoiseScorer | None) -> OcrNoiseScorer:
    if scorer is not None:
        return scorer
    if not _SCORER:
        _SCORER.append(OcrNoiseScorer())
    return _SCORER[0]


def default_entity_noise():
    """``ocr_noise`` with the default scorer (the built-in attribute's function)."""
    return _noise_entity(_scorer(None))


def default_example_noise():
    """``ocr_noise_example`` with the default scorer (the built-in attribute's function)."""
    return _noise_example(_scorer(None))


def _noise_entity(scorer: OcrNoiseScorer):
    def ocr_noise(example: Any, span: Any) -> float | None:
        v = scorer.score_span(example.text, span.start, span.end)
        return None if math.isnan(v) else v
    return ocr_noise


def _noise_example(scorer: OcrNoiseScorer):
    def ocr_noise_example(example: Any) -> float | None:
        v = scorer.score(example.text)
        return None if math.isnan(v) else v
    return ocr_noise_example


def register_ocr_slices(scorer: OcrNoiseScorer | None = None) -> bool:
    """Replace the built-in ``led``, ``ocr_noise``, ``ocr_noise_example`` attributes of
    :mod:`nlperr.analysis` with ones using *scorer* (an explicit call: nothing is
    registered on import).

    Returns False when :mod:`nlperr.analysis` is not available.
    """
    try:
        from ..analysis.slices import register_slice
    except ImportError:
        return False
    sc = _scorer(scorer)
    register_slice("led", led, level="entity", bins=list(LED_BINS), overwrite=True,
                   description="HIPE LED of the gold mention (OCR vs manual transcription)")
    register_slice("ocr_noise", _noise_entity(sc), level="entity", bins=list(NOISE_BINS),
                   overwrite=True, description="OCR-noise score of the entity text (no ground truth)")
    register_slice("ocr_noise_example", _noise_example(sc), level="example",
                   bins=list(NOISE_BINS), overwrite=True,
                   description="OCR-noise score of the example text (no ground truth)")
    return True


def _edges(bins: Any, default: Sequence[float]) -> list[float]:
    if bins is None:
        return list(default)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool) and bins > 0:
        return list(np.linspace(0.0, 1.0, int(bins) + 1))
    try:
        edges = [float(b) for b in bins]
    except TypeError:
        raise InputError(Errors.E710.format(value=bins)) from None
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:])):
        raise InputError(Errors.E710.format(value=bins))
    return edges


def _label(x: float | None, edges: list[float]) -> str:
    # the same buckets as nlperr.analysis slice tables, so both paths agree
    from ..analysis.slices import bucket_label

    return "n/a" if x is None else bucket_label(x, edges)


def _standalone(gold: Sequence[Any], pred: Sequence[Any], attribute: str, edges: list[float],
                scorer: OcrNoiseScorer) -> pd.DataFrame:
    fn = led if attribute == "led" else _noise_entity(scorer)
    support: dict[str, int] = {}
    predicted: dict[str, int] = {}
    tp_r: dict[str, int] = {}
    tp_p: dict[str, int] = {}
    unmatched = 0
    for g_ex, p_ex in zip(gold, pred):
        gspans = list(g_ex.spans or ())
        gkeys = {s.key for s in gspans}
        gvals = [_label(fn(g_ex, s), edges) for s in gspans]
        pkeys = {s.key for s in p_ex.spans or ()}
        for s, b in zip(gspans, gvals):
            support[b] = support.get(b, 0) + 1
            if s.key in pkeys:
                tp_r[b] = tp_r.get(b, 0) + 1
        for s in p_ex.spans or ():
            v = fn(p_ex, s) if attribute != "led" else None
            if v is not None:
                b = _label(v, edges)
            else:
                best, overlap = None, 0
                for gs, gb in zip(gspans, gvals):
                    ov = min(s.end, gs.end) - max(s.start, gs.start)
                    if ov > overlap:
                        best, overlap = gb, ov
                b = best if best is not None else "n/a"
                unmatched += best is None
            predicted[b] = predicted.get(b, 0) + 1
            if s.key in gkeys:
                tp_p[b] = tp_p.get(b, 0) + 1
    if unmatched:
        warn(Warnings.W703.format(count=unmatched, attribute=attribute))
    rows = []
    for b in sorted(set(support) | set(predicted), key=lambda x: (x == "n/a", x)):
        s, p = support.get(b, 0), predicted.get(b, 0)
        prec = tp_p.get(b, 0) / p if p else 0.0
        rec = tp_r.get(b, 0) / s if s else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        rows.append((b, s, p, tp_r.get(b, 0), prec, rec, f1))
    return pd.DataFrame(rows, columns=BUCKET_COLUMNS)


def f1_by_noise_bucket(gold: Sequence[Any], pred: Sequence[Any], *, attribute: str = "led",
                       bins: Any = None, scorer: OcrNoiseScorer | None = None,
                       use_analysis: bool = True) -> pd.DataFrame:
    """Strict span-level precision / recall / F1 per OCR-noise bucket.

    Parameters
    ----------
    gold, pred : sequence of Example
        Parallel gold and predicted examples.
    attribute : {"led", "ocr_noise"}
        Entity attribute to bucket on.
    bins : int or sequence of float, optional
        Bucket edges (int: equal-width bins over [0, 1]).  Defaults:
        :data:`LED_BINS` / :data:`NOISE_BINS` (the first bucket is exactly 0).
    scorer : OcrNoiseScorer, optional
        For ``ocr_noise`` (default: garbage rules only).
    use_analysis : bool
        Use :func:`nlperr.analysis.slice_table` with the built-in attribute when no
        *scorer* is given; otherwise (a custom scorer, or False) compute here: recall over gold entities of the
        bucket, precision over predicted entities of the bucket (a prediction
        takes its own ``ocr_noise`` value, or for ``led`` the bucket of the gold
        entity it overlaps most, else ``n/a``), strict (start, end, label) matches.

    Returns
    -------
    DataFrame
        Columns ``bucket``, ``support``, ``predicted``, ``tp`` (recall side),
        ``precision``, ``recall``, ``f1``.

    Examples
    --------
    >>> from nlperr.data import Example, Span
    >>> g = [Example("Paris and Lyon", spans=(Span(0, 5, "loc", meta={"LED": 0.0}),
    ...                                      Span(10, 14, "loc", meta={"LED": 0.25})))]
    >>> p = [Example("Paris and Lyon", spans=(Span(0, 5, "loc"),))]
    >>> f1_by_noise_bucket(g, p, use_analysis=False)[["bucket", "support", "recall"]].values.tolist()
    [['[0, 1e-09)', 1, 1.0], ['[0.1, 0.3)', 1, 0.0]]
    """
    allowed = ("led", "ocr_noise")
    if attribute not in allowed:
        raise InputError(Errors.E207.format(value=attribute, option="attribute",
                                            allowed=", ".join(allowed)))
    edges = _edges(bins, LED_BINS if attribute == "led" else NOISE_BINS)
    gold, pred = list(gold), list(pred)
    if len(gold) != len(pred):
        raise InputError(Errors.E709.format(where="f1_by_noise_bucket", ngold=len(gold),
                                            nocr=len(pred)))
    sc = _scorer(scorer)
    if use_analysis and scorer is None:  # the built-in attribute (default scorer)
        from ..analysis.slices import slice_table
        df = slice_table(gold, pred, attribute, bins=edges, n_boot=0)
        out = df.rename(columns={"value": "bucket"})
        if "tp" not in out.columns:
            out["tp"] = np.rint(out["recall"] * out["support"]).astype(int)
        return out[BUCKET_COLUMNS].reset_index(drop=True)
    return _standalone(gold, pred, attribute, edges, sc)
