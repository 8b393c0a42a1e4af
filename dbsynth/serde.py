"""Exact JSON round-trips for the frozen dataclasses of the schema and the model.

``to_data(obj)`` turns a dataclass tree into plain JSON data (dicts, lists, strings, numbers);
``from_data(cls, data)`` rebuilds it from the type hints, so ``from_data(T, to_data(x)) == x``
for every ``x: T``. Tuples become lists and come back as tuples; Enums travel as their values;
fields equal to their default are omitted, which keeps model files short and diff-able. A field
whose metadata says ``transient`` (a function body) is neither written nor read: it only lives
in memory, so ``from_data(T, to_data(x))`` equals ``x`` up to those fields.

No pickling anywhere: a model file must be reviewable by a human and loadable by any version
that understands its format number. A model file is untrusted input, so decoding is strict and
says where it failed (:class:`FieldError`, with the path of the bad field).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import types
import typing
from functools import cache
from typing import Any, TypeVar, Union

T = TypeVar("T")


def to_data(obj: Any) -> Any:
    """Plain JSON-able data for a dataclass tree (see the module docstring)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            if not f.init or f.metadata.get("transient"):  # derived state; code never saved
                continue
            value = getattr(obj, f.name)
            if _is_default(f, value):
                continue
            out[f.name] = to_data(value)
        return out
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, tuple | list):
        return [to_data(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_data(v) for k, v in obj.items()}
    return obj


def _is_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return bool(value == f.default)
    if f.default_factory is not dataclasses.MISSING:
        return bool(value == f.default_factory())
    return False


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


class FieldError(ValueError):
    """Data that does not fit its type or breaks an invariant, at ``path`` in the document
    (``tables[3].columns.price.model.grid``; empty: the object itself). ``str()`` is
    ``"<path>: <problem>"``; :meth:`at` puts it under a parent's path."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}" if path else problem)
        self.path, self.problem = path, problem

    def at(self, *parents: str) -> FieldError:
        return FieldError(join(*parents, self.path), self.problem)


def join(*parts: str) -> str:
    """Path parts joined: ``join("tables[3]", "columns", "price")`` is
    ``tables[3].columns.price``; a part starting with ``[`` (an index) takes no dot."""
    out = ""
    for part in parts:
        if not part:
            continue
        out += part if not out or part.startswith("[") else "." + part
    return out


_NAME = re.compile(r"[^\s.\[\]]+")


def item(index: int, element: Any) -> str:
    """The path part of a list element: its ``name`` when it has a plain one (a column, a JSON
    key: ``columns.price`` is easier to find than ``columns[7]``), else its index."""
    name = element.get("name") if isinstance(element, dict) else getattr(element, "name", None)
    if isinstance(name, str) and _NAME.fullmatch(name):
        return name
    return f"[{index}]"


def from_data(tp: Any, data: Any, path: str = "") -> Any:
    """Rebuild a value of type ``tp`` from :func:`to_data` output. Data that does not fit the
    type raises :class:`FieldError` (a ``ValueError``) naming where, from ``path``: a missing,
    unknown or ``null`` field that is not optional, a wrong JSON type, a number that is not
    finite, a value outside an enum or Literal. A ``FieldError`` a dataclass raises while it is
    built (its invariants) is put under the path of that object."""
    if data is None:
        if tp is Any or _optional(tp):
            return None
        raise FieldError(path, f"expected {_expected(tp)}, got null")
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(members) == 1:
            return from_data(members[0], data, path)
        for arg in members:  # first member that accepts the data
            try:
                return from_data(arg, data, path)
            except FieldError:
                continue
        raise FieldError(path, f"expected {_expected(tp)}, got {_got(data)}")
    if origin is typing.Literal:
        if data not in typing.get_args(tp) or isinstance(data, bool) != _bools(tp):
            choices = ", ".join(repr(a) for a in typing.get_args(tp))
            raise FieldError(path, f"{_shown(data)} is not one of {choices}")
        return data
    if origin in (tuple, list):
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise FieldError(path, f"expected a list, got {_got(data)}")
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            return (list if origin is list else tuple)(
                from_data(args[0], v, join(path, item(i, v))) for i, v in enumerate(data)
            )
        if len(args) != len(data):
            raise FieldError(path, f"expected a list of {len(args)}, got {len(data)} item(s)")
        return tuple(
            from_data(a, v, join(path, f"[{i}]")) for i, (a, v) in enumerate(zip(args, data, strict=True))
        )
    if origin is dict:
        kt, vt = typing.get_args(tp)
        if not isinstance(data, dict):
            raise FieldError(path, f"expected an object, got {_got(data)}")
        return {from_data(kt, k, path): from_data(vt, v, join(path, str(k))) for k, v in data.items()}
    if tp is Any:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, data, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in tp)
            raise FieldError(path, f"{_shown(data)} is not one of {choices}") from None
    if tp is float:
        if isinstance(data, int | float) and not isinstance(data, bool):
            if not math.isfinite(data):
                raise FieldError(path, f"{data} is not a finite number")
            return float(data)
        raise FieldError(path, f"expected a number, got {_got(data)}")
    if tp is int and (isinstance(data, bool) or not isinstance(data, int)):
        raise FieldError(path, f"expected an integer, got {_got(data)}")
    if isinstance(tp, type) and not isinstance(data, tp):
        raise FieldError(path, f"expected {_expected(tp)}, got {_got(data)}")
    return data


def _dataclass(tp: type, data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise FieldError(path, f"expected an object ({tp.__name__}), got {_got(data)}")
    hints = _hints(tp)
    # A transient field (a function body) is never read from a document: it is code, and a
    # document is untrusted; one that holds it is refused as holding an unknown field.
    fields = [f for f in dataclasses.fields(tp) if f.init and not f.metadata.get("transient")]
    names = {f.name for f in fields}
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise FieldError(path, f"unknown field(s) for {tp.__name__}: {', '.join(unknown)}")
    missing = [
        f.name
        for f in fields
        if f.name not in data
        and f.default is dataclasses.MISSING
        and f.default_factory is dataclasses.MISSING
    ]
    if missing:
        raise FieldError(path, f"missing field(s) of {tp.__name__}: {', '.join(missing)}")
    kwargs = {k: from_data(hints[k], v, join(path, k)) for k, v in data.items()}
    try:
        return tp(**kwargs)
    except FieldError as exc:  # an invariant the class checks when it is built
        raise exc.at(path) from None
    except (TypeError, ValueError) as exc:
        raise FieldError(path, str(exc)) from None


def _optional(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return (origin is Union or origin is types.UnionType) and type(None) in typing.get_args(tp)


def _bools(tp: Any) -> bool:
    return any(isinstance(a, bool) for a in typing.get_args(tp))


_JSON_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _expected(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return " or ".join(_expected(a) for a in typing.get_args(tp) if a is not type(None))
    if origin in (tuple, list):
        return "a list"
    if origin is dict or (isinstance(tp, type) and dataclasses.is_dataclass(tp)):
        return "an object"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in tp)
    return _JSON_NAMES.get(tp, getattr(tp, "__name__", str(tp)))


def _got(data: Any) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, dict):
        return "an object"
    if isinstance(data, list):
        return "a list"
    return _shown(data)


def _shown(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:39] + "…"
