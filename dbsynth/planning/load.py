"""What a target must know before the first row: the tables of a load, their columns and
counts, the cut foreign keys, and what to do with tables that already hold rows.

It is part of the plan (``--dry-run`` prints it) and is handed to ``Target.open``; it lives
with the planner that decides it, so that planning never imports the writers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dbsynth.cycles import CycleBreak
from dbsynth.options import IfExists
from dbsynth.schema import Schema


@dataclass(frozen=True)
class TableLoad:
    """One table of a load: its key, the columns written (generated columns excluded, in schema
    order), and how many rows the plan will write."""

    table: str
    columns: tuple[str, ...]
    rows: int


@dataclass(frozen=True)
class LoadSpec:
    """Everything a target must know before the first batch (plain data, printed by --dry-run).

    ``schema`` is the source schema: table keys, columns and constraints to create or expect.
    ``breaks`` are the cut foreign keys and how to honour each. ``key_columns`` lists, per table,
    the columns the engine numbers itself (sequences, identities), so ``append`` can start past
    the target's existing values and ``close`` can reset sequences.
    """

    schema: Schema
    tables: tuple[TableLoad, ...]
    breaks: tuple[CycleBreak, ...] = ()
    if_exists: IfExists = "fail"
    create_schema: bool = False
    key_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


__all__ = ["IfExists", "LoadSpec", "TableLoad"]
