"""Hostile command lines: database URLs that are malformed or carry a password with ``@ : /`` in
it, option values out of range, and file targets where nothing can be written.

The promise: exit 1 with one ``Error:`` line that names the option or URL at fault (exit 2 for
what click itself rejects), no traceback, no "unexpected ... bug in dbsynth", no Python
exception's name in place of an explanation, and never a piece of the password: the canary
below is checked fragment by fragment (the parts between ``@``, ``:`` and ``/``), because a URL
parsed the wrong way prints the tail of a password as a host or a database name. An option out
of range must be refused before anything is written. Cases that fail today are strict xfails
keyed in ``KNOWN_DEFECTS``.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from helpers_hostile import Run, build_league_sqlite, classify, run_cli, warm_up

import dbsynth

CANARY = "Qz7:Kx@Wv/Jq"  # typed raw it breaks URL parsing in three places
FRAGMENTS = tuple(p for p in re.split(r"[@:/]", CANARY) if p)
ENCODED = quote(CANARY, safe="")
RAW_AT = "Qz7:Kx@Wv"  # the canary up to its '/', which would end the host part


KNOWN_DEFECTS: dict[str, str] = {}


def known(case_id: str) -> list[pytest.MarkDecorator]:
    reason = KNOWN_DEFECTS.get(case_id)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


@dataclass(frozen=True)
class League:
    source: str  # SQLite URL
    model: Path
    clone: str  # a SQLite URL generated from the model (a report target)


@pytest.fixture(scope="module")
def league(tmp_path_factory: pytest.TempPathFactory) -> League:
    work = tmp_path_factory.mktemp("league")
    source = f"sqlite:///{build_league_sqlite(work / 'league.sqlite')}"
    model = dbsynth.fit(source)
    model.save(work / "league.json")
    clone = f"sqlite:///{work / 'clone.sqlite'}"
    # Also loads the code of these commands once, before the forked runs.
    warm_up(
        ["generate", work / "league.json", clone, "--create-schema", "-q", "--seed", "1"],
        ["report", source, clone, "-q"],
        ["inspect", source],
    )
    return League(source, work / "league.json", clone)


def leaked(run: Run) -> list[str]:
    text = run.stdout + run.stderr
    return [f for f in FRAGMENTS if f in text] + ([ENCODED] if ENCODED in text else [])


def assert_clean_refusal(run: Run, usage_ok: bool = False) -> None:
    assert not leaked(run), f"password fragments {leaked(run)} printed\n{run.describe()}"
    if usage_ok and run.exit_code == 2:  # click's own "Invalid value for --option"
        assert "Error: Invalid value for" in run.stderr, run.describe()
        return
    assert classify(run, allow_success=False) is None, run.describe()


# -- URLs ------------------------------------------------------------------------------------------

URLS = {
    "raw-at": f"postgresql://u:{RAW_AT}@127.0.0.1:5432/db",
    "raw-at-colon-slash": f"postgresql://u:{CANARY}@127.0.0.1:5432/db",
    "sqlite-raw-at": f"sqlite://u:{RAW_AT}@/missing.db",
    "encoded-unreachable": f"postgresql://u:{ENCODED}@127.0.0.1:1/db",
    "encoded-bad-option": f"postgresql://u:{ENCODED}@127.0.0.1:5432/db?bogus=1",
    "encoded-no-driver": f"postgresql+asyncpg://u:{ENCODED}@127.0.0.1/db",
    "port-not-a-number": "postgresql://h:abc/db",
    "port-not-a-number-password": f"postgresql://u:{ENCODED}@127.0.0.1:abc/db",
    "ipv6-unclosed": f"postgresql://u:{ENCODED}@[::1/db",
    "unknown-scheme": f"oracle://u:{ENCODED}@db.example.com/db",
    "http-scheme": f"http://u:{ENCODED}@db.example.com/db",
    "mysql-bad-charset": f"mysql://root:{ENCODED}@127.0.0.1:3306/db?charset=bogus",
    # SQLAlchemy refused these when the engine was made: "unexpected ArgumentError".
    "sqlite-with-host": f"sqlite://u:{ENCODED}@127.0.0.1:1/",
    # The text was echoed as it was: the error took two lines.
    "not-a-url-newline": "league\nsqlite",
}


@pytest.mark.parametrize(
    "name", [pytest.param(n, id=f"inspect-{n}", marks=known(f"inspect-{n}")) for n in URLS]
)
def test_hostile_url_is_refused_without_the_password(name: str) -> None:
    assert_clean_refusal(run_cli(["inspect", URLS[name]]))


COMMAND_URLS = ["raw-at", "port-not-a-number"]


@pytest.mark.parametrize(
    ("command", "name"),
    [
        pytest.param(c, n, id=f"{c}-{n}", marks=known(f"{c}-{n}"))
        for c in ("generate", "clone", "report")
        for n in COMMAND_URLS
    ],
)
def test_hostile_target_url_is_refused_without_the_password(
    command: str, name: str, league: League, tmp_path: Path
) -> None:
    first = str(league.model) if command == "generate" else league.source
    extra = ["--create-schema", "-q", "--no-report"] if command == "clone" else ["-q"]
    assert_clean_refusal(run_cli([command, first, URLS[name], *extra]))


# -- options ---------------------------------------------------------------------------------------


def tables_in(path: Path) -> list[str]:
    if not path.exists():
        return []
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


GENERATE_OPTIONS = {
    "scale-1e12": ["--scale", "1e12"],
    "scale-negative": ["--scale", "-1"],
    "scale-nan": ["--scale", "nan"],
    "scale-inf": ["--scale", "inf"],
    "seed-negative": ["--seed", "-1"],
    "rows-1e20": ["--rows", "team=99999999999999999999"],
    "rows-negative": ["--rows", "team=-1"],
    "rows-unknown-table": ["--rows", "ghost=5"],
    "rows-malformed": ["--rows", "team"],
    "chunk-rows-0": ["--chunk-rows", "0"],
    "edge-cases-2": ["--edge-cases", "2"],
    "edge-cases-negative": ["--edge-cases", "-0.1"],
}
# The word each error must contain (the option, or what it names).
GENERATE_NAMES = {"rows-unknown-table": "ghost"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, id=f"generate-{n}", marks=known(f"generate-{n}")) for n in GENERATE_OPTIONS]
)
def test_generate_option_out_of_range_is_refused_before_writing(
    name: str, league: League, tmp_path: Path
) -> None:
    target = tmp_path / "target.sqlite"
    # 3 s: the refusal takes well under one; a run that accepted the value writes until killed.
    run = run_cli(
        [
            "generate",
            str(league.model),
            f"sqlite:///{target}",
            "--create-schema",
            "-q",
            *GENERATE_OPTIONS[name],
        ],
        timeout=3,
    )
    assert_clean_refusal(run, usage_ok=True)
    option = GENERATE_NAMES.get(name, GENERATE_OPTIONS[name][0])
    assert option in run.error, f"the error does not name {option}\n{run.describe()}"
    assert tables_in(target) == [], "the target was written before the refusal"


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c, marks=known(c)) for c in ["generate-dry-run-scale-1e12"]]
)
def test_generate_dry_run_with_huge_scale_is_refused(case: str, league: League, tmp_path: Path) -> None:
    target = tmp_path / "target.sqlite"
    run = run_cli(["generate", str(league.model), f"sqlite:///{target}", "--dry-run", "--scale", "1e12"])
    assert_clean_refusal(run)
    assert "--scale" in run.error, run.describe()
    assert not target.exists()


OTHER_OPTIONS = {
    "report-seed-negative": (["report", "{source}", "{clone}", "-q", "--seed", "-1"], "--seed"),
    "report-holdout-1.5": (["report", "{source}", "{clone}", "-q", "--holdout-fraction", "1.5"], "--holdout"),
    "report-fail-under-500": (["report", "{source}", "{clone}", "-q", "--fail-under", "500"], "--fail-under"),
    "fit-sample-rows-negative": (
        ["fit", "{source}", "-o", "{tmp}/m.json", "--sample-rows", "-1"],
        "--sample-rows",
    ),
    "fit-min-count-0": (["fit", "{source}", "-o", "{tmp}/m.json", "--min-count", "0"], "--min-count"),
    "fit-locale-unknown": (["fit", "{source}", "-o", "{tmp}/m.json", "--locale", "xx_YY"], "--locale"),
    "fit-table-unknown": (["fit", "{source}", "-o", "{tmp}/m.json", "--table", "ghost"], "ghost"),
    "fit-seed-negative": (["fit", "{source}", "-o", "{tmp}/m.json", "--seed", "-1"], "--seed"),
    "demo-seed-negative": (["demo", "--workdir", "{tmp}/demo", "--seed", "-1"], "--seed"),
    # A sampling filter is pasted into the source's query: checked as the config's where is.
    "fit-where-syntax-error": (
        ["fit", "{source}", "-o", "{tmp}/m.json", "--where", "player=age >"],
        "--where",
    ),
    "fit-where-drop-table": (
        ["fit", "{source}", "-o", "{tmp}/m.json", "--where", "player=1=1; DROP TABLE team"],
        "--where",
    ),
    "fit-where-nextval": (
        ["fit", "{source}", "-o", "{tmp}/m.json", "--where", "player=nextval('s') > 0"],
        "--where",
    ),
    "fit-where-subquery": (
        ["fit", "{source}", "-o", "{tmp}/m.json", "--where", "player=team_id IN (SELECT 1)"],
        "--where",
    ),
}


@pytest.mark.parametrize("name", [pytest.param(n, id=n, marks=known(n)) for n in OTHER_OPTIONS])
def test_option_out_of_range_is_refused(name: str, league: League, tmp_path: Path) -> None:
    args, option = OTHER_OPTIONS[name]
    values = {"source": league.source, "clone": league.clone, "tmp": str(tmp_path)}
    run = run_cli([a.format(**values) for a in args])
    assert_clean_refusal(run, usage_ok=True)
    assert option in run.error, f"the error does not name {option}\n{run.describe()}"
    assert not (tmp_path / "m.json").exists()
    assert not (tmp_path / "demo").exists()


@pytest.mark.parametrize(
    "condition", ["age >", "1=1; DROP TABLE team", "nextval('s') > 0", "team_id IN (SELECT 1)"]
)
def test_fit_where_is_refused_before_the_source_is_opened(condition: str, tmp_path: Path) -> None:
    # The source does not exist: an error naming it would mean the filter was left to the server.
    source = f"sqlite:///{tmp_path / 'missing.sqlite'}"
    run = run_cli(["fit", source, "-o", str(tmp_path / "m.json"), "--where", f"player={condition}"])
    assert_clean_refusal(run)
    assert run.error.startswith("Error: --where player: "), run.describe()


# -- file targets where nothing can be written -----------------------------------------------------

FILE_TARGETS = {
    "generate-csv-proc-missing": (["generate", "{model}", "/proc/dbsynth-out", "-q"], "/proc/dbsynth-out"),
    "generate-csv-proc-self": (["generate", "{model}", "/proc/self", "-q"], "/proc/self"),
    "generate-parquet-proc-self": (
        ["generate", "{model}", "/proc/self", "-q", "--format", "parquet"],
        "/proc/self",
    ),
    "fit-output-proc": (["fit", "{source}", "-o", "/proc/self/m.json"], "/proc/self"),
    "inspect-output-proc": (["inspect", "{source}", "-o", "/proc/x.txt"], "/proc/x.txt"),
    "report-html-proc": (["report", "{source}", "{clone}", "-q", "--html", "/proc/x.html"], "/proc/x.html"),
    "report-json-proc": (["report", "{source}", "{clone}", "-q", "--json", "/proc/x.json"], "/proc/x.json"),
}


@pytest.mark.parametrize("name", [pytest.param(n, id=n, marks=known(n)) for n in FILE_TARGETS])
def test_unwritable_file_target_is_refused_naming_it(name: str, league: League) -> None:
    args, path = FILE_TARGETS[name]
    values = {"source": league.source, "clone": league.clone, "model": str(league.model)}
    run = run_cli([a.format(**values) for a in args])
    assert_clean_refusal(run)
    assert path in run.error, run.describe()


def test_traceback_output_is_scrubbed_too() -> None:
    run = run_cli(["--traceback", "inspect", URLS["encoded-unreachable"]])
    assert "Traceback" in run.stderr, run.describe()  # the stack is shown on request ...
    assert not leaked(run), run.describe()  # ... without the password


# -- targets that hold data ------------------------------------------------------------------------


def test_non_empty_database_target_is_not_overwritten(league: League, tmp_path: Path) -> None:
    target = tmp_path / "target.sqlite"
    build_league_sqlite(target)
    before = target.read_bytes()
    run = run_cli(["generate", str(league.model), f"sqlite:///{target}", "-q"])
    assert_clean_refusal(run)
    assert "--if-exists" in run.error, run.describe()
    assert target.read_bytes() == before


def test_existing_table_files_are_not_overwritten(league: League, tmp_path: Path) -> None:
    (tmp_path / "team.csv").write_text("precious\n")
    run = run_cli(["generate", str(league.model), str(tmp_path), "-q"])
    assert_clean_refusal(run)
    assert "team.csv" in run.error and "--if-exists" in run.error, run.describe()
    assert (tmp_path / "team.csv").read_text() == "precious\n"


# -- what clone refuses before it fits -------------------------------------------------------------


def _fit_must_not_run(*args: object, **kwargs: object) -> None:
    raise AssertionError("the fit ran before the refusal")


def test_clone_refuses_an_unknown_rows_table_before_fitting(
    league: League, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dbsynth.api.fit", _fit_must_not_run)
    with pytest.raises(dbsynth.UsageError, match=r"--rows tem: unknown table 'tem'\. Did you mean 'team'\?"):
        dbsynth.clone(league.source, f"sqlite:///{tmp_path / 'out.sqlite'}", rows={"tem": 5})


@pytest.mark.postgres
def test_clone_refuses_a_missing_target_database_before_fitting(
    league: League, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dbsynth.api.fit", _fit_must_not_run)
    missing = pg_url.rsplit("/", 1)[0] + "/dbsynth_no_such_database"
    with pytest.raises(dbsynth.ConnectionFailed, match="database 'dbsynth_no_such_database' does not exist"):
        dbsynth.clone(league.source, missing)
