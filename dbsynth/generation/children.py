"""Children per parent that follow the fitted :class:`~dbsynth.model.ChildrenShape`.

The counts drawn per parent row when the parent was generated (through its copula, so "gold
customers order more" survives) decide which parents get more children; the shape decides how
many: the parents sorted by their drawn count take the shape's quantiles in that order (the
kept counts exactly, a rare count somewhere in its bin), then the busiest parents are scaled
to hold their fitted share of all children. The top groups are shares of parents, so at
``--scale 3`` the busiest 0.2 % of parents still hold what the busiest 0.2 % held.
"""

from __future__ import annotations

import numpy as np

from dbsynth.model import ChildrenShape

TOP_ROUNDING = 0.005  # half the rounding of a fitted top share (to a percentage point)


def shaped_weights(drawn: np.ndarray, shape: ChildrenShape, rng: np.random.Generator) -> np.ndarray:
    """Per-parent child weights with ``shape``'s spread, ranked like ``drawn`` (ties at random)."""
    n = len(drawn)
    if n == 0:
        return np.zeros(0)
    order = np.lexsort((rng.random(n), np.asarray(drawn, dtype=np.float64)))
    out = np.empty(n, dtype=np.float64)
    out[order] = _quantiles(shape, (np.arange(n) + 0.5) / n)
    return _with_top_shares(out, shape)


def _quantiles(shape: ChildrenShape, q: np.ndarray) -> np.ndarray:
    """The shape's counts at parent quantiles ``q`` (a kept count exactly; a bin log-uniformly)."""
    lows = np.array(list(shape.values) + list(shape.bin_low), dtype=np.float64)
    highs = np.array(list(shape.values) + list(shape.bin_high), dtype=np.float64)
    shares = np.array(list(shape.value_shares) + list(shape.bin_shares), dtype=np.float64)
    if len(shares) == 0 or shares.sum() <= 0:
        return np.zeros(len(q))
    order = np.argsort(lows, kind="stable")
    lows, highs, shares = lows[order], highs[order], shares[order]
    cum = np.cumsum(shares / shares.sum())
    item = np.minimum(np.searchsorted(cum, q, side="right"), len(cum) - 1)
    before = np.where(item > 0, cum[item - 1], 0.0)
    within = np.clip((q - before) / np.maximum(shares[item] / shares.sum(), 1e-12), 0.0, 1.0)
    # log-uniform on count + 1 inside a bin: [7, 14] puts as many parents near 7 as a real tail
    return (lows[item] + 1) * ((highs[item] + 1) / (lows[item] + 1)) ** within - 1


def _with_top_shares(weights: np.ndarray, shape: ChildrenShape) -> np.ndarray:
    """Scale the busiest parents, group by group, to the share of children each group held."""
    total = float(weights.sum())
    n = len(weights)
    if total <= 0 or not shape.top:
        return weights
    busiest = np.argsort(-weights, kind="stable")
    running = np.cumsum(weights[busiest]) / total
    out = weights.copy()
    done, held = 0, 0.0
    for fraction, fitted in zip(shape.top, shape.top_shares, strict=True):
        k = max(1, round(fraction * n))
        if k <= done or k >= n:
            continue
        # Shares are kept to a percentage point: within that rounding the drawn counts stand.
        share = float(running[k - 1]) if abs(running[k - 1] - fitted) <= TOP_ROUNDING else fitted
        group = busiest[done:k]
        have = float(weights[group].sum())
        if have > 0:
            out[group] = weights[group] * ((share - held) * total / have)
        done, held = k, share
    rest = busiest[done:]
    have = float(weights[rest].sum())
    if have > 0:
        out[rest] = weights[rest] * (max(1.0 - held, 0.0) * total / have)
    return out
