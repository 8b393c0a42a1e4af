"""Functions: text (``upper``, ``length``, ``trim``, ``substr``, ``replace``, ``concat``, …),
numbers (``abs``, ``round``, ``floor``, ``ceil``), the clock (``now()``, ``CURRENT_DATE``), JSON.

Text functions cast their argument to text, as the databases do. ``round`` rounds half away
from zero (numpy's ``round`` is half to even: 2.5 -> 2), as SQL does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlglot import exp

from dbsynth.expr.casts import as_text
from dbsynth.expr.handler import Compiling, Handler
from dbsynth.expr.values import DTYPE, Env, Kind, Node, Unsupported, Vec, vec

_NOW_FUNCTIONS = {
    "now": Kind.DATETIME,
    "statement_timestamp": Kind.DATETIME,
    "transaction_timestamp": Kind.DATETIME,
    "clock_timestamp": Kind.DATETIME,
    "sysdate": Kind.DATETIME,
    "utc_timestamp": Kind.DATETIME,
    "localtimestamp": Kind.DATETIME,
    "curdate": Kind.DATE,
    "utc_date": Kind.DATE,
}


# -- text --------------------------------------------------------------------------------------


def _str_map(c: Compiling, e: exp.Expression, f: Callable[[str], Any], kind: Kind = Kind.STR) -> Node:
    return _text_map(c, c.text(e.this), f, kind)


def _text_map(c: Compiling, node: Node, f: Callable[[str], Any], kind: Kind = Kind.STR) -> Node:
    dtype = DTYPE[kind]
    return c.map(kind, lambda v: vec(kind, np.array([f(s) for s in v.values], dtype=dtype), v.null), node)


def _length(c: Compiling, e: exp.Length) -> Node:
    if e.args.get("binary") and c.rules.length_counts_bytes:
        return _octets(c, c.text(e.this))
    return _str_map(c, e, len, Kind.INT)


def _octets(c: Compiling, node: Node) -> Node:
    """``octet_length``: the bytes as stored (a padded ``char(n)`` counts its blanks)."""
    stored = node.padded or node.fn

    def run(env: Env) -> Vec:
        v = stored(env)
        return vec(Kind.INT, [len(s.encode()) for s in v.values], v.null)

    return Node(Kind.INT, run, node.columns)


def _trim(c: Compiling, e: exp.Trim) -> Node:
    chars_node = e.args.get("expression")
    chars = " " if chars_node is None else c.constant_text(chars_node, "TRIM")
    if chars is None:
        return c.const(Kind.STR, None)
    position = str(e.args.get("position") or "BOTH").upper()
    strip = {"LEADING": str.lstrip, "TRAILING": str.rstrip}.get(position, str.strip)
    return _str_map(c, e, lambda s: strip(s, chars))


def _positions(c: Compiling, e: exp.Expression, *args: exp.Expression | None) -> list[Node]:
    nodes = [c.compile(a) for a in args if a is not None]
    for node in nodes:
        if node.kind not in (Kind.INT, Kind.NULL):
            raise c.kind_error(e, "positions must be whole numbers", [node.kind])
    return nodes


def substring(s: str, start: int, count: int | None, style: str) -> tuple[str, bool]:
    """``substr(s, start, count)`` (1-based) as the dialect's style computes it, and whether
    PostgreSQL raises an error instead (it refuses a negative count; the value is then '')."""
    if style != "postgresql" and start < 0:
        start += len(s) + 1  # MySQL and SQLite count a negative start from the end
        if style == "mysql" and start < 1:
            return "", False
    if style == "mysql" and (start == 0 or (count is not None and count < 0)):
        return "", False
    if count is None:
        return s[max(start, 1) - 1 :], False
    if count < 0:
        if style == "sqlite":  # the |count| characters before start
            return s[max(start + count, 1) - 1 : max(start - 1, 0)], False
        return "", True
    # A start below 1 eats into the count: substr('abc', 0, 2) is 'a'.
    return s[max(start, 1) - 1 : max(start + count - 1, 0)], False


def _substring(c: Compiling, e: exp.Substring) -> Node:
    text = c.text(e.this)
    start, *count = _positions(c, e, e.args.get("start") or exp.Literal.number(1), e.args.get("length"))
    nodes, style, raises = [text, start, *count], c.rules.substr_style, c.rules.raises

    def run(env: Env) -> Vec:
        vs = [n.fn(env) for n in nodes]
        null = np.logical_or.reduce([v.null for v in vs])
        counts = vs[2].values.tolist() if count else [None] * env.n
        out = [
            substring(s, b, k, style)
            for s, b, k in zip(vs[0].values, vs[1].values.tolist(), counts, strict=True)
        ]
        if raises:
            env.errors |= ~null & np.array([bad for _, bad in out], dtype=bool)
        return vec(Kind.STR, [s for s, _ in out], null)

    return Node(Kind.STR, run, frozenset().union(*(n.columns for n in nodes)))


def _replace(c: Compiling, e: exp.Replace) -> Node:
    if e.args.get("replacement") is None:
        raise Unsupported(f"{c.describe(e)} without a replacement")
    nodes = [c.text(e.this), c.text(e.expression), c.text(e.args["replacement"])]

    def run(env: Env) -> Vec:
        vs = [n.fn(env) for n in nodes]
        # An empty search string changes nothing in the three databases (Python would insert).
        out = [s.replace(a, b) if a else s for s, a, b in zip(*(v.values for v in vs), strict=True)]
        return vec(Kind.STR, out, np.logical_or.reduce([v.null for v in vs]))

    return Node(Kind.STR, run, frozenset().union(*(n.columns for n in nodes)))


def _concat(c: Compiling, e: exp.Concat) -> Node:
    nodes = [c.compile(x) for x in e.expressions]
    skips_null, python = c.rules.concat_skips_null, c.rules.python_text

    def run(env: Env) -> Vec:
        out = np.full(env.n, "", dtype=object)
        null = np.zeros(env.n, dtype=bool)
        for n in nodes:  # NULL arguments add nothing (PostgreSQL); MySQL's concat is then NULL
            v = n.fn(env)
            out = out + as_text(v, python)
            null |= v.null
        return vec(Kind.STR, out, np.zeros(env.n, dtype=bool) if skips_null else null)

    return Node(Kind.STR, run, frozenset().union(*(n.columns for n in nodes)))


# -- numbers -----------------------------------------------------------------------------------


def _abs(c: Compiling, e: exp.Abs) -> Node:
    node = c.signed(e.this, e)
    return c.map(node.kind, lambda v: vec(v.kind, np.abs(v.values), v.null), node)


def _float_map(c: Compiling, e: exp.Expression, f: Callable[[np.ndarray], np.ndarray]) -> Node:
    if e.args.get("decimals") is not None:
        raise Unsupported(f"{c.describe(e)} with decimals")
    node = c.numeric(e.this, e)
    return c.map(
        node.kind, lambda v: vec(v.kind, f(v.values) if v.kind is Kind.NUM else v.values, v.null), node
    )


def round_half_away(x: np.ndarray, decimals: int) -> np.ndarray:
    scale = 10.0**decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


def _round(c: Compiling, e: exp.Round) -> Node:
    node = c.numeric(e.this, e)
    places = c.numeric(e.args["decimals"], e) if e.args.get("decimals") is not None else c.const(Kind.INT, 0)
    if not places.constant:
        raise Unsupported("round() to a number of places that is not a constant")
    digits = int(places.value() or 0)
    if node.kind is Kind.INT and digits >= 0:
        return node
    return c.map(
        Kind.NUM, lambda v: vec(Kind.NUM, round_half_away(v.values.astype(float), digits), v.null), node
    )


# -- the clock, JSON, and functions sqlglot does not know -----------------------------------------


def now(c: Compiling, kind: Kind) -> Node:
    if c.now is None:
        raise Unsupported("the current time (no reference time is set)")
    day = c.now.astype("datetime64[D]").astype("datetime64[us]")
    value = {Kind.DATE: day, Kind.DATETIME: c.now, Kind.TIME: c.now - day}[kind]
    return c.const(kind, value)


def _json_ok(v: Any) -> bool:
    if not isinstance(v, str | bytes):
        return True  # dicts, lists, numbers: the writer serialises them as JSON
    try:
        json.loads(v)
    except ValueError:
        return False
    return True


def _anonymous(c: Compiling, e: exp.Anonymous) -> Node:
    name = str(e.this).lower()
    if name in _NOW_FUNCTIONS and not e.expressions:
        return now(c, _NOW_FUNCTIONS[name])
    if name == "octet_length" and len(e.expressions) == 1:
        return _octets(c, c.text(e.expressions[0]))
    if name == "json_valid" and len(e.expressions) == 1:
        node = c.compile(e.expressions[0])
        if node.kind not in (Kind.STR, Kind.JSON, Kind.NULL):
            raise Unsupported(f"json_valid() of {node.kind}")
        return c.map(
            Kind.BOOL,
            lambda v: vec(
                Kind.BOOL, np.fromiter((_json_ok(x) for x in v.values), bool, len(v.values)), v.null
            ),
            node,
        )
    raise Unsupported(f"the function {name}()")


HANDLERS: dict[type[exp.Expression], Handler] = {
    exp.Length: _length,
    exp.Lower: lambda c, e: _str_map(c, e, str.lower),
    exp.Upper: lambda c, e: _str_map(c, e, str.upper),
    exp.Trim: _trim,
    exp.Substring: _substring,
    exp.Replace: _replace,
    exp.Concat: _concat,
    exp.Abs: _abs,
    exp.Round: _round,
    exp.Floor: lambda c, e: _float_map(c, e, np.floor),
    exp.Ceil: lambda c, e: _float_map(c, e, np.ceil),
    exp.CurrentDate: lambda c, e: now(c, Kind.DATE),
    exp.CurrentTimestamp: lambda c, e: now(c, Kind.DATETIME),
    exp.Localtimestamp: lambda c, e: now(c, Kind.DATETIME),
    exp.CurrentTime: lambda c, e: now(c, Kind.TIME),
    exp.Anonymous: _anonymous,
}
