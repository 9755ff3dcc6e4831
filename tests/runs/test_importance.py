"""Permutation importance on the held-out rows: the columns the model relies on come first,
and a table too wide for the time budget is screened instead of costing the training."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from project_library.training import evaluation


def wide_table(columns, rows=600, informative=(3, 17, 41), seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(rows, columns)), columns=[f"c{i}" for i in range(columns)])
    signal = sum(X[f"c{i}"] for i in informative)
    y = np.where(signal + rng.normal(scale=0.3, size=rows) > 0, "yes", "no")
    return X, y


def fitted(X, y):
    return LogisticRegression(C=0.05, max_iter=500).fit(X, y)


def test_the_informative_columns_lead_and_the_spread_is_kept():
    X, y = wide_table(12, informative=(3, 7))
    model = fitted(X, y)
    result = evaluation.permutation(
        model, X, y, task="binary", metric="balanced_accuracy", classes=["no", "yes"]
    )
    ranked = [name for _, name in sorted(zip(result.mean, result.features, strict=True))][::-1]
    assert set(ranked[:2]) == {"c3", "c7"}
    assert result.repeats == evaluation.IMPORTANCE_REPEATS and len(result.std) == 12
    weights = result.weights()
    assert abs(sum(weights.values()) - 1) < 1e-4 and weights["c3"] > 0.2


def test_a_table_too_wide_for_the_budget_is_screened_and_keeps_what_matters():
    X, y = wide_table(400)
    model = fitted(X, y)
    result = evaluation.permutation(  # a budget nothing fits: the screen decides
        model,
        X,
        y,
        task="binary",
        metric="balanced_accuracy",
        classes=["no", "yes"],
        budget_s=1e-9,
    )
    assert len(result.features) < 400  # screened
    assert result.rows <= 600
    top = {name for _, name in sorted(zip(result.mean, result.features, strict=True))[-3:]}
    assert top == {"c3", "c17", "c41"}


def test_plan_trades_repeats_then_rows_then_repeats_again():
    assert evaluation.plan(10, 2000, 1e-6, float("inf")) == (5, 2000)
    repeats, rows = evaluation.plan(10, 2000, 1e-3, 20.0)  # 20,000 row predictions
    assert (repeats, rows) == (5, 400)
    assert evaluation.plan(1000, 2000, 1e-3, 1.0) == (1, evaluation.IMPORTANCE_MIN_ROWS)
