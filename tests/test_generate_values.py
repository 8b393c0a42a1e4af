"""Generated values are valid for their column: orderings on nullable columns, values coerced
into their type, config generators whose values do not fit their column."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from dbsynth import fit, generate
from dbsynth.config import parse_config
from dbsynth.errors import GenerationError
from dbsynth.generation.values import enforce_orderings
from dbsynth.model import Ordering
from dbsynth.writing.memory import MemoryTarget

from conftest import _fresh_database, sa_url


def test_an_ordering_over_a_nullable_integer_column_is_enforced() -> None:
    """Before: TypeError "Cannot interpret 'Int64Dtype()' as a data type" (numpy astype)."""
    frame = pd.DataFrame(
        {"high": pd.array([5, 1, None, 7], dtype="Int64"), "low": np.array([3, 9, 4, 8], dtype=np.int64)}
    )
    enforce_orderings(frame, [Ordering(left="high", op=">=", right="low", support=30)])
    assert str(frame["high"].dtype) == "Int64"
    assert frame["high"].isna().tolist() == [False, False, True, False]
    both = frame["high"].notna()
    assert (frame.loc[both, "high"] >= frame.loc[both, "low"]).all()


def test_a_clone_keeps_an_ordering_over_a_nullable_integer(
    make_pg: Callable[[str], str], pg_url: str
) -> None:
    """The same through fit and generate: ``upper >= lower`` where ``upper`` is often NULL (before:
    the clone failed with the TypeError above)."""
    source = make_pg(
        "CREATE TABLE spans (id int PRIMARY KEY, lower int NOT NULL, upper int);"
        "INSERT INTO spans SELECT g, mod(g * 37, 100), CASE WHEN mod(g, 3) = 0 THEN NULL"
        " ELSE mod(g * 37, 100) + mod(g, 4) END FROM generate_series(1, 600) g;"
    )
    model = fit(source)
    assert any(o.left == "upper" and o.right == "lower" for o in model.table("public.spans").orderings)
    target = _fresh_database(pg_url, "postgresql")
    url = next(target)
    try:
        generate(model, url, seed=3, create_schema=True)
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            bad, nulls = conn.exec_driver_sql(
                "SELECT count(*) FILTER (WHERE upper < lower), count(*) FILTER (WHERE upper IS NULL)"
                " FROM spans"
            ).one()
        engine.dispose()
    finally:
        target.close()
    assert bad == 0
    assert nulls > 0


# -- a config expression into an integer column ------------------------------------------------

ITEMS = (
    "CREATE TABLE items (id serial PRIMARY KEY, price numeric(10,2), qty integer NOT NULL,"
    " other integer NOT NULL CHECK (mod(other, 2) = 0));"
    "INSERT INTO items (price, qty, other) SELECT CASE WHEN mod(g, 9) = 0 THEN NULL"
    " ELSE (ARRAY[2.5, 3.5, -0.5, 7.25])[1 + mod(g, 4)] END, 1, mod(g * 13, 500) * 2"
    " FROM generate_series(1, 400) g;"
)


def _items(source: str, expression: str) -> pd.DataFrame:
    config = parse_config(
        f"tables:\n  items:\n    columns:\n      qty: {{generator: expression, expression: '{expression}'}}\n"
    )
    target = MemoryTarget()
    generate(fit(source, config=config), target, config=config, seed=2)  # type: ignore[call-arg]
    return target.frame("public.items")


def test_a_fraction_into_an_integer_column_is_rounded_half_away_from_zero(
    make_pg: Callable[[str], str],
) -> None:
    """Every row holds round(price), also the rows a CHECK made the engine draw again (before,
    those got the computed values of other rows, or NULL, through index alignment), and 2.5
    becomes 3, -0.5 becomes -1 (before: numpy's half-to-even, 2 and 0)."""
    frame = _items(make_pg(ITEMS), "coalesce(price, 0)")
    assert str(frame["qty"].dtype) == "int64"
    price = frame["price"].fillna(0).to_numpy()
    expected = np.sign(price) * np.floor(np.abs(price) + 0.5)
    assert (frame["qty"].to_numpy() == expected).all()
    assert {2.5, -0.5} <= set(price)


def test_a_value_no_integer_holds_is_an_error_naming_the_column(make_pg: Callable[[str], str]) -> None:
    """Before: "TypeError: cannot safely cast non-equivalent float64 to int64" from pandas, or
    silently wrapped-around values where the column had no NULL."""
    with pytest.raises(GenerationError) as err:
        _items(make_pg(ITEMS), "coalesce(price, 1) * 1e20")
    assert str(err.value).startswith("table public.items: column qty (integer): a generated value, ")
    assert "is outside the range of a 64-bit integer (computed: coalesce(price, 1) * 1e20 (config))" in str(
        err.value
    )
