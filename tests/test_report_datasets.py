"""``dbsynth report`` on every shared dataset against its dbsynth clone: it runs to the end, every
score is a number in [0, 1], every constraint of the source holds in the clone, no personal
value of the source is in it, and the JSON and HTML outputs are complete."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from dbsynth.api import clone
from dbsynth.report import build_report, render_html

from conftest import DATASET_INFO


@pytest.mark.parametrize("dataset", sorted(DATASET_INFO))
def test_report_on_a_clone(
    dataset: str, dataset_url: Callable[[str], str], request: pytest.FixtureRequest
) -> None:
    source = dataset_url(dataset)
    target = request.getfixturevalue(
        "fresh_pg" if DATASET_INFO[dataset][0] == "postgresql" else "fresh_mysql"
    )
    clone(source, target, create_schema=True, seed=3)
    report = build_report(source, target, sample_rows=20_000)
    f = report.fidelity
    print(dataset, f.overall, f.column_shapes, f.column_pair_trends, f.cardinality, f.inter_table_trends)
    assert report.schema.missing_tables == () and report.schema.missing_columns == ()
    for value in (f.overall, f.column_shapes, f.cardinality, f.null_rates, f.row_counts):
        assert value is not None and 0.0 <= value <= 1.0
    assert report.validity.failed == 0, [c for c in report.validity.checks if c.status == "fail"]
    assert [p.statement for p in report.privacy.pii if p.leak] == []
    data = json.loads(report.to_json())
    assert data["fidelity"]["overall"] == f.overall
    assert len(data["fidelity"]["tables"]) == len(f.tables) == DATASET_INFO[dataset][2]
    assert render_html(report).count("<section") == len(f.tables)
