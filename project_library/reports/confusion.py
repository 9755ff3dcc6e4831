"""The confusion matrix of the held-out rows: counts beside the share of each true class.

Both panels are shaded by the row share (the share of a true class predicted as each class),
so a small class's errors stand out as much as a large one's; the left panel prints counts,
the right one percentages. A class with no held-out rows keeps its row, greyed, with no share.

Legibility: up to ``MAX_CLASSES`` classes are drawn as they are. Beyond that, the
``MAX_CLASSES - 1`` classes with the most held-out rows (then the most predictions) are kept
and every other class is merged into one "Other (n classes)" row and column; the figure's data
then also holds the full matrix (``full_labels``, ``full_counts``) so nothing is lost. Up to
six classes the panels sit side by side; more are stacked, so each cell stays readable.
"""

import numpy as np

from project_library.reports import canvas
from project_library.reports.canvas import plain
from project_library.reports.tables import confusion_counts

MAX_CLASSES = 12
SIDE_BY_SIDE = 6


def confusion_figure(held_out):
    names, counts = confusion_counts(held_out)
    shown, drawn, merged = merge_small_classes(names, counts)
    shares = row_shares(drawn)
    stacked = len(shown) > SIDE_BY_SIDE
    fig = draw(shown, drawn, shares, stacked)
    data = {
        "labels": shown,
        "counts": drawn.tolist(),
        "shares": [[None if np.isnan(v) else round(float(v), 6) for v in row] for row in shares],
        "merged": merged,
        "rows": int(counts.sum()),
    }
    if merged:
        data["full_labels"], data["full_counts"] = names, counts.tolist()
    title = "Confusion matrix"
    return canvas.render(
        fig, "confusion_matrix", title, alt_text(names, counts, merged, stacked), data
    )


def merge_small_classes(names, counts, limit=MAX_CLASSES):
    """(names shown, counts shown, names merged into "Other"), at most ``limit`` classes."""
    if len(names) <= limit:
        return list(names), counts, []
    order = np.lexsort((np.arange(len(names)), -counts.sum(axis=0), -counts.sum(axis=1)))
    kept = sorted(order[: limit - 1].tolist())
    merged = [names[i] for i in sorted(order[limit - 1 :].tolist())]
    target = np.full(len(names), limit - 1)
    target[kept] = np.arange(limit - 1)
    drawn = np.zeros((limit, limit), dtype=np.int64)
    rows, cols = np.indices(counts.shape)
    np.add.at(drawn, (target[rows.ravel()], target[cols.ravel()]), counts.ravel())
    return [names[i] for i in kept] + [f"Other ({len(merged)} classes)"], drawn, merged


def row_shares(counts):
    support = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(support > 0, counts / np.maximum(support, 1), np.nan)


def draw(names, counts, shares, stacked):
    k = len(names)
    shown = [plain(n, limit=18) for n in names]
    tilt = 40 if k > 4 or max(len(n) for n in shown) > 8 else 0
    cell = 0.5 if k <= 6 else 0.42
    side = max(cell * k, 2.2)  # at least as wide as the panel's heading
    left = canvas.left_space(shown)
    below = canvas.bottom_space(shown, rotation=tilt)
    panel_width, panel_height = left + side, canvas.HEADING + side + below
    top = canvas.header_height()
    width = max(panel_width if stacked else 2 * panel_width + 0.3, 5.5) + canvas.EDGE
    height = top + (2 * panel_height + 0.2 if stacked else panel_height)
    fig = canvas.new_figure(width, height)
    canvas.title(
        fig,
        "Confusion matrix",
        f"{int(counts.sum()):,} held-out rows; cells shaded by the share of each true class; "
        "empty cells: no rows",
    )
    panels = (("Counts (rows)", count_text), ("Share of each true class", share_text))
    for i, (heading, fmt) in enumerate(panels):
        x = left if stacked else left + i * (panel_width + 0.3)
        y = below + (1 - i) * (panel_height + 0.2) if stacked else below
        ax = canvas.place(fig, fig.add_axes((0, 0, 1, 1)), x, y, side, side)
        draw_panel(ax, shown, shares, tilt)
        annotate(ax, counts, shares, fmt)
        canvas.labels(ax, "Predicted class", "True class", heading)
    return fig


def draw_panel(ax, shown, shares, tilt):
    k = len(shown)
    ax.pcolormesh(
        np.ma.masked_invalid(shares),
        cmap=canvas.SEQUENTIAL,
        vmin=0,
        vmax=1,
        edgecolors="#ffffff",
        linewidth=1.5,
    )
    ax.set_xlim(0, k)
    ax.set_ylim(k, 0)
    canvas.style_axes(ax, grid=None)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ticks = np.arange(k) + 0.5
    ax.set_xticks(
        ticks, shown, rotation=tilt, ha="right" if tilt else "center", rotation_mode="anchor"
    )
    ax.set_yticks(ticks, shown)
    ax.tick_params(length=0)


def annotate(ax, counts, shares, fmt):
    """Each non-empty cell's value (text costs most of the drawing time, so zeros stay blank);
    a class without held-out rows says so once across its row."""
    k = len(counts)
    size = 9 if k <= 6 else 8 if k <= 9 else 7
    for row, col in zip(*np.nonzero(counts), strict=True):
        colour = "#ffffff" if shares[row, col] > 0.55 else canvas.INK
        ax.text(
            col + 0.5,
            row + 0.5,
            fmt(counts[row, col], shares[row, col]),
            ha="center",
            va="center",
            fontsize=size,
            color=colour,
        )
    for row in np.flatnonzero(counts.sum(axis=1) == 0):
        ax.text(
            k / 2,
            row + 0.5,
            "no held-out rows",
            ha="center",
            va="center",
            fontsize=size,
            color=canvas.MUTED,
            fontstyle="italic",
        )


def count_text(count, share):
    return f"{int(count):,}"


def share_text(count, share):
    return "<1%" if share < 0.01 else f"{share:.0%}"


def alt_text(names, counts, merged, stacked):
    rows = int(counts.sum())
    correct = int(np.trace(counts))
    off = counts.copy()
    np.fill_diagonal(off, 0)
    parts = [
        f"Confusion matrix of {rows:,} held-out rows over {len(names)} classes: counts "
        f"{'above' if stacked else 'on the left'}, the share of each true class "
        f"{'below' if stacked else 'on the right'}.",
        f"{correct / rows:.1%} of the rows are predicted correctly." if rows else "No rows.",
    ]
    if off.max() > 0:
        t, p = np.unravel_index(np.argmax(off), off.shape)
        parts.append(
            f"The most frequent confusion: {names[t]} predicted as {names[p]} "
            f"({int(off[t, p]):,} rows)."
        )
    absent = [n for n, s in zip(names, counts.sum(axis=1), strict=True) if s == 0]
    if absent:
        parts.append(f"No held-out rows for: {', '.join(absent)}.")
    if merged:
        parts.append(f"{len(merged)} smaller classes are merged into 'Other'.")
    return " ".join(parts)
