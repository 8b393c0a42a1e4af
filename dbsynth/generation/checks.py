"""CHECK constraints at generation time: compile, evaluate on a batch, derive hints, repair.

A table's CHECKs (its own and those of the domains its columns use) come as source-dialect text.
:func:`table_checks` compiles each with sqlglot into a :class:`CompiledCheck` whose ``evaluate``
runs on a whole batch at once (``dbsynth.expr``), or leaves it to the database with the
reason (:class:`LeftToDatabase`), which the engine reports: the target then checks it itself.

From each compiled check come :class:`Hints`, facts the generator can honour by construction:
numeric and temporal bounds, allowed and excluded values, string lengths, patterns, NOT NULL and
column orderings. Hints are only ever *implied* by the check (never stricter than it), and apply
to non-NULL values, as a CHECK does: ``qty > 0`` lets a NULL ``qty`` through.

The generator then runs, per batch, ``checks.enforce(frame, resample)``, which is::

    frame = apply_hints(frame, checks.hints)           # bounds, sets, lengths: by construction
    frame = repair(frame, checks.compiled, resample, hints=checks.hints).frame  # resample the rest

Invariants:

* ``evaluate`` is True for a row exactly when the database would accept it for that CHECK (TRUE
  or NULL), up to the differences listed in ``dbsynth.expr``; a row on which the
  database would raise an error (division by zero) is False.
* Bounds in hints are inclusive and already stepped for the column's type: ``qty > 0`` on an
  integer is ``qty >= 1``, ``price > 0`` on ``numeric(10,2)`` is ``price >= 0.01``.
* ``now()`` and ``CURRENT_DATE`` mean one reference time fixed when the check is compiled, so the
  same batch always evaluates the same way.
"""

from __future__ import annotations

import contextlib
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, cast

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from dbsynth.errors import GenerationError, SchemaError, UnsupportedDatabase, did_you_mean
from dbsynth.expr.casts import CAST_KIND
from dbsynth.expr.compile import Compiler, quantified
from dbsynth.expr.dialects import DIALECT_ALIASES, DIALECTS, DialectRules, blank_padded_length
from dbsynth.expr.logic import truth
from dbsynth.expr.patterns import like_regex, posix_regex
from dbsynth.expr.values import LOGICAL_KIND, NUMERIC, TEMPORAL, Env, Kind, Node, Unsupported, column_vec
from dbsynth.schema import CheckConstraint, Column, Domain, LogicalType, Schema, Table

__all__ = [
    "CheckOrder",
    "ColumnHints",
    "CompiledCheck",
    "Hints",
    "LeftToDatabase",
    "Pattern",
    "RepairResult",
    "TableChecks",
    "apply_hints",
    "check_or_reason",
    "compile_check",
    "repair",
    "table_checks",
]

OrderOp = Literal["<", "<=", ">", ">="]


# -- hints -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """A pattern values must match: ``regex`` is Python ``re`` syntax with search semantics
    (a LIKE pattern becomes an anchored regex); ``source`` is the pattern as the check wrote it."""

    regex: str
    source: str
    kind: Literal["regex", "like"]
    ignore_case: bool = False

    def describe(self) -> str:
        op = {("like", False): "like", ("like", True): "ilike", ("regex", False): "~", ("regex", True): "~*"}
        return f"{op[self.kind, self.ignore_case]} {_show(self.source)}"


@dataclass(frozen=True)
class ColumnHints:
    """What the checks say about one column's non-NULL values. ``low``/``high`` are inclusive
    (``int`` for integers, ``float`` for decimals and floats, ``pd.Timestamp`` for dates and
    timestamps, ``pd.Timedelta`` for times and intervals); ``allowed`` is None when any value
    may do, and never holds a value the bounds, exclusions or lengths rule out. ``padded`` is
    set for a blank-padded ``char(n)``, whose trailing blanks the checks do not see."""

    column: str
    logical: LogicalType
    scale: int | None = None
    low: Any = None
    high: Any = None
    allowed: tuple[Any, ...] | None = None
    excluded: tuple[Any, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    patterns: tuple[Pattern, ...] = ()
    not_null: bool = False
    padded: bool = False

    def merge(self, other: ColumnHints) -> ColumnHints:
        """Both sets of facts at once (the tighter bound wins, allowed sets intersect)."""
        allowed = self.allowed
        if other.allowed is not None:
            allowed = other.allowed if allowed is None else tuple(v for v in allowed if v in other.allowed)
        merged = replace(
            self,
            low=_pick(max, self.low, other.low),
            high=_pick(min, self.high, other.high),
            allowed=allowed,
            excluded=_unique(self.excluded + other.excluded),
            min_length=_pick(max, self.min_length, other.min_length),
            max_length=_pick(min, self.max_length, other.max_length),
            patterns=_unique(self.patterns + other.patterns),
            not_null=self.not_null or other.not_null,
        )
        return merged.consistent()

    def consistent(self) -> ColumnHints:
        """Drop from ``allowed`` what the other facts rule out."""
        if self.allowed is None:
            return self
        return replace(self, allowed=tuple(v for v in self.allowed if self.admits(v)))

    def admits(self, value: Any) -> bool:
        """Whether a non-NULL value satisfies the bounds, exclusions and lengths (not patterns)."""
        if value in self.excluded:
            return False
        if self.allowed is not None and value not in self.allowed:
            return False
        try:
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                return False
        except TypeError:
            return False
        n = len(value) if isinstance(value, str) else None
        if n is not None and (self.min_length or 0) > n:
            return False
        return not (n is not None and self.max_length is not None and n > self.max_length)

    def describe(self) -> str:
        show = self._show
        parts = ["not null"] if self.not_null else []
        parts += [f">= {show(self.low)}"] if self.low is not None else []
        parts += [f"<= {show(self.high)}"] if self.high is not None else []
        if self.allowed is not None:
            parts.append(f"in ({', '.join(show(v) for v in self.allowed)})")
        if self.excluded:
            parts.append(f"not in ({', '.join(show(v) for v in self.excluded)})")
        parts += [f"length >= {self.min_length}"] if self.min_length is not None else []
        parts += [f"length <= {self.max_length}"] if self.max_length is not None else []
        parts += [p.describe() for p in self.patterns]
        return f"{self.column}: {', '.join(parts)}"

    def _show(self, v: Any) -> str:
        if self.logical is LogicalType.DATE and isinstance(v, pd.Timestamp):
            return f"'{v.date().isoformat()}'"
        if self.logical is LogicalType.TIME and isinstance(v, pd.Timedelta):
            return f"'{str(v).removeprefix('0 days ')}'"
        return _show(v)


@dataclass(frozen=True)
class CheckOrder:
    """``left op right`` holds whenever both are non-NULL (``shipped_at >= created_at``)."""

    left: str
    op: OrderOp
    right: str

    def describe(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class Hints:
    """Per-column facts and column orderings, in the order the checks state them."""

    columns: tuple[ColumnHints, ...] = ()
    orderings: tuple[CheckOrder, ...] = ()

    def column(self, name: str) -> ColumnHints | None:
        return next((h for h in self.columns if h.column == name), None)

    def merge(self, other: Hints) -> Hints:
        merged = {h.column: h for h in self.columns}
        for h in other.columns:
            merged[h.column] = merged[h.column].merge(h) if h.column in merged else h
        return Hints(tuple(merged.values()), _unique(self.orderings + other.orderings))

    def describe(self) -> tuple[str, ...]:
        """One line per column and per ordering: what ``--dry-run`` prints and fixtures expect."""
        return tuple(h.describe() for h in self.columns) + tuple(o.describe() for o in self.orderings)


def _pick(f: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else f(a, b)


def _unique(items: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def _show(v: Any) -> str:
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, pd.Timestamp):
        return f"'{v.isoformat(sep=' ')}'"
    if isinstance(v, pd.Timedelta):
        return f"'{v}'"
    return repr(v) if isinstance(v, float) else str(v)


# -- deriving hints from a check's tree ---------------------------------------------------------

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


def _unparen(e: exp.Expression) -> exp.Expression:
    while isinstance(e, exp.Paren):
        e = e.this
    return e


def _flatten(e: exp.Expression, kind: type[exp.Expression]) -> list[exp.Expression]:
    e = _unparen(e)
    if isinstance(e, kind):
        return _flatten(e.this, kind) + _flatten(e.expression, kind)
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


class _HintDeriver:
    """Facts implied by one check: from its top-level AND terms, each of which must hold."""

    def __init__(self, compiler: Compiler, table: Table) -> None:
        self.compiler = compiler
        self.columns = {c.name: c for c in table.columns}

    def hints(self, tree: exp.Expression) -> Hints:
        out = Hints()
        for term in _flatten(tree, exp.And):
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
        e = _unparen(e)
        length = isinstance(e, exp.Length) and not (
            e.args.get("binary") and self.compiler.rules.length_counts_bytes
        )
        if length:
            e = _unparen(e.this)
        targets = []
        while isinstance(e, exp.Cast):
            targets.append(e.to)
            e = _unparen(e.this)
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
        e = _unparen(e)
        if isinstance(e, exp.Not):
            inner = _unparen(e.this)
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
        e = _unparen(e)
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
        return subject[0], _unique(tuple(values))

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
        for part in _flatten(e, exp.Or):
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
                values = _unique(tuple(v for x in listed if x for v in x[1]))
                return self._column_hints(name, allowed=values)
        if len(rest) != 1:
            return Hints()
        facts = self.hints(rest[0])
        return Hints(
            tuple(h for h in facts.columns if guards <= {h.column}),
            tuple(o for o in facts.orderings if guards <= {o.left, o.right}),
        )


# -- compiling ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeftToDatabase:
    """A CHECK dbsynth does not evaluate: the target database checks it on insert."""

    check: CheckConstraint
    table: str
    reason: str

    def describe(self) -> str:
        return f"{_label(self.check)} on {self.table} is left to the database: {self.reason}"


@dataclass(frozen=True, eq=False)
class CompiledCheck:
    """A CHECK that evaluates on batches. ``columns`` are those it reads, in table order;
    ``element_column`` is set for a domain CHECK on an array of that domain, which holds for
    every element (an array passes when all its elements do)."""

    check: CheckConstraint
    table: str
    columns: tuple[str, ...]
    hints: Hints
    root: Node = field(repr=False)
    kinds: dict[str, Kind] = field(repr=False)
    element_column: str | None = None

    @property
    def label(self) -> str:
        return _label(self.check)

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """One bool per row: True when the database accepts the row (the check is TRUE or NULL)."""
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise SchemaError(
                f"the batch for table {self.table} has no column '{missing[0]}', which {self.label} reads."
                + did_you_mean(missing[0], [str(c) for c in frame.columns])
            )
        if self.element_column is not None:
            return self._evaluate_elements(frame[self.element_column])
        env = Env({c: column_vec(frame[c], self.kinds[c]) for c in self.columns}, len(frame))
        return self._passes(env)

    def _passes(self, env: Env) -> np.ndarray:
        _, false = truth(self.root.fn(env))
        return ~false & ~env.errors

    def _evaluate_elements(self, arrays: pd.Series) -> np.ndarray:
        owners, elements = [], []
        for row, value in enumerate(arrays.to_numpy(dtype=object)):
            for item in _leaves(value):
                owners.append(row)
                elements.append(item)
        name = self.element_column
        assert name is not None
        env = Env({name: column_vec(pd.Series(elements, dtype=object), self.kinds[name])}, len(elements))
        ok = np.ones(len(arrays), dtype=bool)
        np.logical_and.at(ok, np.asarray(owners, dtype=np.int64), self._passes(env))
        return ok


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, list | tuple | np.ndarray):
        return [leaf for item in value for leaf in _leaves(item)]
    return [] if value is None else [value]


def _label(check: CheckConstraint) -> str:
    """``CHECK name (text)``, without doubling the parentheses PostgreSQL already prints."""
    text = check.expression.strip()
    if not _wrapped(text):
        text = f"({text})"
    return f"CHECK {check.name} {text}" if check.name else f"CHECK {text}"


def _wrapped(text: str) -> bool:
    """Whether one pair of parentheses encloses all of ``text`` (quotes respected)."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth, quote = 0, None
    for i, ch in enumerate(text):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"`":
            quote = ch
        elif ch in "()":
            depth += 1 if ch == "(" else -1
            if depth == 0 and i < len(text) - 1:
                return False
    return True


def _rules(dialect: str) -> DialectRules:
    name = DIALECT_ALIASES.get(dialect.lower(), dialect.lower())
    if name not in DIALECTS:
        raise UnsupportedDatabase(
            f"dbsynth cannot evaluate CHECKs of dialect '{dialect}'." + did_you_mean(dialect, DIALECTS)
        )
    return DIALECTS[name]


def _reference(now: datetime | None) -> np.datetime64:
    now = now or datetime.now(UTC)
    if now.tzinfo is not None:
        now = now.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(now, "us")


def check_or_reason(
    check: CheckConstraint,
    table: Table,
    dialect: str,
    domain_column: str | None = None,
    *,
    now: datetime | None = None,
    elementwise: bool = False,
) -> CompiledCheck | LeftToDatabase:
    """Compile ``check`` of ``table`` (text in ``dialect``), or say why it is left to the database.

    ``domain_column`` is the column a domain CHECK's ``VALUE`` stands for; with ``elementwise``
    that column is an array of the domain and the check holds per element. ``now`` is the
    reference time of ``now()``/``CURRENT_DATE`` (default: the clock, read once, here).
    Raises :class:`UnsupportedDatabase` for an unknown dialect and :class:`SchemaError` for an
    unknown ``domain_column``: those are the caller's mistakes, not the check's.
    """
    rules = _rules(dialect)
    kinds: dict[str, Kind] = {}
    unavailable: dict[str, str] = {}
    padded: dict[str, int | None] = {}
    for col in table.columns:
        width = blank_padded_length(col.sql_type) if rules.blank_padded_char else False
        if width is not False:
            padded[col.name] = width
        kind = LOGICAL_KIND.get(col.logical)
        if col.generated is not None:
            unavailable[col.name] = f"the generated column '{col.name}' (the database computes it)"
        elif kind is None:
            unavailable[col.name] = f"column '{col.name}' of type {col.sql_type}"
        else:
            kinds[col.name] = kind
    if domain_column is not None and elementwise:
        col = table.column(domain_column)
        element_kind = LOGICAL_KIND.get(col.element) if col.element else None
        if element_kind is None:
            return LeftToDatabase(
                check, table.key, f"dbsynth cannot evaluate elements of type {col.sql_type}"
            )
        kinds[col.name] = element_kind
        unavailable.pop(col.name, None)
    elif domain_column is not None:
        table.column(domain_column)
    try:
        tree = cast(exp.Expression, sqlglot.parse_one(check.expression, read=rules.sqlglot))
    except (ParseError, sqlglot.errors.TokenError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return LeftToDatabase(check, table.key, f"sqlglot cannot parse it ({first})")
    compiler = Compiler(kinds, rules, _reference(now), domain_column, unavailable, padded)
    try:
        root = compiler.condition(tree)
    except Unsupported as err:
        return LeftToDatabase(check, table.key, f"dbsynth cannot evaluate {err}")
    hints = Hints() if elementwise else _HintDeriver(compiler, table).hints(tree)
    columns = tuple(c for c in table.column_names if c in root.columns)
    return CompiledCheck(
        check,
        table.key,
        columns,
        hints,
        root,
        {c: kinds[c] for c in columns},
        domain_column if elementwise else None,
    )


def compile_check(
    check: CheckConstraint,
    table: Table,
    dialect: str,
    domain_column: str | None = None,
    *,
    now: datetime | None = None,
) -> CompiledCheck | None:
    """The compiled check, or None when it is left to the database (:func:`check_or_reason`
    gives the reason; :func:`table_checks` collects them)."""
    result = check_or_reason(check, table, dialect, domain_column, now=now)
    return result if isinstance(result, CompiledCheck) else None


@dataclass(frozen=True)
class TableChecks:
    """Everything generation needs about one table's CHECKs: the compiled ones, the ones the
    target checks itself (to report), and the hints of all compiled ones merged per column."""

    table: str
    compiled: tuple[CompiledCheck, ...]
    left_to_database: tuple[LeftToDatabase, ...]
    hints: Hints

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        ok = np.ones(len(frame), dtype=bool)
        for check in self.compiled:
            ok &= check.evaluate(frame)
        return ok

    def enforce(
        self, frame: pd.DataFrame, resample: Callable[[np.ndarray], pd.DataFrame], max_rounds: int = 20
    ) -> pd.DataFrame:
        """The generator's one call: :func:`apply_hints`, then :func:`repair` (fresh rows get
        the hints too). Raises :class:`GenerationError` when a check cannot be met."""
        fixed = apply_hints(frame, self.hints)
        return repair(fixed, self.compiled, resample, max_rounds, hints=self.hints).frame


def _domain_index(schema: Schema) -> dict[str, Domain]:
    return {f"{d.schema}.{d.name}" if d.schema else d.name: d for d in schema.domains}


def table_checks(table: Table, schema: Schema, *, now: datetime | None = None) -> TableChecks:
    """The table's own CHECKs, then per column those of its domain (``VALUE`` = the column)."""
    domains = _domain_index(schema)
    items: list[tuple[CheckConstraint, str | None, bool]] = [(c, None, False) for c in table.checks]
    for col in table.columns:
        domain = domains.get(col.domain) if col.domain else None
        if domain is not None:
            elementwise = col.logical is LogicalType.ARRAY and domain.logical is not LogicalType.ARRAY
            items += [(c, col.name, elementwise) for c in domain.checks]
    compiled: list[CompiledCheck] = []
    left: list[LeftToDatabase] = []
    reference = now or datetime.now(UTC)
    for check, column, elementwise in items:
        result = check_or_reason(check, table, schema.dialect, column, now=reference, elementwise=elementwise)
        (compiled if isinstance(result, CompiledCheck) else left).append(result)  # type: ignore[arg-type]
    hints = Hints()
    for c in compiled:
        hints = hints.merge(c.hints)
    return TableChecks(table.key, tuple(compiled), tuple(left), hints)


# -- applying hints and repairing batches -------------------------------------------------------


def _nearest(value: Any, allowed: Sequence[Any]) -> Any:
    if isinstance(value, str):
        folded = {str(a).casefold(): a for a in allowed}
        if value.casefold() in folded:
            return folded[value.casefold()]
        # A stable choice (not Python's salted hash), so the same batch always repairs the same way.
        return allowed[zlib.crc32(value.encode()) % len(allowed)]
    try:
        return min(allowed, key=lambda a: (abs(a - value), str(a)))
    except TypeError:
        return allowed[0]


def _apply_column(s: pd.Series, h: ColumnHints) -> pd.Series:
    live = s.notna().to_numpy(dtype=bool)
    aware = isinstance(s.dtype, pd.DatetimeTZDtype)

    def own(v: Any) -> Any:  # hint values are naive UTC; a timestamptz batch is UTC-aware
        return pd.Timestamp(v).tz_localize("UTC") if aware and v is not None else v

    def seen(v: Any) -> Any:  # the value as the checks see it: a char(n) without trailing blanks
        return v.rstrip(" ") if h.padded and isinstance(v, str) else v

    if h.allowed:
        allowed = [own(v) for v in h.allowed]
        bad = live & ~(s.map(seen) if h.padded else s).isin(allowed).to_numpy(dtype=bool)
        if bad.any():
            s = s.copy()
            s.iloc[np.flatnonzero(bad)] = [_nearest(seen(v), allowed) for v in s.iloc[np.flatnonzero(bad)]]
    if h.low is not None or h.high is not None:
        with contextlib.suppress(TypeError):  # a driver's Decimal objects: left to evaluation
            s = s.clip(lower=own(h.low), upper=own(h.high))
    if h.min_length is not None or h.max_length is not None:
        lo, hi = h.min_length or 0, h.max_length

        def fit(v: Any) -> Any:
            if not isinstance(v, str):
                return v
            text = seen(v)
            if len(text) < lo:  # repeat the value's own characters rather than invent new ones
                v = text = (text * (lo // len(text) + 1))[:lo] if text else "x" * lo
            return text[:hi] if hi is not None and len(text) > hi else v

        at = np.flatnonzero(live)
        fitted = [fit(v) for v in s.iloc[at]]
        if fitted != list(s.iloc[at]):
            s = s.copy()
            s.iloc[at] = fitted
    return s


def apply_hints(frame: pd.DataFrame, hints: Hints) -> pd.DataFrame:
    """A copy of ``frame`` with bounds, allowed sets and lengths enforced by construction:
    numbers, dates and times clamped into their bounds, a value outside its allowed set replaced
    by the nearest allowed one (same text ignoring case, else a stable pick), strings padded or
    cut to their length bounds. NULLs are left alone; exclusions, patterns, NOT NULL and
    orderings are left to :func:`repair`. Deterministic: the same frame gives the same result."""
    out = frame.copy()
    for h in hints.columns:
        if h.column in out.columns:
            out[h.column] = _apply_column(out[h.column], h)
    return out


@dataclass(frozen=True)
class RepairResult:
    """The repaired batch; ``rounds`` of resampling it took (0: nothing failed), rows
    ``resampled`` over all rounds, and per check the rows that failed before any repair."""

    frame: pd.DataFrame
    rounds: int
    resampled: int
    violations: tuple[tuple[str, int], ...]


def _show_value(v: Any) -> str:
    if v is None or (not isinstance(v, list | tuple | dict | np.ndarray) and pd.isna(v)):
        return "NULL"
    if isinstance(v, pd.Timestamp | datetime):
        return f"'{pd.Timestamp(v).isoformat(sep=' ')}'"
    return _show(v)


def repair(
    frame: pd.DataFrame,
    checks: Sequence[CompiledCheck],
    resample: Callable[[np.ndarray], pd.DataFrame],
    max_rounds: int = 20,
    *,
    hints: Hints | None = None,
) -> RepairResult:
    """Replace the rows that violate any check with rows from ``resample`` until none does.

    ``resample(mask)`` gets a bool array over the batch's rows and returns one fresh candidate
    row per True position, in position order, with the batch's columns (its index is ignored).
    With ``hints``, fresh rows go through :func:`apply_hints` first. After ``max_rounds`` rounds
    a :class:`GenerationError` names the table, the check and one offending row: only generated
    values, never source data. The returned frame keeps ``frame``'s index and dtypes.
    """
    out = frame.reset_index(drop=True)
    resampled, violations = 0, None
    for rounds in range(max_rounds + 1):
        failing = [(c, ~c.evaluate(out)) for c in checks]
        bad = np.zeros(len(out), dtype=bool)
        for _, mask in failing:
            bad |= mask
        if violations is None:
            violations = tuple((c.label, int(m.sum())) for c, m in failing if m.any())
        if not bad.any():
            return RepairResult(out.set_axis(frame.index), rounds, resampled, violations)
        if rounds == max_rounds:
            check, mask = next((c, m) for c, m in failing if m.any())
            row = out.iloc[int(np.flatnonzero(mask)[0])]
            shown = ", ".join(f"{c}={_show_value(row[c])}" for c in check.columns) or "it reads no column"
            raise GenerationError(
                f"table {check.table}: {check.label} still fails for {int(mask.sum())} of {len(out)} "
                f"generated rows after {max_rounds} rounds of resampling, e.g. {shown}"
            )
        positions = np.flatnonzero(bad)
        fresh = resample(bad.copy())
        if len(fresh) != len(positions):
            raise ValueError(f"resample returned {len(fresh)} rows for {len(positions)} failing rows")
        if hints is not None:
            fresh = apply_hints(fresh, hints)
        fresh = fresh[list(out.columns)].set_axis(positions)
        out = pd.concat([out.drop(index=positions), fresh]).sort_index()
        resampled += len(positions)
    raise AssertionError("unreachable")
