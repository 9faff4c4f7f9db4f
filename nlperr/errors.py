"""One exception hierarchy and one message catalogue for the whole library.

Every user-facing error raised by nlperr is an instance of :class:`NlperrError`
(or a subclass) and carries a code from :class:`Errors` / :class:`Warnings`,
so messages can be looked up, grepped and tested.  Each message says what was
expected, what was received and what to do about it.

Example
-------
>>> from nlperr.errors import Errors, InputError
>>> err = InputError(Errors.E001.format(where="x.conll:3", expected=2, got=1, line="a"))
>>> str(err).startswith("[E001]")
True
"""

from __future__ import annotations

import warnings

__all__ = [
    "NlperrError",
    "InputError",
    "FormatError",
    "SpanError",
    "SchemeError",
    "ModelError",
    "ModelNotFoundError",
    "MissingDependencyError",
    "NlperrWarning",
    "RepairWarning",
    "Errors",
    "Warnings",
    "shorten",
    "warn",
]


class NlperrError(Exception):
    """Base class of every error raised by nlperr."""


class InputError(NlperrError, ValueError):
    """Bad user input: data, options or files."""


class FormatError(InputError):
    """A file does not follow the format it was read as (names file and line)."""


class SpanError(InputError):
    """Spans that are invalid for their text or tokens."""


class SchemeError(InputError):
    """Tags that are invalid under a tagging scheme."""


class ModelError(NlperrError):
    """A model could not be loaded or used."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    """The model named by a spec does not exist."""


class MissingDependencyError(NlperrError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


class NlperrWarning(UserWarning):
    """Base class of nlperr's warnings."""


class RepairWarning(NlperrWarning):
    """Input was repaired in lenient mode; the message says what changed."""


def shorten(value: object, width: int = 80) -> str:
    """``repr`` of *value* cut to *width* characters, for error messages."""
    text = repr(value)
    if len(text) <= width:
        return text
    return text[: width - 5] + "...'" if text[:1] in "'\"" else text[: width - 3] + "..."


def warn(message: str, category: type[Warning] = NlperrWarning, stacklevel: int = 2) -> None:
    """Emit an nlperr warning (thin wrapper so the call sites stay short)."""
    warnings.warn(message, category, stacklevel=stacklevel + 1)


class _Catalogue(type):
    """Prefix every message with its code: ``Errors.E001`` -> ``"[E001] ..."``."""

    def __getattribute__(cls, code: str) -> str:  # noqa: N805
        message = type.__getattribute__(cls, code)
        if code.startswith(("E", "W")) and code[1:].isdigit():
            return f"[{code}] {message}"
        return message


class Errors(metaclass=_Catalogue):
    # --- file formats -----------------------------------------------------
    E001 = ("{where}: expected {expected} tab- or space-separated columns (as on the "
            "first token line of this sentence), got {got}: {line}. Fix the line, or "
            "pass the right column layout.")
    E002 = ("{where}: malformed tag {tag!r}. Tags must be 'O', '-' (missing) or "
            "PREFIX-TYPE with PREFIX in {prefixes} (scheme: {scheme}). Fix the tag, or "
            "check that the tag column and the scheme are the right ones (tag_column=..., "
            "scheme=...; CLI: --tag-column, --scheme).")
    E003 = "{where}: the file is empty (no examples found). Check the path and format."
    E004 = ("{where}: column {column} does not exist: the line has {ncols} columns. "
            "Choose a column index in 0..{maxcol} (or a negative index).")
    E005 = ("{where}: invalid JSON: {error}. Each line of a JSONL file must be one JSON "
            "object.")
    E006 = ("{where}: missing required field {field!r}. Expected an object with at "
            "least {required}; got keys {got}.")
    E007 = ("Unknown format {name!r}. Available formats: {available}. Pass one of them "
            "with format=... (CLI: --format NAME), or register your own with "
            "nlperr.io.register_format.")
    E008 = ("Cannot tell the format of {path!r}: {reason}. Pass the format (CLI: --format "
            "NAME; Python: format='NAME'), NAME one of {available}.")
    E009 = ("{where}: the HIPE header must start with 'TOKEN' and contain {column!r}; "
            "got {header}.")
    E010 = ("{where}: column {column!r} not found; available columns: {available}.")
    E011 = ("{where}: {path!r} does not exist. Check the path (relative paths are read "
            "from the current folder).")
    E012 = ("{where}: expected a value of type {expected} for {field!r}, got {got}.")
    E013 = ("{where}: the token {token!r} does not occur in the text at or after "
            "offset {offset}. Tokens must appear in the text in order.")
    E014 = ("Format {name!r} cannot be {verb} (no {what} registered). Formats that can "
            "be {verb}: {available}.")
    E015 = ("{where}: span {span} gives token_start/token_end {given} but its character "
            "offsets cover tokens {actual}. Fix the token indices (token_end is the "
            "inclusive index of the last token, as in Prodigy) or drop them.")
    E016 = ("{where}: got {got} prediction(s) for {expected} example(s). Pass one "
            "prediction per example, in the same order.")
    E017 = ("{where}: the prediction's {what} differs from the gold example's ({gold} vs "
            "{pred}). Predictions must hold the same examples (same text and tokens) in "
            "the same order.")
    E018 = ("The dataset at {path!r} holds the splits {splits}. Pass split=... (one of "
            "them) to choose one.")
    E019 = ("{where}: column {column!r} holds integer ids but the dataset has no "
            "ClassLabel names for it. Cast the column to ClassLabel (or Sequence of "
            "ClassLabel) or use string tags.")
    E020 = ("{where}: span {span} does not align with the spaCy tokens of the text "
            "({tokens}). Build the example from tokens, or snap the span to token "
            "boundaries (validate(strict=False)).")
    E021 = ("{where}: token {token!r} contains {what} and cannot be written as one "
            "field of a column file. Replace it, or write another format (jsonl).")
    E022 = ("register_format({name!r}): {problem}. Pass reader=/writer= callables "
            "(reader(path, **options) -> list[Example]; writer(examples, path, "
            "**options)).")
    E023 = ("{where}: the examples have no {what} to write. Give examples with "
            "{what}, or choose a format that does not need them.")
    # (io: add E014-E099 above this line)

    # --- spans and schemes --------------------------------------------------
    E101 = ("{where}: span {span} lies outside the text (length {length}). Offsets are "
            "half-open [start, end) character offsets with 0 <= start < end <= len(text).")
    E102 = ("{where}: spans {a} and {b} overlap. nlperr keeps flat (non-overlapping) "
            "spans; pass strict=False (CLI: nlperr predict --lenient) to drop the later span "
            "with a warning, "
            "or resolve the overlap in the data.")
    E103 = ("{where}: span {span} is not aligned to token boundaries (its start or end "
            "falls inside a token). Fix the offsets, or pass strict=False (CLI: nlperr predict "
            "--lenient) to "
            "snap it to the enclosing tokens with a warning.")
    E104 = ("{where}: tag {tag!r} at token {index} follows {prev!r}; under strict "
            "{scheme} an entity must start with {starts}. Pass strict=False (CLI: --lenient, "
            "on nlperr predict) to read it as the start of a new entity (conlleval "
            "behaviour), or use the right scheme (scheme='IOB1', CLI: --scheme IOB1, lets "
            "I- start an entity).")
    E105 = ("Unknown tagging scheme {scheme!r}. Choose one of {available} (aliases: "
            "{aliases}).")
    E106 = ("{where}: got {ntags} tags for {ntokens} tokens. Tags and tokens must have "
            "the same length.")
    E107 = ("{where}: span {span} has start >= end. Spans must be non-empty half-open "
            "[start, end) offsets.")
    E108 = ("{where}: cannot detect the tagging scheme: {reason}. Pass scheme=... "
            "explicitly (CLI: --scheme NAME; one of {available}).")
    E109 = ("{where}: the example has no tokens; token-level tags need tokens. Load "
            "tokenized data or tokenize the text first (nlperr.data.whitespace_tokenize).")
    E110 = ("{where}: span label must be a non-empty string without whitespace, got "
            "{label!r}.")

    # --- adapters / models ----------------------------------------------------
    E201 = ("Unknown model spec {spec!r}. Use 'spacy:NAME_OR_PATH', 'hf:PATH' or "
            "'callable:module:function' (registered kinds: {available}).")
    E202 = "Model not found: {spec!r}. {hint}"
    E203 = ("{what} requires the optional dependency {package!r}. Install it with: "
            "pip install 'nlperr[{extra}]'.")
    E204 = ("The spaCy pipeline {name!r} has no {component!r} component (it has: "
            "{pipes}). Use a pipeline with {component!r} or another adapter.")
    E205 = ("The Hugging Face tokenizer at {path!r} is not a fast tokenizer. nlperr "
            "needs offset mappings for word alignment; use a model that ships "
            "tokenizer.json.")
    E206 = ("Cannot detect the task of the Hugging Face model at {path!r}: its config "
            "names architectures {arch}. Pass task='ner' or task='classification' "
            "(CLI: --task).")
    E207 = ("Unknown value {value!r} for {option!r}. Allowed values: {allowed}.")
    E208 = ("The callable {name!r} returned {got} results for a batch of {expected} "
            "texts. It must return one result per input text, in order.")
    E209 = ("The callable {name!r} returned {got!r} for text {index} of the batch; "
            "expected {expected}.")
    E210 = ("Label map: could not read {source!r}: {error}. Pass a JSON object "
            "('{{\"PERSON\": \"PER\"}}'), the path of a JSON file holding one, or the name of a "
            "shipped preset such as 'ontonotes-conll' (CLI: --label-map ontonotes-conll).")
    E211 = ("Label {label!r} is not in the label map and unmapped='error'. Add it to the "
            "map, or choose unmapped='keep' or 'drop' (CLI: --unmapped keep or --unmapped drop).")
    E212 = ("The model at {path!r} is a {found} model, but task={task!r} was asked for. "
            "Leave the task out to use the model's own (CLI: drop --task {task}), or pass "
            "a {task} model.")
    E213 = ("Cannot import {target!r}: {error}. A callable spec is "
            "'callable:package.module:function'; the module must be importable (on "
            "sys.path or installed).")
    E214 = ("The adapter's task {task!r} does not match the examples: {reason}.")

    # --- engine / cache -------------------------------------------------------
    E301 = ("batch_size (CLI: --batch-size N) must be a positive integer, got {value!r}.")
    E302 = ("The cache at {path!r} cannot be used: {error}. Delete the folder or pass "
            "cache=False (CLI: --no-cache).")
    E215 = ("Device {device!r} was asked for, but {reason}. Pass device='cpu', "
            "device='gpu' (any GPU, else CPU with a warning) or leave device=None (auto); "
            "CLI: --device cpu, --device gpu, or no --device.")
    E216 = ("The Hugging Face model at {path!r} has no usable id2label in its config "
            "(got {got}). Save the model with id2label/label2id set.")
    E217 = ("Cannot build a Prediction from {got!r}: {reason}.")
    E218 = ("The model spec {spec!r} is incomplete: expected {expected}.")
    E219 = ("Could not hash the model files at {path!r}: {error}.")
    E220 = ("The Hugging Face model at {path!r} has no usable tokenizer: {reason}. Save "
            "the tokenizer next to the weights (tokenizer.save_pretrained(FOLDER)), so "
            "the folder holds tokenizer.json (or the vocabulary files).")
    E250 = ("Options {given} cannot be applied to {what} that is already loaded. {hint}; "
            "load_model only sets batch_size and label_map on an adapter (on a copy).")
    E303 = ("The cache at {path!r} holds an unreadable entry for key {key}: {error}. "
            "Delete the cache folder or pass cache=False (CLI: --no-cache).")
    E304 = ("progress must be True, False or None (auto), got {value!r}.")
    # (adapters/engine: add E215-E299 / E303-E399 above this line)

    # --- CLI / misc -------------------------------------------------------------
    E401 = "{where}: {message}"
    E402 = ("Gold and predicted data disagree: {what}. They must hold the same "
            "examples in the same order.")
    # (cli: add E403-E499 above this line)

    # --- analysis (E5xx) ------------------------------------------------------
    E501 = ("Gold and predicted data have different numbers of examples: {ngold} gold, "
            "{npred} predicted. Pass predictions for exactly the gold examples, in the "
            "same order.")
    E502 = ("Gold and predicted data disagree at example {index} (id {id!r}): {what} "
            "differ (gold {gold}, predicted {pred}). They must hold the same examples in "
            "the same order; re-run the prediction on the gold file.")
    E503 = ("Example {index} (id {id!r}) of the {side} data has no {field}; {task} "
            "analysis needs it. {hint}")
    E504 = ("{where}: spans {a} and {b} overlap. Analyses need flat (non-overlapping) "
            "spans per example; validate the examples (Example.validate(strict=False)), or "
            "read the file leniently (strict=False; CLI: nlperr predict --lenient), which "
            "drops the later span with a warning.")
    E505 = ("Unknown slice attribute {name!r}. Registered attributes: {available}. "
            "CLI: --slices NAME,NAME with names from this list (or --slices none); Python: "
            "register your own with nlperr.analysis.register_slice(name, fn, level=...).")
    E506 = ("The slice attribute {name!r} needs {what}; {hint}")
    E507 = ("No label matches {pattern!r}. Labels in the data: {available}.")
    E508 = ("{what} needs at least {n} {unit}, got {got}.")
    E509 = ("The baseline data does not match the gold data: {what}.")
    E510 = ("{where}: {message}")
    E511 = ("{where}: the gold and predicted data hold no examples. Pass the files (or "
            "examples, iterators) that hold the data.")
    # (analysis: add E512-E599 above this line)

    # --- behavioral suites (E6xx) -----------------------------------------------
    E601 = ("{where}: edit {edit} lies outside the text (length {length}). Edits are "
            "(start, end, replacement) with 0 <= start <= end <= len(text) on the original text.")
    E602 = ("{where}: edits {a} and {b} overlap. An edit log holds non-overlapping edits on "
            "the original text; merge them into one edit.")
    E603 = ("Unknown perturbation {name!r}. Available perturbations: {available}. Register "
            "your own with nlperr.perturb.register_perturbation.")
    E604 = ("{where}: invalid value {got!r} for parameter {param!r} of perturbation "
            "{name!r}; expected {expected}.")
    E605 = ("{where}: cannot read the suite: {error}. A suite is a YAML or JSON mapping with "
            "'name' and 'tests' (see docs/suites.md).")
    E606 = ("{where}: field {field!r} must be {expected}, got {got}.")
    E607 = ("{where}: unknown test type {got!r}. Allowed values: 'MFT', 'INV', 'DIR'.")
    E608 = ("Unknown suite {name!r}: it is neither an existing file nor a shipped suite. "
            "Shipped suites: {available} (see `nlperr suite list`).")
    E609 = ("{where}: template placeholder {{{key}}} names no lexicon. Available lexicons: "
            "{available}. Add it under 'lexicons:' in the suite.")
    E610 = ("{where}: invalid case record: {error}. Case files are written by `nlperr suite "
            "generate`; regenerate the file.")
    E611 = ("{path!r} is not a CheckList test suite: {reason}. Pass the released "
            "sentiment_suite.tar.gz or the .pkl inside it.")
    E612 = ("Test {test!r} ({kind}) needs {need} from the model, but the predictions have "
            "none (e.g. {example!r}). Use a model that outputs {need}, or drop the test.")
    E613 = ("{where}: test {test!r} has no input texts. INV/DIR tests need data: give the "
            "suite 'data:', pass data=... (CLI: --data FILE), or list 'cases:'.")
    E614 = ("{where}: min_pass_rate must be a number in [0, 1], got {got!r}.")
    E615 = ("Cannot compare the runs: {reason}. Both runs must use the same generated cases "
            "(same suite, data and seed).")
    E616 = ("{where}: invalid OCR confusion table: {error}. Expected a JSON object "
            "{{\"confusions\": [[source, target, weight], ...]}} or a NoiseModel.")
    E617 = ("{where}: the model returned {got} for a {task} suite. Load the model with "
            "task={task!r} (CLI: --task).")
    E618 = ("The case set does not match suite {suite!r}: {reason}. Regenerate the cases "
            "(`nlperr suite generate`) from this suite, or select tests with tests=[...].")
    # (suites: add E601-E699 above this line)

    # --- OCR diagnostics (E7xx) -----------------------------------------------
    E701 = ("{where}: not an ICDAR 2019 post-OCR file: line {line} must start with "
            "{prefix!r}, got {got}. Each file holds the lines '[OCR_toInput] ...', "
            "'[OCR_aligned] ...' and '[ GS_aligned] ...'.")
    E702 = ("{where}: the aligned OCR line has {nocr} characters but the aligned gold line "
            "has {ngold}. ICDAR aligned lines must have equal length (one alignment column "
            "per character); check that the file is complete.")
    E703 = ("{where}: expected a line-aligned pair 'OCR||@@||GOLD' (optionally "
            "'||@@||OTHER'), got {got}. Fix or remove the line.")
    E704 = ("{where}: {path!r} does not exist. Pass an existing file or folder.")
    E705 = ("No {what} found in {paths}. Pass files, or folders holding {pattern} files.")
    E706 = ("The --ocr and --gold inputs do not match: {detail}. Both must hold files "
            "with the same names (relative paths).")
    E707 = ("Cannot read the noise model {source!r}: {error}. Expected a JSON object "
            "written by NoiseModel.to_json (format {format!r}, version {version}).")
    E708 = ("{name} must be a number in [{low}, {high}), got {value!r}.")
    E709 = ("{where}: got {ngold} gold and {nocr} OCR texts. Gold and OCR must be "
            "parallel sequences of the same length.")
    E710 = ("bins must be a positive integer or an increasing sequence of at least two "
            "numbers, got {value!r}.")
    E711 = ("Cannot build a lexicon from {source!r}: {error}.")
    E712 = ("Unknown garbage rule(s) {names}. Available rules: {available}. Register "
            "your own with nlperr.ocr.register_garbage_rule.")
    E713 = ("Unknown noise model {name!r}. Registered noise models: {available}. "
            "Register your own with nlperr.ocr.register_noise_model.")
    E714 = ("{where}: cannot decode the file as UTF-8 ({error}). OCR files must be "
            "UTF-8 text.")
    E715 = ("{what} needs {needed}. {hint}")
    # (ocr: add E701-E799 above this line)

    # --- results and reports (E801-E849) ----------------------------------------------
    E801 = ("{path}: not a saved nlperr result (no result.json). Pass a folder written by "
            "Result.save() or by an nlperr command's --out.")
    E802 = ("{path}: the saved result cannot be read ({reason}). Save it again with the same "
            "nlperr version.")
    E803 = ("{what}: no results to render. Pass one or more Result objects (or, on the "
            "command line, folders written by Result.save() / an nlperr command's --out).")
    E804 = ("{option}={value!r}: expected {expected}.")
    E805 = ("{path}: {problem}. Pass a folder written by Result.save() or by an nlperr "
            "command's --out (it holds result.json).")
    # (results/report: add E803-E849 above this line)

    # --- attention / explain (E850-E899) ---------------------------------------------
    E850 = ("{what} needs a Hugging Face model (an 'hf:PATH' spec or an HFTokenAdapter / "
            "HFSequenceAdapter), got {got}. Load the model with nlperr.load_model('hf:PATH').")
    E851 = ("The model {path!r} cannot run with eager attention ({error}); attention weights "
            "are only returned by eager attention. Use a model class that supports it (Python: "
            "load it with attn_implementation='eager'; the CLI's hf: models are switched to "
            "eager automatically, so a model that refuses cannot be inspected).")
    E852 = ("The model {path!r} returned attention for {got} of its {expected} layers "
            "(output_attentions=True). Attention is only returned by the eager "
            "implementation (Python: load the model with attn_implementation='eager'; CLI: "
            "nlperr attention switches hf: models to eager, so this model does not support it).")
    E853 = ("{what} got no examples with content tokens ({received}). Pass non-empty texts.")
    E854 = ("{what}: got {n_gold} gold and {n_pred} predicted examples. Pass parallel "
            "sequences (the i-th prediction belongs to the i-th gold example).")
    E855 = ("{what}: example {index} has text {got!r} in the predictions but {expected!r} in "
            "the gold data. Predict the gold examples themselves (same texts, same order).")
    E856 = ("{option} must be {expected}, got {got!r}.")
    E857 = ("{what}: example {index} (id {id!r}) has no {field}; the gold data must hold "
            "{needed} for every example.")
    E858 = ("The result has no table {name!r} (tables: {available}). {hint}")
    # (attention: add E850-E899 above this line)

    # --- training diagnostics (E900-E949) ---------------------------------------------
    E900 = ("Expected a non-empty sequence of batches (mappings of str -> tensor holding "
            "the forward-pass inputs and 'labels'), got {got}. Build them with "
            "nlperr.training.make_batches, or pass loss_fn=... for models without labels "
            "(Python: those are Python-only options; the CLI, nlperr train check, builds the "
            "batches itself).")
    E901 = ("The model {model} returned no loss for a batch with keys {keys}. Pass batches "
            "with 'labels' to a Hugging Face model, or loss_fn=lambda model, batch: ... "
            "that returns the loss (Python; CLI: nlperr train check needs a model with a "
            "classification head, --task sequence|token).")
    E902 = ("{where}: the label {label!r} is not one of the model's labels {known}. Use a "
            "model trained for these labels, or map the data's labels to the model's "
            "(config.label2id).")
    E903 = ("Training checks need {what}; got {got}. Pass labelled data in the format the "
            "task reads (--task token: CoNLL with tags; --task sequence: CSV/JSONL with a "
            "label).")
    E904 = ("Cannot read training curves from {path!r}: {reason}. Expected a "
            "trainer_state.json (with log_history), a CSV with columns step, split, loss "
            "(and optional metrics), or a JSON list of such objects.")
    E905 = ("The training curves have no finite {what}. Log the training loss (and the "
            "validation loss for overfitting) with their steps.")
    E906 = ("nlperr train needs a PyTorch model; {spec!r} loads as a {kind!r} adapter. Pass "
            "a Hugging Face model folder as --model hf:PATH.")
    E907 = ("The model {spec!r} is a {found} model but --task {task} was given. Pass --task "
            "{expected}, or a model for this task.")
    E908 = ("{name} must be {expected}, got {value!r}.")
    E909 = ("DiagnosticsCallback.result() was called before training started. Add the "
            "callback to the Trainer (trainer.add_callback(cb)) and call trainer.train() "
            "first.")
    # (training: add E900-E949 above this line)

    # --- data quality (E950-E999) ---------------------------------------------
    E950 = ("{name} must be {expected}, got {value!r}. Pass a valid value.")
    E951 = ("{where}: the {split} data holds no {what}: {task} checks need {needed}. Pass "
            "the right file, or the right task (task=... / --task ner|classification).")
    E952 = ("{where}: {count} of {total} predictions have class probabilities; confident "
            "learning needs them for every example (or for none, to rank plain "
            "disagreements). First without: {first!r}. Predict all examples with the same "
            "model.")
    E953 = ("{where}: the probabilities of example {id!r} have no entry for its gold label "
            "{label!r} (keys: {keys}). Give probabilities over every label of the gold data.")
    E954 = ("{where}: the {split} data is empty. Pass a file holding examples.")
    # (quality: add E950-E999 above this line)

    # --- drift (E1000-E1049) ---------------------------------------------
    E1000 = ("{what}: expected {expected}, got {got}. Pass a file path, a list of "
             "nlperr Examples or of strings, or a pandas DataFrame with a 'text' column.")
    E1001 = ("The {side} set has {count} text(s); drift tests need at least {minimum}. "
             "Pass more texts (or a larger window).")
    E1002 = ("Invalid window {value!r}: expected a positive number of examples (e.g. 500), "
             "'daily', 'weekly' or a pandas frequency such as '1D', '7D', '12h' or 'W-MON'.")
    E1003 = ("A time window ({window!r}) needs a timestamp on every current example; "
             "{missing} of {total} have none (first: {first}). Add a 'timestamp' field "
             "(JSONL) or column (CSV), or use a window of N examples (e.g. --window 500).")
    E1004 = ("{where}: cannot read the timestamp {value!r} ({error}). Use ISO 8601 "
             "('2024-05-01T12:00:00Z') or a Unix time in seconds.")
    E1005 = ("Unknown drift test(s) {names}. Available tests: {available}.")
    E1006 = ("{name} must be {expected}, got {value!r}.")
    E1007 = ("The embedding model {spec!r} returned {got}; expected a 2-D array with one "
             "row per text ({n} texts). A callable must map a list of strings to an array "
             "of shape (n_texts, dim).")
    E1008 = ("{where}: the field {field!r} holds {value!r}; expected {expected}.")
    E1009 = ("{where}: count windows ({window!r}) with max_texts are cut in the order the "
             "current data is read, which must then be its time order, but its timestamp "
             "{value} is earlier than the one before it ({previous}). Sort the current log "
             "by time, use a time window (e.g. 'daily'), or sample nothing (Python: "
             "max_texts=None; CLI: leave out --max-texts).")
    # (drift: add E1000-E1049 above this line)

    # --- scale-out: mergeable partials, Ray engine (E1050-E1099) ----------------------
    E1050 = ("Cannot merge a {got} into a {what}: partial results merge only with partials "
             "of the same kind. Merge the shards' {what} objects with each other.")
    E1051 = ("Cannot merge these {what} partials: they were built with different settings "
             "(this one: {mine}; the other: {theirs}). Build every shard with the same "
             "reference, lexicon, rules and options.")
    E1052 = ("The Ray engine returned no prediction for {missing} of {total} inputs. Every "
             "input should come back once; rerun, and check the Ray worker logs "
             "(/tmp/ray/session_latest/logs) for the failure.")
    E1053 = ("The ray.data.Dataset has no column {column!r} (its columns: {columns}). Pass "
             "text_column=... naming the column that holds the texts (a Python-only input: "
             "the CLI reads files, not datasets).")
    E1054 = ("Ray options were given with the local engine: {got}. Pass engine='ray' "
             "(CLI: --engine ray) to use them, or leave them unset.")
    E1055 = ("The model raised an error on a Ray worker that cannot be sent back as it is: "
             "{error}. Run the same input with engine='local' (CLI: without --engine ray) "
             "to see the full traceback.")
    E1056 = ("The slice attribute {name!r} buckets its numbers by quantiles of the whole "
             "corpus, so shards cannot be counted apart (SliceCounts, a Python-only API). "
             "Register it with bin edges (Python: register_slice(..., bins=[0, 1, 5, 10])), or "
             "compute its table on the whole corpus (slice_table / worst_slices).")
    E1057 = ("Cannot merge these {what}: one was counted with {a}, the other with {b} "
             "(Python: count every shard with the same settings, then merge).")
    E1058 = ("The {split} data is a one-shot iterator ({got}), but the streamed data check "
             "reads every split twice. Pass a function that returns a fresh iterator (Python: "
             "lambda: iter_conll('train.conll')) or a list.")
    E1059 = ("{where}: the {split} data gave {first} examples in the first pass and {second} "
             "in the second. A streamed split must give the same examples each time it is "
             "read (Python: a function returning a fresh iterator over the same file).")
    # (scale: add E1060-E1099 above this line)

    # --- hostile input and resource limits (E030-E099) ---------------------------------------------
    E030 = ("{where}: byte {byte} (column {column}) is not valid {encoding}: bytes {bad}. "
            "The file is probably in another encoding: pass --encoding {suggest} (Python: "
            "encoding={suggest!r}), or --encoding-errors replace to read it with U+FFFD "
            "replacement characters.")
    E031 = ("Unknown text encoding {encoding!r}. Use a Python codec name such as 'utf-8', "
            "'latin-1', 'cp1252' or 'utf-16'.")
    E032 = ("{where}: line {line} is longer than {limit} bytes. This is probably not a "
            "text file of this format (or a broken one); check the file, or raise the "
            "limit: {how}.")
    E033 = ("{where}: the file holds {size} bytes, more than the {limit} bytes nlperr reads "
            "whole for this kind of file. Check the path, or raise the limit: {how}.")
    E034 = ("{where}: the {what} nests lists/objects deeper than {limit} levels. nlperr "
            "refuses such input (no valid file of this kind needs it); fix the file, or "
            "raise the limit: {how}.")
    E035 = ("{where}: {problem}. YAML anchors and aliases may not expand to more than "
            "{limit} nodes or refer to themselves; write the data out, or raise the "
            "limit: {how}.")
    E036 = ("{where}: the archive {problem} (limit {limit}). It is not the archive "
            "expected here, or a decompression bomb; pass the file inside it, or raise "
            "the limit: {how}.")
    E037 = ("{where}: a CSV field is longer than {limit} characters (an unclosed quote "
            "makes the rest of the file one field). Check the quoting, or raise the limit: "
            "{how}.")
    E038 = ("Invalid resource limit {name} from {source}: expected a positive integer, "
            "got {value!r}.")
    E039 = ("{where}: malformed CSV: {error}. Fix the line (a quote character inside an "
            "unquoted field must be doubled and the whole field quoted), or pass the right "
            "separator (sep=..., CLI --sep).")
    E040 = ("{option} {path!r} already exists. nlperr does not overwrite files it did not "
            "create: choose another path, delete it, or pass --overwrite.")
    E041 = ("{option} {path!r} is {got}, but {expected} is needed here. Choose another "
            "path.")
    E042 = ("{option} {path!r} cannot be written: {reason}. Choose a writable location.")
    E043 = ("{option} {path!r} is {relation} the input {input!r}; writing there could "
            "change or destroy the input (or be read back as input next time). Choose a "
            "path outside the input.")
    E044 = ("{option} {path!r} is a folder that holds other files ({examples}) and no "
            "nlperr output. nlperr writes only into new or empty folders or folders it wrote "
            "before: choose another folder, or pass --overwrite.")
    E046 = ("{where}: not a readable spaCy DocBin (.spacy) file ({error}). Pass a file "
            "written by DocBin.to_disk or `nlperr predict`, or give the right format "
            "(format=..., CLI --format).")
    E047 = ("{where}: not a readable Hugging Face dataset folder ({error}). Pass a folder "
            "written by Dataset.save_to_disk / DatasetDict.save_to_disk, or give the right "
            "format (format=..., CLI --format).")
    E048 = ("{where}: the {what} holds a lone UTF-16 surrogate ({char}, in {value}), which is "
            "not a character and cannot be written back as UTF-8 (a JSON escape such as "
            "\\ud800 without its pair). Fix the program that wrote the file, or remove it.")
    # (hostile: add E032-E099 above this line)

    # --- suites, round 2 (E619-E649) ---------------------------------------------
    E619 = ("{where}: {field} must be {expected}, got {got}.")
    E620 = ("{where}: neutral_band maps a binary model's probabilities to three classes, so it "
            "needs probabilities for exactly the suite's first and last labels ({negative!r}, "
            "{positive!r}), but the model returned {got} for {example!r}. Map the model's labels onto "
            "them with label_map= / --label-map (e.g. '{{\"LABEL_0\": \"{negative}\", \"LABEL_1\": "
            "\"{positive}\"}}'), or leave neutral_band unset for a model that has a {neutral!r} class.")
    E621 = ("{where}: neutral_band must be two numbers [low, high] with 0 <= low <= high <= 1 (the band of "
            "positive probability read as neutral; CheckList's tutorial uses [1/3, 2/3]), got {got!r}.")
    E622 = ("{where}: neutral_band needs a suite with three labels [negative, neutral, positive] "
            "(in this order), got labels {got!r}. Set the suite's 'labels'.")
    # (suites: add E619-E649 above this line)

    # --- first hour of a new user, round 2 (E221-E249, E024-E029, E511-E529, E716-E739) ---
    E221 = ("{model} {does}, but {data}. Pass {instead}.")
    E024 = ("{where}: the predictions hold entity spans and no class label, but a CSV file "
            "holds one class label per text. Write NER predictions as CoNLL, JSONL or "
            ".spacy (nlperr predict writes the input's format: give it such an input), or "
            "predict with a text classifier.")
    # (first hour: add E221-E249, E024-E029, E511-E529, E716-E739 above this line)


class Warnings(metaclass=_Catalogue):
    W001 = ("{where}: {count} tag(s) were invalid under strict {scheme} and were read "
            "as the start of a new entity (lenient mode). First: {first}.")
    W002 = ("{where}: span {span} was not aligned to tokens and was snapped to "
            "{snapped}.")
    W003 = ("{where}: span {dropped} overlaps {kept} and was dropped (lenient mode).")
    W004 = ("{where}: the tagging scheme looks mixed ({reason}); reading it as {scheme}. "
            "Pass scheme=... (CLI: --scheme NAME) to silence this warning.")
    W005 = ("{count} of {total} predicted tag sequences contained tags that are invalid "
            "under {scheme} (e.g. I- after O); they were decoded the conlleval way (an "
            "invalid I- starts a new entity).")
    W006 = ("{count} label(s) produced by the model are not in the label map and were "
            "{action}: {labels}.")
    W007 = ("{where}: {count} line(s) were skipped: {reason}.")
    W008 = ("The Hugging Face model at {path!r} has no GPU available; running on CPU.")
    W009 = ("{where}: {count} sentence(s) held tags that are invalid under strict "
            "{scheme} and were read the conlleval way (lenient mode). First: {first}.")
    # (io/data: add W009-W099 above this line)
    W101 = ("{count} of {total} texts were longer than the model's maximum length "
            "({max_length} tokens) and were truncated for sequence classification. Pass "
            "long_texts='average' to average predictions over overlapping windows instead "
            "(Python: load_model(SPEC, long_texts='average'); the command line has no "
            "such option and truncates).")
    W102 = ("{count} word(s) produced no subword pieces with the tokenizer at {path!r} "
            "(e.g. {examples}) and were labelled 'O'.")
    # (adapters/engine: add W101-W199 above this line)
    W501 = ("{metric} is ill-defined for {count} label(s) with no {what} ({labels}) and "
            "is set to {value}. Pass zero_division=0, 1 or numpy.nan (CLI: --zero-division "
            "0, 1 or nan) to choose the value and silence this warning.")
    W502 = ("{count} predicted span(s) overlap unannotated ('-') ranges of the gold data and "
            "were ignored.")
    W503 = ("Example {index} (id {id!r}) has no class probabilities; confidence-based "
            "tables skip {count} example(s) without them.")
    W504 = ("Some scores of this report are undefined and set to {value}: {details}. "
            "Pass zero_division=0, 1 or numpy.nan (CLI: --zero-division) to choose the "
            "value and silence this warning.")
    # (analysis: add W501-W599 above this line)
    W601 = ("{count} test(s) left out the examples their perturbation did not change "
            "(unchanged/seen): {tests}. Per-test counts: CaseSet.stats, "
            "SuiteResult.perturbation_stats and the CLI report.")
    W602 = ("Test {test!r}: {count} of {total} case(s) were skipped: {reason}.")
    W603 = ("CheckList test {test!r}: expectation {found} was not recognised; mapped to "
            "{mapped}. Check the converted suite.")
    W604 = ("{where}: the templates expand to {total} cases; {kept} were sampled "
            "(max_cases={kept}). Set max_cases on the test to choose the number.")
    W605 = ("Test {test!r} evaluated no case and is reported as skipped (it cannot fail): "
            "{reason}. Give it data that exercises it, or set min_cases (CLI: --min-cases) "
            "to make such a test fail.")
    # (suites: add W601-W699 above this line)
    W701 = ("{where}: {count} unit(s) have an empty gold text after normalization; "
            "their OCR characters/words are counted as insertions and their own error "
            "rate is undefined (NaN). jiwer would refuse such input.")
    W702 = ("The noise model reached CER {reached:.4f} instead of the requested "
            "{target:.4f} on a text of {length} characters: {reason}.")
    W703 = ("{count} predicted span(s) overlap no gold span and have no {attribute!r} "
            "value; they are reported in the bucket 'n/a'.")
    # (ocr: add W701-W799 above this line)


    # --- results/report (W800-W849) ---
    W803 = ("Figure {name!r} of the {kind!r} result could not be drawn ({error}); the report "
            "shows a note in its place. The other figures and every table are complete.")
    W804 = ("The HTML report has no figures: matplotlib is not installed. Install it with: "
            "pip install 'nlperr[report]' (or, to silence this, Python: figures=False; the "
            "CLI writes the report without figures).")
    # (report: add W800-W849 above this line)

    # --- attention / explain (W850-W899) ---
    W850 = ("{what}: {detail}; the rank test is undefined and its p-values are NaN. "
            "Pass data with both error and correct cases.")
    W851 = ("{count} of {total} windows had no content pieces and were skipped ({what}).")
    W852 = ("Integrated gradients: the largest convergence delta is {delta:.3g} (case "
            "{case!r}, |F(x) - F(baseline)| = {gap:.3g}), above {threshold:g}. Increase steps "
            "(now {steps}) for attributions that add up to the change of the output.")
    # (attention: add W850-W899 above this line)

    # --- training diagnostics (W900-W949) ---
    W900 = ("Training monitor, step {step}: {message}")
    W901 = ("{count} example(s) were longer than max_length={max_length} pieces and were "
            "truncated for the training checks. Pass a larger max_length (CLI: --max-length) "
            "to check the whole texts.")
    # (training: add W900-W949 above this line)

    # --- data quality (W950-W999) ---
    W950 = ("{what}: the predictions carry no model probabilities, so likely label issues "
            "are plain model-gold disagreements{ranked}, not confident-learning scores. "
            "Pass out-of-sample probabilities (see docs/quality.md) for scored issues.")
    W951 = ("{what}: {count} gold span(s) do not start and end on token boundaries; each "
            "was counted over the tokens it overlaps. Tokenize the data so that entities "
            "cover whole tokens to silence this warning.")
    # (quality: add W950-W999 above this line)

    # --- drift (W1000-W1049) ---
    W1000 = ("Drift test {test!r} was requested but cannot run on this data: {reason}. "
             "It is reported with status 'skipped'.")
    W1001 = ("With {n_permutations} permutations the smallest permutation p-value is "
             "{min_p:.2g}; after {correction} correction over {m} tests it can never reach "
             "alpha={alpha}. Pass n_permutations >= {needed} (CLI: --permutations).")
    W1002 = ("{test}: {side} has {n} texts; a random sample of {kept} (seed {seed}) is used "
             "(Python: max_embedding_texts={kept}; the CLI uses the default).")
    W1003 = ("{count} window(s) hold fewer than {minimum} current examples and were "
             "skipped: {windows}. Pass a coarser window (CLI: --window weekly or --window "
             "N with a larger N; Python: window=..., or min_window_size=...).")
    # (drift: add W1000-W1049 above this line)

    # --- scale-out (W1050-W1099) ---
    # (scale: add W1050-W1099 above this line)

    # --- hostile input and resource limits (W030-W099) ---
    W030 = ("{where}: {count} byte sequence(s) were not valid in the chosen encoding and "
            "were replaced by U+FFFD (--encoding-errors replace).")
    # (hostile: add W031-W099 above this line)

    # --- suites, round 2 (W619-W649) ---
    # (suites: add W619-W649 above this line)

    # --- first hour of a new user, round 2 (W221-W249, W024-W029, W511-W529, W716-W739) ---
    W511 = ("The predicted labels do not match the gold labels: {share:.0%} of the {npred} "
            "predicted entities carry labels the gold data never uses ({pred_only}); gold "
            "labels never predicted: {gold_only}. The scores compare two different label "
            "sets (micro F1 {f1:.2f}). Map the model's labels to the gold's when predicting "
            "(nlperr predict, or nlperr analyze ner --model) with {hint}.")
    # (first hour: add W221-W249, W024-W029, W511-W529, W716-W739 above this line)
