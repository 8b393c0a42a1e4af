"""Cardinality: how many children each parent has, through every FK, in both databases.

Measured with SQL over *all* rows, not on the samples: a sample of a child table holds complete
families only for the FK it was sampled through, and the distribution is cheap for the server
to count exactly. One query per FK and database returns the histogram
``(children, number of parents with that many)``, zeros included (a LEFT JOIN from the parent):

    SELECT n, count(*) FROM (
        SELECT count(c.fk) AS n FROM parent p LEFT JOIN child c ON c.fk = p.key
        WHERE p.key IS NOT NULL GROUP BY p.key) s
    GROUP BY n

The score is ``1 − KS`` of the two histograms as weighted samples (SDMetrics'
``CardinalityShapeSimilarity``). :func:`counts_from_frames` gives the same histogram from
frames, for callers that have whole tables in memory.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dbsynth.report.metrics import clamp, ks_statistic
from dbsynth.report.result import CardinalityScore
from dbsynth.schema import ForeignKey, Table

Counts = tuple[tuple[int, int], ...]


def counts_query(
    parent: Table, ref_columns: Sequence[str], child: Table, columns: Sequence[str]
) -> sa.Select:
    """The histogram query of the module docstring for these tables and key columns."""
    p = sa.table(parent.name, *(sa.column(c) for c in ref_columns), schema=parent.schema).alias("p")
    c = sa.table(child.name, *(sa.column(c) for c in columns), schema=child.schema).alias("c")
    on = sa.and_(*(c.c[a] == p.c[b] for a, b in zip(columns, ref_columns, strict=True)))
    per_parent = (
        sa.select(sa.func.count(c.c[columns[0]]).label("n"))
        .select_from(p.outerjoin(c, on))
        .where(*(p.c[b].is_not(None) for b in ref_columns))
        .group_by(*(p.c[b] for b in ref_columns))
        .subquery("s")
    )
    return (
        sa.select(per_parent.c.n, sa.func.count().label("parents"))
        .group_by(per_parent.c.n)
        .order_by(per_parent.c.n)
    )


def fetch_counts(
    conn: Connection, parent: Table, ref_columns: Sequence[str], child: Table, columns: Sequence[str]
) -> Counts:
    rows = conn.execute(counts_query(parent, ref_columns, child, columns)).all()
    return tuple((int(n), int(p)) for n, p in rows)


def counts_from_frames(parent_keys: pd.DataFrame, child_keys: pd.DataFrame) -> Counts:
    """The histogram from a parent's key columns and a child's FK columns (same order): every
    parent with a non-NULL key counts, with its number of children (0 included)."""
    parents = parent_keys.dropna().drop_duplicates()
    if parents.empty:
        return ()
    children = child_keys.dropna()
    children.columns = parents.columns
    per_key = children.groupby(list(parents.columns), dropna=True).size().rename("n")
    joined = parents.merge(per_key, left_on=list(parents.columns), right_index=True, how="left")
    n = joined["n"].fillna(0).astype("int64")
    hist = n.value_counts().sort_index()
    return tuple((int(k), int(v)) for k, v in hist.items())


def cardinality_similarity(source: Counts, target: Counts) -> float | None:
    """``1 − KS`` of two children-per-parent histograms; None when the source has no parent."""
    if not source:
        return None
    if not target:
        return 0.0
    d = ks_statistic(
        np.array([n for n, _ in source], dtype="float64"),
        np.array([n for n, _ in target], dtype="float64"),
        np.array([p for _, p in source], dtype="float64"),
        np.array([p for _, p in target], dtype="float64"),
    )
    return None if d is None else clamp(1.0 - d)


def _mean(counts: Counts) -> float | None:
    parents = sum(p for _, p in counts)
    return sum(n * p for n, p in counts) / parents if parents else None


def cardinality_score(child: str, fk: ForeignKey, source: Counts, target: Counts) -> CardinalityScore:
    score = cardinality_similarity(source, target)
    note = None
    if not source:
        note = "the source has no parent rows: nothing to compare"
    elif not target:
        note = "the target has no parent rows"
    return CardinalityScore(
        child=child,
        parent=fk.ref_table,
        columns=fk.columns,
        score=score,
        mean_source=_mean(source),
        mean_target=_mean(target),
        source_counts=source,
        target_counts=target,
        note=note,
    )


__all__ = [
    "Counts",
    "cardinality_score",
    "cardinality_similarity",
    "counts_from_frames",
    "counts_query",
    "fetch_counts",
]
