"""The row ceiling refuses what a table's numbered key cannot hold, and only that."""

from __future__ import annotations

import pytest

from dbsynth.errors import UsageError
from dbsynth.planning.ceiling import check_counts
from dbsynth.schema import Column, ForeignKey, Identity, LogicalType, PrimaryKey, Table

L = LogicalType


def lines(line_type: str, identity: Identity | None = None) -> Table:
    return Table(
        "order_items",
        (
            Column("order_id", "integer", L.INTEGER, False),
            Column("line_no", line_type, L.INTEGER, False, identity=identity),
        ),
        primary_key=PrimaryKey(("order_id", "line_no")),
        foreign_keys=(ForeignKey(("order_id",), "orders", ("id",)),),
    )


def test_a_line_number_inside_a_composite_key_is_not_a_row_counter() -> None:
    """The MariaDB sample shop's order_items (order_id, line_no tinyint unsigned) with 2,382 rows
    was refused as overflowing line_no, which counts 1, 2, ... within each order."""
    table = lines("tinyint(3) unsigned")
    check_counts({"order_items": 2_382}, {"order_items": table}, {"order_items": ("line_no",)}, {})


def test_a_numbered_key_that_counts_every_row_is_checked() -> None:
    serial = lines("smallint", Identity("serial", "order_items_line_no_seq"))
    with pytest.raises(UsageError) as err:
        check_counts({"order_items": 40_000}, {"order_items": serial}, {"order_items": ("line_no",)}, {})
    assert "overflow its key line_no (smallint, at most 32,767)" in str(err.value)
    single = Table("t", (Column("id", "smallint", L.INTEGER, False),), primary_key=PrimaryKey(("id",)))
    with pytest.raises(UsageError):
        check_counts({"t": 40_000}, {"t": single}, {"t": ("id",)}, {})
