"""The privacy rule counts entities, not rows: a text value one customer repeats on each of its
orders is that customer's, however many orders it has.

``--min-count`` keeps a category only when it was seen that many times. Counting rows let one
entity carry a value past it: northwind's ``orders.ship_name`` is the ordering customer's
company name, on every one of its orders, so the model kept 89 customers' names and a clone's
orders named exactly the customers it was fitted on (a membership test against a holdout scored
0.97, where 0.5 means nothing is given away). Here a row's **entity** is the root of its chain
of driving foreign keys (the one foreign key fit drives each table by: an order line's order's
customer), climbing only into parents of at least ``OWNER_ROWS`` × ``min_count`` rows: a table of
a few rows that many rows hang off (chinook's 8 employees, whom every customer has as support
representative; a handful of stores) is a list of categories, not the population the rule
protects, and counting entities there would make every child value rare. A row with no such
parent is its own entity. A text value seen in at least
``min_count`` rows but held by fewer than ``min_count`` distinct entities is withheld from the
column's model (:attr:`dbsynth.columns.base.FitContext.withheld`): it is pooled like a rare
value, and no relation can rebuild it either, since relations only join values the models keep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from dbsynth.columns.text_sample import normal_text
from dbsynth.fitting.orderings import parent_rows
from dbsynth.schema import ForeignKey, Schema, Table

OWNER_ROWS = 10


class Entities:
    """The entity of every sampled row, per table, computed on first use."""

    def __init__(
        self,
        schema: Schema,
        frames: Mapping[str, pd.DataFrame],
        driving: Callable[[Table], ForeignKey | None],
        min_count: int,
    ) -> None:
        self.schema, self.frames, self.driving = schema, frames, driving
        self.min_owner_rows = OWNER_ROWS * min_count
        self._ids: dict[str, np.ndarray] = {}
        self._next = 0  # the first id of the next table's own rows: ids never repeat across tables

    def of(self, key: str, seen: frozenset[str] = frozenset()) -> np.ndarray:
        """One id per row of ``key``'s sampled frame: its root entity's."""
        if key in self._ids:
            return self._ids[key]
        frame = self.frames[key]
        ids = np.arange(self._next, self._next + len(frame), dtype=np.int64)
        self._next += len(frame)
        fk = self.driving(self.schema.table(key))
        if (
            fk is not None
            and fk.ref_table in self.frames
            and fk.ref_table not in seen | {key}
            and len(self.frames[fk.ref_table]) >= self.min_owner_rows
        ):
            parents = self.of(fk.ref_table, seen | {key})
            rows = parent_rows(frame, self.frames[fk.ref_table], fk.columns, fk.ref_columns)
            owned = rows >= 0
            ids[owned] = parents[rows[owned]]
        self._ids[key] = ids
        return ids


def few_entities(values: pd.Series, entities: np.ndarray, min_count: int) -> frozenset[str]:
    """The values (as :func:`~dbsynth.columns.text_sample.normal_text`) seen in at least
    ``min_count`` rows but held by fewer than ``min_count`` entities. ``values``: a text column's
    non-NULL values; ``entities``: the entity of each, aligned by position."""
    if values.empty:
        return frozenset()
    frame = pd.DataFrame({"v": values.astype(str).to_numpy(), "e": entities})
    stats = frame.groupby("v", sort=False)["e"].agg(["size", "nunique"])
    few = stats[(stats["size"] >= min_count) & (stats["nunique"] < min_count)]
    return frozenset(normal_text(v) for v in few.index)
