"""Tests of dbsynth.graph / dbsynth.cycles: the FK graph, the insertion order and the cycle cuts.

Fixture pairs in ``tests/fixtures/graph`` (``X.schema`` in, ``X.plan`` out; the language is in
``tests/helpers_graph.py``), the sample databases through real introspection, strict mode's
message, and hypothesis properties on random FK graphs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbsynth.cycles import (
    SEVERITY,
    BreakStrategy,
    Edge,
    choose_cuts,
    component_edges,
    edge_strategy,
    strategy_for,
)
from dbsynth.errors import CycleError, SchemaError
from dbsynth.graph import (
    InsertionPlan,
    children,
    describe_plan,
    fk_graph,
    parents,
    plan_insertion,
)
from dbsynth.schema import Column, ForeignKey, LogicalType, Schema, Table
from dbsynth.serde import from_data, to_data

from helpers_graph import FIXTURES, cases, parse_schema, read_plan, render_plan


def load(case: str) -> Schema:
    return parse_schema((FIXTURES / f"{case}.schema").read_text(encoding="utf-8"))


def check_plan(schema: Schema, plan: InsertionPlan) -> None:
    """The invariants InsertionPlan promises, checked against the schema."""
    assert sorted(plan.order) == sorted(schema.table_keys)
    assert len(set(plan.order)) == len(plan.order)
    assert sorted(t for level in plan.levels for t in level) == sorted(schema.table_keys)
    pos = {t: i for i, t in enumerate(plan.order)}
    depth = {t: d for d, level in enumerate(plan.levels) for t in level}
    cyclic = {t for c in plan.cycles for t in c}
    kept = nx.DiGraph()
    kept.add_nodes_from(schema.table_keys)
    for table in schema.tables:
        for fk in table.foreign_keys:
            if fk.ref_table == table.key:
                assert table.key in plan.self_references
                continue
            cut = plan.break_for(table.key, fk)
            if cut is None:
                assert pos[fk.ref_table] < pos[table.key], f"{fk.ref_table} must precede {table.key}"
                assert depth[fk.ref_table] < depth[table.key]
                kept.add_edge(fk.ref_table, table.key)
            else:
                assert pos[table.key] < pos[fk.ref_table]
                assert {table.key, fk.ref_table} <= cyclic
                nullable = all(table.column(c).nullable for c in fk.columns)
                assert cut.strategy is strategy_for(
                    nullable=nullable, deferrable=fk.deferrable, virtual=fk.virtual
                )
                assert cut.cycle[0] == cut.cycle[-1] == fk.ref_table and cut.cycle[-2] == table.key
    # every cut is necessary: putting it back alone closes a cycle
    for b in plan.breaks:
        again = kept.copy()
        again.add_edge(b.foreign_key.ref_table, b.table)
        assert not nx.is_directed_acyclic_graph(again), f"{b.label} was cut needlessly"


# -- fixture pairs --------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases())
def test_fixture(case: str) -> None:
    schema = load(case)
    plan = plan_insertion(schema)
    assert render_plan(plan) == read_plan(FIXTURES / f"{case}.plan")
    check_plan(schema, plan)


def test_every_fixture_has_its_expected_plan() -> None:
    assert len(cases()) >= 10
    plans = {p.stem for p in FIXTURES.glob("*.plan")}
    assert plans == set(cases())


# -- the graph itself -----------------------------------------------------------------------


def test_fk_graph_edges_carry_the_foreign_key_and_its_flags() -> None:
    schema = parse_schema(
        """
        language
        film: language_id -> language named film_language_fk; original_language_id? -> language
        employee: reports_to? -> employee deferrable
        """
    )
    g = fk_graph(schema)
    assert sorted(g.nodes) == ["employee", "film", "language"]
    assert sorted(g.edges(keys=True)) == [
        ("employee", "employee", "#0"),
        ("language", "film", "#1"),
        ("language", "film", "film_language_fk"),
    ]
    named = g.edges["language", "film", "film_language_fk"]
    assert named["fk"] == schema.table("film").foreign_keys[0]
    assert (named["nullable"], named["deferrable"], named["self_ref"]) == (False, False, False)
    assert g.edges["language", "film", "#1"]["nullable"] is True
    self_ref = g.edges["employee", "employee", "#0"]
    assert (self_ref["nullable"], self_ref["deferrable"], self_ref["self_ref"]) == (True, True, True)


def test_fk_to_a_table_outside_the_schema_is_a_schema_error() -> None:
    schema = parse_schema("film: language_id -> languages\nlanguage")
    with pytest.raises(SchemaError) as err:
        fk_graph(schema)
    assert str(err.value) == "film.language_id references unknown table 'languages'. Did you mean 'language'?"


def test_parents_and_children() -> None:
    schema = load("notnull_2cycle")
    assert parents(schema, "store") == ("address", "staff")
    assert children(schema, "store") == ("customer", "staff")
    assert parents(schema, "address") == ()
    assert children(load("self_ref"), "employee") == ("customer",)  # itself excluded
    with pytest.raises(SchemaError, match=r"^unknown table 'stores'\. Did you mean 'store'\?$"):
        parents(schema, "stores")


def test_plan_is_plain_data_that_round_trips() -> None:
    plan = plan_insertion(load("composite"))
    data = to_data(plan)
    assert data["breaks"][1]["strategy"] == "deferred"
    assert from_data(InsertionPlan, data) == plan


def test_plan_lookups() -> None:
    schema = load("notnull_2cycle")
    plan = plan_insertion(schema)
    staff, store = schema.table("staff"), schema.table("store")
    store_fk = next(fk for fk in staff.foreign_keys if fk.ref_table == "store")
    assert plan.break_for("staff", store_fk) == plan.breaks[0]
    assert plan.break_for("store", store.foreign_keys[1]) is None
    assert plan.breaks_of("staff") == plan.breaks and plan.breaks_of("store") == ()
    assert plan.strategies == {BreakStrategy.DISABLE_AND_VALIDATE}


# -- describe and strict --------------------------------------------------------------------


def test_describe_plan_for_a_not_null_cycle() -> None:
    assert describe_plan(plan_insertion(load("notnull_2cycle"))) == [
        "insertion order (4 tables): address, staff, store, customer",
        "store → staff → store: staff.store_id is NOT NULL and not deferrable; "
        "the constraint is disabled during the load and validated after",
    ]


def test_describe_plan_for_each_strategy_and_self_references() -> None:
    assert describe_plan(plan_insertion(load("composite")))[1:] == [
        "sales.region → sales.depot → sales.region: sales.depot.(region_code, region_country) is "
        "nullable; it is written as NULL and set by an UPDATE once sales.region is loaded",
        "sales.region → sales.warehouse → sales.region: sales.warehouse.(region_code, region_country) "
        "is DEFERRABLE; the cycle is written in one transaction with the constraint deferred",
    ]
    assert describe_plan(plan_insertion(load("virtual_cycle")))[1:] == [
        "invoice → payment → invoice: payment.last_invoice_id is a virtual key (no constraint in the "
        "target); nothing has to be deferred",
    ]
    assert describe_plan(plan_insertion(load("self_ref"))) == [
        "insertion order (3 tables): category, employee, customer",
        "category references itself: each row references an earlier row or itself",
        "employee references itself: each row references an earlier row or itself",
        "no foreign-key cycles",
    ]


def test_strict_mode_names_the_cycle_and_its_keys() -> None:
    with pytest.raises(CycleError) as err:
        plan_insertion(load("notnull_2cycle"), strict=True)
    assert str(err.value) == (
        "foreign-key cycle store -> staff -> store has only NOT NULL, non-deferrable keys "
        "(store.manager_staff_id, staff.store_id); make one of them nullable or DEFERRABLE, "
        "or leave strict mode so the writer disables the constraint during the load and validates it after"
    )


def test_strict_mode_names_a_cycle_of_hard_keys_only() -> None:
    # a -> b -> c -> a is all NOT NULL; a <-> d has a nullable way out and must not be named
    schema = parse_schema(
        """
        a: b_id -> b; d_id -> d
        b: c_id -> c
        c: a_id -> a
        d: a_id? -> a
        """
    )
    with pytest.raises(CycleError) as err:
        plan_insertion(schema, strict=True)
    assert str(err.value).startswith(
        "foreign-key cycle b -> c -> a -> b has only NOT NULL, non-deferrable keys (b.c_id, c.a_id, a.b_id); "
    )


@pytest.mark.parametrize("case", ["nullable_2cycle", "deferrable_cycle", "composite", "virtual_cycle"])
def test_strict_mode_accepts_cycles_with_a_softer_cut(case: str) -> None:
    assert plan_insertion(load(case), strict=True) == plan_insertion(load(case))


# -- the sample databases -------------------------------------------------------------------

DATASETS = ["pagila", "sakila_pg", "chinook", "northwind", "world", "chinook_mysql", "sakila_mysql"]


def introspected(dataset_url: Callable[[str], str], name: str) -> Schema:
    from dbsynth.introspection import introspect

    return introspect(dataset_url(name))


@pytest.mark.parametrize("name", DATASETS)
def test_dataset_plans_put_every_parent_first(dataset_url: Callable[[str], str], name: str) -> None:
    schema = introspected(dataset_url, name)
    plan = plan_insertion(schema)
    check_plan(schema, plan)
    assert plan == plan_insertion(schema)


@pytest.mark.parametrize(("name", "prefix"), [("sakila_pg", "public."), ("sakila_mysql", "")])
def test_sakila_store_staff_cycle_is_cut(dataset_url: Callable[[str], str], name: str, prefix: str) -> None:
    plan = plan_insertion(introspected(dataset_url, name))
    staff, store = f"{prefix}staff", f"{prefix}store"
    assert plan.cycles == ((staff, store),)
    assert [(b.table, b.foreign_key.columns, b.strategy) for b in plan.breaks] == [
        (staff, ("store_id",), BreakStrategy.DISABLE_AND_VALIDATE)
    ]
    assert (
        f"{store} → {staff} → {store}: {staff}.store_id is NOT NULL and not deferrable; "
        "the constraint is disabled during the load and validated after"
    ) in describe_plan(plan)
    with pytest.raises(CycleError) as err:
        plan_insertion(introspected(dataset_url, name), strict=True)
    assert str(err.value).startswith(
        f"foreign-key cycle {store} -> {staff} -> {store} has only NOT NULL, non-deferrable keys "
        f"({store}.manager_staff_id, {staff}.store_id); "
    )


def test_pagila_store_staff_cycle_is_only_logical(dataset_url: Callable[[str], str]) -> None:
    plan = plan_insertion(introspected(dataset_url, "pagila"))
    assert (plan.cycles, plan.breaks, plan.self_references) == ((), (), ())
    assert plan.order.index("public.store") < plan.order.index("public.staff")


@pytest.mark.parametrize(
    ("name", "table"), [("chinook", "public.employee"), ("northwind", "public.employees")]
)
def test_self_references_are_not_cycles(dataset_url: Callable[[str], str], name: str, table: str) -> None:
    plan = plan_insertion(introspected(dataset_url, name))
    assert (plan.cycles, plan.breaks, plan.self_references) == ((), (), (table,))


# -- properties on random FK graphs ---------------------------------------------------------

Flags = tuple[bool, bool, bool]  # nullable, deferrable, virtual
flags = st.tuples(st.booleans(), st.booleans(), st.sampled_from([False, False, False, True]))


@st.composite
def fk_schemas(draw: st.DrawFn) -> Schema:
    """A random DAG of NOT NULL keys, then random back edges and self-references with random
    nullability, deferrability and virtuality; table names shuffled against the DAG order."""
    n = draw(st.integers(1, 9))
    names = draw(st.permutations([f"t{i}" for i in range(n)]))
    pairs = [(c, p) for c in range(n) for p in range(c)]
    forward = draw(st.lists(st.sampled_from(pairs), max_size=12)) if pairs else []
    back = draw(st.lists(st.tuples(st.sampled_from(pairs), flags), max_size=5)) if pairs else []
    selfs = draw(st.lists(st.tuples(st.integers(0, n - 1), flags), max_size=2))
    edges: list[tuple[int, int, Flags]] = [(c, p, (False, False, False)) for c, p in forward]
    edges += [(p, c, f) for (c, p), f in back]  # reversed: a parent now references its child
    edges += [(t, t, f) for t, f in selfs]
    tables = []
    for i, name in enumerate(names):
        cols = [Column("id", "integer", LogicalType.INTEGER, nullable=False)]
        fks = []
        for j, (child, parent, (nullable, deferrable, virtual)) in enumerate(edges):
            if child != i:
                continue
            col = f"fk{j}"
            cols.append(Column(col, "integer", LogicalType.INTEGER, nullable=nullable))
            fks.append(ForeignKey((col,), names[parent], ("id",), deferrable=deferrable, virtual=virtual))
        tables.append(Table(name=name, columns=tuple(cols), foreign_keys=tuple(fks)))
    return Schema(dialect="postgresql", tables=tuple(tables))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schema=fk_schemas(), seed=st.integers(0, 2**32 - 1))
def test_random_graphs_give_valid_deterministic_plans(schema: Schema, seed: int) -> None:
    plan = plan_insertion(schema)
    check_plan(schema, plan)
    assert plan == plan_insertion(schema)
    shuffled = list(schema.tables)
    random.Random(seed).shuffle(shuffled)
    assert plan_insertion(replace(schema, tables=tuple(shuffled))) == plan
    assert from_data(InsertionPlan, to_data(plan)) == plan
    hard = any(b.strategy is BreakStrategy.DISABLE_AND_VALIDATE for b in plan.breaks)
    if hard:
        with pytest.raises(CycleError, match=r"^foreign-key cycle .* has only NOT NULL, non-deferrable keys"):
            plan_insertion(schema, strict=True)
    else:
        assert plan_insertion(schema, strict=True) == plan


def _severity_counts(graph: nx.MultiDiGraph, cuts: list[Edge]) -> tuple[int, ...]:
    """Cut counts per strategy, costliest first: the order choose_cuts minimises."""
    counts = [sum(edge_strategy(graph.edges[e]) is s for e in cuts) for s in SEVERITY]
    return tuple(reversed(counts))


@settings(max_examples=100, deadline=None)
@given(schema=fk_schemas())
def test_greedy_cuts_are_valid_minimal_and_never_cheaper_than_exact(schema: Schema) -> None:
    graph = fk_graph(schema)
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        edges = component_edges(graph, component)
        exact = choose_cuts(graph, component)
        greedy = choose_cuts(graph, component, exact_limit=0)
        for cuts in (exact, greedy):
            rest = nx.DiGraph([(p, c) for p, c, k in edges if (p, c, k) not in cuts])
            assert nx.is_directed_acyclic_graph(rest)
            for e in cuts:
                back = nx.DiGraph([(p, c) for p, c, k in edges if (p, c, k) not in cuts or (p, c, k) == e])
                assert not nx.is_directed_acyclic_graph(back)
        if len(edges) <= 12:
            assert _severity_counts(graph, exact) <= _severity_counts(graph, greedy)
