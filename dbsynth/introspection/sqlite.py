"""SQLite introspection: one database file in, a :class:`~dbsynth.schema.Schema` out.

The file is the unit: SQLite has no schemas to choose from, ``Table.schema`` is None and table
keys are the names as created. The inspector lists the tables; the structure comes from the
PRAGMAs, which are SQLite's own word on it (``table_xinfo`` with hidden generated columns,
``foreign_key_list``, ``index_list``/``index_xinfo``). What only the ``CREATE TABLE`` text knows
(CHECKs and whether they are column or table CHECKs, generation expressions, AUTOINCREMENT,
constraint names, DEFERRABLE) is read from ``sqlite_master.sql`` with sqlglot's *tokenizer*, not
its parser and not SQLAlchemy's regular expressions: SQLite accepts type names sqlglot cannot
parse (``x FLOATING POINT``), and the inspector's expressions misread lowercase
``generated always as`` and miss a column constraint's name and DEFERRABLE. Tokens keep their
offsets, so a CHECK's text is exactly what was written.

Decisions:

* The logical type comes from the declared type's name where it says more than its affinity
  (``VARCHAR(20)`` is a string of length 20, ``DATETIME`` a timestamp, ``BOOLEAN`` a boolean),
  otherwise from SQLite's affinity rules (``datatype3.html`` §3.1, applied in SQLite's order, so
  ``FLOATING POINT`` is INTEGER like SQLite says). An unknown name with NUMERIC affinity
  (``STRING``, ``MONEY``) and a column with no declared type can hold any value: OTHER and a
  warning. SQLite enforces no length; ``length`` is the declared intent.
* A primary key that SQLite made the rowid (``INTEGER PRIMARY KEY`` in a rowid table, but not
  ``INTEGER PRIMARY KEY DESC`` nor ``INT PRIMARY KEY``) is recognised by SQLite's own decision:
  it has no ``pk`` index. It gets ``Identity("rowid")`` and is NOT NULL (NULL means "next
  rowid"). With AUTOINCREMENT the identity names ``sqlite_sequence`` as its sequence: that table
  holds the high-water mark a load must raise.
* A UNIQUE index on expressions cannot be a column-set uniqueness: it becomes an :class:`Index`
  with a warning. ``Index.expressions`` holds every key part as written once any part is an
  expression; ``columns`` the plain columns, as for PostgreSQL.
* ``row_estimate`` comes from ``sqlite_stat1`` when ANALYZE has run, else None: introspection
  reads the catalog only and never counts rows.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast, get_args

import sqlalchemy as sa
import sqlglot
from sqlalchemy.engine import Connection
from sqlglot.tokens import Token, TokenType

from dbsynth.errors import SchemaError
from dbsynth.introspection.mysql import mentioned_columns
from dbsynth.schema import (
    CheckConstraint,
    Column,
    FkAction,
    ForeignKey,
    Identity,
    Index,
    LogicalType,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

L = LogicalType

# Declared type name (lowercase, without its arguments) -> logical type, for names that say more
# than their affinity. "" is a column declared without a type: any value fits, so OTHER.
LOGICAL_BY_DECLARED_TYPE: dict[str, LogicalType] = {
    "": L.OTHER,
    **dict.fromkeys(("boolean", "bool"), L.BOOLEAN),
    "date": L.DATE,
    "time": L.TIME,
    **dict.fromkeys(("datetime", "timestamp"), L.TIMESTAMP),
    **dict.fromkeys(("decimal", "numeric"), L.DECIMAL),
    **dict.fromkeys(
        (
            "char",
            "varchar",
            "nchar",
            "nvarchar",
            "character",
            "character varying",
            "varying character",
            "native character",
        ),
        L.STRING,
    ),
    **dict.fromkeys(("json", "jsonb"), L.JSON),
    "uuid": L.UUID,
}
# SQLite's affinity rules in the order SQLite applies them; no match is NUMERIC affinity.
AFFINITY_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("INT",), "INTEGER"),
    (("CHAR", "CLOB", "TEXT"), "TEXT"),
    (("BLOB",), "BLOB"),
    (("REAL", "FLOA", "DOUB"), "REAL"),
)
LOGICAL_BY_AFFINITY: dict[str, LogicalType] = {
    "INTEGER": L.INTEGER,
    "TEXT": L.TEXT,
    "BLOB": L.BYTES,
    "REAL": L.FLOAT,
    "NUMERIC": L.OTHER,  # only reached by names missing above: they may hold any value
}
_DECLARED = re.compile(r"\s*(?P<base>[^(]*?)\s*(?:\((?P<args>[^)]*)\))?\s*")
# Keywords that open a table constraint; anything else opens a column definition.
_TABLE_CONSTRAINTS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})
# Keywords after which a foreign-key clause of a column definition is over.
_AFTER_REFERENCES = frozenset(
    {"CONSTRAINT", "CHECK", "PRIMARY", "UNIQUE", "COLLATE", "GENERATED", "AS", "REFERENCES", "DEFAULT"}
)
_NOT_KEYWORDS = frozenset({TokenType.IDENTIFIER, TokenType.STRING})


def reflect(conn: Connection, schemas: Sequence[str] | None) -> Schema:
    """The Schema of the whole SQLite file (see the module docstring)."""
    if schemas:
        raise SchemaError(
            f"SQLite databases have no schemas (asked for {', '.join(repr(s) for s in schemas)}); "
            "the whole file is introspected"
        )
    catalog_sql = "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index')"
    catalog: dict[str, str] = {name: sql for name, sql in conn.exec_driver_sql(catalog_sql)}
    kinds = _table_kinds(conn)
    estimates = _row_estimates(conn)
    warnings: list[str] = []
    tables = []
    for name in sorted(sa.inspect(conn).get_table_names()):
        ddl = catalog.get(name) or ""
        if kinds.get(name) == "shadow":
            continue  # the storage of a virtual table, which is reported itself
        if kinds.get(name) == "virtual" or ddl.upper().startswith("CREATE VIRTUAL"):
            warnings.append(f"{name}: virtual table ({' '.join(ddl.split())[:80]}) is not introspected")
            continue
        table = _TableReader(conn, name, ddl, catalog, warnings).table()
        tables.append(replace(table, row_estimate=estimates.get(name)))
    by_lower = {t.name.lower(): t for t in tables}
    return Schema(
        dialect="sqlite",
        tables=tuple(_resolve_references(t, by_lower) for t in tables),
        database=_database_name(conn),
        server_version=str(conn.exec_driver_sql("SELECT sqlite_version()").scalar()),
        warnings=tuple(warnings),
    )


def declared_logical(declared: str) -> tuple[LogicalType, tuple[int, ...]]:
    """The logical type of a declared column type and its integer arguments
    (``NUMERIC(10, 2)`` -> ``(DECIMAL, (10, 2))``)."""
    m = _DECLARED.fullmatch(declared)
    base = " ".join((m.group("base") if m else declared).lower().split())
    raw_args = (m.group("args") or "").split(",") if m else []
    args = tuple(int(a) for a in (a.strip().lstrip("+") for a in raw_args) if a.isdigit())
    logical = LOGICAL_BY_DECLARED_TYPE.get(base)
    return (LOGICAL_BY_AFFINITY[affinity(declared)] if logical is None else logical), args


def affinity(declared: str) -> str:
    """SQLite's column affinity for a declared type: INTEGER, TEXT, BLOB, REAL or NUMERIC."""
    upper = declared.upper()
    if not upper.strip():
        return "BLOB"
    for needles, result in AFFINITY_RULES:
        if any(n in upper for n in needles):
            return result
    return "NUMERIC"


# -- one table ---------------------------------------------------------------------------------


class _TableReader:
    """Reads one table from the PRAGMAs and its CREATE TABLE text."""

    def __init__(
        self, conn: Connection, name: str, sql: str, catalog: dict[str, str], warnings: list[str]
    ) -> None:
        self.conn, self.name, self.catalog, self.warnings = conn, name, catalog, warnings
        self.ddl = scan_create_table(sql)

    def pragma(self, function: str, argument: str) -> list[Any]:
        # The table-valued form binds the name as a parameter: no identifier quoting to get wrong.
        return list(self.conn.exec_driver_sql(f"SELECT * FROM pragma_{function}(?)", (argument,)))

    def table(self) -> Table:
        xinfo = self.pragma("table_xinfo", self.name)
        index_list = self.pragma("index_list", self.name)
        pk = tuple(r.name for r in sorted((r for r in xinfo if r.pk), key=lambda r: r.pk))
        # SQLite builds a "pk" index for every primary key except the one it made the rowid.
        rowid = pk[0] if len(pk) == 1 and not any(i.origin == "pk" for i in index_list) else None
        columns = tuple(self.column(r, r.name == rowid) for r in xinfo)
        names = [c.name for c in columns]
        uniques, indexes = self.indexes(index_list)
        checks = tuple(
            CheckConstraint(
                text, name, mentioned_columns(text, names, "sqlite"), "column" if col else "table"
            )
            for name, text, col in self.ddl.checks
        )
        return Table(
            name=self.name,
            columns=columns,
            primary_key=PrimaryKey(pk, self.ddl.pk_name) if pk else None,
            uniques=uniques,
            foreign_keys=self.foreign_keys(),
            checks=checks,
            indexes=indexes,
        )

    def column(self, row: Any, is_rowid: bool) -> Column:
        declared: str = row.type or ""
        logical, args = declared_logical(declared)
        identity = None
        if is_rowid:
            autoincrement = row.name.lower() in self.ddl.autoincrement
            identity = Identity("rowid", sequence="sqlite_sequence" if autoincrement else None)
        # hidden: 2 = VIRTUAL generated, 3 = STORED generated (1 is a virtual table's hidden column)
        generated = self.ddl.generated.get(row.name.lower()) if row.hidden in (2, 3) else None
        if logical is L.OTHER and generated is None:  # generated columns are never written
            what = f"type '{declared}' is not modelled" if declared else "declares no type"
            self.warnings.append(
                f"{self.name}.{row.name}: {what}; its SQL type is kept and it is generated as NULL "
                "or a constant"
            )
        return Column(
            name=row.name,
            sql_type=declared,
            logical=logical,
            nullable=not row.notnull and not is_rowid,
            default=row.dflt_value,
            identity=identity,
            generated=generated,
            length=args[0] if logical is L.STRING and args else None,
            precision=args[0] if logical is L.DECIMAL and args else None,
            scale=args[1] if logical is L.DECIMAL and len(args) > 1 else None,
        )

    def indexes(self, index_list: Sequence[Any]) -> tuple[tuple[UniqueConstraint, ...], tuple[Index, ...]]:
        uniques: list[UniqueConstraint] = []
        indexes: list[Index] = []
        # index_list is newest first: reversed, UNIQUE constraints come in declaration order
        for ix in reversed(index_list):
            if ix.origin == "pk":
                continue
            parts = [r for r in self.pragma("index_xinfo", ix.name) if r.key]
            plain = tuple(r.name for r in parts if r.cid >= 0)  # -2: an expression, -1: the rowid
            if ix.origin == "u":
                uniques.append(UniqueConstraint(plain, self.ddl.unique_names.get(_lower(plain))))
                continue
            texts, where = scan_create_index(self.catalog.get(ix.name) or "")
            on_expression = any(r.cid == -2 for r in parts)
            expressions = tuple(texts) if on_expression else ()
            if ix.unique and not on_expression:
                uniques.append(UniqueConstraint(plain, ix.name, "index", where))
                continue
            if ix.unique:
                self.warnings.append(
                    f"{self.name}: unique index {ix.name} on expressions ({', '.join(expressions)}) is "
                    "kept as a plain index; its uniqueness is not modelled"
                )
            indexes.append(Index(plain, ix.name, expressions))
        return tuple(uniques), tuple(sorted(indexes, key=lambda i: i.name or ""))

    def foreign_keys(self) -> tuple[ForeignKey, ...]:
        by_id: dict[int, list[Any]] = defaultdict(list)
        for r in self.pragma("foreign_key_list", self.name):
            by_id[r.id].append(r)
        declared = list(self.ddl.fks)
        out = []
        # SQLite numbers foreign keys from the last declared one: descending ids are declaration order
        for fk_id in sorted(by_id, reverse=True):
            rows = sorted(by_id[fk_id], key=lambda r: r.seq)
            columns = tuple(r._mapping["from"] for r in rows)
            name, deferrable, initially_deferred = _take_declared(declared, _lower(columns))
            out.append(
                ForeignKey(
                    columns=columns,
                    ref_table=rows[0].table,
                    # "to" is NULL when the clause names no columns: the parent's primary key,
                    # filled in by _resolve_references once every table is read
                    ref_columns=tuple(r.to for r in rows) if rows[0].to is not None else (),
                    name=name,
                    on_delete=_action(rows[0].on_delete),
                    on_update=_action(rows[0].on_update),
                    deferrable=deferrable,
                    initially_deferred=initially_deferred,
                )
            )
        return tuple(out)


def _resolve_references(table: Table, by_lower: dict[str, Table]) -> Table:
    """Spell every FK's parent table and columns as the parent declares them (SQLite compares
    identifiers case-insensitively, so ``REFERENCES album(albumid)`` is a valid reference to
    ``Album(AlbumId)``) and fill in the parent's primary key where the clause names no columns.
    A parent that does not exist keeps its spelling: introspect() reports and drops the FK."""
    fks = []
    for fk in table.foreign_keys:
        parent = by_lower.get(fk.ref_table.lower())
        if parent is None:
            fks.append(fk if fk.ref_columns else replace(fk, ref_columns=fk.columns))
            continue
        spelled = {c.lower(): c for c in parent.column_names}
        ref_columns = fk.ref_columns or (parent.primary_key.columns if parent.primary_key else ())
        fks.append(
            replace(
                fk, ref_table=parent.name, ref_columns=tuple(spelled.get(c.lower(), c) for c in ref_columns)
            )
        )
    return replace(table, foreign_keys=tuple(fks))


def _take_declared(declared: list[_DeclaredFk], columns: tuple[str, ...]) -> tuple[str | None, bool, bool]:
    for i, fk in enumerate(declared):
        if fk.columns == columns:
            del declared[i]
            return fk.name, fk.deferrable, fk.initially_deferred
    return None, False, False


def _action(rule: str) -> FkAction:
    action = rule.upper()
    if action not in get_args(FkAction):
        raise SchemaError(f"unknown foreign-key action '{rule}' in the catalog")
    return cast(FkAction, action)


def _lower(names: Sequence[str]) -> tuple[str, ...]:
    return tuple(n.lower() for n in names)


def _table_kinds(conn: Connection) -> dict[str, str]:
    """name -> table / virtual / shadow; empty before SQLite 3.37, which has no table_list."""
    try:
        rows = conn.exec_driver_sql("SELECT name, type FROM pragma_table_list WHERE schema = 'main'")
        return {name: kind for name, kind in rows}
    except sa.exc.OperationalError:
        return {}


def _row_estimates(conn: Connection) -> dict[str, int]:
    """Rows per table as ANALYZE last counted them (the first number of each sqlite_stat1 entry)."""
    if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        return {}
    out: dict[str, int] = {}
    for tbl, stat in conn.exec_driver_sql("SELECT tbl, stat FROM sqlite_stat1"):
        first = str(stat).split()[0] if stat else ""
        if first.isdigit():
            out[tbl] = max(out.get(tbl, 0), int(first))
    return out


def _database_name(conn: Connection) -> str | None:
    """The file name of the main database (no directory: a Schema travels between machines)."""
    for row in conn.exec_driver_sql("PRAGMA database_list"):
        if row.name == "main":
            return os.path.basename(row.file) or None
    return None


# -- the CREATE statements, token by token -------------------------------------------------------


@dataclass(frozen=True)
class _DeclaredFk:
    columns: tuple[str, ...]  # lowercase
    name: str | None
    deferrable: bool
    initially_deferred: bool


@dataclass
class CreateTable:
    """What only the CREATE TABLE text tells. Column names are lowercase (SQLite compares them
    case-insensitively); ``checks`` are ``(name, expression, column or None for a table CHECK)``."""

    checks: list[tuple[str | None, str, str | None]] = field(default_factory=list)
    generated: dict[str, str] = field(default_factory=dict)
    autoincrement: set[str] = field(default_factory=set)
    fks: list[_DeclaredFk] = field(default_factory=list)
    unique_names: dict[tuple[str, ...], str] = field(default_factory=dict)
    pk_name: str | None = None


def scan_create_table(sql: str) -> CreateTable:
    """Read CHECKs, generation expressions, AUTOINCREMENT, constraint names and DEFERRABLE from a
    CREATE TABLE statement. Expression texts are cut from ``sql`` as written."""
    out = CreateTable()
    tokens = sqlglot.tokenize(sql, read="sqlite")
    start = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.L_PAREN), None)
    if start is None:
        return out
    for item in _split(tokens, start + 1, _closing(tokens, start)):
        _scan_definition(item, sql, out)
    return out


def scan_create_index(sql: str) -> tuple[list[str], str | None]:
    """The key parts of a CREATE INDEX statement as written, and its WHERE predicate."""
    tokens = sqlglot.tokenize(sql, read="sqlite")
    on = next((i for i, t in enumerate(tokens) if _keyword(t) == "ON"), None)
    if on is None:
        return [], None
    start = next(i for i in range(on, len(tokens)) if tokens[i].token_type == TokenType.L_PAREN)
    end = _closing(tokens, start)
    parts = [_cut(sql, part[0], part[-1]) for part in _split(tokens, start + 1, end) if part]
    where = None
    if end + 1 < len(tokens) and _keyword(tokens[end + 1]) == "WHERE":
        where = sql[tokens[end + 1].end + 1 :].strip().rstrip(";").strip()
    return parts, where


def _scan_definition(item: list[Token], sql: str, out: CreateTable) -> None:
    """One column definition or table constraint: a walk over its tokens that remembers the
    pending CONSTRAINT name and skips every parenthesis it does not understand, so nothing
    inside a DEFAULT (...) or a type's arguments is mistaken for a constraint."""
    if not item:
        return
    column = None if _keyword(item[0]) in _TABLE_CONSTRAINTS else item[0].text.lower()
    name: str | None = None
    i = 0 if column is None else 1
    while i < len(item):
        kw = _keyword(item[i])
        paren = i + 1 < len(item) and item[i + 1].token_type == TokenType.L_PAREN
        if kw == "CONSTRAINT" and i + 1 < len(item):
            name = item[i + 1].text
            i += 2
            continue
        if kw in ("CHECK", "AS") and paren and (kw == "CHECK" or column is not None):
            end = _closing(item, i + 1)
            text = sql[item[i + 1].end + 1 : item[end].start].strip()
            if kw == "CHECK":
                out.checks.append((name, text, column))
            else:
                out.generated[column or ""] = text
            name, i = None, end + 1
            continue
        if kw == "AUTOINCREMENT" and column is not None:
            out.autoincrement.add(column)
        elif kw == "PRIMARY":
            out.pk_name, name = name, None
        elif kw == "UNIQUE":
            columns = _names(item, i + 1) if column is None and paren else (column or "",)
            if name:
                out.unique_names[columns] = name
            name = None
        elif kw in ("FOREIGN", "REFERENCES"):
            columns = (column or "",)
            if kw == "FOREIGN":  # FOREIGN KEY (a, b) REFERENCES ...
                i = next(j for j in range(i, len(item)) if item[j].token_type == TokenType.L_PAREN)
                columns = _names(item, i)
                i = _closing(item, i) + 1  # the REFERENCES keyword
            deferrable, initially_deferred = _deferral(item, i + 1)
            out.fks.append(_DeclaredFk(columns, name, deferrable, initially_deferred))
            name = None
        elif item[i].token_type == TokenType.L_PAREN:
            i = _closing(item, i)
        i += 1


def _deferral(item: list[Token], start: int) -> tuple[bool, bool]:
    """``(deferrable, initially_deferred)`` of the foreign-key clause starting at ``start``."""
    deferrable = initially_deferred = False
    i = start
    while i < len(item):
        kw = _keyword(item[i])
        # ON DELETE SET DEFAULT is part of the clause; a DEFAULT of its own starts the next one
        if kw in _AFTER_REFERENCES and not (kw == "DEFAULT" and _keyword(item[i - 1]) == "SET"):
            break
        if kw == "DEFERRABLE":
            deferrable = _keyword(item[i - 1]) != "NOT"
        elif kw == "INITIALLY" and i + 1 < len(item):
            initially_deferred = _keyword(item[i + 1]) == "DEFERRED"
        elif item[i].token_type == TokenType.L_PAREN:
            i = _closing(item, i)
        i += 1
    return deferrable, deferrable and initially_deferred


def _keyword(token: Token) -> str | None:
    """The upper-cased first word of an unquoted token (sqlglot makes one token of ``FOREIGN KEY``
    and ``PRIMARY KEY``); None for quoted names and strings, so a column called "check" is never
    read as the keyword."""
    if token.token_type in _NOT_KEYWORDS or not token.text.strip():
        return None
    return token.text.split()[0].upper()


def _closing(tokens: Sequence[Token], open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(tokens)):
        if tokens[i].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[i].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return i
    return len(tokens) - 1


def _split(tokens: Sequence[Token], start: int, end: int) -> list[list[Token]]:
    """The comma-separated items between ``start`` and ``end`` (exclusive), at depth zero."""
    items: list[list[Token]] = [[]]
    depth = 0
    for t in tokens[start:end]:
        if t.token_type == TokenType.COMMA and depth == 0:
            items.append([])
            continue
        depth += (t.token_type == TokenType.L_PAREN) - (t.token_type == TokenType.R_PAREN)
        items[-1].append(t)
    return items


def _names(tokens: Sequence[Token], open_at: int) -> tuple[str, ...]:
    """The column names of a parenthesised list (``(a COLLATE nocase, "B" DESC)`` -> a, b)."""
    parts = _split(tokens, open_at + 1, _closing(tokens, open_at))
    return tuple(p[0].text.lower() for p in parts if p)


def _cut(sql: str, first: Token, last: Token) -> str:
    return sql[first.start : last.end + 1]
