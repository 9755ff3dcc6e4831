"""Train a model for any schema-driven table: clean, split, select (or cluster), fit, score.

``train(frame, options, log=..., cancel=..., progress=...)`` is a plain function: the caller
passes the loaded table, a logger-like object, a ``cancel`` callable checked between
candidates and folds, and an optional ``progress(percent, message)`` callable.

The steps live in their own modules: ``cleaning`` and ``splitting`` shape the rows,
``selection`` cross-validates the candidates within the budget, ``final`` fits the chosen
one, ``clustering`` does both per cluster, ``model`` is what gets pickled. Each step reads
one ``problem.Problem``.
"""

import logging
from dataclasses import dataclass

import numpy as np

from exception_layer.errors import ValidationError
from project_library.cancellation import check_cancel
from project_library.training import metrics as metric_defs
from project_library.training.cleaning import clean_training_table
from project_library.training.clustering import train_clustered
from project_library.training.final import fit_final
from project_library.training.model import TrainedModel, aligned_proba
from project_library.training.problem import Clock, Problem, TrainingOptions
from project_library.training.selection import CandidateScore, select_model
from project_library.training.splitting import holdout_mask

__all__ = [
    "CandidateScore",
    "TrainedModel",
    "TrainingOptions",
    "TrainingResult",
    "aligned_proba",
    "train",
]

logger = logging.getLogger(__name__)

STRATEGIES = ("auto", "cluster")


@dataclass
class TrainingResult:
    model: TrainedModel
    metric: str
    metric_value: float
    metrics: dict
    estimator: str
    estimator_label: str
    params: dict
    candidates: list
    rows: dict
    dropped_columns: dict
    strategy: str
    seconds: float

    def summary(self):
        return {
            "metric": self.metric,
            "metric_value": self.metric_value,
            "metrics": self.metrics,
            "estimator": self.estimator,
            "estimator_label": self.estimator_label,
            "params": self.params,
            "candidates": [c.to_dict() for c in self.candidates],
            "rows": self.rows,
            "dropped_columns": self.dropped_columns,
            "strategy": self.strategy,
            "seconds": round(self.seconds, 3),
            "feature_columns": self.model.feature_columns,
            "classes": self.model.classes,
        }


def train(frame, options, *, log=None, cancel=None, progress=None):
    log = log or logger
    clock = Clock(options.time_budget_s)
    if options.strategy not in STRATEGIES:
        raise ValidationError(f"Unknown training strategy '{options.strategy}'.")
    metric = metric_defs.resolve_metric(options.metric, options.task)
    check_cancel(cancel)
    table = clean(frame, options, log)
    y = table.target.to_numpy()
    classify = metric_defs.is_classification(options.task)
    classes = sorted(np.unique(y).tolist()) if classify else None
    (X_train, y_train, groups_train), (X_test, y_test) = split(table, y, options, metric, log)
    if progress:
        progress(10, "Selecting a model")
    problem = Problem(
        X=X_train,
        y=y_train,
        groups=groups_train,
        numeric=list(table.numeric_columns),
        categorical=list(table.categorical_columns),
        task=options.task,
        metric=metric,
        classes=classes,
        options=options,
        clock=clock,
        cancel=cancel,
        log=log,
    )
    fitted = select_and_fit(problem, progress)
    check_cancel(cancel)
    model = TrainedModel(
        options.task,
        options.target,
        fitted.estimator,
        list(table.numeric_columns),
        list(table.categorical_columns),
        classes,
    )
    report, value = score_held_out(problem, fitted, X_test, y_test)
    if progress:
        progress(90, "Scored on the held-out split")
    return TrainingResult(
        model=model,
        metric=metric,
        metric_value=round(float(value), 6),
        metrics=report,
        estimator=fitted.name,
        estimator_label=fitted.label,
        params=fitted.params,
        candidates=fitted.scores,
        rows=row_counts(table, y_train, y_test),
        dropped_columns=table.dropped,
        strategy=options.strategy,
        seconds=clock.elapsed,
    )


def clean(frame, options, log):
    """The cleaned table (features, target, duplicate groups), with what was dropped logged."""
    table = clean_training_table(
        frame,
        task=options.task,
        target=options.target,
        ignore_columns=options.ignore_columns,
        id_columns=options.id_columns,
    )
    for column, reason in table.dropped.items():
        log.info("column_dropped column=%s reason=%s", column, reason)
    log.info(
        "clean rows_in=%d without_target=%d duplicates=%d rows=%d features=%d categorical=%d",
        table.rows_in,
        table.rows_without_target,
        table.duplicate_rows,
        len(table.target),
        len(table.features.columns),
        len(table.categorical_columns),
    )
    return table


def split(table, y, options, metric, log):
    """((X, y, groups) to train on, (X, y) held out for scoring); duplicates never straddle."""
    held_out = holdout_mask(y, table.groups, options.task, options.test_size, options.random_state)
    if held_out.sum() == 0 or (~held_out).sum() < 2:
        raise ValidationError("Too few distinct rows to hold some out for scoring.")
    X_train, y_train = table.features[~held_out], y[~held_out]
    X_test, y_test = table.features[held_out], y[held_out]
    groups_train = table.groups[~held_out]
    log.info(
        "split train_rows=%d held_out_rows=%d metric=%s budget_s=%.0f strategy=%s",
        len(y_train),
        len(y_test),
        metric,
        options.time_budget_s,
        options.strategy,
    )
    return (X_train, y_train, groups_train), (X_test, y_test)


def select_and_fit(problem, progress):
    """One model chosen by cross-validation and fitted, or one per cluster: a ``Fitted``."""
    if problem.options.strategy == "cluster":
        return train_clustered(problem)
    best, scores = select_model(problem, progress=progress)
    check_cancel(problem.cancel)
    if progress:
        progress(82, f"Fitting {best.label} on the training split")
    return fit_final(problem, best, scores)


def score_held_out(problem, fitted, X_test, y_test):
    """(full metric report, value of the selection metric) on the held-out rows."""
    estimator, classes = fitted.estimator, problem.classes
    predicted = estimator.predict(X_test)
    classify = metric_defs.is_classification(problem.task)
    proba = aligned_proba(estimator, X_test, classes) if classify else None
    report = metric_defs.report(problem.task, y_test, predicted, proba, classes)
    value = metric_defs.score(problem.metric, problem.task, y_test, predicted, proba, classes)
    problem.log.info(
        "held_out estimator=%s %s", fitted.name, " ".join(f"{k}={v:.4f}" for k, v in report.items())
    )
    return report, value


def row_counts(table, y_train, y_test):
    return {
        "input": table.rows_in,
        "without_target": table.rows_without_target,
        "duplicates_dropped": table.duplicate_rows,
        "train": int(len(y_train)),
        "held_out": int(len(y_test)),
    }
