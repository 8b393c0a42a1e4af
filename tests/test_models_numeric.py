"""The numeric column model on planted distributions (fixed seeds; tolerances stated per test)."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from dbsynth.columns.base import ColumnModel, FitContext, decode, encode
from dbsynth.columns.numeric import NumericModel, base_type_name, fit_counts, infer_scale, type_bounds
from dbsynth.schema import Column, LogicalType

CTX = FitContext(min_count=5, seed=7)
FLOAT = Column("amount", "double precision", LogicalType.FLOAT)
INT = Column("quantity", "integer", LogicalType.INTEGER)
MONEY = Column("price", "numeric(6,2)", LogicalType.DECIMAL, precision=6, scale=2)


def json_roundtrip(model: ColumnModel) -> ColumnModel:
    return decode(json.loads(json.dumps(encode(model))))


def sample(model: NumericModel, n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return model.from_uniform(rng.random(n), rng)


def test_lognormal_recovers_quantiles_and_reports_a_skewed_lognormal_shape() -> None:
    x = np.random.default_rng(0).lognormal(3.0, 1.0, 20_000)
    model = NumericModel.fit(pd.Series(x), FLOAT, CTX)
    y = sample(model, 20_000)
    # tolerance: KS 0.03 against the true law (sampling noise alone is ~0.01 at 20k)
    assert stats.kstest(y, stats.lognorm(1.0, 0.0, math.exp(3.0)).cdf).statistic < 0.03
    assert model.family == "lognormal"
    assert model.describe().endswith("skewed right (lognormal fit)")
    assert model.describe().startswith("float, ")


def test_zero_inflation_keeps_the_zero_mass_and_integers() -> None:
    rng = np.random.default_rng(1)
    n = 20_000
    x = np.where(rng.random(n) < 0.3, 0, rng.negative_binomial(3, 0.05, n) + 1)
    model = NumericModel.fit(pd.Series(x), INT, CTX)
    assert 0.0 in model.atoms
    y = sample(model, n)
    assert y.dtype == np.int64
    assert abs(np.mean(y == 0) - 0.3) < 0.02  # tolerance ±2 percentage points
    assert "30% zeros" in model.describe()
    assert stats.ks_2samp(y[y > 0], x[x > 0], method="asymp").statistic < 0.03


def test_bimodal_mixture_keeps_both_modes() -> None:
    rng = np.random.default_rng(2)
    n = 20_000
    x = np.where(rng.random(n) < 0.5, rng.normal(10, 1, n), rng.normal(30, 2, n))
    model = NumericModel.fit(pd.Series(x), FLOAT, CTX)
    y = sample(model, n)

    def truth(v: np.ndarray) -> np.ndarray:
        return 0.5 * stats.norm.cdf(v, 10, 1) + 0.5 * stats.norm.cdf(v, 30, 2)

    assert stats.kstest(y, truth).statistic < 0.03
    counts, _ = np.histogram(y, bins=[5, 15, 25, 35])
    assert counts[0] > 0.45 * n and counts[2] > 0.45 * n  # two modes, each ~half the mass
    assert counts[1] < 0.03 * n  # and the valley between them stays empty
    assert model.family is None  # no single family passes the holdout test
    assert model.mode_count() == 2 and model.describe().endswith(", bimodal")


def test_decimals_keep_their_scale_bounds_and_type_range() -> None:
    rng = np.random.default_rng(3)
    values = [Decimal(f"{v:.2f}") for v in rng.gamma(2.0, 15.0, 5000)]
    model = NumericModel.fit(pd.Series(values, dtype=object), MONEY, CTX)
    y = sample(model, 20_000)
    assert np.all(np.round(y, 2) == y)
    assert y.min() >= float(min(values)) and y.max() <= float(max(values))
    assert model.lower <= y.min() and y.max() <= model.upper
    assert model.describe().startswith("decimal(2), ")


def test_decimal_without_declared_scale_infers_it() -> None:
    column = Column("ratio", "numeric", LogicalType.DECIMAL)
    values = pd.Series([Decimal("1.5"), Decimal("2.25"), Decimal("3")] * 10, dtype=object)
    model = NumericModel.fit(values, column, CTX)
    assert model.scale == 2
    assert infer_scale(np.array([1.0, 2.0])) == 0
    assert infer_scale(np.array([math.pi])) is None


def test_type_bounds_follow_the_sql_type() -> None:
    def col(sql: str, logical: LogicalType = LogicalType.INTEGER, **kw: object) -> Column:
        return Column("c", sql, logical, **kw)  # type: ignore[arg-type]

    assert type_bounds(col("smallint")) == (-32768.0, 32767.0)
    assert type_bounds(col("int(10) unsigned")) == (0.0, 4294967295.0)
    assert type_bounds(col("tinyint", unsigned=True)) == (0.0, 255.0)
    assert type_bounds(col("bigint")) == (-(2.0**63), 2.0**63 - 1)
    assert type_bounds(col("year(4)")) == (1901.0, 2155.0)
    assert type_bounds(col("numeric(5,2)", LogicalType.DECIMAL, precision=5, scale=2)) == (-999.99, 999.99)
    assert type_bounds(col("double precision", LogicalType.FLOAT)) == (-math.inf, math.inf)
    assert type_bounds(col("decimal(4,1) unsigned", LogicalType.DECIMAL, precision=4, scale=1))[0] == 0.0
    assert base_type_name("INT(11) UNSIGNED ZEROFILL") == "int"
    assert base_type_name("character varying(20)") == "character varying"


def test_year_columns_are_integers_inside_the_year_range() -> None:
    column = Column("release_year", "year(4)", LogicalType.INTEGER)
    x = np.random.default_rng(4).integers(1990, 2020, 3000)
    model = NumericModel.fit(pd.Series(x), column, CTX)
    y = sample(model, 5000)
    assert y.dtype == np.int64 and y.min() >= 1990 and y.max() <= 2019


def test_no_lone_value_is_stored_and_bounds_stay_inside_the_bulk() -> None:
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.normal(100.0, 10.0, 5000), [1e6, -500.0]])  # two lone outliers
    model = NumericModel.fit(pd.Series(x), FLOAT, CTX)
    text = json.dumps(encode(model))
    stored = {float(v) for v in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text)}
    counts = Counter(x.tolist())
    assert not stored & {v for v, c in counts.items() if c < CTX.min_count}
    assert model.upper < 200 and model.lower > 50
    y = sample(model, 20_000)
    assert y.max() <= model.upper and y.min() >= model.lower


def test_a_frequent_extreme_is_kept_exactly_as_the_bound() -> None:
    rng = np.random.default_rng(6)
    x = np.concatenate([np.zeros(200), rng.uniform(1, 50, 5000)])  # min 0 seen 200 times
    model = NumericModel.fit(pd.Series(x), FLOAT, CTX)
    assert model.lower == 0.0 and model.atoms[0] == 0.0


def test_too_few_values_give_an_empty_model_that_generates_a_type_valid_zero() -> None:
    model = NumericModel.fit(pd.Series([3, 17, 42]), INT, CTX)
    assert model.empty
    assert model.describe() == "integer: no value frequent enough to keep; generates 0"
    assert sample(model, 4).tolist() == [0, 0, 0, 0]
    unsigned_years = Column("y", "year", LogicalType.INTEGER)
    assert sample(NumericModel.fit(pd.Series([], dtype=float), unsigned_years, CTX), 2).tolist() == [
        1901,
        1901,
    ]


def test_describe_lists_point_masses_by_share() -> None:
    x = np.repeat([1, 2, 3], [600, 250, 150])
    model = NumericModel.fit(pd.Series(x), INT, CTX)
    assert model.describe() == "integer, 1–3, median 1, 60% = 1, 25% = 2, 15% = 3"
    assert np.array_equal(np.unique(sample(model, 2000)), [1, 2, 3])


def test_ties_get_continuous_normal_scores() -> None:
    rng = np.random.default_rng(8)
    x = rng.poisson(4, 10_000)  # heavy ties: a dozen distinct values
    model = NumericModel.fit(pd.Series(x), INT, CTX)
    u = model.to_uniform(pd.Series(x), rng)
    assert np.unique(u).size == u.size  # no two rows share a score
    assert stats.kstest(u, "uniform").statistic < 0.02  # tolerance: 0.02 at n = 10k
    assert np.all((u > 0) & (u < 1))


@pytest.mark.parametrize(
    ("column", "draw"),
    [
        (FLOAT, lambda r: r.lognormal(0, 1.5, 8000)),
        (INT, lambda r: np.where(r.random(8000) < 0.2, 0, r.integers(1, 500, 8000))),
        (MONEY, lambda r: np.round(r.uniform(0, 99, 8000), 2)),
    ],
    ids=["float", "zero-inflated-int", "decimal"],
)
def test_to_uniform_then_from_uniform_is_identity_in_distribution(column: Column, draw) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(9)
    model = NumericModel.fit(pd.Series(draw(rng)), column, CTX)
    y = sample(model, 10_000, seed=10)
    u = model.to_uniform(pd.Series(y), rng)
    assert stats.kstest(u, "uniform").statistic < 0.02
    y2 = model.from_uniform(u, rng)
    assert stats.ks_2samp(y, y2, method="asymp").statistic < 0.02  # tolerance: 2 % at n = 10k
    if column is not FLOAT:
        assert abs(np.mean(y == y.min()) - np.mean(y2 == y.min())) < 0.01


def test_encode_decode_round_trips_exactly() -> None:
    rng = np.random.default_rng(11)
    models = [
        NumericModel.fit(pd.Series(rng.lognormal(2, 1, 3000)), FLOAT, CTX),
        NumericModel.fit(pd.Series(np.where(rng.random(3000) < 0.3, 0, rng.integers(1, 99, 3000))), INT, CTX),
        NumericModel.fit(pd.Series(np.round(rng.uniform(0, 9, 3000), 2)), MONEY, CTX),
        NumericModel.fit(pd.Series([1, 2]), INT, CTX),
        fit_counts(rng.integers(0, 5, 100).astype(float), CTX),
    ]
    for model in models:
        again = json_roundtrip(model)
        assert again == model
        assert isinstance(again, NumericModel)
        assert all(type(v) is float for v in again.grid + again.atoms)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.integers(-40_000, 40_000), min_size=0, max_size=300),
    repeat=st.integers(1, 8),
    seed=st.integers(0, 2**16),
)
def test_any_sample_generates_type_valid_integers_inside_the_bounds(
    values: list[int], repeat: int, seed: int
) -> None:
    column = Column("c", "smallint", LogicalType.INTEGER)
    lo, hi = type_bounds(column)
    x = np.clip(np.repeat(values, repeat), lo, hi)
    model = NumericModel.fit(pd.Series(x), column, FitContext(seed=seed))
    y = sample(model, 500, seed=seed)
    assert y.dtype == np.int64
    assert y.min() >= max(lo, math.floor(model.lower)) and y.max() <= min(hi, math.ceil(model.upper))
    counts = Counter(x.tolist())
    assert all(counts[a] >= 5 for a in model.atoms)
    assert json_roundtrip(model) == model


@pytest.mark.postgres
def test_fits_pagila_payment_amounts_as_psycopg_returns_them(dataset_url) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(dataset_url("pagila"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        amounts = pd.Series([r[0] for r in conn.exec_driver_sql("SELECT amount FROM payment")], dtype=object)
    engine.dispose()
    assert isinstance(amounts.iloc[0], Decimal)
    column = Column("amount", "numeric(5,2)", LogicalType.DECIMAL, nullable=False, precision=5, scale=2)
    model = NumericModel.fit(amounts, column, CTX)
    y = sample(model, 20_000)
    assert np.all(np.round(y, 2) == y)
    source = amounts.astype(float).to_numpy()
    assert y.min() >= source.min() and y.max() <= source.max()
    # payments are a handful of price points: each kept as a point mass within ±2 points
    top = pd.Series(source).value_counts(normalize=True).head(3)
    for value, share in top.items():
        assert abs(np.mean(y == value) - share) < 0.02
