"""Resource limits: every hostile input is refused with a clear error or read in bounded memory."""

from __future__ import annotations

import io
import json
import tarfile
import tracemalloc

import pytest

from nlperr.errors import FormatError, InputError
from nlperr.limits import DEFAULTS, Limits, get_limits, limits, set_limits

DEEP_JSON = "[" * 10_000 + "]" * 10_000


def _bomb(levels: int = 24) -> str:
    """A "billion laughs" YAML: each anchor lists the previous one twice (2**levels leaves)."""
    lines = ["a0: &a0 [lol, lol]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, levels)]
    return "\n".join(lines) + "\nname: bomb\ntests: []\n"


# -- the limits module ---------------------------------------------------------------------------
def test_defaults_env_and_overrides(monkeypatch):
    assert get_limits() == DEFAULTS == Limits()
    monkeypatch.setenv("NLPERR_MAX_JSON_DEPTH", "7")
    assert get_limits().max_json_depth == 7
    with limits(max_json_depth=9, max_line_bytes=100):
        assert (get_limits().max_json_depth, get_limits().max_line_bytes) == (9, 100)
    assert get_limits().max_json_depth == 7 and get_limits().max_line_bytes == DEFAULTS.max_line_bytes
    try:
        set_limits(max_yaml_nodes=5)
        assert get_limits().max_yaml_nodes == 5
    finally:
        set_limits(max_yaml_nodes=None)
    assert get_limits().max_yaml_nodes == DEFAULTS.max_yaml_nodes


@pytest.mark.parametrize("value", ["0", "-3", "1.5", "lots", "1e9"])
def test_invalid_limit_values(monkeypatch, value):
    monkeypatch.setenv("NLPERR_MAX_LINE_BYTES", value)
    with pytest.raises(InputError, match=r"E038.*NLPERR_MAX_LINE_BYTES"):
        get_limits()


def test_unknown_limit_name():
    with pytest.raises(InputError, match=r"E207.*max_line_bytes"):
        set_limits(max_lines=3)


# -- long lines: refused in bounded memory ------------------------------------------------------
def test_long_line_is_refused_without_reading_it_whole(tmp_path):
    from nlperr.io import iter_conll, read_conll, read_csv, read_hipe, read_jsonl
    from nlperr.io._text import iter_lines

    p = tmp_path / "one_line.conll"
    p.write_bytes(b"x" * 3_000_000 + b" O\n")
    tracemalloc.start()
    try:
        with limits(max_line_bytes=100_000):
            for reader in (lambda q: list(iter_lines(q)), iter_conll, read_jsonl, read_csv):
                with pytest.raises(InputError, match=r"E032.*line 1 is longer than 100000 bytes"
                                                     r".*NLPERR_MAX_LINE_BYTES"):
                    list(reader(p))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # the streaming readers never hold the 3 MB line
    # read_conll / read_hipe read the file whole (at most max_file_bytes, E033) and
    # refuse the line all the same
    with limits(max_line_bytes=100_000):
        for reader in (read_conll, read_hipe):
            with pytest.raises(InputError, match=r"E032.*line 1 is longer than 100000 bytes"):
                reader(p)


def test_line_at_the_limit_is_read(tmp_path):
    from nlperr.io._text import iter_lines

    p = tmp_path / "a.txt"
    p.write_bytes(b"a" * 99 + b"\n" + b"b" * 100 + b"\r\n")
    with limits(max_line_bytes=100):
        assert [len(x) for _, x in iter_lines(p)] == [99, 100]


@pytest.mark.slow
def test_a_real_100_mb_line(tmp_path):
    """The case of the issue at the default limits: refused, memory stays bounded."""
    from nlperr.io import read_jsonl

    p = tmp_path / "huge.jsonl"
    with open(p, "wb") as fh:
        fh.write(b'{"text": "')
        for _ in range(100):
            fh.write(b"a" * 1_000_000)
        fh.write(b'"}\n')
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="E032"):
            read_jsonl(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * DEFAULTS.max_line_bytes + 8_000_000  # readline's buffer and result


def test_whole_file_limit(tmp_path):
    from nlperr.adapters.labelmap import LabelMap
    from nlperr.io._text import read_text

    p = tmp_path / "map.json"
    p.write_text(json.dumps({f"L{i}": "X" for i in range(200)}), encoding="utf-8")
    with limits(max_file_bytes=1000):
        with pytest.raises(InputError, match=r"E033.*more than the 1000 bytes"):
            read_text(p)
        with pytest.raises(InputError, match="E033"):
            LabelMap.from_spec(str(p))
    assert len(LabelMap.from_spec(str(p)).mapping) == 200


# -- JSON nested 10,000 deep --------------------------------------------------------------------
def test_deep_json_everywhere(tmp_path):
    from nlperr.adapters.labelmap import LabelMap
    from nlperr.ocr.noise import NoiseModel
    from nlperr.suites import load_cases, load_suite

    suite = tmp_path / "s.json"
    suite.write_text('{"name": "x", "tests": ' + DEEP_JSON + "}", encoding="utf-8")
    with pytest.raises(InputError, match=r"E034.*deeper than 500"):
        load_suite(suite)
    cases = tmp_path / "c.jsonl"
    cases.write_text('{"nlperr_cases": 1, "meta": ' + DEEP_JSON + "}\n", encoding="utf-8")
    with pytest.raises(InputError, match="E034"):
        load_cases(cases)
    with pytest.raises(InputError, match="E034"):
        LabelMap.from_spec('{"a": ' + DEEP_JSON + "}")
    noise = tmp_path / "n.json"
    noise.write_text('{"format": ' + DEEP_JSON + "}", encoding="utf-8")
    with pytest.raises(InputError, match="E034"):
        NoiseModel.from_json(noise)


def test_json_depth_ignores_brackets_in_strings():
    from nlperr.io._structured import loads_json

    text = json.dumps({"t": "[" * 5000, "u": ["{" * 5000]})
    assert loads_json(text, where="x")["t"] == "[" * 5000
    with limits(max_json_depth=3):
        assert loads_json("[[[1]]]", where="x") == [[[1]]]
        with pytest.raises(InputError):
            loads_json("[[[[1]]]]", where="x")


def test_json_depth_matches_a_brute_force_count():
    """Property: the checker refuses exactly the documents deeper than the limit."""
    import random

    from nlperr.io._structured import check_json_depth

    def depth(v):
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    rng = random.Random(0)

    def gen(d):
        if d == 0 or rng.random() < 0.3:
            return rng.choice([1, "a[b", "}{", None])
        return [gen(d - 1) for _ in range(rng.randint(0, 3))] if rng.random() < 0.5 else \
            {f"k{i}": gen(d - 1) for i in range(rng.randint(0, 3))}

    for _ in range(300):
        doc = gen(rng.randint(0, 8))
        for lim in (1, 3, 5):
            with limits(max_json_depth=lim):
                try:
                    check_json_depth(json.dumps(doc), where="x")
                    refused = False
                except InputError:
                    refused = True
            assert refused == (depth(doc) > lim)


# -- YAML alias bombs ---------------------------------------------------------------------------
def test_billion_laughs_is_refused_fast(tmp_path):
    import time

    from nlperr.suites import load_suite

    p = tmp_path / "bomb.yaml"
    p.write_text(_bomb(30), encoding="utf-8")  # 2**31 nodes if expanded
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"E035.*expands to more than 1000000 nodes"):
        load_suite(p)
    assert time.perf_counter() - t0 < 1.0


def test_recursive_and_deep_yaml(tmp_path):
    from nlperr.suites import load_suite

    p = tmp_path / "rec.yaml"
    p.write_text("name: &n [x, *n]\ntests: []\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"E035.*refers to the node that contains it"):
        load_suite(p)
    p.write_text("name: x\ntests: " + DEEP_JSON + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="E034"):
        load_suite(p)


def test_ordinary_aliases_still_work(tmp_path):
    from nlperr.io._structured import load_yaml

    assert load_yaml(_bomb(5), where="x")["a4"] == [[[[["lol", "lol"]] * 2] * 2] * 2] * 2
    with limits(max_yaml_nodes=20):
        with pytest.raises(InputError, match="E035"):
            load_yaml(_bomb(5), where="x")


# -- archives -----------------------------------------------------------------------------------
def _tar(tmp_path, members):
    p = tmp_path / "suite.tar.gz"
    with tarfile.open(p, "w:gz") as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return p


def test_archive_limits(tmp_path):
    from nlperr.suites.checklist import read_checklist_pickle

    big = _tar(tmp_path, [("sentiment_suite.pkl", b"\0" * 2_000_000)])
    assert big.stat().st_size < 20_000  # compresses ~1000:1, like a decompression bomb
    with limits(max_archive_bytes=1_000_000):
        with pytest.raises(InputError, match=r"E036.*unpacks to 2000000 bytes"):
            read_checklist_pickle(big)
    padded = _tar(tmp_path, [(f"junk{i}.bin", b"\0" * 300_000) for i in range(5)]
                  + [("x.pkl", b"")])
    with limits(max_archive_bytes=1_000_000):
        with pytest.raises(InputError, match=r"E036.*before its .pkl member"):
            read_checklist_pickle(padded)
    many = _tar(tmp_path, [(f"f{i}.txt", b"") for i in range(30)])
    with limits(max_archive_members=10):
        with pytest.raises(InputError, match=r"E036.*more than 10 members"):
            read_checklist_pickle(many)
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(big.read_bytes()[:3000])
    with pytest.raises(InputError, match=r"E611|E036"):
        read_checklist_pickle(damaged)


# -- CSV fields ---------------------------------------------------------------------------------
def test_csv_million_character_field(tmp_path):
    from nlperr.io import read_csv

    p = tmp_path / "big.csv"
    p.write_text('text,label\n"' + "a" * 1_000_000 + '",pos\nshort,neg\n', encoding="utf-8")
    exs = read_csv(p)
    assert len(exs[0].text) == 1_000_000 and exs[1].label == "neg"
    with limits(max_csv_field_chars=10_000):
        with pytest.raises(FormatError, match=r"E037.*big.csv:2.*longer than 10000"):
            read_csv(p)


def test_csv_unclosed_quote_and_bad_options(tmp_path):
    from nlperr.io import read_csv

    p = tmp_path / "open.csv"
    p.write_text('text,label\n"never closed,pos\n' + "more text,neg\n" * 2000, encoding="utf-8")
    with limits(max_csv_field_chars=5_000):
        with pytest.raises(FormatError, match="E037"):
            read_csv(p)
    with pytest.raises(InputError, match=r"E207.*sep"):
        read_csv(p, sep=";;")


def test_csv_field_limit_is_restored(tmp_path):
    import csv

    from nlperr.io import read_csv

    before = csv.field_size_limit()
    p = tmp_path / "a.csv"
    p.write_text("text,label\na,b\n", encoding="utf-8")
    read_csv(p)
    assert csv.field_size_limit() == before


# -- DocBin -------------------------------------------------------------------------------------
def test_docbin_payload_checks_without_spacy(tmp_path):
    import zlib

    from nlperr.io._docbin import _checked_bytes

    p = tmp_path / "x.spacy"
    p.write_bytes(b"not zlib")
    with pytest.raises(FormatError, match=r"E046.*zlib"):
        _checked_bytes(p)
    p.write_bytes(zlib.compress(b"\0" * 3_000_000))
    with limits(max_file_bytes=1_000_000):
        with pytest.raises(InputError, match=r"E033.*unpacked"):
            _checked_bytes(p)
    assert _checked_bytes(p) == p.read_bytes()


@pytest.mark.slow
def test_garbage_docbin(tmp_path):
    pytest.importorskip("spacy")
    import zlib

    from nlperr.io import read_docbin

    p = tmp_path / "x.spacy"
    p.write_bytes(b"not a docbin at all")
    with pytest.raises(FormatError, match=r"E046.*x.spacy"):
        read_docbin(p)
    p.write_bytes(zlib.compress(b"\x93\x01\x02"))
    with pytest.raises(FormatError, match="E046"):
        read_docbin(p)
    p.write_bytes(zlib.compress(b"\0" * 3_000_000))
    with limits(max_file_bytes=1_000_000):
        with pytest.raises(InputError, match=r"E033.*unpacked"):
            read_docbin(p)


def test_damaged_hf_dataset_folder(tmp_path):
    pytest.importorskip("datasets")
    from nlperr.io import load

    (tmp_path / "dataset_info.json").write_text("{garbage", encoding="utf-8")
    with pytest.raises(FormatError, match=r"E047.*not a readable Hugging Face"):
        load(tmp_path)
    (tmp_path / "dataset_info.json").write_text("{}", encoding="utf-8")
    (tmp_path / "state.json").write_text('{"_data_files": [{"filename": "x.arrow"}]}',
                                         encoding="utf-8")
    (tmp_path / "x.arrow").write_bytes(b"garbage")
    with pytest.raises(FormatError, match="E047"):
        load(tmp_path)


def test_pickle_memo_bomb_is_refused_before_allocating(tmp_path):
    """A 9-byte pickle whose LONG_BINPUT names memo slot 2**31 would make the C
    unpickler allocate 16 GiB (found by benchmarks/fuzz_readers.py)."""
    from nlperr.suites.checklist import read_checklist_pickle

    p = tmp_path / "memo.pkl"
    p.write_bytes(b"\x80\x02N" + b"r" + (2**31).to_bytes(4, "little") + b".")
    with pytest.raises(InputError, match=r"E611.*memo index 2147483648"):
        read_checklist_pickle(p)


def test_lone_surrogates_are_refused(tmp_path):
    """A JSON escape \\ud800 without its pair parses, then crashes every UTF-8 writer."""
    from nlperr.adapters.labelmap import LabelMap
    from nlperr.errors import FormatError
    from nlperr.io import read_jsonl
    from nlperr.ocr.noise import NoiseModel
    from nlperr.suites import load_cases, load_suite

    bad = r"caf\ud800"
    suite = tmp_path / "s.json"
    suite.write_text('{"name": "%s", "tests": []}' % bad, encoding="utf-8")
    with pytest.raises(FormatError, match=r"E048.*s.json.*U\+D800"):
        load_suite(suite)
    yml = tmp_path / "s.yaml"
    yml.write_text('name: "%s"\ntests: []\n' % bad, encoding="utf-8")
    with pytest.raises(FormatError, match="E048"):
        load_suite(yml)
    data = tmp_path / "d.jsonl"  # a corpus line: the escape is found in a decoded file too
    data.write_text('{"text": "ok"}\n{"text": "%s"}\n' % bad, encoding="utf-8")
    with pytest.raises(FormatError, match=r"E048.*d.jsonl:2"):
        read_jsonl(data)
    data.write_text('{"text": "ok"}\n{"text": "%s"}\n' % bad, encoding="utf-16")
    with pytest.raises(FormatError, match=r"E048.*d.jsonl:2"):
        read_jsonl(data, encoding="utf-16")
    cases = tmp_path / "c.jsonl"
    cases.write_text('{"nlperr_cases": 1, "suite": "%s"}\n' % bad, encoding="utf-8")
    with pytest.raises(FormatError, match="E048"):
        load_cases(cases)
    with pytest.raises(FormatError, match="E048"):
        LabelMap.from_spec('{"%s": "X"}' % bad)
    noise = tmp_path / "n.json"
    noise.write_text('{"format": "nlperr.ocr.noise_model", "version": 1, "name": "%s"}' % bad,
                     encoding="utf-8")
    with pytest.raises(FormatError, match="E048"):
        NoiseModel.from_json(noise)
    # a proper pair is one character
    assert LabelMap.from_spec(r'{"\ud83d\ude00": "X"}').mapping == {"\U0001F600": "X"}


def test_iter_csv_streams_with_the_same_limits_and_examples(tmp_path):
    """iter_csv gives read_csv's examples one row at a time; the csv module's
    process-wide field limit is set only while a row is parsed."""
    import csv

    from nlperr.io import iter_csv, read_csv, write_csv
    from nlperr.data import Example

    gold = [Example(f"text, {i} \"q\"", label=["pos", "neg"][i % 2], id=f"r{i}")
            for i in range(50)]
    pred = [e.copy(label="pos", probs={"pos": 0.25 + i / 100, "neg": 0.75 - i / 100})
            for i, e in enumerate(gold)]
    p = tmp_path / "preds.csv"
    write_csv(gold, p, predictions=pred)
    for col in ("label", "pred_label"):
        assert list(iter_csv(p, label_column=col)) == read_csv(p, label_column=col)
    before = csv.field_size_limit()
    it = iter_csv(p, label_column="pred_label")
    first = next(it)
    assert first.probs == {"pos": 0.25, "neg": 0.75}
    assert csv.field_size_limit() == before  # not left at nlperr's limit while suspended
    it.close()
    big = tmp_path / "big.csv"
    big.write_text('text,label\nok,pos\n"' + "a" * 20_000 + '",pos\n', encoding="utf-8")
    with limits(max_csv_field_chars=10_000):
        it = iter_csv(big)
        assert next(it).text == "ok"
        with pytest.raises(FormatError, match=r"E037.*big.csv:3"):
            next(it)
    assert csv.field_size_limit() == before
    empty = tmp_path / "empty.csv"
    empty.write_text("text,label\n", encoding="utf-8")
    with pytest.raises(FormatError, match="E003"):
        list(iter_csv(empty))
    with pytest.raises(InputError, match=r"E207.*sep"):
        iter_csv(p, sep="ab")  # checked at the call, not at the first row
