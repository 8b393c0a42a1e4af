"""Generated values are valid for their column: orderings on nullable columns, values coerced
into their type, config generators whose values do not fit their column."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dbsynth import fit, generate
from dbsynth.generation.values import enforce_orderings
from dbsynth.model import Ordering

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
