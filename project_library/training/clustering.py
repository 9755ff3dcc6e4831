"""The seed's strategy as an option: cluster the rows first, then select a model per cluster."""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from project_library.cancellation import check_cancel
from project_library.training.candidates import tree_preprocessor
from project_library.training.metrics import is_classification

MAX_CLUSTERS = 8
MIN_ROWS_PER_CLUSTER = 60


def elbow_k(inertias):
    """The k farthest below the line joining the first and last inertia (the "knee")."""
    if len(inertias) < 3:
        return 1
    ks = np.arange(1, len(inertias) + 1, dtype=float)
    values = np.asarray(inertias, dtype=float)
    x1, y1, x2, y2 = ks[0], values[0], ks[-1], values[-1]
    distance = np.abs((y2 - y1) * ks - (x2 - x1) * values + x2 * y1 - y2 * x1)
    return int(ks[int(np.argmax(distance))])


class ClusteredModel:
    """KMeans routes each row to the model selected for its cluster."""

    def __init__(self, clusterer, models, classes):
        self.clusterer = clusterer
        self.models = models
        self.classes_ = None if classes is None else np.asarray(classes)

    def _route(self, X):
        return self.clusterer.predict(X)

    def predict(self, X):
        labels = self._route(X)
        out = None
        for cluster, model in self.models.items():
            rows = labels == cluster
            if not rows.any():
                continue
            values = model.predict(X[rows])
            if out is None:
                out = np.empty(
                    len(X), dtype=values.dtype if self.classes_ is None else self.classes_.dtype
                )
            out[rows] = values
        return out

    def predict_proba(self, X):
        from project_library.training.train import aligned_proba

        labels = self._route(X)
        out = np.zeros((len(X), len(self.classes_)))
        for cluster, model in self.models.items():
            rows = labels == cluster
            if rows.any():
                out[rows] = aligned_proba(model, X[rows], list(self.classes_))
        return out

    def get_params(self, deep=False):
        return {"n_clusters": len(self.models)}


def train_clustered(
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
    select,
):
    clusterer_prep = make_pipeline(
        tree_preprocessor(numeric, categorical, impute=True), StandardScaler()
    )
    matrix = clusterer_prep.fit_transform(X)
    inertias = []
    max_k = max(1, min(MAX_CLUSTERS, len(y) // MIN_ROWS_PER_CLUSTER))
    for k in range(1, max_k + 1):
        check_cancel(cancel)
        inertias.append(
            KMeans(n_clusters=k, n_init=3, random_state=options.random_state).fit(matrix).inertia_
        )
    k = elbow_k(inertias)
    kmeans = KMeans(n_clusters=k, n_init=3, random_state=options.random_state).fit(matrix)
    log.info("clusters k=%d inertias=%s", k, ",".join(f"{v:.0f}" for v in inertias))
    labels = kmeans.labels_
    models, scores, chosen = {}, [], []
    for cluster in range(k):
        check_cancel(cancel)
        rows = labels == cluster
        y_c = np.asarray(y)[rows]
        if is_classification(task) and len(np.unique(y_c)) < 2:
            model = DummyClassifier(strategy="most_frequent").fit(X[rows], y_c)
            chosen.append("constant")
        elif len(y_c) < MIN_ROWS_PER_CLUSTER // 2:
            cls = DummyClassifier(strategy="prior") if is_classification(task) else DummyRegressor()
            model = cls.fit(X[rows], y_c)
            chosen.append("constant")
        else:
            best, cluster_scores = select(
                X[rows],
                y_c,
                np.asarray(groups)[rows],
                numeric,
                categorical,
                task=task,
                metric=metric,
                classes=classes,
                options=options,
                clock=clock,
                log=log,
                cancel=cancel,
            )
            from project_library.training.train import build_final

            model = build_final(best, cluster_scores, numeric, categorical, options.n_jobs)
            model.fit(X[rows], y_c)
            for s in cluster_scores:
                s.name = f"cluster{cluster}:{s.name}"
            scores.extend(cluster_scores)
            chosen.append(best.name)
        models[cluster] = model
        log.info("cluster=%d rows=%d model=%s", cluster, int(rows.sum()), chosen[-1])
    router = make_pipeline(clusterer_prep, kmeans)
    estimator = ClusteredModel(router, models, classes)
    params = {"n_clusters": k, "models": ",".join(chosen)}
    return estimator, "clustered", f"{k} clusters, a model each", params, scores
