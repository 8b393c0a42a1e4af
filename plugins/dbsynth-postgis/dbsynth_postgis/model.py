"""The ``geometry`` column model: PostGIS ``geometry`` and ``geography`` columns.

Fitted from the sampled values (hex EWKB) and the column's declaration
(``geometry(MultiPolygon,3857)``):

* ``srid`` and ``ordinates`` (XY, XYZ, XYM, XYZM): the declared ones, else the most common;
* ``kinds`` and their ``shares``: the declared geometry type, else the types seen at least
  ``min_count`` times (POINT when none is);
* where: the ``extent`` (x/y quantiles that leave out the ``min_count`` most extreme centres on
  each side, so no single row sets a bound) cut into ``grid`` x ``grid`` cells, with the share of
  geometry centres in each (``density``; a cell with fewer than ``min_count`` centres gets none);
* how big: quantiles of the ``radius`` (half the bounding-box diagonal) of non-point geometries,
  of ``vertices`` per line or ring, of ``members`` per multi-geometry, and of each Z/M ordinate.

Generated values are EWKT (``SRID=4326;POINT(2.35 48.85)``) that PostGIS parses into both
column types, valid by construction: polygons are star-shaped around their centre (vertices at
increasing angles, so no ring crosses itself) and without holes, the polygons of a multi-polygon
sit side by side with disjoint interiors, lines have distinct vertices, and a shape is never
smaller than 100 units of the printed precision, so rounding cannot collapse it. Geography
coordinates stay within longitude [-180, 180] and latitude [-90, 90].

The uniform drives the cell, in row-major order from the extent's lower-left corner (so it
orders values south to north, which is what the copula can relate to other columns); the rest
(position inside the cell, type, size, vertices) comes from the rng.

Privacy: the model holds quantiles and cell shares only, never a coordinate of a row.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dbsynth.columns.base import ColumnModel, FitContext, clip_unit, register
from dbsynth.schema import Column
from dbsynth_postgis.wkb import ANY, KINDS, ColumnType, Shape, ewkt, parse_type, read_ewkb

LEVELS = tuple(float(x) for x in np.linspace(0.05, 0.95, 19))  # quantile levels kept (no extremes)
MAX_GRID = 32
MAX_DECIMALS = 9
_GEODETIC = (-180.0, -90.0, 180.0, 90.0)
_LONLAT_SRIDS = frozenset({4326, 4269, 4258, 4674})  # WGS 84, NAD83, ETRS89, SIRGAS: degrees

Part = list[np.ndarray]  # the vertex arrays of one member: a point, a line, or a polygon's rings


@register("geometry")
@dataclass(frozen=True)
class GeometryModel(ColumnModel):
    """PostGIS geometries (see the module doc). Invariants: ``len(density) == grid * grid``,
    ``density`` sums to 1, ``kinds`` and ``shares`` have equal lengths, every quantile tuple is
    empty or has ``len(LEVELS)`` non-decreasing entries, ``extent`` has positive width and height."""

    srid: int = 0
    ordinates: str = "XY"
    kinds: tuple[str, ...] = ("POINT",)
    shares: tuple[float, ...] = (1.0,)
    extent: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    grid: int = 1
    density: tuple[float, ...] = (1.0,)
    radius: tuple[float, ...] = ()
    vertices: tuple[float, ...] = ()
    members: tuple[float, ...] = ()
    extra: tuple[tuple[float, ...], ...] = ()
    decimals: int = 6
    geodetic: bool = False

    @classmethod
    def fit(cls, values: pd.Series, column: Column, ctx: FitContext) -> GeometryModel:
        declared = parse_type(column.sql_type) or ColumnType("geometry")
        shapes = [s for s in (read_ewkb(v) for v in values.tolist()) if s is not None and not s.empty]
        srid = declared.srid or _most_common([s.srid for s in shapes], 0)
        ordinates = declared.ordinates or _most_common([s.ordinates for s in shapes], "XY")
        geodetic = declared.geodetic or srid in _LONLAT_SRIDS
        kinds, shares = _kinds(declared, shapes, ctx.min_count)
        centres = np.array([_centre(s) for s in shapes]).reshape(-1, 2)
        extent = _extent(centres, ctx.min_count, geodetic)
        grid, density = _density(centres, extent, ctx.min_count)
        sized = [s for s in shapes if s.kind != "POINT"]
        extra_values = [
            np.concatenate([s.vertices()[:, i] for s in shapes]) for i in range(2, len(ordinates))
        ]
        return cls(
            srid=srid,
            ordinates=ordinates,
            kinds=kinds,
            shares=shares,
            extent=extent,
            grid=grid,
            density=density,
            radius=_quantiles([_radius(s) for s in sized], ctx.min_count),
            vertices=_quantiles([len(x) - _closing(s) for s in sized for x in s.lines], ctx.min_count),
            members=_quantiles(
                [s.members for s in shapes if s.kind.startswith(("MULTI", "GEOM"))], ctx.min_count
            ),
            extra=tuple(_quantiles(list(v), ctx.min_count) or (0.0,) * len(LEVELS) for v in extra_values)
            if shapes
            else tuple((0.0,) * len(LEVELS) for _ in ordinates[2:]),
            decimals=_decimals([s.vertices()[:, :2] for s in shapes], geodetic),
            geodetic=geodetic,
        )

    # -- the uniform maps ------------------------------------------------------------------------

    def _cumulative(self) -> np.ndarray:
        cum = np.cumsum(np.asarray(self.density, dtype=np.float64))
        return cum / cum[-1]

    def _cell_of(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x0, y0, x1, y1 = self.extent
        col = np.clip(((x - x0) / (x1 - x0) * self.grid).astype(np.int64), 0, self.grid - 1)
        row = np.clip(((y - y0) / (y1 - y0) * self.grid).astype(np.int64), 0, self.grid - 1)
        return row * self.grid + col

    def to_uniform(self, values: pd.Series, rng: np.random.Generator) -> np.ndarray:
        jitter = rng.random(len(values))
        shapes = [read_ewkb(v) for v in values.tolist()]
        known = np.array([s is not None and not s.empty for s in shapes], dtype=bool)
        centres = np.array(
            [_centre(s) if s is not None and k else (0.0, 0.0) for s, k in zip(shapes, known, strict=True)]
        )
        cells = self._cell_of(centres[:, 0], centres[:, 1]) if len(values) else np.empty(0, dtype=np.int64)
        cum = self._cumulative()
        low = np.where(cells > 0, cum[np.maximum(cells - 1, 0)], 0.0)
        u = low + jitter * (cum[cells] - low)
        return clip_unit(np.where(known, u, jitter))

    def from_uniform(self, u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = clip_unit(u)
        n = u.size
        cells = np.minimum(np.searchsorted(self._cumulative(), u, side="right"), self.grid**2 - 1)
        x0, y0, x1, y1 = self.extent
        width, height = (x1 - x0) / self.grid, (y1 - y0) / self.grid
        cx = x0 + (cells % self.grid + rng.random(n)) * width
        cy = y0 + (cells // self.grid + rng.random(n)) * height
        kinds = rng.choice(len(self.kinds), size=n, p=np.asarray(self.shares) / sum(self.shares))
        floor = 100 * 10.0**-self.decimals
        radii = np.maximum(_draw(self.radius, rng, n, default=0.01 * math.hypot(x1 - x0, y1 - y0)), floor)
        if self.geodetic:
            radii = np.minimum(radii, 10.0)
            cx = np.clip(cx, -180.0 + radii, 180.0 - radii)
            cy = np.clip(cy, -90.0 + radii, 90.0 - radii)
        out = np.empty(n, dtype=object)
        for i in range(n):
            kind = self.kinds[int(kinds[i])]
            parts = self._parts(kind, float(cx[i]), float(cy[i]), float(radii[i]), rng)
            out[i] = ewkt(kind, parts, self.srid, self.ordinates, self.decimals)
        return out

    # -- building one geometry -----------------------------------------------------------------

    def _parts(self, kind: str, x: float, y: float, r: float, rng: np.random.Generator) -> list[Part]:
        if kind == "POINT":
            return [[self._with_extra(np.array([[x, y]]), rng)]]
        count = 1
        if kind.startswith(("MULTI", "GEOM")):
            count = max(1, round(float(_draw(self.members, rng, 1, default=2.0)[0])))
        # Members side by side along x, 2.2 radii apart: discs of radius r/count never touch.
        sub = r / count
        offsets = (np.arange(count) - (count - 1) / 2) * 2.2 * sub
        parts: list[Part] = []
        for j, dx in enumerate(offsets):
            member = {"MULTIPOINT": "POINT", "MULTILINESTRING": "LINESTRING", "MULTIPOLYGON": "POLYGON"}.get(
                kind, kind
            )
            if member == "GEOMETRYCOLLECTION":
                member = "POINT" if j % 2 == 0 else "LINESTRING"
            parts.append([self._with_extra(self._member(member, x + dx, y, sub, rng), rng)])
        return parts

    def _member(self, kind: str, x: float, y: float, r: float, rng: np.random.Generator) -> np.ndarray:
        if kind == "POINT":
            return np.array([[x, y]])
        m = max(2 if kind == "LINESTRING" else 3, round(float(_draw(self.vertices, rng, 1, default=5.0)[0])))
        # Increasing angles around the centre: a ring through them is star-shaped, hence simple.
        angles = (np.arange(m) + 0.8 * rng.random(m)) * (2 * math.pi / m)
        radii = r * (0.5 + 0.5 * rng.random(m))
        ring = np.column_stack([x + radii * np.cos(angles), y + radii * np.sin(angles)])
        return np.vstack([ring, ring[:1]]) if kind == "POLYGON" else ring

    def _with_extra(self, xy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        if not self.extra:
            return xy
        columns = [_draw(q, rng, len(xy), default=0.0) for q in self.extra]
        return np.column_stack([xy, *columns])

    def describe(self) -> str:
        kinds = ", ".join(f"{k.lower()} {s:.0%}" for k, s in zip(self.kinds, self.shares, strict=True))
        x0, y0, x1, y1 = self.extent
        where = f"{self.grid}x{self.grid} density grid over [{x0:g}, {x1:g}] x [{y0:g}, {y1:g}]"
        return f"PostGIS geometry SRID {self.srid} {self.ordinates}: {kinds}; {where}"


# -- fitting helpers ---------------------------------------------------------------------------------


def _most_common(values: list, default):  # type: ignore[no-untyped-def]
    return Counter(values).most_common(1)[0][0] if values else default


def _kinds(
    declared: ColumnType, shapes: list[Shape], min_count: int
) -> tuple[tuple[str, ...], tuple[float, ...]]:
    if declared.kind != ANY:
        return (declared.kind,), (1.0,)
    counts = Counter(s.kind for s in shapes)
    kept = {k: c for k, c in counts.items() if c >= min_count and k in KINDS}
    if not kept:
        return ("POINT",), (1.0,)
    total = sum(kept.values())
    ordered = sorted(kept, key=KINDS.index)
    return tuple(ordered), tuple(round(kept[k] / total, 6) for k in ordered)


def _centre(shape: Shape) -> tuple[float, float]:
    xy = shape.vertices()[:, :2]
    low, high = xy.min(axis=0), xy.max(axis=0)
    return float((low[0] + high[0]) / 2), float((low[1] + high[1]) / 2)


def _radius(shape: Shape) -> float:
    xy = shape.vertices()[:, :2]
    span = xy.max(axis=0) - xy.min(axis=0)
    return float(math.hypot(span[0], span[1]) / 2)


def _closing(shape: Shape) -> int:
    """Rings repeat their first vertex at the end; the model counts distinct vertices."""
    return 1 if shape.kind in ("POLYGON", "MULTIPOLYGON") else 0


def _extent(centres: np.ndarray, min_count: int, geodetic: bool) -> tuple[float, float, float, float]:
    if len(centres) < 2 * min_count:
        return _GEODETIC if geodetic else (0.0, 0.0, 1.0, 1.0)
    q = min_count / len(centres)
    low = np.quantile(centres, q, axis=0)
    high = np.quantile(centres, 1 - q, axis=0)
    for axis in (0, 1):  # all centres on one line: give the extent a width to draw from
        if high[axis] - low[axis] <= 0:
            pad = max(abs(float(low[axis])) * 1e-3, 1e-3)
            low[axis], high[axis] = low[axis] - pad, high[axis] + pad
    return float(low[0]), float(low[1]), float(high[0]), float(high[1])


def _density(
    centres: np.ndarray, extent: tuple[float, float, float, float], min_count: int
) -> tuple[int, tuple[float, ...]]:
    grid = int(np.clip(math.isqrt(max(len(centres), 0) // max(4 * min_count, 1)), 1, MAX_GRID))
    if len(centres) == 0:
        return 1, (1.0,)
    probe = GeometryModel(extent=extent, grid=grid, density=(1.0,) * grid**2)
    cells = probe._cell_of(centres[:, 0], centres[:, 1])
    counts = np.bincount(cells, minlength=grid**2).astype(np.float64)
    counts[counts < min_count] = 0.0
    if counts.sum() == 0:
        return 1, (1.0,)
    return grid, tuple(round(float(c), 6) for c in counts / counts.sum())


def _quantiles(values: list[float], min_count: int) -> tuple[float, ...]:
    if len(values) < min_count:
        return ()
    return tuple(float(v) for v in np.quantile(np.asarray(values, dtype=np.float64), LEVELS))


def _draw(quantiles: tuple[float, ...], rng: np.random.Generator, n: int, default: float) -> np.ndarray:
    """``n`` values from a quantile function on LEVELS (linear in between), or ``default``."""
    if not quantiles:
        return np.full(n, default, dtype=np.float64)
    return np.interp(rng.random(n), LEVELS, quantiles)


def _decimals(coordinates: list[np.ndarray], geodetic: bool) -> int:
    """The fewest decimals that print every sampled coordinate to within 1e-9 of the largest
    one (so doubles of random noise do not ask for 15 digits; at most 9); without data, 6 for
    degrees and 2 for projected metres."""
    if not coordinates:
        return 6 if geodetic else 2
    xy = np.concatenate([c.ravel() for c in coordinates])
    for d in range(MAX_DECIMALS + 1):
        if np.allclose(np.round(xy, d), xy, rtol=0.0, atol=1e-9 * max(1.0, float(np.abs(xy).max()))):
            return d
    return MAX_DECIMALS


__all__ = ["LEVELS", "GeometryModel"]
