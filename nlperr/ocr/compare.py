"""OCR vs gold: CER/WER, character confusions, splits/merges, real-word errors.

Error rates are defined exactly as jiwer's defaults (``jiwer.cer`` / ``jiwer.wer``):

* **CER** -- each unit is stripped of leading/trailing whitespace; its character
  Levenshtein distance is divided by the number of gold characters.
* **WER** -- runs of 2+ whitespace characters become one space, the unit is stripped
  and split on ``" "``; word Levenshtein distance / number of gold words.
* **Corpus level** (and a document with several units) -- *total* edits over *total*
  gold length (not a mean of per-unit rates), as jiwer does for lists.

A unit whose gold text is empty is not something jiwer accepts; here its OCR
characters/words count as insertions (warning W701) and the unit adds nothing to
the gold length.

Confusions come from the character alignment: each maximal run of non-matching
alignment columns becomes ``(gold string, OCR string)``.  Runs with equal lengths
are split into single-character substitutions; other runs of at most
``max_length`` characters on each side are kept whole (``"m" -> "rn"``,
``"d" -> "cl"``, ``"e" -> ""``, ``"" -> "."``); longer runs are split
character by character.  A **split** is a whitespace character the OCR added inside
a run, a **merge** a gold whitespace character it lost.  A **real-word error** is a
1:1 word substitution whose OCR word form is a valid word (in the lexicon; by
default the vocabulary of the gold side) but differs from the gold word form.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd

from ..errors import Errors, InputError, Warnings, warn
from ..results import Result, jsonable
from ._align import levenshtein, opcodes
from ._text import word_form
from .noise import NoiseModel
from .readers import OcrPair

__all__ = ["cer", "wer", "error_rates", "compare", "compare_pairs", "Comparison",
           "jiwer_chars", "jiwer_words", "DOCUMENT_COLUMNS", "CONFUSION_COLUMNS"]

_MULTI_WS = re.compile(r"\s\s+")

DOCUMENT_COLUMNS = ["document", "units", "characters", "char_edits", "substitutions",
                    "deletions", "insertions", "cer", "words", "word_edits", "wer",
                    "splits", "merges", "real_word_errors", "excluded_characters"]
CONFUSION_COLUMNS = ["gold", "ocr", "kind", "count", "gold_count", "prob"]


def jiwer_chars(text: str) -> str:
    """The characters jiwer's CER scores: ``text.strip()``."""
    return text.strip()


def jiwer_words(text: str) -> list[str]:
    """The words jiwer's WER scores (collapse 2+ whitespace, strip, split on ' ')."""
    return [w for w in _MULTI_WS.sub(" ", text).strip().split(" ") if w]


def _as_list(x: str | Sequence[str]) -> list[str]:
    return [x] if isinstance(x, str) else list(x)


def _check(gold: list[str], ocr: list[str]) -> None:
    if len(gold) != len(ocr):
        raise InputError(Errors.E709.format(where="input", ngold=len(gold), nocr=len(ocr)))


def error_rates(gold: str | Sequence[str], ocr: str | Sequence[str], *,
                backend: str = "auto") -> dict[str, Any]:
    """CER and WER (jiwer's definitions) with their counts.

    Returns a dict with keys ``cer``, ``wer``, ``char_edits``, ``characters``,
    ``word_edits``, ``words``.

    Examples
    --------
    >>> error_rates(["the cat"], ["tbe cat"])
    {'cer': 0.14285714285714285, 'wer': 0.5, 'char_edits': 1, 'characters': 7, 'word_edits': 1, 'words': 2}
    """
    g, o = _as_list(gold), _as_list(ocr)
    _check(g, o)
    ce = cn = we = wn = 0
    for gs, os_ in zip(g, o):
        a, b = jiwer_chars(gs), jiwer_chars(os_)
        ce += levenshtein(a, b, backend=backend)
        cn += len(a)
        ga, ob = jiwer_words(gs), jiwer_words(os_)
        we += levenshtein(ga, ob, backend=backend)
        wn += len(ga)
    return {"cer": ce / cn if cn else float("nan"), "wer": we / wn if wn else float("nan"),
            "char_edits": ce, "characters": cn, "word_edits": we, "words": wn}


def cer(gold: str | Sequence[str], ocr: str | Sequence[str], *, backend: str = "auto") -> float:
    """Character error rate, equal to ``jiwer.cer(gold, ocr)``.

    >>> round(cer("good", "goal"), 2)
    0.5
    """
    return error_rates(gold, ocr, backend=backend)["cer"]


def wer(gold: str | Sequence[str], ocr: str | Sequence[str], *, backend: str = "auto") -> float:
    """Word error rate, equal to ``jiwer.wer(gold, ocr)``.

    >>> wer("the good cat", "tbe good cat")
    0.3333333333333333
    """
    return error_rates(gold, ocr, backend=backend)["wer"]


@dataclass
class Comparison(Result):
    """Result of :func:`compare` / :func:`compare_pairs`: a
    :class:`nlperr.results.Result` whose ``tables`` are ``documents``,
    ``confusions`` and ``word_substitutions``; figure ``cer`` (histogram per
    document).  ``noise_model`` is saved in ``result.json`` and loaded back.

    Attributes
    ----------
    summary : dict
        Corpus totals; keys ``documents``, ``units``, ``characters``, ``char_edits``,
        ``cer``, ``words``, ``word_edits``, ``wer``, ``substitutions``, ``deletions``,
        ``insertions``, ``splits``, ``merges``, ``real_word_errors``,
        ``excluded_characters``, ``lexicon``.
    documents : DataFrame
        One row per document, columns :data:`DOCUMENT_COLUMNS`.
    confusions : DataFrame
        Columns ``gold``, ``ocr``, ``kind`` (substitution / multi / deletion /
        insertion), ``count``, ``gold_count`` (occurrences of the gold string in the
        gold text), ``prob`` (= count / gold_count); most frequent first.
    words : DataFrame
        1:1 word substitutions: ``gold``, ``ocr`` (word forms), ``count``,
        ``real_word`` (the OCR form is a valid word).
    noise_model : NoiseModel
        The confusions as a sampler (see :mod:`nlperr.ocr.noise`).
    """

    summary: dict[str, Any]
    documents: pd.DataFrame
    confusions: pd.DataFrame
    words: pd.DataFrame
    noise_model: NoiseModel | None

    # the result protocol (nlperr.results): tables under the names the CLI writes
    kind: ClassVar[str] = "ocr_compare"
    title: ClassVar[str] = "OCR against gold"
    figure_specs: ClassVar[dict[str, str]] = {"cer": "nlperr.report.figures:cer_histogram"}

    def __post_init__(self) -> None:
        self.summary = jsonable(self.summary)
        if not self.tables:
            self.tables = {"documents": self.documents, "confusions": self.confusions,
                           "word_substitutions": self.words}
        if not self.findings:
            self.findings = self._findings()
        super().__post_init__()

    def _findings(self) -> list[Any]:
        from ..results import Finding

        s, out = self.summary, []
        if s.get("cer") is not None:
            out.append(Finding(f"CER {s['cer']:.4f} and WER {s.get('wer') or 0:.4f} over "
                               f"{s['documents']} document(s) ({s['characters']} gold "
                               f"characters).", metric="cer", value=s["cer"]))
        docs = self.documents
        if len(docs) > 1 and docs["cer"].notna().any():
            w = docs.loc[docs["cer"].idxmax()]
            out.append(Finding(f"Highest CER: document {w['document']} ({w['cer']:.4f}, "
                               f"{int(w['char_edits'])} edits in {int(w['characters'])} "
                               f"characters).", metric="cer", value=float(w["cer"]),
                               examples=(str(w["document"]),)))
        if len(self.confusions):
            top = self.confusions.head(3)
            parts = [f"{g!r} -> {o!r} ({int(n)})" for g, o, n in
                     zip(top["gold"], top["ocr"], top["count"])]
            out.append(Finding("Most frequent confusions (gold -> OCR): " + ", ".join(parts)
                               + ".", metric="count", value=int(top["count"].iloc[0])))
        return out

    def headline(self) -> dict[str, Any]:
        s = self.summary
        return {k: s.get(k) for k in ("documents", "characters", "cer", "words", "wer",
                                      "real_word_errors") if s.get(k) is not None}

    def report_tables(self) -> list[str]:
        return ["confusions", "word_substitutions", "documents"]

    def _extra_state(self) -> dict[str, Any]:
        return {"noise_model": self.noise_model.to_dict() if self.noise_model is not None
                else None}

    @classmethod
    def _from_parts(cls, summary: dict[str, Any], tables: dict[str, Any],
                    findings: list[Any], extra: dict[str, Any]) -> "Comparison":
        nm = extra.get("noise_model")
        model = NoiseModel.from_dict(nm, source="result.json") if nm else None
        return cls(summary, tables["documents"], tables["confusions"],
                   tables["word_substitutions"], model, tables=tables, findings=findings)


def _runs(ops: Iterable[tuple[str, int, int, int, int]]):
    run = None
    for tag, i1, i2, j1, j2 in ops:
        if tag == "equal":
            if run is not None:
                yield run
                run = None
        elif run is None:
            run = [i1, i2, j1, j2]
        else:
            run[1], run[3] = i2, j2
    if run is not None:
        yield run


class _Comparer:
    def __init__(self, lexicon: Any, max_length: int, backend: str):
        self.lexicon = lexicon
        self.max_length = max_length
        self.backend = backend
        self.conf: Counter = Counter()
        self.gold_chars: Counter = Counter()
        self.gold_ngrams: Counter = Counter()
        self.gold_vocab: set[str] = set()
        self.word_subs: Counter = Counter()
        self.doc_subs: list[Counter] = []
        self.rows: list[dict[str, Any]] = []

    def _confusions(self, g: str, o: str, ops) -> tuple[int, int]:
        conf = self.conf
        L = self.max_length
        splits = merges = 0
        for i1, i2, j1, j2 in _runs(ops):
            gs, os_ = g[i1:i2], o[j1:j2]
            gsp = sum(c.isspace() for c in gs)
            osp = sum(c.isspace() for c in os_)
            if osp > gsp:
                splits += osp - gsp
            elif gsp > osp:
                merges += gsp - osp
            if len(gs) == len(os_):
                for a, b in zip(gs, os_):
                    if a != b:
                        conf[(a, b)] += 1
            elif len(gs) <= L and len(os_) <= L:
                conf[(gs, os_)] += 1
            else:
                k = min(len(gs), len(os_))
                for a, b in zip(gs[:k], os_[:k]):
                    if a != b:
                        conf[(a, b)] += 1
                for a in gs[k:]:
                    conf[(a, "")] += 1
                for b in os_[k:]:
                    conf[("", b)] += 1
        return splits, merges

    def add(self, pair: OcrPair) -> dict[str, Any]:
        if len(pair.gold) != len(pair.ocr):
            raise InputError(Errors.E709.format(where=pair.id, ngold=len(pair.gold),
                                                nocr=len(pair.ocr)))
        be = self.backend
        row = dict.fromkeys(DOCUMENT_COLUMNS, 0)
        row["document"] = pair.id
        row["excluded_characters"] = pair.excluded_characters
        subs: Counter = Counter()
        empty = 0
        for gold, ocr in zip(pair.gold, pair.ocr):
            g, o = jiwer_chars(gold), jiwer_chars(ocr)
            if not g and not o:
                continue
            row["units"] += 1
            if not g:
                empty += 1
            ops = opcodes(g, o, backend=be)
            for tag, i1, i2, j1, j2 in ops:
                if tag == "replace":
                    row["substitutions"] += i2 - i1
                elif tag == "delete":
                    row["deletions"] += i2 - i1
                elif tag == "insert":
                    row["insertions"] += j2 - j1
            row["characters"] += len(g)
            sp, me = self._confusions(g, o, ops)
            row["splits"] += sp
            row["merges"] += me
            self.gold_chars.update(g)
            for n in range(2, self.max_length + 1):
                self.gold_ngrams.update(map("".join, zip(*(g[k:] for k in range(n)))))
            gw, ow = jiwer_words(gold), jiwer_words(ocr)
            row["words"] += len(gw)
            wops = opcodes(gw, ow, backend=be)
            for tag, i1, i2, j1, j2 in wops:
                if tag == "replace":
                    row["word_edits"] += i2 - i1
                    for a, b in zip(gw[i1:i2], ow[j1:j2]):
                        fa, fb = word_form(a), word_form(b)
                        if fa and fb and fa != fb:
                            subs[(fa, fb)] += 1
                elif tag == "delete":
                    row["word_edits"] += i2 - i1
                elif tag == "insert":
                    row["word_edits"] += j2 - j1
            if self.lexicon is None:
                for w in gw:
                    f = word_form(w)
                    if f:
                        self.gold_vocab.add(f)
        if empty:
            warn(Warnings.W701.format(where=pair.id, count=empty))
        row["char_edits"] = row["substitutions"] + row["deletions"] + row["insertions"]
        row["cer"] = row["char_edits"] / row["characters"] if row["characters"] else float("nan")
        row["wer"] = row["word_edits"] / row["words"] if row["words"] else float("nan")
        self.word_subs.update(subs)
        if self.lexicon is None:
            self.doc_subs.append(subs)
        else:
            row["real_word_errors"] = sum(n for (_, b), n in subs.items() if b in self.lexicon)
        self.rows.append(row)
        return row

    def result(self) -> Comparison:
        lex = self.lexicon if self.lexicon is not None else self.gold_vocab
        if self.lexicon is None:
            for row, subs in zip(self.rows, self.doc_subs):
                row["real_word_errors"] = sum(n for (_, b), n in subs.items() if b in lex)
        docs = pd.DataFrame(self.rows, columns=DOCUMENT_COLUMNS)
        tot = {c: int(docs[c].sum()) if len(docs) else 0 for c in
               ("units", "characters", "char_edits", "substitutions", "deletions", "insertions",
                "words", "word_edits", "splits", "merges", "real_word_errors",
                "excluded_characters")}
        summary = {
            "documents": len(docs),
            "cer": tot["char_edits"] / tot["characters"] if tot["characters"] else float("nan"),
            "wer": tot["word_edits"] / tot["words"] if tot["words"] else float("nan"),
            **tot,
            "word_substitutions": int(sum(self.word_subs.values())),
            "lexicon": "gold vocabulary" if self.lexicon is None else getattr(
                self.lexicon, "source", "user lexicon"),
        }
        counts = {**{k: v for k, v in self.gold_ngrams.items()}, **self.gold_chars}
        rows = []
        for (g, o), n in self.conf.items():
            kind = ("insertion" if not g else "deletion" if not o else
                    "substitution" if len(g) == 1 and len(o) == 1 else "multi")
            gc = counts.get(g) if g else None
            rows.append((g, o, kind, n, gc, (n / gc) if gc else float("nan")))
        conf = pd.DataFrame(rows, columns=CONFUSION_COLUMNS)
        conf = conf.sort_values(["count", "gold", "ocr"], ascending=[False, True, True],
                                kind="stable").reset_index(drop=True)
        words = pd.DataFrame([(a, b, n, b in lex) for (a, b), n in self.word_subs.items()],
                             columns=["gold", "ocr", "count", "real_word"])
        words = words.sort_values(["count", "gold"], ascending=[False, True],
                                  kind="stable").reset_index(drop=True)
        model = NoiseModel.from_counts(self.conf, counts, tot["characters"])
        return Comparison(summary, docs, conf, words, model)


def compare_pairs(pairs: Iterable[OcrPair], *, lexicon: Any = None, max_length: int = 3,
                  backend: str = "auto", progress: bool | None = None) -> Comparison:
    """Compare OCR with gold for a stream of :class:`~nlperr.ocr.readers.OcrPair` s.

    Parameters
    ----------
    pairs : iterable of OcrPair
        E.g. ``nlperr.ocr.iter_pairs("data/icdar2019/NL1")``.
    lexicon : container of str, optional
        Valid (lowercase) word forms for real-word errors; default: the gold vocabulary.
    max_length : int
        Longest gold/OCR string kept whole as a multi-character confusion.
    backend : {"auto", "rapidfuzz", "python"}
        Alignment backend (see :mod:`nlperr.ocr._align`).
    progress : bool, optional
        tqdm progress bar (default: when stderr is a TTY).
    """
    from ._util import progress_bar
    if not isinstance(max_length, int) or max_length < 1:
        raise InputError(Errors.E207.format(value=max_length, option="max_length",
                                            allowed="a positive integer"))
    comp = _Comparer(lexicon, max_length, backend)
    for pair in progress_bar(pairs, progress, desc="compare", unit="doc"):
        comp.add(pair)
    return comp.result()


def compare(gold: str | Sequence[str], ocr: str | Sequence[str], *,
            ids: Sequence[str] | None = None, lexicon: Any = None, max_length: int = 3,
            backend: str = "auto", progress: bool | None = None) -> Comparison:
    """Compare OCR texts with their gold transcriptions (one document per string).

    Examples
    --------
    >>> res = compare(["the modern harbour", "good day"], ["tbe rnodern harbour", "goal day"])
    >>> round(res.summary["cer"], 4), res.summary["wer"], res.summary["real_word_errors"]
    (0.1923, 0.6, 0)
    >>> res.confusions[["gold", "ocr", "count"]].head(2).values.tolist()
    [['d', 'l', 1], ['h', 'b', 1]]
    """
    g, o = _as_list(gold), _as_list(ocr)
    _check(g, o)
    ids = list(ids) if ids is not None else [str(i) for i in range(len(g))]
    pairs = (OcrPair(i, (a,), (b,)) for i, a, b in zip(ids, g, o))
    return compare_pairs(pairs, lexicon=lexicon, max_length=max_length, backend=backend,
                         progress=progress)
