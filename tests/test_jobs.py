"""``jobs``: generation in a second process writes exactly the rows of a one-process run, and a
failure on either side still leaves the target as it was."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import dbsynth
from dbsynth.cli import cli
from dbsynth.errors import GenerationError, TargetError
from dbsynth.examples import build_shop
from dbsynth.generation.table import TableGenerator
from dbsynth.model import Model
from dbsynth.parallel import effective_jobs

from helpers_sinks import rows_of, run

pytestmark = pytest.mark.postgres
SEED = 7


def _checksums(url: str, tables: list[str]) -> dict[str, tuple[int, str]]:
    """Rows and an md5 of every table's rows in a fixed order: equal means byte-identical."""
    out = {}
    for key in tables:
        name = ".".join(f'"{p}"' for p in key.split("."))
        digest_sql = "md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), ''))"
        ((count, digest),) = rows_of(url, f"SELECT count(*), {digest_sql} FROM {name} t")
        out[key] = (count, digest)
    return out


def _same_rows_with_two_jobs(model: Model, url: str) -> None:
    tables = [t.table for t in model.tables]
    one = dbsynth.generate(model, url, seed=SEED, scale=3, create_schema=True, jobs=1)
    first = _checksums(url, tables)
    two = dbsynth.generate(model, url, seed=SEED, scale=3, if_exists="truncate", jobs=2)
    assert two.rows == one.rows
    assert sum(one.rows.values()) > 0
    assert _checksums(url, tables) == first


@pytest.fixture(scope="module")
def shop_model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    path = build_shop(tmp_path_factory.mktemp("shop") / "shop.db")
    return dbsynth.fit(f"sqlite:///{path}", seed=SEED)


def test_shop_at_scale_3_is_the_same_with_two_jobs(shop_model: Model, fresh_pg: str) -> None:
    _same_rows_with_two_jobs(shop_model, fresh_pg)


def test_pagila_at_scale_3_is_the_same_with_two_jobs(
    dataset_url: Callable[[str], str], fresh_pg: str
) -> None:
    # pagila's store <-> staff cycle is written NULL and UPDATEd: Updates cross the pipe too
    _same_rows_with_two_jobs(dbsynth.fit(dataset_url("pagila"), seed=SEED), fresh_pg)


def test_jobs_default_to_the_cores() -> None:
    assert effective_jobs(1) == 1
    assert effective_jobs(None) == (multiprocessing.cpu_count() or 1)


def test_a_failing_write_stops_the_generating_process(shop_model: Model, fresh_pg: str) -> None:
    dbsynth.generate(
        shop_model, fresh_pg, rows=dict.fromkeys([t.table for t in shop_model.tables], 0), create_schema=True
    )
    run(fresh_pg, "ALTER TABLE order_items ADD CONSTRAINT few CHECK (qty < 2)")
    with pytest.raises(TargetError) as err:
        dbsynth.generate(shop_model, fresh_pg, seed=SEED, scale=3, jobs=2)
    assert str(err.value).startswith("writing order_items failed: ")
    assert 'violates check constraint "few"' in str(err.value)
    assert str(err.value).endswith("the load was rolled back and the target is unchanged")
    assert rows_of(fresh_pg, "SELECT count(*) FROM customers") == [(0,)]
    assert multiprocessing.active_children() == []


def test_a_generation_error_reads_the_same_with_two_jobs(
    shop_model: Model, fresh_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = TableGenerator.batches

    def failing(self: TableGenerator) -> Iterator[Any]:
        if self.tp.table == "orders":
            raise ValueError("no orders today")
        yield from real(self)

    monkeypatch.setattr(TableGenerator, "batches", failing)
    messages = []
    for jobs in (1, 2):
        with pytest.raises(GenerationError) as err:
            dbsynth.generate(shop_model, fresh_pg, seed=SEED, create_schema=True, jobs=jobs)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert messages[1] == (
        "generation failed: ValueError: no orders today; the load was rolled back and the target is unchanged"
    )
    # --create-schema was rolled back too
    assert rows_of(fresh_pg, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    assert multiprocessing.active_children() == []


def test_the_file_target_gets_the_same_rows(shop_model: Model, tmp_path: Path) -> None:
    for jobs in (1, 2):
        dbsynth.generate(shop_model, tmp_path / str(jobs), seed=SEED, scale=3, jobs=jobs)
    for one in sorted((tmp_path / "1").iterdir()):
        assert (tmp_path / "2" / one.name).read_bytes() == one.read_bytes()


def test_the_command_line_takes_jobs(shop_model: Model, tmp_path: Path) -> None:
    path = tmp_path / "shop.model.json"
    shop_model.save(path)
    bad = CliRunner().invoke(cli, ["generate", str(path), str(tmp_path / "out"), "--jobs", "0"])
    assert bad.exit_code == 1
    assert bad.output.strip().endswith("--jobs must be at least 1, got 0")
    good = CliRunner().invoke(cli, ["generate", str(path), str(tmp_path / "out"), "--jobs", "2", "--quiet"])
    assert good.exit_code == 0, good.output
    assert (tmp_path / "out" / "orders.csv").exists()
