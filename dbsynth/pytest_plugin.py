"""dbsynth's pytest plugin: a fresh synthetic database per test, from a model file and a seed.

Installed with dbsynth (entry point ``pytest11``; disable with ``-p no:dbsynth``). An application
fits a model once (``dbsynth fit postgresql://readonly@prod/shop -o tests/shop.model.json``),
commits the reviewed JSON, and its tests ask for databases generated from it::

    # tests/test_orders.py
    import sqlalchemy as sa

    def test_every_order_has_a_customer(dbsynth_database):
        url = dbsynth_database("tests/shop.model.json", seed=7, scale=0.1)
        with sa.create_engine(url).connect() as conn:
            orphans = conn.execute(sa.text(
                "SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) "
                "WHERE c.customer_id IS NULL")).scalar_one()
        assert orphans == 0

Fixtures:

``dbsynth_database(model, *, seed=0, scale=1.0, rows=None, server_url=None) -> str``
    Creates a new, empty database, loads it with ``dbsynth.generate(model, ...,
    create_schema=True)`` and returns its URL (with the password, for the test's own use). The
    same model, seed and scale give the same rows. Every database a test created is dropped after
    that test, even when loading failed. ``model`` is a :class:`dbsynth.Model` or a path; a
    relative path is looked up in the current directory, then in pytest's rootdir.
``dbsynth_empty_database(server_url=None) -> str``
    The same fresh database without loading anything (to build a source, or load it yourself).
``dbsynth_server_url``
    The configured server URL, or None when databases are SQLite files.

Where the databases live, first match wins:

1. the ``server_url`` argument;
2. the environment variable ``DBSYNTH_PYTEST_SERVER_URL``;
3. the ini option ``dbsynth_server_url`` (``pytest.ini``, ``[tool.pytest.ini_options]``);
4. otherwise a SQLite file in the test's ``tmp_path``.

A server URL names a PostgreSQL or MySQL/MariaDB server and a database to connect to for
``CREATE DATABASE``/``DROP DATABASE`` (``postgresql://postgres@127.0.0.1:5432/postgres``,
``mysql://root@127.0.0.1:3306/mysql``); its user needs the right to create databases. PostgreSQL
databases are dropped ``WITH (FORCE)`` (PostgreSQL 13 or later), so a connection the test left
open does not keep one alive.

The fixtures import dbsynth's engine (pandas, SQLAlchemy) when a test first asks for a
database; what pytest loads at start-up is this module and the ``dbsynth`` package it lives in.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from dbsynth.model import Model

ENV_SERVER_URL = "DBSYNTH_PYTEST_SERVER_URL"
INI_SERVER_URL = "dbsynth_server_url"
NAME_PREFIX = "dbsynth_"
_QUOTES = {"postgresql": '"', "mysql": "`"}  # identifier quotes of the servers databases live on
_MODELS = pytest.StashKey[dict[tuple[str, int], "Model"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        INI_SERVER_URL,
        help="PostgreSQL or MySQL server URL where dbsynth_database creates its databases "
        f"(default: SQLite files; the {ENV_SERVER_URL} environment variable wins over this)",
        default="",
    )


def configured_server_url(config: pytest.Config) -> str | None:
    """The server URL from the environment or the ini file, or None (SQLite)."""
    url = os.environ.get(ENV_SERVER_URL, "").strip() or str(config.getini(INI_SERVER_URL)).strip()
    return url or None


@pytest.fixture(scope="session")
def dbsynth_server_url(pytestconfig: pytest.Config) -> str | None:
    """The server where dbsynth_database creates databases, or None for SQLite files."""
    return configured_server_url(pytestconfig)


EmptyDatabase = Callable[..., str]
SyntheticDatabase = Callable[..., str]


@pytest.fixture
def dbsynth_empty_database(dbsynth_server_url: str | None, tmp_path: Path) -> Iterator[EmptyDatabase]:
    """Factory of new, empty databases, all dropped after the test (see the module doc)."""
    drops: list[Callable[[], None]] = []

    def create(server_url: str | None = None) -> str:
        __tracebackhide__ = True  # a failure shows the test's line, not ours (nor our arguments)
        url, drop = _new_database(server_url or dbsynth_server_url, tmp_path)
        drops.append(drop)
        return url

    try:
        yield create
    finally:
        errors = []
        for drop in reversed(drops):
            try:
                drop()
            except Exception as exc:  # drop the others anyway, then report
                errors.append(f"{type(exc).__name__}: {exc}")
        if errors:
            pytest.fail("dbsynth could not drop its test database(s): " + "; ".join(errors), pytrace=False)


@pytest.fixture
def dbsynth_database(dbsynth_empty_database: EmptyDatabase, pytestconfig: pytest.Config) -> SyntheticDatabase:
    """Factory of fresh databases loaded from a dbsynth model (see the module doc)."""

    def create(
        model: str | os.PathLike[str] | Model,
        *,
        seed: int = 0,
        scale: float = 1.0,
        rows: Mapping[str, int] | None = None,
        server_url: str | None = None,
    ) -> str:
        __tracebackhide__ = True
        import dbsynth

        loaded = model if isinstance(model, dbsynth.Model) else _load_model(pytestconfig, Path(model))
        url = dbsynth_empty_database(server_url)
        dbsynth.generate(loaded, url, seed=seed, scale=scale, rows=rows, create_schema=True)
        return url

    return create


def _load_model(config: pytest.Config, path: Path) -> Model:
    """The model at ``path`` (cwd first, then rootdir), read once per session and file version."""
    from dbsynth.errors import UsageError
    from dbsynth.model import Model

    found = path if path.is_absolute() or path.exists() else config.rootpath / path
    if not found.is_file():
        where = f"looked in {Path.cwd()} and {config.rootpath}"
        raise UsageError(f"dbsynth model file {path} not found ({where})")
    cache = config.stash.setdefault(_MODELS, {})
    key = (str(found.resolve()), found.stat().st_mtime_ns)
    if key not in cache:
        cache[key] = Model.load(found)
    return cache[key]


def _new_database(server_url: str | None, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """``(url, drop)`` of a new empty database on ``server_url``, or a SQLite file path."""
    __tracebackhide__ = True  # its arguments hold the server URL, password included
    name = f"{NAME_PREFIX}{uuid.uuid4().hex[:12]}"
    if server_url is None:
        path = tmp_path / f"{name}.sqlite"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    from dbsynth.db import backend, parse_url

    server = parse_url(server_url)
    kind = backend(server)
    if kind not in _QUOTES:
        from dbsynth.errors import UsageError

        raise UsageError(
            f"dbsynth_database needs a PostgreSQL or MySQL server URL (or none, for SQLite), not {kind}"
        )
    quote = _QUOTES[kind]
    _admin(server_url, f"CREATE DATABASE {quote}{name}{quote}")
    force = " WITH (FORCE)" if kind == "postgresql" else ""
    url = server.set(database=name).render_as_string(hide_password=False)
    return url, lambda: _admin(server_url, f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}")


def _admin(server_url: str, statement: str) -> None:
    """Run one CREATE/DROP DATABASE statement outside a transaction (both refuse to run in one);
    a server that cannot be reached is a one-line, password-free error."""
    __tracebackhide__ = True
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError

    from dbsynth.db import connection_error, create_engine

    engine = create_engine(server_url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            raise connection_error(exc, server_url) from None
        with conn:
            conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


__all__ = ["ENV_SERVER_URL", "INI_SERVER_URL", "configured_server_url"]
