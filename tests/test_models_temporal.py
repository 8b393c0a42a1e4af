"""The temporal column model: epochs, resolutions, calendar layers, output types (fixed seeds)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from scipy import stats

from dbsynth.columns.base import ColumnModel, FitContext, decode, encode
from dbsynth.columns.temporal import DAY, MINUTE, SECOND, TemporalModel, to_microseconds
from dbsynth.schema import Column, LogicalType

CTX = FitContext(min_count=5, seed=3)
DATE = Column("ordered_on", "date", LogicalType.DATE)
STAMP = Column("created_at", "timestamp without time zone", LogicalType.TIMESTAMP)
STAMPTZ = Column("paid_at", "timestamp with time zone", LogicalType.TIMESTAMPTZ)
TIME = Column("opens_at", "time", LogicalType.TIME)
INTERVAL = Column("duration", "interval", LogicalType.INTERVAL)
# Monday..Sunday: a business calendar where weekends are rare
PROFILE = np.array([0.20, 0.20, 0.20, 0.20, 0.17, 0.02, 0.01])


def json_roundtrip(model: ColumnModel) -> ColumnModel:
    return decode(json.loads(json.dumps(encode(model))))


def weekday_dates(n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    monday = np.datetime64("2020-01-06")
    weeks = rng.integers(0, 104, n)
    days = weeks * 7 + rng.choice(7, size=n, p=PROFILE)
    return pd.Series((monday + days.astype("timedelta64[D]")).astype(object))


def business_stamps(n: int, seed: int = 0) -> pd.Series:
    """Timestamps over a year, hours ~ N(13 h, 2.5 h) in UTC, whole seconds, tz-aware."""
    rng = np.random.default_rng(seed)
    days = weekday_dates(n, seed).to_numpy(dtype="datetime64[D]")
    seconds = np.clip(rng.normal(13 * 3600, 2.5 * 3600, n), 0, 86_399).astype(np.int64)
    stamps = days.astype("datetime64[s]") + seconds.astype("timedelta64[s]")
    return pd.Series(stamps.astype("datetime64[us]")).dt.tz_localize("UTC")


def sample(model: TemporalModel, n: int, seed: int = 1) -> pd.Series:
    rng = np.random.default_rng(seed)
    return model.from_uniform(rng.random(n), rng)


def test_dates_keep_the_weekday_profile() -> None:
    model = TemporalModel.fit(weekday_dates(20_000), DATE, CTX)
    assert len(model.weekday) == 7
    out = sample(model, 20_000)
    assert all(type(d) is dt.date for d in out)
    shares = np.bincount([d.weekday() for d in out], minlength=7) / len(out)
    assert np.abs(shares - PROFILE).max() < 0.015  # tolerance: ±1.5 points per weekday
    assert "weekday profile (weekends 3%, busiest " in model.describe()
    assert model.describe().startswith("date, 2020-01-")


def test_a_flat_week_stores_no_weekday_layer() -> None:
    rng = np.random.default_rng(2)
    days = np.datetime64("2020-01-01") + rng.integers(0, 700, 10_000).astype("timedelta64[D]")
    model = TemporalModel.fit(pd.Series(days.astype(object)), DATE, CTX)
    assert model.weekday == ()
    assert "weekday" not in model.describe()


def test_timestamptz_keeps_business_hours_trend_and_utc() -> None:
    source = business_stamps(20_000)
    model = TemporalModel.fit(source, STAMPTZ, CTX)
    assert model.resolution_us == SECOND and model.time_of_day is not None
    out = sample(model, 20_000)
    assert str(out.dtype) == "datetime64[us, UTC]"

    def office(s: pd.Series) -> float:
        return float(((s.dt.hour >= 9) & (s.dt.hour < 17)).mean())

    assert abs(office(out) - office(source)) < 0.03  # tolerance: ±3 points
    days_src = source.dt.tz_localize(None).to_numpy(dtype="datetime64[D]").astype(np.int64)
    days_out = out.dt.tz_localize(None).to_numpy(dtype="datetime64[D]").astype(np.int64)
    assert stats.ks_2samp(days_src, days_out, method="asymp").statistic < 0.03
    assert (out.dt.microsecond == 0).all()
    assert "80% of times of day 09:" in model.describe()
    assert out.min() >= source.min() and out.max() <= source.max()


def test_tz_aware_inputs_are_normalised_to_utc() -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    values = pd.Series([dt.datetime(2020, 1, 1, 2, 0, tzinfo=plus2), dt.datetime(2020, 1, 1, tzinfo=dt.UTC)])
    us, ok = to_microseconds(values, "timestamptz")
    assert ok.all() and us[0] == us[1]
    model = TemporalModel.fit(pd.concat([values] * 5), STAMPTZ, CTX)
    assert sample(model, 3).tolist() == [pd.Timestamp("2020-01-01", tz="UTC")] * 3


def test_resolution_and_midnight_are_kept() -> None:
    rng = np.random.default_rng(4)
    start = np.datetime64("2021-03-01T00:00", "m")
    minutes = pd.Series(
        (start + rng.integers(0, 200_000, 5000).astype("timedelta64[m]")).astype("datetime64[us]")
    )
    model = TemporalModel.fit(minutes, STAMP, CTX)
    assert model.resolution_us == MINUTE
    out = sample(model, 5000)
    assert str(out.dtype) == "datetime64[us]"
    assert (out.dt.second == 0).all() and (out.dt.microsecond == 0).all()
    assert "whole minutes" in model.describe()

    midnights = pd.Series(pd.to_datetime(weekday_dates(3000).astype(str)))
    model = TemporalModel.fit(midnights, STAMP, CTX)
    assert model.resolution_us == DAY and model.time_of_day is None
    assert (sample(model, 3000).dt.normalize() == sample(model, 3000)).all()


def test_output_types_per_logical_type() -> None:
    rng = np.random.default_rng(5)
    times = pd.Series(
        [
            dt.time(int(h), int(m))
            for h, m in zip(rng.integers(8, 18, 500), rng.integers(0, 60, 500), strict=True)
        ]
    )
    time_out = sample(TemporalModel.fit(times, TIME, CTX), 200)
    assert all(type(t) is dt.time for t in time_out)
    assert min(time_out) >= dt.time(8) and max(time_out) < dt.time(18)

    lengths = pd.Series(pd.to_timedelta(rng.exponential(3.0, 2000), unit="D").round("h"))
    interval = TemporalModel.fit(lengths, INTERVAL, CTX)
    out = sample(interval, 2000)
    assert str(out.dtype) == "timedelta64[us]"
    assert (out >= pd.Timedelta(0)).all() and (out.dt.seconds % 3600 == 0).all()
    assert interval.describe().startswith("interval, 0 days ")


def test_mysql_timedelta_times_and_sqlite_text_are_read() -> None:
    deltas = pd.Series([dt.timedelta(hours=9, minutes=30)] * 10 + [dt.timedelta(hours=17)] * 10)
    model = TemporalModel.fit(deltas, TIME, CTX)
    assert set(sample(model, 100)) == {dt.time(9, 30), dt.time(17)}

    text = pd.Series(["2022-05-01 10:00:00", "2022-05-02 11:30:00", "2022-05-03T12:00:00"] * 4)
    model = TemporalModel.fit(text, STAMP, CTX)
    out = sample(model, 50)
    assert out.min() >= pd.Timestamp("2022-05-01 10:00") and out.max() <= pd.Timestamp("2022-05-03 12:00")


def test_mysql_durations_beyond_a_day_are_clipped_to_a_time_of_day() -> None:
    model = TemporalModel.fit(
        pd.Series([dt.timedelta(hours=30)] * 6 + [dt.timedelta(hours=-1)] * 6), TIME, CTX
    )
    assert set(sample(model, 100)) == {dt.time(0), dt.time(23)}


def test_dates_stay_in_the_valid_range() -> None:
    rng = np.random.default_rng(6)
    days = (np.datetime64("9990-01-01") + rng.integers(0, 3650, 2000).astype("timedelta64[D]")).astype(object)
    sentinel = [dt.date(9999, 12, 31)] * 300  # "no end" sentinels, seen 300 times: a point mass
    model = TemporalModel.fit(pd.Series([*days, *sentinel]), DATE, CTX)
    out = sample(model, 5000)
    assert max(out) == dt.date(9999, 12, 31)
    assert abs(np.mean([d == dt.date(9999, 12, 31) for d in out]) - 300 / 2300) < 0.02
    early = pd.Series([dt.date(1, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 40, 500)])
    assert min(sample(TemporalModel.fit(early, DATE, CTX), 2000)) >= dt.date(1, 1, 1)


def test_a_lone_extreme_date_is_neither_stored_nor_generated() -> None:
    dates = weekday_dates(5000)
    lone = dt.date(1900, 1, 1)
    model = TemporalModel.fit(pd.Series([*dates, lone]), DATE, CTX)
    lone_day = (lone - dt.date(1970, 1, 1)).days
    assert str(lone_day) not in json.dumps(encode(model))
    assert min(sample(model, 20_000)) >= min(dates)  # the window mean is never below the minimum


@pytest.mark.parametrize(
    ("column", "values"),
    [(DATE, weekday_dates(10_000, seed=8)), (STAMPTZ, business_stamps(10_000, seed=8))],
    ids=["date", "timestamptz"],
)
def test_to_uniform_of_own_samples_is_uniform(column: Column, values: pd.Series) -> None:
    model = TemporalModel.fit(values, column, CTX)
    rng = np.random.default_rng(9)
    u = model.to_uniform(sample(model, 10_000, seed=9), rng)
    assert stats.kstest(u, "uniform").statistic < 0.02  # tolerance: 0.02 at n = 10k
    again = model.from_uniform(model.to_uniform(values, rng), rng)
    assert len(again) == len(values)


def test_encode_decode_round_trips_every_kind() -> None:
    rng = np.random.default_rng(10)
    models = [
        TemporalModel.fit(weekday_dates(3000), DATE, CTX),
        TemporalModel.fit(business_stamps(3000), STAMPTZ, CTX),
        TemporalModel.fit(business_stamps(3000).dt.tz_localize(None), STAMP, CTX),
        TemporalModel.fit(pd.Series([dt.time(9), dt.time(12, 30)] * 20), TIME, CTX),
        TemporalModel.fit(pd.Series(pd.to_timedelta(rng.integers(0, 90, 300), unit="D")), INTERVAL, CTX),
        TemporalModel.fit(pd.Series([], dtype=object), DATE, CTX),
    ]
    for model in models:
        assert json_roundtrip(model) == model
    # Nothing to keep: the day of the fit stands in (a date no one can trace, valid in every type).
    assert models[-1].describe().endswith(f"100% at {dt.date.today().isoformat()}")


def test_a_non_temporal_column_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^column n is integer, not a date/time type$"):
        TemporalModel.fit(pd.Series([1]), Column("n", "integer", LogicalType.INTEGER), CTX)


@pytest.mark.postgres
def test_fits_pagila_rental_dates_as_psycopg_returns_them(dataset_url) -> None:  # type: ignore[no-untyped-def]
    engine = sa.create_engine(dataset_url("pagila"), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = [r[0] for r in conn.exec_driver_sql("SELECT rental_date FROM rental")]
    engine.dispose()
    assert rows[0].tzinfo is not None
    source = pd.to_datetime(pd.Series(rows), utc=True)
    model = TemporalModel.fit(pd.Series(rows, dtype=object), STAMPTZ, CTX)
    out = sample(model, 16_000)
    assert str(out.dtype) == "datetime64[us, UTC]"
    assert out.min() >= source.min() and out.max() <= source.max()
    # rentals come in bursts of days: the monthly mix of the source within ±3 points
    src_months = source.dt.month.value_counts(normalize=True)
    out_months = out.dt.month.value_counts(normalize=True).reindex(src_months.index, fill_value=0.0)
    assert (src_months - out_months).abs().max() < 0.03


@pytest.mark.mysql
def test_fits_mariadb_time_and_datetime_as_pymysql_returns_them(make_mysql) -> None:  # type: ignore[no-untyped-def]
    inserts = ", ".join(
        f"('{9 + i % 8:02d}:{(i * 7) % 60:02d}:00', '2023-01-{1 + i % 28:02d} 10:00:00')" for i in range(60)
    )
    url = make_mysql(
        f"CREATE TABLE shift (starts TIME NOT NULL, day DATETIME NOT NULL);INSERT INTO shift VALUES {inserts}"
    )
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        starts, days = zip(*conn.exec_driver_sql("SELECT starts, day FROM shift").fetchall(), strict=True)
    engine.dispose()
    assert isinstance(starts[0], dt.timedelta) and isinstance(days[0], dt.datetime)
    time_model = TemporalModel.fit(pd.Series(starts, dtype=object), TIME, CTX)
    assert time_model.resolution_us == MINUTE
    out = sample(time_model, 500)
    assert min(out) >= dt.time(9) and max(out) <= dt.time(16, 59)
    day_model = TemporalModel.fit(
        pd.Series(days, dtype=object), Column("day", "datetime", LogicalType.TIMESTAMP), CTX
    )
    produced = sample(day_model, 500)
    assert (produced.dt.hour == 10).all() and produced.min() >= pd.Timestamp("2023-01-01")
