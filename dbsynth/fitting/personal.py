"""The personal values of the whole sample, which no category of any column may keep.

A category keeps a value seen at least ``min_count`` times. That rule looks at one column, and a
value can repeat in one column while being personal data in another: an order's ship name is
its customer's company name, and a one-person business is named after its contact
(``'Antonio Moreno Taquería'`` for the contact ``'Antonio Moreno'``); a composer ``'Harris'``
is also a customer's last name. Before any column is fitted, the values of every column that is
personal data (detected, or set in the config's ``pii``) other than an area or an organisation
(those are categories by nature: :data:`dbsynth.columns.pii.QUASI_KINDS`) are collected here;
categories then pool a value that equals one of them or holds one inside
(:func:`dbsynth.columns.categorical.withheld`).
"""

from __future__ import annotations

import pandas as pd

from dbsynth.columns.pii import QUASI_KINDS, TEXT_TYPES, PiiKind, detect_pii
from dbsynth.columns.text_sample import normal_text
from dbsynth.config import BoundConfig
from dbsynth.fitting.choose import key_columns
from dbsynth.sampling.sampler import Sample
from dbsynth.schema import Column, Schema, Table


def personal_values(
    schema: Schema, sample: Sample, min_count: int, config: BoundConfig | None = None
) -> frozenset[str]:
    """Every value of a personal-data text column of ``sample`` (case-folded, single-spaced)."""
    out: set[str] = set()
    for table in schema.tables:
        frame = sample.frames.get(table.key)
        if frame is None or frame.empty:
            continue
        keys = key_columns(table, schema)
        fk_columns = {c for fk in table.foreign_keys for c in fk.columns}
        for col in table.columns:
            if col.logical not in TEXT_TYPES or col.name in fk_columns or col.name not in frame:
                continue
            values = frame[col.name].dropna()
            if values.empty or not _personal(col, table, values, min_count, col.name in keys, config):
                continue
            out.update(normal_text(str(v)) for v in values.unique())
    out.discard("")
    return frozenset(out)


def _personal(
    col: Column, table: Table, values: pd.Series, min_count: int, key: bool, config: BoundConfig | None
) -> bool:
    override = config.column(table.key, col.name) if config is not None else None
    if override is not None and override.pii is not None:
        return override.pii is True or (isinstance(override.pii, PiiKind) and override.pii not in QUASI_KINDS)
    match = detect_pii(col, values.reset_index(drop=True), table.key, min_count, key=key)
    return match is not None and match.kind not in QUASI_KINDS
