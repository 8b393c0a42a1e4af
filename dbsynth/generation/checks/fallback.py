"""The assignment that makes a CHECK hold whatever its other columns are, when it has one.

``CHECK (id <> 1 OR (type = 3 AND gender IS NULL AND ...))`` (musicbrainz's special artist
row) cannot be met by resampling when ``id`` is a key the generator assigned: no fresh draw of
``type`` and ``gender`` lands on ``3`` and NULL together in 40 rounds. One of its OR branches
is only ``column = literal`` and ``column IS NULL`` terms, though, and writing those values into
the failing rows meets it by construction. Repair uses it after a few rounds of resampling.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from dbsynth.generation.checks.derive import flatten, unparen
from dbsynth.schema import Table


def _literal(e: exp.Expression) -> tuple[bool, Any]:
    e = unparen(e)
    while isinstance(e, exp.Cast):
        e = unparen(e.this)
    if isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal) and not e.this.is_string:
        ok, v = _literal(e.this)
        return ok, -v
    if isinstance(e, exp.Literal):
        if e.is_string:
            return True, e.this
        text = e.this
        return True, int(text) if text.lstrip("-").isdigit() else float(text)
    if isinstance(e, exp.Boolean):
        return True, bool(e.this)
    return False, None


def _term(e: exp.Expression, table: Table) -> tuple[str, Any] | None:
    """``(column, value)`` for ``column = literal`` / ``literal = column`` / ``column IS NULL``."""
    e = unparen(e)
    names = {c.name: c for c in table.columns}
    if isinstance(e, exp.Is) and isinstance(unparen(e.expression), exp.Null):
        col = unparen(e.this)
        if isinstance(col, exp.Column) and col.name in names and names[col.name].nullable:
            return col.name, None
        return None
    if isinstance(e, exp.EQ):
        for side, other in ((e.this, e.expression), (e.expression, e.this)):
            col = unparen(side)
            ok, value = _literal(other)
            if isinstance(col, exp.Column) and col.name in names and ok:
                return col.name, value
    return None


def fallback_assignment(tree: exp.Expression, table: Table) -> tuple[tuple[str, Any], ...]:
    """The values of one top-level OR branch made only of ``column = literal`` and ``column IS
    NULL`` (nullable columns) terms, or ``()`` when no branch is. The branch with the fewest
    terms wins: it changes the fewest columns of the rows it repairs."""
    best: tuple[tuple[str, Any], ...] = ()
    branches = flatten(tree, exp.Or)
    if len(branches) < 2:
        return ()
    for branch in branches:
        terms = [_term(t, table) for t in flatten(branch, exp.And)]
        if not terms or any(t is None for t in terms):
            continue
        assignment = tuple(t for t in terms if t is not None)
        if len({c for c, _ in assignment}) != len(assignment):
            continue  # ``a = 1 AND a = 2``: contradictory or redundant, leave it to resampling
        if not best or len(assignment) < len(best):
            best = assignment
    return best
