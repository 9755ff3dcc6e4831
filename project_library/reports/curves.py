"""ROC and precision-recall figures of a classifier on its held-out rows.

Binary projects get one curve, for the positive class (the second of the sorted classes, as
``metrics.roc_auc`` scores it). Multiclass projects get one-vs-rest curves, drawn for at most
``MAX_CURVES`` classes, those with the most held-out rows (the legend's mean and the data's
``scores`` cover every class that has a curve). A class with no held-out rows (or only
held-out rows) has no curve; it is named in the alt text and in the data's ``not_drawn``.
Curves are computed with ``sklearn.metrics`` on every held-out row, then drawn and stored
thinned to ``sampling.CURVE_POINTS`` points; AUC and average precision use the full curves.
"""

from dataclasses import dataclass

import numpy as np
from sklearn import metrics as skm

from project_library.reports import canvas
from project_library.reports.sampling import number, numbers, thin_curve
from project_library.reports.tables import class_name

MAX_CURVES = 10


@dataclass
class OneVsRest:
    name: str
    positive: np.ndarray
    score: np.ndarray


@dataclass
class Curve:
    name: str
    value: float  # AUC or average precision, from the full curve
    x: np.ndarray
    y: np.ndarray


@dataclass
class Kind:
    """What differs between the ROC and the precision-recall figure."""

    name: str
    title: str
    x_label: str
    y_label: str
    measure: str  # in the legend
    measure_key: str  # in the data
    x_key: str
    y_key: str
    corner: str  # of the binary legend
    step: bool


ROC = Kind(
    "roc",
    "ROC curve",
    "False positive rate",
    "True positive rate",
    "AUC",
    "auc",
    "fpr",
    "tpr",
    "lower right",
    False,
)
PR = Kind(
    "precision_recall",
    "Precision-recall curve",
    "Recall",
    "Precision",
    "AP",
    "average_precision",
    "recall",
    "precision",
    "lower left",
    True,
)


def one_vs_rest(held_out):
    """(each class that can have a curve, largest first; {class: why it has none})."""
    names = [class_name(c) for c in held_out.classes]
    if held_out.proba is None:
        return [], {n: "the model gives no class probabilities" for n in names}
    truth = np.array([class_name(v) for v in held_out.y_true], dtype=object)
    usable, missing = [], {}
    for i in [1] if len(names) == 2 else range(len(names)):
        positive = truth == names[i]
        if positive.all() or not positive.any():
            which = "no" if not positive.any() else "only"
            missing[names[i]] = f"{which} held-out rows of this class"
            continue
        usable.append(OneVsRest(names[i], positive, held_out.proba[:, i]))
    usable.sort(key=lambda c: -int(c.positive.sum()))
    return usable, missing


def roc_figure(held_out):
    usable, missing = one_vs_rest(held_out)
    curves = []
    for c in usable:
        fpr, tpr, _ = skm.roc_curve(c.positive, c.score)
        curves.append(Curve(c.name, float(skm.auc(fpr, tpr)), fpr, tpr))
    fig, ax = curve_axes(held_out, ROC, curves)
    ax.plot([0, 1], [0, 1], color=canvas.BORDER, linewidth=1, linestyle="--")
    return curve_figure(fig, ax, held_out, ROC, curves, missing)


def precision_recall_figure(held_out):
    usable, missing = one_vs_rest(held_out)
    curves = []
    for c in usable:
        precision, recall, _ = skm.precision_recall_curve(c.positive, c.score)
        value = float(skm.average_precision_score(c.positive, c.score))
        curves.append(Curve(c.name, value, recall, precision))
    fig, ax = curve_axes(held_out, PR, curves)
    if len(held_out.classes) == 2 and usable:
        share = float(usable[0].positive.mean())
        ax.axhline(share, color=canvas.BORDER, linewidth=1, linestyle="--")
        ax.text(
            0.01,
            share + 0.015,
            f"Chance: {share:.1%} positives",
            fontsize=canvas.NOTE_SIZE,
            color=canvas.MUTED,
        )
    return curve_figure(fig, ax, held_out, PR, curves, missing)


def legend_names(held_out, kind, curves):
    if len(held_out.classes) == 2:
        return [f"{kind.measure} {c.value:.3f}" for c in curves]
    return [f"{canvas.shorten(c.name, 24)}  {kind.measure} {c.value:.3f}" for c in curves]


def curve_axes(held_out, kind, curves):
    """A square 0-1 axes, with room on its right for a multiclass legend."""
    multiclass = len(held_out.classes) > 2
    names = legend_names(held_out, kind, curves[:MAX_CURVES]) if multiclass else []
    legend = canvas.text_width([*names, "10 of 10 classes; mean AUC 0.000"]) + 0.6
    side, left, below = 3.6, canvas.left_space(["0.0"]), canvas.bottom_space()
    width = max(left + side + (legend if multiclass else 0.3), 5.0)
    fig = canvas.new_figure(width, canvas.header_height() + side + below)
    rows = f"{held_out.rows:,} held-out rows"
    positive = f"Positive class: {canvas.shorten(class_name(held_out.classes[-1]), 40)}; {rows}"
    canvas.title(fig, kind.title, f"One-vs-rest per class; {rows}" if multiclass else positive)
    ax = canvas.place(fig, fig.add_axes((0, 0, 1, 1)), left, below, side, side)
    canvas.style_axes(ax)
    canvas.labels(ax, kind.x_label, kind.y_label)
    ax.set_xlim(-0.01, 1.01)
    ax.set_ylim(-0.01, 1.02)
    return fig, ax


def curve_figure(fig, ax, held_out, kind, curves, missing):
    """Draw the largest classes' curves, thinned; the Figure with its data and alt text."""
    drawn = [Curve(c.name, c.value, *thin_curve(c.x, c.y)) for c in curves[:MAX_CURVES]]
    left_out = {
        c.name: f"not among the {MAX_CURVES} classes with the most held-out rows"
        for c in curves[MAX_CURVES:]
    }
    mean = float(np.mean([c.value for c in curves])) if curves else None
    draw_curves(ax, held_out, kind, drawn, {**missing, **left_out}, mean)
    data = {
        "curves": [
            {
                "class": c.name,
                kind.measure_key: number(c.value),
                kind.x_key: numbers(c.x),
                kind.y_key: numbers(c.y),
            }
            for c in drawn
        ],
        "scores": {c.name: number(c.value) for c in curves},
        "mean": None if mean is None else number(mean),
        "not_drawn": {**missing, **left_out},
    }
    alt = curves_alt(kind, held_out, drawn, missing, left_out, mean)
    return canvas.render(fig, kind.name, kind.title, alt, data)


def draw_curves(ax, held_out, kind, drawn, not_drawn, mean):
    handles = []
    for i, curve in enumerate(drawn):
        (line,) = ax.plot(
            curve.x,
            curve.y,
            color=canvas.PALETTE[i % len(canvas.PALETTE)],
            linewidth=1.8,
            drawstyle="steps-post" if kind.step else "default",
        )
        handles.append(line)
    names = legend_names(held_out, kind, drawn)
    if not drawn:
        reasons = "; ".join(f"{n}: {why}" for n, why in list(not_drawn.items())[:3])
        canvas.message(ax, f"No curve to draw ({reasons}).")
    elif len(held_out.classes) == 2:
        canvas.legend(ax, handles, names, loc=kind.corner)
    else:
        shown = f"{len(drawn)} of {len(held_out.classes)} classes" if not_drawn else "Each class"
        box = canvas.legend(
            ax,
            handles,
            names,
            loc="upper left",
            bbox_to_anchor=(1.03, 1),
            title=f"{shown}; mean {kind.measure} {mean:.3f}",
        )
        box.get_title().set(fontsize=canvas.TICK_SIZE, color=canvas.INK_2)


def curves_alt(kind, held_out, drawn, missing, left_out, mean):
    rows = f"{held_out.rows:,} held-out rows"
    if not drawn:
        return f"{kind.title}: none drawn on the {rows}."
    listed = ", ".join(f"{c.name} ({kind.measure} {c.value:.3f})" for c in drawn)
    if len(held_out.classes) == 2:
        text = f"{kind.title} on {rows} for the positive class, {listed}."
    else:
        text = (
            f"{kind.title}s on {rows}, one-vs-rest: {listed}; mean {kind.measure} {mean:.3f} "
            f"over the {len(drawn) + len(left_out)} classes with a curve."
        )
    if missing:
        text += " No curve for " + "; ".join(f"{n} ({why})" for n, why in missing.items()) + "."
    if left_out:
        text += (
            f" {len(left_out)} smaller classes are not drawn (their {kind.measure} is in the data)."
        )
    return text
