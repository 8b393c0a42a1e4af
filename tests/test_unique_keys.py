"""Keys and unique columns of real schemas: unique by construction, whatever fills them.

Each test is a defect class found by cloning real application schemas with no configuration
(issue "Real schemas"); the tables are small copies of the shapes those schemas have.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

import dbsynth
from dbsynth.columns.pii import PiiKind, detect_pii
from dbsynth.schema import Column, LogicalType
from dbsynth.writing.memory import MemoryTarget


def generated(source: str, **options: object) -> dict[str, pd.DataFrame]:
    """Fit ``source`` and generate into memory with ``options``; the frames by table name."""
    target = MemoryTarget()
    dbsynth.generate(dbsynth.fit(source), target, **options)
    return {key.rsplit(".", 1)[-1]: frame for key, frame in target.frames().items()}


def assert_unique(frame: pd.DataFrame, *columns: str) -> None:
    rows = frame[list(columns)].dropna()
    assert not rows.duplicated().any(), rows[rows.duplicated(keep=False)].head().to_dict("records")


# A table shaped like synapse's access_tokens (a bigint key that is not an identity, a unique
# token), empty as in a fresh install: pinning its row count used to crash in the unique fallback
# ("ValueError: assignment destination is read-only").
SYNAPSE_TOKENS = """
CREATE TABLE access_tokens (
    id bigint NOT NULL PRIMARY KEY,
    user_id text NOT NULL,
    device_id text,
    token text NOT NULL UNIQUE,
    valid_until_ms bigint,
    used boolean
);
"""


def test_pinned_rows_of_an_empty_table_with_unique_columns(make_pg: Callable[[str], str]) -> None:
    frames = generated(make_pg(SYNAPSE_TOKENS), rows={"access_tokens": 40})
    tokens = frames["access_tokens"]
    assert len(tokens) == 40
    assert_unique(tokens, "id")
    assert_unique(tokens, "token")


# A child's nullable FK to an empty table whose primary key is itself an FK (a 1:1 subtype
# nobody filled): the child's FK is NULL on every row, and generating it used to fail with
# "key columns (person_id) were not generated yet".
EMPTY_SUBTYPE = """
CREATE TABLE person (person_id integer PRIMARY KEY, name text NOT NULL);
CREATE TABLE patient (person_id integer PRIMARY KEY REFERENCES person, since date);
CREATE TABLE visit (
    visit_id integer PRIMARY KEY,
    person_id integer NOT NULL REFERENCES person,
    patient_id integer REFERENCES patient (person_id),
    note text
);
INSERT INTO person SELECT i, 'p' || i FROM generate_series(1, 30) i;
INSERT INTO visit SELECT i, 1 + mod(i, 30), NULL, 'n' || i FROM generate_series(1, 90) i;
"""


def test_nullable_fk_to_an_empty_table_keyed_by_an_fk(make_pg: Callable[[str], str]) -> None:
    frames = generated(make_pg(EMPTY_SUBTYPE))
    assert len(frames["patient"]) == 0
    assert len(frames["visit"]) == 90
    assert frames["visit"]["patient_id"].isna().all()


# The same through a cycle: the nullable FK cut out of it points at a table that gets no row.
EMPTY_CYCLE = """
CREATE TABLE team (team_id integer PRIMARY KEY, captain_id integer, name text NOT NULL);
CREATE TABLE captain (captain_id integer PRIMARY KEY REFERENCES team, since date);
ALTER TABLE team ADD FOREIGN KEY (captain_id) REFERENCES captain;
INSERT INTO team SELECT i, NULL, 't' || i FROM generate_series(1, 20) i;
"""


def test_cut_fk_to_an_empty_table(make_pg: Callable[[str], str]) -> None:
    frames = generated(make_pg(EMPTY_CYCLE))
    assert len(frames["team"]) == 20
    assert frames["team"]["captain_id"].isna().all()


# ISO codes as keys (iso3166's country.two_letter, countries_states' iso2/iso3): a key column
# named after countries used to be taken for personal data and fail with "country values cannot
# be made unique within 2 characters". A key names its row's thing: a code, not a person's.
ISO_CODES = [a + b for a in "ABCDEFGHIKLMNPRSTUVZ" for b in "ADEGILMORSTUZ"][:120]
COUNTRY_KEYS = (
    """
CREATE TABLE country (
    country_code char(2) PRIMARY KEY,
    country_iso3 varchar(3) NOT NULL UNIQUE,
    name text NOT NULL
);
CREATE TABLE city (city_id integer PRIMARY KEY, country_code char(2) NOT NULL REFERENCES country, name text);
INSERT INTO country VALUES """
    + ", ".join(f"('{c}', '{c}X', 'Land {i}')" for i, c in enumerate(ISO_CODES))
    + """;
INSERT INTO city SELECT i, (SELECT country_code FROM country ORDER BY 1 OFFSET mod(i, 120) LIMIT 1), 'c' || i
FROM generate_series(1, 300) i;
"""
)


def test_iso_code_keys_are_codes_not_personal_data(make_pg: Callable[[str], str]) -> None:
    source = make_pg(COUNTRY_KEYS)
    model = dbsynth.fit(source)
    for name in ("country_code", "country_iso3"):
        assert model.table("country").column(name).pii is None
    target = MemoryTarget()
    dbsynth.generate(model, target, scale=2)
    country = target.frames()["public.country"]
    assert len(country) == 240
    assert_unique(country, "country_code")
    assert_unique(country, "country_iso3")
    assert country["country_code"].str.len().eq(2).all()
    assert country["country_code"].str.fullmatch("[A-Z]{2}").all()


def test_a_key_column_holds_areas_as_codes_but_e_mails_as_personal_data() -> None:
    codes = pd.Series([f"{a}{b}" for a in "ABCDEFGH" for b in "ABCDEFGH"])
    country = Column("country", "char(2)", LogicalType.STRING)
    assert detect_pii(country, codes).kind is PiiKind.COUNTRY  # type: ignore[union-attr]
    assert detect_pii(country, codes, key=True) is None
    emails = pd.Series([f"user{i}@example.org" for i in range(60)])
    email = Column("email", "varchar(120)", LogicalType.STRING)
    assert detect_pii(email, emails, key=True).kind is PiiKind.EMAIL  # type: ignore[union-attr]


def test_a_code_shape_with_an_empty_run_is_saved_and_loaded(
    make_sqlite: Callable[[str], str], tmp_path: Path
) -> None:
    # iso3166's subdivision names and countries_states' fips codes: some values start with a
    # separator, so the first run of their shape is empty in some values (length 0).
    words = [chr(97 + i % 26) + chr(97 + i * 7 % 26) if i % 3 else "" for i in range(60)]
    rows = [f"('{w}-{1000 + i}')" for i, w in enumerate(words)]
    source = make_sqlite(f"CREATE TABLE t (code varchar(12)); INSERT INTO t VALUES {', '.join(rows)};")
    model = dbsynth.fit(source)
    assert model.table("t").column("code").model["kind"] == "shape"  # type: ignore[index]
    model.save(tmp_path / "m.json")
    dbsynth.Model.load(tmp_path / "m.json")


# Found by the typed property test (test_generate_property.py): b = a / 7 in the source, so the
# fit records the ordering a > b; enforcing it moved the unique smallint a, numbered into its
# value space, after the numbering, and two rows got the same a (seed 10, scale 3).
ORDERED_UNIQUE = """
CREATE TABLE t (id int PRIMARY KEY, grp int NOT NULL, a smallint UNIQUE, b integer);
INSERT INTO t SELECT g, mod(g, 3), CASE WHEN mod(g, 5) = 0 THEN NULL ELSE g * 7 END,
    CASE WHEN mod(g, 5) = 0 THEN NULL ELSE g END FROM generate_series(1, 40) g;
"""


def test_a_fitted_ordering_never_moves_a_column_unique_by_construction(make_pg: Callable[[str], str]) -> None:
    source = make_pg(ORDERED_UNIQUE)
    for seed in range(12):
        assert_unique(generated(source, scale=3, seed=seed)["t"], "a")
