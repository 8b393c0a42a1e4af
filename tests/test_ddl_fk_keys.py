"""A MySQL foreign key that references columns that are not a key of the parent (InnoDB only
wants an index there) across dialects (issue 10, defect 14): PostgreSQL and SQLite refuse such
a constraint, so it is not created there, it is named in the notes, and generation still
honours it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from dbsynth.introspection import introspect
from dbsynth.writing.ddl import schema_ddl
from tests.test_corpus import run_dbsynth

from verify_constraints import compare

NON_UNIQUE_PARENT = """
CREATE TABLE plans (id int PRIMARY KEY, code varchar(10) NOT NULL, KEY plans_code (code));
CREATE TABLE subscriptions (
    id int PRIMARY KEY,
    plan_code varchar(10) NOT NULL,
    CONSTRAINT subscriptions_plan FOREIGN KEY (plan_code) REFERENCES plans (code)
);
INSERT INTO plans VALUES (1, 'basic'), (2, 'pro'), (3, 'pro');
INSERT INTO subscriptions VALUES (1, 'basic'), (2, 'pro'), (3, 'pro')
"""

NOTE = (
    "subscriptions: foreign key subscriptions_plan (plan_code) references plans (code), which is not "
    "a key there; not created in the target (generated rows still reference existing parent rows)"
)


@pytest.mark.mysql
@pytest.mark.postgres
def test_an_fk_to_non_unique_columns_is_kept_as_a_relation_but_not_created(
    make_mysql: Callable[[str], str], fresh_pg: str, tmp_path: Path
) -> None:
    source_url = make_mysql(NON_UNIQUE_PARENT)
    source = introspect(source_url)
    assert NOTE in schema_ddl(source, "postgresql").warnings
    assert NOTE in schema_ddl(source, "sqlite").warnings
    assert NOTE not in schema_ddl(source, "mysql").warnings
    for target in (fresh_pg, f"sqlite:///{tmp_path / 'clone.sqlite'}"):
        code, output = run_dbsynth(
            "clone", source_url, target, "--create-schema", "--seed", "1", "--no-report"
        )
        assert code == 0, output
        assert NOTE in output
        assert compare(source_url, target, output.splitlines()) == []
    # Generation honoured the relation: every subscription names a plan code that exists.
    with sqlite3.connect(tmp_path / "clone.sqlite") as db:
        orphans = db.execute(
            "SELECT count(*) FROM subscriptions s WHERE NOT EXISTS "
            "(SELECT 1 FROM plans p WHERE p.code = s.plan_code)"
        ).fetchone()[0]
        rows = db.execute("SELECT count(*) FROM subscriptions").fetchone()[0]
    assert (orphans, rows > 0) == (0, True)
