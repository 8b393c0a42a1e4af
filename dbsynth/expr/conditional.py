"""Conditional expressions: ``CASE``, ``IF``, ``COALESCE``, ``NULLIF``.

Only the branch a row takes counts for that row's errors, as in the databases: ``CASE WHEN b = 0
THEN 0 ELSE a / b END`` raises nothing where ``b = 0``, and a ``COALESCE`` argument is evaluated
only where all before it were NULL. A condition that is NULL does not take its branch.
"""

from __future__ import annotations

import numpy as np
from sqlglot import exp

from dbsynth.expr.handler import Compiling, Handler
from dbsynth.expr.logic import guarded, truth
from dbsynth.expr.values import DTYPE, FILL, Env, Kind, Node, Vec, vec


def _coalesce(c: Compiling, e: exp.Coalesce) -> Node:
    kind, nodes = c.unify([c.compile(x) for x in [e.this, *e.expressions]], e)

    def run(env: Env) -> Vec:
        values = np.full(env.n, FILL[kind], dtype=DTYPE[kind])
        null = np.ones(env.n, dtype=bool)
        for i, n in enumerate(nodes):  # later arguments are only evaluated where all before were NULL
            v = n.fn(env) if i == 0 else guarded(env, n, null)
            take = null & ~v.null  # never from a bare NULL, whose filler is of no kind
            values[take] = v.values[take]
            null &= v.null
        return vec(kind, values, null)

    return Node(kind, run, frozenset().union(*(n.columns for n in nodes)))


def _nullif(c: Compiling, e: exp.Nullif) -> Node:
    a = c.compile(e.this)
    same = c.compare("eq", a, c.compile(e.expression), e)
    return Node(
        a.kind,
        lambda env: (lambda v, s: vec(v.kind, v.values, v.null | truth(s)[0]))(a.fn(env), same.fn(env)),
        same.columns,
    )


def _case(c: Compiling, e: exp.Case) -> Node:
    subject = e.args.get("this")
    branches = []
    for branch in e.args.get("ifs") or []:
        cond = (
            c.compare("eq", c.compile(subject), c.compile(branch.this), e)
            if subject is not None
            else c.condition(branch.this)
        )
        branches.append((cond, c.compile(branch.args["true"])))
    default = e.args.get("default")
    return _branches(c, e, branches, c.compile(default) if default is not None else c.const(Kind.NULL, None))


def _if(c: Compiling, e: exp.If) -> Node:
    # Compiled in reading order, so the first error named is the leftmost.
    test, then = c.compile(e.this), c.compile(e.args["true"])
    other = e.args.get("false")
    otherwise = c.compile(other) if other is not None else c.const(Kind.NULL, None)
    (cond,) = c.as_conditions(e, [e.this], [test], "needs a condition first")
    return _branches(c, e, [(cond, then)], otherwise)


def _branches(c: Compiling, e: exp.Expression, branches: list[tuple[Node, Node]], default: Node) -> Node:
    kind, values = c.unify([v for _, v in branches] + [default], e)
    conds = [cond for cond, _ in branches]

    def run(env: Env) -> Vec:
        out = np.full(env.n, FILL[kind], dtype=DTYPE[kind])
        null = np.ones(env.n, dtype=bool)
        decided = np.zeros(env.n, bool)
        for cond, value in zip(conds, values[:-1], strict=True):
            hit = truth(guarded(env, cond, ~decided))[0] & ~decided
            _take(out, null, guarded(env, value, hit), hit)
            decided |= hit
        rest = ~decided
        _take(out, null, guarded(env, values[-1], rest), rest)
        return vec(kind, out, null)

    return Node(kind, run, frozenset().union(*(n.columns for n in [*conds, *values])))


def _take(out: np.ndarray, null: np.ndarray, v: Vec, rows: np.ndarray) -> None:
    """``v`` on ``rows`` into ``out``/``null``; a NULL's filler (of no kind for a bare NULL) is
    never copied."""
    null[rows] = v.null[rows]
    known = rows & ~v.null
    out[known] = v.values[known]


HANDLERS: dict[type[exp.Expression], Handler] = {
    exp.Coalesce: _coalesce,
    exp.Nullif: _nullif,
    exp.Case: _case,
    exp.If: _if,
}
