"""The profile: what it keeps per feature, that it stays small, and the statistics it feeds."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from project_library.drift import build_profile, check_batch
from project_library.drift import statistics as st
from project_library.drift.calibration import tail_threshold
from tests.drift import synthetic


def test_a_thirty_feature_profile_of_a_large_table_is_small():
    frame = synthetic.features(60_000, seed=4)
    profile = build_profile(
        frame, synthetic.NUMERIC, synthetic.CATEGORICAL, predictions=None, weights=None
    )
    size = len(json.dumps(profile, allow_nan=False))
    assert size < 100_000, size
    assert profile["version"] == 1
    assert (profile["rows"], profile["sample_rows"]) == (60_000, 20_000)


def test_numeric_summary_bins_discrete_values_one_each():
    frame = pd.DataFrame({"flag": np.r_[np.zeros(700), np.ones(300)], "n": np.arange(1000) % 4})
    flag, count = build_profile(frame, ["flag", "n"], [], predictions=None, weights=None)[
        "features"
    ]
    assert flag["edges"] == [0.0, 1.0] and flag["counts"] == [700, 300, 0]
    assert count["edges"] == [0.0, 1.0, 2.0, 3.0]


def test_categorical_summary_keeps_the_top_fifty_and_every_known_label():
    labels = [f"l{i:03d}" for i in range(80) for _ in range(80 - i)]
    frame = pd.DataFrame({"c": pd.Series(labels + [np.nan] * 10, dtype=object)})
    (summary,) = build_profile(frame, [], ["c"], predictions=None, weights=None)["features"]
    assert [label for label, _ in summary["top"][:2]] == ["l000", "l001"]
    assert len(summary["top"]) == 50 and summary["missing"] == 10
    assert summary["other"] == sum(80 - i for i in range(50, 80))
    assert len(summary["known"]) == 80 and summary["unseen_share"] > 0  # l079 occurs once


def test_weights_are_kept_for_profiled_features_only():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    profile = build_profile(
        frame, ["a"], [], predictions=None, weights={"a": 0.7, "gone": 0.3, "b": float("nan")}
    )
    assert profile["weights"] == {"a": 0.7}


def test_the_wasserstein_distance_on_the_grid_is_exact_for_values_on_it():
    rng = np.random.default_rng(1)
    reference = rng.integers(0, 10, 5_000)
    batch = rng.choice(10, 2_000, p=np.linspace(0.08, 0.12, 10) / np.linspace(0.08, 0.12, 10).sum())
    profile = build_profile(
        pd.DataFrame({"v": reference.astype(float)}), ["v"], [], predictions=None, weights=None
    )
    feature = check_batch(profile, pd.DataFrame({"v": batch.astype(float)}), None).features[0]
    scale = profile["features"][0]["scale"]
    expected = stats.wasserstein_distance(reference, batch) / scale
    assert feature.statistic == "wasserstein" and feature.value == pytest.approx(expected)


def test_psi_stays_finite_when_a_bin_is_empty():
    assert np.isfinite(st.psi(np.array([10, 0, 10]), np.array([0, 10, 10])))
    assert st.psi(np.array([5, 5]), np.array([50, 50])) == 0.0


def test_jensen_shannon_divergence_is_in_bits():
    assert st.js_divergence([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert st.js_divergence([0.5, 0.5], [0.5, 0.5]) == 0.0


def test_the_tail_extrapolation_reaches_a_chi_square_quantile():
    draws = np.random.default_rng(2).chisquare(9, 256)
    assert tail_threshold(draws, 1e-5) >= 0.95 * stats.chi2.isf(1e-5, 9)
