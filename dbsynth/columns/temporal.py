"""Dates, times, timestamps and intervals: numbers on their epoch, plus calendar patterns.

A :class:`TemporalModel` turns every value into an integer count of ``resolution_us``
microseconds (since 1970-01-01 for dates and timestamps, since midnight for times, the length
for intervals) and models that count with a :class:`~dbsynth.columns.numeric.NumericModel`, so
trends, point masses (a default ``'2006-02-15 04:34:33'``) and the privacy rule of numbers all
carry over. ``resolution_us`` is the coarsest of day, hour, minute, second, millisecond and
microsecond that divides every value: timestamps that are all at midnight come back at
midnight, appointment times on whole minutes stay on whole minutes.

Calendar patterns, kept only where they are strong, because a quantile grid over years cannot
see them (a grid cell spans days):

* **weekday** (dates and timestamps spanning at least 4 weeks): the 7 weekday shares, stored
  when their total-variation distance from uniform is at least ``WEEKDAY_STRENGTH``. A
  generated day is moved by at most 3 days to a weekday drawn from the profile, so the
  weekday mix is the fitted one and the trend moves by less than half a week.
* **time of day** (timestamps spanning at least 2 days, finer than a day): a second numeric
  model of the time since midnight, which carries business hours, night lulls and midnight
  point masses. A generated timestamp keeps its day and takes a time of day from this model.

Both layers leave the epoch model's point masses alone (a default timestamp keeps its exact day
and time) and are fitted on the other values only. They draw their extra randomness from
``rng``; the copula's uniform drives the epoch value, so correlations with other columns act on
where in the range a value falls. Weekdays and times of day are those of UTC for
``timestamptz`` (values are normalised to UTC).

Output types, per logical type: ``date`` → ``datetime.date`` objects, ``time`` →
``datetime.time``, ``timestamp`` → ``datetime64[us]``, ``timestamptz`` → ``datetime64[us, UTC]``,
``interval`` → ``timedelta64[us]``, always as a pandas Series. Dates and timestamps stay within
years 1–9999 (what Python and every target can hold); times within ``[00:00, 24:00)``, so a MySQL
``TIME`` used as a duration beyond a day is clipped.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.columns.numeric import PROB_DECIMALS, NumericModel
from dbsynth.schema import Column, LogicalType

Temporal = Literal["date", "time", "timestamp", "timestamptz", "interval"]

MICROSECOND = 1
MILLISECOND = 1_000
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
_RESOLUTIONS = (DAY, HOUR, MINUTE, SECOND, MILLISECOND, MICROSECOND)
_RESOLUTION_WORDS = {DAY: "whole days", HOUR: "whole hours", MINUTE: "whole minutes", SECOND: "whole seconds"}

_EPOCH = dt.date(1970, 1, 1)
FIRST_DAY = dt.date(1, 1, 1).toordinal() - _EPOCH.toordinal()
LAST_DAY = dt.date(9999, 12, 31).toordinal() - _EPOCH.toordinal()
_EPOCH_WEEKDAY = _EPOCH.weekday()  # Thursday: day 0 of the epoch is weekday 3 (Monday = 0)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

WEEKDAY_MIN_SPAN_DAYS = 28
WEEKDAY_STRENGTH = 0.05
TIME_OF_DAY_MIN_SPAN_DAYS = 2

_LOGICAL: dict[LogicalType, Temporal] = {
    LogicalType.DATE: "date",
    LogicalType.TIME: "time",
    LogicalType.TIMESTAMP: "timestamp",
    LogicalType.TIMESTAMPTZ: "timestamptz",
    LogicalType.INTERVAL: "interval",
}


def temporal_kind(column: Column) -> Temporal:
    """The temporal flavour of ``column`` (raises ``ValueError`` for a non-temporal column)."""
    try:
        return _LOGICAL[column.logical]
    except KeyError:
        raise ValueError(f"column {column.name} is {column.logical.value}, not a date/time type") from None


def to_microseconds(values: pd.Series, temporal: Temporal) -> tuple[np.ndarray, np.ndarray]:
    """``(int64 microseconds, valid mask)``: since the epoch (dates, timestamps, in UTC for
    tz-aware values), since midnight (times, ``timedelta`` for MySQL), or the length (intervals).
    Accepts Python objects, numpy/pandas datetime-likes and ISO text (SQLite)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    series = series.reset_index(drop=True)
    if temporal == "interval":
        deltas = pd.to_timedelta(series, errors="coerce")
        raw = deltas.to_numpy(dtype="timedelta64[us]")
        return raw.astype(np.int64), ~np.isnat(raw)
    if temporal == "time":
        return _time_microseconds(series)
    stamps = pd.to_datetime(series, utc=True, errors="coerce", format="mixed")
    raw = stamps.dt.tz_localize(None).to_numpy(dtype="datetime64[us]")
    us, ok = raw.astype(np.int64), ~np.isnat(raw)
    if temporal == "date":  # a date is its day, whatever time a driver attached to it
        us = np.floor_divide(us, DAY) * DAY
    return us, ok


def _time_microseconds(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if series.dtype.kind == "m":
        raw = series.to_numpy(dtype="timedelta64[us]")
        return raw.astype(np.int64), ~np.isnat(raw)
    out = np.zeros(len(series), dtype=np.int64)
    ok = np.ones(len(series), dtype=bool)
    for i, v in enumerate(series.tolist()):
        if isinstance(v, str):
            try:
                v = dt.time.fromisoformat(v)
            except ValueError:
                ok[i] = False
                continue
        if isinstance(v, dt.datetime):
            v = v.time()
        if isinstance(v, dt.time):
            out[i] = ((v.hour * 60 + v.minute) * 60 + v.second) * SECOND + v.microsecond
        elif isinstance(v, dt.timedelta | pd.Timedelta):
            out[i] = v // dt.timedelta(microseconds=1)
        else:
            ok[i] = False
    return out, ok


def _resolution(us: np.ndarray, temporal: Temporal) -> int:
    if temporal == "date":
        return DAY
    candidates = _RESOLUTIONS[1:] if temporal == "time" else _RESOLUTIONS
    for res in candidates:
        if np.all(np.mod(us, res) == 0):
            return res
    return MICROSECOND


def _bounds(temporal: Temporal, res: int) -> tuple[float, float]:
    """Valid range in units of ``res``: years 1–9999, or one day for times."""
    if temporal == "time":
        return 0.0, float(DAY // res - 1)
    if temporal == "interval":
        return -np.inf, np.inf
    return float(FIRST_DAY * (DAY // res)), float((LAST_DAY + 1) * (DAY // res) - 1)


def weekday_of(days: np.ndarray) -> np.ndarray:
    """Monday = 0 … Sunday = 6 for days since 1970-01-01."""
    return np.mod(days + _EPOCH_WEEKDAY, 7)


@register("temporal")
@dataclass(frozen=True)
class TemporalModel(ColumnModel):
    """Epoch model plus optional calendar layers (module doc).

    Invariants: ``epoch`` counts units of ``resolution_us`` (a divisor-chain member of one day);
    ``weekday`` is empty or 7 shares Monday→Sunday summing to 1 (rounded); ``time_of_day``
    counts the same units since midnight and is set only for timestamps finer than a day.
    """

    temporal: Temporal
    resolution_us: int
    epoch: NumericModel
    weekday: tuple[float, ...] = ()
    time_of_day: NumericModel | None = None

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> TemporalModel:
        temporal = temporal_kind(column)
        us, ok = to_microseconds(values, temporal)
        us = us[ok]
        res = _resolution(us, temporal) if us.size else SECOND
        units = (us // res).astype(np.float64)
        epoch = NumericModel.from_array(
            units, number="integer", bounds=_bounds(temporal, res), ctx=ctx, shape=False
        )
        if epoch.empty and temporal in ("date", "timestamp", "timestamptz"):
            # Too few values to keep any (a 2-row table's last_update): the epoch itself
            # (1970-01-01 00:00) is outside some types' ranges (MySQL TIMESTAMP starts one
            # second later) and says nothing; the day of the fit is a value no one can trace.
            res = DAY
            today = float((dt.date.today() - _EPOCH).days)
            epoch = NumericModel.from_array(
                np.full(max(ctx.min_count, 1), today),
                number="integer",
                bounds=_bounds(temporal, res),
                ctx=ctx,
                shape=False,
            )
        weekday: tuple[float, ...] = ()
        time_of_day = None
        us = us[~np.isin(units, epoch.atoms)]  # point masses keep their exact day and time
        if temporal in ("date", "timestamp", "timestamptz") and us.size >= ctx.min_count:
            days = np.floor_divide(us, DAY)
            span = int(days.max() - days.min())
            if span >= WEEKDAY_MIN_SPAN_DAYS:
                shares = np.bincount(weekday_of(days), minlength=7) / days.size
                if 0.5 * np.abs(shares - 1 / 7).sum() >= WEEKDAY_STRENGTH:
                    weekday = tuple(round(float(s), PROB_DECIMALS) for s in shares)
            if res < DAY and span >= TIME_OF_DAY_MIN_SPAN_DAYS:
                tod = (np.mod(us, DAY) // res).astype(np.float64)
                time_of_day = NumericModel.from_array(
                    tod, number="integer", bounds=(0.0, float(DAY // res - 1)), ctx=ctx, shape=False
                )
        return cls(temporal, res, epoch, weekday, time_of_day)

    def check(self) -> None:
        """The invariants of the class docstring, and the type's range (a model file is untrusted
        input): the epoch of a date counts days, every value lies in years 1-9999 (one day for a
        time of day) and stays a 64-bit count of microseconds."""
        res = self.resolution_us
        inv.require(res in _RESOLUTIONS, "resolution_us", f"{res} is not one of {_RESOLUTIONS}")
        inv.require(self.temporal != "date" or res == DAY, "resolution_us", f"is {res}, a date counts days")
        inv.require(
            self.temporal != "time" or res < DAY, "resolution_us", "is a day, a time of day is shorter"
        )
        inv.require(self.epoch.number == "integer", "epoch.number", "is not 'integer'")
        low, high = _bounds(self.temporal, res)
        if self.temporal == "interval":
            low = high = float(2**62 // res)
            low = -low
        inv.require(self.epoch.lower >= low, "epoch.lower", "is before the first value the type holds")
        inv.require(self.epoch.upper <= high, "epoch.upper", "is after the last value the type holds")
        if self.weekday:
            inv.require(len(self.weekday) == 7, "weekday", f"has {len(self.weekday)} shares, not 7")
            inv.shares("weekday", self.weekday, total=1.0)
        tod = self.time_of_day
        if tod is not None:
            inv.require(res < DAY, "time_of_day", "is set for values of whole days")
            inv.require(tod.number == "integer", "time_of_day.number", "is not 'integer'")
            inv.require(tod.lower >= 0, "time_of_day.lower", "is before midnight")
            inv.require(tod.upper < DAY // res, "time_of_day.upper", "is a day or more after midnight")

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        us, ok = to_microseconds(values, self.temporal)
        units = np.where(ok, np.round(us / self.resolution_us), np.nan)
        u = self.epoch.to_uniform(pd.Series(units), rng)
        return clip_unit(u)

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> pd.Series:
        res = self.resolution_us
        drawn, from_atom = self.epoch.draw(np.asarray(u, dtype=np.float64))
        us = drawn.astype(np.int64) * res
        free = ~from_atom
        if (self.weekday or self.time_of_day is not None) and free.any():
            days, tod = np.divmod(us[free], DAY)
            # the days holding the first and last representable instants of the fitted range
            lo_day = math.ceil(self.epoch.lower) * res // DAY
            hi_day = math.floor(self.epoch.upper) * res // DAY
            if self.weekday:
                p = np.asarray(self.weekday) / np.sum(self.weekday)
                days = _shift_to_weekday(days, rng.choice(7, size=days.size, p=p), lo_day, hi_day)
            days = np.clip(days, lo_day, hi_day)
            if self.time_of_day is not None:
                tod = self.time_of_day.from_uniform(rng.random(days.size), rng).astype(np.int64) * res
            # A time of day that falls outside the range on its boundary day moves to the next
            # (previous) day: the time of day is the pattern worth keeping, one day is not.
            lo_us, hi_us = math.ceil(self.epoch.lower) * res, math.floor(self.epoch.upper) * res
            days = days + (days * DAY + tod < lo_us) - (days * DAY + tod > hi_us)
            us[free] = np.clip(days * DAY + tod, lo_us, hi_us)
        return self._values(us)

    def _values(self, us: np.ndarray) -> pd.Series:
        lo, hi = _bounds(self.temporal, MICROSECOND)
        if np.isfinite(lo):
            us = np.clip(us, int(lo), int(hi))
        if self.temporal == "date":
            days = (us // DAY).astype("datetime64[D]")
            return pd.Series(days.astype(object), dtype=object)
        if self.temporal == "time":
            stamps = us.astype("datetime64[us]").astype(object)
            return pd.Series([s.time() for s in stamps], dtype=object)
        if self.temporal == "interval":
            return pd.Series(us.astype("timedelta64[us]"))
        series = pd.Series(us.astype("datetime64[us]"))
        return series.dt.tz_localize("UTC") if self.temporal == "timestamptz" else series

    def describe(self) -> str:
        res = self.resolution_us
        if self.epoch.empty:
            return (
                f"{self.temporal}: no value frequent enough to keep; generates {self._fmt(self.epoch.lower)}"
            )
        median = float(self.epoch.ppf(np.array([0.5]))[0])
        parts = [
            f"{self.temporal}, {self._fmt(self.epoch.lower)} … {self._fmt(self.epoch.upper)}",
            f"median {self._fmt(median)}",
        ]
        if self.temporal != "date" and res in _RESOLUTION_WORDS:
            parts.append(_RESOLUTION_WORDS[res])
        w, _ = self.epoch._weights()
        if w.size:
            share, atom = max(zip(w.tolist(), self.epoch.atoms, strict=True))
            parts.append(f"{share:.0%} at {self._fmt(atom)}")
        if self.weekday:
            weekend = self.weekday[5] + self.weekday[6]
            top = WEEKDAYS[int(np.argmax(self.weekday))]
            parts.append(f"weekday profile (weekends {weekend:.0%}, busiest {top})")
        if self.time_of_day is not None and not self.time_of_day.empty:
            q10, q90 = self.time_of_day.ppf(np.array([0.1, 0.9])) * res
            parts.append(f"80% of times of day {_clock(q10)}–{_clock(q90)}")
        return ", ".join(parts)

    def _fmt(self, units: float) -> str:
        us = round(units) * self.resolution_us
        if self.temporal == "interval":
            return str(pd.Timedelta(microseconds=us))
        if self.temporal == "time":
            return _clock(us)
        if self.temporal == "date":
            return (_EPOCH + dt.timedelta(days=us // DAY)).isoformat()
        stamp = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=us)
        text = stamp.isoformat(sep=" ", timespec="seconds" if us % SECOND == 0 else "microseconds")
        return text + (" UTC" if self.temporal == "timestamptz" else "")


def _clock(us: float) -> str:
    seconds = int(us // SECOND)
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _shift_to_weekday(days: np.ndarray, target: np.ndarray, lo_day: float, hi_day: float) -> np.ndarray:
    """Move each day by −3…+3 days onto its target weekday; a week back or forth when that
    leaves the fitted range (ranges shorter than a week are clipped by the caller)."""
    shifted = days + np.mod(target - weekday_of(days) + 3, 7) - 3
    shifted = np.where(shifted < lo_day, shifted + 7, shifted)
    return np.where(shifted > hi_day, shifted - 7, shifted)
