"""``nlperr ocr`` -- OCR-noise diagnostics.

* ``nlperr ocr stats FILE_OR_DIR... [--reference CLEAN] [--lexicon FILE] --out DIR``
* ``nlperr ocr compare (--ocr X --gold Y | --pairs P) --out DIR [--noise-model FILE]``

Both write a result folder (``DIR/summary.json``, ``result.json``, ``summary.md``
and CSV tables; ``--html`` adds ``report.html``), which ``nlperr report`` and
:func:`nlperr.results.load` read back.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ._output import (add_encoding_arguments, add_overwrite_argument, check_output_dir,
                      check_output_file, encoding_options, record_written)
from ._engine import add_engine_options, engine_options

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("ocr", help="OCR-noise diagnostics (stats without gold, compare with gold)")
    sub = p.add_subparsers(dest="ocr_command", metavar="OCR_COMMAND")
    st = sub.add_parser("stats", help="statistics without ground truth")
    st.add_argument("inputs", nargs="+", metavar="FILE_OR_DIR",
                    help="OCR text files, or folders of *.txt / HIPE *.tsv files (ICDAR 2019 "
                         "files give their raw OCR, HIPE files one text per document)")
    st.add_argument("--reference", nargs="+", metavar="CLEAN_FILE_OR_DIR",
                    help="clean text of the same kind (growth baseline, near-miss targets, "
                         "trigram model); ICDAR 2019 files given here give their gold text")
    st.add_argument("--lexicon", metavar="FILE", help="word list, one word per line")
    st.add_argument("--spacy-vocab", metavar="NAME", help="use a spaCy pipeline's vocabulary as lexicon")
    st.add_argument("--tokenizer", metavar="PATH", help="Hugging Face tokenizer for subword fragmentation")
    st.add_argument("--growth-step", type=int, default=10_000, help="tokens between vocabulary-growth rows")
    st.add_argument("--out", required=True, metavar="DIR")
    st.add_argument("--no-progress", action="store_true")
    st.add_argument("--html", action="store_true", help="also write DIR/report.html")
    add_encoding_arguments(st)
    add_overwrite_argument(st)
    add_engine_options(st, gpus=False)
    st.set_defaults(func=_stats)
    cp = sub.add_parser("compare", help="OCR vs gold: CER/WER, confusions, noise model")
    cp.add_argument("--ocr", metavar="FILE_OR_DIR", help="OCR text files (paired with --gold by name)")
    cp.add_argument("--gold", metavar="FILE_OR_DIR", help="gold text files")
    cp.add_argument("--pairs", nargs="+", metavar="FILE_OR_DIR",
                    help="ICDAR 2019 files or line-aligned pair files (auto-detected)")
    cp.add_argument("--lexicon", metavar="FILE", help="word list for real-word errors (default: gold vocabulary)")
    cp.add_argument("--noise-model", metavar="FILE", help="write the learned noise model (JSON) here")
    cp.add_argument("--out", required=True, metavar="DIR")
    cp.add_argument("--no-progress", action="store_true")
    cp.add_argument("--html", action="store_true", help="also write DIR/report.html")
    add_encoding_arguments(cp)
    add_overwrite_argument(cp)
    cp.set_defaults(func=_compare)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _save(res: Any, args: argparse.Namespace) -> None:
    res.save(args.out, formats=("json", "csv", "md") + (("html",) if args.html else ()))


def _rate(value: Any) -> str:
    """An error rate for the summary line; undefined (no gold text) prints as n/a."""
    return "n/a" if value is None else f"{value:.4f}"


def _stats(args: argparse.Namespace) -> int:
    from ..errors import Errors, InputError
    from ..ocr.lexicon import Lexicon
    from ..ocr.readers import iter_texts
    from ..ocr.stats import Reference, corpus_stats
    if args.lexicon and args.spacy_vocab:
        raise InputError(Errors.E401.format(
            where="nlperr ocr stats", message="pass --lexicon FILE or --spacy-vocab NAME, not "
                                              "both (the lexicon is one word list)"))
    check_output_dir(args.out, inputs=[*args.inputs, *(args.reference or []), args.lexicon],
                     overwrite=args.overwrite)
    enc = encoding_options(args)
    lexicon = (Lexicon.from_file(args.lexicon, **enc) if args.lexicon else
               Lexicon.from_spacy(args.spacy_vocab) if args.spacy_vocab else None)
    reference = (Reference.from_texts((t for _, t in iter_texts(args.reference, icdar_side="gold",
                                                                **enc)),
                                      growth_step=args.growth_step, **engine_options(args))
                 if args.reference else None)
    if lexicon is None and reference is not None and reference.tokens:
        # no word list given: the clean reference's vocabulary is the lexicon
        lexicon = Lexicon.from_words(reference.words, source="reference vocabulary")
    res = corpus_stats(iter_texts(args.inputs, **enc), reference=reference, lexicon=lexicon,
                       tokenizer=args.tokenizer, growth_step=args.growth_step,
                       progress=False if args.no_progress else None, **engine_options(args))
    out = Path(args.out)
    _save(res, args)
    s = res.summary
    oov = (f"OOV rate {s['oov_rate']:.4f} (lexicon: {s['lexicon']})" if s["oov_rate"] is not None
           else "no OOV rate (pass --lexicon, --spacy-vocab or --reference)")
    print(f"nlperr ocr stats: {s['documents']} documents, {s['tokens']} tokens, "
          f"garbage rate {s['garbage_rate'] or 0:.4f}, {oov}, "
          f"{s['near_miss_variants']} near-miss variants -> {out}/summary.json and CSV tables")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from ..errors import Errors, InputError
    from ..ocr.compare import compare_pairs
    from ..ocr.lexicon import Lexicon
    from ..ocr.readers import iter_folder_pairs, iter_pairs
    given = [f"--{k}" for k in ("pairs", "ocr", "gold") if getattr(args, k)]
    if (args.pairs and (args.ocr or args.gold)) or (not args.pairs and len(given) < 2):
        raise InputError(Errors.E401.format(
            where="nlperr ocr compare",
            message=f"got {' and '.join(given) or 'no input'}; pass either --pairs "
                    "FILE_OR_DIR... (ICDAR 2019 or line-aligned pair files), or both --ocr "
                    "FILE_OR_DIR and --gold FILE_OR_DIR (text files paired by name), e.g. "
                    "nlperr ocr compare --ocr ocr/ --gold gold/ --out report/"))
    inputs = [*(args.pairs or []), args.ocr, args.gold, args.lexicon]
    check_output_dir(args.out, inputs=inputs, overwrite=args.overwrite)
    check_output_file(args.noise_model, option="--noise-model", inputs=inputs,
                      overwrite=args.overwrite)
    enc = encoding_options(args)
    if args.pairs:
        pairs = iter_pairs(args.pairs, **enc)
    else:
        pairs = iter_folder_pairs(args.gold, args.ocr, **enc)
    lexicon = Lexicon.from_file(args.lexicon, **enc) if args.lexicon else None
    res = compare_pairs(pairs, lexicon=lexicon, progress=False if args.no_progress else None)
    out = Path(args.out)
    _save(res, args)
    if args.noise_model:
        res.noise_model.to_json(args.noise_model)
        record_written(args.noise_model)
    print(f"nlperr ocr compare: {res.summary['documents']} documents, CER {_rate(res.summary['cer'])}, "
          f"WER {_rate(res.summary['wer'])} -> {out}/summary.json and CSV tables"
          + (f"; noise model -> {args.noise_model}" if args.noise_model else ""))
    return 0
