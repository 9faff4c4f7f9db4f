"""Two small pieces of control flow shared across the package (no third-party import)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["Background", "counter_bar", "lockstep"]

A = TypeVar("A")
B = TypeVar("B")


class Background:
    """``fn(*args, **kwargs)`` run on a thread; :meth:`result` waits for it and returns
    its value (or raises its exception on the caller's thread).  The work is moved, not
    split: the results are those of a direct call."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self._out: Any = None
        self._err: BaseException | None = None

        def run() -> None:
            try:
                self._out = fn(*args, **kwargs)
            except BaseException as err:  # re-raised by result() on the caller's thread
                self._err = err
        self._thread = threading.Thread(target=run, name="nlperr-background", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait for the work to end, without its result or exception."""
        self._thread.join()

    def result(self) -> Any:
        self._thread.join()
        if self._err is not None:
            raise self._err
        return self._out


_END = object()


def lockstep(a: Iterable[A], b: Iterable[B],
             uneven: Callable[[int, int], Exception]) -> Iterator[tuple[A, B]]:
    """``zip(a, b)`` read lazily; when one side ends first, raise ``uneven(len_a,
    len_b)`` (the rest of the longer side is counted).

    >>> list(lockstep("ab", "xy", lambda n, m: ValueError(n, m)))
    [('a', 'x'), ('b', 'y')]
    >>> list(lockstep("abc", "x", lambda n, m: ValueError(n, m)))
    Traceback (most recent call last):
    ...
    ValueError: (3, 1)
    """
    it_a, it_b = iter(a), iter(b)
    n = 0
    while True:
        x, y = next(it_a, _END), next(it_b, _END)
        if x is _END or y is _END:
            if x is _END and y is _END:
                return
            rest = 1 + sum(1 for _ in (it_b if x is _END else it_a))
            raise uneven(n, n + rest) if x is _END else uneven(n + rest, n)
        yield x, y  # type: ignore[misc]
        n += 1


def counter_bar(progress: bool | None, desc: str, unit: str = "ex") -> Any:
    """A tqdm bar counting *unit* s (``update(n)``, ``close()``), or None: shown when
    *progress* is True, or None and stderr is a terminal."""
    if progress is None:
        progress = bool(getattr(sys.stderr, "isatty", lambda: False)())
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(unit=unit, desc=desc, leave=False, file=sys.stderr)
