"""Value encoding: exact texts for the tricky types, and property tests that PostgreSQL reads back
any text, array of text and interval exactly as they were (against the real server)."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

import pandas as pd
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbsynth.db import parse_url
from dbsynth.schema import Column, LogicalType
from dbsynth.writing.encode import (
    MYSQL_VALUES,
    SQLITE_VALUES,
    copy_csv,
    interval_text,
    mysql_time_text,
    pg_array_literal,
    python_rows,
    time_text,
)
from dbsynth.writing.postgres import conninfo

L = LogicalType


def col(name: str, logical: LogicalType) -> Column:
    return Column(name, "x", logical)


def test_null_and_empty_string_stay_apart() -> None:
    frame = pd.DataFrame({"s": ["", None, "x"], "n": pd.array([None, 1, 2], dtype="Int64")})
    assert copy_csv(frame, [col("s", L.TEXT), col("n", L.INTEGER)]) == b'"",\n,1\n"x",2\n'


def test_array_literals_quote_every_element() -> None:
    assert pg_array_literal([]) == "{}"
    assert pg_array_literal(["NULL", None, 'a"b\\c', "{x},y"]) == '{"NULL",NULL,"a\\"b\\\\c","{x},y"}'
    assert pg_array_literal([[1, 2], [3, None]]) == '{{"1","2"},{"3",NULL}}'
    assert pg_array_literal([True, b"\x01", dt.date(2024, 1, 2)]) == '{"t","\\\\x01","2024-01-02"}'


def test_durations_as_interval_and_time_text() -> None:
    values = pd.Series(
        [pd.Timedelta(days=-1, hours=1), pd.Timedelta(hours=25, microseconds=5), pd.NaT, pd.Timedelta(0)],
        dtype="timedelta64[us]",
    )
    assert interval_text(values).to_pylist() == [
        "-1 days 01:00:00.000000",
        "1 days 01:00:00.000005",
        None,
        "0 days 00:00:00.000000",
    ]
    assert mysql_time_text(values).to_pylist() == [
        "-23:00:00.000000",
        "25:00:00.000005",
        None,
        "00:00:00.000000",
    ]
    times = pd.Series([dt.time(13, 14, 15, 500000), None, dt.time(0, 0)], dtype=object)
    assert time_text(times).to_pylist() == ["13:14:15.500000", None, "00:00:00.000000"]


def test_python_values_per_dialect() -> None:
    frame = pd.DataFrame(
        {
            "b": pd.array([True, None], dtype="boolean"),
            "tz": pd.Series([pd.Timestamp("2021-06-01 12:00", tz="Europe/Paris"), pd.NaT]),
            "dec": pd.Series([decimal.Decimal("1.50"), None], dtype=object),
            "s": pd.Series([("a", "c"), None], dtype=object),
        }
    )
    columns = [col("b", L.BOOLEAN), col("tz", L.TIMESTAMPTZ), col("dec", L.DECIMAL), col("s", L.SET)]
    assert python_rows(frame, columns, MYSQL_VALUES) == [
        (1, "2021-06-01 10:00:00.000000", "1.50", "a,c"),
        (None, None, None, None),
    ]
    assert python_rows(frame, columns, SQLITE_VALUES)[0] == (1, "2021-06-01 10:00:00+00:00", "1.50", "a,c")


def test_a_value_that_does_not_fit_names_its_column() -> None:
    with pytest.raises(ValueError) as err:
        copy_csv(pd.DataFrame({"qty": [1.5]}), [col("qty", L.INTEGER)])
    assert str(err.value).startswith("column qty (integer): ")


# -- what PostgreSQL reads back ------------------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)


@pytest.fixture(scope="module")
def pg(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(conninfo(parse_url(pg_url))) as conn:
        conn.execute("CREATE TEMPORARY TABLE enc (t text, a text[], iv interval)")
        yield conn


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.none() | TEXT,
            st.none() | st.lists(st.none() | TEXT, max_size=4),
            st.none()
            | st.timedeltas(min_value=dt.timedelta(days=-(10**5)), max_value=dt.timedelta(days=10**5)),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_postgres_copy_reads_back_what_was_encoded(
    pg: psycopg.Connection[Any], rows: list[tuple[Any, ...]]
) -> None:
    frame = pd.DataFrame(
        {
            "t": pd.Series([r[0] for r in rows], dtype=object),
            "a": pd.Series([r[1] for r in rows], dtype=object),
            "iv": pd.Series([r[2] for r in rows], dtype="timedelta64[us]"),
        }
    )
    data = copy_csv(frame, [col("t", L.TEXT), col("a", L.ARRAY), col("iv", L.INTERVAL)])
    with pg.cursor() as cur:
        cur.execute("TRUNCATE enc")
        with cur.copy("COPY enc FROM STDIN (FORMAT csv)") as copy:
            copy.write(data)
        got = cur.execute("SELECT t, a, iv FROM enc").fetchall()
    assert [tuple(r) for r in got] == [(t, a, iv) for t, a, iv in rows]
