"""``nlperr._gc.no_gc``: the collector is paused inside, resumed after, and what a
whole-file reader keeps goes to the oldest generation without touching objects the
program froze itself."""

from __future__ import annotations

import gc
import weakref

import pytest

import nlperr._gc as gc_mod
from nlperr._gc import no_gc


class _Node:
    def __init__(self) -> None:
        self.other = self


@pytest.fixture
def collector():
    was = gc.isenabled()
    gc.enable()
    yield
    gc.unfreeze() if gc.get_freeze_count() else None
    gc.enable() if was else gc.disable()


def test_paused_inside_resumed_after_nested(collector):
    with no_gc():
        assert not gc.isenabled()
        with no_gc(keep=True):
            assert not gc.isenabled()
        assert not gc.isenabled()  # an inner block does not resume
    assert gc.isenabled()
    gc.disable()
    with no_gc(keep=True):
        pass
    assert not gc.isenabled()  # a paused collector stays paused


def test_kept_objects_move_to_the_oldest_generation_and_cycles_are_still_collected(
        collector, monkeypatch):
    monkeypatch.setattr(gc_mod, "KEEP_THRESHOLD", 1000)
    gc.collect()
    cycle = _Node()
    ref = weakref.ref(cycle)
    with no_gc(keep=True):
        kept = [[i] for i in range(5000)]
    assert gc.get_count()[0] < 1000  # nothing left for the young generation to walk
    assert gc.get_freeze_count() == 0
    assert any(x is kept for x in gc.get_objects(generation=2))
    del cycle
    gc.collect()  # a full collection still frees the cycle made before the block
    assert ref() is None
    assert len(kept) == 5000


def test_below_the_threshold_or_with_frozen_objects_nothing_moves(collector, monkeypatch):
    monkeypatch.setattr(gc_mod, "KEEP_THRESHOLD", 10 ** 9)
    gc.collect()
    with no_gc(keep=True):
        small = [[i] for i in range(5000)]
    assert not any(x is small for x in gc.get_objects(generation=2))
    monkeypatch.setattr(gc_mod, "KEEP_THRESHOLD", 1000)
    mine = [[0]]
    gc.freeze()  # the program's own frozen objects
    frozen = gc.get_freeze_count()
    with no_gc(keep=True):
        more = [[i] for i in range(5000)]
    assert gc.get_freeze_count() == frozen  # not released by the reader
    assert not any(x is more for x in gc.get_objects(generation=2))
    gc.unfreeze()
    assert mine and more
