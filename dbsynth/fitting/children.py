"""The spread of children over parents (:class:`~dbsynth.model.ChildrenShape`), privacy-safe.

A numeric model of counts per parent keeps only the counts seen ``--min-count`` times; when a
few parents hold most children (2 of 1,500 staff hold every rental) those counts are pooled
away and only a mean is left, so the clone spreads children evenly. The shape keeps what the
privacy rule allows instead: the frequent counts exactly, every other count as its log-spaced
bin, and the share of all children held by the top parents.
"""

from __future__ import annotations

import numpy as np

from dbsynth.model import ChildrenShape

# Top-k groups of parents whose share of the children is kept (as shares of parents, so the
# tail scales with the parent table).
TOP_PARENTS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def children_shape(counts: np.ndarray, min_count: int) -> ChildrenShape | None:
    """The shape of ``counts`` (children of each covered parent, zeros included)."""
    counts = np.asarray(counts, dtype=np.int64)
    n = len(counts)
    if n == 0:
        return None
    values, freq = np.unique(counts, return_counts=True)
    kept = freq >= max(min_count, 1)
    rare = counts[~np.isin(counts, values[kept])]
    # Bins on log2(count + 1): [0], [1, 2], [3, 6], [7, 14], ...
    bin_of = np.floor(np.log2(rare + 1)).astype(np.int64)
    bins, bin_freq = np.unique(bin_of, return_counts=True)
    total = int(counts.sum())
    top: list[float] = []
    top_shares: list[float] = []
    if total > 0:
        busiest = np.cumsum(np.sort(counts)[::-1])
        with_children = int((counts > 0).sum())
        for k in TOP_PARENTS:
            if k >= with_children:
                break
            top.append(round(k / n, 9))
            top_shares.append(round(float(busiest[k - 1]) / total, 2))
    return ChildrenShape(
        values=tuple(int(v) for v in values[kept]),
        value_shares=tuple(round(float(f) / n, 6) for f in freq[kept]),
        bin_low=tuple(int(2**b - 1) for b in bins),
        bin_high=tuple(int(2 ** (b + 1) - 2) for b in bins),
        bin_shares=tuple(round(float(f) / n, 6) for f in bin_freq),
        top=tuple(top),
        top_shares=tuple(top_shares),
    )
