"""One table's rows, chunk by chunk: the column values of a chunk and the order they are made in.

Per chunk (:meth:`TableGenerator.chunk`), with the chunk's own random stream:

1. the copula is sampled, conditionally on the driving parent's normal scores (``^fk.column``);
2. each value column maps its copula uniform through its model's inverse CDF (``from_index`` for
   unique columns whose model can build unique values), NULLs from the null-flag dimension;
   engine-numbered keys are ``start + row index`` (or the line number within the parent);
3. FK columns come from the parent links (:mod:`dbsynth.generation.parents`); columns derived
   from the others of the row (config ``expression``) are computed;
4. orderings recorded at fit (``shipped >= created``, child after parent) are enforced;
5. CHECK constraints are enforced by construction and resampling (``dbsynth.generation.checks``);
   rows a CHECK on FK columns rejects get other parents (:mod:`dbsynth.generation.repick`);
6. key columns numbered from the row index (:mod:`dbsynth.planning.unique_keys`) are set
   in step 2 and kept through resampling; the uniques construction does not cover are settled
   (:mod:`dbsynth.generation.uniques`); a partition key no partition takes is drawn again
   within the partitions' bounds (:mod:`dbsynth.generation.partitions`), and the ranges of
   EXCLUDE constraints are made disjoint (:mod:`dbsynth.generation.exclusions`);
7. what children will need is kept (:mod:`dbsynth.generation.store`).

A table copied from the source is read instead, and kept for its children the same way.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dbsynth.columns.base import ColumnModel, DerivedModel, IndexedModel
from dbsynth.columns.copula import to_uniform
from dbsynth.columns.permute import permute
from dbsynth.errors import GenerationError
from dbsynth.generation.batch import Batch
from dbsynth.generation.copying import copy_rows
from dbsynth.generation.defaults import check_generatable, type_default
from dbsynth.generation.edges import apply_edge_cases, edge_columns
from dbsynth.generation.exclusions import ExclusionKeeper, with_equal_exclusions
from dbsynth.generation.keys import KeySource, first_key
from dbsynth.generation.parents import ParentLinks
from dbsynth.generation.partitions import PartitionKeeper, key_domain
from dbsynth.generation.relations import computed
from dbsynth.generation.repick import Repicker
from dbsynth.generation.rowkeys import computed_keys, construction_of
from dbsynth.generation.store import Run, TableStore, keep
from dbsynth.generation.uniques import UniqueFallback
from dbsynth.generation.values import coerce_column, enforce_orderings
from dbsynth.model import Model, TableModel
from dbsynth.planning.plan import TablePlan
from dbsynth.planning.unique_keys import table_salt
from dbsynth.schema import Column, Table

if TYPE_CHECKING:  # imported when a table has CHECKs (sqlglot)
    from dbsynth.generation.checks import TableChecks

TABLE_STREAM = 1 << 30  # spawn-key slot of per-table (not per-chunk) randomness
EDGE_STREAM = 0xED6E  # third spawn-key entry of a chunk's edge-value stream


class TableGenerator:
    """The rows of table ``tp`` (see the module docstring). Creating it draws the parent links
    (from the per-table stream) and registers the table's store with the run."""

    def __init__(self, run: Run, tp: TablePlan):
        self.run, self.tp = run, tp
        # An exclusion of = only is one more unique key; one with && is kept by self.exclusions.
        self.table: Table = with_equal_exclusions(run.model.schema.table(tp.table))
        self.tm: TableModel = run.model.table(tp.table)
        self.n = tp.rows
        self.store = TableStore(rows=self.n)
        run.stores[tp.table] = self.store
        self.numbered = set(tp.key_columns)
        self.construction = construction_of(run, tp.table)
        for cols in run.needs.referenced.get(self.table.key, set()):
            start = self._start(cols[0]) if len(cols) == 1 and cols[0] in self.numbered else None
            self.store.keys[cols] = KeySource(cols, start=start)
        self.parents = ParentLinks(run, self.table, tp, self.store, self.numbered, self._rng(TABLE_STREAM))
        self.within = self.parents.numbered_within_parent()
        # A plan's copied reference table is generated when the model says so (no source given).
        self.copied = tp.copy and self.tm.copy
        if not self.copied:
            check_generatable(self.table, self.tm, run.model.schema.dialect)
        self.checks = _compile_checks(self.table, run.model)
        self.repick = (
            Repicker(run, self.table, self.parents.links, self.checks.columns, bool(self.within))
            if self.checks is not None
            else None
        )
        self.uniques = UniqueFallback(
            run, self.table, self.tm, self.numbered, self.parents.links, self.construction.settled
        )
        # A fitted ordering (a > b) moves its left column: never one unique by construction,
        # which nothing makes distinct again afterwards (a duplicate key in the target).
        constructed = {c for cols in self.construction.settled for c in cols} | self.numbered
        constructed |= {c.name for c in self.table.columns if self._unique(c)}
        self.orderings = tuple(o for o in self.tm.orderings if o.left not in constructed)
        domain = key_domain(self.table)
        self.partitions = PartitionKeeper(self.table, domain) if domain is not None else None
        keeper = ExclusionKeeper(self.table)
        self.exclusions = keeper if keeper.forms else None

    def row_key(self) -> KeySource | None:
        """The values of a NOT NULL key that follow from the row index alone, to find rows by
        (an UPDATE after a cycle), when the table has no engine-numbered key; else None."""
        return computed_keys(self.run, self.table.key, self.construction)

    def _set_numbered(self, values: dict[str, object], rows: np.ndarray) -> None:
        """Key columns numbered from the row index (``dbsynth.planning.unique_keys``)."""
        for g in self.construction.numbered:
            values.update(g.values(rows))

    def _rng(self, slot: int) -> np.random.Generator:
        ss = np.random.SeedSequence(self.run.plan.seed, spawn_key=(self.tp.stream, slot))
        return np.random.default_rng(ss)

    def _start(self, column: str) -> int:
        return first_key(self.table, column, self.run.key_start)

    def batches(self) -> Iterator[Batch]:
        if self.copied:
            yield from self._copied()
            return
        for c in range(self.tp.chunks):
            lo = c * self.tp.chunk_rows
            hi = min(self.n, lo + self.tp.chunk_rows)
            yield Batch(self.table.key, self.chunk(c, lo, hi))

    def _copied(self) -> Iterator[Batch]:
        """Rows of a copied reference table, kept for children like generated ones."""
        written = 0
        for frame in copy_rows(self.run.source, self.table, self.tp.chunk_rows):
            rows = np.arange(written, written + len(frame), dtype=np.int64)
            written += len(frame)
            rng = self._rng(len(rows) and int(rows[0]))
            # Scores drawn from the model (children per parent among them), so children spread
            # over copied parents with the fitted shape; they are not tied to the copied values.
            z = self._copula(rows, rng) if self.tm.copy_reason else {}
            self._keep(frame, z, rows, rng)
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
                    values[cf.name] = type_default(col, n, self.run.model.schema.dialect, rng)
                continue
            u = to_uniform(z[cf.name]) if cf.name in z else rng.random(n)
            if isinstance(model, DerivedModel):
                values[cf.name] = np.full(n, None, dtype=object)  # computed once the row exists
                derived.append(cf.name)
            elif isinstance(model, IndexedModel) and (model.by_index or self._unique(col)):
                values[cf.name] = model.from_index(self._indexes(col, model, rows), rng)
            else:
                values[cf.name] = model.from_uniform(u, rng)
            nulls[cf.name] = self._nulls(col, cf.null_rate, z, rng, n)
        self._set_numbered(values, rows)
        frame = pd.DataFrame(
            {k: coerce_column(self.table.column(k), v, nulls.get(k)) for k, v in values.items()}
        )
        self.parents.fill(frame, rows, rng)
        self._derive(frame, derived, nulls, rng)
        # Parent orderings move values first, so a gap computed from a moved value survives.
        self.parents.parent_orderings(frame, rows)
        self._relations(frame, rows, rng)
        enforce_orderings(frame, self.orderings)
        if self.run.plan.edge_cases > 0:
            frame = self._edges(frame, c, derived)
        if self.checks is not None:
            frame = self.checks.enforce(
                frame, lambda mask, blamed: self._resample(mask, blamed, frame, rows, rng)
            )
        # Partition keys before the uniques, which settle a key holding one (PRIMARY KEY (id, d));
        # again after, for a key the uniques re-picked outside every partition.
        self._partition_keys(frame, rng)
        self.uniques.apply(frame, rows, rng)
        self._partition_keys(frame, rng)
        if self.exclusions is not None:
            self.exclusions.apply(frame, self.checks.evaluate if self.checks is not None else None)
        self._keep(frame, z, rows, rng)
        return frame[[c for c in self.tp.columns]]

    def _partition_keys(self, frame: pd.DataFrame, rng: np.random.Generator) -> None:
        """Keys no partition takes drawn again inside them (:mod:`.partitions`)."""
        if self.partitions is None:
            return
        moved = self.partitions.apply(frame, rng)
        if self.checks is not None and moved.any() and not self.checks.evaluate(frame.loc[moved]).all():
            raise GenerationError(
                f"table {self.table.key}: partition keys drawn within the partitions' bounds "
                "no longer pass the table's CHECKs"
            )

    def _edges(self, frame: pd.DataFrame, chunk: int, derived: list[str]) -> pd.DataFrame:
        """Edge values (``--edge-cases``), from a stream of their own: the other values of the
        chunk are drawn as without them."""
        ss = np.random.SeedSequence(self.run.plan.seed, spawn_key=(self.tp.stream, chunk, EDGE_STREAM))
        fks = {c for fk in self.table.foreign_keys for c in fk.columns}
        roles = {cf.name for cf in self.tm.columns if cf.role != "value"}
        skip = fks | roles | self.numbered | set(derived)
        columns = edge_columns(self.table, skip)
        return apply_edge_cases(
            frame, self.table, columns, self.run.plan.edge_cases, np.random.default_rng(ss),
            self.run.model.schema.dialect,
        )  # fmt: skip

    def _keep(
        self, frame: pd.DataFrame, z: dict[str, np.ndarray], rows: np.ndarray, rng: np.random.Generator
    ) -> None:
        keep(self.store, self.run.needs, self.run.model, self.table.key, frame, z, rows, rng)

    def _derive(
        self, frame: pd.DataFrame, names: list[str], nulls: dict[str, np.ndarray], rng: np.random.Generator
    ) -> None:
        """Columns computed from the others of the same row (config ``expression``)."""
        for name in names:
            model = self.tm.column(name).column_model
            assert isinstance(model, DerivedModel)  # only derived models are listed
            values = model.derive(frame, rng)
            try:
                computed = coerce_column(self.table.column(name), values, nulls.get(name))
            except GenerationError as exc:
                raise GenerationError(f"table {self.table.key}: {exc} ({model.describe()})") from None
            # By position: the rows being resampled keep their chunk's index labels.
            frame[name] = computed.set_axis(frame.index)

    def _relations(self, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
        """Columns computed from another of the same row or of the row's parent
        (``TableModel.relations``), in order."""
        bases = self.parents.parent_values(frame, rows, {r.base for r in self.tm.relations})
        for rel in self.tm.relations:
            model = self.tm.column(rel.column).column_model

            def draw(k: int, model: ColumnModel | None = model) -> object:
                return model.from_uniform(rng.random(k), rng) if model is not None else [None] * k

            # Only a relation on a parent's column needs a frame with that column (a copy).
            source = frame.assign(**{rel.base: bases[rel.base]}) if rel.base in bases else frame
            values, nulls = computed(source, rel, rng, draw)
            column = self.table.column(rel.column)
            frame[rel.column] = coerce_column(column, values, nulls).set_axis(frame.index)

    def _copula(self, rows: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        cop = self.tm.copula
        if cop is None:
            return {}
        given: dict[str, np.ndarray] = {}
        driving = self.parents.driving
        if driving is not None and driving.index is not None:
            prefix = f"^{driving.rid}."
            pidx = driving.index[rows]
            store = self.run.stores[driving.fk.ref_table]
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

    def _indexes(self, col: Column, model: IndexedModel, rows: np.ndarray) -> np.ndarray:
        """The indexes a unique ``from_index`` model numbers ``rows`` by: the rows themselves
        for a model whose values follow the row order (a config ``sequence``), else a keyed
        bijection of the table's rows, so two tables (or two seeds) with the same code model
        do not spell the same codes row for row."""
        if getattr(model, "by_index", False) or self.n <= 1:
            return rows
        key = table_salt(self.run.plan.seed, self.tp.stream) * 1_000_003 + zlib.crc32(col.name.encode())
        return np.asarray(permute(rows, self.n, f"rows of {self.table.key}.{col.name}", key), dtype=np.int64)

    def _unique(self, col: Column) -> bool:
        single = [u.columns for u in self.table.uniques if len(u.columns) == 1]
        if self.table.primary_key and len(self.table.primary_key.columns) == 1:
            single.append(self.table.primary_key.columns)
        return (col.name,) in single

    def _key(self, col: Column, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if col.name in self.within:
            return (self._start(col.name) + self.within[col.name][rows]).astype(np.int64)
        if col.name in self.numbered:
            return (self._start(col.name) + rows).astype(np.int64)
        if col.name in self.construction.columns:
            return np.full(len(rows), None, dtype=object)  # set with the other numbered keys
        raise GenerationError(f"{self.table.key}.{col.name}: no way to number a {col.logical} key")

    def _resample(
        self,
        mask: np.ndarray,
        blamed: Mapping[str, np.ndarray],
        frame: pd.DataFrame,
        rows: np.ndarray,
        rng: np.random.Generator,
    ) -> pd.DataFrame:
        """Fresh candidates for the rows in ``mask`` (independent draws, same models); where a
        failing check reads FK columns (``blamed``: column -> rows of the chunk), other parents
        (:mod:`dbsynth.generation.repick`)."""
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
                fresh = model.from_index(self._indexes(col, model, rows[mask]), rng)
            else:
                fresh = model.from_uniform(rng.random(k), rng)
            null = self._nulls(col, cf.null_rate, {}, rng, k)
            out[cf.name] = coerce_column(col, fresh, null).to_numpy()
        numbered: dict[str, object] = {}
        self._set_numbered(numbered, rows[mask])  # a row's key is its own, whatever is redrawn
        for name, vals in numbered.items():
            if name in out.columns:
                kept = out[name].isna().to_numpy()
                out[name] = coerce_column(self.table.column(name), vals, kept).to_numpy()
        if self.repick:
            # Parents picked again in this round or an earlier one: the FK values follow the
            # links' indexes (``frame`` holds the chunk's first picks).
            self.repick.repick(rows[mask], {c: m[mask] for c, m in blamed.items()}, rng)
            for f in self.repick.links:
                assert f.index is not None  # the repicker keeps indexed links only
                keys = self.parents.key_values(f, f.index[rows[mask]])
                for name, arr in zip(f.fk.columns, keys, strict=True):
                    out[name] = coerce_column(self.table.column(name), arr, None).set_axis(out.index)
        self._derive(out, derived, {}, rng)
        if self.repick:
            self.parents.parent_orderings(out, rows[mask])
        self._relations(out, rows[mask], rng)
        enforce_orderings(out, self.orderings)
        return out


def _compile_checks(table: Table, model: Model) -> TableChecks | None:
    """The table's CHECK enforcer (``dbsynth.generation.checks``), or None when it has no CHECK."""
    from dbsynth.generation.checks import table_checks

    checks = table_checks(table, model.schema)
    return checks if checks.compiled else None
