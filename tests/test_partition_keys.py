"""Partition keys within the partitions' bounds: a range- or list-partitioned table with no
DEFAULT partition refuses a row no partition takes, so generated keys outside every partition
(priors of a schema without rows: dates near today, partitions for 2022) are drawn again inside
them; keys that fit are left alone."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from tests.conftest import _fresh_database, sa_url
from tests.test_corpus import run_dbsynth

from verify_constraints import compare

pytestmark = pytest.mark.postgres

PARTITIONED = """
CREATE TABLE payment (
    payment_id int NOT NULL,
    amount numeric(5, 2) NOT NULL,
    payment_date timestamptz NOT NULL,
    PRIMARY KEY (payment_date, payment_id)
) PARTITION BY RANGE (payment_date);
CREATE TABLE payment_p2022_01 PARTITION OF payment
    FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00');
CREATE TABLE payment_p2022_02 PARTITION OF payment
    FOR VALUES FROM ('2022-02-01 00:00:00+00') TO ('2022-03-01 00:00:00+00');
CREATE TABLE payment_p2022_06 PARTITION OF payment
    FOR VALUES FROM ('2022-06-01 00:00:00+00') TO ('2022-07-01 00:00:00+00');
CREATE TABLE visits (id int NOT NULL, region text, day date NOT NULL) PARTITION BY LIST (region);
CREATE TABLE visits_west PARTITION OF visits FOR VALUES IN ('eu', 'us');
CREATE TABLE visits_east PARTITION OF visits FOR VALUES IN ('apac', NULL);
CREATE TABLE readings (id int NOT NULL, level int NOT NULL) PARTITION BY RANGE (level);
CREATE TABLE readings_low PARTITION OF readings FOR VALUES FROM (MINVALUE) TO (-1000);
CREATE TABLE readings_high PARTITION OF readings FOR VALUES FROM (5000) TO (5010);
CREATE TABLE shifts (id int NOT NULL, on_day date NOT NULL) PARTITION BY RANGE (on_day);
CREATE TABLE shifts_1999 PARTITION OF shifts FOR VALUES FROM ('1999-01-01') TO ('2000-01-01');
"""


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second new, empty database (``make_pg`` fills the first), dropped after the test."""
    yield from _fresh_database(pg_url, "postgresql")


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(sql)]
    engine.dispose()
    return rows


def test_a_schema_without_rows_seeds_partition_keys_inside_the_partitions(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source_url = make_pg(PARTITIONED)
    code, output = run_dbsynth(
        "clone", source_url, target_pg, "--create-schema", "--rows", "*=200", "--seed", "2", "--no-report"
    )
    assert code == 0, output
    assert compare(source_url, target_pg, output.splitlines()) == []
    counts = query(
        target_pg,
        "SELECT tableoid::regclass::text, count(*) FROM ("
        "SELECT tableoid FROM payment UNION ALL SELECT tableoid FROM visits "
        "UNION ALL SELECT tableoid FROM readings UNION ALL SELECT tableoid FROM shifts) x "
        "GROUP BY 1 ORDER BY 1",
    )
    by_partition = dict(counts)
    # Every row is in; the partitions share them (none of the three months is left empty).
    assert sum(n for p, n in counts if str(p).startswith("payment")) == 200
    assert min(by_partition[p] for p in ("payment_p2022_01", "payment_p2022_02", "payment_p2022_06")) > 0
    assert by_partition["visits_west"] + by_partition.get("visits_east", 0) == 200
    assert by_partition["readings_low"] + by_partition.get("readings_high", 0) == 200
    assert by_partition["shifts_1999"] == 200
    # A key drawn below MINVALUE's partition stays near its bound, and levels are integers.
    assert query(target_pg, "SELECT count(*) FROM readings WHERE level < -1000 - 5010") == [(0,)]


MARIADB = """
CREATE TABLE ev (id int NOT NULL, n int NOT NULL, PRIMARY KEY (id, n))
    PARTITION BY RANGE (n) (PARTITION p1 VALUES LESS THAN (-5000), PARTITION p2 VALUES LESS THAN (-4000));
CREATE TABLE li (id int NOT NULL, r int NOT NULL, PRIMARY KEY (id, r))
    PARTITION BY LIST (r) (PARTITION a VALUES IN (1, 2), PARTITION b VALUES IN (7));
"""


@pytest.mark.mysql
def test_mariadb_partition_keys_fall_in_less_than_and_in_partitions(
    make_mysql: Callable[[str], str], mysql_url: str
) -> None:
    """The key is part of the primary key: it is drawn inside the partitions before the key's
    uniqueness is settled, so no (id, r) repeats."""
    source_url = make_mysql(MARIADB)
    target_gen = _fresh_database(mysql_url, "mysql")
    target = next(target_gen)
    try:
        code, output = run_dbsynth(
            "clone", source_url, target, "--create-schema", "--rows", "*=100", "--seed", "4", "--no-report"
        )
        assert code == 0, output
        assert compare(source_url, target, output.splitlines()) == []
        assert query(target, "SELECT count(*), max(n) < -4000 FROM ev") == [(100, 1)]
        assert query(target, "SELECT count(*), sum(r IN (1, 2, 7)) FROM li") == [(100, 100)]
    finally:
        target_gen.close()
