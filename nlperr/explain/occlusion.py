"""Occlusion attributions for any adapter, through the prediction engine.

Every word of a case's example is occluded in turn -- ``mode="remove"``
deletes it (with the whitespace after it, or before it for the last word),
``mode="mask"`` replaces it by *mask_token* (default: the model tokenizer's
mask token, else ``"[UNK]"``) -- and the occluded texts are predicted in **one**
:meth:`nlperr.engine.Predictor.predict` call: batched, each distinct text once,
read from the prediction cache on a rerun.  Words are the example's tokens,
else its whitespace-separated words; occluded examples keep their tokens
(minus / with the replaced word), so token-based adapters see words as before.

Cases (``cases="errors"``, the default, keeps only errors):

* classification: one case per example; ``wrong_label`` = the predicted label,
  ``right_label`` = the gold label; an error when they differ.
* NER: a gold entity with no exact prediction (``kind="gold"``: ``wrong_label``
  = the label of the predicted entity overlapping it most, or ``"O"``) and a
  predicted entity with no exact gold entity (``kind="pred"``: ``wrong_label`` =
  its label, ``right_label`` = the overlapping gold label or ``"O"``).  Words
  inside the case's span, or inside the gold span it overlaps, are not
  occluded (the spans are what is explained); spans are carried through the
  edit (:func:`nlperr.perturb.map_span`).

Per (case, word):

``score`` of the wrong label at the case
    classification: ``probs[wrong_label]`` (1/0 by the label when the adapter
    gives no probabilities); NER: the score of the predicted entity with the
    wrong label overlapping the span most (1 when the adapter gives no score;
    0 when there is none) -- for ``wrong_label == "O"``, 1 when no predicted
    entity overlaps the span, else 0.
``attribution``
    score before occlusion minus score after: > 0 when the word raises the
    wrong label.
``label_after``
    the prediction at the case after occlusion (NER: the label of the
    predicted entity overlapping the mapped span most, ``"O"`` for none).
``fixed``
    the occluded prediction is right: classification ``label == right_label``;
    NER: the gold span of the case (a ``"gold"`` case's own span, the gold span
    a ``"pred"`` case overlaps) is predicted exactly, with ``right_label``,
    after the edit -- or, for ``right_label == "O"``, no entity overlaps the
    case's span any more.  So a boundary error (right label, wrong span) is
    fixed only when the gold boundaries come out.  NA for correct cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..data import Example, Span, Token, whitespace_tokenize
from ..errors import Errors, InputError
from ..results import Finding, Result

__all__ = ["Attributions", "occlusion", "MODES", "CASES"]

MODES = ("remove", "mask")
CASES = ("errors", "all")

ATTRIBUTION_COLUMNS = ["case", "example", "example_id", "kind", "start", "end", "wrong_label",
                       "right_label", "error", "word_index", "word", "word_start", "word_end",
                       "attribution", "label_after", "changed", "fixed"]


class Attributions(Result):
    """Word attributions for a set of cases, and the corpus-level word table.

    Tables
    ------
    ``attributions``
        one row per (case, word): ``case``, ``example``, ``example_id``,
        ``kind``, ``start``, ``end`` (the case's span; the whole text for
        classification), ``wrong_label``, ``right_label``, ``error``,
        ``word_index``, ``word``, ``word_start``, ``word_end``, ``attribution``,
        ``label_after``, ``changed`` (label_after != wrong_label), ``fixed``
        (occlusion only; see the module docs).
    ``cases``
        one row per case: ``case``, ``example``, ``example_id``, ``kind``,
        ``start``, ``end``, ``span_text``, ``wrong_label``, ``right_label``,
        ``error``, ``score`` (of the wrong label, before), ``words``,
        ``fixes`` (words whose occlusion fixes it), ``top_word``,
        ``top_attribution``, ``delta`` (integrated gradients: convergence delta).
    ``words``
        the aggregate over error cases (see :func:`nlperr.explain.aggregate_words`).

    ``summary``: ``method``, ``model``, ``task``, ``examples``, ``cases``,
    ``error_cases``, and per method: occlusion ``mode``, ``mask_token``,
    ``variants`` (occluded examples requested), ``unique_variants``,
    ``cache_hits``, ``computed``, ``forward_passes``; integrated gradients
    ``steps``, ``baseline``, ``max_delta``, ``mean_abs_delta``.
    """

    kind = "attributions"
    title = "Word attributions"
    figure_specs = {"attributions": "nlperr.attention.figures:attribution_words"}


def _words(ex: Example) -> list[Token]:
    return list(ex.tokens) if ex.tokens is not None else list(whitespace_tokenize(ex.text))


def _score(span: Span | None) -> float:
    if span is None:
        return 0.0
    return 1.0 if span.score is None else float(span.score)


def _best_overlap(spans: Sequence[Span] | None, start: int, end: int) -> Span | None:
    best, best_ov = None, 0
    for s in spans or ():
        ov = min(s.end, end) - max(s.start, start)
        exact = s.start == start and s.end == end
        if ov > 0 and (ov > best_ov or exact):
            best, best_ov = s, ov
            if exact:
                break
    return best


def make_cases(gold: Sequence[Example], pred: Sequence[Example], task: str,
               which: str) -> list[dict[str, Any]]:
    """The cases of :mod:`nlperr.explain.occlusion` (dicts)."""
    cases: list[dict[str, Any]] = []
    for i, (g, p) in enumerate(zip(gold, pred)):
        base = {"example": i, "example_id": g.id}
        if task == "classification":
            gl = "|".join(g.label) if isinstance(g.label, tuple) else g.label
            pl = "|".join(p.label) if isinstance(p.label, tuple) else p.label
            err = gl != pl
            if err or which == "all":
                cases.append({**base, "kind": "example", "start": 0, "end": len(g.text),
                              "wrong_label": pl, "right_label": gl, "error": err})
            continue
        gk = {s.key for s in g.spans or ()}
        pk = {s.key for s in p.spans or ()}
        for s in g.spans or ():
            if s.key not in pk:
                hit = _best_overlap(p.spans, s.start, s.end)
                cases.append({**base, "kind": "gold", "start": s.start, "end": s.end,
                              "wrong_label": hit.label if hit else "O",
                              "right_label": s.label, "error": True,
                              "target": (s.start, s.end)})
        for s in p.spans or ():
            if s.key not in gk:
                hit = _best_overlap(g.spans, s.start, s.end)
                cases.append({**base, "kind": "pred", "start": s.start, "end": s.end,
                              "wrong_label": s.label, "right_label": hit.label if hit else "O",
                              "error": True,
                              "target": (hit.start, hit.end) if hit else (s.start, s.end)})
            elif which == "all":
                cases.append({**base, "kind": "pred", "start": s.start, "end": s.end,
                              "wrong_label": s.label, "right_label": s.label, "error": False,
                              "target": (s.start, s.end)})
    return cases


def _wrong_score(task: str, ex: Example, case: dict[str, Any], start: int, end: int) -> float:
    wrong = case["wrong_label"]
    if task == "classification":
        label = "|".join(ex.label) if isinstance(ex.label, tuple) else ex.label
        if ex.probs and wrong in ex.probs:
            return float(ex.probs[wrong])
        return 1.0 if label == wrong else 0.0
    hit = _best_overlap(ex.spans, start, end)
    if wrong == "O":
        return 1.0 if hit is None else 0.0
    return _score(hit) if hit is not None and hit.label == wrong else 0.0


def _label_at(task: str, ex: Example, start: int, end: int) -> str:
    if task == "classification":
        return "|".join(ex.label) if isinstance(ex.label, tuple) else str(ex.label)
    hit = _best_overlap(ex.spans, start, end)
    return hit.label if hit is not None else "O"


def _fixed(task: str, ex: Example, case: dict[str, Any], start: int, end: int) -> bool:
    right = case["right_label"]
    if task == "classification":
        return _label_at(task, ex, start, end) == right
    if right == "O":
        return _best_overlap(ex.spans, start, end) is None
    return any(s.start == start and s.end == end and s.label == right for s in ex.spans or ())


def _occlude(ex: Example, words: list[Token], k: int, mode: str, mask_token: str):
    from ..perturb.edits import Edit, apply_edits, map_position

    w = words[k]
    if mode == "mask":
        edit = Edit(w.start, w.end, mask_token)
    elif k + 1 < len(words):
        edit = Edit(w.start, words[k + 1].start, "")
    elif k > 0:
        edit = Edit(words[k - 1].end, w.end, "")
    else:
        edit = Edit(w.start, w.end, "")
    edits = [edit]
    text = apply_edits(ex.text, edits)
    tokens = None
    if ex.tokens is not None:
        toks = []
        for j, t in enumerate(ex.tokens):
            if j == k:
                if mode == "mask":
                    s = map_position(t.start, edits, side="left")
                    toks.append(Token(mask_token, s, s + len(mask_token)))
                continue
            s = map_position(t.start, edits, side="left")
            e = map_position(t.end, edits, side="right")
            toks.append(Token(text[s:e], s, e))
        tokens = tuple(toks)
    return Example(text, tokens=tokens, id=ex.id), edits


def _default_mask(adapter: Any) -> str:
    tok = getattr(adapter, "tokenizer", None)
    for name in ("mask_token", "unk_token"):
        v = getattr(tok, name, None) if tok is not None else None
        if isinstance(v, str) and v:
            return v
    return "[UNK]"


def _check_cases_input(gold: list[Example], task: str, what: str) -> None:
    for i, g in enumerate(gold):
        if task == "ner" and g.spans is None:
            raise InputError(Errors.E857.format(what=what, index=i, id=g.id, field="spans",
                                           needed="entity spans"))
        if task == "classification" and g.label is None:
            raise InputError(Errors.E857.format(what=what, index=i, id=g.id, field="label",
                                           needed="a label"))


def occlusion(model: Any, gold: Sequence[Example], pred: Sequence[Example] | None = None, *,
              mode: str = "remove", mask_token: str | None = None, cases: str = "errors",
              batch_size: int | None = None, cache: Any = True,
              task: str | None = None) -> Attributions:
    """Occlusion attributions of *model*'s errors on *gold* (any adapter).

    Parameters
    ----------
    model : str, Adapter or callable
        Anything :class:`nlperr.engine.Predictor` accepts (``"spacy:NAME"``,
        ``"hf:PATH"``, ``"callable:mod:fn"``, an adapter, a callable).
    gold : sequence of Example
        Gold examples (spans for NER, labels for classification).
    pred : sequence of Example, optional
        The model's predictions on *gold* (default: predicted now, cached).
    mode : {"remove", "mask"}
    mask_token : str, optional
        Replacement for ``mode="mask"``.
    cases : {"errors", "all"}
        Explain only the errors, or every case (also correct predictions).
    batch_size, cache
        Passed to the :class:`~nlperr.engine.Predictor`.

    Returns
    -------
    Attributions
        See the module docs for the definitions.
    """
    import pandas as pd

    from ..adapters._util import check_choice
    from ..attention.contrast import predictions_for
    from ..engine import Predictor
    from ..perturb.edits import map_span
    from .aggregate import aggregate_words

    check_choice("mode", mode, MODES)
    check_choice("cases", cases, CASES)
    gold = list(gold)
    if not gold:
        raise InputError(Errors.E853.format(what="occlusion", received="0 examples"))
    if task is None:
        # the gold data says what is explained (a callable's task is only known later)
        task = ("classification" if gold[0].spans is None and gold[0].label is not None
                else "ner" if gold[0].spans is not None else None)
    if isinstance(model, str):
        from ..adapters import load_model

        # the task fixed at load time keeps the cache key of a callable stable
        model = load_model(model, task=task, lazy=True)
    predictor = Predictor(model, cache=cache, batch_size=batch_size)
    adapter = predictor.adapter
    task = check_choice("task", task or adapter.task, ("ner", "classification"))
    _check_cases_input(gold, task, "occlusion")
    if pred is None:
        pred = predictor.predict(gold)
    pred = predictions_for(adapter, gold, pred, what="occlusion")
    if mode == "mask" and mask_token is None:
        mask_token = _default_mask(adapter)
    mask_token = mask_token or ""
    case_list = make_cases(gold, pred, task, cases)
    # one variant per (example, word) of the examples that have cases
    needed = sorted({c["example"] for c in case_list})
    variants: list[Example] = []
    index: dict[tuple[int, int], tuple[int, list]] = {}
    words_of: dict[int, list[Token]] = {}
    for i in needed:
        words = _words(gold[i])
        words_of[i] = words
        for k in range(len(words)):
            v, edits = _occlude(gold[i].copy(spans=None, label=None, probs=None), words, k,
                                mode, mask_token)
            index[(i, k)] = (len(variants), edits)
            variants.append(v)
    out = predictor.predict(variants) if variants else []
    # the counts of the occluded pass only (not of predicting the originals)
    stats = dict(predictor.stats) if variants else {}
    rows = []
    case_rows = []
    for c_id, c in enumerate(case_list):
        i = c["example"]
        s, e = c["start"], c["end"]
        ts, te = c.get("target", (s, e))
        keep_s, keep_e = min(s, ts), max(e, te)
        before = _wrong_score(task, pred[i], c, s, e)
        n_words = fixes = 0
        top = (None, -np.inf)
        for k, w in enumerate(words_of.get(i, ())):
            if task == "ner" and w.start < keep_e and w.end > keep_s:
                continue  # words of the explained span (and of its gold span) stay
            j, edits = index[(i, k)]
            if task == "ner":
                mapped, _ = map_span(Span(s, e, "x"), edits)
                target, _ = map_span(Span(ts, te, "x"), edits)
                if mapped is None or target is None:
                    continue
                ms, me = mapped.start, mapped.end
                fs, fe = target.start, target.end
            else:
                ms, me = fs, fe = 0, len(out[j].text)
            after = _wrong_score(task, out[j], c, ms, me)
            lab = _label_at(task, out[j], ms, me)
            fixed = _fixed(task, out[j], c, fs, fe) if c["error"] else None
            att = before - after
            n_words += 1
            fixes += bool(fixed)
            if att > top[1]:
                top = (w.text, att)
            rows.append({"case": c_id, "example": i, "example_id": c["example_id"],
                         "kind": c["kind"], "start": s, "end": e,
                         "wrong_label": c["wrong_label"], "right_label": c["right_label"],
                         "error": c["error"], "word_index": k, "word": w.text,
                         "word_start": w.start, "word_end": w.end, "attribution": att,
                         "label_after": lab, "changed": lab != c["wrong_label"],
                         "fixed": fixed})
        case_rows.append({"case": c_id, "example": i, "example_id": c["example_id"],
                          "kind": c["kind"], "start": s, "end": e,
                          "span_text": gold[i].text[s:e], "wrong_label": c["wrong_label"],
                          "right_label": c["right_label"], "error": c["error"],
                          "score": before, "words": n_words, "fixes": fixes,
                          "top_word": top[0],
                          "top_attribution": top[1] if top[0] is not None else float("nan"),
                          "delta": float("nan")})
    att_df = pd.DataFrame(rows, columns=ATTRIBUTION_COLUMNS)
    att_df["fixed"] = att_df["fixed"].astype("boolean")  # NA for correct cases
    cases_df = pd.DataFrame(case_rows, columns=CASE_COLUMNS)
    words_df = aggregate_words(att_df)
    summary = {"method": "occlusion", "mode": mode,
               "mask_token": mask_token if mode == "mask" else None,
               "model": _model_name(adapter), "task": task, "examples": len(gold),
               "cases": len(case_list), "error_cases": int(sum(c["error"] for c in case_list)),
               "variants": len(variants), "unique_variants": int(stats.get("unique", 0)),
               "cache_hits": int(stats.get("cache_hits", 0)),
               "computed": int(stats.get("computed", 0)),
               "forward_passes": int(stats.get("forward_passes", 0))}
    return Attributions(summary=summary, findings=word_findings(words_df),
                        tables={"attributions": att_df, "cases": cases_df, "words": words_df})


CASE_COLUMNS = ["case", "example", "example_id", "kind", "start", "end", "span_text",
                "wrong_label", "right_label", "error", "score", "words", "fixes", "top_word",
                "top_attribution", "delta"]


def _model_name(adapter: Any) -> str:
    for attr in ("path", "spec", "name"):
        v = getattr(adapter, attr, None)
        if isinstance(v, str) and v:
            return v
    return str(getattr(adapter, "kind", type(adapter).__name__))


def word_findings(words: Any, top: int = 3) -> list[Finding]:
    """Findings naming the words whose occlusion most often fixes an error."""
    out = []
    if words is None or not len(words):
        return out
    if "fixes" in words and words["fixes"].fillna(0).max() > 0:
        for r in words[words["fixes"] > 0].head(top).itertuples():
            out.append(Finding(f"Removing {r.word!r} fixes {int(r.fixes)} of the {int(r.cases)} "
                               f"error case(s) it occurs in (wrong labels: {r.wrong_labels}).",
                               metric="fixes", value=float(r.fixes),
                               examples=tuple(str(x) for x in str(r.examples).split(";") if x)))
    return out

