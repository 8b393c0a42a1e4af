"""What sampling gives: the frames, and how each table was sampled (:class:`TableSampleInfo`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from dbsynth.schema import ForeignKey

SampleMethod = Literal["whole", "random", "families"]


@dataclass(frozen=True)
class TableSampleInfo:
    """How one table was sampled.

    Invariants: the table's frame has ``rows_sampled + rows_added`` rows, its own rows first;
    ``rows_sampled <= sample_rows``; ``method == "whole"`` means every row of the table is in the
    frame (and ``rows_total == rows_sampled``). ``rows_total`` counts the rows matching the table's
    ``where`` filter when it has one; it is exact when ``rows_total_exact``, else the catalog's
    estimate. ``driver`` is the FK whose parent families were taken (method ``families``) and
    ``parents_covered`` how many leading rows of the parent's frame have all their children here.
    ``dangling`` maps ``"cols -> parent"`` to the number of rows whose FK value is not in the
    parent's frame (only self-references and cycle-closing FKs can have any).
    """

    table: str
    method: SampleMethod
    rows_total: int
    rows_total_exact: bool
    rows_sampled: int
    rows_added: int = 0
    driver: ForeignKey | None = None
    parents_covered: int = 0
    dangling: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def whole(self) -> bool:
        return self.method == "whole"

    @property
    def fraction(self) -> float:
        """Share of the table's rows taken by its own rule (1.0 for an empty table)."""
        return min(1.0, self.rows_sampled / self.rows_total) if self.rows_total else 1.0


@dataclass(frozen=True)
class Sample:
    """Frames keyed by table key (in FK order), with how each was sampled."""

    frames: dict[str, pd.DataFrame]
    info: dict[str, TableSampleInfo]

    def covered_parents(self, child: str, fk: ForeignKey) -> int:
        """How many leading rows of the parent's frame have *all* their children through ``fk``
        in ``child``'s frame: every row when the child was read whole, the driver's covered
        parents for a ``families`` child, else none. Children-per-parent (zeros included) is
        exact over exactly these parents."""
        info = self.info[child]
        if info.whole:
            return len(self.frames[fk.ref_table])
        return info.parents_covered if info.driver == fk else 0


def fk_text(fk: ForeignKey) -> str:
    """``customer_id -> public.customer``: how FKs are named in :attr:`TableSampleInfo.dangling`."""
    cols = fk.columns[0] if len(fk.columns) == 1 else "(" + ", ".join(fk.columns) + ")"
    return f"{cols} -> {fk.ref_table}"
