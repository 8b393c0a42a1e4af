"""dbsynth: clone a production database into a synthetic one.

    import dbsynth
    model = dbsynth.fit("postgresql://readonly@prod/shop")     # read-only sample → model
    model.save("shop.model.json")                               # reviewable JSON, no source row
    dbsynth.generate(model, "postgresql://localhost/shop_qa", scale=2, create_schema=True)

The public API is what this module exports (``__all__``); everything else is internal.
"""

from dbsynth._version import __version__
from dbsynth.api import CloneResult, GenerateResult, clone, generate
from dbsynth.errors import (
    ConnectionFailed,
    CycleError,
    DbsynthError,
    GenerationError,
    ModelError,
    SchemaError,
    TargetError,
    UnsupportedDatabase,
    UsageError,
)
from dbsynth.fitting.fit import fit
from dbsynth.introspection import introspect
from dbsynth.model import Model
from dbsynth.planning.plan import Plan, make_plan
from dbsynth.schema import Schema

__all__ = [
    "CloneResult",
    "ConnectionFailed",
    "CycleError",
    "DbsynthError",
    "GenerateResult",
    "GenerationError",
    "Model",
    "ModelError",
    "Plan",
    "Schema",
    "SchemaError",
    "TargetError",
    "UnsupportedDatabase",
    "UsageError",
    "__version__",
    "clone",
    "fit",
    "generate",
    "introspect",
    "make_plan",
]
