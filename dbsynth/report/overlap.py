"""Match the target's tables and columns to the source's, and say how they differ.

A target built by dbsynth has the source's schema, but a report may be run against anything:
an older clone, a target created by hand, another dialect (``public.actor`` in PostgreSQL is
``actor`` in MariaDB). Tables match by key, else by bare name, case-insensitively when that is
unambiguous; columns match by name, else case-insensitively. The report scores the overlap and
names everything else (:class:`~dbsynth.report.result.SchemaDiff`).

Invariants of :class:`Overlap`: ``source`` and ``target`` hold the same number of tables, the
i-th of one matching the i-th of the other, each with only the matched columns, in the source's
column order; FKs, keys and CHECKs survive only when every column they name survived.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from dbsynth.report.result import SchemaDiff
from dbsynth.schema import Schema, Table


@dataclass(frozen=True)
class Overlap:
    diff: SchemaDiff
    source: Schema
    target: Schema
    tables: Mapping[str, str]  # source key -> target key
    columns: Mapping[str, Mapping[str, str]]  # source key -> {source column -> target column}

    def target_table(self, source_key: str) -> Table:
        return self.target.table(self.tables[source_key])


def _match_names(wanted: Sequence[str], available: Sequence[str]) -> dict[str, str]:
    """``wanted`` names mapped to ``available`` ones: exact, else the only case-insensitive one."""
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in wanted:
        if name in available and name not in taken:
            out[name] = name
            taken.add(name)
    for name in wanted:
        if name in out:
            continue
        folded = [a for a in available if a.lower() == name.lower() and a not in taken]
        if len(folded) == 1:
            out[name] = folded[0]
            taken.add(folded[0])
    return out


def _match_tables(source: Schema, target: Schema) -> dict[str, str]:
    by_key = _match_names(list(source.table_keys), list(target.table_keys))
    rest_source = [t for t in source.tables if t.key not in by_key]
    rest_target = [t for t in target.tables if t.key not in by_key.values()]
    bare = _match_names([t.name for t in rest_source], [t.name for t in rest_target])
    for t in rest_source:
        if t.name in bare and sum(1 for s in rest_source if s.name.lower() == t.name.lower()) == 1:
            target_table = next(x for x in rest_target if x.name == bare[t.name])
            by_key[t.key] = target_table.key
    return by_key


def _restrict(table: Table, keep: Sequence[str], tables: Mapping[str, set[str]]) -> Table:
    """``table`` with only the columns ``keep`` (in its own order), and the keys, FKs and checks
    that name only kept columns; ``tables`` maps every kept table key to its kept columns."""
    kept = set(keep)

    def ok(columns: Sequence[str]) -> bool:
        return set(columns) <= kept

    pk = table.primary_key if table.primary_key and ok(table.primary_key.columns) else None
    fks = tuple(
        fk
        for fk in table.foreign_keys
        if ok(fk.columns) and fk.ref_table in tables and set(fk.ref_columns) <= tables[fk.ref_table]
    )
    return replace(
        table,
        columns=tuple(c for c in table.columns if c.name in kept),
        primary_key=pk,
        uniques=tuple(u for u in table.uniques if ok(u.columns)),
        foreign_keys=fks,
        checks=tuple(c for c in table.checks if ok(c.columns)),
        indexes=(),
    )


def match(source: Schema, target: Schema) -> Overlap:
    """The :class:`Overlap` of ``source`` and ``target`` and their :class:`SchemaDiff`."""
    tables = _match_tables(source, target)
    columns: dict[str, dict[str, str]] = {}
    missing_columns: list[str] = []
    extra_columns: list[str] = []
    for s_key, t_key in tables.items():
        s, t = source.table(s_key), target.table(t_key)
        mapping = _match_names(list(s.column_names), list(t.column_names))
        if not mapping:  # no column in common: the tables only share a name
            continue
        columns[s_key] = mapping
        missing_columns += [f"{s_key}.{c}" for c in s.column_names if c not in mapping]
        extra_columns += [f"{t_key}.{c}" for c in t.column_names if c not in mapping.values()]
    tables = {k: v for k, v in tables.items() if k in columns}
    kept_source = {k: set(columns[k]) for k in tables}
    kept_target = {v: set(columns[k].values()) for k, v in tables.items()}
    source_tables = tuple(
        _restrict(t, list(columns[t.key]), kept_source) for t in source.tables if t.key in tables
    )
    target_tables = tuple(
        _restrict(target.table(tables[t.key]), list(columns[t.key].values()), kept_target)
        for t in source_tables
    )
    diff = SchemaDiff(
        missing_tables=tuple(t.key for t in source.tables if t.key not in tables),
        extra_tables=tuple(t.key for t in target.tables if t.key not in tables.values()),
        missing_columns=tuple(missing_columns),
        extra_columns=tuple(extra_columns),
        statement="",
    )
    diff = replace(
        diff, statement=_statement(diff, len(source_tables), sum(len(c) for c in columns.values()))
    )
    return Overlap(
        diff=diff,
        source=replace(source, tables=source_tables),
        target=replace(target, tables=target_tables),
        tables=tables,
        columns=columns,
    )


def _listing(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def missing_statement(diff: SchemaDiff) -> str | None:
    """One line naming what the target lacks of the source, or None when it lacks nothing."""
    parts = []
    if diff.missing_tables:
        parts.append(f"{len(diff.missing_tables)} table(s) ({_listing(diff.missing_tables)})")
    if diff.missing_columns:
        parts.append(f"{len(diff.missing_columns)} column(s) ({_listing(diff.missing_columns)})")
    return "the target lacks " + " and ".join(parts) + " of the source" if parts else None


def _statement(diff: SchemaDiff, tables: int, columns: int) -> str:
    parts: list[str] = []
    if diff.missing_tables:
        parts.append(
            f"lacks {len(diff.missing_tables)} table(s) of the source ({_listing(diff.missing_tables)})"
        )
    if diff.missing_columns:
        parts.append(
            f"lacks {len(diff.missing_columns)} column(s) of the source ({_listing(diff.missing_columns)})"
        )
    if diff.extra_tables:
        parts.append(
            f"has {len(diff.extra_tables)} table(s) the source does not ({_listing(diff.extra_tables)})"
        )
    if diff.extra_columns:
        parts.append(
            f"has {len(diff.extra_columns)} column(s) the source does not ({_listing(diff.extra_columns)})"
        )
    if not parts:
        return f"The target has the same {tables} table(s) and {columns} column(s) as the source."
    if tables == 0:
        return "The target " + "; ".join(parts) + ". No table is in both: there is nothing to compare."
    return (
        "The target "
        + "; ".join(parts)
        + f". The scores cover the {tables} table(s) and {columns} column(s) both have."
    )


__all__ = ["Overlap", "match", "missing_statement"]
