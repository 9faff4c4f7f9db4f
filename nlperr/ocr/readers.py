"""Readers for OCR corpora (streaming: one document at a time).

Formats
-------
``icdar2019``
    ICDAR 2019 post-OCR competition files, one document per file::

        [OCR_toInput] raw OCR text
        [OCR_aligned] OCR text aligned character by character
        [ GS_aligned] gold text aligned character by character

    In the aligned lines ``@`` is an alignment gap and ``#`` marks characters that
    have no gold.  **Scoring strings**: every alignment column whose *gold* character
    is ``#`` is excluded from both sides (the OCR character in that column is not
    scored either), then ``@`` gaps are removed from both lines.  The number of
    excluded columns is reported as ``excluded_characters``.  (A literal ``@`` in the
    gold text cannot be told apart from a gap; the OCR side never contains one: the
    raw ``OCR_toInput`` line always equals the aligned OCR line without ``@``.)
``pairs``
    Line-aligned pair files: each non-blank line is ``OCR||@@||GOLD`` (optionally
    followed by ``||@@||OTHER`` fields, ignored).  One file is one document whose
    units are its lines; blank lines are skipped.
``text``
    Plain OCR text files (``*.txt``), no gold.
``hipe``
    HIPE TSV via :func:`nlperr.io.read_hipe` (one example per document/sentence);
    :func:`iter_texts` reads them too (one text per HIPE document).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import Errors, FormatError, InputError, shorten

__all__ = [
    "OcrPair",
    "read_icdar2019",
    "read_line_pairs",
    "iter_files",
    "iter_pairs",
    "iter_texts",
    "iter_folder_pairs",
    "detect_pair_format",
]

PathLike = str | os.PathLike

_P_RAW, _P_OCR, _P_GOLD = "[OCR_toInput] ", "[OCR_aligned] ", "[ GS_aligned] "
PAIR_SEP = "||@@||"


@dataclass(frozen=True)
class OcrPair:
    """A document with OCR text and its gold transcription.

    Attributes
    ----------
    id : str
        Document id (file path relative to the input folder, or as given).
    gold, ocr : tuple of str
        Parallel units (one per line for pair files, one for ICDAR files).
    excluded_characters : int
        Alignment columns left out of scoring (ICDAR ``#``).
    raw_ocr : str or None
        The unaligned OCR text where the format has one (ICDAR ``OCR_toInput``).
    """

    id: str
    gold: tuple[str, ...]
    ocr: tuple[str, ...]
    excluded_characters: int = 0
    raw_ocr: str | None = None


def _read_text(path: Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The file's text through :func:`nlperr.io._text.read_text`: *encoding*, BOM and
    CRLF/CR accepted, E030 naming line, column and bytes for undecodable input,
    E033 beyond ``max_file_bytes``."""
    from ..io._text import read_text

    return read_text(path, encoding=encoding, errors=errors)


def _read_document(path: Path, encoding: str = "utf-8", errors: str = "strict") -> str:
    """The text of one document file; an empty (or whitespace-only) file is an
    error naming it, as in the corpus loaders (E003)."""
    text = _read_text(path, encoding, errors)
    if not text.strip():
        raise FormatError(Errors.E003.format(where=str(path)))
    return text


def _exists(path: Path) -> None:
    if not path.exists():
        raise InputError(Errors.E704.format(where="input", path=str(path)))


def _lines(text: str) -> list[str]:
    lines = text.split("\n")
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


_HASH_RUN = re.compile("#+")


def _scoring_strings(ocr_al: str, gold_al: str) -> tuple[str, str, int]:
    if "#" not in gold_al:
        return ocr_al.replace("@", ""), gold_al.replace("@", ""), 0
    o_parts, g_parts, prev, excluded = [], [], 0, 0
    for m in _HASH_RUN.finditer(gold_al):
        o_parts.append(ocr_al[prev:m.start()])
        g_parts.append(gold_al[prev:m.start()])
        excluded += m.end() - m.start()
        prev = m.end()
    o_parts.append(ocr_al[prev:])
    g_parts.append(gold_al[prev:])
    return "".join(o_parts).replace("@", ""), "".join(g_parts).replace("@", ""), excluded


def read_icdar2019(path: PathLike, *, id: str | None = None, encoding: str = "utf-8",
                   encoding_errors: str = "strict") -> OcrPair:
    """Read one ICDAR 2019 post-OCR file (see the module docstring for '@' and '#').

    Decoded with *encoding* (see :func:`nlperr.io._text.read_text`; ``encoding_errors=
    "replace"`` reads undecodable bytes as U+FFFD with a W030 warning).

    Raises :class:`~nlperr.errors.FormatError` naming ``file:line`` when a line lacks
    its prefix or the aligned lines differ in length.
    """
    path = Path(path)
    _exists(path)
    lines = _lines(_read_document(path, encoding, encoding_errors))
    while lines and not lines[-1].strip():
        lines.pop()
    for k, prefix in enumerate((_P_RAW, _P_OCR, _P_GOLD)):
        got = lines[k] if k < len(lines) else "<end of file>"
        if not got.startswith(prefix):
            raise FormatError(Errors.E701.format(where=f"{path}:{k + 1}", line=k + 1,
                                                 prefix=prefix, got=shorten(got[:40])))
    if len(lines) > 3:
        raise FormatError(Errors.E701.format(where=f"{path}:4", line=4, prefix="<end of file>",
                                             got=shorten(lines[3][:40])))
    raw = lines[0][len(_P_RAW):]
    ocr_al, gold_al = lines[1][len(_P_OCR):], lines[2][len(_P_GOLD):]
    if len(ocr_al) != len(gold_al):
        raise FormatError(Errors.E702.format(where=f"{path}:2-3", nocr=len(ocr_al),
                                             ngold=len(gold_al)))
    ocr, gold, excluded = _scoring_strings(ocr_al, gold_al)
    return OcrPair(id or str(path), (gold,), (ocr,), excluded, raw)


def read_line_pairs(path: PathLike, *, id: str | None = None, encoding: str = "utf-8",
                    encoding_errors: str = "strict") -> OcrPair:
    """Read a line-aligned pair file (``OCR||@@||GOLD[||@@||OTHER]`` per line)."""
    path = Path(path)
    _exists(path)
    gold, ocr = [], []
    for n, line in enumerate(_lines(_read_text(path, encoding, encoding_errors)), 1):
        if not line.strip():
            continue
        fields = line.split(PAIR_SEP)
        if len(fields) < 2:
            raise FormatError(Errors.E703.format(where=f"{path}:{n}", got=shorten(line)))
        ocr.append(fields[0])
        gold.append(fields[1])
    if not gold:
        raise FormatError(Errors.E003.format(where=str(path)))
    return OcrPair(id or str(path), tuple(gold), tuple(ocr))


def detect_pair_format(path: PathLike, *, encoding: str = "utf-8",
                       encoding_errors: str = "strict") -> str:
    """``"icdar2019"`` or ``"pairs"`` from the first non-blank line of *path*."""
    from ..io._text import iter_lines

    path = Path(path)
    _exists(path)
    if path.is_dir():
        raise InputError(Errors.E012.format(where=str(path), expected="a file", field="path",
                                            got="a folder"))
    lines = iter_lines(path, encoding=encoding, errors=encoding_errors)
    try:
        for n, line in lines:
            if not line.strip():
                continue
            if line.startswith(_P_RAW):
                return "icdar2019"
            if PAIR_SEP in line:
                return "pairs"
            raise FormatError(Errors.E703.format(
                where=f"{path}:{n}",
                got=shorten(line.rstrip("\n")) + " (neither an ICDAR 2019 file nor a pair file)"))
    finally:
        lines.close()
    raise FormatError(Errors.E003.format(where=str(path)))


def iter_files(paths: Iterable[PathLike] | PathLike, *, pattern: str | tuple[str, ...] = "*.txt",
               what: str = "files", accept=None) -> Iterator[tuple[str, Path]]:
    """``(id, path)`` for files and for *pattern* files under folders (sorted, recursive).

    The id is the path relative to the folder given (the path itself for a file)
    when there is one input; with several inputs it is the path relative to their
    common root, so that ``0.txt`` in ``FR1/`` and in ``NL1/`` stay apart
    (``FR1/0.txt``, ``NL1/0.txt``).  *pattern* may be a tuple of glob patterns;
    *accept* (``path -> bool``), when given, filters the files found in folders.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = [Path(p) for p in paths]
    for p in paths:
        _exists(p)
    root = _common_root(paths) if len(paths) > 1 else None
    patterns = (pattern,) if isinstance(pattern, str) else tuple(pattern)
    found = False
    for p in paths:
        if p.is_dir():
            files = {f for pat in patterns for f in p.rglob(pat) if f.is_file()}
            for f in sorted(files, key=lambda x: _natural(str(x.relative_to(p)))):
                if accept is None or accept(f):
                    found = True
                    yield (str(f.relative_to(p)) if root is None
                           else os.path.relpath(os.path.abspath(f), root)), f
        else:
            found = True
            yield (str(p) if root is None else os.path.relpath(os.path.abspath(p), root)), p
    if not found:
        raise InputError(Errors.E705.format(what=what, paths=[str(p) for p in paths],
                                            pattern=" or ".join(patterns)))


def _common_root(paths: list[Path]) -> str:
    """The deepest folder holding every input (a folder input counts as itself, a
    file as its folder)."""
    dirs = [os.path.abspath(p if p.is_dir() else p.parent) for p in paths]
    try:
        return os.path.commonpath(dirs)
    except ValueError:  # different drives (Windows): no common root
        return os.path.abspath(os.sep)


def _is_hipe(path: Path) -> bool:
    """A sniff on the first bytes (ASCII ``TOKEN<TAB>``, after a UTF-8 BOM if any)."""
    with open(path, "rb") as f:
        head = f.readline(4096)
    return head.removeprefix(b"\xef\xbb\xbf").startswith(b"TOKEN\t")


def _natural(s: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def iter_pairs(paths: Iterable[PathLike] | PathLike, *, format: str = "auto",
               encoding: str = "utf-8", encoding_errors: str = "strict") -> Iterator[OcrPair]:
    """Stream :class:`OcrPair` s from ICDAR 2019 / pair files or folders of them.

    ``format`` is ``"auto"`` (per file, from its first line), ``"icdar2019"`` or
    ``"pairs"``; files are decoded with *encoding* / *encoding_errors*.
    """
    enc = {"encoding": encoding, "encoding_errors": encoding_errors}
    allowed = ("auto", "icdar2019", "pairs")
    if format not in allowed:
        raise InputError(Errors.E207.format(value=format, option="format",
                                            allowed=", ".join(allowed)))
    for doc_id, path in iter_files(paths, what="pair files"):
        fmt = detect_pair_format(path, **enc) if format == "auto" else format
        if fmt == "icdar2019":
            yield read_icdar2019(path, id=doc_id, **enc)
        else:
            yield read_line_pairs(path, id=doc_id, **enc)


def iter_texts(paths: Iterable[PathLike] | PathLike, *, icdar_side: str = "ocr",
               encoding: str = "utf-8", encoding_errors: str = "strict"
               ) -> Iterator[tuple[str, str]]:
    """Stream ``(id, text)`` from text files and folders (``*.txt``, HIPE ``*.tsv``).

    * ICDAR 2019 files are recognised and give their raw OCR line (``OCR_toInput``),
      or with ``icdar_side="gold"`` their gold text (use that for a clean
      reference);
    * HIPE-2022 TSV files (first line ``TOKEN<TAB>...``; in folders, ``*.tsv`` files
      other than HIPE are skipped) give one text per HIPE document, with id
      ``FILE#DOCUMENT_ID``, read with :func:`nlperr.io.read_hipe`;
    * any other file is plain text, one document per file.

    Files are decoded with *encoding* / *encoding_errors* (see
    :func:`nlperr.io._text.read_text`).
    """
    if icdar_side not in ("ocr", "gold"):
        raise InputError(Errors.E207.format(value=icdar_side, option="icdar_side",
                                            allowed="ocr, gold"))

    def accept(f: Path) -> bool:
        return f.suffix != ".tsv" or _is_hipe(f)

    for doc_id, path in iter_files(paths, pattern=("*.txt", "*.tsv"),
                                   what="text files (or HIPE TSV files)", accept=accept):
        if _is_hipe(path):
            from ..io import read_hipe
            opts: dict = {"encoding": encoding} if encoding != "utf-8" else {}
            if encoding_errors != "strict":
                opts["encoding_errors"] = encoding_errors
            for k, ex in enumerate(read_hipe(path, strict=False, **opts)):
                meta = (ex.meta or {}).get("document") or {}
                yield f"{doc_id}#{meta.get('document_id', k)}", ex.text
            continue
        text = _read_document(path, encoding, encoding_errors)
        if text.startswith(_P_RAW):
            text = (read_icdar2019(path, encoding=encoding,
                                   encoding_errors=encoding_errors).gold[0]
                    if icdar_side == "gold"
                    else _lines(text)[0][len(_P_RAW):])
        yield doc_id, text


def iter_folder_pairs(gold: PathLike, ocr: PathLike, *, encoding: str = "utf-8",
                      encoding_errors: str = "strict") -> Iterator[OcrPair]:
    """Pair plain-text files by name: *gold* and *ocr* are files or folders.

    Line breaks are read as spaces (a document is one unit), so that word error
    rates do not depend on how the two sides wrap lines.
    """
    g_files = dict(iter_files(gold, what="gold text files"))
    o_files = dict(iter_files(ocr, what="OCR text files"))
    if len(g_files) == 1 and len(o_files) == 1 and Path(gold).is_file():
        g_files = {"doc": next(iter(g_files.values()))}
        o_files = {"doc": next(iter(o_files.values()))}
    missing = sorted(set(g_files) ^ set(o_files))
    if missing:
        raise InputError(Errors.E706.format(detail=f"files only on one side: {missing[:5]}"))
    for name in sorted(g_files, key=_natural):
        g = " ".join(_lines(_read_text(g_files[name], encoding, encoding_errors)))
        o = " ".join(_lines(_read_text(o_files[name], encoding, encoding_errors)))
        yield OcrPair(name, (g,), (o,))
