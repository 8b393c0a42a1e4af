"""Children per parent on planted structure: the source is built here with known counts, cloned
through the same path users take (fit, generate into memory), and the clone's counts compared.

Each test states its tolerance.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from dbsynth import fit, generate
from dbsynth.errors import ModelError
from dbsynth.examples import build_shop
from dbsynth.model import Model
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


# -- a heavy tail: 2 parents hold 80 % of the children, 90 % hold none ---------------------------

HEAVY_SQL = """
CREATE TABLE staff (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE customer (id int PRIMARY KEY, since date NOT NULL);
CREATE TABLE rental (id int PRIMARY KEY, {customer} staff_id int NOT NULL REFERENCES staff,
    amount int NOT NULL);
INSERT INTO staff SELECT g, 'staff ' || g FROM generate_series(1, 1000) g;
INSERT INTO customer SELECT g, date '2020-01-01' + mod(g, 700) FROM generate_series(1, 3000) g;
-- staff 1 and 2: 2,000 rentals each; staff 3..100: 5 to 15 each (1,000 in all); the rest none
INSERT INTO rental SELECT g, {customer_value} CASE WHEN g <= 2000 THEN 1 WHEN g <= 4000 THEN 2
    ELSE 3 + mod(g * 7919, 98) END, mod(g, 13) FROM generate_series(1, 5000) g;
"""


def _top_and_zero(per_parent: pd.Series, top: int) -> tuple[float, float]:
    counts = per_parent.sort_values(ascending=False).to_numpy()
    return float(counts[:top].sum() / counts.sum()), float((counts == 0).mean())


@pytest.mark.parametrize("driving", [True, False], ids=["driving FK", "second FK"])
def test_heavy_tail_of_children_is_kept(make_pg: Callable[[str], str], driving: bool) -> None:
    """The busiest 0.2 % of staff hold 80 % of the rentals (±5 pp) and 90 % of staff have none
    (±3 pp), at scale 1 and 3 (where the busiest 0.2 % are 6 staff). Before: both counts of
    2,000 were seen once and pooled away, and the clone gave every staff member a few rentals
    (a second FK: top-2 share ≈ 1 %, no staff without rentals)."""
    sql = HEAVY_SQL.format(
        customer="" if driving else "customer_id int NOT NULL REFERENCES customer,",
        customer_value="" if driving else "1 + mod(g * 31, 3000),",
    )
    model = fit(make_pg(sql), seed=1)
    assert model.table("public.rental").driving_fk == (
        "public.rental(staff_id)" if driving else "public.rental(customer_id)"
    )
    shape = model.relationship("public.rental(staff_id)").shape
    assert shape is not None and shape.describe().startswith("90% of parents without children, the busiest")
    source_top, source_zero = 0.8, 0.9
    for scale in (1, 3):
        target = MemoryTarget()
        generate(model, target, seed=3, scale=scale)
        per_staff = _children(target.frame("public.rental"), target.frame("public.staff"), "staff_id")
        top, zero = _top_and_zero(per_staff, 2 * scale)
        assert abs(top - source_top) <= 0.05, (scale, top)
        assert abs(zero - source_zero) <= 0.03, (scale, zero)


# -- the shape in the model file is validated on load --------------------------------------------


@pytest.fixture(scope="module")
def shop_doc(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = build_shop(tmp_path_factory.mktemp("shop") / "shop.sqlite", customers=80)
    data: dict[str, Any] = json.loads(fit(f"sqlite:///{path}").to_json())
    return data


def _shape(doc: dict[str, Any]) -> dict[str, Any]:
    rel: dict[str, Any] = next(r for r in doc["relationships"] if r["id"] == "orders(customer_id)")
    assert rel["shape"] is not None
    shape: dict[str, Any] = rel["shape"]
    return shape


def _index(doc: dict[str, Any]) -> int:
    return next(i for i, r in enumerate(doc["relationships"]) if r["id"] == "orders(customer_id)")


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("value_shares", [0.9] * 1, "has 1 item(s) but values has"),
        ("bin_shares", None, "with value_shares sum to"),
        ("top_shares", "reversed", "not sorted"),
    ],
)
def test_a_broken_shape_is_refused_with_its_path(
    shop_doc: dict[str, Any], tmp_path: Path, field: str, value: object, problem: str
) -> None:
    doc = copy.deepcopy(shop_doc)
    shape = _shape(doc)
    if value == "reversed":
        shape[field] = sorted(shape[field], reverse=True)
        assert shape[field] != sorted(shape[field])
    elif value is None:
        shape[field] = [s * 2 + 0.1 for s in shape[field]]
    else:
        shape[field] = value
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelError) as refused:
        Model.load(path)
    expected = f"model file '{path}': relationships[{_index(doc)}].shape.{field}: {problem}"
    assert str(refused.value).startswith(expected), str(refused.value)
