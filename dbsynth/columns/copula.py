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
* a column with zero variance (a constant, or a null flag that never fires) gets correlation 0
  with everything: it carries no dependence, and 0 keeps the matrix well conditioned;
* shrinkage of the off-diagonal toward 0 (toward the identity) with the Schäfer–Strimmer /
  Ledoit–Wolf analytic intensity, so that small samples do not invent strong dependence;
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


def shrinkage_intensity(x: np.ndarray) -> float:
    """Schäfer–Strimmer (2005) analytic shrinkage intensity of the correlation matrix of the
    standardized columns ``x`` (n × d, mean 0, sd 1; constant columns all zero) toward identity.

    λ = Σ_{i≠j} Var̂(r_ij) / Σ_{i≠j} r_ij², clipped to [0, 1]: the noisier the sample correlations
    are relative to their size, the more they are pulled to 0. Computed with matrix products, not
    an n × d × d array, so it stays cheap for 100k rows.
    """
    n, d = x.shape
    if n < 3 or d < 2:
        return 1.0
    w_mean = (x.T @ x) / n
    sq = x * x
    w_var = np.maximum((sq.T @ sq) - n * w_mean**2, 0.0)  # Σ_k (w_kij - w̄_ij)²
    var_r = n / (n - 1) ** 3 * w_var
    r = n / (n - 1) * w_mean
    off = ~np.eye(d, dtype=bool)
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
        ``names[j]``).

        ``shrinkage`` is the weight pulled toward the identity: None estimates it from the data
        (:func:`shrinkage_intensity`), a number in [0, 1] fixes it (0 = plain sample correlation).
        Fewer than 3 rows carry no usable dependence and give the identity.
        """
        scores = np.asarray(z, dtype=np.float64)
        if scores.ndim != 2 or scores.shape[1] != len(names):
            raise ValueError(f"expected an n x {len(names)} array of normal scores, got shape {scores.shape}")
        if not np.all(np.isfinite(scores)):
            raise ValueError("normal scores must be finite (map NULLs to a null-flag column first)")
        if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
            raise ValueError(f"shrinkage must be between 0 and 1, got {shrinkage}")
        n = scores.shape[0]
        if n < 3:
            return cls.independent(names)
        centred = scores - scores.mean(axis=0)
        sd = centred.std(axis=0)
        # Relative test: scores of a constant column differ only by float noise.
        constant = sd <= 1e-12 * np.maximum(1.0, np.abs(scores).max(axis=0))
        x = np.where(constant, 0.0, centred / np.where(constant, 1.0, sd))
        sample = (x.T @ x) / n
        np.fill_diagonal(sample, 1.0)
        lam = shrinkage_intensity(x) if shrinkage is None else shrinkage
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
