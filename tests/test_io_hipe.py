"""HIPE-2022 TSV: metadata, MISC flags, LED values, NoSpaceAfter offsets, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlperr.data import Example
from nlperr.errors import FormatError, SchemeError
from nlperr.io import NE_COLUMNS, load, read_hipe, write_hipe

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
AJMC_EN_DEV = SHARED / "hipe2022" / "ajmc" / "en" / "HIPE-2022-v2.1-ajmc-dev-en.tsv"


def _joined(ex: Example, start: int, end: int) -> str:
    """The entity's tokens joined by the NoSpaceAfter flags (independent of offsets)."""
    idx = [i for i, t in enumerate(ex.tokens) if t.start >= start and t.end <= end]
    parts = []
    for k, i in enumerate(idx):
        parts.append(ex.tokens[i].text)
        if k < len(idx) - 1 and "NoSpaceAfter" not in ex.meta["misc"][i]:
            parts.append(" ")
    return "".join(parts)


def test_sample_reads_metadata_flags_and_led():
    exs = read_hipe(DATA / "mini_hipe.tsv")
    assert len(exs) == 2
    a, b = exs
    assert a.meta["document"] == {"document_id": "mini_0001", "language": "en",
                                  "date": "1887-05-02", "dataset": "nlperr-sample",
                                  "nlperr:note": "self-written sample"}
    assert a.text == "Prof. Halvorsen wrote on Bergenfjord. Stadtbibliothek closed."
    assert [(a.span_text(s), s.label, s.meta) for s in a.spans] == [
        ("Prof. Halvorsen", "pers", {"LED": 0.25}), ("Bergenfjord", "loc", {"LED": 0.0}),
        ("Stadtbibliothek", "loc", {"LED": 0.1})]
    assert a.meta["misc"][0] == ["NoSpaceAfter", "LED0.25"]
    assert a.meta["misc"][2] == ["EndOfLine"]
    assert a.meta["misc"][7] == ["Partial-0:5", "LED0.10"]
    assert a.meta["doc_id"] == "mini_0001" and b.meta["doc_index"] == 1
    assert a.id == "mini_hipe.tsv:7"
    assert b.text == "(see vol. 2) ###"
    assert [(b.span_text(s), s.meta) for s in b.spans] == [("vol. 2", {"LED": 0.5})]


def test_fine_column_and_sentences():
    fine = read_hipe(DATA / "mini_hipe.tsv", column="NE-FINE-LIT")
    assert [s.label for s in fine[0].spans] == ["pers.author", "loc", "loc"]
    sents = read_hipe(DATA / "mini_hipe.tsv", segment="sentence")
    assert [s.text for s in sents] == ["Prof. Halvorsen wrote on Bergenfjord.",
                                       "Stadtbibliothek closed.", "(see vol. 2)", "###"]
    assert [s.meta["sentence_index"] for s in sents] == [0, 1, 0, 1]
    assert sents[1].meta["document"]["document_id"] == "mini_0001"
    for col in NE_COLUMNS:
        read_hipe(DATA / "mini_hipe.tsv", column=col)


@pytest.mark.parametrize("segment", ["document", "sentence"])
def test_sample_round_trip_is_byte_identical(tmp_path, segment):
    src = DATA / "mini_hipe.tsv"
    exs = read_hipe(src, segment=segment)
    out = tmp_path / "mini_hipe.tsv"
    write_hipe(exs, out)
    assert out.read_bytes() == src.read_bytes()
    assert read_hipe(out, segment=segment) == exs
    assert load(out) == read_hipe(src)  # .tsv with a TOKEN header -> hipe


def test_write_system_output(tmp_path):
    gold = read_hipe(DATA / "mini_hipe.tsv")
    pred = [g.copy(spans=g.spans[:1]) for g in gold]
    out = tmp_path / "run.tsv"
    write_hipe(gold, out, predictions=pred)
    back = read_hipe(out)
    assert [[s.key for s in e.spans] for e in back] == [[s.key for s in e.spans] for e in pred]
    assert back[0].meta["document"] == gold[0].meta["document"]
    # MISC kept, except the LED flags, which describe gold mentions
    assert back[0].meta["misc"] == [[f for f in flags if not f.startswith("LED")]
                                    for flags in gold[0].meta["misc"]]
    assert any(f.startswith("LED") for flags in gold[0].meta["misc"] for f in flags)
    assert all(s.meta is None or "LED" not in s.meta for e in back for s in e.spans)
    # other NE columns kept from the input ...
    assert [s.label for s in read_hipe(out, column="NE-FINE-LIT")[0].spans] == [
        "pers.author", "loc", "loc"]
    # ... or blanked
    write_hipe(gold, out, predictions=pred, keep_columns=False)
    assert read_hipe(out, column="NE-FINE-LIT")[0].spans is None  # all "_"


def test_write_plain_examples_derives_no_space_after(tmp_path):
    ex = Example.from_tokens(["Dr", ".", "Who", "?"], ["B-pers", "I-pers", "I-pers", "O"],
                             spaces=[False, True, False, False])
    out = tmp_path / "o.tsv"
    write_hipe([ex], out)
    back = read_hipe(out)[0]
    assert back.text == "Dr. Who?"
    assert [s.key for s in back.spans] == [s.key for s in ex.spans]


def test_bad_header_and_ragged_line(tmp_path):
    p = tmp_path / "h.tsv"
    p.write_text("WORD\tNE-COARSE-LIT\nx\tO\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"h\.tsv:1.*TOKEN"):
        read_hipe(p)
    p.write_text("TOKEN\tNE-COARSE-LIT\tMISC\nx\tO\t_\ny\tO\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"E001.*h\.tsv:3"):
        read_hipe(p)
    p.write_text("TOKEN\tNE-COARSE-LIT\tMISC\nx\tO\t_\ny\tI-loc\t_\n", encoding="utf-8")
    with pytest.raises(SchemeError, match=r"h\.tsv:3.*'I-loc'"):
        read_hipe(p)
    p.write_text("TOKEN\tNE-COARSE-LIT\tMISC\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"E003.*h\.tsv"):
        read_hipe(p)


@pytest.mark.shared_data
def test_ajmc_en_dev():
    if not AJMC_EN_DEV.exists():
        pytest.skip("shared data not available")
    exs = read_hipe(AJMC_EN_DEV)
    assert len(exs) == 14
    doc = exs[0].meta["document"]
    assert doc["document_id"] == "cu31924087948174_0054"
    assert doc["language"] == "en" and doc["date"] == "1881-01-01"
    assert doc["ajmc:author"] == "Campbell, Lewis"
    spans = [(ex, s) for ex in exs for s in ex.spans]
    assert len(spans) == 416
    leds = [s.meta["LED"] for _, s in spans if s.meta and "LED" in s.meta]
    assert len(leds) == 416 and sum(v > 0 for v in leds) == 70
    for ex, s in spans:
        assert ex.span_text(s) == _joined(ex, s.start, s.end)
    # offsets index the rebuilt text and NoSpaceAfter glues tokens
    for ex in exs:
        for i, t in enumerate(ex.tokens):
            assert ex.text[t.start:t.end] == t.text
            if i + 1 < len(ex.tokens):
                gap = ex.tokens[i + 1].start - t.end
                assert gap == (0 if "NoSpaceAfter" in ex.meta["misc"][i] else 1)


@pytest.mark.shared_data
def test_ajmc_en_dev_round_trip(tmp_path):
    if not AJMC_EN_DEV.exists():
        pytest.skip("shared data not available")
    exs = read_hipe(AJMC_EN_DEV, segment="sentence")
    out = tmp_path / AJMC_EN_DEV.name
    write_hipe(exs, out)
    assert out.read_bytes() == AJMC_EN_DEV.read_bytes()


def test_column_holding_only_underscores_is_not_annotated(tmp_path):
    exs = read_hipe(DATA / "mini_hipe.tsv", column="NE-COARSE-METO")
    assert [e.spans for e in exs] == [None, None]
    out = tmp_path / "mini_hipe.tsv"
    write_hipe(exs, out, column="NE-COARSE-METO")
    assert out.read_bytes() == (DATA / "mini_hipe.tsv").read_bytes()


def test_write_hipe_streams_iterators(tmp_path):
    """Iterators (iter_hipe, nlperr predict) are written as they come: the bytes of
    writing the lists; a prediction that does not pair up is refused (E017)."""
    import pytest

    from nlperr.data import Span
    from nlperr.errors import InputError
    from nlperr.io import iter_hipe, read_hipe, write_hipe
    src = tmp_path / "src.tsv"
    src.write_text("TOKEN\tNE-COARSE-LIT\tMISC\n# hipe2022:document_id = a\n"
                   "Paris\tB-loc\tNoSpaceAfter|LED0.5\n.\tO\tEndOfSentence\n\n"
                   "# hipe2022:document_id = b\nRome\tB-loc\t_\nsleeps\tO\t_\n",
                   encoding="utf-8")
    gold = read_hipe(src)
    preds = [ex.copy(spans=(Span(0, 5, "pers"),)) if i == 0 else ex.copy(spans=())
             for i, ex in enumerate(gold)]
    a, b = tmp_path / "lists.tsv", tmp_path / "iters.tsv"
    write_hipe(gold, a, predictions=preds)
    write_hipe(iter_hipe(src), b, predictions=iter(preds))
    assert a.read_bytes() == b.read_bytes()
    write_hipe(iter_hipe(src), b)
    assert b.read_bytes() == src.read_bytes()
    with pytest.raises(InputError, match="E017"):
        write_hipe(iter_hipe(src), b, predictions=iter([preds[1], preds[0]]))
