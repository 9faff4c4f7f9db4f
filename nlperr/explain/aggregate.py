"""Word attributions aggregated over the error set (a corpus-level word table)."""

from __future__ import annotations

from collections import Counter
from typing import Any



__all__ = ["aggregate_words", "WORD_COLUMNS"]

#: Columns of :func:`aggregate_words`.
WORD_COLUMNS = ["word", "cases", "fixes", "fix_rate", "fix_rate_low", "raises_wrong",
                "raise_rate",
                "mean_attribution", "max_attribution", "wrong_labels", "examples"]


def aggregate_words(attributions: Any, *, lowercase: bool = True, min_cases: int = 1,
                    max_examples: int = 5) -> Any:
    """Aggregate per-(case, word) attributions over all **error** cases.

    Parameters
    ----------
    attributions : DataFrame or Attributions
        The ``attributions`` table of :func:`~nlperr.explain.occlusion` or
        :func:`~nlperr.explain.integrated_gradients` (or the result itself).
    lowercase : bool, default True
        Count ``"Sent"`` and ``"sent"`` as one word.
    min_cases : int, default 1
        Keep words seen in at least this many error cases.

    Returns
    -------
    DataFrame
        One row per word: ``word``; ``cases`` (error cases whose context holds
        it, each case counted once); ``fixes`` (cases whose error the word's
        occlusion fixes; 0 for methods without a ``fixed`` column),
        ``fix_rate`` = fixes / cases and ``fix_rate_low``, the lower end of its
        95% Wilson interval (:func:`nlperr.stats.wilson_interval`: a word that
        fixes 3 of 3 cases ranks above one that fixes 14 of 261); ``raises_wrong`` (cases where the word's
        attribution to the wrong label is > 0) and ``raise_rate``;
        ``mean_attribution`` and ``max_attribution`` (over its occurrences);
        ``wrong_labels`` (``"LABEL:count"`` of the cases it fixes or raises, most
        common first); ``examples`` (up to *max_examples* example ids, ``;``-joined).
        Sorted by ``fix_rate_low``, ``fixes``, then the lower Wilson bound of
        ``raise_rate``, ``mean_attribution`` (all descending), then ``word``.
    """
    import pandas as pd

    df = attributions.tables["attributions"] if hasattr(attributions, "tables") else attributions
    df = df[df["error"].astype(bool)] if len(df) else df
    if not len(df):
        return pd.DataFrame(columns=WORD_COLUMNS)
    key = df["word"].str.lower() if lowercase else df["word"]
    fixed = (df["fixed"].astype("boolean").fillna(False).astype(bool) if "fixed" in df
             else pd.Series(False, index=df.index))
    att = df["attribution"].astype(float)
    work = pd.DataFrame({"word": key, "case": df["case"], "fixed": fixed,
                         "raises": att > 0, "att": att, "label": df["wrong_label"].astype(str),
                         "ex": df["example_id"].where(df["example_id"].notna(),
                                                      df["example"].astype(str)).astype(str)})
    per_case = work.groupby(["word", "case"], sort=False).agg(
        fixed=("fixed", "any"), raises=("raises", "any"), label=("label", "first"),
        ex=("ex", "first"))
    rows = []
    stats = work.groupby("word", sort=False)["att"].agg(["mean", "max"])
    for word, grp in per_case.groupby(level="word", sort=False):
        n = len(grp)
        if n < min_cases:
            continue
        hot = grp[grp["fixed"] | grp["raises"]]
        labels = Counter(hot["label"])
        exs = list(dict.fromkeys((hot if len(hot) else grp)["ex"]))[:max_examples]
        rows.append({"word": word, "cases": n, "fixes": int(grp["fixed"].sum()),
                     "fix_rate": float(grp["fixed"].mean()), "fix_rate_low": float("nan"),
                     "raises_wrong": int(grp["raises"].sum()),
                     "raise_rate": float(grp["raises"].mean()),
                     "mean_attribution": float(stats.at[word, "mean"]),
                     "max_attribution": float(stats.at[word, "max"]),
                     "wrong_labels": "; ".join(f"{k}:{v}" for k, v in labels.most_common()),
                     "examples": ";".join(exs)})
    from ..stats import wilson_interval

    out = pd.DataFrame(rows, columns=WORD_COLUMNS)
    out["fix_rate_low"] = wilson_interval(out["fixes"].to_numpy(), out["cases"].to_numpy())[0]
    out["_raise_low"] = wilson_interval(out["raises_wrong"].to_numpy(),
                                        out["cases"].to_numpy())[0]
    out = out.sort_values(["fix_rate_low", "fixes", "_raise_low", "mean_attribution", "word"],
                          ascending=[False, False, False, False, True])
    return out.drop(columns="_raise_low").reset_index(drop=True)



