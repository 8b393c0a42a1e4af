"""PostgreSQL objects besides tables that a schema needs, introspected and created by
``--create-schema`` (issue 10): extensions and operator classes (defect 11), the user functions
that CHECKs, defaults and generated columns call, composite types (defect 10)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbsynth.errors import SchemaError, TargetError
from dbsynth.introspection import introspect
from dbsynth.schema import (
    Attribute,
    Column,
    CompositeType,
    Exclusion,
    Extension,
    LogicalType,
    Partitioning,
    Schema,
    Subpartitioning,
    Table,
)
from dbsynth.writing.ddl import schema_ddl
from tests.conftest import _fresh_database, sa_url
from tests.test_ddl import admin, create_in

from verify_constraints import compare

pytestmark = pytest.mark.postgres


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second new, empty database (``make_pg`` fills the first), dropped after the test."""
    yield from _fresh_database(pg_url, "postgresql")


NEEDS_EXTENSIONS = """
CREATE SCHEMA ext;
CREATE EXTENSION citext WITH SCHEMA ext;
CREATE EXTENSION pg_trgm WITH SCHEMA public;
CREATE EXTENSION pgcrypto WITH SCHEMA public;
CREATE EXTENSION hstore WITH SCHEMA public;
CREATE EXTENSION pgstattuple;  -- installed, but nothing uses it: not carried
CREATE TABLE accounts (
    id uuid PRIMARY KEY DEFAULT public.gen_random_uuid(),
    email ext.citext NOT NULL,
    aliases ext.citext[],
    name varchar(80),
    address inet,
    attrs public.hstore CHECK (NOT public.exist(attrs, 'password'))
);
CREATE INDEX accounts_name_trgm ON accounts USING gin (name public.gin_trgm_ops);
CREATE INDEX accounts_name_pattern ON accounts (name text_pattern_ops, id);
CREATE INDEX accounts_address ON accounts USING gist (address inet_ops);
CREATE INDEX accounts_lower_name ON accounts USING gin (lower(name) public.gin_trgm_ops);
"""


def test_extensions_the_tables_use_are_introspected_and_created(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source = introspect(make_pg(NEEDS_EXTENSIONS))
    assert source.extensions == (
        Extension("citext", "ext"),
        Extension("pg_trgm", "public"),
        Extension("pgcrypto", "public"),
        Extension("hstore", "public"),
    )
    accounts = source.table("public.accounts")
    opclasses = {ix.name: ix.opclasses for ix in accounts.indexes}
    assert opclasses == {
        "accounts_address": ("inet_ops",),
        "accounts_lower_name": ("public.gin_trgm_ops",),
        "accounts_name_pattern": ("text_pattern_ops", None),
        "accounts_name_trgm": ("public.gin_trgm_ops",),
    }
    statements = schema_ddl(source, "postgresql").statements
    assert "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext" in statements
    assert "CREATE INDEX accounts_address ON public.accounts USING gist (address inet_ops)" in statements
    assert "CREATE INDEX accounts_name_pattern ON public.accounts (name text_pattern_ops, id)" in statements
    target = target_pg
    script = create_in(target, source, "postgresql")
    assert script.warnings == ()
    rebuilt = introspect(target)
    assert rebuilt.extensions == source.extensions
    assert rebuilt.table("public.accounts") == replace(accounts, row_estimate=0)


def test_across_dialects_operator_classes_are_named_as_dropped(make_pg: Callable[[str], str]) -> None:
    source = introspect(make_pg(NEEDS_EXTENSIONS))
    script = schema_ddl(source, "sqlite")
    notes = " ".join(script.warnings)
    assert "public.accounts: index accounts_name_pattern: operator class text_pattern_ops dropped " in notes
    assert not any("EXTENSION" in s for s in script.statements)


def _one_table(*extensions: Extension) -> Schema:
    table = Table("t", (Column("id", "integer", LogicalType.INTEGER, nullable=False),), schema="public")
    return Schema("postgresql", (table,), schemas=("public",), extensions=extensions)


def test_extensions_the_target_cannot_create_stop_before_any_ddl(target_pg: str, pg_url: str) -> None:
    target = target_pg
    role = f"dbsynth_r_{uuid.uuid4().hex[:8]}"
    database = sa.make_url(target).database
    with admin(pg_url) as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"GRANT CREATE ON DATABASE {database} TO {role}")
    try:
        schema = _one_table(
            Extension("dbsynth_no_such_extension", "public"),
            Extension("hstore", "public"),  # trusted: a role with CREATE on the database may
            Extension("pgstattuple", "public"),  # not trusted: a superuser only
        )
        as_role = str(sa.make_url(target).set(username=role).render_as_string(hide_password=False))
        with pytest.raises(TargetError) as caught:
            create_in(as_role, schema, "postgresql")
        assert str(caught.value) == (
            "the schema needs PostgreSQL extensions that the target cannot create: "
            "dbsynth_no_such_extension (not available on the target server), pgstattuple (role "
            f"{role} may not create it); install them in the target database first, then run again"
        )
        engine = sa.create_engine(sa_url(target), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:  # nothing was created
            assert conn.exec_driver_sql("SELECT to_regclass('public.t')").scalar() is None
        engine.dispose()
    finally:
        with admin(pg_url) as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


def test_a_schema_never_asks_for_an_extension_that_reaches_outside() -> None:
    with pytest.raises(SchemaError, match=r"^extension dblink: is not created from a schema"):
        schema_ddl(_one_table(Extension("dblink", "public")), "postgresql")


NEEDS_FUNCTIONS = r"""
SET check_function_bodies = false;  -- next_code() reads a table that comes later
CREATE SCHEMA app;
CREATE FUNCTION app.padded(text) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT $1 ~ '^\s|\s$' $$;
-- calls app.padded in a quoted body: no pg_depend row says so
CREATE FUNCTION app.clean(text) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS $$ SELECT NOT app.padded($1) $$;
CREATE FUNCTION public.to_ts(s varchar) RETURNS timestamp LANGUAGE plpgsql IMMUTABLE STRICT
    AS $$ BEGIN RETURN s::timestamptz AT TIME ZONE 'UTC'; END $$;
CREATE FUNCTION app.next_code() RETURNS text LANGUAGE sql AS $$ SELECT 'c' || count(*) FROM app.items $$;
CREATE FUNCTION app.unused() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TABLE app.items (
    id serial PRIMARY KEY,
    name text NOT NULL CONSTRAINT name_clean CHECK (app.clean(name)),
    started varchar(40),
    started_at timestamp GENERATED ALWAYS AS (public.to_ts(started)) STORED,
    code text DEFAULT app.next_code()
);
"""


@pytest.fixture
def with_functions(make_pg: Callable[[str], str]) -> Iterator[Schema]:
    yield introspect(make_pg(NEEDS_FUNCTIONS))


def test_functions_the_schema_calls_are_carried_within_postgresql(
    with_functions: Schema, target_pg: str
) -> None:
    source = with_functions
    assert [(r.signature, r.calls) for r in source.routines] == [
        ("app.padded(text)", ()),
        ("app.clean(text)", ("app.padded(text)",)),
        ("public.to_ts(character varying)", ()),
        ("app.next_code()", ()),
    ]
    target = target_pg
    script = create_in(target, source, "postgresql")
    assert script.warnings == ("not carried: 1 function (app.unused())",)
    rebuilt = introspect(target)
    assert rebuilt.table("app.items") == replace(source.table("app.items"), row_estimate=0)
    assert [r.signature for r in rebuilt.routines] == [r.signature for r in source.routines]
    engine = sa.create_engine(sa_url(target), poolclass=sa.pool.NullPool)
    with engine.begin() as conn, pytest.raises(sa.exc.IntegrityError, match="name_clean"):
        conn.exec_driver_sql("INSERT INTO app.items (name) VALUES (' padded')")
    engine.dispose()


def test_function_bodies_never_travel_in_a_model_file(with_functions: Schema, target_pg: str) -> None:
    source = with_functions
    assert "next_code" in source.to_json() and "count(*)" not in source.to_json()
    loaded = Schema.from_json(source.to_json())
    assert loaded == source and all(r.definition is None for r in loaded.routines)
    target = target_pg
    script = create_in(target, loaded, "postgresql")
    assert script.warnings == (
        "app.items.started_at: generation expression dropped: it calls the function "
        "public.to_ts(character varying), whose body is carried only by clone (never read from a "
        "model file)",
        "app.items.started_at: created as a plain column (dbsynth never writes it)",
        "app.items.code: DEFAULT app.next_code() dropped: it calls the function app.next_code(), whose "
        "body is carried only by clone (never read from a model file)",
        "app.items: CHECK name_clean dropped: it calls the function app.clean(text), whose body "
        "is carried only by clone (never read from a model file)",
        "not carried: 1 function (app.unused())",
    )
    data = source.to_data()
    data["routines"][0]["definition"] = "CREATE FUNCTION app.padded(text) ..."
    with pytest.raises(SchemaError, match=r"unknown field\(s\) for Routine: definition"):
        Schema.from_data(data)


def test_across_dialects_what_calls_a_function_is_named_as_dropped(with_functions: Schema) -> None:
    script = schema_ddl(with_functions, "sqlite")
    assert "app.items.code: default app.next_code() is not a literal or the current time; dropped" in (
        script.warnings
    )
    dropped = [w for w in script.warnings if "calls the function" in w]
    assert dropped == [
        "app.items.started_at: generation expression (public.to_ts(started)) dropped: it calls the "
        "function public.to_ts(character varying), which exists only in the source's dialect",
        "app.items: CHECK name_clean (app.clean(name)) dropped: it calls the function app.clean(text), "
        "which exists only in the source's dialect",
    ]


COMPOSITES = """
CREATE SCHEMA geo;
CREATE TYPE geo.mood AS ENUM ('ok', 'sad');
CREATE DOMAIN geo.percent AS numeric(5, 2) CHECK (VALUE BETWEEN 0 AND 100);
CREATE TYPE geo.point2 AS (x double precision, y double precision);
CREATE TYPE geo.place AS (name varchar(40), at geo.point2, mood geo.mood, share geo.percent);
CREATE TYPE geo.unused AS (a int);
CREATE TABLE geo.visits (
    id int PRIMARY KEY,
    place geo.place,
    trail geo.point2[]
);
"""


def test_composite_types_the_columns_use_are_created_in_dependency_order(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source = introspect(make_pg(COMPOSITES))
    assert source.composites == (
        CompositeType(
            "point2", (Attribute("x", "double precision"), Attribute("y", "double precision")), "geo"
        ),
        CompositeType(
            "place",
            (
                Attribute("name", "character varying(40)"),
                Attribute("at", "geo.point2"),
                Attribute("mood", "geo.mood"),
                Attribute("share", "geo.percent"),
            ),
            "geo",
        ),
    )
    script = create_in(target_pg, source, "postgresql")
    assert "CREATE TYPE geo.point2 AS (x double precision, y double precision)" in script.statements
    rebuilt = introspect(target_pg)
    assert rebuilt.composites == source.composites
    assert rebuilt.table("geo.visits") == replace(source.table("geo.visits"), row_estimate=0)


BOOKINGS = """
CREATE EXTENSION btree_gist;
CREATE TABLE bookings (
    id int PRIMARY KEY,
    room int NOT NULL,
    during tsrange NOT NULL,
    CONSTRAINT no_double_booking EXCLUDE USING gist (room WITH =, during WITH &&)
);
INSERT INTO bookings VALUES (1, 1, '[2024-01-01, 2024-01-02)'), (2, 1, '[2024-01-02, 2024-01-03)');
"""


def test_an_exclusion_constraint_is_created_within_postgresql_and_named_elsewhere(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source_url = make_pg(BOOKINGS)
    source = introspect(source_url)
    assert source.table("public.bookings").exclusions == (
        Exclusion(
            "no_double_booking",
            ("room", "during"),
            "EXCLUDE USING gist (room WITH =, during WITH &&)",
            operators=("=", "&&"),
            method="gist",
        ),
    )
    script = create_in(target_pg, source, "postgresql")
    assert not [w for w in script.warnings if "no_double_booking" in w]
    note = (
        "public.bookings: exclusion constraint no_double_booking (EXCLUDE USING gist (room WITH =, "
        "during WITH &&)) not carried: sqlite has no exclusion constraints (generated rows still "
        "respect it)"
    )
    assert note in schema_ddl(source, "sqlite").warnings
    # The independent verifier finds it in the target.
    assert compare(source_url, target_pg, ()) == [
        "table public.bookings had 2 row(s) in the source and has none in the target"
    ]


VIEWS = """
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id int NOT NULL, total numeric(10, 2) NOT NULL, placed date NOT NULL,
    PRIMARY KEY (id, placed)) PARTITION BY RANGE (placed);
CREATE TABLE shop.orders_2024 PARTITION OF shop.orders FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE shop.orders_other PARTITION OF shop.orders DEFAULT;
CREATE FUNCTION shop.rounded(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT round($1) $$;
-- z_big reads a view (a_recent) and the materialized view totals reads z_big
CREATE VIEW shop.a_recent AS SELECT id, total FROM shop.orders WHERE placed > '2024-06-01';
CREATE VIEW shop.z_big AS SELECT id, shop.rounded(total) AS total FROM shop.a_recent WHERE total > 100;
CREATE MATERIALIZED VIEW shop.totals AS SELECT count(*) AS n, sum(total) AS total FROM shop.z_big;
CREATE VIEW shop.part AS SELECT id FROM shop.orders_2024;
CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch();
CREATE RULE orders_no_delete AS ON DELETE TO shop.orders DO INSTEAD NOTHING;
ALTER TABLE shop.orders ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_orders ON shop.orders USING (total > 0);
INSERT INTO shop.orders VALUES (1, 150, '2024-07-01'), (2, 50, '2024-08-01');
"""


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return rows


def test_views_and_materialized_views_are_carried_within_postgresql(
    make_pg: Callable[[str], str], target_pg: str, tmp_path: Path
) -> None:
    from tests.test_corpus import run_dbsynth

    source_url = make_pg(VIEWS)
    source = introspect(source_url)
    assert [(v.name, v.materialized, v.uses) for v in source.views] == [
        ("a_recent", False, ("shop.orders",)),
        ("part", False, ("shop.orders_2024",)),
        ("z_big", False, ("shop.a_recent",)),
        ("totals", True, ("shop.z_big",)),
    ]
    assert source.not_carried == (
        "1 function (shop.touch())",
        "1 row-level security policy (shop.orders.own_orders)",
        "1 rule (shop.orders.orders_no_delete)",
        "1 trigger (shop.orders.orders_touch)",
    )
    report = tmp_path / "report.json"
    args = ("--create-schema", "--seed", "1", "--json", str(report))
    code, output = run_dbsynth("clone", source_url, target_pg, *args)
    assert code == 0, output
    summary = (
        "not carried: 1 function (shop.touch()); 1 row-level security policy (shop.orders.own_orders); "
        "1 rule (shop.orders.orders_no_delete); 1 trigger (shop.orders.orders_touch)"
    )
    assert f"  {summary}\n" in output  # one line of the run's notes
    assert summary in json.loads(report.read_text())["warnings"]  # and of the report
    rebuilt = introspect(target_pg)
    assert rebuilt.views == source.views
    # The materialized view was refreshed after the load: it counts the rows the clone wrote.
    assert _query(target_pg, "SELECT n FROM shop.totals") == _query(
        target_pg, "SELECT count(*) FROM shop.z_big"
    )
    elsewhere = schema_ddl(Schema.from_json(source.to_json()), "postgresql")
    assert (
        "materialized view shop.totals not carried: its query is carried only by clone (never read from a "
        "model file)"
    ) in elsewhere.warnings
    assert not any("VIEW" in s for s in elsewhere.statements)
    views = "shop.a_recent, shop.part, shop.z_big, shop.totals"
    assert (
        f"views not carried (created within PostgreSQL only): {views}"
        in schema_ddl(source, "sqlite").warnings
    )


TWO_LEVELS = """
CREATE TABLE events (id int NOT NULL, region text NOT NULL, at date NOT NULL) PARTITION BY LIST (region);
CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu') PARTITION BY RANGE (at);
CREATE TABLE events_eu_2024 PARTITION OF events_eu FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_eu_rest PARTITION OF events_eu DEFAULT;
CREATE TABLE events_rest PARTITION OF events DEFAULT;
"""


def test_multi_level_partitioning_is_kept(make_pg: Callable[[str], str], target_pg: str) -> None:
    source = introspect(make_pg(TWO_LEVELS))
    events = source.table("public.events")
    assert events.partitioning == Partitioning(
        "list",
        "region",
        ("public.events_eu", "public.events_rest"),
        ("FOR VALUES IN ('eu')", "DEFAULT"),
        (
            Subpartitioning(
                "public.events_eu",
                Partitioning(
                    "range",
                    "at",
                    ("public.events_eu_2024", "public.events_eu_rest"),
                    ("FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')", "DEFAULT"),
                ),
            ),
        ),
    )
    script = create_in(target_pg, source, "postgresql")
    eu = "CREATE TABLE public.events_eu PARTITION OF public.events FOR VALUES IN ('eu')"
    assert f"{eu} PARTITION BY RANGE (at)" in script.statements
    assert introspect(target_pg).table("public.events").partitioning == events.partitioning
