"""Pausing the cyclic garbage collector while large acyclic structures are built."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["no_gc"]


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (nested blocks are fine).

    Reading a corpus builds one object per token and per token row; the collector
    would run every few hundred allocations and walk the growing heap each time, so
    reading a 1M-token file would spend most of its time there.  Nothing built in
    such a block is cyclic; reference counting frees what is dropped, and the
    collector resumes when the outermost block ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
