"""Which parent row each row of a table references, per foreign key, and the FK values that follow.

Before a table's first chunk, every foreign key gets a parent *index* per row, in the mode the
plan gave it (:mod:`dbsynth.planning.foreign_keys`):

* the driving FK spreads the table's rows over the parents following the per-parent child
  counts drawn when the parent was generated (:func:`~dbsynth.generation.keys.spread_counts`),
  capped where a composite unique pairs it with other FKs;
* other FKs pick parents with those counts as weights; an FK that is itself unique picks each
  parent at most once;
* cut FKs pick uniformly among the planned parent rows, which do not exist yet;
* composite uniques made only of FK columns are made distinct by construction
  (:func:`~dbsynth.generation.keys.distinct_within_groups`).

Per chunk, :meth:`ParentLinks.fill` turns indexes into key values through the parent's
:class:`~dbsynth.generation.keys.KeySource` (self-references point at earlier rows), and
:meth:`ParentLinks.parent_orderings` keeps child values after their parent's (an order after
its customer's signup).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbsynth.errors import GenerationError
from dbsynth.generation.children import shaped_weights
from dbsynth.generation.keys import (
    KeySource,
    distinct_within_groups,
    first_key,
    pick_weighted,
    self_parents,
    spread_counts,
)
from dbsynth.generation.rowkeys import computed_keys
from dbsynth.generation.store import Run, TableStore
from dbsynth.generation.updates import PendingUpdate
from dbsynth.generation.values import coerce_column, reflect_after
from dbsynth.model import RelationshipModel, fk_id
from dbsynth.planning.foreign_keys import CUT_MODES, FkMode
from dbsynth.planning.plan import TablePlan
from dbsynth.schema import ForeignKey, Table


@dataclass
class FkLink:
    """One foreign key of the table: its relationship model, mode and parent index per row
    (-1: NULL; None for a self-reference, whose parents are drawn per chunk)."""

    fk: ForeignKey
    rid: str
    rel: RelationshipModel
    mode: FkMode
    index: np.ndarray | None = None


class ParentLinks:
    """The parent links of one table (see the module docstring). ``store`` is the table's own
    store (a self-reference to a natural key reads earlier chunks from it); ``numbered`` its
    engine-numbered key columns; ``rng`` the table's per-table stream."""

    def __init__(
        self,
        run: Run,
        table: Table,
        tp: TablePlan,
        store: TableStore,
        numbered: set[str],
        rng: np.random.Generator,
    ) -> None:
        self.run, self.table, self.tp, self.store, self.numbered = run, table, tp, store, numbered
        self.n = tp.rows
        self.links = self._link(rng)

    @property
    def driving(self) -> FkLink | None:
        return next((f for f in self.links if f.mode is FkMode.DRIVING), None)

    # -- setup ----------------------------------------------------------------------------------

    def _link(self, rng: np.random.Generator) -> list[FkLink]:
        """Parent indexes per FK, in the mode the plan gave it (the plan also checked that cut
        FKs can be filled, so nothing here fails halfway through a load)."""
        out: list[FkLink] = []
        for fk in self.table.foreign_keys:
            rid = fk_id(self.table.key, fk.columns)
            rel = self.run.model.relationship(rid)
            mode = self.tp.foreign_key(rid).mode
            if mode is FkMode.SELF:
                out.append(FkLink(fk, rid, rel, mode))
            elif mode in CUT_MODES:
                parents = self.run.rows(fk.ref_table)
                if parents == 0:
                    index = self._no_parent(fk)
                else:
                    index = self._with_nulls(fk, rel, pick_weighted(np.ones(parents), self.n, rng), rng)
                out.append(FkLink(fk, rid, rel, mode, index))
            else:
                out.append(FkLink(fk, rid, rel, mode, self._assign(fk, rel, mode, rng)))
        self._agree_on_shared_columns(out, rng)
        self._distinct_composites(out, rng)
        return out

    def _agree_on_shared_columns(self, links: list[FkLink], rng: np.random.Generator) -> None:
        """Two foreign keys that share a column (``(year, winner) -> teams`` and ``(year,
        loser) -> teams``) write one value into it: each later one picks, for every row, a parent
        whose shared columns equal what the earlier one wrote (the same season), so both parents
        exist. A row whose value no parent of the later key has moves the earlier key to a parent
        that has a match."""
        indexed = [f for f in links if f.index is not None and f.mode not in (FkMode.SELF, *CUT_MODES)]
        for i, lead in enumerate(indexed):
            for f in indexed[i + 1 :]:
                shared = [c for c in f.fk.columns if c in lead.fk.columns]
                if shared:
                    self._agree(lead, f, shared, rng)

    def _agree(self, lead: FkLink, f: FkLink, shared: list[str], rng: np.random.Generator) -> None:
        assert lead.index is not None and f.index is not None
        lead_rows = self.run.stores[lead.fk.ref_table].rows
        f_rows = self.run.stores[f.fk.ref_table].rows
        if not lead_rows or not f_rows:
            return

        def values(link: FkLink, count: int) -> pd.DataFrame:
            keys = self.key_values(link, np.arange(count, dtype=np.int64))
            return pd.DataFrame({c: keys[link.fk.columns.index(c)] for c in shared})

        # One code per distinct tuple of shared values, over both parent tables.
        both = pd.concat([values(lead, lead_rows), values(f, f_rows)], ignore_index=True)
        codes = both.groupby(shared, sort=False, dropna=False).ngroup().to_numpy()
        lead_code, f_code = codes[:lead_rows], codes[lead_rows:]
        order = np.argsort(f_code, kind="stable")
        ordered = f_code[order]

        def span(wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.searchsorted(ordered, wanted, "left"), np.searchsorted(ordered, wanted, "right")

        have = (lead.index >= 0) & (f.index >= 0)
        rows = np.flatnonzero(have)
        wanted = lead_code[lead.index[rows]]
        disagree = f_code[f.index[rows]] != wanted
        rows, wanted = rows[disagree], wanted[disagree]
        lo, hi = span(wanted)
        stuck = hi == lo
        if stuck.any():
            # The earlier key's parent has no partner: another parent of it that has one.
            matched = np.flatnonzero(np.isin(lead_code, f_code))
            if not len(matched):
                raise GenerationError(
                    f"{self.table.key}: no parent in {lead.fk.ref_table} shares ({', '.join(shared)}) "
                    f"with a parent in {f.fk.ref_table}, as foreign keys {lead.rid} and {f.rid} require"
                )
            moved = matched[rng.integers(0, len(matched), int(stuck.sum()))]
            lead.index[rows[stuck]] = moved
            wanted[stuck] = lead_code[moved]
            lo, hi = span(wanted)
        f.index[rows] = order[lo + (rng.random(len(rows)) * (hi - lo)).astype(np.int64)]

    def pending(self, row_key: KeySource | None) -> list[PendingUpdate]:
        """The UPDATEs owed once their parents exist, for the FKs written NULL now; the rows are
        found by the engine-numbered key, else by ``row_key`` (values computed from the row
        index: keyed UUIDs, numbered text keys)."""
        out = []
        for f in self.links:
            if f.mode is not FkMode.NULL_THEN_UPDATE or f.index is None:
                continue
            # The plan refused this mode for a table with neither.
            if self.tp.key_columns:
                column = self.tp.key_columns[0]
                keys = KeySource((column,), start=first_key(self.table, column, self.run.key_start))
            else:
                assert row_key is not None
                keys = row_key
            out.append(PendingUpdate(self.table.key, f.fk, keys.columns, keys, f.index))
        return out

    def _weights(self, rel: RelationshipModel, parents: int, rng: np.random.Generator) -> np.ndarray:
        store = self.run.stores[rel.parent]
        if rel.id in store.counts:
            drawn = store.joined(store.counts, rel.id).astype(np.float64)
        else:
            drawn = rng.poisson(max(rel.mean_children, 1e-9), parents).astype(np.float64) + 1e-9
        # The fitted spread over parents (heavy tail, parents without children); a category
        # that stratifies the counts already gives each parent its own distribution.
        if rel.shape is not None and not rel.children_strata:
            return shaped_weights(drawn, rel.shape, rng)
        return drawn

    def _assign(
        self, fk: ForeignKey, rel: RelationshipModel, mode: FkMode, rng: np.random.Generator
    ) -> np.ndarray:
        parents = self.run.stores[fk.ref_table].rows
        weights = self._weights(rel, parents, rng)
        nullable = all(self.table.column(c).nullable for c in fk.columns)
        nulls = round(self.n * rel.null_rate) if nullable else 0
        if parents == 0:
            return self._no_parent(fk)
        if self._unique_fk(fk):
            take = min(self.n - nulls, parents)
            picks = rng.permutation(parents)[:take]
            nulls = self.n - take
        elif mode is FkMode.DRIVING:
            counts = spread_counts(weights, self.n - nulls, rng, cap=self._cap(fk))
            picks = np.repeat(np.arange(parents, dtype=np.int64), counts)
        elif rel.shape is not None:
            # Spread like a driving FK, so the parents without children and the busiest ones
            # keep their shares rather than those of independent weighted draws.
            counts = spread_counts(weights, self.n - nulls, rng)
            picks = np.repeat(np.arange(parents, dtype=np.int64), counts)
        else:
            picks = pick_weighted(weights, self.n - nulls, rng)
        index = np.concatenate([picks, np.full(nulls, -1, dtype=np.int64)])
        return index[rng.permutation(self.n)]

    def _no_parent(self, fk: ForeignKey) -> np.ndarray:
        """Parent indexes when the parent table gets no row: NULL everywhere, which only a
        nullable FK allows."""
        if self.n and not all(self.table.column(c).nullable for c in fk.columns):
            raise GenerationError(
                f"{self.table.key}: {self.n} rows need a parent in {fk.ref_table}, which gets 0 rows"
            )
        return np.full(self.n, -1, dtype=np.int64)

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
        stores = self.run.stores
        for cols in self._composites():
            if not set(fk.columns) <= set(cols):
                continue
            others = [o for o in self.table.foreign_keys if o != fk and set(o.columns) <= set(cols)]
            if others and len(set(cols)) == len(set(fk.columns).union(*(o.columns for o in others))):
                caps.append(min(stores[o.ref_table].rows for o in others if o.ref_table in stores))
        return min(caps) if caps else None

    def _distinct_composites(self, links: list[FkLink], rng: np.random.Generator) -> None:
        stores = self.run.stores
        for cols in self._composites():
            members = [f for f in links if set(f.fk.columns) <= set(cols) and f.index is not None]
            covered = set().union(*(f.fk.columns for f in members)) if members else set()
            if len(members) < 2 or covered != set(cols):
                continue  # value columns take part: settled per chunk by the seen-set
            lead = next((f for f in members if f.mode is FkMode.DRIVING), members[0])
            for f in members:
                if f is lead or f.index is None or lead.index is None:
                    continue
                ok = (f.index >= 0) & (lead.index >= 0)
                parents = stores[f.fk.ref_table].rows if f.fk.ref_table in stores else 0
                if parents:
                    f.index[ok] = distinct_within_groups(lead.index[ok], f.index[ok], parents, rng)

    def numbered_within_parent(self) -> dict[str, np.ndarray]:
        """Line numbers: an integer key column that shares a composite primary key with the
        driving FK (``order_items (order_id, line_no)``) counts 1, 2, ... within each parent, as
        applications number lines, so ``CHECK (line_no BETWEEN 1 AND 3)`` holds and the key
        stays unique by construction."""
        pk = self.table.primary_key
        driving = next((f for f in self.links if f.mode is FkMode.DRIVING and f.index is not None), None)
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

    # -- per chunk ------------------------------------------------------------------------------

    def fill(self, frame: pd.DataFrame, rows: np.ndarray, rng: np.random.Generator) -> None:
        """Set the FK columns of the chunk ``frame`` (table rows ``rows``)."""
        for f in self.links:
            if f.mode is FkMode.SELF:
                pidx = self._self_index(f, rows, rng)
                keys = self._self_keys(f, frame, pidx, rows)
            elif f.mode is FkMode.NULL_THEN_UPDATE:
                keys = [np.full(len(rows), None, dtype=object) for _ in f.fk.columns]
            else:
                assert f.index is not None
                keys = self.key_values(f, f.index[rows])
            for name, arr in zip(f.fk.columns, keys, strict=True):
                frame[name] = coerce_column(self.table.column(name), arr, None)

    def key_values(self, f: FkLink, pidx: np.ndarray) -> list[np.ndarray]:
        """The FK values of parent indexes ``pidx`` (-1: NULL), one array per column (not for a
        self-reference, whose parents are read from the rows being generated)."""
        if f.mode is FkMode.DIRECT:
            if f.fk.ref_columns[0] not in self.run.plan.table(f.fk.ref_table).key_columns:
                # The plan allowed it: the parent's key follows from its row index (UUIDs).
                computed = computed_keys(self.run, f.fk.ref_table)
                assert computed is not None and computed.columns == f.fk.ref_columns
                return computed.take(pidx)
            start = int(self.run.key_start.get((f.fk.ref_table, f.fk.ref_columns[0]), 1))
            return KeySource(f.fk.ref_columns, start=start).take(pidx)
        return self.run.stores[f.fk.ref_table].keys[f.fk.ref_columns].take(pidx)

    def _self_index(self, f: FkLink, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        pidx = self_parents(rows, rng)
        nullable = all(self.table.column(c).nullable for c in f.fk.columns)
        if nullable:
            null = rng.random(len(rows)) < max(f.rel.null_rate, 0.0)
            null |= rows == 0  # the first row has no earlier row: NULL instead of itself
            pidx = np.where(null, -1, pidx)
        return pidx

    def _self_keys(
        self, f: FkLink, frame: pd.DataFrame, pidx: np.ndarray, rows: np.ndarray
    ) -> list[np.ndarray]:
        if len(f.fk.ref_columns) == 1 and f.fk.ref_columns[0] in self.numbered:
            start = first_key(self.table, f.fk.ref_columns[0], self.run.key_start)
            return KeySource(f.fk.ref_columns, start=start).take(pidx)
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

    def parent_values(self, frame: pd.DataFrame, rows: np.ndarray, names: set[str]) -> dict[str, np.ndarray]:
        """The parent columns named ``^<relationship>.<column>`` in ``names``, per row of
        ``frame`` (table rows ``rows``) through the parent each row was given; NaN where the row
        has no parent (a NULL key) or its link picks parents otherwise (a self-reference)."""
        out: dict[str, np.ndarray] = {}
        for f in self.links:
            prefix = f"^{f.rel.id}."
            wanted = [n for n in names if n.startswith(prefix)]
            if not wanted:
                continue
            store = self.run.stores.get(f.fk.ref_table)
            for name in wanted:
                column = name[len(prefix) :]
                values = np.full(len(frame), np.nan)
                if f.index is not None and store is not None and column in store.values:
                    parent_vals = store.joined(store.values, column)
                    pidx = f.index[rows]
                    has = pidx >= 0
                    values[has] = parent_vals[pidx[has]]
                out[name] = values
        return out

    def parent_orderings(self, frame: pd.DataFrame, rows: np.ndarray) -> None:
        """Child values that must come after their parent's (fitted orderings) are reflected
        past them."""
        for f in self.links:
            if f.mode not in (FkMode.DRIVING, FkMode.WEIGHTED) or not f.rel.orderings or f.index is None:
                continue
            store = self.run.stores[f.fk.ref_table]
            pidx = f.index[rows]
            for o in f.rel.orderings:
                if o.right in store.values and o.left in frame.columns:
                    parent_vals = store.joined(store.values, o.right)
                    reflect_after(frame, o.left, parent_vals, pidx, strict=o.op == ">")
