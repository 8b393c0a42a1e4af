"""A domain's CHECK on an array of that domain (issue 16, defect 9): the report checks every
element, in a PostgreSQL target, and the clone's elements satisfy the domain."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

import dbsynth
from dbsynth.report import build_report

from conftest import _fresh_database, sa_url

pytestmark = pytest.mark.postgres

ZIPS = r"""
CREATE DOMAIN us_zip AS text CHECK (VALUE ~ '^\d{5}$');
CREATE DOMAIN zip_pair AS text[] CHECK (cardinality(VALUE) = 2);
CREATE TABLE place (id serial PRIMARY KEY, zip us_zip, zips us_zip[], pair zip_pair);
INSERT INTO place (zip, zips, pair)
SELECT lpad((i * 37)::text, 5, '0'),
       ARRAY[lpad((i * 13)::text, 5, '0'), lpad((i * 7)::text, 5, '0')],
       ARRAY['a', 'b']
FROM generate_series(1, 200) i;
"""


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second fresh PostgreSQL database: the target beside ``make_pg``'s source."""
    yield from _fresh_database(pg_url, "postgresql")


def domain_checks(source: str, target: str) -> dict[str, tuple[str, int | None, str]]:
    report = build_report(source, target, sample_rows=5_000)
    return {c.name: (c.status, c.violations, c.message) for c in report.validity.checks if c.kind == "check"}


def test_a_domain_check_on_an_array_column_is_checked_per_element(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source = make_pg(ZIPS)
    dbsynth.generate(dbsynth.fit(source), target_pg, seed=1, create_schema=True)
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        bad = "SELECT count(*) FROM place, unnest(zips) z WHERE z !~ '^\\d{5}$'"
        assert conn.exec_driver_sql(bad).scalar() == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM place WHERE zips IS NOT NULL").scalar() > 0
    checks = domain_checks(source, target_pg)
    assert checks["us_zip_check on zips"][:2] == ("pass", 0)
    assert checks["us_zip_check on zip"][:2] == ("pass", 0)
    # A domain over an array type sees the whole array, not its elements.
    assert checks["zip_pair_check on pair"][:2] == ("pass", 0)

    # Elements that break the domain, planted past it, are counted per row.
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER DOMAIN us_zip DROP CONSTRAINT us_zip_check")
        conn.exec_driver_sql("UPDATE place SET zips = zips || '12a'::text WHERE id <= 3")
        conn.exec_driver_sql("UPDATE place SET zips = ARRAY[NULL, '00001']::text[] WHERE id = 4")
    engine.dispose()
    status, violations, message = domain_checks(source, target_pg)["us_zip_check on zips"]
    assert (status, violations) == ("fail", 3)
    assert "element of zips" in message
