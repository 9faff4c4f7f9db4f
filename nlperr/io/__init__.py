"""Loaders and writers: CoNLL, HIPE-2022, JSONL, spaCy DocBin, Hugging Face datasets, CSV.

Every reader returns a ``list`` of :class:`~nlperr.data.Example` and streams its
input line by line; :func:`iter_conll` / :func:`iter_jsonl` / :func:`iter_csv` yield examples one at a
time for large corpora, and :func:`iter_hf_dataset` streams a Hugging Face
(streaming) dataset.  :func:`load` / :func:`save` pick the format by name or by
file extension from a registry (:func:`register_format` adds your own).

Heavy dependencies are imported lazily: spaCy only by the DocBin functions,
``datasets`` only by the Hugging Face functions, pandas only by the DataFrame /
CSV writers.  See ``docs/loaders.md``.

========  ==============================  =========================================
format    aliases                         extensions
========  ==============================  =========================================
conll     iob, bio, conll2003             .conll .iob .iob1 .iob2 .bio .bioes .conll03
hipe      hipe2022                        .tsv (when the header starts with TOKEN)
jsonl     json-lines, prodigy             .jsonl .ndjson
spacy     docbin                          .spacy
csv       (none)                          .csv
hf        datasets, huggingface           a ``save_to_disk`` folder
========  ==============================  =========================================
"""

from __future__ import annotations

from pathlib import Path

from ._common import DataFileNotFoundError
from ._conll import ConllStream, iter_conll, read_conll, write_conll
from ._docbin import read_docbin, write_docbin
from ._hf import from_hf_dataset, iter_hf_dataset, looks_like_hf, read_hf, to_hf_dataset
from ._hf import write_hf
from ._hipe import HIPE_COLUMNS, NE_COLUMNS, iter_hipe, read_hipe, write_hipe
from ._jsonl import JsonlStream, iter_jsonl, read_jsonl, write_jsonl
from ._registry import FormatSpec, get_format, guess_format, list_formats, load, register_format
from ._registry import save
from ._tabular import CsvStream, from_dataframe, iter_csv, read_csv, to_dataframe, write_csv

__all__ = [
    "load",
    "save",
    "register_format",
    "list_formats",
    "get_format",
    "guess_format",
    "FormatSpec",
    "DataFileNotFoundError",
    "read_conll",
    "iter_conll",
    "ConllStream",
    "JsonlStream",
    "CsvStream",
    "write_conll",
    "read_hipe",
    "iter_hipe",
    "write_hipe",
    "HIPE_COLUMNS",
    "NE_COLUMNS",
    "read_jsonl",
    "iter_jsonl",
    "write_jsonl",
    "read_docbin",
    "write_docbin",
    "from_hf_dataset",
    "iter_hf_dataset",
    "to_hf_dataset",
    "read_csv",
    "iter_csv",
    "write_csv",
    "from_dataframe",
    "to_dataframe",
]


def _sniff_hipe(path: Path) -> bool:
    # one rule for "is this HIPE" (nlperr.io._sniff), reading at most its first 64 kB
    from ._sniff import sniff_format

    try:
        return sniff_format(path) == ["hipe"]
    except OSError:
        return False


def _sniff_conll(path: Path) -> bool:
    return not _sniff_hipe(path)


register_format("conll", read_conll, write_conll,
                [".conll", ".iob", ".iob1", ".iob2", ".bio", ".bioes", ".conll03", ".tsv"],
                aliases=["iob", "bio", "conll2003"], sniff=_sniff_conll, streamer=iter_conll)
register_format("hipe", read_hipe, write_hipe, [".tsv"], aliases=["hipe2022"],
                sniff=_sniff_hipe, streamer=iter_hipe)
register_format("jsonl", read_jsonl, write_jsonl, [".jsonl", ".ndjson"],
                aliases=["json-lines", "prodigy"], streamer=iter_jsonl)
register_format("spacy", read_docbin, write_docbin, [".spacy"], aliases=["docbin"])
register_format("csv", read_csv, write_csv, [".csv"], streamer=iter_csv)
register_format("hf", read_hf, write_hf, (), aliases=["datasets", "huggingface"],
                sniff=looks_like_hf)
