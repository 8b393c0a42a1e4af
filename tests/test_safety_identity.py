"""The source named another way is still the source: ``clone`` and ``generate --source`` must
refuse a target that is the same database as the source, decided by the server's identity (or
the file's, for SQLite), not by the text of the two URLs; and they must refuse before writing
anything, with or without ``--if-exists truncate``. An output option that names the source file
(``fit -o``, ``clone --model-out``, ``report --html``) must not replace it either.

Every case runs against a fresh copy of a small database (PostgreSQL: a copy of a template
holding ``LEAGUE_PG``; MariaDB: the league rebuilt; SQLite: a new file), never a shared sample
database, because today several of them overwrite their source. "Nothing written" is checked on
the data itself (a digest of every table), the table list, and on PostgreSQL also each table's
file node (TRUNCATE replaces it) and its insert/update/delete counters. Cases that fail today
are strict xfails keyed in ``KNOWN_DEFECTS``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import shutil
import socket
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers_hostile import (
    LEAGUE_PG,
    PLAYERS,
    TEAMS,
    Run,
    build_league_sqlite,
    classify,
    engine_for,
    run_cli,
    scratch_database,
    url_with_database,
    warm_up,
)
from sqlalchemy.engine import make_url

import dbsynth

KNOWN_DEFECTS: dict[str, str] = {}


def known(case_id: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN_DEFECTS.get(case_id)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def local_hostname() -> str | None:
    """This machine's host name when it resolves to a loopback or local address (so that it
    reaches the test servers on 127.0.0.1), else None."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        return None
    return name if any(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses) else None


HOSTNAME = local_hostname()
needs_hostname = pytest.mark.skipif(
    HOSTNAME is None, reason="the host name does not resolve to a local address"
)


def alias(url: str, how: str) -> str:
    """``url`` (on 127.0.0.1) spelled another way that reaches the same server."""
    parsed = make_url(url)
    if how == "localhost":
        parsed = parsed.set(host="localhost")
    elif how == "hostname":
        assert HOSTNAME
        parsed = parsed.set(host=HOSTNAME)
    elif how == "short-ip":
        parsed = parsed.set(host="127.1")
    elif how == "host-parameter":  # libpq: a host parameter overrides the host of the URL
        parsed = parsed.set(host="elsewhere.invalid").update_query_dict({"host": "127.0.0.1"})
    return parsed.render_as_string(hide_password=False)


def commands(how: str) -> list[str]:
    return (
        ["clone-create", "clone-truncate", "generate-source-truncate"]
        if how in ("localhost", "hostname")
        else ["clone-truncate"]
    )


def command_line(command: str, source: str, target: str, model: Path) -> list[str]:
    if command == "clone-create":
        return ["clone", source, target, "--create-schema", "-q", "--no-report"]
    if command == "clone-truncate":
        return ["clone", source, target, "--if-exists", "truncate", "-q", "--no-report"]
    return ["generate", str(model), target, "--source", source, "--if-exists", "truncate", "-q"]


def assert_refused_as_source(run: Run) -> None:
    assert run.exit_code == 1 and classify(run) is None, run.describe()
    assert "source" in run.error, f"not refused as the source\n{run.describe()}"


def params(dialect: str, aliases: list[str]) -> list[Any]:
    out = []
    for how in aliases:
        marks = [needs_hostname] if how == "hostname" else []
        for command in commands(how):
            case = f"{dialect}-{how}-{command}"
            out.append(pytest.param(how, command, id=case, marks=marks + known(case)))
    return out


ALIASES = ["localhost", "hostname", "short-ip"]

# -- PostgreSQL ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_template(pg_url: str) -> Iterator[str]:
    with scratch_database(pg_url, LEAGUE_PG) as url:
        yield url


@pytest.fixture(scope="module")
def pg_model(pg_template: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pg") / "league.json"
    dbsynth.fit(pg_template).save(path)
    return path


@pytest.fixture
def pg_source(pg_url: str, pg_template: str) -> Iterator[str]:
    """A fresh copy of the template: the case may destroy it."""
    name = f"dbsynth_h_{uuid.uuid4().hex[:10]}"
    admin = engine_for(pg_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(pg_template).database}"')
    try:
        yield url_with_database(pg_url, name)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def pg_state(url: str) -> dict[str, Any]:
    """Everything that moves when a table is written: contents, file nodes, tuple counters."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            # Counters are flushed when a backend ends: wait for dbsynth's sessions to go.
            deadline = time.monotonic() + 5
            while (
                time.monotonic() < deadline
                and conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()"
                ).scalar()
            ):
                time.sleep(0.05)
            conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
            tables = [
                r[0]
                for r in conn.exec_driver_sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ]
            state: dict[str, Any] = {"tables": sorted(tables)}
            for table in tables:
                state[table] = conn.exec_driver_sql(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')), "
                    f"pg_relation_filenode('public.{table}') FROM public.{table} t"
                ).one()
            state["counters"] = sorted(
                conn.exec_driver_sql(
                    "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables"
                ).all()
            )
            return state
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize(("how", "command"), params("pg", [*ALIASES, "host-parameter"]))
def test_postgres_source_under_another_name_is_refused(
    how: str, command: str, pg_source: str, pg_model: Path
) -> None:
    before = pg_state(pg_source)
    assert before["team"][0] == TEAMS and before["player"][0] == PLAYERS
    run = run_cli(command_line(command, pg_source, alias(pg_source, how), pg_model), timeout=60)
    assert pg_state(pg_source) == before, f"the source was written\n{run.describe()}"
    assert_refused_as_source(run)


# -- MariaDB / MySQL -------------------------------------------------------------------------------


def league_mysql() -> list[str]:
    teams = ", ".join(
        f"('team {i}', '{('gold', 'silver', 'bronze')[i % 3]}', {i * 10.5})" for i in range(1, TEAMS + 1)
    )
    players = ", ".join(f"({1 + (i * i) % 37}, {16 + i % 30}, 'note {i}')" for i in range(1, PLAYERS + 1))
    return [
        "CREATE TABLE team (team_id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE, "
        "tier VARCHAR(6) NOT NULL, budget DECIMAL(10, 2) NOT NULL)",
        "CREATE TABLE player (player_id INT AUTO_INCREMENT PRIMARY KEY, team_id INT NOT NULL, "
        "age INT NOT NULL, note VARCHAR(40), "
        "CONSTRAINT player_team FOREIGN KEY (team_id) REFERENCES team (team_id))",
        f"INSERT INTO team (name, tier, budget) VALUES {teams}",
        f"INSERT INTO player (team_id, age, note) VALUES {players}",
    ]


@pytest.fixture(scope="module")
def mysql_model(mysql_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mysql") / "league.json"
    with scratch_database(mysql_url, league_mysql()) as url:
        dbsynth.fit(url).save(path)
    return path


@pytest.fixture
def mysql_source(mysql_url: str) -> Iterator[str]:
    with scratch_database(mysql_url, league_mysql()) as url:
        yield url


def mysql_state(url: str) -> dict[str, Any]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            tables = sorted(r[0] for r in conn.exec_driver_sql("SHOW TABLES"))
            state: dict[str, Any] = {"tables": tables}
            for table in tables:
                count = conn.exec_driver_sql(f"SELECT count(*) FROM `{table}`").scalar()
                checksum = conn.exec_driver_sql(f"CHECKSUM TABLE `{table}`").one()[1]
                state[table] = (count, checksum)
            return state
    finally:
        engine.dispose()


@pytest.mark.mysql
@pytest.mark.parametrize(("how", "command"), params("mysql", ALIASES))
def test_mysql_source_under_another_name_is_refused(
    how: str, command: str, mysql_source: str, mysql_model: Path
) -> None:
    before = mysql_state(mysql_source)
    assert before["team"][0] == TEAMS and before["player"][0] == PLAYERS
    run = run_cli(command_line(command, mysql_source, alias(mysql_source, how), mysql_model), timeout=60)
    assert mysql_state(mysql_source) == before, f"the source was written\n{run.describe()}"
    assert_refused_as_source(run)


# -- SQLite ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("sqlite")
    source = f"sqlite:///{build_league_sqlite(work / 'league.sqlite')}"
    model = dbsynth.fit(source).save(work / "league.json")
    # Loads the code of clone and generate once, before the forked runs.
    warm_up(["clone", source, f"sqlite:///{work / 'copy.sqlite'}", "--create-schema", "-q", "--no-report"])
    return model


def file_state(path: Path) -> tuple[str, list[tuple[Any, ...]]]:
    """The file's digest and its tables' contents (a replaced file reads as no tables)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            rows = conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
            contents = [(t, conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall()) for (t,) in rows]
    except sqlite3.DatabaseError:  # no longer a database
        contents = []
    return digest, contents


LINKS: dict[str, Callable[[Path, Path], None]] = {
    "hardlink": lambda src, dst: os.link(src, dst),
    "symlink": lambda src, dst: dst.symlink_to(src),
}


@pytest.mark.parametrize(
    ("link", "command"),
    [
        pytest.param(link, command, id=f"sqlite-{link}-{command}", marks=known(f"sqlite-{link}-{command}"))
        for link in LINKS
        for command in ("clone-truncate", "generate-source-truncate")
    ],
)
def test_sqlite_source_through_a_link_is_refused(
    link: str, command: str, sqlite_model: Path, tmp_path: Path
) -> None:
    source = build_league_sqlite(tmp_path / "league.sqlite")
    other = tmp_path / "elsewhere.sqlite"
    LINKS[link](source, other)
    before = file_state(source)
    run = run_cli(command_line(command, f"sqlite:///{source}", f"sqlite:///{other}", sqlite_model))
    assert file_state(source) == before, f"the source was written\n{run.describe()}"
    assert_refused_as_source(run)


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c, marks=known(c)) for c in ["sqlite-generate-into-the-fitted-source"]]
)
def test_generate_into_the_source_the_model_records_is_refused(case: str, tmp_path: Path) -> None:
    """The model says where it was fitted: a target that is that database is the source even
    when --source is not given."""
    source = build_league_sqlite(tmp_path / "league.sqlite")
    model = dbsynth.fit(f"sqlite:///{source}").save(tmp_path / "league.json")
    before = file_state(source)
    run = run_cli(["generate", str(model), f"sqlite:///{source}", "--if-exists", "truncate", "-q"])
    assert file_state(source) == before, f"the source was written\n{run.describe()}"
    assert_refused_as_source(run)


OUTPUTS = {
    "fit-output": ["fit", "{url}", "-o", "{path}"],
    "inspect-output": ["inspect", "{url}", "-o", "{path}"],
    "clone-model-out": [
        "clone",
        "{url}",
        "sqlite:///{tmp}/copy.sqlite",
        "--create-schema",
        "-q",
        "--no-report",
        "--model-out",
        "{path}",
    ],
    "report-html": ["report", "{url}", "{url}", "-q", "--html", "{path}"],
    "report-json": ["report", "{url}", "{url}", "-q", "--json", "{path}"],
}


@pytest.mark.parametrize(
    "name", [pytest.param(n, id=n, marks=known(f"sqlite-{n}-is-source")) for n in OUTPUTS]
)
def test_output_file_that_is_the_source_is_refused(name: str, tmp_path: Path) -> None:
    source = build_league_sqlite(tmp_path / "league.sqlite")
    before = file_state(source)
    values = {"url": f"sqlite:///{source}", "path": str(source), "tmp": str(tmp_path)}
    run = run_cli([a.format(**values) for a in OUTPUTS[name]])
    assert file_state(source) == before, f"the source was overwritten\n{run.describe()}"
    assert run.exit_code == 1 and classify(run) is None, run.describe()
    assert "source" in run.error, run.describe()


def test_sqlite_copy_of_the_source_is_a_different_database(sqlite_model: Path, tmp_path: Path) -> None:
    """The identity check must not refuse too much: a copy is another database."""
    source = build_league_sqlite(tmp_path / "league.sqlite")
    copy = tmp_path / "copy.sqlite"
    shutil.copy(source, copy)
    run = run_cli(
        [
            "generate",
            str(sqlite_model),
            f"sqlite:///{copy}",
            "--source",
            f"sqlite:///{source}",
            "--if-exists",
            "truncate",
            "-q",
        ]
    )
    assert run.exit_code == 0, run.describe()
