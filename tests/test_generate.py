"""Generation on the bundled example shop: determinism, scaling, options, the plan, and bad input."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import dbsynth
from dbsynth import GenerateOptions, Model, Plan, UsageError, clone, fit, generate
from dbsynth.cli import cli
from dbsynth.examples import SHOP_TABLES, build_shop
from dbsynth.serde import from_data, to_data
from dbsynth.writing.memory import MemoryTarget

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


# -- options: one definition, checked before anything is opened --------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"seed": -1}, "--seed must be a whole number from 0 to 2**63 - 1, got -1"),
        ({"seed": 2**63}, "--seed must be a whole number from 0 to 2**63 - 1, got 9223372036854775808"),
        ({"scale": float("nan")}, "--scale must be a non-negative number, got nan"),
        ({"chunk_rows": 0}, "--chunk-rows must be at least 1, got 0"),
        ({"rows": {"customers": -3}}, "--rows customers must be at least 0, got -3"),
        ({"if_exists": "replace"}, "--if-exists must be one of fail, truncate, append, got 'replace'"),
        ({"sclae": 2}, "generate() has no option 'sclae'. Did you mean 'scale'?"),
    ],
)
def test_bad_options_fail_before_the_target_is_touched(
    shop_model: Path, tmp_path: Path, options: dict[str, object], message: str
) -> None:
    """Before: seed=-1 failed inside the generation thread, after the target was opened."""
    db = tmp_path / "t.db"
    with pytest.raises(UsageError) as err:
        generate(shop_model, f"sqlite:///{db}", create_schema=True, **options)  # type: ignore[arg-type]
    assert str(err.value) == message
    assert not db.exists()


def test_cli_seed_out_of_range(shop_model: Path, tmp_path: Path) -> None:
    code, line = _run("generate", str(shop_model), f"sqlite:///{tmp_path / 't.db'}", "--seed", "-1")
    assert (code, line) == (1, "Error: --seed must be a whole number from 0 to 2**63 - 1, got -1")
    assert not (tmp_path / "t.db").exists()


def test_options_object_and_keywords(shop_model: Path) -> None:
    options = GenerateOptions(scale=0.5, seed=9, dry_run=True)
    a = generate(shop_model, "memory://", options=options).plan
    b = generate(shop_model, "memory://", scale=0.5, seed=9, dry_run=True).plan
    c = generate(shop_model, "memory://", options=options, seed=10).plan  # keywords win
    assert a == b
    assert (c.seed, c.scale) == (10, 0.5)


def test_clone_takes_every_fit_option(shop: Path) -> None:
    """Before: clone() had no ``where`` (its keyword list had drifted from fit's)."""
    source = f"sqlite:///{shop}"
    full = fit(source, seed=1)
    result = clone(source, MemoryTarget(), where={"customers": "customer_id <= 100"}, seed=1, dry_run=True)
    assert result.model.table("customers").row_count == 100 < full.table("customers").row_count


# -- the plan: made once, printed and executed as the same object -------------------------------


@pytest.fixture(scope="module")
def cycle_model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    """store.manager_id → staff and staff.store_id → store: the nullable key is the cut one."""
    path = tmp_path_factory.mktemp("cycle") / "cycle.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE store (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " manager_id INTEGER REFERENCES staff(id));"
        "CREATE TABLE staff (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " store_id INTEGER NOT NULL REFERENCES store(id));"
    )
    conn.executemany("INSERT INTO store VALUES (?, ?, NULL)", [(i, f"store {i}") for i in range(1, 11)])
    conn.executemany("INSERT INTO staff VALUES (?, ?, ?)", [(i, f"p{i}", 1 + i % 10) for i in range(1, 61)])
    conn.execute("UPDATE store SET manager_id = id * 6")
    conn.commit()
    conn.close()
    return fit(f"sqlite:///{path}")


def _dry_run(model: Model, target: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "cycle.model.json"
    model.save(path)
    result = CliRunner().invoke(cli, ["generate", str(path), target, "--dry-run", "--seed", "3"])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_dry_run_into_files_shows_the_direct_write(cycle_model: Model, tmp_path: Path) -> None:
    """Before: the dry run printed "NULL then UPDATE" for a directory, which the run never did."""
    lines = _dry_run(cycle_model, str(tmp_path / "out"), tmp_path)
    assert lines[1] == (
        "  store: 10 rows in 1 chunk(s) "
        "(written directly, the target cannot UPDATE: store(manager_id); numbered: id)"
    )
    assert lines[3] == (
        "  cycle cut: store.manager_id is nullable, but the target cannot UPDATE: its values are "
        "written directly (nothing checks them while loading)"
    )
    assert not any("UPDATE:" in line and "NULL then" in line for line in lines)
    into_db = _dry_run(cycle_model, f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
    assert into_db[1] == "  store: 10 rows in 1 chunk(s) (NULL then UPDATE: store(manager_id); numbered: id)"
    assert not (tmp_path / "out").exists() and not (tmp_path / "x.db").exists()


class NoUpdates(MemoryTarget):
    """Memory that, like a directory of files, cannot UPDATE."""

    supports_updates = False


def test_the_run_does_what_the_dry_run_printed(cycle_model: Model, tmp_path: Path) -> None:
    planned = generate(cycle_model, NoUpdates(), seed=3, dry_run=True).plan
    target = NoUpdates()
    ran = generate(cycle_model, target, seed=3)
    assert ran.plan == planned and ran.plan.describe() == planned.describe()
    assert [item.kind for item in target.loads[0].items] == ["batch", "batch"]  # no UPDATE
    assert target.frame("store")["manager_id"].notna().any()
    files = generate(cycle_model, tmp_path / "out", seed=3)
    assert files.plan.describe() == planned.describe()


def test_a_plan_for_a_database_is_refused_by_a_target_that_cannot_update(cycle_model: Model) -> None:
    made = dbsynth.plan(cycle_model)
    with pytest.raises(UsageError) as err:
        generate(cycle_model, NoUpdates(), plan=made)
    assert str(err.value) == (
        "the plan sets store(manager_id) by UPDATE after the load, which the target cannot do "
        "(memory://); make the plan for this target: dbsynth.plan(model, target)"
    )


def test_generate_runs_exactly_the_plan_it_is_given(shop_model: Path) -> None:
    model = Model.load(shop_model)
    made = dbsynth.plan(model, "memory://", rows={"customers": 17}, scale=0.5, seed=4)
    parents = {r.parent for r in model.relationships}
    leaf = next(t.table for t in made.tables if t.table not in parents and t.rows)
    edited = replace(made, tables=tuple(replace(t, rows=123) if t.table == leaf else t for t in made.tables))
    target = MemoryTarget()
    result = generate(model, target, plan=edited)
    assert result.plan is edited
    assert {k: len(v) for k, v in target.frames().items()} == {t.table: t.rows for t in edited.tables}
    assert len(target.frame(leaf)) == 123 and len(target.frame("customers")) == 17


def test_a_plan_round_trips_and_prints_the_same(shop_model: Path, cycle_model: Model) -> None:
    for model, target in ((Model.load(shop_model), "memory://"), (cycle_model, NoUpdates())):
        made = dbsynth.plan(model, target, scale=2, seed=1)
        again = from_data(Plan, json.loads(json.dumps(to_data(made))))
        assert again == made
        assert again.describe() == made.describe()
        into = MemoryTarget() if target == "memory://" else NoUpdates()
        assert generate(model, into, plan=again).plan is again


def test_a_given_plan_is_not_mixed_with_planning_options(shop_model: Path) -> None:
    made = dbsynth.plan(shop_model, "memory://")
    with pytest.raises(UsageError) as err:
        generate(shop_model, "memory://", plan=made, scale=2)
    assert str(err.value) == (
        "generate(): the plan already fixes scale; pass it to dbsynth.plan() instead of with plan="
    )
