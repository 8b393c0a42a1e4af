"""The fidelity formulas on hand-built samples with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from dbsynth.report.cardinality import cardinality_similarity, counts_from_frames
from dbsynth.report.columns import as_labels, as_numbers
from dbsynth.report.metrics import (
    bin_edges,
    clamp,
    contingency_similarity,
    correlation_similarity,
    ks_complement,
    ks_statistic,
    mean,
    null_similarity,
    pair_trend,
    tv_complement,
)


def labels(*values: object) -> pd.Series:
    return pd.Series(list(values), dtype=object)


def test_identical_samples_score_one() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    y = x * 2 + rng.normal(size=500)
    cats = labels(*rng.choice(["a", "b", "c"], size=500))
    other = labels(*rng.choice(["u", "v"], size=500))
    assert ks_complement(x, x) == 1.0
    assert tv_complement(cats, cats) == 1.0
    assert null_similarity(cats, cats) == 1.0
    assert correlation_similarity(x, y, x, y).score == 1.0
    assert contingency_similarity(cats, other, cats, other).score == 1.0


def test_disjoint_categories_score_zero() -> None:
    assert tv_complement(labels("a", "b", "a"), labels("c", "d")) == 0.0
    result = contingency_similarity(labels("a", "b"), labels("x", "y"), labels("c", "d"), labels("x", "y"))
    assert result.score == 0.0


def test_known_ks_statistic() -> None:
    # F_a and F_b differ most at 4: 4/4 of a is <= 4, 2/4 of b is.
    a, b = np.array([1.0, 2, 3, 4]), np.array([3.0, 4, 5, 6])
    assert ks_statistic(a, b) == pytest.approx(0.5)
    assert ks_complement(a, b) == pytest.approx(0.5)
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=300), rng.normal(0.3, 1.2, size=450)
    assert ks_statistic(x, y) == pytest.approx(ks_2samp(x, y).statistic)


def test_ks_ignores_nulls_and_weights_are_repeats() -> None:
    a = np.array([1.0, np.nan, 2.0, 2.0, 5.0])
    b = np.array([2.0, 2.0, 3.0])
    assert ks_statistic(a, b) == pytest.approx(ks_2samp([1, 2, 2, 5], [2, 2, 3]).statistic)
    weighted = ks_statistic(np.array([1.0, 2, 5]), np.array([2.0, 3]), np.array([1, 2, 1]), np.array([2, 1]))
    assert weighted == pytest.approx(ks_statistic(a, b))
    assert ks_statistic(np.array([np.nan]), b) is None


def test_tv_complement_known_value() -> None:
    # real a 50% b 50%, synthetic a 75% c 25%: TVD = (|.5-.75| + .5 + .25) / 2 = 0.5
    assert tv_complement(labels("a", "b", None), labels("a", "a", "a", "c")) == pytest.approx(0.5)


def test_null_similarity_known_value() -> None:
    real = labels(*([None] * 1 + ["x"] * 9))  # 10% NULL
    synth = labels(*([None] * 3 + ["x"] * 7))  # 30% NULL
    assert null_similarity(real, synth) == pytest.approx(0.8)
    assert null_similarity(labels(), labels()) == 1.0  # empty tables have nothing missing


def test_correlation_similarity_and_its_threshold() -> None:
    x = np.arange(100.0)
    same = correlation_similarity(x, x, x, x)
    assert (same.score, same.source, same.target, same.contributes) == (1.0, 1.0, 1.0, True)
    flipped = correlation_similarity(x, x, x, -x)
    assert flipped.score == 0.0 and flipped.target == -1.0
    rng = np.random.default_rng(3)
    noise = rng.normal(size=100)
    weak = correlation_similarity(x, noise, x, noise)
    assert weak.score == 1.0 and not weak.contributes  # |ρ| <= 0.5 in the source: not counted
    constant = correlation_similarity(np.full(10, 1.6e15), x[:10], np.full(10, 1.6e15), x[:10])
    assert constant.score is None and "constant" in (constant.note or "")


def test_contingency_counts_null_as_a_category_and_cramers_v() -> None:
    a = labels("x", "x", "y", "y")
    b = labels("p", "p", "q", "q")
    strong = contingency_similarity(a, b, a, b)
    assert strong.source == pytest.approx(1.0) and strong.contributes
    with_null = contingency_similarity(
        labels("x", None), labels("p", "p"), labels("x", "x"), labels("p", "p")
    )
    assert with_null.score == pytest.approx(0.5)  # (x,p) 50/100, (NULL,p) 50/0
    one_category = contingency_similarity(
        labels("x", "x"), labels("p", "q"), labels("x", "x"), labels("p", "q")
    )
    assert one_category.source is None and not one_category.contributes


def test_mixed_pairs_are_binned_each_on_its_own_range() -> None:
    real_num = pd.Series(np.linspace(0, 10, 100))
    real_cat = labels(*(["low"] * 50 + ["high"] * 50))
    shifted = pd.Series(np.linspace(100, 110, 100))
    # The same shape 100 units to the right: binned on its own range, as SDMetrics bins it, the
    # trend is the same (the shift is the column shape's to catch, not the pair's).
    result = pair_trend(real_num, real_cat, shifted, real_cat, True, False)
    assert result.metric == "ContingencySimilarity"
    assert result.score == 1.0
    flipped = shifted[::-1].reset_index(drop=True)
    reversed_trend = pair_trend(real_num, real_cat, flipped, real_cat, True, False)
    assert reversed_trend.score is not None and reversed_trend.score < 0.2
    same = pair_trend(real_num, real_cat, real_num, real_cat, True, False)
    assert same.score == 1.0 and same.contributes


def test_bin_edges_of_a_constant_timestamp_column() -> None:
    edges = bin_edges(np.full(5, 1.6e15))
    assert list(edges) == [1.6e15]


def test_clamp_and_mean() -> None:
    assert clamp(1 - 0.9999999999999999) == 0.0
    assert clamp(1.2) == 1.0
    assert mean([None, 0.5, 1.0]) == 0.75
    assert mean([None]) is None


def test_values_as_numbers_and_labels() -> None:
    stamps = pd.Series([pd.Timestamp("1970-01-01 00:00:01"), None], dtype="datetime64[us]")
    assert as_numbers(stamps)[0] == 1_000_000 and np.isnan(as_numbers(stamps)[1])
    aware = pd.Series([pd.Timestamp("1970-01-01 01:00:00", tz="Europe/Berlin")]).astype("datetime64[us, UTC]")
    assert as_numbers(aware)[0] == 0
    assert as_numbers(pd.Series([1, None], dtype="Int64"))[0] == 1.0
    import decimal

    assert list(
        as_labels(pd.Series([decimal.Decimal("12.50"), 12.5, True, None, ("a", "b")], dtype=object))
    ) == [
        "12.5",
        "12.5",
        "true",
        None,
        "a,b",
    ]


def test_children_per_parent_from_frames_counts_zeros() -> None:
    parents = pd.DataFrame({"id": [1, 2, 3, 4]})
    children = pd.DataFrame({"parent_id": [1, 1, 1, 2, None]})
    assert counts_from_frames(parents, children) == ((0, 2), (1, 1), (3, 1))


def test_cardinality_similarity_known_values() -> None:
    same = ((0, 2), (1, 1), (3, 1))
    assert cardinality_similarity(same, same) == 1.0
    # source: half the parents have 0 children, half 2; target: all have 1 → KS 0.5
    assert cardinality_similarity(((0, 5), (2, 5)), ((1, 10),)) == pytest.approx(0.5)
    assert cardinality_similarity(same, ()) == 0.0
    assert cardinality_similarity((), same) is None
