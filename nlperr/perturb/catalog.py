"""The built-in perturbations.  Each returns an edit log on the original text.

=================  ==========================================================
name               what it does (parameters, defaults)
=================  ==========================================================
``first_name``     swap known first names (``keep_gender=True``,
                   ``keep_origin=False``, ``gender=None``, ``origin=None``,
                   ``names=None`` custom list, ``max_swaps=None`` = all)
``last_name``      swap known last names (``origin=None``, ``keep_origin=False``,
                   ``names=None``)
``city``           swap known cities (``region=None``, ``same_region=False``,
                   ``names=None``)
``country``        swap known countries (``region=None``, ``same_region=False``,
                   ``names=None``)
``number``         change integers/decimals (``max_relative=0.5``,
                   ``keep_digits=True``, ``max_changes=None``)
``date``           reformat and/or shift dates (``to_format="swap"`` one of
                   ``swap``/``long``/``numeric``/``iso``/``keep``,
                   ``shift_days=0`` max absolute shift, ``numeric_order="mdy"``)
``typo``           keyboard typos (``rate=0.05`` per word, ``min_typos=1``,
                   ``kinds=("substitute", "delete", "insert", "transpose")``)
``ocr``            OCR confusions (``cer=0.05``, ``table=None`` JSON path,
                   ``model=None`` a NoiseModel, ``merge_rate=0.02``,
                   ``split_rate=0.02``)
``case``           change case (``mode="lower"``: ``lower``/``upper``/``title``)
``punctuation``    ``mode="strip"`` removes trailing punctuation / ``"add"``
                   adds one of ``marks=(".", "!", "?")``
``contraction``    ``mode="expand"`` (don't -> do not) or ``"contract"``
``whitespace``     extra spaces / newlines (``rate=0.1``, ``newline=0.3``)
``add_irrelevant`` add a URL / @handle (``position="suffix"``: ``prefix``/
                   ``suffix``/``both``, ``kinds=("url", "handle")``)
``negation``       negate the first auxiliary/verb (``is`` -> ``is not``,
                   ``like`` -> ``don't like``)
``add_phrase``     append a phrase (``phrases=[...]``, ``position="suffix"``)
``entity_swap``    replace an entity by another of the same type
                   (``pool=None``: ``{label: [texts]}``; by default built from
                   the entities of the test's data; ``labels=None``)
=================  ==========================================================

A value given for a parameter is checked against its declared kind (``kinds=`` of
:func:`~nlperr.perturb.registry.register_perturbation`) when the parameters are merged,
before a function runs; the functions check only what a kind does not say (one of a
set of modes, a table or model that must load).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
import os
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..data import Example
from ..errors import Errors, InputError
from .edits import Edit
from .lexicons import lexicon
from .registry import register_perturbation

__all__: list[str] = []


def _bad(name: str, param: str, got: Any, expected: str) -> InputError:
    return InputError(Errors.E604.format(where="perturbation", got=got, param=param, name=name,
                                         expected=expected))


def _check_choice(name: str, param: str, value: Any, allowed: Sequence[str]) -> str:
    if value not in allowed:
        raise _bad(name, param, value, "one of " + ", ".join(map(repr, allowed)))
    return value


def _match_case(src: str, repl: str) -> str:
    if src.isupper() and len(src) > 1:
        return repl.upper()
    if src.islower():
        return repl.lower()
    return repl


# --- name / place swaps --------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _phrase_regex(phrases: tuple[str, ...]) -> re.Pattern:
    alts = sorted(set(phrases), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(a) for a in alts) + r")(?![\w-])")


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, (list, set)) else value


@functools.lru_cache(maxsize=256)
def _lexicon_index(name: str, filters: tuple, group_key: str | None) -> tuple[dict, list, dict]:
    """``(known: text -> tags, candidate texts, text -> values of group_key)`` of a shipped
    lexicon, computed once per (lexicon, filters, group key)."""
    entries = lexicon(name)
    known = {e.text: e.tags for e in entries}
    pool_all = [e.text for e in entries if e.matches(**dict(filters))]
    groups: dict[str, set] = {}  # a name may be listed twice (e.g. under two origins)
    if group_key is not None:
        for e in entries:
            groups.setdefault(e.text, set()).add(e.tags.get(group_key))
    return known, pool_all, groups


def _swap_lexicon(example: Example, rng: random.Random, lexicon_name: str, *, group_key: str | None,
                  candidates_filter: Mapping[str, Any], names: Sequence[str] | None,
                  max_swaps: int | None) -> list[Edit]:
    if names is not None:
        known: dict = {n: {} for n in names}
        pool_all = list(names)
        groups: dict[str, set] = {}
    else:
        filters = tuple(sorted((k, _hashable(v)) for k, v in candidates_filter.items()))
        known, pool_all, groups = _lexicon_index(lexicon_name, filters, group_key)
    if not known:
        return []
    edits: list[Edit] = []
    for m in _phrase_regex(tuple(known)).finditer(example.text):
        src = m.group(1)
        tags = known[src]
        pool = pool_all
        if group_key is not None and tags.get(group_key) is not None:
            want = tags[group_key]
            pool = [p for p in pool if known.get(p, {}).get(group_key) == want or want in groups.get(p, ())]
        pool = [p for p in pool if p != src]
        if not pool:
            continue
        edits.append(Edit(m.start(1), m.end(1), rng.choice(pool)))
        if max_swaps is not None and len(edits) >= max_swaps:
            break
    return edits


@register_perturbation("first_name", defaults={"keep_gender": True, "keep_origin": False, "gender": None,
                                               "origin": None, "names": None, "max_swaps": None},
                       kinds={"keep_gender": "bool", "keep_origin": "bool",
                              "gender": "text or texts?", "origin": "text or texts?",
                              "names": "texts?", "max_swaps": "count?"},
                       requires='a first name from its name list',
                       description="swap first names for other first names (lists with gender and origin)")
def _first_name(example, rng, *, keep_gender, keep_origin, gender, origin, names, max_swaps):
    group = "gender" if keep_gender else ("origin" if keep_origin else None)
    edits = _swap_lexicon(example, rng, "first_name", group_key=group,
                          candidates_filter={"gender": gender, "origin": origin},
                          names=names, max_swaps=max_swaps)
    if keep_gender and keep_origin and names is None:  # both: filter again on origin
        entries = lexicon("first_name")
        by_text = {e.text: e.tags for e in entries}
        out = []
        for ed in edits:
            src = by_text[example.text[ed.start:ed.end]]
            pool = [e.text for e in entries if e.tags == src and e.text != example.text[ed.start:ed.end]]
            out.append(Edit(ed.start, ed.end, rng.choice(pool)) if pool else ed)
        edits = out
    return edits


@register_perturbation("last_name", defaults={"origin": None, "keep_origin": False, "names": None,
                                              "max_swaps": None},
                       kinds={"origin": "text or texts?", "keep_origin": "bool", "names": "texts?",
                              "max_swaps": "count?"},
                       requires='a last name from its name list',
                       description="swap last names for other last names (lists with origin)")
def _last_name(example, rng, *, origin, keep_origin, names, max_swaps):
    return _swap_lexicon(example, rng, "last_name", group_key="origin" if keep_origin else None,
                         candidates_filter={"origin": origin}, names=names, max_swaps=max_swaps)


@register_perturbation("city", defaults={"region": None, "same_region": False, "names": None,
                                         "max_swaps": None},
                       kinds={"region": "text or texts?", "same_region": "bool", "names": "texts?",
                              "max_swaps": "count?"},
                       requires='a city name from its list',
                       description="swap city names (list with country and region)")
def _city(example, rng, *, region, same_region, names, max_swaps):
    return _swap_lexicon(example, rng, "city", group_key="region" if same_region else None,
                         candidates_filter={"region": region}, names=names, max_swaps=max_swaps)


@register_perturbation("country", defaults={"region": None, "same_region": False, "names": None,
                                            "max_swaps": None},
                       kinds={"region": "text or texts?", "same_region": "bool", "names": "texts?",
                              "max_swaps": "count?"},
                       requires='a country name from its list',
                       description="swap country names (list with region)")
def _country(example, rng, *, region, same_region, names, max_swaps):
    return _swap_lexicon(example, rng, "country", group_key="region" if same_region else None,
                         candidates_filter={"region": region}, names=names, max_swaps=max_swaps)


# --- numbers and dates ------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w./:-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\w/:-]|\.\d)")


@register_perturbation("number", defaults={"max_relative": 0.5, "keep_digits": True, "max_changes": None},
                       kinds={"max_relative": "positive", "keep_digits": "bool", "max_changes": "count?"},
                       requires='a number',
                       description="change numbers by up to max_relative (keeps the digit count)")
def _number(example, rng, *, max_relative, keep_digits, max_changes):
    max_relative = float(max_relative)  # (> 0: its declared kind)
    edits = []
    for m in _NUMBER.finditer(example.text):
        int_part, frac = m.group(1), m.group(2) or ""
        value = int(int_part.replace(",", ""))
        ndig = len(str(value))
        lo = max(0, int(value * (1 - max_relative)))
        hi = max(lo + 1, int(value * (1 + max_relative)) + 1)
        if keep_digits:
            lo = max(lo, 10 ** (ndig - 1) if ndig > 1 else 0)
            hi = min(hi, 10 ** ndig - 1)
        choices = hi - lo + 1
        if choices <= 1:
            continue
        new = value
        for _ in range(8):
            new = rng.randint(lo, hi)
            if new != value:
                break
        if new == value:
            continue
        text = f"{new:,}" if "," in int_part else str(new)
        if len(int_part) > 1 and int_part.startswith("0"):
            text = text.zfill(len(int_part))
        if frac:
            text += "." + "".join(str(rng.randint(0, 9)) for _ in range(len(frac) - 1))
        edits.append(Edit(m.start(), m.end(), text))
        if max_changes is not None and len(edits) >= max_changes:
            break
    return edits


_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_MONTH_RE = "|".join(_MONTHS) + "|" + "|".join(m[:3] + r"\.?" for m in _MONTHS)
_DATE_LONG = re.compile(r"\b(" + _MONTH_RE + r")\s+(\d{1,2}),\s*(\d{4})\b")
_DATE_NUM = re.compile(r"(?<![\w/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\w/])")
_DATE_ISO = re.compile(r"(?<![\w-])(\d{4})-(\d{2})-(\d{2})(?![\w-])")


def _month_index(name: str) -> int:
    key = name.rstrip(".")[:3].lower()
    return [m[:3].lower() for m in _MONTHS].index(key) + 1


def _format_date(d: _dt.date, fmt: str, order: str) -> str:
    if fmt == "long":
        return f"{_MONTHS[d.month - 1]} {d.day}, {d.year}"
    if fmt == "iso":
        return d.isoformat()
    if order == "dmy":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


@register_perturbation("date", defaults={"to_format": "swap", "shift_days": 0, "numeric_order": "mdy"},
                       kinds={"to_format": "text", "shift_days": "count", "numeric_order": "text"},
                       requires="a date it recognises ('March 3, 2021', '03/03/2021', '2021-03-03')",
                       description="reformat dates ('March 3, 2021' <-> '03/03/2021', ISO) and/or "
                                   "shift them by up to shift_days")
def _date(example, rng, *, to_format, shift_days, numeric_order):
    _check_choice("date", "to_format", to_format, ("swap", "long", "numeric", "iso", "keep"))
    _check_choice("date", "numeric_order", numeric_order, ("mdy", "dmy"))
    found: list[tuple[int, int, _dt.date, str]] = []
    for m in _DATE_LONG.finditer(example.text):
        try:
            found.append((m.start(), m.end(), _dt.date(int(m.group(3)), _month_index(m.group(1)),
                                                        int(m.group(2))), "long"))
        except ValueError:
            continue
    for rx, kind in ((_DATE_NUM, "numeric"), (_DATE_ISO, "iso")):
        for m in rx.finditer(example.text):
            try:
                if kind == "iso":
                    d = _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                elif numeric_order == "dmy":
                    d = _dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                else:
                    d = _dt.date(int(m.group(3)), int(m.group(1)), int(m.group(2)))
            except ValueError:
                continue
            found.append((m.start(), m.end(), d, kind))
    edits = []
    for start, end, d, kind in sorted(found):
        if edits and start < edits[-1].end:
            continue
        if shift_days:
            delta = 0
            while delta == 0:
                delta = rng.randint(-shift_days, shift_days)
            d = d + _dt.timedelta(days=delta)
        fmt = {"swap": "numeric" if kind == "long" else "long", "keep": kind}.get(to_format, to_format)
        edits.append(Edit(start, end, _format_date(d, fmt, numeric_order)))
    return edits


# --- character noise --------------------------------------------------------------

_ROWS = ["1234567890-", "qwertyuiop[", "asdfghjkl;'", "zxcvbnm,./"]
_NEIGHBOURS: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _ch in enumerate(_row):
        near = []
        for dr in (-1, 0, 1):
            rr = _r + dr
            if 0 <= rr < len(_ROWS):
                for dc in (-1, 0, 1):
                    cc = _c + dc
                    if (dr or dc) and 0 <= cc < len(_ROWS[rr]) and _ROWS[rr][cc].isalnum():
                        near.append(_ROWS[rr][cc])
        _NEIGHBOURS[_ch] = "".join(near)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_TYPO_KINDS = ("substitute", "delete", "insert", "transpose")


def _typo_in_word(word: str, offset: int, rng: random.Random, kinds: Sequence[str]) -> Edit | None:
    kind = rng.choice(list(kinds))
    n = len(word)
    if kind == "transpose":
        pairs = [i for i in range(n - 1) if word[i] != word[i + 1]]
        if not pairs:
            kind = "substitute"
        else:
            i = rng.choice(pairs)
            return Edit(offset + i, offset + i + 2, word[i + 1] + word[i])
    if kind == "delete":
        if n < 2:
            kind = "substitute"
        else:
            i = rng.randrange(n)
            return Edit(offset + i, offset + i + 1, "")
    i = rng.randrange(n)
    ch = word[i]
    near = _NEIGHBOURS.get(ch.lower(), "")
    if not near:
        return None
    new = rng.choice(near)
    new = new.upper() if ch.isupper() else new
    if kind == "insert":
        return Edit(offset + i + 1, offset + i + 1, new)
    return Edit(offset + i, offset + i + 1, new)


@register_perturbation("typo", defaults={"rate": 0.05, "min_typos": 1, "kinds": _TYPO_KINDS},
                       kinds={"rate": "probability", "min_typos": "count", "kinds": "text or texts"},
                       requires='a word of two or more letters',
                       description="keyboard typos (neighbour-key substitution, deletion, insertion, "
                                   "transposition) in a fraction `rate` of the words")
def _typo(example, rng, *, rate, min_typos, kinds):
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    for k in kinds:
        _check_choice("typo", "kinds", k, _TYPO_KINDS)
    words = [m for m in _WORD.finditer(example.text) if len(m.group()) >= 2]
    if not words:
        return []
    chosen = [m for m in words if rng.random() < rate]
    if len(chosen) < min_typos:
        extra = [m for m in words if m not in chosen]
        rng.shuffle(extra)
        chosen += extra[: min_typos - len(chosen)]
    edits = []
    for m in sorted(chosen, key=lambda m: m.start()):
        ed = _typo_in_word(m.group(), m.start(), rng, kinds)
        if ed is not None:
            edits.append(ed)
    return edits


#: Built-in OCR confusions: (source, target, weight).  Multi-character
#: confusions come first so that they win over single-character ones.
OCR_CONFUSIONS: tuple[tuple[str, str, float], ...] = (
    ("rn", "m", 3.0), ("m", "rn", 2.0), ("cl", "d", 2.0), ("d", "cl", 1.0), ("li", "h", 1.5),
    ("h", "li", 1.0), ("vv", "w", 1.0), ("w", "vv", 1.0), ("nn", "m", 1.0), ("in", "m", 0.5),
    ("l", "1", 3.0), ("1", "l", 2.0), ("I", "l", 2.0), ("l", "I", 2.0), ("i", "l", 1.0),
    ("O", "0", 3.0), ("0", "O", 2.0), ("o", "0", 1.0), ("S", "5", 1.0), ("5", "S", 1.0),
    ("B", "8", 1.0), ("8", "B", 1.0), ("Z", "2", 0.5), ("e", "c", 1.5), ("c", "e", 1.0),
    ("a", "o", 1.0), ("u", "n", 1.0), ("n", "u", 1.0), ("t", "f", 0.5), ("f", "t", 0.5),
    ("g", "q", 0.5), (",", ".", 1.0), (".", ",", 1.0),
)


def _load_table(table: Any) -> list[tuple[str, str, float]]:
    if table is None:
        return list(OCR_CONFUSIONS)
    where = str(table) if isinstance(table, str) else "table"
    data = table
    if isinstance(table, str):
        try:
            with open(table, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as e:
            raise InputError(Errors.E616.format(where=where, error=e)) from None
    if isinstance(data, Mapping):
        data = data.get("confusions")
    try:
        rows = [(str(s), str(t), float(w)) for s, t, w in data]
    except (TypeError, ValueError) as e:
        raise InputError(Errors.E616.format(where=where, error=e)) from None
    if not rows or any(not s or w < 0 for s, _, w in rows):
        raise InputError(Errors.E616.format(where=where, error="empty table, empty source or negative weight"))
    return rows


def _noise_model(name: str) -> Any:
    """A registered ``nlperr.ocr`` noise model or a NoiseModel JSON file (loaded once per file version)."""
    stamp = os.stat(name).st_mtime_ns if os.path.exists(name) else None
    return _noise_model_cached(name, stamp)


@functools.lru_cache(maxsize=16)
def _noise_model_cached(name: str, stamp: int | None) -> Any:
    from ..ocr import get_noise_model  # light: nlperr.ocr imports no framework
    return get_noise_model(name)


def _model_edits(model: Any, text: str, cer: float, seed: int) -> list[Edit]:
    noisy, log = model.apply(text, cer=cer, seed=seed)
    edits = []
    for item in log or ():
        if isinstance(item, Mapping):
            edits.append(Edit(int(item["start"]), int(item["end"]), str(item["replacement"])))
        elif hasattr(item, "start") and hasattr(item, "replacement"):
            edits.append(Edit(int(item.start), int(item.end), str(item.replacement)))
        else:
            s, e, r = item[:3]
            edits.append(Edit(int(s), int(e), str(r)))
    from .edits import apply_edits, normalize_edits
    edits = list(normalize_edits(text, edits, where="NoiseModel edit log"))
    if apply_edits(text, edits) != noisy:
        raise InputError(Errors.E616.format(where=type(model).__name__,
                                            error="its edit log does not reproduce its noisy text"))
    return edits


@register_perturbation("ocr", defaults={"cer": 0.05, "table": None, "model": None, "merge_rate": 0.02,
                                        "split_rate": 0.02},
                       kinds={"cer": "probability", "merge_rate": "probability",
                              "split_rate": "probability"},
                       requires='characters its confusion table can change',
                       description="OCR noise: confusions such as rn->m, cl->d, li->h, l->1, O->0 "
                                   "(built-in or learned table / NoiseModel) plus word merges/splits")
def _ocr(example, rng, *, cer, table, model, merge_rate, split_rate):
    text = example.text
    if isinstance(model, (str, os.PathLike)):
        model = _noise_model(str(model))
    if model is not None:
        if not hasattr(model, "apply"):
            raise _bad("ocr", "model", type(model).__name__,
                       "a NoiseModel (or an object with apply(text, cer=, seed=)), a registered noise "
                       "model name or a NoiseModel JSON file")
        return _model_edits(model, text, cer, rng.getrandbits(32))
    rows = _load_table(table)
    by_src: dict[str, list[tuple[str, float]]] = {}
    for s, t, w in rows:
        by_src.setdefault(s, []).append((t, w))
    lengths = sorted({len(s) for s in by_src}, reverse=True)
    edits: list[Edit] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == " " and 0 < i < n - 1 and text[i - 1].isalnum() and text[i + 1].isalnum() \
                and rng.random() < merge_rate:
            edits.append(Edit(i, i + 1, ""))
            i += 1
            continue
        done = False
        for L in lengths:
            src = text[i:i + L]
            opts = by_src.get(src) if len(src) == L else None
            if opts and rng.random() < cer * L:
                targets, weights = zip(*opts)
                edits.append(Edit(i, i + L, rng.choices(targets, weights=weights)[0]))
                i += L
                done = True
                break
        if done:
            continue
        if ch.isalpha() and 0 < i < n - 1 and text[i - 1].isalpha() and text[i + 1].isalpha() \
                and rng.random() < split_rate:
            edits.append(Edit(i, i, " "))
        i += 1
    return edits


@register_perturbation("case", defaults={"mode": "lower"}, kinds={"mode": "text"},
                       requires='letters whose case the mode changes',
                       description="lower-, upper- or title-case the text")
def _case(example, rng, *, mode):
    _check_choice("case", "mode", mode, ("lower", "upper", "title"))
    text = example.text
    edits = []
    for m in re.finditer(r"\S+", text):
        w = m.group()
        new = {"lower": w.lower(), "upper": w.upper(),
               "title": w[:1].upper() + w[1:].lower()}[mode]
        if len(new) != len(w):  # e.g. German sharp s: keep offsets simple, skip
            continue
        # one edit per run of changed characters, so "Paris." -> "PARIS." edits only "aris"
        i = 0
        while i < len(w):
            if new[i] == w[i]:
                i += 1
                continue
            j = i
            while j < len(w) and new[j] != w[j]:
                j += 1
            edits.append(Edit(m.start() + i, m.start() + j, new[i:j]))
            i = j
    return edits


_TRAIL_PUNCT = re.compile(r"[.!?,;:]+(?=\s*$)")


@register_perturbation("punctuation", defaults={"mode": "strip", "marks": (".", "!", "?")},
                       kinds={"mode": "text", "marks": "texts"},
                       requires='final punctuation to strip (mode strip) or a text to add a mark to',
                       description="strip the final punctuation or add a mark at the end")
def _punctuation(example, rng, *, mode, marks):
    _check_choice("punctuation", "mode", mode, ("strip", "add"))
    text = example.text
    if mode == "strip":
        m = _TRAIL_PUNCT.search(text)
        return [Edit(m.start(), m.end(), "")] if m else []
    end = len(text.rstrip())
    m = _TRAIL_PUNCT.search(text)
    mark = rng.choice(list(marks))
    if m:
        return [Edit(m.start(), m.end(), mark)] if m.group() != mark else []
    return [Edit(end, end, mark)]


_CONTRACTIONS = {
    "can't": "cannot", "won't": "will not", "shan't": "shall not", "don't": "do not",
    "doesn't": "does not", "didn't": "did not", "isn't": "is not", "aren't": "are not",
    "wasn't": "was not", "weren't": "were not", "haven't": "have not", "hasn't": "has not",
    "hadn't": "had not", "wouldn't": "would not", "couldn't": "could not", "shouldn't": "should not",
    "mustn't": "must not", "i'm": "i am", "you're": "you are", "we're": "we are", "they're": "they are",
    "it's": "it is", "that's": "that is", "there's": "there is", "what's": "what is",
    "he's": "he is", "she's": "she is", "i've": "i have", "you've": "you have", "we've": "we have",
    "they've": "they have", "i'll": "i will", "you'll": "you will", "we'll": "we will",
    "they'll": "they will", "i'd": "i would", "you'd": "you would", "let's": "let us",
}
_EXPANSIONS = {v: k for k, v in _CONTRACTIONS.items() if k not in ("i'd", "you'd")}
_CONTR_RE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(k).replace("'", "['\u2019]")
                                                   for k in sorted(_CONTRACTIONS, key=len, reverse=True))
                       + r")(?![\w'])", re.IGNORECASE)
_EXP_RE = re.compile(r"(?<![\w'])(" + "|".join(re.escape(k).replace(r"\ ", r"\s") for k in
                                               sorted(_EXPANSIONS, key=len, reverse=True))
                     + r")(?![\w'])", re.IGNORECASE)


def _recase(src: str, new: str) -> str:
    if src.isupper() and len(src) > 1:
        return new.upper()
    if src[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


@register_perturbation("contraction", defaults={"mode": "expand"}, kinds={"mode": "text"},
                       requires='a contraction to expand (mode expand) or an expandable phrase (mode contract)',
                       description="expand contractions (don't -> do not) or contract (do not -> don't)")
def _contraction(example, rng, *, mode):
    _check_choice("contraction", "mode", mode, ("expand", "contract"))
    text = example.text
    if mode == "expand":
        return [Edit(m.start(), m.end(), _recase(m.group(), _CONTRACTIONS[m.group().lower().replace("\u2019", "'")]))
                for m in _CONTR_RE.finditer(text)]
    return [Edit(m.start(), m.end(), _recase(m.group(), _EXPANSIONS[re.sub(r"\s+", " ", m.group().lower())]))
            for m in _EXP_RE.finditer(text)]


@register_perturbation("whitespace", defaults={"rate": 0.1, "newline": 0.3},
                       kinds={"rate": "probability", "newline": "probability"},
                       requires='two or more words',
                       description="add extra spaces / newlines between words at `rate`")
def _whitespace(example, rng, *, rate, newline):
    edits = []
    for m in re.finditer(r"(?<=\S) (?=\S)", example.text):
        if rng.random() < rate:
            extra = "\n" if rng.random() < newline else " " * rng.randint(1, 3)
            edits.append(Edit(m.start(), m.end(), " " + extra if extra != "\n" else "\n"))
    if not edits and rate > 0:
        spaces = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", example.text)]
        if spaces:
            i = rng.choice(spaces)
            edits.append(Edit(i, i + 1, "  "))
    return edits


_TLDS = ("com", "org", "net", "io", "co")
_URL_WORDS = ("news", "blog", "shop", "travel", "photo", "info", "daily", "media", "live", "world")


def _random_url(rng: random.Random) -> str:
    path = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(5, 8)))
    return f"https://{rng.choice(_URL_WORDS)}{rng.randint(1, 99)}.{rng.choice(_TLDS)}/{path}"


def _random_handle(rng: random.Random) -> str:
    return "@" + rng.choice(_URL_WORDS) + rng.choice(("_fan", "guy", "lover", "_hq", "4life", "")) + \
        str(rng.randint(1, 999))


@register_perturbation("add_irrelevant", defaults={"position": "suffix", "kinds": ("url", "handle")},
                       kinds={"position": "text", "kinds": "text or texts"},
                       requires='nothing (it always adds text)',
                       description="add an irrelevant URL or @handle as prefix and/or suffix")
def _add_irrelevant(example, rng, *, position, kinds):
    _check_choice("add_irrelevant", "position", position, ("prefix", "suffix", "both"))
    kinds = [kinds] if isinstance(kinds, str) else list(kinds)
    for k in kinds:
        _check_choice("add_irrelevant", "kinds", k, ("url", "handle"))
    make = {"url": _random_url, "handle": _random_handle}
    text = example.text
    edits = []
    if position in ("prefix", "both"):
        edits.append(Edit(0, 0, make[rng.choice(kinds)](rng) + " "))
    if position in ("suffix", "both"):
        edits.append(Edit(len(text), len(text), " " + make[rng.choice(kinds)](rng)))
    return edits


_AUX = re.compile(r"\b(is|are|was|were|am|will|would|can|could|should|must|has|have|had|do|does|did)\b"
                  r"(?!\s+(?:not|n't|never)\b)", re.IGNORECASE)
_VERB_AFTER_SUBJ = re.compile(r"\b(I|you|we|they|You|We|They)\s+(like|love|hate|enjoy|recommend|want|"
                              r"need|think|dislike|appreciate|prefer|trust|expect)\b")
_VERB_3RD = re.compile(r"\b(he|she|it|He|She|It|[A-Z][a-z]+)\s+(likes|loves|hates|enjoys|recommends|"
                       r"wants|needs|thinks|dislikes|appreciates|prefers|trusts|expects)\b")


@register_perturbation("negation", defaults={},
                       requires="an auxiliary or verb it can negate ('is', 'was', 'I like' ...)",
                       description="negate the first auxiliary or verb: 'is' -> 'is not', "
                                   "'I like' -> 'I don't like' (for DIR tests)")
def _negation(example, rng):
    text = example.text
    cands = []
    m = _AUX.search(text)
    if m:
        cands.append((m.start(), Edit(m.end(), m.end(), " not")))
    m = _VERB_AFTER_SUBJ.search(text)
    if m:
        cands.append((m.start(2), Edit(m.start(2), m.start(2), "don't ")))
    m = _VERB_3RD.search(text)
    if m:
        base = m.group(2)[:-1]
        cands.append((m.start(2), Edit(m.start(2), m.end(2), "doesn't " + base)))
    if not cands:
        return []
    return [min(cands)[1]]


@register_perturbation("add_phrase", defaults={"phrases": (), "position": "suffix"},
                       kinds={"phrases": "texts", "position": "text"},
                       requires='nothing, given non-empty phrases',
                       description="add one of `phrases` at the start or end (e.g. for DIR tests)")
def _add_phrase(example, rng, *, phrases, position):
    _check_choice("add_phrase", "position", position, ("prefix", "suffix"))
    if isinstance(phrases, str) or not phrases:
        raise _bad("add_phrase", "phrases", phrases, "a non-empty list of strings")
    phrase = rng.choice(list(phrases))
    text = example.text
    if position == "prefix":
        return [Edit(0, 0, phrase + " ")]
    end = len(text.rstrip())
    return [Edit(end, end, " " + phrase)]


def _entity_pool(examples: Sequence[Example], params: dict) -> dict:
    if params.get("pool") is not None:
        return params
    pool: dict[str, set] = {}
    for ex in examples:
        for sp in ex.spans or ():
            pool.setdefault(sp.label, set()).add(ex.text[sp.start:sp.end])
    out = dict(params)
    out["pool"] = {lab: sorted(v) for lab, v in pool.items()}
    return out


@register_perturbation("entity_swap", defaults={"pool": None, "labels": None, "max_swaps": None},
                       kinds={"pool": "pool?", "labels": "text or texts?", "max_swaps": "count?"},
                       prepare=_entity_pool,
                       requires='a gold entity with another entity of the same type in the pool',
                       description="replace gold entities by other entities of the same type "
                                   "(pool from the test's data by default)")
def _entity_swap(example, rng, *, pool, labels, max_swaps):
    if isinstance(labels, str):  # one label (not its characters)
        labels = (labels,)
    if pool is None:
        pool = _entity_pool([example], {})["pool"]
    edits = []
    for sp in example.spans or ():
        if labels is not None and sp.label not in labels:
            continue
        src = example.text[sp.start:sp.end]
        cands = [t for t in pool.get(sp.label, ()) if t != src]
        if not cands:
            continue
        edits.append(Edit(sp.start, sp.end, rng.choice(cands)))
        if max_swaps is not None and len(edits) >= max_swaps:
            break
    return edits
