"""A table whose unique key has a finite value domain is planned with at most that many rows."""

from __future__ import annotations

from dbsynth.planning.unique_cap import unique_cap
from dbsynth.schema import CheckConstraint, Column, LogicalType, Table, UniqueConstraint


def test_a_single_value_unique_column_caps_the_table_at_one_row() -> None:
    table = Table(
        "appservice_stream_position",
        (
            Column("lock", "character(1)", LogicalType.STRING, nullable=False),
            Column("stream_ordering", "bigint", LogicalType.INTEGER),
        ),
        schema="public",
        uniques=(UniqueConstraint(("lock",), "appservice_stream_position_lock_key"),),
        checks=(CheckConstraint("(lock = 'X'::bpchar)", None, ("lock",)),),
    )
    assert unique_cap(table, "postgresql") == (1, "lock")


def test_a_nullable_or_unchecked_unique_column_leaves_the_count_alone() -> None:
    table = Table(
        "t",
        (
            Column("flag", "boolean", LogicalType.BOOLEAN),
            Column("code", "text", LogicalType.TEXT, nullable=False),
        ),
        uniques=(UniqueConstraint(("flag",)), UniqueConstraint(("code",))),
    )
    assert unique_cap(table, "postgresql") is None
