"""Plugins: column models and SQL type handlers found through package entry points.

Two entry-point groups, read with :mod:`importlib.metadata` from every installed distribution
when first needed (:mod:`dbsynth.registry`; importing dbsynth reads neither):

``dbsynth.generators``
    name: a column-model kind; value: a :class:`~dbsynth.columns.base.ColumnModel` subclass
    (``"pkg.module:GeometryModel"``). A class that carries no ``kind`` of its own is registered
    under the entry point's name; a class decorated with ``@register(kind)`` keeps its kind. A
    :class:`~dbsynth.columns.generators.GeneratorModel` named ``generator.<name>`` is also a
    config generator (``generator: <name>`` in ``dbsynth.yaml``), as with ``register_generator``.
    Loaded one by one, when a kind is first asked for (:func:`dbsynth.columns.base.model_class`).
``dbsynth.types``
    name: anything; value: a :class:`TypeHandler` saying which SQL types (by bare name:
    ``geometry`` for ``geometry(Point,4326)``) a registered column model generates, in which
    dialects, and which PostgreSQL extension a target needs for them. Loaded together, the first
    time a column's SQL type is looked up (they are small: a handler names its model's kind,
    and that model is loaded when the handler is checked).

dbsynth's own models are declared in its ``pyproject.toml`` under ``dbsynth.generators`` and go
through this same loader, so ``dbsynth plugins`` lists them next to third-party ones.

:func:`load_plugins` loads every entry point of both groups (later calls return the same
report) and never raises because of a plugin: an entry point that fails to import, names the
wrong kind of object or claims a kind or SQL type someone else already has is *broken*: it is
skipped, listed with its reason by ``dbsynth plugins``, and reported once, when it is loaded,
as a :class:`PluginWarning`.

What the loaded type handlers feed:

* :func:`sql_type_model` (SQL type -> model kind), which ``choose_model``
  (:mod:`dbsynth.fitting.choose`) consults before the logical type;
* :func:`annotate_warnings`, which rewords the introspection warning "type ... is not
  modelled" for a type a plugin generates;
* :func:`extension_statements`, the ``CREATE EXTENSION IF NOT EXISTS`` lines a PostgreSQL
  target needs before its tables (for ``dbsynth.writing.ddl``).
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from dbsynth import registry
from dbsynth.columns.base import find_model_class, load_models
from dbsynth.errors import DbsynthError
from dbsynth.registry import GENERATORS, GROUPS, TYPES, Plugin, PluginWarning, Status
from dbsynth.schema import Schema

DIALECTS = ("postgresql", "mysql", "sqlite")

_BARE_NAME = re.compile(r"[a-z_][a-z0-9_]*( [a-z_][a-z0-9_]*)*")  # "geometry", "double precision"
_EXTENSION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


class PluginError(DbsynthError):
    """A plugin is broken where the caller asked for every plugin to work (``dbsynth plugins
    --check``)."""


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


_REPORT: PluginReport | None = None
_LOADING = False
_TYPES_LOADED = False
_CLAIMS: dict[str, _Claim] = {}  # SQL type name -> the handler that claimed it
# SQL type name (lower case, without arguments: ``vector`` for ``vector(3)``, ``geometry``) ->
# registered model kind, as claimed by the loaded type handlers.
SQL_TYPE_MODELS: dict[str, str] = {}


def load_plugins(*, reload: bool = False) -> PluginReport:
    """Load every ``dbsynth.generators`` and ``dbsynth.types`` entry point (once; ``reload``
    re-reads the installed distributions, e.g. after one was added to ``sys.path``).

    Never raises because of a plugin: broken ones are in the report and emitted as
    :class:`PluginWarning` (once, when first found broken). A call made while loading (a plugin
    module that itself calls it) returns an empty report instead of recursing.
    """
    global _REPORT, _LOADING, _TYPES_LOADED
    with registry.LOCK:
        if _REPORT is not None and not reload:
            return _REPORT
        if _LOADING:
            return PluginReport(())
        _LOADING = True
        try:
            if reload:
                # Forget the type claims (a removed plugin's types go back to OTHER); registered
                # model kinds stay, the registry has no removal and re-registering is a no-op.
                registry.forget()
                for name in _CLAIMS:
                    SQL_TYPE_MODELS.pop(name, None)
                _CLAIMS.clear()
                _TYPES_LOADED = False
            _load_types()
            report = PluginReport((*load_models(), *registry.load_group(TYPES, _claim)))
        finally:
            _LOADING = False
        _REPORT = report
    return report


def plugin_warnings() -> list[str]:
    """One line per broken plugin (loads the plugins first if needed)."""
    return load_plugins().warnings


def sql_type_name(sql_type: str) -> str:
    """The bare lower-case name a type handler claims: ``geometry`` for
    ``public.geometry(Point,4326)``."""
    base = sql_type.split("(", 1)[0].strip().lower()
    return base.rsplit(".", 1)[-1].strip('"')


def sql_type_model(sql_type: str) -> str | None:
    """The model kind a loaded type handler gives columns of ``sql_type`` (any dialect)."""
    _load_types()
    return SQL_TYPE_MODELS.get(sql_type_name(sql_type))


def type_handler(sql_type: str, dialect: str | None = None) -> tuple[TypeHandler, Plugin] | None:
    """The handler (and its plugin) for a column's SQL type text (``geometry(Point,4326)``,
    ``public.geometry``), if a loaded plugin claims it for ``dialect`` (any dialect if None)."""
    _load_types()
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


def _load_types() -> None:
    """Load every ``dbsynth.types`` entry point (once until a reload)."""
    global _TYPES_LOADED
    with registry.LOCK:
        if not _TYPES_LOADED:
            _TYPES_LOADED = True  # first: a handler module that looks a type up sees what is there
            registry.load_group(TYPES, _claim)


def _claim(ep: metadata.EntryPoint, obj: object) -> tuple[str, str]:
    """Check a loaded type handler and record its SQL types: (what it provides, why not)."""
    if not isinstance(obj, TypeHandler):
        what = obj.__name__ if isinstance(obj, type) else f"a {type(obj).__name__}"
        return "", f"{ep.value} is {what}, not a dbsynth.plugins.TypeHandler"
    provides = _describe(obj)
    problems = obj.problems()
    if find_model_class(obj.model) is None:
        problems.append(f"column model '{obj.model}' is not registered (its generator is missing or broken)")
    for name in obj.sql_types:
        claim = _CLAIMS.get(name)
        if claim is not None:
            problems.append(f"SQL type '{name}' is already handled by plugin '{claim.plugin.name}'")
        elif name in SQL_TYPE_MODELS:
            problems.append(f"SQL type '{name}' is already mapped to column model '{SQL_TYPE_MODELS[name]}'")
    if problems:
        return provides, "; ".join(problems)
    plugin = registry.record(TYPES, ep, provides)
    for name in obj.sql_types:
        _CLAIMS[name] = _Claim(obj, plugin)
        SQL_TYPE_MODELS[name] = obj.model
    return provides, ""


def _describe(handler: TypeHandler) -> str:
    types = ", ".join(handler.sql_types)
    text = f"SQL type {types} -> column model '{handler.model}' ({', '.join(handler.dialects)}"
    text += f"; extension {handler.extension})" if handler.extension else ")"
    return f"{text}: {handler.description}" if handler.description else text


def loaded_type_handlers() -> Iterable[tuple[str, TypeHandler, Plugin]]:
    """``(sql type name, handler, plugin)`` for every claimed SQL type, by name."""
    _load_types()
    return [(name, c.handler, c.plugin) for name, c in sorted(_CLAIMS.items())]


__all__ = [
    "DIALECTS",
    "GENERATORS",
    "GROUPS",
    "SQL_TYPE_MODELS",
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
    "sql_type_model",
    "sql_type_name",
    "type_handler",
]
