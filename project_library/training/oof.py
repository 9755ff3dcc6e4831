"""Scores of out-of-fold predictions: per fold, per decision rule.

Cross-validation keeps each candidate's out-of-fold predictions (class probabilities aligned
to the classes, or values), so candidates, their blend and their calibrated probabilities
are all scored the same way, on the same folds.
"""

import numpy as np

from project_library.training import metrics as metric_defs
from project_library.training.candidates import prior_corrected

DECISION_METRICS = ("balanced_accuracy", "f1_macro")
# Prior corrections tried: dividing by the class share to this power ("prior" is 1).
PRIOR_POWERS = {"prior:0.5": 0.5, "prior": 1.0}
PERFECT = {"balanced_accuracy": 1.0, "f1_macro": 1.0, "accuracy": 1.0, "roc_auc": 1.0}


def empty_oof(classes, rows):
    if classes is None:
        return np.full(rows, np.nan)
    return np.full((rows, len(classes)), np.nan)


def complete(oof):
    return oof is not None and not np.isnan(oof).any()


def class_shares(y, classes):
    labels, counts = np.unique(np.asarray(y), return_counts=True)
    share = dict(zip(labels.tolist(), counts / counts.sum(), strict=True))
    return np.array([share.get(c, 1.0) for c in classes])


def rule_scores(metric, task, classes, y, oof, folds, done):
    """{rule: [score of each fold in ``done``]}: plain argmax (or the values, regression),
    and for metrics that weigh every class alike the prior-corrected rules, whose priors
    come from the fold's training rows."""
    out = {}
    for fold in done:
        test = folds == fold
        if classes is None:
            value = metric_defs.score(metric, task, y[test], oof[test])
            out.setdefault("argmax", []).append(value)
            continue
        proba = oof[test]
        predicted = np.asarray(classes)[np.argmax(proba, axis=1)]
        value = metric_defs.score(metric, task, y[test], predicted, proba, classes)
        out.setdefault("argmax", []).append(value)
        if metric not in DECISION_METRICS:
            continue
        shares = class_shares(y[~test], classes)
        for rule, power in PRIOR_POWERS.items():
            adjusted = prior_corrected(classes, proba, shares**power)
            value = metric_defs.score(metric, task, y[test], adjusted, proba, classes)
            out.setdefault(rule, []).append(value)
    return out


def best_rule(metric, fold_scores):
    """(mean score, rule) of the decision rule with the better mean over the folds."""
    mean, decision = None, "argmax"
    for rule, values in fold_scores.items():
        value = float(np.nanmean(values))
        if mean is None or metric_defs.is_better(metric, value, mean):
            mean, decision = value, rule
    return mean, decision


def fold_sd(fold_scores):
    """The standard deviation of a candidate's fold scores (None for fewer than two)."""
    values = np.asarray(fold_scores, dtype=float)
    values = values[np.isfinite(values)]
    return float(values.std(ddof=1)) if len(values) >= 2 else None


def pooled_sd(score_lists):
    """The median fold-to-fold standard deviation over candidates: three folds make one
    candidate's spread a poor estimate, the folds' difficulty is shared by all."""
    sds = [sd for sd in map(fold_sd, score_lists) if sd is not None]
    return float(np.median(sds)) if sds else 0.0


def spread(score_lists, n_folds):
    """The standard error of a mean over ``n_folds`` folds, from the pooled spread."""
    return pooled_sd(score_lists) / np.sqrt(max(n_folds, 1))


def perfect(metric, fold_scores):
    """True when every fold reached the metric's best possible value: nothing can win."""
    best = PERFECT.get(metric)
    return best is not None and bool(fold_scores) and all(v == best for v in fold_scores)


def within(metric, value, reference, margin):
    """True when ``value`` is not worse than ``reference`` by more than ``margin``."""
    sign = 1.0 if metric_defs.GREATER_IS_BETTER[metric] else -1.0
    return sign * (reference - value) <= margin
