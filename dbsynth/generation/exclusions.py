"""EXCLUDE constraints kept by generated rows (the forms of :mod:`dbsynth.planning.exclusions`).

* Every element ``WITH =``: the columns are one more unique key of the table
  (:func:`with_equal_exclusions`), settled like the others (:mod:`dbsynth.generation.uniques`).
* ``=`` columns and one range column ``WITH &&`` (or the range alone): the ranges already
  written are kept per group of equal values, sorted and disjoint, across the chunks of the
  table (:class:`ExclusionKeeper`). A new range that overlaps one of them moves, its width
  kept, to the first gap at or after its lower bound that holds it, so ranges stay near where
  their model put them. Rows are placed in the order of their lower bounds.

A range with an infinite bound would block every later range of its group: in a kept column
it gets a finite bound instead, its width the chunk's median width. NULL ranges, empty ranges
and rows with a NULL in an ``=`` column never conflict and are left alone. A moved range keeps
the type's bounds or the run stops with a one-line error, and rows whose range moved are
checked again against the table's CHECKs.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from dbsynth.columns.special import RangeValue, Subtype, parse_range, range_bound_text, range_number
from dbsynth.columns.sqltypes import RANGE_SUBTYPES, base_type
from dbsynth.errors import GenerationError
from dbsynth.planning.exclusions import ExclusionForm, kept_exclusions
from dbsynth.schema import Table, UniqueConstraint

DISCRETE = ("int", "date")
# The closed range of each subtype's bounds, in its units (days and seconds since 1970 for
# dates and timestamps, which Python's date and datetime hold up to the year 9999).
_DAYS_TO_9999 = 2_932_896
LIMITS: dict[str, tuple[float, float]] = {
    "int4range": (-(2.0**31), 2.0**31 - 1),
    "int8range": (-(2.0**63), 2.0**63 - 1),
    "numrange": (-math.inf, math.inf),
    "daterange": (-719_162.0, float(_DAYS_TO_9999)),
    "tsrange": (-719_162.0 * 86_400, (_DAYS_TO_9999 + 1) * 86_400.0 - 1),
    "tstzrange": (-719_162.0 * 86_400, (_DAYS_TO_9999 + 1) * 86_400.0 - 1),
}
UNIT = {"int": 1.0, "num": 1.0, "date": 1.0, "ts": 86_400.0, "tstz": 86_400.0}


def with_equal_exclusions(table: Table) -> Table:
    """``table`` with each exclusion whose elements are all ``WITH =`` as one more unique key."""
    extra = tuple(
        UniqueConstraint(f.equal, f.name, "index")
        for f in kept_exclusions(table)
        if f.overlap is None and f.equal and f.equal not in {u.columns for u in table.uniques}
    )
    return replace(table, uniques=table.uniques + extra) if extra else table


@dataclass
class _Span:
    """A non-empty range as numbers; discrete subtypes are always ``[lo, hi)``."""

    lo: float
    lo_inc: bool
    hi: float
    hi_inc: bool


def _before(a: _Span, b: _Span) -> bool:
    """Whether every point of ``a`` is below every point of ``b``."""
    return a.hi < b.lo or (a.hi == b.lo and not (a.hi_inc and b.lo_inc))


class ExclusionKeeper:
    """The ranges written so far under each ``&&`` exclusion of one table, per group."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.forms = tuple(f for f in kept_exclusions(table) if f.overlap is not None)
        self.placed: dict[tuple[str, tuple[object, ...]], tuple[list[float], list[_Span]]] = {}

    def apply(self, frame: pd.DataFrame, recheck: Callable[[pd.DataFrame], np.ndarray] | None) -> None:
        """Move the ranges of ``frame`` (a chunk, in place) that overlap one of their group's;
        ``recheck`` tells which rows still pass the table's CHECKs."""
        for form in self.forms:
            moved = self._apply(form, frame)
            if recheck is not None and moved.any():
                ok = recheck(frame.loc[moved])
                if not ok.all():
                    raise GenerationError(
                        f"table {self.table.key}: ranges of {form.overlap} moved to keep exclusion "
                        f"constraint {form.name} no longer pass the table's CHECKs"
                    )

    def _apply(self, form: ExclusionForm, frame: pd.DataFrame) -> np.ndarray:
        assert form.overlap is not None  # only && forms are kept here
        column = self.table.column(form.overlap)
        type_name = base_type(column.sql_type)
        subtype: Subtype = RANGE_SUBTYPES[type_name]  # type: ignore[assignment]
        values = frame[form.overlap].to_numpy(dtype=object, copy=True)
        groups = [frame[c].to_numpy(dtype=object) for c in form.equal]
        spans: list[_Span | None] = []
        scales: list[int] = []
        for v in values:
            parsed = parse_range(v) if not _missing(v) else None
            spans.append(_span(parsed, subtype) if parsed is not None else None)
            scales.append(_scale(parsed) if parsed is not None and subtype == "num" else 0)
        changed = _finite(spans, subtype)
        order = sorted((i for i, s in enumerate(spans) if s is not None), key=lambda i: spans[i].lo)  # type: ignore[union-attr]
        lo_limit, hi_limit = LIMITS[type_name]
        for i in order:
            key = tuple(g[i] for g in groups)
            if any(_missing(k) for k in key):
                continue
            span = spans[i]
            assert span is not None
            placed = self._place(form.name, key, span, subtype, scales[i])
            if placed is not span:
                if placed.lo < lo_limit or placed.hi > hi_limit:
                    raise GenerationError(
                        f"table {self.table.key}: no room left in {type_name} for the ranges of "
                        f"{form.overlap} under exclusion constraint {form.name}; generate fewer rows"
                    )
                spans[i] = placed
                changed[i] = True
        for j in np.flatnonzero(changed).tolist():
            span = spans[j]
            assert span is not None
            values[j] = _text(span, subtype, scales[j])
        frame[form.overlap] = pd.Series(values, index=frame.index, dtype=object)
        return changed

    def _place(self, name: str, key: tuple[object, ...], span: _Span, subtype: Subtype, scale: int) -> _Span:
        """``span`` itself when it overlaps none of its group's, else the same width in the
        first gap at or after it; recorded either way."""
        los, spans = self.placed.setdefault((name, key), ([], []))
        i = max(bisect.bisect_right(los, span.lo) - 1, 0)
        while i < len(spans) and _before(spans[i], span):
            i += 1
        candidate = span
        while i < len(spans) and not _before(candidate, spans[i]):
            candidate = _after(spans[i], span, subtype, scale)
            i += 1
        los.insert(i, candidate.lo)
        spans.insert(i, candidate)
        return candidate


def _after(blocking: _Span, span: _Span, subtype: Subtype, scale: int) -> _Span:
    """``span`` moved to start where ``blocking`` ends, without touching it."""
    lo = blocking.hi
    if blocking.hi_inc and span.lo_inc:  # continuous subtypes only: discrete ones end open
        lo += 10.0**-scale if subtype == "num" else 1e-6
    return _Span(lo, span.lo_inc, lo + (span.hi - span.lo), span.hi_inc)


def _span(value: RangeValue, subtype: Subtype) -> _Span | None:
    if value.empty:
        return None
    lo, hi = range_number(value.lower, subtype), range_number(value.upper, subtype)
    lo_inc, hi_inc = value.bounds[0] == "[", value.bounds[1] == "]"
    lo = -math.inf if lo is None else lo
    hi = math.inf if hi is None else hi
    if subtype in DISCRETE:
        lo, hi = lo + (0 if lo_inc or math.isinf(lo) else 1), hi + (1 if hi_inc and not math.isinf(hi) else 0)
        return _Span(lo, True, hi, False) if lo < hi else None
    if lo > hi or (lo == hi and not (lo_inc and hi_inc)):
        return None
    return _Span(lo, lo_inc and not math.isinf(lo), hi, hi_inc and not math.isinf(hi))


def _finite(spans: list[_Span | None], subtype: Subtype) -> np.ndarray:
    """Give infinite bounds a finite value (module doc); which spans changed."""
    changed = np.zeros(len(spans), dtype=bool)
    finite = [s for s in spans if s is not None and not (math.isinf(s.lo) or math.isinf(s.hi))]
    width = float(np.median([s.hi - s.lo for s in finite])) if finite else UNIT[subtype]
    width = width if width > 0 else UNIT[subtype]
    start = float(np.median([s.lo for s in finite])) if finite else 0.0
    for i, s in enumerate(spans):
        if s is None or not (math.isinf(s.lo) or math.isinf(s.hi)):
            continue
        if math.isinf(s.lo) and math.isinf(s.hi):
            s.lo, s.hi = start, start + width
        elif math.isinf(s.lo):
            s.lo = s.hi - width
        else:
            s.hi = s.lo + width
        if subtype in DISCRETE:
            s.lo, s.hi = math.floor(s.lo), math.ceil(s.hi)
        s.lo_inc = True
        changed[i] = True
    return changed


def _text(span: _Span, subtype: Subtype, scale: int) -> str:
    lo, hi = range_bound_text(span.lo, subtype, scale), range_bound_text(span.hi, subtype, scale)
    return f"{'[' if span.lo_inc else '('}{lo},{hi}{']' if span.hi_inc else ')'}"


def _scale(value: RangeValue) -> int:
    """The decimals a numrange's bounds are written with (at most 6, as the range model)."""
    digits = [
        len(str(x).split(".")[1]) for x in (value.lower, value.upper) if x is not None and "." in str(x)
    ]
    return min(max(digits, default=0), 6)


def _missing(v: object) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return False
