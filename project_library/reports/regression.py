"""Regression figures on the held-out rows: predicted against actual, and the residuals.

Scatter plots draw a fixed random sample of at most ``sampling.SCATTER_POINTS`` rows (the
figure says so when it samples); the statistics printed on the figures (RMSE, MAE, R²) and
the residual histogram (``binning``'s bins, at most 30) use every held-out row. A residual is
actual minus predicted, in the target's units.
"""

import numpy as np

from project_library.reports import canvas
from project_library.reports.binning import bin_edges, counts_on
from project_library.reports.sampling import number, numbers, sample_rows
from project_library.reports.tables import regression_summary


def finite_pairs(held_out):
    actual = np.asarray(held_out.y_true, dtype=float)
    predicted = np.asarray(held_out.predicted, dtype=float)
    keep = np.isfinite(actual) & np.isfinite(predicted)
    return actual[keep], predicted[keep]


def stats_line(held_out):
    summary = regression_summary(held_out)

    def show(key):
        value = summary[key]
        return "n/a" if value is None else f"{value:.4g}"

    return f"RMSE {show('rmse')} · MAE {show('mae')} · R² {show('r2')} on {summary['rows']:,} rows"


def sample_note(total, shown):
    return "" if shown == total else f"; a random {shown:,} of the {total:,} rows are drawn"


def predicted_vs_actual_figure(held_out):
    actual, predicted = finite_pairs(held_out)
    rows = sample_rows(len(actual))
    line = stats_line(held_out)
    side, below = 4.0, canvas.bottom_space()
    fig = canvas.new_figure(6.0, canvas.header_height() + side + below)
    canvas.title(fig, "Predicted against actual", line)
    ax = fig.add_axes((0, 0, 1, 1))
    canvas.style_axes(ax)
    canvas.labels(ax, "Actual value (target units)", "Predicted value (target units)")
    if len(actual):
        low = float(min(actual.min(), predicted.min()))
        high = float(max(actual.max(), predicted.max()))
        margin = (high - low) * 0.04 or 1.0
        limits = (low - margin, high + margin)
        ax.plot(limits, limits, color=canvas.BORDER, linewidth=1, linestyle="--")
        scatter(ax, actual[rows], predicted[rows])
        ax.set_xlim(limits)
        ax.set_ylim(limits)
    canvas.place(fig, ax, canvas.left_space(canvas.tick_texts(ax.yaxis)), below, side, side)
    data = {
        "actual": numbers(actual[rows]),
        "predicted": numbers(predicted[rows]),
        "rows": int(len(actual)),
        "summary": line,
    }
    note = sample_note(len(actual), len(rows))
    alt = (
        f"Scatter plot of predicted against actual values on the held-out rows{note}; "
        f"the dashed diagonal marks a perfect prediction. {line}."
    )
    return canvas.render(fig, "predicted_vs_actual", "Predicted against actual", alt, data)


def scatter(ax, x, y):
    ax.scatter(x, y, s=9, color=canvas.ACCENT, alpha=0.45, linewidths=0)


def residuals_figure(held_out):
    actual, predicted = finite_pairs(held_out)
    with np.errstate(over="ignore", invalid="ignore"):
        residual = actual - predicted
    rows = sample_rows(len(actual))
    line = stats_line(held_out)
    height, below = 3.4, canvas.bottom_space()
    fig = canvas.new_figure(canvas.WIDTH, canvas.header_height() + height + below)
    canvas.title(fig, "Residuals", line)
    spread = fig.add_axes((0, 0, 1, 1))
    histogram = fig.add_axes((0, 0, 1, 1), sharey=spread)
    canvas.style_axes(spread)
    canvas.labels(
        spread, "Predicted value (target units)", "Residual: actual − predicted (target units)"
    )
    spread.axhline(0, color=canvas.INK_2, linewidth=0.9)
    scatter(spread, predicted[rows], residual[rows])
    counts, edges = residual_histogram(histogram, residual)
    left = canvas.left_space(canvas.tick_texts(spread.yaxis))
    side = 1.5
    canvas.place(fig, spread, left, below, canvas.WIDTH - left - side - 0.45, height)
    canvas.place(fig, histogram, canvas.WIDTH - side - 0.25, below, side, height)
    data = {
        "predicted": numbers(predicted[rows]),
        "residual": numbers(residual[rows]),
        "histogram": {"edges": numbers(edges), "counts": counts.astype(int).tolist()},
        "rows": int(len(actual)),
        "summary": line,
    }
    alt = residuals_alt(residual, rows, line)
    return canvas.render(fig, "residuals", "Residuals", alt, data)


def residual_histogram(ax, residual):
    """Draw the distribution of every finite residual on ``ax``; return (counts, edges)."""
    canvas.style_axes(ax, grid="x")
    ax.tick_params(labelleft=False)
    canvas.labels(ax, "Rows")
    finite = residual[np.isfinite(residual)]
    if not len(finite):
        return np.zeros(0), np.zeros(0)
    edges = bin_edges(finite)
    counts = counts_on(edges, finite)
    ax.stairs(
        counts,
        edges,
        orientation="horizontal",
        fill=True,
        color=canvas.ACCENT_SOFT,
        edgecolor=canvas.ACCENT,
        linewidth=0.8,
    )
    ax.axhline(0, color=canvas.INK_2, linewidth=0.9)
    return counts, edges


def residuals_alt(residual, rows, line):
    note = sample_note(len(residual), len(rows))
    text = (
        f"Residuals (actual minus predicted) against the predicted value{note}, and their "
        f"distribution over all held-out rows. {line}."
    )
    finite = residual[np.isfinite(residual)]
    if len(finite):
        text += f" Median residual {number(np.median(finite), 4)}."
    return text
