"""Generation side of relations: a column computed from its base in the same row
(:class:`dbsynth.model.Relation`; what is fitted, and why: :mod:`dbsynth.fitting.relations`).

Only rows where both the column and its base are non-NULL are computed: the column's NULLs
come from its own null model, and a row without a base keeps the column's own value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dbsynth.columns.base import decode
from dbsynth.model import Relation


def _micros(s: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(s, errors="coerce", utc=True).dt.tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[us]").astype(np.int64)


def computed(frame: pd.DataFrame, rel: Relation, rng: np.random.Generator) -> np.ndarray:
    """The values of ``rel.column`` with the rows the relation covers computed from its base."""
    own, base = frame[rel.column], frame[rel.base]
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
        stamps[rows] = later.astype("datetime64[us]")
        return stamps
    values = pd.to_numeric(own, errors="coerce").to_numpy(dtype=np.float64).copy()
    x = pd.to_numeric(base[rows], errors="coerce").to_numpy(dtype=np.float64)
    y = x * d if rel.kind == "ratio" else x + d
    if rel.lower is not None and rel.upper is not None:
        y = np.clip(y, rel.lower, rel.upper)
    values[rows] = y
    return values


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()
