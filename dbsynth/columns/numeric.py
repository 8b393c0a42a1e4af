"""Numbers: point masses for frequent exact values plus a monotone quantile function for the rest.

A :class:`NumericModel` is a mixture on the real line:

* **atoms**: exact values whose share is at least ``ATOM_SHARE`` (1 %) of the sample and that
  were seen at least ``min_count`` times (zero inflation is the atom at 0); when a column has at
  most ``FEW_DISTINCT`` distinct values every value seen ``min_count`` times is an atom, so codes
  and ratings come back exactly;
* **continuous part**: every other value, described by its quantile function on a fixed grid of
  ``GRID_POINTS`` probabilities ``0, 1/200, …, 1`` and interpolated linearly in between.

Privacy (why no stored number is a lone source value): a grid point is not an order statistic
but the *mean of a window of at least* ``min_count`` *consecutive order statistics* (the window
is ``max(min_count, 0.25 % of the values)`` wide and slides from the lowest to the highest
values). The two grid ends are also the generated range, so they get one more guard: an end is
the mean of the extreme window, but no further out than one grid step beyond the extreme
interior points (the 0.5 % and 99.5 % quantiles), extrapolated linearly. The window mean equals
the observed minimum (maximum) only when that value occurs at least window-size times, the one
case where the rule allows storing it; the extrapolation stops a lone outlier (a 10⁶ salary
among 10² ones) from dragging the end out by ``1/window`` of its excess. The synthetic tail thus
ends a little short of a long source tail, which is the price of not revealing its extremes.
Values seen fewer than ``min_count`` times never become atoms. A continuous part with
fewer than ``min_count`` values is dropped (its mass goes to the atoms), and a sample with nothing
safe to keep gives an *empty* model that generates a type-valid 0.

Generation keeps the column's type: integers are rounded, decimals rounded to their scale (the
declared ``column.scale``, or the smallest scale that fits every value when the type has none),
and a rounded continuous value that lands on an atom is moved one step off it, so the atoms'
masses stay what was fitted. Everything stays inside ``[lower, upper]`` and the SQL type's range
(``type_bounds``: int2/int4/int8, MySQL tinyint…bigint signed and unsigned, YEAR, decimal
precision).

``to_uniform`` is the model's CDF with a randomised probability integral transform: an atom maps
to a uniform point of its CDF step, and an integer (decimal) value of the continuous part to a
uniform point of the step ``[x - ½, x + ½)`` (half a scale unit) of the interpolated CDF, which is
exactly the set of continuous values that round to it. Ties therefore get continuous normal
scores, and ``from_uniform(to_uniform(x))`` has the distribution of ``x``.

The parametric ``family`` (normal, lognormal, exponential, gamma) is descriptive: it is fitted on
a random half of (at most 4000 of) the continuous values and kept only when its Kolmogorov–Smirnov
distance to the other half is no larger than that half's distance to the training half's own
empirical distribution (what a grid built from it achieves) or than the two-sample 5 % critical
value ``1.36·√(2/n)``, whichever is larger; among passing families the smallest distance wins.
Integers and decimals are jittered within their rounding step first, so ties do not fail the
test. Generation always uses the grid, which is at least as faithful as any family for the
sample sizes dbsynth fits on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from dbsynth import invariants as inv
from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.schema import Column, LogicalType

GRID_POINTS = 201
ATOM_SHARE = 0.01
FEW_DISTINCT = 50
WINDOW_SHARE = 0.0025
FAMILY_SAMPLE = 4000
FAMILY_MIN_VALUES = 50
MODE_BINS = 30
FAMILIES = ("normal", "lognormal", "exponential", "gamma")
PROB_DECIMALS = 6  # probabilities in model files: readable diffs, far below sampling noise
MAX_SCALE = 1000  # decimal digits after the point (PostgreSQL's numeric allows up to 1000)

Number = Literal["integer", "decimal", "float"]

# Integer ranges by base type name, signed and unsigned; spellings of every dialect dbsynth reads.
_INT16 = (-(2**15), 2**15 - 1)
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_SIGNED_RANGES: dict[str, tuple[int, int]] = {
    "tinyint": (-128, 127),
    "smallint": _INT16,
    "int2": _INT16,
    "smallserial": _INT16,
    "serial2": _INT16,
    "mediumint": (-(2**23), 2**23 - 1),
    "int": _INT32,
    "integer": _INT32,
    "int4": _INT32,
    "serial": _INT32,
    "serial4": _INT32,
    "bigint": _INT64,
    "int8": _INT64,
    "bigserial": _INT64,
    "serial8": _INT64,
    "year": (1901, 2155),
}
_UNSIGNED_RANGES: dict[str, tuple[int, int]] = {
    "tinyint": (0, 2**8 - 1),
    "smallint": (0, 2**16 - 1),
    "mediumint": (0, 2**24 - 1),
    "int": (0, 2**32 - 1),
    "integer": (0, 2**32 - 1),
    "bigint": (0, 2**64 - 1),
}
_FLOAT32_MAX = 3.4028234663852886e38
_FLOAT32_NAMES = ("real", "float4")
_BASE_NAME = re.compile(r"^\s*([a-z_][a-z0-9_ ]*?)\s*(?:\(|$|\s+(?:unsigned|signed|zerofill))")


def base_type_name(sql_type: str) -> str:
    """``'int(11) unsigned'`` → ``'int'``, ``'numeric(10,2)'`` → ``'numeric'``, ``'YEAR(4)'`` → ``'year'``."""
    text = sql_type.lower().strip()
    match = _BASE_NAME.match(text)
    return match.group(1) if match else text


def number_kind(column: Column) -> Number:
    """How values of ``column`` are rounded: to integers, to a decimal scale, or not at all."""
    if column.logical == LogicalType.INTEGER or base_type_name(column.sql_type) == "year":
        return "integer"
    if column.logical == LogicalType.DECIMAL:
        return "decimal"
    return "float"


def integer_bounds(column: Column) -> tuple[int, int]:
    """The exact range of an integer SQL type, signed or unsigned; an unknown spelling counts as
    64-bit (SQLite's INTEGER, whatever it is called)."""
    name = base_type_name(column.sql_type)
    unsigned = column.unsigned or "unsigned" in column.sql_type.lower()
    ranges = _UNSIGNED_RANGES if unsigned else _SIGNED_RANGES
    return ranges.get(name, _SIGNED_RANGES.get(name, _INT64))


def type_bounds(column: Column) -> tuple[float, float]:
    """The closed range the SQL type of ``column`` can store (``±inf`` when unbounded)."""
    name = base_type_name(column.sql_type)
    unsigned = column.unsigned or "unsigned" in column.sql_type.lower()
    if number_kind(column) == "integer":
        lo, hi = integer_bounds(column)
        return float(lo), float(hi)
    low = 0.0 if unsigned else -math.inf
    if column.logical == LogicalType.DECIMAL and column.precision is not None:
        scale = column.scale or 0
        top = 10.0 ** (column.precision - scale) - 10.0 ** (-scale)
        return max(low, -top), top
    if name in _FLOAT32_NAMES:
        return max(low, -_FLOAT32_MAX), _FLOAT32_MAX
    return low, math.inf


def as_floats(values: pd.Series) -> np.ndarray:
    """Values as float64 (Decimals, nullable integers and numeric text included; junk → NaN)."""
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    if series.dtype.kind in "biuf":
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    converted = pd.to_numeric(series, errors="coerce")
    return np.asarray(converted, dtype=np.float64)


def infer_scale(x: np.ndarray, max_scale: int = 6) -> int | None:
    """The smallest number of decimals that represents every value, or None beyond ``max_scale``."""
    for scale in range(max_scale + 1):
        shifted = x * 10.0**scale
        if np.all(np.abs(shifted - np.round(shifted)) <= 1e-9 * np.maximum(1.0, np.abs(shifted))):
            return scale
    return None


def _window_grid(sorted_values: np.ndarray, window: int, points: int) -> np.ndarray:
    """Quantile grid whose every point is a mean of ``window`` consecutive order statistics."""
    n = sorted_values.size
    window = min(window, n)
    origin = sorted_values[0]  # cumulative sums of offsets keep precision for epoch-sized values
    csum = np.concatenate([[0.0], np.cumsum(sorted_values - origin)])
    means = (csum[window:] - csum[:-window]) / window + origin
    means = np.maximum.accumulate(means)  # exact arithmetic is monotone; rounding may not be
    if means.size == 1:
        return np.array([means[0], means[0]])
    count = min(points, means.size)
    positions = np.linspace(0.0, means.size - 1.0, count)
    grid = np.interp(positions, np.arange(means.size, dtype=np.float64), means)
    if grid.size >= 4:  # ends: no further out than one step beyond the extreme interior points
        grid[0] = max(grid[0], 2 * grid[1] - grid[2])
        grid[-1] = min(grid[-1], 2 * grid[-2] - grid[-3])
    return grid


def _choose_family(
    values: np.ndarray, half_step: float, rng: np.random.Generator
) -> tuple[str, tuple[float, ...], float] | None:
    """The family whose holdout KS statistic is smallest and passes the 5 % test (module doc)."""
    if values.size < FAMILY_MIN_VALUES:
        return None
    x = rng.choice(values, size=min(FAMILY_SAMPLE, values.size), replace=False)
    if half_step > 0:
        x = x + rng.uniform(-half_step, half_step, size=x.size)
    half = x.size // 2
    train, test = x[:half], x[half:]
    if np.ptp(train) <= 0:
        return None
    # The fitted family carries the training half's sampling error as the empirical CDF would,
    # so the yardstick is the two-sample 5 % critical value, or what the training half's own
    # empirical distribution (the grid's source) achieves on the holdout when that is worse.
    critical = max(
        1.36 * math.sqrt(2.0 / test.size), float(stats.ks_2samp(train, test, method="asymp").statistic)
    )
    best: tuple[str, tuple[float, ...], float] | None = None
    for name in FAMILIES:
        positive = name != "normal"
        if positive and x.min() <= 0:
            continue
        dist, params = _fit_family(name, train)
        ks = float(stats.kstest(test, dist(*params).cdf).statistic)
        if ks <= critical and (best is None or ks < best[2]):
            best = (name, tuple(float(p) for p in params), round(ks, PROB_DECIMALS))
    return best


def _fit_family(name: str, x: np.ndarray) -> tuple[type | stats.rv_continuous, tuple[float, ...]]:
    if name == "normal":
        return stats.norm, tuple(stats.norm.fit(x))
    if name == "lognormal":
        return stats.lognorm, tuple(stats.lognorm.fit(x, floc=0.0))
    if name == "exponential":
        return stats.expon, tuple(stats.expon.fit(x, floc=0.0))
    return stats.gamma, tuple(stats.gamma.fit(x, floc=0.0))


@register("numeric")
@dataclass(frozen=True)
class NumericModel(ColumnModel):
    """Atoms plus a window-mean quantile grid (module doc).

    Invariants: ``atoms`` strictly increasing, ``len(atom_probs) == len(atoms)``, ``grid``
    non-decreasing with 0 or ≥ 2 points, ``sum(atom_probs) + continuous == 1`` up to rounding
    (``continuous == 0`` iff ``grid`` is empty), ``lower <= upper`` and both inside the SQL type's
    range. An *empty* model (no atom, no grid) kept nothing and generates 0.
    """

    number: Number = "float"
    scale: int | None = None
    lower: float = 0.0
    upper: float = 0.0
    atoms: tuple[float, ...] = ()
    atom_probs: tuple[float, ...] = ()
    continuous: float = 0.0
    grid: tuple[float, ...] = ()
    family: str | None = None
    family_params: tuple[float, ...] = ()
    family_ks: float | None = None

    # -- fitting ------------------------------------------------------------------------------

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> NumericModel:
        x = as_floats(values)
        number = number_kind(column)
        scale = None
        if number == "decimal":
            x_finite = x[np.isfinite(x)]
            scale = column.scale if column.scale is not None else infer_scale(x_finite)
        return cls.from_array(x, number=number, scale=scale, bounds=type_bounds(column), ctx=ctx)

    @classmethod
    def from_array(
        cls,
        x: np.ndarray,
        *,
        number: Number,
        scale: int | None = None,
        bounds: tuple[float, float] = (-math.inf, math.inf),
        ctx: FitContext,
        shape: bool = True,
    ) -> NumericModel:
        """Fit on raw floats (non-finite ones ignored); ``shape=False`` skips the family test,
        for callers that only generate (epochs, lengths)."""
        x = np.asarray(x, dtype=np.float64)
        # Out-of-range values cannot be written back (a MySQL TIME of 30 h read as a time of day):
        # they count as the nearest valid value.
        x = np.clip(x[np.isfinite(x)], bounds[0], bounds[1])
        if number == "decimal" and scale is None:
            number = "float"
        k = max(1, ctx.min_count)
        if x.size == 0:
            return cls(number=number, scale=scale, lower=_zero_in(bounds), upper=_zero_in(bounds))
        distinct, counts = np.unique(x, return_counts=True)
        atom_min = k if distinct.size <= FEW_DISTINCT else max(k, math.ceil(ATOM_SHARE * x.size))
        is_atom = counts >= atom_min
        atoms, atom_counts = distinct[is_atom], counts[is_atom]
        rest = np.sort(x[~np.isin(x, atoms)])
        if rest.size < k:
            rest = rest[:0]
        total = float(atom_counts.sum() + rest.size)
        if total == 0:
            return cls(number=number, scale=scale, lower=_zero_in(bounds), upper=_zero_in(bounds))
        grid = np.empty(0)
        if rest.size:
            window = max(k, math.ceil(WINDOW_SHARE * rest.size))
            grid = np.clip(_window_grid(rest, window, GRID_POINTS), bounds[0], bounds[1])
        ends = np.concatenate([atoms, grid])
        family = None
        if shape and rest.size:
            half_step = 0.5 if number == "integer" else (0.5 * 10.0**-scale if scale is not None else 0.0)
            family = _choose_family(rest, half_step, np.random.default_rng(ctx.seed))
        probs = [round(float(c) / total, PROB_DECIMALS) for c in atom_counts]
        return cls(
            number=number,
            scale=scale,
            lower=float(ends.min()),
            upper=float(ends.max()),
            atoms=tuple(float(a) for a in atoms),
            atom_probs=tuple(probs),
            continuous=round(rest.size / total, PROB_DECIMALS),
            grid=tuple(float(g) for g in grid),
            family=family[0] if family else None,
            family_params=family[1] if family else (),
            family_ks=family[2] if family else None,
        )

    def check(self) -> None:
        """The invariants of the class docstring (a model file is untrusted input)."""
        inv.finite("lower", self.lower)
        inv.finite("upper", self.upper)
        inv.require(self.lower <= self.upper, "lower", f"{self.lower} is above upper {self.upper}")
        inv.require(
            self.scale is None or 0 <= self.scale <= MAX_SCALE,
            "scale",
            f"{self.scale} is not 0 to {MAX_SCALE}",
        )
        inv.finite("atoms", self.atoms)
        inv.ordered("atoms", self.atoms, strictly=True)
        for i, atom in enumerate(self.atoms):
            # Both bounds are named: an edited upper makes the atoms the first thing out of range.
            ok = self.lower <= atom <= self.upper
            bounds = f"[lower, upper] = [{self.lower:g}, {self.upper:g}]"
            inv.require(ok, f"atoms[{i}]", f"{atom:g} is outside {bounds}")
        inv.same_length("atom_probs", self.atom_probs, "atoms", self.atoms)
        inv.shares("atom_probs", self.atom_probs, total=None if self.empty else 1.0, plus=self.continuous)
        inv.share("continuous", self.continuous)
        inv.require(len(self.grid) != 1, "grid", "has one point; a grid has none or at least two")
        inv.require(
            bool(self.grid) or self.continuous == 0, "grid", f"is empty, but continuous is {self.continuous}"
        )
        inv.require(not self.grid or self.continuous > 0, "continuous", "is 0, but there is a grid")
        inv.finite("grid", self.grid)
        inv.ordered("grid", self.grid)
        if self.grid:
            inv.require(
                self.lower <= self.grid[0] and self.grid[-1] <= self.upper,
                "grid",
                "goes outside [lower, upper]",
            )
        inv.require(
            self.family is None or self.family in FAMILIES,
            "family",
            f"{self.family!r} is not one of {FAMILIES}",
        )
        inv.finite("family_params", self.family_params)
        inv.require(
            self.family_ks is None or 0.0 <= self.family_ks <= 1.0, "family_ks", "is not between 0 and 1"
        )

    # -- the CDF and its inverse --------------------------------------------------------------

    @property
    def empty(self) -> bool:
        return not self.atoms and not self.grid

    def _weights(self) -> tuple[np.ndarray, float]:
        """Atom weights and continuous weight, renormalised (stored values are rounded)."""
        w = np.asarray(self.atom_probs, dtype=np.float64)
        wc = self.continuous if self.grid else 0.0
        total = w.sum() + wc
        return w / total, wc / total

    def _grid_cdf(self, y: np.ndarray, side: Literal["left", "right"]) -> np.ndarray:
        """Continuous part's CDF: ``P(Y <= y)`` for side ``right``, ``P(Y < y)`` for ``left``."""
        g = np.asarray(self.grid, dtype=np.float64)
        last = g.size - 1
        i = np.searchsorted(g, y, side=side)
        j = np.clip(i, 1, last)
        x0, x1 = g[j - 1], g[j]
        width = x1 - x0
        frac = np.divide(y - x0, width, out=np.ones_like(y), where=width > 0)
        p = (j - 1 + np.clip(frac, 0.0, 1.0)) / last
        return np.where(i <= 0, 0.0, np.where(i > last, 1.0, p))

    def _grid_ppf(self, v: np.ndarray) -> np.ndarray:
        g = np.asarray(self.grid, dtype=np.float64)
        return np.interp(v, np.linspace(0.0, 1.0, g.size), g)

    def _atom_starts(self, w: np.ndarray, wc: float) -> np.ndarray:
        cum = np.concatenate([[0.0], np.cumsum(w)])[:-1]
        if wc == 0:
            return cum
        return cum + wc * self._grid_cdf(np.asarray(self.atoms, dtype=np.float64), "right")

    def _half_step(self) -> float:
        if self.number == "integer":
            return 0.5
        if self.number == "decimal" and self.scale is not None:
            return 0.5 * 10.0**-self.scale
        return 0.0

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        x = as_floats(values)
        jitter = rng.random(x.size)
        if self.empty:
            return clip_unit(jitter)
        atoms = np.asarray(self.atoms, dtype=np.float64)
        w, wc = self._weights()
        cum = np.concatenate([[0.0], np.cumsum(w)])
        below = np.searchsorted(atoms, x, side="left")  # atoms strictly below x
        hit = np.clip(below, 0, max(atoms.size - 1, 0))
        is_atom = (below < atoms.size) & (atoms[hit] == x) if atoms.size else np.zeros(x.size, bool)
        u = jitter.copy()
        if atoms.size:
            starts = self._atom_starts(w, wc)
            u = np.where(is_atom, starts[hit] + jitter * w[hit], u)
        cont = ~is_atom & np.isfinite(x)
        if wc > 0 and cont.any():
            h = self._half_step()
            xc = x[cont]
            if h > 0:
                g_lo, g_hi = self._grid_cdf(xc - h, "right"), self._grid_cdf(xc + h, "left")
            else:
                g_lo, g_hi = self._grid_cdf(xc, "left"), self._grid_cdf(xc, "right")
            u[cont] = cum[below[cont]] + wc * (g_lo + jitter[cont] * (g_hi - g_lo))
        return clip_unit(u)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The mixture's quantile function before rounding (floats)."""
        return self._mixture_ppf(u)[0]

    def _mixture_ppf(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Quantiles and, per value, whether an atom (not the continuous part) produced it."""
        u = clip_unit(np.atleast_1d(np.asarray(u, dtype=np.float64)))
        if self.empty:
            return np.full(u.size, self.lower), np.ones(u.size, dtype=bool)
        atoms = np.asarray(self.atoms, dtype=np.float64)
        w, wc = self._weights()
        cum = np.concatenate([[0.0], np.cumsum(w)])
        out = np.empty(u.size)
        if wc == 0:
            idx = np.clip(np.searchsorted(cum[1:], u, side="right"), 0, atoms.size - 1)
            return atoms[idx], np.ones(u.size, dtype=bool)
        in_atom = np.zeros(u.size, dtype=bool)
        passed = np.zeros(u.size, dtype=np.intp)  # atoms entirely below u
        if atoms.size:
            starts = self._atom_starts(w, wc)
            passed = np.searchsorted(starts, u, side="right")
            last = np.clip(passed - 1, 0, atoms.size - 1)
            in_atom = (passed >= 1) & (u < starts[last] + w[last])
            out[in_atom] = atoms[last[in_atom]]
            passed = np.where(in_atom, passed - 1, passed)
        v = np.clip((u - cum[passed]) / wc, 0.0, 1.0)
        out[~in_atom] = self._grid_ppf(v[~in_atom])
        return out, in_atom

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.draw(u)[0]

    def draw(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``from_uniform`` plus a mask of the values that come from a point mass: callers that
        perturb values (the calendar layers of dates) must leave those exact values alone."""
        y, from_atom = self._mixture_ppf(u)
        if self.empty:
            return (y.astype(np.int64) if self.number == "integer" else y), from_atom
        return self._typed(y, from_atom), from_atom

    def _typed(self, y: np.ndarray, from_atom: np.ndarray) -> np.ndarray:
        step = 1.0 if self.number == "integer" else (10.0**-self.scale if self.scale is not None else 0.0)
        lo, hi = self.lower, self.upper
        if step > 0:
            y = self._discretise(y, from_atom, step)
            lo, hi = math.ceil(lo / step - 1e-9) * step, math.floor(hi / step + 1e-9) * step
            if lo > hi:  # the range holds no representable value: take the one nearest to it
                lo = hi = self._round(np.array([self.lower]), step)[0]
        y = np.clip(y, lo, hi)
        if self.number == "integer":
            return np.clip(y, -(2.0**63), 2.0**63 - 1024).astype(np.int64)
        return self._round(y, step) if step > 0 else y

    def _round(self, y: np.ndarray, step: float) -> np.ndarray:
        if self.number == "decimal" and self.scale is not None:
            return np.round(y, self.scale)
        return np.round(y / step) * step

    def _discretise(self, y: np.ndarray, from_atom: np.ndarray, step: float) -> np.ndarray:
        """Round, then move continuous values that landed on an atom one step off it (toward the
        side the unrounded value was on), so atom masses stay as fitted."""
        r = self._round(y, step)
        atoms = np.asarray(self.atoms, dtype=np.float64)
        if not atoms.size or not self.grid:
            return r
        for _ in range(3):
            clash = np.isin(r, atoms) & ~from_atom
            if not clash.any():
                break
            direction = np.where(y[clash] >= r[clash], 1.0, -1.0)
            r[clash] = self._round(r[clash] + direction * step, step)
        return r

    # -- description --------------------------------------------------------------------------

    def describe(self) -> str:
        label = f"decimal({self.scale})" if self.number == "decimal" else self.number
        if self.empty:
            return f"{label}: no value frequent enough to keep; generates {self._fmt(self.lower)}"
        q50 = float(self.ppf(np.array([0.5]))[0])
        parts = [f"{label}, {self._fmt(self.lower)}–{self._fmt(self.upper)}", f"median {self._fmt(q50)}"]
        w, _ = self._weights()
        masses = sorted(zip(w.tolist(), self.atoms, strict=True), reverse=True)
        for share, atom in masses[:3]:
            what = "zeros" if atom == 0 else f"= {self._fmt(atom)}"
            parts.append(f"{share:.0%} {what}")
        if len(masses) > 3:
            parts.append(f"{len(masses) - 3} more point masses")
        if self.grid and self.continuous >= 0.25:  # shape of the continuous part; atoms are listed
            c10, c50, c90 = self._grid_ppf(np.array([0.1, 0.5, 0.9]))
            spread = c90 - c10
            kelly = (c90 + c10 - 2 * c50) / spread if spread > 0 else 0.0
            shape = "skewed right" if kelly > 0.1 else "skewed left" if kelly < -0.1 else "symmetric"
            modes = self.mode_count()
            if modes > 1:
                shape = "bimodal" if modes == 2 else f"{modes} modes"
            if self.family:
                shape += f" ({self.family} fit)"
            parts.append(shape)
        return ", ".join(parts)

    def mode_count(self) -> int:
        """Modes of the continuous part: peaks of a histogram of the grid (grid points are equally
        spaced in probability, so their density is the values' density) that are separated by a
        valley lower than half of both peaks. Rough by design: it is for ``describe``."""
        g = np.asarray(self.grid, dtype=np.float64)
        if g.size < 20 or g[-3] <= g[2]:
            return 1
        counts, _ = np.histogram(g[2:-2], bins=MODE_BINS)  # without the sparse 1 % tails
        density = np.convolve(counts, np.ones(3), mode="same")
        peaks: list[int] = []
        for i in range(density.size):
            left = density[i - 1] if i > 0 else -1.0
            right = density[i + 1] if i + 1 < density.size else -1.0
            if density[i] > left and density[i] >= right and density[i] >= 0.2 * density.max():
                peaks.append(i)
        kept = peaks[:1]
        for i in peaks[1:]:
            valley = density[kept[-1] : i + 1].min()
            if valley < 0.5 * min(density[kept[-1]], density[i]):
                kept.append(i)
            elif density[i] > density[kept[-1]]:
                kept[-1] = i
        return max(1, len(kept))

    def _fmt(self, v: float) -> str:
        if self.number == "integer":
            return str(round(v))
        if self.number == "decimal" and self.scale is not None:
            return f"{v:.{self.scale}f}"
        return f"{v:.4g}"


def _zero_in(bounds: tuple[float, float]) -> float:
    """The type-valid value an empty model generates: 0, or the bound nearest to it."""
    return float(min(max(0.0, bounds[0]), bounds[1]))


def fit_counts(x: np.ndarray, ctx: FitContext, upper: float = math.inf) -> NumericModel:
    """A model of non-negative counts (lengths of strings, arrays, byte strings)."""
    return NumericModel.from_array(x, number="integer", bounds=(0.0, upper), ctx=ctx, shape=False)


def check_length(field: str, model: NumericModel) -> None:
    """A model of counts (:func:`fit_counts`) makes whole numbers from 0 to ``MAX_LENGTH``."""
    inv.require(model.number == "integer", f"{field}.number", "is not 'integer'")
    inv.require(model.lower >= 0, f"{field}.lower", f"{model.lower} is negative")
    inv.require(
        model.upper <= inv.MAX_LENGTH, f"{field}.upper", f"{model.upper:g} is more than {inv.MAX_LENGTH}"
    )
