"""``nlperr suite``: run, list, generate and import behavioral test suites.

Exit codes of ``nlperr suite run``: 0 when no test failed (every test evaluated
at least ``min_cases`` cases and meets its minimum pass rate) and (with
``--baseline``) no regression is significant; 1 otherwise -- a test that
evaluated no case fails, with the reason, unless ``--allow-empty`` reports it
as skipped; 2 on usage or input errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._output import (add_encoding_arguments, add_overwrite_argument, check_output_file,
                      encoding_options, record_written)
from ._engine import add_engine_options, engine_options

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("suite", help="behavioral test suites (MFT/INV/DIR)",
                              description="Run, list, generate and import behavioral test suites.")
    sub = p.add_subparsers(dest="suite_command", metavar="ACTION")
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])

    r = sub.add_parser("run", help="run a suite on a model (CI mode)")
    r.add_argument("suite", help="suite file (YAML/JSON) or shipped suite name (see `nlperr suite list`)")
    r.add_argument("--model", required=True, help="model spec: spacy:NAME, hf:PATH, callable:module:function")
    r.add_argument("--baseline", help="baseline model spec: fail on significant regressions")
    r.add_argument("--json", dest="json_out", metavar="FILE", help="write the JSON report")
    r.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    r.add_argument("--seed", type=int, default=None, help="override the suite seed")
    r.add_argument("--data", metavar="FILE", help="inputs for INV/DIR tests (any format nlperr.io.load reads)")
    r.add_argument("--data-format", default=None, help="format of --data when the extension is ambiguous")
    r.add_argument("--cases", metavar="FILE", help="re-run a case file from `nlperr suite generate`")
    r.add_argument("--alpha", type=float, default=0.05, help="significance level of McNemar's test")
    r.add_argument("--min-cases", type=int, default=None, metavar="N",
                   help="a test (without its own min_cases) that evaluates fewer than N cases fails "
                        "(default: the suite's min_cases, else 20; 0 turns the minimum off)")
    r.add_argument("--allow-empty", action="store_true",
                   help="report a test that evaluates no case as skipped instead of failed")
    r.add_argument("--min-pass-rate", action="append", default=None, metavar="RATE|TEST=RATE",
                   help="override min_pass_rate: one number for every test (e.g. 0.9 for an imported "
                        "CheckList suite, whose tests require 1.0), or TEST=RATE for one test; repeatable")
    r.add_argument("--neutral-band", nargs="?", const="default", default=None, metavar="LOW,HIGH",
                   help="read a binary (negative/positive) model as three-class: a positive probability "
                        "within [LOW, HIGH] is neutral (no value: CheckList's 1/3,2/3); 'off' ignores the "
                        "suite's neutral_band")
    r.add_argument("--task", default=None, help="model task (default: the suite's)")
    r.add_argument("--label-map", default=None, help="JSON object or file mapping model labels")
    r.add_argument("--batch-size", type=int, default=None)
    r.add_argument("--no-cache", action="store_true", help="do not read or write the prediction cache")
    r.add_argument("--cache-dir", default=None)
    add_engine_options(r)
    r.add_argument("--failures", metavar="FILE", help="write failing cases as CSV")
    r.add_argument("--out", metavar="DIR", default=None,
                   help="save the result (with --baseline: the comparison) as a result folder: "
                        "summary.json, result.json, summary.md, CSV tables")
    r.add_argument("--html", action="store_true",
                   help="also write DIR/report.html (one self-contained page; needs --out)")
    r.add_argument("--quiet", action="store_true", help="print only the verdict")
    add_encoding_arguments(r)
    add_overwrite_argument(r)
    r.set_defaults(func=_run)

    ls = sub.add_parser("list", help="list shipped suites and perturbations")
    ls.set_defaults(func=_list)

    g = sub.add_parser("generate", help="generate a suite's cases as JSONL (re-run with --cases)")
    g.add_argument("suite")
    g.add_argument("--out", required=True, metavar="FILE")
    g.add_argument("--seed", type=int, default=None)
    g.add_argument("--data", metavar="FILE")
    g.add_argument("--data-format", default=None)
    add_encoding_arguments(g)
    add_overwrite_argument(g)
    g.set_defaults(func=_generate)

    c = sub.add_parser("import-checklist", help="convert a CheckList suite (.tar.gz/.pkl) without executing it")
    c.add_argument("file")
    c.add_argument("--out", required=True, metavar="SUITE.json")
    c.add_argument("--name", default=None)
    c.add_argument("--min-pass-rate", type=float, default=1.0, metavar="RATE",
                   help="min_pass_rate of every imported test (default 1.0: CheckList has no thresholds)")
    c.add_argument("--neutral-band", nargs="?", const="default", default=None, metavar="LOW,HIGH",
                   help="store a neutral band in the suite, for binary models (see `suite run --neutral-band`)")
    add_overwrite_argument(c)
    c.set_defaults(func=_import)


def _parse_band(value: str | None) -> Any:
    """``--neutral-band``: None (unset), ``default`` -> True, ``off`` -> False, ``LOW,HIGH`` -> [low, high]."""
    from ..errors import Errors, InputError
    if value is None:
        return None
    if value == "default":
        return True
    if value == "off":
        return False
    parts = value.split(",")
    try:
        band = [float(x) for x in parts]
    except ValueError:
        band = None
    if band is None or len(band) != 2:
        raise InputError(Errors.E621.format(where="--neutral-band", got=value))
    return band


def _parse_rates(values: list[str] | None, suite: Any) -> dict[str, float] | None:
    """``--min-pass-rate``: ``RATE`` (every test) and/or ``TEST=RATE`` -> ``{test: rate}``
    (``TEST=RATE`` wins over ``RATE``; the rates are checked by ``run_suite``)."""
    from ..errors import Errors, InputError
    if not values:
        return None
    out: dict[str, Any] = {}
    per: dict[str, Any] = {}
    for v in values:
        name, sep, rate = v.rpartition("=")
        try:
            num = float(rate)
        except ValueError:
            raise InputError(Errors.E606.format(where="--min-pass-rate", field="value",
                                                expected="RATE or TEST=RATE with RATE in [0, 1]",
                                                got=repr(v))) from None
        if sep:
            per[name] = num
        else:
            out = {t.name: num for t in suite.tests}
    return {**out, **per}


def _load_model(spec: str, task: str, label_map: Any, args: Any = None) -> Any:
    from ..adapters import load_model
    model = load_model(spec, task=task, label_map=label_map, lazy=True)
    if args is not None and engine_options(args) != {"engine": "local"}:
        from ..engine import make_predictor
        return make_predictor(model, cache=not args.no_cache, cache_dir=args.cache_dir,
                              batch_size=args.batch_size, **engine_options(args))
    return model


def _run(args: argparse.Namespace) -> int:
    from ..errors import Errors, InputError
    from ..suites import compare_runs, generate_cases, load_cases, load_suite, run_suite
    from ..suites.report import report_dict, write_json, write_junit

    if args.alpha is not None and not 0 < args.alpha < 1:
        raise InputError(Errors.E606.format(where="--alpha", field="alpha", expected="a number in (0, 1)",
                                            got=args.alpha))
    if args.min_cases is not None and args.min_cases < 0:
        raise InputError(Errors.E606.format(where="--min-cases", field="min_cases",
                                            expected="a non-negative integer", got=args.min_cases))
    if args.html and not args.out:
        raise InputError(Errors.E606.format(where="nlperr suite run", field="--html",
                                            expected="--out DIR as well (report.html is written "
                                                     "into the result folder)", got="no --out"))
    inputs = [args.suite, args.data, args.cases]
    for opt, path in (("--json", args.json_out), ("--junit", args.junit),
                      ("--failures", args.failures)):
        check_output_file(path, option=opt, inputs=inputs, overwrite=args.overwrite)
    enc = encoding_options(args)
    suite = load_suite(args.suite, **enc)
    if args.cases and (args.data or args.seed is not None or args.data_format):
        raise InputError(Errors.E606.format(where="nlperr suite run", field="--data / --seed / --data-format",
                                            expected="unset with --cases (the case file holds generated cases; "
                                                     "pass them to `nlperr suite generate` instead)",
                                            got="both"))
    cases = load_cases(args.cases, **enc) if args.cases else generate_cases(
        suite, data=args.data, seed=args.seed, data_format=args.data_format, **enc)
    task = args.task or suite.task
    rates = _parse_rates(args.min_pass_rate, suite)
    opts = dict(cache=not args.no_cache, cache_dir=args.cache_dir, batch_size=args.batch_size,
                min_cases=args.min_cases, allow_empty=args.allow_empty, min_pass_rate=rates,
                neutral_band=_parse_band(args.neutral_band))
    result = run_suite(suite, _load_model(args.model, task, args.label_map, args), cases=cases,
                       **opts)
    comparison = compared = None
    if args.baseline:
        base = run_suite(suite, _load_model(args.baseline, task, args.label_map, args), cases=cases,
                         **opts)
        compared = compare_runs(base, result, alpha=args.alpha)
        comparison = compared.tables["comparison"]
    report = report_dict(result, comparison)
    if args.out:
        formats = ("json", "csv", "md") + (("html",) if args.html else ())
        (compared if compared is not None else result).save(args.out, formats=formats)
    if args.json_out:
        write_json(result, args.json_out, comparison)
        record_written(args.json_out)
    if args.junit:
        write_junit(result, args.junit, comparison)
        record_written(args.junit)
    if args.failures:
        from ..io._atomic import atomic_write_text
        atomic_write_text(Path(args.failures), result.failures().to_csv(index=False))
        record_written(args.failures)
    if not args.quiet:
        _print_report(result, comparison)
    counts = report["counts"]
    detail = ", ".join(f"{counts[k]} {k}" for k in ("passed", "failed", "skipped") if counts[k])
    print(f"suite {suite.name}: {'PASSED' if report['passed'] else 'FAILED'} ({detail})")
    return 0 if report["passed"] else 1


def _print_report(result: Any, comparison: Any) -> None:
    import pandas as pd
    df = result.test_table()[["name", "type", "n", "pass_rate", "ci_low", "ci_high", "fail_rate",
                              "min_pass_rate", "status"]]
    if comparison is not None:
        df = df.merge(comparison[["name", "baseline_pass_rate", "regressions", "fixes", "p_value",
                                  "significant_regression"]], on="name", how="left")
    with pd.option_context("display.max_rows", 500, "display.width", 200, "display.max_colwidth", 50):
        print(df.to_string(index=False, float_format=lambda x: f"{x:.3f}", na_rep="-"))
        notes = [t for t in result.tests if t.status != "passed"]
        if notes:
            print()
            for t in notes:
                print(f"{t.status.upper()} {t.name}: {t.message}")
        ps = result.perturbation_stats
        if not ps.empty:
            print("\nperturbations (examples seen; share left unchanged; share with an entity touched):")
            view = ps[["test", "perturbation", "n", "unchanged_rate", "touched_entity_rate"]]
            print(view.to_string(index=False, float_format=lambda x: f"{x:.2f}", na_rep="-"))
        fs = result.flip_summary()
        if not fs.empty:
            print("\nNER entity outcomes under INV perturbations (rows: type predicted on the original; "
                  "O: new spurious entities; full table: SuiteResult.flip_table()):")
            print(fs.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    s = result.prediction_stats
    if s.get("neutral_band"):
        lo, hi = s["neutral_band"]
        print(f"\nbinary model read as three-class: positive probability in [{lo:.4g}, {hi:.4g}] -> neutral")
    print(f"\npredictions: {s.get('requested', 0)} requested, {s.get('unique', 0)} unique, "
          f"{s.get('cache_hits', 0)} cache hits, {s.get('forward_passes', 0)} forward passes")


def _list(args: argparse.Namespace) -> int:
    from ..perturb import available_perturbations
    from ..suites import list_suites
    print("Shipped suites:")
    for name, desc in list_suites().items():
        print(f"  {name:16s} {desc}")
    print("\nPerturbations:")
    for name, desc in available_perturbations().items():
        print(f"  {name:16s} {desc}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from ..suites import generate_cases, load_suite, save_cases
    check_output_file(args.out, inputs=[args.suite, args.data], overwrite=args.overwrite)
    enc = encoding_options(args)
    suite = load_suite(args.suite, **enc)
    cs = generate_cases(suite, data=args.data, seed=args.seed, data_format=args.data_format, **enc)
    save_cases(cs, args.out)
    record_written(args.out)
    print(f"wrote {len(cs)} cases of {len(suite.tests)} tests to {args.out}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from ..suites.checklist import import_checklist
    check_output_file(args.out, inputs=[args.file], overwrite=args.overwrite)
    suite = import_checklist(args.file, out=args.out, name=args.name, min_pass_rate=args.min_pass_rate,
                             neutral_band=_parse_band(args.neutral_band))
    n = sum(len(t.cases or ()) for t in suite.tests)
    record_written(args.out)
    print(f"converted {len(suite.tests)} tests ({n} items) to {args.out}", file=sys.stderr)
    return 0
