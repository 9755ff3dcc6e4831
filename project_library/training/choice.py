"""From cross-validated candidates to the model that is fitted: the simplest candidate
within the cross-validation spread of the best, a blend of the two best when it wins, and
calibrated probabilities when they read better.

Every decision reads the candidates' out-of-fold predictions on the same folds.
"""

from dataclasses import dataclass, field

import numpy as np
from sklearn.metrics import log_loss

from project_library.training import metrics as metric_defs
from project_library.training.ensemble import calibrated, fit_calibrator
from project_library.training.oof import best_rule, complete, rule_scores, spread, within

# Above every single candidate: a blend is fitted and predicted twice.
BLEND_COMPLEXITY = 100
# Calibrated probabilities are kept when they cut the out-of-fold log loss by this share.
CALIBRATION_MIN_GAIN = 0.01
PROBABILITY_METRICS = ("roc_auc",)


@dataclass
class CandidateScore:
    name: str
    label: str
    status: str  # scored | skipped | failed | stopped
    score: float | None = None
    fold_scores: list = field(default_factory=list)
    seconds: float = 0.0
    note: str = ""
    decision: str = "argmax"  # "prior" or "prior:0.5": argmax of p(class | x) / p(class) ** power

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
class Choice:
    """What is fitted: one candidate or a blend of two, its decision rule, its calibrator."""

    members: list
    name: str
    label: str
    decision: str = "argmax"
    calibrator: object = None


@dataclass
class Option:
    complexity: int
    score: CandidateScore
    members: list
    oof: np.ndarray


def choose(problem, trials, data):
    """(Choice, every CandidateScore including the blend's when one was scored)."""
    scores = [t.score for t in trials]
    options = [
        Option(t.candidate.complexity, t.score, [t.candidate], t.oof)
        for t in trials
        if t.score.status == "scored" and t.score.score is not None
    ]
    blend = blend_of_best_two(problem, options, data)
    if blend is not None:
        scores.append(blend.score)
        options.append(blend)
    picked, best = simplest_within_spread(problem.metric, options)
    pooled = spread([o.score.fold_scores for o in options], data.n_folds)
    if picked is not best:
        problem.log.info(
            "simpler candidate=%s cv=%.4f within the spread of best=%s cv=%.4f",
            picked.score.name,
            picked.score.score,
            best.score.name,
            best.score.score,
        )
    choice = Choice(
        [m for m in picked.members], picked.score.name, picked.score.label, picked.score.decision
    )
    if problem.classes is not None and complete(picked.oof) and picked.oof.ndim == 2:
        calibrate(problem, choice, picked, data, pooled)
    return choice, scores


def blend_of_best_two(problem, options, data):
    """The average of the two best candidates' out-of-fold predictions, scored on the same
    folds, as one more option; None with fewer than two complete candidates."""
    sign = 1.0 if metric_defs.GREATER_IS_BETTER[problem.metric] else -1.0
    ranked = sorted(
        (o for o in options if complete(o.oof)), key=lambda o: sign * o.score.score, reverse=True
    )
    if len(ranked) < 2:
        return None
    first, second = ranked[:2]
    oof = (first.oof + second.oof) / 2
    done = range(data.n_folds)
    rules = rule_scores(
        problem.metric, problem.task, problem.classes, data.y, oof, data.folds, done
    )
    mean, decision = best_rule(problem.metric, rules)
    score = CandidateScore(
        "blend",
        f"Blend of {first.score.label} and {second.score.label}",
        "scored",
        mean,
        rules[decision],
        0.0,
        "average of the two best candidates' out-of-fold predictions",
        decision,
    )
    problem.log.info(
        "candidate=blend members=%s,%s cv_%s=%.4f decision=%s",
        first.score.name,
        second.score.name,
        problem.metric,
        mean,
        decision,
    )
    return Option(BLEND_COMPLEXITY, score, first.members + second.members, oof)


def simplest_within_spread(metric, options):
    """(the simplest option whose score is within one standard error of the best's, best):
    the one-standard-error rule, with the spread pooled over the options."""
    best = None
    for option in options:
        if best is None or metric_defs.is_better(metric, option.score.score, best.score.score):
            best = option
    margin = spread([o.score.fold_scores for o in options], len(best.score.fold_scores))
    close = [o for o in options if within(metric, o.score.score, best.score.score, margin)]
    sign = 1.0 if metric_defs.GREATER_IS_BETTER[metric] else -1.0
    return min(close, key=lambda o: (o.complexity, -sign * o.score.score)), best


def calibrate(problem, choice, picked, data, margin):
    """Keep a calibrator (fitted on every out-of-fold probability) when the calibrated
    probabilities, cross-fitted over the folds, cut the log loss (and, for a metric read
    from the probabilities, keep it within its spread). Decisions keep the chosen rule on
    the model's own probabilities, so the selection's other metrics do not move."""
    classes, y, folds = problem.classes, data.y, data.folds
    crossed = np.full_like(picked.oof, np.nan)
    for fold in range(data.n_folds):
        test = folds == fold
        if len(np.unique(y[~test])) < 2:
            return
        calibrator = fit_calibrator(picked.oof[~test], y[~test])
        crossed[test] = calibrated(calibrator, picked.oof[test], classes)
    before = log_loss(y, np.clip(picked.oof, 1e-15, 1), labels=classes)
    after = log_loss(y, np.clip(crossed, 1e-15, 1), labels=classes)
    kept = after < before * (1 - CALIBRATION_MIN_GAIN)
    if kept and problem.metric in PROBABILITY_METRICS:
        done = range(data.n_folds)
        rules = rule_scores(problem.metric, problem.task, classes, y, crossed, folds, done)
        mean, _ = best_rule(problem.metric, rules)
        kept = within(problem.metric, mean, picked.score.score, margin)
    problem.log.info("calibration log_loss_before=%.4f after=%.4f kept=%s", before, after, kept)
    if kept:
        choice.calibrator = fit_calibrator(picked.oof, y)
        note = f"probabilities calibrated (out-of-fold log loss {before:.4f} -> {after:.4f})"
        score = picked.score
        score.note = f"{score.note}; {note}" if score.note else note
