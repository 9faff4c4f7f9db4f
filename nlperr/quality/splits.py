"""Split mismatch: how the other splits differ from train.

* label distribution per split -- classification labels, NER entity types (one
  count per mention) -- and Pearson's chi-square test of homogeneity of each
  split against train (:func:`nlperr.stats.chi2_contingency`);
* length distribution (tokens per example; whitespace words without tokens) and
  the two-sample Kolmogorov-Smirnov test against train (:func:`nlperr.stats.ks_2samp`);
* vocabulary and OOV rate against the train vocabulary (lower-cased words,
  :func:`~nlperr.quality._text.words`): ``oov_tokens`` = share of the split's word
  tokens not in train, ``oov_types`` = share of its distinct words not in train;
* documents, where examples carry a document (``meta["document"]["document_id"]``
  from HIPE, else ``meta["doc_id"]`` from CoNLL ``-DOCSTART-``): count, sentences
  per document, and documents whose normalised full text equals a train document's.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..data import Example
from ..stats import chi2_contingency, ks_2samp
from ._text import normalize_text, words

__all__ = ["split_mismatch", "SplitCounts"]

#: Columns of the ``split_stats`` table.
STATS_COLUMNS = ["split", "examples", "tokens", "mean_length", "median_length", "vocabulary",
                 "oov_tokens", "oov_types", "documents", "sentences_per_document",
                 "documents_in_train"]
#: Columns of the ``label_distribution`` table.
DIST_COLUMNS = ["label", "split", "count", "share"]
#: Columns of the ``split_tests`` table.
TEST_COLUMNS = ["split", "reference", "test", "statistic", "p_value", "dof"]


def _doc_key(e: Example) -> str | None:
    d = e.meta.get("document") if e.meta else None
    if isinstance(d, Mapping) and d.get("document_id") is not None:
        return str(d["document_id"])
    v = e.meta.get("doc_id") if e.meta else None
    return None if v is None else str(v)


def _length(e: Example) -> int:
    return len(e.tokens) if e.tokens is not None else len(e.text.split())


def _labels(examples: Sequence[Example], task: str) -> Counter:
    c: Counter = Counter()
    for e in examples:
        if task == "ner":
            c.update(s.label for s in e.spans or ())
        elif e.label is not None:
            c[str(e.label)] += 1
    return c


class SplitCounts:
    """The mergeable counts :func:`split_mismatch` compares, for one split or one shard
    of it: examples, the length histogram, the word counts, the label counts, and the
    documents' texts (their sentences, in order).

    ``from_examples`` maps one shard; ``a.merge(b)`` adds *b*, the next shard of the same
    split (documents continued across the cut are joined in order); :func:`split_mismatch`
    finalizes them.  ``split_mismatch`` of merged shards equals ``split_mismatch`` of the
    whole splits exactly (tested over random shardings).

    >>> from nlperr.data import Example
    >>> a = SplitCounts.from_examples([Example.from_tokens(["a", "b"], ["B-X", "O"])], "ner")
    >>> b = SplitCounts.from_examples([Example.from_tokens(["c"], ["B-Y"])], "ner")
    >>> m = a.merge(b)
    >>> m.n, dict(m.lengths), dict(m.labels)
    (2, {2: 1, 1: 1}, {'X': 1, 'Y': 1})
    """

    __slots__ = ("n", "lengths", "words", "labels", "doc_parts", "n_in_doc")

    def __init__(self) -> None:
        self.n = 0
        self.lengths: Counter = Counter()
        self.words: Counter = Counter()
        self.labels: Counter = Counter()
        self.doc_parts: dict[str, list[str]] = {}
        self.n_in_doc = 0

    @classmethod
    def from_examples(cls, examples: Sequence[Example], task: str) -> "SplitCounts":
        c = cls()
        c.n = len(examples)
        c.lengths = Counter(_length(e) for e in examples)
        c.words = Counter(words("\n".join(e.text for e in examples)))
        c.labels = _labels(examples, task)
        parts: dict[str, list[str]] = defaultdict(list)
        for e in examples:
            k = _doc_key(e)
            if k is not None:
                parts[k].append(e.text)
                c.n_in_doc += 1
        c.doc_parts = dict(parts)
        return c

    def merge(self, other: "SplitCounts") -> "SplitCounts":
        """Add *other*, the next shard of this split; returns ``self``."""
        self.n += other.n
        self.lengths.update(other.lengths)
        self.words.update(other.words)
        self.labels.update(other.labels)
        for k, v in other.doc_parts.items():
            self.doc_parts.setdefault(k, []).extend(v)
        self.n_in_doc += other.n_in_doc
        return self

    def _length_array(self) -> np.ndarray:
        keys = sorted(self.lengths)
        return np.repeat(np.asarray(keys, dtype=np.float64),
                         [self.lengths[k] for k in keys]) if keys else np.zeros(0)

    def _documents(self) -> dict[str, str]:
        return {k: normalize_text(" ".join(v)) for k, v in self.doc_parts.items()}


def split_mismatch(splits: Mapping[str, Sequence[Example] | SplitCounts], *,
                   task: str = "ner", reference: str = "train"
                   ) -> tuple[dict[str, pd.DataFrame], dict]:
    """Compare every split with *reference* (module docs).

    A split is a sequence of examples, or its :class:`SplitCounts` (shards counted
    apart and merged): the result is the same.

    Returns
    -------
    (tables, summary)
        ``tables``: ``split_stats`` (one row per split: :data:`STATS_COLUMNS`; OOV and
        ``documents_in_train`` NaN for the reference itself, document columns NaN
        without documents), ``label_distribution`` (:data:`DIST_COLUMNS`), and
        ``split_tests`` (:data:`TEST_COLUMNS`: ``test`` is ``"labels_chi2"`` or
        ``"length_ks"``).  ``summary``: per non-reference split ``{"labels_chi2",
        "labels_p", "length_ks", "length_p", "oov_tokens", "oov_types"}``.
    """
    counts = {name: v if isinstance(v, SplitCounts) else SplitCounts.from_examples(v, task)
              for name, v in splits.items()}
    ref = counts[reference]
    vocab = ref.words
    ref_docs = set(ref._documents().values())
    ref_len = ref._length_array()
    ref_lab = ref.labels
    rows, dist, tests = [], [], []
    summary: dict = {}
    for name, c in counts.items():
        lens = c._length_array()
        n_toks = sum(c.words.values())
        types = c.words.keys()
        is_ref = name == reference
        unseen = [w for w in types if w not in vocab]
        oov_t = math.nan if is_ref or not n_toks else sum(c.words[w] for w in unseen) / n_toks
        oov_y = math.nan if is_ref or not types else len(unseen) / len(types)
        docs = c._documents()
        nd = len(docs)
        rows.append((name, c.n, int(lens.sum()), float(lens.mean()) if len(lens) else math.nan,
                     float(np.median(lens)) if len(lens) else math.nan, len(types), oov_t, oov_y,
                     nd if nd else math.nan, c.n_in_doc / nd if nd else math.nan,
                     math.nan if is_ref or not nd else sum(t in ref_docs for t in docs.values())))
        lab = c.labels
        tot = sum(lab.values())
        for k in sorted(lab):
            dist.append((k, name, lab[k], lab[k] / tot))
        if is_ref:
            continue
        keys = sorted(set(ref_lab) | set(lab))
        chi, p, dof = chi2_contingency([[ref_lab.get(k, 0) for k in keys],
                                        [lab.get(k, 0) for k in keys]])
        d, pk = ks_2samp(ref_len, lens, method="asymp")  # numpy only: quality needs no scipy
        tests.append((name, reference, "labels_chi2", chi, p, dof))
        tests.append((name, reference, "length_ks", d, pk, math.nan))
        summary[name] = {"labels_chi2": chi, "labels_p": p, "length_ks": d, "length_p": pk,
                         "oov_tokens": oov_t, "oov_types": oov_y}
    tables = {
        "split_stats": pd.DataFrame(rows, columns=STATS_COLUMNS).astype(
            {"documents": "float64", "sentences_per_document": "float64",
             "documents_in_train": "float64", "oov_tokens": "float64", "oov_types": "float64"}),
        "label_distribution": pd.DataFrame(dist, columns=DIST_COLUMNS),
        "split_tests": pd.DataFrame(tests, columns=TEST_COLUMNS).astype({"dof": "float64"}),
    }
    return tables, summary
