"""Report tables: per-class scores (absent classes included, no warnings) and regression errors."""

import json
import math
import warnings

import numpy as np
import pytest
from sklearn import metrics as skm

from project_library.reports.tables import class_table, regression_summary
from project_library.training.evaluation import HeldOut
from tests.reports import cases


def quiet(call, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return call(*args)


def test_class_table_has_every_class_and_matches_sklearn(multiclass):
    held, _ = multiclass
    rows = quiet(class_table, held)
    by_class = {r["class"]: r for r in rows if r["average"] is None}
    assert list(by_class) == sorted(cases.MULTICLASS_CLASSES)
    assert by_class[cases.ABSENT]["support"] == 0
    assert by_class[cases.ABSENT]["recall"] == 0.0
    assert sum(r["support"] for r in by_class.values()) == held.rows
    present = [c for c in held.classes if c != cases.ABSENT]
    expected = skm.precision_recall_fscore_support(
        held.y_true, held.predicted, labels=present, zero_division=0
    )
    for i, name in enumerate(present):
        assert by_class[name]["precision"] == pytest.approx(expected[0][i], abs=1e-6)
        assert by_class[name]["recall"] == pytest.approx(expected[1][i], abs=1e-6)
        assert by_class[name]["f1"] == pytest.approx(expected[2][i], abs=1e-6)
    json.dumps(rows, allow_nan=False)


def test_macro_and_weighted_rows_follow_sklearn(multiclass):
    held, _ = multiclass
    rows = {r["average"]: r for r in class_table(held) if r["average"]}
    assert set(rows) == {"macro", "weighted"}
    macro_f1 = skm.f1_score(held.y_true, held.predicted, average="macro", zero_division=0)
    weighted = skm.f1_score(held.y_true, held.predicted, average="weighted", zero_division=0)
    assert rows["macro"]["f1"] == pytest.approx(macro_f1, abs=1e-6)
    assert rows["weighted"]["f1"] == pytest.approx(weighted, abs=1e-6)
    assert rows["macro"]["support"] == held.rows


def test_class_table_of_no_rows_and_of_a_regression():
    empty = HeldOut("binary", "accuracy", ["a", "b"], np.array([]), np.array([]), None, {})
    rows = quiet(class_table, empty)
    assert [(r["class"], r["support"]) for r in rows] == [("a", 0), ("b", 0)]  # no averages
    regression = HeldOut("regression", "rmse", None, np.array([1.0]), np.array([1.0]), None, {})
    assert class_table(regression) == []


def test_regression_summary(regression):
    held, _ = regression
    summary = regression_summary(held)
    assert summary["rows"] == held.rows
    assert summary["rmse"] == pytest.approx(
        math.sqrt(skm.mean_squared_error(held.y_true, held.predicted)), rel=1e-5
    )
    assert summary["mae"] == pytest.approx(
        skm.mean_absolute_error(held.y_true, held.predicted), rel=1e-5
    )
    assert summary["r2"] == pytest.approx(skm.r2_score(held.y_true, held.predicted), abs=1e-6)


@pytest.mark.parametrize(
    "truth, predicted, expected",
    [
        ([], [], {"rmse": None, "mae": None, "r2": None, "rows": 0}),
        ([3.0], [1.0], {"rmse": 2.0, "mae": 2.0, "r2": None, "rows": 1}),
        ([2.0, 2.0], [2.0, 3.0], {"rmse": 0.707107, "mae": 0.5, "r2": None, "rows": 2}),
        ([1.0, np.nan, np.inf], [1.0, 2.0, 3.0], {"rmse": 0.0, "mae": 0.0, "r2": None, "rows": 1}),
    ],
)
def test_regression_summary_of_degenerate_rows(truth, predicted, expected):
    held = HeldOut("regression", "rmse", None, np.array(truth), np.array(predicted), None, {})
    summary = quiet(regression_summary, held)
    assert summary == expected
    json.dumps(summary, allow_nan=False)
