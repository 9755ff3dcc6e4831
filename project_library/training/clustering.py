"""The seed's strategy as an option: cluster the rows first, then select a model per cluster.

KMeans (k chosen at the elbow of the inertias) splits the training rows; each cluster gets
its own selected and fitted model, or a constant one when it is too small or single-class.
"""

import numpy as np
from sklearn.cluster import KMeans
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from project_library.cancellation import check_cancel
from project_library.training.candidates import tree_preprocessor
from project_library.training.final import Fitted, build_final
from project_library.training.metrics import is_classification
from project_library.training.model import aligned_proba
from project_library.training.selection import select_model

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
        labels = self._route(X)
        out = np.zeros((len(X), len(self.classes_)))
        for cluster, model in self.models.items():
            rows = labels == cluster
            if rows.any():
                out[rows] = aligned_proba(model, X[rows], list(self.classes_))
        return out

    def get_params(self, deep=False):
        return {"n_clusters": len(self.models)}


def train_clustered(problem):
    """Cluster the training rows, then select and fit a model per cluster: a ``Fitted``."""
    clusterer_prep, kmeans, k = fit_clusters(problem)
    labels = kmeans.labels_
    models, scores, chosen = {}, [], []
    for cluster in range(k):
        check_cancel(problem.cancel)
        rows = labels == cluster
        model, name, cluster_scores = fit_cluster(problem.subset(rows), cluster)
        models[cluster] = model
        chosen.append(name)
        scores.extend(cluster_scores)
        problem.log.info("cluster=%d rows=%d model=%s", cluster, int(rows.sum()), chosen[-1])
    router = make_pipeline(clusterer_prep, kmeans)
    estimator = ClusteredModel(router, models, problem.classes)
    params = {"n_clusters": k, "models": ",".join(chosen)}
    return Fitted(estimator, "clustered", f"{k} clusters, a model each", params, scores)


def fit_clusters(problem):
    """(fitted preprocessing, KMeans fitted with k at the elbow, k)."""
    clusterer_prep = make_pipeline(
        tree_preprocessor(problem.numeric, problem.categorical, impute=True), StandardScaler()
    )
    matrix = clusterer_prep.fit_transform(problem.X)
    seed = problem.options.random_state
    inertias = []
    max_k = max(1, min(MAX_CLUSTERS, len(problem.y) // MIN_ROWS_PER_CLUSTER))
    for k in range(1, max_k + 1):
        check_cancel(problem.cancel)
        inertias.append(KMeans(n_clusters=k, n_init=3, random_state=seed).fit(matrix).inertia_)
    k = elbow_k(inertias)
    kmeans = KMeans(n_clusters=k, n_init=3, random_state=seed).fit(matrix)
    problem.log.info("clusters k=%d inertias=%s", k, ",".join(f"{v:.0f}" for v in inertias))
    return clusterer_prep, kmeans, k


def fit_cluster(part, cluster):
    """(fitted model, chosen name, scores) for one cluster's rows."""
    classify = is_classification(part.task)
    if classify and len(np.unique(part.y)) < 2:
        return DummyClassifier(strategy="most_frequent").fit(part.X, part.y), "constant", []
    if len(part.y) < MIN_ROWS_PER_CLUSTER // 2:
        cls = DummyClassifier(strategy="prior") if classify else DummyRegressor()
        return cls.fit(part.X, part.y), "constant", []
    choice, cluster_scores = select_model(part)
    model = build_final(part, choice)
    model.fit(part.X, part.y)
    for s in cluster_scores:
        s.name = f"cluster{cluster}:{s.name}"
    return model, choice.name, cluster_scores
