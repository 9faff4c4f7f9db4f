"""Corpus statistics without ground truth (streaming).

Documents are processed one at a time; per-token work is done by a compiled regex
and ``Counter`` updates, every other property is computed once per distinct token
*type* (cached), so memory grows with the vocabulary, never with the number of
tokens or documents.

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
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Errors, InputError, MissingDependencyError
from ._text import TOKEN, word_form
from .garbage import TypeBlock, _apply, get_garbage_rules
from .lexicon import CharTrigramModel, Lexicon
from .nearmiss import near_miss, near_miss_clusters

__all__ = ["Reference", "CorpusStats", "StatsResult", "OcrNoiseScorer", "corpus_stats",
           "subword_fragmentation", "DOCUMENT_STATS_COLUMNS"]


def _growth_update(counter: Counter, toks: list[str], state: dict, step: int,
                   rows: list[tuple[int, int]]) -> None:
    pos = 0
    while state["tokens"] + (len(toks) - pos) >= state["next"]:
        cut = pos + (state["next"] - state["tokens"])
        counter.update(toks[pos:cut])
        state["tokens"] += cut - pos
        pos = cut
        rows.append((state["tokens"], len(counter)))
        state["next"] += step
    counter.update(toks[pos:])
    state["tokens"] += len(toks) - pos


class Reference:
    """Profile of a clean reference corpus: token/word counts, growth, trigram model.

    >>> ref = Reference.from_texts(["the cat sat on the mat"] * 10)
    >>> ref.tokens, ref.types, ref.words["the"]
    (60, 5, 20)
    """

    def __init__(self, *, growth_step: int = 10_000):
        self.growth_step = growth_step
        self.counts: Counter = Counter()
        self.growth: list[tuple[int, int]] = []
        self._state = {"tokens": 0, "next": growth_step}
        self._words: Counter | None = None
        self._model: CharTrigramModel | None = None

    def add(self, text: str) -> None:
        _growth_update(self.counts, TOKEN.findall(text), self._state, self.growth_step, self.growth)
        self._words = self._model = None

    @classmethod
    def from_texts(cls, texts: Iterable[str], *, growth_step: int = 10_000) -> "Reference":
        ref = cls(growth_step=growth_step)
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
        if self._model is None:
            self._model = CharTrigramModel.from_word_counts(self.words)
        return self._model


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if not len(values):
        return float("nan")
    order = np.argsort(values)
    cw = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cw, q * cw[-1])])


class _TypeCache:
    """Per-type properties: (garbage bits, word form, oov, implausible, logprob)."""

    def __init__(self, rules: Iterable[str] | None, lexicon: Any, model: CharTrigramModel | None,
                 threshold: float):
        self.rules = get_garbage_rules(rules)
        self.lexicon = lexicon
        self.model = model
        self.threshold = threshold
        self.bits = 1 << np.arange(len(self.rules), dtype=np.int64)
        self.cache: dict[str, tuple[int, str | None, bool, bool, float]] = {}
        self.components = 1 + (lexicon is not None) + (model is not None)

    def ensure(self, types: Iterable[str]) -> None:
        cache = self.cache
        new = [t for t in types if t not in cache]
        if not new:
            return
        flags = _apply(TypeBlock(new), self.rules) @ self.bits if self.rules else np.zeros(len(new), dtype=np.int64)
        lex, model, thr = self.lexicon, self.model, self.threshold
        forms = [word_form(t) for t in new]
        lps = [math.nan] * len(new)
        if model is not None:
            idx = [i for i, f in enumerate(forms) if f is not None]
            for i, v in zip(idx, model.logprobs([forms[i] for i in idx]).tolist()):
                lps[i] = v
        for t, b, f, lp in zip(new, flags.tolist(), forms, lps):
            oov = bool(f is not None and lex is not None and f not in lex)
            cache[t] = (b, f, oov, lp < thr, lp)

    def token_noise(self, tokens: list[str]) -> np.ndarray:
        self.ensure(tokens)
        c = self.cache
        k = self.components
        return np.array([((c[t][0] != 0) + c[t][2] + c[t][3]) / k for t in tokens], dtype=float)


def _model_and_threshold(reference: Reference | None, lexicon: Any,
                         quantile: float) -> tuple[CharTrigramModel | None, float]:
    if reference is not None and reference.tokens:
        counts: Mapping[str, int] = reference.words
    elif lexicon is not None and len(lexicon):
        counts = dict.fromkeys(lexicon, 1)
    else:
        return None, -math.inf
    model = CharTrigramModel.from_word_counts(counts)
    words = list(counts)
    lps = model.logprobs(words)
    wts = np.array([counts[w] for w in words], dtype=float)
    return model, _weighted_quantile(lps, wts, quantile)


class OcrNoiseScorer:
    """Scores text, tokens or character spans for OCR noise (no ground truth).

    See the module docstring for the score.  Build it with the same reference /
    lexicon you would give :func:`corpus_stats`.

    >>> scorer = OcrNoiseScorer(lexicon=Lexicon.from_words("the cat sat on mat".split()))
    >>> scorer.score("the cat sat"), scorer.score("tbe c@t s;a,t")
    (0.0, 0.7777777777777777)
    """

    def __init__(self, *, reference: Reference | None = None, lexicon: Any = None,
                 rules: Iterable[str] | None = None, quantile: float = 0.05):
        model, thr = _model_and_threshold(reference, lexicon, quantile)
        self._types = _TypeCache(rules, lexicon, model, thr)

    def token_scores(self, tokens: list[str]) -> np.ndarray:
        """Per-token noise scores in [0, 1]."""
        return self._types.token_noise(list(tokens))

    def score(self, text: str) -> float:
        """Mean token noise of *text* (NaN when it has no token)."""
        toks = TOKEN.findall(text)
        return float(self.token_scores(toks).mean()) if toks else math.nan

    def score_span(self, text: str, start: int, end: int) -> float:
        """Mean token noise of ``text[start:end]``."""
        return self.score(text[start:end])


DOCUMENT_STATS_COLUMNS = ["document", "tokens", "types", "word_tokens", "oov_tokens", "oov_rate",
                          "garbage_tokens", "garbage_rate", "trigram_logprob",
                          "implausible_rate", "ocr_noise"]


@dataclass
class StatsResult:
    """Result of :func:`corpus_stats`.

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


class CorpusStats:
    """Streaming accumulator behind :func:`corpus_stats` (``add`` documents, then
    ``result()``)."""

    def __init__(self, *, reference: Reference | None = None, lexicon: Any = None,
                 rules: Iterable[str] | None = None, growth_step: int = 10_000,
                 quantile: float = 0.05):
        if not isinstance(growth_step, int) or growth_step < 1:
            raise InputError(Errors.E207.format(value=growth_step, option="growth_step",
                                                allowed="a positive integer"))
        self.reference = reference
        self.lexicon = lexicon
        model, thr = _model_and_threshold(reference, lexicon, quantile)
        self.types = _TypeCache(rules, lexicon, model, thr)
        self.step = growth_step
        self.counts: Counter = Counter()
        self.growth: list[tuple[int, int]] = []
        self._state = {"tokens": 0, "next": growth_step}
        self.rows: list[dict[str, Any]] = []
        self.rule_names = [r.name for r in self.types.rules]

    def add(self, text: str, *, id: str | None = None) -> dict[str, Any]:
        toks = TOKEN.findall(text)
        _growth_update(self.counts, toks, self._state, self.step, self.growth)
        doc = Counter(toks)
        tc = self.types
        tc.ensure(doc)
        cache = tc.cache
        infos = [cache[t] for t in doc]
        n = np.fromiter(doc.values(), dtype=np.int64, count=len(doc))
        bits = np.fromiter((i[0] for i in infos), dtype=np.int64, count=len(doc))
        is_word = np.fromiter((i[1] is not None for i in infos), dtype=bool, count=len(doc))
        oov = np.fromiter((i[2] for i in infos), dtype=bool, count=len(doc))
        imp = np.fromiter((i[3] for i in infos), dtype=bool, count=len(doc))
        lp = np.fromiter((i[4] for i in infos), dtype=float, count=len(doc))
        ntok = int(n.sum())
        nword = int(n[is_word].sum())
        garbage = bits != 0
        row: dict[str, Any] = {
            "document": id if id is not None else str(len(self.rows)),
            "tokens": ntok, "types": len(doc), "word_tokens": nword,
            "oov_tokens": int(n[oov].sum()) if self.lexicon is not None else math.nan,
            "garbage_tokens": int(n[garbage].sum()),
        }
        row["oov_rate"] = row["oov_tokens"] / nword if nword else math.nan
        row["garbage_rate"] = row["garbage_tokens"] / ntok if ntok else math.nan
        has_lp = ~np.isnan(lp)
        if tc.model is not None and n[has_lp].sum():
            row["trigram_logprob"] = float((lp[has_lp] * n[has_lp]).sum() / n[has_lp].sum())
            row["implausible_rate"] = int(n[imp].sum()) / nword if nword else math.nan
        else:
            row["trigram_logprob"] = row["implausible_rate"] = math.nan
        noise = (garbage.astype(float) + oov + imp) / tc.components
        row["ocr_noise"] = float((noise * n).sum() / ntok) if ntok else math.nan
        for k, name in enumerate(self.rule_names):
            row[f"garbage_{name}"] = int(n[(bits >> k) & 1 == 1].sum())
        self.rows.append(row)
        return row

    def result(self, *, tokenizer: Any = None, max_distance: int = 2,
               min_word_count: int = 5) -> StatsResult:
        cols = DOCUMENT_STATS_COLUMNS + [f"garbage_{r}" for r in self.rule_names]
        docs = pd.DataFrame(self.rows, columns=cols)
        cache = self.types.cache
        tokens = self._state["tokens"]
        # per-rule table and word forms
        types = list(self.counts)
        n = np.fromiter(self.counts.values(), dtype=np.int64, count=len(types))
        bits = np.fromiter((cache[t][0] for t in types), dtype=np.int64, count=len(types))
        forms: Counter = Counter()
        for t, c in self.counts.items():
            f = cache[t][1]
            if f is not None:
                forms[f] += c
        grows = []
        for k, rule in enumerate(self.types.rules):
            hit = (bits >> k) & 1 == 1
            idx = np.nonzero(hit)[0]
            top = idx[np.argsort(-n[idx], kind="stable")[:5]]
            grows.append({"rule": rule.name, "tokens": int(n[hit].sum()),
                          "rate": float(n[hit].sum() / tokens) if tokens else math.nan,
                          "types": int(hit.sum()), "examples": " ".join(types[i] for i in top),
                          "description": rule.description, "source": rule.source,
                          "note": rule.note})
        garbage = pd.DataFrame(grows, columns=["rule", "tokens", "rate", "types", "examples",
                                               "description", "source", "note"])
        growth = self._growth_table()
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
        s = docs[[c for c in cols if c not in ("document",) and not c.endswith("_rate")
                  and c not in ("trigram_logprob", "ocr_noise", "types")]].sum()
        nword = int(s.get("word_tokens", 0))
        summary: dict[str, Any] = {
            "documents": len(docs), "tokens": tokens, "types": len(self.counts),
            "word_tokens": nword, "word_types": len(forms),
            "oov_tokens": int(s["oov_tokens"]) if self.lexicon is not None else None,
            "oov_rate": (float(s["oov_tokens"]) / nword if nword and self.lexicon is not None
                         else None),
            "garbage_tokens": int(s["garbage_tokens"]) if len(docs) else 0,
            "garbage_rate": float(s["garbage_tokens"]) / tokens if tokens else None,
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

    def _growth_table(self) -> pd.DataFrame:
        rows = list(self.growth)
        if not rows or rows[-1][0] != self._state["tokens"]:
            rows.append((self._state["tokens"], len(self.counts)))
        df = pd.DataFrame(rows, columns=["tokens", "types"])
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
                 progress: bool | None = None) -> StatsResult:
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

    Examples
    --------
    >>> res = corpus_stats(["tbe cat sat on the mat", "the cat and thc dog"],
    ...                    reference=["the cat sat on the mat"] * 5)
    >>> res.summary["tokens"], res.near_miss[["word", "variant"]].values.tolist()
    (11, [['the', 'tbe'], ['the', 'thc']])
    """
    from ._util import progress_bar
    if reference is not None and not isinstance(reference, Reference):
        reference = Reference.from_texts(reference, growth_step=growth_step)
    acc = CorpusStats(reference=reference, lexicon=lexicon, rules=rules, growth_step=growth_step)
    for item in progress_bar(texts, progress, desc="ocr stats", unit="doc"):
        if isinstance(item, tuple):
            acc.add(item[1], id=item[0])
        else:
            acc.add(item)
    return acc.result(tokenizer=tokenizer, max_distance=max_distance,
                      min_word_count=min_word_count)
