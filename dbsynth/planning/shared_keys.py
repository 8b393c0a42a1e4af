"""Disjoint key ranges for tables that share one numbering.

An engine-numbered key is ``start + row index``, and the start is the sink's (1, or past the
rows already there when appending). Some tables' keys live in one space, though:

* a PostgreSQL inheritance child's rows are also its parent's (``SELECT id FROM payment`` reads
  ``payment_p2007_01`` too), so a parent and its children numbered from 1 each repeat keys there;
* tables whose key defaults draw from one sequence (sakila's payment children, or any two tables
  with ``DEFAULT nextval('s')``) were given distinct keys by that sequence in the source.

Such tables get consecutive ranges: the first table of a group (in the plan's order) starts at
the largest start of the group, each next one right after the rows planned before it. The
target's sequence reset already takes the largest key over every table that uses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from dbsynth.planning.plan import Plan
from dbsynth.schema import Schema

Slot = tuple[str, str]  # (table key, column)

_NEXTVAL = re.compile(r"""nextval\(\s*'((?:[^']|'')+)'""", re.IGNORECASE)


def disjoint_key_starts(plan: Plan, schema: Schema, key_start: Mapping[Slot, int]) -> dict[Slot, int]:
    """``key_start`` with the starts of each group of the module docstring moved apart."""
    out = dict(key_start)
    rows = {t.table: t.rows for t in plan.tables}
    for group in _groups(plan, schema):
        start = max(_start(schema, slot, key_start) for slot in group)
        for slot in group:
            out[slot] = start
            start += rows[slot[0]]
    return out


def _start(schema: Schema, slot: Slot, key_start: Mapping[Slot, int]) -> int:
    column = schema.table(slot[0]).column(slot[1])
    default = column.identity.start if column.identity is not None else 1
    return int(key_start.get(slot, default))


def _groups(plan: Plan, schema: Schema) -> list[list[Slot]]:
    """Groups of two or more numbered key columns sharing a numbering, each in plan order."""
    slots = [(t.table, c) for t in plan.tables if not t.copy for c in t.key_columns]
    order = {slot: i for i, slot in enumerate(slots)}
    parent_of: dict[Slot, Slot] = {slot: slot for slot in slots}

    def find(slot: Slot) -> Slot:
        while parent_of[slot] != slot:
            parent_of[slot] = parent_of[parent_of[slot]]
            slot = parent_of[slot]
        return slot

    def join(linked: Iterable[Slot]) -> None:
        members = [s for s in linked if s in parent_of]
        for other in members[1:]:
            parent_of[find(other)] = find(members[0])

    by_sequence: dict[str, list[Slot]] = {}
    for table_key, column in slots:
        table = schema.table(table_key)
        for parent in table.inherits:
            join([(table_key, column), (parent, column)])  # inherits holds table keys
        match = _NEXTVAL.search(table.column(column).default or "")
        if match:
            by_sequence.setdefault(match.group(1).replace('"', "").lower(), []).append((table_key, column))
    for linked in by_sequence.values():
        join(linked)
    groups: dict[Slot, list[Slot]] = {}
    for slot in slots:
        groups.setdefault(find(slot), []).append(slot)
    return [sorted(g, key=order.__getitem__) for g in groups.values() if len(g) > 1]


__all__ = ["disjoint_key_starts"]
