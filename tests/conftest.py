"""The test rig: real PostgreSQL and MariaDB servers, the shared sample datasets, fresh databases.

Server URLs come from ``DBSYNTH_TEST_POSTGRES_URL`` and ``DBSYNTH_TEST_MYSQL_URL`` (defaults:
the local servers of the development machines). The sample datasets are read from
``DBSYNTH_DATASETS`` (default: ``shared/datasets`` next to this checkout) and loaded once with
their own ``load.sh`` when a database is missing.

A database test that cannot reach its server is skipped on a laptop, but in CI (``CI=true``)
it fails: a green CI run must mean every database test ran.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL

REPO = Path(__file__).resolve().parent.parent

# The SDMetrics comparison runs in its own environment (SDMetrics pins pandas below 3; see
# scripts/compare-sdmetrics); in this one the module is not collected rather than skipped.
collect_ignore = [] if importlib.util.find_spec("sdmetrics") else ["test_report_sdmetrics.py"]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

PG_URL = os.environ.get("DBSYNTH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("DBSYNTH_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")
DATASETS = Path(os.environ.get("DBSYNTH_DATASETS", REPO.parent / "shared" / "datasets"))

# dataset -> (server, database name its script creates, number of base tables after loading)
DATASET_INFO: dict[str, tuple[str, str, int]] = {
    "pagila": ("postgresql", "pagila", 15),
    "sakila_pg": ("postgresql", "sakila_pg", 21),
    "chinook": ("postgresql", "chinook", 11),
    "northwind": ("postgresql", "northwind", 14),
    "world": ("postgresql", "world", 3),
    "chinook_mysql": ("mysql", "Chinook", 11),
    "sakila_mysql": ("mysql", "sakila", 16),
}
PG_DATASETS = [k for k, v in DATASET_INFO.items() if v[0] == "postgresql"]
MYSQL_DATASETS = [k for k, v in DATASET_INFO.items() if v[0] == "mysql"]


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: database tests may not skip)")
    pytest.skip(reason)


def sa_url(url: str) -> URL:
    from dbsynth.db import parse_url

    return parse_url(url)


def with_database(url: str, database: str) -> str:
    return sa_url(url).set(database=database).render_as_string(hide_password=False)


def _reachable(url: str) -> str | None:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except Exception as exc:  # any driver error means "not usable here"
        return " ".join(str(exc).split())[:200]
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pg_url() -> str:
    err = _reachable(PG_URL)
    if err:
        unavailable(f"PostgreSQL test server not reachable: {err}")
    return PG_URL


@pytest.fixture(scope="session")
def mysql_url() -> str:
    err = _reachable(MYSQL_URL)
    if err:
        unavailable(f"MariaDB/MySQL test server not reachable: {err}")
    return MYSQL_URL


def _table_count(server_url: str, kind: str, database: str) -> int:
    engine = sa.create_engine(sa_url(server_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if kind == "postgresql":
                if not conn.execute(
                    sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}
                ).first():
                    return -1
                sub = sa.create_engine(
                    sa_url(with_database(server_url, database)), poolclass=sa.pool.NullPool
                )
                try:
                    with sub.connect() as c2:
                        return int(
                            c2.execute(
                                sa.text(
                                    "SELECT count(*) FROM pg_class c "
                                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                    "WHERE c.relkind IN ('r','p') AND NOT c.relispartition "
                                    "AND n.nspname NOT IN ('pg_catalog','information_schema')"
                                )
                            ).scalar_one()
                        )
                finally:
                    sub.dispose()
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM information_schema.tables "
                        "WHERE table_schema = :d AND table_type = 'BASE TABLE'"
                    ),
                    {"d": database},
                ).scalar_one()
            )
    finally:
        engine.dispose()


@contextlib.contextmanager
def _machine_lock(name: str) -> Iterator[None]:
    """An exclusive lock among the processes of this machine (the test workers)."""
    path = Path(tempfile.gettempdir()) / f"dbsynth-tests-{name}.lock"
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _load(name: str, pg: str, my: str) -> None:
    script = DATASETS / "load.sh"
    if not script.exists():
        unavailable(f"sample datasets not found at {DATASETS} (set DBSYNTH_DATASETS)")
    kind = DATASET_INFO[name][0]
    env = dict(os.environ, ONLY=name)
    u = sa_url(pg)
    admin = URL.create("postgresql", u.username, u.password, u.host, u.port, "postgres")
    args = ["bash", str(script), "-f", admin.render_as_string(hide_password=False)]
    if kind == "mysql":
        client = shutil.which("mariadb") or shutil.which("mysql")
        if not client:
            unavailable("no mariadb/mysql client to load the MySQL datasets")
        m = sa_url(my)
        cmd = f"{client} -h {m.host or '127.0.0.1'} -P {m.port or 3306} -u {m.username or 'root'}"
        if m.password:
            cmd += f" -p{m.password}"
        args[2:2] = ["-m", cmd]
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"loading dataset {name} failed: {proc.stderr.strip()[-500:]}")


@pytest.fixture(scope="session")
def dataset_url(pg_url: str, mysql_url: str) -> Callable[[str], str]:
    """``dataset_url("pagila")`` -> URL of that sample database, loading it first if needed."""
    checked: dict[str, str] = {}

    def get(name: str) -> str:
        if name in checked:
            return checked[name]
        kind, database, tables = DATASET_INFO[name]
        server = pg_url if kind == "postgresql" else mysql_url
        # Parallel workers (pytest-xdist) load a missing dataset once: the others wait.
        with _machine_lock(f"dataset-{name}"):
            if _table_count(server, kind, database) != tables:
                _load(name, pg_url, mysql_url)
                if _table_count(server, kind, database) != tables:
                    pytest.fail(f"dataset {name} did not load with {tables} tables")
        checked[name] = with_database(server, database)
        return checked[name]

    return get


def _fresh_database(server: str, kind: str) -> Iterator[str]:
    name = f"dbsynth_t_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(sa_url(server), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    q = '"' if kind == "postgresql" else "`"
    with engine.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {q}{name}{q}")
    try:
        yield with_database(server, name)
    finally:
        with engine.connect() as conn:
            force = " WITH (FORCE)" if kind == "postgresql" else ""
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {q}{name}{q}{force}")
        engine.dispose()


@pytest.fixture
def fresh_pg(pg_url: str) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database, dropped after the test."""
    yield from _fresh_database(pg_url, "postgresql")


@pytest.fixture
def fresh_mysql(mysql_url: str) -> Iterator[str]:
    """URL of a new, empty MariaDB database, dropped after the test."""
    yield from _fresh_database(mysql_url, "mysql")


@pytest.fixture
def make_pg(fresh_pg: str) -> Callable[[str], str]:
    """Run DDL/DML text in a fresh PostgreSQL database and return its URL."""

    def run(sql: str) -> str:
        engine = sa.create_engine(sa_url(fresh_pg), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(sql)
        engine.dispose()
        return fresh_pg

    return run


@pytest.fixture
def make_mysql(fresh_mysql: str) -> Callable[[str], str]:
    """Run ;-separated DDL/DML statements in a fresh MariaDB database and return its URL."""

    def run(sql: str) -> str:
        engine = sa.create_engine(sa_url(fresh_mysql), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            for stmt in (s.strip() for s in sql.split(";")):
                if stmt:
                    conn.exec_driver_sql(stmt)
        engine.dispose()
        return fresh_mysql

    return run


@pytest.fixture
def make_sqlite(tmp_path: Path) -> Callable[[str], str]:
    """Run a SQL script in a new SQLite file and return its URL."""
    import sqlite3

    def run(sql: str) -> str:
        path = tmp_path / f"db_{uuid.uuid4().hex[:6]}.sqlite"
        with sqlite3.connect(path) as conn:
            conn.executescript(sql)
        return f"sqlite:///{path}"

    return run


# A test that reaches a server through these fixtures (directly or through fresh_pg, make_mysql,
# dataset_url, ...) carries the server's marker, so `pytest -m "not postgres and not mysql"`
# runs exactly the part that needs no server. A test that picks its server at run time
# (request.getfixturevalue) marks itself.
SERVER_MARKERS = {"pg_url": "postgres", "mysql_url": "mysql"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for fixture, marker in SERVER_MARKERS.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(marker)


@pytest.fixture(autouse=True)
def _server_markers_are_honest(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test that reached a server without its marker (through getfixturevalue) fails, so the
    server-free selection never needs a server."""
    yield
    for fixture, marker in SERVER_MARKERS.items():
        if fixture in request.fixturenames and request.node.get_closest_marker(marker) is None:
            pytest.fail(f"this test uses {fixture} but is not marked {marker}: add the marker")


def pytest_report_header() -> list[str]:
    from dbsynth.db import display_url

    return [
        f"dbsynth test servers: {display_url(sa_url(PG_URL))}, {display_url(sa_url(MYSQL_URL))}",
        f"datasets: {DATASETS} (CI={IN_CI})",
    ]


@pytest.fixture(scope="session")
def schema_url(request: pytest.FixtureRequest) -> Callable[[str, str], str]:
    """``schema_url("zabbix", "mysql")`` -> URL of ``schema_zabbix`` from the real-world schema
    corpus (``DBSYNTH_SCHEMAS``), loaded first if missing or incomplete; see schemas_rig.py."""
    from schemas_rig import SchemaCorpus

    return SchemaCorpus(request).url
