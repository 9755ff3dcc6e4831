"""Prediction distributions: the JSON format, rebinning, and a figure for any input."""

import json
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from project_library.reports.binning import MAX_BINS, rebin
from project_library.reports.distribution import distribution_figure, prediction_distribution

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
value_lists = st.one_of(
    st.lists(floats, max_size=300),
    st.builds(lambda v, n: [v] * n, floats, st.integers(0, 50)),  # constant (or empty)
)


def check_numeric(summary, values):
    finite = [v for v in values if math.isfinite(v)]
    assert set(summary) == {"kind", "edges", "counts", "rows"}
    assert summary["kind"] == "numeric"
    assert summary["rows"] == len(finite) == sum(summary["counts"])
    if not finite:
        assert summary["edges"] == [] and summary["counts"] == []
        return
    edges = np.asarray(summary["edges"])
    assert 1 <= len(summary["counts"]) <= MAX_BINS
    assert len(edges) == len(summary["counts"]) + 1
    assert np.all(np.isfinite(edges)) and np.all(np.diff(edges) > 0)
    assert edges[0] <= min(finite) and max(finite) <= edges[-1]
    json.dumps(summary, allow_nan=False)


@settings(max_examples=300, deadline=None, database=None)
@given(value_lists)
@example([1.7976931348623157e308, -1.7976931348623157e308])
@example([5e-324, 0.0, -5e-324])
@example([0.0] * 10 + [1e-320] * 10 + [1.0])  # a spread too small to divide by
@example([1.0, 1.0 + 2.2e-16])
def test_numeric_distribution_of_any_floats(values):
    check_numeric(prediction_distribution("regression", None, values), values)


@settings(
    max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(value_lists, value_lists)
def test_numeric_figure_of_any_floats(reference_values, batch_values):
    reference = prediction_distribution("regression", None, reference_values)
    batch = prediction_distribution("regression", None, batch_values)
    figure = distribution_figure(reference, batch, "Predictions of run 7")
    assert figure.name == "prediction_distribution"
    ET.fromstring(figure.svg)
    json.dumps(figure.data, allow_nan=False)
    if batch["rows"] and figure.data.get("batch"):
        assert sum(figure.data["batch"]) == pytest.approx(1.0, abs=1e-4)


@settings(
    max_examples=8, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.lists(floats, max_size=60), st.lists(floats, max_size=60))
def test_class_figure_of_any_values(reference_values, batch_values):
    reference = prediction_distribution("multiclass", [1.0, 2.0], reference_values)
    batch = prediction_distribution("binary", None, batch_values)
    assert reference["rows"] == len(reference_values) == sum(reference["counts"].values())
    assert list(reference["counts"])[:2] == ["1.0", "2.0"]
    figure = distribution_figure(reference, batch, "Predictions")
    ET.fromstring(figure.svg)
    json.dumps(figure.data, allow_nan=False)


def test_class_distribution_lists_every_class_in_order():
    summary = prediction_distribution("multiclass", ["b", "a", "c"], np.array(["a", "a", "x"]))
    assert summary == {"kind": "classes", "counts": {"b": 0, "a": 2, "c": 0, "x": 1}, "rows": 3}
    numbers = prediction_distribution("binary", [0, 1], np.array([1, 1, 0], dtype=np.int64))
    assert numbers["counts"] == {"0": 1, "1": 2}


def test_constant_and_text_values():
    constant = prediction_distribution("regression", None, [5.0] * 4)
    assert constant["counts"] == [4] and constant["edges"][0] < 5.0 < constant["edges"][1]
    mixed = prediction_distribution("regression", None, ["1.5", None, "x", 2])
    assert mixed["rows"] == 2


def test_rebin_spreads_a_batch_onto_the_reference_edges():
    batch = {"kind": "numeric", "edges": [1.5, 2.5], "counts": [10], "rows": 10}
    counts, outside = rebin(batch, [0.0, 1.0, 2.0])
    assert counts.tolist() == [0.0, 10.0]  # half inside [1, 2], half beyond 2: the end bin
    assert outside == pytest.approx(0.5)
    below = {"kind": "numeric", "edges": [-9.0, -8.0], "counts": [4], "rows": 4}
    assert rebin(below, [0.0, 1.0, 2.0])[0].tolist() == [4.0, 0.0]


def test_figure_says_how_much_of_the_batch_is_outside_the_training_range():
    rng = np.random.default_rng(0)
    reference = prediction_distribution("regression", None, rng.normal(0, 1, 2_000))
    batch = prediction_distribution("regression", None, rng.normal(3, 1, 500))
    figure = distribution_figure(reference, batch, "Predictions of run 9")
    assert figure.data["outside"] > 0.05
    assert "outside that range and is counted in the end bins" in figure.alt
    assert figure.data["edges"] == reference["edges"]


def test_figure_of_many_classes_keeps_twenty_bars():
    classes = [f"<c{i}>" for i in range(40)]
    reference = prediction_distribution("multiclass", classes, classes * 3)
    batch = prediction_distribution("multiclass", classes, classes[:10] * 5)
    figure = distribution_figure(reference, batch, "Predictions")
    assert len(figure.data["labels"]) == 20 and figure.data["labels"][-1] == "Other (21 classes)"
    assert "&lt;c0&gt;" in figure.svg and "<c0>" not in figure.svg


def test_figure_of_different_kinds_says_so():
    figure = distribution_figure(
        prediction_distribution("binary", ["a"], ["a"]),
        prediction_distribution("regression", None, [1.0]),
        "Predictions",
    )
    assert "cannot be compared" in figure.alt
