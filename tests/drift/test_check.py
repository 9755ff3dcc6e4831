"""check_batch on the cases a real batch brings: what is a finding, what is not, the verdict's
weighing, the report's format and its one-line summary."""

import json

import numpy as np
import pandas as pd
import pytest

from project_library.drift import (
    batch_predictions,
    build_profile,
    check_batch,
    reference_predictions,
)


@pytest.fixture(scope="module")
def training():
    rng = np.random.default_rng(0)
    rows = 3_000
    return pd.DataFrame(
        {
            "x": rng.normal(10, 2, rows),
            "y": rng.exponential(1, rows),
            "k": np.full(rows, 3.0),
            "colour": pd.Series(rng.choice(["red", "green", "blue"], rows)).astype(object),
        }
    )


def profile_of(frame, weights=None, predictions=None):
    profile = build_profile(
        frame, ["x", "y", "k"], ["colour"], predictions=predictions, weights=weights
    )
    return json.loads(json.dumps(profile, allow_nan=False))


def batch_of(training, rows=800, seed=1, **changes):
    rng = np.random.default_rng(seed)
    batch = training.sample(rows, random_state=seed, replace=True).reset_index(drop=True)
    batch["x"] = rng.normal(10, 2, rows)
    for name, values in changes.items():
        batch[name] = values
    return batch


def by_name(report):
    return {f["name"]: f for f in report.to_dict()["features"]}


def test_a_constant_feature_at_the_same_value_is_fine(training):
    report = check_batch(profile_of(training), batch_of(training), None)
    assert not report.drifted
    assert by_name(report)["k"]["value"] == 0.0


def test_a_constant_feature_at_another_value_drifts(training):
    features = by_name(check_batch(profile_of(training), batch_of(training, k=4.0), None))
    assert features["k"]["drifted"] and features["k"]["statistic"] == "psi"


def test_a_profiled_column_the_batch_lacks_is_a_finding(training):
    batch = batch_of(training).drop(columns=["y"])
    features = by_name(check_batch(profile_of(training), batch, None))
    assert features["y"]["drifted"]
    assert features["y"]["missing_rate"] == {"reference": 0.0, "batch": 1.0, "drifted": True}
    assert features["y"]["value"] is None


def test_columns_the_profile_does_not_know_are_ignored(training):
    batch = batch_of(training).assign(extra=np.arange(800.0), _row=1)
    report = check_batch(profile_of(training), batch, None)
    assert report.checked == 4 and "extra" not in by_name(report)


def test_an_empty_batch_is_a_report_without_findings(training):
    report = check_batch(profile_of(training), training.iloc[:0], None)
    assert not report.drifted and report.rows == 0
    assert report.summary() == "Empty batch: no rows to check for drift."


def test_one_row_is_judged_with_the_thresholds_of_one_row(training):
    report = check_batch(profile_of(training), training.iloc[:1], None)
    assert not report.drifted
    assert all(f.threshold > 0.5 for f in report.features if f.name in ("x", "colour"))


def test_inf_and_text_in_a_numeric_column_count_as_missing(training):
    x = np.where(np.arange(800) % 2, np.inf, 10.0).astype(object)  # odd rows infinite
    x[::4] = "n/a"  # and every other even row text
    features = by_name(check_batch(profile_of(training), batch_of(training, x=x), None))
    assert features["x"]["missing_rate"]["batch"] == 0.75 and features["x"]["drifted"]


def test_labels_that_are_not_text_are_compared_as_text():
    frame = pd.DataFrame({"code": pd.Series(np.arange(600) % 3, dtype=object)})
    profile = build_profile(frame, [], ["code"], predictions=None, weights=None)
    as_text = frame.assign(code=frame["code"].astype(str))
    feature = check_batch(profile, as_text, None).features[0]
    assert not feature.drifted and feature.value == 0.0


def test_a_million_distinct_labels_are_unseen_not_a_crash(training):
    batch = batch_of(training, rows=100_000, colour=[f"id{i}" for i in range(100_000)])
    feature = by_name(check_batch(profile_of(training), batch, None))["colour"]
    assert feature["drifted"] and feature["value"] == 1.0
    assert len(feature["unseen"]) == 5 and all(u["count"] == 1 for u in feature["unseen"])


def test_a_near_identifier_column_keeps_no_label_list():
    labels = pd.Series([f"u{i}" for i in range(5_000)], dtype=object)
    profile = build_profile(pd.DataFrame({"user": labels}), [], ["user"], predictions=None,
                            weights=None)  # fmt: skip
    (summary,) = profile["features"]
    assert summary["known"] is None and len(summary["top"]) == 50
    assert summary["other"] == 4_950


def test_weights_decide_which_drifted_features_fail_the_batch():
    rng = np.random.default_rng(5)
    names = ["a", "b", "c", "d", "e", "f"]
    frame = pd.DataFrame({name: rng.normal(size=2_000) for name in names})
    batch = pd.DataFrame({name: rng.normal(size=800) for name in names}).assign(f=lambda b: b.f + 1)

    def verdict(weights):
        profile = build_profile(frame, names, [], predictions=None, weights=weights)
        report = check_batch(profile, batch, None)
        assert {f.name for f in report.features if f.drifted} == {"f"}
        return report.drifted

    ranked = dict(zip(names, [0.3, 0.3, 0.2, 0.1, 0.09, 0.01], strict=True))
    assert not verdict(ranked)  # f: 1% of the importance, sixth of six
    assert verdict({**ranked, "f": 0.02, "e": 0.08})  # 2% counts
    assert verdict({"a": 0.99, "f": 0.01})  # among the five most important: counts
    assert verdict(dict.fromkeys(names, 0.0))  # no positive weight says nothing
    assert verdict(None)  # without weights every feature counts


def test_prediction_drift_of_classes_fails_the_batch(training):
    held_out = reference_predictions(np.array(["a"] * 700 + ["b"] * 300), ["a", "b", "c"])
    profile = profile_of(training, predictions=held_out)
    assert held_out["counts"] == {"a": 700, "b": 300, "c": 0}
    same = batch_predictions(np.array(["a"] * 560 + ["b"] * 240), profile["predictions"])
    assert not check_batch(profile, batch_of(training), same).drifted
    flipped = batch_predictions(np.array(["a"] * 200 + ["b"] * 600), profile["predictions"])
    report = check_batch(profile, batch_of(training), flipped)
    assert report.drifted and report.to_dict()["prediction"]["drifted"]
    assert report.summary() == "Predictions drifted; no drift in 4 features."


def test_prediction_drift_of_values_uses_the_profile_bins(training):
    rng = np.random.default_rng(3)
    held_out = reference_predictions(rng.normal(50, 10, 400))
    profile = profile_of(training, predictions=held_out)
    shifted = batch_predictions(rng.normal(65, 10, 800), profile["predictions"])
    prediction = check_batch(profile, batch_of(training), shifted).to_dict()["prediction"]
    assert prediction["kind"] == "numeric" and prediction["statistic"] == "psi"
    assert prediction["drifted"] and len(prediction["batch"]["labels"]) == 10


def test_numpy_histogram_counts_are_accepted_and_foreign_bins_refused(training):
    edges = [0.0, 1.0, 2.0]
    profile = profile_of(
        training, predictions={"kind": "numeric", "edges": edges, "counts": [5, 5], "rows": 10}
    )
    assert profile["predictions"]["counts"] == [0, 5, 5, 0]
    foreign = {"kind": "numeric", "edges": [0.0, 3.0], "counts": [1, 1, 1], "rows": 3}
    with pytest.raises(ValueError, match="profile's edges"):
        check_batch(profile, batch_of(training), foreign)


def test_the_report_is_sorted_by_severity_and_reads_in_one_line(training):
    batch = batch_of(training, colour="purple", y=training["y"].to_numpy()[:800] * 3)
    report = check_batch(profile_of(training), batch, None)
    names = [f["name"] for f in report.to_dict()["features"]]
    assert names[:2] == ["colour", "y"]
    assert report.summary() == "2 of 4 features drifted: colour, y."
    assert report.to_dict()["features"][0]["unseen"] == [{"value": "purple", "count": 800}]


def test_the_same_batch_gives_the_same_report(training):
    profile, batch = profile_of(training), batch_of(training, rows=150_000)
    assert (
        check_batch(profile, batch, None).to_dict() == check_batch(profile, batch, None).to_dict()
    )


def test_an_unknown_profile_version_is_refused(training):
    with pytest.raises(ValueError, match="version"):
        check_batch({**profile_of(training), "version": 2}, training, None)
