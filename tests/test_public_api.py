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
        " nlperr.analysis, nlperr.suites, nlperr.perturb, nlperr.ocr, nlperr.quality,"
        " nlperr.attention, nlperr.explain, nlperr.drift, nlperr.training, nlperr.stats;"
        "heavy = [m for m in ('torch', 'transformers', 'spacy', 'datasets', 'tensorflow',"
        " 'matplotlib')"
        " if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout}"


QUALITY = {
    "DataQualityResult", "LabelIssuesResult", "check_data", "cue_words", "entity_overlap",
    "exact_duplicates", "find_label_issues", "inconsistent_labels", "inconsistent_mentions",
    "inconsistent_tags", "jaccard", "label_issues", "lsh_bands", "near_duplicates", "shingles",
    "split_mismatch", "SplitCounts", "TextIndex", "CueCounts", "MentionIndex", "MentionScan",
    "TagIndex", "TagScan", "LabelGroups", "check_data_stream", "ShingleStore", "near_pairs",
}


def test_quality_namespace_is_pinned():
    import nlperr.quality

    assert set(nlperr.quality.__all__) == QUALITY
    assert all(getattr(nlperr.quality, n) is not None for n in QUALITY)


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


def test_report_and_results_are_light_and_pinned():
    code = ("import sys, nlperr.results, nlperr.report, nlperr.report.figures, nlperr.cli.report;"
            "print(','.join(m for m in ('matplotlib', 'torch', 'spacy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout}"
    import nlperr.report
    import nlperr.results
    assert set(nlperr.report.__all__) == {"render_html", "render_markdown", "load_results",
                                          "report_from_dirs", "REPORT_FORMATS",
                                          "FIGURE_FORMATS", "MAX_CHARS"}
    assert {"Result", "Finding", "jsonable", "to_json_text", "load",
            "register_result"} <= set(nlperr.results.__all__)


def test_drift_and_stats_namespaces_are_pinned():
    import nlperr.drift
    import nlperr.stats

    assert set(nlperr.drift.__all__) == {
        "detect_drift", "DriftResult", "DriftData", "as_drift_data", "domain_classifier",
        "log_odds_dirichlet", "char_class_counts", "parse_window", "split_windows",
        "sample_drift_data", "SampledSide", "ALL_TESTS", "TEXT_TESTS", "MODEL_TESTS", "OUTPUT_TESTS", "CHAR_CLASSES",
        "TEST_COLUMNS", "WINDOW_COLUMNS", "EXPLANATION_COLUMNS"}
    assert set(nlperr.stats.__all__) == {
        "wilson_interval", "chi2_sf", "chi2_contingency", "normal_sf", "proportion_z",
        "permutation_pvalue", "permutation_group_sums", "holm", "adjust_pvalues",
        "ADJUSTMENTS", "ks_2samp", "mann_whitney_auc", "jensen_shannon", "pearson_chi2",
        "rankdata", "mann_whitney_u", "rank_biserial", "poisson_draws"}
    for mod in (nlperr.drift, nlperr.stats):
        for name in mod.__all__:
            assert getattr(mod, name) is not None


def test_limits_namespace_is_pinned():
    from nlperr import limits

    assert set(limits.__all__) == {"Limits", "get_limits", "set_limits", "limits", "DEFAULTS",
                                   "ENV_PREFIX"}
