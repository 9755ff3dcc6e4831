"""Held-out results of real (small) sklearn models, built the way training builds them.

Each case fits a HistGradientBoosting model on generated data and goes through
``evaluation.held_out`` and ``evaluation.permutation``, as the platform does after training.
"""

import numpy as np
import pandas as pd
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from project_library.training import evaluation, metrics
from project_library.training.model import aligned_proba
from project_library.training.selection import CandidateScore

HOSTILE = "<script>alert(1)</script>"
BINARY_CLASSES = [HOSTILE, "benign"]
MULTICLASS_CLASSES = ["setosa", "versicolor", "virginica", "vanished"]
ABSENT = "vanished"  # a class the model knows that has no held-out rows


def frame(X):
    return pd.DataFrame(X, columns=[f"sensor_{i}" for i in range(X.shape[1])])


def classification_case(names, *, absent=None, rows=480, seed=0):
    X, codes = make_classification(
        rows,
        6,
        n_informative=4,
        n_redundant=0,
        n_classes=len(names),
        n_clusters_per_class=1,
        random_state=seed,
    )
    y = np.array(names, dtype=object)[codes]
    X = frame(X)
    classes = sorted(set(y))
    test = np.arange(rows) % 4 == 0
    train = ~test
    if absent is not None:
        test &= y != absent
    model = HistGradientBoostingClassifier(max_iter=25, random_state=0)
    model.fit(X[train], y[train])
    task = "binary" if len(names) == 2 else "multiclass"
    metric = "balanced_accuracy"
    predicted = model.predict(X[test])
    proba = aligned_proba(model, X[test], classes)
    report = metrics.report(task, y[test], predicted, proba, classes)
    held = evaluation.held_out(task, metric, classes, model, X[test], y[test], report)
    importance = evaluation.permutation(
        model, X[test], y[test], task=task, metric=metric, classes=classes
    )
    return held, importance


def regression_case(rows=480, seed=0):
    X, y = make_regression(rows, 6, n_informative=4, noise=15, random_state=seed)
    X = frame(X)
    test = np.arange(rows) % 4 == 0
    model = HistGradientBoostingRegressor(max_iter=40, random_state=0).fit(X[~test], y[~test])
    report = metrics.report("regression", y[test], model.predict(X[test]))
    held = evaluation.held_out("regression", "rmse", None, model, X[test], y[test], report)
    importance = evaluation.permutation(
        model, X[test], y[test], task="regression", metric="rmse", classes=None
    )
    return held, importance


def candidates():
    """Every status selection can report, as ``CandidateScore.to_dict()`` gives them."""
    return [
        CandidateScore(
            "logistic", "Logistic regression", "scored", 0.81, [0.8, 0.83, 0.8], 1.2
        ).to_dict(),
        CandidateScore(
            "hist_gradient_boosting",
            "Histogram gradient boosting",
            "scored",
            0.9,
            [0.89, 0.91, 0.9],
            3.4,
            decision="prior",
        ).to_dict(),
        CandidateScore(
            "extra_trees",
            "Extra trees",
            "stopped",
            None,
            [0.86, 0.87],
            9.0,
            "time budget reached during cross-validation",
        ).to_dict(),
        CandidateScore(
            "svm",
            "Support vector machine",
            "failed",
            None,
            [],
            0.2,
            "ValueError: Input contains NaN",
        ).to_dict(),
        CandidateScore(
            "random_forest", "Random forest", "skipped", note="did not fit the time budget"
        ).to_dict(),
    ]


CHOSEN = "hist_gradient_boosting"


def wide_multiclass(classes=50, rows=10_000, seed=1):
    """A held-out result with many classes and rows (probabilities generated, not fitted)."""
    rng = np.random.default_rng(seed)
    names = [f"category {i:02d}" for i in range(classes)]
    weights = np.r_[[0.3], np.full(classes - 1, 0.7 / (classes - 1))]
    truth = rng.choice(classes, rows, p=weights)
    logits = rng.normal(size=(rows, classes))
    logits[np.arange(rows), truth] += 2.5
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array(names, dtype=object)
    return evaluation.HeldOut(
        "multiclass", "f1_macro", names, labels[truth], labels[proba.argmax(axis=1)], proba, {}
    )


def big_regression(rows=10_000, seed=2):
    rng = np.random.default_rng(seed)
    actual = rng.normal(50, 10, rows)
    predicted = actual + rng.normal(0, 3, rows)
    return evaluation.HeldOut("regression", "rmse", None, actual, predicted, None, {})


def wide_importance(columns=60):
    rng = np.random.default_rng(3)
    return evaluation.Importance(
        "f1_macro",
        [f"column_{i}" for i in range(columns)],
        list(rng.random(columns)),
        list(rng.random(columns) * 0.1),
        2,
        2_000,
        1.0,
    )
