"""A date column of a tiny table borrows the model of the same column in a larger table.

sakila's 2-row ``store`` keeps no ``last_update`` of its own under ``--min-count`` 5; the fit used
to give it the day of the fit, which the children's "last_update follows the parent's" then
spread down the tree."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

import dbsynth
from dbsynth.writing.memory import MemoryTarget

SCHEMA = """
CREATE TABLE store (id INTEGER PRIMARY KEY, last_update TIMESTAMP NOT NULL);
CREATE TABLE rental (id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL REFERENCES store(id),
                     last_update TIMESTAMP NOT NULL);
"""


def test_a_tiny_tables_dates_follow_the_same_column_elsewhere(make_sqlite: Callable[[str], str]) -> None:
    stores = "INSERT INTO store VALUES (1, '2006-02-15 04:57:12'), (2, '2006-02-15 04:57:12');"
    rentals = "\n".join(
        f"INSERT INTO rental VALUES ({i}, {1 + i % 2}, '2006-02-{15 + i % 5:02d} 0{i % 10}:00:00');"
        for i in range(1, 301)
    )
    model = dbsynth.fit(make_sqlite(SCHEMA + stores + rentals), seed=1)
    column = model.table("store").column("last_update")
    assert column.note is not None and "the model of rental.last_update" in column.note
    target = MemoryTarget()
    dbsynth.generate(model, target, seed=1)
    for table in ("store", "rental"):
        stamps = pd.to_datetime(target.frame(table)["last_update"])
        assert stamps.dt.year.eq(2006).all(), f"{table}: {stamps.min()} … {stamps.max()}"
