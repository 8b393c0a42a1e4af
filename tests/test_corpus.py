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
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import NamedTuple

import pytest
from click.testing import CliRunner

from dbsynth.cli import main

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
