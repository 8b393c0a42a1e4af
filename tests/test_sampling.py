"""The read-only sampler against the real servers: bounds, whole families, closure, snapshot,
no writes, determinism, errors, and the dtypes the fit step reads."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator

import pandas as pd
import pytest
import sqlalchemy as sa

from dbsynth.db import display_url, parse_url
from dbsynth.errors import ConnectionFailed, SchemaError, UsageError
from dbsynth.introspection import introspect
from dbsynth.sampling.sampler import Sample, fk_text, sample_database, to_frame
from dbsynth.schema import Column, ForeignKey, LogicalType, PrimaryKey, Schema, Table

# -- a small shop, the same data on every backend ---------------------------------------------

N_CUSTOMERS = 400


def orders_of(customer: int) -> int:
    return customer % 7  # every 7th customer has none: zero-child families exist


def lines_of(order: int) -> int:
    return order % 4


def shop_rows() -> dict[str, list[tuple[object, ...]]]:
    customers = [
        (c, ("gold", "silver", "bronze")[c % 3], None if c % 5 == 0 else (c * 37) % N_CUSTOMERS + 1)
        for c in range(1, N_CUSTOMERS + 1)
    ]
    orders, items, notes = [], [], []
    oid = 0
    for c in range(1, N_CUSTOMERS + 1):
        for k in range(orders_of(c)):
            oid += 1
            orders.append(
                (oid, c, f"{(oid * 13) % 500}.{oid % 100:02d}", None if oid % 3 else (oid % N_CUSTOMERS) + 1)
            )
            items.extend((oid, line, line + k) for line in range(1, lines_of(oid) + 1))
    for n in range(1, 301):
        notes.append((n, None if n % 4 == 0 else (n * 11) % N_CUSTOMERS + 1, f"note {n}"))
    return {"customer": customers, "orders": orders, "order_item": items, "note": notes}


SHOP_DDL = """
CREATE TABLE customer (id integer PRIMARY KEY, tier varchar(10) NOT NULL,
                       referred_by integer REFERENCES customer (id));
CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer NOT NULL REFERENCES customer (id),
                     total decimal(10, 2) NOT NULL, gift_for integer REFERENCES customer (id));
CREATE TABLE order_item (order_id integer NOT NULL REFERENCES orders (id), line integer NOT NULL,
                         qty integer NOT NULL, PRIMARY KEY (order_id, line));
CREATE TABLE note (id integer PRIMARY KEY, customer_id integer REFERENCES customer (id), body text);
"""


def shop_sql() -> str:
    parts = [SHOP_DDL]
    for table, rows in shop_rows().items():
        for start in range(0, len(rows), 500):
            values = ", ".join(
                "("
                + ", ".join("NULL" if v is None else f"'{v}'" if isinstance(v, str) else str(v) for v in r)
                + ")"
                for r in rows[start : start + 500]
            )
            parts.append(f"INSERT INTO {table} VALUES {values};")
    return "\n".join(parts)


def shop_schema(dialect: str, namespace: str | None) -> Schema:
    def key(name: str) -> str:
        return f"{namespace}.{name}" if namespace else name

    def col(name: str, logical: LogicalType = LogicalType.INTEGER, nullable: bool = False) -> Column:
        if logical is LogicalType.DECIMAL:
            return Column(name, "decimal(10,2)", logical, nullable, precision=10, scale=2)
        return Column(name, "integer" if logical is LogicalType.INTEGER else logical.value, logical, nullable)

    def fk(cols: tuple[str, ...], parent: str) -> ForeignKey:
        return ForeignKey(cols, key(parent), ("id",))

    return Schema(
        dialect=dialect,
        tables=(
            Table(
                "customer",
                (col("id"), col("tier", LogicalType.STRING), col("referred_by", nullable=True)),
                namespace,
                PrimaryKey(("id",)),
                foreign_keys=(fk(("referred_by",), "customer"),),
            ),
            Table(
                "orders",
                (
                    col("id"),
                    col("customer_id"),
                    col("total", LogicalType.DECIMAL),
                    col("gift_for", nullable=True),
                ),
                namespace,
                PrimaryKey(("id",)),
                foreign_keys=(fk(("customer_id",), "customer"), fk(("gift_for",), "customer")),
            ),
            Table(
                "order_item",
                (col("order_id"), col("line"), col("qty")),
                namespace,
                PrimaryKey(("order_id", "line")),
                foreign_keys=(fk(("order_id",), "orders"),),
            ),
            Table(
                "note",
                (col("id"), col("customer_id", nullable=True), col("body", LogicalType.TEXT, True)),
                namespace,
                PrimaryKey(("id",)),
                foreign_keys=(fk(("customer_id",), "customer"),),
            ),
        ),
    )


# -- checks shared by the tests ---------------------------------------------------------------


def fk_violations(sample: Sample, schema: Schema) -> dict[str, int]:
    """Child rows whose non-NULL FK value is not in the parent's frame, per FK (self-refs apart)."""
    out: dict[str, int] = {}
    for key, frame in sample.frames.items():
        table = schema.table(key)
        for fk in table.foreign_keys:
            if fk.ref_table == key or fk.ref_table not in sample.frames:
                continue
            parent = sample.frames[fk.ref_table]
            known = set(parent[list(fk.ref_columns)].dropna().itertuples(index=False, name=None))
            refs = frame[list(fk.columns)].dropna().itertuples(index=False, name=None)
            bad = sum(1 for r in refs if r not in known)
            if bad:
                out[f"{key}: {fk_text(fk)}"] = bad
    return out


def assert_whole_families(
    sample: Sample, schema: Schema, true_counts: Callable[[str, ForeignKey], Counter]
) -> int:
    """For every FK, the covered parents have exactly their true number of children. Returns
    how many (parent, FK) families were checked."""
    checked = 0
    for key in sample.frames:
        for fk in schema.table(key).foreign_keys:
            if fk.ref_table == key or fk.ref_table not in sample.frames:
                continue
            covered = sample.covered_parents(key, fk)
            parents = sample.frames[fk.ref_table].head(covered)
            truth = true_counts(key, fk)
            seen = Counter(sample.frames[key][list(fk.columns)].dropna().itertuples(index=False, name=None))
            for k in parents[list(fk.ref_columns)].itertuples(index=False, name=None):
                assert seen[k] == truth[k], (key, fk.columns, k)
                checked += 1
    return checked


def shop_truth(schema: Schema) -> Callable[[str, ForeignKey], Counter]:
    rows = shop_rows()
    names = {t.key: t.name for t in schema.tables}

    def counts(child: str, fk: ForeignKey) -> Counter:
        table = schema.table(child)
        idx = [table.column_names.index(c) for c in fk.columns]
        return Counter(
            tuple(r[i] for i in idx) for r in rows[names[child]] if all(r[i] is not None for i in idx)
        )

    return counts


def grouped_counts(url: str, schema: Schema) -> Callable[[str, ForeignKey], Counter]:
    """Children per key counted by the server, keys read like frame values (any key type)."""

    def counts(child: str, fk: ForeignKey) -> Counter:
        cols = ", ".join(fk.columns)
        rows = sql_exec(url, f"SELECT {cols}, count(*) FROM {child} GROUP BY {cols}")
        frame, _ = to_frame(
            Table("k", tuple(schema.table(child).column(c) for c in fk.columns)), [r[:-1] for r in rows]
        )
        keys = frame.itertuples(index=False, name=None)
        return Counter(dict(zip(keys, (int(r[-1]) for r in rows), strict=True)))

    return counts


def check_shop(sample: Sample, schema: Schema, bound: int) -> None:
    for info in sample.info.values():
        assert info.rows_sampled <= bound
    assert fk_violations(sample, schema) == {}
    assert assert_whole_families(sample, schema, shop_truth(schema)) > 0


def sql_exec(
    url: str | sa.URL, sql: str, params: dict[str, object] | None = None
) -> list[tuple[object, ...]]:
    engine = sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql), params or {})
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


# -- no database needed -----------------------------------------------------------------------


def test_sample_rows_must_be_at_least_one() -> None:
    schema = shop_schema("postgresql", "public")
    with pytest.raises(UsageError, match=r"^--sample-rows must be at least 1, got 0$"):
        sample_database("postgresql://nobody@127.0.0.1:1/none", schema, sample_rows=0)


def test_unknown_tables_get_did_you_mean() -> None:
    schema = shop_schema("postgresql", "public")
    with pytest.raises(SchemaError, match=r"^unknown table 'custmer'\. Did you mean 'customer'\?$"):
        sample_database("postgresql://nobody@127.0.0.1:1/none", schema, tables=["custmer"])
    with pytest.raises(SchemaError, match=r"^unknown table 'ordrs'\. Did you mean 'orders'\?$"):
        sample_database("postgresql://nobody@127.0.0.1:1/none", schema, where={"ordrs": "id > 1"})


def test_frames_get_the_documented_dtypes() -> None:
    cols = (
        Column("i", "bigint", LogicalType.INTEGER),
        Column("d", "numeric(6,2)", LogicalType.DECIMAL),
        Column("f", "real", LogicalType.FLOAT),
        Column("b", "tinyint(1)", LogicalType.BOOLEAN),
        Column("s", "uuid", LogicalType.UUID),
        Column("day", "date", LogicalType.DATE),
        Column("ts", "timestamptz", LogicalType.TIMESTAMPTZ),
        Column("t", "time", LogicalType.TIME),
        Column("j", "json", LogicalType.JSON),
        Column("bin", "bytea", LogicalType.BYTES),
        Column("tags", "set('a','b','c')", LogicalType.SET, enum_labels=("a", "b", "c")),
        Column("big", "bigint unsigned", LogicalType.INTEGER),
    )
    u = uuid.UUID(int=7)
    plus2 = dt.timezone(dt.timedelta(hours=2))
    rows = [
        (
            1,
            decimal.Decimal("1.50"),
            0.5,
            1,
            u,
            dt.date(1, 1, 1),
            dt.datetime(2020, 1, 1, 12, tzinfo=plus2),
            dt.time(1, 2, 3),
            '{"a": [1, 2]}',
            memoryview(b"\x00\x01"),
            "c,a",
            2**64 - 1,
        ),
        (None, None, None, None, None, None, None, None, None, None, "", 5),
    ]
    frame, warnings = to_frame(Table("x", cols), rows)
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "i": "Int64",
        "d": "object",
        "f": "float64",
        "b": "boolean",
        "s": "string",
        "day": "datetime64[us]",
        "ts": "datetime64[us, UTC]",
        "t": "timedelta64[us]",
        "j": "object",
        "bin": "object",
        "tags": "object",
        "big": "object",
    }
    first = frame.iloc[0]
    assert first["d"] == decimal.Decimal("1.50") and bool(first["b"]) is True
    assert first["s"] == str(u) and first["day"] == pd.Timestamp("0001-01-01")
    assert first["ts"] == pd.Timestamp("2020-01-01 10:00", tz="UTC")
    assert first["t"] == pd.Timedelta(hours=1, minutes=2, seconds=3)
    assert first["j"] == {"a": [1, 2]} and first["bin"] == b"\x00\x01" and first["tags"] == ("a", "c")
    assert frame["tags"].iloc[1] == () and frame["big"].iloc[0] == 2**64 - 1
    assert frame.iloc[1][["i", "d", "b", "s", "day", "ts", "t", "j"]].isna().all()
    assert len(warnings) == 1 and warnings[0].startswith("x.big: kept as objects (integer conversion: ")


# -- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def pg_shop(make_pg: Callable[[str], str]) -> Iterator[tuple[str, Schema]]:
    url = make_pg(shop_sql())
    sql_exec(url, "ANALYZE")
    yield url, shop_schema("postgresql", "public")


def test_pg_bound_families_closure_and_consistency(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop
    seen: list[tuple[str, int]] = []
    sample = sample_database(url, schema, sample_rows=60, on_table=lambda k, n: seen.append((k, n)))
    assert list(sample.frames) == ["public.customer", "public.note", "public.orders", "public.order_item"]
    assert seen == [(k, i.rows_sampled) for k, i in sample.info.items()]
    check_shop(sample, schema, 60)
    customer, orders, items, note = (
        sample.info[f"public.{t}"] for t in ("customer", "orders", "order_item", "note")
    )
    assert (customer.method, customer.rows_sampled, customer.rows_total) == ("random", 60, N_CUSTOMERS)
    assert orders.method == "families" and orders.driver == schema.table("orders").foreign_keys[0]
    assert 0 < orders.parents_covered <= 60 and orders.rows_sampled <= 60
    assert items.method == "families" and items.driver is not None and items.driver.columns == ("order_id",)
    # gift_for points anywhere: the customers it needs were fetched afterwards, at the frame's end.
    assert customer.rows_added > 0 and len(sample.frames["public.customer"]) == 60 + customer.rows_added
    assert sample.frames["public.customer"]["id"].is_unique
    # The self-reference is not chased: its unresolved rows are counted, exactly.
    frame = sample.frames["public.customer"]
    expect = int((frame["referred_by"].notna() & ~frame["referred_by"].isin(frame["id"])).sum())
    assert expect > 0 and customer.dangling == {"referred_by -> public.customer": expect}
    assert all(not i.dangling for k, i in sample.info.items() if k != "public.customer")
    # note.customer_id is nullable: NULL rows join at the covered parents' rate (75 of 300 are NULL).
    assert note.method == "families" and note.rows_sampled <= 60
    nulls = int(sample.frames["public.note"]["customer_id"].isna().sum())
    assert nulls == round(75 * note.parents_covered / N_CUSTOMERS)
    assert sample.frames["public.orders"]["total"].map(type).eq(decimal.Decimal).all()


def test_pg_sample_is_deterministic_with_a_seed(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop
    a = sample_database(url, schema, sample_rows=50, seed=1)
    b = sample_database(url, schema, sample_rows=50, seed=1)
    c = sample_database(url, schema, sample_rows=50, seed=2)
    for key in a.frames:
        pd.testing.assert_frame_equal(a.frames[key], b.frames[key])
    assert a.info == b.info
    assert set(a.frames["public.customer"]["id"].head(50)) != set(c.frames["public.customer"]["id"].head(50))
    # A random sample is the rows of smallest hash: a larger bound only extends it.
    bigger = sample_database(url, schema, sample_rows=80, seed=1, tables=["customer"])
    assert list(bigger.frames["public.customer"]["id"].head(50)) == list(
        a.frames["public.customer"]["id"].head(50)
    )


def test_pg_stale_estimate_gives_the_same_rows(make_pg: Callable[[str], str]) -> None:
    # The catalog believes 1000 rows, 100 are left: the hash prefilter sized from the estimate
    # lets too few through and is widened; the rows are those an exact count would give.
    url = make_pg(
        "CREATE TABLE t (id integer PRIMARY KEY, v text) WITH (autovacuum_enabled = off);"
        "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g;"
    )
    sql_exec(url, "ANALYZE t")
    sql_exec(url, "DELETE FROM t WHERE id > 100")
    schema = Schema(
        "postgresql",
        (Table("t", (Column("id", "integer", LogicalType.INTEGER, False),), "public", PrimaryKey(("id",))),),
    )
    stale = sample_database(url, schema, sample_rows=50)
    counted = sample_database(url, schema, sample_rows=50, where={"t": "true"})  # a filter forces count(*)
    assert stale.info["public.t"].rows_total == 1000 and not stale.info["public.t"].rows_total_exact
    assert counted.info["public.t"].rows_total == 100 and counted.info["public.t"].rows_total_exact
    assert list(stale.frames["public.t"]["id"]) == list(counted.frames["public.t"]["id"])
    assert len(stale.frames["public.t"]) == 50


def test_pg_table_larger_than_its_estimate_still_gives_the_smallest_hashes(
    make_pg: Callable[[str], str],
) -> None:
    # The catalog believes 40 rows, 1000 are there: the table looks like it fits the bound of
    # 100, is read without a server-side sort, turns out larger, and is read again by hash.
    url = make_pg(
        "CREATE TABLE t (id integer PRIMARY KEY, v text) WITH (autovacuum_enabled = off);"
        "INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 40) g;"
    )
    sql_exec(url, "ANALYZE t")
    sql_exec(url, "INSERT INTO t SELECT g, 'v' || g FROM generate_series(41, 1000) g")
    schema = Schema(
        "postgresql",
        (Table("t", (Column("id", "integer", LogicalType.INTEGER, False),), "public", PrimaryKey(("id",))),),
    )
    stale = sample_database(url, schema, sample_rows=100)
    counted = sample_database(url, schema, sample_rows=100, where={"t": "true"})
    assert stale.info["public.t"].rows_total == 101 and stale.info["public.t"].method == "random"
    assert list(stale.frames["public.t"]["id"]) == list(counted.frames["public.t"]["id"])
    by_hash = "SELECT id FROM t ORDER BY md5(concat_ws(':', '0', id)) COLLATE \"C\" LIMIT 100"
    assert list(stale.frames["public.t"]["id"]) == [r[0] for r in sql_exec(url, by_hash)]


def test_pg_small_tables_are_read_whole(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop
    sample = sample_database(url, schema, sample_rows=5000)
    for key, info in sample.info.items():
        assert info.method == "whole" and info.rows_total_exact and info.fraction == 1.0
        assert len(sample.frames[key]) == len(shop_rows()[key.split(".")[1]])
    check_shop(sample, schema, 5000)


def test_pg_tables_and_where_restrict_the_sample(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop
    sample = sample_database(
        url, schema, sample_rows=40, tables=["orders", "public.customer"], where={"customer": "tier = 'gold'"}
    )
    assert list(sample.frames) == ["public.customer", "public.orders"]
    own = sample.frames["public.customer"].head(sample.info["public.customer"].rows_sampled)
    assert (own["tier"] == "gold").all()
    assert sample.info["public.customer"].rows_total == 133  # rows matching the filter, counted
    assert fk_violations(sample, schema) == {}


def test_pg_bad_where_is_a_usage_error(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop
    with pytest.raises(
        UsageError, match=r"^--where names table public\.note, which is not among the tables to sample$"
    ):
        sample_database(url, schema, tables=["customer"], where={"note": "id > 1"})
    with pytest.raises(UsageError, match=r'^the --where filter of table public\.orders failed: .*"nope"'):
        sample_database(url, schema, sample_rows=10, where={"orders": "nope > 1"})


def test_pg_select_only_role_in_read_only_sessions_writes_nothing(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop
    role = f"dbsynth_ro_{uuid.uuid4().hex[:8]}"
    db = parse_url(url).database
    sql_exec(url, f"CREATE ROLE {role} LOGIN")
    try:
        sql_exec(url, f"ALTER ROLE {role} SET default_transaction_read_only = on")
        sql_exec(url, f'REVOKE TEMPORARY ON DATABASE "{db}" FROM PUBLIC')  # no temp tables either
        sql_exec(url, f'GRANT CONNECT ON DATABASE "{db}" TO {role}')
        sql_exec(url, f"GRANT USAGE ON SCHEMA public TO {role}")
        sql_exec(url, f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        ro_url = parse_url(url).set(username=role).render_as_string(hide_password=False)
        counters = (
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd "
            "FROM pg_stat_user_tables ORDER BY relname"
        )
        sql_exec(url, "SELECT pg_stat_force_next_flush()")
        before = sql_exec(url, counters)
        sample = sample_database(ro_url, schema, sample_rows=30)
        check_shop(sample, schema, 30)
        time.sleep(0.5)  # the sampling backend flushes its statistics as it exits
        assert sql_exec(url, counters) == before
        assert len(before) == 4
    finally:
        sql_exec(url, f"DROP OWNED BY {role}")
        sql_exec(url, f"DROP ROLE {role}")


def test_pg_all_tables_come_from_one_snapshot(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop

    def write_meanwhile(key: str, rows: int) -> None:
        if key == "public.customer":
            sql_exec(url, "INSERT INTO note VALUES (1001, 1, 'late'), (1002, NULL, 'late')")

    sample = sample_database(url, schema, sample_rows=5000, on_table=write_meanwhile)
    assert sample.info["public.note"].method == "whole"
    assert len(sample.frames["public.note"]) == 300  # the rows inserted meanwhile are not seen
    assert sql_exec(url, "SELECT count(*) FROM note") == [(302,)]


def test_pg_connection_lost_mid_read_names_the_table(pg_shop: tuple[str, Schema]) -> None:
    url, schema = pg_shop
    app = f"dbsynth_drop_{uuid.uuid4().hex[:8]}"
    dropping = parse_url(url).update_query_dict({"application_name": app})

    def kill(key: str, rows: int) -> None:
        sql_exec(
            url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :a",
            {"a": app},
        )

    with pytest.raises(ConnectionFailed) as err:
        sample_database(dropping, schema, sample_rows=50, on_table=kill)
    prefix = f"lost the connection to {display_url(dropping)} while reading table public.note: "
    assert str(err.value).startswith(prefix)


def test_pagila_small_bound_is_fk_consistent_for_all_tables(dataset_url: Callable[[str], str]) -> None:
    url = dataset_url("pagila")
    schema = introspect(url)
    sample = sample_database(url, schema, sample_rows=200)
    assert len(sample.frames) == 15 == len(schema.tables)
    assert fk_violations(sample, schema) == {}
    assert all(not i.dangling for i in sample.info.values())
    for key, info in sample.info.items():
        assert info.rows_sampled <= 200 and len(sample.frames[key]) == info.rows_sampled + info.rows_added
        assert info.method == "whole" or info.rows_sampled > 0
    assert sample.info["public.language"].method == "whole"
    assert sample.info["public.film_actor"].method == "families"
    # Families through a cut parent are exact against the database.
    truth: dict[tuple[str, tuple[str, ...]], Counter] = {}

    def true_counts(child: str, fk: ForeignKey) -> Counter:
        if (child, fk.columns) not in truth:
            cols = ", ".join(fk.columns)
            rows = sql_exec(
                url, f"SELECT {cols}, count(*) FROM {child} WHERE {fk.columns[0]} IS NOT NULL GROUP BY {cols}"
            )
            truth[child, fk.columns] = Counter({tuple(r[:-1]): int(r[-1]) for r in rows})  # type: ignore[call-overload]
        return truth[child, fk.columns]

    assert assert_whole_families(sample, schema, true_counts) > 0
    payment = sample.frames["public.payment"]
    assert (
        str(payment["payment_id"].dtype) == "Int64"
        and str(payment["payment_date"].dtype) == "datetime64[us, UTC]"
    )
    assert isinstance(payment["amount"].iloc[0], decimal.Decimal)
    film = sample.frames["public.film"]
    assert isinstance(film["special_features"].dropna().iloc[0], list)
    assert str(film["rating"].dtype) == "string"


def validity_schema(namespace: str | None) -> Schema:
    return Schema(
        dialect="",
        tables=(
            Table(
                "validity",
                (
                    Column("id", "integer", LogicalType.INTEGER, False),
                    Column("since", "date", LogicalType.DATE),
                    Column("until", "timestamp", LogicalType.TIMESTAMP),
                ),
                namespace,
                PrimaryKey(("id",)),
            ),
        ),
    )


def test_pg_infinite_dates_do_not_abort_the_sample(make_pg: Callable[[str], str]) -> None:
    url = make_pg(
        "CREATE TABLE validity (id integer PRIMARY KEY, since date, until timestamp);"
        "INSERT INTO validity VALUES (1, '-infinity', 'infinity'), (2, '2020-02-29', '2021-01-01 10:00'),"
        "(3, NULL, NULL)"
    )
    sample = sample_database(url, validity_schema("public"), sample_rows=10)
    frame = sample.frames["public.validity"].set_index("id")
    assert frame.loc[1, "since"] == pd.Timestamp("0001-01-01")
    assert frame.loc[1, "until"] == pd.Timestamp(dt.datetime.max)
    assert frame.loc[2, "since"] == pd.Timestamp("2020-02-29") and pd.isna(frame.loc[3, "until"])
    assert sample.info["public.validity"].warnings == ()


def test_world_small_families_are_topped_up_uniformly(dataset_url: Callable[[str], str]) -> None:
    # country.capital -> city: 50 sampled cities are the capitals of a handful of countries.
    url = dataset_url("world")
    schema = introspect(url)
    sample = sample_database(url, schema, sample_rows=50)
    country = sample.info["public.country"]
    assert country.method == "families" and country.rows_sampled == 50
    assert country.parents_covered == sample.info["public.city"].rows_sampled == 50
    assert fk_violations(sample, schema) == {}
    capitals = Counter(sample.frames["public.country"]["capital"].dropna())
    truth = Counter(r[0] for r in sql_exec(url, "SELECT capital FROM country WHERE capital IS NOT NULL"))
    for city in sample.frames["public.city"]["id"].head(50):
        assert capitals[city] == truth[city]


EVERY_TYPE_SQL = r"""
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN positive AS integer CHECK (VALUE > 0);
CREATE TABLE every_type (
    id integer PRIMARY KEY, pos positive, big bigint, num numeric(8, 3), f double precision, r real,
    b boolean, txt text, ch char(3), u uuid, m mood, ip inet, net cidr, d date, ts timestamp,
    tstz timestamptz, t time, tz timetz, iv interval, j jsonb, bin bytea, arr integer[], bc date);
INSERT INTO every_type VALUES
    (1, 7, 9223372036854775807, 1.5, 0.1, 0.1, true, E'a, "b"\nc\\', 'ab',
     'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'ok', '10.0.0.1/24', '10.0.0.0/8', '2020-02-29',
     '2021-01-01 10:00:00.5', '2020-01-01 12:00+02', '01:02:03.25', '10:00:00+05:30',
     '1 year 2 mons 3 days 04:05:06', '{"a": [1, 2]}', '\x0001', '{1,NULL,2}', '2020-01-01'),
    (2, 1, -9223372036854775808, 'NaN', 'Infinity', '-Infinity', false, '', 'x', NULL, 'sad',
     '::ffff:1.2.3.4', NULL, 'infinity', '-infinity', 'infinity', '00:00:00', NULL, '-1 day', '[]', '',
     '{}', '0044-03-15 BC'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, '-infinity', NULL, NULL,
     NULL, NULL, NULL, NULL, NULL, NULL, NULL);
"""


def test_pg_copy_reads_every_type_as_the_driver_would(make_pg: Callable[[str], str]) -> None:
    url = make_pg(EVERY_TYPE_SQL)
    schema = introspect(url)
    sample = sample_database(url, schema, sample_rows=10)
    frame = sample.frames["public.every_type"].set_index("id")
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        "pos": "Int64",
        "big": "Int64",
        "num": "object",
        "f": "float64",
        "r": "float64",
        "b": "boolean",
        "txt": "string",
        "ch": "string",
        "u": "string",
        "m": "string",
        "ip": "string",
        "net": "string",
        "d": "datetime64[us]",
        "ts": "datetime64[us]",
        "tstz": "datetime64[us, UTC]",
        "t": "timedelta64[us]",
        "tz": "timedelta64[us]",
        "iv": "timedelta64[us]",
        "j": "object",
        "bin": "object",
        "arr": "object",
        "bc": "datetime64[us]",
    }
    one, two, three = (frame.loc[i] for i in (1, 2, 3))
    assert (one["pos"], one["big"], two["big"]) == (7, 2**63 - 1, -(2**63))
    assert str(one["num"]) == "1.500" and two["num"].is_nan() and pd.isna(three["num"])
    assert one["f"] == one["r"] == 0.1 and two["f"] == float("inf") and two["r"] == float("-inf")
    assert bool(one["b"]) is True and bool(two["b"]) is False and pd.isna(three["b"])
    # CSV quoting: commas, quotes, newlines and backslashes survive; '' is not NULL.
    assert (one["txt"], two["txt"], one["ch"]) == ('a, "b"\nc\\', "", "ab ") and pd.isna(three["txt"])
    assert one["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" and pd.isna(two["u"]) and one["m"] == "ok"
    assert one["ip"] == "10.0.0.1/24" and two["ip"] == str(ipaddress.ip_address("::ffff:1.2.3.4"))
    assert one["net"] == "10.0.0.0/8"
    assert one["d"] == pd.Timestamp("2020-02-29") and two["d"] == pd.Timestamp("9999-12-31")
    assert three["d"] == pd.Timestamp("0001-01-01")
    assert one["ts"] == pd.Timestamp("2021-01-01 10:00:00.5") and two["ts"] == pd.Timestamp(dt.datetime.min)
    assert one["tstz"] == pd.Timestamp("2020-01-01 10:00", tz="UTC")
    assert two["tstz"] == pd.Timestamp(dt.datetime.max, tz="UTC")
    assert one["t"] == pd.Timedelta("01:02:03.25") and two["t"] == pd.Timedelta(0)
    assert one["tz"] == pd.Timedelta(hours=10)  # a time of day: the offset is not the point
    assert one["iv"] == pd.Timedelta(days=365 + 60 + 3, hours=4, minutes=5, seconds=6)  # psycopg's reading
    assert two["iv"] == pd.Timedelta(days=-1)
    assert one["j"] == {"a": [1, 2]} and two["j"] == [] and pd.isna(three["j"])
    assert one["bin"] == b"\x00\x01" and two["bin"] == b""
    assert one["arr"] == [1, None, 2] and two["arr"] == []
    # A BC date cannot be a Python date: NULL with a warning, the sample goes on.
    assert one["bc"] == pd.Timestamp("2020-01-01") and pd.isna(two["bc"])
    assert sample.info["public.every_type"].warnings == (
        "public.every_type.bc: 1 value(s) that are not dates read as NULL",
    )


KEYS_SQL = """
CREATE TABLE account (id uuid PRIMARY KEY, code char(4) NOT NULL UNIQUE, opened timestamptz NOT NULL UNIQUE);
CREATE TABLE slot (day date, shop text, PRIMARY KEY (day, shop));
CREATE TABLE booking (id integer PRIMARY KEY, account_id uuid NOT NULL REFERENCES account (id),
    account_code char(4) REFERENCES account (code), opened timestamptz REFERENCES account (opened),
    day date, shop text, note text, FOREIGN KEY (day, shop) REFERENCES slot (day, shop));
INSERT INTO account SELECT md5(g::text)::uuid, lpad(g::text, 3, 'a'),
    timestamptz '2020-01-01 00:00:00.25+02' + g * interval '1 hour' FROM generate_series(1, 120) g;
INSERT INTO slot SELECT date '2020-01-01' + g / 3, 'shop ' || mod(g, 3) FROM generate_series(0, 89) g;
INSERT INTO booking SELECT g, md5((1 + mod(g, 120))::text)::uuid,
    CASE WHEN mod(g, 5) = 0 THEN NULL ELSE lpad((1 + mod(g * 7, 120))::text, 3, 'a') END,
    CASE WHEN mod(g, 3) = 0 THEN NULL
         ELSE timestamptz '2020-01-01 00:00:00.25+02' + (1 + mod(g * 11, 120)) * interval '1 hour' END,
    date '2020-01-01' + mod(g, 90) / 3, 'shop ' || mod(mod(g, 90), 3), 'it''s 100' || chr(37) || ' ' || g
FROM generate_series(1, 700) g;
ANALYZE;
"""


def test_pg_families_and_closure_through_uuid_char_timestamptz_and_composite_keys(
    make_pg: Callable[[str], str],
) -> None:
    # Keys go back to the server as parameters of IN lists and are matched in frames: every
    # kind must round-trip exactly, or families would come back short and parents twice.
    url = make_pg(KEYS_SQL)
    schema = introspect(url)
    sample = sample_database(url, schema, sample_rows=40, where={"booking": "note LIKE 'it''s 100%'"})
    booking = sample.info["public.booking"]
    assert booking.method == "families" and booking.parents_covered > 0
    assert fk_violations(sample, schema) == {}
    for key in ("public.account", "public.slot"):
        frame = sample.frames[key]
        assert not frame.duplicated(list(schema.table(key).primary_key.columns)).any()  # type: ignore[union-attr]
        assert sample.info[key].rows_added > 0
    assert (sample.frames["public.booking"]["note"].str.startswith("it's 100% ")).all()

    assert assert_whole_families(sample, schema, grouped_counts(url, schema)) > 0


# -- MariaDB and SQLite -----------------------------------------------------------------------


def test_mariadb_shop_in_one_snapshot(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql("SET FOREIGN_KEY_CHECKS = 0;" + shop_sql())  # referred_by points forward
    schema = shop_schema("mysql", None)
    sample = sample_database(url, schema, sample_rows=60)
    check_shop(sample, schema, 60)
    assert sample.info["orders"].method == "families"
    again = sample_database(url, schema, sample_rows=60)
    for key in sample.frames:
        pd.testing.assert_frame_equal(sample.frames[key], again.frames[key])

    def write_meanwhile(key: str, rows: int) -> None:
        if key == "customer":
            sql_exec(url, "INSERT INTO note VALUES (1001, 1, 'late')")

    whole = sample_database(url, schema, sample_rows=5000, on_table=write_meanwhile)
    assert len(whole.frames["note"]) == 300 and sql_exec(url, "SELECT count(*) FROM note") == [(301,)]


def test_mariadb_chinook(dataset_url: Callable[[str], str]) -> None:
    url = dataset_url("chinook_mysql")
    schema = introspect(url)
    sample = sample_database(url, schema, sample_rows=100)
    assert len(sample.frames) == 11
    assert fk_violations(sample, schema) == {}
    assert all(i.rows_sampled <= 100 for i in sample.info.values())
    assert str(sample.frames["Invoice"]["InvoiceDate"].dtype) == "datetime64[us]"
    assert isinstance(sample.frames["Invoice"]["Total"].iloc[0], decimal.Decimal)


def test_mariadb_zero_dates_read_as_null(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(
        "SET SESSION sql_mode = '';"
        "CREATE TABLE validity (id integer PRIMARY KEY, since date, until datetime);"
        "INSERT INTO validity VALUES (1, '0000-00-00', '2021-01-01 10:00:00'), (2, '2020-02-29', NULL)"
    )
    sample = sample_database(url, validity_schema(None), sample_rows=10)
    frame = sample.frames["validity"].set_index("id")
    assert str(frame["since"].dtype) == "datetime64[us]"
    assert pd.isna(frame.loc[1, "since"]) and frame.loc[2, "since"] == pd.Timestamp("2020-02-29")
    assert frame.loc[1, "until"] == pd.Timestamp("2021-01-01 10:00")
    assert sample.info["validity"].warnings == ("validity.since: 1 value(s) that are not dates read as NULL",)


def test_sqlite_shop(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite(shop_sql())
    schema = shop_schema("sqlite", None)
    sample = sample_database(url, schema, sample_rows=60, seed=3)
    check_shop(sample, schema, 60)
    assert sample.info["customer"].method == "random" and sample.info["customer"].rows_total_exact
    assert sample.info["order_item"].method == "families"
    again = sample_database(url, schema, sample_rows=60, seed=3)
    for key in sample.frames:
        pd.testing.assert_frame_equal(sample.frames[key], again.frames[key])
    assert re.fullmatch(r"\d+\.\d\d", str(sample.frames["orders"]["total"].iloc[0]))


def test_mariadb_families_and_closure_through_text_and_date_keys(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(
        "CREATE TABLE slot (day date, shop varchar(10), PRIMARY KEY (day, shop));"
        "CREATE TABLE account (code char(4) PRIMARY KEY, t time NOT NULL);"
        "CREATE TABLE booking (id integer PRIMARY KEY, code char(4) NOT NULL REFERENCES account (code),"
        " day date, shop varchar(10), FOREIGN KEY (day, shop) REFERENCES slot (day, shop));"
        "INSERT INTO slot SELECT date '2020-01-01' + INTERVAL seq DIV 3 DAY, concat('shop ', seq MOD 3)"
        " FROM seq_0_to_89;"
        "INSERT INTO account SELECT lpad(seq, 3, 'a'), sec_to_time(seq * 61) FROM seq_1_to_120;"
        "INSERT INTO booking SELECT seq, lpad(1 + seq MOD 120, 3, 'a'),"
        " date '2020-01-01' + INTERVAL (seq MOD 90) DIV 3 DAY, concat('shop ', (seq MOD 90) MOD 3)"
        " FROM seq_1_to_700"
    )
    schema = introspect(url)
    sample = sample_database(url, schema, sample_rows=40)
    assert sample.info["booking"].method == "families" and sample.info["slot"].rows_added > 0
    assert fk_violations(sample, schema) == {}
    assert not sample.frames["slot"].duplicated(["day", "shop"]).any()

    assert assert_whole_families(sample, schema, grouped_counts(url, schema)) > 0


def test_timestamp_text_with_offsets_reads_as_utc() -> None:
    """A timestamptz cloned into SQLite comes back as text with offsets; reading it (the report
    of a PostgreSQL -> SQLite clone, a fit of such a file) failed with pandas 3's 'Cannot use
    .astype to convert from timezone-aware dtype to timezone-naive dtype'."""
    table = Table("t", (Column("at", "TIMESTAMP", LogicalType.TIMESTAMP),))
    rows = [("2022-02-15 10:30:00+02:00",), ("2022-02-15 09:00:00",), (None,), ("not a date",)]
    frame, warnings = to_frame(table, rows)
    assert frame["at"].dtype == "datetime64[us]"
    assert frame["at"].iloc[0] == pd.Timestamp("2022-02-15 08:30:00")
    assert frame["at"].iloc[1] == pd.Timestamp("2022-02-15 09:00:00")
    assert frame["at"].iloc[2:].isna().all()
    assert len(warnings) == 1 and "at" in warnings[0]
