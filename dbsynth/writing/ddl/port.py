"""SQL text of the source moved into another dialect: defaults and expressions.

Defaults move only when they are literals or the current date/time (:func:`port_default`);
CHECK, generation and index expressions go through sqlglot (:func:`port_expression`), with
casts of literals removed first: they are how PostgreSQL prints constants (``'Asia'::text``),
and SQLite would read ``CAST('2007-01-01' AS TIMESTAMP)`` as the number 2007; PostgreSQL's
``= ANY (ARRAY[...])`` (how it prints ``IN (...)``) becomes ``IN (...)`` again.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing

from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from dbsynth.schema import Column, LogicalType
from dbsynth.sqltext import SQLGLOT_DIALECTS, SqlTextError, parse_expression
from dbsynth.writing.ddl.dialects import sql_string
from dbsynth.writing.ddl.typemap import mysql_fsp

L = LogicalType

# How each target spells "now" for a column of each logical type ({fsp}: MySQL's digits).
NOW_SQL: dict[str, dict[LogicalType, str]] = {
    "postgresql": {
        L.TIMESTAMP: "CURRENT_TIMESTAMP",
        L.TIMESTAMPTZ: "CURRENT_TIMESTAMP",
        L.DATE: "CURRENT_DATE",
        L.TIME: "CURRENT_TIME",
    },
    "mysql": {
        L.TIMESTAMP: "CURRENT_TIMESTAMP{fsp}",
        L.TIMESTAMPTZ: "CURRENT_TIMESTAMP{fsp}",
        L.DATE: "(CURRENT_DATE)",
        L.TIME: "(CURRENT_TIME{fsp})",
    },
    "sqlite": {
        L.TIMESTAMP: "CURRENT_TIMESTAMP",
        L.TIMESTAMPTZ: "CURRENT_TIMESTAMP",
        L.DATE: "CURRENT_DATE",
        L.TIME: "CURRENT_TIME",
    },
}
BOOLEAN_SQL: dict[str, tuple[str, str]] = {
    "postgresql": ("false", "true"),
    "mysql": ("0", "1"),
    "sqlite": ("0", "1"),
}
_NOW_NODES = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Localtimestamp, exp.Localtime)
_TRUE_STRINGS = frozenset({"t", "true", "y", "yes", "on", "1"})
# Logical types whose target representation changes shape, so a literal cannot carry over.
_NO_LITERAL_DEFAULT = frozenset({L.SET, L.ARRAY, L.JSON, L.BYTES, L.OTHER})


class PortError(ValueError):
    """An expression or default that cannot be written in the target dialect."""


def port_default(column: Column, source: str, target: str) -> str | None:
    """The default of ``column`` in ``target``: a literal or the current date/time, else
    :class:`PortError`. None when the default is NULL."""
    text = column.default
    if text is None:
        return None
    try:
        node = _unwrap(parse_expression(text, source))
    except SqlTextError:
        raise PortError(f"default {text} cannot be parsed") from None
    if isinstance(node, exp.Null):
        return None
    if _is_now(node):
        now = NOW_SQL[target].get(column.logical)
        if now is None:
            raise PortError(
                f"default {text} (the current time) does not fit a column of type {column.logical}"
            )
        fsp = mysql_fsp(column)
        return now.format(fsp=f"({fsp})" if fsp else "")
    if column.logical in _NO_LITERAL_DEFAULT:
        raise PortError(
            f"default {text} does not carry over: {column.logical} values change form in {target}"
        )
    return _literal(node, column.logical, target, text)


def port_expression(
    text: str, source: str, target: str, columns: Sequence[str], *, value_column: str | None = None
) -> str:
    """A CHECK, generation or index-predicate expression of ``source`` over a table's ``columns``,
    written for ``target`` with identifiers quoted exactly; ``value_column`` replaces a domain
    CHECK's ``VALUE``. Raises :class:`PortError` when sqlglot cannot parse it, cannot write it
    for the target, or the target's probe (``PROBES``) rejects what it wrote."""
    try:
        # Parsed from our own re-rendering of the text (dbsynth.sqltext): one expression, no
        # statement, no comment; written by sqlglot's generator without comments either.
        tree = parse_expression(text, source)
        tree = tree.transform(_drop_literal_casts).transform(_any_to_in)
        if value_column is not None:
            tree = tree.transform(lambda n: _replace_value(n, value_column))
        if target != "postgresql" and tree.find(exp.Any):
            raise PortError(f"{target} has no comparison with ANY element of an array")
        write = SQLGLOT_DIALECTS[target]
        ported = tree.sql(dialect=write, identify=True, comments=False, unsupported_level=ErrorLevel.RAISE)
    except SqlTextError as exc:
        raise PortError(f"it {exc}") from None
    except SqlglotError as exc:
        raise PortError(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
    probe = PROBES.get(target)
    problem = probe(ported, columns) if probe else None
    if problem:
        raise PortError(f"{target} rejects {ported}: {problem}")
    return ported


def sqlite_probe(expression: str, columns: Sequence[str]) -> str | None:
    """Why SQLite rejects ``expression`` over ``columns`` (a syntax error, an unknown function such
    as REGEXP), or None. SQLite resolves functions only when a statement uses the table, so a CHECK
    it cannot run would pass CREATE TABLE and fail every INSERT: an in-memory table finds out first.
    The probe row is all NULLs, so a CHECK that is merely false for it does not count."""
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns) or "x"
    with closing(sqlite3.connect(":memory:")) as db:
        try:
            db.execute(f"CREATE TABLE probe ({names}, CHECK ({expression}))")
            db.execute("INSERT INTO probe DEFAULT VALUES")
        except sqlite3.IntegrityError:
            return None
        except sqlite3.Error as exc:
            return str(exc)
    return None


# Targets that can tell, offline, whether they accept an expression. PostgreSQL and MySQL cannot
# without a server: there a transpiled expression they reject fails create_schema, naming it.
PROBES: dict[str, Callable[[str, Sequence[str]], str | None]] = {"sqlite": sqlite_probe}


def _unwrap(node: exp.Expr) -> exp.Expr:
    """Strip parentheses and casts: ``('now'::text)::date`` -> ``'now'``."""
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    return node


def _is_now(node: exp.Expr) -> bool:
    if isinstance(node, _NOW_NODES):
        return True
    # PostgreSQL's ('now'::text)::date and SQLite's datetime('now') both mean "now".
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in ("datetime", "date", "time"):
        args = node.expressions
        return len(args) == 1 and isinstance(args[0], exp.Literal) and args[0].this.lower() == "now"
    return isinstance(node, exp.Literal) and node.is_string and node.this.lower() == "now"


def _literal(node: exp.Expr, logical: LogicalType, target: str, text: str) -> str:
    if isinstance(node, exp.BitString):  # MySQL b'101'
        node = exp.Literal.number(int(str(node.this), 2))
    negative = isinstance(node, exp.Neg)
    if negative:
        node = node.this
    if isinstance(node, exp.Boolean):
        value: str | bool = bool(node.this)
    elif isinstance(node, exp.Literal):
        value = node.this if node.is_string else f"{'-' if negative else ''}{node.this}"
    else:
        raise PortError(f"default {text} is not a literal or the current time")
    if logical is L.BOOLEAN:
        truthy = value if isinstance(value, bool) else str(value).strip().lower() in _TRUE_STRINGS
        return BOOLEAN_SQL[target][truthy]
    if isinstance(value, bool):
        return BOOLEAN_SQL[target][value]
    return value if isinstance(node, exp.Literal) and not node.is_string else sql_string(value, target)


def _drop_literal_casts(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Cast):
        inner = _unwrap(node.this)
        if isinstance(inner, (exp.Literal, exp.Boolean, exp.Null, exp.Neg)):
            return inner.copy()
    return node


def _any_to_in(node: exp.Expr) -> exp.Expr:
    """``x = ANY (ARRAY[a, b])`` -> ``x IN (a, b)``, ``x <> ALL (ARRAY[a, b])`` -> ``x NOT IN (a, b)``.

    PostgreSQL prints every ``IN`` list of a CHECK as the array form; targets without arrays
    (SQLite, MySQL) read the list form, which means the same, NULLs included."""
    if not isinstance(node, (exp.EQ, exp.NEQ)):
        return node
    right = node.expression
    if isinstance(node, exp.EQ) and isinstance(right, exp.Any):
        items = _array_items(right.this)
    elif isinstance(node, exp.NEQ) and isinstance(right, exp.Anonymous) and right.name.upper() == "ALL":
        items = _array_items(right.expressions[0]) if len(right.expressions) == 1 else None
    else:
        return node
    if not items:
        return node
    listed = exp.In(this=node.this.copy(), expressions=[item.copy() for item in items])
    return listed if isinstance(node, exp.EQ) else exp.Not(this=exp.Paren(this=listed))


def _array_items(node: exp.Expr) -> list[exp.Expr] | None:
    """The elements of an ``ARRAY[...]`` constructor (under parentheses and casts), else None."""
    while isinstance(node, (exp.Paren, exp.Cast)):
        node = node.this
    return list(node.expressions) if isinstance(node, exp.Array) else None


def _replace_value(node: exp.Expr, column: str) -> exp.Expr:
    if isinstance(node, exp.Column) and not node.table and node.name.upper() == "VALUE":
        return exp.column(column, quoted=True)
    return node


# -- spelling helpers ----------------------------------------------------------------------------


def declared_type(c: Column, spelled: str) -> str:
    """``spelled``, the column's type text, with the dimensions format_type leaves out
    (``integer[][]``)."""
    if c.array_dims > 1 and spelled.endswith("[]"):
        return spelled + "[]" * (min(c.array_dims, 6) - 1)
    return spelled


def parenthesized(text: str) -> str:
    """``text`` in parentheses unless one pair already encloses all of it."""
    t = text.strip()
    if t.startswith("(") and t.endswith(")"):
        depth = 0
        for i, ch in enumerate(t):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and i < len(t) - 1:
                break
        else:
            return t
    return f"({t})"


def prefix_column(element: str, columns: Sequence[str]) -> str | None:
    """The column of a MySQL prefix key part (```title`(10)``), else None."""
    m = re.fullmatch(r"`((?:[^`]|``)+)`\(\d+\)", element.strip())
    name = m.group(1).replace("``", "`") if m else None
    return name if name in columns else None


_SQLITE_LITERAL = re.compile(
    r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?|'(?:[^']|'')*'|[xX]'[0-9a-fA-F]*'|NULL|TRUE|FALSE"
    r"|CURRENT_(?:TIMESTAMP|DATE|TIME)|\(.*\)",
    re.IGNORECASE | re.DOTALL,
)


def parenthesize_default(default: str | None) -> str | None:
    """SQLite's PRAGMA gives a default as written; an expression must be in parentheses again."""
    if default is None:
        return None
    return default if _SQLITE_LITERAL.fullmatch(default.strip()) else f"({default})"
