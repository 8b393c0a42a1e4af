"""Hostile schemas that real databases accept: the same foreign key declared twice on one table,
and (MariaDB, ``lower_case_table_names = 0``) two tables whose names differ only in case.

Both once broke dbsynth: the repeated foreign key made two relationships with one id, so the
model file fit wrote was refused on load (``relationships[1].id: c(p_id) appears twice``); the
tables ``Foo`` and ``foo`` were each given the primary key of both (``primary key (id, id)``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from helpers_hostile import scratch_database

import dbsynth
from dbsynth.introspection import introspect

PARENT_ROWS, CHILD_ROWS = 20, 60


def assert_cloned_once(source: str, target: str, tmp_path: Path) -> None:
    schema = introspect(source)
    child = schema.table("c")
    assert [(fk.columns, fk.ref_table) for fk in child.foreign_keys] == [(("p_id",), schema.table("p").key)]
    assert any("declared twice" in w for w in schema.warnings), schema.warnings
    model = dbsynth.fit(source)
    model.save(tmp_path / "m.json")
    result = dbsynth.generate(tmp_path / "m.json", target, create_schema=True, seed=3)
    assert result.total_rows == PARENT_ROWS + CHILD_ROWS


def test_sqlite_foreign_key_declared_twice(tmp_path: Path) -> None:
    path = tmp_path / "dup.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);"
            "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL,"
            " FOREIGN KEY (p_id) REFERENCES p (id), FOREIGN KEY (p_id) REFERENCES p (id));"
        )
        conn.executemany("INSERT INTO p VALUES (?, ?)", [(i, f"n{i}") for i in range(1, PARENT_ROWS + 1)])
        children = [(i, 1 + i % PARENT_ROWS) for i in range(1, CHILD_ROWS + 1)]
        conn.executemany("INSERT INTO c VALUES (?, ?)", children)
    assert_cloned_once(f"sqlite:///{path}", f"sqlite:///{tmp_path / 'out.sqlite'}", tmp_path)


@pytest.mark.postgres
def test_postgres_foreign_key_declared_twice(pg_url: str, tmp_path: Path) -> None:
    script = f"""
    CREATE TABLE p (id integer PRIMARY KEY, name text);
    CREATE TABLE c (id integer PRIMARY KEY, p_id integer NOT NULL,
      CONSTRAINT c_p_a FOREIGN KEY (p_id) REFERENCES p (id),
      CONSTRAINT c_p_b FOREIGN KEY (p_id) REFERENCES p (id));
    INSERT INTO p SELECT g, 'n' || g FROM generate_series(1, {PARENT_ROWS}) g;
    INSERT INTO c SELECT g, 1 + mod(g, {PARENT_ROWS}) FROM generate_series(1, {CHILD_ROWS}) g;
    """
    with scratch_database(pg_url, script) as source, scratch_database(pg_url) as target:
        assert_cloned_once(source, target, tmp_path)


@pytest.mark.mysql
def test_mariadb_tables_differing_only_in_case_keep_their_own_keys(mysql_url: str) -> None:
    statements = [
        "CREATE TABLE Foo (id int PRIMARY KEY, a int)",
        "CREATE TABLE foo (fid int PRIMARY KEY, b varchar(10), foo_id int REFERENCES Foo (id))",
        "CREATE TABLE bar (id int PRIMARY KEY, f int, CONSTRAINT bar_f FOREIGN KEY (f) REFERENCES foo (fid))",
    ]
    with scratch_database(mysql_url, statements) as url:
        schema = introspect(url)
        if not (schema.has_table("Foo") and schema.table("Foo").key == "Foo"):
            pytest.skip("the server folds table names (lower_case_table_names != 0)")
        upper, lower = schema.table("Foo"), schema.table("foo")
        assert upper.primary_key is not None and upper.primary_key.columns == ("id",)
        assert lower.primary_key is not None and lower.primary_key.columns == ("fid",)
        assert [(fk.columns, fk.ref_table) for fk in lower.foreign_keys] == [(("foo_id",), "Foo")]
        assert upper.foreign_keys == ()
        assert [(fk.columns, fk.ref_table) for fk in schema.table("bar").foreign_keys] == [(("f",), "foo")]
