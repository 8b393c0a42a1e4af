"""Generate: a Model and a Plan in, batches of rows out. No database I/O, no hidden global state.

Tables come in plan order; each table in chunks of ``chunk_rows`` rows, each chunk with its own
random stream ``SeedSequence(seed, spawn_key=(table stream, chunk))``. So the same model, plan and
seed give the same rows, and a table's rows do not depend on which other tables exist (the
stream id is derived from the table key, not its position).

Per table, before its chunks (:class:`TableGenerator`):

* every foreign key gets a parent *index* per row (``dbsynth.generation.keys``): the driving FK spreads
  the table's rows over the parents following the per-parent child counts drawn when the parent
  was generated (through the parent's copula, so they follow its attributes); other FKs pick
  parents with those counts as weights; composite uniques over FKs are made distinct by
  construction.

Per chunk:

* the copula is sampled conditionally on the driving parent's normal scores (``^fk.column``);
* each value column maps its copula uniform through its model's inverse CDF (``from_index`` for
  unique columns whose model can build unique values), NULLs from the null-flag dimension;
* engine-numbered keys are ``start + row index``; FK values come from the parent's key source;
* orderings recorded at fit (``shipped >= created``, child after parent) are enforced;
* CHECK constraints are enforced by construction and resampling (``dbsynth.generation.checks``);
* what children will need is kept: per-row child counts, a few normal scores, key values that
  are not arithmetic, and parent columns that child orderings compare against.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sqlalchemy.engine import URL

from dbsynth.columns.base import DerivedModel, FiniteModel, IndexedModel
from dbsynth.columns.copula import to_uniform
from dbsynth.errors import GenerationError
from dbsynth.generation.batch import Batch, Update
from dbsynth.generation.copying import copy_rows
from dbsynth.generation.keys import (
    KeySource,
    distinct_within_groups,
    pick_weighted,
    self_parents,
    spread_counts,
)
from dbsynth.generation.values import coerce_column, enforce_orderings, reflect_after
from dbsynth.model import Model, RelationshipModel, TableModel, fk_id
from dbsynth.planning.foreign_keys import CUT_MODES, FkMode
from dbsynth.planning.plan import Plan, TablePlan
from dbsynth.schema import Column, ForeignKey, LogicalType, Table

if TYPE_CHECKING:  # imported when a table has CHECKs (sqlglot)
    from dbsynth.generation.checks import TableChecks

TABLE_STREAM = 1 << 30  # spawn-key slot of per-table (not per-chunk) randomness


@dataclass
class TableStore:
    """What a generated table leaves behind for its children (all indexed by row)."""

    rows: int
    keys: dict[tuple[str, ...], KeySource] = field(default_factory=dict)
    counts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    z: dict[str, list[np.ndarray]] = field(default_factory=dict)
    values: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def joined(self, part: dict[str, list[np.ndarray]], name: str) -> np.ndarray:
        arrays = part[name]
        if len(arrays) > 1:
            part[name] = [np.concatenate(arrays)]
        return part[name][0] if arrays else np.zeros(0)


@dataclass
class _Pending:
    """A ``null_then_update`` FK: values to set once the parent table exists."""

    child: str
    fk: ForeignKey
    key_columns: tuple[str, ...]
    child_keys: KeySource
    parent_index: np.ndarray


class Generator:
    """Runs a plan: ``for item in Generator(model, plan).run(): sink.write(item)``."""

    def __init__(
        self,
        model: Model,
        plan: Plan,
        key_start: Mapping[tuple[str, str], int] | None = None,
        *,
        source: str | URL | None = None,
    ):
        # ``source``: where tables copied verbatim (config ``copy: true``) are read from.
        self.source = source
        self.model = model
        self.plan = plan
        self.key_start = dict(key_start or {})
        self.stores: dict[str, TableStore] = {}
        self.pending: list[_Pending] = []
        self.rows_planned = {t.table: t.rows for t in plan.tables}
        self.keep_z, self.keep_values, self.referenced = self._needs()

    def _needs(self) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[tuple[str, ...]]]]:
        keep_z: dict[str, set[str]] = {t.table: set() for t in self.plan.tables}
        keep_values: dict[str, set[str]] = {t.table: set() for t in self.plan.tables}
        referenced: dict[str, set[tuple[str, ...]]] = {t.table: set() for t in self.plan.tables}
        for tm in self.model.tables:
            if tm.copula is None or tm.driving_fk is None:
                continue
            rel = self.model.relationship(tm.driving_fk)
            prefix = f"^{rel.id}."
            keep_z[rel.parent].update(n[len(prefix) :] for n in tm.copula.names if n.startswith(prefix))
        for rel in self.model.relationships:
            keep_values.setdefault(rel.parent, set()).update(o.right for o in rel.orderings)
            referenced.setdefault(rel.parent, set()).add(rel.ref_columns)
        return keep_z, keep_values, referenced

    def run(self) -> Iterator[Batch | Update]:
        for tp in self.plan.tables:
            yield from TableGenerator(self, tp).batches()
            yield from self._updates_after(tp.table)

    def _updates_after(self, parent: str) -> Iterator[Update]:
        for p in [p for p in self.pending if p.fk.ref_table == parent]:
            self.pending.remove(p)
            source = self.stores[parent].keys[p.fk.ref_columns]
            step = self.plan.table(p.child).chunk_rows
            for lo in range(0, len(p.parent_index), step):
                idx = p.parent_index[lo : lo + step]
                rows = np.arange(lo, lo + len(idx))
                keep = idx >= 0
                frame = pd.DataFrame(
                    {
                        **dict(zip(p.key_columns, (a[keep] for a in p.child_keys.take(rows)), strict=True)),
                        **dict(zip(p.fk.columns, (a[keep] for a in source.take(idx)), strict=True)),
                    }
                )
                if len(frame):
                    yield Update(p.child, p.key_columns, p.fk.columns, frame)


@dataclass
class _Fk:
    fk: ForeignKey
    rid: str
    rel: RelationshipModel
    mode: FkMode
    index: np.ndarray | None = None


class TableGenerator:
    def __init__(self, gen: Generator, tp: TablePlan):
        self.gen, self.tp = gen, tp
        self.model: Model = gen.model
        self.table: Table = gen.model.schema.table(tp.table)
        self.tm: TableModel = gen.model.table(tp.table)
        self.n = tp.rows
        self.store = TableStore(rows=self.n)
        gen.stores[tp.table] = self.store
        self.numbered = {c for c in tp.key_columns}
        self._prepare_keys()
        self.fks = self._prepare_fks()
        self.within = self._numbered_within_parent()
        self.checks = _compile_checks(self.table, self.model)
        self.seen_unique: dict[tuple[str, ...], set[tuple[object, ...]]] = {}

    # -- setup ----------------------------------------------------------------------------------

    def _rng(self, slot: int) -> np.random.Generator:
        ss = np.random.SeedSequence(self.gen.plan.seed, spawn_key=(self.tp.stream, slot))
        return np.random.default_rng(ss)

    def _start(self, column: str) -> int:
        col = self.table.column(column)
        default = col.identity.start if col.identity is not None else 1
        return int(self.gen.key_start.get((self.table.key, column), default))

    def _prepare_keys(self) -> None:
        for cols in self.gen.referenced.get(self.table.key, set()):
            start = self._start(cols[0]) if len(cols) == 1 and cols[0] in self.numbered else None
            self.store.keys[cols] = KeySource(cols, start=start)

    def _prepare_fks(self) -> list[_Fk]:
        """Parent indexes per FK, in the mode the plan gave it (the plan also checked that cut
        FKs can be filled, so nothing here fails halfway through a load)."""
        rng = self._rng(TABLE_STREAM)
        out: list[_Fk] = []
        for fk in self.table.foreign_keys:
            rid = fk_id(self.table.key, fk.columns)
            rel = self.model.relationship(rid)
            mode = self.tp.foreign_key(rid).mode
            if mode is FkMode.SELF:
                out.append(_Fk(fk, rid, rel, mode))
            elif mode in CUT_MODES:
                parents = self.gen.rows_planned[fk.ref_table]
                index = self._with_nulls(fk, rel, pick_weighted(np.ones(parents), self.n, rng), rng)
                out.append(_Fk(fk, rid, rel, mode, index))
            else:
                out.append(_Fk(fk, rid, rel, mode, self._assign(fk, rel, mode, rng)))
        self._distinct_composites(out, rng)
        for f in out:
            if f.mode is FkMode.NULL_THEN_UPDATE:
                self._defer(f)
        return out

    def _weights(self, rel: RelationshipModel, parents: int, rng: np.random.Generator) -> np.ndarray:
        store = self.gen.stores[rel.parent]
        if rel.id in store.counts:
            return store.joined(store.counts, rel.id).astype(np.float64)
        return rng.poisson(max(rel.mean_children, 1e-9), parents).astype(np.float64) + 1e-9

    def _assign(
        self, fk: ForeignKey, rel: RelationshipModel, mode: FkMode, rng: np.random.Generator
    ) -> np.ndarray:
        parents = self.gen.stores[fk.ref_table].rows
        weights = self._weights(rel, parents, rng)
        nullable = all(self.table.column(c).nullable for c in fk.columns)
        nulls = round(self.n * rel.null_rate) if nullable else 0
        if parents == 0:
            if self.n and not nullable:
                raise GenerationError(
                    f"{self.table.key}: {self.n} rows need a parent in {fk.ref_table}, which gets 0 rows"
                )
            return np.full(self.n, -1, dtype=np.int64)
        if self._unique_fk(fk):
            take = min(self.n - nulls, parents)
            picks = rng.permutation(parents)[:take]
            nulls = self.n - take
        elif mode is FkMode.DRIVING:
            counts = spread_counts(weights, self.n - nulls, rng, cap=self._cap(fk))
            picks = np.repeat(np.arange(parents, dtype=np.int64), counts)
        else:
            picks = pick_weighted(weights, self.n - nulls, rng)
        index = np.concatenate([picks, np.full(nulls, -1, dtype=np.int64)])
        return index[rng.permutation(self.n)]

    def _with_nulls(
        self, fk: ForeignKey, rel: RelationshipModel, index: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        if all(self.table.column(c).nullable for c in fk.columns) and rel.null_rate > 0:
            index = np.where(rng.random(len(index)) < rel.null_rate, -1, index)
        return index

    def _unique_fk(self, fk: ForeignKey) -> bool:
        sets = [u.columns for u in self.table.uniques]
        if self.table.primary_key:
            sets.append(self.table.primary_key.columns)
        return any(set(s) == set(fk.columns) for s in sets)

    def _composites(self) -> list[tuple[str, ...]]:
        sets = [u.columns for u in self.table.uniques if len(u.columns) > 1]
        if self.table.primary_key and len(self.table.primary_key.columns) > 1:
            sets.append(self.table.primary_key.columns)
        return [s for s in sets if not (set(s) & self.numbered)]

    def _cap(self, fk: ForeignKey) -> int | None:
        """Most children one parent can have when a composite unique pairs this FK with others."""
        caps = []
        for cols in self._composites():
            if not set(fk.columns) <= set(cols):
                continue
            others = [o for o in self.table.foreign_keys if o != fk and set(o.columns) <= set(cols)]
            if others and len(set(cols)) == len(set(fk.columns).union(*(o.columns for o in others))):
                caps.append(
                    min(self.gen.stores[o.ref_table].rows for o in others if o.ref_table in self.gen.stores)
                )
        return min(caps) if caps else None

    def _distinct_composites(self, fks: list[_Fk], rng: np.random.Generator) -> None:
        for cols in self._composites():
            members = [f for f in fks if set(f.fk.columns) <= set(cols) and f.index is not None]
            covered = set().union(*(f.fk.columns for f in members)) if members else set()
            if len(members) < 2 or covered != set(cols):
                continue  # value columns take part: settled per chunk by the seen-set
            lead = next((f for f in members if f.mode is FkMode.DRIVING), members[0])
            for f in members:
                if f is lead or f.index is None or lead.index is None:
                    continue
                ok = (f.index >= 0) & (lead.index >= 0)
                parents = self.gen.stores[f.fk.ref_table].rows if f.fk.ref_table in self.gen.stores else 0
                if parents:
                    f.index[ok] = distinct_within_groups(lead.index[ok], f.index[ok], parents, rng)

    def _defer(self, f: _Fk) -> None:
        keys = KeySource(self.tp.key_columns[:1], start=self._start(self.tp.key_columns[0]))
        assert f.index is not None
        self.gen.pending.append(_Pending(self.table.key, f.fk, keys.columns, keys, f.index))

    # -- chunks ---------------------------------------------------------------------------------

    def batches(self) -> Iterator[Batch]:
        if self.tp.copy:
            yield from self._copied()
            return
        for c in range(self.tp.chunks):
            lo = c * self.tp.chunk_rows
            hi = min(self.n, lo + self.tp.chunk_rows)
            yield Batch(self.table.key, self.chunk(c, lo, hi))

    def _copied(self) -> Iterator[Batch]:
        """Rows of a copied reference table, kept for children like generated ones."""
        written = 0
        for frame in copy_rows(self.gen.source, self.table, self.tp.chunk_rows):
            rows = np.arange(written, written + len(frame), dtype=np.int64)
            written += len(frame)
            self._keep(frame, {}, rows, self._rng(len(rows) and int(rows[0])))
            yield Batch(self.table.key, frame[list(self.tp.columns)])
        if written != self.n:
            raise GenerationError(
                f"table {self.table.key} is copied from the source, which now has {written} rows "
                f"where the model counted {self.n}; fit the model again"
            )

    def chunk(self, c: int, lo: int, hi: int) -> pd.DataFrame:
        rng = self._rng(c)
        n = hi - lo
        rows = np.arange(lo, hi, dtype=np.int64)
        z = self._copula(rows, rng)
        values: dict[str, object] = {}
        nulls: dict[str, np.ndarray] = {}
        derived: list[str] = []
        for cf in self.tm.columns:
            col = self.table.column(cf.name)
            if col.generated is not None or cf.role == "foreign_key":
                continue
            if cf.role == "key":
                values[cf.name] = self._key(col, rows, rng)
                continue
            model = cf.column_model
            if model is None:
                values[cf.name] = np.full(n, None, dtype=object)
                nulls[cf.name] = np.ones(n, dtype=bool) if col.nullable else np.zeros(n, dtype=bool)
                if not col.nullable:
                    values[cf.name] = _type_default(col, n)
                continue
            u = to_uniform(z[cf.name]) if cf.name in z else rng.random(n)
            if isinstance(model, DerivedModel):
                values[cf.name] = np.full(n, None, dtype=object)  # computed once the row exists
                derived.append(cf.name)
            elif isinstance(model, IndexedModel) and (model.by_index or self._unique(col)):
                values[cf.name] = model.from_index(rows, rng)
            else:
                values[cf.name] = model.from_uniform(u, rng)
            nulls[cf.name] = self._nulls(col, cf.null_rate, z, rng, n)
        frame = pd.DataFrame(
            {k: coerce_column(self.table.column(k), v, nulls.get(k)) for k, v in values.items()}
        )
        self._fill_fks(frame, rows, rng)
        self._derive(frame, derived, nulls, rng)
        enforce_orderings(frame, self.tm.orderings)
        self._parent_orderings(frame, rows)
        if self.checks is not None:
            frame = self.checks.enforce(frame, lambda mask: self._resample(mask, frame, rows, rng))
        self._unique_fallback(frame, rows, rng)
        self._keep(frame, z, rows, rng)
        return frame[[c for c in self.tp.columns]]

    def _derive(
        self, frame: pd.DataFrame, names: list[str], nulls: dict[str, np.ndarray], rng: np.random.Generator
    ) -> None:
        """Columns computed from the others of the same row (config ``expression``)."""
        for name in names:
            model = self.tm.column(name).column_model
            assert isinstance(model, DerivedModel)  # only derived models are listed
            values = model.derive(frame, rng)
            frame[name] = coerce_column(self.table.column(name), values, nulls.get(name))

    def _copula(self, rows: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        cop = self.tm.copula
        if cop is None:
            return {}
        given: dict[str, np.ndarray] = {}
        driving = next((f for f in self.fks if f.mode is FkMode.DRIVING), None)
        if driving is not None and driving.index is not None:
            prefix = f"^{driving.rid}."
            pidx = driving.index[rows]
            store = self.gen.stores[driving.fk.ref_table]
            for name in cop.names:
                if name.startswith(prefix) and name[len(prefix) :] in store.z:
                    scores = store.joined(store.z, name[len(prefix) :])
                    g = rng.standard_normal(len(rows))
                    ok = pidx >= 0
                    g[ok] = scores[pidx[ok]]
                    given[name] = g
        sample = cop.sample_conditional(given, rng) if given else cop.sample(len(rows), rng)
        return {name: sample[:, i] for i, name in enumerate(cop.names)}

    def _nulls(
        self, col: Column, rate: float, z: dict[str, np.ndarray], rng: np.random.Generator, n: int
    ) -> np.ndarray:
        if not col.nullable or rate <= 0:
            return np.zeros(n, dtype=bool)
        flag = f"{col.name}?null"
        u = to_uniform(z[flag]) if flag in z else rng.random(n)
        return np.asarray(u > 1.0 - rate) if flag in z else np.asarray(u < rate)

    def _unique(self, col: Column) -> bool:
        single = [u.columns for u in self.table.uniques if len(u.columns) == 1]
        if self.table.primary_key and len(self.table.primary_key.columns) == 1:
            single.append(self.table.primary_key.columns)
        return (col.name,) in single

    def _numbered_within_parent(self) -> dict[str, np.ndarray]:
        """Line numbers: an integer key column that shares a composite primary key with the
        driving FK (``order_items (order_id, line_no)``) counts 1, 2, ... within each parent, as
        applications number lines, so ``CHECK (line_no BETWEEN 1 AND 3)`` holds and the key
        stays unique by construction."""
        pk = self.table.primary_key
        driving = next((f for f in self.fks if f.mode is FkMode.DRIVING and f.index is not None), None)
        if (
            pk is None
            or len(pk.columns) < 2
            or driving is None
            or not set(driving.fk.columns) <= set(pk.columns)
        ):
            return {}
        cols = [c for c in pk.columns if c in self.numbered and c not in driving.fk.columns]
        if len(cols) != 1:
            return {}
        parents = driving.index
        if parents is None:  # the driving FK was picked for having an index
            return {}
        order = np.argsort(parents, kind="stable")
        sorted_parents = parents[order]
        first = np.r_[True, sorted_parents[1:] != sorted_parents[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - start
        # Rows without a parent (NULL key) keep a number past any group's, still unique.
        rank[parents < 0] = np.arange(int((parents < 0).sum())) + len(order)
        return {cols[0]: rank}

    def _key(self, col: Column, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if col.name in self.within:
            return (self._start(col.name) + self.within[col.name][rows]).astype(np.int64)
        if col.name in self.numbered:
            return (self._start(col.name) + rows).astype(np.int64)
        if col.logical == LogicalType.UUID:
            raw = rng.integers(0, 256, size=(len(rows), 16), dtype=np.uint8)
            return np.array([str(uuid.UUID(bytes=bytes(r), version=4)) for r in raw], dtype=object)
        raise GenerationError(f"{self.table.key}.{col.name}: no way to number a {col.logical} key")

    def _fill_fks(self, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
        for f in self.fks:
            if f.mode is FkMode.SELF:
                pidx = self._self_index(f, rows, rng)
                keys = self._self_keys(f, frame, pidx, rows)
            elif f.mode is FkMode.NULL_THEN_UPDATE:
                keys = [np.full(len(rows), None, dtype=object) for _ in f.fk.columns]
            else:
                assert f.index is not None
                pidx = f.index[rows]
                if f.mode is FkMode.DIRECT:
                    parent = self.gen.plan.table(f.fk.ref_table)
                    start = int(self.gen.key_start.get((parent.table, f.fk.ref_columns[0]), 1))
                    keys = KeySource(f.fk.ref_columns, start=start).take(pidx)
                else:
                    keys = self.gen.stores[f.fk.ref_table].keys[f.fk.ref_columns].take(pidx)
            for name, arr in zip(f.fk.columns, keys, strict=True):
                frame[name] = coerce_column(self.table.column(name), arr, None)

    def _self_index(self, f: _Fk, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pidx = self_parents(rows, rng)
        nullable = all(self.table.column(c).nullable for c in f.fk.columns)
        if nullable:
            null = rng.random(len(rows)) < max(f.rel.null_rate, 0.0)
            null |= rows == 0  # the first row has no earlier row: NULL instead of itself
            pidx = np.where(null, -1, pidx)
        return pidx

    def _self_keys(self, f: _Fk, frame: pd.DataFrame, pidx: np.ndarray, rows: np.ndarray) -> list[np.ndarray]:
        if len(f.fk.ref_columns) == 1 and f.fk.ref_columns[0] in self.numbered:
            return KeySource(f.fk.ref_columns, start=self._start(f.fk.ref_columns[0])).take(pidx)
        source = self.store.keys[f.fk.ref_columns]
        before = source.take(np.minimum(pidx, rows[0] - 1)) if rows[0] > 0 else None
        local = np.where(pidx >= rows[0], pidx - rows[0], 0)
        out = []
        for i, name in enumerate(f.fk.ref_columns):
            current = frame[name].to_numpy(dtype=object)[local]
            merged = current if before is None else np.where(pidx >= rows[0], current, before[i])
            merged = merged.astype(object)
            merged[pidx < 0] = None
            out.append(merged)
        return out

    def _parent_orderings(self, frame: pd.DataFrame, rows: np.ndarray) -> None:
        for f in self.fks:
            if f.mode not in (FkMode.DRIVING, FkMode.WEIGHTED) or not f.rel.orderings or f.index is None:
                continue
            store = self.gen.stores[f.fk.ref_table]
            pidx = f.index[rows]
            for o in f.rel.orderings:
                if o.right in store.values and o.left in frame.columns:
                    parent_vals = store.joined(store.values, o.right)
                    reflect_after(frame, o.left, parent_vals, pidx, strict=o.op == ">")

    def _resample(
        self, mask: np.ndarray, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator
    ) -> pd.DataFrame:
        """Fresh candidates for the rows in ``mask`` (independent draws, same models)."""
        out = frame.loc[mask].copy()
        k = int(mask.sum())
        derived: list[str] = []
        for cf in self.tm.columns:
            col = self.table.column(cf.name)
            model = cf.column_model
            if cf.role != "value" or model is None or col.generated is not None:
                continue
            if isinstance(model, DerivedModel):
                derived.append(cf.name)
                continue
            if isinstance(model, IndexedModel) and (model.by_index or self._unique(col)):
                fresh = model.from_index(rows[mask], rng)
            else:
                fresh = model.from_uniform(rng.random(k), rng)
            null = self._nulls(col, cf.null_rate, {}, rng, k)
            out[cf.name] = coerce_column(col, fresh, null).to_numpy()
        self._derive(out, derived, {}, rng)
        enforce_orderings(out, self.tm.orderings)
        return out

    def _unique_fallback(self, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
        """Uniques that construction does not cover (a composite with value columns such as
        ``(customer_id, kind)``, a unique number). A duplicate first tries the column's other
        frequent values (so ``kind`` stays a valid label), then another parent, and only then
        gets its row index appended, which keeps it distinct for good."""
        sets = [u.columns for u in self.table.uniques]
        if self.table.primary_key:
            sets.append(self.table.primary_key.columns)
        fk_cols = {n for f in self.fks for n in f.fk.columns}
        for cols in sets:
            if set(cols) & self.numbered or any(c not in frame.columns for c in cols):
                continue
            if len(cols) == 1 and isinstance(self.tm.column(cols[0]).column_model, IndexedModel):
                continue
            if all(c in fk_cols for c in cols):
                continue  # settled by distinct_within_groups at setup
            seen = self.seen_unique.setdefault(cols, set())
            values = {c: frame[c].to_numpy(dtype=object) for c in cols}
            for i in range(len(frame)):
                t = tuple(values[c][i] for c in cols)
                if any(_missing(v) for v in t):
                    continue
                if t in seen:
                    t = self._free_tuple(cols, t, fk_cols, seen, rng, int(rows[i]))
                    for c, v in zip(cols, t, strict=True):
                        values[c][i] = v
                seen.add(t)
            for c in cols:
                frame[c] = coerce_column(self.table.column(c), values[c], None)

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
        for f in self.fks:
            if (
                not set(f.fk.columns) <= set(cols)
                or f.fk.ref_table not in self.gen.stores
                or f.mode is FkMode.SELF
            ):
                continue
            store = self.gen.stores[f.fk.ref_table]
            for _ in range(20):
                keys = store.keys[f.fk.ref_columns].take(rng.integers(0, max(store.rows, 1), 1))
                for name, arr in zip(f.fk.columns, keys, strict=True):
                    current[cols.index(name)] = arr[0]
                if tuple(current) not in seen:
                    return tuple(current)
        name = next((c for c in cols if c not in fk_cols), cols[-1])
        j = cols.index(name)
        current = list(taken)
        for attempt in range(1, 1000):
            current[j] = _disambiguate(taken[j], row * attempt + attempt)
            if tuple(current) not in seen:
                return tuple(current)
        raise GenerationError(f"{self.table.key}: cannot make ({', '.join(cols)}) unique for row {row}")

    def _keep(
        self, frame: pd.DataFrame, z: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
    ) -> None:
        key = self.table.key
        for cols, source in self.store.keys.items():
            if source.start is None:
                source.append([frame[c].to_numpy(dtype=object) for c in cols])
        for name in self.gen.keep_z.get(key, ()):
            if name in z:
                self.store.z.setdefault(name, []).append(z[name].astype(np.float32))
        for name in self.gen.keep_values.get(key, ()):
            if name in frame.columns:
                self.store.values.setdefault(name, []).append(_comparable(frame[name]))
        for rel in self.model.relationships:
            if rel.parent != key or rel.child == key:
                continue
            dim = f"#children:{rel.id}"
            u = to_uniform(z[dim]) if dim in z else rng.random(len(rows))
            self.store.counts.setdefault(rel.id, []).append(_child_counts(rel, u, frame, rng))


def _child_counts(
    rel: RelationshipModel, u: np.ndarray, frame: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    counts = np.zeros(len(u), dtype=np.float64)
    if rel.children_by and rel.children_by in frame.columns:
        labels = frame[rel.children_by].to_numpy(dtype=object)
        for label in pd.unique(labels):
            group = labels == label
            model = rel.children_for(label)
            if model is not None:
                counts[group] = np.asarray(model.from_uniform(u[group], rng), dtype=np.float64)
        return np.maximum(counts, 0)
    if rel.children_model is not None:
        return np.maximum(np.asarray(rel.children_model.from_uniform(u, rng), dtype=np.float64), 0)
    return rng.poisson(max(rel.mean_children, 0.0), len(u)).astype(np.float64)


def _comparable(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series.dt.tz_convert(None) if getattr(series.dt, "tz", None) is not None else series
        return s.to_numpy(dtype="datetime64[us]")
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)


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


def _type_default(col: Column, n: int) -> np.ndarray:
    defaults: dict[LogicalType, object] = {
        LogicalType.INTEGER: 0,
        LogicalType.DECIMAL: 0.0,
        LogicalType.FLOAT: 0.0,
        LogicalType.BOOLEAN: False,
        LogicalType.DATE: dt.date(1970, 1, 1),
        LogicalType.TIMESTAMP: np.datetime64("1970-01-01T00:00:00", "us"),
        LogicalType.ENUM: (col.enum_labels or ("",))[0],
    }
    return np.full(n, defaults.get(col.logical, ""), dtype=object)


def _compile_checks(table: Table, model: Model) -> TableChecks | None:
    """The table's CHECK enforcer (``dbsynth.generation.checks``), or None when it has no CHECK."""
    from dbsynth.generation.checks import table_checks

    checks = table_checks(table, model.schema)
    return checks if checks.compiled else None
