"""A child number that follows its parent's: a line's price copied from its product.

Planted: 120 products with lognormal prices; 4,000 order lines whose ``unit_price`` is the
product's price in 70 % of lines and 80 % of it (an older price list) in the others, and a
``quantity`` unrelated to the product. The model must find ``unit_price`` as a ratio of the
parent's price, generation must keep it line by line (every line at one of the fitted ratios of
its own product's price), and an unrelated column must not be tied to the parent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import dbsynth
from dbsynth.fitting.explain import explain
from dbsynth.model import Model
from dbsynth.writing.memory import MemoryTarget

from conftest import _fresh_database, sa_url

pytestmark = pytest.mark.postgres

SEED = 3
DDL = """
CREATE TABLE products (id int PRIMARY KEY, price numeric(10,2) NOT NULL CHECK (price > 0),
                       stock int NOT NULL);
CREATE TABLE lines (id int PRIMARY KEY, product_id int NOT NULL REFERENCES products,
                    unit_price numeric(10,2) NOT NULL, quantity int NOT NULL);
"""


def _planted() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    price = np.round(np.exp(rng.normal(3.0, 1.0, 120)), 2) + 1
    products = pd.DataFrame({"id": range(1, 121), "price": price, "stock": rng.integers(0, 200, 120)})
    product = rng.integers(1, 121, 4000)
    old = rng.random(4000) < 0.3
    unit = np.round(price[product - 1] * np.where(old, 0.8, 1.0), 2)
    lines = pd.DataFrame(
        {
            "id": range(1, 4001),
            "product_id": product,
            "unit_price": unit,
            "quantity": rng.integers(1, 30, 4000),
        }
    )
    return products, lines


@pytest.fixture(scope="module")
def source(pg_url: str) -> Iterator[str]:
    for url in _fresh_database(pg_url, "postgresql"):
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        products, lines = _planted()
        with engine.begin() as conn:
            conn.exec_driver_sql(DDL)
            products.to_sql("products", conn, if_exists="append", index=False)
            lines.to_sql("lines", conn, if_exists="append", index=False)
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def model(source: str) -> Model:
    return dbsynth.fit(source, seed=SEED)


def _ratios(scale: float, model: Model) -> pd.Series:
    target = MemoryTarget()
    dbsynth.generate(model, target, seed=SEED, scale=scale)
    lines = target.frame("public.lines").merge(
        target.frame("public.products"), left_on="product_id", right_on="id"
    )
    return lines["unit_price"].astype(float) / lines["price"].astype(float)


def test_the_price_is_found_as_a_ratio_of_the_parents(model: Model) -> None:
    relations = model.table("public.lines").relations
    assert [(r.kind, r.column, r.base) for r in relations] == [
        ("ratio", "unit_price", "^public.lines(product_id).price")
    ]
    assert any(
        "unit_price = the parent's price (through public.lines(product_id))" in line
        for line in explain(model)
    )


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_each_line_keeps_its_own_products_price(model: Model, scale: float) -> None:
    ratio = _ratios(scale, model)
    on_list = np.isclose(ratio, 1.0, atol=0.01) | np.isclose(ratio, 0.8, atol=0.01)
    assert on_list.mean() >= 0.99, on_list.mean()
    assert abs(np.isclose(ratio, 1.0, atol=0.01).mean() - 0.7) <= 0.05


def test_the_model_file_round_trips(model: Model, tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    model.save(path)
    again = Model.load(path)
    assert again.table("public.lines").relations == model.table("public.lines").relations
