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

import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import cast

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

from dbsynth.columns.generators.regex import PatternError, RegexGenerator, max_length, parse_pattern
from dbsynth.expr.compile import Compiler
from dbsynth.expr.dialects import DIALECT_ALIASES, DIALECTS
from dbsynth.expr.logic import truth
from dbsynth.expr.patterns import like_regex, posix_regex
from dbsynth.expr.values import LOGICAL_KIND, Env, Kind, Node, Unsupported, column_vec
from dbsynth.fitting.regex_sample import regex_sample
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
    if values.empty:
        return values
    if not tests:
        # A pattern under a guard in a check of several columns (``a IS NULL OR a ~ '...'``):
        # the draws match it by construction.
        drawn = _drawn_from_pattern(column, table, dialect, len(values))
        return values if drawn is None else drawn
    best, best_ok = values, _passes(tests, values, column)
    if not best_ok.all() and values.map(lambda v: isinstance(v, str)).all():
        for rewrite in _REWRITES:
            candidate = values.map(rewrite)
            ok = _passes(tests, candidate, column)
            if ok.sum() > best_ok.sum():
                best, best_ok = candidate, ok
    if best_ok.mean() < 0.5:
        drawn = _drawn_from_pattern(column, table, dialect, len(values))
        if drawn is not None:
            ok = _passes(tests, drawn, column)
            if ok.sum() > best_ok.sum():
                best, best_ok = drawn, ok
    if not best_ok.any():
        return values
    return best[best_ok].reset_index(drop=True)


def _drawn_from_pattern(column: Column, table: Table, dialect: str, n: int) -> pd.Series | None:
    """A sample drawn from the first regex or LIKE pattern a CHECK requires of ``column``'s
    non-NULL values: a code such as ``ipi ~ '^\\d{11}$'`` that no word or code the name
    suggests matches."""
    rng = np.random.default_rng(zlib.crc32(f"{table.key}.{column.name}".encode()))
    for _, regex in _patterns(column, table, dialect):
        drawn = regex_sample(regex, n, rng, column.length)
        if drawn:
            return pd.Series(drawn, dtype=object)
    return None


# A unique URL column (musicbrainz's url.url): fitted on a sample of URLs its model was free
# text, whose unique values are letters ('aaaaaaaaabikdzgadnlhesy'); these stay URLs, by index.
UNIQUE_URL = r"https://www\.example\.(com|org|net)/[a-z]{3,8}/[a-z0-9]{6,12}"


def pattern_model(
    column: Column, table: Table, dialect: str, prior_reason: str = "", unique: bool = False
) -> RegexGenerator | None:
    """The ``regex`` generator of the first pattern a CHECK requires of ``column``, when that
    generator draws it (and within the column's length): unlike a model fitted on a sample of
    the pattern, it keeps every position's characters and makes unique values by index. A
    unique column whose prior is URLs gets :data:`UNIQUE_URL`."""
    checked = any(True for _ in _patterns(column, table, dialect))
    fits = column.length is None or max_length(parse_pattern(UNIQUE_URL)) <= column.length
    if unique and prior_reason.endswith(": URLs") and not checked and fits:
        return RegexGenerator(UNIQUE_URL)
    for source, _ in _patterns(column, table, dialect):
        if source is None:
            continue
        try:
            longest = max_length(parse_pattern(source))
        except PatternError:
            continue
        if column.length is None or longest <= column.length:
            return RegexGenerator(source)
    return None


def _patterns(column: Column, table: Table, dialect: str) -> Iterator[tuple[str | None, str]]:
    """(regex as the check wrote it or None for LIKE, Python regex) per pattern an AND term of a
    CHECK on ``column`` requires (under a ``column IS NULL OR`` guard too)."""
    rules = DIALECTS.get(DIALECT_ALIASES.get(dialect.lower(), dialect.lower()))
    if rules is None or LOGICAL_KIND.get(column.logical) is not Kind.STR:
        return
    for text in [c.expression for c in table.checks if column.name in c.columns]:
        try:
            tree = cast(exp.Expression, sqlglot.parse_one(text, read=rules.sqlglot))
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
            continue
        for term in _and_terms(tree):
            found = _pattern_of(_unguarded(term, column), column, rules.like_escape)
            if found is not None:
                yield found


def _and_terms(e: exp.Expression) -> list[exp.Expression]:
    while isinstance(e, exp.Paren):
        e = e.this
    if isinstance(e, exp.And):
        return _and_terms(e.this) + _and_terms(e.expression)
    return [e]


def _unguarded(term: exp.Expression, column: Column) -> exp.Expression:
    """``x`` of ``column IS NULL OR x``: what a non-NULL value must meet."""
    while isinstance(term, exp.Paren):
        term = term.this
    if isinstance(term, exp.Or):
        guard = term.this
        while isinstance(guard, exp.Paren):
            guard = guard.this
        if (
            isinstance(guard, exp.Is)
            and isinstance(guard.this, exp.Column)
            and guard.this.name == column.name
            and isinstance(guard.expression, exp.Null)
        ):
            inner = term.expression
            while isinstance(inner, exp.Paren):
                inner = inner.this
            return inner
    return term


def _pattern_of(term: exp.Expression, column: Column, escape: str | None) -> tuple[str | None, str] | None:
    if not isinstance(term, exp.RegexpLike | exp.Like) or term.args.get("flag") is not None:
        return None
    subject, pattern = term.this, term.expression
    while isinstance(subject, exp.Cast | exp.Paren):
        subject = subject.this
    while isinstance(pattern, exp.Cast | exp.Paren):
        pattern = pattern.this
    if not (isinstance(subject, exp.Column) and subject.name == column.name):
        return None
    if not (isinstance(pattern, exp.Literal) and pattern.is_string):
        return None
    if isinstance(term, exp.Like):
        return None, "(?s)\\A(?:" + like_regex(pattern.this, escape) + ")\\Z"
    return pattern.this, posix_regex(pattern.this)


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
