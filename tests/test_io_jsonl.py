"""JSONL (spaCy / Prodigy style) reading and writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlperr.data import Example, Span
from nlperr.errors import RepairWarning, SpanError
from nlperr.io import iter_jsonl, load, read_conll, read_jsonl, save, write_jsonl

DATA = Path(__file__).resolve().parent / "data"


def _lines(tmp_path: Path, name: str, *records) -> Path:
    p = tmp_path / name
    p.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records),
                 encoding="utf-8")
    return p


def test_prodigy_tokens_spans_and_extra_fields(tmp_path):
    rec = {"text": "Ada met Bob", "_input_hash": 12, "answer": "accept",
           "tokens": [{"text": "Ada", "start": 0, "end": 3, "id": 0},
                      {"text": "met", "start": 4, "end": 7, "id": 1},
                      {"text": "Bob", "start": 8, "end": 11, "id": 2}],
           "spans": [{"start": 8, "end": 11, "label": "PER", "token_start": 2,
                      "token_end": 2, "score": 0.9}]}
    ex = read_jsonl(_lines(tmp_path, "p.jsonl", rec))[0]
    assert ex.id == "p.jsonl:1"
    assert [t.text for t in ex.tokens] == ["Ada", "met", "Bob"]
    assert ex.spans == (Span(8, 11, "PER", 0.9),)
    assert ex.meta["jsonl_fields"] == {"_input_hash": 12, "answer": "accept"}
    out = tmp_path / "o.jsonl"
    write_jsonl([ex], out)
    back = json.loads(out.read_text(encoding="utf-8"))
    assert back["answer"] == "accept" and back["spans"][0]["token_end"] == 2
    assert read_jsonl(out)[0] == ex.copy(id="p.jsonl:1")


def test_string_tokens_entities_and_cats(tmp_path):
    p = _lines(tmp_path, "s.jsonl",
               {"text": "New York  is big", "tokens": ["New", "York", "is", "big"],
                "entities": [[0, 8, "LOC"]], "cats": {"geo": 1.0, "food": 0.0}, "id": "x1"},
               "",
               {"text": "soup", "cats": {"geo": 0.2, "food": 0.8}})
    a, b = read_jsonl(p)
    assert [(t.start, t.end) for t in a.tokens] == [(0, 3), (4, 8), (10, 12), (13, 16)]
    assert a.spans == (Span(0, 8, "LOC"),) and a.label == "geo" and a.probs is None
    assert a.id == "x1"
    assert b.label == "food" and b.probs == {"geo": 0.2, "food": 0.8}
    assert b.id == "s.jsonl:3"


def test_round_trip(tmp_path):
    exs = [
        Example.from_tokens(["Anna", "visited", "Oslo"], ["B-PER", "O", "B-LOC"], id="a",
                            meta={"source": "demo"}),
        Example("I loved it", label="pos", probs={"pos": 0.7, "neg": 0.3}, id="b"),
        Example("multi", label=("x", "y"), id="c"),
        Example("Ann x", spans=(Span(0, 3, "PER", score=0.5, meta={"LED": 0.1}),),
                missing=((4, 5),), id="d"),
        Example("unannotated", id="e"),
    ]
    out = tmp_path / "rt.jsonl"
    save(exs, out)
    assert load(out) == exs
    assert list(iter_jsonl(out)) == exs


def test_conll_to_jsonl_round_trip(tmp_path):
    exs = read_conll(DATA / "mini_iob1.conll")
    out = tmp_path / "c.jsonl"
    write_jsonl(exs, out)
    back = read_jsonl(out)
    assert [e.spans for e in back] == [e.spans for e in exs]
    assert [e.tokens for e in back] == [e.tokens for e in exs]
    assert [e.id for e in back] == [e.id for e in exs]


def test_predictions_contract(tmp_path):
    gold = [Example("Hi Bob", spans=(Span(3, 6, "PER"),), id="1"),
            Example("great", label="pos", id="2")]
    pred = [Example("Hi Bob", spans=(Span(3, 6, "ORG", score=0.8),), id="1"),
            Example("great", label="neg", probs={"neg": 0.6, "pos": 0.4}, id="2")]
    out = tmp_path / "pred.jsonl"
    write_jsonl(gold, out, predictions=pred)
    r1, r2 = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert r1["spans"] == [{"start": 3, "end": 6, "label": "ORG", "score": 0.8}]
    assert r1["gold_spans"] == [{"start": 3, "end": 6, "label": "PER"}]
    assert r2["label"] == "neg" and r2["probs"] == {"neg": 0.6, "pos": 0.4}
    assert r2["gold_label"] == "pos"
    # read the prediction side and the gold side back
    assert read_jsonl(out)[0].spans == pred[0].spans
    g = read_jsonl(out, spans_key="gold_spans", label_key="gold_label")
    assert g[0].spans == gold[0].spans and g[1].label == "pos"
    with pytest.raises(Exception, match="E016"):
        write_jsonl(gold, out, predictions=pred[:1])
    with pytest.raises(Exception, match="E017.*text"):
        write_jsonl(gold, out, predictions=[pred[0], Example("other")])


def test_bad_records_name_file_and_line(tmp_path):
    ok = {"text": "Ada"}
    with pytest.raises(SpanError, match=r"E101.*bad\.jsonl:2"):
        read_jsonl(_lines(tmp_path, "bad.jsonl", ok,
                          {"text": "Ada", "spans": [{"start": 0, "end": 9, "label": "PER"}]}))
    with pytest.raises(SpanError, match=r"E102.*bad\.jsonl:3"):
        read_jsonl(_lines(tmp_path, "bad.jsonl", ok, ok,
                          {"text": "Ada Lovelace", "entities": [[0, 12, "PER"], [4, 12, "PER"]]}))
    with pytest.raises(Exception, match=r"E005.*bad\.jsonl:2"):
        read_jsonl(_lines(tmp_path, "bad.jsonl", ok, '{"text": "x",'))
    with pytest.raises(Exception, match=r"E006.*bad\.jsonl:1.*'text'"):
        read_jsonl(_lines(tmp_path, "bad.jsonl", {"txt": "x"}))
    with pytest.raises(SpanError, match=r"E013.*bad\.jsonl:1"):
        read_jsonl(_lines(tmp_path, "bad.jsonl", {"text": "ab", "tokens": ["b", "a"]}))
    # a token whose end lies past the text (its text still equals the clipped slice)
    for toks in ([{"text": "b", "start": 1, "end": 5}],
                 [{"text": "a", "start": 0, "end": 1}, {"text": "b", "start": 1, "end": 5}],
                 [{"text": "a", "start": 0, "end": 1, "id": 0},
                  {"text": "b", "start": 1, "end": 3, "ws": False}]):
        with pytest.raises(SpanError, match=r"E013.*bad\.jsonl:1"):
            read_jsonl(_lines(tmp_path, "bad.jsonl", {"text": "ab", "tokens": toks}))
    with pytest.raises(SpanError, match=r"E015.*bad\.jsonl:1"):
        read_jsonl(_lines(tmp_path, "bad.jsonl", {
            "text": "a b", "tokens": ["a", "b"],
            "spans": [{"start": 2, "end": 3, "label": "X", "token_start": 0}]}))
    with pytest.raises(SpanError, match=r"E103.*bad\.jsonl:1"):
        read_jsonl(_lines(tmp_path, "bad.jsonl", {
            "text": "ab c", "tokens": ["ab", "c"],
            "spans": [{"start": 1, "end": 2, "label": "X"}]}))


def test_lenient_drops_overlap_with_warning(tmp_path):
    p = _lines(tmp_path, "o.jsonl",
               {"text": "Ada Lovelace", "entities": [[0, 12, "PER"], [4, 12, "PER"]]})
    with pytest.warns(RepairWarning, match=r"o\.jsonl:1"):
        ex = read_jsonl(p, strict=False)[0]
    assert ex.spans == (Span(0, 12, "PER"),)


# -- JsonlStream: byte ranges for Ray workers ------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(['{"text": "a b"}', "", "  ", "\t",
                                       '{"text": "\u00e9t\u00e9", "label": "x"}',
                                       '{"text": "c", "spans": []}', "\u3000"]),
                      max_size=30),
       crlf=st.booleans(), end=st.booleans(), every=st.integers(1, 7),
       chunk=st.integers(1, 40))
def test_stream_ranges_read_the_same_examples(tmp_path, parts, crlf, end, every, chunk):
    """The ranges of a JSONL file, each read on its own, give iter_jsonl's examples
    (ids and errors naming the file's lines), *every* example lines a range."""
    from nlperr.errors import NlperrError
    from nlperr.io import JsonlStream
    from nlperr.io._common import example_line_cuts
    from nlperr.io._jsonl import range_examples

    p = tmp_path / "f.jsonl"
    sep = "\r\n" if crlf else "\n"
    p.write_bytes((sep.join(parts) + (sep if end and parts else "")).encode("utf-8"))
    cuts = example_line_cuts(p, every, chunk_bytes=chunk)
    assert cuts is not None
    assert [c[0] for c in cuts[1:]] == [c[1] for c in cuts[:-1]]  # contiguous
    assert (cuts[-1][1] if cuts else 0) == p.stat().st_size
    try:
        whole = list(iter_jsonl(p))
    except NlperrError as e:
        whole = str(e)
    got: list = []
    for a, b, first in cuts:
        try:
            got.extend(range_examples(p, a, b, first, True, "spans", "label", "utf-8"))
        except NlperrError as e:
            got = str(e)
            break
    if isinstance(whole, str):  # E003 (no example) or the U+3000 line (not JSON: E005)
        assert got == whole or (not got and "E003" in whole)
        return
    assert got == whole
    full = [ln for ln in parts if ln.strip(" \t")]
    per = [sum(1 for ln in p.read_bytes()[a:b].decode("utf-8").splitlines()
               if ln.strip(" \t\r")) for a, b, _ in cuts]
    assert all(n == every for n in per[:-1]) and sum(per) == len(full)
    s = JsonlStream(p)
    if len(cuts):
        assert s.ranges(JsonlStream(p), every) == (cuts, cuts)
    assert list(s) == whole and list(s) == whole  # re-iterable


def test_stream_ranges_refused_when_lines_cannot_be_located(tmp_path):
    from nlperr.io import JsonlStream
    p = tmp_path / "cr.jsonl"
    p.write_bytes(b'{"text": "a"}\r{"text": "b"}\n')  # a lone CR line end
    assert JsonlStream(p).ranges(JsonlStream(p), 1) is None
    q = tmp_path / "ok.jsonl"
    q.write_text('{"text": "a"}\n{"text": "b"}\n', encoding="utf-8")
    assert JsonlStream(q).ranges(JsonlStream(q, strict=False), 1) is None  # repairs warn
    assert JsonlStream(q).ranges(JsonlStream(q, encoding_errors="replace"), 1) is None
    r = tmp_path / "three.jsonl"
    r.write_text('{"text": "a"}\n{"text": "b"}\n{"text": "c"}\n', encoding="utf-8")
    assert JsonlStream(q).ranges(JsonlStream(r), 1) is None  # 2 ranges against 3
