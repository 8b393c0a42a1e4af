"""Which database a URL reaches, as the server (or the file system) says, not as the URL spells it.

``postgresql://db.internal/shop``, ``postgresql://10.0.0.5/shop`` and ``postgresql://127.1/shop``
can all be the same database; so can ``copy.db`` and a hard link or symlink to it. URL text
cannot tell, the server can:

==========  ==================================================================================
PostgreSQL  ``system_identifier`` of ``pg_control_system()`` (unique per cluster, set at initdb)
            and the database's OID
MySQL       ``@@server_uuid`` and the schema
MariaDB     (no server UUID) ``@@hostname``, ``@@port`` and ``@@datadir``, and the schema
SQLite      the file's device and inode (``os.stat`` follows symlinks; hard links share the inode)
==========  ==================================================================================

Each lookup is read-only (one SELECT, or a stat) on a connection of its own that waits at most
:data:`CONNECT_TIMEOUT` seconds; a database that cannot be asked has no identity (``None``) and
the caller falls back to comparing URLs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import URL

from dbsynth.db import backend, create_engine

CONNECT_TIMEOUT = 5  # seconds

# backend -> queries tried in order, each giving (server, database), and what they compare.
QUERIES: dict[str, tuple[tuple[str, str], ...]] = {
    "postgresql": (
        (
            "SELECT system_identifier::text, "
            "(SELECT oid::text FROM pg_database WHERE datname = current_database()) FROM pg_control_system()",
            "system identifier and database OID",
        ),
    ),
    "mysql": (
        ("SELECT @@server_uuid, DATABASE()", "server UUID and schema"),
        (
            "SELECT CONCAT_WS(':', @@hostname, @@port, @@datadir), DATABASE()",
            "host name, port, data directory and schema",
        ),
    ),
}


@dataclass(frozen=True)
class Identity:
    """A database as its server knows it; equal identities are one database."""

    kind: str
    server: str
    database: str
    means: str = field(compare=False)  # what was compared, for messages


def identity(url: URL) -> Identity | None:
    """The identity of the database at ``url``, or None when it cannot be asked."""
    kind = backend(url)
    if kind == "sqlite":
        return _file_identity(url.database or "")
    queries = QUERIES.get(kind)
    if not queries:
        return None
    try:
        timeout = {"connect_timeout": CONNECT_TIMEOUT}
        engine = create_engine(url, poolclass=sa.pool.NullPool, connect_args=timeout)
    except Exception:  # no driver: nothing to ask
        return None
    try:
        with engine.connect() as conn:
            for sql, means in queries:
                try:
                    row = conn.exec_driver_sql(sql).one()
                except sa.exc.DBAPIError:
                    conn.rollback()
                    continue
                if row[0] is not None and row[1] is not None:
                    return Identity(kind, str(row[0]), str(row[1]), means)
    except Exception:  # unreachable, refused, no privilege: the URL is all there is
        return None
    finally:
        engine.dispose()
    return None


def recorded(found: Identity | None) -> tuple[str, ...]:
    """An identity as a model file records it: ``(kind, server, database)``, or ``()``."""
    return () if found is None else (found.kind, found.server, found.database)


def _file_identity(path: str) -> Identity | None:
    if path in ("", ":memory:"):
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return Identity("sqlite", str(stat.st_dev), str(stat.st_ino), "file (device and inode)")


__all__ = ["CONNECT_TIMEOUT", "QUERIES", "Identity", "identity", "recorded"]
