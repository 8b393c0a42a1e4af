"""The foreign-key graph of a :class:`~dbsynth.schema.Schema` and the order to load its tables in.

Built from the Schema alone (no database I/O) with networkx:

* :func:`fk_graph` — one node per table key, one edge ``parent → child`` per FK;
* :func:`plan_insertion` — an :class:`InsertionPlan`: every table once, parents before children,
  and for each FK cycle the FKs cut to break it, with how the writer keeps them honest;
* :func:`describe_plan` — the same plan as lines of text for ``dbsynth inspect`` and
  ``--dry-run`` (the plan is data; printing it is just another consumer).

Why cycles are cut and not rejected, and what each strategy makes the writer do (drop and re-add
the constraint on PostgreSQL, ``FOREIGN_KEY_CHECKS=0`` plus an anti-join check on MySQL,
``PRAGMA defer_foreign_keys`` on SQLite, for NOT NULL non-deferrable cycles like sakila's
store↔staff): see :mod:`dbsynth.cycles`.

Everything here is deterministic and depends on the schema's content only: nodes and edges are
added in sorted order and ties are broken by table key, so the same tables in another
declaration order give the same plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from dbsynth.cycles import (
    BreakStrategy,
    CycleBreak,
    Edge,
    choose_cuts,
    component_edges,
    cycle_through,
    describe_cut,
    edge_id,
    edge_strategy,
    fk_label,
    hard_cycle_message,
)
from dbsynth.errors import CycleError, SchemaError, did_you_mean
from dbsynth.schema import ForeignKey, Schema


@dataclass(frozen=True)
class InsertionPlan:
    """In which order to write the tables of a schema, and which FKs are cut to make that possible.

    Invariants:

    * ``order`` holds every table key exactly once; for every FK that is neither a
      self-reference nor listed in ``breaks``, the parent comes before the child;
    * ``levels`` partitions the same tables by depth: a table's level is the length of the
      longest chain of (uncut, non-self) parents above it, so tables of one level do not
      depend on each other; each level is sorted;
    * ``cycles`` are the strongly connected components with more than one table, each sorted,
      sorted among themselves; ``self_references`` the sorted keys of tables with a self-FK;
    * ``breaks`` are the cut FKs (only FKs inside a cycle), sorted by child table, columns and
      parent; every one is necessary, so its child precedes its parent in ``order``.

    Plain data: ``dbsynth.serde.to_data`` / ``from_data`` round-trip it exactly.
    """

    order: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...] = ()
    cycles: tuple[tuple[str, ...], ...] = ()
    self_references: tuple[str, ...] = ()
    breaks: tuple[CycleBreak, ...] = ()

    def break_for(self, table: str, fk: ForeignKey) -> CycleBreak | None:
        """The break recorded for ``fk`` of ``table`` (a table key), or None when it is not cut."""
        for b in self.breaks:
            if b.table == table and b.foreign_key == fk:
                return b
        return None

    def breaks_of(self, table: str) -> tuple[CycleBreak, ...]:
        """The cut FKs held by ``table`` (a table key)."""
        return tuple(b for b in self.breaks if b.table == table)

    @property
    def strategies(self) -> frozenset[BreakStrategy]:
        """The strategies the writer must support for this plan."""
        return frozenset(b.strategy for b in self.breaks)


def fk_graph(schema: Schema) -> nx.MultiDiGraph:
    """The FK graph: nodes are table keys, one edge ``parent → child`` per foreign key.

    Edge keys are the FK's name, or ``#i`` (its position in the child's ``foreign_keys``) when it
    has none. Edge data: ``fk`` (the :class:`ForeignKey`), ``child``, ``parent``, ``index``
    (position in the child), ``nullable`` (every FK column is nullable in the child),
    ``deferrable``, ``virtual`` and ``self_ref``.

    Raises :class:`SchemaError` for an FK whose parent is not a table of the schema or whose
    column the child does not have.
    """
    keys = set(schema.table_keys)
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(sorted(keys))
    edges: list[tuple[tuple[str, tuple[str, ...], str, int], str, dict[str, Any]]] = []
    for table in schema.tables:
        for index, fk in enumerate(table.foreign_keys):
            if fk.ref_table not in keys:
                raise SchemaError(
                    f"{fk_label(table.key, fk)} references unknown table '{fk.ref_table}'."
                    + did_you_mean(fk.ref_table, sorted(keys))
                )
            nullable = bool(fk.columns) and all(table.column(c).nullable for c in fk.columns)
            data = {
                "fk": fk,
                "child": table.key,
                "parent": fk.ref_table,
                "index": index,
                "nullable": nullable,
                "deferrable": fk.deferrable,
                "virtual": fk.virtual,
                "self_ref": fk.ref_table == table.key,
            }
            # the same content-based id as cycles.edge_id: child, columns, parent, position
            edges.append(((table.key, fk.columns, fk.ref_table, index), fk.name or f"#{index}", data))
    # Sorted insertion makes every networkx traversal below independent of declaration order.
    edges.sort(key=lambda e: e[0])
    for (child, _, parent, index), key, data in edges:
        if graph.has_edge(parent, child, key):  # an FK named "#1" next to an unnamed one
            key = f"{key}#{index}"
        graph.add_edge(parent, child, key, **data)
    return graph


def plan_insertion(schema: Schema, *, strict: bool = False) -> InsertionPlan:
    """The :class:`InsertionPlan` of ``schema``.

    With ``strict=True`` a cycle that can only be broken by disabling a NOT NULL,
    non-deferrable constraint raises :class:`CycleError` naming the cycle and its keys.
    """
    graph = fk_graph(schema)
    self_refs = tuple(sorted({c for p, c in graph.edges() if p == c}))
    components = sorted(tuple(sorted(c)) for c in nx.strongly_connected_components(graph) if len(c) > 1)

    cuts: list[Edge] = []
    breaks: list[tuple[tuple[str, tuple[str, ...], str, int], CycleBreak]] = []
    for component in components:
        chosen = choose_cuts(graph, component)
        if strict:
            message = hard_cycle_message(graph, component, chosen)
            if message:
                raise CycleError(message)
        inner = component_edges(graph, component)
        for edge in chosen:
            data = graph.edges[edge]
            cut = CycleBreak(
                table=data["child"],
                foreign_key=data["fk"],
                strategy=edge_strategy(data),
                reason=describe_cut(graph, edge),
                cycle=cycle_through(inner, edge),
            )
            breaks.append((edge_id(graph, edge), cut))
            cuts.append(edge)

    dag = graph.copy()
    dag.remove_edges_from([(p, c, k) for p, c, k in graph.edges(keys=True) if p == c])
    dag.remove_edges_from(cuts)
    return InsertionPlan(
        order=tuple(nx.lexicographical_topological_sort(dag)),
        levels=tuple(tuple(sorted(level)) for level in nx.topological_generations(dag)),
        cycles=tuple(components),
        self_references=self_refs,
        breaks=tuple(b for _, b in sorted(breaks, key=lambda pair: pair[0])),
    )


def parents(schema: Schema, table: str) -> tuple[str, ...]:
    """Sorted keys of the tables ``table`` references, itself excluded (see ``self_references``).

    ``table`` may be a key or an unambiguous bare name.
    """
    t = schema.table(table)
    return tuple(sorted({fk.ref_table for fk in t.foreign_keys} - {t.key}))


def children(schema: Schema, table: str) -> tuple[str, ...]:
    """Sorted keys of the tables that reference ``table``, itself excluded."""
    key = schema.table(table).key
    referencing = {t.key for t in schema.tables for fk in t.foreign_keys if fk.ref_table == key}
    return tuple(sorted(referencing - {key}))


def describe_plan(plan: InsertionPlan) -> list[str]:
    """Human-readable lines for ``plan``: the order, then one line per cut FK and per self-reference.

    A cut reads ``store → staff → store: staff.store_id is NOT NULL and not deferrable; the
    constraint is disabled during the load and validated after``.
    """
    lines = [f"insertion order ({len(plan.order)} tables): " + ", ".join(plan.order)]
    lines += [f"{' → '.join(b.cycle)}: {b.reason}" for b in plan.breaks]
    lines += [
        f"{table} references itself: each row references an earlier row or itself"
        for table in plan.self_references
    ]
    if not plan.cycles:
        lines.append("no foreign-key cycles")
    return lines


__all__ = [
    "BreakStrategy",
    "CycleBreak",
    "InsertionPlan",
    "children",
    "describe_plan",
    "fk_graph",
    "parents",
    "plan_insertion",
]
