"""Seeding from the schema alone: priors for tables without rows, the fan-out without data,
``--rows '*=N'`` and what an empty source with ``--scale`` says.

The end-to-end tests create an empty source (PostgreSQL, SQLite, and empty schemas of the
real-world corpus), clone it with ``--create-schema --rows '*=N'`` and check the target: every
table has rows, every constraint holds (``verify_constraints``), and the values look like what
their column names say.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from faker.providers.address import Provider as Address
from faker.providers.currency import Provider as Currency
from test_corpus import run_dbsynth

from dbsynth.columns.pii import name_tokens
from dbsynth.columns.priors import prior_for, prior_null_rate, prior_orderings
from dbsynth.config import ChildrenSpec, parse_config
from dbsynth.config.types import ConfigError
from dbsynth.fitting.children import prior_children
from dbsynth.schema import Column, LogicalType

from conftest import _fresh_database, sa_url
from verify_constraints import violations

SHOP_PG = """
CREATE TYPE mood AS ENUM ('happy', 'sad', 'meh');
CREATE TABLE customers (
  id serial PRIMARY KEY, email varchar(120) NOT NULL UNIQUE, first_name varchar(40) NOT NULL,
  last_name text, phone varchar(30), country_code char(2) NOT NULL, currency_code char(3) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz, is_active boolean NOT NULL,
  age int CHECK (age BETWEEN 18 AND 120), tier text NOT NULL CHECK (tier IN ('gold', 'silver', 'bronze')),
  profile jsonb NOT NULL, tags text[], ip inet, website text, feeling mood NOT NULL,
  last_login_ip cidr, mac macaddr, born_on date, wake_up time, session interval, flags bit(8),
  stay daterange, seats int4range, balance money, avatar bytea, external_uuid uuid NOT NULL
);
CREATE TABLE products (
  sku varchar(20) PRIMARY KEY, name text NOT NULL, description text,
  price numeric(10, 2) NOT NULL CHECK (price > 0), quantity int NOT NULL, scores int[] NOT NULL
);
CREATE TABLE orders (
  id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,
  ordered_on date NOT NULL, total numeric(12, 2) NOT NULL, status varchar(10) NOT NULL
);
CREATE TABLE order_items (
  order_id bigint NOT NULL REFERENCES orders, line_no int NOT NULL,
  sku varchar(20) NOT NULL REFERENCES products, quantity smallint NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (order_id, line_no)
);
"""

SHOP_SQLITE = """
CREATE TABLE customers (
  id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL, phone TEXT,
  country TEXT NOT NULL, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP, is_vip BOOLEAN NOT NULL,
  rating INTEGER CHECK (rating BETWEEN 1 AND 5), website TEXT, user_agent TEXT
);
CREATE TABLE orders (
  id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
  amount NUMERIC(10, 2) NOT NULL CHECK (amount >= 0), placed_at TIMESTAMP NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped'))
);
"""

SHOP_MYSQL = """
CREATE TABLE accounts (
  id int unsigned AUTO_INCREMENT PRIMARY KEY, username varchar(30) NOT NULL UNIQUE,
  email varchar(100) NOT NULL, is_admin tinyint(1) NOT NULL, plan enum('free','pro','team') NOT NULL,
  perms set('read','write','admin') NOT NULL, balance decimal(8,2) unsigned NOT NULL,
  age tinyint unsigned, settings json NOT NULL, last_ip varchar(45), country_code char(2) NOT NULL,
  created_at datetime NOT NULL, updated_at timestamp NULL, bio text
);
CREATE TABLE posts (
  id bigint AUTO_INCREMENT PRIMARY KEY, account_id int unsigned NOT NULL, title varchar(200) NOT NULL,
  body mediumtext NOT NULL, slug varchar(80) NOT NULL UNIQUE, views int unsigned NOT NULL DEFAULT 0,
  published_on date, CONSTRAINT fk_acc FOREIGN KEY (account_id) REFERENCES accounts(id),
  CONSTRAINT ck_views CHECK (views < 1000000)
)
"""

ALPHA2 = set(Address.alpha_2_country_codes)
CURRENCIES = {code for code, _ in Currency.currencies}
_EMAIL = re.compile(r"^[\w.+'-]+@[\w-]+(\.[\w-]+)+$")
_PHONE = re.compile(r"^[+()\d][\d\s().x+-]{6,}$")


def _parses(kind: str, value: object) -> bool:
    text = bytes(value).decode(errors="replace") if isinstance(value, bytes | memoryview) else str(value)
    try:
        if kind == "email":
            return bool(_EMAIL.match(text))
        if kind == "url":
            parsed = urlparse(text)
            return parsed.scheme in ("http", "https") and bool(parsed.netloc)
        if kind == "ip":
            ipaddress.ip_interface(text)
            return True
        if kind == "uuid":
            uuid.UUID(text)
            return True
        if kind == "phone":
            return bool(_PHONE.match(text)) and sum(c.isdigit() for c in text) >= 7
        if kind == "country code":
            return text.strip() in ALPHA2
        if kind == "currency code":
            return text in CURRENCIES
        if kind == "date":
            stamp = pd.Timestamp(value)  # type: ignore[arg-type]
            return 1900 <= stamp.year <= dt.date.today().year + 5
        if kind == "json":
            json.loads(text)
            return True
    except (ValueError, TypeError):
        return False
    raise AssertionError(kind)


def _kind_of(column: str, sql_type: str) -> str | None:
    """What a column's name (and type) says its values are, for the plausibility check."""
    tokens = set(name_tokens(column))
    kind = None
    if sql_type.startswith("timestamp") or sql_type == "date":
        kind = "date"  # musicbrainz's editor.email_confirm_date is a moment, not an address
    elif tokens & {"email"}:
        kind = "email"
    elif tokens & {"url", "website", "homepage"} and "slug" not in tokens:
        kind = "url"
    elif tokens & {"ip"} or sql_type in ("inet", "cidr"):
        kind = "ip"
    elif tokens & {"uuid", "guid"} or sql_type == "uuid":
        kind = "uuid"
    elif tokens & {"phone", "mobile"}:
        kind = "phone"
    elif "country" in tokens and "code" in tokens:
        kind = "country code"
    elif "currency" in tokens and "code" in tokens:
        kind = "currency code"
    elif "date" in tokens:
        # Not "_at"/"_on" alone: danbooru's text on_finish holds a callback, synapse's depends_on a name.
        kind = "date"
    elif "json" in tokens:
        kind = "json"
    return kind


def _tables(engine: sa.Engine) -> list[tuple[str | None, str]]:
    inspector = sa.inspect(engine)
    schemas: list[str | None] = [None]
    if engine.dialect.name == "postgresql":
        names = inspector.get_schema_names()
        schemas = [s for s in names if s != "information_schema" and not s.startswith("pg_")]
    return [(s, t) for s in schemas for t in inspector.get_table_names(schema=s)]


def check_plausible(url: str) -> list[str]:
    """Problems with the values of the database at ``url``: a table without rows, a column
    whose name says email/URL/IP/UUID/phone/code/date where fewer than 99 % of the values parse
    as such, a NOT NULL text column that is all '' or one constant."""
    problems: list[str] = []
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        tables = _tables(engine)
        if not tables:
            problems.append("no table")
        for schema, table in tables:
            quote = engine.dialect.identifier_preparer.quote
            quoted = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
            with engine.connect() as conn:
                result = conn.exec_driver_sql(f"SELECT * FROM {quoted}")
                # Not pd.read_sql: a column named 'values' (synapse) trips its row access.
                frame = pd.DataFrame([tuple(r) for r in result], columns=list(result.keys()))
            if frame.empty:
                problems.append(f"{table}: no rows")
                continue
            for col in inspector.get_columns(table, schema=schema):
                name, sql_type = col["name"], str(col["type"]).lower()
                values = frame[name].dropna()
                # osm's users.email_valid is a flag, not an address: names speak for text only.
                number = isinstance(
                    col["type"],
                    sa.Boolean
                    | sa.Integer
                    | sa.Numeric
                    | sa.Float
                    | sa.ARRAY
                    | sa.LargeBinary
                    | sa.VARBINARY
                    | sa.BINARY,
                )  # unit3d's peers.ip varbinary(16) holds packed addresses
                kind = None if number else _kind_of(name, sql_type)
                if kind is not None and len(values):
                    ok = np.mean([_parses(kind, v) for v in values])
                    if ok < 0.99:
                        problems.append(
                            f"{table}.{name}: {ok:.1%} of values parse as {kind}: {values.iloc[0]!r}"
                        )
                text = isinstance(col["type"], sa.String) and not col["nullable"]
                if text and len(values) > 1 and values.astype(str).nunique() == 1:
                    problems.append(f"{table}.{name}: one value in every row: {values.iloc[0]!r}")
    finally:
        engine.dispose()
    return problems


def seed(source: str, target: str, *extra: str, rows: int = 200) -> str:
    code, output = run_dbsynth(
        "--traceback", "clone", source, target, "--create-schema", "--rows", f"*={rows}",
        "--seed", "3", "--no-report", *extra,
    )  # fmt: skip
    assert code == 0, output[-3000:]
    return output


# -- priors, unit ----------------------------------------------------------------------------


def _col(name: str, sql_type: str, logical: LogicalType, **kw: object) -> Column:
    return Column(name=name, sql_type=sql_type, logical=logical, **kw)  # type: ignore[arg-type]


def test_a_prior_follows_the_name_and_stays_inside_the_type() -> None:
    email = prior_for(_col("EmailAddress", "varchar(30)", LogicalType.STRING, length=30))
    assert email is not None and email.reason == "name 'EmailAddress': e-mail addresses"
    assert all(_EMAIL.match(v) and len(v) <= 30 for v in email.values)
    price = prior_for(_col("price", "numeric(5,2)", LogicalType.DECIMAL, precision=5, scale=2))
    assert price is not None
    assert price.values.min() > 0 and price.values.max() <= 999.99
    assert price.values.mean() > price.values.median()  # right-skewed
    assert (price.values.round(2) == price.values).all()
    tiny = prior_for(_col("quantity", "tinyint", LogicalType.INTEGER, unsigned=True))
    assert tiny is not None and tiny.values.min() >= 1 and tiny.values.max() <= 255
    code = prior_for(_col("country_code", "char(2)", LogicalType.STRING, length=2))
    assert code is not None and set(code.values) <= ALPHA2


def test_a_unique_column_gets_open_codes_not_a_closed_vocabulary() -> None:
    column = _col("type", "text", LogicalType.TEXT)
    closed = prior_for(column)
    open_ = prior_for(column, unique=True)
    assert closed is not None and open_ is not None
    assert closed.values.nunique() <= 4
    assert open_.values.nunique() == len(open_.values)
    # northwind's customers.customer_id bpchar(5): words cut to five letters repeat ('Capar')
    key = prior_for(_col("customer_id", "character(5)", LogicalType.STRING, length=5), unique=True)
    assert key is not None and key.reason == "name 'customer_id': unique codes"
    assert key.values.str.len().max() <= 5 and key.values.nunique() == len(key.values)


def test_updated_follows_created_and_deleted_is_mostly_null() -> None:
    cols = [
        _col("created_at", "timestamp", LogicalType.TIMESTAMP),
        _col("updated_at", "timestamp", LogicalType.TIMESTAMP),
        _col("deleted_at", "timestamp", LogicalType.TIMESTAMP),
        _col("born_on", "date", LogicalType.DATE),
    ]
    assert prior_orderings(cols) == [("updated_at", "created_at"), ("deleted_at", "created_at")]
    assert prior_null_rate(cols[2]) == 0.8
    assert prior_null_rate(cols[0]) == 0.1
    assert prior_null_rate(_col("x", "int", LogicalType.INTEGER, nullable=False)) == 0.0


@pytest.mark.parametrize(
    ("spec", "mean", "zero_share", "values"),
    [
        (None, 3.0, 0.25, None),
        (ChildrenSpec(mean=1.0), 1.0, 0.5, None),
        (ChildrenSpec(min=2, max=5, distribution="uniform"), 3.5, 0.0, (2, 3, 4, 5)),
        (ChildrenSpec(mean=0.0), 0.0, 1.0, (0,)),
    ],
)
def test_the_fan_out_without_data(
    spec: ChildrenSpec | None, mean: float, zero_share: float, values: tuple[int, ...] | None
) -> None:
    got_mean, shape = prior_children(spec)
    shape.check()
    assert got_mean == pytest.approx(mean, abs=0.01)
    assert shape.zero_share == pytest.approx(zero_share, abs=0.01)
    if values is not None:
        assert shape.values == values


def test_children_in_the_config_is_checked() -> None:
    config = parse_config(
        "tables:\n  orders:\n    columns:\n      customer_id:\n        children: {mean: 2, max: 5}\n"
    )
    column = config.tables[0].columns[0]
    assert column.children == ChildrenSpec(mean=2.0, min=0, max=5)
    with pytest.raises(
        ConfigError, match=r"max of children in column orders.customer_id \(1\) is below its min \(3\)"
    ):
        parse_config(
            "tables:\n  orders:\n    columns:\n      customer_id:\n        children: {min: 3, max: 1}\n"
        )
    with pytest.raises(
        ConfigError, match=r"distribution of children in column orders\.customer_id must be one of"
    ):
        parse_config(
            "tables:\n  orders:\n    columns:\n      customer_id:\n        children: {distribution: zipf}\n"
        )


# -- end to end ------------------------------------------------------------------------------


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second fresh PostgreSQL database (``fresh_pg`` holds the source)."""
    yield from _fresh_database(pg_url, "postgresql")


def test_an_empty_postgres_schema_is_seeded(make_pg: Callable[[str], str], target_pg: str) -> None:
    source = make_pg(SHOP_PG)
    target = target_pg
    seed(source, target)
    assert violations(target) == []
    assert check_plausible(target) == []
    engine = sa.create_engine(sa_url(target), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        counts = dict(conn.exec_driver_sql(
            "SELECT 'customers', count(*) FROM customers UNION ALL SELECT 'orders', count(*) FROM orders "
            "UNION ALL SELECT 'later', count(*) FROM customers WHERE updated_at < created_at "
            "UNION ALL SELECT 'childless', count(*) FROM customers c WHERE NOT EXISTS "
            "(SELECT 1 FROM orders o WHERE o.customer_id = c.id) "
            "UNION ALL SELECT 'blank json', count(*) FROM customers WHERE profile::text IN ('{}', '\"\"')"
        ).all())  # fmt: skip
    engine.dispose()
    assert counts["customers"] == 200
    assert counts["orders"] == 200  # '*=N' is N rows per table, spread by the default fan-out
    assert counts["later"] == 0
    assert 20 <= counts["childless"] <= 150  # the spread leaves some parents without a child
    assert counts["blank json"] == 0


@pytest.fixture
def target_mysql(mysql_url: str) -> Iterator[str]:
    """A second fresh MariaDB database (``fresh_mysql`` holds the source)."""
    yield from _fresh_database(mysql_url, "mysql")


def test_an_empty_mariadb_schema_is_seeded(make_mysql: Callable[[str], str], target_mysql: str) -> None:
    source = make_mysql(SHOP_MYSQL)
    seed(source, target_mysql, rows=300)
    assert violations(target_mysql) == []
    assert check_plausible(target_mysql) == []


def test_an_empty_sqlite_schema_is_seeded(make_sqlite: Callable[[str], str], tmp_path: Path) -> None:
    source = make_sqlite(SHOP_SQLITE)
    target = f"sqlite:///{tmp_path / 'seeded.sqlite'}"
    seed(source, target, rows=300)
    assert violations(target) == []
    assert check_plausible(target) == []


@pytest.mark.parametrize("schema", ["snaplet_slack", "powerdns"])
def test_an_empty_corpus_schema_is_seeded(
    schema: str, schema_url: Callable[[str, str], str], fresh_pg: str
) -> None:
    source = schema_url(schema, "postgresql")
    engine = sa.create_engine(sa_url(fresh_pg), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        # The target needs the source's extensions (gen_random_uuid() of pgcrypto in public),
        # which --create-schema does not create yet.
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    engine.dispose()
    seed(source, fresh_pg)
    assert violations(fresh_pg) == []
    assert check_plausible(fresh_pg) == []


def test_an_empty_source_with_scale_says_so(make_pg: Callable[[str], str], tmp_path: Path) -> None:
    """The schema alone is still copied (a valid use of --create-schema), but not silently."""
    source = make_pg("CREATE TABLE t (id int PRIMARY KEY, name text NOT NULL);")
    code, output = run_dbsynth(
        "clone", source, f"sqlite:///{tmp_path / 'x.sqlite'}", "--create-schema", "--no-report"
    )
    assert code == 0, output
    assert (
        "Wrote 0 rows into 1 tables in"  # the rest is a duration
    ) in output
    assert (
        "  the source has no rows, so --scale gives every table 0 rows: give --rows '*=N' "
        "(or --rows TABLE=N) to seed the tables from their schema\n"
    ) in output


def test_explain_says_which_columns_are_priors(make_pg: Callable[[str], str], tmp_path: Path) -> None:
    source = make_pg(
        "CREATE TABLE parents (id int PRIMARY KEY, email text NOT NULL);"
        "INSERT INTO parents SELECT i, 'p' || i || '@example.com' FROM generate_series(1, 50) i;"
        "CREATE TABLE kids (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parents,"
        " created_at date NOT NULL);"
    )
    code, output = run_dbsynth("fit", source, "-o", str(tmp_path / "m.json"), "--explain")
    assert code == 0, output
    lines = output.splitlines()
    assert any(
        line.startswith("  created_at: date")
        and "(prior, table empty in the source: name 'created_at': recent" in line
        for line in lines
    ), output
    assert not any(line.startswith("  email:") and "prior" in line for line in lines)
    assert any(
        "parent_id → public.parents: 3.00 children per parent" in line
        and "(prior fan-out, public.kids is empty in the source)" in line
        for line in lines
    ), output


@pytest.mark.parametrize("when", ["clone", "generate"])
def test_children_in_the_config_sets_the_fan_out(
    make_pg: Callable[[str], str], tmp_path: Path, when: str
) -> None:
    """At fit (``clone --config``) and on a model fitted without the config (``generate
    --config``), which before this ignored the setting."""
    source = make_pg(
        "CREATE TABLE parents (id int PRIMARY KEY, name text NOT NULL);"
        "CREATE TABLE kids (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES parents,"
        " label text NOT NULL);"
    )
    config = tmp_path / "dbsynth.yaml"
    config.write_text(
        "tables:\n  kids:\n    columns:\n      parent_id:\n"
        "        children: {min: 1, max: 2, distribution: uniform}\n"
    )
    target = tmp_path / "out.sqlite"
    rows = ("--create-schema", "--rows", "parents=100", "--config", str(config))
    if when == "clone":
        code, output = run_dbsynth("clone", source, f"sqlite:///{target}", *rows, "--no-report")
    else:
        model = str(tmp_path / "m.json")
        code, output = run_dbsynth("fit", source, "-o", model)
        assert code == 0, output
        code, output = run_dbsynth("generate", model, f"sqlite:///{target}", *rows)
    assert code == 0, output
    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.connect() as conn:
        per_parent = [n for (n,) in conn.exec_driver_sql(
            "SELECT count(k.id) FROM parents p LEFT JOIN kids k ON k.parent_id = p.id GROUP BY p.id"
        )]  # fmt: skip
    engine.dispose()
    assert len(per_parent) == 100
    assert set(per_parent) <= {1, 2} and sum(per_parent) == 150


def test_rows_star_in_generate_and_a_pinned_table_wins(
    make_sqlite: Callable[[str], str], tmp_path: Path
) -> None:
    source = make_sqlite(SHOP_SQLITE)
    model = str(tmp_path / "m.json")
    code, output = run_dbsynth("fit", source, "-o", model)
    assert code == 0, output
    dry = f"sqlite:///{tmp_path / 'dry.sqlite'}"
    code, output = run_dbsynth("generate", model, dry, "--dry-run", "--rows", "*=50", "--rows", "orders=7")
    assert code == 0, output
    assert "  customers: 50 rows in 1 chunk(s) (numbered: id)" in output
    assert "  orders: 7 rows in 1 chunk(s) (follows its parents through orders(customer_id)" in output
    target = tmp_path / "out.sqlite"
    code, output = run_dbsynth("generate", model, f"sqlite:///{target}", "--create-schema", "--rows", "*=50")
    assert code == 0, output
    engine = sa.create_engine(f"sqlite:///{target}")
    with engine.connect() as conn:
        customers, orders = conn.exec_driver_sql(
            "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders)"
        ).one()
    engine.dispose()
    assert customers == 50
    assert orders == 50  # '*=N' is N rows per table, not N times the fan-out


TEXT_SHAPES = """
CREATE TABLE hosts (
  hostid bigint PRIMARY KEY, uuid varchar(32) NOT NULL DEFAULT '',
  date_hw_purchase varchar(64) NOT NULL DEFAULT '', config_json text, email_valid boolean
);
CREATE TABLE url (id serial PRIMARY KEY, url text NOT NULL UNIQUE, email_confirm_date timestamptz);
"""


def test_text_holding_uuids_dates_and_json_parses(make_pg: Callable[[str], str], target_pg: str) -> None:
    """zabbix's uuid varchar(32) got dashed UUIDs cut at 32 characters and its date_hw_* text
    columns got words; a text column named *_json got words too; musicbrainz's unique url.url
    got letters ('aaaaaaaaabikdzgadnlhesy')."""
    seed(make_pg(TEXT_SHAPES), target_pg)
    assert check_plausible(target_pg) == []
