"""What every SQL sink shares: the write loop, UPDATEs through a staging table, close and abandon.

PostgreSQL, MySQL/MariaDB and SQLite differ in how they connect, read their catalogs, stream
rows and check cut foreign keys, and each module keeps that. How a load *ends* is the same in
all three and lives here, once:

* ``write`` refuses a batch of the wrong shape before touching the target (the load goes on), and
  turns any failure of the target into ONE :class:`TargetError` that names the table and says
  what the target kept ("...; the load was rolled back and the target is unchanged"). The load is
  rolled back at that moment, not later, so the message is already true when it is raised.
* an :class:`Update` is staged in a temporary table and applied with one joined UPDATE, whose
  matched-row count must equal the frame's rows;
* ``close(True)`` runs the dialect's checks, commits, and reports; ``close(False)`` or any failure
  abandons: ROLLBACK when the connection can still be talked to, otherwise the connection is
  dropped (every server rolls back the transaction of a connection that ends, so an interrupt in
  the middle of a statement never leaves half a load behind).

The statements that differ only in spelling are data (:class:`Dialect`, one instance per
module), not branches.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

import pandas as pd

from dbsynth.errors import DbsynthError, TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import Batch, Encoded, LoadResult, LoadSpec, Update
from dbsynth.writing.ddl import create_schema

ROLLED_BACK = safety.ROLLED_BACK
Params = Sequence[Any] | Mapping[str, Any] | None


@dataclass(frozen=True)
class Dialect:
    """How one database spells the statements every SQL sink runs.

    Placeholders: ``{temp}`` the quoted staging table, ``{index}`` a quoted name for its key
    index, ``{table}`` the quoted target table, ``{columns}`` and ``{keys}`` quoted column lists,
    ``{assignments}`` and ``{match}`` the SET and join clauses of the UPDATE.
    """

    quote: str
    stage: tuple[str, ...]  # create the staging table of an Update (keyed, so the join is indexed)
    restage: str  # empty it for the next Update with the same columns
    staged: tuple[str, ...]  # run once it holds the rows (PostgreSQL: ANALYZE for the join plan)
    update: str  # the joined UPDATE; must report matched rows, not changed ones
    assignment: str  # one SET item, with ``{column}``

    def ident(self, *parts: str) -> str:
        """A quoted, dot-qualified identifier: ``"public"."Order Items"``."""
        q = self.quote
        return ".".join(q + p.replace(q, q + q) + q for p in parts)


@dataclass
class TargetTable:
    """A table of the load as found in the target."""

    key: str  # the schema's table key
    sql: str  # quoted (and qualified) name in the target
    columns: tuple[str, ...]  # the target's columns, in order


class LoadFailed(Exception):
    """A failure of one table's rows, raised where it is detected (possibly while writing the
    next table: a COPY reports a bad row when it ends)."""

    def __init__(self, table: str, detail: str) -> None:
        super().__init__(f"writing {table} failed: {detail}")


class SQLSink(ABC):
    """An open load on one connection, in one transaction (see the module docstring).

    Subclasses provide the driver primitives, ``_prepare`` (checks and preparation, run by
    :meth:`start`), ``_finish`` (checks before COMMIT), and may override how batches are written
    and how tables are emptied. ``changed`` becomes True once the target may differ from before
    the load; ``left_on_failure`` lists what a failure cannot undo (MySQL's committed DDL).
    """

    dialect: ClassVar[Dialect]
    driver_errors: ClassVar[tuple[type[Exception], ...]]

    def __init__(self, spec: LoadSpec, where: str) -> None:
        self.spec = spec
        self.where = where
        self.tables: dict[str, TargetTable] = {}
        self.rows: dict[str, int] = {}
        self.notes: list[str] = []
        self.key_start: dict[tuple[str, str], int] = {}
        self.changed = False
        self.left_on_failure: tuple[str, ...] = ()
        self._columns = {t.table: t.columns for t in spec.tables}
        self._staging: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
        self._result: LoadResult | None = None
        self._after_load: tuple[str, ...] = ()  # the created schema's REFRESH MATERIALIZED VIEW

    # -- what each dialect implements ----------------------------------------------------------

    @abstractmethod
    def _execute(self, sql: str, params: Params = None) -> int:
        """Run one statement; the number of rows it matched."""

    @abstractmethod
    def _all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Run one query; its rows."""

    @abstractmethod
    def _insert(self, target: str, names: Sequence[str], frame: pd.DataFrame, columns: list[Column]) -> None:
        """Insert ``frame`` (its ``names`` columns, typed as ``columns``) into ``target``."""

    @abstractmethod
    def _error_text(self, exc: Exception) -> str:
        """One line from a driver error."""

    @abstractmethod
    def _prepare(self) -> None:
        """Check the target, create or empty what the spec says, fill ``tables``."""

    @abstractmethod
    def _finish(self) -> None:
        """Everything before COMMIT: cut foreign keys checked, sequences reset."""

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def _disconnect(self, hard: bool) -> None:
        """Close the connection; ``hard`` when it may be in the middle of a statement (nothing may
        be sent on it then)."""

    def _after_commit(self) -> None:  # noqa: B027 - most dialects have nothing to do here
        """Work that must follow COMMIT (it cannot fail the load)."""

    def _insert_batch(self, table: TargetTable, names: Sequence[str], frame: pd.DataFrame) -> None:
        self._insert(table.sql, names, frame, self._schema_columns(table.key, names))

    def _write_encoded(self, table: TargetTable, names: Sequence[str], item: Encoded) -> None:
        """Send rows this sink's ``encode`` prepared (only sinks that have ``encode`` get any)."""
        raise TypeError(f"{type(self).__name__} does not take encoded rows")

    def _empty(self, tables: Sequence[TargetTable]) -> None:
        """``if_exists='truncate'``: DELETE, children first, inside the transaction."""
        for table in reversed(tables):
            self._execute(f"DELETE FROM {table.sql}")

    def _kept(self) -> str:
        """What a failure leaves in the target, as a clause for the error message."""
        return ROLLED_BACK

    # -- open ---------------------------------------------------------------------------------

    def start(self) -> Self:
        """Run :meth:`_prepare`. A refusal raised before the target changed is re-raised as is;
        after a change (DDL, emptied tables) it also says what the target kept."""
        try:
            self._prepare()
        except self.driver_errors as exc:
            text = self._error_text(exc)
            raise self._failure(f"preparing the target {self.where} failed: {text}") from None
        except DbsynthError as exc:
            if not self.changed:
                self._abandon()
                raise
            raise self._failure(str(exc), type(exc)) from None
        except BaseException as exc:
            self._abandon(graceful=False)
            if isinstance(exc, KeyboardInterrupt) and self.changed:
                raise type(exc)(self._kept()) from None
            raise
        return self

    def _create_schema(self, connection: Any, dialect: str) -> None:
        self.changed = True
        script = create_schema(connection, self.spec.schema, target_dialect=dialect)
        self.notes.append(f"created the schema ({len(script.statements)} statements)")
        self.notes.extend(script.warnings)
        self._after_load = script.after_load

    def _has_rows(self, table_sql: str) -> bool:
        return bool(self._all(f"SELECT EXISTS (SELECT 1 FROM {table_sql})")[0][0])

    def _check_if_exists(self, referencing: Sequence[tuple[str, str, str]]) -> None:
        """The ``if_exists`` policy before anything is written: ``fail`` refuses tables with rows;
        ``truncate`` refuses to empty a table that a table outside the load references with rows
        (``referencing``: parent key, child name, quoted child). Then the engine's key starts."""
        tables = list(self.tables.values())
        if self.spec.if_exists == "fail":
            full = [t.key for t in tables if self._has_rows(t.sql)]
            if full:
                raise safety.not_empty(full)
        if self.spec.if_exists == "truncate":
            for parent, child, child_sql in referencing:
                if self._has_rows(child_sql):
                    raise safety.blocked_truncate(parent, child)
        q = self.dialect.ident
        for key, columns in self.spec.key_columns.items():
            if key not in self.tables:
                continue
            for column in columns:
                start = 1
                if self.spec.if_exists == "append":
                    top = self._all(f"SELECT max({q(column)}) FROM {self.tables[key].sql}")[0][0]
                    start = int(top) + 1 if top is not None else 1
                self.key_start[(key, column)] = start

    def _truncate(self) -> None:
        if self.spec.if_exists != "truncate":
            return
        tables = list(self.tables.values())
        self.changed = True
        self._empty(tables)
        self.notes.append("truncated " + ", ".join(t.key for t in tables))

    # -- write --------------------------------------------------------------------------------

    def write(self, item: Batch | Update | Encoded) -> None:
        if self._result is not None:
            raise safety.closed_load()
        table = self.tables.get(item.table)
        if table is None:
            raise safety.unknown_table(item.table, self.tables)
        names: Sequence[str] = self._columns[table.key]
        if isinstance(item, Batch):
            safety.check_frame(table.key, item.frame.columns, names)
        elif isinstance(item, Update):
            names = (*item.key_columns, *item.set_columns)
            safety.check_frame(table.key, item.frame.columns, names)
            safety.check_columns(table.key, names, table.columns)
        if (item.rows if isinstance(item, Encoded) else len(item.frame)) == 0:
            return
        try:
            if isinstance(item, Batch):
                self._insert_batch(table, names, item.frame)
                self.rows[table.key] += len(item.frame)
            elif isinstance(item, Encoded):
                self._write_encoded(table, names, item)
                self.rows[table.key] += item.rows
            else:
                self._update(table, item)
        except LoadFailed as exc:
            raise self._failure(str(exc)) from None
        except self.driver_errors as exc:
            raise self._failure(f"writing {table.key} failed: {self._error_text(exc)}") from None
        except (ValueError, TargetError) as exc:  # a value the encoder refuses
            raise self._failure(f"writing {table.key} failed: {exc}") from None
        except BaseException:
            self._abandon(graceful=False)
            raise

    def _update(self, table: TargetTable, update: Update) -> None:
        names = (*update.key_columns, *update.set_columns)
        q = self.dialect.ident
        assign = self.dialect.assignment
        temp = self._staging_table(table, update)
        self._insert(temp, names, update.frame, self._schema_columns(table.key, names))
        for statement in self.dialect.staged:
            self._execute(statement.format(temp=temp))
        matched = self._execute(
            self.dialect.update.format(
                table=table.sql,
                temp=temp,
                assignments=", ".join(assign.format(column=q(c)) for c in update.set_columns),
                match=" AND ".join(f"t.{q(c)} = u.{q(c)}" for c in update.key_columns),
            )
        )
        if matched != len(update.frame):
            raise LoadFailed(table.key, safety.unmatched(update, matched))

    def _staging_table(self, table: TargetTable, update: Update) -> str:
        """The staging table for this table and these columns: created at the first Update,
        emptied for the next ones (Updates come per chunk)."""
        signature = (table.key, update.key_columns, update.set_columns)
        temp = self._staging.get(signature)
        if temp is not None:
            self._execute(self.dialect.restage.format(temp=temp))
            return temp
        q = self.dialect.ident
        name = f"dbsynth_update_{len(self._staging) + 1}"
        temp = self._staging[signature] = q(name)
        for statement in self.dialect.stage:
            self._execute(
                statement.format(
                    temp=temp,
                    index=q(name + "_key"),
                    table=table.sql,
                    columns=", ".join(q(c) for c in (*update.key_columns, *update.set_columns)),
                    keys=", ".join(q(c) for c in update.key_columns),
                )
            )
        return temp

    def _schema_columns(self, key: str, names: Sequence[str]) -> list[Column]:
        source = self.spec.schema.table(key)
        return [source.column(n) for n in names]

    # -- close --------------------------------------------------------------------------------

    def close(self, ok: bool) -> LoadResult:
        if self._result is not None:
            return self._result
        if not ok:
            return self._abandon()
        try:
            self._finish()
            for statement in self._after_load:
                self._execute(statement)
            self._commit()
        except LoadFailed as exc:
            raise self._failure(str(exc)) from None
        except self.driver_errors as exc:
            raise self._failure(f"finishing the load failed: {self._error_text(exc)}") from None
        except TargetError as exc:  # a cut foreign key that does not hold
            raise self._failure(str(exc)) from None
        except BaseException:
            self._abandon(graceful=False)
            raise
        try:
            self._after_commit()
        finally:
            self._result = LoadResult(rows=dict(self.rows), committed=True, notes=tuple(self.notes))
            with contextlib.suppress(Exception):
                self._disconnect(hard=False)
        return self._result

    def _failure(self, text: str, kind: type[DbsynthError] = TargetError) -> DbsynthError:
        """Abandon the load and return the error to raise: ``text`` and what the target kept."""
        self._abandon()
        return kind(f"{text}; {self._kept()}")

    def _abandon(self, graceful: bool = True) -> LoadResult:
        """Roll back and disconnect; the result says what the target kept. Errors while doing so
        are not reported: the error that got us here is the one to report, and a server rolls
        back the transaction of a connection that ends."""
        if self._result is not None:
            return self._result
        rolled_back = False
        if graceful:
            with contextlib.suppress(Exception):
                self._rollback()
                rolled_back = True
        with contextlib.suppress(Exception):
            self._disconnect(hard=not rolled_back)
        self._result = LoadResult(
            rows={}, committed=False, left_behind=self.left_on_failure, notes=(self._kept(),)
        )
        return self._result


__all__ = ["ROLLED_BACK", "Dialect", "LoadFailed", "Params", "SQLSink", "TargetTable"]
