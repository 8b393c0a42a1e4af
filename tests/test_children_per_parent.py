"""Children per parent on planted structure: the source is built here with known counts, cloned
through the same path users take (fit, generate into memory), and the clone's counts compared.

Each test states its tolerance.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest

from dbsynth import fit, generate
from dbsynth.writing.memory import MemoryTarget


def _children(frame: pd.DataFrame, parents: pd.DataFrame, fk: str, key: str = "id") -> pd.Series:
    """Children per parent row (zeros included), indexed by the parent's key."""
    return frame[fk].value_counts().reindex(parents[key], fill_value=0)


# -- a NULL category is a stratum of its own ------------------------------------------------------

NULL_STRATUM_SQL = """
CREATE TABLE orders (id int PRIMARY KEY, region {type});
CREATE TABLE lines (id int PRIMARY KEY, order_id int NOT NULL REFERENCES orders, qty int NOT NULL);
-- 600 orders: 60 percent NULL region with 5 lines each, north 1 line, south 2 lines
INSERT INTO orders SELECT g, CASE WHEN mod(g, 10) < 6 THEN NULL WHEN mod(g, 10) < 8 THEN {north}
    ELSE {south} END FROM generate_series(1, 600) g;
INSERT INTO lines SELECT row_number() OVER (), o.id, 1 + mod(o.id * l, 4)
    FROM orders o, generate_series(1, 6) l
    WHERE l <= CASE WHEN o.region IS NULL THEN 5 WHEN o.region = {north} THEN 1 ELSE 2 END;
"""


@pytest.mark.parametrize(
    ("sql_type", "north", "south"),
    [("varchar(15)", "'north'", "'south'"), ("text", "'north'", "'south'"), ("smallint", "1", "2")],
)
def test_parents_with_a_null_category_get_their_children(
    make_pg: Callable[[str], str], sql_type: str, north: str, south: str
) -> None:
    """Before: the fitted NULL stratum (5 lines per order) was never matched at generation: a
    varchar region's NaN matched no label, so every order with a NULL region got 0 lines; a
    text region's None fell back to the pooled model; a smallint's pd.NA failed generation
    (TypeError: boolean value of NA is ambiguous)."""
    model = fit(make_pg(NULL_STRATUM_SQL.format(type=sql_type, north=north, south=south)), seed=1)
    rel = model.relationship("public.lines(order_id)")
    assert rel.children_by == "region" and "\0null" in rel.children_strata
    for scale in (1, 3):
        target = MemoryTarget()
        generate(model, target, seed=2, scale=scale)
        orders, lines = target.frame("public.orders"), target.frame("public.lines")
        per_order = _children(lines, orders, "order_id")
        null_region = orders["region"].isna().to_numpy()
        assert 0.5 < null_region.mean() < 0.7
        # Real: 5 lines per NULL-region order, 1 per north, 2 per south (tolerance ±0.3 line).
        assert abs(per_order[null_region].mean() - 5) < 0.3, scale
        is_north = (orders["region"].astype(str) == north.strip("'")).to_numpy()
        assert abs(per_order[is_north].mean() - 1) < 0.3, scale
