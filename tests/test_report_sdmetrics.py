"""SDMetrics, given what ``dbsynth report --sdmetrics DIR`` writes, agrees with the report.

Every sample database is cloned into a fresh database of its own dialect, reported with whole
tables (``--sample-rows`` above any table), and the exported metadata and frames are scored by
SDMetrics' multi-table QualityReport. Its four properties must agree with the report's within
0.02, each computed over the same items: every scored column and contributing pair, and the
relationships SDMetrics can express (one-column FKs to another table's primary key; the report
also scores the others, which is why its own cardinality mean covers more FKs). The only intended
difference is that dbsynth bins a continuous column on the source's edges in mixed pairs, where
SDMetrics bins each side on its own range.

SDMetrics is a development-only check (it pins pandas below 3 and pulls in scikit-learn and
plotly): this module runs in its own environment (``scripts/compare-sdmetrics``).
"""

from __future__ import annotations

import json
import statistics
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from dbsynth.api import clone
from dbsynth.report import build_report
from dbsynth.report.result import Report
from dbsynth.report.sdmetrics import table_name

from conftest import DATASET_INFO

sdmetrics_reports = pytest.importorskip("sdmetrics.reports")

WHOLE = 10**9  # sample bound above any table: frames hold every row
TOLERANCE = 0.02


def sdmetrics_properties(directory: Path) -> dict[str, float]:
    meta = json.loads((directory / "metadata.json").read_text())
    meta.pop("dbsynth_unexported_foreign_keys")
    real = {t: pd.read_parquet(directory / "real" / f"{t}.parquet") for t in meta["tables"]}
    synthetic = {t: pd.read_parquet(directory / "synthetic" / f"{t}.parquet") for t in meta["tables"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = sdmetrics_reports.multi_table.QualityReport()
        report.generate(real, synthetic, meta, verbose=False)
    frame = report.get_properties()
    return dict(zip(frame["Property"], frame["Score"], strict=True))


def dbsynth_properties(report: Report, directory: Path) -> dict[str, float | None]:
    """The report's properties over the relationships the metadata exports."""
    meta = json.loads((directory / "metadata.json").read_text())
    exported = {
        (r["child_table_name"], r["child_foreign_key"], r["parent_table_name"]) for r in meta["relationships"]
    }

    def is_exported(child: str, columns: tuple[str, ...], parent: str) -> bool:
        return len(columns) == 1 and (table_name(child), columns[0], table_name(parent)) in exported

    f = report.fidelity
    cards = [
        c.score for c in f.cardinalities if c.score is not None and is_exported(c.child, c.columns, c.parent)
    ]
    pairs = [
        p.score
        for i in f.inter_table
        if i.hops == 1 and is_exported(i.path[0], i.via, i.path[1])
        for p in i.pairs
        if p.contributes and p.score is not None
    ]
    return {
        "Column Shapes": f.column_shapes,
        "Column Pair Trends": f.column_pair_trends,
        "Cardinality": statistics.fmean(cards) if cards else None,
        "Intertable Trends": statistics.fmean(pairs) if pairs else None,
    }


@pytest.mark.parametrize("dataset", list(DATASET_INFO))
def test_report_agrees_with_sdmetrics_on_its_export(
    dataset: str,
    dataset_url: Callable[[str], str],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    kind = DATASET_INFO[dataset][0]
    target = request.getfixturevalue("fresh_pg" if kind == "postgresql" else "fresh_mysql")
    source = dataset_url(dataset)
    clone(source, target, create_schema=True, seed=11)
    report = build_report(source, target, sample_rows=WHOLE, sdmetrics_dir=tmp_path)

    theirs = sdmetrics_properties(tmp_path)
    ours = dbsynth_properties(report, tmp_path)
    print(dataset, {k: (None if v is None else round(v, 4), round(theirs[k], 4)) for k, v in ours.items()})
    for name, value in ours.items():
        if value is None:  # nothing of that kind (no exported FK): SDMetrics says NaN
            assert pd.isna(theirs[name]), name
            continue
        assert abs(value - theirs[name]) <= TOLERANCE, (name, value, theirs[name])
