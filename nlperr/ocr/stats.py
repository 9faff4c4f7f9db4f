"""Corpus statistics without ground truth (streaming).

How the work is split (see ``benchmarks/bench_ocr.py`` for the measured rates):

* **per token** -- only C-level work: one compiled regex ``findall`` per document
  and a ``Counter`` over its token list;
* **per document** -- the document's distinct types are looked up in a dict of
  type ids (new ones get the next id), two ``numpy.fromiter`` calls give
  ``(type ids, counts)``; documents are buffered and their numbers computed in
  batches (one gather + ``add.reduceat`` over a per-type feature matrix);
* **per new type** (memoised, in batches) -- the garbage rules, the word form,
  the lexicon lookup and the character-trigram score (the last two once per new
  *word form*);
* **at the end** -- near-miss search over the word-form vocabulary.

Memory is bounded by the vocabulary (types, word forms) plus one row of numbers
per document for the per-document table; it does not grow with the number of
tokens.

Per token type we compute: the garbage rules that fire (:mod:`nlperr.ocr.garbage`),
its word form, whether the form is out of the lexicon (OOV), and its character
trigram log-probability under a model of clean text.

**OCR-noise score** (no ground truth): for a token,
``(garbage + oov + implausible) / k`` where *garbage* is 1 if any garbage rule
fires, *oov* is 1 for a word-like token whose form is not in the lexicon,
*implausible* is 1 for a word-like token whose mean trigram log-probability is
below the 5th percentile of the reference's (token-weighted) word scores, and *k*
counts the components available (garbage always; oov with a lexicon; implausible
with a trigram model).  Non-word tokens (numbers, punctuation) have oov =
implausible = 0.  A text's / span's score is the mean over its tokens, in [0, 1].
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import Errors, InputError, MissingDependencyError
from ..results import Result, jsonable
from ._text import ALPHA, TOKEN, word_form, word_forms
from .garbage import TypeBlock, _apply, get_garbage_rules
from .lexicon import CharTrigramModel, Lexicon  # noqa: F401  (Lexicon: used by the doctests)
from .nearmiss import near_miss, near_miss_clusters

__all__ = ["Reference", "CorpusStats", "StatsResult", "OcrNoiseScorer", "corpus_stats",
           "subword_fragmentation", "DOCUMENT_STATS_COLUMNS"]

_findall = TOKEN.findall


def _first_positions(toks: list[str], new: list[str]) -> list[int]:
    first = dict(zip(reversed(toks), range(len(toks) - 1, -1, -1)))
    return [first[t] for t in new]


class Reference:
    """Profile of a clean reference corpus: token/word counts, growth, trigram model.

    >>> ref = Reference.from_texts(["the cat sat on the mat"] * 10)
    >>> ref.tokens, ref.types, ref.words["the"]
    (60, 5, 20)
    """

    def __init__(self, *, growth_step: int = 10_000):
        self.growth_step = growth_step
        self.counts: Counter = Counter()   # in first-occurrence order
        self._first: list[int] = []        # token position of each type's first occurrence
        self._state = {"tokens": 0}
        self._words: Counter | None = None
        self._model: CharTrigramModel | None = None
        self._thresholds: dict[float, float] = {}

    def add(self, text: str) -> None:
        toks = _findall(text)
        counts = self.counts
        before_tokens, before_types = self._state["tokens"], len(counts)
        counts.update(toks)
        self._state["tokens"] += len(toks)
        k = len(counts) - before_types
        if k:
            new = [t for t, _ in zip(reversed(counts), range(k))][::-1]
            pos = [toks.index(t) for t in new] if k <= 8 else _first_positions(toks, new)
            self._first.extend(p + before_tokens for p in pos)
        self._invalidate()

    def _invalidate(self) -> None:
        self._words = self._model = None
        self._thresholds = {}

    @property
    def growth(self) -> list[tuple[int, int]]:
        """``(tokens, types)`` at every multiple of *growth_step* tokens."""
        step, total = self.growth_step, self._state["tokens"]
        cuts = range(step, total + 1, step)
        return [(t, bisect_left(self._first, t)) for t in cuts]

    def merge(self, other: "Reference") -> "Reference":
        """Append *other*, the profile of the text that follows this one; the result
        equals one profile of both texts (counts, growth, words).  Returns ``self``."""
        if not isinstance(other, Reference):
            raise InputError(Errors.E1050.format(what="Reference", got=type(other).__name__))
        if other.growth_step != self.growth_step:
            raise InputError(Errors.E1051.format(what="Reference",
                                                 mine=f"growth_step={self.growth_step}",
                                                 theirs=f"growth_step={other.growth_step}"))
        base, counts = self._state["tokens"], self.counts
        self._first.extend(fp + base for t, fp in zip(other.counts, other._first)
                           if t not in counts)
        counts.update(other.counts)
        self._state["tokens"] += other._state["tokens"]
        self._invalidate()
        return self

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, growth_step: int = 10_000,
                   engine: str = "local", address: str | None = None,
                   workers: int | None = None) -> "Reference":
        """Profile *texts*; ``engine="ray"`` counts blocks of them in Ray tasks and
        merges the profiles in order (the same result)."""
        _check_engine(engine, address, workers)
        ref = cls(growth_step=growth_step)
        if engine == "ray":
            from ..engine.distributed import ray_corpus_stats
            return ray_corpus_stats(ref, texts, address=address, workers=workers)
        for t in texts:
            ref.add(t)
        return ref

    @property
    def tokens(self) -> int:
        return self._state["tokens"]

    @property
    def types(self) -> int:
        return len(self.counts)

    @property
    def words(self) -> Counter:
        """Word-form counts."""
        if self._words is None:
            w: Counter = Counter()
            for tok, n in self.counts.items():
                f = word_form(tok)
                if f:
                    w[f] += n
            self._words = w
        return self._words

    @property
    def model(self) -> CharTrigramModel:
        """Character trigram model of the reference's word forms (built once)."""
        if self._model is None:
            self._model = CharTrigramModel.from_word_counts(self.words)
        return self._model

    def threshold(self, quantile: float = 0.05) -> float:
        """The *quantile* of the token-weighted trigram scores of the reference's words."""
        if quantile not in self._thresholds:
            words = self.words
            ws = list(words)
            lps = self.model.logprobs(ws)
            wts = np.fromiter(words.values(), dtype=float, count=len(ws))
            self._thresholds[quantile] = _weighted_quantile(lps, wts, quantile)
        return self._thresholds[quantile]


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if not len(values):
        return float("nan")
    order = np.argsort(values)
    cw = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cw, q * cw[-1])])


# columns of the per-type feature matrix (summed per document, weighted by counts)
_F_TOK, _F_WORD, _F_OOV, _F_GARB, _F_IMP, _F_HASLP, _F_LP, _F_NOISE = range(8)
_NF = 8


class _TypeTable:
    """Per-type properties, computed once per new type and memoised.

    ``ids`` maps a token type to its row; ``feat[row]`` holds the per-type
    feature vector (columns ``_F_*`` then one column per garbage rule); ``bits``
    the rule bits; ``form_id`` the word-form id (-1: not word-like).  Types get
    an id at once (:meth:`intern`); their properties are computed in batches
    (:meth:`ensure`).
    """

    def __init__(self, rules: Iterable[str] | None, lexicon: Any, model: CharTrigramModel | None,
                 threshold: float):
        self.rules = get_garbage_rules(rules)
        self.lexicon = lexicon
        self.model = model
        self.threshold = threshold
        self.components = 1 + (lexicon is not None) + (model is not None)
        self.ids: dict[str, int] = {}
        self.types: list[str] = []
        self.done = 0
        ncol = _NF + len(self.rules)
        self.feat = np.zeros((1024, ncol), dtype=np.float64)
        self.bits = np.zeros(1024, dtype=np.int64)
        self.form_id = np.full(1024, -1, dtype=np.int64)
        self.forms: dict[str, int] = {}
        self.form_list: list[str] = []
        self._rule_bits = 1 << np.arange(len(self.rules), dtype=np.int64)
        self._form_oov = np.zeros(0, dtype=bool)
        self._form_imp = np.zeros(0, dtype=bool)
        self._form_lp = np.zeros(0, dtype=np.float64)

    def intern(self, doc: Iterable[str]) -> list[str]:
        """Give ids to the types of *doc* not seen before; returns them in order."""
        ids = self.ids
        new = [t for t in doc if t not in ids]
        if new:
            n0 = len(self.types)
            ids.update(zip(new, range(n0, n0 + len(new))))
            self.types.extend(new)
        return new

    def _grow(self, size: int) -> None:
        cap = len(self.bits)
        if size <= cap:
            return
        while cap < size:
            cap *= 2
        feat = np.zeros((cap, self.feat.shape[1]), dtype=np.float64)
        feat[: len(self.feat)] = self.feat
        self.feat = feat
        self.bits = np.concatenate([self.bits, np.zeros(cap - len(self.bits), dtype=np.int64)])
        self.form_id = np.concatenate([self.form_id,
                                       np.full(cap - len(self.form_id), -1, dtype=np.int64)])

    def ensure(self) -> None:
        """Compute the properties of every type interned since the last call."""
        lo, hi = self.done, len(self.types)
        if lo == hi:
            return
        self._grow(hi)
        new = self.types[lo:hi]
        nr = len(self.rules)
        block = TypeBlock(new)
        if nr:
            flags = _apply(block, self.rules)
            bits = flags @ self._rule_bits
        else:
            flags = np.zeros((len(new), 0), dtype=bool)
            bits = np.zeros(len(new), dtype=np.int64)
        forms = self.forms
        form_of = word_forms(new, (block.count(ALPHA) > 0).tolist())
        fresh = list(dict.fromkeys(f for f in form_of if f is not None and f not in forms))
        if fresh:
            f0 = len(self.form_list)
            forms.update(zip(fresh, range(f0, f0 + len(fresh))))
            self.form_list.extend(fresh)
            self._form_props(fresh)
        fid = np.fromiter((forms[f] if f is not None else -1 for f in form_of),
                          dtype=np.int64, count=len(new))
        word = fid >= 0
        f = np.zeros((len(new), _NF + nr), dtype=np.float64)
        f[:, _F_TOK] = 1.0
        f[:, _F_WORD] = word
        wf = fid[word]
        oov = np.zeros(len(new), dtype=bool)
        imp = np.zeros(len(new), dtype=bool)
        lp = np.full(len(new), math.nan)
        oov[word] = self._form_oov[wf]
        imp[word] = self._form_imp[wf]
        lp[word] = self._form_lp[wf]
        garbage = bits != 0
        f[:, _F_OOV] = oov
        f[:, _F_GARB] = garbage
        f[:, _F_IMP] = imp
        has = ~np.isnan(lp)
        f[:, _F_HASLP] = has
        f[:, _F_LP] = np.where(has, lp, 0.0)
        f[:, _F_NOISE] = (garbage.astype(float) + oov + imp) / self.components
        f[:, _NF:] = flags
        self.feat[lo:hi] = f
        self.bits[lo:hi] = bits
        self.form_id[lo:hi] = fid
        self.done = hi

    def _form_props(self, fresh: list[str]) -> None:
        lex, model = self.lexicon, self.model
        oov = (np.fromiter((w not in lex for w in fresh), dtype=bool, count=len(fresh))
               if lex is not None else np.zeros(len(fresh), dtype=bool))
        if model is not None:
            lp = model.logprobs(fresh)
            imp = lp < self.threshold
        else:
            lp = np.full(len(fresh), math.nan)
            imp = np.zeros(len(fresh), dtype=bool)
        self._form_oov = np.concatenate([self._form_oov, oov])
        self._form_imp = np.concatenate([self._form_imp, imp])
        self._form_lp = np.concatenate([self._form_lp, lp])

    def absorb(self, other: "_TypeTable") -> np.ndarray:
        """Append *other*'s types that this table lacks (rows copied, not recomputed).

        Both tables must be complete (:meth:`ensure`) and built with the same
        rules, lexicon and trigram model, so a type's row is the same in both.
        The appended types keep *other*'s order, so merging the tables of
        consecutive shards gives the ids that one table over the whole stream
        gives (first occurrence order).  Returns *other*'s ids mapped to ours.
        """
        self.ensure()
        other.ensure()
        n_other = len(other.types)
        new = self.intern(other.types)
        lo = self.done
        hi = len(self.types)
        mapped = self.id_array(other.types, n_other)
        if new:
            self._grow(hi)
            src = other.id_array(new, len(new))
            self.feat[lo:hi] = other.feat[src]
            self.bits[lo:hi] = other.bits[src]
            # word forms: new forms get the next ids in the order of their first type
            forms = self.forms
            ofid = other.form_id[src]
            fresh_src = [int(f) for f in dict.fromkeys(ofid.tolist())
                         if f >= 0 and other.form_list[f] not in forms]
            if fresh_src:
                f0 = len(self.form_list)
                names = [other.form_list[f] for f in fresh_src]
                forms.update(zip(names, range(f0, f0 + len(names))))
                self.form_list.extend(names)
                idx = np.asarray(fresh_src, dtype=np.intp)
                self._form_oov = np.concatenate([self._form_oov, other._form_oov[idx]])
                self._form_imp = np.concatenate([self._form_imp, other._form_imp[idx]])
                self._form_lp = np.concatenate([self._form_lp, other._form_lp[idx]])
            self.form_id[lo:hi] = np.fromiter(
                (forms[other.form_list[f]] if f >= 0 else -1 for f in ofid.tolist()),
                dtype=np.int64, count=len(new))
            self.done = hi
        return mapped

    def signature(self) -> tuple:
        """What determines a type's row: rules, components, threshold, lexicon size."""
        lex = self.lexicon
        return (tuple(r.name for r in self.rules), self.components,
                float(self.threshold).hex(),
                None if lex is None else len(lex))

    def id_array(self, tokens: Iterable[str], n: int) -> np.ndarray:
        return np.fromiter(map(self.ids.__getitem__, tokens), dtype=np.intp, count=n)

    def token_noise(self, tokens: list[str]) -> np.ndarray:
        self.intern(tokens)
        self.ensure()
        return self.feat[self.id_array(tokens, len(tokens)), _F_NOISE]


def _model_and_threshold(reference: Reference | None, lexicon: Any,
                         quantile: float) -> tuple[CharTrigramModel | None, float]:
    if reference is not None and reference.tokens:
        return reference.model, reference.threshold(quantile)
    if lexicon is not None and len(lexicon):
        counts = dict.fromkeys(lexicon, 1)
        model = CharTrigramModel.from_word_counts(counts)
        lps = model.logprobs(list(counts))
        return model, _weighted_quantile(lps, np.ones(len(lps)), quantile)
    return None, -math.inf


class OcrNoiseScorer:
    """Scores text, tokens or character spans for OCR noise (no ground truth).

    See the module docstring for the score.  Build it with the same reference /
    lexicon you would give :func:`corpus_stats`.  Per-type results are memoised,
    so scoring many spans of one corpus costs little more than tokenising them.

    >>> scorer = OcrNoiseScorer(lexicon=Lexicon.from_words("the cat sat on mat".split()))
    >>> scorer.score("the cat sat"), scorer.score("tbe c@t s;a,t")
    (0.0, 0.7777777777777777)
    """

    def __init__(self, *, reference: Reference | None = None, lexicon: Any = None,
                 rules: Iterable[str] | None = None, quantile: float = 0.05):
        model, thr = _model_and_threshold(reference, lexicon, quantile)
        self._types = _TypeTable(rules, lexicon, model, thr)

    def token_scores(self, tokens: list[str]) -> np.ndarray:
        """Per-token noise scores in [0, 1]."""
        return self._types.token_noise(list(tokens))

    def score(self, text: str) -> float:
        """Mean token noise of *text* (NaN when it has no token)."""
        toks = _findall(text)
        return float(self.token_scores(toks).mean()) if toks else math.nan

    def score_span(self, text: str, start: int, end: int) -> float:
        """Mean token noise of ``text[start:end]``."""
        return self.score(text[start:end])


DOCUMENT_STATS_COLUMNS = ["document", "tokens", "types", "word_tokens", "oov_tokens", "oov_rate",
                          "garbage_tokens", "garbage_rate", "trigram_logprob",
                          "implausible_rate", "ocr_noise"]


@dataclass
class StatsResult(Result):
    """Result of :func:`corpus_stats`: a :class:`nlperr.results.Result` whose
    ``tables`` are ``documents``, ``garbage_rules``, ``vocab_growth``,
    ``near_miss``, ``near_miss_clusters`` and ``fragmentation`` (with a
    tokenizer); figure ``ocr_noise`` (histogram per document).

    Attributes
    ----------
    summary : dict
        Corpus totals and rates (keys as the document columns, plus ``documents``,
        ``reference_tokens``, ``reference_types``, ``near_miss_variants``,
        ``near_miss_tokens``, ``lexicon``, ``pieces_per_word``...).
    documents : DataFrame
        One row per document: :data:`DOCUMENT_STATS_COLUMNS` plus one
        ``garbage_<rule>`` column per rule (tokens that fire it).
    garbage : DataFrame
        One row per rule: ``rule``, ``tokens``, ``rate``, ``types``, ``examples``,
        ``description``, ``source``, ``note``.
    growth : DataFrame
        Vocabulary growth: ``tokens``, ``types``, ``reference_types``,
        ``type_token_ratio``, ``reference_type_token_ratio`` every *growth_step*
        tokens and at the end.
    near_miss, clusters : DataFrame
        See :func:`nlperr.ocr.nearmiss.near_miss` / ``near_miss_clusters``.
    fragmentation : DataFrame or None
        ``pieces`` (1..9, "10+"), ``share`` (of OCR word tokens) and
        ``reference_share``; None without a tokenizer.
    """

    summary: dict[str, Any]
    documents: pd.DataFrame
    garbage: pd.DataFrame
    growth: pd.DataFrame
    near_miss: pd.DataFrame
    clusters: pd.DataFrame
    fragmentation: pd.DataFrame | None = None

    # the result protocol (nlperr.results): tables under the names the CLI writes
    kind: ClassVar[str] = "ocr_stats"
    title: ClassVar[str] = "OCR statistics (no ground truth)"
    figure_specs: ClassVar[dict[str, str]] = {
        "ocr_noise": "nlperr.report.figures:ocr_noise_histogram"}
    _TABLES: ClassVar[dict[str, str]] = {
        "documents": "documents", "garbage_rules": "garbage", "vocab_growth": "growth",
        "near_miss": "near_miss", "near_miss_clusters": "clusters",
        "fragmentation": "fragmentation"}

    def __post_init__(self) -> None:
        self.summary = jsonable(self.summary)
        if not self.tables:
            self.tables = {name: getattr(self, attr) for name, attr in self._TABLES.items()
                           if getattr(self, attr) is not None}
        if not self.findings:
            self.findings = self._findings()
        super().__post_init__()

    def _findings(self) -> list[Any]:
        from ..results import Finding

        s, out = self.summary, []
        if s.get("garbage_rate") is not None:
            rules = sorted((s.get("garbage_rules") or {}).items(), key=lambda kv: -kv[1])
            top = ", ".join(f"{r} {n}" for r, n in rules[:3] if n)
            out.append(Finding(f"Garbage rate {s['garbage_rate']:.4f} ({s['garbage_tokens']} of "
                               f"{s['tokens']} tokens)" + (f"; most frequent rules: {top}" if top
                                                           else "") + ".",
                               metric="garbage_rate", value=s["garbage_rate"]))
        if s.get("oov_rate") is not None:
            out.append(Finding(f"OOV rate {s['oov_rate']:.4f} of word tokens (lexicon: "
                               f"{s.get('lexicon')}).", metric="oov_rate", value=s["oov_rate"]))
        if len(self.clusters):
            c = self.clusters.iloc[0].to_dict()
            desc = (f"{c['word']} ({c.get('word_count')} occurrences; variants "
                    f"{c.get('top_variants', '')})" if "word" in c else
                    ", ".join(f"{k} {v}" for k, v in list(c.items())[:4]))
            out.append(Finding(f"{s.get('near_miss_variants', len(self.near_miss))} near-miss "
                               f"variant(s) of in-lexicon words; largest cluster: {desc}.",
                               metric="near_miss_variants",
                               value=s.get("near_miss_variants")))
        return out

    def headline(self) -> dict[str, Any]:
        s = self.summary
        return {k: s.get(k) for k in ("documents", "tokens", "types", "garbage_rate",
                                      "oov_rate", "ocr_noise", "near_miss_variants")
                if s.get(k) is not None}

    def report_tables(self) -> list[str]:
        return [n for n in ("garbage_rules", "near_miss_clusters", "near_miss", "fragmentation",
                            "vocab_growth", "documents") if n in self.tables]

    @classmethod
    def _from_parts(cls, summary: dict[str, Any], tables: dict[str, Any],
                    findings: list[Any], extra: dict[str, Any]) -> "StatsResult":
        return cls(summary, *(tables.get(n) for n in cls._TABLES), tables=tables,
                   findings=findings)


class CorpusStats:
    """Streaming accumulator behind :func:`corpus_stats`: :meth:`add` documents one
    at a time, then call :meth:`result`.

    Documents are buffered and scored in batches of about *batch_tokens* tokens
    (new types of a batch are analysed together), so per-document numbers exist
    only once :meth:`result` (or :meth:`flush`) has run.
    """

    def __init__(self, *, reference: Reference | None = None, lexicon: Any = None,
                 rules: Iterable[str] | None = None, growth_step: int = 10_000,
                 quantile: float = 0.05, batch_tokens: int = 200_000):
        if isinstance(growth_step, bool) or not isinstance(growth_step, int) or growth_step < 1:
            raise InputError(Errors.E207.format(value=growth_step, option="growth_step",
                                                allowed="a positive integer"))
        self.reference = reference
        self.lexicon = lexicon
        model, thr = _model_and_threshold(reference, lexicon, quantile)
        self.types = _TypeTable(rules, lexicon, model, thr)
        self.rule_names = [r.name for r in self.types.rules]
        self._signature = (self.types.signature(), growth_step,
                           None if reference is None else (reference.tokens, reference.types))
        self.step = growth_step
        self._tokens = 0
        # token position of each type's first occurrence, in type-id order (ascending,
        # since ids are given in first-occurrence order): the vocabulary growth curve
        self._first = np.zeros(1024, dtype=np.int64)
        self.batch_tokens = batch_tokens
        self._doc_ids: list[str | None] = []    # None: numbered at the end
        self._doc_types: list[int] = []
        self._sums: list[np.ndarray] = []      # per flushed batch: (docs, features)
        self._buf_ids: list[np.ndarray] = []
        self._buf_n: list[np.ndarray] = []
        self._buf_tokens = 0
        self._counts = np.zeros(0, dtype=np.int64)

    @property
    def tokens(self) -> int:
        """Tokens added so far."""
        return self._tokens

    def add(self, text: str, *, id: str | None = None) -> None:
        """Add one document (its statistics are computed in the next batch)."""
        toks = _findall(text)
        doc = Counter(toks)
        tt = self.types
        before_types = len(tt.types)
        new = tt.intern(doc)
        before_tokens = self._tokens
        self._tokens = before_tokens + len(toks)
        if new:
            self._record_first(before_types, before_tokens, toks, new)
        k = len(doc)
        self._buf_ids.append(tt.id_array(doc, k))
        self._buf_n.append(np.fromiter(doc.values(), dtype=np.int64, count=k))
        self._doc_ids.append(id)
        self._doc_types.append(k)
        self._buf_tokens += len(toks)
        if self._buf_tokens >= self.batch_tokens:
            self.flush()

    def _record_first(self, before_types: int, before_tokens: int, toks: list[str],
                      new: list[str]) -> None:
        # a few new types: list.index (C scans); many: one dict over the document
        pos = ([toks.index(t) for t in new] if len(new) <= 8
               else _first_positions(toks, new))
        self._record_first_raw(before_types, np.asarray(pos, dtype=np.int64) + before_tokens)

    def _record_first_raw(self, at: int, positions: np.ndarray) -> None:
        end = at + len(positions)
        if end > len(self._first):
            cap = len(self._first)
            while cap < end:
                cap *= 2
            self._first = np.concatenate([self._first,
                                          np.zeros(cap - len(self._first), dtype=np.int64)])
        self._first[at:end] = positions

    def signature(self) -> tuple:
        """What must agree for two partials to merge: rules, lexicon size, trigram
        threshold, growth step, reference size (fixed at construction)."""
        return self._signature

    def detach(self) -> "CorpusStats":
        """Score what is buffered and drop the reference, lexicon and trigram model
        (shared inputs, often large), keeping the counts: a detached partial is
        only merged into another one (``full.merge(detached)``), e.g. after being
        sent back from a worker.  Returns ``self``."""
        self.flush()
        self.reference = None
        self.lexicon = None
        self.types.lexicon = None
        self.types.model = None
        return self

    def merge(self, other: "CorpusStats") -> "CorpusStats":
        """Append the partial statistics of *other*, the next shard of the stream.

        ``a.merge(b)`` after ``a`` saw documents ``d[:k]`` and ``b`` saw ``d[k:]``
        leaves ``a`` exactly as if it had seen all of ``d`` (same tables, same
        summary): documents keep their order, type counts add up, and the
        vocabulary growth of ``b`` is re-based on ``a``'s vocabulary.  Both must
        have the same settings (reference, lexicon, rules, growth step); *other*
        is left usable but should not be merged twice.  Returns ``self``.
        """
        if not isinstance(other, CorpusStats):
            raise InputError(Errors.E1050.format(what="CorpusStats", got=type(other).__name__))
        mine, theirs = self.signature(), other.signature()
        if mine != theirs:
            raise InputError(Errors.E1051.format(what="CorpusStats", mine=mine, theirs=theirs))
        self.flush()
        other.flush()
        tt = self.types
        before_types = len(tt.types)
        mapped = tt.absorb(other.types)
        n_new = len(tt.types) - before_types
        if n_new:
            # other's new types are those whose mapped id is >= before_types; their ids
            # follow other's order, so their first positions stay ascending
            src = np.nonzero(mapped >= before_types)[0]
            self._record_first_raw(before_types, other._first[src] + self._tokens)
        counts = other._counts[: len(other.types.types)]
        if len(self._counts) < len(tt.types):
            self._counts = np.concatenate(
                [self._counts, np.zeros(len(tt.types) - len(self._counts), dtype=np.int64)])
        if len(counts):
            np.add.at(self._counts, mapped[: len(counts)], counts)
        self._tokens += other._tokens
        self._doc_ids.extend(other._doc_ids)
        self._doc_types.extend(other._doc_types)
        self._sums.extend(other._sums)
        return self

    def flush(self) -> None:
        """Score the buffered documents (new types first)."""
        if not self._buf_ids:
            return
        tt = self.types
        tt.ensure()
        ids = np.concatenate(self._buf_ids)
        n = np.concatenate(self._buf_n)
        lens = np.fromiter(map(len, self._buf_ids), dtype=np.int64, count=len(self._buf_ids))
        sums = np.zeros((len(lens), tt.feat.shape[1]), dtype=np.float64)
        nonempty = lens > 0
        if len(ids):
            weighted = tt.feat[ids] * n[:, None].astype(np.float64)
            starts = np.concatenate([[0], np.cumsum(lens)[:-1]])[nonempty]
            sums[nonempty] = np.add.reduceat(weighted, starts, axis=0)
            if len(self._counts) < len(tt.types):
                self._counts = np.concatenate(
                    [self._counts, np.zeros(len(tt.types) - len(self._counts), dtype=np.int64)])
            np.add.at(self._counts, ids, n)
        self._sums.append(sums)
        self._buf_ids, self._buf_n, self._buf_tokens = [], [], 0

    def _documents(self) -> pd.DataFrame:
        self.flush()
        nr = len(self.rule_names)
        s = (np.concatenate(self._sums) if self._sums
             else np.zeros((0, _NF + nr), dtype=np.float64))
        ntok, nword = s[:, _F_TOK], s[:, _F_WORD]
        with np.errstate(invalid="ignore", divide="ignore"):
            oov_rate = np.where(nword > 0, s[:, _F_OOV] / nword, math.nan)
            garb_rate = np.where(ntok > 0, s[:, _F_GARB] / ntok, math.nan)
            has_model = self.types.model is not None
            lp = np.where(has_model & (s[:, _F_HASLP] > 0), s[:, _F_LP] / s[:, _F_HASLP], math.nan)
            imp = np.where(has_model & (nword > 0), s[:, _F_IMP] / nword, math.nan)
            noise = np.where(ntok > 0, s[:, _F_NOISE] / ntok, math.nan)
        has_lex = self.lexicon is not None
        data = {
            "document": [d if d is not None else str(i) for i, d in enumerate(self._doc_ids)],
            "tokens": ntok.astype(np.int64),
            "types": np.asarray(self._doc_types, dtype=np.int64),
            "word_tokens": nword.astype(np.int64),
            "oov_tokens": s[:, _F_OOV].astype(np.int64) if has_lex else np.full(len(s), math.nan),
            "oov_rate": oov_rate if has_lex else np.full(len(s), math.nan),
            "garbage_tokens": s[:, _F_GARB].astype(np.int64),
            "garbage_rate": garb_rate,
            "trigram_logprob": lp,
            "implausible_rate": imp,
            "ocr_noise": noise,
        }
        for k, name in enumerate(self.rule_names):
            data[f"garbage_{name}"] = s[:, _NF + k].astype(np.int64)
        return pd.DataFrame(data, columns=DOCUMENT_STATS_COLUMNS
                            + [f"garbage_{r}" for r in self.rule_names])

    def result(self, *, tokenizer: Any = None, max_distance: int = 2,
               min_word_count: int = 5) -> StatsResult:
        docs = self._documents()
        tt = self.types
        tokens = self._tokens
        ntypes = len(tt.types)
        n = self._counts[:ntypes]
        bits = tt.bits[:ntypes]
        # word-form counts: one bincount over the types' form ids
        fid = tt.form_id[:ntypes]
        word = fid >= 0
        fc = np.bincount(fid[word], weights=n[word], minlength=len(tt.form_list))
        forms: dict[str, int] = dict(zip(tt.form_list, fc.astype(np.int64).tolist()))
        grows = []
        for k, rule in enumerate(tt.rules):
            idx = np.nonzero((bits >> k) & 1)[0]
            top = idx[np.lexsort((idx, -n[idx]))[:5]]
            hit = int(n[idx].sum())
            grows.append({"rule": rule.name, "tokens": hit,
                          "rate": hit / tokens if tokens else math.nan,
                          "types": len(idx), "examples": " ".join(tt.types[i] for i in top),
                          "description": rule.description, "source": rule.source,
                          "note": rule.note})
        garbage = pd.DataFrame(grows, columns=["rule", "tokens", "rate", "types", "examples",
                                               "description", "source", "note"])
        growth = self._growth_table(ntypes)
        # near misses against the reference (or the corpus's own frequent in-lexicon words)
        if self.reference is not None and self.reference.tokens:
            targets: Mapping[str, int] = self.reference.words
        elif self.lexicon is not None:
            targets = {w: c for w, c in forms.items() if w in self.lexicon}
        else:  # no reference, no lexicon: the corpus's own frequent words
            targets = forms
        nm = near_miss(forms, targets, max_distance=max_distance, min_word_count=min_word_count,
                       exclude=self.lexicon)
        clusters = near_miss_clusters(nm)
        frag = None
        summary_frag: dict[str, Any] = {}
        if tokenizer is not None:
            frag, summary_frag = subword_fragmentation(
                forms, tokenizer=tokenizer,
                reference=self.reference.words if self.reference is not None else None)
        nword = int(docs["word_tokens"].sum())
        has_lex = self.lexicon is not None
        oov = int(docs["oov_tokens"].sum()) if has_lex else None
        gtok = int(docs["garbage_tokens"].sum())
        summary: dict[str, Any] = {
            "documents": len(docs), "tokens": tokens, "types": ntypes,
            "word_tokens": nword, "word_types": len(forms),
            "oov_tokens": oov,
            "oov_rate": oov / nword if has_lex and nword else None,
            "garbage_tokens": gtok,
            "garbage_rate": gtok / tokens if tokens else None,
            "trigram_logprob": _wmean(docs["trigram_logprob"], docs["word_tokens"]),
            "implausible_rate": _wmean(docs["implausible_rate"], docs["word_tokens"]),
            "ocr_noise": _wmean(docs["ocr_noise"], docs["tokens"]),
            "near_miss_variants": len(nm),
            "near_miss_tokens": int(nm["variant_count"].sum()) if len(nm) else 0,
            "reference_tokens": self.reference.tokens if self.reference is not None else None,
            "reference_types": self.reference.types if self.reference is not None else None,
            "lexicon": getattr(self.lexicon, "source", None if self.lexicon is None else "user"),
            "garbage_rules": {r["rule"]: r["tokens"] for r in grows},
            **summary_frag,
        }
        return StatsResult(summary, docs, garbage, growth, nm, clusters, frag)

    def _growth_table(self, ntypes: int) -> pd.DataFrame:
        # types seen within the first t tokens = types whose first occurrence is < t
        total = self._tokens
        cuts = np.arange(self.step, total + 1, self.step, dtype=np.int64)
        if not len(cuts) or cuts[-1] != total:
            cuts = np.append(cuts, np.int64(total))
        types = np.searchsorted(self._first[:ntypes], cuts, side="left")
        types[-1] = ntypes
        df = pd.DataFrame({"tokens": cuts, "types": types.astype(np.int64)})
        ref = self.reference
        if ref is not None and ref.tokens:
            rg = dict(ref.growth)
            rg.setdefault(ref.tokens, ref.types)
            df["reference_types"] = [rg.get(t, math.nan) for t in df["tokens"]]
        else:
            df["reference_types"] = math.nan
        df["type_token_ratio"] = df["types"] / df["tokens"].where(df["tokens"] > 0)
        df["reference_type_token_ratio"] = df["reference_types"] / df["tokens"].where(df["tokens"] > 0)
        return df


def _check_engine(engine: str, address: str | None, workers: int | None) -> None:
    from ..engine.distributed import check_engine  # ray itself is imported only to run

    check_engine(engine, address, workers)


def _wmean(values: pd.Series, weights: pd.Series) -> float | None:
    ok = values.notna() & (weights > 0)
    if not ok.any():
        return None
    return float((values[ok] * weights[ok]).sum() / weights[ok].sum())


def _load_tokenizer(tokenizer: Any) -> Any:
    if not isinstance(tokenizer, (str, bytes)) and not hasattr(tokenizer, "__fspath__"):
        return tokenizer
    try:
        from transformers import AutoTokenizer
    except ImportError:
        raise MissingDependencyError(Errors.E203.format(
            what="subword fragmentation", package="transformers", extra="hf")) from None
    return AutoTokenizer.from_pretrained(str(tokenizer))


def subword_fragmentation(words: Mapping[str, int], *, tokenizer: Any,
                          reference: Mapping[str, int] | None = None,
                          batch_size: int = 4096) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Pieces per word under a Hugging Face tokenizer (path or tokenizer object).

    Each distinct word form is tokenized once (``add_special_tokens=False``) and
    weighted by its count.  Returns ``(table, summary)``: the table has columns
    ``pieces`` (1..9, "10+"), ``share`` and ``reference_share``; the summary keys are
    ``pieces_per_word`` and ``reference_pieces_per_word``.
    """
    tok = _load_tokenizer(tokenizer)

    def hist(counts: Mapping[str, int]) -> tuple[np.ndarray, float]:
        ws = list(counts)
        h = np.zeros(10)
        total = pieces = 0.0
        for i in range(0, len(ws), batch_size):
            chunk = ws[i:i + batch_size]
            ids = tok(chunk, add_special_tokens=False)["input_ids"]
            for w, seq in zip(chunk, ids):
                c = counts[w]
                h[min(len(seq), 10) - 1 if seq else 0] += c
                pieces += len(seq) * c
                total += c
        return (h / total if total else h), (pieces / total if total else math.nan)

    h, ppw = hist(words)
    table = pd.DataFrame({"pieces": [str(k) for k in range(1, 10)] + ["10+"], "share": h})
    summary = {"pieces_per_word": ppw, "reference_pieces_per_word": None}
    if reference is not None:
        rh, rppw = hist(reference)
        table["reference_share"] = rh
        summary["reference_pieces_per_word"] = rppw
    else:
        table["reference_share"] = math.nan
    return table, summary


def corpus_stats(texts: Iterable[str] | Iterable[tuple[str, str]], *,
                 reference: Reference | Iterable[str] | None = None, lexicon: Any = None,
                 rules: Iterable[str] | None = None, tokenizer: Any = None,
                 growth_step: int = 10_000, max_distance: int = 2, min_word_count: int = 5,
                 progress: bool | None = None, engine: str = "local",
                 address: str | None = None, workers: int | None = None) -> StatsResult:
    """OCR-noise statistics of a corpus without ground truth (streaming).

    Parameters
    ----------
    texts : iterable of str or of (id, text)
        The OCR documents (e.g. ``nlperr.ocr.iter_texts("ocr_dir")``).
    reference : Reference or iterable of str, optional
        Clean text of the same kind: vocabulary growth baseline, near-miss targets
        and the character trigram model.
    lexicon : container of str, optional
        Valid word forms (:class:`~nlperr.ocr.lexicon.Lexicon`); enables OOV rates.
        Without a reference, the trigram model is trained on the lexicon.
    rules : iterable of str, optional
        Garbage rules (default: all registered).
    tokenizer : str or tokenizer, optional
        Hugging Face tokenizer (path) for subword fragmentation.
    engine : {"local", "ray"}, default "local"
        ``"ray"``: the documents are counted in blocks by Ray tasks (*address*,
        *workers* as for :class:`nlperr.engine.RayPredictor`) and the partial
        statistics merged in input order (:meth:`CorpusStats.merge`) -- the same
        result as ``"local"``.

    Examples
    --------
    >>> res = corpus_stats(["tbe cat sat on the mat", "the cat and thc dog"],
    ...                    reference=["the cat sat on the mat"] * 5)
    >>> res.summary["tokens"], res.near_miss[["word", "variant"]].values.tolist()
    (11, [['the', 'tbe'], ['the', 'thc']])
    """
    from ._util import progress_bar
    _check_engine(engine, address, workers)
    if reference is not None and not isinstance(reference, Reference):
        reference = Reference.from_texts(reference, growth_step=growth_step, engine=engine,
                                         address=address, workers=workers)
    acc = CorpusStats(reference=reference, lexicon=lexicon, rules=rules, growth_step=growth_step)
    if engine == "ray":
        from ..engine.distributed import ray_corpus_stats
        ray_corpus_stats(acc, texts, address=address, workers=workers, progress=progress)
        return acc.result(tokenizer=tokenizer, max_distance=max_distance,
                          min_word_count=min_word_count)
    for item in progress_bar(texts, progress, desc="ocr stats", unit="doc"):
        if isinstance(item, tuple):
            acc.add(item[1], id=item[0])
        else:
            acc.add(item)
    return acc.result(tokenizer=tokenizer, max_distance=max_distance,
                      min_word_count=min_word_count)
