"""Parents picked again for the rows that a CHECK on foreign-key columns rejects.

Drawing values again cannot meet a CHECK that reads FK columns (``primary_equipment_id <>
compatible_equipment_id`` on a junction table, the exclusive arc ``(post_id IS NULL) <>
(photo_id IS NULL)``, ``tag1 < tag2``): FK values come from the parent links
(:mod:`dbsynth.generation.parents`). So for the rows where such a check fails, the FKs it reads
get another parent, and the CHECK repair evaluates the row again:

* a NOT NULL FK gets a new parent drawn with the weights of its first pick (the children per
  parent drawn when the parent was generated; uniform among the planned rows for a cut FK), so
  popular parents stay popular and the children-per-parent shape holds approximately;
* a nullable FK flips between NULL and a parent with probability 1/2 (a check on which FKs are
  NULL needs the flip, whatever the fitted NULL share, which is 0 for a schema-only source);
  one that stays set gets a new parent. A round thus meets an exclusive arc with probability
  1/2 at least;
* an FK that is unique, or part of a unique made only of FK columns (a junction table's primary
  key), never takes a parent (tuple) that another row of the table holds;
* the driving FK (its rows were spread over the parents to follow the fitted counts) keeps its
  parent on half the rows whose failing check reads another FK that can change (``tag1 <
  tag2`` with ``tag1`` at the largest tag needs both), and always when a key column is
  numbered within it (line numbers stay unique).

Self-references and FKs set by UPDATE after the load keep their parents: their values are not
in the batch the check reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from dbsynth.generation.keys import pick_weighted
from dbsynth.generation.parents import FkLink
from dbsynth.generation.store import Run
from dbsynth.planning.foreign_keys import CUT_MODES, FkMode
from dbsynth.schema import Table

FLIP = 0.5  # chance that a nullable FK picked again changes between NULL and a parent
DRIVING_KEPT = 0.5  # chance that the driving FK keeps its parent when another FK is picked again
TRIES = 10  # weighted draws before a free parent is searched for in order


class Repicker:
    """Picks parents again for one table (module docstring). ``links`` are the table's parent
    links, ``columns`` those its compiled CHECKs read, ``numbered_within`` whether a key column
    counts within the driving parent."""

    def __init__(
        self, run: Run, table: Table, links: list[FkLink], columns: frozenset[str], numbered_within: bool
    ) -> None:
        self.run, self.table = run, table
        self.links = [
            f
            for f in links
            if f.index is not None
            and f.mode not in (FkMode.SELF, FkMode.NULL_THEN_UPDATE)
            and set(f.fk.columns) & columns
            and not (f.mode is FkMode.DRIVING and numbered_within)
        ]
        indexed = [f for f in links if f.index is not None]
        self.groups = {id(f): self._unique_groups(f, indexed) for f in self.links}
        self.used: dict[tuple[int, ...], Counter[tuple[int, ...]]] = {}

    def __bool__(self) -> bool:
        return bool(self.links)

    def _unique_groups(self, f: FkLink, indexed: list[FkLink]) -> list[list[FkLink]]:
        """The uniques ``f`` takes part in that are made only of FK columns, as their links."""
        sets = [u.columns for u in self.table.uniques if u.where is None]
        if self.table.primary_key is not None:
            sets.append(self.table.primary_key.columns)
        out = []
        for cols in sets:
            if not set(f.fk.columns) <= set(cols):
                continue
            members = [g for g in indexed if set(g.fk.columns) <= set(cols)]
            if set().union(*(g.fk.columns for g in members)) == set(cols):
                out.append(members)
        return out

    def repick(
        self, rows: np.ndarray, blamed: Mapping[str, np.ndarray], rng: np.random.Generator
    ) -> list[FkLink]:
        """New parents for table rows ``rows`` where a failing check reads the FK (``blamed``:
        column -> mask over ``rows``); returns the links whose indexes changed."""
        nothing = np.zeros(len(rows), dtype=bool)
        want = {
            id(f): np.logical_or.reduce([nothing, *(blamed[c] for c in f.fk.columns if c in blamed)])
            for f in self.links
        }
        others = np.zeros(len(rows), dtype=bool)
        for f in self.links:
            if f.mode is not FkMode.DRIVING:
                others |= want[id(f)]
        changed = []
        for f in self.links:
            mask = want[id(f)]
            if f.mode is FkMode.DRIVING:  # kept on half the rows where another FK can change
                mask = mask & ~(others & (rng.random(len(rows)) < DRIVING_KEPT))
            if mask.any():
                self._pick(f, rows[mask], rng)
                changed.append(f)
        return changed

    def _pick(self, f: FkLink, rows: np.ndarray, rng: np.random.Generator) -> None:
        assert f.index is not None  # only links with indexes are kept
        weights = self._weights(f)
        old = f.index[rows]
        new = pick_weighted(weights, len(rows), rng) if len(weights) else np.full(len(rows), -1, np.int64)
        if all(self.table.column(c).nullable for c in f.fk.columns):
            flip = rng.random(len(rows)) < FLIP
            new = np.where((old >= 0) == flip, -1, new)
        for group in self.groups[id(f)]:
            new = self._free(f, group, rows, new, weights, rng)
        f.index[rows] = new

    def _weights(self, f: FkLink) -> np.ndarray:
        ref = f.fk.ref_table
        if f.mode in CUT_MODES or ref not in self.run.stores:
            return np.ones(self.run.rows(ref))
        store = self.run.stores[ref]
        if f.rel.id in store.counts:
            return store.joined(store.counts, f.rel.id).astype(np.float64)
        return np.ones(store.rows)

    def _free(
        self,
        f: FkLink,
        group: list[FkLink],
        rows: np.ndarray,
        new: np.ndarray,
        weights: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """``new`` with each pick moved to a parent whose tuple in ``group`` no other row holds
        (NULL when there is none and the FK is nullable)."""
        used = self._used(group)
        at = next(i for i, g in enumerate(group) if g is f)
        indexes = [g.index for g in group if g.index is not None]  # groups hold indexed links only
        nullable = all(self.table.column(c).nullable for c in f.fk.columns)
        out = new.copy()
        for k, row in enumerate(rows.tolist()):
            current = tuple(int(ix[row]) for ix in indexes)
            if min(current) >= 0:
                used[current] -= 1
            if out[k] < 0:
                continue
            candidate = list(current)
            choice = self._free_parent(candidate, at, int(out[k]), used, weights, rng)
            if choice is None:  # every tuple is taken: NULL, or the row's own (the check then reports it)
                choice = -1 if nullable else current[at]
            out[k] = candidate[at] = choice
            if min(candidate) >= 0:
                used[tuple(candidate)] += 1
        return out

    def _free_parent(
        self,
        candidate: list[int],
        at: int,
        first: int,
        used: Counter[tuple[int, ...]],
        weights: np.ndarray,
        rng: np.random.Generator,
    ) -> int | None:
        picks = [first, *pick_weighted(weights, TRIES, rng).tolist()]
        for pick in picks:
            candidate[at] = pick
            if min(candidate) < 0 or used[tuple(candidate)] == 0:
                return pick
        start = int(rng.integers(0, len(weights)))
        for step in range(len(weights)):
            candidate[at] = (start + step) % len(weights)
            if used[tuple(candidate)] == 0:
                return candidate[at]
        return None

    def _used(self, group: list[FkLink]) -> Counter[tuple[int, ...]]:
        """How many rows of the table hold each tuple of ``group``'s parents (NULLs aside)."""
        key = tuple(id(g) for g in group)
        if key not in self.used:
            stacked = np.stack([g.index for g in group if g.index is not None], axis=1)
            stacked = stacked[(stacked >= 0).all(axis=1)]
            self.used[key] = Counter(map(tuple, stacked.tolist()))
        return self.used[key]
