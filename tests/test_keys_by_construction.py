"""Keys unique by construction for every column model (issue "Real schemas", defects 2, 3, 12).

Each test is a shape a real schema had: a free-text ``char(3)`` key, a composite key of an empty
table, a nullable FK cycle between UUID-keyed tables. The rows are checked in the target, which
enforces the keys itself, and in files, which do not.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import hypothesis.strategies as st
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import dbsynth
from dbsynth.cli import cli
from dbsynth.columns.spaces import value_space
from dbsynth.errors import GenerationError
from dbsynth.planning.unique_keys import Numbered
from dbsynth.schema import Column, LogicalType
from dbsynth.writing.memory import MemoryTarget

from conftest import _fresh_database, sa_url


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second fresh PostgreSQL database: the target beside ``make_pg``'s source."""
    yield from _fresh_database(pg_url, "postgresql")


def frames_of(model: dbsynth.Model, **options: object) -> dict[str, pd.DataFrame]:
    target = MemoryTarget()
    dbsynth.generate(model, target, **options)
    return {key.rsplit(".", 1)[-1]: frame for key, frame in target.frames().items()}


def duplicates(frame: pd.DataFrame, *columns: str) -> list[dict[str, object]]:
    rows = frame[list(columns)].dropna()
    return list(rows[rows.duplicated(keep=False)].to_dict("records"))


# Defect 2: 38 three-letter codes, some with a blank, fit as free text (upper case, 3 chars);
# seed 1 used to give 'IZA' twice, which PostgreSQL refused and the CSV writer wrote.
FREE_TEXT_KEY = """
CREATE TABLE lang (code char(3) PRIMARY KEY, name text NOT NULL);
INSERT INTO lang SELECT DISTINCT ON (v) v, 'name ' || v FROM (
    SELECT CASE WHEN mod(i, 3) = 0 THEN 'Z' || chr(65 + mod(i, 26))
                ELSE chr(65 + mod(i * 7, 26)) || ' ' || chr(65 + mod(i * 3 + i / 5, 26)) END AS v
    FROM generate_series(1, 60) i) s LIMIT 38;
"""


def test_a_free_text_char3_key_is_unique_for_every_seed(make_pg: Callable[[str], str]) -> None:
    model = dbsynth.fit(make_pg(FREE_TEXT_KEY))
    assert model.table("lang").column("code").model["kind"] == "free_text"  # type: ignore[index]
    for seed in range(1, 21):
        lang = frames_of(model, seed=seed)["lang"]
        assert len(lang) == 38
        assert duplicates(lang, "code") == [], seed
        assert lang["code"].str.len().le(3).all()


def test_a_free_text_key_loads_into_postgres_and_csv(
    make_pg: Callable[[str], str], target_pg: str, tmp_path: Path
) -> None:
    model = dbsynth.fit(make_pg(FREE_TEXT_KEY))
    dbsynth.generate(model, target_pg, seed=1, scale=3, create_schema=True)
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*), count(DISTINCT code) FROM lang").one() == (114, 114)
    engine.dispose()
    out = tmp_path / "csv"
    out.mkdir()
    dbsynth.generate(model, str(out), seed=1, scale=3)
    written = pd.read_csv(next(out.glob("*lang*.csv")), keep_default_na=False)
    assert len(written) == 114
    assert duplicates(written, "code") == []


# Defect 3: a composite key over non-integer columns of an empty table, pinned with --rows:
# every value column had one constant (NULL-free defaults), so the tuples collided.
EMPTY_COMPOSITE = """
CREATE TABLE rate (
    amount numeric(5, 0) NOT NULL CHECK (amount >= -100),
    label text NOT NULL,
    weight real NOT NULL,
    factor numeric NOT NULL,
    PRIMARY KEY (amount, label, weight, factor)
);
CREATE TABLE pair (
    lo numeric(4, 1) NOT NULL,
    hi real NOT NULL,
    PRIMARY KEY (lo, hi)
);
-- temporal's build_id_to_task_queue and nexus_endpoints: bytes and text in keys; the fallback
-- used to give up ("cannot make (namespace_id, build_id, task_queue_name) unique for row 1").
CREATE TABLE build_id_to_task_queue (
    namespace_id bytea NOT NULL,
    build_id varchar(255) NOT NULL,
    task_queue_name varchar(255) NOT NULL,
    PRIMARY KEY (namespace_id, build_id, task_queue_name)
);
CREATE TABLE nexus_endpoints (id bytea PRIMARY KEY, data bytea NOT NULL, version bigint NOT NULL);
"""
EMPTY_KEYS = {
    "rate": ("amount", "label", "weight", "factor"),
    "pair": ("lo", "hi"),
    "build_id_to_task_queue": ("namespace_id", "build_id", "task_queue_name"),
    "nexus_endpoints": ("id",),
}


@pytest.mark.parametrize("rows", [0, 1, 2, 50, 2500])
def test_a_composite_key_of_an_empty_table_is_unique(make_pg: Callable[[str], str], rows: int) -> None:
    frames = frames_of(dbsynth.fit(make_pg(EMPTY_COMPOSITE)), rows=dict.fromkeys(EMPTY_KEYS, rows))
    for name, key in EMPTY_KEYS.items():
        assert len(frames[name]) == rows
        assert duplicates(frames[name], *key) == [], name


def test_a_composite_key_of_an_empty_table_loads_into_mariadb_and_sqlite(
    make_pg: Callable[[str], str], fresh_mysql: str, tmp_path: Path
) -> None:
    model = dbsynth.fit(make_pg(EMPTY_COMPOSITE))
    path = tmp_path / "t.sqlite"
    for target in (fresh_mysql, f"sqlite:///{path}"):
        dbsynth.generate(model, target, rows=dict.fromkeys(EMPTY_KEYS, 300), create_schema=True)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM (SELECT DISTINCT lo, hi FROM pair)").fetchone() == (300,)


# The space of a key smaller than the rows asked: refused before anything is written.
TINY_KEY = "CREATE TABLE flag (code char(1) NOT NULL PRIMARY KEY, note text);"


def test_a_key_too_small_for_the_rows_is_refused_in_one_line(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source = make_pg(TINY_KEY)
    with pytest.raises(GenerationError) as err:
        dbsynth.generate(dbsynth.fit(source), MemoryTarget(), rows={"flag": 100})
    assert str(err.value) == (
        "public.flag: unique (code) can hold at most 36 distinct values for its type, "
        "but 100 rows are asked; ask for fewer (--rows public.flag=36)"
    )
    result = CliRunner().invoke(cli, ["clone", source, target_pg, "--create-schema", "--rows", "flag=100"])
    assert result.exit_code == 1, result.output
    assert "unique (code) can hold at most 36 distinct values" in result.output
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:  # stopped before any DDL or row
        assert not sa.inspect(conn).get_table_names()
    engine.dispose()
    assert len(frames_of(dbsynth.fit(source), rows={"flag": 36})["flag"]["code"].unique()) == 36


# Defect 12: a nullable FK cycle between UUID-keyed tables. The FK cut out of the cycle is
# written NULL and set by UPDATE, which finds the rows by their UUIDs: those follow from the
# seed and the row index, so they are known without keeping the rows.
UUID_CYCLE = """
CREATE TABLE customers (id uuid PRIMARY KEY, last_order_id uuid, name text);
CREATE TABLE orders (id uuid PRIMARY KEY, customer_id uuid NOT NULL REFERENCES customers, total int);
ALTER TABLE customers ADD FOREIGN KEY (last_order_id) REFERENCES orders;
INSERT INTO customers SELECT gen_random_uuid(), NULL, 'c' || i FROM generate_series(1, 20) i;
INSERT INTO orders SELECT gen_random_uuid(), (SELECT id FROM customers OFFSET mod(i, 20) LIMIT 1), i
FROM generate_series(1, 50) i;
UPDATE customers SET last_order_id = (SELECT id FROM orders WHERE customer_id = customers.id LIMIT 1);
"""
CHECK_CYCLE = [
    "SELECT count(*) FROM customers",
    "SELECT count(last_order_id) FROM customers",
    "SELECT count(*) FROM customers c JOIN orders o ON o.id = c.last_order_id",
    "SELECT count(DISTINCT id) FROM customers",
]


def test_a_nullable_fk_cycle_between_uuid_keyed_tables(
    make_pg: Callable[[str], str], target_pg: str, fresh_mysql: str, tmp_path: Path
) -> None:
    model = dbsynth.fit(make_pg(UUID_CYCLE))
    plan = dbsynth.make_plan(model, seed=1)
    assert plan.table("public.customers").deferred == ("public.customers(last_order_id)",)
    assert plan.table("public.customers").row_key == ("id",)
    described = [line for line in plan.describe() if "public.customers:" in line]
    assert "keyed by row: id" in described[0]
    for target in (target_pg, fresh_mysql, f"sqlite:///{tmp_path / 't.sqlite'}"):
        dbsynth.generate(model, target, seed=1, create_schema=True)
        engine = sa.create_engine(sa_url(target), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            counts = [conn.exec_driver_sql(q).scalar_one() for q in CHECK_CYCLE]
        engine.dispose()
        assert counts == [20, 20, 20, 20], target


def test_a_uuid_cycle_into_files_writes_the_parent_keys_ahead(
    make_pg: Callable[[str], str], tmp_path: Path
) -> None:
    # Files cannot be updated: the cut FK is written at once, with the parent's UUIDs computed
    # from its row indexes before the parent exists ("... columns that are not engine-numbered
    # keys; this cycle cannot be loaded yet" before).
    model = dbsynth.fit(make_pg(UUID_CYCLE))
    dbsynth.generate(model, str(tmp_path), seed=3)
    customers = pd.read_csv(tmp_path / "public.customers.csv")
    orders = pd.read_csv(tmp_path / "public.orders.csv")
    assert customers["last_order_id"].notna().sum() == 20
    assert set(customers["last_order_id"]) <= set(orders["id"])
    assert set(orders["customer_id"]) <= set(customers["id"])


def test_uuid_keys_follow_the_seed_and_the_row(make_pg: Callable[[str], str]) -> None:
    model = dbsynth.fit(make_pg(UUID_CYCLE))
    one, again, other = (frames_of(model, seed=s)["customers"]["id"] for s in (1, 1, 2))
    assert one.tolist() == again.tolist()
    assert not set(one) & set(other)
    assert len(set(one)) == 20


# One-row and empty tables with their counts pinned: no collision, no crash.
SMALL_TABLES = """
CREATE TABLE one (code varchar(8) PRIMARY KEY, born date NOT NULL UNIQUE, n smallint UNIQUE);
CREATE TABLE empty (
    k uuid PRIMARY KEY, t timestamptz NOT NULL UNIQUE, f float NOT NULL UNIQUE, b boolean UNIQUE
);
INSERT INTO one VALUES ('A1', '2020-01-01', 7);
"""


@pytest.mark.parametrize("rows", [0, 1, 3, 400])
def test_one_row_and_empty_tables_pinned(make_pg: Callable[[str], str], rows: int) -> None:
    frames = frames_of(dbsynth.fit(make_pg(SMALL_TABLES)), rows={"one": rows, "empty": rows})
    for name, keys in (("one", ("code", "born", "n")), ("empty", ("k", "t", "f", "b"))):
        assert len(frames[name]) == rows
        for key in keys:
            assert duplicates(frames[name], key) == [], (name, key)


# Property: for random key types and row counts, the numbered values are distinct and valid.
KEY_TYPES = [
    Column("c", "char(2)", LogicalType.STRING, length=2),
    Column("c", "varchar(5)", LogicalType.STRING, length=5),
    Column("c", "text", LogicalType.TEXT),
    Column("c", "smallint", LogicalType.INTEGER),
    Column("c", "tinyint unsigned", LogicalType.INTEGER, unsigned=True),
    Column("c", "numeric(4,2)", LogicalType.DECIMAL, precision=4, scale=2),
    Column("c", "real", LogicalType.FLOAT),
    Column("c", "date", LogicalType.DATE),
    Column("c", "timestamp", LogicalType.TIMESTAMP),
    Column("c", "time", LogicalType.TIME),
    Column("c", "uuid", LogicalType.UUID),
    Column("c", "boolean", LogicalType.BOOLEAN),
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    columns=st.lists(st.sampled_from(KEY_TYPES), min_size=1, max_size=3),
    rows=st.integers(0, 3000),
    key=st.integers(0, 2**40),
)
def test_numbered_key_values_are_distinct(columns: list[Column], rows: int, key: int) -> None:
    spaces = tuple(s for c in columns if (s := value_space(c, None, rows, key)) is not None)
    group = Numbered(tuple(f"c{i}" for i in range(len(spaces))), spaces, key)
    if group.size < rows:
        return  # refused by the plan (test_a_key_too_small_for_the_rows_is_refused_in_one_line)
    values = group.values(np.arange(rows, dtype=np.int64))
    tuples = list(zip(*(values[n] for n in group.columns), strict=True))
    assert len(set(tuples)) == rows
    for column, name in zip(columns, group.columns, strict=True):
        if column.length:
            assert all(len(v) <= column.length for v in values[name])


# A composite key of network addresses and text in an empty table (powerdns' supermasters):
# the column numbered to make the tuple unique must get values of its type. Before, an inet
# column got a text space ('AZCGNGQNEAUK') and PostgreSQL refused the COPY.
NETWORK_KEY = """
CREATE TABLE supermasters (ip inet NOT NULL, nameserver varchar(255) NOT NULL, account varchar(40),
    PRIMARY KEY (ip, nameserver));
CREATE TABLE hosts (mac macaddr PRIMARY KEY, net cidr UNIQUE);
"""


def test_network_keys_of_an_empty_table_are_addresses(make_pg: Callable[[str], str], target_pg: str) -> None:
    model = dbsynth.fit(make_pg(NETWORK_KEY))
    dbsynth.generate(model, target_pg, rows={"supermasters": 300, "hosts": 300}, create_schema=True)
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        got = conn.exec_driver_sql(
            "SELECT (SELECT count(DISTINCT (ip, nameserver)) FROM supermasters), "
            "(SELECT count(DISTINCT mac) FROM hosts), (SELECT count(DISTINCT net) FROM hosts)"
        ).one()
    engine.dispose()
    assert tuple(got) == (300, 300, got[2]) and got[2] > 250


# Two tables whose unique columns get the same code model (a prior for an empty 'name') used to
# spell the same codes row for row ('YDQ-63321017' first in both): the row index a code model
# numbers by goes through a bijection keyed by the table and column.
TWIN_CODES = """
CREATE TABLE regions (id serial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE);
CREATE TABLE departments (id serial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE);
"""


def test_two_tables_with_one_code_model_do_not_share_codes(make_pg: Callable[[str], str]) -> None:
    model = dbsynth.fit(make_pg(TWIN_CODES))
    frames = frames_of(model, rows={"regions": 50, "departments": 50}, seed=3)
    regions, departments = list(frames["regions"]["name"]), list(frames["departments"]["name"])
    assert len(set(regions)) == 50 and len(set(departments)) == 50
    assert sum(a == b for a, b in zip(regions, departments, strict=True)) <= 2
    again = frames_of(model, rows={"regions": 50, "departments": 50}, seed=3)
    assert list(again["regions"]["name"]) == regions  # still a function of the seed
