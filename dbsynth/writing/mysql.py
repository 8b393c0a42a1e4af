"""MySQL/MariaDB target: batched multi-row INSERTs (PyMySQL ``executemany``) in one transaction.

MySQL commits implicitly around DDL, so the load is one transaction in two parts:

* ``--create-schema`` runs first and commits each CREATE TABLE at once. Before it runs, the
  tables it will create are announced (a failure, or a ``kill -9``, leaves them behind, empty),
  and every error of the load names the ones it did create.
* Then the rows of every table, the emptying of ``if_exists='truncate'`` (DELETE, not TRUNCATE,
  which would commit) and the checks of cut foreign keys are ONE transaction: a failure, an
  interrupt or a dropped connection leaves every table's rows as they were before the load.
  Only after COMMIT are AUTO_INCREMENT counters moved (``ALTER TABLE`` commits).

Cut foreign keys: MySQL has no deferrable constraints, so ``deferred`` and
``disable_and_validate`` are both written with ``FOREIGN_KEY_CHECKS = 0`` while (and only while)
the child table of such a cut is loaded; InnoDB checks row by row, so the transaction alone would
not help. Turning the checks back on does not re-check what was written meanwhile, so ``close``
runs an anti-join for every foreign key of those tables and names the first that does not hold.
A load that creates or empties its tables does the same for every table whose foreign keys all
reference loaded tables (InnoDB's check per row is a third of a LOAD's time): each parent row is
then the load's own, locked until COMMIT, so the check at close sees what will be committed.

Rows go in with ``LOAD DATA LOCAL INFILE`` (one statement per batch, several times faster than
multi-row INSERTs). With LOCAL the server treats data errors and duplicate keys as if IGNORE were
given: a duplicate row is skipped and an out-of-range value clamped, each with a warning. So
after every LOAD the sink checks that the server took exactly the rows sent and raised no warning
(notes, which strict INSERTs accept too, are allowed); otherwise the load fails, naming the table
and the first warning, and rolls back like any other failure. Each batch is written to a private
temporary file, removed as soon as the server has read it. A server that refuses LOCAL
(``local_infile=OFF``, or a client-side restriction) gets the same rows as batched INSERTs
(``executemany``); a log warning and a note say so once.

Enabling LOCAL lets the server ask the client for a file by name: the sink's connection sends
only the file of the LOAD it is running and refuses any other request
(:mod:`dbsynth.writing.local_infile`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import pymysql
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from dbsynth.cycles import BreakStrategy
from dbsynth.db import connection_error, create_engine
from dbsynth.errors import TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import LoadSpec, Update
from dbsynth.writing.ddl import target_table_name
from dbsynth.writing.encode import MYSQL_VALUES, load_data_text, python_rows
from dbsynth.writing.local_infile import allow
from dbsynth.writing.sql_sink import ROLLED_BACK, Dialect, LoadFailed, Params, SQLSink, TargetTable

log = logging.getLogger(__name__)

# Strict mode makes a bad value an error instead of a warning and a mangled row;
# NO_AUTO_VALUE_ON_ZERO keeps an explicit 0 in an AUTO_INCREMENT column instead of renumbering it.
SESSION_SQL = (
    "SET time_zone = '+00:00'",
    "SET SESSION sql_mode = CONCAT_WS(',', @@sql_mode, 'STRICT_ALL_TABLES', 'NO_AUTO_VALUE_ON_ZERO')",
)
TABLE_ACCESS_DENIED = 1142
COLUMN_ACCESS_DENIED = 1143
# The server (1148 MySQL 5, 3948 MySQL 8, 4166 MariaDB 10.6+) or the client (2068) refuses LOAD DATA LOCAL.
LOCAL_REFUSED = (1148, 2068, 3948, 4166)

DIALECT = Dialect(
    quote="`",
    # CREATE TEMPORARY TABLE does not commit the open transaction (ALTER TABLE would).
    stage=("CREATE TEMPORARY TABLE {temp} (PRIMARY KEY ({keys})) SELECT {columns} FROM {table} WHERE 1 = 0",),
    restage="DELETE FROM {temp}",
    staged=(),
    # The session reports matched rows (CLIENT_FOUND_ROWS), not only changed ones.
    update="UPDATE {table} AS t JOIN {temp} AS u ON {match} SET {assignments}",
    assignment="t.{column} = u.{column}",
)
ident = DIALECT.ident

_FKS_SQL = """
    SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME
    FROM information_schema.KEY_COLUMN_USAGE
    WHERE TABLE_SCHEMA = DATABASE() AND REFERENCED_TABLE_SCHEMA = DATABASE()
      AND REFERENCED_TABLE_NAME IS NOT NULL
    ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION
"""
_BASE_TABLES_SQL = (
    "SELECT TABLE_NAME FROM information_schema.TABLES "
    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'"
)


def _param_safe(sql: str) -> str:
    """PyMySQL formats parameters with ``%``: a ``%`` in an identifier must be doubled."""
    return sql.replace("%", "%%")


@dataclass
class _Table(TargetTable):
    name: str
    auto_increment: str | None


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
        # No reset on return: after an interrupt nothing may be sent on the connection (the sink
        # rolls back itself, or drops the connection and lets the server roll back).
        engine = create_engine(
            self.url,
            poolclass=sa.pool.NullPool,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            connect_args={"local_infile": True},
        )
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            engine.dispose()
            raise connection_error(exc, self.url) from None
        return MySQLSink(engine, conn, spec, self.describe()).start()


class MySQLSink(SQLSink):
    """An open load: an autocommit session (for the DDL), then one explicit transaction."""

    dialect = DIALECT
    driver_errors = (pymysql.MySQLError,)
    # False: batched INSERTs from the start (benchmarks/generate_bench.py compares the two).
    load_local: ClassVar[bool] = True

    def __init__(self, engine: sa.Engine, conn: sa.Connection, spec: LoadSpec, where: str) -> None:
        super().__init__(spec, where)
        self.engine = engine
        self.conn = conn
        self.db: Any = conn.connection.driver_connection
        allow(self.db, None)  # a LOCAL file request the sink did not start is refused
        self.tables: dict[str, _Table] = {}  # type: ignore[assignment]
        self.server = "MySQL"
        self.unchecked: set[str] = set()
        self._bulk: set[str] = set()  # unchecked for speed, not for a cycle: no note
        self._checks_off = False
        self._left_exact = True
        self._local = self.load_local  # LOAD DATA LOCAL until the server refuses it
        self._file: str | None = None  # the temporary file of the LOAD running now

    # -- open ---------------------------------------------------------------------------------

    def _prepare(self) -> None:
        spec = self.spec
        for statement in SESSION_SQL:
            self._execute(statement)
        keys = safety.spec_tables(spec)
        ((version,),) = self._all("SELECT VERSION()")
        self.server = "MariaDB" if "mariadb" in str(version).lower() else "MySQL"
        if spec.create_schema:
            self._create_tables()
        ((self.user,),) = self._all("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")
        self.tables = self._resolve(keys)
        self.rows = dict.fromkeys(keys, 0)
        self.unchecked = {
            b.table
            for b in spec.breaks
            if b.strategy in (BreakStrategy.DEFERRED, BreakStrategy.DISABLE_AND_VALIDATE)
        }
        self._privileges()
        names = {t.name: t.key for t in self.tables.values()}
        fk_rows = self._all(_FKS_SQL)
        referencing = [
            (names[parent], child, ident(child))
            for _name, child, _c, parent, _r in fk_rows
            if parent in names and child not in names
        ]
        if spec.create_schema or spec.if_exists == "truncate":
            self._bulk = self._checked_at_close(fk_rows, names) - self.unchecked
            self.unchecked |= self._bulk
        self._check_if_exists(referencing if spec.if_exists == "truncate" else [])
        self._execute("START TRANSACTION")
        self._truncate()

    def _checked_at_close(self, fk_rows: Sequence[tuple[Any, ...]], names: dict[str, str]) -> set[str]:
        """Loaded tables whose foreign keys all reference loaded tables: written with the checks
        off and checked by one anti-join per key at close (see the module docstring). Only when
        the load creates or empties the tables: every parent row is then this transaction's,
        locked by it until COMMIT, so no other session can remove one before the check."""
        children: dict[str, bool] = {}
        for _name, child, _c, parent, _r in fk_rows:
            if child in names:
                children[child] = children.get(child, True) and parent in names
        return {names[child] for child, inside in children.items() if inside}

    def _create_tables(self) -> None:
        """Run the DDL (MySQL commits each statement) and remember exactly what it created."""
        planned = [target_table_name(t, "mysql")[1] for t in self.spec.schema.tables]
        log.warning(
            "%s commits CREATE TABLE at once: if this load fails or is killed, the %d table(s) "
            "--create-schema creates stay behind, empty (%s); the rows are one transaction",
            self.server,
            len(planned),
            ", ".join(planned),
        )
        before = {r[0] for r in self._all(_BASE_TABLES_SQL)}
        try:
            self._create_schema(self.conn, "mysql")
        except Exception:
            try:
                now = {r[0] for r in self._all(_BASE_TABLES_SQL)}
            except pymysql.MySQLError:
                now, self._left_exact = set(planned), False
            self.left_on_failure = tuple(t for t in planned if t in now - before)
            raise
        except BaseException:
            # Interrupted inside a statement: nothing more may be asked on this connection.
            self.left_on_failure, self._left_exact = tuple(planned), False
            raise
        self.left_on_failure = tuple(t for t in planned if t not in before)

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
            resolved[key] = _Table(key, ident(name), tuple(columns[name]), name, auto.get(name))
        return resolved

    def _privileges(self) -> None:
        """Probe with statements that touch no row: the server refuses them exactly as it would
        refuse the real ones."""
        updated = {b.table for b in self.spec.breaks if b.strategy is BreakStrategy.NULL_THEN_UPDATE}
        for load in self.spec.tables:
            table = self.tables[load.table]
            safety.check_columns(load.table, load.columns, table.columns)
            cols = ", ".join(ident(c) for c in load.columns)
            self._probe(table, f"INSERT INTO {table.sql} ({cols}) SELECT {cols} FROM {table.sql} WHERE 1 = 0")
            if load.table in updated:
                first = ident(load.columns[0])
                self._probe(table, f"UPDATE {table.sql} SET {first} = {first} WHERE 1 = 0")
            if self.spec.if_exists == "truncate":
                self._probe(table, f"DELETE FROM {table.sql} WHERE 1 = 0")

    def _probe(self, table: _Table, probe: str) -> None:
        try:
            self._execute(probe)
        except pymysql.MySQLError as exc:
            code = exc.args[0] if exc.args else None
            if code in (TABLE_ACCESS_DENIED, COLUMN_ACCESS_DENIED):
                command = str(exc.args[1]).split(" ", 1)[0].upper()
                raise safety.no_privilege(command, f"table {table.key}", self.user, kind="user") from None
            raise

    def _empty(self, tables: Sequence[TargetTable]) -> None:
        # Inside the transaction: DELETE (TRUNCATE would commit). Rows of tables that reference
        # each other can only go with the checks off; referencing tables outside the load were
        # found empty above, so nothing is orphaned.
        self._execute("SET FOREIGN_KEY_CHECKS = 0")
        super()._empty(tables)
        self._execute("SET FOREIGN_KEY_CHECKS = 1")

    # -- write --------------------------------------------------------------------------------

    def _insert_batch(self, table: TargetTable, names: Sequence[str], frame: pd.DataFrame) -> None:
        self._checks_for(table)
        super()._insert_batch(table, names, frame)

    def _update(self, table: TargetTable, update: Update) -> None:
        self._checks_for(table)  # not whatever the last batch's table left
        super()._update(table, update)

    def _checks_for(self, table: TargetTable) -> None:
        off = table.key in self.unchecked
        if off != self._checks_off:
            self._execute(f"SET FOREIGN_KEY_CHECKS = {0 if off else 1}")
            self._checks_off = off

    def _insert(self, target: str, names: Sequence[str], frame: pd.DataFrame, columns: list[Column]) -> None:
        if self._local and names:
            try:
                self._load(target, names, frame, columns)
                return
            except pymysql.MySQLError as exc:
                if not exc.args or exc.args[0] not in LOCAL_REFUSED:
                    raise
                # Refused before any row was read: the transaction is intact, INSERT instead.
                self._local = False
                refused = self._error_text(exc)
                text = f"{self.server} refused LOAD DATA LOCAL ({refused}): rows written with INSERT"
                log.warning("%s", text)
                self.notes.append(text)
        marks = ", ".join(["%s"] * len(names))
        head = _param_safe(f"INSERT INTO {target} ({', '.join(ident(n) for n in names)}) VALUES ")
        with self.db.cursor() as cur:
            cur.executemany(f"{head}({marks})", python_rows(frame, columns, MYSQL_VALUES))

    def _load(self, target: str, names: Sequence[str], frame: pd.DataFrame, columns: list[Column]) -> None:
        """One ``LOAD DATA LOCAL``, checked: every row taken, no warning (see the module docstring)."""
        data, hexed = load_data_text(frame, columns)
        # A file per statement, removed as soon as the server has read it: only a kill during a
        # LOAD can leave one behind.
        handle, self._file = tempfile.mkstemp(prefix="dbsynth-load-", suffix=".tsv")
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        fields = [f"@v{i}" if h else ident(n) for i, (n, h) in enumerate(zip(names, hexed, strict=True))]
        unhex = [f"{ident(n)} = UNHEX(@v{i})" for i, (n, h) in enumerate(zip(names, hexed, strict=True)) if h]
        sql = "LOAD DATA LOCAL INFILE %s INTO TABLE " + _param_safe(
            f"{target} CHARACTER SET utf8mb4 "
            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' "
            f"({', '.join(fields)})" + (f" SET {', '.join(unhex)}" if unhex else "")
        )
        try:
            allow(self.db, self._file)
            with self.db.cursor() as cur:
                taken = int(cur.execute(sql, (self._file,)))
                warned = int(cur.warning_count)
        finally:
            allow(self.db, None)
            self._remove_file()
        if taken == len(frame) and not warned:
            return
        first = self._first_warning()
        if taken == len(frame) and first is None:
            return  # only notes
        lost = f"{len(frame) - taken} of {len(frame)} rows were not loaded"
        raise LoadFailed(self._label(target), first or lost)

    def _remove_file(self) -> None:
        if self._file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._file)
            self._file = None

    def _first_warning(self) -> str | None:
        for level, code, message in self._all("SHOW WARNINGS"):
            if str(level).lower() != "note":
                return f"({code}) {' '.join(str(message).split())[:400]}"
        return None

    def _label(self, target: str) -> str:
        """The table key for a quoted target name (a staging table has none: its name)."""
        return next((t.key for t in self.tables.values() if t.sql == target), target.strip("`"))

    # -- close --------------------------------------------------------------------------------

    def _finish(self) -> None:
        if self._checks_off:
            self._execute("SET FOREIGN_KEY_CHECKS = 1")
            self._checks_off = False
        self._validate()

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
            ((count,),) = self._all(sql)
            child = names[fk.table]
            if count:
                ref_key = next((t.key for t in self.tables.values() if t.name == fk.ref_table), fk.ref_table)
                label = safety.fk_label(child, fk.columns)
                raise TargetError(safety.orphans_message(label, ref_key, fk.name, int(count), child))
            if child not in self._bulk:
                self.notes.append(f"foreign key {fk.name} on {child} validated")

    def _commit(self) -> None:
        self._execute("COMMIT")

    def _after_commit(self) -> None:
        """AUTO_INCREMENT just past the largest key (``ALTER TABLE`` commits, so only now).
        InnoDB advances it on explicit inserts, but a DELETE does not lower it."""
        for table in self.tables.values():
            if table.auto_increment is None:
                continue
            if not self.rows.get(table.key) and self.spec.if_exists != "truncate":
                continue
            try:
                ((top,),) = self._all(f"SELECT MAX({ident(table.auto_increment)}) FROM {table.sql}")
                ((counter,),) = self._all(
                    "SELECT AUTO_INCREMENT FROM information_schema.TABLES "
                    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s",
                    (table.name,),
                )
                wanted = int(top or 0) + 1
                if counter is None or int(counter) != wanted:
                    self._execute(f"ALTER TABLE {table.sql} AUTO_INCREMENT = {wanted}")
            except pymysql.MySQLError as exc:
                self.notes.append(f"AUTO_INCREMENT of {table.key} was not reset: {self._error_text(exc)}")

    def _rollback(self) -> None:
        self._execute("ROLLBACK")

    def _disconnect(self, hard: bool) -> None:
        self._remove_file()
        if hard:
            self.db._force_close()  # no COM_QUIT on a connection that may be mid-statement
        try:
            self.conn.close()
        finally:
            self.engine.dispose()

    def _kept(self) -> str:
        if not self.left_on_failure:
            return ROLLED_BACK
        verb = "remain" if self._left_exact else "may remain"
        return (
            f"the rows were rolled back, but {self.server} commits CREATE TABLE at once: the empty "
            f"tables --create-schema made {verb}: {', '.join(self.left_on_failure)} "
            "(drop them, or run again without --create-schema)"
        )

    # -- driver primitives ----------------------------------------------------------------------

    def _execute(self, sql: str, params: Params = None) -> int:
        with self.db.cursor() as cur:
            return int(cur.execute(sql, params))

    def _all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        with self.db.cursor() as cur:
            cur.execute(sql, params)
            return [tuple(r) for r in cur.fetchall()]

    def _error_text(self, exc: Exception) -> str:
        code, message = (*exc.args, None, None)[:2]
        text = " ".join(str(message if message is not None else exc).split())[:400]
        return f"({code}) {text}"


__all__ = ["DIALECT", "SESSION_SQL", "MySQLSink", "MySQLTarget", "ident"]
