"""Arithmetic: ``+ - * / % DIV`` on numbers, dates, times and intervals; negation; ``||``.

Division follows the dialect: integer division truncates in PostgreSQL and SQLite, MySQL's ``/``
is exact; a zero divisor is an error (the database refuses the row) or NULL (SQLite, and the
formula language, whose generated data must not stop a load). Integer overflow is not detected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from dbsynth.expr.casts import DAY_US
from dbsynth.expr.handler import Compiling, Handler
from dbsynth.expr.values import NUMERIC, TEMPORAL, Env, Kind, Node, Unsupported, Vec, vec

Rule = Callable[[Vec, Vec, Env], Vec]

_ARITH: dict[type[exp.Expression], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.IntDiv: "div",
}


def _arith(c: Compiling, e: exp.Expression) -> Node:
    op = _ARITH[type(e)]
    a, b = c.compile(e.this), c.compile(e.expression)
    if c.rules.plus_joins_text and op == "+" and Kind.STR in (a.kind, b.kind):
        return _joined(c, a, b)
    if c.rules.typed and not {a.kind, b.kind} <= NUMERIC | {Kind.NULL}:
        raise c.kind_error(e, "needs numbers", [a.kind, b.kind])
    if Kind.INTERVAL in (a.kind, b.kind):  # MySQL: '2030-01-01' + interval 1 day is a date
        a, b = (c.cast(n, Kind.DATETIME) if n.kind is Kind.STR and n.constant else n for n in (a, b))
    if Kind.STR in (a.kind, b.kind) and a.kind is not b.kind:
        _, (a, b) = c.unify([a, b], e)
    if Kind.NULL in (a.kind, b.kind):  # NULL, of the kind the operation gives: 1 / NULL is a number
        other = b if a.kind is Kind.NULL else a
        try:
            kind = other.kind if other.kind is Kind.NULL else _rule(c, op, other, other)[0]
        except Unsupported:
            kind = other.kind
        return c.const(kind, None)
    kind, f = _rule(c, op, a, b)
    return Node(kind, lambda env: f(a.fn(env), b.fn(env), env), a.columns | b.columns)


def _rule(c: Compiling, op: str, a: Node, b: Node) -> tuple[Kind, Rule]:
    ka, kb = a.kind, b.kind
    if ka in NUMERIC and kb in NUMERIC:
        both_int = ka is kb is Kind.INT
        if op in "+-*":
            kind = Kind.INT if both_int else Kind.NUM
            f = {"+": np.add, "-": np.subtract, "*": np.multiply}[op]
            return kind, lambda x, y, env: vec(kind, f(x.values, y.values), x.null | y.null)
        if op == "/" and not (both_int and c.rules.int_division):
            return Kind.NUM, _divider(c, lambda p, q: p / q, Kind.NUM)
        if op in ("/", "div"):
            trunc = _trunc_div if both_int else (lambda p, q: np.trunc(p / q))
            return Kind.INT, _divider(c, trunc, Kind.INT)
        kind = Kind.INT if both_int else Kind.NUM
        return kind, _divider(c, np.fmod, kind)
    if {ka, kb} <= TEMPORAL | {Kind.INTERVAL, Kind.INT, Kind.TIME} and op in "+-":
        return _time_rule(c, op, a, b)
    if ka is Kind.INTERVAL and kb in NUMERIC and op in "*/":
        f = np.multiply if op == "*" else np.divide
        return Kind.INTERVAL, lambda x, y, env: vec(
            Kind.INTERVAL,
            f(x.values.astype(np.int64), y.values).astype("timedelta64[us]"),
            x.null | y.null,
        )
    raise Unsupported(f"the operation {ka} {op} {kb}")


def _divider(c: Compiling, f: Callable[[Any, Any], Any], kind: Kind) -> Rule:
    error = c.rules.division_by_zero == "error"

    def run(x: Vec, y: Vec, env: Env) -> Vec:
        null = x.null | y.null
        zero = ~null & (y.values == 0)
        if error:
            env.errors |= zero
        safe = np.where(zero, 1, y.values)
        with np.errstate(all="ignore"):
            out = f(x.values, safe)
        return vec(kind, out, null | zero)

    return run


def _time_rule(c: Compiling, op: str, a: Node, b: Node) -> tuple[Kind, Rule]:
    ka, kb = a.kind, b.kind
    sign = 1 if op == "+" else -1
    date_plus_integer = c.rules.date_plus_integer
    if ka in TEMPORAL and kb in TEMPORAL and op == "-":
        if ka is kb is Kind.DATE and date_plus_integer:  # date - date = days
            return Kind.INT, lambda x, y, env: vec(
                Kind.INT, (x.values - y.values) // np.timedelta64(1, "D"), x.null | y.null
            )
        return Kind.INTERVAL, lambda x, y, env: vec(Kind.INTERVAL, x.values - y.values, x.null | y.null)
    if (ka is Kind.DATE and kb is Kind.INT and date_plus_integer) or (
        ka is Kind.INT and kb is Kind.DATE and op == "+" and date_plus_integer
    ):

        def days(x: Vec, y: Vec, env: Env) -> Vec:
            d, n = (x, y) if x.kind is Kind.DATE else (y, x)
            return vec(Kind.DATE, d.values + sign * n.values * np.timedelta64(1, "D"), x.null | y.null)

        return Kind.DATE, days
    if (kb is Kind.INTERVAL and ka in TEMPORAL | {Kind.TIME}) or (
        ka is Kind.INTERVAL and kb in TEMPORAL and op == "+"
    ):
        stamp, span = (a, b) if kb is Kind.INTERVAL else (b, a)
        months = span.months if span.constant else 0
        kind = Kind.TIME if stamp.kind is Kind.TIME else Kind.DATETIME

        def shift(x: Vec, y: Vec, env: Env) -> Vec:
            s, i = (x, y) if y.kind is Kind.INTERVAL else (y, x)
            if kind is Kind.TIME:
                day = np.timedelta64(DAY_US, "us")
                return vec(kind, (s.values + sign * i.values) % day, s.null | i.null)
            if months:  # calendar months: Jan 31 + 1 month is Feb 28, as the databases do
                rest = i.values - np.timedelta64(months * 30 * DAY_US, "us")
                moved = pd.DatetimeIndex(s.values) + pd.DateOffset(months=sign * months)
                return vec(kind, moved.to_numpy().astype("datetime64[us]") + sign * rest, s.null | i.null)
            return vec(kind, s.values + sign * i.values, s.null | i.null)

        return kind, shift
    if ka is kb is Kind.INTERVAL or ({ka, kb} == {Kind.TIME, Kind.INTERVAL} and op == "-"):
        f = np.add if op == "+" else np.subtract
        return Kind.INTERVAL, lambda x, y, env: vec(Kind.INTERVAL, f(x.values, y.values), x.null | y.null)
    raise Unsupported(f"the operation {ka} {op} {kb}")


def _trunc_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    q = np.floor_divide(x, y)
    return q + ((np.remainder(x, y) != 0) & ((x < 0) ^ (y < 0)))


def _neg(c: Compiling, e: exp.Neg) -> Node:
    node = c.signed(e.this, e)
    if node.kind is Kind.NULL:
        return node
    return Node(
        node.kind,
        lambda env: (lambda v: vec(v.kind, -v.values, v.null))(node.fn(env)),
        node.columns,
        -node.months,
    )


def _joined(c: Compiling, a: Node, b: Node) -> Node:
    """``a || b``: both as text; NULL when either is."""
    a, b = (n if n.kind is Kind.STR else c.cast(n, Kind.STR) for n in (a, b))

    def run(env: Env) -> Vec:
        x, y = a.fn(env), b.fn(env)
        return vec(Kind.STR, x.values + y.values, x.null | y.null)

    return Node(Kind.STR, run, a.columns | b.columns)


HANDLERS: dict[type[exp.Expression], Handler] = {
    **dict.fromkeys(_ARITH, _arith),
    exp.Neg: _neg,
    exp.DPipe: lambda c, e: _joined(c, c.compile(e.this), c.compile(e.expression)),
}
