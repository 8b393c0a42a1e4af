"""Plugins: entry-point discovery (built-ins declared like plugins; broken ones reported with their
reason and skipped), ``dbsynth plugins``, the type hooks for introspection warnings and DDL, and
the conformance helper ``dbsynth.testing.check_generator`` catching each kind of bad model.

Fake plugins are real installed distributions: a ``*.dist-info`` folder with ``METADATA`` and
``entry_points.txt`` in a temporary directory put on ``sys.path``, which is all
``importlib.metadata`` reads.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import json
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from dbsynth.cli import DbsynthGroup
from dbsynth.cli.plugins import plugins_command
from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register, registered_kinds
from dbsynth.columns.generators import generators
from dbsynth.columns.numeric import NumericModel
from dbsynth.db import connect
from dbsynth.fitting.choose import choose_model
from dbsynth.introspection.postgres import reflect as reflect_postgres
from dbsynth.plugins import (
    GENERATORS,
    SQL_TYPE_MODELS,
    TYPES,
    PluginWarning,
    Status,
    TypeHandler,
    annotate_warnings,
    extension_statements,
    load_plugins,
    type_handler,
)
from dbsynth.schema import Column, LogicalType
from dbsynth.testing import check_generator

FAKE_MODULE = '''
from dataclasses import dataclass

import numpy as np

from dbsynth.columns.base import ColumnModel, clip_unit
from dbsynth.columns.generators import GeneratorModel
from dbsynth.plugins import TypeHandler


@dataclass(frozen=True)
class WordModel(ColumnModel):
    """No kind of its own: the loader registers it under the entry point's name."""

    word: str = "tri"

    @classmethod
    def fit(cls, values, column, ctx):
        return cls()

    def to_uniform(self, values, rng):
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u, rng):
        return np.array([f"{self.word}{i}" for i in rng.integers(0, 9, len(u))], dtype=object)


@dataclass(frozen=True)
class ShoutGenerator(GeneratorModel):
    """A config generator declared only through its entry point (no register_generator)."""

    summary = "the word, upper case"

    def from_uniform(self, u, rng):
        return np.array(["HEY"] * len(u), dtype=object)


class OtherNumeric(ColumnModel):
    kind = "numeric"  # already dbsynth's


NOT_A_MODEL = {"kind": "dict"}
TSVECTOR = TypeHandler(("tsvector",), "fake_words", extension="pg_trgm", description="test words")
UNKNOWN_MODEL = TypeHandler(("tri",), "nosuchkind")
BAD_NAMES = TypeHandler(("Tri(3)",), "fake_words", dialects=("oracle",))
'''

FAKE_ENTRY_POINTS = """
[dbsynth.generators]
fake_words = fake_dbsynth_plugin:WordModel
generator.fake_shout = fake_dbsynth_plugin:ShoutGenerator
missing = fake_dbsynth_missing:Model
not_a_model = fake_dbsynth_plugin:NOT_A_MODEL
numeric_again = fake_dbsynth_plugin:OtherNumeric

[dbsynth.types]
tsvector = fake_dbsynth_plugin:TSVECTOR
tsvector_again = fake_dbsynth_plugin:TSVECTOR
unknown_model = fake_dbsynth_plugin:UNKNOWN_MODEL
bad_names = fake_dbsynth_plugin:BAD_NAMES
"""

EXPECTED_ERRORS = {
    (GENERATORS, "missing"): "cannot import fake_dbsynth_missing:Model: ModuleNotFoundError: "
    "No module named 'fake_dbsynth_missing'",
    (GENERATORS, "not_a_model"): "fake_dbsynth_plugin:NOT_A_MODEL is a dict, not a ColumnModel subclass",
    (GENERATORS, "numeric_again"): "column model kind 'numeric' is already provided by "
    "dbsynth.columns.numeric.NumericModel",
    (TYPES, "tsvector_again"): "SQL type 'tsvector' is already handled by plugin 'tsvector'",
    (
        TYPES,
        "unknown_model",
    ): "column model 'nosuchkind' is not registered (its generator is missing or broken)",
    (TYPES, "bad_names"): "SQL type 'Tri(3)' is not a bare lower-case type name; "
    "dialect 'oracle' is not one of postgresql, mysql, sqlite",
}


def install_fake_distribution(site: Path, name: str, version: str, entry_points: str) -> None:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))


@pytest.fixture
def fake_plugins(tmp_path: Path) -> Iterator[Path]:
    """A distribution ``fake-dbsynth-plugin 1.0`` on sys.path; afterwards the plugins are
    reloaded without it, so its type claims do not leak into other tests."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "fake_dbsynth_plugin.py").write_text(FAKE_MODULE)
    install_fake_distribution(site, "fake_dbsynth_plugin", "1.0", FAKE_ENTRY_POINTS)
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        yield site
    finally:
        # The module stays imported: the column-model registry has no removal, so a second
        # import would make a new WordModel class that the registry refuses as a duplicate.
        sys.path.remove(str(site))
        importlib.invalidate_caches()
        load_plugins(reload=True)


def loaded_with_fakes() -> dict[tuple[str, str], object]:
    with pytest.warns(PluginWarning) as caught:
        report = load_plugins(reload=True)
    by_key = {(p.group, p.name): p for p in report.plugins}
    assert sorted(str(w.message) for w in caught) == sorted(p.warning() for p in report.broken)
    return by_key  # type: ignore[return-value]


# -- discovery -------------------------------------------------------------------------------------


def test_builtins_are_declared_and_loaded_as_entry_points() -> None:
    report = load_plugins(reload=True)
    builtin = {p.name: p for p in report.plugins if p.builtin}
    own_kinds = {k for k, cls in registered_kinds().items() if cls.__module__.startswith("dbsynth.")}
    assert own_kinds <= set(builtin), f"built-in kinds missing from pyproject: {own_kinds - set(builtin)}"
    numeric = builtin["numeric"]
    assert (numeric.group, numeric.value, numeric.distribution, numeric.status) == (
        GENERATORS,
        "dbsynth.columns.numeric:NumericModel",
        "dbsynth",
        Status.OK,
    )
    assert numeric.version == metadata.version("dbsynth")
    assert numeric.provides == "column model 'numeric'"
    assert all(p.status is Status.OK for p in builtin.values())


def test_load_plugins_is_idempotent() -> None:
    first = load_plugins()
    assert load_plugins() is first


def test_broken_plugins_are_reported_and_skipped(fake_plugins: Path) -> None:
    plugins = loaded_with_fakes()
    broken = {key: p.error for key, p in plugins.items() if p.status is Status.BROKEN}  # type: ignore[attr-defined]
    assert broken == EXPECTED_ERRORS
    missing = plugins[(GENERATORS, "missing")]
    assert missing.warning() == (  # type: ignore[attr-defined]
        "plugin 'missing' (dbsynth.generators, from fake_dbsynth_plugin 1.0) is broken and was skipped: "
        + EXPECTED_ERRORS[(GENERATORS, "missing")]
    )
    # The working plugins of the same distribution are in use.
    words = plugins[(GENERATORS, "fake_words")]
    assert (words.status, words.provides) == (Status.OK, "column model 'fake_words'")  # type: ignore[attr-defined]
    assert registered_kinds()["fake_words"].__module__ == "fake_dbsynth_plugin"
    shout = plugins[(GENERATORS, "generator.fake_shout")]
    assert shout.provides == "config generator 'fake_shout' (column model 'generator.fake_shout')"  # type: ignore[attr-defined]
    assert generators()["fake_shout"] is registered_kinds()["generator.fake_shout"]
    assert registered_kinds()["numeric"] is NumericModel
    assert SQL_TYPE_MODELS["tsvector"] == "fake_words"
    assert "tri" not in SQL_TYPE_MODELS


def test_a_claimed_sql_type_gets_the_plugin_model(fake_plugins: Path) -> None:
    loaded_with_fakes()
    column = Column("body", "tsvector", LogicalType.OTHER)
    choice = choose_model(column, pd.Series(["'a' 'b'"] * 10), FitContext())
    assert choice.model.kind == "fake_words"
    found = type_handler("pg_catalog.tsvector", "postgresql")
    assert found is not None and found[1].distribution == "fake_dbsynth_plugin"
    assert type_handler("tsvector", "mysql") is None


def test_reload_forgets_a_removed_plugin(fake_plugins: Path) -> None:
    loaded_with_fakes()
    sys.path.remove(str(fake_plugins))
    try:
        report = load_plugins(reload=True)
    finally:
        sys.path.insert(0, str(fake_plugins))
    assert not [p for p in report.plugins if p.distribution == "fake_dbsynth_plugin"]
    assert "tsvector" not in SQL_TYPE_MODELS


# -- the command -----------------------------------------------------------------------------------


def run_plugins(*args: str) -> Result:
    group = DbsynthGroup("dbsynth")
    group.add_command(plugins_command)
    # Wide enough that no table cell folds; rich reads COLUMNS when the output is not a terminal.
    return CliRunner(env={"COLUMNS": "250"}).invoke(group, ["plugins", *args])


def test_plugins_command_lists_builtins() -> None:
    load_plugins(reload=True)
    result = run_plugins()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "group", "distribution", "provides", "status"]
    numeric = next(line for line in lines if line.startswith("numeric "))
    assert numeric.split() == [
        "numeric",
        "dbsynth.generators",
        "dbsynth",
        "0.1.0",
        "column",
        "model",
        "'numeric'",
        "ok",
    ]
    plugins = load_plugins().plugins
    builtin = len([p for p in plugins if p.builtin])
    assert lines[-1] == f"{len(plugins)} plugins ({builtin} built into dbsynth), 0 broken"
    assert run_plugins("--check").exit_code == 0


def test_plugins_command_shows_broken_plugins(fake_plugins: Path) -> None:
    loaded_with_fakes()
    result = run_plugins()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    row = next(line for line in lines if line.startswith("missing "))
    assert row.split() == ["missing", "dbsynth.generators", "fake_dbsynth_plugin", "1.0", "-", "broken"]
    row = next(line for line in lines if line.startswith("tsvector "))
    assert row.split()[:3] == ["tsvector", "dbsynth.types", "fake_dbsynth_plugin"]
    assert "SQL type tsvector -> column model 'fake_words' (postgresql; extension pg_trgm): test words" in row
    assert row.split()[-1] == "ok"
    start = lines.index("Broken, skipped (6)")
    assert lines[start + 1 : start + 3] == [
        f"- missing (dbsynth.generators, fake_dbsynth_plugin): {EXPECTED_ERRORS[(GENERATORS, 'missing')]}",
        "- not_a_model (dbsynth.generators, fake_dbsynth_plugin): "
        + EXPECTED_ERRORS[(GENERATORS, "not_a_model")],
    ]
    assert lines[-1].endswith(" built into dbsynth), 6 broken")

    checked = run_plugins("--check")
    assert checked.exit_code == 1
    assert checked.stderr.splitlines()[-1] == (
        "Error: 6 plugins broken: missing (dbsynth.generators, fake_dbsynth_plugin), "
        "not_a_model (dbsynth.generators, fake_dbsynth_plugin), "
        "numeric_again (dbsynth.generators, fake_dbsynth_plugin), "
        "bad_names (dbsynth.types, fake_dbsynth_plugin), "
        "tsvector_again (dbsynth.types, fake_dbsynth_plugin), "
        "unknown_model (dbsynth.types, fake_dbsynth_plugin)"
    )


def test_plugins_command_json_to_a_file(fake_plugins: Path, tmp_path: Path) -> None:
    loaded_with_fakes()
    out = tmp_path / "plugins.json"
    result = run_plugins("--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    entry = next(d for d in data if d["name"] == "not_a_model")
    assert entry == {
        "name": "not_a_model",
        "group": "dbsynth.generators",
        "value": "fake_dbsynth_plugin:NOT_A_MODEL",
        "distribution": "fake_dbsynth_plugin",
        "version": "1.0",
        "provides": "",
        "status": "broken",
        "error": EXPECTED_ERRORS[(GENERATORS, "not_a_model")],
    }
    assert result.stderr == f"Wrote the list of {len(data)} plugins to {out}\n"


# -- hooks: introspection warnings and extensions in the target ------------------------------------


@pytest.mark.postgres
def test_type_hooks_on_a_real_schema(fake_plugins: Path, make_pg: Callable[[str], str]) -> None:
    loaded_with_fakes()
    url = make_pg("CREATE TABLE docs (id int PRIMARY KEY, body tsvector, at point)")
    with connect(url, read_only=True) as conn:  # the reflector's own warnings, before any hook
        schema = reflect_postgres(conn, None)
    unmodelled = "is not modelled; its SQL type is kept and it is generated as NULL or a constant"
    assert list(schema.warnings) == [
        f"public.docs.at: type 'point' {unmodelled}",
        f"public.docs.body: type 'tsvector' {unmodelled}",
    ]
    assert list(annotate_warnings(schema).warnings) == [
        schema.warnings[0],
        "public.docs.body: type 'tsvector' is not built into dbsynth; plugin fake_dbsynth_plugin "
        "generates it (column model 'fake_words')",
    ]
    assert extension_statements(schema, "postgresql") == ('CREATE EXTENSION IF NOT EXISTS "pg_trgm"',)
    assert extension_statements(schema, "mysql") == ()


def test_type_handler_problems() -> None:
    assert TypeHandler(("geometry", "double precision"), "numeric").problems() == []
    assert TypeHandler((), "numeric", extension="bad name;").problems() == [
        "it names no SQL type",
        "extension name 'bad name;' is not a plain identifier",
    ]


# -- the conformance helper ------------------------------------------------------------------------


@register("test_global_random")
@dataclass(frozen=True)
class GlobalRandomModel(ColumnModel):
    """Draws from numpy's global state: the same seed does not give the same values."""

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> GlobalRandomModel:
        return cls()

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return clip_unit(rng.random(len(values)))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.random.random(len(u))  # the bug this test plants


@register("test_fixed_seed")
@dataclass(frozen=True)
class FixedSeedModel(GlobalRandomModel):
    """Random values, but from its own fixed seed: every seed gives the same rows."""

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.random.default_rng(42).random(len(u))


@register("test_long_codes")
@dataclass(frozen=True)
class LongCodeModel(GlobalRandomModel):
    """Codes of 3 to 12 characters, whatever the column's length."""

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.array(["X" * (3 + int(v * 10)) for v in u], dtype=object)


@register("test_some_nulls")
@dataclass(frozen=True)
class SomeNullsModel(GlobalRandomModel):
    """Returns None for small uniforms: NULLs that belong to the engine."""

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return np.array([None if v < 0.1 else "ok" for v in u], dtype=object)


@register("test_out_of_range")
@dataclass(frozen=True)
class OutOfRangeModel(GlobalRandomModel):
    """Integers up to 10^6 and a to_uniform that returns 0 and 1."""

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        return np.linspace(0.0, 1.0, len(values))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return (np.asarray(u) * 1_000_000).astype(np.int64)


@dataclass(frozen=True)
class UnregisteredModel(GlobalRandomModel):
    kind = "test_unregistered"


TEXT = Column("code", "varchar(8)", LogicalType.STRING, nullable=False, length=8)
NUMBER = Column("x", "double precision", LogicalType.FLOAT, nullable=False)
SMALL = Column("n", "smallint", LogicalType.INTEGER, nullable=False)
NAME = "column model '{kind}' ({cls}) for {column} {sql_type}"


def named(model: type[ColumnModel], column: Column) -> str:
    return NAME.format(kind=model.kind, cls=model.__name__, column=column.name, sql_type=column.sql_type)


def test_a_model_using_global_random_state_is_not_deterministic() -> None:
    with pytest.raises(AssertionError) as err:
        check_generator(GlobalRandomModel, NUMBER, n=50)
    assert str(err.value).startswith(
        f"{named(GlobalRandomModel, NUMBER)} is not deterministic: the same uniforms and rng seed gave "
    )
    assert str(err.value).endswith(" at row 0 (hidden random state?)")


def test_a_model_ignoring_its_rng_is_caught() -> None:
    with pytest.raises(AssertionError) as err:
        check_generator(FixedSeedModel, NUMBER, n=50, seed=3)
    assert str(err.value) == (
        f"{named(FixedSeedModel, NUMBER)} gave the same values under seeds 3 and 4: it ignores the "
        "uniforms and the rng it is given"
    )


def test_a_too_long_value_is_caught() -> None:
    with pytest.raises(AssertionError) as err:
        check_generator(LongCodeModel, TEXT, n=200)
    found = re.fullmatch(
        re.escape(named(LongCodeModel, TEXT))
        + r" returned a value of (\d+) characters at row \d+, longer than the column's length 8: '(X+)'",
        str(err.value),
    )
    assert found is not None, str(err.value)
    assert int(found[1]) == len(found[2]) > 8


def test_null_from_a_not_null_column_model_is_caught() -> None:
    with pytest.raises(AssertionError) as err:
        check_generator(SomeNullsModel, TEXT, n=200)
    assert "returned NULL at row " in str(err.value)
    assert str(err.value).endswith(
        "for a NOT NULL column; NULLs are the engine's business (the column's null rate), a model "
        "returns values only"
    )
    nullable = Column("code", "varchar(8)", LogicalType.STRING, nullable=True, length=8)
    values = check_generator(SomeNullsModel, nullable, n=200)
    assert values.isna().any() and (values.dropna() == "ok").all()


def test_to_uniform_outside_the_open_interval_is_caught() -> None:
    with pytest.raises(AssertionError) as err:
        check_generator(OutOfRangeModel, SMALL, values_for_fit=[1, 2, 3], n=20)
    assert str(err.value) == (
        f"{named(OutOfRangeModel, SMALL)}: to_uniform sent 1 to 0.0, outside the open interval (0, 1)"
    )


def test_unregistered_model_is_caught() -> None:
    with pytest.raises(AssertionError) as err:
        check_generator(UnregisteredModel(), NUMBER)
    assert str(err.value) == (
        "column model 'test_unregistered' (UnregisteredModel) for x double precision is not registered "
        "under its kind: decorate the class with @dbsynth.columns.base.register(kind) and declare it under "
        "the dbsynth.generators entry point"
    )


def test_validate_callable() -> None:
    def even(value: object) -> bool:
        return int(value) % 2 == 0  # type: ignore[call-overload]

    with pytest.raises(AssertionError) as err:
        check_generator(OutOfRangeModel(), SMALL, n=20, validate=even)
    assert str(err.value).startswith(f"{named(OutOfRangeModel, SMALL)} returned an invalid value at row ")

    def strict(value: object) -> None:
        raise ValueError("never valid")

    with pytest.raises(AssertionError) as err:
        check_generator(OutOfRangeModel(), SMALL, n=20, validate=strict)
    assert str(err.value).endswith("(ValueError: never valid)")


@pytest.mark.postgres
def test_the_database_rejects_what_the_type_cannot_hold(pg_url: str) -> None:
    with pytest.raises(AssertionError) as err:
        check_generator(OutOfRangeModel(), SMALL, n=50, url=pg_url)
    assert str(err.value).startswith(
        f"the postgresql database did not accept the values of {named(OutOfRangeModel, SMALL)} "
        '(smallint): value "'
    )
    assert '" is out of range for type smallint' in str(err.value)


@pytest.mark.mysql
def test_mysql_rejects_a_too_long_value_in_strict_mode(mysql_url: str) -> None:
    # The length check is skipped (no length declared), so the server is the one to refuse.
    column = Column("code", "varchar(8)", LogicalType.STRING, nullable=False)
    with pytest.raises(AssertionError) as err:
        check_generator(LongCodeModel(), column, n=50, url=mysql_url)
    assert str(err.value).startswith(
        "the mysql database did not accept the values of column model 'test_long_codes' (LongCodeModel) "
        "for code varchar(8) (varchar(8)): (1406, \"Data too long for column 'v' at row "
    )


@pytest.mark.postgres
@pytest.mark.mysql
def test_builtin_models_conform(pg_url: str, mysql_url: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    prices = Column("price", "numeric(10,2)", LogicalType.DECIMAL, nullable=False, precision=10, scale=2)
    values = check_generator(NumericModel, prices, list(np.round(rng.gamma(2.0, 10.0, 400), 2)), url=pg_url)
    assert len(values) == 1000 and values.map(lambda v: round(float(v), 2) == float(v)).all()
    check_generator(NumericModel, prices, list(np.round(rng.gamma(2.0, 10.0, 400), 2)), url=mysql_url)
    sqlite = f"sqlite:///{tmp_path / 'check.sqlite'}"
    Path(tmp_path / "check.sqlite").touch()
    words = Column("tier", "varchar(10)", LogicalType.STRING, nullable=False, length=10)
    check_generator(registered_kinds()["categorical"], words, ["gold"] * 30 + ["silver"] * 50, url=sqlite)
