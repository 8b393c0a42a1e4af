"""The spread of children over parents (:class:`~dbsynth.model.ChildrenShape`), privacy-safe.

A numeric model of counts per parent keeps only the counts seen ``--min-count`` times; when a
few parents hold most children (2 of 1,500 staff hold every rental) those counts are pooled
away and only a mean is left, so the clone spreads children evenly. The shape keeps what the
privacy rule allows instead: the frequent counts exactly, every other count as its log-spaced
bin, and the share of all children held by the top parents.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from dbsynth.config import ChildrenSpec, Config
from dbsynth.model import ChildrenShape, Model, fk_id
from dbsynth.schema import ForeignKey, Table

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


# -- without data ------------------------------------------------------------------------------

DEFAULT_MEAN = 3.0  # children per parent when neither data nor config says (orders per customer)
TAIL = 1e-4  # probability left out at the top of an unbounded distribution
MAX_CHILDREN = 10_000


ONE_TO_ONE_SHARE = 0.75  # parents with their one child in a 1:1 prior (a quarter have none)


def fk_is_unique(table: Table, fk: ForeignKey) -> bool:
    """Whether ``fk``'s columns hold a unique key of ``table`` (a 1:1 link): each parent row then
    has at most one child, whatever a fan-out says."""
    keys = [u.columns for u in table.uniques if u.where is None]
    if table.primary_key is not None:
        keys.append(table.primary_key.columns)
    return any(keys_ and set(keys_) <= set(fk.columns) for keys_ in keys)


def prior_one_to_one(spec: ChildrenSpec | None) -> tuple[float, ChildrenShape]:
    """The prior of a foreign key whose columns are unique in the child: at most one child per
    parent. The config's ``children:`` may still say how many parents have theirs (its ``max``
    is cut to 1); by default three in four do."""
    if spec is not None:
        return prior_children(
            replace(spec, min=min(spec.min, 1), max=min(spec.max if spec.max is not None else 1, 1))
        )
    shape = ChildrenShape(values=(0, 1), value_shares=(round(1.0 - ONE_TO_ONE_SHARE, 6), ONE_TO_ONE_SHARE))
    return ONE_TO_ONE_SHARE, shape


def prior_children(spec: ChildrenSpec | None) -> tuple[float, ChildrenShape]:
    """Children per parent where no data says (an empty child or parent table), or as the
    config's ``children:`` says: ``(mean, shape)``.

    The default is geometric with mean ``DEFAULT_MEAN`` (3): a quarter of the parents have no
    child, most have a few and some many, like orders per customer. ``min``/``max`` cut the
    distribution (``mean`` is then the mean before the cut, ``min + 3`` by default);
    ``poisson`` gives counts close to the mean, ``uniform`` every count from ``min`` to ``max``
    equally often (``max`` defaults to twice the mean)."""
    spec = spec or ChildrenSpec()
    low = spec.min
    mean = spec.mean if spec.mean is not None else low + DEFAULT_MEAN
    if spec.max is not None:
        mean = min(mean, float(spec.max))
    high = spec.max if spec.max is not None else MAX_CHILDREN
    p: np.ndarray
    if spec.distribution == "uniform":
        top = spec.max if spec.max is not None else max(low, round(2 * mean - low))
        k = np.arange(low, top + 1)
        p = np.ones(len(k))
    elif spec.distribution == "poisson":
        k = np.arange(low, high + 1)
        lam = max(mean, 1e-9)
        p = np.exp(k * np.log(lam) - lam - np.array([math.lgamma(x + 1) for x in k], dtype=np.float64))
    else:
        k = np.arange(low, high + 1)
        extra = max(mean - low, 0.0)  # geometric on low, low + 1, ... with that mean
        q = extra / (extra + 1.0)
        p = (1.0 - q) * q ** (k - low) if extra > 0 else (k == low).astype(np.float64)
    p = p / p.sum()
    keep = np.cumsum(p) <= 1.0 - TAIL
    keep[: int(np.argmax(~keep)) + 1 if (~keep).any() else len(keep)] = True
    k, p = k[keep], p[keep] / p[keep].sum()
    shares = np.round(p, 6)
    shares[int(np.argmax(shares))] += round(1.0 - float(shares.sum()), 6)  # sum exactly 1
    nonzero = shares > 0
    shape = ChildrenShape(
        values=tuple(int(v) for v in k[nonzero]),
        value_shares=tuple(float(s) for s in shares[nonzero]),
    )
    return round(float((k * p).sum()), 6), shape


def config_children(model: Model, config: Config) -> Model:
    """``model`` with the fan-out of every foreign key whose first column has ``children:`` in
    ``config`` replaced by it (``generate --config`` on a model fitted before, as ``fit
    --config`` would have set it). The config was bound to the model by ``apply_config``, which
    refused ``children`` anywhere but on the first column of a foreign key."""
    specs: dict[str, tuple[ChildrenSpec, bool]] = {}
    for tc in config.tables:
        if tc.exclude or not model.schema.has_table(tc.name):
            continue
        table = model.schema.table(tc.name)
        for cc in tc.columns:
            for fk in table.foreign_keys:
                if cc.children is not None and fk.columns[0] == cc.name:
                    specs[fk_id(table.key, fk.columns)] = (cc.children, fk_is_unique(table, fk))
    if not specs:
        return model
    rels = []
    for r in model.relationships:
        found = specs.get(r.id)
        if found is not None:
            spec, one_to_one = found
            mean, shape = prior_one_to_one(spec) if one_to_one else prior_children(spec)
            r = replace(
                r, children=None, children_by=None, children_strata={}, mean_children=mean,
                shape=shape, note="set in the config",
            )  # fmt: skip
        rels.append(r)
    return replace(model, relationships=tuple(rels))
