"""The estimators model selection compares, each with the preprocessing it needs."""

from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import validate_data

from project_library.training.metrics import is_classification

UNKNOWN_CODE = -1
MISSING_CODE = -2


class PriorCorrected:
    """Predict argmax of p(class | x) / p(class) ** power: with power 1 the decision rule
    that maximises balanced accuracy for calibrated probabilities, so rare classes are
    predicted at all; a smaller power corrects halfway (``priors`` holds the powered shares)."""

    def __init__(self, estimator, priors=None, power=1.0):
        self.estimator = estimator
        self.priors = priors
        self.power = power

    def fit(self, X, y):
        self.estimator.fit(X, y)
        labels, counts = np.unique(np.asarray(y), return_counts=True)
        lookup = dict(zip(labels.tolist(), counts / counts.sum(), strict=True))
        shares = np.array([lookup.get(c, 1.0) for c in self.classes_.tolist()])
        self.priors = shares ** getattr(self, "power", 1.0)
        return self

    @property
    def classes_(self):
        return self.estimator.classes_

    @property
    def named_steps(self):
        return self.estimator.named_steps

    def predict_proba(self, X):
        return self.estimator.predict_proba(X)

    def predict(self, X):
        return prior_corrected(self.classes_, self.predict_proba(X), self.priors)


class RowStableRidge(Ridge):
    """Ridge whose prediction of a row does not depend on the rows predicted with it: a BLAS
    matrix product sums in an order that depends on the batch's shape, einsum does not."""

    def predict(self, X):
        X = validate_data(self, X, accept_sparse=["csr", "csc", "coo"], reset=False)
        if sparse.issparse(X):
            return super().predict(X)
        return np.einsum("ij,j->i", X, self.coef_) + self.intercept_


def prior_corrected(classes, proba, priors):
    return np.asarray(classes)[np.argmax(proba / np.maximum(priors, 1e-12), axis=1)]


@dataclass(frozen=True)
class Candidate:
    name: str
    label: str
    # Rough cost relative to the first candidate, used to skip what will not fit the budget.
    relative_cost: float
    build: object  # callable(numeric, categorical, n_jobs) -> unfitted Pipeline
    # Members of one family scale alike with the data, so a member's time predicts another's
    # far better than a member of another family does.
    family: str = ""
    # Rank from simpler or more regularised (0) up: among candidates whose scores are within
    # the cross-validation spread the lowest wins. Boosting with few leaves, shrinkage and
    # early stopping ranks below forests of fully grown trees, which memorise their rows.
    complexity: int = 0


def ordinal_encoder():
    return OrdinalEncoder(
        handle_unknown="use_encoded_value",
        unknown_value=UNKNOWN_CODE,
        encoded_missing_value=MISSING_CODE,
        dtype=float,
    )


def tree_preprocessor(numeric, categorical, impute):
    numeric_step = SimpleImputer(strategy="median", add_indicator=True) if impute else "passthrough"
    return ColumnTransformer(
        [
            ("numeric", numeric_step, list(numeric)),
            ("categorical", ordinal_encoder(), list(categorical)),
        ],
        remainder="drop",
        verbose_feature_names_out=False,
    )


def linear_preprocessor(numeric, categorical):
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                list(numeric),
            ),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="(missing)"),
                    OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=30),
                ),
                list(categorical),
            ),
        ],
        remainder="drop",
    )


def _pipeline(preprocessor, estimator):
    return Pipeline([("prepare", preprocessor), ("model", estimator)])


HGB_TUNED = dict(
    learning_rate=0.05,
    max_iter=400,
    max_leaf_nodes=31,
    l2_regularization=0.1,
    early_stopping=True,
    validation_fraction=0.1,
    n_iter_no_change=20,
)


def _forest(
    classify, weight, random_state, cls_c, cls_r, n_estimators, numeric, categorical, n_jobs
):
    if classify:
        estimator = cls_c(
            n_estimators=n_estimators,
            class_weight="balanced_subsample" if weight else None,
            n_jobs=n_jobs,
            random_state=random_state,
        )
    else:
        estimator = cls_r(
            n_estimators=n_estimators, max_features=0.5, n_jobs=n_jobs, random_state=random_state
        )
    return _pipeline(tree_preprocessor(numeric, categorical, impute=True), estimator)


def candidates_for(task, balanced=True, random_state=0):
    """Candidates in the order they are tried: cheap and strong first."""
    classify = is_classification(task)
    weight = "balanced" if (classify and balanced) else None

    def hgb_default(numeric, categorical, n_jobs):
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        return _pipeline(
            tree_preprocessor(numeric, categorical, impute=False), cls(random_state=random_state)
        )

    def hgb_tuned(numeric, categorical, n_jobs):
        # No class weights: the prior-corrected rule already serves the rare classes, and
        # weights made each boosting iteration many times slower on a wide table.
        cls = HistGradientBoostingClassifier if classify else HistGradientBoostingRegressor
        estimator = cls(random_state=random_state, **HGB_TUNED)
        return _pipeline(tree_preprocessor(numeric, categorical, impute=False), estimator)

    def linear(numeric, categorical, n_jobs):
        if classify:
            estimator = LogisticRegression(max_iter=400, C=1.0, class_weight=weight)
        else:
            estimator = RowStableRidge(alpha=1.0)
        return _pipeline(linear_preprocessor(numeric, categorical), estimator)

    def forest(cls_c, cls_r, n_estimators):
        return partial(_forest, classify, weight, random_state, cls_c, cls_r, n_estimators)

    # Cheap and minority-aware first: the linear model (balanced weights) calibrates the
    # budget estimate; extra trees cost little even on wide tables (sqrt of the features per
    # split), where HistGradientBoosting's cost grows with every column.
    return [
        Candidate(
            "linear",
            "Logistic regression" if classify else "Ridge regression",
            0.3,
            linear,
            "linear",
            0,
        ),
        Candidate(
            "extra_trees",
            "Extra trees",
            1.0,
            forest(ExtraTreesClassifier, ExtraTreesRegressor, 200),
            "forest",
            4,
        ),
        Candidate(
            "hist_gradient_boosting",
            "HistGradientBoosting (defaults)",
            1.0,
            hgb_default,
            "boosting",
            2,
        ),
        Candidate(
            "hist_gradient_boosting_tuned",
            "HistGradientBoosting (tuned)",
            2.5,
            hgb_tuned,
            "boosting",
            1,
        ),
        Candidate(
            "random_forest",
            "Random forest",
            2.0,
            forest(RandomForestClassifier, RandomForestRegressor, 200),
            "forest",
            3,
        ),
    ]
