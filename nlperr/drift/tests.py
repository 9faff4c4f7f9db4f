"""The drift tests: one statistic, one p-value and one effect size each.

Every test compares a *current* set with the *reference* set under the null
hypothesis that both are samples of the same population of texts (the texts are
exchangeable between the two sets).  The p-values are valid under that null:

* **permutation tests** (``oov_rate``, ``token_distribution``, ``char_classes``,
  ``ocr_garbage``, ``label_distribution``, ``entity_types``, ``new_entity_rate``,
  ``embedding_mmd``) permute whole *texts* between the sets -- never tokens,
  characters or entities, which are not independent inside a text -- and report
  the add-one permutation p-value.  All permutation tests of a comparison share
  the same permutations; each statistic is a function of per-set column sums,
  so one sparse matrix product per chunk of permutations computes all of them
  (:func:`nlperr.stats.permutation_group_sums`);
* **KS tests** (``length_chars``, ``length_tokens``, ``confidence``): one
  value per text, two-sided two-sample Kolmogorov-Smirnov (conservative with
  ties);
* **the domain classifier** (``domain_classifier``): see :func:`domain_classifier`.

See ``docs/drift.md`` for the definitions, directions and effect sizes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Errors, InputError
from ..stats import (jensen_shannon, ks_2samp, mann_whitney_auc, pearson_chi2,
                     permutation_group_sums, permutation_pvalue)
from .data import DriftData
from .features import TextFeatures

__all__ = ["TEXT_TESTS", "MODEL_TESTS", "OUTPUT_TESTS", "ALL_TESTS", "TestOutcome",
           "Comparison", "run_tests"]

TEXT_TESTS = ("length_chars", "length_tokens", "oov_rate", "token_distribution",
              "char_classes", "ocr_garbage", "domain_classifier")
MODEL_TESTS = ("embedding_mmd",)
OUTPUT_TESTS = ("label_distribution", "confidence", "entity_types", "new_entity_rate")
ALL_TESTS = TEXT_TESTS + MODEL_TESTS + OUTPUT_TESTS

_METHODS = {
    "length_chars": "two-sample KS on characters per text",
    "length_tokens": "two-sample KS on whitespace tokens per text",
    "oov_rate": "permutation test (texts) of the share of current word tokens whose "
                "type never occurs in the reference",
    "token_distribution": "permutation test (texts) of the Jensen-Shannon divergence of "
                          "word-token distributions (top-k types + other)",
    "char_classes": "permutation test (texts) of Pearson's chi-square on character-class "
                    "counts",
    "ocr_garbage": "permutation test (texts) of |difference| of garbage-token rates "
                   "(nlperr.ocr garbage rules)",
    "domain_classifier": "TF-IDF + logistic regression, two-fold cross-fit; Mann-Whitney "
                         "p-value per held-out half, Bonferroni over the two halves",
    "embedding_mmd": "permutation test (texts) of the squared MMD of sentence embeddings "
                     "(Gaussian kernel, median-distance bandwidth)",
    "label_distribution": "permutation test (texts) of Pearson's chi-square on label counts",
    "confidence": "two-sample KS on per-text confidence",
    "entity_types": "permutation test (texts) of Pearson's chi-square on entity-type counts",
    "new_entity_rate": "permutation test (texts) of the share of current entities whose "
                       "surface string never occurs in the reference",
}


@dataclass
class TestOutcome:
    """What one test found in one comparison.

    ``statistic`` is the test statistic; ``effect_size`` a readable size of the
    change (see docs/drift.md); ``current_value`` / ``reference_value`` the
    quantity on each side (for ``oov_rate`` / ``new_entity_rate`` the
    reference value is the rate expected under the null: the permutation mean).
    ``null`` keeps the permutation distribution (for critical values);
    ``details`` what the explanations need.
    """

    name: str
    statistic: float = float("nan")
    p_value: float = float("nan")
    effect_size: float = float("nan")
    current_value: float = float("nan")
    reference_value: float = float("nan")
    alternative: str = "greater"
    status: str = "ok"
    reason: str = ""
    null: np.ndarray | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def method(self) -> str:
        return _METHODS[self.name]


@dataclass
class Comparison:
    """One current window against the reference: rows ``[:n_current]`` are current."""

    data: DriftData
    features: TextFeatures
    n_current: int
    n_permutations: int
    seed: int
    top_k: int = 500
    model: Any = None
    max_embedding_texts: int = 1000
    embeddings: np.ndarray | None = None

    @property
    def n_reference(self) -> int:
        return len(self.data) - self.n_current

    @property
    def is_current(self) -> np.ndarray:
        m = np.zeros(len(self.data), dtype=bool)
        m[:self.n_current] = True
        return m


# --------------------------------------------------------------------------- permutation

@dataclass
class _PermSpec:
    name: str
    block: Any
    stat: Callable[[np.ndarray, np.ndarray], np.ndarray]
    finish: Callable[[TestOutcome, np.ndarray, np.ndarray], None] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    observed: float | None = None


def _csr(block: Any) -> Any:
    from scipy import sparse

    return block.tocsr() if sparse.issparse(block) else sparse.csr_matrix(
        np.asarray(block, dtype=np.float64).reshape(block.shape[0], -1))


def _run_permutations(cmp: Comparison, specs: list[_PermSpec]) -> list[TestOutcome]:
    from scipy import sparse

    if not specs:
        return []
    blocks = [_csr(s.block) for s in specs]
    widths = [b.shape[1] for b in blocks]
    X = sparse.hstack(blocks, format="csr", dtype=np.float64)
    totals = np.asarray(X.sum(axis=0)).ravel()
    cur = np.asarray(X[:cmp.n_current].sum(axis=0)).ravel()
    edges = np.concatenate([[0], np.cumsum(widths)])
    nulls: list[list[np.ndarray]] = [[] for _ in specs]
    for sums in permutation_group_sums(X, cmp.n_current, n_permutations=cmp.n_permutations,
                                       seed=cmp.seed, chunk=max(8, min(200, 4_000_000 // max(1, X.shape[1])))):
        ref = totals[None, :] - sums
        for k, s in enumerate(specs):
            a, b = edges[k], edges[k + 1]
            nulls[k].append(s.stat(sums[:, a:b], ref[:, a:b]))
    out = []
    for k, s in enumerate(specs):
        a, b = edges[k], edges[k + 1]
        c, r = cur[None, a:b], (totals - cur)[None, a:b]
        obs = float(s.stat(c, r)[0]) if s.observed is None else s.observed
        null = np.concatenate(nulls[k])
        res = TestOutcome(s.name, statistic=obs, p_value=permutation_pvalue(obs, null),
                          null=null, details=dict(s.details))
        if s.finish is not None:
            s.finish(res, c[0], r[0])
        out.append(res)
    return out


def _rate(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


#: Types whose chance of lying entirely in the current set under a random
#: relabelling is below this are left out of the *permutation* statistics of the
#: novelty tests (the observed statistic uses every type).
NOVELTY_PRUNE = 1e-9


def _novelty_spec(name: str, incidence: Any, counts_per_doc: np.ndarray,
                  totals_per_type: np.ndarray, n_current: int, details: dict[str, Any]
                  ) -> _PermSpec:
    """Share of current items (tokens / entities) whose type occurs in no reference
    text: a function of the per-type current document frequency.

    A type with document frequency *df* is new in a random relabelling only if all
    its *df* texts fall in the current set, with the hypergeometric probability
    ``prod_{i<df} (n_cur - i) / (n - i)``; types where that is below
    :data:`NOVELTY_PRUNE` are left out of the permutation statistics (the frequent
    words: most of the matrix), which changes a permuted statistic with probability
    below ``NOVELTY_PRUNE`` per type and permutation.  Types in a single text are
    folded into one column (exact).
    """
    from scipy import sparse

    inc = incidence.copy().tocsr()
    inc.data[:] = 1.0
    n = inc.shape[0]
    total_df = np.asarray(inc.sum(axis=0)).ravel()
    cur_df = np.asarray(inc[:n_current].sum(axis=0)).ravel()
    novel = (total_df > 0) & (cur_df == total_df)
    observed = float(_rate(np.array([totals_per_type[novel].sum()]),
                           np.array([counts_per_doc[:n_current].sum()]))[0])
    max_df = int(total_df.max()) if len(total_df) else 0
    i = np.arange(max(max_df, 1))
    with np.errstate(divide="ignore"):
        logp = np.concatenate([[0.0], np.cumsum(np.log(np.maximum(n_current - i, 0))
                                                - np.log(n - i))])
    keep = (total_df > 0) & (logp[total_df.astype(np.int64)] >= np.log(NOVELTY_PRUNE))
    # a type in one text only is new exactly when that text is current: all such
    # types fold into one column (their count per text), which is exact
    single = keep & (total_df == 1)
    multi = keep & (total_df > 1)
    single_weight = np.asarray(inc[:, single] @ totals_per_type[single]).ravel()
    inc = inc[:, multi]
    kdf, weight = total_df[multi], totals_per_type[multi]
    T = inc.shape[1]

    def stat(cur: np.ndarray, ref: np.ndarray) -> np.ndarray:
        ref_df = kdf[None, :] - cur[:, :T]
        return _rate((ref_df < 0.5).astype(np.float64) @ weight + cur[:, T], cur[:, T + 1])

    def finish(res: TestOutcome, cur: np.ndarray, ref: np.ndarray) -> None:
        res.current_value = res.statistic
        res.reference_value = float(np.nanmean(res.null)) if res.null is not None else math.nan
        res.effect_size = res.current_value - res.reference_value

    details = dict(details, novel_types=np.flatnonzero(novel), pruned_types=int((~keep).sum()))
    block = sparse.hstack([inc, sparse.csr_matrix(single_weight.reshape(-1, 1)),
                           sparse.csr_matrix(counts_per_doc.reshape(-1, 1))], format="csr")
    return _PermSpec(name, block, stat, finish, details, observed=observed)


def _distribution_finish(res: TestOutcome, cur: np.ndarray, ref: np.ndarray) -> None:
    res.effect_size = float(jensen_shannon(cur, ref))


def _perm_specs(cmp: Comparison, names: set[str]) -> list[_PermSpec]:
    f, d = cmp.features, cmp.data
    specs: list[_PermSpec] = []
    if "oov_rate" in names:
        totals = np.asarray(f.words.sum(axis=0)).ravel()
        specs.append(_novelty_spec("oov_rate", f.words, f.n_words, totals, cmp.n_current, {}))
    if "token_distribution" in names:
        from scipy import sparse

        totals = np.asarray(f.words.sum(axis=0)).ravel()
        k = min(cmp.top_k, int((totals > 0).sum()))
        # ties at the cut are broken by the type's text, never by the order of the
        # rows: a selection that depends on which texts are current would break the
        # permutation test (the columns would carry the set labels)
        type_names = np.asarray(f.word_types, dtype=object)
        top = np.lexsort((type_names, -totals))[:k]
        sub = f.words[:, top]
        other = f.n_words - np.asarray(sub.sum(axis=1)).ravel()
        block = sparse.hstack([sub, sparse.csr_matrix(other.reshape(-1, 1))], format="csr")
        specs.append(_PermSpec("token_distribution", block, lambda c, r: jensen_shannon(c, r),
                               _distribution_finish, {"top": top}))
    if "char_classes" in names:
        def fin(res: TestOutcome, c: np.ndarray, r: np.ndarray) -> None:
            res.effect_size = float(jensen_shannon(c, r))
            res.current_value = float(1 - c[:3].sum() / max(c.sum(), 1))
            res.reference_value = float(1 - r[:3].sum() / max(r.sum(), 1))
        specs.append(_PermSpec("char_classes", f.chars, lambda c, r: pearson_chi2(c, r), fin))
    if "ocr_garbage" in names:
        block = np.column_stack([f.garbage[:, -1], f.n_tokens])

        def gstat(c: np.ndarray, r: np.ndarray) -> np.ndarray:
            return np.abs(_rate(c[:, 0], c[:, 1]) - _rate(r[:, 0], r[:, 1]))

        def gfin(res: TestOutcome, c: np.ndarray, r: np.ndarray) -> None:
            res.current_value = float(_rate(c[:1], c[1:2])[0])
            res.reference_value = float(_rate(r[:1], r[1:2])[0])
            res.effect_size = res.current_value - res.reference_value
            res.alternative = "two-sided"
        specs.append(_PermSpec("ocr_garbage", block, gstat, gfin))
    if "label_distribution" in names:
        labels = d.labels or [None] * len(d)
        cats = sorted({x for x in labels if x is not None})
        col = {c: j for j, c in enumerate(cats)}
        block = np.zeros((len(d), len(cats)))
        for i, lab in enumerate(labels):
            if lab is not None:
                block[i, col[lab]] = 1.0
        specs.append(_PermSpec("label_distribution", block, lambda c, r: pearson_chi2(c, r),
                               _distribution_finish, {"categories": cats}))
    if "entity_types" in names or "new_entity_rate" in names:
        from scipy import sparse

        ents = d.entities or [None] * len(d)
        types: dict[str, int] = {}
        strings: dict[str, int] = {}
        rows_t, cols_t, rows_s, cols_s = [], [], [], []
        for i, es in enumerate(ents):
            for surface, label in es or ():
                rows_t.append(i)
                cols_t.append(types.setdefault(label, len(types)))
                rows_s.append(i)
                cols_s.append(strings.setdefault(surface, len(strings)))
        n = len(d)
        tmat = sparse.csr_matrix((np.ones(len(rows_t)), (rows_t, cols_t)),
                                 shape=(n, max(1, len(types))))
        smat = sparse.csr_matrix((np.ones(len(rows_s)), (rows_s, cols_s)),
                                 shape=(n, max(1, len(strings))))
        if "entity_types" in names:
            specs.append(_PermSpec("entity_types", tmat, lambda c, r: pearson_chi2(c, r),
                                   _distribution_finish, {"categories": list(types)}))
        if "new_entity_rate" in names:
            per_doc = np.asarray(tmat.sum(axis=1)).ravel()
            totals = np.asarray(smat.sum(axis=0)).ravel()
            specs.append(_novelty_spec("new_entity_rate", smat, per_doc, totals,
                                       cmp.n_current, {"strings": list(strings), "string_matrix": smat,
                                        "type_matrix": tmat, "types": list(types)}))
    return specs


# --------------------------------------------------------------------------- KS tests

def _ks(name: str, x: np.ndarray, n_current: int) -> TestOutcome:
    cur, ref = x[:n_current], x[n_current:]
    d, p = ks_2samp(cur, ref)
    res = TestOutcome(name, statistic=d, p_value=p, effect_size=d, alternative="two-sided")
    cur, ref = cur[np.isfinite(cur)], ref[np.isfinite(ref)]
    res.current_value = float(np.median(cur)) if len(cur) else math.nan
    res.reference_value = float(np.median(ref)) if len(ref) else math.nan
    res.details = {"n_current": len(cur), "n_reference": len(ref)}
    return res


# --------------------------------------------------------------------------- classifier

def domain_classifier(texts: list[str], is_current: np.ndarray, *, seed: int,
                      counts: Any = None) -> TestOutcome:
    """Can a classifier tell current texts from reference texts?

    TF-IDF (lowercased ``\\w+`` words seen in >= 2 texts, sublinear tf, l2 norm)
    + logistic regression (C = 1, balanced class weights).  *counts*: the
    text x word count matrix when already computed (:class:`TextFeatures.words`).  **Two-fold cross-fit**: the texts are
    split at random into halves A and B, stratified by set; a model fit on A
    scores B and a model fit on B scores A.  On each held-out half the AUC's
    p-value is the one-sided Mann-Whitney p-value, which is *exact in
    distribution* under the null: given the training half, the held-out scores
    are a fixed function of the held-out texts, and which of those texts are
    "current" is a uniformly random assignment (the TF-IDF vocabulary, fit on
    all texts without their set labels, does not change that).  The two halves'
    p-values are dependent, so they are combined with Bonferroni:
    ``p = min(1, 2 * min(p_A, p_B))``.  The statistic is the mean of the two AUCs.

    Why not the usual K-fold out-of-fold AUC with the Mann-Whitney null: each
    fold's AUC alone is exact, but folds are positively correlated (a text in
    fold A was a training example of the model that scored fold B and vice
    versa), so the pooled AUC, or the sum of the folds' U statistics, is more
    variable than the Mann-Whitney null says: on same-corpus halves of the
    sentiment sentences, 5-fold pooled AUC gave 10.5-12 % false alarms at
    alpha = 0.05 (see benchmarks/bench_drift_calibration.py).

    ``details["scores"]`` holds each text's held-out probability of "current".
    """
    from ..adapters._util import require

    require("sklearn", extra="drift", what="the domain-classifier drift test")
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(is_current, dtype=bool)
    n = len(texts)
    rng = np.random.default_rng([seed, 7])
    half = np.zeros(n, dtype=np.int64)
    for cls in (True, False):
        idx = np.flatnonzero(y == cls)
        idx = idx[rng.permutation(len(idx))]
        half[idx[1::2]] = 1
    if counts is None:
        from .features import text_features

        counts = text_features(list(texts)).words
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    X = None
    if (df >= 2).any():
        X = TfidfTransformer(sublinear_tf=True).fit_transform(counts[:, df >= 2])
    scores = np.full(n, 0.5)
    aucs, ps = [], []
    for h in (0, 1):
        test = half == h
        train = ~test
        if X is not None and len(np.unique(y[train])) == 2:
            clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
            clf.fit(X[train], y[train])
            scores[test] = clf.predict_proba(X[test])[:, 1]
        auc, p = mann_whitney_auc(scores[test & y], scores[test & ~y])
        aucs.append(auc)
        ps.append(p)
    p = min(1.0, 2 * min(ps)) if not any(map(math.isnan, ps)) else math.nan
    stat = float(np.mean(aucs))
    res = TestOutcome("domain_classifier", statistic=stat, p_value=p, effect_size=stat - 0.5,
                      current_value=float(np.mean(scores[y])),
                      reference_value=float(np.mean(scores[~y])))
    res.details = {"scores": scores, "auc_halves": aucs, "p_halves": ps,
                   "n_half": [int((half == h).sum()) for h in (0, 1)],
                   "n_current_half": [int(((half == h) & y).sum()) for h in (0, 1)]}
    return res


# --------------------------------------------------------------------------- runner

def _skip(name: str, reason: str) -> TestOutcome:
    return TestOutcome(name, status="skipped", reason=reason)


def applicability(name: str, cmp: Comparison) -> str:
    """Empty string when *name* can run on *cmp*, else the reason it cannot."""
    d, nc = cmp.data, cmp.n_current
    cur, ref = d.take(np.arange(nc)), d.take(np.arange(nc, len(d)))
    if name == "embedding_mmd" and cmp.model is None and cmp.embeddings is None:
        return "no embedding model given (model=...)"
    if name == "label_distribution" and not (cur.has_labels and ref.has_labels):
        return "labels or predictions are missing on one side"
    if name == "confidence" and not (cur.has_confidence and ref.has_confidence):
        return "confidence / probabilities are missing on one side"
    if name in ("entity_types", "new_entity_rate"):
        if not (cur.has_entities and ref.has_entities):
            return "spans are missing on one side"
        ents = d.entities or []
        if not any(ents[i] for i in range(nc)) or not any(ents[i] for i in range(nc, len(d))):
            return "one side has no entity"
    return ""


def run_tests(cmp: Comparison, names: list[str]) -> list[TestOutcome]:
    """Run the tests *names* (in that order) on one comparison."""
    unknown = [n for n in names if n not in ALL_TESTS]
    if unknown:
        raise InputError(Errors.E1005.format(names=unknown, available=list(ALL_TESTS)))
    reasons = {n: applicability(n, cmp) for n in names}
    runnable = {n for n in names if not reasons[n]}
    done: dict[str, TestOutcome] = {}
    for res in _run_permutations(cmp, _perm_specs(cmp, runnable)):
        done[res.name] = res
    f = cmp.features
    if "length_chars" in runnable:
        done["length_chars"] = _ks("length_chars", f.n_chars, cmp.n_current)
    if "length_tokens" in runnable:
        done["length_tokens"] = _ks("length_tokens", f.n_tokens, cmp.n_current)
    if "confidence" in runnable:
        done["confidence"] = _ks("confidence", np.asarray(cmp.data.confidence, dtype=float),
                                 cmp.n_current)
    if "domain_classifier" in runnable:
        done["domain_classifier"] = domain_classifier(cmp.data.texts, cmp.is_current,
                                                      seed=cmp.seed, counts=f.words)
    if "embedding_mmd" in runnable:
        from .embed import mmd_test

        done["embedding_mmd"] = mmd_test(cmp)
    return [done[n] if n in done else _skip(n, reasons[n]) for n in names]
