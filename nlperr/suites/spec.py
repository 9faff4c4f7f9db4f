"""Suite and test specifications: Python objects, YAML/JSON files, shipped suites.

A suite is plain data (never pickled): ``yaml.safe_load`` / ``json`` read it,
:meth:`Suite.to_dict` writes it.  See ``docs/suites.md`` for the format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import Errors, InputError, shorten
from ..io._atomic import atomic_write_text
from ..io._structured import load_yaml, loads_json
from ..io._text import read_text
from .binary import check_neutral_band

__all__ = ["TestSpec", "MFT", "INV", "DIR", "Suite", "load_suite", "save_suite", "list_suites",
           "TEST_TYPES"]

TEST_TYPES = ("MFT", "INV", "DIR")


def _check_rate(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(Errors.E614.format(where=where, got=value))
    return float(value)


@dataclass
class TestSpec:
    """Fields shared by every test type.

    Attributes
    ----------
    name : str
    min_pass_rate : float
        The test passes when at least this fraction of its cases pass (default 0.9).
    capability, description : str
        Free text (CheckList's capability: Vocabulary, Robustness, NER, ...).
    cases : list or None
        Explicit cases instead of generated ones: for MFT ``{"text", "label"|"labels"|
        "not_label"|"entities"}`` dicts, for INV/DIR ``{"original": text,
        "variants": [texts]}`` dicts (or plain lists ``[original, variant, ...]``).
    max_cases : int or None
        Upper bound on generated cases (sampled with the suite seed).
    min_cases : int or None
        The test fails when fewer cases than this were evaluated, whatever their
        pass rate (``0`` evaluated cases included).  ``None`` (default): the
        run's ``min_cases`` (``run_suite(min_cases=...)``, CLI ``--min-cases``,
        default 0), i.e. no minimum: a test that evaluates no case at all is
        reported as *skipped* (with a warning saying why) rather than failed.
    """

    __test__ = False  # not a pytest class

    name: str
    min_pass_rate: float = 0.9
    capability: str = ""
    description: str = ""
    cases: list | None = None
    max_cases: int | None = None
    min_cases: int | None = None
    type: str = field(default="", init=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise InputError(Errors.E606.format(where="test", field="name", expected="a non-empty string",
                                                got=repr(self.name)))
        self.min_pass_rate = _check_rate(self.min_pass_rate, f"test {self.name!r}")
        for name, ok, expected in (
                ("capability", isinstance(self.capability, str), "a string"),
                ("description", isinstance(self.description, str), "a string"),
                ("cases", self.cases is None or isinstance(self.cases, list), "a list")):
            if not ok:
                raise InputError(Errors.E606.format(where=f"test {self.name!r}", field=name,
                                                    expected=expected,
                                                    got=shorten(getattr(self, name), 60)))
        if self.max_cases is not None and (isinstance(self.max_cases, bool) or not isinstance(self.max_cases, int)
                                           or self.max_cases < 1):
            raise InputError(Errors.E606.format(where=f"test {self.name!r}", field="max_cases",
                                                expected="a positive integer", got=repr(self.max_cases)))
        if self.min_cases is not None and (isinstance(self.min_cases, bool) or not isinstance(self.min_cases, int)
                                           or self.min_cases < 0):
            raise InputError(Errors.E606.format(where=f"test {self.name!r}", field="min_cases",
                                                expected="a non-negative integer", got=repr(self.min_cases)))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "type": self.type}
        for k, v in self.__dict__.items():
            if k in ("name", "type") or v is None or v == "" or v == {} or v == []:
                continue
            d[k] = v
        return d


@dataclass
class MFT(TestSpec):
    """Minimum functionality test: templated or listed inputs with an expected output.

    Attributes
    ----------
    templates : list of str
        ``"{first_name} is a great guy"``; placeholders name lexicons (suite
        ``lexicons`` or shipped: ``first_name``, ``last_name``, ``city``,
        ``country``...).  ``{first_name:female}`` filters on a tag;
        ``{city2}`` is a second, different draw from ``city``.
    lexicons : dict
        Test-local word lists ``{name: [words]}``.
    expect : dict
        Classification: ``{"label": "positive"}``, ``{"labels": [...]}`` (any
        of) or ``{"not_label": "negative"}``.  NER: ``{"entities":
        {"first_name": "PER"}}`` (placeholder -> entity label) and optionally
        ``{"exact": true}`` (no other entity may be predicted).
    """

    templates: list[str] = field(default_factory=list)
    lexicons: dict[str, list] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.type = "MFT"
        where = f"test {self.name!r}"
        for name, ok, expected in (
                ("templates", isinstance(self.templates, list)
                 and all(isinstance(x, str) for x in self.templates), "a list of strings"),
                ("lexicons", _word_lists(self.lexicons), "a mapping of names to lists of words"),
                ("expect", isinstance(self.expect, Mapping), "a mapping")):
            if not ok:
                raise InputError(Errors.E606.format(where=where, field=name, expected=expected,
                                                    got=shorten(getattr(self, name), 60)))
        if not self.templates and not self.cases:
            raise InputError(Errors.E606.format(where=f"test {self.name!r}", field="templates",
                                                expected="a non-empty list (or 'cases:')", got="nothing"))
        e = self.expect
        for name, ok, expected in (
                ("label", _class_like(e.get("label", "x")), "a class"),
                ("not_label", _class_like(e.get("not_label", "x")), "a class"),
                ("labels", "labels" not in e or (isinstance(e["labels"], list) and bool(e["labels"])
                                                 and all(map(_class_like, e["labels"]))),
                 "a non-empty list of classes"),
                ("entities", "entities" not in e or (isinstance(e["entities"], Mapping) and all(
                    isinstance(k, str) and isinstance(v, str) and v for k, v in e["entities"].items())),
                 "a mapping of placeholders to entity labels ({first_name: PER})"),
                ("exact", isinstance(e.get("exact", False), bool), "true or false")):
            if not ok:
                raise InputError(Errors.E606.format(where=where, field=f"expect.{name}",
                                                    expected=expected, got=shorten(e[name], 60)))


@dataclass
class INV(TestSpec):
    """Invariance test: the prediction must not change under a perturbation.

    Attributes
    ----------
    perturbation : str
        Registered perturbation name (``nlperr.perturb.available_perturbations``).
    params : dict
        Its parameters.
    tolerance : float or None
        Classification: ``None`` requires the same label; a number requires every
        class probability to move by at most *tolerance*.  NER: every predicted
        entity must keep its label and (mapped) boundaries.
    """

    perturbation: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tolerance: float | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.type = "INV"
        _need_perturbation(self)


@dataclass
class DIR(TestSpec):
    """Directional test: a class probability must move in the expected direction.

    Attributes
    ----------
    perturbation, params : as for :class:`INV`.
    expect : dict
        ``{"label": L, "direction": "increase"|"decrease", "tolerance": 0.0}``.
        ``label`` is a class, ``"predicted"`` (the class predicted on the
        original) or ``{"plus": [...], "minus": [...]}`` (sum of plus minus sum of
        minus probabilities).  ``only_if_pred_not: [labels]`` skips cases whose
        original prediction is one of them.
    """

    perturbation: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.type = "DIR"
        _need_perturbation(self)
        where = f"test {self.name!r}"
        direction = self.expect.get("direction")
        if direction not in ("increase", "decrease"):
            raise InputError(Errors.E207.format(value=direction, option=f"{where}: expect.direction",
                                                allowed="'increase', 'decrease'"))
        if "label" not in self.expect:
            raise InputError(Errors.E606.format(where=where, field="expect.label", expected=
                                                "a class, 'predicted' or {plus: [...], minus: [...]}",
                                                got="nothing"))
        tol = self.expect.get("tolerance", 0.0)
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or tol < 0:
            raise InputError(Errors.E606.format(where=where, field="expect.tolerance",
                                                expected="a non-negative number", got=repr(tol)))
        label = self.expect["label"]
        if isinstance(label, Mapping):
            ok = bool(label) and set(label) <= {"plus", "minus"} and all(
                isinstance(v, list) and v and all(map(_class_like, v)) for v in label.values())
        else:
            ok = _class_like(label)
        if not ok:
            raise InputError(Errors.E606.format(
                where=where, field="expect.label", got=shorten(label, 60),
                expected="a class, 'predicted' or {plus: [classes], minus: [classes]}"))
        cond = self.expect.get("only_if_pred_not")
        if cond is not None and not (_class_like(cond) or (
                isinstance(cond, list) and all(map(_class_like, cond)))):
            raise InputError(Errors.E606.format(where=where, field="expect.only_if_pred_not",
                                                expected="a class or a list of classes",
                                                got=shorten(cond, 60)))


def _class_like(value: Any) -> bool:
    """A class name, or a class index (CheckList style)."""
    return (isinstance(value, str) and bool(value)) or \
        (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _need_perturbation(t: TestSpec) -> None:
    for name, ok, expected in (
            ("perturbation", t.perturbation is None or isinstance(t.perturbation, str), "a name"),
            ("params", isinstance(t.params, Mapping), "a mapping"),
            ("expect", isinstance(getattr(t, "expect", {}), Mapping), "a mapping")):
        if not ok:
            raise InputError(Errors.E606.format(where=f"test {t.name!r}", field=name,
                                                expected=expected, got=shorten(getattr(t, name), 60)))
    if t.perturbation is None and not t.cases:
        raise InputError(Errors.E606.format(where=f"test {t.name!r}", field="perturbation",
                                            expected="a perturbation name (or 'cases:')", got="nothing"))
    if t.perturbation is not None:
        from ..perturb import get_perturbation
        get_perturbation(t.perturbation).params(t.params, where=f"test {t.name!r}")


_TYPES = {"MFT": MFT, "INV": INV, "DIR": DIR}


@dataclass
class Suite:
    """A named list of tests plus shared data.

    Attributes
    ----------
    name : str
    task : str
        ``"classification"`` or ``"ner"``.
    tests : list of TestSpec
    labels : list of str or None
        Class names; CheckList-style integer labels are mapped through it.
    data : list or str or None
        Input examples for INV/DIR tests: a list of texts / example dicts, or the
        path of a file :func:`nlperr.io.load` reads (relative to the suite file).
    lexicons : dict
        Word lists shared by all MFT templates.
    seed : int
    meta : dict
    min_cases : int or None
        Evaluated cases every test of the suite needs unless it sets its own
        ``min_cases`` (``None``: :data:`nlperr.suites.runner.DEFAULT_MIN_CASES`).
    neutral_band : list of two floats, or None
        Read a binary model as three-class: a positive probability within
        ``[low, high]`` is *neutral* (CheckList's tutorial: ``[0.3333, 0.6667]``);
        see :mod:`nlperr.suites.binary`.  Needs ``labels: [negative, neutral, positive]``.
    """

    name: str
    tests: list[TestSpec]
    task: str = "classification"
    labels: list[str] | None = None
    data: Any = None
    lexicons: dict[str, list] = field(default_factory=dict)
    seed: int = 0
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    source: str | None = None
    min_cases: int | None = None
    neutral_band: Any = None

    def __post_init__(self) -> None:
        if self.task not in ("classification", "ner"):
            raise InputError(Errors.E207.format(value=self.task, option="task",
                                                allowed="'classification', 'ner'"))
        _check_suite_fields(self)
        if self.min_cases is not None and (isinstance(self.min_cases, bool) or not isinstance(self.min_cases, int)
                                           or self.min_cases < 0):
            raise InputError(Errors.E606.format(where=f"suite {self.name!r}", field="min_cases",
                                                expected="a non-negative integer", got=repr(self.min_cases)))
        band = check_neutral_band(self.neutral_band, where=f"suite {self.name!r}")
        self.neutral_band = None if band is None else list(band)
        if band is not None and (self.task != "classification" or not self.labels or len(self.labels) != 3):
            raise InputError(Errors.E622.format(where=f"suite {self.name!r}", got=self.labels))
        names = [t.name for t in self.tests]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise InputError(Errors.E606.format(where=f"suite {self.name!r}", field="tests",
                                                expected="tests with unique names",
                                                got=f"duplicates {sorted(dup)}"))

    def test(self, name: str) -> TestSpec:
        for t in self.tests:
            if t.name == name:
                return t
        raise InputError(Errors.E207.format(value=name, option="test",
                                            allowed=", ".join(repr(t.name) for t in self.tests)))

    def label_name(self, label: Any) -> str:
        """Map an integer label to its class name through :attr:`labels`."""
        if isinstance(label, int) and not isinstance(label, bool) and self.labels:
            if not 0 <= label < len(self.labels):
                raise InputError(Errors.E606.format(
                    where=f"suite {self.name!r}", field="a class index", got=label,
                    expected=f"0 to {len(self.labels) - 1} (labels: {list(self.labels)}) "
                             "or a class name"))
            return self.labels[label]
        return str(label)

    # -- serialization ------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"name": self.name, "task": self.task, "seed": self.seed}
        if self.description:
            d["description"] = self.description
        if self.labels is not None:
            d["labels"] = list(self.labels)
        if self.data is not None:
            d["data"] = self.data
        if self.lexicons:
            d["lexicons"] = self.lexicons
        if self.meta:
            d["meta"] = self.meta
        if self.min_cases is not None:
            d["min_cases"] = self.min_cases
        if self.neutral_band is not None:
            d["neutral_band"] = list(self.neutral_band)
        d["tests"] = [t.to_dict() for t in self.tests]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, where: str = "suite", source: str | None = None) -> "Suite":
        if not isinstance(d, Mapping):
            raise InputError(Errors.E605.format(where=where, error=f"top level is {type(d).__name__}"))
        for key in ("name", "tests"):
            if key not in d:
                raise InputError(Errors.E006.format(where=where, field=key, required="['name', 'tests']",
                                                    got=sorted(d)))
        tests_raw = d["tests"]
        if not isinstance(tests_raw, list):
            raise InputError(Errors.E606.format(where=where, field="tests", expected="a list",
                                                got=type(tests_raw).__name__))
        tests: list[TestSpec] = []
        for i, td in enumerate(tests_raw):
            twhere = f"{where}: tests[{i}]"
            if not isinstance(td, Mapping):
                raise InputError(Errors.E606.format(where=twhere, field="test", expected="a mapping",
                                                    got=type(td).__name__))
            kind = str(td.get("type", "")).upper()
            if kind not in _TYPES:
                raise InputError(Errors.E607.format(where=twhere, got=td.get("type")))
            kwargs = {k: v for k, v in td.items() if k != "type"}
            cls_t = _TYPES[kind]
            allowed = set(cls_t.__dataclass_fields__) - {"type"}
            unknown = set(kwargs) - allowed
            if unknown:
                raise InputError(Errors.E606.format(where=twhere, field=sorted(unknown)[0],
                                                    expected="one of " + ", ".join(sorted(allowed)),
                                                    got="an unknown field"))
            try:
                tests.append(cls_t(**kwargs))
            except InputError as e:
                raise InputError(f"{twhere}: {e}") from None
            except (TypeError, ValueError, AttributeError, KeyError) as e:
                # a field of the wrong type that the test's own checks did not name
                raise InputError(Errors.E606.format(where=twhere, field="test",
                                                    expected="fields of the documented types "
                                                             "(see docs/suites.md)",
                                                    got=f"{type(e).__name__}: {e}")) from None
        known = {"name", "tests", "task", "labels", "data", "lexicons", "seed", "description", "meta",
                 "min_cases", "neutral_band"}
        unknown = set(d) - known
        if unknown:
            raise InputError(Errors.E606.format(where=where, field=sorted(unknown)[0],
                                                expected="one of " + ", ".join(sorted(known)),
                                                got="an unknown field"))
        lexicons, meta, seed = d.get("lexicons") or {}, d.get("meta") or {}, d.get("seed", 0)
        for field_name, value, ok, expected in (
                ("lexicons", lexicons, isinstance(lexicons, Mapping), "a mapping"),
                ("meta", meta, isinstance(meta, Mapping), "a mapping"),
                ("seed", seed, isinstance(seed, int) and not isinstance(seed, bool), "an integer")):
            if not ok:
                raise InputError(Errors.E606.format(where=where, field=field_name,
                                                    expected=expected, got=shorten(value, 60)))
        return cls(name=d["name"], tests=tests, task=d.get("task", "classification"),
                   labels=d.get("labels"), data=d.get("data"), lexicons=dict(lexicons),
                   seed=seed, description=d.get("description", ""),
                   meta=dict(meta), source=source, min_cases=d.get("min_cases"),
                   neutral_band=d.get("neutral_band"))


def _scalar(v: Any) -> bool:
    return isinstance(v, (str, int, float)) and not isinstance(v, bool)


def _check_suite_fields(suite: "Suite") -> None:
    """Types of the suite-level fields (a suite file is user input: E606, never a crash
    later in case generation)."""
    where = f"suite {shorten(suite.name, 40)}"
    meta_ok = isinstance(suite.meta, Mapping)
    aliases = suite.meta.get("label_aliases") if meta_ok else None
    checks = (  # (field, its value, whether it is right, what it should be)
        ("name", suite.name, isinstance(suite.name, str) and suite.name != "",
         "a non-empty string"),
        ("labels", suite.labels, suite.labels is None or (
            isinstance(suite.labels, list) and all(isinstance(x, str) for x in suite.labels)),
         "a list of label strings"),
        ("data", suite.data, suite.data is None or isinstance(suite.data, (str, Path, list, tuple)),
         "a file path or a list of texts"),
        ("lexicons", suite.lexicons, _word_lists(suite.lexicons),
         "a mapping of names to lists of words"),
        ("seed", suite.seed, isinstance(suite.seed, int) and not isinstance(suite.seed, bool),
         "an integer"),
        ("description", suite.description, isinstance(suite.description, str), "a string"),
        ("meta", suite.meta, meta_ok, "a mapping"),
        ("meta.label_aliases", aliases, aliases is None or _word_lists(aliases),
         "a mapping of labels to lists of names ({PER: [PERSON, person]})"),
    )
    for name, value, ok, expected in checks:
        if not ok:
            raise InputError(Errors.E606.format(where=where, field=name, expected=expected,
                                                got=shorten(value, 60)))


def _word_lists(value: Any) -> bool:
    """Whether *value* maps names to lists of words (lexicons, label aliases)."""
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, (list, tuple)) and all(_scalar(x) for x in v)
        for k, v in value.items())


def _shipped_dir():
    return resources.files("nlperr").joinpath("resources", "suites")


def list_suites() -> dict[str, str]:
    """``{name: description}`` of the shipped suites."""
    out = {}
    for entry in sorted(_shipped_dir().iterdir(), key=lambda p: p.name):
        if entry.name.endswith((".yaml", ".yml")):
            d = yaml.safe_load(entry.read_text("utf-8"))
            out[d["name"]] = d.get("description", "")
    return out


def load_suite(source: str | Path | Mapping[str, Any] | Suite, *, encoding: str = "utf-8",
               encoding_errors: str = "strict") -> Suite:
    """Load a suite from a YAML/JSON file, a shipped suite name, or a dict.

    Files are decoded with *encoding* (BOM and CRLF accepted; bytes that do not decode
    raise E030 unless ``encoding_errors="replace"``) and parsed within the resource
    limits of :mod:`nlperr.limits` (YAML alias bombs, deep nesting: E034/E035).

    >>> load_suite("sentiment-en").task
    'classification'
    """
    if isinstance(source, Suite):
        return source
    if isinstance(source, Mapping):
        return Suite.from_dict(source)
    path = Path(source)
    if not path.exists():
        name = str(source)
        for entry in _shipped_dir().iterdir():
            if entry.name in (f"{name}.yaml", f"{name}.yml"):
                d = yaml.safe_load(entry.read_text("utf-8"))
                return Suite.from_dict(d, where=f"shipped suite {name!r}", source=str(entry))
        raise InputError(Errors.E608.format(name=name, available=", ".join(list_suites())))
    if path.is_dir():
        raise InputError(Errors.E605.format(where=str(path), error="it is a folder, not a file"))
    text = read_text(path, encoding=encoding, errors=encoding_errors)
    try:
        d = (loads_json(text, where=str(path), what="suite") if path.suffix == ".json"
             else load_yaml(text, where=str(path)))
    except InputError:
        raise  # resource limits (E034/E035) say it themselves
    except (ValueError, yaml.YAMLError) as e:
        raise InputError(Errors.E605.format(where=str(path), error=str(e).splitlines()[0])) from None
    return Suite.from_dict(d, where=str(path), source=str(path))


def save_suite(suite: Suite, path: str | Path) -> None:
    """Write *suite* as JSON (``.json``) or YAML (any other extension)."""
    path = Path(path)
    d = suite.to_dict()
    if path.suffix == ".json":
        atomic_write_text(path, json.dumps(d, ensure_ascii=False, indent=1))
    else:
        atomic_write_text(path, yaml.safe_dump(d, allow_unicode=True, sort_keys=False))
