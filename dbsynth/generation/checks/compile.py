"""Compiling one CHECK into a :class:`CompiledCheck` that evaluates on whole batches, or saying
why it is left to the database (:class:`LeftToDatabase`).

``evaluate`` is True for a row exactly when the database would accept it for that CHECK (TRUE or
NULL), up to the differences listed in ``dbsynth.expr``; a row on which the database would
raise an error (division by zero) is False. ``now()`` and ``CURRENT_DATE`` mean one reference
time fixed when the check is compiled, so the same batch always evaluates the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

from dbsynth.errors import SchemaError, UnsupportedDatabase, did_you_mean
from dbsynth.expr.compile import Compiler
from dbsynth.expr.dialects import DIALECT_ALIASES, DIALECTS, DialectRules, blank_padded_length
from dbsynth.expr.logic import truth
from dbsynth.expr.values import LOGICAL_KIND, Env, Kind, Node, Unsupported, column_vec
from dbsynth.generation.checks.derive import HintDeriver
from dbsynth.generation.checks.fallback import fallback_assignment
from dbsynth.generation.checks.hints import Hints
from dbsynth.schema import CheckConstraint, Table


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
    # Values that make the check hold whatever the row's other columns are (one OR branch of
    # equalities and IS NULLs, see fallback.py), or (): repair's last resort before giving up.
    fallback: tuple[tuple[str, Any], ...] = ()

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
    hints = Hints() if elementwise else HintDeriver(compiler, table).hints(tree)
    columns = tuple(c for c in table.column_names if c in root.columns)
    return CompiledCheck(
        check,
        table.key,
        columns,
        hints,
        root,
        {c: kinds[c] for c in columns},
        domain_column if elementwise else None,
        () if elementwise or domain_column else fallback_assignment(tree, table),
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
