"""Estimators built from other estimators: a blend of two, and calibrated probabilities.

Both are pickled inside a ``TrainedModel``; keep them importable from here.
"""

import numpy as np
from sklearn.linear_model import LogisticRegression

from project_library.training.model import aligned_proba

PROBA_FLOOR = 1e-15
# Light regularisation: the calibrator has one or a few inputs per class and many rows.
CALIBRATION_C = 10.0


class Blend:
    """The average of the members' probabilities (classification) or predictions."""

    def __init__(self, members):
        self.members = members
        self.classes_ = None

    def fit(self, X, y):
        for member in self.members:
            member.fit(X, y)
        classes = getattr(self.members[0], "classes_", None)
        self.classes_ = None if classes is None else np.asarray(classes)
        return self

    def predict_proba(self, X):
        classes = list(self.classes_)
        return np.mean([aligned_proba(m, X, classes) for m in self.members], axis=0)

    def predict(self, X):
        if self.classes_ is None:
            return np.mean([m.predict(X) for m in self.members], axis=0)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def calibration_features(proba):
    """What the calibrator reads: the log-odds of the second class (binary, so the mapping
    stays monotone and ROC AUC unchanged), or every class's log-probability."""
    proba = np.clip(np.asarray(proba, dtype=float), PROBA_FLOOR, 1.0)
    if proba.shape[1] == 2:
        return (np.log(proba[:, 1]) - np.log(proba[:, 0])).reshape(-1, 1)
    return np.log(proba)


def fit_calibrator(proba, y):
    """A logistic regression from the (out-of-fold) probabilities to the labels: Platt
    scaling for two classes, its multinomial form (matrix scaling) for more."""
    return LogisticRegression(C=CALIBRATION_C, max_iter=1000).fit(calibration_features(proba), y)


def calibrated(calibrator, proba, classes):
    """``proba`` mapped through ``calibrator``, one column per entry of ``classes``."""
    raw = calibrator.predict_proba(calibration_features(proba))
    own = list(calibrator.classes_)
    if own == list(classes):
        return raw
    out = np.zeros((raw.shape[0], len(classes)))
    for j, c in enumerate(own):
        out[:, list(classes).index(c)] = raw[:, j]
    return out


class Calibrated:
    """A classifier whose probabilities go through a calibrator fitted beforehand on
    out-of-fold probabilities (as ``CalibratedClassifierCV(ensemble=False)`` does), while
    its decisions stay those of its own rule: ``fit`` refits the classifier only."""

    def __init__(self, estimator, calibrator, classes):
        self.estimator = estimator
        self.calibrator = calibrator
        self.classes_ = np.asarray(classes)

    def fit(self, X, y):
        self.estimator.fit(X, y)
        return self

    def predict_proba(self, X):
        classes = list(self.classes_)
        return calibrated(self.calibrator, aligned_proba(self.estimator, X, classes), classes)

    def predict(self, X):
        return self.estimator.predict(X)
