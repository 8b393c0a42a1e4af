"""MySQL/MariaDB target: batched multi-row INSERTs (PyMySQL ``executemany``), a transaction per table.

MySQL commits implicitly around DDL (``TRUNCATE``, ``ALTER TABLE``, whatever schema creation
runs), so the load cannot be one transaction the way it is on PostgreSQL. Instead each table is
one transaction, committed when the engine moves on to the next table, and the sink keeps the
list of what is committed: a failure rolls back the current table only and ``close(ok=False)``
names every table it left behind (in :attr:`LoadResult.left_behind` and in the error text).

Cut foreign keys: MySQL has no deferrable constraints, so ``deferred`` and
``disable_and_validate`` are both written with ``FOREIGN_KEY_CHECKS = 0`` while (and only while)
the child table of such a cut is loaded; InnoDB checks row by row, so one transaction would not
help. Turning the checks back on does not re-check what was written meanwhile, so ``close`` runs
an anti-join for every foreign key of those tables and names the first that does not hold.
``null_then_update`` Updates go through a temporary table and one ``UPDATE ... JOIN``.

``LOAD DATA LOCAL INFILE`` would be faster than INSERT, but with LOCAL the server turns data
errors and duplicate keys into warnings (as if IGNORE were given): rows would vanish silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pymysql
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from dbsynth.cycles import BreakStrategy
from dbsynth.db import connection_error, create_engine
from dbsynth.errors import DbsynthError, TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import Batch, LoadResult, LoadSpec, Update
from dbsynth.writing.ddl import create_schema, target_table_name
from dbsynth.writing.encode import MYSQL_VALUES, python_rows

# Strict mode makes a bad value an error instead of a warning and a mangled row;
# NO_AUTO_VALUE_ON_ZERO keeps an explicit 0 in an AUTO_INCREMENT column instead of renumbering it.
SESSION_SQL = (
    "SET time_zone = '+00:00'",
    "SET SESSION sql_mode = CONCAT_WS(',', @@sql_mode, 'STRICT_ALL_TABLES', 'NO_AUTO_VALUE_ON_ZERO')",
)
TABLE_ACCESS_DENIED = 1142
COLUMN_ACCESS_DENIED = 1143

_FKS_SQL = """
    SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
    FROM information_schema.KEY_COLUMN_USAGE
    WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_SCHEMA = DATABASE()
      AND REFERENCED_TABLE_NAME IS NOT NULL
    ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION
"""


def ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _param_safe(sql: str) -> str:
    """PyMySQL formats parameters with ``%``: a ``%`` in an identifier must be doubled."""
    return sql.replace("%", "%%")


@dataclass
class _Table:
    key: str
    name: str
    columns: tuple[str, ...]
    auto_increment: str | None

    @property
    def sql(self) -> str:
        return ident(self.name)


@dataclass(frozen=True)
class _Fk:
    name: str
    table: str  # target table name
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]


class MySQLTarget(safety.DatabaseTarget):
    """Rows into a MySQL or MariaDB database (see the module docstring)."""

    def open(self, spec: LoadSpec) -> MySQLSink:
        self.refuse()
        engine = create_engine(self.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            engine.dispose()
            raise connection_error(exc, self.url) from None
        try:
            return MySQLSink(engine, conn, spec, self.describe())
        except BaseException:
            conn.close()
            engine.dispose()
            raise


class MySQLSink:
    """An open load: autocommit session, explicit ``START TRANSACTION``/``COMMIT`` per table."""

    def __init__(self, engine: sa.Engine, conn: sa.Connection, spec: LoadSpec, where: str) -> None:
        self.engine = engine
        self.conn = conn
        self.db: Any = conn.connection.driver_connection
        self.spec = spec
        self.where = where
        self.key_start: dict[tuple[str, str], int] = {}
        self.notes: list[str] = []
        self.rows: dict[str, int] = {}
        self.committed: list[str] = []  # tables whose changes are committed, in order
        self._current: str | None = None  # table whose transaction is open
        self._in_transaction = False
        self._checks_off = False
        self._failed = False
        self._result: LoadResult | None = None
        self._temp: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
        try:
            self._prepare()
        except pymysql.MySQLError as exc:
            raise self._error(exc, f"preparing the target {where} failed") from None

    # -- open ---------------------------------------------------------------------------------

    def _prepare(self) -> None:
        spec = self.spec
        for statement in SESSION_SQL:
            self._exec(statement)
        keys = safety.spec_tables(spec)
        if spec.create_schema:
            script = create_schema(self.conn, spec.schema, target_dialect="mysql")
            self.notes.append(f"created the schema ({len(script.statements)} statements)")
            self.notes.extend(script.warnings)
            self.conn.commit()
        (self.user,) = self._one("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")
        self.tables = self._resolve(keys)
        self.rows = dict.fromkeys(keys, 0)
        self.unchecked = {
            b.table
            for b in spec.breaks
            if b.strategy in (BreakStrategy.DEFERRED, BreakStrategy.DISABLE_AND_VALIDATE)
        }
        updated = {b.table for b in spec.breaks if b.strategy is BreakStrategy.NULL_THEN_UPDATE}
        for load in spec.tables:
            table = self.tables[load.table]
            safety.check_columns(load.table, load.columns, table.columns)
            cols = ", ".join(ident(c) for c in load.columns)
            # Privileges are checked on statements that touch no row: the server refuses them
            # exactly as it would refuse the real ones.
            self._privileged(
                table, f"INSERT INTO {table.sql} ({cols}) SELECT {cols} FROM {table.sql} WHERE 1 = 0"
            )
            if load.table in updated:
                first = ident(load.columns[0])
                self._privileged(table, f"UPDATE {table.sql} SET {first} = {first} WHERE 1 = 0")
        tables = [self.tables[k] for k in keys]
        if spec.if_exists == "fail":
            full = [t.key for t in tables if self._one(f"SELECT EXISTS (SELECT 1 FROM {t.sql})")[0]]
            if full:
                raise safety.not_empty(full)
        if spec.if_exists == "truncate":
            names = {t.name: t.key for t in tables}
            for _name, child, _c, parent, _r in self._all(_FKS_SQL):
                outside = parent in names and child not in names
                if outside and self._one(f"SELECT EXISTS (SELECT 1 FROM {ident(child)})")[0]:
                    raise safety.blocked_truncate(names[parent], child)
        self._key_starts()
        if spec.if_exists == "truncate":
            self._truncate(tables)

    def _resolve(self, keys: Sequence[str]) -> dict[str, _Table]:
        columns: dict[str, list[str]] = {}
        auto: dict[str, str] = {}
        for table, column, extra in self._all(
            "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.EXTRA FROM information_schema.COLUMNS c "
            "JOIN information_schema.TABLES t "
            "ON t.TABLE_SCHEMA = c.TABLE_SCHEMA AND t.TABLE_NAME = c.TABLE_NAME "
            "WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' "
            "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"
        ):
            columns.setdefault(table, []).append(column)
            if "auto_increment" in (extra or "").lower():
                auto[table] = column
        resolved: dict[str, _Table] = {}
        taken: dict[str, str] = {}
        for key in keys:
            name = target_table_name(self.spec.schema.table(key), "mysql")[1]
            if name not in columns:
                raise safety.missing_table(key, list(columns), self.where)
            if name in taken:
                raise TargetError(
                    f"tables {taken[name]} and {key} would both be written to table {name} of {self.where}"
                )
            taken[name] = key
            resolved[key] = _Table(key, name, tuple(columns[name]), auto.get(name))
        return resolved

    def _privileged(self, table: _Table, probe: str) -> None:
        try:
            self._exec(probe)
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args else None
            if code in (TABLE_ACCESS_DENIED, COLUMN_ACCESS_DENIED):
                command = str(exc.args[1]).split(" ", 1)[0].upper()
                raise safety.no_privilege(command, f"table {table.key}", self.user, kind="user") from None
            raise

    def _key_starts(self) -> None:
        for key, columns in self.spec.key_columns.items():
            table = self.tables.get(key)
            if table is None:
                continue
            for column in columns:
                start = 1
                if self.spec.if_exists == "append":
                    (top,) = self._one(f"SELECT MAX({ident(column)}) FROM {table.sql}")
                    start = int(top) + 1 if top is not None else 1
                self.key_start[(key, column)] = start

    def _truncate(self, tables: Sequence[_Table]) -> None:
        # InnoDB refuses TRUNCATE on a table another table references, even an empty one; every
        # referencing table with rows is part of this load (checked above), so the checks may go off.
        self._exec("SET FOREIGN_KEY_CHECKS = 0")
        try:
            for table in tables:
                self._privileged(table, f"TRUNCATE TABLE {table.sql}")
                self.committed.append(table.key)
        finally:
            self._exec("SET FOREIGN_KEY_CHECKS = 1")
        self.notes.append("truncated " + ", ".join(t.key for t in tables))

    # -- write --------------------------------------------------------------------------------

    def write(self, item: Batch | Update) -> None:
        if self._failed or self._result is not None:
            raise TargetError("the load has already failed or been closed; nothing more can be written")
        table = self.tables.get(item.table)
        if table is None:
            raise safety.unknown_table(item.table, self.tables)
        try:
            if isinstance(item, Batch):
                self._switch_to(table.key)
                self._insert(table, item)
            else:
                self._begin()
                self._update(table, item)
        except pymysql.MySQLError as exc:
            self._fail()
            raise self._error(exc, f"writing {table.key} failed") from None
        except (ValueError, TargetError) as exc:
            self._fail()
            raise TargetError(f"writing {table.key} failed: {exc}{self._left_text()}") from None

    def _switch_to(self, key: str) -> None:
        if self._current == key:
            return
        self._commit()
        off = key in self.unchecked
        if off != self._checks_off:
            self._exec(f"SET FOREIGN_KEY_CHECKS = {0 if off else 1}")
            self._checks_off = off
        self._current = key
        self._begin()

    def _begin(self) -> None:
        if not self._in_transaction:
            self._exec("START TRANSACTION")
            self._in_transaction = True

    def _commit(self) -> None:
        if self._in_transaction:
            self._exec("COMMIT")
            self._in_transaction = False
            if self._current is not None and self._current not in self.committed:
                self.committed.append(self._current)

    def _columns(self, key: str, names: Sequence[str]) -> list[Column]:
        source = self.spec.schema.table(key)
        return [source.column(n) for n in names]

    def _insert(self, table: _Table, batch: Batch) -> None:
        names = next(t.columns for t in self.spec.tables if t.table == table.key)
        safety.check_frame(table.key, batch.frame.columns, names)
        if batch.frame.empty:
            return
        self._insert_rows(
            table.sql, names, python_rows(batch.frame, self._columns(table.key, names), MYSQL_VALUES)
        )
        self.rows[table.key] += len(batch.frame)

    def _insert_rows(self, target: str, names: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join(["%s"] * len(names))
        statement = (
            _param_safe(f"INSERT INTO {target} ({', '.join(ident(n) for n in names)}) VALUES ") + f"({marks})"
        )
        with self.db.cursor() as cur:
            cur.executemany(statement, rows)

    def _update(self, table: _Table, update: Update) -> None:
        names = (*update.key_columns, *update.set_columns)
        safety.check_frame(table.key, update.frame.columns, names)
        safety.check_columns(table.key, names, table.columns)
        if update.frame.empty:
            return
        signature = (table.key, update.key_columns, update.set_columns)
        temp = self._temp.get(signature)
        if temp is None:
            temp = ident(f"dbsynth_update_{len(self._temp) + 1}")
            keys = ", ".join(ident(c) for c in update.key_columns)
            # CREATE TEMPORARY TABLE does not commit the open transaction (ALTER TABLE would).
            self._exec(
                f"CREATE TEMPORARY TABLE {temp} (PRIMARY KEY ({keys})) "
                f"SELECT {', '.join(ident(n) for n in names)} FROM {table.sql} WHERE 1 = 0"
            )
            self._temp[signature] = temp
        else:
            self._exec(f"DELETE FROM {temp}")
        rows = python_rows(update.frame, self._columns(table.key, names), MYSQL_VALUES)
        self._insert_rows(temp, names, rows)
        match = " AND ".join(f"t.{ident(c)} = u.{ident(c)}" for c in update.key_columns)
        assignments = ", ".join(f"t.{ident(c)} = u.{ident(c)}" for c in update.set_columns)
        with self.db.cursor() as cur:
            # The session reports matched rows (CLIENT_FOUND_ROWS), not only changed ones.
            matched = cur.execute(f"UPDATE {table.sql} AS t JOIN {temp} AS u ON {match} SET {assignments}")
        if matched != len(update.frame):
            raise TargetError(
                f"an UPDATE of {', '.join(update.set_columns)} matched {matched} of "
                f"{len(update.frame)} rows by ({', '.join(update.key_columns)})"
            )

    # -- close --------------------------------------------------------------------------------

    def close(self, ok: bool) -> LoadResult:
        if self._result is not None:
            return self._result
        if not ok or self._failed:
            return self._abandon()
        try:
            self._commit()
            if self._checks_off:
                self._exec("SET FOREIGN_KEY_CHECKS = 1")
                self._checks_off = False
            self._validate()
            self._reset_auto_increment()
        except pymysql.MySQLError as exc:
            self._abandon()
            raise self._error(exc, "finishing the load failed") from None
        except DbsynthError:
            self._abandon()
            raise
        self._disconnect()
        self._result = LoadResult(rows=dict(self.rows), committed=True, notes=tuple(self.notes))
        return self._result

    def _validate(self) -> None:
        if not self.unchecked:
            return
        names = {self.tables[k].name: k for k in self.unchecked if k in self.tables}
        fks: dict[tuple[str, str], _Fk] = {}
        for name, table, column, ref_table, ref_column in self._all(_FKS_SQL):
            if table not in names:
                continue
            old = fks.get((table, name))
            cols = (*old.columns, column) if old else (column,)
            refs = (*old.ref_columns, ref_column) if old else (ref_column,)
            fks[(table, name)] = _Fk(name, table, cols, ref_table, refs)
        for fk in fks.values():
            sql = safety.orphans_sql(
                ident(fk.table),
                ident(fk.ref_table),
                [ident(c) for c in fk.columns],
                [ident(c) for c in fk.ref_columns],
            )
            (count,) = self._one(sql)
            if count:
                child = names[fk.table]
                label = (
                    f"{child}.{fk.columns[0] if len(fk.columns) == 1 else '(' + ', '.join(fk.columns) + ')'}"
                )
                ref_key = next((t.key for t in self.tables.values() if t.name == fk.ref_table), fk.ref_table)
                message = safety.orphans_message(label, ref_key, fk.name, int(count), child)
                self._failed = True
                raise TargetError(message + self._left_text())
            self.notes.append(f"foreign key {fk.name} on {names[fk.table]} validated")

    def _reset_auto_increment(self) -> None:
        """AUTO_INCREMENT past the largest key. InnoDB already advances it on explicit inserts, so
        the ALTER (which needs the ALTER privilege and commits) only runs when it lags behind."""
        for table in self.tables.values():
            if table.auto_increment is None or not self.rows.get(table.key):
                continue
            (top,) = self._one(f"SELECT MAX({ident(table.auto_increment)}) FROM {table.sql}")
            (counter,) = self._one(
                "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                (table.name,),
            )
            wanted = int(top or 0) + 1
            if counter is None or int(counter) < wanted:
                self._exec(f"ALTER TABLE {table.sql} AUTO_INCREMENT = {wanted}")

    def _fail(self) -> None:
        self._failed = True
        if self._in_transaction:
            try:
                self._exec("ROLLBACK")
            finally:
                self._in_transaction = False

    def _abandon(self) -> LoadResult:
        try:
            self._fail()
        finally:
            self._disconnect()
        notes = [*self.notes]
        if self.committed:
            notes.append(
                "not rolled back (MySQL commits per table): "
                + ", ".join(self.committed)
                + "; empty or drop them"
            )
        self._result = LoadResult(
            rows={k: n for k, n in self.rows.items() if k in self.committed},
            committed=False,
            left_behind=tuple(self.committed),
            notes=tuple(notes),
        )
        return self._result

    def _disconnect(self) -> None:
        try:
            self.conn.close()
        finally:
            self.engine.dispose()

    def _left_text(self) -> str:
        if not self.committed:
            return "; nothing was committed"
        return f"; already committed: {', '.join(self.committed)}"

    def _error(self, exc: pymysql.MySQLError, what: str) -> TargetError:
        code, message = (*exc.args, None, None)[:2]
        text = " ".join(str(message if message is not None else exc).split())[:400]
        return TargetError(f"{what}: ({code}) {text}{self._left_text()}")

    # -- helpers ------------------------------------------------------------------------------

    def _exec(self, sql: str) -> None:
        with self.db.cursor() as cur:
            cur.execute(sql)

    def _one(self, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...]:
        with self.db.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            assert row is not None
            return tuple(row)

    def _all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self.db.cursor() as cur:
            cur.execute(sql, params)
            return [tuple(r) for r in cur.fetchall()]


__all__ = ["MySQLSink", "MySQLTarget", "ident"]
