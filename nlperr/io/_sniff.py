"""Recognising a corpus format from the first lines of a file.

Used by :func:`nlperr.io.guess_format` when a file's extension says nothing
(``eng.testb``, ``train.txt``, a file without extension).  The rules, applied to
the first 64 kB:

* **hipe**: the first non-empty line is a HIPE header (``TOKEN<TAB>...``, holding
  an ``NE-`` column or ``MISC``);
* **jsonl**: the first non-empty lines are JSON objects, one per line;
* **conll**: token lines whose columns are separated by tabs or spaces all have
  the same number of columns (``-DOCSTART-`` lines aside), sentences are separated
  by blank lines, and — when there are two columns or more — the last column holds
  tags (``O``, ``-`` or ``B-``/``I-``/... prefixed types);
* **csv**: a header row and rows with as many comma-separated fields, read with
  Python's csv module (quoted fields may hold commas).

Content that matches none, or more than one, is refused with a message that lists
the ``format`` values.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

__all__ = ["sniff_format", "SNIFF_BYTES"]

#: How much of a file is looked at.
SNIFF_BYTES = 64 * 1024
_TAG = re.compile(r"^(O|-|[BIELUSM][-_]\S+)$")
_MAX_LINES = 200


def _head(path: Path) -> list[str]:
    with open(path, "rb") as fh:
        data = fh.read(SNIFF_BYTES)
    full = len(data) < SNIFF_BYTES
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data[:4096]:
        return []  # binary (or UTF-16): not a text corpus format
    text = data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not full and len(lines) > 1:
        lines.pop()  # the last line may be cut
    return lines[:_MAX_LINES * 4]


def _is_hipe(lines: list[str]) -> bool:
    first = next((ln for ln in lines if ln.strip()), "")
    cols = first.split("\t")
    return cols[0] == "TOKEN" and (len(cols) == 1 or any(c.startswith("NE-") or c == "MISC"
                                                          for c in cols))


def _is_jsonl(lines: list[str]) -> bool:
    content = [ln for ln in lines if ln.strip()][:20]
    if not content or not content[0].lstrip().startswith("{"):
        return False
    for ln in content:
        try:
            if not isinstance(json.loads(ln), dict):
                return False
        except ValueError:
            return False
    return True


def _is_conll(lines: list[str]) -> bool:
    rows = []
    blank = 0
    for ln in lines[:_MAX_LINES * 2]:
        if not ln.strip():
            blank += 1
            continue
        cols = ln.split("\t") if "\t" in ln else ln.split()
        if cols[0] == "-DOCSTART-":
            continue
        rows.append(cols)
    if not rows:
        return False
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        return False
    width = widths.pop()
    if width == 1:
        # one token per line: only with sentence breaks and no spaces inside tokens
        return blank > 0 and all(" " not in r[0] for r in rows)
    tags = [r[-1] for r in rows]
    return sum(bool(_TAG.match(t)) for t in tags) >= 0.95 * len(tags)


def _is_csv(lines: list[str]) -> bool:
    content = [ln for ln in lines if ln.strip()][:_MAX_LINES]
    if len(content) < 2 or "," not in content[0]:
        return False
    try:
        rows = list(csv.reader(io.StringIO("\n".join(content))))
    except csv.Error:
        return False
    header = rows[0]
    if len(header) < 2 or any(not h.strip() for h in header):
        return False
    # a quoted field may span lines: only complete rows must match the header's width
    return all(len(r) == len(header) for r in rows[1:-1]) and len(rows[-1]) <= len(header)


_RULES = (("hipe", _is_hipe), ("jsonl", _is_jsonl), ("conll", _is_conll), ("csv", _is_csv))


def sniff_format(path: Path) -> list[str]:
    """The formats whose rules the head of *path* matches (see the module docstring);
    ``[]`` when none does.  HIPE and JSONL are decided by their first line alone."""
    lines = _head(path)
    if not any(ln.strip() for ln in lines):
        return []
    for name, rule in _RULES[:2]:
        if rule(lines):
            return [name]
    return [name for name, rule in _RULES[2:] if rule(lines)]
