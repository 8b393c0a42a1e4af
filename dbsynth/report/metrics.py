"""The fidelity metrics, as pure functions of two samples (source "real", target "synthetic").

Definitions follow SDMetrics' ``QualityReport`` (0.32) so scores are comparable with the field:

* **KS complement** ``1 − D`` where ``D = sup |F_real − F_synth|`` is the two-sample
  Kolmogorov–Smirnov statistic of the non-NULL values (numbers, and dates/times as integers).
* **TV complement** ``1 − ½ Σ |p_real(v) − p_synth(v)|`` over the union of non-NULL categories.
* **Null-rate similarity** ``1 − |null_real − null_synth|`` (SDMetrics drops NULLs instead).
* **Correlation similarity** ``1 − |ρ_real − ρ_synth| / 2`` with Pearson's ρ over the rows where
  both columns are non-NULL.
* **Contingency similarity** ``1 − ½ Σ |p_real(a, b) − p_synth(a, b)|`` over the joint categories,
  NULL being a category of its own. A continuous column paired with a discrete one is cut into
  10 equal-width bins first, each side on its own range, as SDMetrics does (a shifted
  distribution does not show here; the column-shape KS score is what catches it).
* A pair **contributes** to the pair-trend averages only when the source shows a relationship
  worth keeping: ``|ρ_real| > 0.5`` for two continuous columns, Cramér's V ``> 0.3`` otherwise
  (SDMetrics' defaults). Every pair is still computed and reported.

Every function returns ``None`` rather than a number when the score is undefined (no non-NULL
values on a side, a constant column): the caller says why, nothing averages a NaN by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats.contingency import association

REAL_CORRELATION_THRESHOLD = 0.5
REAL_ASSOCIATION_THRESHOLD = 0.3
BINS = 10
_DECIMALS = 14  # SDMetrics rounds to float precision first, so 0.1 + 0.2 equals 0.3

PairMetric = Literal["CorrelationSimilarity", "ContingencySimilarity"]


def clamp(score: float) -> float:
    """A score in [0, 1] without float noise (``1 − 0.9999999999999999`` is 0, not 1e-16)."""
    return round(min(1.0, max(0.0, score)), 12)


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype="float64")
    return np.round(values[np.isfinite(values)], _DECIMALS)


def ks_statistic(
    a: np.ndarray,
    b: np.ndarray,
    weights_a: np.ndarray | None = None,
    weights_b: np.ndarray | None = None,
) -> float | None:
    """The two-sample KS statistic ``sup |F_a − F_b|`` of the finite values of ``a`` and ``b``,
    optionally weighted (a histogram: values with their counts). None when a side is empty."""
    a = np.asarray(a, dtype="float64")
    b = np.asarray(b, dtype="float64")
    wa = np.ones(len(a)) if weights_a is None else np.asarray(weights_a, dtype="float64")
    wb = np.ones(len(b)) if weights_b is None else np.asarray(weights_b, dtype="float64")
    keep_a, keep_b = np.isfinite(a) & (wa > 0), np.isfinite(b) & (wb > 0)
    a, wa, b, wb = np.round(a[keep_a], _DECIMALS), wa[keep_a], np.round(b[keep_b], _DECIMALS), wb[keep_b]
    if len(a) == 0 or len(b) == 0:
        return None
    support = np.union1d(a, b)
    return float(np.max(np.abs(_ecdf(a, wa, support) - _ecdf(b, wb, support))))


def _ecdf(values: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="stable")
    sorted_values, cum = values[order], np.cumsum(weights[order])
    idx = np.searchsorted(sorted_values, at, side="right")
    return np.where(idx > 0, cum[np.maximum(idx - 1, 0)], 0.0) / cum[-1]


def ks_complement(real: np.ndarray, synthetic: np.ndarray) -> float | None:
    """``1 − KS statistic`` of two numeric samples (NaN = NULL, ignored)."""
    d = ks_statistic(real, synthetic)
    return None if d is None else clamp(1.0 - d)


def tv_complement(real: pd.Series, synthetic: pd.Series) -> float | None:
    """``1 − total variation distance`` of two label samples (None = NULL, ignored)."""
    r, s = real.dropna(), synthetic.dropna()
    if r.empty or s.empty:
        return None
    codes, n = _factorize(r, s)
    p = np.bincount(codes[: len(r)], minlength=n) / len(r)
    q = np.bincount(codes[len(r) :], minlength=n) / len(s)
    return clamp(1.0 - 0.5 * np.abs(p - q).sum())


def null_rate(values: pd.Series) -> float:
    """Share of NULLs (0 for no rows at all: an empty table has no missing values)."""
    return float(values.isna().mean()) if len(values) else 0.0


def null_similarity(real: pd.Series, synthetic: pd.Series) -> float:
    """``1 − |null rate real − null rate synthetic|``."""
    return clamp(1.0 - abs(null_rate(real) - null_rate(synthetic)))


def _factorize(*parts: pd.Series) -> tuple[np.ndarray, int]:
    """Joint integer codes of several label samples (NULL gets a code of its own)."""
    both = pd.concat([p.astype(object) for p in parts], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=False)
    return codes.astype("int64"), len(uniques)


# -- pairs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairResult:
    """One column pair: the metric, its score, the source and target statistic it compares
    (Pearson's ρ for correlation similarity, Cramér's V for contingency similarity), and
    whether it counts towards the averages (module docstring). ``note`` says why a score is
    missing."""

    metric: PairMetric
    score: float | None
    source: float | None
    target: float | None
    contributes: bool
    note: str | None = None


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson's ρ over the rows where both are finite; None for a constant or short input."""
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    # Constant input has no correlation; test it before centring, which leaves float noise
    # (the mean of 1000 equal timestamps in microseconds is not exactly that timestamp).
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return None
    x, y = x - x.mean(), y - y.mean()
    sx, sy = np.sqrt((x * x).sum()), np.sqrt((y * y).sum())
    if sx == 0 or sy == 0 or not np.isfinite(sx * sy):
        return None
    return float(np.clip((x * y).sum() / (sx * sy), -1.0, 1.0))


def correlation_similarity(rx: np.ndarray, ry: np.ndarray, sx: np.ndarray, sy: np.ndarray) -> PairResult:
    """Correlation similarity of two continuous columns, real ``(rx, ry)``, synthetic ``(sx, sy)``."""
    real, synth = pearson(rx, ry), pearson(sx, sy)
    if real is None or synth is None:
        side = "source" if real is None else "target"
        note = f"no correlation in the {side}: a column is constant or has fewer than 2 values"
        return PairResult("CorrelationSimilarity", None, real, synth, False, note)
    score = clamp(1.0 - abs(real - synth) / 2.0)
    return PairResult("CorrelationSimilarity", score, real, synth, abs(real) > REAL_CORRELATION_THRESHOLD)


def bin_edges(values: np.ndarray) -> np.ndarray:
    """The ``BINS`` equal-width bin edges of the finite values (``numpy.histogram_bin_edges``)."""
    finite = _finite(values)
    try:
        return np.histogram_bin_edges(finite, bins=BINS)
    except ValueError:
        # A (nearly) constant column far from 0 (timestamps in microseconds): ten bins of its
        # tiny range are below float resolution. Its distinct values are bins enough.
        return np.unique(finite)


def discretize(values: np.ndarray, edges: np.ndarray) -> pd.Series:
    """Bin numbers of ``values`` on ``edges`` as labels (NULL stays NULL, a category of its own)."""
    values = np.asarray(values, dtype="float64")
    bins = np.digitize(values, edges).astype(object)
    bins[~np.isfinite(values)] = None
    return pd.Series(bins, dtype=object)


def _cramers_v(codes_a: np.ndarray, codes_b: np.ndarray, na: int, nb: int) -> float | None:
    table = np.bincount(codes_a * nb + codes_b, minlength=na * nb).reshape(na, nb)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.size == 0 or min(table.shape) < 2:
        return None
    return float(association(table, method="cramer"))


def contingency_similarity(ra: pd.Series, rb: pd.Series, sa: pd.Series, sb: pd.Series) -> PairResult:
    """Contingency similarity of two label pairs, real ``(ra, rb)`` and synthetic ``(sa, sb)``,
    with NULL as a category; ``contributes`` when the source's Cramér's V exceeds the threshold."""
    n_real, n_synth = len(ra), len(sa)
    if n_real == 0 or n_synth == 0:
        side = "source" if n_real == 0 else "target"
        return PairResult("ContingencySimilarity", None, None, None, False, f"no rows in the {side}")
    codes_a, na = _factorize(ra, sa)
    codes_b, nb = _factorize(rb, sb)
    joint = codes_a * nb + codes_b
    p = np.bincount(joint[:n_real], minlength=na * nb) / n_real
    q = np.bincount(joint[n_real:], minlength=na * nb) / n_synth
    score = clamp(1.0 - 0.5 * np.abs(p - q).sum())
    real_v = _cramers_v(codes_a[:n_real], codes_b[:n_real], na, nb)
    synth_v = _cramers_v(codes_a[n_real:], codes_b[n_real:], na, nb)
    contributes = real_v is not None and real_v > REAL_ASSOCIATION_THRESHOLD
    return PairResult("ContingencySimilarity", score, real_v, synth_v, contributes)


def pair_trend(
    real_a: pd.Series,
    real_b: pd.Series,
    synth_a: pd.Series,
    synth_b: pd.Series,
    continuous_a: bool,
    continuous_b: bool,
) -> PairResult:
    """The pair-trend score of columns ``a`` and ``b`` given in comparable form (floats for a
    continuous column, labels for a discrete one): correlation similarity when both are
    continuous, else contingency similarity after binning the continuous one (each side on its
    own ten bins)."""
    if continuous_a and continuous_b:
        return correlation_similarity(
            real_a.to_numpy("float64"),
            real_b.to_numpy("float64"),
            synth_a.to_numpy("float64"),
            synth_b.to_numpy("float64"),
        )
    # Each side is binned on its own range, as SDMetrics' ColumnPairTrends does: a target whose
    # values sit in a narrower range is judged on its own ten bins, not on the source's.
    if continuous_a:
        real_a, synth_a = _own_bins(real_a), _own_bins(synth_a)
    if continuous_b:
        real_b, synth_b = _own_bins(real_b), _own_bins(synth_b)
    return contingency_similarity(real_a, real_b, synth_a, synth_b)


def _own_bins(values: pd.Series) -> pd.Series:
    numbers = values.to_numpy("float64")
    return discretize(numbers, bin_edges(numbers))


def mean(scores: list[float | None]) -> float | None:
    """Mean of the defined scores, None when there is none."""
    defined = [s for s in scores if s is not None]
    return clamp(float(np.mean(defined))) if defined else None


__all__ = [
    "BINS",
    "REAL_ASSOCIATION_THRESHOLD",
    "REAL_CORRELATION_THRESHOLD",
    "PairResult",
    "bin_edges",
    "clamp",
    "contingency_similarity",
    "correlation_similarity",
    "discretize",
    "ks_complement",
    "ks_statistic",
    "mean",
    "null_rate",
    "null_similarity",
    "pair_trend",
    "pearson",
    "tv_complement",
]
