"""PostgreSQL introspection against the real server.

The sample datasets are counted twice: by dbsynth, and by this file's own catalog SQL (which
never calls dbsynth.introspection). A fixture database (``fixtures/introspect/pg_every_type.sql``)
holds every supported shape and is checked against exact expectations.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbsynth.errors import SchemaError
from dbsynth.introspection import introspect
from dbsynth.schema import (
    CheckConstraint,
    Column,
    Domain,
    EnumType,
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
from tests.conftest import PG_DATASETS, sa_url

pytestmark = pytest.mark.postgres

L = LogicalType

FIXTURES = Path(__file__).parent / "fixtures" / "introspect"

# Counted independently of dbsynth. Partitions are not tables (their FKs and indexes are not
# the parent's); inheritance children are. An FK that references a partitioned table has
# internal clones (conparentid <> 0) that are not relations of their own.
CATALOG_COUNTS_SQL = r"""
WITH t AS (
    SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
)
SELECT
    (SELECT count(*) FROM t) AS tables,
    (SELECT count(*) FROM pg_attribute a JOIN t ON a.attrelid = t.oid
     WHERE a.attnum > 0 AND NOT a.attisdropped) AS columns,
    (SELECT count(*) FROM pg_constraint k JOIN t ON k.conrelid = t.oid WHERE k.contype = 'p') AS primary_keys,
    (SELECT count(*) FROM pg_constraint k JOIN t ON k.conrelid = t.oid WHERE k.contype = 'u')
    + (SELECT count(*) FROM pg_index i JOIN t ON i.indrelid = t.oid
       WHERE i.indisunique AND NOT i.indisprimary AND i.indisvalid AND i.indexprs IS NULL
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)) AS uniques,
    (SELECT count(*) FROM pg_constraint k JOIN t ON k.conrelid = t.oid
     WHERE k.contype = 'f' AND k.conparentid = 0) AS foreign_keys,
    (SELECT count(*) FROM pg_constraint k JOIN t ON k.conrelid = t.oid WHERE k.contype = 'c') AS checks
"""

# Declared FKs on tables, from the datasets' READMEs (pagila: 36 minus the 18 its partitions declare).
README_FKS = {"pagila": 18, "sakila_pg": 40, "chinook": 11, "northwind": 13, "world": 2}


def catalog_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text(CATALOG_COUNTS_SQL)).mappings().one())
    finally:
        engine.dispose()


# reltuples of every table and partition (-1: never analyzed), with the parent of a partition.
RELTUPLES_SQL = r"""
SELECT n.nspname || '.' || c.relname AS key, c.reltuples, c.relkind AS kind,
       format('%I.%I', n.nspname, c.relname) AS quoted,
       (SELECT pn.nspname || '.' || p.relname FROM pg_inherits i
        JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace
        WHERE i.inhrelid = c.oid AND c.relispartition) AS parent
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
"""


def catalog_estimates(url: str) -> dict[str, int | None]:
    """Row estimates as the catalog gives them, a never-analyzed (small) table's exact count; a
    (single-level) partitioned table sums its analyzed partitions."""
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(RELTUPLES_SQL)).all()
            counts = {
                r.key: conn.execute(sa.text(f"SELECT count(*) FROM {r.quoted}")).scalar_one()
                for r in rows
                if r.reltuples < 0 and r.kind == "r" and not r.parent
            }
    finally:
        engine.dispose()
    out: dict[str, int | None] = {
        r.key: counts.get(r.key) if r.reltuples < 0 else round(r.reltuples) for r in rows if not r.parent
    }
    for parent in {r.parent for r in rows if r.parent}:
        known = [round(r.reltuples) for r in rows if r.parent == parent and r.reltuples >= 0]
        out[parent] = sum(known) if known else None
    return out


def schema_counts(schema: Schema) -> dict[str, int]:
    ts = schema.tables
    return {
        "tables": len(ts),
        "columns": sum(len(t.columns) for t in ts),
        "primary_keys": sum(t.primary_key is not None for t in ts),
        "uniques": sum(len(t.uniques) for t in ts),
        "foreign_keys": sum(len(t.foreign_keys) for t in ts),
        "checks": sum(len(t.checks) for t in ts),
    }


@pytest.mark.parametrize("name", PG_DATASETS)
def test_dataset_matches_catalog_and_round_trips(dataset_url: Callable[[str], str], name: str) -> None:
    url = dataset_url(name)
    schema = introspect(url)
    assert schema_counts(schema) == catalog_counts(url)
    assert schema_counts(schema)["foreign_keys"] == README_FKS[name]
    assert {t.key: t.row_estimate for t in schema.tables} == catalog_estimates(url)
    assert schema.dialect == "postgresql"
    assert schema.database == sa_url(url).database
    assert schema.schemas == ("public",)
    assert schema.server_version and schema.server_version.split(".")[0].isdigit()
    assert Schema.from_json(schema.to_json()) == schema


FULLTEXT_WARNING = (
    "public.film.fulltext: type 'tsvector' is not modelled; its SQL type is kept and it is "
    "generated as NULL or a constant"
)


def test_pagila_types_partitions_domains(dataset_url: Callable[[str], str]) -> None:
    schema = introspect(dataset_url("pagila"))
    film = schema.table("public.film")
    labels = ("G", "PG", "PG-13", "R", "NC-17")
    assert film.column("rating") == Column(
        "rating",
        "public.mpaa_rating",
        L.ENUM,
        default="'G'::public.mpaa_rating",
        enum_type="public.mpaa_rating",
        enum_labels=labels,
    )
    assert film.column("release_year") == Column(
        "release_year", "public.year", L.INTEGER, domain="public.year"
    )
    assert film.column("special_features") == Column(
        "special_features", "text[]", L.ARRAY, element=L.TEXT, element_sql_type="text", array_dims=1
    )
    assert film.column("fulltext") == Column("fulltext", "tsvector", L.OTHER, nullable=False)
    assert film.column("film_id").identity == Identity("serial", "public.film_film_id_seq")
    assert film.column("rental_rate") == Column(
        "rental_rate", "numeric(4,2)", L.DECIMAL, nullable=False, default="4.99", precision=4, scale=2
    )
    assert schema.table("public.staff").column("picture").logical is L.BYTES
    assert schema.enums == (EnumType("mpaa_rating", labels, "public"),)
    assert schema.domains == (
        Domain("bıgınt", "bigint", L.INTEGER, "public"),
        Domain(
            "year",
            "integer",
            L.INTEGER,
            "public",
            checks=(CheckConstraint("((VALUE >= 1901) AND (VALUE <= 2155))", "year_check", (), "domain"),),
        ),
    )
    payment = schema.table("public.payment")
    months = [f"2022-{m:02d}" for m in range(1, 9)]
    assert payment.partitioning == Partitioning(
        "range",
        "payment_date",
        tuple(f"public.payment_p{m.replace('-', '_')}" for m in months[:7]),
        tuple(
            f"FOR VALUES FROM ('{a}-01 00:00:00+00') TO ('{b}-01 00:00:00+00')"
            for a, b in itertools.pairwise(months)
        ),
    )
    assert payment.primary_key == PrimaryKey(("payment_date", "payment_id"), "payment_pkey")
    assert payment.foreign_keys == ()
    assert not any(t.name.startswith("payment_p") for t in schema.tables)
    assert schema.table("public.rental").uniques == (
        UniqueConstraint(
            ("rental_date", "inventory_id", "customer_id"),
            "idx_unq_rental_rental_date_inventory_id_customer_id",
            "index",
        ),
    )
    assert schema.warnings == (
        FULLTEXT_WARNING,
        "public.payment: 18 foreign key(s) declared on its partitions but not on the table itself "
        "are ignored",
    )


def test_sakila_pg_inheritance_children_are_tables(dataset_url: Callable[[str], str]) -> None:
    schema = introspect(dataset_url("sakila_pg"))
    children = [t for t in schema.tables if t.name.startswith("payment_p2007_")]
    assert [t.name for t in children] == [f"payment_p2007_0{m}" for m in range(1, 7)]
    first = children[0]
    assert first.inherits == ("public.payment",)
    assert first.primary_key is None
    assert first.checks == (
        CheckConstraint(
            "((payment_date >= '2007-01-01 00:00:00'::timestamp without time zone) AND "
            "(payment_date < '2007-02-01 00:00:00'::timestamp without time zone))",
            "payment_p2007_01_payment_date_check",
            ("payment_date",),
        ),
    )
    # The children share the parent's sequence without owning it: still a serial column.
    assert first.column("payment_id").identity == Identity("serial", "public.payment_payment_id_seq")
    assert [fk.ref_table for fk in first.foreign_keys] == ["public.customer", "public.rental", "public.staff"]
    payment = schema.table("public.payment")
    assert payment.inherits == () and payment.partitioning is None
    rental_fk = next(fk for fk in payment.foreign_keys if fk.columns == ("rental_id",))
    assert (rental_fk.on_delete, rental_fk.on_update) == ("SET NULL", "CASCADE")
    # The NOT NULL store <-> staff cycle is there in both directions.
    assert any(fk.ref_table == "public.staff" for fk in schema.table("public.store").foreign_keys)
    assert any(fk.ref_table == "public.store" for fk in schema.table("public.staff").foreign_keys)


def test_world_and_chinook_shapes(dataset_url: Callable[[str], str]) -> None:
    world = introspect(dataset_url("world"))
    (check,) = world.table("public.country").checks
    assert check.name == "country_continent_check" and check.columns == ("continent",)
    assert check.expression.startswith("((continent = 'Asia'::text) OR (continent = 'Europe'::text)")
    assert world.table("public.countrylanguage").primary_key == PrimaryKey(
        ("countrycode", "language"), "countrylanguage_pkey"
    )
    assert world.table("public.country").column("code") == Column(
        "code", "character(3)", L.STRING, nullable=False, length=3
    )
    chinook = introspect(dataset_url("chinook"))
    assert ForeignKey(("reports_to",), "public.employee", ("employee_id",), "employee_reports_to_fkey") in (
        chinook.table("public.employee").foreign_keys
    )


def sales_expectations() -> dict[str, Table]:
    """The tables of pg_every_type.sql as introspection must see them (everything aside)."""
    s = "Sales"
    customer = Table(
        "Customer",
        (
            Column(
                "id",
                "integer",
                L.INTEGER,
                False,
                identity=Identity("always", '"Sales"."Customer_id_seq"', 100, 5),
            ),
            Column("Email", "character varying(120)", L.STRING, False, length=120, comment="login"),
            Column("referrer_id", "integer", L.INTEGER),
            Column("region", "character(2)", L.STRING, False, length=2),
            Column("code", "character varying(10)", L.STRING, False, length=10),
        ),
        s,
        PrimaryKey(("id",), "Customer_pkey"),
        (UniqueConstraint(("region", "code"), "customer_region_code"),),
        (
            ForeignKey(
                ("referrer_id",), "Sales.Customer", ("id",), "Customer_referrer_id_fkey", on_delete="SET NULL"
            ),
        ),
        comment="people who buy",
        row_estimate=1,  # never analyzed: counted
    )
    items = Table(
        "Order Items",
        (
            Column(
                "order_no",
                "bigint",
                L.INTEGER,
                False,
                identity=Identity("by_default", '"Sales"."Order Items_order_no_seq"'),
            ),
            Column(
                "line",
                "smallint",
                L.INTEGER,
                False,
                default="""nextval('"Sales"."Order Items_line_seq"'::regclass)""",
                identity=Identity("serial", '"Sales"."Order Items_line_seq"'),
            ),
            Column("qty", "integer", L.INTEGER, False, default="1"),
        ),
        s,
        PrimaryKey(("order_no", "line"), "Order Items_pkey"),
        checks=(CheckConstraint("(qty > 0)", "Order Items_qty_check", ("qty",)),),
        row_estimate=0,
    )
    events = Table(
        "events",
        (
            Column("id", "integer", L.INTEGER, False),
            Column("at", "date", L.DATE, False),
            Column("customer_id", "integer", L.INTEGER),
        ),
        s,
        PrimaryKey(("id", "at"), "events_pkey"),
        foreign_keys=(ForeignKey(("customer_id",), "Sales.Customer", ("id",), "events_customer_id_fkey"),),
        row_estimate=5,
        partitioning=Partitioning(
            "range",
            "at",
            ("Sales.events_2024", "Sales.events_2025", "Sales.events_other"),
            (
                "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
                "DEFAULT",
            ),
        ),
    )
    notes = Table(
        "event_notes",
        (
            Column("event_id", "integer", L.INTEGER, False),
            Column("event_at", "date", L.DATE, False),
            Column("note", "text", L.TEXT),
        ),
        s,
        # One FK, although pg_constraint holds a clone of it per partition of events.
        foreign_keys=(
            ForeignKey(
                ("event_id", "event_at"), "Sales.events", ("id", "at"), "event_notes_event_id_event_at_fkey"
            ),
        ),
        row_estimate=0,
    )
    note_columns = (Column("id", "integer", L.INTEGER), Column("body", "text", L.TEXT))
    note = Table("note", note_columns, s, row_estimate=0)
    urgent = Table(
        "urgent_note",
        (*note_columns, Column("level", "integer", L.INTEGER)),
        s,
        inherits=("Sales.note",),
        row_estimate=0,
    )
    return {t.key: t for t in (customer, items, notes, events, note, urgent)}


MOOD = ("sad", "ok", "happy")
EVERYTHING_COLUMNS = (
    Column(
        "id",
        "integer",
        L.INTEGER,
        False,
        default="""nextval('"Sales".everything_id_seq'::regclass)""",
        identity=Identity("serial", '"Sales".everything_id_seq'),
    ),
    Column("i2", "smallint", L.INTEGER),
    Column("i4", "integer", L.INTEGER),
    Column("i8", "bigint", L.INTEGER),
    Column("dec", "numeric(10,3)", L.DECIMAL, precision=10, scale=3),
    Column("num", "numeric", L.DECIMAL),
    Column("f4", "real", L.FLOAT),
    Column("f8", "double precision", L.FLOAT),
    Column("b", "boolean", L.BOOLEAN),
    Column("vc", "character varying(45)", L.STRING, length=45),
    Column("vcn", "character varying", L.STRING),
    Column("ch", "character(3)", L.STRING, length=3),
    Column("t", "text", L.TEXT),
    Column("d", "date", L.DATE),
    Column("tm", "time(3) without time zone", L.TIME, precision=3),
    Column("tmtz", "time with time zone", L.TIME),
    Column("ts", "timestamp without time zone", L.TIMESTAMP),
    Column("tstz", "timestamp(2) with time zone", L.TIMESTAMPTZ, precision=2),
    Column("iv", "interval", L.INTERVAL),
    Column("u", "uuid", L.UUID),
    Column("j", "json", L.JSON),
    Column("jb", "jsonb", L.JSON),
    Column("by", "bytea", L.BYTES),
    Column("m", '"Sales".mood', L.ENUM, enum_type="Sales.mood", enum_labels=MOOD),
    Column(
        "ms",
        '"Sales".mood[]',
        L.ARRAY,
        enum_type="Sales.mood",
        enum_labels=MOOD,
        element=L.ENUM,
        element_sql_type='"Sales".mood',
        array_dims=1,
    ),
    Column("tags", "text[]", L.ARRAY, element=L.TEXT, element_sql_type="text", array_dims=1),
    Column("grid", "integer[]", L.ARRAY, element=L.INTEGER, element_sql_type="integer", array_dims=2),
    # A NOT NULL domain makes its column NOT NULL whatever the column says.
    Column("price", '"Sales".positive', L.DECIMAL, False, precision=8, scale=2, domain="Sales.positive"),
    Column(
        "cs",
        '"Sales".codes',
        L.ARRAY,
        length=5,
        domain="Sales.codes",
        element=L.STRING,
        element_sql_type="character varying(5)",
        array_dims=1,
    ),
    Column("g", '"Sales"."Grün"', L.DECIMAL, False, precision=8, scale=2, domain="Sales.Grün"),
    # An array of a domain links the domain (its NOT NULL is on the elements, not the column).
    Column(
        "prices",
        '"Sales".positive[]',
        L.ARRAY,
        precision=8,
        scale=2,
        domain="Sales.positive",
        element=L.DECIMAL,
        element_sql_type='"Sales".positive',
        array_dims=1,
    ),
    Column("ip", "inet", L.STRING),
    Column("tsv", "tsvector", L.OTHER),
    Column("pt", "point", L.OTHER),
    Column("cash", "money", L.OTHER),
    Column("total", "numeric", L.DECIMAL, generated='("dec" * (2)::numeric)'),
    Column("cust_region", "character(2)", L.STRING, length=2),
    Column("cust_code", "character varying(10)", L.STRING, length=10),
    Column("customer_id", "integer", L.INTEGER, False),
)


def not_modelled(column: str, sql_type: str) -> str:
    return (
        f"Sales.everything.{column}: type '{sql_type}' is not modelled; its SQL type is kept and it "
        "is generated as NULL or a constant"
    )


def test_every_supported_shape(make_pg: Callable[[str], str]) -> None:
    url = make_pg((FIXTURES / "pg_every_type.sql").read_text())
    schema = introspect(url)
    # No views, materialized views or partitions; mixed-case and spaced names kept as they are.
    assert schema.table_keys == (
        "Sales.Customer",
        "Sales.Order Items",
        "Sales.event_notes",
        "Sales.events",
        "Sales.everything",
        "Sales.note",
        "Sales.urgent_note",
    )
    assert schema.schemas == ("Sales", "public")
    for key, expected in sales_expectations().items():
        assert schema.table(key) == expected
    everything = schema.table("Sales.everything")
    assert everything.columns == EVERYTHING_COLUMNS
    assert not everything.column("total").writable
    assert everything.primary_key == PrimaryKey(("id",), "everything_pkey")
    assert everything.uniques == (UniqueConstraint(("vc",), "everything_live_vc", "index", "b"),)
    assert everything.foreign_keys == (
        ForeignKey(
            ("cust_code", "cust_region"),
            "Sales.Customer",
            ("code", "region"),
            "everything_customer",
            on_delete="RESTRICT",
            on_update="CASCADE",
        ),
        ForeignKey(
            ("customer_id",),
            "Sales.Customer",
            ("id",),
            "everything_customer_id_fkey",
            deferrable=True,
            initially_deferred=True,
        ),
    )
    assert everything.checks == (
        CheckConstraint("(i2 > 0)", "i2_positive", ("i2",)),
        CheckConstraint("(i4 < i8)", "ordered", ("i4", "i8")),
    )
    assert everything.indexes == (
        Index(("d", "i4"), "everything_d_i4"),
        Index(("i4",), "everything_expr", ("i4", "(i8 + 1)")),
        Index((), "everything_lower_t", ("lower(t)",)),
    )
    assert everything.row_estimate == 0  # never analyzed, and small enough to count
    assert schema.enums == (EnumType("mood", MOOD, "Sales"),)
    positive_check = CheckConstraint("(VALUE > (0)::numeric)", "positive_check", (), "domain")
    assert schema.domains == (
        Domain("Grün", '"Sales".positive', L.DECIMAL, "Sales", False, "1", (positive_check,)),
        Domain("codes", "character varying(5)[]", L.ARRAY, "Sales"),
        Domain("positive", "numeric(8,2)", L.DECIMAL, "Sales", False, "1", (positive_check,)),
    )
    assert schema.warnings == (
        "Sales.events: 1 foreign key(s) declared on its partitions but not on the table itself are ignored",
        not_modelled("cash", "money"),
        not_modelled("pt", "point"),
        not_modelled("tsv", "tsvector"),
        "Sales.everything: unique index everything_lower_t on expressions (lower(t)) is kept as a plain "
        "index; its uniqueness is not modelled",
    )
    assert Schema.from_json(schema.to_json()) == schema


SPLIT_SQL = """
CREATE SCHEMA app;
CREATE SCHEMA audit;
CREATE TABLE app.users (id integer PRIMARY KEY);
CREATE TABLE audit.log (id integer, user_id integer REFERENCES app.users);
"""


def test_schema_restriction(make_pg: Callable[[str], str]) -> None:
    url = make_pg(SPLIT_SQL)
    assert introspect(url).table_keys == ("app.users", "audit.log")
    both = introspect(url, ["audit", "app", "audit"])
    assert both.schemas == ("audit", "app")
    assert both.table("audit.log").foreign_keys == (
        ForeignKey(("user_id",), "app.users", ("id",), "log_user_id_fkey"),
    )
    only = introspect(url, "audit")
    assert only.schemas == ("audit",)
    assert only.table_keys == ("audit.log",)
    assert only.table("audit.log").foreign_keys == ()
    assert only.warnings == (
        "audit.log: foreign key (user_id) references app.users, which is not introspected; it is ignored",
    )


def test_unknown_schema_suggests_the_closest(make_pg: Callable[[str], str]) -> None:
    url = make_pg(SPLIT_SQL)
    with pytest.raises(SchemaError) as err:
        introspect(url, "aduit")
    assert (
        str(err.value) == "schema 'aduit' does not exist. Did you mean 'audit'? Available: app, audit, public"
    )
    with pytest.raises(SchemaError) as err:
        introspect(url, ["app", "information_schema"])
    assert str(err.value) == "schema 'information_schema' does not exist. Available: app, audit, public"


def test_a_select_only_role_sees_the_same_schema(make_pg: Callable[[str], str]) -> None:
    url = make_pg((FIXTURES / "pg_every_type.sql").read_text())
    database = sa_url(url).database
    role = f"dbsynth_ro_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for stmt in (
            f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
            f'GRANT CONNECT ON DATABASE "{database}" TO {role}',
            f'GRANT USAGE ON SCHEMA "Sales", public TO {role}',
            f'GRANT SELECT ON ALL TABLES IN SCHEMA "Sales" TO {role}',
        ):
            conn.exec_driver_sql(stmt)
    try:
        as_reader = introspect(sa_url(url).set(username=role, password=None))
        assert as_reader == introspect(url)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()
