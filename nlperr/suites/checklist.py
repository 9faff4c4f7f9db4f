"""Import CheckList's released test suites without executing anything from them.

CheckList suites are dill pickles that embed serialized functions (the
expectations).  :func:`import_checklist` reads them with
:class:`~nlperr.suites._safepickle.InertUnpickler`, which turns every import
and call in the stream into inert records, then converts tests, capabilities
and items into an nlperr :class:`~nlperr.suites.spec.Suite`.  Expectations
held as code are mapped to the nearest nlperr expectation by recognising
CheckList's helper functions (``Expect.eq``, ``Expect.inv``,
``Expect.monotonic``, ``Expect.slice_orig`` ...) by name and reading their
parameters from the serialized closures' cells and constants; small
``lambda`` predicates (``pred != 0``) are interpreted by a tiny evaluator
over their *data* (bytecode bytes) that supports comparisons and branches only.
See ``docs/suites.md`` for the mapping table.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import Errors, InputError, Warnings, warn
from ..io._text import read_bytes_limited
from ..limits import get_limits
from ._safepickle import Inert, inert_loads
from .spec import DIR, INV, MFT, Suite, TestSpec, save_suite

__all__ = ["import_checklist", "read_checklist_pickle", "convert_checklist"]

DEFAULT_LABELS = ("negative", "neutral", "positive")


def read_checklist_pickle(path: str | Path) -> Any:
    """The inert record tree of a CheckList ``.pkl`` or a ``.tar.gz`` holding one.

    Archives are read member by member within the limits of :mod:`nlperr.limits`
    (``max_archive_members`` members scanned, ``max_archive_bytes`` bytes unpacked:
    E036), so a decompression bomb is refused in bounded memory and time.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(Errors.E011.format(where="import-checklist", path=str(path)))
    if path.is_dir():
        raise InputError(Errors.E611.format(path=str(path), reason="it is a folder"))
    if tarfile.is_tarfile(path):
        data = _pickle_from_archive(path)
    else:
        data = read_bytes_limited(path)
    try:
        return inert_loads(data)
    except Exception as e:  # malformed stream: report, never fall back to a real unpickler
        raise InputError(Errors.E611.format(path=str(path), reason=f"unreadable pickle ({type(e).__name__}: {e})")) \
            from None


def _pickle_from_archive(path: Path) -> bytes:
    lim = get_limits()

    def refuse(problem: str, limit: int, name: str) -> InputError:
        return InputError(Errors.E036.format(where=str(path), problem=problem, limit=limit,
                                             how=lim.how_to_raise(name)))

    scanned = 0
    try:
        with tarfile.open(path, "r:*") as tf:
            for count, m in enumerate(tf, 1):  # lazily: never the whole member list
                if count > lim.max_archive_members:
                    raise refuse(f"holds more than {lim.max_archive_members} members",
                                 lim.max_archive_members, "max_archive_members")
                if m.isfile() and m.name.endswith(".pkl"):
                    if m.size > lim.max_archive_bytes:
                        raise refuse(f"member {m.name!r} unpacks to {m.size} bytes",
                                     lim.max_archive_bytes, "max_archive_bytes")
                    fh = tf.extractfile(m)
                    data = fh.read(lim.max_archive_bytes + 1) if fh is not None else None
                    if data is not None:
                        return data
                scanned += m.size
                if scanned > lim.max_archive_bytes:
                    raise refuse(f"unpacks to more than {lim.max_archive_bytes} bytes before "
                                 f"its .pkl member", lim.max_archive_bytes, "max_archive_bytes")
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise InputError(Errors.E611.format(
            path=str(path), reason=f"the archive is damaged ({type(e).__name__}: {e})")) from None
    raise InputError(Errors.E611.format(path=str(path), reason="the archive holds no .pkl file"))


# --- record helpers ----------------------------------------------------------------------------

def _walk(x: Any, seen: set | None = None):
    seen = set() if seen is None else seen
    if id(x) in seen:
        return
    seen.add(id(x))
    yield x
    if isinstance(x, Inert):
        for a in (*x.args, x.state, x.func if isinstance(x.func, Inert) else None):
            yield from _walk(a, seen)
        for a in x.items:
            yield from _walk(a, seen)
        for k, v in x.setitems:
            yield from _walk(v, seen)
    elif isinstance(x, (list, tuple, set, frozenset)):
        for a in x:
            yield from _walk(a, seen)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _walk(v, seen)


def _functions(expect: Any) -> list[Inert]:
    """dill ``_create_function(code, globals, name, defaults, closure)`` records, outer first."""
    return [r for r in _walk(expect) if isinstance(r, Inert) and r.name == "_create_function" and len(r.args) >= 3]


def _cells(fn: Inert) -> list[Any]:
    closure = fn.args[4] if len(fn.args) > 4 else None
    out = []
    for c in closure or ():
        out.append(c.args[0] if isinstance(c, Inert) and c.name == "_create_cell" and c.args else c)
    return out


def _code_parts(fn: Inert) -> tuple[bytes, tuple, tuple] | None:
    code = fn.args[0]
    if not isinstance(code, Inert):
        return None
    a = code.args
    for i, v in enumerate(a):
        if isinstance(v, bytes) and i + 3 < len(a) and isinstance(a[i + 1], tuple):
            return v, a[i + 1], a[i + 3]  # codestring, consts, varnames
    return None


def _text(x: Any) -> str | None:
    if isinstance(x, str):
        return x
    # numpy.str_ pickled as numpy.core.multiarray.scalar(dtype('<U..'), raw UTF-32 bytes)
    if isinstance(x, Inert) and len(x.args) == 2 and isinstance(x.args[1], bytes):
        dtype = x.args[0]
        kind = dtype.args[0] if isinstance(dtype, Inert) and dtype.args else ""
        if isinstance(kind, str) and kind.startswith("U"):
            return x.args[1].decode("utf-32-le").rstrip("\x00")
        if isinstance(kind, str) and kind.startswith("S"):
            return x.args[1].decode("utf-8", "replace").rstrip("\x00")
    return None


# --- tiny lambda evaluator (comparisons and branches only, over bytecode *data*) -----------------

_OP = {124: "LOAD_FAST", 100: "LOAD_CONST", 107: "COMPARE_OP", 83: "RETURN_VALUE",
       114: "POP_JUMP_IF_FALSE", 115: "POP_JUMP_IF_TRUE", 103: "BUILD_LIST", 102: "BUILD_TUPLE"}
_CMP = {0: lambda a, b: a < b, 1: lambda a, b: a <= b, 2: lambda a, b: a == b, 3: lambda a, b: a != b,
        4: lambda a, b: a > b, 5: lambda a, b: a >= b, 6: lambda a, b: a in b, 7: lambda a, b: a not in b}


def _eval_predicate(code: bytes, consts: tuple, varnames: tuple, env: dict[str, Any]) -> bool | None:
    """Evaluate a CheckList predicate such as ``pred != 0`` for the values in *env*.

    Only loads, comparisons, list/tuple building, conditional jumps and return
    are understood (CPython 3.6-3.9 wordcode); anything else returns ``None``.
    """
    stack: list[Any] = []
    pc = 0
    for _ in range(200):
        if pc + 1 >= len(code):
            return None
        op, arg = code[pc], code[pc + 1]
        name = _OP.get(op)
        pc += 2
        if name == "LOAD_FAST":
            var = varnames[arg] if arg < len(varnames) else None
            if var not in env:
                return None
            stack.append(env[var])
        elif name == "LOAD_CONST":
            c = consts[arg]
            if not isinstance(c, (int, float, str, type(None), tuple)):
                return None
            stack.append(c)
        elif name == "COMPARE_OP":
            if arg not in _CMP or len(stack) < 2:
                return None
            b, a = stack.pop(), stack.pop()
            try:
                stack.append(_CMP[arg](a, b))
            except TypeError:
                return None
        elif name in ("BUILD_LIST", "BUILD_TUPLE"):
            items = stack[len(stack) - arg:] if arg else []
            del stack[len(stack) - arg:]
            stack.append(list(items))
        elif name == "POP_JUMP_IF_FALSE":
            if not stack.pop():
                pc = arg
        elif name == "POP_JUMP_IF_TRUE":
            if stack.pop():
                pc = arg
        elif name == "RETURN_VALUE":
            v = stack.pop()
            return bool(v) if isinstance(v, (bool, int)) else None
        else:
            return None
    return None


def _accepted(fn: Inert, label: Any, nlabels: int) -> list[int] | None:
    parts = _code_parts(fn)
    if parts is None:
        return None
    code, consts, varnames = parts
    out = []
    for p in range(nlabels):
        env = {varnames[i]: None for i in range(len(varnames))}
        env.update(pred=p, label=label, labels=label)
        r = _eval_predicate(code, consts, varnames, env)
        if r is None:
            return None
        if r:
            out.append(p)
    return out


# --- conversion ------------------------------------------------------------------------------------

def _convert_test(name: str, rec: Inert, labels: Sequence[str]) -> TestSpec:
    kind = rec.name
    st = rec.state if isinstance(rec.state, dict) else {}
    capability = str(st.get("capability") or "")
    description = str(st.get("description") or "")
    fns = _functions(st.get("expect"))
    fnames = [str(f.args[2]) for f in fns]
    raw = st.get("data") or []
    where = f"CheckList test {name!r}"
    ck_labels = st.get("labels")
    meta_fn = ", ".join(dict.fromkeys(fnames)) or "none"
    if kind == "MFT":
        texts = [_text(x) for x in raw]
        if any(t is None for t in texts):
            raise InputError(Errors.E611.format(path=where, reason="an MFT item is not a text"))
        per_case = ck_labels if isinstance(ck_labels, list) else [ck_labels] * len(texts)
        cases = []
        lam = next((f for f in fns if f.args[2] == "<lambda>"), None)
        for t, lab in zip(texts, per_case):
            if "ret_fn" in fnames and lab is not None:
                cases.append({"text": t, "label": labels[int(lab)]})
                continue
            acc = _accepted(lam, lab, len(labels)) if lam is not None else None
            if acc is None:
                if lab is None:
                    raise InputError(Errors.E611.format(path=where, reason="unrecognised expectation "
                                                        f"({meta_fn}) and no labels"))
                warn(Warnings.W603.format(test=name, found=meta_fn, mapped="expected label (Expect.eq)"))
                cases.append({"text": t, "label": labels[int(lab)]})
            elif len(acc) == 1:
                cases.append({"text": t, "label": labels[acc[0]]})
            else:
                cases.append({"text": t, "labels": [labels[i] for i in acc]})
        return MFT(name, min_pass_rate=1.0, capability=capability, description=description, cases=cases)
    groups = []
    for item in raw:
        seq = item if isinstance(item, list) else [item]
        texts = [_text(x) for x in seq]
        if any(t is None for t in texts):
            raise InputError(Errors.E611.format(path=where, reason="an item is not a list of texts"))
        groups.append(texts)
    cells = [c for f in fns for c in _cells(f) if isinstance(c, (bool, int, float, str))]
    if kind == "INV":
        tol = next((c for c in cells if isinstance(c, float)), None)
        # CheckList's Expect.inv(tolerance) fails a case whose label changes; the
        # tolerance only grades the violation, so label equality is the mapping.
        desc = description or f"CheckList Expect.inv (tolerance {tol} only grades violations)"
        return INV(name, min_pass_rate=1.0, capability=capability, description=desc, cases=groups)
    if kind != "DIR":
        raise InputError(Errors.E611.format(path=where, reason=f"unknown test type {kind!r}"))
    if "diff_up" in fnames or "diff_down" in fnames:
        diff = fns[fnames.index("diff_up" if "diff_up" in fnames else "diff_down")]
        parts = _code_parts(diff)
        tol = next((c for c in (parts[1] if parts else ()) if isinstance(c, float)), 0.0)
        expect = {"label": {"plus": [labels[-1]], "minus": [labels[0]]},
                  "direction": "increase" if "diff_up" in fnames else "decrease", "tolerance": tol}
    elif "wrapped" in fnames:
        bools = [c for c in cells if isinstance(c, bool)]
        floats = [c for c in cells if isinstance(c, float)]
        expect = {"label": "predicted", "direction": "increase" if (bools[0] if bools else True) else "decrease",
                  "tolerance": floats[0] if floats else 0.0}
        lam = next((f for f in fns if f.args[2] == "<lambda>"), None)
        acc = _accepted(lam, None, len(labels)) if lam is not None else None
        if acc is not None and len(acc) < len(labels):
            expect["only_if_pred_not"] = [labels[i] for i in range(len(labels)) if i not in acc]
    else:
        warn(Warnings.W603.format(test=name, found=meta_fn, mapped="INV (label equality)"))
        return INV(name, min_pass_rate=1.0, capability=capability, description=description, cases=groups)
    return DIR(name, min_pass_rate=1.0, capability=capability, description=description, cases=groups,
               expect=expect)


def convert_checklist(tree: Any, *, name: str = "checklist", labels: Sequence[str] = DEFAULT_LABELS,
                      source: str = "checklist") -> Suite:
    """Convert an inert CheckList ``TestSuite`` record tree to a :class:`Suite`."""
    if not isinstance(tree, Inert) or tree.qualname != "checklist.test_suite.TestSuite" \
            or not isinstance(tree.state, dict) or not isinstance(tree.state.get("tests"), Inert):
        got = tree.qualname if isinstance(tree, Inert) else type(tree).__name__
        raise InputError(Errors.E611.format(path=source, reason=f"the pickle holds {got}, not a "
                                            "checklist.test_suite.TestSuite"))
    tests = []
    for tname, rec in tree.state["tests"].setitems:
        if not isinstance(rec, Inert) or rec.module != "checklist.test_types":
            raise InputError(Errors.E611.format(path=source, reason=f"test {tname!r} is not a CheckList test"))
        tests.append(_convert_test(str(tname), rec, labels))
    return Suite(name=name, tests=tests, task="classification", labels=list(labels),
                 description=f"Converted from CheckList suite {Path(source).name} (no code from the "
                             "file was executed)", meta={"source": "checklist"})


def import_checklist(path: str | Path, *, out: str | Path | None = None, name: str | None = None,
                     labels: Sequence[str] = DEFAULT_LABELS, min_pass_rate: float = 1.0,
                     neutral_band: Any = None) -> Suite:
    """Convert a CheckList suite file (``.tar.gz`` or ``.pkl``) to an nlperr suite.

    Nothing from the file is imported or executed (see module docstring).  Integer
    labels map to *labels* (CheckList sentiment: 0 negative, 1 neutral, 2 positive).
    Converted tests get *min_pass_rate* (default 1.0: CheckList itself sets no
    threshold and reports failure rates; relax it here, in the saved suite or at
    run time with ``run_suite(min_pass_rate=...)`` / ``--min-pass-rate``).
    *neutral_band* (``True`` or ``[low, high]``) is stored in the suite so that a
    binary model is read as three-class (:mod:`nlperr.suites.binary`).
    With *out*, the suite is also saved there (JSON or YAML by extension).
    """
    from .spec import _check_rate
    rate = _check_rate(min_pass_rate, "import_checklist(min_pass_rate=...)")
    tree = read_checklist_pickle(path)
    stem = Path(path).name.split(".")[0]
    suite = convert_checklist(tree, name=name or stem, labels=labels, source=str(path))
    for t in suite.tests:
        t.min_pass_rate = rate
    if neutral_band is not None:
        from dataclasses import replace
        suite = replace(suite, neutral_band=neutral_band)  # validated by Suite.__post_init__
    if out is not None:
        save_suite(suite, out)
    return suite
