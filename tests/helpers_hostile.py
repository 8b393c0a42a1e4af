"""Shared rig of the hostile-input suite (``test_hostile_*.py``, ``test_safety_identity.py``).

Hostile input can make the command line hang or allocate without bound (a row count of 1e15 in a
model file), so every run goes through :func:`run_cli`: a forked child of the test process runs
``dbsynth.cli.main`` (the console-script entry point, which outlives module moves inside the
package) under a time limit and an address-space limit. Forking keeps the cost of one run near
the cost of the command itself (dbsynth is imported once, by the parent), and a child that is
killed or leaks state cannot take the suite with it.

:func:`classify` turns a finished run into the name of what went wrong, or ``None`` when the run
kept the error promise: exit 0, or exit 1 with exactly one ``Error:`` line, last on standard
error, with no traceback and no "unexpected ... bug in dbsynth" line.
"""

from __future__ import annotations

import io
import os
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from dbsynth.cli import main

# Exit status the child uses when an exception escapes click's own handling (never expected).
ESCAPED = 99
# What the CLI prints for an exception it did not expect (see the group's error policy).
BUG_MARKERS = ("this is a bug in dbsynth", "Error: unexpected ")
# A Python exception's own text in a message means no code of dbsynth understood the problem:
# the user learns the exception's name, not which table, column, option or field is at fault.
PYTHON_EXCEPTION = re.compile(
    r"\b((?:Value|Type|Key|Index|Attribute|ZeroDivision|Overflow|Recursion|Memory|Assertion|"
    r"FileNotFound|Permission|OS|Lookup|Unicode\w*)Error)\b"
)


@dataclass(frozen=True)
class Run:
    """A finished (or killed) CLI run."""

    args: tuple[str, ...]
    exit_code: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float
    killed_by: str | None = None  # "timeout" or the name of the signal that ended the child

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("Error:")]

    @property
    def error(self) -> str:
        """The one ``Error:`` line (empty when there is none)."""
        lines = self.error_lines
        return lines[-1] if lines else ""

    def describe(self) -> str:
        return (
            f"dbsynth {' '.join(self.args)}\n-> exit {self.exit_code} ({self.killed_by or 'ran'}, "
            f"{self.seconds:.1f}s)\nstdout: {self.stdout[-600:]}\nstderr: {self.stderr[-1500:]}"
        )


def warm_up(*commands: Sequence[object]) -> None:
    """Run each command once in this process, output discarded, so that every module it loads
    (dbsynth loads its commands and engines lazily) is already loaded in the forked children:
    without it each child pays the imports again, about a second a run."""
    from click.testing import CliRunner

    saved = sys.argv
    try:
        for args in commands:
            with CliRunner().isolation():
                sys.argv = ["dbsynth", *(str(a) for a in args)]
                with suppress(SystemExit):
                    main()
    finally:
        sys.argv = saved


def _address_space() -> int:
    """Bytes of address space this process maps now (the child's limit is on top of it)."""
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def run_cli(
    args: Sequence[str],
    *,
    timeout: float = 20.0,
    memory_mb: int = 1536,
    cwd: Path | None = None,
) -> Run:
    """Run ``dbsynth ARGS`` in a forked child and return what it printed and how it ended.

    The child may use ``memory_mb`` more address space than the parent maps (a MemoryError then
    surfaces as an internal error instead of the machine swapping) and ``timeout`` seconds.
    """
    args = tuple(str(a) for a in args)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        limit = _address_space() + memory_mb * 1024 * 1024
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            _child(args, out.fileno(), err.fileno(), limit, cwd)
        killed_by: str | None = None
        deadline = started + timeout
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
                killed_by = "timeout"
                break
            time.sleep(0.01)
        seconds = time.monotonic() - started
        code: int | None
        if killed_by:
            code = None
        elif os.WIFSIGNALED(status):
            code, killed_by = None, signal.Signals(os.WTERMSIG(status)).name
        else:
            code = os.WEXITSTATUS(status)
        out.seek(0)
        err.seek(0)
        return Run(
            args,
            code,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            seconds,
            killed_by,
        )


def _child(args: tuple[str, ...], out: int, err: int, limit: int, cwd: Path | None) -> None:
    """Body of the forked child: never returns, always ``os._exit``."""
    code = ESCAPED
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.dup2(out, 1)
        os.dup2(err, 2)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        # pytest's capture replaced the Python-level streams: point them at the new descriptors.
        sys.stdin = io.TextIOWrapper(os.fdopen(0, "rb", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), encoding="utf-8", write_through=True)
        sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), encoding="utf-8", write_through=True)
        if cwd is not None:
            os.chdir(cwd)
        sys.argv = ["dbsynth", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            if exc.code is None:
                code = 0
            elif isinstance(exc.code, int):
                code = exc.code
            else:  # like the interpreter: print the message, exit 1
                print(exc.code, file=sys.stderr)
                code = 1
    except BaseException:  # an exception that escaped click: the worst outcome, keep its stack
        traceback.print_exc()
        code = ESCAPED
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(Exception):  # a closed or broken stream must not keep the child alive
                stream.flush()
        os._exit(code)


def classify(run: Run, *, allow_success: bool = True) -> str | None:
    """The kind of broken promise ``run`` shows, or ``None`` when it kept the error policy."""
    if run.killed_by == "timeout":
        return "hang"
    if run.killed_by:
        return f"killed:{run.killed_by}"
    if "Traceback (most recent call last)" in run.stderr or run.exit_code == ESCAPED:
        return "traceback"
    if run.exit_code == 0:
        return None if allow_success else "accepted"
    if run.exit_code != 1:
        return f"exit:{run.exit_code}"
    lines = run.error_lines
    if not lines:
        return "no-error-line"
    if any(marker in lines[-1] for marker in BUG_MARKERS):
        return f"internal:{internal_type(lines[-1])}"
    if len(lines) > 1:
        return "several-error-lines"
    if run.stderr.strip().splitlines()[-1] != lines[-1]:
        return "error-not-last"
    leaked = PYTHON_EXCEPTION.search(lines[-1])
    if leaked:
        return f"leaked:{leaked.group(1)}"
    return None


def internal_type(line: str) -> str:
    """``ValueError`` from ``Error: unexpected ValueError: ... (this is a bug in dbsynth ...)``."""
    match = re.search(r"unexpected (\w+)", line)
    return match.group(1) if match else "?"


# -- small sources ---------------------------------------------------------------------------------
# Two tables, every kind of model field a hostile file can corrupt: a categorical with a CHECK,
# decimals, dates and timestamps (quantile grids), a nullable float (null rate), a unique name, a
# foreign key (children per parent), a DEFAULT, a generated column, a partial unique index, and
# ``shirt``, an integer no constraint limits (config tests overflow it with a sequence).
# ``note`` is the last column of ``player`` and ``code`` the last of ``team``, and ``player`` has
# one CHECK: the SQL-injection payloads of the model tests rely on that layout of the DDL.

LEAGUE_SQLITE = """
CREATE TABLE team (
  team_id INTEGER PRIMARY KEY,
  name VARCHAR(40) NOT NULL UNIQUE,
  tier VARCHAR(6) NOT NULL CHECK (tier IN ('gold', 'silver', 'bronze')),
  budget NUMERIC(10, 2) NOT NULL CHECK (budget >= 0),
  founded DATE NOT NULL,
  code TEXT GENERATED ALWAYS AS (upper(tier)) VIRTUAL
);
CREATE TABLE player (
  player_id INTEGER PRIMARY KEY,
  team_id INTEGER NOT NULL REFERENCES team (team_id),
  age INTEGER NOT NULL CHECK (age BETWEEN 16 AND 45),
  rating REAL,
  joined_at TIMESTAMP NOT NULL,
  shirt INTEGER,
  note TEXT DEFAULT 'x'
);
CREATE UNIQUE INDEX player_note_u ON player (note) WHERE age > 40;
"""

LEAGUE_PG = """
CREATE TABLE team (
  team_id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  tier text NOT NULL CHECK (tier IN ('gold', 'silver', 'bronze')),
  budget numeric(10, 2) NOT NULL CHECK (budget >= 0),
  founded date NOT NULL DEFAULT CURRENT_DATE,
  code text GENERATED ALWAYS AS (upper(tier)) STORED
);
CREATE TABLE player (
  player_id serial PRIMARY KEY,
  team_id integer NOT NULL REFERENCES team (team_id),
  age integer NOT NULL CONSTRAINT player_age_check CHECK (age BETWEEN 16 AND 45),
  rating double precision,
  joined_at timestamp NOT NULL,
  shirt integer,
  note text DEFAULT 'x'
);
CREATE UNIQUE INDEX player_note_u ON player (note) WHERE age > 40;
INSERT INTO team (name, tier, budget, founded)
SELECT 'team ' || g, (ARRAY['gold', 'silver', 'bronze'])[1 + mod(g, 3)], mod(g * 1237, 100000) / 1.0,
       DATE '1950-01-01' + mod(g * 311, 18000)
FROM generate_series(1, 40) g;
INSERT INTO player (team_id, age, rating, joined_at, shirt, note)
SELECT 1 + mod(g * g, 37), 16 + mod(g * 13, 30),
       CASE WHEN mod(g, 5) = 0 THEN NULL ELSE mod(g * 37, 100) / 10.0 END,
       TIMESTAMP '2020-01-01' + mod(g * 9973, 80000) * INTERVAL '1 hour',
       CASE WHEN mod(g, 7) = 0 THEN NULL ELSE 1 + mod(g * 17, 99) END, 'note ' || g
FROM generate_series(1, 160) g;
"""

TEAMS, PLAYERS = 40, 160


def league_rows() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The rows of the SQLite league: fixed (no random module), so every fit is the same."""
    tiers = ("gold", "silver", "bronze")
    teams = [
        (i, f"team {i}", tiers[i % 3], (i * 1237 % 100000) / 1.0, f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}")
        for i in range(1, TEAMS + 1)
    ]
    players = [
        (
            i,
            1 + (i * i) % 37,  # uneven: 0 to 12 players per team, three teams without any
            16 + (i * 13) % 30,
            None if i % 5 == 0 else (i * 37 % 100) / 10.0,
            f"2020-0{1 + i % 9}-1{i % 10} 1{i % 10}:00:00",
            None if i % 7 == 0 else 1 + (i * 17) % 99,
            f"note {i}",
        )
        for i in range(1, PLAYERS + 1)
    ]
    return teams, players


def build_league_sqlite(path: Path) -> Path:
    import sqlite3

    teams, players = league_rows()
    with sqlite3.connect(path) as conn:
        conn.executescript(LEAGUE_SQLITE)
        conn.executemany(
            "INSERT INTO team (team_id, name, tier, budget, founded) VALUES (?, ?, ?, ?, ?)", teams
        )
        conn.executemany("INSERT INTO player VALUES (?, ?, ?, ?, ?, ?, ?)", players)
    return path


# -- scratch databases -----------------------------------------------------------------------------

DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


def engine_for(url: str) -> sa.Engine:
    """A SQLAlchemy engine for a test URL (``postgresql://`` / ``mysql://``), with the drivers
    dbsynth depends on, no pool (a forked child must not inherit live connections)."""
    parsed = make_url(url)
    driver = DRIVERS.get(parsed.get_backend_name(), parsed.drivername)
    return sa.create_engine(parsed.set(drivername=driver), poolclass=sa.pool.NullPool)


def url_with_database(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextmanager
def scratch_database(server_url: str, statements: str | Sequence[str] = ()) -> Iterator[str]:
    """A new database on the server of ``server_url`` holding ``statements`` (one PostgreSQL
    script, or a list of MySQL statements), dropped afterwards; yields its URL."""
    kind = make_url(server_url).get_backend_name()
    name = f"dbsynth_h_{uuid.uuid4().hex[:10]}"
    quote = '"' if kind == "postgresql" else "`"
    admin = engine_for(server_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quote}{name}{quote}")
    url = url_with_database(server_url, name)
    try:
        if statements:
            engine = engine_for(url)
            with engine.begin() as conn:
                for statement in [statements] if isinstance(statements, str) else statements:
                    conn.exec_driver_sql(statement)
            engine.dispose()
        yield url
    finally:
        force = " WITH (FORCE)" if kind == "postgresql" else ""
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote}{name}{quote}{force}")
        admin.dispose()
