"""CHECK constraints: compiling, evaluating, hints, repair.

* ``tests/fixtures/checks/<dialect>.yaml``: CHECK text as each database prints it, with the
  expected hints and the expected verdict on a few rows (or the reason it is left to the database).
* Every CHECK of every sample dataset (and of the bundled shop) compiles and passes on real rows.
* The evaluator agrees with the databases themselves: rows are INSERTed into real tables with
  CHECKs (PostgreSQL, MariaDB, SQLite) and accepted exactly when ``evaluate`` says so; random
  integer expressions give PostgreSQL's own three-valued answer (hypothesis).
* ``apply_hints`` and ``repair`` converge on planted violations; the GenerationError text is exact.
"""

from __future__ import annotations

import dataclasses
import re
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbsynth.errors import GenerationError, SchemaError, UnsupportedDatabase
from dbsynth.generation.checks import (
    ColumnHints,
    CompiledCheck,
    Hints,
    LeftToDatabase,
    apply_hints,
    check_or_reason,
    compile_check,
    repair,
    table_checks,
)
from dbsynth.introspection import introspect
from dbsynth.schema import CheckConstraint, Column, LogicalType, Schema, Table

from conftest import MYSQL_DATASETS, PG_DATASETS, sa_url

FIXTURES = Path(__file__).parent / "fixtures" / "checks"
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


# -- helpers -----------------------------------------------------------------------------------


def fixture_column(name: str, spec: str) -> Column:
    """``integer``, ``decimal(2)`` (scale 2), ``integer generated``, ``array(decimal)``."""
    m = re.fullmatch(r"(\w+)(?:\((\w+)\))?( generated)?", spec)
    assert m, spec
    logical = LogicalType(m[1])
    if logical is LogicalType.ARRAY:
        return Column(name, f"{m[2]}[]", logical, element=LogicalType(m[2]), array_dims=1)
    scale = int(m[2]) if m[2] else None
    return Column(name, spec, logical, scale=scale, generated="..." if m[3] else None)


def typed(column: Column, values: list[Any]) -> pd.Series:
    """Values in the generator's dtypes (``dbsynth.writing.base``)."""
    kind = column.logical
    if kind is LogicalType.INTEGER:
        return pd.Series(values, dtype="Int64")
    if kind in (LogicalType.DECIMAL, LogicalType.FLOAT):
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    if kind is LogicalType.BOOLEAN:
        return pd.Series(values, dtype="boolean")
    if kind in (LogicalType.DATE, LogicalType.TIMESTAMP):
        return pd.Series(pd.to_datetime(values, format="ISO8601")).astype("datetime64[us]")
    if kind is LogicalType.TIMESTAMPTZ:
        return pd.Series(pd.to_datetime(values, format="ISO8601", utc=True)).astype("datetime64[us, UTC]")
    if kind in (LogicalType.TIME, LogicalType.INTERVAL):
        return pd.Series(pd.to_timedelta(values)).astype("timedelta64[us]")
    return pd.Series(values, dtype=object)


def frame_of(table: Table, rows: list[list[Any]], columns: list[str] | None = None) -> pd.DataFrame:
    names = columns or [c.name for c in table.columns]
    return pd.DataFrame({n: typed(table.column(n), [r[i] for r in rows]) for i, n in enumerate(names)})


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text())):
            cases.append(pytest.param(path.stem, case, id=f"{path.stem}-{i}"))
    return cases


# -- fixture pairs -----------------------------------------------------------------------------


@pytest.mark.parametrize(("dialect", "case"), load_cases())
def test_fixture(dialect: str, case: dict[str, Any]) -> None:
    table = Table("t", tuple(fixture_column(n, s) for n, s in case["columns"].items()))
    check = CheckConstraint(case["check"], "c")
    result = check_or_reason(
        check, table, dialect, case.get("value"), now=NOW, elementwise=case.get("elementwise", False)
    )
    if "left" in case:
        assert isinstance(result, LeftToDatabase)
        assert result.reason == case["left"]
        assert compile_check(check, table, dialect, case.get("value"), now=NOW) is None
        return
    assert isinstance(result, CompiledCheck), result.reason
    assert list(result.hints.describe()) == case["hints"]
    rows = case["rows"]
    frame = frame_of(table, [r[:-1] for r in rows])
    assert result.evaluate(frame).tolist() == [r[-1] for r in rows]


# -- every CHECK of the sample datasets and the bundled shop ----------------------------------

# Per dataset, how many CHECKs (table and domain) compile; none of them is left to the database.
DATASET_COMPILED = {
    "pagila": 1,  # the year domain on film.release_year
    "sakila_pg": 7,  # the year domain and six monthly payment partitions' date ranges
    "chinook": 0,
    "northwind": 0,
    "world": 1,  # country.continent
    "chinook_mysql": 0,
    "sakila_mysql": 0,
}


def domain_check_count(table: Table, schema: Schema) -> int:
    domains = {f"{d.schema}.{d.name}" if d.schema else d.name: d for d in schema.domains}
    return sum(len(domains[c.domain].checks) for c in table.columns if c.domain in domains)


def read_rows(engine: sa.Engine, table: Table, checks: list[CheckConstraint]) -> pd.DataFrame:
    """Up to 500 rows of ``table``, plus the database's own verdict on each table CHECK
    (``verdict_<i>``: the expression IS NOT FALSE), computed on the very same rows."""
    quote = engine.dialect.identifier_preparer.quote
    name = f"{quote(table.schema)}.{quote(table.name)}" if table.schema else quote(table.name)
    verdicts = "".join(f", ({c.expression}) IS NOT FALSE AS verdict_{i}" for i, c in enumerate(checks))
    with engine.connect() as conn:
        return pd.read_sql(sa.text(f"SELECT *{verdicts} FROM {name} LIMIT 500"), conn)


def assert_checks_hold(schema: Schema, engine: sa.Engine) -> int:
    """Every CHECK compiles; on the table's rows it holds, and where a table is empty (the
    sakila_pg partitions: the rows live in the parent) it agrees with the database's verdict
    on the parent's rows. Returns how many checks compiled."""
    compiled = 0
    for table in schema.tables:
        checks = table_checks(table, schema, now=NOW)
        assert checks.left_to_database == ()
        assert len(checks.compiled) == len(table.checks) + domain_check_count(table, schema)
        if not checks.compiled:
            continue
        own = [c.check for c in checks.compiled if c.check.source != "domain"]
        frame = read_rows(engine, table, own)
        if frame.empty and table.inherits:
            frame = read_rows(engine, schema.table(table.inherits[0]), own)
            assert not frame.empty, table.key
            for i, check in enumerate(c for c in checks.compiled if c.check.source != "domain"):
                assert check.evaluate(frame).tolist() == frame[f"verdict_{i}"].astype(bool).tolist()
        else:
            assert not frame.empty, table.key
            for check in checks.compiled:
                ok = check.evaluate(frame)
                assert ok.all(), (table.key, check.label, frame.loc[~ok, list(check.columns)].head())
        compiled += len(checks.compiled)
    return compiled


@pytest.mark.parametrize("name", PG_DATASETS + MYSQL_DATASETS)
def test_every_dataset_check_compiles_and_holds_on_real_rows(
    name: str, dataset_url: Callable[[str], str]
) -> None:
    url = dataset_url(name)
    schema = introspect(url, None)
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        assert assert_checks_hold(schema, engine) == DATASET_COMPILED[name]
    finally:
        engine.dispose()


def test_every_shop_check_compiles_and_holds(tmp_path: Path) -> None:
    from dbsynth.examples import build_shop

    path = build_shop(tmp_path / "shop.sqlite", customers=120)
    schema = introspect(f"sqlite:///{path}", None)
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool)
    try:
        assert assert_checks_hold(schema, engine) == 15
    finally:
        engine.dispose()
    orders = table_checks(schema.table("orders"), schema, now=NOW)
    assert orders.hints.describe() == (
        "status: in ('pending', 'paid', 'shipped', 'delivered', 'cancelled')",
        "total: >= 0.0",
        "shipped_at >= created_at",
    )


# -- the evaluator agrees with the databases ----------------------------------------------------


def verdicts_agree(
    table: Table, schema: Schema, rows: list[dict[str, Any]], insert: Callable[[dict[str, Any]], bool]
) -> None:
    """Each row is INSERTed on its own; the database's verdict must be ``evaluate``'s."""
    checks = table_checks(table, schema, now=NOW)
    assert checks.left_to_database == ()
    names = [c.name for c in table.columns]
    frame = frame_of(table, [[r.get(n) for n in names] for r in rows])
    ours = checks.evaluate(frame).tolist()
    theirs = [insert(r) for r in rows]
    assert True in theirs and False in theirs
    mismatches = [(r, t) for r, o, t in zip(rows, ours, theirs, strict=True) if o != t]
    assert mismatches == [], "rows where the database decided otherwise (row, database accepted)"


PG_DDL = r"""
CREATE DOMAIN zip AS text CHECK (VALUE ~ '^\d{5}$');
CREATE DOMAIN pos AS numeric(8,2) CHECK (VALUE > 0);
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE t (
  qty integer CHECK (qty > 0 AND qty < 100),
  price numeric(8,2) CHECK (price >= 0),
  rating varchar(5) CHECK (rating IN ('G', 'PG', 'PG-13')),
  code text CHECK (code ~* '^[a-z]{2}-\d+$'),
  name varchar(20) CHECK (char_length(name) >= 3),
  zipcode zip,
  amount pos,
  prices pos[],
  m mood CHECK (m <> 'sad'),
  created timestamptz,
  shipped timestamptz,
  d date CHECK (d BETWEEN '2000-01-01' AND '2030-12-31'),
  a integer,
  b integer,
  CHECK (shipped IS NULL OR shipped >= created),
  CHECK (b = 0 OR a / b < 5),
  CHECK (CASE WHEN rating = 'G' THEN qty <= 10 ELSE true END),
  CHECK (coalesce(a, 0) + coalesce(b, 0) <> 13)
);
"""
# fmt: off
PG_ROWS: list[dict[str, Any]] = [
    {},
    {"qty": 5}, {"qty": 0}, {"qty": 99}, {"qty": 100},
    {"price": 0.0}, {"price": -0.01},
    {"rating": "G"}, {"rating": "g"}, {"rating": "R"},
    {"rating": "G", "qty": 11}, {"rating": "PG", "qty": 11},
    {"code": "AB-12"}, {"code": "ab-x"},
    {"name": "abc"}, {"name": "ab"},
    {"zipcode": "12345"}, {"zipcode": "1234"},
    {"amount": 0.01}, {"amount": 0.0},
    {"prices": [1.5, 2.0]}, {"prices": [1.0, 0.0]}, {"prices": [1.0, None]},
    {"m": "ok"}, {"m": "sad"},
    {"created": "2022-01-01 10:00:00+00", "shipped": "2022-01-01 11:30:00+01"},
    {"created": "2022-01-01 10:00:00+00", "shipped": "2022-01-01 10:30:00+01"},
    {"d": "2000-01-01"}, {"d": "1999-12-31"},
    {"a": 10, "b": 0}, {"a": 10, "b": 2}, {"a": 9, "b": 2}, {"a": 13}, {"a": 6, "b": 7},
]
# fmt: on


def pg_connect(url: str) -> psycopg.Connection[Any]:
    u = sa_url(url)
    return psycopg.connect(
        host=u.host, port=u.port, user=u.username, password=u.password, dbname=u.database, autocommit=True
    )


def test_postgresql_accepts_exactly_the_rows_evaluate_accepts(make_pg: Callable[[str], str]) -> None:
    url = make_pg(PG_DDL)
    schema = introspect(url, None)
    table = schema.table("t")

    def insert(row: dict[str, Any]) -> bool:
        cols = [c.name for c in table.columns if c.name in row]
        sql = f"INSERT INTO t ({', '.join(cols)}) VALUES ({', '.join('%s' for _ in cols)})"
        try:
            conn.execute(sql if cols else "INSERT INTO t DEFAULT VALUES", [row[c] for c in cols])
        except (psycopg.errors.CheckViolation, psycopg.errors.DivisionByZero):
            return False
        conn.execute("DELETE FROM t")
        return True

    with pg_connect(url) as conn:
        verdicts_agree(table, schema, PG_ROWS, insert)


# char(n) is blank-padded: trailing blanks do not count in comparisons and functions, but they
# do in LIKE, regular expressions and octet_length (PostgreSQL pads what it stores).
PG_BPCHAR_DDL = r"""
CREATE TABLE t (
  class char(2) CHECK (upper(class) IN ('L', 'M', 'H')),
  code character(3) CHECK (code IN ('AB', 'CD') AND char_length(code) = 2),
  tag char(2) CHECK (tag LIKE 'M_'),
  pat char(3) CHECK (pat ~ ' $'),
  size char(4) CHECK (octet_length(size) = 4),
  v varchar(3) CHECK (v = 'AB')
);
"""
# fmt: off
PG_BPCHAR_ROWS: list[dict[str, Any]] = [
    {},
    {"class": "M "}, {"class": "m"}, {"class": "X "},
    {"code": "AB "}, {"code": "CD"}, {"code": "ABC"}, {"code": "A"},
    {"tag": "M"}, {"tag": "MX"}, {"tag": "XM"},
    {"pat": "AB"}, {"pat": "ABC"},
    {"size": "a"},
    {"v": "AB"}, {"v": "AB "},
]
# fmt: on


def test_postgresql_char_n_ignores_trailing_blanks_as_postgresql_does(make_pg: Callable[[str], str]) -> None:
    """Regression: ``upper(class) IN ('L','M','H')`` on a char(2) was judged failing on 'M '."""
    url = make_pg(PG_BPCHAR_DDL)
    schema = introspect(url, None)
    table = schema.table("t")
    assert table.column("class").sql_type == "character(2)"

    def insert(row: dict[str, Any]) -> bool:
        cols = list(row)
        sql = f"INSERT INTO t ({', '.join(cols)}) VALUES ({', '.join('%s' for _ in cols)})"
        try:
            conn.execute(sql if cols else "INSERT INTO t DEFAULT VALUES", [row[c] for c in cols])
        except psycopg.errors.CheckViolation:
            return False
        conn.execute("DELETE FROM t")
        return True

    with pg_connect(url) as conn:
        verdicts_agree(table, schema, PG_BPCHAR_ROWS, insert)
    # Hints compare as the database does too: a padded allowed value is left as it stands.
    hints = table_checks(table, schema, now=NOW).hints
    code = hints.column("code")
    assert code is not None and code.describe() == "code: in ('AB', 'CD'), length >= 2, length <= 2"
    fixed = apply_hints(pd.DataFrame({"code": ["AB ", "CD ", "XY ", None]}), Hints((code,)))["code"].tolist()
    assert fixed[:2] == ["AB ", "CD "] and fixed[2] in ("AB", "CD") and pd.isna(fixed[3])


MYSQL_DDL = r"""
CREATE TABLE t (
  rating VARCHAR(5) CHECK (rating IN ('G', 'PG')),
  j LONGTEXT CHECK (json_valid(j)),
  code VARCHAR(10) CHECK (code REGEXP '^[A-Z]{2}[0-9]+$'),
  name VARCHAR(20) CHECK (CHAR_LENGTH(name) >= 3 AND LENGTH(name) <= 10),
  qty INT CHECK (qty BETWEEN 1 AND 5),
  price DECIMAL(8,2) CHECK (price > 0),
  a INT,
  b INT,
  d DATE CHECK (d >= '2000-01-01'),
  s VARCHAR(10) CHECK (s LIKE 'ab\\_%%'),
  CONSTRAINT ord CHECK (a < b OR a IS NULL),
  CONSTRAINT dv CHECK (a DIV 2 < 10 AND a / 3 < 5 AND a %% 4 <> 3),
  CONSTRAINT zero CHECK (b / a < 100)
) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci
"""
# fmt: off
MYSQL_ROWS: list[dict[str, Any]] = [
    {},
    {"rating": "PG"}, {"rating": "pg"}, {"rating": "PG "}, {"rating": "R"},
    {"j": '{"a": 1}'}, {"j": "{bad"},
    {"code": "AB12"}, {"code": "ab12"}, {"code": "A12"},
    {"name": "ééééé"}, {"name": "éééééé"}, {"name": "ab"},
    {"qty": 0}, {"qty": 5},
    {"price": 0.0}, {"price": 0.01},
    {"d": "1999-12-31"}, {"d": "2000-01-01"},
    {"s": "ab_1"}, {"s": "AB_1"}, {"s": "abx1"},
    {"a": 1, "b": 2}, {"a": 2, "b": 2}, {"a": 20, "b": 30}, {"a": 14, "b": 30}, {"a": 15, "b": 30},
    {"a": 7, "b": 30}, {"a": 0, "b": 5}, {"a": 1, "b": 500},
]
# fmt: on


def test_mariadb_accepts_exactly_the_rows_evaluate_accepts(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(MYSQL_DDL)
    schema = introspect(url, None)
    table = schema.table("t")
    assert table.column("j").logical is LogicalType.JSON
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)

    def insert(row: dict[str, Any]) -> bool:
        cols = list(row)
        sql = f"INSERT INTO t ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
        with engine.connect() as conn:
            try:
                conn.execute(sa.text(sql if cols else "INSERT INTO t () VALUES ()"), row)
            except sa.exc.OperationalError as err:
                # CONSTRAINT_FAILED, or division by zero under the default strict sql_mode
                assert err.orig is not None and err.orig.args[0] in (4025, 1365), err
                return False
            conn.rollback()
            return True

    try:
        verdicts_agree(table, schema, MYSQL_ROWS, insert)
    finally:
        engine.dispose()


SQLITE_DDL = """
CREATE TABLE t (
  qty INTEGER CHECK (qty > 0),
  tier TEXT CHECK (tier IN ('basic', 'premium')),
  sku TEXT CHECK (sku LIKE 'SKU-%'),
  title TEXT CHECK (length(title) > 0),
  price NUMERIC(8, 2) CHECK (price >= 0),
  created_at TIMESTAMP,
  shipped_at TIMESTAMP,
  a INTEGER,
  b INTEGER,
  CHECK (shipped_at IS NULL OR shipped_at >= created_at),
  CHECK (a / b < 2)
);
"""
# fmt: off
SQLITE_ROWS: list[dict[str, Any]] = [
    {},
    {"qty": 1}, {"qty": 0},
    {"tier": "basic"}, {"tier": "Basic"},
    {"sku": "SKU-1"}, {"sku": "sku-1"}, {"sku": "SK-1"},
    {"title": "x"}, {"title": ""},
    {"price": 0}, {"price": -1.5},
    {"created_at": "2022-01-01 10:00:00", "shipped_at": "2022-01-01 10:00:00"},
    {"created_at": "2022-01-01 10:00:00", "shipped_at": "2022-01-01 09:59:59"},
    {"a": 5, "b": 3}, {"a": 5, "b": 2}, {"a": 5, "b": 0},
]
# fmt: on


def test_sqlite_accepts_exactly_the_rows_evaluate_accepts(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite(SQLITE_DDL)
    schema = introspect(url, None)
    table = schema.table("t")
    path = url.removeprefix("sqlite:///")

    def insert(row: dict[str, Any]) -> bool:
        cols = list(row)
        sql = f"INSERT INTO t ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
        with sqlite3.connect(path) as conn:
            try:
                conn.execute(sql if cols else "INSERT INTO t DEFAULT VALUES", [row[c] for c in cols])
            except sqlite3.IntegrityError as err:
                assert str(err).startswith("CHECK constraint failed"), err
                return False
            finally:
                conn.rollback()
        return True

    verdicts_agree(table, schema, SQLITE_ROWS, insert)


# The text functions the engine shares with the formula language, where the dialects differ
# most (substr's start below 1, concat with NULL, || in MySQL): the database's own verdict.
STRING_CHECKS = [
    "substr(s, n, 2) = 'bc'",
    "substr(s, n) = 'c'",
    "replace(s, 'b', 'x') = 'axc'",
    "concat(s, 'x') = 'abcx'",
    "s || 'x' = 'abcx'",
    "length(trim(s)) = 3",
]
STRING_ROWS = [(s, n) for s in ("abc", "a", "", " abc ", None) for n in (-4, -2, -1, 0, 1, 2, 5, None)]
STRING_COMPILED = {"postgresql": 6, "mysql": 4, "sqlite": 5 if sqlite3.sqlite_version_info >= (3, 44) else 4}


@pytest.mark.parametrize(
    "dialect",
    [
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
        "sqlite",
    ],
)
def test_text_functions_agree_with_the_database(dialect: str, request: pytest.FixtureRequest) -> None:
    rows = ", ".join(
        "(" + ", ".join("NULL" if v is None else f"'{v}'" if isinstance(v, str) else str(v) for v in r) + ")"
        for r in STRING_ROWS
    )
    fixture = {"postgresql": "make_pg", "mysql": "make_mysql", "sqlite": "make_sqlite"}[dialect]
    key = {"postgresql": "SERIAL", "mysql": "INTEGER AUTO_INCREMENT", "sqlite": "INTEGER"}[dialect]
    create = f"CREATE TABLE t (id {key} PRIMARY KEY, s VARCHAR(10), n INTEGER)"
    url = request.getfixturevalue(fixture)(f"{create}; INSERT INTO t (s, n) VALUES {rows};")
    table = introspect(url, None).table("t")
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    compiled = 0
    try:
        for text in STRING_CHECKS:
            result = check_or_reason(CheckConstraint(text, "c"), table, dialect, now=NOW)
            if isinstance(result, LeftToDatabase):
                continue
            try:
                with engine.connect() as conn:
                    query = sa.text(f"SELECT s, n, ({text}) IS NOT FALSE AS ok FROM t ORDER BY id")
                    frame = pd.read_sql(query, conn)
            except pd.errors.DatabaseError:  # SQLite before 3.44 has no concat(): no such CHECK
                continue
            compiled += 1
            ours = result.evaluate(frame).tolist()
            assert ours == frame["ok"].astype(bool).tolist(), text
    finally:
        engine.dispose()
    assert compiled == STRING_COMPILED[dialect]


# -- property: random integer expressions, PostgreSQL's own answer ------------------------------

COLUMNS = ("a", "b", "c")
INT_TABLE = Table("h", tuple(Column(n, "bigint", LogicalType.INTEGER) for n in COLUMNS))
literal = st.integers(-20, 20).map(lambda v: f"({v})" if v < 0 else str(v))
leaf = st.sampled_from(COLUMNS) | literal
# Divisors are columns (zero makes PostgreSQL raise) or non-zero literals, so no constant
# subexpression divides by zero (PostgreSQL folds constants while planning).
divisor = st.sampled_from(COLUMNS) | st.integers(1, 7).map(str)


def numbers(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return leaf
    sub = numbers(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(sub, st.sampled_from(["+", "-", "*"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(sub, st.sampled_from(["/", "%"]), divisor).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda x: f"abs({x})"),
        sub.map(lambda x: f"(- {x})"),
        st.tuples(sub, sub).map(lambda t: f"COALESCE({t[0]}, {t[1]})"),
        st.tuples(sub, sub).map(lambda t: f"NULLIF({t[0]}, {t[1]})"),
    )


def conditions(depth: int) -> st.SearchStrategy[str]:
    x = numbers(2)
    atoms = st.one_of(
        st.tuples(x, st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), x).map(lambda t: " ".join(t)),
        st.tuples(x, st.sampled_from(["", "NOT "]), x, x).map(
            lambda t: f"{t[0]} {t[1]}BETWEEN {t[2]} AND {t[3]}"
        ),
        st.tuples(x, st.sampled_from(["", "NOT "]), x, x).map(lambda t: f"{t[0]} {t[1]}IN ({t[2]}, {t[3]})"),
        st.tuples(x, st.sampled_from(["IS NULL", "IS NOT NULL"])).map(lambda t: f"{t[0]} {t[1]}"),
        st.tuples(x, x).map(lambda t: f"{t[0]} IS DISTINCT FROM {t[1]}"),
    )
    if depth == 0:
        return atoms
    sub = conditions(depth - 1)
    return st.one_of(
        atoms,
        st.tuples(sub, st.sampled_from(["AND", "OR"]), sub).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        sub.map(lambda c: f"NOT ({c})"),
        st.tuples(sub, x, x).map(lambda t: f"CASE WHEN {t[0]} THEN {t[1]} ELSE {t[2]} END > 0"),
    )


rows_strategy = st.lists(
    st.tuples(*[st.none() | st.integers(-30, 30) for _ in COLUMNS]), min_size=1, max_size=8
)


@pytest.fixture(scope="module")
def pg_scratch(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    conn = pg_connect(pg_url)
    conn.execute("CREATE TEMP TABLE h (i int, a bigint, b bigint, c bigint)")
    yield conn
    conn.close()


def postgres_says(conn: psycopg.Connection[Any], expression: str, rows: list[tuple[Any, ...]]) -> list[Any]:
    """PostgreSQL's value of ``expression`` per row: True, False, None, or "error"."""
    conn.execute("TRUNCATE h")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO h VALUES (%s, %s, %s, %s)", [(i, *r) for i, r in enumerate(rows)])
    out: list[Any] = []
    query = f"SELECT {expression.replace('%', '%%')} FROM h WHERE i = %s"
    for i in range(len(rows)):
        try:
            out.append(conn.execute(query, (i,)).fetchone()[0])  # type: ignore[index]
        except psycopg.errors.DataError:  # division by zero
            out.append("error")
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(expression=conditions(2), rows=rows_strategy)
def test_evaluate_agrees_with_postgresql(
    pg_scratch: psycopg.Connection[Any], expression: str, rows: list[tuple[Any, ...]]
) -> None:
    truth = postgres_says(pg_scratch, expression, rows)
    frame = pd.DataFrame({n: pd.Series([r[i] for r in rows], dtype="Int64") for i, n in enumerate(COLUMNS)})
    check = compile_check(CheckConstraint(expression), INT_TABLE, "postgresql")
    negated = compile_check(CheckConstraint(f"NOT ({expression})"), INT_TABLE, "postgresql")
    assert check is not None and negated is not None
    # passing both the check and its negation pins the three-valued answer down: TRUE passes only
    # the check, FALSE only the negation, NULL both, and an error neither
    expected = {True: (True, False), False: (False, True), None: (True, True), "error": (False, False)}
    ours = list(zip(check.evaluate(frame).tolist(), negated.evaluate(frame).tolist(), strict=True))
    assert ours == [expected[t] for t in truth]


# -- apply_hints and repair ---------------------------------------------------------------------

SHOP = Schema(
    "postgresql",
    (
        Table(
            "orders",
            (
                Column("qty", "integer", LogicalType.INTEGER),
                Column("price", "numeric(10,2)", LogicalType.DECIMAL, scale=2),
                Column("status", "text", LogicalType.TEXT),
                Column("code", "varchar(8)", LogicalType.STRING),
                Column("created_at", "timestamptz", LogicalType.TIMESTAMPTZ),
                Column("shipped_at", "timestamptz", LogicalType.TIMESTAMPTZ),
            ),
            schema="shop",
            checks=(
                CheckConstraint("((qty > 0) AND (qty <= 50))", "orders_qty_check"),
                CheckConstraint("(price > (0)::numeric)", "orders_price_check"),
                CheckConstraint(
                    "(status = ANY (ARRAY['paid'::text, 'shipped'::text]))", "orders_status_check"
                ),
                CheckConstraint(
                    "((char_length((code)::text) >= 4) AND ((code)::text ~ '^[A-Z]'::text))", "code"
                ),
                CheckConstraint(
                    "(created_at >= '2022-01-01 00:00:00+00'::timestamp with time zone)", "since"
                ),
                CheckConstraint("((shipped_at IS NULL) OR (shipped_at >= created_at))", "shipped_after"),
            ),
        ),
    ),
)
ORDERS = SHOP.table("shop.orders")


def orders_frame(rows: list[list[Any]]) -> pd.DataFrame:
    return frame_of(ORDERS, rows)


def test_table_checks_merge_hints_per_column() -> None:
    checks = table_checks(ORDERS, SHOP, now=NOW)
    assert [c.check.name for c in checks.compiled] == [c.name for c in ORDERS.checks]
    assert checks.hints.describe() == (
        "qty: >= 1, <= 50",
        "price: >= 0.01",
        "status: in ('paid', 'shipped')",
        "code: length >= 4, ~ '^[A-Z]'",
        "created_at: >= '2022-01-01 00:00:00'",
        "shipped_at >= created_at",
    )
    assert checks.hints.column("qty") == ColumnHints("qty", LogicalType.INTEGER, low=1, high=50)


def test_apply_hints_clamps_chooses_and_pads_deterministically() -> None:
    frame = orders_frame(
        [
            [0, 0.0, "Paid", "AB", "2021-06-01 00:00:00+00", None],
            [99, 12.5, "refunded", "ABCDE", "2023-01-01 00:00:00+00", "2023-01-02 00:00:00+00"],
            [None, None, None, None, None, None],
        ]
    )
    hints = table_checks(ORDERS, SHOP, now=NOW).hints
    fixed = apply_hints(frame, hints)
    assert fixed["qty"].tolist() == [1, 50, pd.NA]
    assert fixed["price"].tolist()[:2] == [0.01, 12.5] and np.isnan(fixed["price"].iloc[2])
    assert fixed["status"].tolist()[0] == "paid"  # the same label in another case
    assert fixed["status"].iloc[1] in ("paid", "shipped") and fixed["status"].iloc[2] is None
    assert fixed["code"].tolist() == ["ABAB", "ABCDE", None]  # padded with its own characters
    assert fixed["created_at"].iloc[0] == pd.Timestamp("2022-01-01", tz="UTC")
    assert fixed.dtypes.to_dict() == frame.dtypes.to_dict()
    assert apply_hints(frame, hints).equals(fixed)  # no randomness
    assert frame["qty"].tolist() == [0, 99, pd.NA]  # the input is not modified
    assert table_checks(ORDERS, SHOP, now=NOW).evaluate(fixed).tolist() == [True, True, True]


def test_repair_replaces_only_the_violating_rows_until_none_is_left() -> None:
    rng = np.random.default_rng(7)
    n = 400
    good = [[5, 9.99, "paid", "ABCD", "2022-03-01 00:00:00+00", "2022-03-02 00:00:00+00"]] * n
    frame = orders_frame(good).set_axis(np.arange(1000, 1000 + n))
    planted = {3: ("qty", -1), 50: ("status", "lost"), 51: ("price", 0.0), 77: ("code", "abcd")}
    for pos, (col, value) in planted.items():
        frame.iloc[pos, frame.columns.get_loc(col)] = value
    frame.iloc[200, frame.columns.get_loc("shipped_at")] = pd.Timestamp("2022-02-01", tz="UTC")
    calls: list[int] = []

    def resample(mask: np.ndarray) -> pd.DataFrame:
        # fresh candidates, a third of them bad again, so it takes a few rounds
        k = int(mask.sum())
        calls.append(k)
        qty = rng.integers(-5, 40, k)
        return orders_frame([[int(q), 1.5, "shipped", "WXYZ", "2022-05-01 00:00:00+00", None] for q in qty])

    checks = table_checks(ORDERS, SHOP, now=NOW).compiled
    result = repair(frame, checks, resample)
    assert all(c.evaluate(result.frame).all() for c in checks)
    assert result.violations == (
        ("CHECK orders_qty_check ((qty > 0) AND (qty <= 50))", 1),
        ("CHECK orders_price_check (price > (0)::numeric)", 1),
        ("CHECK orders_status_check (status = ANY (ARRAY['paid'::text, 'shipped'::text]))", 1),
        ("CHECK code ((char_length((code)::text) >= 4) AND ((code)::text ~ '^[A-Z]'::text))", 1),
        ("CHECK shipped_after ((shipped_at IS NULL) OR (shipped_at >= created_at))", 1),
    )
    assert calls[0] == 5 and result.rounds == len(calls) and result.resampled == sum(calls)
    untouched = [i for i in range(n) if i not in (*planted, 200)]
    assert result.frame.iloc[untouched].equals(frame.iloc[untouched])
    assert result.frame.index.equals(frame.index)
    assert result.frame.dtypes.to_dict() == frame.dtypes.to_dict()


def test_repair_of_a_valid_batch_does_nothing() -> None:
    frame = orders_frame([[5, 9.99, "paid", "ABCD", "2022-03-01 00:00:00+00", None]])
    result = repair(frame, table_checks(ORDERS, SHOP, now=NOW).compiled, lambda mask: pytest.fail("called"))
    assert (result.rounds, result.resampled, result.violations) == (0, 0, ())
    assert result.frame.equals(frame)


def test_enforce_applies_hints_to_fresh_rows_too() -> None:
    checks = table_checks(ORDERS, SHOP, now=NOW)
    frame = orders_frame([[0, 0.0, "paid", "ab", "2022-03-01 00:00:00+00", "2022-01-01 00:00:00+00"]])
    fresh = orders_frame([[80, 5.0, "PAID", "Q", "2022-03-01 00:00:00+00", None]])
    out = checks.enforce(frame, lambda mask, blamed: fresh)
    assert out.iloc[0].tolist()[:4] == [50, 5.0, "paid", "QQQQ"]
    assert checks.evaluate(out).tolist() == [True]


def test_repair_gives_up_naming_the_table_the_check_and_a_generated_row() -> None:
    # Without its last resort: shipped_after's branch "shipped_at IS NULL" would be written into
    # the failing row after 3 rounds (fallback.py; the next test).
    checks = [dataclasses.replace(c, fallback=()) for c in table_checks(ORDERS, SHOP, now=NOW).compiled]
    frame = orders_frame(
        [
            [5, 9.99, "paid", "ABCD", "2022-03-01 00:00:00+00", None],
            [5, 9.99, "paid", "ABCD", "2022-03-01 10:30:00+00", "2022-03-01 09:00:00+00"],
        ]
    )

    def resample(mask: np.ndarray) -> pd.DataFrame:
        return frame.iloc[[1]]

    with pytest.raises(GenerationError) as err:
        repair(frame, checks, resample, max_rounds=3)
    assert str(err.value) == (
        "table shop.orders: CHECK shipped_after ((shipped_at IS NULL) OR (shipped_at >= created_at)) "
        "still fails for 1 of 2 generated rows after 3 rounds of resampling, "
        "e.g. created_at='2022-03-01 10:30:00+00:00', shipped_at='2022-03-01 09:00:00+00:00'"
    )


def test_repair_writes_an_or_branch_of_is_nulls_when_resampling_cannot_meet_the_check() -> None:
    checks = table_checks(ORDERS, SHOP, now=NOW).compiled
    frame = orders_frame(
        [
            [5, 9.99, "paid", "ABCD", "2022-03-01 00:00:00+00", None],
            [5, 9.99, "paid", "ABCD", "2022-03-01 10:30:00+00", "2022-03-01 09:00:00+00"],
        ]
    )
    out = repair(frame, checks, lambda mask: frame.iloc[[1]], max_rounds=5).frame
    assert out["shipped_at"].isna().tolist() == [True, True]


def test_repair_refuses_a_resample_of_the_wrong_size() -> None:
    checks = table_checks(ORDERS, SHOP, now=NOW).compiled
    frame = orders_frame([[0, 9.99, "paid", "ABCD", "2022-03-01 00:00:00+00", None]] * 2)
    with pytest.raises(ValueError, match="resample returned 1 rows for 2 failing rows"):
        repair(frame, checks, lambda mask: frame.iloc[:1])


# -- errors the caller sees -----------------------------------------------------------------------


def test_unknown_dialect_is_named_with_a_suggestion() -> None:
    with pytest.raises(UnsupportedDatabase) as err:
        compile_check(CheckConstraint("qty > 0"), ORDERS, "postgre")
    assert str(err.value) == "dbsynth cannot evaluate CHECKs of dialect 'postgre'. Did you mean 'postgresql'?"


def test_a_batch_without_a_column_the_check_reads() -> None:
    check = compile_check(CheckConstraint("(qty > 0)", "positive"), ORDERS, "postgresql")
    assert check is not None
    with pytest.raises(SchemaError) as err:
        check.evaluate(pd.DataFrame({"qtty": [1]}))
    assert str(err.value) == (
        "the batch for table shop.orders has no column 'qty', which CHECK positive (qty > 0) reads."
        " Did you mean 'qtty'?"
    )


def test_unparseable_text_is_left_to_the_database() -> None:
    result = check_or_reason(CheckConstraint("qty >>> (", "broken"), ORDERS, "postgresql")
    assert isinstance(result, LeftToDatabase)
    assert result.reason.startswith("sqlglot cannot parse it (")
    assert result.describe().startswith("CHECK broken (qty >>> () on shop.orders is left to the database: ")


def test_now_is_the_reference_time_passed_in() -> None:
    table = Table("t", (Column("d", "date", LogicalType.DATE),))
    check = CheckConstraint("(d <= CURRENT_DATE)")
    frame = frame_of(table, [["2024-06-01"], ["2024-06-02"]])
    early = compile_check(check, table, "postgresql", now=NOW)
    late = compile_check(check, table, "postgresql", now=datetime(2024, 6, 2, tzinfo=UTC))
    assert early is not None and late is not None
    assert early.evaluate(frame).tolist() == [True, False]
    assert late.evaluate(frame).tolist() == [True, True]


def test_hints_never_go_beyond_the_check() -> None:
    # `a IS NULL OR b > 0` says nothing about b when a is NULL: no hint on b
    table = Table("t", (Column("a", "int", LogicalType.INTEGER), Column("b", "int", LogicalType.INTEGER)))
    for text in ("((a IS NULL) OR (b > 0))", "((a > 0) OR (b > 0))", "(NOT (a > 0))", "((a = 1) OR (b = 2))"):
        check = compile_check(CheckConstraint(text), table, "postgresql")
        assert check is not None and check.hints == Hints(), text


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.none() | st.integers(-100, 100),
            st.none() | st.floats(-100, 100).map(lambda v: round(v, 2)),
            st.none() | st.sampled_from(["paid", "PAID", "shipped", "lost", ""]),
            st.none() | st.text("ABCxyz", max_size=6),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_apply_hints_satisfies_every_bound_set_and_length_check(rows: list[tuple[Any, ...]]) -> None:
    # qty, price and status are bounds and sets only; code's length (not its pattern) is a hint
    checks = table_checks(ORDERS, SHOP, now=NOW)
    frame = frame_of(ORDERS, [[*r, None, None] for r in rows])
    fixed = apply_hints(frame, checks.hints)
    by_name = {c.check.name: c for c in checks.compiled}
    for name in ("orders_qty_check", "orders_price_check", "orders_status_check"):
        assert by_name[name].evaluate(fixed).all(), name
    lengths = fixed["code"].dropna().map(len)
    assert (lengths >= 4).all()
    assert fixed["qty"].isna().tolist() == frame["qty"].isna().tolist()  # NULLs stay NULL
