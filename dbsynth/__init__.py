"""dbsynth: clone a production database into a synthetic one.

The public API is what this module exports (``__all__``); everything else is internal.
"""

from dbsynth.errors import DbsynthError
from dbsynth.introspect import introspect
from dbsynth.schema import Schema

__version__ = "0.1.0"

__all__ = ["DbsynthError", "Schema", "__version__", "introspect"]
