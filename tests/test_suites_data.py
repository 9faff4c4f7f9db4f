"""The shipped suites evaluate enough cases: real CC BY / CC0 data with attribution, rebuilt exactly
by examples/make_suite_data.py."""

from __future__ import annotations

import importlib.util
import warnings
from importlib import resources
from pathlib import Path

import pytest

from nlperr.suites import generate_cases, load_suite
from nlperr.suites.cases import parse_markup
from nlperr.suites.runner import DEFAULT_MIN_CASES

REPO = Path(__file__).resolve().parents[1]
SHIPPED = resources.files("nlperr").joinpath("resources", "suites")


@pytest.fixture(scope="module")
def shipped_cases():
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in ("sentiment-en", "ner-en"):
            suite = load_suite(name)
            out[name] = (suite, generate_cases(suite))
    return out


@pytest.mark.parametrize("name", ["sentiment-en", "ner-en"])
def test_every_shipped_test_has_enough_cases(shipped_cases, name):
    suite, cases = shipped_cases[name]
    by_test = cases.by_test()
    counts = {t.name: len(by_test.get(t.name, [])) for t in suite.tests}
    assert set(by_test) == set(counts)  # every test generates cases
    assert min(counts.values()) >= DEFAULT_MIN_CASES, counts
    assert suite.min_cases is None  # the library default applies; no shipped test lowers it
    assert all(t.min_cases is None for t in suite.tests)
    # the perturbation tests see a few hundred real sentences
    assert max(counts[t.name] for t in suite.tests if t.type == "INV") >= 400


def test_shipped_data_sizes_and_markup():
    sent = SHIPPED.joinpath("sentiment-en.txt").read_text("utf-8").splitlines()
    ner = SHIPPED.joinpath("ner-en.ents.txt").read_text("utf-8").splitlines()
    assert len(sent) == 450 and len(set(sent)) == 450 and all(s.strip() == s and s for s in sent)
    assert len(ner) == 424
    exs = [parse_markup(line) for line in ner]
    for line, ex in zip(ner, exs):
        assert "[" not in ex.text and "](" not in ex.text, line
        assert all(ex.text[s.start:s.end].strip() == ex.text[s.start:s.end] for s in ex.spans)
    # a few tweets were taken for a name in them that is no gold entity; the rest has entities
    assert sum(bool(ex.spans) for ex in exs) >= 400
    readme = SHIPPED.joinpath("README.md").read_text("utf-8")
    assert "Kotzias" in readme and "Derczynski" in readme and readme.count("CC BY 4.0") >= 4


def _make_module():
    spec = importlib.util.spec_from_file_location("make_suite_data", REPO / "examples" / "make_suite_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow  # perturbs ~8000 corpus sentences (about 2-4 s)
def test_shipped_data_is_rebuilt_exactly_from_the_corpora(shared_data, tmp_path):
    if not (shared_data / "sentiment_labelled").is_dir() or not (shared_data / "wnut17").is_dir():
        pytest.skip("sentiment_labelled / wnut17 absent")
    mod = _make_module()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert mod.main(["--shared", str(shared_data), "--out", str(tmp_path)]) == 0
    for name in ("sentiment-en.txt", "ner-en.ents.txt"):
        assert (tmp_path / name).read_bytes() == SHIPPED.joinpath(name).read_bytes(), name
    # the CC BY part is verbatim corpus text (whitespace-normalised)
    corpus = set()
    for f in (shared_data / "sentiment_labelled").glob("*_labelled.txt"):
        corpus |= {" ".join(ln.rsplit("\t", 1)[0].split()) for ln in f.read_text("utf-8").splitlines() if "\t" in ln}
    sent = SHIPPED.joinpath("sentiment-en.txt").read_text("utf-8").splitlines()
    assert all(s in corpus for s in sent[50:]) and not any(s in corpus for s in sent[:50])
