"""What a CHECK says about the values of its columns, as facts generation can honour by construction.

:class:`Hints` hold per column :class:`ColumnHints` (inclusive bounds, allowed and excluded values,
lengths, patterns, NOT NULL) and :class:`CheckOrder` orderings between columns. They are only
ever *implied* by a check (never stricter than it) and apply to non-NULL values, as a CHECK does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

import pandas as pd

from dbsynth.schema import LogicalType

OrderOp = Literal["<", "<=", ">", ">="]


@dataclass(frozen=True)
class Pattern:
    """A pattern values must match: ``regex`` is Python ``re`` syntax with search semantics
    (a LIKE pattern becomes an anchored regex); ``source`` is the pattern as the check wrote it."""

    regex: str
    source: str
    kind: Literal["regex", "like"]
    ignore_case: bool = False

    def describe(self) -> str:
        op = {("like", False): "like", ("like", True): "ilike", ("regex", False): "~", ("regex", True): "~*"}
        return f"{op[self.kind, self.ignore_case]} {show(self.source)}"


@dataclass(frozen=True)
class ColumnHints:
    """What the checks say about one column's non-NULL values. ``low``/``high`` are inclusive
    (``int`` for integers, ``float`` for decimals and floats, ``pd.Timestamp`` for dates and
    timestamps, ``pd.Timedelta`` for times and intervals); ``allowed`` is None when any value
    may do, and never holds a value the bounds, exclusions or lengths rule out. ``padded`` is
    set for a blank-padded ``char(n)``, whose trailing blanks the checks do not see."""

    column: str
    logical: LogicalType
    scale: int | None = None
    low: Any = None
    high: Any = None
    allowed: tuple[Any, ...] | None = None
    excluded: tuple[Any, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    patterns: tuple[Pattern, ...] = ()
    not_null: bool = False
    padded: bool = False

    def merge(self, other: ColumnHints) -> ColumnHints:
        """Both sets of facts at once (the tighter bound wins, allowed sets intersect)."""
        allowed = self.allowed
        if other.allowed is not None:
            allowed = other.allowed if allowed is None else tuple(v for v in allowed if v in other.allowed)
        merged = replace(
            self,
            low=_pick(max, self.low, other.low),
            high=_pick(min, self.high, other.high),
            allowed=allowed,
            excluded=unique(self.excluded + other.excluded),
            min_length=_pick(max, self.min_length, other.min_length),
            max_length=_pick(min, self.max_length, other.max_length),
            patterns=unique(self.patterns + other.patterns),
            not_null=self.not_null or other.not_null,
        )
        return merged.consistent()

    def consistent(self) -> ColumnHints:
        """Drop from ``allowed`` what the other facts rule out."""
        if self.allowed is None:
            return self
        return replace(self, allowed=tuple(v for v in self.allowed if self.admits(v)))

    def admits(self, value: Any) -> bool:
        """Whether a non-NULL value satisfies the bounds, exclusions and lengths (not patterns)."""
        if value in self.excluded:
            return False
        if self.allowed is not None and value not in self.allowed:
            return False
        try:
            if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
                return False
        except TypeError:
            return False
        n = len(value) if isinstance(value, str) else None
        if n is not None and (self.min_length or 0) > n:
            return False
        return not (n is not None and self.max_length is not None and n > self.max_length)

    def describe(self) -> str:
        show = self.show
        parts = ["not null"] if self.not_null else []
        parts += [f">= {show(self.low)}"] if self.low is not None else []
        parts += [f"<= {show(self.high)}"] if self.high is not None else []
        if self.allowed is not None:
            parts.append(f"in ({', '.join(show(v) for v in self.allowed)})")
        if self.excluded:
            parts.append(f"not in ({', '.join(show(v) for v in self.excluded)})")
        parts += [f"length >= {self.min_length}"] if self.min_length is not None else []
        parts += [f"length <= {self.max_length}"] if self.max_length is not None else []
        parts += [p.describe() for p in self.patterns]
        return f"{self.column}: {', '.join(parts)}"

    def show(self, v: Any) -> str:
        if self.logical is LogicalType.DATE and isinstance(v, pd.Timestamp):
            return f"'{v.date().isoformat()}'"
        if self.logical is LogicalType.TIME and isinstance(v, pd.Timedelta):
            return f"'{str(v).removeprefix('0 days ')}'"
        return show(v)


@dataclass(frozen=True)
class CheckOrder:
    """``left op right`` holds whenever both are non-NULL (``shipped_at >= created_at``)."""

    left: str
    op: OrderOp
    right: str

    def describe(self) -> str:
        return f"{self.left} {self.op} {self.right}"


@dataclass(frozen=True)
class Hints:
    """Per-column facts and column orderings, in the order the checks state them."""

    columns: tuple[ColumnHints, ...] = ()
    orderings: tuple[CheckOrder, ...] = ()

    def column(self, name: str) -> ColumnHints | None:
        return next((h for h in self.columns if h.column == name), None)

    def merge(self, other: Hints) -> Hints:
        merged = {h.column: h for h in self.columns}
        for h in other.columns:
            merged[h.column] = merged[h.column].merge(h) if h.column in merged else h
        return Hints(tuple(merged.values()), unique(self.orderings + other.orderings))

    def describe(self) -> tuple[str, ...]:
        """One line per column and per ordering: what ``--dry-run`` prints and fixtures expect."""
        return tuple(h.describe() for h in self.columns) + tuple(o.describe() for o in self.orderings)


def _pick(f: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else f(a, b)


def unique(items: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def show(v: Any) -> str:
    if isinstance(v, str):
        return "'" + v.replace("'", "''") + "'"
    if isinstance(v, pd.Timestamp):
        return f"'{v.isoformat(sep=' ')}'"
    if isinstance(v, pd.Timedelta):
        return f"'{v}'"
    return repr(v) if isinstance(v, float) else str(v)
