"""Small helpers (progress bars)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress_bar(items: Iterable[T], progress: bool | None, **kwargs) -> Iterator[T] | Iterable[T]:
    """Wrap *items* in tqdm when *progress* is True, or None and stderr is a TTY."""
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return items
    return tqdm(items, **kwargs)
