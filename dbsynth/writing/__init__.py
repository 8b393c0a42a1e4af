"""Writers: where generated rows go. The contract is :mod:`dbsynth.writing.base`.

:func:`open_target` turns what the user typed into a :class:`~dbsynth.writing.base.Target`
through the :data:`TARGETS` table (URL scheme -> ``"module:Class"``, imported lazily so this
package stays importable by the planner without loading psycopg or pyarrow):

==========================================  ===============================================
``postgresql://`` (``postgres``, ``pg``)      :class:`~dbsynth.writing.postgres.PostgresTarget`
``mysql://``, ``mariadb://``                  :class:`~dbsynth.writing.mysql.MySQLTarget`
``sqlite:///file.db`` or ``file.db``          :class:`~dbsynth.writing.sqlite.SQLiteTarget`
``file:///dir`` or a directory path           :class:`~dbsynth.writing.files.FilesTarget`
``memory://``                                 :class:`~dbsynth.writing.memory.MemoryTarget`
==========================================  ===============================================

A target whose ``supports_updates`` is False (files) cannot apply :class:`Update` items
cheaply: the engine should not cut nullable FKs for it (see ``FilesTarget``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from dbsynth.db import BACKEND_ALIASES, parse_url
from dbsynth.errors import UnsupportedDatabase, UsageError
from dbsynth.writing.base import Batch, LoadResult, LoadSpec, Sink, TableLoad, Target, Update

FileFormat = Literal["csv", "parquet"]

# URL scheme (without driver) -> "module:Class"; plugins may add entries.
TARGETS: dict[str, str] = {
    "postgresql": "dbsynth.writing.postgres:PostgresTarget",
    "mysql": "dbsynth.writing.mysql:MySQLTarget",
    "mariadb": "dbsynth.writing.mysql:MySQLTarget",
    "sqlite": "dbsynth.writing.sqlite:SQLiteTarget",
    "file": "dbsynth.writing.files:FilesTarget",
    "memory": "dbsynth.writing.memory:MemoryTarget",
}
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def _target_class(scheme: str) -> Any:
    name = TARGETS.get(scheme)
    if name is None:
        known = ", ".join(f"{s}://" for s in TARGETS)
        raise UnsupportedDatabase(f"unsupported target scheme '{scheme}'; dbsynth writes to {known}")
    module, cls = name.split(":")
    return getattr(importlib.import_module(module), cls)


def _scheme(text: str) -> str:
    if "://" not in text:
        path = Path(text)
        return "sqlite" if text.endswith(_SQLITE_SUFFIXES) or path.is_file() else "file"
    scheme = text.split("://", 1)[0].split("+", 1)[0].lower()
    return BACKEND_ALIASES.get(scheme, scheme)


def open_target(
    url_or_path: str, *, source: str | None = None, file_format: FileFormat | None = None
) -> Target:
    """The target for a database URL, a SQLite file, a directory (``file://`` or a path) or
    ``memory://``. ``source`` is the URL the data was read from, so that a target that is the
    source is refused when it is opened; ``file_format`` (``csv`` by default) only applies to
    directories."""
    text = url_or_path.strip()
    scheme = _scheme(text)
    cls = _target_class(scheme)
    if scheme == "file":
        path = unquote(urlsplit(text).path) if "://" in text else text
        return cls(path, file_format=file_format or "csv")  # type: ignore[no-any-return]
    if file_format is not None:
        raise UsageError(f"a file format ({file_format}) applies to a directory target, not to {scheme}://")
    if scheme == "memory":
        return cls()  # type: ignore[no-any-return]
    url = parse_url(text) if "://" in text else parse_url(f"sqlite:///{text}")
    return cls(url, source=source)  # type: ignore[no-any-return]


__all__ = [
    "TARGETS",
    "Batch",
    "FileFormat",
    "LoadResult",
    "LoadSpec",
    "Sink",
    "TableLoad",
    "Target",
    "Update",
    "open_target",
]
