"""Plugins: column models and SQL type handlers found through package entry points.

Two entry-point groups, read with :mod:`importlib.metadata` from every installed distribution:

``dbsynth.generators``
    name: a column-model kind; value: a :class:`~dbsynth.columns.base.ColumnModel` subclass
    (``"pkg.module:GeometryModel"``). A class that carries no ``kind`` of its own is registered
    under the entry point's name; a class decorated with ``@register(kind)`` keeps its kind. A
    :class:`~dbsynth.columns.generators.GeneratorModel` named ``generator.<name>`` is also a
    config generator (``generator: <name>`` in ``dbsynth.yaml``), as with ``register_generator``.
``dbsynth.types``
    name: anything; value: a :class:`TypeHandler` saying which SQL types (by bare name:
    ``geometry`` for ``geometry(Point,4326)``) a registered column model generates, in which
    dialects, and which PostgreSQL extension a target needs for them.

dbsynth's own models are declared in its ``pyproject.toml`` under ``dbsynth.generators`` and go
through this same loader, so ``dbsynth plugins`` lists them next to third-party ones.

:func:`load_plugins` loads every entry point once (later calls return the same report) and never
raises because of a plugin: an entry point that fails to import, names the wrong kind of object
or claims a kind or SQL type someone else already has is *broken*: it is skipped, listed with its
reason by ``dbsynth plugins``, and reported once as a :class:`PluginWarning`. Generators load
before type handlers, because a handler names a model kind that must exist.

What the loaded type handlers feed:

* :data:`dbsynth.columns.choose.SQL_TYPE_MODELS` (SQL type name -> model kind), which
  ``choose_model`` consults before the logical type;
* :func:`annotate_warnings`, which rewords the introspection warning "type ... is not
  modelled" for a type a plugin generates;
* :func:`extension_statements`, the ``CREATE EXTENSION IF NOT EXISTS`` lines a PostgreSQL
  target needs before its tables (for ``dbsynth.writing.ddl``).
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from dbsynth.errors import DbsynthError
from dbsynth.schema import Schema

GENERATORS = "dbsynth.generators"
TYPES = "dbsynth.types"
GROUPS = (GENERATORS, TYPES)
DIALECTS = ("postgresql", "mysql", "sqlite")
BUILTIN_DISTRIBUTION = "dbsynth"

_BARE_NAME = re.compile(r"[a-z_][a-z0-9_]*( [a-z_][a-z0-9_]*)*")  # "geometry", "double precision"
_EXTENSION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class PluginWarning(UserWarning):
    """Emitted once per broken plugin when the plugins are loaded."""


class PluginError(DbsynthError):
    """A plugin is broken where the caller asked for every plugin to work (``dbsynth plugins
    --check``)."""


class Status(StrEnum):
    OK = "ok"
    BROKEN = "broken"


@dataclass(frozen=True)
class TypeHandler:
    """What a ``dbsynth.types`` entry point declares.

    Invariants (checked when loaded; a handler breaking one is a broken plugin):

    * ``sql_types`` is non-empty and holds bare lower-case type names, without arguments or
      schema (``geometry``, not ``public.geometry(Point,4326)``), each handled by one plugin only;
    * ``model`` is a registered column-model kind;
    * ``dialects`` are dialects dbsynth reads (``postgresql``, ``mysql``, ``sqlite``): the handler
      applies to columns of schemas read from those;
    * ``extension``, when set, is the PostgreSQL extension that provides the types: a PostgreSQL
      target gets ``CREATE EXTENSION IF NOT EXISTS`` for it before its tables are created.
    """

    sql_types: tuple[str, ...]
    model: str
    dialects: tuple[str, ...] = ("postgresql",)
    extension: str | None = None
    description: str = ""

    def problems(self) -> list[str]:
        """Why this handler cannot be used, ignoring what other plugins claim (empty: fine)."""
        out = []
        if not self.sql_types:
            out.append("it names no SQL type")
        out += [f"SQL type {t!r} is not a bare lower-case type name" for t in self.sql_types if not _bare(t)]
        out += [
            f"dialect {d!r} is not one of {', '.join(DIALECTS)}" for d in self.dialects if d not in DIALECTS
        ]
        if self.extension is not None and not _EXTENSION_NAME.fullmatch(self.extension):
            out.append(f"extension name {self.extension!r} is not a plain identifier")
        return out


def _bare(name: object) -> bool:
    return isinstance(name, str) and _BARE_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class Plugin:
    """One entry point after loading: where it comes from, what it provides, whether it works.

    ``value`` is the entry point's ``module:attribute`` text; ``distribution``/``version`` name
    the installed package that declares it (``dbsynth`` for the built-ins). A broken plugin has
    ``status`` BROKEN, a one-line ``error`` and provides nothing that dbsynth uses.
    """

    name: str
    group: str
    value: str
    distribution: str
    version: str
    provides: str
    status: Status
    error: str = ""

    @property
    def builtin(self) -> bool:
        return self.distribution == BUILTIN_DISTRIBUTION

    def warning(self) -> str:
        return (
            f"plugin '{self.name}' ({self.group}, from {self.distribution} {self.version}) is broken "
            f"and was skipped: {self.error}"
        )


@dataclass(frozen=True)
class PluginReport:
    """Every entry point of both groups, generators first, built-ins first, then by name."""

    plugins: tuple[Plugin, ...]

    @property
    def broken(self) -> tuple[Plugin, ...]:
        return tuple(p for p in self.plugins if p.status is Status.BROKEN)

    @property
    def warnings(self) -> list[str]:
        return [p.warning() for p in self.broken]


@dataclass(frozen=True)
class _Claim:
    handler: TypeHandler
    plugin: Plugin


_LOCK = threading.RLock()
_REPORT: PluginReport | None = None
_LOADING = False
_CLAIMS: dict[str, _Claim] = {}  # SQL type name -> the handler that claimed it


def load_plugins(*, reload: bool = False) -> PluginReport:
    """Load every ``dbsynth.generators`` and ``dbsynth.types`` entry point (once; ``reload``
    re-reads the installed distributions, e.g. after one was added to ``sys.path``).

    Never raises because of a plugin: broken ones are in the report and emitted as
    :class:`PluginWarning`. A call made while loading (a plugin module that itself calls it)
    returns an empty report instead of recursing.
    """
    global _REPORT, _LOADING
    with _LOCK:
        if _REPORT is not None and not reload:
            return _REPORT
        if _LOADING:
            return PluginReport(())
        _LOADING = True
        try:
            report = _load_all()
        finally:
            _LOADING = False
        fresh = [p for p in report.broken if _REPORT is None or p not in _REPORT.broken]
        _REPORT = report
    for plugin in fresh:
        warnings.warn(plugin.warning(), PluginWarning, stacklevel=2)
    return report


def plugin_warnings() -> list[str]:
    """One line per broken plugin (loads the plugins first if needed)."""
    return load_plugins().warnings


def type_handler(sql_type: str, dialect: str | None = None) -> tuple[TypeHandler, Plugin] | None:
    """The handler (and its plugin) for a column's SQL type text (``geometry(Point,4326)``,
    ``public.geometry``), if a loaded plugin claims it for ``dialect`` (any dialect if None)."""
    from dbsynth.columns.choose import sql_type_name

    load_plugins()
    claim = _CLAIMS.get(sql_type_name(sql_type))
    if claim is None or (dialect is not None and dialect not in claim.handler.dialects):
        return None
    return claim.handler, claim.plugin


# -- hooks for introspection and DDL ---------------------------------------------------------------

# The warning every reflector records for a type it cannot model (dbsynth.introspection). The test
# of annotate_warnings reads a real schema, so a change of that wording fails it loudly.
_UNMODELLED = re.compile(
    r"(?P<where>.+?): type '(?P<type>[^']+)' is not modelled; "
    r"its SQL type is kept and it is generated as NULL or a constant"
)


def annotate_warnings(schema: Schema) -> Schema:
    """``schema`` with the "type ... is not modelled" warnings of plugin-handled types reworded
    to name the plugin that generates them (the type is still unknown to dbsynth's core, so a
    target of another dialect gets it as text; the warning stays, its advice changes)."""
    out = []
    for line in schema.warnings:
        match = _UNMODELLED.fullmatch(line)
        found = type_handler(match["type"], schema.dialect) if match else None
        if match is None or found is None:
            out.append(line)
            continue
        handler, plugin = found
        out.append(
            f"{match['where']}: type '{match['type']}' is not built into dbsynth; plugin "
            f"{plugin.distribution} generates it (column model '{handler.model}')"
        )
    return replace(schema, warnings=tuple(out)) if tuple(out) != schema.warnings else schema


def extension_statements(schema: Schema, target_dialect: str) -> tuple[str, ...]:
    """``CREATE EXTENSION IF NOT EXISTS`` for every extension that provides a plugin-handled
    type used by ``schema``'s columns, domains or array elements, when both the schema and the
    target are PostgreSQL (across dialects such columns are created by logical type). In the
    order the types are first used; idempotent on a target that has the extensions."""
    if schema.dialect != "postgresql" or target_dialect != "postgresql":
        return ()
    used: list[str] = [d.base_type for d in schema.domains]
    for table in schema.tables:
        for column in table.columns:
            used.append(column.sql_type)
            if column.element_sql_type:
                used.append(column.element_sql_type)
    extensions: dict[str, None] = {}
    for sql_type in used:
        found = type_handler(sql_type, "postgresql")
        if found is not None and found[0].extension:
            extensions[found[0].extension] = None
    return tuple(f'CREATE EXTENSION IF NOT EXISTS "{name}"' for name in extensions)


# -- loading -----------------------------------------------------------------------------------


def _load_all() -> PluginReport:
    from dbsynth.columns.choose import SQL_TYPE_MODELS

    # A reload forgets the previous type claims (a removed plugin's types go back to OTHER);
    # registered model kinds stay, the registry has no removal and re-registering is a no-op.
    for name in _CLAIMS:
        SQL_TYPE_MODELS.pop(name, None)
    _CLAIMS.clear()
    plugins = [_load_generator(ep) for ep in _entry_points(GENERATORS)]
    plugins += [_load_type(ep, SQL_TYPE_MODELS) for ep in _entry_points(TYPES)]
    return PluginReport(tuple(plugins))


def _entry_points(group: str) -> list[metadata.EntryPoint]:
    found = list(metadata.entry_points(group=group))
    return sorted(found, key=lambda ep: (_distribution(ep)[0] != BUILTIN_DISTRIBUTION, ep.name, ep.value))


def _distribution(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return "(unknown)", ""
    return str(dist.metadata["Name"] or dist.name), str(dist.version or "")


def _plugin(ep: metadata.EntryPoint, group: str, provides: str, error: str = "") -> Plugin:
    dist, version = _distribution(ep)
    status = Status.BROKEN if error else Status.OK
    return Plugin(ep.name, group, ep.value, dist, version, provides, status, error)


def _import(ep: metadata.EntryPoint) -> tuple[object, str]:
    """The entry point's object, or an error line saying why it cannot be loaded."""
    try:
        return ep.load(), ""
    except Exception as exc:  # a plugin's import may fail in any way; none of them is fatal
        first = " ".join(str(exc).split())[:200]
        return None, f"cannot import {ep.value}: {type(exc).__name__}: {first}"


def _load_generator(ep: metadata.EntryPoint) -> Plugin:
    from dbsynth.columns.base import ColumnModel, register, registered_kinds

    obj, error = _import(ep)
    if error:
        return _plugin(ep, GENERATORS, "", error)
    if not (isinstance(obj, type) and issubclass(obj, ColumnModel)) or obj is ColumnModel:
        what = obj.__name__ if isinstance(obj, type) else f"a {type(obj).__name__}"
        return _plugin(ep, GENERATORS, "", f"{ep.value} is {what}, not a ColumnModel subclass")
    from dbsynth.columns.generators.base import KIND_PREFIX, GeneratorModel, register_generator

    # A kind inherited from a parent model is not the class's own: register it under the name.
    kind = obj.__dict__.get("kind") or ep.name
    holder = registered_kinds().get(kind)
    if holder is not None and holder is not obj:
        taken = f"{holder.__module__}.{holder.__qualname__}"
        return _plugin(ep, GENERATORS, "", f"column model kind '{kind}' is already provided by {taken}")
    config_name = kind.removeprefix(KIND_PREFIX)
    if holder is None and issubclass(obj, GeneratorModel) and kind.startswith(KIND_PREFIX) and config_name:
        register_generator(config_name)(obj)  # also known to dbsynth.yaml as `generator: <name>`
    elif holder is None:
        register(kind)(obj)
    if issubclass(obj, GeneratorModel) and kind.startswith(KIND_PREFIX):
        return _plugin(ep, GENERATORS, f"config generator '{config_name}' (column model '{kind}')")
    return _plugin(ep, GENERATORS, f"column model '{kind}'")


def _load_type(ep: metadata.EntryPoint, sql_type_models: dict[str, str]) -> Plugin:
    from dbsynth.columns.base import registered_kinds

    obj, error = _import(ep)
    if error:
        return _plugin(ep, TYPES, "", error)
    if not isinstance(obj, TypeHandler):
        what = obj.__name__ if isinstance(obj, type) else f"a {type(obj).__name__}"
        return _plugin(ep, TYPES, "", f"{ep.value} is {what}, not a dbsynth.plugins.TypeHandler")
    provides = _describe(obj)
    problems = obj.problems()
    if obj.model not in registered_kinds():
        problems.append(f"column model '{obj.model}' is not registered (its generator is missing or broken)")
    for name in obj.sql_types:
        claim = _CLAIMS.get(name)
        if claim is not None:
            problems.append(f"SQL type '{name}' is already handled by plugin '{claim.plugin.name}'")
        elif name in sql_type_models:
            problems.append(f"SQL type '{name}' is already mapped to column model '{sql_type_models[name]}'")
    if problems:
        return _plugin(ep, TYPES, provides, "; ".join(problems))
    plugin = _plugin(ep, TYPES, provides)
    for name in obj.sql_types:
        _CLAIMS[name] = _Claim(obj, plugin)
        sql_type_models[name] = obj.model
    return plugin


def _describe(handler: TypeHandler) -> str:
    types = ", ".join(handler.sql_types)
    text = f"SQL type {types} -> column model '{handler.model}' ({', '.join(handler.dialects)}"
    text += f"; extension {handler.extension})" if handler.extension else ")"
    return f"{text}: {handler.description}" if handler.description else text


def loaded_type_handlers() -> Iterable[tuple[str, TypeHandler, Plugin]]:
    """``(sql type name, handler, plugin)`` for every claimed SQL type, by name."""
    load_plugins()
    return [(name, c.handler, c.plugin) for name, c in sorted(_CLAIMS.items())]


__all__ = [
    "GENERATORS",
    "GROUPS",
    "TYPES",
    "Plugin",
    "PluginError",
    "PluginReport",
    "PluginWarning",
    "Status",
    "TypeHandler",
    "annotate_warnings",
    "extension_statements",
    "load_plugins",
    "loaded_type_handlers",
    "plugin_warnings",
    "type_handler",
]
