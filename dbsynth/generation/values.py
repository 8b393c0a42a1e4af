"""Generated values into the batch contract, and the orderings that must hold between them.

``coerce_column`` turns whatever a column model returned (numpy arrays, Series, lists of
``datetime.date``) into the value types of the writer contract (``dbsynth.writing.base``) and
applies the NULL mask, so every writer sees one representation per logical type. It is also the
last line of defence for the type itself: strings are cut to the declared length, integers are
rounded, decimals rounded to their scale.

Orderings (``shipped_at >= created_at``, an order after its customer's signup) are restored by
*reflection*: a violating value ``v`` below its bound ``b`` becomes ``b + (b - v)``, which keeps
the distance distribution of the violation instead of piling values onto the bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from dbsynth.errors import GenerationError
from dbsynth.model import Ordering
from dbsynth.schema import Column, LogicalType

_INTEGER_LIKE = (LogicalType.INTEGER,)
_FLOATS = (LogicalType.DECIMAL, LogicalType.FLOAT)
_STRINGS = (LogicalType.STRING, LogicalType.TEXT, LogicalType.ENUM, LogicalType.UUID, LogicalType.OTHER)


def coerce_column(col: Column, values: object, nulls: np.ndarray | None) -> pd.Series:
    """``values`` as a Series of the contract type for ``col.logical``, NULL where ``nulls``."""
    if isinstance(values, pd.Series):
        series = values
    else:
        array = _as_array(values)
        # dtype=object keeps Python objects as they are (pandas would turn str subclasses such
        # as a geometry's Wkt into plain str).
        series = pd.Series(array, dtype=object) if array.dtype == object else pd.Series(array)
    series = series.reset_index(drop=True)
    missing = series.isna().to_numpy(dtype=bool)
    if nulls is not None:
        missing = missing | np.asarray(nulls, dtype=bool)
    kind = col.logical
    if kind in _INTEGER_LIKE:
        numbers = pd.to_numeric(series.where(~missing), errors="coerce").round()
        _check_int64(col, numbers)
        out: pd.Series = numbers.astype("Int64") if missing.any() else numbers.astype(np.int64)
        return out
    if kind in _FLOATS:
        numbers = pd.to_numeric(series.where(~missing), errors="coerce").astype(np.float64)
        if kind == LogicalType.DECIMAL and col.scale is not None:
            numbers = numbers.round(col.scale)
        return numbers
    if kind == LogicalType.BOOLEAN:
        flags = series.astype(object).where(~missing)
        return flags.astype("boolean") if missing.any() else flags.astype(bool)
    if kind in _STRINGS:
        text = series.astype(object).where(~missing, None)
        if col.length and kind in (LogicalType.STRING, LogicalType.OTHER):
            text = text.map(lambda v: v[: col.length] if isinstance(v, str) else v)
        return text
    if kind == LogicalType.DATE:
        days = _datetimes(series, missing).dt.floor("D")
        return days
    if kind == LogicalType.TIMESTAMP:
        return _datetimes(series, missing)
    if kind == LogicalType.TIMESTAMPTZ:
        stamps = _datetimes(series, missing, utc=True)
        return stamps
    if kind in (LogicalType.TIME, LogicalType.INTERVAL):
        return _timedeltas(series, missing)
    out = series.astype(object)
    out[missing] = None
    return out


def _check_int64(col: Column, numbers: pd.Series) -> None:
    """A number no 64-bit integer holds (an ``expression`` giving 1e20 or infinity) is an error
    naming the column, not a pandas cast error or a wrapped-around value."""
    if numbers.dtype.kind != "f":
        return
    values = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(values) & ~((values >= -(2.0**63)) & (values < 2.0**63))
    if bad.any():
        raise GenerationError(
            f"column {col.name} ({col.sql_type}): a generated value, {values[bad][0]:g}, is outside "
            "the range of a 64-bit integer"
        )


def _as_array(values: object) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    items = list(cast(Iterable[Any], values))
    arr = np.empty(len(items), dtype=np.object_)
    arr[:] = items
    return arr


def _datetimes(series: pd.Series, missing: np.ndarray, utc: bool = False) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        out = series
    else:
        objs = series.to_numpy(dtype=object)
        # datetime64[us] holds years 1..9999, which pandas' default nanoseconds cannot.
        arr = np.array([_to_datetime64(v) for v in objs], dtype="datetime64[us]")
        out = pd.Series(arr)
    if utc:
        out = out.dt.tz_localize("UTC") if getattr(out.dt, "tz", None) is None else out.dt.tz_convert("UTC")
    elif getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_convert(None)
    out = out.astype("datetime64[us, UTC]" if utc else "datetime64[us]")
    return out.where(~missing, pd.NaT)


def _to_datetime64(value: object) -> np.datetime64:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return np.datetime64("NaT", "us")
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return np.datetime64(value, "us")
    if isinstance(value, dt.date):
        return np.datetime64(value, "us")
    return np.datetime64(pd.Timestamp(value).to_datetime64(), "us")  # type: ignore[arg-type]


def _timedeltas(series: pd.Series, missing: np.ndarray) -> pd.Series:
    if pd.api.types.is_timedelta64_dtype(series):
        out = series.astype("timedelta64[us]")
    else:
        objs = series.to_numpy(dtype=object)
        micros = np.array([_micros(v) for v in objs], dtype=np.int64)
        out = pd.Series(micros.astype("timedelta64[us]"))
    return out.where(~missing, pd.NaT)


def _micros(value: object) -> int:
    if isinstance(value, dt.time):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    if isinstance(value, dt.timedelta):
        return int(value / dt.timedelta(microseconds=1))
    if value is None or value is pd.NaT:
        return 0
    return int(pd.Timedelta(value) / pd.Timedelta(microseconds=1))  # type: ignore[arg-type]


# -- orderings -----------------------------------------------------------------------------------


def micros(stamps: np.ndarray) -> np.ndarray:
    """datetime64 values as float microseconds, NaT as NaN (NaT's int64 is a huge negative)."""
    arr = stamps.astype("datetime64[us]")
    out = arr.astype(np.int64).astype(np.float64)
    out[np.isnat(arr)] = np.nan
    return out


def _numeric_view(series: pd.Series) -> tuple[np.ndarray, str]:
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series.dt.tz_convert(None) if getattr(series.dt, "tz", None) is not None else series
        return micros(s.to_numpy(dtype="datetime64[us]")), "datetime"
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64), "number"


def _write_back(frame: pd.DataFrame, name: str, values: np.ndarray, rows: np.ndarray, kind: str) -> None:
    col = frame[name]
    if kind == "datetime":
        fixed = values[rows].astype(np.int64).astype("datetime64[us]")
        if getattr(col.dt, "tz", None) is not None:
            frame.loc[frame.index[rows], name] = pd.to_datetime(fixed).tz_localize("UTC")
        else:
            frame.loc[frame.index[rows], name] = fixed
        if getattr(col.dt, "tz", None) is None and str(col.dtype) == "datetime64[us]":
            frame[name] = frame[name].astype("datetime64[us]")
        return
    new = values[rows]
    if pd.api.types.is_integer_dtype(col):
        new = np.round(new)
    if pd.api.types.is_object_dtype(col):
        frame.loc[frame.index[rows], name] = new
        return
    # pd.array, not ndarray.astype: a column with NULLs has a pandas dtype (Int64, boolean),
    # which numpy cannot interpret.
    frame.loc[frame.index[rows], name] = pd.array(new, dtype=col.dtype)


def enforce_orderings(frame: pd.DataFrame, orderings: Sequence[Ordering]) -> None:
    """Make every ``left op right`` of one row hold, in place (two passes settle chains)."""
    for _ in range(2):
        for o in orderings:
            if o.left not in frame.columns or o.right not in frame.columns:
                continue
            left, kind = _numeric_view(frame[o.left])
            right, _ = _numeric_view(frame[o.right])
            _reflect(frame, o.left, left, right, kind, strict=o.op == ">")


def reflect_after(
    frame: pd.DataFrame, column: str, parent: np.ndarray, pidx: np.ndarray, strict: bool
) -> None:
    """Make ``frame[column] >= parent[pidx]`` (child after parent) where both exist, in place."""
    if column not in frame.columns or len(parent) == 0:
        return
    left, kind = _numeric_view(frame[column])
    p = micros(parent) if parent.dtype.kind == "M" else parent.astype(np.float64)
    bound = np.full(len(left), np.nan)
    ok = pidx >= 0
    bound[ok] = p[pidx[ok]]
    _reflect(frame, column, left, bound, kind, strict)


def _reflect(
    frame: pd.DataFrame, name: str, left: np.ndarray, bound: np.ndarray, kind: str, strict: bool
) -> None:
    with np.errstate(invalid="ignore"):
        bad = (left < bound) if not strict else (left <= bound)
    bad &= ~np.isnan(left) & ~np.isnan(bound)
    if not bad.any():
        return
    fixed = left.copy()
    fixed[bad] = bound[bad] + (bound[bad] - left[bad])
    # Never past the largest value generated for the column (the model's range, hence the
    # type's: MySQL TIMESTAMP ends in 2038), unless the bound itself is already beyond it.
    cap = np.nanmax(left)
    fixed[bad] = np.minimum(fixed[bad], np.maximum(cap, bound[bad]))
    if strict:
        step = 1.0 if kind == "datetime" or pd.api.types.is_integer_dtype(frame[name]) else 1e-6
        fixed[bad] = np.maximum(fixed[bad], bound[bad] + step)
    _write_back(frame, name, fixed, np.flatnonzero(bad), kind)
