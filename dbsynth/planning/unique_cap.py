"""The most rows a table can hold when a unique key's value domain is finite and known.

A singleton table (``lock CHAR(1) NOT NULL UNIQUE CHECK (lock = 'X')``) holds one row whatever the
scale; a unique boolean two; a unique enum as many as it has labels. The plan caps such a table's
row count at the size of that domain instead of generating duplicates the target refuses. The
domain of a column is known from a NOT NULL boolean, enum labels, or a CHECK on that column alone
that is an equality or an IN list; a nullable column leaves the key unbounded (NULLs never
collide).
"""

from __future__ import annotations

import math

from sqlglot import exp

from dbsynth.fitting.children import fk_is_unique
from dbsynth.schema import LogicalType, Schema, Table
from dbsynth.sqltext import SqlTextError, parse_expression


def unique_cap(table: Table, dialect: str) -> tuple[int, str] | None:
    """The smallest finite domain size of ``table``'s unique keys, with the key's columns, or None."""
    keys = [u.columns for u in table.uniques if u.where is None]
    if table.primary_key is not None:
        keys.append(table.primary_key.columns)
    best: tuple[int, str] | None = None
    for columns in keys:
        sizes = [_domain_size(table, name, dialect) for name in columns]
        if any(s is None for s in sizes):
            continue
        size = math.prod(s for s in sizes if s is not None)
        if best is None or size < best[0]:
            best = (size, ", ".join(columns))
    return best


def _domain_size(table: Table, name: str, dialect: str) -> int | None:
    column = next((c for c in table.columns if c.name == name), None)
    if column is None or column.nullable:
        return None
    sizes = []
    if column.logical is LogicalType.BOOLEAN:
        sizes.append(2)
    if column.enum_labels and column.logical is LogicalType.ENUM:
        sizes.append(len(column.enum_labels))
    for check in table.checks:
        if check.columns == (name,):
            n = _check_size(check.expression, name, dialect)
            if n is not None:
                sizes.append(n)
    return min(sizes) if sizes else None


def _check_size(expression: str, name: str, dialect: str) -> int | None:
    """How many values ``expression`` lets column ``name`` take: ``col = v`` -> 1,
    ``col IN (a, b)`` -> 2; None for any other shape."""
    try:
        tree = parse_expression(expression, dialect)
    except SqlTextError:
        return None
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.EQ):
        sides = (tree.this, tree.expression)
        if any(_is(side, name) for side in sides) and any(_literal(side) for side in sides):
            return 1
    if isinstance(tree, exp.In) and _is(tree.this, name) and tree.expressions:
        values = tree.expressions
        if all(_literal(v) for v in values):
            return len({v.sql() for v in values})
    return None


def _is(node: exp.Expr, name: str) -> bool:
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    return isinstance(node, exp.Column) and node.name == name


def _literal(node: exp.Expr) -> bool:
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    return isinstance(node, exp.Literal)


def cap_one_to_one(schema: Schema, counts: dict[str, int]) -> dict[str, str]:
    """Lower ``counts`` (in place, parents first) so that a table whose NOT NULL foreign key is
    also a unique key (a 1:1 link) has no more rows than its parent: each parent row can take
    one child only, and a row left without a parent would be a NULL the column refuses. Says
    why per capped table."""
    why: dict[str, str] = {}
    for key in list(counts):
        table = schema.table(key)
        for fk in table.foreign_keys:
            if fk.ref_table not in counts or not fk_is_unique(table, fk):
                continue
            if any(table.column(c).nullable for c in fk.columns):
                continue  # rows beyond the parents' keep a NULL key
            parents = counts[fk.ref_table]
            if counts[key] > parents:
                why[key] = (
                    f"capped at {parents:,} row(s) from {counts[key]:,}: unique ({', '.join(fk.columns)}) "
                    f"references {fk.ref_table}, one row per parent row"
                )
                counts[key] = parents
    return why


def cap_at_composite_domains(schema: Schema, counts: dict[str, int]) -> dict[str, str]:
    """Lower ``counts`` (in place, parents first) of a table whose unique key pairs foreign keys
    with finite columns (``(user_id, role)`` with a three-label enum) to the number of distinct
    tuples the key can take: parent rows times values. Says why per capped table."""
    why: dict[str, str] = {}
    for key in list(counts):
        table = schema.table(key)
        keys = [u.columns for u in table.uniques if u.where is None]
        if table.primary_key is not None:
            keys.append(table.primary_key.columns)
        for cols in keys:
            fks = [f for f in table.foreign_keys if set(f.columns) <= set(cols) and f.ref_table != key]
            covered = {c for f in fks for c in f.columns}
            rest = [c for c in cols if c not in covered]
            if not fks or not rest or any(f.ref_table not in counts for f in fks):
                continue
            if any(table.column(c).nullable for c in covered):
                continue
            sizes = [_domain_size(table, c, schema.dialect) for c in rest]
            if any(s is None for s in sizes):
                continue
            size = math.prod(counts[f.ref_table] for f in fks) * math.prod(s for s in sizes if s is not None)
            if counts[key] > size:
                why[key] = (
                    f"capped at {size:,} row(s) from {counts[key]:,}: unique ({', '.join(cols)}) "
                    f"has {size:,} possible value(s) with its parents' rows"
                )
                counts[key] = size
    return why
