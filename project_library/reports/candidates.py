"""The candidates figure: what model selection tried, what each scored, what it cost.

One row per candidate, in the order tried. Left: the cross-validated score (mean, with the
standard deviation over the folds as an error bar, and each fold as a small ring); a candidate
that was skipped, failed or stopped says so in its row (a stopped one still shows the folds it
finished). Right: the seconds its cross-validation took. The chosen candidate is highlighted.
"""

import numpy as np

from project_library.reports import canvas
from project_library.reports.sampling import number, numbers
from project_library.training import metrics as metric_defs


def score_label(metric):
    label = metric_defs.LABELS.get(metric, metric)
    better = "higher" if metric_defs.GREATER_IS_BETTER.get(metric, True) else "lower"
    units = "target units; " if metric in ("rmse", "mae") else ""
    return f"{label}, cross-validated ({units}{better} is better)"


def candidates_figure(candidates, chosen, metric):
    rows = [dict(c) for c in candidates]
    names = [canvas.plain(c.get("label") or c.get("name"), limit=34) for c in rows]
    height, below = 0.42 * max(len(rows), 2), canvas.bottom_space()
    fig = canvas.new_figure(canvas.WIDTH, canvas.header_height() + height + below)
    canvas.title(
        fig,
        "Candidates",
        f"{len(rows)} tried by cross-validation, in order; dot: mean ± sd over the folds, "
        "ring: one fold",
    )
    if rows:
        left = canvas.left_space([f"{n}  " for n in names], ylabel=False)  # bold: a bit wider
        seconds_width = 1.5
        scores_width = canvas.WIDTH - left - seconds_width - 0.55
        scores = canvas.place(fig, fig.add_axes((0, 0, 1, 1)), left, below, scores_width, height)
        seconds = canvas.place(
            fig,
            fig.add_axes((0, 0, 1, 1), sharey=scores),
            canvas.WIDTH - seconds_width - 0.3,
            below,
            seconds_width,
            height,
        )
        draw_scores(scores, rows, names, chosen, metric)
        draw_seconds(seconds, rows, chosen)
    else:
        canvas.message(
            fig.add_axes((0, 0, 1, 0.8)), "No candidate was cross-validated for this version."
        )
    alt = alt_text(rows, chosen, metric)
    return canvas.render(fig, "candidates", "Candidates", alt, figure_data(rows, chosen, metric))


def figure_data(rows, chosen, metric):
    return {
        "metric": metric,
        "chosen": chosen,
        "candidates": [
            {
                "name": c.get("name"),
                "label": c.get("label"),
                "status": c.get("status"),
                "score": number(c["score"]) if c.get("score") is not None else None,
                "spread": spread(c),
                "fold_scores": numbers(c.get("fold_scores") or []),
                "seconds": number(c.get("seconds") or 0.0),
                "note": c.get("note", ""),
                "chosen": c.get("name") == chosen,
            }
            for c in rows
        ],
    }


def spread(candidate):
    folds = np.asarray(candidate.get("fold_scores") or [], dtype=float)
    return number(np.std(folds)) if len(folds) > 1 else None


def draw_scores(ax, rows, names, chosen, metric):
    canvas.style_axes(ax, grid="x")
    values = [v for c in rows for v in [c.get("score"), *(c.get("fold_scores") or [])]]
    values = np.asarray([v for v in values if v is not None], dtype=float)
    values = values[np.isfinite(values)]
    if len(values):
        low, high = float(values.min()), float(values.max())
        margin = (high - low) * 0.15 or max(abs(high) * 0.05, 0.01)
        ax.set_xlim(low - margin, high + margin)
    for y, c in enumerate(rows):
        colour = canvas.ACCENT if c.get("name") == chosen else canvas.INK_2
        if c.get("name") == chosen:
            ax.axhspan(y - 0.45, y + 0.45, color=canvas.ACCENT_SOFT, zorder=0)
        folds = [f for f in c.get("fold_scores") or [] if f is not None]
        ax.scatter(
            folds,
            [y] * len(folds),
            s=22,
            facecolors="none",
            edgecolors=colour,
            linewidths=0.9,
            alpha=0.8,
        )
        if c.get("status") == "scored" and c.get("score") is not None:
            ax.errorbar(
                c["score"],
                y,
                xerr=spread(c) or 0,
                fmt="o",
                color=colour,
                markersize=6.5,
                elinewidth=1.6,
                capsize=3,
            )
        else:
            note(ax, y, c, folds)
    ax.set_yticks(range(len(rows)), names)
    for tick, c in zip(ax.get_yticklabels(), rows, strict=True):
        if c.get("name") == chosen:
            tick.set(color=canvas.ACCENT, fontweight="bold")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    canvas.labels(ax, score_label(metric))


def note(ax, y, candidate, folds):
    """The candidate's status in its row; beside the folds it finished, on the emptier side."""
    left, right = ax.get_xlim()
    if folds:
        text = f"stopped after {len(folds)} fold{'s' if len(folds) > 1 else ''}"
        on_right = np.mean(folds) < (left + right) / 2
    else:
        text, on_right = status_text(candidate), False
    colour = canvas.BAD if candidate.get("status") == "failed" else canvas.MUTED
    ax.text(
        0.99 if on_right else 0.01,
        y,
        canvas.plain(text, limit=None),
        transform=ax.get_yaxis_transform(),
        ha="right" if on_right else "left",
        va="center",
        fontsize=canvas.NOTE_SIZE,
        color=colour,
        fontstyle="italic",
    )


def status_text(candidate):
    status = candidate.get("status") or "?"
    why = canvas.shorten(candidate.get("note") or "", limit=56)
    return f"{status}: {why}" if why else status


def draw_seconds(ax, rows, chosen):
    canvas.style_axes(ax, grid="x")
    seconds = [float(c.get("seconds") or 0.0) for c in rows]
    colours = [canvas.ACCENT if c.get("name") == chosen else canvas.BORDER for c in rows]
    ax.barh(range(len(rows)), seconds, height=0.5, color=colours)
    top = max(seconds) or 1.0
    ax.set_xlim(0, top * 1.35)
    for y, s in enumerate(seconds):
        ax.text(
            s + top * 0.03,
            y,
            f"{s:.1f} s",
            va="center",
            fontsize=canvas.NOTE_SIZE,
            color=canvas.INK_2,
        )
    ax.tick_params(axis="y", length=0, labelleft=False)
    ax.spines["left"].set_visible(False)
    canvas.labels(ax, "Time (s)")


def alt_text(rows, chosen, metric):
    if not rows:
        return "Candidates: none was cross-validated for this version."
    parts = []
    for c in rows:
        label = c.get("label") or c.get("name")
        if c.get("status") == "scored" and c.get("score") is not None:
            sd = spread(c)
            value = f"{c['score']:.4g}" + (f" ± {sd:.2g}" if sd is not None else "")
        else:
            value = status_text(c)
        mark = ", chosen" if c.get("name") == chosen else ""
        parts.append(f"{label}: {value} in {float(c.get('seconds') or 0):.1f} s{mark}")
    label = metric_defs.LABELS.get(metric, metric)
    return f"Candidates tried, with their cross-validated {label}: " + "; ".join(parts) + "."
