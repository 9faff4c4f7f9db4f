"""Near-miss clusters: noisy variants of frequent reference words.

Candidate generation uses **symmetric deletion** (as in SymSpell): every target
word and every variant is expanded into the strings obtained by deleting up to
*d* characters; a variant and a target can only be within Levenshtein distance *d*
if these deletion neighbourhoods intersect.  Candidates are then verified with the
real Levenshtein distance.  Cost: O((targets + variants) * L^d), no all-pairs loop.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ._align import distance_function

__all__ = ["near_miss", "near_miss_clusters", "NEAR_MISS_COLUMNS", "CLUSTER_COLUMNS"]

NEAR_MISS_COLUMNS = ["word", "variant", "distance", "variant_count", "word_count"]
CLUSTER_COLUMNS = ["word", "word_count", "variants", "variant_count", "top_variants"]


def _deletes(word: str, d: int) -> set[str]:
    """*word* and every string obtained by deleting 1..d (d <= 2) of its characters."""
    n = len(word)
    one = [word[:i] + word[i + 1:] for i in range(n)]
    out = set(one)
    out.add(word)
    if d >= 2:
        for i, s in enumerate(one):  # delete a second character after position i
            out.update([s[:j] + s[j + 1:] for j in range(i, n - 1)])
    return out


def _max_d(word: str, max_distance: int) -> int:
    # 1 edit for short words, up to max_distance for words of 8+ characters
    return min(max_distance, 1 if len(word) < 8 else 2)


def near_miss(variants: Mapping[str, int], targets: Mapping[str, int], *,
              max_distance: int = 2, min_word_count: int = 5, min_length: int = 3,
              exclude: set[str] | frozenset[str] | None = None) -> pd.DataFrame:
    """Variants within a small edit distance of frequent target words.

    Parameters
    ----------
    variants : mapping word form -> count
        Word forms of the OCR corpus.
    targets : mapping word form -> count
        Word forms of a clean reference (or of the OCR corpus itself).
    max_distance : int
        Largest Levenshtein distance (words shorter than 8 characters: at most 1).
    min_word_count : int
        Targets need at least this many occurrences.
    min_length : int
        Shortest variant / target considered.
    exclude : set, optional
        Valid words that are never variants (a lexicon); targets are always excluded.

    Returns
    -------
    DataFrame
        Columns ``word`` (target), ``variant``, ``distance``, ``variant_count``,
        ``word_count``; each variant is attached to its closest target (ties: the
        more frequent target).

    Examples
    --------
    >>> df = near_miss({"tbe": 3, "thc": 2, "the": 40, "cat": 5}, {"the": 100, "cat": 20})
    >>> df[["word", "variant", "distance"]].values.tolist()
    [['the', 'tbe', 1], ['the', 'thc', 1]]
    """
    index: dict[str, list[str]] = {}
    for w, n in targets.items():
        if n >= min_word_count and len(w) >= min_length:
            for dl in _deletes(w, _max_d(w, max_distance)):
                index.setdefault(dl, []).append(w)
    rows = []
    keys = set(index)
    levenshtein = distance_function()
    for v, n in variants.items():
        if len(v) < min_length or v in targets or (exclude is not None and v in exclude):
            continue
        best = None
        seen = set()
        for dl in _deletes(v, _max_d(v, max_distance)) & keys:
            for w in index[dl]:
                if w in seen:
                    continue
                seen.add(w)
                limit = _max_d(w, max_distance)
                if abs(len(w) - len(v)) > limit:
                    continue
                dist = levenshtein(v, w)
                if dist <= limit:
                    key = (dist, -targets[w], w)
                    if best is None or key < best[0]:
                        best = (key, w, dist)
        if best is not None:
            rows.append((best[1], v, best[2], n, targets[best[1]]))
    df = pd.DataFrame(rows, columns=NEAR_MISS_COLUMNS)
    return df.sort_values(["word_count", "word", "variant_count", "variant"],
                          ascending=[False, True, False, True], kind="stable").reset_index(drop=True)


def near_miss_clusters(table: pd.DataFrame, *, top: int = 10) -> pd.DataFrame:
    """Group :func:`near_miss` rows per target word.

    Columns ``word``, ``word_count``, ``variants`` (number of distinct variants),
    ``variant_count`` (their total occurrences) and ``top_variants``
    (``"tbe:3|thc:2"``, most frequent first); biggest clusters first.
    """
    groups: dict[str, list] = {}
    for word, variant, _d, vn, wn in table.itertuples(index=False):
        groups.setdefault(word, [int(wn), []])[1].append((-int(vn), variant))
    rows = []
    for word, (wn, vs) in groups.items():
        vs.sort()
        rows.append((word, wn, len(vs), -sum(n for n, _ in vs),
                     "|".join(f"{v}:{-n}" for n, v in vs[:top])))
    df = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    return df.sort_values(["variant_count", "word"], ascending=[False, True],
                          kind="stable").reset_index(drop=True)
