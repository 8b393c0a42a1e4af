"""What a generated table leaves behind for its children, and nothing more.

Children never look at their parent rows. When a parent table is generated, each chunk keeps:

* the values of referenced keys that are not arithmetic (``country.code``; an engine-numbered
  key is ``start + index`` and needs no memory);
* per row and per relationship, how many children it will have, drawn through the parent's
  copula (``#children:<fk>``), so "gold customers order more" survives;
* the normal scores of the few parent columns a child's copula is conditioned on (``^fk.col``);
* the parent columns a child ordering compares against (an order after its customer's signup),
  or a child number is computed from (a line's price from its product's price).

:class:`Needs` says which of these each table must keep (from the model, before the run);
:class:`Run` is what every table of a run shares, the stores of the tables generated so far
among it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy.engine import URL

from dbsynth.columns.copula import to_uniform
from dbsynth.generation.keys import KeySource
from dbsynth.model import Model, RelationshipModel, stratum_labels
from dbsynth.planning.plan import Plan


@dataclass
class TableStore:
    """What a generated table leaves behind for its children (all indexed by row)."""

    rows: int
    keys: dict[tuple[str, ...], KeySource] = field(default_factory=dict)
    counts: dict[str, list[np.ndarray]] = field(default_factory=dict)
    z: dict[str, list[np.ndarray]] = field(default_factory=dict)
    values: dict[str, list[np.ndarray]] = field(default_factory=dict)

    def joined(self, part: dict[str, list[np.ndarray]], name: str) -> np.ndarray:
        arrays = part[name]
        if len(arrays) > 1:
            part[name] = [np.concatenate(arrays)]
        return part[name][0] if arrays else np.zeros(0)


@dataclass(frozen=True)
class Needs:
    """Per parent table: the normal scores (``z``) and the column values (``values``) its
    children read, and the column sets they reference (``referenced``)."""

    z: dict[str, set[str]]
    values: dict[str, set[str]]
    referenced: dict[str, set[tuple[str, ...]]]

    @classmethod
    def of(cls, model: Model, plan: Plan) -> Needs:
        keep_z: dict[str, set[str]] = {t.table: set() for t in plan.tables}
        keep_values: dict[str, set[str]] = {t.table: set() for t in plan.tables}
        referenced: dict[str, set[tuple[str, ...]]] = {t.table: set() for t in plan.tables}
        for tm in model.tables:
            if tm.copula is None or tm.driving_fk is None:
                continue
            rel = model.relationship(tm.driving_fk)
            prefix = f"^{rel.id}."
            keep_z[rel.parent].update(n[len(prefix) :] for n in tm.copula.names if n.startswith(prefix))
        for rel in model.relationships:
            keep_values.setdefault(rel.parent, set()).update(o.right for o in rel.orderings)
            # A child number computed from its parent's (a line's price from its product's).
            prefix = f"^{rel.id}."
            child = next((t for t in model.tables if t.table == rel.child), None)
            for r in child.relations if child is not None else ():
                if r.base.startswith(prefix):
                    keep_values.setdefault(rel.parent, set()).add(r.base[len(prefix) :])
            referenced.setdefault(rel.parent, set()).add(rel.ref_columns)
        return cls(keep_z, keep_values, referenced)


def keep(
    store: TableStore,
    needs: Needs,
    model: Model,
    table: str,
    frame: pd.DataFrame,
    z: dict[str, np.ndarray],
    rows: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Keep what the children of ``table`` need from one chunk (``frame``, its copula draws
    ``z`` and row indexes ``rows``)."""
    for cols, source in store.keys.items():
        if source.start is None:
            source.append([frame[c].to_numpy(dtype=object) for c in cols])
    for name in needs.z.get(table, ()):
        if name in z:
            store.z.setdefault(name, []).append(z[name].astype(np.float32))
    for name in needs.values.get(table, ()):
        if name in frame.columns:
            store.values.setdefault(name, []).append(_comparable(frame[name]))
    for rel in model.relationships:
        if rel.parent != table or rel.child == table:
            continue
        dim = f"#children:{rel.id}"
        u = to_uniform(z[dim]) if dim in z else rng.random(len(rows))
        store.counts.setdefault(rel.id, []).append(_child_counts(rel, u, frame, rng))


def _child_counts(
    rel: RelationshipModel, u: np.ndarray, frame: pd.DataFrame, rng: np.random.Generator
) -> np.ndarray:
    counts = np.zeros(len(u), dtype=np.float64)
    if rel.children_by and rel.children_by in frame.columns:
        # Grouped on the keys fit used: a NULL category (None, NaN or pd.NA here) is the
        # "\0null" stratum, not a value that equals nothing.
        labels = stratum_labels(frame[rel.children_by])
        for label in pd.unique(labels):
            group = labels == label
            model = rel.children_for(label)
            if model is not None:
                counts[group] = np.asarray(model.from_uniform(u[group], rng), dtype=np.float64)
        return np.maximum(counts, 0)
    if rel.children_model is not None:
        return np.maximum(np.asarray(rel.children_model.from_uniform(u, rng), dtype=np.float64), 0)
    return rng.poisson(max(rel.mean_children, 0.0), len(u)).astype(np.float64)


def _comparable(series: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(series):
        s = series.dt.tz_convert(None) if getattr(series.dt, "tz", None) is not None else series
        return s.to_numpy(dtype="datetime64[us]")
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)


@dataclass
class Run:
    """What every table of a run shares: the model and the plan, the first value of each
    engine-numbered key (``(table, column) -> start``, from the sink), the source to copy
    tables from, and the stores of the tables generated so far."""

    model: Model
    plan: Plan
    key_start: Mapping[tuple[str, str], int]
    source: str | URL | None = None
    needs: Needs = field(init=False)
    stores: dict[str, TableStore] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.needs = Needs.of(self.model, self.plan)

    def rows(self, table: str) -> int:
        """The planned row count of ``table``."""
        return self.plan.table(table).rows
