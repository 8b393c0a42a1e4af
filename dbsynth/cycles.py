"""Which foreign keys to cut so that a schema with FK cycles can still be loaded, and how.

A strongly connected set of tables (sakila's ``store.manager_staff_id → staff`` and
``staff.store_id → store``) has no order in which every parent is written before its children.
dbsynth does not reject such schemas: it cuts a few FKs of each cycle so the rest is acyclic,
and records for every cut FK how the writer keeps the constraint honest. The strategies, from
the cheapest (preferred) to the costliest:

``virtual``
    The FK is declared in dbsynth's config only; the target has no such constraint, so nothing
    has to happen at write time.
``null_then_update``
    Every column of the FK is nullable: the child rows are written with NULL there and an
    UPDATE sets the values once the parent table is loaded. Preferred over deferral because it
    keeps each table an independent, streamable load.
``deferred``
    The constraint is DEFERRABLE: the cycle's tables are written in one transaction with the
    constraint deferred to COMMIT. Costlier than NULLs because the whole cycle becomes one
    transaction, and PostgreSQL queues one pending trigger event per written row until COMMIT.
``disable_and_validate``
    NOT NULL and not deferrable, like both keys of sakila's store↔staff cycle: no order of
    separate INSERTs works and no NULL can stand in. The writer disables the constraint for the
    load and proves it afterwards:

    * PostgreSQL: drop the constraint inside the load transaction and re-add it before COMMIT.
      ``ADD CONSTRAINT`` makes the server validate every row, so the result is checked by the
      database, not assumed (``session_replication_role = replica`` would skip the check
      silently and needs a superuser; a writable CTE inserting both tables in one statement
      does not fit a per-table COPY stream).
    * MySQL/MariaDB: ``FOREIGN_KEY_CHECKS=0`` for the load (InnoDB checks row by row, so even
      one transaction does not help), then an explicit anti-join per cut FK, because turning
      the checks back on does not re-check the rows written meanwhile.
    * SQLite: ``PRAGMA defer_foreign_keys = ON`` defers every FK check to COMMIT, which then
      validates them.

A self-referencing FK (``employee.reports_to``) is never cut: rows are generated so that each
one references an earlier row or itself, which every backend accepts in one table load.

Choosing the cuts is a minimum feedback-arc-set problem, weighted lexicographically: first as
few ``disable_and_validate`` cuts as possible, then as few ``deferred``, then ``null_then_update``,
then ``virtual`` ones; ties go to the smallest edge id, so the choice is deterministic. Real
cycles are small (two or three tables), so components with up to ``EXACT_LIMIT`` FKs are solved
exactly by enumeration; larger ones use a greedy cut plus a pruning pass. Either way every cut is
necessary: putting any one back closes a cycle, which also means the child of a cut FK always
comes before its parent in the insertion order.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations, pairwise
from typing import Any

import networkx as nx

from dbsynth.schema import ForeignKey

# Components with more FKs than this are cut greedily: the exact search visits 2**n subsets.
EXACT_LIMIT = 12

# An edge of the FK graph: (parent, child, key), parent → child as in ``graph.fk_graph``.
Edge = tuple[str, str, Hashable]


class BreakStrategy(StrEnum):
    """How the writer honours a foreign key cut out of a cycle (see the module docstring)."""

    VIRTUAL = "virtual"
    NULL_THEN_UPDATE = "null_then_update"
    DEFERRED = "deferred"
    DISABLE_AND_VALIDATE = "disable_and_validate"


# Cheapest first; the position is the weight used when choosing cuts.
SEVERITY: tuple[BreakStrategy, ...] = (
    BreakStrategy.VIRTUAL,
    BreakStrategy.NULL_THEN_UPDATE,
    BreakStrategy.DEFERRED,
    BreakStrategy.DISABLE_AND_VALIDATE,
)


def strategy_for(*, nullable: bool, deferrable: bool, virtual: bool) -> BreakStrategy:
    """The cheapest strategy available to an FK with these properties."""
    if virtual:
        return BreakStrategy.VIRTUAL
    if nullable:
        return BreakStrategy.NULL_THEN_UPDATE
    if deferrable:
        return BreakStrategy.DEFERRED
    return BreakStrategy.DISABLE_AND_VALIDATE


@dataclass(frozen=True)
class CycleBreak:
    """A foreign key cut out of a cycle.

    ``table`` is the key of the table holding ``foreign_key`` (the child); ``strategy`` is how
    the writer honours it; ``reason`` is one human sentence saying why. ``cycle`` is a shortest
    cycle this FK closes, as table keys following references, starting and ending at the FK's
    parent: ``("store", "staff", "store")`` for a cut ``staff.store_id → store``.
    Invariant: in the plan's order ``table`` comes before ``foreign_key.ref_table``.
    """

    table: str
    foreign_key: ForeignKey
    strategy: BreakStrategy
    reason: str
    cycle: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return fk_label(self.table, self.foreign_key)


def fk_label(table: str, fk: ForeignKey) -> str:
    """``staff.store_id`` for one column, ``orders.(region, customer_no)`` for a composite key."""
    cols = fk.columns[0] if len(fk.columns) == 1 else "(" + ", ".join(fk.columns) + ")"
    return f"{table}.{cols}"


def edge_strategy(data: dict[str, Any]) -> BreakStrategy:
    """The strategy a cut of this ``fk_graph`` edge (given its data) would use."""
    return strategy_for(nullable=data["nullable"], deferrable=data["deferrable"], virtual=data["virtual"])


def edge_id(graph: nx.MultiDiGraph, edge: Edge) -> tuple[str, tuple[str, ...], str, int]:
    """A total, content-based order on FK edges: child, columns, parent, position in the child."""
    parent, child, key = edge
    data = graph.edges[parent, child, key]
    return (child, data["fk"].columns, parent, data["index"])


def _weight(graph: nx.MultiDiGraph, edge: Edge) -> int:
    """The cost class of cutting ``edge``: twice its strategy's position in ``SEVERITY``, except
    that a virtual key the fit inferred (``ForeignKey.inferred``) sits between ``null_then_update``
    and ``deferred``. Cutting it needs no deferral either, but its values must then be written
    before the parent exists, from keys numbered by row (``city.countrycode`` would get made-up
    country codes spread evenly), while a nullable declared key of the same cycle, set by UPDATE,
    loses nothing. A key declared in the config keeps its place: its author chose it."""
    data = graph.edges[edge]
    strategy = edge_strategy(data)
    if strategy is BreakStrategy.VIRTUAL and data["fk"].inferred is not None:
        return 2 * SEVERITY.index(BreakStrategy.NULL_THEN_UPDATE) + 1
    return 2 * SEVERITY.index(strategy)


def _acyclic_without(nodes: Sequence[str], edges: Sequence[Edge], cut: set[Edge]) -> bool:
    dg = nx.DiGraph()
    dg.add_nodes_from(nodes)
    dg.add_edges_from((p, c) for p, c, k in edges if (p, c, k) not in cut)
    return nx.is_directed_acyclic_graph(dg)


def component_edges(graph: nx.MultiDiGraph, component: Iterable[str]) -> list[Edge]:
    """The FK edges inside a component, self-references excluded, sorted by :func:`edge_id`."""
    members = set(component)
    edges = [(p, c, k) for p, c, k in graph.edges(keys=True) if p in members and c in members and p != c]
    return sorted(edges, key=lambda e: edge_id(graph, e))


def choose_cuts(
    graph: nx.MultiDiGraph, component: Iterable[str], exact_limit: int = EXACT_LIMIT
) -> list[Edge]:
    """The FK edges to cut so that ``component`` (a strongly connected set of tables) becomes acyclic.

    Exact minimum of the lexicographic cost (see the module docstring) when the component has at
    most ``exact_limit`` FKs, otherwise greedy; always minimal (no cut can be put back) and
    sorted by :func:`edge_id`.
    """
    nodes = sorted(component)
    edges = component_edges(graph, nodes)
    cuts = _exact(graph, nodes, edges) if len(edges) <= exact_limit else _greedy(graph, nodes, edges)
    return sorted(cuts, key=lambda e: edge_id(graph, e))


def _cost(graph: nx.MultiDiGraph, cut: Iterable[Edge]) -> tuple[int, ...]:
    counts = [0] * (2 * len(SEVERITY))
    for e in cut:
        counts[_weight(graph, e)] += 1
    return tuple(reversed(counts))  # costliest strategy counts first


def _exact(graph: nx.MultiDiGraph, nodes: Sequence[str], edges: Sequence[Edge]) -> list[Edge]:
    best: tuple[tuple[int, ...], list[int]] | None = None
    for size in range(1, len(edges) + 1):
        for combo in combinations(range(len(edges)), size):
            cut = [edges[i] for i in combo]
            # combinations() yields index tuples in lexicographic order, and edges are sorted by
            # id, so the first subset found at a given cost is the deterministic tie-break.
            key = (_cost(graph, cut), list(combo))
            if best is not None and key >= best:
                continue
            if _acyclic_without(nodes, edges, set(cut)):
                best = key
    assert best is not None, "cutting every edge of a component always leaves it acyclic"
    return [edges[i] for i in best[1]]


def _greedy(graph: nx.MultiDiGraph, nodes: Sequence[str], edges: Sequence[Edge]) -> list[Edge]:
    def rank(e: Edge) -> tuple[int, tuple[str, tuple[str, ...], str, int]]:
        return (_weight(graph, e), edge_id(graph, e))

    cut: set[Edge] = set()
    while True:
        rest = nx.MultiDiGraph()
        rest.add_nodes_from(nodes)
        rest.add_edges_from(e for e in edges if e not in cut)
        try:
            cycle = nx.find_cycle(rest)
        except nx.NetworkXNoCycle:
            break
        cut.add(min(((p, c, k) for p, c, k, *_ in cycle), key=rank))
    # Put back whatever is not needed, costliest first, so the result is minimal.
    for e in sorted(cut, key=rank, reverse=True):
        if _acyclic_without(nodes, edges, cut - {e}):
            cut.discard(e)
    return list(cut)


def references_path(edges: Iterable[Edge], source: str, target: str) -> list[str] | None:
    """A shortest path ``source ⇝ target`` following references (child → parent) over ``edges``."""
    pairs = sorted({(c, p) for p, c, _ in edges})
    refs = nx.DiGraph()
    refs.add_nodes_from(sorted({n for pair in pairs for n in pair}))
    refs.add_edges_from(pairs)
    if source not in refs or target not in refs:
        return None
    try:
        return list(nx.shortest_path(refs, source, target))
    except nx.NetworkXNoPath:
        return None


def cycle_through(edges: Sequence[Edge], edge: Edge) -> tuple[str, ...]:
    """A shortest cycle closed by ``edge`` over ``edges`` (the edges of its strongly connected
    component), as in :attr:`CycleBreak.cycle`."""
    parent, child, _ = edge
    path = references_path(edges, parent, child)
    # Inside a strongly connected component the parent always reaches the child by references.
    assert path is not None, f"{child} -> {parent} is not inside a cycle"
    return (*path, parent)


def describe_cut(graph: nx.MultiDiGraph, edge: Edge) -> str:
    """The one-sentence reason recorded in :attr:`CycleBreak.reason`."""
    parent, child, _ = edge
    data = graph.edges[edge]
    label = fk_label(child, data["fk"])
    strategy = edge_strategy(data)
    if strategy is BreakStrategy.VIRTUAL:
        return f"{label} is a virtual key (no constraint in the target); nothing has to be deferred"
    if strategy is BreakStrategy.NULL_THEN_UPDATE:
        return f"{label} is nullable; it is written as NULL and set by an UPDATE once {parent} is loaded"
    if strategy is BreakStrategy.DEFERRED:
        return f"{label} is DEFERRABLE; the cycle is written in one transaction with the constraint deferred"
    return (
        f"{label} is NOT NULL and not deferrable; "
        "the constraint is disabled during the load and validated after"
    )


def hard_cycle_message(graph: nx.MultiDiGraph, component: Sequence[str], cuts: Sequence[Edge]) -> str | None:
    """The strict-mode error for a component that needs ``disable_and_validate``, else None.

    It names a cycle made only of NOT NULL, non-deferrable keys: one exists whenever such a cut
    is chosen (otherwise cutting the cheaper keys alone would have been cheaper), and it runs
    through one of the hard cuts.
    """
    hard = [
        e
        for e in component_edges(graph, component)
        if edge_strategy(graph.edges[e]) is BreakStrategy.DISABLE_AND_VALIDATE
    ]
    for edge in cuts:
        if edge not in hard:
            continue
        parent, child, _ = edge
        path = references_path([e for e in hard if e != edge], parent, child)
        if path is None:
            continue
        tables = [*path, parent]
        labels = []
        for a, b in pairwise(path):
            # a references b: name the first hard FK of a that points at b, in edge-id order
            step = next(e for e in hard if e[1] == a and e[0] == b)
            labels.append(fk_label(a, graph.edges[step]["fk"]))
        labels.append(fk_label(child, graph.edges[edge]["fk"]))
        return (
            f"foreign-key cycle {' -> '.join(tables)} has only NOT NULL, non-deferrable keys "
            f"({', '.join(labels)}); make one of them nullable or DEFERRABLE, or leave strict mode "
            "so the writer disables the constraint during the load and validates it after"
        )
    return None
