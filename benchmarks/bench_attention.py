"""Attention summaries and occlusion: cost against the bare framework calls.

* Per-head summaries (``nlperr.attention.head_summary``) of MiniLM-L6 (real
  weights, seeded token-classification head, 6 x 12 heads) over N sentences
  (WNUT-17 dev+test, default 1,000) vs the bare eager forward pass with
  ``output_attentions=True`` on the same batches (the same padded id tensors,
  built once outside the timing).  Goal: ratio <= 1.3.
* Memory: peak RSS growth of ``head_summary`` over N/4 sentences, then over
  the same sentences repeated 4 times (same batch shapes, 4x the data): flat,
  the accumulator keeps (9, layers, heads) sums, never the tensors.
* Occlusion (``nlperr.explain.occlusion``, HF adapter, no cache at first): the
  number of forward passes and unique variants vs a bare ``Predictor.predict``
  of the same unique occluded texts; then a rerun with the cache (0 computed).

Run ``python benchmarks/bench_attention.py [--limit N] [--threads T] [--markdown]``;
prints ratios and the conditions (threads, load average).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import (Markdown, add_markdown_option, faster, interleaved,  # noqa: E402
                           minilm_token_classifier, wnut_sentences)


def _batches(adapter, examples, batch_size):
    """The padded inputs iter_attention builds, built once (for the bare reference)."""
    import numpy as np
    import torch

    from nlperr.attention.capture import encode_examples

    rows = []
    for ids, _, _, _, spans in encode_examples(adapter, examples):
        rows.extend(ids[a:b] for a, b in spans)
    rows.sort(key=len)
    pre, suf = list(adapter._prefix), list(adapter._suffix)
    out = []
    for s in range(0, len(rows), batch_size):
        part = rows[s:s + batch_size]
        n = max(len(r) for r in part) + len(pre) + len(suf)
        ids = np.full((len(part), n), adapter._pad_id, dtype=np.int64)
        mask = np.zeros((len(part), n), dtype=np.int64)
        for i, r in enumerate(part):
            seq = pre + r + suf
            ids[i, :len(seq)] = seq
            mask[i, :len(seq)] = 1
        out.append({"input_ids": torch.from_numpy(ids), "attention_mask": torch.from_numpy(mask),
                    "token_type_ids": torch.zeros((len(part), n), dtype=torch.long)})
    return out


def bench_heads(adapter, examples, batch_size, repeat, md):
    import torch

    from nlperr.attention import head_summary

    model = adapter.model
    batches = _batches(adapter, examples, batch_size)
    model.set_attn_implementation("eager")

    def bare():
        with torch.inference_mode():
            for b in batches:
                model(**b, output_attentions=True)

    def ours():
        head_summary(adapter, examples, batch_size=batch_size)

    t = interleaved({"bare eager forward (output_attentions)": bare,
                     "head_summary": ours}, repeat=repeat)
    ratio = t["head_summary"] / t["bare eager forward (output_attentions)"]
    for k, v in t.items():
        print(f"  {k:42s} {v:8.3f} s")
    print(f"  ratio head_summary / bare = {ratio:.3f}  (goal <= 1.3)")
    md.row(f"`head_summary` (MiniLM-L6, 6 x 12 heads) vs the bare eager forward pass with "
           f"`output_attentions=True` on the same batches, {len(examples)} sentences",
           f"{ratio:.2f}x the bare time ({t['head_summary']:.2f} s vs "
           f"{t['bare eager forward (output_attentions)']:.2f} s)", "<= 1.3x")
    return ratio


def bench_memory(adapter, examples, batch_size, md):
    from nlperr.attention import head_summary

    def peak_growth(exs):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        head_summary(adapter, exs, batch_size=batch_size)
        return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024

    # the large corpus repeats the small one 4 times: the same batch shapes, 4x the data,
    # so any growth of the peak would come from keeping per-example state
    small = examples[: max(1, len(examples) // 4)]
    first = peak_growth(small)
    large = peak_growth(small * 4)
    print(f"  peak RSS growth: first run on {len(small)} sentences {first:.1f} MiB, then "
          f"{4 * len(small)} sentences (the same 4 times) {large:.1f} MiB (flat = ~0)")
    md.row(f"`head_summary` peak RSS growth: first run on {len(small)} sentences, then on "
           f"those repeated 4 times ({4 * len(small)})", f"{first:.1f} MiB, then {large:.1f} MiB",
           "flat (~0 on the second run)")


def bench_occlusion(folder, examples, batch_size, md):
    from nlperr.engine import PredictionCache, Predictor
    from nlperr.explain import occlusion
    from nlperr.explain.occlusion import _occlude, _words

    cache_dir = tempfile.mkdtemp(prefix="nlperr-bench-occ-")
    os.environ["NLPERR_CACHE_DIR"] = cache_dir
    gold = [ex.copy(spans=()) for ex in examples]  # every predicted entity is an "error"
    t0 = time.perf_counter()
    res = occlusion("hf:" + folder, gold, batch_size=batch_size)
    t_occ = time.perf_counter() - t0
    s = res.summary
    # bare: predict the same unique occluded texts once, no cache
    needed = sorted(set(res.tables["cases"]["example"]))
    variants = []
    for i in needed:
        words = _words(gold[i])
        variants.extend(_occlude(gold[i], words, k, "remove", "")[0] for k in range(len(words)))
    uniq = list({(v.text, v.tokens): v for v in variants}.values())
    p = Predictor("hf:" + folder, cache=PredictionCache(":memory:"), batch_size=batch_size)
    p.predict(gold[:1])
    t0 = time.perf_counter()
    p.predict(uniq)
    t_bare = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = occlusion("hf:" + folder, gold, batch_size=batch_size)
    t_again = time.perf_counter() - t0
    print(f"  cases {s['cases']}, variants {s['variants']}, unique {s['unique_variants']}, "
          f"computed {s['computed']}, forward passes {s['forward_passes']} "
          f"(ceil(unique / batch) = {-(-s['unique_variants'] // batch_size)})")
    print(f"  occlusion {t_occ:.2f} s (includes predicting the originals) vs bare predict of "
          f"the unique variants {t_bare:.2f} s: ratio {t_occ / t_bare:.2f}")
    print(f"  rerun: cache hits {again.summary['cache_hits']}, computed "
          f"{again.summary['computed']}, {t_again:.2f} s")
    md.row(f"`occlusion` (HF token classifier, {len(examples)} sentences, {s['cases']} cases) "
           f"vs a bare `Predictor.predict` of its unique occluded texts",
           f"{t_occ / t_bare:.2f}x the bare time ({t_occ:.2f} s, includes predicting the "
           f"originals, vs {t_bare:.2f} s); {s['forward_passes']} forward passes for "
           f"{s['unique_variants']} unique of {s['variants']} variants",
           "~1x; ceil(unique / batch) passes")
    md.row("`occlusion` rerun with the cache",
           f"{again.summary['cache_hits']} cache hits, {again.summary['computed']} computed, "
           f"{t_again:.2f} s ({faster(t_occ, t_again)} than the first run)", "0 computed")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--occlusion-limit", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3)
    add_markdown_option(ap)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    import torch

    from nlperr import Example
    from nlperr.adapters import load_model

    if args.threads:
        torch.set_num_threads(args.threads)
    sents, source = wnut_sentences(args.limit)
    examples = [Example.from_tokens(s) for s in sents]
    folder = minilm_token_classifier()
    adapter = load_model("hf:" + folder, batch_size=args.batch_size)
    md = Markdown(__file__, args.markdown)
    print(f"conditions: {len(examples)} sentences ({source}), batch {args.batch_size}, torch "
          f"threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.2f}, "
          f"cpus {os.cpu_count()}")
    print("per-head summaries (MiniLM-L6, 6 x 12 heads):")
    bench_heads(adapter, examples, args.batch_size, args.repeat, md)
    print("memory:")
    bench_memory(adapter, examples, args.batch_size, md)
    print(f"occlusion ({args.occlusion_limit} sentences, HF token classifier):")
    bench_occlusion(folder, examples[: args.occlusion_limit], args.batch_size, md)
    md.emit(data=f"{len(examples)} unique sentences ({source}), batch {args.batch_size}; "
                 f"occlusion on the first {min(args.occlusion_limit, len(examples))}",
            runs=f"heads: best of {args.repeat} interleaved runs; memory, occlusion: one run")


if __name__ == "__main__":
    main()
