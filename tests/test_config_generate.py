"""A config given to ``generate`` (``dbsynth generate MODEL TARGET --config``): its column settings
act on a model fitted before, and what only a fit can apply is refused, never ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

import dbsynth
from dbsynth.cli import cli
from dbsynth.config import ConfigError, apply_config, parse_config
from dbsynth.model import Model

from conftest import _fresh_database, sa_url

FIXTURES = Path(__file__).parent / "fixtures" / "config"
EXCLUDE = "  audit_log: {exclude: true}\n"


@pytest.fixture(scope="module")
def shop_url(pg_url: str) -> Iterator[str]:
    for url in _fresh_database(pg_url, "postgresql"):
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql((FIXTURES / "shop.sql").read_text(encoding="utf-8"))
        engine.dispose()
        yield url


@pytest.fixture(scope="module")
def plain_model(shop_url: str) -> Model:
    """The shop fitted without a config."""
    return dbsynth.fit(shop_url, seed=1)


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def test_generate_applies_the_configs_generators(
    plain_model: Model, shop_url: str, fresh_pg: str, tmp_path: Path
) -> None:
    """Before: the generators were ignored and the fitted statuses and notes came out."""
    model_path = plain_model.save(tmp_path / "shop.json")
    config = tmp_path / "dbsynth.yaml"
    config.write_text(
        "tables:\n"
        "  customers:\n"
        "    columns:\n"
        "      status: {generator: choice, values: {gold: 1, silver: 3}}\n"
        "      note: {null_rate: 1.0}\n"
        "      code: {generator: regex, pattern: 'K[0-9]{6}', unique: true}\n"
    )
    result = CliRunner().invoke(
        cli, ["generate", str(model_path), fresh_pg, "--config", str(config), "--create-schema", "-q"]
    )
    assert result.exit_code == 0, result.output
    statuses = {r[0] for r in rows(fresh_pg, "SELECT DISTINCT status FROM customers")}
    assert statuses == {"gold", "silver"}
    assert rows(fresh_pg, "SELECT count(*) FROM customers WHERE note IS NOT NULL") == [(0,)]
    codes = [r[0] for r in rows(fresh_pg, "SELECT code FROM customers WHERE code IS NOT NULL")]
    assert codes and all(len(c) == 7 and c[0] == "K" for c in codes) and len(set(codes)) == len(codes)


def test_the_config_a_model_was_fitted_with_changes_nothing(shop_url: str) -> None:
    text = (
        "tables:\n"
        "  customers:\n"
        "    columns:\n"
        "      status: {generator: choice, values: {gold: 1, silver: 3}}\n"
        "      email: {pii: email}\n"
        "      note: {null_rate: 0.5}\n"
        "      score: {unique: true, generator: sequence, start: 10}\n"
        + EXCLUDE
        + "  countries: {copy: true}\n"
        "  currencies: {copy: true}\n"
        "foreign_keys:\n"
        "  - {table: customers, columns: [country], references: countries}\n"
    )
    model = dbsynth.fit(shop_url, config=parse_config(text))  # type: ignore[call-arg]
    assert apply_config(model, parse_config(text)) is model


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "tables:\n  customers:\n    columns:\n      email: {pii: false}\n",
            "dbsynth.yaml:4:15: pii: false in column public.customers.email: the model was fitted "
            "as personal data (email); it takes effect when fitting: fit the model again with this config",
        ),
        (
            "tables:\n  customers:\n    columns:\n      score: {unique: true}\n",
            "dbsynth.yaml:4:15: unique: true in column public.customers.score: the model was fitted "
            "without it; it takes effect when fitting: fit the model again with this config",
        ),
        (
            "tables:\n  audit_log: {exclude: true}\n",
            "dbsynth.yaml:2:15: table public.audit_log is excluded, but the model has it; it takes "
            "effect when fitting: fit the model again with this config",
        ),
        (
            "tables:\n  countries: {copy: true}\n",
            "dbsynth.yaml:2:15: table public.countries is copied, but the model generates it; it takes "
            "effect when fitting: fit the model again with this config",
        ),
        (
            "foreign_keys:\n"
            "  - {table: orders, columns: [invoice_no], references: customers, ref_columns: [code]}\n",
            "dbsynth.yaml:2:5: foreign key orders(invoice_no) -> customers(code): the model does not link "
            "these columns; it takes effect when fitting: fit the model again with this config",
        ),
        (  # the fit inferred it (every customers.country is a countries.code)
            "foreign_keys:\n"
            "  - {table: customers, columns: [country], references: countries, reject: true}\n",
            "dbsynth.yaml:2:75: foreign key customers(country) -> countries is rejected, but the model links "
            "these columns; it takes effect when fitting: fit the model again with this config",
        ),
        (
            "tables:\n  customers:\n    columns:\n      status: {generator: range, min: 1, max: 3}\n",
            "dbsynth.yaml:4:16: column public.customers.status: generator range needs a numeric or date "
            "column; status is character varying(10)",
        ),
    ],
)
def test_what_only_a_fit_can_apply_is_refused(plain_model: Model, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        dbsynth.generate(plain_model, "memory://", config=parse_config(text))  # type: ignore[call-arg]
    assert str(err.value) == message
