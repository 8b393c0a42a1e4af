"""What differs between source backends when sampling: opening the read-only snapshot, hashing
keys in SQL, bind-parameter limits, catalog row estimates, and the driver's preparation."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement


def _md5(*values: Any) -> str:
    # SQLite's stand-in for md5(concat_ws(':', ...)): NULLs skipped like concat_ws does.
    return hashlib.md5(":".join(str(v) for v in values if v is not None).encode()).hexdigest()


def _prepare_sqlite(dbapi: Any) -> None:
    dbapi.create_function("dbsynth_md5", -1, _md5, deterministic=True)


def _prepare_postgres(dbapi: Any) -> None:
    """Load PostgreSQL's ``infinity`` dates and timestamps as Python's extremes instead of
    failing: validity ranges ending at 'infinity' are common, and one such row must not abort
    the sample (psycopg raises "date too large" by default)."""
    from psycopg.types import datetime as pgdt

    def infinite(base: type, low: Any, high: Any) -> type:
        def load(self: Any, data: Any) -> Any:
            raw = bytes(data)
            if raw == b"infinity":
                return high
            if raw == b"-infinity":
                return low
            return base.load(self, data)  # type: ignore[attr-defined]

        return type(f"Infinite{base.__name__}", (base,), {"load": load})

    utc = dt.UTC
    loaders = {
        "date": infinite(pgdt.DateLoader, dt.date.min, dt.date.max),
        "timestamp": infinite(pgdt.TimestampLoader, dt.datetime.min, dt.datetime.max),
        "timestamptz": infinite(
            pgdt.TimestamptzLoader, dt.datetime.min.replace(tzinfo=utc), dt.datetime.max.replace(tzinfo=utc)
        ),
    }
    for name, loader in loaders.items():
        dbapi.adapters.register_loader(name, loader)


@dataclass(frozen=True)
class Dialect:
    """What differs between backends: opening the snapshot, hashing, limits, estimates."""

    snapshot: tuple[str, ...]  # run after the read-only session is set up
    hash: Callable[[Sequence[ColumnElement[Any]], int], ColumnElement[Any]]
    max_params: int  # bind parameters per statement for key lists
    estimate: str | None  # catalog row estimate; :name / :table bind the table
    prepare: Callable[[Any], None] | None = None  # given the DBAPI connection, before any read
    copy: bool = False  # read rows with COPY ... TO STDOUT (PostgreSQL)


def _sql_md5(cols: Sequence[ColumnElement[Any]], seed: int) -> ColumnElement[Any]:
    return sa.func.md5(sa.func.concat_ws(sa.literal_column("':'"), sa.literal_column(f"'{seed}'"), *cols))


DIALECTS: dict[str, Dialect] = {
    "postgresql": Dialect(
        # Keys are hashed as text: fix the settings text depends on (a timestamptz PK would
        # otherwise hash differently under another client time zone).
        snapshot=(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            "SET LOCAL TimeZone = 'UTC'",
            "SET LOCAL DateStyle = 'ISO'",
        ),
        # COLLATE "C": ORDER BY and the prefilter must compare hex digits byte-wise.
        hash=lambda cols, seed: _sql_md5(cols, seed).collate("C"),
        max_params=30_000,
        # Inheritance children and partitions hold their rows themselves; -1 = never analyzed.
        estimate=(
            "SELECT c.reltuples, (SELECT sum(p.reltuples) FROM pg_inherits i JOIN pg_class p "
            "ON p.oid = i.inhrelid WHERE i.inhparent = c.oid AND p.reltuples >= 0) "
            "FROM pg_class c WHERE c.oid = to_regclass(:name)"
        ),
        prepare=_prepare_postgres,
        copy=True,
    ),
    "mysql": Dialect(
        snapshot=(
            "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
            "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY",
        ),
        hash=_sql_md5,
        max_params=30_000,
        estimate=(
            "SELECT TABLE_ROWS, NULL FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = :table"
        ),
    ),
    "sqlite": Dialect(
        snapshot=("BEGIN",),
        hash=lambda cols, seed: sa.func.dbsynth_md5(sa.literal_column(f"'{seed}'"), *cols),
        max_params=30_000,  # SQLite >= 3.32 allows 32766
        estimate=None,  # no catalog estimate: count(*) on a local file is cheap enough
        prepare=_prepare_sqlite,
    ),
}


def open_snapshot(conn: Connection, dialect: Dialect) -> None:
    conn.commit()  # end the transaction that set the session read-only; the snapshot starts fresh
    if dialect.prepare is not None:
        dialect.prepare(conn.connection.driver_connection)
    for statement in dialect.snapshot:
        conn.exec_driver_sql(statement)
