"""PostgreSQL foreign keys of a load that creates or truncates its tables are dropped while the rows
go in and re-added at close (one join checks every row instead of a trigger per row): the rows
end up checked all the same, a violation fails the load with the number of orphans, and the
constraints are there afterwards, as they were."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from dbsynth.errors import TargetError
from dbsynth.introspection import introspect
from dbsynth.writing import Batch, LoadResult

from helpers_sinks import load, rows_of, spec_for

pytestmark = pytest.mark.postgres

SQL = (
    "CREATE TABLE shop (id int PRIMARY KEY, name text NOT NULL);"
    "CREATE TABLE item (id int PRIMARY KEY, shop_id int NOT NULL"
    " CONSTRAINT item_shop REFERENCES shop (id) ON DELETE CASCADE, qty int NOT NULL);"
    "INSERT INTO shop VALUES (7, 'old'); INSERT INTO item VALUES (1, 7, 1);"
)
CONSTRAINTS = "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'f' ORDER BY 1"


def _batches(shop_ids: list[int]) -> list[Batch]:
    return [
        Batch("public.shop", pd.DataFrame({"id": [1, 2], "name": ["a", "b"]})),
        Batch("public.item", pd.DataFrame({"id": [1, 2, 3], "shop_id": shop_ids, "qty": [1, 2, 3]})),
    ]


def test_a_truncating_load_keeps_its_foreign_keys(make_pg: Callable[[str], str]) -> None:
    url = make_pg(SQL)
    before = rows_of(url, CONSTRAINTS)
    spec = spec_for(introspect(url), {"public.shop": 2, "public.item": 3}, if_exists="truncate")
    result = load(url, spec, _batches([1, 2, 1]))
    assert result == LoadResult(
        rows={"public.shop": 2, "public.item": 3},
        committed=True,
        notes=("truncated public.shop, public.item",),
    )
    assert (
        rows_of(url, CONSTRAINTS)
        == before
        == [("item_shop", "FOREIGN KEY (shop_id) REFERENCES shop(id) ON DELETE CASCADE")]
    )
    assert rows_of(url, "SELECT shop_id FROM item ORDER BY id") == [(1,), (2,), (1,)]


def test_an_orphan_fails_the_load_with_its_count(make_pg: Callable[[str], str]) -> None:
    url = make_pg(SQL)
    spec = spec_for(introspect(url), {"public.shop": 2, "public.item": 3}, if_exists="truncate")
    with pytest.raises(TargetError) as err:
        load(url, spec, _batches([1, 9, 8]))
    assert str(err.value) == (
        "foreign key public.item.shop_id -> public.shop (item_shop) does not hold after the load: "
        "2 row(s) of public.item reference no row of public.shop; "
        "the load was rolled back and the target is unchanged"
    )
    assert rows_of(url, "SELECT id, shop_id FROM item") == [(1, 7)]
    assert len(rows_of(url, CONSTRAINTS)) == 1
