"""spaCy adapters: NER (``doc.ents``) and text classification (``doc.cats``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..data import Example, Span
from ..errors import Errors, InputError, ModelError, ModelNotFoundError
from ._util import check_choice, hash_path, require
from .base import TASKS, Adapter, Prediction, stable_hash

__all__ = ["SpacyAdapter", "load_spacy", "is_spacy_language"]

# Components that can set doc.ents / doc.cats (the targets).
_ENT_FACTORIES = {"ner", "beam_ner", "entity_ruler", "future_entity_ruler", "span_ruler"}
_TEXTCAT_FACTORIES = {"textcat", "textcat_multilabel"}

# What built-in components write (annotation names; "TENSOR:<name>" is the output a
# listener receives from the tok2vec/transformer component <name>).  A factory not
# listed here may write anything.
_WRITES = {
    "tagger": {"TAG"}, "morphologizer": {"MORPH", "POS"}, "senter": {"SENT_START"},
    "sentencizer": {"SENT_START"}, "parser": {"DEP", "HEAD", "SENT_START"},
    "beam_parser": {"DEP", "HEAD", "SENT_START"}, "lemmatizer": {"LEMMA"},
    "trainable_lemmatizer": {"LEMMA"}, "entity_linker": {"ENT_KB_ID"},
    "spancat": {"SPANS"}, "spancat_singlelabel": {"SPANS"}, "textcat": {"CATS"},
    "textcat_multilabel": {"CATS"}, "ner": {"ENTS"}, "beam_ner": {"ENTS"},
    "entity_ruler": {"ENTS"}, "future_entity_ruler": {"ENTS"}, "span_ruler": {"SPANS", "ENTS"},
    # retokenizers change tokens, never an entity's characters or label
    "merge_noun_chunks": {"TOKENS"}, "merge_entities": {"TOKENS"},
    "merge_subtokens": {"TOKENS"}, "token_splitter": {"TOKENS"},
}
# Transition-based components respect sentence boundaries set before them.
_TRANSITION = {"parser", "beam_parser", "ner", "beam_ner"}
_STATISTICAL = _TRANSITION | {"tagger", "morphologizer", "senter", "trainable_lemmatizer",
                              "entity_linker", "spancat", "spancat_singlelabel", "textcat",
                              "textcat_multilabel", "tok2vec"}
_EMBEDDERS = {"tok2vec", "transformer", "curated_transformer"}


def is_spacy_language(obj: Any) -> bool:
    """Whether *obj* is a spaCy ``Language`` (checked without importing spaCy)."""
    return any(c.__module__.startswith("spacy.") and c.__name__ == "Language"
               for c in type(obj).__mro__)


class SpacyAdapter(Adapter):
    """Predict entities (``task="ner"``) or classes (``task="classification"``) with spaCy.

    NER on pre-tokenized examples builds ``Doc(nlp.vocab, words=..., spaces=...)``
    from the example's tokens, so predicted entities align with gold tokens
    exactly; entity token indices are mapped back to the example's own token
    offsets (so texts whose whitespace between tokens is not a single space are
    handled).  Examples without tokens are run through ``nlp.pipe(texts)``.

    The adapter returns exactly what the pipeline returns on the same ``Doc``.
    Only components that provably cannot change the target annotation are
    switched off (see :meth:`_unneeded`): components after the last target that
    write nothing the target reads (``entity_linker``, ``lemmatizer``...), and
    components before it whose output nothing later reads (``lemmatizer``,
    ``tagger`` / ``attribute_ruler`` when only a statistical ``ner`` follows).
    Sentence-boundary setters (``parser``, ``senter``, ``sentencizer``) before
    a transition-based ``ner`` stay on: entities never cross a sentence
    boundary.  Rule-based and custom components keep everything before them.
    ``settings()`` (and so the cache key) records what was switched off; pass
    ``all_components=True`` to run the whole pipeline regardless.

    Classification reads ``doc.cats``: ``textcat`` -> argmax label;
    ``textcat_multilabel`` -> every label with probability >= *threshold*.
    """

    kind = "spacy"
    uses_tokens = True

    def __init__(self, nlp: Any, *, task: str | None = None, batch_size: int | None = None,
                 threshold: float = 0.5, all_components: bool = False,
                 source: str | None = None, files_hash: str | None = None) -> None:
        self.nlp = nlp
        name = nlp.meta.get("name", "?")
        lang = nlp.meta.get("lang", nlp.lang)
        self.name = f"{lang}_{name}" if not str(name).startswith(lang) else str(name)
        factories = {n: nlp.get_pipe_meta(n).factory for n in nlp.pipe_names}
        ent_comps = [n for n, f in factories.items() if f in _ENT_FACTORIES]
        cat_comps = [n for n, f in factories.items() if f in _TEXTCAT_FACTORIES]
        if task is None:
            task = "ner" if ent_comps else "classification" if cat_comps else None
            if task is None:
                raise ModelError(Errors.E204.format(name=self.name, component="ner",
                                                    pipes=nlp.pipe_names))
        check_choice("task", task, TASKS)
        if task == "ner" and not ent_comps:
            raise ModelError(Errors.E204.format(name=self.name, component="ner",
                                                pipes=nlp.pipe_names))
        if task == "classification" and not cat_comps:
            raise ModelError(Errors.E204.format(name=self.name, component="textcat",
                                                pipes=nlp.pipe_names))
        self.task = task
        self.batch_size = int(batch_size) if batch_size else 256
        self.threshold = float(threshold)
        self.multi_label = bool(task == "classification"
                                and factories[cat_comps[0]] == "textcat_multilabel")
        self.all_components = bool(all_components)
        self.source = source
        self._files_hash = files_hash
        self._bytes_hash: str | None = None
        targets = ent_comps if task == "ner" else cat_comps[:1]
        self.disabled = [] if all_components else self._unneeded(factories, targets)

    # -- pipeline pruning ----------------------------------------------------------
    def _writes(self, name: str, factory: str) -> set[str] | None:
        """What component *name* writes; None when it may write anything."""
        if factory in _EMBEDDERS:
            return {f"TENSOR:{name}"}
        if factory == "attribute_ruler":  # exactly the attributes its patterns set
            out: set[str] = set()
            for pattern in getattr(self.nlp.get_pipe(name), "patterns", None) or []:
                attrs = pattern.get("attrs") or {}
                if "_" in attrs:
                    return None
                out |= {str(k).upper() for k in attrs}
            return out
        return _WRITES.get(factory)

    def _reads(self, name: str, factory: str) -> set[str] | None:
        """What component *name* reads; None when it may read anything (rule-based and
        custom components, or a model whose input features cannot be read from the
        config)."""
        if factory == "lemmatizer":
            return {"TOKENS", "POS", "TAG", "MORPH"}
        if factory in ("transformer", "curated_transformer"):
            return {"TOKENS"}
        if factory not in _STATISTICAL:
            return None
        model = (self.nlp.config.get("components", {}).get(name) or {}).get("model")
        if not isinstance(model, dict):
            return None
        t2v = model if factory == "tok2vec" else model.get("tok2vec")
        if not isinstance(t2v, dict):
            return None
        reads = {"TOKENS"} | ({"SENT_START"} if factory in _TRANSITION else set())
        arch = str(t2v.get("@architectures", ""))
        if "Listener" in arch:
            upstream = t2v.get("upstream", "*")
            sources = [n for n in self.nlp.pipe_names if n != name and
                       name in (getattr(self.nlp.get_pipe(n), "listening_components", None) or [])]
            if upstream not in ("*", None) and upstream not in sources:
                sources.append(str(upstream))
            return reads | {f"TENSOR:{n}" for n in sources} if sources else None
        embed = t2v.get("embed")
        attrs = embed.get("attrs") if isinstance(embed, dict) else None
        if not isinstance(attrs, list):
            return None
        return reads | {str(a).upper() for a in attrs}

    def _unneeded(self, factories: dict[str, str], targets: list[str]) -> list[str]:
        """Components whose output provably cannot change the targets' annotation.

        Walking the pipeline backwards from its end, a component is switched off
        when everything it writes is known and nothing that runs after it (and is
        kept) reads it: the targets read their input features (from the model
        config), sentence boundaries (transition-based components), and the
        tensors of the tok2vec / transformer they listen to.  Rule-based and
        custom components may read anything, so every component before them
        stays on.  The pipeline's own entities / categories are unchanged; the
        adapter tests check it on whole corpora.
        """
        needed: set[str] | None = {"ENTS"} if self.task == "ner" else {"CATS"}
        dropped = []
        for name in reversed(list(factories)):
            factory = factories[name]
            writes = self._writes(name, factory)
            keep = (name in targets or needed is None or writes is None
                    or bool(writes & needed))
            if not keep:
                dropped.append(name)
                continue
            reads = self._reads(name, factory)
            needed = None if reads is None or needed is None else needed | reads
        return [n for n in factories if n in dropped]

    # -- protocol ------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        return {"task": self.task, "threshold": self.threshold, "disabled": self.disabled,
                "multi_label": self.multi_label}

    def fingerprint(self) -> str:
        meta = {k: self.nlp.meta.get(k) for k in ("name", "version", "lang", "pipeline")}
        if self._files_hash is None and self._bytes_hash is None:
            self._bytes_hash = stable_hash(self.nlp.to_bytes().hex())
        return stable_hash("spacy", meta, list(self.nlp.pipe_names),
                           self._files_hash or self._bytes_hash)

    @property
    def device(self) -> str:
        """``"gpu"`` when the pipeline's models run on CuPy ops, else ``"cpu"``
        (read from the loaded components, not from thinc's process-wide setting)."""
        for name in self.nlp.pipe_names:
            model = getattr(self.nlp.get_pipe(name), "model", None)
            ops = getattr(model, "ops", None)
            if ops is not None:
                return "gpu" if type(ops).__name__ == "CupyOps" else "cpu"
        return "cpu"

    def predict_batch(self, examples: Sequence[Example]) -> list[Prediction]:
        from spacy.tokens import Doc

        inputs: list[Any] = []
        for ex in examples:
            if ex.tokens is not None and (self.task == "ner" or ex.tokens):
                inputs.append(Doc(self.nlp.vocab, words=ex.words, spaces=ex.spaces))
            else:
                inputs.append(ex.text)
        if self.disabled:
            with self.nlp.select_pipes(disable=self.disabled):
                docs = list(self.nlp.pipe(inputs, batch_size=self.batch_size))
        else:
            docs = list(self.nlp.pipe(inputs, batch_size=self.batch_size))
        if self.task == "ner":
            return [self._ents(doc, ex) for doc, ex in zip(docs, examples)]
        return [self._cats(doc) for doc in docs]

    def _ents(self, doc: Any, ex: Example) -> Prediction:
        if ex.tokens is not None:
            toks = ex.tokens
            if len(doc) == len(toks):
                return Prediction(spans=tuple(Span(toks[e.start].start, toks[e.end - 1].end,
                                                   e.label_) for e in doc.ents))
            # a component retokenized the Doc: map through character offsets
            starts, ends, pos = {}, {}, 0
            for t, sp in zip(toks, ex.spaces):
                starts[pos] = t.start
                pos += len(t.text)
                ends[pos] = t.end
                pos += 1 if sp else 0
            return Prediction(spans=tuple(Span(starts[e.start_char], ends[e.end_char], e.label_)
                                          for e in doc.ents))
        return Prediction(spans=tuple(Span(e.start_char, e.end_char, e.label_)
                                      for e in doc.ents))

    def _cats(self, doc: Any) -> Prediction:
        probs = {k: float(v) for k, v in doc.cats.items()}
        if self.multi_label:
            label: str | tuple[str, ...] = tuple(k for k, p in probs.items()
                                                 if p >= self.threshold)
        else:
            label = max(probs, key=probs.__getitem__) if probs else None  # type: ignore[assignment]
        return Prediction(label=label, probs=probs)

    def __repr__(self) -> str:
        return (f"SpacyAdapter({self.source or self.name!r}, task={self.task!r}, "
                f"disabled={self.disabled})")


_GPU_FACTORIES = {"transformer", "curated_transformer"}


def _wants_gpu(name: str) -> bool:
    """Whether an auto device should put *name* on the GPU: only transformer-based
    pipelines (read from config.cfg), where the GPU pays off."""
    from .deferred import _spacy_folder, spacy_factories

    folder = _spacy_folder(name)
    return folder is not None and bool(spacy_factories(folder) & _GPU_FACTORIES)


def _apply_device(spacy: Any, device: str | None, name: str = "") -> None:
    """Set spaCy's device before loading.

    spaCy's GPU switch (``spacy.prefer_gpu`` / ``require_gpu``) is process-wide:
    it changes thinc's current ops for every pipeline loaded afterwards.  So the
    auto device (``None``) switches only for transformer pipelines when a GPU is
    present, and CNN pipelines (``en_core_web_sm``...) stay on CPU, where they are
    about as fast; ``device="gpu"``/``"cuda"`` always asks for the GPU.
    """
    if device in (None, "auto"):
        if _wants_gpu(name):
            spacy.prefer_gpu()
    elif device == "cpu":
        return
    elif device in ("gpu", "cuda") or (isinstance(device, str) and device.startswith("cuda:")):
        gpu_id = int(device.split(":")[1]) if ":" in device else 0
        try:
            spacy.require_gpu(gpu_id)
        except Exception as e:  # thinc raises ValueError without cupy / GPU
            raise ModelError(Errors.E215.format(device=device, reason=str(e))) from e
    else:
        raise InputError(Errors.E207.format(value=device, option="device",
                                            allowed=[None, "auto", "cpu", "gpu", "cuda",
                                                     "cuda:N"]))


def load_spacy(name: str, *, task: str | None = None, device: str | None = None,
               batch_size: int | None = None, **options: Any) -> SpacyAdapter:
    """Load ``spacy:NAME_OR_PATH`` (an installed package name or a pipeline folder)."""
    spacy = require("spacy", extra="spacy", what="The spaCy adapter")
    if not name:
        raise InputError(Errors.E218.format(spec="spacy:", expected="'spacy:NAME_OR_PATH'"))
    _apply_device(spacy, device, name)
    try:
        nlp = spacy.load(name)
    except OSError as e:
        hint = ("If it is a package, install it (pip install the package, or python -m "
                "spacy download NAME); if it is a folder, check the path.")
        raise ModelNotFoundError(Errors.E202.format(spec=f"spacy:{name}", hint=hint)) from e
    files_hash = hash_path(nlp.path) if getattr(nlp, "path", None) else None
    return SpacyAdapter(nlp, task=task, batch_size=batch_size, source=name,
                        files_hash=files_hash, **options)
