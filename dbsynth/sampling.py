"""Read production rows safely: a bounded, FK-consistent sample taken in one read-only snapshot.

:func:`sample_database` opens the source read-only (``dbsynth.db.connect(read_only=True)``) and
then one snapshot (PostgreSQL ``REPEATABLE READ, READ ONLY``; MySQL ``START TRANSACTION WITH
CONSISTENT SNAPSHOT, READ ONLY``; SQLite one read transaction with ``query_only``), so every
table comes from the same moment. It issues only SELECTs (plus the statements that open its own
transaction): no temporary table, no write, so a role with nothing but SELECT rights can run it.

How rows are chosen, table by table in FK order (parents first; ``dbsynth.graph``). The bound
``sample_rows`` applies to each table's *own* rows; closure (below) may add parents on top.

* **whole** — a table with at most ``sample_rows`` rows is read entirely (with a ``where``
  filter, all matching rows are read and the method is ``random``: not every row is there);
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

Frame layout and dtypes (what the fit step reads): columns as in the Schema; the table's own
rows first (ordered by the sampling hash), rows added by closure after them. Integers ``Int64``;
DECIMAL as ``decimal.Decimal`` objects (exact, scale kept; the fit step converts to float where it
needs to); FLOAT ``float64`` (NULL is NaN); BOOLEAN ``boolean``; strings, enums and UUIDs
``string``; DATE and TIMESTAMP ``datetime64[us]``; TIMESTAMPTZ ``datetime64[us, UTC]``; TIME and
INTERVAL ``timedelta64[us]`` (TIME as the time since midnight); JSON parsed objects; arrays
lists; bytes ``bytes``; MySQL SET a tuple of labels; anything else as the driver returns it.
A value that does not fit its column's dtype keeps the column as objects, with a warning.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from dbsynth.db import backend, connect, display_url, parse_url
from dbsynth.errors import ConnectionFailed, DbsynthError, UsageError
from dbsynth.graph import plan_insertion
from dbsynth.schema import Column, ForeignKey, LogicalType, Schema, Table

SampleMethod = Literal["whole", "random", "families"]
Key = tuple[Any, ...]

HASH_COLUMN = "__dbsynth_h"
CHUNK_ROWS = 10_000  # rows per fetch from the server-side cursor
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
    """Issues the SELECTs; remembers which table it is reading, for error messages."""

    def __init__(self, conn: Connection, kind: str, seed: int) -> None:
        self.conn = conn
        self.kind = kind
        self.dialect = DIALECTS[kind]
        self.seed = seed
        self.current = ""
        self.current_filtered = False
        self._clauses: dict[str, sa.TableClause] = {}

    def clause(self, table: Table) -> sa.TableClause:
        """One clause object per table: conditions built separately must name the same FROM."""
        if table.key not in self._clauses:
            cols: list[sa.ColumnClause[Any]] = [sa.column(c) for c in table.column_names]
            self._clauses[table.key] = sa.table(table.name, *cols, schema=table.schema)
        return self._clauses[table.key]

    def hash(self, table: Table, tc: sa.TableClause) -> ColumnElement[Any]:
        return self.dialect.hash([tc.c[c] for c in _hash_columns(table)], self.seed)

    def rows(
        self, table: Table, conditions: Sequence[ColumnElement[bool]], limit: int | None = None
    ) -> list[Key]:
        """Rows (all columns, then the hash) matching ``conditions``, ordered by the hash."""
        tc = self.clause(table)
        h = self.hash(table, tc)
        query = sa.select(*tc.c, h.label(HASH_COLUMN)).where(*conditions).order_by(h)
        if limit is not None:
            query = query.limit(limit)
        result = self.conn.execution_options(yield_per=CHUNK_ROWS).execute(query)
        out: list[Key] = []
        for chunk in result.partitions():
            out.extend(tuple(r) for r in chunk)
        return out

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
        tc = self.clause(table)
        cols = [tc.c[c] for c in columns]
        query = sa.select(*cols, sa.func.count()).where(_key_in(cols, keys), *conditions).group_by(*cols)
        return {tuple(r[:-1]): int(r[-1]) for r in self.conn.execute(query)}

    def key_condition(self, table: Table, columns: Sequence[str], keys: Sequence[Key]) -> ColumnElement[bool]:
        tc = self.clause(table)
        return _key_in([tc.c[c] for c in columns], keys)

    def batch_size(self, columns: int) -> int:
        return max(1, self.dialect.max_params // max(1, columns))


def _key_in(cols: Sequence[ColumnElement[Any]], keys: Sequence[Key]) -> ColumnElement[bool]:
    if len(cols) == 1:
        return cols[0].in_([k[0] for k in keys])
    return sa.tuple_(*cols).in_(list(keys))


def _threshold(fraction: float) -> str:
    """The 8-hex-digit prefix below which a share ``fraction`` of md5 values falls."""
    return f"{min(int(fraction * 16**8), 16**8 - 1):08x}"


# -- the sampler ------------------------------------------------------------------------------


@dataclass
class _TableState:
    table: Table
    rows: list[Key]  # own rows (hash order), then rows added by closure; no hash column
    own: int
    method: SampleMethod
    rows_total: int
    exact: bool
    driver: ForeignKey | None = None
    covered: int = 0
    keysets: dict[tuple[str, ...], set[Key]] = field(default_factory=dict)

    def keyset(self, columns: tuple[str, ...]) -> set[Key]:
        if columns not in self.keysets:
            self.keysets[columns] = {k for k in _keys(self.table, self.rows, columns) if None not in k}
        return self.keysets[columns]

    def append(self, rows: list[Key]) -> None:
        self.rows.extend(rows)
        for columns, keys in self.keysets.items():
            keys.update(k for k in _keys(self.table, rows, columns) if None not in k)


def _keys(table: Table, rows: Iterable[Key], columns: Sequence[str]) -> Iterator[Key]:
    idx = [table.column_names.index(c) for c in columns]
    for r in rows:
        yield tuple(r[i] for i in idx)


def _unique(keys: Iterable[Key]) -> list[Key]:
    """Distinct keys without NULLs, in first-seen order (a NULL in an FK means no reference)."""
    seen: set[Key] = set()
    out: list[Key] = []
    for k in keys:
        if None not in k and k not in seen:
            seen.add(k)
            out.append(k)
    return out


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
        self.close(key, state.rows)
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
        got = self.smallest(table, conds, total, n + 1)
        rows = [r[:-1] for r in got[:n]]
        if len(got) <= n:
            method: SampleMethod = "random" if conds else "whole"
            return _TableState(table, rows, len(rows), method, len(rows), True)
        return _TableState(table, rows, n, "random", max(total, n + 1), exact)

    def smallest(self, table: Table, conds: list[ColumnElement[bool]], total: int, n: int) -> list[Key]:
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
        parent_keys = list(_keys(parent.table, parent.rows[: parent.own], fk.ref_columns))
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
        got: list[Key] = []
        for batch in _batches(_unique(chosen), size):
            got += self.reader.rows(table, [*conds, self.reader.key_condition(table, fk.columns, batch)])
        if covered == 0 and parent_keys and None not in parent_keys[0]:
            # The first family alone exceeds the bound: take part of it (covering no parent).
            first = self.reader.key_condition(table, fk.columns, [parent_keys[0]])
            got = self.reader.rows(table, [*conds, first], limit=self.bound)
            budget = 0
        if budget and any(table.column(c).nullable for c in fk.columns) and parent.rows_total:
            no_parent = sa.or_(*(self.reader.clause(table).c[c].is_(None) for c in fk.columns))
            orphans = self.reader.count(table, [*conds, no_parent])
            share = min(budget, round(orphans * min(1.0, covered / parent.rows_total)))
            if share:
                got += self.reader.rows(table, [*conds, no_parent], limit=share)
                budget -= share
        if budget and not full and covered:
            got += self.top_up(table, conds, total, got, budget)
        got.sort(key=lambda r: r[-1])
        rows = [r[:-1] for r in got]
        return _TableState(table, rows, len(rows), "families", max(total, len(rows)), exact, fk, covered)

    def top_up(
        self, table: Table, conds: list[ColumnElement[bool]], total: int, got: list[Key], budget: int
    ) -> list[Key]:
        """Every sampled parent is covered and the bound is not reached (a parent sampled at a
        low rate with small families: world's country through city): fill up with the rows of
        smallest hash not taken yet. A row is then in the sample with probability p (its parent
        sampled) + (1 - p) q (top-up), the same for every row, so the sample stays uniform."""
        taken = {r[-1] for r in got}
        extra = [r for r in self.smallest(table, conds, total, budget + len(got)) if r[-1] not in taken]
        return extra[:budget]

    def close(self, key: str, rows: list[Key]) -> None:
        """Fetch the parents ``rows`` reference that are not sampled (module doc: closure)."""
        table = self.schema.table(key)
        for fk in table.foreign_keys:
            parent = self.state.get(fk.ref_table)
            if parent is None or parent.method == "whole" or not self.precedes(fk.ref_table, key):
                continue
            known = parent.keyset(fk.ref_columns)
            missing = [k for k in _unique(_keys(table, rows, fk.columns)) if k not in known]
            if not missing:
                continue
            self.read(parent.table, False)
            fetched: list[Key] = []
            for batch in _batches(missing, self.reader.batch_size(len(fk.ref_columns))):
                cond = self.reader.key_condition(parent.table, fk.ref_columns, batch)
                fetched += [r[:-1] for r in self.reader.rows(parent.table, [cond])]
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
            known = parent.keyset(fk.ref_columns)
            missing = sum(
                1 for k in _keys(state.table, state.rows, fk.columns) if None not in k and k not in known
            )
            if missing:
                out[fk_text(fk)] = missing
        return out

    def result(self) -> Sample:
        frames: dict[str, pd.DataFrame] = {}
        info: dict[str, TableSampleInfo] = {}
        for key, st in self.state.items():
            frame, warnings = to_frame(st.table, st.rows)
            frames[key] = frame
            info[key] = TableSampleInfo(
                table=key,
                method=st.method,
                rows_total=st.rows_total,
                rows_total_exact=st.exact,
                rows_sampled=st.own,
                rows_added=len(st.rows) - st.own,
                driver=st.driver,
                parents_covered=st.covered,
                dangling=self.dangling(st),
                warnings=tuple(warnings),
            )
        return Sample(frames, info)


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


# -- frames -----------------------------------------------------------------------------------


def to_frame(table: Table, rows: Sequence[Key]) -> tuple[pd.DataFrame, list[str]]:
    """The frame of ``rows`` (tuples in ``table``'s column order) with the module's dtypes."""
    warnings: list[str] = []
    data: dict[str, pd.Series] = {}
    for i, column in enumerate(table.columns):
        values = [r[i] for r in rows]
        convert = CONVERTERS.get(column.logical, _objects)
        try:
            data[column.name] = convert(values, column)
        except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
            if column.logical in (LogicalType.DATE, LogicalType.TIMESTAMP):
                # MySQL's zero dates ('0000-00-00') and their kin: NULL is the honest reading.
                series = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce", format="mixed")
                data[column.name] = series.astype("datetime64[us]")
                bad = int(series.isna().sum()) - sum(v is None for v in values)
                warnings.append(f"{table.key}.{column.name}: {bad} value(s) that are not dates read as NULL")
                continue
            warnings.append(
                f"{table.key}.{column.name}: kept as objects ({column.logical.value} conversion: {exc})"
            )
            data[column.name] = _objects(values, column)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows))), warnings


def _objects(values: list[Any], column: Column) -> pd.Series:
    return pd.Series([bytes(v) if isinstance(v, memoryview | bytearray) else v for v in values], dtype=object)


def _ints(values: list[Any], column: Column) -> pd.Series:
    return pd.Series(pd.array(values, dtype="Int64"))


def _decimals(values: list[Any], column: Column) -> pd.Series:
    # SQLite hands NUMERIC back as int/float: restore the declared scale (450.5 -> 450.50).
    exponent = decimal.Decimal(1).scaleb(-column.scale) if column.scale is not None else None

    def fix(v: Any) -> Any:
        if v is None or isinstance(v, decimal.Decimal):
            return v
        d = decimal.Decimal(str(v))
        return d.quantize(exponent) if exponent is not None and d.is_finite() else d

    return pd.Series([fix(v) for v in values], dtype=object)


def _floats(values: list[Any], column: Column) -> pd.Series:
    return pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")


_TRUE = {"1", "t", "true", "y", "yes", "on"}


def _bools(values: list[Any], column: Column) -> pd.Series:
    def fix(v: Any) -> bool | None:
        if v is None:
            return None
        return v.strip().lower() in _TRUE if isinstance(v, str) else bool(v)

    return pd.Series(pd.array([fix(v) for v in values], dtype="boolean"))


def _strings(values: list[Any], column: Column) -> pd.Series:
    return pd.Series(pd.array([None if v is None else str(v) for v in values], dtype="string"))


def _datetimes(values: list[Any], column: Column) -> pd.Series:
    if column.logical is LogicalType.TIMESTAMPTZ:
        series = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="raise")
        return series.astype("datetime64[us, UTC]")
    return pd.Series(values, dtype="datetime64[us]")


def _timedeltas(values: list[Any], column: Column) -> pd.Series:
    def fix(v: Any) -> Any:
        if isinstance(v, dt.time):  # TIME: the time since midnight
            return dt.timedelta(hours=v.hour, minutes=v.minute, seconds=v.second, microseconds=v.microsecond)
        return v

    return pd.Series([fix(v) for v in values], dtype="timedelta64[us]")


def _json(values: list[Any], column: Column) -> pd.Series:
    def fix(v: Any) -> Any:
        if isinstance(v, bytes | bytearray | memoryview):
            v = bytes(v).decode()
        return json.loads(v) if isinstance(v, str) else v  # psycopg parses json itself; others don't

    return pd.Series([fix(v) for v in values], dtype=object)


def _sets(values: list[Any], column: Column) -> pd.Series:
    labels = column.enum_labels or ()

    def fix(v: Any) -> Any:
        if v is None:
            return None
        members = set(v.split(",")) - {""} if isinstance(v, str) else set(v)
        return tuple(sorted(members, key=lambda m: (labels.index(m) if m in labels else len(labels), m)))

    return pd.Series([fix(v) for v in values], dtype=object)


CONVERTERS: dict[LogicalType, Callable[[list[Any], Column], pd.Series]] = {
    LogicalType.INTEGER: _ints,
    LogicalType.DECIMAL: _decimals,
    LogicalType.FLOAT: _floats,
    LogicalType.BOOLEAN: _bools,
    LogicalType.STRING: _strings,
    LogicalType.TEXT: _strings,
    LogicalType.ENUM: _strings,
    LogicalType.UUID: _strings,
    LogicalType.DATE: _datetimes,
    LogicalType.TIMESTAMP: _datetimes,
    LogicalType.TIMESTAMPTZ: _datetimes,
    LogicalType.TIME: _timedeltas,
    LogicalType.INTERVAL: _timedeltas,
    LogicalType.JSON: _json,
    LogicalType.SET: _sets,
}


__all__ = ["DIALECTS", "Sample", "SampleMethod", "TableSampleInfo", "fk_text", "sample_database", "to_frame"]
