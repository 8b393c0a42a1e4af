"""A column's type in another dialect than its source's (a same-dialect target reuses the
source's own type text and never comes here).

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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql
from sqlalchemy.types import TypeEngine

from dbsynth.schema import Column, Domain, LogicalType, Schema, Table
from dbsynth.writing.ddl.dialects import SA_DIALECTS, sql_string

L = LogicalType

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


# A CHECK condition on a column, from its quoted name.
Check = Callable[[str], str]


@dataclass(frozen=True)
class Spec:
    """A factory's answer: a SQLAlchemy type (or type text), CHECKs on the column, and a note
    (a template that may name ``{target}`` and ``{sql_type}``, the source column's type)."""

    type: TypeEngine[Any] | str
    checks: tuple[Check, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class TargetType:
    """A column type in the target dialect. ``checks`` make conditions from the quoted column name
    (functions, not ``{col}`` templates: a label may hold braces); ``note`` says what was
    approximated; ``integer`` says the type can carry an identity/auto-increment."""

    sql: str
    checks: tuple[Check, ...] = ()
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


def type_origin(schema: Schema, table: Table, column: Column) -> tuple[str, Column]:
    """The (table key, column) whose target type ``column`` takes: for a foreign-key column of the
    same source type as the column it references, that column (followed along chains of foreign
    keys), else ``column`` itself. The target type of a column depends on more than its source
    type (an unsigned BIGINT is NUMERIC(20, 0), but BIGINT when it is an identity), and the target
    refuses a foreign key between columns of different types."""
    key, current = table.key, column
    keys = set(schema.table_keys)
    seen = {(key, current.name)}
    while True:
        here = schema.table(key)
        step = next(
            (
                (fk.ref_table, fk.ref_columns[fk.columns.index(current.name)])
                for fk in here.foreign_keys
                if current.name in fk.columns and fk.ref_table in keys
            ),
            None,
        )
        if step is None or step in seen:
            return key, current
        parent = next((c for c in schema.table(step[0]).columns if c.name == step[1]), None)
        if parent is None:
            return key, current
        if parent.logical != current.logical or base_name(parent.sql_type) != base_name(current.sql_type):
            return key, current
        if parent.unsigned != current.unsigned:
            return key, current
        seen.add(step)
        key, current = step[0], parent


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


# -- the type factories ------------------------------------------------------------------------


def _const(type_: TypeEngine[Any] | str, note: str | None = None) -> Factory:
    return lambda f: Spec(type_, note=note)


def _integer(sizes: Mapping[int, Callable[[], TypeEngine[Any]]]) -> Factory:
    def make(f: ColumnFacts) -> Spec:
        size, note = f.int_bytes, None
        checks: tuple[Check, ...] = ()
        if f.column.unsigned:
            # The next wider signed type holds every value; the CHECK keeps out negatives.
            size, checks = min(size * 2, 16), (lambda col: f"{col} >= 0",)
            if size == 16 and f.column.identity is not None:
                size, note = 8, "unsigned BIGINT identity created as BIGINT (values up to 2^63 - 1)"
        bigger = [n for n in sorted(sizes) if n >= size]
        chosen = bigger[0] if bigger else max(sizes)
        if chosen < size:
            note = "unsigned BIGINT created as a signed 64-bit integer (values up to 2^63 - 1)"
        return Spec(sizes[chosen](), checks, note)

    return make


def _year(f: ColumnFacts) -> Spec:
    return Spec(sa.SmallInteger(), (lambda col: f"{col} = 0 OR {col} BETWEEN 1901 AND 2155",))


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


def _in_labels(f: ColumnFacts) -> tuple[Check, ...]:
    # Labels are quoted for PostgreSQL and SQLite, the targets that get this CHECK (a MySQL ENUM
    # is made by SQLAlchemy, which escapes backslashes too).
    labels = ", ".join(sql_string(x, "postgresql") for x in f.column.enum_labels or ())
    return (lambda col: f"{col} IN ({labels})",) if labels else ()


def _mysql_enum(f: ColumnFacts) -> Spec:
    return Spec(mysql.ENUM(*(f.column.enum_labels or ("",))))


def _pg_set(f: ColumnFacts) -> Spec:
    labels = ", ".join(sql_string(x, "postgresql") for x in f.column.enum_labels or ())
    return Spec(
        "text[]",
        (lambda col: f"{col} <@ ARRAY[{labels}]::text[]",),
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
