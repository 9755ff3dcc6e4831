"""The distribution of a model's predictions, and a figure comparing two of them.

``prediction_distribution(task, classes, predicted)`` summarises predictions as JSON (the
drift profile stores the held-out one at training time, and each prediction run its own):

- classification: ``{"kind": "classes", "counts": {"<class as str>": n, ...}, "rows": n}``,
  every known class listed (0 when never predicted), in the order of ``classes``, then any
  other value seen;
- regression: ``{"kind": "numeric", "edges": [...], "counts": [...], "rows": n}``, at most
  ``binning.MAX_BINS`` equal-width bins from the smallest to the largest value (the last bin
  includes its right edge). NaN and infinities are not counted, so ``rows == sum(counts)``; with no
  finite value, ``edges`` and ``counts`` are empty. A constant gets one bin around it.

``distribution_figure(reference, batch, title)`` draws a batch's distribution beside the
reference as shares of rows. A numeric batch is rebinned onto the reference's edges (its
counts spread evenly within each of its own bins); what falls outside the reference range is
counted in the end bins, and the alt text says how much.
"""

import math
from collections import Counter

import numpy as np
from matplotlib.ticker import PercentFormatter

from project_library.reports import canvas
from project_library.reports.binning import bin_edges, counts_on, rebin
from project_library.reports.sampling import number, numbers
from project_library.reports.tables import class_name
from project_library.training import metrics as metric_defs

MAX_BARS = 20
REFERENCE, BATCH = "Held-out rows at training", "This batch"


def prediction_distribution(task, classes, predicted):
    if metric_defs.is_classification(task):
        return class_counts(classes, predicted)
    return numeric_histogram(predicted)


def class_counts(classes, predicted):
    seen = Counter(class_name(v) for v in np.asarray(predicted, dtype=object).ravel())
    names = [class_name(c) for c in classes or []]
    names += sorted(set(seen) - set(names))
    return {
        "kind": "classes",
        "counts": {n: int(seen.get(n, 0)) for n in names},
        "rows": int(sum(seen.values())),
    }


def numeric_histogram(predicted):
    values = as_floats(predicted)
    values = values[np.isfinite(values)]
    if not len(values):
        return {"kind": "numeric", "edges": [], "counts": [], "rows": 0}
    edges = bin_edges(values)
    return {
        "kind": "numeric",
        "edges": [float(e) for e in edges],
        "counts": counts_on(edges, values).astype(int).tolist(),
        "rows": int(len(values)),
    }


def as_floats(values):
    """Values as floats; anything that is not a number becomes NaN."""
    flat = np.asarray(values, dtype=object).ravel()
    try:
        return flat.astype(float)
    except (TypeError, ValueError):
        return np.array([to_float(v) for v in flat], dtype=float)


def to_float(value):
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def distribution_figure(reference, batch, title):
    """The batch's predictions beside the reference's, as shares of rows (a ``Figure``)."""
    kinds = {reference.get("kind"), batch.get("kind")}
    bars = len(class_labels(reference, batch)) if kinds == {"classes"} else 0
    height, below = 0.36 * min(bars, MAX_BARS) + 0.2 if bars else 2.9, canvas.bottom_space()
    fig = canvas.new_figure(canvas.WIDTH, canvas.header_height() + height + below)
    canvas.title(
        fig,
        title,
        f"{BATCH}: {rows_of(batch):,} rows; {REFERENCE.lower()}: {rows_of(reference):,} rows",
    )
    ax = fig.add_axes((0, 0, 1, 1))
    canvas.style_axes(ax, grid="x" if bars else "y")
    if kinds == {"classes"}:
        data, alt = draw_classes(ax, reference, batch)
    elif kinds == {"numeric"}:
        data, alt = draw_numeric(ax, reference, batch)
    else:
        canvas.message(ax, "The batch and the reference describe different kinds of prediction.")
        data, alt = {"kind": None}, "The two distributions cannot be compared: different kinds."
    left = canvas.left_space(canvas.tick_texts(ax.yaxis), ylabel=not bars)
    canvas.place(fig, ax, left, below, canvas.WIDTH - left - 0.3, height)
    data["rows"] = {"reference": rows_of(reference), "batch": rows_of(batch)}
    alt = f"{canvas.shorten(title, None)}. {alt}"
    return canvas.render(fig, "prediction_distribution", title, alt, data)


def rows_of(summary):
    rows = summary.get("rows")
    return int(rows) if isinstance(rows, int | float) and math.isfinite(rows) else 0


def class_labels(reference, batch):
    known = list(reference.get("counts") or {})
    return known + [n for n in batch.get("counts") or {} if n not in set(known)]


def shares(counts):
    counts = np.clip(np.nan_to_num(np.asarray(counts, dtype=float)), 0, None)
    total = counts.sum()
    return counts / total if total > 0 else np.zeros_like(counts)


def top_bars(names, old, new):
    """At most ``MAX_BARS`` bars: the largest classes in either, the rest as "Other"."""
    if len(names) <= MAX_BARS:
        return names, old, new
    kept = np.sort(np.argsort(-np.maximum(old, new), kind="stable")[: MAX_BARS - 1])
    rest = np.setdiff1d(np.arange(len(names)), kept)
    label = f"Other ({len(rest)} classes)"
    return (
        [names[i] for i in kept] + [label],
        np.append(old[kept], old[rest].sum()),
        np.append(new[kept], new[rest].sum()),
    )


def draw_classes(ax, reference, batch):
    names = class_labels(reference, batch)
    old = shares([(reference.get("counts") or {}).get(n, 0) for n in names])
    new = shares([(batch.get("counts") or {}).get(n, 0) for n in names])
    names, old, new = top_bars(names, old, new)
    if not names:
        canvas.message(ax, "No predictions to compare.")
        return {"kind": "classes", "labels": []}, "No predictions to compare."
    place = np.arange(len(names))
    first = ax.barh(place - 0.2, old, height=0.38, color=canvas.BORDER)
    second = ax.barh(place + 0.2, new, height=0.38, color=canvas.ACCENT)
    ax.set_yticks(place, [canvas.plain(n, limit=30) for n in names])
    ax.set_ylim(len(names) - 0.5, -0.6)
    ax.tick_params(axis="y", length=0)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    canvas.labels(ax, "Share of rows")
    canvas.legend(ax, [first, second], [REFERENCE, BATCH], loc="lower right")
    moves = np.argsort(-np.abs(new - old), kind="stable")[:3]
    changes = "; ".join(f"{names[i]} {old[i]:.1%} → {new[i]:.1%}" for i in moves)
    alt = (
        f"Bar chart of the share of predictions per class, {BATCH.lower()} beside the "
        f"{REFERENCE.lower()}. Largest differences: {changes}."
    )
    data = {"kind": "classes", "labels": names, "reference": numbers(old), "batch": numbers(new)}
    return data, alt


def draw_numeric(ax, reference, batch):
    edges = np.asarray(reference.get("edges") or [], dtype=float)
    old = shares(reference.get("counts") or [])
    if len(edges) < 2 or len(old) != len(edges) - 1:
        edges, old = np.asarray(batch.get("edges") or [], dtype=float), None
    if len(edges) < 2:
        canvas.message(ax, "No finite predicted values to compare.")
        return {"kind": "numeric", "edges": []}, "No finite predicted values to compare."
    spread, outside = rebin(batch, edges)
    new = shares(spread)
    factor = axis_factor(edges)
    handles, names = [], []
    if old is not None:
        style = {"fill": True, "color": canvas.SOFT, "edgecolor": canvas.BORDER, "linewidth": 0.8}
        handles.append(ax.stairs(old, edges / factor, **style))
        names.append(REFERENCE)
    handles.append(ax.stairs(new, edges / factor, color=canvas.ACCENT, linewidth=1.8))
    names.append(BATCH)
    peak = max(float(new.max(initial=0)), float(old.max(initial=0)) if old is not None else 0)
    ax.set_ylim(0, peak * 1.12 or 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    unit = f" (× {factor:.0e})" if factor != 1 else ""
    canvas.labels(ax, f"Predicted value{unit} (target units)", "Share of rows")
    canvas.legend(ax, handles, names, loc="upper right")
    data = {
        "kind": "numeric",
        "edges": [float(e) for e in edges],
        "reference": None if old is None else numbers(old),
        "batch": numbers(new),
        "outside": number(outside),
    }
    return data, numeric_alt(edges, old is not None, outside)


def axis_factor(edges):
    """A power of ten to divide huge values by, so the axis arithmetic stays finite."""
    largest = float(np.abs(edges).max())
    if largest < 1e100 and math.isfinite(float(edges[-1]) - float(edges[0])):
        return 1.0
    return 10.0 ** math.floor(math.log10(largest))


def numeric_alt(edges, has_reference, outside):
    low, high = f"{edges[0]:.4g}", f"{edges[-1]:.4g}"
    if not has_reference:
        return f"Histogram of the batch's predicted values from {low} to {high}; no reference."
    beyond = (
        f"{outside:.1%} of the batch falls outside that range and is counted in the end bins"
        if outside > 0
        else "None of the batch falls outside that range"
    )
    return (
        f"Histogram of predicted values as shares of rows, {BATCH.lower()} (line) over the "
        f"{REFERENCE.lower()} (shaded), in {len(edges) - 1} bins of the training range "
        f"{low} to {high}. {beyond}."
    )
