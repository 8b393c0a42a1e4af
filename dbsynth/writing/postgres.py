"""PostgreSQL target: psycopg 3 ``COPY ... FROM STDIN`` in one transaction.

The whole load (schema creation, TRUNCATE, dropped constraints, every COPY, the re-added
constraints and the sequence resets) runs in ONE transaction: PostgreSQL's DDL is transactional,
so a failure anywhere rolls the target back to exactly what it was, and ``close`` never has to
report a half-written table.

Cut foreign keys (see :mod:`dbsynth.cycles`):

* ``deferred``: ``SET CONSTRAINTS ... DEFERRED`` at open; at close ``SET CONSTRAINTS ...
  IMMEDIATE`` inside a savepoint, so a violation is reported with its orphan count before COMMIT.
  A constraint that the target does not declare DEFERRABLE falls back to drop-and-re-add.
* ``disable_and_validate``: the definition is read with ``pg_get_constraintdef``, the constraint
  dropped inside the transaction and re-added at close; ``ADD CONSTRAINT`` validates every row.
* ``null_then_update``: each :class:`Update` is COPYed into a temporary table and applied with
  one ``UPDATE ... FROM`` join.

Each Batch frame is encoded as a whole by :func:`dbsynth.writing.encode.copy_csv` (pyarrow's C++
CSV writer), so there is no Python loop over rows for the common types.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.engine import URL

from dbsynth.cycles import BreakStrategy, CycleBreak
from dbsynth.db import connection_error
from dbsynth.errors import TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import Batch, LoadResult, LoadSpec, Update
from dbsynth.writing.ddl import create_schema, target_table_name
from dbsynth.writing.encode import copy_csv

# Input-format settings the COPY text relies on: with IntervalStyle sql_standard a leading minus
# ("-1 days 00:00:01") would negate every field, not just the days.
SESSION_OPTIONS = "-c IntervalStyle=postgres -c DateStyle=ISO,YMD -c client_encoding=UTF8"

_TABLES_SQL = """
    SELECT n.nspname, c.relname, c.oid, pg_has_role(c.relowner, 'USAGE')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
"""

_FKS_SQL = """
    SELECT con.conname, con.confrelid, con.condeferrable, pg_get_constraintdef(con.oid),
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, pos)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num ORDER BY k.pos)
    FROM pg_constraint con WHERE con.contype = 'f' AND con.conrelid = %s::oid
"""

# FKs from tables outside the load into loaded ones: TRUNCATE would refuse (or with CASCADE
# silently empty them). Clones on partitions (conparentid <> 0) follow their parent.
_REFERENCING_SQL = """
    SELECT confrelid, conrelid::regclass::text FROM pg_constraint
    WHERE contype = 'f' AND conparentid = 0
      AND confrelid = ANY(%(oids)s::oid[]) AND NOT conrelid = ANY(%(oids)s::oid[])
    ORDER BY 1, 2
"""

# Every (sequence, table, column) whose column draws from a sequence that a loaded column uses:
# identity (internal dependency), serial (OWNED BY) and plain nextval() defaults, which also
# finds sequences shared with tables outside the load (sakila's inheritance children).
_SEQUENCES_SQL = """
    WITH uses AS (
        SELECT d.objid AS seq, d.refobjid AS rel, d.refobjsubid AS attnum
        FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.refobjsubid > 0 AND d.deptype IN ('i', 'a')
        UNION
        SELECT d.refobjid, ad.adrelid, ad.adnum
        FROM pg_attrdef ad
        JOIN pg_depend d ON d.classid = 'pg_attrdef'::regclass AND d.objid = ad.oid
             AND d.refclassid = 'pg_class'::regclass
        JOIN pg_class s ON s.oid = d.refobjid AND s.relkind = 'S'
    )
    SELECT u.seq::regclass::text, u.rel, u.rel::regclass::text, a.attname, ps.seqstart, ps.seqincrement,
           has_sequence_privilege(u.seq, 'UPDATE')
    FROM uses u
    JOIN pg_attribute a ON a.attrelid = u.rel AND a.attnum = u.attnum AND NOT a.attisdropped
    JOIN pg_sequence ps ON ps.seqrelid = u.seq
    JOIN pg_class r ON r.oid = u.rel AND r.relkind IN ('r', 'p')
    WHERE u.seq IN (SELECT seq FROM uses WHERE rel = ANY(%s::oid[]))
    ORDER BY 1, 3, 4
"""


def ident(*parts: str) -> str:
    """A quoted (schema-)qualified identifier: ``"public"."Order Items"``."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def conninfo(url: URL) -> str:
    params: dict[str, Any] = {
        "host": url.host,
        "port": url.port,
        "dbname": url.database,
        "user": url.username,
        "password": url.password,
        "options": SESSION_OPTIONS,
    }
    params.update({k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()})
    return psycopg.conninfo.make_conninfo(**{k: v for k, v in params.items() if v is not None})


def error_text(exc: psycopg.Error) -> str:
    """One line from a server error: message, detail, and where (COPY names line and column)."""
    diag = exc.diag
    parts = [diag.message_primary or " ".join(str(exc).split())]
    if diag.message_detail:
        parts.append(diag.message_detail)
    if diag.context:
        parts.append(diag.context.splitlines()[0])
    return "; ".join(" ".join(p.split()) for p in parts)[:500]


@dataclass
class _Table:
    key: str
    schema: str
    name: str
    oid: int
    owned: bool
    columns: tuple[str, ...] = ()

    @property
    def sql(self) -> str:
        return ident(self.schema, self.name)


@dataclass(frozen=True)
class _Cut:
    """A cut FK as found in the target: how it is held and how to name and check it."""

    brk: CycleBreak
    child: _Table
    parent: _Table
    name: str
    definition: str
    strategy: BreakStrategy


@dataclass(frozen=True)
class _OpenCopy:
    table: _Table
    cursor: psycopg.Cursor[Any]
    manager: AbstractContextManager[psycopg.Copy]
    copy: psycopg.Copy


@dataclass(frozen=True)
class _SeqUse:
    sequence: str
    table: str  # regclass text, already quoted as needed
    column: str
    start: int
    increment: int


class PostgresTarget(safety.DatabaseTarget):
    """Rows into a PostgreSQL database with COPY (see the module docstring)."""

    def open(self, spec: LoadSpec) -> PostgresSink:
        self.refuse()
        try:
            conn = psycopg.connect(conninfo(self.url), autocommit=False)
        except psycopg.Error as exc:
            raise connection_error(exc, self.url) from None
        try:
            return PostgresSink(conn, spec, self.describe())
        except BaseException:
            conn.rollback()
            conn.close()
            raise


class PostgresSink:
    """An open load on one psycopg connection; every statement in one transaction."""

    def __init__(self, conn: psycopg.Connection[Any], spec: LoadSpec, where: str) -> None:
        self.conn = conn
        self.spec = spec
        self.where = where
        self.rows: dict[str, int] = {}
        self.notes: list[str] = []
        self.key_start: dict[tuple[str, str], int] = {}
        self._failed = False
        self._result: LoadResult | None = None
        self._temp: dict[tuple[str, tuple[str, ...], tuple[str, ...]], str] = {}
        self._open: _OpenCopy | None = None
        try:
            self._prepare()
        except psycopg.Error as exc:
            raise TargetError(f"preparing the target {where} failed: {error_text(exc)}") from None

    # -- open ---------------------------------------------------------------------------------

    def _prepare(self) -> None:
        spec = self.spec
        keys = safety.spec_tables(spec)
        if spec.create_schema:
            script = create_schema(self.conn, spec.schema, target_dialect="postgresql")
            self.notes.append(f"created the schema ({len(script.statements)} statements)")
            self.notes.extend(script.warnings)
        (self.role,) = self._one("SELECT current_user")
        catalog = {
            (ns, name): _Table(f"{ns}.{name}", ns, name, oid, owned)
            for ns, name, oid, owned in self._all(_TABLES_SQL)
        }
        self.tables = {k: self._resolve(k, catalog) for k in keys}
        self._columns()
        self._privileges()
        self.rows = dict.fromkeys(keys, 0)
        self._existing_rows()
        self.cuts = [c for c in (self._cut(b, catalog) for b in spec.breaks) if c]
        self.sequences = self._sequences()
        for cut in self.cuts:
            self._disable(cut)

    def _resolve(self, key: str, catalog: Mapping[tuple[str, str], _Table]) -> _Table:
        schema, name = target_table_name(self.spec.schema.table(key), "postgresql")
        found = catalog.get((schema or "public", name))
        if found is None:
            names = [t.key for t in catalog.values()] + [t.name for t in catalog.values()]
            raise safety.missing_table(key, names, self.where)
        found.key = key
        return found

    def _columns(self) -> None:
        oids = [t.oid for t in self.tables.values()]
        have: dict[int, list[str]] = {}
        for relid, name in self._all(
            "SELECT attrelid, attname FROM pg_attribute WHERE attrelid = ANY(%s::oid[]) "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attrelid, attnum",
            (oids,),
        ):
            have.setdefault(relid, []).append(name)
        for load in self.spec.tables:
            table = self.tables[load.table]
            table.columns = tuple(have.get(table.oid, ()))
            safety.check_columns(load.table, load.columns, table.columns)

    def _privileges(self) -> None:
        needed = ["INSERT", "SELECT"]
        if self.spec.if_exists == "truncate":
            needed.append("TRUNCATE")
        updated = {b.table for b in self.spec.breaks if b.strategy is BreakStrategy.NULL_THEN_UPDATE}
        for table in self.tables.values():
            (usage,) = self._one("SELECT has_schema_privilege(%s, 'USAGE')", (table.schema,))
            if not usage:
                raise safety.no_privilege("USAGE", f"schema {table.schema}", self.role)
            for privilege in [*needed, *(["UPDATE"] if table.key in updated else [])]:
                (ok,) = self._one("SELECT has_table_privilege(%s::oid, %s)", (table.oid, privilege))
                if not ok:
                    raise safety.no_privilege(privilege, f"table {table.key}", self.role)

    def _existing_rows(self) -> None:
        spec = self.spec
        tables = list(self.tables.values())
        if spec.if_exists == "fail":
            full = [t.key for t in tables if self._one(f"SELECT EXISTS (SELECT 1 FROM {t.sql})")[0]]
            if full:
                raise safety.not_empty(full)
        elif spec.if_exists == "truncate":
            by_oid = {t.oid: t.key for t in tables}
            # PostgreSQL refuses to TRUNCATE a table another one references, even an empty one:
            # an empty referencing table outside the load is truncated along (nothing is lost).
            along: list[str] = []
            for parent, child in self._all(_REFERENCING_SQL, {"oids": list(by_oid)}):
                if self._one(f"SELECT EXISTS (SELECT 1 FROM {child})")[0]:
                    raise safety.blocked_truncate(by_oid[parent], child)
                along += [child] if child not in along else []
            self._exec("TRUNCATE " + ", ".join([*(t.sql for t in tables), *along]))
            self.notes.append("truncated " + ", ".join(t.key for t in tables))
        for key, columns in spec.key_columns.items():
            if key not in self.tables:
                continue
            for column in columns:
                start = 1
                if spec.if_exists == "append":
                    (top,) = self._one(f"SELECT max({ident(column)}) FROM {self.tables[key].sql}")
                    start = int(top) + 1 if top is not None else 1
                self.key_start[(key, column)] = start

    def _cut(self, brk: CycleBreak, catalog: Mapping[tuple[str, str], _Table]) -> _Cut | None:
        if brk.strategy in (BreakStrategy.VIRTUAL, BreakStrategy.NULL_THEN_UPDATE):
            return None
        child = self.tables.get(brk.table) or self._resolve(brk.table, catalog)
        ref = brk.foreign_key.ref_table
        parent = self.tables.get(ref) or self._resolve(ref, catalog)
        for name, ref_oid, deferrable, definition, columns in self._all(_FKS_SQL, (child.oid,)):
            if ref_oid == parent.oid and tuple(columns) == brk.foreign_key.columns:
                strategy = brk.strategy
                if strategy is BreakStrategy.DEFERRED and not deferrable:
                    strategy = BreakStrategy.DISABLE_AND_VALIDATE
                    self.notes.append(
                        f"{name} on {child.key} is not DEFERRABLE in the target: dropped and re-added instead"
                    )
                if strategy is BreakStrategy.DISABLE_AND_VALIDATE and not child.owned:
                    raise TargetError(
                        f"foreign key {brk.label} ({name}) must be dropped for the load and re-added, "
                        f"which needs ownership of {child.key}; role '{self.role}' does not own it"
                    )
                return _Cut(brk, child, parent, name, definition, strategy)
        self.notes.append(f"the target declares no foreign key for {brk.label}: nothing to defer")
        return None

    def _disable(self, cut: _Cut) -> None:
        if cut.strategy is BreakStrategy.DEFERRED:
            self._exec(f"SET CONSTRAINTS {ident(cut.child.schema, cut.name)} DEFERRED")
        else:
            self._exec(f"ALTER TABLE {cut.child.sql} DROP CONSTRAINT {ident(cut.name)}")

    def _sequences(self) -> list[_SeqUse]:
        uses = []
        for seq, _rel, table, column, start, increment, may_update in self._all(
            _SEQUENCES_SQL, ([t.oid for t in self.tables.values()],)
        ):
            if not may_update:
                raise safety.no_privilege("UPDATE", f"sequence {seq} (of {table}.{column})", self.role)
            uses.append(_SeqUse(seq, table, column, int(start), int(increment)))
        return uses

    # -- write --------------------------------------------------------------------------------

    def write(self, item: Batch | Update) -> None:
        if self._failed or self._result is not None:
            raise TargetError("the load has already failed or been closed; nothing more can be written")
        table = self.tables.get(item.table)
        if table is None:
            raise safety.unknown_table(item.table, self.tables)
        try:
            if isinstance(item, Batch):
                self._copy(table, item)
            else:
                self._end_copy()
                self._update(table, item)
        except TargetError:
            self._fail()
            raise
        except psycopg.Error as exc:
            self._fail()
            raise TargetError(f"writing {table.key} failed: {error_text(exc)}") from None
        except ValueError as exc:
            self._fail()
            raise TargetError(f"writing {table.key} failed: {exc}") from None

    def _schema_columns(self, key: str, names: Sequence[str]) -> list[Column]:
        source = self.spec.schema.table(key)
        return [source.column(n) for n in names]

    def _copy(self, table: _Table, batch: Batch) -> None:
        names = next(t.columns for t in self.spec.tables if t.table == table.key)
        safety.check_frame(table.key, batch.frame.columns, names)
        if batch.frame.empty:
            return
        data = copy_csv(batch.frame, self._schema_columns(table.key, names))
        self._stream(table, names).copy.write(data)
        self.rows[table.key] += len(batch.frame)

    def _stream(self, table: _Table, names: Sequence[str]) -> _OpenCopy:
        """The COPY of ``table``, opened at its first batch and kept open for the next ones: one
        statement per table, and a writer thread sends a batch while the next one is encoded."""
        if self._open is not None and self._open.table is table:
            return self._open
        self._end_copy()
        statement = f"COPY {table.sql} ({', '.join(ident(n) for n in names)}) FROM STDIN (FORMAT csv)"
        cursor = self.conn.cursor()
        manager = cursor.copy(statement, writer=QueuedLibpqWriter(cursor))
        self._open = _OpenCopy(table, cursor, manager, manager.__enter__())
        return self._open

    def _end_copy(self) -> None:
        """Finish the open COPY: the server reports a bad row of it here at the latest."""
        stream, self._open = self._open, None
        if stream is None:
            return
        try:
            stream.manager.__exit__(None, None, None)
        except psycopg.Error as exc:
            self._failed = True
            raise TargetError(f"writing {stream.table.key} failed: {error_text(exc)}") from None
        finally:
            stream.cursor.close()

    def _fail(self) -> None:
        """After an error: abort the open COPY (CopyFail) so the connection can roll back."""
        self._failed = True
        stream, self._open = self._open, None
        if stream is None:
            return
        try:
            stream.manager.__exit__(TargetError, TargetError("load aborted"), None)
        except (psycopg.Error, TargetError):
            pass  # the error that got us here is the one to report
        finally:
            stream.cursor.close()

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
            self._exec(
                f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS "
                f"SELECT {', '.join(ident(n) for n in names)} FROM {table.sql} WITH NO DATA"
            )
            self._temp[signature] = temp
        else:
            self._exec(f"TRUNCATE {temp}")
        data = copy_csv(update.frame, self._schema_columns(table.key, names))
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {temp} FROM STDIN (FORMAT csv)") as copy:
                copy.write(data)
            cur.execute(f"ANALYZE {temp}")
            assignments = ", ".join(f"{ident(c)} = u.{ident(c)}" for c in update.set_columns)
            match = " AND ".join(f"t.{ident(c)} = u.{ident(c)}" for c in update.key_columns)
            cur.execute(f"UPDATE {table.sql} AS t SET {assignments} FROM {temp} AS u WHERE {match}")
            if cur.rowcount != len(update.frame):
                raise ValueError(
                    f"an UPDATE of {', '.join(update.set_columns)} matched {cur.rowcount} of "
                    f"{len(update.frame)} rows by ({', '.join(update.key_columns)})"
                )

    # -- close --------------------------------------------------------------------------------

    def close(self, ok: bool) -> LoadResult:
        if self._result is not None:
            return self._result
        if not ok or self._failed:
            self._abandon()
            return self._finish(committed=False)
        try:
            self._end_copy()
            # Deferred checks first: PostgreSQL refuses ALTER TABLE (re-adding a dropped FK) on a
            # table that still has pending deferred trigger events.
            deferred_first = sorted(self.cuts, key=lambda c: c.strategy is not BreakStrategy.DEFERRED)
            for cut in deferred_first:
                self._validate(cut)
            self._reset_sequences()
        except psycopg.Error as exc:
            self._abandon()
            raise TargetError(
                f"finishing the load failed: {error_text(exc)}; the load was rolled back and the "
                "target is unchanged"
            ) from None
        except TargetError:
            self._abandon()
            raise
        try:
            self.conn.commit()
        except psycopg.Error as exc:
            self._abandon()
            raise TargetError(
                f"COMMIT failed: {error_text(exc)}; the load was rolled back and the target is unchanged"
            ) from None
        self.conn.close()
        return self._finish(committed=True)

    def _abandon(self) -> None:
        self._fail()
        try:
            self.conn.rollback()
        finally:
            self.conn.close()
        self._result = LoadResult(
            rows={}, committed=False, notes=("rolled back: the target is as it was before the load",)
        )

    def _finish(self, *, committed: bool) -> LoadResult:
        if not committed:
            assert self._result is not None
            return self._result
        self._result = LoadResult(rows=dict(self.rows), committed=True, notes=tuple(self.notes))
        return self._result

    def _validate(self, cut: _Cut) -> None:
        """Re-check one cut FK inside a savepoint; a violation becomes the orphan count."""
        try:
            with self.conn.transaction():
                if cut.strategy is BreakStrategy.DEFERRED:
                    self._exec(f"SET CONSTRAINTS {ident(cut.child.schema, cut.name)} IMMEDIATE")
                else:
                    self._exec(
                        f"ALTER TABLE {cut.child.sql} ADD CONSTRAINT {ident(cut.name)} {cut.definition}"
                    )
        except psycopg.errors.ForeignKeyViolation:
            fk = cut.brk.foreign_key
            (count,) = self._one(
                safety.orphans_sql(
                    cut.child.sql,
                    cut.parent.sql,
                    [ident(c) for c in fk.columns],
                    [ident(c) for c in fk.ref_columns],
                )
            )
            message = safety.orphans_message(
                cut.brk.label, cut.parent.key, cut.name, int(count), cut.child.key
            )
            raise TargetError(f"{message}; the load was rolled back and the target is unchanged") from None
        verb = "checked" if cut.strategy is BreakStrategy.DEFERRED else "re-added and validated"
        self.notes.append(f"foreign key {cut.name} on {cut.child.key} {verb}")

    def _reset_sequences(self) -> None:
        for sequence, group in itertools.groupby(self.sequences, key=lambda u: u.sequence):
            uses = list(group)
            down = uses[0].increment < 0
            agg = "min" if down else "max"
            union = " UNION ALL ".join(
                f"SELECT {agg}({ident(u.column)})::bigint AS v FROM {u.table}" for u in uses
            )
            (edge,) = self._one(f"SELECT {agg}(v) FROM ({union}) AS used")
            if edge is None:
                self._exec("SELECT setval(%s::regclass, %s, false)", (sequence, uses[0].start))
            else:
                self._exec("SELECT setval(%s::regclass, %s, true)", (sequence, int(edge)))
        if self.sequences:
            self.notes.append(f"reset {len({u.sequence for u in self.sequences})} sequence(s)")

    # -- helpers ------------------------------------------------------------------------------

    def _exec(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> None:
        with self.conn.cursor() as cur:
            # Without params psycopg does not look for placeholders: a % in an identifier is safe.
            cur.execute(sql, params)

    def _one(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> tuple[Any, ...]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
            assert row is not None
            return tuple(row)

    def _all(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return [tuple(r) for r in cur.fetchall()]


__all__ = ["PostgresSink", "PostgresTarget", "conninfo", "ident"]
