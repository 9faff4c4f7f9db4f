"""Merge equivalence of the data check's split comparison: SplitCounts of shards, merged
in order, give exactly the split_mismatch tables of the whole splits."""

import math
import random

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlperr.data import Example
from nlperr.quality.splits import SplitCounts, split_mismatch

_WORDS = ["Paris", "the", "cat", "Bob", "x1", "é", "naïve", "New", "York", "!"]


def _split(seed: int, n: int, docs: int) -> list[Example]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        k = rng.randint(1, 8)
        toks = [rng.choice(_WORDS) for _ in range(k)]
        tags = [rng.choice(["O", "O", "B-PER", "B-LOC"]) for _ in range(k)]
        meta = {"doc_id": f"d{i * docs // max(n, 1)}"} if docs else {}
        out.append(Example.from_tokens(toks, tags, id=f"{seed}:{i}", meta=meta))
    return out


def _merged(exs, cuts, task):
    acc = SplitCounts()
    for a, b in zip(cuts, cuts[1:]):
        acc.merge(SplitCounts.from_examples(exs[a:b], task))
    return acc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), docs=st.sampled_from([0, 3]), data=st.data())
def test_split_counts_merged_equal_the_whole(seed, docs, data):
    splits = {"train": _split(seed, 30, docs), "dev": _split(seed + 1, 12, docs),
              "test": _split(seed + 2, 17, docs)}
    whole_t, whole_s = split_mismatch(splits)
    counts = {}
    for name, exs in splits.items():
        n = len(exs)
        cuts = [0, *sorted(data.draw(st.lists(st.integers(0, n), max_size=4), label=name)), n]
        counts[name] = _merged(exs, cuts, "ner")
    got_t, got_s = split_mismatch(counts)
    for t in whole_t:
        pd.testing.assert_frame_equal(got_t[t], whole_t[t], check_exact=True, obj=t)
    for split, vals in whole_s.items():
        for k, v in vals.items():
            w = got_s[split][k]
            assert w == v or (math.isnan(w) and math.isnan(v)), (split, k)


def test_split_counts_of_real_corpora(shared_data):
    from nlperr.io import read_conll
    w = shared_data / "wnut17"
    splits = {"train": read_conll(w / "wnut17train.conll"),
              "test": read_conll(w / "emerging.test.annotated")}
    whole_t, _ = split_mismatch(splits)
    counts = {k: _merged(v, [0, len(v) // 3, len(v) // 2, len(v)], "ner")
              for k, v in splits.items()}
    got_t, _ = split_mismatch(counts)
    for t in whole_t:
        pd.testing.assert_frame_equal(got_t[t], whole_t[t], check_exact=True, obj=t)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_train_indexes_merged_equal_the_whole(seed, data):
    from nlperr.analysis import train_stats
    from nlperr.quality import entity_overlap, exact_duplicates
    from nlperr.quality.leakage import TextIndex
    rng = random.Random(seed)
    train = _split(seed, 40, 0)
    for i in range(0, 40, 3):  # some without ids, some copies
        train[i] = Example.from_tokens([rng.choice(_WORDS)], ["B-PER"], id=None)
    test = _split(seed + 5, 25, 0) + train[::4]
    cuts = [0, *sorted(data.draw(st.lists(st.integers(0, 40), max_size=4), label="cuts")), 40]
    idx, stats = TextIndex(), None
    for a, b in zip(cuts, cuts[1:]):
        idx.merge(TextIndex.from_examples(train[a:b]))
        part = train_stats([e for e in train[a:b] if e.spans])
        stats = part if stats is None else stats.merge(part)
    pd.testing.assert_frame_equal(exact_duplicates(idx, test), exact_duplicates(train, test),
                                  check_exact=True)
    for got, want in zip(entity_overlap(stats, test), entity_overlap(train, test)):
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    whole = train_stats(train)
    merged = train_stats(train[:cuts[1]])
    for a, b in zip(cuts[1:], cuts[2:]):
        merged.merge(train_stats(train[a:b]))
    assert merged == whole


# --- the annotation-consistency and cue-word counts --------------------------------------

def _cuts(data, n, label="cuts"):
    return [0, *sorted(data.draw(st.lists(st.integers(0, n), max_size=4), label=label)), n]


def _ner_corpus(seed: int, n: int) -> list[Example]:
    """Short sentences over a small vocabulary, so surfaces and contexts repeat with
    different tags; every third example has no id (positional ids are named)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        k = rng.randint(1, 7)
        toks = [rng.choice(_WORDS) for _ in range(k)]
        tags, p = [], 0
        while p < k:
            r = rng.random()
            if r < 0.25 and p + 1 < k:
                lab = rng.choice(["PER", "LOC"])
                tags += [f"B-{lab}", f"I-{lab}"]
                p += 2
            elif r < 0.5:
                tags.append(f"B-{rng.choice(['PER', 'LOC', 'ORG'])}")
                p += 1
            else:
                tags.append("O")
                p += 1
        out.append(Example.from_tokens(toks, tags, id=None if i % 3 == 0 else f"s{seed}:{i}"))
    return out


def _ner_counts(exs, cuts, window=1):
    from nlperr.quality import CueCounts, MentionIndex, MentionScan, TagIndex, TagScan
    parts = [exs[a:b] for a, b in zip(cuts, cuts[1:])]
    cues, mi, ti = CueCounts("ner", window), MentionIndex(), TagIndex(window)
    for p in parts:
        cues.merge(CueCounts.from_examples(p, task="ner", window=window))
        mi.merge(MentionIndex.from_examples(p))
        ti.merge(TagIndex.from_examples(p, window=window))
    ms, ts = MentionScan(), TagScan(window)
    for p in parts:  # the second pass needs the merged first pass
        ms.merge(mi.scan(p))
        ts.merge(ti.scan(p))
    return cues, (mi, ms), (ti, ts)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), window=st.integers(0, 2), data=st.data())
def test_consistency_and_cue_counts_merged_equal_the_whole(seed, window, data):
    from nlperr.quality import cue_words, inconsistent_mentions, inconsistent_tags
    exs = _ner_corpus(seed, 45)
    cues, mentions, tags = _ner_counts(exs, _cuts(data, len(exs)), window)
    pd.testing.assert_frame_equal(cue_words(cues, min_count=2, split="x"),
                                  cue_words(exs, min_count=2, window=window, split="x"),
                                  check_exact=True)
    pd.testing.assert_frame_equal(inconsistent_mentions(mentions, split="x"),
                                  inconsistent_mentions(exs, split="x"), check_exact=True)
    for m in (1, 2):
        pd.testing.assert_frame_equal(
            inconsistent_tags(tags, split="x", min_occurrences=m),
            inconsistent_tags(exs, split="x", window=window, min_occurrences=m),
            check_exact=True)


def _cls_corpus(seed: int, n: int) -> list[Example]:
    rng = random.Random(seed)
    base = [" ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 6))) for _ in range(8)]
    out = []
    for i in range(n):
        text = rng.choice(base)
        if rng.random() < 0.3:  # a near copy: one word changed, or case and spaces
            ws = text.split()
            ws[rng.randrange(len(ws))] = rng.choice(_WORDS)
            text = " ".join(ws) if rng.random() < 0.5 else text.upper().replace(" ", "  ")
        label = rng.choice(["pos", "neg", "neu"]) if rng.random() < 0.9 else None
        out.append(Example(text, label=label, id=None if i % 4 == 0 else f"c{i}"))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), data=st.data())
def test_label_groups_and_cls_cues_merged_equal_the_whole(seed, data):
    from nlperr.quality import CueCounts, LabelGroups, cue_words, inconsistent_labels
    exs = _cls_corpus(seed, 50)
    cuts = _cuts(data, len(exs))
    groups, cues = LabelGroups(), CueCounts("classification")
    for a, b in zip(cuts, cuts[1:]):
        groups.merge(LabelGroups.from_examples(exs[a:b]))
        cues.merge(CueCounts.from_examples(exs[a:b], task="classification"))
    for near in (True, False):
        pd.testing.assert_frame_equal(inconsistent_labels(groups, near=near, threshold=0.6),
                                      inconsistent_labels(exs, near=near, threshold=0.6),
                                      check_exact=True)
    pd.testing.assert_frame_equal(cue_words(cues, min_count=2), cue_words(exs, min_count=2),
                                  check_exact=True)


def test_consistency_counts_of_real_corpora(shared_data):
    """WNUT-17 train + test in three shards: the data check's consistency and cue tables."""
    from nlperr.io import read_conll
    from nlperr.quality import cue_words, inconsistent_mentions, inconsistent_tags
    w = shared_data / "wnut17"
    exs = read_conll(w / "wnut17train.conll") + read_conll(w / "emerging.test.annotated")
    n = len(exs)
    cues, mentions, tags = _ner_counts(exs, [0, n // 3, n // 2, n], window=3)
    whole = inconsistent_mentions(exs)
    assert len(whole) > 50
    pd.testing.assert_frame_equal(inconsistent_mentions(mentions), whole, check_exact=True)
    _, _, tags1 = _ner_counts(exs, [0, n // 4, n], window=1)
    pd.testing.assert_frame_equal(inconsistent_tags(tags1), inconsistent_tags(exs),
                                  check_exact=True)
    pd.testing.assert_frame_equal(cue_words(cues), cue_words(exs, window=3), check_exact=True)


def test_counts_with_other_settings_do_not_merge():
    import pytest

    from nlperr.errors import InputError
    from nlperr.quality import CueCounts, TagIndex, TagScan
    exs = _ner_corpus(1, 5)
    with pytest.raises(InputError, match=r"E1057.*window=3.*window=1"):
        CueCounts.from_examples(exs, task="ner").merge(
            CueCounts.from_examples(exs, task="ner", window=1))
    with pytest.raises(InputError, match=r"E1057.*task='ner'.*task='classification'"):
        CueCounts("ner").merge(CueCounts("classification"))
    with pytest.raises(InputError, match="E1057"):
        TagIndex(1).merge(TagIndex(2))
    with pytest.raises(InputError, match="E1057"):
        TagScan(1).merge(TagScan(0))
    with pytest.raises(InputError, match="E950"):
        CueCounts("ner", window=-1)


# --- the whole data check over streams (check_data_stream, nlperr data check --stream) ----

def _assert_same_result(got, want):
    assert got.summary == want.summary
    assert [str(f) for f in got.findings] == [str(f) for f in want.findings]
    assert sorted(got.tables) == sorted(want.tables)
    for name in want.tables:
        pd.testing.assert_frame_equal(got.tables[name], want.tables[name], check_exact=True,
                                      obj=name)


def _with_copies(seed: int, train, test):
    """Test data with exact and near copies of train examples (leakage to find)."""
    rng = random.Random(seed)
    out = list(test)
    for e in rng.sample(train, min(5, len(train))):
        out.append(Example.from_tokens([t.text for t in e.tokens],
                                       ["O"] * len(e.tokens), id=None))
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), chunk=st.integers(1, 50), dev=st.booleans())
def test_streamed_data_check_equals_check_data_ner(seed, chunk, dev):
    from nlperr.quality import check_data, check_data_stream
    train = _ner_corpus(seed, 40)
    test = _with_copies(seed, train, _ner_corpus(seed + 1, 25))
    dv = _ner_corpus(seed + 2, 12) if dev else None
    want = check_data(train, test, dev=dv, cue_min_count=2, window=1)
    got = check_data_stream(lambda: iter(train), test, dev=dv, chunk_size=chunk,
                            cue_min_count=2, window=1)
    _assert_same_result(got, want)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), chunk=st.integers(1, 50))
def test_streamed_data_check_equals_check_data_classification(seed, chunk):
    from nlperr.quality import check_data, check_data_stream
    train = [e for e in _cls_corpus(seed, 50) if e.label is not None]
    test = _cls_corpus(seed + 1, 30) + train[:4]
    want = check_data(train, test, cue_min_count=2, near_threshold=0.5)
    got = check_data_stream(train, lambda: iter(test), chunk_size=chunk, cue_min_count=2,
                            near_threshold=0.5)
    _assert_same_result(got, want)


def test_streamed_data_check_needs_two_readable_passes():
    import pytest

    from nlperr.errors import InputError
    from nlperr.quality import check_data_stream
    train, test = _ner_corpus(1, 10), _ner_corpus(2, 5)
    with pytest.raises(InputError, match=r"E1058.*train.*fresh iterator"):
        check_data_stream(iter(train), test)
    reads = []

    def shrinking():  # a source that gives fewer examples the second time
        reads.append(1)
        return iter(test if len(reads) == 1 else test[:3])
    with pytest.raises(InputError, match=r"E1059.*test.*5.*3"):
        check_data_stream(train, shrinking)
    with pytest.raises(InputError, match=r"E954.*test"):
        check_data_stream(train, [])
    with pytest.raises(InputError, match="E207"):
        check_data_stream(train, test, chunk_size=0)


def test_cli_data_check_stream_writes_the_same_files(shared_data, tmp_path, capsys):
    """WNUT-17 train / dev / test as files: the streamed check writes the same tables."""
    from nlperr.cli import main
    w = shared_data / "wnut17"
    args = ["data", "check", "--train", str(w / "wnut17train.conll"), "--dev",
            str(w / "emerging.dev.conll"), "--test", str(w / "emerging.test.annotated"),
            "--format", "conll"]
    assert main([*args, "--out", str(tmp_path / "whole")]) == 0
    assert main([*args, "--stream", "--chunk-size", "700", "--out",
                 str(tmp_path / "streamed")]) == 0
    written = sorted(p.name for p in (tmp_path / "whole").glob("*.csv"))
    assert len(written) >= 8
    assert sorted(p.name for p in (tmp_path / "streamed").glob("*.csv")) == written
    for name in written:
        assert (tmp_path / "streamed" / name).read_bytes() == \
            (tmp_path / "whole" / name).read_bytes(), name
    import json
    a = json.loads((tmp_path / "whole" / "summary.json").read_text())
    b = json.loads((tmp_path / "streamed" / "summary.json").read_text())
    assert a == b
    capsys.readouterr()


def test_cli_data_check_stream_refuses_files_read_whole(tmp_path, capsys):
    from nlperr.cli import main
    docbin = tmp_path / "train.spacy"
    docbin.write_bytes(b"not read")
    assert main(["data", "check", "--stream", "--train", str(docbin), "--test", str(docbin),
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--stream" in err and "spacy" in err


def test_cli_data_check_streams_hipe_files(tmp_path):
    """HIPE files are streamed (iter_hipe): the same outputs as the whole read."""
    from nlperr.cli import main
    rows = ["TOKEN\tNE-COARSE-LIT\tMISC"]
    for d in range(30):
        rows += [f"# hipe2022:document_id = d{d}", f"Paris{d % 4}\tB-loc\t_",
                 "visited\tO\t_", f"Rome{d % 3}\t{'B-pers' if d % 5 else 'B-loc'}\t_", ""]
    train, test = tmp_path / "train.tsv", tmp_path / "test.tsv"
    train.write_text("\n".join(rows) + "\n", encoding="utf-8")
    test.write_text("\n".join(rows[:26]) + "\n", encoding="utf-8")
    outs = []
    for extra in ([], ["--stream", "--chunk-size", "7", "--no-progress"]):
        out = tmp_path / f"o{len(extra)}"
        assert main(["data", "check", "--train", str(train), "--test", str(test),
                     "--out", str(out), *extra]) == 0
        outs.append({f.name: f.read_bytes() for f in sorted(out.iterdir())})
    assert outs[0] == outs[1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), ngram=st.integers(1, 2), data=st.data())
def test_shingle_stores_merged_give_the_near_duplicates(seed, ngram, data):
    """Shards made with their own vocabularies, merged in order: the pairs (and Jaccard)
    of near_duplicates on the whole texts."""
    from nlperr.quality import ShingleStore, near_duplicates, near_pairs
    train = [e for e in _cls_corpus(seed, 40)]
    test = _cls_corpus(seed + 1, 25) + train[:3]

    def store(exs, cuts):
        acc = ShingleStore({})
        for a, b in zip(cuts, cuts[1:]):
            part = ShingleStore({})
            part.add_texts((e.text for e in exs[a:b]), ngram=ngram)
            acc.merge(part)
        return acc
    sa = store(train, _cuts(data, len(train), "train"))
    sb = store(test, _cuts(data, len(test), "test"))
    cols = ["index", "train_index", "jaccard"]
    for got, want in ((near_pairs(sa, sb, threshold=0.5),
                       near_duplicates(train, test, threshold=0.5, ngram=ngram)),
                      (near_pairs(sa, threshold=0.5),
                       near_duplicates(train, threshold=0.5, ngram=ngram))):
        assert len(want) > 0
        pd.testing.assert_frame_equal(got, want[cols], check_exact=True)
