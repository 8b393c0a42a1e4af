"""MySQL / MariaDB introspection: the URL's database in, a :class:`~dbsynth.schema.Schema` out.

The database named in the URL is the unit: ``Table.schema`` is None and table keys are bare names
spelled as the server stores them (``Album`` in Chinook). The inspector supplies the current
database and the databases a user can see; everything else comes from ``information_schema``, one
query per catalog view for the whole database, because only the catalog has the exact
``COLUMN_TYPE`` text (``int(10) unsigned``, ``enum('G','PG')``, ``year(4)``), ``EXTRA``
(auto_increment, ON UPDATE, VIRTUAL/STORED GENERATED) and MariaDB's CHECK levels, and because one
query per view stays fast on databases with thousands of tables where the inspector would issue
one ``SHOW CREATE TABLE`` each.

Decisions, each visible in a table or a line below:

* ``tinyint(1)`` and ``bit(1)`` are booleans; ``bit(n)`` for n > 1 is an unsigned integer of n
  bits (``precision`` = n). PyMySQL returns BIT values as big-endian bytes, so readers convert.
* ``TIMESTAMP`` is ``LogicalType.TIMESTAMP``, not TIMESTAMPTZ: the server stores UTC but converts
  to and from the session time zone and the driver returns naive datetimes, so no offset ever
  reaches dbsynth. Its range is 1970-01-01 00:00:01 to 2038-01-19 03:14:07 UTC.
* ``YEAR`` is an integer (1901..2155, plus 0000); ``TIME`` is TIME although MySQL's range is
  -838:59:59..838:59:59 (it doubles as a duration).
* MariaDB implements JSON as LONGTEXT plus ``CHECK (json_valid(col))``: such a column is JSON (its
  ``sql_type`` stays ``longtext``) and the CHECK is kept like any other.
* ``ON UPDATE current_timestamp()`` (in ``EXTRA``) is ``Column.on_update``, apart from
  ``Column.default``, so a target that has no such clause can leave it out.
* ``FULLTEXT`` and ``SPATIAL`` keys are indexes whose ``method`` says so (``INDEX_TYPE``); B-tree and
  hash keys have no method, as in the PostgreSQL reflector where btree is the default.
* Primary keys have no name (MySQL calls every one PRIMARY and ignores a given name). A UNIQUE key
  is a ``UniqueConstraint`` of kind ``constraint``: in MySQL the constraint *is* the unique index.
* An index key part with a prefix length (```name`(10)``) or an expression makes
  ``Index.expressions`` hold every key part as SQL text, in order; ``columns`` lists the plain
  columns. A unique key on a prefix or an expression cannot be modelled as a UniqueConstraint
  faithfully: it is kept (prefix) or becomes an Index (expression), with a warning.
* ``Identity.start`` stays 1: ``TABLES.AUTO_INCREMENT`` is the *next* value, not the start.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast, get_args

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Connection
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from dbsynth.errors import SchemaError
from dbsynth.introspection import unknown_schema_error
from dbsynth.schema import (
    CheckConstraint,
    Column,
    FkAction,
    ForeignKey,
    Identity,
    Index,
    LogicalType,
    Partitioning,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

L = LogicalType

# information_schema DATA_TYPE -> logical type. A DATA_TYPE missing here is OTHER with a warning.
LOGICAL_BY_DATA_TYPE: dict[str, LogicalType] = {
    **dict.fromkeys(("tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year"), L.INTEGER),
    "bit": L.INTEGER,
    **dict.fromkeys(("decimal", "numeric"), L.DECIMAL),
    **dict.fromkeys(("float", "double", "real", "double precision"), L.FLOAT),
    **dict.fromkeys(("char", "varchar"), L.STRING),
    **dict.fromkeys(("tinytext", "text", "mediumtext", "longtext"), L.TEXT),
    **dict.fromkeys(("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"), L.BYTES),
    "date": L.DATE,
    "time": L.TIME,
    **dict.fromkeys(("datetime", "timestamp"), L.TIMESTAMP),
    "enum": L.ENUM,
    "set": L.SET,
    "json": L.JSON,
    "uuid": L.UUID,
}
# Exact COLUMN_TYPE spellings that mean more than their DATA_TYPE says.
LOGICAL_BY_COLUMN_TYPE: dict[str, LogicalType] = {
    "tinyint(1)": L.BOOLEAN,
    "tinyint(1) unsigned": L.BOOLEAN,
    "bit(1)": L.BOOLEAN,
}
_SIZED = frozenset({L.STRING, L.TEXT, L.BYTES})  # length = CHARACTER_MAXIMUM_LENGTH
_TEMPORAL_FSP = frozenset({L.TIME, L.TIMESTAMP})  # precision = fractional-second digits
_UNQUOTED_DEFAULTS = frozenset({L.INTEGER, L.DECIMAL, L.FLOAT, L.BOOLEAN})

_GENERATED = re.compile(r"\b(?:VIRTUAL|STORED|PERSISTENT) GENERATED\b", re.IGNORECASE)
_ON_UPDATE = re.compile(r"\bon update (\w+(?:\(\d*\))?)", re.IGNORECASE)
_JSON_VALID = re.compile(r"\(?\s*json_valid\(`((?:[^`]|``)+)`\)\s*\)?", re.IGNORECASE)
# STATISTICS.INDEX_TYPE -> Index.method; BTREE and HASH are the engine's default access paths.
INDEX_METHODS: dict[str, str] = {"FULLTEXT": "fulltext", "SPATIAL": "spatial"}


@dataclass(frozen=True)
class _Flavour:
    """The catalog differences between MariaDB and MySQL, as data."""

    checks_sql: str | None  # None: the server keeps no CHECKs (MySQL before 8.0.16)
    index_expression: str  # select-list item giving a functional key part's expression
    sql_defaults: bool  # MariaDB prints COLUMN_DEFAULT as SQL ('a', NULL); MySQL as bare values


_MARIADB_CHECKS = """
SELECT TABLE_NAME AS tname, CONSTRAINT_NAME AS cname, CHECK_CLAUSE AS clause, LEVEL AS level
FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = :db
ORDER BY TABLE_NAME, CONSTRAINT_NAME"""
# MySQL's CHECK_CONSTRAINTS has no TABLE_NAME (names are unique per database there) and no level:
# a column-level CHECK becomes a table CHECK named <table>_chk_<n>.
_MYSQL_CHECKS = """
SELECT t.TABLE_NAME AS tname, c.CONSTRAINT_NAME AS cname, c.CHECK_CLAUSE AS clause, 'Table' AS level
FROM information_schema.CHECK_CONSTRAINTS c
JOIN information_schema.TABLE_CONSTRAINTS t
  ON t.CONSTRAINT_SCHEMA = c.CONSTRAINT_SCHEMA AND t.CONSTRAINT_NAME = c.CONSTRAINT_NAME
 AND t.CONSTRAINT_TYPE = 'CHECK'
WHERE c.CONSTRAINT_SCHEMA = :db ORDER BY t.TABLE_NAME, c.CONSTRAINT_NAME"""

MARIADB = _Flavour(checks_sql=_MARIADB_CHECKS, index_expression="NULL", sql_defaults=True)
MYSQL = _Flavour(checks_sql=_MYSQL_CHECKS, index_expression="EXPRESSION", sql_defaults=False)
MYSQL_BEFORE_8_0_16 = replace(MYSQL, checks_sql=None, index_expression="NULL")

_TABLES_SQL = """
SELECT t.TABLE_NAME AS tname, t.TABLE_ROWS AS nrows, t.TABLE_COMMENT AS comment,
       t.TABLE_COLLATION AS collation, co.CHARACTER_SET_NAME AS charset
FROM information_schema.TABLES t
LEFT JOIN information_schema.COLLATIONS co ON co.COLLATION_NAME = t.TABLE_COLLATION
WHERE t.TABLE_SCHEMA = :db AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')"""
_COLUMNS_SQL = """
SELECT TABLE_NAME AS tname, COLUMN_NAME AS name, COLUMN_DEFAULT AS dflt, IS_NULLABLE AS nullable,
       DATA_TYPE AS data_type, COLUMN_TYPE AS column_type, EXTRA AS extra,
       GENERATION_EXPRESSION AS generation, CHARACTER_MAXIMUM_LENGTH AS char_len,
       NUMERIC_PRECISION AS num_precision, NUMERIC_SCALE AS num_scale,
       DATETIME_PRECISION AS fsp, COLUMN_COMMENT AS comment,
       CHARACTER_SET_NAME AS charset, COLLATION_NAME AS collation
FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :db
ORDER BY TABLE_NAME, ORDINAL_POSITION"""
# information_schema compares names without case (utf8_general_ci) while the server, with
# lower_case_table_names = 0, keeps `Foo` and `foo` apart: joins on names compare bytes, or the
# keys of both tables land in each (``primary key (id, id)``).
_PRIMARY_KEYS_SQL = """
SELECT k.TABLE_NAME AS tname, k.COLUMN_NAME AS name
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.TABLE_CONSTRAINTS c
  ON c.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND CAST(c.TABLE_NAME AS BINARY) = CAST(k.TABLE_NAME AS BINARY)
 AND c.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY'
WHERE k.TABLE_SCHEMA = :db ORDER BY k.TABLE_NAME, k.ORDINAL_POSITION"""
_FOREIGN_KEYS_SQL = """
SELECT k.TABLE_NAME AS tname, k.CONSTRAINT_NAME AS cname, k.COLUMN_NAME AS name,
       k.REFERENCED_TABLE_SCHEMA AS ref_schema, k.REFERENCED_TABLE_NAME AS ref_table,
       k.REFERENCED_COLUMN_NAME AS ref_name, r.UPDATE_RULE AS on_update, r.DELETE_RULE AS on_delete
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.REFERENTIAL_CONSTRAINTS r
  ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND CAST(r.TABLE_NAME AS BINARY) = CAST(k.TABLE_NAME AS BINARY)
 AND CAST(r.CONSTRAINT_NAME AS BINARY) = CAST(k.CONSTRAINT_NAME AS BINARY)
WHERE k.TABLE_SCHEMA = :db ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"""
_INDEXES_SQL = """
SELECT TABLE_NAME AS tname, INDEX_NAME AS iname, NON_UNIQUE AS non_unique, COLUMN_NAME AS name,
       SUB_PART AS sub_part, INDEX_TYPE AS index_type, {expression} AS expression
FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = :db AND INDEX_NAME <> 'PRIMARY'
ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"""
_PARTITIONS_SQL = """
SELECT TABLE_NAME AS tname, PARTITION_NAME AS pname, PARTITION_METHOD AS method,
       PARTITION_EXPRESSION AS expression, PARTITION_DESCRIPTION AS description
FROM information_schema.PARTITIONS
WHERE TABLE_SCHEMA = :db AND PARTITION_NAME IS NOT NULL
ORDER BY TABLE_NAME, PARTITION_ORDINAL_POSITION, SUBPARTITION_ORDINAL_POSITION"""

# PARTITION_METHOD -> how a partition's PARTITION_DESCRIPTION reads as DDL.
_BOUND_TEMPLATES: dict[str, str] = {
    "RANGE": "VALUES LESS THAN ({})",
    "RANGE COLUMNS": "VALUES LESS THAN ({})",
    "LIST": "VALUES IN ({})",
    "LIST COLUMNS": "VALUES IN ({})",
}

Row = dict[str, Any]


def reflect(conn: Connection, schemas: Sequence[str] | None) -> Schema:
    """The Schema of the connection's current database (see the module docstring)."""
    database = _database(sa.inspect(conn), schemas)
    flavour = _flavour(conn)
    query = _Catalog(conn, database)
    checks = _group(query(flavour.checks_sql) if flavour.checks_sql else [])
    columns = _group(query(_COLUMNS_SQL))
    primary_keys = _group(query(_PRIMARY_KEYS_SQL))
    foreign_keys = _group(query(_FOREIGN_KEYS_SQL))
    indexes = _group(query(_INDEXES_SQL.format(expression=flavour.index_expression)))
    partitions = _group(query(_PARTITIONS_SQL))
    warnings: list[str] = []
    tables = []
    for info in sorted(query(_TABLES_SQL), key=lambda r: r["tname"]):
        name = info["tname"]
        table_checks = tuple(_check(r, columns[name]) for r in checks[name])
        json_columns = {m.group(1).replace("``", "`") for c in table_checks if (m := _json_valid(c))}
        cols = tuple(_charset(_column(r, flavour, json_columns, warnings), r, info) for r in columns[name])
        uniques, plain = _indexes(name, indexes[name], warnings)
        pk = tuple(r["name"] for r in primary_keys[name])
        tables.append(
            Table(
                name=name,
                columns=cols,
                primary_key=PrimaryKey(pk) if pk else None,
                uniques=uniques,
                foreign_keys=_foreign_keys(database, foreign_keys[name]),
                checks=table_checks,
                indexes=plain,
                row_estimate=None if info["nrows"] is None else int(info["nrows"]),
                partitioning=_partitioning(partitions[name]),
                comment=info["comment"] or None,
                charset=info["charset"] or None,
                collation=info["collation"] or None,
            )
        )
    version = conn.exec_driver_sql("SELECT VERSION()").scalar()
    return Schema(
        dialect="mysql",
        tables=tuple(tables),
        database=database,
        server_version=str(version),
        warnings=tuple(warnings),
    )


def mentioned_columns(expression: str, columns: Iterable[str], dialect: str) -> tuple[str, ...]:
    """The columns of ``columns`` an SQL expression mentions, in order of first mention, spelled
    as in ``columns`` (identifiers compare case-insensitively in MySQL and SQLite); ``()`` when
    sqlglot cannot parse the expression."""
    by_lower = {c.lower(): c for c in columns}
    try:
        tree = sqlglot.parse_one(expression, read=dialect)
    except SqlglotError:
        return ()
    found = (by_lower.get(c.name.lower()) for c in tree.find_all(exp.Column))
    return tuple(dict.fromkeys(c for c in found if c is not None))


# -- the pieces ------------------------------------------------------------------------------


def _database(inspector: sa.Inspector, schemas: Sequence[str] | None) -> str:
    """The URL's database, after checking that ``schemas`` asks for nothing else."""
    database: str | None = inspector.default_schema_name
    if database is None:
        available = inspector.get_schema_names()
        raise SchemaError(
            "the URL names no database; MySQL/MariaDB introspection reads one database, "
            f"e.g. mysql://user@host/{available[0] if available else 'name'}. "
            f"Available: {', '.join(available)}"
        )
    for name in schemas or ():
        if name == database:
            continue
        available = inspector.get_schema_names()
        if name in available:
            raise SchemaError(
                f"schema '{name}' is not the URL's database '{database}': MySQL/MariaDB introspection "
                f"reads the database named in the URL; put '{name}' there instead"
            )
        raise unknown_schema_error(name, available)
    return database


def _flavour(conn: Connection) -> _Flavour:
    if getattr(conn.dialect, "is_mariadb", False):
        return MARIADB
    version = getattr(conn.dialect, "server_version_info", None) or ()
    return MYSQL if tuple(version) >= (8, 0, 16) else MYSQL_BEFORE_8_0_16


class _Catalog:
    """Runs catalog queries for one database; MySQL 8 returns some catalog text as bytes."""

    def __init__(self, conn: Connection, database: str) -> None:
        self.conn = conn
        self.params = {"db": database}

    def __call__(self, sql: str) -> list[Row]:
        rows = self.conn.execute(sa.text(sql), self.params).mappings()
        return [{k: v.decode() if isinstance(v, bytes) else v for k, v in r.items()} for r in rows]


def _group(rows: Iterable[Row]) -> defaultdict[str, list[Row]]:
    out: defaultdict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[r["tname"]].append(r)
    return out


def _logical(row: Row) -> LogicalType:
    bare = row["column_type"].lower().removesuffix(" zerofill")
    return LOGICAL_BY_COLUMN_TYPE.get(bare) or LOGICAL_BY_DATA_TYPE.get(row["data_type"].lower(), L.OTHER)


def _column(row: Row, flavour: _Flavour, json_columns: set[str], warnings: list[str]) -> Column:
    name, sql_type, extra = row["name"], row["column_type"], row["extra"] or ""
    logical = _logical(row)
    if logical in (L.TEXT, L.STRING) and name in json_columns:
        logical = L.JSON
    generated = _GENERATED.search(extra) is not None
    on_update = _ON_UPDATE.search(extra)
    if logical is L.OTHER and not generated:  # generated columns are never written
        warnings.append(
            f"{row['tname']}.{name}: type '{sql_type}' is not modelled; "
            "its SQL type is kept and it is generated as NULL or a constant"
        )
    precision = scale = None
    if logical is L.DECIMAL or (logical is L.FLOAT and row["num_scale"] is not None):
        precision, scale = row["num_precision"], row["num_scale"]
    elif logical in _TEMPORAL_FSP:
        precision = row["fsp"]
    elif logical is L.INTEGER and row["data_type"].lower() == "bit":
        precision = row["num_precision"]
    return Column(
        name=name,
        sql_type=sql_type,
        logical=logical,
        nullable=row["nullable"] == "YES",
        default=None if generated else _default(row, flavour, logical),
        on_update=on_update.group(1) if on_update else None,
        identity=Identity("auto_increment") if "auto_increment" in extra.lower() else None,
        generated=row["generation"] if generated else None,
        length=row["char_len"] if logical in _SIZED else None,
        precision=None if precision is None else int(precision),
        scale=None if scale is None else int(scale),
        # BIT holds non-negative values only, whatever its declaration says.
        unsigned=" unsigned" in sql_type.lower() or row["data_type"].lower() == "bit",
        enum_labels=_labels(sql_type) if logical in (L.ENUM, L.SET) else None,
        comment=row["comment"] or None,
    )


def _charset(column: Column, row: Row, table: Row) -> Column:
    """``column`` with its character set and collation where they differ from its table's."""
    charset = row["charset"] if row["charset"] and row["charset"] != table["charset"] else None
    collation = row["collation"] if row["collation"] and row["collation"] != table["collation"] else None
    return replace(column, charset=charset, collation=collation) if charset or collation else column


def _default(row: Row, flavour: _Flavour, logical: LogicalType) -> str | None:
    raw: str | None = row["dflt"]
    extra = row["extra"] or ""
    if flavour.sql_defaults:
        return None if raw in (None, "NULL") else raw
    if raw is None or "DEFAULT_GENERATED" in extra.upper() or logical in _UNQUOTED_DEFAULTS:
        return raw  # MySQL: an expression default or a number, printed as SQL already
    if raw.startswith(("b'", "0x")):
        return raw
    return "'" + raw.replace("'", "''") + "'"


def _labels(column_type: str) -> tuple[str, ...]:
    # The MySQL tokenizer undoes both escapes the server uses in COLUMN_TYPE ('' and \\).
    tokens = sqlglot.tokenize(column_type, read="mysql")
    return tuple(t.text for t in tokens if t.token_type == TokenType.STRING)


def _check(row: Row, columns: Sequence[Row]) -> CheckConstraint:
    clause = row["clause"]
    return CheckConstraint(
        expression=clause,
        name=row["cname"],
        columns=mentioned_columns(clause, (c["name"] for c in columns), "mysql"),
        source="column" if str(row["level"]).lower() == "column" else "table",
    )


def _json_valid(check: CheckConstraint) -> re.Match[str] | None:
    return _JSON_VALID.fullmatch(check.expression.strip())


def _indexes(
    table: str, rows: Sequence[Row], warnings: list[str]
) -> tuple[tuple[UniqueConstraint, ...], tuple[Index, ...]]:
    parts: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        parts[r["iname"]].append(r)
    uniques: list[UniqueConstraint] = []
    indexes: list[Index] = []
    for name, key in parts.items():
        columns = tuple(r["name"] for r in key if r["name"] is not None)
        method = INDEX_METHODS.get(str(key[0]["index_type"]).upper())
        on_expression = any(r["expression"] is not None for r in key)
        # MariaDB reports SUB_PART 32 for a SPATIAL key part, which no CREATE INDEX may repeat.
        on_prefix = method != "spatial" and any(r["sub_part"] is not None for r in key)
        expressions = tuple(_key_part(r) for r in key) if on_expression or on_prefix else ()
        unique = not int(key[0]["non_unique"])
        if unique and not on_expression:
            uniques.append(UniqueConstraint(columns, name=name))
            if on_prefix:
                warnings.append(
                    f"{table}: unique key {name} ({', '.join(expressions)}) constrains column prefixes; "
                    "it is recorded as unique on the whole columns, so generated values must also "
                    "differ within the prefix"
                )
            continue
        if unique:
            warnings.append(
                f"{table}: unique index {name} on expressions ({', '.join(expressions)}) is kept as a "
                "plain index; its uniqueness is not modelled"
            )
        indexes.append(Index(columns, name=name, expressions=expressions, method=method))
    return tuple(uniques), tuple(indexes)


def _key_part(row: Row) -> str:
    if row["expression"] is not None:
        return f"({row['expression']})"
    quoted = "`" + row["name"].replace("`", "``") + "`"
    return f"{quoted}({row['sub_part']})" if row["sub_part"] is not None else quoted


def _foreign_keys(database: str, rows: Sequence[Row]) -> tuple[ForeignKey, ...]:
    by_name: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        by_name[r["cname"]].append(r)
    out = []
    for name, key in by_name.items():
        first = key[0]
        # A parent in another database keeps its qualified name, so introspect() can report and
        # drop it: the Schema only holds FKs that resolve inside it.
        ref = first["ref_table"]
        if first["ref_schema"] != database:
            ref = f"{first['ref_schema']}.{ref}"
        out.append(
            ForeignKey(
                columns=tuple(r["name"] for r in key),
                ref_table=ref,
                ref_columns=tuple(r["ref_name"] for r in key),
                name=name,
                on_delete=_action(first["on_delete"]),
                on_update=_action(first["on_update"]),
            )
        )
    return tuple(out)


def _action(rule: str) -> FkAction:
    action = rule.upper()
    if action not in get_args(FkAction):
        raise SchemaError(f"unknown foreign-key action '{rule}' in the catalog")
    return cast(FkAction, action)


def _partitioning(rows: Sequence[Row]) -> Partitioning | None:
    if not rows:
        return None
    method = rows[0]["method"].upper()
    names = tuple(dict.fromkeys(r["pname"] for r in rows))  # one row per subpartition
    descriptions = dict(zip((r["pname"] for r in rows), (r["description"] for r in rows), strict=True))
    template = _BOUND_TEMPLATES.get(method)
    bounds: tuple[str, ...] = ()
    if template is not None:
        bounds = tuple(
            "VALUES LESS THAN MAXVALUE" if descriptions[n] == "MAXVALUE" else template.format(descriptions[n])
            for n in names
        )
    key = rows[0]["expression"] or ""
    return Partitioning(strategy=method.lower(), key=key, partitions=names, bounds=bounds)
