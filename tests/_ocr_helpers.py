"""Shared helpers for the OCR tests."""

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ICDAR = DATA / "icdar2019_postocr"
HIPE_AJMC_EN = DATA / "hipe2022" / "ajmc" / "en"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path
