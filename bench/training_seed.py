"""The seed-style reference of bench/training.py: KMeans with an elbow on k = 1..10, then per
cluster a 5-fold grid search over random forest and XGBoost with the classic repositories'
grids, the better one kept per cluster; stopped at a deadline (then the best so far)."""

import itertools
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import LabelEncoder

from project_library.training import metrics as metric_defs
from project_library.training.clustering import elbow_k
from project_library.training.splitting import fold_ids

RF_GRID = {
    "n_estimators": [10, 50, 100, 130],
    "criterion": ["gini", "entropy"],
    "max_depth": [2, 3],
    "max_features": ["sqrt", "log2"],
}
RF_REG_GRID = {
    "n_estimators": [10, 50, 100, 130],
    "criterion": ["squared_error", "absolute_error"],
    "max_depth": [2, 3],
    "max_features": ["sqrt", "log2"],
}
XGB_GRID = {
    "learning_rate": [0.5, 0.1, 0.01, 0.001],
    "max_depth": [3, 5, 10, 20],
    "n_estimators": [10, 50, 100, 200],
}


def grid(space):
    keys = list(space)
    for values in itertools.product(*(space[k] for k in keys)):
        yield dict(zip(keys, values, strict=True))


def seed_style(X, y, task, metric, deadline):
    """(fitted bundle, k, cut short?) for the prepared matrix ``X``."""
    classify = task != "regression"
    encoder = LabelEncoder().fit(y) if classify else None
    y_fit = encoder.transform(y) if classify else y
    imputer = SimpleImputer(strategy="median").fit(X)
    matrix = imputer.transform(X)
    inertias = [
        KMeans(n_clusters=k, n_init=10, random_state=0).fit(matrix).inertia_ for k in range(1, 11)
    ]
    k = elbow_k(inertias)
    kmeans = KMeans(n_clusters=k, n_init=10, random_state=0).fit(matrix)
    models, cut_short = {}, False
    for cluster in range(k):
        rows = kmeans.labels_ == cluster
        models[cluster], short = fit_cluster(matrix[rows], y_fit[rows], task, metric, deadline)
        cut_short = cut_short or short
    return (imputer, kmeans, models, encoder), k, cut_short


def fit_cluster(Xc, yc, task, metric, deadline):
    from xgboost import XGBClassifier, XGBRegressor

    classify = task != "regression"
    if classify and len(np.unique(yc)) < 2:
        return ("constant", yc[0]), False
    folds = fold_ids(yc, np.arange(len(yc)), task, 5, 0)
    families = [
        (
            RandomForestClassifier if classify else RandomForestRegressor,
            RF_GRID if classify else RF_REG_GRID,
            {"n_jobs": -1, "random_state": 0},
        ),
        (
            XGBClassifier if classify else XGBRegressor,
            XGB_GRID,
            {"n_jobs": 2, "random_state": 0, "verbosity": 0},
        ),
    ]
    best, best_score, cut_short = None, None, False
    for cls, space, fixed in families:
        for params in grid(space):
            if time.monotonic() > deadline:
                cut_short = True
                break
            scores = []
            for fold in range(5):
                tr, te = folds != fold, folds == fold
                if classify and len(np.unique(yc[tr])) < 2:
                    continue
                model = _fit(cls, {**params, **fixed}, Xc[tr], yc[tr], classify)
                scores.append(_score(metric, task, model, Xc[te], yc[te], classify))
            mean = float(np.nanmean(scores)) if scores else float("nan")
            if metric_defs.is_better(metric, mean, best_score):
                best, best_score = (cls, {**params, **fixed}), mean
    if best is None:
        return ("constant", np.bincount(yc).argmax() if classify else yc.mean()), cut_short
    return ("model", _fit(best[0], best[1], Xc, yc, classify)), cut_short


def _fit(cls, params, X, y, classify):
    if classify and "XGB" in cls.__name__:
        # XGBoost wants labels 0..n-1 inside a cluster.
        local = LabelEncoder().fit(y)
        model = cls(**params).fit(X, local.transform(y))
        model.global_classes_ = local.classes_
        return model
    return cls(**params).fit(X, y)


def _predict(model, X):
    out = model.predict(X)
    if hasattr(model, "global_classes_"):
        out = model.global_classes_[np.asarray(out, dtype=int)]
    return out


def _proba(model, X, n_classes):
    raw = model.predict_proba(X)
    classes = getattr(model, "global_classes_", getattr(model, "classes_", None))
    out = np.zeros((len(X), n_classes))
    for j, c in enumerate(classes):
        out[:, int(c)] = raw[:, j]
    return out


def _score(metric, task, model, X, y, classify):
    predicted = _predict(model, X)
    proba = None
    if classify and metric == "roc_auc":
        proba = _proba(model, X, int(max(y.max(), 1)) + 1)
    classes = list(range(proba.shape[1])) if proba is not None else None
    return metric_defs.score(metric, task, y, predicted, proba, classes)


def seed_predict(bundle, X):
    """(predictions in the original labels, class probabilities or None)."""
    imputer, kmeans, models, encoder = bundle
    matrix = imputer.transform(X)
    labels = kmeans.predict(matrix)
    out = np.empty(len(X), dtype=float)
    n_classes = None if encoder is None else len(encoder.classes_)
    proba = None if encoder is None else np.zeros((len(X), n_classes))
    for cluster, (kind, model) in models.items():
        rows = labels == cluster
        if not rows.any():
            continue
        out[rows] = model if kind == "constant" else _predict(model, matrix[rows])
        if proba is not None and kind == "constant":
            proba[rows, int(model)] = 1.0
        elif proba is not None:
            proba[rows] = _proba(model, matrix[rows], n_classes)
    if encoder is not None:
        return encoder.inverse_transform(out.astype(int)), proba
    return out, None
