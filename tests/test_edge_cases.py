"""``--edge-cases RATE``: values at the edges of what a column holds, with every constraint kept.

A planted schema with one column of each kind and corpus schemas copied without their rows are
seeded with ``--edge-cases``; the target must hold every constraint (the database and
``verify_constraints``) and show each kind of edge value in some column whose type allows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from test_corpus import _two_fresh, copy_schema_only, run_dbsynth, schema_only_failure

from dbsynth.errors import UsageError
from dbsynth.generation import edges
from dbsynth.options import GenerateOptions
from dbsynth.schema import Column, LogicalType

from conftest import _fresh_database, sa_url
from verify_constraints import violations

ALL_KINDS = {
    edges.EMPTY, edges.MAX_LENGTH, edges.UNICODE, edges.SPACES, edges.TYPE_MIN, edges.TYPE_MAX,
    edges.ZERO, edges.NEGATIVE, edges.NULL, edges.EPOCH, edges.Y2038, edges.LEAP_DAY,
}  # fmt: skip

# SQL per kind over one column of a PostgreSQL catalog type: {c} the column, {n} its length.
_TEXT_TYPES = ("character varying", "text", "character")
_INT_LIMITS = {"smallint": 2**15, "integer": 2**31, "bigint": 2**63}


def _kind_tests(
    data_type: str, length: int | None, precision: int | None, scale: int | None
) -> dict[str, str]:
    tests = {edges.NULL: "{c} IS NULL"}
    if data_type in _TEXT_TYPES:
        tests[edges.EMPTY] = "{c} = ''"
        tests[edges.MAX_LENGTH] = f"char_length({{c}}) = {length or edges.LONG_TEXT}"
        tests[edges.UNICODE] = f"{{c}} LIKE '{edges.UNICODE_TEXT[:3]}%%'"
        tests[edges.SPACES] = "{c}::text LIKE ' %%'"
    elif data_type in _INT_LIMITS:
        top = _INT_LIMITS[data_type]
        tests |= {
            edges.TYPE_MIN: f"{{c}} = {-top}", edges.TYPE_MAX: f"{{c}} = {top - 1}",
            edges.ZERO: "{c} = 0", edges.NEGATIVE: "{c} < 0",
        }  # fmt: skip
    elif data_type == "numeric" and precision is not None:
        top = f"{10 ** (precision - (scale or 0))} - 1e-{scale or 0}::numeric"
        tests |= {
            edges.TYPE_MIN: f"{{c}} = -({top})", edges.TYPE_MAX: f"{{c}} = {top}",
            edges.ZERO: "{c} = 0", edges.NEGATIVE: "{c} < 0",
        }  # fmt: skip
    elif data_type in ("date", "timestamp without time zone", "timestamp with time zone"):
        day = "({c})::date" if data_type == "date" else "({c} AT TIME ZONE 'UTC')::date"
        if data_type == "timestamp without time zone":
            day = "({c})::date"
        tests |= {
            edges.EPOCH: f"{day} = '1970-01-01'", edges.Y2038: f"{day} = '2038-01-19'",
            edges.LEAP_DAY: f"{day} = '2024-02-29'",
        }  # fmt: skip
    return tests


def edge_kinds_found(url: str) -> dict[str, str]:
    """Per kind of edge value, one ``table.column`` of the PostgreSQL database at ``url`` that
    holds one."""
    found: dict[str, str] = {}
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            columns = conn.exec_driver_sql(
                "SELECT c.table_schema, c.table_name, c.column_name, c.data_type, "
                "c.character_maximum_length, c.numeric_precision, c.numeric_scale "
                "FROM information_schema.columns c "
                "JOIN information_schema.tables t USING (table_schema, table_name) "
                "WHERE t.table_type = 'BASE TABLE' "
                "AND c.table_schema NOT IN ('pg_catalog', 'information_schema')"
            ).all()
            for schema, table, column, data_type, length, precision, scale in columns:
                tests = {
                    k: t
                    for k, t in _kind_tests(data_type, length, precision, scale).items()
                    if k not in found
                }
                if not tests:
                    continue
                name = f'"{schema}"."{table}"'
                col = f'"{column}"'
                parts = ", ".join(f"bool_or({t.format(c=col)})" for t in tests.values())
                hits = conn.exec_driver_sql(f"SELECT {parts} FROM {name}").one()
                for kind, hit in zip(tests, hits, strict=True):
                    if hit:
                        found[kind] = f"{table}.{column}"
    finally:
        engine.dispose()
    return found


def test_the_rate_is_a_probability() -> None:
    assert GenerateOptions(edge_cases=1).edge_cases == 1
    with pytest.raises(UsageError, match="--edge-cases must be a number from 0 to 1"):
        GenerateOptions(edge_cases=1.5)


def test_edges_stay_inside_their_type() -> None:
    short = edges.edge_values(
        Column(name="code", sql_type="varchar(4)", logical=LogicalType.STRING, length=4), "postgresql"
    )
    assert all(len(v) <= 4 for _, v in short if v is not None)
    assert edges.SPACES not in dict(short)  # ' padded ' does not fit: left out, never cut
    # unit3d's MariaDB longtext declares 4 GiB: a string that long cannot even be sent
    huge = dict(
        edges.edge_values(
            Column(name="t", sql_type="longtext", logical=LogicalType.TEXT, length=2**32 - 1), "mysql"
        )
    )
    assert len(huge[edges.MAX_LENGTH]) == edges.MAX_EDGE_LENGTH
    tiny = dict(
        edges.edge_values(
            Column(name="n", sql_type="smallint", logical=LogicalType.INTEGER, nullable=False), "postgresql"
        )
    )
    assert (tiny[edges.TYPE_MIN], tiny[edges.TYPE_MAX]) == (-32768, 32767) and edges.NULL not in tiny
    big = dict(
        edges.edge_values(Column(name="n", sql_type="bigint", logical=LogicalType.INTEGER), "postgresql")
    )
    assert big[edges.TYPE_MAX] == 2**63 - 1  # exactly: through float64 it would overflow
    unsigned = dict(
        edges.edge_values(
            Column(name="n", sql_type="int unsigned", logical=LogicalType.INTEGER, unsigned=True), "mysql"
        )
    )
    assert unsigned[edges.TYPE_MIN] == 0 and edges.NEGATIVE not in unsigned
    money = dict(
        edges.edge_values(
            Column(name="m", sql_type="numeric(5,2)", logical=LogicalType.DECIMAL, precision=5, scale=2), "pg"
        )
    )
    assert money[edges.TYPE_MAX] == 999.99
    wide = dict(
        edges.edge_values(
            Column(name="c", sql_type="decimal(22,2)", logical=LogicalType.DECIMAL, precision=22, scale=2),
            "mysql",
        )
    )
    assert wide[edges.TYPE_MAX] < 10**20 - 0.01  # as float64, 10**20 - 0.01 rounds to 10**20


PLANTED = """
CREATE TABLE accounts (
  id serial PRIMARY KEY, email varchar(80) NOT NULL UNIQUE, nickname varchar(20), bio text NOT NULL,
  code char(8), balance numeric(10, 2) NOT NULL, visits int, score bigint, rank smallint NOT NULL,
  ratio double precision, born date, created_at timestamptz NOT NULL, seen_at timestamp,
  wake time, token uuid,
  age int CHECK (age BETWEEN 0 AND 150), status text NOT NULL CHECK (status IN ('new', 'old')),
  slug varchar(30) CHECK (slug ~ '^[a-z]+$')
);
CREATE TABLE posts (
  id serial PRIMARY KEY, account_id int NOT NULL REFERENCES accounts, title varchar(100) NOT NULL,
  likes int NOT NULL CHECK (likes >= 0), body text
);
"""


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    yield from _fresh_database(pg_url, "postgresql")


def test_every_kind_of_edge_appears_and_every_constraint_holds(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source = make_pg(PLANTED)
    code, output = run_dbsynth(
        "--traceback", "clone", source, target_pg, "--create-schema", "--rows", "*=300", "--seed", "2",
        "--no-report", "--quiet", "--edge-cases", "0.2",
    )  # fmt: skip
    assert code == 0, output[-3000:]
    assert violations(target_pg) == []
    found = edge_kinds_found(target_pg)
    assert set(found) == ALL_KINDS, ALL_KINDS - set(found)
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        checked = conn.exec_driver_sql(
            "SELECT count(*) FILTER (WHERE age IN (0, 150)), count(*) FILTER (WHERE status = ''), "
            "count(DISTINCT email), count(*) FROM accounts"
        ).one()
    engine.dispose()
    ages_at_bounds, empty_status, emails, rows = checked
    assert ages_at_bounds > 0  # a type edge outside CHECK (age BETWEEN 0 AND 150) lands on its edge
    assert empty_status == 0 and emails == rows  # IN-lists and unique columns keep their values


def test_no_edges_without_the_option(make_pg: Callable[[str], str], target_pg: str) -> None:
    source = make_pg(PLANTED)
    code, output = run_dbsynth(
        "clone",
        source,
        target_pg,
        "--create-schema",
        "--rows",
        "*=300",
        "--seed",
        "2",
        "--no-report",
        "--quiet",
    )
    assert code == 0, output[-3000:]
    found = edge_kinds_found(target_pg)
    assert not {edges.UNICODE, edges.TYPE_MAX, edges.Y2038} & set(found), found


# Schemas of the corpus with text, integers, decimals and timestamps between them.
EDGE_CORPUS = ("guacamole", "countries_states")


@pytest.mark.slow
@pytest.mark.postgres
def test_edge_cases_on_corpus_schemas_keep_every_constraint(
    schema_url: Callable[[str, str], str], pg_url: str
) -> None:
    found: dict[str, str] = {}
    for name in EDGE_CORPUS:
        with _two_fresh(pg_url, "postgresql") as (source, target):
            copy_schema_only(schema_url(name, "postgresql"), source, "postgresql")
            failure = schema_only_failure(source, target, 200, "--edge-cases", "0.1")
            assert failure is None, f"{name}: {failure}"
            for kind, where in edge_kinds_found(target).items():
                found.setdefault(kind, f"{name}.{where}")
    assert set(found) == ALL_KINDS, ALL_KINDS - set(found)
