"""Every reader this issue owns decodes through nlperr.io._text: encoding=, BOM, CRLF/CR,
E030 naming line and bytes with a suggested encoding, errors replaced only when asked (W030)."""

from __future__ import annotations

import json
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.errors import FormatError, NlperrWarning

WORD = "Café"  # é is 0xe9 in Latin-1: not valid UTF-8


def _suite(text: str) -> str:
    return (f"name: s\ndescription: {text}\ntests:\n  - name: t\n    type: MFT\n"
            f"    cases: [\"{text}\"]\n    expect: {{label: a}}\n")


def _readers():
    """``name -> (write(text) -> file content as str, read(path, **enc) -> text read back)``."""
    from nlperr.adapters.labelmap import LabelMap
    from nlperr.io import read_csv
    from nlperr.ocr.lexicon import Lexicon
    from nlperr.ocr.noise import NoiseModel
    from nlperr.ocr.readers import iter_texts, read_icdar2019, read_line_pairs
    from nlperr.suites import load_cases, load_suite

    def noise_text(t):
        return json.dumps({"format": "nlperr.ocr.noise_model", "version": 1, "name": t,
                           "substitutions": [], "deletions": [], "insertions": []},
                          ensure_ascii=False)

    def cases_text(t):
        return (json.dumps({"nlperr_cases": 1, "suite": "s", "seed": 0, "tests": ["t"]}) + "\n"
                + json.dumps({"test": "t", "id": "0", "original": {"text": t}},
                             ensure_ascii=False) + "\n")

    return {
        "csv": (lambda t: f"text,label\n{t},pos\n", lambda p, **e: read_csv(p, **e)[0].text),
        "suite_yaml": (_suite, lambda p, **e: load_suite(p, **e).description, ".yaml"),
        "suite_json": (lambda t: json.dumps({"name": "s", "description": t, "tests": [
            {"name": "t", "type": "MFT", "cases": [t], "expect": {"label": "a"}}]},
            ensure_ascii=False), lambda p, **e: load_suite(p, **e).description, ".json"),
        "cases": (cases_text, lambda p, **e: load_cases(p, **e).cases[0].original.text),
        "labelmap": (lambda t: json.dumps({"X": t}, ensure_ascii=False),
                     lambda p, **e: LabelMap.from_spec(str(p), **e).mapping["X"], ".json"),
        "noise": (noise_text, lambda p, **e: NoiseModel.from_json(p, **e).name, ".json"),
        "icdar": (lambda t: f"[OCR_toInput] {t}\n[OCR_aligned] {t}\n[ GS_aligned] {t}\n",
                  lambda p, **e: read_icdar2019(p, **e).gold[0]),
        "pairs": (lambda t: f"{t}||@@||{t}\n", lambda p, **e: read_line_pairs(p, **e).gold[0]),
        "texts": (lambda t: f"{t}\n", lambda p, **e: next(iter(iter_texts(p, **e)))[1].strip()),
        "lexicon": (lambda t: f"# words\n{t}\n",
                    lambda p, **e: WORD if "café" in Lexicon.from_file(p, **e) else
                    sorted(Lexicon.from_file(p, **e))[0]),
    }


READERS = sorted(_readers())


def _get(name):
    spec = _readers()[name]
    return spec[0], spec[1], (spec[2] if len(spec) > 2 else ".txt")


@pytest.mark.parametrize("name", READERS)
def test_latin1_strict_replace_and_explicit(tmp_path, name):
    write, read, suffix = _get(name)
    p = tmp_path / f"in{suffix}"
    content = write(WORD)
    p.write_bytes(content.encode("latin-1"))
    line = content[:content.index(WORD)].count("\n") + 1
    with pytest.raises(FormatError, match=rf"E030.*in{suffix}:{line}\b.*bytes e9.*--encoding "
                                          rf"(cp1252|latin-1)"):
        read(p)
    assert read(p, encoding="latin-1") == WORD
    with pytest.warns(NlperrWarning, match=r"W030.*\d+ byte sequence"):
        got = read(p, encoding_errors="replace")
    assert got != WORD and got.lower().startswith("caf")  # U+FFFD (dropped by the lexicon)


@pytest.mark.parametrize("name", READERS)
def test_bom_crlf_and_lone_cr(tmp_path, name):
    write, read, suffix = _get(name)
    content = write(WORD)
    for i, (prefix, newline) in enumerate([(b"\xef\xbb\xbf", "\r\n"), (b"", "\r"),
                                           (b"\xef\xbb\xbf", "\n")]):
        p = tmp_path / f"in{i}{suffix}"
        p.write_bytes(prefix + content.replace("\n", newline).encode("utf-8"))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no repair warning for valid input
            assert read(p) == WORD


def test_utf16_file(tmp_path):
    write, read, suffix = _get("suite_yaml")
    p = tmp_path / "s.yaml"
    p.write_bytes(write(WORD).encode("utf-16"))
    with pytest.raises(FormatError, match="E030"):
        read(p)
    assert read(p, encoding="utf-16") == WORD


def test_sniffers_do_not_hide_bad_bytes(tmp_path):
    """detect_pair_format used errors='replace' silently; now undecodable input is E030."""
    from nlperr.ocr.readers import detect_pair_format

    p = tmp_path / "pairs.txt"
    p.write_bytes("caf\xe9||@@||cafe\n".encode("latin-1"))
    with pytest.raises(FormatError, match=r"E030.*pairs.txt:1"):
        detect_pair_format(p)
    assert detect_pair_format(p, encoding="latin-1") == "pairs"


def test_unknown_encoding_and_errors_value(tmp_path):
    from nlperr.errors import InputError
    from nlperr.io import read_csv

    p = tmp_path / "a.csv"
    p.write_text("text,label\na,b\n", encoding="utf-8")
    with pytest.raises(InputError, match="E031"):
        read_csv(p, encoding="klingon")
    with pytest.raises(InputError, match=r"E207.*strict"):
        read_csv(p, encoding_errors="ignore")


# -- iter_lines reads in chunks: the same lines, errors and warnings as one line at a time --

def _one_line_at_a_time(path, encoding, errors):
    """The line-by-line reader iter_lines was (readline per line): the reference."""
    import codecs

    from nlperr.errors import Errors, InputError
    from nlperr.io._text import _count_fffd, _decode_error, _strip_bom, _warn_replaced
    from nlperr.limits import get_limits
    codec = codecs.lookup(encoding).name
    replaced = number = offset = 0
    limit = get_limits().max_line_bytes
    with open(path, "rb") as fh:
        while True:
            raw = fh.readline(limit + 2)
            if not raw:
                break
            size = len(raw)
            if size > limit and size - raw.endswith(b"\n") - raw.endswith(b"\r\n") > limit:
                raise InputError(Errors.E032.format(where=str(path), line=number + 1,
                                                    limit=limit, how=""))
            bom = 0
            if number == 0:
                stripped = _strip_bom(raw, codec)
                bom, raw = len(raw) - len(stripped), stripped
            try:
                line = raw.decode(codec, "strict")
            except UnicodeDecodeError as err:
                if errors == "strict":  # the byte's offset in the file, BOM included (the
                    # line-by-line reader said 0 for a bad byte right after a BOM)
                    raise _decode_error(path, raw, err, encoding, line_offset=number,
                                        byte_offset=offset + bom) from None
                line = raw.decode(codec, "replace")
                replaced += line.count("\ufffd") - _count_fffd(raw, codec)
            offset += size
            line = line[:-1] if line.endswith("\n") else line
            line = line[:-1] if line.endswith("\r") else line
            for part in line.split("\r"):
                number += 1
                yield number, part
    _warn_replaced(path, replaced)


def _lines_outcome(fn):
    import warnings

    from nlperr.errors import NlperrError
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = []
        try:
            for item in fn():
                got.append(item)
        except NlperrError as e:  # the lines before the error, then the error: its code,
            # place, line, byte and column (the advice after them may differ)
            got.append(("error", str(e).split(" bytes")[0]))
    return got, sorted(str(w.message) for w in caught)


_PIECES = [b"a", b"Caf\xc3\xa9", b"\xe9", b"x" * 9, b" ", b"\t", b"\r", b"\r\n", b"\n",
           b"\n\n", b"\xef\xbb\xbf", b"\xff\xfe", b"-DOCSTART-", b"\xe2\x82"]


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=40), bom=st.booleans(),
       chunk=st.integers(1, 40), limit=st.sampled_from([6, 12, 1000]),
       errors=st.sampled_from(["strict", "replace"]),
       encoding=st.sampled_from(["utf-8", "latin-1"]))
def test_chunked_lines_equal_one_line_at_a_time(tmp_path, pieces, bom, chunk, limit, errors,
                                                encoding):
    from nlperr.io import _text
    from nlperr.limits import limits

    p = tmp_path / "lines.txt"
    p.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"".join(pieces))
    with limits(max_line_bytes=limit):
        want = _lines_outcome(lambda: _one_line_at_a_time(p, encoding, errors))
        got = _lines_outcome(lambda: (
            (first + k, line)
            for first, lines in _text.iter_line_blocks(p, encoding=encoding, errors=errors,
                                                       chunk_bytes=chunk)
            for k, line in enumerate(lines)))
    assert got == want
