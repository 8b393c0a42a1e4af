"""The engine's values: kinds, vectors with a NULL mask, compiled nodes, and frame columns read in.

Invariants every module of the engine relies on:

* A :class:`Vec` holds ``values`` of its kind's numpy dtype and a boolean ``null`` mask of the
  same length; where ``null`` is True the value is the kind's filler (``FILL``), never None or
  NaN, so every operation runs on all rows and masks afterwards.
* Timestamps are naive ``datetime64[us]`` in UTC (``timestamptz`` is converted, and literals
  without a zone are read as UTC: the session time zone of a load), dates are timestamps at
  midnight, times and intervals ``timedelta64[us]``, decimals ``float64``.
* A row on which the database would raise an error (division by zero in PostgreSQL,
  ``'x'::integer``) is marked in ``Env.errors``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from dbsynth.schema import LogicalType


class Unsupported(Exception):
    """The expression uses something the engine cannot follow; ``str()`` is the reason, a noun
    phrase (``the function jsonb_typeof()``). ``node`` is the innermost sqlglot node being
    compiled when it was raised, so a front end can point at it."""

    def __init__(self, reason: str, node: exp.Expression | None = None) -> None:
        super().__init__(reason)
        self.node = node


class KindError(Unsupported):
    """An operand of a kind the operation does not take: ``need`` says what it takes
    (``needs a number``), or is None when the operands' kinds cannot meet (``coalesce(qty, 'x')``);
    ``got`` are the kinds at fault."""

    def __init__(self, reason: str, node: exp.Expression, need: str | None, got: Sequence[Kind]) -> None:
        super().__init__(reason, node)
        self.need = need
        self.got = tuple(got)

    def sentence(self, subject: str) -> str:
        """The error as a sentence about ``subject`` (``'-' needs numbers, got text and integer``)."""
        kinds = " and ".join(self.got)
        return f"{subject} mixes {kinds}" if self.need is None else f"{subject} {self.need}, got {kinds}"


class Kind(StrEnum):
    INT = "integer"
    NUM = "number"
    BOOL = "boolean"
    STR = "text"
    DATE = "date"
    DATETIME = "timestamp"
    TIME = "time"
    INTERVAL = "interval"
    JSON = "json"
    NULL = "null"  # the bare NULL literal: takes the kind of whatever it meets


DTYPE: dict[Kind, Any] = {
    Kind.INT: np.int64,
    Kind.NUM: np.float64,
    Kind.BOOL: np.bool_,
    Kind.STR: object,
    Kind.DATE: "datetime64[us]",
    Kind.DATETIME: "datetime64[us]",
    Kind.TIME: "timedelta64[us]",
    Kind.INTERVAL: "timedelta64[us]",
    Kind.JSON: object,
    Kind.NULL: np.bool_,
}
FILL: dict[Kind, Any] = {
    Kind.INT: 0,
    Kind.NUM: 0.0,
    Kind.BOOL: False,
    Kind.STR: "",
    Kind.DATE: np.datetime64(0, "us"),
    Kind.DATETIME: np.datetime64(0, "us"),
    Kind.TIME: np.timedelta64(0, "us"),
    Kind.INTERVAL: np.timedelta64(0, "us"),
    Kind.JSON: None,
    Kind.NULL: False,
}
NUMERIC = frozenset({Kind.INT, Kind.NUM})
TEMPORAL = frozenset({Kind.DATE, Kind.DATETIME})

# What a column of each logical type is evaluated as; absent types (bytes, arrays, MySQL SET)
# make an expression that reads them unsupported.
LOGICAL_KIND: dict[LogicalType, Kind] = {
    LogicalType.INTEGER: Kind.INT,
    LogicalType.DECIMAL: Kind.NUM,
    LogicalType.FLOAT: Kind.NUM,
    LogicalType.BOOLEAN: Kind.BOOL,
    LogicalType.STRING: Kind.STR,
    LogicalType.TEXT: Kind.STR,
    LogicalType.ENUM: Kind.STR,
    LogicalType.UUID: Kind.STR,
    LogicalType.OTHER: Kind.STR,
    LogicalType.DATE: Kind.DATE,
    LogicalType.TIMESTAMP: Kind.DATETIME,
    LogicalType.TIMESTAMPTZ: Kind.DATETIME,
    LogicalType.TIME: Kind.TIME,
    LogicalType.INTERVAL: Kind.INTERVAL,
    LogicalType.JSON: Kind.JSON,
}


@dataclass(frozen=True)
class Vec:
    kind: Kind
    values: np.ndarray
    null: np.ndarray


class Env:
    """One evaluation: the columns read, the row count, and the rows that raised an error."""

    def __init__(self, columns: Mapping[str, Vec], n: int) -> None:
        self.columns = columns
        self.n = n
        self.errors = np.zeros(n, dtype=bool)


@dataclass(frozen=True)
class Node:
    """A compiled expression: its kind, the columns it reads, and the closure computing it.

    ``months`` is set on a constant interval with a calendar part (``'1 year'::interval``), which
    timestamps add month-wise (Jan 31 + 1 month = Feb 28) rather than as 30 days. ``padded`` is
    set on a blank-padded ``char(n)`` column: ``fn`` gives its values without the trailing
    blanks (what comparisons and functions see), ``padded`` the values as stored (what pattern
    matching and ``octet_length`` see).
    """

    kind: Kind
    fn: Callable[[Env], Vec]
    columns: frozenset[str] = frozenset()
    months: int = 0
    padded: Callable[[Env], Vec] | None = None

    @property
    def constant(self) -> bool:
        return not self.columns

    def value(self) -> Any:
        """The value of a constant node as a Python/numpy scalar; None for NULL or an error."""
        env = Env({}, 1)
        v = self.fn(env)
        return None if v.null[0] or env.errors[0] else v.values[0]


def vec(kind: Kind, values: Any, null: np.ndarray) -> Vec:
    """A Vec with the filler written under ``null`` (the invariant every operation relies on)."""
    values = np.asarray(values, dtype=DTYPE[kind])
    if null.any():
        values = values.copy()
        values[null] = FILL[kind]
    return Vec(kind, values, null)


def full(kind: Kind, n: int, value: Any) -> Vec:
    if value is None:
        return Vec(kind, np.full(n, FILL[kind], dtype=DTYPE[kind]), np.ones(n, dtype=bool))
    return Vec(kind, np.full(n, value, dtype=DTYPE[kind]), np.zeros(n, dtype=bool))


# -- reading a frame's column ------------------------------------------------------------------


def to_utc_naive(v: Any) -> np.datetime64:
    if isinstance(v, str):
        v = pd.Timestamp(v)
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, datetime):
        if v.tzinfo is not None:
            v = v.astimezone(UTC).replace(tzinfo=None)
        return np.datetime64(v, "us")
    if isinstance(v, date):
        return np.datetime64(v, "D").astype("datetime64[us]")
    return np.datetime64(v, "us")


def to_timedelta(v: Any) -> np.timedelta64:
    if isinstance(v, time):
        return np.timedelta64(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond, "us")
    if isinstance(v, str):
        v = pd.Timedelta(v)
    if isinstance(v, pd.Timedelta):
        v = v.to_timedelta64()
    return (
        np.timedelta64(v, "us") if isinstance(v, timedelta) else np.timedelta64(v).astype("timedelta64[us]")
    )


def column_vec(series: pd.Series, kind: Kind) -> Vec:
    """A frame column as a Vec of ``kind``: the generator's dtypes (see ``dbsynth.writing.base``)
    and what drivers return (Decimal, date, time, aware datetimes) are both accepted."""
    null = series.isna().to_numpy(dtype=bool)
    dtype = series.dtype
    if kind in TEMPORAL:
        if isinstance(dtype, pd.DatetimeTZDtype):
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        if pd.api.types.is_datetime64_dtype(series.dtype):
            return vec(kind, series.to_numpy().astype("datetime64[us]"), null)
        raw = series.to_numpy(dtype=object)
        return vec(
            kind,
            np.array([FILL[kind] if n else to_utc_naive(v) for v, n in zip(raw, null, strict=True)]),
            null,
        )
    if kind in (Kind.TIME, Kind.INTERVAL):
        if pd.api.types.is_timedelta64_dtype(dtype):
            return vec(kind, series.to_numpy().astype("timedelta64[us]"), null)
        raw = series.to_numpy(dtype=object)
        out = np.array(
            [FILL[kind] if n else to_timedelta(v) for v, n in zip(raw, null, strict=True)],
            dtype="timedelta64[us]",
        )
        return vec(kind, out, null)
    if kind is Kind.INT:
        if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            return vec(kind, series.to_numpy(dtype=np.int64, na_value=0), null)
        raw = series.to_numpy(dtype=object)
        return vec(
            kind, np.array([0 if n else int(v) for v, n in zip(raw, null, strict=True)], dtype=np.int64), null
        )
    if kind is Kind.NUM:
        numbers = pd.to_numeric(series, errors="coerce").astype("float64")
        return vec(kind, numbers.to_numpy(dtype=np.float64, na_value=0.0), null)
    if kind is Kind.BOOL:
        raw = series.to_numpy(dtype=object)
        return vec(
            kind,
            np.array([False if n else bool(v) for v, n in zip(raw, null, strict=True)], dtype=bool),
            null,
        )
    if kind is Kind.STR:
        raw = series.to_numpy(dtype=object)
        return vec(
            kind, np.array(["" if n else str(v) for v, n in zip(raw, null, strict=True)], dtype=object), null
        )
    return vec(kind, series.to_numpy(dtype=object), null)
