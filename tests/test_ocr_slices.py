import importlib.util
from pathlib import Path

import pytest

from _ocr_helpers import HIPE_AJMC_EN, need


@pytest.mark.slow
@pytest.mark.shared_data
def test_hipe_ajmc_f1_by_noise_bucket():
    path = need(HIPE_AJMC_EN / "HIPE-2022-v2.1-ajmc-test-en.tsv")
    pytest.importorskip("spacy")
    spec = importlib.util.spec_from_file_location(
        "ocr_noise_slices", Path(__file__).resolve().parents[1] / "examples" / "ocr_noise_slices.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    led, noise = mod.noise_tables(path)
    # every gold entity of ajmc en test (348) falls in exactly one LED bucket
    assert led["support"].sum() == 348
    assert noise["support"].sum() == 348
    assert led["predicted"].sum() == noise["predicted"].sum() > 0
    for df in (led, noise):
        assert ((df["f1"] >= 0) & (df["f1"] <= 1)).all()
        assert set(df.columns) >= {"bucket", "support", "predicted", "precision", "recall", "f1"}
