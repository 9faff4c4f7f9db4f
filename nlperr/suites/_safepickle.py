"""A restricted unpickler that never executes anything from the stream.

``pickle`` is a small virtual machine whose ``GLOBAL`` / ``STACK_GLOBAL``
opcodes import arbitrary objects and whose ``REDUCE`` / ``NEWOBJ`` / ``BUILD``
opcodes call them.  :class:`InertUnpickler` replaces every import with an
*inert placeholder class* that only records ``module`` and ``name``; calling
such a class (what ``REDUCE``, ``NEWOBJ``, ``NEWOBJ_EX``, ``INST`` and ``OBJ``
do) creates an :class:`Inert` record holding the arguments, and ``BUILD``
stores the state on the record.  ``persistent_load`` returns a record too.
Nothing defined by the stream is ever imported or called, so a malicious
``__reduce__`` (``os.system``...) or dill's serialized code objects
(``dill._dill._create_function``, ``_create_code``, ``_load_type``...) become
plain data that can be inspected.

The only objects a stream can build are Python literals (numbers, strings,
bytes, tuples, lists, dicts, sets), placeholder classes and :class:`Inert`
records, so every callable the unpickler machinery reaches is defined here.
"""

from __future__ import annotations

import io
import pickle
from typing import Any

__all__ = ["Inert", "Global", "InertUnpickler", "inert_loads", "inert_load", "check_stream"]


class Inert:
    """Record of an object the stream asked to construct.

    Attributes
    ----------
    module, name : str
        Where the constructor would have been imported from (``module`` is
        ``"<call>"`` when a record was called: then ``func`` is that record).
    func : type or Inert
        The placeholder class (or record) that was "called".
    args : tuple
        Positional arguments of the would-be call.
    kwargs : dict
        Keyword arguments (``NEWOBJ_EX``).
    state : object
        What ``BUILD`` would have passed to ``__setstate__``.
    items : list
        Items appended (``APPEND(S)``) to the record.
    setitems : list of (key, value)
        Items set (``SETITEM(S)``) on the record.
    """

    module: str = ""
    name: str = ""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Inert":
        return _record(cls.module, cls.name, cls, args, kwargs)

    # ``REDUCE`` whose callable is itself a record (``_load_type('CodeType')(...)``).
    def __call__(self, *args: Any, **kwargs: Any) -> "Inert":
        return _record("<call>", self.qualname, self, args, kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: D401 - inert
        pass

    # ``BUILD``: record the state instead of applying it.
    def __setstate__(self, state: Any) -> None:
        self.__dict__["state"] = state

    # ``APPEND(S)`` / ``SETITEM(S)`` on a record: keep the data.
    def append(self, item: Any) -> None:
        self.__dict__["items"].append(item)

    def extend(self, items: Any) -> None:
        self.__dict__["items"].extend(list(items))

    def __setitem__(self, key: Any, value: Any) -> None:
        self.__dict__["setitems"].append((key, value))

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"

    def __repr__(self) -> str:
        return f"Inert({self.module}.{self.name}, args={len(self.args)})"


class Global(type):
    """Metaclass of placeholder classes: ``repr`` shows the imported name."""

    def __repr__(cls) -> str:
        return f"Global({cls.module}.{cls.name})"


def _record(module: str, name: str, func: Any, args: tuple, kwargs: dict) -> Inert:
    obj = object.__new__(Inert)
    object.__setattr__(obj, "__dict__", {
        "module": module, "name": name, "func": func, "args": tuple(args),
        "kwargs": dict(kwargs), "state": None, "items": [], "setitems": []})
    return obj


_PLACEHOLDERS: dict[tuple[str, str], type] = {}


def _placeholder(module: str, name: str) -> type:
    key = (str(module), str(name))
    cls = _PLACEHOLDERS.get(key)
    if cls is None:
        cls = Global(f"Inert<{key[0]}.{key[1]}>", (Inert,), {"module": key[0], "name": key[1]})
        _PLACEHOLDERS[key] = cls
    return cls


class InertUnpickler(pickle.Unpickler):
    """:class:`pickle.Unpickler` that maps every global to an inert placeholder.

    Examples
    --------
    >>> import pickle, os
    >>> class Evil:
    ...     def __reduce__(self):
    ...         return (os.system, ("echo pwned",))
    >>> obj = inert_loads(pickle.dumps(Evil()))
    >>> obj.qualname in ("posix.system", "nt.system", "os.system"), obj.args
    (True, ('echo pwned',))
    """

    def find_class(self, module: str, name: str) -> type:  # noqa: D401
        return _placeholder(module, name)

    def persistent_load(self, pid: Any) -> Inert:
        rec = _placeholder("<persistent>", "pid")(pid)
        return rec


_MEMO_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT", "GET", "BINGET", "LONG_BINGET"})


def check_stream(data: bytes) -> None:
    """Refuse a stream that would make the unpickler allocate far beyond its size.

    The C unpickler sizes its memo table by the largest index a ``PUT`` names: a
    9-byte stream ``LONG_BINPUT 2**31`` asks for 16 GiB.  A well-formed pickle never
    needs more memo slots than it has opcodes, so indices are checked against that
    (one pass of :func:`pickletools.genops`, which also rejects truncated arguments).
    Raises ``ValueError``.
    """
    import pickletools

    n = 0
    biggest = -1
    for op, arg, _pos in pickletools.genops(data):
        n += 1
        if op.name in _MEMO_OPS:
            biggest = max(biggest, int(arg))
    if biggest >= n:
        raise ValueError(f"memo index {biggest} beyond the stream's {n} opcodes")


def inert_loads(data: bytes) -> Any:
    """Read a pickle from *data* as inert records (nothing is executed; the stream is
    checked first by :func:`check_stream`)."""
    check_stream(data)
    return InertUnpickler(io.BytesIO(data)).load()


def inert_load(file: Any) -> Any:
    """Read a pickle from a binary *file* object as inert records (see :func:`inert_loads`)."""
    return inert_loads(file.read())
