"""A model file is untrusted input: SQL text edited into it is refused when it is loaded, and the
DDL never pastes any (it writes each fragment again from its tokens). Each case edits one field
of a fitted model to break out of its statement, loads it into a target that holds a table
``other`` outside the load, and checks the exact refusal and that ``other`` is still there."""

from __future__ import annotations

import copy
import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import dbsynth
from dbsynth.cli import cli
from dbsynth.errors import ModelError, SchemaError
from dbsynth.model import Model
from dbsynth.schema import Schema
from dbsynth.writing.ddl import create_schema, schema_ddl

from conftest import _fresh_database, sa_url

PG_SOURCE = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE customer (id serial PRIMARY KEY, name text NOT NULL, mood mood DEFAULT 'ok');
CREATE TABLE orders (
    id serial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customer (id),
    status text NOT NULL DEFAULT 'new',
    price numeric(10, 2) NOT NULL CONSTRAINT price_positive CHECK (price >= 0),
    total numeric(12, 2) GENERATED ALWAYS AS (price * 2) STORED,
    code text
);
CREATE UNIQUE INDEX orders_code ON orders (code) WHERE code IS NOT NULL;
CREATE INDEX orders_lower ON orders (lower(status));
INSERT INTO customer (name, mood)
    SELECT 'c' || i, (ARRAY['sad', 'ok', 'happy'])[1 + i %% 3]::mood FROM generate_series(1, 40) i;
INSERT INTO orders (customer_id, status, price, code)
    SELECT 1 + i %% 40, (ARRAY['new', 'paid'])[1 + i %% 2], i %% 50, 'C' || i FROM generate_series(1, 200) i;
"""

SQLITE_SOURCE = """
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customer (id),
    status TEXT NOT NULL DEFAULT 'new',
    price NUMERIC(10, 2) NOT NULL CONSTRAINT price_positive CHECK (price >= 0),
    total NUMERIC GENERATED ALWAYS AS (price * 2) STORED,
    code TEXT
);
CREATE UNIQUE INDEX orders_code ON orders (code) WHERE code IS NOT NULL;
CREATE INDEX orders_lower ON orders (lower(status));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO customer (name) SELECT 'c' || i FROM n WHERE i <= 40;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
INSERT INTO orders (customer_id, status, price, code)
    SELECT 1 + i % 40, CASE i % 2 WHEN 0 THEN 'new' ELSE 'paid' END, i % 50, 'C' || i FROM n;
"""

# field -> (where the text lives in the model document, the text that breaks out of its statement
# (each one runs DROP TABLE other when pasted: checked against the code before the fix), the
# start of the refusal after the file's name)
Edit = tuple[Callable[[dict[str, Any]], dict[str, Any]], str, str, str]


def _table(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in doc["schema"]["tables"] if t["name"] == name)


def _column(doc: dict[str, Any], table: str, name: str) -> dict[str, Any]:
    return next(c for c in _table(doc, table)["columns"] if c["name"] == name)


def _unique(doc: dict[str, Any], table: str) -> dict[str, Any]:
    return next(u for u in _table(doc, table)["uniques"] if u.get("where"))


def _index(doc: dict[str, Any], table: str) -> dict[str, Any]:
    return next(ix for ix in _table(doc, table)["indexes"] if ix.get("expressions"))


def _check(doc: dict[str, Any], table: str) -> dict[str, Any]:
    return _table(doc, table)["checks"][0]


def pg_edits(key: str) -> dict[str, Edit]:
    """``key``: the table key as the messages print it (``public.orders``, ``orders``)."""
    return {
        "sql_type": (
            lambda d: _column(d, "orders", "status"),
            "sql_type",
            "text, code text); DROP TABLE other; CREATE TABLE junk (id int, status text",
            f"column {key}.status: sql_type is not a single SQL type",
        ),
        "default": (
            lambda d: _column(d, "orders", "status"),
            "default",
            "'new', code text); DROP TABLE other; CREATE TABLE junk (id int, status text",
            f"column {key}.status: default is not a single SQL expression",
        ),
        "check": (
            lambda d: _check(d, "orders"),
            "expression",
            "price >= 0)); DROP TABLE other; CREATE TABLE junk (x int CHECK (1 = 1",
            f"table {key}: check price_positive: expression is not a single SQL expression",
        ),
        "generated": (
            lambda d: _column(d, "orders", "total"),
            "generated",
            "1) STORED, code text); DROP TABLE other; CREATE TABLE j (id int, t int GENERATED ALWAYS AS (1",
            f"column {key}.total: generated is not a single SQL expression",
        ),
        "index where": (
            lambda d: _unique(d, "orders"),
            "where",
            "code IS NOT NULL; DROP TABLE other",
            f"table {key}: unique index orders_code: where is not a single SQL expression",
        ),
        "index expression": (
            lambda d: _index(d, "orders"),
            "expressions",
            ["lower(status))); DROP TABLE other; CREATE INDEX junk ON orders ((lower(status)"],
            f"table {key}: index orders_lower: expressions[0] is not a single SQL expression",
        ),
    }


@pytest.fixture(scope="module")
def pg_model(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    databases = _fresh_database(pg_url, "postgresql")
    source = next(databases)
    engine = sa.create_engine(sa_url(source), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(PG_SOURCE)
    engine.dispose()
    yield dbsynth.fit(source).to_data()
    databases.close()


@pytest.fixture(scope="module")
def sqlite_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("source") / "source.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(SQLITE_SOURCE)
    return dbsynth.fit(f"sqlite:///{path}").to_data()


def edited(doc: dict[str, Any], edit: Edit, tmp_path: Path) -> Path:
    where, field, text, _ = edit
    changed = copy.deepcopy(doc)
    where(changed)[field] = text
    path = tmp_path / "model.json"
    path.write_text(json.dumps(changed))
    return path


def shown(text: str | list[str]) -> str:
    """How a message quotes the text: cut to 80 characters."""
    one = text[0] if isinstance(text, list) else text
    return repr(one if len(one) <= 80 else one[:79] + "…")


def pg_tables(url: str) -> set[str]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = {
            r[0] for r in conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    engine.dispose()
    return names


@pytest.mark.parametrize("field", list(pg_edits("public.orders")))
def test_sql_in_a_postgresql_model_is_refused(
    pg_model: dict[str, Any], fresh_pg: str, tmp_path: Path, field: str
) -> None:
    edit = pg_edits("public.orders")[field]
    path = edited(pg_model, edit, tmp_path)
    engine = sa.create_engine(sa_url(fresh_pg), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE other (id int)")
    engine.dispose()
    result = CliRunner().invoke(cli, ["generate", str(path), fresh_pg, "--create-schema"])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: model file '{path}': {edit[3]}: {shown(edit[2])}"
    )
    assert pg_tables(fresh_pg) == {"other"}


@pytest.mark.parametrize("field", list(pg_edits("orders")))
def test_sql_in_a_sqlite_model_is_refused(sqlite_model: dict[str, Any], tmp_path: Path, field: str) -> None:
    edit = pg_edits("orders")[field]
    path = edited(sqlite_model, edit, tmp_path)
    target = tmp_path / "target.sqlite"
    with sqlite3.connect(target) as conn:
        conn.execute("CREATE TABLE other (id INTEGER)")
    with pytest.raises(ModelError) as refused:
        dbsynth.generate(str(path), f"sqlite:///{target}", create_schema=True)
    assert str(refused.value) == f"model file '{path}': {edit[3]}: {shown(edit[2])}"
    with sqlite3.connect(target) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == [
            "other"
        ]


def test_the_ddl_refuses_sql_text_of_any_schema(pg_model: dict[str, Any]) -> None:
    """The same gate guards a Schema that does not come from a model file (clone, the API)."""
    schema = Schema.from_data(copy.deepcopy(pg_model["schema"]))
    doc = {"schema": schema.to_data()}
    _column(doc, "orders", "status")["default"] = "now(); DROP TABLE other"
    with pytest.raises(SchemaError) as refused:
        schema_ddl(Schema.from_data(doc["schema"]), "postgresql")
    assert str(refused.value) == (
        "column public.orders.status: default is not a single SQL expression: 'now(); DROP TABLE other'"
    )


def test_functions_that_reach_outside_the_row_are_refused(pg_model: dict[str, Any], tmp_path: Path) -> None:
    doc = copy.deepcopy(pg_model)
    _check(doc, "orders")["expression"] = "length(pg_read_file('/etc/passwd')) > 0"
    path = tmp_path / "model.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelError) as refused:
        Model.load(path)
    assert str(refused.value) == (
        f"model file '{path}': table public.orders: check price_positive: expression calls "
        "pg_read_file(), which dbsynth never runs from a model file: "
        "\"length(pg_read_file('/etc/passwd')) > 0\""
    )


HOSTILE_NAME = 'x"; DROP TABLE other; --'
HOSTILE_LABEL = "happy'); DROP TABLE other; --"


def test_names_and_labels_are_quoted_never_sql(pg_model: dict[str, Any], fresh_pg: str) -> None:
    """Names and enum labels are data, not SQL: any characters are legal in them and the DDL
    quotes them, so the table and the label get exactly that text and nothing else runs."""
    doc = copy.deepcopy(pg_model)
    schema = doc["schema"]
    schema["enums"][0]["labels"][-1] = HOSTILE_LABEL
    _column(doc, "customer", "name")["name"] = HOSTILE_NAME
    _table(doc, "orders")["name"] = HOSTILE_NAME + "'"
    for t in schema["tables"]:
        for fk in t.get("foreign_keys", ()):
            if fk["ref_table"] == "public.orders":
                fk["ref_table"] = f"public.{HOSTILE_NAME}'"
    hostile = Schema.from_data(schema)
    engine = sa.create_engine(sa_url(fresh_pg), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE other (id int)")
        create_schema(conn, hostile, target_dialect="postgresql")
    with engine.connect() as conn:
        labels = conn.exec_driver_sql("SELECT enum_range(NULL::mood)::text[]").scalar_one()
        column = conn.exec_driver_sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'customer' AND column_name LIKE 'x%%'"
        ).scalar_one()
    engine.dispose()
    assert pg_tables(fresh_pg) == {"other", "customer", HOSTILE_NAME + "'"}
    assert labels == ["sad", "ok", HOSTILE_LABEL]
    assert column == HOSTILE_NAME


HOSTILE_SOURCE = """
CREATE TABLE "p""; DROP TABLE other; --" (id integer PRIMARY KEY, "n'); DROP TABLE other; --" text);
CREATE TABLE "c;`x`" (id integer PRIMARY KEY,
    "p""id" integer REFERENCES "p""; DROP TABLE other; --" (id), "v;--" integer CHECK ("v;--" >= 0));
"""


ROWS = "".join(
    f"""INSERT INTO "p""; DROP TABLE other; --" VALUES ({i}, 'n{i % 7}');"""
    f"""INSERT INTO "c;`x`" VALUES ({i}, {i}, {i % 5});"""
    for i in range(1, 60)
)


def clone_hostile(source: str, target: str) -> None:
    """Names that hold quotes, semicolons and comment marks go from the source through the model
    to the target as names: the same tables exist there with every row, and nothing else ran."""
    engine = sa.create_engine(sa_url(target), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE other (id int)")
    dbsynth.generate(dbsynth.fit(source), target, seed=3, create_schema=True)
    names = set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        count = conn.exec_driver_sql('SELECT count(*) FROM "c;`x`"').scalar_one()
    engine.dispose()
    assert names == {"other", 'p"; DROP TABLE other; --', "c;`x`"}
    assert count == 59


def test_hostile_names_are_cloned_as_names_in_postgresql(make_pg: Callable[[str], str], pg_url: str) -> None:
    source = make_pg(HOSTILE_SOURCE + ROWS)
    targets = _fresh_database(pg_url, "postgresql")
    clone_hostile(source, next(targets))
    targets.close()


def test_hostile_names_are_cloned_as_names_in_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "source.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(HOSTILE_SOURCE + ROWS)
    clone_hostile(f"sqlite:///{path}", f"sqlite:///{tmp_path / 'target.sqlite'}")
