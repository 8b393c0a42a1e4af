"""A date column of a tiny table takes the model of the same column in a larger table.

The privacy rule keeps no value seen fewer than ``--min-count`` times, so a 2-row table's
``last_update`` keeps nothing of its own; left alone it became the day of the fit (sakila's
``store.last_update`` 2006 → the fit's date, then pushed down to every child by the learned
"a child's ``last_update`` follows its parent's"). Schemas name such columns alike across tables
(``last_update``, ``created_at``): where another table has the column under the same name, type
family and enough values, its fitted model (which obeys the same rule) stands in. Only dates and
timestamps borrow: a label or an amount of one table says little about another's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from dbsynth.model import ColumnFit
from dbsynth.schema import LogicalType, Schema

DATES = (LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ)


def borrow_sparse_dates(
    schema: Schema,
    columns: dict[str, tuple[ColumnFit, ...]],
    values_seen: Callable[[str, str], int],
    min_count: int,
) -> dict[str, tuple[ColumnFit, ...]]:
    """``columns`` with each date column seen fewer than ``min_count`` times given the model of the
    same-named date column seen most often elsewhere (at least ``min_count`` times); the others
    unchanged. ``values_seen(table, column)``: its non-NULL sampled values."""
    donors: dict[tuple[str, LogicalType], tuple[int, str, ColumnFit]] = {}
    for key, fits in columns.items():
        table = schema.table(key)
        for cf in fits:
            if cf.role != "value" or cf.model is None or cf.model.get("kind") != "temporal":
                continue
            logical = table.column(cf.name).logical
            seen = values_seen(key, cf.name)
            slot = (cf.name.casefold(), logical)
            if logical in DATES and seen >= min_count and seen > donors.get(slot, (0, "", cf))[0]:
                donors[slot] = (seen, key, cf)
    out: dict[str, tuple[ColumnFit, ...]] = {}
    for key, fits in columns.items():
        table = schema.table(key)
        out[key] = tuple(
            _borrowed(cf, key, table.column(cf.name).logical, donors, values_seen, min_count) for cf in fits
        )
    return out


def _borrowed(
    cf: ColumnFit,
    key: str,
    logical: LogicalType,
    donors: Mapping[tuple[str, LogicalType], tuple[int, str, ColumnFit]],
    values_seen: Callable[[str, str], int],
    min_count: int,
) -> ColumnFit:
    if cf.role != "value" or cf.model is None or cf.model.get("kind") != "temporal" or logical not in DATES:
        return cf
    seen = values_seen(key, cf.name)
    donor = donors.get((cf.name.casefold(), logical))
    if seen >= min_count or donor is None or donor[1] == key:
        return cf
    note = f"{seen} value(s), too few to keep any: the model of {donor[1]}.{donor[2].name}"
    return replace(cf, model=donor[2].model, note=note)
