"""Pausing the cyclic garbage collector while large acyclic structures are built."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["no_gc"]


#: Objects made in a ``keep`` block above which they are handed to the oldest generation.
KEEP_THRESHOLD = 100_000


@contextlib.contextmanager
def no_gc(keep: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (nested blocks are fine).

    Reading a corpus builds one object per token and per token row; the collector
    would run every few hundred allocations and walk the growing heap each time, so
    reading a 1M-token file would spend most of its time there.  Nothing built in
    such a block is cyclic; reference counting frees what is dropped, and the
    collector resumes when the outermost block ends.

    *keep*: what the block builds is kept by the caller (a whole file read into a
    list).  When the outermost such block made more than :data:`KEEP_THRESHOLD`
    container objects, they go straight to the collector's oldest generation
    (``gc.freeze()`` then ``gc.unfreeze()``, which moves the lists without walking
    them).  Otherwise the young generation's first pass would walk every one of them
    (for a JSONL file with a JSON list per token, as long as the reading itself), and
    the middle generation's pass again, before they reached the oldest one, which walks
    them only in full collections.  Objects the program had made just before move
    with them.  Nothing is moved when the program has frozen objects of its own
    (``gc.get_freeze_count()``), which ``unfreeze`` would release.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if keep and gc.get_count()[0] > KEEP_THRESHOLD and gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
