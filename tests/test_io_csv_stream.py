"""CsvStream: a CSV file read as a stream, and in byte ranges by Ray workers."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.errors import NlperrError
from nlperr.io import CsvStream, iter_csv
from nlperr.io._tabular import csv_range_examples

GOOD = ["good,pos", '"good, really",pos', '"two\nlines",neg', '"a ""quote""",neg', "",
        "é,pos", 'z,"pos"', '"x\n\ny",pos']
BAD = ["only one field", '"open,neg', 'x"y,"z', "   "]
ROWS = GOOD * 6 + BAD  # mostly readable files, some with an error or an open quote


def _read_ranges(p, every):
    """The examples of the ranges read one by one, as a worker would: a list, an error
    text, or None when a range ends inside a quoted field (the driver reads then)."""
    s = CsvStream(p)
    cuts = s.ranges(CsvStream(p), every)
    if cuts is None:
        return None
    head = s.range_reader()
    got = []
    for a, b, first in cuts[0]:
        try:
            part = csv_range_examples(p, a, b, first, *head)
        except NlperrError as e:
            return str(e)
        if part is None:
            return None
        got.extend(part)
    return got


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.sampled_from(ROWS), max_size=25), crlf=st.booleans(),
       end=st.booleans(), every=st.integers(1, 6))
def test_ranges_read_what_iter_csv_reads(tmp_path, rows, crlf, end, every):
    """Read range by range, a CSV file gives iter_csv's examples, ids and errors --
    or the ranges say they cannot be read apart (a quoted field across a cut)."""
    p = tmp_path / "f.csv"
    nl = "\r\n" if crlf else "\n"
    text = nl.join(["text,label"] + [r.replace("\n", nl) for r in rows])
    p.write_bytes((text + (nl if end else "")).encode("utf-8"))
    try:
        whole = [(ex.text, ex.label, ex.id, ex.meta) for ex in iter_csv(p)]
    except NlperrError as e:
        whole = str(e)
    got = _read_ranges(p, every)
    if got is None:  # the driver reads the file itself: nothing to compare
        return
    if isinstance(got, str):
        assert got == whole
        return
    if not got:
        assert isinstance(whole, str) and "E003" in whole
        return
    assert [(ex.text, ex.label, ex.id, ex.meta) for ex in got] == whole


def test_a_quoted_line_break_across_a_cut_is_refused(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('text,label\na,pos\n"b\nc",neg\nd,pos\n', encoding="utf-8")
    s = CsvStream(p)
    cuts = s.ranges(CsvStream(p), 2)  # cut after "b: inside the quoted field
    assert cuts is not None and len(cuts[0]) == 2
    a, b, first = cuts[0][0]
    assert csv_range_examples(p, a, b, first, *s.range_reader()) is None
    assert [ex.text for ex in s] == ["a", "b\nc", "d"]
    cuts = s.ranges(CsvStream(p), 3)  # cut after c",neg: the field closed in its range
    a, b, first = cuts[0][0]
    assert [(ex.text, ex.id) for ex in csv_range_examples(p, a, b, first, *s.range_reader())] \
        == [("a", "q.csv:2"), ("b\nc", "q.csv:3")]


def test_ranges_refused_without_a_usable_header(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("words,label\na,pos\n", encoding="utf-8")
    assert CsvStream(p).ranges(CsvStream(p), 5) is None  # no text column: iter_csv says E010
    e = tmp_path / "e.csv"
    e.write_text("", encoding="utf-8")
    assert CsvStream(e).ranges(CsvStream(e), 5) is None
    cr = tmp_path / "cr.csv"
    cr.write_bytes(b"text,label\ra,pos\r")
    assert CsvStream(cr).ranges(CsvStream(cr), 5) is None  # lone CR line ends
    assert [ex.text for ex in CsvStream(cr)] == ["a"]
