"""Target schema creation against the real servers: every sample dataset rebuilt in a fresh
database of its own dialect must introspect back to the same Schema, and the cross-dialect
targets must hold every table, column, key and foreign key with the logical types the mapping
promises, with warnings naming what was approximated."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from dbsynth.db import create_engine, parse_url
from dbsynth.errors import SchemaError, TargetError, UnsupportedDatabase, UsageError
from dbsynth.examples import shop_sql
from dbsynth.introspection import introspect
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
)
from dbsynth.writing.ddl import DdlScript, create_schema, schema_ddl, target_table_name

L = LogicalType
DATASETS = ["pagila", "sakila_pg", "chinook", "northwind", "world", "chinook_mysql", "sakila_mysql"]
FIXTURES = Path(__file__).parent / "fixtures"

# Logical types a target cannot hold, and what they come back as when the target is introspected.
BECOMES: dict[str, dict[LogicalType, LogicalType]] = {
    "postgresql": {L.SET: L.ARRAY, L.OTHER: L.TEXT},
    "mysql": {
        L.TIMESTAMPTZ: L.TIMESTAMP,
        L.ARRAY: L.JSON,
        L.OTHER: L.TEXT,
        L.UUID: L.STRING,
        L.INTERVAL: L.TIME,
    },
    "sqlite": {
        L.TIMESTAMPTZ: L.TIMESTAMP,
        L.ENUM: L.STRING,
        L.SET: L.TEXT,
        L.ARRAY: L.TEXT,
        L.OTHER: L.TEXT,
        L.UUID: L.TEXT,
        L.INTERVAL: L.TEXT,
    },
}


def create_in(url: str, schema: Schema, target: str) -> DdlScript:
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            return create_schema(conn, schema, target_dialect=target)
    finally:
        engine.dispose()


def normalised(schema: Schema) -> tuple[object, ...]:
    """What must survive a rebuild. The script keeps every constraint, index and sequence name,
    so nothing is renamed here; row estimates are the load's business, and the warnings speak of
    the source catalog (FKs its partitions declare), not of the Schema."""
    tables = tuple(replace(t, row_estimate=None) for t in schema.tables)
    objects = (schema.composites, schema.extensions, schema.routines, schema.views)
    return tables, schema.enums, schema.domains, schema.schemas, objects


def assert_rebuilt(source: Schema, target: Schema) -> None:
    assert target.table_keys == source.table_keys
    for table in source.tables:  # one table at a time, for a readable failure
        assert replace(target.table(table.key), row_estimate=None) == replace(table, row_estimate=None)
    assert normalised(target) == normalised(source)


def sqlite_url(tmp_path: Path, name: str = "target") -> str:
    return f"sqlite:///{tmp_path / f'{name}.sqlite'}"


@pytest.fixture
def target_db(pg_url: str, mysql_url: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``target_db(dialect)`` -> URL of a new, empty database (another one than ``make_pg`` and
    ``make_mysql`` fill), dropped after the test."""
    made: list[tuple[str, str]] = []

    def make(dialect: str) -> str:
        if dialect == "sqlite":
            return sqlite_url(tmp_path, f"target{len(made)}")
        name = f"dbsynth_t_{uuid.uuid4().hex[:10]}"
        server = pg_url if dialect == "postgresql" else mysql_url
        with admin(server) as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        made.append((server, name))
        return parse_url(server).set(database=name).render_as_string(hide_password=False)

    yield make
    for server, name in made:
        with admin(server) as conn:
            force = " WITH (FORCE)" if parse_url(server).get_backend_name() == "postgresql" else ""
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name}{force}")


@contextmanager
def admin(server: str) -> Iterator[sa.Connection]:
    engine = create_engine(server, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


# -- same dialect: exact ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_dataset_rebuilds_exactly(
    dataset_url: Callable[[str], str], target_db: Callable[[str], str], name: str
) -> None:
    source = introspect(dataset_url(name))
    target_url = target_db(source.dialect)
    script = create_in(target_url, source, source.dialect)
    # Only what no target gets (pagila's triggers and the functions only they call) is noted.
    assert script.warnings == (
        ("not carried: " + "; ".join(source.not_carried),) if source.not_carried else ()
    )
    assert_rebuilt(source, introspect(target_url))


EXTRA_PG = """
CREATE INDEX everything_tags ON "Sales".everything USING gin (tags);
CREATE INDEX everything_u ON "Sales".everything USING hash (u);
CREATE TABLE "Sales"."Mixed Case" ("Id" bigserial PRIMARY KEY, "Ünï" text DEFAULT 'it''s 100%',
    CONSTRAINT "Like Check" CHECK ("Ünï" LIKE 'a%'));
"""


def test_every_postgresql_shape_rebuilds_exactly(
    make_pg: Callable[[str], str], target_db: Callable[[str], str]
) -> None:
    url = make_pg((FIXTURES / "introspect" / "pg_every_type.sql").read_text())
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:  # no_parameters: the driver must not read '%' as a placeholder
        conn.exec_driver_sql(EXTRA_PG, execution_options={"no_parameters": True})
    engine.dispose()
    source = introspect(url)
    everything = source.table("Sales.everything")
    assert Index(("tags",), "everything_tags", method="gin") in everything.indexes
    statements = schema_ddl(source, "postgresql").statements
    assert 'CREATE SEQUENCE "Sales".everything_id_seq AS integer' in statements
    assert 'ALTER SEQUENCE "Sales".everything_id_seq OWNED BY "Sales".everything.id' in statements
    assert 'CREATE INDEX everything_tags ON "Sales".everything USING gin (tags)' in statements
    assert 'CREATE INDEX everything_expr ON "Sales".everything (i4, (i8 + 1))' in statements
    assert 'CREATE TABLE "Sales".events_other PARTITION OF "Sales".events DEFAULT' in statements
    assert 'CREATE DOMAIN "Sales"."Grün" AS "Sales".positive' in statements  # own CHECKs only: none
    assert any(
        s.startswith(
            'CREATE TABLE "Sales"."Customer" (\n    id integer GENERATED ALWAYS AS IDENTITY '
            '(SEQUENCE NAME "Sales"."Customer_id_seq" START WITH 100 INCREMENT BY 5) NOT NULL,'
        )
        for s in statements
    )
    target = target_db("postgresql")
    script = create_in(target, source, "postgresql")
    assert script.warnings == (
        "Sales.everything: unique index everything_lower_t on expressions (lower(t)) is created as a "
        "plain index: its uniqueness is not carried (target nor generated rows)",
    )
    assert_rebuilt(source, introspect(target))


def test_pagila_names_and_methods_are_spelled_exactly(dataset_url: Callable[[str], str]) -> None:
    statements = schema_ddl(introspect(dataset_url("pagila")), "postgresql").statements
    # The functions views call (group_concat) come between the enums and the domains, whose
    # CHECKs may call functions too.
    assert [s.split("\n")[0].split(" (")[0] for s in statements[:5]] == [
        "CREATE TYPE public.mpaa_rating AS ENUM",
        "SET check_function_bodies = false",
        "CREATE OR REPLACE FUNCTION public._group_concat(text, text)",
        "CREATE OR REPLACE AGGREGATE public.group_concat(text)",
        "RESET check_function_bodies",
    ]
    assert tuple(s for s in statements if s.startswith(("CREATE TYPE", "CREATE DOMAIN"))) == (
        "CREATE TYPE public.mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17')",
        'CREATE DOMAIN public."bıgınt" AS bigint',
        "CREATE DOMAIN public.year AS integer "
        "CONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)))",
    )
    assert "CREATE SEQUENCE public.actor_actor_id_seq AS integer" in statements
    assert "CREATE INDEX film_fulltext_idx ON public.film USING gist (fulltext)" in statements
    assert (
        "CREATE TABLE public.payment_p2022_01 PARTITION OF public.payment "
        "FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00')"
    ) in statements
    # foreign keys come last, so the store <-> staff cycle needs no ordering
    fks = [i for i, s in enumerate(statements) if " FOREIGN KEY " in s]
    assert fks == list(range(len(statements) - len(fks), len(statements)))


MYSQL_SHAPES = """
CREATE TABLE parent (a INT NOT NULL, b INT NOT NULL, PRIMARY KEY (a, b));
CREATE TABLE t (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  flag BOOL DEFAULT TRUE, tiny TINYINT UNSIGNED, big BIGINT UNSIGNED, y YEAR, bits BIT(8) DEFAULT b'101',
  price DECIMAL(10,3) DEFAULT 4.99, ratio FLOAT, label VARCHAR(20) NOT NULL DEFAULT 'it''s',
  code CHAR(3), body TEXT, bl BLOB,
  e ENUM('a','b c','d''e') DEFAULT 'a', s SET('x','y'),
  d DATE, tm TIME(3), dt DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),
  ts TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
  changed TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  j JSON, u UUID, twice INT AS (tiny * 2) VIRTUAL,
  pa INT, pb INT, chk INT CHECK (chk > 0), parent_id INT UNSIGNED COMMENT 'the boss',
  UNIQUE KEY uq_ab (pa, pb),
  CONSTRAINT fk_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_self FOREIGN KEY (parent_id) REFERENCES t (id) ON DELETE CASCADE,
  CONSTRAINT positive CHECK (price >= 0 AND tiny < 100),
  INDEX ix_label (label(5)), FULLTEXT INDEX ft (body)
) COMMENT 'every shape';
CREATE TABLE doc (id INT NOT NULL PRIMARY KEY)
  PARTITION BY RANGE (id) (PARTITION p0 VALUES LESS THAN (100), PARTITION pmax VALUES LESS THAN MAXVALUE);
CREATE TABLE h (id INT) PARTITION BY HASH (id) PARTITIONS 2;
CREATE TABLE place (id INT PRIMARY KEY, pos POINT NOT NULL, SPATIAL INDEX sp_pos (pos))
"""


def test_every_mysql_shape_rebuilds_exactly(
    make_mysql: Callable[[str], str], target_db: Callable[[str], str]
) -> None:
    source = introspect(make_mysql(MYSQL_SHAPES))
    changed = source.table("t").column("changed")
    assert (changed.default, changed.on_update) == ("current_timestamp()", "current_timestamp()")
    statements = schema_ddl(source, "mysql").statements
    assert "CREATE FULLTEXT INDEX ft ON t (body)" in statements
    assert "CREATE SPATIAL INDEX sp_pos ON place (pos)" in statements
    assert "CREATE INDEX ix_label ON t (`label`(5))" in statements
    assert any(" PARTITION BY HASH (`id`) PARTITIONS 2" in s for s in statements)
    target = target_db("mysql")
    script = create_in(target, source, "mysql")
    # The Schema keeps a generation expression but not whether the column was VIRTUAL.
    assert script.warnings == (
        "t.twice: generated column created STORED (the Schema does not say VIRTUAL or STORED)",
    )
    assert_rebuilt(source, introspect(target))


SQLITE_SHAPES = """
CREATE TABLE artist (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, country TEXT,
  CONSTRAINT uq_name_country UNIQUE (name, country));
CREATE TABLE album (
  artist_id INTEGER NOT NULL REFERENCES artist ON DELETE CASCADE,
  no INT NOT NULL,
  title VARCHAR(100) CONSTRAINT title_not_empty CHECK (length(title) > 0),
  sku VARCHAR(12) CHECK (sku LIKE 'SKU-%'),
  price NUMERIC(6, 2) DEFAULT (0.0) CHECK (price >= 0),
  added DATETIME DEFAULT CURRENT_TIMESTAMP,
  rank INT DEFAULT (1 + 2),
  CONSTRAINT pk_album PRIMARY KEY (artist_id, no),
  CHECK (no < 100)
);
CREATE TABLE track (
  id INTEGER PRIMARY KEY DESC,
  artist_id INTEGER, album_no INT, parent_id INTEGER,
  seconds INT NOT NULL,
  minutes REAL GENERATED ALWAYS AS (seconds / 60.0) VIRTUAL,
  label TEXT,
  CONSTRAINT fk_album FOREIGN KEY (artist_id, album_no) REFERENCES album (artist_id, no)
    ON UPDATE CASCADE ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
  CONSTRAINT fk_parent FOREIGN KEY (parent_id) REFERENCES track (id)
);
CREATE TABLE tag (id INTEGER PRIMARY KEY, name TEXT) WITHOUT ROWID;
CREATE UNIQUE INDEX ix_track_label ON track (label) WHERE label IS NOT NULL;
CREATE INDEX ix_track_lower ON track (lower(label), seconds);
"""


@pytest.mark.parametrize("sql", [SQLITE_SHAPES, shop_sql()], ids=["shapes", "shop"])
def test_sqlite_rebuilds_exactly(make_sqlite: Callable[[str], str], tmp_path: Path, sql: str) -> None:
    source = introspect(make_sqlite(sql))
    script = create_in(sqlite_url(tmp_path), source, "sqlite")
    if sql is SQLITE_SHAPES:
        assert "CREATE TABLE artist (\n    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL," in script.sql()
        # not the rowid in the source, so not made one by a table-level PRIMARY KEY either
        assert "    id INTEGER PRIMARY KEY DESC,\n" in script.sql()
    assert_rebuilt(source, introspect(sqlite_url(tmp_path)))


# -- across dialects ---------------------------------------------------------------------------------


def assert_carried_over(
    source: Schema, target: Schema, dialect: str, changed: Mapping[tuple[str, str], LogicalType] = {}
) -> None:
    """Every table, column, primary key and foreign key of ``source`` is in ``target`` under the
    names target_table_name() gives, with the logical types BECOMES (and ``changed``) say."""

    def key(table: Table) -> str:
        namespace, name = target_table_name(table, dialect)
        return f"{namespace}.{name}" if namespace else name

    def pairs(fk: ForeignKey) -> frozenset[tuple[str, str]]:
        return frozenset(zip(fk.columns, fk.ref_columns, strict=True))

    assert set(target.table_keys) == {key(t) for t in source.tables}
    for table in source.tables:
        got = target.table(key(table))
        assert got.column_names == table.column_names
        for c in table.columns:
            want = changed.get((table.name, c.name)) or BECOMES[dialect].get(c.logical, c.logical)
            assert (table.name, c.name, got.column(c.name).logical) == (table.name, c.name, want)
        pk = table.primary_key
        assert (got.primary_key.columns if got.primary_key else None) == (pk.columns if pk else None)
        want_fks = {(key(source.table(fk.ref_table)), pairs(fk)) for fk in table.foreign_keys}
        assert {(fk.ref_table, pairs(fk)) for fk in got.foreign_keys} == want_fks


def on_update_warnings(schema: Schema, target: str) -> list[str]:
    return [
        f"{t.key}.{c.name}: ON UPDATE {c.on_update} dropped ({target} has no such clause)"
        for t in schema.tables
        for c in t.columns
        if c.on_update
    ]


def test_chinook_mysql_to_postgresql_keeps_names_and_types(
    dataset_url: Callable[[str], str], fresh_pg: str
) -> None:
    source = introspect(dataset_url("chinook_mysql"))
    script = create_in(fresh_pg, source, "postgresql")
    assert script.warnings == ()
    target = introspect(fresh_pg)
    assert "public.Album" in target.table_keys  # quoted exactly, so the model's keys still match
    assert_carried_over(source, target, "postgresql")
    assert target.table("public.Employee").column("BirthDate").sql_type == "timestamp(0) without time zone"


def test_chinook_mysql_to_sqlite(dataset_url: Callable[[str], str], tmp_path: Path) -> None:
    source = introspect(dataset_url("chinook_mysql"))
    script = create_in(sqlite_url(tmp_path), source, "sqlite")
    assert script.warnings == ()
    assert_carried_over(source, introspect(sqlite_url(tmp_path)), "sqlite")


def test_sakila_mysql_to_postgresql(dataset_url: Callable[[str], str], fresh_pg: str) -> None:
    source = introspect(dataset_url("sakila_mysql"))
    script = create_in(fresh_pg, source, "postgresql")
    renamed = [
        ("inventory", "idx_fk_film_id"),
        ("rental", "idx_fk_customer_id"),
        ("rental", "idx_fk_staff_id"),
        ("staff", "idx_fk_address_id"),
        ("staff", "idx_fk_store_id"),
        ("store", "idx_fk_address_id"),
    ]
    assert script.warnings == (
        *on_update_warnings(source, "postgresql")[:6],
        "film.special_features: MySQL SET created as text[]; a CHECK keeps its elements to the labels",
        *on_update_warnings(source, "postgresql")[6:],
        "film_text: fulltext index idx_title_description dropped (postgresql has no such index)",
        *(f"{t}: index {i} is named {t}_{i} in the target" for t, i in renamed),
    )
    target = introspect(fresh_pg)
    assert_carried_over(source, target, "postgresql")
    film = target.table("public.film")
    assert film.column("rating").enum_labels == ("G", "PG", "PG-13", "R", "NC-17")
    assert film.column("rating").enum_type == "public.film_rating"
    assert film.column("special_features").element is L.TEXT
    checks = {c.expression for c in film.checks}
    assert "(film_id >= 0)" in checks  # unsigned, now in a wider signed type
    assert "((release_year = 0) OR ((release_year >= 1901) AND (release_year <= 2155)))" in checks
    identity = film.column("film_id").identity
    assert identity is not None and identity.kind == "by_default"
    assert film.column("last_update").default == "CURRENT_TIMESTAMP"


def test_pagila_to_sqlite(dataset_url: Callable[[str], str], tmp_path: Path) -> None:
    source = introspect(dataset_url("pagila"))
    script = create_in(sqlite_url(tmp_path), source, "sqlite")
    utc = [
        f"{t.key}.{c.name}: timestamptz created as sqlite DATETIME: values are in UTC"
        for t in source.tables
        for c in t.columns
        if c.logical is L.TIMESTAMPTZ
    ]
    views = ", ".join(f"{v.schema}.{v.name}" for v in source.views)
    assert set(script.warnings) - set(utc) == {
        "not carried: " + "; ".join(source.not_carried),
        f"views not carried (created within PostgreSQL only): {views}",
        "public.film.rating: enum created as VARCHAR with a CHECK on its labels",
        "public.film.special_features: array created as JSON text",
        "public.film.fulltext: type 'tsvector' has no sqlite counterpart; created as text",
        "public.payment.payment_id: serial numbering dropped: SQLite numbers only an INTEGER PRIMARY KEY",
        "public.payment: partitioning (range on payment_date) dropped: created as one table",
        "public.film: gist index film_fulltext_idx dropped (sqlite has no such index)",
    }
    target = introspect(sqlite_url(tmp_path))
    assert_carried_over(source, target, "sqlite")
    film = target.table("film")
    assert film.column("film_id").identity is not None  # serial -> the rowid
    assert [c.expression for c in film.checks] == [
        '(("release_year" >= 1901) AND ("release_year" <= 2155))',
        "rating IN ('G', 'PG', 'PG-13', 'R', 'NC-17')",
    ]


def test_pagila_to_mysql(dataset_url: Callable[[str], str], fresh_mysql: str) -> None:
    source = introspect(dataset_url("pagila"))
    script = create_in(fresh_mysql, source, "mysql")
    assert "public.actor.last_name: text in a key or index created as VARCHAR(255)" in script.warnings
    keyed_text = {("actor", "last_name"), ("customer", "last_name"), ("film", "title")}
    assert_carried_over(source, introspect(fresh_mysql), "mysql", dict.fromkeys(keyed_text, L.STRING))


@pytest.mark.parametrize("target", ["mysql", "sqlite"])
def test_every_postgresql_shape_elsewhere(
    make_pg: Callable[[str], str], target_db: Callable[[str], str], target: str
) -> None:
    source = introspect(make_pg((FIXTURES / "introspect" / "pg_every_type.sql").read_text()))
    url = target_db(target)
    script = create_in(url, source, target)
    assert "Sales.urgent_note: inherits from Sales.note: created as a table of its own" in script.warnings
    changed = {("everything", "vcn"): L.TEXT, ("everything", "ip"): L.TEXT}  # unbounded strings
    if target == "mysql":
        changed[("everything", "u")] = L.STRING
        assert {
            "Sales.everything: partial unique index everything_live_vc (WHERE b) dropped",
            # two columns on one domain; MySQL CHECK names are per database, so one is renamed
            "Sales.everything: CHECK positive_check is named everything_positive_check in the target",
        } <= set(script.warnings)
    assert_carried_over(source, introspect(url), target, changed)


@pytest.mark.parametrize("target", ["postgresql", "sqlite"])
def test_every_mysql_shape_elsewhere(
    make_mysql: Callable[[str], str], target_db: Callable[[str], str], target: str
) -> None:
    source = introspect(make_mysql(MYSQL_SHAPES))
    url = target_db(target)
    script = create_in(url, source, target)
    assert "t: index ix_label: key part `label`(5) indexes the whole column" in script.warnings
    changed = {("t", "big"): L.DECIMAL} if target == "postgresql" else {("t", "e"): L.STRING}
    assert_carried_over(source, introspect(url), target, changed)


@pytest.mark.parametrize("target", ["postgresql", "mysql"])
def test_sqlite_shapes_elsewhere(
    make_sqlite: Callable[[str], str], target_db: Callable[[str], str], target: str
) -> None:
    source = introspect(make_sqlite(SQLITE_SHAPES))
    url = target_db(target)
    script = create_in(url, source, target)
    assert "album.rank: default 1 + 2 is not a literal or the current time; dropped" in script.warnings
    keyed = {("artist", "name"), ("artist", "country"), ("track", "label")} if target == "mysql" else set()
    assert_carried_over(source, introspect(url), target, dict.fromkeys(keyed, L.STRING))


# -- the script as data ---------------------------------------------------------------------------------


def test_script_is_deterministic(dataset_url: Callable[[str], str]) -> None:
    for name in ("pagila", "sakila_mysql"):
        schema = introspect(dataset_url(name))
        # A model file carries no function body nor view query (code), so a Schema read back from
        # JSON gives the same script as another read back, not as the introspected one.
        again = Schema.from_json(schema.to_json())
        for target in ("postgresql", "mysql", "sqlite"):
            assert schema_ddl(schema, target) == schema_ddl(schema, target)
            assert schema_ddl(again, target) == schema_ddl(Schema.from_json(again.to_json()), target)
    script = schema_ddl(introspect(dataset_url("world")), "postgresql")
    assert script.sql().startswith("CREATE TABLE public.city (\n    id integer NOT NULL,")
    assert script.sql().endswith(";\n") and script.sql().count(";\n") == len(script.statements)


def test_target_table_names() -> None:
    pg_table = Table("Album", (), schema="Sales")
    bare = Table("Album", ())
    assert target_table_name(pg_table, "postgresql") == ("Sales", "Album")
    assert target_table_name(bare, "postgres") == ("public", "Album")
    assert target_table_name(pg_table, "mariadb") == (None, "Album")
    assert target_table_name(pg_table, "sqlite") == (None, "Album")
    with pytest.raises(UnsupportedDatabase) as err:
        target_table_name(bare, "sqlite4")
    assert str(err.value) == (
        "cannot create a schema in a 'sqlite4' database; dbsynth creates postgresql, mysql, sqlite schemas. "
        "Did you mean 'sqlite'?"
    )


def test_virtual_foreign_keys_are_never_created(dataset_url: Callable[[str], str]) -> None:
    world = introspect(dataset_url("world"))
    city = world.table("public.city")
    virtual = ForeignKey(("countrycode",), "public.country", ("code",), "city_country_virtual", virtual=True)
    schema = world.replace_table(replace(city, foreign_keys=(virtual,)))
    for target in ("postgresql", "mysql", "sqlite"):
        assert "city_country_virtual" not in schema_ddl(schema, target).sql()


def test_what_cannot_carry_over_is_dropped_with_a_warning() -> None:
    t = Table(
        "t",
        (
            Column("id", "integer", L.INTEGER, False, identity=Identity("by_default", "public.t_id_seq")),
            Column("tags", "text[]", L.ARRAY, default="'{}'::text[]", element=L.TEXT, array_dims=1),
            Column("token", "text", L.TEXT, default="md5((random())::text)"),
            Column("ok", "boolean", L.BOOLEAN, default="true"),
        ),
        schema="public",
        primary_key=PrimaryKey(("id",), "t_pkey"),
        checks=(
            CheckConstraint("(tags <@ ARRAY['a'::text, 'b'::text])", "tags_subset", ("tags",)),
            CheckConstraint("(token ~ '^[a-f0-9]+$'::text)", "token_hex", ("token",)),
            CheckConstraint("(length(token) > 3)", "token_len", ("token",)),
        ),
    )
    schema = Schema("postgresql", (t,), schemas=("public",))
    dropped = [
        "public.t.tags: default '{}'::text[] does not carry over: array values change form in %s; dropped",
        "public.t.token: default md5((random())::text) is not a literal or the current time; dropped",
    ]
    mysql = schema_ddl(schema, "mysql")
    assert mysql.warnings == (
        "public.t.tags: array created as JSON",
        dropped[0] % "mysql",
        dropped[1],
        "public.t: CHECK tags_subset ((tags <@ ARRAY['a'::text, 'b'::text])) dropped: "
        "Arrays are not supported by MySQL",
    )
    assert "    ok BOOL NULL DEFAULT 1,\n" in mysql.sql()
    assert "CONSTRAINT token_hex CHECK ((REGEXP_LIKE(`token`, '^[a-f0-9]+$')))" in mysql.sql()
    # SQLite accepts an unknown function in CREATE TABLE and fails every INSERT: probed first.
    sqlite = schema_ddl(schema, "sqlite")
    assert sqlite.warnings == (
        "public.t.tags: array created as JSON text",
        dropped[0] % "sqlite",
        dropped[1],
        "public.t: CHECK tags_subset ((tags <@ ARRAY['a'::text, 'b'::text])) dropped: "
        "sqlite rejects (\"tags\" <@ ARRAY('a', 'b')): unrecognized token: \"@\"",
        "public.t: CHECK token_hex ((token ~ '^[a-f0-9]+$'::text)) dropped: "
        "sqlite rejects (\"token\" REGEXP '^[a-f0-9]+$'): no such function: REGEXP",
    )
    assert sqlite.statements == (
        "CREATE TABLE t (\n    id INTEGER NOT NULL,\n    tags TEXT,\n    token TEXT,\n"
        "    ok BOOLEAN DEFAULT 1,\n"
        "    CONSTRAINT t_pkey PRIMARY KEY (id),\n"
        '    CONSTRAINT token_len CHECK ((LENGTH("token") > 3))\n)',
    )


IN_LISTS = """
CREATE TABLE orders (
    id int PRIMARY KEY,
    status varchar(10) NOT NULL CONSTRAINT status_known CHECK (status IN ('new', 'paid')),
    code int CONSTRAINT code_free CHECK (code NOT IN (13, 666))
);
"""


@pytest.mark.parametrize("target", ["mysql", "sqlite"])
def test_postgresql_in_lists_become_in_lists_elsewhere(
    make_pg: Callable[[str], str], target_db: Callable[[str], str], target: str
) -> None:
    """PostgreSQL prints ``IN (...)`` as ``= ANY (ARRAY[...])``, which neither MySQL nor SQLite
    reads: the CHECK is written as an IN list again, and the target enforces it."""
    source = introspect(make_pg(IN_LISTS))
    assert sorted(c.expression for c in source.table("public.orders").checks) == [
        "((status)::text = ANY ((ARRAY['new'::character varying, 'paid'::character varying])::text[]))",
        "(code <> ALL (ARRAY[13, 666]))",
    ]
    url = target_db(target)
    script = create_in(url, source, target)
    assert script.warnings == ()
    quote = "`" if target == "mysql" else '"'
    status, code = (f"{quote}{name}{quote}" for name in ("status", "code"))
    cast = "CHAR" if target == "mysql" else "TEXT"
    assert f"CONSTRAINT status_known CHECK ((CAST(({status}) AS {cast}) IN ('new', 'paid')))" in script.sql()
    assert f"CONSTRAINT code_free CHECK ((NOT ({code} IN (13, 666))))" in script.sql()
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO orders (id, status, code) VALUES (1, 'paid', 7)")
        refused = sa.exc.IntegrityError if target == "sqlite" else sa.exc.OperationalError
        for values in ("2, 'lost', 7", "3, 'new', 13"):
            with pytest.raises(refused), engine.begin() as conn:
                conn.exec_driver_sql(f"INSERT INTO orders (id, status, code) VALUES ({values})")
    finally:
        engine.dispose()


def test_enum_labels_with_braces_and_quotes_become_literals(tmp_path: Path) -> None:
    """A MySQL ENUM becomes a SQLite VARCHAR with a CHECK on its labels; labels are data: a brace
    (KeyError: 'brace' before) or a quote stays inside its literal."""
    labels = ("{brace}", "it's", "{col}")
    t = Table("t", (Column("e", "enum('{brace}','it''s','{col}')", L.ENUM, enum_labels=labels),))
    script = schema_ddl(Schema("mysql", (t,)), "sqlite")
    assert script.statements == (
        "CREATE TABLE t (\n    e VARCHAR(7),\n    CHECK (e IN ('{brace}', 'it''s', '{col}'))\n)",
    )
    url = sqlite_url(tmp_path)
    create_in(url, Schema("mysql", (t,)), "sqlite")
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t (e) VALUES ('{col}'), ('it''s')")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t (e) VALUES ('e')")
    finally:
        engine.dispose()


def test_tables_that_would_collide_are_refused() -> None:
    tables = (Table("t", (), schema="a"), Table("t", (), schema="b"))
    with pytest.raises(SchemaError) as err:
        schema_ddl(Schema("postgresql", tables, schemas=("a", "b")), "mysql")
    assert str(err.value) == (
        "tables a.t and b.t would both be t in a mysql database; introspect one schema at a time"
    )
    with pytest.raises(UnsupportedDatabase) as unsupported:
        schema_ddl(Schema("oracle", ()), "postgresql")
    assert str(unsupported.value) == (
        "cannot create tables from a 'oracle' schema; dbsynth reads postgresql, mysql, sqlite"
    )


# -- running it ------------------------------------------------------------------------------------------


def test_psycopg_connection_runs_in_the_callers_transaction(
    dataset_url: Callable[[str], str], fresh_pg: str
) -> None:
    source = introspect(dataset_url("world"))
    conninfo = parse_url(fresh_pg).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:
        create_schema(conn, source, target_dialect="postgresql")
        conn.rollback()  # PostgreSQL DDL is transactional: nothing is left
    assert introspect(fresh_pg).tables == ()
    with psycopg.connect(conninfo) as conn:
        create_schema(conn, source, target_dialect="postgresql")
    assert_rebuilt(source, introspect(fresh_pg))


def test_a_failing_statement_is_named(dataset_url: Callable[[str], str], fresh_mysql: str) -> None:
    source = introspect(dataset_url("chinook_mysql"))
    engine = create_engine(fresh_mysql, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE Artist (x INT)")
        with engine.connect() as conn, pytest.raises(TargetError) as err:
            create_schema(conn, source, target_dialect="mysql")
        with engine.connect() as conn, pytest.raises(UsageError) as usage:
            create_schema(conn, source, target_dialect="postgresql")
    finally:
        engine.dispose()
    total = len(schema_ddl(source, "mysql").statements)
    assert str(err.value) == (
        f"creating the target schema failed at statement 2 of {total} (CREATE TABLE `Artist` ( `ArtistId` "
        "int(11) NOT NULL, `Name` varchar(120) CHARACTER SET utf8mb3 COLLATE utf8mb3_general_c): "
        "(1050, \"Table 'Artist' already exists\"); MySQL committed the 1 statement(s) before it"
    )
    assert str(usage.value) == "the target dialect is 'postgresql' but the connection is to a mysql database"
    with pytest.raises(UsageError) as usage:
        create_schema(object(), source, target_dialect="mysql")
    assert str(usage.value) == "create_schema needs a SQLAlchemy or psycopg connection, not object"
