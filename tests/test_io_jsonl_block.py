"""The block path of the JSONL reader (orjson, tokens and spans checked as arrays) gives
exactly what the line-by-line path gives: the same examples, the same errors.

Every comparison reads the same file twice: once as users do (block path where a chunk
is certainly valid) and once with the block path switched off (``orjson_loads``
patched to None), so each line goes through :mod:`json` and the per-record checks.
"""

from __future__ import annotations

import copy
import json
import pickle
import random
import warnings
from pathlib import Path

import pytest

import nlperr.io._jsonl as jsonl_mod
from nlperr.data.example import TokenRange
from nlperr.errors import NlperrError
from nlperr.io import JsonlStream, iter_jsonl, read_conll, read_jsonl, write_jsonl
from nlperr.limits import limits

from _fuzz_helpers import mutate_values

pytest.importorskip("orjson")

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _outcome(fn):
    """``("ok", value)`` or ``("error", type name, message)``; warnings kept."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = fn()
        except NlperrError as e:  # any other exception fails the test
            return ("error", type(e).__name__, str(e)), [str(w.message) for w in caught]
    return ("ok", value), [str(w.message) for w in caught]


def _line_path(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(jsonl_mod, "orjson_loads", lambda: None)
        return _outcome(fn)


def _same(monkeypatch, fn):
    """Run *fn* on both paths; assert equal outcomes; return the block path's."""
    block = _outcome(fn)
    line = _line_path(monkeypatch, fn)
    assert block == line
    return block[0]


def _write(tmp_path: Path, name: str, lines: list, newline: str = "\n") -> Path:
    p = tmp_path / name
    text = newline.join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)
                        for x in lines) + newline
    p.write_bytes(text.encode("utf-8"))
    return p


BASE = {"text": "Ada met Bob in Oslo .",
        "tokens": [{"text": "Ada", "start": 0, "end": 3, "id": 0},
                   {"text": "met", "start": 4, "end": 7, "id": 1},
                   {"text": "Bob", "start": 8, "end": 11, "id": 2},
                   {"text": "in", "start": 12, "end": 14, "id": 3},
                   {"text": "Oslo", "start": 15, "end": 19, "id": 4},
                   {"text": ".", "start": 20, "end": 21, "id": 5}],
        "spans": [{"start": 0, "end": 3, "label": "PER", "token_start": 0, "token_end": 0},
                  {"start": 8, "end": 11, "label": "PER", "token_start": 2, "token_end": 2},
                  {"start": 15, "end": 19, "label": "LOC", "token_start": 4,
                   "token_end": 4}]}


def _mut(fn):
    rec = copy.deepcopy(BASE)
    out = fn(rec)
    return rec if out is None else out


# Each mutation of a valid record: the block path must agree with the line path, whether
# the record is valid (the same example) or not (the same error).
MUTATIONS = {
    "valid": lambda r: None,
    "no tokens": lambda r: r.pop("tokens") and None,
    "tokens null": lambda r: r.update(tokens=None),
    "tokens empty, no spans": lambda r: r.update(tokens=[], spans=[]),
    "tokens empty, spans": lambda r: r.update(tokens=[]),
    "tokens not a list": lambda r: r.update(tokens={"a": 1}),
    "string tokens": lambda r: r.update(tokens=[t["text"] for t in r["tokens"]]),
    "token text differs": lambda r: r["tokens"][2].update(text="Bop"),
    "token text longer": lambda r: r["tokens"][2].update(text="Bob "),
    "token overlaps": lambda r: r["tokens"][2].update(start=6),
    "tokens out of order": lambda r: r.update(tokens=r["tokens"][::-1]),
    "token start negative": lambda r: r["tokens"][0].update(start=-1),
    "token end past text": lambda r: r["tokens"][5].update(end=30),
    "token empty": lambda r: r["tokens"][5].update(end=20, text=""),
    "token start bool": lambda r: r["tokens"][1].update(start=True),
    "token start float": lambda r: r["tokens"][1].update(start=4.0),
    "token start str": lambda r: r["tokens"][1].update(start="4"),
    "token start word": lambda r: r["tokens"][1].update(start="four"),
    "token start null": lambda r: r["tokens"][1].update(start=None),
    "token end huge": lambda r: r["tokens"][1].update(end=1e308),
    "token text int": lambda r: r["tokens"][1].update(text=7),
    "token without end": lambda r: r["tokens"][1].pop("end") and None,
    "token extra keys": lambda r: r["tokens"][1].update(ws=True, pos="VB"),
    "token not an object": lambda r: r["tokens"].append(3),
    "spans unsorted": lambda r: r.update(spans=r["spans"][::-1]),
    "spans overlap": lambda r: r["spans"].append({"start": 0, "end": 7, "label": "X"}),
    "span same start": lambda r: r["spans"].append({"start": 0, "end": 7, "label": "X"}),
    "span off tokens": lambda r: r["spans"][0].update(end=2, token_end=None),
    "span past text": lambda r: r["spans"][2].update(end=40),
    "span empty": lambda r: r["spans"][2].update(end=15),
    "span negative": lambda r: r["spans"][0].update(start=-2),
    "span label space": lambda r: r["spans"][0].update(label="P ER"),
    "span label empty": lambda r: r["spans"][0].update(label=""),
    "span label int": lambda r: r["spans"][0].update(label=5),
    "span label list": lambda r: r["spans"][0].update(label=["PER"]),
    "span token_start wrong": lambda r: r["spans"][1].update(token_start=1),
    "span token_end wrong": lambda r: r["spans"][1].update(token_end=3),
    "span token_start past": lambda r: r["spans"][1].update(token_start=99),
    "span token_start negative": lambda r: r["spans"][2].update(token_start=-2),
    "span token_start null": lambda r: r["spans"][1].update(token_start=None),
    "span token_start bool": lambda r: r["spans"][0].update(token_start=False),
    "span token_start float": lambda r: r["spans"][1].update(token_start=2.0),
    "span token indices absent": lambda r: [s.pop("token_start") for s in r["spans"]] and None,
    "span start float": lambda r: r["spans"][1].update(start=8.0),
    "span start str": lambda r: r["spans"][1].update(start="8"),
    "span start bool": lambda r: r["spans"][0].update(start=False),
    "span without label": lambda r: r["spans"][0].pop("label") and None,
    "span score": lambda r: r["spans"][0].update(score=0.25),
    "span score int": lambda r: r["spans"][0].update(score=1),
    "span score str": lambda r: r["spans"][0].update(score="high"),
    "span meta": lambda r: r["spans"][0].update(meta={"LED": 0.1}),
    "span meta empty": lambda r: r["spans"][0].update(meta={}),
    "span meta list": lambda r: r["spans"][0].update(meta=[1]),
    "span score bool": lambda r: r["spans"][0].update(score=True),
    "span score big": lambda r: r["spans"][0].update(score=10 ** 400),
    "span not an object": lambda r: r["spans"].append([0, 3, "PER"]),
    "spans not a list": lambda r: r.update(spans={"start": 0}),
    "spans null": lambda r: r.update(spans=None),
    "spans empty": lambda r: r.update(spans=[]),
    "entities": lambda r: r.pop("spans") and r.update(entities=[[0, 3, "PER"]]),
    "spans and entities": lambda r: r.update(entities=[[8, 11, "X"]]),
    "no spans": lambda r: r.pop("spans") and None,
    "id str": lambda r: r.update(id="doc-1"),
    "id int": lambda r: r.update(id=12),
    "id big int": lambda r: r.update(id=2 ** 70),
    "id null": lambda r: r.update(id=None),
    "meta": lambda r: r.update(meta={"doc": "a", "columns": [["NN", "I-NP"]], "n": 3}),
    "meta big int": lambda r: r.update(meta={"hash": 2 ** 64 + 1, "neg": -(2 ** 63) - 1}),
    "meta falsy": lambda r: r.update(meta=0),
    "meta list": lambda r: r.update(meta=[1]),
    "meta null": lambda r: r.update(meta=None),
    "label": lambda r: r.update(label="POS"),
    "label list": lambda r: r.update(label=["a", "b"]),
    "label int": lambda r: r.update(label=3),
    "probs": lambda r: r.update(label="POS", probs={"POS": 0.75, "NEG": 0.25}),
    "probs bad": lambda r: r.update(probs={"POS": "x"}),
    "cats": lambda r: r.update(cats={"POS": 1.0, "NEG": 0.0}),
    "missing": lambda r: r.update(missing=[[4, 7]]),
    "missing bad": lambda r: r.update(missing=[[4]]),
    "extra fields": lambda r: r.update(answer="accept", _input_hash=-12, score=0.5),
    "extra big int": lambda r: r.update(_task_hash=18446744073709551616),
    "text int": lambda r: r.update(text=5),
    "no text": lambda r: r.pop("text") and None,
    "not an object": lambda r: [1, 2],
    "string record": lambda r: "hello",
    "non-ASCII": lambda r: {
        "text": "Zoë 🙂 Åsa", "tokens": [{"text": "Zoë", "start": 0, "end": 3},
                                      {"text": "🙂", "start": 4, "end": 5},
                                      {"text": "Åsa", "start": 6, "end": 9}],
        "spans": [{"start": 6, "end": 9, "label": "PER"}]},
    "non-ASCII mismatch": lambda r: {
        "text": "Zoë 🙂 Åsa", "tokens": [{"text": "Zoe", "start": 0, "end": 3}]},
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_each_mutation_reads_the_same_on_both_paths(tmp_path, monkeypatch, name):
    rec = _mut(MUTATIONS[name])
    # among valid records, so that a chunk holds more than the mutated one
    p = _write(tmp_path, "m.jsonl", [BASE, rec, BASE])
    if name == "valid":  # the block path is the one taken
        assert read_jsonl(p)[0]._tokens.__class__ is TokenRange
    _same(monkeypatch, lambda: read_jsonl(p))
    _same(monkeypatch, lambda: list(iter_jsonl(p)))
    _same(monkeypatch, lambda: read_jsonl(p, strict=False))


@pytest.mark.parametrize("line", [
    '{"text": "a", "score": NaN}', '{"text": "a", "x": Infinity}', '{"text": "a", "x": 1e999}',
    '{"text": "\\ud800"}', '{"text": "\\udc00 x"}', '{"text": "\\ud83d\\ude00"}',
    '{"text": "a"', '{"text": "a"} x', "[1, 2", "   ", "\t", "\u00a0", "\u2028",
    '{"text": "a", "n": 123456789012345678901234}', '{"text": "a", "n": -0}',
    '{"text": "a", "n": 1.0}', '{"text": "a", "text": "b"}', '  {"text": "a"}  ',
    '{"text": "a\\u0000b"}', '{"text": "tab\tinside"}',
])
def test_odd_lines_read_the_same_on_both_paths(tmp_path, monkeypatch, line):
    p = _write(tmp_path, "odd.jsonl", [BASE, line, BASE])
    _same(monkeypatch, lambda: read_jsonl(p))


def test_nesting_limit_and_bad_bytes_are_the_line_paths_errors(tmp_path, monkeypatch):
    deep = {"text": "a", "meta": {"x": [[[[[[[1]]]]]]]}}
    p = _write(tmp_path, "deep.jsonl", [BASE, deep])
    with limits(max_json_depth=6):
        kind = _same(monkeypatch, lambda: read_jsonl(p))
    assert kind[0] == "error" and "E034" in kind[2]
    with limits(max_json_depth=9):
        assert _same(monkeypatch, lambda: read_jsonl(p))[0] == "ok"
    # brackets in strings count towards the quick check only: exact check agrees
    many = {"text": "[" * 40, "tokens": [{"text": "[", "start": i, "end": i + 1}
                                          for i in range(40)]}
    p = _write(tmp_path, "br.jsonl", [many])
    with limits(max_json_depth=10):
        assert _same(monkeypatch, lambda: read_jsonl(p))[0] == "ok"
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(json.dumps(BASE).encode() + b"\n" + b'{"text": "caf\xe9"}\n'
                    + json.dumps(BASE).encode() + b"\n")
    kind = _same(monkeypatch, lambda: read_jsonl(bad))
    assert kind[0] == "error" and "E030" in kind[2] and "bad.jsonl:2" in kind[2]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends_blank_lines_and_bom(tmp_path, monkeypatch, newline):
    p = _write(tmp_path, "nl.jsonl", [BASE, "", "  ", BASE, ""], newline=newline)
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    kind, value = _same(monkeypatch, lambda: read_jsonl(p))
    assert kind == "ok" and [ex.id for ex in value] == ["nl.jsonl:1", "nl.jsonl:4"]
    kind, value = _same(monkeypatch, lambda: read_jsonl(p, encoding="utf-8-sig"))
    assert kind == "ok" and len(value) == 2


def test_other_keys_and_encodings(tmp_path, monkeypatch):
    rec = {"text": "Ada met Bob", "tokens": BASE["tokens"][:3],
           "gold_spans": [{"start": 8, "end": 11, "label": "PER"}],
           "spans": [{"start": 0, "end": 3, "label": "PER", "score": 0.5}],
           "gold_label": "x", "label": "y"}
    p = _write(tmp_path, "k.jsonl", [rec, rec])
    for kw in ({}, {"spans_key": "gold_spans"}, {"label_key": "gold_label"},
               {"spans_key": "gold_spans", "label_key": "gold_label"}):
        kind, value = _same(monkeypatch, lambda: read_jsonl(p, **kw))
        assert kind == "ok"
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes(json.dumps({"text": "café"}, ensure_ascii=False).encode("latin-1") + b"\n")
    assert _same(monkeypatch, lambda: read_jsonl(latin, encoding="latin-1"))[0] == "ok"
    u16 = tmp_path / "u16.jsonl"
    u16.write_bytes(json.dumps(BASE).encode("utf-16"))
    assert _same(monkeypatch, lambda: read_jsonl(u16, encoding="utf-16"))[0] == "ok"


def _random_record(rng: random.Random) -> object:
    words = [rng.choice(["Ada", "met", "Bob", "in", "Zoë", "🙂", "[", "]", '"', "\\", "x" * 7,
                         "New", "York", "\u00e9t\u00e9"]) for _ in range(rng.randint(0, 9))]
    text, tokens = "", []
    for i, w in enumerate(words):
        gap = " " * rng.choice([1, 1, 1, 2, 0 if i == 0 else 1])
        if i:
            text += gap
        start = len(text)
        text += w
        tokens.append({"text": w, "start": start, "end": len(text), "id": i})
    spans, i = [], 0
    while i < len(tokens):
        if rng.random() < 0.3:
            j = min(len(tokens), i + rng.randint(1, 3))
            spans.append({"start": tokens[i]["start"], "end": tokens[j - 1]["end"],
                          "label": rng.choice(["PER", "LOC", "ORG"]),
                          "token_start": i, "token_end": j - 1})
            i = j
        i += 1
    rec: dict = {"text": text, "tokens": tokens, "spans": spans}
    if rng.random() < 0.3:
        rec["id"] = f"r{rng.randint(0, 99)}"
    if rng.random() < 0.3:
        rec["meta"] = {"k": rng.randint(0, 5)}
    if rng.random() < 0.3:
        rec.pop("tokens")
    if rng.random() < 0.1:
        rng.shuffle(rec.get("spans", []))
    if rng.random() < 0.15:  # one random fault
        fault = rng.choice(sorted(MUTATIONS))
        rec = MUTATIONS[fault](rec) or rec if fault != "valid" else rec
    return rec


def test_random_records_read_the_same_on_both_paths(tmp_path, monkeypatch):
    rng = random.Random(5)
    for round_ in range(60):
        recs = []
        for _ in range(rng.randint(1, 40)):
            try:
                recs.append(_random_record(rng))
            except (IndexError, KeyError, AttributeError, TypeError):
                recs.append(copy.deepcopy(BASE))  # a fault that does not apply to this record
        p = _write(tmp_path, f"r{round_}.jsonl", recs)
        _same(monkeypatch, lambda: read_jsonl(p))


def test_blocks_split_a_large_file_and_keep_offsets_as_arrays(tmp_path, monkeypatch):
    from nlperr.io import _text

    monkeypatch.setattr(_text, "CHUNK_BYTES", 700)  # many chunks of a few lines
    p = _write(tmp_path, "many.jsonl", [BASE] * 50 + [{"text": "a", "score": float("nan")}]
               + [BASE] * 20)
    direct = read_jsonl(p)
    # read by the block path (the nan line's chunk line by line)
    kinds = [ex._tokens.__class__ for ex in direct if ex.text != "a"]
    assert TokenRange in kinds and tuple in kinds
    kind, value = _same(monkeypatch, lambda: read_jsonl(p))
    assert kind == "ok" and len(value) == 71 and value == direct
    assert value[0] == pickle.loads(pickle.dumps(value[0]))
    assert [ex.id for ex in value[:2]] == ["many.jsonl:1", "many.jsonl:2"]
    stream = JsonlStream(p)
    assert list(stream) == value


def test_real_corpora_read_the_same_on_both_paths(tmp_path, monkeypatch):
    gold = read_conll(DATA / "mini_iob1.conll", scheme="IOB1")
    sources = [gold]
    wnut = SHARED / "wnut17" / "emerging.test.annotated"
    if wnut.exists():
        sources.append(read_conll(wnut))
    for k, exs in enumerate(sources):
        p = tmp_path / f"c{k}.jsonl"
        write_jsonl(exs, p)
        kind, value = _same(monkeypatch, lambda: read_jsonl(p))
        assert kind == "ok" and len(value) == len(exs)
        assert [ex.tokens for ex in value] == [ex.tokens for ex in exs]
        assert [ex.spans for ex in value] == [ex.spans for ex in exs]
        preds = [ex.copy(spans=tuple(s.__class__(s.start, s.end, s.label, 0.5)
                                     for s in ex.spans or ())) for ex in exs]
        q = tmp_path / f"p{k}.jsonl"
        write_jsonl(exs, q, predictions=preds)
        assert _same(monkeypatch, lambda: read_jsonl(q))[0] == "ok"
        assert _same(monkeypatch, lambda: read_jsonl(q, spans_key="gold_spans"))[0] == "ok"


@pytest.mark.parametrize("sub_batch", [1, 3, 128])
def test_a_fault_after_some_sub_batches_reads_on_line_by_line(tmp_path, monkeypatch,
                                                             sub_batch):
    monkeypatch.setattr(jsonl_mod, "SUB_BATCH", sub_batch)
    good = json.dumps(BASE).encode()
    lines = [good] * 10 + [b'{"text": "a", "x": NaN}'] + [good] * 5 + [b""] + [good] * 4
    p = tmp_path / "mid.jsonl"
    p.write_bytes(b"\n".join(lines) + b"\n")
    kind, value = _same(monkeypatch, lambda: read_jsonl(p))
    assert kind == "ok" and len(value) == 20 and value[10].text == "a"
    assert [ex.id for ex in value][9:12] == ["mid.jsonl:10", "mid.jsonl:11", "mid.jsonl:12"]
    assert value[-1].id == "mid.jsonl:21"
    streamed = []
    for bad, code in ((b'{"text": "a"', "E005"), (b'{"text": "caf\xe9"}', "E030"),
                      (b'{"text": 3}', "E012")):
        q = tmp_path / f"bad{code}.jsonl"
        q.write_bytes(b"\n".join([good] * 7 + [bad] + [good] * 3) + b"\n")
        kind = _same(monkeypatch, lambda: read_jsonl(q))
        assert kind[0] == "error" and code in kind[2] and f"bad{code}.jsonl:8" in kind[2]
        got = []
        with pytest.raises(NlperrError, match=code):
            for ex in iter_jsonl(q):
                got.append(ex)
        streamed.append(len(got))
    assert all(n <= 7 for n in streamed)


def test_mutated_bytes_read_the_same_on_both_paths(tmp_path, monkeypatch):
    """Random byte mutations (the robustness fuzzer's) of JSONL written from real data:
    both paths return equal examples or raise the same error."""
    from _fuzz_helpers import mutate

    exs = read_conll(DATA / "mini_iob1.conll", scheme="IOB1")
    seed_file = tmp_path / "seed.jsonl"
    write_jsonl(exs, seed_file)
    seeds = [seed_file.read_bytes(), json.dumps(BASE).encode() * 1 + b"\n"]
    rng = random.Random(11)
    p = tmp_path / "fuzz.jsonl"
    ok = 0
    for k in range(300):
        data, _ = mutate(seeds[k % 2], rng)
        p.write_bytes(data)
        ok += _same(monkeypatch, lambda: read_jsonl(p))[0] == "ok"
    assert ok  # some mutations leave a readable file


_POOL = [0, -1, 1, 2, 3, 8, 11, 21, 2 ** 63, 2 ** 64, -(2 ** 63) - 1, 1.5, 3.0, "x", "",
         "3", None, True, False, [], {}, [1, 2, 3], "PER", "P ER", "Bob", "é", {"a": [1]}]


def test_structural_mutations_read_the_same_on_both_paths(tmp_path, monkeypatch):
    """Any one value of a valid record replaced by another JSON value (or its key
    dropped): both paths agree, on the block path's home ground (valid JSON)."""
    rng = random.Random(5)
    p = tmp_path / "s.jsonl"
    for _ in range(400):
        try:
            rec = _random_record(rng) if rng.random() < 0.5 else copy.deepcopy(BASE)
        except (IndexError, KeyError, AttributeError, TypeError):
            rec = copy.deepcopy(BASE)  # a fault that does not apply to this record
        rec = mutate_values(rec, rng, _POOL, keep_root=False)
        p.write_text(json.dumps(BASE) + "\n" + json.dumps(rec) + "\n", encoding="utf-8")
        _same(monkeypatch, lambda: read_jsonl(p))
