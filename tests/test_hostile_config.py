"""Hostile ``dbsynth.yaml`` files: ``dbsynth config check CONFIG URL`` must refuse a config that
cannot work with exit 1 and one ``FILE:LINE:COLUMN: message`` line per problem that names the
key at fault; never a traceback or an "unexpected ... bug in dbsynth" line, never exit 0 for a
config that would fail (or do harm) later, in ``fit`` or ``generate``.

The configs are checked against the small league of ``helpers_hostile`` (SQLite; PostgreSQL for
what only PostgreSQL has: 32-bit integers, sequences). Cases that fail today are strict xfails
keyed in ``KNOWN_DEFECTS``; random YAML is a hypothesis property recording defect classes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers_hostile import (
    BUG_MARKERS,
    LEAGUE_PG,
    Run,
    build_league_sqlite,
    run_cli,
    scratch_database,
    warm_up,
)
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

import dbsynth

ACCEPTED = "accepted: config check says the file is valid for this database"

KNOWN_DEFECTS: dict[str, str] = {}


def known(case_id: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN_DEFECTS.get(case_id)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@pytest.fixture(scope="module")
def league_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("league")
    url = f"sqlite:///{build_league_sqlite(work / 'league.sqlite')}"
    (work / "empty.yaml").write_text("seed: 1\n", encoding="utf-8")
    warm_up(["config", "check", work / "empty.yaml", url])  # loads the code once, before the forks
    return url


@pytest.fixture(scope="module")
def pg_league_url(pg_url: str) -> Iterator[str]:
    with scratch_database(pg_url, LEAGUE_PG) as url:
        yield url


def check(config: Path, url: str) -> Run:
    return run_cli(["config", "check", str(config), url], timeout=20)


def problems(run: Run, config: Path) -> list[str]:
    """The located problem lines (``FILE:LINE:COLUMN: message`` or ``FILE: message``)."""
    return [
        line
        for line in run.stderr.splitlines()
        if line.startswith(f"{config}:") and not line.startswith(f"{config}: valid")
    ]


def broken_promise(run: Run, config: Path) -> str | None:
    """What is wrong with how ``config check`` answered, or None (exit 0 counts as an answer)."""
    if run.killed_by:
        return "hang" if run.killed_by == "timeout" else f"killed:{run.killed_by}"
    if "Traceback (most recent call last)" in run.stderr:
        return "traceback"
    if any(marker in run.stderr for marker in BUG_MARKERS):
        return "internal"
    if run.exit_code == 0:
        return None
    if run.exit_code != 1:
        return f"exit:{run.exit_code}"
    return None if problems(run, config) else "unlocated-error"


# -- named cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    text: str | bytes
    names: tuple[str, ...]  # words the problem line must contain
    postgres: bool = False


def columns(table: str, column: str, spec: str) -> str:
    return f"tables:\n  {table}:\n    columns:\n      {column}: {spec}\n"


def where(table: str, predicate: str) -> str:
    return f"tables:\n  {table}:\n    where: {yaml.safe_dump(predicate).splitlines()[0]}\n"


CASES = [
    Case("random-bytes", bytes(range(256)) * 2, ()),
    Case("nul-character", "seed: 1\nlocale: en\x00US\n", ("U+0000",)),
    Case("scalar-document", "just a string\n", ("top level",)),
    Case("list-document", "- 1\n- 2\n", ("top level",)),
    Case("python-tag", 'seed: !!python/object/apply:os.system ["echo pwned"]\n', ("seed",)),
    # Nine references per level, eight levels: 43 million leaves if anything walks it expanded.
    Case(
        "billion-laughs",
        "seed: [&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol], "
        + ", ".join(f"&l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 8))
        + "]\n",
        ("seed",),
    ),
    Case("duplicate-key", "seed: 1\nseed: 2\n", ("seed",)),
    Case("deeply-nested", "tables: " + "[" * 20_000 + "]" * 20_000 + "\n", ("tables",)),
    Case(
        "unique-regex-2-values",
        columns("team", "name", '{generator: regex, pattern: "[ab]", unique: true}'),
        ("team.name", "pattern"),
    ),
    Case(
        "sequence-int64-overflow",
        columns("player", "shirt", "{generator: sequence, start: 9223372036854775000, step: 1000}"),
        ("player.shirt", "start"),
    ),
    Case(
        "pg-sequence-int32-overflow",
        columns("player", "shirt", "{generator: sequence, start: 2147483600, step: 1000}"),
        ("player.shirt", "start"),
        postgres=True,
    ),
    Case(
        "expression-divides-by-zero",
        columns("player", "rating", '{generator: expression, expression: "age / 0"}'),
        ("player.rating", "expression"),
    ),
    Case(
        "range-outside-check",
        columns("player", "age", "{generator: range, min: 100, max: 200}"),
        ("player.age", "check"),
    ),
    Case("rows-beyond-int64", "tables:\n  player:\n    rows: 99999999999999999999999\n", ("rows", "player")),
    Case("seed-beyond-int64", "seed: 18446744073709551616\n", ("seed",)),
    Case(
        "expression-longer-than-column",
        columns("team", "tier", "{generator: expression, expression: \"'x' + '" + "y" * 60 + "'\"}"),
        ("team.tier", "expression"),
    ),
    Case(
        "unique-range-too-narrow",
        columns("player", "shirt", "{generator: range, min: 1, max: 3, unique: true}"),
        ("player.shirt", "unique"),
    ),
    Case("rows-negative", "tables:\n  player:\n    rows: -5\n", ("rows", "player")),
    Case("null-rate-on-not-null", columns("player", "age", "{null_rate: 0.5}"), ("null_rate", "player.age")),
    Case(
        "regex-longer-than-column",
        columns("team", "name", '{generator: regex, pattern: "[a-z]{1000000000}"}'),
        ("team.name", "pattern"),
    ),
    Case("where-syntax-error", where("player", "age >"), ("where", "player")),
    Case("where-drop-table", where("player", "1=1; DROP TABLE team"), ("where", "player")),
    Case("where-nextval", where("player", "nextval('player_player_id_seq') > 0"), ("where", "player")),
    Case(
        "pg-where-nextval",
        where("player", "nextval('player_player_id_seq') > 0"),
        ("where", "player"),
        postgres=True,
    ),
]


def case_params() -> list[Any]:
    # The PostgreSQL cases reach their server through getfixturevalue: they carry its marker.
    return [
        pytest.param(c, id=c.id, marks=known(c.id) + ([pytest.mark.postgres] if c.postgres else []))
        for c in CASES
    ]


@pytest.mark.parametrize("case", case_params())
def test_hostile_config_is_refused_naming_the_key(
    case: Case, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue("pg_league_url" if case.postgres else "league_url")
    config = tmp_path / "dbsynth.yaml"
    if isinstance(case.text, bytes):
        config.write_bytes(case.text)
    else:
        config.write_text(case.text, encoding="utf-8")
    run = check(config, url)
    assert broken_promise(run, config) is None, run.describe()
    assert run.exit_code == 1, f"the config was accepted\n{run.describe()}"
    found = problems(run, config)
    assert len(found) == 1, run.describe()
    message = found[0][len(str(config)) :]  # the file name is not the key
    for name in case.names:
        assert name.lower() in message.lower(), f"the problem does not name {name!r}\n{run.describe()}"


def test_python_tags_are_not_executed(league_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    config = tmp_path / "dbsynth.yaml"
    config.write_text(f'seed: !!python/object/apply:os.system ["touch {marker}"]\n', encoding="utf-8")
    check(config, league_url)
    assert not marker.exists()


# -- random YAML -----------------------------------------------------------------------------------
# Documents shaped like a config (the real keys, the league's tables and columns, every generator)
# so that most get past the shape checks and reach binding against the schema, carrying hostile
# values. Every answer must be exit 0, or exit 1 with located problem lines. The series is fixed by
# SEED; see test_hostile_model for why the set of classes met is compared with a record.

EXAMPLES = 40
SEED = 20_240_607

# class -> an example of it in this series
KNOWN_CONFIG_CLASSES: dict[str, str] = {}

HOSTILE = st.sampled_from(
    [
        None,
        True,
        0,
        -1,
        0.5,
        2,
        2**31,
        2**63,
        2**64,
        1e308,
        float("nan"),
        float("inf"),
        "",
        "x",
        "[ab]",
        "age / 0",
        "age >",
        "1=1; DROP TABLE team",
        "nextval('s')",
        "{:d}",
        "{}{}",
        "%s",
        "\x00",
        "é" * 3,
    ]
)
SCALARS = HOSTILE | st.integers() | st.floats() | st.text(max_size=6)
SMALL = SCALARS | st.lists(SCALARS, max_size=3) | st.dictionaries(st.text(max_size=4), SCALARS, max_size=3)
GENERATORS = ["choice", "regex", "range", "constant", "sequence", "faker", "expression", "nope"]
PARAMS = [
    "values",
    "pattern",
    "min",
    "max",
    "distribution",
    "value",
    "start",
    "step",
    "format",
    "expression",
    "provider",
    "args",
    "unique",
    "null_rate",
    "pii",
]
COLUMNS = [
    "team_id",
    "name",
    "tier",
    "budget",
    "founded",
    "code",
    "player_id",
    "age",
    "rating",
    "shirt",
    "note",
]
COLUMN = st.fixed_dictionaries(
    {"generator": st.sampled_from(GENERATORS)}, optional={p: SMALL for p in PARAMS}
) | st.fixed_dictionaries({}, optional={"null_rate": SMALL, "pii": SMALL, "unique": SMALL})
TABLE = st.fixed_dictionaries(
    {},
    optional={
        "rows": SCALARS,
        "scale": SCALARS,
        "exclude": SCALARS,
        "copy": SCALARS,
        "where": SCALARS,
        "columns": st.dictionaries(st.sampled_from(COLUMNS), COLUMN, max_size=2),
    },
)
FOREIGN_KEY = st.fixed_dictionaries(
    {},
    optional={
        "table": st.sampled_from(["team", "player", "ghost"]) | SCALARS,
        "columns": st.lists(st.sampled_from(COLUMNS), max_size=2) | SCALARS,
        "references": st.sampled_from(["team", "player", "ghost"]) | SCALARS,
        "ref_columns": st.lists(st.sampled_from(COLUMNS), max_size=2) | SCALARS,
    },
)
CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "seed": SCALARS,
        "locale": SCALARS | st.sampled_from(["en_US", "de_DE", "xx_YY"]),
        "min_count": SCALARS,
        "sample_rows": SCALARS,
        "tables": st.dictionaries(st.sampled_from(["team", "player", "ghost"]), TABLE, max_size=2),
        "foreign_keys": st.lists(FOREIGN_KEY, max_size=2),
    },
)


# Values no config check may pass: SQL that cannot parse or writes, and a division by zero.
BAD_WHERE = {"age >", "1=1; DROP TABLE team", "nextval('s')"}
BAD_EXPRESSION = {"age / 0"}


def accepted_hostile(run: Run, document: dict[str, object]) -> str | None:
    """``accepted:where`` / ``accepted:expression`` when a config carrying one of the values
    above, where it applies, was declared valid."""
    if run.exit_code != 0:
        return None
    tables = document.get("tables")
    for spec in tables.values() if isinstance(tables, dict) else ():
        if isinstance(spec, dict) and spec.get("where") in BAD_WHERE:
            return "accepted:where"
        for column in (spec.get("columns") or {}).values() if isinstance(spec, dict) else ():
            if isinstance(column, dict) and column.get("expression") in BAD_EXPRESSION:
                return "accepted:expression"
    return None


def test_random_configs_fail_only_in_known_ways(league_url: str, tmp_path: Path) -> None:
    seen: dict[str, str] = {}
    counter = iter(range(10**6))

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(document=CONFIGS)
    def probe(document: dict[str, object]) -> None:
        config = tmp_path / f"c{next(counter)}.yaml"
        config.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        run = check(config, league_url)
        found = broken_promise(run, config) or accepted_hostile(run, document)
        if found and found not in seen:
            last = (run.stderr.strip().splitlines() or [""])[-1]
            seen[found] = f"{document!r:.200}: {last}"

    probe()
    report = "\n".join(f"  {k}: {v}" for k, v in sorted(seen.items()))
    assert set(seen) == set(KNOWN_CONFIG_CLASSES), f"defect classes met:\n{report}"


def test_generate_refuses_a_config_its_model_cannot_fill(league_url: str, tmp_path: Path) -> None:
    # The model's row counts stand for the source's: 160 players from a sequence starting near
    # the largest 64-bit integer cannot be written, whatever the target.
    dbsynth.fit(league_url).save(tmp_path / "m.json")
    config = tmp_path / "dbsynth.yaml"
    spec = "{generator: sequence, start: 9223372036854775000, step: 1000}"
    config.write_text(columns("player", "shirt", spec), encoding="utf-8")
    target = tmp_path / "target.sqlite"
    run = run_cli(["generate", str(tmp_path / "m.json"), f"sqlite:///{target}", "--create-schema", "-q",
                   "--config", str(config)])  # fmt: skip
    assert run.exit_code == 1, run.describe()
    assert "player.shirt" in run.stderr and "start" in run.stderr, run.describe()
    assert not target.exists() or target.stat().st_size == 0, run.describe()
