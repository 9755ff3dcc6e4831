"""Model selection: cross-validate each candidate, cheapest first, within the time budget.

The first candidate always runs. After that a candidate is skipped when the seconds it is
expected to take (the most pessimistic cost per unit seen so far for its family, or the
cheapest unit seen when its family was not timed yet, times its relative cost) exceed what
is left of the budget, or when the best so far is already perfect on every fold. Folds hold
out whole batch files when there are enough files. A candidate's first fold runs alone and
stops it when it trails the best clearly; its other folds run in threads on idle cores.
Each candidate's out-of-fold predictions go to ``choice``, which picks what is fitted.
"""

import os
import time
from dataclasses import dataclass

import numpy as np
from joblib import Parallel, delayed

from exception_layer.errors import ValidationError
from project_library.cancellation import check_cancel
from project_library.training import metrics as metric_defs
from project_library.training.candidates import candidates_for
from project_library.training.choice import CandidateScore, choose
from project_library.training.model import aligned_proba
from project_library.training.oof import (
    best_rule,
    empty_oof,
    perfect,
    pooled_sd,
    rule_scores,
    within,
)
from project_library.training.problem import threads_for
from project_library.training.splitting import cv_folds, stratified_sample

FIT_ERRORS = (ValueError, ArithmeticError, MemoryError)
# A candidate whose first fold trails the best so far by more than this many of the best's
# fold-to-fold standard deviations is stopped there.
STOP_SPREADS = 2.0


@dataclass
class Trial:
    """One candidate's cross-validation: its score and its out-of-fold predictions
    (probabilities aligned to the classes, or values), NaN where a fold was not run."""

    candidate: object
    score: CandidateScore
    oof: np.ndarray | None = None


@dataclass
class CvData:
    X: object
    y: np.ndarray
    folds: np.ndarray
    n_folds: int
    validation: str  # "files" or "rows"


def select_model(problem, *, progress=None, progress_span=(10, 80)):
    """Cross-validate each candidate within the budget; return (Choice, scores)."""
    candidates = candidates_to_try(problem)
    data = cv_sample(problem)
    costs, trials, best = CostModel(), [], None
    start, end = progress_span
    for position, candidate in enumerate(candidates):
        check_cancel(problem.cancel)
        if progress:
            progress(
                start + (end - start) * position / len(candidates), f"Trying {candidate.label}"
            )
        if best is not None and perfect(problem.metric, best.score.fold_scores):
            note = f"{best.candidate.label} was already perfect on every fold"
            trials.append(
                Trial(
                    candidate, CandidateScore(candidate.name, candidate.label, "skipped", note=note)
                )
            )
            continue
        expected = costs.expected(candidate)
        if expected is not None and best is not None and expected > problem.clock.remaining:
            trials.append(Trial(candidate, skipped(problem, candidate, expected)))
            continue
        trial = try_candidate(problem, candidate, data, costs, best, trials)
        trials.append(trial)
        if best is None or (
            trial.score.status == "scored"
            and metric_defs.is_better(problem.metric, trial.score.score, best.score.score)
        ):
            best = trial if trial.score.status == "scored" else best
    if best is None:
        raise ValidationError("No candidate model could be trained on this data.")
    choice, scores = choose(problem, trials, data)
    return choice, scores


def candidates_to_try(problem):
    options = problem.options
    candidates = candidates_for(
        problem.task, balanced=problem.metric != "accuracy", random_state=options.random_state
    )
    if options.candidates:
        candidates = [c for c in candidates if c.name in options.candidates]
    return candidates


def cv_sample(problem):
    """The rows cross-validation uses (a stratified sample of large tables) and their folds:
    whole files per fold when the project has enough of them."""
    options, y = problem.options, problem.y
    rows = stratified_sample(y, problem.task, options.max_cv_rows, options.random_state)
    if len(rows) < len(y):
        problem.log.info("cv_sample rows=%d of=%d", len(rows), len(y))
    Xs, ys, gs = problem.X.iloc[rows], np.asarray(y)[rows], np.asarray(problem.groups)[rows]
    sources = None if problem.sources is None else np.asarray(problem.sources)[rows]
    folds, validation = cv_folds(
        ys, gs, sources, problem.task, options.cv_folds, options.random_state
    )
    problem.log.info("cv validation=%s folds=%d", validation, options.cv_folds)
    return CvData(Xs, ys, folds, options.cv_folds, validation)


class CostModel:
    """Seconds per relative-cost unit: the most pessimistic seen so far, overall and per
    family of candidates (a better guess when one of the family was timed)."""

    def __init__(self):
        self.unit = None
        self.family = {}

    def expected(self, candidate):
        """Expected seconds for ``candidate``; None before any candidate was timed. A family
        not timed yet gets the cheapest unit seen: its first fold runs alone and a budget
        overrun stops it there."""
        if self.unit is None:
            return None
        return self.family.get(candidate.family, min(self.family.values())) * (
            candidate.relative_cost
        )

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


def try_candidate(problem, candidate, data, costs, best, trials=()):
    """Cross-validate one candidate; time it, score each decision rule, keep the better."""
    began = time.monotonic()
    oof, done, status, note = cross_validate(problem, candidate, data, best, trials)
    seconds = time.monotonic() - began
    if done:
        costs.observe(candidate, seconds, len(done), data.n_folds)
    rules = rule_scores(
        problem.metric, problem.task, problem.classes, data.y, oof, data.folds, done
    )
    mean, decision = best_rule(problem.metric, rules) if rules else (None, "argmax")
    score = CandidateScore(
        candidate.name,
        candidate.label,
        status,
        mean if status == "scored" else None,
        rules.get(decision, []),
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
    return Trial(candidate, score, oof)


def cross_validate(problem, candidate, data, best, trials=()):
    """(out-of-fold predictions, folds done, status, note). The first fold runs alone: a
    candidate that cannot win stops there; the others run in parallel on idle cores."""
    oof = empty_oof(problem.classes, len(data.y))
    done = []
    try:
        oof[data.folds == 0] = run_fold(problem, candidate, data, 0, problem.options.n_jobs)
        done.append(0)
        if best is not None:
            reason = cannot_win(problem, data, oof, best, trials)
            if reason:
                return oof, done, "stopped", reason
            if problem.clock.remaining < 0:
                return oof, done, "stopped", "time budget reached during cross-validation"
        rest = list(range(1, data.n_folds))
        workers = idle_workers(len(rest))
        n_jobs = 1 if workers > 1 else problem.options.n_jobs
        results = Parallel(n_jobs=workers, backend="threading")(
            delayed(run_fold)(problem, candidate, data, fold, n_jobs) for fold in rest
        )
    except FIT_ERRORS as exc:
        note = f"{type(exc).__name__}: {exc}"[:300]
        problem.log.warning("candidate=%s failed error=%s", candidate.name, note)
        return oof, done, "failed", note
    for fold, predicted in zip(rest, results, strict=True):
        oof[data.folds == fold] = predicted
        done.append(fold)
    return oof, done, "scored", ""


def run_fold(problem, candidate, data, fold, n_jobs):
    """Fit on the other folds; the fold's aligned probabilities, or predicted values."""
    check_cancel(problem.cancel)
    train_rows = data.folds != fold
    pipeline = candidate.build(problem.numeric, problem.categorical, n_jobs)
    with threads_for(int(train_rows.sum())):
        pipeline.fit(data.X[train_rows], data.y[train_rows])
        test = data.X[~train_rows]
        if problem.classes is not None and hasattr(pipeline, "predict_proba"):
            return aligned_proba(pipeline, test, problem.classes)
        return pipeline.predict(test)


def cannot_win(problem, data, oof, best, trials):
    """Why the candidate is stopped after its first fold, or "" to go on: it trails the
    best so far on that fold by more than STOP_SPREADS fold-to-fold standard deviations
    (pooled over the candidates scored so far)."""
    metric = problem.metric
    rules = rule_scores(metric, problem.task, problem.classes, data.y, oof, data.folds, [0])
    first, _ = best_rule(metric, rules)
    reference = best.score.fold_scores[0]
    scored = [t.score.fold_scores for t in trials if t.score.status == "scored"]
    margin = STOP_SPREADS * pooled_sd(scored or [best.score.fold_scores])
    if within(metric, first, reference, margin):
        return ""
    return f"cannot win: first fold {first:.4f} against {reference:.4f} for {best.candidate.name}"


def idle_workers(tasks):
    """Threads for ``tasks`` folds: the cores the load average leaves idle, counting the
    one this training already uses (at least one, at most ``tasks``)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    idle = (os.cpu_count() or 1) - load + 1
    return max(1, min(tasks, int(idle + 0.5)))
