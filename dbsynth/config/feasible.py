"""Whether a column's generator can do what the config asks, for the rows the table will get.

A generator that is well formed may still be unable to fill its column: a unique ``regex`` whose
pattern spells 2 strings for a table of 40 rows, a ``sequence`` that runs past what the column's
integer type (or a 64-bit integer) holds, an ``expression`` that divides by a constant zero (the
formula language makes that NULL, every row) or always gives text longer than the column, a
``range`` (or choice, constant, regex) none of whose values a CHECK on the column accepts. Each of
these would otherwise fail late, in generate, or pass silently with NULLs or repaired values.

:func:`problems` answers with (parameter, message) pairs like a generator's own ``for_column``.
The row count is what the table will get when the config alone decides it (``rows``, or the
source's count times ``scale``); without a count, the checks that need one are skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlalchemy as sa
import sqlglot
from sqlglot import exp

from dbsynth.columns.base import ColumnModel
from dbsynth.columns.generators.expression import ExpressionGenerator
from dbsynth.columns.generators.regex import RegexGenerator
from dbsynth.columns.generators.simple import (
    ChoiceGenerator,
    ConstantGenerator,
    RangeGenerator,
    SequenceGenerator,
)
from dbsynth.columns.numeric import integer_bounds
from dbsynth.db import connect
from dbsynth.expr.compile import Compiler
from dbsynth.expr.dialects import DIALECT_ALIASES, DIALECTS, FORMULA
from dbsynth.expr.formula import parse_formula
from dbsynth.expr.logic import truth
from dbsynth.expr.values import LOGICAL_KIND, Env, Kind, Unsupported, column_vec
from dbsynth.schema import Column, LogicalType, Schema, Table

Problem = tuple[str | None, str]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# How many values of a generator are tried against the column's CHECKs.
PROBES = 257


def problems(model: ColumnModel, column: Column, table: Table, rows: int | None, unique: bool,
             dialect: str) -> list[Problem]:  # fmt: skip
    """What keeps ``model`` from filling ``column`` of ``table`` for ``rows`` rows (None: unknown),
    ``unique`` when the values must be distinct; empty when nothing does."""
    found: list[Problem] = []
    if unique and rows is not None:
        found += _capacity(model, rows)
    if isinstance(model, SequenceGenerator):
        found += _sequence(model, column, rows, dialect)
    if isinstance(model, ExpressionGenerator):
        found += _expression(model, column)
    if isinstance(model, RangeGenerator | ChoiceGenerator | ConstantGenerator | RegexGenerator):
        found += _checks(model, column, table, dialect)
    return found


def integer_range(column: Column, dialect: str) -> tuple[int, int]:
    """The values an integer column holds (an unknown spelling counts as 64-bit)."""
    if dialect == "sqlite":
        return INT64_MIN, INT64_MAX
    return integer_bounds(column)


def _capacity(model: ColumnModel, rows: int) -> list[Problem]:
    if isinstance(model, RegexGenerator):
        cap = model.capacity()
        if cap < rows:
            return [("pattern", f"pattern '{model.pattern}' makes only {cap:,} distinct value(s), and the "
                     f"unique column gets {rows:,} rows")]  # fmt: skip
    if isinstance(model, RangeGenerator) and model.integer and model.distribution == "uniform":
        cap = math.floor(model.high) - math.ceil(model.low) + 1
        if cap < rows:
            return [("max", f"the range [{model.low:g}, {model.high:g}] holds only {cap:,} distinct "
                     f"integer(s), and the unique column gets {rows:,} rows")]  # fmt: skip
    return []


def _sequence(model: SequenceGenerator, column: Column, rows: int | None, dialect: str) -> list[Problem]:
    last = model.start + model.step * max((rows or 1) - 1, 0)
    low, high = min(model.start, last), max(model.start, last)
    at = f" at row {rows:,}" if rows else ""
    what = f"sequence start {model.start} step {model.step}"
    if model.logical is LogicalType.INTEGER:
        lo, hi = integer_range(column, dialect)
        if low < lo or high > hi:
            bound = hi if high > hi else lo
            return [("start", f"{what} reaches {last}{at}, beyond {bound}, the limit of the column's "
                     f"type {column.sql_type}")]  # fmt: skip
    if low < INT64_MIN or high > INT64_MAX:
        return [("start", f"{what} reaches {last}{at}, beyond the 64-bit integers it is computed in")]
    if model.logical in (LogicalType.STRING, LogicalType.TEXT) and column.length is not None:
        shown = [model.format.format(n) if model.format else str(n) for n in (model.start, last)]
        longest = max(shown, key=len)
        if len(longest) > column.length:
            return [("format" if model.format else "start", f"{what} writes '{longest}'{at}, longer than "
                     f"the {column.length} characters of {column.sql_type}")]  # fmt: skip
    return []


def _expression(model: ExpressionGenerator, column: Column) -> list[Problem]:
    formula = parse_formula(model.expression)
    kinds = {name: LOGICAL_KIND[lt] for name, lt in model.inputs.items() if lt in LOGICAL_KIND}
    compiler = Compiler(kinds, FORMULA)
    for node in formula.tree.find_all(exp.Div, exp.Mod, exp.IntDiv):
        try:
            divisor = compiler.compile(node.expression)
        except Unsupported:
            continue
        value = divisor.value() if divisor.constant else None
        if divisor.constant and value is not None and value == 0:
            return [("expression", f"expression '{model.expression}' divides by zero: every row would be "
                     "NULL")]  # fmt: skip
    if model.logical in (LogicalType.STRING, LogicalType.TEXT) and column.length is not None:
        try:
            whole = compiler.compile(formula.tree)
        except Unsupported:
            return []
        text = whole.value() if whole.constant else None
        if text is not None and len(str(text)) > column.length:
            return [("expression", f"expression '{model.expression}' gives {len(str(text))} characters; "
                     f"the column holds {column.length} ({column.sql_type})")]  # fmt: skip
    return []


def _checks(model: ColumnModel, column: Column, table: Table, dialect: str) -> list[Problem]:
    """A CHECK on this column alone that no value of the generator passes: the engine could only
    repair every row, or the target refuse the load."""
    kind = LOGICAL_KIND.get(column.logical)
    rules = DIALECTS.get(DIALECT_ALIASES.get(dialect, dialect))
    if kind is None or rules is None:
        return []
    values: pd.Series | None = None
    for check in table.checks:
        if check.source == "domain" or tuple(check.columns) != (column.name,):
            continue
        passes = _compiled(check.expression, column.name, kind, rules.sqlglot, rules)
        if passes is None:
            continue
        if values is None:
            u = np.linspace(0.0, 1.0, PROBES)
            values = pd.Series(model.from_uniform(u, np.random.default_rng(0)))
        if not passes(values).any():
            param = _main_param(model)
            label = check.expression.strip()
            return [(param, f"{model.describe()} has no value that the column's CHECK {label} accepts")]
    return []


def _compiled(
    text: str, name: str, kind: Kind, read: str, rules: Any
) -> Callable[[pd.Series], np.ndarray] | None:
    try:
        tree = cast(exp.Expression, sqlglot.parse_one(text, read=read))
        root = Compiler({name: kind}, rules, np.datetime64("now", "us")).condition(tree)
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, Unsupported):
        return None  # left to the database, as generation leaves it

    def passes(values: pd.Series) -> np.ndarray:
        env = Env({name: column_vec(values.reset_index(drop=True), kind)}, len(values))
        _, false = truth(root.fn(env))
        return np.asarray(~false & ~env.errors)

    return passes


def _main_param(model: ColumnModel) -> str | None:
    if isinstance(model, RangeGenerator):
        return "min"
    if isinstance(model, ChoiceGenerator):
        return "values"
    if isinstance(model, ConstantGenerator):
        return "value"
    if isinstance(model, RegexGenerator):
        return "pattern"
    return None


# A table is counted up to here: a lower bound is enough to refuse what cannot fit, and the count
# of a table with billions of rows must not take minutes of a read-only check.
COUNT_LIMIT = 10_000_000


def count_rows(url: str, schema: Schema, keys: Iterable[str]) -> dict[str, int]:
    """The row count of each table of ``keys`` that has no ``row_estimate`` (SQLite, a large
    table PostgreSQL never analyzed), counted read-only up to :data:`COUNT_LIMIT`."""
    wanted = [schema.table(k) for k in keys if schema.has_table(k) and schema.table(k).row_estimate is None]
    if not wanted:
        return {}
    out: dict[str, int] = {}
    with connect(url, read_only=True) as conn:
        for table in wanted:
            source = sa.table(table.name, schema=table.schema)
            inner: sa.Select[Any] = sa.select(sa.literal_column("1")).select_from(source)
            query = sa.select(sa.func.count()).select_from(inner.limit(COUNT_LIMIT).subquery())
            out[table.key] = int(conn.execute(query).scalar_one())
    return out
