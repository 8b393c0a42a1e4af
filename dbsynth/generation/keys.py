"""Keys without lookups: parents are picked by index, key values are computed from indexes.

A child row never needs its parent rows in memory. The engine decides, for each child row, the
*index* of its parent row (0 … parents-1); the parent's key value at that index comes from a
:class:`KeySource`: arithmetic for engine-numbered keys (``start + index``), or a stored array for
natural keys (``country.code``), which are the only parent columns kept in memory.

Assignment keeps the fitted shape of a relationship:

* the driving FK spreads exactly ``total`` children over the parents in proportion to the
  per-parent counts drawn from the fitted children-per-parent model (:func:`spread_counts`);
* every other FK picks parents with probability proportional to such a draw (a popularity
  weight), so popular parents stay popular and zero-children parents stay childless;
* composite uniques that contain FK columns are made distinct by construction within each
  driving group (:func:`distinct_within_groups`), never by retrying inserts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from dbsynth.errors import GenerationError
from dbsynth.schema import Table


@dataclass
class KeySource:
    """Values of one referenced column set of a table, by row index.

    ``start`` set: an engine-numbered single integer column (``start + index``); ``compute``
    set: values that follow from the row index otherwise (keyed UUIDs, numbered text keys:
    :mod:`dbsynth.planning.unique_keys`); otherwise the values are appended chunk by chunk into
    ``parts`` and concatenated on first lookup.
    """

    columns: tuple[str, ...]
    start: int | None = None
    compute: Callable[[np.ndarray], list[np.ndarray]] | None = None
    parts: list[list[np.ndarray]] = field(default_factory=list)
    _arrays: list[np.ndarray] | None = None

    def append(self, arrays: Sequence[np.ndarray]) -> None:
        self.parts.append([np.asarray(a) for a in arrays])
        self._arrays = None

    def take(self, index: np.ndarray) -> list[np.ndarray]:
        """Key values for ``index`` (one array per column); ``index < 0`` gives None (NULL)."""
        missing = index < 0
        if self.start is not None:
            values = (self.start + index).astype(np.int64)
            if missing.any():
                out = values.astype(object)
                out[missing] = None
                return [out]
            return [values]
        if missing.all():  # every row's FK is NULL: no parent value is needed (nor may exist)
            return [np.full(len(index), None, dtype=object) for _ in self.columns]
        if self.compute is not None:
            computed = self.compute(np.where(missing, 0, index))
            for got in computed:
                got[missing] = None
            return computed
        if self._arrays is None:
            if not self.parts:
                raise GenerationError(f"key columns ({', '.join(self.columns)}) were not generated yet")
            self._arrays = [np.concatenate([p[i] for p in self.parts]) for i in range(len(self.columns))]
        safe = np.where(missing, 0, index)
        result = []
        for arr in self._arrays:
            got = arr[safe]
            if missing.any():
                got = got.astype(object)
                got[missing] = None
            result.append(got)
        return result


def first_key(table: Table, column: str, key_start: Mapping[tuple[str, str], int]) -> int:
    """The first value of engine-numbered key ``column``: the sink's start (past the existing
    rows when appending), else the column's identity start, else 1."""
    col = table.column(column)
    default = col.identity.start if col.identity is not None else 1
    return int(key_start.get((table.key, column), default))


def spread_counts(
    weights: np.ndarray, total: int, rng: np.random.Generator, cap: int | None = None
) -> np.ndarray:
    """Integer children per parent summing to ``total``, shaped like ``weights`` (drawn counts).

    Counts are scaled to the total, then the remainder is placed one child at a time with
    probability proportional to the scaled counts, so parents drawn with zero children keep
    zero whenever the total allows it. ``cap`` bounds any count (composite uniques: a film can
    have at most as many distinct actors as there are actors).
    """
    parents = len(weights)
    if total <= 0:
        return np.zeros(parents, dtype=np.int64)
    if parents == 0:
        raise GenerationError("children to place but the parent table has no rows")
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    if cap is not None and total > cap * parents:
        raise GenerationError(f"{total} rows cannot be spread over {parents} parents with at most {cap} each")
    if w.sum() <= 0:
        w = np.ones(parents)
    exact = w * (total / w.sum())
    counts = np.floor(exact).astype(np.int64)
    if cap is not None:
        counts = np.minimum(counts, cap)
    remainder = total - int(counts.sum())
    while remainder > 0:
        room = np.ones(parents, dtype=bool) if cap is None else counts < cap
        p = np.where(room, np.maximum(exact - counts, 0.0) + 1e-12, 0.0)
        picks = rng.choice(parents, size=min(remainder, int(room.sum())), replace=False, p=p / p.sum())
        counts[picks] += 1
        remainder = total - int(counts.sum())
    return counts


def pick_weighted(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` parent indexes drawn with probability proportional to ``weights`` (uniform if all 0)."""
    w = np.clip(np.asarray(weights, dtype=np.float64), 0.0, None)
    if len(w) == 0:
        if n:
            raise GenerationError("rows reference a parent table that has no rows")
        return np.zeros(0, dtype=np.int64)
    cum = np.cumsum(w if w.sum() > 0 else np.ones(len(w)))
    picks = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
    return np.minimum(picks, len(w) - 1).astype(np.int64)


def distinct_within_groups(
    groups: np.ndarray, picks: np.ndarray, parents: int, rng: np.random.Generator, rounds: int = 8
) -> np.ndarray:
    """Make ``picks`` distinct within each group (rows with the same ``groups`` value).

    Duplicates are redrawn uniformly a few rounds (keeps the popularity shape for most rows);
    what is left is settled by construction: the k-th member of a group takes ``(start + k) mod
    parents``, distinct whenever a group has at most ``parents`` members.
    """
    picks = picks.copy()
    if len(picks) == 0:
        return picks
    for _ in range(rounds):
        dup = _duplicated(groups, picks)
        if not dup.any():
            return picks
        picks[dup] = rng.integers(0, parents, int(dup.sum()))
    order = np.lexsort((np.arange(len(groups)), groups))
    g_sorted = groups[order]
    first = np.r_[True, g_sorted[1:] != g_sorted[:-1]]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(g_sorted)), 0))
    rank = np.arange(len(g_sorted)) - group_start
    if rank.max(initial=0) >= parents:
        raise GenerationError("a group has more rows than distinct parents: the unique key cannot hold")
    offsets = rng.integers(0, parents, len(g_sorted))
    start = offsets[group_start]
    out = np.empty_like(picks)
    out[order] = (start + rank) % parents
    return out


def _duplicated(groups: np.ndarray, picks: np.ndarray) -> np.ndarray:
    pairs = np.stack([groups, picks], axis=1)
    _, first_idx = np.unique(pairs, axis=0, return_index=True)
    dup = np.ones(len(picks), dtype=bool)
    dup[first_idx] = False
    return dup


def self_parents(index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For a self-reference: each row points at an earlier row (row 0 at itself), so a single
    table load satisfies the constraint in any backend."""
    return np.floor(rng.random(len(index)) * index).astype(np.int64)
