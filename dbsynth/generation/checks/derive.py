"""Deriving :class:`~dbsynth.generation.checks.hints.Hints` from a compiled CHECK's sqlglot tree.

Bounds come out inclusive and already stepped for the column's type: ``qty > 0`` on an integer
is ``qty >= 1``, ``price > 0`` on ``numeric(10,2)`` is ``price >= 0.01``.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlglot import exp

from dbsynth.expr.casts import CAST_KIND
from dbsynth.expr.compile import Compiler, quantified
from dbsynth.expr.patterns import like_regex, posix_regex
from dbsynth.expr.values import NUMERIC, TEMPORAL, Kind, Node, Unsupported
from dbsynth.generation.checks.hints import CheckOrder, ColumnHints, Hints, Pattern, unique
from dbsynth.schema import Column, LogicalType, Table

_CMP_OPS: dict[type[exp.Expression], str] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_MIRROR = {"=": "=", "<>": "<>", ">": "<", ">=": "<=", "<": ">", "<=": ">="}
_DAY = pd.Timedelta(days=1)
_TICK = pd.Timedelta(microseconds=1)


def unparen(e: exp.Expression) -> exp.Expression:
    while isinstance(e, exp.Paren):
        e = e.this
    return e


def flatten(e: exp.Expression, kind: type[exp.Expression]) -> list[exp.Expression]:
    e = unparen(e)
    if isinstance(e, kind):
        return flatten(e.this, kind) + flatten(e.expression, kind)
    return [e]


def _step(value: Any, kind: Kind, column: Column, side: Literal["low", "high"], strict: bool) -> Any:
    """An inclusive bound in the column's own values: ``> 0`` on an integer is ``>= 1``, on a
    ``numeric(10,2)`` ``>= 0.01``, on a date ``> '2020-01-01'`` is ``>= '2020-01-02'``."""
    up = side == "low"
    if kind is Kind.INT or (kind is Kind.NUM and column.logical is LogicalType.INTEGER):
        v = float(value)
        return (
            (math.floor(v) + 1 if strict else math.ceil(v))
            if up
            else (math.ceil(v) - 1 if strict else math.floor(v))
        )
    if kind is Kind.NUM:
        v = float(value)
        if column.logical is LogicalType.DECIMAL and column.scale is not None:
            units = round(v * 10**column.scale, 6)  # 0.1 * 100 is 10.000000000000002
            whole = (
                (math.floor(units) + 1 if strict else math.ceil(units))
                if up
                else (math.ceil(units) - 1 if strict else math.floor(units))
            )
            return round(whole / 10**column.scale, column.scale)
        return float(np.nextafter(v, math.inf if up else -math.inf)) if strict else v
    if kind is Kind.DATE:
        ts = pd.Timestamp(value)
        day = ts.normalize()
        if up:
            return day + _DAY if strict or ts != day else day
        return day - _DAY if strict and ts == day else day
    if kind is Kind.DATETIME:
        ts = pd.Timestamp(value)
        return ts + _TICK if strict and up else ts - _TICK if strict else ts
    ts = pd.Timedelta(value)
    return ts + _TICK if strict and up else ts - _TICK if strict else ts


def _python(value: Any, kind: Kind) -> Any:
    if kind in TEMPORAL:
        return pd.Timestamp(value)
    if kind in (Kind.TIME, Kind.INTERVAL):
        return pd.Timedelta(value)
    if kind is Kind.INT:
        return int(value)
    if kind is Kind.NUM:
        return float(value)
    return bool(value) if kind is Kind.BOOL else value


class HintDeriver:
    """Facts implied by one check: from its top-level AND terms, each of which must hold."""

    def __init__(self, compiler: Compiler, table: Table) -> None:
        self.compiler = compiler
        self.columns = {c.name: c for c in table.columns}

    def hints(self, tree: exp.Expression) -> Hints:
        out = Hints()
        for term in flatten(tree, exp.And):
            try:
                out = out.merge(self._facts(term))
            except Unsupported:
                continue  # evaluation still covers it; only the shortcut is lost
        return out

    def _column_hints(self, name: str, **facts: Any) -> Hints:
        col = self.columns[name]
        padded = name in self.compiler.padded
        return Hints((ColumnHints(name, col.logical, col.scale, padded=padded, **facts).consistent(),))

    def _subject(self, e: exp.Expression) -> tuple[str, Kind, bool] | None:
        """(column, kind, through length()) when ``e`` is a column, maybe under a cast that keeps
        its values (``(rating)::text``, ``(year)::numeric``) or inside ``char_length()``."""
        e = unparen(e)
        length = isinstance(e, exp.Length) and not (
            e.args.get("binary") and self.compiler.rules.length_counts_bytes
        )
        if length:
            e = unparen(e.this)
        targets = []
        while isinstance(e, exp.Cast):
            targets.append(e.to)
            e = unparen(e.this)
        name = self.compiler.column_name(e)
        if name is None or name not in self.columns:
            return None
        kind = self.compiler.kinds[name]
        for to in targets:
            target = CAST_KIND.get(to.this)
            keeps = to.this == exp.DataType.Type.USERDEFINED or (target is kind and not to.expressions)
            if not (
                keeps
                or (target is Kind.NUM and kind is Kind.INT)
                or (target is Kind.DATETIME and kind is Kind.DATE)
            ):
                return None
        if length and kind is not Kind.STR:
            return None
        return name, kind, length

    def _constant(self, e: exp.Expression, kind: Kind) -> Any:
        """The value of a constant expression as the column's kind; None when not a constant."""
        node: Node = self.compiler.compile(e)
        if not node.constant:
            return None
        if node.kind is not kind and not (kind is Kind.INT and node.kind is Kind.NUM):
            node = self.compiler.cast(node, kind)
        value = node.value()
        return None if value is None else _python(value, node.kind)

    def _facts(self, e: exp.Expression) -> Hints:
        e = unparen(e)
        if isinstance(e, exp.Not):
            inner = unparen(e.this)
            if (
                isinstance(inner, exp.Is)
                and isinstance(inner.expression, exp.Null)
                and not inner.args.get("negate")
            ):
                return self._not_null(inner.this)
            listed = self._listed(inner)
            return self._column_hints(listed[0], excluded=listed[1]) if listed else Hints()
        if isinstance(e, exp.Is) and isinstance(e.expression, exp.Null) and e.args.get("negate"):
            return self._not_null(e.this)
        if type(e) in _CMP_OPS:
            return self._comparison(e)
        if isinstance(e, exp.Between) and not e.args.get("symmetric"):
            low = self._compare(">=", e.this, e.args["low"])
            return low.merge(self._compare("<=", e.this, e.args["high"]))
        if isinstance(e, exp.In):
            listed = self._listed(e)
            return self._column_hints(listed[0], allowed=listed[1]) if listed else Hints()
        if isinstance(e, exp.Like | exp.ILike | exp.Escape | exp.RegexpLike | exp.RegexpILike):
            return self._pattern(e)
        if isinstance(e, exp.Or):
            return self._disjunction(e)
        return Hints()

    def _not_null(self, e: exp.Expression) -> Hints:
        subject = self._subject(e)
        return self._column_hints(subject[0], not_null=True) if subject and not subject[2] else Hints()

    def _listed(self, e: exp.Expression) -> tuple[str, tuple[Any, ...]] | None:
        """``col IN (...)``, ``col = const`` or ``col = ANY (ARRAY[...])``: the column and values."""
        e = unparen(e)
        if isinstance(e, exp.In) and not e.args.get("query"):
            left, items = e.this, list(e.expressions)
        elif isinstance(e, exp.EQ) and isinstance(e.expression, exp.Any):
            left, items = e.this, (quantified(e.expression) or ("any", []))[1]
        elif isinstance(e, exp.EQ):
            left, items = e.this, [e.expression]
            if self._subject(left) is None:
                left, items = e.expression, [e.this]
        else:
            return None
        subject = self._subject(left)
        if subject is None or subject[2]:
            return None
        values = [self._constant(x, subject[1]) for x in items]
        if any(v is None for v in values):
            return None  # NULL in a list, or not a constant
        if subject[1] is Kind.INT:
            values = [int(v) for v in values if float(v).is_integer()]
        return subject[0], unique(tuple(values))

    def _comparison(self, e: exp.Expression) -> Hints:
        op = _CMP_OPS[type(e)]
        if isinstance(e.expression, exp.Any) and op == "=":
            listed = self._listed(e)
            return self._column_hints(listed[0], allowed=listed[1]) if listed else Hints()
        left, right = self._subject(e.this), self._subject(e.expression)
        if left and right and not left[2] and not right[2] and op in _MIRROR and op not in ("=", "<>"):
            families = [k if k not in NUMERIC else "number" for k in (left[1], right[1])]
            families = ["temporal" if k in TEMPORAL else k for k in families]
            if families[0] == families[1] and left[1] is not Kind.STR:
                return Hints(orderings=(CheckOrder(left[0], op, right[0]),))  # type: ignore[arg-type]
            return Hints()
        if left:
            return self._compare(op, e.this, e.expression)
        if right:
            return self._compare(_MIRROR[op], e.expression, e.this)
        return Hints()

    def _compare(self, op: str, subject_e: exp.Expression, constant_e: exp.Expression) -> Hints:
        subject = self._subject(subject_e)
        if subject is None:
            return Hints()
        name, kind, length = subject
        value = self._constant(constant_e, Kind.INT if length else kind)
        if value is None:
            return Hints()
        column = self.columns[name]
        if length:
            if op in ("=", ">", ">="):
                low = _step(value, Kind.INT, column, "low", op == ">")
                facts = {"min_length": max(low, 0)}
            else:
                facts = {}
            if op in ("=", "<", "<="):
                facts["max_length"] = _step(value, Kind.INT, column, "high", op == "<")
            return self._column_hints(name, **facts) if facts else Hints()
        if op == "=":
            return self._column_hints(name, allowed=(value,))
        if op == "<>":
            return self._column_hints(name, excluded=(value,))
        if kind in (Kind.STR, Kind.BOOL, Kind.JSON):
            return Hints()
        side: Literal["low", "high"] = "low" if op in (">", ">=") else "high"
        bound = _step(value, kind, column, side, op in (">", "<"))
        return self._column_hints(name, **{side: bound})

    def _pattern(self, e: exp.Expression) -> Hints:
        escape = None
        if isinstance(e, exp.Escape):
            escape_value = self._constant(e.expression, Kind.STR)
            e, escape = e.this, escape_value
        if e.args.get("negate") or e.args.get("flag") is not None:
            return Hints()
        subject = self._subject(e.this)
        if subject is None or subject[2] or subject[1] is not Kind.STR:
            return Hints()
        source = self._constant(e.expression, Kind.STR)
        if source is None:
            return Hints()
        rules = self.compiler.rules
        if isinstance(e, exp.Like | exp.ILike):
            regex = "(?s)\\A(?:" + like_regex(source, escape or rules.like_escape) + ")\\Z"
            pattern = Pattern(regex, source, "like", isinstance(e, exp.ILike) or rules.like_ignores_case)
        else:
            ignore = isinstance(e, exp.RegexpILike) or rules.regex_ignores_case
            pattern = Pattern(posix_regex(source), source, "regex", ignore)
        return self._column_hints(subject[0], patterns=(pattern,))

    def _disjunction(self, e: exp.Expression) -> Hints:
        """``a = 'x' OR a = 'y'`` is a set. ``x IS NULL OR y IS NULL OR <terms>`` implies the
        facts of ``<terms>`` that mention every guarded column: a hint on ``x`` applies when ``x``
        is not NULL, an ordering of ``x`` and ``y`` when neither is; a fact about another column
        would only hold when ``x`` is not NULL, which a hint cannot say. Nothing else is implied."""
        guards, rest = set(), []
        for part in flatten(e, exp.Or):
            if (
                isinstance(part, exp.Is)
                and isinstance(part.expression, exp.Null)
                and not part.args.get("negate")
            ):
                subject = self._subject(part.this)
                if subject is None or subject[2]:
                    return Hints()
                guards.add(subject[0])
            else:
                rest.append(part)
        listed = [self._listed(p) for p in rest]
        if rest and all(listed) and len({x[0] for x in listed if x}) == 1:
            name = listed[0][0]  # type: ignore[index]
            if guards <= {name}:
                values = unique(tuple(v for x in listed if x for v in x[1]))
                return self._column_hints(name, allowed=values)
        if len(rest) != 1:
            return Hints()
        facts = self.hints(rest[0])
        return Hints(
            tuple(h for h in facts.columns if guards <= {h.column}),
            tuple(o for o in facts.orderings if guards <= {o.left, o.right}),
        )
