"""Model selection: cross-validate each candidate, cheapest first, within the time budget.

The first candidate always runs. After that a candidate is skipped when the seconds it is
expected to take (the most pessimistic cost per unit seen so far, for its family when one
was timed, times its relative cost) exceed what is left of the budget.
"""

import time
from dataclasses import dataclass, field

import numpy as np

from exception_layer.errors import ValidationError
from project_library.cancellation import check_cancel
from project_library.training import metrics as metric_defs
from project_library.training.candidates import candidates_for, prior_corrected
from project_library.training.model import aligned_proba
from project_library.training.problem import threads_for
from project_library.training.splitting import fold_ids, stratified_sample

DECISION_METRICS = ("balanced_accuracy", "f1_macro")
FIT_ERRORS = (ValueError, ArithmeticError, MemoryError)


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


def select_model(problem, *, progress=None, progress_span=(10, 80)):
    """Cross-validate each candidate within the budget; return (best Candidate, scores)."""
    candidates = candidates_to_try(problem)
    Xs, ys, folds = cv_sample(problem)
    costs, scores, best, best_score = CostModel(), [], None, None
    start, end = progress_span
    for position, candidate in enumerate(candidates):
        check_cancel(problem.cancel)
        if progress:
            progress(
                start + (end - start) * position / len(candidates), f"Trying {candidate.label}"
            )
        expected = costs.expected(candidate)
        if expected is not None and best is not None and expected > problem.clock.remaining:
            scores.append(skipped(problem, candidate, expected))
            continue
        score = try_candidate(problem, candidate, Xs, ys, folds, costs, may_stop=best is not None)
        scores.append(score)
        if score.score is not None and metric_defs.is_better(
            problem.metric, score.score, best_score
        ):
            best, best_score = candidate, score.score
    if best is None:
        raise ValidationError("No candidate model could be trained on this data.")
    return best, scores


def candidates_to_try(problem):
    options = problem.options
    candidates = candidates_for(
        problem.task, balanced=problem.metric != "accuracy", random_state=options.random_state
    )
    if options.candidates:
        candidates = [c for c in candidates if c.name in options.candidates]
    return candidates


def cv_sample(problem):
    """The rows cross-validation uses (a stratified sample of large tables) and their folds."""
    options, y = problem.options, problem.y
    rows = stratified_sample(y, problem.task, options.max_cv_rows, options.random_state)
    if len(rows) < len(y):
        problem.log.info("cv_sample rows=%d of=%d", len(rows), len(y))
    Xs, ys, gs = problem.X.iloc[rows], np.asarray(y)[rows], np.asarray(problem.groups)[rows]
    folds = fold_ids(ys, gs, problem.task, options.cv_folds, options.random_state)
    return Xs, ys, folds


class CostModel:
    """Seconds per relative-cost unit: the most pessimistic seen so far, overall and per
    family of candidates (a better guess when one of the family was timed)."""

    def __init__(self):
        self.unit = None
        self.family = {}

    def expected(self, candidate):
        """Expected seconds for ``candidate``; None before any candidate was timed."""
        if self.unit is None:
            return None
        return self.family.get(candidate.family, self.unit) * candidate.relative_cost

    def observe(self, candidate, seconds, folds_done, cv_folds):
        # Keep the most pessimistic estimate seen so far: costs vary with the data.
        observed = seconds * cv_folds / folds_done / candidate.relative_cost
        self.unit = max(self.unit or 0.0, observed)
        self.family[candidate.family] = max(self.family.get(candidate.family, 0.0), observed)


def skipped(problem, candidate, expected):
    problem.log.info(
        "candidate=%s skipped expected_s=%.1f remaining_s=%.1f",
        candidate.name,
        expected,
        problem.clock.remaining,
    )
    return CandidateScore(
        candidate.name, candidate.label, "skipped", note="did not fit the time budget"
    )


def try_candidate(problem, candidate, Xs, ys, folds, costs, *, may_stop):
    """Cross-validate one candidate; time it, score each decision rule, keep the better."""
    began = time.monotonic()
    fold_scores, status, note = cross_validate(problem, candidate, Xs, ys, folds, may_stop)
    seconds = time.monotonic() - began
    done = len(fold_scores.get("argmax", []))
    if done:
        costs.observe(candidate, seconds, done, problem.options.cv_folds)
    mean, decision = None, "argmax"
    if done and status == "scored":
        mean, decision = best_rule(problem.metric, fold_scores)
    score = CandidateScore(
        candidate.name,
        candidate.label,
        status,
        mean,
        fold_scores.get(decision, []),
        seconds,
        note,
        decision,
    )
    problem.log.info(
        "candidate=%s status=%s cv_%s=%s decision=%s seconds=%.2f",
        candidate.name,
        status,
        problem.metric,
        "n/a" if mean is None else f"{mean:.4f}",
        decision,
        seconds,
    )
    return score


def best_rule(metric, fold_scores):
    """(mean score, rule) of the decision rule with the better mean over the folds."""
    mean, decision = None, "argmax"
    for rule, values in fold_scores.items():
        value = float(np.nanmean(values))
        if mean is None or metric_defs.is_better(metric, value, mean):
            mean, decision = value, rule
    return mean, decision


def cross_validate(problem, candidate, Xs, ys, folds, may_stop):
    """Fold scores per decision rule, and the status ("scored", "failed", "stopped")."""
    fold_scores, status, note = {}, "scored", ""
    for fold in range(problem.options.cv_folds):
        check_cancel(problem.cancel)
        train_rows, test_rows = folds != fold, folds == fold
        pipeline = candidate.build(problem.numeric, problem.categorical, problem.options.n_jobs)
        try:
            with threads_for(int(train_rows.sum())):
                pipeline.fit(Xs[train_rows], ys[train_rows])
            values = evaluate_rules(
                problem.metric,
                problem.task,
                pipeline,
                Xs[test_rows],
                ys[test_rows],
                problem.classes,
                ys[train_rows],
            )
        except FIT_ERRORS as exc:
            status, note = "failed", f"{type(exc).__name__}: {exc}"[:300]
            problem.log.warning("candidate=%s failed error=%s", candidate.name, note)
            break
        for rule, value in values.items():
            fold_scores.setdefault(rule, []).append(value)
        if may_stop and problem.clock.remaining < 0:
            status, note = "stopped", "time budget reached during cross-validation"
            break
    return fold_scores, status, note


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


def evaluate(metric, task, estimator, X, y, classes):
    predicted = estimator.predict(X)
    proba = aligned_proba(estimator, X, classes) if classes is not None else None
    return metric_defs.score(metric, task, y, predicted, proba, classes)
