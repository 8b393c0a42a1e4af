"""The SDV and SDMetrics half of ``fidelity_bench.py``; runs in the bench environment.

    .venv-bench/bin/python benchmarks/fidelity_sdv.py WORKDIR [--seed N]

Not meant to be run by hand: ``fidelity_bench.py`` prepares WORKDIR and reads back what this
writes. WORKDIR holds ``catalog.json`` (the subset's tables, primary keys and foreign keys as
the database's catalog declares them), ``real/<table>.parquet`` (the source tables) and
``dbsynth/<table>.parquet`` (dbsynth's output read back). This script

1. builds the SDV metadata: ``Metadata.detect_from_dataframes`` on the source frames with key
   inference off (SDV's own column sdtypes), then the primary keys and relationships of the
   catalog (a key column SDV did not detect as an ``id`` is made one: SDV requires it). A
   composite primary key cannot be expressed in SDV metadata and is left out (the table gets
   none); so is a foreign key of several columns or one not pointing at its parent's primary
   key (none in the benchmark's subsets), and the foreign keys ``catalog.json`` lists as
   ``unmodelled`` (the open-source HMASynthesizer refuses schemas more than two tables deep);
2. fits ``HMASynthesizer`` on the source frames and samples scale 1 (every table as many rows
   as its source), timing both; writes ``sdv/<table>.parquet``;
3. scores dbsynth's and SDV's output with SDMetrics' ``QualityReport`` (the unified one, as
   ``tests/test_report_sdmetrics.py`` uses) against the same source frames and the same
   metadata, and writes ``sdv.json``: metadata, timings, properties and every property's
   details for both tools.

SDMetrics 0.32 needs pandas < 3, hence its own environment (``scripts/bench-env``).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PROPERTIES = ("Column Shapes", "Column Pair Trends", "Cardinality", "Intertable Trends")
KEY_SDTYPES = {"id"}  # sdtypes SDV accepts for keys that this script does not change


def read_frames(folder: Path, tables: list[str]) -> dict[str, pd.DataFrame]:
    """Parquet written by pandas 3 reads back with string extension dtypes; SDV and
    SDMetrics expect plain object columns with NaN for missing values."""
    frames = {}
    for name in tables:
        df = pd.read_parquet(folder / f"{name}.parquet")
        for column in df.columns:
            if isinstance(df[column].dtype, pd.StringDtype) or df[column].dtype == object:
                df[column] = df[column].astype(object).where(df[column].notna(), np.nan)
        frames[name] = df
    return frames


def build_metadata(catalog: dict[str, Any], real: dict[str, pd.DataFrame]) -> tuple[Any, list[str]]:
    from sdv.metadata import Metadata

    notes: list[str] = []
    metadata = Metadata.detect_from_dataframes(real, infer_keys=None)
    tables = {t["name"]: t for t in catalog["tables"]}

    def make_id(table: str, column: str) -> None:
        sdtype = metadata.tables[table].columns[column]["sdtype"]
        if sdtype not in KEY_SDTYPES:
            metadata.update_column(column, table_name=table, sdtype="id")
            notes.append(f"{table}.{column}: SDV detected {sdtype}, made id (a key)")

    for name, table in tables.items():
        pk = table["primary_key"]
        if len(pk) == 1:
            make_id(name, pk[0])
            metadata.set_primary_key(pk[0], table_name=name)
        elif pk:
            notes.append(
                f"{name}: composite primary key ({', '.join(pk)}) left out (SDV keys are one column)"
            )
    unmodelled = set(catalog.get("unmodelled", ()))
    for name, table in tables.items():
        for fk in table["foreign_keys"]:
            parent = tables[fk["ref_table"]]
            if f"{name}.{fk['columns'][0]}" in unmodelled and len(fk["columns"]) == 1:
                notes.append(
                    f"{name}.{fk['columns'][0]} -> {fk['ref_table']}: left out (HMASynthesizer takes "
                    f"at most two tables deep); column kept as SDV detected it "
                    f"({metadata.tables[name].columns[fk['columns'][0]]['sdtype']})"
                )
                continue
            if len(fk["columns"]) != 1 or fk["ref_columns"] != parent["primary_key"]:
                notes.append(
                    f"{name}({', '.join(fk['columns'])}) -> {fk['ref_table']}: not expressible, left out"
                )
                continue
            make_id(name, fk["columns"][0])
            metadata.add_relationship(
                parent_table_name=fk["ref_table"],
                child_table_name=name,
                parent_primary_key=fk["ref_columns"][0],
                child_foreign_key=fk["columns"][0],
            )
    metadata.validate()
    metadata.validate_data(real)
    return metadata, notes


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def run_sdv(
    metadata: Any, real: dict[str, pd.DataFrame], seed: int
) -> tuple[dict[str, pd.DataFrame], float, float]:
    from sdv.multi_table import HMASynthesizer

    seed_everything(seed)
    synthesizer = HMASynthesizer(metadata, verbose=False)
    start = time.perf_counter()
    synthesizer.fit(real)
    fitted = time.perf_counter()
    children = {r["child_table_name"] for r in metadata.to_dict()["relationships"]}
    root = next(t for t in real if t not in children)
    # scale = num_rows / rows of main_table_name in the fitted data: exactly 1.0 here
    sampled = synthesizer.sample(num_rows=len(real[root]), main_table_name=root)
    done = time.perf_counter()
    return sampled, fitted - start, done - fitted


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = df.astype(object).where(df.notna(), None).to_dict(orient="records")
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in out]


def score(real: dict[str, pd.DataFrame], synth: dict[str, pd.DataFrame], metadata: dict[str, Any]) -> dict:
    from sdmetrics.reports import QualityReport

    report = QualityReport()
    report.generate(real, synth, metadata, verbose=False)
    props = report.get_properties()
    scores = dict(zip(props["Property"], (float(s) for s in props["Score"]), strict=True))
    return {
        "overall": float(report.get_score()),
        "properties": scores,
        "details": {p: records(report.get_details(p)) for p in PROPERTIES},
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # SDV and SDMetrics are chatty (FutureWarning, small samples)

    work: Path = args.workdir
    catalog = json.loads((work / "catalog.json").read_text())
    tables = [t["name"] for t in catalog["tables"]]
    real = read_frames(work / "real", tables)
    dbsynth_out = read_frames(work / "dbsynth", tables)

    metadata, notes = build_metadata(catalog, real)
    meta_dict = metadata.to_dict()
    versions = {p: importlib.metadata.version(p) for p in ("sdv", "sdmetrics", "rdt", "pandas")}
    result: dict[str, Any] = {"metadata": meta_dict, "notes": notes, "versions": versions}
    try:
        sampled, fit_s, sample_s = run_sdv(metadata, real, args.seed)
    except Exception as exc:  # reported in the table, not a crash of the whole benchmark
        result["sdv_error"] = f"{type(exc).__name__}: {exc}"
        sampled = None
    else:
        result["sdv_fit_seconds"] = fit_s
        result["sdv_sample_seconds"] = sample_s
        (work / "sdv").mkdir(exist_ok=True)
        for name, df in sampled.items():
            df.to_parquet(work / "sdv" / f"{name}.parquet", index=False)
    result["scores"] = {"dbsynth": score(real, dbsynth_out, meta_dict)}
    if sampled is not None:
        result["scores"]["sdv"] = score(real, {t: sampled[t] for t in tables}, meta_dict)
    (work / "sdv.json").write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
