"""Real shifts in a generated project are found, and only the ones the model relies on fail
the batch: a shifted mean in an important feature, a new category, a missing rate jumping
from 1% to 40%, and a drifted column the model ignores (permutation weight about 0)."""

import numpy as np
import pytest

from project_library.drift import check_batch
from tests.drift import synthetic
from tests.drift.support import Reference

ROWS = 4_000


@pytest.fixture(scope="module")
def reference():
    X = synthetic.features(16_000, seed=11)
    return Reference(
        X, synthetic.target(X), synthetic.NUMERIC, synthetic.CATEGORICAL, "binary",
        importance=True,
    )  # fmt: skip


def shifted_age(batch, rng):
    batch["age"] += 6.0  # half a standard deviation


def new_region(batch, rng):
    batch.loc[rng.random(len(batch)) < 0.15, "region"] = "atlantis"


def missing_score(batch, rng):
    batch.loc[rng.random(len(batch)) < 0.40, "score"] = np.nan


def shifted_noise(batch, rng):
    batch["noise"] += 1.5


def checked(reference, *shifts, seed=5):
    rng = np.random.default_rng(seed)
    batch = synthetic.features(ROWS, seed=seed)
    for shift in shifts:
        shift(batch, rng)
    report = check_batch(reference.profile, batch, reference.predictions(batch))
    return report, {f["name"]: f for f in report.to_dict()["features"]}


def test_the_ignored_column_has_no_weight(reference):
    weights = reference.profile["weights"]
    ranked = sorted(weights, key=weights.get, reverse=True)
    assert weights["noise"] < 0.02 and "noise" not in ranked[:5]
    assert {"age", "score", "region"} <= set(ranked[:5])


def test_an_untouched_batch_passes(reference):
    report, features = checked(reference)
    assert not report.drifted, report.summary()
    assert not any(f["drifted"] for f in features.values())


def test_a_shifted_mean_in_an_important_feature_fails_the_batch(reference):
    report, features = checked(reference, shifted_age)
    age = features["age"]
    assert age["drifted"] and age["counts_toward_verdict"] and age["value"] > age["threshold"]
    assert report.drifted
    assert report.to_dict()["features"][0]["name"] == "age"  # the most severe first


def test_a_new_category_is_listed_and_fails_the_batch(reference):
    report, features = checked(reference, new_region)
    region = features["region"]
    assert region["drifted"] and region["statistic"] == "jensen_shannon"
    assert region["unseen"][0]["value"] == "atlantis"
    assert region["unseen"][0]["count"] == pytest.approx(0.15 * ROWS, rel=0.15)
    assert "(unseen)" in region["histogram"]["labels"]
    assert report.drifted


def test_a_missing_rate_jump_is_its_own_finding(reference):
    report, features = checked(reference, missing_score)
    missing = features["score"]["missing_rate"]
    assert missing["drifted"] and features["score"]["drifted"]
    assert missing["reference"] == pytest.approx(0.01, abs=0.005)
    assert missing["batch"] == pytest.approx(0.40, abs=0.03)
    assert features["score"]["value"] < features["score"]["threshold"]  # the values look alike
    assert report.drifted


def test_a_drifted_column_the_model_ignores_does_not_fail_the_batch(reference):
    report, features = checked(reference, shifted_noise)
    noise = features["noise"]
    assert noise["drifted"] and not noise["counts_toward_verdict"]
    assert not report.drifted
    assert report.summary() == (
        "1 of 30 features drifted: noise; the model hardly uses it, so the batch passes."
    )


def test_all_shifts_at_once(reference):
    report, features = checked(reference, shifted_age, new_region, missing_score, shifted_noise)
    drifted = {name for name, f in features.items() if f["drifted"]}
    assert drifted == {"age", "region", "score", "noise"}
    assert report.drifted
    summary = report.summary()
    assert summary.startswith("4 of 30 features drifted: ")
    assert "(noise hardly used by the model)" in summary
