"""The permutation-importance figure: what the model relies on, measured on held-out rows.

Bars are the mean drop in the selection metric when one column is shuffled (a rise, for
RMSE and MAE), error bars the standard deviation over the repeats; at most ``TOP`` columns,
the most important first. A bar at or below zero means shuffling the column did not hurt.
"""

import numpy as np

from project_library.reports import canvas
from project_library.reports.sampling import number
from project_library.training import metrics as metric_defs

TOP = 20


def axis_label(metric):
    label = metric_defs.LABELS.get(metric, metric)
    if metric_defs.GREATER_IS_BETTER.get(metric, True):
        return f"{label} lost when the column is shuffled"
    return f"{label} added when the column is shuffled (target units)"


def importance_figure(importance):
    """The figure, or None when no importance was measured."""
    if importance is None:
        return None
    mean = np.nan_to_num(np.asarray(importance.mean, dtype=float))
    std = np.nan_to_num(np.asarray(importance.std, dtype=float))
    order = np.argsort(-mean, kind="stable")[:TOP]
    names = [str(importance.features[i]) for i in order]
    subtitle = (
        f"Top {len(order)} of {len(mean)} columns; mean ± sd over {importance.repeats} shuffles "
        f"of {importance.rows:,} held-out rows"
    )
    shown = [canvas.plain(n, limit=36) for n in names]
    height, below = 0.3 * max(len(order), 2), canvas.bottom_space()
    left = canvas.left_space(shown, ylabel=False)
    fig = canvas.new_figure(canvas.WIDTH, canvas.header_height() + height + below)
    canvas.title(fig, "Permutation importance", subtitle)
    ax = canvas.place(
        fig, fig.add_axes((0, 0, 1, 1)), left, below, canvas.WIDTH - left - 0.3, height
    )
    if len(order):
        draw(ax, shown, mean[order], std[order], importance.metric)
    else:
        canvas.message(ax, "The model has no columns to shuffle.")
    data = {
        "metric": importance.metric,
        "repeats": importance.repeats,
        "rows": importance.rows,
        "columns": len(mean),
        "features": [
            {"name": n, "mean": number(m), "std": number(s)}
            for n, m, s in zip(names, mean[order], std[order], strict=True)
        ],
    }
    return canvas.render(
        fig,
        "permutation_importance",
        "Permutation importance",
        alt_text(names, mean[order], importance, subtitle),
        data,
    )


def draw(ax, shown, mean, std, metric):
    canvas.style_axes(ax, grid="x")
    positions = np.arange(len(shown))
    colours = [canvas.ACCENT if m > 0 else canvas.BORDER for m in mean]
    ax.barh(
        positions,
        mean,
        xerr=std,
        height=0.62,
        color=colours,
        error_kw={"ecolor": canvas.INK_2, "elinewidth": 0.9, "capsize": 2.5},
    )
    ax.axvline(0, color=canvas.INK_2, linewidth=0.9)
    ax.set_yticks(positions, shown)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    canvas.labels(ax, axis_label(metric))


def alt_text(names, mean, importance, subtitle):
    if not names:
        return "Permutation importance: the model has no columns."
    top = ", ".join(f"{n} ({m:.3g})" for n, m in zip(names[:5], mean[:5], strict=True))
    useless = int(np.sum(np.asarray(importance.mean) <= 0))
    return (
        f"Bar chart of permutation importance: {axis_label(importance.metric)}. "
        f"{subtitle}. Most important: {top}. "
        f"{useless} of {len(importance.mean)} columns did not matter (importance 0 or less)."
    )
