"""Column, dependence and relationship models. Importing this package registers the built-in
column-model kinds (plugins register theirs the same way, through ``dbsynth.columns.base``)."""

from dbsynth.columns import categorical, numeric, simple, structured, temporal, text  # noqa: F401
from dbsynth.plugins import load_plugins

# Third-party column models and SQL type handlers (entry points); a broken one warns, never fails.
load_plugins()
