"""Orders and groupings of a Schema's objects that its DDL needs: inheritance parents before
children, base domains before the domains over them, the columns that are keyed, and a foreign
key's columns in the order of the parent key they reference."""

from __future__ import annotations

from dbsynth.schema import Domain, Schema, Table
from dbsynth.writing.ddl.typemap import find_domain


def in_key_order(
    parent: Table, columns: tuple[str, ...], ref_columns: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The FK's column pairs reordered to follow a key of the parent with the same columns:
    PostgreSQL accepts (code, region) against UNIQUE (region, code), MySQL does not."""
    keys = [parent.primary_key.columns] if parent.primary_key else []
    keys += [u.columns for u in parent.uniques]
    pairs = dict(zip(ref_columns, columns, strict=True))
    for key in keys:
        if key != ref_columns and set(key) == set(ref_columns) and len(key) == len(ref_columns):
            return tuple(pairs[k] for k in key), key
    return columns, ref_columns


def keyed_columns(schema: Schema, *, with_methods: bool) -> set[tuple[str, str]]:
    """(table key, column) of every column in a key, an index or a foreign key (either end);
    indexes with an access method only ``with_methods`` (across dialects they are dropped)."""
    out: set[tuple[str, str]] = set()
    for t in schema.tables:
        groups = [t.primary_key.columns if t.primary_key else (), *(u.columns for u in t.uniques)]
        groups += [ix.columns for ix in t.indexes if with_methods or not ix.method]
        groups += [fk.columns for fk in t.foreign_keys]
        out.update((t.key, c) for g in groups for c in g)
        for fk in t.foreign_keys:
            out.update((schema.table(fk.ref_table).key, c) for c in fk.ref_columns)
    return out


def parents_first(schema: Schema) -> list[Table]:
    """The tables in Schema order, moved after their inheritance parents where needed."""
    out: list[Table] = []
    placed: set[str] = set()

    def place(t: Table, seen: frozenset[str]) -> None:
        if t.key in placed or t.key in seen:
            return
        for parent in t.inherits:
            if schema.has_table(parent):
                place(schema.table(parent), seen | {t.key})
        placed.add(t.key)
        out.append(t)

    for t in schema.tables:
        place(t, frozenset())
    return out


def domains_bases_first(schema: Schema) -> list[Domain]:
    out: list[Domain] = []

    def place(d: Domain, seen: frozenset[str]) -> None:
        if d in out or d.name in seen:
            return
        base = find_domain(schema, d.base_type)
        if base is not None:
            place(base, seen | {d.name})
        out.append(d)

    for d in schema.domains:
        place(d, frozenset())
    return out
