"""nlperr drift with ``max_texts``: streamed inputs, a seeded uniform sample per side and
window, and exactly the unsampled result when everything fits."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nlperr.cli import main
from nlperr.drift import detect_drift
from nlperr.drift.sample import sample_drift_data
from nlperr.errors import InputError

WORDS = "the a of and to in is it that was for on with this movie film good bad great".split()
FOOD = "food service place restaurant menu waiter delicious pizza".split()
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
TESTS = ["length_chars", "oov_rate", "token_distribution", "label_distribution", "confidence",
         "domain_classifier"]


def _rows(n, seed, vocab, start=0, step=3600):
    rng = np.random.default_rng(seed)
    return [{"text": " ".join(rng.choice(vocab, size=rng.integers(4, 12))),
             "timestamp": 1714521600 + (start + i) * step,
             "prediction": ["pos", "neg"][int(rng.integers(0, 2))],
             "confidence": float(rng.uniform(0.5, 1))} for i in range(n)]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _same(a, b):
    assert a.summary == b.summary
    for name in a.tables:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])


@pytest.mark.parametrize("window", [None, 40, "daily", "weekly"])
def test_everything_fits_gives_the_unsampled_result(tmp_path, window):
    ref = _jsonl(tmp_path / "ref.jsonl", _rows(70, 1, WORDS))
    cur_rows = _rows(90, 2, WORDS + FOOD, start=10)
    cur = tmp_path / "cur.csv"
    pd.DataFrame(cur_rows).to_csv(cur, index=False)
    full = detect_drift(ref, cur, window=window, seed=3, tests=TESTS, n_permutations=99,
                        min_window_size=5)
    sampled = detect_drift(ref, cur, window=window, seed=3, tests=TESTS, n_permutations=99,
                           min_window_size=5, max_texts=100)
    assert full.summary.pop("max_texts") is None and sampled.summary.pop("max_texts") == 100
    _same(full, sampled)
    assert full.tables["windows"]["n_seen"].tolist() == \
        full.tables["windows"]["n_current"].tolist()


def test_everything_fits_for_lists_frames_and_corpora(tmp_path):
    ref, cur = [r["text"] for r in _rows(40, 1, WORDS)], pd.DataFrame(_rows(50, 2, FOOD))
    a = detect_drift(ref, cur, seed=0, tests=["oov_rate", "length_tokens"], n_permutations=99)
    b = detect_drift(ref, cur, seed=0, tests=["oov_rate", "length_tokens"], n_permutations=99,
                     max_texts=50)
    a.summary.pop("max_texts"), b.summary.pop("max_texts")
    _same(a, b)


@pytest.mark.skipif(not (SHARED / "wnut17").is_dir(), reason="../shared/data not present")
def test_real_corpora_streamed_equal_the_whole_read():
    """WNUT-17 dev against test (CoNLL files, streamed by iter_conll under max_texts):
    the same result as reading them whole when the sample holds every text."""
    files = [SHARED / "wnut17" / "emerging.dev.conll",
             SHARED / "wnut17" / "emerging.test.annotated"]
    kw = dict(seed=0, tests=["oov_rate", "length_tokens", "entity_types"], n_permutations=99,
              format="conll")
    a = detect_drift(files[0], files[1], **kw)
    b = detect_drift(files[0], files[1], max_texts=5000, **kw)
    assert b.summary["n_current_seen"] == a.summary["n_current"] > 1000
    a.summary.pop("max_texts"), b.summary.pop("max_texts")
    _same(a, b)
    c = detect_drift(files[0], files[1], max_texts=300, **kw)
    assert c.summary["n_current"] == c.summary["n_reference"] == 300
    assert c.summary["n_current_seen"] == a.summary["n_current"]


def test_samples_are_uniform_seeded_and_per_window():
    items = [f"text {i}" for i in range(60)]
    side = sample_drift_data(items, max_texts=8, window=25, seed=5)
    assert [(w.key, len(w.index)) for w in side.windows] == [("1-25", 8), ("26-50", 8),
                                                               ("51-60", 8)]
    assert side.seen == {"1-25": 25, "26-50": 25, "51-60": 10} and side.total == 60
    # each window's indices point at its own texts, in input order
    for w, (lo, hi) in zip(side.windows, [(0, 25), (25, 50), (50, 60)]):
        got = [int(side.data.texts[i].split()[1]) for i in w.index]
        assert got == sorted(got) and all(lo <= g < hi for g in got)
    again = sample_drift_data(items, max_texts=8, window=25, seed=5)
    assert again.data.texts == side.data.texts
    assert sample_drift_data(items, max_texts=8, window=25, seed=6).data.texts != side.data.texts
    # uniform: over many seeds every text of a 25-text window is kept about 8/25 of the time
    counts = Counter()
    runs = 600
    for seed in range(runs):
        s = sample_drift_data(items[:25], max_texts=8, seed=seed)
        counts.update(s.data.texts)
    freq = np.array([counts[t] for t in items[:25]]) / runs
    assert np.abs(freq - 8 / 25).max() < 0.08  # binomial sd ~0.019: 4 sd


def test_every_row_is_checked_even_when_not_kept(tmp_path):
    rows = _rows(200, 1, WORDS)
    rows[150]["confidence"] = "very"
    path = _jsonl(tmp_path / "cur.jsonl", rows)
    with pytest.raises(InputError, match=r"E1008.*cur\.jsonl:151"):
        sample_drift_data(path, max_texts=10, seed=0)


def test_count_windows_need_time_order_when_every_text_is_stamped(tmp_path):
    rows = _rows(50, 1, WORDS)
    rows[30]["timestamp"] = rows[10]["timestamp"]
    path = _jsonl(tmp_path / "cur.jsonl", rows)
    with pytest.raises(InputError, match=r"E1009.*cur\.jsonl:31.*cur\.jsonl:30"):
        sample_drift_data(path, max_texts=10, window=20, seed=0)
    # the unsampled run would sort by time: no other order is sound under a sample
    del rows[5]["timestamp"]  # not every text stamped: windows follow input order
    path = _jsonl(tmp_path / "cur2.jsonl", rows)
    side = sample_drift_data(path, max_texts=10, window=20, seed=0)
    assert [w.key for w in side.windows] == ["1-20", "21-40", "41-50"]
    with pytest.raises(InputError, match="E1003"):
        sample_drift_data(path, max_texts=10, window="daily", seed=0)


def test_time_windows_sample_each_day(tmp_path):
    rows = _rows(96, 1, WORDS, step=1800)  # two days, every half hour
    side = sample_drift_data(_jsonl(tmp_path / "c.jsonl", rows), max_texts=10,
                             window="daily", seed=0)
    assert [(w.key, len(w.index)) for w in side.windows] == [("2024-05-01", 10),
                                                               ("2024-05-02", 10)]
    assert side.seen == {"2024-05-01": 48, "2024-05-02": 48}
    assert side.windows[0].start == "2024-05-01T00:00:00+00:00"
    assert side.windows[0].end == "2024-05-01T23:30:00+00:00"  # of the day, not the sample


def test_bad_max_texts_and_files_are_streamed(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="E1006.*max_texts"):
        detect_drift(["a b"] * 30, ["c d"] * 30, max_texts=5)
    import nlperr.io as io

    def whole(*a, **k):  # a streamed format must not be read whole
        raise AssertionError("read whole")

    monkeypatch.setattr(io, "load", whole)
    path = _jsonl(tmp_path / "c.jsonl", _rows(30, 1, WORDS))
    assert sample_drift_data(path, max_texts=20, seed=0).total == 30


def test_cli_max_texts(tmp_path):
    ref = _jsonl(tmp_path / "ref.jsonl", _rows(300, 1, WORDS))
    cur = _jsonl(tmp_path / "cur.jsonl", _rows(300, 2, WORDS + FOOD))
    out = tmp_path / "out"
    code = main(["drift", "--reference", str(ref), "--current", str(cur), "--out", str(out),
                 "--max-texts", "100", "--window", "150", "--tests", "oov_rate,length_chars",
                 "--permutations", "99"])
    api = detect_drift(ref, cur, max_texts=100, window=150, tests=["oov_rate", "length_chars"],
                       n_permutations=99)
    s = json.loads((out / "summary.json").read_text())
    assert code == int(api.drift) and s["max_texts"] == 100
    assert s["n_current_seen"] == 300 and s["n_current"] == 200
    w = pd.read_csv(out / "windows.csv")
    assert w["n_seen"].tolist() == [150, 150] and w["n_current"].tolist() == [100, 100]
    assert json.loads(api.to_json()) == s


def test_drift_data_inputs_sample_like_any_other(tmp_path):
    from nlperr.drift import as_drift_data
    cur = as_drift_data(_jsonl(tmp_path / "c.jsonl", _rows(60, 2, FOOD)))
    ref = as_drift_data(pd.DataFrame(_rows(50, 1, WORDS)))
    kw = dict(seed=0, tests=TESTS, n_permutations=99, window="daily")
    a = detect_drift(ref, cur, **kw)
    b = detect_drift(ref, cur, max_texts=100, **kw)
    a.summary.pop("max_texts"), b.summary.pop("max_texts")
    _same(a, b)
    side = sample_drift_data(cur, max_texts=20, seed=0)
    assert side.total == 60 and len(side.data) == 20 and side.data.has_labels


def test_tsv_files_are_logs_only_with_a_text_column(tmp_path):
    """A .tsv log names a text column; HIPE-2022 and CoNLL .tsv files are corpora."""
    from nlperr.drift import as_drift_data
    log = tmp_path / "log.tsv"
    pd.DataFrame(_rows(30, 1, WORDS)).to_csv(log, sep="\t", index=False)
    assert len(as_drift_data(log)) == 30 and as_drift_data(log).has_labels
    conll = tmp_path / "c.tsv"
    conll.write_text("Ann\tB-PER\nlives\tO\n\nBob\tB-PER\n", encoding="utf-8")
    d = as_drift_data(conll)
    assert d.texts == ["Ann lives", "Bob"] and d.entities == [[("ann", "PER")], [("bob", "PER")]]
    hipe = sorted((SHARED / "hipe2022").glob("*/*/HIPE-2022-*-dev-en.tsv"))
    if hipe:
        a = detect_drift(hipe[0], hipe[0], seed=0, tests=["oov_rate"], n_permutations=99)
        b = detect_drift(hipe[0], hipe[0], seed=0, tests=["oov_rate"], n_permutations=99,
                         max_texts=1000)
        assert a.summary["n_current"] == b.summary["n_current_seen"] > 0


def test_a_registered_streamer_is_what_drift_streams(tmp_path, monkeypatch):
    """The format registry knows each reader's streaming twin (FormatSpec.streamer): the
    built-in ones, and one a user registers with their format."""
    import nlperr.io as io
    from nlperr.data import Example
    assert {n: io.get_format(n).streamer for n in ("conll", "hipe", "jsonl", "csv")} == {
        "conll": io.iter_conll, "hipe": io.iter_hipe, "jsonl": io.iter_jsonl,
        "csv": io.iter_csv}
    assert io.get_format("spacy").streamer is None

    def read(path, **options):
        return list(stream(path))

    def stream(path, **options):
        for i, line in enumerate(open(path, encoding="utf-8"), 1):
            yield Example(line.strip(), id=f"l{i}")

    io.register_format("drift-lines", reader=read, streamer=stream, extensions=[".dlines"],
                       overwrite=True)
    path = tmp_path / "a.dlines"
    path.write_text("".join(f"text {i}\n" for i in range(40)), encoding="utf-8")
    monkeypatch.setattr(io, "load", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("read whole")))
    side = sample_drift_data(path, max_texts=25, seed=0)
    assert side.total == 40 and len(side.data) == 25 and side.data.ids[0].startswith("l")
    with pytest.raises(InputError, match="E022.*streamer"):
        io.register_format("drift-bad", reader=read, streamer=3, overwrite=True)
