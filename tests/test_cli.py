"""The ``dbsynth`` command line: inspect in three formats on SQLite, PostgreSQL and MariaDB, the
demo, and the error policy (exact one-line messages, exit codes, no password in any output)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

import dbsynth
import dbsynth.cli.inspect as inspect_module
from dbsynth.cli import cli, redact
from dbsynth.db import display_url, parse_url
from dbsynth.examples import SHOP_TABLES, build_shop
from dbsynth.introspection import introspect
from dbsynth.model import FitSettings, Model
from dbsynth.schema import Schema

SECRET = "Pw-7f3k9-Zq"  # a password that must never appear in any output


def with_database(url: str, database: str) -> str:
    return parse_url(url).set(database=database).render_as_string(hide_password=False)


def account_url(server_url: str, user: str, password: str) -> str:
    return parse_url(server_url).set(username=user, password=password).render_as_string(hide_password=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def error_line(result: Result) -> str:
    """The last line on standard error, after checking it is the only ``Error:`` line."""
    lines = result.stderr.strip().splitlines()
    assert [line for line in lines if line.startswith("Error:")] == [lines[-1]], result.stderr
    return lines[-1]


def mermaid_relationships(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if " : " in line}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_shop(tmp_path_factory.mktemp("cli") / "shop.sqlite", customers=80)


# -- inspect on the bundled SQLite example --------------------------------------------------------


def test_inspect_text_summarizes_tables_keys_plan(shop: Path) -> None:
    result = run("inspect", f"sqlite:///{shop}")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("sqlite")
    assert "10 tables, 13 foreign keys" in out
    for table in SHOP_TABLES:
        assert f"\n{table}  (" in out
    assert "primary key (order_id, line_no)" in out
    assert "unique (email)" in out
    assert "foreign key (order_id, line_no) → order_items (order_id, line_no)" in out
    assert "insertion order (10 tables): " in out
    assert "categories references itself" in out
    assert "employees references itself" in out
    assert "no foreign-key cycles" in out
    assert result.stderr == f"Inspecting sqlite:///{shop} (read-only) ...\n"


def test_inspect_json_is_the_schema_document(shop: Path) -> None:
    result = run("inspect", str(shop), "--format", "json")
    assert result.exit_code == 0, result.output
    schema = Schema.from_json(result.stdout)
    assert schema == introspect(f"sqlite:///{shop}")
    assert result.stdout == schema.to_json() + "\n"
    assert [t.name for t in schema.tables] == sorted(SHOP_TABLES)


def test_inspect_mermaid_cardinalities(shop: Path) -> None:
    result = run("inspect", f"sqlite:///{shop}", "--format", "mermaid")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("erDiagram\n    addresses {\n")
    assert mermaid_relationships(result.stdout) == {
        'categories |o..o{ categories : "parent_id"',  # nullable self-reference
        'categories ||..o{ products : "category_id"',
        'customers ||..o{ addresses : "customer_id"',
        'employees |o..o{ employees : "manager_id"',
        'customers ||..o{ orders : "customer_id"',
        'employees |o..o{ orders : "employee_id"',
        'addresses |o..o{ orders : "address_id"',
        'orders ||--o{ order_items : "order_id"',  # part of the child's PK: identifying
        'products ||..o{ order_items : "product_id"',
        'orders ||..o{ payments : "order_id"',
        'products ||..o{ reviews : "product_id"',
        'customers ||..o{ reviews : "customer_id"',
        'order_items ||..o| returns : "order_id, line_no"',  # composite and unique: one-to-one
    }
    items = result.stdout.split("    order_items {\n", 1)[1].split("    }", 1)[0]
    assert items.splitlines()[:2] == ["        INTEGER order_id PK, FK", "        INTEGER line_no PK"]
    assert "        NUMERIC(10_2) unit_price\n" in items
    assert "        VARCHAR(120) email UK\n" in result.stdout


def test_mermaid_one_to_one_and_odd_names(make_sqlite: Callable[[str], str]) -> None:
    url = make_sqlite(
        """
        CREATE TABLE users (id INTEGER PRIMARY KEY, "e mail" TEXT UNIQUE);
        CREATE TABLE profiles (user_id INTEGER PRIMARY KEY REFERENCES users (id), bio TEXT);
        CREATE TABLE badges (id INTEGER PRIMARY KEY, owner INTEGER UNIQUE REFERENCES users (id));
        CREATE TABLE "order lines" (a INTEGER, b INTEGER, PRIMARY KEY (a, b));
        CREATE TABLE notes (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER,
                            FOREIGN KEY (a, b) REFERENCES "order lines" (a, b));
        """
    )
    result = run("inspect", url, "-f", "mermaid")
    assert result.exit_code == 0, result.output
    assert mermaid_relationships(result.stdout) == {
        'users ||--o| profiles : "user_id"',  # the FK is the child's whole PK
        'users |o..o| badges : "owner"',  # nullable and unique
        'order_lines |o..o{ notes : "a, b"',  # composite, one column nullable
    }
    assert '        TEXT e_mail UK "e mail"\n' in result.stdout


def test_inspect_writes_plain_text_to_a_file(shop: Path, tmp_path: Path) -> None:
    target = tmp_path / "schema.txt"
    result = run("inspect", str(shop), "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"Wrote the text schema of 10 tables to {target}"
    text = target.read_text()
    assert "\x1b[" not in text
    assert "insertion order (10 tables)" in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_inspect_output_to_a_missing_folder(shop: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "dir.mmd"
    result = run("inspect", str(shop), "-f", "mermaid", "-o", str(target))
    assert result.exit_code == 1
    assert error_line(result) == f"Error: cannot write {target}: No such file or directory"


def test_inspect_writes_mermaid_to_a_file(shop: Path, tmp_path: Path) -> None:
    target = tmp_path / "shop.mmd"
    result = run("inspect", str(shop), "-f", "mermaid", "-o", str(target))
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("erDiagram\n")


# -- inspect on the sample servers ----------------------------------------------------------------


@pytest.mark.postgres
def test_inspect_postgres_dataset_all_formats(dataset_url: Callable[[str], str]) -> None:
    url = dataset_url("pagila")
    text = run("inspect", url)
    assert text.exit_code == 0, text.output
    assert "postgresql 15" in text.stdout
    assert "15 tables" in text.stdout
    assert "public.film_actor" in text.stdout
    assert "primary key (actor_id, film_id)" in text.stdout
    assert "Warnings (" in text.stdout
    as_json = run("inspect", url, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    schema = Schema.from_json(as_json.stdout)
    assert Schema.from_json(schema.to_json()) == schema
    assert [t.key for t in schema.tables] == [t.key for t in introspect(url).tables]
    diagram = run("inspect", url, "--format", "mermaid")
    assert diagram.exit_code == 0, diagram.output
    rels = mermaid_relationships(diagram.stdout)
    assert 'language |o..o{ film : "original_language_id"' in rels
    assert 'film ||--o{ film_actor : "film_id"' in rels


@pytest.mark.postgres
def test_inspect_postgres_cycle_is_explained(dataset_url: Callable[[str], str]) -> None:
    result = run("inspect", dataset_url("sakila_pg"))
    assert result.exit_code == 0, result.output
    assert "public.store → public.staff → public.store: " in result.stdout


@pytest.mark.postgres
def test_inspect_schema_option_and_qualified_mermaid_names(make_pg: Callable[[str], str]) -> None:
    url = make_pg(
        """
        CREATE SCHEMA sales; CREATE SCHEMA hr;
        CREATE TABLE sales.item (id int PRIMARY KEY);
        CREATE TABLE hr.item (id int PRIMARY KEY, sales_item int REFERENCES sales.item (id));
        """
    )
    result = run("inspect", url, "--schema", "sales", "--schema", "hr", "-f", "mermaid")
    assert result.exit_code == 0, result.output
    assert mermaid_relationships(result.stdout) == {'sales_item |o..o{ hr_item : "sales_item"'}
    only = run("inspect", url, "--schema", "sales", "-f", "json")
    assert [t.key for t in Schema.from_json(only.stdout).tables] == ["sales.item"]


@pytest.mark.mysql
def test_inspect_mariadb_dataset_all_formats(dataset_url: Callable[[str], str]) -> None:
    url = dataset_url("sakila_mysql")
    text = run("inspect", url)
    assert text.exit_code == 0, text.output
    assert "16 tables, 22 foreign keys" in text.stdout
    assert "store → staff → store: staff.store_id is NOT NULL and not deferrable" in text.stdout
    as_json = run("inspect", url, "--format", "json")
    assert as_json.exit_code == 0, as_json.output
    schema = Schema.from_json(as_json.stdout)
    assert schema.dialect == "mysql"
    assert {t.name for t in schema.tables} == {t.name for t in introspect(url).tables}
    diagram = run("inspect", dataset_url("chinook_mysql"), "--format", "mermaid")
    assert diagram.exit_code == 0, diagram.output
    assert 'Employee |o..o{ Employee : "ReportsTo"' in mermaid_relationships(diagram.stdout)


# -- errors: one line, exact text, exit codes -----------------------------------------------------


def test_unsupported_url_scheme() -> None:
    result = run("inspect", f"oracle://scott:{SECRET}@db.example.com/orcl")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: unsupported database URL scheme 'oracle'; dbsynth supports "
        "postgresql://, mysql://, mariadb://, sqlite://\n"
    )


def test_not_a_url() -> None:
    result = run("inspect", "no-such-thing")
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: 'no-such-thing' is not a database URL; expected e.g. postgresql://user@host/db, "
        "mysql://user@host/db or sqlite:///file.db"
    )


def test_missing_sqlite_file(tmp_path: Path) -> None:
    result = run("inspect", str(tmp_path / "absent.sqlite"))
    assert result.exit_code == 1
    assert error_line(result) == f"Error: SQLite database file '{tmp_path / 'absent.sqlite'}' does not exist"
    assert not (tmp_path / "absent.sqlite").exists()


@pytest.mark.postgres
def test_unreachable_postgres(pg_url: str) -> None:
    result = run("inspect", f"postgresql://postgres:{SECRET}@127.0.0.1:1/postgres")
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: cannot reach database server at postgresql://postgres:***@127.0.0.1:1/postgres: "
        'connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused '
        "Is the server running on that host and accepting TCP/IP connections?"
    )
    assert SECRET not in result.output


@pytest.mark.mysql
def test_unreachable_mariadb(mysql_url: str) -> None:
    result = run("inspect", "mysql://root@127.0.0.1:1/test")
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: cannot reach database server at mysql://root@127.0.0.1:1/test: "
        "(2003, \"Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connection refused)\")"
    )


@pytest.mark.postgres
def test_unknown_postgres_database(pg_url: str) -> None:
    url = with_database(pg_url, "dbsynth_no_such_db")
    result = run("inspect", url)
    assert result.exit_code == 1
    shown = display_url(parse_url(url))
    assert error_line(result) == f"Error: database 'dbsynth_no_such_db' does not exist at {shown}"


@pytest.mark.mysql
def test_unknown_mariadb_database(mysql_url: str) -> None:
    url = with_database(mysql_url, "dbsynth_no_such_db")
    result = run("inspect", url)
    assert result.exit_code == 1
    shown = display_url(parse_url(url))
    assert error_line(result) == f"Error: database 'dbsynth_no_such_db' does not exist at {shown}"


@pytest.mark.postgres
def test_unknown_postgres_schema_suggests(dataset_url: Callable[[str], str]) -> None:
    result = run("inspect", dataset_url("pagila"), "--schema", "pubic")
    assert result.exit_code == 1
    assert (
        error_line(result) == "Error: schema 'pubic' does not exist. Did you mean 'public'? Available: public"
    )


@pytest.fixture
def mariadb_user(mysql_url: str) -> Iterator[str]:
    """A real password-protected MariaDB account (SELECT on the test database), dropped after."""
    name = f"dbsynth_pw_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(parse_url(mysql_url), poolclass=sa.pool.NullPool)
    database = parse_url(mysql_url).database
    # '%%': PyMySQL formats the statement with Python's % operator, even without parameters.
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE USER '{name}'@'%%' IDENTIFIED BY '{SECRET}'")
        conn.exec_driver_sql(f"GRANT SELECT ON `{database}`.* TO '{name}'@'%%'")
    try:
        yield name
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP USER IF EXISTS '{name}'@'%%'")
        engine.dispose()


@pytest.mark.mysql
def test_mariadb_wrong_password(mysql_url: str, mariadb_user: str) -> None:
    url = account_url(mysql_url, mariadb_user, SECRET + "-wrong")
    result = run("--traceback", "inspect", url)
    assert result.exit_code == 1
    shown = display_url(parse_url(url))
    assert error_line(result) == f"Error: authentication failed for user '{mariadb_user}' at {shown}"
    assert "Traceback (most recent call last)" in result.stderr
    assert SECRET not in result.output


@pytest.mark.mysql
def test_mariadb_right_password_is_never_shown(mysql_url: str, mariadb_user: str) -> None:
    url = account_url(mysql_url, mariadb_user, SECRET)
    for fmt in ("text", "json", "mermaid"):
        result = run("inspect", url, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert SECRET not in result.output
    assert f"{mariadb_user}:***@" in result.stderr


@pytest.fixture
def pg_role(pg_url: str) -> Iterator[Callable[[bool], str]]:
    """Make password-protected PostgreSQL roles (``login`` or not); all dropped after the test."""
    engine = sa.create_engine(parse_url(pg_url), poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(login: bool) -> str:
        name = f"dbsynth_pw_{uuid.uuid4().hex[:8]}"
        with engine.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {name} {'LOGIN' if login else 'NOLOGIN'} PASSWORD '{SECRET}'")
        made.append(name)
        return name

    yield make
    with engine.connect() as conn:
        for name in made:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {name}")
    engine.dispose()


@pytest.mark.postgres
def test_postgres_password_is_never_shown(pg_url: str, pg_role: Callable[[bool], str]) -> None:
    role = pg_role(True)
    url = account_url(pg_url, role, SECRET)
    result = run("inspect", url)
    assert result.exit_code == 0, result.output
    assert f"{role}:***@" in result.stdout
    assert SECRET not in result.output


@pytest.mark.postgres
def test_postgres_refused_role_hides_password(pg_url: str, pg_role: Callable[[bool], str]) -> None:
    # The test server trusts 127.0.0.1, so a wrong password is never checked there; a role
    # that may not log in is the credential failure it does report.
    role = pg_role(False)
    url = account_url(pg_url, role, SECRET)
    result = run("--traceback", "inspect", url)
    assert result.exit_code == 1
    line = error_line(result)
    shown = display_url(parse_url(url))
    assert line.startswith("Error: ") and shown in line
    assert line.endswith(f'refused the connection: role "{role}" is not permitted to log in')
    assert SECRET not in result.output


def test_usage_errors_exit_2(shop: Path) -> None:
    missing = run("inspect")
    assert missing.exit_code == 2
    assert "Error: Missing argument 'URL'." in missing.stderr
    bad = run("inspect", str(shop), "--format", "xml")
    assert bad.exit_code == 2
    assert "'xml' is not one of 'text', 'json', 'mermaid'." in bad.stderr
    unknown = run("inspec")
    assert unknown.exit_code == 2


def test_fit_and_clone_share_the_fit_options(shop: Path, tmp_path: Path) -> None:
    """--where was reachable only through a config file; fit and clone take the same options
    (:class:`dbsynth.options.FitOptions`), checked before the source is read."""
    out = tmp_path / "m.json"
    fitted = run("fit", str(shop), "--where", "customers=customer_id <= 30", "-o", str(out))
    assert fitted.exit_code == 0, fitted.output
    assert Model.load(out).table("customers").row_count == 30
    cloned = run(
        "clone", str(shop), str(tmp_path / "c.db"), "--where", "customers=customer_id <= 30", "--dry-run"
    )
    assert cloned.exit_code == 0, cloned.output
    assert "dry run: nothing was written" in cloned.output
    bad = run("clone", str(shop), str(tmp_path / "d.db"), "--sample-rows", "0")
    assert (bad.exit_code, error_line(bad)) == (1, "Error: --sample-rows must be at least 1, got 0")
    malformed = run("fit", str(shop), "--where", "customer_id > 30", "--explain")
    assert malformed.exit_code == 2
    assert "'customer_id > 30' is not TABLE=SQL" in malformed.stderr
    assert not (tmp_path / "d.db").exists()


def test_fit_help_shows_the_fit_defaults() -> None:
    settings = FitSettings()
    text = " ".join(run("fit", "--help").output.split())
    for default in (settings.sample_rows, settings.min_count, settings.locale):
        assert f"[default: {default}, or the config's]" in text


def test_traceback_shows_the_stack() -> None:
    plain = run("inspect", "oracle://x@h/db")
    assert "Traceback" not in plain.output
    result = run("--traceback", "inspect", "oracle://x@h/db")
    assert result.exit_code == 1
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert "dbsynth.errors.UnsupportedDatabase: unsupported database URL scheme 'oracle'" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: unsupported database URL scheme 'oracle'")


def test_ctrl_c_exits_130(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> Schema:
        raise KeyboardInterrupt

    monkeypatch.setattr(inspect_module, "introspect", interrupted)
    result = run("inspect", str(shop))
    assert result.exit_code == 130
    assert result.stderr.splitlines()[-1] == "Interrupted"


def test_unexpected_error_is_one_scrubbed_line(monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"postgresql://me:{SECRET}@127.0.0.1:1/db"

    def broken(*args: object, **kwargs: object) -> Schema:
        raise ValueError(f"bad state while reading {url}")

    monkeypatch.setattr(inspect_module, "introspect", broken)
    result = run("inspect", url)
    assert result.exit_code == 1
    assert error_line(result) == (
        "Error: unexpected ValueError: bad state while reading postgresql://me:***@127.0.0.1:1/db "
        "(this is a bug in dbsynth; rerun with --traceback and report the output)"
    )


def test_redact_handles_encoded_passwords() -> None:
    urls = ["postgresql://u:p%40ss@h/db", "mysql://u@h/db", "not a url"]
    assert redact("seen p@ss and p%40ss", urls) == "seen *** and ***"


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"dbsynth {dbsynth.__version__}\n"


# -- demo -----------------------------------------------------------------------------------------


def test_demo_in_a_workdir(tmp_path: Path) -> None:
    result = run("demo", "--workdir", str(tmp_path / "demo"), "--customers", "40", "--seed", "2")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo" / "shop.sqlite").is_file()
    assert "insertion order (10 tables)" in result.stdout
    recap = result.stdout.split("What the demo did:\n", 1)[1].splitlines()
    assert recap[0].startswith(
        f"  - built the example source database {tmp_path / 'demo' / 'shop.sqlite'} (10 tables, "
    )
    assert recap[1] == "  - inspected it: 10 tables, 0 warnings"


def test_demo_in_a_temporary_directory() -> None:
    result = run("demo", "--customers", "20")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (
        "The temporary directory was removed; pass --workdir DIR to keep the files."
    )


# -- the installed console script, for real ------------------------------------------------------


def dbsynth_script() -> str:
    beside = Path(sys.executable).with_name("dbsynth")
    found = str(beside) if beside.exists() else shutil.which("dbsynth")
    if not found:
        pytest.fail("the dbsynth console script is not installed (pip install -e .)")
    return found


def test_console_script_subprocess(shop: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    ok = subprocess.run(
        [dbsynth_script(), "inspect", str(shop), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert ok.returncode == 0, ok.stderr
    assert Schema.from_json(ok.stdout) == introspect(f"sqlite:///{shop}")
    bad = subprocess.run(
        [dbsynth_script(), "inspect", f"oracle://scott:{SECRET}@db.example.com/orcl"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert bad.returncode == 1
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("Error: unsupported database URL scheme")
    usage = subprocess.run([dbsynth_script(), "inspect"], capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2
