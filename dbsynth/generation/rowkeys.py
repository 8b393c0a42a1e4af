"""Keys that follow from the row index alone, for finding or referencing rows without keeping them.

An engine-numbered key is ``start + index``; a UUID key or a numbered text key is the row index
through the table's keyed bijection into the column's value space
(:mod:`dbsynth.planning.unique_keys`). Either way the value of row *i* is known before the row is
generated and after it is gone, which is what two cycle cuts need:

* an FK written NULL and set by UPDATE once its parent exists finds the child rows by this key;
* an FK written ahead of its parent (a target that cannot UPDATE, a deferred or disabled
  constraint) computes the parent's key values this way.
"""

from __future__ import annotations

import numpy as np

from dbsynth.generation.keys import KeySource
from dbsynth.generation.store import Run
from dbsynth.generation.values import coerce_column
from dbsynth.planning.unique_keys import UniqueConstruction, construct_uniques, table_salt


def construction_of(run: Run, table_key: str) -> UniqueConstruction:
    """How ``table_key``'s keys are built in this run (the same for every caller)."""
    tp = run.plan.table(table_key)
    return construct_uniques(
        run.model.schema.table(table_key),
        run.model.table(table_key),
        tp.rows,
        tp.key_columns,
        table_salt(run.plan.seed, tp.stream),
        tp.row_key,
    )


def computed_keys(
    run: Run, table_key: str, construction: UniqueConstruction | None = None
) -> KeySource | None:
    """The row key of ``table_key`` (:meth:`UniqueConstruction.row_key`) as a KeySource that
    computes the written values from row indexes; None when the table has none."""
    table = run.model.schema.table(table_key)
    built = construction or construction_of(run, table_key)
    columns = built.row_key(table)
    if not columns:
        return None

    def compute(index: np.ndarray) -> list[np.ndarray]:
        got: dict[str, np.ndarray] = {}
        for group in built.numbered:
            if set(group.columns) & set(columns):
                got.update(group.values(index))
        coerced = (coerce_column(table.column(c), got[c], None) for c in columns)
        return [series.to_numpy(dtype=object, copy=True) for series in coerced]

    return KeySource(columns, compute=compute)
