"""One run of attention inspection: per-head summaries, a word map and, with gold
data, the error-versus-correct contrast -- what ``nlperr attention`` writes."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from ..data import Example
from ..errors import Errors, InputError
from ..results import Result

__all__ = ["AttentionReport", "inspect_attention"]

# the page's heat maps (every column can be drawn with figures.heads_heatmap(column=...))
_HEAD_FIGS = ("entropy", "cls_mass", "sep_mass", "special_mass", "mean_distance")


class AttentionReport(Result):
    """Everything ``nlperr attention`` computes.

    Tables: ``heads`` (see :class:`~nlperr.attention.HeadSummary`); with gold
    data ``contrast``, ``units`` and ``features`` (see
    :class:`~nlperr.attention.AttentionContrast`); ``map_words`` and
    ``map_weights``: the word-level map of one example (the ``words`` and
    ``weights`` tables of :class:`~nlperr.attention.WordAttention`).

    ``summary``: ``model``, ``examples``, ``windows``, ``queries``, ``layers``,
    ``heads``, ``batch_size``, ``extremes``; ``map_example`` (the id / index of
    the mapped example); with gold data ``contrast`` (the contrast's summary).
    """

    kind = "attention_report"
    title = "Attention inspection"
    figure_specs = {**{f"heads_{c}": f"nlperr.attention.figures:heads_{c}" for c in _HEAD_FIGS},
                    "contrast_entropy": "nlperr.attention.figures:contrast_entropy",
                    "contrast_context_mass": "nlperr.attention.figures:contrast_context_mass",
                    "word_map": "nlperr.attention.figures:word_map"}


def inspect_attention(model: Any, examples: Iterable[Example], *,
                      gold: Sequence[Example] | None = None,
                      pred: Sequence[Example] | None = None, max_examples: int | None = None,
                      batch_size: int | None = None, map_example: int = 0,
                      rollout: bool = False, alpha: float = 0.05,
                      cache: Any = True) -> AttentionReport:
    """Per-head summaries of *model* over *examples*, the word map of one
    example, and with *gold* the error-versus-correct contrast (one pass).

    Parameters
    ----------
    model : str, adapter or (model, tokenizer) pair
        A Hugging Face model (``"hf:PATH"``).
    examples : iterable of Example
    gold : sequence of Example, optional
        Gold annotations of the same examples (same texts, same order); enables
        the contrast (predictions: *pred*, else the model's through the engine).
    max_examples : int, optional
        Use only the first *max_examples* examples.
    map_example : int, default 0
        Index of the example whose word-level map is kept.
    rollout : bool, default False
        Keep the attention rollout instead of the raw per-head map.
    """
    from .capture import as_hf_adapter
    from .contrast import attention_contrast
    from .heads import HeadAccumulator, _summarize, head_summary
    from .words import word_attention

    adapter = as_hf_adapter(model, what="inspect_attention", batch_size=batch_size)
    if max_examples is not None and (isinstance(max_examples, bool)
                                     or not isinstance(max_examples, int) or max_examples < 1):
        raise InputError(Errors.E856.format(option="max_examples", expected="a positive integer",
                                            got=max_examples))
    examples = list(itertools.islice(examples, max_examples))
    if not examples:
        raise InputError(Errors.E853.format(what="inspect_attention", received="0 examples"))
    tables: dict[str, Any] = {}
    findings = []
    if gold is not None:
        gold = list(itertools.islice(gold, max_examples))
        if pred is not None:
            pred = list(itertools.islice(pred, max_examples))
        from .contrast import _check_pairs

        _check_pairs(gold, examples, "inspect_attention (--gold vs --input)")
        acc = HeadAccumulator()
        con = attention_contrast(adapter, gold, pred, batch_size=batch_size, alpha=alpha,
                                 cache=cache, heads=acc)
        if acc.sums is None:
            raise InputError(Errors.E853.format(what="inspect_attention", received="no windows"))
        summary, df, hf = _summarize(acc, model=adapter.path, examples=len(examples),
                                     windows=int(con.summary["windows"]),
                                     batch_size=int(batch_size or adapter.batch_size))
        tables["heads"] = df
        findings += hf
        tables.update(con.tables)
        findings += con.findings
        summary["contrast"] = con.summary
    else:
        hs = head_summary(adapter, examples, batch_size=batch_size)
        summary = dict(hs.summary)
        summary["examples"] = len(examples)
        tables["heads"] = hs.tables["heads"]
        findings += hs.findings
    if not 0 <= map_example < len(examples):
        raise InputError(Errors.E856.format(option="map_example",
                                            expected=f"an index in 0..{len(examples) - 1}",
                                            got=map_example))
    wm = word_attention(adapter, examples[map_example], rollout=rollout)
    tables["map_words"] = wm.tables["words"]
    tables["map_weights"] = wm.tables["weights"]
    summary["map_example"] = examples[map_example].id or map_example
    return AttentionReport(summary=summary, tables=tables, findings=findings)
