"""Child numbers that follow a number of their parent row: a line's price copied from its
product's price.

Within a row the relations of :mod:`dbsynth.fitting.relations` keep ``gnp ~ gnpold``; across a
foreign key nothing did: chinook's ``invoice_line.unit_price`` equals ``track.unit_price`` in
every row, northwind's ``order_details.unit_price`` is its product's price (69 % of lines) or
80 % of it (an older price list), and a clone made both independent of the product (ρ 0.99 →
0.01). The same rule as within a row applies, with the parent's column as the base: for each
numeric value column of the child and each numeric value column of a parent (through a
foreign key whose parent table was sampled), the child is a **ratio** of the parent (both
positive) or the parent plus a **gap** when the log-ratio (or the difference) explains at most
``1 - NEAR_DETERMINISTIC`` (2 %) of the variance of the child; the closest base wins. The ratio
or gap gets its own numeric model, min-count rule included, so no rare value leaves the source.

The base is named ``^<relationship id>.<parent column>``, the notation of the copula's parent
dimensions; generation reads the parent's value from what the parent table kept for its
children (:mod:`dbsynth.generation.store`) through the parent each row was given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dbsynth.columns.base import FitContext
from dbsynth.fitting.relations import NUMERIC, near_deterministic
from dbsynth.model import ColumnFit, Relation, fk_id
from dbsynth.schema import Schema, Table


def parent_base(relationship: str, column: str) -> str:
    """The name of a parent column as the base of a child's relation."""
    return f"^{relationship}.{column}"


def _numbers(fits: Sequence[ColumnFit], table: Table, skip: set[str]) -> list[ColumnFit]:
    return [
        f
        for f in fits
        if f.role == "value"
        and f.model is not None
        and f.name not in skip
        and table.column(f.name).logical in NUMERIC
        and f.model.get("kind") == "numeric"
    ]


def parent_relations(
    schema: Schema,
    table: Table,
    frame: pd.DataFrame,
    frames: Mapping[str, pd.DataFrame],
    fits: Mapping[str, Sequence[ColumnFit]],
    ctx: FitContext,
    skip: set[str],
    min_support: int,
) -> list[Relation]:
    """The ratios and gaps of ``table``'s numeric columns to a parent's (module docstring).
    ``frame``: the table's own sampled rows; ``frames`` and ``fits``: every sampled table's;
    ``skip``: columns never computed (keys, uniques, columns computed within the row)."""
    children = _numbers(fits.get(table.key, ()), table, skip)
    if not children or len(frame) < min_support:
        return []
    best: dict[str, tuple[float, Relation]] = {}
    for fk in table.foreign_keys:
        parent = frames.get(fk.ref_table)
        if fk.ref_table == table.key or parent is None or not schema.has_table(fk.ref_table):
            continue
        bases = _numbers(fits.get(fk.ref_table, ()), schema.table(fk.ref_table), set())
        if not bases or any(c not in frame.columns for c in fk.columns):
            continue
        # The parent's columns under names no child column has: ^<column>, and the keys \x00<i>.
        keys = {c: f"\x00{i}" for i, c in enumerate(fk.ref_columns)}
        right = parent[[*fk.ref_columns, *(b.name for b in bases if b.name not in keys)]]
        right = right.rename(columns={**keys, **{b.name: f"^{b.name}" for b in bases if b.name not in keys}})
        joined = frame[list(fk.columns)].merge(
            right.drop_duplicates(list(keys.values())),
            how="left",
            left_on=list(fk.columns),
            right_on=list(keys.values()),
        )
        rel_id = fk_id(table.key, fk.columns)
        for col in children:
            y = pd.to_numeric(frame[col.name], errors="coerce").to_numpy(dtype=np.float64)
            for base in bases:
                if f"^{base.name}" not in joined.columns:
                    continue  # a referenced key column: the FK itself, not a value
                x = pd.to_numeric(joined[f"^{base.name}"], errors="coerce").to_numpy(dtype=np.float64)
                found = near_deterministic(col, parent_base(rel_id, base.name), x, y, ctx, min_support)
                if found is not None and (col.name not in best or found[0] < best[col.name][0]):
                    best[col.name] = found
    return [rel for _, rel in best.values()]
