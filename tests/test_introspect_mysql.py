"""MySQL/MariaDB introspection against the real MariaDB server: the sample datasets checked
against information_schema with the test's own SQL, and hand-built tables with exact expectations."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest
import sqlalchemy as sa

from dbsynth.db import create_engine, parse_url
from dbsynth.errors import SchemaError
from dbsynth.introspection import introspect
from dbsynth.introspection.mysql import mentioned_columns
from dbsynth.schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    Identity,
    Index,
    LogicalType,
    Partitioning,
    PrimaryKey,
    Schema,
    Table,
    UniqueConstraint,
)

pytestmark = pytest.mark.mysql
L = LogicalType
AUTO = Identity("auto_increment")


def scalar(url: str, sql: str, **params: object) -> int:
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def rows(url: str, sql: str, **params: object) -> list[tuple[object, ...]]:
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


BASE = (
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :db AND TABLE_TYPE = 'BASE TABLE'"
)
COUNTS = {
    "tables": f"SELECT count(*) FROM ({BASE}) b",
    "columns": f"SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = :db "
    f"AND TABLE_NAME IN ({BASE})",
    "primary_keys": "SELECT count(*) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = :db "
    "AND CONSTRAINT_TYPE = 'PRIMARY KEY'",
    "uniques": "SELECT count(*) FROM information_schema.TABLE_CONSTRAINTS WHERE TABLE_SCHEMA = :db "
    "AND CONSTRAINT_TYPE = 'UNIQUE'",
    "foreign_keys": "SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS "
    "WHERE CONSTRAINT_SCHEMA = :db",
    "fk_columns": "SELECT count(*) FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = :db "
    "AND REFERENCED_TABLE_NAME IS NOT NULL",
    "checks": "SELECT count(*) FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = :db",
}


def counts(schema: Schema) -> dict[str, int]:
    t = schema.tables
    return {
        "tables": len(t),
        "columns": sum(len(x.columns) for x in t),
        "primary_keys": sum(x.primary_key is not None for x in t),
        "uniques": sum(len(x.uniques) for x in t),
        "foreign_keys": sum(len(x.foreign_keys) for x in t),
        "fk_columns": sum(len(fk.columns) for x in t for fk in x.foreign_keys),
        "checks": sum(len(x.checks) for x in t),
    }


@pytest.mark.parametrize("dataset", ["chinook_mysql", "sakila_mysql"])
def test_dataset_matches_information_schema(dataset_url: Callable[[str], str], dataset: str) -> None:
    url = dataset_url(dataset)
    schema = introspect(url)
    db = schema.database
    assert {k: scalar(url, sql, db=db) for k, sql in COUNTS.items()} == counts(schema)
    # columns in ordinal order, with the exact type text and nullability
    catalog = rows(
        url,
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = :db AND TABLE_NAME IN ({BASE}) ORDER BY TABLE_NAME, ORDINAL_POSITION",
        db=db,
    )
    mine = [
        (t.name, c.name, c.sql_type, "YES" if c.nullable else "NO") for t in schema.tables for c in t.columns
    ]
    assert sorted(mine, key=lambda r: r[0]) == sorted(catalog, key=lambda r: str(r[0]))
    assert all(t.schema is None and t.row_estimate is not None for t in schema.tables)
    assert schema.dialect == "mysql" and "MariaDB" in (schema.server_version or "")
    assert Schema.from_json(schema.to_json()) == schema


def column_set(url: str, db: str, where: str) -> set[tuple[str, str]]:
    sql = (
        "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = :db AND TABLE_NAME IN ({BASE}) AND {where}"
    )
    return {(str(t), str(c)) for t, c in rows(url, sql, db=db)}


def test_sakila_special_columns(dataset_url: Callable[[str], str]) -> None:
    url = dataset_url("sakila_mysql")
    s = introspect(url)

    def having(pred: Callable[[Column], bool]) -> set[tuple[str, str]]:
        return {(t.name, c.name) for t in s.tables for c in t.columns if pred(c)}

    assert having(lambda c: c.logical is L.ENUM) == column_set(url, "sakila", "DATA_TYPE = 'enum'")
    assert having(lambda c: c.logical is L.SET) == column_set(url, "sakila", "DATA_TYPE = 'set'")
    assert having(lambda c: c.sql_type.startswith("year")) == column_set(url, "sakila", "DATA_TYPE = 'year'")
    unsigned = column_set(url, "sakila", "COLUMN_TYPE LIKE '%unsigned%'")
    assert having(lambda c: c.unsigned) == unsigned and len(unsigned) == 35
    auto = column_set(url, "sakila", "EXTRA LIKE '%auto_increment%'")
    assert having(lambda c: c.identity == AUTO) == auto and len(auto) == 13
    on_update = column_set(url, "sakila", "EXTRA LIKE '%on update%'")
    assert having(lambda c: c.on_update == "current_timestamp()") == on_update
    assert len(on_update) == 15
    assert having(lambda c: "on update" in (c.default or "").lower()) == set()

    film = s.table("film")
    assert film.column("rating") == Column(
        "rating",
        "enum('G','PG','PG-13','R','NC-17')",
        L.ENUM,
        default="'G'",
        enum_labels=("G", "PG", "PG-13", "R", "NC-17"),
    )
    assert film.column("special_features") == Column(
        "special_features",
        "set('Trailers','Commentaries','Deleted Scenes','Behind the Scenes')",
        L.SET,
        enum_labels=("Trailers", "Commentaries", "Deleted Scenes", "Behind the Scenes"),
    )
    assert film.column("release_year") == Column("release_year", "year(4)", L.INTEGER)
    assert film.column("film_id") == Column(
        "film_id", "smallint(5) unsigned", L.INTEGER, nullable=False, identity=AUTO, unsigned=True
    )
    assert film.column("rental_rate") == Column(
        "rental_rate", "decimal(4,2)", L.DECIMAL, nullable=False, default="4.99", precision=4, scale=2
    )
    assert film.column("last_update") == Column(
        "last_update",
        "timestamp",
        L.TIMESTAMP,
        nullable=False,
        default="current_timestamp()",
        on_update="current_timestamp()",
        precision=0,
    )
    assert s.table("staff").column("picture") == Column("picture", "blob", L.BYTES, length=65535)
    assert s.table("staff").column("active") == Column(
        "active", "tinyint(1)", L.BOOLEAN, nullable=False, default="1"
    )
    # the GEOMETRY column is in a /*!50705 */ comment that MariaDB skips (see the dataset README)
    assert "location" not in s.table("address").column_names
    assert s.warnings == ()

    assert s.table("film_actor").primary_key == PrimaryKey(("actor_id", "film_id"))
    assert s.table("store").uniques == (UniqueConstraint(("manager_staff_id",), "idx_unique_manager"),)
    assert s.table("rental").uniques == (
        UniqueConstraint(("rental_date", "inventory_id", "customer_id"), "rental_date"),
    )
    assert (
        ForeignKey(
            ("rental_id",),
            "rental",
            ("rental_id",),
            "fk_payment_rental",
            on_delete="SET NULL",
            on_update="CASCADE",
        )
        in s.table("payment").foreign_keys
    )
    # FULLTEXT is recorded; an index that only backs an FK is an index too
    assert s.table("film_text").indexes == (
        Index(("title", "description"), "idx_title_description", method="fulltext"),
    )
    assert Index(("rental_id",), "fk_payment_rental") in s.table("payment").indexes
    assert s.table("film").row_estimate and s.table("film").row_estimate > 0


def test_chinook_keeps_identifier_case(dataset_url: Callable[[str], str]) -> None:
    s = introspect(dataset_url("chinook_mysql"))
    assert s.table_keys == (
        "Album",
        "Artist",
        "Customer",
        "Employee",
        "Genre",
        "Invoice",
        "InvoiceLine",
        "MediaType",
        "Playlist",
        "PlaylistTrack",
        "Track",
    )
    assert s.database == "Chinook"
    assert s.table("Employee").foreign_keys == (
        ForeignKey(("ReportsTo",), "Employee", ("EmployeeId",), "FK_EmployeeReportsTo"),
    )
    assert s.table("PlaylistTrack").primary_key == PrimaryKey(("PlaylistId", "TrackId"))
    # NVARCHAR is VARCHAR in the national character set
    assert s.table("Album").column("Title") == Column(
        "Title",
        "varchar(160)",
        L.STRING,
        nullable=False,
        length=160,
        charset="utf8mb3",
        collation="utf8mb3_general_ci",
    )


ALL_TYPES = """
CREATE TABLE parent (a INT, b INT, PRIMARY KEY (a, b));
CREATE TABLE t (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  b1 BOOL, b2 BOOLEAN DEFAULT TRUE, ti TINYINT, si SMALLINT UNSIGNED ZEROFILL, mi MEDIUMINT,
  bi BIGINT UNSIGNED, y YEAR,
  d DECIMAL(10,3), n NUMERIC(5), f FLOAT, f2 FLOAT(7,4), db DOUBLE, r REAL, dp DOUBLE PRECISION,
  bt1 BIT(1), bt8 BIT(8) DEFAULT b'101',
  c CHAR(3) DEFAULT 'ab', vc VARCHAR(20) NOT NULL DEFAULT 'it''s', nvc NVARCHAR(10) DEFAULT 'NULL',
  tt TINYTEXT, tx TEXT, mt MEDIUMTEXT, lt LONGTEXT,
  bn BINARY(4), vb VARBINARY(16), tb TINYBLOB, bl BLOB, mb MEDIUMBLOB, lb LONGBLOB,
  e ENUM('a','b c','d''e', 'x,y') DEFAULT 'a', s SET('x','y'),
  dt DATE, tm TIME(3), dtt DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6),
  ts TIMESTAMP NULL DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
  k INT DEFAULT (1 + 2),
  j JSON, u UUID,
  gv INT AS (ti + 1) VIRTUAL, gs VARCHAR(30) AS (CONCAT(vc, 'x')) STORED,
  pa INT, pb INT,
  chk INT CHECK (chk > 0),
  parent_id INT UNSIGNED COMMENT 'the boss',
  UNIQUE KEY uq_ab (pa, pb),
  CONSTRAINT fk_parent FOREIGN KEY (pa, pb) REFERENCES parent (a, b) ON DELETE SET NULL ON UPDATE CASCADE,
  CONSTRAINT fk_self FOREIGN KEY (parent_id) REFERENCES t (id) ON DELETE CASCADE,
  CONSTRAINT positive_d CHECK (d >= 0 AND ti < 100),
  INDEX ix_vc (vc(5)), FULLTEXT INDEX ft (tx, mt)
) COMMENT 'all types'
"""


def C(name: str, sql_type: str, logical: LogicalType, **kw: object) -> Column:
    return Column(name, sql_type, logical, **kw)  # type: ignore[arg-type]


EXPECTED_COLUMNS = (
    C("id", "int(10) unsigned", L.INTEGER, nullable=False, identity=AUTO, unsigned=True),
    C("b1", "tinyint(1)", L.BOOLEAN),
    C("b2", "tinyint(1)", L.BOOLEAN, default="1"),
    C("ti", "tinyint(4)", L.INTEGER),
    C("si", "smallint(5) unsigned zerofill", L.INTEGER, unsigned=True),
    C("mi", "mediumint(9)", L.INTEGER),
    C("bi", "bigint(20) unsigned", L.INTEGER, unsigned=True),
    C("y", "year(4)", L.INTEGER),
    C("d", "decimal(10,3)", L.DECIMAL, precision=10, scale=3),
    C("n", "decimal(5,0)", L.DECIMAL, precision=5, scale=0),
    C("f", "float", L.FLOAT),
    C("f2", "float(7,4)", L.FLOAT, precision=7, scale=4),
    C("db", "double", L.FLOAT),
    C("r", "double", L.FLOAT),
    C("dp", "double", L.FLOAT),
    C("bt1", "bit(1)", L.BOOLEAN, unsigned=True),
    C("bt8", "bit(8)", L.INTEGER, default="b'101'", precision=8, unsigned=True),
    C("c", "char(3)", L.STRING, default="'ab'", length=3),
    C("vc", "varchar(20)", L.STRING, nullable=False, default="'it''s'", length=20),
    C(
        "nvc",
        "varchar(10)",
        L.STRING,
        default="'NULL'",
        length=10,
        charset="utf8mb3",
        collation="utf8mb3_general_ci",
    ),
    C("tt", "tinytext", L.TEXT, length=255),
    C("tx", "text", L.TEXT, length=65535),
    C("mt", "mediumtext", L.TEXT, length=16777215),
    C("lt", "longtext", L.TEXT, length=4294967295),
    C("bn", "binary(4)", L.BYTES, length=4),
    C("vb", "varbinary(16)", L.BYTES, length=16),
    C("tb", "tinyblob", L.BYTES, length=255),
    C("bl", "blob", L.BYTES, length=65535),
    C("mb", "mediumblob", L.BYTES, length=16777215),
    C("lb", "longblob", L.BYTES, length=4294967295),
    C("e", "enum('a','b c','d''e','x,y')", L.ENUM, default="'a'", enum_labels=("a", "b c", "d'e", "x,y")),
    C("s", "set('x','y')", L.SET, enum_labels=("x", "y")),
    C("dt", "date", L.DATE),
    C("tm", "time(3)", L.TIME, precision=3),
    C("dtt", "datetime(6)", L.TIMESTAMP, default="current_timestamp(6)", precision=6),
    C("ts", "timestamp", L.TIMESTAMP, on_update="current_timestamp()", precision=0),
    C("k", "int(11)", L.INTEGER, default="(1 + 2)"),
    C("j", "longtext", L.JSON, collation="utf8mb4_bin"),
    C("u", "uuid", L.UUID),
    C("gv", "int(11)", L.INTEGER, generated="`ti` + 1"),
    C("gs", "varchar(30)", L.STRING, generated="concat(`vc`,'x')", length=30),
    C("pa", "int(11)", L.INTEGER),
    C("pb", "int(11)", L.INTEGER),
    C("chk", "int(11)", L.INTEGER),
    C("parent_id", "int(10) unsigned", L.INTEGER, unsigned=True, comment="the boss"),
)


def test_every_mariadb_type_and_constraint(make_mysql: Callable[[str], str]) -> None:
    s = introspect(make_mysql(ALL_TYPES))
    assert s.table_keys == ("parent", "t")
    assert s.table("parent") == Table(
        "parent",
        (C("a", "int(11)", L.INTEGER, nullable=False), C("b", "int(11)", L.INTEGER, nullable=False)),
        primary_key=PrimaryKey(("a", "b")),
        row_estimate=0,
        charset="utf8mb4",
        collation="utf8mb4_general_ci",
    )
    t = s.table("t")
    for got, want in zip(t.columns, EXPECTED_COLUMNS, strict=True):
        assert got == want
    assert (t.charset, t.collation) == ("utf8mb4", "utf8mb4_general_ci")
    assert replace(t, charset=None, collation=None) == Table(
        "t",
        EXPECTED_COLUMNS,
        primary_key=PrimaryKey(("id",)),
        uniques=(UniqueConstraint(("pa", "pb"), "uq_ab"),),
        foreign_keys=(
            ForeignKey(
                ("pa", "pb"), "parent", ("a", "b"), "fk_parent", on_delete="SET NULL", on_update="CASCADE"
            ),
            ForeignKey(("parent_id",), "t", ("id",), "fk_self", on_delete="CASCADE", on_update="RESTRICT"),
        ),
        checks=(
            CheckConstraint("`chk` > 0", "chk", ("chk",), source="column"),
            CheckConstraint("json_valid(`j`)", "j", ("j",), source="column"),
            CheckConstraint("`d` >= 0 and `ti` < 100", "positive_d", ("d", "ti")),
        ),
        indexes=(
            Index(("parent_id",), "fk_self"),
            Index(("tx", "mt"), "ft", method="fulltext"),
            Index(("vc",), "ix_vc", expressions=("`vc`(5)",)),
        ),
        row_estimate=0,
        comment="all types",
    )
    assert s.warnings == ()
    assert Schema.from_json(s.to_json()) == s


def test_spatial_column_is_other_with_a_warning(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(
        "CREATE TABLE place (id INT PRIMARY KEY, pos POINT NOT NULL, area GEOMETRY, ip INET6, "
        "SPATIAL INDEX sp_pos (pos))"
    )
    s = introspect(url)
    assert s.table("place").indexes == (Index(("pos",), "sp_pos", method="spatial"),)
    assert s.table("place").columns[1:] == (
        C("pos", "point", L.OTHER, nullable=False),
        C("area", "geometry", L.OTHER),
        C("ip", "inet6", L.OTHER),
    )
    assert s.warnings == (
        "place.pos: type 'point' is not modelled; its SQL type is kept and it is generated "
        "as NULL or a constant",
        "place.area: type 'geometry' is not modelled; its SQL type is kept and it is generated "
        "as NULL or a constant",
        "place.ip: type 'inet6' is not modelled; its SQL type is kept and it is generated "
        "as NULL or a constant",
    )
    assert Schema.from_json(s.to_json()) == s


def test_prefix_unique_key_and_partitions(make_mysql: Callable[[str], str]) -> None:
    url = make_mysql(
        "CREATE TABLE doc (id INT NOT NULL, title VARCHAR(200), body TEXT, "
        "UNIQUE KEY uq_title (title(10), id), PRIMARY KEY (id)) "
        "PARTITION BY RANGE (id) "
        "(PARTITION p0 VALUES LESS THAN (100), PARTITION pmax VALUES LESS THAN MAXVALUE);"
        "CREATE TABLE h (id INT) PARTITION BY HASH (id) PARTITIONS 2"
    )
    s = introspect(url)
    doc = s.table("doc")
    assert doc.uniques == (UniqueConstraint(("title", "id"), "uq_title"),)
    assert doc.partitioning == Partitioning(
        "range", "`id`", ("p0", "pmax"), ("VALUES LESS THAN (100)", "VALUES LESS THAN MAXVALUE")
    )
    assert s.table("h").partitioning == Partitioning("hash", "`id`", ("p0", "p1"))
    assert s.warnings == (
        "doc: unique key uq_title (`title`(10), `id`) constrains column prefixes; it is recorded as "
        "unique on the whole columns, so generated values must also differ within the prefix",
    )


@pytest.fixture
def other_database(mysql_url: str) -> Iterator[str]:
    """A second fresh database on the same server, for cross-database foreign keys."""
    name = f"dbsynth_t_{uuid.uuid4().hex[:10]}"
    engine = create_engine(mysql_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}`")
        conn.exec_driver_sql(f"CREATE TABLE `{name}`.country (id INT PRIMARY KEY)")
    try:
        yield name
    finally:
        with engine.connect() as conn:
            # the referencing database may still exist if fixtures tear down in another order
            conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        engine.dispose()


def test_foreign_key_to_another_database_is_dropped_with_a_warning(
    other_database: str, make_mysql: Callable[[str], str]
) -> None:
    url = make_mysql(
        f"CREATE TABLE city (id INT PRIMARY KEY, country_id INT, "
        f"CONSTRAINT fk_country FOREIGN KEY (country_id) REFERENCES `{other_database}`.country (id))"
    )
    s = introspect(url)
    assert s.table("city").foreign_keys == ()
    assert s.warnings == (
        f"city: foreign key (country_id) references {other_database}.country, which is not introspected; "
        "it is ignored",
    )


def test_schemas_must_be_the_url_database(dataset_url: Callable[[str], str], mysql_url: str) -> None:
    url = dataset_url("sakila_mysql")
    dataset_url("chinook_mysql")
    assert introspect(url, "sakila").table_keys == introspect(url).table_keys
    with pytest.raises(SchemaError) as err:
        introspect(url, "sakilla")
    assert str(err.value).startswith("schema 'sakilla' does not exist. Did you mean 'sakila'? Available: ")
    assert "Chinook" in str(err.value)
    with pytest.raises(SchemaError) as err:
        introspect(url, ["sakila", "Chinook"])
    assert str(err.value) == (
        "schema 'Chinook' is not the URL's database 'sakila': MySQL/MariaDB introspection reads the "
        "database named in the URL; put 'Chinook' there instead"
    )
    with pytest.raises(SchemaError) as err:
        introspect(parse_url(mysql_url).set(database=""))
    assert str(err.value).startswith(
        "the URL names no database; MySQL/MariaDB introspection reads one database, e.g. mysql://user@host/"
    )


def test_mentioned_columns() -> None:
    assert mentioned_columns("`Price` > 0 AND qty < `price` * 2", ["price", "qty", "x"], "mysql") == (
        "price",
        "qty",
    )
    assert mentioned_columns("this is not SQL (", ["a"], "mysql") == ()
