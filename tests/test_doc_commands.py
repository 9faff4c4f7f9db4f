"""Every ``nlperr ...`` command in README.md, docs/*.md and the docstrings of
examples/*.py and nlperr/cli/*.py runs.

Commands are taken from fenced code blocks (Markdown) and from docstrings; a
backslash continues a line, ``&&`` chains commands.  A *synopsis* (a command with
``[...]``, ``|``, ``...`` or upper-case placeholders such as ``FILE``) cannot run:
every ``--option`` it names must exist on its sub-command, as for the commands
quoted inline in prose (```nlperr ocr stats FR1 NL1```).  A concrete command is
run in-process through :func:`nlperr.cli.main`, in a temporary folder, in the
order of its block (a block's later commands read earlier outputs), with:

* ``examples/...`` and ``../shared/data/...`` read from the repository and the
  shared corpora (the test skips without them);
* the illustrative files of the docs (``test.conll``, ``pred.csv``...) made
  from the bundled samples (:data:`FILES`);
* models that need training (``hf:models/minilm-wnut17``, ``hf:ckpt``...)
  replaced by tiny random models of the same kind and labels (:data:`HF_MODELS`),
  and example callables by test callables (:data:`CALLABLES`);
* shell variables (``MAP='...'``) set in the same block expanded.

A command passes with exit code 0 (``suite run``: 0 or 1, a check may fail on a
random model; never 2, a usage or input error).  A new command whose model or file
is unknown here fails with a message saying what to add.
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest

from nlperr.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
SOURCES = ([REPO / "README.md"] + sorted((REPO / "docs").glob("*.md"))
           + sorted((REPO / "examples").glob("*.py")) + sorted((REPO / "nlperr" / "cli").glob("*.py")))

WNUT_LABELS = ["O"] + [f"{p}-{t}" for t in ("person", "location", "group", "creative-work",
                                            "corporation", "product") for p in "BI"]
#: hf: specs of the docs -> (kind, labels, seed) of the tiny stand-in model
HF_MODELS = {
    "hf:models/minilm-wnut17": ("token", WNUT_LABELS, 0),
    "hf:models/minilm-sentiment": ("seq", ["negative", "positive"], 0),
    "hf:path/to/sst2-model": ("seq", ["negative", "positive"], 0),
    "hf:sst2-model": ("seq", ["negative", "positive"], 0),
    "hf:/models/ner": ("token", WNUT_LABELS, 0),
    "hf:path/to/classifier": ("seq", ["negative", "neutral", "positive"], 0),
    "hf:path/to/previous": ("seq", ["negative", "neutral", "positive"], 1),
    "hf:ckpt": ("seq", ["negative", "neutral", "positive"], 0),
}
CALLABLES = {"callable:mymodule:predict": "callable:_firsthour_helpers:classify"}
#: illustrative file names of the docs -> how the test makes them
FILES = ("test.conll", "pred.conll", "predicted.conll", "test.csv", "pred.csv", "train.conll",
         "dev.conll", "train.csv", "gold.jsonl", "heldout_pred.jsonl", "big.jsonl",
         "sentiment_suite.tar.gz")
PLACEHOLDER = re.compile(r"\[|\||\.\.\.|\b(?:FILE|DIR|SPEC|SUITE|FILE_OR_DIR|N|NAME|JSON_OR_FILE)\b")


# -- extraction ---------------------------------------------------------------------------
def _blocks(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        return re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
    doc = ast.get_docstring(ast.parse(text), clean=True) or ""
    return [doc] if "nlperr " in doc else []


def _commands(block: str) -> list[str]:
    out = []
    for line in block.replace("\\\n", " ").splitlines():
        for part in re.split(r"\s*&&\s*", line.strip()):
            part = re.sub(r"\s+#.*$", "", part.strip())  # a trailing shell comment
            words = part.split()
            # "nlperr predict: error: ..." is shown output, not a command
            if len(words) >= 2 and words[0] == "nlperr" and not words[1].endswith(":"):
                out.append(" ".join(words))
    return out


def _variables(block: str) -> dict[str, str]:
    return {m.group(1): m.group(2)
            for m in re.finditer(r"^\s*([A-Z_]+)='(.*?)'", block, re.S | re.M)}


def _outputs(command: str) -> list[str]:
    words = command.split()
    return [words[k + 1] for k, w in enumerate(words[:-1])
            if w in ("--output", "--out", "--json", "--junit")]


def _with_producers(commands: list[str], earlier: list[str]) -> list[str]:
    """*commands* preceded by the earlier commands of the same page that write a
    file they read (``nlperr analyze ner --gold out/sample.pred.conll`` after the
    ``nlperr predict ... --output out/sample.pred.conll`` of a previous block), and
    by those commands' own producers, in page order."""
    needed: list[str] = []

    def need(command: str, made: set[str]) -> None:
        for tok in command.split()[1:]:
            if tok in made:
                continue
            for prev in earlier:
                if tok in _outputs(prev) and prev not in needed:
                    need(prev, set(_outputs(prev)))
                    needed.append(prev)

    made = {o for c in commands for o in _outputs(c)}
    for c in commands:
        need(c, made)
    ordered = [c for c in earlier if c in needed]
    return ordered + commands


def _collect():
    runs, synopses = [], []
    for path in SOURCES:
        earlier: list[str] = []
        for i, block in enumerate(_blocks(path)):
            cmds = _commands(block)
            concrete = [c for c in cmds if not PLACEHOLDER.search(c)]
            synopses += [(path.relative_to(REPO).as_posix(), c) for c in cmds
                         if PLACEHOLDER.search(c)]
            if concrete:
                runs.append((path.relative_to(REPO).as_posix(), i,
                             _with_producers(concrete, earlier), _variables(block)))
            earlier += concrete
    return runs, synopses


RUNS, SYNOPSES = _collect()
#: commands quoted inline (`nlperr ...` in prose): their options must exist
INLINE = sorted({(path.relative_to(REPO).as_posix(), m)
                 for path in SOURCES
                 for m in re.findall(r"``?(nlperr [a-z][^`]*)``?",
                                     path.read_text(encoding="utf-8"))})


def test_the_docs_hold_commands():
    n = sum(len(c) for _, _, c, _ in RUNS)
    assert n >= 20 and len(SYNOPSES) >= 8, (n, len(SYNOPSES))
    sources = {s for s, _, _, _ in RUNS}
    assert {"README.md", "docs/cli.md", "examples/train_minilm_ner.py"} <= sources


# -- synopses: options exist ------------------------------------------------------------------
def _subparser(words: list[str]):
    parser = build_parser()
    for w in words:
        subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
        if not subs or w not in subs[0].choices:
            break
        parser = subs[0].choices[w]
    return parser


@pytest.mark.parametrize("source, command", SYNOPSES + INLINE,
                         ids=[f"{s}:{c[:60]}" for s, c in SYNOPSES + INLINE])
def test_synopsis_options_exist(source, command):
    words = command.split()[1:]
    parser = _subparser(words)
    known = set(parser._option_string_actions)
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", command))
    assert options <= known, f"{source}: {command!r} names unknown options {options - known}"


# -- concrete commands: they run ---------------------------------------------------------------
def _needs(commands: list[str]) -> tuple[bool, bool]:
    text = " ".join(commands)
    return "../shared/data" in text or "sentiment_suite.tar.gz" in text, \
        bool(re.search(r"(spacy|hf):", text))


def _marks(commands):
    shared, heavy = _needs(commands)
    return [pytest.mark.slow] if heavy or shared else []


class _Inputs:
    """Makes the illustrative files and stand-in models on first use."""

    def __init__(self, root: Path, request) -> None:
        self.root, self.request, self.made = root, request, {}

    def shared(self) -> Path:
        return self.request.getfixturevalue("shared_data")

    def file(self, name: str) -> str:
        if name not in self.made:
            self.made[name] = str(self._make_file(name))
        return self.made[name]

    def _make_file(self, name: str) -> Path:
        from nlperr import Example, load
        from nlperr.engine import predict
        from nlperr.io import write_conll, write_csv

        import _firsthour_helpers as helpers

        sample = REPO / "examples" / "data" / "sample.conll"
        sentiment = REPO / "examples" / "data" / "sentiment.csv"
        target = self.root / "_inputs" / name
        target.parent.mkdir(exist_ok=True)
        if name in ("test.conll", "train.conll", "dev.conll"):
            return sample
        if name in ("test.csv", "train.csv"):
            return sentiment
        if name == "sentiment_suite.tar.gz":
            return self.shared() / "checklist_sentiment" / "sentiment_suite.tar.gz"
        gold = load(sample)
        if name == "pred.conll":  # a prediction file: the same tokens, a model's tags
            preds = predict(helpers.find_capitals, [Example(ex.text, tokens=ex.tokens)
                                                    for ex in gold],
                            cache=False, label_map="ontonotes-conll")
            write_conll(preds, target)
        elif name == "predicted.conll":  # `nlperr predict` output: gold and predicted tags
            write_conll(gold, target, predictions=gold)
        elif name in ("gold.jsonl", "big.jsonl"):
            from nlperr.io import write_jsonl

            write_jsonl(gold, target)
        elif name == "heldout_pred.jsonl":  # a model's entities with their scores
            from nlperr.io import write_jsonl

            preds = predict(helpers.find_capitals, [Example(ex.text, tokens=ex.tokens)
                                                    for ex in gold],
                            cache=False, label_map="ontonotes-conll")
            write_jsonl(preds, target)
        elif name == "pred.csv":
            rows = load(sentiment)
            write_csv(rows, target, predictions=predict(helpers.classify, rows, cache=False))
        return target

    def model(self, spec: str) -> str:
        if spec not in self.made:
            if spec not in HF_MODELS:
                raise AssertionError(f"the docs use the model {spec!r}: add a stand-in to "
                                     f"HF_MODELS in {__name__}")
            import _adapters_helpers as ah

            kind, labels, seed = HF_MODELS[spec]
            folder = self.root / "_models" / re.sub(r"\W", "_", spec)
            save = ah.save_tiny_token_model if kind == "token" else ah.save_tiny_seq_model
            save(folder, labels=labels, seed=seed, max_positions=128)
            self.made[spec] = f"hf:{folder}"
        return self.made[spec]

    def token(self, tok: str, variables: dict[str, str]) -> str:
        if tok.startswith("$") and tok[1:] in variables:
            return variables[tok[1:]]
        if tok.startswith("../shared/data/"):
            return str(self.shared() / tok[len("../shared/data/"):])
        if tok.startswith("examples/"):
            return str(REPO / tok)
        if tok == "checkpoints/trainer_state.json":  # a real short Trainer run's log
            return str(REPO / "tests" / "data" / "training" / "healthy" / "trainer_state.json")
        if tok in FILES:
            return self.file(tok)
        if tok.startswith("hf:"):
            return self.model(tok)
        return CALLABLES.get(tok, tok)


@pytest.mark.parametrize(
    "source, index, commands, variables",
    [pytest.param(*r, marks=_marks(r[2]), id=f"{r[0]}-{r[1]}") for r in RUNS])
def test_doc_commands_run(source, index, commands, variables, tmp_path, monkeypatch,
                          request, capsys):
    if _needs(commands)[0]:
        request.getfixturevalue("shared_data")  # skips without ../shared/data
    if any("--engine ray" in c for c in commands):  # tests/test_scale_ray.py runs these
        pytest.skip("Ray commands are run by tests/test_scale_ray.py (local Ray, real data)")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    inputs = _Inputs(tmp_path, request)
    for command in commands:
        argv = [inputs.token(t, variables) for t in shlex.split(command)[1:]]
        try:
            rc = main(argv)
        except SystemExit as e:  # argparse: unknown option, missing argument
            rc = e.code
        err = capsys.readouterr().err
        # exit 1 = a check the command runs failed (a stand-in model may fail one)
        allowed = (0, 1) if argv[:2] in (["suite", "run"], ["train", "check"]) else (0,)
        assert rc in allowed, f"{source}: `{command}` exited {rc}:\n{err[-1500:]}"
