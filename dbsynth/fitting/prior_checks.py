"""A prior's sample shaped by the CHECKs on its column, before a model is fitted on it.

Generation enforces every CHECK it can evaluate on the rows it makes (derived ranges and
IN-lists, then resampling), which settles a range or a list whatever the model. A check that
reshapes a value rather than bounding it does not settle that way: ``name = lower(name)``
(PowerDNS' ``domains``) fails for every capitalised name a prior of names generates, however
often it is resampled. So the synthetic sample is shaped first: each single-column CHECK is
evaluated on the sample and on a few rewrites of it (lower case, upper case, no blanks), the
rewrite most values pass is kept, and the values that still fail are dropped. The model is
then fitted on values the CHECK accepts, and generation has nothing left to repair.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import cast

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

from dbsynth.expr.compile import Compiler
from dbsynth.expr.dialects import DIALECT_ALIASES, DIALECTS
from dbsynth.expr.logic import truth
from dbsynth.expr.values import LOGICAL_KIND, Env, Node, Unsupported, column_vec
from dbsynth.schema import Column, Table

_REWRITES: tuple[Callable[[str], str], ...] = (
    str.lower,
    str.upper,
    lambda s: "".join(s.split()).lower(),
)


def shape_to_checks(values: pd.Series, column: Column, table: Table, dialect: str) -> pd.Series:
    """``values`` (a prior's sample of ``column``) rewritten and filtered so that the CHECKs of
    ``table`` that read only this column accept them (module doc); unchanged when no such
    check can be evaluated, or when no value passes (generation then names the check)."""
    tests = [t for t in (_compiled(text, column, dialect) for text in _own_checks(column, table)) if t]
    if not tests or values.empty:
        return values
    best, best_ok = values, _passes(tests, values, column)
    if not best_ok.all() and values.map(lambda v: isinstance(v, str)).all():
        for rewrite in _REWRITES:
            candidate = values.map(rewrite)
            ok = _passes(tests, candidate, column)
            if ok.sum() > best_ok.sum():
                best, best_ok = candidate, ok
    if not best_ok.any():
        return values
    return best[best_ok].reset_index(drop=True)


def _own_checks(column: Column, table: Table) -> list[str]:
    return [c.expression for c in table.checks if c.columns == (column.name,) and c.source != "domain"]


def _compiled(expression: str, column: Column, dialect: str) -> Node | None:
    kind = LOGICAL_KIND.get(column.logical)
    rules = DIALECTS.get(DIALECT_ALIASES.get(dialect.lower(), dialect.lower()))
    if kind is None or rules is None:
        return None
    now = np.datetime64(datetime.now(UTC).replace(tzinfo=None), "us")
    try:
        tree = cast(exp.Expression, sqlglot.parse_one(expression, read=rules.sqlglot))
        return Compiler({column.name: kind}, rules, now).condition(tree)
    except (Unsupported, sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return None


def _passes(tests: list[Node], values: pd.Series, column: Column) -> np.ndarray:
    kind = LOGICAL_KIND[column.logical]
    env = Env({column.name: column_vec(values.reset_index(drop=True), kind)}, len(values))
    ok = np.ones(len(values), dtype=bool)
    for node in tests:
        _, false = truth(node.fn(env))
        ok &= ~false & ~env.errors
    return ok
