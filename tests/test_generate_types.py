"""Every generated value is valid for its column's type, on every target: network addresses,
ranges, points and geometries, bit strings, money, JSON, arrays, MySQL SETs, and the NOT NULL
columns of an empty source table. A type dbsynth knows no value of is NULL where the column
allows it, else a one-line error naming the column and the config key that fixes it."""

from __future__ import annotations

import ipaddress
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from dbsynth import clone, fit, generate
from dbsynth.config import ConfigError, parse_config
from dbsynth.errors import GenerationError

from conftest import _fresh_database, sa_url

PG_TYPES = """
CREATE TABLE hosts (
  id serial PRIMARY KEY,
  addr inet NOT NULL, net cidr NOT NULL, mac macaddr NOT NULL, mac8 macaddr8,
  during int4range NOT NULL, span daterange NOT NULL, win tstzrange, price numrange,
  loc point NOT NULL, flags bit(4) NOT NULL, vflags varbit(10), cost money NOT NULL,
  doc tsvector NOT NULL, meta jsonb NOT NULL, tags text[] NOT NULL, waits interval NOT NULL);
INSERT INTO hosts (addr, net, mac, mac8, during, span, win, price, loc, flags, vflags, cost, doc, meta,
  tags, waits)
SELECT ('10.0.' || mod(g, 200) || '.' || (mod(g, 250) + 1))::inet,
  ('192.168.' || mod(g, 100) || '.0/24')::cidr,
  ('08:00:2b:01:02:' || lpad(to_hex(mod(g, 256)), 2, '0'))::macaddr,
  ('08:00:2b:01:02:03:04:' || lpad(to_hex(mod(g, 256)), 2, '0'))::macaddr8,
  int4range(g, g + 1 + mod(g, 10)), daterange(date '2024-01-01' + g, date '2024-01-01' + g + 3),
  tstzrange(timestamptz '2024-01-01' + g * interval '1 hour',
    timestamptz '2024-01-01' + (g + 2) * interval '1 hour'),
  numrange(g * 1.5, g * 2.5), point(g * 0.1, g * 0.2), mod(g, 16)::bit(4), mod(g, 1000)::bit(10)::varbit,
  (g * 1.25)::money, to_tsvector('english', 'the quick brown fox ' || g),
  jsonb_build_object('k', g, 'name', 'n' || mod(g, 7)), ARRAY['a' || mod(g, 5), 'b'], g * interval '1 minute'
FROM generate_series(1, 300) g;
CREATE TABLE empty_typed (id serial PRIMARY KEY, addr inet NOT NULL, during int4range NOT NULL,
  loc point NOT NULL, meta jsonb NOT NULL, tags text[] NOT NULL, flags bit(3) NOT NULL, cost money NOT NULL,
  doc tsvector NOT NULL, u uuid NOT NULL UNIQUE);
"""

MYSQL_TYPES = """
CREATE TABLE place (id int AUTO_INCREMENT PRIMARY KEY, features set('wifi','parking','pool','bar') NOT NULL,
  extras set('a','b','c'), meta json NOT NULL, loc point NOT NULL, area geometry NOT NULL, outline polygon);
INSERT INTO place (features, extras, meta, loc, area, outline)
SELECT ELT(1 + mod(seq, 4), 'wifi', 'wifi,parking', 'pool,bar', ''), IF(mod(seq, 3) = 0, NULL, 'a,c'),
  JSON_OBJECT('k', seq, 'tag', CONCAT('t', mod(seq, 5))),
  ST_GeomFromText(CONCAT('POINT(', mod(seq, 90), ' ', mod(seq, 180), ')')),
  ST_GeomFromText(CONCAT('POINT(', seq / 10, ' ', seq / 7, ')')),
  IF(mod(seq, 2) = 0, NULL, ST_GeomFromText('POLYGON((0 0,1 0,0 1,0 0))'))
FROM seq_1_to_300;
CREATE TABLE empty_place (id int AUTO_INCREMENT PRIMARY KEY, meta json NOT NULL, loc point NOT NULL,
  features set('x','y') NOT NULL)
"""

RANGE = re.compile(r'^[\[(]("?)([^,"]*)\1,("?)([^,"]*)\3[\])]$')


def _valid_range(text: str, cast: Callable[[str], object]) -> bool:
    if text == "empty":
        return True
    m = RANGE.match(text)
    assert m, text
    low, high = m[2], m[4]
    return not low or not high or cast(low) <= cast(high)  # type: ignore[operator]


def _rows(url: str, sql: str) -> list[tuple]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.exec_driver_sql(sql)]
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def pg_types(pg_url: str) -> object:
    for url in _fresh_database(pg_url, "postgresql"):
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            conn.exec_driver_sql(PG_TYPES)
        engine.dispose()
        yield url


def test_postgresql_types_into_postgresql(pg_types: str, pg_url: str) -> None:
    """PostgreSQL parses every value on COPY; before, the clone failed on the first invalid one
    (macaddr8 values were Faker IPv6 addresses, inet/range/point columns of the empty table '')."""
    for target in _fresh_database(pg_url, "postgresql"):
        clone(pg_types, target, rows={"empty_typed": 20}, seed=2, create_schema=True)
        got = _rows(
            target,
            "SELECT count(*), count(DISTINCT addr), count(*) FILTER (WHERE net <> network(net)) FROM hosts",
        )
        assert got == [(300, got[0][1], 0)] and got[0][1] > 250  # cidr: no host bits set
        assert _rows(
            target, "SELECT count(*) FROM hosts WHERE NOT isempty(during) AND lower(during) > upper(during)"
        ) == [(0,)]
        # The empty table's values come from priors by name and type: valid, not placeholders.
        assert _rows(
            target,
            "SELECT count(*), count(DISTINCT u), count(*) FILTER (WHERE jsonb_typeof(meta) = 'object') "
            "FROM empty_typed",
        ) == [(20, 20, 20)]


def test_postgresql_types_into_sqlite(pg_types: str, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    clone(pg_types, f"sqlite:///{db}", rows={"empty_typed": 5}, seed=3, create_schema=True)
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT addr, net, mac, mac8, during, span, price, loc, flags, cost, meta FROM hosts"
        ).fetchall()
        empty = conn.execute("SELECT addr, during, loc, meta, tags, flags, cost FROM empty_typed").fetchall()
    for addr, net, mac, mac8, during, span, price, loc, flags, cost, meta in rows:
        ipaddress.ip_interface(addr)
        ipaddress.ip_network(net)  # strict: a cidr has no host bits
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac) and mac.startswith("08:00:2b")
        assert mac8 is None or re.fullmatch(r"([0-9a-f]{2}:){7}[0-9a-f]{2}", mac8)
        assert _valid_range(during, int) and _valid_range(span, str)
        assert price is None or _valid_range(price, float)
        assert re.fullmatch(r"\([-0-9.e]+,[-0-9.e]+\)", loc)
        assert re.fullmatch("[01]{4}", flags) and float(cost) >= 0
        assert isinstance(json.loads(meta), dict)
    assert len(empty) == 5  # priors by name and type (issue "Seed from the schema alone"): valid values
    for addr, during, loc, meta, tags, flags, cost in empty:
        ipaddress.ip_interface(addr)
        assert _valid_range(during, int)
        assert re.fullmatch(r"\([-0-9.e]+,[-0-9.e]+\)", loc)
        assert isinstance(json.loads(meta), dict) and isinstance(json.loads(tags), list)
        assert re.fullmatch("[01]{3}", flags) and float(cost) >= 0


@pytest.fixture(scope="module")
def mysql_types(mysql_url: str) -> object:
    for url in _fresh_database(mysql_url, "mysql"):
        engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
        with engine.begin() as conn:
            for stmt in MYSQL_TYPES.split(";"):
                conn.exec_driver_sql(stmt)
        engine.dispose()
        yield url


def test_mysql_set_json_and_geometry_into_mariadb(mysql_types: str, mysql_url: str) -> None:
    """Before: "Cannot get geometry object from data you send to the GEOMETRY field"."""
    for target in _fresh_database(mysql_url, "mysql"):
        clone(mysql_types, target, rows={"empty_place": 4}, seed=1, create_schema=True)
        got = _rows(target, "SELECT count(*), min(ST_GeometryType(loc)), count(outline) FROM place")
        assert got == [(300, "POINT", 0)]  # polygons: dbsynth generates points only, so NULL
        empty = _rows(target, "SELECT ST_GeometryType(loc), meta FROM empty_place")
        assert len(empty) == 4 and all(
            kind == "POINT" and isinstance(json.loads(meta), dict) for kind, meta in empty
        )


def test_mysql_set_json_and_geometry_into_postgresql(mysql_types: str, pg_url: str) -> None:
    """A SET is a text[] in PostgreSQL; before, its values were written as 'a,b' and COPY
    refused them ("malformed array literal")."""
    for target in _fresh_database(pg_url, "postgresql"):
        clone(mysql_types, target, rows={"empty_place": 4}, seed=1, create_schema=True)
        features = {r[0] for r in _rows(target, "SELECT DISTINCT array_to_string(features, ',') FROM place")}
        assert features <= {"wifi", "wifi,parking", "pool,bar", ""} and len(features) > 1
        points = [r[0] for r in _rows(target, "SELECT loc FROM place")]
        assert all(re.fullmatch(r"POINT\([-0-9.e]+ [-0-9.e]+\)", p) for p in points)
        empty = _rows(target, "SELECT loc, meta::text, features FROM empty_place")
        assert len(empty) == 4
        for loc, meta, labels in empty:
            assert re.fullmatch(r"POINT\([-0-9.e]+ [-0-9.e]+\)", loc) and isinstance(json.loads(meta), dict)
            assert set(labels) <= {"x", "y"}


def test_mysql_json_into_sqlite_is_an_object(mysql_types: str, tmp_path: Path) -> None:
    """Before: the NOT NULL JSON column of an empty table was '' in SQLite."""
    db = tmp_path / "t.db"
    clone(mysql_types, f"sqlite:///{db}", rows={"empty_place": 3}, seed=1, create_schema=True)
    with sqlite3.connect(db) as conn:
        empty = conn.execute("SELECT meta, loc FROM empty_place").fetchall()
        assert len(empty) == 3
        assert all(isinstance(json.loads(m), dict) and re.fullmatch(r"POINT\(.+ .+\)", p) for m, p in empty)
        assert conn.execute("SELECT count(*) FROM place WHERE json_valid(meta) = 0").fetchone() == (0,)


def test_a_config_constant_fills_a_geometry(mysql_types: str, mysql_url: str) -> None:
    """Before: "generator constant needs a number, text, boolean, date or enum column"."""
    text = (
        "tables:\n  place:\n    columns:\n"
        "      area: {generator: constant, value: 'POLYGON((0 0,2 0,0 2,0 0))'}\n"
    )
    for target in _fresh_database(mysql_url, "mysql"):
        clone(mysql_types, target, config=parse_config(text), seed=1, create_schema=True)  # type: ignore[call-arg]
        assert _rows(target, "SELECT DISTINCT ST_AsText(area) FROM place") == [
            ("POLYGON((0 0,2 0,0 2,0 0))",)
        ]


def test_a_config_constant_that_is_not_a_point_is_refused(mysql_types: str) -> None:
    text = "tables:\n  place:\n    columns:\n      loc: {generator: constant, value: 'here'}\n"
    with pytest.raises(ConfigError) as err:
        fit(mysql_types, config=parse_config(text))  # type: ignore[call-arg]
    assert str(err.value) == (
        "dbsynth.yaml:4:34: column place.loc: value: 'here' is not a valid point value: 'here' is not a "
        "POINT, LINESTRING, POLYGON or MULTIPOINT in well-known text"
    )


def test_a_type_nobody_can_generate(make_pg: Callable[[str], str]) -> None:
    """NULL where allowed; a NOT NULL column stops the run before its table, naming the column
    and the config key (before: '' was written, which PostgreSQL refuses for this type)."""
    source = make_pg(
        "CREATE TABLE snaps (id int PRIMARY KEY, maybe txid_snapshot, must txid_snapshot NOT NULL);"
        "INSERT INTO snaps SELECT g, NULL, txid_current_snapshot() FROM generate_series(1, 3) g;"
    )
    model = fit(source)
    with pytest.raises(GenerationError) as err:
        generate(model, "memory://")
    assert str(err.value).startswith(
        "column public.snaps.must is NOT NULL and dbsynth cannot generate txid_snapshot values; set them in "
        "the config: tables: public.snaps: columns: must: {generator: constant, value: ...}"
    )
