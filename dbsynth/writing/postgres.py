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

Every other foreign key between loaded tables, when the load creates or truncates them (so it
holds them exclusively already) and the role owns the child table, is dropped the same way and
re-added at close: COPY checks a foreign key with a trigger and an index probe per row, which
was most of a load's time; ``ADD CONSTRAINT`` checks all rows with one join (as pg_restore
does). Same rows checked, same transaction; a violation names the key and counts the orphans.

Each Batch frame is encoded as a whole by :func:`dbsynth.writing.encode.copy_csv` (pyarrow's C++
CSV writer), so there is no Python loop over rows for the common types.

With ``--jobs 2`` (:mod:`dbsynth.parallel`) the frames are generated and encoded in a second
process (:meth:`PostgresSink.encode` needs no connection) and arrive here as bytes; they still go
through this one connection's COPY, in this one transaction. So the promise above holds as it is:
a failure in either process rolls back everything, and there is no commit window and no need for
two-phase commit, which several connections would need to commit together.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.engine import URL

from dbsynth.cycles import BreakStrategy, CycleBreak
from dbsynth.db import connection_error
from dbsynth.errors import TargetError
from dbsynth.schema import Column
from dbsynth.writing import safety
from dbsynth.writing.base import Batch, Encoded, LoadSpec, Update
from dbsynth.writing.ddl import target_table_name
from dbsynth.writing.encode import copy_csv
from dbsynth.writing.sql_sink import Dialect, LoadFailed, Params, SQLSink, TargetTable

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

# A table's own validated foreign keys: not the clones a partitioned table's FK makes on its
# partitions, and not a NOT VALID one (re-added NOT VALID, it would check none of the new rows).
_OWN_FKS_SQL = _FKS_SQL + " AND con.conparentid = 0 AND con.convalidated"

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


DIALECT = Dialect(
    quote='"',
    stage=("CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA",),
    restage="TRUNCATE {temp}",
    staged=("ANALYZE {temp}",),
    update="UPDATE {table} AS t SET {assignments} FROM {temp} AS u WHERE {match}",
    assignment="{column} = u.{column}",
)
ident = DIALECT.ident


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
class _Table(TargetTable):
    schema: str
    name: str
    oid: int
    owned: bool  # the role may ALTER it (drop and re-add a cut foreign key)


@dataclass(frozen=True)
class _Cut:
    """A cut FK as found in the target: how it is held and how to name and check it."""

    brk: CycleBreak
    child: _Table
    parent: _Table
    name: str
    definition: str
    strategy: BreakStrategy
    bulk: bool = False  # not a cycle's cut: dropped only to be checked in one query at close


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
        return PostgresSink(conn, spec, self.describe()).start()


class PostgresSink(SQLSink):
    """An open load on one psycopg connection; every statement in one transaction."""

    dialect = DIALECT
    driver_errors = (psycopg.Error,)

    def __init__(self, conn: psycopg.Connection[Any], spec: LoadSpec, where: str) -> None:
        super().__init__(spec, where)
        self.conn = conn
        self.tables: dict[str, _Table] = {}  # type: ignore[assignment]
        self._open: _OpenCopy | None = None
        self._along: list[str] = []

    # -- open ---------------------------------------------------------------------------------

    def _prepare(self) -> None:
        spec = self.spec
        keys = safety.spec_tables(spec)
        if spec.create_schema:
            self._create_schema(self.conn, "postgresql")
        ((self.role,),) = self._all("SELECT current_user")
        catalog = {
            (ns, name): _Table(f"{ns}.{name}", ident(ns, name), (), ns, name, oid, owned)
            for ns, name, oid, owned in self._all(_TABLES_SQL)
        }
        self.tables = {k: self._resolve(k, catalog) for k in keys}
        self._read_columns()
        self._privileges()
        self.rows = dict.fromkeys(keys, 0)
        self._check_if_exists(self._referencing() if spec.if_exists == "truncate" else [])
        self._truncate()
        self.cuts = [c for c in (self._cut(b, catalog) for b in spec.breaks) if c]
        if spec.create_schema or spec.if_exists == "truncate":
            self.cuts.extend(self._checked_at_close())
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

    def _read_columns(self) -> None:
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
            ((usage,),) = self._all("SELECT has_schema_privilege(%s, 'USAGE')", (table.schema,))
            if not usage:
                raise safety.no_privilege("USAGE", f"schema {table.schema}", self.role)
            for privilege in [*needed, *(["UPDATE"] if table.key in updated else [])]:
                ((ok,),) = self._all("SELECT has_table_privilege(%s::oid, %s)", (table.oid, privilege))
                if not ok:
                    raise safety.no_privilege(privilege, f"table {table.key}", self.role)

    def _referencing(self) -> list[tuple[str, str, str]]:
        """Tables outside the load that reference loaded ones. PostgreSQL refuses to TRUNCATE a
        referenced table even when the referencing one is empty: those are truncated along."""
        by_oid = {t.oid: t.key for t in self.tables.values()}
        pairs = [(by_oid[p], c, c) for p, c in self._all(_REFERENCING_SQL, {"oids": list(by_oid)})]
        self._along = list(dict.fromkeys(child for _, child, _ in pairs))
        return pairs

    def _empty(self, tables: Sequence[TargetTable]) -> None:
        self._execute("TRUNCATE " + ", ".join([*(t.sql for t in tables), *self._along]))

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

    def _checked_at_close(self) -> list[_Cut]:
        """The other foreign keys between loaded tables, when this load already holds their
        tables exclusively (it creates or truncates them): dropped now and re-added at close.
        PostgreSQL checks a foreign key row by row on COPY (a trigger and an index probe per
        row: most of a load's time); re-adding it checks every row with one join, the way
        pg_restore loads. The rows end up checked just the same, inside the transaction, and a
        violation is reported at close with the number of orphans."""
        cut = {(c.child.oid, c.name) for c in self.cuts}
        by_oid = {t.oid: t for t in self.tables.values()}
        found = []
        for load in self.spec.tables:
            child = self.tables[load.table]
            if not child.owned:
                continue  # only the owner may drop and re-add: checked row by row instead
            declared = self.spec.schema.table(load.table).foreign_keys
            for name, ref_oid, _deferrable, definition, columns in self._all(_OWN_FKS_SQL, (child.oid,)):
                parent = by_oid.get(ref_oid)
                fk = next(
                    (
                        f
                        for f in declared
                        if f.columns == tuple(columns) and parent and f.ref_table == parent.key
                    ),
                    None,
                )
                if (child.oid, name) in cut or parent is None or fk is None:
                    continue
                brk = CycleBreak(load.table, fk, BreakStrategy.DISABLE_AND_VALIDATE, "checked at close")
                found.append(
                    _Cut(brk, child, parent, name, definition, BreakStrategy.DISABLE_AND_VALIDATE, True)
                )
        return found

    def _disable(self, cut: _Cut) -> None:
        self.changed = True
        if cut.strategy is BreakStrategy.DEFERRED:
            self._execute(f"SET CONSTRAINTS {ident(cut.child.schema, cut.name)} DEFERRED")
        else:
            self._execute(f"ALTER TABLE {cut.child.sql} DROP CONSTRAINT {ident(cut.name)}")

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

    def _insert_batch(self, table: TargetTable, names: Sequence[str], frame: pd.DataFrame) -> None:
        data = copy_csv(frame, self._schema_columns(table.key, names))
        self._stream(self.tables[table.key], names).copy.write(data)

    def encode(self, batch: Batch) -> Encoded:
        """The COPY text of ``batch``, made without the connection: with ``--jobs 2`` the process
        that generates the rows calls it, and :meth:`write` only sends the bytes. A batch it
        cannot encode raises here; the caller then writes the batch itself, so the error is
        the one :meth:`write` gives."""
        names = self._columns[batch.table]
        safety.check_frame(batch.table, batch.frame.columns, names)
        data = copy_csv(batch.frame, self._schema_columns(batch.table, names))
        return Encoded(batch.table, len(batch.frame), data)

    def _write_encoded(self, table: TargetTable, names: Sequence[str], item: Encoded) -> None:
        self._stream(self.tables[table.key], names).copy.write(item.data)

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
            raise LoadFailed(stream.table.key, error_text(exc)) from None
        finally:
            stream.cursor.close()

    def _abort_copy(self) -> None:
        """After an error: end the open COPY with CopyFail so the connection can roll back."""
        stream, self._open = self._open, None
        if stream is None:
            return
        try:
            stream.manager.__exit__(TargetError, TargetError("load aborted"), None)
        except (psycopg.Error, TargetError):
            pass  # the error that got us here is the one to report
        finally:
            stream.cursor.close()

    def _insert(self, target: str, names: Sequence[str], frame: pd.DataFrame, columns: list[Column]) -> None:
        statement = f"COPY {target} ({', '.join(ident(n) for n in names)}) FROM STDIN (FORMAT csv)"
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            copy.write(copy_csv(frame, columns))

    def _update(self, table: TargetTable, update: Update) -> None:
        self._end_copy()
        super()._update(table, update)

    # -- close --------------------------------------------------------------------------------

    def _finish(self) -> None:
        self._end_copy()
        # Deferred checks first: PostgreSQL refuses ALTER TABLE (re-adding a dropped FK) on a
        # table that still has pending deferred trigger events.
        for cut in sorted(self.cuts, key=lambda c: c.strategy is not BreakStrategy.DEFERRED):
            self._validate(cut)
        self._reset_sequences()

    def _validate(self, cut: _Cut) -> None:
        """Re-check one cut FK inside a savepoint; a violation becomes the orphan count."""
        try:
            with self.conn.transaction():
                if cut.strategy is BreakStrategy.DEFERRED:
                    self._execute(f"SET CONSTRAINTS {ident(cut.child.schema, cut.name)} IMMEDIATE")
                else:
                    self._execute(
                        f"ALTER TABLE {cut.child.sql} ADD CONSTRAINT {ident(cut.name)} {cut.definition}"
                    )
        except psycopg.errors.ForeignKeyViolation:
            fk = cut.brk.foreign_key
            ((count,),) = self._all(
                safety.orphans_sql(
                    cut.child.sql,
                    cut.parent.sql,
                    [ident(c) for c in fk.columns],
                    [ident(c) for c in fk.ref_columns],
                )
            )
            raise TargetError(
                safety.orphans_message(cut.brk.label, cut.parent.key, cut.name, int(count), cut.child.key)
            ) from None
        if cut.bulk:
            return  # an ordinary foreign key, checked as it would have been (only faster)
        verb = "checked" if cut.strategy is BreakStrategy.DEFERRED else "re-added and validated"
        self.notes.append(f"foreign key {cut.name} on {cut.child.key} {verb}")

    def _reset_sequences(self) -> None:
        for sequence, group in itertools.groupby(self.sequences, key=lambda u: u.sequence):
            uses = list(group)
            agg = "min" if uses[0].increment < 0 else "max"
            union = " UNION ALL ".join(
                f"SELECT {agg}({ident(u.column)})::bigint AS v FROM {u.table}" for u in uses
            )
            ((edge,),) = self._all(f"SELECT {agg}(v) FROM ({union}) AS used")
            if edge is None:
                self._execute("SELECT setval(%s::regclass, %s, false)", (sequence, uses[0].start))
            else:
                self._execute("SELECT setval(%s::regclass, %s, true)", (sequence, int(edge)))
        if self.sequences:
            self.notes.append(f"reset {len({u.sequence for u in self.sequences})} sequence(s)")

    def _commit(self) -> None:
        self.conn.commit()

    def _rollback(self) -> None:
        self._abort_copy()
        self.conn.rollback()

    def _disconnect(self, hard: bool) -> None:
        # psycopg sends nothing but Terminate on close; the server rolls back what is open.
        self._open = None
        self.conn.close()

    # -- driver primitives ----------------------------------------------------------------------

    def _execute(self, sql: str, params: Params = None) -> int:
        with self.conn.cursor() as cur:
            # Without params psycopg does not look for placeholders: a % in an identifier is safe.
            cur.execute(sql, params)  # type: ignore[arg-type]
            return cur.rowcount

    def _all(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql, params)  # type: ignore[arg-type]
            return [tuple(r) for r in cur.fetchall()]

    def _error_text(self, exc: Exception) -> str:
        return error_text(exc) if isinstance(exc, psycopg.Error) else str(exc)


__all__ = ["DIALECT", "PostgresSink", "PostgresTarget", "conninfo", "ident"]
