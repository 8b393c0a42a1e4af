"""Columns that are (almost) a function of another column of the same row.

A Gaussian copula keeps rank correlations, not functions: world's ``region`` → ``continent``
(Cramér's V 1.0) came out at 0.34 and ``gnp`` ~ ``gnpold`` (ρ 0.998) at 0.57, and an ordering
repaired after the fact loses the gap between its two dates. Fit finds these relations and
generation computes the dependent column from its base (:class:`dbsynth.model.Relation`):

* **lookup** (categorical → categorical): for the rows where both are non-NULL, the base's value
  names the column's value in at least ``LOOKUP_HOLDS`` (99 %) of them, counted over the rows
  whose base value the base's model keeps (seen at least ``--min-count`` times: a value seen
  once trivially determines anything), at least ``MIN_SUPPORT`` of them; the kept base values
  name at least two different values; neither column is a postal code or street (a lookup
  would rebuild real people's addresses); and the base has at least as many distinct values
  as the column (a finer grouping determines a coarser one; of two columns that determine
  each other, the first is the base). Only pairs of values both column models keep enter the
  table, so nothing below ``--min-count`` does; a base value the table lacks leaves the column
  to its own model.
* **ratio** (number → number, both positive): ``log(column / base)`` varies so little that it
  explains at most ``1 - NEAR_DETERMINISTIC`` (2 %) of the variance of ``log(column)``;
  **gap** (a difference) for numbers that are not all positive, with the same share of the
  variance of the column itself. The ratio or difference gets its own numeric model (min-count
  rule included); the column with more NULLs is computed from the one with fewer.
* **gap** for orderings between dates and timestamps (``shipped_at >= created_at`` held in
  every sampled row): the later value is the earlier one plus a gap drawn from the fitted
  distribution of the gap, so the ordering holds by construction and its gap keeps its shape
  (a repair by reflection made a 1.7-day median gap 114 days). When a column follows several
  earlier ones, the closest (smallest median gap) is its base.

* **nulls** (cause and effect of a NULL): a nullable column is NULL exactly for some of the
  kept values of a categorical column (``shipped_at`` is NULL while ``status`` is pending, paid
  or cancelled), in at least ``LOOKUP_HOLDS`` of the rows with a kept value: generation makes
  the column NULL for those values and gives it a value for the others. These come first.

Apart from NULL patterns, each column has at most one base, the relations form no cycle, and
they are listed in an order where every base is computed before the columns that depend on it.
A column that must be unique is never computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from dbsynth.columns.base import FitContext, encode
from dbsynth.columns.categorical import scalar
from dbsynth.columns.numeric import NumericModel
from dbsynth.columns.pii import PiiKind, name_hint
from dbsynth.model import ColumnFit, Ordering, Relation
from dbsynth.schema import Column, LogicalType, Table

LOOKUP_HOLDS = 0.99
# A postal code or street names one household: a lookup from it would rebuild whole addresses
# (postal code, city, state, country) of real people, each seen --min-count times only because
# one person has that many rows.
ADDRESS_LEVEL = frozenset({PiiKind.POSTCODE, PiiKind.STREET_ADDRESS})
NEAR_DETERMINISTIC = 0.98
MIN_SUPPORT = 20
TEMPORAL = (LogicalType.DATE, LogicalType.TIMESTAMP, LogicalType.TIMESTAMPTZ)
NUMERIC = (LogicalType.INTEGER, LogicalType.DECIMAL, LogicalType.FLOAT)
_DELTA = Column(name="delta", sql_type="double precision", logical=LogicalType.FLOAT, nullable=False)


def _kind(fit: ColumnFit) -> str | None:
    return fit.model.get("kind") if fit.model is not None and fit.role == "value" else None


def lookups(frame: pd.DataFrame, fits: Sequence[ColumnFit], min_support: int) -> list[Relation]:
    """Functional dependencies between categorical columns (see the module doc)."""
    cats = [
        f
        for f in fits
        if _kind(f) == "categorical"
        and f.model
        and f.model.get("values")
        and name_hint(f.name) not in ADDRESS_LEVEL
    ]
    found: dict[str, Relation] = {}
    distinct: dict[str, int] = {}
    for f in cats:
        distinct[f.name] = int(frame[f.name].nunique(dropna=True))
    for i, a in enumerate(cats):
        for j, b in enumerate(cats):
            if a is b or distinct[b.name] < 2 or distinct[a.name] < distinct[b.name]:
                continue
            if distinct[a.name] == distinct[b.name] and i > j:
                continue  # each determines the other: the first column is the base
            kept_a = set(a.model.get("values", ())) if a.model else set()
            kept_b = set(b.model.get("values", ())) if b.model else set()
            # Evidence comes from the base's kept values only: a value seen once trivially
            # "determines" anything.
            both = frame[a.name].notna() & frame[b.name].notna()
            pairs = pd.DataFrame(
                {"a": frame.loc[both, a.name].map(scalar), "b": frame.loc[both, b.name].map(scalar)}
            )
            pairs = pairs[pairs["a"].isin(kept_a)]
            if len(pairs) < min_support:
                continue
            counts = pairs.groupby(["a", "b"], sort=False).size()
            top = counts.groupby(level=0).max()
            holds = float(top.sum()) / len(pairs)
            if holds < LOOKUP_HOLDS:
                continue
            best = counts[counts.groupby(level=0).transform("max") == counts].reset_index()
            best = best.drop_duplicates("a")
            keep = best["b"].isin(kept_b)
            if best.loc[keep, "b"].nunique() < 2:
                continue  # every kept base value names the same value: no information
            rel = Relation(
                kind="lookup",
                column=b.name,
                base=a.name,
                # tolist(): Python values, as the model file's JSON needs (not numpy scalars)
                keys=tuple(best.loc[keep, "a"].tolist()),
                values=tuple(best.loc[keep, "b"].tolist()),
                holds=round(holds, 6),
            )
            old = found.get(b.name)
            if old is None or (holds, len(rel.keys)) > (old.holds, len(old.keys)):
                found[b.name] = rel
    return list(found.values())


def null_patterns(frame: pd.DataFrame, fits: Sequence[ColumnFit], min_support: int) -> list[Relation]:
    """NULLs of a column that a categorical column decides (see the module doc)."""
    cats = [f for f in fits if _kind(f) == "categorical" and f.model and f.model.get("values")]
    found: dict[str, Relation] = {}
    for c in fits:
        if c.role != "value" or c.model is None or not 0.0 < c.null_rate < 1.0:
            continue
        for a in cats:
            if a is c:
                continue
            kept = set(a.model.get("values", ())) if a.model else set()
            base = frame[a.name].map(scalar, na_action="ignore")
            rows = base.isin(kept).to_numpy(dtype=bool)
            if int(rows.sum()) < min_support:
                continue
            null = frame[c.name].isna().to_numpy(dtype=bool)[rows]
            share = pd.Series(null).groupby(base[rows].to_numpy()).mean()
            keys = tuple(share.index[share >= 0.5])
            if not keys or len(keys) == len(share):
                continue  # NULL for every kept value or for none: nothing decided
            holds = float((pd.Series(base[rows].to_numpy()).isin(keys).to_numpy() == null).mean())
            old = found.get(c.name)
            if holds >= LOOKUP_HOLDS and (old is None or holds > old.holds):
                found[c.name] = Relation(
                    kind="nulls", column=c.name, base=a.name, keys=keys, holds=round(holds, 6)
                )
    return list(found.values())


def delta_model(values: np.ndarray, ctx: FitContext) -> dict[str, object]:
    return encode(NumericModel.fit(pd.Series(values, dtype=np.float64), _DELTA, ctx))


def near_deterministic(
    col: ColumnFit, base: str, x: np.ndarray, y: np.ndarray, ctx: FitContext, min_support: int
) -> tuple[float, Relation] | None:
    """The relation ``col = base × ratio`` (both positive) or ``base + gap``, and the share of
    the column's variance it leaves unexplained, when that share is at most
    ``1 - NEAR_DETERMINISTIC`` on the rows where both are known (``x`` the base's values, ``y``
    the column's, aligned)."""
    ok = np.isfinite(x) & np.isfinite(y)
    if int(ok.sum()) < min_support:
        return None
    x, y = x[ok], y[ok]
    if np.all(x > 0) and np.all(y > 0):
        kind, target, d = "ratio", np.log(y), np.log(y) - np.log(x)
    else:
        kind, target, d = "gap", y, y - x
    spread = float(np.var(target))
    share = float(np.var(d)) / spread if spread > 0 else 1.0
    if share > 1.0 - NEAR_DETERMINISTIC:
        return None
    own = col.model or {}
    relation = Relation(
        kind=kind,  # type: ignore[arg-type]
        column=col.name,
        base=base,
        delta=delta_model(y / x if kind == "ratio" else d, ctx),
        holds=round(1.0 - share, 6),
        lower=own.get("lower"),
        upper=own.get("upper"),
    )
    return share, relation


def numeric_relations(
    frame: pd.DataFrame, table: Table, fits: Sequence[ColumnFit], ctx: FitContext, min_support: int
) -> list[Relation]:
    """Near-deterministic ratios and differences between numeric columns (see the module doc)."""
    nums = [f for f in fits if _kind(f) == "numeric" and table.column(f.name).logical in NUMERIC]
    found: list[Relation] = []
    for i, a in enumerate(nums):
        for b in nums[i + 1 :]:
            # The column with more NULLs is computed from the one with fewer (ties: the later).
            base, col = (a, b) if a.null_rate <= b.null_rate else (b, a)
            x = pd.to_numeric(frame[base.name], errors="coerce").to_numpy(dtype=np.float64)
            y = pd.to_numeric(frame[col.name], errors="coerce").to_numpy(dtype=np.float64)
            near = near_deterministic(col, base.name, x, y, ctx, min_support)
            if near is not None:
                found.append(near[1])
    return found


def _seconds(s: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(s, errors="coerce", utc=True).dt.tz_localize(None)
    out = stamps.to_numpy(dtype="datetime64[us]").astype(np.int64).astype(np.float64) / 1e6
    out[stamps.isna().to_numpy()] = np.nan
    return out


def _seconds_range(fits: Sequence[ColumnFit], name: str) -> tuple[float | None, float | None]:
    """The observed range of a temporal column's model, in seconds since the epoch."""
    model = next(f.model for f in fits if f.name == name) or {}
    epoch, unit = model.get("epoch") or {}, float(model.get("resolution_us", 1)) / 1e6
    if "lower" not in epoch or "upper" not in epoch:
        return None, None
    return float(epoch["lower"]) * unit, float(epoch["upper"]) * unit


def gaps(
    frame: pd.DataFrame,
    table: Table,
    fits: Sequence[ColumnFit],
    orderings: Iterable[Ordering],
    ctx: FitContext,
) -> list[Relation]:
    """The later date of each ordering between temporal columns as the earlier plus a gap."""
    temporal = {f.name for f in fits if _kind(f) == "temporal" and table.column(f.name).logical in TEMPORAL}
    best: dict[str, tuple[float, Relation]] = {}
    for o in orderings:
        if o.left not in temporal or o.right not in temporal:
            continue
        later, earlier = _seconds(frame[o.left]), _seconds(frame[o.right])
        ok = np.isfinite(later) & np.isfinite(earlier)
        if not ok.any():
            continue
        d = later[ok] - earlier[ok]
        median = float(np.median(d))
        lower, upper = _seconds_range(fits, o.left)
        rel = Relation(
            kind="gap", column=o.left, base=o.right, delta=delta_model(d, ctx), lower=lower, upper=upper
        )
        if o.left not in best or median < best[o.left][0]:
            best[o.left] = (median, rel)
    return [rel for _, rel in best.values()]


def ordered(candidates: Sequence[Relation]) -> tuple[Relation, ...]:
    """At most one relation per column (the first offered wins), no cycle, bases first."""
    chosen: dict[str, Relation] = {}
    for rel in candidates:
        if rel.column in chosen:
            continue
        base, seen = rel.base, {rel.column}
        while base in chosen and base not in seen:  # would computing this close a cycle?
            seen.add(base)
            base = chosen[base].base
        if base in seen:
            continue
        chosen[rel.column] = rel
    out: list[Relation] = []
    done: set[str] = set()

    def visit(rel: Relation) -> None:
        if rel.column in done:
            return
        if rel.base in chosen:
            visit(chosen[rel.base])
        done.add(rel.column)
        out.append(rel)

    for rel in chosen.values():
        visit(rel)
    return tuple(out)


def fit_relations(
    frame: pd.DataFrame,
    table: Table,
    fits: Sequence[ColumnFit],
    orderings: Iterable[Ordering],
    ctx: FitContext,
    unique: set[str],
    min_support: int = MIN_SUPPORT,
) -> tuple[Relation, ...]:
    """Every relation of one table's own sampled rows (see the module doc)."""
    if len(frame) < min_support:
        return ()
    candidates = [
        *gaps(frame, table, fits, orderings, ctx),
        *numeric_relations(frame, table, fits, ctx, min_support),
        *lookups(frame, fits, min_support),
    ]
    # NULL patterns come first: they decide which rows the other relations compute.
    nulls = [r for r in null_patterns(frame, fits, min_support) if r.column not in unique]
    return (*nulls, *ordered([r for r in candidates if r.column not in unique]))
