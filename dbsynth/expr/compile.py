"""The compiler: a sqlglot expression becomes a tree of :class:`Node` closures, once.

Running the root on an :class:`Env` (the frame's columns as vectors) evaluates every row at
once. The kind of each node is known at compile time, so what the engine cannot follow (a cast
to ``bytea``, a function it does not know, text minus a number in the typed formula language)
is found before any row is seen: the compiler raises :class:`Unsupported` (or its
:class:`KindError`) with the reason and the node.

This module holds the core: leaves (columns, literals, casts), logic, comparisons, IN, BETWEEN.
Arithmetic (``dbsynth.expr.arithmetic``), functions (``dbsynth.expr.functions``), conditional
expressions (``dbsynth.expr.conditional``) and pattern matching (``dbsynth.expr.patterns``) are
handlers of their own modules, which use the compiler through ``dbsynth.expr.handler``.
Constant subexpressions are folded once at compile time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from sqlglot import exp

from dbsynth.expr import arithmetic, conditional, functions, patterns
from dbsynth.expr.casts import CAST_KIND, DAY_US, cast_vec, castable, parse_interval
from dbsynth.expr.dialects import DialectRules
from dbsynth.expr.handler import Handler
from dbsynth.expr.logic import and_, compare_vec, guarded, not_, or_, truth
from dbsynth.expr.values import (
    NUMERIC,
    TEMPORAL,
    Env,
    Kind,
    KindError,
    Node,
    Unsupported,
    Vec,
    full,
    vec,
)

_T = exp.DataType.Type
_CMP: dict[type[exp.Expression], str] = {
    exp.EQ: "eq",
    exp.NEQ: "ne",
    exp.GT: "gt",
    exp.GTE: "ge",
    exp.LT: "lt",
    exp.LTE: "le",
}


def describe(e: exp.Expression, dialect: str) -> str:
    sql = e.sql(dialect=dialect)
    return f"the expression {sql if len(sql) <= 60 else sql[:57] + '...'} ({type(e).__name__})"


class Compiler:
    """Compiles sqlglot expressions over one table's columns into :class:`Node` trees.

    ``kinds`` maps the columns the engine can read to their kind; ``unavailable`` maps the
    others (generated columns, bytes, arrays) to the reason an expression reading them cannot
    be evaluated. ``value_column`` is what a domain CHECK's ``VALUE`` stands for. ``now`` is the
    reference time of ``now()``/``CURRENT_DATE`` (naive UTC), fixed so evaluation is repeatable;
    without it those functions are unsupported. ``padded`` maps the blank-padded ``char(n)``
    columns to ``n`` (None: no width), see :attr:`DialectRules.blank_padded_char`.
    """

    def __init__(
        self,
        kinds: Mapping[str, Kind],
        rules: DialectRules,
        now: np.datetime64 | None = None,
        value_column: str | None = None,
        unavailable: Mapping[str, str] | None = None,
        padded: Mapping[str, int | None] | None = None,
    ) -> None:
        self.kinds = dict(kinds)
        self.rules = rules
        self.now = now
        self.value_column = value_column
        self.unavailable = dict(unavailable or {})
        self.padded = dict(padded or {})

    # -- entry points ------------------------------------------------------------------------

    def compile(self, e: exp.Expression) -> Node:
        handler = _CORE.get(type(e)) or HANDLERS.get(type(e))
        if handler is None:
            raise Unsupported(self.describe(e), e)
        try:
            node = handler(self, e)
        except Unsupported as err:
            if err.node is None:
                err.node = e
            raise
        return self._fold(node) if node.constant else node

    def condition(
        self, e: exp.Expression, owner: exp.Expression | None = None, need: str = "needs a condition"
    ) -> Node:
        """``e`` as a truth value (MySQL and SQLite read a number as true when non-zero)."""
        return self.conditions(owner or e, [e], need)[0]

    def conditions(self, owner: exp.Expression, operands: list[exp.Expression], need: str) -> list[Node]:
        """The operands of ``owner`` as truth values; in the typed language they must be
        conditions already, and a wrong one is a :class:`KindError` on ``owner``."""
        return self.as_conditions(owner, operands, [self.compile(x) for x in operands], need)

    def as_conditions(
        self, owner: exp.Expression, operands: list[exp.Expression], nodes: list[Node], need: str
    ) -> list[Node]:
        """:meth:`conditions` of operands already compiled (to ``nodes``)."""
        takes = {Kind.BOOL, Kind.NULL} | (set() if self.rules.typed else NUMERIC)
        for x, node in zip(operands, nodes, strict=True):
            if node.kind not in takes:
                if self.rules.typed:
                    raise self.kind_error(owner, need, [n.kind for n in nodes])
                raise Unsupported(f"{self.describe(x)} as a condition", x)
        return [self._truth_value(n) for n in nodes]

    def column_name(self, e: exp.Expression) -> str | None:
        """The table column an expression names (through parentheses), or None."""
        while isinstance(e, exp.Paren):
            e = e.this
        if not isinstance(e, exp.Column):
            return None
        try:
            return self._resolve(e)
        except Unsupported:
            return None

    def const(self, kind: Kind, value: Any, months: int = 0) -> Node:
        return Node(kind, lambda env: full(kind, env.n, value), months=months)

    def cast(self, node: Node, target: Kind, length: int | None = None) -> Node:
        if node.kind is target and length is None:
            return node
        if node.kind is not Kind.NULL and not castable(node.kind, target):
            raise Unsupported(f"a cast from {node.kind} to {target}")
        python = self.rules.python_text
        return self._fold_if_constant(
            Node(target, lambda env: cast_vec(node.fn(env), target, env, length, python), node.columns)
        )

    # -- helpers for the handlers ------------------------------------------------------------

    def describe(self, e: exp.Expression) -> str:
        return describe(e, self.rules.sqlglot)

    def kind_error(self, owner: exp.Expression, need: str | None, got: list[Kind]) -> KindError:
        kinds = sorted(set(got) - {Kind.NULL}) if need is None else got
        return KindError(f"{self.describe(owner)} on {' and '.join(kinds)}", owner, need, kinds)

    @staticmethod
    def map(kind: Kind, f: Callable[[Vec], Vec], node: Node) -> Node:
        return Node(kind, lambda env: f(node.fn(env)), node.columns)

    def text(self, e: exp.Expression) -> Node:
        """``e`` as text: other kinds are cast, as the string functions do."""
        node = self.compile(e)
        return node if node.kind is Kind.STR else self.cast(node, Kind.STR)

    def constant_text(self, e: exp.Expression, what: str) -> str | None:
        """The value of a constant text argument (a pattern, TRIM's characters); None for NULL."""
        node = self.text(e)
        if not node.constant:
            raise Unsupported(f"a {what} pattern that is not a constant")
        value = node.value()
        return None if value is None else str(value)

    def numeric(self, e: exp.Expression, owner: exp.Expression) -> Node:
        node = self.compile(e)
        if node.kind not in NUMERIC | {Kind.NULL}:
            raise self.kind_error(owner, "needs a number", [node.kind])
        return node

    def signed(self, e: exp.Expression, owner: exp.Expression) -> Node:
        """What ``-x`` and ``abs(x)`` take: a number, or in SQL an interval too."""
        node = self.compile(e)
        if node.kind not in NUMERIC | {Kind.NULL} | (set() if self.rules.typed else {Kind.INTERVAL}):
            raise self.kind_error(owner, "needs a number", [node.kind])
        return node

    def unify(self, nodes: list[Node], owner: exp.Expression) -> tuple[Kind, list[Node]]:
        """One kind for values that meet (comparison sides, CASE branches, COALESCE arguments):
        numbers widen, dates become timestamps, and in SQL a string constant is read as the
        other kind (the typed language refuses what it would have to convert)."""
        kinds = {n.kind for n in nodes} - {Kind.NULL}
        if not kinds:
            return Kind.NULL, nodes
        typed = self.rules.typed
        if len(kinds) > 1 and Kind.STR in kinds:
            if typed or not all(n.constant for n in nodes if n.kind is Kind.STR):
                raise self.kind_error(owner, None, [n.kind for n in nodes])
            kinds.discard(Kind.STR)
        if kinds <= NUMERIC | {Kind.BOOL} and len(kinds) > 1 and not (typed and Kind.BOOL in kinds):
            target = Kind.NUM if Kind.NUM in kinds else Kind.INT
        elif kinds <= TEMPORAL and len(kinds) > 1:
            target = Kind.DATETIME
        elif kinds == {Kind.TIME, Kind.INTERVAL}:
            target = Kind.INTERVAL
        elif len(kinds) == 1:
            target = kinds.pop()
        else:
            raise self.kind_error(owner, None, [n.kind for n in nodes])
        return target, [n if n.kind in (target, Kind.NULL) else self.cast(n, target) for n in nodes]

    def compare(self, op: str, a: Node, b: Node, owner: exp.Expression) -> Node:
        _, (a, b) = self.unify([a, b], owner)
        if {a.kind, b.kind} == {Kind.JSON}:
            raise Unsupported("a comparison of JSON values")
        rules = self.rules
        return Node(
            Kind.BOOL, lambda env: compare_vec(op, a.fn(env), b.fn(env), rules), a.columns | b.columns
        )

    def chain(self, f: Callable[[Vec, Vec], Vec], nodes: list[Node]) -> Node:
        """``AND``/``OR`` of ``nodes`` left to right. Like the databases, a later operand only
        counts where the result is still open: ``b <> 0 AND a / b > 1`` raises no error where
        ``b = 0``. An empty chain is the operator's identity."""
        if not nodes:  # x = ANY ('{}') is false, x = ALL ('{}') true
            return self.const(Kind.BOOL, f is and_)
        stop = 1 if f is and_ else 0  # AND stops at FALSE, OR at TRUE
        # A constant that decides the result decides it wherever it stands, as PostgreSQL's
        # constant folding does: 1 BETWEEN b / b AND 0 is FALSE, not an error, when b = 0.
        deciding = f is not and_
        if any(n.constant and n.value() is not None and bool(n.value()) is deciding for n in nodes):
            return self.const(Kind.BOOL, deciding)

        def run(env: Env) -> Vec:
            out = nodes[0].fn(env)
            for n in nodes[1:]:
                open_rows = ~truth(out)[stop]
                out = f(out, guarded(env, n, open_rows))
            return out

        return Node(Kind.BOOL, run, frozenset().union(*(n.columns for n in nodes)))

    def every(self, f: Callable[[Vec, Vec], Vec], nodes: list[Node]) -> Node:
        """``IN (...)`` and ``ANY``/``ALL (ARRAY[...])``: every item is evaluated (the database
        builds the whole list first), so an error anywhere in it counts."""
        if not nodes:
            return self.const(Kind.BOOL, f is and_)

        def run(env: Env) -> Vec:
            out = nodes[0].fn(env)
            for n in nodes[1:]:
                out = f(out, n.fn(env))
            return out

        return Node(Kind.BOOL, run, frozenset().union(*(n.columns for n in nodes)))

    # -- internals ---------------------------------------------------------------------------

    def _truth_value(self, node: Node) -> Node:
        if node.kind is Kind.BOOL:
            return node
        if node.kind is Kind.NULL:  # a CASE of NULLs still evaluates its conditions (and their errors)
            return self.const(Kind.BOOL, None) if node.constant else self.map(Kind.BOOL, _unknown, node)
        return self.map(Kind.BOOL, lambda v: vec(Kind.BOOL, v.values != 0, v.null), node)

    def _fold(self, node: Node) -> Node:
        env = Env({}, 1)
        v = node.fn(env)
        if env.errors[0]:  # e.g. 1/0: the database refuses every row

            def failing(env: Env, v: Vec = v) -> Vec:
                env.errors |= True
                return full(v.kind, env.n, None)

            return Node(node.kind, failing, months=node.months)
        value = None if v.null[0] else v.values[0]
        return self.const(node.kind, value, node.months)

    def _fold_if_constant(self, node: Node) -> Node:
        return self._fold(node) if node.constant else node

    def _resolve(self, e: exp.Column) -> str:
        name, quoted = e.name, bool(e.this.args.get("quoted"))
        if self.value_column is not None and not quoted and name.upper() == "VALUE":
            name = self.value_column
        known = [*self.kinds, *self.unavailable]
        if name not in known:
            folded = [k for k in known if k.lower() == name.lower()]
            if len(folded) != 1:
                raise Unsupported(f"the unknown column '{name}'")
            name = folded[0]
        if name in self.unavailable:
            raise Unsupported(self.unavailable[name])
        return name

    # -- leaves ------------------------------------------------------------------------------

    def _column(self, e: exp.Column) -> Node:
        name = self._resolve(e)
        kind = self.kinds[name]
        if kind is not Kind.STR or name not in self.padded:
            return Node(kind, lambda env: env.columns[name], frozenset({name}))
        width = self.padded[name]

        def trimmed(env: Env) -> Vec:
            v = env.columns[name]
            return Vec(v.kind, np.array([s.rstrip(" ") for s in v.values], dtype=object), v.null)

        def stored(env: Env) -> Vec:  # the database pads what it stores to the declared width
            v = env.columns[name]
            return vec(v.kind, [s.ljust(width) for s in v.values], v.null) if width else v

        return Node(kind, trimmed, frozenset({name}), padded=stored)

    def _literal(self, e: exp.Literal) -> Node:
        if e.is_string:
            return self.const(Kind.STR, e.this)
        text = str(e.this)
        if re.fullmatch(r"\d+", text) and int(text) < 2**63:
            return self.const(Kind.INT, int(text))
        return self.const(Kind.NUM, float(text))

    def _interval(self, e: exp.Interval) -> Node:
        unit = e.args.get("unit")
        text = (
            f"{e.this.name if isinstance(e.this, exp.Literal) else e.this.sql()} {unit.name if unit else ''}"
        )
        return self._interval_const(text)

    def _interval_const(self, text: str) -> Node:
        try:
            months, rest = parse_interval(text)
        except ValueError:
            raise Unsupported(f"the interval '{text.strip()}'") from None
        return self.const(Kind.INTERVAL, rest + np.timedelta64(months * 30 * DAY_US, "us"), months)

    def _cast(self, e: exp.Cast) -> Node:
        to: exp.DataType = e.to
        if to.this == _T.USERDEFINED:
            return self.compile(e.this)  # an enum label or a domain: the value is unchanged
        target = CAST_KIND.get(to.this)
        if target is None:
            raise Unsupported(f"the cast to {to.sql()}")
        inner = self.compile(e.this)
        if target is Kind.INTERVAL and inner.kind is Kind.STR and inner.constant:
            return self._interval_const(str(inner.value()))
        params = [p for p in to.expressions if isinstance(p, exp.DataTypeParam)]
        length = int(params[0].name) if target is Kind.STR and params and params[0].name.isdigit() else None
        return self.cast(inner, target, length)

    # -- logic and comparisons ---------------------------------------------------------------

    def _logic(self, f: Callable[[Vec, Vec], Vec], e: exp.Expression) -> Node:
        return self.chain(f, self.conditions(e, [e.this, e.expression], "needs conditions"))

    def _xor(self, e: exp.Xor) -> Node:
        a, b = self.conditions(e, [e.this, e.expression], "needs conditions")

        def run(env: Env) -> Vec:
            va, vb = a.fn(env), b.fn(env)
            return vec(Kind.BOOL, va.values != vb.values, va.null | vb.null)

        return Node(Kind.BOOL, run, a.columns | b.columns)

    def _is(self, e: exp.Is) -> Node:
        inner, target = self.compile(e.this), e.expression
        if isinstance(target, exp.Null):
            node = self.map(Kind.BOOL, lambda v: vec(Kind.BOOL, v.null, np.zeros(len(v.null), bool)), inner)
        elif isinstance(target, exp.Boolean):
            cond, want = self.condition(e.this, e), bool(target.this)
            node = self.map(
                Kind.BOOL, lambda v: vec(Kind.BOOL, truth(v)[0 if want else 1], v.null & False), cond
            )
        else:
            raise Unsupported(self.describe(e))
        return self.map(Kind.BOOL, not_, node) if e.args.get("negate") else node

    def _comparison(self, e: exp.Expression) -> Node:
        op, left = _CMP[type(e)], self.compile(e.this)
        over = quantified(e.expression)
        if over is None:
            return self.compare(op, left, self.compile(e.expression), e)
        combine, items = over
        nodes = [self.compare(op, left, self.compile(item), e) for item in items]
        return self.every(or_ if combine == "any" else and_, nodes)

    def _null_safe(self, e: exp.Expression) -> Node:
        _, (a, b) = self.unify([self.compile(e.this), self.compile(e.expression)], e)
        negate, rules = isinstance(e, exp.NullSafeNEQ), self.rules

        def run(env: Env) -> Vec:
            va, vb = a.fn(env), b.fn(env)
            same = compare_vec("eq", va, vb, rules).values
            out = np.where(va.null | vb.null, va.null & vb.null, same)
            return vec(Kind.BOOL, out != negate, np.zeros(env.n, bool))

        return Node(Kind.BOOL, run, a.columns | b.columns)

    def _in(self, e: exp.In) -> Node:
        if e.args.get("query") or e.args.get("unnest") or e.args.get("field"):
            raise Unsupported("IN over a subquery")
        left = self.compile(e.this)
        return self.every(or_, [self.compare("eq", left, self.compile(x), e) for x in e.expressions])

    def _between(self, e: exp.Between) -> Node:
        x, low, high = self.compile(e.this), self.compile(e.args["low"]), self.compile(e.args["high"])
        # PostgreSQL plans BETWEEN as x >= low AND x <= high, short-circuit included
        inside = self.chain(and_, [self.compare("ge", x, low, e), self.compare("le", x, high, e)])
        if not e.args.get("symmetric"):
            return inside
        swapped = self.chain(and_, [self.compare("ge", x, high, e), self.compare("le", x, low, e)])
        return self.chain(or_, [inside, swapped])


def _unknown(v: Vec) -> Vec:
    return full(Kind.BOOL, len(v.null), None)


def quantified(e: exp.Expression) -> tuple[Literal["any", "all"], list[exp.Expression]] | None:
    """``= ANY (ARRAY[...])`` / ``<> ALL (ARRAY[...])`` (PostgreSQL's spelling of IN lists): the
    quantifier and the array's elements, each cast to the array's element type when it has one."""
    if isinstance(e, exp.Any):
        combine: Literal["any", "all"] = "any"
        inner = e.this
    elif isinstance(e, exp.All) or (isinstance(e, exp.Anonymous) and str(e.this).upper() == "ALL"):
        combine, inner = (
            "all",
            (e.this if isinstance(e, exp.All) else e.expressions[0] if e.expressions else None),
        )
    else:
        return None
    element_type = None
    while isinstance(inner, exp.Paren | exp.Cast):
        if isinstance(inner, exp.Cast) and inner.to.this == _T.ARRAY and inner.to.expressions:
            element_type = inner.to.expressions[0]
        inner = inner.this
    if not isinstance(inner, exp.Array):
        raise Unsupported(f"{combine.upper()} over something other than an ARRAY[...] literal")
    items = list(inner.expressions)
    if element_type is not None:
        items = [exp.Cast(this=x, to=element_type.copy()) for x in items]
    return combine, items


_CORE: dict[type[exp.Expression], Callable[[Compiler, Any], Node]] = {
    exp.Paren: lambda c, e: c.compile(e.this),
    # MySQL 8 prints string literals with their character set: _utf8mb4'G'
    exp.Introducer: lambda c, e: c.compile(e.expression),
    exp.Column: Compiler._column,
    exp.Literal: Compiler._literal,
    exp.Null: lambda c, e: c.const(Kind.NULL, None),
    exp.Boolean: lambda c, e: c.const(Kind.BOOL, bool(e.this)),
    exp.Cast: Compiler._cast,
    exp.Interval: Compiler._interval,
    exp.And: lambda c, e: c._logic(and_, e),
    exp.Or: lambda c, e: c._logic(or_, e),
    exp.Xor: Compiler._xor,
    exp.Not: lambda c, e: c.map(Kind.BOOL, not_, c.condition(e.this, e)),
    exp.Is: Compiler._is,
    exp.NullSafeEQ: Compiler._null_safe,
    exp.NullSafeNEQ: Compiler._null_safe,
    exp.In: Compiler._in,
    exp.Between: Compiler._between,
    **dict.fromkeys(_CMP, Compiler._comparison),
}
# The handlers of the other modules, which see the compiler through the Compiling protocol.
HANDLERS: dict[type[exp.Expression], Handler] = {
    **arithmetic.HANDLERS,
    **functions.HANDLERS,
    **conditional.HANDLERS,
    **patterns.HANDLERS,
}
