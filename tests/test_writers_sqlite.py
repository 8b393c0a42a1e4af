"""What only the SQLite target does: every logical type and back, refusals with exact messages (a
missing file), the store/staff cycle under ``PRAGMA defer_foreign_keys``, null-then-update,
sqlite_sequence. What every sink does is in test_sinks.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from dbsynth.cycles import BreakStrategy
from dbsynth.db import parse_url
from dbsynth.errors import TargetError
from dbsynth.introspection import introspect
from dbsynth.schema import LogicalType
from dbsynth.writing import Batch, LoadResult, LoadSpec, TableLoad, open_target

from helpers_sinks import load, rows_of, spec_for

TRICKY = "a,\"b'\n\\ c\tNULL ünï"


def path_of(url: str) -> str:
    return str(parse_url(url).database)


def test_every_type_round_trips(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite(
        "CREATE TABLE every (id INTEGER PRIMARY KEY AUTOINCREMENT, i INTEGER, dec NUMERIC(10,3), f8 REAL,"
        " b BOOLEAN, vc VARCHAR(40), t TEXT, d DATE, tm TIME, ts TIMESTAMP, tstz TIMESTAMPTZ, iv INTERVAL,"
        " u UUID, j JSON, by BLOB, m TEXT, s TEXT, tags TEXT,"
        " twice INTEGER GENERATED ALWAYS AS (i * 2) STORED)"
    )
    schema = introspect(url)
    # What a PostgreSQL or MySQL source would declare for the columns SQLite has no type for.
    source = {"tstz": LogicalType.TIMESTAMPTZ, "iv": LogicalType.INTERVAL, "m": LogicalType.ENUM}
    source |= {"s": LogicalType.SET, "tags": LogicalType.ARRAY}
    table = schema.table("every")
    table = replace(
        table, columns=tuple(replace(c, logical=source.get(c.name, c.logical)) for c in table.columns)
    )
    schema = schema.replace_table(table)
    columns = tuple(c.name for c in table.columns if c.writable)
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "i": pd.array([-7, None], dtype="Int64"),
            "dec": [12.345, None],
            "f8": [0.1 + 0.2, float("nan")],
            "b": pd.array([True, None], dtype="boolean"),
            "vc": ["", None],
            "t": [TRICKY, None],
            "d": pd.Series([pd.Timestamp("2024-02-29"), pd.NaT], dtype="datetime64[us]"),
            "tm": pd.Series([pd.Timedelta("13:14:15.5"), pd.NaT], dtype="timedelta64[us]"),
            "ts": pd.Series([pd.Timestamp("1999-12-31 23:59:59"), pd.NaT], dtype="datetime64[us]"),
            "tstz": pd.Series(
                [pd.Timestamp("2021-06-01 12:00", tz="UTC"), pd.NaT], dtype="datetime64[us, UTC]"
            ),
            "iv": pd.Series(
                [pd.Timedelta(days=-1, hours=1, microseconds=5), pd.NaT], dtype="timedelta64[us]"
            ),
            "u": ["6f1c2d3e-0000-4000-8000-000000000001", None],
            "j": [{"a": [1, "x"], "b": None}, None],
            "by": [b"\x00\xff", None],
            "m": ["happy", None],
            "s": [("a", "c"), None],
            "tags": [["a", None, 'q"'], None],
        }
    )
    spec = LoadSpec(schema, (TableLoad("every", columns, 2),))
    assert load(url, spec, [Batch("every", frame)]) == LoadResult(rows={"every": 2}, committed=True)
    got = rows_of(url, "SELECT * FROM every ORDER BY id")
    assert dict(zip((*columns, "twice"), got[0], strict=True)) == {
        "id": 1,
        "i": -7,
        "dec": 12.345,
        "f8": 0.1 + 0.2,
        "b": 1,
        "vc": "",
        "t": TRICKY,
        "d": "2024-02-29",
        "tm": "13:14:15.500000",
        "ts": "1999-12-31 23:59:59",
        "tstz": "2021-06-01 12:00:00+00:00",
        "iv": "-1 days 01:00:00.000005",
        "u": "6f1c2d3e-0000-4000-8000-000000000001",
        "j": '{"a": [1, "x"], "b": null}',
        "by": b"\x00\xff",
        "m": "happy",
        "s": "a,c",
        "tags": '["a", null, "q\\""]',
        "twice": -14,
    }
    assert got[1] == (2,) + (None,) * len(columns)
    assert rows_of(url, "SELECT seq FROM sqlite_sequence WHERE name = 'every'") == [(2,)]


def test_refusals(make_sqlite: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_sqlite(
        "CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO author VALUES (1, 'x');"
    )
    schema = introspect(url)
    spec = spec_for(schema, {"author": 1})
    path = Path(path_of(url))
    monkeypatch.chdir(path.parent)
    with pytest.raises(TargetError) as err:
        open_target(path.name, source=url).open(spec)
    assert (
        str(err.value) == f"the target is the source database (sqlite:///{path.name}); choose another target"
    )
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec)
    assert str(err.value) == (
        "target table is not empty: author; pass --if-exists truncate to replace the rows "
        "or --if-exists append to add to them"
    )
    missing = tmp_path / "new.db"
    with pytest.raises(TargetError) as err:
        open_target(str(missing)).open(spec)
    assert (
        str(err.value)
        == f"SQLite file {missing} does not exist; pass --create-schema to create it with the schema"
    )
    assert not missing.exists()
    other = make_sqlite("CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(TargetError) as err:
        open_target(other).open(spec)
    assert str(err.value) == (
        f"table author does not exist in the target {other}. Did you mean 'authors'? "
        "Create it first, or pass --create-schema to create the schema there"
    )


def test_truncate_and_append_keep_autoincrement_honest(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite(
        "CREATE TABLE author (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);"
        "CREATE TABLE book (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES author (id));"
        "INSERT INTO author VALUES (1, 'old'), (50, 'old'); INSERT INTO book VALUES (1, 50);"
    )
    schema = introspect(url)
    keys = {"author": ("id",), "book": ("id",)}
    sink = open_target(url).open(
        spec_for(schema, {"author": 1, "book": 1}, if_exists="append", key_columns=keys)
    )
    assert sink.key_start == {("author", "id"): 51, ("book", "id"): 2}
    sink.close(False)
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec_for(schema, {"author": 1}, if_exists="truncate"))
    assert str(err.value) == (
        "cannot truncate author: table book references it, holds rows and is not part of the load; "
        "empty it first, or load into an empty target"
    )

    items = [
        Batch("author", pd.DataFrame({"id": [1, 2], "name": ["a", "b"]})),
        Batch("book", pd.DataFrame({"id": [1], "author_id": [2]})),
    ]
    result = load(url, spec_for(schema, {"author": 2, "book": 1}, if_exists="truncate"), items)
    assert result.notes == ("truncated author, book", "foreign keys checked at COMMIT")
    with sqlite3.connect(path_of(url)) as conn:
        assert conn.execute("INSERT INTO author (name) VALUES ('next') RETURNING id").fetchall() == [(3,)]


CYCLE_SQL = """
PRAGMA foreign_keys = ON;
CREATE TABLE store (store_id INTEGER PRIMARY KEY,
    manager_staff_id INTEGER NOT NULL REFERENCES staff (staff_id));
CREATE TABLE staff (staff_id INTEGER PRIMARY KEY, store_id INTEGER NOT NULL REFERENCES store (store_id));
CREATE TABLE keep (x INTEGER); INSERT INTO keep VALUES (1);
"""


def _cycle(spec: LoadSpec, staff_store: Sequence[int]) -> list[Batch]:
    frames = {
        "store": pd.DataFrame({"store_id": [1, 2], "manager_staff_id": [1, 2]}),
        "staff": pd.DataFrame({"staff_id": [1, 2, 3], "store_id": list(staff_store)}),
    }
    return [Batch(t.table, frames[t.table]) for t in spec.tables]


def test_not_null_cycle_is_deferred_to_commit(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite(CYCLE_SQL)
    spec = spec_for(introspect(url), {"store": 2, "staff": 3})
    assert [(b.table, b.strategy) for b in spec.breaks] == [("staff", BreakStrategy.DISABLE_AND_VALIDATE)]
    result = load(url, spec, _cycle(spec, [1, 2, 1]))
    assert result == LoadResult(
        rows={"staff": 3, "store": 2}, committed=True, notes=("foreign keys checked at COMMIT",)
    )
    assert rows_of(url, "SELECT count(*) FROM staff") == [(3,)]
