"""Every example in examples/ runs exactly as its README says, and the docker files agree with it.

An example's commands are the ``sh`` blocks under its README's ``## Run it`` heading. They run
line by line with bash, in a copy of ``examples/`` (so models, reports and SQLite files land in a
temporary folder), with ``SOURCE_URL`` and ``TARGET_URL`` pointing at fresh databases on the test
servers; then the test checks what the README promises in those databases. Changing a README's
command changes what CI runs.

No container engine runs here: ``docker/compose.yml``, ``docker/Dockerfile`` and ``.dockerignore``
are checked for consistency with each other and with the repository, and the two dbsynth
commands of ``docker/README.md``'s "Try it" run against the test servers with the compose host
names mapped to them.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from fnmatch import fnmatch
from pathlib import Path
from types import ModuleType
from typing import Any

import click
import pytest
import sqlalchemy as sa
import yaml

from dbsynth.cli import cli

from conftest import _fresh_database, sa_url

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
DOCKER = REPO / "docker"
EXAMPLE_NAMES = ("mysql-shop-to-postgres-qa", "load-test-10x", "dev-sandbox-ci-gate")
REFERENCE_TABLES = ("countries", "currencies", "categories")
KEYS = {
    "countries": "code",
    "currencies": "code",
    "categories": "category_id",
    "products": "product_id",
    "customers": "customer_id",
    "orders": "order_id",
    "order_items": "order_id, line_no",
}


# -- reading the READMEs -------------------------------------------------------------------------


def section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``## ``."""
    parts = re.split(r"^## ", markdown, flags=re.MULTILINE)
    found = [p for p in parts if p.startswith(heading + "\n")]
    assert len(found) == 1, f"expected one '## {heading}' section"
    return found[0]


def fenced(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE)


def command_lines(text: str) -> list[str]:
    """The commands of the ``sh`` blocks of ``text``: one per line, comments left out."""
    lines = [line.strip() for block in fenced(text, "sh") for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def run_commands(example: str) -> list[str]:
    readme = (EXAMPLES / example / "README.md").read_text(encoding="utf-8")
    commands = command_lines(section(readme, "Run it"))
    assert commands, f"{example}/README.md has no commands under '## Run it'"
    return commands


# -- running them ---------------------------------------------------------------------------------


def run_example(example: str, tmp_path: Path, **urls: str) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run the example's README commands in a copy of examples/; returns each command's result
    (each must succeed). The interpreter running the tests comes first on PATH, so ``python`` and
    ``dbsynth`` are the ones installed with it."""
    shutil.copytree(EXAMPLES, tmp_path / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, **urls, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "COLUMNS": "200"}
    results = {}
    for command in run_commands(example):
        started = time.perf_counter()
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=tmp_path / "examples" / example,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        seconds = time.perf_counter() - started
        print(f"{example}: {seconds:5.1f} s  {command}")
        assert proc.returncode == 0, f"{command}\nexit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        results[command] = proc
    return results


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def count(url: str, table: str) -> int:
    return int(rows(url, f"SELECT count(*) FROM {table}")[0][0])


def plain(value: object) -> object:
    """A value as every dialect agrees on it: MariaDB's TINYINT(1) is PostgreSQL's boolean, and
    SQLite returns NUMERIC(10, 2) as a float or an integer (274.4 for 274.40, 84 for 84.00)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, Decimal | float | int):
        return format(Decimal(str(value)).normalize(), "f")
    return value


def table_rows(url: str, table: str) -> list[tuple[object, ...]]:
    return [tuple(plain(v) for v in r) for r in rows(url, f"SELECT * FROM {table} ORDER BY {KEYS[table]}")]


def column(url: str, table: str, name: str) -> set[Any]:
    return {r[0] for r in rows(url, f"SELECT {name} FROM {table} WHERE {name} IS NOT NULL")}


@pytest.fixture
def second_pg(pg_url: str) -> Iterator[str]:
    yield from _fresh_database(pg_url, "postgresql")


def load_sample_shop(url: str) -> None:
    loader = load_module(EXAMPLES / "sample-shop" / "load.py")
    loader.load(url)


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the examples -------------------------------------------------------------------------------


def test_every_example_is_listed_and_tested() -> None:
    folders = sorted(p.parent.name for p in EXAMPLES.glob("*/dbsynth.yaml"))
    assert folders == sorted(EXAMPLE_NAMES)
    index = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in EXAMPLE_NAMES:
        assert f"]({name}/)" in index
        assert (EXAMPLES / name / "README.md").is_file()


@pytest.mark.mysql
@pytest.mark.postgres
def test_mysql_shop_to_postgres_qa(fresh_mysql: str, fresh_pg: str, tmp_path: Path) -> None:
    source, target = fresh_mysql, fresh_pg
    results = run_example("mysql-shop-to-postgres-qa", tmp_path, SOURCE_URL=source, TARGET_URL=target)
    check = next(p for c, p in results.items() if c.startswith("dbsynth config check"))
    assert "dbsynth.yaml: valid for this database (3 tables to fit, 4 copied, 0 excluded)\n" in check.stderr

    for table in ("customers", "orders", "order_items"):
        assert count(target, table) == count(source, table)
    for table in (*REFERENCE_TABLES, "products"):  # copy: true, across dialects
        assert table_rows(target, table) == table_rows(source, table), table

    # The virtual foreign key: honoured in the rows, not created as a constraint.
    orphans = (
        "SELECT count(*) FROM orders o LEFT JOIN customers c USING (customer_id) WHERE c.customer_id IS NULL"
    )
    assert rows(target, orphans) == [(0,)]
    constraints = "SELECT conname FROM pg_constraint WHERE contype = 'f' AND conrelid = 'orders'::regclass"
    assert [r[0] for r in rows(target, constraints)] == ["orders_currency"]

    # Personal data, including the corrected verdict on gift notes, never reaches the target.
    assert not column(target, "customers", "email") & column(source, "customers", "email")
    assert not column(target, "customers", "phone") & column(source, "customers", "phone")
    notes = column(target, "orders", "gift_note")
    assert len(notes) > 100 and not notes & column(source, "orders", "gift_note")
    assert (tmp_path / "examples" / "mysql-shop-to-postgres-qa" / "report.html").stat().st_size > 0


@pytest.mark.postgres
def test_load_test_10x(fresh_pg: str, second_pg: str, tmp_path: Path) -> None:
    source, target = fresh_pg, second_pg
    results = run_example("load-test-10x", tmp_path, SOURCE_URL=source, TARGET_URL=target)
    folder = tmp_path / "examples" / "load-test-10x"
    assert '"tables"' in (folder / "shop.model.json").read_text(encoding="utf-8")
    dry = next(p for c, p in results.items() if c.endswith("--dry-run"))
    assert "dry run: nothing was written" in dry.stdout + dry.stderr
    assert "public.orders: 12,000 rows" in dry.stdout

    assert count(target, "products") == 300  # rows: 300 wins over --scale 10
    for table in ("customers", "orders", "order_items"):
        assert count(target, table) == 10 * count(source, table), table
    for table in REFERENCE_TABLES:
        assert table_rows(target, table) == table_rows(source, table), table
    used = rows(target, "SELECT count(DISTINCT product_id) FROM order_items")[0][0]
    assert used > 250  # the lines spread over the pinned catalogue


@pytest.mark.postgres
def test_dev_sandbox_ci_gate(fresh_pg: str, tmp_path: Path) -> None:
    source = fresh_pg
    results = run_example("dev-sandbox-ci-gate", tmp_path, SOURCE_URL=source)
    folder = tmp_path / "examples" / "dev-sandbox-ci-gate"
    sandbox = f"sqlite:///{folder / 'sandbox.db'}"

    for table in ("customers", "orders", "order_items"):
        assert count(sandbox, table) == count(source, table)
    for table in (*REFERENCE_TABLES, "products"):
        assert table_rows(sandbox, table) == table_rows(source, table), table
    assert not column(sandbox, "customers", "email") & column(source, "customers", "email")
    phones = column(sandbox, "customers", "phone")
    assert phones and all(re.fullmatch(r"\+1-555-01[0-9]{2}", p) for p in phones)
    assert not column(sandbox, "orders", "gift_note") & column(source, "orders", "gift_note")

    report = next(p for c, p in results.items() if c.startswith("dbsynth report"))
    score = float(re.search(r"Overall score (\d+\.\d)%", report.stdout).group(1))  # type: ignore[union-attr]
    print(f"dev-sandbox-ci-gate: overall score {score}%")
    assert score >= 80.0
    assert (folder / "report.html").stat().st_size > 0

    # The gate really gates: the same command with a bar the sandbox cannot reach exits 1.
    gate = subprocess.run(
        ["dbsynth", "report", source, sandbox, "--fail-under", "0.99", "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]},
    )
    assert gate.returncode == 1
    assert re.fullmatch(
        rf"Error: overall score {score}% is below --fail-under 99\.0%\n", gate.stderr.splitlines(True)[-1]
    )


def test_ci_snippet_runs_the_readme_commands() -> None:
    readme = (EXAMPLES / "dev-sandbox-ci-gate" / "README.md").read_text(encoding="utf-8")
    (snippet,) = fenced(section(readme, "Wiring it into CI"), "yaml")
    workflow = yaml.safe_load(snippet)
    steps = workflow["jobs"]["sandbox"]["steps"]
    ci_commands = [s["run"].strip() for s in steps if str(s.get("run", "")).startswith("dbsynth")]
    readme_commands = [c for c in run_commands("dev-sandbox-ci-gate") if c.startswith("dbsynth")]
    assert ci_commands == readme_commands
    assert "SOURCE_URL" in workflow["jobs"]["sandbox"]["env"]


# -- the sample shop ------------------------------------------------------------------------------


@pytest.mark.mysql
@pytest.mark.postgres
def test_sample_shop_dialects_hold_the_same_rows(fresh_pg: str, fresh_mysql: str) -> None:
    load_sample_shop(fresh_pg)
    load_sample_shop(fresh_mysql)
    expected = {
        "countries": 10,
        "currencies": 3,
        "categories": 8,
        "products": 120,
        "customers": 400,
        "orders": 1200,
        "order_items": 2382,
    }
    for table, n in expected.items():
        pg, maria = table_rows(fresh_pg, table), table_rows(fresh_mysql, table)
        assert len(pg) == n
        assert [tuple(map(str, r)) for r in pg] == [tuple(map(str, r)) for r in maria], table
    # The planted structure the READMEs describe.
    per_tier = dict(
        rows(
            fresh_pg,
            "SELECT tier, count(o.order_id)::float / count(DISTINCT c.customer_id) FROM customers c "
            "LEFT JOIN orders o USING (customer_id) GROUP BY tier",
        )
    )
    assert per_tier["gold"] > per_tier["premium"] > per_tier["basic"]
    notes = rows(
        fresh_pg,
        "SELECT count(DISTINCT gift_note), min(n) FROM "
        "(SELECT gift_note, count(*) OVER (PARTITION BY gift_note) AS n FROM orders "
        "WHERE gift_note IS NOT NULL) AS g",
    )
    assert notes == [(40, 6)]


@pytest.mark.postgres
def test_sample_shop_loader_errors(fresh_pg: str, capsys: pytest.CaptureFixture[str]) -> None:
    loader = load_module(EXAMPLES / "sample-shop" / "load.py")
    assert loader.main(["sqlite:///shop.db"]) == 1
    assert capsys.readouterr().err == (
        "Error: the sample shop is written for PostgreSQL and MariaDB/MySQL URLs, not 'sqlite'; "
        "for SQLite, `dbsynth demo --workdir DIR` builds the bundled example shop\n"
    )
    assert loader.main([fresh_pg]) == 0
    assert capsys.readouterr().out.startswith("Loaded the sample shop: 4123 rows (categories 8, countries 10")
    assert loader.main([fresh_pg]) == 1  # not empty any more
    shown = sa_url(fresh_pg).set(drivername="postgresql").render_as_string(hide_password=True)
    assert capsys.readouterr().err == (
        f'Error: loading the sample shop into {shown} failed: relation "countries" already exists\n'
    )


# -- docker/ --------------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load((DOCKER / "compose.yml").read_text(encoding="utf-8"))


def demo_urls() -> dict[str, str]:
    """URL of each demo database as seen from the dbsynth container -> the service name."""
    urls = {}
    for name, service in compose()["services"].items():
        env = service.get("environment", {})
        if "demo" not in service.get("profiles", []):
            continue
        if service["image"].startswith("postgres:"):
            urls[f"postgresql://{env['POSTGRES_USER']}@{name}/{env['POSTGRES_DB']}"] = name
        else:
            urls[f"mysql://root@{name}/{env['MARIADB_DATABASE']}"] = name
    return urls


def test_compose_demo_services() -> None:
    services = compose()["services"]
    assert "profiles" not in services["postgres"] and "profiles" not in services["mariadb"]
    assert set(demo_urls().values()) == {"source", "source-mariadb", "target"}
    ports = []
    for name in ("source", "source-mariadb", "target"):
        service = services[name]
        assert service["image"] in ("postgres:15", "mariadb:10.11")
        assert "healthcheck" in service
        (port,) = service["ports"]
        assert port.startswith("127.0.0.1:")
        ports.append(port.split(":")[1])
        for volume in service.get("volumes", []):
            host, inside, mode = volume.split(":")
            assert (DOCKER / host).resolve().is_file(), volume
            assert inside.startswith("/docker-entrypoint-initdb.d/") and mode == "ro"
    assert len(set(ports)) == 3 and not set(ports) & {"5432", "3306"}  # beside the test servers

    dbsynth = services["dbsynth"]
    assert dbsynth["profiles"] == ["cli"]
    assert "depends_on" not in dbsynth  # a dependency in another profile is an error for `run`
    assert (DOCKER / dbsynth["build"]["context"] / dbsynth["build"]["dockerfile"]).resolve() == (
        DOCKER / "Dockerfile"
    )
    (examples,) = dbsynth["volumes"]
    assert (DOCKER / examples.split(":")[0]).resolve() == EXAMPLES


def dockerignore_keeps(path: str) -> bool:
    """Whether the build context keeps ``path``: the last matching rule of .dockerignore wins,
    and a rule matching a folder matches what is inside it."""
    keep = True
    rules = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    prefixes = [str(Path(*Path(path).parts[: i + 1])) for i in range(len(Path(path).parts))]
    for rule in (r.strip() for r in rules):
        if not rule or rule.startswith("#"):
            continue
        negated, pattern = rule.startswith("!"), rule.lstrip("!").rstrip("/")
        if any(fnmatch(p, pattern) or fnmatch(p, pattern.removeprefix("**/")) for p in prefixes):
            keep = negated
    return keep


def test_dockerfile_installs_dbsynth_from_the_context() -> None:
    text = (DOCKER / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert instructions[0] == "FROM python:3.11-slim"
    assert 'ENTRYPOINT ["dbsynth"]' in instructions
    copied = [src for line in instructions if line.startswith("COPY ") for src in line.split()[1:-1]]
    assert set(copied) == {"pyproject.toml", "README.md", "dbsynth"}
    for src in copied:
        assert (REPO / src).exists() and dockerignore_keeps(src), src
    assert dockerignore_keeps("dbsynth/data/shop.sql")  # package data is installed too
    for unwanted in (".git/config", "tests/conftest.py", "examples/README.md", "dbsynth/__pycache__/x.pyc"):
        assert not dockerignore_keeps(unwanted), unwanted


def compose_dbsynth_args(line: str) -> list[str] | None:
    """The dbsynth arguments of ``docker compose ... run [options] dbsynth ARGS``, else None."""
    words = shlex.split(line)
    if words[:2] != ["docker", "compose"] or "run" not in words:
        return None
    rest = words[words.index("run") + 1 :]
    return rest[rest.index("dbsynth") + 1 :]


def parse_dbsynth(args: list[str]) -> click.Context:
    """Parse dbsynth's arguments as click would, without running the command."""
    ctx = cli.make_context("dbsynth", list(args))
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None, args
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    return ctx


def test_docker_readme_commands_parse_and_name_demo_databases() -> None:
    readme = (DOCKER / "README.md").read_text(encoding="utf-8")
    lines = command_lines(readme)
    assert lines[:1] == ["docker compose -f docker/compose.yml --profile demo up -d --wait"]
    urls = demo_urls()
    runs = [args for args in map(compose_dbsynth_args, lines) if args is not None]
    assert len(runs) >= 4
    for args in runs:
        parse_dbsynth(args)
        named = [a for a in args if "://" in a]
        assert named and set(named) <= set(urls), named
        configs = [args[i + 1] for i, a in enumerate(args) if a == "--config"]
        assert all((EXAMPLES / c.removeprefix("/examples/")).is_file() for c in configs), configs
    services = compose()["services"]
    for url, name in urls.items():  # the host-side URL of each demo database is in the table
        host_port = services[name]["ports"][0].split(":")[1]
        scheme, rest = url.split("://")
        user, database = rest.split("@")[0], rest.split("/")[-1]
        assert f"`{scheme}://{user}@127.0.0.1:{host_port}/{database}`" in readme


@pytest.mark.postgres
def test_docker_try_it_commands_run_against_the_test_servers(fresh_pg: str, second_pg: str) -> None:
    load_sample_shop(fresh_pg)
    mapping = {
        "postgresql://postgres@source/shop": fresh_pg,
        "postgresql://postgres@target/qa": second_pg,
    }
    readme = (DOCKER / "README.md").read_text(encoding="utf-8")
    try_it = command_lines(section(readme, "Try it: three commands"))
    runs = [args for args in map(compose_dbsynth_args, try_it) if args]
    assert [args[0] for args in runs] == ["clone", "report"]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    for args in runs:
        args = [mapping.get(a, a.replace("/examples/", f"{EXAMPLES}/", 1)) for a in args]
        proc = subprocess.run(["dbsynth", *args], capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 0, f"{args}\n{proc.stdout}\n{proc.stderr}"
    assert count(second_pg, "customers") == 400
    assert not column(second_pg, "customers", "email") & column(fresh_pg, "customers", "email")
