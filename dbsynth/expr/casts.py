"""Converting values between kinds: casts, values as text, text read as values, intervals."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from dbsynth.expr.values import (
    DTYPE,
    FILL,
    NUMERIC,
    TEMPORAL,
    Env,
    Kind,
    Unsupported,
    Vec,
    full,
    to_timedelta,
    to_utc_naive,
    vec,
)

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
DAY_US = 86_400_000_000

_TRUE_WORDS = ("t", "true", "y", "yes", "on", "1")
_FALSE_WORDS = ("f", "false", "n", "no", "off", "0")
_INTERVAL_PART = re.compile(
    r"([+-]?\d+(?:\.\d+)?)\s*(years?|y|mons?|months?|weeks?|w|days?|d|hours?|h|minutes?|mins?|m|"
    r"seconds?|secs?|s|milliseconds?|ms|microseconds?|us)\b",
    re.IGNORECASE,
)
_CLOCK = re.compile(r"([+-])?(\d+):(\d\d)(?::(\d\d(?:\.\d+)?))?")
_UNIT_US = {"w": 7 * 86_400e6, "d": 86_400e6, "h": 3_600e6, "m": 60e6, "s": 1e6, "ms": 1e3, "us": 1.0}
_UNIT_KEY = {
    "week": "w",
    "day": "d",
    "hour": "h",
    "minute": "m",
    "min": "m",
    "second": "s",
    "sec": "s",
    "millisecond": "ms",
    "microsecond": "us",
}


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
            micros += value * _UNIT_US[_UNIT_KEY.get(u, u)]
    rest = _INTERVAL_PART.sub(" ", rest).strip()
    if rest:
        m = _CLOCK.fullmatch(rest)
        if not m:
            raise ValueError(f"unreadable interval '{text}'")
        clock = (int(m[2]) * 3600 + int(m[3]) * 60 + float(m[4] or 0)) * 1e6
        micros += -clock if m[1] == "-" else clock
    return sign * months, np.timedelta64(round(sign * micros), "us")


def interval_us(text: str) -> np.timedelta64:
    """An interval as one span, compared as PostgreSQL compares intervals: a month is 30 days."""
    months, rest = parse_interval(text)
    return rest + np.timedelta64(months * 30 * DAY_US, "us")


# -- values as text ----------------------------------------------------------------------------


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


def as_text(v: Vec, python: bool = False) -> np.ndarray:
    """The text of each value ('' under NULL), as the databases print it: booleans true/false,
    dates ISO, timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff]``, whole decimals without a fraction.
    With ``python`` (the formula language), numbers are as Python prints them (``2.0``) and a
    timestamp's fraction has the digits it needs (``.5`` rather than ``.500000``)."""
    if v.kind is Kind.STR:
        text = v.values.copy()
    elif v.kind is Kind.NULL:
        text = np.full(len(v.null), "", dtype=object)
    elif python and v.kind is Kind.DATETIME:
        stamps = [s.replace("T", " ") for s in np.datetime_as_string(v.values, unit="auto")]
        text = np.array([s if len(s) > 10 else s + " 00:00:00" for s in stamps], dtype=object)
    elif python and v.kind is Kind.NUM:
        text = np.array([str(x) for x in v.values.tolist()], dtype=object)
    else:
        text = np.array([_str_of(v.kind, x) for x in v.values], dtype=object)
    text[v.null] = ""
    return text


# -- casts -------------------------------------------------------------------------------------


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
        stamp = to_utc_naive(s)
        return stamp.astype("datetime64[D]").astype("datetime64[us]") if target is Kind.DATE else stamp
    if target is Kind.TIME:
        return to_timedelta(s)
    if target is Kind.INTERVAL:
        return interval_us(s)
    if target is Kind.JSON:
        return json.loads(s)
    raise ValueError(s)


def cast_vec(v: Vec, target: Kind, env: Env, length: int | None = None, python_text: bool = False) -> Vec:
    """``v::target``; rows the database would refuse to convert are marked in ``env.errors``.
    ``python_text`` is :func:`as_text`'s ``python`` for a cast to text."""
    if v.kind is Kind.NULL:
        return full(target, env.n, None)
    if target is Kind.STR:
        out = as_text(v, python_text)
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
