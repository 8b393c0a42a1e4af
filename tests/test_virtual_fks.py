"""Foreign keys the source does not declare, inferred at fit and generated like declared ones.

world declares no key from ``city.countrycode`` to ``country.code``: generated as a plain
column (it was taken for a personal-data country), 98 % of the synthetic cities named a country
that does not exist. Inferred, the clone has no such city, the target gets no constraint for it,
and the config can reject the inference or turn it off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

import dbsynth
from dbsynth.config import ConfigError, parse_config
from dbsynth.fitting.explain import explain
from dbsynth.model import Model
from dbsynth.writing.memory import MemoryTarget

from conftest import _fresh_database, sa_url

ORPHAN_CITIES = (
    "SELECT count(*) FROM city c WHERE NOT EXISTS (SELECT 1 FROM country k WHERE k.code = c.countrycode)"
)


def scalar(url: str, sql: str) -> object:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql(sql).scalar()
    finally:
        engine.dispose()


def inferred(model: Model) -> set[str]:
    return {
        f"{t.key}({', '.join(fk.columns)}) -> {fk.ref_table}({', '.join(fk.ref_columns)})"
        for t in model.schema.tables
        for fk in t.foreign_keys
        if fk.inferred is not None
    }


def check_city_key(model: Model, city: str, country: str) -> None:
    fk = next(fk for fk in model.schema.table(city).foreign_keys if fk.columns == ("countrycode",))
    assert fk.virtual and fk.ref_table == country and fk.ref_columns == ("code",)
    assert fk.inferred is not None and fk.inferred.startswith("232 of 232 distinct sampled values")
    column = next(c for c in model.table(city).columns if c.name == "countrycode")
    assert column.role == "foreign_key" and column.pii is None and column.model is None  # no Faker


@pytest.fixture(scope="module")
def world_model(dataset_url: Callable[[str], str]) -> Model:
    return dbsynth.fit(dataset_url("world"), seed=3)


@pytest.mark.postgres
def test_world_city_countrycode_is_inferred_and_no_clone_city_lacks_its_country(
    world_model: Model, dataset_url: Callable[[str], str], fresh_pg: str
) -> None:
    source = dataset_url("world")
    check_city_key(world_model, "public.city", "public.country")
    # Declared already (world's countrylanguage_countrycode_fkey): not inferred a second time.
    assert inferred(world_model) == {"public.city(countrycode) -> public.country(code)"}
    text = "\n".join(explain(world_model))
    assert "[inferred, not declared: 232 of 232 distinct sampled values" in text
    # Privacy: the model keeps no country code seen fewer than min_count times in city.
    engine = sa.create_engine(sa_url(source), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rare = [
            r[0] for r in conn.exec_driver_sql("SELECT countrycode FROM city GROUP BY 1 HAVING count(*) < 5")
        ]
    engine.dispose()
    saved = world_model.to_json()
    assert rare and not [code for code in rare if f'"{code}"' in saved]

    dbsynth.generate(world_model, fresh_pg, create_schema=True, seed=3)
    assert scalar(fresh_pg, "SELECT count(*) FROM city") == scalar(source, "SELECT count(*) FROM city")
    assert scalar(fresh_pg, ORPHAN_CITIES) == 0
    # Never a constraint of the target: the source has none.
    constraints = (
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid = 'public.city'::regclass"
    )
    assert scalar(fresh_pg, constraints) == 0
    # The cycle city -> country -> city (country.capital) is cut at the declared nullable key,
    # so cities keep the fitted skew of cities per country rather than an even spread.
    busiest = "SELECT max(n) FROM (SELECT count(*) AS n FROM city GROUP BY countrycode) t"
    assert int(scalar(fresh_pg, busiest)) > 100  # type: ignore[arg-type]


WORLD_MYSQL = """
CREATE TABLE country (code char(3) NOT NULL PRIMARY KEY, name varchar(52) NOT NULL,
    continent varchar(20) NOT NULL, population int NOT NULL, capital int NULL);
CREATE TABLE city (id int NOT NULL AUTO_INCREMENT PRIMARY KEY, name varchar(35) NOT NULL,
    countrycode char(3) NOT NULL, district varchar(20) NOT NULL, population int NOT NULL);
CREATE TABLE countrylanguage (countrycode char(3) NOT NULL, language varchar(30) NOT NULL,
    isofficial enum('T','F') NOT NULL, percentage float NOT NULL, PRIMARY KEY (countrycode, language))
"""


@pytest.fixture
def world_mysql(dataset_url: Callable[[str], str], make_mysql: Callable[[str], str]) -> str:
    """world on MariaDB as MySQL's own world ships it without constraints: no foreign key at all."""
    url = make_mysql(WORLD_MYSQL)
    source = sa.create_engine(sa_url(dataset_url("world")), poolclass=sa.pool.NullPool)
    target = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    queries = {
        "country": "SELECT code, name, continent, population, capital FROM country",
        "city": "SELECT id, name, countrycode, left(district, 20), population FROM city",
        "countrylanguage": "SELECT countrycode, language, CASE WHEN isofficial THEN 'T' ELSE 'F' END, "
        "percentage FROM countrylanguage",
    }
    with source.connect() as src, target.begin() as dst:
        for table, query in queries.items():
            rows = [tuple(r) for r in src.exec_driver_sql(query)]
            marks = ", ".join(["%s"] * len(rows[0]))
            dst.exec_driver_sql(f"INSERT INTO {table} VALUES ({marks})", rows)
    source.dispose()
    target.dispose()
    return url


@pytest.fixture
def mysql_target(mysql_url: str) -> Iterator[str]:
    yield from _fresh_database(mysql_url, "mysql")


@pytest.mark.postgres
@pytest.mark.mysql
def test_world_on_mariadb_infers_both_country_keys(world_mysql: str, mysql_target: str) -> None:
    model = dbsynth.fit(world_mysql, seed=3)
    check_city_key(model, "city", "country")
    assert inferred(model) == {
        "city(countrycode) -> country(code)",
        "countrylanguage(countrycode) -> country(code)",
    }
    dbsynth.generate(model, mysql_target, create_schema=True, seed=3)
    assert scalar(mysql_target, ORPHAN_CITIES) == 0
    orphan_languages = (
        "SELECT count(*) FROM countrylanguage l WHERE NOT EXISTS "
        "(SELECT 1 FROM country k WHERE k.code = l.countrycode)"
    )
    assert scalar(mysql_target, orphan_languages) == 0
    declared = (
        "SELECT count(*) FROM information_schema.referential_constraints WHERE constraint_schema = DATABASE()"
    )
    assert scalar(mysql_target, declared) == 0


PLANTED = """
CREATE TABLE lookup (code text PRIMARY KEY, label text NOT NULL);
INSERT INTO lookup SELECT 'L' || g, 'label ' || g FROM generate_series(1, 40) g;
CREATE TABLE levels (id integer PRIMARY KEY, name text NOT NULL);
INSERT INTO levels SELECT g, 'level ' || g FROM generate_series(1, 50) g;
CREATE TABLE letters (ch text PRIMARY KEY);
INSERT INTO letters VALUES ('A'), ('B'), ('C'), ('D');
CREATE TABLE items (
    id serial PRIMARY KEY,
    lookup_code text,     -- every value is a lookup.code: inferred
    code text,            -- half of its values are not: not inferred
    rating integer,       -- 1..5, inside levels.id, but nothing in its name says so: not inferred
    grade text,           -- three letters, inside letters.ch: too few values to tell
    level_id integer      -- named after levels and inside levels.id: inferred
);
INSERT INTO items (lookup_code, code, rating, grade, level_id)
SELECT 'L' || (1 + mod(g, 40)), 'L' || (1 + mod(g, 80)), 1 + mod(g, 5),
       (ARRAY['A', 'B', 'C'])[1 + mod(g, 3)], 1 + mod(g, 50)
FROM generate_series(1, 400) g;
-- Every region's capital is its departments' capital too, but inferring regions.capital would
-- close a cycle with the declared NOT NULL departments.region that only it could be cut at.
CREATE TABLE regions (code text PRIMARY KEY, capital text NOT NULL);
INSERT INTO regions SELECT 'R' || g, 'T' || g FROM generate_series(1, 12) g;
CREATE TABLE departments (code text PRIMARY KEY, capital text NOT NULL UNIQUE,
    region text NOT NULL REFERENCES regions);
INSERT INTO departments SELECT 'D' || g, 'T' || g, 'R' || (1 + mod(g - 1, 12)) FROM generate_series(1, 30) g;
"""


@pytest.mark.postgres
def test_only_contained_and_telling_columns_become_keys(make_pg: Callable[[str], str]) -> None:
    model = dbsynth.fit(make_pg(PLANTED), seed=1)
    assert inferred(model) == {
        "public.items(lookup_code) -> public.lookup(code)",
        "public.items(level_id) -> public.levels(id)",
    }
    roles = {c.name: c.role for c in model.table("items").columns}
    assert roles["rating"] == roles["grade"] == roles["code"] == "value"
    target = MemoryTarget()
    dbsynth.generate(model, target, seed=1)
    frames = target.frames()
    assert set(frames["public.items"]["lookup_code"]) <= set(frames["public.lookup"]["code"])


@pytest.mark.postgres
def test_the_config_rejects_an_inferred_key_or_all_of_them(
    dataset_url: Callable[[str], str], fresh_pg: str
) -> None:
    source = dataset_url("world")
    reject = "foreign_keys:\n  - {table: city, columns: [countrycode], references: country, reject: true}\n"
    model = dbsynth.fit(source, seed=3, config=parse_config(reject))
    assert inferred(model) == set()
    assert next(c for c in model.table("city").columns if c.name == "countrycode").role == "value"
    assert inferred(dbsynth.fit(source, seed=3, config=parse_config("infer_foreign_keys: false\n"))) == set()
    # A model fitted with the inference refuses, at generation, a config that rejects it.
    inferring = dbsynth.fit(source, seed=3)
    with pytest.raises(ConfigError) as err:
        dbsynth.generate(inferring, fresh_pg, create_schema=True, config=parse_config(reject))
    assert "is rejected, but the model links these columns" in str(err.value)
    with pytest.raises(ConfigError) as err:
        dbsynth.generate(inferring, fresh_pg, config=parse_config("infer_foreign_keys: false\n"))
    assert "the model links public.city(countrycode) by an inferred foreign key" in str(err.value)
    # Keys of a rejection are checked like any other: one line naming the table and column.
    typo = "foreign_keys:\n  - {table: city, columns: [countrycod], references: country, reject: true}\n"
    with pytest.raises(ConfigError) as err:
        dbsynth.fit(source, config=parse_config(typo))
    message = str(err.value)
    assert len(message.splitlines()) == 1 and "countrycod" in message and "city" in message
