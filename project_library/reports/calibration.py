"""The calibration (reliability) figure: how far a classifier's probabilities can be trusted.

Binary: P(positive class) against the observed share of positives, with the Brier score.
Multiclass: the probability given to the predicted class (the model's confidence) against how
often that prediction is right, with the expected calibration error (the row-weighted mean
gap between the two over the bins); one curve, however many classes. Ten equal-width bins;
the panel below counts the rows in each, since a point resting on three rows means little.
"""

import numpy as np

from project_library.reports import canvas
from project_library.reports.sampling import number, numbers
from project_library.reports.tables import class_name

BINS = 10


WIDTH, CURVE_HEIGHT, COUNTS_HEIGHT, GAP = 6.0, 3.0, 1.0, 0.15


def calibration_figure(held_out):
    below = canvas.bottom_space()
    fig = canvas.new_figure(
        WIDTH, canvas.header_height() + CURVE_HEIGHT + GAP + COUNTS_HEIGHT + below
    )
    if held_out.proba is None or held_out.rows == 0:
        canvas.title(fig, "Calibration")
        canvas.message(
            fig.add_axes((0, 0, 1, 0.8)), "The model gives no class probabilities to calibrate."
        )
        alt = "Calibration: not drawn, the model gives no class probabilities."
        return canvas.render(fig, "calibration", "Calibration", alt, {"bins": []})
    probability, outcome, meaning = confidence(held_out)
    table = reliability(probability, outcome)
    summary = score_line(held_out, probability, outcome, table)
    canvas.title(fig, "Calibration (reliability)", summary)
    draw(fig, table, meaning)
    data = {
        "probability": meaning,
        "edges": numbers(np.linspace(0, 1, BINS + 1)),
        "bins": [
            {"rows": int(r), "mean_probability": number(p), "observed": number(o)}
            for r, p, o in zip(table["rows"], table["mean"], table["observed"], strict=True)
        ],
        "summary": summary,
    }
    alt = (
        f"Reliability curve on {held_out.rows:,} held-out rows: {meaning} in {BINS} "
        f"equal-width bins against how often it came true. {summary}. A perfectly calibrated "
        "model lies on the diagonal."
    )
    return canvas.render(fig, "calibration", "Calibration", alt, data)


def confidence(held_out):
    """(probability per row, 1 when the event happened, what the probability means)."""
    names = [class_name(c) for c in held_out.classes]
    truth = np.array([class_name(v) for v in held_out.y_true], dtype=object)
    if len(names) == 2:
        outcome = (truth == names[1]).astype(float)
        return held_out.proba[:, 1], outcome, f"P({canvas.shorten(names[1], 24)})"
    predicted = np.array([class_name(v) for v in held_out.predicted], dtype=object)
    index = {n: i for i, n in enumerate(names)}
    column = np.array([index.get(v, -1) for v in predicted], dtype=int)
    given = held_out.proba[np.arange(held_out.rows), np.maximum(column, 0)]
    probability = np.where(column >= 0, given, 0.0)
    return probability, (predicted == truth).astype(float), "Probability of the predicted class"


def reliability(probability, outcome):
    """Per bin: rows, mean probability and observed share (NaN where a bin is empty)."""
    bins = np.clip((np.nan_to_num(probability) * BINS).astype(int), 0, BINS - 1)
    rows = np.bincount(bins, minlength=BINS)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(bins, weights=probability, minlength=BINS) / rows
        observed = np.bincount(bins, weights=outcome, minlength=BINS) / rows
    return {"rows": rows, "mean": mean, "observed": observed}


def score_line(held_out, probability, outcome, table):
    if len(held_out.classes) == 2:
        brier = float(np.mean((probability - outcome) ** 2))
        return f"Brier score {brier:.3f} (0 is perfect)"
    filled = table["rows"] > 0
    gaps = np.abs(table["mean"][filled] - table["observed"][filled])
    ece = float(np.sum(gaps * table["rows"][filled]) / max(held_out.rows, 1))
    return f"Expected calibration error {ece:.3f} (0 is perfect)"


def draw(fig, table, meaning):
    counts = fig.add_axes((0, 0, 1, 1))
    curve = fig.add_axes((0, 0, 1, 1), sharex=counts)
    canvas.style_axes(curve)
    curve.plot([0, 1], [0, 1], color=canvas.BORDER, linewidth=1, linestyle="--")
    filled = table["rows"] > 0
    curve.plot(
        table["mean"][filled],
        table["observed"][filled],
        color=canvas.ACCENT,
        linewidth=1.8,
        marker="o",
        markersize=4.5,
    )
    curve.set_xlim(0, 1)
    curve.set_ylim(-0.02, 1.02)
    curve.tick_params(labelbottom=False)
    multiclass = meaning.startswith("Probability")
    canvas.labels(curve, None, "Share predicted correctly" if multiclass else "Observed share")
    canvas.legend(
        curve, curve.get_lines()[::-1], ["Model", "Perfectly calibrated"], loc="upper left"
    )
    canvas.style_axes(counts, grid="y")
    counts.stairs(
        table["rows"],
        np.linspace(0, 1, BINS + 1),
        fill=True,
        color=canvas.ACCENT_SOFT,
        edgecolor=canvas.ACCENT,
        linewidth=0.8,
    )
    counts.set_ylim(0, max(int(table["rows"].max()), 1) * 1.1)
    canvas.labels(counts, meaning, "Rows")
    below = canvas.bottom_space()
    left = canvas.left_space(canvas.tick_texts(counts.yaxis) + ["0.0"])
    width = WIDTH - left - 0.35
    canvas.place(fig, counts, left, below, width, COUNTS_HEIGHT)
    canvas.place(fig, curve, left, below + COUNTS_HEIGHT + GAP, width, CURVE_HEIGHT)
    fig.align_ylabels([curve, counts])
