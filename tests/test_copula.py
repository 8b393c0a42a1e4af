"""The Gaussian copula: estimation, repair, (conditional) sampling and its JSON form."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from scipy.stats import rankdata

from dbsynth.columns.copula import (
    GaussianCopula,
    nearest_correlation,
    shrinkage_intensity,
    to_normal,
    to_uniform,
)
from dbsynth.serde import from_data, to_data


def normal_scores(values: np.ndarray) -> np.ndarray:
    """What fit's caller does: empirical CDF through ranks, then Φ⁻¹."""
    return to_normal(rankdata(values) / (len(values) + 1))


def planted(rho: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cov = np.array([[1.0, rho], [rho, 1.0]])
    return rng.multivariate_normal([0.0, 0.0], cov, size=n)


def test_planted_correlation_recovered_through_ranks_of_lognormal_columns() -> None:
    g = planted(0.7, 5000, seed=1)
    price, quantity = np.exp(g[:, 0] * 1.5 + 3), np.exp(g[:, 1] * 0.4)  # skewed marginals
    z = np.column_stack([normal_scores(price), normal_scores(quantity)])
    cop = GaussianCopula.fit(z, ["price", "quantity"])
    assert cop.correlation[0][0] == 1.0 and cop.correlation[1][1] == 1.0
    assert abs(cop.correlation[0][1] - 0.7) < 0.05
    assert cop.correlation[0][1] == cop.correlation[1][0]
    assert cop.describe() == f"gaussian copula over 2 dims: price ~ quantity: {cop.correlation[0][1]:+.2f}"


def test_shrinkage_pulls_small_sample_noise_toward_zero() -> None:
    rng = np.random.default_rng(7)
    z = rng.standard_normal((12, 6))  # independent columns, tiny n: sample correlations are noise
    raw = GaussianCopula.fit(z, list("abcdef"), shrinkage=0.0).matrix
    shrunk = GaussianCopula.fit(z, list("abcdef")).matrix
    off = ~np.eye(6, dtype=bool)
    assert 0.3 < shrinkage_intensity((z - z.mean(0)) / z.std(0)) <= 1.0
    assert np.abs(shrunk[off]).max() < np.abs(raw[off]).max()
    # Strong, well-measured dependence is barely shrunk.
    strong = planted(0.9, 4000, seed=2)
    assert GaussianCopula.fit(strong, ["x", "y"]).correlation[0][1] == pytest.approx(0.9, abs=0.02)


def test_constant_column_gets_zero_correlation() -> None:
    g = planted(0.6, 500, seed=3)
    z = np.column_stack([g[:, 0], np.full(500, 1.2345), g[:, 1]])
    cop = GaussianCopula.fit(z, ["a", "never_null", "b"])
    m = cop.matrix
    assert m[1, 1] == 1.0
    assert m[1, 0] == m[1, 2] == m[0, 1] == m[2, 1] == 0.0
    assert m[0, 2] == pytest.approx(0.6, abs=0.1)


def test_missing_scores_are_left_out_pair_by_pair_not_filled_with_noise() -> None:
    """A NULL cell has no score (NaN): each pair is estimated on the rows where both exist, so a
    column that is 30 % NULL keeps its full correlation (noise in its place took 30 % away), and
    a pair seen together in fewer than 3 rows gets 0. Without NaN the estimate is unchanged."""
    g = planted(0.8, 4000, seed=4)
    rng = np.random.default_rng(5)
    holes = g.copy()
    holes[rng.random(4000) < 0.3, 1] = np.nan
    assert GaussianCopula.fit(holes, ["a", "b"]).correlation[0][1] == pytest.approx(0.8, abs=0.03)
    apart = np.column_stack([g, np.where(np.arange(4000) < 2, g[:, 0], np.nan)])
    m = GaussianCopula.fit(apart, ["a", "b", "c"]).matrix
    assert m[0, 2] == m[1, 2] == 0.0 and m[0, 1] == pytest.approx(0.8, abs=0.03)
    assert GaussianCopula.fit(g, ["a", "b"]) == GaussianCopula.fit(g.copy(), ["a", "b"])
    with pytest.raises(ValueError, match="normal scores must be finite"):
        GaussianCopula.fit(np.array([[np.inf, 0.0]] * 3), ["a", "b"])


def test_too_few_rows_give_independence() -> None:
    cop = GaussianCopula.fit(np.array([[0.1, 0.2], [0.3, -0.1]]), ["a", "b"])
    assert cop == GaussianCopula.independent(["a", "b"])
    assert cop.describe() == "gaussian copula over 2 dims: no correlation of 0.05 or more"


def test_pd_repair_of_an_indefinite_matrix() -> None:
    # a ~ b and b ~ c strongly, but a and c strongly opposed: no Gaussian has these correlations.
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    assert np.linalg.eigvalsh(bad).min() < 0
    message = (
        "copula correlation is not positive semi-definite; "
        "build it with GaussianCopula.from_matrix to repair it"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        GaussianCopula(("a", "b", "c"), tuple(tuple(row) for row in bad))
    cop = GaussianCopula.from_matrix(["a", "b", "c"], bad)
    fixed = cop.matrix
    assert np.linalg.eigvalsh(fixed).min() > 0
    assert np.allclose(np.diag(fixed), 1.0) and np.allclose(fixed, fixed.T)
    assert np.sign(fixed[0, 1]) == 1 and np.sign(fixed[0, 2]) == -1  # the repair stays close
    z = cop.sample(10, np.random.default_rng(0))
    assert z.shape == (10, 3) and np.all(np.isfinite(z))
    # A correlation matrix that is already fine is left as it is.
    good = np.array([[1.0, 0.3], [0.3, 1.0]])
    assert np.allclose(nearest_correlation(good), good)


def test_duplicated_columns_stay_usable() -> None:
    g = planted(0.5, 300, seed=4)
    z = np.column_stack([g[:, 0], g[:, 0], g[:, 1]])  # two dims that are the same column
    cop = GaussianCopula.fit(z, ["a", "a_copy", "b"], shrinkage=0.0)
    assert 0.99 < cop.correlation[0][1] < 1.0
    out = cop.sample_conditional({"a": np.zeros(5), "a_copy": np.zeros(5)}, np.random.default_rng(1))
    assert np.all(np.isfinite(out))


def test_sample_has_the_correlation_and_is_deterministic_with_a_seed() -> None:
    m = np.array([[1, 0.5, -0.3], [0.5, 1, 0.2], [-0.3, 0.2, 1]])
    cop = GaussianCopula.from_matrix(["x", "y", "z"], m)
    a = cop.sample(20000, np.random.default_rng(42))
    b = cop.sample(20000, np.random.default_rng(42))
    c = cop.sample(20000, np.random.default_rng(43))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.allclose(np.corrcoef(a.T), cop.matrix, atol=0.03)
    assert np.allclose(a.std(axis=0), 1.0, atol=0.03)
    given = {"x": np.linspace(-1, 1, 7)}
    assert np.array_equal(
        cop.sample_conditional(given, np.random.default_rng(5)),
        cop.sample_conditional(given, np.random.default_rng(5)),
    )


def test_conditional_sampling_matches_the_closed_form() -> None:
    s = np.array(
        [
            [1.0, 0.6, 0.3, -0.2],
            [0.6, 1.0, 0.1, 0.4],
            [0.3, 0.1, 1.0, 0.0],
            [-0.2, 0.4, 0.0, 1.0],
        ]
    )
    cop = GaussianCopula.from_matrix(["p1", "p2", "c1", "c2"], s)
    n = 40000
    z_g = np.column_stack([np.full(n, 1.5), np.full(n, -0.5)])
    out = cop.sample_conditional({"p1": z_g[:, 0], "p2": z_g[:, 1]}, np.random.default_rng(9))
    assert np.array_equal(out[:, :2], z_g)  # given dims are filled in unchanged
    s_gg, s_gx, s_xx = s[:2, :2], s[:2, 2:], s[2:, 2:]
    mean = np.array([1.5, -0.5]) @ np.linalg.solve(s_gg, s_gx)
    cov = s_xx - s_gx.T @ np.linalg.solve(s_gg, s_gx)
    assert np.allclose(out[:, 2:].mean(axis=0), mean, atol=0.02)
    assert np.allclose(np.cov(out[:, 2:].T), cov, atol=0.02)


def test_conditional_on_a_varying_parent_keeps_the_joint_correlation() -> None:
    cop = GaussianCopula.from_matrix(["parent", "child"], np.array([[1.0, 0.7], [0.7, 1.0]]))
    parent = np.random.default_rng(3).standard_normal(30000)
    out = cop.sample_conditional({"parent": parent}, np.random.default_rng(4))
    assert np.corrcoef(out.T)[0, 1] == pytest.approx(0.7, abs=0.02)
    assert out[:, 1].std() == pytest.approx(1.0, abs=0.02)


def test_subset_is_the_marginal_in_the_asked_order() -> None:
    m = np.array([[1, 0.5, -0.3], [0.5, 1, 0.2], [-0.3, 0.2, 1]])
    cop = GaussianCopula.from_matrix(["x", "y", "z"], m)
    sub = cop.subset(["z", "x"])
    assert sub.names == ("z", "x")
    assert sub.correlation == ((1.0, -0.3), (-0.3, 1.0))


def test_unknown_dim_names_the_closest() -> None:
    cop = GaussianCopula.independent(["price", "quantity"])
    with pytest.raises(ValueError, match=r"^the copula has no dim 'prise'\. Did you mean 'price'\?$"):
        cop.subset(["prise"])
    with pytest.raises(ValueError, match=r"^every given dim needs the same number of scores$"):
        cop.sample_conditional({"price": np.zeros(3), "quantity": np.zeros(4)}, np.random.default_rng(0))


def test_invalid_documents_are_rejected() -> None:
    with pytest.raises(ValueError, match=r"^copula correlation must be a 2 x 2 matrix, one row per dim$"):
        GaussianCopula(("a", "b"), ((1.0,),))
    with pytest.raises(ValueError, match=r"^copula correlation must be symmetric with 1 on the diagonal$"):
        GaussianCopula(("a", "b"), ((1.0, 0.2), (0.3, 1.0)))
    with pytest.raises(ValueError, match=r"^copula dims must be unique; repeated: a$"):
        GaussianCopula(("a", "a"), ((1.0, 0.0), (0.0, 1.0)))


def test_json_round_trip_with_rounded_floats() -> None:
    g = planted(0.33333333, 1000, seed=5)
    cop = GaussianCopula.fit(np.column_stack([g, -g[:, 0]]), ["a", "b", "not_a"])
    data = to_data(cop)
    assert set(data) == {"names", "correlation"}
    text = json.dumps(data)
    assert all(len(repr(v).split(".")[-1]) <= 6 for row in cop.correlation for v in row)
    back = from_data(GaussianCopula, json.loads(text))
    assert back == cop
    assert np.array_equal(back.sample(5, np.random.default_rng(1)), cop.sample(5, np.random.default_rng(1)))


def test_uniform_normal_helpers_clip() -> None:
    z = to_normal(np.array([0.0, 0.5, 1.0]))
    assert np.all(np.isfinite(z)) and z[1] == 0.0
    u = to_uniform(np.array([-50.0, 0.0, 50.0]))
    assert 0.0 < u[0] < 1e-8 and u[1] == 0.5 and 1 - 1e-8 < u[2] < 1.0
    assert np.allclose(to_uniform(to_normal(np.array([0.1, 0.9]))), [0.1, 0.9])
