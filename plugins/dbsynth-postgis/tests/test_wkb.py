"""The value codec against PostGIS itself: type modifiers as ``format_type`` prints them, every
geometry type and dimension read from PostGIS's hex EWKB and ISO WKB, and EWKT written by
:func:`ewkt` read back by PostGIS as the same geometry."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from dbsynth_postgis.wkb import ColumnType, ewkt, number, parse_type, read_ewkb

from conftest import run_sql


@pytest.mark.parametrize(
    ("sql_type", "expected"),
    [
        ("geometry", ColumnType("geometry")),
        ("geometry(Point,4326)", ColumnType("geometry", "POINT", "XY", 4326)),
        ("geometry(PointZ,4326)", ColumnType("geometry", "POINT", "XYZ", 4326)),
        ("geometry(MultiPolygonZM,3857)", ColumnType("geometry", "MULTIPOLYGON", "XYZM", 3857)),
        ("geometry(LineStringM)", ColumnType("geometry", "LINESTRING", "XYM", 0)),
        ("geometry(Geometry,4326)", ColumnType("geometry", "GEOMETRY", "XY", 4326)),
        ("geography", ColumnType("geography", srid=4326)),
        ("geography(Point,4326)", ColumnType("geography", "POINT", "XY", 4326)),
        ("public.geometry(Polygon,2154)", ColumnType("geometry", "POLYGON", "XY", 2154)),
        ("text", None),
        ("geometry(Circle,4326)", None),
    ],
)
def test_parse_type(sql_type: str, expected: ColumnType | None) -> None:
    assert parse_type(sql_type) == expected


def test_the_declarations_postgis_prints(postgis_pg: Callable[[str], str]) -> None:
    url = postgis_pg(
        "CREATE TABLE t (a geometry(PointZ,4326), b geography(MultiPolygon), c geometry(GeometryCollection))"
    )
    rows = run_sql(
        url,
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 't'::regclass AND attnum > 0 ORDER BY attnum",
    )
    assert [parse_type(r[0]) for r in rows] == [
        ColumnType("geometry", "POINT", "XYZ", 4326),
        ColumnType("geography", "MULTIPOLYGON", "XY", 4326),
        ColumnType("geometry", "GEOMETRYCOLLECTION", "XY", 0),
    ]


SAMPLES = [
    ("SRID=4326;POINT(2.35 48.85)", "POINT", 4326, "XY", 1, [1]),
    ("LINESTRING Z (0 0 1,1 1 2,2 0 3)", "LINESTRING", 0, "XYZ", 1, [3]),
    ("SRID=3857;POLYGON((0 0,4 0,4 4,0 4,0 0),(1 1,2 1,2 2,1 1))", "POLYGON", 3857, "XY", 1, [5, 4]),
    ("MULTIPOINT M ((0 0 5),(1 1 6))", "MULTIPOINT", 0, "XYM", 2, [1, 1]),
    ("SRID=4326;MULTILINESTRING((0 0,1 1),(2 2,3 3,4 4))", "MULTILINESTRING", 4326, "XY", 2, [2, 3]),
    ("MULTIPOLYGON ZM (((0 0 0 0,1 0 0 0,1 1 0 0,0 0 0 0)))", "MULTIPOLYGON", 0, "XYZM", 1, [4]),
    ("GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,5 5))", "GEOMETRYCOLLECTION", 0, "XY", 2, [1, 2]),
]


@pytest.mark.parametrize(("text", "kind", "srid", "ordinates", "members", "lengths"), SAMPLES)
def test_read_what_postgis_writes(
    postgis_pg: Callable[[str], str],
    text: str,
    kind: str,
    srid: int,
    ordinates: str,
    members: int,
    lengths: list[int],
) -> None:
    url = postgis_pg()
    (ewkb, iso, xmin, ymax) = run_sql(
        url,
        f"SELECT g::text, encode(ST_AsBinary(g, 'XDR'), 'hex'), ST_XMin(g), ST_YMax(g) "
        f"FROM (SELECT '{text}'::geometry AS g) s",
    )[0]
    shape = read_ewkb(ewkb)
    assert shape is not None
    assert (shape.kind, shape.srid, shape.ordinates, shape.members) == (kind, srid, ordinates, members)
    assert [len(line) for line in shape.lines] == lengths
    assert (shape.vertices()[:, 0].min(), shape.vertices()[:, 1].max()) == (xmin, ymax)
    iso_shape = read_ewkb(bytes.fromhex(iso))  # big-endian ISO WKB: Z/M as type codes, no SRID
    assert iso_shape is not None
    assert (iso_shape.kind, iso_shape.ordinates) == (kind, ordinates)
    assert all(np.array_equal(a, b) for a, b in zip(iso_shape.lines, shape.lines, strict=True))


def test_unreadable_values_are_none() -> None:
    assert read_ewkb("not hex") is None
    assert read_ewkb("0101000020E6100000CDCC") is None  # cut short
    assert read_ewkb("01" + "08000000" + "00" * 16) is None  # circular string: not a kind we model
    assert read_ewkb(12) is None
    empty = read_ewkb("0101000000000000000000F87F000000000000F87F")  # POINT EMPTY: NaN coordinates
    assert empty is not None and empty.empty


def test_numbers_are_short() -> None:
    assert [number(v, 6) for v in (12.5, 3.0, -0.0000001, 2.3456789, 1e6)] == [
        "12.5",
        "3",
        "0",
        "2.345679",
        "1000000",
    ]


def test_postgis_reads_back_what_ewkt_writes(postgis_pg: Callable[[str], str]) -> None:
    square = [np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 0.0]])]
    cases = {
        ewkt("POINT", [[np.array([[1.5, 2.25, 7.0]])]], 4326, "XYZ", 3): "SRID=4326;POINT(1.5 2.25 7)",
        ewkt(
            "LINESTRING", [[np.array([[0.0, 0.0, 1.0], [1.0, 1.0, 2.0]])]], 0, "XYM", 3
        ): "LINESTRINGM(0 0 1,1 1 2)",
        ewkt("POLYGON", [square], 3857, "XY", 2): "SRID=3857;POLYGON((0 0,2 0,2 2,0 0))",
        ewkt(
            "MULTIPOINT", [[np.array([[1.0, 1.0]])], [np.array([[2.0, 2.0]])]], 0, "XY", 1
        ): "MULTIPOINT(1 1,2 2)",
        ewkt("MULTIPOLYGON", [square], 4326, "XY", 1): "SRID=4326;MULTIPOLYGON(((0 0,2 0,2 2,0 0)))",
        ewkt(
            "GEOMETRYCOLLECTION", [[np.array([[1.0, 2.0]])], [np.array([[0.0, 0.0], [1.0, 1.0]])]], 0, "XY", 1
        ): "GEOMETRYCOLLECTION(POINT(1 2),LINESTRING(0 0,1 1))",
    }
    url = postgis_pg()
    for text, expected in cases.items():
        assert run_sql(url, f"SELECT ST_AsEWKT('{text}'::geometry)") == [(expected,)], text
