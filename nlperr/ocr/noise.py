"""OCR noise models: learned confusion tables that can corrupt clean text.

A :class:`NoiseModel` holds, for gold strings of 1-3 characters, the probability
that OCR renders them as another string (``"m" -> "rn"``, ``"d" -> "cl"``,
``"e" -> ""`` for a deletion), plus the insertion rate and the distribution of
inserted characters.  Learn one with :func:`nlperr.ocr.compare` (its
``noise_model``), save it with :meth:`NoiseModel.to_json`, load it with
:meth:`NoiseModel.from_json`, and corrupt text at a target character error rate
with :meth:`NoiseModel.apply`.

JSON format (``format = "nlperr.ocr.noise_model"``, ``version = 1``)::

    {"format": "nlperr.ocr.noise_model", "version": 1, "name": "...",
     "characters": 123456,                      # gold characters it was learned on
     "substitutions": [{"gold": "m", "ocr": "rn", "prob": 0.004, "count": 12}, ...],
     "deletions":     [{"gold": "e", "prob": 0.001, "count": 3}, ...],
     "insertions":    [{"ocr": " ", "prob": 0.4, "count": 40}, ...],
     "insertion_rate": 0.002, "deletion_rate": 0.001, "substitution_rate": 0.01,
     "confusions": [["m", "rn", 0.004], ["e", "", 0.001], ...]}

``confusions`` repeats substitutions and deletions as ``[gold, ocr, prob]`` rows,
the table format of the suites' ``ocr`` perturbation, so the file can be passed as
its ``table=`` (which samples at about the requested rate); for sampling at a
target CER, load the model and pass ``model=NoiseModel.from_json(path)``.

``prob`` of a substitution/deletion is P(OCR string | gold string occurrence);
``prob`` of an insertion is its share among inserted characters and
``insertion_rate`` is inserted characters per gold character.

Edit log
--------
:meth:`NoiseModel.apply` returns ``(noisy_text, edits)`` where *edits* is a list of
``(start, end, replacement)`` on the **original** text, half-open ``[start, end)``
character offsets, sorted and non-overlapping; ``start == end`` is an insertion,
``replacement == ""`` a deletion.  Applying them from right to left (or with
:func:`apply_edits`) rebuilds the noisy text.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Errors, InputError, Warnings, warn
from ._align import levenshtein

__all__ = ["NoiseModel", "apply_edits", "register_noise_model", "get_noise_model",
           "noise_models", "FORMAT"]

FORMAT = "nlperr.ocr.noise_model"
VERSION = 1
Edit = tuple[int, int, str]


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply an edit log (sorted, non-overlapping ``(start, end, replacement)``).

    >>> apply_edits("the cat", [(1, 2, "b"), (4, 5, "")])
    'tbe at'
    """
    out, prev = [], 0
    for start, end, rep in edits:
        out.append(text[prev:start])
        out.append(rep)
        prev = end
    out.append(text[prev:])
    return "".join(out)


@dataclass
class NoiseModel:
    """A character-level OCR noise model (see the module docstring).

    Attributes
    ----------
    substitutions : dict
        ``gold string -> [(ocr string, probability), ...]``; an empty OCR string is a
        deletion.
    insertions : dict
        ``inserted character(s) -> share`` (shares sum to 1).
    insertion_rate : float
        Inserted characters per gold character.
    """

    substitutions: dict[str, list[tuple[str, float]]]
    insertions: dict[str, float] = field(default_factory=dict)
    insertion_rate: float = 0.0
    name: str = ""
    characters: int = 0
    counts: dict[tuple[str, str], int] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ building
    @classmethod
    def from_counts(cls, confusions: Mapping[tuple[str, str], int],
                    gold_counts: Mapping[str, int], characters: int, *,
                    name: str = "learned") -> "NoiseModel":
        """Build from confusion counts ``{(gold, ocr): n}`` (``gold == ""``: insertion)
        and occurrence counts of the gold strings in the gold text."""
        subs: dict[str, list[tuple[str, float]]] = {}
        ins: dict[str, float] = {}
        n_ins = 0
        for (g, o), n in confusions.items():
            if g == "":
                ins[o] = ins.get(o, 0) + n
                n_ins += n * len(o)
                continue
            denom = gold_counts.get(g, 0)
            if denom <= 0:
                continue
            subs.setdefault(g, []).append((o, min(1.0, n / denom)))
        total_ins = sum(ins.values())
        shares = {o: n / total_ins for o, n in ins.items()} if total_ins else {}
        return cls(subs, shares, n_ins / characters if characters else 0.0, name,
                   characters, dict(confusions))

    @classmethod
    def default(cls) -> "NoiseModel":
        """A hand-specified model of typical OCR confusions (not learned from data).

        Substitutions such as ``rn<->m``, ``cl->d``, ``li<->h``, ``e<->c``,
        ``l/1/I``, ``O/0``, ``vv->w``; some merges (dropped spaces) and inserted
        punctuation.  Use it when no learned model is at hand.
        """
        table = {
            "m": [("rn", .006), ("in", .002)], "rn": [("m", .01)], "d": [("cl", .004)],
            "h": [("li", .003), ("b", .003)], "li": [("h", .003)], "e": [("c", .006), ("", .001)],
            "c": [("e", .004)], "l": [("1", .004), ("I", .004), ("i", .002)],
            "1": [("l", .01), ("I", .005)], "I": [("l", .01), ("1", .005)],
            "O": [("0", .01)], "0": [("O", .01), ("o", .003)], "o": [("0", .002), ("c", .002)],
            "S": [("5", .004)], "5": [("S", .004)], "B": [("8", .003)], "g": [("q", .002)],
            "u": [("n", .003), ("ii", .002)], "n": [("u", .003), ("ri", .002)],
            "i": [("l", .003), ("", .001)], "t": [("f", .002), ("l", .001)], "f": [("t", .002)],
            "a": [("o", .002), ("e", .002)], "v": [("y", .002)], "w": [("vv", .003)],
            ",": [(".", .01)], ".": [(",", .01), ("", .005)], " ": [("", .003)],
            "s": [("f", .001)], "y": [("v", .002)], "k": [("lc", .002)],
        }
        ins = {" ": .3, ".": .2, "'": .2, ",": .15, "-": .15}
        return cls(table, ins, 0.002, "default")

    # ------------------------------------------------------------- JSON I/O
    def to_dict(self) -> dict[str, Any]:
        subs, dels = [], []
        for g, outs in sorted(self.substitutions.items()):
            for o, p in sorted(outs, key=lambda x: -x[1]):
                row = {"gold": g, "ocr": o, "prob": p}
                if (g, o) in self.counts:
                    row["count"] = self.counts[(g, o)]
                if o:
                    subs.append(row)
                else:
                    row.pop("ocr")
                    dels.append(row)
        ins = [{"ocr": o, "prob": p, **({"count": self.counts[("", o)]} if ("", o) in self.counts
                                          else {})}
               for o, p in sorted(self.insertions.items(), key=lambda x: -x[1])]
        n = self.characters
        return {
            "format": FORMAT, "version": VERSION, "name": self.name, "characters": n,
            "substitutions": subs, "deletions": dels, "insertions": ins,
            "insertion_rate": self.insertion_rate,
            "deletion_rate": (sum(r.get("count", 0) * len(r["gold"]) for r in dels) / n) if n else None,
            "substitution_rate": (sum(r.get("count", 0) for r in subs) / n) if n else None,
            "confusions": [[r["gold"], r.get("ocr", ""), r["prob"]] for r in subs + dels],
        }

    def to_json(self, path: str | os.PathLike | None = None) -> str:
        """The model as JSON; also written to *path* when given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1)
        if path is not None:
            from ..io._atomic import atomic_write_text

            atomic_write_text(Path(path), text)
        return text

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "dict") -> "NoiseModel":
        def bad(error: str) -> InputError:
            return InputError(Errors.E707.format(source=source, error=error, format=FORMAT,
                                                 version=VERSION))
        if not isinstance(d, Mapping) or d.get("format") != FORMAT:
            raise bad(f"'format' is {d.get('format') if isinstance(d, Mapping) else type(d).__name__!r}")
        if d.get("version") != VERSION:
            raise bad(f"unsupported version {d.get('version')!r}")
        subs: dict[str, list[tuple[str, float]]] = {}
        counts: dict[tuple[str, str], int] = {}
        try:
            for row in list(d.get("substitutions", [])) + list(d.get("deletions", [])):
                g, o, p = str(row["gold"]), str(row.get("ocr", "")), float(row["prob"])
                if not g or not (0.0 <= p <= 1.0):
                    raise ValueError(f"bad entry {row!r}: 'gold' must be non-empty, 0 <= prob <= 1")
                subs.setdefault(g, []).append((o, p))
                if "count" in row:
                    counts[(g, o)] = int(row["count"])
            ins = {}
            for row in d.get("insertions", []):
                ins[str(row["ocr"])] = float(row["prob"])
                if "count" in row:
                    counts[("", str(row["ocr"]))] = int(row["count"])
            rate = float(d.get("insertion_rate", 0.0))
        except (KeyError, TypeError, ValueError) as e:
            raise bad(str(e)) from None
        return cls(subs, ins, rate, str(d.get("name", "")), int(d.get("characters", 0)), counts)

    @classmethod
    def from_json(cls, source: str | os.PathLike, *, encoding: str = "utf-8",
                  encoding_errors: str = "strict") -> "NoiseModel":
        """Load from a JSON file path (decoded with *encoding*) or a JSON string."""
        from ..io._structured import loads_json
        from ..io._text import read_text

        text = str(source)
        where = "JSON string"
        if not text.lstrip().startswith("{"):
            where = text
            try:
                text = read_text(source, encoding=encoding, errors=encoding_errors)
            except OSError as e:
                raise InputError(Errors.E707.format(source=where, error=e, format=FORMAT,
                                                    version=VERSION)) from None
        try:
            d = loads_json(text, where=where, what="noise model")
        except InputError:
            raise
        except ValueError as e:
            raise InputError(Errors.E707.format(source=where, error=e, format=FORMAT,
                                                version=VERSION)) from None
        return cls.from_dict(d, source=where)

    # ------------------------------------------------------------- sampling
    def _candidates(self, text: str, lo: int, hi: int):
        starts, ends, reps, weights, costs = [], [], [], [], []
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        for g, outs in self.substitutions.items():
            if len(g) == 1:
                pos = np.nonzero(codes == ord(g))[0]
            else:
                pos = np.fromiter((m.start() for m in re.finditer(re.escape(g), text)),
                                  dtype=np.int64)
            pos = pos[(pos >= lo) & (pos + len(g) <= hi)]
            if not len(pos):
                continue
            for o, p in outs:
                if p <= 0:
                    continue
                starts.append(pos)
                ends.append(pos + len(g))
                reps.append(np.full(len(pos), len(self._reps)))
                self._reps.append(o)
                weights.append(np.full(len(pos), p))
                costs.append(np.full(len(pos), levenshtein(g, o, backend="python")))
        if self.insertion_rate > 0 and self.insertions and hi - lo > 1:
            pos = np.arange(lo + 1, hi)
            starts.append(pos)
            ends.append(pos)
            reps.append(np.full(len(pos), -1))
            weights.append(np.full(len(pos), self.insertion_rate))
            costs.append(np.ones(len(pos), dtype=np.int64))
        if not starts:
            return None
        return (np.concatenate(starts), np.concatenate(ends), np.concatenate(reps),
                np.concatenate(weights), np.concatenate(costs).astype(np.int64))

    def apply(self, text: str, *, cer: float, seed: int | None = None) -> tuple[str, list[Edit]]:
        """Corrupt *text* so that its character error rate is about *cer*.

        Edits are drawn in proportion to the model's probabilities (a weighted
        sample without replacement over every place a rule applies), kept apart by
        at least one untouched character, until their Levenshtein cost reaches
        ``round(cer * len(text.strip()))`` (stochastic rounding); the result is then
        measured and topped up.  Leading/trailing whitespace is never edited.

        Returns ``(noisy_text, edits)``; see the module docstring for the edit log.

        Examples
        --------
        >>> model = NoiseModel.default()
        >>> noisy, edits = model.apply("the modern harbour of Amsterdam " * 20, cer=0.05, seed=0)
        >>> apply_edits("the modern harbour of Amsterdam " * 20, edits) == noisy
        True
        """
        if isinstance(cer, bool) or not isinstance(cer, (int, float)) or not 0 <= cer < 1:
            raise InputError(Errors.E708.format(name="cer", low=0, high=1, value=cer))
        body = text.strip()
        n = len(body)
        if n == 0 or cer == 0:
            return text, []
        lo = len(text) - len(text.lstrip())
        hi = lo + n
        rng = np.random.default_rng(seed)
        budget = int(math.floor(cer * n + rng.random()))
        if budget == 0:
            return text, []
        self._reps: list[str] = []
        cand = self._candidates(text, lo, hi)
        if cand is None:
            warn(Warnings.W702.format(reached=0.0, target=cer, length=n,
                                      reason="no rule of the model applies to this text"))
            return text, []
        starts, ends, reps, weights, costs = cand
        order = np.argsort(rng.exponential(size=len(starts)) / weights, kind="stable")
        # choice of the inserted string for each insertion candidate
        ins_keys = list(self.insertions)
        ins_p = np.array([self.insertions[k] for k in ins_keys], dtype=float)
        ins_choice = (rng.choice(len(ins_keys), size=len(starts), p=ins_p / ins_p.sum())
                      if ins_keys else None)
        busy = np.zeros(len(text) + 2, dtype=bool)
        chosen: list[Edit] = []
        spent, k = 0, 0
        measured = 0
        for _round in range(6):
            while spent < budget and k < len(order):
                c = order[k]
                k += 1
                cost = int(costs[c])
                if spent + cost > budget:
                    continue
                s, e = int(starts[c]), int(ends[c])
                if busy[max(0, s - 1):max(e, s + 1) + 1].any():
                    continue
                busy[s:max(e, s + 1)] = True
                r = int(reps[c])
                rep = self._reps[r] if r >= 0 else ins_keys[int(ins_choice[c])]
                chosen.append((s, e, rep))
                spent += cost
            chosen.sort()
            noisy = apply_edits(text, chosen)
            measured = levenshtein(body, noisy.strip())
            if measured >= budget or k >= len(order):
                break
            spent = measured  # alignment found cheaper paths: top up
        if measured < 0.9 * budget:
            warn(Warnings.W702.format(reached=measured / n, target=cer, length=n,
                                      reason="the model's rules cannot place enough edits "
                                             "(too few applicable positions)"))
        return apply_edits(text, chosen), chosen


_MODELS: dict[str, Callable[[], NoiseModel]] = {}


def register_noise_model(name: str, factory: Callable[[], NoiseModel], *,
                         overwrite: bool = False) -> None:
    """Register a noise model factory under *name* (``get_noise_model(name)``)."""
    if name in _MODELS and not overwrite:
        raise InputError(Errors.E207.format(value=name, option="noise model name",
                                            allowed="a name not yet registered (or overwrite=True)"))
    _MODELS[name] = factory


def get_noise_model(name: str) -> NoiseModel:
    """A registered noise model, or one loaded from a JSON file path."""
    if name in _MODELS:
        return _MODELS[name]()
    if os.path.exists(name):
        return NoiseModel.from_json(name)
    raise InputError(Errors.E713.format(name=name, available=", ".join(sorted(_MODELS))))


def noise_models() -> list[str]:
    """Names of the registered noise models."""
    return sorted(_MODELS)


register_noise_model("default", NoiseModel.default)
