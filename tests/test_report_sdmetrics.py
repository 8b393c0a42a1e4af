"""dbsynth's four fidelity properties agree with SDMetrics' QualityReport on the same frames.

SDMetrics is a development-only check (it pins pandas below 3 and pulls in scikit-learn and
plotly), so this module is skipped when it is not importable. Both sides get the same frames:
a shared dataset and its dbsynth clone, read whole, with dbsynth's column kinds turned into
SDMetrics metadata, so what is compared is the formulas and their aggregation, not the guessing
of column types. Tolerance: 0.02 per property (the only intended difference is that dbsynth
bins a continuous column on the source's edges in mixed pairs; SDMetrics bins each side on its
own range).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest

from dbsynth.api import clone
from dbsynth.introspection import introspect
from dbsynth.report import fidelity_of_frames
from dbsynth.report.columns import ColumnInfo, comparable_frame
from dbsynth.sampling.sampler import sample_database
from dbsynth.schema import Schema

sdmetrics_reports = pytest.importorskip("sdmetrics.reports")

WHOLE = 10**9  # sample bound above any table: frames hold every row
SDTYPES = {
    "numerical": "numerical",
    "datetime": "numerical",
    "boolean": "boolean",
    "categorical": "categorical",
}


def _name(key: str) -> str:
    return key.replace(".", "__")


def sdmetrics_inputs(
    schema: Schema,
    infos: dict[str, dict[str, ColumnInfo]],
    source: dict[str, pd.DataFrame],
    target: dict[str, pd.DataFrame],
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame], dict[str, Any]]:
    """Frames in the comparable form dbsynth scores (dates as numbers, labels as text) and
    SDMetrics metadata with the same kinds; unscored columns become ``id`` (ignored). Table
    names lose their dots (``public.album`` → ``public__album``): SDMetrics joins names with
    dots internally."""
    tables: dict[str, Any] = {}
    real: dict[str, pd.DataFrame] = {}
    synth: dict[str, pd.DataFrame] = {}
    relationships = []
    for table in schema.tables:
        if table.key not in infos:
            continue
        kinds = infos[table.key]
        columns = {c: {"sdtype": SDTYPES.get(info.kind, "id")} for c, info in kinds.items()}
        meta: dict[str, Any] = {"columns": columns}
        if table.primary_key and len(table.primary_key.columns) == 1:
            meta["primary_key"] = table.primary_key.columns[0]
        tables[_name(table.key)] = meta
        real[_name(table.key)] = comparable_frame(source[table.key], kinds)
        synth[_name(table.key)] = comparable_frame(target[table.key], kinds)
        for fk in table.foreign_keys:
            if len(fk.columns) == 1 and fk.ref_table in infos:
                relationships.append(
                    {
                        "parent_table_name": _name(fk.ref_table),
                        "parent_primary_key": fk.ref_columns[0],
                        "child_table_name": _name(table.key),
                        "child_foreign_key": fk.columns[0],
                    }
                )
    return real, synth, {"tables": tables, "relationships": relationships}


def sdmetrics_fks(schema: Schema) -> Schema:
    """SDMetrics relationships have one column each and cannot join a table to itself (its
    merge renames the columns): keep only such FKs on dbsynth's side too."""
    tables = tuple(
        replace(
            t,
            foreign_keys=tuple(fk for fk in t.foreign_keys if len(fk.columns) == 1 and fk.ref_table != t.key),
        )
        for t in schema.tables
    )
    return replace(schema, tables=tables)


@pytest.mark.parametrize("dataset", ["chinook", "pagila"])
def test_properties_agree_with_sdmetrics(
    dataset: str, dataset_url: Callable[[str], str], fresh_pg: str
) -> None:
    source_url = dataset_url(dataset)
    clone(source_url, fresh_pg, create_schema=True, seed=11)
    schema = sdmetrics_fks(introspect(source_url))
    target_schema = introspect(fresh_pg)
    source = sample_database(source_url, schema, sample_rows=WHOLE).frames
    target = sample_database(fresh_pg, target_schema, sample_rows=WHOLE).frames
    assert all(len(target[k]) > 0 for k in source), "the clone wrote every table"

    fidelity, infos = fidelity_of_frames(schema, source, target)
    real, synth, metadata = sdmetrics_inputs(schema, infos, source, target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = sdmetrics_reports.QualityReport()
        report.generate(real, synth, metadata, verbose=False)
    theirs = dict(zip(*(report.get_properties()[c] for c in ("Property", "Score")), strict=True))
    ours = {
        "Column Shapes": fidelity.column_shapes,
        "Column Pair Trends": fidelity.column_pair_trends,
        "Cardinality": fidelity.cardinality,
        "Intertable Trends": fidelity.inter_table_trends,
    }
    print(dataset, {k: (round(v or 0, 4), round(theirs[k], 4)) for k, v in ours.items()})
    for name, value in ours.items():
        assert value is not None, name
        assert abs(value - theirs[name]) <= 0.02, (name, value, theirs[name])
