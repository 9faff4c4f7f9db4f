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

__all__ = ["split_mismatch"]

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


def _documents(examples: Sequence[Example]) -> dict[str, str]:
    parts: dict[str, list[str]] = defaultdict(list)
    for e in examples:
        k = _doc_key(e)
        if k is not None:
            parts[k].append(e.text)
    return {k: normalize_text(" ".join(v)) for k, v in parts.items()}


def split_mismatch(splits: Mapping[str, Sequence[Example]], *, task: str = "ner",
                   reference: str = "train") -> tuple[dict[str, pd.DataFrame], dict]:
    """Compare every split with *reference* (module docs).

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
    ref = splits[reference]
    vocab = Counter(words("\n".join(e.text for e in ref)))
    ref_docs = set(_documents(ref).values())
    ref_len = np.fromiter((_length(e) for e in ref), dtype=np.float64, count=len(ref))
    ref_lab = _labels(ref, task)
    rows, dist, tests = [], [], []
    summary: dict = {}
    for name, exs in splits.items():
        lens = np.fromiter((_length(e) for e in exs), dtype=np.float64, count=len(exs))
        toks = words("\n".join(e.text for e in exs))
        types = set(toks)
        is_ref = name == reference
        unseen = {w for w in types if w not in vocab}
        oov_t = math.nan if is_ref or not toks else sum(w in unseen for w in toks) / len(toks)
        oov_y = math.nan if is_ref or not types else len(unseen) / len(types)
        docs = _documents(exs)
        nd = len(docs)
        n_in_doc = sum(1 for e in exs if _doc_key(e) is not None)
        rows.append((name, len(exs), int(lens.sum()), float(lens.mean()) if len(lens) else math.nan,
                     float(np.median(lens)) if len(lens) else math.nan, len(types), oov_t, oov_y,
                     nd if nd else math.nan, n_in_doc / nd if nd else math.nan,
                     math.nan if is_ref or not nd else sum(t in ref_docs for t in docs.values())))
        lab = _labels(exs, task)
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
