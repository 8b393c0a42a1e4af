"""SQLite introspection against real SQLite files (``make_sqlite``), with exact expectations."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dbsynth.errors import SchemaError
from dbsynth.introspection import introspect
from dbsynth.introspection.sqlite import affinity, declared_logical, scan_create_index, scan_create_table
from dbsynth.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Identity,
    Index,
    LogicalType,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

L = LogicalType
ROWID = Identity("rowid")


def C(name: str, sql_type: str, logical: LogicalType, **kw: object) -> Column:
    return Column(name, sql_type, logical, **kw)  # type: ignore[arg-type]


AFFINITIES = """
CREATE TABLE types (
  id INTEGER PRIMARY KEY,
  i INT, bi BIGINT NOT NULL DEFAULT 0, ubi UNSIGNED BIG INT, fp FLOATING POINT,
  t TEXT DEFAULT 'x', cl CLOB, vc VARCHAR(20), nvc NVARCHAR(40), ch CHARACTER(3), vch VARYING CHARACTER(255),
  b BLOB, anything,
  r REAL, d DOUBLE, dp DOUBLE PRECISION, f FLOAT,
  n NUMERIC, dec DECIMAL(10, 5), bo BOOLEAN, da DATE, ti TIME, dt DATETIME DEFAULT CURRENT_TIMESTAMP,
  ts TIMESTAMP, j JSON, u UUID, s STRING
);
"""

EXPECTED_TYPES = (
    C("id", "INTEGER", L.INTEGER, nullable=False, identity=ROWID),
    C("i", "INT", L.INTEGER),
    C("bi", "BIGINT", L.INTEGER, nullable=False, default="0"),
    C("ubi", "UNSIGNED BIG INT", L.INTEGER),
    C("fp", "FLOATING POINT", L.INTEGER),  # SQLite's rule: "INT" in POINT wins
    C("t", "TEXT", L.TEXT, default="'x'"),
    C("cl", "CLOB", L.TEXT),
    C("vc", "VARCHAR(20)", L.STRING, length=20),
    C("nvc", "NVARCHAR(40)", L.STRING, length=40),
    C("ch", "CHARACTER(3)", L.STRING, length=3),
    C("vch", "VARYING CHARACTER(255)", L.STRING, length=255),
    C("b", "BLOB", L.BYTES),
    C("anything", "", L.OTHER),
    C("r", "REAL", L.FLOAT),
    C("d", "DOUBLE", L.FLOAT),
    C("dp", "DOUBLE PRECISION", L.FLOAT),
    C("f", "FLOAT", L.FLOAT),
    C("n", "NUMERIC", L.DECIMAL),
    C("dec", "DECIMAL(10, 5)", L.DECIMAL, precision=10, scale=5),
    C("bo", "BOOLEAN", L.BOOLEAN),
    C("da", "DATE", L.DATE),
    C("ti", "TIME", L.TIME),
    C("dt", "DATETIME", L.TIMESTAMP, default="CURRENT_TIMESTAMP"),
    C("ts", "TIMESTAMP", L.TIMESTAMP),
    C("j", "JSON", L.JSON),
    C("u", "UUID", L.UUID),
    C("s", "STRING", L.OTHER),
)


def test_every_affinity(make_sqlite: Callable[[str], str]) -> None:
    s = introspect(make_sqlite(AFFINITIES))
    t = s.table("types")
    for got, want in zip(t.columns, EXPECTED_TYPES, strict=True):
        assert got == want
    assert t == Table("types", EXPECTED_TYPES, primary_key=PrimaryKey(("id",)))
    assert s.warnings == (
        "types.anything: declares no type; its SQL type is kept and it is generated as NULL or a constant",
        "types.s: type 'STRING' is not modelled; its SQL type is kept and it is generated as NULL "
        "or a constant",
    )
    assert s.dialect == "sqlite" and s.database and s.database.endswith(".sqlite")
    assert Schema.from_json(s.to_json()) == s


KEYS = """
CREATE TABLE artist (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
  country TEXT, CONSTRAINT uq_name_country UNIQUE (name, country));
CREATE TABLE album (
  artist_id INTEGER NOT NULL REFERENCES Artist ON DELETE CASCADE,
  no INT NOT NULL,
  title VARCHAR(100) CONSTRAINT title_not_empty CHECK (length(title) > 0),
  price NUMERIC(6, 2) CHECK (price >= 0) DEFAULT (0.0),
  "check" INT,
  PRIMARY KEY (artist_id, no),
  CHECK (no < 100 AND "check" IS NULL) -- a table check ( with a parenthesis in a comment
);
CREATE TABLE track (
  id INTEGER PRIMARY KEY DESC,
  artist_id INTEGER, album_no INT,
  parent_id INTEGER,
  seconds INT NOT NULL,
  minutes REAL GENERATED ALWAYS AS (seconds / 60.0) VIRTUAL,
  label TEXT AS (upper("check_label")) STORED,
  check_label TEXT,
  CONSTRAINT fk_album FOREIGN KEY (artist_id, album_no) REFERENCES album (artist_id, no)
    ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES track (id) ON DELETE SET DEFAULT NOT DEFERRABLE
);
CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT) WITHOUT ROWID;
CREATE TABLE plain (code INT PRIMARY KEY, label TEXT, shout AS (upper(label)));
CREATE UNIQUE INDEX ix_track_label ON track (check_label) WHERE check_label IS NOT NULL;
CREATE INDEX ix_track_seconds ON track (seconds DESC, album_no);
CREATE INDEX ix_track_lower ON track (lower(check_label), seconds);
CREATE UNIQUE INDEX ix_plain_lower ON plain (lower(label));
"""


def test_keys_checks_and_generated_columns(make_sqlite: Callable[[str], str]) -> None:
    s = introspect(make_sqlite(KEYS))
    assert s.table_keys == ("album", "artist", "plain", "tag", "track")
    assert s.table("artist") == Table(
        "artist",
        (
            C(
                "id",
                "INTEGER",
                L.INTEGER,
                nullable=False,
                identity=Identity("rowid", sequence="sqlite_sequence"),
            ),
            C("name", "TEXT", L.TEXT, nullable=False),
            C("country", "TEXT", L.TEXT),
        ),
        primary_key=PrimaryKey(("id",)),
        uniques=(UniqueConstraint(("name",)), UniqueConstraint(("name", "country"), "uq_name_country")),
    )
    assert s.table("album") == Table(
        "album",
        (
            C("artist_id", "INTEGER", L.INTEGER, nullable=False),
            C("no", "INT", L.INTEGER, nullable=False),
            C("title", "VARCHAR(100)", L.STRING, length=100),
            C("price", "NUMERIC(6, 2)", L.DECIMAL, default="0.0", precision=6, scale=2),
            C("check", "INT", L.INTEGER),
        ),
        primary_key=PrimaryKey(("artist_id", "no")),
        # no column list: the parent's primary key; "Artist" is spelled as the parent declares it
        foreign_keys=(ForeignKey(("artist_id",), "artist", ("id",), on_delete="CASCADE"),),
        checks=(
            CheckConstraint("length(title) > 0", "title_not_empty", ("title",), "column"),
            CheckConstraint("price >= 0", None, ("price",), "column"),
            CheckConstraint('no < 100 AND "check" IS NULL', None, ("no", "check"), "table"),
        ),
    )
    assert s.table("track") == Table(
        "track",
        (
            C("id", "INTEGER", L.INTEGER),  # INTEGER PRIMARY KEY DESC is not the rowid
            C("artist_id", "INTEGER", L.INTEGER),
            C("album_no", "INT", L.INTEGER),
            C("parent_id", "INTEGER", L.INTEGER),
            C("seconds", "INT", L.INTEGER, nullable=False),
            C("minutes", "REAL", L.FLOAT, generated="seconds / 60.0"),
            C("label", "TEXT", L.TEXT, generated='upper("check_label")'),
            C("check_label", "TEXT", L.TEXT),
        ),
        primary_key=PrimaryKey(("id",)),
        uniques=(UniqueConstraint(("check_label",), "ix_track_label", "index", "check_label IS NOT NULL"),),
        foreign_keys=(
            ForeignKey(
                ("artist_id", "album_no"),
                "album",
                ("artist_id", "no"),
                "fk_album",
                on_delete="SET NULL",
                on_update="CASCADE",
                deferrable=True,
                initially_deferred=True,
            ),
            ForeignKey(("parent_id",), "track", ("id",), "fk_parent", on_delete="SET DEFAULT"),
        ),
        indexes=(
            Index(("seconds",), "ix_track_lower", ("lower(check_label)", "seconds")),
            Index(("seconds", "album_no"), "ix_track_seconds"),
        ),
    )
    # WITHOUT ROWID: INTEGER PRIMARY KEY is a NOT NULL key, not a rowid
    assert s.table("tag").columns == (
        C("id", "INTEGER", L.INTEGER, nullable=False),
        C("name", "TEXT", L.TEXT),
    )
    # INT PRIMARY KEY is not INTEGER PRIMARY KEY: no rowid alias
    plain = s.table("plain")
    assert plain.columns[0] == C("code", "INT", L.INTEGER)
    # a generated column without a type is OTHER, but never written, so no warning
    assert plain.columns[2] == C("shout", "", L.OTHER, generated="upper(label)")
    assert plain.uniques == ()
    assert plain.indexes == (Index((), "ix_plain_lower", ("lower(label)",)),)
    assert s.warnings == (
        "plain: unique index ix_plain_lower on expressions (lower(label)) is kept as a plain index; "
        "its uniqueness is not modelled",
    )
    assert Schema.from_json(s.to_json()) == s


def test_row_estimates_virtual_tables_and_dangling_references(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite(
        "CREATE TABLE a (id INTEGER PRIMARY KEY, x INT);"
        "CREATE INDEX ix_a ON a (x);"
        "CREATE TABLE b (id INTEGER PRIMARY KEY, ghost_id INT REFERENCES ghost (id));"
        "INSERT INTO a (x) VALUES (1), (2), (3);"
        "CREATE VIRTUAL TABLE notes USING fts5(body);"
        "ANALYZE;"
    )
    s = introspect(url)
    assert s.table_keys == ("a", "b")
    assert s.table("a").row_estimate == 3
    assert s.table("b").row_estimate is None  # ANALYZE records nothing for an empty table
    assert s.table("b").foreign_keys == ()
    assert s.warnings == (
        "notes: virtual table (CREATE VIRTUAL TABLE notes USING fts5(body)) is not introspected",
        "b: foreign key (ghost_id) references ghost, which is not introspected; it is ignored",
    )


def test_sqlite_has_no_schemas(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite("CREATE TABLE a (id INTEGER PRIMARY KEY);")
    with pytest.raises(SchemaError) as err:
        introspect(url, "main")
    assert (
        str(err.value)
        == "SQLite databases have no schemas (asked for 'main'); the whole file is introspected"
    )


def test_affinity_rules() -> None:
    assert [affinity(t) for t in ("BIGINT", "VARCHAR(9)", "", "blob", "DOUBLE", "DECIMAL", "POINT")] == [
        "INTEGER",
        "TEXT",
        "BLOB",
        "BLOB",
        "REAL",
        "NUMERIC",
        "INTEGER",
    ]
    # SQLite checks INT before CHAR: "CHARINT" is INTEGER
    assert affinity("CHARINT") == "INTEGER"
    assert declared_logical("  numeric ( 8 , 3 ) ") == (L.DECIMAL, (8, 3))
    assert declared_logical("MONEY") == (L.OTHER, ())


def test_scanner_reads_what_only_the_ddl_says() -> None:
    ddl = scan_create_table(
        "CREATE TABLE [t x] (\n"
        "  [id] integer CONSTRAINT pk_t PRIMARY KEY AUTOINCREMENT,\n"
        "  d TEXT DEFAULT (CAST(1 AS TEXT)) CHECK (d <> ')'), -- CHECK (not this)\n"
        '  "check" INT CONSTRAINT c_chk CHECK ("check" > 0) REFERENCES p ON DELETE SET DEFAULT '
        "DEFERRABLE INITIALLY DEFERRED NOT NULL,\n"
        "  g generated always as (d || 'x') virtual,\n"
        '  CONSTRAINT uq UNIQUE (d COLLATE nocase, "Check" DESC),\n'
        "  FOREIGN KEY (d) REFERENCES q (x) DEFERRABLE INITIALLY IMMEDIATE\n"
        ")"
    )
    assert ddl.pk_name == "pk_t"
    assert ddl.autoincrement == {"id"}
    assert ddl.checks == [(None, "d <> ')'", "d"), ("c_chk", '"check" > 0', "check")]
    assert ddl.generated == {"g": "d || 'x'"}
    assert ddl.unique_names == {("d", "check"): "uq"}
    assert [(f.columns, f.name, f.deferrable, f.initially_deferred) for f in ddl.fks] == [
        (("check",), None, True, True),
        (("d",), None, True, False),
    ]
    assert scan_create_index('CREATE UNIQUE INDEX "i" ON t (a, lower(b) DESC) WHERE a > 0') == (
        ["a", "lower(b) DESC"],
        "a > 0",
    )
