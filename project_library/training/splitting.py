"""Stratified splits that keep every group of identical rows on one side.

Stratification happens over groups (one label per group, its first row's), so duplicates
can never sit on both sides of a split, and classes with a single row stay in training.
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

from project_library.training.metrics import is_classification

REGRESSION_BINS = 5
# Cross-validation holds out whole batch files when each fold can get at least this many.
MIN_FILES_PER_FOLD = 2


def _strata(y, task):
    if is_classification(task):
        return pd.factorize(pd.Series(y))[0]
    values = pd.Series(np.asarray(y, dtype="float64"))
    ranks = values.rank(method="first")
    bins = min(REGRESSION_BINS, max(1, len(values) // 10))
    return pd.qcut(ranks, bins, labels=False).to_numpy() if bins > 1 else np.zeros(len(values))


def _group_representatives(groups):
    groups = np.asarray(groups)
    unique, first = np.unique(groups, return_index=True)
    inverse = np.searchsorted(unique, groups)
    return first, inverse


def holdout_mask(y, groups, task, test_size=0.2, random_state=0):
    """Boolean mask of the held-out rows."""
    rng = np.random.default_rng(random_state)
    first, inverse = _group_representatives(groups)
    strata = _strata(np.asarray(y)[first], task)
    test_groups = np.zeros(len(first), dtype=bool)
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        if len(members) < 2:
            continue
        rng.shuffle(members)
        n_test = min(len(members) - 1, max(1, int(round(len(members) * test_size))))
        test_groups[members[:n_test]] = True
    return test_groups[inverse]


def fold_ids(y, groups, task, n_folds=3, random_state=0):
    """A fold number per row, stratified over groups."""
    rng = np.random.default_rng(random_state)
    first, inverse = _group_representatives(groups)
    strata = _strata(np.asarray(y)[first], task)
    group_fold = np.zeros(len(first), dtype=int)
    offset = 0
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        rng.shuffle(members)
        group_fold[members] = (np.arange(len(members)) + offset) % n_folds
        offset += len(members)
    return group_fold[inverse]


def file_groups(groups, sources):
    """Each row's file as a group number, rows with identical features all given the file of
    the first of them, so no fold holds a copy of another fold's row."""
    first, inverse = _group_representatives(groups)
    return pd.factorize(np.asarray(sources)[first])[0][inverse]


def by_file(sources, n_folds):
    """True when there are enough distinct files to hold out whole files in every fold."""
    return sources is not None and len(np.unique(sources)) >= MIN_FILES_PER_FOLD * n_folds


def cv_folds(y, groups, sources, task, n_folds=3, random_state=0):
    """(a fold number per row, "files" or "rows"): whole batch files per fold where there
    are enough of them (the next batch is a new file), otherwise rows stratified over
    groups of duplicates."""
    if not by_file(sources, n_folds):
        return fold_ids(y, groups, task, n_folds, random_state), "rows"
    files = file_groups(groups, sources)
    strata = _strata(np.asarray(y), task)
    splitter = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=random_state)
    folds = np.zeros(len(files), dtype=int)
    for fold, (_, test) in enumerate(splitter.split(np.zeros(len(files)), strata, files)):
        folds[test] = fold
    return folds, "files"


def stratified_sample(y, task, n_rows, random_state=0):
    """Row positions of a stratified sample of about ``n_rows`` (every class kept)."""
    y = np.asarray(y)
    if len(y) <= n_rows:
        return np.arange(len(y))
    rng = np.random.default_rng(random_state)
    strata = _strata(y, task)
    share = n_rows / len(y)
    picked = []
    for stratum in np.unique(strata):
        members = np.flatnonzero(strata == stratum)
        take = max(min(len(members), 5), int(round(len(members) * share)))
        picked.append(rng.choice(members, size=take, replace=False))
    return np.sort(np.concatenate(picked))
