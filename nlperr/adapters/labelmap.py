"""Renaming a model's labels to the gold data's labels.

A :class:`LabelMap` is applied by the engine *after* the prediction cache, so
changing the map never invalidates cached predictions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError, Warnings, shorten, warn
from .base import Prediction

__all__ = ["LabelMap", "UNMAPPED", "label_map_presets"]

UNMAPPED = ("keep", "drop", "error")

PRESETS_DIR = Path(__file__).resolve().parent.parent / "resources" / "label_maps"


def label_map_presets() -> dict[str, Path]:
    """The label maps shipped with nlperr, by name: ``label_map="NAME"`` in Python,
    ``--label-map NAME`` on the command line (see ``docs/adapters.md``).

    >>> sorted(label_map_presets())
    ['ontonotes-conll']
    >>> LabelMap.from_spec("ontonotes-conll").map_label("GPE")
    'LOC'
    """
    return {p.stem: p for p in sorted(PRESETS_DIR.glob("*.json"))}


class LabelMap:
    """Map model labels to target labels.

    Parameters
    ----------
    mapping : mapping of str to str or None
        ``{"PERSON": "PER", "GPE": "LOC"}``.  Several labels may map to the same
        target (their class probabilities are summed).  A label mapped to
        ``None`` is dropped on purpose (no warning).
    unmapped : {"keep", "drop", "error"}, default "keep"
        What to do with a label that is not in *mapping*: keep it unchanged,
        drop it (the engine warns once per run with W006, listing the labels),
        or raise :class:`~nlperr.errors.InputError` (E211).

    Examples
    --------
    >>> from nlperr import Span
    >>> from nlperr.adapters import LabelMap, Prediction
    >>> lm = LabelMap({"PERSON": "PER", "GPE": "LOC"}, unmapped="drop")
    >>> pred = Prediction(spans=(Span(0, 3, "PERSON"), Span(8, 14, "DATE")))
    >>> out, dropped = lm.apply(pred)
    >>> [(s.start, s.end, s.label) for s in out.spans], dropped
    ([(0, 3, 'PER')], {'DATE'})
    """

    def __init__(self, mapping: Mapping[str, str | None], *, unmapped: str = "keep") -> None:
        if not isinstance(mapping, Mapping):
            raise InputError(Errors.E210.format(source=mapping, error="not a mapping"))
        for k, v in mapping.items():
            if not isinstance(k, str) or not (v is None or (isinstance(v, str) and v)):
                raise InputError(Errors.E210.format(
                    source=dict(mapping), error=f"entry {k!r}: {v!r} must map a label to a "
                                                "non-empty string (or null to drop it)"))
        if unmapped not in UNMAPPED:
            raise InputError(Errors.E207.format(value=unmapped, option="unmapped",
                                                allowed=list(UNMAPPED)))
        self.mapping: dict[str, str | None] = dict(mapping)
        self.unmapped = unmapped

    # -- construction ----------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: "str | Mapping[str, str | None] | LabelMap", *,
                  unmapped: str = "keep", encoding: str = "utf-8",
                  encoding_errors: str = "strict") -> "LabelMap":
        """Build a map from a JSON string, the path of a JSON file, the name of a
        shipped preset (:func:`label_map_presets`, e.g. ``"ontonotes-conll"``; an
        existing file of the same name wins), a dict or a LabelMap.

        A file is decoded with *encoding* (BOM accepted; E030 names undecodable bytes)
        and parsed within the limits of :mod:`nlperr.limits`.

        >>> LabelMap.from_spec('{"PERSON": "PER"}').mapping
        {'PERSON': 'PER'}
        """
        if isinstance(spec, LabelMap):
            return spec if unmapped == spec.unmapped else cls(spec.mapping, unmapped=unmapped)
        if isinstance(spec, Mapping):
            return cls(spec, unmapped=unmapped)
        if isinstance(spec, Path):
            spec = str(spec)
        if not isinstance(spec, str):
            raise InputError(Errors.E210.format(source=spec, error=f"got {type(spec).__name__}"))
        text = spec.strip()
        source = spec
        if text[:1] not in ("{", "[", '"'):
            path = Path(spec).expanduser()
            if path.is_file():
                from ..io._text import read_text

                try:
                    text = read_text(path, encoding=encoding, errors=encoding_errors)
                except OSError as e:
                    raise InputError(Errors.E210.format(source=spec, error=e)) from e
            elif text in label_map_presets():
                text = label_map_presets()[text].read_text(encoding="utf-8")
            else:
                try:
                    json.loads(text)
                except json.JSONDecodeError:
                    raise InputError(Errors.E210.format(
                        source=spec, error="it is neither JSON nor an existing file, and not a "
                                           "preset name (presets: "
                                           f"{', '.join(label_map_presets())})")) from None
        from ..io._structured import loads_json

        try:
            data = loads_json(text, where=f"label map {shorten(source, 60)}", what="label map")
        except json.JSONDecodeError as e:
            raise InputError(Errors.E210.format(source=source, error=e)) from e
        if not isinstance(data, dict):
            raise InputError(Errors.E210.format(source=source,
                                                error=f"the JSON holds a {type(data).__name__}"))
        return cls(data, unmapped=unmapped)

    # -- mapping -----------------------------------------------------------------
    def map_label(self, label: str) -> str | None:
        """The target of *label*; ``None`` when it is dropped."""
        if label in self.mapping:
            return self.mapping[label]
        if self.unmapped == "keep":
            return label
        if self.unmapped == "drop":
            return None
        raise InputError(Errors.E211.format(label=label))

    def _unmapped_dropped(self, labels: Iterable[str]) -> set[str]:
        if self.unmapped != "drop":
            return set()
        return {lab for lab in labels if lab not in self.mapping}

    def apply(self, prediction: Prediction) -> tuple[Prediction, set[str]]:
        """Map a prediction's labels; return it with the set of labels dropped as unmapped.

        Spans whose label is dropped are removed.  Class probabilities of labels
        mapping to the same target are summed; dropped labels' probabilities are
        removed (not renormalised).  A single label that is dropped is replaced
        by the most probable remaining label when probabilities exist, else
        ``None``; multi-label tuples lose the dropped labels.
        """
        dropped: set[str] = set()
        spans = prediction.spans
        if spans is not None:
            out = []
            for sp in spans:
                new = self.map_label(sp.label)
                if new is None:
                    dropped |= self._unmapped_dropped([sp.label])
                    continue
                out.append(sp if new == sp.label else replace(sp, label=new))
            spans = tuple(out)
        probs = prediction.probs
        if probs is not None:
            mapped: dict[str, float] = {}
            for lab, p in probs.items():
                new = self.map_label(lab)
                if new is None:
                    dropped |= self._unmapped_dropped([lab])
                    continue
                mapped[new] = mapped.get(new, 0.0) + float(p)
            probs = mapped
        label = prediction.label
        if isinstance(label, tuple):
            kept = []
            for lab in label:
                new = self.map_label(lab)
                if new is None:
                    dropped |= self._unmapped_dropped([lab])
                elif new not in kept:
                    kept.append(new)
            label = tuple(kept)
        elif label is not None:
            new = self.map_label(label)
            if new is None:
                dropped |= self._unmapped_dropped([label])
                new = max(probs, key=probs.__getitem__) if probs else None
            label = new
        return Prediction(spans=spans, label=label, probs=probs), dropped

    def to_json(self) -> dict[str, Any]:
        return {"mapping": dict(self.mapping), "unmapped": self.unmapped}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, LabelMap) and other.mapping == self.mapping
                and other.unmapped == self.unmapped)

    def __repr__(self) -> str:
        return f"LabelMap({self.mapping!r}, unmapped={self.unmapped!r})"


def warn_dropped(dropped: Mapping[str, int]) -> None:
    """Emit W006 once for a run, listing the labels dropped as unmapped (with counts)."""
    if dropped:
        listing = ", ".join(f"{lab} ({n})" for lab, n in sorted(dropped.items()))
        warn(Warnings.W006.format(count=len(dropped), action="dropped", labels=listing),
             stacklevel=4)
