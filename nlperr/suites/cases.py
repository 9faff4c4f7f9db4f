"""Generating test cases from a suite, and saving / loading them as JSONL.

Generation is deterministic: every case draws its randomness from
``case_seed(suite_seed, test_name, example_id)`` (SHA-256, not ``hash()``), so
adding a test or an example never changes another case.  A saved case file
re-runs exactly (``run_suite(suite, model, cases=load_cases(path))``).
"""

from __future__ import annotations

import difflib
import itertools
import json
import random
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..data import Example, Span
from ..errors import Errors, InputError, Warnings, shorten, warn
from ..perturb import Edit, PerturbStats, case_seed, get_perturbation, lexicon_texts, map_spans, perturb
from ..perturb.edits import normalize_edits
from ..perturb.lexicons import available_lexicons, lexicon
from .spec import DIR, INV, MFT, Suite

__all__ = ["Case", "Variant", "CaseSet", "generate_cases", "save_cases", "load_cases", "expand_templates",
           "diff_edits", "suite_data", "parse_markup"]


@dataclass
class Variant:
    """One perturbed version of a case's original text."""

    text: str
    edits: tuple[Edit, ...] = ()
    spans: tuple[Span, ...] | None = None
    touched: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "edits": [e.to_list() for e in self.edits],
                "spans": None if self.spans is None else [s.to_dict() for s in self.spans],
                "touched": list(self.touched)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Variant":
        spans = d.get("spans")
        return cls(text=d["text"], edits=tuple(Edit(int(s), int(e), str(r)) for s, e, r in d.get("edits", ())),
                   spans=None if spans is None else tuple(Span(int(s["start"]), int(s["end"]), s["label"])
                                                          for s in spans),
                   touched=tuple(d.get("touched", ())))


@dataclass
class Case:
    """One test case.

    Attributes
    ----------
    test : str
        Name of the test it belongs to.
    id : str
        Stable id within the test.
    original : Example
        The input (MFT) or the unperturbed input (INV/DIR), with gold annotation.
    variants : list of Variant
        Perturbed versions (INV/DIR); empty for MFT.
    expect : dict
        Per-case expectation (MFT): ``label`` / ``labels`` / ``not_label`` /
        ``entities`` ([start, end, label] lists).
    """

    test: str
    id: str
    original: Example
    variants: list[Variant] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"test": self.test, "id": self.id, "original": self.original.to_dict(),
                "variants": [v.to_dict() for v in self.variants], "expect": self.expect}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "case") -> "Case":
        problem = _case_shape_problem(d)
        if problem:
            raise InputError(Errors.E610.format(where=where, error=problem))
        try:
            return cls(test=str(d["test"]), id=str(d["id"]),
                       original=Example.from_dict(d["original"], where=where),
                       variants=[Variant.from_dict(v) for v in d.get("variants", ())],
                       expect=dict(d.get("expect") or {}))
        except (KeyError, TypeError, ValueError, AttributeError) as e:
            raise InputError(Errors.E610.format(where=where, error=f"{type(e).__name__}: {e}")) from None


def _case_shape_problem(d: Any) -> str | None:
    """What is wrong with the shape of a case record (texts must be strings...), or None."""
    if not isinstance(d, Mapping):
        return f"a case is an object, got {type(d).__name__}"
    orig = d.get("original")
    if not isinstance(orig, Mapping) or not isinstance(orig.get("text"), str):
        return "'original' must be an object with a 'text' string"
    variants = d.get("variants", [])
    if not isinstance(variants, list) or not all(
            isinstance(v, Mapping) and isinstance(v.get("text"), str) for v in variants):
        return "'variants' must be a list of objects with a 'text' string"
    expect = d.get("expect") or {}
    if not isinstance(expect, Mapping):
        return "'expect' must be an object"
    ents = expect.get("entities", [])
    if not isinstance(ents, list) or not all(
            isinstance(e, list) and len(e) == 3 and all(_int(x) for x in e[:2])
            and isinstance(e[2], str) for e in ents):
        return "'expect.entities' must be a list of [start, end, label] triples"
    if "label" in expect and not isinstance(expect["label"], str):
        return "'expect.label' must be a label string"
    for key in ("labels", "not_label"):
        v = expect.get(key, [])
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return f"'expect.{key}' must be a list of label strings"
    return None


def _int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass
class CaseSet:
    """All cases of a suite run plus per-test perturbation statistics."""

    suite: str
    seed: int
    cases: list[Case]
    stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    tests: list[str] = field(default_factory=list)
    """Names of the tests the cases were generated for (a test may have no case)."""
    source: str | None = None
    """The case file it was read from (:func:`load_cases`), if any."""

    def __post_init__(self) -> None:
        if not self.tests:
            self.tests = list(dict.fromkeys(c.test for c in self.cases))

    def by_test(self) -> dict[str, list[Case]]:
        out: dict[str, list[Case]] = {}
        for c in self.cases:
            out.setdefault(c.test, []).append(c)
        return out

    def texts(self) -> list[str]:
        """Every text a model must see (originals and variants), with repeats."""
        return [t for c in self.cases for t in [c.original.text, *(v.text for v in c.variants)]]

    def __len__(self) -> int:
        return len(self.cases)


# --- data -----------------------------------------------------------------------------

def _as_example(item: Any, i: int, where: str) -> Example:
    if isinstance(item, Example):
        return item if item.id is not None else item.copy(id=f"{where}:{i}")
    if isinstance(item, str):
        return Example(item, id=f"{where}:{i}")
    if isinstance(item, Mapping) and isinstance(item.get("text"), str):
        ex = Example.from_dict(item, where=f"{where}[{i}]")
        return ex if ex.id is not None else ex.copy(id=f"{where}:{i}")
    raise InputError(Errors.E606.format(where=f"{where}[{i}]", field="data item",
                                        expected="a text, an {'text': ...} mapping or an Example",
                                        got=type(item).__name__))


def suite_data(suite: Suite, data: Any = None, *, data_format: str | None = None,
               encoding: str = "utf-8", encoding_errors: str = "strict") -> list[Example]:
    """The examples INV/DIR tests perturb: *data* if given, else the suite's ``data``.

    A file is decoded with *encoding* / *encoding_errors* (see :mod:`nlperr.io._text`);
    formats other than ``.txt`` are read by :func:`nlperr.io.load`, which gets them
    when they are not the defaults."""
    src = data if data is not None else suite.data
    if src is None:
        return []
    if isinstance(src, (str, Path)):
        path = Path(src)
        if not path.is_absolute() and suite.source and not path.exists():
            path = Path(suite.source).parent / path
        if not path.exists():
            raise InputError(Errors.E011.format(where=f"suite {suite.name!r} data", path=str(src)))
        if path.suffix == ".txt":
            from ..io._text import iter_lines
            lines = [ln for _, ln in iter_lines(path, encoding=encoding, errors=encoding_errors)
                     if ln.strip()]
            if path.name.endswith(".ents.txt"):
                return [parse_markup(t, id=f"{path.name}:{i + 1}") for i, t in enumerate(lines)]
            return [Example(t, id=f"{path.name}:{i + 1}") for i, t in enumerate(lines)]
        from ..io import load
        opts: dict[str, Any] = {}
        if encoding != "utf-8":
            opts["encoding"] = encoding
        if encoding_errors != "strict":
            opts["encoding_errors"] = encoding_errors
        return [ex if ex.id is not None else ex.copy(id=f"{path.name}:{i}")
                for i, ex in enumerate(load(path, format=data_format, **opts))]
    return [_as_example(x, i, "data") for i, x in enumerate(src)]


_MARKUP = re.compile(r"\[([^\[\]]+)\]\(([^()\s]+)\)")


def parse_markup(line: str, *, id: str | None = None) -> Example:
    """``"[Maria](PER) flew to [Paris](LOC)."`` -> an Example with two gold spans.

    >>> ex = parse_markup("[Maria](PER) flew to [Paris](LOC).")
    >>> ex.text, [(ex.span_text(s), s.label) for s in ex.spans]
    ('Maria flew to Paris.', [('Maria', 'PER'), ('Paris', 'LOC')])
    """
    parts: list[str] = []
    spans: list[Span] = []
    pos = length = 0
    for m in _MARKUP.finditer(line):
        lit = line[pos:m.start()]
        parts.append(lit)
        length += len(lit)
        spans.append(Span(length, length + len(m.group(1)), m.group(2)))
        parts.append(m.group(1))
        length += len(m.group(1))
        pos = m.end()
    parts.append(line[pos:])
    return Example("".join(parts), spans=tuple(spans), id=id)


# --- templates --------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z_0-9]*?)(\d*)(?::([A-Za-z_0-9,]+))?\}")


def _lexicon_values(key: str, tag: str | None, lexicons: Mapping[str, Sequence], where: str) -> list[str]:
    if key in lexicons:
        vals = [str(v) for v in lexicons[key]]
        if tag is not None:
            raise InputError(Errors.E606.format(where=where, field=f"{{{key}:{tag}}}",
                                                expected="no tag filter on a suite lexicon", got=tag))
        return vals
    if key in available_lexicons():
        if tag is None:
            return lexicon_texts(key)
        tags = set(tag.split(","))
        return [e.text for e in lexicon(key) if tags <= set(e.tags.values())]
    raise InputError(Errors.E609.format(where=where, key=key,
                                        available=", ".join(sorted(set(lexicons) | set(available_lexicons())))))


def expand_templates(templates: Sequence[str], lexicons: Mapping[str, Sequence], *, max_cases: int | None,
                     rng: random.Random, where: str = "templates", warn_sampled: bool = False
                     ) -> list[tuple[str, dict[str, tuple[int, int]]]]:
    """Fill *templates*; return ``(text, {placeholder: (start, end)})`` pairs.

    Placeholders with the same name take the same value; ``{name2}`` draws a
    value different from ``{name}``.  With more combinations than *max_cases*,
    a seeded random sample of *max_cases* is returned (in template order), with
    warning W604 when *warn_sampled* (the cap was not asked for).
    """
    out: list[tuple[str, dict[str, tuple[int, int]]]] = []
    per_template: list[list] = []
    for tpl in templates:
        slots: dict[str, list[str]] = {}
        for m in _PLACEHOLDER.finditer(tpl):
            name = m.group(1) + m.group(2)
            if name not in slots:
                slots[name] = _lexicon_values(m.group(1), m.group(3), lexicons, where)
        names = list(slots)
        bases = [n.rstrip(string.digits) for n in names]
        # {city} and {city2} must take different values
        same = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names)) if bases[i] == bases[j]]
        combos = itertools.product(*(slots[n] for n in names))
        if same:
            combos = (c for c in combos if all(c[i] != c[j] for i, j in same))
        per_template.append([(tpl, names, c) for c in combos])
    flat = [x for lst in per_template for x in lst]
    if max_cases is not None and len(flat) > max_cases:
        if warn_sampled:
            warn(Warnings.W604.format(where=where, total=len(flat), kept=max_cases))
        keep = sorted(rng.sample(range(len(flat)), max_cases))
        flat = [flat[i] for i in keep]
    for tpl, names, combo in flat:
        values = dict(zip(names, combo))
        parts: list[str] = []
        pos = 0
        length = 0
        where_is: dict[str, tuple[int, int]] = {}
        for m in _PLACEHOLDER.finditer(tpl):
            lit = tpl[pos:m.start()]
            parts.append(lit)
            length += len(lit)
            v = values[m.group(1) + m.group(2)]
            where_is.setdefault(m.group(1) + m.group(2), (length, length + len(v)))
            parts.append(v)
            length += len(v)
            pos = m.end()
        parts.append(tpl[pos:])
        out.append(("".join(parts), where_is))
    return out


# --- explicit cases without edit logs ------------------------------------------------------

def diff_edits(original: str, new: str) -> tuple[Edit, ...]:
    """An edit log turning *original* into *new* (character diff, for imported cases)."""
    sm = difflib.SequenceMatcher(a=original, b=new, autojunk=False)
    edits = [Edit(i1, i2, new[j1:j2]) for tag, i1, i2, j1, j2 in sm.get_opcodes() if tag != "equal"]
    return normalize_edits(original, edits)


def _variant_from_text(original: Example, text: str) -> Variant:
    edits = diff_edits(original.text, text)
    spans, touched, _ = map_spans(original.spans, edits)
    return Variant(text, edits, spans, touched)


# --- generation ---------------------------------------------------------------------------

def _mft_cases(suite: Suite, t: MFT) -> list[Case]:
    out: list[Case] = []
    if t.cases:
        for i, item in enumerate(t.cases):
            where = f"test {t.name!r} cases[{i}]"
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, Mapping) or "text" not in item:
                raise InputError(Errors.E606.format(where=where, field="case", expected="{'text': ...}",
                                                    got=type(item).__name__))
            exp = {k: item[k] for k in ("label", "labels", "not_label", "entities") if k in item}
            if not exp:
                exp = _expect_for(suite, t, {})
            exp = _normalize_expect(suite, exp)
            out.append(Case(t.name, str(item.get("id", i)), Example(item["text"], id=f"{t.name}:{i}"), [], exp))
        return out
    lex = {**suite.lexicons, **t.lexicons}
    rng = random.Random(case_seed(suite.seed, t.name, "templates"))
    filled = expand_templates(t.templates, lex, max_cases=t.max_cases if t.max_cases else 1000, rng=rng,
                              where=f"test {t.name!r}", warn_sampled=not t.max_cases)
    for i, (text, slots) in enumerate(filled):
        exp = _normalize_expect(suite, _expect_for(suite, t, slots))
        spans = None
        if "entities" in exp:
            spans = tuple(Span(s, e, lab) for s, e, lab in exp["entities"])
        out.append(Case(t.name, str(i), Example(text, spans=spans, id=f"{t.name}:{i}"), [], exp))
    return out


def _expect_for(suite: Suite, t: MFT, slots: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    e = dict(t.expect)
    if "entities" in e:
        ents = e["entities"]
        if not isinstance(ents, Mapping):
            raise InputError(Errors.E606.format(where=f"test {t.name!r}", field="expect.entities",
                                                expected="a mapping {placeholder: LABEL}", got=type(ents).__name__))
        e["entities"] = sorted([slots[k][0], slots[k][1], lab] for k, lab in ents.items() if k in slots)
    if not e:
        raise InputError(Errors.E606.format(where=f"test {t.name!r}", field="expect",
                                            expected="label / labels / not_label / entities", got="nothing"))
    return e


def _normalize_expect(suite: Suite, e: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(e)
    if "label" in out:
        out["label"] = suite.label_name(out["label"])
    if "labels" in out:
        out["labels"] = [suite.label_name(x) for x in out["labels"]]
    if "not_label" in out:
        nl = out["not_label"]
        out["not_label"] = [suite.label_name(x) for x in (nl if isinstance(nl, list) else [nl])]
    return out


def _pair_cases(suite: Suite, t: INV | DIR, data: Sequence[Example], stats: dict) -> list[Case]:
    out: list[Case] = []
    if t.cases:
        for i, item in enumerate(t.cases):
            where = f"test {t.name!r} cases[{i}]"
            if isinstance(item, Mapping):
                orig, variants = item.get("original"), item.get("variants")
            elif isinstance(item, (list, tuple)) and len(item) >= 1:
                orig, variants = item[0], list(item[1:])
            else:
                orig, variants = None, None
            if not isinstance(orig, str) or not isinstance(variants, list) \
                    or not all(isinstance(v, str) for v in variants):
                raise InputError(Errors.E606.format(where=where, field="case",
                                                    expected="[original, variant, ...] or {original, variants}",
                                                    got=repr(item)[:60]))
            ex = Example(orig, id=f"{t.name}:{i}")
            vs = [_variant_from_text(ex, v) if suite.task == "ner" else Variant(v) for v in variants]
            out.append(Case(t.name, str(i), ex, vs))
        return out
    if not data:
        raise InputError(Errors.E613.format(where=f"suite {suite.name!r}", test=t.name))
    p = get_perturbation(t.perturbation)
    params = p.params(t.params, where=f"test {t.name!r}")
    if p.prepare is not None:
        params = p.prepare(data, params)
    st = PerturbStats(t.perturbation)
    pool = list(data)
    if t.max_cases is not None and len(pool) > t.max_cases:
        rng = random.Random(case_seed(suite.seed, t.name, "sample"))
        pool = [pool[i] for i in sorted(rng.sample(range(len(pool)), t.max_cases))]
    for i, ex in enumerate(pool):
        ex_id = ex.id if ex.id is not None else str(i)
        src = ex.copy(tokens=None, missing=())
        res = perturb(src, p.fn, seed=case_seed(suite.seed, t.name, ex_id), params=params)
        st.add(res)
        if not res.changed:
            continue
        out.append(Case(t.name, ex_id, src, [Variant(res.text, res.edits, res.example.spans, res.touched)]))
    stats[t.name] = {**st.to_dict(), "test": t.name}
    return out


def generate_cases(suite: Suite, *, data: Any = None, seed: int | None = None,
                   data_format: str | None = None, tests: Iterable[str] | None = None,
                   encoding: str = "utf-8", encoding_errors: str = "strict") -> CaseSet:
    """Generate every case of *suite* (deterministic for a given seed).

    Parameters
    ----------
    suite : Suite
    data : list, str or Path, optional
        Inputs for INV/DIR tests (overrides the suite's ``data``).
    seed : int, optional
        Overrides ``suite.seed``.
    tests : iterable of str, optional
        Only these tests.
    encoding, encoding_errors : str
        How a *data* file is decoded (see :func:`suite_data`).

    Examples
    --------
    >>> from nlperr.suites import Suite, INV
    >>> s = Suite("demo", [INV("lower", perturbation="case", params={"mode": "lower"})],
    ...           data=["Paris is nice.", "ok"])
    >>> cs = generate_cases(s)
    >>> [(c.original.text, c.variants[0].text) for c in cs.cases]
    [('Paris is nice.', 'paris is nice.')]
    """
    if seed is not None:
        from dataclasses import replace as _r
        suite = _r(suite, seed=int(seed))
    wanted = {suite.test(n).name for n in tests} if tests is not None else None  # unknown names: E207
    examples: list[Example] | None = None
    cases: list[Case] = []
    stats: dict[str, dict[str, Any]] = {}
    names: list[str] = []
    for t in suite.tests:
        if wanted is not None and t.name not in wanted:
            continue
        names.append(t.name)
        if isinstance(t, MFT):
            cases += _mft_cases(suite, t)
        else:
            if examples is None and not t.cases:
                examples = suite_data(suite, data, data_format=data_format, encoding=encoding,
                                      encoding_errors=encoding_errors)
            cases += _pair_cases(suite, t, examples or [], stats)
    left_out = [f"{name} {st['unchanged']}/{st['n']}" for name, st in stats.items()
                if st.get("unchanged") and st.get("n")]
    if left_out:
        # one warning per generation: the per-test counts are in CaseSet.stats and the reports
        warn(Warnings.W601.format(count=len(left_out), tests="; ".join(left_out)))
    return CaseSet(suite.name, suite.seed, cases, stats, names)


def save_cases(caseset: CaseSet, path: str | Path) -> None:
    """Write *caseset* as JSONL: a header line, then one case per line (atomically)."""
    from ..io._atomic import atomic_output

    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps({"nlperr_cases": 1, "suite": caseset.suite, "seed": caseset.seed,
                             "stats": caseset.stats, "tests": caseset.tests}, ensure_ascii=False) + "\n")
        for c in caseset.cases:
            fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")


_HEADER_TYPES = {"seed": "an integer", "tests": "a list of test names",
                 "stats": "an object {test: {perturbation: name, n, unchanged, touched_entity: "
                          "counts, ...}} as written by save_cases"}
_STAT_COUNTS = ("n", "unchanged", "touched_entity")


def _valid_stats(stats: Any) -> bool:
    """The per-test perturbation statistics of a case-file header (as save_cases writes)."""
    if not isinstance(stats, Mapping):
        return False
    for entry in stats.values():
        if not isinstance(entry, Mapping) or not isinstance(entry.get("perturbation"), str):
            return False
        for key in _STAT_COUNTS:
            v = entry.get(key)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                return False
    return True


def load_cases(path: str | Path, *, encoding: str = "utf-8",
               encoding_errors: str = "strict") -> CaseSet:
    """Read a case file written by :func:`save_cases` (decoded with *encoding*)."""
    from ..io._structured import loads_json
    from ..io._text import iter_lines

    path = Path(path)
    if not path.exists():
        raise InputError(Errors.E011.format(where="cases", path=str(path)))
    if path.is_dir():
        raise InputError(Errors.E012.format(where=str(path), expected="a file", field="cases",
                                            got="a folder"))
    header: dict[str, Any] | None = None
    cases: list[Case] = []
    for lineno, line in iter_lines(path, encoding=encoding, errors=encoding_errors):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            d = loads_json(line, where=where, what="case record")
        except InputError:
            raise
        except ValueError as e:
            raise InputError(Errors.E005.format(where=where, error=e)) from None
        if header is None:
            if not isinstance(d, Mapping) or "nlperr_cases" not in d:
                raise InputError(Errors.E610.format(where=where, error="missing header line"))
            header = d
            continue
        cases.append(Case.from_dict(d, where=where))
    if header is None:
        raise InputError(Errors.E003.format(where=str(path)))
    seed, stats, names = header.get("seed", 0), header.get("stats", {}), header.get("tests") or []
    for key, value, ok in (("seed", seed, isinstance(seed, int) and not isinstance(seed, bool)),
                             ("stats", stats, _valid_stats(stats)),
                             ("tests", names, isinstance(names, list)
                              and all(isinstance(n, str) for n in names))):
        if not ok:
            raise InputError(Errors.E610.format(where=f"{path}: header", error=(
                f"{key!r} must be {_HEADER_TYPES[key]}, got {shorten(value, 40)}")))
    return CaseSet(str(header.get("suite", "")), seed, cases, dict(stats), list(names), str(path))
