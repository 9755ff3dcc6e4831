"""Train a model for any schema-driven table: clean, select by cross-validation, score.

``train(frame, options, log=..., cancel=..., progress=...)`` is a plain function: the caller
passes the loaded table, a logger-like object, a ``cancel`` callable checked between
candidates and folds, and an optional ``progress(percent, message)`` callable.
"""

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from exception_layer.errors import ValidationError
from project_library.cancellation import check_cancel
from project_library.training import metrics as metric_defs
from project_library.training.candidates import PriorCorrected, candidates_for, prior_corrected
from project_library.training.cleaning import clean_training_table, prepare_features
from project_library.training.splitting import fold_ids, holdout_mask, stratified_sample

logger = logging.getLogger(__name__)

DEFAULT_TIME_BUDGET_S = 120.0
# Below this many rows OpenMP threads cost more than they give (and on a shared machine
# their busy-waiting makes HistGradientBoosting many times slower): fit single-threaded.
SINGLE_THREAD_ROWS = 20_000
STRATEGIES = ("auto", "cluster")


@dataclass
class TrainingOptions:
    task: str
    target: str
    metric: str | None = None
    ignore_columns: tuple = ()
    id_columns: tuple = ()
    time_budget_s: float = DEFAULT_TIME_BUDGET_S
    strategy: str = "auto"
    test_size: float = 0.2
    cv_folds: int = 3
    max_cv_rows: int = 40_000
    random_state: int = 0
    n_jobs: int | None = -1
    candidates: tuple | None = None  # names to restrict to (tests, benchmarks)


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
        X = self.prepare(frame)
        if self.classes is None or not hasattr(self.estimator, "predict_proba"):
            return self.estimator.predict(X), None
        proba = aligned_proba(self.estimator, X, self.classes)
        if isinstance(self.estimator, PriorCorrected):
            return prior_corrected(self.classes, proba, self.estimator.priors), proba
        if hasattr(self.estimator, "named_steps"):  # one plain classifier: argmax is predict
            return np.asarray(self.classes)[np.argmax(proba, axis=1)], proba
        return self.estimator.predict(X), proba  # e.g. one model per cluster, each its rule


@dataclass
class CandidateScore:
    name: str
    label: str
    status: str  # scored | skipped | failed | stopped
    score: float | None = None
    fold_scores: list = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""
    decision: str = "argmax"  # or "prior": argmax of p(class|x) / p(class)

    def to_dict(self):
        return {
            "name": self.name,
            "label": self.label,
            "status": self.status,
            "score": None if self.score is None else round(self.score, 6),
            "fold_scores": [round(s, 6) for s in self.fold_scores],
            "seconds": round(self.seconds, 3),
            "note": self.note,
            "decision": self.decision,
        }


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


DECISION_METRICS = ("balanced_accuracy", "f1_macro")


def evaluate_rules(metric, task, estimator, X, y, classes, y_train):
    """Score of each decision rule: plain argmax, and (for metrics that weigh every class
    alike) the prior-corrected rule, both from one set of fold predictions."""
    scores = {"argmax": evaluate(metric, task, estimator, X, y, classes)}
    if metric in DECISION_METRICS and classes is not None and hasattr(estimator, "predict_proba"):
        proba = aligned_proba(estimator, X, classes)
        labels, counts = np.unique(y_train, return_counts=True)
        share = dict(zip(labels.tolist(), counts / counts.sum(), strict=True))
        priors = np.array([share.get(c, 1.0) for c in classes])
        predicted = prior_corrected(classes, proba, priors)
        scores["prior"] = metric_defs.score(metric, task, y, predicted, proba, classes)
    return scores


def build_final(best, scores, numeric, categorical, n_jobs):
    """The chosen candidate, unfitted, with the decision rule cross-validation preferred."""
    estimator = best.build(numeric, categorical, n_jobs)
    chosen = next((s for s in scores if s.name.endswith(best.name) and s.status == "scored"), None)
    if chosen is not None and chosen.decision == "prior":
        return PriorCorrected(estimator)
    return estimator


def evaluate(metric, task, estimator, X, y, classes):
    predicted = estimator.predict(X)
    proba = aligned_proba(estimator, X, classes) if classes is not None else None
    return metric_defs.score(metric, task, y, predicted, proba, classes)


def public_params(pipeline):
    model = pipeline.named_steps["model"] if hasattr(pipeline, "named_steps") else pipeline
    params = model.get_params(deep=False) if hasattr(model, "get_params") else {}
    return {k: v for k, v in params.items() if v is None or isinstance(v, (bool, int, float, str))}


def threads_for(n_rows):
    return threadpool_limits(limits=1 if n_rows < SINGLE_THREAD_ROWS else None, user_api="openmp")


class _Clock:
    def __init__(self, budget_s):
        self.start = time.monotonic()
        self.budget = float(budget_s)

    @property
    def elapsed(self):
        return time.monotonic() - self.start

    @property
    def remaining(self):
        return self.budget - self.elapsed


def select_model(
    X,
    y,
    groups,
    numeric,
    categorical,
    *,
    task,
    metric,
    classes,
    options,
    clock,
    log,
    cancel,
    progress=None,
    progress_span=(10, 80),
):
    """Cross-validate each candidate within the budget; return (best Candidate, scores)."""
    candidates = candidates_for(
        task, balanced=metric != "accuracy", random_state=options.random_state
    )
    if options.candidates:
        candidates = [c for c in candidates if c.name in options.candidates]
    rows = stratified_sample(y, task, options.max_cv_rows, options.random_state)
    if len(rows) < len(y):
        log.info("cv_sample rows=%d of=%d", len(rows), len(y))
    Xs, ys, gs = X.iloc[rows], np.asarray(y)[rows], np.asarray(groups)[rows]
    folds = fold_ids(ys, gs, task, options.cv_folds, options.random_state)
    scores, best, best_score = [], None, None
    unit_cost = None  # seconds per relative-cost unit: the most pessimistic seen so far
    family_unit = {}  # the same, per family of candidates (a better guess when known)
    start, end = progress_span
    for position, candidate in enumerate(candidates):
        check_cancel(cancel)
        if progress:
            progress(
                start + (end - start) * position / len(candidates), f"Trying {candidate.label}"
            )
        if unit_cost is not None and best is not None:
            unit = family_unit.get(candidate.family, unit_cost)
            expected = unit * candidate.relative_cost
            if expected > clock.remaining:
                log.info(
                    "candidate=%s skipped expected_s=%.1f remaining_s=%.1f",
                    candidate.name,
                    expected,
                    clock.remaining,
                )
                scores.append(
                    CandidateScore(
                        candidate.name,
                        candidate.label,
                        "skipped",
                        note="did not fit the time budget",
                    )
                )
                continue
        began = time.monotonic()
        fold_scores, status, note = {}, "scored", ""
        for fold in range(options.cv_folds):
            check_cancel(cancel)
            train_rows, test_rows = folds != fold, folds == fold
            pipeline = candidate.build(numeric, categorical, options.n_jobs)
            try:
                with threads_for(int(train_rows.sum())):
                    pipeline.fit(Xs[train_rows], ys[train_rows])
                values = evaluate_rules(
                    metric, task, pipeline, Xs[test_rows], ys[test_rows], classes, ys[train_rows]
                )
            except (ValueError, ArithmeticError, MemoryError) as exc:
                status, note = "failed", f"{type(exc).__name__}: {exc}"[:300]
                log.warning("candidate=%s failed error=%s", candidate.name, note)
                break
            for rule, value in values.items():
                fold_scores.setdefault(rule, []).append(value)
            if best is not None and clock.remaining < 0:
                status, note = "stopped", "time budget reached during cross-validation"
                break
        seconds = time.monotonic() - began
        done = len(fold_scores.get("argmax", []))
        if done:
            # Keep the most pessimistic estimate seen so far: costs vary with the data.
            observed = seconds * options.cv_folds / done / candidate.relative_cost
            unit_cost = max(unit_cost or 0.0, observed)
            family_unit[candidate.family] = max(family_unit.get(candidate.family, 0.0), observed)
        mean, decision = None, "argmax"
        if done and status == "scored":
            for rule, values in fold_scores.items():
                value = float(np.nanmean(values))
                if mean is None or metric_defs.is_better(metric, value, mean):
                    mean, decision = value, rule
        scores.append(
            CandidateScore(
                candidate.name,
                candidate.label,
                status,
                mean,
                fold_scores.get(decision, []),
                seconds,
                note,
                decision,
            )
        )
        log.info(
            "candidate=%s status=%s cv_%s=%s decision=%s seconds=%.2f",
            candidate.name,
            status,
            metric,
            "n/a" if mean is None else f"{mean:.4f}",
            decision,
            seconds,
        )
        if mean is not None and metric_defs.is_better(metric, mean, best_score):
            best, best_score = candidate, mean
    if best is None:
        raise ValidationError("No candidate model could be trained on this data.")
    return best, scores


def train(frame, options, *, log=None, cancel=None, progress=None):
    log = log or logger
    clock = _Clock(options.time_budget_s)
    if options.strategy not in STRATEGIES:
        raise ValidationError(f"Unknown training strategy '{options.strategy}'.")
    metric = metric_defs.resolve_metric(options.metric, options.task)
    classify = metric_defs.is_classification(options.task)
    check_cancel(cancel)
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
    y = table.target.to_numpy()
    classes = sorted(np.unique(y).tolist()) if classify else None
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
    if progress:
        progress(10, "Selecting a model")
    numeric, categorical = list(table.numeric_columns), list(table.categorical_columns)
    shared = dict(
        task=options.task,
        metric=metric,
        classes=classes,
        options=options,
        clock=clock,
        log=log,
        cancel=cancel,
    )
    data = (X_train, y_train, groups_train, numeric, categorical)
    if options.strategy == "cluster":
        from project_library.training.clustering import train_clustered

        estimator, name, label, params, scores = train_clustered(
            *data, select=select_model, **shared
        )
    else:
        best, scores = select_model(*data, progress=progress, **shared)
        check_cancel(cancel)
        if progress:
            progress(82, f"Fitting {best.label} on the training split")
        estimator = build_final(best, scores, numeric, categorical, options.n_jobs)
        with threads_for(len(y_train)):
            estimator.fit(X_train, y_train)
        name, label, params = best.name, best.label, public_params(estimator)
        if isinstance(estimator, PriorCorrected):
            params["decision_rule"] = "prior-corrected argmax"
    check_cancel(cancel)
    model = TrainedModel(
        options.task,
        options.target,
        estimator,
        list(table.numeric_columns),
        list(table.categorical_columns),
        classes,
    )
    predicted = estimator.predict(X_test)
    proba = aligned_proba(estimator, X_test, classes) if classify else None
    report = metric_defs.report(options.task, y_test, predicted, proba, classes)
    value = metric_defs.score(metric, options.task, y_test, predicted, proba, classes)
    log.info("held_out estimator=%s %s", name, " ".join(f"{k}={v:.4f}" for k, v in report.items()))
    if progress:
        progress(90, "Scored on the held-out split")
    return TrainingResult(
        model=model,
        metric=metric,
        metric_value=round(float(value), 6),
        metrics=report,
        estimator=name,
        estimator_label=label,
        params=params,
        candidates=scores,
        rows={
            "input": table.rows_in,
            "without_target": table.rows_without_target,
            "duplicates_dropped": table.duplicate_rows,
            "train": int(len(y_train)),
            "held_out": int(len(y_test)),
        },
        dropped_columns=table.dropped,
        strategy=options.strategy,
        seconds=clock.elapsed,
    )
