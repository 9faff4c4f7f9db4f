"""The format registry behind :func:`load` and :func:`save`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..data import Example
from ..errors import Errors, InputError
from ._common import PathLike, as_path

__all__ = ["register_format", "list_formats", "get_format", "guess_format", "load", "save",
           "FormatSpec"]


@dataclass(frozen=True)
class FormatSpec:
    """A registered format: its reader, writer, file extensions and aliases, and the
    reader's streaming twin when it has one."""

    name: str
    reader: Callable[..., list[Example]] | None
    writer: Callable[..., None] | None
    extensions: tuple[str, ...]
    aliases: tuple[str, ...]
    sniff: Callable[[Path], bool] | None = None
    streamer: Callable[..., Iterator[Example]] | None = None


_FORMATS: dict[str, FormatSpec] = {}
_ALIASES: dict[str, str] = {}


def _norm_ext(ext: str) -> str:
    ext = ext.lower()
    return ext if ext.startswith(".") else "." + ext


def register_format(
    name: str,
    reader: Callable[..., list[Example]] | None = None,
    writer: Callable[..., None] | None = None,
    extensions: Iterable[str] = (),
    *,
    aliases: Iterable[str] = (),
    sniff: Callable[[Path], bool] | None = None,
    streamer: Callable[..., Iterator[Example]] | None = None,
    overwrite: bool = False,
) -> FormatSpec:
    """Register a data format under *name* for :func:`load` / :func:`save`.

    Parameters
    ----------
    name : str
        Format name (case-insensitive), e.g. ``"conll"``.
    reader : callable, optional
        ``reader(path, **options) -> list[Example]``.
    writer : callable, optional
        ``writer(examples, path, **options)``.
    extensions : iterable of str
        File extensions (``".conll"``) that make :func:`load` guess this format.
        Later registrations win for a shared extension.
    aliases : iterable of str
        Other names for the format (``"docbin"`` for ``"spacy"``).
    sniff : callable, optional
        ``sniff(path) -> bool``: a cheap look at the file to confirm the format when
        several formats share an extension (the first confirming one wins).
    streamer : callable, optional
        ``streamer(path, **options) -> iterator of Example``: the reader's examples, read
        as they are needed (what commands that stream a file use, e.g. ``nlperr drift
        --max-texts``); without it such a command reads the file whole.
    overwrite : bool, default False
        Allow replacing an existing format of the same name.

    Examples
    --------
    >>> from nlperr.io import register_format, load
    >>> from nlperr.data import Example
    >>> def read_lines(path, **options):
    ...     return [Example(text=line.rstrip("\\n")) for line in open(path, encoding="utf-8")]
    >>> _ = register_format("lines", reader=read_lines, extensions=[".lines"], overwrite=True)
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.lines"
    >>> _ = p.write_text("one\\ntwo\\n", encoding="utf-8")
    >>> [ex.text for ex in load(p)]
    ['one', 'two']
    """
    if not isinstance(name, str) or not name.strip():
        raise InputError(Errors.E022.format(name=name, problem="the name must be a non-empty "
                                                               "string"))
    key = name.lower()
    if reader is None and writer is None:
        raise InputError(Errors.E022.format(name=name, problem="give a reader, a writer or both"))
    for fn, what in ((reader, "reader"), (writer, "writer"), (streamer, "streamer")):
        if fn is not None and not callable(fn):
            raise InputError(Errors.E022.format(name=name, problem=f"{what} is not callable"))
    if not overwrite and (key in _FORMATS or key in _ALIASES):
        raise InputError(Errors.E022.format(
            name=name, problem="a format with this name already exists; pass overwrite=True "
                               "to replace it"))
    spec = FormatSpec(key, reader, writer, tuple(_norm_ext(e) for e in extensions),
                      tuple(a.lower() for a in aliases), sniff, streamer)
    _FORMATS[key] = spec
    _ALIASES.pop(key, None)
    for alias in spec.aliases:
        _ALIASES[alias] = key
    return spec


def list_formats() -> list[str]:
    """Names of the registered formats, sorted."""
    return sorted(_FORMATS)


def get_format(name: str) -> FormatSpec:
    """The :class:`FormatSpec` registered under *name* or one of its aliases (E007)."""
    key = name.lower() if isinstance(name, str) else name
    key = _ALIASES.get(key, key)
    spec = _FORMATS.get(key)
    if spec is None:
        raise InputError(Errors.E007.format(name=name, available=_available()))
    return spec


def _get_for(name: str, path: PathLike) -> FormatSpec:
    """get_format, naming the file in the error."""
    try:
        return get_format(name)
    except InputError as e:
        raise InputError(f"{e} (file: {str(path)!r})") from None


def _available() -> str:
    parts = []
    for k in sorted(_FORMATS):
        al = [a for a, t in _ALIASES.items() if t == k]
        parts.append(f"{k} ({', '.join(sorted(al))})" if al else k)
    return ", ".join(parts)


def guess_format(path: PathLike) -> str:
    """Guess the format of *path* from its extension, else from its content.

    A known extension decides (with a look at the content when several formats share
    it, e.g. ``.tsv``).  Otherwise — ``eng.testb``, ``train.txt``, no extension —
    the first lines decide (:mod:`nlperr.io._sniff`: HIPE header, JSON objects per
    line, CoNLL token columns with blank-line separators, a CSV header).  Folders
    are read as Hugging Face ``save_to_disk`` datasets when they hold a
    ``dataset_info.json``, ``state.json`` or ``dataset_dict.json``.  Raises E008
    when nothing, or more than one format, matches.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "eng.testb"
    >>> _ = p.write_text("-DOCSTART- -X- -X- O\\n\\nEU NNP B-NP B-ORG\\nrejects VBZ B-VP O\\n")
    >>> guess_format(p)
    'conll'
    """
    p = as_path(path)
    if p.is_dir():
        for spec in _FORMATS.values():
            if spec.sniff is not None and spec.extensions == () and spec.sniff(p):
                return spec.name
        raise InputError(Errors.E008.format(path=str(p), available=_available(),
                                            reason="it is a folder but not a saved Hugging "
                                                   "Face dataset"))
    suffixes = [s.lower() for s in p.suffixes]
    candidates: list[FormatSpec] = []
    for ext in reversed(["".join(suffixes[i:]) for i in range(len(suffixes))]):
        for spec in reversed(list(_FORMATS.values())):
            if ext in spec.extensions and spec not in candidates:
                candidates.append(spec)
        if candidates:
            break
    if len(candidates) > 1 and p.is_file():
        for spec in candidates:
            if spec.sniff is not None and spec.sniff(p):
                return spec.name
    if candidates:
        return candidates[0].name
    return _format_from_content(p)


def _format_from_content(p: Path) -> str:
    from ._sniff import sniff_format

    if not p.exists():
        from ._common import check_file

        check_file(p)  # E011: no such file
    if p.stat().st_size == 0:
        raise InputError(Errors.E003.format(where=str(p)))
    found = [f for f in sniff_format(p) if f in _FORMATS]
    if len(found) == 1:
        return found[0]
    ext = "".join(p.suffixes) or "no extension"
    if found:
        reason = (f"its extension ({ext}) is not one nlperr knows, and its first lines "
                  f"could be {' or '.join(found)}")
    else:
        reason = (f"its extension ({ext}) is not one nlperr knows, and its first lines look "
                  f"like none of the formats (CoNLL token columns with blank lines between "
                  f"sentences, a HIPE header, JSON objects per line, a CSV header)")
    raise InputError(Errors.E008.format(path=str(p), available=_available(), reason=reason))


def _guess_for_writing(path: PathLike) -> str:
    """The format of a file to write: from its extension only."""
    p = as_path(path)
    suffixes = [s.lower() for s in p.suffixes]
    for ext in reversed(["".join(suffixes[i:]) for i in range(len(suffixes))]):
        for spec in reversed(list(_FORMATS.values())):
            if ext in spec.extensions:
                return spec.name
    raise InputError(Errors.E008.format(
        path=str(p), available=_available(),
        reason=f"its extension ({''.join(p.suffixes) or 'none'}) is not one nlperr knows"))


def load(path: PathLike, format: str | None = None, **options: Any) -> list[Example]:
    """Read examples from *path* in *format* (guessed from the extension when None).

    Formats: ``conll`` (.conll .iob .bio .iob1 .iob2 .bioes), ``hipe`` (.tsv holding a
    HIPE header), ``jsonl`` (.jsonl .ndjson), ``spacy`` (.spacy DocBin), ``csv``
    (.csv), ``hf`` (a ``save_to_disk`` folder).  Files with another extension
    (``eng.testb``, ``train.txt``) are recognised by their first lines (see
    :func:`guess_format`).  *options* go to the reader (see
    :func:`read_conll`, :func:`read_hipe`, ...).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nlperr.io import load
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = p.write_text('{"text": "Hi Bob", "spans": [{"start": 3, "end": 6, "label": "PER"}]}\\n')
    >>> load(p)[0].spans[0].label
    'PER'
    """
    name = format if format is not None else guess_format(path)
    spec = _get_for(name, path)
    if spec.reader is None:
        raise InputError(Errors.E014.format(name=spec.name, verb="read", what="reader",
                                            available=[k for k, s in sorted(_FORMATS.items())
                                                       if s.reader]))
    return spec.reader(path, **options)


def save(examples: Iterable[Example], path: PathLike, format: str | None = None,
         **options: Any) -> None:
    """Write *examples* to *path* in *format* (guessed from the extension when None).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from nlperr.io import save, load
    >>> from nlperr.data import Example
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.conll"
    >>> save([Example.from_tokens(["Hi", "Bob"], ["O", "B-PER"])], p)
    >>> load(p)[0].spans[0].label
    'PER'
    """
    spec = _get_for(format if format is not None else _guess_for_writing(path), path)
    if spec.writer is None:
        raise InputError(Errors.E014.format(name=spec.name, verb="written", what="writer",
                                            available=[k for k, s in sorted(_FORMATS.items())
                                                       if s.writer]))
    spec.writer(examples, path, **options)
