"""Generation on the bundled example shop: determinism, scaling, the plan, and bad input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dbsynth import Model, fit, generate
from dbsynth.cli import cli
from dbsynth.examples import SHOP_TABLES, build_shop

from conftest import _fresh_database, sa_url


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("shop") / "shop.sqlite", seed=1, customers=300)


@pytest.fixture(scope="module")
def shop_model(shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "shop.json"
    fit(f"sqlite:///{shop}").save(path)
    return path


def dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY 1, 2').fetchall() for t in SHOP_TABLES}
    finally:
        conn.close()


def test_same_seed_same_bytes_other_seed_other_rows(shop_model: Path, tmp_path: Path) -> None:
    paths = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        db = tmp_path / f"{name}.db"
        generate(shop_model, f"sqlite:///{db}", seed=seed, create_schema=True)
        paths.append(db)
    a, b, c = (dump(p) for p in paths)
    assert a == b
    assert a != c
    assert all(len(a[t]) == len(c[t]) for t in SHOP_TABLES)  # same plan, other values


def test_foreign_keys_hold_in_sqlite(shop_model: Path, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    generate(shop_model, f"sqlite:///{db}", seed=1, scale=2, create_schema=True)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


def test_rows_override_brings_children_along(shop_model: Path) -> None:
    model = Model.load(shop_model)
    plan = generate(model, "memory://", rows={"customers": 1000}, dry_run=True).plan
    orders = plan.table("orders")
    per_customer = model.relationship(model.table("orders").driving_fk or "").mean_children
    assert plan.table("customers").rows == 1000
    assert orders.rows == pytest.approx(1000 * per_customer, rel=0.05)


def test_dry_run_prints_the_plan_and_writes_nothing(shop_model: Path, tmp_path: Path) -> None:
    db = tmp_path / "never.db"
    result = CliRunner().invoke(
        cli, ["generate", str(shop_model), f"sqlite:///{db}", "--dry-run", "--create-schema", "--scale", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "customers:" in result.output and "dry run: nothing was written" in result.output
    assert not db.exists()


# -- bad input: one line, exit 1, target unchanged --------------------------------------------


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    lines = result.output.strip().splitlines()
    return result.exit_code, lines[-1] if lines else ""


def test_model_from_another_version(shop_model: Path, tmp_path: Path) -> None:
    data = json.loads(shop_model.read_text())
    data["format"] = 99
    bad = tmp_path / "future.json"
    bad.write_text(json.dumps(data))
    code, line = _run("generate", str(bad), f"sqlite:///{tmp_path / 't.db'}", "--create-schema")
    assert code == 1
    assert line == (
        f"Error: model file '{bad}' has model format 99, this dbsynth reads format 1; "
        "fit the model again with this version"
    )
    assert not (tmp_path / "t.db").exists()


def test_corrupted_model(shop_model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "cut.json"
    bad.write_text(shop_model.read_text()[:500])
    code, line = _run("generate", str(bad), f"sqlite:///{tmp_path / 't.db'}", "--create-schema")
    assert code == 1
    assert line.startswith(f"Error: model file '{bad}' is corrupted: ")


def test_unknown_table_in_rows(shop_model: Path, tmp_path: Path) -> None:
    code, line = _run(
        "generate",
        str(shop_model),
        f"sqlite:///{tmp_path / 't.db'}",
        "--create-schema",
        "--rows",
        "custmers=10",
    )
    assert (code, line) == (1, "Error: unknown table 'custmers'. Did you mean 'customers'?")
    assert not (tmp_path / "t.db").exists()


def test_negative_scale(shop_model: Path, tmp_path: Path) -> None:
    code, line = _run("generate", str(shop_model), f"sqlite:///{tmp_path / 't.db'}", "--scale", "-1")
    assert (code, line) == (1, "Error: --scale must be a non-negative number, got -1")


def test_non_empty_target_needs_if_exists(shop_model: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    generate(shop_model, f"sqlite:///{db}", seed=1, create_schema=True)
    before = dump(db)
    code, line = _run("generate", str(shop_model), f"sqlite:///{db}", "--seed", "2")
    assert code == 1
    assert "not empty" in line and "--if-exists" in line
    assert dump(db) == before
    code, _ = _run("generate", str(shop_model), f"sqlite:///{db}", "--seed", "2", "--if-exists", "truncate")
    assert code == 0
    assert dump(db) != before


def test_target_without_create_permission(shop_model: Path, make_pg: Callable[[str], str]) -> None:
    url = make_pg("SELECT 1")
    admin = sa.create_engine(sa_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    role = "dbsynth_no_create"
    with admin.connect() as c:
        c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        c.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
        c.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    try:
        as_role = sa_url(url).set(username=role).render_as_string(hide_password=False)
        code, line = _run("generate", str(shop_model), as_role, "--create-schema")
        assert code == 1
        assert line.startswith("Error: ") and "permission" in line.lower()
        with admin.connect() as c:
            tables = c.exec_driver_sql(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).scalar_one()
        assert tables == 0
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f"DROP OWNED BY {role}")
            c.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_line_numbers_count_within_their_parent(make_pg: Callable[[str], str], pg_url: str) -> None:
    """A composite key (order_id, line_no) numbers lines 1, 2, ... per order, so a CHECK on the
    line number holds in a clone twice the size."""
    source = make_pg(
        "CREATE TABLE orders (id int PRIMARY KEY, placed date NOT NULL);"
        "CREATE TABLE lines (order_id int NOT NULL REFERENCES orders, line_no int NOT NULL"
        " CHECK (line_no BETWEEN 1 AND 3), qty int NOT NULL, PRIMARY KEY (order_id, line_no));"
        "INSERT INTO orders SELECT g, date '2024-01-01' + g FROM generate_series(1, 200) g;"
        "INSERT INTO lines SELECT o, l, 1 + mod(o * l, 5) FROM generate_series(1, 200) o,"
        " generate_series(1, 3) l WHERE l <= 1 + mod(o, 3);"
    )
    target = _fresh_database(pg_url, "postgresql")
    url = next(target)
    try:
        generate(fit(source), url, scale=2, seed=4, create_schema=True)
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        with engine.connect() as conn:
            lines = conn.exec_driver_sql("SELECT min(line_no), max(line_no), count(*) FROM lines").one()
        engine.dispose()
    finally:
        target.close()
    assert lines[0] == 1 and lines[1] <= 3 and lines[2] > 0
