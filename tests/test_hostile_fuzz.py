"""Fuzzing what people and other machines hand dbsynth: model files, configs, database URLs and
source schemas. Random bytes, byte-level corruptions of a valid file (truncation, flipped and
inserted bytes, a stretch repeated), random URLs assembled from hostile parts, and SQLite sources
with hostile identifiers, declared types and values.

Every run must keep the error promise (``helpers_hostile.classify``): exit 0, or exit 1 with one
``Error:`` line (for ``config check``: located ``FILE:LINE:COLUMN:`` problem lines) that names
what is wrong (the model file, the config key, the URL); never a traceback, a hang, or
"unexpected ... bug in dbsynth". A generate that succeeds must leave a target whose constraints
all hold and whose other table is untouched.

The examples are derandomized: the same series on every run, so a failure reproduces; the series
changes with the strategies (the fixed-record tests of ``test_hostile_model`` and
``test_hostile_config`` keep their own seeds). Each property runs 12 to 20 examples, about a
minute in all.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers_hostile import Run, build_league_sqlite, classify, run_cli, warm_up
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import dbsynth

EXAMPLES = 20
SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)

CONFIG = """\
seed: 7
sample_rows: 500
tables:
  team:
    columns:
      tier: {generator: choice, values: {gold: 1, silver: 2, bronze: 3}}
      budget: {generator: range, min: 0, max: 5000}
  player:
    rows: 50
    where: "age > 18"
    columns:
      note: {generator: regex, pattern: "[a-z]{3}-[0-9]{2}"}
      shirt: {generator: sequence, start: 1, step: 2}
      rating: {generator: expression, expression: "age / 2"}
foreign_keys: []
"""


@dataclass(frozen=True)
class League:
    source: str
    model: bytes
    work: Path


@pytest.fixture(scope="module")
def league(tmp_path_factory: pytest.TempPathFactory) -> League:
    work = tmp_path_factory.mktemp("fuzz")
    source = f"sqlite:///{build_league_sqlite(work / 'league.sqlite')}"
    model = dbsynth.fit(source)
    model.save(work / "league.json")
    (work / "dbsynth.yaml").write_text(CONFIG, encoding="utf-8")
    warm_up(
        ["generate", work / "league.json", f"sqlite:///{work / 'warm.sqlite'}", "--create-schema", "-q"],
        ["config", "check", work / "dbsynth.yaml", source],
        ["inspect", "sqlite:///" + str(work / "missing.sqlite")],
    )
    return League(source, (work / "league.json").read_bytes(), work)


# -- byte strategies -------------------------------------------------------------------------------


@st.composite
def corrupted(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` with one to three byte-level edits, or random bytes (one example in eight)."""
    if draw(st.integers(0, 7), label="random") == 0:
        return draw(st.binary(max_size=400), label="bytes")
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 3), label="edits")):
        at = draw(st.integers(0, max(len(data) - 1, 0)), label="at")
        edit = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "repeat"]), label="edit")
        if edit == "truncate":
            del data[at:]
        elif edit == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7), label="bit")
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12), label="inserted")
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 40), label="length")]
        elif data:
            end = min(len(data), at + draw(st.integers(1, 60), label="length"))
            data[end:end] = data[at:end] * draw(st.integers(1, 4), label="times")
    return bytes(data)


def sqlite_target(path: Path) -> str:
    """A SQLite target that already holds a table ``other`` with one row (which must survive)."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE other (x INTEGER)")
        conn.execute("INSERT INTO other VALUES (1)")
    return f"sqlite:///{path}"


def target_problems(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        other = conn.execute("SELECT x FROM other").fetchall() if _has(conn, "other") else []
        fks = conn.execute("PRAGMA foreign_key_check").fetchall()
        integrity = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    found = [] if other == [(1,)] else ["table other changed"]
    return found + [f"foreign key: {fk}" for fk in fks] + [i for i in integrity if i != "ok"]


def _has(conn: sqlite3.Connection, table: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchall())


def failures(found: dict[str, str]) -> str:
    return "\n".join(f"  {k}: {v}" for k, v in sorted(found.items()))


# -- model files -----------------------------------------------------------------------------------


def test_corrupted_model_files_are_refused_naming_the_file(league: League, tmp_path: Path) -> None:
    found: dict[str, str] = {}
    counter = iter(range(10**6))

    @SETTINGS
    @given(data=st.data())
    def probe(data: st.DataObject) -> None:
        content = data.draw(corrupted(league.model), label="model")
        work = tmp_path / str(next(counter))
        work.mkdir()
        model = work / "model.json"
        model.write_bytes(content)
        target = work / "target.sqlite"
        # 8 s: a healthy run takes well under one; a corrupted row count must not run forever.
        run = run_cli(["generate", str(model), sqlite_target(target), "--create-schema", "-q"], timeout=8)
        problem = classify(run)
        if problem is None and run.exit_code == 0:
            broken = target_problems(target)
            problem = f"accepted-broken: {broken[0]}" if broken else None
        elif problem is None and "model file" not in run.error and str(model) not in run.error:
            problem = "unnamed-file"
        if problem is None and run.exit_code != 0 and target_problems(target)[:1] == ["table other changed"]:
            problem = "other-changed"
        if problem:
            found.setdefault(problem, f"{content[:80]!r}: {run.error or run.killed_by}")

    probe()
    assert not found, f"broken promises:\n{failures(found)}"


# -- configs ---------------------------------------------------------------------------------------


def config_problem(run: Run, config: Path) -> str | None:
    problem = classify(run)
    # config check prints its problems as located lines and a count, not as one "Error:" line.
    if problem in ("no-error-line", "several-error-lines") or (problem is None and run.exit_code == 1):
        located = [line for line in run.stderr.splitlines() if line.startswith(f"{config}:")]
        return None if located else "unlocated-error"
    return problem


def test_corrupted_configs_are_refused_with_located_problems(league: League, tmp_path: Path) -> None:
    found: dict[str, str] = {}
    counter = iter(range(10**6))
    original = (league.work / "dbsynth.yaml").read_bytes()

    @SETTINGS
    @given(data=st.data())
    def probe(data: st.DataObject) -> None:
        content = data.draw(corrupted(original), label="config")
        config = tmp_path / f"c{next(counter)}.yaml"
        config.write_bytes(content)
        run = run_cli(["config", "check", str(config), league.source], timeout=15)
        problem = config_problem(run, config)
        if problem:
            found.setdefault(problem, f"{content[:80]!r}: {run.stderr.strip().splitlines()[-1:]}")

    probe()
    assert not found, f"broken promises:\n{failures(found)}"


# -- URLs ------------------------------------------------------------------------------------------

SCHEMES = ["postgresql", "postgres", "postgresql+psycopg", "mysql", "mariadb", "mysql+pymysql", "sqlite",
           "sqlite+pysqlite", "oracle", "http", "", "postgresql+nodriver", "PostgreSQL"]  # fmt: skip
# Hosts that answer at once (refused or local): a fuzz run must not wait on DNS or a firewall.
HOSTS = ["127.0.0.1", "localhost", "[::1]", "[::1", "", "127.0.0.1:", "127.0.0.1:abc", "127.0.0.1:99999",
         "127.0.0.1:1", "127.0.0.1:5432", "127.0.0.1:3306", "127.0.0.1:-1"]  # fmt: skip
PIECES = st.lists(
    st.sampled_from([*"az09_-.%@:/?#&=[]+ ~\\'\"é\x00", "%zz", "%40", "%2F"]), max_size=8
).map("".join)


@st.composite
def urls(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 5), label="raw") == 0:
        return draw(st.text(max_size=40), label="text")
    scheme = draw(st.sampled_from(SCHEMES), label="scheme")
    user = draw(st.sampled_from(["", "postgres", "root", "u"]) | PIECES, label="user")
    password = draw(st.none() | PIECES, label="password")
    host = draw(st.sampled_from(HOSTS), label="host")
    database = draw(st.sampled_from(["", "test", "nope"]) | PIECES, label="database")
    query = draw(st.sampled_from(["", "?sslmode=bogus", "?charset=x", "?a=1&a=2", "?connect_timeout=1"]))
    auth = f"{user}{':' + password if password is not None else ''}@" if user or password else ""
    return f"{scheme}://{auth}{host}/{database}{query}"


def test_random_urls_are_refused_in_one_line(league: League) -> None:
    found: dict[str, str] = {}

    @SETTINGS
    @given(url=urls())
    def probe(url: str) -> None:
        run = run_cli(["inspect", url], timeout=15)
        problem = classify(run) if run.exit_code != 2 else None  # 2: click's own usage error
        if problem:
            found.setdefault(problem, f"{url!r}: {run.error or run.killed_by}")

    probe()
    assert not found, f"broken promises:\n{failures(found)}"


# -- schemas ---------------------------------------------------------------------------------------
# A SQLite source built from hostile identifiers (quotes, reserved words, unicode, spaces), a mix
# of declared types and values (NULLs, empty text, extremes, unicode), with a foreign key: fit
# and generate must keep the promise, and a generated target must pass its own checks.

NAMES = st.sampled_from(
    ["select", "order", 'we"ird', "we'ird", "sp ace", "ünï", "Ä", "x" * 60, "1st", "a-b", "`tick`", "[br]",
     "group", "from", "ID2", "日本", "%s", "{}", "--c", "/*c*/"]
)  # fmt: skip
TYPES = st.sampled_from(
    ["INTEGER", "TEXT", "REAL", "NUMERIC(10,2)", "VARCHAR(5)", "BOOLEAN", "DATE", "TIMESTAMP", "BLOB",
     "JSON", ""]
)  # fmt: skip
VALUES = st.sampled_from(
    [None, 0, -1, 2**62, -(2**62), 1.5, -0.0, 1e300, "", " ", "x", "é", "'; DROP TABLE other; --",
     "2024-02-30", "2024-01-01", "1970-01-01 00:00:00", "true", "NaN", "{\"a\": 1}", "\x01", "a" * 200]
)  # fmt: skip


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@st.composite
def hostile_sources(draw: st.DrawFn) -> tuple[str, list[tuple[object, ...]], list[tuple[object, ...]]]:
    names = draw(st.lists(NAMES, min_size=3, max_size=5, unique_by=str.lower), label="names")
    parent, child, *columns = names
    types = [draw(TYPES, label="type") for _ in columns]
    rows = draw(st.integers(1, 12), label="rows")
    ddl = (
        f"CREATE TABLE {quoted(parent)} (id INTEGER PRIMARY KEY, "
        + ", ".join(f"{quoted(c)} {t}" for c, t in zip(columns, types, strict=True))
        + f"); CREATE TABLE {quoted(child)} (id INTEGER PRIMARY KEY, "
        f"p INTEGER REFERENCES {quoted(parent)} (id), v {draw(TYPES, label='child type')});"
    )
    parents = [(i, *[draw(VALUES, label="value") for _ in columns]) for i in range(1, rows + 1)]
    children = [(i, draw(st.integers(1, rows)), draw(VALUES, label="value")) for i in range(1, 2 * rows + 1)]
    return ddl, parents, children


def test_hostile_schemas_fit_and_generate_or_refuse(league: League, tmp_path: Path) -> None:
    found: dict[str, str] = {}
    counter = iter(range(10**6))

    loaded: list[int] = []

    @settings(SETTINGS, max_examples=12)
    @given(source=hostile_sources())
    def probe(source: tuple[str, list[tuple[object, ...]], list[tuple[object, ...]]]) -> None:
        ddl, parents, children = source
        work = tmp_path / str(next(counter))
        work.mkdir()
        with sqlite3.connect(work / "source.sqlite") as conn:
            conn.executescript(ddl)
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            marks = ", ".join("?" * len(parents[0]))
            conn.executemany(f"INSERT INTO {quoted(tables[0])} VALUES ({marks})", parents)
            conn.executemany(f"INSERT INTO {quoted(tables[1])} VALUES (?, ?, ?)", children)
        model = work / "model.json"
        run = run_cli(["fit", f"sqlite:///{work / 'source.sqlite'}", "-o", str(model)], timeout=20)
        problem = classify(run)
        if problem is None and run.exit_code == 0:
            target = work / "target.sqlite"
            args = ["generate", str(model), sqlite_target(target), "--create-schema", "-q"]
            run = run_cli(args, timeout=20)
            problem = classify(run)
            if problem is None and run.exit_code == 0:
                broken = target_problems(target)
                problem = f"accepted-broken: {broken[0]}" if broken else None
                loaded.append(1)
        if problem:
            found.setdefault(problem, f"{ddl[:160]}: {run.error or run.killed_by}")

    probe()
    assert not found, f"broken promises:\n{failures(found)}"
    assert len(loaded) >= 6, f"only {len(loaded)} of 12 hostile schemas were cloned"
