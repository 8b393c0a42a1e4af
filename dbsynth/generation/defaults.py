"""What a NOT NULL column gets when there is nothing to model (an empty source table, a column
NULL in every sampled row), and the columns no value can be generated for.

The value is always one of the column's type, on every target: ``{}`` for JSON (an object, not
``''``), ``[]`` for an array, a fresh UUID per row, ``0.0.0.0`` for ``inet``, ``empty`` for a range,
``(0,0)`` for a point (well-known text for a MySQL geometry) — :func:`dbsynth.columns.sqltypes.type_literal`
for the types with a syntax of their own. A NOT NULL column of a type dbsynth knows no value of
is refused before its table's first row, with the config key that fixes it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import numpy as np

from dbsynth.columns.simple import ConstantModel
from dbsynth.columns.sqltypes import base_type, type_literal
from dbsynth.errors import GenerationError
from dbsynth.model import TableModel
from dbsynth.schema import Column, LogicalType, Table

_DEFAULTS: dict[LogicalType, object] = {
    LogicalType.INTEGER: 0,
    LogicalType.DECIMAL: 0.0,
    LogicalType.FLOAT: 0.0,
    LogicalType.BOOLEAN: False,
    LogicalType.STRING: "",
    LogicalType.TEXT: "",
    LogicalType.DATE: dt.date(1970, 1, 1),
    LogicalType.TIME: dt.time(0),
    LogicalType.TIMESTAMP: np.datetime64("1970-01-01T00:00:00", "us"),
    LogicalType.TIMESTAMPTZ: dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
    LogicalType.INTERVAL: dt.timedelta(0),
    LogicalType.BYTES: b"",
    LogicalType.SET: "",  # the empty set
}


def type_default(col: Column, n: int, dialect: str, rng: np.random.Generator) -> np.ndarray:
    """``n`` valid values of ``col``'s type (module docstring); :func:`ungeneratable` has
    refused the columns that have none."""
    out = np.empty(n, dtype=object)
    literal = type_literal(col, dialect)
    if literal is not None:
        out[:] = [literal] * n
    elif col.logical is LogicalType.JSON:
        out[:] = [{} for _ in range(n)]  # one object per row: rows must not share a dict
    elif col.logical is LogicalType.ARRAY:
        out[:] = [[] for _ in range(n)]
    elif col.logical is LogicalType.UUID:
        raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
        out[:] = [str(uuid.UUID(bytes=bytes(r), version=4)) for r in raw]
    elif col.logical is LogicalType.ENUM:
        out[:] = [(col.enum_labels or ("",))[0]] * n
    else:
        out[:] = [_DEFAULTS.get(col.logical)] * n
    return out


def ungeneratable(table: Table, tm: TableModel, dialect: str) -> str | None:
    """Why a NOT NULL column of ``table`` cannot be generated (one line naming the column and
    the config key that fixes it), or None when every column can."""
    for cf in tm.columns:
        col = table.column(cf.name)
        if col.nullable or col.generated is not None or cf.role not in ("value", "unmodelled"):
            continue
        model = cf.column_model
        if cf.role == "unmodelled":
            stuck = col.logical is LogicalType.OTHER and type_literal(col, dialect) is None
        else:
            stuck = isinstance(model, ConstantModel) and model.value is None
        if stuck:
            return (
                f"column {table.key}.{col.name} is NOT NULL and dbsynth cannot generate "
                f"{base_type(col.sql_type)} values; set them in the config: tables: {table.key}: "
                f"columns: {col.name}: {{generator: constant, value: ...}}"
            )
    return None


def check_generatable(table: Table, tm: TableModel, dialect: str) -> None:
    """Raise :class:`GenerationError` with :func:`ungeneratable`'s reason, if any."""
    reason = ungeneratable(table, tm, dialect)
    if reason is not None:
        raise GenerationError(reason)
