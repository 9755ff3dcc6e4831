"""Metrics a project can select by, and the full report computed on a held-out split."""

import math

import numpy as np
from sklearn import metrics as skm

from exception_layer.errors import ValidationError

CLASSIFICATION = ("balanced_accuracy", "f1_macro", "roc_auc", "accuracy")
REGRESSION = ("rmse", "mae", "r2")
GREATER_IS_BETTER = {
    "balanced_accuracy": True,
    "f1_macro": True,
    "roc_auc": True,
    "accuracy": True,
    "rmse": False,
    "mae": False,
    "r2": True,
}
LABELS = {
    "balanced_accuracy": "Balanced accuracy",
    "f1_macro": "Macro F1",
    "roc_auc": "ROC AUC",
    "accuracy": "Accuracy",
    "rmse": "RMSE",
    "mae": "MAE",
    "r2": "R²",
}
_ALIASES = {
    "f1": "f1_macro",
    "macro_f1": "f1_macro",
    "f1-macro": "f1_macro",
    "auc": "roc_auc",
    "roc-auc": "roc_auc",
    "balanced-accuracy": "balanced_accuracy",
    "root_mean_squared_error": "rmse",
    "mean_absolute_error": "mae",
}


def is_classification(task):
    return task in ("binary", "multiclass", "classification")


def default_metric(task):
    return "balanced_accuracy" if is_classification(task) else "rmse"


def resolve_metric(name, task):
    """Canonical metric name for ``task``; ValidationError when it does not apply."""
    if not name:
        return default_metric(task)
    key = str(name).strip().lower().replace(" ", "_")
    key = _ALIASES.get(key, key)
    allowed = CLASSIFICATION if is_classification(task) else REGRESSION
    if key not in allowed:
        raise ValidationError(
            f"The metric '{name}' does not apply to a {task} project; choose one of "
            + ", ".join(allowed)
            + "."
        )
    return key


def is_better(metric, candidate, incumbent):
    """True when ``candidate`` beats ``incumbent`` (None or NaN incumbents always lose)."""
    if candidate is None or _nan(candidate):
        return False
    if incumbent is None or _nan(incumbent):
        return True
    if GREATER_IS_BETTER[metric]:
        return candidate > incumbent
    return candidate < incumbent


def _nan(value):
    return isinstance(value, float) and math.isnan(value)


def roc_auc(y_true, proba, classes):
    """ROC AUC (binary), or the macro one-vs-rest mean over the classes present (multiclass)."""
    if proba is None:
        return float("nan")
    y_true = np.asarray(y_true)
    present = [i for i, c in enumerate(classes) if np.any(y_true == c)]
    if len(present) < 2:
        return float("nan")
    if len(classes) == 2:
        return float(skm.roc_auc_score(y_true == classes[1], proba[:, 1]))
    scores = [float(skm.roc_auc_score(y_true == classes[i], proba[:, i])) for i in present]
    return float(np.mean(scores))


def score(metric, task, y_true, y_pred, proba=None, classes=None):
    if metric == "balanced_accuracy":
        return float(skm.balanced_accuracy_score(y_true, y_pred))
    if metric == "f1_macro":
        return float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0))
    if metric == "accuracy":
        return float(skm.accuracy_score(y_true, y_pred))
    if metric == "roc_auc":
        return roc_auc(y_true, proba, classes)
    if metric == "rmse":
        return float(math.sqrt(skm.mean_squared_error(y_true, y_pred)))
    if metric == "mae":
        return float(skm.mean_absolute_error(y_true, y_pred))
    if metric == "r2":
        return float(skm.r2_score(y_true, y_pred))
    raise ValueError(f"unknown metric {metric}")


def report(task, y_true, y_pred, proba=None, classes=None):
    """Every metric that applies to ``task`` (NaN ones left out), rounded for display."""
    names = CLASSIFICATION if is_classification(task) else REGRESSION
    values = {}
    for name in names:
        value = score(name, task, y_true, y_pred, proba, classes)
        if not _nan(value):
            values[name] = round(value, 6)
    return values
