"""Value encoding shared by the writers: one column of a Batch frame in, what a target takes out.

The frames follow the value types of :mod:`dbsynth.writing.base`; each encoder also accepts the
looser forms a hand-made frame or a sample brings (``Decimal`` objects, ``datetime.date``,
``datetime.time``, floats in an integer column), because a writer is the last place a wrong
value can be caught cheaply. NULL is ``None``/``NaN``/``NaT``/``pd.NA`` everywhere.

Three forms, one table each (dialect differences live in tables, not in ``if`` chains):

* :data:`COPY_TEXT`: Arrow arrays whose CSV rendering by ``pyarrow.csv`` is what PostgreSQL's
  ``COPY ... (FORMAT csv)`` reads (``copy_csv`` encodes a whole frame in C++; only JSON, bytes,
  arrays and SETs go through Python per value). The CSV files target writes the same text.
* :data:`MYSQL_VALUES` and :data:`SQLITE_VALUES`: Python values for DB-API ``executemany``.
* :data:`ARROW_TYPED`: typed Arrow arrays for Parquet.

Invariant of every text form: a NULL is an Arrow null (an unquoted empty CSV field) and an
empty string stays a quoted ``""``, so the two never collapse.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from dbsynth.columns.sqltypes import SPATIAL_TYPES, Wkt, base_type, internal_geometry, split_srid
from dbsynth.schema import Column, LogicalType

Encoder = Callable[[pd.Series, Column], pa.Array]

_DAY_US = 86_400_000_000
_HOUR_US = 3_600_000_000


# -- normalisers: a Series in any accepted form -> one Arrow type ---------------------------------


def _objects(series: pd.Series) -> list[Any]:
    """Python values with None for every NULL (lists and dicts are values, not NULLs)."""
    mask = series.isna().to_numpy()
    values = series.to_numpy(dtype=object)
    return [None if m else v for v, m in zip(values, mask, strict=True)]


def ints(series: pd.Series) -> pa.Array:
    if series.dtype == object:
        values = [None if v is None else int(v) for v in _objects(series)]
        return pa.array(values, type=pa.int64())
    # A float column whose values are whole numbers (1.0) is accepted; 1.5 raises.
    return pa.array(series.astype("Int64"), from_pandas=True, type=pa.int64())


def floats(series: pd.Series) -> pa.Array:
    return pa.array(pd.to_numeric(series, errors="raise").astype("float64"), from_pandas=True)


def numbers(series: pd.Series, column: Column) -> pa.Array:
    """Decimals and floats: shortest round-trip text of a float64, or ``Decimal``'s exact text."""
    if series.dtype == object and any(isinstance(v, decimal.Decimal) for v in _objects(series)):
        return pa.array([None if v is None else str(v) for v in _objects(series)], type=pa.string())
    return floats(series)


def bools(series: pd.Series) -> pa.Array:
    return pa.array(series.astype("boolean"), from_pandas=True, type=pa.bool_())


def strings(series: pd.Series, column: Column | None = None) -> pa.Array:
    if series.dtype == object:
        try:  # all str (or NULL): converted in C++
            return pa.array(series, type=pa.string(), from_pandas=True)
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass
        values = [None if v is None else v if isinstance(v, str) else str(v) for v in _objects(series)]
        return pa.array(values, type=pa.string())
    return pa.array(series.astype("string"), from_pandas=True, type=pa.string())


def timestamps(series: pd.Series, *, tz: bool) -> pa.Array:
    """``timestamp[us]``; with ``tz`` in UTC (a naive value is taken as UTC), without it naive
    (an aware value is converted to UTC first)."""
    values = pd.to_datetime(series, utc=tz) if series.dtype == object else series
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC")
        if not tz:
            values = values.dt.tz_localize(None)
    elif tz:
        values = values.dt.tz_localize("UTC")
    arrow_type = pa.timestamp("us", tz="UTC" if tz else None)
    return pc.cast(pa.array(values, from_pandas=True), arrow_type, safe=False)


def dates(series: pd.Series) -> pa.Array:
    if series.dtype == object:
        values = _objects(series)
        if all(v is None or (isinstance(v, dt.date) and not isinstance(v, dt.datetime)) for v in values):
            return pa.array(values, type=pa.date32())
        series = pd.to_datetime(series)
    return pc.cast(timestamps(series, tz=False), pa.date32(), safe=False)


def micros(series: pd.Series) -> pa.Array:
    """Durations (``timedelta64``, ``timedelta``, or ``datetime.time`` since midnight) as int64 µs."""
    if series.dtype == object:
        out: list[int | None] = []
        for v in _objects(series):
            if isinstance(v, dt.time):
                out.append(((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000 + v.microsecond)
            else:
                out.append(None if v is None else int(pd.Timedelta(v) / pd.Timedelta(microseconds=1)))
        return pa.array(out, type=pa.int64())
    values = pd.to_timedelta(series).astype("timedelta64[us]")
    return pc.cast(pa.array(values, from_pandas=True), pa.int64())


def _int_text(values: np.ndarray, width: int = 0) -> pa.Array:
    text = pa.array(values).cast(pa.string())
    return pc.utf8_lpad(text, width, "0") if width else text


def _with_nulls(text: pa.Array, nulls: pa.Array) -> pa.Array:
    return pc.if_else(nulls, pa.scalar(None, pa.string()), text)


def time_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    """``HH:MM:SS.ffffff`` for a time of day (the duration since midnight)."""
    us = micros(series)
    # 24:00:00 is a valid PostgreSQL time but not an Arrow time64: clip to the last microsecond.
    clipped = pc.min_element_wise(pc.max_element_wise(pc.fill_null(us, 0), 0), _DAY_US - 1)
    return _with_nulls(pc.cast(pc.cast(clipped, pa.time64("us")), pa.string()), us.is_null())


def interval_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    """PostgreSQL interval input: ``-1 days 01:02:03.250000`` (floor days, non-negative time)."""
    us = micros(series)
    whole = pc.fill_null(us, 0).to_numpy()
    days, rest = np.divmod(whole, _DAY_US)
    clock = pc.cast(pa.array(rest).cast(pa.time64("us")), pa.string())
    text = pc.binary_join_element_wise(_int_text(days), " days ", clock, "")
    return _with_nulls(text, us.is_null())


def mysql_time_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    """MySQL TIME text, whose hours are not bounded by a day: ``-25:00:00.000000``."""
    us = micros(series)
    whole = pc.fill_null(us, 0).to_numpy()
    sign = np.where(whole < 0, "-", "")
    hours, rest = np.divmod(np.abs(whole), _HOUR_US)
    clock = pc.utf8_slice_codeunits(pc.cast(pa.array(rest).cast(pa.time64("us")), pa.string()), 2)
    text = pc.binary_join_element_wise(pa.array(sign), _int_text(hours, 2), clock, "")
    return _with_nulls(text, us.is_null())


# -- per-value encodings (JSON, bytes, arrays, sets) ---------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def json_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    return pa.array([None if v is None else json_dumps(v) for v in _objects(series)], type=pa.string())


def hex_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    """PostgreSQL bytea hex input: ``\\x0aff``."""
    return pa.array(
        [None if v is None else "\\x" + bytes(v).hex() for v in _objects(series)], type=pa.string()
    )


def raw_bytes(series: pd.Series, column: Column | None = None) -> pa.Array:
    return pa.array([None if v is None else bytes(v) for v in _objects(series)], type=pa.binary())


def set_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    """MySQL SET input: the labels joined by commas (a label cannot contain a comma)."""
    values = _objects(series)
    return pa.array(
        [None if v is None else v if isinstance(v, str) else ",".join(v) for v in values], type=pa.string()
    )


def set_array_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    """A MySQL SET into PostgreSQL, where it is ``text[]``: ``a,b`` becomes ``{"a","b"}``."""
    return pa.array(
        [None if v is None else pg_array_literal(_set_labels(v)) for v in _objects(series)], type=pa.string()
    )


def _set_labels(value: Any) -> list[str]:
    if isinstance(value, str):
        return [label for label in value.split(",") if label]
    return [str(v) for v in value]


def mysql_other(series: pd.Series, column: Column | None = None) -> pa.Array:
    """Types dbsynth does not model as such: text, but a geometry of a MySQL source
    (:class:`~dbsynth.columns.sqltypes.Wkt`) in MySQL's internal format, the bytes its spatial
    columns take as a parameter."""
    values = _objects(series)
    # pandas 3 infers its string dtype even for an object array of str subclasses, so a Wkt may
    # arrive as plain text: a spatial column's type, not the values' class, decides.
    spatial = column is not None and base_type(column.sql_type) in SPATIAL_TYPES
    if not spatial and not any(isinstance(v, Wkt) for v in values):
        return strings(series, column)
    return pa.array([None if v is None else _geometry(v, spatial) for v in values], type=pa.binary())


def _geometry(value: Any, spatial: bool) -> bytes:
    if isinstance(value, Wkt):
        return internal_geometry(value)
    if spatial:
        return internal_geometry(Wkt(*split_srid(str(value))))
    return str(value).encode()


def _pg_element(value: Any) -> str:
    if isinstance(value, bool | np.bool_):
        return "t" if value else "f"
    if isinstance(value, bytes | bytearray | memoryview):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return json_dumps(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.timedelta | np.timedelta64):
        return interval_text(pd.Series([value], dtype="timedelta64[us]"))[0].as_py()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def pg_array_literal(value: Any) -> str:
    """A PostgreSQL array literal; every element is double-quoted (numbers too, which PostgreSQL
    accepts), so a text element like ``NULL``, ``a,b`` or ``{x}`` can never change the structure."""
    if isinstance(value, list | tuple | np.ndarray):
        return "{" + ",".join(pg_array_literal(v) for v in value) + "}"
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "NULL"
    text = _pg_element(value)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def pg_array_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    return pa.array([None if v is None else pg_array_literal(v) for v in _objects(series)], type=pa.string())


def array_json_text(series: pd.Series, column: Column | None = None) -> pa.Array:
    """Arrays for databases without them (MySQL, SQLite): JSON text, NULL elements as null."""
    return json_text(series.map(_plain_array, na_action="ignore"), column)


def _plain_array(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return [_plain_array(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _no_zero_fraction(text: pa.Array) -> pa.Array:
    """``2020-01-01 10:00:00`` rather than ``...10:00:00.000000``: how SQLite files usually store
    times, and what SQLite's date functions print."""
    return pc.replace_substring_regex(text, r"\.000000", "")


# -- the tables ---------------------------------------------------------------------------------

COPY_TEXT: dict[LogicalType, Encoder] = {
    LogicalType.INTEGER: lambda s, c: ints(s),
    LogicalType.DECIMAL: numbers,
    LogicalType.FLOAT: numbers,
    LogicalType.BOOLEAN: lambda s, c: bools(s),
    LogicalType.STRING: strings,
    LogicalType.TEXT: strings,
    LogicalType.ENUM: strings,
    LogicalType.UUID: strings,
    LogicalType.OTHER: strings,
    LogicalType.DATE: lambda s, c: dates(s),
    LogicalType.TIME: time_text,
    LogicalType.TIMESTAMP: lambda s, c: timestamps(s, tz=False),
    LogicalType.TIMESTAMPTZ: lambda s, c: timestamps(s, tz=True),
    LogicalType.INTERVAL: interval_text,
    LogicalType.JSON: json_text,
    LogicalType.BYTES: hex_text,
    LogicalType.SET: set_text,
    LogicalType.ARRAY: pg_array_text,
}

# Python values for executemany: Arrow builds them in C++, ``to_pylist`` hands them over.
MYSQL_VALUES: dict[LogicalType, Encoder] = {
    **COPY_TEXT,
    # InnoDB's BOOLEAN is TINYINT(1); 0/1 also suits a cross-dialect target's integer column.
    LogicalType.BOOLEAN: lambda s, c: pc.cast(bools(s), pa.int8()),
    LogicalType.DATE: lambda s, c: pc.cast(dates(s), pa.string()),
    LogicalType.TIMESTAMP: lambda s, c: pc.cast(timestamps(s, tz=False), pa.string()),
    # The session runs with time_zone '+00:00', so a naive UTC text means the right instant.
    LogicalType.TIMESTAMPTZ: lambda s, c: pc.cast(
        pc.cast(timestamps(s, tz=True), pa.timestamp("us")), pa.string()
    ),
    LogicalType.INTERVAL: mysql_time_text,
    LogicalType.BYTES: raw_bytes,
    LogicalType.ARRAY: array_json_text,
    LogicalType.OTHER: mysql_other,
}

SQLITE_VALUES: dict[LogicalType, Encoder] = {
    **MYSQL_VALUES,
    LogicalType.OTHER: strings,
    LogicalType.TIME: lambda s, c: _no_zero_fraction(time_text(s)),
    LogicalType.TIMESTAMP: lambda s, c: _no_zero_fraction(pc.cast(timestamps(s, tz=False), pa.string())),
    LogicalType.TIMESTAMPTZ: lambda s, c: pc.binary_join_element_wise(
        _no_zero_fraction(pc.cast(pc.cast(timestamps(s, tz=True), pa.timestamp("us")), pa.string())),
        "+00:00",
        "",
    ),
    LogicalType.INTERVAL: interval_text,
}


def _decimal_typed(series: pd.Series, column: Column) -> pa.Array:
    values = floats(series) if series.dtype != object else numbers(series, column)
    if column.precision and column.scale is not None and column.precision <= 38:
        return pc.cast(pc.cast(values, pa.string()), pa.decimal128(column.precision, column.scale))
    return pc.cast(values, pa.float64())


ARROW_TYPED: dict[LogicalType, Encoder] = {
    **COPY_TEXT,
    LogicalType.DECIMAL: _decimal_typed,
    LogicalType.FLOAT: lambda s, c: floats(s),
    LogicalType.TIME: lambda s, c: pc.cast(micros(s), pa.time64("us")),
    LogicalType.INTERVAL: lambda s, c: pc.cast(micros(s), pa.duration("us")),
    LogicalType.BYTES: raw_bytes,
    LogicalType.SET: lambda s, c: pa.array(
        [None if v is None else [v] if isinstance(v, str) else list(v) for v in _objects(s)],
        type=pa.list_(pa.string()),
    ),
    LogicalType.ARRAY: array_json_text,
}


# -- whole frames -------------------------------------------------------------------------------


def encode_table(
    frame: pd.DataFrame, columns: Sequence[Column], table: dict[LogicalType, Encoder]
) -> pa.Table:
    """The frame's ``columns`` (in this order) encoded with ``table``; a column that cannot be
    encoded raises ``ValueError`` naming it."""
    arrays = []
    for column in columns:
        try:
            arrays.append(table[column.logical](frame[column.name], column))
        except (TypeError, ValueError, OverflowError, ArithmeticError, pa.ArrowException) as exc:
            message = " ".join(str(exc).split())[:200]
            raise ValueError(f"column {column.name} ({column.logical.value}): {message}") from None
    return pa.table(arrays, names=[c.name for c in columns])


# PostgreSQL's COPY: the CSV text, but a MySQL SET goes into the text[] it is created as.
PG_COPY: dict[LogicalType, Encoder] = {**COPY_TEXT, LogicalType.SET: set_array_text}


def copy_csv(frame: pd.DataFrame, columns: Sequence[Column], *, header: bool = False) -> bytes:
    """The rows as CSV that ``COPY ... FROM STDIN (FORMAT csv)`` reads back exactly."""
    buffer = io.BytesIO()
    pacsv.write_csv(encode_table(frame, columns, PG_COPY), buffer, pacsv.WriteOptions(include_header=header))
    return buffer.getvalue()


# LOAD DATA's escapes (``ESCAPED BY '\\'``): the backslash first, so the others are not doubled.
_LOAD_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def load_data_text(frame: pd.DataFrame, columns: Sequence[Column]) -> tuple[bytes, list[bool]]:
    """The rows as MySQL ``LOAD DATA`` text: fields separated by tabs, rows ended by newlines,
    backslash escapes, NULL as ``\\N``; the values are :data:`MYSQL_VALUES`'s. Binary values
    (bytes, geometry) go as hex, which no character set conversion can alter: the flags say
    which columns the statement must UNHEX."""
    encoded = encode_table(frame, columns, MYSQL_VALUES)
    fields: list[Any] = []
    hexed: list[bool] = []
    for array in encoded.columns:
        binary = pa.types.is_binary(array.type) or pa.types.is_large_binary(array.type)
        if binary:
            hexes = [None if v is None else v.hex() for v in array.to_pylist()]
            text = pa.array(hexes, type=pa.large_string())
        else:
            text = pc.cast(array, pa.large_string())
            for old, new in _LOAD_ESCAPES:
                text = pc.replace_substring(text, old, new)
        hexed.append(binary)
        fields.append(pc.fill_null(text, "\\N"))
    empty, tab, newline = (pa.scalar(v, pa.large_string()) for v in ("", "\t", "\n"))
    rows = pc.binary_join_element_wise(*fields, tab)
    lines = pc.binary_join_element_wise(rows, empty, newline)  # each row, its newline, nothing
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    return _concatenated(lines), hexed


def _concatenated(lines: pa.Array) -> bytes:
    """The values of a large_string array one after the other, straight from its data buffer."""
    if len(lines) == 0:
        return b""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[int(offsets[0]) : int(offsets[-1])]


def python_rows(
    frame: pd.DataFrame, columns: Sequence[Column], table: dict[LogicalType, Encoder]
) -> list[tuple]:
    """The rows as tuples of Python values for DB-API ``executemany``."""
    encoded = encode_table(frame, columns, table)
    return list(zip(*(col.to_pylist() for col in encoded.columns), strict=True))
