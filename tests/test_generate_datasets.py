"""Clone every shared dataset into a fresh database of the same dialect at three scales, then
check with our own SQL (not the library's) that every FK resolves, uniques hold and row counts
follow the scale. The target enforces every constraint while loading, so a load that succeeds
already proves most of it; the queries make the proof independent of the writer."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from dbsynth import fit, generate
from dbsynth.fitting.roles import column_roles
from dbsynth.model import Model
from dbsynth.schema import Schema, Table

from conftest import DATASET_INFO, _fresh_database, sa_url

SCALES = (0.5, 1.0, 3.0)
# Every table gets exactly round(source rows × scale) (``dbsynth.planning.plan``); children-per-parent
# shape is measured by the report's cardinality score, not here.


@pytest.fixture(scope="module")
def models(dataset_url: Callable[[str], str]) -> dict[str, Model]:
    return {name: fit(dataset_url(name), sample_rows=20_000) for name in DATASET_INFO}


def _q(dialect: str, name: str) -> str:
    return f'"{name}"' if dialect == "postgresql" else f"`{name}`"


def _qualified(table: Table, dialect: str) -> str:
    if table.schema and dialect == "postgresql":
        return f"{_q(dialect, table.schema)}.{_q(dialect, table.name)}"
    return _q(dialect, table.name)


def check_database(url: str, model: Model, scale: float) -> None:
    schema: Schema = model.schema
    d = schema.dialect
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        counts = {}
        for t in schema.tables:
            counts[t.key] = conn.exec_driver_sql(f"SELECT count(*) FROM {_qualified(t, d)}").scalar_one()
        for t in schema.tables:
            for fk in t.foreign_keys:
                parent = schema.table(fk.ref_table)
                cond = " AND ".join(
                    f"p.{_q(d, r)} = c.{_q(d, c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True)
                )
                notnull = " AND ".join(f"c.{_q(d, c)} IS NOT NULL" for c in fk.columns)
                orphans = conn.exec_driver_sql(
                    f"SELECT count(*) FROM {_qualified(t, d)} c WHERE {notnull} AND NOT EXISTS "
                    f"(SELECT 1 FROM {_qualified(parent, d)} p WHERE {cond})"
                ).scalar_one()
                assert orphans == 0, f"{t.key}({', '.join(fk.columns)}) has {orphans} orphans"
            keys = [u.columns for u in t.uniques if u.where is None]
            if t.primary_key:
                keys.append(t.primary_key.columns)
            for cols in keys:
                cl = ", ".join(_q(d, c) for c in cols)
                notnull = " AND ".join(f"{_q(d, c)} IS NOT NULL" for c in cols)
                dups = conn.exec_driver_sql(
                    f"SELECT count(*) FROM (SELECT {cl} FROM {_qualified(t, d)} WHERE {notnull} "
                    f"GROUP BY {cl} HAVING count(*) > 1) x"
                ).scalar_one()
                assert dups == 0, f"{t.key} unique ({cl}) has {dups} duplicated keys"
    engine.dispose()
    for tm in model.tables:
        assert counts[tm.table] == round(tm.row_count * scale), (tm.table, counts[tm.table], scale)


def _fresh(name: str, pg_url: str, mysql_url: str) -> Iterator[str]:
    kind = DATASET_INFO[name][0]
    return _fresh_database(pg_url if kind == "postgresql" else mysql_url, kind)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("name", list(DATASET_INFO))
def test_clone_dataset_same_dialect(
    models: dict[str, Model], pg_url: str, mysql_url: str, name: str, scale: float
) -> None:
    gen = _fresh(name, pg_url, mysql_url)
    target = next(gen)
    try:
        result = generate(models[name], target, scale=scale, seed=11, create_schema=True)
        assert result.load is not None and result.load.committed
        check_database(target, models[name], scale)
    finally:
        gen.close()


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_chinook_from_mariadb_into(models: dict[str, Model], pg_url: str, tmp_path, kind: str) -> None:  # type: ignore[no-untyped-def]
    model = models["chinook_mysql"]
    if kind == "sqlite":
        target = f"sqlite:///{tmp_path / 'chinook.db'}"
        generate(model, target, seed=3, create_schema=True)
        engine = sa.create_engine(target)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            n = conn.exec_driver_sql('SELECT count(*) FROM "Track"').scalar_one()
        engine.dispose()
        assert n == model.table("Track").row_count
        return
    gen = _fresh_database(pg_url, "postgresql")
    target = next(gen)
    try:
        generate(model, target, seed=3, create_schema=True)
        engine = sa.create_engine(sa_url(target), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            n = conn.exec_driver_sql('SELECT count(*) FROM public."InvoiceLine"').scalar_one()
            orphans = conn.exec_driver_sql(
                'SELECT count(*) FROM public."InvoiceLine" l LEFT JOIN public."Invoice" i '
                'ON i."InvoiceId" = l."InvoiceId" WHERE i."InvoiceId" IS NULL'
            ).scalar_one()
        engine.dispose()
        assert n > 0 and orphans == 0
    finally:
        gen.close()


def test_sakila_store_staff_cycle_is_in_the_plan(models: dict[str, Model]) -> None:
    from dbsynth.planning.plan import make_plan

    for name in ("sakila_pg", "sakila_mysql"):
        plan = make_plan(models[name])
        cut = [b for b in plan.breaks if b.strategy == "disable_and_validate"]
        assert [b.table.split(".")[-1] for b in cut] == ["staff"], name


def test_every_key_column_is_numbered_or_modelled(models: dict[str, Model]) -> None:
    for model in models.values():
        for t in model.schema.tables:
            roles = column_roles(t)
            assert set(roles.values()) <= {"value", "key", "foreign_key", "generated"}
