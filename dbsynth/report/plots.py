"""Plot data for the HTML page, computed once and kept in the report (the JSON has it too).

Privacy rule for labels: a category shown by name must have been seen at least ``min_count``
times in the source; rarer ones are pooled into ``(other)``, because a rare category can single
out a production record. Text and personal-data columns are shown as length distributions only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dbsynth.report.columns import CONTINUOUS, DISCRETE, ColumnKind
from dbsynth.report.result import Heatmap, Histogram, PairScore

HIST_BINS = 20
TOP_CATEGORIES = 12
HEATMAP_MAX = 16
OTHER = "(other)"


def histogram(
    source: pd.Series, target: pd.Series, kind: ColumnKind, min_count: int, durations: bool = False
) -> Histogram | None:
    """Overlaid distributions of one column (values in the comparable form of ``kind``);
    ``durations`` labels microsecond numbers as times of day or intervals, not dates."""
    if kind in CONTINUOUS:
        unit = "durations" if durations else "dates" if kind == "datetime" else None
        return _bins(source.to_numpy("float64"), target.to_numpy("float64"), unit, "values")
    if kind in DISCRETE:
        return _categories(source, target, min_count)
    if kind in ("text", "pii"):
        lengths = [s.dropna().astype(str).str.len().to_numpy("float64") for s in (source, target)]
        return _bins(lengths[0], lengths[1], None, "length of the values (the values are not shown)")
    return None


def _bins(source: np.ndarray, target: np.ndarray, unit: str | None, caption: str) -> Histogram | None:
    src, tgt = source[np.isfinite(source)], target[np.isfinite(target)]
    if len(src) == 0 and len(tgt) == 0:
        return None
    ref = src if len(src) else tgt
    # The 0.5% and 99.5% points, not min and max: one outlier must not squash the plot.
    low, high = np.quantile(ref, [0.005, 0.995])
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, HIST_BINS + 1)

    def shares(values: np.ndarray) -> tuple[float, ...]:
        if len(values) == 0:
            return tuple(0.0 for _ in range(HIST_BINS))
        idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, HIST_BINS - 1)
        return tuple(float(x) for x in np.bincount(idx, minlength=HIST_BINS) / len(values))

    labels = tuple(f"{_fmt(edges[i], unit)} – {_fmt(edges[i + 1], unit)}" for i in range(HIST_BINS))
    note = " (outer bins include the values beyond the source's 0.5% and 99.5% points)"
    return Histogram("bins", labels, shares(src), shares(tgt), caption + note)


def _fmt(value: float, unit: str | None) -> str:
    """A bin edge: a date (and time when it has one), a duration, or a number."""
    if unit == "durations":
        minutes = int(value // 60_000_000)
        days, (hours, mins) = minutes // 1440, divmod(minutes % 1440, 60)
        return (f"{days}d " if days else "") + f"{hours:02d}:{mins:02d}"
    if unit == "dates":
        try:
            stamp = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=float(value))
        except OverflowError:
            return f"{value:.3g}"
        return stamp.strftime("%Y-%m-%d %H:%M") if stamp.hour or stamp.minute else stamp.strftime("%Y-%m-%d")
    return f"{value:.4g}"


def _categories(source: pd.Series, target: pd.Series, min_count: int) -> Histogram | None:
    src, tgt = source.dropna(), target.dropna()
    if src.empty and tgt.empty:
        return None
    counts = src.value_counts()
    shown = [str(v) for v, n in counts.items() if n >= min_count][:TOP_CATEGORIES]

    def shares(values: pd.Series) -> tuple[float, ...]:
        if values.empty:
            return tuple(0.0 for _ in range(len(shown) + 1))
        freq = values.astype(str).value_counts(normalize=True)
        known = [float(freq.get(label, 0.0)) for label in shown]
        return (*known, max(0.0, 1.0 - sum(known)))

    caption = "share of non-NULL values"
    if len(shown) < src.nunique():
        caption += f"; {OTHER} pools the rest, including every value seen fewer than {min_count} times"
    return Histogram("categories", (*shown, OTHER), shares(src), shares(tgt), caption)


def heatmap(columns: Sequence[str], pairs: Sequence[PairScore]) -> Heatmap | None:
    """The source and target pair strengths among the first :data:`HEATMAP_MAX` ``columns``."""
    names = tuple(columns[:HEATMAP_MAX])
    if len(names) < 2:
        return None
    index = {name: i for i, name in enumerate(names)}
    size = len(names)
    grids: list[list[list[float | None]]] = [
        [[1.0 if i == j else None for j in range(size)] for i in range(size)] for _ in range(2)
    ]
    for pair in pairs:
        i, j = index.get(pair.column_1), index.get(pair.column_2)
        if i is None or j is None:
            continue
        for grid, value in zip(grids, (pair.source, pair.target), strict=True):
            strength = None if value is None else abs(value)
            grid[i][j] = grid[j][i] = strength
    src, tgt = (tuple(tuple(row) for row in grid) for grid in grids)
    return Heatmap(names, src, tgt)


def counts_histogram(source: Sequence[tuple[int, int]], target: Sequence[tuple[int, int]]) -> Histogram:
    """Children-per-parent distributions as shares of parents per count (``"≥ n"`` at the end)."""
    # Counts up to the 99th percentile of either side get a bar each; the rest share the last.
    top = max(1, min(40, max(_percentile_99(source), _percentile_99(target)) + 1))
    labels = (*(str(i) for i in range(top)), f"≥ {top}")

    def shares(counts: Sequence[tuple[int, int]]) -> tuple[float, ...]:
        out = np.zeros(top + 1)
        for n, p in counts:
            out[min(n, top)] += p
        total = out.sum()
        return tuple(float(x) for x in (out / total if total else out))

    return Histogram("categories", labels, shares(source), shares(target), "share of parents by children")


def _percentile_99(counts: Sequence[tuple[int, int]]) -> int:
    total, running = sum(p for _, p in counts), 0
    for n, p in sorted(counts):
        running += p
        if running >= 0.99 * total:
            return n
    return 0


__all__ = ["HEATMAP_MAX", "HIST_BINS", "OTHER", "TOP_CATEGORIES", "counts_histogram", "heatmap", "histogram"]
