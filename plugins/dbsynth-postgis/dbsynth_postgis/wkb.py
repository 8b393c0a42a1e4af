"""PostGIS values in and out: the column type's modifiers, (E)WKB read, EWKT written.

* :func:`parse_type` reads what ``format_type`` prints for a column: ``geometry``,
  ``geometry(Point,4326)``, ``geometry(MultiPolygonZ,3857)``, ``geography(Point,4326)``.
* :func:`read_ewkb` reads a value as the sampler gets it: PostGIS sends geometries in COPY text
  as hex EWKB (``0101000020E6100000...``); ``bytes`` (plain WKB) are accepted too. ISO WKB type
  codes (``1001`` = Point Z) and EWKB flags (``0x80000000`` = Z, ``0x40000000`` = M,
  ``0x20000000`` = SRID follows) are both understood. A value it cannot read gives None, never
  an exception: one odd row must not stop a fit.
* :func:`ewkt` writes ``SRID=4326;POLYGON((...))``, the text form every PostGIS version reads
  back into ``geometry`` and ``geography`` columns, with ISO ``Z``/``M``/``ZM`` tags.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KINDS = (
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
)
ANY = "GEOMETRY"  # an unconstrained column: any of KINDS
_CODES = {i + 1: kind for i, kind in enumerate(KINDS)}
_Z, _M, _SRID = 0x80000000, 0x40000000, 0x20000000
_TYPE = re.compile(
    r"(?:[\w\"]+\.)?\"?(?P<base>geometry|geography)\"?"
    r"(?:\(\s*(?P<kind>[a-z]+?)(?P<dims>zm|z|m)?\s*(?:,\s*(?P<srid>-?\d+))?\s*\))?",
    re.IGNORECASE,
)
GEOGRAPHY_SRID = 4326  # PostGIS's default for geography values without one


@dataclass(frozen=True)
class ColumnType:
    """A geometry column's declaration: ``kind`` is one of KINDS or ANY, ``ordinates`` is
    ``XY``/``XYZ``/``XYM``/``XYZM`` or None (not constrained), ``srid`` 0 when not constrained."""

    base: str
    kind: str = ANY
    ordinates: str | None = None
    srid: int = 0

    @property
    def geodetic(self) -> bool:
        """Coordinates are longitude/latitude degrees."""
        return self.base == "geography"


def parse_type(sql_type: str) -> ColumnType | None:
    """The declaration in ``sql_type``, or None when it is no PostGIS geometry type."""
    m = _TYPE.fullmatch(sql_type.strip())
    if m is None:
        return None
    base = m["base"].lower()
    kind = (m["kind"] or ANY).upper()
    if kind not in (*KINDS, ANY):
        return None
    dims = (m["dims"] or "").upper()
    # Any modifier makes PostGIS check the dimensions too: geometry(Geometry,4326) refuses Z.
    ordinates = "XY" + dims if m["kind"] else None
    srid = int(m["srid"]) if m["srid"] else (GEOGRAPHY_SRID if base == "geography" else 0)
    return ColumnType(base, kind, ordinates, max(srid, 0))


@dataclass(frozen=True)
class Shape:
    """One value as read from (E)WKB. ``lines`` holds the vertex arrays (n x ordinates) of every
    point, line and ring in it; ``members`` counts the members of a multi-geometry or a
    collection (1 for a single geometry). An empty geometry has no lines."""

    kind: str
    srid: int
    ordinates: str
    lines: tuple[np.ndarray, ...]
    members: int = 1

    @property
    def empty(self) -> bool:
        return not self.lines or not all(np.isfinite(line).all() for line in self.lines)

    def vertices(self) -> np.ndarray:
        return np.vstack(self.lines) if self.lines else np.empty((0, len(self.ordinates)))


def read_ewkb(value: object) -> Shape | None:
    """The shape of a hex EWKB string or WKB bytes; None for anything it cannot read."""
    try:
        if isinstance(value, str):
            data = bytes.fromhex(value.strip())
        elif isinstance(value, bytes | bytearray | memoryview):
            data = bytes(value)
        else:
            return None
        shape, end = _read(data, 0, 0)
        return shape if end == len(data) else None
    except (ValueError, struct.error, IndexError, KeyError):
        return None


def _read(data: bytes, at: int, srid: int) -> tuple[Shape, int]:
    order = "<" if data[at] == 1 else ">"
    (code,) = struct.unpack_from(order + "I", data, at + 1)
    at += 5
    has_z, has_m = bool(code & _Z), bool(code & _M)
    if code & _SRID:
        (srid,) = struct.unpack_from(order + "i", data, at)
        at += 4
    code &= 0x0FFFFFFF
    iso, code = divmod(code, 1000)  # ISO WKB: 1000 Z, 2000 M, 3000 ZM
    has_z, has_m = has_z or iso in (1, 3), has_m or iso in (2, 3)
    kind = _CODES[code]
    ordinates = "XY" + ("Z" if has_z else "") + ("M" if has_m else "")
    width = len(ordinates)

    def points(count: int, at: int) -> tuple[np.ndarray, int]:
        values = struct.unpack_from(f"{order}{count * width}d", data, at)
        return np.array(values, dtype=np.float64).reshape(count, width), at + 8 * count * width

    def count(at: int) -> tuple[int, int]:
        return struct.unpack_from(order + "I", data, at)[0], at + 4

    lines: list[np.ndarray] = []
    members = 1
    if kind == "POINT":
        point, at = points(1, at)
        lines.append(point)
    elif kind == "LINESTRING":
        n, at = count(at)
        line, at = points(n, at)
        lines.append(line)
    elif kind == "POLYGON":
        rings, at = count(at)
        for _ in range(rings):
            n, at = count(at)
            ring, at = points(n, at)
            lines.append(ring)
    else:
        members, at = count(at)
        for _ in range(members):
            child, at = _read(data, at, srid)
            lines.extend(child.lines)
    return Shape(kind, srid, ordinates, tuple(lines), members), at


# -- EWKT out ---------------------------------------------------------------------------------------


def number(value: float, decimals: int) -> str:
    """Shortest text of ``value`` rounded to ``decimals`` (``12.5``, not ``12.500000``)."""
    text = np.format_float_positional(round(float(value), decimals), precision=decimals, trim="-")
    return "0" if text in ("-0", "-0.") else text


def _coords(points: np.ndarray, decimals: int) -> str:
    return ",".join(" ".join(number(v, decimals) for v in row) for row in points)


def _body(kind: str, parts: Sequence[Sequence[np.ndarray]], decimals: int) -> str:
    """WKT body (after the tag) of ``kind`` from its parts: a part is a list of vertex arrays
    (one for a point or a line, the rings of a polygon)."""
    if kind in ("POINT", "LINESTRING"):
        return f"({_coords(parts[0][0], decimals)})"
    if kind == "POLYGON":
        return "(" + ",".join(f"({_coords(r, decimals)})" for r in parts[0]) + ")"
    if kind in ("MULTIPOINT", "MULTILINESTRING"):
        return "(" + ",".join(f"({_coords(p[0], decimals)})" for p in parts) + ")"
    if kind == "MULTIPOLYGON":
        return (
            "(" + ",".join("(" + ",".join(f"({_coords(r, decimals)})" for r in p) + ")" for p in parts) + ")"
        )
    raise ValueError(f"no WKT body for {kind}")


def ewkt(kind: str, parts: Sequence[Sequence[np.ndarray]], srid: int, ordinates: str, decimals: int) -> str:
    """EWKT of a geometry (``GEOMETRYCOLLECTION``: one member per part, a point if it has one
    vertex, else a line)."""
    tag = {"XY": "", "XYZ": " Z ", "XYM": " M ", "XYZM": " ZM "}[ordinates]
    head = f"SRID={srid};" if srid else ""
    if kind == "GEOMETRYCOLLECTION":
        members = []
        for part in parts:
            member = "POINT" if len(part[0]) == 1 else "LINESTRING"
            members.append(f"{member}{tag}{_body(member, [part], decimals)}")
        return f"{head}GEOMETRYCOLLECTION{tag}(" + ",".join(members) + ")"
    return f"{head}{kind}{tag}{_body(kind, parts, decimals)}"


__all__ = ["ANY", "KINDS", "ColumnType", "Shape", "ewkt", "number", "parse_type", "read_ewkb"]
