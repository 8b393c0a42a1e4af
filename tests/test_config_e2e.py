"""The effect of every dbsynth.yaml key on generated data, through the public API.

These run ``dbsynth.fit(url, config=...)``, ``dbsynth.generate(model, target, config=...)``
and ``dbsynth.clone(source, target, config=...)`` from the shop schema of
``fixtures/config/shop.sql`` into fresh PostgreSQL databases, and read the target back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import dbsynth
from dbsynth.config import Config, parse_config

from conftest import _fresh_database, sa_url

FIXTURES = Path(__file__).parent / "fixtures" / "config"


@pytest.fixture(scope="module")
def shop_url(pg_url: str) -> Iterator[str]:
    for url in _fresh_database(pg_url, "postgresql"):
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql((FIXTURES / "shop.sql").read_text(encoding="utf-8"))
        engine.dispose()
        yield url


def rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


def clone(source: str, target: str, text: str, **options: object) -> Config:
    config = parse_config(text)
    dbsynth.clone(source, target, config=config, create_schema=True, **options)  # type: ignore[call-arg]
    return config


def test_rows_scale_copy_and_exclude(shop_url: str, fresh_pg: str) -> None:
    clone(
        shop_url,
        fresh_pg,
        """\
tables:
  customers: {rows: 40}
  orders: {scale: 0.5}
  countries: {copy: true}
  currencies: {copy: true}
  audit_log: {exclude: true}
""",
    )
    assert rows(fresh_pg, "SELECT count(*) FROM customers") == [(40,)]
    assert rows(fresh_pg, "SELECT count(*) FROM orders") == [(300,)]
    for table in ("countries", "currencies"):
        assert rows(fresh_pg, f"SELECT * FROM {table} ORDER BY 1") == rows(
            shop_url, f"SELECT * FROM {table} ORDER BY 1"
        )
    assert rows(fresh_pg, "SELECT to_regclass('public.audit_log') IS NULL") == [(True,)]


def test_where_filters_the_sample_the_model_learns_from(shop_url: str, fresh_pg: str) -> None:
    clone(
        shop_url, fresh_pg, 'tables:\n  customers:\n    where: "score < 10"\n  audit_log: {exclude: true}\n'
    )
    (low, high) = rows(fresh_pg, "SELECT min(score), max(score) FROM customers")[0]
    assert low >= 0 and high < 10


def test_virtual_foreign_keys_are_honoured_and_not_created(shop_url: str, fresh_pg: str) -> None:
    clone(
        shop_url,
        fresh_pg,
        """\
tables:
  countries: {copy: true}
  currencies: {copy: true}
foreign_keys:
  - {table: customers, columns: country, references: countries}
""",
    )
    orphans = (
        "SELECT count(*) FROM customers c LEFT JOIN countries k ON k.code = c.country WHERE k.code IS NULL"
    )
    assert rows(fresh_pg, orphans) == [(0,)]
    constraints = (
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'customers'::regclass"
    )
    assert rows(fresh_pg, constraints) == [(0,)]


COLUMNS = """\
seed: 11
locale: de_DE
tables:
  customers:
    rows: 300
    columns:
      email: {pii: email}
      status: {generator: choice, values: {new: 1, paid: 3}}
      code: {generator: regex, pattern: "[A-Z]{2}-[0-9]{4}"}
      score: {generator: range, min: 50, max: 60}
      mood: {generator: constant, value: happy}
      note: {null_rate: 0.5}
      full_name: {generator: expression, expression: "upper(first_name) + ' ' + last_name"}
      last_name: {generator: faker, provider: last_name}
  orders:
    columns:
      invoice_no: {generator: sequence, start: 1000, format: "INV-{:06d}"}
      tax: {generator: range, min: 1, max: 2, distribution: lognormal, mean: 1.2}
  audit_log: {exclude: true}
"""


def test_column_generators(shop_url: str, fresh_pg: str) -> None:
    clone(shop_url, fresh_pg, COLUMNS)
    customers = rows(
        fresh_pg,
        "SELECT email, status, code, score, mood, note, full_name, first_name, last_name FROM customers",
    )
    assert len(customers) == 300
    assert all(re.fullmatch(r"[^@]+@example\.(com|org|net)", r[0]) for r in customers)
    statuses = [r[1] for r in customers]
    assert set(statuses) == {"new", "paid"} and statuses.count("paid") > 2 * statuses.count("new")
    codes = [r[2] for r in customers]
    assert (
        all(re.fullmatch(r"[A-Z]{2}-[0-9]{4}", c) for c in codes) and len(set(codes)) == 300
    )  # UNIQUE column
    assert all(50 <= r[3] <= 60 for r in customers)
    assert {r[4] for r in customers} == {"happy"}
    assert 0.35 < sum(r[5] is None for r in customers) / 300 < 0.65
    assert all(r[6] == f"{r[7].upper()} {r[8]}" for r in customers if r[8] is not None)
    invoices = [r[0] for r in rows(fresh_pg, "SELECT invoice_no FROM orders ORDER BY id")]
    assert invoices[:3] == ["INV-001000", "INV-001001", "INV-001002"]
    taxes = [float(r[0]) for r in rows(fresh_pg, "SELECT tax FROM orders WHERE tax IS NOT NULL")]
    assert taxes and all(1 <= t <= 2 for t in taxes)


def test_pii_corrections(shop_url: str, fresh_pg: str) -> None:
    clone(
        shop_url,
        fresh_pg,
        """\
tables:
  customers:
    columns:
      email: {pii: false}
      status: {pii: company}
  audit_log: {exclude: true}
""",
    )
    source_statuses = {"new", "paid", "shipped"}
    statuses = {r[0] for r in rows(fresh_pg, "SELECT status FROM customers")}
    assert not statuses & source_statuses  # treated as personal data: Faker companies, no source value
    emails = [r[0] for r in rows(fresh_pg, "SELECT email FROM customers")]
    assert not any(e.endswith(("@example.org", "@example.net")) for e in emails)  # not Faker's domains


def test_seed_and_sample_rows(shop_url: str, fresh_pg: str, pg_url: str) -> None:
    text = "seed: 5\nsample_rows: 50\nmin_count: 2\ntables:\n  audit_log: {exclude: true}\n"
    model = dbsynth.fit(shop_url, config=parse_config(text))  # type: ignore[call-arg]
    assert model.settings.seed == 5 and model.settings.min_count == 2
    assert all(t.sampled_rows <= 50 for t in model.tables)
    dbsynth.generate(model, fresh_pg, config=parse_config(text), create_schema=True)  # type: ignore[call-arg]
    for other in _fresh_database(pg_url, "postgresql"):
        dbsynth.generate(model, other, config=parse_config(text), create_schema=True)  # type: ignore[call-arg]
        query = "SELECT email, status, score FROM customers ORDER BY id"
        assert rows(fresh_pg, query) == rows(other, query)
