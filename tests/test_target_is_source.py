"""A target that is the source is refused by what the servers say they are, not by URL text: the
same PostgreSQL or MariaDB database reached through another host name or address, the same SQLite
file through a hard link or a symlink. The refusal comes before anything is written, in the sinks
and in the commands that write (clone, generate --source)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import dbsynth
from dbsynth.cli import cli
from dbsynth.db import parse_url
from dbsynth.errors import TargetError
from dbsynth.introspection import introspect
from dbsynth.writing import Batch
from dbsynth.writing.identity import identity

from conftest import _fresh_database
from helpers_sinks import load, rows_of, spec_for

MEANS = {
    "postgresql": "system identifier and database OID",
    "mysql": "host name, port, data directory and schema",  # MariaDB has no server UUID
}


def aliases() -> list[str]:
    """Other names of this machine's servers than 127.0.0.1 and localhost: the short form of the
    address, and the machine's host name when it resolves to a loopback address."""
    names = ["127.1"]
    host = socket.gethostname()
    try:
        if socket.gethostbyname(host).startswith("127."):
            names.append(host)
    except OSError:
        pass
    return names


def renamed(url: str, host: str) -> str:
    return parse_url(url).set(host=host).render_as_string(hide_password=False)


def shown(url: str) -> str:
    parsed = parse_url(url)
    return parsed.set(drivername=parsed.get_backend_name()).render_as_string(hide_password=True)


@pytest.fixture(
    params=[
        pytest.param("postgresql", marks=pytest.mark.postgres),
        pytest.param("mysql", marks=pytest.mark.mysql),
    ]
)
def source(request: pytest.FixtureRequest) -> str:
    """A fresh database with one table holding one row (never a shared sample database)."""
    make = request.getfixturevalue("make_pg" if request.param == "postgresql" else "make_mysql")
    url: str = make(
        "CREATE TABLE author (id integer PRIMARY KEY, name varchar(20)); INSERT INTO author VALUES (1, 'x')"
    )
    return url


@pytest.mark.parametrize("alias", aliases())
def test_a_server_reached_under_another_name_is_refused_before_any_write(source: str, alias: str) -> None:
    kind = parse_url(source).get_backend_name()
    target = renamed(source, alias)
    assert identity(parse_url(target)) == identity(parse_url(source)) is not None
    schema = introspect(source)
    key = schema.tables[0].key
    spec = spec_for(schema, {key: 1}, if_exists="truncate")
    with pytest.raises(TargetError) as err:
        load(target, spec, [Batch(key, pd.DataFrame({"id": [2], "name": ["synthetic"]}))], source=source)
    assert str(err.value) == (
        f"the target {shown(target)} is the source database {shown(source)} under another name "
        f"(the same {MEANS[kind]}); choose another target"
    )
    assert rows_of(source, "SELECT id, name FROM author") == [(1, "x")]


def test_another_database_on_the_same_server_is_not_the_source(source: str) -> None:
    kind = parse_url(source).get_backend_name()
    server = (
        parse_url(source)
        .set(database="postgres" if kind == "postgresql" else "")
        .render_as_string(hide_password=False)
    )
    other = _fresh_database(server, kind)
    url = next(other)
    try:
        schema = introspect(source)
        spec = spec_for(schema, {schema.tables[0].key: 0}, create_schema=True)
        assert load(renamed(url, "127.1"), spec, [], source=source).committed
    finally:
        other.close()


@pytest.mark.parametrize("command", ["clone", "generate"])
def test_the_commands_that_write_refuse_it(source: str, command: str, tmp_path: Path) -> None:
    kind = parse_url(source).get_backend_name()
    target = renamed(source, "127.1")
    if command == "clone":
        args = ["clone", source, target, "--if-exists", "truncate", "--no-report"]
    else:
        path = tmp_path / "model.json"
        dbsynth.fit(source).save(path)
        args = ["generate", str(path), target, "--source", source, "--if-exists", "truncate"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[-1] == (
        f"Error: the target {shown(target)} is the source database {shown(source)} under another name "
        f"(the same {MEANS[kind]}); choose another target"
    )
    assert rows_of(source, "SELECT id, name FROM author") == [(1, "x")]


@pytest.mark.parametrize("link", ["hard link", "symlink"])
def test_a_sqlite_file_reached_through_a_link_is_refused(
    make_sqlite: Callable[[str], str], link: str
) -> None:
    source = make_sqlite(
        "CREATE TABLE author (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO author VALUES (1, 'x')"
    )
    path = Path(str(parse_url(source).database))
    other = path.with_name("elsewhere" + path.suffix)
    (os.link if link == "hard link" else os.symlink)(path, other)
    before = path.read_bytes()
    spec = spec_for(introspect(source), {"author": 1}, if_exists="truncate")
    with pytest.raises(TargetError) as err:
        load(
            f"sqlite:///{other}",
            spec,
            [Batch("author", pd.DataFrame({"id": [2], "name": ["x"]}))],
            source=source,
        )
    if link == "symlink":  # the path resolves to the source's: the URLs already say it
        assert (
            str(err.value) == f"the target is the source database (sqlite:///{other}); choose another target"
        )
    else:
        assert str(err.value) == (
            f"the target sqlite:///{other} is the source database {source} under another name "
            "(the same file (device and inode)); choose another target"
        )
    assert path.read_bytes() == before
    # A copy is another file: it may be written.
    copy = path.with_name("copy" + path.suffix)
    copy.write_bytes(before)
    assert load(
        f"sqlite:///{copy}", spec, [Batch("author", pd.DataFrame({"id": [2], "name": ["x"]}))], source=source
    ).committed
