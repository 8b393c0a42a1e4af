"""``dbsynth report`` on the command line: files, summary, the --fail-under gate, exact errors.

The command runs inside a group with dbsynth's error policy (:class:`DbsynthGroup`), built here
so the test does not depend on the command being registered in ``dbsynth.cli``.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from dbsynth.cli import DbsynthGroup
from dbsynth.cli.report import parse_fail_under, report_command

SCHEMA = """
CREATE TABLE customers (id INTEGER PRIMARY KEY, tier TEXT NOT NULL, credit REAL);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),
    qty INTEGER NOT NULL CHECK (qty > 0));
"""


def rows(customers: int, gold_every: int, orders_each: int) -> str:
    out = [
        f"INSERT INTO customers VALUES ({i}, '{'gold' if i % gold_every == 0 else 'basic'}', {50 + i % 40});"
        for i in range(1, customers + 1)
    ]
    n = 0
    for i in range(1, customers + 1):
        for k in range(orders_each if i % 2 else 1):
            n += 1
            out.append(f"INSERT INTO orders VALUES ({n}, {i}, {1 + (i + k) % 5});")
    return "\n".join(out)


@click.group(cls=DbsynthGroup)
def cli() -> None:
    """The group dbsynth's commands run in."""


cli.add_command(report_command)


def run(*args: str) -> Result:
    # rich takes its width from COLUMNS when the output is no terminal (a test worker's is not).
    return CliRunner(env={"COLUMNS": "160"}).invoke(
        cli, ["report", *args], prog_name="dbsynth", terminal_width=160
    )


@pytest.fixture
def pair(make_sqlite: Callable[[str], str]) -> tuple[str, str, str]:
    """A source, a copy of it, and a database that differs in tiers and children per parent."""
    source = make_sqlite(SCHEMA + rows(60, 3, 3))
    return source, make_sqlite(SCHEMA + rows(60, 3, 3)), make_sqlite(SCHEMA + rows(60, 10, 1))


def test_files_and_summary(pair: tuple[str, str, str], tmp_path: Path) -> None:
    source, _, other = pair
    html, js = tmp_path / "r.html", tmp_path / "r.json"
    result = run(source, other, "--html", str(html), "--json", str(js), "--quiet")
    assert result.exit_code == 0, result.output
    data = json.loads(js.read_text(encoding="utf-8"))
    assert set(data) >= {"fidelity", "validity", "privacy", "schema", "sampling", "samples"}
    overall = data["fidelity"]["overall"]
    assert 0 < overall < 1
    assert f"Overall score {overall:.1%}" in result.output
    assert result.output.index("Worst columns") < result.output.index("Tables, worst first")
    worst = re.findall(r"^\s+(customers\.\w+|orders\.\w+)\s", result.output.split("Worst columns")[1], re.M)
    assert worst[0] == "customers.tier"  # the changed column comes first
    assert "Every table was read whole in both databases." in result.output
    # What is not scored is said, with its reason, in all three forms.
    line = "Not scored: 3 of 6 columns: 3 key columns (generated, not modelled)."
    assert line in " ".join(result.output.split())
    assert data["fidelity"]["not_scored"] == [
        {
            "reason": "key columns (generated, not modelled)",
            "columns": ["customers.id", "orders.id", "orders.customer_id"],
        }
    ]
    page = html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "customers" in page
    assert "Not scored: 3 of 6 columns" in page


def test_fail_under_is_a_gate(pair: tuple[str, str, str], tmp_path: Path) -> None:
    source, copy, other = pair
    assert run(source, copy, "--fail-under", "0.99", "--quiet").exit_code == 0
    js = tmp_path / "r.json"
    result = run(source, other, "--fail-under", "99", "--json", str(js), "--quiet")
    overall = json.loads(js.read_text(encoding="utf-8"))["fidelity"]["overall"]
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"Error: overall score {overall:.1%} is below --fail-under 99.0%"


def test_sampling_is_said(pair: tuple[str, str, str]) -> None:
    source, copy, _ = pair
    result = run(source, copy, "--sample-rows", "20", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Fidelity and privacy were measured on samples of at most 20 rows per table" in result.output


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--fail-under", "150"], 2, "Invalid value for --fail-under: 150 is not a score: give a share "
                                     "between 0 and 1 (0.8) or a percentage (80)"),
        (["--holdout-fraction", "1.5"], 1, "Error: --holdout-fraction must be at least 0 and below 1, "
                                           "got 1.5"),
        (["--sample-rows", "0"], 1, "Error: --sample-rows must be at least 1, got 0"),
        (["--min-count", "0"], 1, "Error: --min-count must be at least 1, got 0"),
        (["--scale", "0"], 1, "Error: --scale must be above 0, got 0.0"),
        (["--html", "no/such/dir/r.html"], 1, "Error: --html: directory 'no/such/dir' does not exist"),
    ],
)  # fmt: skip
def test_bad_options(pair: tuple[str, str, str], args: list[str], code: int, message: str) -> None:
    source, copy, _ = pair
    result = run(source, copy, *args)
    assert result.exit_code == code
    assert message in " ".join(result.output.split())


def test_a_missing_database_is_one_line(pair: tuple[str, str, str], tmp_path: Path) -> None:
    source, _, _ = pair
    missing = tmp_path / "nope.sqlite"
    result = run(source, f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == f"Error: SQLite database file '{missing}' does not exist"


def test_a_password_never_shows(pair: tuple[str, str, str]) -> None:
    source, _, _ = pair
    result = run(source, "postgresql://app:s3cret@127.0.0.1:1/nowhere")
    assert result.exit_code == 1
    assert "s3cret" not in result.output and "***" in result.output


def test_fail_under_parsing() -> None:
    assert (parse_fail_under(None), parse_fail_under(0.8), parse_fail_under(80), parse_fail_under(1)) == (
        None,
        0.8,
        0.8,
        1.0,
    )
    with pytest.raises(click.BadParameter):
        parse_fail_under(-1)


def test_help_examples_parse() -> None:
    result = CliRunner().invoke(cli, ["report", "--help"], prog_name="dbsynth", terminal_width=200)
    assert result.exit_code == 0
    block = re.split(r"\n\s*Example:\n", result.output, maxsplit=1)[1].split("\n\n", 1)[0]
    lines = [line.strip() for line in block.splitlines() if line.strip()]
    assert len(lines) == 4
    for line in lines:
        words = shlex.split(line)
        assert words[:2] == ["dbsynth", "report"]
        report_command.make_context("report", words[2:])  # raises on an unknown option


def test_a_target_without_the_source_tables_fails(
    pair: tuple[str, str, str], make_sqlite: Callable[[str], str]
) -> None:
    """An empty target used to get "Validity pass" and "Privacy ok" with exit 0."""
    source, _, _ = pair
    empty = make_sqlite("CREATE TABLE unrelated (id INTEGER PRIMARY KEY);")
    result = run(source, empty)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: the target lacks 2 table(s) (customers, orders) of the source"
    )
    assert "Validity fail" in " ".join(result.output.split())


def test_a_target_missing_a_column_fails(
    pair: tuple[str, str, str], make_sqlite: Callable[[str], str]
) -> None:
    source, _, _ = pair
    # The same rows without the credit column: drop the last value of every customers row.
    narrow_rows = re.sub(r"(INSERT INTO customers VALUES \(\d+, '\w+'), \d+\)", r"\1)", rows(60, 3, 3))
    narrow = make_sqlite(SCHEMA.replace(", credit REAL", "") + narrow_rows)
    result = run(source, narrow)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "Error: the target lacks 1 column(s) (customers.credit) of the source"
    )


def test_sdmetrics_export(pair: tuple[str, str, str], tmp_path: Path) -> None:
    """What the report scored, written for SDMetrics: metadata and both sides' frames."""
    source, copy, _ = pair
    out = tmp_path / "rescore"
    result = run(source, copy, "--sdmetrics", str(out))
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert meta["tables"]["orders"] == {
        "columns": {"id": {"sdtype": "id"}, "customer_id": {"sdtype": "id"}, "qty": {"sdtype": "numerical"}},
        "primary_key": "id",
    }
    assert meta["tables"]["customers"]["columns"]["tier"] == {"sdtype": "categorical"}
    assert meta["relationships"] == [
        {
            "parent_table_name": "customers",
            "parent_primary_key": "id",
            "child_table_name": "orders",
            "child_foreign_key": "customer_id",
        }
    ]
    assert sorted(p.name for p in (out / "synthetic").iterdir()) == ["customers.parquet", "orders.parquet"]


def test_sdmetrics_export_directory_must_be_a_directory(pair: tuple[str, str, str], tmp_path: Path) -> None:
    source, copy, _ = pair
    taken = tmp_path / "file"
    taken.write_text("")
    result = run(source, copy, "--sdmetrics", str(taken))
    assert result.exit_code == 2  # a usage error, like a bad --json path
    assert result.output.strip().splitlines()[-1] == (
        f"Error: Invalid value for '--sdmetrics': Directory '{taken}' is a file."
    )


def test_the_overall_says_which_properties_it_is_a_mean_of(make_sqlite: Callable[[str], str]) -> None:
    """One table of two unrelated columns: no pair strong enough to count, no cardinality, no
    inter-table trends. The overall (like SDMetrics') is the mean of what was scored, and the
    summary says so instead of "the four properties"."""
    table = "CREATE TABLE t (id INTEGER PRIMARY KEY, a REAL, b REAL);\n"
    values = "\n".join(f"INSERT INTO t VALUES ({i}, {i % 17}, {(i * 7) % 23});" for i in range(1, 200))
    source = make_sqlite(table + values)
    result = run(source, make_sqlite(table + values), "--quiet")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert (
        "(mean of 1 of the four SDMetrics properties; "
        "not scored here: column pair trends, cardinality, inter-table trends)" in text
    ), text
