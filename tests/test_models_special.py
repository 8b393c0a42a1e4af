"""The models of SQL types with a syntax of their own (dbsynth.columns.special) and the literals
and geometry encoding they share (dbsynth.columns.sqltypes), without a database."""

from __future__ import annotations

import ipaddress
import struct

import numpy as np
import pandas as pd
import pytest
from psycopg.types.range import Range

from dbsynth.columns.base import FitContext, decode, encode
from dbsynth.columns.special import BitsModel, NetworkModel, PointModel, RangeModel, choose_special
from dbsynth.columns.sqltypes import Wkt, base_type, internal_geometry, literal_problem, type_literal, wkb
from dbsynth.invariants import check_tree
from dbsynth.schema import Column, LogicalType

CTX = FitContext(min_count=2)


def col(sql_type: str, logical: LogicalType = LogicalType.OTHER, **kw: object) -> Column:
    return Column("c", sql_type, logical, **kw)  # type: ignore[arg-type]


def roundtrip(model: object) -> object:
    again = decode(encode(model))  # type: ignore[arg-type]
    check_tree(again)
    assert again == model
    return again


@pytest.mark.parametrize(
    ("sql_type", "values", "check"),
    [
        ("inet", ["10.0.0.1", "10.0.3.4", "10.1.0.0/16"], lambda v: ipaddress.ip_interface(v)),
        ("cidr", ["192.168.1.0/24", "192.168.7.0/24"], lambda v: ipaddress.ip_network(v, strict=True)),
        ("macaddr", ["08:00:2b:01:02:03", "08:00:2b:ff:02:03"], lambda v: bytes.fromhex(v.replace(":", ""))),
        ("macaddr8", ["08:00:2b:01:02:03:04:05"] * 2, lambda v: len(v.split(":")) == 8 or 1 / 0),
    ],
)
def test_network_values_parse_and_unique_ones_are_distinct(
    sql_type: str, values: list[str], check: object
) -> None:
    model = choose_special(col(sql_type, LogicalType.STRING), pd.Series(values), CTX)
    assert isinstance(model, NetworkModel)
    roundtrip(model)
    rng = np.random.default_rng(1)
    for v in model.from_uniform(rng.random(200), rng):
        check(v)  # type: ignore[operator]
    unique = model.from_index(np.arange(5000), rng)
    assert len(set(unique)) == 5000
    for v in unique[:50]:
        check(v)  # type: ignore[operator]


def test_ranges_keep_lower_below_upper_in_every_subtype() -> None:
    samples = {
        "int4range": [Range(i, i + i % 4, "[)") for i in range(40)] + [Range(empty=True)] * 4,
        "numrange": ["[1.25,3.5)", "(2.5,]", "[0.75,1.5)"] * 10,
        "daterange": [f"[2024-01-{d:02d},2024-02-01)" for d in range(1, 29)],
        "tstzrange": ['["2024-01-01 10:00:00+00","2024-01-01 12:30:00+00")'] * 6,
    }
    rng = np.random.default_rng(4)
    for sql_type, values in samples.items():
        model = choose_special(col(sql_type), pd.Series(values, dtype=object), CTX)
        assert isinstance(model, RangeModel)
        roundtrip(model)
        for text in model.from_uniform(rng.random(300), rng):
            if text == "empty":
                continue
            low, high = text[1:-1].split(",")
            if low and high:
                assert low.strip('"') <= high.strip('"') or float(low) <= float(high), text


def test_points_in_the_form_of_their_source() -> None:
    mysql = struct.pack("<I", 4326) + wkb("POINT(1.5 2.5)")
    model = PointModel.fit(pd.Series([mysql] * 3), col("point"), FitContext(min_count=2, dialect="mysql"))
    roundtrip(model)
    value = model.from_uniform(np.array([0.5]), np.random.default_rng(0))[0]
    assert isinstance(value, Wkt) and value.srid == 4326 and value.startswith("POINT(")
    pg = PointModel.fit(
        pd.Series(["(1,2)", "(3,4)"]), col("point"), FitContext(min_count=1, dialect="postgresql")
    )
    assert pg.from_uniform(np.array([0.5]), np.random.default_rng(0))[0].startswith("(")


def test_mysql_internal_geometry_is_srid_then_wkb() -> None:
    assert internal_geometry(Wkt("POINT(1 2)", 4326)) == (
        struct.pack("<I", 4326) + struct.pack("<BI", 1, 1) + struct.pack("<dd", 1.0, 2.0)
    )
    polygon = wkb("POLYGON((0 0,1 0,0 1,0 0))")
    assert polygon[:9] == struct.pack("<BII", 1, 3, 1) and len(polygon) == 13 + 4 * 16
    with pytest.raises(ValueError, match="is not a POINT, LINESTRING, POLYGON or MULTIPOINT"):
        wkb("CIRCLE(0 0, 1)")


def test_bit_strings_have_their_length() -> None:
    model = choose_special(col("bit(4)", length=4), pd.Series(["0101", "1111"]), CTX)
    assert isinstance(model, BitsModel)
    roundtrip(model)
    assert {
        len(v) for v in model.from_uniform(np.random.default_rng(0).random(50), np.random.default_rng(0))
    } == {4}


def test_literals_and_their_checks() -> None:
    assert base_type("public.geometry(Point,4326)") == "geometry"
    assert base_type("bit varying(10)") == "bit varying"
    assert type_literal(col("int8range"), "postgresql") == "empty"
    assert type_literal(col("inet", LogicalType.STRING), "postgresql") == "0.0.0.0"
    assert isinstance(type_literal(col("geometry"), "mysql"), Wkt)
    assert type_literal(col("bit(3)", length=3), "postgresql") == "000"
    assert type_literal(col("bit(3)", LogicalType.INTEGER), "mysql") is None  # MySQL BIT(n) is a number
    assert type_literal(col("txid_snapshot"), "postgresql") is None
    assert literal_problem(col("cidr", LogicalType.STRING), "10.0.0.1/8", "postgresql") == (
        "'10.0.0.1/8' is not a valid cidr value"
    )
    assert literal_problem(col("inet", LogicalType.STRING), "10.0.0.1/8", "postgresql") is None
    assert literal_problem(col("xml"), "<a/>", "postgresql") is None  # unknown syntax: the database decides
