"""What only the PostgreSQL target does, against the real server: every logical type through COPY
and back, its catalog checks (exact messages), cut foreign keys deferred or dropped and re-added,
sequences, and a COPY that fails mid-stream. What every sink does is in test_sinks.py."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from dbsynth.cycles import BreakStrategy
from dbsynth.db import parse_url
from dbsynth.errors import ConnectionFailed, TargetError
from dbsynth.introspection import introspect
from dbsynth.schema import Schema
from dbsynth.writing import Batch, LoadResult, LoadSpec, TableLoad, open_target

from helpers_sinks import load, rows_of, run, spec_for

pytestmark = pytest.mark.postgres

EVERY_TYPE_SQL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS numeric(8,2) CHECK (VALUE > 0);
CREATE TABLE every (
    id serial PRIMARY KEY,
    i integer, dec numeric(10,3), f8 double precision, b boolean, vc varchar(40), t text,
    d date, tm time, ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb jsonb,
    by bytea, m mood, tags text[], grid integer[][], price positive, ip inet,
    twice integer GENERATED ALWAYS AS (i * 2) STORED
);
"""

TRICKY = "a,\"b'\n\\ c\tNULL ünï"
TAGS = ["a", None, 'q"\\', "NULL", "{x}", "a,b", "", " sp "]


def test_every_type_round_trips(make_pg: Callable[[str], str]) -> None:
    url = make_pg(EVERY_TYPE_SQL)
    schema = introspect(url)
    columns = tuple(c.name for c in schema.table("public.every").columns if c.writable)
    assert "twice" not in columns
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
            "ts": pd.Series([pd.Timestamp("1999-12-31 23:59:59.123456"), pd.NaT], dtype="datetime64[us]"),
            "tstz": pd.Series(
                [pd.Timestamp("2021-06-01 12:00", tz="UTC"), pd.NaT], dtype="datetime64[us, UTC]"
            ),
            "iv": pd.Series(
                [pd.Timedelta(days=-1, hours=1, microseconds=5), pd.NaT], dtype="timedelta64[us]"
            ),
            "u": ["6f1c2d3e-0000-4000-8000-000000000001", None],
            "j": [{"a": [1, "x"], "b": None}, None],
            "jb": ["just a string", None],
            "by": [b"\x00\xff\\,", None],
            "m": ["happy", None],
            "tags": [TAGS, None],
            "grid": [[[1, 2], [3, None]], None],
            "price": [5.25, None],
            "ip": ["10.0.0.1", None],
        }
    )
    spec = LoadSpec(schema, (TableLoad("public.every", columns, 2),))
    result = load(url, spec, [Batch("public.every", frame)])
    assert result == LoadResult(rows={"public.every": 2}, committed=True, notes=("reset 1 sequence(s)",))
    got = rows_of(url, "SELECT *, ip::text FROM every ORDER BY id")
    first = dict(zip((*columns, "twice", "ip_text"), got[0], strict=True))
    assert first == {
        "id": 1,
        "i": -7,
        "dec": decimal.Decimal("12.345"),
        "f8": 0.1 + 0.2,
        "b": True,
        "vc": "",
        "t": TRICKY,
        "d": dt.date(2024, 2, 29),
        "tm": dt.time(13, 14, 15, 500000),
        "ts": dt.datetime(1999, 12, 31, 23, 59, 59, 123456),
        "tstz": dt.datetime(2021, 6, 1, 12, 0, tzinfo=dt.UTC),
        "iv": dt.timedelta(days=-1, hours=1, microseconds=5),
        "u": uuid.UUID("6f1c2d3e-0000-4000-8000-000000000001"),
        "j": {"a": [1, "x"], "b": None},
        "jb": "just a string",
        "by": b"\x00\xff\\,",
        "m": "happy",
        "tags": TAGS,
        "grid": [[1, 2], [3, None]],
        "price": decimal.Decimal("5.25"),
        "ip": first["ip"],
        "twice": -14,
        "ip_text": "10.0.0.1/32",
    }
    assert got[1] == (2,) + (None,) * (len(columns) + 1)


def test_refuses_the_source_database(make_pg: Callable[[str], str]) -> None:
    url = make_pg("CREATE TABLE t (id int)")
    database = parse_url(url).database
    source = f"postgres://postgres:secret@localhost/{database}"
    target = parse_url(url).set(host="::1", password="pw").render_as_string(hide_password=False)
    spec = spec_for(Schema("postgresql", ()), {})
    with pytest.raises(TargetError) as err:
        open_target(target, source=source).open(spec)
    assert str(err.value) == (
        f"the target is the source database (postgresql://postgres:***@[::1]:5432/{database}); "
        "choose another target"
    )


def _two_tables(make_pg: Callable[[str], str], extra: str = "") -> tuple[str, Schema]:
    url = make_pg(
        "CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE book (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        " author_id integer NOT NULL REFERENCES author, title text);" + extra
    )
    return url, introspect(url)


def _authors(ids: Sequence[int]) -> Batch:
    return Batch("public.author", pd.DataFrame({"id": list(ids), "name": [f"a{i}" for i in ids]}))


def _books(ids: Sequence[int], author: int = 1) -> Batch:
    return Batch(
        "public.book",
        pd.DataFrame({"id": list(ids), "author_id": [author] * len(ids), "title": ["t"] * len(ids)}),
    )


def test_missing_table_and_column_are_named(make_pg: Callable[[str], str]) -> None:
    url, schema = _two_tables(make_pg)
    run(url, "ALTER TABLE book RENAME TO books; ALTER TABLE author RENAME COLUMN name TO full_name")
    spec = spec_for(schema, {"public.author": 1, "public.book": 1})
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec)
    assert str(err.value) == (
        f"table public.book does not exist in the target postgresql://postgres@127.0.0.1:5432/"
        f"{parse_url(url).database}. Did you mean 'public.books'? Create it first, or pass --create-schema "
        "to create the schema there"
    )
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec_for(schema, {"public.author": 1}))
    assert (
        str(err.value) == "table public.author in the target has no column 'name'. Did you mean 'full_name'?"
    )


def test_truncate_resets_identities_and_serials_past_the_new_rows(make_pg: Callable[[str], str]) -> None:
    url, schema = _two_tables(make_pg, "INSERT INTO author VALUES (1, 'old'), (5, 'old');")
    rows = {"public.author": 2, "public.book": 1}
    result = load(url, spec_for(schema, rows, if_exists="truncate"), [_authors([1, 2]), _books([1])])
    assert result.notes == ("truncated public.author, public.book", "reset 2 sequence(s)")
    # Sequences follow the rows now in the tables: a default id comes after the largest one.
    assert rows_of(url, "INSERT INTO author (name) VALUES ('new') RETURNING id") == [(3,)]
    assert rows_of(url, "INSERT INTO book (author_id) VALUES (1) RETURNING id") == [(2,)]


def test_truncate_refuses_a_table_referenced_from_outside_the_load(make_pg: Callable[[str], str]) -> None:
    url, schema = _two_tables(make_pg, "INSERT INTO author VALUES (1, 'old');")
    spec = spec_for(schema, {"public.author": 1}, if_exists="truncate")
    # An empty referencing table is no obstacle (PostgreSQL's TRUNCATE would still refuse it).
    assert load(url, spec, [_authors([2])]).notes[0] == "truncated public.author"
    run(url, "INSERT INTO book (author_id) VALUES (2)")
    with pytest.raises(TargetError) as err:
        open_target(url).open(spec)
    assert str(err.value) == (
        "cannot truncate public.author: table book references it, holds rows and is not part of the load; "
        "empty it first, or load into an empty target"
    )
    assert rows_of(url, "SELECT id, name FROM author") == [(2, "a2")]


def test_sequences_of_an_empty_load_restart_at_their_start(make_pg: Callable[[str], str]) -> None:
    url, schema = _two_tables(make_pg, "SELECT setval('author_id_seq', 40);")
    result = load(url, spec_for(schema, {"public.author": 0}), [])
    assert result.rows == {"public.author": 0}
    assert rows_of(url, "INSERT INTO author (name) VALUES ('x') RETURNING id") == [(1,)]


@pytest.fixture
def limited_role(fresh_pg: str) -> Any:
    """A login role with no privilege at all; dropped before its database (fresh_pg) is."""
    name = f"dbsynth_w_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(parse_url(fresh_pg), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN")
    yield name
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP OWNED BY {name}")
        conn.exec_driver_sql(f"DROP ROLE {name}")
    admin.dispose()


def test_a_role_without_insert_privilege_is_refused(make_pg: Callable[[str], str], limited_role: str) -> None:
    url, schema = _two_tables(make_pg, "INSERT INTO author VALUES (1, 'old');")
    database = parse_url(url).database
    run(
        url,
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC; "
        f"GRANT CONNECT ON DATABASE {database} TO {limited_role}",
    )
    as_role = parse_url(url).set(username=limited_role).render_as_string(hide_password=False)
    spec = spec_for(schema, {"public.author": 1}, if_exists="truncate")
    with pytest.raises(TargetError) as err:
        open_target(as_role).open(spec)
    assert str(err.value) == f"no INSERT privilege on table public.author for role '{limited_role}'"
    assert rows_of(url, "SELECT id, name FROM author") == [(1, "old")]

    run(url, f"GRANT INSERT, SELECT ON author TO {limited_role}")
    with pytest.raises(TargetError) as err:
        open_target(as_role).open(spec)
    assert str(err.value) == f"no TRUNCATE privilege on table public.author for role '{limited_role}'"

    with pytest.raises(TargetError) as err:
        open_target(as_role).open(spec_for(schema, {"public.author": 1}, if_exists="append"))
    assert str(err.value) == (
        f"no UPDATE privilege on sequence author_id_seq (of author.id) for role '{limited_role}'"
    )
    assert rows_of(url, "SELECT id, name FROM author") == [(1, "old")]


def test_an_unreachable_server_is_a_connection_error() -> None:
    with pytest.raises(ConnectionFailed) as err:
        open_target("postgresql://someone:secret@127.0.0.1:1/x").open(spec_for(Schema("postgresql", ()), {}))
    assert "secret" not in str(err.value)
    assert str(err.value).startswith("cannot reach database server at postgresql://someone:***@127.0.0.1:1/x")


# -- cycles -----------------------------------------------------------------------------------

CYCLE_SQL = """
CREATE TABLE store (store_id integer PRIMARY KEY, manager_staff_id integer NOT NULL);
CREATE TABLE staff (staff_id serial PRIMARY KEY, store_id integer NOT NULL REFERENCES store);
ALTER TABLE store ADD CONSTRAINT store_manager_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff {mode};
"""


def _cycle_items(spec: LoadSpec, staff_store: Sequence[int]) -> list[Batch]:
    frames = {
        "public.store": pd.DataFrame({"store_id": [1, 2], "manager_staff_id": [1, 2]}),
        "public.staff": pd.DataFrame({"staff_id": [1, 2, 3], "store_id": list(staff_store)}),
    }
    return [Batch(t.table, frames[t.table]) for t in spec.tables]


@pytest.mark.parametrize(
    ("mode", "strategy"),
    [("", BreakStrategy.DISABLE_AND_VALIDATE), ("DEFERRABLE", BreakStrategy.DEFERRED)],
)
def test_not_null_cycle_loads_and_is_validated(
    make_pg: Callable[[str], str], mode: str, strategy: BreakStrategy
) -> None:
    url = make_pg(CYCLE_SQL.format(mode=mode))
    schema = introspect(url)
    spec = spec_for(
        schema, {"public.store": 2, "public.staff": 3}, key_columns={"public.staff": ("staff_id",)}
    )
    assert [b.strategy for b in spec.breaks] == [strategy]
    cut = spec.breaks[0]
    fks = (
        "SELECT conname, pg_get_constraintdef(oid), convalidated "
        "FROM pg_constraint WHERE contype = 'f' ORDER BY 1"
    )
    before = rows_of(url, fks)

    result = load(url, spec, _cycle_items(spec, [1, 2, 1]))
    assert result.committed and result.rows == {"public.staff": 3, "public.store": 2}
    constraint = "staff_store_id_fkey" if cut.table == "public.staff" else "store_manager_fkey"
    verb = "re-added and validated" if strategy is BreakStrategy.DISABLE_AND_VALIDATE else "checked"
    assert f"foreign key {constraint} on {cut.table} {verb}" in result.notes
    assert rows_of(url, fks) == before
    assert rows_of(url, "INSERT INTO staff (store_id) VALUES (2) RETURNING staff_id") == [(4,)]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (
            "",
            "foreign key public.staff.store_id -> public.store (staff_store_id_fkey) does not hold after the "
            "load: 1 row(s) of public.staff reference no row of public.store",
        ),
        (
            "DEFERRABLE",
            "foreign key public.store.manager_staff_id -> public.staff (store_manager_fkey) does not hold "
            "after the load: 1 row(s) of public.store reference no row of public.staff",
        ),
    ],
)
def test_broken_cycle_fails_validation_and_leaves_nothing(
    make_pg: Callable[[str], str], mode: str, message: str
) -> None:
    url = make_pg(CYCLE_SQL.format(mode=mode) + "CREATE TABLE keep (x int); INSERT INTO keep VALUES (1);")
    schema = introspect(url)
    spec = spec_for(schema, {"public.store": 2, "public.staff": 3})
    items = _cycle_items(spec, [1, 2, 1])
    # Break the cut key: the other one is checked by the server row by row, as usual.
    cut = spec.breaks[0]
    for item in items:
        if item.table == cut.table:
            item.frame.loc[1, cut.foreign_key.columns[0]] = 99
    sink = open_target(url).open(spec)
    for item in items:
        sink.write(item)
    with pytest.raises(TargetError) as err:
        sink.close(True)
    assert str(err.value) == message + "; the load was rolled back and the target is unchanged"
    assert sink.close(False).committed is False
    assert rows_of(
        url, "SELECT (SELECT count(*) FROM store), (SELECT count(*) FROM staff), (SELECT count(*) FROM keep)"
    ) == [(0, 0, 1)]
    assert rows_of(url, "SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == [(2,)]


def test_a_failure_mid_load_leaves_the_target_as_it_was(make_pg: Callable[[str], str]) -> None:
    url, schema = _two_tables(
        make_pg,
        "INSERT INTO author VALUES (1, 'old'); INSERT INTO book OVERRIDING SYSTEM VALUE VALUES (1, 1, 'x');",
    )
    before = rows_of(
        url, "SELECT 'a', id, name FROM author UNION ALL SELECT 'b', id, title FROM book ORDER BY 1, 2"
    )
    spec = spec_for(schema, {"public.author": 3, "public.book": 2}, if_exists="truncate")
    with pytest.raises(TargetError) as err:
        load(url, spec, [_authors([1, 2, 3]), _books([1, 1])])
    assert str(err.value) == (
        'writing public.book failed: duplicate key value violates unique constraint "book_pkey"; '
        "Key (id)=(1) already exists.; COPY book, line 2; "
        "the load was rolled back and the target is unchanged"
    )
    after = rows_of(
        url, "SELECT 'a', id, name FROM author UNION ALL SELECT 'b', id, title FROM book ORDER BY 1, 2"
    )
    assert after == before


def test_a_bad_value_while_a_copy_is_streaming_aborts_it(make_pg: Callable[[str], str]) -> None:
    url, schema = _two_tables(make_pg, "INSERT INTO author VALUES (1, 'old');")
    sink = open_target(url).open(spec_for(schema, {"public.author": 3}, if_exists="truncate"))
    sink.write(_authors([1, 2]))
    with pytest.raises(TargetError) as err:
        sink.write(Batch("public.author", pd.DataFrame({"id": [2.5], "name": ["x"]})))
    assert str(err.value).startswith("writing public.author failed: column id (integer): ")
    assert str(err.value).endswith("; the load was rolled back and the target is unchanged")
    assert sink.close(False) == LoadResult(
        rows={}, committed=False, notes=("the load was rolled back and the target is unchanged",)
    )
    assert rows_of(url, "SELECT id, name FROM author") == [(1, "old")]
