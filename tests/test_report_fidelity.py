"""Fidelity per table and across FKs, schema matching and plot data, on hand-built frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dbsynth.report.build import fidelity_of_frames
from dbsynth.report.columns import classify_table
from dbsynth.report.fidelity import TableFrames, score_table
from dbsynth.report.overlap import match
from dbsynth.report.plots import OTHER, histogram
from dbsynth.schema import Column, ForeignKey, LogicalType, PrimaryKey, Schema, Table

INT, FLOAT, TEXT, TS = LogicalType.INTEGER, LogicalType.FLOAT, LogicalType.TEXT, LogicalType.TIMESTAMP


def table(name: str, *columns: tuple[str, LogicalType], fks: tuple[ForeignKey, ...] = ()) -> Table:
    return Table(
        name=name,
        columns=tuple(Column(c, t.value, t) for c, t in columns),
        primary_key=PrimaryKey(("id",)),
        foreign_keys=fks,
    )


REGION = table("region", ("id", INT), ("zone", TEXT), ("size", FLOAT))
CUSTOMER = table(
    "customer",
    ("id", INT), ("region_id", INT), ("tier", TEXT), ("credit", FLOAT),
    fks=(ForeignKey(("region_id",), "region", ("id",)),),
)  # fmt: skip
ORDERS = table(
    "orders",
    ("id", INT), ("customer_id", INT), ("amount", FLOAT), ("placed", TS),
    fks=(ForeignKey(("customer_id",), "customer", ("id",)),),
)  # fmt: skip
SCHEMA = Schema(dialect="postgresql", tables=(REGION, CUSTOMER, ORDERS))


def shop(seed: int, customers: int = 300) -> dict[str, pd.DataFrame]:
    """Regions by zone; gold customers live in the east, have more credit and order more, and
    bigger amounts (so zone relates to order amounts two hops away)."""
    rng = np.random.default_rng(seed)
    regions = pd.DataFrame(
        {
            "id": pd.array(range(1, 7), dtype="Int64"),
            "zone": ["north", "north", "south", "south", "east", "east"],
        }
    ).assign(size=[10.0, 12.0, 30.0, 33.0, 50.0, 52.0])
    region = rng.integers(1, 7, size=customers)
    gold = rng.random(customers) < np.where(region >= 5, 0.9, 0.05)
    tier = np.where(gold, "gold", "basic")
    cust = pd.DataFrame(
        {
            "id": pd.array(range(1, customers + 1), dtype="Int64"),
            "region_id": pd.array(region, dtype="Int64"),
            "tier": pd.array(tier, dtype="string"),
            "credit": np.where(gold, rng.normal(500, 50, customers), rng.normal(100, 30, customers)),
        }
    )
    per = rng.poisson(np.where(gold, 6, 1))
    owner = np.repeat(cust["id"].to_numpy(), per)
    big = np.repeat(gold, per)
    days = pd.to_timedelta(rng.integers(0, 365, len(owner)), "D")
    orders = pd.DataFrame(
        {
            "id": pd.array(range(1, len(owner) + 1), dtype="Int64"),
            "customer_id": pd.array(owner, dtype="Int64"),
            "amount": np.where(big, rng.normal(80, 10, len(owner)), rng.normal(20, 5, len(owner))),
            "placed": pd.Series(days + pd.Timestamp("2024-01-01")).astype("datetime64[us]"),
        }
    )  # fmt: skip
    return {"region": regions, "customer": cust, "orders": orders}


def frames_for(t: Table, source: pd.DataFrame, target: pd.DataFrame) -> TableFrames:
    return TableFrames(t, source, target, classify_table(t, source, 5), len(source), len(target), True)


def test_identical_database_scores_one_everywhere() -> None:
    data = shop(1)
    fidelity, infos = fidelity_of_frames(SCHEMA, data, {k: v.copy() for k, v in data.items()})
    assert infos["customer"]["tier"].kind == "categorical"
    assert infos["orders"]["customer_id"].kind == "id"
    values = (
        fidelity.overall, fidelity.column_shapes, fidelity.column_pair_trends, fidelity.cardinality,
        fidelity.inter_table_trends, fidelity.inter_table_two_hop, fidelity.null_rates, fidelity.row_counts,
    )  # fmt: skip
    assert values == (1.0,) * 8
    hops = sorted((i.path, i.hops) for i in fidelity.inter_table)
    assert hops == [
        (("customer", "region"), 1),
        (("orders", "customer"), 1),
        (("orders", "customer", "region"), 2),
    ]


def test_a_different_database_scores_below_one_with_known_cardinality() -> None:
    source, target = shop(1), shop(2)
    # every customer of the target gets exactly one order: the spread is gone
    target["orders"] = target["orders"].groupby("customer_id").head(1).reset_index(drop=True)
    fidelity, _ = fidelity_of_frames(SCHEMA, source, target)
    assert fidelity.column_shapes is not None and 0.5 < fidelity.column_shapes < 1.0
    (card,) = [c for c in fidelity.cardinalities if c.child == "orders"]
    src = dict(card.source_counts)
    parents = sum(src.values())
    # target: 0 children for parents without orders, else 1; KS at 0 or 1 children
    tgt = dict(card.target_counts)
    assert set(tgt) <= {0, 1}
    src_cdf_1 = (src.get(0, 0) + src.get(1, 0)) / parents
    src_cdf_0 = src.get(0, 0) / parents
    tgt_cdf_0 = tgt.get(0, 0) / sum(tgt.values())
    expected = 1 - max(abs(src_cdf_0 - tgt_cdf_0), abs(src_cdf_1 - 1.0))
    assert card.score == pytest.approx(expected)


def test_empty_target_table_scores_zero_and_says_so() -> None:
    data = shop(1)
    empty = data["customer"].iloc[0:0]
    result = score_table(frames_for(CUSTOMER, data["customer"], empty), scale=1.0, min_count=5, seed=0)
    assert result.column_shapes == 0.0
    assert [c.note for c in result.columns if c.column == "tier"] == ["no rows in the target"]
    assert result.notes == ("the target table is empty: every scored column and pair scores 0",)
    assert result.row_count_score == 0.0


def test_empty_in_both_and_all_null_columns() -> None:
    data = shop(1)["customer"]
    nothing = score_table(
        frames_for(CUSTOMER, data.iloc[0:0], data.iloc[0:0]), scale=1.0, min_count=5, seed=0
    )
    assert nothing.column_shapes is None and nothing.score is None
    assert nothing.notes[0] == "empty in both databases: nothing to compare"
    nulls = data.assign(credit=np.nan)
    result = score_table(frames_for(CUSTOMER, nulls, data), scale=1.0, min_count=5, seed=0)
    (credit,) = [c for c in result.columns if c.column == "credit"]
    assert (credit.score, credit.note) == (None, "all NULL in the source: nothing to compare")
    assert credit.null_similarity == 0.0
    backwards = score_table(frames_for(CUSTOMER, data, nulls), scale=1.0, min_count=5, seed=0)
    (credit,) = [c for c in backwards.columns if c.column == "credit"]
    assert (credit.score, credit.note) == (0.0, "all NULL in the target")


def test_row_counts_against_the_scale() -> None:
    data = shop(1)["customer"]
    doubled = pd.concat([data, data], ignore_index=True)
    result = score_table(frames_for(CUSTOMER, data, doubled), scale=2.0, min_count=5, seed=0)
    assert (result.row_ratio, result.row_count_score) == (2.0, 1.0)
    result = score_table(frames_for(CUSTOMER, data, doubled), scale=1.0, min_count=5, seed=0)
    assert result.row_count_score == 0.0


def test_histograms_pool_rare_categories() -> None:
    source = pd.Series(["a"] * 10 + ["b"] * 6 + ["secret"] * 2, dtype=object)
    hist = histogram(source, source, "categorical", min_count=5)
    assert hist is not None
    assert hist.labels == ("a", "b", OTHER)
    assert hist.source == pytest.approx((10 / 18, 6 / 18, 2 / 18))
    lengths = histogram(pd.Series(["x@y.z"]), pd.Series(["ab@cd.ef"]), "pii", 5)
    assert lengths is not None and "values are not shown" in lengths.caption
    assert all("@" not in label for label in lengths.labels)


def test_schema_overlap_names_the_differences() -> None:
    target_customer = Table(
        name="Customer",
        columns=(
            Column("ID", "integer", INT),
            Column("region_id", "integer", INT),
            Column("credit", "float", FLOAT),
            Column("loyalty", "text", TEXT),
        ),
        primary_key=PrimaryKey(("ID",)),
    )
    target = Schema(dialect="mysql", tables=(REGION, target_customer, table("audit", ("id", INT))))
    overlap = match(SCHEMA, target)
    assert overlap.tables == {"region": "region", "customer": "Customer"}
    assert overlap.columns["customer"] == {"id": "ID", "region_id": "region_id", "credit": "credit"}
    assert overlap.diff.missing_tables == ("orders",)
    assert overlap.diff.extra_tables == ("audit",)
    assert overlap.diff.missing_columns == ("customer.tier",)
    assert overlap.diff.extra_columns == ("Customer.loyalty",)
    assert overlap.diff.statement == (
        "The target lacks 1 table(s) of the source (orders); "
        "lacks 1 column(s) of the source (customer.tier); has 1 table(s) the source does not (audit); "
        "has 1 column(s) the source does not (Customer.loyalty). "
        "The scores cover the 2 table(s) and 6 column(s) both have."
    )
    assert [t.key for t in overlap.source.tables] == ["region", "customer"]
    assert overlap.source.table("customer").foreign_keys == CUSTOMER.foreign_keys
    assert overlap.target.table("Customer").column_names == ("ID", "region_id", "credit")


def test_schema_overlap_of_equal_and_disjoint_schemas() -> None:
    assert (
        match(SCHEMA, SCHEMA).diff.statement
        == "The target has the same 3 table(s) and 11 column(s) as the source."
    )
    other = Schema(dialect="postgresql", tables=(table("x", ("id", INT)),))
    assert match(SCHEMA, other).diff.statement == (
        "The target lacks 3 table(s) of the source (region, customer, orders); has 1 table(s) the source "
        "does not (x). No table is in both: there is nothing to compare."
    )
