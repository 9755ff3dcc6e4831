"""What a model version did on the rows held out from its training, kept for reports and drift.

``HeldOut`` carries the held-out truth, predictions and class probabilities exactly as the
version was scored on them; ``Importance`` is permutation importance measured on those same
rows with the project's selection metric (a drop in the metric when a column is shuffled), so
it says what the model relies on, not what the trees happened to split on.
"""

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from project_library.training import metrics as metric_defs
from project_library.training.model import predict_with_proba
from project_library.training.problem import threads_for

# Permutation importance is measured on at most this many held-out rows, and repeats shrink
# with the number of columns so a wide table costs about as much as a narrow one.
IMPORTANCE_MAX_ROWS = 2_000
IMPORTANCE_REPEATS = 5
IMPORTANCE_MIN_REPEATS = 2
IMPORTANCE_PREDICTIONS = 400  # repeats x columns
IMPORTANCE_MIN_ROWS = 200
IMPORTANCE_MIN_COLUMNS = 20  # a table too wide for the budget still gets this many measured
SCREEN_SHARE = 0.1  # a group whose shuffle cost this share of the worst group's drop is kept
TIMING_ROWS = 2_000
STACKED_ROWS = 200_000  # rows predicted in one call (shuffled copies stacked together)


@dataclass
class HeldOut:
    """The held-out rows' truth, predictions and (classification) aligned probabilities."""

    task: str
    metric: str
    classes: list | None
    y_true: np.ndarray
    predicted: np.ndarray
    proba: np.ndarray | None
    metrics: dict

    @property
    def rows(self):
        return len(self.y_true)


@dataclass
class Importance:
    """Mean and spread over repeats of the metric's drop when each feature is shuffled."""

    metric: str
    features: list
    mean: list
    std: list
    repeats: int
    rows: int
    seconds: float

    def to_dict(self):
        return {
            "metric": self.metric,
            "repeats": self.repeats,
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "features": [
                {"name": name, "mean": round(float(m), 6), "std": round(float(s), 6)}
                for name, m, s in zip(self.features, self.mean, self.std, strict=True)
            ],
        }

    def weights(self):
        """Each feature's share of the positive importance (sums to 1; all zero if none)."""
        positive = np.clip(np.asarray(self.mean, dtype=float), 0, None)
        total = positive.sum()
        shares = positive / total if total > 0 else np.zeros_like(positive)
        return dict(zip(self.features, shares.round(6).tolist(), strict=True))


def held_out(task, metric, classes, estimator, X_test, y_test, metrics_report):
    classify = metric_defs.is_classification(task)
    predicted, proba = predict_with_proba(estimator, X_test, classes if classify else None)
    return HeldOut(task, metric, classes, np.asarray(y_test), predicted, proba, metrics_report)


def _shuffled_scores(X, y, jobs, rng, score):
    """The score for each job, a job being the columns shuffled together in one copy.

    Each chunk of jobs is stacked into one frame and predicted in one call: the pipeline's
    per-call overhead (column transforms, checks) is paid once per chunk, not once per job.
    """
    rows = len(X)
    per_chunk = max(1, STACKED_ROWS // max(rows, 1))
    scores = []
    for start in range(0, len(jobs), per_chunk):
        chunk = jobs[start : start + per_chunk]
        stacked = _stacked(X, chunk, rng)
        scores += score(stacked, np.tile(y, len(chunk)), len(chunk))
    return scores


def _stacked(X, chunk, rng):
    """``len(chunk)`` copies of ``X`` one under the other, copy ``i`` with the columns of
    ``chunk[i]`` shuffled; built column by column with numpy (a wide table would otherwise
    spend more time copying frames than predicting them)."""
    rows, copies = len(X), len(chunk)
    where = {}
    for position, columns in enumerate(chunk):
        for column in columns:
            where.setdefault(column, []).append(position)
    data = {}
    for column in X.columns:
        values = X[column].to_numpy()
        tiled = np.tile(values, copies)
        for position in where.get(column, ()):
            tiled[position * rows : (position + 1) * rows] = values[rng.permutation(rows)]
        data[column] = tiled
    return pd.DataFrame(data, columns=X.columns)


def screen(X, y, rng, score, baseline, keep):
    """The ``keep`` columns most worth measuring, found by shuffling random groups of columns
    together (one pass per group) and keeping the groups whose shuffle hurt most."""
    columns = list(X.columns)
    groups = [list(g) for g in np.array_split(rng.permutation(columns), max(4, keep // 2))]
    drops = baseline - np.asarray(_shuffled_scores(X, y, groups, rng, score))
    # Every group that mattered noticeably stays, even past ``keep``: a column the model
    # relies on must not be lost to a group of noise that happened to rank above it.
    noticeable = SCREEN_SHARE * max(float(drops.max()), 0.0)
    kept = []
    for index in np.argsort(-drops, kind="stable"):
        if len(kept) >= keep and drops[index] <= noticeable:
            break
        kept += groups[index]
    return [c for c in columns if c in set(kept)]


def seconds_per_row(estimator, X, classes):
    """What one row costs to predict when rows come stacked (as the shuffled copies do):
    timed on at least ``TIMING_ROWS`` rows so the per-call overhead is spread thin."""
    copies = -(-TIMING_ROWS // max(len(X), 1))
    stacked = pd.concat([X] * copies, ignore_index=True) if copies > 1 else X
    began = time.monotonic()
    predict_with_proba(estimator, stacked, classes)
    return (time.monotonic() - began) / max(len(stacked), 1)


def plan(columns, rows, seconds_per_row, budget_s):
    """(repeats, rows) that fit ``budget_s``: fewer repeats first (not below two), then fewer
    rows (not below ``IMPORTANCE_MIN_ROWS``), then a single repeat for very wide tables."""
    repeats = max(
        IMPORTANCE_MIN_REPEATS, min(IMPORTANCE_REPEATS, IMPORTANCE_PREDICTIONS // max(columns, 1))
    )
    allowed = budget_s / max(seconds_per_row, 1e-9)  # row predictions the budget pays for
    if columns * repeats * rows > allowed:
        rows = max(min(rows, IMPORTANCE_MIN_ROWS), int(allowed / (columns * repeats)))
    if columns * repeats * rows > allowed:
        repeats = 1
    return repeats, rows


def permutation(estimator, X_test, y_test, *, task, metric, classes, budget_s=None, random_state=0):
    """Permutation importance of the columns of ``X_test`` on (a sample of) the held-out rows,
    sized to take about ``budget_s`` seconds (None: no limit beyond the row cap). A table
    too wide for the budget is screened first (``screen``): only the columns whose group
    mattered are measured one by one, and only they are in the result."""
    began = time.monotonic()
    rng = np.random.default_rng(random_state)
    X, y = X_test.reset_index(drop=True), np.asarray(y_test)
    columns = list(X.columns)

    def score(frame, truth, parts):
        predicted, proba = predict_with_proba(estimator, frame, classes)
        predicted = np.asarray(predicted)
        sign = 1.0 if metric_defs.GREATER_IS_BETTER[metric] else -1.0
        count = len(truth) // parts
        out = []
        for i in range(parts):
            cut = slice(i * count, (i + 1) * count)
            part_proba = None if proba is None else proba[cut]
            value = metric_defs.score(metric, task, truth[cut], predicted[cut], part_proba, classes)
            out.append(sign * value)
        return out

    with threads_for(len(X)):
        baseline = score(X, y, 1)[0]
        limit = float("inf") if budget_s is None else budget_s
        per_row = 0.0 if budget_s is None else seconds_per_row(estimator, X, classes)
        repeats, rows = plan(len(columns), min(len(X), IMPORTANCE_MAX_ROWS), per_row, limit)
        if rows < len(X):
            chosen = np.sort(rng.choice(len(X), rows, replace=False))
            X, y = X.iloc[chosen].reset_index(drop=True), y[chosen]
            baseline = score(X, y, 1)[0]
        affordable = limit / max(per_row, 1e-9) / (repeats * rows)
        if affordable < len(columns):  # too wide for the budget: measure the likely ones
            keep = max(IMPORTANCE_MIN_COLUMNS, int(affordable))
            columns = screen(X, y, rng, score, baseline, keep)
        jobs = [[column] for column in columns for _ in range(repeats)]
        drops = baseline - np.asarray(_shuffled_scores(X, y, jobs, rng, score))
    drops = np.nan_to_num(drops.reshape(len(columns), repeats))
    return Importance(
        metric=metric,
        features=columns,
        mean=drops.mean(axis=1).tolist(),
        std=drops.std(axis=1).tolist(),
        repeats=repeats,
        rows=len(X),
        seconds=time.monotonic() - began,
    )
