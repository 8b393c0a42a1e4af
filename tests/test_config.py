"""dbsynth.yaml: loading, binding to a live schema, the JSON Schema, and ``dbsynth config``.

Error reports are compared whole against fixture pairs in ``fixtures/config`` (every kind of
problem, with positions); the effect of each key on what fit and generate receive is checked
on the :class:`BoundConfig`. Effects on generated rows need the engine: ``test_config_e2e.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from dbsynth.columns.generators import ChoiceGenerator, ExpressionGenerator, RegexGenerator
from dbsynth.columns.pii import PiiKind
from dbsynth.config import (
    BoundConfig,
    ConfigError,
    bind,
    json_schema_path,
    load_and_bind,
    load_config,
    parse_config,
)
from dbsynth.config.json_schema import build_json_schema
from dbsynth.config.starter import starter_config, survey, yaml_name
from dbsynth.errors import UsageError
from dbsynth.introspection import introspect
from dbsynth.schema import Schema

from conftest import _fresh_database, sa_url

FIXTURES = Path(__file__).parent / "fixtures" / "config"

VALID = """\
seed: 7
locale: de_DE
min_count: 3
sample_rows: 500
tables:
  public.customers:
    rows: 40
    where: "created_at > '2000-01-01'"
    columns:
      email: {pii: email, unique: true}
      first_name: {pii: false}
      status: {generator: choice, values: {new: 3, paid: 5, shipped: 2}}
      code: {generator: regex, pattern: "[A-Z]{2}-[0-9]{4}", unique: true}
      score: {generator: range, min: 0, max: 100, distribution: normal}
      mood: {generator: constant, value: happy}
      note: {null_rate: 0.3}
      full_name: {generator: expression, expression: "first_name + ' ' + last_name"}
  orders:
    scale: 2.5
    columns:
      invoice_no: {generator: sequence, start: 1000, format: "INV-{:06d}"}
      tax: {generator: faker, provider: pydecimal, args: {left_digits: 3, right_digits: 2, positive: true}}
  countries: {copy: true}
  currencies: {copy: true}
  audit_log: {exclude: true}
foreign_keys:
  - {table: customers, columns: country, references: countries}
"""


@pytest.fixture(scope="module")
def shop_url(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database holding ``fixtures/config/shop.sql`` (created once per module)."""
    for url in _fresh_database(pg_url, "postgresql"):
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql((FIXTURES / "shop.sql").read_text(encoding="utf-8"))
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def shop(shop_url: str) -> Schema:
    return introspect(shop_url)


@pytest.fixture(scope="module")
def bound(shop: Schema) -> BoundConfig:
    return bind(parse_config(VALID), shop)


# -- loading ----------------------------------------------------------------------------------


def test_every_load_problem_is_reported_at_once_with_its_position() -> None:
    text = (FIXTURES / "load_errors.yaml").read_text(encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        parse_config(text, "load_errors.yaml")
    expected = (FIXTURES / "load_errors.txt").read_text(encoding="utf-8")
    assert str(info.value) + "\n" == expected
    assert info.value.problems == tuple(expected.splitlines())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seed: [1,\n", "dbsynth.yaml:2:1: invalid YAML: expected the node content, "
         "but found '<stream end>'"),
        ("seed: 1\n  locale: x\n", "dbsynth.yaml:2:9: invalid YAML: mapping values are not allowed here"),
        ("- 1\n", "dbsynth.yaml:1:1: the top level must be a mapping of keys to values"),
        ("tables: [a]\n", "dbsynth.yaml:1:9: tables must be a mapping of keys to values"),
        ("tables:\n  t: 3\n", "dbsynth.yaml:2:6: table t must be a mapping of keys to values"),
        ("foreign_keys: {a: 1}\n", "dbsynth.yaml:1:15: foreign_keys must be a list of "
         "{table, columns, references, ref_columns}"),
        ("tables:\n  t: {scale: -1}\n", "dbsynth.yaml:2:14: scale in table t must be a number >= 0, got -1"),
        ("tables:\n  t: {copy: yes please}\n", "dbsynth.yaml:2:13: copy in table t must be true or false, "
         "got 'yes please'"),
        ("tables:\n  t: {where: ''}\n", "dbsynth.yaml:2:14: where in table t must be text, got ''"),
        ("tables:\n  t: {columns: {c: {generator: range, min: 1, max: [2]}}}\n",
         "dbsynth.yaml:2:52: max in column t.c must be a number or a single value, got a list"),
        ("foreign_keys:\n  - {table: a, columns: [], references: b}\n",
         "dbsynth.yaml:2:25: columns in foreign key 1 must be a column name or a list of them"),
    ],
)  # fmt: skip
def test_load_messages(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text)
    assert str(info.value) == message


def test_an_empty_file_and_empty_tables_are_valid() -> None:
    assert parse_config("").tables == ()
    config = parse_config("tables:\n  a:\n  b: {columns: }\n")
    assert [t.name for t in config.tables] == ["a", "b"] and config.seed is None


def test_load_config_reads_files_and_names_missing_ones(tmp_path: Path) -> None:
    path = tmp_path / "dbsynth.yaml"
    path.write_text("seed: 3\n", encoding="utf-8")
    assert load_config(path).seed == 3
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert str(info.value) == f"{tmp_path / 'nope.yaml'}: the config file does not exist"
    assert isinstance(info.value, UsageError)


def test_global_settings_are_read() -> None:
    config = parse_config(VALID)
    assert (config.seed, config.locale, config.min_count, config.sample_rows) == (7, "de_DE", 3, 500)


# -- binding ----------------------------------------------------------------------------------


def test_every_bind_problem_is_reported_at_once_with_its_position(shop: Schema) -> None:
    path = FIXTURES / "bind_errors.yaml"
    with pytest.raises(ConfigError) as info:
        load_and_bind(path, shop)
    expected = (FIXTURES / "bind_errors.txt").read_text(encoding="utf-8")
    assert str(info.value).replace(f"{path.parent}/", "") + "\n" == expected


def test_load_and_schema_problems_come_in_one_report(shop: Schema, tmp_path: Path) -> None:
    path = tmp_path / "dbsynth.yaml"
    path.write_text("sed: 1\ntables:\n  custmers: {rows: 3}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_and_bind(path, shop)
    assert info.value.problems == (
        f"{path}:1:1: unknown key 'sed' at the top level. Did you mean 'seed'?",
        f"{path}:3:3: unknown table 'custmers'. Did you mean 'customers'?",
    )


def test_table_keys_rows_scale_and_where_are_resolved(bound: BoundConfig) -> None:
    assert bound.rows == {"public.customers": 40}
    assert bound.scale == {"public.orders": 2.5}
    assert bound.where == {"public.customers": "created_at > '2000-01-01'"}
    assert (bound.seed, bound.locale, bound.min_count, bound.sample_rows) == (7, "de_DE", 3, 500)


def test_copy_and_exclude_split_the_tables(bound: BoundConfig) -> None:
    assert bound.copy_tables == ("public.countries", "public.currencies")
    assert bound.excluded == ("public.audit_log",)
    assert bound.tables_to_fit == ("public.customers", "public.orders")
    assert not bound.schema.has_table("public.audit_log")


def test_excluding_a_parent_drops_the_foreign_keys_to_it_with_a_warning(shop: Schema) -> None:
    bound = bind(parse_config("tables:\n  orders: {exclude: true}\n"), shop)
    assert [fk.ref_table for fk in bound.schema.table("audit_log").foreign_keys] == []
    warning = (
        "table public.audit_log references excluded table public.orders through (order_id): "
        "the foreign key is dropped and its columns are generated as plain values"
    )
    assert bound.warnings == (warning,)
    assert bound.schema.warnings[-1] == warning


def test_virtual_foreign_keys_join_the_schema(bound: BoundConfig) -> None:
    (fk,) = [fk for fk in bound.schema.table("customers").foreign_keys]
    assert (fk.columns, fk.ref_table, fk.ref_columns, fk.virtual) == (
        ("country",),
        "public.countries",
        ("code",),
        True,
    )


def test_column_overrides_carry_built_generators(bound: BoundConfig) -> None:
    email = bound.column("public.customers", "email")
    assert email is not None and email.pii is PiiKind.EMAIL and email.unique is True and email.model is None
    first = bound.column("public.customers", "first_name")
    assert first is not None and first.pii is False
    status = bound.column("public.customers", "status")
    assert status is not None and isinstance(status.model, ChoiceGenerator)
    assert status.model.values == ("new", "paid", "shipped")
    code = bound.column("public.customers", "code")
    assert code is not None and isinstance(code.model, RegexGenerator) and code.unique
    note = bound.column("public.customers", "note")
    assert note is not None and note.null_rate == 0.3 and note.model is None
    full = bound.column("public.customers", "full_name")
    assert full is not None and isinstance(full.model, ExpressionGenerator)
    assert bound.column("public.customers", "last_name") is None
    tax = bound.column("public.orders", "tax")
    assert tax is not None and tax.model is not None and tax.model.locale == "de_DE"  # type: ignore[attr-defined]


def test_unique_true_adds_a_unique_constraint(bound: BoundConfig, shop: Schema) -> None:
    before = {u.columns for u in shop.table("customers").uniques}
    after = {u.columns for u in bound.schema.table("customers").uniques}
    assert after - before == set()  # email and code are unique in shop.sql already
    column = "invoice_no: {generator: regex, pattern: '[0-9]{6}', unique: true}"
    text = f"tables:\n  orders:\n    columns:\n      {column}\n"
    added = bind(parse_config(text), shop).schema.table("orders").uniques
    assert [u.columns for u in added] == [("invoice_no",)]


def test_a_column_unique_in_the_database_is_generated_unique(shop: Schema) -> None:
    config = parse_config(
        "tables:\n  customers:\n    columns:\n      code: {generator: regex, pattern: '[0-9]{8}'}\n"
    )
    override = bind(config, shop).column("public.customers", "code")
    assert override is not None and override.model is not None
    assert len(set(override.model.from_index(__import__("numpy").arange(1000), None))) == 1000  # type: ignore[attr-defined]


def test_virtual_foreign_key_on_world(dataset_url) -> None:  # type: ignore[no-untyped-def]
    schema = introspect(dataset_url("world"))
    text = (
        "foreign_keys:\n  - {table: city, columns: [countrycode], references: country, ref_columns: [code]}\n"
    )
    bound = bind(parse_config(text), schema)
    fks = {fk.ref_table: fk for fk in bound.schema.table("city").foreign_keys}
    assert fks["public.country"].virtual and fks["public.country"].ref_columns == ("code",)


# -- the JSON Schema --------------------------------------------------------------------------


def test_the_shipped_json_schema_is_the_built_one() -> None:
    shipped = json.loads(json_schema_path().read_text(encoding="utf-8"))
    assert shipped == build_json_schema(), "regenerate: python -m dbsynth.config.json_schema"


def test_the_json_schema_accepts_valid_configs_and_rejects_wrong_keys() -> None:
    import jsonschema
    validator = jsonschema.Draft202012Validator(build_json_schema())
    assert list(validator.iter_errors(yaml.safe_load(VALID))) == []
    bad = yaml.safe_load(
        "tables:\n  t: {rows: 1, scale: 2, colums: {}}\n  u: {columns: {a: {generator: regex}}}\n"
    )
    messages = sorted(e.message for e in validator.iter_errors(bad))
    assert messages == [
        "'pattern' is a required property",
        "Additional properties are not allowed ('colums' was unexpected)",
        "{'rows': 1, 'scale': 2, 'colums': {}} should not be valid under "
        "{'type': 'object', 'required': ['rows', 'scale']}",
    ]


# -- config init --------------------------------------------------------------------------------


def test_init_writes_a_config_that_loads_and_binds(shop_url: str, shop: Schema) -> None:
    found = survey(shop_url)
    text = starter_config(found)
    bound = bind(parse_config(text), shop)
    assert bound.copy_tables == ("public.countries", "public.currencies")
    assert "  public.countries: {copy: true}   # reference data: 3 rows, no personal data found, " in text
    assert "  public.customers:   # 200 rows\n    # rows: 200   # or scale: 2\n    columns:\n" in text
    assert "      email: {pii: email}   # detected: column name 'email'" in text
    email = bound.column("public.customers", "email")
    assert email is not None and email.pii is PiiKind.EMAIL
    for key in ("seed", "locale", "min_count", "sample_rows", "foreign_keys"):
        assert f"# {key}:" in text
    for name in ("choice", "regex", "range", "constant", "sequence", "expression", "faker"):
        assert f"{{generator: {name}," in text


def test_init_suggests_undeclared_relations_that_the_data_shows(dataset_url) -> None:  # type: ignore[no-untyped-def]
    found = survey(dataset_url("world"))
    text = starter_config(found)
    line = (
        "#   - {table: public.city, columns: [countrycode], references: public.country, "
        "ref_columns: [code]}   # inferred: 232 of 232 distinct sampled values (2,117 of 2,117 rows) "
        "occur in public.country.code; the names match"
    )
    assert line in text
    enabled = text.replace("# foreign_keys:\n#   -", "foreign_keys:\n  -")
    bound = bind(parse_config(enabled), found.schema)
    assert any(fk.virtual for fk in bound.schema.table("city").foreign_keys)


def test_init_on_mysql_quotes_nothing_it_need_not(dataset_url) -> None:  # type: ignore[no-untyped-def]
    found = survey(dataset_url("sakila_mysql"))
    text = starter_config(found)
    bound = bind(parse_config(text), found.schema)
    assert "language" in bound.copy_tables and "category" in bound.copy_tables
    assert yaml_name("order items") == '"order items"' and yaml_name("no") == '"no"'


def test_config_commands(shop_url: str, tmp_path: Path) -> None:
    from dbsynth.cli import cli
    from dbsynth.cli.config import config_group

    if "config" not in cli.commands:  # until the integrator registers the group
        cli.add_command(config_group)
    runner = CliRunner()
    out = tmp_path / "dbsynth.yaml"
    result = runner.invoke(cli, ["config", "init", shop_url, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "suggested for copy" in result.output and out.read_text(encoding="utf-8").startswith(
        "# dbsynth.yaml"
    )
    again = runner.invoke(cli, ["config", "init", shop_url, "-o", str(out)])
    assert again.exit_code == 1
    assert f"Error: --output: '{out}' exists; pass --force to overwrite it" in again.output
    check = runner.invoke(cli, ["config", "check", str(out), shop_url])
    assert (
        check.exit_code == 0
        and "valid for this database (3 tables to fit, 2 copied, 0 excluded)" in check.output
    )
    out.write_text("tables:\n  custmers: {rows: 1}\n  orders: {rows: -1}\n", encoding="utf-8")
    bad = runner.invoke(cli, ["config", "check", str(out), shop_url])
    assert bad.exit_code == 1
    assert bad.output.splitlines()[-3:] == [
        f"{out}:2:3: unknown table 'custmers'. Did you mean 'customers'?",
        f"{out}:3:18: rows in table orders must be a whole number >= 0, got -1",
        f"2 problem(s) in {out}",
    ]
    schema = runner.invoke(cli, ["config", "schema"])
    assert json.loads(schema.output)["title"] == "dbsynth.yaml"
