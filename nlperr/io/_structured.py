"""JSON and YAML parsing with resource limits (see :mod:`nlperr.limits`).

``json.loads`` and ``yaml.safe_load`` trust their input: JSON nested 10,000 deep
ends in a ``RecursionError``; a YAML "billion laughs" document (anchors whose
aliases expand exponentially) loads as a small graph of shared lists that explodes
as soon as anything walks it.  :func:`loads_json` and :func:`load_yaml` refuse
such input with an :class:`~nlperr.errors.InputError` (E034, E035) naming the file;
ordinary syntax errors keep their own exception types (``ValueError`` /
``yaml.YAMLError``), so callers report them with their own messages.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import Errors, FormatError, InputError, shorten
from ..limits import get_limits

__all__ = ["check_json_depth", "check_no_surrogates", "loads_json", "load_yaml"]

# A JSON string (with escapes) or one bracket; strings are skipped when counting depth.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def _depth_error(where: str, limit: int, what: str) -> InputError:
    return InputError(Errors.E034.format(where=where, limit=limit, what=what,
                                         how=get_limits().how_to_raise("max_json_depth")))


def check_json_depth(text: str, *, where: str, what: str = "JSON document",
                     limit: int | None = None) -> None:
    """Raise E034 when the arrays/objects of *text* nest deeper than ``max_json_depth``.

    Linear in the length of *text*; brackets inside strings do not count.

    >>> check_json_depth('{"a": [1, "[[[["]}', where="x.json")
    >>> from nlperr.limits import limits
    >>> with limits(max_json_depth=3):
    ...     check_json_depth("[[[[]]]]", where="x.json")
    Traceback (most recent call last):
    ...
    nlperr.errors.InputError: [E034] x.json: the JSON document nests lists/objects deeper than 3 levels...
    """
    if limit is None:  # a reader of many documents passes it, read once
        limit = get_limits().max_json_depth
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for m in _JSON_TOKENS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > limit:
                raise _depth_error(where, limit, what)
        elif c in "]}":
            depth -= 1


def loads_json(text: str, *, where: str, what: str = "JSON document",
               depth_limit: int | None = None, decoded: bool = False) -> Any:
    r"""``json.loads`` after :func:`check_json_depth`, refusing lone surrogates (E048);
    syntax errors stay ``ValueError``.

    *decoded*: *text* was decoded from bytes by a codec that never yields a lone
    surrogate (UTF-8/16/32 with ``errors="strict"`` or ``"replace"``), so only
    ``\u`` escapes need the check.

    >>> loads_json(r'{"a": "caf\u00e9 \ud83d\ude00"}', where="x.json")
    {'a': 'café 😀'}
    >>> loads_json(r'{"a": "\ud800"}', where="x.json")
    Traceback (most recent call last):
    ...
    nlperr.errors.FormatError: [E048] x.json: the JSON document holds a lone UTF-16 surrogate...
    """
    check_json_depth(text, where=where, what=what, limit=depth_limit)
    try:
        value = json.loads(text)
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise _depth_error(where, get_limits().max_json_depth, what) from None
    if "\\u" in text or (not decoded and _SURROGATE.search(text)):  # or a str built in Python
        check_no_surrogates(value, where=where, what=what)
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_no_surrogates(value: Any, *, where: str, what: str = "JSON document") -> None:
    """Raise E048 when a string (key or value) in *value* holds a lone surrogate."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            m = _SURROGATE.search(v)
            if m:
                raise FormatError(Errors.E048.format(where=where, what=what,
                                                     char=f"U+{ord(m.group()):04X}",
                                                     value=shorten(v, 40)))
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple)):
            stack.extend(v)


def _yaml_problem(where: str, problem: str, limit: int, name: str) -> InputError:
    return InputError(Errors.E035.format(where=where, problem=problem, limit=limit,
                                         how=get_limits().how_to_raise(name)))


def _check_yaml_graph(root: Any, where: str) -> None:
    """Expanded node count and depth of a composed YAML node graph, iteratively,
    with each shared (aliased) node measured once; a cycle is refused."""
    import yaml

    lim = get_limits()
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    visiting: set[int] = set()

    def children(node: Any) -> list[Any]:
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        if isinstance(node, yaml.MappingNode):
            return [x for pair in node.value for x in pair]
        return []

    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            kids = children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            visiting.discard(key)
            if size[key] > lim.max_yaml_nodes:
                raise _yaml_problem(where, f"the document expands to more than "
                                           f"{lim.max_yaml_nodes} nodes through its aliases",
                                    lim.max_yaml_nodes, "max_yaml_nodes")
            if depth[key] > lim.max_json_depth:
                raise _depth_error(where, lim.max_json_depth, "YAML document")
            continue
        if key in size:
            continue
        if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) \
                and _SURROGATE.search(node.value):
            check_no_surrogates(node.value, where=where, what="YAML document")
        if key in visiting:
            raise _yaml_problem(where, "an alias refers to the node that contains it "
                                       "(a recursive structure)",
                                lim.max_yaml_nodes, "max_yaml_nodes")
        visiting.add(key)
        stack.append((node, True))
        for kid in children(node):
            if id(kid) in visiting:
                raise _yaml_problem(where, "an alias refers to the node that contains it "
                                           "(a recursive structure)",
                                    lim.max_yaml_nodes, "max_yaml_nodes")
            if id(kid) not in size:
                stack.append((kid, False))


def load_yaml(text: str, *, where: str) -> Any:
    """``yaml.safe_load`` with the expansion, recursion and depth limits checked on the
    composed node graph before any Python object is built.

    >>> load_yaml("a: &x [1, 2]\\nb: *x\\n", where="s.yaml")
    {'a': [1, 2], 'b': [1, 2]}
    >>> bomb = "a: &a [x, x]\\n" + "".join(
    ...     f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\\n" for i in range(24))
    >>> load_yaml(bomb, where="bomb.yaml")
    Traceback (most recent call last):
    ...
    nlperr.errors.InputError: [E035] bomb.yaml: the document expands to more than 1000000 nodes...
    """
    import yaml

    # flow collections ([[[...]]]) nested past the limit: refused before composing
    check_json_depth(text, where=where, what="YAML document")
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise _depth_error(where, get_limits().max_json_depth, "YAML document") from None
        if node is None:
            return None
        _check_yaml_graph(node, where)
        try:
            return loader.construct_document(node)
        except RecursionError:  # pragma: no cover - depth is checked above
            raise _depth_error(where, get_limits().max_json_depth, "YAML document") from None
    finally:
        loader.dispose()
