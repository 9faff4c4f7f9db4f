"""`nlperr predict` on every format, bad inputs through the CLI, streaming and HF models.

Models: deterministic callables from ``_adapters_helpers`` (fast), tiny random BERT
models saved with the real MiniLM tokenizer (``hf:FOLDER``) and the real spaCy
pipeline for device / component checks.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _adapters_helpers as H  # noqa: E402

from nlperr.cli import main  # noqa: E402

REPO = HERE.parents[0]
SAMPLE = REPO / "examples" / "data" / "sample.conll"
MINI_HIPE = HERE / "data" / "mini_hipe.tsv"
NER = "callable:_adapters_helpers:capital_spans"
CLS = "callable:_adapters_helpers:length_label"


def _run(capsys, *argv):
    rc = main(["predict", *map(str, argv)])
    cap = capsys.readouterr()
    return rc, cap.err


# -- bad input: file and line named, exit 2, no traceback, no output -------------------------
BAD_FILES = {
    "ragged.conll": ("Anna\tB-PER\nsmiled\tO\textra\n\n", r"E001.*ragged\.conll:2"),
    "badtag.conll": ("Anna\tB-PER\nsmiled\tX-FOO\n\n", r"E002.*badtag\.conll:2"),
    "badseq.conll": ("Hi\tB-PER\n\nJo\tB-LOC\n\nAl\tB-PER\n\nAnna\tO\nsmiled\tI-PER\n\n",
                     r"E104.*badseq\.conll:8"),
    "overlap.jsonl": ('{"text": "Hi Bob Smith", "spans": [{"start": 3, "end": 6, "label": "P"},'
                      ' {"start": 4, "end": 11, "label": "P"}]}\n', r"E102.*overlap\.jsonl:1"),
    "range.jsonl": ('{"text": "Hi"}\n{"text": "Hi Bob", "spans": [{"start": 3, "end": 60, '
                    '"label": "P"}]}\n', r"E101.*range\.jsonl:2"),
    "badjson.jsonl": ('{"text": "Hi"}\n{oops\n', r"E005.*badjson\.jsonl:2"),
    "empty.conll": ("", r"E003.*empty\.conll"),
    "empty.jsonl": ("\n", r"E003.*empty\.jsonl"),
    "empty.csv": ("text,label\n", r"E003.*empty\.csv"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_files_name_file_and_line(tmp_path, capsys, name):
    content, pattern = BAD_FILES[name]
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / ("out" + src.suffix)
    model = CLS if name.endswith(".csv") else NER
    rc, err = _run(capsys, "--model", model, "--input", src, "--output", out, "--no-cache")
    assert rc == 2
    assert __import__("re").search(pattern, err), err
    assert "Traceback" not in err
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))  # no temporary file left behind


def test_lenient_reads_invalid_sequences_with_a_warning(tmp_path, capsys):
    src = tmp_path / "seq.conll"
    src.write_text(BAD_FILES["badseq.conll"][0], encoding="utf-8")
    out = tmp_path / "o.conll"
    rc, err = _run(capsys, "--model", NER, "--input", src, "--output", out, "--no-cache",
                   "--lenient")
    assert rc == 0 and "W009" in err and "line 8" in err
    last = [ln for ln in out.read_text(encoding="utf-8").splitlines() if ln][-1]
    assert last == "smiled\tB-PER\tO"  # I-PER after O read as a new entity


def test_failed_streamed_run_keeps_the_previous_output(tmp_path, capsys):
    src = tmp_path / "late.conll"
    good = "".join(f"Word{i}\tO\n\n" for i in range(30))
    src.write_text(good + "Bad\tB-\n\n", encoding="utf-8")
    out = tmp_path / "out.conll"
    out.write_text("previous\n", encoding="utf-8")
    rc, err = _run(capsys, "--model", NER, "--input", src, "--output", out, "--chunk-size", "4",
                   "--scheme", "IOB2", "--overwrite")
    assert rc == 2 and "late.conll:61" in err
    assert out.read_text(encoding="utf-8") == "previous\n"


@pytest.mark.parametrize("argv, pattern", [
    (["--model", "nosuchkind:x"], r"E201.*nosuchkind"),
    (["--model", "no-colon"], r"E201"),
    (["--model", "spacy:no_such_pipeline_xyz"], r"E202.*no_such_pipeline_xyz.*install"),
    (["--model", "hf:/no/such/folder"], r"E202.*config\.json"),
    (["--model", "callable:no_such_module_xyz:f"], r"E213.*no_such_module_xyz"),
    (["--model", "callable:json:no_such_function"], r"E213.*no_such_function"),
    (["--model", NER, "--label-map", "{bad"], r"E210.*\{bad"),
    (["--model", NER, "--label-map", '["PER"]'], r"E210.*holds a list"),
    (["--model", NER, "--label-map", "missing_map.json"], r"E210.*neither JSON nor an existing"),
    (["--model", NER, "--batch-size", "0"], r"E301.*0"),
    (["--model", NER, "--chunk-size", "0"], r"E207.*--chunk-size"),
    (["--model", NER, "--tag-column", "NE-COARSE-LIT"], r"E207.*--tag-column"),
])
def test_bad_options_and_models(tmp_path, capsys, argv, pattern):
    out = tmp_path / "o.conll"
    rc, err = _run(capsys, *argv, "--input", SAMPLE, "--output", out, "--no-cache")
    assert rc == 2, err
    assert __import__("re").search(pattern, err), err
    assert "Traceback" not in err and not out.exists()


@pytest.fixture(scope="module")
def tiny_hf(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    root = tmp_path_factory.mktemp("hf")
    tok = H.tokenizer()
    ner = H.save_tiny_token_model(root / "ner", max_positions=64, tok=tok)
    seq = H.save_tiny_seq_model(root / "seq", max_positions=64, tok=tok)
    return {"ner": ner, "seq": seq}


@pytest.mark.slow
def test_device_errors_and_models_without_what_is_needed(tmp_path, capsys, tiny_hf):
    import shutil

    import torch

    out = tmp_path / "o.conll"
    base = ("--input", SAMPLE, "--output", out, "--no-cache")
    rc, err = _run(capsys, "--model", "hf:" + tiny_hf["ner"], "--device", "tpu", *base)
    assert rc == 2 and "E207" in err and "'tpu'" in err
    if not torch.cuda.is_available():
        rc, err = _run(capsys, "--model", "hf:" + tiny_hf["ner"], "--device", "cuda", *base)
        assert rc == 2 and "E215" in err and "CUDA is not available" in err
    # a folder with weights but no tokenizer files: E220, not a silent all-[UNK] model
    bare = tmp_path / "no_tokenizer"
    bare.mkdir()
    for f in Path(tiny_hf["ner"]).iterdir():
        if f.name in ("config.json", "model.safetensors"):
            shutil.copy(f, bare / f.name)
    rc, err = _run(capsys, "--model", f"hf:{bare}", *base)
    assert rc == 2 and "E220" in err and "tokenizer" in err
    assert "Traceback" not in err and not out.exists()


@pytest.mark.slow
def test_spacy_pipeline_without_ner(tmp_path, capsys):
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "no_ner")
    rc, err = _run(capsys, "--model", f"spacy:{tmp_path / 'no_ner'}", "--input", SAMPLE,
                   "--output", tmp_path / "o.conll", "--no-cache")
    assert rc == 2 and "E204" in err and "'ner'" in err and "sentencizer" in err


# -- outputs ---------------------------------------------------------------------------------
def test_conll_streamed_in_small_chunks_equals_one_chunk(tmp_path, capsys):
    a, b = tmp_path / "a.conll", tmp_path / "b.conll"
    assert _run(capsys, "--model", NER, "--input", SAMPLE, "--output", a, "--no-cache")[0] == 0
    rc, err = _run(capsys, "--model", NER, "--input", SAMPLE, "--output", b, "--no-cache",
                   "--chunk-size", "1", "--batch-size", "1")
    assert rc == 0, err
    assert a.read_bytes() == b.read_bytes()
    lines = [ln.split("\t") for ln in a.read_text(encoding="utf-8").splitlines() if ln.strip()]
    gold = [ln.split("\t") for ln in SAMPLE.read_text(encoding="utf-8").splitlines()
            if ln.strip()]
    # the -DOCSTART- line is copied, with the added prediction column (CoNLL-2003 style)
    assert gold[0] == ["-DOCSTART-", "O"] and lines[0] == ["-DOCSTART-", "O", "O"]
    lines = [r for r in lines if r[0] != "-DOCSTART-"]
    gold = [r for r in gold if r[0] != "-DOCSTART-"]
    assert [r[:-1] for r in lines] == gold  # input columns (tokens, gold tags) kept
    tokens = [r[0] for r in lines]
    preds = [r[-1] for r in lines]
    # capital_spans: each capitalised token is its own CAP entity, written as IOB2
    assert preds == ["B-CAP" if t[:1].isupper() else "O" for t in tokens]


def test_hipe_system_output(tmp_path, capsys):
    from nlperr.io import read_hipe

    out = tmp_path / "sys.tsv"
    rc, err = _run(capsys, "--model", NER, "--input", MINI_HIPE, "--output", out, "--no-cache")
    assert rc == 0, err
    gold_rows = [ln.split("\t") for ln in MINI_HIPE.read_text(encoding="utf-8").splitlines()]
    rows = [ln.split("\t") for ln in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == len(gold_rows)
    for g, r in zip(gold_rows, rows):
        if len(g) < 10 or g[0] == "TOKEN":  # metadata / header / blank lines unchanged
            assert r == g
            continue
        # token and MISC kept, except the LED flags of gold mentions
        gold_misc = "|".join(f for f in g[9].split("|") if not f.startswith("LED")) or "_"
        assert r[0] == g[0] and r[9] == gold_misc
        assert r[1] in ("O", "B-CAP", "I-CAP")  # predictions, O written as O
        assert r[2:9] == ["_"] * 7  # no gold copied into the system output
    pred = read_hipe(out)
    gold = read_hipe(MINI_HIPE)
    assert [p.text for p in pred] == [g.text for g in gold]  # NoSpaceAfter offsets kept
    # another NE column
    out2 = tmp_path / "fine.tsv"
    rc, err = _run(capsys, "--model", NER, "--input", MINI_HIPE, "--output", out2, "--no-cache",
                   "--tag-column", "NE-FINE-LIT")
    assert rc == 0, err
    fine = [ln.split("\t") for ln in out2.read_text(encoding="utf-8").splitlines()
            if ln.count("\t") == 9 and not ln.startswith("TOKEN")]
    assert {r[1] for r in fine} == {"_"} and {r[3] for r in fine} <= {"O", "B-CAP", "I-CAP"}


def test_docbin_output_keeps_gold(tmp_path, capsys):
    pytest.importorskip("spacy")
    from nlperr.io import read_conll, read_docbin, write_docbin

    gold = read_conll(SAMPLE)
    src = tmp_path / "in.spacy"
    write_docbin(gold, src)
    out = tmp_path / "out.spacy"
    rc, err = _run(capsys, "--model", NER, "--input", src, "--output", out, "--no-cache")
    assert rc == 0, err
    pred = read_docbin(out)
    kept = read_docbin(out, gold=True)
    assert [[s.key for s in e.spans] for e in kept] == [[s.key for s in e.spans] for e in gold]
    assert all(s.label == "CAP" for e in pred for s in e.spans)
    assert [e.text for e in pred] == [e.text for e in gold]


def test_csv_prediction_columns_last(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("text,label,source\nshort,len5,web\nlonger one,x,app\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    rc, err = _run(capsys, "--model", CLS, "--input", src, "--output", out, "--no-cache")
    assert rc == 0, err
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["text", "label", "source", "pred_label"]
    assert rows[1:] == [["short", "len5", "web", "len5"], ["longer one", "x", "app", "len10"]]


def test_csv_keeps_the_inputs_column_names_and_order(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("source,review,sentiment\nweb,short,len5\napp,longer one,x\n",
                   encoding="utf-8")
    out = tmp_path / "out.csv"
    rc, err = _run(capsys, "--model", CLS, "--input", src, "--output", out, "--no-cache",
                   "--text-column", "review", "--label-column", "sentiment")
    assert rc == 0, err
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["source", "review", "sentiment", "pred_label"]
    assert rows[1:] == [["web", "short", "len5", "len5"], ["app", "longer one", "x", "len10"]]


@pytest.mark.slow
def test_hf_token_classifier_conll_matches_first_piece_argmax(tmp_path, capsys, tiny_hf):
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from nlperr.data import tags_to_spans
    from nlperr.io import read_conll

    out = tmp_path / "o.conll"
    rc, err = _run(capsys, "--model", "hf:" + tiny_hf["ner"], "--input", SAMPLE, "--output", out,
                   "--no-cache")
    assert rc == 0, err
    gold = read_conll(SAMPLE)
    pred = read_conll(out, tag_column=-1, scheme="IOB2", strict=False)
    kept = read_conll(out, tag_column=-2)
    assert [e.spans for e in kept] == [e.spans for e in gold]
    model = AutoModelForTokenClassification.from_pretrained(tiny_hf["ner"]).eval()
    tok = AutoTokenizer.from_pretrained(tiny_hf["ner"])
    id2label = model.config.id2label
    for g, p in zip(gold, pred):
        enc = tok([list(g.words)], is_split_into_words=True, return_tensors="pt")
        with torch.inference_mode():
            logits = model(**enc).logits[0].numpy()
        tags, prev = ["O"] * len(g.words), None
        for k, w in enumerate(enc.word_ids(0)):
            if w is not None and w != prev:
                tags[w] = id2label[int(logits[k].argmax())]
            prev = w
        want = [(g.tokens[s].start, g.tokens[e - 1].end, lab)
                for s, e, lab in tags_to_spans(tags, "IOB2", strict=False, warn_repairs=False)]
        assert [s.key for s in p.spans] == want


@pytest.mark.slow
def test_hf_sequence_classifier_csv_probabilities(tmp_path, capsys, tiny_hf):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    src = tmp_path / "in.csv"
    texts = ["a fine day", "terrible, awful service", "ok"]
    src.write_text("text,label\n" + "".join(f'"{t}",pos\n' for t in texts), encoding="utf-8")
    out = tmp_path / "out.csv"
    rc, err = _run(capsys, "--model", "hf:" + tiny_hf["seq"], "--input", src, "--output", out,
                   "--no-cache")
    assert rc == 0, err
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    model = AutoModelForSequenceClassification.from_pretrained(tiny_hf["seq"]).eval()
    tok = AutoTokenizer.from_pretrained(tiny_hf["seq"])
    with torch.inference_mode():
        probs = torch.softmax(model(**tok(texts, padding=True, return_tensors="pt")).logits,
                              -1).numpy()
    for row, p in zip(rows, probs):
        assert row["label"] == "pos"  # gold kept
        got = np.array([float(row["prob_neg"]), float(row["prob_pos"])])
        np.testing.assert_allclose(got, p, atol=1e-5)
        assert row["pred_label"] == ("neg", "pos")[int(p.argmax())]


def test_jsonl_raw_text_spans_and_gold(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "  Ann  met\tBob.\n", "meta": {"k": 1}}) + "\n"
                   + json.dumps({"text": "x Zoë", "spans": [{"start": 2, "end": 5,
                                                             "label": "PER"}]}) + "\n",
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"
    rc, err = _run(capsys, "--model", NER, "--input", src, "--output", out, "--no-cache")
    assert rc == 0, err
    recs = [json.loads(ln) for ln in out.read_text(encoding="utf-8").splitlines()]
    assert recs[0]["meta"] == {"k": 1} and "gold_spans" not in recs[0]
    # capital_spans splits on single spaces: "Ann" at 2..5, "Bob." not a word start after TAB
    assert [(s["start"], s["end"], s["label"]) for s in recs[0]["spans"]] == [(2, 5, "CAP")]
    assert [(s["start"], s["end"]) for s in recs[1]["spans"]] == [(2, 5)]
    assert recs[1]["gold_spans"][0]["label"] == "PER"
