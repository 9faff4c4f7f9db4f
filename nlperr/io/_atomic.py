"""Atomic file output: write to a temporary file beside the target, rename on success.

A run that fails or is interrupted leaves the previous file (or nothing) in place,
never a half-written one, and no temporary file behind.  The new file gets the
ordinary permissions of a file created under the process's umask (``0644`` under
umask ``022``), not the ``0600`` of :func:`tempfile.mkstemp`.
"""

from __future__ import annotations

from ..results import _apply_umask as apply_umask
from ..results import atomic_output, atomic_write_text

__all__ = ["atomic_output", "atomic_write_text", "apply_umask"]
