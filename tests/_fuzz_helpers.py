"""Mutation fuzzing of real files for every reader and CLI command (issue 15).

Used by ``tests/test_robustness_fuzz.py`` (a few hundred examples, hypothesis) and
``benchmarks/fuzz_readers.py`` (thousands, with a count of inputs tried and failed).

The contract checked: a reader either returns or raises :class:`~nlperr.errors.NlperrError`;
a CLI command exits 0, 1 or 2 (argparse's ``SystemExit(2)`` included) and never
prints a traceback or an "internal error".

Seeds are slices of the real corpora in ``../shared/data`` when present, else the
test fixtures and small files written here.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import pickle
import random
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared" / "data"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

SEED_BYTES = 4000  # each seed is cut to about this size (at a line end) to keep runs fast

# --- mutations -------------------------------------------------------------------------------
TAGS = [b"B-", b"I-PER", b"B-LOC", b"E-X", b"S-", b"O", b"-", b"<b>", b"</i>", b"\t", b"\n",
        b"\n\n", b" ", b"-DOCSTART- -X- O O\n", b"# hipe2022:document_id = x\n", b"TOKEN\t",
        b"{", b"}", b"[", b"]", b":", b",", b"null", b'"spans": [', b"||@@||", b"[OCR_toInput] ",
        b"[ GS_aligned] ", b"&a ", b"*a", b"---\n", b"- ", b"key: ", b"!!python/object ",
        b"\\u00", b"1e999", b"NaN", b"-1", b"99999999999999999999"]
QUOTES = [b'"', b"'", b'\\', b'""', b'"\n"', b"`"]
BOMS = [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]


def _pos(rng: random.Random, data: bytearray) -> int:
    return rng.randint(0, len(data))


def flip(rng, data):
    if data:
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
    return data


def truncate(rng, data):
    return data[:_pos(rng, data)]


def insert_tag(rng, data):
    i = _pos(rng, data)
    return data[:i] + rng.choice(TAGS) + data[i:]


def insert_quote(rng, data):
    i = _pos(rng, data)
    return data[:i] + rng.choice(QUOTES) + data[i:]


def bom(rng, data):
    b = rng.choice(BOMS)
    return b + data if rng.random() < 0.7 else (lambda i: data[:i] + b + data[i:])(_pos(rng, data))


def crlf(rng, data):
    return bytearray(bytes(data).replace(b"\n", rng.choice([b"\r\n", b"\r", b"\n\r"])))


def nul(rng, data):
    i = _pos(rng, data)
    return data[:i] + b"\x00" * rng.randint(1, 3) + data[i:]


def binary(rng, data):
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    if rng.random() < 0.2:
        return bytearray(junk)
    i = _pos(rng, data)
    return data[:i] + junk + data[i + rng.randint(0, 16):]


def latin1(rng, data):
    return bytearray(bytes(data).decode("utf-8", "replace").encode("latin-1", "replace"))


def utf16(rng, data):
    return bytearray(bytes(data).decode("utf-8", "replace").encode("utf-16"))


def delete(rng, data):
    i = _pos(rng, data)
    return data[:i] + data[i + rng.randint(1, 200):]


def duplicate(rng, data):
    i = _pos(rng, data)
    j = min(len(data), i + rng.randint(1, 200))
    return data[:j] + data[i:j] + data[j:]


MUTATIONS: dict[str, Callable] = {f.__name__: f for f in (
    flip, truncate, insert_tag, insert_quote, bom, crlf, nul, binary, latin1, utf16, delete,
    duplicate)}


def mutate(seed: bytes, rng: random.Random, n_ops: int | None = None) -> tuple[bytes, list[str]]:
    """Apply 1-3 random mutations to *seed*; return the bytes and the names applied."""
    data = bytearray(seed)
    names = []
    for _ in range(n_ops if n_ops is not None else rng.randint(1, 3)):
        name = rng.choice(sorted(MUTATIONS))
        data = bytearray(MUTATIONS[name](rng, data))
        names.append(name)
    return bytes(data), names


# --- seeds -----------------------------------------------------------------------------------
def _cut(data: bytes, size: int = SEED_BYTES) -> bytes:
    if len(data) <= size:
        return data
    end = data.find(b"\n\n", size)
    end = data.find(b"\n", size) if end < 0 else end + 1
    return data[: end + 1] if end >= 0 else data[:size]


def _shared(*parts: str) -> bytes | None:
    p = SHARED.joinpath(*parts)
    return _cut(p.read_bytes()) if p.is_file() else None


SUITE_YAML = b"""name: fuzz
task: classification
labels: [negative, positive]
data: [ "The food was great.", "Service was slow in Paris." ]
lexicons:
  adj: &adj [good, bad, awful]
  more: *adj
tests:
  - name: simple
    type: MFT
    templates: ["This is {adj}."]
    expect: {label: positive}
    min_pass_rate: 0.0
  - name: typos
    type: INV
    perturbation: typo
    min_pass_rate: 0.0
"""


def _cases_file() -> bytes:
    from nlperr.suites import generate_cases, load_suite
    from nlperr.suites.cases import save_cases

    import tempfile
    with tempfile.TemporaryDirectory() as d:
        suite_path = Path(d) / "s.yaml"
        suite_path.write_bytes(SUITE_YAML)
        p = Path(d) / "cases.jsonl"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            save_cases(generate_cases(load_suite(suite_path), seed=1), p)
        return p.read_bytes()


def _checklist_pickle() -> bytes:
    """A small stand-in for CheckList's released pickle: the same class names
    (``checklist.test_suite.TestSuite``, ``checklist.test_types.MFT/INV/DIR``), an
    OrderedDict of tests with data, labels and capabilities (no functions)."""
    import collections
    import types

    saved = {k: sys.modules.get(k) for k in ("checklist", "checklist.test_suite",
                                            "checklist.test_types")}
    try:
        pkg = types.ModuleType("checklist")
        ts = types.ModuleType("checklist.test_suite")
        tt = types.ModuleType("checklist.test_types")
        sys.modules.update({"checklist": pkg, "checklist.test_suite": ts,
                            "checklist.test_types": tt})
        classes = {}
        for mod, name in ((ts, "TestSuite"), (tt, "MFT"), (tt, "INV"), (tt, "DIR")):
            cls = type(name, (), {"__module__": mod.__name__})
            setattr(mod, name, cls)
            classes[name] = cls

        def make(kind: str, **state):  # noqa: ANN003, ANN202
            obj = classes[kind].__new__(classes[kind])
            obj.__dict__.update(state)
            return obj

        tests = collections.OrderedDict()
        tests["single positive words"] = make(
            "MFT", data=["good", "great", "nice"], labels=2, capability="Vocabulary",
            description="positive words", expect=None)
        tests["typos"] = make("INV", data=[["I like it", "I lkie it"], ["bad", "bda"]],
                              labels=None, capability="Robustness", description="", expect=None)
        tests["add positive phrases"] = make("DIR", data=[["ok", "ok, love it"]], labels=None,
                                             capability="Vocabulary", description="",
                                             expect=None)
        suite = make("TestSuite", tests=tests, info={"typos": {"capability": "Robustness"}})
        return pickle.dumps(suite, protocol=2)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def seeds() -> dict[str, list[tuple[str, bytes]]]:
    """``{kind: [(file name, bytes), ...]}`` -- real corpus slices first, fixtures always."""
    fixtures = {
        "conll": [("mini_iob1.conll", (HERE / "data" / "mini_iob1.conll").read_bytes()),
                  ("sample.conll", (REPO / "examples" / "data" / "sample.conll").read_bytes())],
        "hipe": [("mini_hipe.tsv", (HERE / "data" / "mini_hipe.tsv").read_bytes())],
        "jsonl": [("a.jsonl", b'{"text": "Hi Bob", "spans": [{"start": 3, "end": 6, "label": '
                              b'"PER"}]}\n{"text": "Paris!", "label": "pos", "id": "x"}\n')],
        "csv": [("sentiment.csv", _cut((REPO / "examples" / "data" / "sentiment.csv").read_bytes()))],
        "suite_yaml": [("suite.yaml", SUITE_YAML)],
        "suite_json": [("suite.json", json.dumps(
            {"name": "fuzz", "task": "classification", "labels": ["neg", "pos"],
             "tests": [{"name": "m", "type": "MFT", "cases": ["good"],
                        "expect": {"label": "pos"}}]}).encode())],
        "cases": [("cases.jsonl", _cut(_cases_file()))],
        "labelmap": [("map.json", b'{"PERSON": "PER", "GPE": "LOC", "DATE": null}')],
        "noise": [("noise.json", json.dumps({
            "format": "nlperr.ocr.noise_model", "version": 1, "name": "n", "characters": 10,
            "substitutions": [{"gold": "e", "ocr": "c", "prob": 0.5, "count": 3},
                              {"gold": "m", "ocr": "rn", "prob": 0.1}],
            "deletions": [{"gold": "l", "prob": 0.2}], "insertions": [{"ocr": "'", "prob": 1.0}],
            "insertion_rate": 0.01}).encode())],
        "icdar": [("doc.txt", "[OCR_toInput] Tbe cat\n[OCR_aligned] Tbe cat\n"
                              "[ GS_aligned] The cat\n".encode())],
        "pairs": [("pairs.txt", "Tbe cat||@@||The cat\nd0g||@@||dog\n".encode())],
        "lexicon": [("words.txt", "# words\ncat\ndog\nété\n".encode())],
        "checklist": [("suite.pkl", _checklist_pickle())],
    }
    real = {
        "conll": [("wnut17train.conll", _shared("wnut17", "wnut17train.conll")),
                  ("emerging.dev.conll", _shared("wnut17", "emerging.dev.conll"))],
        "hipe": [("HIPE-2022-v2.1-ajmc-dev-en.tsv",
                  _shared("hipe2022", "ajmc", "en", "HIPE-2022-v2.1-ajmc-dev-en.tsv"))],
        "csv": [("amazon.csv", _amazon_csv())],
        "icdar": [(p.name, p.read_bytes()) for p in _smallest(SHARED / "icdar2019_postocr", 2)],
    }
    out: dict[str, list[tuple[str, bytes]]] = {}
    for kind, items in fixtures.items():
        out[kind] = [(n, b) for n, b in real.get(kind, []) if b] + items
    return out


def _smallest(folder: Path, n: int) -> list[Path]:
    """The *n* smallest ICDAR files of at least 200 bytes (whole: a cut file is invalid)."""
    if not folder.is_dir():
        return []
    files = [p for p in folder.rglob("*.txt") if 200 <= p.stat().st_size <= SEED_BYTES]
    return sorted(files, key=lambda p: (p.stat().st_size, str(p)))[:n]


def _amazon_csv() -> bytes | None:
    raw = _shared("sentiment_labelled", "amazon_cells_labelled.txt")
    if raw is None:
        return None
    import csv
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["text", "label"])
    for line in raw.decode("utf-8", "replace").splitlines():
        if "\t" in line:
            t, lab = line.rsplit("\t", 1)
            w.writerow([t.strip(), lab.strip()])
    return buf.getvalue().encode("utf-8")


# --- targets: readers ------------------------------------------------------------------------
def _readers() -> dict[str, tuple[str, str, Callable[[Path], object]]]:
    """``{name: (seed kind, file suffix, read(path))}``; ``owner`` is in LEAD_READERS."""
    from nlperr import io as nio
    from nlperr.adapters.labelmap import LabelMap
    from nlperr.ocr.lexicon import Lexicon
    from nlperr.ocr.noise import NoiseModel
    from nlperr.ocr.readers import iter_pairs, iter_texts, read_icdar2019, read_line_pairs
    from nlperr.suites import load_cases, load_suite
    from nlperr.suites.checklist import import_checklist

    return {
        "conll": ("conll", ".conll", lambda p: nio.read_conll(p)),
        "conll_lenient": ("conll", ".conll", lambda p: nio.read_conll(p, strict=False)),
        "hipe": ("hipe", ".tsv", lambda p: nio.read_hipe(p)),
        "jsonl": ("jsonl", ".jsonl", lambda p: nio.read_jsonl(p)),
        "load_sniffed": ("hipe", ".tsv", lambda p: nio.load(p)),
        "csv": ("csv", ".csv", lambda p: nio.read_csv(p)),
        "suite_yaml": ("suite_yaml", ".yaml", lambda p: load_suite(p)),
        "suite_json": ("suite_json", ".json", lambda p: load_suite(p)),
        "cases": ("cases", ".jsonl", lambda p: load_cases(p)),
        "labelmap": ("labelmap", ".json", lambda p: LabelMap.from_spec(str(p))),
        "noise": ("noise", ".json", lambda p: NoiseModel.from_json(p)),
        "icdar": ("icdar", ".txt", lambda p: read_icdar2019(p)),
        "pairs": ("pairs", ".txt", lambda p: read_line_pairs(p)),
        "ocr_auto": ("icdar", ".txt", lambda p: list(iter_pairs(p))),
        "ocr_texts": ("icdar", ".txt", lambda p: list(iter_texts(p))),
        "lexicon": ("lexicon", ".txt", lambda p: Lexicon.from_file(p)),
        "checklist": ("checklist", ".pkl", lambda p: import_checklist(p)),
    }


def slow_readers() -> dict[str, tuple[str, str, Callable[[Path], object]]]:
    """Readers that need spaCy (slow to import): only in benchmarks/fuzz_readers.py --slow."""
    from nlperr import io as nio

    return {"docbin": ("docbin", ".spacy", lambda p: nio.read_docbin(p)),
            "docbin_gold": ("docbin", ".spacy", lambda p: nio.read_docbin(p, gold=True))}


def docbin_seeds() -> list[tuple[str, bytes]]:
    """DocBin files written by nlperr from the CoNLL seeds (with and without predictions)."""
    import tempfile

    from nlperr import io as nio

    out = []
    with tempfile.TemporaryDirectory() as d, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, data in seeds()["conll"][-2:]:
            src = Path(d) / name
            src.write_bytes(data)
            exs = nio.read_conll(src)
            for k, preds in enumerate((None, exs)):
                p = Path(d) / f"{name}.{k}.spacy"
                nio.write_docbin(exs, p, predictions=preds)
                out.append((p.name, p.read_bytes()))
    return out


#: Readers in files the lead owns (issue 8 rewrites them): crashes are reported, not fixed here.
LEAD_READERS = ("conll", "conll_lenient", "hipe", "jsonl", "load_sniffed")


def check_reader(read: Callable[[Path], object], path: Path) -> None:
    """The reader contract: success or NlperrError (anything else propagates)."""
    from nlperr.errors import NlperrError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            read(path)
        except NlperrError:
            pass


# --- targets: CLI commands -------------------------------------------------------------------
CLS_MODEL = "callable:_adapters_helpers:length_label"
NER_MODEL = "callable:_adapters_helpers:capital_spans"


def cli_commands(out: Path) -> dict[str, tuple[str, str, Callable[[Path], list[str]]]]:
    """``{name: (seed kind, suffix, argv(path))}``: one command line per fuzzed input."""
    o = str(out)
    return {
        "predict_conll": ("conll", ".conll", lambda p: [
            "predict", "--model", NER_MODEL, "--input", str(p), "--output", o + ".conll",
            "--no-progress", "--no-cache", "--overwrite"]),
        "predict_csv": ("csv", ".csv", lambda p: [
            "predict", "--model", CLS_MODEL, "--input", str(p), "--output", o + ".csv",
            "--no-progress", "--no-cache", "--overwrite"]),
        "analyze_ner": ("conll", ".conll", lambda p: [
            "analyze", "ner", "--gold", str(p), "--pred", str(p), "--out", o + "_an",
            "--n-boot", "0", "--no-parquet", "--overwrite"]),
        "analyze_cls": ("csv", ".csv", lambda p: [
            "analyze", "classification", "--gold", str(p), "--model", CLS_MODEL,
            "--out", o + "_ac", "--n-boot", "0", "--no-parquet", "--no-cache", "--overwrite"]),
        "suite_run": ("suite_yaml", ".yaml", lambda p: [
            "suite", "run", str(p), "--model", CLS_MODEL, "--no-cache", "--quiet"]),
        "suite_run_cases": ("cases", ".jsonl", lambda p: [
            "suite", "run", str(_fuzz_suite(out)), "--cases", str(p), "--model", CLS_MODEL,
            "--no-cache", "--quiet"]),
        "suite_generate": ("suite_json", ".json", lambda p: [
            "suite", "generate", str(p), "--out", o + "_cases.jsonl", "--overwrite"]),
        "import_checklist": ("checklist", ".pkl", lambda p: [
            "suite", "import-checklist", str(p), "--out", o + "_suite.json", "--overwrite"]),
        "ocr_stats": ("icdar", ".txt", lambda p: [
            "ocr", "stats", str(p), "--out", o + "_os", "--no-progress", "--overwrite"]),
        "ocr_compare": ("pairs", ".txt", lambda p: [
            "ocr", "compare", "--pairs", str(p), "--out", o + "_oc", "--no-progress",
            "--overwrite", "--noise-model", o + "_noise.json"]),
        "ocr_stats_latin1": ("lexicon", ".txt", lambda p: [
            "ocr", "stats", str(p), "--out", o + "_ol", "--no-progress", "--overwrite",
            "--encoding", "latin-1"]),
    }


def _fuzz_suite(out: Path) -> Path:
    """The suite the seed case file was generated from (written once, next to *out*)."""
    p = out.parent / "fuzz_suite.yaml"
    if not p.exists():
        p.write_bytes(SUITE_YAML)
    return p


def run_cli(argv: list[str]) -> tuple[int, str]:
    """``nlperr.cli.main(argv)`` in-process; returns (exit code, stderr)."""
    from nlperr.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse
            rc = e.code if isinstance(e.code, int) else 2
    return rc, err.getvalue()


def cli_ok(rc: int, err: str) -> bool:
    return rc in (0, 1, 2) and "Traceback" not in err and "internal error" not in err


# --- structural mutations (a JSON-like value with one value replaced) ------------------------
#: Put by :func:`replace_value` to delete the key or item instead.
DROP = object()


def value_paths(value: Any, path: tuple = ()) -> Iterator[tuple]:
    """The path (keys and indices) of every value inside *value*, *value* itself first."""
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from value_paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from value_paths(v, path + (i,))


def replace_value(value: Any, path: tuple, new: Any) -> Any:
    """A deep copy of *value* with the value at *path* replaced by *new* (deleted for
    :data:`DROP`)."""
    if not path:
        return value if new is DROP else new
    value = copy.deepcopy(value)
    node = value
    for key in path[:-1]:
        node = node[key]
    if new is DROP:
        del node[path[-1]]
    else:
        node[path[-1]] = new
    return value


def mutate_values(value: Any, rng: random.Random, pool: list, keep_root: bool = True) -> Any:
    """*value* with one or two of its values (not itself, with *keep_root*) replaced by
    a value of *pool* or dropped."""
    for _ in range(rng.randint(1, 2)):
        paths = list(value_paths(value))[1 if keep_root else 0:]
        if not paths:
            break
        value = replace_value(value, rng.choice(paths), rng.choice(pool + [DROP]))
    return value
