"""The report's tables, computed on the held-out rows: per-class scores, regression errors.

Computed from the confusion matrix with plain numpy, so a class with no held-out rows (or
never predicted) gets zeros and support 0 instead of a warning or an exception. The macro
average is over the classes that occur in the held-out truth or predictions, the set
``sklearn.metrics.f1_score(average="macro")`` and the platform's ``f1_macro`` use; the
weighted average weighs each class by its support. Every value is JSON-safe (no NaN).
"""

import math

import numpy as np

DIGITS = 6


def class_name(value):
    """A class as reports write it (numpy scalars as plain Python values, then ``str``)."""
    return str(value.item() if isinstance(value, np.generic) else value)


def confusion_counts(held_out):
    """(class names, counts[true, predicted]) over every class, plus any unexpected value."""
    truth = [class_name(v) for v in held_out.y_true]
    predicted = [class_name(v) for v in held_out.predicted]
    names = [class_name(c) for c in held_out.classes]
    known = set(names)
    names += sorted({v for v in (*truth, *predicted) if v not in known})
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=np.int64)
    np.add.at(counts, ([index[v] for v in truth], [index[v] for v in predicted]), 1)
    return names, counts


def class_table(held_out):
    """Per class precision, recall, F1 and support, then a macro and a weighted average row.

    Each row: ``class``, ``precision``, ``recall``, ``f1``, ``support`` (held-out rows of
    the class) and ``average`` (None for a class, "macro" or "weighted" for the last two).
    Empty for a regression.
    """
    if not held_out.classes:
        return []
    names, counts = confusion_counts(held_out)
    hits = np.diag(counts).astype(float)
    support, predicted = counts.sum(axis=1), counts.sum(axis=0)
    precision = safe_ratio(hits, predicted)
    recall = safe_ratio(hits, support)
    f1 = safe_ratio(2 * precision * recall, precision + recall)
    rows = [
        row(name, p, r, f, s)
        for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True)
    ]
    occurring = (support > 0) | (predicted > 0)
    scores = np.stack([precision, recall, f1])
    if occurring.any():
        macro = scores[:, occurring].mean(axis=1)
        rows.append(row("Macro average", *macro, support.sum(), average="macro"))
    total = support.sum()
    if total:
        weighted = scores @ support / total
        rows.append(row("Weighted average", *weighted, total, average="weighted"))
    return rows


def safe_ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (sklearn's zero_division=0)."""
    out = np.zeros(len(numerator), dtype=float)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def row(name, precision, recall, f1, support, average=None):
    return {
        "class": name,
        "precision": round(float(precision), DIGITS),
        "recall": round(float(recall), DIGITS),
        "f1": round(float(f1), DIGITS),
        "support": int(support),
        "average": average,
    }


def regression_summary(held_out):
    """``rmse``, ``mae``, ``r2`` and ``rows`` on the held-out rows with finite values.

    A value that is undefined (no rows; R² with fewer than two rows or a constant truth) is
    None.
    """
    actual = np.asarray(held_out.y_true, dtype=float)
    predicted = np.asarray(held_out.predicted, dtype=float)
    keep = np.isfinite(actual) & np.isfinite(predicted)
    actual, predicted = actual[keep], predicted[keep]
    rows = int(len(actual))
    if rows == 0:
        return {"rmse": None, "mae": None, "r2": None, "rows": 0}
    error = actual - predicted
    spread = float(np.sum((actual - actual.mean()) ** 2))
    r2 = 1.0 - float(np.sum(error**2)) / spread if rows >= 2 and spread > 0 else None
    return {
        "rmse": finite(math.sqrt(float(np.mean(error**2)))),
        "mae": finite(float(np.mean(np.abs(error)))),
        "r2": finite(r2),
        "rows": rows,
    }


def finite(value):
    if value is None or not math.isfinite(value):
        return None
    return round(value, DIGITS)
