"""Structural fuzzing: valid suites, perturbation parameters and drift logs with one or
two values replaced by another JSON value (or dropped) either work or raise an
:class:`~nlperr.errors.NlperrError` -- never a bare ``TypeError`` or ``IndexError``
from deep inside.

Byte-level fuzzing (tests/test_robustness_fuzz.py) rarely produces a valid document
with a value of the wrong kind; these did, and each leak they found is fixed and
pinned by a named test (tests/test_perturb_edits.py, tests/test_suites_core.py,
tests/test_drift.py, tests/test_io_jsonl_block.py).  Seeded: the same inputs on every
run; ``benchmarks/fuzz_readers.py`` style counts are in the assertion messages.
"""

from __future__ import annotations

import copy
import json
import random
import warnings
from pathlib import Path

import pytest
import yaml

from nlperr import Example, Span
from nlperr.errors import NlperrError

from _fuzz_helpers import mutate_values
from _suites_helpers import FakeNER

REPO = Path(__file__).resolve().parents[1]
SUITES = REPO / "nlperr" / "resources" / "suites"
POOL = [0, -1, 1, 2, 0.5, 1.5, 1e9, 2 ** 64, "x", "", "3", None, True, False, [], {}, [1, 2],
        ["a"], ["", "b"], [None], {"a": 1}, {"a": "b"}, "INV", "MFT", "DIR", "positive",
        "PER", "{city}", "{", "increase", "typo", "city", ["PER"], {"PER": ["Bob"]}]


def _outcome(fn) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fn()
        except NlperrError:
            return "refused"
    return "ok"


def _sentiment(texts):
    out = []
    for t in texts:
        h = (sum(map(ord, t)) % 97) / 97
        p = [h * 0.5, 0.2, 0.8 - h * 0.5]
        out.append({k: v / sum(p) for k, v in zip(("negative", "neutral", "positive"), p)})
    return out


@pytest.mark.parametrize("name, model, data", [
    ("sentiment-en", _sentiment, ["The food was good.", "Anna liked the 3 hotels in Paris.",
                                  "I don't like it.", "Great app!"]),
    ("ner-en", FakeNER(), ["Maria flew to Paris with Bob.", "Anna visited London in 2020.",
                           "The CEO of Acme Corp met John Smith."]),
])
def test_shipped_suites_with_values_replaced_run_or_are_refused(name, model, data):
    from nlperr.suites import load_suite, run_suite

    seed = yaml.safe_load((SUITES / f"{name}.yaml").read_text(encoding="utf-8"))
    seed["data"] = data * 3
    rng = random.Random(3)
    outcomes = []
    for _ in range(80):
        doc = mutate_values(copy.deepcopy(seed), rng, POOL)
        outcomes.append(_outcome(lambda: run_suite(load_suite(doc), model, cache=False,
                                                   progress=False, min_cases=0,
                                                   allow_empty=True)))
    assert "ok" in outcomes and "refused" in outcomes, outcomes


def test_perturbation_parameters_of_any_kind_work_or_are_refused():
    from nlperr.perturb import available_perturbations, get_perturbation, perturb

    examples = [Example("Maria flew to Paris on 3 May 2020, didn't she?",
                        spans=(Span(0, 5, "PER"), Span(14, 19, "LOC"))),
                Example("I can't believe the food was good.")]
    values = POOL + [float("nan"), float("inf"), -0.5, ("a",), "upper", "prefix", "strip"]
    rng = random.Random(0)
    for name in available_perturbations():
        keys = list(get_perturbation(name).defaults)
        for i in range(25):
            params = {k: rng.choice(values) for k in keys if rng.random() < 0.5}
            for ex in examples:
                _outcome(lambda: perturb(ex, name, seed=i, params=params))


def test_drift_logs_with_values_replaced_work_or_are_refused(tmp_path):
    import pandas as pd

    from nlperr.drift.data import as_drift_data

    seed = [{"text": "Ada met Bob", "timestamp": "2024-05-01T10:00:00", "prediction": "POS",
             "confidence": 0.7, "probs": {"POS": 0.7, "NEG": 0.3}, "label": "POS", "id": "a1",
             "spans": [{"start": 0, "end": 3, "label": "PER"}]},
            {"text": "Nice day", "timestamp": 1714557600, "prediction": "NEG", "score": 0.6,
             "prob_POS": 0.4}]
    values = POOL + [10 ** 400, "1e400", "2024-01-01", float("nan"), float("inf"),
                     [0, 1, "PER"], [{"start": 0, "end": "x", "label": "P"}]]
    rng = random.Random(1)
    p = tmp_path / "log.jsonl"
    for k in range(200):
        recs = mutate_values(copy.deepcopy(seed), rng, values)
        rows = [r for r in recs if isinstance(r, dict)] or [{}]
        if k % 2:
            p.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
            _outcome(lambda: as_drift_data(p))
        else:
            _outcome(lambda: as_drift_data(pd.DataFrame(rows)))
