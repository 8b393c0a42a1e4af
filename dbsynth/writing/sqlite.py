"""SQLite target: ``executemany`` INSERTs in one ``BEGIN IMMEDIATE`` transaction.

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

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from dbsynth.cycles import BreakStrategy
from dbsynth.db import connection_error, create_engine
from dbsynth.errors import TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import Batch, LoadResult, LoadSpec, Update
from dbsynth.writing.ddl import create_schema, target_table_name
from dbsynth.writing.encode import SQLITE_VALUES, python_rows

_ROLLED_BACK = "; the load was rolled back and the target is unchanged"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class _Table:
    key: str
    name: str
    columns: tuple[str, ...]
    autoincrement: str | None  # the rowid alias of an AUTOINCREMENT table

    @property
    def sql(self) -> str:
        return ident(self.name)


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
            raise connection_error(exc, self.url) from None
        try:
            return SQLiteSink(engine, conn, spec, self.describe(), Path(path) if created else None)
        except BaseException:
            conn.close()
            engine.dispose()
            if created:
                Path(path).unlink(missing_ok=True)
            raise


class SQLiteSink:
    """An open load: the DB-API connection is in autocommit mode and the sink issues BEGIN/COMMIT."""

    def __init__(
        self, engine: sa.Engine, conn: sa.Connection, spec: LoadSpec, where: str, created: Path | None
    ) -> None:
        self.engine = engine
        self.conn = conn
        self.db: sqlite3.Connection = conn.connection.driver_connection  # type: ignore[assignment]
        self.spec = spec
        self.where = where
        self.created = created
        self.key_start: dict[tuple[str, str], int] = {}
        self.notes: list[str] = []
        self.rows: dict[str, int] = {}
        self.deferred = False
        self._failed = False
        self._result: LoadResult | None = None
        self._temp: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise TargetError(f"cannot write to {where}: {exc}") from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self.db.rollback()
            raise TargetError(f"preparing the target {where} failed: {exc}") from None
        except BaseException:
            self.db.rollback()
            raise

    # -- open ---------------------------------------------------------------------------------

    def _prepare(self) -> None:
        spec = self.spec
        keys = safety.spec_tables(spec)
        if spec.create_schema:
            script = create_schema(self.conn, spec.schema, target_dialect="sqlite")
            self.notes.append(f"created the schema ({len(script.statements)} statements)")
            self.notes.extend(script.warnings)
        names = [
            r[0]
            for r in self.db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
            )
        ]
        self.tables: dict[str, _Table] = {}
        for key in keys:
            name = target_table_name(self.spec.schema.table(key), "sqlite")[1]
            if name not in names:
                raise safety.missing_table(key, names, self.where)
            self.tables[key] = self._table(key, name)
        for load in spec.tables:
            safety.check_columns(load.table, load.columns, self.tables[load.table].columns)
        self.rows = dict.fromkeys(keys, 0)
        tables = [self.tables[k] for k in keys]
        if spec.if_exists == "fail":
            full = [t.key for t in tables if self._one(f"SELECT EXISTS (SELECT 1 FROM {t.sql})")[0]]
            if full:
                raise safety.not_empty(full)
        loaded = {t.name: t.key for t in tables}
        if spec.if_exists == "truncate":
            for other in names:
                if other in loaded:
                    continue
                for row in list(self.db.execute(f"PRAGMA foreign_key_list({ident(other)})")):
                    if row[2] in loaded and self._one(f"SELECT EXISTS (SELECT 1 FROM {ident(other)})")[0]:
                        raise safety.blocked_truncate(loaded[row[2]], other)
        for key, columns in spec.key_columns.items():
            if key in self.tables:
                for column in columns:
                    top = self._one(f"SELECT max({ident(column)}) FROM {self.tables[key].sql}")[0]
                    append = spec.if_exists == "append" and top is not None
                    self.key_start[(key, column)] = int(top) + 1 if append else 1
        hard = (BreakStrategy.DEFERRED, BreakStrategy.DISABLE_AND_VALIDATE)
        if spec.if_exists == "truncate" or any(b.strategy in hard for b in spec.breaks):
            # Deferred until COMMIT: the rows of a NOT NULL cycle, and the DELETEs of tables that
            # reference each other, are only consistent once all of them are done.
            self.db.execute("PRAGMA defer_foreign_keys = ON")
            self.deferred = True
        if spec.if_exists == "truncate":
            for table in reversed(tables):
                self.db.execute(f"DELETE FROM {table.sql}")
            self.notes.append("truncated " + ", ".join(t.key for t in tables))

    def _table(self, key: str, name: str) -> _Table:
        info = list(self.db.execute(f"PRAGMA table_info({ident(name)})"))
        columns = tuple(r[1] for r in info)
        pk = [r for r in info if r[5]]
        sql = self._one("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))[0] or ""
        auto = pk[0][1] if len(pk) == 1 and "AUTOINCREMENT" in sql.upper() else None
        return _Table(key, name, columns, auto)

    # -- write --------------------------------------------------------------------------------

    def write(self, item: Batch | Update) -> None:
        if self._failed or self._result is not None:
            raise TargetError("the load has already failed or been closed; nothing more can be written")
        table = self.tables.get(item.table)
        if table is None:
            raise safety.unknown_table(item.table, self.tables)
        try:
            if isinstance(item, Batch):
                self._insert(table, item)
            else:
                self._update(table, item)
        except (sqlite3.Error, ValueError, TargetError) as exc:
            self._failed = True
            raise TargetError(f"writing {table.key} failed: {exc}{_ROLLED_BACK}") from None

    def _columns(self, key: str, names: Sequence[str]) -> list[Column]:
        source = self.spec.schema.table(key)
        return [source.column(n) for n in names]

    def _insert(self, table: _Table, batch: Batch) -> None:
        names = next(t.columns for t in self.spec.tables if t.table == table.key)
        safety.check_frame(table.key, batch.frame.columns, names)
        if batch.frame.empty:
            return
        rows = python_rows(batch.frame, self._columns(table.key, names), SQLITE_VALUES)
        self._insert_rows(table.sql, names, rows)
        self.rows[table.key] += len(rows)

    def _insert_rows(self, target: str, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(names))
        self.db.executemany(
            f"INSERT INTO {target} ({', '.join(ident(n) for n in names)}) VALUES ({marks})", rows
        )

    def _update(self, table: _Table, update: Update) -> None:
        names = (*update.key_columns, *update.set_columns)
        safety.check_frame(table.key, update.frame.columns, names)
        safety.check_columns(table.key, names, table.columns)
        if update.frame.empty:
            return
        signature = (table.key, update.key_columns, update.set_columns)
        temp = self._temp.get(signature)
        if temp is None:
            raw = f"dbsynth_update_{len(self._temp) + 1}"
            temp = ident(raw)
            keys = ", ".join(ident(c) for c in update.key_columns)
            self.db.execute(
                f"CREATE TEMPORARY TABLE {temp} AS SELECT {', '.join(ident(n) for n in names)} "
                f"FROM {table.sql} WHERE 0"
            )
            self.db.execute(f"CREATE UNIQUE INDEX temp.{ident(raw + '_key')} ON {temp} ({keys})")
            self._temp[signature] = temp
        else:
            self.db.execute(f"DELETE FROM {temp}")
        self._insert_rows(
            temp, names, python_rows(update.frame, self._columns(table.key, names), SQLITE_VALUES)
        )
        match = " AND ".join(f"{table.sql}.{ident(c)} = u.{ident(c)}" for c in update.key_columns)
        assignments = ", ".join(f"{ident(c)} = u.{ident(c)}" for c in update.set_columns)
        cur = self.db.execute(f"UPDATE {table.sql} SET {assignments} FROM {temp} AS u WHERE {match}")
        if cur.rowcount != len(update.frame):
            raise TargetError(
                f"an UPDATE of {', '.join(update.set_columns)} matched {cur.rowcount} of "
                f"{len(update.frame)} rows by ({', '.join(update.key_columns)})"
            )

    # -- close --------------------------------------------------------------------------------

    def close(self, ok: bool) -> LoadResult:
        if self._result is not None:
            return self._result
        if not ok or self._failed:
            return self._abandon()
        try:
            if self.deferred:
                self._check_foreign_keys()
            self._reset_sequences()
            self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._abandon()
            raise TargetError(f"finishing the load failed: {exc}{_ROLLED_BACK}") from None
        except TargetError:
            self._abandon()
            raise
        self._disconnect()
        self._result = LoadResult(rows=dict(self.rows), committed=True, notes=tuple(self.notes))
        return self._result

    def _check_foreign_keys(self) -> None:
        """Name the first violated FK with its orphan count (COMMIT would only say it failed)."""
        for table in self.tables.values():
            violations: dict[tuple[str, int], int] = {}
            for row in self.db.execute(f"PRAGMA foreign_key_check({ident(table.name)})"):
                violations[(row[2], row[3])] = violations.get((row[2], row[3]), 0) + 1
            if not violations:
                continue
            (parent, fk_id), count = next(iter(sorted(violations.items())))
            columns = [
                r[3]
                for r in self.db.execute(f"PRAGMA foreign_key_list({ident(table.name)})")
                if r[0] == fk_id
            ]
            label = f"{table.key}.{columns[0] if len(columns) == 1 else '(' + ', '.join(columns) + ')'}"
            ref_key = next((t.key for t in self.tables.values() if t.name == parent), parent)
            raise TargetError(safety.orphans_message(label, ref_key, None, count, table.key) + _ROLLED_BACK)
        self.notes.append("foreign keys checked at COMMIT")

    def _reset_sequences(self) -> None:
        """``sqlite_sequence`` to the largest key of each AUTOINCREMENT table: inserts only raise
        it, so after ``--if-exists truncate`` it would otherwise keep the old maximum."""
        for table in self.tables.values():
            if table.autoincrement is None:
                continue
            top = self._one(f"SELECT coalesce(max({ident(table.autoincrement)}), 0) FROM {table.sql}")[0]
            cur = self.db.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", (top, table.name))
            if cur.rowcount == 0:
                self.db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table.name, top))

    def _abandon(self) -> LoadResult:
        self._failed = True
        try:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
        finally:
            self._disconnect()
            if self.created is not None:
                self.created.unlink(missing_ok=True)
        self._result = LoadResult(
            rows={}, committed=False, notes=("rolled back: the target is as it was before the load",)
        )
        return self._result

    def _disconnect(self) -> None:
        try:
            self.conn.close()
        finally:
            self.engine.dispose()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
        row = self.db.execute(sql, params).fetchone()
        assert row is not None
        return tuple(row)


__all__ = ["SQLiteSink", "SQLiteTarget"]
