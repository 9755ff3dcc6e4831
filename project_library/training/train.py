"""Train a model for any schema-driven table: clean, split, select (or cluster), fit, score.

``train(frame, options, log=..., cancel=..., progress=...)`` is a plain function: the caller
passes the loaded table, a logger-like object, a ``cancel`` callable checked between
candidates and folds, and an optional ``progress(percent, message)`` callable.

The steps live in their own modules: ``cleaning`` and ``splitting`` shape the rows,
``selection`` cross-validates the candidates within the budget (by batch file where there
are enough files), ``choice`` picks among them (simplest within the spread, a blend, a
calibrator), ``final`` fits the choice, ``clustering`` does both per cluster, ``model`` is
what gets pickled. The held-out rows score the model fitted on the training split; the
saved model is then fitted again on every row. Each step reads one ``problem.Problem``.
"""

import logging
from dataclasses import dataclass

import numpy as np

from exception_layer.errors import ValidationError
from project_library.cancellation import check_cancel
from project_library.training import metrics as metric_defs
from project_library.training.cleaning import clean_training_table
from project_library.training.clustering import train_clustered
from project_library.training.evaluation import HeldOut, Importance, held_out, permutation
from project_library.training.final import fit_final
from project_library.training.model import TrainedModel, aligned_proba
from project_library.training.problem import Clock, Problem, TrainingOptions
from project_library.training.selection import CandidateScore, select_model
from project_library.training.splitting import holdout_mask

__all__ = [
    "CandidateScore",
    "HeldOut",
    "Importance",
    "TrainedModel",
    "TrainingOptions",
    "TrainingResult",
    "aligned_proba",
    "train",
]

logger = logging.getLogger(__name__)

STRATEGIES = ("auto", "cluster")
# Permutation importance may take this share of the training's time so far (at least 1 s).
IMPORTANCE_SHARE = 0.05
IMPORTANCE_MIN_S = 1.0


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
    held_out: HeldOut | None = None
    importance: Importance | None = None
    reference: object = None  # the training split's features, for the drift profile

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
    (X_train, y_train, groups_train, sources), (X_test, y_test) = split(
        table, y, options, metric, log
    )
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
        sources=sources,
    )
    fitted = select_and_fit(problem, progress)
    check_cancel(cancel)
    evaluation, value = score_held_out(problem, fitted, X_test, y_test)
    if progress:
        progress(88, "Measuring which columns the model relies on")
    importance = measure_importance(problem, fitted, X_test, y_test)
    check_cancel(cancel)
    if progress:
        progress(94, f"Fitting {fitted.label} on every row")
    model = TrainedModel(
        options.task,
        options.target,
        refit_all(problem, fitted, table.features, y),
        list(table.numeric_columns),
        list(table.categorical_columns),
        classes,
    )
    return TrainingResult(
        model=model,
        metric=metric,
        metric_value=round(float(value), 6),
        metrics=evaluation.metrics,
        estimator=fitted.name,
        estimator_label=fitted.label,
        params=fitted.params,
        candidates=fitted.scores,
        rows=row_counts(table, y_train, y_test),
        dropped_columns=table.dropped,
        strategy=options.strategy,
        seconds=clock.elapsed,
        held_out=evaluation,
        importance=importance,
        reference=X_train,
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
    sources = None if table.sources is None else table.sources[~held_out]
    log.info(
        "split train_rows=%d held_out_rows=%d metric=%s budget_s=%.0f strategy=%s",
        len(y_train),
        len(y_test),
        metric,
        options.time_budget_s,
        options.strategy,
    )
    return (X_train, y_train, groups_train, sources), (X_test, y_test)


def select_and_fit(problem, progress):
    """One model chosen by cross-validation and fitted, or one per cluster: a ``Fitted``."""
    if problem.options.strategy == "cluster":
        return train_clustered(problem)
    choice, scores = select_model(problem, progress=progress)
    check_cancel(problem.cancel)
    if progress:
        progress(82, f"Fitting {choice.label} on the training split")
    return fit_final(problem, choice, scores)


def refit_all(problem, fitted, X, y):
    """The chosen model fitted again on every accepted row (training split and held-out):
    the held-out rows scored the choice; the saved model learns from them too. A model per
    cluster is kept as fitted on the training split."""
    if fitted.choice is None:
        return fitted.estimator
    refit = fit_final(problem, fitted.choice, fitted.scores, X, y)
    problem.log.info("final_fit estimator=%s rows=%d", fitted.name, len(y))
    return refit.estimator


def score_held_out(problem, fitted, X_test, y_test):
    """(the held-out rows' predictions with the full metric report, selection metric value)."""
    task, classes = problem.task, problem.classes
    evaluation = held_out(task, problem.metric, classes, fitted.estimator, X_test, y_test, {})
    predicted, proba = evaluation.predicted, evaluation.proba
    report = metric_defs.report(task, y_test, predicted, proba, classes)
    value = metric_defs.score(problem.metric, task, y_test, predicted, proba, classes)
    problem.log.info(
        "held_out estimator=%s %s", fitted.name, " ".join(f"{k}={v:.4f}" for k, v in report.items())
    )
    evaluation.metrics = report
    return evaluation, value


def measure_importance(problem, fitted, X_test, y_test):
    """Permutation importance on the held-out rows, or None when it cannot be measured."""
    try:
        importance = permutation(
            fitted.estimator,
            X_test,
            y_test,
            task=problem.task,
            metric=problem.metric,
            classes=problem.classes,
            budget_s=max(IMPORTANCE_MIN_S, IMPORTANCE_SHARE * problem.clock.elapsed),
            random_state=problem.options.random_state,
        )
    except (ValueError, ArithmeticError, MemoryError) as exc:
        problem.log.warning("importance skipped error=%s", f"{type(exc).__name__}: {exc}"[:200])
        return None
    problem.log.info(
        "importance features=%d repeats=%d rows=%d seconds=%.2f",
        len(importance.features),
        importance.repeats,
        importance.rows,
        importance.seconds,
    )
    return importance


def row_counts(table, y_train, y_test):
    return {
        "input": table.rows_in,
        "without_target": table.rows_without_target,
        "duplicates_dropped": table.duplicate_rows,
        "train": int(len(y_train)),
        "held_out": int(len(y_test)),
        "final_fit": int(len(y_train) + len(y_test)),
    }
