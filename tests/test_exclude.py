"""PostgreSQL EXCLUDE constraints: created in a PostgreSQL target by ``--create-schema``, kept by
the generated rows (equal values with non-overlapping ranges, ranges that never overlap, equal
values alone), and a form generation cannot keep refused before anything is written."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from dbsynth.introspection import introspect
from dbsynth.writing.ddl import schema_ddl
from tests.conftest import _fresh_database, sa_url
from tests.test_corpus import run_dbsynth

from verify_constraints import compare

pytestmark = pytest.mark.postgres

TABLES = """
CREATE EXTENSION btree_gist;
CREATE TABLE rooms (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE bookings (
    id int PRIMARY KEY,
    room_id int NOT NULL REFERENCES rooms (id),
    during tsrange NOT NULL CHECK (NOT isempty(during) AND lower(during) >= '2020-01-01'),
    cancelled boolean NOT NULL DEFAULT false,
    CONSTRAINT no_double_booking EXCLUDE USING gist (room_id WITH =, during WITH &&)
        WHERE (NOT cancelled)
);
CREATE TABLE slots (
    id int PRIMARY KEY,
    span int4range,
    days daterange NOT NULL,
    CONSTRAINT slots_apart EXCLUDE USING gist (span WITH &&),
    CONSTRAINT days_apart EXCLUDE USING gist (days WITH &&)
);
CREATE TABLE badges (id int PRIMARY KEY, code int, CONSTRAINT one_code EXCLUDE USING btree (code WITH =));
"""

# Five rooms booked back to back in the source, 1 to 40 hours each: independent draws of start
# and width overlap within a room.
ROWS = """
INSERT INTO rooms SELECT r, 'room ' || r FROM generate_series(1, 5) r;
INSERT INTO bookings
SELECT i, 1 + mod(i, 5), tsrange(ts, ts + make_interval(hours => 1 + mod(i * 7, 40))), mod(i, 9) = 0
FROM generate_series(1, 200) i,
     LATERAL (SELECT timestamp '2024-01-01' + make_interval(hours => 48 * (i / 5))) s(ts);
INSERT INTO slots
SELECT i, CASE WHEN mod(i, 10) = 0 THEN NULL ELSE int4range(i * 10, i * 10 + 1 + mod(i, 9)) END,
       daterange(date '2024-01-01' + 3 * i, date '2024-01-01' + 3 * i + 1 + mod(i, 2), '[]')
FROM generate_series(1, 60) i;
INSERT INTO badges SELECT i, CASE WHEN mod(i, 7) = 0 THEN NULL ELSE i * 3 END FROM generate_series(1, 50) i;
"""

EXCLUSIONS = {"no_double_booking", "slots_apart", "days_apart", "one_code"}


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second new, empty database (``make_pg`` fills the first), dropped after the test."""
    yield from _fresh_database(pg_url, "postgresql")


def exclusions_of(url: str) -> set[str]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        names = conn.exec_driver_sql("SELECT conname FROM pg_constraint WHERE contype = 'x'").scalars()
        found = set(names)
    engine.dispose()
    return found


def overlapping_bookings(url: str) -> int:
    """Pairs of bookings of one room whose times overlap (cancelled ones included: generation
    keeps the partial constraint over every row)."""
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        n = conn.exec_driver_sql(
            "SELECT count(*) FROM bookings a JOIN bookings b ON a.id < b.id "
            "AND a.room_id = b.room_id AND a.during && b.during"
        ).scalar_one()
    engine.dispose()
    return int(n)


@pytest.mark.parametrize("scale", ["1", "3"])
def test_a_clone_creates_the_exclusions_and_keeps_them(
    make_pg: Callable[[str], str], target_pg: str, scale: str
) -> None:
    source_url = make_pg(TABLES + ROWS)
    code, output = run_dbsynth(
        "clone", source_url, target_pg, "--create-schema", "--scale", scale, "--seed", "3", "--no-report"
    )
    assert code == 0, output
    assert exclusions_of(target_pg) == EXCLUSIONS
    assert compare(source_url, target_pg, output.splitlines()) == []
    assert overlapping_bookings(target_pg) == 0


def test_a_schema_without_rows_seeds_rows_that_keep_the_exclusions(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source_url = make_pg(TABLES)
    code, output = run_dbsynth(
        "clone", source_url, target_pg, "--create-schema", "--rows", "*=200", "--seed", "5", "--no-report"
    )
    assert code == 0, output
    assert exclusions_of(target_pg) == EXCLUSIONS
    assert compare(source_url, target_pg, output.splitlines()) == []
    assert overlapping_bookings(target_pg) == 0


def test_across_dialects_an_exclusion_is_named_as_not_carried(make_pg: Callable[[str], str]) -> None:
    source = introspect(make_pg(TABLES))
    note = (
        "public.bookings: exclusion constraint no_double_booking (EXCLUDE USING gist (room_id WITH =, "
        "during WITH &&) WHERE ((NOT cancelled))) not carried: sqlite has no exclusion constraints "
        "(generated rows still respect it)"
    )
    assert note in schema_ddl(source, "sqlite").warnings
    x = source.table("public.bookings").exclusions[0]
    assert (x.columns, x.operators, x.method, x.where) == (
        ("room_id", "during"),
        ("=", "&&"),
        "gist",
        "(NOT cancelled)",
    )


UNKEPT = """
CREATE TABLE shapes (id int PRIMARY KEY, area box NOT NULL,
    CONSTRAINT apart EXCLUDE USING gist (area WITH &&));
INSERT INTO shapes VALUES (1, '(0,0),(1,1)'), (2, '(2,2),(3,3)');
"""


def test_a_form_generation_cannot_keep_is_refused_naming_the_table_and_constraint(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source_url = make_pg(UNKEPT)
    code, output = run_dbsynth("clone", source_url, target_pg, "--create-schema", "--no-report")
    assert code == 1
    error = [line for line in output.splitlines() if "apart" in line]
    assert error == [
        "Error: table public.shapes: exclusion constraint apart (EXCLUDE USING gist (area WITH &&)) "
        "cannot be kept by generated rows (&& over area (box), which is not a range of a built-in type); "
        "give the table --rows 'public.shapes=0' or copy it from the source"
    ]
    # One row cannot conflict with another: that plan is not refused.
    code, output = run_dbsynth(
        "clone", source_url, target_pg, "--create-schema", "--rows", "public.shapes=1", "--no-report"
    )
    assert code == 0, output


# Three rows: the fit keeps no bound or width of a range (fewer values than it keeps), so every
# range is the model's [0,0+width); a width of 0 made them all 'empty' against NOT isempty.
TINY = """
CREATE TABLE spans (id int PRIMARY KEY, r int4range NOT NULL CHECK (NOT isempty(r)),
    d daterange NOT NULL, CONSTRAINT spans_apart EXCLUDE USING gist (r WITH &&));
INSERT INTO spans
SELECT g, int4range(g * 10, g * 10 + 2), daterange(date '2021-01-01' + g, date '2021-01-03' + g)
FROM generate_series(1, 3) g;
"""


def test_ranges_of_a_tiny_source_are_not_empty_and_kept_apart(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    source_url = make_pg(TINY)
    code, output = run_dbsynth(
        "clone", source_url, target_pg, "--create-schema", "--scale", "3", "--seed", "1", "--no-report"
    )
    assert code == 0, output
    assert compare(source_url, target_pg, output.splitlines()) == []
    engine = sa.create_engine(sa_url(target_pg), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        empty = conn.exec_driver_sql("SELECT count(*) FROM spans WHERE isempty(r) OR isempty(d)").scalar_one()
    engine.dispose()
    assert empty == 0
