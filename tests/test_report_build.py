"""``build_report`` against real databases: copies of pagila with planted problems (PostgreSQL),
a partial copy of sakila (MariaDB), SQLite and across dialects. Every planted problem has a known
answer: an orphan FK, a duplicated key, a broken domain CHECK, a leaked e-mail."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from dbsynth.report import Report, build_report
from dbsynth.report.result import ValidityCheck

from conftest import sa_url, with_database

SAMPLE = 5_000  # enough for every check; keeps each report to a few seconds


def run_sql(url: str, sql: str) -> None:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(sql)
        else:
            for statement in (s.strip() for s in sql.split(";")):
                if statement:
                    conn.exec_driver_sql(statement)
    engine.dispose()


def copy_pg_database(server: str, source: str) -> str:
    """A new database with ``source``'s content: CREATE DATABASE ... TEMPLATE, retried while
    another session is connected to the template, else pg_dump into an empty database."""
    name = f"dbsynth_t_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(sa_url(server), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for _ in range(20):
                try:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
                    return with_database(server, name)
                except OperationalError as exc:
                    if "being accessed by other users" not in str(exc):
                        raise
                    time.sleep(0.25)
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    url = sa_url(server)
    dump = [
        "pg_dump",
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    load = [
        "psql",
        "-q",
        "-h",
        url.host or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    dumped = subprocess.run([*dump, source], capture_output=True, check=True)
    subprocess.run([*load, "-d", name], input=dumped.stdout, capture_output=True, check=True)
    return with_database(server, name)


def drop_pg_database(server: str, url: str) -> None:
    engine = sa.create_engine(sa_url(server), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{sa_url(url).database}" WITH (FORCE)')
    engine.dispose()


@pytest.fixture
def pagila_copy(pg_url: str, dataset_url: Callable[[str], str]) -> Iterator[str]:
    dataset_url("pagila")  # loaded
    url = copy_pg_database(pg_url, "pagila")
    try:
        yield url
    finally:
        drop_pg_database(pg_url, url)


def checks(report: Report, status: str) -> list[ValidityCheck]:
    return [c for c in report.validity.checks if c.status == status]


def test_a_copy_scores_one_passes_every_check_and_is_a_leak(
    dataset_url: Callable[[str], str], pagila_copy: str
) -> None:
    report = build_report(dataset_url("pagila"), pagila_copy, sample_rows=SAMPLE)
    f = report.fidelity
    assert (f.overall, f.column_shapes, f.column_pair_trends, f.cardinality, f.inter_table_trends) == (
        1.0,
    ) * 5
    assert report.validity.status == "pass" and report.validity.failed == 0
    assert report.privacy.verdict == "leak"
    assert {c.table for c in report.privacy.exact_copies if c.verdict == "leak"} >= {
        "public.film",
        "public.customer",
    }
    assert report.schema.statement == "The target has the same 15 table(s) and 87 column(s) as the source."
    assert "were sampled" in report.sampling and "public.rental" in report.sampling
    assert report.to_json().startswith("{")


def test_planted_problems_are_found(dataset_url: Callable[[str], str], pagila_copy: str) -> None:
    run_sql(
        pagila_copy,
        """
        SET session_replication_role = replica;  -- no last_update triggers
        ALTER TABLE rental DROP CONSTRAINT rental_customer_id_fkey;
        UPDATE rental SET customer_id = 99999 WHERE rental_id = 1;
        ALTER DOMAIN year DROP CONSTRAINT year_check;
        UPDATE film SET release_year = 1800 WHERE film_id = 1;
        ALTER TABLE film_actor DROP CONSTRAINT film_actor_actor_id_fkey;
        ALTER TABLE actor DROP CONSTRAINT actor_pkey;
        INSERT INTO actor SELECT * FROM actor WHERE actor_id = 1;
        UPDATE customer SET email = 'customer' || customer_id || '@example.org';
        UPDATE customer SET email = 'MARY.SMITH@sakilacustomer.org' WHERE customer_id = 2;
        """,
    )
    report = build_report(dataset_url("pagila"), pagila_copy, sample_rows=SAMPLE)
    failed = {(c.table, c.kind, c.name): (c.violations, c.message) for c in checks(report, "fail")}
    assert failed == {
        ("public.rental", "foreign_key", "customer_id -> public.customer"): (
            1,
            "1 row(s) reference a missing public.customer row",
        ),
        ("public.film", "check", "year_check on release_year"): (
            1,
            'row(s) violate CHECK ((("release_year" >= 1901) AND ("release_year" <= 2155)))'.join(("1 ", "")),
        ),
        ("public.actor", "primary_key", "primary key actor_id"): (1, "1 duplicated (or NULL) key value(s)"),
    }
    assert report.validity.status == "fail"
    assert report.validity.statement.startswith("3 of ")
    (range_warning,) = [c for c in checks(report, "warn") if c.table == "public.film"]
    assert range_warning.message == (
        "values outside the source's observed range: "
        "release_year: 1 outside [2006, 2024] (target [1800, 2024])"
    )
    (email,) = [f for f in report.privacy.pii if (f.table, f.column) == ("public.customer", "email")]
    assert (email.leak, email.matches, email.found_in) == (True, 1, ("public.customer.email",))
    assert email.statement == "LEAK: 1 email value(s) of public.customer.email found in the target"
    assert email.examples == ("m…(10)@s…",)


def test_a_target_with_another_schema_scores_the_overlap(
    dataset_url: Callable[[str], str], pagila_copy: str
) -> None:
    run_sql(
        pagila_copy,
        """
        DROP TABLE payment CASCADE;
        ALTER TABLE customer DROP COLUMN email;
        ALTER TABLE film ADD COLUMN rating2 integer;
        CREATE TABLE notes (id integer PRIMARY KEY, body text);
        INSERT INTO notes VALUES (1, 'please write to PATRICIA.JOHNSON@sakilacustomer.org');
        DELETE FROM film_category;
        UPDATE film SET length = NULL;
        """,
    )
    report = build_report(dataset_url("pagila"), pagila_copy, sample_rows=SAMPLE)
    diff = report.schema
    assert (diff.missing_tables, diff.extra_tables) == (("public.payment",), ("public.notes",))
    assert (diff.missing_columns, diff.extra_columns) == (
        ("public.customer.email",),
        ("public.film.rating2",),
    )
    assert diff.statement == (
        "The target lacks 1 table(s) of the source (public.payment); lacks 1 column(s) of the source "
        "(public.customer.email); has 1 table(s) the source does not (public.notes); has 1 column(s) the "
        "source does not (public.film.rating2). The scores cover the 14 table(s) and 80 column(s) both have."
    )
    tables = {t.table: t for t in report.fidelity.tables}
    assert "public.payment" not in tables
    assert (
        tables["public.film_category"].notes[0]
        == "the target table is empty: every scored column and pair scores 0"
    )
    (length,) = [c for c in tables["public.film"].columns if c.column == "length"]
    assert (length.score, length.note, length.null_rate_target) == (0.0, "all NULL in the target", 1.0)
    (card,) = [
        c
        for c in report.fidelity.cardinalities
        if c.child == "public.film_category" and c.parent == "public.film"
    ]
    assert card.target_counts == ((0, 1000),) and card.score == 0.0
    (email,) = [f for f in report.privacy.pii if (f.table, f.column) == ("public.customer", "email")]
    assert (email.leak, email.found_in) == (True, ("public.notes.body",))


def test_mariadb_partial_copy(dataset_url: Callable[[str], str], fresh_mysql: str) -> None:
    source = dataset_url("sakila_mysql")
    database = sa_url(source).database
    copied = ("country", "city", "address")
    run_sql(
        fresh_mysql,
        ";".join(
            f"CREATE TABLE {t} LIKE `{database}`.{t}; INSERT INTO {t} SELECT * FROM `{database}`.{t}"
            for t in copied
        )
        + ";UPDATE city SET country_id = 999 WHERE city_id = 1",
    )
    report = build_report(source, fresh_mysql, sample_rows=SAMPLE)
    assert [t.table for t in report.fidelity.tables] == sorted(copied)
    assert "customer" in report.schema.missing_tables and not report.schema.extra_tables
    (orphan,) = [c for c in checks(report, "fail") if c.kind != "schema"]
    assert (orphan.table, orphan.name, orphan.violations) == ("city", "country_id -> country", 1)
    # The tables not copied fail validity by their absence.
    assert ("customer", "table missing") in {(c.table, c.name) for c in checks(report, "fail")}
    assert {(c.table, c.kind) for c in report.validity.checks} >= {
        ("address", "foreign_key"),
        ("city", "primary_key"),
    }
    assert report.fidelity.column_shapes is not None and report.fidelity.column_shapes > 0.99


SHOP = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, tier TEXT NOT NULL, credit REAL, note TEXT);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
    qty INTEGER NOT NULL CHECK (qty > 0), placed DATE);
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
"""


def shop_rows(customers: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    rows = []
    order = 0
    for i in range(1, customers + 1):
        tier, credit = rng.choice(["basic", "basic", "gold"]), rng.gauss(100, 20)
        rows.append(f"INSERT INTO customers VALUES ({i}, '{tier}', {credit:.2f}, NULL);")
        for _ in range(rng.randint(0, 4)):
            order += 1
            placed = f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
            rows.append(f"INSERT INTO orders VALUES ({order}, {i}, {rng.randint(1, 9)}, '{placed}');")
    return "\n".join(rows)


def test_sqlite_source_with_empty_table_and_all_null_column(make_sqlite: Callable[[str], str]) -> None:
    source = make_sqlite(SHOP + shop_rows(80, 1))
    target = make_sqlite(SHOP + shop_rows(80, 2) + "INSERT INTO audit VALUES (1, 'x');")
    report = build_report(source, target, sample_rows=SAMPLE)
    tables = {t.table: t for t in report.fidelity.tables}
    assert tables["audit"].notes[0] == "the source table is empty: nothing to compare against"
    (note,) = [c for c in tables["customers"].columns if c.column == "note"]
    assert (note.score, note.note) == (None, "all NULL in the source: nothing to compare")
    assert report.validity.failed == 0
    assert report.fidelity.cardinality is not None and 0.5 < report.fidelity.cardinality <= 1.0


def test_sqlite_source_postgresql_target_translates_checks(
    make_sqlite: Callable[[str], str], make_pg: Callable[[str], str]
) -> None:
    source = make_sqlite(SHOP + shop_rows(50, 1))
    target = make_pg(
        "CREATE TABLE customers (id integer PRIMARY KEY, tier text, credit real, note text);"
        "CREATE TABLE orders (id integer PRIMARY KEY, customer_id integer, qty integer, placed date);"
        "INSERT INTO customers SELECT g, 'basic', 100, NULL FROM generate_series(1, 50) g;"
        "INSERT INTO orders VALUES (1, 1, 0, '2024-01-01'), (2, 77, 3, '2024-01-02'), (3, 2, NULL, NULL);"
    )
    report = build_report(source, target, sample_rows=SAMPLE)
    failed = {(c.table, c.kind): (c.violations, c.sql) for c in checks(report, "fail")}
    assert failed[("orders", "check")] == (1, "SELECT count(*) FROM public.orders WHERE NOT (qty > 0)")
    assert failed[("orders", "foreign_key")][0] == 1
    assert failed[("orders", "not_null")][0] == 1  # qty NULL in row 3
    assert report.schema.missing_tables == ("audit",)
