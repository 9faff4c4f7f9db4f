"""The engine switch (``engine=``, ``--engine``): option checks that need no Ray."""

import sys

import pytest

from nlperr import Example
from nlperr.cli import build_parser, main
from nlperr.engine import Predictor, make_predictor, predict
from nlperr.errors import InputError, MissingDependencyError
from nlperr.ocr import corpus_stats


def upper(texts):
    return [t.upper() for t in texts]


def test_local_engine_is_the_predictor():
    p = make_predictor(upper, cache=False)
    assert type(p) is Predictor
    assert [e.label for e in p.predict([Example("a"), Example("b")])] == ["A", "B"]


@pytest.mark.parametrize("kw, code", [
    ({"engine": "spark"}, "E207"),
    ({"engine": "local", "workers": 2}, "E1054"),
    ({"engine": "local", "address": "auto"}, "E1054"),
    ({"engine": "local", "gpus_per_worker": 1}, "E1054"),
    ({"engine": "ray", "workers": 0}, "E207"),
    ({"engine": "ray", "workers": True}, "E207"),
    ({"engine": "ray", "gpus_per_worker": -1}, "E207"),
])
def test_bad_engine_options(kw, code):
    with pytest.raises(InputError, match=code):
        make_predictor(upper, cache=False, **kw)


def test_predict_passes_the_engine_on():
    with pytest.raises(InputError, match="E207.*'local', 'ray'"):
        predict(upper, [Example("a")], cache=False, engine="dask")


def test_missing_ray_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingDependencyError, match=r"nlperr\[ray\]"):
        make_predictor(upper, cache=False, engine="ray")
    with pytest.raises(MissingDependencyError, match=r"nlperr\[ray\]"):
        corpus_stats(["a b c"], engine="ray")


def test_corpus_stats_engine_options():
    with pytest.raises(InputError, match="E207"):
        corpus_stats(["a"], engine="spark")
    with pytest.raises(InputError, match="E1054"):
        corpus_stats(["a"], workers=2)


@pytest.mark.parametrize("argv", [
    ["predict", "--model", "m", "--input", "i", "--output", "o"],
    ["suite", "run", "s", "--model", "m"],
    ["ocr", "stats", "x", "--out", "d"],
    ["analyze", "ner", "--gold", "g", "--out", "d"],
])
def test_cli_commands_take_engine_options(argv):
    args = build_parser().parse_args([*argv, "--engine", "ray", "--address", "auto",
                                      "--workers", "3"])
    assert (args.engine, args.address, args.workers) == ("ray", "auto", 3)
    assert build_parser().parse_args(argv).engine == "local"


def test_cli_gpus_per_worker_only_for_model_commands():
    args = build_parser().parse_args(["predict", "--model", "m", "--input", "i", "--output",
                                      "o", "--engine", "ray", "--gpus-per-worker", "0.5"])
    assert args.gpus_per_worker == 0.5
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ocr", "stats", "x", "--out", "d", "--gpus-per-worker", "1"])


def test_cli_ray_options_without_ray_engine_exit_2(tmp_path, capsys):
    src = tmp_path / "a.txt"
    src.write_text("the cat sat", encoding="utf-8")
    rc = main(["ocr", "stats", str(src), "--out", str(tmp_path / "o"), "--workers", "2"])
    assert rc == 2
    assert "E1054" in capsys.readouterr().err


def test_analyze_engine_options_need_a_model(tmp_path, capsys):
    gold = tmp_path / "g.conll"
    gold.write_text("Ann\tB-PER\tB-PER\n", encoding="utf-8")
    rc = main(["analyze", "ner", "--gold", str(gold), "--out", str(tmp_path / "o"),
               "--engine", "ray"])
    assert rc == 2
    assert "E401" in capsys.readouterr().err


def test_deferred_adapter_is_shipped_without_weights(tmp_path):
    from nlperr.adapters.deferred import DeferredAdapter
    from nlperr.engine.distributed import _shippable

    class Real:
        batch_size = 8

    d = DeferredAdapter("spacy:x", kind="spacy", files_hash="h", task="ner", uses_tokens=True,
                        batch_size=8, options={}, load=Real)
    assert _shippable(d) is d  # nothing loaded: sent as is
    d.adapter()
    shipped = _shippable(d)
    assert d.loaded and not shipped.loaded  # the driver keeps its copy, the workers load
    assert shipped.fingerprint() == d.fingerprint() and shipped.spec == d.spec
    assert _shippable(upper) is upper
