"""Config errors: ``str(e)`` is "FILE: WHERE: PROBLEM", WHERE the TOML key path (``accounts[2].keys[1].api_key``,
arrays counted from 1 as a reader counts ``[[tables]]``) and PROBLEM what is wrong with the value there.

``explain`` reads a msgspec ``ValidationError`` ("Expected `str`, got `int` - at `$.accounts[0].uid`") against
the Structs it was decoding and the document it was given: the key path, the failing field's stated problem
(its ``Meta`` description) and the value the file gave.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec


class ConfigError(Exception):
    """A configuration problem: ``str(e)`` is "FILE: WHERE: PROBLEM"."""


_AT = re.compile(r"(?P<message>.*?)(?: - at `(?P<key>key` in `)?\$(?P<path>[^`]*)`)?", re.DOTALL)
_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_UNKNOWN = re.compile(r"Object contains unknown field `(.*)`", re.DOTALL)  # the file's key: any text
_MISSING = re.compile(r"Object missing required field `(.+)`")
_WRONG_TYPE = re.compile(r"Expected `[^`]+`, got `[^`]+`")
_OWN = re.compile(r"([a-z_][^\s:]*): (.+)", re.DOTALL)  # a __post_init__'s "KEY: PROBLEM"


@dataclass(frozen=True, slots=True)
class _Node:
    """One step along the error's path: the type declared there, its stated problem, the file's value."""

    type: Any
    problem: str | None
    value: Any
    where: str
    element: bool = False  # an array's element


def explain(error: msgspec.ValidationError, document: Any, schema: type) -> tuple[str, str]:
    """(WHERE, PROBLEM) for ``error``, raised converting ``document`` to ``schema``."""
    parts = _AT.fullmatch(str(error))
    assert parts is not None  # the pattern matches any text
    message, path = parts["message"], parts["path"] or ""
    trail = [_Node(schema, None, document, "")]
    for name, index in _SEGMENT.findall(path):
        trail.append(_step(trail[-1], name, index))
    node = trail[-1]
    if found := _UNKNOWN.fullmatch(message):
        return _join(node.where, _key(found[1])), "unknown key"
    if found := _MISSING.fullmatch(message):
        return _join(node.where, found[1]), "required"
    if found := _OWN.fullmatch(message):
        return _join(node.where, found[1]), found[2]
    if parts["key"]:  # a key a table may not have
        return _join(node.where, _key(_failing_key(node))), "unknown key"
    while node.element and not (_is_struct(node.type) and isinstance(node.value, Mapping)):
        trail.pop()  # a wrong element, or an array of tables holding something else: the array is wrong
        node = trail[-1]
    if _WRONG_TYPE.fullmatch(message):
        if node.type is str or (get_origin(node.type) is Literal and isinstance(get_args(node.type)[0], str)):
            return node.where, "must be a string"
        if node.type is bool:
            return node.where, "must be true or false"
        if _is_struct(node.type) or get_origin(node.type) in (dict, Mapping):
            return node.where, "must be a table"
    return node.where, node.problem.format(value=node.value) if node.problem else message


def _step(parent: _Node, name: str, index: str) -> _Node:
    tp = _inner(parent.type, name, index)
    declared, problem = tp, None
    while get_origin(declared) is Annotated:
        declared, *metadata = get_args(declared)
        problem = next((m.description for m in metadata if isinstance(m, msgspec.Meta) and m.description), problem)
    value = parent.value
    if index == "...":  # a table's value: msgspec does not say whose, so it is the first that does not convert
        key = _failing_key(parent)
        value = value.get(key) if isinstance(value, Mapping) else None
        return _Node(declared, problem, value, _join(parent.where, _key(key)))
    if index:
        value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
        return _Node(declared, problem, value, f"{parent.where}[{int(index) + 1}]", element=True)
    value = value.get(name) if isinstance(value, Mapping) else None
    return _Node(declared, problem, value, _join(parent.where, name))


def _inner(tp: Any, name: str, index: str) -> Any:
    """The type declared at ``.name`` or ``[index]`` inside ``tp``."""
    if _is_struct(tp):
        return next((f.type for f in msgspec.structs.fields(tp) if f.encode_name == name), Any)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        wanted = (dict, Mapping) if index == "..." else (tuple, list, frozenset, set) if index else ()
        return next((_inner(a, name, index) for a in args if get_origin(a) in wanted or _is_struct(a)), Any)
    if origin in (tuple, list, frozenset, set) and index:
        return args[0]
    if origin in (dict, Mapping) and index == "...":
        return args[1]
    return Any


def _failing_key(node: _Node) -> str:
    """The first key of the table at ``node`` whose key or value its declared type refuses."""
    tp = next((a for a in (node.type, *get_args(node.type)) if get_origin(a) in (dict, Mapping)), None)
    if not isinstance(node.value, Mapping) or tp is None:
        return "..."
    key_type, value_type = get_args(tp)
    for key, value in node.value.items():
        try:
            msgspec.convert(key, key_type)
            msgspec.convert(value, value_type)
        except msgspec.ValidationError:
            return str(key)
    return "..."


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


_BARE = re.compile(r"[A-Za-z0-9_-]+|\.\.\.")  # a TOML bare key (or "...": some key of the table)


def _key(key: str) -> str:
    """A key of the file's as WHERE shows it: bare if TOML would leave it bare, else quoted as TOML quotes it, every
    character that does not print escaped (the error stays one unambiguous line)."""
    if _BARE.fullmatch(key):
        return key
    shown = (c if c.isprintable() and c not in '"\\' else _escape(c) for c in key)
    return '"' + "".join(shown) + '"'


def _escape(c: str) -> str:
    return "\\" + c if c in '"\\' else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
