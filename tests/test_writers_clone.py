"""Real schemas and real rows through every database target: a sample of a shared dataset (whose
foreign keys all resolve) is written into a fresh database that ``create_schema`` builds, with
the plan's cycle cuts (sakila_pg's NOT NULL store/staff cycle), and read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbsynth.db import parse_url
from dbsynth.graph import plan_insertion
from dbsynth.introspection import introspect
from dbsynth.sampling.sampler import Sample, sample_database
from dbsynth.schema import Schema
from dbsynth.writing import Batch, LoadResult, LoadSpec, TableLoad, open_target


def sampled(url: str, rows: int) -> tuple[Schema, Sample]:
    schema = introspect(url)
    return schema, sample_database(url, schema, sample_rows=rows, seed=3)


def clone(schema: Schema, sample: Sample, target: str, source: str) -> LoadResult:
    plan = plan_insertion(schema)
    loads = []
    for key in plan.order:
        columns = tuple(c.name for c in schema.table(key).columns if c.writable)
        loads.append(TableLoad(key, columns, len(sample.frames[key])))
    spec = LoadSpec(schema, tuple(loads), breaks=plan.breaks, create_schema=True)
    sink = open_target(target, source=source).open(spec)
    try:
        for load in loads:
            frame = sample.frames[load.table]
            pk = schema.table(load.table).primary_key
            # Sampled rows come in hash order; a self-reference (employee.reports_to) needs its
            # parent row first on MySQL and SQLite, which check row by row. Generated rows are
            # produced in that order by the engine; here the key order gives it.
            frame = frame.sort_values(list(pk.columns)) if pk else frame
            sink.write(Batch(load.table, frame[list(load.columns)]))
    except Exception:
        sink.close(False)
        raise
    return sink.close(True)


def counts(url: str, schema: Schema, dialect: str) -> dict[str, int]:
    engine = sa.create_engine(parse_url(url), poolclass=sa.pool.NullPool)
    quote = '"' if dialect != "mysql" else "`"
    out = {}
    try:
        with engine.connect() as conn:
            for table in schema.tables:
                parts = [table.schema, table.name] if dialect == "postgresql" else [table.name]
                name = ".".join(f"{quote}{p}{quote}" for p in parts if p)
                out[table.key] = int(conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one())
    finally:
        engine.dispose()
    return out


@pytest.mark.postgres
def test_sakila_sample_into_a_new_postgres_database(dataset_url: Callable[[str], str], fresh_pg: str) -> None:
    source = dataset_url("sakila_pg")
    schema, sample = sampled(source, 150)
    result = clone(schema, sample, fresh_pg, source)
    assert result.committed
    expected = {k: len(f) for k, f in sample.frames.items()}
    assert result.rows == expected
    assert counts(fresh_pg, schema, "postgresql") == expected
    assert "foreign key staff_store_id_fkey on public.staff re-added and validated" in result.notes
    engine = sa.create_engine(parse_url(fresh_pg), poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        top = conn.exec_driver_sql("SELECT max(actor_id) FROM actor").scalar_one()
        new = conn.exec_driver_sql(
            "INSERT INTO actor (first_name, last_name) VALUES ('A', 'B') RETURNING actor_id"
        )
        assert new.scalar_one() == top + 1
        rating = conn.exec_driver_sql("SELECT count(*) FROM film WHERE rating IS NOT NULL").scalar_one()
        assert rating == int(sample.frames["public.film"]["rating"].notna().sum())
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.mysql
@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_chinook_sample_across_dialects(
    dataset_url: Callable[[str], str], fresh_mysql: str, tmp_path: Path, dialect: str
) -> None:
    source = dataset_url("chinook")
    schema, sample = sampled(source, 200)
    target = fresh_mysql if dialect == "mysql" else f"sqlite:///{tmp_path / 'chinook.db'}"
    result = clone(schema, sample, target, source)
    expected = {k: len(f) for k, f in sample.frames.items()}
    assert (result.committed, result.rows) == (True, expected)
    assert counts(target, schema, dialect) == expected
