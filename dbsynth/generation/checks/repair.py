"""Making a batch satisfy the CHECKs: hints applied by construction, then resampling of the rows
that still fail."""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from dbsynth.errors import GenerationError
from dbsynth.generation.checks.compile import CompiledCheck
from dbsynth.generation.checks.hints import ColumnHints, Hints, show


def _nearest(value: Any, allowed: Sequence[Any]) -> Any:
    if isinstance(value, str):
        folded = {str(a).casefold(): a for a in allowed}
        if value.casefold() in folded:
            return folded[value.casefold()]
        # A stable choice (not Python's salted hash), so the same batch always repairs the same way.
        return allowed[zlib.crc32(value.encode()) % len(allowed)]
    try:
        return min(allowed, key=lambda a: (abs(a - value), str(a)))
    except TypeError:
        return allowed[0]


def _apply_column(s: pd.Series, h: ColumnHints) -> pd.Series:
    live = s.notna().to_numpy(dtype=bool)
    aware = isinstance(s.dtype, pd.DatetimeTZDtype)

    def own(v: Any) -> Any:  # hint values are naive UTC; a timestamptz batch is UTC-aware
        return pd.Timestamp(v).tz_localize("UTC") if aware and v is not None else v

    def seen(v: Any) -> Any:  # the value as the checks see it: a char(n) without trailing blanks
        return v.rstrip(" ") if h.padded and isinstance(v, str) else v

    if h.allowed:
        allowed = [own(v) for v in h.allowed]
        bad = live & ~(s.map(seen) if h.padded else s).isin(allowed).to_numpy(dtype=bool)
        if bad.any():
            s = s.copy()
            s.iloc[np.flatnonzero(bad)] = [_nearest(seen(v), allowed) for v in s.iloc[np.flatnonzero(bad)]]
    if h.low is not None or h.high is not None:
        with contextlib.suppress(TypeError):  # a driver's Decimal objects: left to evaluation
            s = s.clip(lower=own(h.low), upper=own(h.high))
    if h.min_length is not None or h.max_length is not None:
        lo, hi = h.min_length or 0, h.max_length

        def fit(v: Any) -> Any:
            if not isinstance(v, str):
                return v
            text = seen(v)
            if len(text) < lo:  # repeat the value's own characters rather than invent new ones
                v = text = (text * (lo // len(text) + 1))[:lo] if text else "x" * lo
            return text[:hi] if hi is not None and len(text) > hi else v

        at = np.flatnonzero(live)
        fitted = [fit(v) for v in s.iloc[at]]
        if fitted != list(s.iloc[at]):
            s = s.copy()
            s.iloc[at] = fitted
    return s


def apply_hints(frame: pd.DataFrame, hints: Hints) -> pd.DataFrame:
    """A copy of ``frame`` with bounds, allowed sets and lengths enforced by construction:
    numbers, dates and times clamped into their bounds, a value outside its allowed set replaced
    by the nearest allowed one (same text ignoring case, else a stable pick), strings padded or
    cut to their length bounds. NULLs are left alone; exclusions, patterns, NOT NULL and
    orderings are left to :func:`repair`. Deterministic: the same frame gives the same result."""
    out = frame.copy()
    for h in hints.columns:
        if h.column in out.columns:
            out[h.column] = _apply_column(out[h.column], h)
    return out


@dataclass(frozen=True)
class RepairResult:
    """The repaired batch; ``rounds`` of resampling it took (0: nothing failed), rows
    ``resampled`` over all rounds, and per check the rows that failed before any repair."""

    frame: pd.DataFrame
    rounds: int
    resampled: int
    violations: tuple[tuple[str, int], ...]


# Rounds of resampling before a check's fallback assignment (fallback.py) is written into the
# rows that still fail it: resampling first keeps the rows' own values wherever it can.
FALLBACK_AFTER = 3


def _assign(frame: pd.DataFrame, mask: np.ndarray, assignment: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    out = frame.copy()
    at = np.flatnonzero(mask)
    for column, value in assignment:
        if column not in out.columns:
            continue
        s = out[column]
        if value is None:
            if s.dtype.kind in "iub":  # a NumPy int/bool column holds no NULL: widen it
                s = s.astype(object)
            s = s.copy()
            s.iloc[at] = None
        else:
            s = s.astype(object) if s.dtype.kind in "iub" and not isinstance(value, int) else s.copy()
            s.iloc[at] = value
        out[column] = s
    return out


def _show_value(v: Any) -> str:
    if v is None or (not isinstance(v, list | tuple | dict | np.ndarray) and pd.isna(v)):
        return "NULL"
    if isinstance(v, pd.Timestamp | datetime):
        return f"'{pd.Timestamp(v).isoformat(sep=' ')}'"
    return show(v)


def repair(
    frame: pd.DataFrame,
    checks: Sequence[CompiledCheck],
    resample: Callable[[np.ndarray], pd.DataFrame],
    max_rounds: int = 20,
    *,
    hints: Hints | None = None,
    blame: Callable[[Sequence[tuple[CompiledCheck, np.ndarray]]], None] | None = None,
) -> RepairResult:
    """Replace the rows that violate any check with rows from ``resample`` until none does.

    ``resample(mask)`` gets a bool array over the batch's rows and returns one fresh candidate
    row per True position, in position order, with the batch's columns (its index is ignored).
    ``blame``, when given, is told before each ``resample`` which rows fail which check (one
    mask per check, over the batch's rows). With ``hints``, fresh rows go through
    :func:`apply_hints` first. After ``max_rounds`` rounds
    a :class:`GenerationError` names the table, the check and one offending row: only generated
    values, never source data. The returned frame keeps ``frame``'s index and dtypes.
    """
    out = frame.reset_index(drop=True)
    resampled, violations = 0, None
    for rounds in range(max_rounds + 1):
        failing = [(c, ~c.evaluate(out)) for c in checks]
        if rounds >= FALLBACK_AFTER and any(c.fallback and m.any() for c, m in failing):
            for c, mask in failing:
                if c.fallback and mask.any():
                    out = _assign(out, mask, c.fallback)
            failing = [(c, ~c.evaluate(out)) for c in checks]
        bad = np.zeros(len(out), dtype=bool)
        for _, mask in failing:
            bad |= mask
        if violations is None:
            violations = tuple((c.label, int(m.sum())) for c, m in failing if m.any())
        if not bad.any():
            return RepairResult(out.set_axis(frame.index), rounds, resampled, violations)
        if rounds == max_rounds:
            check, mask = next((c, m) for c, m in failing if m.any())
            row = out.iloc[int(np.flatnonzero(mask)[0])]
            shown = ", ".join(f"{c}={_show_value(row[c])}" for c in check.columns) or "it reads no column"
            raise GenerationError(
                f"table {check.table}: {check.label} still fails for {int(mask.sum())} of {len(out)} "
                f"generated rows after {max_rounds} rounds of resampling, e.g. {shown}"
            )
        positions = np.flatnonzero(bad)
        if blame is not None:
            blame(failing)
        fresh = resample(bad.copy())
        if len(fresh) != len(positions):
            raise ValueError(f"resample returned {len(fresh)} rows for {len(positions)} failing rows")
        if hints is not None:
            fresh = apply_hints(fresh, hints)
        fresh = fresh[list(out.columns)].set_axis(positions)
        out = pd.concat([out.drop(index=positions), fresh]).sort_index()
        resampled += len(positions)
    raise AssertionError("unreachable")
