"""Edge values: ``--edge-cases RATE`` swaps a value for one at the edge of what its column holds.

Test data drawn only from the middle of the distribution never shows how an application copes
with an empty name, a name exactly as long as its column, an emoji or a right-to-left script,
the largest number the type stores, zero, a negative amount, NULL, the Unix epoch or the last
second of 32-bit time, a leap day, or blanks around a word. With probability RATE per value,
this module writes one of those instead, chosen among the kinds the column's type allows.

Edge values go in before the table's CHECKs are enforced, so a CHECK still has the last word:
an edge outside a CHECK's range is clamped onto the range's own edge, one the CHECK refuses
otherwise is resampled. Key, foreign-key, unique and computed columns keep their values: an
edge there could only collide with another row or point at no parent.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from dbsynth.columns.numeric import type_bounds
from dbsynth.schema import Column, LogicalType, Table

# The kinds an edge value can be, as the test and --explain name them.
EMPTY, MAX_LENGTH, UNICODE, SPACES = "empty string", "max-length string", "unicode", "surrounding spaces"
TYPE_MIN, TYPE_MAX, ZERO, NEGATIVE, NULL = "type minimum", "type maximum", "zero", "negative", "NULL"
EPOCH, Y2038, LEAP_DAY = "1970-01-01", "2038-01-19", "leap day"

# Multi-byte (accents, CJK), right-to-left (Arabic, Hebrew) and an emoji outside the BMP.
UNICODE_TEXT = "Zoë 東京 مرحبا שלום 🎉"
# MySQL/MariaDB columns are often utf8mb3 or latin1, which refuse 4-byte and CJK characters.
UNICODE_LATIN = "Zoë Ångström Ñandú"
LONG_TEXT = 1000  # the "max-length" value of an unbounded text column
MAX_EDGE_LENGTH = 65_535  # the longest edge string written, whatever the declared length
_TEXT = (LogicalType.STRING, LogicalType.TEXT)
_STAMPS = (LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ)


def _text_edges(col: Column, dialect: str) -> list[tuple[str, Any]]:
    # MySQL's LONGTEXT declares 4 GiB: its "max-length" edge is as long as a TEXT's, not 4 GiB.
    room = min(col.length, MAX_EDGE_LENGTH) if col.length else LONG_TEXT
    unicode_text = UNICODE_LATIN if dialect in ("mysql", "mariadb") else UNICODE_TEXT
    padded = " padded "
    edges: list[tuple[str, Any]] = [(EMPTY, ""), (MAX_LENGTH, "x" * room), (UNICODE, unicode_text[:room])]
    if room >= len(padded):
        edges.append((SPACES, padded))
    return edges


def _integer_limits(col: Column) -> tuple[int, int]:
    lo, hi = type_bounds(col)
    # type_bounds is in floats: 2**63 - 1 rounds up to 2**63, which no bigint holds.
    top = 2**63 - 1 if hi >= 2.0**63 else int(hi)
    low = -(2**63) if lo <= -(2.0**63) else int(lo)
    return low, top


def _number_edges(col: Column) -> list[tuple[str, Any]]:
    if col.logical is LogicalType.INTEGER:
        low, top = _integer_limits(col)
        edges: list[tuple[str, Any]] = [(TYPE_MIN, low), (TYPE_MAX, top), (ZERO, 0)]
        if low < 0:
            edges.append((NEGATIVE, -1))
        return edges
    lo, hi = type_bounds(col)
    # Values travel as float64: beyond 15 digits the type's top rounds up past itself (unit3d's
    # decimal(22,2): 1e20 - 0.01 is 1e20, out of range), so a large exact number stands in.
    high = hi if math.isfinite(hi) and hi < 1e15 else 1e15
    least = lo if math.isfinite(lo) and lo > -1e15 else -high if lo < 0 else lo
    edges = [(TYPE_MIN, least), (TYPE_MAX, high), (ZERO, 0.0)]
    if least < 0:
        edges.append((NEGATIVE, -1.0 if col.logical is LogicalType.DECIMAL and not col.scale else -0.5))
    return edges


def _temporal_edges(col: Column, dialect: str) -> list[tuple[str, Any]]:
    # A MySQL TIMESTAMP starts one second after the epoch ('1970-01-01 00:00:00' is its zero date).
    first = 1 if dialect in ("mysql", "mariadb") and col.sql_type.lower().startswith("timestamp") else 0
    epoch = pd.Timestamp(1970, 1, 1, 0, 0, first)
    y2038 = pd.Timestamp(2038, 1, 19, 3, 14, 7)
    leap = pd.Timestamp(2024, 2, 29, 12, 0, 0)
    if col.logical is LogicalType.DATE:
        epoch, y2038, leap = epoch.floor("D"), y2038.floor("D"), leap.floor("D")
    if col.logical is LogicalType.TIMESTAMPTZ:
        epoch, y2038, leap = (t.tz_localize("UTC") for t in (epoch, y2038, leap))
    return [(EPOCH, epoch), (Y2038, y2038), (LEAP_DAY, leap)]


def edge_values(col: Column, dialect: str) -> list[tuple[str, Any]]:
    """The (kind, value) edges ``col``'s type can hold; NULL among them when it is nullable."""
    edges: list[tuple[str, Any]] = []
    if col.logical in _TEXT and not col.enum_labels:
        edges = _text_edges(col, dialect)
    elif col.logical in (LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT):
        edges = _number_edges(col)
    elif col.logical is LogicalType.DATE or col.logical in _STAMPS:
        edges = _temporal_edges(col, dialect)
    elif col.logical is LogicalType.TIME:
        edges = [(TYPE_MIN, pd.Timedelta(0)), (TYPE_MAX, pd.Timedelta(hours=23, minutes=59, seconds=59))]
    elif col.logical is LogicalType.UUID:
        edges = [(TYPE_MIN, str(uuid.UUID(int=0))), (TYPE_MAX, str(uuid.UUID(int=2**128 - 1)))]
    if col.nullable:
        edges.append((NULL, None))
    return edges


def _nullable_dtype(s: pd.Series) -> pd.Series:
    """``s`` in a dtype that holds NULL: NumPy ints and bools cannot."""
    if s.dtype.kind in "iu":
        return s.astype("Int64")
    if s.dtype.kind == "b":
        return s.astype("boolean")
    return s


def apply_edge_cases(
    frame: pd.DataFrame,
    table: Table,
    columns: Iterable[str],
    rate: float,
    rng: np.random.Generator,
    dialect: str,
    seen: Callable[[str, str], None] | None = None,
) -> pd.DataFrame:
    """A copy of ``frame`` where each value of ``columns`` is, with probability ``rate``, one of
    its column's edges (:func:`edge_values`, picked uniformly). ``seen(column, kind)`` hears
    each kind written. The draws come from ``rng`` alone, so a run without edges is unchanged."""
    out = frame.copy()
    n = len(out)
    for name in columns:
        if name not in out.columns:
            continue
        edges = edge_values(table.column(name), dialect)
        hit = np.flatnonzero(rng.random(n) < rate)
        if not edges or not len(hit):
            continue
        picks = rng.integers(len(edges), size=len(hit))
        s = out[name]
        if any(edges[p][1] is None for p in picks):
            s = _nullable_dtype(s)
        integers = s.dtype.kind in "iu" or str(s.dtype) == "Int64"
        values = s.astype(object).to_numpy(copy=True) if integers else None
        s = s.copy()
        for at, p in zip(hit, picks, strict=True):
            if values is not None:
                values[at] = edges[p][1]  # a bigint edge must not round through float64
            else:
                s.iloc[at] = edges[p][1]
        if values is not None:
            s = pd.Series(pd.array(values, dtype="Int64"), index=s.index)
            if frame[name].dtype.kind in "iu" and not s.isna().any():
                s = s.astype(frame[name].dtype)
        out[name] = s
        if seen is not None:
            for p in set(picks.tolist()):
                seen(name, edges[p][0])
    return out


def edge_columns(table: Table, skip: Iterable[str]) -> list[str]:
    """The columns of ``table`` edge values may go into: written, and not in a key, a unique
    constraint or ``skip`` (foreign keys, numbered and derived columns)."""
    held = set(skip)
    if table.primary_key is not None:
        held.update(table.primary_key.columns)
    for u in table.uniques:
        held.update(u.columns)
    for x in table.exclusions:
        held.update(x.columns)
    return [c.name for c in table.columns if c.generated is None and c.name not in held]
