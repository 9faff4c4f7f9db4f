import random

import jiwer
import pytest

from nlperr.errors import FormatError, InputError
from nlperr.ocr import (NoiseModel, apply_edits, cer, compare, compare_pairs,
                        iter_pairs, levenshtein, opcodes, read_icdar2019, read_line_pairs, wer)
from nlperr.ocr.compare import jiwer_chars

from _ocr_helpers import ICDAR, need


@pytest.mark.parametrize("backend", ["rapidfuzz", "python"])
def test_levenshtein_backends_agree(backend):
    rng = random.Random(1)
    for _ in range(300):
        a = "".join(rng.choice("ab c") for _ in range(rng.randint(0, 40)))
        b = "".join(rng.choice("abd ") for _ in range(rng.randint(0, 40)))
        d = levenshtein(a, b, backend=backend)
        assert d == levenshtein(a, b, backend="rapidfuzz")
        ops = opcodes(a, b, backend=backend)
        assert "".join(b[j1:j2] for _, _, _, j1, j2 in ops) == b
        cost = sum(i2 - i1 if t in ("replace", "delete") else j2 - j1 if t == "insert" else 0
                   for t, i1, i2, j1, j2 in ops)
        assert cost == d


def test_python_alignment_splits_large_tables(monkeypatch):
    # Hirschberg split (linear memory) still gives an optimal alignment
    from nlperr.ocr import _align
    monkeypatch.setattr(_align, "MAX_CELLS", 40)
    rng = random.Random(2)
    for _ in range(200):
        a = "".join(rng.choice("abc ") for _ in range(rng.randint(0, 60)))
        b = "".join(rng.choice("abd ") for _ in range(rng.randint(0, 60)))
        ops = opcodes(a, b, backend="python")
        assert "".join(b[j1:j2] for _, _, _, j1, j2 in ops) == b
        assert "".join(a[i1:i2] for _, i1, i2, _, _ in ops) == a
        cost = sum(i2 - i1 if t in ("replace", "delete") else j2 - j1 if t == "insert" else 0
                   for t, i1, i2, j1, j2 in ops)
        assert cost == levenshtein(a, b, backend="rapidfuzz")
        assert all(a[i1:i2] == b[j1:j2] for t, i1, i2, j1, j2 in ops if t == "equal")


def test_cer_wer_match_jiwer_random():
    rng = random.Random(0)
    gold = [" ".join(rng.choice(["the", "cat", "sat", "on", "mat"]) for _ in range(rng.randint(1, 9)))
            for _ in range(50)]
    ocr = ["".join(c if rng.random() > 0.1 else rng.choice("tbe ") for c in g) for g in gold]
    for backend in ("auto", "python"):
        assert cer(gold, ocr, backend=backend) == pytest.approx(jiwer.cer(gold, ocr), abs=1e-12)
        assert wer(gold, ocr, backend=backend) == pytest.approx(jiwer.wer(gold, ocr), abs=1e-12)


def test_bad_backend_and_lengths():
    with pytest.raises(InputError, match="backend"):
        cer("a", "b", backend="fast")
    with pytest.raises(InputError, match="E709"):
        cer(["a", "b"], ["a"])


@pytest.mark.shared_data
@pytest.mark.parametrize("sub", ["FR3", "NL1"])
def test_icdar_cer_wer_equal_jiwer(sub):
    pairs = list(iter_pairs(need(ICDAR / sub)))
    gold = [p.gold[0] for p in pairs]
    ocr = [p.ocr[0] for p in pairs]
    res = compare_pairs(pairs)
    assert res.summary["documents"] == len(pairs)
    assert res.summary["cer"] == pytest.approx(jiwer.cer(gold, ocr), abs=1e-6)
    assert res.summary["wer"] == pytest.approx(jiwer.wer(gold, ocr), abs=1e-6)
    docs = res.documents.set_index("document")
    for p in pairs[:60]:
        assert docs.loc[p.id, "cer"] == pytest.approx(jiwer.cer(p.gold[0], p.ocr[0]), abs=1e-6)
        assert docs.loc[p.id, "wer"] == pytest.approx(jiwer.wer(p.gold[0], p.ocr[0]), abs=1e-6)
    assert res.summary["characters"] == sum(len(jiwer_chars(g)) for g in gold)
    # '#' columns excluded (FR3 has some), '@' gaps removed
    assert all("@" not in p.ocr[0] for p in pairs)


@pytest.mark.shared_data
def test_icdar_hash_columns_excluded():
    path = need(ICDAR / "FR3" / "104.txt")
    pair = read_icdar2019(path)
    lines = path.read_text(encoding="utf-8").split("\n")
    gold_al = lines[2][len("[ GS_aligned] "):]
    assert pair.excluded_characters == gold_al.count("#") > 0
    assert "#" not in pair.gold[0]
    assert pair.raw_ocr == lines[0][len("[OCR_toInput] "):]


def test_confusions_multichar_splits_merges_realword():
    gold = ["the modern harbour is good", "some thing", "to gether"]
    ocr = ["tbe rnodern harbour is goal", "something", "to ge ther"]
    res = compare(gold, ocr)
    conf = {(g, o): n for g, o, n in res.confusions[["gold", "ocr", "count"]].values}
    assert conf[("h", "b")] == 1
    assert conf[("m", "rn")] == 1
    assert res.summary["merges"] == 1 and res.summary["splits"] == 1
    kinds = dict(zip(zip(res.confusions["gold"], res.confusions["ocr"]), res.confusions["kind"]))
    assert kinds[("m", "rn")] == "multi"
    # real-word error needs the OCR word in the lexicon (default: gold vocabulary)
    res2 = compare(gold + ["a goal"], ocr + ["a goal"])
    assert res2.summary["real_word_errors"] == 1
    words = res2.words.set_index(["gold", "ocr"])
    assert bool(words.loc[("good", "goal"), "real_word"])
    assert not bool(words.loc[("the", "tbe"), "real_word"])
    res3 = compare(gold, ocr, lexicon={"goal"})
    assert res3.summary["real_word_errors"] == 1


def test_confusion_probabilities_use_gold_counts():
    res = compare(["cl cl d"], ["cl cl cl"])
    row = res.confusions.iloc[0]
    assert (row["gold"], row["ocr"], row["count"], row["gold_count"]) == ("d", "cl", 1, 1)


def test_empty_gold_unit_warns():
    with pytest.warns(UserWarning, match="W701"):
        res = compare_pairs([__import__("nlperr.ocr", fromlist=["OcrPair"]).OcrPair(
            "d", ("abc", ""), ("abc", "xy"))])
    assert res.summary["char_edits"] == 2 and res.summary["characters"] == 3


# ----------------------------------------------------------------- readers
def test_read_line_pairs(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("tbe cat||@@||the cat\n\nrnat||@@||mat||@@||other\n", encoding="utf-8")
    pair = read_line_pairs(f)
    assert pair.gold == ("the cat", "mat") and pair.ocr == ("tbe cat", "rnat")
    assert list(iter_pairs(tmp_path))[0].gold == pair.gold


def test_line_pairs_mismatch_names_file_line(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("tbe||@@||the\nno separator here\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"p\.txt:2"):
        read_line_pairs(f)


def test_icdar_malformed(tmp_path):
    f = tmp_path / "1.txt"
    f.write_text("[OCR_toInput] ab\n[OCR_aligned] ab\n[ GS_aligned] abc\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"1\.txt:2-3.*E702|E702.*1\.txt:2-3"):
        read_icdar2019(f)
    f.write_text("[OCR_toInput] ab\n[GS_aligned] ab\n", encoding="utf-8")
    with pytest.raises(FormatError, match=r"1\.txt:2"):
        read_icdar2019(f)


def test_icdar_parse(tmp_path):
    f = tmp_path / "2.txt"
    f.write_text("[OCR_toInput] tbe cat\n[OCR_aligned] tbe@ cat#\n[ GS_aligned] the@ c@t.\n",
                 encoding="utf-8")
    pair = read_icdar2019(f)
    assert pair.ocr == ("tbe cat#",) and pair.gold == ("the ct.",)
    f.write_text("[OCR_toInput] tbe\n[OCR_aligned] tbe#x\n[ GS_aligned] the#y\n", encoding="utf-8")
    pair = read_icdar2019(f)
    assert pair.ocr == ("tbex",) and pair.gold == ("they",) and pair.excluded_characters == 1


def test_missing_file():
    with pytest.raises(InputError, match="E704"):
        read_icdar2019("/nonexistent/x.txt")
    with pytest.raises(InputError, match="E704"):
        list(iter_pairs("/nonexistent/dir"))


# ---------------------------------------------------------------- noise model
def _clean_text():
    p = ICDAR / "NL1" / "1.txt"
    if p.exists():
        return read_icdar2019(p).gold[0]
    rng = random.Random(3)
    words = "the modern harbour of amsterdam is a good place to sail and to dock".split()
    return " ".join(rng.choice(words) for _ in range(400))


@pytest.mark.parametrize("target", [0.01, 0.03, 0.05, 0.1, 0.2])
def test_noise_model_hits_target_cer(target):
    text = _clean_text()
    model = NoiseModel.default()
    for seed in range(3):
        noisy, edits = model.apply(text, cer=target, seed=seed)
        assert apply_edits(text, edits) == noisy
        assert abs(jiwer.cer(text, noisy) - target) <= 0.1 * target
        assert all(s <= e for s, e, _ in edits)
        assert all(a[1] <= b[0] for a, b in zip(edits, edits[1:]))


def test_learned_noise_model_roundtrip_and_target(tmp_path):
    gold = [_clean_text()] * 3
    noisy = [NoiseModel.default().apply(g, cer=0.08, seed=i)[0] for i, g in enumerate(gold)]
    res = compare(gold, noisy)
    path = tmp_path / "nm.json"
    res.noise_model.to_json(path)
    model = NoiseModel.from_json(path)
    assert model.substitutions and model.insertion_rate >= 0
    for c in (0.02, 0.1):
        out, _ = model.apply(gold[0], cer=c, seed=1)
        assert abs(cer(gold[0], out) - c) <= 0.1 * c
    out1, e1 = model.apply(gold[0], cer=0.05, seed=7)
    out2, e2 = model.apply(gold[0], cer=0.05, seed=7)
    assert out1 == out2 and e1 == e2


def test_noise_model_bad_input(tmp_path):
    with pytest.raises(InputError, match="E708"):
        NoiseModel.default().apply("abc", cer=1.5)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(InputError, match="E707"):
        NoiseModel.from_json(bad)
    assert NoiseModel.default().apply("abc", cer=0.0) == ("abc", [])


def test_docs_ocr_examples_run(tmp_path, monkeypatch):
    import re
    from pathlib import Path
    monkeypatch.chdir(tmp_path)  # the noise-model example writes noise.json
    text = (Path(__file__).resolve().parents[1] / "docs" / "ocr.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 4
    ns: dict = {}
    for block in blocks:
        exec(block, ns)  # noqa: S102 - our own documentation
    assert (tmp_path / "noise.json").exists()


def test_exported_noise_model_is_a_perturbation_table(tmp_path):
    from nlperr.perturb.catalog import _load_table
    res = compare(["the modern harbour is good"] * 3, ["tbe rnodern harbour is goal"] * 3)
    path = tmp_path / "nm.json"
    res.noise_model.to_json(path)
    rows = _load_table(str(path))
    assert ("m", "rn", 1.0) in rows and ("h", "b", 0.5) in rows
    assert NoiseModel.from_json(path).substitutions == res.noise_model.substitutions
