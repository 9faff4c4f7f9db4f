"""No import changes another call's result: registries hold their built-ins from the start."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import nlperr

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "data" / "sample.conll"

_REPORT = """
import json, sys, warnings
warnings.simplefilter("ignore")
{imports}
import nlperr
from nlperr.analysis import analyze_ner
from nlperr.data import Example
gold = nlperr.load({path!r})
pred = [g.copy(spans=tuple(g.spans[1:])) for g in gold]
r = analyze_ner(gold, pred, n_boot=200, seed=3)
print(json.dumps({{"summary": r.summary,
                  "tables": {{k: v.to_csv() for k, v in sorted(r.tables.items())}}}},
                 sort_keys=True, default=str))
"""


def _every_subpackage() -> list[str]:
    names = []
    for mod in pkgutil.walk_packages(nlperr.__path__, "nlperr."):
        if mod.name.endswith("__main__") or ".cli." in mod.name:
            continue
        names.append(mod.name)
    return names


def _run(imports: str) -> dict:
    code = _REPORT.format(imports=imports, path=str(SAMPLE))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def test_analyze_ner_is_the_same_after_importing_every_subpackage():
    fresh = _run("")
    mods = _every_subpackage()
    assert "nlperr.ocr" in mods and "nlperr.suites" in mods
    imports = "\n".join(f"import {m}" for m in mods)
    after = _run(imports)
    assert fresh["summary"]["slice_attributes"] == after["summary"]["slice_attributes"]
    assert fresh == after


def test_default_slices_are_documented_and_fixed():
    from nlperr.analysis.slices import default_slices, slice_attributes

    ner = default_slices("ner")
    assert len(ner) == 9 and "led" not in ner
    assert default_slices("ner", train=True)[-5:] == ["seen_in_train", "train_frequency",
                                                      "label_consistency", "oov_share",
                                                      "train_overlap"]
    # the OCR attributes are built in (usable by name) without importing nlperr.ocr
    code = ("import sys, nlperr.analysis.slices as s; "
            "print('led' in s._REGISTRY, 'nlperr.ocr' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["True", "False"]
    assert callable(slice_attributes)


def test_led_slices_from_span_meta_are_binned(tmp_path):
    from nlperr.analysis import analyze_ner
    from nlperr.data import Example, Span

    gold, pred = [], []
    for i in range(120):  # most mentions read correctly (LED 0), as in HIPE
        led = 0.0 if i % 8 else 0.01 * (i // 8 + 1)
        ex = Example("Paris is nice", spans=(Span(0, 5, "loc", meta={"LED": led}),), id=str(i))
        gold.append(ex)
        pred.append(ex.copy(spans=(Span(0, 5, "loc"),) if i % 3 else ()))
    for name in ("led", "span_meta:LED"):
        r = analyze_ner(gold, pred, slices=[name], n_boot=0)
        values = set(r.tables["worst_slices"]["value"])
        assert len(values - {"n/a"}) >= 2, (name, values)
