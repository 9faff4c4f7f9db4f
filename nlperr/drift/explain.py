"""What changed: explanation rows for a drifting test.

Words are ranked by the **log-odds ratio with an informative Dirichlet prior**
(Monroe, Colaresi & Quinn 2008, "Fightin' words", eq. 16-22): for word *w* with
counts ``y_c``, ``y_r`` in current / reference (totals ``n_c``, ``n_r``) and
prior ``a_w = a0 * pooled share of w``,

    delta_w = log((y_c + a_w) / (n_c + a0 - y_c - a_w))
              - log((y_r + a_w) / (n_r + a0 - y_r - a_w))
    z_w = delta_w / sqrt(1 / (y_c + a_w) + 1 / (y_r + a_w))

``a0`` is ``prior_strength`` times the pooled token count (default 0.1).
Positive z: over-represented in current.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .features import CHAR_CLASSES

__all__ = ["log_odds_dirichlet", "EXPLANATION_COLUMNS", "explain"]

#: Columns of the ``explanations`` table.
EXPLANATION_COLUMNS = ["window", "test", "kind", "item", "example_id", "current_count",
                       "reference_count", "current_share", "reference_share", "score"]


def log_odds_dirichlet(current: np.ndarray, reference: np.ndarray, *,
                       prior_strength: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """``(delta, z)`` per category (see the module docstring).

    >>> d, z = log_odds_dirichlet(np.array([10.0, 1.0]), np.array([1.0, 10.0]))
    >>> bool(z[0] > 0 > z[1])
    True
    """
    yc = np.asarray(current, dtype=np.float64)
    yr = np.asarray(reference, dtype=np.float64)
    pooled = yc + yr
    total = pooled.sum()
    a0 = prior_strength * total if total > 0 else 1.0
    a = a0 * pooled / total if total > 0 else np.full(yc.shape, a0 / max(1, len(yc)))
    a = np.maximum(a, 1e-12)
    nc, nr = yc.sum(), yr.sum()
    delta = (np.log(yc + a) - np.log(nc + a0 - yc - a)
             - np.log(yr + a) + np.log(nr + a0 - yr - a))
    z = delta / np.sqrt(1.0 / (yc + a) + 1.0 / (yr + a))
    return delta, z


def _share(x: np.ndarray) -> np.ndarray:
    s = x.sum()
    return x / s if s > 0 else np.full(x.shape, np.nan)


def _rows(kind: str, items: list[Any], cur: np.ndarray, ref: np.ndarray, score: np.ndarray,
          order: np.ndarray, limit: int, ids: list[str | None] | None = None,
          shares: tuple[np.ndarray, np.ndarray] | None = None) -> list[dict[str, Any]]:
    cs, rs = shares if shares is not None else (_share(cur), _share(ref))
    out = []
    for j in order[:limit]:
        out.append({"kind": kind, "item": str(items[j]),
                    "example_id": ids[j] if ids is not None else None,
                    "current_count": float(cur[j]), "reference_count": float(ref[j]),
                    "current_share": float(cs[j]), "reference_share": float(rs[j]),
                    "score": float(score[j])})
    return out


def _word_rows(cmp: Any, limit: int) -> list[dict[str, Any]]:
    f, nc = cmp.features, cmp.n_current
    cur = np.asarray(f.words[:nc].sum(axis=0)).ravel()
    ref = np.asarray(f.words[nc:].sum(axis=0)).ravel()
    _, z = log_odds_dirichlet(cur, ref)
    order = np.argsort(-z, kind="stable")
    order = order[(z[order] > 0) & (cur[order] >= 2)]
    return _rows("word", f.word_types, cur, ref, z, order, limit)


def _text_rows(cmp: Any, scores: np.ndarray, rows: np.ndarray | None, limit: int
               ) -> list[dict[str, Any]]:
    d, nc = cmp.data, cmp.n_current
    rows = np.arange(len(d)) if rows is None else np.asarray(rows)
    cur_rows = rows < nc
    idx = rows[cur_rows]
    sc = np.asarray(scores)[cur_rows]
    order = np.argsort(-sc, kind="stable")[:limit]
    out = []
    for j in order:
        i = int(idx[j])
        text = d.texts[i]
        out.append({"kind": "text", "item": text if len(text) <= 300 else text[:297] + "...",
                    "example_id": d.ids[i], "current_count": np.nan,
                    "reference_count": np.nan, "current_share": np.nan,
                    "reference_share": np.nan, "score": float(sc[j])})
    return out


def _category_rows(kind: str, cats: list[str], cur: np.ndarray, ref: np.ndarray,
                   limit: int) -> list[dict[str, Any]]:
    diff = _share(cur) - _share(ref)
    order = np.argsort(-np.nan_to_num(diff, nan=-np.inf), kind="stable")
    return _rows(kind, cats, cur, ref, diff, order, limit)


def _character_rows(cmp: Any, limit: int) -> list[dict[str, Any]]:
    d, nc = cmp.data, cmp.n_current

    def counts(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        codes = np.frombuffer("".join(texts).encode("utf-32-le"), dtype=np.uint32)
        return np.unique(codes, return_counts=True)

    cu, cc = counts(d.texts[:nc])
    ru, rc = counts(d.texts[nc:])
    keys = np.union1d(cu, ru)
    cur = np.zeros(len(keys))
    ref = np.zeros(len(keys))
    cur[np.searchsorted(keys, cu)] = cc
    ref[np.searchsorted(keys, ru)] = rc
    _, z = log_odds_dirichlet(cur, ref)
    order = np.argsort(-z, kind="stable")
    order = order[(z[order] > 0) & (cur[order] >= 2)]
    return _rows("character", [repr(chr(int(k))) for k in keys], cur, ref, z, order, limit)


def explain(res: Any, cmp: Any, *, limit: int = 10) -> list[dict[str, Any]]:
    """Explanation rows (without ``window`` / ``test``) for the outcome *res*."""
    f, d, nc = cmp.features, cmp.data, cmp.n_current
    name = res.name
    out: list[dict[str, Any]] = []
    if name in ("token_distribution", "domain_classifier", "embedding_mmd"):
        out += _word_rows(cmp, limit)
    if name == "oov_rate":
        novel = np.asarray(res.details.get("novel_types", []), dtype=np.int64)
        cur = np.asarray(f.words[:nc].sum(axis=0)).ravel()
        ref = np.asarray(f.words[nc:].sum(axis=0)).ravel()
        order = novel[np.argsort(-cur[novel], kind="stable")]
        share = (cur / max(cur.sum(), 1), ref / max(ref.sum(), 1))
        out += _rows("new_word", f.word_types, cur, ref, cur, order, limit, shares=share)
        out += _word_rows(cmp, limit)
    if name == "domain_classifier":
        out += _text_rows(cmp, res.details["scores"], None, limit)
    if name == "embedding_mmd":
        out += _text_rows(cmp, res.details["witness"], res.details["rows"], limit)
    if name == "char_classes":
        cur, ref = f.chars[:nc].sum(0), f.chars[nc:].sum(0)
        out += _category_rows("char_class", list(CHAR_CLASSES), cur, ref, len(CHAR_CLASSES))
        out += _character_rows(cmp, limit)
    if name == "ocr_garbage":
        g = f.garbage
        tok_c, tok_r = f.n_tokens[:nc].sum(), f.n_tokens[nc:].sum()
        cur, ref = g[:nc, :-1].sum(0), g[nc:, :-1].sum(0)
        rate = (cur / max(tok_c, 1), ref / max(tok_r, 1))
        diff = rate[0] - rate[1]
        order = np.argsort(-diff, kind="stable")
        out += _rows("garbage_rule", f.garbage_rules, cur, ref, diff, order, len(order),
                     shares=rate)
        flags = f.type_garbage[:, -1]
        ws_c = np.asarray(f.ws[:nc].sum(axis=0)).ravel()
        ws_r = np.asarray(f.ws[nc:].sum(axis=0)).ravel()
        cand = np.flatnonzero(flags & (ws_c > 0))
        _, z = log_odds_dirichlet(ws_c, ws_r)
        order = cand[np.argsort(-z[cand], kind="stable")]
        share = (ws_c / max(tok_c, 1), ws_r / max(tok_r, 1))
        out += _rows("garbage_token", f.ws_types, ws_c, ws_r, z, order, limit, shares=share)
    if name in ("label_distribution", "entity_types"):
        cats = res.details.get("categories") or []
        if name == "label_distribution":
            labels = d.labels or []
            cur = np.array([sum(1 for x in labels[:nc] if x == c) for c in cats], dtype=float)
            ref = np.array([sum(1 for x in labels[nc:] if x == c) for c in cats], dtype=float)
            out += _category_rows("label", cats, cur, ref, limit)
        else:
            ents = d.entities or []
            cur = np.zeros(len(cats))
            ref = np.zeros(len(cats))
            col = {c: j for j, c in enumerate(cats)}
            for i, es in enumerate(ents):
                for _, lab in es or ():
                    (cur if i < nc else ref)[col[lab]] += 1
            out += _category_rows("entity_type", cats, cur, ref, limit)
    if name == "new_entity_rate":
        smat = res.details["string_matrix"]
        strings = res.details["strings"]
        cur = np.asarray(smat[:nc].sum(axis=0)).ravel()
        ref = np.asarray(smat[nc:].sum(axis=0)).ravel()
        novel = np.flatnonzero((ref == 0) & (cur > 0))
        order = novel[np.argsort(-cur[novel], kind="stable")]
        out += _rows("new_entity", strings, cur, ref, cur, order, limit)
    if name in ("length_chars", "length_tokens", "confidence"):
        x = {"length_chars": f.n_chars, "length_tokens": f.n_tokens,
             "confidence": d.confidence}[name]
        x = np.asarray(x, dtype=np.float64)
        c, r = x[:nc][np.isfinite(x[:nc])], x[nc:][np.isfinite(x[nc:])]
        qs = [0.1, 0.25, 0.5, 0.75, 0.9]
        if len(c) and len(r):
            cq, rq = np.quantile(c, qs), np.quantile(r, qs)
            for q, a, b in zip(qs, cq, rq):
                out.append({"kind": "quantile", "item": f"q{int(q * 100):02d}",
                            "example_id": None, "current_count": float(a),
                            "reference_count": float(b), "current_share": np.nan,
                            "reference_share": np.nan, "score": float(a - b)})
    return out
