"""Do the predicted labels speak the gold's language?

A pretrained spaCy pipeline predicts OntoNotes types (``PERSON``, ``GPE``,
``NORP``...), CoNLL-2003 gold holds ``PER``, ``LOC``, ``ORG``, ``MISC``: scored
as they are, every ``PERSON`` is a type error and F1 looks like 0.2.  The fix is a
label map, not a better model; :func:`label_set_mismatch` finds the situation
and proposes the map.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..data import Example

__all__ = ["label_set_mismatch", "MISMATCH_SHARE", "SUGGEST_MAJORITY", "SUGGEST_SUPPORT"]

#: A report flags the label sets when at least this share of the predicted
#: entities carry labels that the gold data never uses.
MISMATCH_SHARE = 0.5
#: A predicted-only label P is suggested to map to the gold label G when G takes at
#: least this share of P's overlaps with gold entities...
SUGGEST_MAJORITY = 0.5
#: ...and P's entities overlapping G are at least this share of all P entities
#: (spaCy's CARDINAL on WNUT-17: 6 of 258 overlap a `product`; not suggested).
SUGGEST_SUPPORT = 0.25


def _span_labels(examples: Sequence[Example]) -> Counter:
    return Counter(s.label for ex in examples for s in (ex.spans or ()))


def label_set_mismatch(gold: Sequence[Example], pred: Sequence[Example], *,
                       confusion: pd.DataFrame | None = None,
                       threshold: float = MISMATCH_SHARE) -> dict[str, Any] | None:
    """Describe how far the predicted labels are from the gold labels.

    Parameters
    ----------
    gold, pred : sequence of Example
    confusion : DataFrame, optional
        Overlap confusion counts (rows gold labels, columns predicted labels, as
        :func:`~nlperr.analysis.entity_confusion` gives them); computed when
        omitted.  Used to propose a map: a predicted-only label goes to the gold
        label it overlaps most often, when that label takes at least half of its
        overlaps with gold entities and a quarter of all its predictions
        (:data:`SUGGEST_MAJORITY`, :data:`SUGGEST_SUPPORT`); others are left out.
    threshold : float, default 0.5
        Share of predicted entities with labels the gold never uses from which
        the label sets count as mismatched.

    Returns
    -------
    dict or None
        ``None`` when there is no gold or no predicted entity.  Otherwise
        ``{"mismatch": bool, "share_pred_unknown": float, "n_pred": int,
        "pred_only": [...], "gold_only": [...], "shared": [...],
        "suggested_map": {pred_label: gold_label}, "preset": name or None}``:
        ``pred_only`` are predicted labels absent from the gold (most frequent
        first), ``gold_only`` gold labels never predicted, ``preset`` a shipped
        label map (``nlperr.adapters.label_map_presets()``) that covers most of
        the predicted-only labels and maps onto gold labels.

    Examples
    --------
    >>> from nlperr import Example
    >>> g = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PER", "O", "B-LOC"])]
    >>> p = [Example.from_tokens(["Ann", "in", "Rome"], ["B-PERSON", "O", "B-GPE"])]
    >>> m = label_set_mismatch(g, p)
    >>> m["mismatch"], m["pred_only"], m["suggested_map"], m["preset"]
    (True, ['GPE', 'PERSON'], {'GPE': 'LOC', 'PERSON': 'PER'}, 'ontonotes-conll')
    """
    gold_counts, pred_counts = _span_labels(gold), _span_labels(pred)
    n_pred = sum(pred_counts.values())
    if not gold_counts or not n_pred:
        return None
    pred_only = sorted((lab for lab in pred_counts if lab not in gold_counts),
                       key=lambda lab: (-pred_counts[lab], lab))
    gold_only = sorted(lab for lab in gold_counts if lab not in pred_counts)
    shared = sorted(lab for lab in pred_counts if lab in gold_counts)
    share = sum(pred_counts[lab] for lab in pred_only) / n_pred
    if confusion is None:
        from .confusion import entity_confusion

        confusion = entity_confusion(gold, pred)
    suggested: dict[str, str] = {}
    rows = [r for r in confusion.index if r in gold_counts]
    for lab in sorted(pred_only):
        if lab not in confusion.columns or not rows:
            continue
        col = confusion.loc[rows, lab]
        best = int(col.max())
        # a clear majority of its overlaps, and a fair share of all its predictions
        if best and best >= SUGGEST_MAJORITY * int(col.sum()) \
                and best >= SUGGEST_SUPPORT * pred_counts[lab]:
            suggested[lab] = str(col.idxmax())
    return {
        "mismatch": bool(share >= threshold),
        "share_pred_unknown": float(share),
        "n_pred": int(n_pred),
        "pred_only": pred_only,
        "gold_only": gold_only,
        "shared": shared,
        "suggested_map": suggested,
        "preset": _matching_preset(pred_counts, pred_only, gold_counts),
    }


def _matching_preset(pred_counts: Mapping[str, int], pred_only: Sequence[str],
                     gold_counts: Mapping[str, int]) -> str | None:
    """The shipped label map that maps most predicted-only entities onto gold labels."""
    if not pred_only:
        return None
    from ..adapters.labelmap import LabelMap, label_map_presets

    total = sum(pred_counts[lab] for lab in pred_only)
    best, best_share = None, 0.5  # a preset must cover more than half of them
    for name in label_map_presets():
        mapping = LabelMap.from_spec(name).mapping
        covered = sum(pred_counts[lab] for lab in pred_only
                      if lab in mapping and (mapping[lab] is None or mapping[lab] in gold_counts))
        useful = any(mapping.get(lab) in gold_counts for lab in pred_only)
        if useful and covered / total > best_share:
            best, best_share = name, covered / total
    return best
