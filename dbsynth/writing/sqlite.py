"""SQLite target: ``executemany`` INSERTs in one ``BEGIN IMMEDIATE`` transaction, DDL included.

``PRAGMA foreign_keys = ON`` for the session (SQLite leaves FKs unchecked by default). Every cut
foreign key that cannot be written NULL (``deferred``, ``disable_and_validate``) is handled by
``PRAGMA defer_foreign_keys = ON``: SQLite then counts violations instead of raising and refuses
the COMMIT while any remain. The COMMIT error says only "FOREIGN KEY constraint failed", so
``close`` first runs ``PRAGMA foreign_key_check`` and names the foreign key and its orphan count.

A target file that does not exist is created only with ``spec.create_schema`` (sqlite3 would
otherwise create an empty file for any typo); if such a load fails, the new file is removed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from dbsynth.cycles import BreakStrategy
from dbsynth.db import connection_error, create_engine
from dbsynth.errors import TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import LoadSpec
from dbsynth.writing.ddl import target_table_name
from dbsynth.writing.encode import SQLITE_VALUES, python_rows
from dbsynth.writing.sql_sink import Dialect, Params, SQLSink, TargetTable

DIALECT = Dialect(
    quote='"',
    stage=(
        "CREATE TEMPORARY TABLE {temp} AS SELECT {columns} FROM {table} WHERE 0",
        "CREATE UNIQUE INDEX temp.{index} ON {temp} ({keys})",
    ),
    restage="DELETE FROM {temp}",
    staged=(),
    update="UPDATE {table} AS t SET {assignments} FROM {temp} AS u WHERE {match}",
    assignment="{column} = u.{column}",
)
ident = DIALECT.ident
_TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"


@dataclass
class _Table(TargetTable):
    name: str
    autoincrement: str | None  # the rowid alias of an AUTOINCREMENT table


class SQLiteTarget(safety.DatabaseTarget):
    """Rows into a SQLite file (see the module docstring)."""

    def open(self, spec: LoadSpec) -> SQLiteSink:
        self.refuse()
        path = self.url.database or ""
        created = path not in ("", ":memory:") and not Path(path).exists()
        if created and not spec.create_schema:
            raise TargetError(
                f"SQLite file {path} does not exist; pass --create-schema to create it with the schema"
            )
        engine = create_engine(self.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            engine.dispose()
            if created:
                Path(path).unlink(missing_ok=True)
            raise connection_error(exc, self.url) from None
        return SQLiteSink(engine, conn, spec, self.describe(), Path(path) if created else None).start()


class SQLiteSink(SQLSink):
    """An open load: the DB-API connection is in autocommit mode and the sink issues BEGIN/COMMIT."""

    dialect = DIALECT
    driver_errors = (sqlite3.Error,)

    def __init__(
        self, engine: sa.Engine, conn: sa.Connection, spec: LoadSpec, where: str, created: Path | None
    ) -> None:
        super().__init__(spec, where)
        self.engine = engine
        self.conn = conn
        self.db: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        self.created = created
        self.tables: dict[str, _Table] = {}  # type: ignore[assignment]
        self.deferred = False

    # -- open ---------------------------------------------------------------------------------

    def _prepare(self) -> None:
        spec = self.spec
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("BEGIN IMMEDIATE")
        keys = safety.spec_tables(spec)
        if spec.create_schema:
            self._create_schema(self.conn, "sqlite")
        names = [r[0] for r in self._all(_TABLES_SQL)]
        for key in keys:
            name = target_table_name(self.spec.schema.table(key), "sqlite")[1]
            if name not in names:
                raise safety.missing_table(key, names, self.where)
            self.tables[key] = self._table(key, name)
        for load in spec.tables:
            safety.check_columns(load.table, load.columns, self.tables[load.table].columns)
        self.rows = dict.fromkeys(keys, 0)
        loaded = {t.name: t.key for t in self.tables.values()}
        referencing = [
            (loaded[row[2]], other, ident(other))
            for other in names
            if other not in loaded and spec.if_exists == "truncate"
            for row in self._all(f"PRAGMA foreign_key_list({ident(other)})")
            if row[2] in loaded
        ]
        self._check_if_exists(referencing)
        hard = (BreakStrategy.DEFERRED, BreakStrategy.DISABLE_AND_VALIDATE)
        if spec.if_exists == "truncate" or any(b.strategy in hard for b in spec.breaks):
            # Deferred until COMMIT: the rows of a NOT NULL cycle, and the DELETEs of tables that
            # reference each other, are only consistent once all of them are done.
            self.db.execute("PRAGMA defer_foreign_keys = ON")
            self.deferred = True
        self._truncate()

    def _table(self, key: str, name: str) -> _Table:
        info = self._all(f"PRAGMA table_info({ident(name)})")
        columns = tuple(r[1] for r in info)
        pk = [r for r in info if r[5]]
        ((sql,),) = self._all("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        auto = pk[0][1] if len(pk) == 1 and "AUTOINCREMENT" in (sql or "").upper() else None
        return _Table(key, ident(name), columns, name, auto)

    # -- write --------------------------------------------------------------------------------

    def _insert(self, target: str, names: Sequence[str], frame: pd.DataFrame, columns: list[Column]) -> None:
        marks = ", ".join("?" * len(names))
        self.db.executemany(
            f"INSERT INTO {target} ({', '.join(ident(n) for n in names)}) VALUES ({marks})",
            python_rows(frame, columns, SQLITE_VALUES),
        )

    # -- close --------------------------------------------------------------------------------

    def _finish(self) -> None:
        if self.deferred:
            self._check_foreign_keys()
        self._reset_sequences()

    def _check_foreign_keys(self) -> None:
        """Name the first violated FK with its orphan count (COMMIT would only say it failed)."""
        for table in self.tables.values():
            violations: dict[tuple[str, int], int] = {}
            for row in self._all(f"PRAGMA foreign_key_check({table.sql})"):
                violations[(row[2], row[3])] = violations.get((row[2], row[3]), 0) + 1
            if not violations:
                continue
            (parent, fk_id), count = next(iter(sorted(violations.items())))
            columns = [r[3] for r in self._all(f"PRAGMA foreign_key_list({table.sql})") if r[0] == fk_id]
            ref_key = next((t.key for t in self.tables.values() if t.name == parent), parent)
            label = safety.fk_label(table.key, columns)
            raise TargetError(safety.orphans_message(label, ref_key, None, count, table.key))
        self.notes.append("foreign keys checked at COMMIT")

    def _reset_sequences(self) -> None:
        """``sqlite_sequence`` to the largest key of each AUTOINCREMENT table: inserts only raise
        it, so after ``--if-exists truncate`` it would otherwise keep the old maximum."""
        for table in self.tables.values():
            if table.autoincrement is None:
                continue
            ((top,),) = self._all(f"SELECT coalesce(max({ident(table.autoincrement)}), 0) FROM {table.sql}")
            if not self._execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (top, table.name)):
                self._execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table.name, top))

    def _commit(self) -> None:
        self.db.execute("COMMIT")

    def _rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def _disconnect(self, hard: bool) -> None:
        # Closing a SQLite connection rolls back what is open: a hard close needs nothing more.
        try:
            self.conn.close()
        finally:
            self.engine.dispose()
            if self.created is not None and (self._result is None or not self._result.committed):
                self.created.unlink(missing_ok=True)

    # -- driver primitives ----------------------------------------------------------------------

    def _execute(self, sql: str, params: Params = None) -> int:
        return self.db.execute(sql, params or ()).rowcount  # type: ignore[arg-type]

    def _all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.db.execute(sql, params or ())]  # type: ignore[arg-type]

    def _error_text(self, exc: Exception) -> str:
        return " ".join(str(exc).split())


__all__ = ["DIALECT", "SQLiteSink", "SQLiteTarget", "ident"]
