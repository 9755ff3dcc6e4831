"""The fitted model that is pickled, and class probabilities aligned to the known classes."""

from dataclasses import dataclass

import numpy as np

from project_library.training.candidates import PriorCorrected, prior_corrected
from project_library.training.cleaning import prepare_features


@dataclass
class TrainedModel:
    """What is pickled: the fitted estimator plus how to shape a table for it."""

    task: str
    target: str
    estimator: object
    numeric_columns: list
    categorical_columns: list
    classes: list | None = None

    @property
    def feature_columns(self):
        return [*self.numeric_columns, *self.categorical_columns]

    def prepare(self, frame):
        return prepare_features(frame, self.numeric_columns, self.categorical_columns)

    def predict(self, frame):
        return self.estimator.predict(self.prepare(frame))

    def predict_proba(self, frame):
        if self.classes is None:
            return None
        return aligned_proba(self.estimator, self.prepare(frame), self.classes)

    def predict_with_proba(self, frame):
        """(predictions, probabilities or None), computing the probabilities only once."""
        return predict_with_proba(self.estimator, self.prepare(frame), self.classes)


def predict_with_proba(estimator, X, classes):
    """(predictions, aligned probabilities or None) of a prepared frame, computing the
    probabilities once and deriving the predictions from them where the rule allows."""
    if classes is None or not hasattr(estimator, "predict_proba"):
        return estimator.predict(X), None
    proba = aligned_proba(estimator, X, classes)
    if isinstance(estimator, PriorCorrected):
        return prior_corrected(classes, proba, estimator.priors), proba
    if hasattr(estimator, "named_steps"):  # one plain classifier: argmax is predict
        return np.asarray(classes)[np.argmax(proba, axis=1)], proba
    return estimator.predict(X), proba  # e.g. one model per cluster, each its rule


def aligned_proba(estimator, X, classes):
    """predict_proba with one column per entry of ``classes`` (missing classes get 0)."""
    if not hasattr(estimator, "predict_proba"):
        return None
    raw = estimator.predict_proba(X)
    own = list(getattr(estimator, "classes_", classes))
    if own == list(classes):
        return raw
    out = np.zeros((raw.shape[0], len(classes)))
    index = {c: i for i, c in enumerate(classes)}
    for j, c in enumerate(own):
        out[:, index[c]] = raw[:, j]
    return out
