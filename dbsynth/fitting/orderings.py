"""Orderings that held in every sampled row, and the children-per-parent counts of a foreign key.

Orderings are facts like ``shipped_at >= created_at`` (within a row) or ``rental.rental_date >=
customer.create_date`` (a child after its parent). A QA team notices immediately when synthetic
data breaks them, and a copula only keeps them approximately, so fit records them and generation
enforces them.

Only pairs of the same family are compared (two temporal columns, or two numeric columns), and
only when both sides were non-NULL together in at least ``min_support`` rows: an ordering seen in
three rows is chance, not a rule.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from dbsynth.model import Ordering
from dbsynth.schema import LogicalType

TEMPORAL = {LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ}
NUMERIC = {LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT}


def family(logical: LogicalType) -> str | None:
    if logical in TEMPORAL:
        return "temporal"
    if logical in NUMERIC:
        return "numeric"
    return None


def _as_comparable(s: pd.Series, fam: str) -> pd.Series:
    if fam == "temporal":
        out = pd.to_datetime(s, errors="coerce", utc=True)
        return out.dt.tz_localize(None)
    return pd.to_numeric(s, errors="coerce").astype("float64")


def _holds(a: pd.Series, b: pd.Series, min_support: int) -> tuple[str, int] | None:
    both = a.notna() & b.notna()
    n = int(both.sum())
    if n < min_support:
        return None
    av, bv = a[both].to_numpy(), b[both].to_numpy()
    if bool(np.all(av > bv)):
        return ">", n
    if bool(np.all(av >= bv)) and not bool(np.all(av == bv)):
        return ">=", n
    return None


def row_orderings(
    frame: pd.DataFrame, columns: Sequence[tuple[str, LogicalType]], min_support: int = 20
) -> tuple[Ordering, ...]:
    """Orderings between pairs of columns of one table that held in every sampled row.

    Pairs of numeric columns are only kept when the columns overlap in range: two disjoint
    ranges (``price`` vs ``id``) are ordered by accident, not by a business rule.
    """
    found: list[Ordering] = []
    cands = [(name, family(lt)) for name, lt in columns if family(lt) and name in frame.columns]
    values = {name: _as_comparable(frame[name], fam) for name, fam in cands if fam}
    for (a, fa), (b, fb) in itertools.combinations(cands, 2):
        if fa != fb:
            continue
        for left, right in ((a, b), (b, a)):
            got = _holds(values[left], values[right], min_support)
            if got is None:
                continue
            if fa == "numeric" and not _overlapping(values[left], values[right]):
                continue
            found.append(Ordering(left=left, op=got[0], right=right, support=got[1]))  # type: ignore[arg-type]
    return tuple(found)


def _overlapping(a: pd.Series, b: pd.Series) -> bool:
    a, b = a.dropna(), b.dropna()
    if a.empty or b.empty:
        return False
    return bool(a.min() <= b.max() and b.min() <= a.max())


def parent_orderings(
    child: pd.DataFrame,
    parent: pd.DataFrame,
    child_cols: Sequence[str],
    ref_cols: Sequence[str],
    child_temporal: Sequence[str],
    parent_temporal: Sequence[str],
    min_support: int = 20,
) -> tuple[Ordering, ...]:
    """Child-after-parent orderings over the sampled child rows joined to their parents.

    Only temporal columns: "an order is placed after its customer signed up" is the rule users
    check; numeric parent/child comparisons are left to the copula.
    """
    if not child_temporal or not parent_temporal or child.empty or parent.empty:
        return ()
    right = parent[list(ref_cols) + [c for c in parent_temporal if c not in ref_cols]].copy()
    right.columns = [f"__p_{c}" if c not in ref_cols else f"__k_{i}" for i, c in enumerate(right.columns)]
    key_names = [f"__k_{i}" for i in range(len(ref_cols))]
    left = child[list(child_cols) + [c for c in child_temporal if c not in child_cols]].copy()
    for name, ck in zip(key_names, child_cols, strict=True):
        left[name] = left[ck]
    try:
        joined = left.merge(right, on=key_names, how="inner")
    except (ValueError, TypeError):  # incompatible key dtypes after sampling: no ordering facts
        return ()
    found: list[Ordering] = []
    for c in child_temporal:
        cv = _as_comparable(joined[c], "temporal")
        for p in parent_temporal:
            pv = _as_comparable(joined[f"__p_{p}"], "temporal")
            got = _holds(cv, pv, min_support)
            if got is not None:
                found.append(Ordering(left=c, op=got[0], right=p, support=got[1]))  # type: ignore[arg-type]
    return tuple(found)


def children_counts(
    child: pd.DataFrame, parent: pd.DataFrame, child_cols: Sequence[str], ref_cols: Sequence[str]
) -> np.ndarray:
    """Number of child rows for every parent row (zeros included), in the parent frame's order.

    Valid because the sampler takes whole families: every child of a sampled parent is sampled.
    """
    rows = parent_rows(child, parent, child_cols, ref_cols)
    return np.bincount(rows[rows >= 0], minlength=len(parent)).astype(np.int64)


def parent_rows(
    child: pd.DataFrame, parent: pd.DataFrame, child_cols: Sequence[str], ref_cols: Sequence[str]
) -> np.ndarray:
    """For every child row, the position of its parent row in ``parent`` (-1: NULL key or a
    parent outside the frame). Vectorised through a pandas index; keys are normalised first so
    ``1``, ``1.0`` and ``np.int64(1)`` meet."""
    if parent.empty or child.empty:
        return np.full(len(child), -1, dtype=np.int64)
    pkeys = _key_index([parent[c] for c in ref_cols])
    ckeys = _key_index([child[c] for c in child_cols])
    if not pkeys.is_unique:  # duplicated parent keys (closure rows): first occurrence wins
        pkeys = pkeys.drop_duplicates()
        first = ~_key_index([parent[c] for c in ref_cols]).duplicated()
        positions = np.flatnonzero(first)
    else:
        positions = np.arange(len(parent))
    found = pkeys.get_indexer(ckeys)
    return np.where(found >= 0, positions[np.maximum(found, 0)], -1).astype(np.int64)


def _key_index(columns: Sequence[pd.Series]) -> pd.Index:
    normed = [_normalise_keys(c.reset_index(drop=True)) for c in columns]
    if len(normed) == 1:
        return pd.Index(normed[0])
    return pd.MultiIndex.from_arrays(normed)


def _normalise_keys(s: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.astype(object).where(s.notna(), None)
    if pd.api.types.is_float_dtype(s):
        whole = s.notna() & (s == s.round())
        out = s.astype(object)
        out[whole] = s[whole].astype(np.int64)
        return out.where(s.notna(), None)
    return s.map(key_value, na_action="ignore").astype(object).where(s.notna(), None)


def key_value(v: object) -> object:
    """Keys compare across frames whatever pandas made of them (1 vs 1.0 vs numpy int64)."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v
