"""What the report scored, written out so that anyone can re-score it with SDMetrics.

``dbsynth report --sdmetrics DIR`` writes ``DIR/metadata.json`` (SDMetrics/SDV multi-table
metadata: tables, primary keys, relationships, sdtypes, personal-data columns marked
``"pii": true``) and the frames the report compared, ``DIR/real/<table>.parquet`` and
``DIR/synthetic/<table>.parquet``, in their comparable form (dates and times as numbers on their
epoch, labels as text: see :mod:`dbsynth.report.columns`). Then::

    from sdmetrics.reports.multi_table import QualityReport
    report = QualityReport()
    report.generate(real, synthetic, metadata)

gives the report's four properties (the suite checks they agree within 0.02 on every sample
database). Table names lose their dots (``public.album`` → ``public__album``): SDMetrics joins
names with dots internally. Dates, times and intervals are ``numerical`` because the frames hold
them as numbers, which is also how dbsynth scores them.

SDMetrics relationships have one column, point at the parent's primary key and never at the
child's own table; the other foreign keys (composite, self-references, references to a unique
key) are listed under ``"dbsynth_unexported_foreign_keys"`` so that nothing is dropped silently.
The cardinality dbsynth reports over all foreign keys can therefore differ from SDMetrics' over
the exported ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from dbsynth.columns.pii import PiiKind
from dbsynth.report.columns import ColumnInfo
from dbsynth.schema import ForeignKey, Schema, Table

#: dbsynth column kinds → SDMetrics sdtypes (personal data: see PII_SDTYPES).
SDTYPES = {
    "id": "id",
    "numerical": "numerical",
    "datetime": "numerical",  # the frames hold datetimes as numbers of their epoch
    "boolean": "boolean",
    "categorical": "categorical",
    "text": "text",
    "other": "unknown",
}

#: Personal-data kinds → the SDV sdtype (a Faker provider name) that says the same.
PII_SDTYPES = {
    PiiKind.FIRST_NAME: "first_name",
    PiiKind.LAST_NAME: "last_name",
    PiiKind.FULL_NAME: "name",
    PiiKind.EMAIL: "email",
    PiiKind.PHONE: "phone_number",
    PiiKind.STREET_ADDRESS: "street_address",
    PiiKind.CITY: "city",
    PiiKind.STATE: "administrative_unit",
    PiiKind.POSTCODE: "postcode",
    PiiKind.COUNTRY: "country",
    PiiKind.IBAN: "iban",
    PiiKind.CREDIT_CARD: "credit_card_number",
    PiiKind.IP_ADDRESS: "ipv4_address",
    PiiKind.USERNAME: "user_name",
    PiiKind.COMPANY: "company",
    PiiKind.URL: "url",
    PiiKind.FREE_TEXT: "text",
    PiiKind.DATE_OF_BIRTH: "date_of_birth",
    PiiKind.PASSWORD_HASH: "password",
}


def table_name(key: str) -> str:
    return key.replace(".", "__")


def _column(info: ColumnInfo) -> dict[str, Any]:
    if info.kind == "pii":
        return {"sdtype": PII_SDTYPES.get(info.pii, "unknown") if info.pii else "unknown", "pii": True}
    return {"sdtype": SDTYPES[info.kind]}


def exportable(table: Table, fk: ForeignKey, schema: Schema) -> bool:
    """Whether SDMetrics can express ``fk``: one column, to another table's one-column PK."""
    if len(fk.columns) != 1 or fk.ref_table == table.key or not schema.has_table(fk.ref_table):
        return False
    parent = schema.table(fk.ref_table)
    return parent.primary_key is not None and parent.primary_key.columns == fk.ref_columns


def metadata(schema: Schema, infos: Mapping[str, Mapping[str, ColumnInfo]]) -> dict[str, Any]:
    """SDMetrics multi-table metadata for the tables of ``schema`` that ``infos`` describes."""
    tables: dict[str, Any] = {}
    relationships: list[dict[str, str]] = []
    unexported: list[str] = []
    for table in schema.tables:
        if table.key not in infos:
            continue
        meta: dict[str, Any] = {"columns": {c: _column(i) for c, i in infos[table.key].items()}}
        pk = table.primary_key
        if pk is not None and len(pk.columns) == 1 and pk.columns[0] in meta["columns"]:
            meta["primary_key"] = pk.columns[0]
        tables[table_name(table.key)] = meta
        for fk in table.foreign_keys:
            if fk.ref_table not in infos:
                continue
            if exportable(table, fk, schema):
                relationships.append(
                    {
                        "parent_table_name": table_name(fk.ref_table),
                        "parent_primary_key": fk.ref_columns[0],
                        "child_table_name": table_name(table.key),
                        "child_foreign_key": fk.columns[0],
                    }
                )
            else:
                unexported.append(f"{table.key}({', '.join(fk.columns)}) -> {fk.ref_table}")
    return {
        "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
        "tables": tables,
        "relationships": relationships,
        "dbsynth_unexported_foreign_keys": unexported,
    }


def sdmetrics_schema(schema: Schema) -> Schema:
    """``schema`` with only the foreign keys :func:`metadata` exports, to score dbsynth on the
    same relationships SDMetrics sees."""
    tables = tuple(
        replace(t, foreign_keys=tuple(fk for fk in t.foreign_keys if exportable(t, fk, schema)))
        for t in schema.tables
    )
    return replace(schema, tables=tables)


def write(
    directory: Path,
    meta: Mapping[str, Any],
    real: Mapping[str, pd.DataFrame],
    synthetic: Mapping[str, pd.DataFrame],
) -> list[Path]:
    """Write ``meta`` and both sides' frames (keyed by table key) under ``directory``."""
    written = []
    for side, frames in (("real", real), ("synthetic", synthetic)):
        (directory / side).mkdir(parents=True, exist_ok=True)
        for key, frame in frames.items():
            path = directory / side / f"{table_name(key)}.parquet"
            frame.reset_index(drop=True).to_parquet(path, index=False)
            written.append(path)
    path = directory / "metadata.json"
    path.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [path, *written]


__all__ = ["PII_SDTYPES", "SDTYPES", "exportable", "metadata", "sdmetrics_schema", "table_name", "write"]
