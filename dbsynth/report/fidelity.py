"""Fidelity of the sampled frames: column shapes, null rates and pair trends per table, and pair
trends across FKs (parent⋈child, one hop and two), assembled into SDMetrics-style properties.

A property is the mean over *all* its items in the database, as SDMetrics computes it: column
shapes over every scored column of every table, pair trends over every contributing pair (see
:mod:`dbsynth.report.metrics`), so a table with 40 columns weighs more than one with 2. A
table's own scores are the same means over its items. The overall score is the mean of the four
SDMetrics properties that are defined (column shapes, column pair trends, cardinality,
inter-table trends); null rates, two-hop trends and row counts are reported apart.

Pair metrics read at most :data:`PAIR_ROWS` rows per side (a seeded subsample; SDMetrics
subsamples at the same size), which bounds their cost on big tables.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dbsynth.report.columns import CONTINUOUS, SCORED, ColumnInfo, as_labels, comparable_frame
from dbsynth.report.metrics import (
    PairResult,
    ks_complement,
    mean,
    null_rate,
    null_similarity,
    pair_trend,
    tv_complement,
)
from dbsynth.report.plots import heatmap, histogram
from dbsynth.report.result import (
    CardinalityScore,
    ColumnScore,
    Fidelity,
    InterTableScore,
    PairScore,
    TableScore,
)
from dbsynth.schema import ForeignKey, Schema, Table

PAIR_ROWS = 50_000
MAX_TWO_HOP = 40  # two-hop paths scored at most (a dense schema has a great many)

_UNSCORED = {
    "id": "not scored: a key column (its values are generated, not modelled)",
    "pii": "not scored: personal data ({pii}); its values are meant to differ from the source's",
    "text": "not scored: free text (too many distinct values to compare as categories)",
    "other": "not scored: JSON, array, binary or unknown type",
}


@dataclass(frozen=True)
class TableFrames:
    """One table's samples (target columns renamed to the source's) and their comparable forms."""

    table: Table
    source: pd.DataFrame
    target: pd.DataFrame
    infos: Mapping[str, ColumnInfo]
    rows_source: int
    rows_target: int
    rows_exact: bool
    source_cmp: pd.DataFrame = field(init=False, repr=False)
    target_cmp: pd.DataFrame = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "source_cmp", comparable_frame(self.source, self.infos))
        object.__setattr__(self, "target_cmp", comparable_frame(self.target, self.infos))

    @property
    def scored(self) -> list[str]:
        return [name for name, info in self.infos.items() if info.kind in SCORED]


# -- one table --------------------------------------------------------------------------------


def column_score(name: str, info: ColumnInfo, frames: TableFrames, min_count: int) -> ColumnScore:
    """Shape score, null rates and histogram of one column."""
    src, tgt = frames.source_cmp[name], frames.target_cmp[name]
    metric = None
    score: float | None = None
    note: str | None = None
    if info.kind in SCORED:
        metric = "KSComplement" if info.kind in CONTINUOUS else "TVComplement"
        if src.isna().all():
            note = "no rows in the source" if src.empty else "all NULL in the source: nothing to compare"
        elif tgt.isna().all():
            score, note = 0.0, ("no rows in the target" if tgt.empty else "all NULL in the target")
        elif info.kind in CONTINUOUS:
            score = ks_complement(src.to_numpy("float64"), tgt.to_numpy("float64"))
        else:
            score = tv_complement(src, tgt)
    else:
        note = _UNSCORED[info.kind].format(pii=info.pii.value if info.pii else "")
    return ColumnScore(
        column=name,
        kind=info.kind,
        metric=metric,  # type: ignore[arg-type]
        score=score,
        null_rate_source=null_rate(src),
        null_rate_target=null_rate(tgt),
        null_similarity=null_similarity(src, tgt),
        note=note,
        histogram=histogram(
            src, tgt, info.kind, min_count, pd.api.types.is_timedelta64_dtype(frames.source[name])
        ),
    )


def _cap(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    if len(frame) <= PAIR_ROWS:
        return frame
    rng = np.random.default_rng(seed)
    return frame.iloc[np.sort(rng.choice(len(frame), PAIR_ROWS, replace=False))]


def score_pair(
    real: pd.DataFrame, synth: pd.DataFrame, a: str, b: str, continuous_a: bool, continuous_b: bool
) -> PairResult:
    """The pair trend of columns ``a`` and ``b``; a target without rows scores 0 on every pair the
    source says matters (the source's own statistic decides whether it contributes)."""
    if len(synth) == 0 and len(real) > 0:
        own = pair_trend(real[a], real[b], real[a], real[b], continuous_a, continuous_b)
        return PairResult(own.metric, 0.0, own.source, None, own.contributes, "no rows in the target")
    return pair_trend(real[a], real[b], synth[a], synth[b], continuous_a, continuous_b)


def _pair_score(name_1: str, name_2: str, result: PairResult) -> PairScore:
    return PairScore(
        column_1=name_1,
        column_2=name_2,
        metric=result.metric,
        score=result.score,
        source=result.source,
        target=result.target,
        contributes=result.contributes,
        note=result.note,
    )


def score_table(frames: TableFrames, *, scale: float, min_count: int, seed: int) -> TableScore:
    """Every fidelity score of one table."""
    columns = tuple(column_score(name, info, frames, min_count) for name, info in frames.infos.items())
    scored = frames.scored
    real, synth = _cap(frames.source_cmp[scored], seed), _cap(frames.target_cmp[scored], seed + 1)
    pairs = tuple(
        _pair_score(
            a,
            b,
            score_pair(
                real, synth, a, b, frames.infos[a].kind in CONTINUOUS, frames.infos[b].kind in CONTINUOUS
            ),
        )
        for a, b in itertools.combinations(scored, 2)
    )
    shapes = mean([c.score for c in columns if c.kind in SCORED])
    trends = mean([p.score for p in pairs if p.contributes])
    nulls = mean([c.null_similarity for c in columns])
    ratio, count_score = row_count_score(frames.rows_source, frames.rows_target, scale)
    notes = _table_notes(frames, columns, pairs)
    return TableScore(
        table=frames.table.key,
        rows_source=frames.rows_source,
        rows_target=frames.rows_target,
        rows_exact=frames.rows_exact,
        sampled_source=len(frames.source),
        sampled_target=len(frames.target),
        row_ratio=ratio,
        row_count_score=count_score,
        column_shapes=shapes,
        column_pair_trends=trends,
        null_rates=nulls,
        score=mean([shapes, trends]),
        columns=columns,
        pairs=pairs,
        heatmap=heatmap(scored, pairs),
        notes=notes,
    )


def row_count_score(source: int, target: int, scale: float) -> tuple[float | None, float | None]:
    """``target / source`` and ``1 − min(1, |ratio − scale| / scale)`` (both empty: 1)."""
    if source == 0:
        return None, 1.0 if target == 0 else 0.0
    ratio = target / source
    return ratio, max(0.0, 1.0 - abs(ratio - scale) / scale)


def _table_notes(
    frames: TableFrames, columns: Sequence[ColumnScore], pairs: Sequence[PairScore]
) -> tuple[str, ...]:
    notes: list[str] = []
    if len(frames.source) == 0 and len(frames.target) == 0:
        notes.append("empty in both databases: nothing to compare")
    elif len(frames.target) == 0:
        notes.append("the target table is empty: every scored column and pair scores 0")
    elif len(frames.source) == 0:
        notes.append("the source table is empty: nothing to compare against")
    if not any(c.kind in SCORED for c in columns):
        notes.append("nothing to score: keys, text and personal data only")
    elif pairs and not any(p.contributes for p in pairs):
        notes.append("no pair related in the source (|ρ| > 0.5 or V > 0.3)")
    return tuple(notes)


# -- across tables ----------------------------------------------------------------------------


def _key_labels(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({f"k{i}": as_labels(frame[c]) for i, c in enumerate(columns)}, index=frame.index)


def _links(child: pd.DataFrame, fk: ForeignKey, parent: pd.DataFrame) -> pd.DataFrame:
    """Positions ``(child_pos, parent_pos)`` of child rows and the parent row their FK names."""
    left = _key_labels(child, fk.columns).assign(child_pos=np.arange(len(child))).dropna()
    right = _key_labels(parent, fk.ref_columns).assign(parent_pos=np.arange(len(parent))).dropna()
    keys = [f"k{i}" for i in range(len(fk.columns))]
    right = right.drop_duplicates(subset=keys)
    return left.merge(right, on=keys, how="inner")[["child_pos", "parent_pos"]]


@dataclass(frozen=True)
class _Hop:
    child: str
    fk: ForeignKey


def _paths(schema: Schema, frames: Mapping[str, TableFrames]) -> Iterable[tuple[_Hop, ...]]:
    """One-hop paths (every FK between sampled tables), then two-hop ones without repeats."""
    hops = [
        _Hop(t.key, fk)
        for t in schema.tables
        if t.key in frames
        for fk in t.foreign_keys
        if fk.ref_table in frames
    ]
    for hop in hops:
        yield (hop,)
    two = 0
    for first in hops:
        for second in hops:
            path = (first.child, first.fk.ref_table, second.fk.ref_table)
            if second.child != first.fk.ref_table or len(set(path)) < 3:
                continue
            if two >= MAX_TWO_HOP:
                return
            two += 1
            yield (first, second)


def _joined(
    path: Sequence[_Hop], frames: Mapping[str, TableFrames], side: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The comparable columns of the path's first (child) and last (ancestor) table, row by row
    along the join (inner: rows whose FK is NULL or dangling drop out)."""
    first = frames[path[0].child]
    raw = first.source if side == "source" else first.target
    links = pd.DataFrame({"child_pos": np.arange(len(raw)), "pos": np.arange(len(raw))})
    for hop in path:
        child, parent = frames[hop.child], frames[hop.fk.ref_table]
        step = _links(
            child.source if side == "source" else child.target,
            hop.fk,
            parent.source if side == "source" else parent.target,
        )
        links = links.merge(step.rename(columns={"child_pos": "pos"}), on="pos")
        links = links.drop(columns="pos").rename(columns={"parent_pos": "pos"})
    top = frames[path[-1].fk.ref_table]
    c_cmp = first.source_cmp if side == "source" else first.target_cmp
    t_cmp = top.source_cmp if side == "source" else top.target_cmp
    return c_cmp.iloc[links["child_pos"].to_numpy()].reset_index(drop=True), t_cmp.iloc[
        links["pos"].to_numpy()
    ].reset_index(drop=True)


def inter_table_scores(schema: Schema, frames: Mapping[str, TableFrames], seed: int) -> list[InterTableScore]:
    """Pair trends between an ancestor's scored columns and a child's, on their join."""
    out: list[InterTableScore] = []
    for path in _paths(schema, frames):
        child, top = frames[path[0].child], frames[path[-1].fk.ref_table]
        names = (child.table.key, *(hop.fk.ref_table for hop in path))
        via = tuple(", ".join(hop.fk.columns) for hop in path)
        if not child.scored or not top.scored:
            out.append(InterTableScore(names, via, len(path), None, (), "no scored column on one side"))
            continue
        rc, rt = _joined(path, frames, "source")
        sc, st = _joined(path, frames, "target")
        real = _cap(
            pd.concat([rt[top.scored].add_prefix("p:"), rc[child.scored].add_prefix("c:")], axis=1), seed
        )
        synth = _cap(
            pd.concat([st[top.scored].add_prefix("p:"), sc[child.scored].add_prefix("c:")], axis=1), seed + 1
        )
        if len(real) == 0:
            out.append(InterTableScore(names, via, len(path), None, (), "no joined rows in the source"))
            continue
        pairs = []
        for a in top.scored:
            for b in child.scored:
                result = score_pair(
                    real,
                    synth,
                    f"p:{a}",
                    f"c:{b}",
                    top.infos[a].kind in CONTINUOUS,
                    child.infos[b].kind in CONTINUOUS,
                )
                pairs.append(_pair_score(f"{top.table.key}.{a}", f"{child.table.key}.{b}", result))
        score = mean([p.score for p in pairs if p.contributes])
        note = (
            None
            if score is not None
            else "no column pair across this join is related strongly enough to count"
        )
        out.append(InterTableScore(names, via, len(path), score, tuple(pairs), note))
    return out


# -- properties -------------------------------------------------------------------------------


def assemble(
    tables: Sequence[TableScore],
    cardinalities: Sequence[CardinalityScore],
    inter: Sequence[InterTableScore],
    scale: float,
    scale_given: bool,
) -> Fidelity:
    """The database-level properties from their items (module docstring)."""
    shapes = mean([c.score for t in tables for c in t.columns if c.kind in SCORED])
    trends = mean([p.score for t in tables for p in t.pairs if p.contributes])
    card = mean([c.score for c in cardinalities])
    one = mean([p.score for i in inter if i.hops == 1 for p in i.pairs if p.contributes])
    two = mean([p.score for i in inter if i.hops == 2 for p in i.pairs if p.contributes])
    return Fidelity(
        overall=mean([shapes, trends, card, one]),
        column_shapes=shapes,
        column_pair_trends=trends,
        cardinality=card,
        inter_table_trends=one,
        inter_table_two_hop=two,
        null_rates=mean([c.null_similarity for t in tables for c in t.columns]),
        row_counts=mean([t.row_count_score for t in tables]),
        scale=scale,
        scale_given=scale_given,
        tables=tuple(tables),
        cardinalities=tuple(cardinalities),
        inter_table=tuple(inter),
    )


__all__ = [
    "MAX_TWO_HOP",
    "PAIR_ROWS",
    "TableFrames",
    "assemble",
    "column_score",
    "inter_table_scores",
    "row_count_score",
    "score_pair",
    "score_table",
]
