"""dbsynth: clone a production database into a synthetic one.

    import dbsynth
    model = dbsynth.fit("postgresql://readonly@prod/shop")     # read-only sample → model
    model.save("shop.model.json")                               # reviewable JSON, no source row
    dbsynth.generate(model, "postgresql://localhost/shop_qa", scale=2, create_schema=True)

The public API is what this module exports (``__all__``); everything else is internal.

Importing dbsynth is light: the errors and the version are here at once, everything else
(SQLAlchemy, pandas, scipy behind the engine) is imported when a name is first used.
"""

# Standard-library modules under private names, so that the module namespace holds exactly the
# public API (tests/test_exported_members.py); no `from __future__` import, which binds a name.
import importlib as _importlib
import typing as _typing

from dbsynth._version import __version__
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

if _typing.TYPE_CHECKING:
    from dbsynth.api import CloneResult, GenerateResult, clone, fit, generate, plan
    from dbsynth.introspection import introspect
    from dbsynth.model import Model
    from dbsynth.options import FitOptions, GenerateOptions
    from dbsynth.planning.plan import Plan, make_plan
    from dbsynth.schema import Schema

# Exported name -> the module that defines it, imported on first use (PEP 562).
_LAZY = {
    "CloneResult": "dbsynth.api",
    "FitOptions": "dbsynth.options",
    "GenerateOptions": "dbsynth.options",
    "GenerateResult": "dbsynth.api",
    "Model": "dbsynth.model",
    "Plan": "dbsynth.planning.plan",
    "Schema": "dbsynth.schema",
    "clone": "dbsynth.api",
    "fit": "dbsynth.api",
    "generate": "dbsynth.api",
    "introspect": "dbsynth.introspection",
    "make_plan": "dbsynth.planning.plan",
    "plan": "dbsynth.api",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'dbsynth' has no attribute '{name}'")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "CloneResult",
    "ConnectionFailed",
    "CycleError",
    "DbsynthError",
    "FitOptions",
    "GenerateOptions",
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
    "plan",
]
