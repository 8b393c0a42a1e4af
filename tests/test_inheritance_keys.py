"""Engine-numbered keys of tables that share a numbering (issue 16, defect 9): PostgreSQL
inheritance children read through their parent (``SELECT id FROM parent`` includes them), and
tables whose key defaults draw from one sequence, get disjoint key ranges, and the sequence is
reset past the largest key of them all."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

import dbsynth
from dbsynth.report import build_report

from conftest import _fresh_database, sa_url

pytestmark = pytest.mark.postgres

# sakila's payment and its monthly children, small: the children have their own primary key
# and share the parent's sequence; a third table draws from that sequence without inheriting.
HIERARCHY = """
CREATE TABLE payment (id serial PRIMARY KEY, amount numeric(5, 2) NOT NULL, paid date NOT NULL);
CREATE TABLE payment_jan (CHECK (paid < '2007-02-01')) INHERITS (payment);
ALTER TABLE payment_jan ADD PRIMARY KEY (id);
CREATE TABLE payment_feb (CHECK (paid >= '2007-02-01')) INHERITS (payment);
ALTER TABLE payment_feb ADD PRIMARY KEY (id);
CREATE TABLE refund (id integer PRIMARY KEY DEFAULT nextval('payment_id_seq'), amount numeric(5, 2));
INSERT INTO payment (amount, paid)
SELECT mod(i, 20), DATE '2007-03-01' + mod(i, 30) FROM generate_series(1, 40) i;
INSERT INTO payment_jan (amount, paid)
SELECT mod(i, 20), DATE '2007-01-01' + mod(i, 30) FROM generate_series(1, 60) i;
INSERT INTO payment_feb (amount, paid)
SELECT mod(i, 20), DATE '2007-02-01' + mod(i, 27) FROM generate_series(1, 50) i;
INSERT INTO refund (amount) SELECT mod(i, 7) FROM generate_series(1, 30) i;
"""
TABLES = ("payment", "payment_jan", "payment_feb", "refund")


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second fresh PostgreSQL database: the target beside ``make_pg``'s source."""
    yield from _fresh_database(pg_url, "postgresql")


def duplicated_ids(conn: sa.Connection) -> int:
    every = " UNION ALL ".join(f"SELECT id FROM ONLY {t}" for t in TABLES)
    query = f"SELECT count(*) FROM (SELECT id FROM ({every}) a GROUP BY id HAVING count(*) > 1) d"
    return int(conn.exec_driver_sql(query).scalar() or 0)


@pytest.mark.parametrize("rows", [None, {"*": 70}])
def test_keys_of_one_hierarchy_and_one_sequence_are_disjoint(
    make_pg: Callable[[str], str], target_pg: str, rows: dict[str, int] | None
) -> None:
    source = make_pg(HIERARCHY)
    model = dbsynth.fit(source)
    options: dict[str, object] = {"rows": rows} if rows else {}
    dbsynth.generate(model, target_pg, seed=1, create_schema=True, **options)  # type: ignore[arg-type]
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        counts = {t: conn.exec_driver_sql(f"SELECT count(*) FROM ONLY {t}").scalar() for t in TABLES}
        assert all(counts.values()), counts
        parent = "SELECT count(*) FROM (SELECT id FROM payment GROUP BY id HAVING count(*) > 1) d"
        assert conn.exec_driver_sql(parent).scalar() == 0
        assert duplicated_ids(conn) == 0
        every = "SELECT id FROM payment UNION ALL SELECT id FROM refund"
        top = conn.exec_driver_sql(f"SELECT max(id) FROM ({every}) a")
        # The next value of the shared sequence is past every key, so an insert does not collide.
        assert conn.exec_driver_sql("SELECT nextval('payment_id_seq')").scalar() == top.scalar() + 1
        conn.exec_driver_sql("INSERT INTO payment_jan (amount, paid) VALUES (1, '2007-01-05')")
        assert duplicated_ids(conn) == 0
        conn.rollback()
    engine.dispose()
    report = build_report(source, target_pg, sample_rows=5_000)
    failed = [(c.table, c.name) for c in report.validity.checks if c.status == "fail"]
    assert failed == []


def test_an_appended_load_numbers_past_the_whole_hierarchy(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    model = dbsynth.fit(make_pg(HIERARCHY))
    dbsynth.generate(model, target_pg, seed=1, create_schema=True)
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        once = conn.exec_driver_sql("SELECT count(*) FROM payment").scalar()
    dbsynth.generate(model, target_pg, seed=2, if_exists="append")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM payment").scalar() == 2 * once
        assert duplicated_ids(conn) == 0
    engine.dispose()
