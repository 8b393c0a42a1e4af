"""Read production rows safely: a bounded, FK-consistent sample taken in one read-only snapshot.

:func:`sample_database` opens the source read-only (``dbsynth.db.connect(read_only=True)``) and
then one snapshot (PostgreSQL ``REPEATABLE READ, READ ONLY``; MySQL ``START TRANSACTION WITH
CONSISTENT SNAPSHOT, READ ONLY``; SQLite one read transaction with ``query_only``), so every
table comes from the same moment. It issues only SELECTs (plus the statements that open its own
transaction): no temporary table, no write, so a role with nothing but SELECT rights can run it.

How rows are chosen, table by table in FK order (parents first; ``dbsynth.graph``). The bound
``sample_rows`` applies to each table's *own* rows; closure (below) may add parents on top.

* **whole** — a table with at most ``sample_rows`` rows is read entirely (with a ``where``
  filter, all matching rows are read and the method is ``random``: not every row is there).
  When the count or estimate says it fits, any ``sample_rows + 1`` rows are asked for without
  a server-side sort; fewer came, so that is the table, ordered by hash here;
* **random** — a larger table none of whose parents was cut is sampled uniformly: the
  ``sample_rows`` rows with the smallest ``md5(seed:key)``. Ordering by a hash of the key and the
  seed (not ``random()`` or ``TABLESAMPLE``) makes the sample depend only on the data and the
  seed, not on the physical layout, the catalog estimate or the server's RNG. A prefilter
  ``hash < threshold`` sized from the estimate keeps the sort to a few times ``sample_rows`` rows
  instead of the whole table (a full sort could spill a huge table to disk); since it is monotone
  in the same hash, the result is the same rows with or without it;
* **families** — a larger table with a sampled (cut) parent takes *whole families*: the parent's
  own rows are walked in their frame order and all children of each are taken (a grouped count
  first, then the rows), as long as the total stays within ``sample_rows``, so children-per-parent
  is measured exactly for those parents (:meth:`Sample.covered_parents`). Parent keys travel as
  ``IN`` lists in batches; the source being read-only, nothing is staged in temporary tables.
  Rows whose FK is NULL are added at the rate of the covered parents, so the FK's null rate is
  not lost. When every sampled parent is covered and room is left (small families under a
  parent sampled at a low rate), the rest is filled with the rows of smallest hash, which keeps
  every row's inclusion probability equal. If the very first family alone exceeds the bound,
  part of it is taken and no parent counts as covered.

Then *upward closure*: a parent row referenced by a sampled child but not sampled itself is
fetched and appended to the parent's frame (and its own parents likewise), so every FK between
tables that come in FK order resolves inside the sample. Self-references and FKs that close a
cycle are not chased (a chain of managers could pull in the whole table); their unresolved
references are counted in :attr:`TableSampleInfo.dangling`.

Frames (what the fit step reads): columns as in the Schema, with the dtypes documented in
:mod:`dbsynth.sampling.frames`; the table's own rows first (ordered by the sampling hash), rows added by
closure after them. On PostgreSQL every read is a ``COPY (SELECT ...) TO STDOUT`` parsed
column-wise; MySQL and SQLite rows come through the driver.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import itemgetter
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from dbsynth.db import backend, connect, display_url, parse_url
from dbsynth.errors import ConnectionFailed, DbsynthError, UsageError
from dbsynth.graph import plan_insertion
from dbsynth.sampling.frames import (
    Loader,
    Notes,
    key_index,
    key_tuples,
    known,
    pg_text_frame,
    present,
    read_copy,
    rows_frame,
    sorted_by_last,
    to_frame,
)
from dbsynth.schema import ForeignKey, Schema, Table

SampleMethod = Literal["whole", "random", "families"]
Key = tuple[Any, ...]

HASH_COLUMN = "__dbsynth_h"
CHUNK_ROWS = 10_000  # rows per fetch from the server-side cursor (MySQL, SQLite)
OVERSAMPLE = 3.0  # the hash prefilter aims at this many times sample_rows rows


@dataclass(frozen=True)
class TableSampleInfo:
    """How one table was sampled.

    Invariants: the table's frame has ``rows_sampled + rows_added`` rows, its own rows first;
    ``rows_sampled <= sample_rows``; ``method == "whole"`` means every row of the table is in the
    frame (and ``rows_total == rows_sampled``). ``rows_total`` counts the rows matching the table's
    ``where`` filter when it has one; it is exact when ``rows_total_exact``, else the catalog's
    estimate. ``driver`` is the FK whose parent families were taken (method ``families``) and
    ``parents_covered`` how many leading rows of the parent's frame have all their children here.
    ``dangling`` maps ``"cols -> parent"`` to the number of rows whose FK value is not in the
    parent's frame (only self-references and cycle-closing FKs can have any).
    """

    table: str
    method: SampleMethod
    rows_total: int
    rows_total_exact: bool
    rows_sampled: int
    rows_added: int = 0
    driver: ForeignKey | None = None
    parents_covered: int = 0
    dangling: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def whole(self) -> bool:
        return self.method == "whole"

    @property
    def fraction(self) -> float:
        """Share of the table's rows taken by its own rule (1.0 for an empty table)."""
        return min(1.0, self.rows_sampled / self.rows_total) if self.rows_total else 1.0


@dataclass(frozen=True)
class Sample:
    """Frames keyed by table key (in FK order), with how each was sampled."""

    frames: dict[str, pd.DataFrame]
    info: dict[str, TableSampleInfo]

    def covered_parents(self, child: str, fk: ForeignKey) -> int:
        """How many leading rows of the parent's frame have *all* their children through ``fk``
        in ``child``'s frame: every row when the child was read whole, the driver's covered
        parents for a ``families`` child, else none. Children-per-parent (zeros included) is
        exact over exactly these parents."""
        info = self.info[child]
        if info.whole:
            return len(self.frames[fk.ref_table])
        return info.parents_covered if info.driver == fk else 0


def fk_text(fk: ForeignKey) -> str:
    """``customer_id -> public.customer``: how FKs are named in :attr:`TableSampleInfo.dangling`."""
    cols = fk.columns[0] if len(fk.columns) == 1 else "(" + ", ".join(fk.columns) + ")"
    return f"{cols} -> {fk.ref_table}"


# -- dialects ---------------------------------------------------------------------------------


def _md5(*values: Any) -> str:
    # SQLite's stand-in for md5(concat_ws(':', ...)): NULLs skipped like concat_ws does.
    return hashlib.md5(":".join(str(v) for v in values if v is not None).encode()).hexdigest()


def _prepare_sqlite(dbapi: Any) -> None:
    dbapi.create_function("dbsynth_md5", -1, _md5, deterministic=True)


def _prepare_postgres(dbapi: Any) -> None:
    """Load PostgreSQL's ``infinity`` dates and timestamps as Python's extremes instead of
    failing: validity ranges ending at 'infinity' are common, and one such row must not abort
    the sample (psycopg raises "date too large" by default)."""
    from psycopg.types import datetime as pgdt

    def infinite(base: type, low: Any, high: Any) -> type:
        def load(self: Any, data: Any) -> Any:
            raw = bytes(data)
            if raw == b"infinity":
                return high
            if raw == b"-infinity":
                return low
            return base.load(self, data)  # type: ignore[attr-defined]

        return type(f"Infinite{base.__name__}", (base,), {"load": load})

    utc = dt.UTC
    loaders = {
        "date": infinite(pgdt.DateLoader, dt.date.min, dt.date.max),
        "timestamp": infinite(pgdt.TimestampLoader, dt.datetime.min, dt.datetime.max),
        "timestamptz": infinite(
            pgdt.TimestamptzLoader, dt.datetime.min.replace(tzinfo=utc), dt.datetime.max.replace(tzinfo=utc)
        ),
    }
    for name, loader in loaders.items():
        dbapi.adapters.register_loader(name, loader)


@dataclass(frozen=True)
class _Dialect:
    """What differs between backends: opening the snapshot, hashing, limits, estimates."""

    snapshot: tuple[str, ...]  # run after the read-only session is set up
    hash: Callable[[Sequence[ColumnElement[Any]], int], ColumnElement[Any]]
    max_params: int  # bind parameters per statement for key lists
    estimate: str | None  # catalog row estimate; :name / :table bind the table
    prepare: Callable[[Any], None] | None = None  # given the DBAPI connection, before any read
    copy: bool = False  # read rows with COPY ... TO STDOUT (PostgreSQL)


def _sql_md5(cols: Sequence[ColumnElement[Any]], seed: int) -> ColumnElement[Any]:
    return sa.func.md5(sa.func.concat_ws(sa.literal_column("':'"), sa.literal_column(f"'{seed}'"), *cols))


DIALECTS: dict[str, _Dialect] = {
    "postgresql": _Dialect(
        # Keys are hashed as text: fix the settings text depends on (a timestamptz PK would
        # otherwise hash differently under another client time zone).
        snapshot=(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            "SET LOCAL TimeZone = 'UTC'",
            "SET LOCAL DateStyle = 'ISO'",
        ),
        # COLLATE "C": ORDER BY and the prefilter must compare hex digits byte-wise.
        hash=lambda cols, seed: _sql_md5(cols, seed).collate("C"),
        max_params=30_000,
        # Inheritance children and partitions hold their rows themselves; -1 = never analyzed.
        estimate=(
            "SELECT c.reltuples, (SELECT sum(p.reltuples) FROM pg_inherits i JOIN pg_class p "
            "ON p.oid = i.inhrelid WHERE i.inhparent = c.oid AND p.reltuples >= 0) "
            "FROM pg_class c WHERE c.oid = to_regclass(:name)"
        ),
        prepare=_prepare_postgres,
        copy=True,
    ),
    "mysql": _Dialect(
        snapshot=(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        ),
        hash=_sql_md5,
        max_params=30_000,
        estimate=(
            "SELECT TABLE_ROWS, NULL FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table"
        ),
    ),
    "sqlite": _Dialect(
        snapshot=("BEGIN",),
        hash=lambda cols, seed: sa.func.dbsynth_md5(sa.literal_column(f"'{seed}'"), *cols),
        max_params=30_000,  # SQLite >= 3.32 allows 32766
        estimate=None,  # no catalog estimate: count(*) on a local file is cheap enough
        prepare=_prepare_sqlite,
    ),
}


def _open_snapshot(conn: Connection, dialect: _Dialect) -> None:
    conn.commit()  # end the transaction that set the session read-only; the snapshot starts fresh
    if dialect.prepare is not None:
        dialect.prepare(conn.connection.driver_connection)
    for statement in dialect.snapshot:
        conn.exec_driver_sql(statement)


# -- reading ----------------------------------------------------------------------------------


def _hash_columns(table: Table) -> tuple[str, ...]:
    """The key rows are hashed on: the PK, else a unique key of NOT NULL columns, else all."""
    if table.primary_key and table.primary_key.columns:
        return table.primary_key.columns
    for u in table.uniques:
        if u.where is None and u.columns and not any(table.column(c).nullable for c in u.columns):
            return u.columns
    return table.column_names


def _batches(items: Sequence[Key], size: int) -> Iterator[Sequence[Key]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Reader:
    """Issues the SELECTs; remembers which table it is reading, for error messages.

    Rows come back as frames (``dbsynth.sampling.frames`` dtypes) with the hash in a last column
    ``HASH_COLUMN``. On PostgreSQL a read is one ``COPY (SELECT ...) TO STDOUT`` in CSV, parsed
    column by column (allowed in a read-only transaction; an order of magnitude faster than
    fetching row tuples, whose per-value Python work dominated a large sample); elsewhere the
    driver's rows are fetched and converted.
    """

    def __init__(self, conn: Connection, kind: str, seed: int) -> None:
        self.conn = conn
        self.kind = kind
        self.dialect = DIALECTS[kind]
        self.seed = seed
        self.current = ""
        self.current_filtered = False
        self.notes: dict[str, Notes] = {}
        self._clauses: dict[str, sa.TableClause] = {}
        self._oids: dict[str, list[int]] = {}
        self._loaders: dict[int, Loader] = {}
        self._transformer: Any = None

    def clause(self, table: Table) -> sa.TableClause:
        """One clause object per table: conditions built separately must name the same FROM."""
        if table.key not in self._clauses:
            cols: list[sa.ColumnClause[Any]] = [sa.column(c) for c in table.column_names]
            self._clauses[table.key] = sa.table(table.name, *cols, schema=table.schema)
        return self._clauses[table.key]

    def hash(self, table: Table, tc: sa.TableClause) -> ColumnElement[Any]:
        return self.dialect.hash([tc.c[c] for c in _hash_columns(table)], self.seed)

    def rows(
        self,
        table: Table,
        conditions: Sequence[ColumnElement[bool]],
        limit: int | None = None,
        *,
        smallest: bool = True,
    ) -> pd.DataFrame:
        """Rows (all columns, then the hash) matching ``conditions``, ordered by the hash: with
        a ``limit``, the ``limit`` rows of smallest hash, or any ``limit`` rows when not
        ``smallest`` (enough to learn whether a table has more rows than that).

        The server sorts only when a LIMIT needs it. Otherwise the rows are sorted here, on
        their hashes: the same order (hex digits compare the same byte-wise and as text), and
        a whole table sorted on the server is a sort of every row, spilled to disk when large.
        """
        tc = self.clause(table)
        h = self.hash(table, tc)
        query = sa.select(*tc.c, h.label(HASH_COLUMN)).where(*conditions)
        sorted_here = limit is None or not smallest
        if not sorted_here:
            query = query.order_by(h)
        if limit is not None:
            query = query.limit(limit)
        notes = self.notes.setdefault(table.key, Notes(table.key))
        if self.dialect.copy and self._utf8():
            return self._copied(table, query, notes, sorted_here)
        result = self.conn.execution_options(yield_per=CHUNK_ROWS).execute(query)
        rows = [r for chunk in result.partitions() for r in chunk]
        if sorted_here:
            rows.sort(key=itemgetter(-1))
        frame = rows_frame(table, rows, notes)
        frame[HASH_COLUMN] = pd.array([r[-1] for r in rows], dtype="string")
        return frame

    @property
    def driver(self) -> Any:
        """The DB-API connection under SQLAlchemy's (psycopg's, for COPY)."""
        return self.conn.connection.driver_connection

    def _utf8(self) -> bool:
        # pyarrow reads UTF-8 only; another client encoding keeps the driver's own decoding.
        return str(self.driver.info.encoding) == "utf-8"

    def _copied(self, table: Table, query: sa.Select[Any], notes: Notes, sort: bool) -> pd.DataFrame:
        import psycopg

        compiled = query.compile(dialect=self.conn.dialect, compile_kwargs={"render_postcompile": True})
        params = dict(compiled.params)
        sql = f"COPY ({compiled}) TO STDOUT (FORMAT csv)"
        if not params:
            sql = sql.replace("%%", "%")  # psycopg only merges (and un-doubles) when given params
        oids = self.oids(table)
        driver = self.driver
        try:
            texts = read_copy(driver, sql, params or None, len(oids) + 1)
        except psycopg.Error as exc:
            if driver.broken:
                self.conn.invalidate(exc)
            raise DBAPIError.instance(
                sql, params, exc, psycopg.Error, connection_invalidated=bool(driver.broken)
            ) from exc
        if sort:
            texts = sorted_by_last(texts)
        frame = pg_text_frame(table, texts[:-1], oids, self._loader, notes)
        frame[HASH_COLUMN] = pd.array(texts[-1], dtype="string")
        return frame

    def oids(self, table: Table) -> list[int]:
        """The type OIDs of ``table``'s columns as the server describes them (domains resolved)."""
        if table.key not in self._oids:
            result = self.conn.execute(sa.select(*self.clause(table).c).where(sa.false()))
            description: Any = result.cursor.description
            self._oids[table.key] = [int(d[1]) for d in description]
            result.close()
        return self._oids[table.key]

    def _loader(self, oid: int) -> Loader:
        """psycopg's text loader for a type, with the connection's adapters (the infinities)."""
        if oid not in self._loaders:
            from psycopg.adapt import Transformer
            from psycopg.pq import Format

            if self._transformer is None:
                self._transformer = Transformer(self.driver)
            self._loaders[oid] = self._transformer.get_loader(oid, Format.TEXT).load
        return self._loaders[oid]

    def count(self, table: Table, conditions: Sequence[ColumnElement[bool]], limit: int | None = None) -> int:
        """Rows matching ``conditions``; with ``limit``, stops counting there (bounded cost)."""
        inner: sa.Select[Any] = sa.select(sa.literal_column("1").label("one")).select_from(self.clause(table))
        inner = inner.where(*conditions)
        if limit is not None:
            inner = inner.limit(limit)
        query = sa.select(sa.func.count()).select_from(inner.subquery())
        return int(self.conn.execute(query).scalar_one())

    def estimate(self, table: Table) -> int | None:
        if self.dialect.estimate is None:
            return None
        name = self.conn.dialect.identifier_preparer.format_table(self.clause(table))
        row = self.conn.execute(sa.text(self.dialect.estimate), {"name": name, "table": table.name}).first()
        if row is None:
            return None
        own = float(row[0]) if row[0] is not None and float(row[0]) >= 0 else None
        inherited = float(row[1]) if row[1] is not None else None
        if own is None and inherited is None:
            return None
        return round((own or 0.0) + (inherited or 0.0))

    def family_counts(
        self,
        table: Table,
        columns: Sequence[str],
        keys: Sequence[Key],
        conditions: Sequence[ColumnElement[bool]],
    ) -> dict[Key, int]:
        """Rows per key; the keys are normalised like frame keys (:meth:`key_tuples`)."""
        tc = self.clause(table)
        cols = [tc.c[c] for c in columns]
        query = sa.select(*cols, sa.func.count())
        query = query.where(self.key_condition(table, columns, keys), *conditions).group_by(*cols)
        rows = self.conn.execute(query).all()
        part = Table(table.name, tuple(table.column(c) for c in columns), table.schema)
        frame = rows_frame(part, rows, Notes(table.key))
        return dict(zip(key_tuples(frame, part, columns, self.kind), (int(r[-1]) for r in rows), strict=True))

    def key_condition(self, table: Table, columns: Sequence[str], keys: Sequence[Key]) -> ColumnElement[bool]:
        tc = self.clause(table)
        element = None
        if self.dialect.copy and len(columns) == 1:
            element = _PG_INTS.get(self.oids(table)[table.column_names.index(columns[0])])
        if element is not None:
            # One array parameter, not one placeholder per key: rendering and binding 30,000
            # placeholders took longer than the query. The array has the column's own type: an
            # int4 column against an int8[] cannot use the hashed lookup and compares linearly.
            values = sa.bindparam("keys", [k[0] for k in keys], type_=ARRAY(element))
            return tc.c[columns[0]] == sa.any_(values)
        return _key_in([tc.c[c] for c in columns], keys)

    def batch_size(self, columns: int) -> int:
        return max(1, self.dialect.max_params // max(1, columns))


# PostgreSQL integer type OIDs -> the array element type their keys are sent as.
_PG_INTS: dict[int, type[sa.types.TypeEngine[int]]] = {20: sa.BigInteger, 21: sa.SmallInteger, 23: sa.Integer}


def _key_in(cols: Sequence[ColumnElement[Any]], keys: Sequence[Key]) -> ColumnElement[bool]:
    if len(cols) == 1:
        return cols[0].in_([k[0] for k in keys])
    return sa.tuple_(*cols).in_(list(keys))


def _threshold(fraction: float) -> str:
    """The 8-hex-digit prefix below which a share ``fraction`` of md5 values falls."""
    return f"{min(int(fraction * 16**8), 16**8 - 1):08x}"


def _concat(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    kept = [p for p in parts if len(p)] or list(parts[:1])
    return kept[0].reset_index(drop=True) if len(kept) == 1 else pd.concat(kept, ignore_index=True)


# -- the sampler ------------------------------------------------------------------------------


@dataclass
class _TableState:
    table: Table
    frame: pd.DataFrame  # own rows (hash order), then rows added by closure; no hash column
    own: int
    method: SampleMethod
    rows_total: int
    exact: bool
    driver: ForeignKey | None = None
    covered: int = 0
    keysets: dict[tuple[str, ...], pd.Index] = field(default_factory=dict)

    def keyset(self, columns: tuple[str, ...]) -> pd.Index:
        if columns not in self.keysets:
            self.keysets[columns] = key_index(self.frame, columns)
        return self.keysets[columns]

    def append(self, frame: pd.DataFrame) -> None:
        self.frame = _concat([self.frame, frame])
        self.keysets.clear()


class _Sampler:
    def __init__(
        self, schema: Schema, order: Sequence[str], reader: _Reader, bound: int, where: Mapping[str, str]
    ) -> None:
        self.schema = schema
        self.position = {key: i for i, key in enumerate(order)}
        self.reader = reader
        self.bound = bound
        self.where = where
        self.state: dict[str, _TableState] = {}

    def conditions(self, table: Table) -> list[ColumnElement[bool]]:
        text = self.where.get(table.key)
        # The user's predicate is SQL of the source dialect, run as it is inside the read-only
        # transaction: it can filter, it cannot write.
        return [sa.text(f"({text})")] if text else []  # type: ignore[list-item]

    def read(self, table: Table, filtered: bool) -> None:
        self.reader.current = table.key
        self.reader.current_filtered = filtered

    def sample_table(self, key: str) -> _TableState:
        table = self.schema.table(key)
        conds = self.conditions(table)
        self.read(table, bool(conds))
        estimate = None if conds else self.reader.estimate(table)
        exact = estimate is None
        total = self.reader.count(table, conds) if estimate is None else estimate
        driver = self.choose_driver(table)
        if driver is None or self.fits(table, conds, total, exact):
            # A table that fits is read whole even below a cut parent: its families are then
            # all complete, and closure adds at most sample_rows parents.
            state = self.own_rule(table, conds, total, exact)
        else:
            state = self.families(table, driver, conds, total, exact)
        self.state[key] = state
        self.close(key, state.frame)
        return state

    def fits(self, table: Table, conds: list[ColumnElement[bool]], total: int, exact: bool) -> bool:
        if exact:
            return total <= self.bound
        # Catalog estimates can be stale: settle it with a count that stops at bound + 1 rows.
        return (
            total <= OVERSAMPLE * self.bound and self.reader.count(table, conds, self.bound + 1) <= self.bound
        )

    def choose_driver(self, table: Table) -> ForeignKey | None:
        """The FK to a cut parent that picks this table's families: NOT NULL first (rows with a
        NULL FK are in no family), then the parent sampled at the smallest rate, then order."""
        candidates = []
        for i, fk in enumerate(table.foreign_keys):
            parent = self.state.get(fk.ref_table)
            if fk.ref_table == table.key or parent is None or parent.method == "whole":
                continue
            nullable = any(table.column(c).nullable for c in fk.columns)
            rate = parent.own / parent.rows_total if parent.rows_total else 1.0
            candidates.append((nullable, rate, i, fk))
        return min(candidates, key=lambda c: c[:3])[3] if candidates else None

    def own_rule(
        self, table: Table, conds: list[ColumnElement[bool]], total: int, exact: bool
    ) -> _TableState:
        """Whole when it fits, else the ``bound`` rows with the smallest hash (module doc)."""
        n = self.bound
        got = None
        if total <= n:  # expected to fit: any n + 1 rows tell, without the server sorting them
            got = self.reader.rows(table, conds, limit=n + 1, smallest=False)
        if got is None or len(got) > n:
            got = self.smallest(table, conds, total, n + 1)
        frame = got.iloc[:n].drop(columns=HASH_COLUMN)
        if len(got) <= n:
            method: SampleMethod = "random" if conds else "whole"
            return _TableState(table, frame, len(frame), method, len(frame), True)
        return _TableState(table, frame, n, "random", max(total, n + 1), exact)

    def smallest(self, table: Table, conds: list[ColumnElement[bool]], total: int, n: int) -> pd.DataFrame:
        """The ``n`` rows (with their hash) of smallest hash, through the widening prefilter."""
        fraction = 1.0 if total <= 2 * n else min(1.0, OVERSAMPLE * n / total)
        tc = self.reader.clause(table)
        while True:
            prefilter = [self.reader.hash(table, tc) < _threshold(fraction)] if fraction < 1.0 else []
            got = self.reader.rows(table, [*conds, *prefilter], limit=n)
            if len(got) >= n or fraction >= 1.0:
                return got
            fraction = min(1.0, fraction * 4)  # the estimate was high: widen the prefilter

    def families(
        self, table: Table, fk: ForeignKey, conds: list[ColumnElement[bool]], total: int, exact: bool
    ) -> _TableState:
        parent = self.state[fk.ref_table]
        parent_keys = key_tuples(
            parent.frame.iloc[: parent.own], parent.table, fk.ref_columns, self.reader.kind
        )
        size = self.reader.batch_size(len(fk.columns))
        budget = self.bound
        chosen: list[Key] = []
        covered = 0
        full = False
        for batch in _batches(parent_keys, size):
            wanted = _unique(batch)
            counts = self.reader.family_counts(table, fk.columns, wanted, conds) if wanted else {}
            for k in batch:
                c = 0 if None in k else counts.get(k, 0)
                if c > budget:
                    full = True
                    break
                budget -= c
                covered += 1
                if c:
                    chosen.append(k)
            if full:
                break
        got = [
            self.reader.rows(table, [*conds, self.reader.key_condition(table, fk.columns, batch)])
            for batch in _batches(_unique(chosen), size)
        ]
        if covered == 0 and parent_keys and None not in parent_keys[0]:
            # The first family alone exceeds the bound: take part of it (covering no parent).
            first = self.reader.key_condition(table, fk.columns, [parent_keys[0]])
            got = [self.reader.rows(table, [*conds, first], limit=self.bound)]
            budget = 0
        if budget and any(table.column(c).nullable for c in fk.columns) and parent.rows_total:
            no_parent = sa.or_(*(self.reader.clause(table).c[c].is_(None) for c in fk.columns))
            orphans = self.reader.count(table, [*conds, no_parent])
            share = min(budget, round(orphans * min(1.0, covered / parent.rows_total)))
            if share:
                got.append(self.reader.rows(table, [*conds, no_parent], limit=share))
                budget -= share
        taken = _concat(got) if got else self.reader.rows(table, [sa.false()])
        if budget and not full and covered:
            taken = _concat([taken, self.top_up(table, conds, total, taken, budget)])
        frame = taken.sort_values(HASH_COLUMN, kind="stable", ignore_index=True).drop(columns=HASH_COLUMN)
        rows = len(frame)
        return _TableState(table, frame, rows, "families", max(total, rows), exact, fk, covered)

    def top_up(
        self, table: Table, conds: list[ColumnElement[bool]], total: int, got: pd.DataFrame, budget: int
    ) -> pd.DataFrame:
        """Every sampled parent is covered and the bound is not reached (a parent sampled at a
        low rate with small families: world's country through city): fill up with the rows of
        smallest hash not taken yet. A row is then in the sample with probability p (its parent
        sampled) + (1 - p) q (top-up), the same for every row, so the sample stays uniform."""
        extra = self.smallest(table, conds, total, budget + len(got))
        return extra[~extra[HASH_COLUMN].isin(got[HASH_COLUMN])].head(budget)

    def close(self, key: str, frame: pd.DataFrame) -> None:
        """Fetch the parents ``frame``'s rows reference that are not sampled (module doc: closure)."""
        table = self.schema.table(key)
        for fk in table.foreign_keys:
            parent = self.state.get(fk.ref_table)
            if parent is None or parent.method == "whole" or not self.precedes(fk.ref_table, key):
                continue
            unknown = present(frame, fk.columns) & ~known(frame, fk.columns, parent.keyset(fk.ref_columns))
            if not unknown.any():
                continue
            wanted = frame.loc[unknown, list(fk.columns)].drop_duplicates()
            missing = key_tuples(wanted, table, fk.columns, self.reader.kind)
            self.read(parent.table, False)
            size = self.reader.batch_size(len(fk.ref_columns))
            conds = [
                self.reader.key_condition(parent.table, fk.ref_columns, b) for b in _batches(missing, size)
            ]
            fetched = _concat([self.reader.rows(parent.table, [c]) for c in conds]).drop(columns=HASH_COLUMN)
            parent.append(fetched)
            self.close(fk.ref_table, fetched)

    def precedes(self, parent: str, child: str) -> bool:
        return parent != child and self.position[parent] < self.position[child]

    def dangling(self, state: _TableState) -> dict[str, int]:
        out: dict[str, int] = {}
        for fk in state.table.foreign_keys:
            parent = self.state.get(fk.ref_table)
            if parent is None:
                continue
            hit = known(state.frame, fk.columns, parent.keyset(fk.ref_columns))
            missing = int((present(state.frame, fk.columns) & ~hit).sum())
            if missing:
                out[fk_text(fk)] = missing
        return out

    def result(self) -> Sample:
        frames: dict[str, pd.DataFrame] = {}
        info: dict[str, TableSampleInfo] = {}
        for key, st in self.state.items():
            frames[key] = st.frame
            notes = self.reader.notes.get(key) or Notes(key)
            info[key] = TableSampleInfo(
                table=key,
                method=st.method,
                rows_total=st.rows_total,
                rows_total_exact=st.exact,
                rows_sampled=st.own,
                rows_added=len(st.frame) - st.own,
                driver=st.driver,
                parents_covered=st.covered,
                dangling=self.dangling(st),
                warnings=tuple(notes.messages(st.table)),
            )
        return Sample(frames, info)


def _unique(keys: Iterable[Key]) -> list[Key]:
    """Distinct keys without NULLs, in first-seen order (a NULL in an FK means no reference)."""
    seen: set[Key] = set()
    out: list[Key] = []
    for k in keys:
        if None not in k and k not in seen:
            seen.add(k)
            out.append(k)
    return out


# -- entry point ------------------------------------------------------------------------------


def sample_database(
    url: str | URL,
    schema: Schema,
    *,
    sample_rows: int = 100_000,
    tables: Sequence[str] | None = None,
    seed: int = 0,
    where: Mapping[str, str] | None = None,
    on_table: Callable[[str, int], None] | None = None,
) -> Sample:
    """Sample the database at ``url`` (described by ``schema``) read-only; see the module doc.

    ``tables`` restricts sampling to these tables (keys or unambiguous bare names); FKs to
    tables outside them are ignored. ``where`` maps a table to an SQL predicate in the source's
    dialect that its own rows must match (rows fetched by closure ignore it, integrity first).
    ``seed`` picks the sample; the same data and seed give the same frames. ``on_table`` is
    called with the table key and its own row count after each table.
    """
    if sample_rows < 1:
        raise UsageError(f"--sample-rows must be at least 1, got {sample_rows}")
    selected = _restrict(schema, tables)
    filters = _filters(schema, selected, where or {})
    order = plan_insertion(selected).order
    parsed = parse_url(url)
    with connect(parsed, read_only=True) as conn:
        reader = _Reader(conn, backend(parsed), seed)
        try:
            _open_snapshot(conn, reader.dialect)
            sampler = _Sampler(selected, order, reader, sample_rows, filters)
            for key in order:
                state = sampler.sample_table(key)
                if on_table is not None:
                    on_table(key, state.own)
        except DBAPIError as exc:
            raise _read_error(exc, parsed, reader) from None
        if not conn.invalidated:
            conn.rollback()
    return sampler.result()


def _restrict(schema: Schema, tables: Sequence[str] | None) -> Schema:
    if tables is None:
        return schema
    keys = {schema.table(name).key for name in tables}  # unknown names: SchemaError, did you mean
    kept = tuple(
        replace(t, foreign_keys=tuple(fk for fk in t.foreign_keys if fk.ref_table in keys))
        for t in schema.tables
        if t.key in keys
    )
    return replace(schema, tables=kept)


def _filters(schema: Schema, selected: Schema, where: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, predicate in where.items():
        key = schema.table(name).key  # unknown names: SchemaError, did you mean
        if not selected.has_table(key):
            raise UsageError(f"--where names table {key}, which is not among the tables to sample")
        out[key] = predicate
    return out


def _read_error(exc: DBAPIError, url: URL, reader: _Reader) -> DbsynthError:
    message = " ".join(str(getattr(exc, "orig", exc)).split())[:300] or type(exc).__name__
    where = display_url(url)
    if exc.connection_invalidated:
        return ConnectionFailed(
            f"lost the connection to {where} while reading table {reader.current}: {message}"
        )
    if reader.current_filtered:
        return UsageError(f"the --where filter of table {reader.current} failed: {message}")
    return ConnectionFailed(f"cannot read table {reader.current} at {where}: {message}")


__all__ = ["DIALECTS", "Sample", "SampleMethod", "TableSampleInfo", "fk_text", "sample_database", "to_frame"]
