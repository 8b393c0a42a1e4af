"""How the pieces of a schema are spelled in a target dialect, for :mod:`dbsynth.writing.ddl`.

Two tables of dialect facts live here (STYLE.md #6: differences in tables, not if-chains):

* ``TARGETS``: what each target dialect can say in DDL (schemas, where names must be unique and
  how long they may be, index methods, foreign-key actions, comments, partitions...), read by
  :mod:`dbsynth.writing.ddl` and by :class:`Names`, which keeps constraint and index names unique where
  a target needs them to be;
* ``TYPE_MAP``: a column's type across dialects. A same-dialect target reuses the source's own
  SQL text and never comes here.

Types go by logical type through SQLAlchemy types compiled for the target (``TYPE_MAP``: one
table per target, one factory per logical type), with ``SOURCE_TYPE_MAP`` first for source
types whose logical type says too little (MySQL ``YEAR``). Each factory returns a
:class:`TargetType`: the type text, the CHECK conditions that keep the source's value domain
(``{col} >= 0`` for an unsigned integer made signed) and a note when the type is an
approximation, which becomes a warning of the DDL script. The choices:

* integers are sized from the source type name (``INT_BYTES``); an unsigned one gets the next
  wider signed type plus ``CHECK (col >= 0)``; an unsigned BIGINT becomes NUMERIC(20, 0) (a
  BIGINT when it is an identity, which must be an integer type);
* MySQL ``ENUM`` becomes a PostgreSQL enum type (created by the script, so the labels and their
  order stay in the catalog), a MySQL ENUM of PostgreSQL enums, and in SQLite a VARCHAR with
  ``CHECK (col IN (...))``; MySQL ``SET`` becomes ``text[]`` in PostgreSQL with a CHECK that every
  element is a label, and comma-joined TEXT in SQLite;
* ``YEAR`` becomes SMALLINT with ``CHECK (col = 0 OR col BETWEEN 1901 AND 2155)``;
* TIMESTAMPTZ, INTERVAL, UUID, arrays and unknown (OTHER) types have no counterpart in some
  targets: TIMESTAMPTZ becomes DATETIME (values in UTC), INTERVAL MySQL TIME(6) or SQLite TEXT,
  UUID MySQL CHAR(36) or SQLite TEXT, arrays JSON (MySQL) or JSON text (SQLite), OTHER text;
* MySQL cannot index TEXT/BLOB without a prefix length, so a text or bytes column that is part of
  a key or index becomes VARCHAR(255)/VARBINARY(255) there (with a note).

Defaults move only when they are literals or the current date/time (:func:`port_default`);
CHECK and generation expressions go through sqlglot (:func:`port_expression`), with casts of
literals removed first: they are how PostgreSQL prints constants (``'Asia'::text``), and SQLite
would read ``CAST('2007-01-01' AS TIMESTAMP)`` as the number 2007.
"""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
import sqlglot
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeEngine
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from dbsynth.schema import Column, Domain, LogicalType, Schema

L = LogicalType

# dbsynth dialect name -> sqlglot's and SQLAlchemy's
SQLGLOT_DIALECTS: dict[str, str] = {"postgresql": "postgres", "mysql": "mysql", "sqlite": "sqlite"}
SA_DIALECTS: dict[str, Callable[[], Dialect]] = {
    "postgresql": postgresql.dialect,
    "mysql": mysql.dialect,
    "sqlite": sqlite.dialect,
}

# Source type name (lowercase, no arguments) -> bytes of an integer of that type; others are 8.
INT_BYTES: dict[str, dict[str, int]] = {
    "postgresql": {"smallint": 2, "integer": 4, "bigint": 8, "oid": 8},
    "mysql": {"tinyint": 1, "smallint": 2, "mediumint": 3, "int": 4, "integer": 4, "bigint": 8, "year": 2},
    # SQLite stores any integer in up to 8 bytes; only names that promise less are believed.
    "sqlite": {"tinyint": 1, "smallint": 2, "int2": 2, "mediumint": 3},
}
DEFAULT_INT_BYTES = 8
# Source float type names of single precision (MySQL REAL is a DOUBLE; SQLite REAL has 8 bytes).
SINGLE_PRECISION: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"real"}),
    "mysql": frozenset({"float"}),
    "sqlite": frozenset(),
}
# Source string type names of fixed length (blank-padded).
FIXED_LENGTH: dict[str, frozenset[str]] = {
    "postgresql": frozenset({"character", "bpchar", "char"}),
    "mysql": frozenset({"char"}),
    "sqlite": frozenset({"char", "character", "nchar", "native character"}),
}
# Targets whose JSON type rejects invalid documents, making MariaDB's json_valid CHECK redundant.
JSON_VALIDATES: dict[str, bool] = {"postgresql": True, "mysql": True, "sqlite": False}

_BASE = re.compile(r"[a-z0-9_ ]+")
_SIGN_WORDS = (" unsigned", " signed", " zerofill")


@dataclass(frozen=True)
class ColumnFacts:
    """What a type factory reads about one source column.

    ``base`` is the source type name (of the domain's base for a domain column), lowercase and
    without arguments; ``keyed`` says the column is in a key, an index or a foreign key;
    ``enum_type`` is the quoted name of the PostgreSQL enum type made for it, if any.
    """

    column: Column
    source: str
    base: str
    keyed: bool = False
    enum_type: str | None = None

    @property
    def int_bytes(self) -> int:
        if self.base == "bit":  # MySQL BIT(n): n bits, never negative
            return max(1, -(-(self.column.precision or 64) // 8))
        return INT_BYTES[self.source].get(self.base, DEFAULT_INT_BYTES)

    @property
    def single(self) -> bool:
        return self.base in SINGLE_PRECISION[self.source]

    @property
    def fixed(self) -> bool:
        return self.base in FIXED_LENGTH[self.source]


@dataclass(frozen=True)
class Spec:
    """A factory's answer: a SQLAlchemy type (or type text), CHECKs over ``{col}``, and a note
    (a template that may name ``{target}`` and ``{sql_type}``, the source column's type)."""

    type: TypeEngine[Any] | str
    checks: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class TargetType:
    """A column type in the target dialect. ``checks`` are conditions in which ``{col}`` stands for
    the quoted column name; ``note`` says what was approximated; ``integer`` says the type can
    carry an identity/auto-increment."""

    sql: str
    checks: tuple[str, ...] = ()
    note: str | None = None
    integer: bool = False


Factory = Callable[[ColumnFacts], Spec]


def base_name(sql_type: str) -> str:
    """``int(10) unsigned`` -> ``int``; ``character varying(45)`` -> ``character varying``."""
    m = _BASE.match(sql_type.strip().lower())
    name = m.group(0).strip() if m else ""
    for word in _SIGN_WORDS:
        name = name.removesuffix(word)
    return name


def column_facts(
    column: Column, schema: Schema, *, keyed: bool = False, enum_type: str | None = None
) -> ColumnFacts:
    """The facts of ``column``; for a column on a PostgreSQL domain, its base type's name."""
    sql_type = column.sql_type
    domain = find_domain(schema, column.domain) if column.domain and not column.array_dims else None
    seen: set[str] = set()
    while domain is not None and domain.name not in seen:  # nested domains: walk to the base
        seen.add(domain.name)
        sql_type = domain.base_type
        domain = find_domain(schema, sql_type)
    return ColumnFacts(column, schema.dialect, base_name(sql_type), keyed, enum_type)


def find_domain(schema: Schema, spelled: str) -> Domain | None:
    """The domain that ``spelled`` names: a ``Column.domain`` key (``public.year``) or a type text
    as ``format_type`` prints it (``year``, ``"Sales".positive``, ``"bıgınt"``)."""
    wanted = spelled.strip()
    for d in schema.domains:
        names = {d.name, _pg_quote(d.name)}
        qualified = {f"{s}.{n}" for s in (d.schema, _pg_quote(d.schema or "")) for n in names}
        if wanted in names | qualified:
            return d
    return None


def _pg_quote(name: str) -> str:
    return str(postgresql.dialect().identifier_preparer.quote(name))


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


# -- the type factories ------------------------------------------------------------------------


def _const(type_: TypeEngine[Any] | str, note: str | None = None) -> Factory:
    return lambda f: Spec(type_, note=note)


def _integer(sizes: Mapping[int, Callable[[], TypeEngine[Any]]]) -> Factory:
    def make(f: ColumnFacts) -> Spec:
        size, note = f.int_bytes, None
        checks: tuple[str, ...] = ()
        if f.column.unsigned:
            # The next wider signed type holds every value; the CHECK keeps out negatives.
            size, checks = min(size * 2, 16), ("{col} >= 0",)
            if size == 16 and f.column.identity is not None:
                size, note = 8, "unsigned BIGINT identity created as BIGINT (values up to 2^63 - 1)"
        bigger = [n for n in sorted(sizes) if n >= size]
        chosen = bigger[0] if bigger else max(sizes)
        if chosen < size:
            note = "unsigned BIGINT created as a signed 64-bit integer (values up to 2^63 - 1)"
        return Spec(sizes[chosen](), checks, note)

    return make


def _year(f: ColumnFacts) -> Spec:
    return Spec(sa.SmallInteger(), ("{col} = 0 OR {col} BETWEEN 1901 AND 2155",))


def _decimal(max_precision: int | None, unbounded: Callable[[], TypeEngine[Any]]) -> Factory:
    def make(f: ColumnFacts) -> Spec:
        p, s = f.column.precision, f.column.scale
        if p is None:
            note = None if max_precision is None else "NUMERIC without a precision created as DECIMAL(65, 30)"
            return Spec(unbounded(), note=note)
        if max_precision is not None and p > max_precision:
            return Spec(
                sa.Numeric(max_precision, min(s or 0, 30)),
                note=f"NUMERIC({p}) narrowed to {max_precision} digits",
            )
        return Spec(sa.Numeric(p, s))

    return make


def _float(single: Callable[[], TypeEngine[Any]]) -> Factory:
    return lambda f: Spec(single() if f.single else sa.Double())


def _string(f: ColumnFacts) -> Spec:
    n = f.column.length
    if n is None:
        return Spec(sa.Text())
    return Spec(sa.CHAR(n) if f.fixed else sa.String(n))


def _mysql_string(f: ColumnFacts) -> Spec:
    n = f.column.length
    if n is None:
        return _mysql_text(f)
    # CHAR is at most 255 characters in MySQL; longer fixed strings become VARCHAR.
    return Spec(sa.CHAR(n) if f.fixed and n <= 255 else sa.String(n))


def _mysql_text(f: ColumnFacts) -> Spec:
    if f.keyed:
        return Spec(sa.String(255), note="text in a key or index created as VARCHAR(255)")
    return Spec(mysql.LONGTEXT())


def _mysql_bytes(f: ColumnFacts) -> Spec:
    if f.keyed:
        return Spec(sa.VARBINARY(255), note="bytes in a key or index created as VARBINARY(255)")
    return Spec(mysql.LONGBLOB())


def _pg_time(f: ColumnFacts) -> Spec:
    return Spec(postgresql.TIME(precision=f.column.precision))


def _pg_timestamp(timezone: bool) -> Factory:
    return lambda f: Spec(postgresql.TIMESTAMP(timezone=timezone, precision=f.column.precision))


def mysql_fsp(column: Column) -> int:
    """Fractional-second digits of a MySQL time type for ``column``: the source's, else 6 (what
    PostgreSQL and SQLite keep by default; MySQL's own default of 0 would cut values)."""
    return 6 if column.precision is None else min(column.precision, 6)


def _mysql_datetime(note: str | None) -> Factory:
    return lambda f: Spec(mysql.DATETIME(fsp=mysql_fsp(f.column)), note=note)


def _pg_enum(f: ColumnFacts) -> Spec:
    return Spec(f.enum_type or "text", _in_labels(f) if f.enum_type is None else ())


def _labelled_varchar(f: ColumnFacts) -> Spec:
    labels = f.column.enum_labels or ("",)
    note = "enum created as VARCHAR with a CHECK on its labels"
    return Spec(sa.String(max(1, *(len(x) for x in labels))), _in_labels(f), note)


def _in_labels(f: ColumnFacts) -> tuple[str, ...]:
    labels = f.column.enum_labels or ()
    return ("{col} IN (" + ", ".join(sql_string(x, "postgresql") for x in labels) + ")",) if labels else ()


def _mysql_enum(f: ColumnFacts) -> Spec:
    return Spec(mysql.ENUM(*(f.column.enum_labels or ("",))))


def _pg_set(f: ColumnFacts) -> Spec:
    labels = ", ".join(sql_string(x, "postgresql") for x in f.column.enum_labels or ())
    return Spec(
        "text[]",
        (f"{{col}} <@ ARRAY[{labels}]::text[]",),
        "MySQL SET created as text[]; a CHECK keeps its elements to the labels",
    )


TEXT_NOTE = "type '{sql_type}' has no {target} counterpart; created as text"
# Logical types every target spells alike; TYPE_MAP extends it per target (sqlglot's pattern).
GENERIC: dict[LogicalType, Factory] = {
    L.BOOLEAN: _const(sa.Boolean()),
    L.STRING: _string,
    L.TEXT: _const(sa.Text()),
    L.DATE: _const(sa.Date()),
    L.TIME: _const(sa.Time()),
    L.TIMESTAMP: _const(sa.DateTime()),
    L.TIMESTAMPTZ: _const(
        sa.DateTime(timezone=True), "timestamptz created as {target} DATETIME: values are in UTC"
    ),
    L.DECIMAL: _decimal(None, sa.Numeric),
    L.FLOAT: _float(sa.REAL),
    L.JSON: _const(sa.JSON()),
    L.BYTES: _const(sa.LargeBinary()),
    L.ENUM: _labelled_varchar,
    L.SET: _const(sa.Text(), "MySQL SET created as comma-separated text"),
    L.ARRAY: _const(sa.Text(), "array created as JSON text"),
    L.OTHER: _const(sa.Text(), TEXT_NOTE),
}
TYPE_MAP: dict[str, dict[LogicalType, Factory]] = {
    "postgresql": {
        **GENERIC,
        L.INTEGER: _integer(
            {
                1: sa.SmallInteger,
                2: sa.SmallInteger,
                4: sa.Integer,
                8: sa.BigInteger,
                16: lambda: sa.Numeric(20, 0),
            }
        ),
        L.TIME: _pg_time,
        L.TIMESTAMP: _pg_timestamp(False),
        L.TIMESTAMPTZ: _pg_timestamp(True),
        L.INTERVAL: _const(postgresql.INTERVAL()),
        L.UUID: _const(sa.Uuid()),
        L.JSON: _const(postgresql.JSONB()),
        L.BYTES: _const(postgresql.BYTEA()),
        L.ENUM: _pg_enum,
        L.SET: _pg_set,
        L.ARRAY: _const(postgresql.JSONB(), "array created as jsonb"),
    },
    "mysql": {
        **GENERIC,
        L.INTEGER: _integer(
            {1: mysql.TINYINT, 2: sa.SmallInteger, 3: mysql.MEDIUMINT, 4: sa.Integer, 8: sa.BigInteger}
        ),
        L.DECIMAL: _decimal(65, lambda: sa.Numeric(65, 30)),
        L.FLOAT: _float(mysql.FLOAT),
        L.STRING: _mysql_string,
        L.TEXT: _mysql_text,
        L.BYTES: _mysql_bytes,
        L.TIME: lambda f: Spec(mysql.TIME(fsp=mysql_fsp(f.column))),
        L.TIMESTAMP: _mysql_datetime(None),
        L.TIMESTAMPTZ: _mysql_datetime("timestamptz created as {target} DATETIME: values are in UTC"),
        L.INTERVAL: _const(mysql.TIME(fsp=6), "interval created as TIME(6) (range -838:59:59 to 838:59:59)"),
        L.UUID: _const(sa.CHAR(36), "uuid created as CHAR(36)"),
        L.ENUM: _mysql_enum,
        L.ARRAY: _const(mysql.JSON(), "array created as JSON"),
        L.OTHER: lambda f: Spec(_mysql_text(f).type, note=TEXT_NOTE),
    },
    "sqlite": {
        **GENERIC,
        # Every integer is INTEGER: only that exact name makes a one-column key the rowid.
        L.INTEGER: _integer({8: sa.Integer}),
        L.INTERVAL: _const(sa.Text(), "interval created as text"),
        L.UUID: _const(sa.Text(), "uuid created as text"),
    },
}
# (source dialect, source type name) -> factory, consulted before TYPE_MAP.
SOURCE_TYPE_MAP: dict[tuple[str, str], Factory] = {("mysql", "year"): _year}


def target_type(facts: ColumnFacts, target: str) -> TargetType:
    """The type of ``facts.column`` in ``target`` (a dialect other than the source's)."""
    factory = SOURCE_TYPE_MAP.get((facts.source, facts.base)) or TYPE_MAP[target][facts.column.logical]
    spec = factory(facts)
    sql = spec.type if isinstance(spec.type, str) else str(spec.type.compile(dialect=SA_DIALECTS[target]()))
    note = spec.note.format(target=target, sql_type=facts.column.sql_type) if spec.note else None
    integer = isinstance(spec.type, sa.Integer)
    return TargetType(sql, spec.checks, note, integer)


# -- defaults and expressions --------------------------------------------------------------------

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
# Targets whose string literals treat a backslash as an escape (MySQL without NO_BACKSLASH_ESCAPES).
BACKSLASH_ESCAPES: dict[str, bool] = {"postgresql": False, "mysql": True, "sqlite": False}
_NOW_NODES = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.Localtimestamp, exp.Localtime)
_TRUE_STRINGS = frozenset({"t", "true", "y", "yes", "on", "1"})
# Logical types whose target representation changes shape, so a literal cannot carry over.
_NO_LITERAL_DEFAULT = frozenset({L.SET, L.ARRAY, L.JSON, L.BYTES, L.OTHER})


class PortError(ValueError):
    """An expression or default that cannot be written in the target dialect."""


def sql_string(value: str, target: str) -> str:
    """``value`` as a string literal of ``target``."""
    text = value.replace("\\", "\\\\") if BACKSLASH_ESCAPES[target] else value
    return "'" + text.replace("'", "''") + "'"


def port_default(column: Column, source: str, target: str) -> str | None:
    """The default of ``column`` in ``target``: a literal or the current date/time, else
    :class:`PortError`. None when the default is NULL."""
    text = column.default
    if text is None:
        return None
    try:
        node = _unwrap(sqlglot.parse_one(text, read=SQLGLOT_DIALECTS[source]))
    except SqlglotError:
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
        tree = sqlglot.parse_one(text, read=SQLGLOT_DIALECTS[source])
        tree = tree.transform(_drop_literal_casts)
        if value_column is not None:
            tree = tree.transform(lambda n: _replace_value(n, value_column))
        ported = tree.sql(dialect=SQLGLOT_DIALECTS[target], identify=True, unsupported_level=ErrorLevel.RAISE)
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


def _replace_value(node: exp.Expr, column: str) -> exp.Expr:
    if isinstance(node, exp.Column) and not node.table and node.name.upper() == "VALUE":
        return exp.column(column, quoted=True)
    return node


# -- spelling helpers ----------------------------------------------------------------------------


def declared_type(c: Column) -> str:
    """The source's type text, with the dimensions format_type leaves out (``integer[][]``)."""
    if c.array_dims > 1 and c.sql_type.endswith("[]"):
        return c.sql_type + "[]" * (c.array_dims - 1)
    return c.sql_type


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


__all__ = [
    "TYPE_MAP",
    "ColumnFacts",
    "PortError",
    "TargetType",
    "column_facts",
    "find_domain",
    "port_default",
    "port_expression",
    "sql_string",
    "target_type",
]
