"""Partition keys kept within the bounds of a table's partitions.

A row of a range- or list-partitioned table must fall in one of its partitions, or, without a
DEFAULT partition, the target refuses it (``no partition of relation "payment" found for row``).
A model fitted on rows keeps most keys inside already; priors of a schema without rows do not
(``payment_date`` near today, partitions for 2022). So after a chunk is made, a key outside the
union of the partitions' bounds is drawn again inside it: uniformly within one partition, picked
in proportion to its width (a list partition's value: one of the listed values, evenly). Keys
already inside are left alone, so a table whose keys all fit is generated as before.

Kept: PostgreSQL ``FOR VALUES FROM (...) TO (...)`` and ``FOR VALUES IN (...)``, MySQL
``VALUES LESS THAN (...)`` and ``VALUES IN (...)``, on one plain column of a number, date,
timestamp or text type. A DEFAULT partition takes every row, hash partitions need nothing, and
the first level of a multi-level partitioning is kept (a partition's own partitions are not).
Other keys (expressions, several columns) are left to the target.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbsynth.errors import GenerationError
from dbsynth.schema import Column, LogicalType, Table

L = LogicalType
NUMBERS = (L.INTEGER, L.DECIMAL, L.FLOAT)
TEMPORAL = (L.DATE, L.TIMESTAMP, L.TIMESTAMPTZ)
TEXTS = (L.STRING, L.TEXT, L.ENUM)
_FROM_TO = re.compile(r"\s*FOR\s+VALUES\s+FROM\s*\((.*)\)\s*TO\s*\((.*)\)\s*", re.I | re.S)
_IN = re.compile(r"\s*(?:FOR\s+)?VALUES\s+IN\s*\((.*)\)\s*", re.I | re.S)
_LESS = re.compile(r"\s*VALUES\s+LESS\s+THAN\s*(?:\((.*)\)|(MAXVALUE))\s*", re.I | re.S)
_DEFAULT = re.compile(r"\s*DEFAULT\s*", re.I)
_ITEM = re.compile(r"\s*('(?:[^']|'')*'|[^,]+?)\s*(?:,|$)")
_EPOCH = pd.Timestamp("1970-01-01")
# The width given to an unbounded side (MINVALUE, MAXVALUE) when a key must be drawn there.
_OPEN_WIDTH = {L.DATE: 365 * 86_400e6, L.TIMESTAMP: 365 * 86_400e6, L.TIMESTAMPTZ: 365 * 86_400e6}


@dataclass(frozen=True)
class KeyDomain:
    """Where a partition key may fall: ``ranges`` ``[lo, hi)`` in numbers (microseconds since
    1970 for dates and timestamps; ``±inf`` unbounded) or listed ``values``; ``null`` whether a
    partition takes NULL keys."""

    column: Column
    ranges: tuple[tuple[float, float], ...] = ()
    values: tuple[object, ...] = ()
    null: bool = False


def key_domain(table: Table) -> KeyDomain | None:
    """The domain of ``table``'s partition key, or None when there is nothing to keep."""
    p = table.partitioning
    if p is None or not p.bounds or any(_DEFAULT.fullmatch(b) for b in p.bounds):
        return None
    name = p.key.strip().strip('"`')
    column = next((c for c in table.columns if c.name == name), None)
    if column is None or column.array_dims or column.logical not in (*NUMBERS, *TEMPORAL, *TEXTS):
        return None
    ranges: list[tuple[float, float]] = []
    values: list[object] = []
    null = False
    lower = -math.inf
    for bound in p.bounds:
        if m := _FROM_TO.fullmatch(bound):
            lo, hi = _items(m[1]), _items(m[2])
            if len(lo) != 1 or len(hi) != 1 or column.logical in TEXTS:
                return None
            ranges.append((_number(lo[0], column), _number(hi[0], column)))
        elif m := _LESS.fullmatch(bound):
            hi = _items(m[1]) if m[1] is not None else ["MAXVALUE"]
            if len(hi) != 1 or column.logical in TEXTS:
                return None
            upper = _number(hi[0], column)
            ranges.append((lower, upper))
            lower = upper
        elif m := _IN.fullmatch(bound):
            for item in _items(m[1]):
                if item.upper() == "NULL":
                    null = True
                else:
                    values.append(_value(item, column))
        else:
            return None
    if any(math.isnan(lo) or math.isnan(hi) for lo, hi in ranges):
        return None
    return KeyDomain(column, tuple(ranges), tuple(values), null)


class PartitionKeeper:
    """Draws again the partition keys of a chunk that no partition takes (module doc)."""

    def __init__(self, table: Table, domain: KeyDomain) -> None:
        self.table, self.domain = table, domain
        finite = [hi - lo for lo, hi in domain.ranges if math.isfinite(hi - lo)]
        open_width = _OPEN_WIDTH.get(domain.column.logical, 1000.0)
        width = float(np.median(finite)) if finite else open_width
        # Unbounded sides get the typical width, so a key drawn there stays near the bounds.
        self.spans = [
            (hi - width if math.isinf(lo) else lo, lo + width if math.isinf(hi) else hi)
            for lo, hi in domain.ranges
            if not (math.isinf(lo) and math.isinf(hi))
        ]
        self.everything = any(math.isinf(lo) and math.isinf(hi) for lo, hi in domain.ranges)

    def apply(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """Keys of ``frame`` (in place) moved inside the domain; which rows moved."""
        column = self.domain.column
        series = frame[column.name]
        missing = series.isna().to_numpy(dtype=bool)
        if self.domain.values or (self.domain.null and not self.domain.ranges):
            listed = set(self.domain.values)
            inside = np.array([v in listed for v in series.tolist()], dtype=bool)
            bad = ~inside & ~(missing & self.domain.null)
            if bad.any() and not self.domain.values:
                raise GenerationError(f"table {self.table.key}: its partitions take only NULL {column.name}")
            if bad.any():
                values = series.to_numpy(dtype=object, copy=True)
                picks = rng.integers(0, len(self.domain.values), int(bad.sum()))
                values[bad] = [self.domain.values[i] for i in picks]
                frame[column.name] = _series(values, column, frame.index)
            return bad
        if self.everything:
            bad = np.zeros(len(frame), dtype=bool)
        else:
            numbers = _numbers(series, column)
            inside = np.zeros(len(frame), dtype=bool)
            for lo, hi in self.domain.ranges:
                inside |= (numbers >= lo) & (numbers < hi)
            bad = ~inside  # NaN (NULL) keys fall in no range: only a DEFAULT partition takes them
        if bad.any():
            numbers = _numbers(series, column)
            numbers[bad] = self._draw(int(bad.sum()), rng)
            frame[column.name] = _from_numbers(numbers, series, column, bad, frame.index)
        return bad

    def _draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        widths = np.array([hi - lo for lo, hi in self.spans], dtype=np.float64)
        pick = rng.choice(len(self.spans), size=n, p=widths / widths.sum())
        lo = np.array([self.spans[i][0] for i in pick])
        hi = np.array([self.spans[i][1] for i in pick])
        column = self.domain.column
        if column.logical is L.INTEGER:
            return np.floor(lo + rng.random(n) * (hi - lo))
        if column.logical is L.DATE:
            step = np.full(n, 86_400e6)  # whole days
        elif column.logical is L.DECIMAL and column.scale is not None:
            step = np.full(n, 10.0**-column.scale)
        elif column.logical in TEMPORAL:
            # Whole seconds, as a clock writes them, where a partition spans one second or more.
            step = np.where(hi - lo >= 1e6, 1e6, 1.0)
        else:
            return lo + rng.random(n) * (hi - lo)
        first, last = np.ceil(lo / step), np.ceil(hi / step)  # the steps inside [lo, hi)
        return (first + np.floor(rng.random(n) * (last - first))) * step


def _items(text: str) -> list[str]:
    return [m[1] for m in _ITEM.finditer(text.strip()) if m[1]]


def _literal(item: str) -> str:
    """A bound item without its quotes and cast (``'2022-01-01'::date`` -> ``2022-01-01``)."""
    text = re.sub(r"::[\w\s\".]+(\(\d+\))?$", "", item.strip()).strip()
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return text[1:-1].replace("''", "'")
    return text


def _number(item: str, column: Column) -> float:
    """A range bound as a number of the key's kind (``±inf`` for MINVALUE/MAXVALUE, NaN when it
    cannot be read)."""
    word = item.strip().upper()
    if word in ("MINVALUE", "MAXVALUE"):
        return -math.inf if word == "MINVALUE" else math.inf
    text = _literal(item)
    try:
        if column.logical in NUMBERS:
            return float(text)
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        return math.nan
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return float((stamp - _EPOCH) // pd.Timedelta(microseconds=1))


def _value(item: str, column: Column) -> object:
    """A listed value as the frame holds it."""
    text = _literal(item)
    if column.logical is L.INTEGER:
        return int(text)
    if column.logical in NUMBERS:
        return float(text)
    if column.logical in TEMPORAL:
        stamp = pd.Timestamp(text)
        if column.logical is L.TIMESTAMPTZ:
            return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
        return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp
    return text


def _numbers(series: pd.Series, column: Column) -> np.ndarray:
    if column.logical in TEMPORAL:
        stamps = pd.to_datetime(series, utc=column.logical is L.TIMESTAMPTZ)
        if column.logical is L.TIMESTAMPTZ:
            stamps = stamps.dt.tz_convert(None)
        micros = (stamps - _EPOCH) // pd.Timedelta(microseconds=1)
        return micros.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _from_numbers(
    numbers: np.ndarray, series: pd.Series, column: Column, moved: np.ndarray, index: pd.Index
) -> pd.Series:
    """``series`` with the ``moved`` rows set from ``numbers``, in the column's own dtype."""
    out = series.copy()
    if column.logical in TEMPORAL:
        stamps = _EPOCH + pd.to_timedelta(numbers[moved].astype(np.int64), unit="us")
        values = pd.Series(stamps, index=out.index[moved])
        if column.logical is L.TIMESTAMPTZ:
            values = values.dt.tz_localize("UTC")
        out = out.astype(values.dtype) if out.isna().all() else out
        out.loc[moved] = values.astype(out.dtype)
        return out.set_axis(index)
    if column.logical is L.INTEGER:
        out = out.astype("Int64") if out.isna().any() else out
        out.loc[moved] = numbers[moved].astype(np.int64)
        if not out.isna().any():
            out = out.astype(np.int64)
        return out.set_axis(index)
    out = out.astype(np.float64)
    out.loc[moved] = numbers[moved]
    return out.set_axis(index)


def _series(values: np.ndarray, column: Column, index: pd.Index) -> pd.Series:
    if column.logical in TEXTS:
        return pd.Series(values, index=index, dtype=object)
    return pd.Series(list(values), index=index)
