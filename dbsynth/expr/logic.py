"""SQL's three-valued logic and comparisons on vectors.

A comparison with NULL is NULL; ``AND``/``OR``/``NOT`` follow the SQL truth tables; whoever reads
a condition decides what NULL means (a CHECK passes on TRUE or NULL, CASE takes only TRUE).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from dbsynth.expr.dialects import DialectRules
from dbsynth.expr.values import NUMERIC, Env, Kind, Node, Vec, full, vec

_NP_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "eq": np.equal,
    "ne": np.not_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "lt": np.less,
    "le": np.less_equal,
}


def guarded(env: Env, node: Node, live: np.ndarray) -> Vec:
    """Evaluate ``node`` for all rows but keep its errors only on ``live`` rows: the rows on
    which the database actually evaluates it (short-circuit, CASE branches, COALESCE)."""
    before = env.errors.copy()
    out = node.fn(env)
    env.errors = before | (env.errors & live)
    return out


def truth(v: Vec) -> tuple[np.ndarray, np.ndarray]:
    """(definitely TRUE, definitely FALSE) masks of a boolean Vec."""
    known = ~v.null
    values = v.values.astype(bool)
    return known & values, known & ~values


def from_truth(true: np.ndarray, false: np.ndarray) -> Vec:
    return vec(Kind.BOOL, true, ~(true | false))


def and_(a: Vec, b: Vec) -> Vec:
    ta, fa = truth(a)
    tb, fb = truth(b)
    return from_truth(ta & tb, fa | fb)


def or_(a: Vec, b: Vec) -> Vec:
    ta, fa = truth(a)
    tb, fb = truth(b)
    return from_truth(ta | tb, fa & fb)


def not_(a: Vec) -> Vec:
    t, f = truth(a)
    return from_truth(f, t)


def fold(values: np.ndarray) -> np.ndarray:
    """MySQL's default collation view of strings: case-insensitive, trailing spaces ignored."""
    return np.array([s.casefold().rstrip(" ") for s in values], dtype=object)


def compare_vec(op: str, a: Vec, b: Vec, rules: DialectRules) -> Vec:
    """``a op b`` (``op`` one of eq ne gt ge lt le) on values already of one kind (or numbers
    and booleans). Strings order by code point; a database uses its collation, equality agrees."""
    null = a.null | b.null
    if Kind.NULL in (a.kind, b.kind):
        return full(Kind.BOOL, len(null), None)
    x, y = a.values, b.values
    if a.kind != b.kind and {a.kind, b.kind} <= NUMERIC | {Kind.BOOL}:
        as_float = Kind.NUM in (a.kind, b.kind)
        x, y = x.astype(np.float64 if as_float else np.int64), y.astype(np.float64 if as_float else np.int64)
    if a.kind is Kind.STR and rules.fold_strings:
        x, y = fold(x), fold(y)
    return vec(Kind.BOOL, np.asarray(_NP_CMP[op](x, y), dtype=bool), null)
