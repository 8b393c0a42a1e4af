"""Introspection: a live database URL in, a dialect-neutral :class:`~dbsynth.schema.Schema` out.

Each dialect has one module exposing ``reflect(conn, schemas) -> Schema``; they are listed in
``REFLECTORS`` (a table, not an ``if dialect ==`` chain). Every module starts from SQLAlchemy's
inspector and adds catalog queries where the inspector is blind (PostgreSQL domains, partitions,
identity sequences; MySQL SET/UNSIGNED/YEAR; SQLite CHECK text).

Rules every reflector keeps:

* read only: the connection is opened read-only and only catalog queries are issued;
* never abort on an unknown type: keep its SQL text as ``LogicalType.OTHER`` and add a warning;
* views and partitions are not tables; a partitioned parent is one table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import replace

from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError

from dbsynth.db import backend, connect, connection_error, parse_url
from dbsynth.errors import DbsynthError, SchemaError, UnsupportedDatabase
from dbsynth.schema import ForeignKey, Schema

Reflector = Callable[[Connection, Sequence[str] | None], Schema]

# backend -> "module:function"; imported lazily so a missing optional driver only matters
# for the dialect that needs it.
REFLECTORS: dict[str, str] = {
    "postgresql": "dbsynth.introspection.postgres:reflect",
    "mysql": "dbsynth.introspection.mysql:reflect",
    "sqlite": "dbsynth.introspection.sqlite:reflect",
}


def _reflector(kind: str) -> Reflector:
    target = REFLECTORS.get(kind)
    if target is None:
        raise UnsupportedDatabase(f"no introspection for '{kind}' databases")
    module, func = target.split(":")
    return getattr(importlib.import_module(module), func)  # type: ignore[no-any-return]


def introspect(url: str | URL, schemas: str | Sequence[str] | None = None) -> Schema:
    """Read the schema of the database at ``url``.

    ``schemas`` restricts PostgreSQL to these namespaces (default: every non-system schema);
    for MySQL/MariaDB and SQLite the URL's database is the unit and ``schemas`` must be None.
    """
    parsed = parse_url(url)
    wanted = [schemas] if isinstance(schemas, str) else list(schemas) if schemas else None
    reflect = _reflector(backend(parsed))
    with connect(parsed, read_only=True) as conn:
        try:
            schema = reflect(conn, wanted)
        except DbsynthError:
            raise
        except DBAPIError as exc:
            raise connection_error(exc, parsed) from None
    from dbsynth.plugins import annotate_warnings  # loads the plugins (models, L2) only when used

    return annotate_warnings(drop_duplicate_fks(drop_dangling_fks(schema)))


def drop_dangling_fks(schema: Schema) -> Schema:
    """Drop FKs whose parent is outside the introspected tables (e.g. another PostgreSQL schema
    not selected with ``--schema``), recording a warning for each: the Schema's invariant is that
    every FK resolves inside it."""
    keys = set(schema.table_keys)
    warnings = list(schema.warnings)
    tables = []
    for t in schema.tables:
        kept = tuple(fk for fk in t.foreign_keys if fk.ref_table in keys)
        for fk in t.foreign_keys:
            if fk.ref_table not in keys:
                warnings.append(
                    f"{t.key}: foreign key ({', '.join(fk.columns)}) references {fk.ref_table}, "
                    "which is not introspected; it is ignored"
                )
        tables.append(replace(t, foreign_keys=kept) if kept != t.foreign_keys else t)
    return replace(schema, tables=tuple(tables), warnings=tuple(warnings))


def drop_duplicate_fks(schema: Schema) -> Schema:
    """Keep one of two foreign keys that pair the same columns with the same parent columns
    (a database accepts the same constraint twice under two names): they constrain the rows
    alike, and the model holds one relationship per child column list."""
    warnings = list(schema.warnings)
    tables = []
    for t in schema.tables:
        kept: dict[tuple[object, ...], ForeignKey] = {}
        for fk in t.foreign_keys:
            same = (fk.columns, fk.ref_table, fk.ref_columns)
            if same in kept:
                names = [n for n in (kept[same].name, fk.name) if n]
                named = f" ({' and '.join(names)})" if names else ""
                warnings.append(
                    f"{t.key}: foreign key ({', '.join(fk.columns)}) -> {fk.ref_table} is declared "
                    f"twice{named}; it is kept once"
                )
                continue
            kept[same] = fk
        unique = tuple(kept.values())
        tables.append(replace(t, foreign_keys=unique) if unique != t.foreign_keys else t)
    return replace(schema, tables=tuple(tables), warnings=tuple(warnings))


def unknown_schema_error(name: str, available: Sequence[str]) -> SchemaError:
    from dbsynth.errors import did_you_mean

    return SchemaError(
        f"schema '{name}' does not exist."
        + did_you_mean(name, available)
        + (f" Available: {', '.join(available)}" if available else "")
    )


__all__ = ["REFLECTORS", "drop_dangling_fks", "drop_duplicate_fks", "introspect", "unknown_schema_error"]
