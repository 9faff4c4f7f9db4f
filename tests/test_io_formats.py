"""Format registry, spaCy DocBin, Hugging Face datasets, CSV / DataFrame."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nlperr.data import Example, Span
from nlperr.errors import InputError
from nlperr.io import (
    from_dataframe, from_hf_dataset, get_format, guess_format, list_formats, load, read_conll,
    read_csv, read_docbin, register_format, save, to_dataframe, to_hf_dataset, write_csv,
    write_docbin,
)

DATA = Path(__file__).resolve().parent / "data"


# -- registry --------------------------------------------------------------------------

def test_builtin_formats_and_aliases():
    assert set(list_formats()) >= {"conll", "hipe", "jsonl", "spacy", "csv", "hf"}
    assert get_format("DocBin").name == "spacy"
    assert get_format("datasets").name == "hf"
    assert guess_format("x/train.conll") == "conll"
    assert guess_format("a.b.jsonl") == "jsonl"
    assert guess_format(DATA / "mini_hipe.tsv") == "hipe"


def test_unknown_and_unguessable_format(tmp_path):
    with pytest.raises(InputError, match=r"E007.*'nope'.*conll.*jsonl"):
        load(DATA / "mini_iob1.conll", format="nope")
    p = tmp_path / "emerging.test.annotated"
    p.write_text("a\tO\n", encoding="utf-8")
    assert load(p)[0].text == "a"  # recognised by its content
    p.write_text("a\t0\nb\t1\n", encoding="utf-8")  # two columns, no tags
    with pytest.raises(InputError, match=r"E008.*emerging\.test\.annotated"):
        load(p)
    assert load(p, format="conll", tag_column=None)[0].text == "a b"
    with pytest.raises(InputError, match="E008"):
        save([], tmp_path / "noext")


def test_tsv_without_hipe_header_is_conll(tmp_path):
    p = tmp_path / "c.tsv"
    p.write_text("Ann\tB-PER\n", encoding="utf-8")
    assert guess_format(p) == "conll"
    assert load(p)[0].spans[0].label == "PER"


def test_register_custom_format(tmp_path):
    def reader(path, **options):
        return [Example(line.strip()) for line in open(path, encoding="utf-8")]

    def writer(examples, path, **options):
        Path(path).write_text("".join(e.text + "\n" for e in examples), encoding="utf-8")

    register_format("lines-test", reader, writer, [".linestest"], aliases=["lt"],
                    overwrite=True)
    out = tmp_path / "a.linestest"
    save([Example("one"), Example("two")], out)
    assert [e.text for e in load(out)] == ["one", "two"]
    assert [e.text for e in load(out, format="LT")] == ["one", "two"]
    with pytest.raises(InputError, match="E022"):
        register_format("lines-test", reader)
    with pytest.raises(InputError, match="E022"):
        register_format("nothing")
    register_format("readonly-test", reader, overwrite=True)
    with pytest.raises(InputError, match="E014"):
        save([Example("x")], out, format="readonly-test")


def test_import_io_stays_light():
    code = ("import sys, nlperr.io, nlperr; nlperr.load; "
            "bad = [m for m in ('spacy', 'datasets', 'torch', 'transformers') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


# -- spaCy DocBin ------------------------------------------------------------------------

def test_docbin_round_trip(tmp_path):
    pytest.importorskip("spacy")
    exs = read_conll(DATA / "mini_iob1.conll") + [
        Example("Ada  met\nBob ", spans=(Span(0, 3, "PER", score=0.7),), missing=((9, 12),),
                id="ws"),
        Example("great film", label="pos", id="c1"),
        Example("dull", label="neg", probs={"neg": 0.9, "pos": 0.1}, id="c2"),
        Example("no annotation at all", id="u"),
        Example("annotated, no entity", spans=(), id="z"),
    ]
    out = tmp_path / "a.spacy"
    save(exs, out)
    back = load(out)
    assert len(back) == len(exs)
    for a, b in zip(exs, back):
        assert (b.id, b.text, b.spans, b.label, b.probs, b.missing) == \
               (a.id, a.text, a.spans, a.label, a.probs, a.missing)
        if a.tokens is not None:
            assert b.tokens == a.tokens
    assert back[0].meta == exs[0].meta
    assert back[-2].spans is None and back[-1].spans == ()


def test_docbin_from_spacy_docs_with_missing_annotation(tmp_path):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Doc, DocBin

    nlp = spacy.blank("en")
    d1 = Doc(nlp.vocab, words=["Ada", "met", "Bob"], ents=["B-PER", "O", ""])
    d2 = Doc(nlp.vocab, words=["nothing", "here"])
    d2.cats = {"a": 0.25, "b": 0.75}
    db = DocBin(docs=[d1, d2])
    db.to_disk(tmp_path / "x.spacy")
    a, b = read_docbin(tmp_path / "x.spacy", nlp=nlp)
    assert a.spans == (Span(0, 3, "PER"),) and a.missing == ((8, 11),)
    assert a.id == "x.spacy:0"
    assert b.spans is None and b.label == "b" and b.probs == {"a": 0.25, "b": 0.75}


def test_docbin_misaligned_span(tmp_path):
    pytest.importorskip("spacy")
    with pytest.raises(InputError, match=r"E020.*example 'm'"):
        write_docbin([Example("Adam", spans=(Span(0, 2, "PER"),), id="m")], tmp_path / "m.spacy")


# -- Hugging Face datasets -----------------------------------------------------------------

def test_hf_round_trip_with_classlabel(tmp_path):
    datasets = pytest.importorskip("datasets")
    exs = read_conll(DATA / "mini_iob1.conll")
    ds = to_hf_dataset(exs)
    names = ds.features["ner_tags"].feature.names
    assert isinstance(ds.features["ner_tags"].feature, datasets.ClassLabel)
    assert names[0] == "O" and "B-PER" in names and "I-MISC" in names
    back = from_hf_dataset(ds)
    assert [(e.id, e.text, e.tokens, e.spans) for e in back] == \
           [(e.id, e.text, e.tokens, e.spans) for e in exs]
    # streaming (IterableDataset)
    streamed = from_hf_dataset(ds.to_iterable_dataset())
    assert [e.spans for e in streamed] == [e.spans for e in exs]
    # BIOES tags as ClassLabel, read back with auto-detected scheme
    ds2 = to_hf_dataset(exs, scheme="BIOES")
    assert "S-LOC" in ds2.features["ner_tags"].feature.names
    back2 = from_hf_dataset(ds2)
    assert back2[0].meta["scheme"] == "BIOES"
    assert [e.spans for e in back2] == [e.spans for e in exs]
    # save_to_disk folder through load(format="hf") and guessing
    folder = tmp_path / "ds"
    save(exs, folder, format="hf")
    assert guess_format(folder) == "hf"
    assert [e.spans for e in load(folder)] == [e.spans for e in exs]
    datasets.DatasetDict({"train": ds}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(InputError, match=r"E018.*\['train'\]"):
        load(tmp_path / "dd", format="hf")
    assert len(load(tmp_path / "dd", format="hf", split="train")) == len(exs)


def test_hf_string_tags_and_classification():
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_dict({"words": [["Ada", "codes"]], "tags": [["B-PER", "O"]],
                                     "pos": [["NNP", "VBZ"]]})
    ex = from_hf_dataset(ds, tokens_column="words", tags_column="tags")[0]
    assert ex.spans == (Span(0, 3, "PER"),) and ex.meta["pos"] == ["NNP", "VBZ"]
    feats = datasets.Features({"text": datasets.Value("string"),
                               "label": datasets.ClassLabel(names=["neg", "pos"])})
    cls = datasets.Dataset.from_dict({"text": ["good", "bad", "?"], "label": [1, 0, -1]},
                                     features=feats)
    exs = from_hf_dataset(cls, label_column="label")
    assert [(e.text, e.label) for e in exs] == [("good", "pos"), ("bad", "neg"), ("?", None)]
    rt = to_hf_dataset(exs[:2])
    assert rt.features["label"].names == ["neg", "pos"]
    assert [e.label for e in from_hf_dataset(rt, label_column="label")] == ["pos", "neg"]
    with pytest.raises(InputError, match=r"E010.*'tokens'"):
        from_hf_dataset(cls)
    raw = datasets.Dataset.from_dict({"tokens": [["a"]], "ner_tags": [[1]]})
    with pytest.raises(InputError, match="E019"):
        from_hf_dataset(raw)


# -- CSV / DataFrame ---------------------------------------------------------------------------

def test_csv_round_trip(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text('text,label,source\n"Great, really",pos,web\nmeh,neg,app\n"multi\nline",,web\n',
                 encoding="utf-8")
    exs = read_csv(p)
    assert [(e.text, e.label, e.id) for e in exs] == [
        ("Great, really", "pos", "c.csv:2"), ("meh", "neg", "c.csv:3"),
        ("multi\nline", None, "c.csv:4")]
    assert exs[0].meta["source"] == "web"
    assert exs[0].meta["csv_layout"] == {"header": ["text", "label", "source"], "text": "text",
                                         "label": "label", "id": None}
    out = tmp_path / "o.csv"
    write_csv(exs, out)
    # written back under the input's own layout: the same file
    assert out.read_text(encoding="utf-8") == p.read_text(encoding="utf-8")
    back = read_csv(out)
    assert [(e.text, e.label, e.meta["source"]) for e in back] == \
           [(e.text, e.label, e.meta["source"]) for e in exs]
    # examples built in code (no layout) get id, text, label and meta columns
    plain = [e.copy(meta={"source": e.meta["source"]}) for e in exs]
    write_csv(plain, out)
    back = read_csv(out, id_column="id")
    assert [(e.id, e.text, e.label, e.meta["source"]) for e in back] == \
           [(e.id, e.text, e.label, e.meta["source"]) for e in exs]


def test_csv_predictions_and_dataframe(tmp_path):
    gold = [Example("good", label="pos", id="a"), Example("bad", label="neg", id="b")]
    pred = [Example("good", label="pos", probs={"pos": 0.8, "neg": 0.2}),
            Example("bad", label="pos", probs={"pos": 0.6, "neg": 0.4})]
    out = tmp_path / "p.csv"
    write_csv(gold, out, predictions=pred)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "id,text,label,pred_label,prob_neg,prob_pos"
    assert lines[2] == "b,bad,neg,pos,0.4,0.6"
    df = to_dataframe(gold)
    assert from_dataframe(df, id_column="id") == gold
    with pytest.raises(InputError, match=r"E010.*'lbl'.*\['id', 'text', 'label'\]"):
        from_dataframe(df, label_column="lbl")
    with pytest.raises(InputError, match=r"E010.*p\.csv:1.*'txt'"):
        read_csv(out, text_column="txt")


@pytest.mark.parametrize("module,call", [
    ("spacy", lambda p: write_docbin([Example("x")], p / "a.spacy")),
    ("datasets", lambda p: to_hf_dataset([Example("x", label="a")])),
])
def test_missing_optional_dependency_names_the_extra(tmp_path, monkeypatch, module, call):
    from nlperr.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    extra = "spacy" if module == "spacy" else "hf"
    with pytest.raises(MissingDependencyError, match=rf"pip install 'nlperr\[{extra}\]'"):
        call(tmp_path)
