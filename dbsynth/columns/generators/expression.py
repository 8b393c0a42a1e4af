"""``generator: expression``: a column computed from the row's other columns.

    full_name: {generator: expression, expression: "first_name + ' ' + last_name"}
    total:     {generator: expression, expression: "round(price * quantity * 1.19, 2)"}

The formula language and its evaluation are the SQL-expression engine's (``dbsynth.expr.formula``
describes the language); this module binds a formula to a table when the config is read (the
columns it reads, the type it gives against the column it fills) and writes its values.

A number with a fraction written to an integer column (``qty: "price"``) is rounded half away
from zero, as ``round(x)`` and PostgreSQL's and MySQL's casts to integer do; a result no 64-bit
integer holds stops the run with an error naming the column.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from dbsynth.columns.base import FitContext
from dbsynth.columns.generators.base import (
    GeneratorModel,
    Param,
    ParamProblems,
    Problem,
    describe_type,
    register_generator,
)
from dbsynth.errors import GenerationError, did_you_mean
from dbsynth.expr.casts import as_text
from dbsynth.expr.formula import FormulaError, compile_formula, parse_formula
from dbsynth.expr.functions import round_half_away
from dbsynth.expr.values import LOGICAL_KIND, NUMERIC, Env, Kind, Node, Vec, column_vec
from dbsynth.schema import Column, LogicalType, Table

# The column types a formula reads and fills: those with a value kind of the language.
COLUMN_KIND: dict[LogicalType, Kind] = {
    lt: LOGICAL_KIND[lt]
    for lt in (
        LogicalType.INTEGER,
        LogicalType.DECIMAL,
        LogicalType.FLOAT,
        LogicalType.STRING,
        LogicalType.TEXT,
        LogicalType.ENUM,
        LogicalType.UUID,
        LogicalType.BOOLEAN,
        LogicalType.DATE,
        LogicalType.TIMESTAMP,
        LogicalType.TIMESTAMPTZ,
    )
}
# What a formula of each kind may fill: text columns take anything (as text).
FILLS: dict[Kind, frozenset[Kind]] = {
    Kind.INT: frozenset({Kind.INT, Kind.NUM}),
    Kind.NUM: frozenset({Kind.INT, Kind.NUM}),
    Kind.STR: frozenset(Kind),
    Kind.BOOL: frozenset({Kind.BOOL}),
    Kind.DATE: frozenset({Kind.DATE, Kind.DATETIME}),
    Kind.DATETIME: frozenset({Kind.DATE, Kind.DATETIME}),
}


@cache
def _compiled(expression: str, inputs: tuple[tuple[str, Kind], ...]) -> Node:
    return compile_formula(parse_formula(expression), dict(inputs))


# -- the model ---------------------------------------------------------------------------------


@register_generator("expression")
@dataclass(frozen=True)
class ExpressionGenerator(GeneratorModel):
    """``expression`` over the row's columns ``inputs`` (name → logical type), written to a
    column of type ``logical``. ``derived``: the engine calls :meth:`derive` once the chunk's
    other columns exist; ``from_uniform`` cannot be used (there is no row to compute from)."""

    summary = "computed from other columns of the row: expression: \"first_name + ' ' + last_name\""
    params = (Param("expression", ("string",), required=True, doc="the formula over the row's columns"),)
    derived = True

    expression: str
    logical: LogicalType
    inputs: dict[str, LogicalType]

    @classmethod
    def check_params(cls, params: Mapping[str, Any], ctx: FitContext) -> list[Problem]:
        try:
            parse_formula(params["expression"])
        except FormulaError as exc:
            return [("expression", f"expression '{params['expression']}': {exc}")]
        return []

    @classmethod
    def for_column(
        cls, params: Mapping[str, Any], column: Column, ctx: FitContext, table: Table
    ) -> ExpressionGenerator:
        text = params["expression"]
        out = COLUMN_KIND.get(column.logical)
        if out is None:
            raise ParamProblems([(None, f"generator expression cannot fill {column.logical} columns; "
                                  f"{describe_type(column)}")])  # fmt: skip
        readable = {
            c.name: COLUMN_KIND[c.logical]
            for c in table.columns
            if c.logical in COLUMN_KIND and c.generated is None and c.name != column.name
        }
        problems: list[Problem] = []
        used: dict[str, LogicalType] = {}
        seen: set[str] = set()
        for name, pos in parse_formula(text).columns:
            if name in seen:
                continue
            seen.add(name)
            at = f"at character {pos + 1}"
            if name == column.name:
                problems.append(
                    ("expression", f"expression '{text}': a column cannot be computed from itself {at}")
                )
            elif name not in table.column_names:
                hint = did_you_mean(name, table.column_names)
                problems.append(
                    (
                        "expression",
                        f"expression '{text}': unknown column '{name}' {at}" + (f".{hint}" if hint else ""),
                    )
                )
            elif table.column(name).generated is not None:
                problems.append(
                    (
                        "expression",
                        f"expression '{text}': {name} is a generated column, which dbsynth does not write",
                    )
                )
            elif name not in readable:
                problems.append(
                    (
                        "expression",
                        f"expression '{text}': an expression cannot read {describe_type(table.column(name))}",
                    )
                )
            else:
                used[name] = table.column(name).logical
        if problems:
            raise ParamProblems(problems)
        try:
            kind = compile_formula(parse_formula(text), readable).kind
        except FormulaError as exc:
            raise ParamProblems([("expression", f"expression '{text}': {exc}")]) from None
        if kind is not Kind.NULL and kind not in FILLS[out]:
            raise ParamProblems(
                [("expression", f"expression '{text}' gives {kind}; {describe_type(column)}")]
            )
        return cls(text, column.logical, used)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        raise GenerationError(
            f"expression '{self.expression}' is computed from the row: "
            "the engine must call derive(frame, rng)"
        )

    def derive(self, frame: pd.DataFrame, rng: np.random.Generator) -> Any:
        """The expression's value for every row of ``frame`` (which holds the input columns),
        with None/NaN/NaT where it is NULL; values are of the output column's type."""
        inputs = tuple(sorted((name, COLUMN_KIND[lt]) for name, lt in self.inputs.items()))
        node = _compiled(self.expression, inputs)
        n = len(frame)
        missing = [name for name, _ in inputs if name not in frame.columns]
        if missing:
            raise GenerationError(f"expression '{self.expression}' needs column(s) {', '.join(missing)}")
        env = Env({name: column_vec(frame[name].reset_index(drop=True), k) for name, k in inputs}, n)
        return _output(node.fn(env), COLUMN_KIND[self.logical], n)

    def describe(self) -> str:
        return f"computed: {self.expression} (config)"


def _output(v: Vec, out: Kind, n: int) -> Any:
    if v.kind is Kind.NULL:
        return np.full(n, None, dtype=object)
    if out is Kind.STR:
        text = as_text(v, python=True)
        text[v.null] = None
        return text
    if out in NUMERIC:
        if v.kind is Kind.INT and out is Kind.INT:
            return pd.Series(pd.arrays.IntegerArray(v.values.astype(np.int64), v.null.copy()))
        numbers = v.values.astype(np.float64)
        if out is Kind.INT:  # a fraction into an integer column: rounded as SQL's casts round
            numbers = round_half_away(numbers, 0)
        return np.where(v.null, np.nan, numbers)
    if out is Kind.BOOL:
        flags = v.values.astype(object)
        flags[v.null] = None
        return flags
    stamps = v.values.astype("datetime64[us]").copy()
    stamps[v.null] = np.datetime64("NaT")
    return pd.Series(stamps)
