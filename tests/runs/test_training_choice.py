"""Selection that generalises: folds by file, the simplest within the spread, a blend only
when it wins, calibration when it helps, and the saved model refitted on every row."""

import logging
import pickle
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss

from project_library.training.candidates import candidates_for
from project_library.training.choice import CandidateScore, choose
from project_library.training.oof import rule_scores
from project_library.training.selection import CvData, Trial, idle_workers
from project_library.training.splitting import cv_folds
from project_library.training.train import TrainingOptions, train
from tests.runs.data import table


def test_folds_hold_out_whole_files_when_there_are_enough():
    rng = np.random.default_rng(0)
    sources = np.repeat([f"f{i}.csv" for i in range(12)], 20)
    y = rng.integers(0, 2, len(sources))
    groups = np.arange(len(sources))
    groups[5] = groups[30]  # a row of f0 repeats a row of f1: both must share a fold
    folds, validation = cv_folds(y, groups, sources, "binary", n_folds=3)
    assert validation == "files"
    for name in np.unique(sources):
        own = folds[(sources == name) & (groups != groups[30])]
        assert len(np.unique(own)) == 1
    assert folds[5] == folds[30]
    assert sorted(np.unique(folds)) == [0, 1, 2]


def test_folds_fall_back_to_rows_with_few_files():
    sources = np.repeat(["a.csv", "b.csv", "c.csv"], 40)
    y = np.tile([0, 1], 60)
    folds, validation = cv_folds(y, np.arange(120), sources, "binary", n_folds=3)
    assert validation == "rows"
    assert len(np.unique(folds[sources == "a.csv"])) == 3


def test_training_validates_by_file_when_the_table_has_enough_files(caplog):
    frame = table("binary", files=12)
    options = TrainingOptions(
        task="binary", target="label", id_columns=("sample_id",), candidates=("linear",)
    )
    with caplog.at_level(logging.INFO, logger="choice-test"):
        train(frame, options, log=logging.getLogger("choice-test"))
    assert "cv validation=files folds=3" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="choice-test"):
        train(table("binary", files=2), options, log=logging.getLogger("choice-test"))
    assert "cv validation=rows folds=3" in caplog.text


def _problem(task="regression", metric="rmse", classes=None):
    return SimpleNamespace(
        task=task, metric=metric, classes=classes, log=logging.getLogger("choice-test")
    )


def _trial(problem, data, name, oof):
    candidate = next(c for c in candidates_for(problem.task) if c.name == name)
    rules = rule_scores(
        problem.metric, problem.task, problem.classes, data.y, oof, data.folds, [0, 1, 2]
    )
    values = rules["argmax"]
    score = CandidateScore(name, candidate.label, "scored", float(np.mean(values)), values)
    return Trial(candidate, score, oof)


def _data(rows=600):
    rng = np.random.default_rng(1)
    y = rng.normal(size=rows)
    return CvData(None, y, np.arange(rows) % 3, 3, "rows"), y, rng


def test_blend_is_chosen_when_it_wins():
    data, y, rng = _data()
    problem = _problem()
    trials = [  # two equally good models with independent errors: their average wins
        _trial(problem, data, "extra_trees", y + rng.normal(scale=0.5, size=len(y))),
        _trial(problem, data, "random_forest", y + rng.normal(scale=0.5, size=len(y))),
    ]
    choice, scores = choose(problem, trials, data)
    assert choice.name == "blend"
    assert [m.name for m in choice.members] == ["extra_trees", "random_forest"]
    assert scores[-1].name == "blend" and scores[-1].score < trials[0].score.score


def test_blend_is_not_chosen_when_it_does_not_win():
    data, y, rng = _data()
    problem = _problem()
    trials = [  # one model far better than the other: averaging only adds error
        _trial(problem, data, "extra_trees", y + rng.normal(scale=0.1, size=len(y))),
        _trial(problem, data, "random_forest", y + rng.normal(scale=1.0, size=len(y))),
    ]
    choice, scores = choose(problem, trials, data)
    assert choice.name == "extra_trees"
    assert any(s.name == "blend" for s in scores)


def test_the_simpler_candidate_wins_within_the_spread():
    data, y, rng = _data()
    problem = _problem()
    noise = rng.normal(scale=0.5, size=len(y))
    trials = [  # the same errors, the complex one a hair better: within the spread
        _trial(problem, data, "extra_trees", y + 0.999 * noise),
        _trial(problem, data, "hist_gradient_boosting_tuned", y + noise),
    ]
    choice, _ = choose(problem, trials, data)
    assert choice.name == "hist_gradient_boosting_tuned"


def _imbalanced(n, seed):
    X, y = make_classification(
        n_samples=n, n_features=10, n_informative=4, weights=[0.93], flip_y=0.05, random_state=7
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    frame["label"] = np.where(y == 1, "yes", "no")
    frame["_source_file"], frame["_row"] = "a.csv", np.arange(1, n + 1)
    rows = np.random.default_rng(seed).permutation(n)
    return frame.iloc[rows[: n // 2]].reset_index(drop=True), frame.iloc[rows[n // 2 :]]


def test_calibration_improves_log_loss_of_miscalibrated_probabilities():
    # A logistic regression with balanced class weights overstates the rare class.
    frame, fresh = _imbalanced(4000, seed=0)
    result = train(frame, TrainingOptions(task="binary", target="label", candidates=("linear",)))
    assert "calibration" in result.params
    candidate = next(c for c in candidates_for("binary") if c.name == "linear")
    raw = candidate.build(result.model.numeric_columns, [], 1)
    raw.fit(result.model.prepare(frame), frame["label"])
    truth = fresh["label"].to_numpy()
    calibrated = log_loss(truth, result.model.predict_proba(fresh), labels=["no", "yes"])
    uncalibrated = log_loss(
        truth, raw.predict_proba(result.model.prepare(fresh)), labels=["no", "yes"]
    )
    assert calibrated < uncalibrated


def test_the_saved_model_is_refitted_on_every_row():
    frame = table("regression")
    result = train(
        frame,
        TrainingOptions(
            task="regression", target="label", id_columns=("sample_id",), candidates=("linear",)
        ),
    )
    rows = result.rows
    assert rows["final_fit"] == rows["train"] + rows["held_out"] == len(frame)
    prepare = result.model.estimator.named_steps["prepare"]
    scaler = prepare.named_transformers_["numeric"][-1]
    assert scaler.n_samples_seen_ == rows["final_fit"]
    assert result.held_out.rows == rows["held_out"]


def test_a_blended_calibrated_model_pickles_and_predicts():
    frame, fresh = _imbalanced(1200, seed=1)
    result = train(
        frame,
        TrainingOptions(task="binary", target="label", candidates=("linear", "extra_trees")),
    )
    model = pickle.loads(pickle.dumps(result.model))
    predicted, proba = model.predict_with_proba(fresh)
    assert set(predicted) <= {"no", "yes"}
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert np.array_equal(predicted, model.predict(fresh))


def test_idle_workers_stay_within_the_folds():
    assert 1 <= idle_workers(2) <= 2
    assert idle_workers(1) == 1
