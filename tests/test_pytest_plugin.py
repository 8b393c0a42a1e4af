"""The pytest plugin (``dbsynth.pytest_plugin``, entry point ``pytest11``): an application's test
file, run by ``pytester``, gets fresh databases loaded from a model file on SQLite (default),
PostgreSQL (environment variable) and MariaDB (ini option); each is dropped after its test."""

from __future__ import annotations

import importlib.metadata as metadata
from pathlib import Path

import pytest
import sqlalchemy as sa

import dbsynth
from dbsynth.db import parse_url
from dbsynth.examples import build_shop
from dbsynth.pytest_plugin import ENV_SERVER_URL

# The application's tests run in a subprocess, as they would: an in-process run would import
# SQLAlchemy's dialects and dbsynth's registries a second time.
pytest_plugins = ["pytester"]

CUSTOMERS = 40

# The application's test file: loads twice with one seed and once with another, checks the rows,
# and records every URL it got so the outer test can check that the databases are gone.
APP_TESTS = """
import sqlalchemy as sa

MODEL = {model!r}
SEEN = {seen!r}


def rows(url, sql):
    engine = sa.create_engine(url)  # a SQLAlchemy URL with dbsynth's driver
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql))]
    finally:
        engine.dispose()


def test_fresh_database_from_the_model(dbsynth_database):
    url = dbsynth_database(MODEL, seed=3)
    url_again = dbsynth_database(MODEL, seed=3)
    other = dbsynth_database(MODEL, seed=4, scale=0.5)
    with open(SEEN, "a") as f:
        f.write("\\n".join([url, url_again, other]) + "\\n")
    assert url != url_again
    assert rows(url, "SELECT count(*) FROM customers") == [({customers},)]
    assert rows(other, "SELECT count(*) FROM customers") == [({half},)]
    orphans = "SELECT count(*) FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id " \\
              "WHERE c.customer_id IS NULL"
    assert rows(url, orphans) == [(0,)]
    emails = "SELECT email FROM customers ORDER BY customer_id"
    assert rows(url, emails) == rows(url_again, emails)
    assert rows(url, emails) != rows(other, emails)[:{half}] + rows(url, emails)[{half}:]


def test_empty_database(dbsynth_empty_database, dbsynth_server_url):
    url = dbsynth_empty_database()
    with open(SEEN, "a") as f:
        f.write(url + "\\n")
    assert url.split("+")[0].split(":")[0] == (dbsynth_server_url or "sqlite:").split(":")[0]
"""


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pytest_plugin")
    shop = build_shop(folder / "shop.sqlite", customers=CUSTOMERS)
    path = folder / "shop.model.json"
    dbsynth.fit(f"sqlite:///{shop}").save(path)
    return path


def run_app_tests(pytester: pytest.Pytester, model: Path) -> list[str]:
    """Run the application's tests; the URLs of the databases they got."""
    seen = pytester.path / "seen.txt"
    pytester.makepyfile(
        test_app=APP_TESTS.format(model=str(model), seen=str(seen), customers=CUSTOMERS, half=CUSTOMERS // 2)
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    return seen.read_text().split()


def database_exists(server_url: str, name: str) -> bool:
    engine = sa.create_engine(parse_url(server_url), poolclass=sa.pool.NullPool)
    query = (
        "SELECT 1 FROM pg_database WHERE datname = :n"
        if server_url.startswith("postgresql")
        else "SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"
    )
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(query), {"n": name}).first() is not None
    finally:
        engine.dispose()


def test_the_plugin_is_registered_with_pytest() -> None:
    (entry,) = [ep for ep in metadata.entry_points(group="pytest11") if ep.name == "dbsynth"]
    assert entry.value == "dbsynth.pytest_plugin"
    assert entry.dist is not None and entry.dist.name == "dbsynth"


def test_sqlite_files_by_default(
    pytester: pytest.Pytester, model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_SERVER_URL, raising=False)
    urls = run_app_tests(pytester, model_file)
    assert len(urls) == 4 and all(u.startswith("sqlite:///") for u in urls)
    assert [u for u in urls if Path(u.removeprefix("sqlite:///")).exists()] == []


@pytest.mark.postgres
def test_postgres_server_from_the_environment(
    pytester: pytest.Pytester, model_file: Path, monkeypatch: pytest.MonkeyPatch, pg_url: str
) -> None:
    monkeypatch.setenv(ENV_SERVER_URL, pg_url)
    pytester.makeini("[pytest]\ndbsynth_server_url = mysql://nobody@127.0.0.1:1/none\n")  # env wins
    urls = run_app_tests(pytester, model_file)
    names = [parse_url(u).database for u in urls]
    assert len(set(names)) == 4 and all(u.startswith("postgresql") for u in urls)
    assert all(str(n).startswith("dbsynth_") for n in names)
    assert [n for n in names if database_exists(pg_url, str(n))] == []


@pytest.mark.mysql
def test_mysql_server_from_the_ini_file(
    pytester: pytest.Pytester, model_file: Path, monkeypatch: pytest.MonkeyPatch, mysql_url: str
) -> None:
    monkeypatch.delenv(ENV_SERVER_URL, raising=False)
    pytester.makeini(f"[pytest]\ndbsynth_server_url = {mysql_url}\n")
    urls = run_app_tests(pytester, model_file)
    names = [parse_url(u).database for u in urls]
    assert len(set(names)) == 4 and all(u.startswith("mysql") for u in urls)
    assert [n for n in names if database_exists(mysql_url, str(n))] == []


def test_clear_errors_without_passwords(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    # The model file is looked up before any database is created, so the unreachable server
    # only matters to the second test.
    monkeypatch.setenv(ENV_SERVER_URL, "postgresql://someone:Secret-9@127.0.0.1:1/postgres")
    pytester.makepyfile(
        test_app="""
def test_needs_a_model(dbsynth_database):
    dbsynth_database("models/nope.model.json")


def test_needs_a_server(dbsynth_empty_database):
    dbsynth_empty_database()
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*UsageError: dbsynth model file models/nope.model.json not found (looked in * and *)",
            "*ConnectionFailed: cannot reach database server at postgresql://someone:***@127.0.0.1:1/postgres*",
        ]
    )
    assert "Secret-9" not in result.stdout.str() + result.stderr.str()
