"""Every failure keeps the promise: a load that fails at any stage — the DDL of --create-schema,
generation, the COPY/INSERT of a table, the sequence reset — leaves a PostgreSQL or SQLite target
exactly as it was (catalog, rows and sequences; for SQLite the very bytes of the file), and a
MariaDB target with at most the empty tables --create-schema made, each named in the one-line
error. Ctrl-C, SIGTERM and ``kill -9`` in the middle of a load keep the same promise
(``test_an_interrupted_load_keeps_the_promise``)."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

import dbsynth
from dbsynth.columns.base import ColumnModel, register
from dbsynth.db import parse_url
from dbsynth.errors import GenerationError, TargetError
from dbsynth.examples import build_shop
from dbsynth.introspection import introspect
from dbsynth.model import Model
from dbsynth.planning.plan import make_plan
from dbsynth.writing import Batch

from helpers_sinks import load, rows_of, run, spec_for

ROLLED_BACK = "the load was rolled back and the target is unchanged"


@register("test_explodes")
@dataclass(frozen=True)
class Explodes(ColumnModel):
    """A column model that fails when asked for values: a failure inside generation."""

    kind: ClassVar[str] = "test_explodes"

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> Any:
        raise RuntimeError("this column cannot be generated")

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return np.full(len(values), 0.5)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop") / "shop.sqlite", seed=1, customers=60)


@pytest.fixture(scope="module")
def model(shop: Path) -> Model:
    return dbsynth.fit(f"sqlite:///{shop}")


def last_table(model: Model) -> str:
    return make_plan(model).tables[-1].table


def exploding(model: Model) -> Model:
    """The model with one column of the last table to load replaced by :class:`Explodes`, so
    generation fails after every other table was written."""
    key = last_table(model)
    table = model.table(key)
    victim = next(c for c in table.columns if c.role == "value" and c.model is not None)
    columns = tuple(replace(c, model={"kind": "test_explodes"}) if c is victim else c for c in table.columns)
    tables = tuple(replace(t, columns=columns) if t.table == key else t for t in model.tables)
    return replace(model, tables=tables)


# -- the target as it is: everything a load could change -------------------------------------------


@dataclass
class Target:
    kind: str
    url: str

    def snapshot(self) -> Any:
        if self.kind == "sqlite":
            path = Path(str(parse_url(self.url).database))
            return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
        if self.kind == "postgres":
            relations = rows_of(
                self.url,
                "SELECT n.nspname, c.relname, c.relkind FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN "
                "('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2",
            )
            types = rows_of(
                self.url, "SELECT typname FROM pg_type WHERE typnamespace = 'public'::regnamespace"
            )
            state = {}
            for schema, name, kind in relations:
                if kind in ("r", "S"):
                    what = (
                        "last_value, is_called"
                        if kind == "S"
                        else "md5(string_agg(t::text, ',' ORDER BY t::text))"
                    )
                    state[name] = rows_of(self.url, f'SELECT {what} FROM "{schema}"."{name}" t')
            return relations, sorted(types), state
        tables = [r[0] for r in rows_of(self.url, "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'")]
        return {t: rows_of(self.url, f"CHECKSUM TABLE `{t}`")[0][1] for t in tables}

    def tables(self) -> list[str]:
        if self.kind == "mariadb":
            return sorted(r[0] for r in rows_of(self.url, "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'"))
        raise NotImplementedError

    def count(self, table: str) -> int:
        return int(rows_of(self.url, f"SELECT count(*) FROM `{table}`")[0][0])


DIALECTS = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mysql),
    "sqlite",
]


@pytest.fixture(params=DIALECTS)
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Target]:
    kind = request.param
    if kind == "sqlite":
        yield Target(kind, f"sqlite:///{tmp_path / 'target.db'}")
    else:
        yield Target(kind, request.getfixturevalue("fresh_pg" if kind == "postgres" else "fresh_mysql"))


def mariadb_kept(tables: list[str]) -> str:
    return (
        "the rows were rolled back, but MariaDB commits CREATE TABLE at once: the empty tables "
        f"--create-schema made remain: {', '.join(tables)} (drop them, or run again without --create-schema)"
    )


def created_in_order(model: Model, names: set[str]) -> list[str]:
    return [t.name for t in model.schema.tables if t.name in names]


# -- a failure at each stage -------------------------------------------------------------------------


def test_a_failing_ddl_statement(model: Model, target: Target) -> None:
    """The DDL of --create-schema fails at its last table (which exists already)."""
    last = model.schema.tables[-1].name
    run(target.url, f"CREATE TABLE {last} (x integer); INSERT INTO {last} VALUES (1)")
    before, names = target.snapshot(), set(target.tables()) if target.kind == "mariadb" else set()
    with pytest.raises(TargetError) as err:
        dbsynth.generate(model, target.url, seed=1, create_schema=True)
    message = str(err.value)
    assert message.startswith("creating the target schema failed at statement ")
    if target.kind != "mariadb":
        assert message.endswith(f"; {ROLLED_BACK}")
        assert target.snapshot() == before
        return
    made = created_in_order(model, set(target.tables()) - names)
    assert made and last not in made
    assert message.endswith(f"; {mariadb_kept(made)}")
    assert [target.count(t) for t in made] == [0] * len(made)
    assert target.count(last) == 1


@pytest.mark.parametrize("create_schema", [True, False])
def test_a_failure_in_generation(model: Model, target: Target, create_schema: bool) -> None:
    """Generation raises at the last table, after every other table's rows were written; without
    --create-schema the target held rows, and --if-exists truncate had emptied it."""
    if not create_schema:
        dbsynth.generate(model, target.url, seed=1, create_schema=True)
    before, names = target.snapshot(), set(target.tables()) if target.kind == "mariadb" else set()
    with pytest.raises(GenerationError) as err:
        dbsynth.generate(
            exploding(model),
            target.url,
            seed=2,
            create_schema=create_schema,
            if_exists="fail" if create_schema else "truncate",
        )
    failure = "generation failed: RuntimeError: this column cannot be generated; "
    if target.kind == "mariadb" and create_schema:
        made = created_in_order(model, set(target.tables()) - names)
        assert len(made) == len(model.schema.tables)
        assert str(err.value) == failure + mariadb_kept(made)
        assert [target.count(t) for t in made] == [0] * len(made)
        return
    assert str(err.value) == failure + ROLLED_BACK
    assert target.snapshot() == before


TRIGGERS = {
    "postgres": (
        "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no rows here'; END $$ "
        "LANGUAGE plpgsql; "
        "CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()"
    ),
    "mariadb": (
        "CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW "
        "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'no rows here'"
    ),
    "sqlite": "CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'no rows here'); END",
}


def test_a_failing_copy_or_insert(model: Model, target: Target) -> None:
    """The target refuses the rows of the last table (a trigger the model does not know), after
    every other table was emptied (--if-exists truncate) and refilled."""
    dbsynth.generate(model, target.url, seed=1, create_schema=True)
    table = model.schema.table(last_table(model)).name
    run(target.url, TRIGGERS[target.kind].format(table=table))
    before = target.snapshot()
    with pytest.raises(TargetError) as err:
        dbsynth.generate(model, target.url, seed=2, if_exists="truncate")
    assert str(err.value).startswith(f"writing {last_table(model)} failed: ")
    assert "no rows here" in str(err.value)
    assert str(err.value).endswith(f"; {ROLLED_BACK}")
    assert target.snapshot() == before


@pytest.mark.postgres
def test_a_failing_sequence_reset(make_pg: Callable[[str], str]) -> None:
    """PostgreSQL resets sequences last, inside the transaction: a reset the sequence refuses
    (its MAXVALUE is below the new keys) rolls back the whole load. (SQLite's sqlite_sequence
    cannot be made to refuse; MariaDB moves AUTO_INCREMENT after COMMIT, where a refusal is a
    note, not a failure.)"""
    url = make_pg(
        "CREATE TABLE author (id serial PRIMARY KEY, name text);"
        "INSERT INTO author (name) VALUES ('a'), ('b');"
        "ALTER SEQUENCE author_id_seq MAXVALUE 5"
    )
    spec = spec_for(introspect(url), {"public.author": 2}, if_exists="truncate")
    before = Target("postgres", url).snapshot()
    batch = Batch("public.author", pd.DataFrame({"id": [10, 11], "name": ["x", "y"]}))
    with pytest.raises(TargetError) as err:
        load(url, spec, [batch])
    assert str(err.value) == (
        'finishing the load failed: setval: value 11 is out of bounds for sequence "author_id_seq" (1..5); '
        + ROLLED_BACK
    )
    assert Target("postgres", url).snapshot() == before


# -- interrupts --------------------------------------------------------------------------------------

CLI = [sys.executable, "-c", "from dbsynth.cli import main; main()"]


def _writing(target: Target, tables: int) -> bool:
    """True once the load's transaction has written rows (seen from another session)."""
    if target.kind == "sqlite":
        return Path(str(parse_url(target.url).database) + "-journal").exists()
    if target.kind == "postgres":
        database = parse_url(target.url).database
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL "
            "AND query LIKE 'COPY %%'"
        )
        import psycopg

        from dbsynth.writing.postgres import conninfo

        with psycopg.connect(conninfo(parse_url(target.url))) as conn:
            return bool(conn.execute(sql, (database,)).fetchone()[0])  # type: ignore[index]
    database = parse_url(target.url).database
    # The DDL runs (and commits) before the load's transaction starts, so once every table exists a
    # transaction that has modified rows is the load's. Its current statement is not asked for: between
    # two INSERTs it is NULL, and a fast load spends most of its time there.
    return bool(
        rows_of(
            target.url,
            "SELECT (SELECT count(*) FROM information_schema.TABLES "
            f"WHERE TABLE_SCHEMA = '{database}') = {tables} AND EXISTS ("
            "SELECT 1 FROM information_schema.INNODB_TRX x JOIN information_schema.PROCESSLIST p "
            f"ON p.ID = x.trx_mysql_thread_id WHERE p.DB = '{database}' AND x.trx_rows_modified > 0 "
            "AND coalesce(x.trx_query, '') NOT LIKE 'CREATE%' "
            "AND coalesce(x.trx_query, '') NOT LIKE 'ALTER%')",
        )[0][0]
    )


SIGNALS = {"SIGINT": (signal.SIGINT, 130, "Interrupted"), "SIGTERM": (signal.SIGTERM, 143, "Terminated")}
SIGNALS["SIGKILL"] = (signal.SIGKILL, -9, "")


@pytest.mark.parametrize("name", list(SIGNALS))
def test_an_interrupted_load_keeps_the_promise(
    model: Model, target: Target, tmp_path: Path, name: str
) -> None:
    """A CLI load into a fresh target (--create-schema) is stopped once rows are being written:
    one line on stderr naming what is left, the exit code of the signal, and the target as promised
    (for SQLite a target that held rows: --if-exists truncate)."""
    number, code, label = SIGNALS[name]
    path = tmp_path / "shop.model.json"
    model.save(path)
    # MariaDB's INSERTs are the fastest to finish: a longer load leaves time to see it writing.
    scale = "120" if target.kind == "mariadb" else "40"
    args = [*CLI, "generate", str(path), target.url, "--scale", scale, "--seed", "3", "--quiet"]
    if target.kind == "sqlite":
        dbsynth.generate(model, target.url, seed=1, create_schema=True)
        args += ["--if-exists", "truncate"]
    else:
        args += ["--create-schema"]
    before = target.snapshot()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not _writing(target, len(model.schema.tables)):
        assert proc.poll() is None, f"the load ended before it could be interrupted: {proc.communicate()}"
        assert time.monotonic() < deadline, "the load never started writing"
        time.sleep(0.05)
    os.kill(proc.pid, number)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    if target.kind == "mariadb":
        made = created_in_order(model, set(target.tables()))
        assert len(made) == len(model.schema.tables)
        assert lines[0] == (
            "MariaDB commits CREATE TABLE at once: if this load fails or is killed, the "
            f"{len(made)} table(s) --create-schema creates stay behind, empty ({', '.join(made)}); "
            "the rows are one transaction"
        )
        if label:
            assert lines[1:] == [f"{label}: {mariadb_kept(made)}"]
        assert [target.count(t) for t in made] == [0] * len(made)
        return
    if label:
        assert lines == [f"{label}: {ROLLED_BACK}"]
    if number == signal.SIGKILL and target.kind == "sqlite":
        # The killed process left a hot journal: the next connection rolls it back first.
        rows_of(target.url, "SELECT count(*) FROM sqlite_master")
    assert target.snapshot() == before
