"""Entry points, loaded on first use: the machinery under dbsynth's two registries.

dbsynth finds column models (group ``dbsynth.generators``, its own included) and SQL type
handlers (``dbsynth.types``) through package entry points. Importing dbsynth reads none of
them: a group is read from the installed distributions the first time one of its names is asked
for, and an entry point's module is imported only when its name is (``decode`` meeting a kind,
``choose_model`` meeting a column type), or when everything is listed (``dbsynth plugins``).
That is what keeps ``import dbsynth`` and ``dbsynth --help`` light.

This module knows nothing of what an entry point provides: the registry that asks
(:mod:`dbsynth.columns.base` for models, :mod:`dbsynth.plugins` for type handlers) passes an
``accept`` function that checks and registers the loaded object. Each entry point is loaded at
most once per :func:`forget` and never raises because of a plugin: one that fails to import or
that ``accept`` refuses is *broken*, recorded with a one-line reason and emitted once as a
:class:`PluginWarning`.
"""

from __future__ import annotations

import importlib.metadata as metadata
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

GENERATORS = "dbsynth.generators"
TYPES = "dbsynth.types"
GROUPS = (GENERATORS, TYPES)
BUILTIN_DISTRIBUTION = "dbsynth"


class PluginWarning(UserWarning):
    """Emitted once per broken plugin, when it is loaded."""


class Status(StrEnum):
    OK = "ok"
    BROKEN = "broken"


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


# What a registry does with a loaded object: register it and say what it provides, or refuse it.
# Returns (provides, error); a non-empty error makes the entry point broken.
Accept = Callable[[metadata.EntryPoint, object], tuple[str, str]]

_Key = tuple[str, str, str, str]  # group, name, value, distribution

# One lock for every registry (models, type handlers): loading one may ask another.
LOCK = threading.RLock()
_GROUPS: dict[str, tuple[metadata.EntryPoint, ...]] = {}
_RECORDS: dict[_Key, Plugin] = {}
_LOADING: set[_Key] = set()
_WERE_BROKEN: set[_Key] = set()  # broken before the last forget(): not warned about again


def entry_points(group: str) -> tuple[metadata.EntryPoint, ...]:
    """The group's entry points, built-ins first, then by name (read once per :func:`forget`)."""
    with LOCK:
        found = _GROUPS.get(group)
        if found is None:
            eps = metadata.entry_points(group=group)
            found = tuple(
                sorted(eps, key=lambda ep: (_distribution(ep)[0] != BUILTIN_DISTRIBUTION, ep.name, ep.value))
            )
            _GROUPS[group] = found
        return found


def named(group: str, name: str) -> tuple[metadata.EntryPoint, ...]:
    return tuple(ep for ep in entry_points(group) if ep.name == name)


def load(group: str, ep: metadata.EntryPoint, accept: Accept) -> Plugin | None:
    """Load ``ep`` once and hand its object to ``accept``; the record of what happened.

    None while that same entry point is being loaded further up the stack (a plugin module
    that asks the registry for something while it is imported), instead of recursing."""
    key = _key(group, ep)
    with LOCK:
        if key in _RECORDS:
            return _RECORDS[key]
        if key in _LOADING:
            return None
        _LOADING.add(key)
        try:
            obj, error = _import(ep)
            provides = ""
            if not error:
                provides, error = accept(ep, obj)
            plugin = record(group, ep, provides, error)
            _RECORDS[key] = plugin
        finally:
            _LOADING.discard(key)
        warn = plugin.status is Status.BROKEN and key not in _WERE_BROKEN
    if warn:
        warnings.warn(plugin.warning(), PluginWarning, stacklevel=3)
    return plugin


def load_group(group: str, accept: Accept) -> list[Plugin]:
    """Every entry point of ``group`` loaded (see :func:`load`), in :func:`entry_points` order."""
    out = [load(group, ep, accept) for ep in entry_points(group)]
    return [p for p in out if p is not None]


def forget() -> None:
    """Read the installed distributions again on next use (after one was added to or removed from
    ``sys.path``). What the registries registered stays; an entry point still broken after the
    reload is not warned about a second time."""
    with LOCK:
        _WERE_BROKEN.clear()
        _WERE_BROKEN.update(k for k, p in _RECORDS.items() if p.status is Status.BROKEN)
        _GROUPS.clear()
        _RECORDS.clear()


def _key(group: str, ep: metadata.EntryPoint) -> _Key:
    return group, ep.name, ep.value, _distribution(ep)[0]


def _distribution(ep: metadata.EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return "(unknown)", ""
    return str(dist.metadata["Name"] or dist.name), str(dist.version or "")


def record(group: str, ep: metadata.EntryPoint, provides: str, error: str = "") -> Plugin:
    """The record of an entry point of ``group``: broken when ``error`` is not empty."""
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


__all__ = [
    "GENERATORS",
    "GROUPS",
    "LOCK",
    "TYPES",
    "Accept",
    "Plugin",
    "PluginWarning",
    "Status",
    "entry_points",
    "forget",
    "load",
    "load_group",
    "named",
    "record",
]
