"""Prediction drift: the batch's predicted class shares, or predicted values, against the
predictions the model made on its held-out rows.

Both sides are plain count distributions, the same format in the profile and for the batch:

- classification ``{"kind": "classes", "counts": {"<class>": n}, "rows": n}``, compared with
  the Jensen-Shannon distance of the class shares;
- regression ``{"kind": "numeric", "edges": [...], "counts": [...], "rows": n}``, counts over
  the bins (-inf, e0], (e0, e1], ..., (e_last, inf) (``len(edges) + 1`` of them; a
  ``numpy.histogram``-style ``len(edges) - 1`` is accepted and padded), compared with the PSI.

The held-out rows are few (hundreds, often), so the reference side of the null simulation
matters most here, and the threshold is calibrated like a feature's.
"""

import numpy as np
import pandas as pd

from project_library.drift import statistics as st
from project_library.drift.calibration import null_draws, tail_threshold, threshold
from project_library.drift.report import PredictionDrift, interval_labels, share_list
from project_library.drift.values import label_counts, numbers

DECILES = np.arange(1, 10) / 10


def reference_predictions(predicted, classes=None):
    """The held-out predictions' distribution; ``classes`` (classification) keeps the classes
    the model never predicted there, with a count of 0."""
    values = np.asarray(predicted)
    if classes is not None:
        return {"kind": "classes", "counts": _class_counts(values, classes), "rows": len(values)}
    finite = _finite(values)
    edges = np.array([])
    if len(finite):
        edges = np.unique(np.quantile(finite, DECILES, method="inverted_cdf"))
    return _numeric(edges, finite, len(values))


def batch_predictions(predicted, reference):
    """The batch's predictions in the format of ``reference`` (the profile's), on its bins."""
    values = np.asarray(predicted)
    if reference["kind"] == "classes":
        return {
            "kind": "classes",
            "counts": _class_counts(values, reference["counts"]),
            "rows": len(values),
        }
    return _numeric(np.asarray(reference["edges"], dtype=float), _finite(values), len(values))


def _finite(values):
    predicted = numbers(pd.Series(values))
    return predicted[np.isfinite(predicted)]


def _numeric(edges, finite, rows):
    counts = np.bincount(np.searchsorted(edges, finite, side="left"), minlength=len(edges) + 1)
    return {"kind": "numeric", "edges": edges.tolist(), "counts": counts.tolist(), "rows": rows}


def _class_counts(values, classes):
    """Rows per predicted class as text, every class in ``classes`` first (0 if absent)."""
    if values.dtype == object:
        counts = label_counts(pd.Series(values, dtype=object)).to_dict()
    else:  # numbers or fixed-width text: sorting beats making a Python object per row
        labels, sizes = np.unique(values, return_counts=True)
        counts = {}
        for label, size in zip(labels.tolist(), sizes.tolist(), strict=True):
            counts[str(label)] = counts.get(str(label), 0) + size
    known = {str(c): int(counts.get(str(c), 0)) for c in classes}
    return {**known, **{label: int(n) for label, n in counts.items() if label not in known}}


def normalised(distribution):
    """A copy with plain JSON types, checked; None stays None."""
    if distribution is None:
        return None
    if distribution.get("kind") == "classes":
        counts = {str(k): int(v) for k, v in distribution["counts"].items()}
        rows = int(distribution.get("rows", sum(counts.values())))
        return {"kind": "classes", "counts": counts, "rows": rows}
    if distribution.get("kind") != "numeric":
        raise ValueError("A prediction distribution's kind is 'classes' or 'numeric'.")
    edges = [float(e) for e in distribution["edges"]]
    counts = [int(c) for c in distribution["counts"]]
    if len(counts) == len(edges) - 1:
        counts = [0, *counts, 0]
    if len(counts) != len(edges) + 1 or not np.all(np.isfinite(edges)):
        raise ValueError("Numeric prediction counts need len(edges) + 1 bins on finite edges.")
    return {"kind": "numeric", "edges": edges, "counts": counts, "rows": int(distribution["rows"])}


def _aligned(reference, batch):
    """(labels, reference counts, batch counts) on one set of bins."""
    if reference["kind"] != batch["kind"]:
        raise ValueError("The batch's predictions are not of the profile's kind.")
    if reference["kind"] == "classes":
        new = [label for label in batch["counts"] if label not in reference["counts"]]
        labels = [*reference["counts"], *new]
        return (
            labels,
            np.array([reference["counts"].get(k, 0) for k in labels], dtype=np.int64),
            np.array([batch["counts"].get(k, 0) for k in labels], dtype=np.int64),
        )
    if reference["edges"] != batch["edges"]:
        raise ValueError("Bin the batch's predictions on the profile's edges (batch_predictions).")
    counts = (np.array(reference["counts"], dtype=np.int64), np.array(batch["counts"], np.int64))
    return interval_labels(reference["edges"]), *counts


def compare(reference, batch, rng, level):
    """The batch's prediction drift, or None when either distribution is unknown."""
    reference, batch = normalised(reference), normalised(batch)
    if reference is None or batch is None:
        return None
    labels, expected, observed = _aligned(reference, batch)
    classes = reference["kind"] == "classes"
    statistic = "jensen_shannon" if classes else "psi"
    value = limit = None
    if expected.sum() and observed.sum():
        value, limit = _calibrated(classes, expected, observed, rng, level)
    return PredictionDrift(
        kind=reference["kind"],
        statistic=statistic,
        value=value,
        threshold=limit,
        drifted=value is not None and value > limit,
        reference=_side(labels, expected),
        batch=_side(labels, observed),
    )


def _calibrated(classes, expected, observed, rng, level):
    null_reference, null_batch = null_draws(
        st.shares(expected), expected.sum(), observed.sum(), rng
    )
    if classes:
        value = float(np.sqrt(st.js_divergence(st.shares(expected), st.shares(observed))))
        simulated = st.js_divergence(st.shares(null_reference), st.shares(null_batch))
        return value, threshold("jensen_shannon", np.sqrt(tail_threshold(simulated, level)))
    value = float(st.psi(expected, observed))
    return value, threshold("psi", tail_threshold(st.psi(null_reference, null_batch), level))


def _side(labels, counts):
    return {"rows": int(counts.sum()), "labels": list(labels), "shares": share_list(counts)}
