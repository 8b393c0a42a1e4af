"""The real-world schema corpus: loading ``schema_<name>`` databases on demand.

The corpus is read from ``DBSYNTH_SCHEMAS`` (default: ``shared/schemas`` next to this checkout)
and loaded with its own ``load.sh``, one schema and one server at a time, only when the
database is missing or incomplete. Completeness is measured from the catalogs (base tables,
foreign keys, CHECK constraints, rows), because a load that stopped half way (a killed run, a
server restart) leaves a database that exists but lacks its last files' FKs, CHECKs or rows.

Other sessions on the same servers may use the same databases: the check-and-load runs under a
server-side lock (``pg_advisory_lock`` / MariaDB ``GET_LOCK``) so two sessions never load, and
so never drop, the same database at once; a complete database is never reloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection

from conftest import REPO, sa_url, unavailable, with_database

SCHEMAS = Path(os.environ.get("DBSYNTH_SCHEMAS", REPO.parent / "shared" / "schemas"))


class Expected(NamedTuple):
    """Counts measured after a complete load (the corpus READMEs give the same figures)."""

    tables: int
    fks: int
    checks: int
    rows: int


# (schema, "postgresql" | "mysql") -> counts after load.sh. MariaDB CHECKs include the
# json_valid() checks it adds to JSON columns; PostgreSQL FKs and CHECKs are counted once
# (partitions inherit theirs from the partitioned table).
EXPECTED: dict[tuple[str, str], Expected] = {
    ("osm", "postgresql"): Expected(56, 69, 0, 157),
    ("musicbrainz", "postgresql"): Expected(371, 762, 663, 0),
    ("synapse", "postgresql"): Expected(138, 14, 5, 7),
    ("omop_cdm", "postgresql"): Expected(39, 176, 0, 0),
    ("danbooru", "postgresql"): Expected(66, 93, 0, 349),
    ("snaplet_slack", "postgresql"): Expected(9, 13, 0, 0),
    ("french_towns", "postgresql"): Expected(3, 2, 0, 36810),
    ("iso3166", "postgresql"): Expected(2, 1, 0, 4237),
    ("countries_states", "postgresql"): Expected(6, 9, 0, 5586),
    ("zabbix", "postgresql"): Expected(173, 226, 0, 188),
    ("powerdns", "postgresql"): Expected(7, 4, 4, 0),
    ("guacamole", "postgresql"): Expected(23, 30, 0, 11),
    ("temporal", "postgresql"): Expected(38, 0, 1, 1),
    ("countries_states", "mysql"): Expected(6, 9, 0, 5586),
    ("zabbix", "mysql"): Expected(173, 226, 0, 188),
    ("powerdns", "mysql"): Expected(7, 0, 0, 0),
    ("guacamole", "mysql"): Expected(23, 30, 0, 11),
    ("temporal", "mysql"): Expected(37, 0, 1, 1),
    ("unit3d", "mysql"): Expected(127, 156, 24, 327),
}

_PG_TABLES = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
"""
_PG_COUNTS = """
SELECT (SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conparentid = 0),
       (SELECT count(*) FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid
        WHERE c.contype = 'c' AND c.conparentid = 0 AND NOT r.relispartition)
"""


def measure(url: str) -> Expected | None:
    """The counts of the database at ``url``, or None when it does not exist."""
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return _measure(conn)
    except sa.exc.OperationalError as exc:
        # 3D000 (PostgreSQL) / 1049 (MariaDB): unknown database. Anything else is real.
        text = str(exc.orig)
        if "does not exist" in text or "Unknown database" in text:
            return None
        raise
    finally:
        engine.dispose()


def _measure(conn: Connection) -> Expected:
    if conn.dialect.name == "postgresql":
        tables = [f'"{s}"."{t}"' for s, t in conn.execute(sa.text(_PG_TABLES))]
        fks, checks = conn.execute(sa.text(_PG_COUNTS)).one()
    else:
        db = conn.exec_driver_sql("SELECT DATABASE()").scalar_one()
        names = conn.execute(
            sa.text(
                "SELECT TABLE_NAME FROM information_schema.TABLES "
                "WHERE TABLE_SCHEMA = :d AND TABLE_TYPE = 'BASE TABLE'"
            ),
            {"d": db},
        ).scalars()
        tables = [f"`{t}`" for t in names]
        fks = conn.execute(
            sa.text(
                "SELECT count(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = :d"
            ),
            {"d": db},
        ).scalar_one()
        checks = conn.execute(
            sa.text("SELECT count(*) FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = :d"),
            {"d": db},
        ).scalar_one()
    rows = sum(int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()) for t in tables)
    return Expected(len(tables), int(fks), int(checks), rows)


def _lock_key(name: str) -> int:
    # pg_advisory_lock takes a bigint; a stable hash of the database name (not Python's hash(),
    # which changes per process) so every session picks the same lock.
    return zlib.crc32(f"dbsynth-corpus:{name}".encode())


def _run_loader(name: str, kind: str, pg_url: str, mysql_url: str | None) -> None:
    script = SCHEMAS / "load.sh"
    env = dict(os.environ, ONLY=name)
    if kind == "postgresql":
        u = sa_url(pg_url)
        admin = URL.create("postgresql", u.username, u.password, u.host, u.port, "postgres")
        # -f: a previous session may have left a connection to the incomplete database.
        args = ["bash", str(script), "-f", admin.render_as_string(hide_password=False)]
    else:
        client = shutil.which("mariadb") or shutil.which("mysql")
        if not client:
            unavailable("no mariadb/mysql client to load the MariaDB corpus schemas")
        m = sa_url(mysql_url or "")
        cmd = f"{client} -h {m.host or '127.0.0.1'} -P {m.port or 3306} -u {m.username or 'root'}"
        if m.password:
            cmd += f" -p{m.password}"
        args = ["bash", str(script), "-m", cmd, "none"]  # "none": leave PostgreSQL alone
    proc = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        pytest.fail(f"loading schema {name} ({kind}) failed: {proc.stderr.strip()[-500:]}")
    if "SKIPPED" in proc.stderr:  # a contrib extension or ICU is missing on this server
        unavailable(f"schema {name} cannot load here: {proc.stderr.strip()[-300:]}")


class SchemaCorpus:
    """``SchemaCorpus(request).url("zabbix", "mysql")`` -> URL of ``schema_zabbix`` on MariaDB,
    loaded first when missing or incomplete (at most once per session and database)."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.ready: dict[tuple[str, str], str] = {}

    def url(self, name: str, kind: str) -> str:
        if (name, kind) in self.ready:
            return self.ready[(name, kind)]
        if not (SCHEMAS / "load.sh").exists():
            unavailable(f"schema corpus not found at {SCHEMAS} (set DBSYNTH_SCHEMAS)")
        expected = EXPECTED[(name, kind)]
        pg_url: str = self.request.getfixturevalue("pg_url") if kind == "postgresql" else ""
        mysql_url: str | None = self.request.getfixturevalue("mysql_url") if kind == "mysql" else None
        server = pg_url if kind == "postgresql" else str(mysql_url)
        database = f"schema_{name}"
        url = with_database(server, database)
        engine = sa.create_engine(sa_url(server), poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as lock:
                self._lock(lock, database)
                try:
                    if measure(url) != expected:
                        _run_loader(name, kind, pg_url, mysql_url)
                        got = measure(url)
                        if got != expected:
                            pytest.fail(f"schema {name} ({kind}) loaded as {got}, expected {expected}")
                finally:
                    self._unlock(lock, database)
        finally:
            engine.dispose()
        self.ready[(name, kind)] = url
        return url

    @staticmethod
    def _lock(conn: Connection, database: str) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key(database)})
        else:
            got = conn.execute(sa.text("SELECT GET_LOCK(:k, 600)"), {"k": f"dbsynth_corpus_{database}"})
            if got.scalar_one() != 1:
                pytest.fail(f"timed out waiting for another session loading {database}")

    @staticmethod
    def _unlock(conn: Connection, database: str) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key(database)})
        else:
            conn.execute(sa.text("SELECT RELEASE_LOCK(:k)"), {"k": f"dbsynth_corpus_{database}"})
