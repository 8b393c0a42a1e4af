"""Test rig of dbsynth-postgis: fresh PostgreSQL databases from dbsynth's own pytest plugin
(``dbsynth_empty_database``), with or without the PostGIS extension.

The server is ``DBSYNTH_TEST_POSTGRES_URL`` (default: the local test server of dbsynth's rig). It
must have PostGIS available (Debian: ``postgresql-15-postgis-3``); when it cannot be reached or
lacks PostGIS the tests are skipped on a laptop and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from dbsynth.db import create_engine

PG_URL = os.environ.get("DBSYNTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def run_sql(url: str, sql: str) -> list[tuple]:
    """Run ``sql`` (one or more ;-separated statements) in a transaction; the rows of the last."""
    engine = create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            # psycopg's own execute: without parameters it sends the text as one simple query,
            # which may hold several statements.
            cursor = conn.connection.driver_connection.execute(sql)
            return [tuple(r) for r in cursor.fetchall()] if cursor.description else []
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_server() -> str:
    try:
        run_sql(PG_URL, "SELECT 1")
        (available,) = run_sql(PG_URL, "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")
    except Exception as exc:  # any driver error means "no usable server here"
        reason = f"PostgreSQL test server not reachable: {' '.join(str(exc).split())[:200]}"
    else:
        if available[0]:
            return PG_URL
        reason = "the PostgreSQL test server has no PostGIS (Debian: apt-get install postgresql-15-postgis-3)"
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: database tests may not skip)")
    pytest.skip(reason)


@pytest.fixture
def empty_pg(pg_server: str, dbsynth_empty_database: Callable[..., str]) -> Callable[[], str]:
    """Factory of empty PostgreSQL databases without PostGIS (targets), dropped after the test."""
    return lambda: dbsynth_empty_database(server_url=pg_server)


@pytest.fixture
def postgis_pg(empty_pg: Callable[[], str]) -> Callable[[str], str]:
    """Factory of PostgreSQL databases with PostGIS in ``public`` and ``sql`` run in them."""

    def make(sql: str = "") -> str:
        url = empty_pg()
        run_sql(url, "CREATE EXTENSION postgis")
        if sql:
            run_sql(url, sql)
        return url

    return make
