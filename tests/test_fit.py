"""Fit on planted structure: a database built here with known facts; the model must recover them.

Each test states its tolerance. Data is written to a real PostgreSQL database and fitted through
the same path users take (introspect, read-only sample, fit).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from dbsynth.columns.copula import to_uniform
from dbsynth.fitting.fit import fit
from dbsynth.model import Model

N = 4000


def _write(url: str, frames: dict[str, pd.DataFrame], ddl: str) -> str:
    engine = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://"), poolclass=sa.pool.NullPool
    )
    with engine.begin() as conn:
        conn.exec_driver_sql(ddl)
        for name, frame in frames.items():
            frame.to_sql(name, conn, if_exists="append", index=False)
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def planted(pg_url: str) -> Model:
    """customers (tier drives order counts) -> orders (created after signup), with planted
    marginals: lognormal, 30% zeros, bimodal, and a correlated pair."""
    import uuid

    name = f"dbsynth_fit_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(
        pg_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = pg_url.rsplit("/", 1)[0] + f"/{name}"
    rng = np.random.default_rng(7)
    tiers = rng.choice(["basic", "premium", "gold"], size=N, p=[0.6, 0.3, 0.1])
    signup = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 3 * 365, N), unit="D")
    x = rng.standard_normal(N)
    y = 0.8 * x + 0.6 * rng.standard_normal(N)  # corr 0.8 on the normal scale
    customers = pd.DataFrame(
        {
            "id": np.arange(1, N + 1),
            "tier": tiers,
            "signup": signup,
            "income": np.exp(10 + 0.8 * rng.standard_normal(N)).round(2),  # skewed
            "returns": np.where(rng.random(N) < 0.3, 0, rng.integers(1, 20, N)),  # 30% zeros
            "score": np.where(rng.random(N) < 0.5, rng.normal(20, 3, N), rng.normal(60, 5, N)),  # bimodal
            "height": (170 + 10 * x).round(1),
            "weight": (70 + 12 * np.exp(0.3 * y)).round(1),
        }
    )
    lam = pd.Series(tiers).map({"basic": 1.0, "premium": 4.0, "gold": 9.0}).to_numpy()
    counts = rng.poisson(lam)
    cust = np.repeat(customers["id"].to_numpy(), counts)
    base = np.repeat(signup.to_numpy(), counts)
    orders = pd.DataFrame(
        {
            "id": np.arange(1, len(cust) + 1),
            "customer_id": cust,
            "created_at": base + pd.to_timedelta(rng.integers(1, 400, len(cust)), unit="D"),
            "amount": rng.gamma(2.0, 30.0, len(cust)).round(2),
        }
    )
    ddl = """
    CREATE TABLE customers (id integer PRIMARY KEY, tier text NOT NULL, signup timestamp NOT NULL,
        income numeric(12,2), returns integer, score double precision, height numeric(5,1),
        weight numeric(5,1));
    CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customers,
        created_at timestamp NOT NULL, amount numeric(10,2));
    """
    _write(url, {"customers": customers, "orders": orders}, ddl)
    try:
        model = fit(url, sample_rows=100_000, seed=1)
        yield model  # type: ignore[misc]
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def _marginal(model: Model, table: str, column: str, n: int = 20_000) -> np.ndarray:
    m = model.table(table).column(column).column_model
    assert m is not None
    rng = np.random.default_rng(3)
    return np.asarray(m.from_uniform(rng.random(n), rng), dtype=float)


def test_skewed_numeric_quantiles(planted: Model) -> None:
    got = _marginal(planted, "customers", "income")
    truth = stats.lognorm(s=0.8, scale=np.exp(10))
    assert stats.kstest(got, truth.cdf).statistic < 0.04
    assert np.all(np.round(got, 2) == got)  # numeric(12,2) keeps its scale


def test_zero_inflated_mass(planted: Model) -> None:
    got = _marginal(planted, "customers", "returns")
    assert abs((got == 0).mean() - 0.3) < 0.03
    assert np.all(got == np.round(got))


def test_bimodal_shape(planted: Model) -> None:
    got = _marginal(planted, "customers", "score")
    truth = lambda v: 0.5 * stats.norm(20, 3).cdf(v) + 0.5 * stats.norm(60, 5).cdf(v)  # noqa: E731
    assert stats.kstest(got, truth).statistic < 0.04
    assert ((got > 30) & (got < 45)).mean() < 0.03  # the valley stays empty


def test_correlated_columns(planted: Model) -> None:
    cop = planted.table("customers").copula
    assert cop is not None
    i, j = cop.names.index("height"), cop.names.index("weight")
    assert abs(cop.correlation[i][j] - 0.8) < 0.05


def test_children_per_parent_depend_on_tier(planted: Model) -> None:
    """Sample the customers' copula and push tier and child count through their models: mean
    orders per tier must come back as the planted 1 / 4 / 9 (±15%)."""
    t = planted.table("customers")
    rel = planted.relationship("public.orders(customer_id)")
    assert t.copula is not None and rel.children_model is not None
    rng = np.random.default_rng(5)
    z = t.copula.sample(40_000, rng)
    tier = np.asarray(
        t.column("tier").column_model.from_uniform(to_uniform(z[:, t.copula.names.index("tier")]), rng)
    )  # type: ignore[union-attr]
    assert rel.children_by == "tier"
    u_kids = to_uniform(z[:, t.copula.names.index(f"#children:{rel.id}")])
    kids = np.zeros(len(tier))
    for label in ("basic", "premium", "gold"):
        rows = tier == label
        kids[rows] = rel.children_for(label).from_uniform(u_kids[rows], rng)  # type: ignore[union-attr]
    means = pd.Series(kids).groupby(tier).mean()
    for name, lam in {"basic": 1.0, "premium": 4.0, "gold": 9.0}.items():
        assert abs(means[name] - lam) / lam < 0.15, means


def test_children_count_distribution(planted: Model) -> None:
    rel = planted.relationship("public.orders(customer_id)")
    assert rel.mean_children == pytest.approx(0.6 * 1 + 0.3 * 4 + 0.1 * 9, rel=0.08)


def test_parent_to_child_time_ordering(planted: Model) -> None:
    rel = planted.relationship("public.orders(customer_id)")
    assert any(o.left == "created_at" and o.right == "signup" for o in rel.orderings)


def test_model_round_trips(planted: Model, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = planted.save(tmp_path / "m.json")
    again = Model.load(path)
    assert again == planted
    assert again.to_json() == planted.to_json()


def test_min_count_pools_rare_categories(make_pg: Callable[[str], str]) -> None:
    rows = ",".join(["('common')"] * 50 + ["('uncommon')"] * 5 + ["('rare-one')"] * 2 + ["('lonely')"])
    url = make_pg(
        f"CREATE TABLE t (id serial PRIMARY KEY, label text NOT NULL); INSERT INTO t (label) VALUES {rows};"
    )
    text = fit(url, min_count=5).to_json()
    assert "common" in text and "uncommon" in text
    assert "rare-one" not in text and "lonely" not in text
    strict = fit(url, min_count=6).to_json()
    assert "uncommon" not in strict


def test_fit_succeeds_on_every_type(make_pg: Callable[[str], str]) -> None:
    url = make_pg(
        """
        CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
        CREATE TABLE every (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, i int, n numeric(8,3), f float8,
            b boolean, s varchar(20), t text, d date, tm time, ts timestamp, tz timestamptz,
            iv interval, u uuid, j jsonb, bt bytea, e mood, a int[], tags text[], other tsvector);
        INSERT INTO every (i, n, f, b, s, t, d, tm, ts, tz, iv, u, j, bt, e, a, tags, other)
        SELECT g, g / 7.0, g * 1.5, mod(g, 2) = 0, 'code-' || (mod(g, 9)), repeat('word ', mod(g, 13)),
               date '2024-01-01' + g, time '08:00' + g * interval '1 minute',
               timestamp '2024-01-01' + g * interval '1 hour', now() - g * interval '1 day',
               g * interval '1 second', gen_random_uuid(),
               jsonb_build_object('k', mod(g, 3), 'flag', mod(g, 2) = 0), decode(md5(g::text), 'hex'),
               (ARRAY['sad','ok','happy'])[1 + mod(g, 3)]::mood, ARRAY[g, g + 1], ARRAY['x', 'y'],
               to_tsvector('hello world')
        FROM generate_series(1, 300) g;
        """
    )
    model = fit(url)
    kinds = {c.name: (c.model or {}).get("kind") for c in model.table("every").columns}
    assert kinds["id"] is None and model.table("every").column("id").role == "key"
    for name, kind in {
        "n": "numeric", "f": "numeric", "b": "boolean", "d": "temporal", "tm": "temporal",
        "ts": "temporal", "tz": "temporal", "iv": "temporal", "u": "uuid", "j": "json",
        "bt": "bytes", "e": "categorical", "a": "array", "tags": "array",
    }.items():  # fmt: skip
        assert kinds[name] == kind, (name, kinds[name])
    assert kinds["other"] is not None  # unknown type: a constant model, never an abort
    again = Model.from_data(json.loads(model.to_json()))
    assert again == model
