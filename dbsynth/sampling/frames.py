"""Sampled rows as frames: the dtypes the fit step reads, from driver rows or PostgreSQL's text.

Frame layout and dtypes: columns as in the Schema. Integers ``Int64``; DECIMAL as
``decimal.Decimal`` objects (exact, scale kept; the fit step converts to float where it needs
to); FLOAT ``float64`` (NULL is NaN); BOOLEAN ``boolean``; strings, enums and UUIDs ``string``;
DATE and TIMESTAMP ``datetime64[us]``; TIMESTAMPTZ ``datetime64[us, UTC]``; TIME and INTERVAL
``timedelta64[us]`` (TIME as the time since midnight); JSON parsed objects; arrays lists; bytes
``bytes``; MySQL SET a tuple of labels; anything else as the driver returns it. A value that
does not fit its column's dtype keeps the column as objects, with a warning; a DATE or
TIMESTAMP value that is not a date (MySQL's ``'0000-00-00'``) is read as NULL, with a warning.

Two ways in, one result:

* :func:`rows_frame` converts row tuples as a DB-API driver returns them (MySQL, SQLite);
* :func:`pg_text_frame` converts the columns of a PostgreSQL ``COPY ... (FORMAT csv)`` as
  strings (parsed by pyarrow). Types whose text form is simple (integers, numerics, floats,
  booleans, strings, enums, UUIDs, dates, timestamps, times) are parsed vectorised; every other
  column goes value by value through psycopg's own loader for its type OID and then the same
  converter as a driver row, so its values are exactly what a psycopg fetch would give.

Both record their warnings in a :class:`Notes`, so a table read in several parts gets one
warning per column with the counts summed. :func:`read_copy` runs the COPY and splits its CSV
into columns (pyarrow). Keys: :func:`key_index` / :func:`known` compare keys of frames by value
in C (a parent's sampled keys, a child's references), and :func:`key_tuples` /
:func:`python_values` go the other way, from a frame column back to the Python values a driver
binds (keys sent back in ``IN`` lists).
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from dbsynth.schema import Column, LogicalType, Table

Loader = Callable[[bytes], Any]  # one PostgreSQL text value -> what psycopg returns for it


@dataclass
class Notes:
    """Conversion warnings of one table, accumulated over the parts it is read in."""

    table: str
    not_dates: dict[str, int] = field(default_factory=dict)
    objects: dict[str, str] = field(default_factory=dict)  # column -> the first reason

    def messages(self, table: Table) -> list[str]:
        out = []
        for column in table.column_names:
            if column in self.not_dates:
                bad = self.not_dates[column]
                out.append(f"{self.table}.{column}: {bad} value(s) that are not dates read as NULL")
            if column in self.objects:
                out.append(f"{self.table}.{column}: kept as objects ({self.objects[column]})")
        return out


# -- driver rows ------------------------------------------------------------------------------


def to_frame(table: Table, rows: Sequence[tuple[Any, ...]]) -> tuple[pd.DataFrame, list[str]]:
    """The frame of ``rows`` (tuples in ``table``'s column order) with the module's dtypes,
    and its warnings."""
    notes = Notes(table.key)
    frame = rows_frame(table, rows, notes)
    return frame, notes.messages(table)


def rows_frame(table: Table, rows: Sequence[tuple[Any, ...]], notes: Notes) -> pd.DataFrame:
    """``rows`` (tuples in column order, extra trailing items ignored) as a frame."""
    data: dict[str, pd.Series] = {}
    for i, column in enumerate(table.columns):
        data[column.name] = convert(column, [r[i] for r in rows], notes)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def convert(column: Column, values: list[Any], notes: Notes, bad: int = 0) -> pd.Series:
    """Driver values of ``column`` as a Series of its dtype; ``bad`` values already read as
    NULL upstream are counted in the warning."""
    converter = CONVERTERS.get(column.logical, _objects)
    try:
        series = converter(values, column)
    except (TypeError, ValueError, OverflowError, ArithmeticError) as exc:
        if column.logical in (LogicalType.DATE, LogicalType.TIMESTAMP):
            # MySQL's zero dates ('0000-00-00') and their kin: NULL is the honest reading.
            # Read as UTC so text with offsets (a timestamptz written to SQLite as
            # '2022-02-15 10:30:00+00:00') parses too; naive text is unchanged by it.
            text = pd.Series(values, dtype=object)
            series = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
            bad += int(series.isna().sum()) - sum(v is None for v in values)
            series = series.dt.tz_localize(None).astype("datetime64[us]")
        else:
            notes.objects.setdefault(column.name, f"{column.logical.value} conversion: {exc}")
            return _objects(values, column)
    if bad:
        notes.not_dates[column.name] = notes.not_dates.get(column.name, 0) + bad
    return series


def _objects(values: list[Any], column: Column) -> pd.Series:
    return pd.Series([bytes(v) if isinstance(v, memoryview | bytearray) else v for v in values], dtype=object)


def _ints(values: list[Any], column: Column) -> pd.Series:
    return pd.Series(pd.array(values, dtype="Int64"))


def _decimals(values: list[Any], column: Column) -> pd.Series:
    # SQLite hands NUMERIC back as int/float: restore the declared scale (450.5 -> 450.50).
    exponent = decimal.Decimal(1).scaleb(-column.scale) if column.scale is not None else None

    def fix(v: Any) -> Any:
        if v is None or isinstance(v, decimal.Decimal):
            return v
        d = decimal.Decimal(str(v))
        return d.quantize(exponent) if exponent is not None and d.is_finite() else d

    return pd.Series([fix(v) for v in values], dtype=object)


def _floats(values: list[Any], column: Column) -> pd.Series:
    return pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")


_TRUE = {"1", "t", "true", "y", "yes", "on"}


def _bools(values: list[Any], column: Column) -> pd.Series:
    def fix(v: Any) -> bool | None:
        if v is None:
            return None
        return v.strip().lower() in _TRUE if isinstance(v, str) else bool(v)

    return pd.Series(pd.array([fix(v) for v in values], dtype="boolean"))


def _strings(values: list[Any], column: Column) -> pd.Series:
    return pd.Series(pd.array([None if v is None else str(v) for v in values], dtype="string"))


def _datetimes(values: list[Any], column: Column) -> pd.Series:
    if column.logical is LogicalType.TIMESTAMPTZ:
        series = pd.to_datetime(pd.Series(values, dtype=object), utc=True, errors="raise")
        return series.astype("datetime64[us, UTC]")
    return pd.Series(values, dtype="datetime64[us]")


def _timedeltas(values: list[Any], column: Column) -> pd.Series:
    def fix(v: Any) -> Any:
        if isinstance(v, dt.time):  # TIME: the time since midnight
            return dt.timedelta(hours=v.hour, minutes=v.minute, seconds=v.second, microseconds=v.microsecond)
        return v

    return pd.Series([fix(v) for v in values], dtype="timedelta64[us]")


def _json(values: list[Any], column: Column) -> pd.Series:
    def fix(v: Any) -> Any:
        if isinstance(v, bytes | bytearray | memoryview):
            v = bytes(v).decode()
        return json.loads(v) if isinstance(v, str) else v  # psycopg parses json itself; others don't

    return pd.Series([fix(v) for v in values], dtype=object)


def _sets(values: list[Any], column: Column) -> pd.Series:
    labels = column.enum_labels or ()

    def fix(v: Any) -> Any:
        if v is None:
            return None
        members = set(v.split(",")) - {""} if isinstance(v, str) else set(v)
        return tuple(sorted(members, key=lambda m: (labels.index(m) if m in labels else len(labels), m)))

    return pd.Series([fix(v) for v in values], dtype=object)


CONVERTERS: dict[LogicalType, Callable[[list[Any], Column], pd.Series]] = {
    LogicalType.INTEGER: _ints,
    LogicalType.DECIMAL: _decimals,
    LogicalType.FLOAT: _floats,
    LogicalType.BOOLEAN: _bools,
    LogicalType.STRING: _strings,
    LogicalType.TEXT: _strings,
    LogicalType.ENUM: _strings,
    LogicalType.UUID: _strings,
    LogicalType.DATE: _datetimes,
    LogicalType.TIMESTAMP: _datetimes,
    LogicalType.TIMESTAMPTZ: _datetimes,
    LogicalType.TIME: _timedeltas,
    LogicalType.INTERVAL: _timedeltas,
    LogicalType.JSON: _json,
    LogicalType.SET: _sets,
}


# -- PostgreSQL text --------------------------------------------------------------------------

Text: TypeAlias = pa.ChunkedArray  # one column of a COPY in CSV: its values' text forms, NULL as null


def _text_ints(text: Text) -> pd.Series:
    return pc.cast(text, pa.int64()).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)


def _text_decimals(text: Text) -> pd.Series:
    # numeric's text is exactly what Decimal() reads, 'NaN' and 'Infinity' included.
    parse = decimal.Decimal
    return pd.Series([v if v is None else parse(v) for v in text.to_pylist()], dtype=object)


def _text_floats(text: Text) -> pd.Series:
    return pc.cast(text, pa.float64()).to_pandas()  # 'Infinity', '-Infinity', 'NaN' included


def _text_bools(text: Text) -> pd.Series:
    return pc.equal(text, "t").to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get)


def _text_strings(text: Text) -> pd.Series:
    return pd.Series(pd.array(text, dtype="string"))


def _infinite(low: Any, high: Any, arrow_type: pa.DataType) -> Callable[[Text], pd.Series]:
    """A parser of ISO dates/timestamps that reads 'infinity' and '-infinity' as ``high`` and
    ``low``, like the loaders the sampler installs for psycopg (a validity range ending at
    'infinity' must not abort the sample)."""

    def parse(text: Text) -> pd.Series:
        high_at, low_at = pc.equal(text, "infinity"), pc.equal(text, "-infinity")
        infinite = pc.or_(high_at, low_at)
        finite = pc.if_else(infinite, pa.scalar(None, pa.string()), text)
        parsed = pc.cast(finite, arrow_type)
        if pc.any(infinite).as_py():
            edge = pc.if_else(high_at, pa.scalar(high, arrow_type), pa.scalar(low, arrow_type))
            parsed = pc.if_else(infinite, edge, parsed)
        return parsed.to_pandas()

    return parse


_UTC = dt.UTC
_TEXT_DATES = _infinite(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31), pa.timestamp("us"))
_TEXT_TIMESTAMPS = _infinite(dt.datetime.min, dt.datetime.max, pa.timestamp("us"))
_TEXT_TIMESTAMPTZ = _infinite(
    dt.datetime.min.replace(tzinfo=_UTC), dt.datetime.max.replace(tzinfo=_UTC), pa.timestamp("us", tz="UTC")
)


def _text_times(text: Text) -> pd.Series:
    # 'HH:MM:SS[.ffffff]'; PostgreSQL also allows '24:00:00', which is a day since midnight.
    return pd.to_timedelta(pd.Series(text.to_numpy(zero_copy_only=False), dtype=object)).astype(
        "timedelta64[us]"
    )


@dataclass(frozen=True)
class _TextParser:
    parse: Callable[[Text], pd.Series]
    oids: frozenset[int] | None = None  # the type OIDs it reads (None: any)
    not_oids: frozenset[int] = frozenset()


_PG_INET, _PG_CIDR = 869, 650
TEXT_PARSERS: dict[LogicalType, _TextParser] = {
    LogicalType.INTEGER: _TextParser(_text_ints, frozenset({20, 21, 23, 26})),  # int8/2/4, oid
    LogicalType.DECIMAL: _TextParser(_text_decimals, frozenset({1700})),
    LogicalType.FLOAT: _TextParser(_text_floats, frozenset({700, 701})),
    LogicalType.BOOLEAN: _TextParser(_text_bools, frozenset({16})),
    # psycopg returns inet/cidr as ipaddress objects: their str() is not always the text form.
    LogicalType.STRING: _TextParser(_text_strings, not_oids=frozenset({_PG_INET, _PG_CIDR})),
    LogicalType.TEXT: _TextParser(_text_strings, not_oids=frozenset({_PG_INET, _PG_CIDR})),
    LogicalType.ENUM: _TextParser(_text_strings),
    LogicalType.UUID: _TextParser(_text_strings, frozenset({2950})),  # lowercase, as str(UUID)
    LogicalType.DATE: _TextParser(_TEXT_DATES, frozenset({1082})),
    LogicalType.TIMESTAMP: _TextParser(_TEXT_TIMESTAMPS, frozenset({1114})),
    LogicalType.TIMESTAMPTZ: _TextParser(_TEXT_TIMESTAMPTZ, frozenset({1184})),  # TimeZone is UTC
    LogicalType.TIME: _TextParser(_text_times, frozenset({1083})),  # not timetz
}


def text_parser(column: Column, oid: int) -> Callable[[Text], pd.Series] | None:
    """The vectorised parser for ``column`` holding type ``oid``, if its text form is simple."""
    parser = TEXT_PARSERS.get(column.logical)
    if parser is None or oid in parser.not_oids or (parser.oids is not None and oid not in parser.oids):
        return None
    return parser.parse


def pg_text_frame(
    table: Table, texts: Sequence[Text], oids: Sequence[int], loader: Callable[[int], Loader], notes: Notes
) -> pd.DataFrame:
    """The frame of one COPY's columns (``texts``, in ``table``'s column order, holding types
    ``oids``); ``loader(oid)`` is psycopg's text loader for a type (module doc)."""
    data: dict[str, pd.Series] = {}
    for column, text, oid in zip(table.columns, texts, oids, strict=True):
        parse = text_parser(column, oid)
        if parse is not None:
            try:
                data[column.name] = parse(text).reset_index(drop=True)
                continue
            except (pa.ArrowInvalid, ValueError, OverflowError):
                pass  # an unusual value (a BC date): the loader below says what it is
        data[column.name] = _loaded(column, text, loader(oid), notes)
    return pd.DataFrame(data, index=pd.RangeIndex(len(texts[0]) if texts else 0))


def _loaded(column: Column, text: Text, load: Loader, notes: Notes) -> pd.Series:
    raws = pc.cast(text, pa.binary()).to_pylist()
    values: list[Any] = []
    bad = 0
    temporal = column.logical in (LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ)
    for raw in raws:
        try:
            values.append(None if raw is None else load(raw))
        except Exception as exc:  # psycopg refuses it: a BC date, the year 10000...
            if not temporal:
                # Nothing to model it as: the text itself, as for any value that does not fit.
                notes.objects.setdefault(column.name, f"{column.logical.value} conversion: {exc}")
                return pd.Series(text.to_pylist(), dtype=object)
            bad += 1  # ... read as NULL, like MySQL's zero dates
            values.append(None)
    return convert(column, values, notes, bad)


# -- reading a COPY ---------------------------------------------------------------------------


def read_copy(driver: Any, sql: str, params: Mapping[str, Any] | None, width: int) -> list[Text]:
    """Run ``sql`` (a ``COPY (...) TO STDOUT (FORMAT csv)``) on the psycopg connection
    ``driver`` (psycopg binds ``params`` client-side: COPY takes none); its ``width`` columns."""
    data = bytearray()
    with driver.cursor() as cur, cur.copy(sql, params) as copy:
        for block in copy:  # one row per block: append to one buffer, not a million objects
            data += block
    return csv_columns(data, width)


def csv_columns(data: bytes | bytearray, width: int) -> list[Text]:
    """The ``width`` columns of PostgreSQL CSV as strings: NULL is an unquoted empty field, the
    empty string a quoted one, and values may span lines."""
    if not data:
        return [pa.chunked_array([], pa.string()) for _ in range(width)]
    names = [f"c{i}" for i in range(width)]
    parsed = pa_csv.read_csv(
        pa.BufferReader(data),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            null_values=[""],
        ),
    )
    return list(parsed.columns)


def sorted_by_last(texts: Sequence[Text]) -> list[Text]:
    """The columns with their rows ordered by the last column (a stable sort, byte-wise)."""
    order = pc.sort_indices(texts[-1])
    return [t.take(order) for t in texts]


# -- keys -------------------------------------------------------------------------------------


def present(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Rows whose key has no NULL (a NULL in an FK means no reference)."""
    return frame[list(columns)].notna().all(axis=1).to_numpy(dtype=bool)


def key_index(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Index:
    """The distinct non-NULL keys of ``frame``."""
    keys = frame.loc[present(frame, columns), list(columns)]
    if len(columns) == 1:
        return pd.Index(keys.iloc[:, 0]).unique()
    return pd.MultiIndex.from_frame(keys).unique()


def known(frame: pd.DataFrame, columns: Sequence[str], index: pd.Index) -> np.ndarray:
    """Rows whose key is non-NULL and in ``index`` (compared by value, in C)."""
    keys = frame[list(columns)]
    if len(columns) == 1:
        hit = keys.iloc[:, 0].isin(index).to_numpy(dtype=bool)
    else:
        hit = np.asarray(pd.MultiIndex.from_frame(keys).isin(index), dtype=bool)
    return hit & present(frame, columns)


# -- keys back to driver values ------------------------------------------------------------


def _py_dates(series: pd.Series) -> list[Any]:
    return list(series.dt.date)


def _py_datetimes(series: pd.Series) -> list[Any]:
    return list(series.dt.to_pydatetime())


def _py_times(series: pd.Series) -> list[Any]:
    midnight = dt.datetime(2000, 1, 1)
    return [(midnight + td).time() for td in series.dt.to_pytimedelta()]


def _py_timedeltas(series: pd.Series) -> list[Any]:
    return list(series.dt.to_pytimedelta())


# Per logical type, how a driver gave the value back: PostgreSQL's TIME is a time of day and its
# UUID a uuid.UUID (SQLAlchemy then casts the parameter to uuid); MySQL's TIME is a duration.
PY_VALUES: dict[str, dict[LogicalType, Callable[[pd.Series], list[Any]]]] = {
    "postgresql": {LogicalType.TIME: _py_times},
    "mysql": {LogicalType.TIME: _py_timedeltas},
    "sqlite": {},
}
_PY_COMMON: dict[LogicalType, Callable[[pd.Series], list[Any]]] = {
    LogicalType.DATE: _py_dates,
    LogicalType.TIMESTAMP: _py_datetimes,
    LogicalType.TIMESTAMPTZ: _py_datetimes,
    LogicalType.TIME: _py_timedeltas,
    LogicalType.INTERVAL: _py_timedeltas,
}


def python_values(series: pd.Series, column: Column, backend: str) -> list[Any]:
    """The non-NULL values of a frame column as the ``backend``'s driver returns them (ints,
    Decimals, strs, dates, datetimes, times...), to bind as query parameters."""
    if column.logical is LogicalType.UUID and backend == "postgresql":
        return [uuid.UUID(v) for v in series.tolist()]
    if series.dtype.kind in "mM":
        convert_ = PY_VALUES.get(backend, {}).get(column.logical) or _PY_COMMON.get(column.logical)
        if convert_ is not None:
            return convert_(series)
    values = series.tolist()
    if series.dtype.kind == "O" or isinstance(series.dtype, pd.BooleanDtype):
        return [v.item() if isinstance(v, np.generic) else v for v in values]
    return values


def key_tuples(
    frame: pd.DataFrame, table: Table, columns: Sequence[str], backend: str
) -> list[tuple[Any, ...]]:
    """The keys of ``frame``'s rows as tuples of driver values (None for NULL), to bind."""
    per_column = []
    for name in columns:
        series = frame[name]
        mask = series.notna().to_numpy(dtype=bool)
        values = python_values(series[mask], table.column(name), backend)
        if not mask.all():
            found = iter(values)
            values = [next(found) if m else None for m in mask]
        per_column.append(values)
    return list(zip(*per_column, strict=True))
