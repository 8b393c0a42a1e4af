"""Categories, booleans and constants (the small discrete models), on planted data with fixed seeds."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from dbsynth.columns.base import ColumnModel, FitContext, decode, encode
from dbsynth.columns.categorical import CategoricalModel, choose_categorical, reshape, shape_of
from dbsynth.columns.simple import BooleanModel, ConstantModel
from dbsynth.schema import Column, LogicalType

CTX = FitContext(min_count=5, seed=1)
TEXT = Column("status", "character varying(12)", LogicalType.STRING, length=12)
RATINGS = ("G", "PG", "PG-13", "R", "NC-17")
ENUM = Column("rating", "mpaa_rating", LogicalType.ENUM, enum_type="mpaa_rating", enum_labels=RATINGS)
INT = Column("stars", "smallint", LogicalType.INTEGER)
PLANTED = {"shipped": 0.45, "delivered": 0.30, "pending": 0.15, "returned": 0.07, "lost": 0.03}
RARE = ["cancelled-by-bob", "refund #88812", "weird status!"]  # 3, 2 and 1 rows


def json_roundtrip(model: ColumnModel) -> ColumnModel:
    return decode(json.loads(json.dumps(encode(model))))


def planted_statuses(n: int = 20_000, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    common = rng.choice(list(PLANTED), size=n, p=list(PLANTED.values())).tolist()
    return pd.Series([*common, *[RARE[0]] * 3, *[RARE[1]] * 2, RARE[2]])


def sample(model: ColumnModel, n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.asarray(model.from_uniform(rng.random(n), rng))


def test_frequencies_are_recovered_and_rare_values_never_stored_or_generated() -> None:
    model = CategoricalModel.fit(planted_statuses(), TEXT, CTX)
    assert model.order == "frequency" and model.values == tuple(PLANTED)
    out = pd.Series(sample(model, 20_000))
    shares = out.value_counts(normalize=True)
    for value, p in PLANTED.items():
        assert abs(shares[value] - p) < 0.02  # tolerance: ±2 percentage points
    text = json.dumps(encode(model))
    for rare in RARE:
        assert rare not in text
        assert rare not in set(out)


def test_pooled_strings_come_back_in_their_frequent_shapes() -> None:
    rng = np.random.default_rng(2)
    zips = [f"{z:05d}" for z in rng.integers(10_000, 99_999, 400)]  # unique: all rare
    codes = pd.Series(["N/A"] * 600 + zips)
    model = CategoricalModel.fit(codes, Column("zip", "varchar(5)", LogicalType.STRING, length=5), CTX)
    assert model.values == ("N/A",) and model.rest is not None and model.rest["kind"] == "shape"
    out = sample(model, 5000)
    fresh = [v for v in out if v != "N/A"]
    assert abs(len(fresh) / 5000 - 0.4) < 0.02
    assert all(re.fullmatch(r"\d{5}", v) for v in fresh)
    assert not set(zips) & set(json.dumps(encode(model)).split('"'))
    assert model.describe() == (
        "categorical, 1 values by frequency: 'N/A' 60%; 40.0% pooled (rare, or held by too few entities), "
        "generated as code shapes '[0-9]{5}' 100%"
    )


def test_json_strings_come_back_in_their_frequent_shapes() -> None:
    # Strings inside JSON documents have counts, not a column: their pooled ones take shapes.
    rng = np.random.default_rng(2)
    zips = [f"{z:05d}" for z in rng.integers(10_000, 99_999, 400)]
    model = CategoricalModel.from_counts(Counter({"N/A": 600, **{z: 1 for z in zips}}), CTX)
    assert model.values == ("N/A",) and model.shapes == ("99999",) and model.rest is None
    assert all(re.fullmatch(r"\d{5}", v) for v in model.new_strings(50, rng))


def test_new_strings_respect_the_column_length_and_reshape_keeps_classes() -> None:
    rng = np.random.default_rng(3)
    assert shape_of("XK-193 ab") == "AA-999 aa"
    made = reshape("XK-193 ab", rng)
    assert shape_of(made) == "AA-999 aa"
    words = CategoricalModel.fit(pd.Series([f"word{i}xyzxyz" for i in range(50)]), TEXT, CTX)
    assert words.values == () and words.other == 1.0
    assert all(len(v) <= 12 for v in sample(words, 100))


def test_enums_keep_declared_order_and_spread_rare_mass_over_labels_not_kept() -> None:
    values = pd.Series(["G"] * 300 + ["PG"] * 500 + ["R"] * 200 + ["NC-17"] * 3)  # PG-13 unseen
    model = CategoricalModel.fit(values, ENUM, CTX)
    assert model.order == "declared" and model.values == RATINGS
    out = pd.Series(sample(model, 20_000)).value_counts(normalize=True)
    assert set(out.index) <= set(RATINGS)
    assert abs(out["PG"] - 500 / 1003) < 0.02
    assert abs(out.get("PG-13", 0.0) + out.get("NC-17", 0.0) - 3 / 1003) < 0.003  # only the pooled mass
    u = model.to_uniform(pd.Series(list(RATINGS)), np.random.default_rng(4))
    assert np.all(np.diff(u) > 0)  # declared order is the copula's order
    assert model.describe().startswith("categorical, 5 values in declared order: 'PG' 50%, 'G' 30%, 'R' 20%")


def test_numbers_are_ordered_by_value_and_rare_codes_folded() -> None:
    rng = np.random.default_rng(5)
    stars = [*rng.choice([1, 2, 3, 4, 5], size=5000, p=[0.1, 0.1, 0.2, 0.3, 0.3]).tolist(), 9, 9]
    model = CategoricalModel.fit(pd.Series(stars), INT, CTX)
    assert model.order == "value" and model.values == (1, 2, 3, 4, 5)
    out = sample(model, 20_000)
    assert out.dtype == np.int64 and set(out.tolist()) == {1, 2, 3, 4, 5}
    assert abs(np.mean(out == 4) - 0.3) < 0.02
    u = model.to_uniform(pd.Series([1, 2, 3, 4, 5, 9]), np.random.default_rng(6))
    assert np.all(np.diff(u) > 0)  # a larger value never gets a smaller score
    assert "folded into the kept values" in model.describe()


def test_to_uniform_of_own_samples_is_uniform_and_inverts() -> None:
    model = CategoricalModel.fit(planted_statuses(), TEXT, CTX)
    rng = np.random.default_rng(7)
    out = sample(model, 10_000, seed=8)
    u = model.to_uniform(pd.Series(out), rng)
    assert stats.kstest(u, "uniform").statistic < 0.02  # tolerance: 0.02 at n = 10k
    kept = np.isin(out, model.values)
    assert np.array_equal(model.from_uniform(u, rng)[kept], out[kept])  # slots map back exactly


def test_to_uniform_reads_a_value_the_same_in_every_frame_dtype() -> None:
    # Frames hold prices as Decimals, counts as Int64, labels as arrow strings: each value maps
    # to its slot by what it is, not by how the frame stores it; NULLs and unknowns get no slot.
    prices = CategoricalModel.fit(
        pd.Series([0.99, 2.99, 4.99] * 100), Column("p", "numeric", LogicalType.DECIMAL), CTX
    )
    as_decimals = pd.Series([decimal.Decimal(v) for v in ("4.99", "0.99", "2.990", "3.50")], dtype=object)
    as_floats = pd.Series([4.99, 0.99, 2.99, 3.5])
    u_dec, u_float = (prices.to_uniform(v, np.random.default_rng(3)) for v in (as_decimals, as_floats))
    assert np.array_equal(u_dec, u_float)
    assert u_dec[1] < 1 / 3 < u_dec[2] < 2 / 3 < u_dec[0] and u_dec[3] == pytest.approx(2 / 3)  # between
    stars = CategoricalModel.fit(pd.Series([1, 2, 3] * 50), INT, CTX)
    ints = pd.Series(pd.array([3, None, 1, 3], dtype="Int64"))
    u = stars.to_uniform(ints, np.random.default_rng(4))
    assert u[0] > 2 / 3 and u[2] < 1 / 3 and u[3] > 2 / 3 and 0 < u[1] < 1
    labels = CategoricalModel.fit(planted_statuses(2000), TEXT, CTX)
    many = pd.Series(["lost", "shipped", "never seen", "lost"] * 250_000, dtype="string")
    u = labels.to_uniform(many, np.random.default_rng(5))
    cuts = labels._cuts()
    assert np.all(u[1::4] < cuts[0]) and np.all(u[2::4] > cuts[-2])  # unknown: the pooled slot
    assert np.all((u[::4] > cuts[3]) & (u[::4] < cuts[4]))


def test_choose_categorical_counts_decimals_as_their_float_values() -> None:
    # 60 distinct Decimals that are only 30 distinct prices as floats: few enough to be categories.
    tiny = decimal.Decimal("1e-22")
    prices = [decimal.Decimal(f"{p}.99") + extra for p in range(30) for extra in (0, tiny)]
    values = pd.Series(prices * 10, dtype=object)
    column = Column("p", "numeric(30,22)", LogicalType.DECIMAL)
    assert values.nunique() == 60 > 50 and choose_categorical(values, column, CTX)
    assert not choose_categorical(
        pd.Series([decimal.Decimal(i) for i in range(60)] * 10, dtype=object), column, CTX
    )


@pytest.mark.parametrize(
    ("values", "column", "expected"),
    [
        (pd.Series(["x"] * 3), ENUM, True),
        (pd.Series([True, False]), Column("b", "boolean", LogicalType.BOOLEAN), True),
        (planted_statuses(2000), TEXT, True),
        (pd.Series([f"user{i}@mail.test" for i in range(500)]), TEXT, False),
        (pd.Series(np.random.default_rng(0).integers(1, 6, 500)), INT, True),
        (pd.Series(np.random.default_rng(0).integers(1, 10_000, 500)), INT, False),
        (pd.Series(np.random.default_rng(0).normal(size=500)), Column("f", "real", LogicalType.FLOAT), False),
        (pd.Series([0.99, 2.99, 4.99] * 100), Column("p", "numeric(4,2)", LogicalType.DECIMAL), True),
        (pd.Series([], dtype=object), TEXT, False),
        (pd.Series([dt.date(2020, 1, 1)] * 50), Column("d", "date", LogicalType.DATE), False),
    ],
    ids=[
        "enum",
        "boolean",
        "statuses",
        "emails",
        "small-ints",
        "wide-ints",
        "floats",
        "prices",
        "empty",
        "dates",
    ],
)
def test_choose_categorical(values: pd.Series, column: Column, expected: bool) -> None:
    assert choose_categorical(values, column, CTX) is expected


def test_unique_columns_are_never_categorical() -> None:
    assert not choose_categorical(planted_statuses(2000), TEXT, FitContext(unique=True))


def test_booleans_keep_their_share_from_any_driver_form() -> None:
    column = Column("active", "tinyint(1)", LogicalType.BOOLEAN)
    mixed = pd.Series([1] * 70 + [0] * 20 + ["t"] * 7 + ["false"] * 3)
    model = BooleanModel.fit(mixed, column, CTX)
    assert model.true_share == 0.77
    out = sample(model, 20_000)
    assert out.dtype == bool and abs(out.mean() - 0.77) < 0.02
    u = model.to_uniform(pd.Series([False, True]), np.random.default_rng(9))
    assert u[0] < 0.23 < u[1]
    assert model.describe() == "boolean, 77% true"


def test_constants_frequent_values_defaults_and_unknown_types() -> None:
    frequent = ConstantModel.fit(pd.Series(["EUR"] * 9 + ["GBP"]), TEXT, CTX)
    assert frequent.value == "EUR" and frequent.describe() == "constant 'EUR'"
    assert sample(frequent, 3).tolist() == ["EUR"] * 3

    rare = ConstantModel.fit(
        pd.Series([dt.date(2020, 1, d) for d in range(1, 4)]), Column("d", "date", LogicalType.DATE), CTX
    )
    assert rare.describe() == (
        "constant '2000-01-01' "
        "(warning: no value seen 5 or more times: generates the type default '2000-01-01')"
    )
    assert sample(rare, 2).tolist() == [dt.date(2000, 1, 1)] * 2

    enum_default = ConstantModel.fit(pd.Series([], dtype=object), ENUM, CTX)
    assert enum_default.value == "G"

    vector = Column("fulltext", "tsvector", LogicalType.OTHER)
    assert ConstantModel.fit(pd.Series(["'a':1"] * 2), vector, CTX).describe() == (
        "NULL (warning: unknown type 'tsvector': generated as NULL)"
    )
    required = Column("fulltext", "tsvector", LogicalType.OTHER, nullable=False)
    assert ConstantModel.fit(pd.Series([], dtype=object), required, CTX).describe() == (
        # a NOT NULL column of a type without a model gets a literal its type accepts
        "constant '' (warning: no value seen 5 or more times: generates '')"
    )
    assert ConstantModel.fit(pd.Series(["'a':1"] * 6), vector, CTX).describe() == (
        "constant \"'a':1\" (warning: unknown type 'tsvector': generates its most frequent value)"
    )
    stamps = ConstantModel.fit(
        pd.Series([pd.Timestamp("2006-02-15 04:34:33", tz="UTC")] * 5),
        Column("last_update", "timestamptz", LogicalType.TIMESTAMPTZ),
        CTX,
    )
    assert sample(stamps, 2).tolist() == [pd.Timestamp("2006-02-15 04:34:33", tz="UTC")] * 2


def test_encode_decode_round_trips_exactly() -> None:
    rng = np.random.default_rng(10)
    models: list[ColumnModel] = [
        CategoricalModel.fit(planted_statuses(3000), TEXT, CTX),
        CategoricalModel.fit(pd.Series(["G"] * 30 + ["R"] * 2), ENUM, CTX),
        CategoricalModel.fit(pd.Series(rng.integers(1, 4, 300)), INT, CTX),
        CategoricalModel.fit(
            pd.Series([0.99, 2.99] * 30), Column("p", "numeric(4,2)", LogicalType.DECIMAL), CTX
        ),
        CategoricalModel.fit(
            pd.Series([True] * 9 + [False] * 9), Column("b", "boolean", LogicalType.BOOLEAN), CTX
        ),
        CategoricalModel.fit(pd.Series(["N/A"] * 20 + [f"{i:05d}" for i in range(30)]), TEXT, CTX),
        BooleanModel.fit(pd.Series([True, False, True]), Column("b", "boolean", LogicalType.BOOLEAN), CTX),
        ConstantModel.fit(pd.Series([42] * 6), INT, CTX),
        ConstantModel.fit(pd.Series([], dtype=object), Column("v", "tsvector", LogicalType.OTHER), CTX),
    ]
    for model in models:
        assert json_roundtrip(model) == model
    assert sample(models[4], 4).dtype == bool


@pytest.mark.postgres
def test_fits_pagila_ratings_from_the_real_enum(dataset_url) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(dataset_url("pagila"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        ratings = pd.Series([r[0] for r in conn.exec_driver_sql("SELECT rating FROM film")])
    engine.dispose()
    assert choose_categorical(ratings, ENUM, CTX)
    model = CategoricalModel.fit(ratings, ENUM, CTX)
    source = ratings.value_counts(normalize=True)
    out = pd.Series(sample(model, 20_000)).value_counts(normalize=True)
    assert (source - out.reindex(source.index)).abs().max() < 0.02


@pytest.mark.mysql
def test_fits_sakila_mysql_ratings_and_release_years(dataset_url) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(dataset_url("sakila_mysql"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT rating, release_year FROM film").fetchall()
    engine.dispose()
    ratings = pd.Series([r[0] for r in rows])
    enum = Column("rating", "enum('G','PG','PG-13','R','NC-17')", LogicalType.ENUM, enum_labels=RATINGS)
    model = CategoricalModel.fit(ratings, enum, CTX)
    assert set(sample(model, 1000)) == set(RATINGS)
    years = pd.Series([r[1] for r in rows])
    year_column = Column("release_year", "year", LogicalType.INTEGER)
    assert choose_categorical(years, year_column, CTX)
    assert sample(CategoricalModel.fit(years, year_column, CTX), 5).dtype == np.int64


def test_the_pooled_remainder_model_is_checked_like_any_other() -> None:
    from dbsynth import invariants
    from dbsynth.serde import FieldError

    model = CategoricalModel.fit(planted_statuses(), TEXT, CTX)
    words = [" ".join(["ab", "cde", "fghi", "jk"][: 1 + i % 4]) + "x" * (i % 7) for i in range(40)]
    fitted = CategoricalModel.fit(pd.Series(["open"] * 60 + words), TEXT, CTX)
    assert fitted.rest is not None and fitted.rest["kind"] == "free_text"
    invariants.check_tree(json_roundtrip(fitted))
    decimal_column = Column("p", "numeric", LogicalType.DECIMAL)
    prices = CategoricalModel.fit(pd.Series([0.99, 2.99, 4.99] * 100), decimal_column, CTX)
    cases = {
        "rest: is not one of ('shape', 'free_text')": {**encode(model), "rest": {"kind": "numeric"}},
        "rest: is set in value order": {**encode(prices), "rest": fitted.rest},
    }
    for message, data in cases.items():
        with pytest.raises(FieldError) as exc:
            invariants.check_tree(decode(data), "")
        assert str(exc.value) == message
