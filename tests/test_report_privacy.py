"""Privacy measurements on hand-built frames with planted copies and leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from faker import Faker

from dbsynth.columns.pii import PiiKind
from dbsynth.report.columns import ColumnInfo, classify_table, comparable_frame
from dbsynth.report.privacy import (
    PrivacyTable,
    distance_to_closest,
    exact_copies,
    measure_privacy,
    nearest_distances,
    person_combinations,
    pii_scan,
    rare_leaks,
)
from dbsynth.report.result import PiiFinding, Privacy, mask
from dbsynth.schema import Column, LogicalType, PrimaryKey, Table

ROWS = 200


def people(seed: int, rows: int = ROWS) -> pd.DataFrame:
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": pd.array(range(1, rows + 1), dtype="Int64"),
            "first_name": pd.array([fake.first_name() for _ in range(rows)], dtype="string"),
            "last_name": pd.array([fake.last_name() for _ in range(rows)], dtype="string"),
            "email": pd.array(
                [f"{fake.user_name()}{i}@{fake.domain_name()}" for i in range(rows)], dtype="string"
            ),
            "city": pd.array([fake.city() for _ in range(rows)], dtype="string"),
            "notes": pd.array([fake.sentence(nb_words=8) for _ in range(rows)], dtype="string"),
            "tier": pd.array(rng.choice(["basic", "gold", "premium"], size=rows), dtype="string"),
            "credit": rng.normal(100, 20, size=rows).round(2),
        }
    )


CUSTOMER = Table(
    name="customer",
    schema="public",
    columns=(
        Column("id", "integer", LogicalType.INTEGER, nullable=False),
        Column("first_name", "text", LogicalType.TEXT),
        Column("last_name", "text", LogicalType.TEXT),
        Column("email", "text", LogicalType.TEXT),
        Column("city", "text", LogicalType.TEXT),
        Column("notes", "text", LogicalType.TEXT),
        Column("tier", "text", LogicalType.TEXT),
        Column("credit", "double precision", LogicalType.FLOAT),
    ),
    primary_key=PrimaryKey(("id",)),
)


def privacy_table(source: pd.DataFrame, target: pd.DataFrame) -> PrivacyTable:
    infos = classify_table(CUSTOMER, source, min_count=5)
    return PrivacyTable(CUSTOMER, infos, comparable_frame(source, infos), comparable_frame(target, infos))


def scan(
    tables: list[PrivacyTable], extra: dict[str, pd.DataFrame] | None = None
) -> tuple[list[PiiFinding], list[str]]:
    """The personal-data scan and the person combinations, as ``measure_privacy`` runs them."""
    targets = {t.table.key: t.target for t in tables} | (extra or {})
    findings, scanned = pii_scan(tables, targets)
    return findings + person_combinations(tables), scanned


def measure(table: PrivacyTable) -> Privacy:
    targets = {table.table.key: table.target}
    return measure_privacy([table], [table], targets, min_count=5, holdout_fraction=0.0, seed=0)


def test_the_customer_columns_are_classified() -> None:
    infos = classify_table(CUSTOMER, people(1), min_count=5)
    assert {c: (i.kind, i.pii) for c, i in infos.items()} == {
        "id": ("id", None),
        "first_name": ("pii", PiiKind.FIRST_NAME),
        "last_name": ("pii", PiiKind.LAST_NAME),
        "email": ("pii", PiiKind.EMAIL),
        "city": ("pii", PiiKind.CITY),
        "notes": ("pii", PiiKind.FREE_TEXT),
        "tier": ("categorical", None),
        "credit": ("numerical", None),
    }


def test_a_planted_copied_row_is_counted() -> None:
    source, target = people(1), people(2)
    target.iloc[17, 1:] = source.iloc[42, 1:]  # one whole source record under another key
    t = privacy_table(source, target)
    result = exact_copies(t.table.key, t.data_columns, t.source, t.target)
    assert (result.copies, result.rows_checked, result.verdict) == (1, ROWS, "warn")
    assert result.statement == (
        "1 of 200 target rows (0.5%) repeat a source row over its 7 non-key column(s); "
        "chance alone gives about 0.0"
    )


def test_copies_explained_by_few_combinations_are_not_a_leak() -> None:
    source = pd.DataFrame({"status": ["a", "b"] * 50})
    target = pd.DataFrame({"status": ["a"] * 100})
    result = exact_copies("t", ["status"], source, target)
    assert (result.copies, result.share, result.baseline, result.verdict) == (100, 1.0, 1.0, "ok")


def test_many_copies_are_a_leak() -> None:
    source = people(1)
    t = privacy_table(source, source.copy())
    result = exact_copies(t.table.key, t.data_columns, t.source, t.target)
    assert (result.copies, result.verdict) == (ROWS, "leak")


def test_a_planted_leaked_email_is_found() -> None:
    source, target = people(1), people(2)
    target.loc[5, "email"] = source.loc[9, "email"].upper()  # case does not hide it
    target.loc[6, "notes"] = f"call back, wrote from {source.loc[11, 'email']} last week"
    findings, scanned = scan([privacy_table(source, target)])
    assert scanned == [f"public.customer.{c}" for c in ("first_name", "last_name", "email", "city", "notes")]
    leaks = [f for f in findings if f.leak]
    assert len(leaks) == 1
    leak = leaks[0]
    assert (leak.column, leak.kind, leak.matches, leak.found_in) == (
        "email",
        PiiKind.EMAIL,
        2,
        ("public.customer.email", "public.customer.notes"),
    )
    assert leak.statement == "LEAK: 2 email value(s) of public.customer.email found in the target"
    assert all("@" in e and source.loc[9, "email"] not in e for e in leak.examples)


def test_a_leaked_email_in_an_extra_target_table_is_found() -> None:
    source, target = people(1), people(2)
    extra = {"public.audit_log": pd.DataFrame({"entry": [f"login {source.loc[3, 'email']}", "nothing"]})}
    findings, _ = scan([privacy_table(source, target)], extra)
    assert [f.found_in for f in findings if f.leak] == [("public.audit_log.entry",)]


def test_shared_first_names_are_listed_but_a_whole_person_is_a_leak() -> None:
    source, target = people(1), people(2)
    target.loc[0, "first_name"] = source.loc[0, "first_name"]
    target.loc[1, ["first_name", "last_name"]] = source.loc[4, ["first_name", "last_name"]].to_numpy()
    findings, _ = scan([privacy_table(source, target)])
    assert [(f.column, f.leak) for f in findings if f.column == "first_name"] == [("first_name", False)]
    assert not [f for f in findings if f.leak]  # a first and last name alone coincide by chance
    person = ["first_name", "last_name", "city"]
    target.loc[2, person] = source.loc[7, person].to_numpy()
    findings, _ = scan([privacy_table(source, target)])
    (combination,) = [f for f in findings if f.kind == "combination"]
    assert (combination.column, combination.matches, combination.leak) == (
        "first_name+last_name+city",
        1,
        True,
    )


def test_rare_values_that_reappear() -> None:
    source = pd.DataFrame({"tier": ["basic"] * 20 + ["gold"] * 6 + ["vip-only"] * 2}, dtype="string")
    target = pd.DataFrame({"tier": ["basic"] * 10 + ["vip-only"]}, dtype="string")
    table = Table("t", (Column("tier", "text", LogicalType.TEXT),))
    infos = {"tier": ColumnInfo("tier", "categorical")}
    (leak,) = rare_leaks([PrivacyTable(table, infos, source, target)], min_count=5)
    assert (leak.rare_values, leak.leaked, leak.examples) == (1, 1, ("v…(8)",))
    assert leak.statement == "1 of 1 values seen fewer than 5 times in the source appear in the target"


def test_nearest_distances_gower() -> None:
    reference = np.array([[0.0, 0.0], [1.0, 2.0]])
    queries = np.array([[0.0, 0.0], [0.5, 4.0], [np.nan, 0.0]])
    # second query: 0.5 on the number, code 4 vs 2/0 differs → (0.5 + 1) / 2
    assert list(nearest_distances(queries, reference)) == [0.0, 0.75, 0.5]
    assert list(nearest_distances(reference, reference, np.array([0, 1]))) == [1.0, 1.0]


def test_distance_to_closest_record_flags_copies_and_passes_fresh_rows() -> None:
    source = people(1, 400)
    t_copy = privacy_table(source, source.sample(frac=1.0, random_state=3).reset_index(drop=True))
    cols = t_copy.data_columns
    copied = distance_to_closest("c", cols, {"credit"}, t_copy.source, t_copy.target, 0.0, 0)
    assert copied is not None and copied.verdict == "leak" and copied.median_target == 0.0
    fresh = privacy_table(source, people(2, 400))
    ok = distance_to_closest("c", cols, {"credit"}, fresh.source, fresh.target, 0.25, 0)
    assert ok is not None and ok.verdict == "ok" and ok.baseline == "holdout"
    assert ok.closer_share is not None and ok.closer_share <= 0.1


def test_measure_privacy_verdicts() -> None:
    source = people(1)
    clean = measure(privacy_table(source, people(2)))
    assert clean.verdict == "ok"
    assert clean.statement.startswith("No leak found: no personal value of the 5 personal-data column(s)")
    leaky = measure(privacy_table(source, source.copy()))
    assert leaky.verdict == "leak"
    assert leaky.statement == (
        "Leak: personal data leaked from public.customer.email, public.customer.notes, "
        "public.customer.first_name+last_name+city; rows repeating source rows in public.customer; "
        "target rows unusually close to source rows in public.customer; no rare source value reappears."
    )


@pytest.mark.parametrize(
    ("value", "masked"),
    [("jane.doe@example.com", "j…(8)@e…"), ("Smith", "S…(5)"), ("x", "…(1)")],
)
def test_mask(value: str, masked: str) -> None:
    assert mask(value) == masked


def test_a_short_personal_value_in_another_column_is_a_coincidence() -> None:
    source, target = people(1), people(2)
    staff = Table("staff", (Column("username", "text", LogicalType.TEXT),), schema="public")
    logins = pd.DataFrame({"username": pd.array(["mike", "jon"] * 3, dtype="string")})
    infos = {"username": ColumnInfo("username", "pii", PiiKind.USERNAME)}
    target.loc[0, "first_name"] = "Mike"
    tables = [privacy_table(source, target), PrivacyTable(staff, infos, logins, logins.iloc[0:0])]
    findings, _ = scan(tables)
    (found,) = [f for f in findings if f.column == "username"]
    assert (found.leak, found.found_in) == (False, ("public.customer.first_name",))
    assert found.statement == (
        "1 short username value(s) of public.staff.username occur in other target columns "
        "(public.customer.first_name): common words, not a leak on their own"
    )
    # in its own column it is a leak, however short
    tables[1] = PrivacyTable(staff, infos, logins, logins.iloc[0:1])
    findings, _ = scan(tables)
    (found,) = [f for f in findings if f.column == "username"]
    assert (found.leak, found.found_in) == (True, ("public.customer.first_name", "public.staff.username"))
