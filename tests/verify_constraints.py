"""An independent constraint verifier for a clone: our own catalog queries, not dbsynth's.

dbsynth has its own introspection and its own validity report; a test that checks dbsynth with
dbsynth would share its blind spots. This module reads each catalog directly (PostgreSQL
``pg_constraint``/``pg_index``/``pg_attribute``, MariaDB/MySQL ``information_schema``, SQLite
``sqlite_master`` and its pragmas) and checks a target database against its source:

* presence: every source PRIMARY KEY, FOREIGN KEY, UNIQUE (constraints and unique indexes,
  partial and expression ones included), CHECK, NOT NULL and EXCLUDE exists in the target, or is
  named in the notes the tool printed about what it did not carry;
* validity: no FK orphan (anti-join, MATCH SIMPLE/FULL), no duplicate key (NULLs excluded per
  SQL rules unless NULLS NOT DISTINCT), no NULL in a NOT NULL column, no row failing a CHECK
  (re-run with the target catalog's own check text), no pair of rows an EXCLUDE over columns
  rules out (a self-join with its operators), over the target's constraints and the source's
  key, FK, NOT NULL and (on a PostgreSQL target) EXCLUDE constraints mapped onto the target's
  tables;
* rows: every table that has rows in the source has rows in the target.

Every function returns human-readable problems; an empty list means the target is sound.
Only ``dbsynth.db.parse_url`` is used from dbsynth (URL forms and drivers), like conftest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

PK, FK, UNIQUE, CHECK, NOT_NULL, EXCLUDE = (
    "PRIMARY KEY",
    "FOREIGN KEY",
    "UNIQUE",
    "CHECK",
    "NOT NULL",
    "EXCLUDE",
)


@dataclass(frozen=True)
class KeyPart:
    """One part of a key: a column, or an expression (``column`` is then None)."""

    column: str | None
    expression: str | None = None
    prefix: int | None = None  # MariaDB/MySQL key prefix length (UNIQUE KEY (name(191)))

    def label(self) -> str:
        if self.column is None:
            return f"({self.expression})"
        return self.column if self.prefix is None else f"{self.column}({self.prefix})"


@dataclass(frozen=True)
class Constraint:
    kind: str
    table: str  # the table's key in its own database: "schema.table" (PostgreSQL) or "table"
    name: str | None
    parts: tuple[KeyPart, ...] = ()
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    expression: str | None = None  # CHECK text, EXCLUDE definition, partial-index predicate
    full_match: bool = False  # FK MATCH FULL
    nulls_not_distinct: bool = False  # PostgreSQL 15 UNIQUE NULLS NOT DISTINCT
    validated: bool = True  # PostgreSQL NOT VALID constraints
    # EXCLUDE: the operator of each column (OPERATOR(schema.name)), and the index predicate.
    operators: tuple[str, ...] = ()
    where: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(p.column for p in self.parts if p.column is not None)

    def describe(self) -> str:
        what = f"{self.kind} {self.name}" if self.name else self.kind
        if self.kind == FK:
            cols = ", ".join(self.columns)
            return f"{what} ({cols}) -> {self.ref_table} ({', '.join(self.ref_columns)}) on {self.table}"
        if self.kind in (CHECK, EXCLUDE):
            return f"{what} ({self.expression}) on {self.table}"
        if self.kind == NOT_NULL:
            return f"NOT NULL on {self.table}.{self.columns[0]}"
        where = f" WHERE {self.expression}" if self.expression else ""
        return f"{what} ({', '.join(p.label() for p in self.parts)}){where} on {self.table}"


@dataclass
class Table:
    key: str
    schema: str | None
    name: str
    columns: dict[str, str] = field(default_factory=dict)  # name -> declared type
    rows: int = 0


@dataclass
class Catalog:
    dialect: str  # "postgresql", "mysql" or "sqlite"
    tables: dict[str, Table] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)

    def of(self, table: str, kind: str) -> list[Constraint]:
        return [c for c in self.constraints if c.table == table and c.kind == kind]


def engine_for(url: str | Engine) -> Engine:
    if isinstance(url, Engine):
        return url
    from dbsynth.db import parse_url

    return sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool)


# --------------------------------------------------------------------------------- quoting
def quote(dialect: str, name: str) -> str:
    if dialect == "mysql":
        return "`" + name.replace("`", "``") + "`"
    return '"' + name.replace('"', '""') + '"'


def table_sql(cat: Catalog, key: str) -> str:
    t = cat.tables[key]
    q = quote(cat.dialect, t.name)
    return f"{quote(cat.dialect, t.schema)}.{q}" if t.schema else q


def part_sql(dialect: str, part: KeyPart) -> str:
    if part.column is None:
        return f"({part.expression})"
    col = quote(dialect, part.column)
    if part.prefix is None:
        return col
    # The prefix is what the server compares for uniqueness; every dialect spells it substr.
    return f"substr({col}, 1, {part.prefix})"


# ------------------------------------------------------------------------------ PostgreSQL
_PG_TABLES = """
SELECT c.oid, n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
"""

_PG_COLUMNS = """
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull OR t.typnotnull
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attrelid = ANY(:oids)
ORDER BY a.attrelid, a.attnum
"""

# contype 'n' (PostgreSQL 18 NOT NULL constraints) is left out: attnotnull says the same.
_PG_CONSTRAINTS = """
SELECT c.conrelid, c.conname, c.contype, c.conkey, c.confrelid, c.confkey, c.confmatchtype,
       pg_get_constraintdef(c.oid, true), c.convalidated,
       coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false),
       ARRAY(SELECT format('OPERATOR(%I.%s)', n.nspname, o.oprname)
             FROM unnest(c.conexclop) WITH ORDINALITY AS k(op, i)
             JOIN pg_operator o ON o.oid = k.op JOIN pg_namespace n ON n.oid = o.oprnamespace
             ORDER BY k.i),
       (SELECT pg_get_expr(x.indpred, x.indrelid, true) FROM pg_index x
        WHERE x.indexrelid = c.conindid AND c.contype = 'x')
FROM pg_constraint c LEFT JOIN pg_index i ON i.indexrelid = c.conindid AND c.contype IN ('p', 'u')
WHERE c.contype IN ('p', 'u', 'f', 'c', 'x') AND c.conrelid = ANY(:oids)
ORDER BY c.conrelid, c.conname
"""

# Unique indexes that back no constraint (Rails and others write uniques this way).
_PG_UNIQUE_INDEXES = """
SELECT i.indrelid, ic.relname, i.indnkeyatts, i.indkey::int2[],
       pg_get_expr(i.indpred, i.indrelid, true),
       coalesce((to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false), i.indexrelid
FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
WHERE i.indisunique AND i.indrelid = ANY(:oids)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                  AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
ORDER BY i.indrelid, ic.relname
"""


def _read_postgres(conn: Connection) -> Catalog:
    # With only pg_catalog on the search_path the deparsed expressions (pg_get_constraintdef,
    # pg_get_indexdef) qualify every non-catalog name, so they run unchanged later on.
    conn.exec_driver_sql("SET search_path = pg_catalog")
    cat = Catalog("postgresql")
    oid_key: dict[int, str] = {}
    for oid, schema, name in conn.execute(sa.text(_PG_TABLES)):
        key = f"{schema}.{name}"
        oid_key[oid] = key
        cat.tables[key] = Table(key, schema, name)
    oids = list(oid_key)
    attname: dict[tuple[int, int], str] = {}
    for oid, col, typ, notnull in conn.execute(sa.text(_PG_COLUMNS), {"oids": oids}):
        cat.tables[oid_key[oid]].columns[col] = typ
        if notnull:
            cat.constraints.append(Constraint(NOT_NULL, oid_key[oid], None, (KeyPart(col),)))
    for oid, num, col in conn.execute(
        sa.text(
            "SELECT attrelid, attnum, attname FROM pg_attribute "
            "WHERE attnum > 0 AND NOT attisdropped AND attrelid = ANY(:oids)"
        ),
        {"oids": [*oids, 0]},
    ):
        attname[(oid, num)] = col

    def names(rel: int, nums: Sequence[int] | None) -> tuple[str, ...]:
        # attnum 0 is an expression element (an EXCLUDE over lower(x)): it names no column.
        return tuple(attname[(rel, n)] for n in nums or () if n)

    ref_oids: set[int] = set()
    rows = conn.execute(sa.text(_PG_CONSTRAINTS), {"oids": oids}).all()
    ref_oids = {r[4] for r in rows if r[2] == "f" and r[4] not in oid_key}
    if ref_oids:  # an FK to a table outside the set read (a partition, another schema)
        for oid, schema, name in conn.execute(
            sa.text(
                "SELECT c.oid, n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = ANY(:o)"
            ),
            {"o": list(ref_oids)},
        ):
            oid_key[oid] = f"{schema}.{name}"
        for oid, num, col in conn.execute(
            sa.text("SELECT attrelid, attnum, attname FROM pg_attribute WHERE attrelid = ANY(:o)"),
            {"o": list(ref_oids)},
        ):
            attname[(oid, num)] = col
    for rel, name, kind, key, frel, fkey, match, definition, valid, nnd, ops, pred in rows:
        table = oid_key[rel]
        parts = tuple(KeyPart(c) for c in names(rel, key))
        if kind in ("p", "u"):
            cat.constraints.append(
                Constraint(PK if kind == "p" else UNIQUE, table, name, parts, nulls_not_distinct=nnd)
            )
        elif kind == "f":
            cat.constraints.append(
                Constraint(
                    FK,
                    table,
                    name,
                    parts,
                    ref_table=oid_key[frel],
                    ref_columns=names(frel, fkey),
                    full_match=match == "f",
                    validated=valid,
                )
            )
        elif kind == "c":
            cat.constraints.append(
                Constraint(CHECK, table, name, parts, expression=_pg_check_text(definition), validated=valid)
            )
        else:
            # Operators only when every element is a column: the self-join can then be re-run.
            plain = bool(key) and all(key) and len(ops) == len(key)
            cat.constraints.append(
                Constraint(
                    EXCLUDE,
                    table,
                    name,
                    parts,
                    expression=definition,
                    operators=tuple(ops) if plain else (),
                    where=pred,
                )
            )
    for rel, name, nkey, indkey, pred, nnd, index_oid in conn.execute(
        sa.text(_PG_UNIQUE_INDEXES), {"oids": oids}
    ):
        parts_list: list[KeyPart] = []
        for pos, num in enumerate(indkey[:nkey], start=1):
            if num:
                parts_list.append(KeyPart(attname[(rel, num)]))
            else:
                expr = conn.execute(
                    sa.text("SELECT pg_get_indexdef(:i, :k, true)"), {"i": index_oid, "k": pos}
                ).scalar_one()
                parts_list.append(KeyPart(None, expr))
        cat.constraints.append(
            Constraint(UNIQUE, oid_key[rel], name, tuple(parts_list), expression=pred, nulls_not_distinct=nnd)
        )
    return cat


def _pg_check_text(definition: str) -> str:
    text = definition.strip()
    text = re.sub(r"\s+NOT VALID$", "", text)
    text = re.sub(r"\s+NO INHERIT$", "", text)
    return text[len("CHECK") :].strip() if text.upper().startswith("CHECK") else text


# ---------------------------------------------------------------------------- MariaDB/MySQL
def _read_mysql(conn: Connection) -> Catalog:
    cat = Catalog("mysql")
    db = conn.exec_driver_sql("SELECT DATABASE()").scalar_one()
    for (name,) in conn.execute(
        sa.text(
            "SELECT TABLE_NAME FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = :d AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME"
        ),
        {"d": db},
    ):
        cat.tables[name] = Table(name, None, name)
    for table, col, typ, nullable in conn.execute(
        sa.text(
            "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = :d ORDER BY TABLE_NAME, ORDINAL_POSITION"
        ),
        {"d": db},
    ):
        if table not in cat.tables:
            continue  # a view's columns
        cat.tables[table].columns[col] = typ
        if nullable == "NO":
            cat.constraints.append(Constraint(NOT_NULL, table, None, (KeyPart(col),)))
    # PRIMARY KEY and UNIQUE are both unique indexes in MariaDB/MySQL.
    index_parts: dict[tuple[str, str], list[KeyPart]] = {}
    for table, index, col, sub_part in conn.execute(
        sa.text(
            "SELECT TABLE_NAME, INDEX_NAME, COLUMN_NAME, SUB_PART FROM information_schema.STATISTICS "
            "WHERE TABLE_SCHEMA = :d AND NON_UNIQUE = 0 ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"
        ),
        {"d": db},
    ):
        if table in cat.tables:
            index_parts.setdefault((table, index), []).append(
                KeyPart(col, None, int(sub_part) if sub_part is not None else None)
            )
    for (table, index), parts in index_parts.items():
        kind = PK if index == "PRIMARY" else UNIQUE
        cat.constraints.append(Constraint(kind, table, index, tuple(parts)))
    fks: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for table, name, col, ref_table, ref_col in conn.execute(
        sa.text(
            "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_NAME, "
            "k.REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE k "
            "JOIN information_schema.REFERENTIAL_CONSTRAINTS r "
            "ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME "
            "AND r.TABLE_NAME = k.TABLE_NAME "
            "WHERE k.TABLE_SCHEMA = :d AND k.REFERENCED_TABLE_NAME IS NOT NULL "
            "ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION"
        ),
        {"d": db},
    ):
        fks.setdefault((table, name), []).append((col, ref_table, ref_col))
    for (table, name), cols in fks.items():
        cat.constraints.append(
            Constraint(
                FK,
                table,
                name,
                tuple(KeyPart(c[0]) for c in cols),
                ref_table=cols[0][1],
                ref_columns=tuple(c[2] for c in cols),
            )
        )
    for table, name, clause in conn.execute(
        sa.text(
            "SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS "
            "WHERE CONSTRAINT_SCHEMA = :d ORDER BY TABLE_NAME, CONSTRAINT_NAME"
        ),
        {"d": db},
    ):
        if table in cat.tables:
            cat.constraints.append(Constraint(CHECK, table, name, expression=clause))
    return cat


# ---------------------------------------------------------------------------------- SQLite
_TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|"""
    r"""[A-Za-z_][A-Za-z0-9_$]*|\d+(?:\.\d*)?|.""",
    re.S,
)


def _tokens(sql: str) -> list[tuple[int, str]]:
    """(offset, token) pairs of ``sql``, whitespace and comments left out."""
    out = []
    for m in _TOKEN.finditer(sql):
        tok = m.group()
        if tok.isspace() or tok.startswith("--") or tok.startswith("/*"):
            continue
        out.append((m.start(), tok))
    return out


def _unquote(name: str) -> str:
    if name[:1] in '"`[' and len(name) > 1:
        return name[1:-1].replace('""', '"').replace("``", "`")
    return name


def _closing(tokens: list[tuple[int, str]], i: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``tokens[i]``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j][1] == "(":
            depth += 1
        elif tokens[j][1] == ")":
            depth -= 1
            if depth == 0:
                return j
    raise ValueError("unbalanced parentheses")


def _sqlite_checks(sql: str) -> list[tuple[str | None, str]]:
    """(name, expression) of every CHECK in a CREATE TABLE statement (SQLite keeps no catalog
    of them: the statement text in sqlite_master is the catalog)."""
    toks = _tokens(sql)
    out: list[tuple[str | None, str]] = []
    for i, (_, tok) in enumerate(toks):
        if tok.upper() != "CHECK" or i + 1 >= len(toks) or toks[i + 1][1] != "(":
            continue
        end = _closing(toks, i + 1)
        expr = sql[toks[i + 1][0] + 1 : toks[end][0]].strip()
        name = None
        if i >= 2 and toks[i - 2][1].upper() == "CONSTRAINT":
            name = _unquote(toks[i - 1][1])
        out.append((name, expr))
    return out


def _sqlite_index_sql(sql: str) -> tuple[list[str], str | None]:
    """Key texts and WHERE predicate of a CREATE INDEX statement."""
    toks = _tokens(sql)
    on = next(i for i, (_, t) in enumerate(toks) if t.upper() == "ON")
    start = next(i for i in range(on, len(toks)) if toks[i][1] == "(")
    end = _closing(toks, start)
    keys: list[str] = []
    depth, piece_start = 0, toks[start][0] + 1
    for off, tok in toks[start + 1 : end]:
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
        elif tok == "," and depth == 0:
            keys.append(sql[piece_start:off].strip())
            piece_start = off + 1
    keys.append(sql[piece_start : toks[end][0]].strip())
    pred = None
    rest = toks[end + 1 :]
    if rest and rest[0][1].upper() == "WHERE":
        pred = sql[rest[0][0] + len("WHERE") :].strip().rstrip(";").strip()
    return keys, pred


def _read_sqlite(conn: Connection) -> Catalog:
    cat = Catalog("sqlite")
    masters = conn.exec_driver_sql(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).all()
    index_sql = {name: sql for kind, name, _, sql in masters if kind == "index"}
    for kind, name, _, sql in masters:
        if kind != "table":
            continue
        cat.tables[name] = Table(name, None, name)
        q = quote("sqlite", name)
        info = conn.exec_driver_sql(f"PRAGMA table_xinfo({q})").all()
        pk = sorted((r[5], r[1]) for r in info if r[5])
        without_rowid = bool(re.search(r"\)\s*WITHOUT\s+ROWID", sql or "", re.I))
        # A single INTEGER PRIMARY KEY is the rowid: it can never be NULL. Any other PRIMARY
        # KEY column of a rowid table accepts NULL unless declared NOT NULL (SQLite quirk).
        rowid_alias = (
            len(pk) == 1
            and not without_rowid
            and any(r[1] == pk[0][1] and (r[2] or "").upper() == "INTEGER" for r in info)
        )
        for _cid, col, typ, notnull, _default, pkpos, _hidden in info:
            cat.tables[name].columns[col] = typ or ""
            if notnull or (pkpos and (without_rowid or rowid_alias)):
                cat.constraints.append(Constraint(NOT_NULL, name, None, (KeyPart(col),)))
        if pk:
            cat.constraints.append(Constraint(PK, name, None, tuple(KeyPart(c) for _, c in pk)))
        for _seq, index, unique, origin, partial in conn.execute(sa.text(f"PRAGMA index_list({q})")):
            if not unique or origin == "pk":
                continue
            cols = [r for r in conn.exec_driver_sql(f"PRAGMA index_xinfo({quote('sqlite', index)})") if r[5]]
            texts, pred = _sqlite_index_sql(index_sql[index]) if origin == "c" else ([], None)
            parts = tuple(
                KeyPart(r[2]) if r[1] >= 0 else KeyPart(None, texts[i] if i < len(texts) else "?")
                for i, r in enumerate(cols)
            )
            label = None if index.startswith("sqlite_autoindex_") else index
            cat.constraints.append(
                Constraint(UNIQUE, name, label, parts, expression=pred if partial else None)
            )
        fks: dict[int, list[tuple[str, str, str | None, str]]] = {}
        for fid, _seq, parent, src, dst, _upd, _del, match in conn.exec_driver_sql(
            f"PRAGMA foreign_key_list({q})"
        ):
            fks.setdefault(fid, []).append((parent, src, dst, match))
        for cols in fks.values():
            parent = cols[0][0]
            refs = [c[2] for c in cols]
            if any(r is None for r in refs):  # REFERENCES parent without columns: its PK
                ppk = conn.exec_driver_sql(f"PRAGMA table_info({quote('sqlite', parent)})").all()
                refs = [r[1] for r in sorted((r for r in ppk if r[5]), key=lambda r: r[5])]
            cat.constraints.append(
                Constraint(
                    FK,
                    name,
                    None,
                    tuple(KeyPart(c[1]) for c in cols),
                    ref_table=parent,
                    ref_columns=tuple(r or "" for r in refs),
                    full_match=(cols[0][3] or "").upper() == "FULL",
                )
            )
        for check_name, expr in _sqlite_checks(sql or ""):
            cat.constraints.append(Constraint(CHECK, name, check_name, expression=expr))
    # sqlite_master names FK parents as written; map them onto the tables' own spelling.
    lower = {k.lower(): k for k in cat.tables}
    cat.constraints = [
        c if c.kind != FK else _with_ref(c, lower.get((c.ref_table or "").lower(), c.ref_table))
        for c in cat.constraints
    ]
    return cat


def _with_ref(c: Constraint, ref: str | None) -> Constraint:
    return replace(c, ref_table=ref)


# ------------------------------------------------------------------------------- reading
def read_catalog(url: str | Engine, *, count_rows: bool = True) -> Catalog:
    """Tables, columns, constraints (and row counts) of the database at ``url``."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            dialect = engine.dialect.name
            if dialect == "postgresql":
                cat = _read_postgres(conn)
            elif dialect in ("mysql", "mariadb"):
                cat = _read_mysql(conn)
            elif dialect == "sqlite":
                cat = _read_sqlite(conn)
            else:
                raise ValueError(f"no catalog reader for {dialect}")
            if count_rows:
                for key in cat.tables:
                    cat.tables[key].rows = int(
                        conn.exec_driver_sql(f"SELECT count(*) FROM {table_sql(cat, key)}").scalar_one()
                    )
            conn.rollback()
            return cat
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


# ------------------------------------------------------------------------- normalising
_CAST = re.compile(
    r"::\s*(?:\"[^\"]+\"|[a-z_][a-z0-9_]*(?:\s+(?:varying|precision|without|with|time|zone))*)"
    r"(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\[\])*",
    re.I,
)


def normalise(expr: str | None) -> str:
    """An expression text reduced for comparison across deparsers: casts, quotes, schema
    qualifications, parentheses and blanks removed, case folded. Only ever compared for
    equality, never run."""
    if expr is None:
        return ""
    text = _CAST.sub("", expr)
    text = re.sub(r"\b(?:public|pg_catalog)\.", "", text, flags=re.I)
    text = re.sub(r"[\"`()\s\[\]]", "", text)
    return text.lower()


# --------------------------------------------------------------------------------- mapping
def map_tables(source: Catalog, target: Catalog) -> dict[str, str]:
    """Source table key -> target table key: the same key, else the same table name (another
    dialect drops the PostgreSQL schema), else ``schema_table``."""
    by_key = {k.lower(): k for k in target.tables}
    by_name: dict[str, list[str]] = {}
    for k, t in target.tables.items():
        by_name.setdefault(t.name.lower(), []).append(k)
    out: dict[str, str] = {}
    for key, t in source.tables.items():
        if key.lower() in by_key:
            out[key] = by_key[key.lower()]
        elif len(by_name.get(t.name.lower(), [])) == 1:
            out[key] = by_name[t.name.lower()][0]
        elif t.schema and f"{t.schema}_{t.name}".lower() in by_key:
            out[key] = by_key[f"{t.schema}_{t.name}".lower()]
        elif t.schema and len(by_name.get(f"{t.schema}_{t.name}".lower(), [])) == 1:
            out[key] = by_name[f"{t.schema}_{t.name}".lower()][0]
    return out


def _col(target: Catalog, table: str, column: str) -> str | None:
    """The target's spelling of ``column`` in ``table`` (names compare case-insensitively)."""
    for c in target.tables[table].columns:
        if c.lower() == column.lower():
            return c
    return None


def _map_constraint(c: Constraint, tmap: dict[str, str], target: Catalog) -> Constraint | None:
    """``c`` re-expressed on the target's tables and columns (None when one is missing)."""
    table = tmap.get(c.table)
    if table is None:
        return None
    parts = []
    for p in c.parts:
        if p.column is None:
            return None
        col = _col(target, table, p.column)
        if col is None:
            return None
        parts.append(KeyPart(col, None, p.prefix))
    ref_table, ref_cols = None, []
    if c.kind == FK:
        ref_table = tmap.get(c.ref_table or "")
        if ref_table is None:
            return None
        for rc in c.ref_columns:
            col = _col(target, ref_table, rc)
            if col is None:
                return None
            ref_cols.append(col)
    return replace(c, table=table, parts=tuple(parts), ref_table=ref_table, ref_columns=tuple(ref_cols))


def _parts_key(parts: Iterable[KeyPart]) -> frozenset[str]:
    return frozenset(
        (p.column.lower() if p.prefix is None else f"{p.column.lower()}({p.prefix})")
        if p.column is not None
        else normalise(p.expression)
        for p in parts
    )


def _present(c: Constraint, source: Catalog, target: Catalog, tmap: dict[str, str]) -> bool:
    table = tmap[c.table]
    if c.kind == NOT_NULL:
        col = _col(target, table, c.columns[0])
        return col is not None and any(n.columns == (col,) for n in target.of(table, NOT_NULL))
    if c.kind == PK:
        return any(_parts_key(t.parts) == _parts_key(c.parts) for t in target.of(table, PK))
    if c.kind == UNIQUE:
        keys = _parts_key(c.parts)
        for t in target.of(table, UNIQUE) + target.of(table, PK):
            if _parts_key(t.parts) != keys or (c.expression is None) != (t.expression is None):
                continue
            same_dialect = source.dialect == target.dialect
            if c.expression is None or not same_dialect or normalise(c.expression) == normalise(t.expression):
                return True
        return False
    if c.kind == FK:
        ref = tmap.get(c.ref_table or "")
        pairs = sorted(zip((x.lower() for x in c.columns), (x.lower() for x in c.ref_columns), strict=True))
        for t in target.of(table, FK):
            tp = sorted(zip((x.lower() for x in t.columns), (x.lower() for x in t.ref_columns), strict=True))
            if t.ref_table == ref and tp == pairs:
                return True
        return False
    if c.kind == CHECK:
        for t in target.of(table, CHECK):
            if normalise(t.expression) == normalise(c.expression):
                return True
            if c.name and t.name and t.name.lower() == c.name.lower():
                return True
        if source.dialect == "mysql":
            # MariaDB writes JSON columns as LONGTEXT + CHECK (json_valid(col)); a json/jsonb
            # column in the target enforces the same.
            m = re.fullmatch(r"json_valid\(`?([^`)]+)`?\)", (c.expression or "").strip(), re.I)
            col = _col(target, table, m.group(1)) if m else None
            if col and target.tables[table].columns[col].lower() in ("json", "jsonb"):
                return True
        return False
    if c.kind == EXCLUDE:
        return any(normalise(t.expression) == normalise(c.expression) for t in target.of(table, EXCLUDE))
    raise ValueError(c.kind)


_DROP_WORDS = re.compile(r"\b(dropped|not carried|not created|skipped|omitted|ignored)\b", re.I)


def _noted(c: Constraint, notes: Sequence[str]) -> bool:
    """True when the tool said it did not carry ``c``: a note naming the constraint (or, for
    NOT NULL, its table.column) and its table as whole words, and saying it was dropped."""
    if c.kind == NOT_NULL:
        needle = f"{c.table}.{c.columns[0]}"
    elif c.name:
        needle = c.name
    else:
        return False
    # Whole names only: a note about index_users_on_name_trgm says nothing of index_users_on_name.
    name = re.compile(rf"(?<![\w$.]){re.escape(needle)}(?![\w$])", re.I)
    table = re.compile(rf"(?<![\w$.]){re.escape(c.table)}(?![\w$])", re.I)
    return any(name.search(n) and table.search(n) and _DROP_WORDS.search(n) for n in notes)


# ------------------------------------------------------------------------------ violations
def _count(conn: Connection, sql: str) -> int | str:
    """The count ``sql`` returns, or the error text when the server refuses it."""
    # A failed statement aborts a PostgreSQL transaction: a savepoint keeps the next checks
    # running. (MariaDB and SQLite carry on after a failed SELECT; pysqlite's savepoints are
    # unreliable, so they get none.)
    savepoint = conn.dialect.name == "postgresql"
    try:
        if savepoint:
            with conn.begin_nested():
                return int(conn.exec_driver_sql(sql).scalar_one() or 0)
        return int(conn.exec_driver_sql(sql).scalar_one() or 0)
    except sa.exc.DBAPIError as exc:
        return " ".join(str(exc.orig).split())[:200]


def _violation_queries(cat: Catalog, constraints: Iterable[Constraint]) -> Iterator[tuple[Constraint, str]]:
    """(constraint, SELECT count(*) of the rows breaking it) for every constraint on a table
    with rows: an empty table violates nothing, and an FK is checked from its child."""
    d = cat.dialect
    notnull: dict[str, dict[str, Constraint]] = {}
    for c in constraints:
        if c.table not in cat.tables or cat.tables[c.table].rows == 0:
            continue
        t = table_sql(cat, c.table)
        if c.kind == NOT_NULL or c.kind == PK:
            # A key column is NOT NULL whatever the catalog says (SQLite lets NULL into a
            # PRIMARY KEY column of a rowid table that does not declare it NOT NULL).
            for p in c.parts:
                if p.column is not None:
                    notnull.setdefault(c.table, {})[p.column] = Constraint(NOT_NULL, c.table, None, (p,))
        if c.kind in (PK, UNIQUE):
            keys = ", ".join(part_sql(d, p) for p in c.parts)
            conds = [] if c.nulls_not_distinct else [f"{part_sql(d, p)} IS NOT NULL" for p in c.parts]
            if c.expression:
                conds.append(f"({c.expression})")
            where = f" WHERE {' AND '.join(conds)}" if conds else ""
            yield (
                c,
                f"SELECT count(*) FROM (SELECT 1 AS x FROM {t}{where} GROUP BY {keys} HAVING count(*) > 1) d",
            )
        elif c.kind == FK:
            if c.ref_table not in cat.tables:
                continue
            child = [f"c.{quote(d, x)}" for x in c.columns]
            parent = [f"p.{quote(d, x)}" for x in c.ref_columns]
            join = " AND ".join(f"{pc} = {cc}" for pc, cc in zip(parent, child, strict=True))
            orphan = (
                f"({' AND '.join(f'{x} IS NOT NULL' for x in child)} AND NOT EXISTS "
                f"(SELECT 1 FROM {table_sql(cat, c.ref_table)} p WHERE {join}))"
            )
            if c.full_match and len(child) > 1:
                # MATCH FULL: a key partly NULL is a violation too.
                some = " OR ".join(f"{x} IS NULL" for x in child)
                every = " AND ".join(f"{x} IS NULL" for x in child)
                orphan = f"({orphan} OR (({some}) AND NOT ({every})))"
            yield c, f"SELECT count(*) FROM {t} c WHERE {orphan}"
        elif c.kind == CHECK and c.expression:
            yield c, f"SELECT count(*) FROM {t} WHERE NOT ({c.expression})"
        elif c.kind == EXCLUDE and c.operators and d == "postgresql":
            yield c, _exclusion_query(t, c)
    for table, cols in notnull.items():
        for col, c in cols.items():
            yield c, f"SELECT count(*) FROM {table_sql(cat, table)} WHERE {quote(d, col)} IS NULL"


def _exclusion_query(t: str, c: Constraint) -> str:
    """The pairs of rows an EXCLUDE rules out: a self-join with its operators (each pair once,
    a row never against itself), over the rows its predicate selects."""
    where = f" WHERE {c.where}" if c.where else ""
    rows = f"(SELECT tableoid AS verify_oid, ctid AS verify_ctid, * FROM {t}{where})"
    conds = [
        f"a.{quote('postgresql', col)} {op} b.{quote('postgresql', col)}"
        for col, op in zip(c.columns, c.operators, strict=True)
    ]
    pair = "(a.verify_oid, a.verify_ctid) < (b.verify_oid, b.verify_ctid)"
    return f"SELECT count(*) FROM {rows} a JOIN {rows} b ON {pair} AND {' AND '.join(conds)}"


def violations(
    url: str | Engine, extra: Iterable[Constraint] = (), *, catalog: Catalog | None = None
) -> list[str]:
    """Rows of the database at ``url`` that break its own constraints or ``extra`` ones (given
    on its tables and columns): FK orphans, duplicate keys, NULLs, failing CHECKs."""
    engine = engine_for(url)
    problems: list[str] = []
    try:
        cat = catalog or read_catalog(engine)
        seen: set[tuple[object, ...]] = set()
        todo: list[Constraint] = []
        for c in [*cat.constraints, *extra]:
            sig = (c.kind, c.table, _parts_key(c.parts), c.ref_table, tuple(c.ref_columns), c.expression)
            if sig not in seen:
                seen.add(sig)
                todo.append(c)
        for c in cat.constraints:
            if not c.validated:
                problems.append(f"{c.describe()} is NOT VALID in the target (rows are not checked)")
        with engine.connect() as conn:
            if cat.dialect == "postgresql":
                conn.exec_driver_sql("SET search_path = pg_catalog")
            for c, sql in _violation_queries(cat, todo):
                n = _count(conn, sql)
                if isinstance(n, str):
                    problems.append(f"could not check {c.describe()}: {n}")
                elif n and c.kind in (PK, UNIQUE):
                    problems.append(f"{n} duplicated key value(s) break {c.describe()}")
                elif n and c.kind == EXCLUDE:
                    problems.append(f"{n} pair(s) of rows conflict under {c.describe()}")
                elif n:
                    problems.append(f"{n} row(s) violate {c.describe()}")
            conn.rollback()
    finally:
        if not isinstance(url, Engine):
            engine.dispose()
    return problems


# ------------------------------------------------------------------------------ comparing
def compare(source_url: str | Engine, target_url: str | Engine, notes: Sequence[str] = ()) -> list[str]:
    """Problems of the target against its source: source constraints missing from the target
    and not named in ``notes`` (what the tool printed about what it dropped), rows that break
    a constraint, tables that had rows in the source and have none in the target."""
    source = read_catalog(source_url)
    target = read_catalog(target_url)
    tmap = map_tables(source, target)
    problems: list[str] = []
    for key, t in source.tables.items():
        if key not in tmap:
            problems.append(f"table {key} missing from the target")
        elif t.rows and not target.tables[tmap[key]].rows:
            problems.append(f"table {key} had {t.rows} row(s) in the source and has none in the target")
    mapped: list[Constraint] = []
    for c in source.constraints:
        if c.table not in tmap:
            continue
        if not _present(c, source, target, tmap) and not _noted(c, notes):
            problems.append(f"{c.describe()} missing from the target and not reported as dropped")
        # A source EXCLUDE is re-run on a PostgreSQL target even where the target lacks it.
        excluded = c.kind == EXCLUDE and bool(c.operators) and target.dialect == "postgresql"
        if (c.kind in (PK, UNIQUE, FK, NOT_NULL) and c.expression is None) or excluded:
            m = _map_constraint(c, tmap, target)
            if m is not None:
                mapped.append(m)
    problems += violations(target_url, mapped, catalog=target)
    return problems


__all__ = [
    "CHECK",
    "EXCLUDE",
    "FK",
    "NOT_NULL",
    "PK",
    "UNIQUE",
    "Catalog",
    "Constraint",
    "KeyPart",
    "compare",
    "map_tables",
    "normalise",
    "read_catalog",
    "violations",
]
