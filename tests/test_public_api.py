"""Pin the public namespace and the light-import promise."""

from __future__ import annotations

import subprocess
import sys

import nlperr

EXPECTED = {
    "__version__", "Example", "Span", "Token", "NlperrError", "convert_tags", "detect_scheme",
    "spans_to_tags", "tags_to_spans", "load", "save", "read_conll", "write_conll", "read_hipe",
    "write_hipe", "read_jsonl", "write_jsonl", "read_docbin", "write_docbin", "from_hf_dataset",
    "to_hf_dataset", "read_csv", "write_csv", "from_dataframe", "to_dataframe", "load_model",
    "Adapter", "LabelMap", "predict", "PredictionCache", "analyze_ner", "analyze_classification",
    "load_suite", "run_suite", "compare_models",
}


def test_public_namespace_is_pinned():
    assert set(nlperr.__all__) == EXPECTED


def test_every_public_name_resolves():
    for name in nlperr.__all__:
        assert getattr(nlperr, name) is not None, name


def test_import_is_light():
    code = (
        "import sys, nlperr, nlperr.io, nlperr.engine, nlperr.adapters, nlperr.cli,"
        " nlperr.analysis, nlperr.suites, nlperr.perturb, nlperr.ocr, nlperr.training;"
        "heavy = [m for m in ('torch', 'transformers', 'spacy', 'datasets', 'tensorflow')"
        " if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout}"


def test_bare_import_does_not_load_pandas():
    code = "import sys, nlperr; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_errors_share_one_base():
    from nlperr import errors

    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Warning):
            assert issubclass(obj, errors.NlperrWarning)
        elif isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, errors.NlperrError)


def test_every_message_has_a_code():
    from nlperr.errors import Errors, Warnings

    for cat in (Errors, Warnings):
        codes = [k for k in vars(cat) if k[:1] in "EW" and k[1:].isdigit()]
        assert codes
        for k in codes:
            assert getattr(cat, k).startswith(f"[{k}] ")
