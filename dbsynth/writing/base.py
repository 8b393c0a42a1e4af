"""The writer contract: what the engine hands a target, and what a target promises back.

A load goes through three steps, all driven by the engine:

1. ``target.open(spec)`` checks the target before anything is written (it is not the source;
   every table to load exists or ``spec.create_schema`` creates it; tables are empty unless
   ``spec.if_exists`` says ``truncate`` or ``append``; the role may write), prepares the cut
   foreign keys of ``spec.breaks`` (see ``dbsynth.cycles``) and returns a :class:`Sink`. Nothing
   is written to the target when ``open`` raises.
2. ``sink.write(item)`` for every :class:`Batch` (rows to insert, tables in ``spec.tables`` order,
   each table's batches in row order) and every :class:`Update` (values set after the fact, for
   ``null_then_update`` breaks).
3. ``sink.close(ok)``: with ``ok=True`` re-enables and validates what ``open`` disabled, resets
   sequences and identities past the written keys, commits, and returns a :class:`LoadResult`;
   with ``ok=False`` rolls back what it can and returns what was left behind.

Batch frames hold one column per ``TableLoad.columns`` entry, in that order, with these value
types per logical type (NULL is ``None``/``NaN``/``NaT``/``pd.NA``):

=================  ==========================================================================
integer            int64 (or pandas ``Int64`` when there are NULLs)
decimal, float     float64 (decimal already rounded to the column's scale)
boolean            bool (or pandas ``boolean``)
string, text, enum str
date               datetime64 at midnight
time               timedelta64 since midnight
timestamp          datetime64[us]
timestamptz        datetime64[us, UTC]
interval           timedelta64[us]
uuid               str (canonical 36-character form)
json               Python objects (dict, list, str, number, bool)
bytes              bytes
array              list (nested lists for more dimensions)
set                tuple of labels
other              str in the source dialect's text form
=================  ==========================================================================

Every target also ships in memory (:class:`dbsynth.writing.memory.MemoryTarget`): the fake is a
product, used by the Python API and by tests that check generation without a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

# The engine's output and the planner's load spec are part of this contract, but they are
# defined by the layers that make them (a sink may import the engine's types; the engine may
# not import the sinks). Re-exported here so a sink finds its whole contract in one module.
from dbsynth.generation.batch import Batch, Update
from dbsynth.planning.load import IfExists, LoadSpec, TableLoad


@dataclass(frozen=True)
class LoadResult:
    """What a load did: rows written per table, whether it committed, and what it left behind.

    After a failed load (``committed`` False) the last note says what the target kept, as a
    clause an error message can end with ("the load was rolled back and the target is
    unchanged"), and ``left_behind`` names the tables a failure could not undo (MySQL's DDL)."""

    rows: dict[str, int]
    committed: bool
    left_behind: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Encoded:
    """A :class:`Batch` already in the form the sink sends (PostgreSQL: COPY text), made by the
    sink's ``encode`` where the rows are generated (another process with ``--jobs 2``)."""

    table: str
    rows: int
    data: bytes


class Sink(Protocol):
    """An open load. ``key_start`` maps ``(table, column)`` to the first value the engine may use
    for an engine-numbered key (1, or past the existing maximum with ``if_exists='append'``)."""

    key_start: Mapping[tuple[str, str], int]

    def write(self, item: Batch | Update | Encoded) -> None:
        """Write one item; an :class:`Encoded` only comes from this sink's own ``encode``."""
        ...

    def close(self, ok: bool) -> LoadResult: ...


class Target(Protocol):
    """Something rows can be loaded into: a database, a directory of files, memory."""

    def open(self, spec: LoadSpec) -> Sink: ...

    def describe(self) -> str:
        """Where the rows go, safe to print (no password)."""
        ...


__all__ = ["Batch", "Encoded", "IfExists", "LoadResult", "LoadSpec", "Sink", "TableLoad", "Target", "Update"]
