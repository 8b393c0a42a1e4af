"""Seeding empty schemas whose keys constrain the fan-out: shapes of the real-world corpus
(danbooru, synapse, osm, musicbrainz, omop_cdm) planted small, each cloned with
``--create-schema --rows '*=N'`` and checked against every constraint of the target."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from test_corpus import run_dbsynth
from test_priors import seed

from conftest import _fresh_database, sa_url
from verify_constraints import violations


@pytest.fixture
def target_pg(pg_url: str) -> Iterator[str]:
    """A second fresh PostgreSQL database (``fresh_pg`` holds the source)."""
    yield from _fresh_database(pg_url, "postgresql")


def _counts(url: str, sql: str) -> dict[str, int]:
    engine = sa.create_engine(sa_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return {str(k): int(v) for k, v in conn.exec_driver_sql(sql).all()}
    finally:
        engine.dispose()


ONE_TO_ONE = """
CREATE TABLE assets (id bigserial PRIMARY KEY, md5 text NOT NULL);
CREATE TABLE asset_metadata (
  id bigserial PRIMARY KEY, asset_id bigint NOT NULL UNIQUE REFERENCES assets, metadata jsonb NOT NULL
);
"""


def test_a_unique_not_null_foreign_key_gets_one_child_per_parent_at_most(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    """danbooru's media_metadata: the default fan-out (3 per parent) asked three times the
    parents' rows of a 1:1 table, and the rows left without a parent were written NULL."""
    seed(make_pg(ONE_TO_ONE), target_pg)
    assert violations(target_pg) == []
    counts = _counts(
        target_pg,
        "SELECT 'assets', count(*) FROM assets UNION ALL SELECT 'meta', count(*) FROM asset_metadata",
    )
    assert counts["assets"] == 200
    assert 100 <= counts["meta"] <= 200


def test_explicit_rows_of_a_one_to_one_table_are_capped_at_its_parents(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    output = seed(make_pg(ONE_TO_ONE), target_pg, "--rows", "asset_metadata=500", "--dry-run")
    assert "public.asset_metadata: 200 rows" in output
    assert "capped at 200 row(s) from 500" in output


SELF_VERSIONS = """
CREATE TABLE tags (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE tag_versions (
  id bigserial PRIMARY KEY, tag_id int NOT NULL REFERENCES tags,
  previous_version_id bigint REFERENCES tag_versions, name text NOT NULL,
  UNIQUE (tag_id, previous_version_id)
);
"""


def test_a_unique_pair_with_a_self_reference_holds(make_pg: Callable[[str], str], target_pg: str) -> None:
    """danbooru's tag_versions: (tag_id, previous_version_id) was taken as settled by the
    parents drawn at setup, but the self-reference is drawn per chunk, so nothing kept the
    pairs distinct."""
    seed(make_pg(SELF_VERSIONS), target_pg, rows=60)
    assert violations(target_pg) == []
    counts = _counts(target_pg, "SELECT 'versions', count(*) FROM tag_versions")
    assert counts["versions"] == 60


CODES = """
CREATE TABLE area (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE area_code (area int NOT NULL REFERENCES area, code char(2) PRIMARY KEY);
"""


def test_a_following_table_is_capped_at_its_keys_capacity(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    """musicbrainz's iso_3166_1: more areas than char(2) codes exist asked more codes than exist,
    and the run was refused although no count was given for that table."""
    source = make_pg(CODES)
    plan = seed(source, target_pg, "--dry-run", rows=2000)
    cap = re.search(
        r"area_code: ([\d,]+) rows.*capped at ([\d,]+) row\(s\) from ([\d,]+): unique \(code\)", plan
    )
    assert cap is not None, plan
    planned, capped, asked = (int(g.replace(",", "")) for g in cap.groups())
    assert planned == capped < asked
    seed(source, target_pg, rows=2000)
    assert violations(target_pg) == []
    counts = _counts(target_pg, "SELECT 'codes', count(*) FROM area_code")
    assert counts["codes"] == capped


def test_an_explicit_count_beyond_a_keys_capacity_is_still_refused(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    code, output = run_dbsynth(
        "clone", make_pg(CODES), target_pg, "--create-schema", "--rows", "area_code=5000", "--dry-run"
    )
    assert code == 1
    assert "public.area_code: unique (code) can hold at most" in output


NULLABLE_REFERENCED = """
CREATE TABLE users (id serial PRIMARY KEY, name text UNIQUE, admin boolean NOT NULL);
CREATE TABLE presence (user_id text PRIMARY KEY REFERENCES users (name), stream_id bigint);
CREATE TABLE devices (user_id text NOT NULL REFERENCES users (name), device text NOT NULL);
"""


def test_a_nullable_column_referenced_by_a_not_null_foreign_key_is_filled(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    """synapse's users.name: its prior gave it NULLs like any nullable column, and the children
    of those users got a NULL key their NOT NULL column refused."""
    seed(make_pg(NULLABLE_REFERENCED), target_pg)
    assert violations(target_pg) == []
    counts = _counts(
        target_pg,
        "SELECT 'no name', count(*) FROM users WHERE name IS NULL "
        "UNION ALL SELECT 'devices', count(*) FROM devices",
    )
    assert counts["no name"] == 0
    assert counts["devices"] == 200


ROLES = """
CREATE TYPE user_role AS ENUM ('administrator', 'moderator', 'importer');
CREATE TABLE users (id bigserial PRIMARY KEY, display_name text NOT NULL);
CREATE TABLE user_roles (
  id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES users, role user_role NOT NULL,
  granter_id bigint NOT NULL REFERENCES users, UNIQUE (user_id, role)
);
"""


def test_a_key_of_a_parent_and_an_enum_never_suffixes_a_label(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    """osm's user_roles: a duplicate (user_id, role) got its label suffixed ('importer-515'),
    which the enum refuses. The free pairs are searched instead, and more rows than users times
    labels are capped at planning."""
    source = make_pg(ROLES)
    seed(source, target_pg, "--rows", "user_roles=90", rows=30)
    assert violations(target_pg) == []
    assert _counts(target_pg, "SELECT 'roles', count(*) FROM user_roles")["roles"] == 90
    plan = seed(source, target_pg, "--rows", "user_roles=500", "--dry-run", rows=30)
    assert "public.user_roles: 90 rows" in plan
    assert "capped at 90 row(s) from 500" in plan


TEXT_KEY_CYCLE = """
CREATE TABLE concept (
  concept_id integer PRIMARY KEY, concept_name varchar(255) NOT NULL,
  concept_class_id varchar(20) NOT NULL
);
CREATE TABLE concept_class (
  concept_class_id varchar(20) PRIMARY KEY, concept_class_name varchar(255) NOT NULL,
  concept_class_concept_id integer NOT NULL REFERENCES concept (concept_id)
);
ALTER TABLE concept ADD FOREIGN KEY (concept_class_id) REFERENCES concept_class (concept_class_id);
"""


def test_a_not_null_cycle_through_a_text_key_is_loaded(make_pg: Callable[[str], str], target_pg: str) -> None:
    """omop_cdm's concept <-> concept_class: the cut FK references a varchar key, whose values
    were not known before its table was written; it is now numbered from the row index."""
    source = make_pg(TEXT_KEY_CYCLE)
    plan = seed(source, target_pg, "--dry-run", rows=50)
    assert "keyed by row: concept_class_id" in plan
    seed(source, target_pg, rows=50)
    assert violations(target_pg) == []
    counts = _counts(
        target_pg,
        "SELECT 'concepts', count(*) FROM concept UNION ALL SELECT 'classes', count(*) FROM concept_class",
    )
    assert counts["concepts"] > 0 and counts["classes"] > 0


SPECIAL_ROW = """
CREATE TABLE artist_type (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE artist (
  id serial PRIMARY KEY, name text NOT NULL, type int REFERENCES artist_type,
  gender int, begin_date_year smallint, end_date_year smallint,
  CONSTRAINT artist_va_check CHECK (
    id <> 1 OR (type = 3 AND gender IS NULL AND begin_date_year IS NULL AND end_date_year IS NULL)
  )
);
"""


def test_a_check_on_a_special_key_row_is_met_by_its_or_branch(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    """musicbrainz's artist_va_check: row id 1 (Various Artists) must have type 3 and no dates.
    Resampling never changes the numbered id, and the values drawn for the other columns met
    the branch together with probability ~0, so the run failed after 40 rounds."""
    seed(make_pg(SPECIAL_ROW), target_pg, rows=50)
    assert violations(target_pg) == []
    counts = _counts(
        target_pg,
        "SELECT 'va', count(*) FROM artist WHERE id = 1 AND type = 3 AND gender IS NULL "
        "UNION ALL SELECT 'others', count(*) FROM artist WHERE id <> 1 AND gender IS NOT NULL",
    )
    assert counts["va"] == 1
    assert counts["others"] > 0  # only the failing row takes the branch's values


PATTERNS = r"""
CREATE TABLE recording (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE isrc (
  recording int NOT NULL REFERENCES recording,
  isrc char(12) NOT NULL CHECK (isrc ~ '^[A-Z]{2}[A-Z0-9]{3}[0-9]{7}$'),
  ipi char(11) CHECK (ipi ~ E'^\\d{11}$'),
  PRIMARY KEY (recording, isrc)
);
CREATE TABLE oauth_token (
  id serial PRIMARY KEY, code_challenge text, code_challenge_method text,
  CONSTRAINT valid_code_challenge CHECK (
    (code_challenge IS NULL) = (code_challenge_method IS NULL)
    AND (code_challenge IS NULL OR code_challenge ~ '^[A-Za-z0-9.~_-]{43,128}$')
  )
);
"""


def test_a_pattern_check_gives_the_column_its_shape(make_pg: Callable[[str], str], target_pg: str) -> None:
    """musicbrainz's isrc, artist_ipi and editor_oauth_token: the prior drew words and codes
    like 'SHB-3610829', which no resampling turns into 11 digits; the pattern's own strings are
    generated instead (also under an ``IS NULL OR`` guard in a check of two columns)."""
    seed(make_pg(PATTERNS), target_pg, rows=100)
    assert violations(target_pg) == []
    counts = _counts(
        target_pg,
        "SELECT 'isrc', count(*) FROM isrc UNION ALL SELECT 'tokens', count(*) FROM oauth_token "
        "UNION ALL SELECT 'challenges', count(code_challenge) FROM oauth_token",
    )
    assert counts["isrc"] == 100 and counts["tokens"] == 100
    assert counts["challenges"] > 0


CHAIN = """
CREATE TABLE hosts (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE rules (id serial PRIMARY KEY, host_id int NOT NULL REFERENCES hosts, name text);
CREATE TABLE checks (id serial PRIMARY KEY, rule_id int NOT NULL REFERENCES rules, port int);
CREATE TABLE results (id serial PRIMARY KEY, check_id int NOT NULL REFERENCES checks, value text);
"""


def test_rows_star_gives_every_table_n_rows_down_a_chain(
    make_pg: Callable[[str], str], target_pg: str
) -> None:
    """zabbix: '*=200' planned ~1M rows, three children per parent compounded down its chains
    of foreign keys (200 -> 600 -> 1,800 -> 5,400 here). A pinned table still brings its
    children with it."""
    source = make_pg(CHAIN)
    plan = seed(source, target_pg, "--dry-run", rows=200)
    assert "800 rows in 4 tables" in plan, plan
    pinned = seed(source, target_pg, "--dry-run", "--rows", "rules=10", rows=200)
    assert "public.rules: 10 rows" in pinned
    assert re.search(r"public\.checks: (\d+) rows", pinned).group(1) != "200", pinned  # type: ignore[union-attr]


ARRAY_KEY = """
CREATE TABLE cdtoc_raw (
  id serial PRIMARY KEY, release int NOT NULL, track_count int NOT NULL, leadout_offset int NOT NULL,
  track_offset int[] NOT NULL
);
CREATE UNIQUE INDEX cdtoc_raw_toc ON cdtoc_raw (track_count, leadout_offset, track_offset);
"""


def test_a_unique_key_with_an_array_column_is_kept(make_pg: Callable[[str], str], target_pg: str) -> None:
    """musicbrainz's cdtoc_raw: the unique fallback hashed each key tuple, and an array in it
    (a list) made generation fail with TypeError: unhashable type: 'list'."""
    seed(make_pg(ARRAY_KEY), target_pg, rows=300)
    assert violations(target_pg) == []
