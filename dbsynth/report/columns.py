"""What each column *is* for the report, and its values in the two forms the metrics read.

A column's :class:`ColumnKind` is decided once, from the **source** schema and sample, and then
applied to both sides, so a target that generated a category as free text is still compared as
a category (and scores badly, as it should). The kinds mirror SDMetrics' sdtypes:

==============  =====================================================================  ==========
kind            which columns                                                          shape
==============  =====================================================================  ==========
``id``          one-column PKs, FK columns, identities, UUIDs                          not scored
``numerical``   integers, decimals, floats                                             1 − KS
``datetime``    dates, times, timestamps, intervals (as integers of their epoch)       1 − KS
``boolean``     booleans                                                               1 − TVD
``categorical`` enums, MySQL SETs, and text with few distinct values (see below)       1 − TVD
``pii``         text detected as personal data (:func:`dbsynth.columns.pii.detect_pii`)  not scored
``text``        other text: too many distinct values to be a category                  not scored
``other``       JSON, arrays, bytes, unknown types                                     not scored
==============  =====================================================================  ==========

Text is a category when the source sample has at most :data:`CATEGORY_MAX` distinct values and
they repeat: some value occurs twice, and there are at most half as many distinct values as
non-NULL rows or at most :data:`CATEGORY_ALWAYS` of them.

Personal data and free text are not scored because their synthetic values are *meant* to differ
from the source's (Faker names, length-matched text): a total variation distance there measures
the privacy, not the fidelity. Their null rates are
still compared, and the privacy part looks for leaked values.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dbsynth.columns.pii import PiiKind, detect_pii
from dbsynth.schema import Column, LogicalType, Table

ColumnKind = Literal["id", "numerical", "datetime", "boolean", "categorical", "pii", "text", "other"]

#: Kinds whose shape is scored, and the SDMetrics family each belongs to.
CONTINUOUS: frozenset[str] = frozenset({"numerical", "datetime"})
DISCRETE: frozenset[str] = frozenset({"boolean", "categorical"})
SCORED: frozenset[str] = CONTINUOUS | DISCRETE

CATEGORY_MAX = 100
CATEGORY_ALWAYS = 10

_NUMERIC = {LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT}
_TEMPORAL = {
    LogicalType.DATE,
    LogicalType.TIME,
    LogicalType.TIMESTAMP,
    LogicalType.TIMESTAMPTZ,
    LogicalType.INTERVAL,
}
_TEXT = {LogicalType.STRING, LogicalType.TEXT}


@dataclass(frozen=True)
class ColumnInfo:
    """How the report treats one column: its kind and, for ``pii``, the kind of personal data."""

    name: str
    kind: ColumnKind
    pii: PiiKind | None = None


def key_columns(table: Table) -> frozenset[str]:
    """Columns whose values are keys, not data: a one-column PK, every FK column, identities,
    UUIDs. A component of a composite PK that is none of these (a season in ``(year, team)``,
    a stint number) is a value with a uniqueness constraint on its tuple, and is scored."""
    pk = table.primary_key.columns if table.primary_key else ()
    keys: set[str] = set(pk) if len(pk) == 1 else set()
    for fk in table.foreign_keys:
        keys.update(fk.columns)
    for c in table.columns:
        if c.identity is not None or c.logical is LogicalType.UUID:
            keys.add(c.name)
    return frozenset(keys)


def classify_table(table: Table, frame: pd.DataFrame, min_count: int) -> dict[str, ColumnInfo]:
    """The :class:`ColumnInfo` of every column of ``table`` present in ``frame`` (the source
    sample). ``min_count`` is the privacy threshold the personal-data detector uses."""
    keys = key_columns(table)
    out: dict[str, ColumnInfo] = {}
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        out[column.name] = _classify(column, frame[column.name], table.key, keys, min_count)
    return out


def _classify(column: Column, values: pd.Series, table: str, keys: frozenset[str], k: int) -> ColumnInfo:
    if column.name in keys:
        return ColumnInfo(column.name, "id")
    logical = column.logical
    if logical in _NUMERIC:
        return ColumnInfo(column.name, "numerical")
    if logical in _TEMPORAL:
        match = detect_pii(column, values, table, min_count=k)
        if match is not None:
            return ColumnInfo(column.name, "pii", match.kind)
        return ColumnInfo(column.name, "datetime")
    if logical is LogicalType.BOOLEAN:
        return ColumnInfo(column.name, "boolean")
    if logical in (LogicalType.ENUM, LogicalType.SET):
        return ColumnInfo(column.name, "categorical")
    if logical in _TEXT:
        match = detect_pii(column, values, table, min_count=k)
        if match is not None:
            return ColumnInfo(column.name, "pii", match.kind)
        return ColumnInfo(column.name, "categorical" if _is_category(values) else "text")
    return ColumnInfo(column.name, "other")


def _is_category(values: pd.Series) -> bool:
    present = values.dropna()
    if present.empty:
        return True  # nothing to tell; an all-NULL column compares as a (NULL-only) category
    distinct = present.nunique()
    # Values that never repeat are labels (names, titles), not categories, however few.
    repeats = distinct < len(present)
    return (
        distinct <= CATEGORY_MAX and repeats and (distinct <= CATEGORY_ALWAYS or 2 * distinct <= len(present))
    )


# -- values -----------------------------------------------------------------------------------


def as_numbers(values: pd.Series) -> np.ndarray:
    """``values`` as float64 with NaN for NULL: numbers as they are, Decimals as floats, dates
    and timestamps as microseconds since the epoch (UTC for time-zone-aware ones), times and
    intervals as microseconds. Anything that is not a number becomes NaN."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert(None)
        dtype = values.dtype
    if pd.api.types.is_datetime64_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        unit = "datetime64[us]" if pd.api.types.is_datetime64_dtype(dtype) else "timedelta64[us]"
        raw = values.to_numpy().astype(unit)
        out = raw.view("int64").astype("float64")
        out[np.isnat(raw)] = np.nan
        return out
    if pd.api.types.is_bool_dtype(dtype):
        return values.astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    if pd.api.types.is_numeric_dtype(dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    if values.dropna().map(type).isin([pd.Timestamp]).any():  # objects holding timestamps
        return as_numbers(pd.to_datetime(values, errors="coerce", utc=True))
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def as_labels(values: pd.Series) -> pd.Series:
    """``values`` as comparable text labels (object dtype, ``None`` for NULL): booleans as
    ``true``/``false`` whatever the driver returned, MySQL SETs as comma-joined labels, numbers
    and Decimals in their shortest form (``12.50`` and ``12.5`` are one category).

    Typed columns are converted column-wise (a sample has 10⁵ rows per column); only object
    columns (Decimals, tuples, mixed values) go value by value."""
    dtype = values.dtype
    present = values.notna().to_numpy()
    out = np.full(len(values), None, dtype=object)
    if isinstance(dtype, pd.StringDtype):
        out[present] = values[present].to_numpy(dtype=object)
    elif pd.api.types.is_bool_dtype(dtype):
        out[present] = np.where(values[present].to_numpy(dtype=bool), "true", "false")
    elif pd.api.types.is_integer_dtype(dtype):
        out[present] = values[present].to_numpy(dtype="int64").astype(str)
    elif pd.api.types.is_float_dtype(dtype):
        numbers = values[present].to_numpy(dtype="float64")
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < 2**62)
        text = numbers.astype(str).astype(object)
        text[whole] = numbers[whole].astype("int64").astype(str)
        out[present] = text
    else:
        out[present] = [_label(v) for v in values[present].tolist()]
    return pd.Series(out, index=values.index, dtype=object)


def _label(v: object) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, tuple | list | frozenset | set):
        return ",".join(str(x) for x in v)
    if isinstance(v, float | np.floating | decimal.Decimal):
        f = float(v)
        return str(int(f)) if f.is_integer() else repr(f)
    return str(v)


def comparable(values: pd.Series, kind: ColumnKind) -> pd.Series:
    """The form the metrics compare for ``kind``: floats for continuous kinds, labels else."""
    if kind in CONTINUOUS:
        return pd.Series(as_numbers(values), index=values.index, dtype="float64")
    return as_labels(values)


def comparable_frame(frame: pd.DataFrame, infos: Mapping[str, ColumnInfo]) -> pd.DataFrame:
    """Every column of ``infos`` that ``frame`` holds, in its comparable form."""
    return pd.DataFrame(
        {name: comparable(frame[name], info.kind) for name, info in infos.items() if name in frame.columns},
        index=frame.index,
    )


__all__ = [
    "CATEGORY_ALWAYS",
    "CATEGORY_MAX",
    "CONTINUOUS",
    "DISCRETE",
    "SCORED",
    "ColumnInfo",
    "ColumnKind",
    "as_labels",
    "as_numbers",
    "classify_table",
    "comparable",
    "comparable_frame",
    "key_columns",
]
