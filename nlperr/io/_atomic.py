"""Atomic file output: write to a temporary file beside the target, rename on success.

A run that fails or is interrupted leaves the previous file (or nothing) in place,
never a half-written one, and no temporary file behind.  The new file gets the
ordinary permissions of a file created under the process's umask (``0644`` under
umask ``022``), not the ``0600`` of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..results import _apply_umask as apply_umask
from ..results import atomic_write_text

__all__ = ["atomic_output", "atomic_write_text", "apply_umask"]


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to *path*; move it onto *path* when the block
    succeeds, delete it when the block raises.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(target) as tmp:
    ...     _ = tmp.write_text("done\\n")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('done\\n', ['out.txt'])
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        apply_umask(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
