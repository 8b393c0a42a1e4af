"""dbsynth-postgis: PostGIS ``geometry`` and ``geography`` columns for dbsynth.

Installed next to dbsynth, it is found through two entry points (see ``pyproject.toml``):

* ``dbsynth.generators``: ``geometry`` = :class:`~dbsynth_postgis.model.GeometryModel`, the
  column model (fit: type, SRID, dimensions, extent, density, sizes; generate: valid EWKT);
* ``dbsynth.types``: ``postgis`` = :data:`POSTGIS_TYPES`, which tells dbsynth that columns of
  SQL type ``geometry``/``geography`` (any modifiers) get that model, and that a PostgreSQL
  target needs ``CREATE EXTENSION IF NOT EXISTS "postgis"`` before its tables.

Nothing to call: ``dbsynth fit``/``clone`` pick the model for those columns, and ``dbsynth
plugins`` lists both entry points.
"""

from dbsynth.plugins import TypeHandler
from dbsynth_postgis.model import GeometryModel
from dbsynth_postgis.wkb import ColumnType, parse_type, read_ewkb

__version__ = "0.1.0"

POSTGIS_TYPES = TypeHandler(
    sql_types=("geometry", "geography"),
    model="geometry",
    dialects=("postgresql",),
    extension="postgis",
    description="PostGIS geometries: type, SRID, extent and density",
)

__all__ = ["POSTGIS_TYPES", "ColumnType", "GeometryModel", "__version__", "parse_type", "read_ewkb"]
