"""Generation side of relations: a column computed from its base in the same row
(:class:`dbsynth.model.Relation`; what is fitted, and why: :mod:`dbsynth.fitting.relations`).

Only rows where both the column and its base are non-NULL are computed: the column's NULLs
come from its own null model, and a row without a base keeps the column's own value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from dbsynth.columns.base import decode
from dbsynth.model import Relation


def _micros(s: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(s, errors="coerce", utc=True).dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[us]").astype(np.int64)


def computed(
    frame: pd.DataFrame, rel: Relation, rng: np.random.Generator, draw: Callable[[int], Any]
) -> tuple[Any, np.ndarray]:
    """The values of ``rel.column`` with the rows the relation covers computed from its base,
    and its NULL mask. ``draw(k)``: k fresh values from the column's own model."""
    own, base = frame[rel.column], frame[rel.base]
    nulls = own.isna().to_numpy(dtype=bool)
    if rel.kind == "nulls":
        decided = base.isin(rel.keys).to_numpy(dtype=bool)
        known = base.notna().to_numpy(dtype=bool)
        values = own.to_numpy(dtype=object).copy()
        fill = known & ~decided & nulls  # a value the pattern needs, where the model gave NULL
        if fill.any():
            values[fill] = np.asarray(draw(int(fill.sum())), dtype=object)
        return values, (nulls & ~fill) | decided
    return _values(own, base, rel, rng), nulls


def _values(own: pd.Series, base: pd.Series, rel: Relation, rng: np.random.Generator) -> Any:
    rows = (own.notna() & base.notna()).to_numpy(dtype=bool)
    if rel.kind == "lookup":
        table = dict(zip(rel.keys, rel.values, strict=True))
        out = own.to_numpy(dtype=object).copy()
        looked = base.map(lambda v: table.get(v, _MISSING)).to_numpy(dtype=object)
        hit = rows & np.array([v is not _MISSING for v in looked], dtype=bool)
        out[hit] = looked[hit]
        return out
    assert rel.delta is not None  # ratio and gap always carry their model
    model = decode(rel.delta)
    d = np.asarray(model.from_uniform(rng.random(int(rows.sum())), rng), dtype=np.float64)
    if pd.api.types.is_datetime64_any_dtype(own):
        out_t = own.dt.tz_convert(None) if getattr(own.dt, "tz", None) is not None else own
        stamps = out_t.to_numpy(dtype="datetime64[us]").copy()
        later = _micros(base[rows]) + np.rint(d * 1e6).astype(np.int64)
        inside = _inside(later / 1e6, rel)
        stamps[np.flatnonzero(rows)[inside]] = later[inside].astype("datetime64[us]")
        return stamps
    values = pd.to_numeric(own, errors="coerce").to_numpy(dtype=np.float64).copy()
    x = pd.to_numeric(base[rows], errors="coerce").to_numpy(dtype=np.float64)
    y = x * d if rel.kind == "ratio" else x + d
    inside = _inside(y, rel)
    values[np.flatnonzero(rows)[inside]] = y[inside]
    return values


def _inside(y: np.ndarray, rel: Relation) -> np.ndarray:
    """Computed values within the column's observed range; the others keep the column's own
    value (drawn from its model), which the orderings then settle."""
    ok = np.ones(len(y), dtype=bool)
    if rel.lower is not None:
        ok &= y >= rel.lower
    if rel.upper is not None:
        ok &= y <= rel.upper
    return ok


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
