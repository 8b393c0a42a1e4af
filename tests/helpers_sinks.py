"""What the sink tests share: a load spec from a schema, a load as the engine runs it, and the
target's rows read back by its own driver (not by dbsynth)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import psycopg
import sqlalchemy as sa

from dbsynth.db import backend, parse_url
from dbsynth.graph import plan_insertion
from dbsynth.schema import Schema
from dbsynth.writing import Batch, LoadResult, LoadSpec, TableLoad, Target, Update, open_target
from dbsynth.writing.postgres import conninfo


def spec_for(schema: Schema, rows: dict[str, int], **kwargs: Any) -> LoadSpec:
    """The load of the ``rows`` tables in insertion order, with the plan's cycle cuts."""
    plan = plan_insertion(schema)
    tables = tuple(
        TableLoad(k, tuple(c.name for c in schema.table(k).columns if c.writable), rows[k])
        for k in plan.order
        if k in rows
    )
    return LoadSpec(schema, tables, breaks=plan.breaks, **kwargs)


def load(target: str | Target, spec: LoadSpec, items: Sequence[Batch | Update], **options: Any) -> LoadResult:
    """What the engine does: open, write every item, close; a failure closes with ok=False."""
    opened = open_target(target, **options) if isinstance(target, str) else target
    sink = opened.open(spec)
    try:
        for item in items:
            sink.write(item)
    except BaseException:
        sink.close(False)
        raise
    return sink.close(True)


def rows_of(url: str, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` in the database at ``url``, through its driver's own types."""
    kind = backend(parse_url(url))
    if kind == "postgresql":
        with psycopg.connect(conninfo(parse_url(url))) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]  # type: ignore[arg-type]
    if kind == "sqlite":
        with sqlite3.connect(str(parse_url(url).database)) as conn:
            return [tuple(r) for r in conn.execute(sql).fetchall()]
    engine = sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql.replace("%", "%%"))]
    finally:
        engine.dispose()


def run(url: str, sql: str) -> None:
    """Run ``sql`` (several statements separated by ``;``) in the database at ``url``, committed."""
    kind = backend(parse_url(url))
    if kind == "postgresql":
        with psycopg.connect(conninfo(parse_url(url)), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]
        return
    if kind == "sqlite":
        with sqlite3.connect(str(parse_url(url).database)) as conn:
            conn.executescript(sql)
        return
    engine = sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            for statement in (s.strip() for s in sql.split(";")):
                if statement:
                    conn.exec_driver_sql(statement.replace("%", "%%"))
    finally:
        engine.dispose()
