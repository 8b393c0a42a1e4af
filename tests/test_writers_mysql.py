"""What only the MariaDB target does, against the real server: every logical type through
executemany and back, its checks before writing (exact messages), the store/staff cycle with
FOREIGN_KEY_CHECKS off and an anti-join after, one transaction for every table's rows,
AUTO_INCREMENT. What every sink does is in test_sinks.py."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

import pandas as pd
import pytest
import sqlalchemy as sa

from dbsynth.cycles import BreakStrategy
from dbsynth.db import parse_url
from dbsynth.errors import TargetError
from dbsynth.introspection import introspect
from dbsynth.schema import Schema
from dbsynth.writing import Batch, LoadResult, LoadSpec, TableLoad, open_target

from helpers_sinks import load, rows_of, run, spec_for

pytestmark = pytest.mark.mysql

EVERY_TYPE_SQL = """
CREATE TABLE every (
    id int AUTO_INCREMENT PRIMARY KEY,
    i bigint, u_i int unsigned, dec_ decimal(10,3), f8 double, b boolean, vc varchar(40), t text,
    d date, tm time(6), ts datetime(6), tstz timestamp(6) NULL, y year, u char(36), j json,
    by_ blob, m enum('sad','ok','happy'), s set('a','b','c'), twice bigint AS (i * 2) STORED
) CHARACTER SET utf8mb4
"""

TRICKY = "a,\"b'\n\\ c\tNULL ünï 😀"


def test_every_type_round_trips(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(EVERY_TYPE_SQL)
    schema = introspect(url)
    columns = tuple(c.name for c in schema.table("every").columns if c.writable)
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "i": pd.array([-(2**40), None], dtype="Int64"),
            "u_i": pd.array([4_000_000_000, None], dtype="Int64"),
            "dec_": [12.345, None],
            "f8": [0.1 + 0.2, float("nan")],
            "b": pd.array([True, None], dtype="boolean"),
            "vc": ["", None],
            "t": [TRICKY, None],
            "d": pd.Series([pd.Timestamp("2024-02-29"), pd.NaT], dtype="datetime64[us]"),
            "tm": pd.Series([pd.Timedelta("13:14:15.5"), pd.NaT], dtype="timedelta64[us]"),
            "ts": pd.Series([pd.Timestamp("1999-12-31 23:59:59.123456"), pd.NaT], dtype="datetime64[us]"),
            "tstz": pd.Series(
                [pd.Timestamp("2021-06-01 12:00", tz="UTC"), pd.NaT], dtype="datetime64[us, UTC]"
            ),
            "y": pd.array([1999, None], dtype="Int64"),
            "u": ["6f1c2d3e-0000-4000-8000-000000000001", None],
            "j": [{"a": [1, "x"], "b": None}, None],
            "by_": [b"\x00\xff\\,'", None],
            "m": ["happy", None],
            "s": [("a", "c"), None],
        }
    )
    spec = LoadSpec(schema, (TableLoad("every", columns, 2),))
    assert load(url, spec, [Batch("every", frame)]) == LoadResult(rows={"every": 2}, committed=True)
    got = rows_of(url, "SELECT *, CONVERT_TZ(tstz, @@session.time_zone, '+00:00') FROM every ORDER BY id")
    first = dict(zip((*columns, "twice", "tstz_utc"), got[0], strict=True))
    assert first == {
        "id": 1,
        "i": -(2**40),
        "u_i": 4_000_000_000,
        "dec_": decimal.Decimal("12.345"),
        "f8": 0.1 + 0.2,
        "b": 1,
        "vc": "",
        "t": TRICKY,
        "d": dt.date(2024, 2, 29),
        "tm": dt.timedelta(hours=13, minutes=14, seconds=15, microseconds=500000),
        "ts": dt.datetime(1999, 12, 31, 23, 59, 59, 123456),
        "tstz": first["tstz"],
        "y": 1999,
        "u": "6f1c2d3e-0000-4000-8000-000000000001",
        "j": first["j"],
        "by_": b"\x00\xff\\,'",
        "m": "happy",
        "s": "a,c",
        "twice": -(2**41),
        "tstz_utc": dt.datetime(2021, 6, 1, 12, 0),
    }
    assert json.loads(first["j"]) == {"a": [1, "x"], "b": None}
    assert got[1] == (2,) + (None,) * (len(columns) + 1)


def test_checks_before_writing(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(
        "CREATE TABLE author (id int AUTO_INCREMENT PRIMARY KEY, name varchar(20) NOT NULL);"
        "CREATE TABLE book (id int PRIMARY KEY, author_id int NOT NULL,"
        " FOREIGN KEY (author_id) REFERENCES author (id));"
        "INSERT INTO author VALUES (1, 'old'), (5, 'old'); INSERT INTO book VALUES (1, 5)"
    )
    schema = introspect(url)
    database = parse_url(url).database
    spec = spec_for(schema, {"author": 2})
    with pytest.raises(TargetError) as err:
        open_target(url, source=f"mariadb://root:pw@localhost/{database}").open(spec)
    where = f"mysql://root@127.0.0.1:3306/{database}"
    assert str(err.value) == f"the target is the source database ({where}); choose another target"
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec)
    assert str(err.value) == (
        "target table is not empty: author; pass --if-exists truncate to replace the rows "
        "or --if-exists append to add to them"
    )
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec_for(schema, {"author": 2}, if_exists="truncate"))
    assert str(err.value) == (
        "cannot truncate author: table book references it, holds rows and is not part of the load; "
        "empty it first, or load into an empty target"
    )
    renamed = Schema("mysql", tuple(replace(t, name="bok") if t.name == "book" else t for t in schema.tables))
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec_for(renamed, {"bok": 1}))
    assert str(err.value) == (
        f"table bok does not exist in the target {where}. Did you mean 'book'? "
        "Create it first, or pass --create-schema to create the schema there"
    )
    assert rows_of(url, "SELECT id FROM author ORDER BY id") == [(1,), (5,)]

    keys = {"author": ("id",), "book": ("id",)}
    sink = open_target(url).open(
        spec_for(schema, {"author": 1, "book": 1}, if_exists="append", key_columns=keys)
    )
    assert sink.key_start == {("author", "id"): 6, ("book", "id"): 2}
    sink.write(Batch("author", pd.DataFrame({"id": [6], "name": ["new"]})))
    sink.write(Batch("book", pd.DataFrame({"id": [2], "author_id": [6]})))
    assert sink.close(True).committed
    run(url, "INSERT INTO author (name) VALUES ('next')")
    assert rows_of(url, "SELECT id, name FROM author ORDER BY id") == [
        (1, "old"),
        (5, "old"),
        (6, "new"),
        (7, "next"),
    ]

    result = load(
        url,
        spec_for(schema, {"author": 1, "book": 0}, if_exists="truncate"),
        [Batch("author", pd.DataFrame({"id": [3], "name": ["only"]}))],
    )
    assert result.notes == ("truncated author, book",)
    run(url, "INSERT INTO author (name) VALUES ('next')")
    assert rows_of(url, "SELECT id, name FROM author ORDER BY id") == [(3, "only"), (4, "next")]


@pytest.fixture
def limited_user(mysql_url: str) -> Iterator[str]:
    name = f"dbsynth_w_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(parse_url(mysql_url), poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.exec_driver_sql(f"CREATE USER '{name}'@'%%'")
    yield name
    with admin.begin() as conn:
        conn.exec_driver_sql(f"DROP USER '{name}'@'%%'")
    admin.dispose()


def test_a_user_without_insert_privilege_is_refused(
    make_mysql: Callable[[str], str], limited_user: str
) -> None:
    url = make_mysql("CREATE TABLE author (id int PRIMARY KEY, name varchar(20))")
    schema = introspect(url)
    database = parse_url(url).database
    run(url, f"GRANT SELECT ON `{database}`.* TO '{limited_user}'@'%'")
    as_user = parse_url(url).set(username=limited_user).render_as_string(hide_password=False)
    with pytest.raises(TargetError) as err:
        open_target(as_user).open(spec_for(schema, {"author": 1}))
    assert str(err.value) == f"no INSERT privilege on table author for user '{limited_user}'"


# -- the store/staff cycle --------------------------------------------------------------------

CYCLE_SQL = """
CREATE TABLE store (store_id int PRIMARY KEY, manager_staff_id int NOT NULL);
CREATE TABLE staff (staff_id int AUTO_INCREMENT PRIMARY KEY, store_id int NOT NULL,
    CONSTRAINT staff_store FOREIGN KEY (store_id) REFERENCES store (store_id));
ALTER TABLE store ADD CONSTRAINT store_manager FOREIGN KEY (manager_staff_id) REFERENCES staff (staff_id)
"""


def _cycle(spec: LoadSpec, staff_store: Sequence[int]) -> list[Batch]:
    frames = {
        "store": pd.DataFrame({"store_id": [1, 2], "manager_staff_id": [1, 2]}),
        "staff": pd.DataFrame({"staff_id": [1, 2, 3], "store_id": list(staff_store)}),
    }
    return [Batch(t.table, frames[t.table]) for t in spec.tables]


def test_not_null_cycle_loads_with_checks_off_and_is_validated(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(CYCLE_SQL)
    schema = introspect(url)
    spec = spec_for(schema, {"store": 2, "staff": 3})
    assert [(b.table, b.strategy) for b in spec.breaks] == [("staff", BreakStrategy.DISABLE_AND_VALIDATE)]
    result = load(url, spec, _cycle(spec, [1, 2, 1]))
    assert result == LoadResult(
        rows={"staff": 3, "store": 2}, committed=True, notes=("foreign key staff_store on staff validated",)
    )
    run(url, "INSERT INTO staff (store_id) VALUES (2)")
    assert rows_of(url, "SELECT max(staff_id) FROM staff") == [(4,)]


def test_a_failing_table_rolls_back_the_tables_before_it(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(CYCLE_SQL)
    spec = spec_for(introspect(url), {"store": 2, "staff": 3})
    items = _cycle(spec, [1, 2, 1])
    items[1].frame.loc[1, "store_id"] = 1  # duplicate primary key in store, the second table
    with pytest.raises(TargetError) as err:
        load(url, spec, items)
    assert str(err.value) == (
        "writing store failed: (1062) Duplicate entry '1' for key 'PRIMARY'; "
        "the load was rolled back and the target is unchanged"
    )
    assert rows_of(url, "SELECT (SELECT count(*) FROM staff), (SELECT count(*) FROM store)") == [(0, 0)]
