"""Cycle cuts set after the fact: foreign keys written NULL, then UPDATEd once the parent exists.

A ``null_then_update`` FK (:mod:`dbsynth.planning.foreign_keys`) of a child table that comes
before its parent in the plan gets its parent indexes when the child is generated, like any
FK; the values are only known once the parent table is generated. The child registers a
:class:`PendingUpdate`; right after the parent's last batch the engine emits
:class:`~dbsynth.generation.batch.Update` items, chunk by chunk of the child, that find the
child rows by their engine-numbered key and set the FK columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbsynth.generation.batch import Update
from dbsynth.generation.keys import KeySource
from dbsynth.generation.store import TableStore
from dbsynth.schema import ForeignKey


@dataclass
class PendingUpdate:
    """A ``null_then_update`` FK of ``child``: the parent row index of every child row (-1: the
    FK stays NULL), and how to find the child rows again (``child_keys``)."""

    child: str
    fk: ForeignKey
    key_columns: tuple[str, ...]
    child_keys: KeySource
    parent_index: np.ndarray


def updates_after(
    parent: str,
    pending: list[PendingUpdate],
    stores: Mapping[str, TableStore],
    chunk_rows: Mapping[str, int],
) -> Iterator[Update]:
    """The UPDATEs that become possible now that ``parent`` is generated; they leave
    ``pending``. Each child is updated in chunks of its own ``chunk_rows``."""
    for p in [p for p in pending if p.fk.ref_table == parent]:
        pending.remove(p)
        source = stores[parent].keys[p.fk.ref_columns]
        step = chunk_rows[p.child]
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
