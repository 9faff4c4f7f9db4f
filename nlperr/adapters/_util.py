"""Helpers shared by the adapters: lazy imports, device choice, fingerprints."""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
import types
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError, MissingDependencyError, ModelError, Warnings, warn

__all__ = ["require", "resolve_torch_device", "check_device_name", "hash_path", "hash_code",
           "check_choice"]


def require(module: str, *, extra: str, what: str) -> Any:
    """Import *module* or raise :class:`MissingDependencyError` naming *extra*."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        top = module.split(".")[0]
        raise MissingDependencyError(
            Errors.E203.format(what=what, package=top, extra=extra)) from e


def check_batch_size(value: Any) -> int | None:
    """The one check of ``batch_size`` (load_model, Predictor, CLI): None or a positive
    int, else E301."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                              or value <= 0):
        raise InputError(Errors.E301.format(value=value))
    return value


def check_choice(option: str, value: Any, allowed: tuple[Any, ...]) -> Any:
    """Return *value* if it is one of *allowed*, else raise E207."""
    if value not in allowed:
        raise InputError(Errors.E207.format(value=value, option=option, allowed=list(allowed)))
    return value


DEVICE_NAMES = [None, "auto", "cpu", "gpu", "cuda", "cuda:N", "mps"]


def check_device_name(device: Any) -> None:
    """E207 unless *device* is a device name nlperr knows (checked without torch)."""
    if device is None or device in ("auto", "cpu", "gpu", "cuda", "mps"):
        return
    if isinstance(device, str) and device.startswith("cuda:") and device[5:].isdigit():
        return
    raise InputError(Errors.E207.format(value=device, option="device", allowed=DEVICE_NAMES))


def resolve_torch_device(device: str | None, *, path: str = "") -> str:
    """Pick the torch device string for *device*.

    ``None`` or ``"auto"``: CUDA when available, then MPS, else CPU (silently).
    ``"gpu"``: any GPU; CPU with warning W008 when there is none.
    ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``: exactly that; E215 when unavailable.
    """
    import torch

    def cuda_ok() -> bool:
        return bool(torch.cuda.is_available())

    def mps_ok() -> bool:
        mps = getattr(torch.backends, "mps", None)
        return bool(mps is not None and mps.is_available())

    if device is None or device == "auto":
        return "cuda" if cuda_ok() else "mps" if mps_ok() else "cpu"
    if not isinstance(device, str):
        raise InputError(Errors.E207.format(value=device, option="device",
                                            allowed=[None, "auto", "cpu", "gpu", "cuda",
                                                     "cuda:N", "mps"]))
    if device == "gpu":
        if cuda_ok():
            return "cuda"
        if mps_ok():
            return "mps"
        warn(Warnings.W008.format(path=path), stacklevel=4)
        return "cpu"
    if device == "cpu":
        return "cpu"
    if device == "mps":
        if not mps_ok():
            raise ModelError(Errors.E215.format(device=device, reason="MPS is not available"))
        return device
    if device == "cuda" or device.startswith("cuda:"):
        if not cuda_ok():
            raise ModelError(Errors.E215.format(device=device, reason="CUDA is not available"))
        if ":" in device:
            idx = device.split(":", 1)[1]
            if not idx.isdigit() or int(idx) >= torch.cuda.device_count():
                raise ModelError(Errors.E215.format(
                    device=device, reason=f"there are {torch.cuda.device_count()} CUDA devices"))
        return device
    raise InputError(Errors.E207.format(value=device, option="device",
                                        allowed=[None, "auto", "cpu", "gpu", "cuda", "cuda:N",
                                                 "mps"]))


# (path, size, mtime_ns, inode) -> sha256 of the file's bytes
_FILE_HASHES: dict[tuple[str, int, int, int], str] = {}
_LOCK = threading.Lock()


def _hash_file(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns, st.st_ino)
    with _LOCK:
        cached = _FILE_HASHES.get(key)
    if cached is not None:
        return cached
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = h.hexdigest()
    with _LOCK:
        _FILE_HASHES[key] = digest
    return digest


def hash_path(path: str | os.PathLike[str], *, skip_suffixes: tuple[str, ...] = (".pyc",),
              skip_dirs: tuple[str, ...] = ("__pycache__", ".git")) -> str:
    """Content hash of a file or of every file under a folder (relative names included).

    File digests are memoised by (path, size, mtime_ns, inode), so hashing the
    same unchanged model twice in a process reads it once.
    """
    root = Path(path)
    h = hashlib.sha256()
    try:
        if root.is_file():
            h.update(_hash_file(root).encode())
            return h.hexdigest()
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs)
            for name in filenames:
                if name.endswith(skip_suffixes):
                    continue
                files.append(Path(dirpath) / name)
        for f in sorted(files):
            h.update(str(f.relative_to(root)).encode("utf-8"))
            h.update(b"\x00")
            h.update(_hash_file(f).encode())
    except OSError as e:
        raise ModelError(Errors.E219.format(path=str(path), error=e)) from e
    return h.hexdigest()


def _feed_code(h: "hashlib._Hash", code: types.CodeType) -> None:
    h.update(code.co_code)
    h.update(repr(code.co_names).encode())
    h.update(repr(code.co_varnames).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _feed_code(h, const)
        else:
            h.update(repr(const).encode("utf-8", "backslashreplace"))


def hash_code(func: Any) -> str:
    """Hash of a function's code (bytecode, names, constants, nested code).

    Handles plain functions, bound methods, ``functools.partial`` and objects
    with ``__call__``.  Globals, closures' *values* and other external state
    are not tracked.
    """
    import functools

    h = hashlib.sha256()
    target = func
    while isinstance(target, functools.partial):
        h.update(repr((target.args, sorted(target.keywords.items()))).encode("utf-8",
                                                                               "backslashreplace"))
        target = target.func
    if isinstance(target, types.MethodType):
        target = target.__func__
    code = getattr(target, "__code__", None)
    if code is None:
        call = getattr(type(target), "__call__", None)
        code = getattr(call, "__code__", None)
    if code is not None:
        _feed_code(h, code)
    else:  # builtins
        h.update(repr(target).encode())
    defaults = getattr(target, "__defaults__", None)
    if defaults:
        h.update(repr(defaults).encode("utf-8", "backslashreplace"))
    return h.hexdigest()


def qualified_name(func: Any) -> str:
    import functools

    while isinstance(func, functools.partial):
        func = func.func
    mod = getattr(func, "__module__", None) or type(func).__module__
    name = getattr(func, "__qualname__", None) or type(func).__qualname__
    return f"{mod}.{name}"
