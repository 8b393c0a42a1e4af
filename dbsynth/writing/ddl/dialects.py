"""What each target dialect can say in DDL, as data (STYLE.md #6: differences in tables, not
if-chains), and the names things get there.

``TARGETS`` holds, per target, where names must be unique and how long they may be, index
methods, foreign-key actions, comments, partitions...; :class:`Names` keeps constraint and index
names unique where a target needs them to be. :func:`target_table_name` is the one table-name
mapping the writers share: table names never change, a PostgreSQL target keeps the source's
schema names (``public`` for MySQL and SQLite sources).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect

from dbsynth.db import BACKEND_ALIASES
from dbsynth.errors import UnsupportedDatabase, did_you_mean
from dbsynth.schema import Table
from dbsynth.sqltext import string_literal

DIALECTS = ("postgresql", "mysql", "sqlite")
DEFAULT_NAMESPACE: dict[str, str | None] = {"postgresql": "public", "mysql": None, "sqlite": None}
# dbsynth dialect name -> SQLAlchemy's (sqlglot's: dbsynth.sqltext.SQLGLOT_DIALECTS)
SA_DIALECTS: dict[str, Callable[[], Dialect]] = {
    "postgresql": postgresql.dialect,
    "mysql": mysql.dialect,
    "sqlite": sqlite.dialect,
}

# Targets whose JSON type rejects invalid documents, making MariaDB's json_valid CHECK redundant.
JSON_VALIDATES: dict[str, bool] = {"postgresql": True, "mysql": True, "sqlite": False}

# -- target dialects ---------------------------------------------------------------------------

Kind = Literal["table", "index", "key", "check", "fk", "type"]


@dataclass(frozen=True)
class TargetDialect:
    """What a target dialect can say in DDL, as data (STYLE.md #6): :mod:`dbsynth.writing.ddl` reads these
    fields instead of asking which dialect it writes."""

    name: str
    # namespace -> where a name must be unique in it: per "schema", "table" or "database"
    name_levels: dict[str, str]
    # object kind -> the namespaces its name lives in
    name_spaces: dict[Kind, tuple[str, ...]]
    max_name: int | None  # longer names are cut by the server (PostgreSQL: bytes)
    fold_case: bool  # names compare case-insensitively
    index_methods: frozenset[str]
    fk_default_action: str | None  # the action an omitted ON DELETE/UPDATE means; None: always say it
    fk_actions: frozenset[str]
    strict_set_null: bool  # SET NULL on a NOT NULL column is refused at creation (MySQL)
    fk_in_key_order: bool  # referenced columns must be in the order of a parent key (MySQL)
    inline_fks: bool
    deferrable: bool
    partial_indexes: bool
    named_primary_key: bool
    say_null: bool  # write NULL for nullable columns (MySQL TIMESTAMP is NOT NULL unless told)
    comments: Literal["statement", "inline", "none"]
    wrap_index_expressions: bool  # PostgreSQL needs (expr) for a non-call index element
    expression_indexes: bool  # MariaDB has none (MySQL 8 has; its own Schemas keep theirs)
    enum_types: bool  # an ENUM column of another dialect gets a CREATE TYPE
    method_syntax: Literal["using", "keyword", "none"]  # USING gin / FULLTEXT INDEX
    partitions: Literal["statements", "clause", "none"]  # PARTITION OF per partition / in CREATE TABLE
    serial_sequences: bool  # serial columns: sequences created first, OWNED BY after the table
    column_check_names: bool  # a column CHECK may carry CONSTRAINT name (MariaDB names it itself)
    parenthesize_defaults: bool  # SQLite's PRAGMA gives an expression default without its ()


_ALL_ACTIONS = frozenset({"NO ACTION", "RESTRICT", "CASCADE", "SET NULL", "SET DEFAULT"})
TARGETS: dict[str, TargetDialect] = {
    "postgresql": TargetDialect(
        "postgresql",
        {"relation": "schema", "type": "schema", "constraint": "table"},
        {
            "table": ("relation", "type"),
            "index": ("relation",),
            "key": ("relation", "constraint"),  # a PK or UNIQUE constraint is also an index
            "check": ("constraint",),
            "fk": ("constraint",),
            "type": ("type",),
        },
        63,
        False,
        frozenset({"btree", "hash", "gist", "spgist", "gin", "brin"}),
        "NO ACTION",
        _ALL_ACTIONS,
        strict_set_null=False,
        fk_in_key_order=False,
        inline_fks=False,
        deferrable=True,
        partial_indexes=True,
        named_primary_key=True,
        say_null=False,
        comments="statement",
        wrap_index_expressions=True,
        expression_indexes=True,
        enum_types=True,
        method_syntax="using",
        partitions="statements",
        serial_sequences=True,
        column_check_names=True,
        parenthesize_defaults=False,
    ),
    "mysql": TargetDialect(
        "mysql",
        {"relation": "database", "index": "table", "constraint": "database"},
        {
            "table": ("relation",),
            "index": ("index",),
            "key": ("index",),
            "check": ("constraint",),
            "fk": ("constraint",),
        },
        64,
        True,
        frozenset({"fulltext", "spatial"}),
        None,  # MariaDB shows an omitted action as RESTRICT, so an exact copy always says it
        _ALL_ACTIONS - {"SET DEFAULT"},  # InnoDB rejects SET DEFAULT
        strict_set_null=True,
        fk_in_key_order=True,
        inline_fks=False,
        deferrable=False,
        partial_indexes=False,
        named_primary_key=False,
        say_null=True,
        comments="inline",
        wrap_index_expressions=False,
        expression_indexes=False,
        enum_types=False,
        method_syntax="keyword",
        partitions="clause",
        serial_sequences=False,
        column_check_names=False,
        parenthesize_defaults=False,
    ),
    "sqlite": TargetDialect(
        "sqlite",
        {"relation": "database"},
        {"table": ("relation",), "index": ("relation",)},
        None,
        True,
        frozenset(),
        "NO ACTION",
        _ALL_ACTIONS,
        strict_set_null=False,
        fk_in_key_order=False,
        inline_fks=True,
        deferrable=True,
        partial_indexes=True,
        named_primary_key=True,
        say_null=False,
        comments="none",
        wrap_index_expressions=False,
        expression_indexes=True,
        enum_types=False,
        method_syntax="none",
        partitions="none",
        serial_sequences=False,
        column_check_names=True,
        parenthesize_defaults=True,
    ),
}


class Names:
    """Constraint, index and type names that are unique where the target needs them to be.

    Same dialect every name is the source's (they were valid there). Across dialects a name that
    is taken in its namespace, or too long, becomes ``<table>_<name>`` (then ``_2``, ``_3``...)."""

    def __init__(self, target: TargetDialect, active: bool) -> None:
        self.target, self.active = target, active
        self.taken: defaultdict[tuple[str | None, ...], set[str]] = defaultdict(set)

    def claim(self, kind: Kind, name: str | None, table: str | None, namespace: str | None) -> str | None:
        if name is None or not self.active:
            return name
        scopes = [self._scope(space, table, namespace) for space in self.target.name_spaces.get(kind, ())]
        candidate, n = self._cut(name), 1
        while any(self._fold(candidate) in self.taken[s] for s in scopes):
            n += 1
            base = f"{table}_{name}" if table else name
            candidate = self._cut(base, "" if n == 2 and table else f"_{n}")
        for s in scopes:
            self.taken[s].add(self._fold(candidate))
        return candidate

    def _scope(self, space: str, table: str | None, namespace: str | None) -> tuple[str | None, ...]:
        level = self.target.name_levels[space]
        return {"database": (space,), "schema": (space, namespace), "table": (space, namespace, table)}[level]

    def _fold(self, name: str) -> str:
        return name.lower() if self.target.fold_case else name

    def _cut(self, name: str, suffix: str = "") -> str:
        limit = self.target.max_name
        if limit is None:
            return name + suffix
        # PostgreSQL's limit is in bytes; cut whole characters only.
        while len((name + suffix).encode()) > limit:
            name = name[:-1]
        return name + suffix


def target_dialect_name(dialect: str) -> str:
    """``postgresql``, ``mysql`` or ``sqlite`` for a dialect name or alias (``mariadb``, ``pg``)."""
    name = dialect.strip().lower()
    name = {**BACKEND_ALIASES, "mariadb": "mysql"}.get(name, name)
    if name not in DIALECTS:
        raise UnsupportedDatabase(
            f"cannot create a schema in a '{dialect}' database; dbsynth creates "
            + ", ".join(DIALECTS)
            + " schemas."
            + did_you_mean(dialect, DIALECTS)
        )
    return name


def target_table_name(table: Table, target_dialect: str) -> tuple[str | None, str]:
    """``(schema, name)`` of ``table`` in a ``target_dialect`` database: PostgreSQL keeps the
    source's schema (``public`` when the source has none); MySQL and SQLite have no schemas (the
    connection's database is the target). Names are never changed."""
    target = target_dialect_name(target_dialect)
    namespace = DEFAULT_NAMESPACE[target]
    return (table.schema or namespace if namespace else None), table.name


def sql_string(value: str, target: str) -> str:
    """``value`` as a string literal of ``target``."""
    return string_literal(value, target)
