"""Resource limits: how much of a hostile or broken input nlperr reads before refusing it.

Every reader checks the limits below, so that a corrupt or malicious file ends in a
clear :class:`~nlperr.errors.InputError` instead of exhausting memory or hanging:

=========================  ================  ===========================================
limit                      default           what it bounds
=========================  ================  ===========================================
``max_line_bytes``         64 MiB            one line of a line-based file (CoNLL, HIPE,
                                             JSONL, CSV, case files); the line is read in
                                             at most this many bytes, then refused (E032)
``max_file_bytes``         1 GiB             a file read whole (suites, label maps, noise
                                             models, OCR text files) (E033)
``max_json_depth``         500               nesting of JSON arrays/objects (E034)
``max_yaml_nodes``         1,000,000         YAML nodes after alias expansion ("billion
                                             laughs"); recursive aliases are refused (E035)
``max_archive_bytes``      1 GiB             bytes extracted from a ``.tar.gz`` (E036)
``max_archive_members``    10,000            members scanned in an archive (E036)
``max_csv_field_chars``    16 Mi characters  one CSV field (E037)
=========================  ================  ===========================================

Change them for one block with :func:`limits` (a context manager), for the whole
process with :func:`set_limits`, or from the environment (the CLI) with
``NLPERR_MAX_LINE_BYTES``, ``NLPERR_MAX_FILE_BYTES``, ``NLPERR_MAX_JSON_DEPTH``,
``NLPERR_MAX_YAML_NODES``, ``NLPERR_MAX_ARCHIVE_BYTES``, ``NLPERR_MAX_ARCHIVE_MEMBERS``
and ``NLPERR_MAX_CSV_FIELD_CHARS`` (plain integers; read when a limit is looked up).
Explicit settings win over the environment.

Examples
--------
>>> from nlperr.limits import get_limits, limits
>>> get_limits().max_json_depth
500
>>> with limits(max_json_depth=20):
...     get_limits().max_json_depth
20
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator

from .errors import Errors, InputError

__all__ = ["Limits", "get_limits", "set_limits", "limits", "DEFAULTS", "ENV_PREFIX"]

ENV_PREFIX = "NLPERR_"


@dataclasses.dataclass(frozen=True)
class Limits:
    """The resource limits in force (see the module docstring for their meaning)."""

    max_line_bytes: int = 64 * 2**20
    max_file_bytes: int = 2**30
    max_json_depth: int = 500
    max_yaml_nodes: int = 1_000_000
    max_archive_bytes: int = 2**30
    max_archive_members: int = 10_000
    max_csv_field_chars: int = 16 * 2**20

    def how_to_raise(self, name: str) -> str:
        """The sentence error messages use to say how to change the limit *name*."""
        return (f"set the environment variable {ENV_PREFIX}{name.upper()} (CLI) or call "
                f"nlperr.limits.set_limits({name}=...) (Python); the limit is now "
                f"{getattr(self, name)}")


DEFAULTS = Limits()
_FIELDS = tuple(f.name for f in dataclasses.fields(Limits))
_overrides: dict[str, int] = {}


def _check(name: str, value: object, source: str) -> int:
    if name not in _FIELDS:
        raise InputError(Errors.E207.format(value=name, option="limit", allowed=list(_FIELDS)))
    try:
        number = int(value)  # type: ignore[call-overload]
        ok = number > 0 and not isinstance(value, bool) and str(number) == str(value).strip()
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise InputError(Errors.E038.format(name=name, source=source, value=value))
    return number


def get_limits() -> Limits:
    """The limits in force: explicit settings, else ``NLPERR_<NAME>`` variables, else defaults."""
    values: dict[str, int] = {}
    for name in _FIELDS:
        if name in _overrides:
            values[name] = _overrides[name]
            continue
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None and env.strip():
            values[name] = _check(name, env.strip(), f"${ENV_PREFIX}{name.upper()}")
    return Limits(**values)


def set_limits(**values: int | None) -> Limits:
    """Set limits for the whole process (``None`` restores the default); return them."""
    for name, value in values.items():
        if value is None:
            _check(name, 1, "set_limits")  # validates the name
            _overrides.pop(name, None)
        else:
            _overrides[name] = _check(name, value, "set_limits")
    return get_limits()


@contextlib.contextmanager
def limits(**values: int) -> Iterator[Limits]:
    """Change limits inside a ``with`` block, restoring the previous settings after it."""
    saved = dict(_overrides)
    try:
        yield set_limits(**values)
    finally:
        _overrides.clear()
        _overrides.update(saved)
