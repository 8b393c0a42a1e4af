"""Real-world schemas cloned with no configuration, checked by an independent verifier.

Each case loads one schema of the corpus (tests/schemas_rig.py), runs ``dbsynth clone SRC
TARGET --create-schema --seed 1 --scale N --no-report`` through the command line into a fresh
database, then checks the target with tests/verify_constraints.py (our own catalog SQL): every
source constraint is in the target or named in what dbsynth printed as dropped, no row breaks
one, and tables with rows in the source have rows in the target.

Known defects are in ``KNOWN_DEFECTS`` below, one line each. A listed case is a strict xfail
that must fail *the way the entry says* (its pattern is searched in the failure text): a
fix makes it XPASS, which fails the run until the entry is removed, and a case that starts
failing differently fails too, so the table stays a true catalogue.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import NamedTuple

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from dbsynth.cli import main

from conftest import _fresh_database, sa_url
from schemas_rig import _PG_TABLES as PG_TABLES
from verify_constraints import compare


class Defect(NamedTuple):
    reason: str  # the defect class, one line
    match: str  # a regex the failure text must contain


# (schema, direction, scale) -> the defect that makes the case fail today (see the module doc).
KNOWN_DEFECTS: dict[tuple[str, str, int], Defect] = {
    # -- generation --
    # -- silently lost constraints (found by the verifier) --
    # -- MariaDB sources --
}

# direction -> (source server, target kind)
DIRECTIONS = {
    "pg-pg": ("postgresql", "postgresql"),
    "pg-sqlite": ("postgresql", "sqlite"),
    "my-my": ("mysql", "mysql"),
    "my-pg": ("mysql", "postgresql"),
    "my-sqlite": ("mysql", "sqlite"),
}

# The cases. Every schema into its own dialect at scale 1 and across dialects at scale 1;
# scale 3 where the source has rows that scaling changes (real data, singleton rows; for a
# schema-only source 3 x 0 rows is the scale-1 case again). Left out for time (the corpus
# takes several minutes on two cores shared with other work), each covered by another case:
# - musicbrainz (371 tables, 663 CHECKs) and zabbix (173 tables): pg-pg at scale 1 only;
#   zabbix on MariaDB only into SQLite (its MariaDB DDL alone takes tens of seconds);
# - french_towns at scale 3 (110k rows): scale 1 has the same keys and FKs;
# - osm and danbooru at scale 3: their only rows are Rails' schema_migrations;
# - unit3d into MariaDB (127 tables, 156 FKs: about a minute of MariaDB DDL and introspection
#   on a loaded machine); its MariaDB side is read by the my-pg and my-sqlite cases;
# - countries_states into SQLite, and MariaDB -> MariaDB at scale 3 for it and guacamole
#   (PostgreSQL runs both at scale 3).
CASES: list[tuple[str, str, int]] = [
    ("osm", "pg-pg", 1),
    ("osm", "pg-sqlite", 1),
    ("musicbrainz", "pg-pg", 1),
    ("synapse", "pg-pg", 1),
    ("synapse", "pg-pg", 3),
    ("synapse", "pg-sqlite", 1),
    ("omop_cdm", "pg-pg", 1),
    ("omop_cdm", "pg-sqlite", 1),
    ("danbooru", "pg-pg", 1),
    ("danbooru", "pg-sqlite", 1),
    ("snaplet_slack", "pg-pg", 1),
    ("snaplet_slack", "pg-sqlite", 1),
    ("french_towns", "pg-pg", 1),
    ("french_towns", "pg-sqlite", 1),
    ("iso3166", "pg-pg", 1),
    ("iso3166", "pg-pg", 3),
    ("iso3166", "pg-sqlite", 1),
    ("countries_states", "pg-pg", 1),
    ("countries_states", "pg-pg", 3),
    ("zabbix", "pg-pg", 1),
    ("powerdns", "pg-pg", 1),
    ("powerdns", "pg-sqlite", 1),
    ("guacamole", "pg-pg", 1),
    ("guacamole", "pg-pg", 3),
    ("guacamole", "pg-sqlite", 1),
    ("temporal", "pg-pg", 1),
    ("temporal", "pg-pg", 3),
    ("temporal", "pg-sqlite", 1),
    ("countries_states", "my-my", 1),
    ("countries_states", "my-pg", 1),
    ("zabbix", "my-sqlite", 1),
    ("powerdns", "my-my", 1),
    ("powerdns", "my-pg", 1),
    ("powerdns", "my-sqlite", 1),
    ("guacamole", "my-my", 1),
    ("guacamole", "my-pg", 1),
    ("guacamole", "my-sqlite", 1),
    ("temporal", "my-my", 1),
    ("temporal", "my-my", 3),
    ("temporal", "my-pg", 1),
    ("temporal", "my-sqlite", 1),
    ("unit3d", "my-pg", 1),
    ("unit3d", "my-sqlite", 1),
]


class KnownDefect(Exception):
    """The case failed the way its KNOWN_DEFECTS entry says."""


class CloneTimeout(BaseException):
    """A clone ran past its time (a BaseException, so dbsynth's error handling lets it out)."""


def _params() -> Iterator[object]:
    for case in CASES:
        schema, direction, scale = case
        kinds = set(DIRECTIONS[direction])
        marks: list[pytest.MarkDecorator] = [pytest.mark.slow]
        if "postgresql" in kinds:
            marks.append(pytest.mark.postgres)
        if "mysql" in kinds:
            marks.append(pytest.mark.mysql)
        if case in KNOWN_DEFECTS:
            marks.append(
                pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[case].reason, raises=KnownDefect)
            )
        yield pytest.param(schema, direction, scale, marks=marks, id=f"{schema}-{direction}-x{scale}")


def run_dbsynth(*args: str, timeout: int = 300) -> tuple[int, str]:
    """Run the ``dbsynth`` console script (``dbsynth.cli:main``) in this process; exit code and
    output (stdout then stderr). In-process because a fresh interpreter costs seconds of imports
    per case; COLUMNS keeps rich from folding the notes dbsynth prints (one note, one line)."""

    def expire(signum: int, frame: FrameType | None) -> None:
        raise CloneTimeout(f"dbsynth {args[1] if len(args) > 1 else ''} ran past {timeout} s")

    runner = CliRunner()
    old_handler = signal.signal(signal.SIGALRM, expire)
    with runner.isolation(env={"COLUMNS": "100000"}) as streams:
        argv, sys.argv = sys.argv, ["dbsynth", *args]
        code: int
        signal.alarm(timeout)
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except CloneTimeout as exc:
            code = -1
            print(f"Error: {exc}", file=sys.stderr)
        finally:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, old_handler)
            sys.argv = argv
        out = streams[0].getvalue()
        err = streams[1].getvalue() if len(streams) > 1 and streams[1] is not None else b""
    return code, (out + err).decode(errors="replace")


def _target(request: pytest.FixtureRequest, kind: str, tmp_path: Path) -> str:
    if kind == "postgresql":
        return str(request.getfixturevalue("fresh_pg"))
    if kind == "mysql":
        return str(request.getfixturevalue("fresh_mysql"))
    return f"sqlite:///{tmp_path / 'clone.sqlite'}"


def _failure(source: str, target: str, scale: int) -> str | None:
    """What is wrong with cloning ``source`` into ``target``, or None."""
    code, output = run_dbsynth(
        "--traceback",
        "clone",
        source,
        target,
        "--create-schema",
        "--seed",
        "1",
        "--scale",
        str(scale),
        "--no-report",
        "--quiet",
    )
    if code != 0:
        errors = [line for line in output.splitlines() if line.startswith("Error")]
        head = errors[-1] if errors else f"exit {code}"
        return f"clone failed: {head}\n{output[-4000:]}"
    problems = compare(source, target, output.splitlines())
    if problems:
        shown = "\n".join(problems[:30])
        more = f"\n... and {len(problems) - 30} more" if len(problems) > 30 else ""
        return f"{len(problems)} problem(s) in the clone: {problems[0]}\n{shown}{more}"
    return None


@pytest.mark.parametrize(("schema", "direction", "scale"), list(_params()))
def test_clone_keeps_every_constraint(
    schema: str,
    direction: str,
    scale: int,
    schema_url: Callable[[str, str], str],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    source_kind, target_kind = DIRECTIONS[direction]
    source = schema_url(schema, source_kind)
    target = _target(request, target_kind, tmp_path)
    failure = _failure(source, target, scale)
    defect = KNOWN_DEFECTS.get((schema, direction, scale))
    if failure is None:
        return  # a listed case that passes is an XPASS: strict, so the entry must go
    if defect is not None and re.search(defect.match, failure):
        raise KnownDefect(f"{defect.reason}\n{failure}")
    if defect is not None:
        pytest.fail(f"failed, but not as listed ({defect.reason!r}): {failure}")
    pytest.fail(failure)


def test_known_defects_name_running_cases() -> None:
    # An entry for a case that no longer runs would hide nothing and rot unnoticed.
    assert set(KNOWN_DEFECTS) <= set(CASES), set(KNOWN_DEFECTS) - set(CASES)
    assert set(SCHEMA_ONLY_DEFECTS) <= set(SCHEMA_ONLY), set(SCHEMA_ONLY_DEFECTS) - set(SCHEMA_ONLY)


# -- seeding from the schema alone ------------------------------------------------------------
#
# Every corpus schema and sample dataset, copied without its rows (pg_dump --schema-only /
# mariadb-dump --no-data) into a fresh database, then cloned with ``--create-schema --rows
# '*=200'`` and no configuration: every table must get rows, every constraint must hold, and
# the values must be plausible (test_priors.check_plausible: columns whose names say e-mail,
# URL, IP, UUID, phone, country or currency code, date or JSON parse as such for 99 % of the
# values; no NOT NULL text column holds one value in every row).
# pagila is left out: its range partitions need bounds the generator does not draw yet.
#
# Measured by hand at '*=1000' (the suite runs '*=200' for time): see benchmarks/README.md.

SCHEMA_ONLY_ROWS = 200

# (name, "schema" | "dataset", engine)
SCHEMA_ONLY: list[tuple[str, str, str]] = [
    *[
        (name, "schema", "postgresql")
        for name in (
            "osm", "musicbrainz", "synapse", "omop_cdm", "danbooru", "snaplet_slack", "french_towns",
            "iso3166", "countries_states", "zabbix", "powerdns", "guacamole", "temporal",
        )
    ],
    *[(name, "dataset", "postgresql") for name in ("chinook", "northwind", "sakila_pg", "world")],
    *[
        (name, "schema", "mysql")
        for name in ("countries_states", "zabbix", "powerdns", "guacamole", "temporal", "unit3d")
    ],
    *[(name, "dataset", "mysql") for name in ("chinook_mysql", "sakila_mysql")],
]  # fmt: skip

# (name, kind, engine) -> the defect that makes the case fail today (strict xfail, as above).
SCHEMA_ONLY_DEFECTS: dict[tuple[str, str, str], Defect] = {}


def _schema_only_params() -> Iterator[object]:
    for case in SCHEMA_ONLY:
        name, kind, engine = case
        marks: list[pytest.MarkDecorator] = [pytest.mark.slow]
        marks.append(pytest.mark.postgres if engine == "postgresql" else pytest.mark.mysql)
        if case in SCHEMA_ONLY_DEFECTS:
            marks.append(
                pytest.mark.xfail(strict=True, reason=SCHEMA_ONLY_DEFECTS[case].reason, raises=KnownDefect)
            )
        yield pytest.param(name, kind, engine, marks=marks, id=f"{name}-{engine}-{kind}")


def copy_schema_only(source: str, target: str, engine: str) -> None:
    """The tables, types and constraints of ``source`` into the empty ``target``, no rows."""
    src, dst = sa_url(source), sa_url(target)
    if engine == "postgresql":
        src, dst = src.set(drivername="postgresql"), dst.set(drivername="postgresql")
        dump = subprocess.run(
            ["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-d",
             src.render_as_string(hide_password=False)],
            capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        load = subprocess.run(
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", dst.render_as_string(hide_password=False)],
            input=dump.stdout, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    else:
        client = ["-h", src.host or "127.0.0.1", "-P", str(src.port or 3306), "-u", src.username or "root"]
        if src.password:
            client.append(f"-p{src.password}")
        dump = subprocess.run(
            [shutil.which("mariadb-dump") or "mysqldump", *client, "--no-data", "--routines", "--triggers",
             str(src.database)],
            capture_output=True, text=True, check=True, timeout=300,
        )  # fmt: skip
        load = subprocess.run(
            [shutil.which("mariadb") or "mysql", *client, str(dst.database)],
            input=dump.stdout, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    if load.returncode != 0:
        pytest.fail(f"copying the schema of {src.database} failed: {load.stderr.strip()[-500:]}")


def schema_only_failure(source: str, target: str, rows: int, *extra: str) -> str | None:
    """What is wrong with seeding the empty ``source`` into ``target``, or None."""
    code, output = run_dbsynth(
        "--traceback", "clone", source, target, "--create-schema", "--rows", f"*={rows}",
        "--seed", "1", "--no-report", "--quiet", *extra,
    )  # fmt: skip
    if code != 0:
        errors = [line for line in output.splitlines() if line.startswith("Error")]
        head = errors[-1] if errors else f"exit {code}"
        return f"seed failed: {head}\n{output[-4000:]}"
    problems = compare(source, target, output.splitlines())
    problems += [f"{table}: no rows" for table, count in table_rows(target).items() if count == 0]
    if problems:
        shown = "\n".join(problems[:30])
        return f"{len(problems)} problem(s) in the seeded database: {problems[0]}\n{shown}"
    return None


@pytest.mark.parametrize(("name", "kind", "engine"), list(_schema_only_params()))
def test_an_empty_schema_is_seeded_with_every_constraint(
    name: str,
    kind: str,
    engine: str,
    schema_url: Callable[[str, str], str],
    dataset_url: Callable[[str], str],
    request: pytest.FixtureRequest,
) -> None:
    original = schema_url(name, engine) if kind == "schema" else dataset_url(name)
    server = request.getfixturevalue("pg_url" if engine == "postgresql" else "mysql_url")
    with _two_fresh(server, engine) as (source, target):
        copy_schema_only(original, source, engine)
        failure = schema_only_failure(source, target, SCHEMA_ONLY_ROWS)
        if failure is None:
            from test_priors import check_plausible  # not at the top: test_priors imports this module

            implausible = check_plausible(target)
            if implausible:
                failure = f"{len(implausible)} implausible column(s): " + "\n".join(implausible)
    defect = SCHEMA_ONLY_DEFECTS.get((name, kind, engine))
    if failure is None:
        return
    if defect is not None and re.search(defect.match, failure):
        raise KnownDefect(f"{defect.reason}\n{failure}")
    pytest.fail(failure)


@contextmanager
def _two_fresh(server: str, engine: str) -> Iterator[tuple[str, str]]:
    sources = _fresh_database(server, engine)
    targets = _fresh_database(server, engine)
    try:
        yield next(sources), next(targets)
    finally:
        sources.close()
        targets.close()


def table_rows(url: str) -> dict[str, int]:
    """Rows per base table (partitions counted in their parent)."""
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                names = [f'"{s}"."{t}"' for s, t in conn.execute(sa.text(PG_TABLES))]
            else:
                names = [f"`{t}`" for t in sa.inspect(conn).get_table_names()]
            return {t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()) for t in names}
    finally:
        engine.dispose()
