"""``dbsynth fit`` on every shared dataset: it succeeds, round-trips, leaks nothing personal and
keeps no rare category; the source is provably untouched; bad input gets one clear line."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dbsynth.cli import cli
from dbsynth.fitting.fit import fit
from dbsynth.model import Model
from dbsynth.report.privacy import distinctive

from conftest import DATASET_INFO, sa_url, with_database

# Personal-data columns present in the datasets: (dataset, table, column), searched in the model.
PERSONAL = {
    "chinook": [("customer", c) for c in ("first_name", "last_name", "email", "phone", "address", "company")]
    + [("employee", c) for c in ("first_name", "last_name", "email", "phone", "address")],
    "chinook_mysql": [("Customer", c) for c in ("FirstName", "LastName", "Email", "Phone", "Address")]
    + [("Employee", c) for c in ("FirstName", "LastName", "Email", "Phone")],
    "pagila": [("customer", c) for c in ("first_name", "last_name", "email")]
    + [
        ("actor", "first_name"),
        ("actor", "last_name"),
        ("staff", "email"),
        ("address", "phone"),
        ("address", "address"),
    ],
    "sakila_pg": [("customer", c) for c in ("first_name", "last_name", "email")] + [("address", "phone")],
    "sakila_mysql": [("customer", c) for c in ("first_name", "last_name", "email")] + [("address", "phone")],
    "northwind": [("customers", c) for c in ("contact_name", "phone", "address")]
    + [("employees", c) for c in ("first_name", "last_name", "home_phone", "address")],
    "world": [],
}


@pytest.fixture(scope="module")
def models(dataset_url: Callable[[str], str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    runner = CliRunner()
    for name in DATASET_INFO:
        path = tmp_path_factory.mktemp("models") / f"{name}.json"
        result = runner.invoke(cli, ["fit", dataset_url(name), "-o", str(path), "--sample-rows", "20000"])
        assert result.exit_code == 0, result.output
        out[name] = path
    return out


@pytest.mark.parametrize("name", list(DATASET_INFO))
def test_fit_every_dataset_round_trips(models: dict[str, Path], name: str) -> None:
    model = Model.load(models[name])
    assert len(model.tables) == DATASET_INFO[name][2]
    again = Model.from_data(json.loads(model.to_json()))
    assert again == model
    assert again.to_json() == models[name].read_text(encoding="utf-8")


def _values(url: str, table: str, column: str) -> list[str]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    q = '"' if url.startswith("postgres") else "`"
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"SELECT DISTINCT {q}{column}{q} FROM {q}{table}{q}").all()
    finally:
        engine.dispose()
    return [str(r[0]) for r in rows if r[0] is not None]


@pytest.mark.parametrize("name", [n for n in DATASET_INFO if PERSONAL[n]])
def test_model_holds_no_personal_value(
    models: dict[str, Path], dataset_url: Callable[[str], str], name: str
) -> None:
    text = models[name].read_text(encoding="utf-8")
    data = json.loads(text)
    strings = set(_strings(data))
    checked = 0
    for table, column in PERSONAL[name]:
        for value in _values(dataset_url(name), table, column):
            if not value.strip():  # a blank is no one's data
                continue
            checked += 1
            assert value not in strings, f"{table}.{column} value {value!r} is in the model"
            # Inside a longer string, a value that betrays its source there (the report's rule)
            # or a name of two words or more counts; one common word is a coincidence ('Edward'
            # inside a composer list seen on dozens of tracks).
            if distinctive(value) or len(value.split()) >= 2:
                assert value not in text, f"{table}.{column} value {value!r} appears in the model text"
    assert checked > 100


def _strings(data: object) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for v in data.values() for s in _strings(v)] + [str(k) for k in data]
    if isinstance(data, list):
        return [s for v in data for s in _strings(v)]
    return []


@pytest.mark.parametrize("name", ["pagila", "chinook", "sakila_mysql", "northwind"])
def test_no_category_below_min_count(
    models: dict[str, Path], dataset_url: Callable[[str], str], name: str
) -> None:
    """Every category value kept by a model occurs at least 5 times in its source column."""
    model = Model.load(models[name])
    checked = 0
    for t in model.tables:
        table = model.schema.table(t.table)
        for c in t.columns:
            if not c.model or c.model.get("kind") != "categorical":
                continue
            counts: dict[str, int] = {}
            for v in _all_values(dataset_url(name), table.name, c.name):
                counts[v] = counts.get(v, 0) + 1
            for kept in c.model.get("values", []):
                checked += 1
                assert counts.get(_text(kept), 0) >= 5, (t.table, c.name, kept)
    assert checked > 0


def _text(v: object) -> str:
    """One spelling per value across the model (JSON floats) and the driver (Decimal('0.00'))."""
    if isinstance(v, bool):
        return str(v)
    try:
        return format(float(str(v)), ".10g")
    except ValueError:
        return str(v)


def _all_values(url: str, table: str, column: str) -> list[str]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    q = '"' if url.startswith("postgres") else "`"
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"SELECT {q}{column}{q} FROM {q}{table}{q}").all()
    finally:
        engine.dispose()
    return [_text(r[0]) for r in rows if r[0] is not None]


def test_fit_as_select_only_role_writes_nothing(dataset_url: Callable[[str], str], pg_url: str) -> None:
    """A role with SELECT rights only, read-only by default, fits pagila; the server's own
    counters show no row inserted, updated or deleted and no temp table."""
    admin = sa.create_engine(sa_url(with_database(pg_url, "pagila")), isolation_level="AUTOCOMMIT")
    role = "dbsynth_fit_reader"
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        c.exec_driver_sql(f"ALTER ROLE {role} SET default_transaction_read_only = on")
        c.exec_driver_sql(f"GRANT CONNECT ON DATABASE pagila TO {role}")
        c.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {role}")
        c.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}")
        c.exec_driver_sql(f"REVOKE TEMP ON DATABASE pagila FROM PUBLIC, {role}")

    def counters() -> tuple[int, ...]:
        with admin.connect() as c:
            c.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            return tuple(
                c.exec_driver_sql(
                    "SELECT coalesce(sum(n_tup_ins),0), coalesce(sum(n_tup_upd),0), "
                    "coalesce(sum(n_tup_del),0) FROM pg_stat_user_tables"
                ).one()
            )

    try:
        before = counters()
        url = sa_url(with_database(pg_url, "pagila")).set(username=role).render_as_string(hide_password=False)
        model = fit(url, sample_rows=2000)
        assert len(model.tables) == 15
        time.sleep(0.6)  # statistics are flushed by the backend at most every 500 ms
        assert counters() == before
    finally:
        with admin.connect() as c:
            c.exec_driver_sql("GRANT TEMP ON DATABASE pagila TO PUBLIC")
            c.exec_driver_sql(f"DROP OWNED BY {role}")
            c.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


# -- bad input -------------------------------------------------------------------------------


def test_unknown_table_did_you_mean(dataset_url: Callable[[str], str], tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    result = CliRunner().invoke(cli, ["fit", dataset_url("pagila"), "--table", "custmer", "-o", str(out)])
    assert result.exit_code == 1
    assert (
        result.output.strip().splitlines()[-1] == "Error: unknown table 'custmer'. Did you mean 'customer'?"
    )
    assert not out.exists()


def test_sample_rows_zero(dataset_url: Callable[[str], str], tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["fit", dataset_url("world"), "--sample-rows", "0", "-o", str(tmp_path / "m")]
    )
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "Error: --sample-rows must be at least 1, got 0"


def test_unwritable_output(dataset_url: Callable[[str], str], tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "m.json"
    result = CliRunner().invoke(cli, ["fit", dataset_url("world"), "-o", str(missing)])
    assert result.exit_code == 1
    assert (
        result.output.strip().splitlines()[-1]
        == f"Error: --output: directory '{missing.parent}' does not exist"
    )


def test_source_dropping_mid_read_leaves_no_model(
    make_pg: Callable[[str], str], pg_url: str, tmp_path: Path
) -> None:
    url = make_pg(
        "CREATE TABLE big (id int PRIMARY KEY, pad text);"
        "INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 1500000) g;"
    )
    database = sa_url(url).database
    stop = threading.Event()

    def killer() -> None:
        admin = sa.create_engine(sa_url(pg_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as c:
            while not stop.is_set():
                killed = c.exec_driver_sql(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    f"WHERE datname = '{database}' AND state = 'active' AND query ILIKE '%%big%%' "
                    "AND pid <> pg_backend_pid()"
                ).scalar_one()
                if killed:
                    return
                time.sleep(0.01)
        admin.dispose()

    out = tmp_path / "m.json"
    thread = threading.Thread(target=killer)
    thread.start()
    try:
        result = CliRunner().invoke(cli, ["fit", url, "-o", str(out), "--sample-rows", "1000000"])
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith("Error: lost the connection to ")
    assert "while reading table public.big" in result.output
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []
