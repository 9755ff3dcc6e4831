import numpy as np
import pandas as pd
import pytest

from exception_layer.errors import ValidationError
from project_library.cancellation import RunCancelled
from project_library.training.cleaning import clean_training_table
from project_library.training.clustering import elbow_k
from project_library.training.splitting import fold_ids, holdout_mask
from project_library.training.train import TrainingOptions, train
from tests.runs.data import table

FAST = ("hist_gradient_boosting", "linear")


def options(task, **extra):
    return TrainingOptions(
        task=task,
        target="label",
        id_columns=("sample_id",),
        candidates=extra.pop("candidates", FAST),
        **{"time_budget_s": 60, **extra},
    )


def test_cleaning_drops_identifier_empty_constant_and_duplicates():
    frame = table("binary", duplicate_rows=40)
    clean = clean_training_table(frame, task="binary", target="label", id_columns=("sample_id",))
    assert clean.dropped == {
        "sample_id": "identifier column",
        "empty": "entirely empty",
        "constant": "constant",
    }
    assert clean.duplicate_rows == 40
    assert len(clean.features) == 569
    assert "colour" in clean.categorical_columns
    assert "_source_file" not in clean.features.columns


def test_unnamed_identifier_like_text_column_is_dropped():
    frame = table("binary")
    clean = clean_training_table(frame, task="binary", target="label")
    assert clean.dropped["sample_id"].startswith("every value distinct")


def test_rows_without_label_are_left_out():
    frame = table("multiclass")
    frame.loc[:9, "label"] = np.nan
    clean = clean_training_table(frame, task="multiclass", target="label")
    assert clean.rows_without_target == 10
    assert len(clean.target) == len(frame) - 10


def test_single_class_target_is_refused():
    frame = table("binary")
    frame["label"] = "benign"
    with pytest.raises(ValidationError, match="single class"):
        clean_training_table(frame, task="binary", target="label")


def test_duplicates_never_straddle_the_holdout_split():
    frame = table("binary", duplicate_rows=200)
    # Same features, conflicting labels: still one group.
    conflicting = frame.iloc[:30].copy()
    conflicting["label"] = np.where(conflicting["label"] == "benign", "malignant", "benign")
    frame = pd.concat([frame, conflicting], ignore_index=True)
    clean = clean_training_table(frame, task="binary", target="label", id_columns=("sample_id",))
    mask = holdout_mask(clean.target.to_numpy(), clean.groups, "binary", 0.2, 0)
    held, kept = set(clean.groups[mask]), set(clean.groups[~mask])
    assert held and kept and not held & kept
    folds = fold_ids(clean.target.to_numpy(), clean.groups, "binary", 3, 0)
    for group in np.unique(clean.groups):
        assert len(set(folds[clean.groups == group])) == 1


def test_rare_class_with_one_row_stays_in_training():
    y = np.array(["a"] * 50 + ["b"] * 50 + ["c"])
    mask = holdout_mask(y, np.arange(len(y)), "multiclass", 0.2, 0)
    assert not mask[-1]
    assert 15 <= mask.sum() <= 25


@pytest.mark.parametrize(
    "task,metric,floor",
    [
        ("binary", "balanced_accuracy", 0.9),
        ("multiclass", "f1_macro", 0.85),
        ("regression", "r2", 0.2),
    ],
)
def test_train_reports_held_out_metrics(task, metric, floor):
    result = train(table(task, duplicate_rows=30), options(task, metric=metric))
    assert result.metric == metric
    assert result.metrics[metric] >= floor
    expected = (
        {"balanced_accuracy", "f1_macro", "roc_auc", "accuracy"}
        if task != "regression"
        else {"rmse", "mae", "r2"}
    )
    assert set(result.metrics) == expected
    assert result.estimator in (*FAST, "blend")
    assert {c.name for c in result.candidates} - {"blend"} == set(FAST)
    assert all(c.status in ("scored", "stopped") for c in result.candidates)
    assert result.rows["duplicates_dropped"] == 30
    assert result.rows["train"] + result.rows["held_out"] == len(table(task))


def test_trained_model_predicts_probabilities_for_every_class():
    frame = table("multiclass")
    result = train(frame, options("multiclass", candidates=("linear",)))
    proba = result.model.predict_proba(frame)
    assert proba.shape == (len(frame), 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert result.model.classes == [0, 1, 2]


def test_all_candidates_are_tried_when_budget_allows():
    result = train(table("multiclass"), options("multiclass", candidates=None))
    names = {c.name for c in result.candidates}
    assert {"hist_gradient_boosting", "random_forest", "extra_trees", "linear"} <= names


def test_tiny_budget_skips_costly_candidates_but_still_trains():
    result = train(table("binary"), options("binary", candidates=None, time_budget_s=0.01))
    statuses = {c.name: c.status for c in result.candidates}
    assert statuses["linear"] == "scored"
    assert "skipped" in statuses.values()


def test_cancel_stops_between_candidates():
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(RunCancelled):
        train(table("binary"), options("binary"), cancel=cancel)


def test_cluster_strategy_trains_a_model_per_cluster():
    frame = table("regression")
    result = train(frame, options("regression", strategy="cluster", candidates=("linear",)))
    assert result.strategy == "cluster"
    assert result.estimator == "clustered"
    assert result.params["n_clusters"] >= 1
    assert len(result.model.predict(frame)) == len(frame)
    assert "r2" in result.metrics


def test_cluster_strategy_classification_probabilities_align():
    frame = table("multiclass")
    result = train(frame, options("multiclass", strategy="cluster", candidates=("linear",)))
    proba = result.model.predict_proba(frame)
    assert proba.shape == (len(frame), 3)
    assert np.allclose(proba.sum(axis=1), 1.0)


def test_elbow_picks_the_knee():
    assert elbow_k([1000, 900, 200, 150, 120, 100]) == 3
    assert elbow_k([10, 9]) == 1


def test_metric_that_does_not_fit_the_task_is_refused():
    with pytest.raises(ValidationError, match="does not apply"):
        train(table("regression"), options("regression", metric="roc_auc"))


def test_missing_target_column_is_explained():
    frame = table("binary").drop(columns=["label"])
    with pytest.raises(ValidationError, match="target column 'label'"):
        train(frame, options("binary"))


def test_text_numbers_in_a_string_column_become_numeric():
    frame = table("regression")
    frame["bmi"] = frame["bmi"].map(lambda v: f" {v}").astype("str")
    clean = clean_training_table(frame, task="regression", target="label")
    assert "bmi" in clean.numeric_columns


def test_rare_class_is_predicted_thanks_to_the_prior_corrected_rule():
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=1500, n_features=12, weights=[0.96], flip_y=0.02, class_sep=0.6, random_state=3
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(12)])
    frame["label"] = np.where(y == 1, "rare", "common")
    frame["_source_file"], frame["_row"] = "a.csv", np.arange(1, len(frame) + 1)
    result = train(
        frame,
        TrainingOptions(
            task="binary", target="label", time_budget_s=60, candidates=("extra_trees",)
        ),
    )
    chosen = next(c for c in result.candidates if c.name == "extra_trees")
    assert chosen.decision.startswith("prior")
    assert result.params["decision_rule"].startswith("prior-corrected argmax")
    assert result.metrics["balanced_accuracy"] > 0.6
    assert "rare" in set(result.model.predict(frame))
