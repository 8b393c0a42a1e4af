"""dbsynth-postgis as a user meets it: installed, listed by ``dbsynth plugins``, conforming to
``dbsynth.testing.check_generator``, fitting what the data says, and a PostGIS table cloned end
to end by ``dbsynth.clone(..., create_schema=True)`` into a database that has no PostGIS yet."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import pandas as pd
import pytest
from dbsynth_postgis import GeometryModel
from dbsynth_postgis.model import LEVELS

import dbsynth
from dbsynth.columns.base import FitContext, registered_kinds
from dbsynth.introspection import introspect
from dbsynth.plugins import load_plugins
from dbsynth.schema import Column, LogicalType
from dbsynth.testing import check_generator

from conftest import run_sql

ROWS = 400
DBSYNTH = "from dbsynth.cli import main; main()"  # the console script, run by this interpreter

# A source in its own schema (PostGIS lives in public, with its spatial_ref_sys table): points
# in two clusters, polygons, lines, a mixed untyped column, a geography and a 3D point.
SOURCE_SQL = f"""
CREATE SCHEMA app;
CREATE TABLE app.sites (
    id serial PRIMARY KEY,
    name text NOT NULL,
    location geometry(Point,4326) NOT NULL,
    parcel geometry(Polygon,2154),
    route geometry(MultiLineString,4326),
    anything geometry,
    seen_from geography(Point,4326),
    probe geometry(PointZ,4326)
);
INSERT INTO app.sites (name, location, parcel, route, anything, seen_from, probe)
SELECT 'site ' || g,
       CASE WHEN g % 4 = 0
            THEN ST_SetSRID(ST_MakePoint(-3.7 + random() * 0.2, 40.4 + random() * 0.2), 4326)
            ELSE ST_SetSRID(ST_MakePoint(2.2 + random() * 0.3, 48.8 + random() * 0.1), 4326) END,
       CASE WHEN g % 10 <> 0 THEN ST_Buffer(ST_SetSRID(ST_MakePoint(650000 + random() * 9000,
            6860000 + random() * 9000), 2154), 20 + random() * 80, 2) END,
       ST_Multi(ST_SetSRID(ST_MakeLine(ST_MakePoint(2 + random(), 48 + random()),
            ST_MakePoint(2.5 + random(), 48.5 + random())), 4326)),
       CASE WHEN g % 3 = 0 THEN ST_MakePoint(random() * 100, random() * 100)
            ELSE ST_Buffer(ST_MakePoint(random() * 100, random() * 100), 2, 3) END,
       ST_SetSRID(ST_MakePoint(-70 + random() * 5, -33 + random() * 5), 4326)::geography,
       ST_SetSRID(ST_MakePoint(2 + random(), 48 + random(), 100 + random() * 50), 4326)
FROM generate_series(1, {ROWS}) g
"""
GEOMETRY_COLUMNS = ("location", "parcel", "route", "anything", "seen_from", "probe")


@pytest.fixture
def source(postgis_pg: Callable[[str], str]) -> str:
    return postgis_pg(SOURCE_SQL)


def column_values(url: str, column: str) -> list[str]:
    return [r[0] for r in run_sql(url, f"SELECT {column}::text FROM app.sites WHERE {column} IS NOT NULL")]


# -- installed and listed ------------------------------------------------------------------------


def test_installed_and_listed_by_dbsynth_plugins() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", DBSYNTH, "plugins", "--format", "json", "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0 and "No such command 'plugins'" in proc.stderr:
        pytest.fail("dbsynth has no 'plugins' command: dbsynth.cli must register dbsynth.cli.plugins")
    assert proc.returncode == 0, proc.stderr
    ours = {p["name"]: p for p in json.loads(proc.stdout) if p["distribution"] == "dbsynth-postgis"}
    assert ours["geometry"]["status"] == ours["postgis"]["status"] == "ok"
    assert ours["geometry"]["provides"] == "column model 'geometry'"
    assert ours["postgis"]["provides"] == (
        "SQL type geometry, geography -> column model 'geometry' (postgresql; extension postgis): "
        "PostGIS geometries: type, SRID, extent and density"
    )


def test_loaded_by_dbsynth() -> None:
    report = load_plugins()
    assert not [p for p in report.plugins if p.distribution == "dbsynth-postgis" and p.error]
    assert registered_kinds()["geometry"] is GeometryModel


# -- conformance ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", GEOMETRY_COLUMNS)
def test_conforms(source: str, name: str) -> None:
    column = introspect(source, "app").table("app.sites").column(name)
    values = check_generator(GeometryModel, column, column_values(source, name), n=500, url=source)
    # Beyond acceptance by the column type: every generated geometry is valid.
    literal = ",".join("'" + v + "'" for v in values)
    cast = "geography" if column.sql_type.startswith("geography") else "geometry"
    check = "true" if cast == "geography" else "bool_and(ST_IsValid(g))"
    rows = run_sql(source, f"SELECT count(*), {check} FROM unnest(ARRAY[{literal}]::{cast}[]) g")
    assert rows == [(500, True)]


def test_conforms_without_data(source: str) -> None:
    column = Column("spot", "geometry(MultiPolygon,3857)", LogicalType.OTHER, nullable=False)
    values = check_generator(GeometryModel, column, [], n=200, url=source)
    assert values.str.startswith("SRID=3857;MULTIPOLYGON(((").all()


# -- what the model keeps ---------------------------------------------------------------------------


def test_fit_keeps_type_srid_dimensions_and_where(source: str) -> None:
    columns = introspect(source, "app").table("app.sites")
    fit = {
        name: GeometryModel.fit(pd.Series(column_values(source, name)), columns.column(name), FitContext())
        for name in GEOMETRY_COLUMNS
    }
    location = fit["location"]
    assert (location.srid, location.ordinates, location.kinds, location.geodetic) == (
        4326,
        "XY",
        ("POINT",),
        True,
    )
    x0, y0, x1, y1 = location.extent
    assert -3.7 <= x0 < -3.5 and 2.3 < x1 <= 2.5 and 40.4 <= y0 < 40.6 and 48.8 < y1 <= 48.9
    # Two clusters, a quarter of the points in Madrid: the cells in between are empty.
    assert location.grid >= 4 and sum(1 for d in location.density if d == 0) > len(location.density) / 2
    parcel = fit["parcel"]
    # Random doubles in metres near 7e6: centimetres are all a 1e-9 relative precision keeps.
    assert (parcel.srid, parcel.kinds, parcel.geodetic, parcel.decimals) == (2154, ("POLYGON",), False, 2)
    assert 20 * 0.9 < parcel.radius[0] < parcel.radius[-1] < 100 * 1.5
    assert parcel.vertices == tuple(8.0 for _ in LEVELS)  # ST_Buffer with 2 segments per quarter
    anything = fit["anything"]
    assert (anything.srid, anything.kinds) == (0, ("POINT", "POLYGON"))
    assert abs(anything.shares[0] - 1 / 3) < 0.01
    assert (fit["route"].kinds, fit["route"].members) == (("MULTILINESTRING",), tuple(1.0 for _ in LEVELS))
    assert (fit["seen_from"].srid, fit["seen_from"].geodetic) == (4326, True)
    probe = fit["probe"]
    assert probe.ordinates == "XYZ" and 100 < probe.extra[0][0] < probe.extra[0][-1] < 150


def test_min_count_keeps_rare_places_out(source: str) -> None:
    column = introspect(source, "app").table("app.sites").column("location")
    values = pd.Series(column_values(source, "location")[:12])
    model = GeometryModel.fit(values, column, FitContext(min_count=5))
    assert (model.grid, model.density) == (1, (1.0,))
    lonely = GeometryModel.fit(values, column, FitContext(min_count=20))
    assert lonely.extent == (-180.0, -90.0, 180.0, 90.0)


# -- end to end ---------------------------------------------------------------------------------------


def test_introspection_names_the_plugin(source: str) -> None:
    warnings = [w for w in introspect(source, "app").warnings if "app.sites.location" in w]
    assert warnings == [
        "app.sites.location: type 'public.geometry(Point,4326)' is not built into dbsynth; "
        "plugin dbsynth-postgis generates it (column model 'geometry')"
    ]


def test_clone_into_a_database_without_postgis(source: str, empty_pg: Callable[[], str]) -> None:
    target = empty_pg()
    assert run_sql(target, "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'") == [(0,)]
    result = dbsynth.clone(source, target, schemas="app", create_schema=True, seed=11)
    assert result.generated.rows == {"app.sites": ROWS}
    assert run_sql(target, "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'") == [(1,)]
    kinds = {c.name: c.sql_type for c in introspect(target, "app").table("app.sites").columns}
    # Introspection deparses with search_path = pg_catalog: the extension's types come qualified.
    assert kinds["location"] == "public.geometry(Point,4326)"
    assert kinds["seen_from"] == "public.geography(Point,4326)"
    (row,) = run_sql(
        target,
        "SELECT count(*), count(location), bool_and(ST_IsValid(location)), bool_and(ST_IsValid(parcel)), "
        "bool_and(ST_IsValid(route)), bool_and(ST_IsValid(anything)), count(parcel), "
        "min(ST_X(location)), max(ST_X(location)), min(ST_Z(probe)), max(ST_Z(probe)), "
        "count(DISTINCT GeometryType(anything)), max(ST_SRID(parcel)) FROM app.sites",
    )
    total, located, *valid, parcels, x_min, x_max, z_min, z_max, anything_kinds, srid = row
    assert (total, located, valid) == (ROWS, ROWS, [True, True, True, True])
    assert ROWS * 0.8 <= parcels <= ROWS * 0.99  # a tenth of the source parcels are NULL
    assert x_min >= -3.7 and x_max <= 2.5
    assert z_min >= 100 and z_max <= 150
    assert (anything_kinds, srid) == (2, 2154)
    # Both clusters are there, about a quarter of the points in the western one.
    (west,) = run_sql(target, "SELECT avg((ST_X(location) < 0)::int) FROM app.sites")[0]
    assert 0.15 < float(west) < 0.35
