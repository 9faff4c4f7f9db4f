"""CheckList import: inert unpickling, conversion of the released sentiment suite."""

from __future__ import annotations

import os
import pickle
import tarfile
import uuid
from pathlib import Path

import pytest

from nlperr.errors import InputError
from nlperr.suites import load_suite, run_suite
from nlperr.suites._safepickle import Inert, inert_loads
from nlperr.suites.checklist import import_checklist

from _suites_helpers import lexicon_sentiment

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CHECKLIST = SHARED / "checklist_sentiment" / "sentiment_suite.tar.gz"

EXPECTED_COUNTS = {
    "single positive words": 34, "single negative words": 35, "single neutral words": 13,
    "Sentiment-laden words in context": 8658, "neutral words in context": 1716, "intensifiers": 2000,
    "reducers": 2000, "change neutral words with BERT": 500, "add positive phrases": 500,
    "add negative phrases": 500, "add random urls and handles": 500, "punctuation": 500, "typos": 500,
    "2 typos": 500, "contractions": 1000, "change names": 331, "change locations": 909,
    "change numbers": 1000, "used to, but now": 8000, '"used to" should reduce': 4368,
    "protected: race": 600, "protected: sexual": 600, "protected: religion": 600,
    "protected: nationality": 600, "simple negations: negative": 6318,
    "simple negations: not negative": 6786, "simple negations: not neutral is still neutral": 2496,
    "Q & A: no (neutral)": 1560,
}


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _EvilBuild:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # NEWOBJ + BUILD path with a callable in the state
        return (object.__new__, (_EvilBuild,), {"cmd": (os.system, f"touch {self.marker}")})


def test_malicious_pickle_is_not_executed(tmp_path):
    marker = Path(f"/tmp/pwned-{uuid.uuid4().hex}")
    for proto in (0, 2, 4, 5):
        data = pickle.dumps({"tests": [_Evil(marker), _EvilBuild(marker)]}, protocol=proto)
        obj = inert_loads(data)
        rec = obj["tests"][0]
        assert isinstance(rec, Inert) and rec.name == "system" and rec.args == (f"touch {marker}",)
        assert not marker.exists()
    # and through the importer (.pkl and .tar.gz), which rejects it as not a CheckList suite
    pkl = tmp_path / "evil.pkl"
    pkl.write_bytes(pickle.dumps(_Evil(marker)))
    with pytest.raises(InputError, match="E611"):
        import_checklist(pkl)
    tgz = tmp_path / "evil.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        tf.add(pkl, arcname="suite.pkl")
    with pytest.raises(InputError, match="E611"):
        import_checklist(tgz)
    assert not marker.exists()


def test_dill_style_records_stay_inert():
    import pickletools  # noqa: F401  (documentation: we only build bytes by hand below)
    # GLOBAL dill._dill _create_code, called with args; then _create_function(code, ...)
    data = (b"\x80\x03cdill._dill\n_load_type\nX\x08\x00\x00\x00CodeType\x85R"
            b"K\x01K\x02\x86R.")
    rec = inert_loads(data)
    assert isinstance(rec, Inert) and rec.module == "<call>" and rec.args == (1, 2)
    assert rec.func.name == "_load_type" and rec.func.args == ("CodeType",)


@pytest.mark.shared_data
def test_import_released_sentiment_suite(tmp_path):
    if not CHECKLIST.exists():
        pytest.skip("../shared/data/checklist_sentiment is absent")
    out = tmp_path / "ck.json"
    suite = import_checklist(CHECKLIST, out=out)
    assert len(suite.tests) == 38
    by_name = {t.name: t for t in suite.tests}
    for name, n in EXPECTED_COUNTS.items():
        assert len(by_name[name].cases) == n, name
    types = [t.type for t in suite.tests]
    assert types.count("MFT") == 20 and types.count("INV") == 13 and types.count("DIR") == 5
    assert by_name["typos"].capability == "Robustness"
    assert by_name["single positive words"].cases[0] == {"text": "good", "label": "positive"}
    assert by_name["simple negations: not negative"].cases[0]["labels"] == ["neutral", "positive"]
    assert by_name["intensifiers"].expect == {"label": "predicted", "direction": "increase",
                                              "tolerance": 0.1, "only_if_pred_not": ["neutral"]}
    assert by_name["add negative phrases"].expect["label"] == {"plus": ["positive"], "minus": ["negative"]}
    assert by_name["add negative phrases"].expect["direction"] == "decrease"
    # the saved JSON reloads and runs on a sentiment model (subsample for speed)
    back = load_suite(out)
    assert [t.name for t in back.tests] == [t.name for t in suite.tests]
    for t in back.tests:
        t.cases = t.cases[:20]
    res = run_suite(back, lexicon_sentiment, cache=False)
    s = res.test_table()
    assert len(s) == 38 and (s["n"] + s["skipped_cases"] > 0).all()
    assert s.set_index("name").loc["single positive words", "pass_rate"] > 0.3
