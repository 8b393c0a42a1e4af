"""Dependencies inside a row, planted in a database built here; fit and generate must keep them.

One ``orders`` table holds every planted fact: a correlated pair whose second column is 23 %
NULL (the correlation must not be damped by the NULLs), a ``shipped_at`` that is NULL exactly
when the status is pending, paid or cancelled, and otherwise follows ``created_at`` by a
lognormal gap. Each test states its tolerance. Data goes through the path users take
(introspect, read-only sample, fit, generate).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from dbsynth import fit, generate
from dbsynth.model import Model
from dbsynth.writing.memory import MemoryTarget

N = 4000
NULL_SHARE = 0.23
WAITING = ("pending", "paid", "cancelled")  # statuses without a shipping date


def _source(rng: np.random.Generator) -> pd.DataFrame:
    status = rng.choice(
        ["pending", "paid", "shipped", "delivered", "cancelled"], size=N, p=[0.15, 0.1, 0.35, 0.3, 0.1]
    )
    created = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 2 * 365 * 86400, N), unit="s")
    gap = pd.to_timedelta(np.round(np.exp(np.log(41 * 3600) + 0.6 * rng.standard_normal(N))), unit="s")
    shipped = pd.Series(created + gap).where(~np.isin(status, WAITING))
    x = rng.standard_normal(N)
    y = 0.8 * x + 0.6 * rng.standard_normal(N)
    y_nulls = rng.random(N) < NULL_SHARE
    return pd.DataFrame(
        {
            "id": np.arange(1, N + 1),
            "status": status,
            "created_at": created,
            "shipped_at": shipped,
            "x": x.round(4),
            "y": pd.Series(y.round(4)).where(~y_nulls),
        }
    )


@pytest.fixture(scope="module")
def planted(pg_url: str) -> Iterator[tuple[pd.DataFrame, Model, pd.DataFrame]]:
    """(source rows, fitted model, generated rows at scale 1)."""
    name = f"dbsynth_dep_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        pg_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    source = _source(np.random.default_rng(11))
    engine = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool
    )
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE orders (id integer PRIMARY KEY, status text NOT NULL, "
                "created_at timestamp NOT NULL, shipped_at timestamp, x double precision NOT NULL, "
                "y double precision)"
            )
            source.to_sql("orders", conn, if_exists="append", index=False)
        engine.dispose()
        model = fit(url, seed=1)
        target = MemoryTarget()
        generate(model, target, seed=2)
        yield source, model, target.frame("public.orders")
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def _normal_scores_correlation(a: pd.Series, b: pd.Series) -> float:
    both = a.notna() & b.notna()
    za = stats.norm.ppf(stats.rankdata(a[both]) / (both.sum() + 1))
    zb = stats.norm.ppf(stats.rankdata(b[both]) / (both.sum() + 1))
    return float(np.corrcoef(za, zb)[0, 1])


def test_a_23_percent_null_column_keeps_its_correlation(
    planted: tuple[pd.DataFrame, Model, pd.DataFrame],
) -> None:
    """Before: NULL cells got independent noise as scores, and the copula said 0.62, not 0.8."""
    source, model, made = planted
    truth = _normal_scores_correlation(source["x"], source["y"])
    cop = model.table("orders").copula
    assert cop is not None
    fitted = cop.matrix[cop.names.index("x"), cop.names.index("y")]
    assert abs(fitted - truth) <= 0.05, (fitted, truth)
    assert abs(_normal_scores_correlation(made["x"], made["y"]) - truth) <= 0.05
    assert abs(made["y"].isna().mean() - NULL_SHARE) <= 0.03
