"""Unique constraints that construction does not cover, kept across the chunks of a table.

Most uniques hold by construction: engine-numbered keys, ``from_index`` models, composites of
FK columns (:mod:`dbsynth.generation.parents`), columns numbered into their value space
(:mod:`dbsynth.planning.unique_keys`). What is left (a composite of FK columns and fitted
values such as ``(customer_id, kind)``) is checked against every tuple seen so far. A duplicate
first tries the column's other frequent values (so ``kind`` stays a valid label), then another
parent, then a value drawn from the column's value space (:mod:`dbsynth.columns.spaces`), valid
for its type, and only for a type with no space gets its row index appended.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from dbsynth.columns.base import FiniteModel, IndexedModel
from dbsynth.columns.spaces import value_space
from dbsynth.errors import GenerationError
from dbsynth.generation.parents import FkLink
from dbsynth.generation.store import Run
from dbsynth.generation.values import coerce_column
from dbsynth.model import TableModel
from dbsynth.planning.foreign_keys import FkMode
from dbsynth.schema import LogicalType, Table


class UniqueFallback:
    """The seen tuples of one table's uniques, and how a duplicate is replaced."""

    def __init__(
        self,
        run: Run,
        table: Table,
        tm: TableModel,
        numbered: set[str],
        links: list[FkLink],
        settled: tuple[tuple[str, ...], ...] = (),
    ):
        self.run, self.table, self.tm, self.numbered, self.links = run, table, tm, numbered, links
        self.settled = set(settled)  # unique by construction (dbsynth.planning.unique_keys)
        self.seen: dict[tuple[str, ...], set[tuple[object, ...]]] = {}

    def apply(self, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
        """Make the chunk ``frame`` (table rows ``rows``) distinct from itself and earlier chunks."""
        sets = [u.columns for u in self.table.uniques]
        if self.table.primary_key:
            sets.append(self.table.primary_key.columns)
        fk_cols = {n for f in self.links for n in f.fk.columns}
        for cols in sets:
            if cols in self.settled or set(cols) & self.numbered or any(c not in frame.columns for c in cols):
                continue
            if len(cols) == 1 and isinstance(self.tm.column(cols[0]).column_model, IndexedModel):
                continue
            if self._settled_by_parents(cols):
                continue
            seen = self.seen.setdefault(cols, set())
            # A copy: to_numpy may return a read-only view of the frame (pandas copy-on-write).
            values = {c: frame[c].to_numpy(dtype=object, copy=True) for c in cols}
            for i in range(len(frame)):
                raw = tuple(values[c][i] for c in cols)
                if any(_missing(v) for v in raw):
                    continue
                # An array in the key (musicbrainz's cdtoc_raw.track_offset) is compared as a tuple.
                t = tuple(_hashable(v) for v in raw)
                if t in seen:
                    t = self._free_tuple(cols, t, fk_cols, seen, rng, int(rows[i]))
                    for c, v, old in zip(cols, t, raw, strict=True):
                        if v != _hashable(old):
                            values[c][i] = v
                seen.add(t)
            for c in cols:
                frame[c] = coerce_column(self.table.column(c), values[c], None)

    def _settled_by_parents(self, cols: tuple[str, ...]) -> bool:
        """Whether foreign keys with parent indexes drawn at setup cover ``cols``: one unique FK
        (picked without repeats) or several (``distinct_within_groups``). A self-reference is
        drawn per chunk and a cut FK written later, so a key with one of them is checked here."""
        members = [f for f in self.links if set(f.fk.columns) <= set(cols) and f.index is not None]
        covered = set().union(*(f.fk.columns for f in members)) if members else set()
        return covered == set(cols) and (len(members) >= 2 or set(members[0].fk.columns) == set(cols))

    def _free_tuple(
        self,
        cols: tuple[str, ...],
        taken: tuple[object, ...],
        fk_cols: set[str],
        seen: set[tuple[object, ...]],
        rng: np.random.Generator,
        row: int,
    ) -> tuple[object, ...]:
        current = list(taken)
        for j, c in enumerate(cols):
            if c in fk_cols:
                continue
            for alt in _frequent_values(self.tm.column(c).column_model):
                current[j] = alt
                if tuple(current) not in seen:
                    return tuple(current)
            current[j] = taken[j]
        stores = self.run.stores
        for f in self.links:
            if not set(f.fk.columns) <= set(cols) or f.fk.ref_table not in stores or f.mode is FkMode.SELF:
                continue
            store = stores[f.fk.ref_table]
            for _ in range(20):
                keys = store.keys[f.fk.ref_columns].take(rng.integers(0, max(store.rows, 1), 1))
                for name, arr in zip(f.fk.columns, keys, strict=True):
                    current[cols.index(name)] = arr[0]
                if tuple(current) not in seen:
                    return tuple(current)
        free = self._scan(cols, taken, fk_cols, seen, rng)
        if free is not None:
            return free
        # A new code keeps the tuple's other values in their fitted range: a team code grows
        # where a season would leave 1871-2020. Text first, then the key's order.
        free_cols = [c for c in cols if c not in fk_cols]
        text = (LogicalType.STRING, LogicalType.TEXT)
        texts = [c for c in free_cols if self.table.column(c).logical in text]
        name = next(iter(texts + free_cols), cols[-1])
        j = cols.index(name)
        current = list(taken)
        # A value of the column's type (a char(3) stays 3 characters), else a suffix.
        space = value_space(
            self.table.column(name), self.tm.column(name).column_model, self.run.rows(self.table.key)
        )
        if space is not None and space.size > 1:
            for _ in range(1000):
                current[j] = space.values([int(rng.integers(0, min(space.size, 2**63 - 1)))])[0]
                if tuple(current) not in seen:
                    return tuple(current)
        if self.table.column(name).nullable:
            # NULLs never collide: a nullable unique boolean has two values for 400 rows, and a
            # suffix would make a value its type refuses.
            current[j] = None
            return tuple(current)
        column = self.table.column(name)
        if column.enum_labels or column.logical is LogicalType.BOOLEAN:
            # A suffixed label is a value the type refuses; the plan caps the rows at what the
            # key can hold (planning.unique_cap.cap_at_composite_domains).
            raise GenerationError(
                f"{self.table.key}: no free ({', '.join(cols)}) is left for row {row}: every "
                f"parent has every value of {name}"
            )
        for attempt in range(1, 1000):
            current[j] = _disambiguate(taken[j], row * attempt + attempt)
            if tuple(current) not in seen:
                return tuple(current)
        raise GenerationError(f"{self.table.key}: cannot make ({', '.join(cols)}) unique for row {row}")

    def _scan(
        self,
        cols: tuple[str, ...],
        taken: tuple[object, ...],
        fk_cols: set[str],
        seen: set[tuple[object, ...]],
        rng: np.random.Generator,
    ) -> tuple[object, ...] | None:
        """Every parent of one foreign key in the key (in a random order) with every value a
        finite column may take: the free tuple random re-picks miss when the key is nearly
        full (``(user_id, role)`` with three roles and three rows per user)."""
        options: dict[int, list[object]] = {}
        for j, c in enumerate(cols):
            if c in fk_cols:
                continue
            column = self.table.column(c)
            finite: list[object] = (
                list(column.enum_labels or ()) if column.logical is LogicalType.ENUM else []
            )
            if column.logical is LogicalType.BOOLEAN:
                finite = [True, False]
            finite += [v for v in _frequent_values(self.tm.column(c).column_model) if v not in finite]
            options[j] = [taken[j], *[v for v in finite if v != taken[j]]]
        stores = self.run.stores
        for f in self.links:
            if not set(f.fk.columns) <= set(cols) or f.fk.ref_table not in stores or f.mode is FkMode.SELF:
                continue
            store = stores[f.fk.ref_table]
            positions = [cols.index(name) for name in f.fk.columns]
            keys = store.keys[f.fk.ref_columns]
            for p in rng.permutation(store.rows):
                current = list(taken)
                for pos, arr in zip(positions, keys.take(np.array([p])), strict=True):
                    current[pos] = arr[0]
                for values in itertools.product(*options.values()):
                    for j, v in zip(options, values, strict=True):
                        current[j] = v
                    if tuple(current) not in seen:
                        return tuple(current)
        return None


def _hashable(v: object) -> object:
    if isinstance(v, list | np.ndarray):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((str(k), _hashable(x)) for k, x in v.items()))
    return v


def _missing(v: object) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v))


def _frequent_values(model: object) -> tuple[object, ...]:
    """The kept values of a categorical model (in model order), for re-picking duplicates."""
    return tuple(model.values) if isinstance(model, FiniteModel) else ()


def _disambiguate(value: object, salt: int) -> object:
    if isinstance(value, str):
        return f"{value}-{salt}"
    if isinstance(value, int | np.integer):
        return int(value) + salt
    if isinstance(value, float | np.floating):
        return float(value) + salt
    return value
