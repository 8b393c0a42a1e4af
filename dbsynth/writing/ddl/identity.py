"""How each target numbers a column by itself: a PostgreSQL identity (a ``serial`` of the same
dialect keeps its sequence and ``DEFAULT nextval``), MySQL's AUTO_INCREMENT (one integer column
leading a key per table), SQLite's INTEGER PRIMARY KEY rowid. Each function returns the clause
for the column definition, if any, and whether that clause carries the primary key itself."""

from __future__ import annotations

from collections.abc import Callable

from dbsynth.schema import Column, Table
from dbsynth.writing.ddl.typemap import TargetType
from dbsynth.writing.ddl.writer import Writer


def _pg_identity(b: Writer, table: Table, c: Column, ttype: TargetType | None) -> tuple[str | None, bool]:
    ident = c.identity
    if ident is None or (b.same and ident.kind == "serial"):
        return None, False  # a serial's DEFAULT nextval(...) numbers it
    if ttype is not None and not ttype.integer:
        b.warn(f"{table.key}.{c.name}", f"{ident.kind} numbering dropped: {ttype.sql} is not an integer type")
        return None, False
    options = []
    if b.same and ident.sequence:
        options.append(f"SEQUENCE NAME {b.sql(ident.sequence, 'name')}")
    if ident.start != 1:
        options.append(f"START WITH {ident.start}")
    if ident.increment != 1:
        options.append(f"INCREMENT BY {ident.increment}")
    when = "ALWAYS" if ident.kind == "always" else "BY DEFAULT"
    return f"GENERATED {when} AS IDENTITY" + (f" ({' '.join(options)})" if options else ""), False


def _mysql_identity(b: Writer, table: Table, c: Column, ttype: TargetType | None) -> tuple[str | None, bool]:
    if c.identity is None:
        return None, False
    if b.same:
        return "AUTO_INCREMENT", False
    # MySQL numbers one integer column per table, and only one that leads some key.
    leads = {k.columns[0] for k in (table.primary_key, *table.uniques, *table.indexes) if k and k.columns}
    first = next((x.name for x in table.columns if x.identity is not None and x.name in leads), None)
    if c.name != first or (ttype is not None and not ttype.integer):
        why = "AUTO_INCREMENT needs an integer column leading a key, one per table"
        b.warn(f"{table.key}.{c.name}", f"{c.identity.kind} numbering dropped: {why}")
        return None, False
    return "AUTO_INCREMENT", False


def _sqlite_identity(b: Writer, table: Table, c: Column, ttype: TargetType | None) -> tuple[str | None, bool]:
    pk = table.primary_key
    type_sql = c.sql_type if ttype is None else ttype.sql
    sole_integer_key = pk is not None and pk.columns == (c.name,) and type_sql.strip().upper() == "INTEGER"
    if c.identity is None:
        if b.same and sole_integer_key:
            # The source made it no rowid (INTEGER PRIMARY KEY DESC, WITHOUT ROWID); a table-level
            # PRIMARY KEY would, so use the one spelling SQLite exempts.
            return f"{b.constraint(pk.name if pk else None)}PRIMARY KEY DESC", True
        return None, False
    if not sole_integer_key:
        where = f"{table.key}.{c.name}"
        b.warn(where, f"{c.identity.kind} numbering dropped: SQLite numbers only an INTEGER PRIMARY KEY")
        return None, False
    if b.same and c.identity.sequence == "sqlite_sequence":
        return f"{b.constraint(pk.name if pk else None)}PRIMARY KEY AUTOINCREMENT", True
    return None, False  # the one-column INTEGER primary key is the rowid


IDENTITY: dict[str, Callable[[Writer, Table, Column, TargetType | None], tuple[str | None, bool]]] = {
    "postgresql": _pg_identity,
    "mysql": _mysql_identity,
    "sqlite": _sqlite_identity,
}
