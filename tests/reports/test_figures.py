"""Report figures: every figure per task, valid SVG with text as text, bounded, escaped."""

import json
import threading
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pytest

from project_library.reports.figures import Figure, build_figures
from project_library.reports.sampling import CURVE_POINTS, SCATTER_POINTS
from project_library.training.evaluation import HeldOut
from tests.reports import cases

SVG = "{http://www.w3.org/2000/svg}"
CLASSIFICATION = ["confusion_matrix", "roc", "precision_recall", "calibration"]
REGRESSION = ["predicted_vs_actual", "residuals"]
EVERY_VERSION = ["permutation_importance", "candidates"]
EXPECTED_TEXT = {
    "confusion_matrix": ["Confusion matrix", "Predicted class", "True class", "Counts (rows)"],
    "roc": ["ROC curve", "False positive rate", "True positive rate"],
    "precision_recall": ["Precision-recall curve", "Recall", "Precision"],
    "calibration": ["Calibration (reliability)", "Rows"],
    "predicted_vs_actual": [
        "Predicted against actual",
        "Actual value (target units)",
        "Predicted value (target units)",
    ],
    "residuals": ["Residuals", "Residual: actual − predicted (target units)", "Rows"],
    "permutation_importance": ["Permutation importance", "sensor_0"],
    "candidates": ["Candidates", "Time (s)", "Histogram gradient boosting"],
}
MAX_SVG_BYTES = 200 * 1024


def texts(svg):
    """Every text drawn in ``svg``, as the reader sees it (so escaping is undone)."""
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def figures_of(case):
    held, importance = case
    return {f.name: f for f in build_figures(held, importance, cases.candidates(), cases.CHOSEN)}


@pytest.fixture(scope="module")
def drawn(binary, multiclass, regression):
    return {
        "binary": figures_of(binary),
        "multiclass": figures_of(multiclass),
        "regression": figures_of(regression),
    }


@pytest.mark.parametrize(
    "task, names",
    [
        ("binary", CLASSIFICATION + EVERY_VERSION),
        ("multiclass", CLASSIFICATION + EVERY_VERSION),
        ("regression", REGRESSION + EVERY_VERSION),
    ],
)
def test_every_figure_is_valid_svg_with_its_title_and_labels(drawn, task, names):
    figures = drawn[task]
    assert list(figures) == names
    for name, figure in figures.items():
        assert isinstance(figure, Figure)
        drawn_text = " ".join(texts(figure.svg))
        for expected in EXPECTED_TEXT[name]:
            assert expected in drawn_text, (task, name, expected)
        assert figure.svg.startswith('<svg role="img" aria-label="')
        assert figure.title and len(figure.alt) > 40
        assert len(figure.svg.encode()) <= MAX_SVG_BYTES
        json.dumps(figure.data, allow_nan=False)
        assert "<path" in figure.svg and "<text" in figure.svg  # text kept as text


def test_confusion_matrix_counts_the_held_out_rows_with_class_names(drawn, multiclass):
    held, _ = multiclass
    figure = drawn["multiclass"]["confusion_matrix"]
    assert sum(map(sum, figure.data["counts"])) == held.rows
    assert figure.data["labels"] == sorted(cases.MULTICLASS_CLASSES)
    drawn_text = texts(figure.svg)
    for name in cases.MULTICLASS_CLASSES:
        assert name in drawn_text
    absent = figure.data["labels"].index(cases.ABSENT)
    assert sum(figure.data["counts"][absent]) == 0
    assert figure.data["shares"][absent] == [None] * len(figure.data["labels"])
    assert "no held-out rows" in drawn_text


def test_a_class_absent_from_the_held_out_rows_is_skipped_by_the_curves(drawn):
    for name in ("roc", "precision_recall"):
        figure = drawn["multiclass"][name]
        assert [c["class"] for c in figure.data["curves"]] != []
        assert cases.ABSENT not in [c["class"] for c in figure.data["curves"]]
        assert cases.ABSENT in figure.data["not_drawn"]
        assert cases.ABSENT in figure.alt
        assert any("AUC" in t or "AP" in t for t in texts(figure.svg))


def test_binary_curves_are_for_the_positive_class(drawn, binary):
    held, _ = binary
    roc = drawn["binary"]["roc"]
    assert [c["class"] for c in roc.data["curves"]] == [str(held.classes[1])]
    assert 0.5 < roc.data["curves"][0]["auc"] <= 1.0


def test_regression_figures_print_rmse_mae_and_r2(drawn):
    for name in REGRESSION:
        line = [t for t in texts(drawn["regression"][name].svg) if t.startswith("RMSE")]
        assert line and "MAE" in line[0] and "R²" in line[0]


def test_candidates_show_every_status_and_mark_the_chosen_one(drawn):
    figure = drawn["binary"]["candidates"]
    drawn_text = texts(figure.svg)
    assert "skipped: did not fit the time budget" in drawn_text
    assert "failed: ValueError: Input contains NaN" in drawn_text
    assert "stopped after 2 folds" in drawn_text
    chosen = [c["name"] for c in figure.data["candidates"] if c["chosen"]]
    assert chosen == [cases.CHOSEN]
    scored = figure.data["candidates"][1]
    assert scored["spread"] > 0 and len(scored["fold_scores"]) == 3


def test_no_importance_no_importance_figure(regression):
    held, _ = regression
    names = [f.name for f in build_figures(held, None, [], None)]
    assert names == REGRESSION + ["candidates"]


def test_many_classes_and_rows_stay_small_and_legible(wide):
    figures = build_figures(wide, cases.wide_importance(), cases.candidates(), "extra_trees")
    for figure in figures:
        assert len(figure.svg.encode()) <= MAX_SVG_BYTES, figure.name
    by_name = {f.name: f for f in figures}
    matrix = by_name["confusion_matrix"].data
    assert len(matrix["labels"]) == 12 and matrix["labels"][-1] == "Other (39 classes)"
    assert sum(map(sum, matrix["counts"])) == wide.rows == sum(map(sum, matrix["full_counts"]))
    for name in ("roc", "precision_recall"):
        curves = by_name[name].data["curves"]
        assert len(curves) == 10 and len(by_name[name].data["not_drawn"]) == 40
        assert len(by_name[name].data["scores"]) == 50
        x_key = "fpr" if name == "roc" else "recall"
        assert all(len(c[x_key]) <= CURVE_POINTS for c in curves)
    assert len(by_name["permutation_importance"].data["features"]) == 20


def test_scatter_plots_draw_a_sample_of_a_large_held_out_split():
    held = cases.big_regression()
    for figure in build_figures(held, None, [], None)[:2]:
        x = figure.data.get("actual") or figure.data.get("predicted")
        assert len(x) == SCATTER_POINTS and figure.data["rows"] == held.rows
        assert "a random 1,000 of the 10,000 rows" in figure.alt
        assert len(figure.svg.encode()) <= MAX_SVG_BYTES


def test_hostile_class_names_are_escaped_in_the_svg(drawn):
    for figure in drawn["binary"].values():
        assert "<script" not in figure.svg
    matrix = drawn["binary"]["confusion_matrix"]
    assert "&lt;script&gt;" in matrix.svg
    assert "<script>alert(1)<…" in texts(matrix.svg)  # drawn as text, shortened on an axis
    assert cases.HOSTILE in ET.fromstring(matrix.svg).get("aria-label")  # named in full


def test_user_text_is_never_mathtext_nor_invalid_xml():
    odd = sorted(["$x^2$ & <b>", "tab\there\x00\x07", "\ufffe end"])
    rng = np.random.default_rng(0)
    truth, predicted = rng.choice(odd, 300), rng.choice(odd, 300)
    proba = rng.dirichlet(np.ones(3), 300)
    held = HeldOut("multiclass", "accuracy", odd, truth, predicted, proba, {})
    figures = build_figures(held, None, [], None)
    matrix = figures[0]
    assert "$x^2$ &amp; &lt;b&gt;" in matrix.svg  # the dollars drawn as dollars, not as math
    assert "tab here  " in texts(matrix.svg)
    for figure in figures:
        texts(figure.svg)  # parses: no character XML refuses


def test_figures_render_from_two_threads_at_once(binary, regression):
    expected = {"b": figures_of(binary), "r": figures_of(regression)}
    before = matplotlib.rcParams["svg.fonttype"]
    results, errors = {}, []

    def work(key, case):
        try:
            for _ in range(2):
                results[key] = figures_of(case)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=("b", binary)),
        threading.Thread(target=work, args=("r", regression)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for key in expected:
        assert {n: f.svg for n, f in results[key].items()} == {
            n: f.svg for n, f in expected[key].items()
        }
    assert matplotlib.rcParams["svg.fonttype"] == before  # nothing leaked globally


def test_ids_are_scoped_to_the_figure(drawn):
    figure = drawn["regression"]["residuals"]
    root = ET.fromstring(figure.svg)
    ids = [node.get("id") for node in root.iter() if node.get("id")]
    assert ids and all(i.startswith("residuals-") for i in ids)


def test_a_model_without_probabilities_still_gets_every_figure():
    truth = np.array(["a", "b"] * 30, dtype=object)
    held = HeldOut("binary", "accuracy", ["a", "b"], truth, truth[::-1].copy(), None, {})
    figures = {f.name: f for f in build_figures(held, None, cases.candidates(), "logistic")}
    assert list(figures) == CLASSIFICATION + ["candidates"]
    assert "no class probabilities" in " ".join(texts(figures["roc"].svg))
    assert figures["calibration"].data == {"bins": []}


def test_regression_with_missing_predictions_draws_the_finite_rows():
    actual = np.array([1.0, 2.0, 3.0, np.nan, 5.0])
    predicted = np.array([1.1, np.inf, 2.9, 4.0, 5.2])
    held = HeldOut("regression", "mae", None, actual, predicted, None, {})
    for figure in build_figures(held, None, [], None):
        json.dumps(figure.data, allow_nan=False)
    assert figure.data["candidates"] == []
    assert build_figures(held, None, [], None)[0].data["rows"] == 3
