"""The columnar readers give exactly what the per-sentence / per-document paths give
(examples, errors, warnings), on random tags of every scheme and on whole real corpora."""

from __future__ import annotations

import glob
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.errors import NlperrError
from nlperr.io import iter_conll, read_conll, read_hipe
from nlperr.io._conll import _read_per_sentence
from nlperr.io._hipe import _read_columnar, _read_per_document
from nlperr.io._text import read_lines

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PREFIXES = ["B", "I", "E", "S", "L", "U"]


def _outcome(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except NlperrError as e:
            result = ("error", type(e).__name__, str(e))
    return result, sorted(str(w.message) for w in caught)


tag = st.one_of(st.just("O"), st.just("-"),
                st.builds(lambda p, t: f"{p}-{t}", st.sampled_from(PREFIXES),
                          st.sampled_from(["PER", "LOC"])))
sentence = st.lists(st.tuples(st.sampled_from(["a", "b", "C", "dd", ",", "-DOCSTART-"]), tag),
                    min_size=1, max_size=8)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(sents=st.lists(sentence, min_size=1, max_size=6),
       scheme=st.sampled_from([None, "IOB1", "IOB2", "IOE1", "IOE2", "BIOES", "BILOU"]),
       strict=st.booleans(), extra=st.booleans(), crlf=st.booleans(),
       sepc=st.sampled_from([" ", "\t", "  ", " \t"]), blank=st.sampled_from(["", "\t", " "]))
def test_columnar_conll_equals_per_sentence_path(tmp_path, sents, scheme, strict, extra, crlf,
                                                 sepc, blank):
    lines = []
    for s in sents:
        for word, t in s:
            lines.append(sepc.join([word, "X", t] if extra else [word, t]))
        lines.append(blank)
    p = tmp_path / "random.conll"
    p.write_bytes(("\r\n" if crlf else "\n").join(lines).encode())
    fast = _outcome(lambda: read_conll(p, scheme=scheme, strict=strict))
    slow = _outcome(lambda: _read_per_sentence(p, scheme=scheme, strict=strict))
    assert fast == slow
    if not isinstance(fast[0], tuple):
        assert _outcome(lambda: list(iter_conll(p, scheme=scheme, strict=strict))) == fast


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(sents=st.lists(sentence, min_size=1, max_size=12), block=st.integers(1, 9),
       chunk=st.integers(1, 64), crlf=st.booleans(), extra=st.booleans(),
       docstart=st.booleans(), scheme=st.sampled_from([None, "IOB2", "BIOES"]))
def test_streamed_blocks_equal_the_whole_file(tmp_path, monkeypatch, sents, block, chunk,
                                              crlf, extra, docstart, scheme):
    """iter_conll reads in chunks of bytes and parses blocks of lines (the byte parser,
    else the general one): tiny chunks and blocks give read_conll's examples, errors
    and warnings."""
    from nlperr.io import _conll, _text
    monkeypatch.setattr(_conll, "_STREAM_BLOCK_LINES", block)
    monkeypatch.setattr(_text, "CHUNK_BYTES", chunk)
    lines = ["-DOCSTART- -X- O", ""] if docstart else []
    for i, s in enumerate(sents):
        for word, t in s:
            lines.append(" ".join([word, "X", t] if extra else [word, t]))
        lines.append("" if i % 3 else " ")
    p = tmp_path / "train.txt"
    p.write_bytes(("\r\n" if crlf else "\n").join(lines).encode())
    for strict in (True, False):
        for keep in (True, False):
            whole = _outcome(lambda: read_conll(p, scheme=scheme, strict=strict,
                                                keep_columns=keep))
            streamed = _outcome(lambda: list(iter_conll(p, scheme=scheme, strict=strict,
                                                        keep_columns=keep)))
            assert streamed == whole


def test_ragged_and_mixed_width_files_keep_their_errors(tmp_path):
    p = tmp_path / "r.conll"
    p.write_text("a x B-PER\nb I-PER\n\nc O\n", encoding="utf-8")
    assert _outcome(lambda: read_conll(p)) == _outcome(lambda: _read_per_sentence(p))
    assert "E001" in _outcome(lambda: read_conll(p))[0][2]
    p.write_text("a x B-PER\nb y I-PER\n\nc O\n", encoding="utf-8")  # widths differ by sentence
    fast = read_conll(p)
    assert fast == _read_per_sentence(p) and fast[1].meta.get("columns") is None


@pytest.mark.shared_data
def test_columnar_conll_on_whole_wnut17(shared_data):
    for f in ("wnut17train.conll", "emerging.dev.conll", "emerging.test.annotated"):
        path = shared_data / "wnut17" / f
        assert read_conll(path) == _read_per_sentence(path), f
        assert list(iter_conll(path)) == read_conll(path)


@pytest.mark.shared_data
@pytest.mark.parametrize("segment", ["document", "sentence"])
def test_columnar_hipe_on_every_hipe_file(shared_data, segment):
    files = sorted(glob.glob(str(shared_data / "hipe2022" / "*" / "*" / "*.tsv")))
    assert len(files) >= 10
    checked = repaired = 0
    for f in files:
        p = Path(f)
        lines = read_lines(p)
        fast = _read_columnar(p.name, lines, "NE-COARSE-LIT", segment)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            slow = _read_per_document(p, column="NE-COARSE-LIT", strict=False, segment=segment,
                                      lines=enumerate(lines, 1))
        if fast is None:  # invalid tags: strict, the per-document path names the line
            assert _outcome(lambda: read_hipe(p, segment=segment)) == \
                _outcome(lambda: _read_per_document(p, column="NE-COARSE-LIT", strict=True,
                                                    segment=segment,
                                                    lines=enumerate(lines, 1)))
            # lenient: the columnar path repairs them, with the same examples and warnings
            lenient = _outcome(lambda: _read_columnar(p.name, lines, "NE-COARSE-LIT", segment,
                                                      strict=False))
            assert lenient[0] is not None and lenient[1]
            assert lenient == _outcome(lambda: _read_per_document(
                p, column="NE-COARSE-LIT", strict=False, segment=segment,
                lines=enumerate(lines, 1))), p.name
            repaired += 1
            continue
        assert fast == slow, p.name
        assert read_hipe(p, segment=segment) == slow, p.name  # from the file's bytes
        checked += 1
    assert checked >= 10 and repaired >= 1


def test_latin1_conll_names_the_line_and_suggests_the_encoding(tmp_path):
    p = tmp_path / "esp.testb"
    p.write_bytes("La B-LOC\nCafé I-LOC\n\nEl O\n".encode("latin-1"))
    with pytest.raises(NlperrError, match=r"E030.*esp\.testb:2.*byte 12 \(column 4\).*e9.*--encoding "
                                          r"(cp1252|latin-1)"):
        read_conll(p)
    ex = read_conll(p, encoding="latin-1")
    assert ex[0].text == "La Café" and ex[0].spans[0].label == "LOC"
    with pytest.warns(UserWarning, match="W030.*1 byte"):
        assert "\ufffd" in read_conll(p, encoding_errors="replace")[0].text


def test_bom_crlf_and_lone_cr_are_accepted(tmp_path):
    p = tmp_path / "bom.conll"
    p.write_bytes(b"\xef\xbb\xbfAnn B-PER\r\nsmiled O\r\n\r\nBye O\r")
    ex = read_conll(p)
    assert [e.text for e in ex] == ["Ann smiled", "Bye"]
    assert ex[0].spans[0].label == "PER"
    assert list(iter_conll(p)) == ex


def test_cli_latin1_exits_2_naming_the_line_then_reads_with_encoding(tmp_path, capsys):
    import json

    from nlperr.cli import main

    p = tmp_path / "esp.testa"  # gold and predicted tags, as nlperr predict writes them
    p.write_bytes("La B-LOC B-LOC\nCafé I-LOC I-LOC\n\nEl O O\n".encode("latin-1"))
    out = tmp_path / "out"
    assert main(["analyze", "ner", "--gold", str(p), "--out", str(out), "--n-boot", "0"]) == 2
    err = capsys.readouterr().err
    assert "esp.testa:2" in err and "--encoding cp1252" in err and "Traceback" not in err
    assert main(["analyze", "ner", "--gold", str(p), "--out", str(out), "--n-boot", "0",
                 "--encoding", "latin-1", "--no-parquet"]) == 0
    rows = (out / "entity_errors.csv").read_text(encoding="utf-8")
    assert "La Café" in rows
    assert json.loads((out / "summary.json").read_text())["overall"]["f1"] == 1.0


# --- the byte parser of regular files (nlperr.io._regular) ----------------------------------

_WORDS = ["a", "Bb", ",", "-DOCSTART-", "-DOCSTART-x", "é", "日本", "🙂", "a\u00a0b", "x\x0by",
          "q\x1cr", "e\u0301", "ÄÖü", "\u2003", "long-field-word", "tab\tword", "sp ace", ""]
_TAGS = ["O", "B-PER", "I-PER", "E-LOC", "S-LOC", "B-creative-work", "I-creative-work", "-",
         "B-x\x00y", "bad", "I-é"]


def _parsed_by_bytes(monkeypatch) -> list[bool]:
    from nlperr.io import _conll
    hits: list[bool] = []
    # the function itself, not a spy left by an earlier hypothesis example (the
    # function-scoped monkeypatch undoes its changes only after the whole test)
    real = getattr(_conll._parse_fast, "spied", _conll._parse_fast)

    def spy(*a, **k):
        r = real(*a, **k)
        hits.append(r is not None)
        return r
    spy.spied = real  # type: ignore[attr-defined]
    monkeypatch.setattr(_conll, "_parse_fast", spy)
    return hits


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(sents=st.lists(st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_TAGS),
                                         st.sampled_from(["NN", "é", "X Y"])),
                               min_size=1, max_size=6), min_size=1, max_size=5),
       sepc=st.sampled_from([" ", "\t"]), ncols=st.sampled_from([1, 2, 3]),
       blank=st.sampled_from(["", "\t", " ", "\u00a0", "\t\t"]),
       docstart=st.sampled_from([None, "-DOCSTART- -X- O", "-DOCSTART-\tO", "-DOCSTART-"]),
       ending=st.sampled_from(["\n", "", "\n\n", "\r\n"]), bom=st.booleans(),
       tag_column=st.sampled_from([-1, 1, None, 0]), keep=st.booleans(),
       sep=st.sampled_from([None, " ", "\t"]))
def test_byte_parser_equals_per_sentence_path(tmp_path, monkeypatch, sents, sepc, ncols, blank,
                                              docstart, ending, bom, tag_column, keep, sep):
    hits = _parsed_by_bytes(monkeypatch)
    lines = [] if docstart is None else [docstart, ""]
    for s in sents:
        for word, t, pos in s:
            fields = [word, pos, t][-ncols:] if ncols < 3 else [word, pos, t]
            lines.append(sepc.join(fields if ncols > 1 else [word]))
        lines.append(blank)
    text = ending.join(lines) if ending != "\r\n" else "\r\n".join(lines) + "\r\n"
    p = tmp_path / "eng.testb"
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    opts = dict(tag_column=tag_column, sep=sep)
    fast = _outcome(lambda: read_conll(p, strict=False, keep_columns=keep, **opts))
    slow = _outcome(lambda: _read_per_sentence(p, strict=False, **opts))
    if not keep and not isinstance(slow[0], tuple):
        for ex in slow[0]:
            ex.meta.pop("columns", None)
    assert fast == slow
    if hits and hits[-1] and not isinstance(fast[0], tuple):  # taken: tokens equal, built late
        assert [e.tokens for e in fast[0]] == [e.tokens for e in slow[0]]


def test_byte_parser_takes_regular_files_and_shares_column_strings(tmp_path, monkeypatch):
    hits = _parsed_by_bytes(monkeypatch)
    p = tmp_path / "train.txt"
    p.write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n"
                 "Peter NNP B-NP B-PER\nBlackburn NNP I-NP I-PER\n", encoding="utf-8")
    exs = read_conll(p)
    assert hits == [True]
    assert exs == _read_per_sentence(p)
    assert exs[1].meta["columns"][0][0] is exs[1].meta["columns"][1][0]  # one "NNP" object
    assert [t.text for t in exs[1].tokens] == ["Peter", "Blackburn"]
    assert exs[1].n_tokens == 2


def test_examples_read_by_bytes_pickle_only_their_own_tokens(tmp_path):
    import pickle
    p = tmp_path / "a.conll"
    p.write_text("".join(f"w{i} O\n\n" for i in range(2000)), encoding="utf-8")
    exs = read_conll(p)
    one = pickle.dumps(exs[5])
    assert len(one) < 2000  # not the whole file's offsets
    back = pickle.loads(one)
    assert back == exs[5] and back.tokens == exs[5].tokens
    assert exs[5].copy(spans=()).tokens == exs[5].tokens


def test_copy_with_a_new_text_keeps_the_tokens_of_the_old_one(tmp_path):
    p = tmp_path / "a.conll"
    p.write_text("Ann B-PER\nsmiled O\n", encoding="utf-8")
    ex = read_conll(p)[0]
    ref = _read_per_sentence(p)[0]
    assert ex.copy(text="ANN SMILED").tokens == ref.copy(text="ANN SMILED").tokens
    assert ex.copy(spans=()).tokens == ref.tokens


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.lists(st.tuples(st.sampled_from(["Paris", "de", "Rome", ".", "x"]),
                                        st.sampled_from(["O", "B-loc", "I-loc", "I-pers",
                                                         "B-pers", "_"]),
                                        st.sampled_from(["_", "NoSpaceAfter", "EndOfSentence",
                                                         "LED0.25"])),
                              min_size=1, max_size=9), min_size=1, max_size=4),
       segment=st.sampled_from(["document", "sentence"]))
def test_lenient_columnar_hipe_equals_per_document(tmp_path, docs, segment):
    rows = ["TOKEN\tNE-COARSE-LIT\tMISC"]
    for d, toks in enumerate(docs):
        rows.append(f"# hipe2022:document_id = d{d}")
        rows.extend(f"{w}\t{t}\t{m}" for w, t, m in toks)
        rows.append("")
    p = tmp_path / "lenient.tsv"
    p.write_text("\n".join(rows) + "\n", encoding="utf-8")
    lines = read_lines(p)
    fast = _outcome(lambda: read_hipe(p, strict=False, segment=segment))
    slow = _outcome(lambda: _read_per_document(p, column="NE-COARSE-LIT", strict=False,
                                               segment=segment, lines=enumerate(lines, 1)))
    assert fast == slow


def test_other_whitespace_is_what_str_split_splits_on():
    import numpy as np
    from nlperr.io._regular import OTHER_WHITESPACE, _has_unicode_space
    every = {c for c in map(chr, range(0x110000)) if c.isspace()}
    assert set(OTHER_WHITESPACE) == every - {" ", "\n"}
    for c in OTHER_WHITESPACE:
        if c >= "\x80":  # the byte parser finds each one in UTF-8
            assert _has_unicode_space(np.frombuffer(f"aé{c}b\n".encode(), dtype=np.uint8))
    assert not _has_unicode_space(np.frombuffer("é日本🙂\u2010¡\n".encode(), dtype=np.uint8))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from([b"a b", b"", b"  ", b"\t", b"x\r", b"\xc3\xa9 O",
                                       b"-DOCSTART-"]), max_size=30),
       end=st.sampled_from([b"", b"\n"]), chunk=st.integers(1, 20))
def test_blank_line_scan_for_ray_ranges(tmp_path, parts, end, chunk):
    """The scan that cuts two files at the same lines for Ray workers: every blank line
    (ASCII whitespace only) with the byte after it, read in chunks of any size; None for
    a lone CR line end."""
    from nlperr.io._conll import _blank_lines
    data = b"\n".join(parts) + end
    p = tmp_path / "f.conll"
    p.write_bytes(data)
    got = _blank_lines(p, chunk_bytes=chunk)
    lone = any(c == 13 and (k + 1 >= len(data) or data[k + 1] != 10) for k, c in enumerate(data))
    if lone:
        assert got is None
        return
    lines = data.split(b"\n") if data else []
    if data.endswith(b"\n"):
        lines.pop()
    nums, ends, pos = [], [], 0
    for i, ln in enumerate(lines, 1):
        if not ln.strip(b" \t\r\x0b\x0c"):
            nums.append(i)
            ends.append(min(pos + len(ln) + 1, len(data)))
        pos += len(ln) + 1
    assert (got[0].tolist(), got[1].tolist(), got[2]) == (nums, ends, len(data))


_HIPE_WORDS = ["Paris", "de", "Zürich", "„", "—", "#", "###", "日本", "x y", "\u2003", ".", "é"]
_HIPE_MISC = ["_", "NoSpaceAfter", "EndOfSentence", "LED0.25", "NoSpaceAfter|EndOfLine",
              "EndOfSentence|LED1.5", "LEDx", "", "Partial-0:3|NoSpaceAfter"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.tuples(
           st.lists(st.sampled_from(["# hipe2022:document_id = d", "# hipe2022:language = fr",
                                     "# free comment", "#ajmc:page = 3"]), max_size=3),
           st.lists(st.tuples(st.sampled_from(_HIPE_WORDS),
                              st.sampled_from(["O", "B-loc", "I-loc", "I-pers", "B-pers", "_",
                                               "B-loc.add", "E-x", "bad"]),
                              st.sampled_from(["_", "O", "Q90", "NIL", "Q1234567890"]),
                              st.sampled_from(_HIPE_MISC)), min_size=1, max_size=9),
           st.sampled_from(["", " ", "\t", "\u3000"])), min_size=1, max_size=4),
       layout=st.sampled_from(["full", "short", "misc-first", "no-misc"]),
       segment=st.sampled_from(["document", "sentence"]), crlf=st.booleans(),
       bom=st.booleans(), ragged=st.booleans())
def test_hipe_byte_parser_equals_per_document(tmp_path, docs, layout, segment, crlf, bom,
                                              ragged):
    """read_hipe parses UTF-8 files from their bytes: on random files (comments,
    whitespace-only lines, multi-byte and '#' tokens, every MISC flag, any column order,
    CRLF, a byte-order mark, ragged lines, invalid tags) it gives the per-document
    path's examples, errors and warnings, strict and lenient."""
    heads = {"full": ["TOKEN", "NE-COARSE-LIT", "NE-COARSE-METO", "NEL-LIT", "MISC"],
             "short": ["TOKEN", "NE-COARSE-LIT", "MISC"],
             "misc-first": ["TOKEN", "MISC", "NE-COARSE-LIT", "NEL-LIT"],
             "no-misc": ["TOKEN", "NEL-LIT", "NE-COARSE-LIT"]}
    header = heads[layout]
    rows = ["\t".join(header)]
    for d, (comments, toks, sep) in enumerate(docs):
        rows.extend(comments)
        for i, (w, t, link, m) in enumerate(toks):
            value = {"TOKEN": w, "NE-COARSE-LIT": t, "NE-COARSE-METO": "_", "NEL-LIT": link,
                     "MISC": m}
            fields = [value[h] for h in header]
            if ragged and d == len(docs) - 1 and i == len(toks) - 1:
                fields.append("extra")
            rows.append("\t".join(fields))
        rows.append(sep)
    p = tmp_path / "random.tsv"
    text = ("\r\n" if crlf else "\n").join(rows)
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    lines = read_lines(p)
    for strict in (True, False):
        fast = _outcome(lambda: read_hipe(p, strict=strict, segment=segment))
        slow = _outcome(lambda: _read_per_document(p, column="NE-COARSE-LIT", strict=strict,
                                                   segment=segment, lines=enumerate(lines, 1)))
        assert fast == slow
        # the same file in another encoding takes the decoded lines to the same parser
        if not bom:
            (tmp_path / "u16").mkdir(exist_ok=True)
            q = tmp_path / "u16" / "random.tsv"
            q.write_bytes(text.encode("utf-16"))
            assert _outcome(lambda: read_hipe(q, strict=strict, segment=segment,
                                              encoding="utf-16"))[0] == fast[0] or \
                isinstance(fast[0], tuple)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(docs=st.lists(st.tuples(
           st.lists(st.sampled_from(["# hipe2022:document_id = d", "# free comment"]),
                    max_size=2),
           st.lists(st.tuples(st.sampled_from(["Paris", "#", "é", "x"]),
                              st.sampled_from(["O", "B-loc", "I-loc", "_", "I-pers", "bad"]),
                              st.sampled_from(["_", "NoSpaceAfter", "EndOfSentence", "LED0.5"])),
                    min_size=1, max_size=6),
           st.sampled_from(["", " "])), min_size=1, max_size=6),
       lead=st.sampled_from(["", "\n", "\n \n"]), chunk=st.integers(1, 80),
       segment=st.sampled_from(["document", "sentence"]), crlf=st.booleans(),
       header=st.sampled_from(["TOKEN\tNE-COARSE-LIT\tMISC", "WORD\tNE-COARSE-LIT\tMISC",
                               "TOKEN\tNE-FINE-LIT\tMISC"]))
def test_iter_hipe_equals_read_hipe(tmp_path, monkeypatch, docs, lead, chunk, segment, crlf,
                                    header):
    """iter_hipe reads blocks of lines (any size, down to one line) cut after whole
    documents: read_hipe's examples, ids, document indices, warnings and errors."""
    from nlperr.io import _text
    from nlperr.io import iter_hipe
    monkeypatch.setattr(_text, "CHUNK_BYTES", chunk)
    rows = [header]
    for comments, toks, sep in docs:
        rows.extend(comments)
        rows.extend(f"{w}\t{t}\t{m}" for w, t, m in toks)
        rows.append(sep)
    p = tmp_path / "stream.tsv"
    p.write_bytes((lead + ("\r\n" if crlf else "\n").join(rows)).encode("utf-8"))
    for strict in (True, False):
        whole = _outcome(lambda: read_hipe(p, strict=strict, segment=segment))
        streamed = _outcome(lambda: list(iter_hipe(p, strict=strict, segment=segment)))
        assert streamed == whole


@pytest.mark.shared_data
def test_iter_hipe_on_whole_hipe_files(shared_data, monkeypatch):
    from nlperr.io import _text
    from nlperr.io import iter_hipe
    monkeypatch.setattr(_text, "CHUNK_BYTES", 1 << 16)  # many blocks per file
    files = sorted(glob.glob(str(shared_data / "hipe2022" / "*" / "*" / "*.tsv")))[::4]
    for f in files:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert list(iter_hipe(f, strict=False, segment="sentence")) == \
                read_hipe(f, strict=False, segment="sentence"), f


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                    HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from([b"a B-PER", b"b I-PER", b"c O", b"", b"\t", b" ",
                                       b"\xc3\xa9 O", b"-DOCSTART- O", b"odd"]),
                      min_size=1, max_size=25),
       odd=st.sampled_from([b"d O", b"d O\r", b"\xff O", b"x" * 40 + b" O"]),
       chunk=st.integers(1, 50), block=st.integers(1, 6), crlf=st.booleans(),
       scheme=st.sampled_from([None, "IOB2"]))
def test_streamed_byte_blocks_equal_the_whole_file(tmp_path, monkeypatch, parts, odd, chunk,
                                                   block, crlf, scheme):
    """iter_conll parses checked UTF-8 chunks as bytes and the other chunks (a lone CR,
    invalid bytes, an over-long line: one kind per file) line by line: read_conll's
    examples, warnings and errors (naming the same line) whatever the chunk size."""
    parts = [odd if x == b"odd" else x for x in parts]
    from nlperr.io import _conll, _text
    from nlperr.limits import limits
    monkeypatch.setattr(_conll, "_STREAM_BLOCK_LINES", block)
    monkeypatch.setattr(_text, "CHUNK_BYTES", chunk)
    p = tmp_path / "mixed.conll"
    p.write_bytes((b"\r\n" if crlf else b"\n").join(parts) + b"\n")
    with limits(max_line_bytes=30):
        whole = _outcome(lambda: read_conll(p, scheme=scheme, strict=False))
        streamed = _outcome(lambda: list(iter_conll(p, scheme=scheme, strict=False)))
    assert streamed == whole


@pytest.mark.parametrize("chunk", [1, 7, 1 << 20])
def test_iter_hipe_lines_and_bytes_mixed(tmp_path, monkeypatch, chunk):
    """Chunks read as bytes and chunks read as lines (a lone CR line end; another
    encoding) in one file: read_hipe's examples."""
    from nlperr.io import _text
    from nlperr.io import iter_hipe
    monkeypatch.setattr(_text, "CHUNK_BYTES", chunk)
    rows = ["TOKEN\tNE-COARSE-LIT\tMISC"]
    for d in range(6):
        rows += [f"# hipe2022:document_id = d{d}", "Zürich\tB-loc\tNoSpaceAfter", ".\tO\t_", ""]
    text = "\n".join(rows) + "\n"
    p = tmp_path / "cr.tsv"
    p.write_bytes(text.replace("d3\n", "d3\r").encode("utf-8"))  # one lone CR
    assert list(iter_hipe(p, segment="sentence")) == read_hipe(p, segment="sentence")
    q = tmp_path / "latin.tsv"
    q.write_bytes(text.encode("latin-1"))
    assert list(iter_hipe(q, encoding="latin-1")) == read_hipe(q, encoding="latin-1")
