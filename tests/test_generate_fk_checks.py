"""CHECKs that read foreign-key columns are met by picking other parents for the rows they reject:
``a <> b`` on a junction table, exclusive arcs on which FK is NULL, ``tag1 < tag2``. Before,
the CHECK repair only drew value columns again and every such table ended the run with
"still fails ... after 20 rounds of resampling"."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbsynth import clone

from conftest import _fresh_database, sa_url

SCHEMA = """
CREATE TABLE equipment (id {serial} PRIMARY KEY, name varchar(20) NOT NULL);
CREATE TABLE compatibility (
  primary_equipment_id int NOT NULL REFERENCES equipment (id),
  compatible_equipment_id int NOT NULL REFERENCES equipment (id),
  note varchar(20),
  PRIMARY KEY (primary_equipment_id, compatible_equipment_id),
  CONSTRAINT not_itself CHECK (primary_equipment_id <> compatible_equipment_id));
CREATE TABLE posts (id {serial} PRIMARY KEY, title varchar(20) NOT NULL);
CREATE TABLE photos (id {serial} PRIMARY KEY, url varchar(20) NOT NULL);
CREATE TABLE comments (id {serial} PRIMARY KEY, post_id int REFERENCES posts (id),
  photo_id int REFERENCES photos (id), body varchar(20) NOT NULL,
  CONSTRAINT one_target CHECK ((post_id IS NULL) <> (photo_id IS NULL)));
CREATE TABLE tags (id {serial} PRIMARY KEY, name varchar(20) NOT NULL);
CREATE TABLE tag_relation (tag1 int NOT NULL REFERENCES tags (id), tag2 int NOT NULL REFERENCES tags (id),
  weight int NOT NULL, PRIMARY KEY (tag1, tag2), CONSTRAINT ordered CHECK (tag1 < tag2))
"""

PG_ROWS = """
INSERT INTO equipment (name) SELECT 'e' || g FROM generate_series(1, 12) g;
INSERT INTO compatibility SELECT a, 1 + mod(a + d, 12), 'n' FROM generate_series(1, 12) a,
  generate_series(0, 5) d WHERE mod(a + d, 12) + 1 <> a;
INSERT INTO posts (title) SELECT 't' || g FROM generate_series(1, 40) g;
INSERT INTO photos (url) SELECT 'u' || g FROM generate_series(1, 30) g;
INSERT INTO comments (post_id, photo_id, body) SELECT CASE WHEN mod(g, 3) = 0 THEN NULL
  ELSE 1 + mod(g, 40) END, CASE WHEN mod(g, 3) = 0 THEN 1 + mod(g, 30) END, 'b' || g
  FROM generate_series(1, 300) g;
INSERT INTO tags (name) SELECT 'tag' || g FROM generate_series(1, 20) g;
INSERT INTO tag_relation SELECT a, b, a + b FROM generate_series(1, 20) a, generate_series(1, 20) b
  WHERE a < b AND mod(a * b, 4) = 0;
"""

MYSQL_ROWS = """
INSERT INTO equipment (name) SELECT concat('e', seq) FROM seq_1_to_12;
INSERT INTO compatibility SELECT a.seq, 1 + mod(a.seq + d.seq, 12), 'n' FROM seq_1_to_12 a, seq_0_to_5 d
  WHERE mod(a.seq + d.seq, 12) + 1 <> a.seq;
INSERT INTO posts (title) SELECT concat('t', seq) FROM seq_1_to_40;
INSERT INTO photos (url) SELECT concat('u', seq) FROM seq_1_to_30;
INSERT INTO comments (post_id, photo_id, body) SELECT CASE WHEN mod(seq, 3) = 0 THEN NULL
  ELSE 1 + mod(seq, 40) END, CASE WHEN mod(seq, 3) = 0 THEN 1 + mod(seq, 30) END, concat('b', seq)
  FROM seq_1_to_300;
INSERT INTO tags (name) SELECT concat('tag', seq) FROM seq_1_to_20;
INSERT INTO tag_relation SELECT a.seq, b.seq, a.seq + b.seq FROM seq_1_to_20 a, seq_1_to_20 b
  WHERE a.seq < b.seq AND mod(a.seq * b.seq, 4) = 0;
"""

# Each query counts the rows that break a CHECK of the source (0 expected), then shapes.
VIOLATIONS = {
    "compatibility": (
        "SELECT count(*) FROM compatibility WHERE primary_equipment_id = compatible_equipment_id"
    ),
    "comments": "SELECT count(*) FROM comments WHERE (post_id IS NULL) = (photo_id IS NULL)",
    "tag_relation": "SELECT count(*) FROM tag_relation WHERE tag1 >= tag2",
}


def _check(query: Callable[[str], int]) -> None:
    for table, sql in VIOLATIONS.items():
        assert query(sql) == 0, table
    assert query("SELECT count(*) FROM compatibility") == 144  # 12 x 6 at scale 2
    # The children-per-parent shape survives the new picks: every equipment keeps some rows.
    assert query("SELECT count(DISTINCT primary_equipment_id) FROM compatibility") == 24
    on_photos = query("SELECT count(*) FROM comments WHERE photo_id IS NOT NULL") / 600
    assert 0.2 < on_photos < 0.5  # a third in the source
    assert query("SELECT count(*) FROM tag_relation") > 0


def _sql_query(url: str) -> Callable[[str], int]:
    def run(sql: str) -> int:
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                return int(conn.exec_driver_sql(sql).scalar_one())
        finally:
            engine.dispose()

    return run


def _sqlite_query(path: Path) -> Callable[[str], int]:
    def run(sql: str) -> int:
        with sqlite3.connect(path) as conn:
            return int(conn.execute(sql).fetchone()[0])

    return run


@pytest.fixture
def pg_source(make_pg: Callable[[str], str]) -> str:
    return make_pg(SCHEMA.format(serial="serial") + ";" + PG_ROWS)


def test_postgresql_to_postgresql(pg_source: str, pg_url: str) -> None:
    for target in _fresh_database(pg_url, "postgresql"):
        clone(pg_source, target, scale=2, seed=3, create_schema=True)
        _check(_sql_query(target))


def test_postgresql_to_sqlite(pg_source: str, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    clone(pg_source, f"sqlite:///{db}", scale=2, seed=5, create_schema=True)
    _check(_sqlite_query(db))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_mariadb_to_sqlite(make_mysql: Callable[[str], str], tmp_path: Path) -> None:
    source = make_mysql(SCHEMA.format(serial="int AUTO_INCREMENT") + ";" + MYSQL_ROWS)
    db = tmp_path / "t.db"
    clone(source, f"sqlite:///{db}", scale=2, seed=7, create_schema=True)
    _check(_sqlite_query(db))


def test_a_schema_only_source_meets_the_checks_too(make_pg: Callable[[str], str], pg_url: str) -> None:
    """No rows to learn from: every FK's NULL share is 0, and the exclusive arc still holds
    (a nullable FK picked again flips between NULL and a parent)."""
    source = make_pg(SCHEMA.format(serial="serial"))
    rows = {"equipment": 10, "posts": 10, "photos": 10, "tags": 10}
    rows |= {"comments": 200, "compatibility": 30, "tag_relation": 20}
    for target in _fresh_database(pg_url, "postgresql"):
        clone(source, target, rows=rows, seed=1, create_schema=True)
        query = _sql_query(target)
        for table, sql in VIOLATIONS.items():
            assert query(sql) == 0, table
        assert query("SELECT count(*) FROM comments") == 200
