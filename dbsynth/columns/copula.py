"""The Gaussian copula: dependence between the columns of a table (and its parent's columns).

Every modelled column is mapped to a *normal score* ``z = Φ⁻¹(F(x))`` (``F`` is the column
model's ``to_uniform``; null flags and categories take part as columns too). The copula is the
correlation matrix of those scores. Generation draws correlated normal scores, maps them back
through ``Φ`` to uniforms and through each column model's ``from_uniform`` to values.

Conditioning is closed-form (a Gaussian conditioned on some of its coordinates is Gaussian), so
a child row can be drawn given its parent's columns, and a parent's child count given the
parent's attributes, without any fitting at generation time.

Estimation (:meth:`GaussianCopula.fit`), chosen to be safe on samples production gives us:

* Pearson correlation of the normal scores (the scores already come from ranks, so this is the
  van der Waerden / normal-scores rank correlation, robust to the marginals' shapes);
* a score may be missing (NaN: the cell was NULL, or a child has no sampled parent). Each pair
  is then estimated on the rows where *both* scores exist (pairwise-complete), with that pair's
  own means and spreads. Nothing is imputed: filling a 23 %-NULL column with independent noise
  took a quarter of its dependence away. A pair seen together in fewer than
  ``MIN_PAIR_ROWS`` rows gets 0. Pairwise estimates need not form a positive semi-definite
  matrix together; the repair below makes them one;
* a column with zero variance (a constant, or a null flag that never fires) gets correlation 0
  with everything: it carries no dependence, and 0 keeps the matrix well conditioned;
* shrinkage of the off-diagonal toward 0 (toward the identity) with the Schäfer–Strimmer /
  Ledoit–Wolf analytic intensity, so that small samples do not invent strong dependence (each
  pair's noise is estimated on its own complete rows);
* a nearest positive-definite repair (eigenvalue clipping, rescaled to a unit diagonal), so
  sampling and conditioning never meet a singular or indefinite matrix.

Invariants of a :class:`GaussianCopula` (checked on construction, so a hand-edited model file
that breaks them fails to load): ``correlation`` is a square ``d × d`` matrix with
``d == len(names)``, symmetric, unit diagonal, entries in ``[-1, 1]``, positive semi-definite up to
rounding; ``names`` are unique.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from scipy.stats import norm

from dbsynth.columns.base import clip_unit
from dbsynth.errors import did_you_mean
from dbsynth.serde import FieldError

DECIMALS = 6  # model files keep 6 decimals: diffs stay readable and 1e-6 is far below sampling noise
# Smallest eigenvalue after repair. Rounding to DECIMALS moves eigenvalues by at most d * 5e-7, so
# this floor keeps a stored matrix PD for any realistic width; it also bounds the condition number
# (≤ d / 1e-3), which keeps conditional sampling numerically stable.
MIN_EIGENVALUE = 1e-3
# A stored matrix may be this far below PSD (rounding) before it is rejected as invalid.
PSD_TOLERANCE = 1e-5
# A pair of dims seen together in fewer rows carries no usable dependence (its correlation is 0).
MIN_PAIR_ROWS = 3


def to_normal(u: np.ndarray) -> np.ndarray:
    """Normal scores Φ⁻¹(u), with ``u`` clipped into (0, 1) first so scores stay finite."""
    return np.asarray(norm.ppf(clip_unit(u)), dtype=np.float64)


def to_uniform(z: np.ndarray) -> np.ndarray:
    """Uniforms Φ(z), clipped strictly inside (0, 1) so inverse CDFs never see 0 or 1."""
    return clip_unit(norm.cdf(np.asarray(z, dtype=np.float64)))


def nearest_correlation(matrix: np.ndarray, min_eigenvalue: float = MIN_EIGENVALUE) -> np.ndarray:
    """The correlation matrix nearest to symmetric ``matrix`` in the eigenvalue-clipping sense:
    eigenvalues raised to ``min_eigenvalue``, then rescaled to a unit diagonal.

    Rescaling can only shrink the smallest eigenvalue by the largest diagonal factor, so the
    result stays positive definite. A matrix that is already well conditioned comes back
    unchanged (up to floating point).
    """
    m = np.asarray(matrix, dtype=np.float64)
    m = (m + m.T) / 2.0
    if m.size == 0:
        return m
    values, vectors = np.linalg.eigh(m)
    if values.min() >= min_eigenvalue:
        repaired = m
    else:
        repaired = (vectors * np.maximum(values, min_eigenvalue)) @ vectors.T
    scale = 1.0 / np.sqrt(np.diag(repaired))
    out = repaired * scale[:, None] * scale[None, :]
    out = (out + out.T) / 2.0
    np.fill_diagonal(out, 1.0)
    return np.clip(out, -1.0, 1.0)


def shrinkage_intensity(x: np.ndarray, pairs: np.ndarray | None = None) -> float:
    """Schäfer–Strimmer (2005) analytic shrinkage intensity of the correlation matrix of the
    standardized columns ``x`` (n × d, mean 0, sd 1; constant columns all zero) toward identity.

    λ = Σ_{i≠j} Var̂(r_ij) / Σ_{i≠j} r_ij², clipped to [0, 1]: the noisier the sample correlations
    are relative to their size, the more they are pulled to 0. Computed with matrix products, not
    an n × d × d array, so it stays cheap for 100k rows.

    ``pairs`` (d × d) is the number of rows each pair was seen together in when ``x`` has missing
    cells (set to 0 there, so a product w_kij = x_ki x_kj is 0 outside the pair's rows); each
    pair's mean and variance of w are then over its own rows. Without it every pair has n rows.
    """
    n, d = x.shape
    counts = np.full((d, d), float(n)) if pairs is None else np.asarray(pairs, dtype=np.float64)
    off = ~np.eye(d, dtype=bool)
    if d < 2 or not np.any(counts[off] >= 3):
        return 1.0
    usable = counts >= 3
    m = np.where(usable, counts, 3.0)
    w_mean = (x.T @ x) / m
    sq = x * x
    w_var = np.maximum((sq.T @ sq) - m * w_mean**2, 0.0)  # Σ_k (w_kij - w̄_ij)²
    var_r = np.where(usable, m / (m - 1) ** 3 * w_var, 0.0)
    r = np.where(usable, m / (m - 1) * w_mean, 0.0)
    denominator = float(np.sum(r[off] ** 2))
    if denominator <= 0.0:
        return 1.0
    return float(np.clip(np.sum(var_r[off]) / denominator, 0.0, 1.0))


def _round(matrix: np.ndarray) -> tuple[tuple[float, ...], ...]:
    # "+ 0.0" turns -0.0 into 0.0, so files do not show spurious sign flips.
    return tuple(tuple(float(v) + 0.0 for v in np.round(row, DECIMALS)) for row in matrix)


def _factor(matrix: np.ndarray) -> np.ndarray:
    """A lower-triangular L with L Lᵀ ≈ ``matrix``; near-singular input is lifted to PSD first."""
    if matrix.size == 0:
        return matrix.copy()
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh((matrix + matrix.T) / 2.0)
        # A conditional covariance can be exactly singular (a dim determined by the given ones);
        # a tiny floor keeps Cholesky defined without adding visible noise.
        lifted = (vectors * np.maximum(values, 1e-12)) @ vectors.T
        return np.linalg.cholesky((lifted + lifted.T) / 2.0 + 1e-12 * np.eye(len(matrix)))


def _constant(values: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Relative test: scores of a constant column differ only by float noise."""
    scale = np.maximum(1.0, np.nanmax(np.abs(values), axis=0, initial=0.0))
    return np.asarray(sd <= 1e-12 * scale)


def _complete_correlation(scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
    """Correlation of complete scores, and the standardized scores shrinkage is estimated on."""
    n = scores.shape[0]
    centred = scores - scores.mean(axis=0)
    sd = centred.std(axis=0)
    constant = _constant(scores, sd)
    x = np.where(constant, 0.0, centred / np.where(constant, 1.0, sd))
    sample = (x.T @ x) / n
    np.fill_diagonal(sample, 1.0)
    return sample, x, None


def _pairwise_correlation(
    scores: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise-complete correlation: pair (i, j) over the rows where both scores exist, with
    that subset's means and spreads (sums of products as matrix products, not a loop over pairs).

    Also returns the per-column standardized scores (0 where missing) and the pair counts, from
    which :func:`shrinkage_intensity` estimates each pair's noise."""
    m = present.astype(np.float64)
    v = np.where(present, scores, 0.0)
    pairs = m.T @ m  # rows where both exist
    safe = np.maximum(pairs, 1.0)
    s_i = (v.T @ m) / safe  # [i, j]: mean of i over the rows where j exists too
    s_ii = ((v * v).T @ m) / safe
    cross = (v.T @ v) / safe
    var_i = np.maximum(s_ii - s_i**2, 0.0)
    cov = cross - s_i * s_i.T
    denominator = np.sqrt(var_i * var_i.T)
    scale = np.maximum(1.0, np.abs(v).max(axis=0))
    # [i, j]: i is constant over the rows where j exists. A variance from sums of squares is off
    # by ~1e-16 of the squares, so "constant" is relative, far above that and far below a score's.
    tiny = 1e-9 * scale**2
    flat = var_i <= tiny[:, None]
    flat = flat | flat.T
    ok = (pairs >= MIN_PAIR_ROWS) & ~flat
    sample = np.where(ok, cov / np.where(ok, denominator, 1.0), 0.0)
    sample = np.clip(sample, -1.0, 1.0)
    np.fill_diagonal(sample, 1.0)
    # Per-column standardization over each column's own observed rows, for the shrinkage estimate.
    counts = np.maximum(m.sum(axis=0), 1.0)
    mean = v.sum(axis=0) / counts
    sd = np.sqrt(np.maximum((v * v).sum(axis=0) / counts - mean**2, 0.0))
    constant = _constant(np.where(present, scores, np.nan), sd)
    x = np.where(present & ~constant, (v - mean) / np.where(constant, 1.0, sd), 0.0)
    return sample, x, pairs


@dataclass(frozen=True)
class GaussianCopula:
    """Correlation of normal scores over named dims (see the module docstring for invariants)."""

    names: tuple[str, ...]
    correlation: tuple[tuple[float, ...], ...]
    _matrix: np.ndarray = field(init=False, repr=False, compare=False)
    _chol: np.ndarray = field(init=False, repr=False, compare=False)
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.check()  # a copula that breaks its invariants is never built
        d = len(self.names)
        m = np.array(self.correlation, dtype=np.float64).reshape(d, d)
        object.__setattr__(self, "_matrix", m)
        object.__setattr__(self, "_chol", _factor(m))
        object.__setattr__(self, "_index", {name: i for i, name in enumerate(self.names)})

    def check(self) -> None:
        """Dims unique; ``correlation`` a d x d matrix of finite numbers in [-1, 1], symmetric,
        1 on the diagonal and positive semi-definite (within rounding). Raises ``FieldError``
        (a ``ValueError``) whose path is the copula itself: the message says which rule."""
        d = len(self.names)
        if len(set(self.names)) != d:
            dup = sorted({n for n in self.names if self.names.count(n) > 1})
            raise FieldError("", f"copula dims must be unique; repeated: {', '.join(dup)}")
        if len(self.correlation) != d or any(len(row) != d for row in self.correlation):
            raise FieldError("", f"copula correlation must be a {d} x {d} matrix, one row per dim")
        m = np.array(self.correlation, dtype=np.float64).reshape(d, d)
        if not np.all(np.isfinite(m)) or np.any(np.abs(m) > 1.0):
            raise FieldError("", "copula correlations must be finite numbers in [-1, 1]")
        if not np.allclose(m, m.T, atol=1e-9) or not np.allclose(np.diag(m), 1.0, atol=1e-9):
            raise FieldError("", "copula correlation must be symmetric with 1 on the diagonal")
        if d and np.linalg.eigvalsh(m).min() < -PSD_TOLERANCE * d:
            raise FieldError(
                "",
                "copula correlation is not positive semi-definite; "
                "build it with GaussianCopula.from_matrix to repair it",
            )

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def from_matrix(cls, names: Sequence[str], matrix: np.ndarray) -> GaussianCopula:
        """A copula from any symmetric matrix: repaired to the nearest correlation matrix
        (:func:`nearest_correlation`), then rounded to :data:`DECIMALS`."""
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape != (len(names), len(names)):
            raise ValueError(f"expected a {len(names)} x {len(names)} matrix, got shape {m.shape}")
        return cls(tuple(names), _round(nearest_correlation(m)))

    @classmethod
    def independent(cls, names: Sequence[str]) -> GaussianCopula:
        """No dependence at all: the identity."""
        return cls.from_matrix(names, np.eye(len(names)))

    @classmethod
    def fit(cls, z: np.ndarray, names: Sequence[str], shrinkage: float | None = None) -> GaussianCopula:
        """Estimate the copula from ``z``, an n × d array of normal scores (column j is dim
        ``names[j]``); NaN marks a score that does not exist (a NULL cell), and each pair is
        estimated on the rows where both of its scores exist (module docstring).

        ``shrinkage`` is the weight pulled toward the identity: None estimates it from the data
        (:func:`shrinkage_intensity`), a number in [0, 1] fixes it (0 = plain sample correlation).
        Fewer than 3 rows carry no usable dependence and give the identity.
        """
        scores = np.asarray(z, dtype=np.float64)
        if scores.ndim != 2 or scores.shape[1] != len(names):
            raise ValueError(f"expected an n x {len(names)} array of normal scores, got shape {scores.shape}")
        if np.any(np.isinf(scores)):
            raise ValueError("normal scores must be finite (NaN marks a missing score)")
        if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
            raise ValueError(f"shrinkage must be between 0 and 1, got {shrinkage}")
        n = scores.shape[0]
        if n < 3:
            return cls.independent(names)
        present = ~np.isnan(scores)
        if present.all():
            sample, x, pairs = _complete_correlation(scores)
        else:
            sample, x, pairs = _pairwise_correlation(scores, present)
        lam = shrinkage_intensity(x, pairs) if shrinkage is None else shrinkage
        shrunk = (1.0 - lam) * sample
        np.fill_diagonal(shrunk, 1.0)
        return cls.from_matrix(names, shrunk)

    # -- use -----------------------------------------------------------------------------------

    @property
    def matrix(self) -> np.ndarray:
        """The correlation as a (read-only copy of a) numpy array."""
        return self._matrix.copy()

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n × d standard normal scores with this correlation (one ``standard_normal`` draw)."""
        return rng.standard_normal((n, len(self.names))) @ self._chol.T

    def sample_conditional(self, given: Mapping[str, np.ndarray], rng: np.random.Generator) -> np.ndarray:
        """n × d normal scores drawn from the conditional Gaussian given observed scores of
        some dims (``given``: dim name → array of n scores, all the same length).

        For other dims x and given dims g: mean = Σ_xg Σ_gg⁻¹ z_g and
        cov = Σ_xx − Σ_xg Σ_gg⁻¹ Σ_gx. The given columns are copied into the result unchanged.
        Σ_gg is solved by Cholesky, or by pseudo-inverse when near-singular (two given dims that
        are almost the same column).
        """
        if not given:
            raise ValueError("sample_conditional needs at least one given dim; use sample() otherwise")
        g_idx = [self._dim(name) for name in given]
        arrays = [np.asarray(v, dtype=np.float64).reshape(-1) for v in given.values()]
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError("every given dim needs the same number of scores")
        z_g = np.column_stack(arrays)
        if not np.all(np.isfinite(z_g)):
            raise ValueError("given normal scores must be finite")
        x_idx = [i for i in range(len(self.names)) if i not in set(g_idx)]
        out = np.empty((n, len(self.names)), dtype=np.float64)
        out[:, g_idx] = z_g
        if not x_idx:
            return out
        weights, factor = self._conditional(tuple(g_idx), tuple(x_idx))
        noise = rng.standard_normal((n, len(x_idx))) @ factor.T
        out[:, x_idx] = z_g @ weights + noise
        return out

    def _conditional(self, g_idx: tuple[int, ...], x_idx: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Regression weights Σ_gg⁻¹ Σ_gx and the Cholesky factor of the conditional covariance,
        cached per set of given dims: the engine conditions every chunk of a table on the same
        parent dims, and the factorisation costs more than the sampling."""
        cache: dict[tuple[tuple[int, ...], tuple[int, ...]], tuple[np.ndarray, np.ndarray]]
        cache = self.__dict__.setdefault("_conditional_cache", {})
        key = (g_idx, x_idx)
        if key not in cache:
            s = self._matrix
            s_gg = s[np.ix_(g_idx, g_idx)]
            s_gx = s[np.ix_(g_idx, x_idx)]
            try:
                weights = scipy.linalg.cho_solve(scipy.linalg.cho_factor(s_gg), s_gx)  # Σ_gg⁻¹ Σ_gx
            except np.linalg.LinAlgError:
                weights = np.linalg.pinv(s_gg, rcond=1e-10, hermitian=True) @ s_gx
            cov = s[np.ix_(x_idx, x_idx)] - s_gx.T @ weights
            cache[key] = (weights, _factor((cov + cov.T) / 2.0))
        return cache[key]

    def subset(self, names: Sequence[str]) -> GaussianCopula:
        """The marginal copula of ``names`` (in that order): a Gaussian's marginals are its
        sub-matrices, so nothing is re-estimated."""
        idx = [self._dim(name) for name in names]
        return GaussianCopula(tuple(names), _round(self._matrix[np.ix_(idx, idx)]))

    def strongest_pairs(self, top: int = 5, threshold: float = 0.05) -> list[tuple[str, str, float]]:
        """Up to ``top`` pairs with |correlation| ≥ ``threshold``, strongest first (ties by name)."""
        d = len(self.names)
        pairs = [
            (self.names[i], self.names[j], float(self._matrix[i, j]))
            for i in range(d)
            for j in range(i + 1, d)
            if abs(self._matrix[i, j]) >= threshold
        ]
        pairs.sort(key=lambda p: (-abs(p[2]), p[0], p[1]))
        return pairs[:top]

    def describe(self, top: int = 5) -> str:
        """One line for a reviewer: ``gaussian copula over 4 dims: price ~ quantity: +0.62; ...``."""
        head = f"gaussian copula over {len(self.names)} dims"
        pairs = self.strongest_pairs(top)
        if not pairs:
            return f"{head}: no correlation of 0.05 or more"
        return f"{head}: " + "; ".join(f"{a} ~ {b}: {r:+.2f}" for a, b, r in pairs)

    def _dim(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise ValueError(f"the copula has no dim '{name}'." + did_you_mean(name, self.names)) from None


__all__ = [
    "DECIMALS",
    "GaussianCopula",
    "nearest_correlation",
    "shrinkage_intensity",
    "to_normal",
    "to_uniform",
]
