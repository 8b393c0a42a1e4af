"""SQL types with an input syntax of their own: their bare names, one valid literal of each, and
geometry values in well-known text.

Whatever the logical type says (``inet`` is a STRING, a range or a point OTHER), a value of these
types must be written in their syntax, on every target. This module holds what the models
(:mod:`dbsynth.columns.special`), the engine and the writers need to agree on:

* :func:`base_type`: ``bit varying(10)`` -> ``bit varying``, ``public.geometry(Point,4326)`` ->
  ``geometry``;
* :func:`type_literal`: one valid value of a column's type (``0.0.0.0``, ``empty``, ``(0,0)``,
  ``{}``), for a NOT NULL column with nothing to model; None when dbsynth knows none;
* :class:`Wkt`: a geometry from a MySQL/MariaDB source, as well-known text. Text targets store
  the text; a MySQL target gets MySQL's internal format (:func:`internal_geometry`: a 4-byte
  SRID, then WKB), which is what its spatial columns accept as a parameter.
"""

from __future__ import annotations

import ipaddress
import re
import struct

from dbsynth.schema import Column, LogicalType

NETWORK_TYPES = frozenset({"inet", "cidr", "macaddr", "macaddr8"})
RANGE_SUBTYPES = {
    "int4range": "int",
    "int8range": "int",
    "numrange": "num",
    "daterange": "date",
    "tsrange": "ts",
    "tstzrange": "tstz",
}
MULTIRANGE_TYPES = frozenset(name.replace("range", "multirange") for name in RANGE_SUBTYPES)
BIT_TYPES = frozenset({"bit", "bit varying", "varbit"})
# MySQL/MariaDB spatial types (PostgreSQL's PostGIS has geometry and geography too).
SPATIAL_TYPES = frozenset(
    {
        "geometry",
        "point",
        "linestring",
        "polygon",
        "multipoint",
        "multilinestring",
        "multipolygon",
        "geometrycollection",
        "geomcollection",
    }
)

# A valid value of each type whose literal does not follow from its logical type. PostgreSQL
# spellings; a cross-dialect target stores these types as text, where they are as good as any.
LITERALS: dict[str, str] = {
    "inet": "0.0.0.0",
    "cidr": "0.0.0.0/32",
    "macaddr": "00:00:00:00:00:00",
    "macaddr8": "00:00:00:00:00:00:00:00",
    **dict.fromkeys(RANGE_SUBTYPES, "empty"),
    **dict.fromkeys(MULTIRANGE_TYPES, "{}"),
    "point": "(0,0)",
    "line": "{1,-1,0}",
    "lseg": "[(0,0),(1,1)]",
    "box": "(1,1),(0,0)",
    "path": "[(0,0),(1,1)]",
    "polygon": "((0,0),(1,0),(0,1))",
    "circle": "<(0,0),1>",
    "varbit": "",
    "bit varying": "",
    "money": "0",
    "tsvector": "",
    "xml": "",
    "hstore": "",
    "ltree": "",
    "cube": "(0)",
    "pg_lsn": "0/0",
    "geometry": "POINT(0 0)",
    "geography": "POINT(0 0)",
}
# MySQL/MariaDB spatial columns: well-known text of a minimal shape of each type.
SPATIAL_LITERALS: dict[str, str] = {
    "geometry": "POINT(0 0)",
    "point": "POINT(0 0)",
    "linestring": "LINESTRING(0 0,1 1)",
    "polygon": "POLYGON((0 0,1 0,0 1,0 0))",
    "multipoint": "MULTIPOINT(0 0)",
}


def base_type(sql_type: str) -> str:
    """The bare, lower-case name of a SQL type: without arguments, schema or quotes."""
    text = sql_type.strip().lower().split("(")[0].strip()
    text = text.rsplit(".", 1)[-1].strip('"`')
    return re.sub(r"\s+", " ", text)


class Wkt(str):
    """A geometry of a MySQL/MariaDB source as well-known text (``POINT(1 2)``), with its SRID."""

    srid: int

    def __new__(cls, text: str, srid: int = 0) -> Wkt:
        out = super().__new__(cls, text)
        out.srid = srid
        return out


def type_literal(column: Column, dialect: str) -> object | None:
    """One valid value of ``column``'s type (``dialect``: the source's), or None when the type
    has no literal dbsynth knows. Types whose logical type says it all (numbers, text, dates)
    are not listed here: None for them too."""
    base = base_type(column.sql_type)
    if dialect == "mysql" and base in SPATIAL_TYPES:
        text = SPATIAL_LITERALS.get(base)
        return None if text is None else Wkt(text)
    if base == "bit" and column.logical is LogicalType.OTHER:  # MySQL's BIT(n) is an integer
        return "0" * (column.length or 1)
    if base in LITERALS and (column.logical is LogicalType.OTHER or base in NETWORK_TYPES):
        return LITERALS[base]
    return None


def literal_problem(column: Column, text: str, dialect: str) -> str | None:
    """Why ``text`` is not a valid value of ``column``'s type (for a config ``constant``), or
    None when it is, or when the type's syntax is not one dbsynth knows (the database decides)."""
    base = base_type(column.sql_type)
    what = f"'{text}' is not a valid {base} value"
    if base in NETWORK_TYPES:
        ok = _network_ok(base, text)
    elif base in RANGE_SUBTYPES:
        ok = text.strip().lower() == "empty" or re.fullmatch(r"\s*[\[(].*,.*[\])]\s*", text) is not None
    elif dialect == "mysql" and base in SPATIAL_TYPES:
        try:
            wkb(split_srid(text)[0])
            ok = True
        except ValueError as exc:
            return f"{what}: {exc}"
    elif base == "point":
        ok = re.fullmatch(r"\s*\(?\s*[-+.\deE]+\s*,\s*[-+.\deE]+\s*\)?\s*", text) is not None
    elif base in BIT_TYPES:
        ok = re.fullmatch("[01]*", text) is not None and (base != "bit" or len(text) == (column.length or 1))
    else:
        return None
    return None if ok else what


def _network_ok(base: str, text: str) -> bool:
    if base in ("macaddr", "macaddr8"):
        return (
            re.fullmatch(
                r"[0-9A-Fa-f]{2}([:.-]?[0-9A-Fa-f]{2}){5}"
                + ("([:.-]?[0-9A-Fa-f]{2}){2}" if base == "macaddr8" else ""),
                text.strip(),
            )
            is not None
        )
    try:
        ipaddress.ip_network(text.strip(), strict=base == "cidr")
    except ValueError:
        return False
    return True


def split_srid(text: str) -> tuple[str, int]:
    """``SRID=4326;POINT(1 2)`` -> ``("POINT(1 2)", 4326)``; text without an SRID has 0."""
    m = re.fullmatch(r"\s*SRID=(\d+);(.*)", text, flags=re.IGNORECASE | re.DOTALL)
    return (m[2], int(m[1])) if m else (text, 0)


# -- MySQL's internal geometry format -----------------------------------------------------------

_WKB_TYPES = {"POINT": 1, "LINESTRING": 2, "POLYGON": 3, "MULTIPOINT": 4}
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_COORD = re.compile(rf"\s*({_NUMBER})\s+({_NUMBER})\s*")


def _coords(text: str) -> list[tuple[float, float]]:
    out = []
    for part in text.split(","):
        m = _COORD.fullmatch(part.strip().strip("()"))
        if m is None:
            raise ValueError(f"'{part.strip()}' is not a coordinate pair")
        out.append((float(m[1]), float(m[2])))
    return out


def wkb(text: str) -> bytes:
    """Little-endian WKB of a ``POINT``, ``LINESTRING``, ``POLYGON`` or ``MULTIPOINT`` in
    well-known text; ValueError for anything else."""
    m = re.fullmatch(r"\s*([A-Za-z]+)\s*\((.*)\)\s*", text, flags=re.DOTALL)
    kind = m[1].upper() if m else ""
    if m is None or kind not in _WKB_TYPES:
        raise ValueError(f"'{text}' is not a POINT, LINESTRING, POLYGON or MULTIPOINT in well-known text")
    body = m[2]
    head = struct.pack("<BI", 1, _WKB_TYPES[kind])
    if kind == "POINT":
        (x, y), *rest = _coords(body)
        if rest:
            raise ValueError(f"'{text}': a POINT has one coordinate pair")
        return head + struct.pack("<dd", x, y)
    if kind == "LINESTRING":
        pts = _coords(body)
        return head + struct.pack("<I", len(pts)) + b"".join(struct.pack("<dd", *p) for p in pts)
    if kind == "MULTIPOINT":
        pts = _coords(body)
        points = b"".join(struct.pack("<BI", 1, 1) + struct.pack("<dd", *p) for p in pts)
        return head + struct.pack("<I", len(pts)) + points
    rings = re.findall(r"\(([^()]*)\)", body)
    if not rings:
        raise ValueError(f"'{text}': a POLYGON has rings in parentheses")
    out = head + struct.pack("<I", len(rings))
    for ring in rings:
        pts = _coords(ring)
        out += struct.pack("<I", len(pts)) + b"".join(struct.pack("<dd", *p) for p in pts)
    return out


def internal_geometry(value: Wkt) -> bytes:
    """MySQL's internal geometry format: the SRID (4 bytes, little-endian), then WKB."""
    return struct.pack("<I", value.srid) + wkb(value)
