"""Vectorised evaluation of a CHECK expression (a sqlglot tree) over the rows of a pandas frame.

:class:`Compiler` turns the tree into a tree of :class:`Node` closures once; running the root on an
:class:`Env` (the frame's columns as :class:`Vec`) evaluates every row at once. The static
:class:`Kind` of each node is known at compile time, so what the evaluator cannot follow (a cast
to ``bytea``, a function it does not know) is found before any row is seen: the compiler raises
:class:`Unsupported` with the reason, and the check is left to the database.

Invariants:

* A :class:`Vec` holds ``values`` of its kind's numpy dtype and a boolean ``null`` mask of the
  same length; where ``null`` is True the value is the kind's filler (``FILL``), never None or
  NaN, so every operation runs on all rows and masks afterwards.
* SQL three-valued logic throughout: a comparison with NULL is NULL, ``AND``/``OR``/``NOT`` follow
  the SQL truth tables; the caller decides that a CHECK passes when TRUE **or NULL**.
* A row on which the database would raise an error (division by zero in PostgreSQL,
  ``'x'::integer``) is marked in ``Env.errors``: the database would refuse that INSERT.
* Timestamps are naive ``datetime64[us]`` in UTC (``timestamptz`` is converted, and literals
  without a zone are read as UTC: the session time zone of a load), dates are timestamps at
  midnight, times and intervals ``timedelta64[us]``, decimals ``float64``.

Known differences from the databases: strings order by code point (a database uses its
collation; equality agrees), decimals are binary floats, integer overflow is not detected.
Dialect differences are data in :data:`DIALECTS`, not branches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlglot import exp

from dbsynth.schema import LogicalType


class Unsupported(Exception):
    """The expression uses something the evaluator cannot follow; ``str()`` is the reason."""


class Kind(StrEnum):
    INT = "integer"
    NUM = "number"
    BOOL = "boolean"
    STR = "string"
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
# make a check that reads them unsupported.
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

_T = exp.DataType.Type
CAST_KIND: dict[Any, Kind] = {
    **dict.fromkeys(
        (_T.TEXT, _T.VARCHAR, _T.CHAR, _T.NVARCHAR, _T.NCHAR, _T.BPCHAR, _T.NAME, _T.CHARACTER_SET), Kind.STR
    ),
    **dict.fromkeys(
        (_T.INT, _T.BIGINT, _T.SMALLINT, _T.TINYINT, _T.MEDIUMINT, _T.UINT, _T.UBIGINT), Kind.INT
    ),
    **dict.fromkeys((_T.DECIMAL, _T.DOUBLE, _T.FLOAT, _T.BIGDECIMAL, _T.MONEY), Kind.NUM),
    _T.BOOLEAN: Kind.BOOL,
    _T.DATE: Kind.DATE,
    **dict.fromkeys(
        (_T.TIMESTAMP, _T.TIMESTAMPTZ, _T.DATETIME, _T.TIMESTAMPLTZ, _T.TIMESTAMPNTZ), Kind.DATETIME
    ),
    _T.TIME: Kind.TIME,
    _T.INTERVAL: Kind.INTERVAL,
    **dict.fromkeys((_T.JSON, _T.JSONB), Kind.JSON),
}


@dataclass(frozen=True)
class DialectRules:
    """How a source dialect evaluates the few things the dialects disagree on."""

    sqlglot: str
    int_division: bool  # integer / integer truncates (PostgreSQL, SQLite); MySQL's / is exact
    division_by_zero: Literal["error", "null"]
    # MySQL's default collations compare case- and trailing-space-insensitively ('g' = 'G  ')
    fold_strings: bool
    like_ignores_case: bool  # SQLite (ASCII) and MySQL's default collations
    like_escape: str | None  # the default LIKE escape character; SQLite has none
    regex_ignores_case: bool  # MariaDB's REGEXP follows the collation too
    length_counts_bytes: bool  # MySQL's length() is octet_length(); char_length() counts characters
    date_plus_integer: bool  # PostgreSQL: date + 3 is three days later (MySQL makes a number of it)


DIALECTS: dict[str, DialectRules] = {
    "postgresql": DialectRules("postgres", True, "error", False, False, "\\", False, False, True),
    # MariaDB's default sql_mode (STRICT_TRANS_TABLES, ERROR_FOR_DIVISION_BY_ZERO) refuses an
    # INSERT whose CHECK divides by zero; without it the quotient is NULL and the row passes.
    "mysql": DialectRules("mysql", False, "error", True, True, "\\", True, True, False),
    "sqlite": DialectRules("sqlite", True, "null", False, True, None, False, False, False),
}
DIALECT_ALIASES = {"postgres": "postgresql", "mariadb": "mysql", "sqlite3": "sqlite"}


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
    timestamps add month-wise (Jan 31 + 1 month = Feb 28) rather than as 30 days.
    """

    kind: Kind
    fn: Callable[[Env], Vec]
    columns: frozenset[str] = frozenset()
    months: int = 0

    @property
    def constant(self) -> bool:
        return not self.columns

    def value(self) -> Any:
        """The value of a constant node as a Python/numpy scalar; None for NULL or an error."""
        env = Env({}, 1)
        v = self.fn(env)
        return None if v.null[0] or env.errors[0] else v.values[0]


def vec(kind: Kind, values: np.ndarray, null: np.ndarray) -> Vec:
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


def _to_utc_naive(v: Any) -> np.datetime64:
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


def _to_timedelta(v: Any) -> np.timedelta64:
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
            np.array([FILL[kind] if n else _to_utc_naive(v) for v, n in zip(raw, null, strict=True)]),
            null,
        )
    if kind in (Kind.TIME, Kind.INTERVAL):
        if pd.api.types.is_timedelta64_dtype(dtype):
            return vec(kind, series.to_numpy().astype("timedelta64[us]"), null)
        raw = series.to_numpy(dtype=object)
        out = np.array(
            [FILL[kind] if n else _to_timedelta(v) for v, n in zip(raw, null, strict=True)],
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


# -- casts -------------------------------------------------------------------------------------

_TRUE_WORDS = ("t", "true", "y", "yes", "on", "1")
_FALSE_WORDS = ("f", "false", "n", "no", "off", "0")
_INTERVAL_PART = re.compile(
    r"([+-]?\d+(?:\.\d+)?)\s*(years?|y|mons?|months?|weeks?|w|days?|d|hours?|h|minutes?|mins?|m|"
    r"seconds?|secs?|s|milliseconds?|ms|microseconds?|us)\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"([+-])?(\d+):(\d\d)(?::(\d\d(?:\.\d+)?))?")
_UNIT_US = {"w": 7 * 86_400e6, "d": 86_400e6, "h": 3_600e6, "m": 60e6, "s": 1e6, "ms": 1e3, "us": 1.0}


def parse_interval(text: str) -> tuple[int, np.timedelta64]:
    """``'1 year 2 mons 3 days 04:05:06'`` -> (14 months, 3 days 4:05:06); ``ValueError`` if unread.

    PostgreSQL's and MySQL's unit words; ``ago`` negates. Months stay apart because timestamps
    add them on the calendar."""
    rest = text.strip().lower()
    sign = -1 if rest.endswith(" ago") else 1
    rest = rest.removesuffix(" ago")
    months, micros = 0, 0.0
    for amount, unit in _INTERVAL_PART.findall(rest):
        u = unit.rstrip("s") if unit not in ("ms", "us", "s") else unit
        value = float(amount)
        if u in ("year", "y"):
            months += round(value * 12)
        elif u in ("mon", "month"):
            months += round(value)
        else:
            key = {
                "week": "w",
                "day": "d",
                "hour": "h",
                "minute": "m",
                "min": "m",
                "second": "s",
                "sec": "s",
                "millisecond": "ms",
                "microsecond": "us",
            }.get(u, u)
            micros += value * _UNIT_US[key]
    rest = _INTERVAL_PART.sub(" ", rest).strip()
    if rest:
        m = _CLOCK.fullmatch(rest)
        if not m:
            raise ValueError(f"unreadable interval '{text}'")
        clock = (int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4] or 0)) * 1e6
        micros += -clock if m[1] == "-" else clock
    return sign * months, np.timedelta64(round(sign * micros), "us")


def _interval_us(text: str) -> np.timedelta64:
    # Compared as PostgreSQL compares intervals: a month is 30 days.
    months, rest = parse_interval(text)
    return rest + np.timedelta64(months * 30 * 86_400_000_000, "us")


def _str_of(kind: Kind, v: Any) -> str:
    if kind is Kind.BOOL:
        return "true" if v else "false"
    if kind is Kind.DATE:
        return str(v.astype("datetime64[D]"))
    if kind is Kind.DATETIME:
        return pd.Timestamp(v).isoformat(sep=" ")
    if kind in (Kind.TIME, Kind.INTERVAL):
        t = pd.Timedelta(v)
        return str(t).removeprefix("0 days ") if kind is Kind.TIME else str(t)
    if kind is Kind.JSON:
        return json.dumps(v)
    if kind is Kind.NUM and float(v).is_integer():
        return str(int(v))
    return str(v)


def _parse_one(target: Kind, s: str) -> Any:
    """One string read as ``target``; ``ValueError`` (the database's error) when it cannot be."""
    s = s.strip()
    if target is Kind.INT:
        return int(s)
    if target is Kind.NUM:
        return float(s)
    if target is Kind.BOOL:
        low = s.lower()  # PostgreSQL takes any unambiguous prefix: 'y', 'tr', 'of' ('o' is ambiguous)
        if low and low != "o" and any(w.startswith(low) for w in _TRUE_WORDS):
            return True
        if low and low != "o" and any(w.startswith(low) for w in _FALSE_WORDS):
            return False
        raise ValueError(s)
    if target in TEMPORAL:
        stamp = _to_utc_naive(s)
        return stamp.astype("datetime64[D]").astype("datetime64[us]") if target is Kind.DATE else stamp
    if target is Kind.TIME:
        return _to_timedelta(s)
    if target is Kind.INTERVAL:
        return _interval_us(s)
    if target is Kind.JSON:
        return json.loads(s)
    raise ValueError(s)


def cast_vec(v: Vec, target: Kind, env: Env, length: int | None = None) -> Vec:
    """``v::target``; rows the database would refuse to convert are marked in ``env.errors``."""
    if v.kind is Kind.NULL:
        return full(target, env.n, None)
    if target is Kind.STR:
        if v.kind is Kind.STR:
            out = v.values
        else:
            out = np.array([_str_of(v.kind, x) for x in v.values], dtype=object)
        if length is not None:  # varchar(n)/char(n) casts truncate, they do not fail
            out = np.array([s[:length] for s in out], dtype=object)
        return vec(Kind.STR, out, v.null)
    if v.kind is target or ({v.kind, target} <= TEMPORAL and v.kind is Kind.DATE):
        return Vec(target, v.values, v.null)
    if v.kind is Kind.STR:
        values = np.empty(env.n, dtype=DTYPE[target])
        values[:] = FILL[target]
        bad = np.zeros(env.n, dtype=bool)
        for i in np.flatnonzero(~v.null):
            try:
                values[i] = _parse_one(target, v.values[i])
            except (ValueError, OverflowError):
                bad[i] = True
        env.errors |= bad
        return vec(target, values, v.null)
    if target is Kind.INT and v.kind is Kind.NUM:
        # numeric -> integer rounds half away from zero in all three dialects
        return vec(target, np.sign(v.values) * np.floor(np.abs(v.values) + 0.5), v.null)
    if (v.kind is Kind.BOOL and target in NUMERIC) or (target is Kind.NUM and v.kind is Kind.INT):
        return vec(target, v.values, v.null)
    if target is Kind.BOOL and v.kind in NUMERIC:
        return vec(target, v.values != 0, v.null)
    if target is Kind.DATE and v.kind is Kind.DATETIME:
        return vec(target, v.values.astype("datetime64[D]").astype("datetime64[us]"), v.null)
    if target is Kind.TIME and v.kind is Kind.DATETIME:
        return vec(target, v.values - v.values.astype("datetime64[D]").astype("datetime64[us]"), v.null)
    if target is Kind.INTERVAL and v.kind is Kind.TIME:
        return Vec(target, v.values, v.null)
    raise Unsupported(f"a cast from {v.kind} to {target}")


def castable(source: Kind, target: Kind) -> bool:
    """Whether :func:`cast_vec` handles ``source -> target`` (checked at compile time)."""
    probe = Env({}, 1)
    try:
        cast_vec(full(source, 1, None), target, probe)
    except Unsupported:
        return False
    return True


def fold(values: np.ndarray) -> np.ndarray:
    """MySQL's default collation view of strings: case-insensitive, trailing spaces ignored."""
    return np.array([s.casefold().rstrip(" ") for s in values], dtype=object)


# -- three-valued logic --------------------------------------------------------------------------


def guarded(env: Env, node: Node, live: np.ndarray) -> Vec:
    """Evaluate ``node`` for all rows but keep its errors only on ``live`` rows: the rows on
    which the database actually evaluates it (short-circuit, CASE branches, COALESCE)."""
    before = env.errors.copy()
    out = node.fn(env)
    env.errors = before | (env.errors & live)
    return out


def truth(v: Vec) -> tuple[np.ndarray, np.ndarray]:
    """(definitely TRUE, definitely FALSE) masks of a boolean Vec."""
    known = ~v.null
    values = v.values.astype(bool)
    return known & values, known & ~values


def from_truth(true: np.ndarray, false: np.ndarray) -> Vec:
    return vec(Kind.BOOL, true, ~(true | false))


def and_(a: Vec, b: Vec) -> Vec:
    ta, fa = truth(a)
    tb, fb = truth(b)
    return from_truth(ta & tb, fa | fb)


def or_(a: Vec, b: Vec) -> Vec:
    ta, fa = truth(a)
    tb, fb = truth(b)
    return from_truth(ta | tb, fa & fb)


def not_(a: Vec) -> Vec:
    t, f = truth(a)
    return from_truth(f, t)


# -- the compiler ------------------------------------------------------------------------------

_CMP: dict[type[exp.Expression], str] = {
    exp.EQ: "eq",
    exp.NEQ: "ne",
    exp.GT: "gt",
    exp.GTE: "ge",
    exp.LT: "lt",
    exp.LTE: "le",
}
_ARITH: dict[type[exp.Expression], str] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.IntDiv: "div",
}
_NP_CMP: dict[str, Callable[[Any, Any], Any]] = {
    "eq": np.equal,
    "ne": np.not_equal,
    "gt": np.greater,
    "ge": np.greater_equal,
    "lt": np.less,
    "le": np.less_equal,
}
_POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r"\s",
    "blank": r" \t",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "punct": r"!-/:-@\[-`{-~",
}
_NOW_FUNCTIONS = {
    "now": Kind.DATETIME,
    "statement_timestamp": Kind.DATETIME,
    "transaction_timestamp": Kind.DATETIME,
    "clock_timestamp": Kind.DATETIME,
    "sysdate": Kind.DATETIME,
    "utc_timestamp": Kind.DATETIME,
    "localtimestamp": Kind.DATETIME,
    "curdate": Kind.DATE,
    "utc_date": Kind.DATE,
}
_DAY_US = 86_400_000_000


def like_regex(pattern: str, escape: str | None) -> str:
    """A LIKE pattern as an anchored Python regex: ``%`` any run, ``_`` one character."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if escape and ch == escape and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
        i += 1
    return "".join(out)


def posix_regex(pattern: str) -> str:
    """PostgreSQL/MySQL regex text in Python's dialect: POSIX classes ``[[:digit:]]`` spelled out.
    What remains different (``\\m``, ``\\y``) makes ``re.compile`` fail: left to the database."""
    return re.sub(r"\[:(\w+):\]", lambda m: _POSIX_CLASSES.get(m[1], m[0]), pattern)


def compare_vec(op: str, a: Vec, b: Vec, rules: DialectRules) -> Vec:
    null = a.null | b.null
    if Kind.NULL in (a.kind, b.kind):
        return full(Kind.BOOL, len(null), None)
    x, y = a.values, b.values
    if a.kind != b.kind and {a.kind, b.kind} <= NUMERIC | {Kind.BOOL}:
        as_float = Kind.NUM in (a.kind, b.kind)
        x, y = x.astype(np.float64 if as_float else np.int64), y.astype(np.float64 if as_float else np.int64)
    if a.kind is Kind.STR and rules.fold_strings:
        x, y = fold(x), fold(y)
    return vec(Kind.BOOL, np.asarray(_NP_CMP[op](x, y), dtype=bool), null)


def _trunc_div(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    q = np.floor_divide(x, y)
    return q + ((np.remainder(x, y) != 0) & ((x < 0) ^ (y < 0)))


def _round_half_away(x: np.ndarray, decimals: int) -> np.ndarray:
    scale = 10.0**decimals
    return np.sign(x) * np.floor(np.abs(x) * scale + 0.5) / scale


def _json_ok(v: Any) -> bool:
    if not isinstance(v, str | bytes):
        return True  # dicts, lists, numbers: the writer serialises them as JSON
    try:
        json.loads(v)
    except ValueError:
        return False
    return True


class Compiler:
    """Compiles sqlglot expressions of one table's CHECKs into :class:`Node` trees.

    ``kinds`` maps the columns the evaluator can read to their kind; ``unavailable`` maps the
    others (generated columns, bytes, arrays) to the reason a check reading them is left to the
    database. ``value_column`` is what a domain CHECK's ``VALUE`` stands for. ``now`` is the
    reference time of ``now()``/``CURRENT_DATE`` (naive UTC), fixed so evaluation is repeatable.
    Constant subexpressions are folded once at compile time.
    """

    def __init__(
        self,
        kinds: Mapping[str, Kind],
        rules: DialectRules,
        now: np.datetime64,
        value_column: str | None = None,
        unavailable: Mapping[str, str] | None = None,
    ) -> None:
        self.kinds = dict(kinds)
        self.rules = rules
        self.now = now
        self.value_column = value_column
        self.unavailable = dict(unavailable or {})
        self._handlers: dict[type[exp.Expression], Callable[[Any], Node]] = {
            exp.Paren: lambda e: self.compile(e.this),
            # MySQL 8 prints string literals with their character set: _utf8mb4'G'
            exp.Introducer: lambda e: self.compile(e.expression),
            exp.Column: self._column,
            exp.Literal: self._literal,
            exp.Null: lambda e: self.const(Kind.NULL, None),
            exp.Boolean: lambda e: self.const(Kind.BOOL, bool(e.this)),
            exp.Cast: self._cast,
            exp.And: lambda e: self._logic(and_, e),
            exp.Or: lambda e: self._logic(or_, e),
            exp.Xor: self._xor,
            exp.Not: lambda e: self._map(Kind.BOOL, not_, self.condition(e.this)),
            exp.Is: self._is,
            exp.NullSafeEQ: self._null_safe,
            exp.NullSafeNEQ: self._null_safe,
            exp.In: self._in,
            exp.Between: self._between,
            exp.Like: self._like,
            exp.ILike: self._like,
            exp.Escape: self._escape,
            exp.RegexpLike: self._regex,
            exp.RegexpILike: self._regex,
            exp.Neg: self._neg,
            exp.Length: self._length,
            exp.Lower: lambda e: self._str_map(e, str.lower),
            exp.Upper: lambda e: self._str_map(e, str.upper),
            exp.Trim: self._trim,
            exp.Abs: self._abs,
            exp.Round: self._round,
            exp.Floor: lambda e: self._float_map(e, np.floor),
            exp.Ceil: lambda e: self._float_map(e, np.ceil),
            exp.Coalesce: self._coalesce,
            exp.Nullif: self._nullif,
            exp.Case: self._case,
            exp.If: self._if,
            exp.Interval: self._interval,
            exp.CurrentDate: lambda e: self._now(Kind.DATE),
            exp.CurrentTimestamp: lambda e: self._now(Kind.DATETIME),
            exp.Localtimestamp: lambda e: self._now(Kind.DATETIME),
            exp.CurrentTime: lambda e: self._now(Kind.TIME),
            exp.Anonymous: self._anonymous,
            **dict.fromkeys(_CMP, self._comparison),
            **dict.fromkeys(_ARITH, self._arith),
        }

    # -- entry points ------------------------------------------------------------------------

    def compile(self, e: exp.Expression) -> Node:
        handler = self._handlers.get(type(e))
        if handler is None:
            raise Unsupported(_describe(e, self.rules.sqlglot))
        node = handler(e)
        return self._fold(node) if node.constant else node

    def condition(self, e: exp.Expression) -> Node:
        """``e`` as a truth value (MySQL and SQLite read a number as true when non-zero)."""
        node = self.compile(e)
        if node.kind is Kind.BOOL:
            return node
        if node.kind is Kind.NULL:
            return self.const(Kind.BOOL, None)
        if node.kind in NUMERIC:
            return self._map(Kind.BOOL, lambda v: vec(Kind.BOOL, v.values != 0, v.null), node)
        raise Unsupported(f"{_describe(e, self.rules.sqlglot)} as a condition")

    def column_name(self, e: exp.Expression) -> str | None:
        """The table column an expression names (through parentheses), or None."""
        while isinstance(e, exp.Paren):
            e = e.this
        if not isinstance(e, exp.Column):
            return None
        try:
            return self._resolve(e)
        except Unsupported:
            return None

    def const(self, kind: Kind, value: Any, months: int = 0) -> Node:
        return Node(kind, lambda env: full(kind, env.n, value), months=months)

    def cast(self, node: Node, target: Kind, length: int | None = None) -> Node:
        if node.kind is target and length is None:
            return node
        if node.kind is not Kind.NULL and not castable(node.kind, target):
            raise Unsupported(f"a cast from {node.kind} to {target}")
        return self._fold_if_constant(
            Node(target, lambda env: cast_vec(node.fn(env), target, env, length), node.columns)
        )

    # -- helpers -----------------------------------------------------------------------------

    def _fold(self, node: Node) -> Node:
        env = Env({}, 1)
        v = node.fn(env)
        if env.errors[0]:  # e.g. 1/0: the database refuses every row

            def failing(env: Env, v: Vec = v) -> Vec:
                env.errors |= True
                return full(v.kind, env.n, None)

            return Node(node.kind, failing, months=node.months)
        value = None if v.null[0] else v.values[0]
        return self.const(node.kind, value, node.months)

    def _fold_if_constant(self, node: Node) -> Node:
        return self._fold(node) if node.constant else node

    @staticmethod
    def _map(kind: Kind, f: Callable[[Vec], Vec], node: Node) -> Node:
        return Node(kind, lambda env: f(node.fn(env)), node.columns)

    def _resolve(self, e: exp.Column) -> str:
        name, quoted = e.name, bool(e.this.args.get("quoted"))
        if self.value_column is not None and not quoted and name.upper() == "VALUE":
            name = self.value_column
        known = [*self.kinds, *self.unavailable]
        if name not in known:
            folded = [k for k in known if k.lower() == name.lower()]
            if len(folded) != 1:
                raise Unsupported(f"the unknown column '{name}'")
            name = folded[0]
        if name in self.unavailable:
            raise Unsupported(self.unavailable[name])
        return name

    def _unify(self, nodes: list[Node], what: str) -> tuple[Kind, list[Node]]:
        """One kind for values that meet (comparison sides, CASE branches, COALESCE arguments):
        numbers widen, dates become timestamps, a string constant is read as the other kind."""
        kinds = {n.kind for n in nodes} - {Kind.NULL}
        if not kinds:
            return Kind.NULL, nodes
        if len(kinds) > 1 and Kind.STR in kinds:
            if not all(n.constant for n in nodes if n.kind is Kind.STR):
                raise Unsupported(f"{what} of text with {' and '.join(sorted(kinds - {Kind.STR}))}")
            kinds.discard(Kind.STR)
        if kinds <= NUMERIC | {Kind.BOOL} and len(kinds) > 1:
            target = Kind.NUM if Kind.NUM in kinds else Kind.INT
        elif kinds <= TEMPORAL and len(kinds) > 1:
            target = Kind.DATETIME
        elif kinds == {Kind.TIME, Kind.INTERVAL}:
            target = Kind.INTERVAL
        elif len(kinds) == 1:
            target = kinds.pop()
        else:
            raise Unsupported(f"{what} of {' with '.join(sorted(kinds))}")
        return target, [n if n.kind in (target, Kind.NULL) else self.cast(n, target) for n in nodes]

    # -- leaves ------------------------------------------------------------------------------

    def _column(self, e: exp.Column) -> Node:
        name = self._resolve(e)
        return Node(self.kinds[name], lambda env: env.columns[name], frozenset({name}))

    def _literal(self, e: exp.Literal) -> Node:
        if e.is_string:
            return self.const(Kind.STR, e.this)
        text = str(e.this)
        if re.fullmatch(r"\d+", text) and int(text) < 2**63:
            return self.const(Kind.INT, int(text))
        return self.const(Kind.NUM, float(text))

    def _now(self, kind: Kind) -> Node:
        day = self.now.astype("datetime64[D]").astype("datetime64[us]")
        value = {Kind.DATE: day, Kind.DATETIME: self.now, Kind.TIME: self.now - day}[kind]
        return self.const(kind, value)

    def _interval(self, e: exp.Interval) -> Node:
        unit = e.args.get("unit")
        text = (
            f"{e.this.name if isinstance(e.this, exp.Literal) else e.this.sql()} {unit.name if unit else ''}"
        )
        return self._interval_const(text)

    def _interval_const(self, text: str) -> Node:
        try:
            months, rest = parse_interval(text)
        except ValueError:
            raise Unsupported(f"the interval '{text.strip()}'") from None
        return self.const(Kind.INTERVAL, rest + np.timedelta64(months * 30 * _DAY_US, "us"), months)

    def _cast(self, e: exp.Cast) -> Node:
        to: exp.DataType = e.to
        if to.this == _T.USERDEFINED:
            return self.compile(e.this)  # an enum label or a domain: the value is unchanged
        target = CAST_KIND.get(to.this)
        if target is None:
            raise Unsupported(f"the cast to {to.sql()}")
        inner = self.compile(e.this)
        if target is Kind.INTERVAL and inner.kind is Kind.STR and inner.constant:
            return self._interval_const(str(inner.value()))
        params = [p for p in to.expressions if isinstance(p, exp.DataTypeParam)]
        length = int(params[0].name) if target is Kind.STR and params and params[0].name.isdigit() else None
        return self.cast(inner, target, length)

    # -- logic and comparisons ---------------------------------------------------------------

    def _logic(self, f: Callable[[Vec, Vec], Vec], e: exp.Expression) -> Node:
        return self._chain(f, [self.condition(e.this), self.condition(e.expression)])

    def _chain(self, f: Callable[[Vec, Vec], Vec], nodes: list[Node]) -> Node:
        """``AND``/``OR`` of ``nodes`` left to right. Like the databases, a later operand only
        counts where the result is still open: ``b <> 0 AND a / b > 1`` raises no error where
        ``b = 0``. An empty chain is the operator's identity."""
        if not nodes:  # x = ANY ('{}') is false, x = ALL ('{}') true
            return self.const(Kind.BOOL, f is and_)
        stop = 1 if f is and_ else 0  # AND stops at FALSE, OR at TRUE
        # A constant that decides the result decides it wherever it stands, as PostgreSQL's
        # constant folding does: 1 BETWEEN b / b AND 0 is FALSE, not an error, when b = 0.
        deciding = f is not and_
        if any(n.constant and n.value() is not None and bool(n.value()) is deciding for n in nodes):
            return self.const(Kind.BOOL, deciding)

        def run(env: Env) -> Vec:
            out = nodes[0].fn(env)
            for n in nodes[1:]:
                open_rows = ~truth(out)[stop]
                out = f(out, guarded(env, n, open_rows))
            return out

        return Node(Kind.BOOL, run, frozenset().union(*(n.columns for n in nodes)))

    def _xor(self, e: exp.Xor) -> Node:
        a, b = self.condition(e.this), self.condition(e.expression)

        def run(env: Env) -> Vec:
            va, vb = a.fn(env), b.fn(env)
            return vec(Kind.BOOL, va.values != vb.values, va.null | vb.null)

        return Node(Kind.BOOL, run, a.columns | b.columns)

    def _is(self, e: exp.Is) -> Node:
        inner, target = self.compile(e.this), e.expression
        if isinstance(target, exp.Null):
            node = self._map(Kind.BOOL, lambda v: vec(Kind.BOOL, v.null, np.zeros(len(v.null), bool)), inner)
        elif isinstance(target, exp.Boolean):
            cond, want = self.condition(e.this), bool(target.this)
            node = self._map(
                Kind.BOOL, lambda v: vec(Kind.BOOL, truth(v)[0 if want else 1], v.null & False), cond
            )
        else:
            raise Unsupported(_describe(e, self.rules.sqlglot))
        return self._map(Kind.BOOL, not_, node) if e.args.get("negate") else node

    def compare(self, op: str, a: Node, b: Node) -> Node:
        _, (a, b) = self._unify([a, b], "a comparison")
        if {a.kind, b.kind} == {Kind.JSON}:
            raise Unsupported("a comparison of JSON values")
        rules = self.rules
        return Node(
            Kind.BOOL, lambda env: compare_vec(op, a.fn(env), b.fn(env), rules), a.columns | b.columns
        )

    def _comparison(self, e: exp.Expression) -> Node:
        op, left = _CMP[type(e)], self.compile(e.this)
        over = quantified(e.expression)
        if over is None:
            return self.compare(op, left, self.compile(e.expression))
        combine, items = over
        nodes = [self.compare(op, left, self.compile(item)) for item in items]
        return self._every(or_ if combine == "any" else and_, nodes)

    def _every(self, f: Callable[[Vec, Vec], Vec], nodes: list[Node]) -> Node:
        """``IN (...)`` and ``ANY``/``ALL (ARRAY[...])``: every item is evaluated (the database
        builds the whole list first), so an error anywhere in it counts."""
        if not nodes:
            return self.const(Kind.BOOL, f is and_)

        def run(env: Env) -> Vec:
            out = nodes[0].fn(env)
            for n in nodes[1:]:
                out = f(out, n.fn(env))
            return out

        return Node(Kind.BOOL, run, frozenset().union(*(n.columns for n in nodes)))

    def _null_safe(self, e: exp.Expression) -> Node:
        _, (a, b) = self._unify([self.compile(e.this), self.compile(e.expression)], "a comparison")
        negate, rules = isinstance(e, exp.NullSafeNEQ), self.rules

        def run(env: Env) -> Vec:
            va, vb = a.fn(env), b.fn(env)
            same = compare_vec("eq", va, vb, rules).values
            out = np.where(va.null | vb.null, va.null & vb.null, same)
            return vec(Kind.BOOL, out != negate, np.zeros(env.n, bool))

        return Node(Kind.BOOL, run, a.columns | b.columns)

    def _in(self, e: exp.In) -> Node:
        if e.args.get("query") or e.args.get("unnest") or e.args.get("field"):
            raise Unsupported("IN over a subquery")
        left = self.compile(e.this)
        return self._every(or_, [self.compare("eq", left, self.compile(x)) for x in e.expressions])

    def _between(self, e: exp.Between) -> Node:
        x, low, high = self.compile(e.this), self.compile(e.args["low"]), self.compile(e.args["high"])
        # PostgreSQL plans BETWEEN as x >= low AND x <= high, short-circuit included
        inside = self._chain(and_, [self.compare("ge", x, low), self.compare("le", x, high)])
        if not e.args.get("symmetric"):
            return inside
        swapped = self._chain(and_, [self.compare("ge", x, high), self.compare("le", x, low)])
        return self._chain(or_, [inside, swapped])

    # -- pattern matching --------------------------------------------------------------------

    def _text(self, e: exp.Expression) -> Node:
        node = self.compile(e)
        return node if node.kind is Kind.STR else self.cast(node, Kind.STR)

    def _pattern(self, e: exp.Expression, what: str) -> str | None:
        node = self._text(e)
        if not node.constant:
            raise Unsupported(f"a {what} pattern that is not a constant")
        value = node.value()
        return None if value is None else str(value)

    def _matcher(self, subject: Node, regex: str | None, flags: int, fullmatch: bool) -> Node:
        if regex is None:
            return self.const(Kind.BOOL, None)
        try:
            rx = re.compile(regex, flags)
        except re.error as err:
            raise Unsupported(f"the regular expression '{regex}' ({err})") from None
        test = rx.fullmatch if fullmatch else rx.search

        def run(env: Env) -> Vec:
            v = subject.fn(env)
            hit = np.fromiter((test(s) is not None for s in v.values), dtype=bool, count=env.n)
            return vec(Kind.BOOL, hit, v.null)

        return Node(Kind.BOOL, run, subject.columns)

    def _like(self, e: exp.Like | exp.ILike, escape: str | None = None) -> Node:
        pattern = self._pattern(e.expression, "LIKE")
        esc = escape if escape is not None else self.rules.like_escape
        ignore_case = isinstance(e, exp.ILike) or self.rules.like_ignores_case
        regex = None if pattern is None else like_regex(pattern, esc)
        node = self._matcher(
            self._text(e.this), regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0), True
        )
        return self._map(Kind.BOOL, not_, node) if e.args.get("negate") else node

    def _escape(self, e: exp.Escape) -> Node:
        if not isinstance(e.this, exp.Like | exp.ILike):
            raise Unsupported(f"ESCAPE on {_describe(e.this, self.rules.sqlglot)}")
        return self._like(e.this, self._pattern(e.expression, "ESCAPE") or "")

    def _regex(self, e: exp.RegexpLike | exp.RegexpILike) -> Node:
        flag = e.args.get("flag")
        flags = str(flag.name) if isinstance(flag, exp.Literal) else ""
        ignore_case = (isinstance(e, exp.RegexpILike) or self.rules.regex_ignores_case or "i" in flags) and (
            "c" not in flags
        )
        pattern = self._pattern(e.expression, "regular expression")
        regex = None if pattern is None else posix_regex(pattern)
        return self._matcher(self._text(e.this), regex, re.IGNORECASE if ignore_case else 0, False)

    # -- arithmetic --------------------------------------------------------------------------

    def _arith(self, e: exp.Expression) -> Node:
        op = _ARITH[type(e)]
        a, b = self.compile(e.this), self.compile(e.expression)
        if Kind.INTERVAL in (a.kind, b.kind):  # MySQL: '2030-01-01' + interval 1 day is a date
            a, b = (self.cast(n, Kind.DATETIME) if n.kind is Kind.STR and n.constant else n for n in (a, b))
        if Kind.STR in (a.kind, b.kind) and a.kind is not b.kind:
            _, (a, b) = self._unify([a, b], f"the operator {op}")
        if Kind.NULL in (a.kind, b.kind):
            kind = b.kind if a.kind is Kind.NULL else a.kind
            return self.const(Kind.NULL if kind is Kind.NULL else kind, None)
        kind, f = self._arith_rule(op, a, b)
        return Node(kind, lambda env: f(a.fn(env), b.fn(env), env), a.columns | b.columns)

    def _arith_rule(self, op: str, a: Node, b: Node) -> tuple[Kind, Callable[[Vec, Vec, Env], Vec]]:
        ka, kb = a.kind, b.kind
        if ka in NUMERIC and kb in NUMERIC:
            both_int = ka is kb is Kind.INT
            if op in "+-*":
                kind = Kind.INT if both_int else Kind.NUM
                f = {"+": np.add, "-": np.subtract, "*": np.multiply}[op]
                return kind, lambda x, y, env: vec(kind, f(x.values, y.values), x.null | y.null)
            if op == "/" and not (both_int and self.rules.int_division):
                return Kind.NUM, self._divider(lambda p, q: p / q, Kind.NUM)
            if op in ("/", "div"):
                trunc = _trunc_div if both_int else (lambda p, q: np.trunc(p / q))
                return Kind.INT, self._divider(trunc, Kind.INT)
            kind = Kind.INT if both_int else Kind.NUM
            return kind, self._divider(np.fmod, kind)
        if {ka, kb} <= TEMPORAL | {Kind.INTERVAL, Kind.INT, Kind.TIME} and op in "+-":
            return self._time_rule(op, a, b)
        if ka is Kind.INTERVAL and kb in NUMERIC and op in "*/":
            f = np.multiply if op == "*" else np.divide
            return Kind.INTERVAL, lambda x, y, env: vec(
                Kind.INTERVAL,
                f(x.values.astype(np.int64), y.values).astype("timedelta64[us]"),
                x.null | y.null,
            )
        raise Unsupported(f"the operation {ka} {op} {kb}")

    def _divider(self, f: Callable[[Any, Any], Any], kind: Kind) -> Callable[[Vec, Vec, Env], Vec]:
        error = self.rules.division_by_zero == "error"

        def run(x: Vec, y: Vec, env: Env) -> Vec:
            null = x.null | y.null
            zero = ~null & (y.values == 0)
            if error:
                env.errors |= zero
            safe = np.where(zero, 1, y.values)
            with np.errstate(all="ignore"):
                out = f(x.values, safe)
            return vec(kind, out, null | zero)

        return run

    def _time_rule(self, op: str, a: Node, b: Node) -> tuple[Kind, Callable[[Vec, Vec, Env], Vec]]:
        ka, kb = a.kind, b.kind
        sign = 1 if op == "+" else -1
        if ka in TEMPORAL and kb in TEMPORAL and op == "-":
            if ka is kb is Kind.DATE and self.rules.date_plus_integer:  # date - date = days
                return Kind.INT, lambda x, y, env: vec(
                    Kind.INT, (x.values - y.values) // np.timedelta64(1, "D"), x.null | y.null
                )
            return Kind.INTERVAL, lambda x, y, env: vec(Kind.INTERVAL, x.values - y.values, x.null | y.null)
        if (ka is Kind.DATE and kb is Kind.INT and self.rules.date_plus_integer) or (
            ka is Kind.INT and kb is Kind.DATE and op == "+" and self.rules.date_plus_integer
        ):

            def days(x: Vec, y: Vec, env: Env) -> Vec:
                d, n = (x, y) if x.kind is Kind.DATE else (y, x)
                return vec(Kind.DATE, d.values + sign * n.values * np.timedelta64(1, "D"), x.null | y.null)

            return Kind.DATE, days
        if (kb is Kind.INTERVAL and ka in TEMPORAL | {Kind.TIME}) or (
            ka is Kind.INTERVAL and kb in TEMPORAL and op == "+"
        ):
            stamp, span = (a, b) if kb is Kind.INTERVAL else (b, a)
            months = span.months if span.constant else 0
            kind = Kind.TIME if stamp.kind is Kind.TIME else Kind.DATETIME

            def shift(x: Vec, y: Vec, env: Env) -> Vec:
                s, i = (x, y) if y.kind is Kind.INTERVAL else (y, x)
                if kind is Kind.TIME:
                    day = np.timedelta64(_DAY_US, "us")
                    return vec(kind, (s.values + sign * i.values) % day, s.null | i.null)
                if months:  # calendar months: Jan 31 + 1 month is Feb 28, as the databases do
                    rest = i.values - np.timedelta64(months * 30 * _DAY_US, "us")
                    moved = pd.DatetimeIndex(s.values) + pd.DateOffset(months=sign * months)
                    return vec(kind, moved.to_numpy().astype("datetime64[us]") + sign * rest, s.null | i.null)
                return vec(kind, s.values + sign * i.values, s.null | i.null)

            return kind, shift
        if ka is kb is Kind.INTERVAL or ({ka, kb} == {Kind.TIME, Kind.INTERVAL} and op == "-"):
            f = np.add if op == "+" else np.subtract
            return Kind.INTERVAL, lambda x, y, env: vec(Kind.INTERVAL, f(x.values, y.values), x.null | y.null)
        raise Unsupported(f"the operation {ka} {op} {kb}")

    def _neg(self, e: exp.Neg) -> Node:
        node = self.compile(e.this)
        if node.kind not in NUMERIC | {Kind.INTERVAL, Kind.NULL}:
            raise Unsupported(f"the negation of {node.kind}")
        return Node(
            node.kind,
            lambda env: (lambda v: vec(v.kind, -v.values, v.null))(node.fn(env)),
            node.columns,
            -node.months,
        )

    # -- functions ---------------------------------------------------------------------------

    def _str_map(self, e: exp.Expression, f: Callable[[str], Any], kind: Kind = Kind.STR) -> Node:
        node = self._text(e.this)
        dtype = DTYPE[kind]
        return self._map(
            kind, lambda v: vec(kind, np.array([f(s) for s in v.values], dtype=dtype), v.null), node
        )

    def _length(self, e: exp.Length) -> Node:
        if e.args.get("binary") and self.rules.length_counts_bytes:
            return self._str_map(e, lambda s: len(s.encode()), Kind.INT)
        return self._str_map(e, len, Kind.INT)

    def _trim(self, e: exp.Trim) -> Node:
        chars_node = e.args.get("expression")
        chars = " " if chars_node is None else self._pattern(chars_node, "TRIM")
        if chars is None:
            return self.const(Kind.STR, None)
        position = str(e.args.get("position") or "BOTH").upper()
        strip = {"LEADING": str.lstrip, "TRAILING": str.rstrip}.get(position, str.strip)
        return self._str_map(e, lambda s: strip(s, chars))

    def _numeric(self, e: exp.Expression) -> Node:
        node = self.compile(e)
        if node.kind not in NUMERIC | {Kind.NULL}:
            raise Unsupported(f"{_describe(e, self.rules.sqlglot)} as a number")
        return node

    def _abs(self, e: exp.Abs) -> Node:
        node = self.compile(e.this)
        if node.kind not in NUMERIC | {Kind.INTERVAL, Kind.NULL}:
            raise Unsupported(f"abs() of {node.kind}")
        return self._map(node.kind, lambda v: vec(v.kind, np.abs(v.values), v.null), node)

    def _float_map(self, e: exp.Expression, f: Callable[[np.ndarray], np.ndarray]) -> Node:
        if e.args.get("decimals") is not None:
            raise Unsupported(f"{_describe(e, self.rules.sqlglot)} with decimals")
        node = self._numeric(e.this)
        return self._map(
            node.kind, lambda v: vec(v.kind, f(v.values) if v.kind is Kind.NUM else v.values, v.null), node
        )

    def _round(self, e: exp.Round) -> Node:
        node = self._numeric(e.this)
        places = (
            self._numeric(e.args["decimals"])
            if e.args.get("decimals") is not None
            else self.const(Kind.INT, 0)
        )
        if not places.constant:
            raise Unsupported("round() to a number of places that is not a constant")
        digits = int(places.value() or 0)
        if node.kind is Kind.INT and digits >= 0:
            return node
        return self._map(
            Kind.NUM, lambda v: vec(Kind.NUM, _round_half_away(v.values.astype(float), digits), v.null), node
        )

    def _coalesce(self, e: exp.Coalesce) -> Node:
        kind, nodes = self._unify([self.compile(x) for x in [e.this, *e.expressions]], "COALESCE")

        def run(env: Env) -> Vec:
            out = nodes[0].fn(env)
            values, null = out.values.copy(), out.null.copy()
            for n in nodes[1:]:  # later arguments are only evaluated where all before were NULL
                v = guarded(env, n, null)
                take = null & ~v.null
                values[take] = v.values[take]
                null &= v.null
            return vec(kind, values, null)

        return Node(kind, run, frozenset().union(*(n.columns for n in nodes)))

    def _nullif(self, e: exp.Nullif) -> Node:
        a = self.compile(e.this)
        same = self.compare("eq", a, self.compile(e.expression))
        return Node(
            a.kind,
            lambda env: (lambda v, s: vec(v.kind, v.values, v.null | truth(s)[0]))(a.fn(env), same.fn(env)),
            same.columns,
        )

    def _case(self, e: exp.Case) -> Node:
        subject = e.args.get("this")
        branches = []
        for branch in e.args.get("ifs") or []:
            cond = (
                self.compare("eq", self.compile(subject), self.compile(branch.this))
                if subject is not None
                else self.condition(branch.this)
            )
            branches.append((cond, self.compile(branch.args["true"])))
        default = e.args.get("default")
        return self._branches(
            branches, self.compile(default) if default is not None else self.const(Kind.NULL, None)
        )

    def _if(self, e: exp.If) -> Node:
        other = e.args.get("false")
        otherwise = self.compile(other) if other is not None else self.const(Kind.NULL, None)
        return self._branches([(self.condition(e.this), self.compile(e.args["true"]))], otherwise)

    def _branches(self, branches: list[tuple[Node, Node]], default: Node) -> Node:
        kind, values = self._unify([v for _, v in branches] + [default], "CASE")
        kind = Kind.BOOL if kind is Kind.NULL else kind
        conds = [c for c, _ in branches]

        def run(env: Env) -> Vec:
            out = np.full(env.n, FILL[kind], dtype=DTYPE[kind])
            null = np.ones(env.n, dtype=bool)
            decided = np.zeros(env.n, bool)
            for cond, value in zip(conds, values[:-1], strict=True):
                hit = truth(guarded(env, cond, ~decided))[0] & ~decided
                v = guarded(env, value, hit)
                out[hit], null[hit] = v.values[hit], v.null[hit]
                decided |= hit
            rest = ~decided
            v = guarded(env, values[-1], rest)
            out[rest], null[rest] = v.values[rest], v.null[rest]
            return vec(kind, out, null)

        return Node(kind, run, frozenset().union(*(n.columns for n in [*conds, *values])))

    def _anonymous(self, e: exp.Anonymous) -> Node:
        name = str(e.this).lower()
        if name in _NOW_FUNCTIONS and not e.expressions:
            return self._now(_NOW_FUNCTIONS[name])
        if name == "octet_length" and len(e.expressions) == 1:
            return self._str_map(exp.Length(this=e.expressions[0]), lambda s: len(s.encode()), Kind.INT)
        if name == "json_valid" and len(e.expressions) == 1:
            node = self.compile(e.expressions[0])
            if node.kind not in (Kind.STR, Kind.JSON, Kind.NULL):
                raise Unsupported(f"json_valid() of {node.kind}")
            return self._map(
                Kind.BOOL,
                lambda v: vec(
                    Kind.BOOL, np.fromiter((_json_ok(x) for x in v.values), bool, len(v.values)), v.null
                ),
                node,
            )
        raise Unsupported(f"the function {name}()")


def quantified(e: exp.Expression) -> tuple[Literal["any", "all"], list[exp.Expression]] | None:
    """``= ANY (ARRAY[...])`` / ``<> ALL (ARRAY[...])`` (PostgreSQL's spelling of IN lists): the
    quantifier and the array's elements, each cast to the array's element type when it has one."""
    if isinstance(e, exp.Any):
        combine: Literal["any", "all"] = "any"
        inner = e.this
    elif isinstance(e, exp.All) or (isinstance(e, exp.Anonymous) and str(e.this).upper() == "ALL"):
        combine, inner = (
            "all",
            (e.this if isinstance(e, exp.All) else e.expressions[0] if e.expressions else None),
        )
    else:
        return None
    element_type = None
    while isinstance(inner, exp.Paren | exp.Cast):
        if isinstance(inner, exp.Cast) and inner.to.this == _T.ARRAY and inner.to.expressions:
            element_type = inner.to.expressions[0]
        inner = inner.this
    if not isinstance(inner, exp.Array):
        raise Unsupported(f"{combine.upper()} over something other than an ARRAY[...] literal")
    items = list(inner.expressions)
    if element_type is not None:
        items = [exp.Cast(this=x, to=element_type.copy()) for x in items]
    return combine, items


def _describe(e: exp.Expression, dialect: str) -> str:
    sql = e.sql(dialect=dialect)
    return f"the expression {sql if len(sql) <= 60 else sql[:57] + '...'} ({type(e).__name__})"
