"""Strings drawn from a regular expression: a prior's sample for a column whose CHECK gives its
shape (``ipi ~ '^\\d{11}$'``, ``isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$'``), where no word or
code the column's name suggests would ever match.

Python's own regex parser reads the pattern; literals, classes, ``.``, repeats, groups,
alternation and anchors are drawn, anything else (look-arounds, back-references) gives None
and the sample is left as it was. Open repeats (``*``, ``+``, ``{2,}``) stop a few characters
past their minimum, so values stay short enough for their column.
"""

from __future__ import annotations

import re
import string
from re import _parser as sre  # type: ignore[attr-defined]
from typing import Any

import numpy as np

_CATEGORY = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_NOT_WORD": "-.",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
}
_ANY = string.ascii_letters + string.digits
_OPEN_EXTRA = 4  # characters past an open repeat's minimum, at most


class _Unsupported(Exception):
    pass


def _class(items: list[tuple[Any, Any]]) -> str:
    negate, chars = False, []
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chars.append(chr(arg))
        elif name == "RANGE":
            chars.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 200) + 1))
        elif name == "CATEGORY":
            chars.extend(_CATEGORY.get(str(arg), ""))
        else:
            raise _Unsupported(name)
    if negate:
        return "".join(c for c in _ANY if c not in chars)
    return "".join(dict.fromkeys(chars))


def _draw(items: Any, rng: np.random.Generator, out: list[str]) -> None:
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append(next(c for c in _ANY if c != chr(arg)))
        elif name == "ANY":
            out.append(_ANY[rng.integers(len(_ANY))])
        elif name == "IN":
            chars = _class(arg)
            if not chars:
                raise _Unsupported("empty class")
            out.append(chars[rng.integers(len(chars))])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg
            top = low + _OPEN_EXTRA if high is sre.MAXREPEAT else min(high, low + _OPEN_EXTRA)
            for _ in range(int(rng.integers(low, top + 1))):
                _draw(sub, rng, out)
        elif name == "SUBPATTERN":
            _draw(arg[-1], rng, out)
        elif name == "BRANCH":
            branches = arg[1]
            _draw(branches[rng.integers(len(branches))], rng, out)
        elif name == "AT":
            continue  # anchors: the drawn string is the whole value
        else:
            raise _Unsupported(name)


def regex_sample(regex: str, n: int, rng: np.random.Generator, max_length: int | None) -> list[str] | None:
    """``n`` strings matching ``regex`` (search semantics) and at most ``max_length`` long, or
    None when the pattern uses what this sampler does not draw or its draws do not match."""
    try:
        parsed = sre.parse(regex)
        compiled = re.compile(regex)
    except (re.error, RecursionError):
        return None
    out: list[str] = []
    for _ in range(n * 3):
        parts: list[str] = []
        try:
            _draw(parsed, rng, parts)
        except (_Unsupported, TypeError, ValueError):
            return None
        value = "".join(parts)
        if compiled.search(value) and (max_length is None or len(value) <= max_length):
            out.append(value)
            if len(out) == n:
                return out
    return out or None
