"""dbsynth: clone a production database into a synthetic one.

    import dbsynth
    model = dbsynth.fit("postgresql://readonly@prod/shop")     # read-only sample → model
    model.save("shop.model.json")                               # reviewable JSON, no source row
    dbsynth.generate(model, "postgresql://localhost/shop_qa", scale=2, create_schema=True)

The public API is what this module exports (``__all__``); everything else is internal.
"""

__version__ = "0.1.0"

from dbsynth.api import CloneResult, GenerateResult, clone, generate  # noqa: E402
from dbsynth.errors import (  # noqa: E402
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
from dbsynth.fit import fit  # noqa: E402
from dbsynth.introspect import introspect  # noqa: E402
from dbsynth.model import Model  # noqa: E402
from dbsynth.plan import Plan, make_plan  # noqa: E402
from dbsynth.schema import Schema  # noqa: E402

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
