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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.elements import ColumnElement

from dbsynth.db import backend, connect, display_url, parse_url
from dbsynth.errors import ConnectionFailed, DbsynthError, UsageError
from dbsynth.graph import plan_insertion
from dbsynth.sampling.dialects import DIALECTS, open_snapshot
from dbsynth.sampling.frames import (
    Notes,
    key_index,
    key_tuples,
    known,
    present,
    to_frame,
)
from dbsynth.sampling.reader import HASH_COLUMN, Key, Reader, batches, concat_frames, threshold
from dbsynth.sampling.result import Sample, SampleMethod, TableSampleInfo, fk_text
from dbsynth.schema import ForeignKey, Schema, Table

OVERSAMPLE = 3.0  # the hash prefilter aims at this many times sample_rows rows


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
        self.frame = concat_frames([self.frame, frame])
        self.keysets.clear()


class _Sampler:
    def __init__(
        self, schema: Schema, order: Sequence[str], reader: Reader, bound: int, where: Mapping[str, str]
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
            prefilter = [self.reader.hash(table, tc) < threshold(fraction)] if fraction < 1.0 else []
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
        for batch in batches(parent_keys, size):
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
            for batch in batches(_unique(chosen), size)
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
        taken = concat_frames(got) if got else self.reader.rows(table, [sa.false()])
        if budget and not full and covered:
            taken = concat_frames([taken, self.top_up(table, conds, total, taken, budget)])
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
                self.reader.key_condition(parent.table, fk.ref_columns, b) for b in batches(missing, size)
            ]
            fetched = concat_frames([self.reader.rows(parent.table, [c]) for c in conds]).drop(
                columns=HASH_COLUMN
            )
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
        reader = Reader(conn, backend(parsed), seed)
        try:
            open_snapshot(conn, reader.dialect)
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


def _read_error(exc: DBAPIError, url: URL, reader: Reader) -> DbsynthError:
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
